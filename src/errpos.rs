//! Where in a statement PostgreSQL's error happened.
//!
//! The cursor position of an error (a syntax error's, or one inside a
//! statement run through SPI) lives only in PostgreSQL's ErrorData, which
//! pgrx does not hand over. An error context callback, as PL/pgSQL uses,
//! reads it while the error is raised; [`located`] runs code under one and
//! returns the position with the outcome.

use crate::error::{MigrateError, Result};
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::cell::Cell;

thread_local! {
    /// The last position seen by the callback (1-based characters; 0: none).
    static POSITION: Cell<usize> = const { Cell::new(0) };
}

/// The error context callback: keep the cursor position, or the position
/// inside the statement SPI ran (SPI's own callback moves it there).
unsafe extern "C-unwind" fn remember(_arg: *mut std::ffi::c_void) {
    let p = pg_sys::geterrposition().max(pg_sys::getinternalerrposition());
    if let Ok(p) = usize::try_from(p) {
        if p > 0 {
            POSITION.with(|c| c.set(p));
        }
    }
}

/// An error context frame on PostgreSQL's stack, popped when dropped, also
/// when a PostgreSQL error unwinds through it.
struct Frame {
    frame: Box<pg_sys::ErrorContextCallback>,
}

impl Frame {
    fn push() -> Frame {
        // SAFETY: the frame is boxed, so its address is stable until Drop
        // takes it off the stack again.
        unsafe {
            let mut frame = Box::new(pg_sys::ErrorContextCallback {
                previous: pg_sys::error_context_stack,
                callback: Some(remember),
                arg: std::ptr::null_mut(),
            });
            pg_sys::error_context_stack = &mut *frame;
            Frame { frame }
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // SAFETY: frames are pushed and popped in stack order.
        unsafe { pg_sys::error_context_stack = self.frame.previous }
    }
}

/// Run `f`; a PostgreSQL error inside comes back as an `Err`, with the
/// 1-based character position PostgreSQL gave it, if any.
pub fn located<T>(f: impl FnOnce() -> Result<T>) -> (Result<T>, Option<usize>) {
    POSITION.with(|c| c.set(0));
    let frame = Frame::push();
    let outcome = PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .catch_others(|caught| Err(crate::run::from_caught(caught)))
        .execute();
    drop(frame);
    let position = POSITION.with(|c| c.replace(0));
    (outcome, (position > 0).then_some(position))
}

/// `message (line 2, column 7 of the statement)`.
pub fn at(mut e: MigrateError, text: &str, position: usize, what: &str) -> MigrateError {
    let (line, column) = crate::ddl::line_and_column(text, position);
    e.message = format!("{} (line {line}, column {column} of {what})", e.message);
    e
}
