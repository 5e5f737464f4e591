//! The one error type of the extension.
//!
//! Every failure a user can cause becomes a [`MigrateError`]: a SQLSTATE, a
//! message that names the revision and op where there is one, and an optional
//! detail and hint. The pure core builds these values; only [`MigrateError::raise`]
//! (called by the thin shell) hands them to PostgreSQL.

use pgrx::PgSqlErrorCode;
use std::fmt;

pub type Result<T> = std::result::Result<T, MigrateError>;

/// The SQLSTATEs this extension raises itself. PostgreSQL's own errors keep
/// their code; see `docs/errors.md` for the table users read.
pub mod code {
    use pgrx::PgSqlErrorCode as C;
    /// Malformed ops, revision ids, targets or arguments.
    pub const INVALID: C = C::ERRCODE_INVALID_PARAMETER_VALUE; // 22023
    /// A NULL where a value is needed (a target, an upgrade, a desired schema).
    pub const NULL: C = C::ERRCODE_NULL_VALUE_NOT_ALLOWED; // 22004
    /// A revision, type or object that does not exist.
    pub const UNKNOWN: C = C::ERRCODE_UNDEFINED_OBJECT; // 42704
    /// A prefix that matches several revisions.
    pub const AMBIGUOUS: C = C::ERRCODE_AMBIGUOUS_ALIAS; // 42P09
    /// Several heads (or current revisions) where exactly one is needed.
    pub const SEVERAL: C = C::ERRCODE_CARDINALITY_VIOLATION; // 21000
    /// A relative target that walks past base or past head.
    pub const OUT_OF_RANGE: C = C::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE; // 22003
    /// An op that cannot be inverted, with no explicit downgrade.
    pub const NO_DOWNGRADE: C = C::ERRCODE_FEATURE_NOT_SUPPORTED; // 0A000
    /// A parent or dependency that is not stored.
    pub const UNKNOWN_PARENT: C = C::ERRCODE_FOREIGN_KEY_VIOLATION; // 23503
    /// A cycle in the revision graph; changing an applied revision.
    pub const GRAPH: C = C::ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION; // 23000
    /// A revision id that is already stored.
    pub const DUPLICATE: C = C::ERRCODE_UNIQUE_VIOLATION; // 23505
    /// An object that already exists in an incompatible shape.
    pub const EXISTS: C = C::ERRCODE_DUPLICATE_OBJECT; // 42710
    /// An object of the wrong kind (a table where an enum is expected...).
    pub const WRONG_KIND: C = C::ERRCODE_WRONG_OBJECT_TYPE; // 42809
    /// Something still uses the object to be dropped.
    pub const IN_USE: C = C::ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST; // 2BP01
    /// A desired schema statement that defines no schema object, or names
    /// an object of another schema.
    pub const NOT_SCHEMA: C = C::ERRCODE_FEATURE_NOT_SUPPORTED; // 0A000
    /// A difference autogenerate does not turn into ops (a table's
    /// partitioning changes).
    pub const CANNOT_DIFF: C = C::ERRCODE_FEATURE_NOT_SUPPORTED; // 0A000
    /// `migrate.check`: the live schema differs from the desired one.
    pub const DIFFERS: C = C::ERRCODE_INVALID_SCHEMA_DEFINITION; // 42P15
    /// Not in the state the call needs: autogenerate not at head, a
    /// drifted history, a state-changing call from inside a migration.
    pub const NOT_READY: C = C::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE; // 55000
    /// Rows still hold an enum value that is to be removed.
    pub const HELD: C = C::ERRCODE_OBJECT_IN_USE; // 55006
    /// A function that writes, on a hot standby or in a read-only
    /// transaction.
    pub const READ_ONLY: C = C::ERRCODE_READ_ONLY_SQL_TRANSACTION; // 25006
    /// BEGIN, COMMIT or ROLLBACK inside an op.
    pub const TRANSACTION_CONTROL: C = C::ERRCODE_INVALID_TRANSACTION_TERMINATION; // 2D000
    /// COPY to or from the client inside an op.
    pub const NO_COPY: C = C::ERRCODE_FEATURE_NOT_SUPPORTED; // 0A000
    /// A schema that does not exist.
    pub const NO_SCHEMA: C = C::ERRCODE_INVALID_SCHEMA_NAME; // 3F000
    /// A type name that does not parse as one type name.
    pub const SYNTAX: C = C::ERRCODE_SYNTAX_ERROR; // 42601
    /// No background worker for a concurrent index build.
    pub const NO_WORKER: C = C::ERRCODE_INSUFFICIENT_RESOURCES; // 53000
    /// A concurrent index op inside a transaction (migrate.upgrade).
    pub const IN_TRANSACTION: C = C::ERRCODE_ACTIVE_SQL_TRANSACTION; // 25001
    /// A lock not granted within `migrate.lock_timeout`, retries spent.
    pub const LOCK_TIMEOUT: C = C::ERRCODE_LOCK_NOT_AVAILABLE; // 55P03
    /// A bug: an internal failure that no input should cause.
    pub const INTERNAL: C = C::ERRCODE_INTERNAL_ERROR; // XX000
}

