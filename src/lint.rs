//! `migrate.lint()`: what the ops of a planned run would do to a busy
//! production table, as warnings with stable codes.
//!
//! The rules are plain Rust over the planned steps' ops and a few facts
//! about the tables they name (size, columns, check constraints), read
//! from the catalog beforehand; they run no SQL, and are unit tested
//! without a server. [`locks`] says which table locks an op takes, in
//! PostgreSQL's own lock modes. The shell at the end ([`lint_target`])
//! plans the run as `migrate.sql()` does, and reads the facts.
//!
//! Every step of one `migrate.upgrade()` call runs in the caller's
//! transaction, so every lock an op takes is held until that transaction
//! ends, across the revisions of the call.

use crate::ops::{
    is_serial, AddConstraint, AlterColumn, ConstraintKind, CreateIndex, Op, ServerDefault,
};
use crate::quote::{ident, qualified};
use std::collections::{HashMap, HashSet};

/// A table above this many rows (`pg_class.reltuples`) or this many bytes
/// of heap is "big" for ML005.
pub const BIG_ROWS: f64 = 10_000.0;
pub const BIG_BYTES: i64 = 10 * 1024 * 1024;

/// The table lock modes ops take (PostgreSQL's, less the three no op
/// takes: ACCESS SHARE, ROW SHARE, EXCLUSIVE), weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockMode {
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    AccessExclusive,
}

impl LockMode {
    /// As PostgreSQL's documentation and `LOCK TABLE` name it.
    pub fn sql(self) -> &'static str {
        match self {
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }
}

/// The relation locks an op's SQL takes, as (relation, mode): the relation
/// as the op writes it (`"t"` or `"s"."t"`, which resolves through the
/// search_path as the statement does). What the op alone cannot say is
/// left out:
/// - `drop_index` names the index; PostgreSQL also locks its table ACCESS
///   EXCLUSIVE (SHARE UPDATE EXCLUSIVE when concurrent);
/// - `drop_constraint` of a foreign key also locks the referenced table
///   ACCESS EXCLUSIVE; `validate_constraint` of one also locks it ROW SHARE;
/// - `bulk_insert` also takes ROW SHARE on the tables its foreign keys
///   reference;
/// - `execute` is raw SQL (nothing is said), and an enum type swap
///   (`drop_enum_value`, `set_enum_values`, an `add_enum_value` whose value
///   a later op uses) locks every table using the type ACCESS EXCLUSIVE.
///   The other enum ops lock no table.
///
/// `create_table` locks its new table ACCESS EXCLUSIVE, which no other
/// session can see yet.
pub fn locks(op: &Op) -> Vec<(String, LockMode)> {
    use LockMode::*;
    let on = |schema: &Option<String>, table: &str, mode| {
        vec![(qualified(schema.as_deref(), table), mode)]
    };
    match op {
        Op::CreateTable { schema, name, .. }
        | Op::DropTable { schema, name }
        | Op::RenameTable { schema, name, .. } => on(schema, name, AccessExclusive),
        Op::AddColumn { schema, table, .. }
        | Op::DropColumn { schema, table, .. }
        | Op::RenameColumn { schema, table, .. }
        | Op::DropConstraint { schema, table, .. } => on(schema, table, AccessExclusive),
        Op::AlterColumn(a) => {
            // COMMENT ON COLUMN alone takes SHARE UPDATE EXCLUSIVE
            on(
                &a.schema,
                &a.table,
                if a.alters() {
                    AccessExclusive
                } else {
                    ShareUpdateExclusive
                },
            )
        }
        Op::CreateIndex(i) => on(
            &i.schema,
            &i.table,
            if op.is_concurrent() {
                ShareUpdateExclusive
            } else {
                Share
            },
        ),
        Op::DropIndex { schema, name, .. } => on(
            schema,
            name,
            if op.is_concurrent() {
                ShareUpdateExclusive
            } else {
                AccessExclusive
            },
        ),
        Op::AddConstraint(AddConstraint {
            schema,
            table,
            kind,
            references,
            ..
        }) => match (kind, references) {
            (ConstraintKind::ForeignKey, Some(r)) => {
                let mut out = on(schema, table, ShareRowExclusive);
                let referenced = qualified(r.schema.as_deref(), &r.table);
                if referenced != out[0].0 {
                    out.push((referenced, ShareRowExclusive));
                }
                out
            }
            _ => on(schema, table, AccessExclusive),
        },
        Op::ValidateConstraint { schema, table, .. } => on(schema, table, ShareUpdateExclusive),
        Op::BulkInsert { schema, table, .. } => on(schema, table, RowExclusive),
        Op::Execute { .. }
        | Op::CreateEnum { .. }
        | Op::DropEnum { .. }
        | Op::RenameEnum { .. }
        | Op::AddEnumValue { .. }
        | Op::RenameEnumValue { .. }
        | Op::DropEnumValue { .. }
        | Op::SetEnumValues { .. } => vec![],
    }
}

/// What the catalog says about one table an op names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableFacts {
    /// The table as PostgreSQL prints it schema-qualified: `public.orders`.
    pub name: String,
    /// `pg_class.reltuples`: the planner's row estimate; -1 when the table
    /// was never vacuumed or analyzed.
    pub rows: f64,
    /// `pg_relation_size`: the heap's size on disk now.
    pub heap_bytes: i64,
    /// `pg_total_relation_size`: heap, indexes and TOAST.
    pub total_bytes: i64,
    /// Its columns by name.
    pub columns: HashMap<String, ColumnFacts>,
    /// Its check constraints.
    pub checks: Vec<CheckFacts>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnFacts {
    /// As `format_type` prints it: `character varying(20)`.
    pub type_name: String,
    pub not_null: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckFacts {
    pub name: String,
    pub validated: bool,
    /// `pg_get_constraintdef`: `CHECK ((note IS NOT NULL))`.
    pub definition: String,
}

/// The facts about every table and index the planned ops name, keyed as
/// the ops write them (see [`referenced`]). A name the catalog does not
/// know now has no entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub tables: HashMap<String, TableFacts>,
    /// index, as `drop_index` writes it → its table (`public.orders`)
    pub index_tables: HashMap<String, String>,
}

