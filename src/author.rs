//! Writing revisions: `migrate.revision()`, `migrate.merge()`, and the
//! checks the `migrate.revisions` triggers apply to rows stored directly.

use crate::error::{code, MigrateError, Result};
use crate::graph::{Graph, Node};
use crate::ops::{parse_json, revision_ops};
use crate::store::{self, NewRevision};
use crate::target::{check_id, check_label};
use pgrx::prelude::*;
use serde_json::Value;

#[derive(Default)]
pub struct RevisionArgs<'a> {
    pub message: Option<&'a str>,
    pub upgrade: Option<&'a str>,
    pub downgrade: Option<&'a str>,
    pub id: Option<&'a str>,
    pub down_revision: Option<&'a str>,
    pub branch_label: Option<&'a str>,
    pub depends_on: Vec<Option<String>>,
    /// every parent, in order (a merge has several); excludes `down_revision`
    pub down_revisions: Option<Vec<Option<String>>>,
    /// every branch label; excludes `branch_label`
    pub branch_labels: Option<Vec<Option<String>>>,
    /// when the revision was written (default: now), as an exported file keeps it
    pub created_at: Option<pgrx::datum::TimestampWithTimeZone>,
}

/// The one list a singular and a plural argument give: not both, no NULL.
fn one_list(
    label: &str,
    single: Option<&str>,
    plural: &Option<Vec<Option<String>>>,
    names: (&str, &str),
) -> Result<Option<Vec<String>>> {
    match (single, plural) {
        (Some(_), Some(_)) => Err(MigrateError::invalid(format!(
            "revision {label}: give {} or {}, not both",
            names.0, names.1
        ))),
        (Some(s), None) => Ok(Some(vec![s.to_string()])),
        (None, Some(list)) => list
            .iter()
            .map(|x| {
                x.clone().ok_or_else(|| {
                    MigrateError::invalid(format!(
                        "revision {label}: {} must not contain NULL",
                        names.1
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        (None, None) => Ok(None),
    }
}

/// Store a new revision and return its id. Storing the very same revision
/// again under the same id (a bootstrap script run twice, or by two sessions)
/// returns the id and changes nothing.
pub fn revision(a: RevisionArgs) -> Result<String> {
    store::lock()?;
    // Validate what the caller gave before inventing an id, so that
    // messages name the revision only when it has a name.
    let label = a.id.unwrap_or("(new)");
    if let Some(id) = a.id {
        check_id(id)?;
    }
    let labels = one_list(
        label,
        a.branch_label,
        &a.branch_labels,
        ("branch_label", "branch_labels"),
    )?
    .unwrap_or_default();
    for (i, l) in labels.iter().enumerate() {
        check_label(l)?;
        if labels[..i].contains(l) {
            return Err(MigrateError::invalid(format!(
                "revision {label}: branch label {l} is given twice"
            )));
        }
    }
    let parent_specs = one_list(
        label,
        a.down_revision,
        &a.down_revisions,
        ("down_revision", "down_revisions"),
    )?;
    let upgrade = a.upgrade.ok_or_else(|| {
        MigrateError::new(
            code::NULL,
            format!("revision {label}: upgrade must not be NULL"),
        )
        .with_hint("Use '[]' for an empty revision.")
    })?;
    check_ops(label, upgrade, a.downgrade)?;

    let known = Known::new()?;
    let mut parents = Vec::new();
    for spec in parent_specs.iter().flatten() {
        match spec.trim() {
            // 'base' alone is a new root; in a list, '{}' is
            "base" if a.down_revision.is_some() => {}
            "" => {
                return Err(MigrateError::invalid("down_revision must not be empty")
                    .with_hint("Name the parent revision, or 'base' for a new root."))
            }
            spec => parents.push(known.one(spec)?),
        }
    }
    let mut depends_on = Vec::with_capacity(a.depends_on.len());
    for d in &a.depends_on {
        let spec = d.as_deref().ok_or_else(|| {
            MigrateError::invalid(format!(
                "revision {label}: depends_on must not contain NULL"
            ))
        })?;
        depends_on.push(known.one(spec)?);
    }
    for l in &labels {
        if let Some(owner) = store::label_owner(l)?.filter(|o| Some(o.as_str()) != a.id) {
            return Err(MigrateError::new(
                code::DUPLICATE,
                format!("revision {label}: branch label {l} is already used by revision {owner}"),
            )
            .with_hint("A branch label names one revision and is not a revision id."));
        }
    }

    if let Some(id) = a.id {
        if let Some(stored_parents) = store::parents_of(id)? {
            let same =
                store::same_revision(id, a.message, upgrade, a.downgrade, &depends_on, &labels)?;
            let parents_same = parent_specs.is_none() || stored_parents == parents;
            if same && parents_same {
                notice!("revision {id} is already stored with the same content; nothing to do");
                return Ok(id.to_string());
            }
            return Err(MigrateError::new(
                code::DUPLICATE,
                format!("revision {id} already exists"),
            )
            .with_detail("The stored revision differs from the one given.")
            .with_hint("Choose another id, or leave id out to generate one."));
        }
    }
    let parents = match parent_specs {
        Some(_) => parents,
        None => known.single_head().map_err(|e| {
            e.with_hint(
                "Name the parent with down_revision => '<id>', 'base' for a new root, \
                 or merge the heads first (migrate.merge()).",
            )
        })?,
    };
    let id = match a.id {
        Some(id) => id.to_string(),
        None => loop {
            let id = store::new_id()?;
            if !store::is_stored(&id)? {
                break id;
            }
        },
    };
    let heads_after = known.heads_after(&parents, &id);
    store::insert_revision(NewRevision {
        id: &id,
        parents,
        depends_on,
        labels,
        message: a.message,
        upgrade,
        downgrade: a.downgrade,
        created_at: a.created_at,
    })?;
    store::remember_heads(&known.stored, heads_after, &id)?;
    Ok(id)
}

/// The stored graph as `migrate.revision()` needs it: a revision named by
/// its exact id and the heads come from single-row lookups and the heads
/// recorded by the last `migrate.revision()`, while the graph is unchanged
/// since; anything else (a prefix, a label, `<rev>-1`, a graph written some
/// other way) loads the whole graph, once.
struct Known {
    stored: store::StoredHeads,
    graph: std::cell::OnceCell<Graph>,
}

impl Known {
    fn new() -> Result<Known> {
        Ok(Known {
            stored: store::stored_heads()?,
            graph: std::cell::OnceCell::new(),
        })
    }

    fn graph(&self) -> Result<&Graph> {
        if let Some(g) = self.graph.get() {
            return Ok(g);
        }
        let g = store::load_graph()?;
        Ok(self.graph.get_or_init(|| g))
    }

    /// The id of the one revision `spec` names.
    fn one(&self, spec: &str) -> Result<String> {
        if self.graph.get().is_none() && store::is_stored(spec)? {
            return Ok(spec.to_string());
        }
        let g = self.graph()?;
        Ok(g.id(one_revision(g, spec)?).to_string())
    }

    fn heads(&self) -> Result<Vec<String>> {
        if let Some(h) = &self.stored.heads {
            return Ok(h.clone());
        }
        let g = self.graph()?;
        Ok(g.heads().into_iter().map(|i| g.id(i).to_string()).collect())
    }

    /// The one head (none for an empty graph), or the error naming them.
    fn single_head(&self) -> Result<Vec<String>> {
        let heads = self.heads()?;
        if heads.len() <= 1 {
            return Ok(heads);
        }
        let g = self.graph()?;
        g.single_head()
            .map(|h| h.into_iter().map(|i| g.id(i).to_string()).collect())
    }

    /// The heads once `id` is stored with `parents`, when the heads before
    /// are known without another read.
    fn heads_after(&self, parents: &[String], id: &str) -> Option<Vec<String>> {
        let before: Vec<String> = match (&self.stored.heads, self.graph.get()) {
            (Some(h), _) => h.clone(),
            (None, Some(g)) => g.heads().into_iter().map(|i| g.id(i).to_string()).collect(),
            (None, None) => return None,
        };
        let mut heads: Vec<String> = before
            .into_iter()
            .filter(|h| !parents.contains(h))
            .collect();
        heads.push(id.to_string());
        Some(heads)
    }
}

/// One revision named by a spec: what `resolve` takes, or `<label>@head`.
fn one_revision(graph: &Graph, spec: &str) -> Result<usize> {
    match crate::target::Target::parse(spec)? {
        crate::target::Target::Branch(label, crate::target::BranchAt::Head) => {
            match graph.branch_heads(&label)?.as_slice() {
                [one] => Ok(*one),
                several => Err(graph.several(
                    &format!("branch {label} has several heads"),
                    "Heads",
                    several,
                    "Name one revision.",
                )),
            }
        }
        crate::target::Target::Rev(s) => graph.resolve(&s),
        _ => Err(
            MigrateError::invalid(format!("\"{spec}\" does not name one revision"))
                .with_hint("Give a revision id, a unique prefix, a branch label or <label>@head."),
        ),
    }
}

/// A merge revision (no ops) whose parents are `revisions` (default: every
/// head).
pub fn merge(
    revisions: Option<Vec<Option<String>>>,
    message: Option<&str>,
    id: Option<&str>,
) -> Result<String> {
    store::lock()?;
    if let Some(id) = id {
        check_id(id)?;
    }
    let graph = store::load_graph()?;
    let mut parents: Vec<usize> = match revisions {
        None => graph.heads(),
        Some(specs) => specs
            .iter()
            .map(|s| match s {
                Some(s) => graph.resolve(s),
                None => Err(MigrateError::invalid(
                    "revisions to merge must not contain NULL",
                )),
            })
            .collect::<Result<_>>()?,
    };
    parents.sort_by_key(|&i| graph.topo().iter().position(|&t| t == i));
    parents.dedup();
    if parents.len() < 2 {
        return Err(MigrateError::invalid(format!(
            "nothing to merge: {} revision(s) given",
            parents.len()
        ))
        .with_hint("A merge joins two or more heads; migrate.heads() lists them."));
    }
    for &p in &parents {
        let below = graph.closure(&[p]);
        if let Some(&q) = parents.iter().find(|&&q| q != p && below[q]) {
            return Err(MigrateError::invalid(format!(
                "cannot merge {} with its own ancestor {}",
                graph.id(p),
                graph.id(q)
            )));
        }
    }
    let ids: Vec<String> = parents.iter().map(|&i| graph.id(i).to_string()).collect();
    let id = match id {
        Some(id) if graph.get(id).is_some() || graph.label(id).is_ok() => {
            return Err(MigrateError::new(
                code::DUPLICATE,
                format!("revision {id} already exists"),
            ))
        }
        Some(id) => id.to_string(),
        None => loop {
            let id = store::new_id()?;
            if graph.get(&id).is_none() {
                break id;
            }
        },
    };
    let message = message
        .map(str::to_string)
        .unwrap_or_else(|| format!("merge {}", ids.join(", ")));
    store::insert_revision(NewRevision {
        id: &id,
        parents: ids,
        depends_on: vec![],
        labels: vec![],
        message: Some(&message),
        upgrade: "[]",
        downgrade: None,
        created_at: None,
    })?;
    Ok(id)
}

/// The ops parse, and a downgrade exists (explicit or derived).
fn check_ops(label: &str, upgrade: &str, downgrade: Option<&str>) -> Result<()> {
    revision_ops(label, upgrade, downgrade, None).map(|_| ())
}

/// The row check behind the `migrate.revisions` trigger.
pub fn check_row(
    id: Option<&str>,
    down_revision: Option<Vec<Option<String>>>,
    depends_on: Option<Vec<Option<String>>>,
    branch_labels: Option<Vec<Option<String>>>,
    upgrade: Option<&str>,
    downgrade: Option<&str>,
) -> Result<()> {
    let id = id.unwrap_or("");
    check_id(id)?;
    for (what, list) in [
        ("down_revision", down_revision),
        ("depends_on", depends_on),
        ("branch_labels", branch_labels.clone()),
    ] {
        let list = list.unwrap_or_default();
        if list.iter().any(Option::is_none) {
            return Err(MigrateError::invalid(format!(
                "revision {id}: {what} must not contain NULL"
            )));
        }
        if what != "branch_labels" && list.iter().flatten().any(|p| p == id) {
            return Err(MigrateError::new(
                code::GRAPH,
                format!("revision {id} names itself in {what}"),
            ));
        }
    }
    for l in branch_labels.unwrap_or_default().iter().flatten() {
        check_label(l)?;
    }
    check_ops(id, upgrade.unwrap_or("null"), downgrade)
}

/// The statement check behind the `migrate.revisions` trigger: no cycle and
/// no duplicate label among the new rows (given as a JSON array).
pub fn check_new(rows: &str) -> Result<()> {
    let rows = parse_json("(new)", "rows", rows)?;
    let strings = |v: &Value, k: &str| -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let nodes: Vec<Node> = rows
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|v| Node {
                    id: v
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    parents: strings(v, "down_revision"),
                    depends_on: strings(v, "depends_on"),
                    labels: strings(v, "branch_labels"),
                    message: None,
                })
                .collect()
        })
        .unwrap_or_default();
    Graph::check_new(nodes)
}
