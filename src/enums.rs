//! Planning enum changes, in plain Rust: given the values a type has now
//! and the values it should have, the cheapest correct SQL.
//!
//! `ALTER TYPE ... ADD VALUE` (and `RENAME VALUE`) only touch the catalog
//! and are used whenever they suffice: when every current value stays, in
//! the same order. Removing or reordering values needs the type swap:
//! rename the old type away, create the new one under the old name, move
//! every column over with `USING`, restore defaults, constraints and
//! indexes, drop the old type. What the swap cannot carry over (views,
//! domains, functions, composite types) makes the op refuse instead.

use crate::quote::{ident, literal, qualified};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Before(String),
    After(String),
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnumPlan {
    /// The type already has exactly these values.
    Nothing,
    /// Catalog-only: add these values, each at its position.
    AddValues(Vec<(String, Position)>),
    /// Values go away or change order: swap the type.
    Swap { removed: Vec<String> },
}

/// How to get from `current` to `desired` (both ordered, without
/// duplicates).
pub fn plan_values(current: &[String], desired: &[String]) -> EnumPlan {
    if current == desired {
        return EnumPlan::Nothing;
    }
    // current must be a subsequence of desired for ADD VALUE to suffice
    let mut it = desired.iter();
    let keeps_order = current.iter().all(|c| it.any(|d| d == c));
    if keeps_order {
        let adds = desired
            .iter()
            .enumerate()
            .filter(|(_, v)| !current.contains(v))
            .map(|(i, v)| {
                // after the previous value (present by now), or, for the
                // first, before the first value that is already there
                let pos = match i {
                    0 => match desired.iter().find(|d| current.contains(d)) {
                        Some(next) => Position::Before(next.clone()),
                        None => Position::End,
                    },
                    _ => Position::After(desired[i - 1].clone()),
                };
                (v.clone(), pos)
            })
            .collect();
        return EnumPlan::AddValues(adds);
    }
    EnumPlan::Swap {
        removed: current
            .iter()
            .filter(|c| !desired.contains(c))
            .cloned()
            .collect(),
    }
}

/// `ALTER TYPE t ADD VALUE 'v' [BEFORE|AFTER 'w']`.
pub fn add_value_sql(type_sql: &str, value: &str, pos: &Position, if_not_exists: bool) -> String {
    let mut sql = format!(
        "ALTER TYPE {type_sql} ADD VALUE {}{}",
        if if_not_exists { "IF NOT EXISTS " } else { "" },
        literal(value)
    );
    match pos {
        Position::Before(b) => sql.push_str(&format!(" BEFORE {}", literal(b))),
        Position::After(a) => sql.push_str(&format!(" AFTER {}", literal(a))),
        Position::End => {}
    }
    sql
}

/// A column that uses the type (or an array of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnUse {
    /// the table, quoted and qualified as PostgreSQL prints it
    pub table_sql: String,
    pub column: String,
    pub is_array: bool,
    /// the column default's SQL, captured before the swap
    pub default_sql: Option<String>,
}

/// What the swap has to carry over, read from the catalog before it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwapFacts {
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<ColumnUse>,
    /// (table_sql, constraint name, definition)
    pub constraints: Vec<(String, String, String)>,
    /// (index name quoted and qualified, CREATE INDEX statement)
    pub indexes: Vec<(String, String)>,
    pub comment: Option<String>,
}

/// The name the old type takes while the new one is built.
pub fn old_name(name: &str) -> String {
    let base: String = name.chars().take(40).collect();
    format!("{base}__migrate_old")
}

