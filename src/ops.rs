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
    /// Raw SQL, run as given; `down`, when given, is its inverse.
    Execute {
        sql: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        down: Option<String>,
    },
    /// `CREATE TABLE name (columns, PRIMARY KEY (...))`.
    CreateTable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        columns: Vec<Column>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        primary_key: Vec<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        if_not_exists: bool,
    },
    /// `DROP TABLE name` (never CASCADE).
    DropTable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
    },
    /// `ALTER TABLE name RENAME TO new_name`.
    RenameTable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        new_name: String,
    },
    /// `ALTER TABLE table RENAME COLUMN column TO new_name`.
    RenameColumn {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        table: String,
        column: String,
        new_name: String,
    },
    /// `ALTER TABLE table ALTER COLUMN column ...`: any of a new type (with
    /// `using`), nullability, a default set or dropped (`null`), a comment
    /// set or dropped (`null`).
    AlterColumn(AlterColumn),
    /// `CREATE [UNIQUE] INDEX name ON table [USING method] (...) [WHERE ...]`.
    CreateIndex(CreateIndex),
    /// `DROP INDEX name`.
    DropIndex {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        /// `DROP INDEX CONCURRENTLY`, at top level by `CALL migrate.run`
        #[serde(default, skip_serializing_if = "is_false")]
        concurrently: bool,
    },
    /// `ALTER TABLE table ADD CONSTRAINT name ...`.
    AddConstraint(AddConstraint),
    /// `ALTER TABLE table DROP CONSTRAINT name`.
    DropConstraint {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        table: String,
        name: String,
    },
    /// `ALTER TABLE table VALIDATE CONSTRAINT name`: checks the existing
    /// rows against a constraint added `NOT VALID`.
    ValidateConstraint {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        table: String,
        name: String,
    },
    /// `INSERT INTO table (...) VALUES ...`: rows as JSON objects; a key a
    /// row leaves out gets the column's default.
    BulkInsert {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        table: String,
        rows: Vec<serde_json::Map<String, Value>>,
    },
    /// `ALTER TYPE name RENAME TO new_name`.
    RenameEnum {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        new_name: String,
    },
    /// `ALTER TYPE name ADD VALUE value [BEFORE | AFTER other]`:
    /// catalog-only, no table is rewritten.
    AddEnumValue {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        if_not_exists: bool,
    },
    /// Remove a value: a type swap (PostgreSQL has no DROP VALUE). Rows
    /// that hold the value get `replace_with`, or the op refuses.
    DropEnumValue {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replace_with: Option<String>,
    },
    /// The full list of values the type should have; the engine works out
    /// the adds (catalog-only) or the swap (removals, reorders).
    SetEnumValues {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        values: Vec<String>,
    },
    /// `ALTER TYPE name RENAME VALUE value TO new_value`: catalog-only.
    RenameEnumValue {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schema: Option<String>,
        name: String,
        value: String,
        new_value: String,
    },
}

/// `alter_column`'s fields: what of one column changes. A field left out
/// (`None`) is left as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlterColumn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub table: String,
    pub column: String,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub server_default: Option<Option<ServerDefault>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub comment: Option<Option<String>>,
}

/// `create_index`'s fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIndex {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    pub table: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// SQL expressions, written as given (like `execute`)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expressions: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// a partial index's predicate, SQL written as given
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// `CREATE INDEX CONCURRENTLY`: built at top level by
    /// `CALL migrate.run`, writes to the table go on meanwhile
    #[serde(default, skip_serializing_if = "is_false")]
    pub concurrently: bool,
}

/// `add_constraint`'s fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddConstraint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub table: String,
    pub name: String,
    pub kind: ConstraintKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// a check constraint's condition, SQL written as given
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<References>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub initially_deferred: bool,
    /// `NOT VALID` (check and foreign key constraints only): existing
    /// rows are not checked now; `validate_constraint` checks them later
    /// under a weaker lock.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_valid: bool,
}

impl AlterColumn {
    /// An `alter_column` of `schema.table.column` that changes nothing
    /// yet: set the fields that change.
    pub fn on(schema: Option<&str>, table: &str, column: &str) -> AlterColumn {
        AlterColumn {
            schema: schema.map(str::to_string),
            table: table.to_string(),
            column: column.to_string(),
            type_name: None,
            using: None,
            nullable: None,
            server_default: None,
            comment: None,
        }
    }

    /// Whether the op changes the column itself (`ALTER TABLE`), not only
    /// its comment.
    pub fn alters(&self) -> bool {
        self.type_name.is_some() || self.nullable.is_some() || self.server_default.is_some()
    }

    /// Whether the op changes nothing at all.
    pub fn is_empty(&self) -> bool {
        !self.alters() && self.comment.is_none()
    }

    fn validate(&self) -> std::result::Result<(), String> {
        schema_ok(&self.schema)?;
        name_ok("table", &self.table)?;
        name_ok("column", &self.column)?;
        if let Some(t) = &self.type_name {
            check_type_text(t)?;
        }
        match (&self.type_name, &self.using) {
            (None, Some(_)) => return Err("field \"using\" needs a \"type\"".into()),
            (_, Some(u)) => sql_ok("using", u)?,
            _ => {}
        }
        if let Some(Some(d)) = &self.server_default {
            default_ok(d)?;
        }
        if let Some(Some(c)) = &self.comment {
            if c.contains('\0') {
                return Err("comment must not contain a NUL character".into());
            }
        }
        if self.is_empty() {
            return Err(
                "alter_column needs at least one of type, nullable, server_default, comment".into(),
            );
        }
        Ok(())
    }
}

impl CreateIndex {
    fn validate(&self) -> std::result::Result<(), String> {
        schema_ok(&self.schema)?;
        name_ok("name", &self.name)?;
        name_ok("table", &self.table)?;
        for c in &self.columns {
            name_ok("columns", c)?;
        }
        for e in &self.expressions {
            sql_ok("expressions", e)?;
        }
        if self.columns.is_empty() && self.expressions.is_empty() {
            return Err("create_index needs columns or expressions".into());
        }
        if let Some(w) = &self.where_ {
            sql_ok("where", w)?;
        }
        if let Some(m) = &self.method {
            name_ok("method", m)?;
        }
        Ok(())
    }

    /// The `drop_index` that undoes it (concurrently when it was built so).
    pub fn inverse(&self) -> Op {
        Op::DropIndex {
            schema: self.schema.clone(),
            name: self.name.clone(),
            concurrently: self.concurrently,
        }
    }
}

