//! Recording downgrades: just before an upgrade op that changes or removes
//! a definition runs, read that definition from the catalog and turn it
//! into the ops that recreate it ([`crate::inverse`]).
//!
//! Objects are found as the op's own statement finds them (the caller's
//! search_path); their facts are read under the engine's search_path
//! (`pg_catalog`), so types, tables and functions in what is recorded are
//! schema-qualified and mean the same under any search_path later.

use crate::error::{code, MigrateError, Result};
use crate::inverse::{self, ColumnFacts, Dependent, EnumFacts, TableFacts};
use crate::ops::Op;
use crate::quote::qualified;
use crate::shell::{self, read_one};
use pgrx::pg_sys;
use serde::de::DeserializeOwned;

/// The ops that undo `op`, read from the catalog before it runs; empty
/// when what it changes does not exist (the op itself then fails, or, for
/// `drop_enum`'s IF EXISTS, does nothing). An object holding what the ops could not recreate (triggers,
/// policies, partitions...) is refused before anything is dropped.
pub fn record(op: &Op) -> Result<Vec<Op>> {
    match op {
        Op::DropColumn {
            schema,
            table,
            column,
        } => {
            let Some(rel) = oid_of("to_regclass", &qualified(schema.as_deref(), table))? else {
                return Ok(vec![]);
            };
            let Some(c) = column_facts(rel, column)? else {
                return Ok(vec![]);
            };
            refuse(&format!("column {}", c.object), &c.unsupported)?;
            Ok(inverse::drop_column(
                &c.schema,
                &c.table,
                &c.column,
                &c.dependents,
            ))
        }
        Op::AlterColumn(a) => {
            let Some(rel) = oid_of("to_regclass", &qualified(a.schema.as_deref(), &a.table))?
            else {
                return Ok(vec![]);
            };
            Ok(match column_facts(rel, &a.column)? {
                Some(c) => inverse::alter_column(a, &c.schema, &c.column),
                None => vec![],
            })
        }
        Op::DropTable { schema, name } => {
            let Some(rel) = oid_of("to_regclass", &qualified(schema.as_deref(), name))? else {
                return Ok(vec![]);
            };
            let Some((t, unsupported)) = table_facts(rel)? else {
                return Ok(vec![]);
            };
            refuse(
                &format!("table {}", qualified(Some(&t.schema), &t.name)),
                &unsupported,
            )?;
            Ok(inverse::drop_table(&t))
        }
        Op::DropIndex { schema, name, .. } => {
            let Some(index) = oid_of("to_regclass", &qualified(schema.as_deref(), name))? else {
                return Ok(vec![]);
            };
            Ok(match index_facts(index)? {
                Some(f) => inverse::drop_index(&f.schema, &f.table, &f.dependent),
                None => vec![],
            })
        }
        Op::DropConstraint {
            schema,
            table,
            name,
        } => {
            let Some(rel) = oid_of("to_regclass", &qualified(schema.as_deref(), table))? else {
                return Ok(vec![]);
            };
            Ok(match constraint_facts(rel, name)? {
                Some(f) => inverse::drop_constraint(&f.schema, &f.table, &f.dependent),
                None => vec![],
            })
        }
        Op::DropEnum { schema, name } => {
            let Some(ty) = oid_of("to_regtype", &qualified(schema.as_deref(), name))? else {
                return Ok(vec![]);
            };
            Ok(match enum_facts(ty)? {
                Some(e) => inverse::drop_enum(&e),
                None => vec![],
            })
        }
        Op::DropEnumValue { schema, name, .. } | Op::SetEnumValues { schema, name, .. } => {
            let Some(ty) = oid_of("to_regtype", &qualified(schema.as_deref(), name))? else {
                return Ok(vec![]);
            };
            Ok(match enum_facts(ty)? {
                Some(e) => inverse::enum_values(&e.schema, &e.name, &e.values),
                None => vec![],
            })
        }
        _ => Ok(vec![]),
    }
}

fn refuse(object: &str, unsupported: &[String]) -> Result<()> {
    if unsupported.is_empty() {
        Ok(())
    } else {
        Err(inverse::cannot_record(object, unsupported))
    }
}

/// The object a written name means under the caller's search_path, as the
/// op's statement will find it.
fn oid_of(function: &str, written: &str) -> Result<Option<pg_sys::Oid>> {
    let sql = format!("SELECT pg_catalog.{function}($1)::pg_catalog.oid");
    shell::as_caller(|| read_one::<pg_sys::Oid>(&sql, &[written.into()]))
}

