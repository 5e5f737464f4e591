//! Reads of PostgreSQL's own catalogs, through SPI and the server's parser.
//!
//! This is where the live database is asked what exists: enum types and
//! their values, the columns that use a type, and what a written type name
//! means. Nothing here changes anything.

use crate::enums::{Access, Carried, CarriedIndex, ColumnUse, Grant, IndexPart, SwapFacts};
use crate::error::{code, MigrateError, Result};
use crate::quote::{ident, qualified};
use crate::shell::{self, read_one, reading};
use pgrx::prelude::*;
use std::ffi::CString;

/// A type found by name in one schema.
pub struct FoundType {
    /// `pg_type.typtype`: `e` for an enum.
    pub kind: String,
    /// The enum's values in order (empty for other kinds).
    pub values: Vec<String>,
}

/// The type `CREATE TYPE` of this name would clash with or duplicate: the
/// one in `schema`, or, without a schema, the one the search_path finds
/// (SQLAlchemy's `checkfirst` looks the same way).
pub fn existing_type(schema: Option<&str>, name: &str) -> Result<Option<FoundType>> {
    let Some(oid) = type_oid(schema, name)? else {
        return Ok(None);
    };
    reading(|c| {
        let t = c.select(
            "SELECT t.typtype::text, \
                    ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                          WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
               FROM pg_catalog.pg_type t WHERE t.oid = $1",
            Some(1),
            &[oid.into()],
        )?;
        if t.is_empty() {
            return Ok(None);
        }
        let first = t.first();
        let kind: Option<String> = first.get(1)?;
        let values: Option<Vec<Option<String>>> = first.get(2)?;
        Ok(Some(FoundType {
            kind: kind.unwrap_or_default(),
            values: values.unwrap_or_default().into_iter().flatten().collect(),
        }))
    })
}

/// The type a written name means under the caller's search_path (as
/// `CREATE TYPE`/`DROP TYPE` in an op would find it), if any.
fn type_oid(schema: Option<&str>, name: &str) -> Result<Option<pg_sys::Oid>> {
    let written = qualified(schema, name);
    shell::as_caller(|| {
        read_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regtype($1)::pg_catalog.oid",
            &[written.as_str().into()],
        )
    })
}

/// The type a `DROP TYPE` of this name would drop, with what still uses it:
/// columns (of tables, views and composite types) of the type or an array
/// of it, and domains over it.
pub struct TypeUse {
    pub kind: String,
    pub columns: Vec<String>,
}

pub fn type_uses(schema: Option<&str>, name: &str) -> Result<Option<TypeUse>> {
    let Some(oid) = type_oid(schema, name)? else {
        return Ok(None);
    };
    reading(|c| {
        let t = c.select(
            "SELECT t.typtype::text, \
                    ARRAY(SELECT pg_catalog.format('%s %s column %I', \
                                   CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' \
                                                  WHEN 'c' THEN 'type' ELSE 'table' END, \
                                   a.attrelid::pg_catalog.regclass, a.attname) \
                            FROM pg_catalog.pg_attribute a \
                            JOIN pg_catalog.pg_class r ON r.oid = a.attrelid \
                           WHERE a.atttypid IN (t.oid, t.typarray) AND a.attnum > 0 \
                             AND NOT a.attisdropped \
                           UNION ALL \
                          SELECT pg_catalog.format('domain %s', d.oid::pg_catalog.regtype) \
                            FROM pg_catalog.pg_type d \
                           WHERE d.typtype = 'd' AND d.typbasetype IN (t.oid, t.typarray) \
                           ORDER BY 1) \
               FROM pg_catalog.pg_type t WHERE t.oid = $1",
            Some(1),
            &[oid.into()],
        )?;
        if t.is_empty() {
            return Ok(None);
        }
        let first = t.first();
        let kind: Option<String> = first.get(1)?;
        let columns: Option<Vec<Option<String>>> = first.get(2)?;
        Ok(Some(TypeUse {
            kind: kind.unwrap_or_default(),
            columns: columns.unwrap_or_default().into_iter().flatten().collect(),
        }))
    })
}

