-- The live schema $1 as the differ's model: one json value in the shape of
-- src/model.rs's Model (serde), read by catalog::model. (json, not jsonb:
-- building text is about half the cost of building jsonb here, and the
-- reader parses the text once; cast to jsonb, the value is the same.)
-- Runnable in psql
-- (PREPARE model(text) AS <this file>; EXECUTE model('public');) under
-- search_path = pg_catalog, which the engine sets while it runs, so that
-- types and expressions name every object outside pg_catalog with its
-- schema, on both sides of a diff alike.
--
-- Tables, partitioned ones and partitions alike (sql/model_objects.sql
-- says which is which; a partition's columns, and the constraints and
-- indexes it has from its parent, are compared on the parent), and
-- nothing an extension owns.
WITH ns AS (
    SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1
), tbl AS (
    SELECT r.oid, r.relname::text AS name, r.relpersistence, r.reloptions
      FROM pg_catalog.pg_class r, ns
     WHERE r.relnamespace = ns.oid AND r.relkind IN ('r', 'p')
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND x.objid = r.oid AND x.deptype = 'e')
), enums AS (
    SELECT t.typname::text AS name,
           pg_catalog.to_json(ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
                                      WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)) AS vals
      FROM pg_catalog.pg_type t, ns
     WHERE t.typnamespace = ns.oid AND t.typtype = 'e'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                          AND x.objid = t.oid AND x.deptype = 'e')
), col AS (
    -- a column whose default takes the next value of a sequence it owns,
    -- under the name PostgreSQL gives a serial's sequence, is a serial
    SELECT c.rel, c.attnum, CASE WHEN c.serial IS NOT NULL THEN c.seq END AS serial_seq,
           c.atttypid, c.attcollation,
           pg_catalog.json_build_object(
               'name', c.attname,
               'type', COALESCE(c.serial, c.type_name),
               'nullable', c.nullable,
               'default', CASE WHEN c.serial IS NULL AND c.attgenerated = '' THEN c.expr END,
               'identity', CASE c.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
               'generated', CASE WHEN c.attgenerated = 's' THEN c.expr END,
               'comment', c.comment) AS obj
      FROM (SELECT a.attrelid AS rel, a.attnum, a.attname::text AS attname, s.oid AS seq,
                   a.atttypid, a.attcollation,
                   CASE WHEN s.relname IS NOT NULL AND a.atttypid IN (21, 23, 20)
                         AND s.relname = r.name || '_' || a.attname || '_seq'
                         AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) =
                             'nextval(' || pg_catalog.quote_literal(s.oid::pg_catalog.regclass::text) || '::regclass)'
                        THEN CASE a.atttypid WHEN 21 THEN 'smallserial' WHEN 23 THEN 'serial' ELSE 'bigserial' END
                   END AS serial,
                   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_name,
                   NOT a.attnotnull AS nullable,
                   pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expr,
                   a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated,
                   (SELECT ds.description FROM pg_catalog.pg_description ds
                     WHERE ds.objoid = a.attrelid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
                       AND ds.objsubid = a.attnum) AS comment
              FROM tbl r
              -- each table's columns by pg_attribute's index (OFFSET 0 keeps
              -- the planner from hashing a scan of all of pg_attribute,
              -- which grows with every rolled-back scratch schema)
              CROSS JOIN LATERAL (
                  SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
                         a.attidentity, a.attgenerated, a.attcollation
                    FROM pg_catalog.pg_attribute a
                   WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped OFFSET 0) a
              LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              -- the owned sequence, looked for only where a serial can be
              LEFT JOIN LATERAL (SELECT q.oid, q.relname FROM pg_catalog.pg_depend p
                                   JOIN pg_catalog.pg_class q ON q.oid = p.objid AND q.relkind = 'S'
                                  WHERE a.atttypid IN (21, 23, 20) AND d.adbin IS NOT NULL
                                    AND p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                    AND p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                    AND p.refobjid = a.attrelid AND p.refobjsubid = a.attnum
                                    AND p.deptype = 'a' LIMIT 1) s ON true) c
), con AS (
    -- primary key, unique, check and foreign key constraints; one with more
    -- than these fields say keeps its whole definition
    SELECT k.conrelid AS rel, k.conname::text AS name,
           pg_catalog.json_build_object(
               'kind', CASE k.contype WHEN 'p' THEN 'primary_key' WHEN 'u' THEN 'unique'
                                      WHEN 'c' THEN 'check' ELSE 'foreign_key' END,
               'columns', CASE WHEN k.contype = 'c' THEN '[]'::pg_catalog.json ELSE pg_catalog.to_json(
                   -- a probe of pg_attribute's index per key column (a join
                   -- here hashes each key list against all the columns)
                   ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                  WHERE a.attrelid = k.conrelid AND a.attnum = u.n)
                           FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY u(n, o)
                          ORDER BY u.o)) END,
               'expression', pg_catalog.pg_get_expr(k.conbin, k.conrelid),
               'references', CASE WHEN k.contype = 'f' THEN pg_catalog.json_build_object(
                   'schema', fn.nspname::text,
                   'table', f.relname::text,
                   'columns', pg_catalog.to_json(
                       ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                      WHERE a.attrelid = k.confrelid AND a.attnum = u.n)
                               FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(n, o)
                              ORDER BY u.o))) END,
               'on_delete', CASE WHEN k.contype = 'f' THEN CASE k.confdeltype WHEN 'r' THEN 'restrict'
                   WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END END,
               'on_update', CASE WHEN k.contype = 'f' THEN CASE k.confupdtype WHEN 'r' THEN 'restrict'
                   WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END END,
               'deferrable', k.condeferrable,
               'initially_deferred', k.condeferred,
               'definition', CASE WHEN NOT k.convalidated OR (k.contype = 'c' AND k.connoinherit)
                                       OR (k.contype = 'f' AND (k.confmatchtype <> 's' OR k.confdelsetcols IS NOT NULL))
                                       OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = k.conindid
                                                   AND (i.indnatts <> i.indnkeyatts OR i.indnullsnotdistinct))
                                  THEN pg_catalog.pg_get_constraintdef(k.oid) END) AS obj
      FROM pg_catalog.pg_constraint k
      JOIN tbl r ON r.oid = k.conrelid
      LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid
      LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace
     WHERE k.contype IN ('p', 'u', 'c', 'f') AND k.conparentid = 0 AND k.conislocal
), idx AS (
    -- indexes that back no constraint; one with more than keys,
    -- uniqueness, method and predicate (orderings, operator classes,
    -- collations, INCLUDE, NULLS NOT DISTINCT, storage parameters) keeps its
    -- whole definition
    SELECT i.indrelid AS rel, ic.relname::text AS name,
           pg_catalog.json_build_object(
               'keys', pg_catalog.to_json(
                   ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0
                                     THEN '(' || pg_catalog.pg_get_indexdef(i.indexrelid, k, true) || ')'
                                     ELSE (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                            WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]) END
                           FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k)),
               'unique', i.indisunique,
               'method', am.amname::text,
               'predicate', pg_catalog.pg_get_expr(i.indpred, i.indrelid),
               'definition', CASE WHEN i.indnatts <> i.indnkeyatts OR i.indnullsnotdistinct
                   OR EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indoption::pg_catalog.int2[]) o WHERE o <> 0)
                   OR EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indclass::pg_catalog.oid[]) oc
                                JOIN pg_catalog.pg_opclass c ON c.oid = oc WHERE NOT c.opcdefault)
                   OR EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest(i.indcollation::pg_catalog.oid[]),
                                                       pg_catalog.unnest(i.indkey::pg_catalog.int2[])) u(coll, att)
                               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.att
                               WHERE u.coll <> 0 AND u.coll IS DISTINCT FROM a.attcollation
                                 AND NOT (u.att = 0 AND u.coll = 100))
                   OR ic.reloptions IS NOT NULL
                   THEN pg_catalog.pg_get_indexdef(i.indexrelid) END) AS obj
      FROM pg_catalog.pg_index i
      JOIN tbl r ON r.oid = i.indrelid
      JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_catalog.pg_am am ON am.oid = ic.relam
     WHERE NOT ic.relispartition
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                        WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
), other AS MATERIALIZED (
    -- (materialized, so that the describing below runs on the rows found,
    -- not on every row of the catalogs the branches scan)
    -- what the differ does not understand: foreign tables, composite
    -- and range types, ordered-set and moving aggregates, rules,
    -- policies, exclusion constraints, columns with a collation of their
    -- own, and the like (sql/model_objects.sql reads sequences, domains,
    -- functions, triggers and views)
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.oid, 0) AS what
      FROM pg_catalog.pg_class r, ns
     WHERE r.relnamespace = ns.oid
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND x.objid = r.oid AND x.deptype = 'e')
       AND r.relkind IN ('f', 'c')
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0)
      FROM pg_catalog.pg_type t, ns
     WHERE t.typnamespace = ns.oid AND t.typtype IN ('r', 'm')
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                          AND x.objid = t.oid AND x.deptype = 'e')
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0)
      FROM pg_catalog.pg_proc p
      JOIN ns ON ns.oid = p.pronamespace
      LEFT JOIN pg_catalog.pg_aggregate g ON g.aggfnoid = p.oid
     WHERE p.prokind = 'a' AND NOT (g.aggkind = 'n' AND g.aggmtransfn = 0)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                          AND x.objid = p.oid AND x.deptype = 'e')
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_rewrite'::pg_catalog.regclass, w.oid, 0)
      FROM pg_catalog.pg_rewrite w JOIN tbl r ON r.oid = w.ev_class
    UNION ALL
    -- a view's rules beside its own (_RETURN), its triggers (INSTEAD OF)
    -- and its columns' comments
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_rewrite'::pg_catalog.regclass, w.oid, 0)
      FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class v ON v.oid = w.ev_class, ns
     WHERE v.relnamespace = ns.oid AND v.relkind IN ('v', 'm') AND w.rulename <> '_RETURN'
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid, 0)
      FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class v ON v.oid = g.tgrelid, ns
     WHERE v.relnamespace = ns.oid AND v.relkind IN ('v', 'm', 'f') AND NOT g.tgisinternal
    UNION ALL
    SELECT 'comment on ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, v.oid, a.attnum)
      FROM pg_catalog.pg_class v JOIN pg_catalog.pg_attribute a ON a.attrelid = v.oid, ns
     WHERE v.relnamespace = ns.oid AND v.relkind IN ('v', 'm') AND a.attnum > 0
       AND pg_catalog.col_description(v.oid, a.attnum) IS NOT NULL
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_policy'::pg_catalog.regclass, y.oid, 0)
      FROM pg_catalog.pg_policy y JOIN tbl r ON r.oid = y.polrelid
    UNION ALL
    -- a virtual generated column (PostgreSQL 18): the model has stored
    -- ones only, and must not read its expression as a default
    SELECT 'virtual generated ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.oid, a.attnum)
      FROM tbl r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid
     WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = 'v'
    UNION ALL
    -- PostgreSQL 18 stores NOT NULL as pg_constraint rows (contype 'n',
    -- named like <table>_<column>_not_null); 15 and 16 have none. The
    -- model reads nullability from pg_attribute.attnotnull on every
    -- version, so a row that says no more than that is not "other"; a NOT
    -- VALID or NO INHERIT one (new in 18) says more, and is listed
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid, 0)
      FROM pg_catalog.pg_constraint k JOIN tbl r ON r.oid = k.conrelid
     WHERE k.contype NOT IN ('p', 'u', 'c', 'f')
       AND NOT (k.contype = 'n' AND k.convalidated AND NOT k.connoinherit)
    UNION ALL
    SELECT 'inheritance of ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.oid, 0)
      FROM tbl r
     WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                    JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhrelid = r.oid AND NOT c.relispartition)
    UNION ALL
    SELECT 'row level security of ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.oid, 0)
      FROM tbl r JOIN pg_catalog.pg_class c ON c.oid = r.oid
     WHERE c.relrowsecurity OR c.relforcerowsecurity
    UNION ALL
    SELECT 'comment on ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid, 0)
      FROM pg_catalog.pg_index i JOIN tbl r ON r.oid = i.indrelid
     WHERE (SELECT ds.description FROM pg_catalog.pg_description ds
             WHERE ds.objoid = i.indexrelid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
               AND ds.objsubid = 0) IS NOT NULL
    UNION ALL
    SELECT 'comment on ' || pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid, 0)
      FROM pg_catalog.pg_constraint k JOIN tbl r ON r.oid = k.conrelid
     WHERE (SELECT ds.description FROM pg_catalog.pg_description ds
             WHERE ds.objoid = k.oid AND ds.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
               AND ds.objsubid = 0) IS NOT NULL
    UNION ALL
    SELECT 'comment on ' || pg_catalog.pg_describe_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0)
      FROM pg_catalog.pg_type t, ns
     WHERE t.typnamespace = ns.oid AND t.typtype = 'e'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                          AND x.objid = t.oid AND x.deptype = 'e')
       AND (SELECT ds.description FROM pg_catalog.pg_description ds
             WHERE ds.objoid = t.oid AND ds.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass
               AND ds.objsubid = 0) IS NOT NULL
    UNION ALL
    SELECT 'collation ' || pg_catalog.quote_ident(co.collname::text) || ' of '
           || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.rel, c.attnum)
      FROM col c
      JOIN pg_catalog.pg_type t ON t.oid = c.atttypid
      JOIN pg_catalog.pg_collation co ON co.oid = c.attcollation
     WHERE c.attcollation <> t.typcollation
)
SELECT pg_catalog.json_strip_nulls(pg_catalog.json_build_object(
    'enums', COALESCE((SELECT pg_catalog.json_object_agg(e.name, e.vals) FROM enums e), '{}'),
    'tables', COALESCE((SELECT pg_catalog.json_object_agg(r.name, pg_catalog.json_build_object(
        'columns', COALESCE(c.objs, '[]'),
        'constraints', COALESCE(k.objs, '{}'),
        'indexes', COALESCE(i.objs, '{}'),
        'comment', (SELECT ds.description FROM pg_catalog.pg_description ds
                     WHERE ds.objoid = r.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
                       AND ds.objsubid = 0),
        'unlogged', CASE WHEN r.relpersistence = 'u' THEN true END,
        'options', r.reloptions))
      FROM tbl r
      LEFT JOIN (SELECT c.rel, pg_catalog.json_agg(c.obj ORDER BY c.attnum) AS objs
                   FROM col c GROUP BY c.rel) c ON c.rel = r.oid
      LEFT JOIN (SELECT k.rel, pg_catalog.json_object_agg(k.name, k.obj) AS objs
                   FROM con k GROUP BY k.rel) k ON k.rel = r.oid
      LEFT JOIN (SELECT i.rel, pg_catalog.json_object_agg(i.name, i.obj) AS objs
                   FROM idx i GROUP BY i.rel) i ON i.rel = r.oid), '{}'),
    'other', COALESCE((SELECT pg_catalog.json_agg(o.what ORDER BY o.what) FROM other o WHERE o.what IS NOT NULL), '[]')))
