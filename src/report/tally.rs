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

use std::collections::HashSet;

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

/// The figures of `period` from `store`, with the walk that read them.
pub fn figures(
    store: &Store,
    period: Period,
    policy: &Policy,
    by: Option<GroupBy>,
) -> Result<(Metrics, Walk), StoreError> {
    let mut walk = Walk::default();
    let carry = store
        .mark_before(period.since_ms)?
        .and_then(|m| Carry::decode(&m.bytes).filter(|c| c.last() == Some(m.at)));
    let (mut metrics, mut wall, after) = match carry {
        Some(c) => {
            walk.from_mark = Some(c.wall_ms());
            let (wall, after) = (c.wall_ms(), c.last());
            (Metrics::resume(c, period, policy), wall, after)
        }
        None => (Metrics::new(period, policy), i64::MIN, None),
    };
    if let Some(by) = by {
        metrics = metrics.grouped(by);
    }
    let mut next_midnight = if after.is_some() {
        midnight_after(wall)
    } else {
        i64::MIN
    };
    let mut marks = Vec::new();
    let mut nowhere: HashSet<CallId> = HashSet::new();
    let mut failed = None;
    store.events_in_fold_order(after, |e| {
        if e.wall_ms >= next_midnight {
            if let Some(at) = metrics.last() {
                marks.push(Mark {
                    wall_ms: wall,
                    at,
                    bytes: metrics.carry(wall).encode(),
                });
                metrics.let_go();
            }
            next_midnight = midnight_after(e.wall_ms.max(wall));
        }
        for call in metrics.missing_calls(&e) {
            if nowhere.contains(&call) {
                continue;
            }
            match earlier_events(store, &call, &e) {
                Ok(before) if before.is_empty() => {
                    nowhere.insert(call);
                }
                Ok(before) => {
                    metrics.file_in(&call, &before);
                    walk.filed_in += 1;
                }
                Err(err) => {
                    failed = Some(err);
                    return false;
                }
            }
        }
        wall = wall.max(e.wall_ms);
        metrics.add(&e);
        walk.events += 1;
        true
    })?;
    if let Some(err) = failed {
        return Err(err);
    }
    walk.marks = marks.len() as u64;
    store.keep_marks(&marks)?;
    Ok((metrics, walk))
}

/// `call`'s events that sort before `e`, in fold order.
fn earlier_events(store: &Store, call: &CallId, e: &Event) -> Result<Vec<Event>, StoreError> {
    let mut out = Vec::new();
    for (origin, seq) in store.call_events(call)? {
        let Some(bytes) = store.event_bytes(origin, seq)? else {
            continue;
        };
        let Ok(earlier) = store.open_event(&bytes) else {
            continue;
        };
        if earlier.fold_key() >= e.fold_key() {
            break;
        }
        out.push(earlier);
    }
    Ok(out)
}
