//! The colleague at the desk and the teams' duty: the roster, giving waiting calls the free
//! units they need (a community team, and police when the protocol wants them too), shifts
//! beginning and ending, and breaks.

use rand::RngExt;

use crate::desk::{Desk, DeskError};
use crate::domain::{CallId, Capability, State, UnitStatus, UnservedReason};

use super::people::ROSTER;
use super::town::{Kind, ZONES};
use super::world::{Duty, Ev, Team, World};
use super::{between_s, pick, MINUTE};

impl World {
    /// The roster as the desk has it, and the duty each unit is on.
    pub(super) fn take_roster(&mut self, state: &State, now: i64) {
        for u in state.units.values() {
            let duty = match (u.status, u.detail.as_deref()) {
                (UnitStatus::OutOfService, Some("off duty")) => Duty::Off,
                (UnitStatus::OutOfService, _) => Duty::Break,
                _ => Duty::On,
            };
            let since = u.status_ms.min(now);
            self.teams.push(Team {
                callsign: u.callsign.to_string(),
                zone: u.zone.clone(),
                police: u.has(Capability::Police),
                capabilities: u.capabilities.clone(),
                duty,
                reserved: None,
                free_since: since,
                off_when_clear: false,
                break_when_clear: None,
                checkin_turn: 0,
            });
        }
    }

    /// The units ROSTER names that the desk does not have yet.
    pub(super) fn missing_roster(state: &State) -> Vec<String> {
        ROSTER
            .iter()
            .filter(|(callsign, _, _)| {
                !state
                    .units
                    .values()
                    .any(|u| u.callsign.as_str() == *callsign)
            })
            .map(|&(callsign, capabilities, zone)| {
                format!(
                    "unit add {callsign} {capabilities} --zone {}",
                    ZONES[zone].name
                )
            })
            .collect()
    }