/// The swap's statements.
pub fn swap_sql(f: &SwapFacts, values: &[String], replace: Option<(&str, &str)>) -> Vec<String> {
    let ty = qualified(f.schema.as_deref(), &f.name);
    let old = old_name(&f.name);
    let mut out = Vec::new();
    for (table, name, _) in &f.constraints {
        out.push(format!(
            "ALTER TABLE {table} DROP CONSTRAINT {}",
            ident(name)
        ));
    }
    for (index, _) in &f.indexes {
        out.push(format!("DROP INDEX {index}"));
    }
    for c in f.columns.iter().filter(|c| c.default_sql.is_some()) {
        out.push(format!(
            "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
            c.table_sql,
            ident(&c.column)
        ));
    }
    out.push(format!("ALTER TYPE {ty} RENAME TO {}", ident(&old)));
    let labels: Vec<String> = values.iter().map(|v| literal(v)).collect();
    out.push(format!("CREATE TYPE {ty} AS ENUM ({})", labels.join(", ")));
    // one ALTER TABLE per table, so each table is rewritten once
    let mut tables: Vec<&str> = Vec::new();
    for c in &f.columns {
        if !tables.contains(&c.table_sql.as_str()) {
            tables.push(&c.table_sql);
        }
    }
    for table in tables {
        let actions: Vec<String> = f
            .columns
            .iter()
            .filter(|c| c.table_sql == table)
            .map(|c| {
                let col = ident(&c.column);
                let using = match (c.is_array, replace) {
                    (false, None) => format!("{col}::text::{ty}"),
                    (true, None) => format!("{col}::text[]::{ty}[]"),
                    (false, Some((from, to))) => format!(
                        "(CASE WHEN {col}::text = {} THEN {} ELSE {col}::text END)::{ty}",
                        literal(from),
                        literal(to)
                    ),
                    (true, Some((from, to))) => format!(
                        "pg_catalog.array_replace({col}::text[], {}, {})::{ty}[]",
                        literal(from),
                        literal(to)
                    ),
                };
                let target = if c.is_array {
                    format!("{ty}[]")
                } else {
                    ty.clone()
                };
                format!("ALTER COLUMN {col} TYPE {target} USING {using}")
            })
            .collect();
        out.push(format!("ALTER TABLE {table} {}", actions.join(", ")));
    }
    for c in &f.columns {
        if let Some(d) = &c.default_sql {
            // a default that was the removed value becomes its replacement
            let d = match replace {
                Some((from, to)) => d.replace(
                    &format!("{}::", literal(from)),
                    &format!("{}::", literal(to)),
                ),
                None => d.clone(),
            };
            out.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d}",
                c.table_sql,
                ident(&c.column)
            ));
        }
    }
    for (table, name, def) in &f.constraints {
        out.push(format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {def}",
            ident(name)
        ));
    }
    for (_, create) in &f.indexes {
        out.push(create.clone());
    }
    out.push(format!(
        "DROP TYPE {}",
        qualified(f.schema.as_deref(), &old)
    ));
    if let Some(c) = &f.comment {
        out.push(format!("COMMENT ON TYPE {ty} IS {}", literal(c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn adding_values_is_catalog_only() {
        assert_eq!(
            plan_values(&v(&["a", "b"]), &v(&["a", "b"])),
            EnumPlan::Nothing
        );
        assert_eq!(
            plan_values(&v(&["a", "c"]), &v(&["x", "a", "b", "c", "d"])),
            EnumPlan::AddValues(vec![
                ("x".into(), Position::Before("a".into())),
                ("b".into(), Position::After("a".into())),
                ("d".into(), Position::After("c".into())),
            ])
        );
        assert_eq!(
            plan_values(&v(&[]), &v(&["a"])),
            EnumPlan::AddValues(vec![("a".into(), Position::End)])
        );
    }

    #[test]
    fn removing_or_reordering_swaps() {
        assert_eq!(
            plan_values(&v(&["a", "b", "c"]), &v(&["a", "c"])),
            EnumPlan::Swap { removed: v(&["b"]) }
        );
        assert_eq!(
            plan_values(&v(&["a", "b"]), &v(&["b", "a"])),
            EnumPlan::Swap { removed: vec![] }
        );
    }

    #[test]
    fn the_swap_carries_everything_over_in_order() {
        let f = SwapFacts {
            schema: None,
            name: "mood".into(),
            columns: vec![
                ColumnUse {
                    table_sql: "people".into(),
                    column: "mood".into(),
                    is_array: false,
                    default_sql: Some("'ok'::mood".into()),
                },
                ColumnUse {
                    table_sql: "people".into(),
                    column: "moods".into(),
                    is_array: true,
                    default_sql: None,
                },
            ],
            constraints: vec![("people".into(), "not_sad".into(), "CHECK ((mood <> 'sad'::mood))".into())],
            indexes: vec![(
                "public.happy_idx".into(),
                "CREATE INDEX happy_idx ON public.people USING btree (id) WHERE (mood = 'happy'::mood)".into(),
            )],
            comment: Some("how people feel".into()),
        };
        let sql = swap_sql(&f, &v(&["ok", "happy"]), Some(("meh", "ok")));
        assert_eq!(
            sql,
            vec![
                "ALTER TABLE people DROP CONSTRAINT \"not_sad\"",
                "DROP INDEX public.happy_idx",
                "ALTER TABLE people ALTER COLUMN \"mood\" DROP DEFAULT",
                "ALTER TYPE \"mood\" RENAME TO \"mood__migrate_old\"",
                "CREATE TYPE \"mood\" AS ENUM ('ok', 'happy')",
                "ALTER TABLE people ALTER COLUMN \"mood\" TYPE \"mood\" USING (CASE WHEN \"mood\"::text = 'meh' THEN 'ok' ELSE \"mood\"::text END)::\"mood\", \
                 ALTER COLUMN \"moods\" TYPE \"mood\"[] USING pg_catalog.array_replace(\"moods\"::text[], 'meh', 'ok')::\"mood\"[]",
                "ALTER TABLE people ALTER COLUMN \"mood\" SET DEFAULT 'ok'::mood",
                "ALTER TABLE people ADD CONSTRAINT \"not_sad\" CHECK ((mood <> 'sad'::mood))",
                "CREATE INDEX happy_idx ON public.people USING btree (id) WHERE (mood = 'happy'::mood)",
                "DROP TYPE \"mood__migrate_old\"",
                "COMMENT ON TYPE \"mood\" IS 'how people feel'",
            ]
        );
        assert!(sql.iter().all(|s| !s.to_uppercase().contains("CASCADE")));
    }

    proptest! {
        /// Applying a plan's adds to the current list gives the desired
        /// list; a swap is chosen only when adds cannot do it.
        #[test]
        fn plans_reach_the_desired_values(
            current in proptest::collection::btree_set("[a-e]", 0..5),
            desired in proptest::collection::btree_set("[a-g]", 0..7),
            shuffle in any::<bool>(),
        ) {
            let current: Vec<String> = current.into_iter().collect();
            let mut desired: Vec<String> = desired.into_iter().collect();
            if shuffle { desired.reverse(); }
            match plan_values(&current, &desired) {
                EnumPlan::Nothing => prop_assert_eq!(&current, &desired),
                EnumPlan::AddValues(adds) => {
                    let mut now = current.clone();
                    for (value, pos) in adds {
                        let at = match pos {
                            Position::Before(b) => now.iter().position(|x| *x == b).unwrap(),
                            Position::After(a) => now.iter().position(|x| *x == a).unwrap() + 1,
                            Position::End => now.len(),
                        };
                        now.insert(at, value);
                    }
                    prop_assert_eq!(now, desired);
                }
                EnumPlan::Swap { removed } => {
                    let mut it = desired.iter();
                    let subsequence = current.iter().all(|c| it.any(|d| d == c));
                    prop_assert!(!subsequence);
                    for r in removed { prop_assert!(!desired.contains(&r)); }
                }
            }
        }
    }
}
