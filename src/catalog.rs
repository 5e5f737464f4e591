//! Reads of PostgreSQL's own catalogs, through SPI and the server's parser.
//!
//! This is where the live database is asked what exists: enum types and
//! their values, the columns that use a type, and what a written type name
//! means. Nothing here changes anything.

use crate::enums::{Access, Carried, CarriedIndex, ColumnUse, SwapFacts};
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

/// Everything the type swap must carry over, and what blocks it, read by
/// one query (sql/swap_facts.sql) that returns them as jsonb.
pub fn swap_facts(schema: Option<&str>, name: &str) -> Result<(SwapFacts, Vec<String>)> {
    #[derive(serde::Deserialize)]
    struct Read {
        columns: Vec<ColumnUse>,
        constraints: Vec<Carried>,
        foreign_keys: Vec<Carried>,
        indexes: Vec<CarriedIndex>,
        comment: Option<String>,
        access: Access,
        blockers: Vec<String>,
    }
    let ty = qualified(schema, name);
    let oid = type_oid(schema, name)?.ok_or_else(|| crate::enums::no_such_enum(&ty))?;
    let json = read_one::<pgrx::JsonB>(include_str!("../sql/swap_facts.sql"), &[oid.into()])?
        .ok_or_else(|| MigrateError::new(code::INTERNAL, "the swap facts query returned no row"))?;
    let read: Read = serde_json::from_value(json.0).map_err(|e| {
        MigrateError::new(
            code::INTERNAL,
            format!("what enum {ty}'s swap carries over could not be read: {e}"),
        )
    })?;
    let facts = SwapFacts {
        schema: schema.map(str::to_string),
        name: name.to_string(),
        columns: read.columns,
        constraints: read.constraints,
        foreign_keys: read.foreign_keys,
        indexes: read.indexes,
        comment: read.comment,
        access: read.access,
    };
    Ok((facts, read.blockers))
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
///
/// JIT compilation is off for the read: the query is big, and the
/// planner's cost for it grows with the catalogs' size (dead rows that
/// rolled-back scratch schemas leave included) past `jit_above_cost`,
/// where compiling it took over 2 s for a query that runs in 40 ms. The
/// model comes back as json text, parsed once (no jsonb, no
/// `serde_json::Value` in between).
///
/// The query is planned once per backend and the plan kept (a generic
/// plan: the schema is its only parameter), since planning it cost about
/// as much as a fifth of running it, and a diff reads two models;
/// PostgreSQL's plan cache plans it again when the catalogs' statistics or
/// the search_path it was planned under change.
pub fn model(schema: &str) -> Result<crate::model::Model> {
    // constants (a partition's bounds, defaults, view definitions) are
    // printed in the ISO style, which reads back the same whatever the
    // DateStyle of the session that runs the ops
    let (json, objects) = crate::shell::with_settings(
        &[
            ("DateStyle", "ISO"),
            ("IntervalStyle", "postgres"),
            ("search_path", "pg_catalog"),
            ("jit", "off"),
            ("plan_cache_mode", "force_generic_plan"),
        ],
        || read_model(schema),
    )?;
    let (Some(json), Some(objects)) = (json, objects) else {
        return Err(MigrateError::new(
            code::INTERNAL,
            "the schema model query returned no row",
        ));
    };
    let unreadable = |e: serde_json::Error| {
        MigrateError::new(
            code::INTERNAL,
            format!("the schema model of {schema} could not be read: {e}"),
        )
    };
    let model: crate::model::Model = serde_json::from_str(&json).map_err(unreadable)?;
    let extra: crate::model::Extra = serde_json::from_str(&objects).map_err(unreadable)?;
    Ok(model.with(extra))
}

const MODEL_QUERY: &str = concat!(
    "SELECT m::pg_catalog.text FROM (",
    include_str!("../sql/model.sql"),
    ") q(m)"
);

const OBJECTS_QUERY: &str = concat!(
    "SELECT m::pg_catalog.text FROM (",
    include_str!("../sql/model_objects.sql"),
    ") q(m)"
);

type Kept = std::cell::RefCell<Option<pgrx::spi::OwnedPreparedStatement>>;

thread_local! {
    /// The model queries' kept plans, once planned in this backend.
    static MODEL_PLAN: Kept = const { std::cell::RefCell::new(None) };
    static OBJECTS_PLAN: Kept = const { std::cell::RefCell::new(None) };
}

/// Run the model query and the objects query (each planned on first use)
/// for `schema`: their json texts.
fn read_model(schema: &str) -> Result<(Option<String>, Option<String>)> {
    Ok((
        read_kept(&MODEL_PLAN, MODEL_QUERY, schema)?,
        read_kept(&OBJECTS_PLAN, OBJECTS_QUERY, schema)?,
    ))
}

/// Run `query` with `schema` as its parameter, through the plan kept in
/// `slot` (planned on first use).
fn read_kept(
    slot: &'static std::thread::LocalKey<Kept>,
    query: &str,
    schema: &str,
) -> Result<Option<String>> {
    reading(|c| {
        slot.with(|kept| {
            if kept.borrow().is_none() {
                let plan = c
                    .prepare(query, &[pg_sys::PgOid::from(pg_sys::TEXTOID)])?
                    .keep();
                *kept.borrow_mut() = Some(plan);
            }
            // the plan stays where it is while it runs, whatever the run
            // raises (it is not freed under an executor that failed)
            let kept = kept.borrow();
            let Some(plan) = kept.as_ref() else {
                return Ok(None);
            };
            let rows = c.select(plan, None, &[schema.into()])?;
            if rows.is_empty() {
                Ok(None)
            } else {
                rows.first().get::<String>(1)
            }
        })
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
mod unit {
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

/// The catalog reader on tricky objects, in a running server (`cargo pgrx
/// test`).
#[cfg(feature = "pg_test")]
#[pgrx::pg_schema]
mod tests {
    use crate::model::Constraint;
    use crate::ops::{ConstraintKind, Identity};
    use crate::shell::write;
    use pgrx::prelude::*;

    /// Odd names, a serial, an identity, a generated column, an enum
    /// column with a default, a partial index and a foreign key between
    /// two tables come out as the differ expects them; a view is an
    /// object created from its own definition.
    #[pg_test]
    fn the_model_of_a_schema_with_odd_objects() {
        write(
            r#"CREATE SCHEMA "Odd ""s";
               CREATE TYPE "Odd ""s"."Mood" AS ENUM ('ok', 'it''s');
               CREATE TABLE "Odd ""s"."P" (id serial PRIMARY KEY);
               CREATE TABLE "Odd ""s".t (
                   n bigint GENERATED ALWAYS AS IDENTITY,
                   p int REFERENCES "Odd ""s"."P" ON DELETE CASCADE,
                   m "Odd ""s"."Mood" NOT NULL DEFAULT 'it''s',
                   twice int GENERATED ALWAYS AS (p * 2) STORED);
               COMMENT ON COLUMN "Odd ""s".t.m IS 'how it feels';
               CREATE INDEX "only ok" ON "Odd ""s".t (p) WHERE m = 'ok';
               CREATE VIEW "Odd ""s".v AS SELECT 1 AS one"#,
            &[],
        )
        .unwrap();
        let model = super::model("Odd \"s").unwrap();
        assert_eq!(model.enums["Mood"], vec!["ok", "it's"]);
        assert_eq!(model.tables["P"].columns[0].type_name, "serial");
        let t = &model.tables["t"];
        let column = |name: &str| t.columns.iter().find(|c| c.name == name).unwrap();
        assert_eq!(column("n").identity, Some(Identity::Always));
        assert_eq!(column("twice").generated.as_deref(), Some("(p * 2)"));
        assert_eq!(column("m").type_name, "\"Odd \"\"s\".\"Mood\"");
        assert!(!column("m").nullable);
        assert_eq!(column("m").comment.as_deref(), Some("how it feels"));
        let fk: Vec<&Constraint> = t
            .constraints
            .values()
            .filter(|k| k.kind == ConstraintKind::ForeignKey)
            .collect();
        assert_eq!(fk.len(), 1);
        assert_eq!(fk[0].on_delete.as_deref(), Some("cascade"));
        assert_eq!(fk[0].references.as_ref().unwrap().table, "P");
        let index = &t.indexes["only ok"];
        assert_eq!(index.keys, vec!["p"]);
        assert!(index.predicate.as_deref().unwrap_or("").contains("'ok'"));
        let view = model.objects.values().find(|o| o.kind == "view");
        assert!(
            view.is_some_and(|v| v.create.contains("SELECT 1 AS one")),
            "{:?}",
            model.objects
        );
    }
}
