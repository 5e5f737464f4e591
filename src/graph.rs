//! The revision graph, in plain Rust: heads, target resolution, and the
//! ordered steps of an upgrade or a downgrade.
//!
//! A revision's parents (`down_revision`) and dependencies (`depends_on`)
//! must both be applied before it. "Applied" is every revision reachable from
//! the current version rows. All walks are linear in the size of the graph.

use crate::error::{code, MigrateError, Result};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Ids and labels are short, trusted-enough keys (the graph is built from
/// the extension's own table, and a collision only costs a probe), so the
/// index hashes them with a cheap multiplicative hash instead of SipHash:
/// at 100,000 revisions SipHash was a tenth of building the graph.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<V> = HashMap<String, V, BuildHasherDefault<IdHasher>>;

/// Edges out of each revision, packed in one array (compressed sparse
/// rows): a graph of N revisions is three allocations, not 3N.
#[derive(Debug, Default)]
struct Edges {
    start: Vec<usize>,
    to: Vec<usize>,
}

impl Edges {
    /// From (from, to) pairs, keeping each revision's edges in input order.
    fn new(n: usize, pairs: &[(usize, usize)]) -> Edges {
        let mut start = vec![0usize; n + 1];
        for &(from, _) in pairs {
            start[from + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut to = vec![0usize; pairs.len()];
        for &(from, t) in pairs {
            to[fill[from]] = t;
            fill[from] += 1;
        }
        Edges { start, to }
    }
}

impl std::ops::Index<usize> for Edges {
    type Output = [usize];
    fn index(&self, i: usize) -> &[usize] {
        &self.to[self.start[i]..self.start[i + 1]]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub parents: Vec<String>,
    pub depends_on: Vec<String>,
    pub labels: Vec<String>,
    pub message: Option<String>,
}

#[cfg(test)]
impl Node {
    pub fn new(id: &str, parents: &[&str]) -> Node {
        Node {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            depends_on: vec![],
            labels: vec![],
            message: None,
        }
    }
}

/// Where a revision spec points: a revision, or the base below a root
/// (`<root>-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Rev(usize),
    BelowRoot(usize),
}

#[derive(Debug)]
pub struct Graph {
    pub nodes: Vec<Node>,
    index: IdMap<usize>,
    /// branch label -> the revision that carries it
    labels: IdMap<usize>,
    /// parents, then dependencies: everything that must be applied first
    before: Edges,
    /// the reverse of `before`
    after: Edges,
    /// children through `down_revision` only (heads ignore dependencies)
    children: Edges,
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
        let mut index = IdMap::with_capacity_and_hasher(nodes.len(), Default::default());
        for (i, n) in nodes.iter().enumerate() {
            if index.insert(n.id.clone(), i).is_some() {
                return Err(MigrateError::new(
                    code::DUPLICATE,
                    format!("revision {} is stored twice", n.id),
                ));
            }
        }
        let mut labels = IdMap::default();
        for (i, node) in nodes.iter().enumerate() {
            for l in &node.labels {
                if let Some(j) = labels.insert(l.clone(), i) {
                    return Err(MigrateError::new(
                        code::DUPLICATE,
                        format!(
                            "branch label {l} is on both revision {} and revision {}",
                            nodes[j].id, node.id
                        ),
                    ));
                }
                if index.contains_key(l) {
                    return Err(MigrateError::new(
                        code::DUPLICATE,
                        format!(
                            "branch label {l} of revision {} is also a revision id",
                            node.id
                        ),
                    ));
                }
            }
        }
        let n = nodes.len();
        // (revision, what must come first) and (parent, child) pairs
        let mut needs = Vec::with_capacity(n);
        let mut parent_child = Vec::with_capacity(n);
        for (i, node) in nodes.iter().enumerate() {
            for (refs, what) in [(&node.parents, "parent"), (&node.depends_on, "dependency")] {
                for r in refs {
                    match index.get(r) {
                        Some(&j) => {
                            needs.push((i, j));
                            if what == "parent" {
                                parent_child.push((j, i));
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
        let before = Edges::new(n, &needs);
        let reversed: Vec<(usize, usize)> = needs.iter().map(|&(i, j)| (j, i)).collect();
        let after = Edges::new(n, &reversed);
        let children = Edges::new(n, &parent_child);
        // Kahn's algorithm; the heap keeps ties in load order.
        let mut indegree: Vec<usize> = (0..n).map(|i| before[i].len()).collect();
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
            labels,
            before,
            after,
            children,
            topo,
        })
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
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

    /// A revision named by `spec`: a full id, a branch label, `<rev>+N` /
    /// `<rev>-N`, or a unique prefix of an id (tried in that order).
    pub fn resolve(&self, spec: &str) -> Result<usize> {
        match self.point(spec)? {
            Point::Rev(i) => Ok(i),
            Point::BelowRoot(_) => Err(MigrateError::new(
                code::OUT_OF_RANGE,
                format!("\"{spec}\" is below base"),
            )),
        }
    }

    /// Like [`Graph::resolve`], but `<root>-1` may point below a root.
    pub fn point(&self, spec: &str) -> Result<Point> {
        if let Some(i) = self.get(spec).or_else(|| self.labels.get(spec).copied()) {
            return Ok(Point::Rev(i));
        }
        if let (base, Some(n)) = crate::target::split_relative(spec) {
            let mut at = self.resolve_plain(base)?;
            for _ in 0..n.unsigned_abs() {
                let parents;
                let next = if n > 0 {
                    &self.children[at]
                } else {
                    parents = self.nodes_parents(at);
                    &parents[..]
                };
                at = match next {
                    [one] => *one,
                    [] if n > 0 => {
                        return Err(MigrateError::new(
                            code::OUT_OF_RANGE,
                            format!("\"{spec}\" is above head: {} has no child", self.id(at)),
                        ))
                    }
                    [] => return Ok(Point::BelowRoot(at)),
                    several => {
                        let noun = if n > 0 { "Children" } else { "Parents" };
                        return Err(self.several(
                            &format!(
                                "\"{spec}\" is ambiguous: {} has several {}",
                                self.id(at),
                                noun.to_lowercase()
                            ),
                            noun,
                            several,
                            "Name the revision you mean.",
                        ));
                    }
                };
            }
            return Ok(Point::Rev(at));
        }
        self.resolve_plain(spec).map(Point::Rev)
    }

    fn nodes_parents(&self, i: usize) -> Vec<usize> {
        self.nodes[i]
            .parents
            .iter()
            .filter_map(|p| self.get(p))
            .collect()
    }

    /// An id, a label, or a unique prefix of an id.
    fn resolve_plain(&self, spec: &str) -> Result<usize> {
        if let Some(i) = self.get(spec).or_else(|| self.labels.get(spec).copied()) {
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
                    .with_hint(
                        "migrate.history() lists the stored revisions and their branch labels.",
                    ),
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

    /// The revision that carries `label`.
    pub fn label(&self, label: &str) -> Result<usize> {
        self.labels.get(label).copied().ok_or_else(|| {
            MigrateError::new(code::UNKNOWN, format!("no branch is labeled \"{label}\""))
                .with_hint("migrate.history() lists the stored revisions and their branch labels.")
        })
    }

    /// The heads that descend from the labeled revision.
    pub fn branch_heads(&self, label: &str) -> Result<Vec<usize>> {
        let below = self.descendants_of(&[self.label(label)?]);
        Ok(self.heads().into_iter().filter(|&h| below[h]).collect())
    }

    /// The revisions a label applies to, as Alembic defines it: the labeled
    /// revision, its descendants, and its ancestors down to (not including)
    /// the preceding branch point.
    pub fn branch_members(&self, label: &str) -> Result<Vec<bool>> {
        let l = self.label(label)?;
        let mut members = self.descendants_of(&[l]);
        let mut at = l;
        loop {
            match self.nodes_parents(at).as_slice() {
                [p] if self.children[*p].len() == 1 => {
                    members[*p] = true;
                    at = *p;
                }
                _ => break,
            }
        }
        Ok(members)
    }

    /// Children through `down_revision`.
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
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

    /// The version rows split into the revisions they name and the rows
    /// that name no stored revision.
    pub fn split_versions<'v>(&self, versions: &'v [String]) -> (Vec<usize>, Vec<&'v str>) {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        for v in versions {
            match self.get(v) {
                Some(i) => known.push(i),
                None => unknown.push(v.as_str()),
            }
        }
        (known, unknown)
    }

    /// Everything that must be applied for `starts` to be applied, `starts`
    /// included.
    pub fn closure(&self, starts: &[usize]) -> Vec<bool> {
        walk(&self.before, self.len(), starts)
    }

    /// Everything that has one of `starts` among its ancestors (through
    /// parents or dependencies), `starts` included.
    pub fn descendants_of(&self, starts: &[usize]) -> Vec<bool> {
        walk(&self.after, self.len(), starts)
    }

    /// A topological order: parents and dependencies first.
    pub fn topo(&self) -> &[usize] {
        &self.topo
    }

    /// Parents through `down_revision`, as positions.
    pub fn parents(&self, i: usize) -> Vec<usize> {
        self.nodes_parents(i)
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

    /// The one head, or an error when there are several.
    pub fn single_head(&self) -> Result<Vec<usize>> {
        self.one_head(self.heads(), "the revision graph has several heads")
    }

    /// `heads` when there is at most one, or the refusal `what` (the graph,
    /// or a branch, "has several heads") naming them.
    pub fn one_head(&self, heads: Vec<usize>, what: &str) -> Result<Vec<usize>> {
        if heads.len() > 1 {
            return Err(self.several(
                what,
                "Heads",
                &heads,
                "Use 'heads' (or <label>@heads) to go to every head, or name one revision.",
            ));
        }
        Ok(heads)
    }

    /// "Several where one is needed": `noun` names the list in the detail
    /// (`Heads: a, b`).
    pub fn several(&self, what: &str, noun: &str, ids: &[usize], hint: &str) -> MigrateError {
        let names: Vec<&str> = ids.iter().map(|&i| self.id(i)).collect();
        MigrateError::new(code::SEVERAL, what.to_string())
            .with_detail(format!("{noun}: {}", names.join(", ")))
            .with_hint(hint)
    }
}

fn walk(edges: &Edges, n: usize, starts: &[usize]) -> Vec<bool> {
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

    #[test]
    fn prefixes_labels_and_relative_specs() {
        let mut nodes = vec![
            Node::new("abc123", &[]),
            Node::new("abd456", &["abc123"]),
            Node::new("ff0001", &["abd456"]),
        ];
        nodes[1].labels = vec!["cart".into()];
        let g = Graph::new(nodes).unwrap();
        assert_eq!(g.resolve("abc").unwrap(), 0);
        assert_eq!(g.resolve("abd456").unwrap(), 1);
        assert_eq!(g.resolve("cart").unwrap(), 1);
        assert_eq!(g.resolve("ab").unwrap_err().sqlstate(), "42P09");
        assert_eq!(g.resolve("zz").unwrap_err().sqlstate(), "42704");
        assert_eq!(g.resolve("abc+2").unwrap(), 2);
        assert_eq!(g.resolve("ff0001-1").unwrap(), 1);
        assert_eq!(g.resolve("cart+1").unwrap(), 2);
        assert_eq!(g.point("abc-1").unwrap(), Point::BelowRoot(0));
        assert_eq!(g.resolve("abc-1").unwrap_err().sqlstate(), "22003");
        assert_eq!(g.resolve("ff+1").unwrap_err().sqlstate(), "22003");
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
        let mut two = vec![Node::new("a", &[]), Node::new("b", &[])];
        two[0].labels = vec!["x".into()];
        two[1].labels = vec!["x".into()];
        assert_eq!(Graph::new(two).unwrap_err().sqlstate(), "23505");
        let mut clash = vec![Node::new("a", &[]), Node::new("b", &[])];
        clash[1].labels = vec!["a".into()];
        assert_eq!(Graph::new(clash).unwrap_err().sqlstate(), "23505");
        assert!(Graph::check_new(vec![Node::new("a", &["stored"])]).is_ok());
        assert!(Graph::check_new(vec![Node::new("a", &["b"]), Node::new("b", &["a"])]).is_err());
    }

    #[test]
    fn branch_members_stop_at_the_branch_point() {
        // a -> b -> {c -> d (cart), e}
        let mut nodes = vec![
            Node::new("a", &[]),
            Node::new("b", &["a"]),
            Node::new("c", &["b"]),
            Node::new("d", &["c"]),
            Node::new("e", &["b"]),
        ];
        nodes[3].labels = vec!["cart".into()];
        let g = Graph::new(nodes).unwrap();
        let m = g.branch_members("cart").unwrap();
        assert_eq!(m, vec![false, false, true, true, false]);
        assert_eq!(g.branch_heads("cart").unwrap(), vec![3]);
    }
}
