//! Targets of `upgrade` and `downgrade`, and the rules for revision ids.

use crate::error::{MigrateError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The single head of the graph.
    Head,
    /// Every head.
    Heads,
    /// Before the first revision.
    Base,
    /// A revision: a full id, a branch label (the revision that carries
    /// it), `<rev>+N` / `<rev>-N`, or a unique prefix of an id. The graph
    /// resolves it.
    Rev(String),
    /// `+N` or `-N` steps from the current revision.
    Relative(i64),
    /// `<label>@head`, `@heads`, `@base`, `@+N`, `@-N`.
    Branch(String, BranchAt),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchAt {
    Head,
    Heads,
    Base,
    Relative(i64),
}

impl Target {
    /// A target given as an SQL argument, which must not be NULL.
    pub fn parse_arg(text: Option<&str>) -> Result<Target> {
        match text {
            Some(t) => Target::parse(t),
            None => Err(crate::error::MigrateError::new(
                crate::error::code::NULL,
                "the migration target must not be NULL",
            )),
        }
    }

    pub fn parse(text: &str) -> Result<Target> {
        let t = text.trim();
        if let Some((label, at)) = t.split_once('@') {
            check_label(label)?;
            let at = match at {
                "head" => BranchAt::Head,
                "heads" => BranchAt::Heads,
                "base" => BranchAt::Base,
                _ => match relative(at)? {
                    Some(n) => BranchAt::Relative(n),
                    None => {
                        return Err(
                            MigrateError::invalid(format!("invalid branch target \"{t}\""))
                                .with_hint("After '@' comes head, heads, base, +N or -N."),
                        )
                    }
                },
            };
            return Ok(Target::Branch(label.to_string(), at));
        }
        match t {
            "" => Err(MigrateError::invalid("empty migration target").with_hint(HINT)),
            "head" => Ok(Target::Head),
            "heads" => Ok(Target::Heads),
            "base" => Ok(Target::Base),
            _ => match relative(t)? {
                Some(n) => Ok(Target::Relative(n)),
                None => {
                    let (base, _) = split_relative(t);
                    if base.is_empty()
                        || !base
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
                    {
                        return Err(MigrateError::invalid(format!(
                            "invalid migration target \"{t}\""
                        ))
                        .with_hint(HINT));
                    }
                    Ok(Target::Rev(t.to_string()))
                }
            },
        }
    }
}

/// `+N` / `-N` alone: Some(n). Anything else: None. A sign followed by
/// something other than digits is an error.
fn relative(t: &str) -> Result<Option<i64>> {
    let Some(sign) = t.chars().next().filter(|c| *c == '+' || *c == '-') else {
        return Ok(None);
    };
    let digits = &t[1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            MigrateError::invalid(format!("invalid relative target \"{t}\"")).with_hint(HINT),
        );
    }
    let n: i64 = digits.parse().map_err(|_| {
        MigrateError::new(
            crate::error::code::OUT_OF_RANGE,
            format!("relative target \"{t}\" is too large"),
        )
    })?;
    Ok(Some(if sign == '-' { -n } else { n }))
}

/// `ae10+2` -> ("ae10", Some(2)); `ae10` -> ("ae10", None).
pub fn split_relative(t: &str) -> (&str, Option<i64>) {
    let digits_start = t.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits_start == t.len() || digits_start < 2 {
        return (t, None);
    }
    let sign = &t[digits_start - 1..digits_start];
    let n: Option<i64> = t[digits_start..].parse().ok();
    match (sign, n) {
        ("+", Some(n)) => (&t[..digits_start - 1], Some(n)),
        ("-", Some(n)) => (&t[..digits_start - 1], Some(-n)),
        _ => (t, None),
    }
}

const HINT: &str =
    "A target is head, heads, base, a revision id or a unique prefix of one, +N or -N.";

/// Names that are targets, so they cannot be revision ids.
pub const RESERVED: [&str; 3] = ["head", "heads", "base"];

/// A revision id: 1 to 64 letters, digits, `_` and `.` (no `+`, `-` or
/// `@`, which targets use), and not a reserved word.
pub fn check_id(id: &str) -> Result<()> {
    let ok_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if id.is_empty() || id.len() > 64 || !ok_chars {
        return Err(
            MigrateError::invalid(format!("invalid revision id \"{id}\""))
                .with_hint("A revision id has 1 to 64 letters, digits, '_' or '.'."),
        );
    }
    if RESERVED.contains(&id) {
        return Err(MigrateError::invalid(format!(
            "\"{id}\" is a reserved word and cannot be a revision id"
        )));
    }
    Ok(())
}

/// A branch label: 1 to 64 letters, digits, `_`, `.` and `-`, starting
/// with a letter or `_`, and not a reserved word.
pub fn check_label(label: &str) -> Result<()> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if !ok {
        return Err(MigrateError::invalid(format!("invalid branch label \"{label}\""))
            .with_hint("A branch label has 1 to 64 letters, digits, '_', '.' or '-', and starts with a letter or '_'."));
    }
    if RESERVED.contains(&label) {
        return Err(MigrateError::invalid(format!(
            "\"{label}\" is a reserved word and cannot be a branch label"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Target::parse("head").unwrap(), Target::Head);
        assert_eq!(Target::parse(" heads ").unwrap(), Target::Heads);
        assert_eq!(Target::parse("base").unwrap(), Target::Base);
        assert_eq!(Target::parse("+2").unwrap(), Target::Relative(2));
        assert_eq!(Target::parse("-1").unwrap(), Target::Relative(-1));
        assert_eq!(Target::parse("ae1").unwrap(), Target::Rev("ae1".into()));
        assert_eq!(Target::parse("ae1+2").unwrap(), Target::Rev("ae1+2".into()));
        assert_eq!(
            Target::parse("cart@head").unwrap(),
            Target::Branch("cart".into(), BranchAt::Head)
        );
        assert_eq!(
            Target::parse("cart@-2").unwrap(),
            Target::Branch("cart".into(), BranchAt::Relative(-2))
        );
        assert_eq!(
            Target::parse("cart@base").unwrap(),
            Target::Branch("cart".into(), BranchAt::Base)
        );
    }

    #[test]
    fn splits_relative_suffixes() {
        assert_eq!(split_relative("ae10+2"), ("ae10", Some(2)));
        assert_eq!(split_relative("ae10-1"), ("ae10", Some(-1)));
        assert_eq!(split_relative("ae10"), ("ae10", None));
        assert_eq!(split_relative("a-b"), ("a-b", None));
        assert_eq!(split_relative("-1"), ("-1", None));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "+",
            "-x",
            "+1a",
            "a b",
            "x;y",
            "+99999999999999999999",
            "@head",
            "x@",
            "x@top",
            "x@+a",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Target::parse("+99999999999999999999")
                .unwrap_err()
                .sqlstate(),
            "22003"
        );
    }

    #[test]
    fn ids() {
        assert!(check_id("1975ea83b712").is_ok());
        assert!(check_id("0001_initial.v2").is_ok());
        assert!(check_id("head").is_err());
        assert!(check_id("-1").is_err());
        assert!(check_id("a-b").is_err());
        assert!(check_label("shopping-cart").is_ok());
        assert!(check_label("1cart").is_err());
        assert!(check_label("heads").is_err());
        assert!(check_id("a@b").is_err());
        assert!(check_id(&"a".repeat(65)).is_err());
    }
}
