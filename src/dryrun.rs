//! `migrate.dry_run(target)`: run the planned steps for real, inside a
//! subtransaction that is always rolled back, and measure each statement:
//! the locks it took (this backend's rows of `pg_locks` that were not there
//! before it), the relations it rewrote (`relfilenode` changed), the rows in
//! the largest table it locked, and its time.
//!
//! Nothing survives: the schema, `migrate.version`, `migrate.applied` and
//! `migrate.log` roll back with the subtransaction, and sequences, which do
//! not roll back, are set back to where they were.

use crate::error::Result;
use crate::plan::Mode;
use crate::render::Line;
use crate::run::{self, Planned};
use crate::shell::{self, read, write};
use crate::store;
use crate::target::Target;
use std::collections::{BTreeMap, HashMap};

/// One statement (or strategy note) of the dry run.
pub struct Row {
    pub revision: String,
    pub op: i32,
    pub kind: String,
    pub statement: String,
    pub locks: Vec<String>,
    pub rewritten: Vec<String>,
    pub rows: Option<i64>,
    pub ms: f64,
}

/// Relations outside the system schemas and the extension's own.
const USER_RELATION: &str = "c.relnamespace::pg_catalog.regnamespace::pg_catalog.text \
     NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'migrate')";

/// This backend's granted relation locks: (relation oid, mode) -> name, kind.
fn my_locks() -> Result<BTreeMap<(u32, String), (String, String)>> {
    read(
        &format!(
            "SELECT l.relation::pg_catalog.int8, l.mode, \
                    pg_catalog.format('%s', l.relation::pg_catalog.regclass), c.relkind::pg_catalog.text \
               FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_class c ON c.oid = l.relation \
              WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' \
                AND l.granted AND {USER_RELATION}"
        ),
        &[],
        |rows| {
            let mut out = BTreeMap::new();
            for row in rows {
                let oid = row.get::<i64>(1)?.unwrap_or(0) as u32;
                let mode = row.get::<String>(2)?.unwrap_or_default();
                let name = row.get::<String>(3)?.unwrap_or_default();
                let kind = row.get::<String>(4)?.unwrap_or_default();
                out.insert((oid, mode), (name, kind));
            }
            Ok(out)
        },
    )
}

/// The storage of every user table, materialized view and index.
fn filenodes() -> Result<HashMap<u32, (u32, String)>> {
    read(
        &format!(
            "SELECT c.oid::pg_catalog.int8, c.relfilenode::pg_catalog.int8, \
                    pg_catalog.format('%s', c.oid::pg_catalog.regclass) \
               FROM pg_catalog.pg_class c \
              WHERE c.relkind IN ('r', 'm', 'i') AND {USER_RELATION}"
        ),
        &[],
        |rows| {
            let mut out = HashMap::new();
            for row in rows {
                let oid = row.get::<i64>(1)?.unwrap_or(0) as u32;
                let node = row.get::<i64>(2)?.unwrap_or(0) as u32;
                out.insert(oid, (node, row.get::<String>(3)?.unwrap_or_default()));
            }
            Ok(out)
        },
    )
}

/// The rows of a table: the planner's estimate, or a count when it has none
/// (None for a relation that holds no rows of its own).
fn rows_of(oid: u32) -> Result<Option<i64>> {
    let found = read(
        "SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::pg_catalog.int8 END, \
                pg_catalog.format('%s', c.oid::pg_catalog.regclass) \
           FROM pg_catalog.pg_class c \
          WHERE c.oid = $1::pg_catalog.int8::pg_catalog.oid AND c.relkind IN ('r', 'm', 'p')",
        &[i64::from(oid).into()],
        |rows| {
            if rows.is_empty() {
                return Ok(None);
            }
            let row = rows.first();
            Ok(Some((
                row.get::<i64>(1)?,
                row.get::<String>(2)?.unwrap_or_default(),
            )))
        },
    )?;
    match found {
        None => Ok(None),
        Some((Some(estimate), _)) => Ok(Some(estimate)),
        Some((None, name)) => {
            shell::read_one::<i64>(&format!("SELECT pg_catalog.count(*) FROM {name}"), &[])
        }
    }
}

