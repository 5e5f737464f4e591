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
    shell::rolled_back(|| evaluate(schema, &statements))
}

/// Split `sql` into statements with the server's parser. A syntax error is
/// PostgreSQL's own, with "desired schema" in front.
pub fn statements(sql: &str) -> Result<Vec<Statement>> {
    let text = CString::new(sql)
        .map_err(|_| MigrateError::invalid("desired schema contains a NUL byte"))?;
    let mut out = Vec::new();
    let (parsed, position) = crate::errpos::located(crate::errpos::Source::Parsed, || {
        // SAFETY: raw_parser reads a NUL-terminated string and returns a
        // List of RawStmt allocated in the current memory context; the
        // pointers below come from that tree and are checked for NULL.
        unsafe {
            let list = pg_sys::raw_parser(text.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
            let raws = PgList::<pg_sys::RawStmt>::from_pg(list);
            for (i, raw) in raws.iter_ptr().enumerate() {
                if let Some(raw) = raw.as_ref() {
                    out.push(statement(sql, i + 1, raw));
                }
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

/// One RawStmt as plain data.
///
/// # Safety
/// `raw` must come from `raw_parser` over `sql`.
unsafe fn statement(sql: &str, number: usize, raw: &pg_sys::RawStmt) -> Statement {
    let from = usize::try_from(raw.stmt_location)
        .unwrap_or(0)
        .min(sql.len());
    let to = match usize::try_from(raw.stmt_len) {
        Ok(0) | Err(_) => sql.len(),
        Ok(n) => (from + n).min(sql.len()),
    };
    let whole = sql.get(from..to).unwrap_or("");
    let start = ddl::start_of(whole);
    let text = whole.get(start..).unwrap_or("").trim_end().to_string();
    let line = sql.get(..from + start).unwrap_or("").matches('\n').count() + 1;
    let node = raw.stmt;
    if node.is_null() {
        return Statement {
            number,
            line,
            text,
            command: String::from("(empty)"),
            names: vec![],
            temporary: false,
            concurrent: false,
        };
    }
    let mut command = CStr::from_ptr(pg_sys::GetCommandTagName(pg_sys::CreateCommandTag(node)))
        .to_string_lossy()
        .into_owned();
    let mut names = Vec::new();
    let mut temporary = false;
    let mut concurrent = false;
    let mut range = |rv: *mut pg_sys::RangeVar| {
        if let Some(rv) = rv.as_ref() {
            temporary |= rv.relpersistence == pg_sys::RELPERSISTENCE_TEMP as std::ffi::c_char;
            names.push(range_name(rv));
        }
    };
    use pg_sys::NodeTag as T;
    match (*node).type_ {
        T::T_CreateStmt => range((*node.cast::<pg_sys::CreateStmt>()).relation),
        T::T_AlterTableStmt => range((*node.cast::<pg_sys::AlterTableStmt>()).relation),
        T::T_IndexStmt => {
            let s = &*node.cast::<pg_sys::IndexStmt>();
            concurrent = s.concurrent;
            range(s.relation)
        }
        T::T_CompositeTypeStmt => range((*node.cast::<pg_sys::CompositeTypeStmt>()).typevar),
        T::T_ViewStmt => range((*node.cast::<pg_sys::ViewStmt>()).view),
        T::T_CreateSeqStmt => range((*node.cast::<pg_sys::CreateSeqStmt>()).sequence),
        T::T_AlterSeqStmt => range((*node.cast::<pg_sys::AlterSeqStmt>()).sequence),
        T::T_CreateTrigStmt => range((*node.cast::<pg_sys::CreateTrigStmt>()).relation),
        T::T_RuleStmt => range((*node.cast::<pg_sys::RuleStmt>()).relation),
        T::T_CreateEnumStmt => {
            names.push(name_list((*node.cast::<pg_sys::CreateEnumStmt>()).typeName))
        }
        T::T_CreateRangeStmt => names.push(name_list(
            (*node.cast::<pg_sys::CreateRangeStmt>()).typeName,
        )),
        T::T_AlterEnumStmt => {
            names.push(name_list((*node.cast::<pg_sys::AlterEnumStmt>()).typeName))
        }
        T::T_CreateDomainStmt => names.push(name_list(
            (*node.cast::<pg_sys::CreateDomainStmt>()).domainname,
        )),
        T::T_AlterDomainStmt => names.push(name_list(
            (*node.cast::<pg_sys::AlterDomainStmt>()).typeName,
        )),
        T::T_CreateFunctionStmt => names.push(name_list(
            (*node.cast::<pg_sys::CreateFunctionStmt>()).funcname,
        )),
        T::T_RenameStmt => {
            let s = &*node.cast::<pg_sys::RenameStmt>();
            if !s.relation.is_null() {
                range(s.relation)
            } else if !s.object.is_null() && (*s.object).type_ == T::T_List {
                names.push(name_list(s.object.cast()));
            }
        }
        // moving an object to another schema describes no schema
        T::T_AlterObjectSchemaStmt => command.push_str(" SET SCHEMA"),
        T::T_DefineStmt => names.push(name_list((*node.cast::<pg_sys::DefineStmt>()).defnames)),
        // ALTER TABLE ALL IN TABLESPACE reaches every table of the role
        T::T_AlterTableMoveAllStmt => command.push_str(" ALL IN TABLESPACE"),
        T::T_CommentStmt => {
            let s = &*node.cast::<pg_sys::CommentStmt>();
            let object = s.object;
            if !object.is_null() {
                match (*object).type_ {
                    T::T_List => {
                        let mut n = name_list(object.cast());
                        // COMMENT ON COLUMN t.c, ON CONSTRAINT c ON t...:
                        // the table's name is all but the last
                        use pg_sys::ObjectType as O;
                        if matches!(
                            s.objtype,
                            O::OBJECT_COLUMN
                                | O::OBJECT_TABCONSTRAINT
                                | O::OBJECT_TRIGGER
                                | O::OBJECT_RULE
                                | O::OBJECT_POLICY
                        ) {
                            n.pop();
                        }
                        names.push(n);
                    }
                    T::T_TypeName => {
                        names.push(name_list((*object.cast::<pg_sys::TypeName>()).names))
                    }
                    T::T_ObjectWithArgs => names.push(name_list(
                        (*object.cast::<pg_sys::ObjectWithArgs>()).objname,
                    )),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Statement {
        number,
        line,
        text,
        command,
        names,
        temporary,
        concurrent,
    }
}

unsafe fn cstr(p: *const std::ffi::c_char) -> Option<String> {
    (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
}

unsafe fn range_name(rv: &pg_sys::RangeVar) -> Vec<String> {
    [rv.catalogname, rv.schemaname, rv.relname]
        .into_iter()
        .filter_map(|p| cstr(p))
        .collect()
}

/// A qualified name written as a List of String nodes.
unsafe fn name_list(list: *mut pg_sys::List) -> Vec<String> {
    PgList::<pg_sys::Node>::from_pg(list)
        .iter_ptr()
        .filter(|n| !n.is_null() && (**n).type_ == pg_sys::NodeTag::T_String)
        .filter_map(|n| cstr((*n.cast::<pg_sys::String>()).sval))
        .collect()
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
                        pg_catalog.quote_ident($1)",
                Some(1),
                &[schema.into(), callers.clone().into()],
            )?;
            let first = row.first();
            aside = first.get::<String>(1)?.unwrap_or_else(|| "migrate_live".into());
            let others: Option<String> = first.get(2)?;
            let extensions = first.get::<bool>(3)?.unwrap_or(false);
            printed = first.get::<String>(4)?.unwrap_or_else(|| ident(schema));
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
    for s in statements {
        let (ran, position) = crate::errpos::located(crate::errpos::Source::Ran(&s.text), || {
            shell::with_search_path(&path, || shell::write(&s.text, &[]))
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
    if reach_aside {
        only_extension_objects_used(schema, &aside)?;
    }
    // extension objects of the live schema were reached under its
    // temporary name; give them back their own
    Ok(crate::model::rename_schema(
        catalog::model(schema)?,
        &aside,
        schema,
        &printed,
    ))
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
