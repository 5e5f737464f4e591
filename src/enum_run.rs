//! Enum value ops at run time: the shell around [`enums`]' pure plans.
//!
//! An enum value op (add, drop, set values) is planned from the live
//! catalog just before it runs: `ADD VALUE` where that is enough, the type
//! swap otherwise, or a refusal saying what stands in the way. A value a
//! later op of the same call uses must be usable at once, which PostgreSQL
//! 15 allows only for a type created anew, so [`Later`] tells the planner
//! what comes after.

use crate::catalog;
use crate::enums::{self, EnumPlan, Position};
use crate::error::{code, MigrateError, Result};
use crate::ops::Op;
use crate::quote::{ident, literal, qualified};
use crate::render::{render, Line};
use pgrx::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Enum values this transaction added with `ADD VALUE`, per type
/// (schema, name, values).
type Unusable = Rc<Vec<(String, String, Vec<String>)>>;

thread_local! {
    /// What [`catalog::unusable_values`] last read, and in which top
    /// transaction. Reading it is a scan of `pg_enum` that returns every
    /// value written in this transaction, so before every op of a long run
    /// (a thousand `create_enum`s) it made the run quadratic; it is read
    /// again only when something may have added a value since.
    static UNUSABLE: RefCell<Option<(pg_sys::TransactionId, Unusable)>> = const { RefCell::new(None) };
}

/// Forget the values read by [`unusable`]: at the start of a run (the
/// caller's own statements may have added some since the last one), and
/// after any statement that may add one (`run::run_sql`).
pub fn forget_unusable() {
    UNUSABLE.with(|c| *c.borrow_mut() = None);
}

/// Whether `sql` may add an enum value: it says `VALUE` somewhere (`ALTER
/// TYPE ... ADD VALUE`, also inside a `DO` block). A value added inside a
/// function the statement calls is not seen; using it in the same
/// transaction then fails with PostgreSQL's 55P04, as documented.
pub fn may_add_value(sql: &str) -> bool {
    sql.to_ascii_uppercase().contains("VALUE")
}

fn unusable() -> Result<Unusable> {
    // SAFETY: reads this backend's transaction state; no xid is assigned
    // by it.
    let top = unsafe { pg_sys::GetTopTransactionIdIfAny() };
    if top == pg_sys::InvalidTransactionId {
        // nothing written yet in this transaction: nothing added
        return Ok(Rc::new(Vec::new()));
    }
    if let Some(found) = UNUSABLE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(xid, _)| *xid == top)
            .map(|(_, v)| v.clone())
    }) {
        return Ok(found);
    }
    let read = Rc::new(catalog::unusable_values()?);
    UNUSABLE.with(|c| *c.borrow_mut() = Some((top, read.clone())));
    Ok(read)
}

/// The ops that run after the current one in this call.
pub struct Later<'a> {
    /// The ops after it in its own step.
    rest: &'a [Op],
    /// The ops of the steps after its step.
    following: Vec<&'a [Op]>,
}

impl<'a> Later<'a> {
    pub fn new(rest: &'a [Op], following: Vec<&'a [Op]>) -> Self {
        Later { rest, following }
    }

    /// Whether a later op mentions `value` (see [`op_mentions`]): it may
    /// use the value, so it must be usable at once.
    fn mentions(&self, value: &str) -> bool {
        self.rest
            .iter()
            .chain(self.following.iter().flat_map(|ops| ops.iter()))
            .any(|op| op_mentions(op, value))
    }
}

/// Whether an op may use the enum value `value`: a string of its JSON is
/// the value, holds it as a quoted SQL literal, or as an element of an
/// array literal (`'{new,escalated}'`, a bulk_insert's `"{open,escalated}"`).
/// Ops that define enums name values without using them as data.
fn op_mentions(op: &Op, value: &str) -> bool {
    if defines_enum(op) {
        return false;
    }
    serde_json::to_value(op)
        .map(|json| enums::json_mentions(&json, value))
        .unwrap_or(true)
}

