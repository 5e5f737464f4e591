-- The autogenerate corpus: schema pairs (before, after). For each pair, in
-- a schema of its own:
--   1. the "before" DDL runs, and the catalog is snapshotted;
--   2. migrate.autogenerate(after) stores a revision;
--   3. upgrade('head') applies it, and migrate.check(after) passes;
--   4. autogenerate(after) again returns NULL: nothing left to do;
--   5. downgrade('-1') reverts it, and the catalog equals the snapshot;
--   6. upgrade('head') applies it once more, and check passes again.
-- Each row shows the ops of the upgrade and of the downgrade, in order.
-- Some pairs put rows in the tables first ("rows"), which the ops keep.
CREATE DATABASE autogenerate_corpus;
\c autogenerate_corpus
CREATE EXTENSION migrate_ext;
\i tests/helpers/snapshot.sql
SET client_min_messages = warning;

CREATE FUNCTION roundtrip(name text, before text, after text, rows text DEFAULT '',
                          OUT upgrade text, OUT downgrade text, OUT ok text)
LANGUAGE plpgsql AS $$
DECLARE
    nsp text := 'c_' || name;
    id text;
    start text;
BEGIN
    EXECUTE format('CREATE SCHEMA %I', nsp);
    PERFORM set_config('search_path', quote_ident(nsp), true);
    IF before <> '' THEN
        EXECUTE before;
    END IF;
    IF rows <> '' THEN
        EXECUTE rows;
    END IF;
    PERFORM set_config('search_path', 'public', true);
    start := snapshot(nsp);
    id := migrate.autogenerate(name, after, nsp);
    IF id IS NULL THEN
        RAISE EXCEPTION '%: no revision generated', name;
    END IF;
    SELECT string_agg(o->>'op', ', ' ORDER BY n) INTO upgrade
      FROM jsonb_array_elements(migrate.show(id)->'upgrade') WITH ORDINALITY AS u(o, n);
    SELECT string_agg(o->>'op', ', ' ORDER BY n) INTO downgrade
      FROM jsonb_array_elements(migrate.show(id)->'downgrade') WITH ORDINALITY AS u(o, n);
    PERFORM migrate.upgrade('head');
    PERFORM migrate.check(after, nsp);
    IF migrate.autogenerate(name || ' again', after, nsp) IS NOT NULL THEN
        RAISE EXCEPTION '%: a second autogenerate found differences', name;
    END IF;
    PERFORM migrate.downgrade('-1');
    IF snapshot(nsp) IS DISTINCT FROM start THEN
        RAISE EXCEPTION '%: the downgrade did not restore the catalog', name
            USING DETAIL = format(E'before:\n%s\nafter downgrade:\n%s', start, snapshot(nsp));
    END IF;
    PERFORM migrate.upgrade('head');
    PERFORM migrate.check(after, nsp);
    ok := 'checked, NULL again, restored';
END
$$;

-- steps(name): the statements of the revision a pair stored, the first
-- line of each (an execute op's SQL, else the op's name; a view's query
-- left out, as PostgreSQL versions print it differently)
CREATE FUNCTION steps(name text) RETURNS TABLE (way text, n bigint, step text)
LANGUAGE sql AS $$
    SELECT w.way, u.n, coalesce(regexp_replace(split_part(u.o->>'sql', E'\n', 1),
                                               '^(CREATE (OR REPLACE |MATERIALIZED )?VIEW \S+ AS) .*$', '\1 ...'),
                                u.o->>'op')
      FROM migrate.history() h,
           LATERAL (VALUES ('upgrade'), ('downgrade')) w(way),
           LATERAL jsonb_array_elements(migrate.show(h.id)->w.way) WITH ORDINALITY u(o, n)
     WHERE h.message = name
     ORDER BY w.way DESC, u.n
$$;

-- the guide's example: the type comes before the column, and goes after it
SELECT * FROM roundtrip('guide_enum',
$$CREATE TABLE my_table (id integer PRIMARY KEY)$$,
$$CREATE TYPE my_enum_type AS ENUM ('option1', 'option2', 'option3');
  CREATE TABLE my_table (id integer PRIMARY KEY,
                         my_enum_column my_enum_type NOT NULL DEFAULT 'option1')$$);

