//! Scoring a training run: per call, the times, the judgement calls and the paperwork; overall,
//! the NENA answer standard, calls handled and mistakes by kind.
//!
//! Points per call (100 in all): answered within 15 s 10 (within 20 s 5); triaged 10 (5 with a
//! wrong answer recorded; a linked second call about the same person needs none); response type
//! right 20; unit capability fit 15; safety check-ins on time 10; escalations handled and
//! duplicates linked 10; disposition right 25. A figure that does not apply to a call (no unit
//! needed, never on scene, nothing escalated) gets its points.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::scenario::{show_time, Scenario};
use super::{Actor, Escalation, Observed, START_MS};
use crate::domain::{Body, Call, CallId, Capability, Disposition, Policy, State, UnitStatus};

/// NENA STA-020.1-2020: 90% of calls answered within 15 s, 95% within 20 s.
const NENA_15S_PCT: f64 = 90.0;
const NENA_20S_PCT: f64 = 95.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    pub scenario: String,
    pub seed: u64,
    pub points: u32,
    pub max_points: u32,
    pub calls_total: usize,
    /// Calls the trainee closed.
    pub calls_handled: usize,
    pub answer: AnswerStandard,
    /// Mistakes counted by kind.
    pub mistakes: BTreeMap<String, usize>,
    pub calls: Vec<CallScore>,
    /// Each mistake with its time and what went wrong.
    pub mistake_list: Vec<Mistake>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnswerStandard {
    pub within_15s_pct: f64,
    pub within_20s_pct: f64,
    /// Both NENA thresholds met.
    pub meets_nena: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallScore {
    /// The scenario's name for the call.
    pub id: String,
    pub call_id: Option<String>,
    /// Seconds from the call coming in to the trainee's first action on it.
    pub answer_s: Option<i64>,
    /// Seconds to the first triage answer.
    pub triage_s: Option<i64>,
    /// Seconds to the first unit dispatched.
    pub dispatch_s: Option<i64>,
    pub expected_response: String,
    pub response: Option<String>,
    pub response_right: bool,
    /// The units sent (to the call and its backup calls) bring what the response needs; `None`
    /// when it needs no unit.
    pub capability_fit: Option<bool>,
    /// `None` when no unit was on scene.
    pub checkins_on_time: Option<bool>,
    /// `None` when nothing escalated.
    pub escalation_handled: Option<bool>,
    /// For a second call about the same person: linked to the first.
    pub linked: Option<bool>,
    pub expected_disposition: String,
    pub disposition: Option<String>,
    pub disposition_right: bool,
    pub wrong_answers: usize,
    pub points: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mistake {
    pub kind: String,
    /// The scenario's name for the call, when the mistake is about one.
    pub call: Option<String>,
    /// `H:MM:SS` from the start of the shift.
    pub at: String,
    pub detail: String,
}

pub fn score(
    scenario: &Scenario,
    seed: u64,
    observed: &Observed,
    state: &State,
    policy: &Policy,
) -> Score {
    let mut mistakes: Vec<Mistake> = Vec::new();
    let mut push = |kind: &str, call: Option<&str>, at: i64, detail: String| {
        mistakes.push(Mistake {
            kind: kind.to_owned(),
            call: call.map(str::to_owned),
            at: show_time(at - START_MS),
            detail,
        });
    };
    for (at, line, why) in &observed.refused {
        push("refused-action", None, *at, format!("`{line}`: {why}"));
    }
    let mut calls = Vec::new();
    for (i, sc) in scenario.calls.iter().enumerate() {
        let Some(id) = observed.call_ids[i].clone() else {
            continue;
        };
        let Some(call) = state.calls.get(&id) else {
            continue;
        };
        let name = Some(sc.id.as_str());
        let received = call.received_ms;
        let mine = |pred: &dyn Fn(&Body) -> bool| {
            observed
                .records
                .iter()
                .filter(|r| r.actor == Actor::Trainee && r.event.body.calls().contains(&&id))
                .find(|r| pred(&r.event.body))
                .map(|r| (r.event.wall_ms - received) / 1000)
        };
        let answer_s = mine(&|_| true);
        let triage_s = mine(&|b| matches!(b, Body::TriageAnswered { .. }));
        let dispatch_s = mine(&|b| matches!(b, Body::UnitDispatched { .. }));
        match answer_s {
            Some(s) if s <= 20 => {}
            Some(s) => push(
                "slow-answer",
                name,
                received,
                format!("answered after {s} s"),
            ),
            None => push("not-answered", name, received, "never answered".to_owned()),
        }
        let wrong: Vec<_> = observed.wrong_answers.iter().filter(|w| w.0 == i).collect();
        for (_, at, q, typed, truth) in &wrong {
            push(
                "wrong-answer",
                name,
                *at,
                format!("{q} recorded as {typed}; the caller said {truth}"),
            );
        }
        let response = call.response_type();
        let response_right = response == Some(sc.expect_response);
        if !response_right {
            push(
                "wrong-response",
                name,
                call.closed_ms.unwrap_or(observed.end_ms),
                format!(
                    "worked as {}; the call needed {}",
                    response.map_or("nothing", |r| r.word()),
                    sc.expect_response
                ),
            );
        }
        let capability_fit = fit(state, call, response);
        if capability_fit == Some(false) {
            push(
                "capability-misfit",
                name,
                call.first_dispatch_ms().unwrap_or(observed.end_ms),
                {
                    let needs: Vec<&str> = response
                        .map(|r| r.needs().iter().map(|c| c.word()).collect())
                        .unwrap_or_default();
                    let what = response.map_or("the response", |r| r.word());
                    if call.assignments.is_empty() {
                        format!("no unit was sent; {what} needs {}", needs.join("+"))
                    } else {
                        format!(
                            "the units sent lack what {what} needs ({})",
                            needs.join("+")
                        )
                    }
                },
            );
        }
        let checkins_on_time = checkins(observed, call, policy);
        if checkins_on_time == Some(false) {
            push(
                "late-check-in",
                name,
                received,
                "a unit on scene went past its safety check-in".to_owned(),
            );
        }
        let mut escalation_handled = None;
        for (c, at, what) in observed.escalations.iter().filter(|e| e.0 == i) {
            let _ = c;
            let handled = escalation(observed, &id, *at, what);
            if !handled {
                let detail = match what {
                    Escalation::Changed(text) => {
                        format!("{text}: no re-triage, new response or backup after it")
                    }
                    Escalation::Backup(agency) => {
                        format!("the team asked for {agency} backup; none was requested")
                    }
                };
                push("escalation-missed", name, *at, detail);
            }
            escalation_handled = Some(escalation_handled.unwrap_or(true) && handled);
        }
        let linked = sc.duplicate_of.as_ref().map(|first| {
            let other = scenario
                .calls
                .iter()
                .position(|c| &c.id == first)
                .and_then(|k| observed.call_ids[k].as_ref());
            other.is_some_and(|o| call.links.contains(o))
        });
        if linked == Some(false) {
            push(
                "duplicate-not-linked",
                name,
                received,
                format!(
                    "a second call about the person of {{{}}}",
                    sc.duplicate_of.as_deref().unwrap_or("")
                ),
            );
        }
        let expected_disposition = if observed.gone[i] {
            Disposition::Gone
        } else {
            sc.expect_disposition
        };
        let disposition_right = call.disposition == Some(expected_disposition);
        match call.disposition {
            None => push(
                "not-closed",
                name,
                observed.end_ms,
                "still open at the end of the shift".to_owned(),
            ),
            Some(d) if d != expected_disposition => push(
                "wrong-disposition",
                name,
                call.closed_ms.unwrap_or(observed.end_ms),
                format!("closed as {d}; it was {expected_disposition}"),
            ),
            Some(_) => {}
        }
        let mut points = 0;
        points += match answer_s {
            Some(s) if s <= 15 => 10,
            Some(s) if s <= 20 => 5,
            _ => 0,
        };
        // A second call about the same person, once linked, needs no triage of its own.
        points += match (triage_s, wrong.is_empty()) {
            (Some(_), true) => 10,
            (Some(_), false) => 5,
            (None, _) if linked == Some(true) => 10,
            (None, _) => {
                push(
                    "not-triaged",
                    name,
                    received,
                    "no triage question asked".to_owned(),
                );
                0
            }
        };
        points += if response_right { 20 } else { 0 };
        points += if capability_fit == Some(false) { 0 } else { 15 };
        points += if checkins_on_time == Some(false) {
            0
        } else {
            10
        };
        points += if escalation_handled == Some(false) || linked == Some(false) {
            0
        } else {
            10
        };
        points += if disposition_right { 25 } else { 0 };
        calls.push(CallScore {
            id: sc.id.clone(),
            call_id: Some(id.to_string()),
            answer_s,
            triage_s,
            dispatch_s,
            expected_response: sc.expect_response.to_string(),
            response: response.map(|r| r.to_string()),
            response_right,
            capability_fit,
            checkins_on_time,
            escalation_handled,
            linked,
            expected_disposition: expected_disposition.to_string(),
            disposition: call.disposition.map(|d| d.to_string()),
            disposition_right,
            wrong_answers: wrong.len(),
            points,
        });
    }
    let total = calls.len();
    let pct = |limit: i64| {
        if total == 0 {
            100.0
        } else {
            let n = calls
                .iter()
                .filter(|c| c.answer_s.is_some_and(|s| s <= limit))
                .count();
            (n as f64 * 1000.0 / total as f64).round() / 10.0
        }
    };
    let (within_15s_pct, within_20s_pct) = (pct(15), pct(20));
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for m in &mistakes {
        *by_kind.entry(m.kind.clone()).or_default() += 1;
    }
    Score {
        scenario: scenario.name.clone(),
        seed,
        points: calls.iter().map(|c| c.points).sum(),
        max_points: 100 * total as u32,
        calls_total: total,
        calls_handled: calls.iter().filter(|c| c.disposition.is_some()).count(),
        answer: AnswerStandard {
            within_15s_pct,
            within_20s_pct,
            meets_nena: within_15s_pct >= NENA_15S_PCT && within_20s_pct >= NENA_20S_PCT,
        },
        mistakes: by_kind,
        calls,
        mistake_list: mistakes,
    }
}

/// The capabilities of every unit sent to the call or to its backup calls cover what the
/// response needs.
fn fit(state: &State, call: &Call, response: Option<crate::domain::ResponseType>) -> Option<bool> {
    let needs = response?.needs();
    if needs.is_empty() {
        return None;
    }
    let children = state
        .calls
        .values()
        .filter(|c| c.backup_for.as_ref().is_some_and(|(p, _)| p == &call.id));
    let mut have: Vec<Capability> = Vec::new();
    for a in std::iter::once(call)
        .chain(children)
        .flat_map(|c| c.assignments.iter())
    {
        if let Some(u) = state.units.get(&a.unit) {
            have.extend(u.capabilities.iter().copied());
        }
    }
    Some(needs.iter().all(|n| have.contains(n)))
}

/// Every stretch on scene at this call had a check-in (or the end of the stretch) within the
/// policy's interval.
fn checkins(observed: &Observed, call: &Call, policy: &Policy) -> Option<bool> {
    let interval = policy.checkin_ms(call.response_type());
    let mut any = false;
    let mut ok = true;
    for a in &call.assignments {
        let Some(start) = a.on_scene_ms else {
            continue;
        };
        any = true;
        let end = observed
            .records
            .iter()
            .map(|r| &r.event)
            .find(|e| {
                e.wall_ms >= start
                    && matches!(&e.body, Body::UnitStatusChanged { unit, status, .. }
                        if unit == &a.unit && *status != UnitStatus::OnScene)
            })
            .map_or(observed.end_ms, |e| e.wall_ms);
        let mut last = start;
        for e in observed.records.iter().map(|r| &r.event) {
            if e.wall_ms < start || e.wall_ms > end {
                continue;
            }
            if let Body::UnitCheckedIn {
                unit,
                call: Some(c),
            } = &e.body
            {
                if unit == &a.unit && c == &call.id {
                    ok &= e.wall_ms - last <= interval;
                    last = e.wall_ms;
                }
            }
        }
        ok &= end - last <= interval;
    }
    any.then_some(ok)
}

/// After `at`, the trainee re-triaged, chose a response or asked for backup on the call (for a
/// team's request: backup from that agency).
fn escalation(observed: &Observed, id: &CallId, at: i64, what: &Escalation) -> bool {
    observed
        .records
        .iter()
        .filter(|r| r.actor == Actor::Trainee && r.event.wall_ms >= at)
        .any(|r| match (&r.event.body, what) {
            (Body::BackupRequested { call, agency, .. }, Escalation::Backup(wanted)) => {
                call == id && agency == wanted
            }
            (
                Body::TriageAnswered { call, .. }
                | Body::ResponseChosen { call, .. }
                | Body::BackupRequested { call, .. },
                Escalation::Changed(_),
            ) => call == id,
            _ => false,
        })
}

/// How a report file is written, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Markdown,
}

impl ReportFormat {
    /// `.json` or `.md`; anything else is one line saying so.
    pub fn of(path: &std::path::Path) -> Result<ReportFormat, String> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("md") => Ok(ReportFormat::Markdown),
            Some("json") => Ok(ReportFormat::Json),
            _ => Err(format!(
                "{}: the report file must end in .json or .md",
                path.display()
            )),
        }
    }
}