fn defines_enum(op: &Op) -> bool {
    matches!(
        op,
        Op::CreateEnum { .. }
            | Op::DropEnum { .. }
            | Op::AddEnumValue { .. }
            | Op::DropEnumValue { .. }
            | Op::RenameEnumValue { .. }
            | Op::SetEnumValues { .. }
    )
}

/// Before an op that uses a value this transaction added with `ADD VALUE`
/// (an earlier `migrate.upgrade` call of the same transaction, or an
/// `execute` op), swap its type for a new one with the same values, whose
/// values are all usable at once.
fn rebuild_for(op: &Op) -> Result<Vec<Line>> {
    if defines_enum(op) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (schema, name, unusable) in unusable()?.iter() {
        let used: Vec<String> = unusable
            .iter()
            .filter(|v| op_mentions(op, v))
            .map(|v| literal(v))
            .collect();
        if used.is_empty() {
            continue;
        }
        let Some(found) = catalog::existing_type(Some(schema), name)? else {
            continue;
        };
        out.extend(
            swap(
                Some(schema),
                name,
                &found.values,
                &[],
                None,
                &format!(
                    "{} added earlier in this transaction, used before commit",
                    used.join(", ")
                ),
                true,
            )
            .map_err(commit_first)?,
        );
    }
    Ok(out)
}

/// The statements of an enum value op, planned from the live catalog: the
/// cheapest correct SQL.
fn enum_statements(op: &Op, later: &Later) -> Result<Vec<Line>> {
    let (schema, name) = match op {
        Op::AddEnumValue { schema, name, .. }
        | Op::DropEnumValue { schema, name, .. }
        | Op::SetEnumValues { schema, name, .. } => (schema.as_deref(), name.as_str()),
        _ => return Ok(render(op).into_iter().map(Line::Sql).collect()),
    };
    let ty = qualified(schema, name);
    let found = catalog::existing_type(schema, name)?.ok_or_else(|| enums::no_such_enum(&ty))?;
    if found.kind != "e" {
        return Err(enums::not_an_enum(&ty));
    }
    let current = found.values;
    // PostgreSQL 15 refuses to use a value added by ADD VALUE before commit
    // (55P04), even for a type created in the same transaction; a value a
    // later op may use is therefore added by a swap, which creates the
    // type anew so all its values are usable at once
    let must_swap =
        |added: &[&String]| -> Result<bool> { Ok(added.iter().any(|v| later.mentions(v))) };
    match op {
        Op::AddEnumValue {
            value,
            before,
            after,
            if_not_exists,
            ..
        } => {
            if current.contains(value) {
                if *if_not_exists {
                    return Ok(vec![Line::Note(format!(
                        "enum {ty} already has the value {}: nothing to do",
                        literal(value)
                    ))]);
                }
                return Err(MigrateError::new(
                    code::EXISTS,
                    format!("enum {ty} already has the value {value:?}"),
                )
                .with_hint("Use \"if_not_exists\": true to skip a value that is there."));
            }
            let anchor = |v: &String| -> Result<usize> {
                current
                    .iter()
                    .position(|c| c == v)
                    .ok_or_else(|| enums::no_value(&ty, v))
            };
            let (pos, at) = match (before, after) {
                (Some(b), _) => (Position::Before(b.clone()), anchor(b)?),
                (_, Some(a)) => (Position::After(a.clone()), anchor(a)? + 1),
                _ => (Position::End, current.len()),
            };
            let mut desired = current.clone();
            desired.insert(at, value.clone());
            if must_swap(&[value])? {
                return swap(
                    schema,
                    name,
                    &desired,
                    &[],
                    None,
                    "a later op of this call uses the new value",
                    true,
                )
                .map_err(commit_first);
            }
            Ok(vec![
                Line::Note(format!(
                    "enum {ty}: ADD VALUE, catalog-only, no table is rewritten"
                )),
                Line::Sql(enums::add_value_sql(&ty, value, &pos, *if_not_exists)),
            ])
        }
        Op::DropEnumValue {
            value,
            replace_with,
            ..
        } => {
            if !current.contains(value) {
                return Err(enums::no_value(&ty, value));
            }
            if let Some(r) = replace_with {
                if !current.contains(r) {
                    return Err(MigrateError::invalid(format!(
                        "replace_with {r:?} is not a value of enum {ty}"
                    )));
                }
            }
            let desired: Vec<String> = current.iter().filter(|v| *v != value).cloned().collect();
            swap(
                schema,
                name,
                &desired,
                std::slice::from_ref(value),
                replace_with.as_deref().map(|r| (value.as_str(), r)),
                "PostgreSQL cannot drop an enum value",
                false,
            )
        }
        Op::SetEnumValues { values, .. } => match enums::plan_values(&current, values) {
            EnumPlan::Nothing => Ok(vec![Line::Note(format!(
                "enum {ty} already has these values: nothing to do"
            ))]),
            EnumPlan::AddValues(adds) => {
                let added: Vec<&String> = adds.iter().map(|(v, _)| v).collect();
                if must_swap(&added)? {
                    return swap(
                        schema,
                        name,
                        values,
                        &[],
                        None,
                        "a later op of this call uses a new value",
                        true,
                    )
                    .map_err(commit_first);
                }
                Ok(std::iter::once(Line::Note(format!(
                    "enum {ty}: ADD VALUE, catalog-only, no table is rewritten"
                )))
                .chain(
                    adds.iter()
                        .map(|(v, pos)| Line::Sql(enums::add_value_sql(&ty, v, pos, false))),
                )
                .collect())
            }
            EnumPlan::Swap { removed } => swap(
                schema,
                name,
                values,
                &removed,
                None,
                if removed.is_empty() {
                    "values change order"
                } else {
                    "values are removed"
                },
                false,
            ),
        },
        _ => Ok(render(op).into_iter().map(Line::Sql).collect()),
    }
}