/// Everything the type swap must carry over, and what blocks it.
pub fn swap_facts(schema: Option<&str>, name: &str) -> Result<(SwapFacts, Vec<String>)> {
    let oid = type_oid(schema, name)?
        .ok_or_else(|| crate::enums::no_such_enum(&qualified(schema, name)))?;
    let arg = || -> [pgrx::datum::DatumWithOid<'static>; 1] { [oid.into()] };
    let mut facts = SwapFacts {
        schema: schema.map(str::to_string),
        name: name.to_string(),
        ..SwapFacts::default()
    };
    let mut blockers = Vec::new();
    reading(|c| {
        // columns of tables (not partitions or inherited copies, which
        // follow their parent)
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1) \
             SELECT a.attrelid::pg_catalog.regclass::text, a.attname::text, a.atttypid = t.typarray, \
                    pg_catalog.pg_get_expr(d.adbin, d.adrelid) \
               FROM t JOIN pg_catalog.pg_attribute a ON a.atttypid IN (t.oid, t.typarray) \
               JOIN pg_catalog.pg_class r ON r.oid = a.attrelid \
               LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
              WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p') \
                AND NOT r.relispartition AND a.attinhcount = 0 \
              ORDER BY 1, 2",
            None,
            &arg(),
        )?;
        for row in rows {
            facts.columns.push(ColumnUse {
                table_sql: row.get::<String>(1)?.unwrap_or_default(),
                column: row.get::<String>(2)?.unwrap_or_default(),
                is_array: row.get::<bool>(3)?.unwrap_or(false),
                default_sql: row.get(4)?,
            });
        }
        // check constraints whose expressions name the type: a table's own,
        // not the copies partitions and children inherit (dropping and
        // adding the parent's recurses to them); a parent's before a
        // child's own copy, so it can be dropped once it is not inherited
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1) \
             SELECT k.conrelid::pg_catalog.regclass::text, k.conname::text, \
                    pg_catalog.pg_get_constraintdef(k.oid), \
                    pg_catalog.obj_description(k.oid, 'pg_constraint') \
               FROM pg_catalog.pg_constraint k \
              WHERE k.contype = 'c' AND k.conrelid <> 0 AND k.conislocal \
                AND EXISTS (SELECT 1 FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray) \
                             WHERE d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = k.oid) \
              ORDER BY k.coninhcount, 1, 2",
            None,
            &arg(),
        )?;
        for row in rows {
            facts.constraints.push(Carried {
                table_sql: row.get::<String>(1)?.unwrap_or_default(),
                name: row.get::<String>(2)?.unwrap_or_default(),
                def: row.get::<String>(3)?.unwrap_or_default(),
                comment: row.get(4)?,
            });
        }
        // foreign keys between columns of the type: converting one side
        // while the other keeps the old type breaks them, so they are
        // carried over whole (a partitioned table's, not its partitions'
        // clones)
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1), \
             cols AS (SELECT a.attrelid, a.attnum FROM t \
                        JOIN pg_catalog.pg_attribute a ON a.atttypid IN (t.oid, t.typarray) \
                       WHERE a.attnum > 0 AND NOT a.attisdropped) \
             SELECT k.conrelid::pg_catalog.regclass::text, k.conname::text, \
                    pg_catalog.pg_get_constraintdef(k.oid), \
                    pg_catalog.obj_description(k.oid, 'pg_constraint') \
               FROM pg_catalog.pg_constraint k \
              WHERE k.contype = 'f' AND k.conparentid = 0 \
                AND (EXISTS (SELECT 1 FROM cols WHERE cols.attrelid = k.conrelid AND cols.attnum = ANY (k.conkey)) \
                  OR EXISTS (SELECT 1 FROM cols WHERE cols.attrelid = k.confrelid AND cols.attnum = ANY (k.confkey))) \
              ORDER BY 1, 2",
            None,
            &arg(),
        )?;
        for row in rows {
            facts.foreign_keys.push(Carried {
                table_sql: row.get::<String>(1)?.unwrap_or_default(),
                name: row.get::<String>(2)?.unwrap_or_default(),
                def: row.get::<String>(3)?.unwrap_or_default(),
                comment: row.get(4)?,
            });
        }
        // indexes whose expressions name the type, except those of
        // constraints (rebuilt with their column) and a partitioned index's
        // partitions (read with their parent)
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1) \
             SELECT DISTINCT i.oid::pg_catalog.regclass::text, pg_catalog.pg_get_indexdef(i.oid), \
                    pg_catalog.obj_description(i.oid, 'pg_class'), i.oid \
               FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray) \
               JOIN pg_catalog.pg_class i ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                    AND i.oid = d.objid AND d.objsubid = 0 AND i.relkind IN ('i', 'I') \
              WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.oid) \
                AND NOT i.relispartition \
              ORDER BY 1",
            None,
            &arg(),
        )?;
        for row in rows {
            facts.indexes.push(CarriedIndex {
                name_sql: row.get::<String>(1)?.unwrap_or_default(),
                create: row.get::<String>(2)?.unwrap_or_default(),
                comment: row.get(3)?,
                parts: Vec::new(),
            });
            let index = row.get::<pg_sys::Oid>(4)?.unwrap_or(pg_sys::InvalidOid);
            let parts = c.select(
                "WITH RECURSIVE p AS ( \
                    SELECT h.inhrelid, h.inhparent, 1 AS depth FROM pg_catalog.pg_inherits h WHERE h.inhparent = $1 \
                    UNION ALL \
                    SELECT h.inhrelid, h.inhparent, p.depth + 1 FROM pg_catalog.pg_inherits h JOIN p ON h.inhparent = p.inhrelid) \
                 SELECT p.inhrelid::pg_catalog.regclass::text, p.inhparent::pg_catalog.regclass::text, \
                        pg_catalog.pg_get_indexdef(p.inhrelid), pg_catalog.obj_description(p.inhrelid, 'pg_class') \
                   FROM p ORDER BY p.depth, 1",
                None,
                &[index.into()],
            )?;
            let mut list = Vec::new();
            for part in parts {
                list.push(IndexPart {
                    name_sql: part.get::<String>(1)?.unwrap_or_default(),
                    parent_sql: part.get::<String>(2)?.unwrap_or_default(),
                    create: part.get::<String>(3)?.unwrap_or_default(),
                    comment: part.get(4)?,
                });
            }
            if let Some(i) = facts.indexes.last_mut() {
                i.parts = list;
            }
        }
        facts.comment = c
            .select(
                "SELECT pg_catalog.obj_description($1, 'pg_type')",
                Some(1),
                &arg(),
            )?
            .first()
            .get(1)?;
        facts.access = type_access(c, oid)?;
        // everything else that depends on the type, and views over the
        // columns the swap must change
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1), \
             cols AS ( \
                SELECT a.attrelid, a.attnum FROM t \
                  JOIN pg_catalog.pg_attribute a ON a.atttypid IN (t.oid, t.typarray) \
                  JOIN pg_catalog.pg_class r ON r.oid = a.attrelid \
                 WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p')) \
             SELECT DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) \
               FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray) \
              WHERE d.deptype <> 'i' \
                AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid > 0 \
                         AND (d.objid, d.objsubid) IN (SELECT attrelid, attnum FROM cols)) \
                AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid > 0 \
                         AND EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = d.objid AND r.relkind IN ('r', 'p'))) \
                AND NOT (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass \
                         AND EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef ad JOIN cols \
                                      ON (ad.adrelid, ad.adnum) = (cols.attrelid, cols.attnum) WHERE ad.oid = d.objid)) \
                AND NOT (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass \
                         AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid AND k.contype = 'c')) \
                AND NOT (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0 \
                         AND EXISTS (SELECT 1 FROM pg_catalog.pg_class i WHERE i.oid = d.objid AND i.relkind IN ('i', 'I'))) \
                AND NOT (d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.typarray) \
             UNION \
             SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, w.ev_class, 0) \
               FROM cols JOIN pg_catalog.pg_depend d \
                 ON d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                AND d.refobjid = cols.attrelid AND d.refobjsubid = cols.attnum \
                AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
               JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid \
              ORDER BY 1",
            None,
            &arg(),
        )?;
        for row in rows {
            if let Some(b) = row.get::<String>(1)? {
                blockers.push(b);
            }
        }
        Ok(())
    })?;
    Ok((facts, blockers))
}

