//! Scoring a training run: per call, the times, the judgement calls and the paperwork; overall,
//! the NENA answer standard, calls handled and mistakes by kind. Every point a call loses is a
//! mistake that says why, so a call's points are 100 less its mistakes'.
//!
//! Points per call (100 in all): answered within 15 s 10 (within 20 s 5); triaged 10 (5 with a
//! wrong answer recorded; a linked second call about the same person needs none); response type
//! right 20; unit capability fit 15; safety check-ins on time 10; escalations handled and
//! duplicates linked (and not sent a team) 10; disposition right 25. A second call about the
//! same person merged into the first (`merge`) is worked right: it needs no response or
//! disposition of its own. A figure that does not apply to a call the
//! trainee worked (no unit needed, never on scene, nothing escalated) gets its points; a call
//! nobody answered gets none. Answer times are the trainee's real seconds at the console, so a
//! trainer may run the clock fast without making the 15 s impossible.

use std::collections::BTreeMap;

use serde::Serialize;

use super::scenario::{show_time, Scenario};
use super::{Actor, Escalation, Observed};
use crate::domain::{Body, Call, CallId, Disposition, Policy, State, UnitStatus};

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
    /// The fastest the simulated clock ran (× real time); answer times are real seconds.
    pub fastest: f64,
    /// Mistakes counted by kind.
    pub mistakes: BTreeMap<String, usize>,
    pub calls: Vec<CallScore>,
    /// Each mistake with its time, what went wrong and the points it cost, in time order.
    pub mistake_list: Vec<Mistake>,
    /// Lines the desk refused: they changed nothing, so they cost nothing, but a trainer may
    /// want to see them.
    pub refused: Vec<Refused>,
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
    /// Real seconds at the console from the call ringing to the trainee's first change to it.
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
    /// The desk's id of that call.
    pub call_id: Option<String>,
    /// `H:MM:SS` from the start of the shift.
    pub at: String,
    #[serde(skip)]
    pub at_ms: i64,
    pub detail: String,
    /// What it cost the call.
    pub points: u32,
}

impl Mistake {
    /// The call as the trainer and the trainee both know it: `26-HA0003 (c3)`.
    pub fn call_label(&self) -> Option<String> {
        match (&self.call_id, &self.call) {
            (Some(id), Some(name)) => Some(format!("{id} ({name})")),
            (None, Some(name)) => Some(name.clone()),
            _ => None,
        }
    }
}

/// A line the desk refused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refused {
    /// `H:MM:SS` from the start of the shift.
    pub at: String,
    pub line: String,
    pub why: String,
}

