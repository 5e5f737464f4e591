//! The boundary between the extension and PostgreSQL.
//!
//! Every SQL function enters through [`entry`]. It
//! - refuses, up front and with one clear line, what cannot work here: a
//!   function that writes, on a hot standby or in a read-only transaction
//!   (25006), and a function that changes migration state from inside a
//!   running migration (55000);
//! - runs the engine's own SQL with `search_path = pg_catalog, pg_temp`, so
//!   that nothing a caller's search_path finds first (a function or an
//!   operator planted in `public`) can run with the caller's rights; the
//!   user's own SQL (ops, desired schemas) runs under the caller's
//!   search_path again through [`as_caller`];
//! - catches every PostgreSQL error and every panic inside, and raises it
//!   as PostgreSQL's own SQLSTATE, message, detail and hint: no Rust
//!   backtrace or panic text ever reaches a client.
//!
//! SPI goes through [`read`]/[`reading`] (read-only SPI, which works on a hot
//! standby) and [`write`] (statements that change something).

use crate::error::{code, MigrateError, Result};
use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiTupleTable};
use std::cell::{Cell, RefCell};
use std::ffi::{CStr, CString};

/// What a SQL function needs from the transaction it runs in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: works on a hot standby and in read-only transactions.
    Read,
    /// Changes nothing that lasts, but evaluates DDL in a rolled-back
    /// subtransaction (diff, check): needs a writable transaction.
    Scratch,
    /// Changes the migration state (revisions, version, schema): needs a
    /// writable transaction, and is refused inside a running migration.
    Write,
}

/// The search_path the engine's own statements run under.
const ENGINE_PATH: &str = "pg_catalog, pg_temp";

thread_local! {
    /// The search_path of the outermost caller, for its own SQL.
    static CALLER_PATH: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Set while upgrade or downgrade runs ops (user SQL).
    static MIGRATING: Cell<bool> = const { Cell::new(false) };
}

/// Run the body of the SQL function `function` (e.g. `migrate.upgrade`) and
/// return its value, or raise its error in PostgreSQL.
pub fn entry<T>(function: &str, access: Access, f: impl FnOnce() -> Result<T>) -> T {
    match enter(function, access, f) {
        Ok(v) => v,
        Err(e) => e.raise(),
    }
}

/// What [`entry`] does, returning the error instead of raising it: for a
/// procedure, which enters once per transaction it runs.
pub fn enter<T>(function: &str, access: Access, f: impl FnOnce() -> Result<T>) -> Result<T> {
    if access != Access::Read {
        refuse_read_only(function, access)?;
    }
    if access == Access::Write && MIGRATING.with(Cell::get) {
        let call = if function.starts_with("migrate.") {
            format!("call {function}")
        } else {
            format!("make {function}")
        };
        return Err(MigrateError::new(
            code::NOT_READY,
            format!("cannot {call} from inside a migration"),
        )
        .with_hint(
            "An op of a running upgrade or downgrade may not change the migration state; \
             call it after the run.",
        ));
    }
    let caller = current_search_path();
    CALLER_PATH.with(|p| p.borrow_mut().push(caller));
    let outcome = caught(|| with_search_path(ENGINE_PATH, f));
    CALLER_PATH.with(|p| p.borrow_mut().pop());
    outcome
}

/// 25006 for a function that needs to write, on a standby or in a
/// read-only transaction.
fn refuse_read_only(function: &str, access: Access) -> Result<()> {
    // SAFETY: plain reads of the server's state for this backend.
    let (recovery, read_only) = unsafe { (pg_sys::RecoveryInProgress(), pg_sys::XactReadOnly) };
    if !recovery && !read_only {
        return Ok(());
    }
    let what = match access {
        Access::Scratch => "evaluates the desired schema in a scratch schema, which",
        _ => "changes the database, which",
    };
    let (message, hint) = if recovery {
        (
            format!("{function} cannot run on a hot standby"),
            format!("{function} {what} needs the primary; the read-only functions (current, heads, history, show, sql, lint, verify, model) work here."),
        )
    } else {
        (
            format!("{function} cannot run in a read-only transaction"),
            format!("{function} {what} needs a read-write transaction (not BEGIN READ ONLY, not default_transaction_read_only)."),
        )
    };
    Err(MigrateError::new(code::READ_ONLY, message).with_hint(hint))
}

