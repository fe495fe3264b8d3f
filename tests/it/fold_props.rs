//! The fold is a function of the set of events: any arrival order, with duplicates, gives the
//! same state; folding twice changes nothing; a refused command changes nothing.

use crate::common::shift;

use proptest::prelude::*;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::event::{hash_bytes, hlc};
use switchboard::domain::{plan, Context, Event, Policy, ReplicaId, State};
use switchboard::store::{Store, StoreKind};

/// A console without a disk: plans against its own view and stamps like the desk does.
struct Replica {
    origin: ReplicaId,
    state: State,
    seq: u64,
    prev: [u8; 32],
    hlc: u64,
    /// Everything this replica has seen, its own and its peers'.
    known: Vec<Event>,
    policy: Policy,
}

impl Replica {
    fn new(n: u64) -> Self {
        Replica {
            origin: ReplicaId(n * 7919 + 1),
            state: State::default(),
            seq: 0,
            prev: [0; 32],
            hlc: 0,
            known: Vec::new(),
            policy: Policy::new(switchboard::config::protocol::shipped()),
        }
    }

    /// Runs a line in which `#N` stands for the N-th call this replica knows (wrapping).
    fn run(&mut self, line: &str, now_ms: i64) -> Vec<Event> {
        let ids: Vec<String> = self.state.calls.keys().map(ToString::to_string).collect();
        let line = shift::refer(line, &ids);
        let Ok(cmd) = switchboard::command::parse(&line) else {
            return vec![];
        };
        let Ok(bodies) = plan(
            &self.state,
            &cmd,
            &Context {
                origin: self.origin,
                now_ms,
                policy: &self.policy,
            },
        ) else {
            return vec![];
        };
        let mut out = Vec::new();
        for body in bodies {
            self.hlc = hlc::next(self.hlc, now_ms);
            self.seq += 1;
            let e = Event {
                origin: self.origin,
                seq: self.seq,
                hlc: self.hlc,
                wall_ms: now_ms,
                prev: self.prev,
                operator: "op".into(),
                body,
                request: None,
                os_user: None,
            };
            self.prev = hash_bytes(&e.encode());
            self.state.apply(&e);
            self.known.push(e.clone());
            out.push(e);
        }
        out
    }

    /// Learns a peer's events: a real replica re-folds when one sorts before what it has.
    fn learn(&mut self, events: &[Event]) {
        for e in events {
            self.hlc = self.hlc.max(e.hlc);
            self.known.push(e.clone());
        }
        self.state = State::fold(self.known.clone());
    }
}

/// Steps of a little shift on up to three consoles: (console, command line, sync after?).
fn shift() -> impl Strategy<Value = Vec<(usize, String, bool)>> {
    prop::collection::vec((0usize..3, shift::line(), prop::bool::weighted(0.4)), 1..60)
}

