//! A desired schema, evaluated by the server and thrown away
//! (autogenerate).
//!
//! The server's raw parser splits the DDL into statements and names each
//! one; `ddl::check` decides, before any of it runs, whether they all
//! define schema objects. Then, inside a subtransaction that is always
//! rolled back, the live schema is renamed out of the way, an empty schema
//! takes its name, the statements run there, and the catalog reader turns
//! the result into a [`Model`]. Because the scratch schema carries the live
//! schema's name, both sides print qualified names identically, and the
//! live database is unchanged whatever happens.

use crate::catalog;
use crate::ddl::{self, Statement};
use crate::error::{MigrateError, Result};
use crate::model::Model;
use crate::quote::ident;
use crate::shell::{self, guarded, read_one, spi};
use pgrx::list::PgList;
use pgrx::pg_sys;
use pgrx::prelude::*;
use std::ffi::{CStr, CString};

/// The model of `schema` as `desired` (DDL) describes it.
pub fn desired_model(schema: &str, desired: &str) -> Result<Model> {
    let statements = statements(desired)?;
    ddl::check(&statements, schema)?;
    if let Some(note) = ddl::privileges_note(&statements) {
        notice!("{note}");
    }
    // the roles OWNER TO names, and the extensions CREATE EXTENSION names,
    // must exist: each list read with one query, none when it is empty
    let owners = named(&statements, |s| s.owner.clone());
    let known = existing(
        "SELECT pg_catalog.array_agg(r.rolname::pg_catalog.text) FROM pg_catalog.pg_roles r \
          WHERE r.rolname = ANY ($1::pg_catalog.text[])",
        owners,
    )?;
    ddl::check_owners(&statements, |r| known.iter().any(|k| k == r))?;
    let extensions = named(&statements, |s| s.extension.clone());
    let installed = existing(
        "SELECT pg_catalog.array_agg(e.extname::pg_catalog.text) FROM pg_catalog.pg_extension e \
          WHERE e.extname = ANY ($1::pg_catalog.text[])",
        extensions,
    )?;
    ddl::check_extensions(&statements, |e| installed.iter().any(|k| k == e))?;
    // Function bodies are not checked while the desired schema is
    // evaluated (what pg_dump's `SET check_function_bodies = false` asks
    // for): functions are not compared, a body is checked when it runs,
    // and a dump creates functions before the tables their bodies use.
    shell::rolled_back(|| {
        shell::with_setting("check_function_bodies", "off", || {
            evaluate(schema, &statements)
        })
    })
}

/// What `field` names in any of the statements.
fn named(statements: &[Statement], field: impl Fn(&Statement) -> Option<String>) -> Vec<String> {
    statements.iter().filter_map(field).collect()
}

/// Which of `names` exist, by `query` (its one parameter: the names, as
/// text[]); no query for no names.
fn existing(query: &str, names: Vec<String>) -> Result<Vec<String>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    Ok(read_one::<Vec<Option<String>>>(query, &[names.into()])?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect())
}

/// Split `sql` into statements with the server's parser. A syntax error is
/// PostgreSQL's own, with "desired schema" in front.
pub fn statements(sql: &str) -> Result<Vec<Statement>> {
    let sql = &ddl::without_meta_commands(sql);
    let text = CString::new(sql.as_str())
        .map_err(|_| MigrateError::invalid("desired schema contains a NUL byte"))?;
    let mut out = Vec::new();
    let (parsed, position) = crate::shell::located(crate::errpos::Source::Parsed, || {
        // SAFETY: raw_parser only reads the NUL-terminated `text`; a syntax
        // error raises, and `located` catches it.
        let list =
            unsafe { pg_sys::raw_parser(text.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT) };
        // SAFETY: the List of RawStmt raw_parser just built in the current
        // memory context, which lives until this function returns; the
        // walk below ends before then, and no Node escapes it.
        let tree = unsafe { Node::new(list.cast()) };
        for (i, raw) in tree.items().into_iter().enumerate() {
            if let Some(at) = raw.read(|r: &pg_sys::RawStmt| (r.stmt_location, r.stmt_len)) {
                let stmt = raw.child(|r: &pg_sys::RawStmt| &r.stmt);
                out.push(statement(sql, i + 1, at, stmt));
            }
        }
        Ok(())
    });
    parsed.map_err(|e| {
        let line = position.map(|p| format!(", line {}", ddl::line_at(sql, p)));
        e.context(&format!("desired schema{}", line.unwrap_or_default()))
    })?;
    Ok(out)
}