/// Mark the time `f` runs ops (user SQL) of an upgrade or downgrade: the
/// functions that change migration state refuse to run meanwhile.
pub fn migrating<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            MIGRATING.with(|m| m.set(self.0));
        }
    }
    let _reset = Reset(MIGRATING.with(|m| m.replace(true)));
    f()
}

/// Run `f` (the user's own SQL) under the caller's search_path.
pub fn as_caller<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let path = CALLER_PATH.with(|p| p.borrow().last().cloned());
    match path {
        Some(path) => with_search_path(&path, f),
        None => f(),
    }
}

/// The caller's search_path, as `SET search_path` would take it.
pub fn caller_search_path() -> String {
    CALLER_PATH
        .with(|p| p.borrow().last().cloned())
        .unwrap_or_else(current_search_path)
}

fn current_search_path() -> String {
    // SAFETY: search_path always exists; the value is copied at once.
    unsafe {
        let value = pg_sys::GetConfigOption(c"search_path".as_ptr(), false, false);
        if value.is_null() {
            String::new()
        } else {
            CStr::from_ptr(value).to_string_lossy().into_owned()
        }
    }
}

/// Run `f` with `search_path` set to `path`, as a function's
/// `SET search_path` clause does (see [`with_setting`]).
pub fn with_search_path<T>(path: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    with_setting("search_path", path, f)
}

/// Run `f` with the setting `name` at `value`, as a function's `SET`
/// clause does: a GUC nest level, closed again when `f` returns, fails, or
/// a PostgreSQL error unwinds through it, so levels always close in the
/// order they opened.
pub fn with_setting<T>(name: &str, value: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    with_settings(&[(name, value)], f)
}

/// Run `f` with each setting `(name, value)` set, as a function's `SET`
/// clauses do: one GUC nest level for them all (see [`with_setting`]).
pub fn with_settings<T>(settings: &[(&str, &str)], f: impl FnOnce() -> Result<T>) -> Result<T> {
    struct Level(i32);
    impl Drop for Level {
        fn drop(&mut self) {
            // SAFETY: closes the level opened below, and any level opened
            // inside it that an error left open; inner levels close first,
            // since they are dropped first.
            unsafe { pg_sys::AtEOXact_GUC(true, self.0) };
        }
    }
    let settings = settings
        .iter()
        .map(|(name, value)| {
            let name = CString::new(*name).map_err(|_| {
                MigrateError::invalid("a setting name must not contain a NUL character")
            })?;
            let value = CString::new(*value)
                .map_err(|_| MigrateError::invalid("a setting must not contain a NUL character"))?;
            Ok((name, value))
        })
        .collect::<Result<Vec<_>>>()?;
    // What fmgr_security_definer does for a SET clause: a new nest level,
    // the values saved at that level.
    // SAFETY: opens a GUC nest level, closed by `Level`'s drop.
    let _level = Level(unsafe { pg_sys::NewGUCNestLevel() });
    for (name, value) in &settings {
        // SAFETY: NUL-terminated name and value that outlive the call;
        // saved at the level just opened, so closing it restores the old
        // value.
        unsafe {
            pg_sys::set_config_option(
                name.as_ptr(),
                value.as_ptr(),
                pg_sys::GucContext::PGC_USERSET,
                pg_sys::GucSource::PGC_S_SESSION,
                pg_sys::GucAction::GUC_ACTION_SAVE,
                true,
                0,
                false,
            )
        };
    }
    f()
}

/// Run `f` in a subtransaction: kept when `f` succeeds, rolled back (and
/// its error returned) when it fails. A PostgreSQL error inside is caught
/// before the rollback, so the caller's transaction goes on.
pub fn subtransaction<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    in_subtransaction(true, f)
}

