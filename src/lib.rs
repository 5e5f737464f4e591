//! migrate_ext: Alembic-style schema migrations that run inside PostgreSQL.
//!
//! The pure core: [`ops`] (parsing), [`render`] (SQL), [`graph`] (the
//! revision graph), [`plan`] (steps for a target), [`target`] (targets and
//! ids), [`enums`] (enum value plans), [`model`] (schema model and differ),
//! [`ddl`] (which statements a desired schema may hold), [`export`]
//! (revisions as SQL files), [`inverse`] (the ops that recreate what an
//! upgrade op removes), [`quote`],
//! [`error`].
//! The shell that touches the server: [`catalog`] (PostgreSQL's catalogs),
//! [`capture`] (what an upgrade op changes, read before it runs),
//! [`store`] (the extension's tables), [`author`] (writing revisions),
//! [`run`] (running steps), [`enum_run`] (enum ops planned from the live
//! type), [`scratch`] (a desired schema evaluated and
//! rolled back), [`autogen`] (diff, check, autogenerate), [`errpos`] (where
//! an error happened) and [`api`] (the SQL functions). [`compat`] holds
//! what differs between PostgreSQL 15, 16 and 18.

// Every unsafe operation sits in its own block with a SAFETY reason.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod api;
mod author;
mod autogen;
mod capture;
mod catalog;
mod compat;
mod ddl;
mod dryrun;
mod enum_run;
mod enums;
mod error;
mod errpos;
mod export;
mod graph;
mod inverse;
mod lint;
mod model;
mod objects;
mod ops;
mod plan;
mod procedure;
mod quote;
mod render;
mod run;
mod scratch;
mod shell;
mod store;
mod target;
mod waits;
mod worker;

::pgrx::pg_module_magic!(name, version);

/// Load time: define the settings (`migrate.lock_timeout`, ...).
#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    waits::define_settings();
}

pgrx::extension_sql_file!("../sql/tables.sql", name = "tables", bootstrap);
pgrx::extension_sql_file!("../sql/functions.sql", name = "functions", finalize);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
