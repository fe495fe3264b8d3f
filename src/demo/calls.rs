//! Callers calling and the call-taker answering: the stream of calls by hour (a Poisson
//! process thinned by the service day), who calls about what and where, the questions asked,
//! how each call's story will go, and the calls closed without a team.

use rand::RngExt;
use rand_distr::{Distribution, Exp};

use crate::desk::{Desk, DeskError};
use crate::domain::safety::needs_unserved_reason;
use crate::domain::{Agency, CallId, Disposition, Refusal, UnservedReason};
use crate::sim::teams::Lognormal;

use super::people::{usual, Caller, Story, Who};
use super::scene::{disposition_weights, DISPOSITIONS, INTAKE_NOTES};
use super::town::{self, Kind, MIX, SCREENED, ZONES};
use super::world::{created, Arrival, Ev, Plan, World};
use super::{between_s, pick, pick_weighted, time_of_day, DAY, HOUR, MINUTE, SECOND};

/// ... and busier than usual for its last part.
const SURGE_WINDOW: i64 = 90 * MINUTE;
const SURGE_FACTOR: f64 = 1.8;
/// Eligible calls per 16-hour service day (STAR 2023, field data).
const ELIGIBLE_PER_SERVICE_DAY: f64 = 30.0;
/// Calls screened out during service hours: weapons, violence, medical emergencies.
const SCREENED_PER_SERVICE_DAY: f64 = 1.5;
/// Calls of eligible types arriving while the teams are off duty, per 8-hour night.
const OFF_HOURS_PER_NIGHT: f64 = 4.0;
/// Share of eligible calls on which the team asks for police backup (CAHOOTS 2019: 0.6%).
const POLICE_BACKUP_SHARE: f64 = 0.006;
/// Share of eligible calls whose caller cannot say whether there is a weapon or violence, so
/// the protocol sends the clinician with police (estimate; field data: "if there is any
/// question", respond jointly).
const JOINT_SHARE: f64 = 0.11;
/// Relative call volume per service hour (06:00 ... 21:00); averages 1. Night hours, when
/// the console is open then, go at half.
pub(super) const DIURNAL: [f64; 16] = [
    0.5, 0.7, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.2, 1.15, 1.1, 1.1, 1.0, 0.95, 0.9, 0.8,
];
/// The answers a call-taker gets on a call a community team can take.
/// How long the colleague leaves a new call to the person at the console before sending a
/// team: the urgent ones sooner.
const HANDS_OFF_URGENT: i64 = 60 * SECOND;
const HANDS_OFF: i64 = 150 * SECOND;
const TRIAGE_CLEAR: [&str; 7] = [
    "violence no",
    "weapon no",
    "crime no",
    "medical no",
    "hazard no",
    "harm no",
    "info yes",
];

impl World {
    /// Shift changes wherever being in service flips between `from` and the opening, and the
    /// call stream from `from`.
    pub(super) fn plan_days(&mut self, from: i64) {
        let first_day = from.div_euclid(DAY) * DAY;
        let mut edges = vec![self.live_from];
        let mut day = first_day;
        while day <= self.opened_at {
            edges.extend([day + super::SERVICE_START, day + super::SERVICE_END]);
            day += DAY;
        }
        edges.sort_unstable();
        let opened = self.opened_at;
        for t in edges.into_iter().filter(|&t| t > from && t <= opened) {
            match (self.in_service(t - 1), self.in_service(t)) {
                (false, true) => self.book(t, Ev::ShiftStart),
                (true, false) => self.book(t, Ev::ShiftEnd),
                _ => {}
            }
        }
        let gap = self.gap();
        self.book(from + gap, Ev::Arrival);
    }

    /// The history's last calls: two the teams are surely still working when the console
    /// opens, and a few still waiting for one.
    pub(super) fn plan_the_opening(&mut self) {
        let opened = self.opened_at;
        for (from, to) in [(30 * 60, 50 * 60), (8 * 60, 20 * 60)] {
            let at = opened - between_s(&mut self.rng, from, to);
            self.book(at, Ev::Call(Arrival::Eligible));
        }
        let held = self.rng.random_range(2..=3);
        for _ in 0..held {
            let at = opened - between_s(&mut self.rng, 20, 5 * 60);
            self.book(at, Ev::Call(Arrival::Held));
        }
    }

    /// The highest rate of the stream, for thinning.
    pub(super) fn max_rate() -> f64 {
        let eligible = ELIGIBLE_PER_SERVICE_DAY / 960.0;
        eligible * 1.2 * SURGE_FACTOR
            + SCREENED_PER_SERVICE_DAY / 960.0
            + OFF_HOURS_PER_NIGHT / 480.0
    }

