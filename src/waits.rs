//! Bounded lock waits: each op runs in a subtransaction under
//! `migrate.lock_timeout`; when PostgreSQL gives up waiting for a lock
//! (55P03), the subtransaction is rolled back, so the op holds nothing and
//! queues nobody behind it, and after a pause that grows exponentially (with
//! jitter) the op is tried again, up to `migrate.lock_retries` times.
//!
//! Which lock the op waited for is read while it waits: a periodic timer
//! copies the lock tag of this backend's wait (`MyProc->waitLock`), since
//! PostgreSQL forgets it before raising the timeout. Who holds it is read
//! from `pg_locks` after the rollback: the sessions holding a granted lock
//! on it that conflicts with the mode the op asked for (what
//! `pg_blocking_pids` reported while the op waited).

use crate::error::{MigrateError, Result};
use crate::shell;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

/// `migrate.lock_timeout`, in milliseconds; 0 waits as plain PostgreSQL does.
pub static LOCK_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(500);
/// `migrate.lock_retries`: tries after the first.
pub static LOCK_RETRIES: GucSetting<i32> = GucSetting::<i32>::new(8);

/// Register the settings (from `_PG_init`).
pub fn define_settings() {
    GucRegistry::define_int_guc(
        c"migrate.lock_timeout",
        c"How long one try of a migration op waits for a lock (0: no bound, no retries).",
        c"Each op runs in a subtransaction under this lock_timeout; when a lock is not granted in time, the op is rolled back and tried again after a pause (see migrate.lock_retries).",
        &LOCK_TIMEOUT,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"migrate.lock_retries",
        c"How many times a migration op is tried again after a lock timeout.",
        c"The pause before try n is about 50ms * 2^(n-1), at most 5s, with jitter.",
        &LOCK_RETRIES,
        0,
        1000,
        GucContext::Userset,
        GucFlags::default(),
    );
    // SAFETY: marks the prefix ours, so a misspelt migrate.* setting is
    // an error instead of a silent placeholder.
    unsafe { pg_sys::MarkGUCPrefixReserved(c"migrate".as_ptr()) };
}

/// The pause before retry `n` (1-based), in milliseconds, for a jitter
/// factor `jitter` in [0, 1): 50ms doubling, at most 5s, times 0.5..1.5.
pub fn backoff_ms(n: u32, jitter: f64) -> u64 {
    let base = 50u64
        .saturating_mul(1u64 << n.saturating_sub(1).min(16))
        .min(5000);
    (base as f64 * (0.5 + jitter.clamp(0.0, 1.0))) as u64
}

/// The lock tag the timer saw this backend wait for, during the current try.
static SEEN: AtomicBool = AtomicBool::new(false);
static TAG: [AtomicU32; 4] = [
    AtomicU32::new(0),
    AtomicU32::new(0),
    AtomicU32::new(0),
    AtomicU32::new(0),
];
static TAG_TYPE: AtomicU32 = AtomicU32::new(0);
static MODE: AtomicI32 = AtomicI32::new(0);

thread_local! {
    /// The timer's id, once registered in this backend.
    static TIMER: Cell<Option<i32>> = const { Cell::new(None) };
}

/// The timer: copy the tag of the lock this backend waits for, if any.
/// Runs in a signal handler: reads only, no allocation, no error.
unsafe extern "C-unwind" fn sample() {
    // SAFETY: a plain read of a global this backend sets once at start.
    let proc_ = unsafe { pg_sys::MyProc };
    if proc_.is_null() {
        return;
    }
    // SAFETY: a non-NULL MyProc is this backend's PGPROC, in shared memory
    // that stays mapped as long as the backend lives.
    let lock = unsafe { (*proc_).waitLock };
    if lock.is_null() {
        return;
    }
    // SAFETY: the LOCK waited for lives in the shared lock table, which
    // stays mapped: the read cannot fault, and if the lock was granted
    // meanwhile the copy is merely stale.
    let tag = unsafe { (*lock).tag };
    TAG[0].store(tag.locktag_field1, Ordering::Relaxed);
    TAG[1].store(tag.locktag_field2, Ordering::Relaxed);
    TAG[2].store(tag.locktag_field3, Ordering::Relaxed);
    TAG[3].store(u32::from(tag.locktag_field4), Ordering::Relaxed);
    TAG_TYPE.store(u32::from(tag.locktag_type), Ordering::Relaxed);
    // SAFETY: as for `waitLock` above.
    let mode = unsafe { (*proc_).waitLockMode };
    MODE.store(mode, Ordering::Relaxed);
    SEEN.store(true, Ordering::Relaxed);
}

extern "C-unwind" {
    fn RegisterTimeout(id: i32, handler: Option<unsafe extern "C-unwind" fn()>) -> i32;
    fn enable_timeout_every(id: i32, fin_time: pg_sys::TimestampTz, delay_ms: i32);
    fn disable_timeout(id: i32, keep_indicator: bool);
}

