//! The SQL functions users call. Each is a thin shell over the core: take
//! the arguments, call one function, raise its error.

use crate::author::{self, RevisionArgs};
use crate::error::Result;
use crate::plan::Mode;
use crate::run;
use crate::shell::{entry, Access};
use crate::store;
use crate::target::Target;
use pgrx::prelude::*;

#[pg_schema]
mod migrate {
    use super::*;

    /// Store a new revision; `migrate.revision(message, upgrade jsonb, ...)`
    /// (in `sql/functions.sql`) passes the JSON as text, so that numbers keep
    /// their digits and malformed JSON is an error rather than a crash.
    #[pg_extern(name = "_revision")]
    // one argument per parameter of the SQL function
    #[allow(clippy::too_many_arguments)]
    fn revision(
        message: Option<&str>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
        id: Option<&str>,
        down_revision: Option<&str>,
        branch_label: Option<&str>,
        depends_on: Option<Vec<Option<String>>>,
        down_revisions: Option<Vec<Option<String>>>,
        branch_labels: Option<Vec<Option<String>>>,
        created_at: Option<pgrx::datum::TimestampWithTimeZone>,
    ) -> String {
        entry("migrate.revision", Access::Write, || {
            author::revision(RevisionArgs {
                message,
                upgrade,
                downgrade,
                id,
                down_revision,
                branch_label,
                depends_on: depends_on.unwrap_or_default(),
                down_revisions,
                branch_labels,
                created_at,
            })
        })
    }

    /// The SQL file that stores `revision` again (NULL: every revision,
    /// parents first).
    #[pg_extern]
    fn export(revision: default!(Option<&str>, "NULL")) -> String {
        entry("migrate.export", Access::Read, || {
            crate::export::export(revision)
        })
    }

    /// The SQL file that stores the revisions of an Alembic range
    /// (`start:end`, as `migrate.history(range)` takes), parents first.
    #[pg_extern]
    fn export_range(range: Option<&str>) -> String {
        entry("migrate.export_range", Access::Read, || {
            crate::export::export_range(range)
        })
    }

    /// One file per revision (NULL: every revision, else an Alembic range),
    /// parents first: its place, id, file name and content.
    #[pg_extern]
    #[allow(clippy::type_complexity)]
    fn export_files(
        range: default!(Option<&str>, "NULL"),
    ) -> TableIterator<
        'static,
        (
            name!(seq, i32),
            name!(id, String),
            name!(file, String),
            name!(content, String),
        ),
    > {
        let files = entry("migrate.export_files", Access::Read, || {
            crate::export::export_files(range)
        });
        TableIterator::new(files.into_iter().map(|f| (f.seq, f.id, f.file, f.content)))
    }

    /// A merge revision of the given revisions (default: every head).
    #[pg_extern]
    fn merge(
        revisions: default!(Option<Vec<Option<String>>>, "NULL"),
        message: default!(Option<&str>, "NULL"),
        id: default!(Option<&str>, "NULL"),
    ) -> String {
        entry("migrate.merge", Access::Write, || {
            author::merge(revisions, message, id)
        })
    }

    fn relative(n: Option<i32>) -> Result<Target> {
        match n {
            Some(n) => Ok(Target::Relative(i64::from(n))),
            None => Target::parse_arg(None),
        }
    }

    /// Apply revisions up to `target` (default `head`); returns the current
    /// revision afterwards.
    #[pg_extern]
    fn upgrade(target: default!(Option<&str>, "'head'")) -> Option<String> {
        entry("migrate.upgrade", Access::Write, || {
            run::migrate(Mode::Upgrade, &Target::parse_arg(target)?)
        })
    }

    /// Apply the next `steps` revisions.
    #[pg_extern(name = "upgrade")]
    fn upgrade_steps(steps: Option<i32>) -> Option<String> {
        entry("migrate.upgrade", Access::Write, || {
            run::migrate(Mode::Upgrade, &relative(steps)?)
        })
    }

    /// Revert revisions down to `target`; returns the current revision
    /// afterwards (NULL at base).
    #[pg_extern]
    fn downgrade(target: Option<&str>) -> Option<String> {
        entry("migrate.downgrade", Access::Write, || {
            run::migrate(Mode::Downgrade, &Target::parse_arg(target)?)
        })
    }

