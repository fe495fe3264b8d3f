//! The alarms in force (calls waiting too long, late check-ins), the alarm key that visits
//! them, and the dashboard's figures.

use crate::domain::{CallId, Callsign};
use crate::report::metrics::{Period, Summary};

use super::{Alarms, App, Message, Tone};

impl App {
    /// The alarms in force, in the order the alarm key visits them: calls waiting longer than
    /// their priority allows (most urgent first), then units late to check in (escalated first),
    /// then units past their status timer.
    pub fn alarms(&self, now_ms: i64) -> Alarms {
        let state = self.state();
        let waiting = state
            .queue()
            .iter()
            .filter(|c| self.overdue(c, now_ms))
            .map(|c| c.id.clone())
            .collect();
        let mut late: Vec<(Callsign, bool)> = state
            .units
            .values()
            .filter_map(|u| match self.check_in(u, now_ms) {
                Some(crate::domain::safety::Check::Overdue(_)) => Some((u.callsign.clone(), false)),
                Some(crate::domain::safety::Check::Escalated(_)) => {
                    Some((u.callsign.clone(), true))
                }
                _ => None,
            })
            .collect();
        late.sort_by_key(|(u, escalated)| (!escalated, u.clone()));
        let mut timers: Vec<(Callsign, crate::domain::safety::StatusTimer)> = state
            .units
            .values()
            .filter_map(|u| {
                self.status_timer(u)
                    .filter(|t| t.is_over(now_ms))
                    .map(|t| (u.callsign.clone(), t))
            })
            .collect();
        timers.sort_by_key(|(u, t)| (t.status, u.clone()));
        Alarms {
            waiting,
            late,
            timers,
        }
    }

    /// Selects the alarm after the selection's, round the list.
    pub(super) fn next_alarm(&mut self) {
        let alarms = self.alarms(self.now_ms());
        let mut targets: Vec<(Option<CallId>, Option<Callsign>)> = alarms
            .waiting
            .iter()
            .map(|c| (Some(c.clone()), None))
            .collect();
        for unit in alarms
            .late
            .iter()
            .map(|(u, _)| u)
            .chain(alarms.timers.iter().map(|(u, _)| u))
        {
            let call = self.state().units.get(unit).and_then(|u| u.call.clone());
            targets.push((call, Some(unit.clone())));
        }
        if targets.is_empty() {
            self.ui.message = Some(Message {
                tone: Tone::Hint,
                text: "no alarms: no call waits too long, every check-in is on time and no unit \
                       is past its status timer"
                    .into(),
            });
            return;
        }
        // From the alarm visited last, while the selection is still on it; else the first.
        let call = self.selected_call().map(|c| c.id.clone());
        let unit = self.selected_unit().map(|u| u.callsign.clone());
        let at = self.ui.last_alarm.as_ref().and_then(|last| {
            let (c, u) = last;
            let still = (c.is_none() || *c == call) && (u.is_none() || *u == unit);
            targets.iter().position(|t| t == last).filter(|_| still)
        });
        let (to_call, to_unit) = targets[at.map_or(0, |i| (i + 1) % targets.len())].clone();
        self.ui.last_alarm = Some((to_call.clone(), to_unit.clone()));
        let timer = to_unit
            .as_ref()
            .and_then(|u| alarms.timers.iter().find(|(t, _)| t == u))
            .map(|(_, t)| t.words());
        let what = match (&to_unit, &to_call) {
            (Some(u), _) if alarms.late.iter().all(|(l, _)| l != u) => {
                format!("{u} {}", timer.unwrap_or("status long"))
            }
            (Some(u), _) => format!("{u} check-in late"),
            (None, Some(c)) => format!("{c} waiting long"),
            (None, None) => String::new(),
        };
        if to_call.is_some() {
            self.ui.call = to_call;
            self.chronology = None;
        }
        if to_unit.is_some() {
            self.ui.unit = to_unit;
        }
        self.ui.message = Some(Message {
            tone: Tone::Hint,
            text: format!("Alarm: {what}"),
        });
    }

    /// The dashboard's figures as of now, when it is open.
    pub fn dashboard(&self) -> Option<Summary> {
        self.metrics
            .as_ref()
            .filter(|_| self.ui.dashboard)
            .map(|m| m.summary(self.now_ms()))
    }

    /// Adds events as they commit to the dashboard's figures; figures that cannot follow
    /// one (see [`crate::report::metrics::Metrics::follow`]) are read again.
    pub(super) fn follow_figures(&mut self, events: &[crate::domain::Event]) {
        let Some(metrics) = &mut self.metrics else {
            return;
        };
        if !events.iter().all(|e| metrics.follow(e)) {
            self.metrics = None;
            if self.ui.dashboard {
                self.open_dashboard();
            }
        }
    }

    /// Reads the log once for the last 24 hours; later events are added as they are committed.
    pub(super) fn open_dashboard(&mut self) {
        const DAY_MS: i64 = 24 * 3_600_000;
        let now = self.now_ms();
        let stale = self
            .metrics
            .as_ref()
            .is_none_or(|m| now - m.period().since_ms > DAY_MS + 3_600_000);
        if stale {
            let mut period = Period::new(now - DAY_MS, now + 30 * DAY_MS);
            if !self.options.utc {
                period = period.in_local_hours();
            }
            match self.desk.figures(period, None) {
                Ok(metrics) => self.metrics = Some(metrics),
                Err(e) => {
                    self.refuse(format!("cannot read the log for the dashboard: {e}"));
                    return;
                }
            }
        }
        self.ui.dashboard = true;
    }
}
