//! The revision graph, in plain Rust: heads, target resolution, and the
//! ordered steps of an upgrade or a downgrade.
//!
//! A revision's parents (`down_revision`) and dependencies (`depends_on`)
//! must both be applied before it. "Applied" is every revision reachable from
//! the current version rows. All walks are linear in the size of the graph.

use crate::error::{code, MigrateError, Result};
use crate::target::Target;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub parents: Vec<String>,
    pub depends_on: Vec<String>,
    pub message: Option<String>,
}

impl Node {
    pub fn new(id: &str, parents: &[&str]) -> Node {
        Node {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            depends_on: vec![],
            message: None,
        }
    }
}

#[derive(Debug)]
pub struct Graph {
    pub nodes: Vec<Node>,
    index: HashMap<String, usize>,
    /// parents, then dependencies: everything that must be applied first
    before: Vec<Vec<usize>>,
    /// the reverse of `before`
    after: Vec<Vec<usize>>,
    /// children through `down_revision` only (heads ignore dependencies)
    children: Vec<Vec<usize>>,
    /// a topological order, ties broken by load order
    topo: Vec<usize>,
}

impl Graph {
    /// Build and check a graph: ids are unique, every parent and dependency
    /// is known, there is no cycle.
    pub fn new(nodes: Vec<Node>) -> Result<Graph> {
        Self::build(nodes, false)
    }

    /// Check a set of new revisions whose references outside the set were
    /// already checked: ids unique and no cycle among them.
    pub fn check_new(nodes: Vec<Node>) -> Result<()> {
        Self::build(nodes, true).map(|_| ())
    }

