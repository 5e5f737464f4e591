//! Rendering ops to SQL, in plain Rust.
//!
//! Every identifier is quoted with [`crate::quote`]; literals are quoted too.
//! The only text spliced raw is what the author wrote as SQL on purpose: the
//! `execute` op and a `{"sql": ...}` default. A column's type is written as
//! given, after [`crate::ops`] made sure it holds no comment, quote or
//! statement break (and the run checks it is one type name that exists).
//!
//! Rendering depends on the op alone, so what `migrate.log` records is what
//! an offline rendering of the same op prints.

use crate::ops::{
    fk_action, AddConstraint, AlterColumn, Column, ConstraintKind, CreateIndex, Identity, Op,
    ServerDefault,
};
use crate::quote::{ident, literal, qualified};

/// The SQL statements one op runs, in order.
pub fn render(op: &Op) -> Vec<String> {
    match op {
        Op::AddColumn {
            schema,
            table,
            column,
        } => {
            vec![format!(
                "ALTER TABLE {} ADD COLUMN {}",
                qualified(schema.as_deref(), table),
                column_sql(column)
            )]
        }
        Op::DropColumn {
            schema,
            table,
            column,
        } => vec![format!(
            "ALTER TABLE {} DROP COLUMN {}",
            qualified(schema.as_deref(), table),
            ident(column)
        )],
        Op::Execute { sql, .. } => vec![sql.clone()],
        Op::CreateTable {
            schema,
            name,
            columns,
            primary_key,
            if_not_exists,
        } => {
            let mut parts: Vec<String> = columns.iter().map(column_sql).collect();
            if !primary_key.is_empty() {
                parts.push(format!("PRIMARY KEY ({})", idents(primary_key)));
            }
            vec![format!(
                "CREATE TABLE {}{} ({})",
                if *if_not_exists { "IF NOT EXISTS " } else { "" },
                qualified(schema.as_deref(), name),
                parts.join(", ")
            )]
        }
        Op::DropTable { schema, name } => {
            vec![format!("DROP TABLE {}", qualified(schema.as_deref(), name))]
        }
        Op::RenameTable {
            schema,
            name,
            new_name,
        }
        | Op::RenameEnum {
            schema,
            name,
            new_name,
        } => vec![format!(
            "ALTER {} {} RENAME TO {}",
            if let Op::RenameTable { .. } = op {
                "TABLE"
            } else {
                "TYPE"
            },
            qualified(schema.as_deref(), name),
            ident(new_name)
        )],
        Op::RenameColumn {
            schema,
            table,
            column,
            new_name,
        } => vec![format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            qualified(schema.as_deref(), table),
            ident(column),
            ident(new_name)
        )],
        Op::AlterColumn(a) => a.sql(),
        Op::CreateIndex(i) => vec![i.sql()],
        Op::DropIndex {
            schema,
            name,
            concurrently,
        } => {
            vec![format!(
                "DROP INDEX {}{}",
                if *concurrently { "CONCURRENTLY " } else { "" },
                qualified(schema.as_deref(), name)
            )]
        }
        Op::AddConstraint(c) => vec![c.sql()],
        Op::DropConstraint {
            schema,
            table,
            name,
        }
        | Op::ValidateConstraint {
            schema,
            table,
            name,
        } => vec![format!(
            "ALTER TABLE {} {} CONSTRAINT {}",
            qualified(schema.as_deref(), table),
            if let Op::DropConstraint { .. } = op {
                "DROP"
            } else {
                "VALIDATE"
            },
            ident(name)
        )],
        Op::BulkInsert {
            schema,
            table,
            rows,
        } => insert_sql(&qualified(schema.as_deref(), table), rows),
        Op::CreateEnum { .. }
        | Op::DropEnum { .. }
        | Op::AddEnumValue { .. }
        | Op::RenameEnumValue { .. }
        | Op::DropEnumValue { .. }
        | Op::SetEnumValues { .. } => enum_sql(op),
    }
}