impl Score {
    /// Writes the score to `path` as JSON or Markdown, by its extension.
    pub fn write_report(&self, path: &std::path::Path) -> Result<(), String> {
        let text = match ReportFormat::of(path)? {
            ReportFormat::Markdown => self.to_markdown(),
            ReportFormat::Json => self.to_json(),
        };
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A report for a person: the totals, one row per call, and the mistakes.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let yes = |b: Option<bool>| match b {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "–",
        };
        let secs = |s: Option<i64>| s.map_or_else(|| "–".to_owned(), |s| format!("{s} s"));
        let _ = writeln!(out, "# Training run: {}\n", self.scenario);
        let _ = writeln!(
            out,
            "Seed {}. Score **{} / {}**. Calls handled {} of {}.\n",
            self.seed, self.points, self.max_points, self.calls_handled, self.calls_total
        );
        let _ = writeln!(
            out,
            "Answered within 15 s: {:.1}% (NENA: 90%); within 20 s: {:.1}% (NENA: 95%) — {}.\n",
            self.answer.within_15s_pct,
            self.answer.within_20s_pct,
            if self.answer.meets_nena {
                "meets the standard"
            } else {
                "**below the standard**"
            }
        );
        let _ = writeln!(
            out,
            "| call | id | answer | triage | dispatch | response (expected) | fit | check-ins | escalation | disposition (expected) | points |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
        for c in &self.calls {
            let escalation = match (c.escalation_handled, c.linked) {
                (Some(false), _) | (_, Some(false)) => "**no**",
                (Some(true), _) | (_, Some(true)) => "yes",
                (None, None) => "–",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} | {} ({}) | {} |",
                c.id,
                c.call_id.as_deref().unwrap_or("–"),
                secs(c.answer_s),
                secs(c.triage_s),
                secs(c.dispatch_s),
                c.response.as_deref().unwrap_or("–"),
                c.expected_response,
                yes(c.capability_fit),
                yes(c.checkins_on_time),
                escalation,
                c.disposition.as_deref().unwrap_or("open"),
                c.expected_disposition,
                c.points
            );
        }
        if self.mistake_list.is_empty() {
            let _ = writeln!(out, "\nNo mistakes.");
        } else {
            let _ = writeln!(out, "\n## Mistakes\n");
            for (kind, n) in &self.mistakes {
                let _ = writeln!(out, "- {kind}: {n}");
            }
            let _ = writeln!(out);
            for m in &self.mistake_list {
                let call = m
                    .call
                    .as_ref()
                    .map_or_else(String::new, |c| format!(" {{{c}}}"));
                let _ = writeln!(out, "- {} {}{}: {}", m.at, m.kind, call, m.detail);
            }
        }
        out
    }

    /// One line for the terminal.
    pub fn summary(&self) -> String {
        let mistakes: Vec<String> = self
            .mistakes
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        format!(
            "{}: {} / {} points; {} of {} calls handled; answered within 15 s {:.1}%, within 20 s {:.1}% ({}); mistakes: {}",
            self.scenario,
            self.points,
            self.max_points,
            self.calls_handled,
            self.calls_total,
            self.answer.within_15s_pct,
            self.answer.within_20s_pct,
            if self.answer.meets_nena { "meets NENA" } else { "below NENA" },
            if mistakes.is_empty() { "none".to_owned() } else { mistakes.join(", ") }
        )
    }
}
