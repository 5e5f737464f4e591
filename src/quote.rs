//! Quoting of identifiers and literals, in plain Rust.
//!
//! Every identifier that reaches SQL goes through [`ident`] and is always
//! double-quoted, so case and odd characters survive and nothing can end the
//! statement. Literals go through [`literal`], which behaves like PostgreSQL's
//! `quote_literal` (an `E''` string when a backslash is present, so the result
//! is correct whatever `standard_conforming_strings` says).

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes). Longer
/// names would be truncated silently, so they are refused instead.
pub const MAX_IDENT_BYTES: usize = 63;

/// `"name"`, with embedded double quotes doubled.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `"schema"."name"`, or `"name"` when no schema is given.
pub fn qualified(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(s) => format!("{}.{}", ident(s), ident(name)),
        None => ident(name),
    }
}

/// A string literal: `'it''s'`, or `E'a\\b'` when the text holds a backslash.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    if text.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Why a name cannot be an identifier, if it cannot.
pub fn check_ident(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("must not be empty".into())
    } else if name.contains('\0') {
        Some("must not contain a NUL character".into())
    } else if name.len() > MAX_IDENT_BYTES {
        Some(format!(
            "is {} bytes long; PostgreSQL keeps at most {MAX_IDENT_BYTES}",
            name.len()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn idents_are_always_quoted() {
        assert_eq!(ident("my_table"), "\"my_table\"");
        assert_eq!(ident("MyTable"), "\"MyTable\"");
        assert_eq!(
            ident("x\"; DROP TABLE victim; --"),
            "\"x\"\"; DROP TABLE victim; --\""
        );
        assert_eq!(qualified(Some("a b"), "c"), "\"a b\".\"c\"");
        assert_eq!(qualified(None, "c"), "\"c\"");
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(literal("option1"), "'option1'");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
        assert_eq!(literal("'); DROP TABLE t; --"), "'''); DROP TABLE t; --'");
    }

    #[test]
    fn ident_checks() {
        assert!(check_ident("ok").is_none());
        assert!(check_ident("").is_some());
        assert!(check_ident(&"x".repeat(63)).is_none());
        assert!(check_ident(&"x".repeat(64)).is_some());
        assert!(check_ident("a\0b").is_some());
    }

    /// Undo `ident`: what PostgreSQL's lexer does with a quoted identifier.
    fn unquote_ident(q: &str) -> Option<String> {
        let inner = q.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                // every quote inside must be doubled
                if chars.next() != Some('"') {
                    return None;
                }
            }
            out.push(c);
        }
        Some(out)
    }

    /// Undo `literal`, as PostgreSQL's lexer reads it.
    fn unquote_literal(q: &str) -> Option<String> {
        let (escaped, body) = match q.strip_prefix('E') {
            Some(rest) => (true, rest),
            None => (false, q),
        };
        let inner = body.strip_prefix('\'')?.strip_suffix('\'')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.next() == Some('\'') => out.push('\''),
                '\'' => return None,
                '\\' if escaped => out.push(chars.next()?),
                c => out.push(c),
            }
        }
        Some(out)
    }

    proptest! {
        #[test]
        fn ident_round_trips(s in "\\PC*") {
            prop_assert_eq!(unquote_ident(&ident(&s)), Some(s));
        }

        #[test]
        fn literal_round_trips(s in "\\PC*") {
            prop_assert_eq!(unquote_literal(&literal(&s)), Some(s));
        }
    }
}
