//! Triage protocols as TOML data: the shipped `protocols/default.toml`, a user's
//! `<config_dir>/protocols/<name>.toml`, and the check that turns a file into a [`Protocol`] or
//! into every problem found, each with its file and line.
//!
//! The format is described at the top of `protocols/default.toml`. Beyond well-formed fields
//! (known keys, questions, answers, call types and response types; unique ids and keys), a
//! protocol must:
//! - end with a default rule (no `when`, no `types`);
//! - have no unreachable rule: none after an unconditional one, none whose conditions an earlier
//!   rule's cover, none that earlier rules together take every call from;
//! - be safe: for every disqualifying question (one where a known answer leads to police, EMS,
//!   fire or co-response; see [`Protocol::disqualifying`]), an `unknown` answer never leads to
//!   `community` alone. The last two are proved by trying every combination of answers and call
//!   types (answers no rule tells apart are tried once).

mod check;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use check::check_text;

use crate::domain::triage::{Protocol, ResponseType, Rule};

/// The protocol used when none is named; also the only shipped one.
pub const DEFAULT: &str = "default";

const SHIPPED_TEXT: &str = include_str!("../../protocols/default.toml");
const SHIPPED_LABEL: &str = "protocols/default.toml";

/// Answer combinations times call types the exhaustive check tries before giving up.
const MAX_COMBINATIONS: usize = 1 << 20;

/// A protocol problem, shown as one line: `file:line: message` (`file: message` without a line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// The shipped default protocol. Checked once per process; should it ever fail its own check (a
/// test guards against that), the answer is a one-rule protocol that recommends a joint response
/// for every call.
pub fn shipped() -> Protocol {
    static SHIPPED: OnceLock<Protocol> = OnceLock::new();
    SHIPPED
        .get_or_init(|| {
            check_text(SHIPPED_LABEL, SHIPPED_TEXT, DEFAULT).unwrap_or_else(|_| fallback())
        })
        .clone()
}

fn fallback() -> Protocol {
    Protocol {
        name: DEFAULT.to_owned(),
        questions: Vec::new(),
        rules: vec![Rule {
            id: DEFAULT.to_owned(),
            when: Vec::new(),
            call_types: Vec::new(),
            response: ResponseType::CoResponse,
            priority: None,
            reason: "The shipped protocol failed its check: cautious joint response for every call"
                .to_owned(),
        }],
    }
}

/// `<config_dir>/protocols/<name>.toml` if there is one, else the shipped protocol of that name
/// (only `default`). A user file with problems gives its first problem, in file order; use
/// [`check_file`] for all of them.
pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Protocol, ProtocolError> {
    let path = config_dir.map(|dir| dir.join("protocols").join(format!("{name}.toml")));
    let label = path.as_ref().map_or_else(
        || format!("protocols/{name}.toml"),
        |p| p.display().to_string(),
    );
    check_name(name, &label)?;
    if let Some(path) = path.filter(|p| p.is_file()) {
        return check_file(&path).map_err(|errors| {
            errors.into_iter().next().unwrap_or_else(|| ProtocolError {
                file: label.clone(),
                line: None,
                message: "protocol failed its check".to_owned(),
            })
        });
    }
    if name == DEFAULT {
        return Ok(shipped());
    }
    let user: Vec<String> = list(config_dir)
        .into_iter()
        .filter(|(_, source)| *source == "user")
        .map(|(n, _)| n)
        .collect();
    let mut message = format!("unknown protocol '{name}'; shipped: {DEFAULT}");
    if !user.is_empty() {
        message = format!("{message}; user: {}", user.join(", "));
    }
    Err(ProtocolError {
        file: label,
        line: None,
        message,
    })
}

/// The protocols [`load`] can name: `default` (shipped, or the user's if they wrote one), then
/// the user's other `<config_dir>/protocols/*.toml` by name.
pub fn list(config_dir: Option<&Path>) -> Vec<(String, &'static str)> {
    let mut user = crate::config::user_toml_names(config_dir, "protocols");
    user.retain(|name| is_name(name));
    let default_source = if user.iter().any(|u| u == DEFAULT) {
        "user"
    } else {
        "shipped"
    };
    let mut all = vec![(DEFAULT.to_owned(), default_source)];
    all.extend(
        user.into_iter()
            .filter(|u| u != DEFAULT)
            .map(|u| (u, "user")),
    );
    all
}

/// Reads and checks one protocol file, collecting every problem in file order. Without a `name`
/// key the protocol is named after the file.
pub fn check_file(path: &Path) -> Result<Protocol, Vec<ProtocolError>> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ProtocolError {
            file: label.clone(),
            line: None,
            message: format!("cannot read protocol file: {e}"),
        }]
    })?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or(DEFAULT);
    check_text(&label, &text, stem)
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_name(name: &str, label: &str) -> Result<(), ProtocolError> {
    if is_name(name) {
        return Ok(());
    }
    Err(ProtocolError {
        file: label.to_owned(),
        line: None,
        message: format!("bad protocol name '{name}'; use letters, digits, '-' and '_'"),
    })
}

/// Ids of questions and rules, and choices: lower-case letters, digits, '-' and '_'.
fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

// --- The file as written. ------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProtocol {
    name: Option<Spanned<String>>,
    #[serde(default)]
    question: Vec<RawQuestion>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    key: Spanned<String>,
    text: Spanned<String>,
    kind: Option<Spanned<String>>,
    choices: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    #[serde(default)]
    when: BTreeMap<Spanned<String>, Spanned<Answers>>,
    #[serde(default)]
    types: Vec<Spanned<String>>,
    response: Spanned<String>,
    priority: Option<Spanned<i64>>,
    reason: Spanned<String>,
}

impl RawRule {
    fn is_default(&self) -> bool {
        self.when.is_empty() && self.types.is_empty()
    }
}

/// `"yes"` or `["yes", "unknown"]`.
struct Answers(Vec<String>);

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AnswersVisitor;
        impl<'de> Visitor<'de> for AnswersVisitor {
            type Value = Answers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an answer or a list of answers")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Answers, E> {
                Ok(Answers(vec![text.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Answers, A::Error> {
                let mut all = Vec::new();
                while let Some(answer) = seq.next_element::<String>()? {
                    all.push(answer);
                }
                Ok(Answers(all))
            }
        }
        deserializer.deserialize_any(AnswersVisitor)
    }
}

// --- The check. ----------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_text_passes_its_own_check() {
        let checked = check_text(SHIPPED_LABEL, SHIPPED_TEXT, DEFAULT);
        let errors: Vec<String> = checked
            .as_ref()
            .err()
            .into_iter()
            .flatten()
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        assert_ne!(shipped(), fallback());
    }
}
