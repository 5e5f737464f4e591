//! `migrate.diff`, `migrate.check` and `migrate.autogenerate`:
//! the live schema and the desired one, read into the same model, diffed
//! by the pure differ in `model`.

use crate::author::{self, RevisionArgs};
use crate::catalog;
use crate::error::{code, MigrateError, Result};
use crate::model::{self, Model};
use crate::ops::{self, Op, Subject};
use crate::scratch;
use crate::store;
use pgrx::prelude::*;

/// What autogenerate found: the ops both ways. (Objects neither side's
/// model covers are reported as they are found, by `note_others`.)
pub struct Difference {
    pub upgrade: Vec<Op>,
    pub downgrade: Vec<Op>,
    /// objects the upgrade uses that the live schema lacks and no op
    /// creates (see `model::uses_missing`)
    pub missing: Vec<(usize, String)>,
}

/// Read `schema` live and as `desired` describes it, and diff them.
pub fn difference(desired: Option<&str>, schema: Option<&str>) -> Result<Difference> {
    let desired = desired.ok_or_else(|| null("desired_schema"))?;
    let schema = schema.ok_or_else(|| null("schema_name"))?;
    check_schema(schema)?;
    let live = catalog::model(schema)?;
    let want = scratch::desired_model(schema, desired)?;
    note_others(schema, &live, &want);
    let repartitioned = model::partitioning_changes(&live, &want);
    if let Some(first) = repartitioned.first() {
        return Err(MigrateError::new(
            code::CANNOT_DIFF,
            format!("autogenerate cannot change the partitioning of a table: {first}"),
        )
        .with_detail(repartitioned.join("\n"))
        .with_hint(
            "PostgreSQL cannot alter a partition key, and the rows would have to move: write \
             that change by hand (a new table, the rows copied, the old one dropped) in a \
             revision of its own, upgrade, then autogenerate again.",
        ));
    }
    let upgrade = model::diff(&live, &want, schema);
    Ok(Difference {
        missing: model::uses_missing(&upgrade, &live, &want),
        downgrade: model::diff(&want, &live, schema),
        upgrade,
    })
}

/// `migrate.diff`: the upgrade ops, nothing stored.
pub fn diff(desired: Option<&str>, schema: Option<&str>) -> Result<serde_json::Value> {
    Ok(ops::to_json(&difference(desired, schema)?.upgrade))
}

/// `migrate.check`: raise, listing the differences, unless there are none.
pub fn check(desired: Option<&str>, schema: Option<&str>) -> Result<()> {
    let d = difference(desired, schema)?;
    if d.upgrade.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = d.upgrade.iter().map(describe).collect();
    Err(MigrateError::new(
        code::DIFFERS,
        format!(
            "schema \"{}\" differs from the desired schema: {} operation{} needed",
            schema.unwrap_or_default(),
            d.upgrade.len(),
            if d.upgrade.len() == 1 { "" } else { "s" }
        ),
    )
    .with_detail(lines.join("\n"))
    .with_hint(
        "migrate.autogenerate(message, desired_schema) stores a revision with these operations.",
    ))
}

