//! A schema as plain data, and the differ that turns two of them into ops,
//! in plain Rust (the core of autogenerate).
//!
//! The model holds what the differ understands: enums with their ordered
//! values, tables with columns (type, nullability, default, comment), the
//! primary key, unique, check and foreign-key constraints, and indexes.
//! Types, defaults and expressions are PostgreSQL's own text, read with the
//! schema on the search_path so that both sides print names alike.

use crate::ops::{
    is_serial, AddConstraint, AlterColumn, Column, ConstraintKind, CreateIndex, Identity, Op,
    References, ServerDefault,
};
use crate::quote::{ident, literal, qualified};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    pub enums: BTreeMap<String, Vec<String>>,
    pub tables: BTreeMap<String, Table>,
    /// sequences, domains, functions, triggers, views... by their
    /// `pg_describe_object` text (see `objects`)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub objects: crate::objects::Objects,
    /// objects the differ does not understand (views, domains, ...), so
    /// that they are listed rather than silently ignored
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<ModelColumn>,
    /// constraints by name
    #[serde(default)]
    pub constraints: BTreeMap<String, Constraint>,
    /// indexes that back no constraint, by name
    #[serde(default)]
    pub indexes: BTreeMap<String, Index>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// a partitioned table's key, as `pg_get_partkeydef` prints it
    /// (`RANGE (payment_date)`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_by: Option<String>,
    /// a partition's parent; a partition's columns are its parent's and
    /// are not listed
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<String>,
    /// a partition's bounds (`FOR VALUES FROM (...) TO (...)`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<String>,
    /// a partition's NOT NULL constraints by column (PostgreSQL 18 names
    /// them, and pg_dump prints the names)
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_null_names: BTreeMap<String, String>,
    /// `CREATE UNLOGGED TABLE`
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// storage parameters as `pg_class.reloptions` holds them
    /// (`fillfactor=90`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// How the tables of a schema are partitioned (read apart from the
/// tables, by sql/model_objects.sql).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Partitioning {
    #[serde(default)]
    pub partition_by: Option<String>,
    #[serde(default)]
    pub partition_of: Option<String>,
    #[serde(default)]
    pub bound: Option<String>,
    #[serde(default)]
    pub not_null_names: Option<BTreeMap<String, String>>,
}

/// What sql/model_objects.sql reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Extra {
    #[serde(default)]
    pub objects: crate::objects::Objects,
    #[serde(default)]
    pub partitions: BTreeMap<String, Partitioning>,
}