    /// Revert the last `-steps` revisions: `migrate.downgrade(-1)`.
    #[pg_extern(name = "downgrade")]
    fn downgrade_steps(steps: Option<i32>) -> Option<String> {
        entry("migrate.downgrade", Access::Write, || {
            run::migrate(Mode::Downgrade, &relative(steps)?)
        })
    }

    /// Run the steps of `upgrade(target)` in a subtransaction that is rolled
    /// back, and measure each statement: locks, rewrites, rows, time.
    #[pg_extern]
    #[allow(clippy::type_complexity)]
    fn dry_run(
        target: default!(Option<&str>, "'head'"),
    ) -> TableIterator<
        'static,
        (
            name!(revision, String),
            name!(op, i32),
            name!(kind, String),
            name!(statement, String),
            name!(locks, Vec<String>),
            name!(rewritten, Vec<String>),
            name!(rows, Option<i64>),
            name!(ms, f64),
        ),
    > {
        let rows = entry("migrate.dry_run", Access::Scratch, || {
            crate::dryrun::dry_run(&Target::parse_arg(target)?)
        });
        TableIterator::new(rows.into_iter().map(|r| {
            (
                r.revision,
                r.op,
                r.kind,
                r.statement,
                r.locks,
                r.rewritten,
                r.rows,
                r.ms,
            )
        }))
    }

    /// Set the version to `target` without running any op.
    #[pg_extern]
    fn stamp(target: Option<&str>) -> Option<String> {
        entry("migrate.stamp", Access::Write, || {
            run::stamp(&Target::parse_arg(target)?)
        })
    }

    /// Everything about one revision, with the SQL of each direction.
    #[pg_extern]
    fn show(revision: &str) -> pgrx::JsonB {
        pgrx::JsonB(entry("migrate.show", Access::Read, || run::show(revision)))
    }

