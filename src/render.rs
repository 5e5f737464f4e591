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

use crate::ops::{Op, ServerDefault};
use crate::quote::{ident, literal, qualified};

/// The SQL statements one op runs, in order.
pub fn render(op: &Op) -> Vec<String> {
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
        Op::AddColumn {
            schema,
            table,
            column,
        } => {
            let mut sql = format!(
                "ALTER TABLE {} ADD COLUMN {} {}",
                qualified(schema.as_deref(), table),
                ident(&column.name),
                column.type_name.trim()
            );
            if let Some(d) = &column.server_default {
                sql.push_str(" DEFAULT ");
                sql.push_str(&default_sql(d));
            }
            if !column.nullable {
                sql.push_str(" NOT NULL");
            }
            vec![sql]
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
        Op::Execute { sql } => vec![sql.clone()],
    }
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