impl Model {
    /// The model with the objects and partitioning of `extra`; a
    /// partition's columns are its parent's, compared there.
    pub fn with(mut self, extra: Extra) -> Model {
        self.objects = extra.objects;
        for (name, p) in extra.partitions {
            if let Some(t) = self.tables.get_mut(&name) {
                if p.partition_of.is_some() {
                    t.columns.clear();
                }
                t.partition_by = p.partition_by;
                t.partition_of = p.partition_of;
                t.bound = p.bound;
                t.not_null_names = p.not_null_names.unwrap_or_default();
            }
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelColumn {
    pub name: String,
    /// the type as `format_type` prints it; `serial`/`bigserial`/
    /// `smallserial` for an integer column whose default takes the next
    /// value of a sequence the column owns under PostgreSQL's name for it
    #[serde(rename = "type")]
    pub type_name: String,
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// the expression of a stored generated column
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub kind: ConstraintKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<References>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    #[serde(default)]
    pub deferrable: bool,
    #[serde(default)]
    pub initially_deferred: bool,
    /// PostgreSQL's definition (`pg_get_constraintdef`), kept only when the
    /// constraint has more than the fields above say (NOT VALID, NO INHERIT,
    /// MATCH FULL, INCLUDE, NULLS NOT DISTINCT...); it is then created from
    /// this text
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// key columns (plain names) and expressions, in order; an expression
    /// is kept in parentheses
    pub keys: Vec<String>,
    pub unique: bool,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// PostgreSQL's `CREATE INDEX` statement (`pg_get_indexdef`), kept only
    /// when the index has more than the fields above say (DESC, NULLS
    /// FIRST/LAST, operator classes, collations, INCLUDE, NULLS NOT
    /// DISTINCT); it is then created from this text
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

/// The ops of a diff, by phase, in the order they run.
#[derive(Default)]
struct Phases {
    /// objects (views, triggers, ...) that use tables and go or are rebuilt
    drop_late: Vec<Op>,
    create_types: Vec<Op>,
    /// sequences, domains, functions... that tables may use
    create_early: Vec<Op>,
    create_tables: Vec<Op>,
    /// with their depth in the partition tree: parents first
    create_partitions: Vec<(usize, Op)>,
    add_columns: Vec<Op>,
    drop_fks: Vec<Op>,
    drop_other: Vec<Op>,
    drop_recreated: Vec<Op>,
    alter_columns: Vec<Op>,
    add_recreated: Vec<Op>,
    add_other: Vec<Op>,
    add_fks: Vec<Op>,
    drop_columns: Vec<Op>,
    /// with their depth: partitions before their parents
    drop_partitions: Vec<(usize, Op)>,
    drop_tables: Vec<Op>,
    shrink_types: Vec<Op>,
    /// objects that use tables, once tables and enums are done
    create_late: Vec<Op>,
    drop_early: Vec<Op>,
    drop_types: Vec<Op>,
    /// constraints pushed already, and tables whose primary key, unique
    /// constraints or unique indexes go or change: the foreign keys that
    /// reference them must be dropped first and added back after
    handled: BTreeSet<(String, String)>,
    rekeyed: BTreeSet<String>,
}

impl Phases {
    fn concat(mut self) -> Vec<Op> {
        self.create_partitions.sort_by_key(|(d, _)| *d);
        self.drop_partitions
            .sort_by_key(|(d, _)| std::cmp::Reverse(*d));
        let create_partitions = self.create_partitions.into_iter().map(|(_, o)| o).collect();
        let drop_partitions = self.drop_partitions.into_iter().map(|(_, o)| o).collect();
        [
            self.drop_late,
            self.create_types,
            self.create_early,
            self.create_tables,
            create_partitions,
            self.add_columns,
            self.drop_fks,
            self.drop_other,
            self.drop_recreated,
            self.alter_columns,
            self.add_recreated,
            self.add_other,
            self.add_fks,
            self.drop_columns,
            drop_partitions,
            self.drop_tables,
            self.shrink_types,
            self.create_late,
            self.drop_early,
            self.drop_types,
        ]
        .concat()
    }
}

/// The ops that turn `from` into `to`, both models of `schema`, in an
/// order that works: views, triggers and other objects that use tables
/// dropped first; types, added enum values, sequences, domains and
/// functions before the columns that use them; constraints and indexes
/// dropped before columns change (a primary key before its NOT NULL goes)
/// and added after; tables before their partitions and before the foreign
/// keys that reference them; foreign keys dropped before their tables;
/// objects that use tables created once the tables are done; columns and
/// tables dropped before enum values are removed and before their types
/// and the objects they use are dropped. The downgrade is
/// `diff(to, from, schema)`.
pub fn diff(from: &Model, to: &Model, schema: &str) -> Vec<Op> {
    let mut p = Phases::default();
    diff_enums(&mut p, from, to, schema);
    for (tname, t) in &to.tables {
        diff_table(&mut p, schema, tname, t, from, to);
    }
    for (tname, old) in &from.tables {
        dropped_keys(&mut p, schema, tname, old, to.tables.get(tname), from);
    }
    rekeyed_references(&mut p, from, to, schema);
    let plan = crate::objects::plan(&from.objects, &to.objects, &touched(from, to));
    p.drop_late = plan.drop_late;
    p.create_early = plan.create_early;
    p.create_late = plan.create_late;
    p.drop_early = plan.drop_early;
    p.concat()
}

/// The table, column and enum keys (see `objects`) whose users must be
/// dropped and created again: tables that go, columns that go, change type
/// or generation expression, enums that lose or reorder values (the type
/// is swapped) and the columns of those types.
fn touched(from: &Model, to: &Model) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let swapped: Vec<&String> = from
        .enums
        .iter()
        .filter(|(name, old)| {
            to.enums
                .get(*name)
                .is_some_and(|new| new != *old && !is_subsequence(old, new))
        })
        .map(|(name, _)| name)
        .collect();
    for name in &swapped {
        out.insert(format!("enum:{name}"));
    }
    for (tname, old) in &from.tables {
        let Some(new) = to.tables.get(tname) else {
            out.insert(format!("table:{tname}"));
            continue;
        };
        for c in &old.columns {
            let same = new.columns.iter().any(|n| {
                n.name == c.name
                    && serial_base(&n.type_name) == serial_base(&c.type_name)
                    && n.generated == c.generated
            }) && !swapped.iter().any(|e| mentions(&c.type_name, e));
            if !same {
                out.insert(format!("column:{tname}:{}", c.name));
            }
        }
    }
    out
}

fn diff_enums(p: &mut Phases, from: &Model, to: &Model, schema: &str) {
    for (name, values) in &to.enums {
        match from.enums.get(name) {
            None => p.create_types.push(Op::CreateEnum {
                schema: Some(schema.to_string()),
                name: name.clone(),
                values: values.clone(),
            }),
            // values only added: before the columns that may use them;
            // values removed: after the columns and tables that go
            Some(old) if old != values => {
                let (early, late) = enum_change(schema, name, old, values);
                p.create_types.extend(early);
                p.shrink_types.extend(late);
            }
            Some(_) => {}
        }
    }
    for name in from.enums.keys().filter(|n| !to.enums.contains_key(*n)) {
        p.drop_types.push(Op::DropEnum {
            schema: Some(schema.to_string()),
            name: name.clone(),
        });
    }
}

/// How deep in a partition tree table `name` of `model` is (0: not a
/// partition), so that parents are created first and dropped last.
fn depth(model: &Model, name: &str) -> usize {
    let mut n = 0;
    let mut at = name;
    while let Some(parent) = model.tables.get(at).and_then(|t| t.partition_of.as_deref()) {
        n += 1;
        at = parent;
        if n > model.tables.len() {
            break;
        }
    }
    n
}

/// A new table: `create_table`, or PostgreSQL's own statement for a
/// partitioned table or a partition.
fn create_table(p: &mut Phases, schema: &str, tname: &str, t: &Table, from: &Model, to: &Model) {
    let table = qualified(Some(schema), tname);
    let by = t
        .partition_by
        .as_ref()
        .map(|b| format!(" PARTITION BY {b}"))
        .unwrap_or_default();
    if let (Some(parent), Some(bound)) = (&t.partition_of, &t.bound) {
        let d = depth(to, tname);
        let parent_sql = qualified(Some(schema), parent);
        // as pg_dump restores one: a table of the parent's columns, then
        // attached (so that, on PostgreSQL 18, its NOT NULL constraints
        // carry their own names); a parent with an identity or a serial
        // column is partitioned with PARTITION OF
        let columns = parent_now(from, to, parent);
        let plain = |c: &[ModelColumn]| {
            !c.is_empty()
                && c.iter()
                    .all(|c| c.identity.is_none() && !is_serial(&c.type_name))
        };
        match Some(columns.as_slice()).filter(|c| plain(c)) {
            Some(columns) => {
                let defs: Vec<String> = columns
                    .iter()
                    .map(|c| partition_column_sql(c, t.not_null_names.get(&c.name)))
                    .collect();
                let create = format!("CREATE TABLE {table} ({}){by}", defs.join(", "));
                let attach = format!("ALTER TABLE {parent_sql} ATTACH PARTITION {table} {bound}");
                p.create_partitions.push((d, execute(create)));
                p.create_partitions.push((d, execute(attach)));
            }
            None => p.create_partitions.push((
                d,
                execute(format!(
                    "CREATE TABLE {table} PARTITION OF {parent_sql} {bound}{by}"
                )),
            )),
        }
        let ops = storage(&table, &Table::default(), t);
        p.create_partitions.extend(ops.into_iter().map(|o| (d, o)));
        return;
    }
    if t.partition_by.is_some() {
        let columns: Vec<String> = t.columns.iter().map(column_sql).collect();
        p.create_tables.push(execute(format!(
            "CREATE TABLE {table} ({}){by}",
            columns.join(", ")
        )));
    } else {
        p.create_tables.push(Op::CreateTable {
            schema: Some(schema.to_string()),
            name: tname.to_string(),
            columns: t.columns.iter().map(op_column).collect(),
            primary_key: vec![],
            if_not_exists: false,
        });
    }
    // before any foreign key names it (an unlogged table may reference a
    // permanent one, not the other way round)
    p.create_tables
        .extend(storage(&table, &Table::default(), t));
    p.alter_columns.extend(
        t.columns
            .iter()
            .filter(|c| c.comment.is_some())
            .map(|c| comment_column(schema, tname, c)),
    );
}

/// Tables of both models whose partitioning changes: another partition
/// key, partitioned or not any more, or another parent. The differ does
/// not turn one into the other (PostgreSQL cannot alter a partition key;
/// the rows would have to move), so autogenerate refuses them.
pub fn partitioning_changes(from: &Model, to: &Model) -> Vec<String> {
    let shown = |v: &Option<String>, what: &str| match v {
        Some(v) => format!("{what} {v}"),
        None => format!("no {what}"),
    };
    from.tables
        .iter()
        .filter_map(|(name, old)| {
            let new = to.tables.get(name)?;
            if old.partition_by != new.partition_by {
                Some(format!(
                    "table {}: {} becomes {}",
                    ident(name),
                    shown(&old.partition_by, "PARTITION BY"),
                    shown(&new.partition_by, "PARTITION BY")
                ))
            } else if old.partition_of != new.partition_of {
                Some(format!(
                    "table {}: {} becomes {}",
                    ident(name),
                    shown(&old.partition_of.as_ref().map(|p| ident(p)), "partition of"),
                    shown(&new.partition_of.as_ref().map(|p| ident(p)), "partition of")
                ))
            } else {
                None
            }
        })
        .collect()
}

/// What turns table `table` stored as `old` into one stored as `new`:
/// `SET UNLOGGED`/`SET LOGGED`, and the storage parameters that go
/// (`RESET`) or change (`SET`).
fn storage(table: &str, old: &Table, new: &Table) -> Vec<Op> {
    let mut ops = Vec::new();
    if old.unlogged != new.unlogged {
        let how = if new.unlogged { "UNLOGGED" } else { "LOGGED" };
        ops.push(execute(format!("ALTER TABLE {table} SET {how}")));
    }
    let split = |o: &String| -> (String, String) {
        match o.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (o.clone(), String::new()),
        }
    };
    let before: BTreeMap<String, String> = old.options.iter().map(split).collect();
    let after: BTreeMap<String, String> = new.options.iter().map(split).collect();
    let gone: Vec<String> = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(|k| ident(k))
        .collect();
    if !gone.is_empty() {
        ops.push(execute(format!(
            "ALTER TABLE {table} RESET ({})",
            gone.join(", ")
        )));
    }
    let set: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| format!("{} = {}", ident(k), literal(v)))
        .collect();
    if !set.is_empty() {
        ops.push(execute(format!(
            "ALTER TABLE {table} SET ({})",
            set.join(", ")
        )));
    }
    ops
}

/// The columns table `parent` has when new partitions are created (before
/// columns are added, changed or dropped, which the partitions follow):
/// its old ones, or a new table's.
fn parent_now(from: &Model, to: &Model, parent: &str) -> Vec<ModelColumn> {
    from.tables
        .get(parent)
        .or_else(|| to.tables.get(parent))
        .map(|t| t.columns.clone())
        .unwrap_or_default()
}

/// A partition's column: its parent's, with the name of its NOT NULL
/// constraint when it has one of its own.
fn partition_column_sql(c: &ModelColumn, not_null: Option<&String>) -> String {
    let mut c = c.clone();
    let named = not_null.filter(|_| !c.nullable);
    if named.is_some() {
        c.nullable = true;
    }
    let mut out = column_sql(&c);
    if let Some(n) = named {
        out.push_str(&format!(" CONSTRAINT {} NOT NULL", ident(n)));
    }
    out
}

/// A column as `CREATE TABLE` writes it (for a partitioned table, which
/// `create_table` cannot make).
fn column_sql(c: &ModelColumn) -> String {
    crate::render::column_sql(&op_column(c))
}

/// Table `tname` as `to` has it (`t`), against `old` (None: a new table):
/// its columns, comment, partition bound, constraints and indexes.
fn diff_table(p: &mut Phases, schema: &str, tname: &str, t: &Table, from: &Model, to: &Model) {
    let old = from.tables.get(tname);
    let empty = Table::default();
    let recreated = match old {
        None => {
            create_table(p, schema, tname, t, from, to);
            Vec::new()
        }
        Some(old) => diff_columns(p, schema, tname, t, old),
    };
    let table = qualified(Some(schema), tname);
    if let Some(old) = old {
        p.alter_columns.extend(storage(&table, old, t));
    }
    let old = old.unwrap_or(&empty);
    if t.comment != old.comment {
        p.alter_columns.push(execute(format!(
            "COMMENT ON TABLE {table} IS {}",
            t.comment.as_deref().map(literal).unwrap_or("NULL".into())
        )));
    }
    // a partition moved to other bounds keeps its rows: detached and
    // attached again
    if let (Some(parent), Some(a), Some(b)) = (&t.partition_of, &old.bound, &t.bound) {
        if a != b && old.partition_of.as_ref() == Some(parent) {
            let parent = qualified(Some(schema), parent);
            p.alter_columns.push(execute(format!(
                "ALTER TABLE {parent} DETACH PARTITION {table}"
            )));
            p.alter_columns.push(execute(format!(
                "ALTER TABLE {parent} ATTACH PARTITION {table} {b}"
            )));
        }
    }
    diff_keys(p, schema, tname, t, old, &recreated);
}

/// The columns of a table in both models; returns the columns dropped
/// and added again (a changed generation expression).
fn diff_columns(p: &mut Phases, schema: &str, tname: &str, t: &Table, old: &Table) -> Vec<String> {
    let sc = || Some(schema.to_string());
    let mut recreated = Vec::new();
    for c in &t.columns {
        match old.columns.iter().find(|o| o.name == c.name) {
            None => {
                p.add_columns.push(Op::AddColumn {
                    schema: sc(),
                    table: tname.to_string(),
                    column: op_column(c),
                });
                if c.comment.is_some() {
                    p.alter_columns.push(comment_column(schema, tname, c));
                }
            }
            // a generation expression cannot be changed in place: drop it
            // once what mentions it is dropped, before other columns
            // change (it may use them), and add it after they have
            Some(o) if o.generated != c.generated => {
                p.drop_recreated.push(Op::DropColumn {
                    schema: sc(),
                    table: tname.to_string(),
                    column: o.name.clone(),
                });
                p.add_recreated.push(Op::AddColumn {
                    schema: sc(),
                    table: tname.to_string(),
                    column: op_column(c),
                });
                if c.comment.is_some() {
                    p.add_recreated.push(comment_column(schema, tname, c));
                }
                recreated.push(c.name.clone());
            }
            Some(o) if o != c => p.alter_columns.extend(alter(schema, tname, o, c)),
            Some(_) => {}
        }
    }
    for o in old
        .columns
        .iter()
        .filter(|o| !t.columns.iter().any(|c| c.name == o.name))
    {
        p.drop_columns.push(Op::DropColumn {
            schema: sc(),
            table: tname.to_string(),
            column: o.name.clone(),
        });
    }
    recreated
}

/// The constraints and indexes of table `tname` that are new or change
/// (or mention a `recreated` column).
fn diff_keys(
    p: &mut Phases,
    schema: &str,
    tname: &str,
    t: &Table,
    old: &Table,
    recreated: &[String],
) {
    // whether a constraint or index mentions a recreated column: by
    // name, or as an identifier in its expressions
    let touched = |names: &[String], texts: &[Option<&String>]| {
        recreated
            .iter()
            .any(|c| names.iter().any(|n| n == c) || texts.iter().flatten().any(|t| mentions(t, c)))
    };
    for (cname, k) in &t.constraints {
        let texts = [k.expression.as_ref(), k.definition.as_ref()];
        if old.constraints.get(cname) == Some(k) && !touched(&k.columns, &texts) {
            continue;
        }
        p.handled.insert((tname.to_string(), cname.clone()));
        if let Some(prev) = old.constraints.get(cname) {
            let drop = drop_constraint(schema, tname, cname);
            if prev.kind == ConstraintKind::ForeignKey {
                p.drop_fks.push(drop)
            } else {
                if prev.kind != ConstraintKind::Check {
                    p.rekeyed.insert(tname.to_string());
                }
                p.drop_other.push(drop)
            }
        }
        let add = add_constraint(schema, tname, cname, k);
        if k.kind == ConstraintKind::ForeignKey {
            p.add_fks.push(add)
        } else {
            p.add_other.push(add)
        }
    }
    for (iname, i) in &t.indexes {
        let texts = [i.predicate.as_ref(), i.definition.as_ref()];
        if old.indexes.get(iname) == Some(i)
            && !touched(&i.keys, &texts)
            && !i
                .keys
                .iter()
                .any(|k| recreated.iter().any(|c| mentions(k, c)))
        {
            continue;
        }
        if let Some(prev) = old.indexes.get(iname) {
            if prev.unique {
                p.rekeyed.insert(tname.to_string());
            }
            p.drop_other.push(drop_index(schema, iname));
        }
        p.add_other.push(create_index(schema, tname, iname, i));
    }
}

fn drop_index(schema: &str, name: &str) -> Op {
    Op::DropIndex {
        schema: Some(schema.to_string()),
        name: name.to_string(),
        concurrently: false,
    }
}

/// What table `tname` of `from` (`old`) loses: constraints and indexes,
/// or the whole table (`new` None).
fn dropped_keys(
    p: &mut Phases,
    schema: &str,
    tname: &str,
    old: &Table,
    new: Option<&Table>,
    from: &Model,
) {
    let empty = Table::default();
    let gone = new.is_none();
    let new = new.unwrap_or(&empty);
    for (cname, k) in &old.constraints {
        if !new.constraints.contains_key(cname) {
            if k.kind == ConstraintKind::ForeignKey {
                p.drop_fks.push(drop_constraint(schema, tname, cname));
            } else if !gone {
                if k.kind != ConstraintKind::Check {
                    p.rekeyed.insert(tname.to_string());
                }
                p.drop_other.push(drop_constraint(schema, tname, cname));
            }
        }
    }
    if !gone {
        for (iname, i) in old
            .indexes
            .iter()
            .filter(|(i, _)| !new.indexes.contains_key(*i))
        {
            if i.unique {
                p.rekeyed.insert(tname.to_string());
            }
            p.drop_other.push(drop_index(schema, iname));
        }
        return;
    }
    let drop = Op::DropTable {
        schema: Some(schema.to_string()),
        name: tname.to_string(),
    };
    if old.partition_of.is_some() {
        p.drop_partitions.push((depth(from, tname), drop));
    } else {
        p.drop_tables.push(drop);
    }
}

/// Foreign keys that stay but reference a key that goes or changes: dropped
/// before it and added back after.
fn rekeyed_references(p: &mut Phases, from: &Model, to: &Model, schema: &str) {
    for (tname, t) in &to.tables {
        let Some(old) = from.tables.get(tname) else {
            continue;
        };
        for (cname, k) in &t.constraints {
            let referenced = k.references.as_ref().is_some_and(|r| {
                r.schema.as_deref().is_none_or(|s| s == schema) && p.rekeyed.contains(&r.table)
            });
            if referenced
                && old.constraints.contains_key(cname)
                && !p.handled.contains(&(tname.clone(), cname.clone()))
            {
                p.drop_fks.push(drop_constraint(schema, tname, cname));
                p.add_fks.push(add_constraint(schema, tname, cname, k));
            }
        }
    }
}

/// `model` with every reference to schema `from` turned into `to`:
/// foreign keys' schemas, and `from.` in types, defaults, expressions and
/// definitions, which become `printed.` (`to` as PostgreSQL prints it in a
/// qualified name, quoted when it needs to be; `from` must be a plain
/// lower-case name, which PostgreSQL prints bare).
pub fn rename_schema(
    model: Model,
    from: &str,
    to: &str,
    printed: &str,
) -> crate::error::Result<Model> {
    fn walk(v: &mut serde_json::Value, from: &str, to: &str, prefix: &str, with: &str) {
        match v {
            serde_json::Value::String(s) if s == from => *s = to.to_string(),
            serde_json::Value::String(s) => *s = s.replace(prefix, with),
            serde_json::Value::Array(a) => {
                a.iter_mut().for_each(|x| walk(x, from, to, prefix, with))
            }
            serde_json::Value::Object(o) => {
                o.values_mut().for_each(|x| walk(x, from, to, prefix, with))
            }
            _ => {}
        }
    }
    let failed = |e: serde_json::Error| {
        crate::error::MigrateError::new(
            crate::error::code::INTERNAL,
            format!("the model of schema {to} could not be renamed: {e}"),
        )
    };
    let mut v = serde_json::to_value(&model).map_err(failed)?;
    walk(
        &mut v,
        from,
        to,
        &format!("{from}."),
        &format!("{printed}."),
    );
    serde_json::from_value(v).map_err(failed)
}

/// The enum ops that turn values `old` into `new`, as (ops to run before
/// the columns change, ops to run after): `add_enum_value` for each value
/// when values are only added (old order kept), `drop_enum_value` when one
/// value goes, `set_enum_values` otherwise.
fn enum_change(schema: &str, name: &str, old: &[String], new: &[String]) -> (Vec<Op>, Vec<Op>) {
    let sc = || Some(schema.to_string());
    if is_subsequence(old, new) && !old.is_empty() {
        let adds = new
            .iter()
            .enumerate()
            .filter(|(_, v)| !old.contains(v))
            .map(|(i, v)| Op::AddEnumValue {
                schema: sc(),
                name: name.to_string(),
                value: v.clone(),
                // the value before it is there by now (old, or added just
                // before); the first value goes before the old first
                before: (i == 0).then(|| old[0].clone()),
                after: i.checked_sub(1).map(|p| new[p].clone()),
                if_not_exists: false,
            })
            .collect();
        return (adds, vec![]);
    }
    if is_subsequence(new, old) && old.len() == new.len() + 1 {
        let gone = old
            .iter()
            .find(|v| !new.contains(v))
            .cloned()
            .unwrap_or_default();
        return (
            vec![],
            vec![Op::DropEnumValue {
                schema: sc(),
                name: name.to_string(),
                value: gone,
                replace_with: None,
            }],
        );
    }
    let set = Op::SetEnumValues {
        schema: sc(),
        name: name.to_string(),
        values: new.to_vec(),
    };
    if old.iter().all(|v| new.contains(v)) {
        return (vec![set], vec![]);
    }
    // values go (late, after the columns that held them) and others come:
    // the new ones are added early, for the columns that use them
    let mut now = old.to_vec();
    let mut adds = Vec::new();
    for (i, v) in new.iter().enumerate().filter(|(_, v)| !old.contains(v)) {
        let after = new[..i].iter().rev().find(|p| now.contains(p)).cloned();
        let at = after
            .as_ref()
            .and_then(|a| now.iter().position(|x| x == a))
            .map_or(0, |p| p + 1);
        adds.push(Op::AddEnumValue {
            schema: sc(),
            name: name.to_string(),
            value: v.clone(),
            before: after.is_none().then(|| now[0].clone()),
            after,
            if_not_exists: false,
        });
        now.insert(at, v.clone());
    }
    (adds, vec![set])
}

/// Whether SQL `text` mentions column `name` as an identifier: bare (not
/// inside a longer word) or double-quoted.
fn mentions(text: &str, name: &str) -> bool {
    let quoted = ident(name);
    if text.contains(&quoted) {
        return true;
    }
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// The objects of `to.other` that `from.other` lacks (so the differ's ops
/// do not create them, and they are not there when the ops run) and that
/// an op of `ops` uses by name: in a column's type or default, a check, an
/// index, an expression. Each as (index of the first op using it, the
/// object as `other` describes it). Comments are text, not uses.
pub fn uses_missing(ops: &[Op], from: &Model, to: &Model) -> Vec<(usize, String)> {
    let missing: Vec<(&String, String, bool)> = to
        .other
        .iter()
        .filter(|o| !from.other.contains(o))
        .filter_map(|o| referable(o).map(|(name, call)| (o, name, call)))
        .collect();
    let texts: Vec<Vec<String>> = ops.iter().map(used_texts).collect();
    let mut found = Vec::new();
    for (object, name, call) in missing {
        let first = texts
            .iter()
            .position(|t| t.iter().any(|text| names(text, &name, call)));
        if let Some(i) = first {
            found.push((i, object.clone()));
        }
    }
    found.sort();
    found
}

/// The qualified name of an `other` entry that an expression or a type can
/// name (`sequence public.s` → `public.s`), and whether it is called (a
/// function: `function public.f(integer)` → `public.f`, followed by `(`).
fn referable(description: &str) -> Option<(String, bool)> {
    const NAMED: [&str; 7] = [
        "sequence ",
        "type ",
        "composite type ",
        "view ",
        "materialized view ",
        "table ",
        "foreign table ",
    ];
    for kind in ["function ", "procedure ", "aggregate "] {
        if let Some(rest) = description.strip_prefix(kind) {
            return rest.split('(').next().map(|n| (n.to_string(), true));
        }
    }
    NAMED
        .iter()
        .find_map(|kind| description.strip_prefix(kind))
        .map(|n| (n.to_string(), false))
}

/// The text an op runs with, but not its comments.
fn used_texts(op: &Op) -> Vec<String> {
    if let Op::Execute { sql, .. } = op {
        if sql
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("COMMENT ON")
        {
            return Vec::new();
        }
    }
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(m) => m
                .iter()
                .filter(|(k, _)| k.as_str() != "comment")
                .for_each(|(_, x)| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(op).unwrap_or_default(), &mut out);
    out
}

/// Whether `text` names the qualified `name` (not as part of a longer
/// name), followed by `(` when `call`.
fn names(text: &str, name: &str, call: bool) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '.' || c == '"';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(word)
            && if call {
                after == Some('(')
            } else {
                !after.is_some_and(word)
            }
    })
}

