//! Running revisions: plan the steps, run each op's SQL in the caller's
//! transaction, and record the result.
//!
//! Every op runs inside a guard that turns any failure into an error naming
//! the revision and the op, keeping PostgreSQL's own SQLSTATE, detail and
//! hint. Nothing is committed here: a failure anywhere aborts the caller's
//! transaction, and with it every change of the call.

use crate::capture;
use crate::catalog;
use crate::enum_run::{self, planned, Later};
use crate::error::{code, MigrateError, Result};
use crate::graph::Graph;
use crate::inverse;
use crate::ops::{op_label, revision_ops, AlterColumn, CreateIndex, Downgrade, Op};
use crate::plan::{self, Direction, Mode, Plan};
use crate::quote::qualified;
use crate::render::{self, render, Line, ScriptStep};
use crate::shell::{self, guarded};
use crate::store::{self, LogEntry};
use crate::target::Target;
use crate::waits;
use pgrx::prelude::*;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The ops one step runs, parsed and checked before anything runs.
struct Step {
    index: usize,
    ops: Vec<Op>,
    /// What to say before op n runs (n may be `ops.len()`: after the last):
    /// what a recorded downgrade does not give back, or that nothing was
    /// recorded (yet).
    notes: Vec<(usize, String)>,
    /// Whether the upgrade records what it changes, for its downgrade.
    records: bool,
    /// Upgrade ops (index, kind) whose inverse should have been recorded
    /// and was not.
    unrecorded: Vec<(usize, &'static str)>,
}

/// The step revision `id` runs in `direction`, from its stored JSON and
/// what its upgrade recorded (`recorded`; `applied`: whether the revision
/// is applied, for what a missing record means).
fn step_of(
    index: usize,
    id: &str,
    direction: Direction,
    stored: &store::StoredOps,
    applied: bool,
) -> Result<Step> {
    let (up, down) = revision_ops(
        id,
        &stored.upgrade,
        stored.downgrade.as_deref(),
        stored.recorded.as_deref(),
    )?;
    Ok(match direction {
        Direction::Up => Step {
            index,
            records: stored.downgrade.is_none() && up.iter().any(Op::recorded_inverse),
            ops: up,
            notes: vec![],
            unrecorded: vec![],
        },
        Direction::Down => Step {
            index,
            notes: down_notes(&up, &down, applied),
            records: false,
            unrecorded: down
                .unrecorded()
                .filter_map(|s| Some((s.upgrade_op, up.get(s.upgrade_op)?.kind())))
                .collect(),
            ops: down.ops,
        },
    })
}

/// The notes of a derived downgrade: before each recorded inverse, what it
/// does not give back; in place of a missing one, why it is missing.
fn down_notes(up: &[Op], down: &Downgrade, applied: bool) -> Vec<(usize, String)> {
    down.slots
        .iter()
        .filter_map(|slot| {
            let op = up.get(slot.upgrade_op)?;
            let note = if slot.recorded {
                inverse::data_note(op)?
            } else {
                inverse::pending_note(applied)
            };
            Some((
                slot.at,
                format!("upgrade op {} ({}): {note}", slot.upgrade_op + 1, op.kind()),
            ))
        })
        .collect()
}

/// Load the planned revisions' ops, all of them before anything runs, and
/// their messages (the graph is loaded without them) for the lines that
/// announce each step.
fn load_steps(graph: &mut Graph, plan: &Plan) -> Result<Vec<Step>> {
    let ids: Vec<String> = plan
        .steps
        .iter()
        .map(|&i| graph.id(i).to_string())
        .collect();
    let mut stored: HashMap<String, store::StoredOps> = store::ops_of(&ids)?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    plan.steps
        .iter()
        .map(|&i| {
            let id = graph.id(i).to_string();
            let o = stored.remove(&id).ok_or_else(|| {
                MigrateError::new(
                    code::UNKNOWN,
                    format!("revision {id} vanished during the run"),
                )
            })?;
            graph.nodes[i].message = o.message.clone();
            step_of(i, &id, plan.direction, &o, o.applied)
        })
        .collect()
}

/// A planned run: the graph, what is applied, and the steps to take.
pub struct Prepared {
    graph: Graph,
    applied: Vec<bool>,
    direction: Direction,
    steps: Vec<Step>,
}

/// What planning a run found: nothing to do (the current revision), or
/// the steps.
pub enum Planned {
    Done(Option<String>),
    Steps(Box<Prepared>),
}

/// Plan a run to `target` from the current version: the steps, their ops
/// loaded and checked. The caller holds the run lock.
pub fn prepare(mode: Mode, target: &Target) -> Result<Planned> {
    enum_run::forget_unusable();
    // the common call, upgrade('head') with nothing to do, without the graph
    if mode == Mode::Upgrade && matches!(target, Target::Head | Target::Heads) {
        if let Some(heads) = store::unchanged_heads()? {
            if heads.len() == 1 || *target == Target::Heads {
                return Ok(Planned::Done(Some(heads.join(","))));
            }
        }
    }
    let mut graph = store::load_graph()?;
    let versions = store::versions()?;
    refuse_drift(&graph, &versions)?;
    let current = graph.current(&versions)?;
    let applied = graph.closure(&current);
    let plan = plan::plan(&graph, &applied, &current, target, mode)?;
    if let Some(r) = plan.already_applied {
        notice!("revision {} is already applied; nothing to do", graph.id(r));
    }
    if plan.steps.is_empty() {
        return Ok(Planned::Done(joined(&graph, &current)));
    }
    let steps = load_steps(&mut graph, &plan)?;
    refuse_unrecorded(&graph, &steps)?;
    Ok(Planned::Steps(Box::new(Prepared {
        graph,
        applied,
        direction: plan.direction,
        steps,
    })))
}

/// Refuse a downgrade through a revision whose derived downgrade needs what
/// its upgrade recorded, when nothing was recorded: it was stamped, or
/// applied by an offline script, so the engine never saw what its ops
/// changed.
fn refuse_unrecorded(graph: &Graph, steps: &[Step]) -> Result<()> {
    let Some((step, (n, kind))) = steps
        .iter()
        .find_map(|s| s.unrecorded.first().map(|u| (s, u)))
    else {
        return Ok(());
    };
    let id = graph.id(step.index);
    let parents = &graph.nodes[step.index].parents;
    Err(MigrateError::new(
        code::NOT_READY,
        format!(
            "revision {id} cannot be downgraded: undoing upgrade op {} ({kind}) needs what the upgrade recorded when it ran, and nothing was recorded (revision {id} was stamped, or applied by an offline script)",
            n + 1
        ),
    )
    .with_detail("migrate.upgrade records what such an op changes or removes, read from the catalog as it runs the op; a stamp or a script from migrate.sql() does not.")
    .with_hint(format!(
        "Undo the revision's changes by hand, then move the version below it with SELECT migrate.stamp('{}').",
        if parents.is_empty() { "base".to_string() } else { parents.join("', '") }
    )))
}

impl Prepared {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Run step `si` (announced with a NOTICE) and mark it applied or
    /// reverted; its log entry. Its ops run in the caller's transaction,
    /// each under bounded lock waits; or, for a step of concurrent index
    /// ops (only `CALL migrate.run`, which has committed first), each at
    /// top level in a background worker.
    pub fn apply(&mut self, si: usize) -> Result<LogEntry> {
        let graph = &self.graph;
        let step = &self.steps[si];
        let direction = self.direction;
        let id = graph.id(step.index);
        notice!("{}", step_line(graph, step.index, direction));
        let started = now();
        let (statements, recorded) = if self.is_concurrent(si) {
            (self.top_level_statements(si)?, None)
        } else {
            self.transaction_statements(si)?
        };
        let entry = LogEntry {
            revision: id.to_string(),
            direction: direction.word(),
            started,
            finished: now(),
            statements,
            recorded,
        };
        self.applied[step.index] = direction == Direction::Up;
        Ok(entry)
    }

