//! The typed operations a revision is made of.
//!
//! A revision's `upgrade` and `downgrade` are JSON arrays of objects tagged by
//! `"op"`. This module parses them strictly (an unknown op or field is an
//! error that names it), validates what JSON alone cannot say, and derives
//! the inverse of an op list where every op has one.

use crate::error::{MigrateError, Result};
use crate::quote::check_ident;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// `CREATE TYPE name AS ENUM (values)`, left alone when a type of that
    /// name with exactly these values already exists.
    CreateEnum {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        values: Vec<String>,
    },
    /// `DROP TYPE IF EXISTS name`, refused while a column uses the type.
    DropEnum {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
    },
    /// `ALTER TABLE table ADD COLUMN ...`.
    AddColumn {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        table: String,
        column: Column,
    },
    /// `ALTER TABLE table DROP COLUMN column`.
    DropColumn {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        table: String,
        column: String,
    },
    /// Raw SQL, run as given.
    Execute { sql: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    /// Any PostgreSQL type name, as written in SQL (`text`, `varchar(20)`,
    /// `my_enum[]`); resolved against the catalog before use.
    #[serde(rename = "type")]
    pub type_name: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub nullable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_default: Option<ServerDefault>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A column default: a JSON string, number or boolean is a literal;
/// `{"sql": "now()"}` is an SQL expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub enum ServerDefault {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
    Sql(String),
}

impl TryFrom<Value> for ServerDefault {
    type Error = String;
    fn try_from(v: Value) -> std::result::Result<Self, String> {
        match v {
            Value::String(s) => Ok(ServerDefault::Text(s)),
            Value::Number(n) => Ok(ServerDefault::Number(n)),
            Value::Bool(b) => Ok(ServerDefault::Bool(b)),
            Value::Object(map) => match (map.get("sql"), map.len()) {
                (Some(Value::String(s)), 1) => Ok(ServerDefault::Sql(s.clone())),
                _ => Err("server_default as an object must be {\"sql\": \"<expression>\"}".into()),
            },
            other => Err(format!(
                "server_default must be a string, number, boolean or {{\"sql\": ...}}, not {}",
                json_kind(&other)
            )),
        }
    }
}