/// One JSON value built by the server, read into `T`.
fn json_of<T: DeserializeOwned>(
    sql: &str,
    args: Vec<pgrx::datum::DatumWithOid>,
) -> Result<Option<T>> {
    let Some(text) = read_one::<String>(sql, &args)? else {
        return Ok(None);
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        MigrateError::new(
            code::INTERNAL,
            format!("the catalog facts for a recorded downgrade could not be read: {e}"),
        )
    })
}

/// The object of an ACL: its owner and, when set, the privileges it grants
/// to others (PUBLIC as null).
fn access_sql(acl: &str, owner: &str) -> String {
    format!(
        "pg_catalog.json_build_object('owner', pg_catalog.pg_get_userbyid({owner}), 'grants', \
           CASE WHEN {acl} IS NOT NULL THEN COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object( \
                    'grantee', CASE WHEN x.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(x.grantee) END, \
                    'privilege', x.privilege_type, 'grantable', x.is_grantable) ORDER BY x.n) \
               FROM pg_catalog.aclexplode({acl}) WITH ORDINALITY AS x(grantor, grantee, privilege_type, is_grantable, n) \
              WHERE x.grantee <> {owner}), '[]') END)"
    )
}

/// A column's facts as JSON, for `pg_attribute a` of `pg_class r`.
const COLUMN_JSON: &str = "pg_catalog.json_build_object( \
    'name', a.attname, \
    'type_name', pg_catalog.format_type(a.atttypid, a.atttypmod), \
    'serial', CASE WHEN s.relname IS NOT NULL AND a.atttypid IN (21, 23, 20) \
                    AND s.relname = r.relname || '_' || a.attname || '_seq' \
                    AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) = \
                        'nextval(' || pg_catalog.quote_literal(s.oid::pg_catalog.regclass::pg_catalog.text) || '::regclass)' \
               THEN CASE a.atttypid WHEN 21 THEN 'smallserial' WHEN 23 THEN 'serial' ELSE 'bigserial' END END, \
    'not_null', a.attnotnull, \
    'default', CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END, \
    'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END, \
    'generated', CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END, \
    'comment', pg_catalog.col_description(a.attrelid, a.attnum))";

/// What a column holds that an `add_column` could not give back.
const COLUMN_UNSUPPORTED: &str = "ARRAY( \
      SELECT 'its collation' WHERE a.attcollation <> ty.typcollation \
      UNION ALL SELECT 'column privileges' WHERE a.attacl IS NOT NULL \
      UNION ALL SELECT 'its default uses sequence ' || s.oid::pg_catalog.regclass::pg_catalog.text || ', which it owns' \
                 WHERE s.oid IS NOT NULL AND NOT (s.relname = r.relname || '_' || a.attname || '_seq' \
                   AND a.atttypid IN (21, 23, 20) \
                   AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) = \
                       'nextval(' || pg_catalog.quote_literal(s.oid::pg_catalog.regclass::pg_catalog.text) || '::regclass)'))";

/// The joins behind [`COLUMN_JSON`]: type, default and owned sequence.
const COLUMN_JOINS: &str = "JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid \
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    LEFT JOIN LATERAL (SELECT q.oid, q.relname FROM pg_catalog.pg_depend p \
                         JOIN pg_catalog.pg_class q ON q.oid = p.objid AND q.relkind = 'S' \
                        WHERE p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                          AND p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                          AND p.refobjid = a.attrelid AND p.refobjsubid = a.attnum \
                          AND p.deptype = 'a' LIMIT 1) s ON true";

/// The indexes and constraints of relation `r.oid` that depend on column
/// number `$2` (NULL: all of them), as a JSON array: constraints (keys
/// first, foreign keys last), then indexes that back no constraint.
const DEPENDENTS_JSON: &str = "COALESCE((SELECT pg_catalog.json_agg(x.o ORDER BY x.ord, x.name) FROM ( \
      SELECT pg_catalog.json_build_object('kind', 'constraint', 'name', k.conname, \
               'definition', pg_catalog.pg_get_constraintdef(k.oid), \
               'comment', pg_catalog.obj_description(k.oid, 'pg_constraint')) AS o, \
             pg_catalog.strpos('puxcf', k.contype::pg_catalog.text) AS ord, k.conname::pg_catalog.text AS name \
        FROM pg_catalog.pg_constraint k \
       WHERE k.conrelid = r.oid AND k.contype IN ('p', 'u', 'x', 'c', 'f') \
         AND ($2::pg_catalog.int2 IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend p \
              WHERE p.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND p.objid = k.oid \
                AND p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                AND p.refobjid = r.oid AND p.refobjsubid = $2)) \
      UNION ALL \
      SELECT pg_catalog.json_build_object('kind', 'index', 'name', c.relname, \
               'definition', pg_catalog.pg_get_indexdef(c.oid), \
               'comment', pg_catalog.obj_description(c.oid, 'pg_class')), 9, c.relname::pg_catalog.text \
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
       WHERE i.indrelid = r.oid \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend p \
              WHERE p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND p.objid = c.oid \
                AND p.refclassid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND p.deptype = 'i') \
         AND ($2::pg_catalog.int2 IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend p \
              WHERE p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND p.objid = c.oid \
                AND p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                AND p.refobjid = r.oid AND p.refobjsubid = $2)) \
    ) x), '[]')";

