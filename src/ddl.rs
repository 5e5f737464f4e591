//! Which statements a desired schema may hold (autogenerate).
//!
//! The server's own parser splits the desired schema into statements and
//! names each one with its command tag (`CREATE TABLE`, `INSERT`, `SET`...);
//! the shell (`scratch`) copies that into a [`Statement`]. Deciding whether
//! a statement is allowed is plain Rust over that data: only statements
//! that define schema objects are, and only for objects named without a
//! schema or with the schema being described.

use crate::error::{code, MigrateError, Result};
use crate::render::one_line;

/// One statement of a desired schema, as the server's parser saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based position in the desired schema.
    pub number: usize,
    /// 1-based line where the statement starts.
    pub line: usize,
    pub text: String,
    /// PostgreSQL's command tag: `CREATE TABLE`, `INSERT`, `SET`...
    pub command: String,
    /// The names of the objects the statement creates or changes, as
    /// written (`["t"]`, `["other", "t"]`).
    pub names: Vec<Vec<String>>,
    /// `CREATE TEMP TABLE ...`
    pub temporary: bool,
    /// `CREATE INDEX CONCURRENTLY ...`
    pub concurrent: bool,
    /// Accepted and not run: it defines nothing in the schema (a setting,
    /// an owner, a grant, the `CREATE SCHEMA` of the schema itself).
    pub ignored: bool,
    /// The role an `... OWNER TO role` statement names (not for
    /// `CURRENT_USER` and the like, which always exist).
    pub owner: Option<String>,
    /// The extension a `CREATE EXTENSION` or `COMMENT ON EXTENSION` names
    /// (as a full `pg_dump -s` writes them): ignored when the extension
    /// is installed, refused when it is not.
    pub extension: Option<String>,
}

/// The command tags a desired schema may use: statements that define
/// schema objects. Everything else (data changes, transaction control,
/// `COPY`, `SELECT`, `CALL`, `DO`, `CREATE EXTENSION`, another schema's
/// `CREATE SCHEMA`...) is refused before any statement runs, unless the
/// parser marked it [`Statement::ignored`] (what `pg_dump -s` writes around
/// the definitions: `SET`, `SELECT pg_catalog.set_config(...)`,
/// `ALTER ... OWNER TO`, `GRANT`/`REVOKE`, `CREATE SCHEMA` of the schema).
pub const ACCEPTED: [&str; 19] = [
    "CREATE TABLE",
    "ALTER TABLE",
    "CREATE TYPE",
    "ALTER TYPE",
    "CREATE INDEX",
    "ALTER INDEX",
    "CREATE SEQUENCE",
    "ALTER SEQUENCE",
    "CREATE DOMAIN",
    "ALTER DOMAIN",
    "CREATE VIEW",
    "ALTER VIEW",
    "CREATE MATERIALIZED VIEW",
    "CREATE FUNCTION",
    "CREATE PROCEDURE",
    "CREATE AGGREGATE",
    "CREATE TRIGGER",
    "COMMENT",
    "CREATE RULE",
];

impl Statement {
    /// `statement 2 (line 4): INSERT INTO t VALUES (1)`, for messages.
    pub fn label(&self) -> String {
        let text = one_line(&self.text);
        let short: String = if text.chars().count() > 80 {
            text.chars().take(77).chain("...".chars()).collect()
        } else {
            text
        };
        format!(
            "desired schema statement {} (line {}): {}",
            self.number, self.line, short
        )
    }
}