/// One RawStmt as plain data: `at` is its location and length in `sql`,
/// `node` its statement.
fn statement(sql: &str, number: usize, at: (i32, i32), node: Node) -> Statement {
    let (location, len) = at;
    let from = usize::try_from(location).unwrap_or(0).min(sql.len());
    let to = match usize::try_from(len) {
        Ok(0) | Err(_) => sql.len(),
        Ok(n) => (from + n).min(sql.len()),
    };
    let whole = sql.get(from..to).unwrap_or("");
    let start = ddl::start_of(whole);
    let text = whole.get(start..).unwrap_or("").trim_end().to_string();
    let line = sql.get(..from + start).unwrap_or("").matches('\n').count() + 1;
    let Some(mut command) = node.command() else {
        return Statement {
            number,
            line,
            text,
            command: String::from("(empty)"),
            names: vec![],
            temporary: false,
            concurrent: false,
            ignored: false,
            owner: None,
            extension: None,
        };
    };
    let found = described(node, &mut command);
    Statement {
        number,
        line,
        text,
        command,
        names: found.names,
        temporary: found.temporary,
        concurrent: found.concurrent,
        ignored: found.ignored,
        owner: found.owner,
        extension: found.extension,
    }
}

/// What a statement names, and how it is taken.
#[derive(Default)]
struct Found {
    names: Vec<Vec<String>>,
    temporary: bool,
    concurrent: bool,
    ignored: bool,
    owner: Option<String>,
    extension: Option<String>,
}

