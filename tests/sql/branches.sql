-- Branches, labels, merges and dependencies, following Alembic's
-- "Working with Branches" story: an account branch and a shopping cart
-- branch off the same base.
CREATE DATABASE branches;
\c branches
CREATE EXTENSION migrate_ext;
\i tests/helpers/sqlstate.sql

SELECT migrate.revision('create account table',
    '[{"op": "execute", "sql": "CREATE TABLE account (id int PRIMARY KEY)"}]',
    '[{"op": "execute", "sql": "DROP TABLE account"}]', id => '1975ea83b712');
SELECT migrate.revision('add a column',
    '[{"op": "add_column", "table": "account", "column": {"name": "last_transaction_date", "type": "timestamp"}}]',
    id => 'ae1027a6acf');
-- a second branch from the same parent, with a label
SELECT migrate.revision('add shopping cart table',
    '[{"op": "execute", "sql": "CREATE TABLE shopping_cart (id int PRIMARY KEY)"}]',
    '[{"op": "execute", "sql": "DROP TABLE shopping_cart"}]',
    id => '27c6a30d7c24', down_revision => '1975ea83b712', branch_label => 'shoppingcart');

-- two heads, one branch point
SELECT * FROM migrate.heads() ORDER BY 1;
SELECT * FROM migrate.branches();
-- with two heads, 'head' is ambiguous, and a new revision needs a parent
SELECT migrate.upgrade('head');
SELECT migrate.revision('where?');

-- upgrade one branch by its label
SELECT migrate.upgrade('shoppingcart@head');
SELECT * FROM migrate.current();
-- and then every branch
SELECT migrate.upgrade('heads');
SELECT * FROM migrate.current() ORDER BY 1;

-- labels apply to the labeled revision and what descends from it
SELECT migrate.revision('add a shopping cart column',
    '[{"op": "add_column", "table": "shopping_cart", "column": {"name": "total", "type": "numeric(10,2)"}}]',
    id => 'a1f2c3d4e5f6', down_revision => 'shoppingcart@head');
SELECT migrate.upgrade('shoppingcart@+1');
-- downgrade one branch to its base: the account branch is left alone
SELECT migrate.downgrade('shoppingcart@base');
SELECT * FROM migrate.current() ORDER BY 1;
SELECT to_regclass('shopping_cart') AS cart, to_regclass('account') AS account;
SELECT migrate.upgrade('shoppingcart@+2');
SELECT migrate.downgrade('shoppingcart@-1');
SELECT migrate.upgrade('heads');

-- relative identifiers: <rev>+N and <rev>-N walk the graph
SELECT migrate.downgrade('a1f2c3d4e5f6-1');
SELECT migrate.upgrade('27c6+1');
SELECT sqlstate($$SELECT migrate.upgrade('1975ea83b712+1')$$);  -- a branch point: which child?

-- merge the two heads, as `alembic merge heads`
SELECT migrate.merge(message => 'merge account and cart', id => '55aa11bb22cc');
SELECT down_revision, upgrade, downgrade FROM migrate.revisions WHERE id = '55aa11bb22cc';
SELECT * FROM migrate.heads();
SELECT migrate.upgrade('head');
-- one step down from a merge leaves both parents as heads
SELECT migrate.downgrade(-1);
SELECT * FROM migrate.current() ORDER BY 1;
SELECT migrate.upgrade('head');

-- a new root with its own label, and a dependency on the account branch
SELECT migrate.revision('create networking branch', down_revision => 'base',
    branch_label => 'networking', id => '3cac04ae8714');
SELECT migrate.revision('add ip number table',
    '[{"op": "execute", "sql": "CREATE TABLE ip_address (id int, account_id int REFERENCES account (id))"}]',
    '[{"op": "execute", "sql": "DROP TABLE ip_address"}]',
    id => '109ec7d132bf', down_revision => 'networking@head', depends_on => ARRAY['ae1027a6acf']);
SELECT id, down_revision, depends_on, branch_labels FROM migrate.revisions WHERE id IN ('3cac04ae8714', '109ec7d132bf') ORDER BY id;
-- the dependency is applied first; it stays a separate head in the version
SELECT migrate.downgrade('base');
SELECT migrate.upgrade('networking@head');
SELECT * FROM migrate.current() ORDER BY 1;
-- reverting the dependency reverts what depends on it
SELECT migrate.downgrade('1975ea83b712');
SELECT * FROM migrate.current() ORDER BY 1;
SELECT migrate.upgrade('heads');
SELECT * FROM migrate.current() ORDER BY 1;

-- history, newest first, and Alembic ranges
SELECT id, message, applied, is_head FROM migrate.history();
SELECT id FROM migrate.history('1975ea83b712:ae1027a6acf');
SELECT id FROM migrate.history('networking@base:');
SELECT id FROM migrate.history(':27c6a30d7c24');

-- labels are unique, and are not revision ids
SELECT sqlstate($$SELECT migrate.revision('x', down_revision => 'base', branch_label => 'networking')$$);
SELECT sqlstate($$SELECT migrate.revision('x', down_revision => 'base', branch_label => 'ae1027a6acf')$$);
SELECT sqlstate($$SELECT migrate.revision('x', down_revision => 'base', branch_label => 'has space')$$);
SELECT sqlstate($$INSERT INTO migrate.revisions (id, upgrade, branch_labels) VALUES ('z1', '[]', '{shoppingcart}')$$);
SELECT sqlstate($$SELECT migrate.revision('x', down_revision => 'base', depends_on => ARRAY['ghost'])$$);
SELECT sqlstate($$SELECT migrate.merge(ARRAY['1975ea83b712', 'ae1027a6acf'])$$);
SELECT sqlstate($$SELECT migrate.upgrade('nolabel@head')$$);