/// Refuse the first statement that does not belong in a desired schema
/// for `schema`, naming it. Nothing has run when this is called.
pub fn check(statements: &[Statement], schema: &str) -> Result<()> {
    for s in statements {
        let refuse = |why: String, hint: &str| {
            Err(
                MigrateError::new(code::NOT_SCHEMA, format!("{}: {why}", s.label()))
                    .with_hint(hint),
            )
        };
        if s.ignored && s.command == "CREATE SCHEMA" {
            if s.names.iter().any(|n| n.as_slice() != [schema]) {
                return refuse(
                    "it creates another schema than the one being described".into(),
                    "A desired schema describes one schema; its own CREATE SCHEMA (as \
                     pg_dump -n writes it) is ignored, any other is refused.",
                );
            }
            continue;
        }
        if !s.ignored && !ACCEPTED.contains(&s.command.as_str()) {
            return refuse(
                format!("{} is not a schema-defining statement", s.command),
                "A desired schema holds only CREATE TYPE/TABLE/INDEX/SEQUENCE/DOMAIN/VIEW, \
                 ALTER TABLE, COMMENT and the like; data changes, SET, transaction control, \
                 COPY and function calls are refused.",
            );
        }
        if s.temporary {
            return refuse(
                "a temporary object is not part of a schema".into(),
                "Drop TEMP/TEMPORARY.",
            );
        }
        if s.concurrent {
            return refuse(
                "CONCURRENTLY cannot be evaluated inside a transaction".into(),
                "Write CREATE INDEX without CONCURRENTLY; the generated create_index op \
                 runs inside the migration's transaction.",
            );
        }
        for name in &s.names {
            let qualifiers = &name[..name.len().saturating_sub(1)];
            let foreign = match qualifiers {
                [] => None,
                [one] if one == schema => None,
                [one] => Some(one.clone()),
                more => Some(more.join(".")),
            };
            if let Some(other) = foreign {
                return refuse(
                    format!(
                        "\"{}\" is qualified with \"{other}\", not the schema being described (\"{schema}\")",
                        name.join(".")
                    ),
                    "Write names unqualified: the desired schema describes one schema.",
                );
            }
        }
    }
    Ok(())
}

/// Refuse the first `OWNER TO` that names a role `exists` does not know:
/// the owner is not compared, but a schema naming a role that is not there
/// is not the schema of this cluster.
pub fn check_owners(statements: &[Statement], exists: impl Fn(&str) -> bool) -> Result<()> {
    for s in statements {
        if let Some(role) = s.owner.as_deref().filter(|r| !exists(r)) {
            return Err(MigrateError::new(
                code::UNKNOWN,
                format!("{}: role \"{role}\" does not exist", s.label()),
            )
            .with_hint(
                "Owners are not compared, and an OWNER TO naming an existing role is ignored: \
                 create the role, or drop the statement from the desired schema.",
            ));
        }
    }
    Ok(())
}

/// Refuse the first `CREATE EXTENSION` or `COMMENT ON EXTENSION` that
/// names an extension `installed` does not know: autogenerate compares no
/// extension, and does not install one.
pub fn check_extensions(statements: &[Statement], installed: impl Fn(&str) -> bool) -> Result<()> {
    for s in statements {
        if let Some(name) = s.extension.as_deref().filter(|e| !installed(e)) {
            return Err(MigrateError::new(
                code::UNKNOWN,
                format!("{}: extension \"{name}\" is not installed", s.label()),
            )
            .with_hint(
                "Extensions are not compared, and autogenerate does not install one: run \
                 CREATE EXTENSION in the database first (or in a revision of its own); the \
                 CREATE EXTENSION of an installed extension is ignored.",
            ));
        }
    }
    Ok(())
}