/// The objects `node` (a statement) creates or changes, and whether it is
/// run at all; `command` gains a word where the tag alone would pass a
/// statement that reaches beyond the schema.
fn described(node: Node, command: &mut String) -> Found {
    let mut f = Found::default();
    let mut range = |rv: Node| {
        if let Some(persistence) = rv.read(|r: &pg_sys::RangeVar| r.relpersistence) {
            f.temporary |= persistence == pg_sys::RELPERSISTENCE_TEMP as std::ffi::c_char;
            f.names.push(range_name(rv));
        }
    };
    use pg_sys::NodeTag as T;
    match node.tag() {
        Some(T::T_CreateStmt) => range(node.child(|s: &pg_sys::CreateStmt| &s.relation)),
        Some(T::T_AlterTableStmt) => {
            // ALTER TABLE/SEQUENCE/VIEW ... OWNER TO role, and nothing else
            let cmds = node.child(|s: &pg_sys::AlterTableStmt| &s.cmds).items();
            if let [cmd] = cmds.as_slice() {
                if cmd.read(|c: &pg_sys::AlterTableCmd| c.subtype)
                    == Some(pg_sys::AlterTableType::AT_ChangeOwner)
                {
                    f.ignored = true;
                    f.owner = role(cmd.child(|c: &pg_sys::AlterTableCmd| &c.newowner));
                }
            }
            range(node.child(|s: &pg_sys::AlterTableStmt| &s.relation))
        }
        Some(T::T_AlterOwnerStmt) => {
            f.ignored = true;
            f.owner = role(node.child(|s: &pg_sys::AlterOwnerStmt| &s.newowner));
            let relation = node.child(|s: &pg_sys::AlterOwnerStmt| &s.relation);
            if !relation.is_null() {
                range(relation)
            } else {
                f.names.extend(owned_object(node));
            }
        }
        // settings change how statements run, not what they define
        Some(T::T_VariableSetStmt) => f.ignored = true,
        Some(T::T_SelectStmt) => f.ignored = is_set_config(node),
        // privileges are not compared
        Some(T::T_GrantStmt) | Some(T::T_GrantRoleStmt) => f.ignored = true,
        // pg_dump -n writes the schema's own CREATE SCHEMA; `ddl::check`
        // refuses any other
        Some(T::T_CreateSchemaStmt) => {
            let plain = node
                .read(|s: &pg_sys::CreateSchemaStmt| {
                    s.authrole.is_null() && s.schemaElts.is_null() && !s.if_not_exists
                })
                .unwrap_or(false);
            if plain {
                f.ignored = true;
                f.names.extend(
                    node.text(|s: &pg_sys::CreateSchemaStmt| &s.schemaname)
                        .map(|n| vec![n]),
                );
            }
        }
        Some(T::T_IndexStmt) => {
            f.concurrent = node
                .read(|s: &pg_sys::IndexStmt| s.concurrent)
                .unwrap_or(false);
            range(node.child(|s: &pg_sys::IndexStmt| &s.relation))
        }
        Some(T::T_CompositeTypeStmt) => {
            range(node.child(|s: &pg_sys::CompositeTypeStmt| &s.typevar))
        }
        Some(T::T_ViewStmt) => range(node.child(|s: &pg_sys::ViewStmt| &s.view)),
        // CREATE MATERIALIZED VIEW (and CREATE TABLE AS, which ddl::check
        // refuses by its tag)
        Some(T::T_CreateTableAsStmt) => range(
            node.child(|s: &pg_sys::CreateTableAsStmt| &s.into)
                .child(|i: &pg_sys::IntoClause| &i.rel),
        ),
        Some(T::T_CreateSeqStmt) => range(node.child(|s: &pg_sys::CreateSeqStmt| &s.sequence)),
        Some(T::T_AlterSeqStmt) => range(node.child(|s: &pg_sys::AlterSeqStmt| &s.sequence)),
        Some(T::T_CreateTrigStmt) => range(node.child(|s: &pg_sys::CreateTrigStmt| &s.relation)),
        Some(T::T_RuleStmt) => range(node.child(|s: &pg_sys::RuleStmt| &s.relation)),
        Some(T::T_CreateEnumStmt) => f.names.push(name_list(
            node.child(|s: &pg_sys::CreateEnumStmt| &s.typeName),
        )),
        Some(T::T_CreateRangeStmt) => f.names.push(name_list(
            node.child(|s: &pg_sys::CreateRangeStmt| &s.typeName),
        )),
        Some(T::T_AlterEnumStmt) => f.names.push(name_list(
            node.child(|s: &pg_sys::AlterEnumStmt| &s.typeName),
        )),
        Some(T::T_CreateDomainStmt) => f.names.push(name_list(
            node.child(|s: &pg_sys::CreateDomainStmt| &s.domainname),
        )),
        Some(T::T_AlterDomainStmt) => f.names.push(name_list(
            node.child(|s: &pg_sys::AlterDomainStmt| &s.typeName),
        )),
        Some(T::T_CreateFunctionStmt) => f.names.push(name_list(
            node.child(|s: &pg_sys::CreateFunctionStmt| &s.funcname),
        )),
        Some(T::T_RenameStmt) => {
            let relation = node.child(|s: &pg_sys::RenameStmt| &s.relation);
            let object = node.child(|s: &pg_sys::RenameStmt| &s.object);
            if !relation.is_null() {
                range(relation)
            } else if object.tag() == Some(T::T_List) {
                f.names.push(name_list(object));
            }
        }
        // moving an object to another schema describes no schema
        Some(T::T_AlterObjectSchemaStmt) => command.push_str(" SET SCHEMA"),
        Some(T::T_DefineStmt) => f
            .names
            .push(name_list(node.child(|s: &pg_sys::DefineStmt| &s.defnames))),
        // ALTER TABLE ALL IN TABLESPACE reaches every table of the role
        Some(T::T_AlterTableMoveAllStmt) => command.push_str(" ALL IN TABLESPACE"),
        // an installed extension's CREATE EXTENSION and COMMENT ON
        // EXTENSION, as a full pg_dump writes them (desired_model refuses
        // an extension that is not installed)
        Some(T::T_CreateExtensionStmt) => {
            f.ignored = true;
            f.extension = node.text(|s: &pg_sys::CreateExtensionStmt| &s.extname);
        }
        Some(T::T_CommentStmt)
            if node.read(|s: &pg_sys::CommentStmt| s.objtype)
                == Some(pg_sys::ObjectType::OBJECT_EXTENSION) =>
        {
            f.ignored = true;
            f.extension = node
                .child(|s: &pg_sys::CommentStmt| &s.object)
                .text(|s: &pg_sys::String| &s.sval);
        }
        Some(T::T_CommentStmt) => f.names.extend(commented(node)),
        _ => {}
    }
    f
}