-- tables
SELECT * FROM roundtrip('create_table', '',
$$CREATE TABLE account (id bigint PRIMARY KEY, name text NOT NULL)$$);
SELECT * FROM roundtrip('drop_table',
$$CREATE TABLE account (id bigint PRIMARY KEY, name text NOT NULL)$$, '');
SELECT * FROM roundtrip('empty_table', '', $$CREATE TABLE marker ()$$);
SELECT * FROM roundtrip('rename_is_drop_and_add',
$$CREATE TABLE old_name (id int)$$,
$$CREATE TABLE new_name (id int)$$);
SELECT * FROM roundtrip('table_comment',
$$CREATE TABLE t (id int)$$,
$$CREATE TABLE t (id int); COMMENT ON TABLE t IS 'the one table'$$);

-- columns
SELECT * FROM roundtrip('add_nullable_column',
$$CREATE TABLE t (id int)$$,
$$CREATE TABLE t (id int, note text)$$);
SELECT * FROM roundtrip('add_not_null_with_default',
$$CREATE TABLE t (id int)$$,
$$CREATE TABLE t (id int, created timestamptz NOT NULL DEFAULT now())$$);
SELECT * FROM roundtrip('drop_column',
$$CREATE TABLE t (id int, legacy text DEFAULT 'x')$$,
$$CREATE TABLE t (id int)$$);
SELECT * FROM roundtrip('widen_type',
$$CREATE TABLE t (id int, amount numeric(10,2))$$,
$$CREATE TABLE t (id bigint, amount numeric(12,2))$$);
SELECT * FROM roundtrip('varchar_length',
$$CREATE TABLE t (name varchar(20))$$,
$$CREATE TABLE t (name varchar(50))$$);
SELECT * FROM roundtrip('text_to_integer',
$$CREATE TABLE t (code text)$$,
$$CREATE TABLE t (code integer)$$);
SELECT * FROM roundtrip('nullability',
$$CREATE TABLE t (a int NOT NULL, b int)$$,
$$CREATE TABLE t (a int, b int NOT NULL)$$);
SELECT * FROM roundtrip('defaults',
$$CREATE TABLE t (a int DEFAULT 1, b text, c boolean DEFAULT true)$$,
$$CREATE TABLE t (a int DEFAULT 2, b text DEFAULT 'none', c boolean)$$);
SELECT * FROM roundtrip('column_comment',
$$CREATE TABLE t (a int); COMMENT ON COLUMN t.a IS 'old'$$,
$$CREATE TABLE t (a int, b int); COMMENT ON COLUMN t.a IS 'new'; COMMENT ON COLUMN t.b IS 'b'$$);
SELECT * FROM roundtrip('serial_columns', '',
$$CREATE TABLE t (id serial PRIMARY KEY, big bigserial, small smallserial)$$);
SELECT * FROM roundtrip('integer_becomes_serial',
$$CREATE TABLE t (id integer PRIMARY KEY)$$,
$$CREATE TABLE t (id serial PRIMARY KEY)$$);
SELECT * FROM roundtrip('integer_with_rows_becomes_serial',
$$CREATE TABLE t (id integer PRIMARY KEY)$$,
$$CREATE TABLE t (id serial PRIMARY KEY)$$,
$$INSERT INTO t VALUES (1), (2), (7)$$);
SELECT * FROM roundtrip('integer_with_rows_becomes_identity',
$$CREATE TABLE t (id integer PRIMARY KEY, v text)$$,
$$CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)$$,
$$INSERT INTO t VALUES (1, 'a'), (5, 'b')$$);
SELECT * FROM roundtrip('identity_columns',
$$CREATE TABLE t (id bigint NOT NULL)$$,
$$CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY,
                  n int GENERATED BY DEFAULT AS IDENTITY)$$);
SELECT * FROM roundtrip('generated_column',
$$CREATE TABLE t (price numeric, qty int)$$,
$$CREATE TABLE t (price numeric, qty int, total numeric GENERATED ALWAYS AS (price * qty) STORED)$$);

