//! The SQL functions users call. Each is a thin shell over the core: take
//! the arguments, call one function, raise its error.

use crate::error::{code, MigrateError, OrRaise, Result};
use crate::graph::{Graph, Node};
use crate::ops::{downgrade_ops, parse_json, parse_ops};
use crate::run::{self, Direction};
use crate::store::{self, NewRevision};
use crate::target::{check_id, Target};
use pgrx::prelude::*;
use serde_json::Value;

#[pg_schema]
mod migrate {
    use super::*;

    /// Store a new revision; `migrate.revision(message, upgrade jsonb, ...)`
    /// (in `sql/functions.sql`) passes the JSON as text, so that numbers keep
    /// their digits and malformed JSON is an error rather than a crash.
    #[pg_extern(name = "_revision")]
    fn revision(
        message: Option<&str>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
        id: Option<&str>,
        down_revision: Option<&str>,
    ) -> String {
        new_revision(message, upgrade, downgrade, id, down_revision).or_raise()
    }

    fn new_revision(
        message: Option<&str>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
        id: Option<&str>,
        down_revision: Option<&str>,
    ) -> Result<String> {
        store::lock()?;
        // Validate everything the caller gave before inventing an id, so that
        // messages name the revision only when it has a name.
        let label = id.unwrap_or("(new)");
        if let Some(id) = id {
            check_id(id)?;
        }
        let upgrade = upgrade.ok_or_else(|| {
            MigrateError::new(
                PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                format!("revision {label}: upgrade must not be NULL"),
            )
            .with_hint("Use '[]' for an empty revision.")
        })?;
        let up_ops = parse_ops(label, "upgrade", &parse_json(label, "upgrade", upgrade)?)?;
        let explicit = match downgrade {
            Some(d) => Some(parse_ops(
                label,
                "downgrade",
                &parse_json(label, "downgrade", d)?,
            )?),
            None => None,
        };
        downgrade_ops(label, &up_ops, explicit)?;
        let id = match id {
            Some(id) if store::revision_exists(id)? => {
                return Err(MigrateError::new(
                    code::DUPLICATE,
                    format!("revision {id} already exists"),
                ))
            }
            Some(id) => id.to_string(),
            None => loop {
                let id = store::new_id()?;
                if !store::revision_exists(&id)? {
                    break id;
                }
            },
        };

        let graph = store::load_graph()?;
        let parents = match down_revision.map(str::trim) {
            Some("base") => vec![],
            Some(spec) => vec![graph.id(graph.resolve(spec)?).to_string()],
            None => graph
                .single_head()
                .map_err(|e| {
                    e.with_hint(
                        "Name the parent with down_revision => '<id>', or 'base' for a new root.",
                    )
                })?
                .iter()
                .map(|&i| graph.id(i).to_string())
                .collect(),
        };
        store::insert_revision(NewRevision {
            id: &id,
            parents,
            message,
            upgrade,
            downgrade,
        })?;
        Ok(id)
    }

    fn parse_target(text: Option<&str>) -> Target {
        match text {
            Some(t) => Target::parse(t).or_raise(),
            None => MigrateError::new(
                PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                "the migration target must not be NULL",
            )
            .raise(),
        }
    }

    fn relative(n: Option<i32>) -> Target {
        match n {
            Some(n) => Target::Relative(i64::from(n)),
            None => parse_target(None),
        }
    }

    /// Apply revisions up to `target` (default `head`); returns the current
    /// revision afterwards.
    #[pg_extern]
    fn upgrade(target: default!(Option<&str>, "'head'")) -> Option<String> {
        run::migrate(Direction::Up, &parse_target(target)).or_raise()
    }

    /// Apply the next `steps` revisions.
    #[pg_extern(name = "upgrade")]
    fn upgrade_steps(steps: Option<i32>) -> Option<String> {
        run::migrate(Direction::Up, &relative(steps)).or_raise()
    }

    /// Revert revisions down to `target`; returns the current revision
    /// afterwards (NULL at base).
    #[pg_extern]
    fn downgrade(target: Option<&str>) -> Option<String> {
        run::migrate(Direction::Down, &parse_target(target)).or_raise()
    }

    /// Revert the last `-steps` revisions: `migrate.downgrade(-1)`.
    #[pg_extern(name = "downgrade")]
    fn downgrade_steps(steps: Option<i32>) -> Option<String> {
        run::migrate(Direction::Down, &relative(steps)).or_raise()
    }

