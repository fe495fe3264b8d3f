//! Reading the figures out of the accumulator: each call of the period as [`CallFacts`], and
//! the [`Summary`] of every figure as of a moment.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::figures::{self, CallFacts, Figures, PlanSent};
use super::{
    caller_key, ratio, rfc3339, status_index, CallRecord, GroupBy, Hours, Metrics, PendingQueue,
    Safety, SafetyTally,
};
use crate::domain::history::address_key;
use crate::domain::triage::is_community_team;
use crate::domain::{CallId, Callsign, Capability, ResponseType, UnitStatus};

impl Metrics {
    fn facts(&self, id: &CallId, c: &CallRecord) -> CallFacts {
        let response = c.response();
        // A unit told to disregard on its way neither answered the call nor served it.
        let went = || c.assignments.iter().filter(|a| !a.disregarded);
        let first = went().next();
        let active = c.assignments.iter().any(|a| a.cleared_ms.is_none());
        let mut units: Vec<Callsign> = Vec::new();
        for a in went() {
            if !units.contains(&a.unit) {
                units.push(a.unit.clone());
            }
        }
        let sent: Vec<&BTreeSet<Capability>> = units
            .iter()
            .filter_map(|u| self.units.get(u))
            .map(|u| &u.capabilities)
            .collect();
        let community_team = sent.iter().any(|caps| is_community_team(caps));
        let (plan_sent, short_of) = match response {
            Some(r) if !r.slots().is_empty() => {
                let short: Vec<&'static str> = r
                    .slots()
                    .iter()
                    .filter(|slot| !sent.iter().any(|caps| slot.fits(caps, r)))
                    .map(|slot| slot.word())
                    .collect();
                let outcome = if sent.is_empty() {
                    PlanSent::None
                } else if short.is_empty() {
                    PlanSent::Full
                } else {
                    PlanSent::Short
                };
                (Some(outcome), short)
            }
            _ => (None, Vec::new()),
        };
        CallFacts {
            id: id.clone(),
            received_ms: c.received_ms,
            call_type: c.call_type,
            zone: c.zone.clone(),
            triaged_ms: c.triaged_ms,
            dispatched_ms: first.map(|a| a.dispatched_ms),
            arrived_ms: first.and_then(|a| a.on_scene_ms),
            en_route_ms: first.and_then(|a| a.en_route_ms),
            first_on_scene_ms: c.assignments.iter().filter_map(|a| a.on_scene_ms).min(),
            cleared_ms: if active {
                None
            } else {
                c.assignments.iter().filter_map(|a| a.cleared_ms).max()
            },
            closed_ms: c.closed_ms,
            response,
            recommended: c.recommended.as_ref().map(|r| r.0),
            rule: c.recommended.as_ref().map(|r| r.1.clone()),
            overridden: c.overridden,
            community_team,
            police_sent: sent.iter().any(|caps| caps.contains(&Capability::Police)),
            plan_sent,
            short_of,
            units,
            eligible: (c.backup_for.is_none()
                && c.recommended.as_ref().map(|r| r.0) == Some(ResponseType::Community))
                || (c.closed_ms.is_some() && c.unserved.is_some()),
            cleared_without_arrival: first
                .is_some_and(|a| a.on_scene_ms.is_none() && a.cleared_ms.is_some()),
            disposition: c.closed_ms.and(c.disposition),
            unserved: c.closed_ms.and(c.unserved),
            backups: c.backups.clone(),
            holds: c.holds,
            disregarded: c.disregarded,
            merged_in: c.merged_in,
            corrected: c.corrected,
            address: address_key(&c.location),
            caller: c.callback.as_deref().map(caller_key).unwrap_or_default(),
        }
    }

