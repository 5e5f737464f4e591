//! Reads of PostgreSQL's own catalogs, through SPI and the server's parser.
//!
//! This is where the live database is asked what exists: enum types and
//! their values, the columns that use a type, and what a written type name
//! means. Nothing here changes anything.

use crate::error::{code, MigrateError, Result};
use crate::quote::{ident, qualified};
use pgrx::prelude::*;
use std::ffi::CString;

/// Turn an SPI failure into our error type (these are internal failures,
/// not user mistakes: SPI raises PostgreSQL errors for those).
pub fn spi<T>(r: std::result::Result<T, pgrx::spi::Error>) -> Result<T> {
    r.map_err(|e| {
        MigrateError::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("SPI failed: {e}"),
        )
    })
}

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
    let written = qualified(schema, name);
    let row = Spi::connect_mut(|c| {
        let t = c.update(
            "SELECT t.typtype::text, \
                    ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e \
                          WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) \
               FROM pg_catalog.pg_type t WHERE t.oid = pg_catalog.to_regtype($1)",
            Some(1),
            &[written.as_str().into()],
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
    });
    spi(row)
}

/// The type a `DROP TYPE` of this name would drop, with what still uses it:
/// columns (of tables, views and composite types) of the type or an array
/// of it, and domains over it.
pub struct TypeUse {
    pub kind: String,
    pub columns: Vec<String>,
}

pub fn type_uses(schema: Option<&str>, name: &str) -> Result<Option<TypeUse>> {
    let written = qualified(schema, name);
    let row = Spi::connect_mut(|c| {
        let t = c.update(
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
               FROM pg_catalog.pg_type t WHERE t.oid = pg_catalog.to_regtype($1)",
            Some(1),
            &[written.as_str().into()],
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
    });
    spi(row)
}

/// Check that a written type is exactly one type name (PostgreSQL's own
/// type-name parser, the one behind `::type`) and that the type exists under
/// the current search_path.
pub fn check_type(written: &str) -> Result<()> {
    if type_exists(written)? {
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
    // SAFETY: valid C string and out-pointers. A name that does not parse
    // as one type name raises a syntax error, reported as such below.
    let parsed = PgTryBuilder::new(std::panic::AssertUnwindSafe(|| unsafe {
        pg_sys::parseTypeString(c.as_ptr(), &mut oid, &mut typmod, true);
        Ok(())
    }))
    .catch_when(PgSqlErrorCode::ERRCODE_SYNTAX_ERROR, |e| {
        let why = match &e {
            pgrx::pg_sys::panic::CaughtError::PostgresError(r) => r.message().to_string(),
            _ => String::from("syntax error"),
        };
        Err(MigrateError::new(
            PgSqlErrorCode::ERRCODE_SYNTAX_ERROR,
            format!("invalid type name \"{written}\": {why}"),
        )
        .with_hint("A type is written as in SQL: integer, varchar(20), text[], my_enum."))
    })
    .execute();
    parsed?;
    Ok(oid != pg_sys::InvalidOid)
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
