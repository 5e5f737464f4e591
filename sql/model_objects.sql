-- The objects of schema $1 that the differ creates and drops from
-- PostgreSQL's own definition text (sequences, domains and their
-- constraints, composite types, functions, procedures, aggregates,
-- triggers, views, materialized views, their indexes and their columns'
-- comments), and the
-- partitioning of its
-- tables: one jsonb read by catalog::model beside sql/model.sql and merged
-- into the same Model (src/model.rs, src/objects.rs). Run under
-- search_path = pg_catalog, so that every name outside pg_catalog is
-- printed with its schema.
--
-- An object is keyed by pg_describe_object; what it depends on is listed
-- by key: other objects, and tables, columns and enums of the schema as
-- "table:<name>", "column:<table>:<column>" and "enum:<name>" (the
-- model's own names).
WITH ns AS (
    SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1
), ext AS (
    SELECT x.classid, x.objid FROM pg_catalog.pg_depend x WHERE x.deptype = 'e'
), refs AS (
    -- what an object's definition uses, as keys; only what lives in the
    -- schema counts (pg_catalog's functions and types are always there)
    SELECT d.classid, d.objid,
           CASE WHEN rc.relkind IN ('r', 'p') AND d.refobjsubid > 0
                     THEN 'column:' || rc.relname || ':' || a.attname
                WHEN rc.relkind IN ('r', 'p') THEN 'table:' || rc.relname
                WHEN rc.oid IS NOT NULL
                     THEN pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, rc.oid, 0)
                WHEN tc.relkind IN ('r', 'p') THEN 'table:' || tc.relname
                WHEN tc.oid IS NOT NULL
                     THEN pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, tc.oid, 0)
                WHEN rt.typtype = 'e' THEN 'enum:' || rt.typname
                WHEN rt.typtype = 'd' OR rp.oid IS NOT NULL
                     THEN pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0)
           END AS key
      FROM pg_catalog.pg_depend d
      LEFT JOIN pg_catalog.pg_class rc ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            AND rc.oid = d.refobjid AND rc.relnamespace = (SELECT oid FROM ns)
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = rc.oid AND a.attnum = d.refobjsubid
      LEFT JOIN pg_catalog.pg_type rt ON d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass
            AND rt.oid = d.refobjid AND rt.typnamespace = (SELECT oid FROM ns)
      LEFT JOIN pg_catalog.pg_class tc ON tc.oid = rt.typrelid AND rt.typrelid <> 0
      LEFT JOIN pg_catalog.pg_proc rp ON d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
            AND rp.oid = d.refobjid AND rp.pronamespace = (SELECT oid FROM ns)
     WHERE d.deptype IN ('n', 'a') AND (rc.oid IS NOT NULL OR rt.oid IS NOT NULL OR rp.oid IS NOT NULL)
), vw AS MATERIALIZED (
    -- the schema's views and materialized views, for the three parts
    -- below (one scan: pg_class has no index on the schema alone)
    SELECT v.oid, v.relkind, v.reloptions
      FROM pg_catalog.pg_class v, ns
     WHERE v.relnamespace = ns.oid AND v.relkind IN ('v', 'm')
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ext.objid = v.oid)
), seq AS (
    -- sequences but a serial column's (sql/model.sql compares those as
    -- the column's type) and an identity's
    SELECT s.oid, s.oid::pg_catalog.regclass::text AS name, q.*,
           pg_catalog.format_type(q.seqtypid, NULL) AS type_name
      FROM pg_catalog.pg_class s, ns, pg_catalog.pg_sequence q
     WHERE s.relnamespace = ns.oid AND s.relkind = 'S' AND q.seqrelid = s.oid
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ext.objid = s.oid)
       -- (a scalar probe of pg_depend's depender index, with its classid:
       -- a NOT EXISTS here hashes or loops over a scan of all pg_depend)
       AND (SELECT d.objid FROM pg_catalog.pg_depend d
             WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
               AND d.objid = s.oid AND d.deptype = 'i' LIMIT 1) IS NULL
       AND NOT EXISTS (
           SELECT 1 FROM pg_catalog.pg_depend d
             JOIN pg_catalog.pg_class r ON r.oid = d.refobjid
             JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.refobjsubid
             JOIN pg_catalog.pg_attrdef f ON f.adrelid = r.oid AND f.adnum = a.attnum
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid
              AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
              AND a.atttypid IN (21, 23, 20) AND r.relkind IN ('r', 'p') AND a.attgenerated = ''
              -- (the name first: printing the default costs more; a
              -- default names no column, so it is printed without opening
              -- the table, and the sequence's name is printed with its
              -- schema under search_path = pg_catalog)
              AND CASE WHEN s.relname = r.relname || '_' || a.attname || '_seq'
                       THEN pg_catalog.pg_get_expr(f.adbin, 0) =
                            'nextval(' || pg_catalog.quote_literal(pg_catalog.quote_ident($1) || '.'
                                                                   || pg_catalog.quote_ident(s.relname::text)) || '::regclass)'
                  END)
), obj AS (
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, s.oid, 0) AS key,
           -- (its ownership is apart: no dependency of its own)
           NULL::pg_catalog.regclass AS classid, NULL::pg_catalog.oid AS objid,
           'sequence' AS kind,
           'CREATE SEQUENCE ' || s.name || o.options AS create_sql,
           pg_catalog.jsonb_build_array('ALTER SEQUENCE ' || s.name || o.options) AS replace_sql,
           '' AS shape,
           'DROP SEQUENCE ' || s.name AS drop_sql,
           'SEQUENCE ' || s.name AS target,
           pg_catalog.obj_description(s.oid, 'pg_class') AS comment,
           NULL::pg_catalog.jsonb AS extra
      FROM seq s,
           LATERAL (SELECT pg_catalog.format(' AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s',
                        s.type_name, s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache,
                        CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) AS options) o
    UNION ALL
    -- a sequence's owner column, apart: the sequence comes before the
    -- tables whose defaults use it, the ownership after the column
    SELECT 'ownership of ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, s.oid, 0),
           NULL, NULL, 'sequence ownership',
           pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', s.name, r.oid::pg_catalog.regclass, a.attname),
           NULL, NULL,
           pg_catalog.format('ALTER SEQUENCE %s OWNED BY NONE', s.name), NULL, NULL,
           pg_catalog.jsonb_build_array(
               pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, s.oid, 0),
               'column:' || r.relname || ':' || a.attname)
      FROM seq s
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = s.oid
           AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
      JOIN pg_catalog.pg_class r ON r.oid = d.refobjid
      JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = d.refobjsubid
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0),
           'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 'domain',
           pg_catalog.format('CREATE DOMAIN %s AS %s%s%s%s', t.oid::pg_catalog.regtype,
               pg_catalog.format_type(t.typbasetype, t.typtypmod), coll.clause,
               ' DEFAULT ' || t.typdefault, CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END),
           pg_catalog.jsonb_build_array(
               pg_catalog.format('ALTER DOMAIN %s %s', t.oid::pg_catalog.regtype,
                   COALESCE('SET DEFAULT ' || t.typdefault, 'DROP DEFAULT')),
               pg_catalog.format('ALTER DOMAIN %s %s NOT NULL', t.oid::pg_catalog.regtype,
                   CASE WHEN t.typnotnull THEN 'SET' ELSE 'DROP' END)),
           pg_catalog.format_type(t.typbasetype, t.typtypmod) || coll.clause,
           pg_catalog.format('DROP DOMAIN %s', t.oid::pg_catalog.regtype),
           pg_catalog.format('DOMAIN %s', t.oid::pg_catalog.regtype),
           pg_catalog.obj_description(t.oid, 'pg_type'), NULL
      FROM pg_catalog.pg_type t, ns,
           LATERAL (SELECT COALESCE((SELECT ' COLLATE ' || pg_catalog.quote_ident(c.collname::text)
                                       FROM pg_catalog.pg_collation c, pg_catalog.pg_type b
                                      WHERE c.oid = t.typcollation AND b.oid = t.typbasetype
                                        AND t.typcollation <> b.typcollation), '') AS clause) coll
     WHERE t.typnamespace = ns.oid AND t.typtype = 'd'
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND ext.objid = t.oid)
    UNION ALL
    SELECT pg_catalog.format('constraint %s on domain %s', k.conname, t.oid::pg_catalog.regtype),
           'pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid, 'domain constraint',
           pg_catalog.format('ALTER DOMAIN %s ADD CONSTRAINT %I %s', t.oid::pg_catalog.regtype, k.conname,
               pg_catalog.pg_get_constraintdef(k.oid)),
           NULL, NULL,
           pg_catalog.format('ALTER DOMAIN %s DROP CONSTRAINT %I', t.oid::pg_catalog.regtype, k.conname),
           pg_catalog.format('CONSTRAINT %I ON DOMAIN %s', k.conname, t.oid::pg_catalog.regtype),
           pg_catalog.obj_description(k.oid, 'pg_constraint'), NULL
      FROM pg_catalog.pg_constraint k
      JOIN pg_catalog.pg_type t ON t.oid = k.contypid
      JOIN ns ON ns.oid = t.typnamespace
     WHERE k.contype = 'c'
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND ext.objid = t.oid)
    UNION ALL
    -- functions and procedures as pg_get_functiondef prints them (CREATE
    -- OR REPLACE): replaced in place unless what OR REPLACE cannot change
    -- (kind, result, arguments with their names and defaults) changes
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0),
           'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid,
           CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
           pg_catalog.rtrim(pg_catalog.pg_get_functiondef(p.oid), E'\n'),
           pg_catalog.jsonb_build_array(pg_catalog.rtrim(pg_catalog.pg_get_functiondef(p.oid), E'\n')),
           p.prokind::text || ' ' || COALESCE(pg_catalog.pg_get_function_result(p.oid), '') || ' '
               || pg_catalog.pg_get_function_arguments(p.oid),
           pg_catalog.format('DROP %s %s', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
               p.oid::pg_catalog.regprocedure),
           pg_catalog.format('%s %s', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
               p.oid::pg_catalog.regprocedure),
           pg_catalog.obj_description(p.oid, 'pg_proc'),
           -- a LANGUAGE sql body in quotes is checked when the function is
           -- created, and names tables no dependency records: such a
           -- function is created after the tables ("tables"), unless a
           -- table's default, constraint or index uses it
           CASE WHEN l.lanname = 'sql' AND p.prosqlbody IS NULL
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                                  WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                                    AND d.refobjid = p.oid
                                    AND d.classid IN ('pg_catalog.pg_attrdef'::pg_catalog.regclass,
                                                      'pg_catalog.pg_constraint'::pg_catalog.regclass,
                                                      'pg_catalog.pg_class'::pg_catalog.regclass))
                THEN '["tables"]'::pg_catalog.jsonb END
      FROM pg_catalog.pg_proc p
      JOIN ns ON ns.oid = p.pronamespace
      JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE p.prokind IN ('f', 'p', 'w')
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ext.objid = p.oid)
       -- a range type's constructors come and go with the type
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                          AND d.objid = p.oid AND d.deptype = 'i')
    UNION ALL
    -- plain aggregates (not ordered-set or hypothetical ones), written as
    -- CREATE AGGREGATE from pg_aggregate
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0),
           'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 'aggregate',
           pg_catalog.format('CREATE AGGREGATE %s (%s)', p.oid::pg_catalog.regprocedure, pg_catalog.concat_ws(', ',
               'SFUNC = ' || g.aggtransfn::pg_catalog.regproc::text,
               'STYPE = ' || pg_catalog.format_type(g.aggtranstype, NULL),
               'SSPACE = ' || NULLIF(g.aggtransspace, 0),
               'FINALFUNC = ' || NULLIF(g.aggfinalfn, 0)::pg_catalog.regproc::text,
               CASE WHEN g.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
               'COMBINEFUNC = ' || NULLIF(g.aggcombinefn, 0)::pg_catalog.regproc::text,
               'SERIALFUNC = ' || NULLIF(g.aggserialfn, 0)::pg_catalog.regproc::text,
               'DESERIALFUNC = ' || NULLIF(g.aggdeserialfn, 0)::pg_catalog.regproc::text,
               'INITCOND = ' || pg_catalog.quote_literal(g.agginitval),
               'SORTOP = ' || NULLIF(g.aggsortop, 0)::pg_catalog.regoperator::text,
               CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END)),
           NULL, NULL,
           pg_catalog.format('DROP AGGREGATE %s', p.oid::pg_catalog.regprocedure),
           pg_catalog.format('AGGREGATE %s', p.oid::pg_catalog.regprocedure),
           pg_catalog.obj_description(p.oid, 'pg_proc'), NULL
      -- (from pg_aggregate's few rows, each one's function by its oid,
      -- rather than a second scan of all of pg_proc)
      FROM pg_catalog.pg_aggregate g
      CROSS JOIN LATERAL (SELECT p.oid, p.proparallel FROM pg_catalog.pg_proc p
                           WHERE p.oid = g.aggfnoid AND p.pronamespace = (SELECT oid FROM ns) OFFSET 0) p
     WHERE g.aggkind = 'n' AND g.aggmtransfn = 0
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND ext.objid = p.oid)
    UNION ALL
    -- triggers declared on a table or a view (a partition's clones of its
    -- parent's are not compared apart), with their state when it is not
    -- the default (pg_dump's ALTER TABLE ... DISABLE TRIGGER)
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid, 0),
           'pg_catalog.pg_trigger'::pg_catalog.regclass, g.oid, 'trigger',
           pg_catalog.pg_get_triggerdef(g.oid)
               || CASE g.tgenabled WHEN 'O' THEN ''
                  ELSE pg_catalog.format(E';\nALTER TABLE %s %s TRIGGER %I', g.tgrelid::pg_catalog.regclass,
                           CASE g.tgenabled WHEN 'D' THEN 'DISABLE' WHEN 'R' THEN 'ENABLE REPLICA'
                                ELSE 'ENABLE ALWAYS' END, g.tgname) END,
           NULL, NULL,
           pg_catalog.format('DROP TRIGGER %I ON %s', g.tgname, g.tgrelid::pg_catalog.regclass),
           pg_catalog.format('TRIGGER %I ON %s', g.tgname, g.tgrelid::pg_catalog.regclass),
           pg_catalog.obj_description(g.oid, 'pg_trigger'), NULL
      FROM pg_catalog.pg_trigger g
      JOIN pg_catalog.pg_class r ON r.oid = g.tgrelid
      JOIN ns ON ns.oid = r.relnamespace
     WHERE NOT g.tgisinternal AND g.tgparentid = 0 AND r.relkind IN ('r', 'p', 'v')
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ext.objid = r.oid)
    UNION ALL
    -- views (replaced in place while their columns stay the same) and
    -- materialized views (created WITH DATA: populated, as a user expects
    -- a new one to be)
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, v.oid, 0),
           'pg_catalog.pg_rewrite'::pg_catalog.regclass, w.oid,
           CASE v.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END,
           pg_catalog.format('CREATE %sVIEW %s%s AS%s%s', CASE v.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END,
               v.oid::pg_catalog.regclass, ' WITH (' || pg_catalog.array_to_string(v.reloptions, ', ') || ')',
               pg_catalog.rtrim(pg_catalog.pg_get_viewdef(v.oid), ';'),
               CASE v.relkind WHEN 'm' THEN E'\n  WITH DATA' ELSE '' END),
           CASE v.relkind WHEN 'v' THEN pg_catalog.jsonb_build_array(pg_catalog.format('CREATE OR REPLACE VIEW %s%s AS%s',
               v.oid::pg_catalog.regclass, ' WITH (' || pg_catalog.array_to_string(v.reloptions, ', ') || ')',
               pg_catalog.rtrim(pg_catalog.pg_get_viewdef(v.oid), ';'))) END,
           CASE v.relkind WHEN 'v' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname::text) || ' '
                                                  || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                                           FROM pg_catalog.pg_attribute a
                                          WHERE a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped) END,
           pg_catalog.format('DROP %sVIEW %s', CASE v.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END,
               v.oid::pg_catalog.regclass),
           pg_catalog.format('%sVIEW %s', CASE v.relkind WHEN 'm' THEN 'MATERIALIZED ' ELSE '' END,
               v.oid::pg_catalog.regclass),
           pg_catalog.obj_description(v.oid, 'pg_class'), NULL
      FROM vw v
      JOIN pg_catalog.pg_rewrite w ON w.ev_class = v.oid AND w.rulename = '_RETURN'
    UNION ALL
    -- composite types (CREATE TYPE ... AS (...)): created before the
    -- tables and objects that use them; a change drops and creates the type
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0),
           'pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 'composite type',
           pg_catalog.format('CREATE TYPE %s AS (%s)', c.reltype::pg_catalog.regtype,
               (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname::text) || ' '
                           || pg_catalog.format_type(a.atttypid, a.atttypmod)
                           || CASE WHEN a.attcollation <> (SELECT b.typcollation FROM pg_catalog.pg_type b
                                                           WHERE b.oid = a.atttypid)
                                   THEN ' COLLATE ' || a.attcollation::pg_catalog.regcollation::text ELSE '' END,
                           ', ' ORDER BY a.attnum)
                  FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)),
           NULL, NULL,
           pg_catalog.format('DROP TYPE %s', c.reltype::pg_catalog.regtype),
           pg_catalog.format('TYPE %s', c.reltype::pg_catalog.regtype),
           pg_catalog.obj_description(c.reltype, 'pg_type'), NULL
      FROM pg_catalog.pg_class c, ns
     WHERE c.relnamespace = ns.oid AND c.relkind = 'c'
       AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND ext.objid = c.reltype)
    UNION ALL
    -- a comment on a column of a view or materialized view: an object of
    -- its own that depends on the view, set in place when it changes
    SELECT 'comment on ' || pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, v.oid, a.attnum),
           NULL, NULL, 'view column comment',
           pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', v.oid::pg_catalog.regclass, a.attname, ds.description),
           pg_catalog.jsonb_build_array(pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L',
               v.oid::pg_catalog.regclass, a.attname, ds.description)),
           '',
           pg_catalog.format('COMMENT ON COLUMN %s.%I IS NULL', v.oid::pg_catalog.regclass, a.attname),
           NULL, NULL,
           pg_catalog.jsonb_build_array(pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, v.oid, 0))
      FROM vw v
      JOIN pg_catalog.pg_description ds ON ds.objoid = v.oid
           AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ds.objsubid > 0
      JOIN pg_catalog.pg_attribute a ON a.attrelid = v.oid AND a.attnum = ds.objsubid
    UNION ALL
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid, 0),
           'pg_catalog.pg_class'::pg_catalog.regclass, i.indexrelid, 'index',
           pg_catalog.pg_get_indexdef(i.indexrelid), NULL, NULL,
           'DROP INDEX ' || i.indexrelid::pg_catalog.regclass::text,
           'INDEX ' || i.indexrelid::pg_catalog.regclass::text,
           pg_catalog.obj_description(i.indexrelid, 'pg_class'),
           pg_catalog.jsonb_build_array(pg_catalog.pg_describe_object(
               'pg_catalog.pg_class'::pg_catalog.regclass, i.indrelid, 0))
      FROM vw m
      JOIN pg_catalog.pg_index i ON i.indrelid = m.oid
     WHERE m.relkind = 'm'
)
SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'objects', COALESCE((SELECT pg_catalog.jsonb_object_agg(o.key, pg_catalog.jsonb_build_object(
        'kind', o.kind,
        'create', o.create_sql,
        'replace', o.replace_sql,
        'shape', o.shape,
        'drop', o.drop_sql,
        'target', o.target,
        'comment', o.comment,
        'depends', COALESCE((SELECT pg_catalog.jsonb_agg(DISTINCT r.key)
                               FROM refs r
                              WHERE r.classid = o.classid AND r.objid = o.objid AND r.key IS NOT NULL
                                AND r.key <> o.key), '[]')
                   || COALESCE(o.extra, '[]'))) FROM obj o), '{}'),
    'partitions', COALESCE((SELECT pg_catalog.jsonb_object_agg(r.relname, pg_catalog.jsonb_build_object(
        'partition_by', CASE WHEN r.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(r.oid) END,
        'partition_of', (SELECT p.relname::text FROM pg_catalog.pg_inherits h
                           JOIN pg_catalog.pg_class p ON p.oid = h.inhparent
                          WHERE h.inhrelid = r.oid AND r.relispartition),
        'bound', CASE WHEN r.relispartition THEN pg_catalog.pg_get_expr(r.relpartbound, r.oid) END,
        -- PostgreSQL 18 names a partition's NOT NULL constraints, and
        -- pg_dump prints the names (15 and 16 have no such rows)
        'not_null_names', CASE WHEN r.relispartition THEN
            (SELECT pg_catalog.jsonb_object_agg(a.attname, k.conname)
               FROM pg_catalog.pg_constraint k
               JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum = k.conkey[1]
              WHERE k.conrelid = r.oid AND k.contype = 'n') END))
      FROM pg_catalog.pg_class r, ns
     WHERE r.relnamespace = ns.oid AND (r.relkind = 'p' OR (r.relkind = 'r' AND r.relispartition))), '{}')))