    /// The rows of `migrate.version`: the applied heads.
    #[pg_extern]
    fn current() -> SetOfIterator<'static, String> {
        SetOfIterator::new(store::versions().or_raise())
    }

    /// The heads of the stored revision graph.
    #[pg_extern]
    fn heads() -> SetOfIterator<'static, String> {
        let g = store::load_graph().or_raise();
        let ids: Vec<String> = g.heads().iter().map(|&i| g.id(i).to_string()).collect();
        SetOfIterator::new(ids)
    }

    /// The graph newest first, with what is applied; `migrate.history()` (in
    /// `sql/functions.sql`) adds the stored columns.
    #[pg_extern(name = "_graph")]
    #[allow(clippy::type_complexity)]
    fn graph_rows() -> TableIterator<
        'static,
        (
            name!(ord, i32),
            name!(id, String),
            name!(applied, bool),
            name!(is_head, bool),
        ),
    > {
        let g = store::load_graph().or_raise();
        let current = g.current(&store::versions().or_raise()).or_raise();
        let applied = g.closure(&current);
        let mut is_head = vec![false; g.len()];
        for i in g.heads() {
            is_head[i] = true;
        }
        let rows: Vec<_> = g
            .newest_first()
            .enumerate()
            .map(|(ord, i)| (ord as i32, g.id(i).to_string(), applied[i], is_head[i]))
            .collect();
        TableIterator::new(rows)
    }

    /// Row check behind the `migrate.revisions` trigger: the id, the ops, and
    /// that a derived downgrade exists.
    #[pg_extern(name = "_check_revision")]
    fn check_revision(
        id: Option<&str>,
        down_revision: Option<Vec<Option<String>>>,
        depends_on: Option<Vec<Option<String>>>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
    ) {
        check_row(id, down_revision, depends_on, upgrade, downgrade).or_raise()
    }

    fn check_row(
        id: Option<&str>,
        down_revision: Option<Vec<Option<String>>>,
        depends_on: Option<Vec<Option<String>>>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
    ) -> Result<()> {
        let id = id.unwrap_or("");
        check_id(id)?;
        for (what, list) in [("down_revision", down_revision), ("depends_on", depends_on)] {
            let list = list.unwrap_or_default();
            if list.iter().any(Option::is_none) {
                return Err(MigrateError::invalid(format!(
                    "revision {id}: {what} must not contain NULL"
                )));
            }
            if list.iter().flatten().any(|p| p == id) {
                return Err(MigrateError::new(
                    code::GRAPH,
                    format!("revision {id} names itself in {what}"),
                ));
            }
        }
        let upgrade = parse_json(id, "upgrade", upgrade.unwrap_or("null"))?;
        let up_ops = parse_ops(id, "upgrade", &upgrade)?;
        let explicit = match downgrade {
            Some(d) => Some(parse_ops(
                id,
                "downgrade",
                &parse_json(id, "downgrade", d)?,
            )?),
            None => None,
        };
        downgrade_ops(id, &up_ops, explicit).map(|_| ())
    }

    /// Statement check behind the `migrate.revisions` trigger: no cycle among
    /// the new rows (their references to stored rows were checked in SQL).
    #[pg_extern(name = "_check_new_revisions")]
    fn check_new_revisions(rows: &str) {
        let rows = parse_json("(new)", "rows", rows).or_raise();
        let nodes: Vec<Node> = match rows {
            Value::Array(items) => items
                .iter()
                .map(|v| {
                    let strings = |k: &str| -> Vec<String> {
                        v.get(k)
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter_map(|s| s.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    Node {
                        id: v
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        parents: strings("down_revision"),
                        depends_on: strings("depends_on"),
                        message: None,
                    }
                })
                .collect(),
            _ => vec![],
        };
        Graph::check_new(nodes).or_raise()
    }

    /// Full check after `down_revision` or `depends_on` changed.
    #[pg_extern(name = "_check_graph")]
    fn check_graph() {
        store::load_graph().map(|_| ()).or_raise()
    }

    /// Which of `ids` are applied (reachable from `migrate.version`).
    #[pg_extern(name = "_applied")]
    fn applied_of(ids: Vec<Option<String>>) -> Vec<String> {
        let g = store::load_graph().or_raise();
        let current = g.current(&store::versions().or_raise()).or_raise();
        let applied = g.closure(&current);
        ids.into_iter()
            .flatten()
            .filter(|id| g.get(id).is_some_and(|i| applied[i]))
            .collect()
    }
}
