//! A schema as plain data, and the differ that turns two of them into ops,
//! in plain Rust (the groundwork of autogenerate, issue 5).
//!
//! The model holds what the differ understands: enums with their ordered
//! values, tables with columns (type, nullability, default, comment), the
//! primary key, unique, check and foreign-key constraints, and indexes.
//! Types, defaults and expressions are PostgreSQL's own text, read with the
//! schema on the search_path so that both sides print names alike.

use crate::ops::{Column, ConstraintKind, Op, References, ServerDefault};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    pub enums: BTreeMap<String, Vec<String>>,
    pub tables: BTreeMap<String, Table>,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
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
}

/// The ops that turn `from` into `to`, in an order that works: types
/// before the columns that use them, tables before the foreign keys that
/// reference them, columns dropped before their types, foreign keys dropped
/// before their tables. The downgrade is `diff(to, from)`.
pub fn diff(from: &Model, to: &Model) -> Vec<Op> {
    let mut create_types = Vec::new();
    let mut create_tables = Vec::new();
    let mut add_columns = Vec::new();
    let mut alter_columns = Vec::new();
    let mut drop_fks = Vec::new();
    let mut drop_other = Vec::new();
    let mut add_other = Vec::new();
    let mut add_fks = Vec::new();
    let mut drop_columns = Vec::new();
    let mut drop_tables = Vec::new();
    let mut drop_types = Vec::new();

    for (name, values) in &to.enums {
        match from.enums.get(name) {
            None => create_types.push(Op::CreateEnum {
                schema: None,
                name: name.clone(),
                values: values.clone(),
            }),
            Some(old) if old != values => create_types.push(Op::SetEnumValues {
                schema: None,
                name: name.clone(),
                values: values.clone(),
            }),
            Some(_) => {}
        }
    }
    for name in from.enums.keys().filter(|n| !to.enums.contains_key(*n)) {
        drop_types.push(Op::DropEnum {
            schema: None,
            name: name.clone(),
        });
    }

    let empty = Table::default();
    for (tname, t) in &to.tables {
        let old = from.tables.get(tname);
        match old {
            None => create_tables.push(Op::CreateTable {
                schema: None,
                name: tname.clone(),
                columns: t.columns.iter().map(op_column).collect(),
                primary_key: vec![],
                if_not_exists: false,
            }),
            Some(old) => {
                for c in &t.columns {
                    match old.columns.iter().find(|o| o.name == c.name) {
                        None => add_columns.push(Op::AddColumn {
                            schema: None,
                            table: tname.clone(),
                            column: op_column(c),
                        }),
                        Some(o) if o != c => alter_columns.push(alter(tname, o, c)),
                        Some(_) => {}
                    }
                }
                for o in old
                    .columns
                    .iter()
                    .filter(|o| !t.columns.iter().any(|c| c.name == o.name))
                {
                    drop_columns.push(Op::DropColumn {
                        schema: None,
                        table: tname.clone(),
                        column: o.name.clone(),
                    });
                }
            }
        }
        let old = old.unwrap_or(&empty);
        for (cname, k) in &t.constraints {
            if old.constraints.get(cname) == Some(k) {
                continue;
            }
            if let Some(prev) = old.constraints.get(cname) {
                let drop = drop_constraint(tname, cname);
                if prev.kind == ConstraintKind::ForeignKey {
                    drop_fks.push(drop)
                } else {
                    drop_other.push(drop)
                }
            }
            let add = add_constraint(tname, cname, k);
            if k.kind == ConstraintKind::ForeignKey {
                add_fks.push(add)
            } else {
                add_other.push(add)
            }
        }
        for (iname, i) in &t.indexes {
            if old.indexes.get(iname) == Some(i) {
                continue;
            }
            if old.indexes.contains_key(iname) {
                drop_other.push(Op::DropIndex {
                    schema: None,
                    name: iname.clone(),
                });
            }
            add_other.push(create_index(tname, iname, i));
        }
    }
    for (tname, old) in &from.tables {
        let new = to.tables.get(tname);
        let gone = new.is_none();
        let new = new.unwrap_or(&empty);
        for (cname, k) in &old.constraints {
            if !new.constraints.contains_key(cname) {
                if k.kind == ConstraintKind::ForeignKey {
                    drop_fks.push(drop_constraint(tname, cname));
                } else if !gone {
                    drop_other.push(drop_constraint(tname, cname));
                }
            }
        }
        if !gone {
            for iname in old.indexes.keys().filter(|i| !new.indexes.contains_key(*i)) {
                drop_other.push(Op::DropIndex {
                    schema: None,
                    name: iname.clone(),
                });
            }
        } else {
            drop_tables.push(Op::DropTable {
                schema: None,
                name: tname.clone(),
            });
        }
    }

    [
        create_types,
        create_tables,
        add_columns,
        alter_columns,
        drop_fks,
        drop_other,
        add_other,
        add_fks,
        drop_columns,
        drop_tables,
        drop_types,
    ]
    .concat()
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
        Op::AlterColumn {
            type_name: Some(_),
            ..
        }
    )
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
    }
}

