//! What differs between the PostgreSQL versions migrate_ext builds for.
//!
//! The cargo features `pg15`, `pg16` and `pg18` choose the server (as in
//! every pgrx project); everything that depends on the choice lives here,
//! so the rest of the crate reads the same on every version.

use pgrx::pg_sys;
use std::ffi::CStr;

/// `parseTypeString` as PostgreSQL 15 does it with `missing_ok`: a written
/// type name that does not parse, names a shell type or has a bad type
/// modifier raises PostgreSQL's own error; a type that does not exist sets
/// `InvalidOid` and raises nothing.
///
/// # Safety
/// Calls into the server's parser and catalog caches: only in a backend,
/// inside a transaction, and inside a guard that catches PostgreSQL errors.
#[cfg(feature = "pg15")]
pub unsafe fn parse_type_string(name: &CStr, oid: &mut pg_sys::Oid, typmod: &mut i32) {
    pg_sys::parseTypeString(name.as_ptr(), oid, typmod, true);
}

/// Since PostgreSQL 16 the last argument of `parseTypeString` is an error
/// context instead of `missing_ok`, and without one a missing type raises.
/// So look the name up with `missing_ok` first (the same parse and lookup
/// `parseTypeString` does); only when the type exists let `parseTypeString`
/// run, which then raises exactly what 15 raises (shell types, modifiers).
///
/// # Safety
/// As for PostgreSQL 15's version above.
#[cfg(any(feature = "pg16", feature = "pg18"))]
pub unsafe fn parse_type_string(name: &CStr, oid: &mut pg_sys::Oid, typmod: &mut i32) {
    let type_name = pg_sys::typeStringToTypeName(name.as_ptr(), std::ptr::null_mut());
    let found = pg_sys::LookupTypeName(std::ptr::null_mut(), type_name, typmod, true);
    if found.is_null() {
        *oid = pg_sys::InvalidOid;
        return;
    }
    pg_sys::ReleaseSysCache(found);
    pg_sys::parseTypeString(name.as_ptr(), oid, typmod, std::ptr::null_mut());
}

/// `USER_TIMEOUT` of `utils/timeout.h`: the first timeout slot an extension
/// may register (PostgreSQL 17 added `TRANSACTION_TIMEOUT` before it).
#[cfg(any(feature = "pg15", feature = "pg16"))]
pub const USER_TIMEOUT: i32 = 12;
#[cfg(feature = "pg18")]
pub const USER_TIMEOUT: i32 = 13;
