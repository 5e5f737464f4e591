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

/// The shape the code keeps, read from the sources.
#[cfg(test)]
mod shape {
    use std::collections::{BTreeMap, BTreeSet};

    /// Each module's source text, by module name.
    fn sources() -> BTreeMap<String, String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect()
    }

    /// The modules `text` names as `crate::m` (in paths and in `use
    /// crate::{a, b}` groups), comments included.
    fn uses(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(0)]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or(""))
                    .collect(),
                None => vec![rest
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or("")],
            };
            out.extend(
                names
                    .into_iter()
                    .filter(|n| modules.contains(*n))
                    .map(String::from),
            );
        }
        out
    }

    /// No module imports one that imports it back, directly or around a
    /// longer loop: the core never reaches into the shell that uses it.
    #[test]
    fn no_module_imports_one_that_imports_it_back() {
        let sources = sources();
        let modules: BTreeSet<String> = sources.keys().cloned().collect();
        let edges: BTreeMap<&String, BTreeSet<String>> = sources
            .iter()
            .map(|(m, text)| {
                let mut used = uses(text, &modules);
                used.remove(m);
                (m, used)
            })
            .collect();
        for start in &modules {
            // every module reachable from `start`; `start` must not be one
            let mut seen = BTreeSet::new();
            let mut todo: Vec<&String> = edges[start].iter().collect();
            while let Some(m) = todo.pop() {
                assert_ne!(m, start, "{start} reaches itself through its imports");
                if seen.insert(m.clone()) {
                    todo.extend(edges[m].iter());
                }
            }
        }
    }
}