    /// Time to the next candidate of the stream (a Poisson process thinned by the hour).
    pub(super) fn gap(&mut self) -> i64 {
        let rate = Self::max_rate();
        let minutes = Exp::new(rate).map_or(1.0 / rate, |e| e.sample(&mut self.rng));
        (minutes * MINUTE as f64).max(1.0) as i64
    }

    /// Whether a candidate of the stream at `at` is a call, and which kind.
    pub(super) fn class_at(&mut self, at: i64) -> Option<Arrival> {
        let eligible = ELIGIBLE_PER_SERVICE_DAY / 960.0;
        let rates = if self.in_service(at) {
            let hour = (time_of_day(at) / HOUR) as usize;
            let diurnal = hour
                .checked_sub(6)
                .and_then(|h| DIURNAL.get(h))
                .copied()
                .unwrap_or(0.5);
            let surge = if at >= self.opened_at - SURGE_WINDOW && at < self.opened_at {
                SURGE_FACTOR
            } else {
                1.0
            };
            [
                eligible * diurnal * surge,
                SCREENED_PER_SERVICE_DAY / 960.0,
                0.0,
            ]
        } else {
            [0.0, 0.0, OFF_HOURS_PER_NIGHT / 480.0]
        };
        let x = self.rng.random::<f64>() * Self::max_rate();
        if x < rates[0] {
            Some(Arrival::Eligible)
        } else if x < rates[0] + rates[1] {
            Some(Arrival::Screened)
        } else if x < rates[0] + rates[1] + rates[2] {
            Some(Arrival::OffHours)
        } else {
            None
        }
    }

    pub(super) fn arrive(
        &mut self,
        desk: &mut Desk,
        now: i64,
        class: Arrival,
    ) -> Result<(), DeskError> {
        let screened = (class == Arrival::Screened).then(|| *pick(&mut self.rng, SCREENED));
        let who = if screened.is_some() {
            Who::New
        } else {
            self.callers.who(&mut self.rng, now)
        };
        let story = match who {
            Who::Frequent(f) => {
                let Some((call_type, (nature, _, _))) = usual(f) else {
                    return Ok(());
                };
                Story {
                    at: now,
                    zone: f.zone,
                    location: f.location.to_owned(),
                    kind: f.kind,
                    call_type,
                    nature,
                    caller: Caller {
                        name: Some(f.caller.to_owned()),
                        callback: Some(f.callback.to_owned()),
                    },
                }
            }
            Who::Again(mut story) => {
                story.at = now;
                story
            }
            Who::New => {
                let (kind, call_type, (nature, settings, roles)) =
                    if let Some((call_type, nature, _, _)) = screened {
                        (Kind::Other, call_type, nature)
                    } else {
                        let shares: Vec<f64> = MIX.iter().map(|m| m.1).collect();
                        let k = pick_weighted(&mut self.rng, &shares);
                        town::nature(&mut self.rng, k)
                    };
                let zone = town::zone(&mut self.rng, settings);
                let (location, setting) = if self.town.is_empty() {
                    town::location(&mut self.rng, &ZONES[zone], settings)
                } else {
                    let at = self.rng.random_range(0..self.town.len());
                    (self.town[at].clone(), settings[0])
                };
                let caller = self.callers.new_caller(&mut self.rng, setting, roles);
                let story = Story {
                    at: now,
                    zone,
                    location,
                    kind,
                    call_type,
                    nature,
                    caller,
                };
                if screened.is_none() {
                    self.callers.heard(story.clone());
                }
                story
            }
        };
        let mut line = format!(
            "call {} / {} --type {} --zone {}",
            story.location, story.nature, story.call_type, ZONES[story.zone].name
        );
        let mut priority = story.call_type.default_priority().get();
        if priority == 3 && self.rng.random_bool(0.12) {
            priority = 2;
            line.push_str(" --pri 2");
        }
        if let Some(name) = &story.caller.name {
            line = format!("{line} --caller {name}");
        }
        if let Some(cb) = &story.caller.callback {
            line = format!("{line} --cb {cb}");
        }
        let Some(events) = self.run(desk, &line)? else {
            return Ok(());
        };
        let Some(id) = created(&events) else {
            return Err(Refusal(format!("demo generator: `{line}` made no call")).into());
        };
        if self.live(now) {
            self.news.ring(format!(
                "New call {id}: {} at {}",
                story.nature, story.location
            ));
        }
        if let Some((_, _, disposition, text)) = screened {
            let note_at = now + between_s(&mut self.rng, 40, 120);
            let close_at = note_at + between_s(&mut self.rng, 30, 150);
            self.book(
                note_at,
                Ev::Note {
                    call: id.clone(),
                    text: text.to_owned(),
                },
            );
            self.book(
                close_at,
                Ev::Close {
                    call: id,
                    disposition,
                    unserved: None,
                },
            );
            return Ok(());
        }
        let triaged = now + between_s(&mut self.rng, 15, 60);
        self.book(
            triaged,
            Ev::Triage {
                call: id.clone(),
                then_ready: matches!(class, Arrival::Eligible),
            },
        );
        let zone = Some(ZONES[story.zone].name.to_owned());
        let plan = self.plan(story.kind, zone, priority, now, class == Arrival::Eligible);
        self.plans.insert(id.clone(), plan);
        match class {
            Arrival::OffHours => {
                let at = now + between_s(&mut self.rng, 60, 180);
                self.unserved(at, &id, UnservedReason::OutsideHours);
            }
            Arrival::Held => {
                if self.rng.random_bool(0.5) {
                    self.intake_note(now, &id, 10, 25);
                }
                // They wait for the console to open; the colleague helps after a while.
                let at = self.opened_at + between_s(&mut self.rng, 2 * 60, 6 * 60);
                self.book(at, Ev::Ready(id));
            }
            _ => {
                if self.rng.random_bool(0.3) {
                    self.intake_note(now, &id, 15, 80);
                }
                // Now and then someone else calls about the same person (about one eligible
                // call in 25, chosen by number so the story's dice are untouched).
                if class == Arrival::Eligible && id.series().1 % 25 == 0 {
                    self.book(now + 120_000, Ev::SecondCaller { of: id });
                }
            }
        }
        Ok(())
    }