    /// Run the ops of step `si` in the caller's transaction; the statements
    /// that ran, and, for an upgrade that records its downgrade, what each
    /// op changed as it was just before it ran (one entry per op).
    fn transaction_statements(&self, si: usize) -> Result<(Vec<String>, Option<Value>)> {
        let step = &self.steps[si];
        let id = self.graph.id(step.index);
        // One subtransaction per revision, not per op: each one costs more
        // as the transaction grows (PostgreSQL walks its relation cache and
        // pending file deletions at every subtransaction end), which made
        // a run of 1,000 revisions of 5 ops 1.6x the plain DDL. A lock
        // timeout rolls back and retries the revision's ops so far; its
        // messages still name the op that waited.
        let current = std::cell::Cell::new(0usize);
        let label_of = || {
            let n = current.get();
            op_label(id, self.direction.word(), n, step.ops.get(n))
        };
        let (statements, recorded) = shell::migrating(|| {
            waits::bounded(&label_of, || {
                let mut statements = Vec::new();
                let mut recorded: Vec<Value> = Vec::new();
                for (n, op) in step.ops.iter().enumerate() {
                    current.set(n);
                    let label = op_label(id, self.direction.word(), n, Some(op));
                    say_notes(id, step, n);
                    let later = later(&self.steps, si, n);
                    let (ran, undo) = guarded(&label, || {
                        // read before the op changes it, in the same try
                        let undo = match step.records {
                            true => record(op)?,
                            false => Value::Null,
                        };
                        let mut ran = Vec::new();
                        run_op(op, &later, &mut ran)?;
                        Ok((ran, undo))
                    })
                    .map_err(|e| no_cascade_hint(op, e))?;
                    statements.extend(ran);
                    recorded.push(undo);
                }
                Ok((statements, recorded))
            })
        })?;
        say_notes(id, step, step.ops.len());
        Ok((statements, step.records.then_some(Value::Array(recorded))))
    }