SELECT * FROM roundtrip('generated_expression_changed',
$$CREATE TABLE t (p numeric, q int, total numeric GENERATED ALWAYS AS (p * q) STORED);
  CREATE INDEX t_total ON t (total)$$,
$$CREATE TABLE t (p numeric, q int, total numeric GENERATED ALWAYS AS (p * q * 2) STORED);
  CREATE INDEX t_total ON t (total)$$);
SELECT * FROM roundtrip('generated_column_over_a_retyped_column',
$$CREATE TABLE t (p int, q int, total int GENERATED ALWAYS AS (p * q) STORED);
  CREATE INDEX t_total ON t (total) WHERE total > 0$$,
$$CREATE TABLE t (p bigint, q int, total bigint GENERATED ALWAYS AS (p * q * 2) STORED);
  CREATE INDEX t_total ON t (total) WHERE total > 0;
  COMMENT ON COLUMN t.total IS 'twice the product'$$);
SELECT * FROM roundtrip('serial_becomes_bigserial',
$$CREATE TABLE t (id serial PRIMARY KEY)$$,
$$CREATE TABLE t (id bigserial PRIMARY KEY)$$);

-- enums
SELECT * FROM roundtrip('enum_add_value',
$$CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE t (m mood)$$,
$$CREATE TYPE mood AS ENUM ('sad', 'happy', 'ecstatic'); CREATE TABLE t (m mood)$$);
SELECT * FROM roundtrip('enum_insert_value',
$$CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE t (m mood)$$,
$$CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE t (m mood)$$);
SELECT * FROM roundtrip('enum_remove_value',
$$CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TABLE t (m mood DEFAULT 'ok')$$,
$$CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE t (m mood DEFAULT 'happy')$$);
SELECT * FROM roundtrip('enum_reorder',
$$CREATE TYPE size AS ENUM ('small', 'large', 'medium'); CREATE TABLE t (s size[])$$,
$$CREATE TYPE size AS ENUM ('small', 'medium', 'large'); CREATE TABLE t (s size[])$$);
SELECT * FROM roundtrip('enum_new_value_used_at_once',
$$CREATE TYPE status AS ENUM ('new', 'done'); CREATE TABLE job (s status)$$,
$$CREATE TYPE status AS ENUM ('new', 'running', 'done');
  CREATE TABLE job (s status DEFAULT 'running' CHECK (s <> 'new'))$$);
SELECT * FROM roundtrip('enum_value_replaced_and_used',
$$CREATE TYPE status AS ENUM ('pending', 'done'); CREATE TABLE job (s status DEFAULT 'pending')$$,
$$CREATE TYPE status AS ENUM ('queued', 'done'); CREATE TABLE job (s status DEFAULT 'queued')$$);
SELECT * FROM roundtrip('drop_enum_with_its_column',
$$CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE t (id int, m mood)$$,
$$CREATE TABLE t (id int)$$);
SELECT * FROM roundtrip('column_to_enum',
$$CREATE TABLE t (state text)$$,
$$CREATE TYPE state AS ENUM ('on', 'off'); CREATE TABLE t (state state)$$);
SELECT * FROM roundtrip('text_with_default_to_enum',
$$CREATE TABLE t (state text NOT NULL DEFAULT 'on')$$,
$$CREATE TYPE state AS ENUM ('on', 'off'); CREATE TABLE t (state state NOT NULL DEFAULT 'on')$$);
SELECT * FROM roundtrip('enum_remove_several_values',
$$CREATE TYPE color AS ENUM ('red', 'green', 'blue', 'black'); CREATE TABLE t (c color)$$,
$$CREATE TYPE color AS ENUM ('red', 'blue'); CREATE TABLE t (c color)$$);
SELECT * FROM roundtrip('mixed_case_names', '',
$$CREATE TYPE "Status" AS ENUM ('Open', 'Closed');
  CREATE TABLE "Order Items" ("Id" int PRIMARY KEY, "State" "Status" DEFAULT 'Open')$$);

