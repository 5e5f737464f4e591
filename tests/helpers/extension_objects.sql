-- The objects of the extension migrate_ext, one sorted line each, to compare
-- a database whose extension was updated (ALTER EXTENSION ... UPDATE) with
-- one where it was created fresh: the extension row, its members and
-- configuration tables, and everything in the schema migrate (member or
-- not): relations with options, ACLs and comments; columns in order with
-- type, nullability, default, identity, generation, collation, ACL and
-- comment; constraints, indexes, triggers, sequences, rules, policies;
-- functions with their whole definition (body, volatility, SET clauses, ...),
-- owner, ACL and comment; types.
-- Run with: psql -X -At -f extension_objects.sql
WITH ext AS (SELECT * FROM pg_catalog.pg_extension WHERE extname = 'migrate_ext'),
nsp AS (SELECT * FROM pg_catalog.pg_namespace WHERE nspname = 'migrate'),
member AS (SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
            WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass
              AND d.refobjid = ext.oid AND d.deptype = 'e'),
rel AS (SELECT c.* FROM pg_catalog.pg_class c, nsp WHERE c.relnamespace = nsp.oid
        UNION
        SELECT c.* FROM pg_catalog.pg_class c JOIN member m
            ON m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND m.objid = c.oid),
fn AS (SELECT p.* FROM pg_catalog.pg_proc p, nsp WHERE p.pronamespace = nsp.oid
       UNION
       SELECT p.* FROM pg_catalog.pg_proc p JOIN member m
           ON m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid = p.oid),
is_member(classid, objid) AS (SELECT classid, objid FROM member)
SELECT line FROM (
    SELECT pg_catalog.format('extension %s version=%s relocatable=%s schema=%s owner=%s',
                             extname, extversion, extrelocatable, extnamespace::pg_catalog.regnamespace,
                             pg_catalog.pg_get_userbyid(extowner))
      FROM ext
    UNION ALL
    SELECT 'member ' || pg_catalog.pg_describe_object(classid, objid, 0) FROM member
    UNION ALL
    SELECT pg_catalog.format('config table %s condition=%L', c.tab::pg_catalog.regclass, c.cond)
      FROM ext, ROWS FROM (pg_catalog.unnest(ext.extconfig), pg_catalog.unnest(ext.extcondition)) c(tab, cond)
    UNION ALL
    SELECT pg_catalog.format('schema %s owner=%s acl=%s comment=%L', nspname,
                             pg_catalog.pg_get_userbyid(nspowner), nspacl,
                             pg_catalog.obj_description(nsp.oid, 'pg_namespace'))
      FROM nsp
    UNION ALL
    SELECT pg_catalog.format('relation %s kind=%s persistence=%s options=%s acl=%s owner=%s rls=%s,%s comment=%L member=%s',
                             r.oid::pg_catalog.regclass, r.relkind, r.relpersistence, r.reloptions, r.relacl,
                             pg_catalog.pg_get_userbyid(r.relowner), r.relrowsecurity, r.relforcerowsecurity,
                             pg_catalog.obj_description(r.oid, 'pg_class'),
                             EXISTS (SELECT 1 FROM is_member m WHERE m.objid = r.oid
                                      AND m.classid = 'pg_catalog.pg_class'::pg_catalog.regclass))
      FROM rel r
    UNION ALL
    SELECT pg_catalog.format('column %s #%s %I %s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%L',
                             r.oid::pg_catalog.regclass,
                             pg_catalog.row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
                             a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                             pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                             a.attcollation::pg_catalog.regcollation, a.attacl,
                             pg_catalog.col_description(r.oid, a.attnum))
      FROM rel r
      JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    UNION ALL
    SELECT pg_catalog.format('constraint %s %I %s comment=%L', r.oid::pg_catalog.regclass, k.conname,
                             pg_catalog.pg_get_constraintdef(k.oid),
                             pg_catalog.obj_description(k.oid, 'pg_constraint'))
      FROM rel r JOIN pg_catalog.pg_constraint k ON k.conrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('index %s comment=%L', pg_catalog.pg_get_indexdef(i.indexrelid),
                             pg_catalog.obj_description(i.indexrelid, 'pg_class'))
      FROM rel r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('trigger %s enabled=%s comment=%L', pg_catalog.pg_get_triggerdef(t.oid),
                             t.tgenabled, pg_catalog.obj_description(t.oid, 'pg_trigger'))
      FROM rel r JOIN pg_catalog.pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
    UNION ALL
    SELECT pg_catalog.format('sequence %s type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s owned_by=%s',
                             r.oid::pg_catalog.regclass, s.seqtypid::pg_catalog.regtype, s.seqstart,
                             s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                             (SELECT pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
                                FROM pg_catalog.pg_depend d
                               WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                 AND d.objid = r.oid AND d.deptype IN ('a', 'i')
                                 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass))
      FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format('rule %s', pg_catalog.pg_get_ruledef(w.oid))
      FROM rel r JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid
    UNION ALL
    SELECT pg_catalog.format('policy %s on %s cmd=%s permissive=%s roles=%s using=%s check=%s',
                             y.polname, r.oid::pg_catalog.regclass, y.polcmd, y.polpermissive, y.polroles,
                             pg_catalog.pg_get_expr(y.polqual, y.polrelid),
                             pg_catalog.pg_get_expr(y.polwithcheck, y.polrelid))
      FROM rel r JOIN pg_catalog.pg_policy y ON y.polrelid = r.oid
    UNION ALL
    SELECT pg_catalog.format(E'function %s kind=%s owner=%s acl=%s comment=%L member=%s\n%s',
                             f.oid::pg_catalog.regprocedure, f.prokind, pg_catalog.pg_get_userbyid(f.proowner),
                             f.proacl, pg_catalog.obj_description(f.oid, 'pg_proc'),
                             EXISTS (SELECT 1 FROM is_member m WHERE m.objid = f.oid
                                      AND m.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass),
                             CASE WHEN f.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(f.oid) END)
      FROM fn f
    UNION ALL
    SELECT pg_catalog.format('type %s kind=%s owner=%s acl=%s comment=%L values=%s domain=%s %s',
                             t.oid::pg_catalog.regtype, t.typtype, pg_catalog.pg_get_userbyid(t.typowner),
                             t.typacl, pg_catalog.obj_description(t.oid, 'pg_type'),
                             (SELECT pg_catalog.string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid),
                             pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull)
      FROM pg_catalog.pg_type t, nsp
     WHERE t.typnamespace = nsp.oid
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
       AND NOT (t.typcategory = 'A' AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e, pg_catalog.pg_class c
                                                 WHERE e.oid = t.typelem AND c.oid = e.typrelid AND c.relkind <> 'c'))
) s(line)
ORDER BY line;
