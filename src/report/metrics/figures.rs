//! The figures of a set of calls: one [`CallFacts`] per call of the period, and [`Figures`]
//! over any group of them (see the definitions in the module docs of `metrics`).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{ratio, GroupBy};
use crate::domain::{
    Agency, CallId, CallType, Callsign, Disposition, ResponseType, UnservedReason,
};

/// The group of calls nobody triaged (no recommendation, no response chosen, no backup).
pub const UNTRIAGED: &str = "untriaged";

/// How much of a call's response plan went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanSent {
    /// A unit went for every slot of the plan.
    Full,
    /// Some unit went, but a slot was never filled (for a one-slot plan: the wrong kind went).
    Short,
    /// No unit went.
    None,
}

impl PlanSent {
    pub fn word(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Short => "short",
            Self::None => "none",
        }
    }
}

/// One call of the period as the figures see it.
#[allow(clippy::struct_excessive_bools)] // a flat record: one field per CSV column
#[derive(Clone, Debug, PartialEq)]
pub struct CallFacts {
    pub id: CallId,
    pub received_ms: i64,
    pub call_type: Option<CallType>,
    pub zone: Option<String>,
    /// First `TriageAnswered` or `Recommended`.
    pub triaged_ms: Option<i64>,
    /// First accepted dispatch.
    pub dispatched_ms: Option<i64>,
    /// Arrival of the first assignment (the first unit dispatched).
    pub arrived_ms: Option<i64>,
    /// When that same first unit set out.
    pub en_route_ms: Option<i64>,
    /// First arrival of any unit.
    pub first_on_scene_ms: Option<i64>,
    /// The last unit clearing, once no unit is left on the call.
    pub cleared_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    /// The response the call was worked as (see the module docs); none when nobody triaged it.
    pub response: Option<ResponseType>,
    /// The protocol's latest recommendation and the rule that decided it.
    pub recommended: Option<ResponseType>,
    pub rule: Option<String>,
    /// The response chosen overrides the recommendation.
    pub overridden: bool,
    /// Units dispatched, each once, in dispatch order.
    pub units: Vec<Callsign>,
    /// A community team was sent (the diversion numerator).
    pub community_team: bool,
    /// A police unit was sent (a co-responder car counts as both).
    pub police_sent: bool,
    /// How much of the response's plan went; none for a response that sends no unit (and for
    /// a call nobody triaged).
    pub plan_sent: Option<PlanSent>,
    /// The plan's slots no unit sent filled, in the plan's words.
    pub short_of: Vec<&'static str>,
    pub eligible: bool,
    /// The first unit dispatched cleared before it arrived.
    pub cleared_without_arrival: bool,
    /// Set only on a closed call.
    pub disposition: Option<Disposition>,
    /// The unserved reason of the last close; only on a closed call.
    pub unserved: Option<UnservedReason>,
    /// Backup requested, by agency, in order.
    pub backups: Vec<Agency>,
    /// Times the call was put on hold.
    pub holds: u32,
    /// Units told to disregard it on their way; statuses on it taken back.
    pub disregarded: u32,
    pub corrected: u32,
    /// Duplicates merged into it.
    pub merged_in: u32,
    pub(super) address: String,
    pub(super) caller: String,
}

fn span(from: Option<i64>, to: Option<i64>) -> Option<i64> {
    Some((to? - from?).max(0))
}

impl CallFacts {
    pub fn received_to_triaged_ms(&self) -> Option<i64> {
        span(Some(self.received_ms), self.triaged_ms)
    }

    pub fn received_to_dispatched_ms(&self) -> Option<i64> {
        span(Some(self.received_ms), self.dispatched_ms)
    }

    pub fn dispatched_to_en_route_ms(&self) -> Option<i64> {
        span(self.dispatched_ms, self.en_route_ms)
    }

    pub fn dispatched_to_on_scene_ms(&self) -> Option<i64> {
        span(self.dispatched_ms, self.arrived_ms)
    }

    pub fn on_scene_to_clear_ms(&self) -> Option<i64> {
        span(self.first_on_scene_ms, self.cleared_ms)
    }

    pub fn received_to_closed_ms(&self) -> Option<i64> {
        span(Some(self.received_ms), self.closed_ms)
    }

    pub fn handled(&self) -> bool {
        self.dispatched_ms.is_some()
    }