/// Every sequence this role may read and set: (oid, last value, start).
fn sequences() -> Result<Vec<(i64, Option<i64>, i64)>> {
    read(
        "SELECT x.oid::pg_catalog.int8, pg_catalog.pg_sequence_last_value(x.oid), x.seqstart \
           FROM (SELECT s.seqrelid AS oid, s.seqstart, \
                        pg_catalog.has_sequence_privilege(s.seqrelid, 'SELECT, UPDATE') AS mine \
                   FROM pg_catalog.pg_sequence s OFFSET 0) x \
          WHERE x.mine",
        &[],
        |rows| {
            let mut out = Vec::new();
            for row in rows {
                out.push((
                    row.get::<i64>(1)?.unwrap_or(0),
                    row.get::<i64>(2)?,
                    row.get::<i64>(3)?.unwrap_or(1),
                ));
            }
            Ok(out)
        },
    )
}

/// Set back the sequences the dry run advanced (setval does not roll back).
fn restore(before: &[(i64, Option<i64>, i64)]) -> Result<()> {
    let now: HashMap<i64, Option<i64>> = sequences()?
        .into_iter()
        .map(|(oid, last, _)| (oid, last))
        .collect();
    for (oid, last, start) in before {
        if now.get(oid).is_some_and(|n| n != last) {
            match last {
                Some(v) => write(
                    "SELECT pg_catalog.setval($1::pg_catalog.int8::pg_catalog.oid::pg_catalog.regclass, $2, true)",
                    &[(*oid).into(), (*v).into()],
                )?,
                None => write(
                    "SELECT pg_catalog.setval($1::pg_catalog.int8::pg_catalog.oid::pg_catalog.regclass, $2, false)",
                    &[(*oid).into(), (*start).into()],
                )?,
            }
        }
    }
    Ok(())
}

/// The dry run of `upgrade(target)`.
pub fn dry_run(target: &Target) -> Result<Vec<Row>> {
    let before = sequences()?;
    let outcome = shell::rolled_back(|| {
        store::lock()?;
        let prepared = match run::prepare(Mode::Upgrade, target)? {
            Planned::Done(_) => return Ok(Vec::new()),
            Planned::Steps(p) => p,
        };
        let mut out = Vec::new();
        prepared.walk_lines(&mut |revision, n, kind, line| {
            let row = |statement: String| Row {
                revision: revision.to_string(),
                op: n as i32 + 1,
                kind: kind.to_string(),
                statement,
                locks: Vec::new(),
                rewritten: Vec::new(),
                rows: None,
                ms: 0.0,
            };
            match line {
                Line::Note(note) => out.push(row(format!("-- {note}"))),
                Line::Sql(sql) => {
                    let locks = my_locks()?;
                    let files = filenodes()?;
                    let started = std::time::Instant::now();
                    run::run_sql(&sql)?;
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    let mut r = row(sql);
                    r.ms = (ms * 1000.0).round() / 1000.0;
                    for ((oid, mode), (name, kind)) in my_locks()? {
                        if locks.contains_key(&(oid, mode.clone())) {
                            continue;
                        }
                        r.locks.push(format!("{name}: {mode}"));
                        if matches!(kind.as_str(), "r" | "m" | "p") {
                            r.rows = r.rows.max(rows_of(oid)?);
                        }
                    }
                    let after = filenodes()?;
                    let mut rewritten = Vec::new();
                    for (oid, (node, name)) in &files {
                        if after.get(oid).is_some_and(|(n, _)| n != node) {
                            rewritten.push(name.clone());
                            // a rewritten table is locked, if only by an
                            // earlier statement
                            r.rows = r.rows.max(rows_of(*oid)?);
                        }
                    }
                    rewritten.sort();
                    r.rewritten = rewritten;
                    out.push(r);
                }
            }
            Ok(())
        })?;
        Ok(out)
    });
    restore(&before)?;
    outcome
}