/// Sample this backend's lock wait every `every_ms` while `f` runs.
fn sampling<T>(every_ms: i32, f: impl FnOnce() -> T) -> T {
    struct Off(i32);
    impl Drop for Off {
        fn drop(&mut self) {
            // SAFETY: disables the timer enabled below.
            unsafe { disable_timeout(self.0, false) };
        }
    }
    let id = TIMER.with(|t| {
        t.get().unwrap_or_else(|| {
            // SAFETY: registers a handler in a free user slot of this backend.
            let id = unsafe { RegisterTimeout(crate::compat::USER_TIMEOUT, Some(sample)) };
            t.set(Some(id));
            id
        })
    });
    SEEN.store(false, Ordering::Relaxed);
    let every = every_ms.max(1);
    // SAFETY: a periodic timer of our own slot; disabled by the guard.
    let _off = unsafe {
        enable_timeout_every(
            id,
            pg_sys::GetCurrentTimestamp() + i64::from(every) * 1000,
            every,
        );
        Off(id)
    };
    f()
}

const MODES: [&str; 9] = [
    "",
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// The modes that conflict with `mode` (PostgreSQL's lock conflict table).
pub fn conflicting(mode: usize) -> Vec<&'static str> {
    let with: &[usize] = match mode {
        1 => &[8],
        2 => &[7, 8],
        3 => &[5, 6, 7, 8],
        4 => &[4, 5, 6, 7, 8],
        5 => &[3, 4, 6, 7, 8],
        6 => &[3, 4, 5, 6, 7, 8],
        7 => &[2, 3, 4, 5, 6, 7, 8],
        8 => &[1, 2, 3, 4, 5, 6, 7, 8],
        _ => &[],
    };
    with.iter().map(|&m| MODES[m]).collect()
}

/// What a try waited for, and who held it.
struct Waited {
    what: String,
    blockers: Vec<i32>,
}