/// The object an `ALTER ... OWNER TO` names when it is not a relation.
fn owned_object(node: Node) -> Option<Vec<String>> {
    use pg_sys::NodeTag as T;
    let object = node.child(|s: &pg_sys::AlterOwnerStmt| &s.object);
    match object.tag() {
        Some(T::T_List) => Some(name_list(object)),
        Some(T::T_ObjectWithArgs) => Some(name_list(
            object.child(|o: &pg_sys::ObjectWithArgs| &o.objname),
        )),
        Some(T::T_String) => object.text(|s: &pg_sys::String| &s.sval).map(|n| vec![n]),
        _ => None,
    }
}

/// The object a `COMMENT ON` names: for a column, constraint, trigger,
/// rule or policy, its table.
fn commented(node: Node) -> Option<Vec<String>> {
    use pg_sys::NodeTag as T;
    let object = node.child(|s: &pg_sys::CommentStmt| &s.object);
    match object.tag() {
        Some(T::T_List) => {
            let mut n = name_list(object);
            // COMMENT ON COLUMN t.c, ON CONSTRAINT c ON t...:
            // the table's name is all but the last
            use pg_sys::ObjectType as O;
            let of_table = node.read(|s: &pg_sys::CommentStmt| {
                matches!(
                    s.objtype,
                    O::OBJECT_COLUMN
                        | O::OBJECT_TABCONSTRAINT
                        | O::OBJECT_TRIGGER
                        | O::OBJECT_RULE
                        | O::OBJECT_POLICY
                )
            });
            if of_table == Some(true) {
                n.pop();
            }
            Some(n)
        }
        Some(T::T_TypeName) => Some(name_list(object.child(|t: &pg_sys::TypeName| &t.names))),
        Some(T::T_ObjectWithArgs) => Some(name_list(
            object.child(|o: &pg_sys::ObjectWithArgs| &o.objname),
        )),
        _ => None,
    }
}

/// The role a RoleSpec names; none for `CURRENT_USER`, `SESSION_USER`,
/// `CURRENT_ROLE` (which always exist).
fn role(spec: Node) -> Option<String> {
    let named =
        spec.read(|r: &pg_sys::RoleSpec| r.roletype == pg_sys::RoleSpecType::ROLESPEC_CSTRING);
    if named == Some(true) {
        spec.text(|r: &pg_sys::RoleSpec| &r.rolename)
    } else {
        None
    }
}

/// `SELECT pg_catalog.set_config('search_path', '', false);` as pg_dump
/// writes it: one call of set_config on constants, nothing else.
fn is_set_config(node: Node) -> bool {
    let bare = node
        .read(|s: &pg_sys::SelectStmt| {
            s.fromClause.is_null()
                && s.whereClause.is_null()
                && s.intoClause.is_null()
                && s.withClause.is_null()
                && s.valuesLists.is_null()
                && s.larg.is_null()
        })
        .unwrap_or(false);
    let targets = node.child(|s: &pg_sys::SelectStmt| &s.targetList).items();
    let [target] = targets.as_slice() else {
        return false;
    };
    let call = target.child(|t: &pg_sys::ResTarget| &t.val);
    let name = name_list(call.child(|f: &pg_sys::FuncCall| &f.funcname));
    let args = call.child(|f: &pg_sys::FuncCall| &f.args).items();
    let plain = call
        .read(|f: &pg_sys::FuncCall| {
            f.agg_order.is_null() && f.agg_filter.is_null() && f.over.is_null() && !f.agg_star
        })
        .unwrap_or(false);
    bare && plain
        && matches!(name.as_slice(), [n] | [_, n] if n == "set_config")
        && (name.len() == 1 || name[0] == "pg_catalog")
        && args.len() == 3
        && args
            .iter()
            .all(|a| a.tag() == Some(pg_sys::NodeTag::T_A_Const))
}