-- constraints
SELECT * FROM roundtrip('unique_constraint',
$$CREATE TABLE t (email text)$$,
$$CREATE TABLE t (email text CONSTRAINT t_email_key UNIQUE)$$);
SELECT * FROM roundtrip('check_constraint',
$$CREATE TABLE t (qty int)$$,
$$CREATE TABLE t (qty int CONSTRAINT qty_positive CHECK (qty > 0))$$);
SELECT * FROM roundtrip('check_changed',
$$CREATE TABLE t (qty int CONSTRAINT qty_ok CHECK (qty > 0))$$,
$$CREATE TABLE t (qty int CONSTRAINT qty_ok CHECK (qty >= 0))$$);
SELECT * FROM roundtrip('composite_primary_key',
$$CREATE TABLE t (a int NOT NULL, b int NOT NULL)$$,
$$CREATE TABLE t (a int, b int, PRIMARY KEY (a, b))$$);
SELECT * FROM roundtrip('foreign_key_new_tables', '',
$$CREATE TABLE account (id bigint PRIMARY KEY);
  CREATE TABLE payment (id bigint PRIMARY KEY,
                        account_id bigint REFERENCES account ON DELETE CASCADE DEFERRABLE)$$);
SELECT * FROM roundtrip('foreign_key_added',
$$CREATE TABLE account (id bigint PRIMARY KEY); CREATE TABLE payment (account_id bigint)$$,
$$CREATE TABLE account (id bigint PRIMARY KEY);
  CREATE TABLE payment (account_id bigint REFERENCES account (id) ON UPDATE RESTRICT)$$);
SELECT * FROM roundtrip('drop_referenced_table',
$$CREATE TABLE account (id bigint PRIMARY KEY);
  CREATE TABLE payment (account_id bigint REFERENCES account)$$,
$$CREATE TABLE payment (account_id bigint)$$);
SELECT * FROM roundtrip('referenced_key_renamed',
$$CREATE TABLE account (id int CONSTRAINT pk_account PRIMARY KEY);
  CREATE TABLE payment (account_id int REFERENCES account)$$,
$$CREATE TABLE account (id int PRIMARY KEY);
  CREATE TABLE payment (account_id int REFERENCES account)$$);
SELECT * FROM roundtrip('referenced_unique_index_changed',
$$CREATE TABLE code (c text, v int); CREATE UNIQUE INDEX code_c ON code (c);
  CREATE TABLE use (c text REFERENCES code (c))$$,
$$CREATE TABLE code (c text, v int); CREATE UNIQUE INDEX code_c ON code (c) INCLUDE (v);
  CREATE TABLE use (c text REFERENCES code (c))$$);
SELECT * FROM roundtrip('self_reference', '',
$$CREATE TABLE node (id int PRIMARY KEY, parent int REFERENCES node)$$);
SELECT * FROM roundtrip('unique_nulls_not_distinct',
$$CREATE TABLE t (code text)$$,
$$CREATE TABLE t (code text, CONSTRAINT t_code_key UNIQUE NULLS NOT DISTINCT (code))$$);

SELECT * FROM roundtrip('retype_with_index_and_check',
$$CREATE TABLE t (name varchar(20) CONSTRAINT name_ok CHECK (name <> ''), n numeric(5,2));
  CREATE INDEX t_name ON t (name)$$,
$$CREATE TABLE t (name text CONSTRAINT name_ok CHECK (name <> ''), n numeric(8,3));
  CREATE INDEX t_name ON t (name)$$);
SELECT * FROM roundtrip('multi_column_foreign_key', '',
$$CREATE TABLE a (x int, y int, PRIMARY KEY (x, y));
  CREATE TABLE b (x int, y int, FOREIGN KEY (x, y) REFERENCES a MATCH FULL ON DELETE SET NULL)$$);
SELECT * FROM roundtrip('deferrable_unique',
$$CREATE TABLE t (code text)$$,
$$CREATE TABLE t (code text CONSTRAINT t_code_key UNIQUE DEFERRABLE INITIALLY DEFERRED)$$);
SELECT * FROM roundtrip('not_valid_check',
$$CREATE TABLE t (n int)$$,
$$CREATE TABLE t (n int); ALTER TABLE t ADD CONSTRAINT n_pos CHECK (n > 0) NOT VALID$$);

