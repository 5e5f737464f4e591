-- What the enum type swap must carry over for the type $1 (an oid), and
-- what blocks it: one jsonb in the shape of src/enums.rs's SwapFacts
-- (serde) plus "blockers", read by catalog::swap_facts. Runnable in psql
-- (PREPARE swap_facts(oid) AS <this file>; EXECUTE swap_facts('mood'::regtype);)
-- under search_path = pg_catalog, pg_temp, which the engine sets while it
-- runs, so that tables and indexes print with their schema.
WITH t AS (
    SELECT oid, typarray, typowner, typacl, typnamespace FROM pg_catalog.pg_type WHERE oid = $1
), me AS (
    SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
), cols AS (
    -- every column of the type, in tables, views and partitions alike
    SELECT a.attrelid, a.attnum, a.attname, a.atttypid = t.typarray AS is_array,
           a.attinhcount, r.relkind, r.relispartition
      FROM t JOIN pg_catalog.pg_attribute a ON a.atttypid IN (t.oid, t.typarray)
      JOIN pg_catalog.pg_class r ON r.oid = a.attrelid
     WHERE a.attnum > 0 AND NOT a.attisdropped
), columns AS (
    -- columns of tables (not partitions or inherited copies, which
    -- follow their parent)
    SELECT c.attrelid::pg_catalog.regclass::text AS table_sql, c.attname::text AS column,
           c.is_array, pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_sql
      FROM cols c
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.attrelid AND d.adnum = c.attnum
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.attinhcount = 0
), constraints AS (
    -- check constraints whose expressions name the type: a table's own,
    -- not the copies partitions and children inherit (dropping and adding
    -- the parent's recurses to them); a parent's before a child's own
    -- copy, so it can be dropped once it is not inherited
    SELECT k.coninhcount, k.conrelid::pg_catalog.regclass::text AS table_sql, k.conname::text AS name,
           pg_catalog.pg_get_constraintdef(k.oid) AS def,
           pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment
      FROM pg_catalog.pg_constraint k
     WHERE k.contype = 'c' AND k.conrelid <> 0 AND k.conislocal
       AND EXISTS (SELECT 1 FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray)
                    WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid)
), foreign_keys AS (
    -- foreign keys between columns of the type: converting one side while
    -- the other keeps the old type breaks them, so they are carried over
    -- whole (a partitioned table's, not its partitions' clones)
    SELECT k.conrelid::pg_catalog.regclass::text AS table_sql, k.conname::text AS name,
           pg_catalog.pg_get_constraintdef(k.oid) AS def,
           pg_catalog.obj_description(k.oid, 'pg_constraint') AS comment
      FROM pg_catalog.pg_constraint k
     WHERE k.contype = 'f' AND k.conparentid = 0
       AND (EXISTS (SELECT 1 FROM cols WHERE cols.attrelid = k.conrelid AND cols.attnum = ANY (k.conkey))
         OR EXISTS (SELECT 1 FROM cols WHERE cols.attrelid = k.confrelid AND cols.attnum = ANY (k.confkey)))
), indexes AS (
    -- indexes whose expressions name the type, except those of
    -- constraints (rebuilt with their column) and a partitioned index's
    -- partitions (read with their parent, below)
    SELECT DISTINCT i.oid::pg_catalog.regclass::text AS name_sql, pg_catalog.pg_get_indexdef(i.oid) AS "create",
           pg_catalog.obj_description(i.oid, 'pg_class') AS comment, i.oid
      FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray)
      JOIN pg_catalog.pg_class i ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
           AND i.oid = d.objid AND d.objsubid = 0 AND i.relkind IN ('i', 'I')
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.oid)
       AND NOT i.relispartition
), blockers AS (
    -- everything else that depends on the type, and views over the
    -- columns the swap must change
    SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) AS what
      FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray)
     WHERE d.deptype <> 'i'
       AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid > 0
                AND (d.objid, d.objsubid) IN (SELECT attrelid, attnum FROM cols WHERE relkind IN ('r', 'p')))
       AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid > 0
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = d.objid AND r.relkind IN ('r', 'p')))
       AND NOT (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef ad JOIN cols
                             ON (ad.adrelid, ad.adnum) = (cols.attrelid, cols.attnum)
                            WHERE ad.oid = d.objid AND cols.relkind IN ('r', 'p')))
       AND NOT (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid AND k.contype = 'c'))
       AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_class i WHERE i.oid = d.objid AND i.relkind IN ('i', 'I')))
       AND NOT (d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.typarray)
    UNION
    SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, w.ev_class, 0)
      FROM cols JOIN pg_catalog.pg_depend d
        ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
       AND d.refobjid = cols.attrelid AND d.refobjsubid = cols.attnum
       AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass
      JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid
     WHERE cols.relkind IN ('r', 'p')
)
SELECT pg_catalog.jsonb_build_object(
    'columns', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.table_sql, c.column)
                           FROM columns c), '[]'),
    'constraints', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(k) - 'coninhcount'
                                                         ORDER BY k.coninhcount, k.table_sql, k.name)
                               FROM constraints k), '[]'),
    'foreign_keys', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(k) ORDER BY k.table_sql, k.name)
                                FROM foreign_keys k), '[]'),
    'indexes', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                    'name_sql', i.name_sql, 'create', i."create", 'comment', i.comment,
                                    -- a partitioned index's partitions' indexes, parents
                                    -- before their children
                                    'parts', COALESCE((
                                        WITH RECURSIVE p AS (
                                            SELECT h.inhrelid, h.inhparent, 1 AS depth
                                              FROM pg_catalog.pg_inherits h WHERE h.inhparent = i.oid
                                            UNION ALL
                                            SELECT h.inhrelid, h.inhparent, p.depth + 1
                                              FROM pg_catalog.pg_inherits h JOIN p ON h.inhparent = p.inhrelid)
                                        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                                   'name_sql', p.inhrelid::pg_catalog.regclass::text,
                                                   'parent_sql', p.inhparent::pg_catalog.regclass::text,
                                                   'create', pg_catalog.pg_get_indexdef(p.inhrelid),
                                                   'comment', pg_catalog.obj_description(p.inhrelid, 'pg_class'))
                                                 ORDER BY p.depth, p.inhrelid::pg_catalog.regclass::text)
                                          FROM p), '[]'))
                                 ORDER BY i.name_sql)
                            FROM indexes i), '[]'),
    'comment', (SELECT pg_catalog.obj_description(t.oid, 'pg_type') FROM t),
    -- the owner and access list, to give the new type exactly that; and
    -- who default privileges would give USAGE on a type the caller
    -- creates in the schema
    'access', (SELECT pg_catalog.jsonb_build_object(
                   'owner', pg_catalog.pg_get_userbyid(t.typowner)::text,
                   'new_owner', CASE WHEN t.typowner <> (SELECT oid FROM me)
                                     THEN pg_catalog.pg_get_userbyid(t.typowner)::text END,
                   'acl', CASE WHEN t.typacl IS NOT NULL THEN COALESCE((
                              SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                         'grantee', CASE WHEN a.grantee = 0 THEN NULL
                                                         ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END,
                                         'grantable', a.is_grantable) ORDER BY a.ordinality)
                                FROM pg_catalog.aclexplode(t.typacl) WITH ORDINALITY a), '[]') END,
                   'default_grantees', COALESCE((
                              SELECT pg_catalog.jsonb_agg(g.r ORDER BY g.r)
                                FROM (SELECT DISTINCT pg_catalog.pg_get_userbyid(a.grantee)::text AS r
                                        FROM pg_catalog.pg_default_acl d, pg_catalog.aclexplode(d.defaclacl) a
                                       WHERE d.defaclobjtype = 'T' AND a.grantee <> 0
                                         AND d.defaclrole = (SELECT oid FROM me)
                                         AND d.defaclnamespace IN (0, t.typnamespace)) g), '[]'))
                 FROM t),
    'blockers', COALESCE((SELECT pg_catalog.jsonb_agg(b.what ORDER BY b.what) FROM blockers b
                           WHERE b.what IS NOT NULL), '[]'))