/// A swap that would only make new values usable at once, refused for
/// what uses the type: committing first makes the values usable without it.
fn commit_first(e: MigrateError) -> MigrateError {
    if e.code != code::IN_USE {
        return e;
    }
    e.with_hint(
        "PostgreSQL lets no one use a value added by ADD VALUE before its transaction commits, \
         and the swap that makes it usable at once cannot carry these over. Commit after adding \
         the value and use it in a later transaction, or drop them in an earlier op and create \
         them again after this one.",
    )
}

/// The type swap's statements, or why it cannot be done.
fn swap(
    schema: Option<&str>,
    name: &str,
    values: &[String],
    removed: &[String],
    replace: Option<(&str, &str)>,
    why: &str,
    only_adds: bool,
) -> Result<Vec<Line>> {
    let ty = qualified(schema, name);
    let (facts, blockers) = catalog::swap_facts(schema, name)?;
    if !blockers.is_empty() {
        return Err(MigrateError::new(
            code::IN_USE,
            format!(
                "cannot change enum {ty}: {} swaps the type, and these use it: {}",
                if only_adds {
                    "making a new value usable at once"
                } else {
                    "removing or reordering values"
                },
                blockers.join(", ")
            ),
        )
        .with_hint(
            "Drop them in an earlier op and create them again after this one; migrate_ext never uses CASCADE.",
        ));
    }
    if !removed.is_empty() {
        // a condition that names a removed value cannot be carried over to
        // a type without it, and replace_with would change its meaning
        let naming: Vec<String> = facts
            .constraints
            .iter()
            .filter(|k| enums::expr_mentions(&k.def, name, removed))
            .map(|k| format!("constraint {} of {}", ident(&k.name), k.table_sql))
            .chain(
                facts
                    .indexes
                    .iter()
                    .filter(|i| enums::expr_mentions(&i.create, name, removed))
                    .map(|i| format!("index {}", i.name_sql)),
            )
            .collect();
        if !naming.is_empty() {
            let values: Vec<String> = removed.iter().map(|v| literal(v)).collect();
            return Err(MigrateError::new(
                code::IN_USE,
                format!(
                    "cannot remove {} from enum {ty}: {} name it",
                    values.join(", "),
                    naming.join(", ")
                ),
            )
            .with_hint(
                "A condition that names the value cannot be carried over to a type without it: \
                 drop it (drop_constraint, drop_index) in an earlier op, and add it back without the value after this one.",
            ));
        }
    }
    if !removed.is_empty() && replace.is_none() {
        let holding = catalog::rows_holding(&facts.columns, removed)?;
        let defaults: Vec<String> = facts
            .columns
            .iter()
            .filter(|c| {
                c.default_sql
                    .as_deref()
                    .is_some_and(|d| enums::expr_mentions(d, name, removed))
            })
            .map(|c| format!("{}.{}", c.table_sql, ident(&c.column)))
            .collect();
        if !holding.is_empty() || !defaults.is_empty() {
            let total: i64 = holding.iter().map(|(_, n)| n).sum();
            let list: Vec<String> = holding.iter().map(|(c, n)| format!("{c}: {n}")).collect();
            let mut parts = Vec::new();
            if total > 0 {
                parts.push(format!("{total} row(s) hold it ({})", list.join(", ")));
            }
            if !defaults.is_empty() {
                parts.push(format!("it is the default of {}", defaults.join(", ")));
            }
            let why = parts.join("; ");
            let values: Vec<String> = removed.iter().map(|v| literal(v)).collect();
            return Err(MigrateError::new(
                code::HELD,
                format!("cannot remove {} from enum {ty}: {why}", values.join(", ")),
            )
            .with_hint("Give \"replace_with\" (drop_enum_value), or change those rows and defaults in an earlier op."));
        }
    }
    let tables: std::collections::BTreeSet<&str> =
        facts.columns.iter().map(|c| c.table_sql.as_str()).collect();
    let rewrites = if tables.is_empty() {
        "no table uses the type".to_string()
    } else {
        format!(
            "rewrites {}",
            tables.into_iter().collect::<Vec<_>>().join(", ")
        )
    };
    let mut out = vec![Line::Note(format!(
        "enum {ty}: type swap ({why}); {rewrites}"
    ))];
    out.extend(
        enums::swap_sql(&facts, values, replace)
            .into_iter()
            .map(Line::Sql),
    );
    Ok(out)
}

