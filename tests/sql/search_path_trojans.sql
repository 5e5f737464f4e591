-- Search_path trojans. On PostgreSQL 15 a role that may create objects in
-- public (a database owner can) plants functions, aggregates and operators
-- there, named like the ones the extension's SQL uses, with argument types
-- that beat pg_catalog's wherever a call or an operator is not qualified:
-- exact types where pg_catalog's is polymorphic, variadic or "any"
-- (unnest(text[]), concat_ws(text, ...), text[] = text[], oid = regclass),
-- and text where pg_catalog's takes another type for a string literal
-- (convert_to(text, text)). Each records that it ran, tries to make its
-- owner a superuser, and then behaves normally. A superuser with the
-- default search_path then calls every migrate function and fires every
-- trigger on migrate.revisions: no trojan may run. The user's own op SQL
-- still runs under the caller's search_path, as documented.
CREATE DATABASE search_path_trojans;
\c search_path_trojans
CREATE ROLE trojan_owner NOLOGIN;
GRANT CREATE ON SCHEMA public TO trojan_owner;

SET ROLE trojan_owner;
CREATE TABLE public.trojan_log (name text, as_superuser boolean);
GRANT INSERT ON public.trojan_log TO PUBLIC;
-- every trojan calls this: log, escalate when the caller is a superuser
CREATE FUNCTION public.trojan_ran(name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    super boolean := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
BEGIN
    INSERT INTO public.trojan_log VALUES (name, super);
    IF super THEN
        EXECUTE 'ALTER ROLE trojan_owner SUPERUSER';
        RAISE WARNING 'TROJAN % ran as superuser %', name, current_user;
    END IF;
END $$;

-- functions that beat pg_catalog's for an unqualified call
CREATE FUNCTION public.concat_ws(text, text, text, text, text, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('concat_ws(text x6)'); RETURN pg_catalog.concat_ws($1, $2, $3, $4, $5, $6); END $$;
CREATE FUNCTION public.convert_to(text, text) RETURNS bytea
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('convert_to(text, text)'); RETURN pg_catalog.convert_to($1, $2::name); END $$;
CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('unnest(text[])'); RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
CREATE FUNCTION public.cardinality(text[]) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('cardinality(text[])'); RETURN pg_catalog.cardinality($1); END $$;
CREATE FUNCTION public.jsonb_build_object(text, text, text, text[], text, text[], text, text[]) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM public.trojan_ran('jsonb_build_object(text, text, text, text[], ...)');
    RETURN pg_catalog.jsonb_build_object($1, $2, $3, $4, $5, $6, $7, $8);
END $$;
CREATE FUNCTION public.jsonb_build_object(text, text) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('jsonb_build_object(text, text)'); RETURN pg_catalog.jsonb_build_object($1, $2); END $$;
CREATE FUNCTION public.array_replace(text[], text, text) RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('array_replace(text[], text, text)'); RETURN pg_catalog.array_replace($1, $2, $3); END $$;
CREATE FUNCTION public.array_length(text[], integer) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('array_length(text[], integer)'); RETURN pg_catalog.array_length($1, $2); END $$;
CREATE FUNCTION public.array_to_string(text[], text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('array_to_string(text[], text)'); RETURN pg_catalog.array_to_string($1, $2); END $$;
CREATE FUNCTION public.format(text, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('format(text, text)'); RETURN pg_catalog.format($1, $2); END $$;
CREATE FUNCTION public.format(text, text, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('format(text, text, text)'); RETURN pg_catalog.format($1, $2, $3); END $$;
CREATE FUNCTION public.obj_description(oid, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('obj_description(oid, text)'); RETURN pg_catalog.obj_description($1, $2::name); END $$;
CREATE FUNCTION public.generate_series(integer, smallint) RETURNS SETOF integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('generate_series(integer, smallint)'); RETURN QUERY SELECT pg_catalog.generate_series($1, $2::integer); END $$;
CREATE FUNCTION public.pg_advisory_xact_lock(integer) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('pg_advisory_xact_lock(integer)'); PERFORM pg_catalog.pg_advisory_xact_lock($1::bigint); END $$;
CREATE FUNCTION public.to_timestamp(numeric) RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('to_timestamp(numeric)'); RETURN pg_catalog.to_timestamp($1::float8); END $$;
CREATE FUNCTION public.substr(text, bigint, bigint) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('substr(text, bigint, bigint)'); RETURN pg_catalog.substr($1, $2::int, $3::int); END $$;

-- same signatures as pg_catalog's: they lose while pg_catalog is searched
-- first (implicitly, as with the default search_path), and would win if
-- anything put public before it
CREATE FUNCTION public.sha256(bytea) RETURNS bytea
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('sha256(bytea)'); RETURN pg_catalog.sha256($1); END $$;
CREATE FUNCTION public.encode(bytea, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('encode(bytea, text)'); RETURN pg_catalog.encode($1, $2); END $$;
CREATE FUNCTION public.md5(text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('md5(text)'); RETURN pg_catalog.md5($1); END $$;
CREATE FUNCTION public.gen_random_uuid() RETURNS uuid
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('gen_random_uuid()'); RETURN pg_catalog.gen_random_uuid(); END $$;
CREATE FUNCTION public.now() RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('now()'); RETURN pg_catalog.now(); END $$;
CREATE FUNCTION public.to_regtype(text) RETURNS regtype
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('to_regtype(text)'); RETURN pg_catalog.to_regtype($1); END $$;
CREATE FUNCTION public.current_setting(text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('current_setting(text)'); RETURN pg_catalog.current_setting($1); END $$;
CREATE FUNCTION public.set_config(text, text, boolean) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('set_config(text, text, boolean)'); RETURN pg_catalog.set_config($1, $2, $3); END $$;
CREATE FUNCTION public.pg_advisory_xact_lock(bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('pg_advisory_xact_lock(bigint)'); PERFORM pg_catalog.pg_advisory_xact_lock($1); END $$;
CREATE FUNCTION public.to_timestamp(double precision) RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('to_timestamp(double precision)'); RETURN pg_catalog.to_timestamp($1); END $$;
CREATE FUNCTION public.jsonb_array_elements(jsonb) RETURNS SETOF jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('jsonb_array_elements(jsonb)'); RETURN QUERY SELECT pg_catalog.jsonb_array_elements($1); END $$;
CREATE FUNCTION public.jsonb_array_elements_text(jsonb) RETURNS SETOF text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('jsonb_array_elements_text(jsonb)'); RETURN QUERY SELECT pg_catalog.jsonb_array_elements_text($1); END $$;
CREATE FUNCTION public.quote_ident(text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('quote_ident(text)'); RETURN pg_catalog.quote_ident($1); END $$;
CREATE FUNCTION public.pg_get_indexdef(oid) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('pg_get_indexdef(oid)'); RETURN pg_catalog.pg_get_indexdef($1); END $$;

-- aggregates: array_agg(text) and jsonb_agg(jsonb) beat the polymorphic ones
CREATE FUNCTION public.trojan_array_agg(text[], text) RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('array_agg(text)'); RETURN pg_catalog.array_append($1, $2); END $$;
CREATE AGGREGATE public.array_agg(text) (SFUNC = public.trojan_array_agg, STYPE = text[]);
CREATE FUNCTION public.trojan_jsonb_agg(jsonb, jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM public.trojan_ran('jsonb_agg(jsonb)');
    RETURN CASE WHEN $1 IS NULL THEN jsonb_build_array($2) ELSE $1 || jsonb_build_array($2) END;
END $$;
CREATE AGGREGATE public.jsonb_agg(jsonb) (SFUNC = public.trojan_jsonb_agg, STYPE = jsonb);
CREATE FUNCTION public.trojan_string_agg(text, text, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM public.trojan_ran('string_agg(text, text)');
    RETURN CASE WHEN $1 IS NULL THEN $2 ELSE $1 || $3 || $2 END;
END $$;
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.trojan_string_agg, STYPE = text);
CREATE FUNCTION public.trojan_count(bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('count(*)'); RETURN $1 + 1; END $$;
CREATE AGGREGATE public.count(*) (SFUNC = public.trojan_count, STYPE = bigint, INITCOND = '0');

-- operators: exact types beat pg_catalog's anyarray ones, and there is no
-- pg_catalog.=(oid, regclass) at all
CREATE FUNCTION public.trojan_textarr_eq(text[], text[]) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text[] = text[]'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR public.= (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.trojan_textarr_eq);
CREATE FUNCTION public.trojan_textarr_ne(text[], text[]) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text[] <> text[]'); RETURN $1 OPERATOR(pg_catalog.<>) $2; END $$;
CREATE OPERATOR public.<> (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.trojan_textarr_ne);
CREATE FUNCTION public.trojan_textarr_overlap(text[], text[]) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text[] && text[]'); RETURN $1 OPERATOR(pg_catalog.&&) $2; END $$;
CREATE OPERATOR public.&& (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.trojan_textarr_overlap);
CREATE FUNCTION public.trojan_textarr_cat(text[], text[]) RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text[] || text[]'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $$;
CREATE OPERATOR public.|| (LEFTARG = text[], RIGHTARG = text[], FUNCTION = public.trojan_textarr_cat);
CREATE FUNCTION public.trojan_oid_regclass_eq(oid, regclass) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('oid = regclass'); RETURN $1 OPERATOR(pg_catalog.=) $2::oid; END $$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.trojan_oid_regclass_eq);
CREATE FUNCTION public.trojan_oid_int_ne(oid, integer) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('oid <> integer'); RETURN $1 OPERATOR(pg_catalog.<>) $2::oid; END $$;
CREATE OPERATOR public.<> (LEFTARG = oid, RIGHTARG = integer, FUNCTION = public.trojan_oid_int_ne);
-- same signatures as pg_catalog's
CREATE FUNCTION public.trojan_text_eq(text, text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text = text'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trojan_text_eq);
CREATE FUNCTION public.trojan_text_ne(text, text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text <> text'); RETURN $1 OPERATOR(pg_catalog.<>) $2; END $$;
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trojan_text_ne);
CREATE FUNCTION public.trojan_jsonb_eq(jsonb, jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('jsonb = jsonb'); RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR public.= (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = public.trojan_jsonb_eq);
CREATE FUNCTION public.trojan_jsonb_field(jsonb, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('jsonb ->> text'); RETURN $1 OPERATOR(pg_catalog.->>) $2; END $$;
CREATE OPERATOR public.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.trojan_jsonb_field);
CREATE FUNCTION public.trojan_text_cat(text, text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN PERFORM public.trojan_ran('text || text'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trojan_text_cat);

-- the trojans are real: unqualified calls like the extension's pick them
-- (run as trojan_owner, so nothing escalates)
SELECT concat_ws(E'\n', 'a'::text, 'b'::text, 'c'::text, 'd'::text, 'e'::text) IS NOT NULL AS concat_ws,
       convert_to('x'::text, 'UTF8') IS NOT NULL AS convert_to,
       (SELECT u FROM unnest('{a}'::text[]) u) AS unnest,
       cardinality('{a}'::text[]) AS cardinality,
       (SELECT array_agg(x ORDER BY x) FROM (VALUES ('b'::text), ('a')) v(x)) AS array_agg,
       (SELECT jsonb_agg(x) FROM (VALUES ('1'::jsonb)) v(x)) AS jsonb_agg,
       jsonb_build_object('id', 'x'::text, 'down_revision', '{}'::text[], 'depends_on', '{}'::text[],
                          'branch_labels', '{}'::text[]) IS NOT NULL AS jsonb_build_object,
       '{a}'::text[] = '{a}'::text[] AS eq, '{a}'::text[] <> '{b}'::text[] AS ne,
       '{a}'::text[] && '{a}'::text[] AS overlap,
       (SELECT count(*) FROM pg_catalog.pg_class c
         WHERE c.oid = 'pg_catalog.pg_class'::pg_catalog.regclass) AS oid_eq_regclass;
SELECT name AS trojan_that_ran, as_superuser FROM public.trojan_log
 GROUP BY name, as_superuser ORDER BY name COLLATE "C";
TRUNCATE public.trojan_log;
RESET ROLE;

-- what was planted
SELECT p.oid::regprocedure::text COLLATE "C" AS planted_function
  FROM pg_catalog.pg_proc p
 WHERE p.pronamespace = 'public'::pg_catalog.regnamespace AND p.proname !~ '^trojan_'
 ORDER BY 1;
SELECT pg_catalog.format('%s(%s, %s)', o.oprname, o.oprleft::regtype, o.oprright::regtype) COLLATE "C" AS planted_operator
  FROM pg_catalog.pg_operator o
 WHERE o.oprnamespace = 'public'::pg_catalog.regnamespace
 ORDER BY 1;

-- a superuser, with the default search_path, uses the extension
SHOW search_path;
CREATE EXTENSION migrate_ext;
\i tests/helpers/sqlstate.sql
SET client_min_messages = warning;
CREATE SCHEMA app;

-- store: revision(), the same revision again, a branch, a merge
SELECT migrate.revision('schema', $$[
  {"op": "create_enum", "schema": "app", "name": "status", "values": ["open", "blocked", "done"]},
  {"op": "create_table", "schema": "app", "name": "ticket",
   "columns": [{"name": "id", "type": "int", "nullable": false},
               {"name": "s", "type": "app.status", "server_default": "open"},
               {"name": "hist", "type": "app.status[]"}],
   "primary_key": ["id"]},
  {"op": "create_index", "schema": "app", "name": "ticket_open_idx", "table": "ticket",
   "columns": ["id"], "where": "s = 'open'"},
  {"op": "add_constraint", "schema": "app", "table": "ticket", "name": "ticket_not_blocked",
   "kind": "check", "expression": "s <> 'done' OR id > 0"}
]$$, id => 'r1');
SELECT migrate.revision('schema', $$[
  {"op": "create_enum", "schema": "app", "name": "status", "values": ["open", "blocked", "done"]},
  {"op": "create_table", "schema": "app", "name": "ticket",
   "columns": [{"name": "id", "type": "int", "nullable": false},
               {"name": "s", "type": "app.status", "server_default": "open"},
               {"name": "hist", "type": "app.status[]"}],
   "primary_key": ["id"]},
  {"op": "create_index", "schema": "app", "name": "ticket_open_idx", "table": "ticket",
   "columns": ["id"], "where": "s = 'open'"},
  {"op": "add_constraint", "schema": "app", "table": "ticket", "name": "ticket_not_blocked",
   "kind": "check", "expression": "s <> 'done' OR id > 0"}
]$$, id => 'r1');
SELECT migrate.revision('rows',
  '[{"op": "bulk_insert", "schema": "app", "table": "ticket",
     "rows": [{"id": 1, "s": "open", "hist": "{open,done}"}, {"id": 2, "s": "done"}]}]',
  '[{"op": "execute", "sql": "DELETE FROM app.ticket"}]', id => 'r2', branch_label => 'main');
SELECT migrate.revision('side', id => 's1', down_revision => 'r1', branch_label => 'side');
SELECT migrate.merge(ARRAY['r2', 's1'], 'merge', id => 'm1');
-- direct INSERT, UPDATE and DELETE fire every trigger
INSERT INTO migrate.revisions (id, down_revision, depends_on, message, upgrade, downgrade)
VALUES ('r3', '{m1}', '{r1}', 'drop blocked',
        '[{"op": "drop_enum_value", "schema": "app", "name": "status", "value": "blocked"}]',
        '[{"op": "add_enum_value", "schema": "app", "name": "status", "value": "blocked", "after": "open"}]');
UPDATE migrate.revisions SET message = 'drop the blocked status', branch_labels = '{tidy}' WHERE id = 'r3';
INSERT INTO migrate.revisions (id, down_revision, upgrade) VALUES ('leaf', '{r3}', '[]');
DELETE FROM migrate.revisions WHERE id = 'leaf';

-- read
SELECT * FROM migrate.heads();
SELECT * FROM migrate.current();
SELECT id, message, children, branch_labels FROM migrate.branches();
SELECT id, down_revision, applied, is_head FROM migrate.history();
SELECT id FROM migrate.history('r1:m1');
SELECT migrate.show('r3') IS NOT NULL AS shown;
SELECT count(*) > 0 AS has_script FROM migrate.sql('head');

-- run: up, verify, down, stamp, up again
SELECT migrate.upgrade('head');
SELECT * FROM migrate.verify();
SELECT id, s, hist FROM app.ticket ORDER BY id;
SELECT migrate.downgrade('r1');
SELECT migrate.stamp('base');
SELECT migrate.stamp('r1');
SELECT migrate.upgrade('heads');
SELECT * FROM migrate.verify();
-- the procedures and the dry run, with lock waits bounded (the default)
SELECT migrate.downgrade('r1');
SELECT count(*) > 0 AS measured FROM migrate.dry_run('heads');
CALL migrate.run('heads');
CALL migrate.run_down('r1');
CALL migrate.run('heads');
SELECT * FROM migrate.verify();

-- the applied revision refuses changes; the log refuses edits
SELECT sqlstate($$UPDATE migrate.revisions SET upgrade = '[]' WHERE id = 'r3'$$);
SELECT sqlstate($$DELETE FROM migrate.revisions WHERE id = 'r3'$$);
SELECT sqlstate($$UPDATE migrate.log SET role = 'x'$$);
SELECT sqlstate($$TRUNCATE migrate.revisions$$);

-- the differ: model, diff, check, autogenerate
CREATE SCHEMA app2;
SELECT migrate.model('app') -> 'enums' AS enums;
SELECT pg_catalog.jsonb_array_length(migrate.diff('CREATE TABLE note (id int PRIMARY KEY, tags text[])', 'app2')) AS ops;
SELECT sqlstate($$SELECT migrate.check('CREATE TABLE note (id int PRIMARY KEY, tags text[])', 'app2')$$);
SELECT migrate.autogenerate('note', 'CREATE TABLE note (id int PRIMARY KEY, tags text[])', 'app2', id => 'ag1');
SELECT migrate.autogenerate('note', 'CREATE TABLE note (id int PRIMARY KEY, tags text[])', 'app2', id => 'ag1');
SELECT migrate.upgrade('head');
SELECT migrate.check('CREATE TABLE note (id int PRIMARY KEY, tags text[])', 'app2');
SELECT migrate.downgrade(-1);
SELECT migrate.downgrade('base');
SELECT * FROM migrate.current();

-- no trojan ran, and its owner is no superuser
RESET client_min_messages;
SELECT name AS trojan_that_ran, as_superuser, pg_catalog.count(*) AS calls
  FROM public.trojan_log GROUP BY name, as_superuser ORDER BY name COLLATE "C";
SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = 'trojan_owner';

-- the user's own op SQL runs under the caller's search_path: an execute op
-- calls a function of the caller's schema unqualified, and names without
-- a schema resolve through it too
CREATE FUNCTION app.greeting() RETURNS text LANGUAGE sql AS $$ SELECT 'hello from app' $$;
SET search_path = app, public;
SELECT migrate.revision('uses the search_path', '[
  {"op": "execute", "sql": "CREATE TABLE greeted AS SELECT greeting() AS g", "down": "DROP TABLE greeted"},
  {"op": "add_column", "table": "greeted", "column": {"name": "n", "type": "int", "server_default": 1}}
]', id => 'p1', down_revision => 'ag1');
SELECT migrate.upgrade('p1');
SELECT g, n FROM app.greeted;
SELECT migrate.downgrade('base');
SELECT pg_catalog.to_regclass('app.greeted') AS gone;
RESET search_path;
SELECT name AS trojan_that_ran, pg_catalog.count(*) AS calls
  FROM public.trojan_log GROUP BY name ORDER BY name COLLATE "C";

\c postgres
DROP DATABASE search_path_trojans;
DROP ROLE trojan_owner;
