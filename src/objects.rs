//! Objects the differ creates and drops from PostgreSQL's own definition
//! text, in plain Rust: sequences, domains and their constraints,
//! functions, procedures, aggregates, triggers, views, materialized views
//! and their indexes (read by sql/model_objects.sql).
//!
//! Each object carries the statement that creates it, the one that drops
//! it, optionally the statements that turn an object of the same `shape`
//! into it in place (`CREATE OR REPLACE`, `ALTER SEQUENCE`), and the keys
//! of what it depends on: other objects, and the schema's tables and
//! columns (`table:<name>`, `column:<table>:<column>`). The differ orders
//! them by those keys: an object is created after what it uses and
//! dropped before it, and one that uses a table or column ("late") is
//! created after the tables change and dropped before they do.

use crate::ops::Op;
use crate::quote::literal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// `sequence`, `domain`, `function`, `view`, ... (for people; the
    /// differ reads only the fields below)
    pub kind: String,
    pub create: String,
    /// statements that turn an object of the same `shape` into this one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    pub drop: String,
    /// the object as `COMMENT ON` names it
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends: Vec<String>,
}

pub type Objects = BTreeMap<String, Object>;

/// The object ops of a diff, by the phase they run in (see `model::diff`).
#[derive(Debug, Default)]
pub struct Plan {
    /// late objects that go, and objects that are rebuilt: first of all
    pub drop_late: Vec<Op>,
    /// early objects created, rebuilt or replaced: before the tables
    pub create_early: Vec<Op>,
    /// late objects created, rebuilt or replaced: after the tables (and
    /// the enums whose values go)
    pub create_late: Vec<Op>,
    /// early objects that go: after the tables
    pub drop_early: Vec<Op>,
}

/// Whether a dependency key names a table or a column of the schema, or
/// all the tables (`tables`: a function whose body names tables that
/// PostgreSQL records no dependency on).
fn is_table_key(key: &str) -> bool {
    key == "tables" || key.starts_with("table:") || key.starts_with("column:")
}

