//! Planning enum changes, in plain Rust: given the values a type has now
//! and the values it should have, the cheapest correct SQL.
//!
//! `ALTER TYPE ... ADD VALUE` (and `RENAME VALUE`) only touch the catalog
//! and are used whenever they suffice: when every current value stays, in
//! the same order. Removing or reordering values needs the type swap:
//! rename the old type away, create the new one under the old name, move
//! every column over with `USING`, restore defaults, constraints, foreign
//! keys and indexes (with their comments), give the new type the old one's
//! owner, privileges and comment, drop the old type. What the swap cannot
//! carry over (views, domains, functions, composite types) makes the op
//! refuse instead.
//!
//! Also here, as plain text reading: whether an op may use a value (array
//! literals included), and the enum literals of a default, CHECK or index
//! expression as PostgreSQL prints it.

use crate::error::{code, MigrateError};
use crate::quote::{ident, literal, qualified};

// The refusals about an enum, one constructor each, so that every op that
// meets one words it alike. `ty` is the type as SQL names it
// (`quote::qualified`).

/// The type an enum op names does not exist.
pub fn no_such_enum(ty: &str) -> MigrateError {
    MigrateError::new(code::UNKNOWN, format!("enum {ty} does not exist"))
}

/// The type an enum op names is some other kind of type.
pub fn not_an_enum(ty: &str) -> MigrateError {
    MigrateError::new(code::WRONG_KIND, format!("type {ty} is not an enum"))
}

/// The enum has no value `value` (one an op drops, or places a new value
/// next to).
pub fn no_value(ty: &str, value: &str) -> MigrateError {
    MigrateError::new(code::UNKNOWN, format!("enum {ty} has no value {value:?}"))
}

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
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ColumnUse {
    /// the table, quoted and qualified as PostgreSQL prints it
    pub table_sql: String,
    pub column: String,
    pub is_array: bool,
    /// the column default's SQL, captured before the swap
    pub default_sql: Option<String>,
}

/// A constraint the swap drops and adds again: a CHECK whose expression
/// uses the type, or a foreign key between columns of the type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Carried {
    /// the table, quoted and qualified as PostgreSQL prints it
    pub table_sql: String,
    pub name: String,
    /// `pg_get_constraintdef`
    pub def: String,
    pub comment: Option<String>,
}

/// An index the swap drops and creates again (one whose key or predicate
/// uses the type; on a partitioned table, the parent's index).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct CarriedIndex {
    /// the index name, quoted and qualified as PostgreSQL prints it
    pub name_sql: String,
    /// the `CREATE INDEX` statement (`pg_get_indexdef`; `ON ONLY` for a
    /// partitioned table's index)
    pub create: String,
    pub comment: Option<String>,
    /// a partitioned index's partitions' indexes, parents before their
    /// children: dropped with it, created again under their own names and
    /// attached, as pg_dump restores them
    pub parts: Vec<IndexPart>,
}

/// An index of a partition, attached to its parent table's index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct IndexPart {
    pub name_sql: String,
    /// the index it is attached to
    pub parent_sql: String,
    pub create: String,
    pub comment: Option<String>,
}

/// One entry of the type's access list: USAGE for a role (`None`:
/// PUBLIC), and whether it may grant it on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Grant {
    pub grantee: Option<String>,
    pub grantable: bool,
}

/// Who owns the type and who may use it, to give the new type exactly
/// that.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Access {
    /// the owner, when it is not the role that runs the swap (which owns
    /// the new type)
    pub new_owner: Option<String>,
    /// the owner's name
    pub owner: String,
    /// the access list; `None` is PostgreSQL's default (PUBLIC and the
    /// owner may use it)
    pub acl: Option<Vec<Grant>>,
    /// roles that default privileges (`ALTER DEFAULT PRIVILEGES ... ON
    /// TYPES`) may give USAGE on a new type
    pub default_grantees: Vec<String>,
}

