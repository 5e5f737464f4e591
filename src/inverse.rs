//! Recorded downgrades: the ops that recreate what an upgrade op changes or
//! removes, built from the catalog's facts about it as they are just before
//! the op runs.
//!
//! The shell (the `capture` module) reads the facts; this module turns them
//! into ops, in plain Rust. Typed ops are used where one says exactly what
//! the catalog holds (`create_table`, `add_column`, `alter_column`,
//! `create_enum`, `set_enum_values`); indexes, constraints, comments,
//! grants and owners are written as the catalog itself prints them
//! (`pg_get_indexdef`, `pg_get_constraintdef`), in `execute` ops, because a
//! typed op cannot hold every option those definitions may carry
//! (operator classes, INCLUDE, NULLS NOT DISTINCT, storage parameters,
//! MATCH FULL...).

use crate::error::{code, MigrateError};
use crate::ops::{AlterColumn, Column, Identity, Op, ServerDefault};
use crate::quote::{ident, literal, qualified};
use serde::Deserialize;

/// A column as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct ColumnFacts {
    pub name: String,
    /// `format_type` of the column's type
    pub type_name: String,
    /// `serial`, `bigserial` or `smallserial` when the column is one (its
    /// default takes the next value of the sequence it owns, named as
    /// PostgreSQL names a serial's sequence)
    pub serial: Option<String>,
    pub not_null: bool,
    /// the default expression (none for a serial or a generated column)
    pub default: Option<String>,
    pub identity: Option<Identity>,
    /// a stored generated column's expression
    pub generated: Option<String>,
    pub comment: Option<String>,
}

/// An index or a constraint that a drop takes with it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dependent {
    /// `definition` is `pg_get_indexdef`: the whole statement
    Index {
        name: String,
        definition: String,
        comment: Option<String>,
    },
    /// `definition` is `pg_get_constraintdef`
    Constraint {
        name: String,
        definition: String,
        comment: Option<String>,
    },
}

/// One privilege granted on an object (`aclexplode`), to someone other
/// than its owner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Grant {
    /// None: PUBLIC
    pub grantee: Option<String>,
    pub privilege: String,
    pub grantable: bool,
}

/// Who owns an object and what it grants: `grants` is None while the
/// object has its default privileges (a NULL ACL).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct Access {
    pub owner: String,
    pub grants: Option<Vec<Grant>>,
}

/// A table as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct TableFacts {
    pub schema: String,
    pub name: String,
    pub columns: Vec<ColumnFacts>,
    /// constraints (keys first, foreign keys last), then indexes that
    /// back no constraint
    pub dependents: Vec<Dependent>,
    pub comment: Option<String>,
    pub access: Access,
}

/// An enum type as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default)]
pub struct EnumFacts {
    pub schema: String,
    pub name: String,
    pub values: Vec<String>,
    pub comment: Option<String>,
    pub access: Access,
}

/// A raw statement, as an op.
fn sql(statement: String) -> Op {
    Op::Execute {
        sql: statement,
        down: None,
    }
}

/// The column as an `add_column`/`create_table` column; `nullable`
/// overrides what the catalog says.
fn column(c: &ColumnFacts, nullable: bool) -> Column {
    Column {
        name: c.name.clone(),
        type_name: c.serial.clone().unwrap_or_else(|| c.type_name.clone()),
        nullable,
        // a serial's default is the serial itself
        server_default: match c.serial {
            Some(_) => None,
            None => c.default.clone().map(ServerDefault::Sql),
        },
        identity: c.identity,
        generated: c.generated.clone(),
    }
}

/// Whether a NOT NULL column re-added to a table that has rows could take
/// no value: no default, no identity, not generated, not a serial.
fn needs_values(c: &ColumnFacts) -> bool {
    c.not_null
        && c.default.is_none()
        && c.identity.is_none()
        && c.generated.is_none()
        && c.serial.is_none()
}

/// The comment of a column, as an `alter_column`.
fn column_comment(schema: &str, table: &str, c: &ColumnFacts) -> Option<Op> {
    c.comment.as_ref().map(|text| {
        Op::AlterColumn(AlterColumn {
            comment: Some(Some(text.clone())),
            ..AlterColumn::on(Some(schema), table, &c.name)
        })
    })
}

