//! migrate_ext: Alembic-style schema migrations that run inside PostgreSQL.
//!
//! The pure core: [`ops`] (parsing), [`render`] (SQL), [`graph`] (the
//! revision graph), [`plan`] (steps for a target), [`target`] (targets and
//! ids), [`enums`] (enum value plans), [`model`] (schema model and differ),
//! [`ddl`] (which statements a desired schema may hold), [`export`]
//! (revisions as SQL files), [`inverse`] (the ops that recreate what an
//! upgrade op removes), [`quote`],
//! [`error`].
//! The shell that touches the server: [`catalog`] (PostgreSQL's catalogs),
//! [`capture`] (what an upgrade op changes, read before it runs),
//! [`store`] (the extension's tables), [`author`] (writing revisions),
//! [`run`] (running steps), [`enum_run`] (enum ops planned from the live
//! type), [`scratch`] (a desired schema evaluated and
//! rolled back), [`autogen`] (diff, check, autogenerate), [`errpos`] (where
//! an error happened) and [`api`] (the SQL functions). [`compat`] holds
//! what differs between PostgreSQL 15, 16 and 18.

// Every unsafe operation sits in its own block with a SAFETY reason.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod api;
mod author;
mod autogen;
mod capture;
mod catalog;
mod compat;
mod ddl;
mod dryrun;
mod enum_run;
mod enums;
mod error;
mod errpos;
mod export;
mod graph;
mod inverse;
mod lint;
mod model;
mod objects;
mod ops;
mod plan;
mod procedure;
mod quote;
mod render;
mod run;
mod scratch;
mod shell;
mod store;
mod target;
mod waits;
mod worker;

::pgrx::pg_module_magic!(name, version);

/// Load time: define the settings (`migrate.lock_timeout`, ...).
#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    waits::define_settings();
}

pgrx::extension_sql_file!("../sql/tables.sql", name = "tables", bootstrap);
pgrx::extension_sql_file!("../sql/functions.sql", name = "functions", finalize);

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}

/// The shape the code keeps, read from the sources.
#[cfg(test)]
mod shape {
    use std::collections::{BTreeMap, BTreeSet};

    /// Each module's source text, by module name.
    fn sources() -> BTreeMap<String, String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs"))
            .map(|p| {
                let name = p.file_stem().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect()
    }

    /// The modules `text` names as `crate::m` (in paths and in `use
    /// crate::{a, b}` groups), comments included.
    fn uses(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(0)]
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or(""))
                    .collect(),
                None => vec![rest
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap_or("")],
            };
            out.extend(
                names
                    .into_iter()
                    .filter(|n| modules.contains(*n))
                    .map(String::from),
            );
        }
        out
    }

    /// No module imports one that imports it back, directly or around a
    /// longer loop: the core never reaches into the shell that uses it.
    #[test]
    fn no_module_imports_one_that_imports_it_back() {
        let sources = sources();
        let modules: BTreeSet<String> = sources.keys().cloned().collect();
        let edges: BTreeMap<&String, BTreeSet<String>> = sources
            .iter()
            .map(|(m, text)| {
                let mut used = uses(text, &modules);
                used.remove(m);
                (m, used)
            })
            .collect();
        for start in &modules {
            // every module reachable from `start`; `start` must not be one
            let mut seen = BTreeSet::new();
            let mut todo: Vec<&String> = edges[start].iter().collect();
            while let Some(m) = todo.pop() {
                assert_ne!(m, start, "{start} reaches itself through its imports");
                if seen.insert(m.clone()) {
                    todo.extend(edges[m].iter());
                }
            }
        }
    }

    /// For each line of `text`: whether it starts inside a string literal
    /// (SQL text, messages), and its brace depth change outside strings,
    /// comments and character literals.
    fn lines(text: &str) -> Vec<(bool, i32)> {
        #[derive(PartialEq)]
        enum S {
            Code,
            Str,
            Raw(usize),
            Block,
        }
        let mut state = S::Code;
        let mut out = Vec::new();
        for line in text.lines() {
            let in_string = matches!(state, S::Str | S::Raw(_));
            let mut depth = 0;
            let c: Vec<char> = line.chars().collect();
            let mut i = 0;
            while i < c.len() {
                match state {
                    S::Str if c[i] == '\\' => i += 1,
                    S::Str if c[i] == '"' => state = S::Code,
                    S::Raw(n)
                        if c[i] == '"'
                            && c[i + 1..].iter().take(n).filter(|&&h| h == '#').count() == n =>
                    {
                        state = S::Code;
                        i += n;
                    }
                    S::Block if c[i] == '*' && c.get(i + 1) == Some(&'/') => {
                        state = S::Code;
                        i += 1;
                    }
                    S::Code => match c[i] {
                        '/' if c.get(i + 1) == Some(&'/') => break,
                        '/' if c.get(i + 1) == Some(&'*') => state = S::Block,
                        '"' => state = S::Str,
                        'r' if matches!(c.get(i + 1), Some('#') | Some('"'))
                            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_')) =>
                        {
                            let n = c[i + 1..].iter().take_while(|&&h| h == '#').count();
                            if c.get(i + 1 + n) == Some(&'"') {
                                state = S::Raw(n);
                                i += n + 1;
                            }
                        }
                        // a character literal ('{', '\''), not a lifetime
                        '\'' if c.get(i + 2) == Some(&'\'') => i += 2,
                        '\'' if c.get(i + 1) == Some(&'\\') => {
                            i += c[i + 2..].iter().position(|&h| h == '\'').unwrap_or(0) + 2
                        }
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    },
                    _ => {}
                }
                i += 1;
            }
            out.push((in_string, depth));
        }
        out
    }

    /// No function in `src/` is over 150 lines, not counting lines of SQL
    /// (or other string) text.
    #[test]
    fn no_function_is_over_150_lines() {
        let mut long = Vec::new();
        for (module, text) in sources() {
            let source: Vec<&str> = text.lines().collect();
            let lines = lines(&text);
            let mut at = 0;
            while at < source.len() {
                let words: Vec<&str> = source[at].split_whitespace().collect();
                let is_fn = !lines[at].0
                    && words
                        .iter()
                        .take_while(|w| !w.starts_with("//"))
                        .position(|w| *w == "fn")
                        .is_some_and(|i| {
                            words[..i].iter().all(|w| {
                                matches!(
                                    *w,
                                    "pub" | "pub(crate)" | "const" | "unsafe" | "async" | "extern"
                                ) || w.starts_with('"')
                            })
                        });
                if !is_fn {
                    at += 1;
                    continue;
                }
                let (mut depth, mut opened, mut counted, mut end) = (0, false, 0, at);
                for (i, &(in_string, change)) in lines.iter().enumerate().skip(at) {
                    counted += usize::from(!in_string);
                    depth += change;
                    opened |= change > 0;
                    end = i;
                    if (opened && depth <= 0) || (!opened && source[i].trim_end().ends_with(';')) {
                        break;
                    }
                }
                if counted > 150 {
                    long.push(format!("{module}.rs:{} ({counted} lines)", at + 1));
                }
                at = if opened { end + 1 } else { at + 1 };
            }
        }
        assert!(long.is_empty(), "functions over 150 lines: {long:?}");
    }

    /// docs/design.md's module table lists every module, and no other.
    #[test]
    fn the_design_doc_lists_every_module() {
        let design = include_str!("../docs/design.md");
        let listed: BTreeSet<String> = design
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(String::from)
            .collect();
        let modules: BTreeSet<String> = sources().into_keys().filter(|m| m != "lib").collect();
        assert_eq!(listed, modules);
    }
}
