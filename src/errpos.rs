//! Where in a statement PostgreSQL's error happened.
//!
//! The cursor position of an error (a syntax error's, or one inside a
//! statement run through SPI) lives only in PostgreSQL's ErrorData, which
//! pgrx does not hand over. An error context callback, as PL/pgSQL uses,
//! reads it while the error is raised; [`watched`] runs code under one and
//! returns the position with the outcome.

use crate::error::MigrateError;
use pgrx::pg_sys;
use std::cell::Cell;

thread_local! {
    /// The position the callback last saw (1-based characters; 0: none).
    static POSITION: Cell<usize> = const { Cell::new(0) };
    /// The SQLSTATE and message of the last error the callback saw.
    static LAST: std::cell::RefCell<Option<(i32, String)>> = const { std::cell::RefCell::new(None) };
}

/// The SQLSTATE, packed as PostgreSQL packs it, of the error with this
/// message that the callback saw last, when pgrx has no name for it (it
/// reports those as XX000): a user's own `ERRCODE = 'MG001'`.
pub fn raw_code(code: pgrx::PgSqlErrorCode, message: &str) -> Option<i32> {
    if code != crate::error::code::INTERNAL {
        return None;
    }
    LAST.with(|l| match &*l.borrow() {
        Some((raw, m)) if m == message && *raw != code as i32 => Some(*raw),
        _ => None,
    })
}

/// Whose position the callback keeps.
pub enum Source<'a> {
    /// Text handed to the parser directly: the error's cursor position.
    Parsed,
    /// A statement run through SPI, which moves the position into its own
    /// text: kept only when that text is this statement (an error in a
    /// function body, say, has a position in another text).
    Ran(&'a str),
}

/// The error context callback. Every report sets the position, so the
/// last one wins and no earlier report's position lingers.
///
/// # Safety
/// Only PostgreSQL calls it, through the frame `Frame::push` registered,
/// with that frame's `arg`: NULL or a live [`Source`].
unsafe extern "C-unwind" fn remember(arg: *mut std::ffi::c_void) {
    // SAFETY: `arg` is the `Source` that `Frame::push` registered with us;
    // it outlives the frame (both live in `watched`), and PostgreSQL calls
    // us only while the frame is on its stack.
    let Some(source) = (unsafe { arg.cast::<Source>().as_ref() }) else {
        return;
    };
    // CopyErrorData may not run in ErrorContext, where errfinish calls us
    // SAFETY: a plain read of the backend's current memory context.
    let context = unsafe { pg_sys::CurrentMemoryContext };
    // SAFETY: TopMemoryContext lives as long as the backend; the caller's
    // context is put back right after the copy.
    unsafe { pg_sys::CurrentMemoryContext = pg_sys::TopMemoryContext };
    // SAFETY: errfinish calls us while it reports an error, so there is an
    // error to copy; the copy is allocated in TopMemoryContext.
    let data = unsafe { pg_sys::CopyErrorData() };
    // SAFETY: puts back the context read above, still the caller's.
    unsafe { pg_sys::CurrentMemoryContext = context };
    // SAFETY: `data` is CopyErrorData's copy (or NULL), read only before
    // FreeErrorData below.
    let copy = unsafe { data.as_ref() };
    let position = match (source, copy) {
        (Source::Parsed, Some(d)) => d.cursorpos,
        (Source::Ran(text), Some(d)) if d.internalpos > 0 && !d.internalquery.is_null() => {
            // SAFETY: a non-NULL internalquery is a NUL-terminated string
            // of the copy.
            let query = unsafe { std::ffi::CStr::from_ptr(d.internalquery) };
            if query.to_bytes() == text.as_bytes() {
                d.internalpos
            } else {
                0
            }
        }
        _ => 0,
    };
    if let Some(d) = copy {
        let message = if d.message.is_null() {
            String::new()
        } else {
            // SAFETY: a non-NULL message is a NUL-terminated string of the
            // copy.
            unsafe { std::ffi::CStr::from_ptr(d.message) }
                .to_string_lossy()
                .into_owned()
        };
        LAST.with(|l| *l.borrow_mut() = Some((d.sqlerrcode, message)));
    }
    if !data.is_null() {
        // SAFETY: frees CopyErrorData's copy, once; `copy` is not read after.
        unsafe { pg_sys::FreeErrorData(data) };
    }
    POSITION.with(|c| c.set(usize::try_from(position).unwrap_or(0)));
}

/// An error context frame on PostgreSQL's stack, popped when dropped, also
/// when a PostgreSQL error unwinds through it.
struct Frame {
    frame: Box<pg_sys::ErrorContextCallback>,
}

impl Frame {
    fn push(source: &Source) -> Frame {
        // SAFETY: a plain read of the head of PostgreSQL's error context
        // stack.
        let previous = unsafe { pg_sys::error_context_stack };
        let mut frame = Box::new(pg_sys::ErrorContextCallback {
            previous,
            callback: Some(remember),
            arg: (source as *const Source).cast_mut().cast(),
        });
        // SAFETY: the frame is boxed, so its address is stable until Drop
        // takes it off the stack again; `source` outlives the frame (both
        // live in `located`).
        unsafe { pg_sys::error_context_stack = &mut *frame };
        Frame { frame }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // SAFETY: frames are pushed and popped in stack order.
        unsafe { pg_sys::error_context_stack = self.frame.previous }
    }
}

/// Run `f` under the error context callback; a failed outcome comes back
/// with the 1-based character position PostgreSQL gave its error in
/// `source`, if any. `f` catches the error itself
/// (`shell::located` passes `shell::caught`); an error that
/// unwinds through still pops the frame.
pub fn watched<T, E>(
    source: Source,
    f: impl FnOnce() -> std::result::Result<T, E>,
) -> (std::result::Result<T, E>, Option<usize>) {
    POSITION.with(|c| c.set(0));
    let frame = Frame::push(&source);
    let outcome = f();
    drop(frame);
    let position = POSITION.with(|c| c.replace(0));
    let failed = outcome.is_err();
    (outcome, (failed && position > 0).then_some(position))
}

/// `message (line 2, column 7 of the statement)`.
pub fn at(mut e: MigrateError, text: &str, position: usize, what: &str) -> MigrateError {
    let (line, column) = crate::ddl::line_and_column(text, position);
    e.message = format!("{} (line {line}, column {column} of {what})", e.message);
    e
}