impl Waited {
    /// "blocked by pid 12", or by several, or by nobody any more.
    fn blockers(&self) -> String {
        match self.blockers.len() {
            0 => "whoever held it has let go since".to_string(),
            1 => format!("blocked by pid {}", self.blockers[0]),
            _ => format!(
                "blocked by pids {}",
                self.blockers
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The lock the timer saw, named, and the sessions that hold it.
// the lock tag types are u32 on some versions and not others
#[allow(clippy::unnecessary_cast)]
fn waited() -> Result<Waited> {
    if !SEEN.load(Ordering::Relaxed) {
        return Ok(Waited {
            what: "a lock".into(),
            blockers: vec![],
        });
    }
    let f: Vec<u32> = TAG.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    let mode = MODE.load(Ordering::Relaxed).clamp(0, 8) as usize;
    let kind = TAG_TYPE.load(Ordering::Relaxed);
    let mode_name = MODES[mode];
    let relation = kind == pg_sys::LockTagType::LOCKTAG_RELATION as u32
        || kind == pg_sys::LockTagType::LOCKTAG_TUPLE as u32
        || kind == pg_sys::LockTagType::LOCKTAG_PAGE as u32;
    if relation {
        let modes: Vec<String> = conflicting(mode).into_iter().map(String::from).collect();
        let (name, blockers) = shell::reading(|c| {
            let rows = c.select(
                "SELECT pg_catalog.format('%s', $1::pg_catalog.oid::pg_catalog.regclass), \
                        ARRAY(SELECT DISTINCT l.pid FROM pg_catalog.pg_locks l \
                               WHERE l.locktype = 'relation' AND l.database = $2 \
                                 AND l.relation = $1 AND l.granted \
                                 AND l.pid <> pg_catalog.pg_backend_pid() \
                                 AND l.mode = ANY($3) ORDER BY l.pid)",
                None,
                &[
                    pg_sys::Oid::from(f[1]).into(),
                    pg_sys::Oid::from(f[0]).into(),
                    modes.into(),
                ],
            )?;
            let row = rows.first();
            Ok((
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<Vec<Option<i32>>>(2)?.unwrap_or_default(),
            ))
        })?;
        let what = if kind == pg_sys::LockTagType::LOCKTAG_RELATION as u32 {
            format!("{mode_name} on {name}")
        } else {
            format!("a row lock on {name}")
        };
        return Ok(Waited {
            what,
            blockers: blockers.into_iter().flatten().collect(),
        });
    }
    if kind == pg_sys::LockTagType::LOCKTAG_TRANSACTION as u32 {
        let blockers = shell::read(
            "SELECT ARRAY(SELECT DISTINCT l.pid FROM pg_catalog.pg_locks l \
                     WHERE l.locktype = 'transactionid' AND l.granted \
                       AND l.transactionid::pg_catalog.text = $1 \
                       AND l.pid <> pg_catalog.pg_backend_pid())",
            &[f[0].to_string().into()],
            |rows| rows.first().get::<Vec<Option<i32>>>(1),
        )?
        .unwrap_or_default();
        return Ok(Waited {
            what: format!("a row lock (transaction {})", f[0]),
            blockers: blockers.into_iter().flatten().collect(),
        });
    }
    Ok(Waited {
        what: format!("a {mode_name}"),
        blockers: vec![],
    })
}

/// The lock_timeout of each try, in milliseconds, or None when waits are
/// not bounded: `migrate.lock_timeout`, or the caller's own `lock_timeout`
/// when that is shorter.
fn try_timeout() -> Option<i32> {
    let ours = LOCK_TIMEOUT.get();
    if ours <= 0 {
        return None;
    }
    // SAFETY: reads a GUC variable of this backend.
    let callers = unsafe { pg_sys::LockTimeout };
    Some(if callers > 0 { ours.min(callers) } else { ours })
}

/// Run a revision's ops, `f`, under bounded lock waits: in a
/// subtransaction with `lock_timeout` set, tried again after a lock
/// timeout. `label` names the op that was running, for NOTICEs and errors.
/// Without a bound (`migrate.lock_timeout = 0`) `f` runs as it is, with no
/// subtransaction.
pub fn bounded<T>(label: &dyn Fn() -> String, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let Some(timeout) = try_timeout() else {
        return f();
    };
    let retries = LOCK_RETRIES.get().max(0) as u32;
    let value = format!("{timeout}ms");
    let mut tries = 0u32;
    loop {
        let outcome = shell::subtransaction(|| {
            shell::with_setting("lock_timeout", &value, || {
                sampling((timeout / 4).clamp(1, 50), &mut f)
            })
        });
        let e = match outcome {
            Ok(v) => return Ok(v),
            Err(e) if e.code == crate::error::code::LOCK_TIMEOUT => e,
            Err(e) => return Err(e),
        };
        let waited = waited()?;
        let label = label();
        tries += 1;
        if tries > retries {
            return Err(MigrateError::new(
                crate::error::code::LOCK_TIMEOUT,
                format!(
                    "{label}: {} not granted in {tries} tries of {timeout}ms ({})",
                    waited.what,
                    waited.blockers()
                ),
            )
            .with_detail(format!("The last try failed with: {}", e.message))
            .with_hint(
                "Nothing of this revision was kept. Find what holds the lock in pg_stat_activity, \
                 let it finish, or raise migrate.lock_timeout / migrate.lock_retries.",
            ));
        }
        // SAFETY: the server's PRNG, seeded per backend.
        let jitter = unsafe { pg_sys::pg_prng_double(&raw mut pg_sys::pg_global_prng_state) };
        let pause = backoff_ms(tries, jitter);
        notice!(
            "{label}: {} not granted within {timeout}ms ({}); try {} of {} in {pause}ms",
            waited.what,
            waited.blockers(),
            tries + 1,
            retries + 1
        );
        sleep_ms(pause);
    }
}

/// Sleep, interruptibly (a cancel or statement_timeout ends it with its own
/// error).
pub fn sleep_ms(ms: u64) {
    let end = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    loop {
        check_for_interrupts!();
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        // SAFETY: waits on this backend's own latch, as pg_sleep does.
        unsafe {
            pg_sys::WaitLatch(
                pg_sys::MyLatch,
                (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH) as i32,
                left.as_millis().min(1000) as std::ffi::c_long,
                pg_sys::PG_WAIT_EXTENSION,
            )
        };
        // SAFETY: resets this backend's own latch after the wait.
        unsafe { pg_sys::ResetLatch(pg_sys::MyLatch) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_50ms_to_at_most_5s() {
        let mid: Vec<u64> = (1..=9).map(|n| backoff_ms(n, 0.5)).collect();
        assert_eq!(mid, vec![50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(backoff_ms(1, 0.0), 25);
        assert_eq!(backoff_ms(8, 0.999_999), 7499);
        assert_eq!(backoff_ms(200, 0.5), 5000);
    }

    #[test]
    fn default_retries_give_up_within_25s() {
        // 9 tries of 500ms and the 8 longest pauses
        let worst: u64 = 9 * 500 + (1..=8).map(|n| backoff_ms(n, 1.0)).sum::<u64>();
        assert!(worst <= 25_000, "{worst}");
    }

    #[test]
    fn conflicts_are_symmetric() {
        for (a, name_a) in MODES.iter().enumerate().skip(1) {
            for (b, name_b) in MODES.iter().enumerate().skip(1) {
                assert_eq!(
                    conflicting(a).contains(name_b),
                    conflicting(b).contains(name_a),
                    "{a} {b}"
                );
            }
        }
    }
}
