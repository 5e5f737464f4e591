//! `CALL migrate.run(target)` and `CALL migrate.run_down(target)`: a run
//! that commits after each revision.
//!
//! The run is planned once, in its first transaction, and the plan is
//! walked: each step runs in a transaction of its own (the first with the
//! planning), records itself in `migrate.log`, `migrate.applied` and
//! `migrate.version`, and commits. So a run of 10,000 revisions holds one
//! revision's locks at a time, an interrupted run keeps what it committed,
//! and the next CALL goes on from there.
//!
//! For its whole length the run holds the session-level advisory lock that
//! every run takes (`migrate.upgrade()` takes it for its transaction): a
//! second CALL, or an upgrade in another session, waits for the run to
//! end, then plans from what it left. If the run fails, the lock goes with
//! the failed transaction (an abort callback); if the backend ends, with it.
//!
//! Steps before the last commit with `synchronous_commit = off`: a crash
//! may lose the last of them, schema change and record together (never
//! one without the other), and the next CALL runs them again. The last
//! step commits with the caller's setting, which also flushes the others.

use crate::error::{code, MigrateError, Result};
use crate::plan::Mode;
use crate::run::{self, Planned};
use crate::shell::{self, Access};
use crate::store;
use crate::target::Target;
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::Cell;

thread_local! {
    /// Whether this backend holds the run's session lock.
    static HELD: Cell<bool> = const { Cell::new(false) };
    /// Whether the abort callback is registered in this backend.
    static CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// `CALL migrate.run(target text DEFAULT 'head')`.
#[pg_extern(sql = false)]
fn run_procedure(target: Option<&str>, fcinfo: pg_sys::FunctionCallInfo) {
    call("migrate.run", Mode::Upgrade, target, fcinfo)
}

/// `CALL migrate.run_down(target text)`.
#[pg_extern(sql = false)]
fn run_down_procedure(target: Option<&str>, fcinfo: pg_sys::FunctionCallInfo) {
    call("migrate.run_down", Mode::Downgrade, target, fcinfo)
}

fn call(name: &str, mode: Mode, target: Option<&str>, fcinfo: pg_sys::FunctionCallInfo) {
    let target = target.map(str::to_string);
    if let Err(e) = nonatomic(name, fcinfo).and_then(|()| walk(name, mode, target.as_deref())) {
        e.raise()
    }
}

/// A procedure may commit only when called by a top-level CALL, outside a
/// transaction block.
fn nonatomic(name: &str, fcinfo: pg_sys::FunctionCallInfo) -> Result<()> {
    // SAFETY: fcinfo is the call's; its context is a CallContext node for
    // a procedure called by CALL.
    let atomic = unsafe {
        let context = (*fcinfo).context;
        context.is_null()
            || (*context).type_ != pg_sys::NodeTag::T_CallContext
            || (*context.cast::<pg_sys::CallContext>()).atomic
    };
    if !atomic {
        return Ok(());
    }
    Err(MigrateError::new(
        code::TRANSACTION_CONTROL,
        format!("CALL {name} cannot run inside a transaction block"),
    )
    .with_hint(format!(
        "{name} commits after each revision, so it must be called on its own (CALL {name}(...), \
         not inside BEGIN ... COMMIT or a function). To run in one transaction, use SELECT migrate.{}(...).",
        if name.ends_with("down") { "downgrade" } else { "upgrade" }
    )))
}

/// Plan, then run and commit each step.
fn walk(name: &str, mode: Mode, target: Option<&str>) -> Result<()> {
    let target = Target::parse_arg(target)?;
    // refuse on a standby before waiting for anything
    shell::enter(name, Access::Write, || Ok(()))?;
    // SAFETY: a non-atomic SPI connection, as PL/pgSQL opens for a
    // procedure; SPI_commit needs it. Closed below, or by the abort.
    unsafe {
        if pg_sys::SPI_connect_ext(pg_sys::SPI_OPT_NONATOMIC as i32)
            != pg_sys::SPI_OK_CONNECT as i32
        {
            return Err(MigrateError::new(code::INTERNAL, "SPI_connect_ext failed"));
        }
    }
    hold();
    let outcome = steps(name, mode, &target);
    // a failed step's transaction is still open (the caller raises its
    // error and aborts it); the last step's is committed by the CALL, and
    // keeps the transaction-level run lock until then
    release();
    // SAFETY: closes the connection opened above.
    unsafe { pg_sys::SPI_finish() };
    outcome
}

/// Plan in the first transaction, then run each step in a transaction of
/// its own.
fn steps(name: &str, mode: Mode, target: &Target) -> Result<()> {
    let planned = shell::enter(name, Access::Write, || {
        store::lock()?;
        run::prepare(mode, target)
    })?;
    let mut prepared = match planned {
        Planned::Done(_) => return Ok(()),
        Planned::Steps(p) => p,
    };
    let steps = prepared.len();
    let sync_off = synchronous_commit_on();
    for si in 0..steps {
        let last = si + 1 == steps;
        let concurrent = prepared.is_concurrent(si);
        // a top-level build waits for every snapshot older than its own:
        // end the transaction that planned (or ran the last step) first,
        // and wait for the worker in one that has run no query
        if si > 0 || concurrent {
            // SAFETY: no SPI connection of ours but the non-atomic one is
            // open, no subtransaction, no GUC nest level: what SPI_commit
            // requires. It commits and starts the next transaction.
            unsafe { pg_sys::SPI_commit() };
        }
        if concurrent {
            let entry = prepared.apply(si)?;
            // SAFETY: as above.
            unsafe { pg_sys::SPI_commit() };
            shell::enter(name, Access::Write, || {
                store::lock()?;
                prepared.record(&[entry], last)
            })?;
            continue;
        }
        shell::enter(name, Access::Write, || {
            store::lock()?;
            if sync_off && !last {
                shell::write(
                    "SELECT pg_catalog.set_config('synchronous_commit', 'off', true)",
                    &[],
                )?;
            }
            let entry = prepared.apply(si)?;
            prepared.record(&[entry], last)
        })?;
    }
    Ok(())
}

/// Whether `synchronous_commit` is anything but off (then the steps before
/// the last commit without waiting for the flush).
fn synchronous_commit_on() -> bool {
    // SAFETY: reads a GUC of this backend.
    unsafe { pg_sys::synchronous_commit != pg_sys::SyncCommitLevel::SYNCHRONOUS_COMMIT_OFF as i32 }
}

/// The run lock's tag, as `pg_advisory_lock(bigint)` makes it.
fn tag() -> pg_sys::LOCKTAG {
    let key = store::LOCK_KEY as u64;
    pg_sys::LOCKTAG {
        // SAFETY: reads the database of this backend.
        locktag_field1: unsafe { pg_sys::MyDatabaseId }.to_u32(),
        locktag_field2: (key >> 32) as u32,
        locktag_field3: key as u32,
        locktag_field4: 1,
        locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
        locktag_lockmethodid: 2, // USER_LOCKMETHOD
    }
}

/// Take the run lock for the session (waiting for a run elsewhere to
/// end), released by [`release`] or when a transaction of the run aborts.
fn hold() {
    if !CALLBACK.with(Cell::get) {
        // SAFETY: registers a callback for the life of the backend.
        unsafe { pg_sys::RegisterXactCallback(Some(on_abort), std::ptr::null_mut()) };
        CALLBACK.with(|c| c.set(true));
    }
    let tag = tag();
    // SAFETY: the lock manager; the wait is interruptible.
    unsafe {
        pg_sys::LockAcquire(&tag, pg_sys::ExclusiveLock as i32, true, false);
    }
    HELD.with(|h| h.set(true));
}

fn release() {
    if HELD.with(|h| h.replace(false)) {
        let tag = tag();
        // SAFETY: releases the session lock taken by hold().
        unsafe { pg_sys::LockRelease(&tag, pg_sys::ExclusiveLock as i32, true) };
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_abort(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    if event == pg_sys::XactEvent::XACT_EVENT_ABORT {
        release();
    }
}