pub fn score(
    scenario: &Scenario,
    seed: u64,
    observed: &Observed,
    state: &State,
    policy: &Policy,
) -> Score {
    let start = observed.start_ms;
    let mut mistakes: Vec<Mistake> = Vec::new();
    let mut calls = Vec::new();
    for (i, sc) in scenario.calls.iter().enumerate() {
        let Some(id) = observed.call_ids[i].clone() else {
            continue;
        };
        let Some(call) = state.calls.get(&id) else {
            continue;
        };
        let mut lost = Vec::new();
        let mut push = |kind: &str, at: i64, detail: String, points: u32| {
            lost.push(Mistake {
                kind: kind.to_owned(),
                call: Some(sc.id.clone()),
                call_id: Some(id.to_string()),
                at: show_time(at - start),
                at_ms: at,
                detail,
                points,
            });
        };
        let received = call.received_ms;
        let mine = |pred: &dyn Fn(&Body) -> bool| {
            observed
                .records
                .iter()
                .filter(|r| r.actor == Actor::Trainee && r.event.body.calls().contains(&&id))
                .find(|r| pred(&r.event.body))
                .map(|r| (r.event.wall_ms - received) / 1000)
        };
        let answer_s = observed
            .rang_real_ms
            .get(i)
            .copied()
            .flatten()
            .zip(observed.answered_real_ms.get(i).copied().flatten())
            .map(|(rang, answered)| (answered - rang) / 1000);
        let triage_s = mine(&|b| matches!(b, Body::TriageAnswered { .. }));
        let dispatch_s = mine(&|b| matches!(b, Body::UnitDispatched { .. }));
        let wrong: Vec<_> = observed.wrong_answers.iter().filter(|w| w.0 == i).collect();
        let response = call.response_type();
        let linked = sc.duplicate_of.as_ref().map(|first| {
            scenario
                .calls
                .iter()
                .position(|c| &c.id == first)
                .and_then(|k| observed.call_ids[k].as_ref())
                .is_some_and(|o| call.links.contains(o))
        });
        // A second call merged into the first needs no response or disposition of its own:
        // closing it as a duplicate is the right way to work it.
        let merged = linked == Some(true) && call.disposition == Some(Disposition::Duplicate);
        let response_right = merged || response == Some(sc.expect_response);
        // What the units sent are held to: the response the call was worked as, or, when it was
        // worked as nothing, the one it needed.
        let capability_fit = fit(state, call, response.or(Some(sc.expect_response)));
        let lapse = checkins(observed, call, policy);
        let checkins_on_time = match &lapse {
            Checkins::NoneDue => None,
            Checkins::OnTime => Some(true),
            Checkins::Late(_) => Some(false),
        };
        let escalations: Vec<(i64, &Escalation, bool)> = observed
            .escalations
            .iter()
            .filter(|e| e.0 == i)
            .map(|(_, at, what)| (*at, what, escalation(observed, &id, *at, what)))
            .collect();
        let escalation_handled =
            (!escalations.is_empty()).then(|| escalations.iter().all(|(_, _, handled)| *handled));
        let expected_disposition = if observed.gone[i] {
            Disposition::Gone
        } else {
            sc.expect_disposition
        };
        let disposition_right = merged || call.disposition == Some(expected_disposition);
        // A team sent to a second call about the same person is a team not free for the next.
        let sent_to_duplicate =
            sc.duplicate_of.is_some() && call.assignments.iter().any(|a| !a.disregarded);

        match answer_s {
            // Nothing done on the call earns nothing: its other figures are not "not applying",
            // they were never worked.
            None => push(
                "not-answered",
                received,
                "never answered; nothing was done on the call".to_owned(),
                100,
            ),
            Some(s) => {
                if s > 15 {
                    let points = if s <= 20 { 5 } else { 10 };
                    push(
                        "slow-answer",
                        received,
                        format!("answered after {s} s (full points within 15 s)"),
                        points,
                    );
                }
                for (k, (_, at, q, typed, truth)) in wrong.iter().enumerate() {
                    push(
                        "wrong-answer",
                        *at,
                        format!("{q} recorded as {typed}; the caller said {truth}"),
                        if k == 0 { 5 } else { 0 },
                    );
                }
                // A second call about the same person, once linked, needs no triage of its own.
                if triage_s.is_none() && linked != Some(true) {
                    push(
                        "not-triaged",
                        received,
                        "no triage question asked".to_owned(),
                        10,
                    );
                }
                if !response_right {
                    push(
                        "wrong-response",
                        call.closed_ms.unwrap_or(observed.end_ms),
                        format!(
                            "worked as {}; the call needed {}",
                            response.map_or("nothing", |r| r.word()),
                            sc.expect_response
                        ),
                        20,
                    );
                }
                if capability_fit == Some(false) {
                    push(
                        "capability-misfit",
                        call.first_dispatch_ms().unwrap_or(observed.end_ms),
                        misfit(call, response.unwrap_or(sc.expect_response)),
                        15,
                    );
                }
                if let Checkins::Late(l) = &lapse {
                    push(
                        "late-check-in",
                        l.due_ms,
                        format!(
                            "{} on scene went past its {}-minute safety check-in at {}",
                            l.unit,
                            l.interval_ms / 60_000,
                            show_time(l.due_ms - start)
                        ),
                        10,
                    );
                }
                // Escalations and the link share their 10 points: the first miss costs them.
                let mut escalation_points = 10;
                for (at, what, handled) in &escalations {
                    if !handled {
                        let detail = match what {
                            Escalation::Changed(text) => {
                                format!("{text}: no re-triage, new response or backup after it")
                            }
                            Escalation::Backup(agency) => {
                                format!("the team asked for {agency} backup; none was requested")
                            }
                        };
                        push(
                            "escalation-missed",
                            *at,
                            detail,
                            std::mem::take(&mut escalation_points),
                        );
                    }
                }
                if linked == Some(false) {
                    let first = sc.duplicate_of.as_deref().unwrap_or("");
                    let first = scenario
                        .calls
                        .iter()
                        .position(|c| c.id == first)
                        .and_then(|k| observed.call_ids[k].as_ref())
                        .map_or_else(|| first.to_owned(), |id| format!("{id} ({first})"));
                    push(
                        "duplicate-not-linked",
                        received,
                        format!("a second call about the person of {first}; not linked to it"),
                        escalation_points,
                    );
                } else if sent_to_duplicate {
                    push(
                        "duplicate-dispatched",
                        call.first_dispatch_ms().unwrap_or(received),
                        "a team was sent to a second call about the same person; merge it into \
                         the first instead"
                            .to_owned(),
                        escalation_points,
                    );
                }
                match call.disposition {
                    Some(_) if merged => {}
                    None => push(
                        "not-closed",
                        observed.end_ms,
                        format!("still open at the end; it was {expected_disposition}"),
                        25,
                    ),
                    Some(d) if d != expected_disposition => push(
                        "wrong-disposition",
                        call.closed_ms.unwrap_or(observed.end_ms),
                        format!("closed as {d}; it was {expected_disposition}"),
                        25,
                    ),
                    Some(_) => {}
                }
            }
        }
        let points = 100u32.saturating_sub(lost.iter().map(|m| m.points).sum());
        mistakes.extend(lost);
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
    // Stable: at the same second, a call's mistakes keep their order.
    mistakes.sort_by_key(|m| m.at_ms);
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
    let refused = observed
        .refused
        .iter()
        .map(|(at, line, why)| Refused {
            at: show_time(at - start),
            line: line.clone(),
            why: why.clone(),
        })
        .collect();
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
        fastest: observed.fastest.max(1.0),
        mistakes: by_kind,
        calls,
        mistake_list: mistakes,
        refused,
    }
}