fn alter(table: &str, old: &ModelColumn, new: &ModelColumn) -> Op {
    Op::AlterColumn {
        schema: None,
        table: table.to_string(),
        column: new.name.clone(),
        type_name: (old.type_name != new.type_name).then(|| new.type_name.clone()),
        using: None,
        nullable: (old.nullable != new.nullable).then_some(new.nullable),
        server_default: (old.default != new.default).then(|| default_of(&new.default)),
        comment: (old.comment != new.comment).then(|| new.comment.clone()),
    }
}

fn drop_constraint(table: &str, name: &str) -> Op {
    Op::DropConstraint {
        schema: None,
        table: table.to_string(),
        name: name.to_string(),
    }
}

fn add_constraint(table: &str, name: &str, k: &Constraint) -> Op {
    Op::AddConstraint {
        schema: None,
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
    }
}

fn create_index(table: &str, name: &str, i: &Index) -> Op {
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
                        .unwrap_or_else(|| crate::quote::ident(k))
                })
                .collect(),
        )
    };
    Op::CreateIndex {
        schema: None,
        name: name.to_string(),
        table: table.to_string(),
        columns,
        expressions,
        unique: i.unique,
        where_: i.predicate.clone(),
        method: Some(i.method.clone()),
    }
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
            comment: None,
        }
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
                comment: None,
            });
        m
    }

    #[test]
    fn the_guide_example_orders_type_and_column() {
        let up = diff(&guide_before(), &guide_after());
        assert_eq!(kinds(&up), ["create_enum", "add_column"]);
        let down = diff(&guide_after(), &guide_before());
        assert_eq!(kinds(&down), ["drop_column", "drop_enum"]);
        assert!(down.iter().all(destructive));
        assert!(diff(&guide_after(), &guide_after()).is_empty());
    }

    #[test]
    fn tables_come_before_the_foreign_keys_that_need_them() {
        let mut to = Model::default();
        let fk = Constraint {
            kind: ConstraintKind::ForeignKey,
            columns: vec!["account_id".into()],
            expression: None,
            references: Some(References {
                schema: None,
                table: "account".into(),
                columns: vec!["id".into()],
            }),
            on_delete: Some("cascade".into()),
            on_update: None,
            deferrable: false,
            initially_deferred: false,
        };
        let pk = Constraint {
            kind: ConstraintKind::PrimaryKey,
            columns: vec!["id".into()],
            expression: None,
            references: None,
            on_delete: None,
            on_update: None,
            deferrable: false,
            initially_deferred: false,
        };
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
                    },
                )]
                .into(),
            },
        );
        to.tables.insert(
            "account".into(),
            Table {
                columns: vec![col("id", "integer")],
                constraints: [("account_pkey".to_string(), pk)].into(),
                indexes: BTreeMap::new(),
            },
        );
        let up = diff(&Model::default(), &to);
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
        assert!(matches!(&up[4], Op::AddConstraint { name, .. } if name == "payment_account_fk"));
        let down = diff(&to, &Model::default());
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
        let up = diff(&from, &to);
        assert_eq!(kinds(&up), ["set_enum_values", "alter_column"]);
        match &up[1] {
            Op::AlterColumn {
                type_name,
                nullable,
                server_default,
                comment,
                ..
            } => {
                assert_eq!(type_name.as_deref(), Some("bigint"));
                assert_eq!(nullable, &None);
                assert_eq!(server_default, &None);
                assert_eq!(comment, &Some(Some("the key".into())));
            }
            other => panic!("{other:?}"),
        }
        from.tables.clear();
        assert_eq!(
            kinds(&diff(&from, &to)),
            ["set_enum_values", "create_table"]
        );
    }

    #[test]
    fn ops_from_a_diff_parse_back() {
        let up = diff(&guide_before(), &guide_after());
        let json = crate::ops::to_json(&up);
        assert_eq!(crate::ops::parse_ops("r", "upgrade", &json).unwrap(), up);
    }
}