    /// How a call will go: its disposition (by kind), a team asking for police, police with
    /// the clinician.
    pub(super) fn plan(
        &mut self,
        kind: Kind,
        zone: Option<String>,
        priority: u8,
        received: i64,
        eligible: bool,
    ) -> Plan {
        let weights = disposition_weights(kind);
        let mut disposition = DISPOSITIONS[pick_weighted(&mut self.rng, &weights)];
        let police_backup = eligible && self.rng.random_bool(POLICE_BACKUP_SHARE);
        if police_backup && disposition != Disposition::Cancelled {
            disposition = if self.rng.random_bool(0.67) {
                Disposition::PoliceNeeded
            } else {
                Disposition::Resolved
            };
        }
        let joint = self.rng.random_bool(JOINT_SHARE);
        Plan {
            kind,
            zone,
            priority,
            received,
            disposition,
            police_backup,
            joint,
            noted: false,
        }
    }

    /// When a new call is ready for a team: after the call-taker's questions, and live, after
    /// the person at the console has had time to send one.
    pub(super) fn ready_at(&mut self, now: i64, priority: u8) -> i64 {
        if self.live(now) {
            now + if priority <= 2 {
                HANDS_OFF_URGENT
            } else {
                HANDS_OFF
            }
        } else {
            let median = if priority <= 2 { 0.3 } else { 0.6 };
            now + Lognormal::new(median, 0.6, 0.1, 8.0).sample_ms(&mut self.rng)
        }
    }

    pub(super) fn intake_note(&mut self, now: i64, call: &CallId, lo: i64, hi: i64) {
        let text = (*pick(&mut self.rng, INTAKE_NOTES)).to_owned();
        let at = now + between_s(&mut self.rng, lo, hi);
        self.book(
            at,
            Ev::Note {
                call: call.clone(),
                text,
            },
        );
    }

    /// The call-taker walks the protocol, unless someone already did: nothing dangerous and
    /// enough to go on, or, when the caller cannot rule out a weapon, that said as unknown.
    pub(super) fn triage(&mut self, desk: &mut Desk, call: &CallId) -> Result<(), DeskError> {
        let untouched = desk
            .state()
            .calls
            .get(call)
            .is_some_and(|c| c.is_open() && c.answers.is_empty() && c.response.is_none());
        if !untouched {
            return Ok(());
        }
        let joint = self.plans.get(call).is_some_and(|p| p.joint);
        for answer in TRIAGE_CLEAR {
            let answer = if joint && answer == "weapon no" {
                "weapon unknown"
            } else {
                answer
            };
            self.run(desk, &format!("ask {call} {answer}"))?;
        }
        Ok(())
    }