/// Objects that go with relation `r.oid` (column `$2`, or NULL for the
/// whole table) and that the recorded ops would not recreate: triggers,
/// rules, policies, statistics objects, sequences it owns that are not a
/// serial's or an identity's.
const OTHER_DEPENDENTS: &str = "ARRAY(SELECT pg_catalog.pg_describe_object(p.classid, p.objid, p.objsubid) \
      FROM pg_catalog.pg_depend p \
     WHERE p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND p.refobjid = r.oid \
       AND ($2::pg_catalog.int2 IS NULL OR p.refobjsubid = $2) AND p.deptype IN ('a', 'i') \
       AND p.classid NOT IN ('pg_catalog.pg_constraint'::pg_catalog.regclass, \
                             'pg_catalog.pg_attrdef'::pg_catalog.regclass, \
                             'pg_catalog.pg_type'::pg_catalog.regclass) \
       AND NOT (p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND EXISTS ( \
                SELECT 1 FROM pg_catalog.pg_class q WHERE q.oid = p.objid AND q.relkind IN ('i', 't', 'S'))) \
       AND NOT (p.classid = 'pg_catalog.pg_trigger'::pg_catalog.regclass AND EXISTS ( \
                SELECT 1 FROM pg_catalog.pg_trigger g WHERE g.oid = p.objid AND g.tgisinternal)) \
     ORDER BY 1)";

/// A column of a table, with what its drop takes along.
#[derive(serde::Deserialize)]
struct ColumnRead {
    schema: String,
    table: String,
    object: String,
    column: ColumnFacts,
    dependents: Vec<Dependent>,
    unsupported: Vec<String>,
}

fn column_facts(rel: pg_sys::Oid, column: &str) -> Result<Option<ColumnRead>> {
    let sql = format!(
        "SELECT pg_catalog.json_build_object('schema', n.nspname, 'table', r.relname, \
                'object', pg_catalog.format('%s.%I', r.oid::pg_catalog.regclass, a.attname), \
                'column', {COLUMN_JSON}, 'dependents', {DEPENDENTS_JSON}, \
                'unsupported', {COLUMN_UNSUPPORTED} || {OTHER_DEPENDENTS} || ARRAY( \
                    SELECT 'its table is partitioned, a partition, or in an inheritance tree' \
                     WHERE r.relkind <> 'r' OR r.relispartition OR EXISTS ( \
                           SELECT 1 FROM pg_catalog.pg_inherits h \
                            WHERE h.inhrelid = r.oid OR h.inhparent = r.oid)))::pg_catalog.text \
           FROM pg_catalog.pg_class r \
           JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
           JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 \
                AND NOT a.attisdropped AND a.attname = $3 \
           {COLUMN_JOINS} \
          WHERE r.oid = $1 AND $2::pg_catalog.int2 = a.attnum"
    );
    // $2 is the column's number; found first by name
    let attnum = read_one::<i16>(
        "SELECT attnum FROM pg_catalog.pg_attribute \
          WHERE attrelid = $1 AND attname = $2 AND attnum > 0 AND NOT attisdropped",
        &[rel.into(), column.into()],
    )?;
    let Some(attnum) = attnum else {
        return Ok(None);
    };
    json_of(&sql, vec![rel.into(), attnum.into(), column.into()])
}

