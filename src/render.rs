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

/// One step of an offline script.
pub struct ScriptStep<'a> {
    /// `Running upgrade a -> b, message`
    pub title: String,
    pub revision: &'a str,
    pub upgrade: bool,
    pub ops: &'a [Op],
    /// version rows this step removes and adds
    pub removed: Vec<&'a str>,
    pub added: Vec<&'a str>,
}

/// The offline script of a plan: `BEGIN`, each step's op statements and
/// its changes to `migrate.version` and `migrate.applied`, `COMMIT`. The op
/// statements are exactly what a run executes and logs.
pub fn script(steps: &[ScriptStep]) -> Vec<String> {
    let mut out = vec!["BEGIN;".to_string()];
    for s in steps {
        out.push(format!("-- {}", s.title.replace('\n', " ")));
        for op in s.ops {
            for sql in render(op) {
                let end = if sql.trim_end().ends_with(';') {
                    ""
                } else {
                    ";"
                };
                out.push(format!("{sql}{end}"));
            }
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
                ops: &ops,
                removed: vec!["a"],
                added: vec!["b"],
            },
            ScriptStep {
                title: "Running upgrade  -> x, other root".into(),
                revision: "x",
                upgrade: true,
                ops: &[],
                removed: vec![],
                added: vec!["x"],
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