    /// A call no team could take: outside service hours, or still waiting when they ended.
    pub(super) fn unserved(&mut self, at: i64, call: &CallId, reason: UnservedReason) {
        let why = match reason {
            UnservedReason::NoUnit => "no STAR team free before service hours ended",
            _ => "outside STAR service hours (06:00 to 22:00)",
        };
        let kind = self.plans.get(call).map_or(Kind::Other, |p| p.kind);
        let (disposition, then) = match kind {
            Kind::Bh | Kind::Suicidal => (Disposition::Referred988, "caller connected to 988"),
            Kind::Welfare if self.rng.random_bool(0.5) => {
                (Disposition::PoliceNeeded, "DPD to check welfare")
            }
            _ if self.rng.random_bool(0.6) => {
                (Disposition::FollowUp, "STAR to follow up after 06:00")
            }
            _ => (
                Disposition::Cancelled,
                "caller will call back if still needed",
            ),
        };
        self.waiting.retain(|w| w != call);
        self.book(
            at,
            Ev::Note {
                call: call.clone(),
                text: format!("{why}; {then}"),
            },
        );
        let close_at = at + between_s(&mut self.rng, 20, 90);
        self.book(
            close_at,
            Ev::Close {
                call: call.clone(),
                disposition,
                unserved: Some(reason),
            },
        );
    }

    /// A call whose response sends no community team: the caller is answered or referred, or
    /// the call is handed to the agency that goes.
    pub(super) fn hand_over(
        &mut self,
        now: i64,
        call: &CallId,
        response: crate::domain::ResponseType,
    ) {
        use crate::domain::ResponseType;
        let (disposition, text) = match response {
            ResponseType::CrisisLine => (
                Disposition::Referred988,
                "caller connected to 988; no team needed",
            ),
            ResponseType::Info => (
                Disposition::Resolved,
                "information given by phone; no team needed",
            ),
            ResponseType::Police => (Disposition::PoliceNeeded, "handed to DPD; STAR not sent"),
            _ => (
                Disposition::EmsNeeded,
                "handed to Denver Health / DFD; STAR not sent",
            ),
        };
        let at = now + between_s(&mut self.rng, 20, 90);
        self.book(
            at,
            Ev::Note {
                call: call.clone(),
                text: text.to_owned(),
            },
        );
        let close_at = at + between_s(&mut self.rng, 20, 120);
        self.book(
            close_at,
            Ev::Close {
                call: call.clone(),
                disposition,
                unserved: None,
            },
        );
    }

    pub(super) fn close(
        &mut self,
        desk: &mut Desk,
        now: i64,
        call: &CallId,
        disposition: Disposition,
        unserved: Option<UnservedReason>,
    ) -> Result<(), DeskError> {
        let Some(c) = desk.state().calls.get(call) else {
            return Ok(());
        };
        // Closed already, or someone sent another team meanwhile: it closes when they clear.
        if !c.is_open() || c.active_units().next().is_some() {
            return Ok(());
        }
        // An eligible call that waited past its limit needs a reason code; in this world that
        // is always that no team was free.
        let late = unserved.is_none() && needs_unserved_reason(desk.state(), c, now, desk.policy());
        let line = match (unserved, late) {
            (Some(reason), _) => format!("close {call} {disposition} --unserved {reason}"),
            (None, true) => format!("close {call} {disposition} --unserved no-unit"),
            (None, false) => format!("close {call} {disposition}"),
        };
        self.waiting.retain(|w| w != call);
        self.plans.remove(call);
        self.run(desk, &line)?;
        Ok(())
    }

    pub(super) fn backup(
        &mut self,
        desk: &mut Desk,
        now: i64,
        call: &CallId,
        agency: Agency,
    ) -> Result<(), DeskError> {
        if !desk
            .state()
            .calls
            .get(call)
            .is_some_and(crate::domain::Call::is_open)
        {
            return Ok(());
        }
        let Some(events) = self.run(desk, &format!("backup {call} {agency}"))? else {
            return Ok(());
        };
        if let Some(child) = created(&events) {
            // The other agency answers at once on the radio; the desk records it has the call.
            let by = match agency {
                Agency::Police => "DPD dispatch",
                _ => "DFD dispatch",
            };
            self.run(desk, &format!("confirm {child} {by}"))?;
            let (disposition, after) = match agency {
                Agency::Police => (
                    Disposition::PoliceNeeded,
                    between_s(&mut self.rng, 8 * 60, 25 * 60),
                ),
                _ => (
                    Disposition::EmsNeeded,
                    between_s(&mut self.rng, 10 * 60, 30 * 60),
                ),
            };
            self.book(
                now + after,
                Ev::Close {
                    call: child,
                    disposition,
                    unserved: None,
                },
            );
        }
        Ok(())
    }
}
