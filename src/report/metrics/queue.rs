//! The pending queue as the events move it: the most calls pending at once (the true peak,
//! not a sample), the time-weighted mean, and the peak of every interval, over the window from
//! the period's start (or the interval of the first event, if later) to `min(until, now)`.

use serde::Serialize;

use super::{rfc3339, round4, MINUTE_MS};

/// The queue's peaks are given per interval of this many minutes.
pub const QUEUE_INTERVAL_MINUTES: i64 = 15;
const INTERVAL_MS: i64 = QUEUE_INTERVAL_MINUTES * MINUTE_MS;

/// What the figures say of the pending queue.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PendingQueue {
    /// Where the window (and the first interval) starts.
    pub start: Option<String>,
    pub start_ms: Option<i64>,
    pub every_minutes: i64,
    /// The most calls pending at once in the window, and when it first got there.
    pub max: u32,
    pub max_at: Option<String>,
    pub max_at_ms: Option<i64>,
    /// Calls pending on average over the window (weighted by time).
    pub mean: Option<f64>,
    /// The most calls pending at once in each interval, from `start`.
    pub peaks: Vec<u32>,
}

/// The accumulator's side of it: fed every change of the pending count in fold order.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub(super) struct Queue {
    since: i64,
    until: i64,
    /// Set by the first event.
    start: Option<i64>,
    /// The tally covers `[start, at)`; `level` calls have been pending since `at`.
    at: i64,
    level: u32,
    /// Pending calls × ms over `[start, at)`.
    area: i128,
    max: u32,
    max_at: Option<i64>,
    peaks: Vec<u32>,
}

impl Queue {
    pub(super) fn new(since: i64, until: i64) -> Self {
        Queue {
            since,
            until,
            start: None,
            at: since,
            level: 0,
            area: 0,
            max: 0,
            max_at: None,
            peaks: Vec::new(),
        }
    }

    /// The pending count after an event at `t` (call it after every event, changed or not).
    pub(super) fn set(&mut self, t: i64, level: u32) {
        let start = *self.start.get_or_insert_with(|| {
            let start = if t <= self.since {
                self.since
            } else {
                self.since + (t - self.since) / INTERVAL_MS * INTERVAL_MS
            };
            self.at = start;
            start
        });
        self.advance(t);
        self.level = level;
        if (start..self.until).contains(&t) {
            self.mark(t, level);
        }
    }

    /// Accounts the current level up to `to` (held to the end of the window at most).
    fn advance(&mut self, to: i64) {
        let Some(start) = self.start else { return };
        let to = to.min(self.until);
        if to <= self.at {
            return;
        }
        self.area += i128::from(self.level) * i128::from(to - self.at);
        let (first, last) = (
            (self.at - start) / INTERVAL_MS,
            (to - 1 - start) / INTERVAL_MS,
        );
        let from = self.at;
        for bucket in first..=last {
            let t = (start + bucket * INTERVAL_MS).max(from);
            self.mark(t, self.level);
        }
        self.at = to;
    }

    fn mark(&mut self, t: i64, level: u32) {
        let Some(start) = self.start else { return };
        let bucket = ((t - start) / INTERVAL_MS) as usize;
        if self.peaks.len() <= bucket {
            self.peaks.resize(bucket + 1, 0);
        }
        self.peaks[bucket] = self.peaks[bucket].max(level);
        if level > self.max {
            self.max = level;
            self.max_at = Some(t);
        }
    }

    /// The figures as of `now`.
    pub(super) fn summary(&self, now_ms: i64) -> PendingQueue {
        let mut q = self.clone();
        let empty = PendingQueue {
            every_minutes: QUEUE_INTERVAL_MINUTES,
            ..PendingQueue::default()
        };
        let Some(start) = q.start else {
            return empty;
        };
        if now_ms <= start || start >= q.until {
            return empty;
        }
        q.advance(now_ms);
        let span = q.at - start;
        PendingQueue {
            start: Some(rfc3339(start)),
            start_ms: Some(start),
            every_minutes: QUEUE_INTERVAL_MINUTES,
            max: q.max,
            max_at: q.max_at.map(rfc3339),
            max_at_ms: q.max_at,
            mean: (span > 0).then(|| round4(q.area as f64 / span as f64)),
            peaks: q.peaks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_between_grid_points_is_its_true_peak() {
        // Eight calls pend between minute 2 and minute 10 of the first interval, then clear.
        let mut q = Queue::new(0, 60 * MINUTE_MS);
        q.set(0, 0);
        for n in 1..=8 {
            q.set(2 * MINUTE_MS + i64::from(n) * 1000, n);
        }
        q.set(10 * MINUTE_MS, 0);
        let s = q.summary(60 * MINUTE_MS);
        assert_eq!(s.max, 8);
        assert_eq!(s.max_at_ms, Some(2 * MINUTE_MS + 8000));
        assert_eq!(s.peaks, [8, 0, 0, 0]);
        // About 8 calls for 8 minutes in 60: a mean a little over 1.
        let mean = s.mean.unwrap_or_default();
        assert!((1.0..1.1).contains(&mean), "{mean}");
    }

    #[test]
    fn a_queue_carried_into_the_window_counts_from_its_start() {
        let mut q = Queue::new(30 * MINUTE_MS, 90 * MINUTE_MS);
        q.set(0, 2);
        q.set(50 * MINUTE_MS, 1);
        let s = q.summary(200 * MINUTE_MS);
        assert_eq!(s.start_ms, Some(30 * MINUTE_MS));
        assert_eq!((s.max, s.max_at_ms), (2, Some(30 * MINUTE_MS)));
        assert_eq!(s.peaks, [2, 2, 1, 1]);
        // 2 for 20 min, then 1 for 40 min, over 60.
        assert_eq!(s.mean, Some(round4(80.0 / 60.0)));
    }
}