/// The keys of `objects` that use a table or a column, directly or
/// through another object, or are rebuilt (`seeds`) or use one that is:
/// created after the tables and enums change, dropped before.
pub fn late(objects: &Objects, seeds: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = seeds
        .iter()
        .filter(|k| objects.contains_key(*k))
        .cloned()
        .collect();
    loop {
        let before = out.len();
        for (k, o) in objects {
            if !out.contains(k) && o.depends.iter().any(|d| is_table_key(d) || out.contains(d)) {
                out.insert(k.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

/// `keys` in an order where each comes after those of `keys` it depends on
/// (by `objects`); ties (and cycles, which PostgreSQL does not allow) in
/// key order.
fn ordered(keys: &BTreeSet<String>, objects: &Objects) -> Vec<String> {
    let mut done: BTreeSet<&String> = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < keys.len() {
        let ready: Vec<&String> = keys
            .iter()
            .filter(|k| !done.contains(k))
            .filter(|k| {
                objects.get(*k).is_none_or(|o| {
                    o.depends
                        .iter()
                        .all(|d| *d == **k || !keys.contains(d) || done.contains(d))
                })
            })
            .collect();
        let next = if ready.is_empty() {
            keys.iter().filter(|k| !done.contains(k)).take(1).collect()
        } else {
            ready
        };
        for k in next {
            done.insert(k);
            out.push(k.clone());
        }
    }
    out
}

/// The objects in both models that must be dropped and created again: one
/// whose definition changes beyond what its `replace` can do, one that
/// uses a `touched` table or column (retyped, dropped, recreated), and
/// every object that uses one of those.
fn rebuilt(from: &Objects, to: &Objects, touched: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for (k, new) in to {
        let Some(old) = from.get(k) else { continue };
        let replaceable = new.replace.is_some() && old.replace.is_some() && old.shape == new.shape;
        if (old.create != new.create && !replaceable)
            || old
                .depends
                .iter()
                .chain(&new.depends)
                .any(|d| touched.contains(d))
        {
            out.insert(k.clone());
        }
    }
    loop {
        let before = out.len();
        for (k, new) in to {
            let Some(old) = from.get(k) else { continue };
            if !out.contains(k)
                && old
                    .depends
                    .iter()
                    .chain(&new.depends)
                    .any(|d| out.contains(d))
            {
                out.insert(k.clone());
            }
        }
        if out.len() == before {
            return out;
        }
    }
}

fn execute(sql: String) -> Op {
    Op::Execute { sql, down: None }
}

fn comment(o: &Object) -> Option<Op> {
    let target = o.target.as_ref()?;
    Some(execute(format!(
        "COMMENT ON {target} IS {}",
        o.comment
            .as_deref()
            .map(literal)
            .unwrap_or_else(|| "NULL".into())
    )))
}

/// The ops that turn the objects `from` into `to`. `touched` holds the
/// table and column keys whose change invalidates what uses them.
pub fn plan(from: &Objects, to: &Objects, touched: &BTreeSet<String>) -> Plan {
    let mut plan = Plan::default();
    let rebuilt = rebuilt(from, to, touched);
    let (late_from, late_to) = (late(from, &rebuilt), late(to, &rebuilt));
    let gone: BTreeSet<String> = from
        .keys()
        .filter(|k| !to.contains_key(*k) || rebuilt.contains(*k))
        .cloned()
        .collect();
    for k in ordered(&gone, from).iter().rev() {
        let Some(o) = from.get(k) else { continue };
        let op = execute(o.drop.clone());
        if late_from.contains(k) {
            plan.drop_late.push(op)
        } else {
            plan.drop_early.push(op)
        }
    }
    // created, rebuilt, replaced or commented: in one order, so that a
    // replaced function comes before a new view that needs its new body
    let changed: BTreeSet<String> = to
        .iter()
        .filter(|(k, o)| gone.contains(*k) || from.get(*k) != Some(*o))
        .map(|(k, _)| k.clone())
        .collect();
    for k in ordered(&changed, to) {
        let Some(o) = to.get(&k) else { continue };
        let mut ops = Vec::new();
        match from.get(&k).filter(|_| !gone.contains(&k)) {
            None => {
                ops.push(execute(o.create.clone()));
                if o.comment.is_some() {
                    ops.extend(comment(o));
                }
            }
            Some(old) => {
                if old.create != o.create {
                    // only the statements that say something new (a
                    // domain whose default changes keeps its NOT NULL)
                    let before = old.replace.clone().unwrap_or_default();
                    let replace = o.replace.clone().unwrap_or_default();
                    ops.extend(
                        replace
                            .into_iter()
                            .filter(|s| !before.contains(s))
                            .map(execute),
                    );
                }
                if old.comment != o.comment {
                    ops.extend(comment(o));
                }
            }
        }
        if late_to.contains(&k) {
            plan.create_late.extend(ops)
        } else {
            plan.create_early.extend(ops)
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(create: &str, depends: &[&str]) -> Object {
        Object {
            kind: "view".into(),
            create: create.into(),
            replace: None,
            shape: None,
            drop: format!("DROP {create}"),
            target: Some(create.into()),
            comment: None,
            depends: depends.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn sqls(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|o| match o {
                Op::Execute { sql, .. } => sql.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    fn pagila_like() -> Objects {
        [
            ("sequence s".to_string(), obj("s", &[])),
            ("function f".to_string(), obj("f", &[])),
            ("aggregate a".to_string(), obj("a", &["function f"])),
            (
                "view v".to_string(),
                obj("v", &["column:t:c", "aggregate a"]),
            ),
            ("view w".to_string(), obj("w", &["view v"])),
            (
                "trigger g".to_string(),
                obj("g", &["table:t", "function f"]),
            ),
        ]
        .into()
    }

    #[test]
    fn objects_come_after_what_they_use_and_go_before_it() {
        let to = pagila_like();
        let up = plan(&Objects::new(), &to, &BTreeSet::new());
        assert_eq!(sqls(&up.create_early), ["f", "s", "a"]);
        assert_eq!(sqls(&up.create_late), ["g", "v", "w"]);
        let down = plan(&to, &Objects::new(), &BTreeSet::new());
        assert_eq!(sqls(&down.drop_late), ["DROP w", "DROP v", "DROP g"]);
        assert_eq!(sqls(&down.drop_early), ["DROP a", "DROP s", "DROP f"]);
        assert!(plan(&to, &to, &BTreeSet::new()).create_late.is_empty());
    }

    #[test]
    fn a_retyped_column_rebuilds_the_views_that_use_it() {
        let to = pagila_like();
        let touched: BTreeSet<String> = ["column:t:c".to_string()].into();
        let p = plan(&to, &to, &touched);
        assert_eq!(sqls(&p.drop_late), ["DROP w", "DROP v"]);
        assert_eq!(sqls(&p.create_late), ["v", "w"]);
        assert!(p.create_early.is_empty() && p.drop_early.is_empty());
    }

    #[test]
    fn replaceable_changes_replace_in_place_and_others_rebuild() {
        let mut from = pagila_like();
        let mut to = pagila_like();
        for m in [&mut from, &mut to] {
            let f = m.get_mut("function f").unwrap();
            f.shape = Some("integer".into());
            f.replace = Some(vec![format!("REPLACE {}", f.create)]);
        }
        to.get_mut("function f").unwrap().create = "f2".into();
        to.get_mut("function f").unwrap().replace = Some(vec!["REPLACE f2".into()]);
        let p = plan(&from, &to, &BTreeSet::new());
        assert_eq!(sqls(&p.create_early), ["REPLACE f2"]);
        assert!(p.drop_late.is_empty());
        // a new shape (another result type): dropped, with its users, and
        // created again
        to.get_mut("function f").unwrap().shape = Some("bigint".into());
        let p = plan(&from, &to, &BTreeSet::new());
        // (all of them late: the function may use an enum that changes)
        assert_eq!(
            sqls(&p.drop_late),
            ["DROP w", "DROP v", "DROP g", "DROP a", "DROP f"]
        );
        assert!(p.create_early.is_empty());
        assert_eq!(sqls(&p.create_late), ["f2", "a", "g", "v", "w"]);
    }

    #[test]
    fn comments_follow_their_object() {
        let from = pagila_like();
        let mut to = pagila_like();
        to.get_mut("view v").unwrap().comment = Some("it's".into());
        let p = plan(&from, &to, &BTreeSet::new());
        assert_eq!(sqls(&p.create_late), ["COMMENT ON v IS 'it''s'"]);
        let p = plan(&to, &from, &BTreeSet::new());
        assert_eq!(sqls(&p.create_late), ["COMMENT ON v IS NULL"]);
    }
}