/// The ops that recreate indexes and constraints of `schema.table`, with
/// their comments.
fn dependents(schema: &str, table: &str, deps: &[Dependent]) -> Vec<Op> {
    let t = qualified(Some(schema), table);
    let mut out = Vec::new();
    for d in deps {
        match d {
            Dependent::Constraint {
                name,
                definition,
                comment,
            } => {
                out.push(sql(format!(
                    "ALTER TABLE {t} ADD CONSTRAINT {} {definition}",
                    ident(name)
                )));
                if let Some(c) = comment {
                    out.push(sql(format!(
                        "COMMENT ON CONSTRAINT {} ON {t} IS {}",
                        ident(name),
                        literal(c)
                    )));
                }
            }
            Dependent::Index {
                name,
                definition,
                comment,
            } => {
                out.push(sql(definition.clone()));
                if let Some(c) = comment {
                    out.push(sql(format!(
                        "COMMENT ON INDEX {} IS {}",
                        qualified(Some(schema), name),
                        literal(c)
                    )));
                }
            }
        }
    }
    out
}

/// The grants and owner of an object (`kind` is `TABLE` or `TYPE`). A
/// type's default privileges give PUBLIC usage: when its ACL is set, that
/// is revoked first, and granted again only if the ACL holds it.
fn access(kind: &str, object: &str, a: &Access) -> Vec<Op> {
    let mut out = Vec::new();
    if let Some(grants) = &a.grants {
        if kind == "TYPE" {
            out.push(sql(format!("REVOKE USAGE ON TYPE {object} FROM PUBLIC")));
        }
        // one GRANT per grantee and grant option, privileges in catalog order
        let mut groups: Vec<(Option<String>, bool, Vec<&str>)> = Vec::new();
        for g in grants.iter().filter(|g| privilege_word(&g.privilege)) {
            match groups
                .iter_mut()
                .find(|(who, opt, _)| *who == g.grantee && *opt == g.grantable)
            {
                Some(group) => group.2.push(&g.privilege),
                None => groups.push((g.grantee.clone(), g.grantable, vec![&g.privilege])),
            }
        }
        for (who, grantable, privileges) in groups {
            out.push(sql(format!(
                "GRANT {} ON {kind} {object} TO {}{}",
                privileges.join(", "),
                who.as_deref().map(ident).unwrap_or_else(|| "PUBLIC".into()),
                if grantable { " WITH GRANT OPTION" } else { "" }
            )));
        }
    }
    if !a.owner.is_empty() {
        out.push(sql(format!(
            "ALTER {kind} {object} OWNER TO {}",
            ident(&a.owner)
        )));
    }
    out
}

/// A privilege as `aclexplode` names it: upper-case words only (it is
/// written into the SQL as a keyword).
fn privilege_word(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c.is_ascii_uppercase() || c == ' ')
}

/// The `DO` block that sets NOT NULL only while the table has no rows, and
/// otherwise says why the column stays nullable.
fn not_null_if_empty(schema: &str, table: &str, c: &str) -> Op {
    let t = qualified(Some(schema), table);
    let note = format!(
        "column {t}.{} comes back nullable: the table has rows, and the values the upgrade dropped are gone; set NOT NULL once every row has one",
        ident(c)
    );
    let body = format!(
        "BEGIN IF EXISTS (SELECT FROM {t}) THEN RAISE NOTICE '%', {}; \
         ELSE ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL; END IF; END",
        literal(&note),
        ident(c)
    );
    sql(format!("DO {}", dollar_quoted(&body)))
}

/// `body` between dollar quotes whose tag it does not contain.
fn dollar_quoted(body: &str) -> String {
    let mut tag = String::from("$migrate$");
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$migrate{n}$");
    }
    format!("{tag}{body}{tag}")
}

/// `drop_column`: the column back (at the end of the table), its comment,
/// and the indexes and constraints the drop took with it. A NOT NULL
/// column that needs values comes back nullable while the table has rows.
pub fn drop_column(schema: &str, table: &str, c: &ColumnFacts, deps: &[Dependent]) -> Vec<Op> {
    let held_back = needs_values(c);
    let mut out = vec![Op::AddColumn {
        schema: Some(schema.into()),
        table: table.into(),
        column: column(c, !c.not_null || held_back),
    }];
    if held_back {
        out.push(not_null_if_empty(schema, table, &c.name));
    }
    out.extend(column_comment(schema, table, c));
    out.extend(dependents(schema, table, deps));
    out
}

/// `drop_table`: the table with its columns, constraints, indexes,
/// comments, grants and owner.
pub fn drop_table(t: &TableFacts) -> Vec<Op> {
    let mut out = vec![Op::CreateTable {
        schema: Some(t.schema.clone()),
        name: t.name.clone(),
        columns: t.columns.iter().map(|c| column(c, !c.not_null)).collect(),
        primary_key: vec![],
        if_not_exists: false,
    }];
    let qt = qualified(Some(&t.schema), &t.name);
    if let Some(c) = &t.comment {
        out.push(sql(format!("COMMENT ON TABLE {qt} IS {}", literal(c))));
    }
    out.extend(
        t.columns
            .iter()
            .filter_map(|c| column_comment(&t.schema, &t.name, c)),
    );
    out.extend(dependents(&t.schema, &t.name, &t.dependents));
    out.extend(access("TABLE", &qt, &t.access));
    out
}

