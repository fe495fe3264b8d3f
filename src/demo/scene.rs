//! What happens once a team is on scene: how long it stays, what it notes, when it checks in
//! (not always on time), whether it asks for backup, and where it takes the person; and the
//! words the desk gets for all of it.

use rand::RngExt;

use crate::domain::{Agency, CallId, Disposition, State, UnitStatus};
use crate::sim::teams::{Lognormal, Step};

use super::notes::scene_notes;
use super::town::Kind;
use super::world::{Ev, World};
use super::{between_s, pick, pick_weighted, MINUTE, SECOND};

/// Check-ins on scene: most inside the 20-minute safety timer, some late enough to raise the
/// alarm, a few missed until it escalates (estimates: about 90% on time).
const CHECK_INS: [(f64, i64, i64); 3] = [(90.0, 12, 18), (8.0, 21, 32), (2.0, 41, 50)];

pub(super) const DISPOSITIONS: [Disposition; 9] = [
    Disposition::Resolved,
    Disposition::CommunityTransport,
    Disposition::Hospital,
    Disposition::Declined,
    Disposition::Gone,
    Disposition::EmsNeeded,
    Disposition::Referred988,
    Disposition::FollowUp,
    Disposition::Cancelled,
];

/// Disposition weights per kind, in the order of [`DISPOSITIONS`]. Overall about 40% resolved
/// on scene, 12% to a community location, 12% to hospital (B-HEARD, 2022); gone and declined as
/// in Albuquerque; EMS rare. Police-needed comes only from a backup request.
pub(super) fn disposition_weights(kind: Kind) -> [f64; 9] {
    match kind {
        Kind::Welfare => [46.0, 6.0, 8.0, 8.0, 14.0, 2.0, 4.0, 10.0, 2.0],
        Kind::Unsheltered => [40.0, 20.0, 4.0, 14.0, 10.0, 1.0, 1.0, 8.5, 1.5],
        Kind::Bh => [38.0, 8.0, 18.0, 5.0, 5.0, 2.0, 12.0, 11.0, 1.0],
        Kind::Suicidal => [30.0, 6.0, 28.0, 3.0, 4.0, 2.0, 17.0, 10.0, 0.0],
        Kind::Intox => [30.0, 30.0, 18.0, 6.0, 8.0, 5.0, 0.0, 2.0, 1.0],
        Kind::Transport => [8.0, 58.0, 28.0, 2.0, 2.0, 0.0, 0.0, 0.0, 2.0],
        Kind::Other => [52.0, 6.0, 4.0, 10.0, 14.0, 2.0, 2.0, 8.0, 2.0],
    }
}

pub(super) const INTAKE_NOTES: &[&str] = &[
    "RP will meet the team at the front desk",
    "caller says the person has been there over two hours",
    "no weapons seen per caller",
    "person known to STAR from prior contacts",
    "caller describes male, 40s, grey jacket",
    "caller describes female, 30s, red backpack",
    "RP prefers no police presence",
    "Spanish speaker; team to use the interpreter line",
    "caller is staying on scene until the team arrives",
];

/// What the police officer of a joint response says when the scene is safe.
const POLICE_CLEAR: &str = "scene safe; DPD clearing, STAR team stays with the client";

pub(super) const COMMUNITY_DESTINATIONS: &[&str] = &[
    "Denver CARES sobering centre",
    "Crossroads shelter, 1901 29th St",
    "Samaritan House shelter, 2301 Lawrence St",
    "WellPower walk-in crisis centre",
    "St Francis Center, 2323 Curtis St",
    "Delores Project women's shelter",
];

pub(super) const HOSPITALS: &[&str] = &[
    "Denver Health Medical Center",
    "Saint Joseph Hospital",
    "Presbyterian St Luke's Medical Center",
    "Rose Medical Center",
    "Rocky Mountain VA Medical Center",
];

