//! Statements that PostgreSQL runs only at top level, outside any
//! transaction block (`CREATE/DROP INDEX CONCURRENTLY`), run by a dynamic
//! background worker: a fresh backend, connected to the caller's database
//! as the caller's session user with the caller's current user and
//! search_path, that runs the one statement as `psql` would, then exits.
//!
//! The caller (`CALL migrate.run`, between two commits) waits for the
//! worker in a transaction that has run no query: it holds no snapshot and
//! no lock, so the build's waits for older snapshots and for lockers of the
//! table never wait for the caller (which would wait for each other
//! forever). If the caller is cancelled while it waits, it cancels the
//! worker. A concurrent build that fails drops its INVALID index (the
//! worker does it, at top level too), unless the failure was that the name
//! was taken, when the index is not ours.
//!
//! The statement, the settings, and the outcome travel through a small
//! dynamic shared memory segment.

use crate::error::{code, MigrateError, Result};
use crate::shell;
use pgrx::bgworkers::{BackgroundWorkerBuilder, BgWorkerStartTime};
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgList;

const SQL_MAX: usize = 32 * 1024;
const PATH_MAX: usize = 4 * 1024;
const NAME_MAX: usize = 1024;
const TEXT_MAX: usize = 4 * 1024;

/// The shared segment: what to run, then what happened.
#[repr(C)]
struct Shared {
    database: pg_sys::Oid,
    session_user: pg_sys::Oid,
    current_user: pg_sys::Oid,
    /// 0 while running, 1 done, 2 failed
    outcome: u32,
    /// the failure's packed SQLSTATE
    sqlstate: i32,
    sql: [u8; SQL_MAX],
    search_path: [u8; PATH_MAX],
    /// the index a failed build leaves behind, to drop (empty: none)
    cleanup: [u8; NAME_MAX],
    message: [u8; TEXT_MAX],
    detail: [u8; TEXT_MAX],
}

/// Copy `s` into `buf`, NUL-terminated; false when it does not fit.
fn put(buf: &mut [u8], s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() >= buf.len() || b.contains(&0) {
        return false;
    }
    buf[..b.len()].copy_from_slice(b);
    buf[b.len()] = 0;
    true
}

/// Copy `s` into `buf`, cut to fit.
fn put_cut(buf: &mut [u8], s: &str) {
    let mut end = s.len().min(buf.len() - 1);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    put(buf, &s[..end].replace('\0', " "));
}