/// Check a create_enum or drop_enum op against the live catalog: whether
/// it can run (an error if not), and whether it has anything to do (false:
/// the enum is already there as wanted, so the op is skipped).
pub fn checked(op: &Op) -> Result<bool> {
    match op {
        Op::CreateEnum {
            schema,
            name,
            values,
        } => {
            if let Some(found) = catalog::existing_type(schema.as_deref(), name)? {
                if found.kind != "e" {
                    return Err(MigrateError::new(
                        code::EXISTS,
                        format!("type \"{name}\" already exists and is not an enum"),
                    ));
                }
                if &found.values != values {
                    return Err(MigrateError::new(
                        code::EXISTS,
                        format!("enum \"{name}\" already exists with other values"),
                    )
                    .with_detail(format!(
                        "Existing values: {}; wanted: {}.",
                        found.values.join(", "),
                        values.join(", ")
                    ))
                    .with_hint("Drop it first, or change its values with an execute op."));
                }
                notice!("enum \"{name}\" already exists with the same values, skipping");
                return Ok(false);
            }
        }
        Op::DropEnum { schema, name } => {
            if let Some(uses) = catalog::type_uses(schema.as_deref(), name)? {
                if uses.kind != "e" {
                    return Err(enums::not_an_enum(&qualified(schema.as_deref(), name)));
                }
                if !uses.columns.is_empty() {
                    return Err(MigrateError::new(
                        code::IN_USE,
                        format!(
                            "cannot drop enum {} while columns use it: {}",
                            qualified(schema.as_deref(), name),
                            uses.columns.join(", ")
                        ),
                    )
                    .with_hint(
                        "Drop or change those columns first (drop_column before drop_enum).",
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(true)
}

/// The statements an op runs: planned from the live catalog for enum value
/// ops (a leading `--` line says which strategy), rendered otherwise.
pub fn planned(op: &Op, later: &Later) -> Result<Vec<Line>> {
    match op {
        Op::AddEnumValue { .. } | Op::DropEnumValue { .. } | Op::SetEnumValues { .. } => {
            enum_statements(op, later)
        }
        _ => {
            let mut lines = rebuild_for(op)?;
            lines.extend(render(op).into_iter().map(Line::Sql));
            Ok(lines)
        }
    }
}