/// The enum type ops' statements.
fn enum_sql(op: &Op) -> Vec<String> {
    match op {
        Op::CreateEnum {
            schema,
            name,
            values,
        } => {
            let labels: Vec<String> = values.iter().map(|v| literal(v)).collect();
            vec![format!(
                "CREATE TYPE {} AS ENUM ({})",
                qualified(schema.as_deref(), name),
                labels.join(", ")
            )]
        }
        Op::DropEnum { schema, name } => vec![format!(
            "DROP TYPE IF EXISTS {}",
            qualified(schema.as_deref(), name)
        )],
        Op::AddEnumValue {
            schema,
            name,
            value,
            before,
            after,
            if_not_exists,
        } => {
            let place = match (before, after) {
                (Some(b), _) => format!(" BEFORE {}", literal(b)),
                (None, Some(a)) => format!(" AFTER {}", literal(a)),
                (None, None) => String::new(),
            };
            vec![format!(
                "ALTER TYPE {} ADD VALUE {}{}{place}",
                qualified(schema.as_deref(), name),
                if *if_not_exists { "IF NOT EXISTS " } else { "" },
                literal(value)
            )]
        }
        // planned at run time from the live catalog (see crate::enums)
        Op::DropEnumValue { .. } | Op::SetEnumValues { .. } => vec![],
        Op::RenameEnumValue {
            schema,
            name,
            value,
            new_value,
        } => vec![format!(
            "ALTER TYPE {} RENAME VALUE {} TO {}",
            qualified(schema.as_deref(), name),
            literal(value),
            literal(new_value)
        )],
        _ => vec![],
    }
}

/// `bulk_insert`'s rows as one INSERT: the columns any row names, in the
/// order first named; a row without one gets DEFAULT.
fn insert_sql(target: &str, rows: &[serde_json::Map<String, serde_json::Value>]) -> Vec<String> {
    if rows.is_empty() {
        return vec![];
    }
    let mut cols: Vec<&String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    if cols.is_empty() {
        return vec![format!("INSERT INTO {target} DEFAULT VALUES"); rows.len()];
    }
    let values: Vec<String> = rows
        .iter()
        .map(|row| {
            let vals: Vec<String> = cols
                .iter()
                .map(|c| {
                    row.get(*c)
                        .map(value_sql)
                        .unwrap_or_else(|| "DEFAULT".into())
                })
                .collect();
            format!("({})", vals.join(", "))
        })
        .collect();
    let names: Vec<String> = cols.iter().map(|c| ident(c)).collect();
    vec![format!(
        "INSERT INTO {target} ({}) VALUES {}",
        names.join(", "),
        values.join(", ")
    )]
}

impl AlterColumn {
    /// `ALTER TABLE ... ALTER COLUMN ...` with every change but the
    /// comment, then `COMMENT ON COLUMN`: one or two statements.
    pub fn sql(&self) -> Vec<String> {
        let t = qualified(self.schema.as_deref(), &self.table);
        let c = ident(&self.column);
        let mut actions = Vec::new();
        if let Some(ty) = &self.type_name {
            let mut a = format!("ALTER COLUMN {c} TYPE {}", ty.trim());
            if let Some(u) = &self.using {
                a.push_str(&format!(" USING ({u})"));
            }
            actions.push(a);
        }
        match self.nullable {
            Some(true) => actions.push(format!("ALTER COLUMN {c} DROP NOT NULL")),
            Some(false) => actions.push(format!("ALTER COLUMN {c} SET NOT NULL")),
            None => {}
        }
        match &self.server_default {
            Some(Some(d)) => {
                actions.push(format!("ALTER COLUMN {c} SET DEFAULT {}", default_sql(d)))
            }
            Some(None) => actions.push(format!("ALTER COLUMN {c} DROP DEFAULT")),
            None => {}
        }
        let mut out = Vec::new();
        if !actions.is_empty() {
            out.push(format!("ALTER TABLE {t} {}", actions.join(", ")));
        }
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON COLUMN {t}.{c} IS {}",
                text.as_deref()
                    .map(literal)
                    .unwrap_or_else(|| "NULL".into())
            ));
        }
        out
    }
}