/// `migrate.autogenerate`: store a revision (with id `id`, or a generated
/// one) that turns the live schema into the desired one; NULL when nothing
/// differs.
pub fn autogenerate(
    message: Option<&str>,
    desired: Option<&str>,
    schema: Option<&str>,
    id: Option<&str>,
) -> Result<Option<String>> {
    store::lock()?;
    let graph = store::load_graph()?;
    let versions = store::versions()?;
    let d = difference(desired, schema)?;
    // Nothing to store: say so, whatever the version (the live schema is
    // what was compared).
    if d.upgrade.is_empty() {
        notice!(
            "no differences: schema \"{}\" matches the desired schema",
            schema.unwrap_or_default()
        );
        return Ok(None);
    }
    refuse_missing(&d, schema.unwrap_or_default())?;
    let mut current = graph.current(&versions)?;
    let applied = graph.closure(&current);
    // A bootstrap script run by several sessions at once: the first stored
    // this id and has not applied it yet; the same ops again are a no-op.
    if let Some((id, i)) = id.and_then(|id| graph.get(id).map(|i| (id, i))) {
        // built on the current revisions, with the same message and ops
        let mut parents: Vec<&str> = graph.nodes[i].parents.iter().map(String::as_str).collect();
        let mut now: Vec<&str> = current.iter().map(|&c| graph.id(c)).collect();
        parents.sort_unstable();
        now.sort_unstable();
        let stored = if !applied[i] && parents == now {
            store::load_revision(id)?
        } else {
            None
        };
        if let Some(r) = stored.filter(|r| r.message.as_deref() == message) {
            let same = |text: Option<&str>, ops: &[Op]| {
                text.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                    == Some(ops::to_json(ops))
            };
            if same(Some(&r.upgrade), &d.upgrade) && same(r.downgrade.as_deref(), &d.downgrade) {
                notice!("revision {id} is already stored with the same operations; nothing to do");
                return Ok(Some(id.to_string()));
            }
        }
    }
    let mut heads = graph.heads();
    current.sort_unstable();
    heads.sort_unstable();
    let names = |v: &[usize]| -> String {
        if v.is_empty() {
            "base".into()
        } else {
            v.iter()
                .map(|&i| graph.id(i))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if current != heads {
        return Err(MigrateError::new(
            code::NOT_READY,
            format!(
                "target database is not up to date: current is {}, head is {}",
                names(&current),
                names(&heads)
            ),
        )
        .with_hint("Run migrate.upgrade('head') first: autogenerate compares the desired schema with a database at head."));
    }
    if heads.len() > 1 {
        return Err(MigrateError::new(
            code::SEVERAL,
            "multiple heads are present: autogenerate needs one head to build on",
        )
        .with_detail(format!("Heads: {}", names(&heads)))
        .with_hint("Merge the heads first (migrate.merge()), then upgrade and autogenerate."));
    }
    let upgrade = ops::to_json(&d.upgrade).to_string();
    let downgrade = ops::to_json(&d.downgrade).to_string();
    author::revision(RevisionArgs {
        message,
        upgrade: Some(&upgrade),
        downgrade: Some(&downgrade),
        id,
        ..RevisionArgs::default()
    })
    .map(Some)
}

/// A revision whose ops use an object that will not be there when they
/// run (a sequence, domain, function... that autogenerate does not
/// compare, so does not create) would be stored and fail at upgrade:
/// refuse it, naming the object and the op.
fn refuse_missing(d: &Difference, schema: &str) -> Result<()> {
    let Some((i, object)) = d.missing.first() else {
        return Ok(());
    };
    let at = |i: usize| {
        d.upgrade
            .get(i)
            .map(|op| format!("op {} ({})", i + 1, describe(op)))
            .unwrap_or_default()
    };
    let lines: Vec<String> = d
        .missing
        .iter()
        .map(|(i, o)| format!("{o}: used by {}", at(*i)))
        .collect();
    Err(MigrateError::new(
        code::UNKNOWN,
        format!(
            "the revision would fail at upgrade: {} uses {object}, which schema \"{schema}\" does not have and autogenerate does not create",
            at(*i)
        ),
    )
    .with_detail(lines.join("\n"))
    .with_hint(format!(
        "Autogenerate does not compare {object}: create it in a hand-written revision first \
         (migrate.revision with an execute op), upgrade, then autogenerate again."
    )))
}

/// One line per op for `check`'s detail: the op and what it names.
pub fn describe(op: &Op) -> String {
    let mut line = op.kind().to_string();
    if let Op::Execute { sql, .. } = op {
        line.push_str(": ");
        line.push_str(&crate::render::one_line(sql));
        return line;
    }
    match op.subject() {
        Some(Subject::Part { table, name, .. }) => line.push_str(&format!(" {table}.{name}")),
        Some(Subject::Object { name, .. }) => {
            line.push(' ');
            line.push_str(name);
        }
        None => {}
    }
    if model::destructive(op) {
        line.push_str(" (destructive)");
    }
    line
}

fn null(arg: &str) -> MigrateError {
    MigrateError::new(code::NULL, format!("{arg} must not be NULL"))
}

/// The schema must exist and not be one the server or this extension owns.
fn check_schema(schema: &str) -> Result<()> {
    if matches!(
        schema,
        "pg_catalog" | "information_schema" | "pg_toast" | "migrate"
    ) || schema.starts_with("pg_temp")
        || schema.starts_with("pg_toast_temp")
    {
        return Err(
            MigrateError::invalid(format!("schema \"{schema}\" cannot be autogenerated"))
                .with_hint("Describe a schema of your own, such as public."),
        );
    }
    let exists = crate::shell::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)",
        &[schema.into()],
    )?
    .unwrap_or(false);
    if !exists {
        return Err(MigrateError::new(
            code::NO_SCHEMA,
            format!("schema \"{schema}\" does not exist"),
        )
        .with_hint(
            "Create the schema first: autogenerate describes the contents of an existing schema.",
        ));
    }
    Ok(())
}

/// Objects the differ does not understand are listed, never ignored.
fn note_others(schema: &str, live: &Model, want: &Model) {
    let mut others: Vec<&String> = live.other.iter().chain(&want.other).collect();
    others.sort();
    others.dedup();
    if !others.is_empty() {
        let list: Vec<String> = others.iter().map(|o| format!("  {o}")).collect();
        notice!(
            "autogenerate does not compare these objects of schema \"{schema}\" (live or desired); write ops for them by hand:\n{}",
            list.join("\n")
        );
    }
}
