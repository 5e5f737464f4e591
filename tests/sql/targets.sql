-- Targets: head, base, a full id, a unique prefix, +N and -N, and the
-- integer forms; each call returns the current revision afterwards.
CREATE DATABASE targets;
\c targets
CREATE EXTENSION migrate_ext;
\i tests/helpers/sqlstate.sql

SELECT migrate.revision('one',   '[{"op": "execute", "sql": "CREATE TABLE t1 (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE t1"}]', id => 'aa0001');
SELECT migrate.revision('two',   '[{"op": "execute", "sql": "CREATE TABLE t2 (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE t2"}]', id => 'ab0002');
SELECT migrate.revision('three', '[{"op": "execute", "sql": "CREATE TABLE t3 (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE t3"}]', id => 'bc0003');
SELECT migrate.revision('four',  '[{"op": "execute", "sql": "CREATE TABLE t4 (id int)"}]',
                        '[{"op": "execute", "sql": "DROP TABLE t4"}]', id => 'bd0004');
SELECT * FROM migrate.heads();

-- nothing applied yet
SELECT * FROM migrate.current();

-- +N and the integer form
SELECT migrate.upgrade('+1');
SELECT migrate.upgrade(1);
-- a unique prefix
SELECT migrate.upgrade('bc');
-- head
SELECT migrate.upgrade('head');
-- already at head: nothing runs
SELECT migrate.upgrade();
SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 't_';

-- -N: text and integer
SELECT migrate.downgrade('-1');
SELECT migrate.downgrade(-1);
-- to a full id (reverts everything above it)
SELECT migrate.upgrade('head');
SELECT migrate.downgrade('aa0001');
SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 't_';
-- to base
SELECT migrate.downgrade('base');
SELECT count(*) AS versions FROM migrate.version;
SELECT migrate.upgrade('+2');

-- errors, each with its SQLSTATE
SELECT call, sqlstate(call) FROM (VALUES
    ($$SELECT migrate.upgrade('a')$$),          -- ambiguous prefix
    ($$SELECT migrate.upgrade('zz')$$),         -- unknown revision
    ($$SELECT migrate.downgrade(-3)$$),         -- below base
    ($$SELECT migrate.upgrade('+3')$$),         -- past head
    ($$SELECT migrate.upgrade(-1)$$),           -- an upgrade cannot go down
    ($$SELECT migrate.downgrade('head')$$),     -- a downgrade cannot go up
    ($$SELECT migrate.downgrade(1)$$),          -- nor by a positive step
    ($$SELECT migrate.downgrade('bd0004')$$),   -- not applied
    ($$SELECT migrate.upgrade('up')$$),         -- not a target
    ($$SELECT migrate.upgrade('+x')$$),         -- not a number
    ($$SELECT migrate.upgrade(NULL::text)$$)    -- NULL
) AS v(call);
-- the hint says what to do
SELECT migrate.upgrade('a');
SELECT migrate.downgrade(-3);

-- upgrading to a revision that is already applied does nothing
SELECT migrate.upgrade('aa0001');
SELECT migrate.upgrade(0);
SELECT migrate.downgrade(0);

-- several heads: 'head' needs one, 'heads' applies them all
SELECT migrate.revision('side branch', down_revision => 'aa0001', id => 'ff0005');
SELECT * FROM migrate.heads() ORDER BY 1;
SELECT migrate.upgrade('head');
SELECT sqlstate($$SELECT migrate.upgrade('head')$$);
SELECT migrate.revision('which parent?');
SELECT migrate.upgrade('heads');
SELECT * FROM migrate.current() ORDER BY 1;
-- -N needs a single current revision
SELECT migrate.downgrade(-1);
-- downgrading one branch leaves the other alone
SELECT migrate.downgrade('ab0002');
SELECT * FROM migrate.current() ORDER BY 1;