/// `alter_column`: the column's former type, nullability, default and
/// comment, for what the op changes. A type change is undone with a cast
/// back, and restores the default too (PostgreSQL casts a default along
/// with the column).
pub fn alter_column(op: &AlterColumn, schema: &str, c: &ColumnFacts) -> Vec<Op> {
    let retyped = op.type_name.is_some();
    vec![Op::AlterColumn(AlterColumn {
        schema: Some(schema.into()),
        table: op.table.clone(),
        column: op.column.clone(),
        type_name: retyped.then(|| c.type_name.clone()),
        using: retyped.then(|| format!("{}::{}", ident(&op.column), c.type_name)),
        nullable: op.nullable.map(|_| !c.not_null),
        server_default: if op.server_default.is_some() || (retyped && c.default.is_some()) {
            Some(c.default.clone().map(ServerDefault::Sql))
        } else {
            None
        },
        comment: op.comment.as_ref().map(|_| c.comment.clone()),
    })]
}

/// `drop_index`: the index as the catalog defines it, and its comment.
pub fn drop_index(schema: &str, table: &str, index: &Dependent) -> Vec<Op> {
    dependents(schema, table, std::slice::from_ref(index))
}

/// `drop_constraint`: the constraint as the catalog defines it, and its
/// comment.
pub fn drop_constraint(schema: &str, table: &str, constraint: &Dependent) -> Vec<Op> {
    dependents(schema, table, std::slice::from_ref(constraint))
}

/// `drop_enum`: the type with its values, comment, grants and owner.
pub fn drop_enum(e: &EnumFacts) -> Vec<Op> {
    let qt = qualified(Some(&e.schema), &e.name);
    let mut out = vec![Op::CreateEnum {
        schema: Some(e.schema.clone()),
        name: e.name.clone(),
        values: e.values.clone(),
    }];
    if let Some(c) = &e.comment {
        out.push(sql(format!("COMMENT ON TYPE {qt} IS {}", literal(c))));
    }
    out.extend(access("TYPE", &qt, &e.access));
    out
}

/// `drop_enum_value` and `set_enum_values`: the values the type had.
pub fn enum_values(schema: &str, name: &str, values: &[String]) -> Vec<Op> {
    vec![Op::SetEnumValues {
        schema: Some(schema.into()),
        name: name.into(),
        values: values.to_vec(),
    }]
}

/// What the downgrade cannot give back, said before the recorded ops of
/// upgrade op `op` run.
pub fn data_note(op: &Op) -> Option<String> {
    match op {
        Op::DropColumn {
            schema,
            table,
            column,
        } => Some(format!(
            "column {}.{} is recreated without its data: the values the upgrade dropped do not come back (rows get its default, or NULL)",
            qualified(schema.as_deref(), table),
            ident(column)
        )),
        Op::DropTable { schema, name } => Some(format!(
            "table {} is recreated empty: the rows the upgrade dropped do not come back",
            qualified(schema.as_deref(), name)
        )),
        Op::DropEnumValue {
            schema,
            name,
            value,
            replace_with: Some(r),
        } => Some(format!(
            "enum {}: the value {} comes back, but the rows the upgrade changed to {} keep it",
            qualified(schema.as_deref(), name),
            literal(value),
            literal(r)
        )),
        _ => None,
    }
}

/// What a downgrade says in place of an inverse not recorded (yet):
/// `applied` when the revision is applied (then it was stamped, or applied
/// by an offline script).
pub fn pending_note(applied: bool) -> String {
    if applied {
        "nothing was recorded to undo it: the revision was stamped, or applied by an offline script"
            .into()
    } else {
        "undone by what the catalog holds when the upgrade runs, recorded then".into()
    }
}