/// `sql` with psql's `\restrict KEY` and `\unrestrict KEY` lines (which
/// pg_dump writes around a dump) blanked: the server's parser does not know
/// psql's meta-commands. Only the lines' text goes; their line breaks stay,
/// so that line numbers in messages are those of the file.
pub fn without_meta_commands(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for line in sql.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        let word = body.split(|c: char| c.is_whitespace()).next().unwrap_or("");
        if word == "\\restrict" || word == "\\unrestrict" {
            if line.ends_with("\r\n") {
                out.push_str("\r\n");
            } else if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The byte offset of the first token of `text`, past white space and
/// comments (the parser's statement locations start after the previous
/// semicolon, so they include what precedes the statement).
pub fn start_of(text: &str) -> usize {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            // block comments nest in PostgreSQL
            let mut depth = 0usize;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else {
            return i;
        }
    }
}

/// The 1-based line of `text` holding the character at PostgreSQL's
/// 1-based cursor position (counted in characters, not bytes).
pub fn line_at(text: &str, position: usize) -> usize {
    line_and_column(text, position).0
}

/// The 1-based line and column of that character.
pub fn line_and_column(text: &str, position: usize) -> (usize, usize) {
    let before: Vec<char> = text.chars().take(position.saturating_sub(1)).collect();
    let line = before.iter().filter(|&&c| c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|&&c| c != '\n').count() + 1;
    (line, column)
}

/// The NOTICE for a desired schema's privileges, which are accepted and
/// not run (privileges are not compared): the lines of its `GRANT` and
/// `REVOKE` statements; None when it has none.
pub fn privileges_note(statements: &[Statement]) -> Option<String> {
    let lines: Vec<String> = statements
        .iter()
        .filter(|s| s.command.starts_with("GRANT") || s.command.starts_with("REVOKE"))
        .map(|s| s.line.to_string())
        .collect();
    (!lines.is_empty()).then(|| {
        format!(
            "privileges are not compared: the desired schema's GRANT and REVOKE statements (line{} {}) were not run",
            if lines.len() == 1 { "" } else { "s" },
            lines.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stmt(command: &str, names: &[&[&str]]) -> Statement {
        Statement {
            number: 2,
            line: 4,
            text: format!("{command} ..."),
            command: command.into(),
            names: names
                .iter()
                .map(|n| n.iter().map(|s| s.to_string()).collect())
                .collect(),
            temporary: false,
            concurrent: false,
            ignored: false,
            owner: None,
            extension: None,
        }
    }

    #[test]
    fn privileges_are_noted_by_line() {
        assert_eq!(privileges_note(&[stmt("CREATE TABLE", &[&["t"]])]), None);
        let mut revoke = stmt("REVOKE", &[]);
        revoke.line = 9;
        assert_eq!(
            privileges_note(&[stmt("GRANT", &[]), stmt("CREATE TABLE", &[&["t"]]), revoke])
                .as_deref(),
            Some("privileges are not compared: the desired schema's GRANT and REVOKE statements (lines 4, 9) were not run")
        );
    }

    #[test]
    fn schema_statements_pass() {
        let ok = [
            stmt("CREATE TYPE", &[&["mood"]]),
            stmt("CREATE TABLE", &[&["t"]]),
            stmt("CREATE INDEX", &[&["app", "t"]]),
            stmt("COMMENT", &[]),
        ];
        assert!(check(&ok, "app").is_ok());
        assert!(check(&[], "app").is_ok());
    }

    #[test]
    fn everything_else_is_refused_naming_the_statement() {
        for command in [
            "INSERT", "UPDATE", "SET", "BEGIN", "COMMIT", "COPY", "SELECT", "CALL", "DO",
        ] {
            let e = check(&[stmt("CREATE TABLE", &[]), stmt(command, &[])], "public").unwrap_err();
            assert_eq!(e.sqlstate(), "0A000", "{command}");
            assert!(e.message.contains("statement 2 (line 4)"), "{}", e.message);
            assert!(e.message.contains(command), "{}", e.message);
        }
    }

    #[test]
    fn names_qualified_with_another_schema_are_refused() {
        let e = check(&[stmt("CREATE TABLE", &[&["other", "t"]])], "public").unwrap_err();
        assert!(e.message.contains("\"other.t\""), "{}", e.message);
        assert!(check(&[stmt("CREATE TABLE", &[&["db", "public", "t"]])], "public").is_err());
        let mut temp = stmt("CREATE TABLE", &[&["t"]]);
        temp.temporary = true;
        assert!(check(&[temp], "public").is_err());
        let mut conc = stmt("CREATE INDEX", &[&["t"]]);
        conc.concurrent = true;
        assert!(check(&[conc], "public").is_err());
    }

    #[test]
    fn ignored_statements_pass_whatever_their_tag() {
        let mut set = stmt("SET", &[]);
        set.ignored = true;
        let mut select = stmt("SELECT", &[]);
        select.ignored = true;
        let mut own = stmt("ALTER FUNCTION", &[&["public", "f"]]);
        own.ignored = true;
        assert!(check(&[set, select, own], "public").is_ok());
        assert!(check(&[stmt("CREATE AGGREGATE", &[&["public", "a"]])], "public").is_ok());
    }

    #[test]
    fn only_the_described_schema_may_be_created() {
        let mut mine = stmt("CREATE SCHEMA", &[&["public"]]);
        mine.ignored = true;
        assert!(check(&[mine.clone()], "public").is_ok());
        let e = check(&[mine], "app").unwrap_err();
        assert!(e.message.contains("another schema"), "{}", e.message);
        // a CREATE SCHEMA the parser did not mark (with elements, say)
        assert!(check(&[stmt("CREATE SCHEMA", &[&["public"]])], "public").is_err());
    }

    #[test]
    fn owners_must_exist() {
        let mut own = stmt("ALTER TABLE", &[&["public", "t"]]);
        own.ignored = true;
        own.owner = Some("alice".into());
        assert!(check_owners(&[own.clone()], |r| r == "alice").is_ok());
        let e = check_owners(&[own], |_| false).unwrap_err();
        assert_eq!(e.sqlstate(), "42704");
        assert!(e.message.contains("statement 2 (line 4)"), "{}", e.message);
        assert!(
            e.message.contains("role \"alice\" does not exist"),
            "{}",
            e.message
        );
    }

    #[test]
    fn extensions_must_be_installed() {
        let mut ext = stmt("CREATE EXTENSION", &[]);
        ext.ignored = true;
        ext.extension = Some("citext".into());
        assert!(check(&[ext.clone()], "public").is_ok());
        assert!(check_extensions(&[ext.clone()], |e| e == "citext").is_ok());
        let e = check_extensions(&[ext], |_| false).unwrap_err();
        assert_eq!(e.sqlstate(), "42704");
        assert!(
            e.message.contains("extension \"citext\" is not installed"),
            "{}",
            e.message
        );
    }

    #[test]
    fn meta_commands_are_blanked_keeping_lines() {
        let dump =
            "\\restrict abc123\n\nSET x = 1;\n  \\unrestrict abc123\r\nSELECT 1;\n\\unrestrict k";
        assert_eq!(
            without_meta_commands(dump),
            "\n\nSET x = 1;\n\r\nSELECT 1;\n"
        );
        // a word merely starting like one, or other text, stays
        let kept = "\\restricted\nx \\restrict k\n";
        assert_eq!(without_meta_commands(kept), kept);
        assert_eq!(without_meta_commands(""), "");
    }

    #[test]
    fn statements_start_after_space_and_comments() {
        assert_eq!(start_of("  \n-- a\n /* b /* c */ d */ CREATE"), 27);
        assert_eq!(start_of("CREATE"), 0);
        assert_eq!(start_of("  "), 2);
        assert_eq!(start_of("-- only"), 7);
    }

    #[test]
    fn cursor_positions_count_characters() {
        assert_eq!(line_at("CREATE TABEL", 8), 1);
        assert_eq!(line_at("a;\nb;\nCREATE TABEL", 11), 3);
        assert_eq!(line_at("-- é\nx", 6), 2);
        assert_eq!(line_at("x", 0), 1);
        assert_eq!(line_and_column("ab\ncd", 5), (2, 2));
        assert_eq!(line_and_column("abc", 3), (1, 3));
    }

    proptest! {
        #[test]
        fn start_of_never_panics_and_stays_in_bounds(s in "[ \\n\\-/*a]{0,30}") {
            prop_assert!(start_of(&s) <= s.len());
        }

        #[test]
        fn blanking_meta_commands_keeps_line_count(s in "(\\\\restrict k|\\\\unrestrict|x|;| |\n|\r\n){0,20}") {
            let out = without_meta_commands(&s);
            prop_assert_eq!(out.matches('\n').count(), s.matches('\n').count());
            prop_assert!(out.len() <= s.len());
        }
    }
}