/// The type's owner and access list, and who default privileges would
/// give USAGE on a type the caller creates in its schema.
fn type_access(c: &pgrx::spi::SpiClient<'_>, oid: pg_sys::Oid) -> pgrx::spi::Result<Access> {
    let args: [pgrx::datum::DatumWithOid<'static>; 1] = [oid.into()];
    let mut access = Access::default();
    let row = c
        .select(
            "SELECT pg_catalog.pg_get_userbyid(t.typowner)::text, \
                    t.typowner <> (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), \
                    t.typacl IS NULL \
               FROM pg_catalog.pg_type t WHERE t.oid = $1",
            Some(1),
            &args,
        )?
        .first()
        .get_three::<String, bool, bool>()?;
    access.owner = row.0.unwrap_or_default();
    if row.1.unwrap_or(false) {
        access.new_owner = Some(access.owner.clone());
    }
    if !row.2.unwrap_or(true) {
        let rows = c.select(
            "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, \
                    a.is_grantable \
               FROM pg_catalog.pg_type t, pg_catalog.aclexplode(t.typacl) WITH ORDINALITY a \
              WHERE t.oid = $1 ORDER BY a.ordinality",
            None,
            &args,
        )?;
        let mut grants = Vec::new();
        for row in rows {
            grants.push(Grant {
                grantee: row.get(1)?,
                grantable: row.get::<bool>(2)?.unwrap_or(false),
            });
        }
        access.acl = Some(grants);
    }
    let rows = c.select(
        "SELECT DISTINCT pg_catalog.pg_get_userbyid(a.grantee)::text \
           FROM pg_catalog.pg_type t, pg_catalog.pg_default_acl d, pg_catalog.aclexplode(d.defaclacl) a \
          WHERE t.oid = $1 AND d.defaclobjtype = 'T' AND a.grantee <> 0 \
            AND d.defaclrole = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) \
            AND d.defaclnamespace IN (0, t.typnamespace) \
          ORDER BY 1",
        None,
        &args,
    )?;
    for row in rows {
        if let Some(r) = row.get::<String>(1)? {
            access.default_grantees.push(r);
        }
    }
    Ok(access)
}

/// The values of enums that this transaction added with `ADD VALUE` and
/// that PostgreSQL therefore refuses to use before commit (55P04): per
/// type, its schema, name and those values.
pub fn unusable_values() -> Result<Vec<(String, String, Vec<String>)>> {
    // only rows written since this transaction began can be uncommitted;
    // PostgreSQL's own list then says which of them are
    let rows: Vec<(pg_sys::Oid, String, String, String)> = reading(|c| {
        let rows = c.select(
            "WITH x AS (SELECT (pg_catalog.pg_current_xact_id_if_assigned()::text::numeric % 4294967296)::text::xid AS top) \
             SELECT e.oid, n.nspname::text, t.typname::text, e.enumlabel::text \
               FROM x, pg_catalog.pg_enum e \
               JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid \
               JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
              WHERE x.top IS NOT NULL AND pg_catalog.age(e.xmin) <= pg_catalog.age(x.top) \
              ORDER BY n.nspname, t.typname, e.enumsortorder",
            None,
            &[],
        )?;
        let mut out = Vec::new();
        for row in rows {
            out.push((
                row.get::<pg_sys::Oid>(1)?.unwrap_or(pg_sys::InvalidOid),
                row.get::<String>(2)?.unwrap_or_default(),
                row.get::<String>(3)?.unwrap_or_default(),
                row.get::<String>(4)?.unwrap_or_default(),
            ));
        }
        Ok(out)
    })?;
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for (oid, schema, name, value) in rows {
        // SAFETY: a lookup in this backend's list of enum values added in
        // the current transaction; it reads nothing else and cannot fail.
        if !unsafe { pg_sys::EnumUncommitted(oid) } {
            continue;
        }
        match out.last_mut() {
            Some((s, n, values)) if *s == schema && *n == name => values.push(value),
            _ => out.push((schema, name, vec![value])),
        }
    }
    Ok(out)
}

/// How many rows hold one of `values`, per column (only columns that do).
pub fn rows_holding(columns: &[ColumnUse], values: &[String]) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for c in columns {
        let col = ident(&c.column);
        let cond = if c.is_array {
            format!("{col}::text[] && $1")
        } else {
            format!("{col}::text = ANY ($1)")
        };
        let n = read_one::<i64>(
            &format!("SELECT count(*) FROM {} WHERE {cond}", c.table_sql),
            &[values.to_vec().into()],
        )?
        .unwrap_or(0);
        if n > 0 {
            out.push((format!("{}.{}", c.table_sql, col), n));
        }
    }
    Ok(out)
}

