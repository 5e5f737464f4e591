//! Planning, in plain Rust: which revisions a target means, in which order
//! they run, and what `migrate.version` holds after each step.
//!
//! An upgrade runs what the target needs and is not applied, parents and
//! dependencies first. A downgrade reverts what is applied above the
//! target, children and dependents first; other branches stay as they are.

use crate::error::{code, MigrateError, Result};
use crate::graph::{Graph, Point};
use crate::target::{BranchAt, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn word(self) -> &'static str {
        match self {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        }
    }
}

/// What the caller asked for: `upgrade`, `downgrade`, or either (`stamp`
/// and offline SQL go wherever the target is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Upgrade,
    Downgrade,
    Either,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub direction: Direction,
    /// graph positions, in the order they run
    pub steps: Vec<usize>,
    /// an upgrade to a revision that is already applied: nothing to do
    pub already_applied: Option<usize>,
}

/// One step's change to `migrate.version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionChange {
    pub removed: Vec<usize>,
    pub added: Vec<usize>,
}

/// The plan that takes the database from `applied` (whose heads are
/// `current`) to `target`.
pub fn plan(
    g: &Graph,
    applied: &[bool],
    current: &[usize],
    target: &Target,
    mode: Mode,
) -> Result<Plan> {
    let up = |goals: &[usize]| -> Plan {
        let need = g.closure(goals);
        Plan {
            direction: Direction::Up,
            steps: g
                .topo()
                .iter()
                .copied()
                .filter(|&i| need[i] && !applied[i])
                .collect(),
            already_applied: None,
        }
    };
    // `revert` must be closed under descendants (it is, when built by
    // `descendants_of`), so children always go before their parents.
    let down = |revert: &[bool]| -> Plan {
        Plan {
            direction: Direction::Down,
            steps: g
                .newest_first()
                .filter(|&i| applied[i] && revert[i])
                .collect(),
            already_applied: None,
        }
    };
    let everything = vec![true; g.len()];

    // The direction a target goes by its nature; `None`: it depends on
    // whether the named revision is applied.
    let natural = match target {
        Target::Head | Target::Heads => Some(Direction::Up),
        Target::Base => Some(Direction::Down),
        Target::Relative(0) | Target::Branch(_, BranchAt::Relative(0)) => None,
        Target::Relative(n) | Target::Branch(_, BranchAt::Relative(n)) => Some(if *n > 0 {
            Direction::Up
        } else {
            Direction::Down
        }),
        Target::Branch(_, BranchAt::Head | BranchAt::Heads) => Some(Direction::Up),
        Target::Branch(_, BranchAt::Base) => Some(Direction::Down),
        Target::Rev(_) => None,
    };
    match (mode, natural) {
        (Mode::Upgrade, Some(Direction::Down)) => {
            return Err(MigrateError::invalid(
                "an upgrade cannot go to base or take negative steps",
            )
            .with_hint("Use migrate.downgrade(...) to go down."))
        }
        (Mode::Downgrade, Some(Direction::Up)) => {
            return Err(MigrateError::invalid(
                "a downgrade cannot go to a head or take positive steps",
            )
            .with_hint("Use migrate.upgrade(...) to go up."))
        }
        _ => {}
    }

    match target {
        Target::Head => Ok(up(&g.single_head()?)),
        Target::Heads => Ok(up(&g.heads())),
        Target::Base => Ok(down(&everything)),
        Target::Relative(0) | Target::Branch(_, BranchAt::Relative(0)) => Ok(Plan {
            direction: Direction::Up,
            steps: vec![],
            already_applied: None,
        }),
        Target::Relative(n) if *n > 0 => first(up(&g.single_head()?), *n),
        Target::Relative(n) => {
            if current.len() > 1 {
                return Err(g.several(
                    "relative steps down need a single current revision",
                    "Current",
                    current,
                    "Downgrade to a named revision, or use <label>@-N for one branch.",
                ));
            }
            first(down(&everything), *n)
        }
        Target::Rev(spec) => match g.point(spec)? {
            Point::Rev(r) if applied[r] => {
                if mode == Mode::Upgrade {
                    return Ok(Plan {
                        direction: Direction::Up,
                        steps: vec![],
                        already_applied: Some(r),
                    });
                }
                let mut above = g.descendants_of(&[r]);
                above[r] = false;
                Ok(down(&above))
            }
            Point::Rev(r) => {
                if mode == Mode::Downgrade {
                    return Err(MigrateError::invalid(format!(
                        "revision {} is not applied, so a downgrade cannot go to it",
                        g.id(r)
                    ))
                    .with_hint("Use migrate.upgrade(...) to apply it."));
                }
                Ok(up(&[r]))
            }
            Point::BelowRoot(root) => {
                if mode == Mode::Upgrade {
                    return Err(MigrateError::invalid(format!(
                        "\"{spec}\" is below base: an upgrade cannot go there"
                    )));
                }
                Ok(down(&g.descendants_of(&[root])))
            }
        },
        Target::Branch(label, at) => {
            let heads = g.branch_heads(label)?;
            let several = format!("branch {label} has several heads");
            match at {
                BranchAt::Head => Ok(up(&g.one_head(heads, &several)?)),
                BranchAt::Heads => Ok(up(&heads)),
                BranchAt::Relative(n) if *n > 0 => first(up(&g.one_head(heads, &several)?), *n),
                BranchAt::Base | BranchAt::Relative(_) => {
                    let members = g.branch_members(label)?;
                    let starts: Vec<usize> = (0..g.len()).filter(|&i| members[i]).collect();
                    let revert = g.descendants_of(&starts);
                    match at {
                        BranchAt::Relative(n) => first(down(&revert), *n),
                        _ => Ok(down(&revert)),
                    }
                }
            }
        }
    }
}