/// Run `f` in a subtransaction that is always rolled back.
pub fn rolled_back<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    in_subtransaction(false, f)
}

fn in_subtransaction<T>(keep: bool, f: impl FnOnce() -> Result<T>) -> Result<T> {
    // What PL/pgSQL does for a block with an EXCEPTION clause: the memory
    // context and resource owner of the caller are restored after the
    // subtransaction ends, whichever way.
    // SAFETY: plain reads of two backend globals.
    let (context, owner) = unsafe { (pg_sys::CurrentMemoryContext, pg_sys::CurrentResourceOwner) };
    // SAFETY: a plain call; whether the transaction has an id (has written).
    let wrote = unsafe { pg_sys::GetTopTransactionIdIfAny() } != pg_sys::InvalidTransactionId;
    // SAFETY: we run inside a transaction (a SQL function's call), which is
    // what BeginInternalSubTransaction needs; ended below, exactly once.
    unsafe { pg_sys::BeginInternalSubTransaction(std::ptr::null()) };
    // SAFETY: puts back the caller's context (live: it belongs to the
    // transaction), so that what `f` allocates outlives the subtransaction.
    unsafe { pg_sys::CurrentMemoryContext = context };
    // read-only SPI (`read`) sees what earlier commands did only once the
    // (sub)transaction it runs in has an id: give the subtransaction one
    // when the transaction has written already
    if wrote {
        // SAFETY: assigns the open subtransaction an id.
        unsafe { pg_sys::GetCurrentTransactionId() };
    }
    let outcome = caught(f);
    // `caught` has turned any error into `outcome`: end the subtransaction
    // begun above, exactly once.
    if keep && outcome.is_ok() {
        // SAFETY: the subtransaction begun above is the current one.
        unsafe { pg_sys::ReleaseCurrentSubTransaction() };
    } else {
        // SAFETY: as above.
        unsafe { pg_sys::RollbackAndReleaseCurrentSubTransaction() };
    }
    // SAFETY: the caller's context and owner, read above, outlive the
    // subtransaction.
    unsafe { pg_sys::CurrentMemoryContext = context };
    // SAFETY: as above.
    unsafe { pg_sys::CurrentResourceOwner = owner };
    outcome
}

/// Run `f`; any error it returns or PostgreSQL raises inside it comes back
/// as a [`MigrateError`] whose message starts with `label`.
pub fn guarded<T>(label: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    caught(f).map_err(|e| e.context(label))
}

/// Run `f` like [`caught`]; the error comes back with the 1-based
/// character position PostgreSQL gave it in `source`, if any.
pub fn located<T>(
    source: crate::errpos::Source,
    f: impl FnOnce() -> Result<T>,
) -> (Result<T>, Option<usize>) {
    crate::errpos::watched(source, || caught(f))
}

/// Run `f`; a PostgreSQL error (or a panic) inside it comes back as an
/// `Err`, with PostgreSQL's SQLSTATE, message, detail and hint (and never a
/// backtrace).
pub fn caught<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .catch_others(|caught| Err(from_caught(caught)))
        .execute()
}

fn from_caught(caught: CaughtError) -> MigrateError {
    match &caught {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => MigrateError {
            code: r.sql_error_code(),
            message: r.message().to_string(),
            detail: r.detail().map(str::to_string),
            hint: r.hint().map(str::to_string),
            raw_code: crate::errpos::raw_code(r.sql_error_code(), r.message()),
        },
        CaughtError::RustPanic { ereport, .. } => MigrateError::new(
            code::INTERNAL,
            format!("internal error in migrate_ext: {}", ereport.message()),
        )
        .with_hint("This is a bug; please report it with the statement that caused it."),
    }
}

