//! Revisions as SQL files: `migrate.export()`, `migrate.export_range()` and
//! `migrate.export_files()`.
//!
//! A file is one `SELECT migrate.revision(...)` call that names everything
//! stored: id, every parent in order, every branch label, depends_on,
//! message, created_at, upgrade and downgrade. Storing the very same
//! revision again changes nothing, so a file can be loaded any number of
//! times; a stored revision with other content is refused (23505).
//!
//! The checksum covers id, parents, depends_on and the ops as jsonb text.
//! The ops are written from jsonb's own text, only re-indented (one op per
//! line), so numbers keep every digit and keys keep jsonb's fixed order: the
//! revision loaded from the file has the checksum of the original.
//!
//! The rendering is plain Rust over plain data; the shell below reads the
//! rows.

use crate::error::{code, MigrateError, Result};
use crate::graph::Graph;
use crate::quote::literal;
use crate::shell::read;
use crate::store;

/// One stored revision, as a file writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub parents: Vec<String>,
    pub labels: Vec<String>,
    pub depends_on: Vec<String>,
    pub message: Option<String>,
    /// UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`
    pub created_at: Option<String>,
    /// jsonb text
    pub upgrade: String,
    /// jsonb text; None: derived from upgrade
    pub downgrade: Option<String>,
}

/// One file of a migrations folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub seq: i32,
    pub id: String,
    pub file: String,
    pub content: String,
}

/// The SQL file that stores `r` again.
pub fn render(r: &Revision) -> String {
    let mut out = String::new();
    out.push_str(&format!("-- Revision {}", r.id));
    if let Some(m) = r.message.as_deref().map(one_line).filter(|m| !m.is_empty()) {
        out.push_str(": ");
        out.push_str(&m);
    }
    out.push('\n');
    let parents = if r.parents.is_empty() {
        "base".to_string()
    } else {
        r.parents.join(", ")
    };
    out.push_str(&format!("-- Parents: {parents}\n"));
    out.push_str(
        "-- Written by migrate.export(). Loading it again changes nothing; a stored\n\
         -- revision with this id and other content is refused (23505).\n",
    );
    out.push_str("SELECT migrate.revision(\n");
    out.push_str(&format!("    id => {},\n", literal(&r.id)));
    out.push_str(&format!("    down_revisions => {},\n", array(&r.parents)));
    out.push_str(&format!("    branch_labels => {},\n", array(&r.labels)));
    out.push_str(&format!("    depends_on => {},\n", array(&r.depends_on)));
    out.push_str(&format!("    message => {},\n", opt_literal(&r.message)));
    out.push_str(&format!(
        "    created_at => {},\n",
        opt_literal(&r.created_at)
    ));
    out.push_str(&format!(
        "    upgrade => {},\n",
        dollar_quote(&json_lines(&r.upgrade))
    ));
    let down = match &r.downgrade {
        Some(d) => dollar_quote(&json_lines(d)),
        None => "NULL".to_string(),
    };
    out.push_str(&format!("    downgrade => {down});\n"));
    out
}

/// Several files in one: each as [`render`] writes it, a blank line between.
pub fn render_all(revisions: &[Revision]) -> String {
    revisions.iter().map(render).collect::<Vec<_>>().join("\n")
}

/// The file names of a folder: `<seq>_<id>_<slug>.sql`, the sequence
/// zero-padded to one width (at least 4 digits) so that names sort in
/// load order.
pub fn files(revisions: &[Revision]) -> Vec<File> {
    let width = revisions.len().to_string().len().max(4);
    revisions
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let seq = i + 1;
            let slug = slug(r.message.as_deref().unwrap_or(""));
            let file = if slug.is_empty() {
                format!("{seq:0width$}_{}.sql", r.id)
            } else {
                format!("{seq:0width$}_{}_{slug}.sql", r.id)
            };
            File {
                seq: i32::try_from(seq).unwrap_or(i32::MAX),
                id: r.id.clone(),
                file,
                content: render(r),
            }
        })
        .collect()
}