impl CreateIndex {
    /// `CREATE [UNIQUE] INDEX [CONCURRENTLY] ...`; expressions and the
    /// predicate are written as given, in parentheses.
    pub fn sql(&self) -> String {
        let mut keys: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        keys.extend(self.expressions.iter().map(|e| format!("({e})")));
        let mut sql = format!(
            "CREATE {}INDEX {}{} ON {}",
            if self.unique { "UNIQUE " } else { "" },
            if self.concurrently {
                "CONCURRENTLY "
            } else {
                ""
            },
            ident(&self.name),
            qualified(self.schema.as_deref(), &self.table)
        );
        if let Some(m) = &self.method {
            sql.push_str(&format!(" USING {}", ident(m)));
        }
        sql.push_str(&format!(" ({})", keys.join(", ")));
        if let Some(w) = &self.where_ {
            sql.push_str(&format!(" WHERE ({w})"));
        }
        sql
    }
}

impl AddConstraint {
    /// `ALTER TABLE ... ADD CONSTRAINT ...`; a check's expression is
    /// written as given.
    pub fn sql(&self) -> String {
        let columns = idents(&self.columns);
        let body = match self.kind {
            ConstraintKind::PrimaryKey => format!("PRIMARY KEY ({columns})"),
            ConstraintKind::Unique => format!("UNIQUE ({columns})"),
            ConstraintKind::Check => {
                format!("CHECK ({})", self.expression.as_deref().unwrap_or("true"))
            }
            ConstraintKind::ForeignKey => {
                let mut fk = format!("FOREIGN KEY ({columns})");
                if let Some(r) = &self.references {
                    fk.push_str(&format!(
                        " REFERENCES {} ({})",
                        qualified(r.schema.as_deref(), &r.table),
                        idents(&r.columns)
                    ));
                }
                for (clause, action) in [
                    ("ON DELETE", &self.on_delete),
                    ("ON UPDATE", &self.on_update),
                ] {
                    if let Some(sql) = action.as_deref().and_then(fk_action) {
                        fk.push_str(&format!(" {clause} {sql}"));
                    }
                }
                fk
            }
        };
        let mut sql = format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {body}",
            qualified(self.schema.as_deref(), &self.table),
            ident(&self.name)
        );
        if self.deferrable {
            sql.push_str(" DEFERRABLE");
            if self.initially_deferred {
                sql.push_str(" INITIALLY DEFERRED");
            }
        }
        if self.not_valid {
            sql.push_str(" NOT VALID");
        }
        sql
    }
}

/// Text for an SQL `--` comment: line breaks would end the comment, so
/// they become spaces.
pub fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column definition: `"name" type [DEFAULT ...] [NOT NULL]`.
pub fn column_sql(c: &Column) -> String {
    let mut sql = format!("{} {}", ident(&c.name), c.type_name.trim());
    if let Some(d) = &c.server_default {
        sql.push_str(" DEFAULT ");
        sql.push_str(&default_sql(d));
    }
    match c.identity {
        Some(Identity::Always) => sql.push_str(" GENERATED ALWAYS AS IDENTITY"),
        Some(Identity::ByDefault) => sql.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
        None => {}
    }
    if let Some(g) = &c.generated {
        sql.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    }
    if !c.nullable {
        sql.push_str(" NOT NULL");
    }
    sql
}

/// A JSON value as an SQL literal for `bulk_insert`: strings, numbers and
/// booleans as themselves, null as NULL, arrays and objects as JSON text.
fn value_sql(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => literal(s),
        other => literal(&other.to_string()),
    }
}

/// A line of a planned op: SQL to run, or a note saying which strategy
/// was chosen (a NOTICE when run, a comment offline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Sql(String),
    Note(String),
}

impl Line {
    /// As text: the SQL, or the note as an SQL comment.
    pub fn text(&self) -> String {
        match self {
            Line::Sql(s) => s.clone(),
            Line::Note(n) => format!("-- {}", one_line(n)),
        }
    }
}

/// One step of an offline script.
pub struct ScriptStep<'a> {
    /// `Running upgrade a -> b, message`
    pub title: String,
    pub revision: &'a str,
    pub upgrade: bool,
    /// the step's statements, as a run executes them (a `--` line says
    /// which strategy was chosen where there was a choice)
    pub statements: Vec<Line>,
    /// version rows this step removes and adds
    pub removed: Vec<&'a str>,
    pub added: Vec<&'a str>,
    /// the statements run at top level, outside the transaction
    /// (concurrent index ops), as Alembic's autocommit_block does
    pub concurrent: bool,
}