impl AddConstraint {
    fn validate(&self) -> std::result::Result<(), String> {
        schema_ok(&self.schema)?;
        name_ok("table", &self.table)?;
        name_ok("name", &self.name)?;
        for c in &self.columns {
            name_ok("columns", c)?;
        }
        let fk = self.kind == ConstraintKind::ForeignKey;
        let check = self.kind == ConstraintKind::Check;
        match (check, &self.expression) {
            (true, None) => return Err("a check constraint needs \"expression\"".into()),
            (true, Some(e)) => sql_ok("expression", e)?,
            (false, Some(_)) => return Err("only a check constraint takes \"expression\"".into()),
            (false, None) => {}
        }
        if check && !self.columns.is_empty() {
            return Err("a check constraint takes no \"columns\"".into());
        }
        if !check && self.columns.is_empty() {
            return Err("this constraint needs \"columns\"".into());
        }
        match (fk, &self.references) {
            (true, None) => return Err("a foreign key needs \"references\"".into()),
            (true, Some(r)) => {
                schema_ok(&r.schema)?;
                name_ok("references.table", &r.table)?;
                for c in &r.columns {
                    name_ok("references.columns", c)?;
                }
                if r.columns.len() != self.columns.len() {
                    return Err("a foreign key needs as many references.columns as columns".into());
                }
            }
            (false, Some(_)) => return Err("only a foreign key takes \"references\"".into()),
            (false, None) => {}
        }
        for (field, action) in [
            ("on_delete", &self.on_delete),
            ("on_update", &self.on_update),
        ] {
            if let Some(a) = action {
                if !fk {
                    return Err(format!("only a foreign key takes \"{field}\""));
                }
                if fk_action(a).is_none() {
                    return Err(format!(
                        "{field} {a:?} is not one of cascade, restrict, set null, set default, no action"
                    ));
                }
            }
        }
        if (self.deferrable || self.initially_deferred) && check {
            return Err("a check constraint cannot be deferrable".into());
        }
        if self.initially_deferred && !self.deferrable {
            return Err("initially_deferred needs deferrable".into());
        }
        if self.not_valid && !check && !fk {
            return Err("only a check or foreign key constraint takes \"not_valid\"".into());
        }
        Ok(())
    }

    /// The `drop_constraint` that undoes it.
    pub fn inverse(&self) -> Op {
        Op::DropConstraint {
            schema: self.schema.clone(),
            table: self.table.clone(),
            name: self.name.clone(),
        }
    }
}

/// What an op acts on (see [`Op::subject`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// a table, a type or an index, by its own name (`bulk_insert`: the
    /// table it fills)
    Object {
        schema: Option<&'a str>,
        name: &'a str,
    },
    /// a column, constraint or index of a table
    Part {
        schema: Option<&'a str>,
        table: &'a str,
        name: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct References {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub table: String,
    pub columns: Vec<String>,
}

/// A field that may be present as `null` (Some(None)) or absent (None).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `ON DELETE` / `ON UPDATE` actions, as SQL.
pub fn fk_action(a: &str) -> Option<&'static str> {
    match a.to_ascii_lowercase().replace('_', " ").as_str() {
        "cascade" => Some("CASCADE"),
        "restrict" => Some("RESTRICT"),
        "set null" => Some("SET NULL"),
        "set default" => Some("SET DEFAULT"),
        "no action" => Some("NO ACTION"),
        _ => None,
    }
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
    /// `"always"` or `"by default"`: an identity column
    /// (`GENERATED ... AS IDENTITY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// A stored generated column: `GENERATED ALWAYS AS (expression) STORED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

/// How an identity column takes its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identity {
    #[serde(rename = "always")]
    Always,
    #[serde(rename = "by default")]
    ByDefault,
}

/// `serial`, `bigserial`, `smallserial` (and `serial2/4/8`): not types but
/// PostgreSQL's shorthand for an integer column with its own sequence.
pub fn is_serial(t: &str) -> bool {
    matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
    )
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

/// Every op's tag.
pub const OPS: [&str; 21] = [
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "rename_column",
    "alter_column",
    "create_index",
    "drop_index",
    "add_constraint",
    "drop_constraint",
    "validate_constraint",
    "bulk_insert",
    "execute",
    "create_enum",
    "drop_enum",
    "rename_enum",
    "add_enum_value",
    "rename_enum_value",
    "drop_enum_value",
    "set_enum_values",
];