    /// The response's word, or [`UNTRIAGED`].
    pub fn response_key(&self) -> &'static str {
        self.response.map_or(UNTRIAGED, ResponseType::word)
    }

    pub(super) fn group_keys(&self, by: GroupBy) -> Vec<String> {
        match by {
            GroupBy::Type => vec![self
                .call_type
                .map_or_else(|| "untyped".to_owned(), |t| t.word().to_owned())],
            GroupBy::Response => vec![self.response_key().to_owned()],
            GroupBy::Zone => vec![self.zone.clone().unwrap_or_else(|| "none".to_owned())],
            GroupBy::Unit if self.units.is_empty() => vec!["none".to_owned()],
            GroupBy::Unit => self.units.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The value at rank `ceil(p/100 × n)` of a sorted list.
pub(super) fn nearest_rank(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The period's calls, as the figures count them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Volumes {
    pub received: u64,
    pub closed: u64,
    /// Not closed as of the summary (including calls waiting for a disposition).
    pub open: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diversion {
    /// Calls with a unit dispatched.
    pub handled: u64,
    /// Calls with a response or a unit dispatched: the diversion rate's denominator.
    pub with_response: u64,
    /// Calls a community team was sent to, whatever was recommended: the diversion rate's
    /// numerator.
    pub community_team: u64,
    /// Of those, with no police unit sent.
    pub community_alone: u64,
    /// Of those, with a police unit sent too (a pair, or a co-responder car).
    pub co_response: u64,
    /// `community_team / with_response`; none when nothing had a response.
    pub diversion_rate: Option<f64>,
    /// Calls by the response they were worked as (`untriaged` when nobody triaged them);
    /// the groups add up to the calls received.
    pub by_response: BTreeMap<String, u64>,
}

/// Units sent per response plan: for the calls worked as one response, how often a unit went
/// for every slot of its plan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PlanFigures {
    pub calls: u64,
    /// A unit went for every slot.
    pub in_full: u64,
    /// Some unit went, but not for every slot.
    pub short: u64,
    /// No unit went (including calls still waiting).
    pub none_sent: u64,
    /// Calls sent short or not at all, by the slot left empty.
    pub short_of: BTreeMap<String, u64>,
    /// Units dispatched to these calls, each unit once per call.
    pub units_sent: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Backup {
    /// `BackupRequested` events of the period's calls.
    pub requests: u64,
    pub police: u64,
    pub ems: u64,
    pub fire: u64,
    /// `requests / handled`.
    pub rate_per_handled_call: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Unserved {
    pub eligible: u64,
    /// Eligible, closed, no community team: all reasons, recorded or not.
    pub not_served: u64,
    /// Not served, by the reason code of the close (every code listed).
    pub by_reason: BTreeMap<String, u64>,
    /// Not served and no reason code recorded.
    pub unrecorded: u64,
    /// A community team went, but the close carries a reason code (it waited past its limit).
    pub served_late: u64,
}

/// Median and 90th percentile (nearest rank) of one interval, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stat {
    /// Calls with both ends of the interval.
    pub count: u64,
    pub median_s: Option<f64>,
    pub p90_s: Option<f64>,
    /// The period's calls lacking it (not triaged, not dispatched, not arrived, still open…).
    pub excluded: u64,
}

impl Stat {
    fn of(calls: &[&CallFacts], interval: impl Fn(&CallFacts) -> Option<i64>) -> Stat {
        let mut values: Vec<i64> = calls.iter().filter_map(|c| interval(c)).collect();
        values.sort_unstable();
        let seconds = |ms: Option<i64>| ms.map(|ms| ms as f64 / 1000.0);
        Stat {
            count: values.len() as u64,
            median_s: seconds(nearest_rank(&values, 50)),
            p90_s: seconds(nearest_rank(&values, 90)),
            excluded: (calls.len() - values.len()) as u64,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Times {
    pub received_to_triaged: Stat,
    pub received_to_dispatched: Stat,
    pub dispatched_to_en_route: Stat,
    pub dispatched_to_on_scene: Stat,
    pub on_scene_to_clear: Stat,
    pub received_to_closed: Stat,
    /// Calls whose first unit cleared before arriving (excluded from dispatched → on scene).
    pub cleared_without_arrival: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Repeats {
    /// Addresses with two or more of the calls.
    pub addresses: u64,
    /// Calls at those addresses.
    pub address_calls: u64,
    /// Callback numbers with two or more of the calls.
    pub callers: u64,
    pub caller_calls: u64,
}

/// The call figures of one group (or of all the period's calls).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub calls: Volumes,
    pub response: Diversion,
    /// Per response (`untriaged` included, for the units sent), the plans sent.
    pub plans: BTreeMap<String, PlanFigures>,
    pub backup: Backup,
    pub unserved: Unserved,
    pub times: Times,
    /// Closed calls by disposition (every disposition listed).
    pub dispositions: BTreeMap<String, u64>,
    pub repeats: Repeats,
    pub holds: Holds,
    pub corrections: Corrections,
}

/// Mistakes set right (`disregard`, `correct`), counted so that the times they leave out are
/// accounted for.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Corrections {
    pub units_disregarded: u64,
    pub statuses_corrected: u64,
    /// Calls closed as duplicates into the period's calls (not counted as calls received).
    pub duplicates_merged: u64,
}

/// Pending calls put on hold (`hold`): how often, and how many calls.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Holds {
    pub holds: u64,
    pub calls_held: u64,
}

fn repeats<'a>(keys: impl Iterator<Item = &'a str>) -> (u64, u64) {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for k in keys.filter(|k| !k.is_empty()) {
        *counts.entry(k).or_default() += 1;
    }
    counts
        .values()
        .filter(|&&n| n >= 2)
        .fold((0, 0), |(places, calls), &n| (places + 1, calls + n))
}

pub(super) fn figures(calls: &[&CallFacts]) -> Figures {
    let count = |f: &dyn Fn(&CallFacts) -> bool| calls.iter().filter(|c| f(c)).count() as u64;
    let received = calls.len() as u64;
    let closed = count(&|c| c.closed_ms.is_some());
    let handled = count(&CallFacts::handled);
    let with_response = count(&|c| c.response.is_some() || c.handled());
    let community_team = count(&|c| c.community_team);
    let mut by_response: BTreeMap<String, u64> = BTreeMap::new();
    let mut plans: BTreeMap<String, PlanFigures> = BTreeMap::new();
    for c in calls {
        *by_response.entry(c.response_key().to_owned()).or_default() += 1;
        let plan = plans.entry(c.response_key().to_owned()).or_default();
        plan.calls += 1;
        plan.units_sent += c.units.len() as u64;
        match c.plan_sent {
            Some(PlanSent::Full) => plan.in_full += 1,
            Some(PlanSent::Short) => plan.short += 1,
            Some(PlanSent::None) => plan.none_sent += 1,
            None => {}
        }
        for slot in &c.short_of {
            *plan.short_of.entry((*slot).to_owned()).or_default() += 1;
        }
    }
    let agency = |a: Agency| {
        calls
            .iter()
            .map(|c| c.backups.iter().filter(|b| **b == a).count() as u64)
            .sum::<u64>()
    };
    let requests: u64 = calls.iter().map(|c| c.backups.len() as u64).sum();
    let mut by_reason: BTreeMap<String, u64> = UnservedReason::ALL
        .iter()
        .map(|r| (r.word().to_owned(), 0))
        .collect();
    let not_served: Vec<&&CallFacts> = calls
        .iter()
        .filter(|c| c.eligible && c.closed_ms.is_some() && !c.community_team)
        .collect();
    for c in &not_served {
        if let Some(r) = c.unserved {
            *by_reason.entry(r.word().to_owned()).or_default() += 1;
        }
    }
    let mut dispositions: BTreeMap<String, u64> = Disposition::ALL
        .iter()
        .map(|d| (d.word().to_owned(), 0))
        .collect();
    for d in calls.iter().filter_map(|c| c.disposition) {
        *dispositions.entry(d.word().to_owned()).or_default() += 1;
    }
    let (addresses, address_calls) = repeats(calls.iter().map(|c| c.address.as_str()));
    let (callers, caller_calls) = repeats(calls.iter().map(|c| c.caller.as_str()));
    Figures {
        calls: Volumes {
            received,
            closed,
            open: received - closed,
        },
        response: Diversion {
            handled,
            with_response,
            community_team,
            community_alone: count(&|c| c.community_team && !c.police_sent),
            co_response: count(&|c| c.community_team && c.police_sent),
            diversion_rate: ratio(community_team, with_response),
            by_response,
        },
        plans,
        backup: Backup {
            requests,
            police: agency(Agency::Police),
            ems: agency(Agency::Ems),
            fire: agency(Agency::Fire),
            rate_per_handled_call: ratio(requests, handled),
        },
        unserved: Unserved {
            eligible: count(&|c| c.eligible),
            not_served: not_served.len() as u64,
            by_reason,
            unrecorded: not_served.iter().filter(|c| c.unserved.is_none()).count() as u64,
            served_late: count(&|c| c.community_team && c.unserved.is_some()),
        },
        times: Times {
            received_to_triaged: Stat::of(calls, CallFacts::received_to_triaged_ms),
            received_to_dispatched: Stat::of(calls, CallFacts::received_to_dispatched_ms),
            dispatched_to_en_route: Stat::of(calls, CallFacts::dispatched_to_en_route_ms),
            dispatched_to_on_scene: Stat::of(calls, CallFacts::dispatched_to_on_scene_ms),
            on_scene_to_clear: Stat::of(calls, CallFacts::on_scene_to_clear_ms),
            received_to_closed: Stat::of(calls, CallFacts::received_to_closed_ms),
            cleared_without_arrival: count(&|c| c.cleared_without_arrival),
        },
        dispositions,
        repeats: Repeats {
            addresses,
            address_calls,
            callers,
            caller_calls,
        },
        holds: Holds {
            holds: calls.iter().map(|c| u64::from(c.holds)).sum(),
            calls_held: count(&|c| c.holds > 0),
        },
        corrections: Corrections {
            units_disregarded: calls.iter().map(|c| u64::from(c.disregarded)).sum(),
            statuses_corrected: calls.iter().map(|c| u64::from(c.corrected)).sum(),
            duplicates_merged: calls.iter().map(|c| u64::from(c.merged_in)).sum(),
        },
    }
}
