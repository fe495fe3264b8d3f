//! When this node first knew events whose origin's clock was off from its own by more than
//! [`SKEW_LIMIT_MS`]: the ages and alarms of what they did (a call waiting, a unit's time in
//! status, a check-in timer) count from then, not from a time stamped by a wrong clock.
//!
//! These times are this node's own. They are never part of an event (events are hashed and
//! forwarded byte for byte); the store keeps them beside the log and the shell hands them to
//! the state as data, so the fold stays pure and the same on every node.

use std::collections::BTreeMap;

use super::ids::ReplicaId;

/// A peer clock off from ours by more than this is *off*: its events' times are not taken at
/// their word for ages and alarms here.
pub const SKEW_LIMIT_MS: i64 = 60_000;

/// Whether a clock `skew_ms` off ours (theirs minus ours) is off by more than the limit.
pub fn is_off(skew_ms: i64) -> bool {
    skew_ms.saturating_abs() > SKEW_LIMIT_MS
}

/// When this node first knew one event, and how far its origin's clock was off then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    /// This node's clock when the event was first committed here.
    pub at_ms: i64,
    /// The origin's clock minus ours, as measured then (ms).
    pub skew_ms: i64,
}

/// Per event, when this node first knew it: only events whose origin's clock was off.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownHere(BTreeMap<(ReplicaId, u64), Known>);

impl KnownHere {
    /// Records when this node first knew `(origin, seq)`; a later arrival of the same event
    /// changes nothing.
    pub fn insert(&mut self, origin: ReplicaId, seq: u64, known: Known) {
        self.0.entry((origin, seq)).or_insert(known);
    }

    pub fn get(&self, origin: ReplicaId, seq: u64) -> Option<Known> {
        self.0.get(&(origin, seq)).copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (ReplicaId, u64, Known)> + '_ {
        self.0.iter().map(|(&(o, s), &k)| (o, s, k))
    }

    /// When what `(origin, seq)` did counts from here: the time this node first knew it if
    /// its origin's clock was off, else the origin's own `wall_ms`.
    pub fn counted_ms(&self, event: Option<(ReplicaId, u64)>, wall_ms: i64) -> i64 {
        event
            .and_then(|(o, s)| self.get(o, s))
            .map_or(wall_ms, |k| k.at_ms)
    }
}

/// How the chronology marks an event whose origin's clock was off: "clock of KQ was 1h00
/// behind; age counts from 07:45 here". `hhmm` writes a time as the console shows times.
pub fn mark(origin: ReplicaId, known: Known, hhmm: impl Fn(i64) -> String) -> String {
    let off = known.skew_ms.saturating_abs() / 60_000;
    let way = if known.skew_ms < 0 { "behind" } else { "ahead" };
    format!(
        "clock of {} was {}h{:02} {way}; age counts from {} here",
        origin.tag(),
        off / 60,
        off % 60,
        hhmm(known.at_ms)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_within_the_limit_is_taken_at_its_word() {
        let mut known = KnownHere::default();
        assert!(!is_off(59_000) && !is_off(-60_000));
        assert!(is_off(60_001) && is_off(-3_600_000));
        known.insert(
            ReplicaId(7),
            1,
            Known {
                at_ms: 5_000,
                skew_ms: -3_600_000,
            },
        );
        assert_eq!(known.counted_ms(Some((ReplicaId(7), 1)), 1_000), 5_000);
        assert_eq!(known.counted_ms(Some((ReplicaId(7), 2)), 1_000), 1_000);
        assert_eq!(known.counted_ms(None, 1_000), 1_000);
        // The first arrival stands.
        known.insert(
            ReplicaId(7),
            1,
            Known {
                at_ms: 9_000,
                skew_ms: 0,
            },
        );
        assert_eq!(known.get(ReplicaId(7), 1).unwrap().at_ms, 5_000);
    }

    #[test]
    fn the_mark_says_how_far_off_and_from_when() {
        let k = Known {
            at_ms: 0,
            skew_ms: -3_600_000,
        };
        let text = mark(ReplicaId(0x4b51), k, |_| "07:45".into());
        assert!(
            text.ends_with("was 1h00 behind; age counts from 07:45 here"),
            "{text}"
        );
        let k = Known {
            at_ms: 0,
            skew_ms: 600_000,
        };
        assert!(mark(ReplicaId(1), k, |_| "07:45".into()).contains("0h10 ahead"));
    }
}