/// Why the units sent do not fit the response.
fn misfit(call: &Call, response: crate::domain::ResponseType) -> String {
    let plan = response.plan_words();
    if call.assignments.is_empty() {
        format!("no unit was sent; {response} sends {plan}")
    } else {
        format!("the units sent do not make up {response}'s plan ({plan})")
    }
}

/// The units sent to the call or to its backup calls fill every slot of the response's plan:
/// for a co-response, a community team and a police unit (a pair, or a co-responder car).
fn fit(state: &State, call: &Call, response: Option<crate::domain::ResponseType>) -> Option<bool> {
    let children = state
        .calls
        .values()
        .filter(|c| c.backup_for.as_ref().is_some_and(|(p, _)| p == &call.id));
    crate::domain::recommend::plan_sent(state, std::iter::once(call).chain(children), response?)
}

/// A unit that went past its safety check-in on scene at a call: which, and when it fell due.
struct Lapse {
    unit: String,
    due_ms: i64,
    interval_ms: i64,
}

/// How the check-ins at a call went.
enum Checkins {
    /// No unit was on scene.
    NoneDue,
    OnTime,
    /// The first lapse.
    Late(Lapse),
}

/// Whether every stretch on scene at this call had a check-in (or the end of the stretch)
/// within the policy's interval.
fn checkins(observed: &Observed, call: &Call, policy: &Policy) -> Checkins {
    let interval = policy.checkin_ms(call.response_type());
    let mut any = false;
    let mut first: Option<Lapse> = None;
    let mut lapse = |unit: &crate::domain::Callsign, last: i64| {
        let due_ms = last + interval;
        if first.as_ref().is_none_or(|f| due_ms < f.due_ms) {
            first = Some(Lapse {
                unit: unit.to_string(),
                due_ms,
                interval_ms: interval,
            });
        }
    };
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
                    if e.wall_ms - last > interval {
                        lapse(&a.unit, last);
                    }
                    last = e.wall_ms;
                }
            }
        }
        if end - last > interval {
            lapse(&a.unit, last);
        }
    }
    match (any, first) {
        (false, _) => Checkins::NoneDue,
        (true, None) => Checkins::OnTime,
        (true, Some(lapse)) => Checkins::Late(lapse),
    }
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
