//! The SQL functions users call. Each is a thin shell over the core: take
//! the arguments, call one function, raise its error.

use crate::author::{self, RevisionArgs};
use crate::error::{MigrateError, OrRaise};
use crate::plan::Mode;
use crate::run;
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
    fn revision(
        message: Option<&str>,
        upgrade: Option<&str>,
        downgrade: Option<&str>,
        id: Option<&str>,
        down_revision: Option<&str>,
        branch_label: Option<&str>,
        depends_on: Option<Vec<Option<String>>>,
    ) -> String {
        author::revision(RevisionArgs {
            message,
            upgrade,
            downgrade,
            id,
            down_revision,
            branch_label,
            depends_on: depends_on.unwrap_or_default(),
        })
        .or_raise()
    }

    /// A merge revision of the given revisions (default: every head).
    #[pg_extern]
    fn merge(
        revisions: default!(Option<Vec<Option<String>>>, "NULL"),
        message: default!(Option<&str>, "NULL"),
        id: default!(Option<&str>, "NULL"),
    ) -> String {
        author::merge(revisions, message, id).or_raise()
    }

    fn parse_target(text: Option<&str>) -> Target {
        match text {
            Some(t) => Target::parse(t).or_raise(),
            None => MigrateError::new(
                crate::error::code::NULL,
                "the migration target must not be NULL",
            )
            .raise(),
        }
    }

    fn relative(n: Option<i32>) -> Target {
        match n {
            Some(n) => Target::Relative(i64::from(n)),
            None => parse_target(None),
        }
    }

    /// Apply revisions up to `target` (default `head`); returns the current
    /// revision afterwards.
    #[pg_extern]
    fn upgrade(target: default!(Option<&str>, "'head'")) -> Option<String> {
        run::migrate(Mode::Upgrade, &parse_target(target)).or_raise()
    }

    /// Apply the next `steps` revisions.
    #[pg_extern(name = "upgrade")]
    fn upgrade_steps(steps: Option<i32>) -> Option<String> {
        run::migrate(Mode::Upgrade, &relative(steps)).or_raise()
    }

    /// Revert revisions down to `target`; returns the current revision
    /// afterwards (NULL at base).
    #[pg_extern]
    fn downgrade(target: Option<&str>) -> Option<String> {
        run::migrate(Mode::Downgrade, &parse_target(target)).or_raise()
    }

    /// Revert the last `-steps` revisions: `migrate.downgrade(-1)`.
    #[pg_extern(name = "downgrade")]
    fn downgrade_steps(steps: Option<i32>) -> Option<String> {
        run::migrate(Mode::Downgrade, &relative(steps)).or_raise()
    }

    /// Set the version to `target` without running any op.
    #[pg_extern]
    fn stamp(target: Option<&str>) -> Option<String> {
        run::stamp(&parse_target(target)).or_raise()
    }

    /// Everything about one revision, with the SQL of each direction.
    #[pg_extern]
    fn show(revision: &str) -> pgrx::JsonB {
        pgrx::JsonB(run::show(revision).or_raise())
    }

    /// Offline mode: the statements that would take the database from
    /// `from_revision` (default: the current version) to `target`.
    #[pg_extern]
    fn sql(
        target: Option<&str>,
        from_revision: default!(Option<&str>, "NULL"),
    ) -> SetOfIterator<'static, String> {
        SetOfIterator::new(run::offline(&parse_target(target), from_revision).or_raise())
    }

    /// Applied revisions that changed or vanished since they were applied.
    #[pg_extern]
    fn verify() -> TableIterator<'static, (name!(revision, String), name!(problem, String))> {
        let graph = store::load_graph().or_raise();
        let versions = store::versions().or_raise();
        TableIterator::new(run::verify(&graph, &versions).or_raise())
    }

    /// The live schema as the differ's JSON model.
    #[pg_extern]
    fn model(schema_name: default!(&str, "'public'")) -> pgrx::JsonB {
        let m = crate::catalog::model(schema_name).or_raise();
        pgrx::JsonB(serde_json::to_value(m).unwrap_or_default())
    }

    /// The ops that turn `schema_name` into what `desired_schema` (DDL)
    /// describes; nothing is stored.
    #[pg_extern]
    fn diff(
        desired_schema: Option<&str>,
        schema_name: default!(Option<&str>, "'public'"),
    ) -> pgrx::JsonB {
        pgrx::JsonB(crate::autogen::diff(desired_schema, schema_name).or_raise())
    }

    /// `alembic check`: raise, listing the differences, unless
    /// `schema_name` already looks as `desired_schema` describes.
    #[pg_extern]
    fn check(desired_schema: Option<&str>, schema_name: default!(Option<&str>, "'public'")) {
        crate::autogen::check(desired_schema, schema_name).or_raise()
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
        crate::autogen::autogenerate(message, desired_schema, schema_name, id).or_raise()
    }

    /// The rows of `migrate.version`: the applied heads.
    #[pg_extern]
    fn current() -> SetOfIterator<'static, String> {
        SetOfIterator::new(store::versions().or_raise())
    }

    /// The heads of the stored revision graph.
    #[pg_extern]
    fn heads() -> SetOfIterator<'static, String> {
        let g = store::load_graph().or_raise();
        let ids: Vec<String> = g.heads().iter().map(|&i| g.id(i).to_string()).collect();
        SetOfIterator::new(ids)
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
        TableIterator::new(run::history(range).or_raise())
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
        author::check_row(
            id,
            down_revision,
            depends_on,
            branch_labels,
            upgrade,
            downgrade,
        )
        .or_raise()
    }

    /// Statement check behind the `migrate.revisions` trigger: no cycle and
    /// no duplicate label among the new rows.
    #[pg_extern(name = "_check_new_revisions")]
    fn check_new_revisions(rows: &str) {
        author::check_new(rows).or_raise()
    }

    /// Full check after `down_revision`, `depends_on` or labels changed.
    #[pg_extern(name = "_check_graph")]
    fn check_graph() {
        store::load_graph().map(|_| ()).or_raise()
    }

    /// Which of `ids` are applied (reachable from `migrate.version`).
    #[pg_extern(name = "_applied")]
    fn applied_of(ids: Vec<Option<String>>) -> Vec<String> {
        run::applied_of(ids).or_raise()
    }
}
