//! Running revisions: plan the steps, run each op's SQL in the caller's
//! transaction, and record the result.
//!
//! Every op runs inside a guard that turns any failure into an error naming
//! the revision and the op, keeping PostgreSQL's own SQLSTATE, detail and
//! hint. Nothing is committed here: a failure anywhere aborts the caller's
//! transaction, and with it every change of the call.

use crate::catalog::{self, spi};
use crate::error::{code, MigrateError, Result};
use crate::graph::Graph;
use crate::ops::{downgrade_ops, op_label, parse_json, parse_ops, Op};
use crate::quote::qualified;
use crate::render::render;
use crate::store::{self, LogEntry};
use crate::target::Target;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        }
    }
}

/// Upgrade or downgrade to `target`; returns the current revision afterwards.
pub fn migrate(direction: Direction, target: &Target) -> Result<Option<String>> {
    store::lock()?;
    let graph = store::load_graph()?;
    let current = graph.current(&store::versions()?)?;
    let mut applied = graph.closure(&current);
    let steps = match direction {
        Direction::Up => graph.plan_upgrade(&applied, target)?,
        Direction::Down => graph.plan_downgrade(&applied, &current, target)?,
    };
    if steps.is_empty() {
        if let (Direction::Up, Target::Rev(spec)) = (direction, target) {
            let r = graph.resolve(spec)?;
            notice!("revision {} is already applied; nothing to do", graph.id(r));
        }
        return Ok(joined(&graph, &current));
    }

    let ids: Vec<String> = steps.iter().map(|&i| graph.id(i).to_string()).collect();
    let mut stored: HashMap<String, _> = store::ops_of(&ids)?
        .into_iter()
        .map(|(id, up, down)| (id, (up, down)))
        .collect();
    let mut log = Vec::with_capacity(steps.len());
    for &i in &steps {
        let id = graph.id(i);
        let (up, down) = stored.remove(id).ok_or_else(|| {
            MigrateError::new(
                code::UNKNOWN,
                format!("revision {id} vanished during the run"),
            )
        })?;
        let upgrade = parse_ops(id, "upgrade", &parse_json(id, "upgrade", &up)?)?;
        let ops = match direction {
            Direction::Up => upgrade,
            Direction::Down => {
                let explicit = match down {
                    Some(d) => Some(parse_ops(
                        id,
                        "downgrade",
                        &parse_json(id, "downgrade", &d)?,
                    )?),
                    None => None,
                };
                downgrade_ops(id, &upgrade, explicit)?
            }
        };
        notice!("{}", step_line(&graph, i, direction));
        let started = now();
        let mut statements = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            let label = op_label(id, direction.word(), n, Some(op));
            guarded(&label, || run_op(op, &mut statements))?;
        }
        log.push(LogEntry {
            revision: id.to_string(),
            direction: direction.word(),
            started,
            finished: now(),
            statements,
        });
        applied[i] = direction == Direction::Up;
    }
    let heads = graph.heads_of(&applied);
    let head_ids: Vec<String> = heads.iter().map(|&i| graph.id(i).to_string()).collect();
    store::record(&log, &head_ids)?;
    Ok(joined(&graph, &heads))
}

/// `Running upgrade a1b2 -> c3d4, message`, as Alembic prints it.
fn step_line(graph: &Graph, i: usize, direction: Direction) -> String {
    let node = &graph.nodes[i];
    let parents = node.parents.join(", ");
    let (from, to) = match direction {
        Direction::Up => (parents.as_str(), node.id.as_str()),
        Direction::Down => (node.id.as_str(), parents.as_str()),
    };
    let msg = node.message.as_deref().unwrap_or("");
    format!("Running {} {from} -> {to}, {msg}", direction.word())
}

/// The current heads, comma-separated; NULL at base.
fn joined(graph: &Graph, heads: &[usize]) -> Option<String> {
    if heads.is_empty() {
        None
    } else {
        Some(
            heads
                .iter()
                .map(|&i| graph.id(i))
                .collect::<Vec<_>>()
                .join(","),
        )
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Run `f`; any error it returns or PostgreSQL raises inside it comes back
/// as a [`MigrateError`] whose message starts with `label`.
fn guarded<F>(label: &str, f: F) -> Result<()>
where
    F: FnOnce() -> Result<()>,
{
    let outcome = PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .catch_others(|caught| Err(from_caught(caught)))
        .execute();
    outcome.map_err(|e| e.context(label))
}

fn from_caught(caught: CaughtError) -> MigrateError {
    let report = match &caught {
        CaughtError::PostgresError(r)
        | CaughtError::ErrorReport(r)
        | CaughtError::RustPanic { ereport: r, .. } => r,
    };
    MigrateError {
        code: report.sql_error_code(),
        message: report.message().to_string(),
        detail: report.detail().map(str::to_string),
        hint: report.hint().map(str::to_string),
    }
}

/// Check what the op needs from the live catalog, then run its SQL.
fn run_op(op: &Op, statements: &mut Vec<String>) -> Result<()> {
    match op {
        Op::CreateEnum {
            schema,
            name,
            values,
        } => {
            if let Some(found) = catalog::type_in_creation_schema(schema.as_deref(), name)? {
                if found.kind != "e" {
                    return Err(MigrateError::new(
                        code::EXISTS,
                        format!("type \"{name}\" already exists and is not an enum"),
                    ));
                }
                if &found.values != values {
                    return Err(MigrateError::new(
                        code::EXISTS,
                        format!("enum \"{name}\" already exists with other values"),
                    )
                    .with_detail(format!(
                        "Existing values: {}; wanted: {}.",
                        found.values.join(", "),
                        values.join(", ")
                    ))
                    .with_hint("Drop it first, or change its values with an execute op."));
                }
                notice!("enum \"{name}\" already exists with the same values, skipping");
                return Ok(());
            }
        }
        Op::DropEnum { schema, name } => {
            if let Some(uses) = catalog::type_uses(schema.as_deref(), name)? {
                if uses.kind != "e" {
                    return Err(MigrateError::new(
                        code::WRONG_KIND,
                        format!("type \"{name}\" is not an enum"),
                    ));
                }
                if !uses.columns.is_empty() {
                    return Err(MigrateError::new(
                        code::IN_USE,
                        format!(
                            "cannot drop enum {} while columns use it: {}",
                            qualified(schema.as_deref(), name),
                            uses.columns.join(", ")
                        ),
                    )
                    .with_hint(
                        "Drop or change those columns first (drop_column before drop_enum).",
                    ));
                }
            }
        }
        Op::AddColumn { column, .. } => catalog::check_type(&column.type_name)?,
        _ => {}
    }
    for sql in render(op) {
        spi(Spi::run(&sql))?;
        statements.push(sql);
    }
    Ok(())
}