-- indexes
SELECT * FROM roundtrip('plain_index',
$$CREATE TABLE t (a int, b int)$$,
$$CREATE TABLE t (a int, b int); CREATE INDEX t_a_b_idx ON t (a, b)$$);
SELECT * FROM roundtrip('unique_partial_index',
$$CREATE TABLE t (email text, deleted boolean)$$,
$$CREATE TABLE t (email text, deleted boolean);
  CREATE UNIQUE INDEX t_live_email ON t (email) WHERE NOT deleted$$);
SELECT * FROM roundtrip('expression_index',
$$CREATE TABLE t (email text)$$,
$$CREATE TABLE t (email text); CREATE INDEX t_lower_email ON t (lower(email))$$);
SELECT * FROM roundtrip('index_changed',
$$CREATE TABLE t (a int, b int); CREATE INDEX t_idx ON t (a)$$,
$$CREATE TABLE t (a int, b int); CREATE INDEX t_idx ON t (a, b)$$);
SELECT * FROM roundtrip('descending_index_with_include',
$$CREATE TABLE t (a int, b int)$$,
$$CREATE TABLE t (a int, b int); CREATE INDEX t_a_desc ON t (a DESC NULLS LAST) INCLUDE (b)$$);
SELECT * FROM roundtrip('gin_index',
$$CREATE TABLE t (tags text[])$$,
$$CREATE TABLE t (tags text[]); CREATE INDEX t_tags ON t USING gin (tags)$$);

-- sequences: created before the tables whose defaults use them, with
-- their options; a changed option (another start) is ALTER SEQUENCE; a
-- sequence's owner column is set once the column is there
SELECT * FROM roundtrip('sequence',
$$CREATE TABLE t (id int)$$,
$$CREATE SEQUENCE ticket_no AS integer START 1000 INCREMENT 10 CACHE 5;
  CREATE TABLE t (id int DEFAULT nextval('ticket_no'));
  ALTER SEQUENCE ticket_no OWNED BY t.id;
  COMMENT ON SEQUENCE ticket_no IS 'ticket numbers'$$);
SELECT * FROM roundtrip('sequence_restarted',
$$CREATE SEQUENCE s START 1; CREATE TABLE t (id bigint DEFAULT nextval('s'))$$,
$$CREATE SEQUENCE s START 500 MAXVALUE 100000 CYCLE; CREATE TABLE t (id bigint DEFAULT nextval('s'))$$);
SELECT * FROM steps('sequence_restarted');

-- domains: created before the columns that use them; their default and
-- NOT NULL change in place, their named checks are dropped and added
SELECT * FROM roundtrip('domain',
$$CREATE TABLE t (id int)$$,
$$CREATE DOMAIN percent AS numeric(5,2) DEFAULT 0 NOT NULL
      CONSTRAINT percent_range CHECK (VALUE BETWEEN 0 AND 100);
  COMMENT ON DOMAIN percent IS 'a share';
  CREATE TABLE t (id int, share percent)$$);
SELECT * FROM roundtrip('domain_changed',
$$CREATE DOMAIN code AS text CONSTRAINT code_short CHECK (length(VALUE) < 10);
  CREATE TABLE t (c code)$$,
$$CREATE DOMAIN code AS text DEFAULT 'x' CONSTRAINT code_short CHECK (length(VALUE) < 20);
  CREATE TABLE t (c code)$$, $$INSERT INTO t VALUES ('abc')$$);
SELECT * FROM steps('domain_changed');

-- composite types: created before the tables and functions that use
-- them, dropped after them
SELECT * FROM roundtrip('composite_type',
$$CREATE TABLE t (id int)$$,
$$CREATE TYPE money_amount AS (value numeric(12,2), currency text COLLATE "C");
  COMMENT ON TYPE money_amount IS 'an amount and its currency';
  CREATE TABLE t (id int, price money_amount);
  CREATE FUNCTION free() RETURNS money_amount LANGUAGE sql IMMUTABLE
      RETURN ROW(0, 'EUR')::money_amount$$);
SELECT * FROM steps('composite_type');