/// Whether `small` appears in `big` in the same order.
fn is_subsequence(small: &[String], big: &[String]) -> bool {
    let mut rest = big.iter();
    small.iter().all(|s| rest.any(|b| b == s))
}

/// Ops that lose data when they run.
pub fn destructive(op: &Op) -> bool {
    matches!(
        op,
        Op::DropTable { .. }
            | Op::DropColumn { .. }
            | Op::DropEnum { .. }
            | Op::DropEnumValue { .. }
            | Op::SetEnumValues { .. }
    ) || matches!(
        op,
        Op::AlterColumn(AlterColumn {
            type_name: Some(_),
            ..
        })
    )
}

fn execute(sql: String) -> Op {
    Op::Execute { sql, down: None }
}

fn default_of(d: &Option<String>) -> Option<ServerDefault> {
    d.as_ref().map(|s| ServerDefault::Sql(s.clone()))
}

fn op_column(c: &ModelColumn) -> Column {
    Column {
        name: c.name.clone(),
        type_name: c.type_name.clone(),
        nullable: c.nullable,
        server_default: default_of(&c.default),
        identity: c.identity,
        generated: c.generated.clone(),
    }
}

fn comment_column(schema: &str, table: &str, c: &ModelColumn) -> Op {
    Op::AlterColumn(AlterColumn {
        comment: Some(c.comment.clone()),
        ..AlterColumn::on(Some(schema), table, &c.name)
    })
}