/// The schema-qualified name of a RangeVar, as written.
fn range_name(rv: Node) -> Vec<String> {
    [
        rv.text(|r: &pg_sys::RangeVar| &r.catalogname),
        rv.text(|r: &pg_sys::RangeVar| &r.schemaname),
        rv.text(|r: &pg_sys::RangeVar| &r.relname),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A qualified name written as a List of String nodes.
fn name_list(list: Node) -> Vec<String> {
    list.items()
        .into_iter()
        .filter_map(|n| n.text(|s: &pg_sys::String| &s.sval))
        .collect()
}

/// A node of the parse tree that raw_parser built for one call of
/// [`statements`], or NULL. The tree lives in the current memory context
/// until that call returns, and every pointer field of a node is NULL or
/// leads to another node of the same tree; so once [`Node::new`] has been
/// given the tree's root, reading through a `Node` or any `Node` reached
/// from it is sound, and the walk above is safe Rust.
#[derive(Clone, Copy)]
struct Node(*mut pg_sys::Node);

/// The parse-tree structs the walk reads, with the tag a node of each
/// carries.
trait Tagged {
    const TAG: pg_sys::NodeTag;
}

macro_rules! tagged {
    ($($s:ident $tag:ident),* $(,)?) => {
        $(impl Tagged for pg_sys::$s {
            const TAG: pg_sys::NodeTag = pg_sys::NodeTag::$tag;
        })*
    };
}

tagged!(
    RawStmt T_RawStmt,
    RangeVar T_RangeVar,
    String T_String,
    TypeName T_TypeName,
    ObjectWithArgs T_ObjectWithArgs,
    CreateStmt T_CreateStmt,
    AlterTableStmt T_AlterTableStmt,
    IndexStmt T_IndexStmt,
    CompositeTypeStmt T_CompositeTypeStmt,
    ViewStmt T_ViewStmt,
    CreateSeqStmt T_CreateSeqStmt,
    AlterSeqStmt T_AlterSeqStmt,
    CreateTrigStmt T_CreateTrigStmt,
    RuleStmt T_RuleStmt,
    CreateEnumStmt T_CreateEnumStmt,
    CreateRangeStmt T_CreateRangeStmt,
    AlterEnumStmt T_AlterEnumStmt,
    CreateDomainStmt T_CreateDomainStmt,
    AlterDomainStmt T_AlterDomainStmt,
    CreateFunctionStmt T_CreateFunctionStmt,
    RenameStmt T_RenameStmt,
    DefineStmt T_DefineStmt,
    CommentStmt T_CommentStmt,
    AlterTableCmd T_AlterTableCmd,
    AlterOwnerStmt T_AlterOwnerStmt,
    RoleSpec T_RoleSpec,
    SelectStmt T_SelectStmt,
    ResTarget T_ResTarget,
    FuncCall T_FuncCall,
    CreateSchemaStmt T_CreateSchemaStmt,
    CreateTableAsStmt T_CreateTableAsStmt,
    IntoClause T_IntoClause,
    CreateExtensionStmt T_CreateExtensionStmt,
);

/// What a pointer field of a parse-tree node may lead to: a node (every
/// one starts with its tag).
trait IsNode {}
impl IsNode for pg_sys::Node {}
impl IsNode for pg_sys::List {}
impl IsNode for pg_sys::RangeVar {}
impl IsNode for pg_sys::RoleSpec {}
impl IsNode for pg_sys::IntoClause {}

impl Node {
    /// # Safety
    /// `root` is NULL or the root of a parse tree that stays allocated as
    /// long as this `Node`, and every `Node` reached from it, is read.
    unsafe fn new(root: *mut pg_sys::Node) -> Node {
        Node(root)
    }

    fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The node's tag; none for NULL.
    fn tag(self) -> Option<pg_sys::NodeTag> {
        // SAFETY: NULL or a live node of the tree (see the type); every
        // node starts with its tag.
        unsafe { self.0.as_ref() }.map(|n| n.type_)
    }

    /// What `f` reads of the node, when it is an `S` (its tag says so).
    fn read<S: Tagged, R>(self, f: impl FnOnce(&S) -> R) -> Option<R> {
        if self.tag() != Some(S::TAG) {
            return None;
        }
        // SAFETY: a live node of the tree whose tag says it is an `S`; the
        // reference does not outlive `f`.
        Some(f(unsafe { &*self.0.cast::<S>() }))
    }

    /// The node that a pointer field of this `S` leads to (NULL when this
    /// is not an `S`).
    fn child<S: Tagged, C: IsNode>(self, field: impl for<'a> FnOnce(&'a S) -> &'a *mut C) -> Node {
        Node(
            self.read(|s| *field(s))
                .unwrap_or(std::ptr::null_mut())
                .cast(),
        )
    }

    /// A string field of this `S`.
    fn text<S: Tagged>(
        self,
        field: impl for<'a> FnOnce(&'a S) -> &'a *mut std::ffi::c_char,
    ) -> Option<String> {
        let p = self.read(|s| *field(s))?;
        // SAFETY: a string field of a live node is NULL or a NUL-terminated
        // string of the same tree.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }

    /// The members of a List node; none for NULL (PostgreSQL's empty list).
    fn items(self) -> Vec<Node> {
        if self.tag() != Some(pg_sys::NodeTag::T_List) {
            return Vec::new();
        }
        // SAFETY: a live List of the tree, whose members are nodes of the
        // same tree; PgList::from_pg leaves it to its owner to free.
        let list = unsafe { PgList::<pg_sys::Node>::from_pg(self.0.cast()) };
        list.iter_ptr().map(Node).collect()
    }

    /// The statement's command tag (`CREATE TABLE`); none for NULL.
    fn command(self) -> Option<String> {
        self.tag()?;
        // SAFETY: CreateCommandTag only reads the statement, a live node
        // of the tree, not NULL.
        let tag = unsafe { pg_sys::CreateCommandTag(self.0) };
        // SAFETY: GetCommandTagName returns a name from a static table.
        let name = unsafe { pg_sys::GetCommandTagName(tag) };
        // SAFETY: that name is NUL-terminated and never freed.
        Some(
            unsafe { CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Inside the subtransaction: move the live schema aside, give its name to
/// an empty schema, run the statements there and read the result.
///
/// Unqualified names resolve in the scratch schema first, then pg_catalog,
/// then the caller's other search_path schemas; the live schema itself is
/// left out, so that the desired schema must define what it uses, unless
/// it holds extension objects (citext, ...), which stay reachable.
fn evaluate(schema: &str, statements: &[Statement]) -> Result<Model> {
    let mut aside = String::new();
    let mut reach_aside = false;
    let mut printed = String::new();
    let mut path = String::new();
    let mut to_move: Vec<String> = Vec::new();
    // the schemas of the caller's search_path (one qualified call, safe
    // under any search_path)
    let callers: Vec<String> = shell::as_caller(|| {
        read_one::<Vec<Option<String>>>(
            "SELECT pg_catalog.current_schemas(false)::pg_catalog.text[]",
            &[],
        )
    })?
    .unwrap_or_default()
    .into_iter()
    .flatten()
    .collect();
    guarded(&format!("preparing a scratch schema named \"{schema}\""), || {
        spi(Spi::connect_mut(|c| {
            let row = c.update(
                "SELECT pg_catalog.format('migrate_live_%s_%s', pg_catalog.pg_backend_pid(), \
                        pg_catalog.txid_current()), \
                        (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(s), ', ') \
                           FROM pg_catalog.unnest($2::pg_catalog.text[]) s WHERE s <> $1), \
                        EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                                  JOIN pg_catalog.pg_type t ON d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass \
                                   AND d.objid = t.oid \
                                 WHERE d.deptype = 'e' AND t.typnamespace = \
                                       (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) \
                                 UNION ALL \
                                SELECT 1 FROM pg_catalog.pg_depend d \
                                  JOIN pg_catalog.pg_proc p ON d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass \
                                   AND d.objid = p.oid \
                                 WHERE d.deptype = 'e' AND p.pronamespace = \
                                       (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1)), \
                        pg_catalog.quote_ident($1), \
                        ARRAY(SELECT e.extname::pg_catalog.text FROM pg_catalog.pg_extension e \
                               WHERE e.extnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1) \
                                 AND e.extrelocatable AND pg_catalog.pg_has_role(e.extowner, 'USAGE') \
                               ORDER BY 1)",
                Some(1),
                &[schema.into(), callers.clone().into()],
            )?;
            let first = row.first();
            aside = first.get::<String>(1)?.unwrap_or_else(|| "migrate_live".into());
            let others: Option<String> = first.get(2)?;
            let extensions = first.get::<bool>(3)?.unwrap_or(false);
            printed = first.get::<String>(4)?.unwrap_or_else(|| ident(schema));
            // the extensions installed in the live schema, moved below
            to_move = first.get::<Vec<String>>(5)?.unwrap_or_default();
            c.update(
                &format!("ALTER SCHEMA {} RENAME TO {}", ident(schema), ident(&aside)),
                None,
                &[],
            )?;
            c.update(&format!("CREATE SCHEMA {}", ident(schema)), None, &[])?;
            path = format!("{}, pg_catalog", ident(schema));
            for more in others.iter().chain(extensions.then_some(&ident(&aside))) {
                path.push_str(", ");
                path.push_str(more);
            }
            // temporary tables last, so that none stands in for a table of
            // the desired schema
            path.push_str(", pg_temp");
            reach_aside = extensions;
            Ok::<_, pgrx::spi::Error>(())
        }))
    })
    .map_err(|e| {
        e.with_hint(
            "Autogenerate evaluates the desired schema under the live schema's name, in a \
             subtransaction it rolls back: the caller must own the schema and may create schemas \
             in the database.",
        )
    })?;
    // Extensions installed in the live schema follow its name into the
    // scratch schema, so that what a dump names with the schema
    // (public.citext) is found. Each moves in a subtransaction of its own:
    // one that cannot (not relocatable, a member the caller does not own,
    // as with a trusted extension a user installed, or a member outside
    // the extension's schema) stays where it is, reachable unqualified.
    for name in &to_move {
        let sql = format!(
            "ALTER EXTENSION {} SET SCHEMA {}",
            ident(name),
            ident(schema)
        );
        let _ = shell::subtransaction(|| shell::write(&sql, &[]));
    }
    // one search_path for all the statements (none of those that run can
    // change it), not a setting made and undone around each
    shell::with_search_path(&path, || {
        for s in statements.iter().filter(|s| !s.ignored) {
            let (ran, position) =
                crate::shell::located(crate::errpos::Source::Ran(&s.text), || {
                    shell::write(&s.text, &[])
                });
            ran.map_err(|e| {
                let e = e.context(&s.label());
                match position {
                    // the line in the desired schema, from the line in the statement
                    Some(p) => {
                        let mut e = e;
                        let line = s.line + ddl::line_at(&s.text, p) - 1;
                        e.message = format!("{} (at line {line})", e.message);
                        e
                    }
                    None => e,
                }
            })?;
        }
        Ok(())
    })?;
    if reach_aside {
        only_extension_objects_used(schema, &aside)?;
    }
    // extension objects of the live schema were reached under its
    // temporary name; give them back their own
    crate::model::rename_schema(catalog::model(schema)?, &aside, schema, &printed)
}

/// With the live schema on the search_path (for its extension objects),
/// the desired schema must still define what it uses: refuse any other
/// object of the live schema that the scratch schema now depends on.
fn only_extension_objects_used(schema: &str, aside: &str) -> Result<()> {
    let used: Option<Vec<Option<String>>> = read_one(
        "SELECT pg_catalog.array_agg(DISTINCT pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0)) \
           FROM pg_catalog.pg_depend d \
          WHERE d.deptype = 'n' \
            AND d.refclassid IN ('pg_catalog.pg_class'::pg_catalog.regclass, \
                                 'pg_catalog.pg_type'::pg_catalog.regclass, \
                                 'pg_catalog.pg_proc'::pg_catalog.regclass) \
            AND (pg_catalog.pg_identify_object(d.refclassid, d.refobjid, 0)).schema = $1 \
            AND coalesce((pg_catalog.pg_identify_object(d.classid, d.objid, 0)).schema, \
                         (SELECT n.nspname FROM pg_catalog.pg_class c \
                            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                           WHERE c.oid = CASE d.classid \
                                 WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN \
                                      (SELECT a.adrelid FROM pg_catalog.pg_attrdef a WHERE a.oid = d.objid) \
                                 WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN \
                                      (SELECT g.tgrelid FROM pg_catalog.pg_trigger g WHERE g.oid = d.objid) \
                                 WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN \
                                      (SELECT w.ev_class FROM pg_catalog.pg_rewrite w WHERE w.oid = d.objid) \
                                 END)) = $2 \
            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x \
                             WHERE x.deptype = 'e' AND x.classid = d.refclassid \
                               AND (x.objid = d.refobjid \
                                    OR x.objid = (SELECT t.typelem FROM pg_catalog.pg_type t \
                                                   WHERE d.refclassid = 'pg_catalog.pg_type'::pg_catalog.regclass \
                                                     AND t.oid = d.refobjid)))",
        &[aside.into(), schema.into()],
    )?;
    let used: Vec<String> = used
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .map(|o| o.replace(&format!("{aside}."), &format!("{schema}.")))
        .collect();
    if used.is_empty() {
        return Ok(());
    }
    Err(MigrateError::new(
        crate::error::code::UNKNOWN,
        format!(
            "the desired schema uses objects it does not define: {}",
            used.join(", ")
        ),
    )
    .with_hint("A desired schema describes the whole schema: define every type and table it uses."))
}