/// The offline script of a plan: `BEGIN`, each step's op statements and
/// its changes to `migrate.version` and `migrate.applied`, `COMMIT`. The op
/// statements are exactly what a run executes and logs.
pub fn script(steps: &[ScriptStep]) -> Vec<String> {
    let mut out = vec!["BEGIN;".to_string()];
    for s in steps {
        out.push(format!("-- {}", one_line(&s.title)));
        if s.concurrent {
            out.push("COMMIT;".to_string());
        }
        for line in &s.statements {
            match line {
                Line::Note(_) => out.push(line.text()),
                Line::Sql(sql) => {
                    let end = if sql.trim_end().ends_with(';') {
                        ""
                    } else {
                        ";"
                    };
                    out.push(format!("{sql}{end}"));
                }
            }
        }
        if s.concurrent {
            out.push("BEGIN;".to_string());
        }
        match (s.removed.as_slice(), s.added.as_slice()) {
            ([old], [new]) => out.push(format!(
                "UPDATE migrate.version SET version_num = {} WHERE version_num = {};",
                literal(new),
                literal(old)
            )),
            (removed, added) => {
                for old in removed {
                    out.push(format!(
                        "DELETE FROM migrate.version WHERE version_num = {};",
                        literal(old)
                    ));
                }
                for new in added {
                    out.push(format!(
                        "INSERT INTO migrate.version (version_num) VALUES ({});",
                        literal(new)
                    ));
                }
            }
        }
        out.push(if s.upgrade {
            format!(
                "INSERT INTO migrate.applied (revision, checksum) \
                 SELECT r.id, migrate._checksum(r) FROM migrate.revisions r WHERE r.id = {} \
                 ON CONFLICT (revision) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now();",
                literal(s.revision)
            )
        } else {
            format!(
                "DELETE FROM migrate.applied WHERE revision = {};",
                literal(s.revision)
            )
        });
    }
    out.push("COMMIT;".to_string());
    out
}