/// The ops that change column `old` into `new` (same name, same
/// generation expression): identity first, then one alter_column.
fn alter(schema: &str, table: &str, old: &ModelColumn, new: &ModelColumn) -> Vec<Op> {
    let mut ops = Vec::new();
    let column = format!(
        "ALTER TABLE {} ALTER COLUMN {}",
        qualified(Some(schema), table),
        ident(&new.name)
    );
    let how = |i: Identity| match i {
        Identity::Always => "ALWAYS",
        Identity::ByDefault => "BY DEFAULT",
    };
    // serial is an integer type with a sequence the column owns: becoming
    // serial creates the sequence and its default, leaving serial drops them
    let (old_base, new_base) = (serial_base(&old.type_name), serial_base(&new.type_name));
    let to_serial = is_serial(&new.type_name) && !is_serial(&old.type_name);
    let from_serial = is_serial(&old.type_name) && !is_serial(&new.type_name);
    let sequence = qualified(Some(schema), &format!("{table}_{}_seq", new.name));
    let type_name = (old_base != new_base).then(|| new_base.to_string());
    match (old.identity, new.identity) {
        (Some(_), None) => ops.push(execute(format!("{column} DROP IDENTITY"))),
        (Some(a), Some(b)) if a != b => {
            ops.push(execute(format!("{column} SET GENERATED {}", how(b))))
        }
        _ => {}
    }
    if to_serial {
        ops.push(execute(format!(
            "CREATE SEQUENCE {sequence} AS {new_base} OWNED BY {}.{}",
            qualified(Some(schema), table),
            ident(&new.name)
        )));
    }
    // PostgreSQL casts the old default to the new type, which fails for
    // text -> enum: drop it first, set the new one with the type
    let retype_default = type_name.is_some() && old.default.is_some();
    if retype_default {
        ops.push(Op::AlterColumn(AlterColumn {
            server_default: Some(None),
            ..AlterColumn::on(Some(schema), table, &new.name)
        }));
    }
    let server_default = if to_serial {
        Some(Some(ServerDefault::Sql(format!(
            "nextval({}::regclass)",
            literal(&sequence)
        ))))
    } else if retype_default {
        new.default.is_some().then(|| default_of(&new.default))
    } else {
        (from_serial || old.default != new.default).then(|| default_of(&new.default))
    };
    let changed = AlterColumn {
        schema: Some(schema.to_string()),
        table: table.to_string(),
        column: new.name.clone(),
        using: type_name
            .as_ref()
            .map(|t| format!("{}::{t}", ident(&new.name))),
        type_name,
        nullable: (old.nullable != new.nullable).then_some(new.nullable),
        server_default,
        comment: (old.comment != new.comment).then(|| new.comment.clone()),
    };
    if !changed.is_empty() {
        ops.push(Op::AlterColumn(changed));
    }
    // a new sequence for a column that already holds values starts past
    // them, so that the next row does not collide
    let start_past = |sequence: String| {
        execute(format!(
            "SELECT pg_catalog.setval({sequence}, COALESCE(pg_catalog.max({col}), 0) + 1, false) FROM {tbl}",
            col = ident(&new.name),
            tbl = qualified(Some(schema), table),
        ))
    };
    if is_serial(&old.type_name) && is_serial(&new.type_name) && old_base != new_base {
        ops.push(execute(format!("ALTER SEQUENCE {sequence} AS {new_base}")));
    }
    if to_serial {
        ops.push(start_past(format!(
            "{}::pg_catalog.regclass",
            literal(&sequence)
        )));
    }
    if from_serial {
        ops.push(execute(format!("DROP SEQUENCE {sequence}")));
    }
    if let (None, Some(b)) = (old.identity, new.identity) {
        ops.push(execute(format!(
            "{column} ADD GENERATED {} AS IDENTITY",
            how(b)
        )));
        ops.push(start_past(format!(
            "pg_catalog.pg_get_serial_sequence({}, {})",
            literal(&qualified(Some(schema), table)),
            literal(&new.name)
        )));
    }
    ops
}