/// A message as a file name part: lower-case ASCII letters and digits, runs
/// of anything else as one `_`, at most 40 characters.
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        if out.len() >= 40 {
            break;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// A message on one comment line: control characters (newlines) as spaces.
fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn opt_literal(text: &Option<String>) -> String {
    text.as_deref().map_or_else(|| "NULL".to_string(), literal)
}

/// `'{}'` or `ARRAY['a', 'b']`.
fn array(items: &[String]) -> String {
    if items.is_empty() {
        return "'{}'".to_string();
    }
    let items: Vec<String> = items.iter().map(|i| literal(i)).collect();
    format!("ARRAY[{}]", items.join(", "))
}

/// `$migrate$text$migrate$`, with a tag the text does not hold.
pub fn dollar_quote(text: &str) -> String {
    let mut n = 0u32;
    loop {
        let tag = if n == 0 {
            "$migrate$".to_string()
        } else {
            format!("$migrate{n}$")
        };
        if format!("{text}{tag}").find(&tag) == Some(text.len()) {
            return format!("{tag}{text}{tag}");
        }
        n += 1;
    }
}

/// A JSON array (jsonb's text) with one element per line; anything else
/// as it is. Only whitespace between elements changes, so jsonb reads back
/// the same value with the same text.
pub fn json_lines(json: &str) -> String {
    let trimmed = json.trim();
    match top_level_elements(trimmed) {
        Some(items) if !items.is_empty() => format!("[\n  {}\n]", items.join(",\n  ")),
        _ => trimmed.to_string(),
    }
}

/// The elements of a JSON array as text, split at its top-level commas;
/// None when the text is not an array.
fn top_level_elements(json: &str) -> Option<Vec<&str>> {
    let inner = json.strip_prefix('[')?.strip_suffix(']')?;
    let mut items = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0i32, false, false, 0usize);
    for (i, c) in inner.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    if in_string || depth != 0 {
        return None;
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        items.push(last);
    } else if !items.is_empty() {
        return None;
    }
    Some(items)
}

// ---- shell: reading the stored rows ----

/// `migrate.export(revision)`: one revision's file, or every revision's
/// (parents first) with NULL.
pub fn export(spec: Option<&str>) -> Result<String> {
    let g = store::load_graph()?;
    let order = match spec {
        None => g.topo().to_vec(),
        Some(s) => vec![g.resolve(s)?],
    };
    Ok(render_all(&load(&g, &order)?))
}

/// `migrate.export_range(range)`: the revisions of an Alembic range,
/// parents first.
pub fn export_range(range: Option<&str>) -> Result<String> {
    let range = range.ok_or_else(|| {
        MigrateError::new(code::NULL, "range must not be NULL")
            .with_hint("Give a range start:end, e.g. 'base:head' or 'ae10:'; migrate.export() exports every revision.")
    })?;
    let g = store::load_graph()?;
    Ok(render_all(&load(&g, &in_range(&g, Some(range))?)?))
}

/// `migrate.export_files(range)`: one file per revision.
pub fn export_files(range: Option<&str>) -> Result<Vec<File>> {
    let g = store::load_graph()?;
    Ok(files(&load(&g, &in_range(&g, range)?)?))
}

/// The revisions of a range (None: all), parents first.
fn in_range(g: &Graph, range: Option<&str>) -> Result<Vec<usize>> {
    let Some(range) = range else {
        return Ok(g.topo().to_vec());
    };
    let current = g.current(&store::versions()?)?;
    let mut order = crate::plan::range(g, &current, range)?;
    order.reverse();
    Ok(order)
}