/// What the swap has to carry over, read from the catalog before it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwapFacts {
    pub schema: Option<String>,
    pub name: String,
    pub columns: Vec<ColumnUse>,
    /// CHECK constraints, in the order they are dropped (a parent's before
    /// a child's own copy); added again in the reverse order
    pub constraints: Vec<Carried>,
    /// foreign keys whose columns (on either side) use the type
    pub foreign_keys: Vec<Carried>,
    pub indexes: Vec<CarriedIndex>,
    pub comment: Option<String>,
    pub access: Access,
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
    // foreign keys first: their two sides must never have different types
    for k in f.foreign_keys.iter().chain(&f.constraints) {
        out.push(format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            k.table_sql,
            ident(&k.name)
        ));
    }
    for i in &f.indexes {
        out.push(format!("DROP INDEX {}", i.name_sql));
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
    out.extend(access_sql(&ty, &f.access));
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
            // a default that holds the removed value (alone or as an
            // array element) gets its replacement
            let d = match replace {
                Some((from, to)) => replace_in_expr(d, &f.name, from, to),
                None => d.clone(),
            };
            out.push(format!(
                "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d}",
                c.table_sql,
                ident(&c.column)
            ));
        }
    }
    for k in f.constraints.iter().rev() {
        out.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            k.table_sql,
            ident(&k.name),
            k.def
        ));
        out.extend(constraint_comment(k));
    }
    for i in &f.indexes {
        out.push(i.create.clone());
        out.extend(index_comment(&i.name_sql, &i.comment));
        for p in &i.parts {
            out.push(p.create.clone());
            out.extend(index_comment(&p.name_sql, &p.comment));
        }
        for p in &i.parts {
            out.push(format!(
                "ALTER INDEX {} ATTACH PARTITION {}",
                p.parent_sql, p.name_sql
            ));
        }
    }
    for k in &f.foreign_keys {
        out.push(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            k.table_sql,
            ident(&k.name),
            k.def
        ));
        out.extend(constraint_comment(k));
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

fn index_comment(name_sql: &str, comment: &Option<String>) -> Option<String> {
    comment
        .as_ref()
        .map(|c| format!("COMMENT ON INDEX {name_sql} IS {}", literal(c)))
}

fn constraint_comment(k: &Carried) -> Option<String> {
    k.comment.as_ref().map(|c| {
        format!(
            "COMMENT ON CONSTRAINT {} ON {} IS {}",
            ident(&k.name),
            k.table_sql,
            literal(c)
        )
    })
}

/// Give the new type the old one's owner and access list. The new type
/// starts with PostgreSQL's default access (or what default privileges
/// give); when the old type had another, everything is revoked from
/// everyone who may hold it and the old entries are granted in their
/// order, so the list reads as it did.
pub fn access_sql(ty: &str, a: &Access) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(o) = &a.new_owner {
        out.push(format!("ALTER TYPE {ty} OWNER TO {}", ident(o)));
    }
    if a.acl.is_none() && a.default_grantees.is_empty() {
        return out;
    }
    let grants = a.acl.clone().unwrap_or_else(|| {
        vec![
            Grant {
                grantee: None,
                grantable: false,
            },
            Grant {
                grantee: Some(a.owner.clone()),
                grantable: false,
            },
        ]
    });
    let mut roles: Vec<&str> = vec![a.owner.as_str()];
    for r in grants
        .iter()
        .filter_map(|g| g.grantee.as_deref())
        .chain(a.default_grantees.iter().map(String::as_str))
    {
        if !roles.contains(&r) {
            roles.push(r);
        }
    }
    let roles: Vec<String> = roles.into_iter().map(ident).collect();
    out.push(format!(
        "REVOKE ALL ON TYPE {ty} FROM PUBLIC, {}",
        roles.join(", ")
    ));
    for g in &grants {
        out.push(format!(
            "GRANT USAGE ON TYPE {ty} TO {}{}",
            g.grantee.as_deref().map_or("PUBLIC".to_string(), ident),
            if g.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        ));
    }
    out
}

/// An element of an array literal (`{a,"b c",{d}}`), where it stands in
/// the text and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Element {
    span: std::ops::Range<usize>,
    value: String,
}