-- functions and procedures, as PostgreSQL prints them: a new body is
-- CREATE OR REPLACE; another result type drops the function (and what
-- uses it) and creates it again; aggregates as CREATE AGGREGATE
SELECT * FROM roundtrip('function_body',
$$CREATE FUNCTION add_tax(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 1.1'$$,
$$CREATE FUNCTION add_tax(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 1.2';
  COMMENT ON FUNCTION add_tax(numeric) IS 'VAT included'$$);
SELECT * FROM steps('function_body');
SELECT * FROM roundtrip('function_result',
$$CREATE FUNCTION answer() RETURNS integer LANGUAGE sql AS 'SELECT 42';
  CREATE VIEW v AS SELECT answer() AS a$$,
$$CREATE FUNCTION answer() RETURNS bigint LANGUAGE sql AS 'SELECT 42';
  CREATE VIEW v AS SELECT answer() AS a$$);
SELECT * FROM steps('function_result');
SELECT * FROM roundtrip('procedure_and_aggregate', '',
$$CREATE PROCEDURE tidy(days int) LANGUAGE plpgsql AS $b$ BEGIN RAISE NOTICE '%', days; END $b$;
  CREATE FUNCTION longest(text, text) RETURNS text LANGUAGE sql IMMUTABLE
      AS $b$ SELECT CASE WHEN length($2) > length(coalesce($1, '')) THEN $2 ELSE $1 END $b$;
  CREATE AGGREGATE longest(text) (SFUNC = longest, STYPE = text)$$);

-- triggers: created after their table and function, dropped before them
SELECT * FROM roundtrip('trigger',
$$CREATE TABLE t (id int, changed timestamptz)$$,
$$CREATE TABLE t (id int, changed timestamptz);
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
      AS $b$ BEGIN NEW.changed := now(); RETURN NEW; END $b$;
  CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE OF id ON t FOR EACH ROW EXECUTE FUNCTION touch();
  COMMENT ON TRIGGER t_touch ON t IS 'keeps changed current'$$);
SELECT * FROM steps('trigger');
-- a trigger's state (pg_dump's ALTER TABLE ... DISABLE TRIGGER) comes with
-- it; an INSTEAD OF trigger on a view comes after the view
SELECT * FROM roundtrip('trigger_disabled_and_on_view',
$$CREATE TABLE t (id int, changed timestamptz)$$,
$$CREATE TABLE t (id int, changed timestamptz);
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
      AS $b$ BEGIN NEW.changed := now(); RETURN NEW; END $b$;
  CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();
  ALTER TABLE t DISABLE TRIGGER t_touch;
  CREATE VIEW v AS SELECT id FROM t;
  CREATE FUNCTION v_insert() RETURNS trigger LANGUAGE plpgsql
      AS $b$ BEGIN INSERT INTO t (id) VALUES (NEW.id); RETURN NEW; END $b$;
  CREATE TRIGGER v_insert INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION v_insert()$$);
SELECT * FROM steps('trigger_disabled_and_on_view');
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('c_trigger_disabled_and_on_view.t'::regclass, 'c_trigger_disabled_and_on_view.v'::regclass)
 ORDER BY 1;

-- views: created after the tables and functions they use; a new
-- definition with the same columns is CREATE OR REPLACE VIEW; a column a
-- view uses that changes type: the view is dropped before and created
-- again after, as are the views that use it
SELECT * FROM roundtrip('view',
$$CREATE TABLE t (id int, price numeric)$$,
$$CREATE TABLE t (id int, price numeric);
  CREATE VIEW cheap AS SELECT id, price FROM t WHERE price < 10;
  CREATE VIEW cheapest AS SELECT min(price) AS price FROM cheap;
  COMMENT ON VIEW cheap IS 'under ten'$$);
SELECT * FROM roundtrip('view_replaced',
$$CREATE TABLE t (id int, price numeric); CREATE VIEW cheap AS SELECT id FROM t WHERE price < 10$$,
$$CREATE TABLE t (id int, price numeric); CREATE VIEW cheap AS SELECT id FROM t WHERE price < 5$$);
SELECT * FROM roundtrip('view_column_retyped',
$$CREATE TABLE t (id int, price numeric);
  CREATE VIEW cheap AS SELECT id, price FROM t WHERE price < 10;
  CREATE VIEW cheapest AS SELECT min(price) AS price FROM cheap$$,
$$CREATE TABLE t (id int, price numeric(8,2));
  CREATE VIEW cheap AS SELECT id, price FROM t WHERE price < 10;
  CREATE VIEW cheapest AS SELECT min(price) AS price FROM cheap$$,
$$INSERT INTO t VALUES (1, 2.5)$$);
SELECT * FROM steps('view_column_retyped');
-- a comment on a view's column: set after the view is created, changed in
-- place, and set again when the view is rebuilt around a column change
SELECT * FROM roundtrip('view_column_comment',
$$CREATE TABLE t (id int, price numeric);
  CREATE VIEW cheap AS SELECT id, price FROM t WHERE price < 10;
  COMMENT ON COLUMN cheap.price IS 'in euros'$$,
$$CREATE TABLE t (id int, price numeric(8,2));
  CREATE VIEW cheap AS SELECT id, price FROM t WHERE price < 10;
  COMMENT ON COLUMN cheap.id IS 'the key';
  COMMENT ON COLUMN cheap.price IS 'in euros, two decimals'$$);
SELECT * FROM steps('view_column_comment');

-- materialized views: created WITH DATA (populated, ready to read), with
-- their indexes after them
SELECT * FROM roundtrip('materialized_view',
$$CREATE TABLE t (id int, price numeric)$$,
$$CREATE TABLE t (id int, price numeric);
  CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n, sum(price) AS total FROM t WITH NO DATA;
  CREATE UNIQUE INDEX totals_n ON totals (n)$$,
$$INSERT INTO t VALUES (1, 2.5)$$);
SELECT * FROM steps('materialized_view');
SELECT * FROM c_materialized_view.totals;

-- partitioned tables: the parent with its key, then its partitions with
-- their bounds (created with the parent's columns and attached, as pg_dump
-- restores them); indexes and keys declared on the parent are compared
-- there
SELECT * FROM roundtrip('partitions',
$$CREATE TABLE t (id int)$$,
$$CREATE TABLE t (id int);
  CREATE TABLE event (id bigint NOT NULL, at date NOT NULL, what text NOT NULL DEFAULT 'x')
      PARTITION BY RANGE (at);
  CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE event_2026 PARTITION OF event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')
      PARTITION BY LIST (what);
  CREATE TABLE event_2026_x PARTITION OF event_2026 FOR VALUES IN ('x');
  ALTER TABLE event ADD PRIMARY KEY (id, at, what);
  CREATE INDEX event_what ON event (what)$$);
SELECT * FROM roundtrip('partition_added',
$$CREATE TABLE event (id bigint, at date) PARTITION BY RANGE (at);
  CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')$$,
$$CREATE TABLE event (id bigint, at date, note text) PARTITION BY RANGE (at);
  CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE event_2026 PARTITION OF event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')$$,
$$INSERT INTO event VALUES (1, '2025-06-01')$$);
SELECT * FROM steps('partition_added');

-- a whole schema at once, and back to nothing
SELECT * FROM roundtrip('whole_schema', '',
$$CREATE TYPE role AS ENUM ('reader', 'writer', 'admin');
  CREATE TABLE team (id serial PRIMARY KEY, name varchar(80) NOT NULL UNIQUE);
  CREATE TABLE member (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      team_id int NOT NULL REFERENCES team ON DELETE CASCADE,
      email text NOT NULL CHECK (email LIKE '%@%'),
      role role NOT NULL DEFAULT 'reader',
      joined timestamptz NOT NULL DEFAULT now());
  CREATE UNIQUE INDEX member_email ON member (lower(email));
  CREATE INDEX member_admins ON member (team_id) WHERE role = 'admin';
  COMMENT ON TABLE member IS 'who belongs to which team';
  COMMENT ON COLUMN member.role IS 'what they may do'$$);
SELECT * FROM roundtrip('everything_goes',
$$CREATE TYPE role AS ENUM ('reader', 'admin');
  CREATE TABLE team (id serial PRIMARY KEY);
  CREATE TABLE member (team_id int REFERENCES team, role role)$$, '');

-- the rows are still there, and new rows take the next free keys
INSERT INTO c_integer_with_rows_becomes_serial.t DEFAULT VALUES RETURNING id;
INSERT INTO c_integer_with_rows_becomes_identity.t (v) VALUES ('c') RETURNING id;

SELECT count(*) AS revisions, count(*) FILTER (WHERE applied) AS applied FROM migrate.history();