#[derive(Debug, Clone, PartialEq)]
pub struct MigrateError {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// A SQLSTATE pgrx has no name for (a user's own
    /// `RAISE ... USING ERRCODE = 'MG001'` in an op), packed as PostgreSQL
    /// packs it; `code` is then `XX000` and this one is raised.
    pub raw_code: Option<i32>,
}

impl MigrateError {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> Self {
        MigrateError {
            code,
            message: message.into(),
            detail: None,
            hint: None,
            raw_code: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(code::INVALID, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Prefix the message with where it happened, e.g.
    /// `revision 1a2b3c, op 2 (add_column): ...`.
    pub fn context(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }

    /// The five-character SQLSTATE, for tests and messages.
    pub fn sqlstate(&self) -> String {
        match self.raw_code {
            Some(raw) => unpack(raw as isize),
            None => sqlstate_of(self.code),
        }
    }

    /// Hand the error to PostgreSQL as an ERROR. Never returns.
    pub fn raise(self) -> ! {
        if let Some(raw) = self.raw_code {
            raise_raw(
                raw,
                &self.message,
                self.detail.as_deref(),
                self.hint.as_deref(),
            );
        }
        let mut report =
            pgrx::pg_sys::panic::ErrorReport::new(self.code, self.message, "migrate_ext");
        if let Some(d) = self.detail {
            report = report.set_detail(d);
        }
        if let Some(h) = self.hint {
            report = report.set_hint(h);
        }
        report.report(pgrx::PgLogLevel::ERROR);
        unreachable!("ERROR-level report returned")
    }
}

impl fmt::Display for MigrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.sqlstate())
    }
}

/// Decode PostgreSQL's packed SQLSTATE (six bits per character).
pub fn sqlstate_of(code: PgSqlErrorCode) -> String {
    unpack(code as isize)
}

/// Raise an ERROR with a SQLSTATE that pgrx's error type cannot carry, the
/// way pgrx raises its own: errstart, the fields, errfinish, which does not
/// return. Called last, with nothing left to drop but the strings, which
/// are copied into PostgreSQL's memory first.
fn raise_raw(code: i32, message: &str, detail: Option<&str>, hint: Option<&str>) -> ! {
    use std::ffi::{c_char, c_int, CString};
    unsafe extern "C-unwind" {
        fn errstart(elevel: c_int, domain: *const c_char) -> bool;
        fn errcode(sqlerrcode: c_int) -> c_int;
        fn errmsg_internal(fmt: *const c_char, ...) -> c_int;
        fn errdetail_internal(fmt: *const c_char, ...) -> c_int;
        fn errhint(fmt: *const c_char, ...) -> c_int;
        fn errfinish(filename: *const c_char, lineno: c_int, funcname: *const c_char);
    }
    let pg = |s: &str| -> *mut c_char {
        let c = CString::new(s.replace('\0', "")).unwrap_or_default();
        // SAFETY: pstrdup copies the string into CurrentMemoryContext,
        // which PostgreSQL frees with the aborted transaction.
        unsafe { pgrx::pg_sys::pstrdup(c.as_ptr()) }
    };
    let (message, detail, hint) = (pg(message), detail.map(pg), hint.map(pg));
    let percent_s = c"%s".as_ptr();
    // SAFETY: PostgreSQL's ereport protocol with valid C strings; errfinish
    // at ERROR longjmps to the caller's error handler and never returns.
    unsafe {
        if errstart(pgrx::PgLogLevel::ERROR as c_int, std::ptr::null()) {
            errcode(code);
            errmsg_internal(percent_s, message);
            if let Some(d) = detail {
                errdetail_internal(percent_s, d);
            }
            if let Some(h) = hint {
                errhint(percent_s, h);
            }
            errfinish(c"migrate_ext".as_ptr(), 0, c"migrate_ext".as_ptr());
        }
    }
    unreachable!("ERROR-level report returned")
}