    /// Offline mode: the statements that would take the database from
    /// `from_revision` (default: the current version) to `target`.
    #[pg_extern]
    fn sql(
        target: Option<&str>,
        from_revision: default!(Option<&str>, "NULL"),
    ) -> SetOfIterator<'static, String> {
        SetOfIterator::new(entry("migrate.sql", Access::Read, || {
            run::offline(&Target::parse_arg(target)?, from_revision)
        }))
    }

    /// Warnings, with stable codes, about what the steps a run to `target`
    /// would take now do to busy tables (locks, scans, rewrites).
    #[pg_extern]
    #[allow(clippy::type_complexity)]
    fn lint(
        target: default!(Option<&str>, "'head'"),
    ) -> TableIterator<
        'static,
        (
            name!(revision, String),
            name!(op, i32),
            name!(kind, String),
            name!(code, String),
            name!(severity, String),
            name!(message, String),
            name!(fix, String),
        ),
    > {
        let warnings = entry("migrate.lint", Access::Read, || {
            lint_target(&Target::parse_arg(target)?)
        });
        TableIterator::new(warnings.into_iter().map(|w| {
            (
                w.revision,
                i32::try_from(w.op).unwrap_or(i32::MAX),
                w.kind.to_string(),
                w.code.to_string(),
                w.severity.word().to_string(),
                w.message,
                w.fix,
            )
        }))
    }

    /// Applied revisions that changed or vanished since they were applied.
    #[pg_extern]
    fn verify() -> TableIterator<'static, (name!(revision, String), name!(problem, String))> {
        TableIterator::new(entry("migrate.verify", Access::Read, run::verify_all))
    }

    /// The live schema as the differ's JSON model.
    #[pg_extern]
    fn model(schema_name: default!(&str, "'public'")) -> pgrx::JsonB {
        let m = entry("migrate.model", Access::Read, || {
            crate::catalog::model(schema_name)
        });
        pgrx::JsonB(serde_json::to_value(m).unwrap_or_default())
    }

    /// The ops that turn `schema_name` into what `desired_schema` (DDL)
    /// describes; nothing is stored.
    #[pg_extern]
    fn diff(
        desired_schema: Option<&str>,
        schema_name: default!(Option<&str>, "'public'"),
    ) -> pgrx::JsonB {
        pgrx::JsonB(entry("migrate.diff", Access::Scratch, || {
            crate::autogen::diff(desired_schema, schema_name)
        }))
    }

    /// `alembic check`: raise, listing the differences, unless
    /// `schema_name` already looks as `desired_schema` describes.
    #[pg_extern]
    fn check(desired_schema: Option<&str>, schema_name: default!(Option<&str>, "'public'")) {
        entry("migrate.check", Access::Scratch, || {
            crate::autogen::check(desired_schema, schema_name)
        })
    }

    /// `alembic revision --autogenerate`: store a revision that turns
    /// `schema_name` into `desired_schema`; its id, or NULL when nothing
    /// differs.
    #[pg_extern]
    fn autogenerate(
        message: Option<&str>,
        desired_schema: Option<&str>,
        schema_name: default!(Option<&str>, "'public'"),
        id: default!(Option<&str>, "NULL"),
    ) -> Option<String> {
        entry("migrate.autogenerate", Access::Write, || {
            crate::autogen::autogenerate(message, desired_schema, schema_name, id)
        })
    }

    /// The rows of `migrate.version`: the applied heads.
    #[pg_extern]
    fn current() -> SetOfIterator<'static, String> {
        SetOfIterator::new(entry("migrate.current", Access::Read, store::versions))
    }

    /// The heads of the stored revision graph.
    #[pg_extern]
    fn heads() -> SetOfIterator<'static, String> {
        SetOfIterator::new(entry("migrate.heads", Access::Read, run::heads))
    }

    /// The graph newest first (within `range`, when given), with what is
    /// applied; `migrate.history()` (in `sql/functions.sql`) adds the
    /// stored columns.
    #[pg_extern(name = "_graph")]
    #[allow(clippy::type_complexity)]
    fn graph_rows(
        range: Option<&str>,
    ) -> TableIterator<
        'static,
        (
            name!(ord, i32),
            name!(id, String),
            name!(applied, bool),
            name!(is_head, bool),
        ),
    > {
        TableIterator::new(entry("migrate.history", Access::Read, || {
            run::history(range)
        }))
    }

    /// Row check behind the `migrate.revisions` trigger.
    #[pg_extern(name = "_check_revision")]
    fn check_revision(
        id: Option<&str>,
        down_revision: Option<Vec<Option<String>>>,
        depends_on: Option<Vec<Option<String>>>,
        branch_labels: Option<Vec<Option<String>>>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
    ) {
        entry("a change to migrate.revisions", Access::Write, || {
            author::check_row(
                id,
                down_revision,
                depends_on,
                branch_labels,
                upgrade,
                downgrade,
            )
        })
    }

    /// Statement check behind the `migrate.revisions` trigger: no cycle and
    /// no duplicate label among the new rows.
    #[pg_extern(name = "_check_new_revisions")]
    fn check_new_revisions(rows: &str) {
        entry("a change to migrate.revisions", Access::Write, || {
            author::check_new(rows)
        })
    }

    /// Full check after `down_revision`, `depends_on` or labels changed.
    #[pg_extern(name = "_check_graph")]
    fn check_graph() {
        entry("a change to migrate.revisions", Access::Write, || {
            store::load_graph().map(|_| ())
        })
    }

    /// Which of `ids` are applied (reachable from `migrate.version`).
    #[pg_extern(name = "_applied")]
    fn applied_of(ids: Vec<Option<String>>) -> Vec<String> {
        entry("migrate._applied", Access::Read, || run::applied_of(ids))
    }
}

/// `migrate.lint(target)`: the steps a run to `target` would take now,
/// planned as `migrate.sql(target)` plans them from the current version,
/// their ops, the catalog's facts about the tables they name, and the
/// rules' warnings. Reads only.
fn lint_target(target: &Target) -> Result<Vec<crate::lint::Warning>> {
    let steps: Vec<crate::lint::Step> = crate::run::pending_ops(target)?
        .into_iter()
        .map(|(revision, ops)| crate::lint::Step { revision, ops })
        .collect();
    let (tables, indexes) = crate::lint::referenced(&steps);
    let facts = crate::catalog::lint_facts(&tables, &indexes)?;
    Ok(crate::lint::lint(&steps, &facts))
}
