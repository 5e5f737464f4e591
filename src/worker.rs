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
    // SAFETY: the segment maps size_of::<Shared>() bytes that stay mapped
    // until `_detach` drops at the end of this function; all-zero bytes are
    // a valid Shared (integers and byte arrays), and this is the only
    // reference to it in this backend.
    let shared = unsafe {
        let p = pg_sys::dsm_segment_address(segment).cast::<Shared>();
        std::ptr::write_bytes(p, 0, 1);
        &mut *p
    };
    // SAFETY: reads this backend's identity.
    unsafe {
        shared.database = pg_sys::MyDatabaseId;
        shared.session_user = pg_sys::GetSessionUserId();
        shared.current_user = pg_sys::GetUserId();
    }
    if !put(&mut shared.sql, sql)
        || !put(&mut shared.search_path, &shell::caller_search_path())
        || !put(&mut shared.cleanup, cleanup.unwrap_or(""))
    {
        return Err(MigrateError::invalid(format!(
            "a statement run at top level may be at most {} bytes",
            SQL_MAX - 1
        )));
    }
    // SAFETY: reads this segment's handle and this backend's pid.
    let (handle, me) = unsafe { (pg_sys::dsm_segment_handle(segment), pg_sys::MyProcPid) };
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
    // SAFETY: the segment the caller created; it lives while attached.
    unsafe {
        pg_sys::BackgroundWorkerUnblockSignals();
        let segment = pg_sys::dsm_attach(arg.value() as pg_sys::dsm_handle);
        if segment.is_null() {
            return; // the caller is gone
        }
        let shared = &mut *pg_sys::dsm_segment_address(segment).cast::<Shared>();
        pg_sys::BackgroundWorkerInitializeConnectionByOid(shared.database, shared.session_user, 0);
        if shared.current_user != shared.session_user {
            pg_sys::SetUserIdAndSecContext(
                shared.current_user,
                pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
            );
        }
        let sql = get(&shared.sql);
        let path = get(&shared.search_path);
        match shell::caught(|| run_top_level(&sql, &path)) {
            Ok(()) => shared.outcome = 1,
            Err(e) => {
                pg_sys::AbortCurrentTransaction();
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
                        pg_sys::AbortCurrentTransaction();
                    }
                }
                shared.outcome = 2;
            }
        }
        pg_sys::dsm_detach(segment);
    }
}

/// Run one statement as a client's simple query does: its own transaction
/// command, at top level (so `CONCURRENTLY` is allowed), under `path`.
fn run_top_level(sql: &str, path: &str) -> Result<()> {
    let text = std::ffi::CString::new(sql).map_err(|_| MigrateError::invalid("NUL in SQL"))?;
    let path = std::ffi::CString::new(path).map_err(|_| MigrateError::invalid("NUL in path"))?;
    // SAFETY: the sequence exec_simple_query follows for a utility
    // statement, in a background worker connected to a database.
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_RUNNING, text.as_ptr());
        pg_sys::StartTransactionCommand();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            path.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SET,
            true,
            0,
            false,
        );
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
        // the parse tree, and what the statement allocates before it
        // commits and starts the transactions of its phases, must outlive
        // them (exec_simple_query keeps them in MessageContext and the
        // portal's context)
        let tree = pg_sys::AllocSetContextCreateInternal(
            pg_sys::TopMemoryContext,
            c"migrate_ext top-level statement".as_ptr(),
            0,
            8 * 1024,
            8 * 1024 * 1024,
        );
        struct Free(pg_sys::MemoryContext);
        impl Drop for Free {
            fn drop(&mut self) {
                // SAFETY: the context made above, no longer current.
                unsafe { pg_sys::MemoryContextDelete(self.0) };
            }
        }
        let _free = Free(tree);
        let previous = pg_sys::MemoryContextSwitchTo(tree);
        let parsed = pg_sys::pg_parse_query(text.as_ptr());
        let list = PgList::<pg_sys::RawStmt>::from_pg(parsed);
        if list.len() != 1 {
            pg_sys::MemoryContextSwitchTo(previous);
            return Err(MigrateError::new(
                code::INTERNAL,
                "a top-level statement must be exactly one statement",
            ));
        }
        let raw = list.get_ptr(0).unwrap_or(std::ptr::null_mut());
        if raw.is_null() {
            pg_sys::MemoryContextSwitchTo(previous);
            return Err(MigrateError::new(code::INTERNAL, "no statement parsed"));
        }
        let planned = pg_sys::palloc0(std::mem::size_of::<pg_sys::PlannedStmt>())
            .cast::<pg_sys::PlannedStmt>();
        (*planned).type_ = pg_sys::NodeTag::T_PlannedStmt;
        (*planned).commandType = pg_sys::CmdType::CMD_UTILITY;
        (*planned).canSetTag = true;
        (*planned).utilityStmt = (*raw).stmt;
        (*planned).stmt_location = (*raw).stmt_location;
        (*planned).stmt_len = (*raw).stmt_len;
        let dest = pg_sys::CreateDestReceiver(pg_sys::CommandDest::DestNone);
        pg_sys::ProcessUtility(
            planned,
            text.as_ptr(),
            false,
            pg_sys::ProcessUtilityContext::PROCESS_UTILITY_TOPLEVEL,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            dest,
            std::ptr::null_mut(),
        );
        if pg_sys::ActiveSnapshotSet() {
            pg_sys::PopActiveSnapshot();
        }
        pg_sys::CommitTransactionCommand();
        pg_sys::MemoryContextSwitchTo(previous);
        pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_IDLE, std::ptr::null());
    }
    Ok(())
}
