//! Scenario files: a scripted shift for training, read from TOML and checked before it runs.
//!
//! Every problem is reported as one line, `file:line: message`, with the nearest valid word when a
//! name is mistyped (`check.rs` reads and checks the file). The format is described in
//! docs/training.md.

mod check;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::domain::triage::{Protocol, ResponseType};
use crate::domain::{Agency, CallType, Capability, Disposition, Priority};

pub use super::teams::{Behaviour, Lognormal};

const SECOND: i64 = 1000;

/// A scenario problem: `file:line: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// A checked scenario. Times are milliseconds from the start of the shift.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The time of day the shift starts (`start = "07:00"`), from midnight; 10:00 unless said.
    /// The console shows the shift's clock in this time of day, whatever the trainee's zone.
    pub start_of_day_ms: i64,
    pub duration_ms: i64,
    pub speed: f64,
    pub seed: u64,
    pub behaviour: Behaviour,
    pub units: Vec<SimUnit>,
    pub calls: Vec<SimCall>,
    pub world: Vec<WorldEvent>,
    pub actions: Vec<Action>,
    /// The scripted trainee checks in every unit on scene this often, when set.
    pub checkin_every_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimUnit {
    pub callsign: String,
    pub capabilities: Vec<Capability>,
    pub zone: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SimCall {
    /// The scenario's own name for the call; actions write `{id}` for its call id.
    pub id: String,
    pub at_ms: i64,
    pub location: String,
    pub zone: Option<String>,
    pub nature: String,
    pub call_type: CallType,
    pub priority: Option<Priority>,
    /// What the caller says, each line revealed this long after the call arrives.
    pub lines: Vec<(i64, String)>,
    /// The true answers to the triage questions; a question left out is one the caller cannot
    /// answer ("unknown").
    pub answers: BTreeMap<String, String>,
    pub expect_response: ResponseType,
    pub expect_disposition: Disposition,
    pub hint: Option<String>,
    /// What the last team on the call says on the radio when it clears; `None`: the right
    /// disposition in the desk's words; empty: nothing.
    pub outcome: Option<String>,
    /// The scenario id of an earlier call about the same person.
    pub duplicate_of: Option<String>,
    pub events: Vec<CallEvent>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEventKind {
    /// The caller calls back with a new line.
    Callback,
    /// A weapon is mentioned: the true answer to `weapon` becomes yes.
    Weapon,
    /// The person leaves: if no team is on scene yet, the right disposition becomes `gone`.
    Leaves,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CallEvent {
    /// From the call's arrival.
    pub after_ms: i64,
    pub kind: CallEventKind,
    pub text: String,
    /// Answers that change with this event.
    pub answers: BTreeMap<String, String>,
}

impl CallEvent {
    /// Events that a trainee must answer with re-triage, a new response or backup: a weapon, or
    /// a danger question (not consent, information or whereabouts) turning to yes.
    pub fn escalates(&self) -> bool {
        self.kind == CallEventKind::Weapon
            || self
                .answers
                .iter()
                .any(|(q, a)| a == "yes" && !["consent", "info", "where"].contains(&q.as_str()))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum WorldEventKind {
    /// A unit goes out of service (clearing its call first if it has one).
    UnitDown { unit: String, reason: String },
    /// A team on a call asks for backup from another agency.
    Backup { call: String, agency: Agency },
}

#[derive(Clone, Debug, PartialEq)]
pub struct WorldEvent {
    pub at_ms: i64,
    pub kind: WorldEventKind,
    pub text: String,
}

/// A scripted trainee command line, `{call-id}` placeholders unexpanded.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// From the start, or from the `after` report when one is given.
    pub at_ms: i64,
    pub run: String,
    /// Run this long after the world reports `STATUS UNIT {call}` (e.g. `avl STAR-1 {c1}`;
    /// `*` for any unit; `avl * {c1}` waits for the last unit on the call to clear).
    pub after: Option<Trigger>,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    pub status: String,
    pub unit: String,
    pub call: String,
}

/// Reads and checks a scenario file against the triage protocol its answers name questions of.
pub fn load(path: &Path, protocol: &Protocol) -> Result<Scenario, ScenarioError> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: label.clone(),
        line: None,
        message: format!("cannot read scenario file: {e}"),
    })?;
    check_text(&label, &text, protocol)
}

/// Checks scenario text; the first problem in file order is the error.
pub fn check_text(label: &str, text: &str, protocol: &Protocol) -> Result<Scenario, ScenarioError> {
    check::check_text(label, text, protocol)
}

impl Scenario {
    /// When the shift starts, in wall milliseconds.
    pub fn start_ms(&self) -> i64 {
        super::DAY_MS + self.start_of_day_ms
    }
}

/// `ask CALL QUESTION` with no answer: the simulated caller gives the true one.
pub fn is_bare_ask(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.len() == 3 && ["ask", "triage"].contains(&words[0].to_ascii_lowercase().as_str())
}

/// Replaces each `{id}` with the call id `lookup` gives; the unknown id is the error.
pub fn expand(line: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return Ok(out);
        };
        let id = &after[..close];
        out.push_str(&lookup(id).ok_or_else(|| id.to_owned())?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `H:MM:SS` or `M:SS` (or plain seconds) to milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut total: i64 = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) || p.len() > 6 {
            return None;
        }
        let v: i64 = p.parse().ok()?;
        if i > 0 && v >= 60 {
            return None;
        }
        total = total * 60 + v;
    }
    Some(total * SECOND)
}

/// `H:MM:SS` for a time in milliseconds from the start.
pub fn show_time(ms: i64) -> String {
    let s = ms.max(0) / SECOND;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print() {
        assert_eq!(parse_time("1:05:00"), Some(3_900_000));
        assert_eq!(parse_time("0:45"), Some(45_000));
        assert_eq!(parse_time("1:60"), None);
        assert_eq!(show_time(3_900_000), "1:05:00");
    }

    #[test]
    fn placeholders_expand() {
        let got = expand("dp STAR-1 {c1}", |id| {
            (id == "c1").then(|| "26-AA0001".into())
        });
        assert_eq!(got.as_deref(), Ok("dp STAR-1 26-AA0001"));
        assert_eq!(expand("dp X {c9}", |_| None), Err("c9".to_owned()));
    }
}