/// The elements of every array literal (`{...}`, nested or not) in `text`;
/// quoted elements are unescaped, unquoted ones trimmed, and an unquoted
/// NULL is no element. Lenient: any text is accepted, and what is not an
/// array literal gives no elements or harmless ones.
fn array_elements(text: &str) -> Vec<Element> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if depth == 0 {
            if c == b'{' {
                depth = 1;
            }
            i += 1;
            continue;
        }
        match c {
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                i += 1;
            }
            b',' => i += 1,
            c if c.is_ascii_whitespace() => i += 1,
            b'"' => {
                let start = i;
                let mut value = Vec::new();
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    value.push(b[i]);
                    i += 1;
                }
                i = (i + 1).min(b.len());
                out.push(Element {
                    span: start..i,
                    value: String::from_utf8_lossy(&value).into_owned(),
                });
            }
            _ => {
                let start = i;
                let mut value = Vec::new();
                let mut end = i;
                while i < b.len() && !matches!(b[i], b',' | b'{' | b'}') {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                        value.push(b[i]);
                        i += 1;
                        end = i;
                        continue;
                    }
                    if !b[i].is_ascii_whitespace() {
                        end = i + 1;
                    }
                    value.push(b[i]);
                    i += 1;
                }
                let trimmed = value.len() - (i - end);
                value.truncate(trimmed);
                let value = String::from_utf8_lossy(&value).into_owned();
                if !value.eq_ignore_ascii_case("null") {
                    out.push(Element {
                        span: start..end,
                        value,
                    });
                }
            }
        }
    }
    out
}

/// An array element as array input reads it back: quoted when it must be.
pub fn array_element(value: &str) -> String {
    let plain = !value.is_empty()
        && !value.eq_ignore_ascii_case("null")
        && !value
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '{' | '}' | ',' | '"' | '\\'));
    if plain {
        return value.to_string();
    }
    let mut out = String::from('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether `text` (SQL, or a value a JSON op carries) may use `value`:
/// as the whole text, as a quoted SQL literal, or as an element of an
/// array literal (also one inside a SQL literal, where quotes are doubled).
pub fn text_mentions(text: &str, value: &str) -> bool {
    if text == value || text.contains(&format!("'{}'", value.replace('\'', "''"))) {
        return true;
    }
    if !text.contains('{') {
        return false;
    }
    let in_array = |t: &str| array_elements(t).iter().any(|e| e.value == value);
    in_array(text) || (text.contains("''") && in_array(&text.replace("''", "'")))
}

/// Whether any string in an op's JSON may use `value` (see
/// [`text_mentions`]); object keys (names) are not uses.
pub fn json_mentions(json: &serde_json::Value, value: &str) -> bool {
    match json {
        serde_json::Value::String(s) => text_mentions(s, value),
        serde_json::Value::Array(a) => a.iter().any(|j| json_mentions(j, value)),
        serde_json::Value::Object(o) => o.values().any(|j| json_mentions(j, value)),
        _ => false,
    }
}

/// A string literal in an expression as PostgreSQL prints it, cast to the
/// enum (`'a'::status`) or to its array type (`'{a,b}'::status[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TypedLiteral {
    /// the literal with its quotes
    span: std::ops::Range<usize>,
    text: String,
    array: bool,
}

/// Read a type name after `::` at `i`: dotted parts, quoted or not, then
/// `[]`s. Returns the last part, whether it is an array, and where it ends.
fn type_after(b: &[u8], mut i: usize) -> Option<(String, bool, usize)> {
    let mut last;
    loop {
        if i < b.len() && b[i] == b'"' {
            let mut part = Vec::new();
            i += 1;
            while i < b.len() {
                if b[i] == b'"' {
                    if i + 1 < b.len() && b[i + 1] == b'"' {
                        part.push(b'"');
                        i += 2;
                        continue;
                    }
                    break;
                }
                part.push(b[i]);
                i += 1;
            }
            i += 1;
            last = String::from_utf8_lossy(&part).into_owned();
        } else {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'$') || b[i] >= 0x80)
            {
                i += 1;
            }
            if i == start {
                return None;
            }
            last = String::from_utf8_lossy(&b[start..i]).into_owned();
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            continue;
        }
        break;
    }
    let mut array = false;
    while b.get(i) == Some(&b'[') && b.get(i + 1) == Some(&b']') {
        array = true;
        i += 2;
    }
    Some((last, array, i))
}

