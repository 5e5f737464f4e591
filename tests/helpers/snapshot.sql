-- snapshot(schema): the catalog of one schema as sorted text lines (types
-- with their values, columns with type, nullability, default, identity,
-- generation and comment, tables with comments, sequences with their
-- options, constraints, indexes, views, materialized views, partitions,
-- functions and triggers), to compare before an upgrade and after the matching
-- downgrade. Column order is left out: a dropped column comes back last.
CREATE FUNCTION snapshot(nsp text DEFAULT 'public') RETURNS text LANGUAGE sql STABLE AS $$
SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
    SELECT format('type %s %s %s', t.typname, t.typtype,
                  (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                     FROM pg_enum e WHERE e.enumtypid = t.oid))
      FROM pg_type t
     WHERE t.typnamespace = nsp::regnamespace AND t.typtype IN ('e', 'd')
    UNION ALL
    SELECT format('column %s.%s %s notnull=%s default=%s identity=%s generated=%s comment=%s',
                  c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                  col_description(c.oid, a.attnum))
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = nsp::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
       AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT format('relation %s %s comment=%s', c.relname, c.relkind, obj_description(c.oid, 'pg_class'))
      FROM pg_class c WHERE c.relnamespace = nsp::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
    UNION ALL
    -- NOT NULL is in the column lines (PostgreSQL 18 also stores it as a
    -- constraint, contype 'n')
    SELECT format('constraint %s.%s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace = nsp::regnamespace AND contype <> 'n'
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relnamespace = nsp::regnamespace
    UNION ALL
    SELECT format('view %s %s', viewname, definition) FROM pg_views WHERE schemaname = nsp
    UNION ALL
    SELECT format('matview %s %s', matviewname, definition) FROM pg_matviews WHERE schemaname = nsp
    UNION ALL
    SELECT format('sequence %s %s %s %s %s %s %s %s', c.relname, format_type(q.seqtypid, NULL), q.seqstart,
                  q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle)
      FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid WHERE c.relnamespace = nsp::regnamespace
    UNION ALL
    SELECT format('partition %s of %s %s', c.relname, i.inhparent::regclass, pg_get_expr(c.relpartbound, c.oid))
      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.relnamespace = nsp::regnamespace AND c.relispartition AND c.relkind IN ('r', 'p')
    UNION ALL
    SELECT format('routine %s comment=%s', CASE WHEN p.prokind = 'a' THEN p.oid::regprocedure::text
                                                ELSE pg_get_functiondef(p.oid) END,
                  obj_description(p.oid, 'pg_proc'))
      FROM pg_proc p WHERE p.pronamespace = nsp::regnamespace AND p.proname <> 'snapshot'
    UNION ALL
    SELECT format('trigger %s', pg_get_triggerdef(g.oid))
      FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
     WHERE c.relnamespace = nsp::regnamespace AND NOT g.tgisinternal
) s(line)
$$;