pub(super) const BREAKS: &[(&str, i64)] = &[
    ("meal break", 30),
    ("restock and fuel", 20),
    ("vehicle check", 15),
    ("debrief after call", 20),
];

impl World {
    /// A team arrived (at `since`) on `call`: its stay, notes, check-ins, a backup request if
    /// the story has one, and how it leaves — a ride, or clear. A police officer on a joint
    /// response stays until the scene is safe; a second team only backs the first one up.
    pub(super) fn scene(
        &mut self,
        since: i64,
        now: i64,
        state: &State,
        u: usize,
        trip: u64,
        call: &CallId,
    ) {
        let checked = state
            .units
            .values()
            .find(|x| x.callsign.as_str() == self.teams[u].callsign)
            .and_then(|x| x.checkin_ms)
            .unwrap_or(since)
            .max(since);
        self.book_check_in(checked.max(now - 10 * MINUTE).min(now), u, trip);
        let at = |t: i64| t.max(now);
        let clear = |unit: usize, step: Step| Ev::Move { unit, trip, step };
        if self.teams[u].police {
            let stay = between_s(&mut self.rng, 10 * 60, 25 * 60);
            self.book(
                at(since + stay - 30 * SECOND),
                Ev::Note {
                    call: call.clone(),
                    text: POLICE_CLEAR.to_owned(),
                },
            );
            self.book(at(since + stay), clear(u, Step::Clear));
            return;
        }
        let another_team = state.calls.get(call).is_some_and(|c| {
            c.active_units().any(|a| {
                a.unit.as_str() != self.teams[u].callsign
                    && a.on_scene_ms.is_some()
                    && state.units.get(&a.unit).is_some_and(|x| {
                        !x.has(crate::domain::Capability::Police) && x.status == UnitStatus::OnScene
                    })
            })
        });
        if another_team {
            let stay = Lognormal::new(20.0, 0.5, 8.0, 60.0).sample_ms(&mut self.rng);
            self.book(at(since + stay), clear(u, Step::Clear));
            return;
        }
        let (disposition, police_backup, noted) = self
            .plans
            .get(call)
            .map_or((Disposition::Resolved, false, false), |p| {
                (p.disposition, p.police_backup, p.noted)
            });
        let rng = &mut self.rng;
        // A call taken up from the log whose team noted how it went keeps that story.
        let note = if noted {
            String::new()
        } else {
            (*pick(rng, scene_notes(disposition))).to_owned()
        };
        let mut later: Vec<(i64, Ev)> = Vec::new();
        let leave = if police_backup {
            let ask = since + between_s(rng, 4 * 60, 20 * 60);
            later.push((
                ask,
                Ev::Note {
                    call: call.clone(),
                    text: scene_notes(Disposition::PoliceNeeded)[0].to_owned(),
                },
            ));
            later.push((
                ask + 30 * SECOND,
                Ev::Backup {
                    call: call.clone(),
                    agency: Agency::Police,
                },
            ));
            Some(ask + Lognormal::new(25.0, 0.4, 10.0, 60.0).sample_ms(rng))
        } else {
            match disposition {
                Disposition::Gone => {
                    let stay = between_s(rng, 3 * 60, 12 * 60);
                    later.push((
                        since + stay - 30 * SECOND,
                        Ev::Note {
                            call: call.clone(),
                            text: note,
                        },
                    ));
                    Some(since + stay)
                }
                Disposition::EmsNeeded => {
                    let ask = since + between_s(rng, 5 * 60, 15 * 60);
                    later.push((
                        ask,
                        Ev::Note {
                            call: call.clone(),
                            text: note,
                        },
                    ));
                    if rng.random_bool(0.7) {
                        later.push((
                            ask + 20 * SECOND,
                            Ev::Backup {
                                call: call.clone(),
                                agency: Agency::Ems,
                            },
                        ));
                    }
                    Some(ask + Lognormal::new(18.0, 0.4, 8.0, 45.0).sample_ms(rng))
                }
                Disposition::CommunityTransport | Disposition::Hospital => {
                    let stay = Lognormal::new(32.0, 0.45, 10.0, 75.0).sample_ms(rng);
                    later.push((
                        since + stay / 2,
                        Ev::Note {
                            call: call.clone(),
                            text: note,
                        },
                    ));
                    let to = if disposition == Disposition::Hospital {
                        pick(rng, HOSPITALS)
                    } else {
                        pick(rng, COMMUNITY_DESTINATIONS)
                    };
                    later.push((since + stay, clear(u, Step::Transport((*to).to_owned()))));
                    None
                }
                _ => {
                    let median = if disposition == Disposition::Declined {
                        20.0
                    } else {
                        40.0
                    };
                    let stay = Lognormal::new(median, 0.5, 10.0, 90.0).sample_ms(rng);
                    if rng.random_bool(0.7) {
                        let part = (stay as f64 * rng.random_range(0.4..0.9)) as i64;
                        later.push((
                            since + part,
                            Ev::Note {
                                call: call.clone(),
                                text: note,
                            },
                        ));
                    }
                    Some(since + stay)
                }
            }
        };
        if let Some(t) = leave {
            later.push((t, clear(u, Step::Clear)));
        }
        for (t, ev) in later {
            if !matches!(&ev, Ev::Note { text, .. } if text.is_empty()) {
                self.book(at(t), ev);
            }
        }
    }