/// The integer type behind a serial pseudo-type; any other type itself.
fn serial_base(t: &str) -> &str {
    match t.trim().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => "integer",
        "bigserial" | "serial8" => "bigint",
        "smallserial" | "serial2" => "smallint",
        _ => t,
    }
}

fn drop_constraint(schema: &str, table: &str, name: &str) -> Op {
    Op::DropConstraint {
        schema: Some(schema.to_string()),
        table: table.to_string(),
        name: name.to_string(),
    }
}

fn add_constraint(schema: &str, table: &str, name: &str, k: &Constraint) -> Op {
    if let Some(def) = &k.definition {
        return execute(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {def}",
            qualified(Some(schema), table),
            ident(name)
        ));
    }
    Op::AddConstraint(AddConstraint {
        schema: Some(schema.to_string()),
        table: table.to_string(),
        name: name.to_string(),
        kind: k.kind,
        columns: k.columns.clone(),
        expression: k.expression.clone(),
        references: k.references.clone(),
        on_delete: k.on_delete.clone(),
        on_update: k.on_update.clone(),
        deferrable: k.deferrable,
        initially_deferred: k.initially_deferred,
        not_valid: false,
    })
}

fn create_index(schema: &str, table: &str, name: &str, i: &Index) -> Op {
    if let Some(def) = &i.definition {
        return execute(def.clone());
    }
    // keys are plain column names or parenthesized expressions; an
    // expression index puts every key in `expressions` to keep the order
    let plain = i.keys.iter().all(|k| !k.starts_with('('));
    let (columns, expressions) = if plain {
        (i.keys.clone(), vec![])
    } else {
        (
            vec![],
            i.keys
                .iter()
                .map(|k| {
                    k.strip_prefix('(')
                        .and_then(|k| k.strip_suffix(')'))
                        .map(str::to_string)
                        .unwrap_or_else(|| ident(k))
                })
                .collect(),
        )
    };
    Op::CreateIndex(CreateIndex {
        schema: Some(schema.to_string()),
        name: name.to_string(),
        table: table.to_string(),
        columns,
        expressions,
        unique: i.unique,
        where_: i.predicate.clone(),
        method: Some(i.method.clone()),
        concurrently: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> ModelColumn {
        ModelColumn {
            name: name.into(),
            type_name: ty.into(),
            nullable: true,
            default: None,
            identity: None,
            generated: None,
            comment: None,
        }
    }

    /// sql/model.sql writes columns, constraints and indexes as json
    /// arrays, their fields in the structs' order (cheaper to build than
    /// objects); serde reads a struct from either form, and the model
    /// returned by `migrate.model()` is written back with field names.
    #[test]
    fn the_catalog_reader_writes_fields_in_order() {
        let c: ModelColumn =
            serde_json::from_str(r#"["id", "serial", false, null, "by default", null, "the key"]"#)
                .unwrap();
        assert_eq!(c.name, "id");
        assert_eq!(c.type_name, "serial");
        assert!(!c.nullable);
        assert_eq!(c.identity, Some(Identity::ByDefault));
        assert_eq!(c.comment.as_deref(), Some("the key"));
        let k: Constraint = serde_json::from_str(
            r#"["foreign_key", ["a_id"], null,
                {"schema": "public", "table": "a", "columns": ["id"]},
                "cascade", null, true, false, null]"#,
        )
        .unwrap();
        assert_eq!(k.kind, ConstraintKind::ForeignKey);
        assert_eq!(k.columns, ["a_id"]);
        assert_eq!(k.on_delete.as_deref(), Some("cascade"));
        assert!(k.deferrable && !k.initially_deferred);
        assert_eq!(k.references.map(|r| r.table), Some("a".to_string()));
        let i: Index =
            serde_json::from_str(r#"[["name", "(lower(code))"], true, "btree", "(x > 0)", null]"#)
                .unwrap();
        assert_eq!(i.keys, ["name", "(lower(code))"]);
        assert!(i.unique);
        assert_eq!(i.method, "btree");
        assert_eq!(i.predicate.as_deref(), Some("(x > 0)"));
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["type"], "serial");
        assert_eq!(back["identity"], "by default");
    }

    /// A partition key that changes is reported, not diffed.
    #[test]
    fn partitioning_changes_are_reported() {
        let t = |by: Option<&str>| Table {
            columns: vec![col("id", "integer")],
            partition_by: by.map(String::from),
            ..Table::default()
        };
        let model = |t: Table| Model {
            tables: BTreeMap::from([("q".to_string(), t)]),
            ..Model::default()
        };
        let a = model(t(Some("RANGE (id)")));
        assert!(partitioning_changes(&a, &a).is_empty());
        assert_eq!(
            partitioning_changes(&a, &model(t(Some("LIST (id)")))),
            ["table \"q\": PARTITION BY RANGE (id) becomes PARTITION BY LIST (id)"]
        );
        assert_eq!(
            partitioning_changes(&model(t(None)), &a),
            ["table \"q\": no PARTITION BY becomes PARTITION BY RANGE (id)"]
        );
    }

    /// UNLOGGED and storage parameters: set right after a new table is
    /// created, changed in place on an existing one, and back.
    #[test]
    fn storage_follows_the_table() {
        let plain = Table {
            columns: vec![col("id", "integer")],
            ..Table::default()
        };
        let stored = Table {
            unlogged: true,
            options: vec!["fillfactor=90".into(), "autovacuum_enabled=false".into()],
            ..plain.clone()
        };
        let model = |t: &Table| Model {
            tables: BTreeMap::from([("q".to_string(), t.clone())]),
            ..Model::default()
        };
        let sql =
            |ops: Vec<Op>| -> Vec<String> { ops.iter().flat_map(crate::render::render).collect() };
        let created = sql(diff(&Model::default(), &model(&stored), "s"));
        assert_eq!(
            created[1..],
            [
                "ALTER TABLE \"s\".\"q\" SET UNLOGGED",
                "ALTER TABLE \"s\".\"q\" SET (\"autovacuum_enabled\" = 'false', \"fillfactor\" = '90')"
            ]
        );
        assert_eq!(
            sql(diff(&model(&plain), &model(&stored), "s")),
            created[1..]
        );
        assert_eq!(
            sql(diff(&model(&stored), &model(&plain), "s")),
            [
                "ALTER TABLE \"s\".\"q\" SET LOGGED",
                "ALTER TABLE \"s\".\"q\" RESET (\"autovacuum_enabled\", \"fillfactor\")"
            ]
        );
        let changed = Table {
            options: vec!["fillfactor=70".into()],
            ..stored.clone()
        };
        assert_eq!(
            sql(diff(&model(&stored), &model(&changed), "s")),
            [
                "ALTER TABLE \"s\".\"q\" RESET (\"autovacuum_enabled\")",
                "ALTER TABLE \"s\".\"q\" SET (\"fillfactor\" = '70')"
            ]
        );
    }

    /// A constraint on column `id`, of `kind`, referencing `references`.
    fn key(kind: ConstraintKind, references: Option<References>) -> Constraint {
        Constraint {
            kind,
            columns: vec!["id".into()],
            expression: None,
            references,
            on_delete: None,
            on_update: None,
            deferrable: false,
            initially_deferred: false,
            definition: None,
        }
    }

    #[test]
    fn ops_using_objects_the_differ_does_not_create_are_found() {
        let from = Model {
            other: vec!["function public.old()".into()],
            ..Model::default()
        };
        let mut to = from.clone();
        to.other.extend([
            "sequence public.actor_id_seq".into(),
            "type public.posint".into(),
            "function public.f(integer)".into(),
            "function public.old()".into(),
            "sequence public.unused_seq".into(),
            "trigger tr on table public.actor".into(),
        ]);
        let mut actor = col("id", "integer");
        actor.default = Some("nextval('public.actor_id_seq'::regclass)".into());
        actor.comment = Some("like public.unused_seq".into());
        let mut age = col("age", "public.posint");
        age.default = Some("public.old()".into());
        let mut score = col("score", "integer");
        score.default = Some("public.f(1)".into());
        to.tables.insert(
            "actor".into(),
            Table {
                columns: vec![actor, age, score],
                ..Table::default()
            },
        );
        let ops = diff(&from, &to, "public");
        let found: Vec<String> = uses_missing(&ops, &from, &to)
            .into_iter()
            .map(|(i, o)| format!("{} {o}", ops[i].kind()))
            .collect();
        assert_eq!(
            found,
            [
                "create_table function public.f(integer)",
                "create_table sequence public.actor_id_seq",
                "create_table type public.posint",
            ]
        );
        // present on both sides: nothing to refuse
        assert!(uses_missing(&ops, &to, &to).is_empty());
    }

    #[test]
    fn names_are_matched_whole() {
        assert!(names("nextval('public.s'::regclass)", "public.s", false));
        assert!(!names("nextval('public.s2'::regclass)", "public.s", false));
        assert!(!names("nextval('xpublic.s'::regclass)", "public.s", false));
        assert!(names("public.d[]", "public.d", false));
        assert!(names("public.f(1)", "public.f", true));
        assert!(!names("public.f", "public.f", true));
        assert!(names(
            "nextval('public.\"My s\"'::regclass)",
            "public.\"My s\"",
            false
        ));
        assert_eq!(referable("view public.v"), Some(("public.v".into(), false)));
        assert_eq!(
            referable("aggregate public.a(integer)"),
            Some(("public.a".into(), true))
        );
        assert_eq!(referable("trigger t on table public.x"), None);
    }

    fn kinds(ops: &[Op]) -> Vec<&'static str> {
        ops.iter().map(Op::kind).collect()
    }

    fn guide_before() -> Model {
        let mut m = Model::default();
        m.tables.insert(
            "my_table".into(),
            Table {
                columns: vec![col("id", "integer")],
                ..Table::default()
            },
        );
        m
    }

    fn guide_after() -> Model {
        let mut m = guide_before();
        m.enums.insert(
            "my_enum_type".into(),
            vec!["option1".into(), "option2".into(), "option3".into()],
        );
        m.tables
            .get_mut("my_table")
            .unwrap()
            .columns
            .push(ModelColumn {
                name: "my_enum_column".into(),
                type_name: "my_enum_type".into(),
                nullable: false,
                default: Some("'option1'::my_enum_type".into()),
                identity: None,
                generated: None,
                comment: None,
            });
        m
    }

    #[test]
    fn the_guide_example_orders_type_and_column() {
        let up = diff(&guide_before(), &guide_after(), "public");
        assert_eq!(kinds(&up), ["create_enum", "add_column"]);
        let down = diff(&guide_after(), &guide_before(), "public");
        assert_eq!(kinds(&down), ["drop_column", "drop_enum"]);
        assert!(down.iter().all(destructive));
        assert!(diff(&guide_after(), &guide_after(), "public").is_empty());
    }

    #[test]
    fn tables_come_before_the_foreign_keys_that_need_them() {
        let mut to = Model::default();
        let fk = Constraint {
            columns: vec!["account_id".into()],
            on_delete: Some("cascade".into()),
            ..key(
                ConstraintKind::ForeignKey,
                Some(References {
                    schema: None,
                    table: "account".into(),
                    columns: vec!["id".into()],
                }),
            )
        };
        let pk = key(ConstraintKind::PrimaryKey, None);
        to.tables.insert(
            "payment".into(),
            Table {
                columns: vec![col("id", "integer"), col("account_id", "integer")],
                constraints: [("payment_account_fk".to_string(), fk)].into(),
                indexes: [(
                    "payment_account_idx".to_string(),
                    Index {
                        keys: vec!["account_id".into()],
                        unique: false,
                        method: "btree".into(),
                        predicate: None,
                        definition: None,
                    },
                )]
                .into(),
                ..Table::default()
            },
        );
        to.tables.insert(
            "account".into(),
            Table {
                columns: vec![col("id", "integer")],
                constraints: [("account_pkey".to_string(), pk)].into(),
                indexes: BTreeMap::new(),
                ..Table::default()
            },
        );
        let up = diff(&Model::default(), &to, "public");
        assert_eq!(
            kinds(&up),
            [
                "create_table",
                "create_table",
                "add_constraint",
                "create_index",
                "add_constraint"
            ]
        );
        // the foreign key goes last on the way up, first on the way down
        assert!(matches!(&up[4], Op::AddConstraint(c) if c.name == "payment_account_fk"));
        let down = diff(&to, &Model::default(), "public");
        assert_eq!(
            kinds(&down),
            ["drop_constraint", "drop_table", "drop_table"]
        );
    }

    #[test]
    fn changed_columns_and_enums() {
        let mut from = guide_after();
        let mut to = guide_after();
        to.enums.insert(
            "my_enum_type".into(),
            vec!["option1".into(), "option3".into()],
        );
        let c = &mut to.tables.get_mut("my_table").unwrap().columns[0];
        c.type_name = "bigint".into();
        c.comment = Some("the key".into());
        let up = diff(&from, &to, "public");
        // a value removed: the enum changes after the columns
        assert_eq!(kinds(&up), ["alter_column", "drop_enum_value"]);
        match &up[0] {
            Op::AlterColumn(AlterColumn {
                type_name,
                nullable,
                server_default,
                comment,
                ..
            }) => {
                assert_eq!(type_name.as_deref(), Some("bigint"));
                assert_eq!(nullable, &None);
                assert_eq!(server_default, &None);
                assert_eq!(comment, &Some(Some("the key".into())));
            }
            other => panic!("{other:?}"),
        }
        from.tables.clear();
        assert_eq!(
            kinds(&diff(&from, &to, "public")),
            // a new table's column comments follow the table
            ["create_table", "alter_column", "drop_enum_value"]
        );
    }

    fn values(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mentions_matches_identifiers_only() {
        assert!(mentions("(total > (0)::numeric)", "total"));
        assert!(mentions("lower(\"My Col\")", "My Col"));
        assert!(!mentions("(subtotal > 0)", "total"));
        assert!(!mentions("(total_2 > 0)", "total"));
        assert!(mentions("a + total", "total"));
    }

    #[test]
    fn enum_changes_use_the_most_specific_op() {
        let (early, late) = enum_change(
            "s",
            "e",
            &values(&["a", "c"]),
            &values(&["x", "a", "b", "c", "d"]),
        );
        assert!(late.is_empty());
        let placed: Vec<(String, Option<String>, Option<String>)> = early
            .iter()
            .map(|op| match op {
                Op::AddEnumValue {
                    value,
                    before,
                    after,
                    ..
                } => (value.clone(), before.clone(), after.clone()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            placed,
            [
                ("x".into(), Some("a".into()), None),
                ("b".into(), None, Some("a".into())),
                ("d".into(), None, Some("c".into())),
            ]
        );
        let (early, late) = enum_change("s", "e", &values(&["a", "b", "c"]), &values(&["a", "c"]));
        assert!(early.is_empty());
        assert_eq!(kinds(&late), ["drop_enum_value"]);
        let (_, late) = enum_change("s", "e", &values(&["a", "b", "c"]), &values(&["a"]));
        assert_eq!(kinds(&late), ["set_enum_values"]);
        let (early, late) = enum_change("s", "e", &values(&["a", "b"]), &values(&["b", "a", "c"]));
        assert_eq!((kinds(&early), late.len()), (vec!["set_enum_values"], 0));
    }

    /// A small random schema: enums e0..e2, tables t0..t3 whose columns
    /// use integers or the enums, and foreign keys to earlier tables.
    fn arb_model() -> impl proptest::strategy::Strategy<Value = Model> {
        use proptest::prelude::*;
        let enums = proptest::collection::btree_map(
            "e[0-2]",
            proptest::collection::btree_set("[a-d]", 1..4),
            0..3,
        );
        let tables = proptest::collection::btree_map(
            "t[0-3]",
            (
                proptest::collection::btree_map(
                    "c[0-3]",
                    prop_oneof![Just(None), "e[0-2]".prop_map(Some)],
                    1..4,
                ),
                proptest::option::of("t[0-3]"),
            ),
            0..4,
        );
        (enums, tables).prop_map(|(enums, tables)| {
            let mut m = Model::default();
            for (name, values) in enums {
                m.enums.insert(name, values.into_iter().collect());
            }
            let names: Vec<String> = tables.keys().cloned().collect();
            for (tname, (columns, fk)) in tables {
                let mut t = Table::default();
                t.columns.push(col("id", "integer"));
                for (cname, ty) in columns {
                    let ty = ty
                        .filter(|e| m.enums.contains_key(e))
                        .map_or("integer".into(), |e| format!("s.{e}"));
                    t.columns.push(col(&cname, &ty));
                }
                t.constraints.insert(
                    format!("{tname}_pkey"),
                    key(ConstraintKind::PrimaryKey, None),
                );
                if let Some(target) = fk.filter(|f| names.contains(f)) {
                    t.constraints.insert(
                        format!("{tname}_fk"),
                        key(
                            ConstraintKind::ForeignKey,
                            Some(References {
                                schema: Some("s".into()),
                                table: target,
                                columns: vec!["id".into()],
                            }),
                        ),
                    );
                }
                m.tables.insert(tname, t);
            }
            m
        })
    }

    /// Where in `ops` the first op matching `f` is.
    fn first(ops: &[Op], f: impl Fn(&Op) -> bool) -> Option<usize> {
        ops.iter().position(f)
    }

    /// Whether `op` uses enum `e` as a column type.
    fn uses_enum(op: &Op, e: &str) -> bool {
        let ty = format!("s.{e}");
        match op {
            Op::CreateTable { columns, .. } => columns.iter().any(|c| c.type_name == ty),
            Op::AddColumn { column, .. } => column.type_name == ty,
            Op::AlterColumn(a) => a.type_name.as_deref() == Some(ty.as_str()),
            _ => false,
        }
    }

    proptest::proptest! {
        #[test]
        fn diffs_run_in_an_order_that_works(a in arb_model(), b in arb_model()) {
            proptest::prop_assert!(diff(&a, &a, "s").is_empty());
            for (from, to) in [(&a, &b), (&b, &a)] {
                let ops = diff(from, to, "s");
                for e in to.enums.keys().filter(|e| !from.enums.contains_key(*e)) {
                    // a new enum is created before any column uses it
                    let created = first(&ops, |o| matches!(o, Op::CreateEnum { name, .. } if name == e));
                    let used = first(&ops, |o| uses_enum(o, e));
                    proptest::prop_assert!(created.is_some());
                    if let Some(u) = used {
                        proptest::prop_assert!(created < Some(u));
                    }
                }
                for e in from.enums.keys().filter(|e| !to.enums.contains_key(*e)) {
                    // an enum is dropped after every column and table that goes
                    let dropped = first(&ops, |o| matches!(o, Op::DropEnum { name, .. } if name == e));
                    let last_drop = ops.iter().rposition(|o| matches!(o, Op::DropColumn { .. } | Op::DropTable { .. }));
                    proptest::prop_assert!(dropped.is_some());
                    if let Some(l) = last_drop {
                        proptest::prop_assert!(dropped > Some(l));
                    }
                }
                for (i, op) in ops.iter().enumerate() {
                    if let Op::AddConstraint(AddConstraint { references: Some(r), .. }) = op {
                        // a foreign key comes after the table it references
                        let created = first(&ops, |o| matches!(o, Op::CreateTable { name, .. } if *name == r.table));
                        if let Some(c) = created {
                            proptest::prop_assert!(c < i);
                        }
                    }
                    if let Op::DropTable { name, .. } = op {
                        // ... and goes before it
                        for (j, o) in ops.iter().enumerate() {
                            if let Op::DropConstraint { table, name: k, .. } = o {
                                let refers = from.tables.get(table).and_then(|t| t.constraints.get(k))
                                    .and_then(|c| c.references.as_ref())
                                    .is_some_and(|r| r.table == *name);
                                if refers {
                                    proptest::prop_assert!(j < i);
                                }
                            }
                        }
                    }
                }
            }
        }

        #[test]
        fn enum_ops_reach_the_new_values(
            old in proptest::collection::btree_set("[a-e]", 1..5),
            new in proptest::collection::btree_set("[a-g]", 1..6),
            shuffle in proptest::bool::ANY,
        ) {
            let old: Vec<String> = old.into_iter().collect();
            let mut new: Vec<String> = new.into_iter().collect();
            if shuffle {
                new.reverse();
            }
            let (early, late) = enum_change("s", "e", &old, &new);
            let mut now = old.clone();
            for op in early.iter().chain(&late) {
                match op {
                    Op::AddEnumValue { value, before, after, .. } => {
                        let at = match (before, after) {
                            (Some(b), _) => now.iter().position(|v| v == b).unwrap(),
                            (_, Some(a)) => now.iter().position(|v| v == a).unwrap() + 1,
                            _ => now.len(),
                        };
                        now.insert(at, value.clone());
                    }
                    Op::DropEnumValue { value, .. } => now.retain(|v| v != value),
                    Op::SetEnumValues { values, .. } => now = values.clone(),
                    other => panic!("{other:?}"),
                }
            }
            proptest::prop_assert_eq!(now, new);
        }
    }

    #[test]
    fn a_schema_is_renamed_everywhere_it_is_printed() {
        let mut m = guide_after();
        let c = &mut m.tables.get_mut("my_table").unwrap().columns[1];
        c.type_name = "aside_1.my_enum_type".into();
        c.default = Some("'option1'::aside_1.my_enum_type".into());
        let r = rename_schema(m, "aside_1", "My Schema", "\"My Schema\"").unwrap();
        let c = &r.tables["my_table"].columns[1];
        assert_eq!(c.type_name, "\"My Schema\".my_enum_type");
        assert_eq!(
            c.default.as_deref(),
            Some("'option1'::\"My Schema\".my_enum_type")
        );
    }

    #[test]
    fn ops_from_a_diff_parse_back() {
        let up = diff(&guide_before(), &guide_after(), "public");
        let json = crate::ops::to_json(&up);
        assert_eq!(crate::ops::parse_ops("r", "upgrade", &json).unwrap(), up);
    }
}