/// The first |n| steps of a plan, or an error when it has fewer.
fn first(mut p: Plan, n: i64) -> Result<Plan> {
    let k = n.unsigned_abs() as usize;
    if p.steps.len() < k {
        let (sign, hint) = match p.direction {
            Direction::Up => (
                "+",
                "migrate.upgrade('heads') applies every pending revision.",
            ),
            Direction::Down => ("-", "migrate.downgrade('base') reverts every revision."),
        };
        return Err(MigrateError::new(
            code::OUT_OF_RANGE,
            format!(
                "cannot {} {sign}{k}: only {} revision(s) {}",
                p.direction.word(),
                p.steps.len(),
                match p.direction {
                    Direction::Up => "are pending (that is past head)",
                    Direction::Down => "are applied (that is below base)",
                }
            ),
        )
        .with_hint(hint));
    }
    p.steps.truncate(k);
    Ok(p)
}

/// Apply `plan` to `applied` step by step, and say what each step does to
/// the version rows (the heads of the applied set).
pub fn version_changes(g: &Graph, applied: &mut [bool], plan: &Plan) -> Vec<VersionChange> {
    let is_head =
        |applied: &[bool], p: usize| applied[p] && !g.children(p).iter().any(|&c| applied[c]);
    plan.steps
        .iter()
        .map(|&i| match plan.direction {
            Direction::Up => {
                let removed = g
                    .parents(i)
                    .into_iter()
                    .filter(|&p| is_head(applied, p))
                    .collect();
                applied[i] = true;
                VersionChange {
                    removed,
                    added: vec![i],
                }
            }
            Direction::Down => {
                applied[i] = false;
                let added = g
                    .parents(i)
                    .into_iter()
                    .filter(|&p| is_head(applied, p))
                    .collect();
                VersionChange {
                    removed: vec![i],
                    added,
                }
            }
        })
        .collect()
}