/// The SQL of a column default.
pub fn default_sql(d: &ServerDefault) -> String {
    match d {
        ServerDefault::Text(s) => literal(s),
        // A JSON number is digits, sign, point and exponent only.
        ServerDefault::Number(n) => n.to_string(),
        ServerDefault::Bool(b) => b.to_string(),
        ServerDefault::Sql(s) => format!("({s})"),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::ops::parse_ops;
    use serde_json::json;

    /// Integers of any size keep every digit: above u64, above u128, and
    /// in exponent form.
    #[test]
    fn integers_keep_every_digit() {
        for n in [
            "18446744073709551617",
            "340282366920938463463374607431768211455",
            "340282366920938463463374607431768211457",
            "-170141183460469231731687303715884105729",
            "12.5e400",
        ] {
            let text = format!(
                r#"[{{"op": "add_column", "table": "t", "column": {{"name": "c", "type": "numeric", "server_default": {n}}}}},
                    {{"op": "bulk_insert", "table": "t", "rows": [{{"c": {n}}}]}}]"#
            );
            let v = crate::ops::parse_json("r", "upgrade", &text).unwrap();
            let ops = parse_ops("r", "upgrade", &v).unwrap();
            let sql: Vec<String> = ops.iter().flat_map(render).collect();
            let shown = n.replace("e", "e+");
            assert!(sql[0].ends_with(&format!("DEFAULT {shown}")), "{sql:?}");
            assert!(sql[1].ends_with(&format!("VALUES ({shown})")), "{sql:?}");
        }
    }

    proptest::proptest! {
        /// An op parsed back from its canonical JSON renders the same SQL.
        #[test]
        fn parsed_ops_render_alike(ops in proptest::collection::vec(crate::ops::tests::round_trip::op(), 0..6)) {
            let back = parse_ops("r", "upgrade", &crate::ops::to_json(&ops)).unwrap();
            let a: Vec<String> = ops.iter().flat_map(render).collect();
            let b: Vec<String> = back.iter().flat_map(render).collect();
            proptest::prop_assert_eq!(a, b);
        }
    }

    fn sql(v: serde_json::Value) -> Vec<String> {
        parse_ops("r", "upgrade", &v)
            .unwrap()
            .iter()
            .flat_map(render)
            .collect()
    }

    #[test]
    fn the_guide_example_renders_type_before_column() {
        assert_eq!(
            sql(json!([
                {"op":"create_enum","name":"my_enum_type","values":["option1","option2","option3"]},
                {"op":"add_column","table":"my_table","column":{"name":"my_enum_column","type":"my_enum_type","nullable":false,"server_default":"option1"}}
            ])),
            vec![
                "CREATE TYPE \"my_enum_type\" AS ENUM ('option1', 'option2', 'option3')",
                "ALTER TABLE \"my_table\" ADD COLUMN \"my_enum_column\" my_enum_type DEFAULT 'option1' NOT NULL",
            ]
        );
    }

    #[test]
    fn drops_never_cascade() {
        let out = sql(json!([
            {"op":"drop_column","schema":"s","table":"t","column":"c"},
            {"op":"drop_enum","name":"e"}
        ]));
        assert_eq!(
            out,
            vec![
                "ALTER TABLE \"s\".\"t\" DROP COLUMN \"c\"",
                "DROP TYPE IF EXISTS \"e\""
            ]
        );
        assert!(out.iter().all(|s| !s.to_uppercase().contains("CASCADE")));
    }

    #[test]
    fn odd_identifiers_stay_identifiers() {
        let out = sql(json!([
            {"op":"drop_column","table":"x\"; DROP TABLE victim; --","column":"it's"}
        ]));
        assert_eq!(
            out,
            vec!["ALTER TABLE \"x\"\"; DROP TABLE victim; --\" DROP COLUMN \"it's\""]
        );
    }

    #[test]
    fn scripts_wrap_steps_and_move_the_version() {
        let ops = parse_ops(
            "b",
            "upgrade",
            &json!([{"op":"execute","sql":"CREATE TABLE t (id int);"},{"op":"drop_enum","name":"e"}]),
        )
        .unwrap();
        let out = script(&[
            ScriptStep {
                title: "Running upgrade a -> b, two".into(),
                revision: "b",
                upgrade: true,
                statements: ops.iter().flat_map(render).map(Line::Sql).collect(),
                removed: vec!["a"],
                added: vec!["b"],
                concurrent: false,
            },
            ScriptStep {
                title: "Running upgrade  -> x, other root".into(),
                revision: "x",
                upgrade: true,
                statements: vec![],
                removed: vec![],
                added: vec!["x"],
                concurrent: false,
            },
        ]);
        assert_eq!(out[0], "BEGIN;");
        assert_eq!(out[1], "-- Running upgrade a -> b, two");
        assert_eq!(out[2], "CREATE TABLE t (id int);");
        assert_eq!(out[3], "DROP TYPE IF EXISTS \"e\";");
        assert_eq!(
            out[4],
            "UPDATE migrate.version SET version_num = 'b' WHERE version_num = 'a';"
        );
        assert!(out[5].starts_with("INSERT INTO migrate.applied"));
        assert_eq!(
            out[7],
            "INSERT INTO migrate.version (version_num) VALUES ('x');"
        );
        assert_eq!(out.last().map(String::as_str), Some("COMMIT;"));
    }

    #[test]
    fn table_index_and_constraint_ops() {
        let out = sql(json!([
            {"op":"create_table","name":"account","columns":[
                {"name":"id","type":"bigint","nullable":false},
                {"name":"name","type":"varchar(50)","server_default":"n/a"}],
             "primary_key":["id"]},
            {"op":"create_index","name":"account_name_idx","table":"account","columns":["name"],
             "expressions":["lower(name)"],"unique":true,"where":"name IS NOT NULL","method":"btree"},
            {"op":"add_constraint","table":"account","name":"account_name_check","kind":"check","expression":"name <> ''"},
            {"op":"add_constraint","table":"t","name":"t_fk","kind":"foreign_key","columns":["a"],
             "references":{"table":"account","columns":["id"]},"on_delete":"set_null","deferrable":true,"initially_deferred":true},
            {"op":"rename_column","table":"account","column":"name","new_name":"full name"},
            {"op":"alter_column","table":"account","column":"id","type":"numeric","using":"id::numeric",
             "nullable":true,"server_default":null,"comment":"it's the key"},
            {"op":"bulk_insert","table":"account","rows":[{"id":1,"name":"a'b"},{"id":2}]},
            {"op":"add_enum_value","name":"mood","value":"meh","after":"ok","if_not_exists":true},
            {"op":"rename_enum_value","name":"mood","value":"meh","new_value":"so-so"}
        ]));
        assert_eq!(
            out,
            vec![
                "CREATE TABLE \"account\" (\"id\" bigint NOT NULL, \"name\" varchar(50) DEFAULT 'n/a', PRIMARY KEY (\"id\"))",
                "CREATE UNIQUE INDEX \"account_name_idx\" ON \"account\" USING \"btree\" (\"name\", (lower(name))) WHERE (name IS NOT NULL)",
                "ALTER TABLE \"account\" ADD CONSTRAINT \"account_name_check\" CHECK (name <> '')",
                "ALTER TABLE \"t\" ADD CONSTRAINT \"t_fk\" FOREIGN KEY (\"a\") REFERENCES \"account\" (\"id\") ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED",
                "ALTER TABLE \"account\" RENAME COLUMN \"name\" TO \"full name\"",
                "ALTER TABLE \"account\" ALTER COLUMN \"id\" TYPE numeric USING (id::numeric), ALTER COLUMN \"id\" DROP NOT NULL, ALTER COLUMN \"id\" DROP DEFAULT",
                "COMMENT ON COLUMN \"account\".\"id\" IS 'it''s the key'",
                "INSERT INTO \"account\" (\"id\", \"name\") VALUES (1, 'a''b'), (2, DEFAULT)",
                "ALTER TYPE \"mood\" ADD VALUE IF NOT EXISTS 'meh' AFTER 'ok'",
                "ALTER TYPE \"mood\" RENAME VALUE 'meh' TO 'so-so'",
            ]
        );
    }

    #[test]
    fn not_valid_and_validate() {
        let out = sql(json!([
            {"op":"add_constraint","table":"t","name":"t_fk","kind":"foreign_key","columns":["a"],
             "references":{"table":"u","columns":["id"]},"deferrable":true,"not_valid":true},
            {"op":"add_constraint","schema":"s","table":"t","name":"t_a_check","kind":"check",
             "expression":"a > 0","not_valid":true},
            {"op":"validate_constraint","schema":"s","table":"t","name":"t_a_check"},
            {"op":"validate_constraint","table":"t","name":"Odd \"Name\""}
        ]));
        assert_eq!(
            out,
            vec![
                "ALTER TABLE \"t\" ADD CONSTRAINT \"t_fk\" FOREIGN KEY (\"a\") REFERENCES \"u\" (\"id\") DEFERRABLE NOT VALID",
                "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"t_a_check\" CHECK (a > 0) NOT VALID",
                "ALTER TABLE \"s\".\"t\" VALIDATE CONSTRAINT \"t_a_check\"",
                "ALTER TABLE \"t\" VALIDATE CONSTRAINT \"Odd \"\"Name\"\"\"",
            ]
        );
    }

    #[test]
    fn defaults_render_by_kind() {
        let out = sql(json!([
            {"op":"add_column","table":"t","column":{"name":"a","type":"int","server_default":-5}},
            {"op":"add_column","table":"t","column":{"name":"b","type":"bool","server_default":false}},
            {"op":"add_column","table":"t","column":{"name":"c","type":"text","server_default":"it's"}},
            {"op":"add_column","table":"t","column":{"name":"d","type":"timestamptz","server_default":{"sql":"now()"}}}
        ]));
        assert!(out[0].ends_with("int DEFAULT -5"));
        assert!(out[1].ends_with("bool DEFAULT false"));
        assert!(out[2].ends_with("text DEFAULT 'it''s'"));
        assert!(out[3].ends_with("timestamptz DEFAULT (now())"));
    }
}