    /// The story a call's notes already tell, for a call taken up from the log: the
    /// disposition its team's note points to, if any.
    pub(super) fn told(call: &crate::domain::Call) -> Option<Disposition> {
        call.notes.iter().rev().find_map(|n| {
            DISPOSITIONS
                .iter()
                .chain([Disposition::PoliceNeeded].iter())
                .copied()
                .find(|d| scene_notes(*d).contains(&n.text.as_str()))
        })
    }

    /// The team's next check-in on scene, counted from `from`: usually inside the timer.
    pub(super) fn book_check_in(&mut self, from: i64, u: usize, trip: u64) {
        let weights: Vec<f64> = CHECK_INS.iter().map(|c| c.0).collect();
        let (_, lo, hi) = CHECK_INS[pick_weighted(&mut self.rng, &weights)];
        let at = from + between_s(&mut self.rng, lo * 60, hi * 60);
        let turn = self.teams[u].checkin_turn;
        self.book(
            at,
            Ev::CheckIn {
                unit: u,
                trip,
                turn,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_survive_the_command_line() {
        let mut texts: Vec<&str> = Vec::new();
        for z in super::super::town::ZONES {
            texts.extend(z.streets);
            texts.extend(z.places.iter().map(|p| p.0));
        }
        for m in super::super::town::MIX {
            texts.extend(m.3.iter().map(|n| n.0));
        }
        for (_, natures) in super::super::town::OTHER_NATURES {
            texts.extend(natures.iter().map(|n| n.0));
        }
        for s in super::super::town::SCREENED {
            texts.extend([s.1 .0, s.3]);
        }
        for d in Disposition::ALL {
            texts.extend(scene_notes(*d));
        }
        texts.extend(INTAKE_NOTES);
        texts.extend(COMMUNITY_DESTINATIONS);
        texts.extend(HOSPITALS);
        texts.push(POLICE_CLEAR);
        for t in texts {
            assert!(!t.contains(['/', '"', '\\']) && !t.contains("--"), "{t}");
            assert_eq!(t.split_whitespace().collect::<Vec<_>>().join(" "), t, "{t}");
        }
        let total: f64 = super::super::town::MIX.iter().map(|m| m.1).sum();
        assert!((total - 100.0).abs() < 1e-9);
        assert!(CHECK_INS.iter().map(|c| c.0).sum::<f64>() - 100.0 < 1e-9);
    }
}