fn get(buf: &[u8]) -> String {
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

/// Run `sql` at top level in a background worker and wait for it. On a
/// failed concurrent build, `cleanup` names the index to drop (qualified
/// SQL). The caller must hold no snapshot (see the module).
pub fn top_level(sql: &str, cleanup: Option<&str>) -> Result<()> {
    // SAFETY: a segment of the size of Shared, zeroed, written only here
    // before the worker starts and read only after it ended.
    let segment = unsafe { pg_sys::dsm_create(std::mem::size_of::<Shared>(), 0) };
    struct Detach(*mut pg_sys::dsm_segment);
    impl Drop for Detach {
        fn drop(&mut self) {
            // SAFETY: detaches the segment created above, once.
            unsafe { pg_sys::dsm_detach(self.0) };
        }
    }
    let _detach = Detach(segment);
    // SAFETY: the segment maps size_of::<Shared>() bytes.
    let p = unsafe { pg_sys::dsm_segment_address(segment).cast::<Shared>() };
    // SAFETY: zeroes those bytes; all-zero bytes are a valid Shared
    // (integers and byte arrays).
    unsafe { std::ptr::write_bytes(p, 0, 1) };
    // SAFETY: the zeroed Shared stays mapped until `_detach` drops at the
    // end of this function, and this is the only reference to it here.
    let shared = unsafe { &mut *p };
    // SAFETY: a plain read of this backend's database.
    shared.database = unsafe { pg_sys::MyDatabaseId };
    // SAFETY: plain calls that return this session's roles.
    shared.session_user = unsafe { pg_sys::GetSessionUserId() };
    // SAFETY: as above.
    shared.current_user = unsafe { pg_sys::GetUserId() };
    if !put(&mut shared.sql, sql)
        || !put(&mut shared.search_path, &shell::caller_search_path())
        || !put(&mut shared.cleanup, cleanup.unwrap_or(""))
    {
        return Err(MigrateError::invalid(format!(
            "a statement run at top level may be at most {} bytes",
            SQL_MAX - 1
        )));
    }
    // SAFETY: the handle of the live segment created above.
    let handle = unsafe { pg_sys::dsm_segment_handle(segment) };
    // SAFETY: a plain read of this backend's pid.
    let me = unsafe { pg_sys::MyProcPid };
    let worker = BackgroundWorkerBuilder::new("migrate_ext top-level statement")
        .set_type("migrate_ext")
        .set_library("migrate_ext")
        .set_function("migrate_ext_top_level")
        .set_argument(Some(pg_sys::Datum::from(handle)))
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_notify_pid(me)
        .load_dynamic()
        .map_err(|_| {
            MigrateError::new(
                code::NO_WORKER,
                "could not start a background worker for a concurrent index build",
            )
            .with_hint("Every max_worker_processes slot is in use: raise max_worker_processes, or retry when fewer workers run.")
        })?;
    let pid = worker.wait_for_startup().map_err(|status| {
        MigrateError::new(
            code::NO_WORKER,
            format!(
                "the background worker for a concurrent index build did not start ({status:?})"
            ),
        )
    })?;
    // a cancel or statement_timeout of the caller cancels the worker too
    if let Err(e) = shell::caught(|| {
        worker.wait_for_shutdown().map_err(|status| {
            MigrateError::new(
                code::NO_WORKER,
                format!("waiting for the background worker failed ({status:?})"),
            )
        })
    }) {
        // SAFETY: SIGINT cancels the worker's statement (its handler is
        // PostgreSQL's StatementCancelHandler).
        unsafe { kill(pid, 2) };
        return Err(e);
    }
    match shared.outcome {
        1 => Ok(()),
        2 => {
            let raw = shared.sqlstate;
            let code = PgSqlErrorCode::from(raw);
            let mut e = MigrateError::new(code, get(&shared.message));
            if crate::error::sqlstate_of(code) != crate::error::unpack(raw as isize) {
                e.raw_code = Some(raw);
            }
            let detail = get(&shared.detail);
            if !detail.is_empty() {
                e.detail = Some(detail);
            }
            Err(e)
        }
        _ => Err(MigrateError::new(
            code::NO_WORKER,
            "the background worker ended without running the statement",
        )
        .with_hint("See the server log.")),
    }
}

/// The worker's entry point.
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn migrate_ext_top_level(arg: pg_sys::Datum) {
    // SAFETY: a background worker starts with signals blocked; PostgreSQL's
    // handlers are installed, so unblocking them is what workers do first.
    unsafe { pg_sys::BackgroundWorkerUnblockSignals() };
    // SAFETY: the handle the caller passed as our argument; NULL when the
    // caller (and so the segment) is gone.
    let segment = unsafe { pg_sys::dsm_attach(arg.value() as pg_sys::dsm_handle) };
    if segment.is_null() {
        return; // the caller is gone
    }
    // SAFETY: the caller's segment holds one Shared, written before we
    // started and read by the caller only after we end; it stays mapped
    // until the dsm_detach below.
    let shared = unsafe { &mut *pg_sys::dsm_segment_address(segment).cast::<Shared>() };
    // SAFETY: the caller's database and session user, as a worker with
    // database access connects once, before any transaction.
    unsafe {
        pg_sys::BackgroundWorkerInitializeConnectionByOid(shared.database, shared.session_user, 0)
    };
    if shared.current_user != shared.session_user {
        // SAFETY: becomes the caller's current role (SET ROLE or a
        // SECURITY DEFINER function), as the caller's session could.
        unsafe {
            pg_sys::SetUserIdAndSecContext(
                shared.current_user,
                pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
            )
        };
    }
    let sql = get(&shared.sql);
    let path = get(&shared.search_path);
    match shell::caught(|| run_top_level(&sql, &path)) {
        Ok(()) => shared.outcome = 1,
        Err(e) => {
            // SAFETY: the statement's transaction failed; aborting it is
            // what PostgreSQL's main loop does after an error.
            unsafe { pg_sys::AbortCurrentTransaction() };
            log!("migrate_ext: {sql}: {} ({})", e.message, e.sqlstate());
            shared.sqlstate = e.raw_code.unwrap_or(e.code as i32);
            put_cut(&mut shared.message, &e.message);
            put_cut(&mut shared.detail, e.detail.as_deref().unwrap_or(""));
            let cleanup = get(&shared.cleanup);
            if !cleanup.is_empty() && e.code != PgSqlErrorCode::ERRCODE_DUPLICATE_TABLE {
                // a CONCURRENTLY build that failed after its first phase
                // left an INVALID index: drop it (IF EXISTS: it may not
                // have got that far)
                let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {cleanup}");
                if shell::caught(|| run_top_level(&drop, &path)).is_err() {
                    // SAFETY: as above, for the cleanup's transaction.
                    unsafe { pg_sys::AbortCurrentTransaction() };
                }
            }
            shared.outcome = 2;
        }
    }
    // SAFETY: detaches the segment attached above, once; `shared` is not
    // used after.
    unsafe { pg_sys::dsm_detach(segment) };
}

/// Run one statement as a client's simple query does: its own transaction
/// command, at top level (so `CONCURRENTLY` is allowed), under `path`.
fn run_top_level(sql: &str, path: &str) -> Result<()> {
    let text = std::ffi::CString::new(sql).map_err(|_| MigrateError::invalid("NUL in SQL"))?;
    let path = std::ffi::CString::new(path).map_err(|_| MigrateError::invalid("NUL in path"))?;
    // The sequence exec_simple_query follows for a utility statement, in a
    // background worker connected to a database.
    // SAFETY: a plain call that records the time for this statement.
    unsafe { pg_sys::SetCurrentStatementStartTimestamp() };
    // SAFETY: `text` is a NUL-terminated string that outlives the call
    // (pgstat copies it).
    unsafe { pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_RUNNING, text.as_ptr()) };
    // SAFETY: no transaction is open in the worker between statements.
    unsafe { pg_sys::StartTransactionCommand() };
    // SAFETY: NUL-terminated name and value that outlive the call; a
    // session-level SET, as `SET search_path` in psql would be.
    unsafe {
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            path.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SET,
            true,
            0,
            false,
        )
    };
    // SAFETY: inside the transaction just started; popped below.
    unsafe { pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot()) };
    // the parse tree, and what the statement allocates before it commits
    // and starts the transactions of its phases, must outlive them
    // (exec_simple_query keeps them in MessageContext and the portal's
    // context)
    // SAFETY: a child of TopMemoryContext, deleted by `Free` when this
    // function returns, whichever way.
    let tree = unsafe {
        pg_sys::AllocSetContextCreateInternal(
            pg_sys::TopMemoryContext,
            c"migrate_ext top-level statement".as_ptr(),
            0,
            8 * 1024,
            8 * 1024 * 1024,
        )
    };
    struct Free(pg_sys::MemoryContext);
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: TopMemoryContext lives as long as the worker (the
            // context current when the statement began belonged to its
            // transaction, which has ended by now, one way or the other).
            unsafe { pg_sys::MemoryContextSwitchTo(pg_sys::TopMemoryContext) };
            // SAFETY: the context made above, no longer current, deleted
            // once.
            unsafe { pg_sys::MemoryContextDelete(self.0) };
        }
    }
    let _free = Free(tree);
    // SAFETY: `tree` is a live context; `Free` switches away before it is
    // deleted.
    unsafe { pg_sys::MemoryContextSwitchTo(tree) };
    // SAFETY: parses the NUL-terminated `text` into `tree`; a syntax error
    // raises, and `caught` in the caller catches it.
    let parsed = unsafe { pg_sys::pg_parse_query(text.as_ptr()) };
    // SAFETY: pg_parse_query returns a List of RawStmt (or NIL).
    let list = unsafe { PgList::<pg_sys::RawStmt>::from_pg(parsed) };
    if list.len() != 1 {
        return Err(MigrateError::new(
            code::INTERNAL,
            "a top-level statement must be exactly one statement",
        ));
    }
    let raw = list.get_ptr(0).unwrap_or(std::ptr::null_mut());
    // SAFETY: a RawStmt of the list above, in `tree`, or NULL.
    let Some(raw) = (unsafe { raw.as_ref() }) else {
        return Err(MigrateError::new(code::INTERNAL, "no statement parsed"));
    };
    // SAFETY: a zeroed PlannedStmt in `tree`, filled in below as
    // exec_simple_query's pg_plan_queries does for a utility statement.
    let planned = unsafe {
        &mut *pg_sys::palloc0(std::mem::size_of::<pg_sys::PlannedStmt>())
            .cast::<pg_sys::PlannedStmt>()
    };
    planned.type_ = pg_sys::NodeTag::T_PlannedStmt;
    planned.commandType = pg_sys::CmdType::CMD_UTILITY;
    planned.canSetTag = true;
    planned.utilityStmt = raw.stmt;
    planned.stmt_location = raw.stmt_location;
    planned.stmt_len = raw.stmt_len;
    // SAFETY: a receiver that discards rows, allocated in `tree`.
    let dest = unsafe { pg_sys::CreateDestReceiver(pg_sys::CommandDest::DestNone) };
    // SAFETY: runs the statement at top level, as a client's query; the
    // tree and `text` outlive the build's internal commits.
    unsafe {
        pg_sys::ProcessUtility(
            planned,
            text.as_ptr(),
            false,
            pg_sys::ProcessUtilityContext::PROCESS_UTILITY_TOPLEVEL,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            dest,
            std::ptr::null_mut(),
        )
    };
    // SAFETY: pops the snapshot pushed above, if the statement left it.
    if unsafe { pg_sys::ActiveSnapshotSet() } {
        // SAFETY: an active snapshot is set.
        unsafe { pg_sys::PopActiveSnapshot() };
    }
    // SAFETY: commits the transaction command the statement runs in (a
    // CONCURRENTLY build has committed and started its own meanwhile).
    unsafe { pg_sys::CommitTransactionCommand() };
    // SAFETY: a NULL activity string is allowed for the idle state.
    unsafe { pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_IDLE, std::ptr::null()) };
    Ok(())
}
