//! A period's figures read from the store: from the last mark before the period (a running
//! tally kept at the end of a day, [`crate::store::marks`]) through the events after it, in
//! fold order, by the store's fold-order index. A 7-day report on a three-year store reads
//! about a week of events, not three years (issue 13: reports read their period).
//!
//! The walk keeps a mark at each midnight (UTC) it passes, so the next report of a later
//! period starts nearer; the first report on a store walks from its first event and leaves
//! the marks for all later ones. Closed calls no unit is on are let go at each midnight, as a
//! mark drops them, so the walk's memory is the period's calls and the open work, and a call
//! let go is filed back in from its own events when a later event names it.
//!
//! A serving desk walks in steps ([`Tally::step`]), letting go of its lock between them so
//! that dispatch never waits on a report; a peer's late event between two steps (one that
//! sorts before where the walk is) starts the walk again.

use super::metrics::{Carry, GroupBy, Metrics, Period};
use crate::domain::{CallId, Event, Policy};
use crate::store::marks::Mark;
use crate::store::{Store, StoreError};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The first midnight (UTC) after `wall_ms`.
fn midnight_after(wall_ms: i64) -> i64 {
    (wall_ms.div_euclid(DAY_MS) + 1) * DAY_MS
}

/// What a walk read, for the bench and the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// Where it started: the wall time of the mark it took up, if any.
    pub from_mark: Option<i64>,
    /// Events it read.
    pub events: u64,
    /// Calls it filed back in from their own events.
    pub filed_in: u64,
    /// Marks it kept.
    pub marks: u64,
}

/// A walk under way.
pub struct Tally {
    period: Period,
    policy: Policy,
    by: Option<GroupBy>,
    metrics: Metrics,
    /// The latest wall time taken.
    wall: i64,
    next_midnight: i64,
    /// The store's count of late commits when the walk last read it.
    late: u64,
    walk: Walk,
}

impl Tally {
    /// A walk for `period`, from the last good mark before it.
    pub fn start(
        store: &Store,
        period: Period,
        policy: &Policy,
        by: Option<GroupBy>,
    ) -> Result<Tally, StoreError> {
        let carry = store
            .mark_before(period.since_ms)?
            .and_then(|m| Carry::decode(&m.bytes).filter(|c| c.last() == Some(m.at)));
        let from_mark = carry.as_ref().map(Carry::wall_ms);
        let mut metrics = match carry {
            Some(c) => Metrics::resume(c, period, policy),
            None => Metrics::new(period, policy),
        };
        if let Some(by) = by {
            metrics = metrics.grouped(by);
        }
        let latest = from_mark.unwrap_or(i64::MIN);
        let next_midnight = from_mark.map_or(i64::MIN, midnight_after);
        Ok(Tally {
            period,
            policy: policy.clone(),
            by,
            metrics,
            wall: latest,
            next_midnight,
            late: store.late_commits(),
            walk: Walk {
                from_mark,
                ..Walk::default()
            },
        })
    }

    /// Reads up to `most` more events; true once it has read to the end of the log.
    pub fn step(&mut self, store: &Store, most: u64) -> Result<bool, StoreError> {
        let passed = match store.late_since(self.late) {
            Some(earliest) => earliest
                .zip(self.metrics.last())
                .is_some_and(|(e, at)| e <= at),
            None => true,
        };
        if passed {
            *self = Tally::start(store, self.period, &self.policy, self.by)?;
        }
        self.late = store.late_commits();
        let mut marks = Vec::new();
        let mut failed = None;
        let mut read = 0;
        store.events_in_fold_order(self.metrics.last(), Metrics::reads_text, |e| {
            if read == most {
                return false;
            }
            read += 1;
            if let Err(err) = self.take(store, &e, &mut marks) {
                failed = Some(err);
                return false;
            }
            true
        })?;
        if let Some(err) = failed {
            return Err(err);
        }
        self.walk.marks += marks.len() as u64;
        store.keep_marks(&marks)?;
        Ok(read < most)
    }

    fn take(&mut self, store: &Store, e: &Event, marks: &mut Vec<Mark>) -> Result<(), StoreError> {
        if e.wall_ms >= self.next_midnight {
            if let Some(at) = self.metrics.last() {
                // A walk over days an earlier report walked finds their marks kept.
                if !store.has_mark(self.wall, at)? {
                    marks.push(Mark {
                        wall_ms: self.wall,
                        at,
                        bytes: self.metrics.carry(self.wall).encode(),
                    });
                }
                self.metrics.let_go();
            }
            self.next_midnight = midnight_after(e.wall_ms.max(self.wall));
        }
        for call in self.metrics.missing_calls(e) {
            // Most are calls this event creates: one look at the index says nothing came before.
            let first = store.first_call_event(&call)?;
            if first.is_some_and(|first| first < e.fold_key()) {
                let before = earlier_events(store, &call, e)?;
                self.metrics.file_in(&call, &before);
                self.walk.filed_in += 1;
            }
        }
        self.wall = self.wall.max(e.wall_ms);
        self.metrics.add(e);
        self.walk.events += 1;
        Ok(())
    }

    /// The figures, once the walk is done.
    pub fn finish(self) -> (Metrics, Walk) {
        (self.metrics, self.walk)
    }
}

/// The figures of `period` from `store`, in one walk, with what it read.
pub fn figures(
    store: &Store,
    period: Period,
    policy: &Policy,
    by: Option<GroupBy>,
) -> Result<(Metrics, Walk), StoreError> {
    let mut tally = Tally::start(store, period, policy, by)?;
    while !tally.step(store, u64::MAX)? {}
    Ok(tally.finish())
}

/// `call`'s events that sort before `e`, in fold order.
fn earlier_events(store: &Store, call: &CallId, e: &Event) -> Result<Vec<Event>, StoreError> {
    let mut events = store.chronology(call)?;
    events.retain(|earlier| earlier.fold_key() < e.fold_key());
    Ok(events)
}
