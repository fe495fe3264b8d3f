//! Reading a scenario file: the TOML as written, then each part checked into a [`Scenario`],
//! the first problem in file order being the error.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use toml::Spanned;

use crate::command::parse;
use crate::domain::triage::{Protocol, ResponseType};
use crate::domain::{Agency, CallType, Capability, Command, Disposition, Priority};
use crate::spelling::{did_you_mean, nearest, toml_message};

use super::{
    expand, is_bare_ask, parse_time, Action, Behaviour, CallEvent, CallEventKind, Lognormal,
    Scenario, ScenarioError, SimCall, SimUnit, Trigger, WorldEvent, WorldEventKind, SECOND,
};

// --- The file as written. ------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    description: String,
    start: Option<Spanned<String>>,
    duration: Spanned<String>,
    #[serde(default = "one")]
    speed: f64,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    behaviour: Option<RawBehaviour>,
    #[serde(default)]
    trainee: Option<RawTrainee>,
    #[serde(default)]
    unit: Vec<RawUnit>,
    #[serde(default)]
    call: Vec<RawCall>,
    #[serde(default)]
    world: Vec<RawWorld>,
    #[serde(default)]
    action: Vec<RawAction>,
}

fn one() -> f64 {
    1.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBehaviour {
    turnout_seconds: Option<[f64; 2]>,
    travel: Option<RawLognormal>,
    on_scene: Option<RawLognormal>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawLognormal {
    median_minutes: f64,
    sigma: f64,
    min_minutes: f64,
    max_minutes: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrainee {
    checkin_every: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    callsign: Spanned<String>,
    capabilities: Vec<Spanned<String>>,
    zone: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    id: Spanned<String>,
    at: Spanned<String>,
    location: String,
    zone: Option<String>,
    nature: String,
    #[serde(rename = "type")]
    call_type: Spanned<String>,
    priority: Option<Spanned<u8>>,
    #[serde(default)]
    lines: Vec<RawLine>,
    #[serde(default)]
    answers: BTreeMap<Spanned<String>, Spanned<String>>,
    expect_response: Spanned<String>,
    expect_disposition: Spanned<String>,
    hint: Option<String>,
    outcome: Option<String>,
    duplicate_of: Option<Spanned<String>>,
    #[serde(default)]
    event: Vec<RawCallEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    after: Spanned<String>,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallEvent {
    after: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    answers: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorld {
    at: Spanned<String>,
    kind: Spanned<String>,
    unit: Option<Spanned<String>>,
    call: Option<Spanned<String>>,
    agency: Option<Spanned<String>>,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    at: Spanned<String>,
    run: Spanned<String>,
    after: Option<Spanned<String>>,
}

// --- Checking. ----------------------------------------------------------------------------------

/// Checks scenario text; the first problem in file order is the error.
pub(super) fn check_text(
    label: &str,
    text: &str,
    protocol: &Protocol,
) -> Result<Scenario, ScenarioError> {
    let check = Check {
        label,
        text,
        protocol,
    };
    let raw: RawScenario = toml::from_str(text)
        .map_err(|e| check.err(e.span().map(|s| s.start), toml_message(e.message())))?;
    check.scenario(raw)
}

/// Checks that an offset falls inside the scenario's duration.
type Within<'a> = dyn Fn(&Spanned<String>, i64) -> Result<i64, ScenarioError> + 'a;

struct Check<'a> {
    label: &'a str,
    text: &'a str,
    protocol: &'a Protocol,
}

impl Check<'_> {
    fn err(&self, at: Option<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.label.to_owned(),
            line: at.map(|at| {
                self.text
                    .get(..at)
                    .map_or(0, |s| s.bytes().filter(|b| *b == b'\n').count())
                    + 1
            }),
            message: message.into(),
        }
    }

    fn at<T>(&self, s: &Spanned<T>, message: impl Into<String>) -> ScenarioError {
        self.err(Some(s.span().start), message)
    }

    fn time(&self, s: &Spanned<String>) -> Result<i64, ScenarioError> {
        parse_time(s.get_ref()).ok_or_else(|| {
            self.at(
                s,
                format!(
                    "bad time '{}'; write H:MM:SS or M:SS, e.g. 1:05:00",
                    s.get_ref()
                ),
            )
        })
    }

    /// `HH:MM`, a time of day.
    fn time_of_day(&self, s: &Spanned<String>) -> Result<i64, ScenarioError> {
        let text = s.get_ref().trim();
        let parsed = text
            .split_once(':')
            .filter(|(h, m)| h.len() <= 2 && m.len() == 2)
            .and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
            .filter(|(h, m)| *h < 24 && *m < 60);
        parsed
            .map(|(h, m)| (h * 60 + m) * 60 * SECOND)
            .ok_or_else(|| {
                self.at(
                    s,
                    format!("bad start '{text}'; write the time of day as HH:MM, e.g. 07:00"),
                )
            })
    }

    fn word<T: Copy>(
        &self,
        s: &Spanned<String>,
        what: &str,
        all: &[T],
        word: fn(T) -> &'static str,
    ) -> Result<T, ScenarioError> {
        let typed = s.get_ref().as_str();
        all.iter()
            .copied()
            .find(|v| word(*v).eq_ignore_ascii_case(typed))
            .ok_or_else(|| {
                let help = did_you_mean(nearest(typed, all.iter().map(|v| word(*v))))
                    .unwrap_or_else(|| {
                        let words: Vec<&str> = all.iter().map(|v| word(*v)).collect();
                        format!("one of: {}", words.join(", "))
                    });
                self.at(s, format!("unknown {what} '{typed}'; {help}"))
            })
    }

    fn answers(
        &self,
        raw: &BTreeMap<Spanned<String>, Spanned<String>>,
    ) -> Result<BTreeMap<String, String>, ScenarioError> {
        let mut entries: Vec<_> = raw.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let mut out = BTreeMap::new();
        for (question, answer) in entries {
            let q = question.get_ref();
            if !self.protocol.questions.iter().any(|x| &x.id == q) {
                let help = did_you_mean(nearest(
                    q,
                    self.protocol.questions.iter().map(|x| x.id.as_str()),
                ))
                .unwrap_or_else(|| "not a question of the protocol".to_owned());
                return Err(self.at(question, format!("unknown question '{q}'; {help}")));
            }
            let (_, canonical) = self
                .protocol
                .answer(q, answer.get_ref())
                .map_err(|e| self.at(answer, e))?;
            out.insert(q.clone(), canonical);
        }
        Ok(out)
    }

    fn scenario(&self, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let start_of_day_ms = match &raw.start {
            None => 10 * 3600 * SECOND,
            Some(s) => self.time_of_day(s)?,
        };
        let duration_ms = self.time(&raw.duration)?;
        if duration_ms <= 0 {
            return Err(self.at(&raw.duration, "the duration must be longer than zero"));
        }
        if !(raw.speed > 0.0 && raw.speed.is_finite()) {
            return Err(self.err(None, "speed must be a positive number"));
        }
        let within = |s: &Spanned<String>, ms: i64| -> Result<i64, ScenarioError> {
            if ms > duration_ms {
                Err(self.at(
                    s,
                    format!(
                        "offset {} is beyond the scenario's duration {}",
                        s.get_ref(),
                        raw.duration.get_ref()
                    ),
                ))
            } else {
                Ok(ms)
            }
        };
        let mut units = Vec::new();
        for u in &raw.unit {
            let callsign = u.callsign.get_ref().clone();
            if callsign.parse::<crate::domain::Callsign>().is_err() {
                return Err(self.at(&u.callsign, format!("bad callsign '{callsign}'")));
            }
            if units
                .iter()
                .any(|x: &SimUnit| x.callsign.eq_ignore_ascii_case(&callsign))
            {
                return Err(self.at(&u.callsign, format!("unit '{callsign}' is listed twice")));
            }
            let capabilities = u
                .capabilities
                .iter()
                .map(|c| self.word(c, "capability", Capability::ALL, Capability::word))
                .collect::<Result<Vec<_>, _>>()?;
            units.push(SimUnit {
                callsign,
                capabilities,
                zone: u.zone.clone(),
            });
        }
        let mut ids: BTreeSet<String> = BTreeSet::new();
        let mut calls = Vec::new();
        for c in &raw.call {
            calls.push(self.call(c, &mut ids, &within)?);
        }
        let unit_names: Vec<&str> = units.iter().map(|u| u.callsign.as_str()).collect();
        let find_unit = |s: &Spanned<String>| -> Result<String, ScenarioError> {
            Self::unit(s.get_ref(), &unit_names).map_err(|m| self.at(s, m))
        };
        let find_call = |s: &Spanned<String>| -> Result<String, ScenarioError> {
            if ids.contains(s.get_ref()) {
                Ok(s.get_ref().clone())
            } else {
                Err(self.at(s, unknown_call(s.get_ref(), &ids)))
            }
        };
        let mut world = Vec::new();
        for w in &raw.world {
            let at_ms = within(&w.at, self.time(&w.at)?)?;
            let need = |field: &Option<Spanned<String>>, name: &str| {
                field.clone().ok_or_else(|| {
                    self.at(
                        &w.kind,
                        format!("a '{}' event needs '{name}'", w.kind.get_ref()),
                    )
                })
            };
            let kind = match w.kind.get_ref().as_str() {
                "unit-down" => WorldEventKind::UnitDown {
                    unit: find_unit(&need(&w.unit, "unit")?)?,
                    reason: if w.text.is_empty() {
                        "out of service".to_owned()
                    } else {
                        w.text.clone()
                    },
                },
                "backup" => WorldEventKind::Backup {
                    call: find_call(&need(&w.call, "call")?)?,
                    agency: self.word(
                        &need(&w.agency, "agency")?,
                        "agency",
                        Agency::ALL,
                        Agency::word,
                    )?,
                },
                other => {
                    let help = did_you_mean(nearest(other, ["unit-down", "backup"]))
                        .unwrap_or_else(|| "one of: unit-down, backup".to_owned());
                    return Err(self.at(&w.kind, format!("unknown world event '{other}'; {help}")));
                }
            };
            world.push(WorldEvent {
                at_ms,
                kind,
                text: w.text.clone(),
            });
        }
        let mut actions = Vec::new();
        for a in &raw.action {
            let at_ms = self.time(&a.at)?;
            let after = match &a.after {
                None => {
                    within(&a.at, at_ms)?;
                    None
                }
                Some(t) => Some(self.trigger(t, &unit_names, &ids)?),
            };
            self.action_line(&a.run, &unit_names, &ids)?;
            actions.push(Action {
                at_ms,
                run: a.run.get_ref().clone(),
                after,
                line: self.err(Some(a.run.span().start), "").line.unwrap_or(0),
            });
        }
        let checkin_every_ms = match raw.trainee.as_ref().and_then(|t| t.checkin_every.as_ref()) {
            Some(s) => Some(self.time(s)?.max(SECOND)),
            None => None,
        };
        let b = raw.behaviour.as_ref();
        let lognormal = |r: Option<RawLognormal>, d: Lognormal| {
            r.map_or(d, |r| Lognormal {
                median_min: r.median_minutes.max(0.1),
                sigma: r.sigma.max(0.0),
                min_min: r.min_minutes.max(0.0),
                max_min: r.max_minutes.max(r.min_minutes),
            })
        };
        let defaults = Behaviour::default();
        let behaviour = Behaviour {
            turnout: b
                .and_then(|b| b.turnout_seconds)
                .map_or(defaults.turnout, |[lo, hi]| (lo.min(hi), hi.max(lo))),
            travel: lognormal(b.and_then(|b| b.travel), defaults.travel),
            on_scene: lognormal(b.and_then(|b| b.on_scene), defaults.on_scene),
            ..defaults
        };
        Ok(Scenario {
            name: raw.name,
            description: raw.description,
            start_of_day_ms,
            duration_ms,
            speed: raw.speed,
            seed: raw.seed,
            behaviour,
            units,
            calls,
            world,
            actions,
            checkin_every_ms,
        })
    }

    fn call(
        &self,
        c: &RawCall,
        ids: &mut BTreeSet<String>,
        within: &Within,
    ) -> Result<SimCall, ScenarioError> {
        let id = c.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            return Err(self.at(
                &c.id,
                format!("bad call id '{id}'; use letters, digits, '-' and '_'"),
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(self.at(&c.id, format!("call id '{id}' is used twice")));
        }
        let at_ms = within(&c.at, self.time(&c.at)?)?;
        let call_type = self.word(&c.call_type, "call type", CallType::ALL, CallType::word)?;
        let priority = match &c.priority {
            Some(p) => Some(Priority::new(*p.get_ref()).map_err(|e| self.at(p, e))?),
            None => None,
        };
        let mut lines = Vec::new();
        for l in &c.lines {
            lines.push((self.time(&l.after)?, l.text.clone()));
        }
        let mut events = Vec::new();
        for e in &c.event {
            let after_ms = self.time(&e.after)?;
            let kind = match e.kind.get_ref().as_str() {
                "callback" => CallEventKind::Callback,
                "weapon" => CallEventKind::Weapon,
                "leaves" => CallEventKind::Leaves,
                other => {
                    let help = did_you_mean(nearest(other, ["callback", "weapon", "leaves"]))
                        .unwrap_or_else(|| "one of: callback, weapon, leaves".to_owned());
                    return Err(self.at(&e.kind, format!("unknown call event '{other}'; {help}")));
                }
            };
            let mut answers = self.answers(&e.answers)?;
            if kind == CallEventKind::Weapon {
                answers
                    .entry("weapon".to_owned())
                    .or_insert_with(|| "yes".to_owned());
            }
            within(&e.after, at_ms + after_ms)?;
            events.push(CallEvent {
                after_ms,
                kind,
                text: e.text.clone(),
                answers,
            });
        }
        let duplicate_of = match &c.duplicate_of {
            Some(d) if ids.contains(d.get_ref()) && d.get_ref() != &id => Some(d.get_ref().clone()),
            Some(d) => return Err(self.at(d, unknown_call(d.get_ref(), ids))),
            None => None,
        };
        Ok(SimCall {
            id,
            at_ms,
            location: c.location.clone(),
            zone: c.zone.clone(),
            nature: c.nature.clone(),
            call_type,
            priority,
            lines,
            answers: self.answers(&c.answers)?,
            expect_response: self.word(
                &c.expect_response,
                "response type",
                ResponseType::ALL,
                ResponseType::word,
            )?,
            expect_disposition: self.word(
                &c.expect_disposition,
                "disposition",
                Disposition::ALL,
                Disposition::word,
            )?,
            hint: c.hint.clone(),
            outcome: c.outcome.clone(),
            duplicate_of,
            events,
        })
    }

    fn unit(typed: &str, units: &[&str]) -> Result<String, String> {
        units
            .iter()
            .find(|u| u.eq_ignore_ascii_case(typed))
            .map(|u| (*u).to_owned())
            .ok_or_else(|| format!("unknown unit '{typed}'; {}", unit_help(typed, units)))
    }

    fn trigger(
        &self,
        s: &Spanned<String>,
        units: &[&str],
        ids: &BTreeSet<String>,
    ) -> Result<Trigger, ScenarioError> {
        let words: Vec<&str> = s.get_ref().split_whitespace().collect();
        let [status, unit, call] = words.as_slice() else {
            return Err(self.at(
                s,
                format!(
                    "bad trigger '{}'; write STATUS UNIT {{call}}, e.g. \"avl STAR-1 {{c1}}\"",
                    s.get_ref()
                ),
            ));
        };
        let status = status.to_ascii_lowercase();
        if !["enr", "ons", "avl"].contains(&status.as_str()) {
            return Err(self.at(
                s,
                format!("bad trigger status '{status}'; one of: enr, ons, avl"),
            ));
        }
        let unit = if *unit == "*" {
            "*".to_owned()
        } else {
            Self::unit(unit, units).map_err(|m| self.at(s, m))?
        };
        let call = call
            .strip_prefix('{')
            .and_then(|c| c.strip_suffix('}'))
            .filter(|c| ids.contains(*c))
            .ok_or_else(|| self.at(s, unknown_call(call, ids)))?;
        Ok(Trigger {
            status,
            unit,
            call: call.to_owned(),
        })
    }

    /// The line must parse, name known units, and use only known `{call}` placeholders.
    fn action_line(
        &self,
        s: &Spanned<String>,
        units: &[&str],
        ids: &BTreeSet<String>,
    ) -> Result<(), ScenarioError> {
        let line = s.get_ref();
        let expanded = expand(line, |id| ids.contains(id).then(|| "26-AA0001".to_owned()))
            .map_err(|id| self.at(s, unknown_call(&id, ids)))?;
        let expanded = if is_bare_ask(&expanded) {
            format!("{expanded} unknown")
        } else {
            expanded
        };
        let command = parse(&expanded).map_err(|e| self.at(s, format!("in `{line}`: {e}")))?;
        let named = match &command {
            Command::Dispatch { unit, .. }
            | Command::Status { unit, .. }
            | Command::CheckIn { unit } => Some(unit),
            _ => None,
        };
        if let Some(unit) = named {
            if Self::unit(unit, units).is_err() {
                return Err(self.at(
                    s,
                    format!(
                        "unknown unit '{unit}' in action `{line}`; {}",
                        unit_help(unit, units)
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn unit_help(typed: &str, units: &[&str]) -> String {
    did_you_mean(nearest(typed, units.iter().copied()))
        .unwrap_or_else(|| format!("the roster has {}", units.join(", ")))
}

fn unknown_call(typed: &str, ids: &BTreeSet<String>) -> String {
    let help = did_you_mean(nearest(typed, ids.iter().map(String::as_str)))
        .unwrap_or_else(|| "calls are named by their id, e.g. {c1}".to_owned());
    format!("unknown call '{typed}'; {help}")
}
