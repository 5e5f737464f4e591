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
), rel AS MATERIALIZED (
    -- the schema's views, foreign tables and composite types, and its
    -- enum, range and multirange types, for the parts below that list
    -- them: each catalog scanned once (neither has an index on the
    -- schema alone)
    SELECT r.oid, r.relkind
      FROM pg_catalog.pg_class r, ns
     WHERE r.relnamespace = ns.oid AND r.relkind IN ('f', 'c', 'v', 'm')
), typ AS MATERIALIZED (
    SELECT t.oid, t.typname, t.typtype
      FROM pg_catalog.pg_type t, ns
     WHERE t.typnamespace = ns.oid AND t.typtype IN ('e', 'r', 'm')
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                          AND x.objid = t.oid AND x.deptype = 'e')
), tbl AS (
    SELECT r.oid, r.relname::text AS name, r.relpersistence, r.reloptions,
           r.relrowsecurity OR r.relforcerowsecurity AS rls
      FROM pg_catalog.pg_class r, ns
     WHERE r.relnamespace = ns.oid AND r.relkind IN ('r', 'p')
       -- (a scalar probe of pg_depend's depender index: a NOT EXISTS
       -- here may hash a scan of all of pg_depend, dead rows and all)
       AND (SELECT x.objid FROM pg_catalog.pg_depend x
             WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
               AND x.objid = r.oid AND x.deptype = 'e' LIMIT 1) IS NULL
), enums AS (
    SELECT t.typname::text AS name,
           pg_catalog.to_json(ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
                                      WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)) AS vals
      FROM typ t
     WHERE t.typtype = 'e'
), col AS (
    -- a column whose default takes the next value of a sequence it owns,
    -- under the name PostgreSQL gives a serial's sequence, is a serial
    SELECT c.rel, c.attnum, c.atttypid, c.attcollation, c.attgenerated,
           -- a ModelColumn, its fields in order (a json array costs less
           -- to build than an object, and serde reads a struct from either)
           pg_catalog.json_build_array(
               c.attname,
               COALESCE(c.serial, c.type_name),
               c.nullable,
               CASE WHEN c.serial IS NULL AND c.attgenerated = '' THEN c.expr END,
               CASE c.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
               CASE WHEN c.attgenerated = 's' THEN c.expr END,
               c.comment) AS obj
      FROM (SELECT a.attrelid AS rel, a.attnum, a.attname::text AS attname,
                   a.atttypid, a.attcollation,
                   CASE WHEN s.oid IS NOT NULL
                        THEN CASE a.atttypid WHEN 21 THEN 'smallserial' WHEN 23 THEN 'serial' ELSE 'bigserial' END
                   END AS serial,
                   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_name,
                   NOT a.attnotnull AS nullable,
                   a.expr,
                   a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated,
                   a.comment
              FROM tbl r
              -- each table's columns, defaults and comments by the
              -- catalogs' indexes, table by table (OFFSET 0 keeps the
              -- planner from hashing a scan of all of pg_attribute, which
              -- grows with every rolled-back scratch schema, and from
              -- copying the default's printing to each place that uses
              -- it); a default names no column, so it is printed without
              -- opening the table, a generated column's expression with it
              CROSS JOIN LATERAL (
                  SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
                         a.attidentity, a.attgenerated, a.attcollation,
                         pg_catalog.pg_get_expr(f.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE f.adrelid END) AS expr,
                         ds.description AS comment
                    FROM pg_catalog.pg_attribute a
                    LEFT JOIN pg_catalog.pg_attrdef f ON f.adrelid = r.oid AND f.adnum = a.attnum
                    LEFT JOIN pg_catalog.pg_description ds ON ds.objoid = r.oid
                         AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid = a.attnum
                   WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped OFFSET 0) a
              -- the owned sequence, looked for only where the default
              -- takes the next value of the sequence named as PostgreSQL
              -- names a serial's (under search_path = pg_catalog, the name
              -- is printed with its schema)
              LEFT JOIN LATERAL (SELECT q.oid FROM pg_catalog.pg_depend p
                                   JOIN pg_catalog.pg_class q ON q.oid = p.objid AND q.relkind = 'S'
                                        AND q.relname = r.name || '_' || a.attname || '_seq'
                                  WHERE a.atttypid IN (21, 23, 20)
                                    AND a.expr = 'nextval(' || pg_catalog.quote_literal(
                                            pg_catalog.quote_ident($1) || '.'
                                            || pg_catalog.quote_ident(r.name || '_' || a.attname || '_seq'))
                                        || '::regclass)'
                                    AND p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                    AND p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                    AND p.refobjid = a.attrelid AND p.refobjsubid = a.attnum
                                    AND p.deptype = 'a' LIMIT 1) s ON true) c
), con AS (
    -- primary key, unique, check and foreign key constraints; one with more
    -- than these fields say keeps its whole definition
    SELECT k.conrelid AS rel, k.conname::text AS name,
           -- a Constraint, its fields in order
           pg_catalog.json_build_array(
               CASE k.contype WHEN 'p' THEN 'primary_key' WHEN 'u' THEN 'unique'
                                      WHEN 'c' THEN 'check' ELSE 'foreign_key' END,
               -- a probe of pg_attribute's index per key column (a join
               -- here hashes each key list against all the columns); one
               -- key column, the most common case, without a subquery
               CASE WHEN k.contype = 'c' THEN '[]'::pg_catalog.json
                    WHEN pg_catalog.cardinality(k.conkey) = 1 THEN pg_catalog.json_build_array(
                        (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid = k.conrelid AND a.attnum = k.conkey[1]))
                    ELSE pg_catalog.to_json(
                   ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                  WHERE a.attrelid = k.conrelid AND a.attnum = u.n)
                           FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY u(n, o)
                          ORDER BY u.o)) END,
               pg_catalog.pg_get_expr(k.conbin, k.conrelid),
               CASE WHEN k.contype = 'f' THEN pg_catalog.json_build_object(
                   'schema', fn.nspname::text,
                   'table', f.relname::text,
                   'columns', CASE WHEN pg_catalog.cardinality(k.confkey) = 1 THEN pg_catalog.json_build_array(
                       (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                         WHERE a.attrelid = k.confrelid AND a.attnum = k.confkey[1]))
                   ELSE pg_catalog.to_json(
                       ARRAY(SELECT (SELECT a.attname::text FROM pg_catalog.pg_attribute a
                                      WHERE a.attrelid = k.confrelid AND a.attnum = u.n)
                               FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(n, o)
                              ORDER BY u.o)) END) END,
               CASE WHEN k.contype = 'f' THEN CASE k.confdeltype WHEN 'r' THEN 'restrict'
                   WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END END,
               CASE WHEN k.contype = 'f' THEN CASE k.confupdtype WHEN 'r' THEN 'restrict'
                   WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' END END,
               k.condeferrable,
               k.condeferred,
               CASE WHEN NOT k.convalidated OR (k.contype = 'c' AND k.connoinherit)
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
           -- an Index, its fields in order
           pg_catalog.json_build_array(
               pg_catalog.to_json(kk.keys),
               i.indisunique,
               am.amname::text,
               pg_catalog.pg_get_expr(i.indpred, i.indrelid),
               CASE WHEN i.indnatts <> i.indnkeyatts OR i.indnullsnotdistinct
                   OR 0 <> ANY (i.indoption::pg_catalog.int2[])
                   -- (the default operator classes are read once)
                   OR NOT i.indclass::pg_catalog.oid[] <@ (SELECT pg_catalog.array_agg(c.oid)
                                                             FROM pg_catalog.pg_opclass c WHERE c.opcdefault)
                   OR kk.collated OR ic.reloptions IS NOT NULL
                   THEN pg_catalog.pg_get_indexdef(i.indexrelid) END) AS obj
      FROM pg_catalog.pg_index i
      JOIN tbl r ON r.oid = i.indrelid
      JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_catalog.pg_am am ON am.oid = ic.relam
      -- the keys in one pass: each column's name and collation by a probe
      -- of pg_attribute's index (a join here hashes all the columns)
      CROSS JOIN LATERAL (
          SELECT pg_catalog.array_agg(CASE WHEN i.indkey[k.n - 1] = 0
                                           THEN '(' || pg_catalog.pg_get_indexdef(i.indexrelid, k.n, true) || ')'
                                           ELSE a.attname::text END ORDER BY k.n) AS keys,
                 pg_catalog.bool_or(i.indcollation[k.n - 1] <> 0
                                    AND NOT (i.indkey[k.n - 1] = 0 AND i.indcollation[k.n - 1] = 100)
                                    AND i.indcollation[k.n - 1] IS DISTINCT FROM a.attcollation) AS collated
            FROM pg_catalog.generate_series(1, i.indnkeyatts) k(n)
            LEFT JOIN LATERAL (SELECT a.attname, a.attcollation FROM pg_catalog.pg_attribute a
                                WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n - 1]) a ON true) kk
     WHERE NOT ic.relispartition
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                        WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
), cols AS MATERIALIZED (
    -- each table's columns, constraints and indexes gathered once
    -- (materialized: a generic plan may otherwise put an aggregate on the
    -- inner side of a nested loop and build it again for every table)
    SELECT c.rel, pg_catalog.json_agg(c.obj ORDER BY c.attnum) AS objs FROM col c GROUP BY c.rel
), cons AS MATERIALIZED (
    SELECT k.rel, pg_catalog.json_object_agg(k.name, k.obj) AS objs FROM con k GROUP BY k.rel
), idxs AS MATERIALIZED (
    SELECT i.rel, pg_catalog.json_object_agg(i.name, i.obj) AS objs FROM idx i GROUP BY i.rel
), other AS MATERIALIZED (
    -- (materialized, so that the describing below runs on the rows found,
    -- not on every row of the catalogs the branches scan)
    -- what the differ does not understand: foreign tables, range
    -- types, ordered-set and moving aggregates, rules,
    -- policies, exclusion constraints, columns with a collation of their
    -- own, and the like (sql/model_objects.sql reads sequences, domains,
    -- functions, triggers and views)
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.oid, 0) AS what
      FROM rel r
     WHERE r.relkind = 'f'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                          AND x.objid = r.oid AND x.deptype = 'e')
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0)
      FROM typ t
     WHERE t.typtype IN ('r', 'm')
    UNION ALL
    -- (from pg_aggregate's few rows that are not plain, each one's
    -- function by its oid, rather than a scan of all of pg_proc)
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::pg_catalog.regclass, g.aggfnoid, 0)
      FROM pg_catalog.pg_aggregate g
     WHERE NOT (g.aggkind = 'n' AND g.aggmtransfn = 0)
       AND (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid = g.aggfnoid) = (SELECT oid FROM ns)
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                          AND x.objid = g.aggfnoid AND x.deptype = 'e')
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_rewrite'::pg_catalog.regclass, w.oid, 0)
      FROM pg_catalog.pg_rewrite w JOIN tbl r ON r.oid = w.ev_class
    UNION ALL
    -- comments on a composite type's attributes (the type itself is read
    -- by sql/model_objects.sql)
    SELECT 'comment on ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, r.oid, ds.objsubid)
      FROM rel r
      JOIN pg_catalog.pg_description ds ON ds.objoid = r.oid
           AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid > 0
     WHERE r.relkind = 'c'
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                        WHERE x.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND x.deptype = 'e'
                          AND x.objid = (SELECT c.reltype FROM pg_catalog.pg_class c WHERE c.oid = r.oid))
    UNION ALL
    -- a view's rules beside its own (_RETURN), and a foreign table's
    -- triggers
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_rewrite'::pg_catalog.regclass, w.oid, 0)
      FROM pg_catalog.pg_rewrite w JOIN rel v ON v.oid = w.ev_class
     WHERE v.relkind IN ('v', 'm') AND w.rulename <> '_RETURN'
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid, 0)
      FROM pg_catalog.pg_trigger g JOIN rel v ON v.oid = g.tgrelid
     WHERE v.relkind = 'f' AND NOT g.tgisinternal
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_policy'::pg_catalog.regclass, y.oid, 0)
      FROM pg_catalog.pg_policy y JOIN tbl r ON r.oid = y.polrelid
    UNION ALL
    -- a virtual generated column (PostgreSQL 18): the model has stored
    -- ones only, and must not read its expression as a default
    SELECT 'virtual generated ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.rel, c.attnum)
      FROM col c
     WHERE c.attgenerated = 'v'
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
      FROM tbl r
     WHERE r.rls
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
      FROM typ t
     WHERE t.typtype = 'e'
       AND (SELECT ds.description FROM pg_catalog.pg_description ds
             WHERE ds.objoid = t.oid AND ds.classoid = 'pg_catalog.pg_type'::pg_catalog.regclass
               AND ds.objsubid = 0) IS NOT NULL
    UNION ALL
    SELECT 'collation ' || pg_catalog.quote_ident(co.collname::text) || ' of '
           || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.rel, c.attnum)
      FROM col c
      JOIN pg_catalog.pg_collation co ON co.oid = c.attcollation
     WHERE c.attcollation <> 0
       AND c.attcollation <> (SELECT t.typcollation FROM pg_catalog.pg_type t WHERE t.oid = c.atttypid)
)
SELECT pg_catalog.json_build_object(
    'enums', COALESCE((SELECT pg_catalog.json_object_agg(e.name, e.vals) FROM enums e), '{}'),
    'tables', COALESCE((SELECT pg_catalog.json_object_agg(r.name, pg_catalog.json_build_object(
        'columns', COALESCE(c.objs, '[]'),
        'constraints', COALESCE(k.objs, '{}'),
        'indexes', COALESCE(i.objs, '{}'),
        'comment', (SELECT ds.description FROM pg_catalog.pg_description ds
                     WHERE ds.objoid = r.oid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
                       AND ds.objsubid = 0),
        'unlogged', r.relpersistence = 'u',
        'options', COALESCE(r.reloptions, '{}')))
      FROM tbl r
      LEFT JOIN cols c ON c.rel = r.oid
      LEFT JOIN cons k ON k.rel = r.oid
      LEFT JOIN idxs i ON i.rel = r.oid), '{}'),
    'other', COALESCE((SELECT pg_catalog.json_agg(o.what ORDER BY o.what) FROM other o WHERE o.what IS NOT NULL), '[]'))