    /// Gives waiting calls (most urgent, then oldest) what they lack — a community team, and
    /// police when the protocol wants them too — from the free units: home zone first, then
    /// the right skills, then the one free longest.
    pub(super) fn assign(&mut self, state: &State, policy: &crate::domain::Policy, now: i64) {
        let mut order: Vec<CallId> = self.waiting.clone();
        order.sort_by_key(|c| {
            self.plans
                .get(c)
                .map_or((4, i64::MAX), |p| (p.priority, p.received))
        });
        for call_id in order {
            let Some(call) = state.calls.get(&call_id).filter(|c| c.is_open()) else {
                self.waiting.retain(|c| c != &call_id);
                continue;
            };
            // Worked as chosen or recommended, or as the protocol reads it now (an untriaged
            // call is a cautious joint response), or as the story will have it.
            let response = call.response_type().unwrap_or_else(|| {
                policy
                    .protocol
                    .evaluate(&call.answers, call.call_type)
                    .response
            });
            if !response.is_community() {
                self.waiting.retain(|c| c != &call_id);
                self.hand_over(now, &call_id, response);
                continue;
            }
            let wants_police = response == crate::domain::ResponseType::CoResponse
                || self.plans.get(&call_id).is_some_and(|p| p.joint);
            let has = |police: bool, teams: &[Team]| {
                call.active_units().any(|a| {
                    state
                        .units
                        .get(&a.unit)
                        .is_some_and(|u| u.has(Capability::Police) == police)
                }) || teams
                    .iter()
                    .any(|t| t.police == police && t.reserved.as_ref() == Some(&call_id))
            };
            let mut needs = Vec::new();
            if !has(false, &self.teams) {
                needs.push(false);
            }
            if wants_police && !has(true, &self.teams) {
                needs.push(true);
            }
            if needs.is_empty() {
                self.waiting.retain(|c| c != &call_id);
                continue;
            }
            let (zone, kind) = self
                .plans
                .get(&call_id)
                .map_or((None, Kind::Other), |p| (p.zone.clone(), p.kind));
            let skill = match kind {
                Kind::Bh | Kind::Suicidal => Some(Capability::Clinician),
                Kind::Intox | Kind::Transport => Some(Capability::Medic),
                _ => None,
            };
            for police in needs {
                let best = self
                    .teams
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| {
                        t.police == police && t.duty == Duty::On && t.reserved.is_none()
                    })
                    .filter(|(_, t)| {
                        state.units.values().any(|u| {
                            u.callsign.as_str() == t.callsign && u.status == UnitStatus::Available
                        })
                    })
                    .map(|(i, t)| {
                        let away = u8::from(t.zone != zone);
                        let unskilled =
                            u8::from(skill.is_some_and(|s| !t.capabilities.contains(&s)));
                        ((away, unskilled, t.free_since, i), i)
                    })
                    .min();
                let Some((_, u)) = best else { continue };
                self.teams[u].reserved = Some(call_id.clone());
                // A call that waited for a team goes out a little after the team clears.
                let gap = if call.received_ms + 10 * MINUTE < now {
                    between_s(&mut self.rng, 20, 90)
                } else {
                    0
                };
                self.book(
                    now + gap,
                    Ev::Dispatch {
                        call: call_id.clone(),
                        unit: u,
                    },
                );
            }
        }
    }

    /// A low-priority call no team is free for is put on hold, as a dispatcher would tell the
    /// caller: it stops alarming as waiting until someone should come back to it.
    pub(super) fn hold_if_nobody_free(
        &mut self,
        desk: &mut Desk,
        call: &CallId,
    ) -> Result<(), DeskError> {
        let reserved = self.teams.iter().any(|t| t.reserved.as_ref() == Some(call));
        let low = self.plans.get(call).is_some_and(|p| p.priority >= 3);
        let pending =
            desk.state().calls.get(call).is_some_and(|c| {
                c.status == crate::domain::CallStatus::Pending && c.hold.is_none()
            });
        if low && pending && !reserved && self.waiting.contains(call) {
            self.run(
                desk,
                &format!("hold {call} 30m no team free; the caller is safe and can wait"),
            )?;
        }
        Ok(())
    }

    pub(super) fn dispatch(
        &mut self,
        desk: &mut Desk,
        now: i64,
        call: &CallId,
        u: usize,
    ) -> Result<(), DeskError> {
        if self.teams[u].reserved.as_ref() != Some(call) {
            return Ok(());
        }
        self.teams[u].reserved = None;
        let callsign = self.teams[u].callsign.clone();
        let free = desk
            .state()
            .units
            .values()
            .any(|x| x.callsign.as_str() == callsign && x.status == UnitStatus::Available);
        let open = desk
            .state()
            .calls
            .get(call)
            .is_some_and(crate::domain::Call::is_open);
        if !(free && open) {
            self.book(now, Ev::Assign);
            return Ok(());
        }
        let verb = if self.rng.random_bool(0.35) {
            "de"
        } else {
            "dp"
        };
        if self
            .run(desk, &format!("{verb} {callsign} {call}"))?
            .is_none()
        {
            self.book(now, Ev::Assign);
        }
        Ok(())
    }

    /// Breaks for the units on duty, some time in the middle of the shift.
    pub(super) fn plan_breaks(&mut self, from: i64) {
        for u in 0..self.teams.len() {
            if self.rng.random_bool(0.7) {
                let at = from + between_s(&mut self.rng, 4 * 3600, 10 * 3600);
                self.book(at, Ev::BreakDue(u));
            }
        }
    }

    /// Duty: shifts beginning and ending, breaks.
    pub(super) fn duty(&mut self, desk: &mut Desk, now: i64, ev: &Ev) -> Result<(), DeskError> {
        let free = |desk: &Desk, callsign: &str| {
            desk.state()
                .units
                .values()
                .any(|u| u.callsign.as_str() == callsign && u.status == UnitStatus::Available)
        };
        match *ev {
            Ev::ShiftStart => {
                for u in 0..self.teams.len() {
                    self.teams[u].off_when_clear = false;
                    if self.teams[u].duty == Duty::Off {
                        let stagger = between_s(&mut self.rng, 0, 12 * 60);
                        self.book(now + stagger, Ev::OnDuty(u));
                    }
                }
                self.plan_breaks(now);
            }
            Ev::ShiftEnd => {
                for call in std::mem::take(&mut self.waiting) {
                    self.unserved(now, &call, UnservedReason::NoUnit);
                }
                for u in 0..self.teams.len() {
                    let callsign = self.teams[u].callsign.clone();
                    self.teams[u].reserved = None;
                    match self.teams[u].duty {
                        Duty::On if free(desk, &callsign) => {
                            self.teams[u].duty = Duty::Off;
                            self.run(desk, &format!("oos {callsign} off duty"))?;
                        }
                        Duty::On => self.teams[u].off_when_clear = true,
                        Duty::Break => self.teams[u].duty = Duty::Off,
                        Duty::Off => {}
                    }
                }
            }
            Ev::OnDuty(u) if self.teams[u].duty == Duty::Off && self.in_service(now) => {
                self.teams[u].duty = Duty::On;
                let callsign = self.teams[u].callsign.clone();
                self.run(desk, &format!("avl {callsign}"))?;
            }
            Ev::OffDuty(u) => {
                let callsign = self.teams[u].callsign.clone();
                if free(desk, &callsign) {
                    self.teams[u].duty = Duty::Off;
                    self.run(desk, &format!("oos {callsign} off duty"))?;
                }
            }
            Ev::BreakDue(u) => {
                let brk = *pick(&mut self.rng, super::scene::BREAKS);
                let callsign = self.teams[u].callsign.clone();
                match self.teams[u].duty {
                    Duty::On if free(desk, &callsign) && self.teams[u].reserved.is_none() => {
                        self.take_break(desk, now, u, brk)?;
                    }
                    Duty::On => self.teams[u].break_when_clear = Some(brk),
                    Duty::Off | Duty::Break => {}
                }
            }
            Ev::TakeBreak(u, brk) => {
                let callsign = self.teams[u].callsign.clone();
                if free(desk, &callsign) {
                    self.take_break(desk, now, u, brk)?;
                }
            }
            Ev::BreakEnd(u) if self.teams[u].duty == Duty::Break => {
                let callsign = self.teams[u].callsign.clone();
                self.teams[u].duty = Duty::On;
                self.run(desk, &format!("avl {callsign}"))?;
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn take_break(
        &mut self,
        desk: &mut Desk,
        now: i64,
        u: usize,
        (reason, minutes): (&'static str, i64),
    ) -> Result<(), DeskError> {
        if !self.in_service(now + (minutes + 10) * MINUTE) {
            self.book(now, Ev::Assign);
            return Ok(());
        }
        let callsign = self.teams[u].callsign.clone();
        self.teams[u].duty = Duty::Break;
        self.run(desk, &format!("oos {callsign} {reason}"))?;
        let back = now + minutes * MINUTE + between_s(&mut self.rng, 0, 8 * 60);
        self.book(back, Ev::BreakEnd(u));
        Ok(())
    }
}