    fn build(nodes: Vec<Node>, external_ok: bool) -> Result<Graph> {
        let mut index = HashMap::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            if index.insert(n.id.clone(), i).is_some() {
                return Err(MigrateError::new(
                    code::DUPLICATE,
                    format!("revision {} is stored twice", n.id),
                ));
            }
        }
        let n = nodes.len();
        let mut before = vec![Vec::new(); n];
        let mut after = vec![Vec::new(); n];
        let mut children = vec![Vec::new(); n];
        for (i, node) in nodes.iter().enumerate() {
            for (refs, what) in [(&node.parents, "parent"), (&node.depends_on, "dependency")] {
                for r in refs {
                    match index.get(r) {
                        Some(&j) => {
                            before[i].push(j);
                            after[j].push(i);
                            if what == "parent" {
                                children[j].push(i);
                            }
                        }
                        None if external_ok => {}
                        None => {
                            return Err(MigrateError::new(
                                code::UNKNOWN_PARENT,
                                format!("revision {}: unknown {what} {r}", node.id),
                            )
                            .with_hint(
                                "Store that revision first, or fix down_revision / depends_on.",
                            ))
                        }
                    }
                }
            }
        }
        // Kahn's algorithm; the heap keeps ties in load order.
        let mut indegree: Vec<usize> = before.iter().map(Vec::len).collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
        let mut topo = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            topo.push(i);
            for &j in &after[i] {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    ready.push(Reverse(j));
                }
            }
        }
        if topo.len() < n {
            let stuck = (0..n).find(|&i| indegree[i] > 0).unwrap_or(0);
            return Err(MigrateError::new(
                code::GRAPH,
                format!(
                    "revision {} is part of a cycle in the revision graph",
                    nodes[stuck].id
                ),
            )
            .with_hint("A revision cannot be its own ancestor; fix down_revision or depends_on."));
        }
        Ok(Graph {
            nodes,
            index,
            before,
            after,
            children,
            topo,
        })
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn id(&self, i: usize) -> &str {
        &self.nodes[i].id
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Revisions nothing names as a parent, in topological order.
    pub fn heads(&self) -> Vec<usize> {
        self.topo
            .iter()
            .copied()
            .filter(|&i| self.children[i].is_empty())
            .collect()
    }

    /// Newest first: the reverse of a topological order.
    pub fn newest_first(&self) -> impl Iterator<Item = usize> + '_ {
        self.topo.iter().rev().copied()
    }

    /// A full id, or a prefix that matches exactly one id.
    pub fn resolve(&self, spec: &str) -> Result<usize> {
        if let Some(i) = self.get(spec) {
            return Ok(i);
        }
        let matches: Vec<usize> = self
            .topo
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].id.starts_with(spec))
            .collect();
        match matches.len() {
            1 => Ok(matches[0]),
            0 => Err(
                MigrateError::new(code::UNKNOWN, format!("no revision matches \"{spec}\""))
                    .with_hint("migrate.history() lists the stored revisions."),
            ),
            k => {
                let shown: Vec<&str> = matches.iter().take(5).map(|&i| self.id(i)).collect();
                Err(MigrateError::new(
                    code::AMBIGUOUS,
                    format!("revision prefix \"{spec}\" is ambiguous: it matches {k} revisions"),
                )
                .with_detail(format!(
                    "Matches: {}{}",
                    shown.join(", "),
                    if k > 5 { ", ..." } else { "" }
                ))
                .with_hint("Give more characters of the revision id."))
            }
        }
    }

    /// Resolve the version rows to graph positions.
    pub fn current(&self, versions: &[String]) -> Result<Vec<usize>> {
        versions
            .iter()
            .map(|v| {
                self.get(v).ok_or_else(|| {
                    MigrateError::new(
                        code::UNKNOWN,
                        format!("the database is at revision {v}, which is not stored in migrate.revisions"),
                    )
                    .with_hint("Restore the missing revision, or correct migrate.version.")
                })
            })
            .collect()
    }

    /// Everything that must be applied for `starts` to be applied, `starts`
    /// included.
    pub fn closure(&self, starts: &[usize]) -> Vec<bool> {
        walk(&self.before, self.len(), starts)
    }

    /// Everything that has `start` among its ancestors, `start` included.
    fn descendants(&self, start: usize) -> Vec<bool> {
        walk(&self.after, self.len(), &[start])
    }

    /// Applied revisions that no applied revision names as a parent: what
    /// `migrate.version` holds.
    pub fn heads_of(&self, applied: &[bool]) -> Vec<usize> {
        self.topo
            .iter()
            .copied()
            .filter(|&i| applied[i] && !self.children[i].iter().any(|&c| applied[c]))
            .collect()
    }

    /// The revisions an upgrade to `target` runs, parents first.
    pub fn plan_upgrade(&self, applied: &[bool], target: &Target) -> Result<Vec<usize>> {
        let pending = |goal: &[usize]| -> Vec<usize> {
            let need = self.closure(goal);
            self.topo
                .iter()
                .copied()
                .filter(|&i| need[i] && !applied[i])
                .collect()
        };
        match target {
            Target::Head => Ok(pending(&self.single_head()?)),
            Target::Heads => Ok(pending(&self.heads())),
            Target::Rev(spec) => Ok(pending(&[self.resolve(spec)?])),
            Target::Relative(0) => Ok(vec![]),
            Target::Relative(n) if *n > 0 => {
                let all = pending(&self.single_head()?);
                let n = *n as usize;
                if all.len() < n {
                    return Err(MigrateError::new(
                        code::OUT_OF_RANGE,
                        format!(
                            "cannot upgrade +{n}: only {} revision(s) are not applied",
                            all.len()
                        ),
                    )
                    .with_hint("migrate.upgrade('head') applies all of them."));
                }
                Ok(all[..n].to_vec())
            }
            Target::Base | Target::Relative(_) => Err(MigrateError::invalid(
                "an upgrade cannot go to base or a negative step",
            )
            .with_hint("Use migrate.downgrade(...) to go down.")),
        }
    }

    /// The revisions a downgrade to `target` reverts, children first.
    pub fn plan_downgrade(
        &self,
        applied: &[bool],
        current: &[usize],
        target: &Target,
    ) -> Result<Vec<usize>> {
        let newest_applied = |keep: &dyn Fn(usize) -> bool| -> Vec<usize> {
            self.newest_first()
                .filter(|&i| applied[i] && !keep(i))
                .collect()
        };
        match target {
            Target::Base => Ok(newest_applied(&|_| false)),
            Target::Rev(spec) => {
                let to = self.resolve(spec)?;
                if !applied[to] {
                    return Err(MigrateError::invalid(format!(
                        "revision {} is not applied, so downgrade cannot go to it",
                        self.id(to)
                    ))
                    .with_hint("Use migrate.upgrade(...) to apply it."));
                }
                let above = self.descendants(to);
                Ok(newest_applied(&|i| !above[i] || i == to))
            }
            Target::Relative(0) => Ok(vec![]),
            Target::Relative(n) if *n < 0 => {
                if current.len() > 1 {
                    return Err(self.several(
                        "downgrade by relative steps needs a single current revision",
                        current,
                        "Downgrade to a named revision instead.",
                    ));
                }
                let all = newest_applied(&|_| false);
                let n = n.unsigned_abs() as usize;
                if all.len() < n {
                    return Err(MigrateError::new(
                        code::OUT_OF_RANGE,
                        format!(
                            "cannot downgrade -{n}: that is below base ({} revision(s) applied)",
                            all.len()
                        ),
                    )
                    .with_hint("migrate.downgrade('base') reverts every revision."));
                }
                Ok(all[..n].to_vec())
            }
            Target::Head | Target::Heads | Target::Relative(_) => Err(MigrateError::invalid(
                "a downgrade cannot go to head or a positive step",
            )
            .with_hint("Use migrate.upgrade(...) to go up.")),
        }
    }

    /// The one head, or an error when there are several.
    pub fn single_head(&self) -> Result<Vec<usize>> {
        let heads = self.heads();
        if heads.len() > 1 {
            return Err(self.several(
                "the revision graph has several heads",
                &heads,
                "Upgrade to 'heads' to apply every branch, or name one revision.",
            ));
        }
        Ok(heads)
    }

    fn several(&self, what: &str, ids: &[usize], hint: &str) -> MigrateError {
        let names: Vec<&str> = ids.iter().map(|&i| self.id(i)).collect();
        MigrateError::new(code::SEVERAL, what.to_string())
            .with_detail(format!("Heads: {}", names.join(", ")))
            .with_hint(hint)
    }
}

