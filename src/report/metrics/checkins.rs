//! Safety check-ins of units on scene: a tally per unit, judged by the check-in interval in
//! force when each stretch on scene began (see the module docs of `metrics`).

use serde::Serialize;

use super::{ratio, round4, Period, MINUTE_MS};

/// Safety check-in counts, in ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct SafetyTally {
    pub(super) on_time: u64,
    pub(super) late: u64,
    pub(super) overdue_now: u64,
    pub(super) overdue_ms: i64,
    pub(super) escalations: u64,
    /// Stretches judged by the reader's config because the log recorded no limits for them.
    by_config: u64,
}

impl SafetyTally {
    pub(super) fn add(&mut self, other: &SafetyTally) {
        self.on_time += other.on_time;
        self.late += other.late;
        self.overdue_now += other.overdue_now;
        self.overdue_ms += other.overdue_ms;
        self.escalations += other.escalations;
        self.by_config += other.by_config;
    }

    /// A check-in window that opened at `last` and ended at `end`, by a check-in or not,
    /// judged by `interval` (from the reader's config when `by_config`).
    pub(super) fn window(
        &mut self,
        period: &Period,
        (last, end): (i64, i64),
        (interval, by_config): (i64, bool),
        checked_in: bool,
    ) {
        let due = last + interval;
        let counted = if end <= due {
            let on_time = checked_in && period.contains(end);
            self.on_time += u64::from(on_time);
            on_time
        } else if period.contains(due) {
            self.late += 1;
            self.overdue_ms += end - due;
            if end > due + interval {
                self.escalations += 1;
            }
            true
        } else {
            false
        };
        self.by_config += u64::from(counted && by_config);
    }
}

/// Safety check-ins of units on scene (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Safety {
    pub on_time: u64,
    pub late: u64,
    /// Of the late ones, still missing at the summary's time.
    pub overdue_now: u64,
    pub overdue_minutes: f64,
    pub escalations: u64,
    /// `on_time / (on_time + late)`.
    pub on_time_share: Option<f64>,
    /// Of the check-ins counted, those judged by this reader's `config.toml` because the log
    /// records no limits for the desk that saw the unit arrive (a store older than the record).
    pub judged_by_config: u64,
}

impl From<SafetyTally> for Safety {
    fn from(t: SafetyTally) -> Self {
        Safety {
            on_time: t.on_time,
            late: t.late,
            overdue_now: t.overdue_now,
            overdue_minutes: round4(t.overdue_ms as f64 / MINUTE_MS as f64),
            escalations: t.escalations,
            on_time_share: ratio(t.on_time, t.on_time + t.late),
            judged_by_config: t.by_config,
        }
    }
}