    /// Walk every step as a run would, handing each op's lines to
    /// `each(revision, op index, op kind, line)`; concurrent index ops are
    /// run as plain (non-concurrent) ones, after a note. For the dry run,
    /// inside a subtransaction that is rolled back.
    pub fn walk_lines(
        &self,
        each: &mut dyn FnMut(&str, usize, &str, Line) -> Result<()>,
    ) -> Result<()> {
        for (si, step) in self.steps.iter().enumerate() {
            let id = self.graph.id(step.index);
            let direction = self.direction;
            for (n, op) in step.ops.iter().enumerate() {
                let label = op_label(id, direction.word(), n, Some(op));
                for (_, note) in step.notes.iter().filter(|(at, _)| *at == n) {
                    each(id, n, op.kind(), Line::Note(note.clone()))?;
                }
                let later = later(&self.steps, si, n);
                let plain;
                let op = if op.is_concurrent() {
                    each(id, n, op.kind(), Line::Note(format!(
                        "{}: CALL migrate.run builds this at top level, CONCURRENTLY (SHARE UPDATE EXCLUSIVE; writes go on); measured here as a plain build",
                        op.kind()
                    )))?;
                    plain = op.without_concurrently();
                    &plain
                } else {
                    op
                };
                shell::migrating(|| {
                    guarded(&label, || {
                        // what the run records is read here too: a refusal shows
                        if step.records {
                            record(op)?;
                        }
                        each_line(op, &later, &mut |line| each(id, n, op.kind(), line))
                    })
                })?;
            }
        }
        Ok(())
    }

    /// Whether step `si` runs at top level (concurrent index ops).
    pub fn is_concurrent(&self, si: usize) -> bool {
        self.steps[si].ops.iter().any(Op::is_concurrent)
    }

