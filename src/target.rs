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
    /// A full revision id or a unique prefix of one.
    Rev(String),
    /// `+N` or `-N` steps from the current revision.
    Relative(i64),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        let t = text.trim();
        match t {
            "" => Err(MigrateError::invalid("empty migration target").with_hint(HINT)),
            "head" => Ok(Target::Head),
            "heads" => Ok(Target::Heads),
            "base" => Ok(Target::Base),
            _ if t.starts_with('+') || t.starts_with('-') => {
                let digits = &t[1..];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(
                        MigrateError::invalid(format!("invalid relative target \"{t}\""))
                            .with_hint(HINT),
                    );
                }
                let n: i64 = digits.parse().map_err(|_| {
                    MigrateError::new(
                        crate::error::code::OUT_OF_RANGE,
                        format!("relative target \"{t}\" is too large"),
                    )
                })?;
                Ok(Target::Relative(if t.starts_with('-') { -n } else { n }))
            }
            _ => {
                check_id(t)?;
                Ok(Target::Rev(t.to_string()))
            }
        }
    }
}

const HINT: &str =
    "A target is head, heads, base, a revision id or a unique prefix of one, +N or -N.";

/// Names that are targets, so they cannot be revision ids.
pub const RESERVED: [&str; 3] = ["head", "heads", "base"];

/// A revision id: 1 to 64 characters of letters, digits, `_`, `.` and `-`,
/// not starting with `+` or `-`, and not a reserved word.
pub fn check_id(id: &str) -> Result<()> {
    let ok_chars = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if id.is_empty() || id.len() > 64 || !ok_chars || id.starts_with('-') {
        return Err(MigrateError::invalid(format!("invalid revision id \"{id}\"")).with_hint(
            "A revision id has 1 to 64 letters, digits, '_', '.' or '-', and does not start with '-'.",
        ));
    }
    if RESERVED.contains(&id) {
        return Err(MigrateError::invalid(format!(
            "\"{id}\" is a reserved word and cannot be a revision id"
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
    }

    #[test]
    fn rejects_malformed() {
        for bad in ["", "+", "-x", "+1a", "a b", "x;y", "+99999999999999999999"] {
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
        assert!(check_id("a@b").is_err());
        assert!(check_id(&"a".repeat(65)).is_err());
    }
}