    /// The period's calls (received in it, not created by `backup`, not closed as a duplicate
    /// of another), oldest first.
    pub fn calls(&self) -> Vec<CallFacts> {
        let mut out: Vec<CallFacts> = self
            .calls
            .iter()
            .filter(|(_, c)| c.in_period && c.backup_for.is_none())
            .filter(|(_, c)| {
                !(c.closed_ms.is_some()
                    && c.disposition == Some(crate::domain::Disposition::Duplicate))
            })
            .map(|(id, c)| self.facts(id, c))
            .collect();
        out.sort_by(|a, b| (a.received_ms, &a.id).cmp(&(b.received_ms, &b.id)));
        out
    }

    /// The figures as of `now_ms`.
    pub fn summary(&self, now_ms: i64) -> Summary {
        let calls = self.calls();
        let all: Vec<&CallFacts> = calls.iter().collect();
        let total = figures::figures(&all);
        let mut groups: BTreeMap<String, Figures> = BTreeMap::new();
        if let Some(by) = self.by {
            let mut members: BTreeMap<String, Vec<&CallFacts>> = BTreeMap::new();
            for c in &calls {
                for key in c.group_keys(by) {
                    members.entry(key).or_default().push(c);
                }
            }
            groups = members
                .into_iter()
                .map(|(k, v)| (k, figures::figures(&v)))
                .collect();
        }
        let end = now_ms.min(self.period.until_ms);
        let mut units = BTreeMap::new();
        let mut safety = SafetyTally::default();
        for (callsign, u) in &self.units {
            let mut in_status = u.in_status_ms;
            in_status[status_index(u.status)] += self.period.clip(u.status_ms, end, end);
            let mut tally = u.safety;
            tally.add(&self.open_window(u, now_ms));
            safety.add(&tally);
            let roster: i64 = in_status.iter().sum();
            units.insert(
                callsign.to_string(),
                UnitFigures {
                    on_roster_s: roster as f64 / 1000.0,
                    status_share: UnitStatus::ALL
                        .iter()
                        .zip(in_status)
                        .map(|(s, ms)| (s.word(), ratio(ms as u64, roster as u64)))
                        .collect(),
                    safety: Safety::from(tally),
                },
            );
        }
        let mut calls_by_hour = vec![0u64; 24];
        for c in &calls {
            calls_by_hour[self.period.hour_of_day(c.received_ms)] += 1;
        }
        Summary {
            period: PeriodSummary {
                since: rfc3339(self.period.since_ms),
                until: rfc3339(self.period.until_ms),
                as_of: rfc3339(now_ms),
                since_ms: self.period.since_ms,
                until_ms: self.period.until_ms,
                as_of_ms: now_ms,
                hours: self.period.hours,
            },
            events: self.events,
            by: self.by,
            total,
            groups,
            units,
            safety: Safety::from(safety),
            calls_by_hour,
            pending_queue: self.queue.summary(now_ms),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitFigures {
    /// Time on the roster inside the window.
    pub on_roster_s: f64,
    /// Share of that time in each status (AVL, DSP, ENR, ONS, TRN, ATF, OOS).
    pub status_share: BTreeMap<&'static str, Option<f64>>,
    pub safety: Safety,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodSummary {
    pub since: String,
    pub until: String,
    pub as_of: String,
    pub since_ms: i64,
    pub until_ms: i64,
    pub as_of_ms: i64,
    /// The clock of `calls_by_hour`.
    pub hours: Hours,
}

/// Every figure of a period, as of one moment. Serialized with stable keys.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub period: PeriodSummary,
    /// Events taken.
    pub events: u64,
    pub by: Option<GroupBy>,
    pub total: Figures,
    /// Figures per group when grouped (a call may count in several unit groups).
    pub groups: BTreeMap<String, Figures>,
    /// Utilisation and check-ins per unit.
    pub units: BTreeMap<String, UnitFigures>,
    /// Check-ins of all units.
    pub safety: Safety,
    /// The period's calls by hour of day of their received time, 0–23.
    pub calls_by_hour: Vec<u64>,
    pub pending_queue: PendingQueue,
}