pub fn unpack(code: isize) -> String {
    let mut n = code;
    let mut s = String::with_capacity(5);
    for _ in 0..5 {
        s.push(char::from((n & 0x3f) as u8 + b'0'));
        n >>= 6;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_decode() {
        assert_eq!(sqlstate_of(code::INVALID), "22023");
        assert_eq!(sqlstate_of(code::UNKNOWN), "42704");
        assert_eq!(sqlstate_of(code::AMBIGUOUS), "42P09");
        assert_eq!(sqlstate_of(code::SEVERAL), "21000");
        assert_eq!(sqlstate_of(code::IN_USE), "2BP01");
        assert_eq!(sqlstate_of(code::NO_DOWNGRADE), "0A000");
    }

    /// Every SQLSTATE the extension raises itself -- each constant of
    /// `code` (read from this file, so a new one cannot be missed) and
    /// each `ERRCODE` of the hand-written SQL -- is in docs/errors.md, and
    /// each constant's trailing comment is its real SQLSTATE.
    #[test]
    fn every_raised_sqlstate_is_documented() {
        let docs = include_str!("../docs/errors.md");
        let source = include_str!("error.rs");
        let module = &source[source.find("pub mod code {").unwrap()..];
        let module = &module[..module.find("\n}\n").unwrap()];
        let mut seen = 0;
        for line in module.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("pub const ") else {
                continue;
            };
            let name = &rest[..rest.find(':').unwrap()];
            let claimed = line.rsplit("// ").next().unwrap();
            let real = sqlstate_of(by_name(name));
            assert_eq!(real, claimed, "code::{name}");
            assert!(
                docs.contains(&format!("`{real}`")),
                "code::{name} ({real}) is not in docs/errors.md"
            );
            seen += 1;
        }
        assert!(seen >= 20, "read {seen} constants");
        for sql in [
            include_str!("../sql/functions.sql"),
            include_str!("../sql/tables.sql"),
        ] {
            for part in sql.split("ERRCODE = '").skip(1) {
                let state = &part[..5];
                assert!(
                    docs.contains(&format!("`{state}`")),
                    "{state} (sql/) is not in docs/errors.md"
                );
            }
        }
    }

    fn by_name(name: &str) -> PgSqlErrorCode {
        match name {
            "INVALID" => code::INVALID,
            "NULL" => code::NULL,
            "UNKNOWN" => code::UNKNOWN,
            "AMBIGUOUS" => code::AMBIGUOUS,
            "SEVERAL" => code::SEVERAL,
            "OUT_OF_RANGE" => code::OUT_OF_RANGE,
            "NO_DOWNGRADE" => code::NO_DOWNGRADE,
            "UNKNOWN_PARENT" => code::UNKNOWN_PARENT,
            "GRAPH" => code::GRAPH,
            "DUPLICATE" => code::DUPLICATE,
            "EXISTS" => code::EXISTS,
            "WRONG_KIND" => code::WRONG_KIND,
            "IN_USE" => code::IN_USE,
            "NOT_SCHEMA" => code::NOT_SCHEMA,
            "CANNOT_DIFF" => code::CANNOT_DIFF,
            "DIFFERS" => code::DIFFERS,
            "NOT_READY" => code::NOT_READY,
            "HELD" => code::HELD,
            "READ_ONLY" => code::READ_ONLY,
            "TRANSACTION_CONTROL" => code::TRANSACTION_CONTROL,
            "NO_COPY" => code::NO_COPY,
            "NO_SCHEMA" => code::NO_SCHEMA,
            "SYNTAX" => code::SYNTAX,
            "NO_WORKER" => code::NO_WORKER,
            "IN_TRANSACTION" => code::IN_TRANSACTION,
            "LOCK_TIMEOUT" => code::LOCK_TIMEOUT,
            "INTERNAL" => code::INTERNAL,
            other => panic!("code::{other} is not listed in this test's by_name"),
        }
    }

    #[test]
    fn context_prefixes_message() {
        let e = MigrateError::invalid("bad").context("revision abc, op 1 (execute)");
        assert_eq!(e.message, "revision abc, op 1 (execute): bad");
        assert_eq!(e.sqlstate(), "22023");
    }
}