/// The revisions in an Alembic-style range `start:end` (either side may be
/// empty; `base`, `current`, `head`, `heads`, revisions and branch targets
/// are understood), newest first.
pub fn range(g: &Graph, current: &[usize], text: &str) -> Result<Vec<usize>> {
    let Some((start, end)) = text.split_once(':') else {
        return Err(
            MigrateError::invalid(format!("invalid history range \"{text}\""))
                .with_hint("A range is start:end, e.g. 'ae10:', ':head', 'base:current'."),
        );
    };
    let all = vec![true; g.len()];
    // `-N`: the last N applied revisions (those downgrade(-N) would revert)
    let last = |n: i64| -> Result<Vec<usize>> {
        let applied = g.closure(current);
        Ok(plan(g, &applied, current, &Target::Relative(n), Mode::Downgrade)?.steps)
    };
    if let Ok(Target::Relative(n)) = Target::parse(start.trim()) {
        if n < 0 {
            let newest = last(n)?;
            let from = g.descendants_of(&newest);
            let to = match end.trim() {
                "" | "head" | "heads" => all.clone(),
                "current" => g.closure(current),
                other => {
                    return Err(MigrateError::invalid(format!(
                        "\"{other}\" cannot end a range that starts at {start}"
                    ))
                    .with_hint("Write '-N:' or '-N:current'."))
                }
            };
            return Ok(g.newest_first().filter(|&i| from[i] && to[i]).collect());
        }
    }
    let points = |side: &str| -> Result<Option<Vec<usize>>> {
        Ok(match side.trim() {
            "" | "base" | "heads" | "head" => None,
            "current" => Some(current.to_vec()),
            spec => match Target::parse(spec)? {
                Target::Rev(s) => Some(vec![g.resolve(&s)?]),
                Target::Branch(label, BranchAt::Head | BranchAt::Heads) => {
                    Some(g.branch_heads(&label)?)
                }
                Target::Branch(label, BranchAt::Base) => {
                    let m = g.branch_members(&label)?;
                    Some((0..g.len()).filter(|&i| m[i]).collect())
                }
                _ => {
                    return Err(MigrateError::invalid(format!(
                        "\"{spec}\" cannot be a range endpoint"
                    ))
                    .with_hint("Use base, current, head(s), a revision, a branch label, or -N (the last N applied) to start."))
                }
            },
        })
    };
    let from = match (start.trim(), points(start)?) {
        ("head" | "heads", _) => g.descendants_of(&g.heads()),
        (_, None) => all.clone(),
        (_, Some(p)) => g.descendants_of(&p),
    };
    let to = match (end.trim(), points(end)?) {
        ("base", _) => vec![false; g.len()],
        (_, None) => all,
        (_, Some(p)) => g.closure(&p),
    };
    Ok(g.newest_first().filter(|&i| from[i] && to[i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Node;
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

    fn up(g: &Graph, applied: &[bool], s: &str) -> Result<Vec<usize>> {
        plan(g, applied, &g.heads_of(applied), &t(s), Mode::Upgrade).map(|p| p.steps)
    }

    fn down(g: &Graph, applied: &[bool], s: &str) -> Result<Vec<usize>> {
        plan(g, applied, &g.heads_of(applied), &t(s), Mode::Downgrade).map(|p| p.steps)
    }

    #[test]
    fn range_of_the_last_n_applied() {
        let g = chain(6);
        let current = vec![3];
        let ids_of = |r: &str| ids(&g, &range(&g, &current, r).unwrap());
        assert_eq!(ids_of("-2:"), ["r5", "r4", "r3", "r2"]);
        assert_eq!(ids_of("-2:current"), ["r3", "r2"]);
        assert_eq!(range(&g, &current, "-5:").unwrap_err().sqlstate(), "22003");
    }

    #[test]
    fn linear_upgrade_and_downgrade() {
        let g = chain(4);
        let none = vec![false; 4];
        assert_eq!(
            ids(&g, &up(&g, &none, "head").unwrap()),
            ["r0", "r1", "r2", "r3"]
        );
        assert_eq!(ids(&g, &up(&g, &none, "+2").unwrap()), ["r0", "r1"]);
        assert_eq!(ids(&g, &up(&g, &none, "r1").unwrap()), ["r0", "r1"]);
        assert_eq!(ids(&g, &up(&g, &none, "r0+2").unwrap()), ["r0", "r1", "r2"]);
        let all = g.closure(&[3]);
        assert!(up(&g, &all, "head").unwrap().is_empty());
        assert_eq!(
            plan(&g, &all, &[3], &t("r1"), Mode::Upgrade)
                .unwrap()
                .already_applied,
            Some(1)
        );
        assert_eq!(ids(&g, &down(&g, &all, "-1").unwrap()), ["r3"]);
        assert_eq!(ids(&g, &down(&g, &all, "r1").unwrap()), ["r3", "r2"]);
        assert_eq!(ids(&g, &down(&g, &all, "r3-2").unwrap()), ["r3", "r2"]);
        assert_eq!(
            ids(&g, &down(&g, &all, "r0-1").unwrap()),
            ["r3", "r2", "r1", "r0"]
        );
        assert_eq!(
            ids(&g, &down(&g, &all, "base").unwrap()),
            ["r3", "r2", "r1", "r0"]
        );
        assert_eq!(down(&g, &all, "-5").unwrap_err().sqlstate(), "22003");
        assert_eq!(up(&g, &none, "+5").unwrap_err().sqlstate(), "22003");
        assert_eq!(up(&g, &none, "-1").unwrap_err().sqlstate(), "22023");
        assert_eq!(up(&g, &none, "base").unwrap_err().sqlstate(), "22023");
        assert_eq!(down(&g, &none, "r2").unwrap_err().sqlstate(), "22023");
        assert_eq!(down(&g, &all, "head").unwrap_err().sqlstate(), "22023");
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
        assert_eq!(up(&g, &none, "head").unwrap_err().sqlstate(), "21000");
        assert_eq!(ids(&g, &up(&g, &none, "heads").unwrap()), ["a", "b1", "b2"]);
        let applied = g.closure(&[1, 2]);
        assert_eq!(ids(&g, &g.heads_of(&applied)), ["b1", "b2"]);
        // downgrading one branch leaves the other alone
        assert_eq!(down(&g, &applied, "-1").unwrap_err().sqlstate(), "21000");
        assert_eq!(ids(&g, &down(&g, &applied, "a").unwrap()), ["b2", "b1"]);
    }

    #[test]
    fn branch_labels() {
        // a -> b -> {c (cart) -> d, e}
        let mut nodes = vec![
            Node::new("a", &[]),
            Node::new("b", &["a"]),
            Node::new("c", &["b"]),
            Node::new("d", &["c"]),
            Node::new("e", &["b"]),
        ];
        nodes[2].labels = vec!["cart".into()];
        let g = Graph::new(nodes).unwrap();
        let none = vec![false; 5];
        assert_eq!(
            ids(&g, &up(&g, &none, "cart@head").unwrap()),
            ["a", "b", "c", "d"]
        );
        assert_eq!(ids(&g, &up(&g, &none, "cart@+1").unwrap()), ["a"]);
        assert_eq!(ids(&g, &up(&g, &none, "cart").unwrap()), ["a", "b", "c"]);
        let applied = vec![true; 5];
        assert_eq!(
            ids(&g, &down(&g, &applied, "cart@base").unwrap()),
            ["d", "c"]
        );
        assert_eq!(ids(&g, &down(&g, &applied, "cart@-1").unwrap()), ["d"]);
        assert_eq!(up(&g, &none, "nope@head").unwrap_err().sqlstate(), "42704");
        assert_eq!(
            down(&g, &applied, "cart@head").unwrap_err().sqlstate(),
            "22023"
        );
    }

    #[test]
    fn dependencies_come_first_and_go_last() {
        let mut nodes = vec![
            Node::new("a", &[]),
            Node::new("x", &[]),
            Node::new("b", &["a"]),
        ];
        nodes[2].depends_on = vec!["x".into()];
        let g = Graph::new(nodes).unwrap();
        let none = vec![false; 3];
        assert_eq!(ids(&g, &up(&g, &none, "b").unwrap()), ["a", "x", "b"]);
        let applied = vec![true; 3];
        // version keeps x: a dependency is not a parent
        assert_eq!(ids(&g, &g.heads_of(&applied)), ["x", "b"]);
        assert_eq!(ids(&g, &down(&g, &applied, "x-1").unwrap()), ["b", "x"]);
    }

    #[test]
    fn ranges() {
        let g = chain(5);
        let cur = vec![2];
        let r = |s: &str| ids(&g, &range(&g, &cur, s).unwrap());
        assert_eq!(r(":"), ["r4", "r3", "r2", "r1", "r0"]);
        assert_eq!(r("r1:r3"), ["r3", "r2", "r1"]);
        assert_eq!(r("current:"), ["r4", "r3", "r2"]);
        assert_eq!(r(":current"), ["r2", "r1", "r0"]);
        assert_eq!(r("r3:heads"), ["r4", "r3"]);
        assert!(range(&g, &cur, "r1").is_err());
    }

    /// A random DAG: node i's parents and dependencies come from nodes
    /// before it.
    fn dag() -> impl Strategy<Value = Graph> {
        (1usize..40)
            .prop_flat_map(|n| {
                proptest::collection::vec(
                    (
                        proptest::collection::vec(any::<usize>(), 0..3),
                        proptest::option::of(any::<usize>()),
                    ),
                    n,
                )
            })
            .prop_map(|picks| {
                let nodes = picks
                    .iter()
                    .enumerate()
                    .map(|(i, (p, d))| {
                        let mut parents: Vec<String> = if i == 0 {
                            vec![]
                        } else {
                            p.iter().map(|x| format!("n{}", x % i)).collect()
                        };
                        parents.sort();
                        parents.dedup();
                        let depends_on = match d {
                            Some(x) if i > 0 && !parents.contains(&format!("n{}", x % i)) => {
                                vec![format!("n{}", x % i)]
                            }
                            _ => vec![],
                        };
                        Node {
                            id: format!("n{i}"),
                            parents,
                            depends_on,
                            labels: vec![],
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
            let applied = g.closure(&[start]);
            let heads = g.heads_of(&applied);
            // go up to a descendant of start...
            let above = g.descendants_of(&[start]);
            let candidates: Vec<usize> = (0..g.len()).filter(|&i| above[i]).collect();
            let goal = candidates[goal % candidates.len()];
            let up = plan(&g, &applied, &heads, &Target::Rev(g.id(goal).into()), Mode::Upgrade).unwrap();
            let mut now = applied.clone();
            let changes = version_changes(&g, &mut now, &up);
            let mut version = heads.clone();
            for (&i, c) in up.steps.iter().zip(&changes) {
                // nothing applied twice, parents and dependencies first
                prop_assert!(!applied[i]);
                prop_assert!(g.closure(&[i]).iter().enumerate().all(|(j, &need)| !need || j == i || now[j]));
                version.retain(|v| !c.removed.contains(v));
                version.extend(&c.added);
            }
            prop_assert!(now[goal]);
            version.sort();
            let mut expect = g.heads_of(&now);
            expect.sort();
            prop_assert_eq!(&version, &expect);
            // ...and back down to start: everything the upgrade applied
            // above start is reverted, children first; what it had to apply
            // on other branches (ancestors of a merge) stays
            let down = plan(&g, &now, &g.heads_of(&now), &Target::Rev(g.id(start).into()), Mode::Downgrade).unwrap();
            let mut back = now.clone();
            version_changes(&g, &mut back, &down);
            for &i in &down.steps {
                prop_assert!(up.steps.contains(&i));
            }
            for i in 0..g.len() {
                let kept_elsewhere = up.steps.contains(&i) && !above[i];
                prop_assert_eq!(back[i], applied[i] || kept_elsewhere, "revision {}", g.id(i));
            }
            prop_assert!(g.heads_of(&back).contains(&start));
        }
    }
}
