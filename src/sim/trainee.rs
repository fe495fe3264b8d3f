//! The trainee's side of a shift: their lines go through the desk like any dispatcher's, the
//! simulated caller answers a bare `ask` with the scenario's truth, a wrong answer typed is
//! noted, and the world follows what the trainee changed (a team dispatched starts moving, a
//! status set by hand takes the team over).

use crate::desk::{Desk, DeskError, Outcome};
use crate::domain::{Body, Event};

use super::scenario::{expand, is_bare_ask};
use super::shift::{Item, Simulation};
use super::teams::Step;
use super::{Actor, Heard, Said, SimError, Voice};

impl Simulation {
    /// A line the trainee ran now: the caller answers a bare `ask` with the truth, a dispatched
    /// team starts moving, and a refusal is noted (it changed nothing).
    pub fn trainee_line(&mut self, desk: &mut Desk, line: &str) -> Result<Said, SimError> {
        let now = self.now_ms();
        self.trainee(desk, now, line)
    }

    pub(super) fn trainee(
        &mut self,
        desk: &mut Desk,
        now: i64,
        line: &str,
    ) -> Result<Said, SimError> {
        let ids = &self.observed.call_ids;
        let calls = &self.scenario.calls;
        let expanded = expand(line, |id| {
            let i = calls.iter().position(|c| c.id == id)?;
            ids[i].as_ref().map(|c| c.as_str().to_owned())
        });
        let mut line = match expanded {
            Ok(l) => l,
            Err(id) => {
                let why = format!("call {id} has not come in yet");
                self.observed
                    .refused
                    .push((now, line.to_owned(), why.clone()));
                return Ok(Said::Refused(why));
            }
        };
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        let asked =
            if words.len() >= 3 && ["ask", "triage"].contains(&words[0].to_lowercase().as_str()) {
                self.call_index(&words[1]).zip(
                    desk.policy()
                        .protocol
                        .question(&words[2])
                        .map(|q| q.id.clone()),
                )
            } else {
                None
            };
        let mut caller_answers = None;
        if let (true, Some((i, q))) = (is_bare_ask(&line), &asked) {
            let truth = self.truth[*i]
                .get(q)
                .cloned()
                .unwrap_or_else(|| crate::domain::triage::UNKNOWN.to_owned());
            line = format!("{line} {truth}");
            caller_answers = Some((*i, q.clone(), truth));
        }
        match desk.run_line(&line) {
            Ok(Outcome::Committed(events)) => {
                self.record(Actor::Trainee, &events);
                for e in &events {
                    self.follow_event(now, e, asked.as_ref());
                }
                if let Some((i, q, truth)) = caller_answers {
                    self.heard.push((
                        i,
                        Heard {
                            at_ms: now,
                            voice: Voice::Caller,
                            text: spoken(&truth),
                            asked: Some(q),
                        },
                    ));
                }
                Ok(Said::Committed(events))
            }
            Ok(Outcome::Answered(lines)) => Ok(Said::Answered(lines)),
            Err(DeskError::Store(e)) => Err(e.into()),
            Err(e) => {
                let why = e.to_string();
                self.observed.refused.push((now, line, why.clone()));
                Ok(Said::Refused(why))
            }
        }
    }

    /// What the world does after a trainee's change: teams move when dispatched; a status the
    /// trainee set by hand replaces what the team would have reported.
    pub(super) fn follow_event(&mut self, now: i64, e: &Event, asked: Option<&(usize, String)>) {
        match &e.body {
            Body::TriageAnswered {
                question, answer, ..
            } => {
                if let Some((i, _)) = asked {
                    let truth = self.truth[*i]
                        .get(question)
                        .map_or(crate::domain::triage::UNKNOWN, String::as_str);
                    if truth != answer {
                        self.observed.wrong_answers.push((
                            *i,
                            now,
                            question.clone(),
                            answer.clone(),
                            truth.to_owned(),
                        ));
                    }
                }
            }
            Body::UnitDispatched {
                unit,
                call,
                en_route,
                ..
            } => {
                let unit = unit.as_str().to_owned();
                let trip = self.trips.start(&unit, Some(call.clone()));
                let behaviour = &self.scenario.behaviour;
                let (step, delay) = if *en_route {
                    (Step::OnScene, behaviour.travel.sample_ms(&mut self.rng))
                } else {
                    (Step::EnRoute, behaviour.turnout_ms(&mut self.rng))
                };
                self.book(
                    now + delay,
                    Item::Move {
                        unit,
                        trip,
                        call: call.clone(),
                        step,
                    },
                );
            }
            Body::UnitStatusChanged { unit, .. } => {
                self.trips.start(unit.as_str(), None);
            }
            _ => {}
        }
    }

    fn call_index(&self, id: &str) -> Option<usize> {
        self.observed.call_ids.iter().position(|c| {
            c.as_ref()
                .is_some_and(|c| c.as_str().eq_ignore_ascii_case(id))
        })
    }
}

/// How a caller says an answer: `yes` is "Yes.", `unknown` is "I don't know.".
fn spoken(answer: &str) -> String {
    match answer {
        "yes" => "Yes.".to_owned(),
        "no" => "No.".to_owned(),
        crate::domain::triage::UNKNOWN => "I don't know.".to_owned(),
        other => {
            let mut chars = other.chars();
            chars.next().map_or_else(String::new, |first| {
                format!(
                    "{}{}.",
                    first.to_uppercase(),
                    chars.as_str().replace('-', " ")
                )
            })
        }
    }
}