/// One planned step: a revision and the ops it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub revision: String,
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Info,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One row of `migrate.lint()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub revision: String,
    /// 1-based, as error messages count ops
    pub op: usize,
    pub kind: &'static str,
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

/// The tables (first) and indexes (second) the ops name, as they write
/// them, each once: what the shell reads facts about.
pub fn referenced(steps: &[Step]) -> (Vec<String>, Vec<String>) {
    let mut tables: Vec<String> = Vec::new();
    let mut indexes: Vec<String> = Vec::new();
    for op in steps.iter().flat_map(|s| &s.ops) {
        let list = match op {
            Op::DropIndex { .. } => &mut indexes,
            _ => &mut tables,
        };
        for (name, _) in locks(op) {
            if !list.contains(&name) {
                list.push(name);
            }
        }
    }
    (tables, indexes)
}

/// What the rules know about a table at one point of the plan.
enum Table<'f> {
    /// created earlier in this call: empty, and no other session uses it
    New,
    Known(&'f TableFacts),
    /// not in the catalog now (made by an `execute` earlier in the call,
    /// or not there at all): may hold rows
    Unknown,
}

impl Table<'_> {
    fn populated(&self) -> bool {
        match self {
            Table::New => false,
            Table::Known(f) => f.rows > 0.0 || f.heap_bytes > 0,
            Table::Unknown => true,
        }
    }

    fn big(&self) -> bool {
        match self {
            Table::Known(f) => f.rows >= BIG_ROWS || f.heap_bytes >= BIG_BYTES,
            _ => false,
        }
    }
}

/// A constraint added NOT VALID earlier in the call.
struct NotValid {
    revision: String,
    op: usize,
    lock: LockMode,
    proves: Vec<String>,
}

/// The rules' memory along the plan.
struct State<'f> {
    facts: &'f Facts,
    /// tables created in this call (as written, renames followed)
    new_tables: HashSet<String>,
    /// a name a rename gave (as written) → the name it had
    renamed: HashMap<String, String>,
    /// constraints added NOT VALID in this call: (table, name) → where
    /// (revision, op number), the lock the add took, and the columns the
    /// check proves NOT NULL once validated
    not_valid: HashMap<(String, String), NotValid>,
    /// columns that a check validated in this call proves NOT NULL
    proven: HashSet<(String, String)>,
}

impl<'f> State<'f> {
    /// The name a table had before the renames of this call.
    fn original(&self, written: &str) -> String {
        let mut name = written.to_string();
        let mut hops = 0;
        while let Some(before) = self.renamed.get(&name) {
            name = before.clone();
            hops += 1;
            if hops > 1000 {
                break;
            }
        }
        name
    }

    fn table(&self, written: &str) -> Table<'f> {
        if self.new_tables.contains(written) {
            return Table::New;
        }
        match self.facts.tables.get(&self.original(written)) {
            Some(f) => Table::Known(f),
            None => Table::Unknown,
        }
    }

    /// One name per table, whatever the ops call it: the catalog's when
    /// it knows the table.
    fn key(&self, written: &str) -> String {
        match self.table(written) {
            Table::Known(f) => f.name.clone(),
            _ => self.original(written),
        }
    }

    /// `public.orders (about 20000 rows)`, for messages.
    fn describe(&self, written: &str) -> String {
        let size = match self.table(written) {
            Table::Known(f) if f.rows >= 0.0 => format!("about {} rows", f.rows.round() as i64),
            Table::Known(f) => format!("never analyzed; {} on disk", pretty_bytes(f.heap_bytes)),
            Table::New => "created earlier in this call".into(),
            Table::Unknown => "not in the catalog now".into(),
        };
        match self.table(written) {
            Table::Known(f) if self.original(written) != written => {
                format!("{written} ({} before the rename; {size})", f.name)
            }
            _ => format!("{} ({size})", self.shown(written)),
        }
    }

    /// The table as the catalog names it (`public.orders`), or as the op
    /// writes it when the catalog does not know it by that name.
    fn shown(&self, written: &str) -> String {
        match self.table(written) {
            Table::Known(f) if self.original(written) == written => f.name.clone(),
            Table::Known(f) => format!("{written} ({} before the rename)", f.name),
            _ => written.to_string(),
        }
    }

    /// Whether the column is NOT NULL already, or a validated check
    /// (in the catalog, or validated earlier in this call) proves it.
    fn not_null_known(&self, written: &str, column: &str) -> bool {
        if self
            .proven
            .contains(&(self.key(written), column.to_string()))
        {
            return true;
        }
        match self.table(written) {
            Table::Known(f) => {
                f.columns.get(column).is_some_and(|c| c.not_null)
                    || f.checks.iter().any(|k| {
                        k.validated && not_null_columns(&k.definition).iter().any(|c| c == column)
                    })
            }
            _ => false,
        }
    }
}

/// The warnings for a planned run, in plan order.
pub fn lint(steps: &[Step], facts: &Facts) -> Vec<Warning> {
    let mut st = State {
        facts,
        new_tables: HashSet::new(),
        renamed: HashMap::new(),
        not_valid: HashMap::new(),
        proven: HashSet::new(),
    };
    let mut out = Vec::new();
    for step in steps {
        // ACCESS EXCLUSIVE locks of this revision: table → first op
        let mut exclusive: Vec<(String, usize)> = Vec::new();
        for (i, op) in step.ops.iter().enumerate() {
            let n = i + 1;
            let mut warn = |code: &'static str, severity, message: String, fix: String| {
                out.push(Warning {
                    revision: step.revision.clone(),
                    op: n,
                    kind: op.kind(),
                    code,
                    severity,
                    message,
                    fix,
                })
            };
            for (rel, mode) in locks(op) {
                // a new table is no other session's
                if mode != LockMode::AccessExclusive || matches!(op, Op::CreateTable { .. }) {
                    continue;
                }
                let table = match op {
                    Op::DropIndex { .. } => match facts.index_tables.get(&rel) {
                        Some(t) => t.clone(),
                        None => continue,
                    },
                    _ if matches!(st.table(&rel), Table::New) => continue,
                    _ => st.key(&rel),
                };
                if exclusive.iter().any(|(t, _)| *t == table) {
                    continue;
                }
                exclusive.push((table, n));
                if exclusive.len() == 2 {
                    let tables: Vec<String> = exclusive
                        .iter()
                        .map(|(t, at)| format!("{t} (op {at})"))
                        .collect();
                    warn(
                        "ML008",
                        Severity::Warning,
                        format!(
                            "this revision takes ACCESS EXCLUSIVE locks on several tables: {}; each is held until the transaction commits, so queries on all of them wait for the whole revision, and sessions that lock them in another order can deadlock with it",
                            tables.join(", ")
                        ),
                        "Split the revision so that each locks one table, and upgrade the revisions in separate transactions (migrate.upgrade('+1') in each), with a lock_timeout.".into(),
                    );
                }
            }
            rules(&mut st, op, &step.revision, n, &mut warn);
        }
    }
    out
}

/// The rules of one op; they also note what later ops need to know.
fn rules(
    st: &mut State,
    op: &Op,
    revision: &str,
    n: usize,
    warn: &mut impl FnMut(&'static str, Severity, String, String),
) {
    match op {
        Op::CreateTable { schema, name, .. } => {
            st.new_tables.insert(qualified(schema.as_deref(), name));
        }
        Op::AddConstraint(c) => add_constraint(st, c, revision, n, warn),
        Op::ValidateConstraint {
            schema,
            table,
            name,
        } => validate_constraint(st, schema, table, name, warn),
        Op::AlterColumn(c) => alter_column(st, c, warn),
        Op::CreateIndex(CreateIndex {
            schema,
            table,
            name,
            ..
        }) => {
            let t = qualified(schema.as_deref(), table);
            if !op.is_concurrent() && st.table(&t).big() {
                warn(
                    "ML005",
                    Severity::Warning,
                    format!(
                        "CREATE INDEX {} takes a SHARE lock on {}: writes wait until the whole index is built",
                        ident(name),
                        st.describe(&t)
                    ),
                    format!(
                        "Build it with \"concurrently\": true (SHARE UPDATE EXCLUSIVE: reads and writes go on), in a revision of its own. Tables of {} rows or {} MB and more are checked.",
                        BIG_ROWS as i64,
                        BIG_BYTES / 1024 / 1024
                    ),
                );
            }
        }
        Op::AddColumn {
            schema,
            table,
            column,
        } => add_column(st, schema, table, column, warn),
        Op::DropColumn {
            schema,
            table,
            column,
        } => {
            let t = qualified(schema.as_deref(), table);
            if !matches!(st.table(&t), Table::New) {
                warn(
                    "ML007",
                    Severity::Warning,
                    format!(
                        "drop_column removes column {} of {} while the running application may still read or write it: its queries fail from the commit on",
                        ident(column),
                        st.shown(&t)
                    ),
                    "First deploy application code that no longer uses the column (for an ORM: no longer maps it); then run this revision.".into(),
                );
            }
        }
        Op::DropTable { schema, name } => {
            let t = qualified(schema.as_deref(), name);
            if !matches!(st.table(&t), Table::New) {
                warn(
                    "ML007",
                    Severity::Warning,
                    format!(
                        "drop_table removes {} while the running application may still use it: its queries fail from the commit on",
                        st.shown(&t)
                    ),
                    "First deploy application code that no longer uses the table; then run this revision.".into(),
                );
            }
        }
        Op::RenameTable {
            schema,
            name,
            new_name,
        } => {
            let t = qualified(schema.as_deref(), name);
            let to = qualified(schema.as_deref(), new_name);
            if matches!(st.table(&t), Table::New) {
                st.new_tables.insert(to.clone());
            } else {
                warn(
                    "ML007",
                    Severity::Warning,
                    format!(
                        "rename_table renames {} to {} while the running application may still use the old name: its queries fail from the commit on",
                        st.shown(&t),
                        ident(new_name)
                    ),
                    "Deploy application code that works under both names first (for example, with a view under the new name before the rename, or under the old one after it); drop the stand-in once no code uses it.".into(),
                );
            }
            let original = st.original(&t);
            st.renamed.insert(to, original);
        }
        Op::RenameColumn {
            schema,
            table,
            column,
            new_name,
        } => {
            let t = qualified(schema.as_deref(), table);
            if !matches!(st.table(&t), Table::New) {
                warn(
                    "ML007",
                    Severity::Warning,
                    format!(
                        "rename_column renames column {} of {} to {} while the running application may still use the old name: its queries fail from the commit on",
                        ident(column),
                        st.shown(&t),
                        ident(new_name)
                    ),
                    "Add the new column, keep both in step (a trigger) while code that uses either runs, switch the code, then drop the old column; or rename in a release that stops the application first.".into(),
                );
            }
        }
        Op::Execute { .. } => warn(
            "ML009",
            Severity::Info,
            "raw SQL cannot be analysed: which tables it locks, in which mode, and whether it scans or rewrites them".into(),
            "Review it by hand; use a typed op where one exists, so the lint can check it.".into(),
        ),
        _ => {}
    }
}

/// Constraints: NOT VALID ones are remembered for a later validate; one
/// added valid to a table with rows scans it under a lock.
fn add_constraint(
    st: &mut State,
    c: &AddConstraint,
    revision: &str,
    n: usize,
    warn: &mut impl FnMut(&'static str, Severity, String, String),
) {
    let AddConstraint {
        schema,
        table,
        name,
        kind,
        references,
        expression,
        not_valid,
        ..
    } = c;
    let t = qualified(schema.as_deref(), table);
    let tab = st.table(&t);
    let lock = if *kind == ConstraintKind::ForeignKey {
        LockMode::ShareRowExclusive
    } else {
        LockMode::AccessExclusive
    };
    let proves = match kind {
        ConstraintKind::Check => not_null_columns(expression.as_deref().unwrap_or("")),
        _ => vec![],
    };
    if *not_valid {
        st.not_valid.insert(
            (st.key(&t), name.clone()),
            NotValid {
                revision: revision.to_string(),
                op: n,
                lock,
                proves,
            },
        );
        return;
    }
    for c in proves {
        st.proven.insert((st.key(&t), c));
    }
    if !tab.populated() {
        return;
    }
    match kind {
        ConstraintKind::ForeignKey => {
            let referenced = references
                .as_ref()
                .map(|r| st.shown(&qualified(r.schema.as_deref(), &r.table)))
                .unwrap_or_default();
            warn(
                "ML001",
                Severity::Warning,
                format!(
                    "foreign key {} is added without NOT VALID: PostgreSQL takes SHARE ROW EXCLUSIVE locks on {} and {referenced} (writes to both wait) and checks every row of {} while holding them, until the transaction commits",
                    ident(name),
                    st.shown(&t),
                    st.describe(&t)
                ),
                "Add it with \"not_valid\": true (no scan; new rows are checked), then validate_constraint in a later revision, upgraded in a later transaction: VALIDATE takes SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans.".into(),
            );
        }
        ConstraintKind::Check => warn(
            "ML002",
            Severity::Warning,
            format!(
                "check constraint {} is added without NOT VALID: PostgreSQL checks every row of {} while holding an ACCESS EXCLUSIVE lock on it (reads and writes wait)",
                ident(name),
                st.describe(&t)
            ),
            "Add it with \"not_valid\": true (no scan; new rows are checked), then validate_constraint in a later revision, upgraded in a later transaction: VALIDATE takes SHARE UPDATE EXCLUSIVE, so reads and writes go on while it scans.".into(),
        ),
        ConstraintKind::PrimaryKey | ConstraintKind::Unique if tab.big() => warn(
            "ML011",
            Severity::Warning,
            format!(
                "{} {} builds its unique index on {} while holding an ACCESS EXCLUSIVE lock (reads and writes wait)",
                if *kind == ConstraintKind::PrimaryKey {
                    "primary key"
                } else {
                    "unique constraint"
                },
                ident(name),
                st.describe(&t)
            ),
            "Build the unique index first with create_index \"unique\": true, \"concurrently\": true, in a revision of its own; then add the constraint on it with an execute op, ALTER TABLE ... ADD CONSTRAINT ... USING INDEX ..., which only takes the lock briefly.".into(),
        ),
        _ => {}
    }
}

/// A validate in the same call as its NOT VALID add; what a validated
/// check proves.
fn validate_constraint(
    st: &mut State,
    schema: &Option<String>,
    table: &str,
    name: &String,
    warn: &mut impl FnMut(&'static str, Severity, String, String),
) {
    let t = qualified(schema.as_deref(), table);
    let key = (st.key(&t), name.clone());
    let mut proves = vec![];
    if let Some(added) = st.not_valid.remove(&key) {
        let NotValid {
            revision: rev,
            op: at,
            lock,
            ..
        } = &added;
        warn(
            "ML010",
            Severity::Warning,
            format!(
                "constraint {} is validated in the same call that adds it NOT VALID (revision {rev}, op {at}): every step of an upgrade runs in one transaction, so the {} lock the add took on {} is still held while VALIDATE scans it",
                ident(name),
                lock.sql(),
                st.describe(&t)
            ),
            format!(
                "Upgrade to revision {rev} first and commit; upgrade on in a later transaction."
            ),
        );
        proves = added.proves;
    } else if let Table::Known(f) = st.table(&t) {
        proves = f
            .checks
            .iter()
            .filter(|k| &k.name == name)
            .flat_map(|k| not_null_columns(&k.definition))
            .collect();
    }
    // a validated check proves what it says, for later ops
    for c in proves {
        st.proven.insert((key.0.clone(), c));
    }
}

/// A type change that rewrites; SET NOT NULL that scans.
fn alter_column(
    st: &mut State,
    c: &AlterColumn,
    warn: &mut impl FnMut(&'static str, Severity, String, String),
) {
    let AlterColumn {
        schema,
        table,
        column,
        type_name,
        using,
        nullable,
        ..
    } = c;
    let t = qualified(schema.as_deref(), table);
    let tab = st.table(&t);
    if !tab.populated() {
        return;
    }
    if let Some(new_type) = type_name {
        let old = match &tab {
            Table::Known(f) => f.columns.get(column).map(|c| c.type_name.as_str()),
            _ => None,
        };
        if rewrites(old, new_type, using.as_deref()) {
            warn(
                "ML004",
                Severity::Warning,
                format!(
                    "changing the type of column {} {}to {} rewrites {} and rebuilds its indexes while holding an ACCESS EXCLUSIVE lock (reads and writes wait)",
                    ident(column),
                    old.map(|o| format!("from {o} ")).unwrap_or_default(),
                    new_type.trim(),
                    st.describe(&t)
                ),
                "Add a new column of the new type, fill it in batches (and keep it in step with a trigger), switch the application to it, then drop the old one. Widening needs no rewrite: varchar(n) to varchar(m > n), varchar or text; numeric(p, s) to numeric(q > p, s) or numeric.".into(),
            );
        }
    }
    if *nullable == Some(false) && !st.not_null_known(&t, column) {
        warn(
            "ML003",
            Severity::Warning,
            format!(
                "SET NOT NULL on column {} scans all of {} while holding an ACCESS EXCLUSIVE lock (reads and writes wait): no validated CHECK ({} IS NOT NULL) proves it first",
                ident(column),
                st.describe(&t),
                ident(column)
            ),
            format!(
                "Add a check constraint with \"expression\": \"{} IS NOT NULL\" and \"not_valid\": true, validate_constraint it in a later revision and transaction, then set \"nullable\": false: PostgreSQL 12 and later skip the scan when a validated check proves the column is not null. Drop the check after.",
                bare_or_quoted(column).replace('"', "\\\"")
            ),
        );
    }
}

/// A new column that every existing row must be given a value of its own.
fn add_column(
    st: &mut State,
    schema: &Option<String>,
    table: &str,
    column: &crate::ops::Column,
    warn: &mut impl FnMut(&'static str, Severity, String, String),
) {
    let t = qualified(schema.as_deref(), table);
    if !st.table(&t).populated() {
        return;
    }
    let why = if column.identity.is_some() {
        Some(
            "an identity column: every existing row gets the next value of its sequence"
                .to_string(),
        )
    } else if let Some(g) = &column.generated {
        Some(format!(
            "a stored generated column: ({}) is computed for every existing row",
            g.trim()
        ))
    } else if is_serial(&column.type_name) {
        Some(format!(
            "a {} column: every existing row gets the next value of its sequence (nextval() is volatile)",
            column.type_name.trim()
        ))
    } else {
        match &column.server_default {
            Some(ServerDefault::Sql(sql)) => volatile_call(sql).map(|f| {
                format!("its default calls {f}(), which is volatile: every existing row gets a value of its own")
            }),
            _ => None,
        }
    };
    if let Some(why) = why {
        warn(
            "ML006",
            Severity::Warning,
            format!(
                "adding column {} rewrites {} while holding an ACCESS EXCLUSIVE lock (reads and writes wait): {why}",
                ident(&column.name),
                st.describe(&t)
            ),
            "Add the column without a default (or with a constant or stable one, which PostgreSQL 11 and later store without a rewrite), set the default with alter_column for new rows, and fill the existing rows in batches.".into(),
        );
    }
}

/// Whether changing a column from `old` (as `format_type` prints it) to
/// `new` (as written) rewrites the table. Conservative: only these are
/// known not to, without `using`: the same type; varchar(n) to varchar(m)
/// with m >= n, to varchar or to text; varchar or text to varchar or
/// text; numeric(p, s) to numeric(q, s) with q >= p, or to numeric. An
/// unknown old type rewrites.
pub fn rewrites(old: Option<&str>, new: &str, using: Option<&str>) -> bool {
    let Some(old) = old else { return true };
    if using.is_some() {
        return true;
    }
    let (Some((ob, oargs)), Some((nb, nargs))) = (type_parts(old), type_parts(new)) else {
        // what the simple reading cannot take apart: only the very same text
        return old.trim() != new.trim();
    };
    if (&ob, &oargs) == (&nb, &nargs) {
        return false;
    }
    let text_like = |b: &str| b == "text" || b == "character varying";
    match (ob.as_str(), nb.as_str()) {
        ("character varying", "character varying") => match (oargs.as_slice(), nargs.as_slice()) {
            (_, []) => false,
            ([a], [b]) => b < a,
            _ => true,
        },
        (a, b) if text_like(a) && text_like(b) => !(nb == "text" || nargs.is_empty()),
        ("numeric", "numeric") => match (oargs.as_slice(), nargs.as_slice()) {
            (_, []) => false,
            ([p, s], [q, t]) => !(q >= p && s == t),
            ([p], [q, 0]) | ([p], [q]) | ([p, 0], [q]) => q < p,
            _ => true,
        },
        _ => true,
    }
}

/// A type name's base (lower case, common aliases spelled out as
/// `format_type` prints them) and its integer modifiers; None for what
/// this simple reading cannot take apart (quoted names, arrays...).
fn type_parts(t: &str) -> Option<(String, Vec<i64>)> {
    let t = t.trim().to_ascii_lowercase();
    if t.contains('"') || t.contains('[') || t.contains('.') {
        return None;
    }
    let (base, args) = match t.split_once('(') {
        Some((b, rest)) => {
            let inner = rest.trim_end().strip_suffix(')')?;
            let args: Option<Vec<i64>> = inner.split(',').map(|a| a.trim().parse().ok()).collect();
            (b.trim().to_string(), args?)
        }
        None => (t.clone(), vec![]),
    };
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let base = match base.as_str() {
        "varchar" => "character varying",
        "decimal" => "numeric",
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "int2" => "smallint",
        "bool" => "boolean",
        "float8" => "double precision",
        "float4" => "real",
        "char" | "bpchar" => "character",
        "timestamptz" => "timestamp with time zone",
        "timestamp" => "timestamp without time zone",
        other => other,
    };
    Some((base.to_string(), args))
}

/// Volatile functions a default may call, which make `ADD COLUMN` fill
/// every existing row: the ones PostgreSQL and its contrib modules ship
/// that are used as defaults. A call of any other function is not
/// recognized.
pub const VOLATILE_FUNCTIONS: [&str; 10] = [
    "random",
    "random_normal",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
];

/// The first known volatile function `sql` calls, if any.
pub fn volatile_call(sql: &str) -> Option<&'static str> {
    let lower = sql.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    VOLATILE_FUNCTIONS.iter().copied().find(|f: &&str| {
        lower.match_indices(*f).any(|(at, _)| {
            let before_ok = at == 0 || {
                let b = bytes[at - 1];
                !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'"')
            };
            let rest = lower[at + f.len()..].trim_start();
            before_ok && rest.starts_with('(')
        })
    })
}

/// The columns a check constraint's expression proves NOT NULL: the
/// top-level `AND` terms of the form `col IS NOT NULL`. Takes the op's
/// `expression` or `pg_get_constraintdef`'s `CHECK ((col IS NOT NULL))`.
pub fn not_null_columns(expr: &str) -> Vec<String> {
    let mut e = expr.trim();
    if e.len() >= 5 && e[..5].eq_ignore_ascii_case("check") {
        e = e[5..].trim_start();
    }
    for suffix in ["not valid", "no inherit"] {
        let lower = e.to_ascii_lowercase();
        if lower.ends_with(suffix) {
            e = e[..e.len() - suffix.len()].trim_end();
        }
    }
    split_and(strip_parens(e))
        .into_iter()
        .filter_map(|term| {
            let term = strip_parens(term);
            let col = ["null", "not", "is"]
                .iter()
                .try_fold(term, |rest, word| strip_word(rest, word))?;
            read_ident(col.trim())
        })
        .collect()
}

/// `s` without the keyword `word` at its end (any case), when a space
/// or a closing quote or parenthesis comes before it.
fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let s = s.trim_end();
    let at = s.len().checked_sub(word.len())?;
    if !s.is_char_boundary(at) || !s[at..].eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &s[..at];
    match rest.chars().last() {
        Some(c) if c.is_whitespace() || c == '"' || c == ')' => Some(rest),
        _ => None,
    }
}

/// A column name as SQL needs it: bare when it is plain lower case,
/// quoted otherwise.
fn bare_or_quoted(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        ident(name)
    }
}

/// `"Odd ""Name"""` → `Odd "Name"`, `Plain` → `plain`; None for anything
/// else (a qualified name, an expression).
fn read_ident(s: &str) -> Option<String> {
    if let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        if inner.is_empty() || inner.replace("\"\"", "").contains('"') {
            return None;
        }
        return Some(inner.replace("\"\"", "\""));
    }
    let mut chars = s.chars();
    let first = chars.next()?;
    if !(first.is_ascii_alphabetic() || first == '_')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        return None;
    }
    Some(s.to_ascii_lowercase())
}

/// `((x))` → `x`, while the outer parentheses enclose the whole text.
fn strip_parens(mut s: &str) -> &str {
    loop {
        s = s.trim();
        let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
            return s;
        };
        // the first '(' must close at the very end
        let mut depth = 0i32;
        let mut quote: Option<char> = None;
        for (i, c) in s.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 && i != s.len() - 1 {
                        return s;
                    }
                }
                _ => {}
            }
        }
        s = inner;
    }
}

/// The top-level `AND` terms of an expression (outside parentheses and
/// quotes).
fn split_and(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    let lower = s.to_ascii_lowercase();
    let b = lower.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, 'a')
                if depth == 0
                    && lower[i..].starts_with("and")
                    && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
                    && b.get(i + 3)
                        .is_none_or(|n| !(n.is_ascii_alphanumeric() || *n == b'_')) =>
            {
                out.push(&s[start..i]);
                start = i + 3;
                i += 3;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// Bytes as `pg_size_pretty` prints them.
fn pretty_bytes(n: i64) -> String {
    let mut size = n as f64;
    for unit in ["bytes", "kB", "MB", "GB"] {
        if size < 10.0 * 1024.0 {
            return format!("{} {unit}", size.round() as i64);
        }
        size /= 1024.0;
    }
    format!("{} TB", size.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(v: serde_json::Value) -> Vec<Op> {
        crate::ops::parse_ops("r", "upgrade", &v).unwrap()
    }

    fn op(v: serde_json::Value) -> Op {
        ops(json!([v])).remove(0)
    }

    fn steps(v: serde_json::Value) -> Vec<Step> {
        vec![Step {
            revision: "r1".into(),
            ops: ops(v),
        }]
    }

    /// `public.big`, known as `"big"`: 20,000 rows, columns id (NOT NULL),
    /// note (varchar(20)), amount (numeric(10,2)); and `public.small`, as
    /// `"small"`: 100 rows. `"empty"` has none; `big_pkey` is big's index.
    fn facts() -> Facts {
        let table = |name: &str, rows: f64, bytes: i64| TableFacts {
            name: format!("public.{name}"),
            rows,
            heap_bytes: bytes,
            total_bytes: bytes * 2,
            columns: [
                ("id", "integer", true),
                ("note", "character varying(20)", false),
                ("amount", "numeric(10,2)", false),
                ("code", "text", false),
            ]
            .into_iter()
            .map(|(c, t, nn)| {
                (
                    c.to_string(),
                    ColumnFacts {
                        type_name: t.into(),
                        not_null: nn,
                    },
                )
            })
            .collect(),
            checks: vec![
                CheckFacts {
                    name: "code_not_null".into(),
                    validated: true,
                    definition: "CHECK ((code IS NOT NULL))".into(),
                },
                CheckFacts {
                    name: "note_not_null".into(),
                    validated: false,
                    definition: "CHECK ((note IS NOT NULL)) NOT VALID".into(),
                },
            ],
        };
        let mut f = Facts::default();
        f.tables
            .insert("\"big\"".into(), table("big", 20_000.0, 1_089_536));
        f.tables.insert(
            "\"public\".\"big\"".into(),
            table("big", 20_000.0, 1_089_536),
        );
        f.tables
            .insert("\"small\"".into(), table("small", 100.0, 8192));
        f.tables.insert("\"empty\"".into(), table("empty", 0.0, 0));
        f.tables
            .insert("\"fresh\"".into(), table("fresh", -1.0, 16 * 1024 * 1024));
        f.index_tables
            .insert("\"big_pkey\"".into(), "public.big".into());
        f
    }

    fn codes(v: serde_json::Value) -> Vec<(usize, &'static str)> {
        lint(&steps(v), &facts())
            .into_iter()
            .map(|w| (w.op, w.code))
            .collect()
    }

    #[test]
    fn lock_modes_are_postgresqls() {
        use LockMode::*;
        let t = |m| vec![("\"t\"".to_string(), m)];
        assert_eq!(
            locks(&op(
                json!({"op":"add_column","table":"t","column":{"name":"c","type":"int"}})
            )),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(json!({"op":"drop_column","table":"t","column":"c"}))),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(
                json!({"op":"rename_column","table":"t","column":"c","new_name":"d"})
            )),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(json!({"op":"rename_table","name":"t","new_name":"u"}))),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(json!({"op":"drop_table","name":"t"}))),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(json!({"op":"create_table","name":"t","columns":[]}))),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(
                json!({"op":"alter_column","table":"t","column":"c","nullable":false})
            )),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(
                json!({"op":"alter_column","table":"t","column":"c","server_default":null})
            )),
            t(AccessExclusive)
        );
        // COMMENT ON COLUMN alone
        assert_eq!(
            locks(&op(
                json!({"op":"alter_column","table":"t","column":"c","comment":"x"})
            )),
            t(ShareUpdateExclusive)
        );
        assert_eq!(
            locks(&op(
                json!({"op":"create_index","name":"i","table":"t","columns":["c"]})
            )),
            t(Share)
        );
        assert_eq!(
            locks(&op(json!({"op":"drop_index","schema":"s","name":"i"}))),
            vec![("\"s\".\"i\"".to_string(), AccessExclusive)]
        );
        for kind in [
            json!({"kind":"check","expression":"c > 0"}),
            json!({"kind":"unique","columns":["c"]}),
            json!({"kind":"primary_key","columns":["c"]}),
        ] {
            let mut o = json!({"op":"add_constraint","table":"t","name":"k"});
            o.as_object_mut()
                .unwrap()
                .extend(kind.as_object().unwrap().clone());
            assert_eq!(locks(&op(o.clone())), t(AccessExclusive), "{o}");
            o["not_valid"] = json!(true);
            if o["kind"] == "check" {
                // NOT VALID skips the scan, not the lock
                assert_eq!(locks(&op(o)), t(AccessExclusive));
            }
        }
        // a foreign key: both tables, SHARE ROW EXCLUSIVE, valid or not
        for not_valid in [false, true] {
            assert_eq!(
                locks(&op(
                    json!({"op":"add_constraint","table":"t","name":"k","kind":"foreign_key","columns":["c"],
                                 "references":{"schema":"s","table":"u","columns":["id"]},"not_valid":not_valid})
                )),
                vec![
                    ("\"t\"".to_string(), ShareRowExclusive),
                    ("\"s\".\"u\"".to_string(), ShareRowExclusive)
                ]
            );
        }
        // a self reference: one table
        assert_eq!(
            locks(&op(
                json!({"op":"add_constraint","table":"t","name":"k","kind":"foreign_key","columns":["p"],
                             "references":{"table":"t","columns":["id"]}})
            )),
            t(ShareRowExclusive)
        );
        assert_eq!(
            locks(&op(
                json!({"op":"validate_constraint","table":"t","name":"k"})
            )),
            t(ShareUpdateExclusive)
        );
        assert_eq!(
            locks(&op(json!({"op":"drop_constraint","table":"t","name":"k"}))),
            t(AccessExclusive)
        );
        assert_eq!(
            locks(&op(json!({"op":"bulk_insert","table":"t","rows":[]}))),
            t(RowExclusive)
        );
        for none in [
            json!({"op":"execute","sql":"LOCK t"}),
            json!({"op":"create_enum","name":"e","values":[]}),
            json!({"op":"add_enum_value","name":"e","value":"v"}),
            json!({"op":"rename_enum","name":"e","new_name":"f"}),
        ] {
            assert!(locks(&op(none)).is_empty());
        }
        assert_eq!(AccessExclusive.sql(), "ACCESS EXCLUSIVE");
        assert!(AccessExclusive > ShareRowExclusive && ShareRowExclusive > Share);
    }

    #[test]
    fn every_code_fires() {
        assert_eq!(
            codes(json!([
                {"op":"add_constraint","table":"big","name":"f","kind":"foreign_key","columns":["id"],
                 "references":{"table":"small","columns":["id"]}},
                {"op":"add_constraint","table":"big","name":"c","kind":"check","expression":"id > 0"},
                {"op":"alter_column","table":"big","column":"note","nullable":false},
                {"op":"alter_column","table":"big","column":"note","type":"integer","using":"0"},
                {"op":"create_index","name":"i","table":"big","columns":["note"]},
                {"op":"add_column","table":"big","column":{"name":"u","type":"uuid","server_default":{"sql":"gen_random_uuid()"}}},
                {"op":"drop_column","table":"big","column":"amount"},
                {"op":"execute","sql":"SELECT 1"},
                {"op":"add_constraint","table":"big","name":"k","kind":"unique","columns":["id"]}
            ])),
            [
                (1, "ML001"),
                (2, "ML002"),
                (3, "ML003"),
                (4, "ML004"),
                (5, "ML005"),
                (6, "ML006"),
                (7, "ML007"),
                (8, "ML009"),
                (9, "ML011")
            ]
        );
        // several tables under ACCESS EXCLUSIVE in one revision
        assert_eq!(
            codes(json!([
                {"op":"add_column","table":"big","column":{"name":"x","type":"int"}},
                {"op":"add_column","schema":"public","table":"big","column":{"name":"x","type":"int"}},
                {"op":"add_column","table":"small","column":{"name":"x","type":"int"}},
                {"op":"add_column","table":"empty","column":{"name":"x","type":"int"}}
            ])),
            [(3, "ML008")]
        );
    }

    #[test]
    fn safe_forms_are_quiet() {
        assert_eq!(
            codes(json!([
                {"op":"add_constraint","table":"big","name":"f","kind":"foreign_key","columns":["id"],
                 "references":{"table":"small","columns":["id"]},"not_valid":true},
                {"op":"add_constraint","table":"big","name":"c","kind":"check","expression":"id > 0","not_valid":true}
            ])),
            []
        );
        assert_eq!(
            codes(json!([
                // an existing NOT VALID check, validated now: SET NOT NULL after it skips the scan
                {"op":"validate_constraint","table":"big","name":"note_not_null"},
                {"op":"alter_column","table":"big","column":"note","nullable":false},
                // a validated check in the catalog
                {"op":"alter_column","table":"big","column":"code","nullable":false},
                // NOT NULL already
                {"op":"alter_column","table":"big","column":"id","nullable":false},
                // widening
                {"op":"alter_column","table":"big","column":"note","type":"varchar(50)"},
                {"op":"alter_column","table":"big","column":"note","type":"text"},
                {"op":"alter_column","table":"big","column":"amount","type":"numeric(12, 2)"},
                // a stable default, a constant one
                {"op":"add_column","table":"big","column":{"name":"at","type":"timestamptz","server_default":{"sql":"now()"}}},
                {"op":"add_column","table":"big","column":{"name":"n","type":"int","server_default":0}}
            ])),
            []
        );
        // on small and empty tables
        assert_eq!(
            codes(json!([
                {"op":"create_index","name":"i","table":"small","columns":["note"]},
                {"op":"add_constraint","table":"empty","name":"c","kind":"check","expression":"id > 0"},
                {"op":"add_constraint","table":"empty","name":"f","kind":"foreign_key","columns":["id"],
                 "references":{"table":"big","columns":["id"]}},
                {"op":"alter_column","table":"empty","column":"note","nullable":false,"type":"int","using":"1"},
                {"op":"add_column","table":"empty","column":{"name":"u","type":"uuid","server_default":{"sql":"gen_random_uuid()"}}}
            ])),
            []
        );
    }

    #[test]
    fn tables_made_in_the_call_are_new() {
        assert_eq!(
            codes(json!([
                {"op":"create_table","name":"t","columns":[{"name":"id","type":"int"}]},
                {"op":"add_column","table":"t","column":{"name":"n","type":"serial"}},
                {"op":"add_constraint","table":"t","name":"f","kind":"foreign_key","columns":["id"],
                 "references":{"table":"empty","columns":["id"]}},
                {"op":"rename_table","name":"t","new_name":"u"},
                {"op":"alter_column","table":"u","column":"id","nullable":false},
                {"op":"drop_column","table":"u","column":"n"},
                {"op":"drop_table","name":"u"}
            ])),
            []
        );
        // a table the catalog does not have (made by raw SQL) may hold rows
        assert_eq!(
            codes(json!([
                {"op":"execute","sql":"CREATE TABLE v AS SELECT 1 AS id"},
                {"op":"alter_column","table":"v","column":"id","nullable":false}
            ])),
            [(1, "ML009"), (2, "ML003")]
        );
        // a rename keeps the facts: big, renamed, is still big
        assert_eq!(
            codes(json!([
                {"op":"rename_table","name":"big","new_name":"large"},
                {"op":"create_index","name":"i","table":"large","columns":["note"]}
            ])),
            [(1, "ML007"), (2, "ML005")]
        );
    }

    #[test]
    fn never_analyzed_tables_go_by_their_size_on_disk() {
        let w = lint(
            &steps(json!([{"op":"create_index","name":"i","table":"fresh","columns":["note"]}])),
            &facts(),
        );
        assert_eq!(w.len(), 1);
        assert!(
            w[0].message
                .contains("public.fresh (never analyzed; 16 MB on disk)"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn validated_in_the_same_call() {
        let both = vec![
            Step {
                revision: "add".into(),
                ops: ops(json!([
                    {"op":"add_constraint","table":"big","name":"c","kind":"check","expression":"amount IS NOT NULL","not_valid":true},
                    {"op":"add_constraint","table":"big","name":"f","kind":"foreign_key","columns":["id"],
                     "references":{"table":"small","columns":["id"]},"not_valid":true}
                ])),
            },
            Step {
                revision: "check".into(),
                ops: ops(json!([
                    {"op":"validate_constraint","schema":"public","table":"big","name":"c"},
                    {"op":"validate_constraint","table":"big","name":"f"},
                    {"op":"alter_column","table":"big","column":"amount","nullable":false}
                ])),
            },
        ];
        let w = lint(&both, &facts());
        let got: Vec<(&str, usize, &str)> = w
            .iter()
            .map(|w| (w.revision.as_str(), w.op, w.code))
            .collect();
        // the SET NOT NULL after the validation skips the scan
        assert_eq!(got, [("check", 1, "ML010"), ("check", 2, "ML010")]);
        assert!(
            w[0].message
                .contains("the ACCESS EXCLUSIVE lock the add took on public.big"),
            "{}",
            w[0].message
        );
        assert!(
            w[1].message.contains("SHARE ROW EXCLUSIVE"),
            "{}",
            w[1].message
        );
        assert!(
            w[0].fix.contains("Upgrade to revision add first"),
            "{}",
            w[0].fix
        );
        // in a later call there is nothing to say
        assert!(lint(&both[1..], &facts()).iter().all(|w| w.code == "ML003"));
    }

    #[test]
    fn one_lock_per_table_and_dropped_indexes_count_for_their_table() {
        assert_eq!(
            codes(json!([
                {"op":"drop_index","name":"big_pkey"},
                {"op":"add_column","schema":"public","table":"big","column":{"name":"x","type":"int"}},
                {"op":"alter_column","table":"small","column":"note","comment":"only a comment"},
                {"op":"drop_index","name":"unknown_idx"}
            ])),
            []
        );
        let w = lint(
            &steps(json!([
                {"op":"drop_index","name":"big_pkey"},
                {"op":"drop_constraint","table":"small","name":"k"}
            ])),
            &facts(),
        );
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].op, w[0].code), (2, "ML008"));
        assert!(
            w[0].message
                .contains("public.big (op 1), public.small (op 2)"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn volatile_defaults() {
        for v in [
            "random()",
            "gen_random_uuid()",
            "pg_catalog.clock_timestamp ()",
            "NEXTVAL('s')",
            "(uuid_generate_v4())",
        ] {
            assert!(volatile_call(v).is_some(), "{v}");
        }
        for s in [
            "now()",
            "current_timestamp",
            "my_random()",
            "'random()'::text",
            "random",
            "statement_timestamp()",
        ] {
            // a string literal holding a call is not a call, but this
            // simple reading cannot tell: the literal case is accepted as a
            // false alarm, the others must stay quiet
            if s.starts_with('\'') {
                continue;
            }
            assert!(volatile_call(s).is_none(), "{s}");
        }
        assert_eq!(
            codes(json!([
                {"op":"add_column","table":"big","column":{"name":"a","type":"bigint","identity":"always"}},
                {"op":"add_column","table":"big","column":{"name":"b","type":"bigserial"}},
                {"op":"add_column","table":"big","column":{"name":"c","type":"int","generated":"id * 2"}},
                {"op":"add_column","table":"big","column":{"name":"d","type":"float8","server_default":{"sql":"random()"}}}
            ]))
            .into_iter()
            .map(|(_, c)| c)
            .collect::<Vec<_>>(),
            ["ML006"; 4]
        );
    }

    #[test]
    fn rewrites_are_judged_conservatively() {
        let no = [
            ("character varying(20)", "varchar(30)"),
            ("character varying(20)", "VARCHAR ( 20 )"),
            ("character varying(20)", "varchar"),
            ("character varying(20)", "text"),
            ("character varying", "text"),
            ("text", "varchar"),
            ("text", "text"),
            ("numeric(10,2)", "numeric(12,2)"),
            ("numeric(10,2)", "decimal"),
            ("numeric(10,0)", "numeric(12)"),
            ("integer", "int4"),
            ("timestamp with time zone", "timestamptz"),
        ];
        for (old, new) in no {
            assert!(!rewrites(Some(old), new, None), "{old} -> {new}");
        }
        let yes = [
            ("character varying(20)", "varchar(10)"),
            ("text", "varchar(10)"),
            ("integer", "bigint"),
            ("numeric(10,2)", "numeric(12,3)"),
            ("numeric(10,2)", "numeric(8,2)"),
            ("timestamp without time zone", "timestamptz"),
            ("text", "\"MyText\""),
            ("text[]", "varchar[]"),
            ("public.mood", "public.mood2"),
        ];
        for (old, new) in yes {
            assert!(rewrites(Some(old), new, None), "{old} -> {new}");
        }
        // a USING expression, or an unknown old type: assume a rewrite
        assert!(rewrites(Some("text"), "text", Some("lower(x)")));
        assert!(rewrites(None, "text", None));
    }

    #[test]
    fn checks_that_prove_not_null() {
        assert_eq!(not_null_columns("CHECK ((note IS NOT NULL))"), ["note"]);
        assert_eq!(
            not_null_columns("CHECK ((note IS NOT NULL)) NOT VALID"),
            ["note"]
        );
        assert_eq!(not_null_columns("Note is  not null"), ["note"]);
        assert_eq!(
            not_null_columns("CHECK (((\"Odd Col\" IS NOT NULL) AND (b IS NOT NULL) AND (c > 0)))"),
            ["Odd Col", "b"]
        );
        assert_eq!(not_null_columns("\"a\"\"b\" IS NOT NULL"), ["a\"b"]);
        for none in [
            "CHECK ((a IS NOT NULL) OR (b IS NOT NULL))",
            "CHECK ((a > 0))",
            "x.a IS NOT NULL",
            "lower(a) IS NOT NULL",
            "a IS NULL",
            "ais not null",
            "",
            "(a IS NOT NULL) AND",
        ] {
            assert!(
                not_null_columns(none)
                    .iter()
                    .all(|c| c.is_empty() || none.contains(" AND")),
                "{none}: {:?}",
                not_null_columns(none)
            );
        }
        assert!(not_null_columns("CHECK ((a IS NOT NULL) OR (b IS NOT NULL))").is_empty());
        assert!(not_null_columns("'x AND y' IS NOT NULL").is_empty());
    }

    #[test]
    fn referenced_names_each_once() {
        let (tables, indexes) = referenced(&steps(json!([
            {"op":"add_constraint","table":"big","name":"f","kind":"foreign_key","columns":["id"],
             "references":{"schema":"s","table":"small","columns":["id"]}},
            {"op":"alter_column","table":"big","column":"note","comment":"x"},
            {"op":"drop_index","name":"i"},
            {"op":"execute","sql":"SELECT 1"}
        ])));
        assert_eq!(tables, ["\"big\"", "\"s\".\"small\""]);
        assert_eq!(indexes, ["\"i\""]);
    }

    #[test]
    fn messages_and_fixes_name_the_objects() {
        let w = lint(
            &steps(json!([
                {"op":"add_constraint","table":"big","name":"f","kind":"foreign_key","columns":["id"],
                 "references":{"table":"small","columns":["id"]}},
                {"op":"alter_column","table":"big","column":"Note","nullable":false}
            ])),
            &facts(),
        );
        assert!(
            w[0].message
                .contains("SHARE ROW EXCLUSIVE locks on public.big and public.small"),
            "{}",
            w[0].message
        );
        assert!(
            w[0].message
                .contains("every row of public.big (about 20000 rows)"),
            "{}",
            w[0].message
        );
        assert!(w[0].fix.contains("\"not_valid\": true"));
        assert!(
            w[1].fix.contains(r#""expression": "\"Note\" IS NOT NULL""#),
            "{}",
            w[1].fix
        );
        assert_eq!(w[1].severity.word(), "warning");
        assert_eq!(pretty_bytes(1_089_536), "1064 kB");
        assert_eq!(pretty_bytes(8191), "8191 bytes");
    }
}
