//! Response plans: which units go to a call. The response type names the slots (a community
//! team; a community team and a police unit; an ambulance; …), and each slot is filled by a
//! unit already on the call, or else by the best free unit that fits it — ranked by distance,
//! then time available, community teams with a clinician or a medic first — each with the
//! reason in words.

use super::call::Call;
use super::ids::Callsign;
use super::place::distance_km;
use super::state::State;
use super::triage::{ResponseType, Slot};
use super::vocab::{Capability, UnitStatus};

/// Without coordinates, a unit in the call's zone counts as this near, one elsewhere this far.
const SAME_ZONE_KM: f64 = 1.0;
const UNKNOWN_KM: f64 = 5.0;
const OTHER_ZONE_KM: f64 = 10.0;
/// Free units shown after the one a slot takes, so the dispatcher sees the choice.
const OTHERS_SHOWN: usize = 2;

#[derive(Clone, Debug, PartialEq)]
pub enum Distance {
    Km(f64),
    SameZone,
    OtherZone,
    Unknown,
}

impl Distance {
    fn sort_km(&self) -> f64 {
        match self {
            Distance::Km(km) => *km,
            Distance::SameZone => SAME_ZONE_KM,
            Distance::OtherZone => OTHER_ZONE_KM,
            Distance::Unknown => UNKNOWN_KM,
        }
    }

    pub fn words(&self) -> String {
        match self {
            Distance::Km(km) => format!("{km:.1} km"),
            Distance::SameZone => "same zone".to_owned(),
            Distance::OtherZone => "other zone".to_owned(),
            Distance::Unknown => "distance unknown".to_owned(),
        }
    }
}

/// A free unit that fits a slot, with what ranks it.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    pub unit: Callsign,
    pub capabilities: Vec<Capability>,
    pub distance: Distance,
    /// How long the unit has been available.
    pub idle_ms: i64,
    /// A community team without a clinician or a medic (peer workers, EMTs): it fills the slot,
    /// after the teams the protocol prefers.
    pub second_choice: bool,
}

impl Ranked {
    /// "STAR-3: clinician+medic, 1.2 km, available 14 min"
    pub fn explain(&self) -> String {
        let caps: Vec<&str> = self.capabilities.iter().map(|c| c.word()).collect();
        let mut line = format!(
            "{}: {}, {}, available {} min",
            self.unit,
            caps.join("+"),
            self.distance.words(),
            self.idle_ms / 60_000
        );
        if self.second_choice {
            line.push_str(" (no clinician or medic aboard)");
        }
        line
    }
}

/// How one slot of a plan is filled.
#[derive(Clone, Debug, PartialEq)]
pub enum Fill {
    /// A unit working the call already fills it.
    OnCall(Callsign),
    /// This free unit goes.
    Send(Ranked),
    /// No unit on the call or free fits it.
    Missing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SlotPlan {
    pub slot: Slot,
    pub fill: Fill,
    /// The next best free units for the slot.
    pub others: Vec<Ranked>,
}

impl SlotPlan {
    /// "police unit PD-2: police, same zone, available 3 min; next PD-4 other zone",
    /// "ambulance: none free", "community team STAR-1: on the call".
    pub fn explain(&self) -> String {
        let slot = self.slot.word();
        let fill = match &self.fill {
            Fill::OnCall(unit) => format!("{slot} {unit}: on the call"),
            Fill::Send(r) => format!("{slot} {}", r.explain()),
            Fill::Missing => format!("{slot}: none free"),
        };
        let others: Vec<String> = self
            .others
            .iter()
            .map(|r| format!("{} {}", r.unit, r.distance.words()))
            .collect();
        if others.is_empty() {
            fill
        } else {
            format!("{fill}; next {}", others.join(", "))
        }
    }
}

/// Who goes to a call, slot by slot.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponsePlan {
    pub response: ResponseType,
    pub slots: Vec<SlotPlan>,
}

impl ResponsePlan {
    /// The response sends no unit (crisis line, information only).
    pub fn sends_nobody(&self) -> bool {
        self.slots.is_empty()
    }

    /// The free units the plan sends, each once (a co-responder car fills two slots).
    pub fn to_send(&self) -> Vec<&Callsign> {
        let mut units: Vec<&Callsign> = Vec::new();
        for s in &self.slots {
            if let Fill::Send(r) = &s.fill {
                if !units.contains(&&r.unit) {
                    units.push(&r.unit);
                }
            }
        }
        units
    }

    /// Slots no unit fills.
    pub fn missing(&self) -> Vec<Slot> {
        self.slots
            .iter()
            .filter(|s| s.fill == Fill::Missing)
            .map(|s| s.slot)
            .collect()
    }

    /// Every slot is filled by a unit already on the call.
    pub fn is_filled(&self) -> bool {
        self.slots.iter().all(|s| matches!(s.fill, Fill::OnCall(_)))
    }
}

/// Free units that fit `slot` of `response`'s plan for `call`, best first. Busy and
/// out-of-service units are never listed.
pub fn rank(
    state: &State,
    call: &Call,
    slot: Slot,
    response: ResponseType,
    now_ms: i64,
) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = state
        .units
        .values()
        .filter(|u| u.status == UnitStatus::Available && u.call.is_none())
        .filter(|u| slot.fits(&u.capabilities, response))
        .map(|u| {
            let distance = match (&call.coords, &u.position, &call.zone, &u.zone) {
                (Some(c), Some(p), _, _) => Distance::Km(distance_km(c, p)),
                (_, _, Some(cz), Some(uz)) if cz.eq_ignore_ascii_case(uz) => Distance::SameZone,
                (_, _, Some(_), Some(_)) => Distance::OtherZone,
                _ => Distance::Unknown,
            };
            Ranked {
                unit: u.callsign.clone(),
                capabilities: u.capabilities.iter().copied().collect(),
                distance,
                idle_ms: now_ms - state.status_since(u),
                second_choice: slot == Slot::Community
                    && !(u.has(Capability::Clinician) || u.has(Capability::Medic)),
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        a.second_choice
            .cmp(&b.second_choice)
            .then(a.distance.sort_km().total_cmp(&b.distance.sort_km()))
            .then(b.idle_ms.cmp(&a.idle_ms))
            .then(a.unit.cmp(&b.unit))
    });
    ranked
}