/// Check that a written type is exactly one type name (PostgreSQL's own
/// type-name parser, the one behind `::type`) and that the type exists under
/// the current search_path.
pub fn check_type(written: &str) -> Result<()> {
    if crate::ops::is_serial(written) || type_exists(written)? {
        return Ok(());
    }
    let mut err = MigrateError::new(code::UNKNOWN, format!("type \"{written}\" does not exist"));
    err = match quoted_fallback(written) {
        Some(quoted) if type_exists(&quoted)? => err.with_hint(format!(
            "Unquoted names fold to lower case: write {quoted} (JSON: {}) for the type named with capitals.",
            serde_json::Value::String(quoted.clone())
        )),
        _ => err.with_hint(
            "Create the type before the column that uses it (create_enum first); \
             type names are looked up with the current search_path.",
        ),
    };
    Err(err)
}

/// An index's `method` must be an index access method: PostgreSQL itself
/// fails with an internal error for a table access method (`heap`).
pub fn check_index_method(method: &str) -> Result<()> {
    let kind = read_one::<String>(
        "SELECT amtype::pg_catalog.text FROM pg_catalog.pg_am WHERE amname = $1",
        &[method.into()],
    )?;
    match kind.as_deref() {
        Some("i") | None => Ok(()),
        Some(_) => Err(MigrateError::new(
            code::WRONG_KIND,
            format!("access method \"{method}\" is not an index access method"),
        )
        .with_hint("An index is built with btree, hash, gist, gin, spgist, brin or an extension's index method.")),
    }
}