fn table_facts(rel: pg_sys::Oid) -> Result<Option<(TableFacts, Vec<String>)>> {
    #[derive(serde::Deserialize)]
    struct Read {
        table: TableFacts,
        unsupported: Vec<String>,
    }
    let access = access_sql("r.relacl", "r.relowner");
    let sql = format!(
        "SELECT pg_catalog.json_build_object('table', pg_catalog.json_build_object( \
                  'schema', n.nspname, 'name', r.relname, \
                  'columns', COALESCE((SELECT pg_catalog.json_agg({COLUMN_JSON} ORDER BY a.attnum) \
                      FROM pg_catalog.pg_attribute a {COLUMN_JOINS} \
                     WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'), \
                  'dependents', {DEPENDENTS_JSON}, \
                  'comment', pg_catalog.obj_description(r.oid, 'pg_class'), \
                  'access', {access}), \
                'unsupported', ARRAY( \
                    SELECT 'it is partitioned' WHERE r.relkind = 'p' \
                    UNION ALL SELECT 'it is not a table' WHERE r.relkind NOT IN ('r', 'p') \
                    UNION ALL SELECT 'it is a partition' WHERE r.relispartition \
                    UNION ALL SELECT 'it inherits from or is inherited by another table' \
                     WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h \
                                    WHERE h.inhrelid = r.oid OR h.inhparent = r.oid) \
                    UNION ALL SELECT 'it is unlogged' WHERE r.relpersistence = 'u' \
                    UNION ALL SELECT 'its storage parameters' WHERE r.reloptions IS NOT NULL \
                    UNION ALL SELECT 'its tablespace' WHERE r.reltablespace <> 0 \
                    UNION ALL SELECT 'it is a typed table' WHERE r.reloftype <> 0 \
                    UNION ALL SELECT 'row level security' WHERE r.relrowsecurity OR r.relforcerowsecurity \
                    UNION ALL SELECT 'column ' || pg_catalog.quote_ident(a.attname) || ': ' || u \
                      FROM pg_catalog.pg_attribute a {COLUMN_JOINS}, \
                           pg_catalog.unnest({COLUMN_UNSUPPORTED}) AS u \
                     WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped) \
                  || {OTHER_DEPENDENTS})::pg_catalog.text \
           FROM pg_catalog.pg_class r \
           JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
          WHERE r.oid = $1 AND $2::pg_catalog.int2 IS NULL"
    );
    Ok(
        json_of::<Read>(&sql, vec![rel.into(), Option::<i16>::None.into()])?
            .map(|r| (r.table, r.unsupported)),
    )
}

/// An index or constraint with the table it belongs to.
#[derive(serde::Deserialize)]
struct DependentRead {
    schema: String,
    table: String,
    dependent: Dependent,
}

fn index_facts(index: pg_sys::Oid) -> Result<Option<DependentRead>> {
    json_of(
        "SELECT pg_catalog.json_build_object('schema', n.nspname, 'table', r.relname, \
                'dependent', pg_catalog.json_build_object('kind', 'index', 'name', c.relname, \
                    'definition', pg_catalog.pg_get_indexdef(c.oid), \
                    'comment', pg_catalog.obj_description(c.oid, 'pg_class')))::pg_catalog.text \
           FROM pg_catalog.pg_index i \
           JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
           JOIN pg_catalog.pg_class r ON r.oid = i.indrelid \
           JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
          WHERE i.indexrelid = $1",
        vec![index.into()],
    )
}

fn constraint_facts(rel: pg_sys::Oid, name: &str) -> Result<Option<DependentRead>> {
    json_of(
        "SELECT pg_catalog.json_build_object('schema', n.nspname, 'table', r.relname, \
                'dependent', pg_catalog.json_build_object('kind', 'constraint', 'name', k.conname, \
                    'definition', pg_catalog.pg_get_constraintdef(k.oid), \
                    'comment', pg_catalog.obj_description(k.oid, 'pg_constraint')))::pg_catalog.text \
           FROM pg_catalog.pg_constraint k \
           JOIN pg_catalog.pg_class r ON r.oid = k.conrelid \
           JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
          WHERE k.conrelid = $1 AND k.conname = $2",
        vec![rel.into(), name.into()],
    )
}

fn enum_facts(ty: pg_sys::Oid) -> Result<Option<EnumFacts>> {
    let access = access_sql("t.typacl", "t.typowner");
    json_of(
        &format!(
            "SELECT pg_catalog.json_build_object('schema', n.nspname, 'name', t.typname, \
                    'values', ARRAY(SELECT e.enumlabel::pg_catalog.text FROM pg_catalog.pg_enum e \
                                     WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder), \
                    'comment', pg_catalog.obj_description(t.oid, 'pg_type'), \
                    'access', {access})::pg_catalog.text \
               FROM pg_catalog.pg_type t \
               JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
              WHERE t.oid = $1 AND t.typtype = 'e'"
        ),
        vec![ty.into()],
    )
}