impl Op {
    /// The `"op"` tag, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::CreateEnum { .. } => "create_enum",
            Op::DropEnum { .. } => "drop_enum",
            Op::AddColumn { .. } => "add_column",
            Op::DropColumn { .. } => "drop_column",
            Op::Execute { .. } => "execute",
            Op::CreateTable { .. } => "create_table",
            Op::DropTable { .. } => "drop_table",
            Op::RenameTable { .. } => "rename_table",
            Op::RenameColumn { .. } => "rename_column",
            Op::AlterColumn(_) => "alter_column",
            Op::CreateIndex(_) => "create_index",
            Op::DropIndex { .. } => "drop_index",
            Op::AddConstraint(_) => "add_constraint",
            Op::DropConstraint { .. } => "drop_constraint",
            Op::ValidateConstraint { .. } => "validate_constraint",
            Op::BulkInsert { .. } => "bulk_insert",
            Op::RenameEnum { .. } => "rename_enum",
            Op::AddEnumValue { .. } => "add_enum_value",
            Op::RenameEnumValue { .. } => "rename_enum_value",
            Op::DropEnumValue { .. } => "drop_enum_value",
            Op::SetEnumValues { .. } => "set_enum_values",
        }
    }

    /// The object the op acts on, as its fields name it (`None` for raw
    /// SQL).
    pub fn subject(&self) -> Option<Subject<'_>> {
        fn object<'a>(schema: &'a Option<String>, name: &'a str) -> Subject<'a> {
            Subject::Object {
                schema: schema.as_deref(),
                name,
            }
        }
        fn part<'a>(schema: &'a Option<String>, table: &'a str, name: &'a str) -> Subject<'a> {
            Subject::Part {
                schema: schema.as_deref(),
                table,
                name,
            }
        }
        Some(match self {
            Op::Execute { .. } => return None,
            Op::CreateEnum { schema, name, .. }
            | Op::DropEnum { schema, name }
            | Op::RenameEnum { schema, name, .. }
            | Op::AddEnumValue { schema, name, .. }
            | Op::RenameEnumValue { schema, name, .. }
            | Op::DropEnumValue { schema, name, .. }
            | Op::SetEnumValues { schema, name, .. }
            | Op::CreateTable { schema, name, .. }
            | Op::DropTable { schema, name }
            | Op::RenameTable { schema, name, .. }
            | Op::DropIndex { schema, name, .. } => object(schema, name),
            Op::BulkInsert { schema, table, .. } => object(schema, table),
            Op::AddColumn {
                schema,
                table,
                column,
            } => part(schema, table, &column.name),
            Op::DropColumn {
                schema,
                table,
                column,
            }
            | Op::RenameColumn {
                schema,
                table,
                column,
                ..
            } => part(schema, table, column),
            Op::AlterColumn(a) => part(&a.schema, &a.table, &a.column),
            Op::CreateIndex(i) => part(&i.schema, &i.table, &i.name),
            Op::AddConstraint(c) => part(&c.schema, &c.table, &c.name),
            Op::DropConstraint {
                schema,
                table,
                name,
            }
            | Op::ValidateConstraint {
                schema,
                table,
                name,
            } => part(schema, table, name),
        })
    }

    /// Whether the op must run at top level, outside any transaction
    /// (`CREATE/DROP INDEX CONCURRENTLY`).
    pub fn is_concurrent(&self) -> bool {
        matches!(
            self,
            Op::CreateIndex(CreateIndex {
                concurrently: true,
                ..
            }) | Op::DropIndex {
                concurrently: true,
                ..
            }
        )
    }

    /// The same op, run inside a transaction (the dry run's stand-in).
    pub fn without_concurrently(&self) -> Op {
        let mut op = self.clone();
        if let Op::CreateIndex(CreateIndex { concurrently, .. })
        | Op::DropIndex { concurrently, .. } = &mut op
        {
            *concurrently = false;
        }
        op
    }

    /// Whether the ops that undo this one are read from the catalog just
    /// before it runs, and recorded with the applied revision: the ops that
    /// change or remove a definition they do not hold themselves. (A
    /// concurrent `drop_index` runs outside the transaction that records,
    /// so it still needs an explicit downgrade.)
    pub fn recorded_inverse(&self) -> bool {
        matches!(
            self,
            Op::AlterColumn(_)
                | Op::DropColumn { .. }
                | Op::DropTable { .. }
                | Op::DropConstraint { .. }
                | Op::DropEnum { .. }
                | Op::DropEnumValue { .. }
                | Op::SetEnumValues { .. }
                | Op::DropIndex {
                    concurrently: false,
                    ..
                }
        )
    }

    /// The ops that undo this one, when they can be derived: the one op of
    /// [`Op::inverse`], or none at all for `validate_constraint` (a
    /// validated constraint needs no undoing; the inverse of the
    /// `add_constraint` that made it drops it).
    pub fn inverse_ops(&self) -> Option<Vec<Op>> {
        match self {
            Op::ValidateConstraint { .. } => Some(vec![]),
            _ => self.inverse().map(|op| vec![op]),
        }
    }

    /// The one op that undoes this one, when it can be derived (see
    /// [`Op::inverse_ops`] for ops undone by nothing).
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
            Op::Execute { sql, down } => down.as_ref().map(|d| Op::Execute {
                sql: d.clone(),
                down: Some(sql.clone()),
            }),
            Op::CreateTable { schema, name, .. } => Some(Op::DropTable {
                schema: schema.clone(),
                name: name.clone(),
            }),
            Op::RenameTable {
                schema,
                name,
                new_name,
            } => Some(Op::RenameTable {
                schema: schema.clone(),
                name: new_name.clone(),
                new_name: name.clone(),
            }),
            Op::RenameColumn {
                schema,
                table,
                column,
                new_name,
            } => Some(Op::RenameColumn {
                schema: schema.clone(),
                table: table.clone(),
                column: new_name.clone(),
                new_name: column.clone(),
            }),
            Op::CreateIndex(i) => Some(i.inverse()),
            Op::AddConstraint(c) => Some(c.inverse()),
            Op::RenameEnum {
                schema,
                name,
                new_name,
            } => Some(Op::RenameEnum {
                schema: schema.clone(),
                name: new_name.clone(),
                new_name: name.clone(),
            }),
            Op::RenameEnumValue {
                schema,
                name,
                value,
                new_value,
            } => Some(Op::RenameEnumValue {
                schema: schema.clone(),
                name: name.clone(),
                value: new_value.clone(),
                new_value: value.clone(),
            }),
            Op::DropEnum { .. }
            | Op::DropColumn { .. }
            | Op::DropTable { .. }
            | Op::AlterColumn(_)
            | Op::DropIndex { .. }
            | Op::DropConstraint { .. }
            | Op::ValidateConstraint { .. }
            | Op::BulkInsert { .. }
            | Op::DropEnumValue { .. }
            | Op::SetEnumValues { .. } => None,
            Op::AddEnumValue {
                schema,
                name,
                value,
                ..
            } => Some(Op::DropEnumValue {
                schema: schema.clone(),
                name: name.clone(),
                value: value.clone(),
                replace_with: None,
            }),
        }
    }

    /// What JSON cannot say: identifiers that PostgreSQL would truncate or
    /// refuse, duplicate enum values, empty SQL, impossible combinations.
    fn validate(&self) -> std::result::Result<(), String> {
        match self {
            Op::DropEnum { schema, name }
            | Op::DropTable { schema, name }
            | Op::DropIndex { schema, name, .. } => {
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
                column_ok("column", column)
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
            Op::Execute { sql, down } => {
                sql_ok("sql", sql)?;
                match down {
                    Some(d) => sql_ok("down", d),
                    None => Ok(()),
                }
            }
            Op::CreateTable {
                schema,
                name,
                columns,
                primary_key,
                ..
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                columns_ok(columns, primary_key)
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
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                name_ok("new_name", new_name)
            }
            Op::RenameColumn {
                schema,
                table,
                column,
                new_name,
            } => {
                schema_ok(schema)?;
                name_ok("table", table)?;
                name_ok("column", column)?;
                name_ok("new_name", new_name)
            }
            Op::AlterColumn(a) => a.validate(),
            Op::CreateIndex(i) => i.validate(),
            Op::AddConstraint(c) => c.validate(),
            Op::DropConstraint {
                schema,
                table,
                name,
            }
            | Op::ValidateConstraint {
                schema,
                table,
                name,
            } => {
                schema_ok(schema)?;
                name_ok("table", table)?;
                name_ok("name", name)
            }
            Op::BulkInsert {
                schema,
                table,
                rows,
            } => {
                schema_ok(schema)?;
                name_ok("table", table)?;
                rows.iter().try_for_each(row_ok)
            }
            Op::CreateEnum { .. }
            | Op::SetEnumValues { .. }
            | Op::AddEnumValue { .. }
            | Op::RenameEnumValue { .. }
            | Op::DropEnumValue { .. } => self.validate_enum(),
        }
    }

    /// The enum value ops: labels PostgreSQL accepts, none twice, and
    /// places that make sense.
    fn validate_enum(&self) -> std::result::Result<(), String> {
        match self {
            Op::CreateEnum {
                schema,
                name,
                values,
            }
            | Op::SetEnumValues {
                schema,
                name,
                values,
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                values_ok(values)
            }
            Op::AddEnumValue {
                schema,
                name,
                value,
                before,
                after,
                ..
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                label_ok("value", value)?;
                if before.is_some() && after.is_some() {
                    return Err("give \"before\" or \"after\", not both".into());
                }
                for v in before.iter().chain(after) {
                    label_ok("before/after", v)?;
                }
                Ok(())
            }
            Op::RenameEnumValue {
                schema,
                name,
                value,
                new_value,
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                label_ok("value", value)?;
                label_ok("new_value", new_value)
            }
            Op::DropEnumValue {
                schema,
                name,
                value,
                replace_with,
            } => {
                schema_ok(schema)?;
                name_ok("name", name)?;
                label_ok("value", value)?;
                if let Some(r) = replace_with {
                    label_ok("replace_with", r)?;
                    if r == value {
                        return Err("replace_with must differ from value".into());
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// An enum's values: each a valid label, none twice.
fn values_ok(values: &[String]) -> std::result::Result<(), String> {
    for (i, v) in values.iter().enumerate() {
        label_ok("values", v)?;
        if values[..i].contains(v) {
            return Err(format!("enum value {v:?} is listed twice"));
        }
    }
    Ok(())
}

/// A new table's columns: each valid, none twice, and the primary key
/// names only them.
fn columns_ok(columns: &[Column], primary_key: &[String]) -> std::result::Result<(), String> {
    for (i, c) in columns.iter().enumerate() {
        column_ok(&format!("columns[{i}]"), c)?;
        if columns[..i].iter().any(|o| o.name == c.name) {
            return Err(format!("column {:?} is listed twice", c.name));
        }
    }
    for k in primary_key {
        if !columns.iter().any(|c| &c.name == k) {
            return Err(format!(
                "primary_key names {k:?}, which is not one of the columns"
            ));
        }
    }
    Ok(())
}

/// One row of `bulk_insert`: an object whose keys are column names.
fn row_ok(row: &serde_json::Map<String, Value>) -> std::result::Result<(), String> {
    // how serde_json carries a number it keeps every digit of: a row
    // written as a number, not an object
    if row.len() == 1 && row.contains_key("$serde_json::private::Number") {
        return Err("each of \"rows\" must be a JSON object of column values, not a number".into());
    }
    row.keys().try_for_each(|k| name_ok("rows", k))
}

fn name_ok(field: &str, v: &str) -> std::result::Result<(), String> {
    match check_ident(v) {
        Some(why) => Err(format!("field \"{field}\" ({v:?}) {why}")),
        None => Ok(()),
    }
}

fn schema_ok(s: &Option<String>) -> std::result::Result<(), String> {
    match s {
        Some(s) => name_ok("schema", s),
        None => Ok(()),
    }
}

fn label_ok(field: &str, v: &str) -> std::result::Result<(), String> {
    if v.is_empty() || v.len() > crate::quote::MAX_IDENT_BYTES || v.contains('\0') {
        return Err(format!(
            "field \"{field}\": enum value {v:?} must be 1 to {} bytes without NUL",
            crate::quote::MAX_IDENT_BYTES
        ));
    }
    Ok(())
}

fn sql_ok(field: &str, v: &str) -> std::result::Result<(), String> {
    if v.trim().is_empty() {
        Err(format!("field \"{field}\" must not be empty"))
    } else if v.contains('\0') {
        Err(format!(
            "field \"{field}\" must not contain a NUL character"
        ))
    } else {
        Ok(())
    }
}

fn default_ok(d: &ServerDefault) -> std::result::Result<(), String> {
    match d {
        ServerDefault::Text(s) if s.contains('\0') => {
            Err("server_default must not contain a NUL character".into())
        }
        ServerDefault::Sql(s) => sql_ok("server_default.sql", s),
        _ => Ok(()),
    }
}

fn column_ok(field: &str, c: &Column) -> std::result::Result<(), String> {
    name_ok(&format!("{field}.name"), &c.name)?;
    check_type_text(&c.type_name)?;
    if let Some(g) = &c.generated {
        sql_ok(&format!("{field}.generated"), g)?;
    }
    let kinds = [
        c.server_default.is_some(),
        c.identity.is_some(),
        c.generated.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return Err(format!(
            "field \"{field}\" may have only one of server_default, identity and generated"
        ));
    }
    match &c.server_default {
        Some(d) => default_ok(d),
        None => Ok(()),
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
        // from text, not from the Value: serde buffers an internally tagged
        // enum's fields, and a buffered integer above u64 fails to become a
        // Value again; from text every number keeps its exact digits
        let op: Op = serde_json::from_str(&item.to_string()).map_err(|e| {
            let e = readable(&e.to_string());
            match e
                .strip_prefix("unknown variant `")
                .and_then(|r| r.split_once('`'))
            {
                Some((name, _)) if name == tag && !OPS.contains(&name) => MigrateError::invalid(
                    format!("{label}: unknown op \"{name}\""),
                )
                .with_hint(format!(
                    "The ops are {}; docs/ops.md describes them.",
                    OPS.join(", ")
                )),
                Some((name, rest)) => unknown_value(&label, item, name, rest),
                None => MigrateError::invalid(format!("{label}: {e}"))
                    .with_hint("docs/ops.md lists every op and its fields."),
            }
        })?;
        op.validate()
            .map_err(|why| MigrateError::invalid(format!("{label}: {why}")))?;
        ops.push(op);
    }
    Ok(ops)
}

/// serde's message in the words of JSON: no position in the op's
/// re-serialized text (it would mislead), no Rust type names, and no trace
/// of how serde_json carries big numbers.
fn readable(e: &str) -> String {
    let e = e.rsplit_once(" at line ").map_or(e, |(m, _)| m);
    if e.contains("$serde_json::private::Number") {
        return "a number where the op takes another JSON type".into();
    }
    let mut out = e.to_string();
    if let Some(at) = out.find("expected struct ") {
        let rest = &out[at + "expected struct ".len()..];
        let name: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let mut words = String::new();
        for c in name.chars() {
            if c.is_ascii_uppercase() && !words.is_empty() {
                words.push(' ');
            }
            words.push(c.to_ascii_lowercase());
        }
        out = format!("{}expected a JSON object ({words})", &out[..at]);
    }
    if let Some(rest) = out.strip_prefix("invalid length ") {
        if let Some((_, expected)) = rest.split_once(", ") {
            out = format!("invalid type: an array, {expected}");
        }
    }
    out
}

/// A field whose value is not one of its allowed words (a constraint's
/// `kind`, `on_delete`, ...): name the field and list the words.
fn unknown_value(label: &str, item: &Value, value: &str, rest: &str) -> MigrateError {
    fn field_of(v: &Value, value: &str, path: &str) -> Option<String> {
        match v {
            Value::String(s) if s == value => Some(path.to_string()),
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                field_of(v, value, &p)
            }),
            _ => None,
        }
    }
    let field = field_of(item, value, "").unwrap_or_else(|| "?".into());
    let allowed: Vec<&str> = rest
        .split_once("expected one of ")
        .map(|(_, list)| list)
        .or_else(|| rest.split_once("expected ").map(|(_, one)| one))
        .map(|list| list.split(" at line ").next().unwrap_or(list))
        .map(|list| list.split(", ").map(|w| w.trim_matches('`')).collect())
        .unwrap_or_default();
    MigrateError::invalid(format!(
        "{label}: field \"{field}\" must be one of {}, not \"{value}\"",
        allowed.join(", ")
    ))
    .with_hint("docs/ops.md lists every op and its fields.")
}

/// A revision's upgrade and downgrade ops, from their stored JSON text:
/// both parsed, and the downgrade derived when none is given (refused when
/// it cannot be, so a revision that could not be reverted never runs).
/// `recorded` is what the upgrade recorded when it ran (see
/// [`downgrade_ops`]).
pub fn revision_ops(
    revision: &str,
    upgrade: &str,
    downgrade: Option<&str>,
    recorded: Option<&str>,
) -> Result<(Vec<Op>, Downgrade)> {
    let up = parse_ops(
        revision,
        "upgrade",
        &parse_json(revision, "upgrade", upgrade)?,
    )?;
    let explicit = match downgrade {
        Some(d) => Some(parse_ops(
            revision,
            "downgrade",
            &parse_json(revision, "downgrade", d)?,
        )?),
        None => None,
    };
    let recorded = match (&explicit, recorded) {
        (None, Some(text)) => Some(parse_recorded(revision, &up, text)?),
        _ => None,
    };
    let down = downgrade_ops(revision, &up, explicit, recorded.as_deref())?;
    concurrent_alone(revision, "upgrade", &up)?;
    concurrent_alone(revision, "downgrade", &down.ops)?;
    Ok((up, down))
}

/// A concurrent index op runs outside any transaction, so the ops of its
/// direction must all be such ops: nothing else of the revision could be
/// rolled back with them.
fn concurrent_alone(revision: &str, direction: &str, ops: &[Op]) -> Result<()> {
    let Some(i) = ops.iter().position(Op::is_concurrent) else {
        return Ok(());
    };
    if ops.iter().all(Op::is_concurrent) {
        return Ok(());
    }
    Err(MigrateError::invalid(format!(
        "{}: a concurrent index op runs outside any transaction, so the {direction} of its revision may hold only concurrent index ops",
        op_label(revision, direction, i, Some(&ops[i]))
    ))
    .with_hint("Put the concurrent index ops in a revision of their own, as Alembic's autocommit_block does."))
}

/// A revision's downgrade: its ops, and where among them the ops recorded
/// from the catalog as the upgrade ran stand.
#[derive(Debug, Clone, PartialEq)]
pub struct Downgrade {
    pub ops: Vec<Op>,
    /// One slot per upgrade op whose inverse is recorded (see
    /// [`Op::recorded_inverse`]), in downgrade order.
    pub slots: Vec<Slot>,
}

/// Where one recorded inverse stands in a downgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// the index in [`Downgrade::ops`] of its first op
    pub at: usize,
    /// the upgrade op it undoes
    pub upgrade_op: usize,
    /// how many ops it has (0 when nothing is recorded)
    pub len: usize,
    /// whether it was recorded (false: the revision has not run its
    /// upgrade, or was stamped)
    pub recorded: bool,
}

impl Downgrade {
    /// The upgrade ops whose inverse should have been recorded but was not.
    pub fn unrecorded(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| !s.recorded)
    }
}

/// The downgrade of a revision: the explicit one, or the inverse of the
/// upgrade (ops inverted, in reverse order). An op whose inverse is
/// recorded as the upgrade runs takes its ops from `recorded` (one entry
/// per upgrade op, as the upgrade stored them), or leaves an empty slot
/// when nothing was recorded. Refused when an upgrade op has no inverse of
/// either kind and no explicit downgrade is given.
pub fn downgrade_ops(
    revision: &str,
    upgrade: &[Op],
    explicit: Option<Vec<Op>>,
    recorded: Option<&[Option<Vec<Op>>]>,
) -> Result<Downgrade> {
    if let Some(ops) = explicit {
        return Ok(Downgrade { ops, slots: vec![] });
    }
    let mut down = Downgrade {
        ops: vec![],
        slots: vec![],
    };
    for (i, op) in upgrade.iter().enumerate().rev() {
        if let Some(ops) = op.inverse_ops() {
            down.ops.extend(ops);
        } else if op.recorded_inverse() {
            let found = recorded.and_then(|r| r.get(i)).and_then(Option::as_ref);
            down.slots.push(Slot {
                at: down.ops.len(),
                upgrade_op: i,
                len: found.map_or(0, Vec::len),
                recorded: found.is_some(),
            });
            down.ops.extend(found.into_iter().flatten().cloned());
        } else {
            return Err(MigrateError::new(
                crate::error::code::NO_DOWNGRADE,
                format!(
                    "{}: has no automatic inverse, and the revision gives no downgrade",
                    op_label(revision, "upgrade", i, Some(op))
                ),
            )
            .with_hint("Pass downgrade => '[...]' (an explicit list of ops; '[]' for none)."));
        }
    }
    Ok(down)
}

/// The inverses an upgrade recorded (stored as a JSON array with one entry
/// per upgrade op: null, or the ops that undo it), parsed and checked like
/// any ops.
pub fn parse_recorded(revision: &str, upgrade: &[Op], text: &str) -> Result<Vec<Option<Vec<Op>>>> {
    let bad = |why: String| {
        MigrateError::new(
            crate::error::code::INTERNAL,
            format!("revision {revision}: the downgrade recorded when it was applied {why}"),
        )
        .with_hint("migrate.applied.downgrade was changed by hand: restore it from a backup, or undo the revision by hand and move the version below it with migrate.stamp().")
    };
    let json = parse_json(revision, "recorded downgrade", text)?;
    let Value::Array(items) = json else {
        return Err(bad("is not a JSON array".into()));
    };
    if items.len() != upgrade.len() {
        return Err(bad(format!(
            "has {} entries for {} upgrade ops",
            items.len(),
            upgrade.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Null => Ok(None),
            ops => parse_ops(
                revision,
                &format!("downgrade recorded for upgrade op {},", i + 1),
                ops,
            )
            .map(Some),
        })
        .collect()
}

/// A canonical JSON form of an op list (fields in a fixed order, defaults
/// omitted), used to store what was validated.
pub fn to_json(ops: &[Op]) -> Value {
    serde_json::to_value(ops).unwrap_or(Value::Null)
}

#[cfg(test)]
pub(crate) mod tests {
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
                    identity: None,
                    generated: None,
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
        let down = downgrade_ops("abc", &ops, None, None).unwrap().ops;
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
        let err = downgrade_ops("abc", &ops, None, None).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
        assert!(err.message.contains("revision abc, upgrade op 1 (execute)"));
        assert!(downgrade_ops("abc", &ops, Some(vec![]), None)
            .unwrap()
            .ops
            .is_empty());
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

    /// The struct-backed ops refuse unknown fields as the others do, and
    /// name the fields they take.
    #[test]
    fn struct_backed_ops_refuse_unknown_fields() {
        for (op, fields) in [
            (
                json!({"op":"alter_column","table":"t","column":"c","nullable":true,"colour":1}),
                "`schema`, `table`, `column`, `type`, `using`, `nullable`, `server_default`, `comment`",
            ),
            (
                json!({"op":"create_index","name":"i","table":"t","columns":["a"],"colour":1}),
                "`schema`, `name`, `table`, `columns`, `expressions`, `unique`, `where`, `method`, `concurrently`",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"unique","columns":["a"],"colour":1}),
                "`schema`, `table`, `name`, `kind`, `columns`, `expression`, `references`, `on_delete`, `on_update`, `deferrable`, `initially_deferred`, `not_valid`",
            ),
        ] {
            let kind = op["op"].as_str().unwrap().to_string();
            let err = parse(json!([op])).unwrap_err();
            assert_eq!(err.sqlstate(), "22023");
            assert_eq!(
                err.message,
                format!(
                    "revision abc, upgrade op 1 ({kind}): unknown field `colour`, expected one of {fields}"
                )
            );
            // without the stray field the op parses, its tag and all
            let mut ok = op.clone();
            ok.as_object_mut().unwrap().remove("colour");
            let ops = parse(json!([ok])).unwrap();
            assert_eq!(ops[0].kind(), kind);
            assert_eq!(to_json(&ops), json!([ok]));
        }
    }

    /// One op of each kind, in the order of [`OPS`].
    fn one_of_each() -> Vec<Value> {
        vec![
            json!({"op":"create_table","name":"t","columns":[{"name":"a","type":"int"}]}),
            json!({"op":"drop_table","name":"t"}),
            json!({"op":"rename_table","name":"t","new_name":"u"}),
            json!({"op":"add_column","table":"t","column":{"name":"c","type":"int"}}),
            json!({"op":"drop_column","table":"t","column":"c"}),
            json!({"op":"rename_column","table":"t","column":"c","new_name":"d"}),
            json!({"op":"alter_column","table":"t","column":"c","nullable":true}),
            json!({"op":"create_index","name":"i","table":"t","columns":["a"]}),
            json!({"op":"drop_index","name":"i"}),
            json!({"op":"add_constraint","table":"t","name":"k","kind":"unique","columns":["a"]}),
            json!({"op":"drop_constraint","table":"t","name":"k"}),
            json!({"op":"validate_constraint","table":"t","name":"k"}),
            json!({"op":"bulk_insert","table":"t","rows":[{"a":1}]}),
            json!({"op":"execute","sql":"SELECT 1"}),
            json!({"op":"create_enum","name":"e","values":["a"]}),
            json!({"op":"drop_enum","name":"e"}),
            json!({"op":"rename_enum","name":"e","new_name":"f"}),
            json!({"op":"add_enum_value","name":"e","value":"b"}),
            json!({"op":"rename_enum_value","name":"e","value":"a","new_value":"c"}),
            json!({"op":"drop_enum_value","name":"e","value":"a"}),
            json!({"op":"set_enum_values","name":"e","values":["a"]}),
        ]
    }

    /// The op list is written three times: the enum (its serde tags),
    /// [`OPS`] and [`Op::kind`]. They agree, and name every variant.
    #[test]
    fn ops_list_kinds_and_serde_tags_agree() {
        // no wildcard: a new variant must be added here, and then to
        // `one_of_each` for the count below to hold
        fn variant(op: &Op) -> usize {
            match op {
                Op::CreateTable { .. } => 0,
                Op::DropTable { .. } => 1,
                Op::RenameTable { .. } => 2,
                Op::AddColumn { .. } => 3,
                Op::DropColumn { .. } => 4,
                Op::RenameColumn { .. } => 5,
                Op::AlterColumn(_) => 6,
                Op::CreateIndex(_) => 7,
                Op::DropIndex { .. } => 8,
                Op::AddConstraint(_) => 9,
                Op::DropConstraint { .. } => 10,
                Op::ValidateConstraint { .. } => 11,
                Op::BulkInsert { .. } => 12,
                Op::Execute { .. } => 13,
                Op::CreateEnum { .. } => 14,
                Op::DropEnum { .. } => 15,
                Op::RenameEnum { .. } => 16,
                Op::AddEnumValue { .. } => 17,
                Op::RenameEnumValue { .. } => 18,
                Op::DropEnumValue { .. } => 19,
                Op::SetEnumValues { .. } => 20,
            }
        }
        let examples = one_of_each();
        assert_eq!(examples.len(), OPS.len());
        for (i, (json, tag)) in examples.iter().zip(OPS).enumerate() {
            // serde reads the tag in OPS as this variant...
            assert_eq!(json["op"], tag);
            let ops = parse(json!([json])).unwrap();
            assert_eq!(variant(&ops[0]), i, "{tag}");
            // ...kind() names it so...
            assert_eq!(ops[0].kind(), tag);
            // ...and serde writes that tag back
            assert_eq!(to_json(&ops)[0]["op"], tag);
        }
        let mut unique = OPS.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), OPS.len());
    }

    #[test]
    fn subjects() {
        let shown: Vec<String> = one_of_each()
            .into_iter()
            .map(|json| {
                let ops = parse(json!([json])).unwrap();
                match ops[0].subject() {
                    Some(Subject::Object { schema, name }) => format!("{schema:?} {name}"),
                    Some(Subject::Part {
                        schema,
                        table,
                        name,
                    }) => format!("{schema:?} {table}.{name}"),
                    None => "-".into(),
                }
            })
            .collect();
        assert_eq!(
            shown,
            [
                "None t", "None t", "None t", "None t.c", "None t.c", "None t.c", "None t.c",
                "None t.i", "None i", "None t.k", "None t.k", "None t.k", "None t", "-", "None e",
                "None e", "None e", "None e", "None e", "None e", "None e",
            ]
        );
        let ops = parse(json!([{"op":"add_column","schema":"s","table":"t","column":{"name":"c","type":"int"}}])).unwrap();
        assert_eq!(
            ops[0].subject(),
            Some(Subject::Part {
                schema: Some("s"),
                table: "t",
                name: "c"
            })
        );
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
    fn inverses_of_the_catalog() {
        let ops = parse(json!([
            {"op":"create_table","name":"t","columns":[{"name":"id","type":"int"}]},
            {"op":"rename_table","name":"t","new_name":"u"},
            {"op":"rename_column","table":"u","column":"id","new_name":"key"},
            {"op":"create_index","name":"i","table":"u","columns":["key"]},
            {"op":"add_constraint","table":"u","name":"c","kind":"unique","columns":["key"]},
            {"op":"rename_enum","name":"e","new_name":"f"},
            {"op":"rename_enum_value","name":"f","value":"a","new_value":"b"},
            {"op":"add_enum_value","name":"f","value":"c"},
            {"op":"execute","sql":"SELECT 1","down":"SELECT 2"}
        ]))
        .unwrap();
        let down = downgrade_ops("r", &ops, None, None).unwrap().ops;
        let kinds: Vec<&str> = down.iter().map(Op::kind).collect();
        assert_eq!(
            kinds,
            [
                "execute",
                "drop_enum_value",
                "rename_enum_value",
                "rename_enum",
                "drop_constraint",
                "drop_index",
                "rename_column",
                "rename_table",
                "drop_table"
            ]
        );
        // inverting twice gives the op back
        for op in &ops {
            if !matches!(
                op,
                Op::CreateTable { .. }
                    | Op::CreateIndex(_)
                    | Op::AddConstraint(_)
                    | Op::AddEnumValue { .. }
            ) {
                assert_eq!(op.inverse().and_then(|i| i.inverse()).as_ref(), Some(op));
            }
        }
        for no_inverse in [
            json!({"op":"drop_index","name":"i","concurrently":true}),
            json!({"op":"bulk_insert","table":"t","rows":[]}),
            json!({"op":"execute","sql":"SELECT 1"}),
        ] {
            let ops = parse(json!([no_inverse])).unwrap();
            assert_eq!(
                downgrade_ops("r", &ops, None, None).unwrap_err().sqlstate(),
                "0A000"
            );
        }
    }

    #[test]
    fn recorded_inverses_fill_their_slots() {
        let ops = parse(json!([
            {"op":"drop_table","name":"t"},
            {"op":"create_index","name":"i","table":"u","columns":["a"]},
            {"op":"drop_index","name":"j"},
            {"op":"drop_constraint","table":"t","name":"c"},
            {"op":"alter_column","table":"t","column":"c","nullable":false},
            {"op":"drop_column","table":"t","column":"c"},
            {"op":"drop_enum","name":"e"},
            {"op":"drop_enum_value","name":"e","value":"v"},
            {"op":"set_enum_values","name":"e","values":["a"]}
        ]))
        .unwrap();
        assert!(ops.iter().filter(|op| op.recorded_inverse()).count() == 8);
        // before the upgrade ran: empty slots where the recorded ops go
        let pending = downgrade_ops("r", &ops, None, None).unwrap();
        assert_eq!(pending.ops.len(), 1);
        assert_eq!(pending.slots.len(), 8);
        assert_eq!(pending.unrecorded().count(), 8);
        assert_eq!((pending.slots[7].at, pending.slots[7].upgrade_op), (1, 0));
        // once recorded: in reverse order of the upgrade, each at its slot
        let text = json!([
            [{"op":"execute","sql":"CREATE TABLE t ()"}],
            null,
            [{"op":"execute","sql":"CREATE INDEX j ON t (a)"}],
            [], [], [], [], [], []
        ])
        .to_string();
        let recorded = parse_recorded("r", &ops, &text).unwrap();
        let down = downgrade_ops("r", &ops, None, Some(&recorded)).unwrap();
        let kinds: Vec<&str> = down.ops.iter().map(Op::kind).collect();
        assert_eq!(kinds, ["execute", "drop_index", "execute"]);
        assert_eq!(down.unrecorded().count(), 0);
        assert_eq!((down.slots[6].at, down.slots[6].len), (0, 1));
        assert_eq!((down.slots[7].at, down.slots[7].upgrade_op), (2, 0));
        // an explicit downgrade needs nothing recorded
        assert!(downgrade_ops("r", &ops, Some(vec![]), None)
            .unwrap()
            .slots
            .is_empty());
        // what was recorded must fit the upgrade, and parse as ops
        assert!(parse_recorded("r", &ops, "[]").is_err());
        assert!(parse_recorded("r", &ops, "{}").is_err());
        let bad = json!([[{"op":"nope"}], null, null, null, null, null, null, null, null]);
        assert!(parse_recorded("r", &ops, &bad.to_string()).is_err());
    }

    #[test]
    fn not_valid_and_validate_constraint() {
        let ops = parse(json!([
            {"op":"add_constraint","table":"t","name":"c","kind":"check","expression":"a > 0","not_valid":true},
            {"op":"add_constraint","table":"t","name":"f","kind":"foreign_key","columns":["a"],
             "references":{"table":"u","columns":["id"]},"not_valid":true},
            {"op":"validate_constraint","table":"t","name":"c"},
            {"op":"validate_constraint","schema":"s","table":"t","name":"f"}
        ]))
        .unwrap();
        assert_eq!(ops[2].kind(), "validate_constraint");
        // NOT VALID is kept through the canonical JSON, and left out when false
        assert_eq!(to_json(&ops)[0]["not_valid"], json!(true));
        let plain = parse(json!([{"op":"add_constraint","table":"t","name":"c","kind":"check","expression":"a > 0","not_valid":false}])).unwrap();
        assert!(to_json(&plain)[0].get("not_valid").is_none());
        // the derived downgrade: validating needs no undo, the adds are dropped
        let down = downgrade_ops("r", &ops, None, None).unwrap().ops;
        let kinds: Vec<&str> = down.iter().map(Op::kind).collect();
        assert_eq!(kinds, ["drop_constraint", "drop_constraint"]);
        assert_eq!(ops[2].inverse(), None);
        assert_eq!(ops[2].inverse_ops(), Some(vec![]));
        // validate alone: an empty downgrade, not a refusal
        assert_eq!(
            downgrade_ops("r", &ops[2..], None, None).unwrap().ops,
            vec![]
        );
        // its fields are drop_constraint's, and no others
        let err =
            parse(json!([{"op":"validate_constraint","table":"t","name":"c","not_valid":true}]))
                .unwrap_err();
        assert!(
            err.message.contains("unknown field `not_valid`"),
            "{}",
            err.message
        );
        assert!(parse(json!([{"op":"validate_constraint","table":"t"}])).is_err());
        assert!(parse(json!([{"op":"validate_constraint","table":"t","name":""}])).is_err());
        // NOT VALID for a key or a unique constraint: PostgreSQL has none
        for kind in ["primary_key", "unique"] {
            let err = parse(
                json!([{"op":"add_constraint","table":"t","name":"c","kind":kind,
                                     "columns":["a"],"not_valid":true}]),
            )
            .unwrap_err();
            assert_eq!(err.sqlstate(), "22023");
            assert!(err.message.contains("\"not_valid\""), "{}", err.message);
        }
    }

    #[test]
    fn impossible_combinations_name_the_field() {
        let bad = [
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"check","columns":["a"],"expression":"a > 0"}),
                "columns",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"check"}),
                "expression",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"unique","columns":["a"],"on_delete":"cascade"}),
                "on_delete",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"foreign_key","columns":["a"]}),
                "references",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"foreign_key","columns":["a"],"references":{"table":"u","columns":["x","y"]}}),
                "references.columns",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"foreign_key","columns":["a"],"references":{"table":"u","columns":["x"]},"on_delete":"explode"}),
                "on_delete",
            ),
            (
                json!({"op":"add_constraint","table":"t","name":"c","kind":"exclude","columns":["a"]}),
                "field \"kind\" must be one of primary_key, unique, check, foreign_key, not \"exclude\"",
            ),
            (
                json!({"op":"create_index","name":"i","table":"t"}),
                "columns or expressions",
            ),
            (
                json!({"op":"alter_column","table":"t","column":"c"}),
                "at least one",
            ),
            (
                json!({"op":"alter_column","table":"t","column":"c","using":"c::int"}),
                "using",
            ),
            (
                json!({"op":"add_enum_value","name":"e","value":"v","before":"a","after":"b"}),
                "before",
            ),
            (
                json!({"op":"create_table","name":"t","columns":[{"name":"a","type":"int"}],"primary_key":["b"]}),
                "primary_key",
            ),
            (
                json!({"op":"create_table","name":"t","columns":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}),
                "twice",
            ),
        ];
        for (op, word) in bad {
            let err = parse(json!([op])).unwrap_err();
            assert_eq!(err.sqlstate(), "22023");
            assert!(err.message.contains(word), "{word}: {}", err.message);
        }
    }

    pub(crate) mod round_trip {
        use super::super::*;
        use proptest::prelude::*;

        fn name() -> impl Strategy<Value = String> {
            "[a-zA-Z_ \"';-]{1,12}"
        }

        fn schema() -> impl Strategy<Value = Option<String>> {
            proptest::option::of(name())
        }

        /// Any op, with odd names (shared with render's round trip).
        pub(crate) fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (
                    schema(),
                    name(),
                    proptest::collection::btree_set(name(), 0..4)
                )
                    .prop_map(|(schema, name, values)| Op::CreateEnum {
                        schema,
                        name,
                        values: values.into_iter().collect()
                    }),
                (schema(), name()).prop_map(|(schema, name)| Op::DropTable { schema, name }),
                (schema(), name(), name()).prop_map(|(schema, name, new_name)| Op::RenameTable {
                    schema,
                    name,
                    new_name
                }),
                (
                    schema(),
                    name(),
                    name(),
                    any::<bool>(),
                    proptest::option::of("[a-z ]{1,8}")
                )
                    .prop_map(|(schema, table, column, nullable, d)| {
                        Op::AddColumn {
                            schema,
                            table,
                            column: Column {
                                name: column,
                                type_name: "text".into(),
                                nullable,
                                server_default: d.map(ServerDefault::Text),
                                identity: None,
                                generated: None,
                            },
                        }
                    }),
                (
                    schema(),
                    name(),
                    name(),
                    proptest::option::of(any::<bool>()),
                    proptest::option::of(proptest::option::of("[a-z]{1,5}"))
                )
                    .prop_filter("some change", |(_, _, _, n, c)| n.is_some() || c.is_some())
                    .prop_map(
                        |(schema, table, column, nullable, comment)| Op::AlterColumn(AlterColumn {
                            schema,
                            table,
                            column,
                            type_name: None,
                            using: None,
                            nullable,
                            server_default: None,
                            comment,
                        })
                    ),
                (schema(), name(), name(), name(), any::<bool>()).prop_map(
                    |(schema, name, table, col, unique)| Op::CreateIndex(CreateIndex {
                        schema,
                        name,
                        table,
                        columns: vec![col],
                        expressions: vec![],
                        unique,
                        where_: None,
                        method: None,
                        concurrently: false,
                    })
                ),
                (schema(), name(), name()).prop_map(|(schema, name, value)| Op::AddEnumValue {
                    schema,
                    name,
                    value,
                    before: None,
                    after: None,
                    if_not_exists: false
                }),
            ]
        }

        proptest! {
            #[test]
            fn ops_survive_parse_render_parse(ops in proptest::collection::vec(op(), 0..6)) {
                let json = to_json(&ops);
                let back = parse_ops("r", "upgrade", &json).unwrap();
                prop_assert_eq!(&back, &ops);
            }
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
        let ServerDefault::Number(n) = column.server_default.as_ref().unwrap() else {
            panic!("not a number")
        };
        assert_eq!(n.to_string(), "123456789012345678901234567890.50");
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

#[cfg(test)]
mod big_numbers {
    use super::*;

    /// A number where a row object belongs is refused, not read as a row
    /// with a strange column.
    #[test]
    fn a_number_is_not_a_row() {
        for n in ["1", "1e400", "100000000000000000000000000000"] {
            let text = format!(r#"[{{"op": "bulk_insert", "table": "t", "rows": [{n}]}}]"#);
            let v = parse_json("r", "upgrade", &text).unwrap();
            let e = parse_ops("r", "upgrade", &v).unwrap_err();
            assert!(
                e.message.contains("not a number") || e.message.contains("expected a map"),
                "{}",
                e.message
            );
            assert!(!e.message.contains("serde_json"), "{}", e.message);
        }
    }
}