/// The revisions `order` names, in that order, with what the graph does
/// not hold (message, created_at, ops) read from the table.
fn load(g: &Graph, order: &[usize]) -> Result<Vec<Revision>> {
    let ids: Vec<String> = order.iter().map(|&i| g.id(i).to_string()).collect();
    let mut stored = read(
        "SELECT id, message, \
                pg_catalog.to_char(pg_catalog.timezone('UTC', created_at), \
                                   'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), \
                upgrade::pg_catalog.text, downgrade::pg_catalog.text \
           FROM migrate.revisions WHERE id = ANY($1)",
        &[ids.clone().into()],
        |rows| {
            let mut out = std::collections::HashMap::with_capacity(rows.len());
            for row in rows {
                let id: String = row.get::<String>(1)?.unwrap_or_default();
                out.insert(
                    id,
                    (
                        row.get::<String>(2)?,
                        row.get::<String>(3)?,
                        row.get::<String>(4)?.unwrap_or_else(|| "null".into()),
                        row.get::<String>(5)?,
                    ),
                );
            }
            Ok(out)
        },
    )?;
    order
        .iter()
        .map(|&i| {
            let node = &g.nodes[i];
            let (message, created_at, upgrade, downgrade) =
                stored.remove(&node.id).ok_or_else(|| {
                    MigrateError::new(
                        code::INTERNAL,
                        format!("revision {} vanished while it was exported", node.id),
                    )
                })?;
            Ok(Revision {
                id: node.id.clone(),
                parents: node.parents.clone(),
                labels: node.labels.clone(),
                depends_on: node.depends_on.clone(),
                message,
                created_at,
                upgrade,
                downgrade,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(id: &str) -> Revision {
        Revision {
            id: id.into(),
            parents: vec![],
            labels: vec![],
            depends_on: vec![],
            message: Some("add my_enum_column".into()),
            created_at: Some("2026-01-02T03:04:05.000006Z".into()),
            upgrade: r#"[{"op": "create_enum", "name": "e", "values": ["a", "b"]}, {"op": "execute", "sql": "SELECT '[1, 2]', \"x\""}]"#.into(),
            downgrade: None,
        }
    }

    #[test]
    fn a_file_names_everything_stored() {
        let mut r = rev("ae1027a6acf");
        r.parents = vec!["p2".into(), "p1".into()];
        r.labels = vec!["feature".into(), "b".into()];
        r.depends_on = vec!["d1".into()];
        r.downgrade = Some("[]".into());
        assert_eq!(
            render(&r),
            r#"-- Revision ae1027a6acf: add my_enum_column
-- Parents: p2, p1
-- Written by migrate.export(). Loading it again changes nothing; a stored
-- revision with this id and other content is refused (23505).
SELECT migrate.revision(
    id => 'ae1027a6acf',
    down_revisions => ARRAY['p2', 'p1'],
    branch_labels => ARRAY['feature', 'b'],
    depends_on => ARRAY['d1'],
    message => 'add my_enum_column',
    created_at => '2026-01-02T03:04:05.000006Z',
    upgrade => $migrate$[
  {"op": "create_enum", "name": "e", "values": ["a", "b"]},
  {"op": "execute", "sql": "SELECT '[1, 2]', \"x\""}
]$migrate$,
    downgrade => $migrate$[]$migrate$);
"#
        );
    }

    #[test]
    fn a_root_with_nothing_optional() {
        let mut r = rev("r1");
        r.message = None;
        r.created_at = None;
        r.upgrade = "[]".into();
        let text = render(&r);
        assert!(text.starts_with("-- Revision r1\n-- Parents: base\n"));
        assert!(text.contains("    down_revisions => '{}',\n"));
        assert!(text.contains("    message => NULL,\n    created_at => NULL,\n"));
        assert!(text.ends_with("    upgrade => $migrate$[]$migrate$,\n    downgrade => NULL);\n"));
    }

    #[test]
    fn messages_are_quoted_and_kept_on_one_comment_line() {
        let mut r = rev("r1");
        r.message = Some("it's\ntwo lines \\ here".into());
        let text = render(&r);
        assert!(text.starts_with("-- Revision r1: it's two lines \\ here\n"));
        assert!(text.contains("    message => E'it''s\ntwo lines \\\\ here',\n"));
    }

    #[test]
    fn json_lines_splits_only_top_level_commas() {
        assert_eq!(json_lines("[]"), "[]");
        assert_eq!(json_lines("[1]"), "[\n  1\n]");
        assert_eq!(
            json_lines(r#"[{"a": [1, 2]}, "x,]\"", {"b": {"c": ","}}]"#),
            "[\n  {\"a\": [1, 2]},\n  \"x,]\\\"\",\n  {\"b\": {\"c\": \",\"}}\n]"
        );
        assert_eq!(json_lines(r#"{"a": 1}"#), r#"{"a": 1}"#);
        assert_eq!(json_lines("null"), "null");
        assert_eq!(json_lines("[1, ]"), "[1, ]");
    }

    #[test]
    fn json_lines_changes_only_whitespace() {
        let text = r#"[{"op": "execute", "sql": "SELECT 1.10, '{'"}, {"op": "x"}, 12345678901234567890.5]"#;
        let squeeze = |s: &str| -> String {
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(s).unwrap()).unwrap()
        };
        assert_eq!(squeeze(&json_lines(text)), squeeze(text));
        assert!(json_lines(text).contains("1.10"));
    }

    #[test]
    fn dollar_quotes_pick_a_free_tag() {
        assert_eq!(dollar_quote("[]"), "$migrate$[]$migrate$");
        assert_eq!(
            dollar_quote("a $migrate$ b"),
            "$migrate1$a $migrate$ b$migrate1$"
        );
        assert_eq!(dollar_quote("x$migrate"), "$migrate1$x$migrate$migrate1$");
    }

    #[test]
    fn file_names_sort_in_load_order() {
        let mut a = rev("aaa");
        a.message = Some("Add: the users table!".into());
        let mut b = rev("bbb");
        b.message = None;
        let f = files(&[a, b]);
        assert_eq!(f[0].file, "0001_aaa_add_the_users_table.sql");
        assert_eq!(f[1].file, "0002_bbb.sql");
        assert_eq!((f[0].seq, f[1].seq), (1, 2));
        let many: Vec<Revision> = (0..10_000).map(|i| rev(&format!("r{i}"))).collect();
        let f = files(&many);
        assert_eq!(f[0].file, "00001_r0_add_my_enum_column.sql");
        assert_eq!(f[9_999].file, "10000_r9999_add_my_enum_column.sql");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("  Ünïcode -- and CAPS  "), "n_code_and_caps");
        assert_eq!(slug(""), "");
        assert_eq!(slug(&"x".repeat(100)).len(), 40);
    }

    #[test]
    fn several_files_in_one() {
        let text = render_all(&[rev("a"), rev("b")]);
        assert!(text.contains(");\n\n-- Revision b"));
        assert_eq!(render_all(&[]), "");
    }
}