/// `MyEnum` -> `"MyEnum"`, `MyEnum[]` -> `"MyEnum"[]`, for a plain name
/// with capitals; anything else has no quoted reading.
pub fn quoted_fallback(written: &str) -> Option<String> {
    let base = written.trim_end_matches("[]");
    let plain = !base.is_empty()
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !base.starts_with(|c: char| c.is_ascii_digit() || c == '$');
    if plain && base.chars().any(|c| c.is_ascii_uppercase()) {
        Some(format!("{}{}", ident(base), &written[base.len()..]))
    } else {
        None
    }
}

/// `parseTypeString`: the parser behind `::type` casts, which refuses
/// anything but one type name. True when the type exists.
fn type_exists(written: &str) -> Result<bool> {
    let c = CString::new(written)
        .map_err(|_| MigrateError::invalid("a type name must not contain a NUL character"))?;
    let mut oid = pg_sys::InvalidOid;
    let mut typmod: i32 = -1;
    // A name that does not parse as one type name raises a syntax error,
    // reported as such below.
    let parsed = shell::as_caller(|| {
        PgTryBuilder::new(std::panic::AssertUnwindSafe(|| {
            // SAFETY: a backend inside the caller's transaction, and the
            // PgTryBuilder around this catches what the parser raises; `c`
            // is a valid C string, `oid` and `typmod` are live locals.
            unsafe { crate::compat::parse_type_string(&c, &mut oid, &mut typmod) };
            Ok(())
        }))
        .catch_when(PgSqlErrorCode::ERRCODE_SYNTAX_ERROR, |e| {
            let why = match &e {
                pgrx::pg_sys::panic::CaughtError::PostgresError(r) => r.message().to_string(),
                _ => String::from("syntax error"),
            };
            Err(MigrateError::new(
                code::SYNTAX,
                format!("invalid type name \"{written}\": {why}"),
            )
            .with_hint("A type is written as in SQL: integer, varchar(20), text[], my_enum."))
        })
        .execute()
    });
    parsed?;
    Ok(oid != pg_sys::InvalidOid)
}

/// The live schema `schema` as the differ's model. Types and expressions
/// are printed with only pg_catalog on the search_path, so names outside
/// pg_catalog come out schema-qualified (`public.mood`): the ops made from
/// the model then work whatever the search_path is when they run.
pub fn model(schema: &str) -> Result<crate::model::Model> {
    let json = crate::shell::with_search_path("pg_catalog", || {
        read_one::<pgrx::JsonB>(include_str!("../sql/model.sql"), &[schema.into()])
    })?
    .ok_or_else(|| MigrateError::new(code::INTERNAL, "the schema model query returned no row"))?;
    serde_json::from_value(json.0).map_err(|e| {
        MigrateError::new(
            code::INTERNAL,
            format!("the schema model of {schema} could not be read: {e}"),
        )
    })
}