/// The literals of `expr` (as `pg_get_expr`, `pg_get_constraintdef` and
/// `pg_get_indexdef` print it) that are cast to the enum `name` or to its
/// array type, also through text (`('a'::text)::status`).
fn typed_literals(expr: &str, name: &str) -> Vec<TypedLiteral> {
    let b = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // a quoted identifier: skip it whole
                i += 1;
                while i < b.len() {
                    if b[i] == b'"' {
                        if b.get(i + 1) == Some(&b'"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'\'' => {
                let start = i;
                let mut text = Vec::new();
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            text.push(b'\'');
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    text.push(b[i]);
                    i += 1;
                }
                i = (i + 1).min(b.len());
                let span = start..i;
                if !expr[i..].starts_with("::") {
                    continue;
                }
                let Some((mut ty, mut array, mut end)) = type_after(b, i + 2) else {
                    continue;
                };
                if ty != name && expr[end..].starts_with(")::") {
                    if let Some(next) = type_after(b, end + 3) {
                        (ty, array, end) = next;
                    }
                }
                if ty == name {
                    out.push(TypedLiteral {
                        span,
                        text: String::from_utf8_lossy(&text).into_owned(),
                        array,
                    });
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether an expression of a default, CHECK or index uses one of
/// `values` of the enum `name` (alone or as an array element).
pub fn expr_mentions(expr: &str, name: &str, values: &[String]) -> bool {
    typed_literals(expr, name).iter().any(|l| {
        if l.array {
            array_elements(&l.text)
                .iter()
                .any(|e| values.contains(&e.value))
        } else {
            values.contains(&l.text)
        }
    })
}

/// `expr` with the enum value `from` replaced by `to` wherever a literal
/// of the enum, or an element of a literal of its array type, holds it.
pub fn replace_in_expr(expr: &str, name: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut at = 0;
    for l in typed_literals(expr, name) {
        let text = if l.array {
            let mut t = String::new();
            let mut k = 0;
            for e in array_elements(&l.text) {
                if e.value == from {
                    t.push_str(&l.text[k..e.span.start]);
                    t.push_str(&array_element(to));
                    k = e.span.end;
                }
            }
            t.push_str(&l.text[k..]);
            t
        } else if l.text == from {
            to.to_string()
        } else {
            l.text.clone()
        };
        out.push_str(&expr[at..l.span.start]);
        out.push_str(&format!("'{}'", text.replace('\'', "''")));
        at = l.span.end;
    }
    out.push_str(&expr[at..]);
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

    fn carried(table: &str, name: &str, def: &str) -> Carried {
        Carried {
            table_sql: table.into(),
            name: name.into(),
            def: def.into(),
            comment: None,
        }
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
                    default_sql: Some("'meh'::mood".into()),
                },
                ColumnUse {
                    table_sql: "people".into(),
                    column: "moods".into(),
                    is_array: true,
                    default_sql: Some("'{ok,meh}'::mood[]".into()),
                },
            ],
            constraints: vec![Carried {
                comment: Some("no sadness".into()),
                ..carried("people", "not_sad", "CHECK ((mood <> 'sad'::mood))")
            }],
            foreign_keys: vec![carried(
                "people",
                "people_mood_fkey",
                "FOREIGN KEY (mood) REFERENCES public.mood_info(mood) ON DELETE CASCADE DEFERRABLE",
            )],
            indexes: vec![CarriedIndex {
                name_sql: "public.happy_idx".into(),
                create: "CREATE INDEX happy_idx ON public.people USING btree (id) WHERE (mood = 'happy'::mood)".into(),
                comment: Some("the happy ones".into()),
                parts: vec![],
            }],
            comment: Some("how people feel".into()),
            access: Access::default(),
        };
        let sql = swap_sql(&f, &v(&["ok", "happy"]), Some(("meh", "ok")));
        assert_eq!(
            sql,
            vec![
                "ALTER TABLE people DROP CONSTRAINT \"people_mood_fkey\"",
                "ALTER TABLE people DROP CONSTRAINT \"not_sad\"",
                "DROP INDEX public.happy_idx",
                "ALTER TABLE people ALTER COLUMN \"mood\" DROP DEFAULT",
                "ALTER TABLE people ALTER COLUMN \"moods\" DROP DEFAULT",
                "ALTER TYPE \"mood\" RENAME TO \"mood__migrate_old\"",
                "CREATE TYPE \"mood\" AS ENUM ('ok', 'happy')",
                "ALTER TABLE people ALTER COLUMN \"mood\" TYPE \"mood\" USING (CASE WHEN \"mood\"::text = 'meh' THEN 'ok' ELSE \"mood\"::text END)::\"mood\", \
                 ALTER COLUMN \"moods\" TYPE \"mood\"[] USING pg_catalog.array_replace(\"moods\"::text[], 'meh', 'ok')::\"mood\"[]",
                "ALTER TABLE people ALTER COLUMN \"mood\" SET DEFAULT 'ok'::mood",
                "ALTER TABLE people ALTER COLUMN \"moods\" SET DEFAULT '{ok,ok}'::mood[]",
                "ALTER TABLE people ADD CONSTRAINT \"not_sad\" CHECK ((mood <> 'sad'::mood))",
                "COMMENT ON CONSTRAINT \"not_sad\" ON people IS 'no sadness'",
                "CREATE INDEX happy_idx ON public.people USING btree (id) WHERE (mood = 'happy'::mood)",
                "COMMENT ON INDEX public.happy_idx IS 'the happy ones'",
                "ALTER TABLE people ADD CONSTRAINT \"people_mood_fkey\" FOREIGN KEY (mood) REFERENCES public.mood_info(mood) ON DELETE CASCADE DEFERRABLE",
                "DROP TYPE \"mood__migrate_old\"",
                "COMMENT ON TYPE \"mood\" IS 'how people feel'",
            ]
        );
        assert!(sql
            .iter()
            .all(|s| !s.starts_with("DROP") || !s.contains("CASCADE")));
    }

    #[test]
    fn the_owner_and_access_list_come_back() {
        // the default access list and the caller as owner: nothing to do
        assert!(access_sql("\"st\"", &Access::default()).is_empty());
        let a = Access {
            new_owner: Some("app".into()),
            owner: "app".into(),
            acl: Some(vec![
                Grant {
                    grantee: Some("app".into()),
                    grantable: false,
                },
                Grant {
                    grantee: Some("reader".into()),
                    grantable: true,
                },
            ]),
            default_grantees: vec!["auditor".into()],
        };
        assert_eq!(
            access_sql("\"st\"", &a),
            vec![
                "ALTER TYPE \"st\" OWNER TO \"app\"",
                "REVOKE ALL ON TYPE \"st\" FROM PUBLIC, \"app\", \"reader\", \"auditor\"",
                "GRANT USAGE ON TYPE \"st\" TO \"app\"",
                "GRANT USAGE ON TYPE \"st\" TO \"reader\" WITH GRANT OPTION",
            ]
        );
        // default privileges would widen a default access list: it is set
        // back to the default's entries
        let a = Access {
            owner: "me".into(),
            default_grantees: vec!["x".into()],
            ..Access::default()
        };
        assert_eq!(
            access_sql("\"st\"", &a),
            vec![
                "REVOKE ALL ON TYPE \"st\" FROM PUBLIC, \"me\", \"x\"",
                "GRANT USAGE ON TYPE \"st\" TO PUBLIC",
                "GRANT USAGE ON TYPE \"st\" TO \"me\"",
            ]
        );
    }

    #[test]
    fn mentions_see_array_elements() {
        let sql = "UPDATE t SET hist = '{new,escalated}' WHERE id = 1";
        assert!(text_mentions(sql, "escalated"));
        assert!(text_mentions(sql, "new"));
        assert!(!text_mentions(sql, "open"));
        assert!(text_mentions("{open,escalated}", "escalated"));
        assert!(text_mentions("{ \"in progress\" , done }", "in progress"));
        assert!(text_mentions("{ \"in progress\" , done }", "done"));
        assert!(text_mentions("{{a,b},{c,\"d\\\"e\"}}", "d\"e"));
        assert!(text_mentions("SELECT '{\"it''s\"}'::st[]", "it's"));
        assert!(text_mentions("x = 'blocked'", "blocked"));
        assert!(text_mentions("blocked", "blocked"));
        assert!(!text_mentions("{NULL}", "NULL"));
        assert!(text_mentions("{\"NULL\"}", "NULL"));
        assert!(!text_mentions("blocked_too", "blocked"));
        let row = serde_json::json!({"op": "bulk_insert", "rows": [{"escalated": 1, "hist": "{open,escalated}"}]});
        assert!(json_mentions(&row, "escalated"));
        let row = serde_json::json!({"op": "bulk_insert", "rows": [{"escalated": 1}]});
        assert!(!json_mentions(&row, "escalated"));
    }

    #[test]
    fn literals_of_the_type_are_found_and_replaced() {
        let d = "'{read,write}'::public.perm[]";
        assert!(expr_mentions(d, "perm", &v(&["write"])));
        assert!(!expr_mentions(d, "perm", &v(&["admin"])));
        assert!(!expr_mentions(d, "other", &v(&["write"])));
        assert_eq!(
            replace_in_expr(d, "perm", "write", "admin"),
            "'{read,admin}'::public.perm[]"
        );
        let c = "CHECK (((k <> 'z'::\"My \"\"Kind\"\"\") AND (note <> 'y'::text)))";
        assert!(expr_mentions(c, "My \"Kind\"", &v(&["z"])));
        assert!(!expr_mentions(c, "My \"Kind\"", &v(&["y"])));
        // a text literal cast on to the type
        assert!(expr_mentions("('x'::text)::app.st", "st", &v(&["x"])));
        // an identifier in quotes is no literal
        assert!(!expr_mentions("(\"it's\" = 'a'::st)", "st", &v(&["s"])));
        assert_eq!(
            replace_in_expr("ARRAY['a'::st, 'b'::st]", "st", "b", "it's"),
            "ARRAY['a'::st, 'it''s'::st]"
        );
        assert_eq!(
            replace_in_expr("'{\"x y\",b}'::st[]", "st", "x y", "z"),
            "'{z,b}'::st[]"
        );
    }

    /// (columns: is_array and the default's values, by index; partitioned)
    type GenTable = (Vec<(bool, Option<Vec<usize>>)>, bool);

    /// A table of the generated schema: its columns (array or not, with or
    /// without a default that holds some values) and whether it is
    /// partitioned (its index is then the parent's, printed `ON ONLY`).
    fn table() -> impl Strategy<Value = GenTable> {
        (
            proptest::collection::vec(
                (
                    any::<bool>(),
                    proptest::option::of(proptest::collection::vec(0usize..5, 0..4)),
                ),
                1..3,
            ),
            any::<bool>(),
        )
    }

    proptest! {
        /// Array literals read back what was written, quoted or not, also
        /// inside a SQL literal.
        #[test]
        fn array_literals_round_trip(elements in proptest::collection::vec("[a-c ,{}\"\\\\']{0,5}", 0..5)) {
            let elements: Vec<String> = elements.into_iter().filter(|e| !e.eq_ignore_ascii_case("null")).collect();
            let text = format!("{{{}}}", elements.iter().map(|e| array_element(e)).collect::<Vec<_>>().join(","));
            let read: Vec<String> = array_elements(&text).into_iter().map(|e| e.value).collect();
            prop_assert_eq!(&read, &elements);
            let sql = format!("UPDATE t SET a = '{}'", text.replace('\'', "''"));
            for e in &elements {
                prop_assert!(text_mentions(&text, e));
                prop_assert!(text_mentions(&sql, e));
            }
        }

        /// The swap over generated schemas (arrays, array defaults, foreign
        /// keys between enum columns, partitioned tables): every table is
        /// converted once, foreign keys are gone while the two sides have
        /// different types, defaults lose the removed value element-wise,
        /// partitioned indexes are built for every partition, and nothing
        /// cascades.
        #[test]
        fn swaps_carry_generated_schemas(
            labels in proptest::collection::btree_set("[a-f]", 2..6),
            tables in proptest::collection::vec(table(), 1..4),
            fks in proptest::collection::vec((0usize..4, 0usize..4), 0..3),
            pick in 0usize..5,
            replace in any::<bool>(),
        ) {
            let labels: Vec<String> = labels.into_iter().collect();
            let from = labels[pick % labels.len()].clone();
            let to = labels[(pick + 1) % labels.len()].clone();
            let values: Vec<String> = labels.iter().filter(|l| **l != from).cloned().collect();
            let mut f = SwapFacts { name: "st".into(), ..SwapFacts::default() };
            for (t, (cols, partitioned)) in tables.iter().enumerate() {
                let table_sql = format!("public.t{t}");
                for (c, (is_array, default)) in cols.iter().enumerate() {
                    let default_sql = default.as_ref().map(|d| {
                        let els: Vec<String> = d.iter().map(|&k| array_element(&labels[k % labels.len()])).collect();
                        if *is_array {
                            format!("'{{{}}}'::public.st[]", els.join(","))
                        } else {
                            format!("'{}'::public.st", labels[d.first().copied().unwrap_or(0) % labels.len()])
                        }
                    });
                    f.columns.push(ColumnUse { table_sql: table_sql.clone(), column: format!("c{c}"), is_array: *is_array, default_sql });
                }
                let only = if *partitioned { "ONLY " } else { "" };
                // a partitioned table: two partitions, one of them
                // partitioned again, each index with its own name
                let parts = if *partitioned {
                    [("p1", format!("public.t{t}_idx")), ("p2", format!("public.t{t}_idx")), ("p2a", format!("public.t{t}_p2_own"))]
                        .iter()
                        .map(|(p, parent)| IndexPart {
                            name_sql: if *p == "p2" { format!("public.t{t}_p2_own") } else { format!("public.t{t}_{p}_own") },
                            parent_sql: parent.clone(),
                            create: format!("CREATE INDEX t{t}_{p}_own ON {}public.t{t}_{p} USING btree (c0)", if *p == "p2" { "ONLY " } else { "" }),
                            comment: Some(format!("part {p}")),
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                f.indexes.push(CarriedIndex {
                    name_sql: format!("public.t{t}_idx"),
                    create: format!(
                        "CREATE INDEX t{t}_idx ON {only}{table_sql} USING btree (c0) WHERE (c0 <> 'zz'::public.st)"
                    ),
                    comment: None,
                    parts,
                });
            }
            for (n, (a, b)) in fks.iter().enumerate() {
                let (a, b) = (a % tables.len(), b % tables.len());
                f.foreign_keys.push(carried(&format!("public.t{a}"), &format!("fk{n}"), &format!("FOREIGN KEY (c0) REFERENCES public.t{b}(c0)")));
            }
            let sql = swap_sql(&f, &values, replace.then_some((from.as_str(), to.as_str())));
            let first_alter = sql.iter().position(|s| s.contains(" TYPE \"st\"")).unwrap();
            let last_alter = sql.iter().rposition(|s| s.contains(" TYPE \"st\"")).unwrap();
            for t in 0..tables.len() {
                let table = format!("ALTER TABLE public.t{t} ALTER COLUMN");
                prop_assert_eq!(sql.iter().filter(|s| s.starts_with(&table) && s.contains(" TYPE ")).count(), 1);
            }
            for k in &f.foreign_keys {
                let drop = sql.iter().position(|s| s.contains("DROP CONSTRAINT") && s.contains(&format!("\"{}\"", k.name))).unwrap();
                let add = sql.iter().position(|s| s.contains("ADD CONSTRAINT") && s.contains(&format!("\"{}\"", k.name))).unwrap();
                prop_assert!(drop < first_alter && add > last_alter);
            }
            for s in &sql {
                prop_assert!(!s.starts_with("DROP") || !s.contains("CASCADE"));
            }
            // a partitioned index: dropped once (its parts with it), its
            // parts created after it under their own names with their
            // comments, and attached once both sides exist
            let at = |p: &dyn Fn(&String) -> bool| sql.iter().position(p);
            for i in &f.indexes {
                let create = at(&|s| *s == i.create).unwrap();
                prop_assert!(create > last_alter);
                for p in &i.parts {
                    let dropped = sql.contains(&format!("DROP INDEX {}", p.name_sql));
                    prop_assert!(!dropped);
                    let made = at(&|s| *s == p.create).unwrap();
                    let parent = at(&|s| s.starts_with("CREATE INDEX") && s.contains(&format!(" {} ON", p.parent_sql.trim_start_matches("public.")))).unwrap();
                    let attach = at(&|s| *s == format!("ALTER INDEX {} ATTACH PARTITION {}", p.parent_sql, p.name_sql)).unwrap();
                    prop_assert!(create < made && parent < attach && made < attach);
                    let comment = format!("COMMENT ON INDEX {} IS 'part {}'", p.name_sql, p.name_sql.rsplit('_').nth(1).unwrap_or(""));
                    prop_assert!(sql.contains(&comment));
                }
            }
            for (c, s) in f.columns.iter().filter(|c| c.default_sql.is_some()).zip(sql.iter().filter(|s| s.contains("SET DEFAULT"))) {
                let d = s.split(" SET DEFAULT ").nth(1).unwrap();
                if replace {
                    prop_assert!(!expr_mentions(d, "st", std::slice::from_ref(&from)));
                    let old: Vec<String> = typed_literals(c.default_sql.as_deref().unwrap(), "st").iter().flat_map(|l| if l.array { array_elements(&l.text).into_iter().map(|e| e.value).collect() } else { vec![l.text.clone()] }).map(|v| if v == from { to.clone() } else { v }).collect();
                    let new: Vec<String> = typed_literals(d, "st").iter().flat_map(|l| if l.array { array_elements(&l.text).into_iter().map(|e| e.value).collect() } else { vec![l.text.clone()] }).collect();
                    prop_assert_eq!(old, new);
                } else {
                    prop_assert_eq!(d, c.default_sql.as_deref().unwrap());
                }
            }
        }
    }
}