    /// Refuse a run in one transaction when a step builds or drops an index
    /// concurrently, before anything runs.
    fn refuse_concurrent(&self) -> Result<()> {
        for step in &self.steps {
            if let Some((n, op)) = step
                .ops
                .iter()
                .enumerate()
                .find(|(_, op)| op.is_concurrent())
            {
                let label = op_label(
                    self.graph.id(step.index),
                    self.direction.word(),
                    n,
                    Some(op),
                );
                return Err(MigrateError::new(
                    code::IN_TRANSACTION,
                    format!("{label}: a concurrent index op cannot run inside a transaction, and migrate.upgrade and migrate.downgrade run in one"),
                )
                .with_hint(format!(
                    "Use CALL migrate.{}(...), which commits before the op and runs it at top level.",
                    if self.direction == Direction::Up { "run" } else { "run_down" }
                )));
            }
        }
        Ok(())
    }

    /// Run the ops of step `si`, all concurrent index ops, each at top
    /// level in a background worker; the statements that ran. The caller
    /// has committed and holds no snapshot. If an op fails, the indexes
    /// this step built are dropped again (concurrently); indexes it dropped
    /// stay dropped.
    fn top_level_statements(&self, si: usize) -> Result<Vec<String>> {
        let step = &self.steps[si];
        let id = self.graph.id(step.index);
        let mut statements = Vec::new();
        let mut built: Vec<String> = Vec::new();
        for (n, op) in step.ops.iter().enumerate() {
            let label = op_label(id, self.direction.word(), n, Some(op));
            let sql = render(op).join(";\n");
            let index = match op {
                Op::CreateIndex(i) => Some(qualified(i.schema.as_deref(), &i.name)),
                _ => None,
            };
            notice!("{label}: running at top level in a background worker: {sql}");
            if let Err(e) = crate::worker::top_level(&sql, index.as_deref()) {
                for index in built.iter().rev() {
                    let _ = crate::worker::top_level(
                        &format!("DROP INDEX CONCURRENTLY IF EXISTS {index}"),
                        None,
                    );
                }
                let e = e.context(&label);
                return Err(if built.is_empty() {
                    e
                } else {
                    e.with_hint(format!(
                        "The indexes built by the earlier ops of this revision were dropped again: {}.",
                        built.join(", ")
                    ))
                });
            }
            if let Some(index) = index {
                built.push(index);
            }
            statements.push(sql);
        }
        Ok(statements)
    }