/// The plan for `call` worked as `response`: each slot filled by a unit on the call, by a
/// free unit already chosen for an earlier slot that fits this one too, or by the best free
/// unit that fits.
pub fn response_plan(
    state: &State,
    call: &Call,
    response: ResponseType,
    now_ms: i64,
) -> ResponsePlan {
    let on_call: Vec<_> = call
        .active_units()
        .filter_map(|a| state.units.get(&a.unit))
        .collect();
    let mut chosen: Vec<(Ranked, &std::collections::BTreeSet<Capability>)> = Vec::new();
    let mut slots = Vec::new();
    for &slot in response.slots() {
        if let Some(u) = on_call
            .iter()
            .find(|u| slot.fits(&u.capabilities, response))
        {
            slots.push(SlotPlan {
                slot,
                fill: Fill::OnCall(u.callsign.clone()),
                others: Vec::new(),
            });
            continue;
        }
        if let Some((r, _)) = chosen.iter().find(|(_, caps)| slot.fits(caps, response)) {
            slots.push(SlotPlan {
                slot,
                fill: Fill::Send(r.clone()),
                others: Vec::new(),
            });
            continue;
        }
        let mut free: Vec<Ranked> = rank(state, call, slot, response, now_ms)
            .into_iter()
            .filter(|r| chosen.iter().all(|(c, _)| c.unit != r.unit))
            .collect();
        let others = free.split_off(free.len().min(1));
        let fill = match free.pop() {
            Some(best) => {
                if let Some(u) = state.units.get(&best.unit) {
                    chosen.push((best.clone(), &u.capabilities));
                }
                Fill::Send(best)
            }
            None => Fill::Missing,
        };
        slots.push(SlotPlan {
            slot,
            fill,
            others: others.into_iter().take(OTHERS_SHOWN).collect(),
        });
    }
    ResponsePlan { response, slots }
}

/// Whether the units ever dispatched to these calls (a call and its backup calls) fill every
/// slot of `response`'s plan; `None` for a response that sends no unit.
pub fn plan_sent<'a>(
    state: &State,
    calls: impl IntoIterator<Item = &'a Call>,
    response: ResponseType,
) -> Option<bool> {
    let slots = response.slots();
    if slots.is_empty() {
        return None;
    }
    let sent: Vec<_> = calls
        .into_iter()
        .flat_map(|c| c.assignments.iter())
        .filter_map(|a| state.units.get(&a.unit))
        .collect();
    Some(
        slots
            .iter()
            .all(|slot| sent.iter().any(|u| slot.fits(&u.capabilities, response))),
    )
}

/// What the protocol recommends for `call` with `answers` (its own, or as they will be), the
/// cautions that bear on it counted as known ([`super::triage::Protocol::evaluate_known`]).
pub fn recommendation_with(
    state: &State,
    call: &Call,
    answers: &std::collections::BTreeMap<String, String>,
    protocol: &super::triage::Protocol,
) -> super::triage::Recommendation {
    let cautions = super::history::cautions(state, call);
    let texts: Vec<&str> = cautions.iter().map(|c| c.text.as_str()).collect();
    protocol.evaluate_known(answers, call.call_type, &texts)
}

/// The recommendations on record that a new caution `text` on `call` changes: the call's own and
/// those of the other open, triaged calls it bears on (same address or caller), each as it
/// will be with the caution counted.
pub fn moved_by_caution(
    state: &State,
    call: &Call,
    text: &str,
    protocol: &super::triage::Protocol,
) -> Vec<(super::CallId, super::triage::Recommendation)> {
    let bearing = std::iter::once(call).chain(
        state
            .calls
            .values()
            .filter(|c| c.id != call.id && c.is_open() && super::history::bears_on(c, call)),
    );
    bearing
        .filter_map(|c| {
            let before = c.recommendation.as_ref()?;
            let cautions = super::history::cautions(state, c);
            let mut texts: Vec<&str> = cautions.iter().map(|c| c.text.as_str()).collect();
            texts.push(text);
            let after = protocol.evaluate_known(&c.answers, c.call_type, &texts);
            (&after != before).then(|| (c.id.clone(), after))
        })
        .collect()
}

/// What the protocol recommends for `call` now, with its answers and cautions.
pub fn recommendation(
    state: &State,
    call: &Call,
    protocol: &super::triage::Protocol,
) -> super::triage::Recommendation {
    recommendation_with(state, call, &call.answers, protocol)
}

/// The caution that counts as `weapon = yes` for `call` now, if one does: it mentions a weapon,
/// the protocol asks about weapons, and triage has not answered that yes or no.
pub fn weapon_caution_counts(
    state: &State,
    call: &Call,
    protocol: &super::triage::Protocol,
) -> Option<String> {
    use super::triage::WEAPON_QUESTION;
    let answered = matches!(
        call.answers.get(WEAPON_QUESTION).map(String::as_str),
        Some("yes" | "no")
    );
    if answered || !protocol.questions.iter().any(|q| q.id == WEAPON_QUESTION) {
        return None;
    }
    let cautions = super::history::cautions(state, call);
    let texts: Vec<&str> = cautions.iter().map(|c| c.text.as_str()).collect();
    super::triage::weapon_caution(&texts).map(str::to_owned)
}