/// Turn an SPI failure into our error type (these are internal failures,
/// not user mistakes: SPI raises PostgreSQL errors for those).
pub fn spi<T>(r: std::result::Result<T, pgrx::spi::Error>) -> Result<T> {
    r.map_err(|e| match e {
        pgrx::spi::Error::SpiError(pgrx::spi::SpiErrorCodes::Transaction) => MigrateError::new(
            code::TRANSACTION_CONTROL,
            "transaction control (BEGIN, COMMIT, ROLLBACK) cannot run inside a migration",
        )
        .with_hint("A run is one transaction, the caller's; remove the statement from the op."),
        pgrx::spi::Error::SpiError(pgrx::spi::SpiErrorCodes::Copy) => MigrateError::new(
            code::NO_COPY,
            "COPY to or from the client cannot run inside a migration",
        )
        .with_hint(
            "A migration runs inside the server, with no client to send rows to or from: \
             use bulk_insert, INSERT ... SELECT, or COPY to or from a server file.",
        ),
        other => MigrateError::new(code::INTERNAL, format!("SPI failed: {other}")),
    })
}

/// Read rows: `f` gets the result. Read-only SPI (`select`), so it works on
/// a hot standby; once the transaction has written, pgrx runs it with a
/// fresh snapshot, so a run sees what it (and others before its lock) did.
pub fn read<T>(
    sql: &str,
    args: &[DatumWithOid],
    f: impl for<'c> FnOnce(SpiTupleTable<'c>) -> pgrx::spi::Result<T>,
) -> Result<T> {
    spi(Spi::connect(|c| f(c.select(sql, None, args)?)))
}

/// Several reads on one SPI connection.
pub fn reading<T>(f: impl FnOnce(&SpiClient<'_>) -> pgrx::spi::Result<T>) -> Result<T> {
    spi(Spi::connect(f))
}

/// One value of the first row (None when there is no row, or it is NULL).
pub fn read_one<T: pgrx::FromDatum + pgrx::IntoDatum>(
    sql: &str,
    args: &[DatumWithOid],
) -> Result<Option<T>> {
    read(sql, args, |rows| {
        if rows.is_empty() {
            Ok(None)
        } else {
            rows.first().get(1)
        }
    })
}

/// Run a statement that changes something.
pub fn write(sql: &str, args: &[DatumWithOid]) -> Result<()> {
    spi(Spi::connect_mut(|c| c.update(sql, None, args).map(|_| ())))
}

/// Run a statement that changes something, and read what it returns.
pub fn write_returning<T>(
    sql: &str,
    args: &[DatumWithOid],
    f: impl for<'c> FnOnce(SpiTupleTable<'c>) -> pgrx::spi::Result<T>,
) -> Result<T> {
    spi(Spi::connect_mut(|c| f(c.update(sql, None, args)?)))
}

/// The boundary with PostgreSQL, in a running server (`cargo pgrx test`).
#[cfg(feature = "pg_test")]
#[pgrx::pg_schema]
mod tests {
    use super::*;

    /// The backend's current memory context and resource owner.
    fn context_and_owner() -> (pg_sys::MemoryContext, pg_sys::ResourceOwner) {
        // SAFETY: plain reads of two backend globals.
        unsafe { (pg_sys::CurrentMemoryContext, pg_sys::CurrentResourceOwner) }
    }

    fn exists(relation: &str) -> bool {
        read_one::<bool>(
            "SELECT pg_catalog.to_regclass($1) IS NOT NULL",
            &[relation.into()],
        )
        .unwrap()
        .unwrap()
    }

    /// A PostgreSQL error inside a subtransaction comes back as a value
    /// with its SQLSTATE, message, detail and hint; what the subtransaction
    /// did is undone; the caller's memory context and resource owner are
    /// back; and the transaction goes on.
    #[pg_test]
    fn an_error_in_a_subtransaction_becomes_a_value() {
        let before = context_and_owner();
        let e = subtransaction(|| {
            write("CREATE TABLE pg_test_undone ()", &[])?;
            write(
                "DO $$ BEGIN RAISE EXCEPTION 'refused' USING ERRCODE = '22023', \
                 DETAIL = 'the detail', HINT = 'the hint'; END $$",
                &[],
            )
        })
        .unwrap_err();
        assert_eq!(context_and_owner(), before);
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(e.message, "refused");
        assert_eq!(e.detail.as_deref(), Some("the detail"));
        assert_eq!(e.hint.as_deref(), Some("the hint"));
        assert!(!exists("pg_test_undone"));
        assert_eq!(read_one::<i32>("SELECT 2", &[]).unwrap(), Some(2));
    }