impl From<ServerDefault> for Value {
    fn from(d: ServerDefault) -> Value {
        match d {
            ServerDefault::Text(s) => Value::String(s),
            ServerDefault::Number(n) => Value::Number(n),
            ServerDefault::Bool(b) => Value::Bool(b),
            ServerDefault::Sql(s) => serde_json::json!({ "sql": s }),
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Op {
    /// The `"op"` tag, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::CreateEnum { .. } => "create_enum",
            Op::DropEnum { .. } => "drop_enum",
            Op::AddColumn { .. } => "add_column",
            Op::DropColumn { .. } => "drop_column",
            Op::Execute { .. } => "execute",
        }
    }

    /// The op that undoes this one, when it can be derived.
    pub fn inverse(&self) -> Option<Op> {
        match self {
            Op::CreateEnum { schema, name, .. } => Some(Op::DropEnum {
                schema: schema.clone(),
                name: name.clone(),
            }),
            Op::AddColumn {
                schema,
                table,
                column,
            } => Some(Op::DropColumn {
                schema: schema.clone(),
                table: table.clone(),
                column: column.name.clone(),
            }),
            Op::DropEnum { .. } | Op::DropColumn { .. } | Op::Execute { .. } => None,
        }
    }

    /// What JSON cannot say: identifiers that PostgreSQL would truncate or
    /// refuse, duplicate enum values, empty SQL.
    fn validate(&self) -> std::result::Result<(), String> {
        let name_ok = |field: &str, v: &str| match check_ident(v) {
            Some(why) => Err(format!("field \"{field}\" ({v:?}) {why}")),
            None => Ok(()),
        };
        let schema_ok = |s: &Option<String>| match s {
            Some(s) => name_ok("schema", s),
            None => Ok(()),
        };
        match self {
            Op::CreateEnum {
                schema,
                name,
                values,
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                for (i, v) in values.iter().enumerate() {
                    if v.is_empty() || v.len() > crate::quote::MAX_IDENT_BYTES || v.contains('\0') {
                        return Err(format!(
                            "enum value {v:?} must be 1 to {} bytes without NUL",
                            crate::quote::MAX_IDENT_BYTES
                        ));
                    }
                    if values[..i].contains(v) {
                        return Err(format!("enum value {v:?} is listed twice"));
                    }
                }
                Ok(())
            }
            Op::DropEnum { schema, name } => {
                schema_ok(schema)?;
                name_ok("name", name)
            }
            Op::AddColumn {
                schema,
                table,
                column,
            } => {
                schema_ok(schema)?;
                name_ok("table", table)?;
                name_ok("column.name", &column.name)?;
                check_type_text(&column.type_name)?;
                match &column.server_default {
                    Some(ServerDefault::Text(s)) | Some(ServerDefault::Sql(s))
                        if s.contains('\0') =>
                    {
                        Err("server_default must not contain a NUL character".into())
                    }
                    Some(ServerDefault::Sql(s)) if s.trim().is_empty() => {
                        Err("server_default {\"sql\": ...} must not be empty".into())
                    }
                    _ => Ok(()),
                }
            }
            Op::DropColumn {
                schema,
                table,
                column,
            } => {
                schema_ok(schema)?;
                name_ok("table", table)?;
                name_ok("column", column)
            }
            Op::Execute { sql } => {
                if sql.trim().is_empty() {
                    Err("field \"sql\" must not be empty".into())
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// A column type is written into the SQL as given, so it must be nothing but
/// a type name: outside double-quoted identifiers, no comment, string,
/// dollar quote or statement break. (The run then has PostgreSQL's own
/// type-name parser confirm it is exactly one type.)
pub fn check_type_text(t: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("field \"column.type\" ({t:?}) {why}"));
    if t.trim().is_empty() {
        return bad("must name a type");
    }
    let mut chars = t.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (_, '\0') => return bad("must not contain a NUL character"),
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (_, '"') => quoted = !quoted,
            (true, _) => {}
            (false, '-') if chars.peek() == Some(&'-') => return bad("must not contain a comment"),
            (false, '/') if chars.peek() == Some(&'*') => return bad("must not contain a comment"),
            (false, ';' | '\'' | '$' | '\\') => {
                return bad("must be a type name, as in SQL: integer, varchar(20), text[], my_enum")
            }
            _ => {}
        }
    }
    if quoted {
        return bad("has an unterminated quoted identifier");
    }
    Ok(())
}

/// Where an op list came from, for messages: `revision abc, upgrade op 2`.
pub fn op_label(revision: &str, direction: &str, index: usize, op: Option<&Op>) -> String {
    match op {
        Some(op) => format!(
            "revision {revision}, {direction} op {} ({})",
            index + 1,
            op.kind()
        ),
        None => format!("revision {revision}, {direction} op {}", index + 1),
    }
}

/// Read JSON text (as PostgreSQL prints a jsonb value). Numbers keep their
/// exact digits; nesting deeper than serde_json's limit is an error, not a
/// crash.
pub fn parse_json(revision: &str, direction: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        MigrateError::invalid(format!(
            "revision {revision}: {direction} is not usable JSON: {e}"
        ))
    })
}

/// Parse a JSON array of ops. `direction` is `upgrade` or `downgrade`.
pub fn parse_ops(revision: &str, direction: &str, json: &Value) -> Result<Vec<Op>> {
    let items = match json {
        Value::Array(items) => items,
        other => {
            return Err(MigrateError::invalid(format!(
                "revision {revision}: {direction} must be a JSON array of ops, not {}",
                json_kind(other)
            ))
            .with_hint(r#"For example: [{"op": "execute", "sql": "..."}]"#))
        }
    };
    let mut ops = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let tag = item.get("op").and_then(Value::as_str).unwrap_or("?");
        let label = format!("revision {revision}, {direction} op {} ({tag})", i + 1);
        if !item.is_object() {
            return Err(MigrateError::invalid(format!(
                "{label}: an op must be a JSON object, not {}",
                json_kind(item)
            )));
        }
        let op: Op = serde_json::from_value(item.clone()).map_err(|e| {
            MigrateError::invalid(format!("{label}: {e}")).with_hint(
                "Ops are create_enum, drop_enum, add_column, drop_column and execute; see docs/ops.md.",
            )
        })?;
        op.validate()
            .map_err(|why| MigrateError::invalid(format!("{label}: {why}")))?;
        ops.push(op);
    }
    Ok(ops)
}

/// The downgrade of a revision: the explicit one, or the inverse of the
/// upgrade (ops inverted, in reverse order). Refused when an upgrade op has
/// no inverse and no explicit downgrade is given.
pub fn downgrade_ops(revision: &str, upgrade: &[Op], explicit: Option<Vec<Op>>) -> Result<Vec<Op>> {
    if let Some(ops) = explicit {
        return Ok(ops);
    }
    upgrade
        .iter()
        .enumerate()
        .rev()
        .map(|(i, op)| {
            op.inverse().ok_or_else(|| {
                MigrateError::new(
                    crate::error::code::NO_DOWNGRADE,
                    format!(
                        "{}: has no automatic inverse, and the revision gives no downgrade",
                        op_label(revision, "upgrade", i, Some(op))
                    ),
                )
                .with_hint("Pass downgrade => '[...]' (an explicit list of ops; '[]' for none).")
            })
        })
        .collect()
}

/// A canonical JSON form of an op list (fields in a fixed order, defaults
/// omitted), used to store what was validated.
pub fn to_json(ops: &[Op]) -> Value {
    serde_json::to_value(ops).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Vec<Op>> {
        parse_ops("abc", "upgrade", &v)
    }

    #[test]
    fn parses_the_guide_example() {
        let ops = parse(json!([
            {"op":"create_enum","name":"my_enum_type","values":["option1","option2","option3"]},
            {"op":"add_column","table":"my_table","column":{"name":"my_enum_column","type":"my_enum_type","nullable":false,"server_default":"option1"}}
        ]))
        .unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(
            ops[1],
            Op::AddColumn {
                schema: None,
                table: "my_table".into(),
                column: Column {
                    name: "my_enum_column".into(),
                    type_name: "my_enum_type".into(),
                    nullable: false,
                    server_default: Some(ServerDefault::Text("option1".into())),
                }
            }
        );
    }

    #[test]
    fn inverse_of_the_guide_example_is_its_downgrade() {
        let ops = parse(json!([
            {"op":"create_enum","name":"e","values":["a"]},
            {"op":"add_column","table":"t","column":{"name":"c","type":"e"}}
        ]))
        .unwrap();
        let down = downgrade_ops("abc", &ops, None).unwrap();
        assert_eq!(
            down,
            vec![
                Op::DropColumn {
                    schema: None,
                    table: "t".into(),
                    column: "c".into()
                },
                Op::DropEnum {
                    schema: None,
                    name: "e".into()
                },
            ]
        );
    }

    #[test]
    fn missing_inverse_names_the_op() {
        let ops = parse(json!([{"op":"execute","sql":"SELECT 1"}])).unwrap();
        let err = downgrade_ops("abc", &ops, None).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
        assert!(err.message.contains("revision abc, upgrade op 1 (execute)"));
        assert!(downgrade_ops("abc", &ops, Some(vec![])).unwrap().is_empty());
    }

    #[test]
    fn unknown_op_and_field_are_named() {
        let err = parse(json!([{"op":"create_enumm","name":"x","values":[]}])).unwrap_err();
        assert_eq!(err.sqlstate(), "22023");
        assert!(err.message.contains("create_enumm"), "{}", err.message);
        let err =
            parse(json!([{"op":"create_enum","name":"x","values":[],"colour":1}])).unwrap_err();
        assert!(err.message.contains("colour"), "{}", err.message);
        assert!(
            err.message.contains("op 1 (create_enum)"),
            "{}",
            err.message
        );
        let err = parse(json!([{"op":"add_column","table":"t","column":{"name":"c","type":"int","nulable":true}}])).unwrap_err();
        assert!(err.message.contains("nulable"), "{}", err.message);
    }

    #[test]
    fn shapes_are_checked() {
        assert!(parse(json!({"op":"execute"})).is_err());
        assert!(parse(json!([1])).is_err());
        assert!(parse(json!([{"sql":"x"}])).is_err());
        assert!(parse(json!([{"op":"execute","sql":"  "}])).is_err());
        assert!(parse(json!([{"op":"create_enum","name":"e","values":["a","a"]}])).is_err());
        assert!(parse(json!([{"op":"create_enum","name":"","values":[]}])).is_err());
        let long = "x".repeat(64);
        assert!(parse(json!([{"op":"drop_enum","name":long}])).is_err());
        assert!(parse(json!([{"op":"add_column","table":"t","column":{"name":"c","type":"int","server_default":[1]}}])).is_err());
        assert!(parse(json!([{"op":"add_column","table":"t","column":{"name":"c","type":"int","server_default":{"sql":"1","x":2}}}])).is_err());
        assert!(parse(json!([])).unwrap().is_empty());
    }

    #[test]
    fn type_text_is_a_type_name_only() {
        for ok in [
            "integer",
            "varchar(20)",
            "text[]",
            "timestamp with time zone",
            "\"My--Type\"",
            "\"a\"\"b\".t",
            "numeric(5,2)[]",
        ] {
            assert!(check_type_text(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            " ",
            "int --",
            "int /* x */",
            "int; DROP TABLE t",
            "int DEFAULT 'x'",
            "\"open",
            "int$$",
            "a\\b",
        ] {
            assert!(check_type_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_default_forms() {
        let ops = parse(json!([
            {"op":"add_column","table":"t","column":{"name":"a","type":"int","server_default":5}},
            {"op":"add_column","table":"t","column":{"name":"b","type":"bool","server_default":true}},
            {"op":"add_column","table":"t","column":{"name":"c","type":"timestamptz","server_default":{"sql":"now()"}}}
        ]))
        .unwrap();
        let defaults: Vec<_> = ops
            .iter()
            .map(|op| match op {
                Op::AddColumn { column, .. } => column.server_default.clone(),
                _ => None,
            })
            .collect();
        assert_eq!(
            defaults,
            vec![
                Some(ServerDefault::Number(5.into())),
                Some(ServerDefault::Bool(true)),
                Some(ServerDefault::Sql("now()".into()))
            ]
        );
    }

    #[test]
    fn numbers_keep_their_digits_and_depth_is_bounded() {
        let v = parse_json("r", "upgrade", r#"[{"op":"add_column","table":"t","column":{"name":"c","type":"numeric","server_default":123456789012345678901234567890.50}}]"#).unwrap();
        let ops = parse(v).unwrap();
        let Op::AddColumn { column, .. } = &ops[0] else {
            panic!("not add_column")
        };
        assert_eq!(
            crate::render::default_sql(column.server_default.as_ref().unwrap()),
            "123456789012345678901234567890.50"
        );
        assert!(parse_json("r", "upgrade", "[1e400]").is_ok());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            parse_json("r", "upgrade", &deep).unwrap_err().sqlstate(),
            "22023"
        );
    }

    #[test]
    fn canonical_json_round_trips() {
        let v = json!([
            {"op":"add_column","schema":"s","table":"t","column":{"name":"c","type":"int","nullable":false,"server_default":{"sql":"1+1"}}},
            {"op":"execute","sql":"SELECT 1"}
        ]);
        let ops = parse(v.clone()).unwrap();
        assert_eq!(to_json(&ops), v);
        assert_eq!(parse(to_json(&ops)).unwrap(), ops);
    }
}