fn walk(edges: &[Vec<usize>], n: usize, starts: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = starts.to_vec();
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut seen[i], true) {
            stack.extend(edges[i].iter().copied().filter(|&j| !seen[j]));
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Graph {
        let nodes = (0..n)
            .map(|i| {
                let id = format!("r{i}");
                let parent = format!("r{}", i.wrapping_sub(1));
                let p = parent.as_str();
                Node::new(
                    &id,
                    if i == 0 {
                        &[]
                    } else {
                        std::slice::from_ref(&p)
                    },
                )
            })
            .collect();
        Graph::new(nodes).unwrap()
    }

    fn ids(g: &Graph, v: &[usize]) -> Vec<String> {
        v.iter().map(|&i| g.id(i).to_string()).collect()
    }

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn linear_upgrade_and_downgrade() {
        let g = chain(4);
        let none = vec![false; 4];
        assert_eq!(
            ids(&g, &g.plan_upgrade(&none, &t("head")).unwrap()),
            ["r0", "r1", "r2", "r3"]
        );
        assert_eq!(
            ids(&g, &g.plan_upgrade(&none, &t("+2")).unwrap()),
            ["r0", "r1"]
        );
        assert_eq!(
            ids(&g, &g.plan_upgrade(&none, &t("r1")).unwrap()),
            ["r0", "r1"]
        );
        let cur = vec![g.get("r3").unwrap()];
        let all = g.closure(&cur);
        assert!(g.plan_upgrade(&all, &t("head")).unwrap().is_empty());
        assert_eq!(
            ids(&g, &g.plan_downgrade(&all, &cur, &t("-1")).unwrap()),
            ["r3"]
        );
        assert_eq!(
            ids(&g, &g.plan_downgrade(&all, &cur, &t("r1")).unwrap()),
            ["r3", "r2"]
        );
        assert_eq!(
            ids(&g, &g.plan_downgrade(&all, &cur, &t("base")).unwrap()),
            ["r3", "r2", "r1", "r0"]
        );
        assert_eq!(
            g.plan_downgrade(&all, &cur, &t("-5"))
                .unwrap_err()
                .sqlstate(),
            "22003"
        );
        assert_eq!(
            g.plan_upgrade(&none, &t("+5")).unwrap_err().sqlstate(),
            "22003"
        );
        assert_eq!(
            g.plan_upgrade(&none, &t("-1")).unwrap_err().sqlstate(),
            "22023"
        );
        assert_eq!(
            g.plan_downgrade(&none, &[], &t("r2"))
                .unwrap_err()
                .sqlstate(),
            "22023"
        );
    }

    #[test]
    fn prefixes() {
        let g = Graph::new(vec![
            Node::new("abc123", &[]),
            Node::new("abd456", &["abc123"]),
        ])
        .unwrap();
        assert_eq!(g.resolve("abc").unwrap(), 0);
        assert_eq!(g.resolve("abd456").unwrap(), 1);
        assert_eq!(g.resolve("ab").unwrap_err().sqlstate(), "42P09");
        assert_eq!(g.resolve("zz").unwrap_err().sqlstate(), "42704");
    }

    #[test]
    fn bad_graphs_are_refused() {
        let e = Graph::new(vec![Node::new("a", &["nope"])]).unwrap_err();
        assert_eq!(e.sqlstate(), "23503");
        assert!(e.message.contains("nope"));
        let e = Graph::new(vec![Node::new("a", &["b"]), Node::new("b", &["a"])]).unwrap_err();
        assert_eq!(e.sqlstate(), "23000");
        let e = Graph::new(vec![Node::new("a", &["a"])]).unwrap_err();
        assert_eq!(e.sqlstate(), "23000");
        let e = Graph::new(vec![Node::new("a", &[]), Node::new("a", &[])]).unwrap_err();
        assert_eq!(e.sqlstate(), "23505");
        assert!(Graph::check_new(vec![Node::new("a", &["stored"])]).is_ok());
        assert!(Graph::check_new(vec![Node::new("a", &["b"]), Node::new("b", &["a"])]).is_err());
    }

    #[test]
    fn several_heads_need_heads_or_a_name() {
        let g = Graph::new(vec![
            Node::new("a", &[]),
            Node::new("b1", &["a"]),
            Node::new("b2", &["a"]),
        ])
        .unwrap();
        let none = vec![false; 3];
        assert_eq!(
            g.plan_upgrade(&none, &t("head")).unwrap_err().sqlstate(),
            "21000"
        );
        assert_eq!(
            ids(&g, &g.plan_upgrade(&none, &t("heads")).unwrap()),
            ["a", "b1", "b2"]
        );
        let applied = g.closure(&[1, 2]);
        assert_eq!(ids(&g, &g.heads_of(&applied)), ["b1", "b2"]);
        // downgrading one branch leaves the other alone
        let plan = g.plan_downgrade(&applied, &[1, 2], &t("a")).unwrap();
        assert_eq!(ids(&g, &plan), ["b2", "b1"]);
        assert_eq!(
            g.plan_downgrade(&applied, &[1, 2], &t("-1"))
                .unwrap_err()
                .sqlstate(),
            "21000"
        );
    }

    #[test]
    fn merge_reverts_to_both_parents() {
        let g = Graph::new(vec![
            Node::new("a", &[]),
            Node::new("b", &["a"]),
            Node::new("c", &["a"]),
            Node::new("m", &["b", "c"]),
        ])
        .unwrap();
        let cur = vec![3];
        let mut applied = g.closure(&cur);
        let plan = g.plan_downgrade(&applied, &cur, &t("-1")).unwrap();
        assert_eq!(ids(&g, &plan), ["m"]);
        applied[3] = false;
        assert_eq!(ids(&g, &g.heads_of(&applied)), ["b", "c"]);
    }

    /// A random DAG: node i's parents are drawn from nodes before it.
    fn dag() -> impl Strategy<Value = Graph> {
        (1usize..40)
            .prop_flat_map(|n| {
                proptest::collection::vec(proptest::collection::vec(any::<usize>(), 0..3), n)
            })
            .prop_map(|picks| {
                let nodes = picks
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let mut parents: Vec<String> = if i == 0 {
                            vec![]
                        } else {
                            p.iter().map(|x| format!("n{}", x % i)).collect()
                        };
                        parents.sort();
                        parents.dedup();
                        Node {
                            id: format!("n{i}"),
                            parents,
                            depends_on: vec![],
                            message: None,
                        }
                    })
                    .collect();
                Graph::new(nodes).unwrap()
            })
    }

    proptest! {
        #[test]
        fn upgrade_then_downgrade_returns_to_start(g in dag(), start in any::<usize>(), goal in any::<usize>()) {
            let start = start % g.len();
            let goal = goal % g.len();
            let cur = vec![start];
            let applied = g.closure(&cur);
            let up = g.plan_upgrade(&applied, &Target::Rev(g.id(goal).to_string())).unwrap();
            // parents first, nothing twice, nothing already applied
            let mut now = applied.clone();
            for &i in &up {
                prop_assert!(!now[i]);
                prop_assert!(g.before[i].iter().all(|&p| now[p]));
                now[i] = true;
            }
            prop_assert!(now[goal]);
            // and back down to where we started
            let heads = g.heads_of(&now);
            let down = g.plan_downgrade(&now, &heads, &Target::Rev(g.id(start).to_string()));
            if let Ok(down) = down {
                for &i in &down {
                    prop_assert!(now[i]);
                    prop_assert!(g.after[i].iter().all(|&c| !now[c]));
                    now[i] = false;
                }
                prop_assert!(now[start]);
                prop_assert!(g.heads_of(&now).contains(&start));
            }
        }
    }
}
