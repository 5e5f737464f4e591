//! Reads of PostgreSQL's own catalogs, through SPI and the server's parser.
//!
//! This is where the live database is asked what exists: enum types and
//! their values, the columns that use a type, and what a written type name
//! means. Nothing here changes anything.

use crate::enums::{ColumnUse, SwapFacts};
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
    let oid = type_oid(schema, name)?.ok_or_else(|| {
        MigrateError::new(
            code::UNKNOWN,
            format!("enum {} does not exist", qualified(schema, name)),
        )
    })?;
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
        // check constraints and indexes whose expressions name the type
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1) \
             SELECT DISTINCT k.conrelid::pg_catalog.regclass::text, k.conname::text, \
                    pg_catalog.pg_get_constraintdef(k.oid) \
               FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray) \
               JOIN pg_catalog.pg_constraint k ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass \
                    AND k.oid = d.objid AND k.contype = 'c' \
              ORDER BY 1, 2",
            None,
            &arg(),
        )?;
        for row in rows {
            facts.constraints.push((
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<String>(2)?.unwrap_or_default(),
                row.get::<String>(3)?.unwrap_or_default(),
            ));
        }
        let rows = c.select(
            "WITH t AS (SELECT oid, typarray FROM pg_catalog.pg_type WHERE oid = $1) \
             SELECT DISTINCT i.oid::pg_catalog.regclass::text, pg_catalog.pg_get_indexdef(i.oid) \
               FROM t JOIN pg_catalog.pg_depend d ON d.refobjid IN (t.oid, t.typarray) \
               JOIN pg_catalog.pg_class i ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                    AND i.oid = d.objid AND d.objsubid = 0 AND i.relkind = 'i' \
              WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.oid) \
              ORDER BY 1",
            None,
            &arg(),
        )?;
        for row in rows {
            facts.indexes.push((
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<String>(2)?.unwrap_or_default(),
            ));
        }
        facts.comment = c
            .select(
                "SELECT pg_catalog.obj_description($1, 'pg_type')",
                Some(1),
                &arg(),
            )?
            .first()
            .get(1)?;
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
                         AND EXISTS (SELECT 1 FROM pg_catalog.pg_class i WHERE i.oid = d.objid AND i.relkind = 'i')) \
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
    use crate::model::{Constraint, Index, Model, ModelColumn, Table};
    use crate::ops::{ConstraintKind, Identity, References};
    let mut m = Model::default();
    reading(|c| {
        let saved: Option<String> = c
            .select(
                "SELECT pg_catalog.current_setting('search_path')",
                Some(1),
                &[],
            )?
            .first()
            .get(1)?;
        c.select(
            "SELECT pg_catalog.set_config('search_path', 'pg_catalog', true)",
            None,
            &[],
        )?;
        let ns = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)";
        // plain tables (partitioned ones and partitions are listed as other)
        // objects an extension owns belong to the extension, not the schema
        let own = |catalog: &str, oid: &str| {
            format!(
                "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x \
                  WHERE x.classid = 'pg_catalog.{catalog}'::pg_catalog.regclass \
                    AND x.objid = {oid} AND x.deptype = 'e')"
            )
        };
        let tables = format!(
            "r.relnamespace = {ns} AND r.relkind = 'r' AND NOT r.relispartition AND {}",
            own("pg_class", "r.oid")
        );
        for row in c.select(
            &format!(
                "SELECT t.typname::text, ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                  WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
                   FROM pg_catalog.pg_type t WHERE t.typnamespace = {ns} AND t.typtype = 'e' AND {}",
                own("pg_type", "t.oid")
            ),
            None,
            &[schema.into()],
        )? {
            let name: String = row.get(1)?.unwrap_or_default();
            let values: Vec<Option<String>> = row.get(2)?.unwrap_or_default();
            m.enums.insert(name, values.into_iter().flatten().collect());
        }
        for row in c.select(
            &format!(
                "SELECT r.relname::text, pg_catalog.obj_description(r.oid, 'pg_class') \
                   FROM pg_catalog.pg_class r WHERE {tables}"
            ),
            None,
            &[schema.into()],
        )? {
            let name: String = row.get(1)?.unwrap_or_default();
            m.tables.insert(
                name,
                Table {
                    comment: row.get(2)?,
                    ..Table::default()
                },
            );
        }
        // a column whose default takes the next value of a sequence it owns,
        // under the name PostgreSQL gives a serial's sequence, is a serial
        for row in c.select(
            &format!(
                "SELECT r.relname::text, a.attname::text, \
                        CASE WHEN s.relname IS NOT NULL AND a.atttypid IN (21, 23, 20) \
                              AND s.relname = r.relname || '_' || a.attname || '_seq' \
                              AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) = \
                                  'nextval(' || pg_catalog.quote_literal(s.oid::pg_catalog.regclass::text) || '::regclass)' \
                             THEN CASE a.atttypid WHEN 21 THEN 'smallserial' WHEN 23 THEN 'serial' ELSE 'bigserial' END \
                        END, \
                        pg_catalog.format_type(a.atttypid, a.atttypmod), \
                        NOT a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid), \
                        a.attidentity::text, a.attgenerated::text, \
                        pg_catalog.col_description(a.attrelid, a.attnum) \
                   FROM pg_catalog.pg_class r \
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped \
                   LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
                   LEFT JOIN LATERAL (SELECT q.oid, q.relname FROM pg_catalog.pg_depend p \
                                        JOIN pg_catalog.pg_class q ON q.oid = p.objid AND q.relkind = 'S' \
                                       WHERE p.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                                         AND p.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
                                         AND p.refobjid = a.attrelid AND p.refobjsubid = a.attnum \
                                         AND p.deptype = 'a' LIMIT 1) s ON true \
                  WHERE {tables} \
                  ORDER BY r.relname, a.attnum"
            ),
            None,
            &[schema.into()],
        )? {
            let table: String = row.get(1)?.unwrap_or_default();
            let serial: Option<String> = row.get(3)?;
            let expr: Option<String> = row.get(6)?;
            let generated = row.get::<String>(8)?.as_deref() == Some("s");
            m.tables.entry(table).or_default().columns.push(ModelColumn {
                name: row.get(2)?.unwrap_or_default(),
                type_name: match &serial {
                    Some(s) => s.clone(),
                    None => row.get(4)?.unwrap_or_default(),
                },
                nullable: row.get(5)?.unwrap_or(true),
                default: if serial.is_some() || generated { None } else { expr.clone() },
                identity: match row.get::<String>(7)?.as_deref() {
                    Some("a") => Some(Identity::Always),
                    Some("d") => Some(Identity::ByDefault),
                    _ => None,
                },
                generated: if generated { expr } else { None },
                comment: row.get(9)?,
            });
        }
        for row in c.select(
            &format!(
                "SELECT r.relname::text, k.conname::text, k.contype::text, \
                        ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY u(n, o) \
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o), \
                        pg_catalog.pg_get_expr(k.conbin, k.conrelid), \
                        f.relname::text, fn.nspname::text, \
                        ARRAY(SELECT a.attname::text FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(n, o) \
                              JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o), \
                        k.confdeltype::text, k.confupdtype::text, k.condeferrable, k.condeferred, \
                        CASE WHEN NOT k.convalidated OR (k.contype = 'c' AND k.connoinherit) \
                                  OR (k.contype = 'f' AND (k.confmatchtype <> 's' OR k.confdelsetcols IS NOT NULL)) \
                                  OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indexrelid = k.conindid \
                                              AND (i.indnatts <> i.indnkeyatts OR i.indnullsnotdistinct)) \
                             THEN pg_catalog.pg_get_constraintdef(k.oid) END \
                   FROM pg_catalog.pg_constraint k \
                   JOIN pg_catalog.pg_class r ON r.oid = k.conrelid \
                   LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid \
                   LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace \
                  WHERE {tables} AND k.contype IN ('p', 'u', 'c', 'f')"
            ),
            None,
            &[schema.into()],
        )? {
            let table: String = row.get(1)?.unwrap_or_default();
            let name: String = row.get(2)?.unwrap_or_default();
            let kind = match row.get::<String>(3)?.as_deref() {
                Some("p") => ConstraintKind::PrimaryKey,
                Some("u") => ConstraintKind::Unique,
                Some("c") => ConstraintKind::Check,
                _ => ConstraintKind::ForeignKey,
            };
            let fk = kind == ConstraintKind::ForeignKey;
            let action = |code: Option<String>| -> Option<String> {
                match code.as_deref() {
                    Some("r") => Some("restrict".into()),
                    Some("c") => Some("cascade".into()),
                    Some("n") => Some("set null".into()),
                    Some("d") => Some("set default".into()),
                    _ => None,
                }
            };
            let columns: Vec<Option<String>> = row.get(4)?.unwrap_or_default();
            let fcolumns: Vec<Option<String>> = row.get(8)?.unwrap_or_default();
            let constraint = Constraint {
                kind,
                columns: if kind == ConstraintKind::Check {
                    vec![]
                } else {
                    columns.into_iter().flatten().collect()
                },
                expression: row.get(5)?,
                references: if fk {
                    Some(References {
                        schema: row.get(7)?,
                        table: row.get(6)?.unwrap_or_default(),
                        columns: fcolumns.into_iter().flatten().collect(),
                    })
                } else {
                    None
                },
                on_delete: if fk { action(row.get(9)?) } else { None },
                on_update: if fk { action(row.get(10)?) } else { None },
                deferrable: row.get(11)?.unwrap_or(false),
                initially_deferred: row.get(12)?.unwrap_or(false),
                definition: row.get(13)?,
            };
            m.tables.entry(table).or_default().constraints.insert(name, constraint);
        }
        // an index with more than keys, uniqueness, method and predicate
        // (orderings, operator classes, collations, INCLUDE, NULLS NOT
        // DISTINCT) keeps its whole definition
        for row in c.select(
            &format!(
                "SELECT r.relname::text, ic.relname::text, i.indisunique, am.amname::text, \
                        ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 \
                                          THEN '(' || pg_catalog.pg_get_indexdef(i.indexrelid, k, true) || ')' \
                                          ELSE (SELECT a.attname::text FROM pg_catalog.pg_attribute a \
                                                 WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]) END \
                                FROM pg_catalog.generate_series(1, i.indnkeyatts) k ORDER BY k), \
                        pg_catalog.pg_get_expr(i.indpred, i.indrelid), \
                        CASE WHEN i.indnatts <> i.indnkeyatts OR i.indnullsnotdistinct \
                                  OR EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indoption::pg_catalog.int2[]) o WHERE o <> 0) \
                                  OR EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indclass::pg_catalog.oid[]) oc \
                                               JOIN pg_catalog.pg_opclass c ON c.oid = oc WHERE NOT c.opcdefault) \
                                  OR EXISTS (SELECT 1 FROM ROWS FROM (pg_catalog.unnest(i.indcollation::pg_catalog.oid[]), pg_catalog.unnest(i.indkey::pg_catalog.int2[])) u(coll, att) \
                                              LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.att \
                                              WHERE u.coll <> 0 AND u.coll IS DISTINCT FROM a.attcollation \
                                                AND NOT (u.att = 0 AND u.coll = 100)) \
                             THEN pg_catalog.pg_get_indexdef(i.indexrelid) END \
                   FROM pg_catalog.pg_index i \
                   JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
                   JOIN pg_catalog.pg_class r ON r.oid = i.indrelid \
                   JOIN pg_catalog.pg_am am ON am.oid = ic.relam \
                  WHERE {tables} \
                    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid \
                                     AND k.conrelid = i.indrelid)"
            ),
            None,
            &[schema.into()],
        )? {
            let table: String = row.get(1)?.unwrap_or_default();
            let name: String = row.get(2)?.unwrap_or_default();
            let keys: Vec<Option<String>> = row.get(5)?.unwrap_or_default();
            m.tables.entry(table).or_default().indexes.insert(
                name,
                Index {
                    keys: keys.into_iter().flatten().collect(),
                    unique: row.get(3)?.unwrap_or(false),
                    method: row.get(4)?.unwrap_or_default(),
                    predicate: row.get(6)?,
                    definition: row.get(7)?,
                },
            );
        }
        // what the differ does not understand: views, partitioned tables,
        // sequences no column owns, domains, composite and range types,
        // functions, triggers, rules, policies, exclusion constraints and
        // columns with a collation of their own
        let describe = |catalog: &str, oid: &str, sub: &str| {
            format!(
                "pg_catalog.pg_describe_object('pg_catalog.{catalog}'::pg_catalog.regclass, {oid}, {sub})"
            )
        };
        for row in c.select(
            &format!(
                "SELECT {} FROM pg_catalog.pg_class r WHERE r.relnamespace = {ns} AND {} \
                    AND (r.relkind IN ('v', 'm', 'f', 'c', 'p') OR r.relispartition \
                         OR (r.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                              WHERE d.objid = r.oid AND d.deptype IN ('a', 'i')))) \
                 UNION ALL \
                 SELECT {} FROM pg_catalog.pg_type t WHERE t.typnamespace = {ns} AND {} \
                    AND t.typtype IN ('d', 'r', 'm') \
                 UNION ALL \
                 SELECT {} FROM pg_catalog.pg_proc p WHERE p.pronamespace = {ns} AND {} \
                 UNION ALL \
                 SELECT {} FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class r ON r.oid = g.tgrelid \
                  WHERE {tables} AND NOT g.tgisinternal \
                 UNION ALL \
                 SELECT {} FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class r ON r.oid = w.ev_class \
                  WHERE {tables} \
                 UNION ALL \
                 SELECT {} FROM pg_catalog.pg_policy y JOIN pg_catalog.pg_class r ON r.oid = y.polrelid \
                  WHERE {tables} \
                 UNION ALL \
                 SELECT {} FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class r ON r.oid = k.conrelid \
                  WHERE {tables} AND k.contype NOT IN ('p', 'u', 'c', 'f') AND NOT {not_null} \
                 UNION ALL \
                 SELECT 'inheritance of ' || {} FROM pg_catalog.pg_class r WHERE {tables} \
                    AND EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = r.oid) \
                 UNION ALL \
                 SELECT 'unlogged ' || {} FROM pg_catalog.pg_class r WHERE {tables} AND r.relpersistence = 'u' \
                 UNION ALL \
                 SELECT 'row level security of ' || {} FROM pg_catalog.pg_class r WHERE {tables} \
                    AND (r.relrowsecurity OR r.relforcerowsecurity) \
                 UNION ALL \
                 SELECT 'comment on ' || {} FROM pg_catalog.pg_index i \
                   JOIN pg_catalog.pg_class r ON r.oid = i.indrelid \
                  WHERE {tables} AND pg_catalog.obj_description(i.indexrelid, 'pg_class') IS NOT NULL \
                 UNION ALL \
                 SELECT 'comment on ' || {} FROM pg_catalog.pg_constraint k \
                   JOIN pg_catalog.pg_class r ON r.oid = k.conrelid \
                  WHERE {tables} AND pg_catalog.obj_description(k.oid, 'pg_constraint') IS NOT NULL \
                 UNION ALL \
                 SELECT 'comment on ' || {} FROM pg_catalog.pg_type t \
                  WHERE t.typnamespace = {ns} AND t.typtype = 'e' AND {} \
                    AND pg_catalog.obj_description(t.oid, 'pg_type') IS NOT NULL \
                 UNION ALL \
                 SELECT 'collation ' || pg_catalog.quote_ident(co.collname::text) || ' of ' || {} \
                   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class r ON r.oid = a.attrelid \
                   JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                   JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
                  WHERE {tables} AND a.attnum > 0 AND NOT a.attisdropped \
                    AND a.attcollation <> t.typcollation \
                 ORDER BY 1",
                describe("pg_class", "r.oid", "0"),
                own("pg_class", "r.oid"),
                describe("pg_type", "t.oid", "0"),
                own("pg_type", "t.oid"),
                describe("pg_proc", "p.oid", "0"),
                own("pg_proc", "p.oid"),
                describe("pg_trigger", "g.oid", "0"),
                describe("pg_rewrite", "w.oid", "0"),
                describe("pg_policy", "y.oid", "0"),
                describe("pg_constraint", "k.oid", "0"),
                describe("pg_class", "r.oid", "0"),
                describe("pg_class", "r.oid", "0"),
                describe("pg_class", "r.oid", "0"),
                describe("pg_class", "i.indexrelid", "0"),
                describe("pg_constraint", "k.oid", "0"),
                describe("pg_type", "t.oid", "0"),
                own("pg_type", "t.oid"),
                describe("pg_class", "r.oid", "a.attnum"),
                not_null = crate::compat::PLAIN_NOT_NULL_CONSTRAINT,
            ),
            None,
            &[schema.into()],
        )? {
            if let Some(o) = row.get::<String>(1)? {
                m.other.push(o);
            }
        }
        c.select(
            "SELECT pg_catalog.set_config('search_path', $1, true)",
            None,
            &[saved.unwrap_or_default().as_str().into()],
        )?;
        Ok(())
    })?;
    Ok(m)
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