    /// A SQLSTATE pgrx has no name for (a user's own) is kept, not
    /// reported as XX000, for SQL run under the error context callback, as
    /// the ops' SQL is.
    #[pg_test]
    fn a_users_own_sqlstate_is_kept() {
        let sql = "DO $$ BEGIN RAISE EXCEPTION 'mine' USING ERRCODE = 'MG001'; END $$";
        let e = subtransaction(|| located(crate::errpos::Source::Ran(sql), || write(sql, &[])).0)
            .unwrap_err();
        assert_eq!(e.sqlstate(), "MG001");
        assert_eq!(e.message, "mine");
    }

    /// A Rust panic becomes XX000 with a message and a hint, never a
    /// backtrace, and the subtransaction is rolled back.
    #[pg_test]
    fn a_panic_becomes_an_internal_error() {
        let before = context_and_owner();
        let e = subtransaction(|| -> Result<()> {
            write("CREATE TABLE pg_test_panicked ()", &[])?;
            panic!("boom")
        })
        .unwrap_err();
        assert_eq!(context_and_owner(), before);
        assert_eq!(e.sqlstate(), "XX000");
        assert_eq!(e.message, "internal error in migrate_ext: boom");
        assert!(e.hint.as_deref().unwrap_or("").contains("This is a bug"));
        assert!(!format!("{e:?}").contains("backtrace"));
        assert!(!exists("pg_test_panicked"));
    }

    /// A kept subtransaction keeps its work; a rolled-back one never does,
    /// even when it succeeds. Nested ones restore their callers too.
    #[pg_test]
    fn kept_and_rolled_back() {
        let before = context_and_owner();
        subtransaction(|| write("CREATE TABLE pg_test_kept ()", &[])).unwrap();
        rolled_back(|| {
            write("CREATE TABLE pg_test_gone ()", &[])?;
            let inner = context_and_owner();
            let e = subtransaction(|| write("SELECT 1/0", &[])).unwrap_err();
            assert_eq!(e.sqlstate(), "22012");
            assert_eq!(context_and_owner(), inner);
            assert!(exists("pg_test_gone"));
            Ok(())
        })
        .unwrap();
        assert_eq!(context_and_owner(), before);
        assert!(exists("pg_test_kept"));
        assert!(!exists("pg_test_gone"));
    }

    /// A setting changed for `f` is back after `f` fails.
    #[pg_test]
    fn a_setting_is_restored_after_an_error() {
        let setting = || {
            read_one::<String>("SELECT pg_catalog.current_setting('lock_timeout')", &[])
                .unwrap()
                .unwrap()
        };
        let before = setting();
        let e = subtransaction(|| {
            with_setting("lock_timeout", "1234ms", || {
                assert_eq!(setting(), "1234ms");
                write("SELECT 1/0", &[])
            })
        })
        .unwrap_err();
        assert_eq!(e.sqlstate(), "22012");
        assert_eq!(setting(), before);
    }

    /// An error in a statement run through SPI comes back with the
    /// position PostgreSQL gave it in that statement.
    #[pg_test]
    fn an_error_comes_back_with_its_position() {
        let sql = "SELECT 1 FROM pg_catalog.pg_class WHERE no_such_column";
        let (e, at) = subtransaction(|| {
            let (outcome, at) = located(crate::errpos::Source::Ran(sql), || write(sql, &[]));
            Ok((outcome.unwrap_err(), at))
        })
        .unwrap();
        assert_eq!(e.sqlstate(), "42703");
        assert_eq!(at, Some(sql.find("no_such_column").unwrap() + 1));
    }
}