    /// Record steps that ran (`log`, in order) and the heads they left;
    /// `digest` also records the graph digest of the fast path at head
    /// (a scan of every revision: once per run). Returns the current
    /// revision.
    pub fn record(&self, log: &[LogEntry], digest: bool) -> Result<Option<String>> {
        let heads = self.graph.heads_of(&self.applied);
        let head_ids: Vec<String> = heads
            .iter()
            .map(|&i| self.graph.id(i).to_string())
            .collect();
        let ran: Vec<String> = log.iter().map(|e| e.revision.clone()).collect();
        let (up, down) = match self.direction {
            Direction::Up => (ran, vec![]),
            Direction::Down => (vec![], ran),
        };
        store::record(log, &head_ids, &up, &down, digest)?;
        Ok(joined(&self.graph, &heads))
    }
}

/// Upgrade or downgrade to `target` in the caller's transaction; returns
/// the current revision afterwards.
pub fn migrate(mode: Mode, target: &Target) -> Result<Option<String>> {
    store::lock()?;
    let mut prepared = match prepare(mode, target)? {
        Planned::Done(current) => return Ok(current),
        Planned::Steps(p) => p,
    };
    prepared.refuse_concurrent()?;
    let mut log = Vec::with_capacity(prepared.len());
    for si in 0..prepared.len() {
        log.push(prepared.apply(si)?);
    }
    prepared.record(&log, true)
}

/// `migrate.verify()`. At head with nothing changed since the last run or
/// stamp (every revision applied with the checksum it was applied with, the
/// graph as that run left it) there is nothing to report, and the graph
/// need not be loaded.
pub fn verify_all() -> Result<Vec<(String, String)>> {
    if store::unchanged_heads()?.is_some() {
        return Ok(Vec::new());
    }
    verify(&store::load_graph()?, &store::versions()?)
}

/// `migrate.heads()`: at head with nothing changed, the heads the last run
/// left; otherwise from the graph.
pub fn heads() -> Result<Vec<String>> {
    if let Some(heads) = store::unchanged_heads()? {
        return Ok(heads);
    }
    let g = store::load_graph()?;
    Ok(g.heads().iter().map(|&i| g.id(i).to_string()).collect())
}

/// What `migrate.verify()` reports: each applied revision that changed or
/// vanished since it was applied, each applied revision without a recorded
/// checksum, each version row that names no stored revision.
pub fn verify(graph: &Graph, versions: &[String]) -> Result<Vec<(String, String)>> {
    let (known, unknown) = graph.split_versions(versions);
    let mut problems: Vec<(String, String)> = unknown
        .into_iter()
        .map(|v| {
            (
                v.to_string(),
                "the version names a revision that is not stored".into(),
            )
        })
        .collect();
    let applied = graph.closure(&known);
    let stored = store::recorded()?;
    // every revision applied, each with a record: nothing can lack one,
    // and the ids need not be read
    let all_recorded = applied.iter().all(|&a| a) && stored.of_stored == graph.len();
    let mut recorded = vec![all_recorded; graph.len()];
    if !all_recorded {
        for id in store::recorded_ids()? {
            if let Some(i) = graph.get(&id) {
                recorded[i] = true;
            }
        }
    }
    for (id, gone) in stored.differ {
        if gone {
            problems.push((id, "deleted after it was applied".into()));
        } else if graph.get(&id).is_some_and(|i| applied[i]) {
            problems.push((id, "changed after it was applied".into()));
        }
    }
    for i in graph
        .topo()
        .iter()
        .copied()
        .filter(|&i| applied[i] && !recorded[i])
    {
        problems.push((
            graph.id(i).to_string(),
            "applied, but no checksum was recorded (was migrate.version edited by hand?)".into(),
        ));
    }
    Ok(problems)
}

fn refuse_drift(graph: &Graph, versions: &[String]) -> Result<()> {
    let problems = verify(graph, versions)?;
    if problems.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = problems
        .iter()
        .take(5)
        .map(|(id, why)| format!("{id}: {why}"))
        .collect();
    Err(MigrateError::new(
        code::NOT_READY,
        format!(
            "the migration history has drifted: {} problem(s) with applied revisions",
            problems.len()
        ),
    )
    .with_detail(shown.join("; "))
    .with_hint(
        "SELECT * FROM migrate.verify() lists them. Put the revisions back as they were \
         applied, or accept the stored ones with migrate.stamp(...).",
    ))
}

/// The statements of step `si` as a run from the live catalog would plan
/// them; an enum op whose type is not there yet keeps its placeholder.
fn offline_statements(steps: &[Step], si: usize) -> Vec<Line> {
    let step = &steps[si];
    let notes = |n: usize| {
        step.notes
            .iter()
            .filter(move |(at, _)| *at == n)
            .map(|(_, note)| Line::Note(note.clone()))
    };
    step.ops
        .iter()
        .enumerate()
        .flat_map(|(n, op)| {
            let later = later(steps, si, n);
            let lines: Vec<Line> = match planned(op, &later) {
                Ok(sql) => sql,
                Err(e) => std::iter::once(Line::Note(format!(
                    "{} {}: planned at run time ({})",
                    op.kind(),
                    match op {
                        Op::AddEnumValue { name, .. }
                        | Op::DropEnumValue { name, .. }
                        | Op::SetEnumValues { name, .. } => name.as_str(),
                        _ => "",
                    },
                    e.message
                )))
                .chain(render(op).into_iter().map(Line::Sql))
                .collect(),
            };
            notes(n).chain(lines)
        })
        .chain(notes(step.ops.len()))
        .collect()
}

/// The lines of step `si` in an offline script: its statements, after a
/// note when the upgrade would record its downgrade as it runs, which a
/// script cannot do.
fn offline_lines(steps: &[Step], si: usize) -> Vec<Line> {
    let mut lines = offline_statements(steps, si);
    if steps[si].records {
        lines.insert(
            0,
            Line::Note(
                "this script records no downgrade: undoing this revision later needs an explicit downgrade, or a run by migrate.upgrade or CALL migrate.run".into(),
            ),
        );
    }
    lines
}

/// The steps a run to `target` would take from the current version, planned
/// as `migrate.sql(target)` plans them: each revision's id and its ops in
/// The plan from the version `start` (revision indexes) to `target` in
/// either direction, as `migrate.sql()` and `migrate.lint()` make it: what
/// is applied at `start`, the plan, and its steps with their ops.
fn steps_from(
    graph: &mut Graph,
    start: &[usize],
    target: &Target,
) -> Result<(Vec<bool>, Plan, Vec<Step>)> {
    let applied = graph.closure(start);
    let plan = plan::plan(
        graph,
        &applied,
        &graph.heads_of(&applied),
        target,
        Mode::Either,
    )?;
    let steps = load_steps(graph, &plan)?;
    Ok((applied, plan, steps))
}

/// the direction it runs (`migrate.lint` reads them).
pub fn pending_ops(target: &Target) -> Result<Vec<(String, Vec<Op>)>> {
    let mut graph = store::load_graph()?;
    let current = graph.current(&store::versions()?)?;
    let (_, _, steps) = steps_from(&mut graph, &current, target)?;
    Ok(steps
        .into_iter()
        .map(|s| (graph.id(s.index).to_string(), s.ops))
        .collect())
}

/// `migrate.show()`: everything about one revision, with the SQL it runs
/// in each direction.
pub fn show(spec: &str) -> Result<serde_json::Value> {
    let graph = store::load_graph()?;
    let i = graph.resolve(spec)?;
    let id = graph.id(i);
    let stored = store::load_revision(id)?
        .ok_or_else(|| MigrateError::new(code::UNKNOWN, format!("revision {id} vanished")))?;
    let current = graph.current(&store::versions()?)?;
    let applied = graph.closure(&current);
    let (up, down) = revision_ops(
        id,
        &stored.upgrade,
        stored.downgrade.as_deref(),
        stored.recorded.as_deref(),
    )?;
    let recorded_row = stored.applied_checksum.is_some();
    let down_notes = down_notes(&up, &down, recorded_row);
    let sql = |ops: &[Op], notes: &[(usize, String)]| -> Vec<String> {
        let steps = [Step {
            index: i,
            ops: ops.to_vec(),
            notes: notes.to_vec(),
            records: false,
            unrecorded: vec![],
        }];
        offline_statements(&steps, 0)
            .iter()
            .map(Line::text)
            .collect::<Vec<String>>()
    };
    let node = &graph.nodes[i];
    Ok(serde_json::json!({
        "id": id,
        "message": stored.message,
        "down_revision": node.parents,
        "depends_on": node.depends_on,
        "branch_labels": node.labels,
        "children": graph.children(i).iter().map(|&c| graph.id(c)).collect::<Vec<_>>(),
        "created_at": stored.created_at,
        "applied": applied[i],
        "is_head": graph.children(i).is_empty(),
        "checksum": stored.checksum,
        "applied_checksum": stored.applied_checksum,
        "upgrade": marked(&up),
        "downgrade": marked(&down.ops),
        "downgrade_derived": stored.downgrade.is_none(),
        "downgrade_recorded": match (down.slots.is_empty(), down.unrecorded().next().is_none(), recorded_row) {
            (true, _, _) => serde_json::Value::Null,
            (false, true, _) => "recorded".into(),
            (false, false, false) => "at upgrade".into(),
            (false, false, true) => "missing".into(),
        },
        "upgrade_sql": sql(&up, &[]),
        "downgrade_sql": sql(&down.ops, &down_notes),
    }))
}

/// Ops as JSON for `show`, each op that loses data marked
/// `"destructive": true`.
fn marked(ops: &[Op]) -> serde_json::Value {
    ops.iter()
        .map(|op| {
            let mut v = serde_json::to_value(op).unwrap_or_default();
            if crate::model::destructive(op) {
                if let Some(o) = v.as_object_mut() {
                    o.insert("destructive".into(), true.into());
                }
            }
            v
        })
        .collect()
}

/// `migrate.sql()`: the offline script that takes the database from
/// `from` (default: the current version) to `target`. Nothing runs.
pub fn offline(target: &Target, from: Option<&str>) -> Result<Vec<String>> {
    let mut graph = store::load_graph()?;
    let start: Vec<usize> = match from.map(str::trim) {
        None => graph.current(&store::versions()?)?,
        Some(f) => match Target::parse(f)? {
            Target::Base => vec![],
            Target::Heads => graph.heads(),
            Target::Head => graph.single_head()?,
            Target::Rev(spec) => vec![graph.resolve(&spec)?],
            Target::Branch(label, crate::target::BranchAt::Head) => graph.branch_heads(&label)?,
            _ => {
                return Err(MigrateError::invalid(format!(
                    "from_revision \"{f}\" must name a revision, base, head or heads"
                )))
            }
        },
    };
    let (applied, plan, steps) = steps_from(&mut graph, &start, target)?;
    let mut after = applied.clone();
    let changes = plan::version_changes(&graph, &mut after, &plan);
    let script: Vec<ScriptStep> = steps
        .iter()
        .enumerate()
        .zip(&changes)
        .map(|((si, step), change)| ScriptStep {
            title: step_line(&graph, step.index, plan.direction),
            revision: graph.id(step.index),
            upgrade: plan.direction == Direction::Up,
            statements: offline_lines(&steps, si),
            removed: change.removed.iter().map(|&r| graph.id(r)).collect(),
            added: change.added.iter().map(|&r| graph.id(r)).collect(),
            concurrent: step.ops.iter().any(Op::is_concurrent),
        })
        .collect();
    Ok(render::script(&script))
}

/// Set the version to `target` without running any op (adopting an
/// existing database; `base` clears it). Version rows that name no stored
/// revision are dropped, so a stamp also repairs the version table.
pub fn stamp(target: &Target) -> Result<Option<String>> {
    store::lock()?;
    let graph = store::load_graph()?;
    let versions = store::versions()?;
    let (current, unknown) = graph.split_versions(&versions);
    for v in unknown {
        notice!("version {v} names no stored revision; dropping it");
    }
    let mut applied = graph.closure(&current);
    let plan = plan::plan(&graph, &applied, &current, target, Mode::Either)?;
    for &i in &plan.steps {
        applied[i] = plan.direction == Direction::Up;
    }
    let heads = graph.heads_of(&applied);
    notice!(
        "Stamping {} -> {}",
        joined(&graph, &current).unwrap_or_default(),
        joined(&graph, &heads).unwrap_or_default()
    );
    let head_ids: Vec<String> = heads.iter().map(|&i| graph.id(i).to_string()).collect();
    store::record(&[], &head_ids, &[], &[], true)?;
    let all: Vec<String> = (0..graph.len())
        .filter(|&i| applied[i])
        .map(|i| graph.id(i).to_string())
        .collect();
    store::restamp(&all)?;
    Ok(joined(&graph, &heads))
}

/// `migrate.history()` rows: (order, id, applied, is_head), newest first,
/// within an Alembic-style range when one is given.
pub fn history(range: Option<&str>) -> Result<Vec<(i32, String, bool, bool)>> {
    let g = store::load_graph()?;
    let current = g.current(&store::versions()?)?;
    let applied = g.closure(&current);
    let mut is_head = vec![false; g.len()];
    for i in g.heads() {
        is_head[i] = true;
    }
    let order: Vec<usize> = match range {
        Some(r) => plan::range(&g, &current, r)?,
        None => g.newest_first().collect(),
    };
    Ok(order
        .into_iter()
        .enumerate()
        .map(|(ord, i)| (ord as i32, g.id(i).to_string(), applied[i], is_head[i]))
        .collect())
}

/// Which of `ids` are applied (reachable from `migrate.version`).
pub fn applied_of(ids: Vec<Option<String>>) -> Result<Vec<String>> {
    let g = store::load_graph()?;
    let current = g.current(&store::versions()?)?;
    let applied = g.closure(&current);
    Ok(ids
        .into_iter()
        .flatten()
        .filter(|id| g.get(id).is_some_and(|i| applied[i]))
        .collect())
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

/// The ops that run after op `n` of step `si`.
fn later(steps: &[Step], si: usize, n: usize) -> Later<'_> {
    Later::new(
        &steps[si].ops[n + 1..],
        steps[si + 1..].iter().map(|s| s.ops.as_slice()).collect(),
    )
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Check what the op needs from the live catalog, then run its SQL.
fn run_op(op: &Op, later: &Later, statements: &mut Vec<String>) -> Result<()> {
    each_line(op, later, &mut |line| {
        match line {
            Line::Note(note) => notice!("{note}"),
            Line::Sql(sql) => {
                run_sql(&sql)?;
                statements.push(sql);
            }
        }
        Ok(())
    })
}

/// Check what the op needs from the live catalog, then hand each line of
/// its plan (strategy notes and statements) to `each`, which runs them.
fn each_line(op: &Op, later: &Later, each: &mut dyn FnMut(Line) -> Result<()>) -> Result<()> {
    if !enum_run::checked(op)? {
        return Ok(());
    }
    match op {
        Op::AddColumn { column, .. } => catalog::check_type(&column.type_name)?,
        Op::CreateIndex(CreateIndex {
            method: Some(m), ..
        }) => catalog::check_index_method(m)?,
        Op::CreateTable { columns, .. } => {
            for c in columns {
                catalog::check_type(&c.type_name)?;
            }
        }
        Op::AlterColumn(AlterColumn {
            type_name: Some(t), ..
        }) => catalog::check_type(t)?,
        _ => {}
    }
    for line in planned(op, later)? {
        each(line)?;
    }
    Ok(())
}

/// What an upgrade op changes, read just before it runs, as the ops that
/// undo it (JSON null for an op undone without the catalog).
fn record(op: &Op) -> Result<Value> {
    if !op.recorded_inverse() {
        return Ok(Value::Null);
    }
    Ok(crate::ops::to_json(&capture::record(op)?))
}

/// Say the notes of step `step` (of revision `id`) that stand before op `n`.
fn say_notes(id: &str, step: &Step, n: usize) {
    for (_, note) in step.notes.iter().filter(|(at, _)| *at == n) {
        notice!("revision {id}, downgrade: {note}");
    }
}

/// PostgreSQL suggests CASCADE when a drop is blocked; an op never cascades,
/// so say what to do instead.
fn no_cascade_hint(op: &Op, e: MigrateError) -> MigrateError {
    match op {
        Op::DropEnum { .. } | Op::DropColumn { .. }
            if e.hint.as_deref().is_some_and(|h| h.contains("CASCADE")) =>
        {
            e.with_hint(
                "Drop or change the dependent objects first, in an earlier op; migrate_ext never uses CASCADE.",
            )
        }
        _ => e,
    }
}

/// Run one statement of an op. PostgreSQL's own errors pass through the
/// guard unchanged; SPI's refusals become errors a user can act on.
pub fn run_sql(sql: &str) -> Result<()> {
    let (outcome, position) =
        crate::shell::located(crate::errpos::Source::Ran(sql), || spi_run(sql));
    if enum_run::may_add_value(sql) {
        enum_run::forget_unusable();
    }
    outcome.map_err(|e| match position {
        Some(p) => crate::errpos::at(e, sql, p, "the SQL"),
        None => e,
    })
}

fn spi_run(sql: &str) -> Result<()> {
    shell::as_caller(|| shell::write(sql, &[]))
}