/// What `migrate.lint()` needs to know about the tables and indexes the
/// planned ops name, as they write them (`"t"`, `"s"."t"`). Each name is
/// resolved as the op's SQL would resolve it, under the caller's
/// search_path, and passed as a parameter, never spliced into SQL; the
/// rest is read under the engine's own search_path. Names the catalog does
/// not know now are left out.
pub fn lint_facts(tables: &[String], indexes: &[String]) -> Result<crate::lint::Facts> {
    use crate::lint::{CheckFacts, ColumnFacts, TableFacts};
    #[derive(serde::Deserialize)]
    struct Raw {
        name: String,
        rows: f64,
        heap_bytes: i64,
        total_bytes: i64,
        columns: Option<Vec<(String, String, bool)>>,
        checks: Option<Vec<(String, bool, String)>>,
    }
    let mut facts = crate::lint::Facts::default();
    for written in tables {
        let Some(oid) = relation_oid(written)? else {
            continue;
        };
        let Some(text) = read_one::<String>(
            "SELECT pg_catalog.json_build_object( \
                    'name', pg_catalog.format('%I.%I', n.nspname, c.relname), \
                    'rows', c.reltuples, \
                    'heap_bytes', pg_catalog.pg_relation_size(c.oid), \
                    'total_bytes', pg_catalog.pg_total_relation_size(c.oid), \
                    'columns', (SELECT pg_catalog.json_agg(pg_catalog.json_build_array( \
                                       a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), \
                                       a.attnotnull) ORDER BY a.attnum) \
                                  FROM pg_catalog.pg_attribute a \
                                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), \
                    'checks', (SELECT pg_catalog.json_agg(pg_catalog.json_build_array( \
                                      k.conname, k.convalidated, pg_catalog.pg_get_constraintdef(k.oid)) \
                                      ORDER BY k.conname) \
                                 FROM pg_catalog.pg_constraint k \
                                WHERE k.conrelid = c.oid AND k.contype = 'c'))::pg_catalog.text \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.oid = $1",
            &[oid.into()],
        )?
        else {
            continue;
        };
        let raw: Raw = serde_json::from_str(&text).map_err(|e| {
            MigrateError::new(
                code::INTERNAL,
                format!("the facts about {written} could not be read: {e}"),
            )
        })?;
        facts.tables.insert(
            written.clone(),
            TableFacts {
                name: raw.name,
                rows: raw.rows,
                heap_bytes: raw.heap_bytes,
                total_bytes: raw.total_bytes,
                columns: raw
                    .columns
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, type_name, not_null)| {
                        (
                            name,
                            ColumnFacts {
                                type_name,
                                not_null,
                            },
                        )
                    })
                    .collect(),
                checks: raw
                    .checks
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, validated, definition)| CheckFacts {
                        name,
                        validated,
                        definition,
                    })
                    .collect(),
            },
        );
    }
    for written in indexes {
        let Some(oid) = relation_oid(written)? else {
            continue;
        };
        if let Some(table) = read_one::<String>(
            "SELECT pg_catalog.format('%I.%I', n.nspname, t.relname) \
               FROM pg_catalog.pg_index i \
               JOIN pg_catalog.pg_class t ON t.oid = i.indrelid \
               JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
              WHERE i.indexrelid = $1",
            &[oid.into()],
        )? {
            facts.index_tables.insert(written.clone(), table);
        }
    }
    Ok(facts)
}

/// The relation a written name (`"t"`, `"s"."t"`) means under the
/// caller's search_path, if any.
fn relation_oid(written: &str) -> Result<Option<pg_sys::Oid>> {
    shell::as_caller(|| {
        read_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid",
            &[written.into()],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::quoted_fallback;

    #[test]
    fn fallback_quotes_plain_mixed_case_names_only() {
        assert_eq!(quoted_fallback("MyEnum").as_deref(), Some("\"MyEnum\""));
        assert_eq!(quoted_fallback("MyEnum[]").as_deref(), Some("\"MyEnum\"[]"));
        assert_eq!(quoted_fallback("my_enum"), None);
        assert_eq!(quoted_fallback("varchar(20)"), None);
        assert_eq!(quoted_fallback("x; DROP"), None);
        assert_eq!(quoted_fallback("1A"), None);
    }
}