/// The refusal of an upgrade op whose object holds what a recorded
/// downgrade cannot recreate (the caller names the op).
pub fn cannot_record(object: &str, what: &[String]) -> MigrateError {
    MigrateError::new(
        code::NO_DOWNGRADE,
        format!(
            "the derived downgrade could not recreate {object} exactly: {}",
            what.join(", ")
        ),
    )
    .with_hint("Give the revision an explicit downgrade (downgrade => '[...]').")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(name: &str, ty: &str, not_null: bool) -> ColumnFacts {
        ColumnFacts {
            name: name.into(),
            type_name: ty.into(),
            not_null,
            ..ColumnFacts::default()
        }
    }

    fn rendered(ops: &[Op]) -> Vec<String> {
        ops.iter().flat_map(crate::render::render).collect()
    }

    #[test]
    fn a_dropped_column_comes_back_with_its_indexes_and_constraints() {
        let mut c = col("Mood", "public.mood", false);
        c.default = Some("'ok'::public.mood".into());
        c.comment = Some("it's how they feel".into());
        let deps = [
            Dependent::Constraint {
                name: "t_mood_check".into(),
                definition: "CHECK ((\"Mood\" <> 'bad'::public.mood))".into(),
                comment: Some("no bad moods".into()),
            },
            Dependent::Index {
                name: "t_mood_idx".into(),
                definition: "CREATE INDEX t_mood_idx ON public.t USING btree (\"Mood\")".into(),
                comment: None,
            },
        ];
        assert_eq!(
            rendered(&drop_column("public", "t", &c, &deps)),
            [
                "ALTER TABLE \"public\".\"t\" ADD COLUMN \"Mood\" public.mood DEFAULT ('ok'::public.mood)",
                "COMMENT ON COLUMN \"public\".\"t\".\"Mood\" IS 'it''s how they feel'",
                "ALTER TABLE \"public\".\"t\" ADD CONSTRAINT \"t_mood_check\" CHECK ((\"Mood\" <> 'bad'::public.mood))",
                "COMMENT ON CONSTRAINT \"t_mood_check\" ON \"public\".\"t\" IS 'no bad moods'",
                "CREATE INDEX t_mood_idx ON public.t USING btree (\"Mood\")",
            ]
        );
    }

    #[test]
    fn a_not_null_column_without_a_default_is_not_null_only_on_an_empty_table() {
        let ops = drop_column("s", "t", &col("c", "integer", true), &[]);
        let sql = rendered(&ops);
        assert_eq!(sql[0], "ALTER TABLE \"s\".\"t\" ADD COLUMN \"c\" integer");
        assert!(sql[1].starts_with("DO $migrate$BEGIN IF EXISTS (SELECT FROM \"s\".\"t\") THEN RAISE NOTICE '%', 'column \"s\".\"t\".\"c\" comes back nullable"));
        assert!(sql[1].ends_with(
            "ELSE ALTER TABLE \"s\".\"t\" ALTER COLUMN \"c\" SET NOT NULL; END IF; END$migrate$"
        ));
        // with a default (or identity, or serial) every row gets a value
        let mut d = col("c", "integer", true);
        d.default = Some("0".into());
        assert_eq!(
            rendered(&drop_column("s", "t", &d, &[])),
            ["ALTER TABLE \"s\".\"t\" ADD COLUMN \"c\" integer DEFAULT (0) NOT NULL"]
        );
        let mut s = col("id", "integer", true);
        s.serial = Some("serial".into());
        s.default = Some("nextval('s.t_id_seq'::regclass)".into());
        assert_eq!(
            rendered(&drop_column("s", "t", &s, &[])),
            ["ALTER TABLE \"s\".\"t\" ADD COLUMN \"id\" serial NOT NULL"]
        );
        // a name holding the quote tag gets another tag
        assert_eq!(
            dollar_quoted("a $migrate$ b"),
            "$migrate1$a $migrate$ b$migrate1$"
        );
    }

    #[test]
    fn a_dropped_table_comes_back_whole() {
        let mut id = col("id", "bigint", true);
        id.identity = Some(Identity::ByDefault);
        let mut note = col("note", "text", false);
        note.comment = Some("free text".into());
        let t = TableFacts {
            schema: "app".into(),
            name: "t".into(),
            columns: vec![id, note],
            dependents: vec![Dependent::Constraint {
                name: "t_pkey".into(),
                definition: "PRIMARY KEY (id)".into(),
                comment: None,
            }],
            comment: Some("things".into()),
            access: Access {
                owner: "alice".into(),
                grants: Some(vec![
                    Grant {
                        grantee: Some("bob".into()),
                        privilege: "SELECT".into(),
                        grantable: false,
                    },
                    Grant {
                        grantee: Some("bob".into()),
                        privilege: "INSERT".into(),
                        grantable: false,
                    },
                    Grant {
                        grantee: None,
                        privilege: "SELECT".into(),
                        grantable: true,
                    },
                    Grant {
                        grantee: None,
                        privilege: "DROP; x".into(),
                        grantable: true,
                    },
                ]),
            },
        };
        assert_eq!(
            rendered(&drop_table(&t)),
            [
                "CREATE TABLE \"app\".\"t\" (\"id\" bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL, \"note\" text)",
                "COMMENT ON TABLE \"app\".\"t\" IS 'things'",
                "COMMENT ON COLUMN \"app\".\"t\".\"note\" IS 'free text'",
                "ALTER TABLE \"app\".\"t\" ADD CONSTRAINT \"t_pkey\" PRIMARY KEY (id)",
                "GRANT SELECT, INSERT ON TABLE \"app\".\"t\" TO \"bob\"",
                "GRANT SELECT ON TABLE \"app\".\"t\" TO PUBLIC WITH GRANT OPTION",
                "ALTER TABLE \"app\".\"t\" OWNER TO \"alice\"",
            ]
        );
    }

    fn altered(json: serde_json::Value) -> AlterColumn {
        match serde_json::from_value(json) {
            Ok(Op::AlterColumn(a)) => a,
            other => panic!("not an alter_column: {other:?}"),
        }
    }

    #[test]
    fn an_altered_column_gets_back_what_the_op_changed() {
        let mut c = col("c", "character varying(20)", true);
        c.default = Some("'x'::character varying".into());
        let op = altered(
            json!({"op":"alter_column","table":"t","column":"c","type":"text","nullable":true}),
        );
        assert_eq!(
            rendered(&alter_column(&op, "public", &c)),
            ["ALTER TABLE \"public\".\"t\" ALTER COLUMN \"c\" TYPE character varying(20) USING (\"c\"::character varying(20)), ALTER COLUMN \"c\" SET NOT NULL, ALTER COLUMN \"c\" SET DEFAULT ('x'::character varying)"]
        );
        let op = altered(
            json!({"op":"alter_column","table":"t","column":"c","server_default":null,"comment":"new"}),
        );
        assert_eq!(
            rendered(&alter_column(&op, "public", &c)),
            [
                "ALTER TABLE \"public\".\"t\" ALTER COLUMN \"c\" SET DEFAULT ('x'::character varying)",
                "COMMENT ON COLUMN \"public\".\"t\".\"c\" IS NULL"
            ]
        );
    }

    #[test]
    fn a_dropped_enum_comes_back_with_its_access() {
        let e = EnumFacts {
            schema: "public".into(),
            name: "st".into(),
            values: vec!["a".into(), "b".into()],
            comment: None,
            access: Access {
                owner: "alice".into(),
                grants: Some(vec![Grant {
                    grantee: Some("bob".into()),
                    privilege: "USAGE".into(),
                    grantable: false,
                }]),
            },
        };
        assert_eq!(
            rendered(&drop_enum(&e)),
            [
                "CREATE TYPE \"public\".\"st\" AS ENUM ('a', 'b')",
                "REVOKE USAGE ON TYPE \"public\".\"st\" FROM PUBLIC",
                "GRANT USAGE ON TYPE \"public\".\"st\" TO \"bob\"",
                "ALTER TYPE \"public\".\"st\" OWNER TO \"alice\"",
            ]
        );
        // default privileges: nothing to grant or revoke
        let plain = EnumFacts {
            access: Access {
                owner: "alice".into(),
                grants: None,
            },
            ..e
        };
        assert_eq!(rendered(&drop_enum(&plain)).len(), 2);
    }

    #[test]
    fn recorded_ops_parse_back() {
        // what is recorded is stored as JSON and parsed like any ops
        let t = TableFacts {
            schema: "s".into(),
            name: "t".into(),
            columns: vec![col("a", "integer", true)],
            ..TableFacts::default()
        };
        let mut ops = drop_table(&t);
        ops.extend(drop_column("s", "t", &col("b", "text", true), &[]));
        ops.extend(enum_values("s", "e", &["x".into()]));
        let json = crate::ops::to_json(&ops);
        assert_eq!(crate::ops::parse_ops("r", "downgrade", &json).unwrap(), ops);
    }

    #[test]
    fn notes_say_what_does_not_come_back() {
        let op = |v| serde_json::from_value::<Op>(v).unwrap();
        assert!(data_note(&op(json!({"op":"drop_table","name":"t"})))
            .unwrap()
            .contains("recreated empty"));
        assert!(
            data_note(&op(json!({"op":"drop_column","table":"t","column":"c"})))
                .unwrap()
                .contains("without its data")
        );
        assert!(data_note(&op(
            json!({"op":"drop_enum_value","name":"e","value":"v","replace_with":"w"})
        ))
        .is_some());
        assert!(data_note(&op(json!({"op":"drop_enum_value","name":"e","value":"v"}))).is_none());
        assert!(data_note(&op(json!({"op":"drop_index","name":"i"}))).is_none());
    }
}