fn play(steps: &[(usize, String, bool)]) -> Vec<Event> {
    let mut replicas: Vec<Replica> = (0..3).map(Replica::new).collect();
    let mut now = 1_790_000_000_000i64;
    // Every console starts from the same roster and a few calls.
    let mut all: Vec<Event> = Vec::new();
    for line in [
        "unit add STAR-1 clinician,medic",
        "unit add STAR-2 peer,emt",
        "unit add STAR-3 clinician",
    ] {
        now += 1;
        all.extend(replicas[0].run(line, now));
    }
    for r in &mut replicas {
        now += 1;
        all.extend(r.run("call 1 Main St / welfare check", now));
    }
    for r in &mut replicas[1..] {
        let theirs: Vec<Event> = all
            .iter()
            .filter(|e| e.origin != r.origin)
            .cloned()
            .collect();
        r.learn(&theirs);
    }
    for (i, (who, line, sync)) in steps.iter().enumerate() {
        now += 1000 + (i as i64 % 7) * 13;
        let made = replicas[*who].run(line, now);
        all.extend(made);
        if *sync {
            for r in &mut replicas {
                let theirs: Vec<Event> = all
                    .iter()
                    .filter(|e| e.origin != r.origin)
                    .cloned()
                    .collect();
                r.learn(&theirs);
            }
        }
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_order_with_duplicates_gives_the_same_state(
        steps in shift(),
        order in any::<prop::sample::Index>(),
        dups in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let events = play(&steps);
        prop_assume!(!events.is_empty());
        let expected = State::fold(events.clone());

        let mut shuffled = events.clone();
        // A deterministic shuffle driven by the generated index.
        let mut seed = order.index(usize::MAX) as u64 | 1;
        for i in (1..shuffled.len()).rev() {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            shuffled.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        for d in &dups {
            shuffled.push(events[d.index(events.len())].clone());
        }
        let folded = State::fold(shuffled.clone());
        prop_assert_eq!(folded.digest(), expected.digest());
        prop_assert_eq!(&folded, &expected);

        // Idempotent: folding the same events again on top changes nothing.
        let mut again = folded.clone();
        let mut sorted = shuffled;
        sorted.sort_by_key(Event::fold_key);
        for e in &sorted {
            again.apply(e);
        }
        prop_assert_eq!(again.digest(), expected.digest());
    }

    #[test]
    fn incremental_apply_in_order_equals_the_fold(steps in shift()) {
        let mut events = play(&steps);
        events.sort_by_key(Event::fold_key);
        let mut state = State::default();
        for e in &events {
            prop_assert_ne!(state.apply(e), switchboard::domain::Applied::OutOfOrder);
        }
        prop_assert_eq!(state.digest(), State::fold(events).digest());
    }
}

proptest! {
    // Each case commits to real sled with an fsync per command: keep it small.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn a_refused_command_changes_nothing(lines in prop::collection::vec(shift::line(), 1..25)) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), StoreKind::Live).unwrap();
        let clock = ManualClock::at(1_790_000_000_000);
        let mut desk = Desk::open(store, Box::new(clock.clone()), "op").unwrap();
        for line in &lines {
            clock.advance(1000);
            let before = (desk.state().digest(), desk.event_count());
            if desk.execute_line(line).is_err() {
                let after = (desk.state().digest(), desk.event_count());
                prop_assert_eq!(before, after, "{}", line);
            }
        }
        // And what was committed folds back to the same state from disk.
        let digest = desk.state().digest();
        desk.close().unwrap();
        let store = Store::open(dir.path(), StoreKind::Live).unwrap();
        let desk = Desk::open(store, Box::new(clock), "op").unwrap();
        prop_assert_eq!(desk.state().digest(), digest);
    }
}

#[test]
fn concurrent_dispatch_of_one_unit_keeps_the_earliest_and_alerts() {
    let mut a = Replica::new(1);
    let mut b = Replica::new(2);
    let now = 1_790_000_000_000;
    let mut shared = a.run("unit add STAR-1 clinician,medic", now);
    shared.extend(a.run("call 1 Main St / welfare check", now + 1));
    shared.extend(a.run("call 2 Oak St / person sleeping", now + 2));
    b.learn(&shared);
    let ids: Vec<String> = b.state.calls.keys().map(ToString::to_string).collect();
    // Both consoles dispatch STAR-1 while partitioned; A's is earlier.
    let from_a = a.run(&format!("dp STAR-1 {}", ids[0]), now + 10);
    let from_b = b.run(&format!("dp STAR-1 {}", ids[1]), now + 20);
    assert_eq!((from_a.len(), from_b.len()), (1, 1));
    let all: Vec<Event> = shared.into_iter().chain(from_a).chain(from_b).collect();
    let state = State::fold(all);
    let unit = &state.units[&"STAR-1".parse().unwrap()];
    assert_eq!(
        unit.call.as_ref().map(ToString::to_string),
        Some(ids[0].clone())
    );
    assert_eq!(state.alerts.len(), 1, "{:?}", state.alerts);
    assert!(
        state.alerts[0].text.starts_with("STAR-1 was dispatched to"),
        "{}",
        state.alerts[0].text
    );
    // The losing call never shows the unit as assigned.
    assert!(state.calls[&ids[1].parse().unwrap()].assignments.is_empty());
}
