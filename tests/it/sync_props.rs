//! Convergence of real desks (sled stores in temp dirs) linked by the peer protocol, in process:
//! random local commands, partitions, dropped and duplicated frames, and crashes. After the links
//! heal, every desk holds every acknowledged event and all states are equal.

use std::collections::VecDeque;
use std::path::PathBuf;

use crate::common::shift;

use proptest::prelude::*;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::{CallId, ReplicaId};
use switchboard::store::{Store, StoreKind};
use switchboard::sync::session::{Frame, Session};

const START_MS: i64 = 1_780_000_000_000;

struct Node {
    dir: PathBuf,
    id: ReplicaId,
    clock: ManualClock,
    desk: Option<Desk>,
}

impl Node {
    fn desk(&mut self) -> &mut Desk {
        self.desk.as_mut().unwrap()
    }

    fn open(dir: PathBuf, id: ReplicaId, clock: ManualClock) -> Node {
        let store = Store::open_as(&dir, StoreKind::Live, Some(id)).unwrap();
        let desk = Desk::open(store, Box::new(clock.clone()), &format!("op{}", id.0)).unwrap();
        Node {
            dir,
            id,
            clock,
            desk: Some(desk),
        }
    }

    /// Kills the desk without a clean close and opens the store again.
    fn crash(&mut self) {
        drop(self.desk.take());
        let store = Store::open_as(&self.dir, StoreKind::Live, Some(self.id)).unwrap();
        self.desk = Some(Desk::open(store, Box::new(self.clock.clone()), "op").unwrap());
    }

    /// Runs a line where `#N` is the N-th call this desk knows (wrapping); refusals are fine.
    fn run(&mut self, line: &str) -> Vec<(ReplicaId, u64)> {
        let desk = self.desk();
        let ids: Vec<String> = desk.state().calls.keys().map(ToString::to_string).collect();
        let line = shift::refer(line, &ids);
        desk.execute_line(&line)
            .map(|events| events.iter().map(|e| (e.origin, e.seq)).collect())
            .unwrap_or_default()
    }
}

/// Both directions of one link: a session at each end and the frames in flight each way.
struct Link {
    a: usize,
    b: usize,
    up: bool,
    ends: [Session; 2],
    wire: [VecDeque<Frame>; 2],
}

struct Net {
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// Every event a desk acknowledged (committed), by origin and seq.
    acknowledged: Vec<(ReplicaId, u64)>,
    _dirs: Vec<tempfile::TempDir>,
}

impl Net {
    fn new(n: usize, skews: &[i64]) -> Net {
        let mut dirs = Vec::new();
        let mut nodes = Vec::new();
        for (i, skew) in skews.iter().enumerate().take(n) {
            let dir = tempfile::tempdir().unwrap();
            // Ids 1..=5 give five different call-id tags.
            let clock = ManualClock::at(START_MS + skew);
            nodes.push(Node::open(
                dir.path().to_owned(),
                ReplicaId(i as u64 + 1),
                clock,
            ));
            dirs.push(dir);
        }
        let mut links = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                links.push(Link {
                    a,
                    b,
                    up: false,
                    ends: [Session::default(), Session::default()],
                    wire: [VecDeque::new(), VecDeque::new()],
                });
            }
        }
        let mut net = Net {
            nodes,
            links,
            acknowledged: Vec::new(),
            _dirs: dirs,
        };
        for l in 0..net.links.len() {
            net.connect(l);
        }
        net
    }

    fn connect(&mut self, l: usize) {
        let (a, b) = (self.links[l].a, self.links[l].b);
        let link = &mut self.links[l];
        link.up = true;
        link.ends = [Session::default(), Session::default()];
        link.wire = [
            Session::open(self.nodes[a].desk()).unwrap().into(),
            Session::open(self.nodes[b].desk()).unwrap().into(),
        ];
    }

    fn cut(&mut self, l: usize) {
        let link = &mut self.links[l];
        link.up = false;
        link.wire = [VecDeque::new(), VecDeque::new()];
    }

    /// Every live link of `node` pushes what its peer lacks.
    fn pump(&mut self, node: usize) {
        for link in &mut self.links {
            if !link.up {
                continue;
            }
            let side = if link.a == node {
                0
            } else if link.b == node {
                1
            } else {
                continue;
            };
            let desk = self.nodes[node].desk.as_ref().unwrap();
            while let Some(frame) = link.ends[side].next_batch(desk).unwrap() {
                link.wire[side].push_back(frame);
            }
        }
    }

    /// Delivers the next frame from side `from` of link `l` (twice if `twice`).
    fn deliver(&mut self, l: usize, from: usize, twice: bool) {
        let Some(frame) = self.links[l].wire[from].pop_front() else {
            return;
        };
        let to = 1 - from;
        let node = if to == 0 {
            self.links[l].a
        } else {
            self.links[l].b
        };
        for _ in 0..if twice { 2 } else { 1 } {
            let desk = self.nodes[node].desk.as_mut().unwrap();
            match self.links[l].ends[to].on_frame(desk, frame.clone()) {
                Ok(step) => {
                    assert!(step.forks.is_empty(), "no fork expected: {:?}", step.forks);
                    self.links[l].wire[to].extend(step.reply);
                }
                Err(e) => panic!("link refused: {e}"),
            }
        }
        self.pump(node);
    }

    fn local(&mut self, node: usize, line: &str) {
        let done = self.nodes[node].run(line);
        self.acknowledged.extend(done);
        self.pump(node);
    }

    /// The id of the `n`-th call `node` knows.
    fn call(&mut self, node: usize, n: usize) -> CallId {
        self.nodes[node]
            .desk()
            .state()
            .calls
            .keys()
            .nth(n)
            .unwrap()
            .clone()
    }

    fn tick(&mut self, ms: i64) {
        for n in &self.nodes {
            n.clock.advance(ms);
        }
    }

    /// All links up, everyone resends a summary, and frames flow until none are left.
    fn heal(&mut self) {
        for l in 0..self.links.len() {
            if !self.links[l].up {
                self.connect(l);
            }
        }
        for l in 0..self.links.len() {
            let (a, b) = (self.links[l].a, self.links[l].b);
            let sa = Session::summary(self.nodes[a].desk());
            let sb = Session::summary(self.nodes[b].desk());
            self.links[l].wire[0].push_back(sa);
            self.links[l].wire[1].push_back(sb);
        }
        let mut rounds = 0;
        while self
            .links
            .iter()
            .any(|l| !l.wire[0].is_empty() || !l.wire[1].is_empty())
        {
            for l in 0..self.links.len() {
                for side in 0..2 {
                    self.deliver(l, side, false);
                }
            }
            rounds += 1;
            assert!(rounds < 10_000, "sync did not settle");
        }
    }

    fn assert_converged(&mut self) {
        let digest = self.nodes[0].desk().state().digest();
        let heads = self.nodes[0].desk().heads().clone();
        let overruled = self.nodes[0].desk().state().overruled.clone();
        for n in &mut self.nodes {
            let desk = n.desk.as_ref().unwrap();
            assert_eq!(desk.state().digest(), digest, "states differ");
            assert_eq!(desk.state().overruled, overruled, "marks differ");
            assert_eq!(desk.heads(), &heads, "logs differ");
            assert!(desk.forks().is_empty());
            for &(origin, seq) in &self.acknowledged {
                assert!(
                    desk.heads().get(&origin).is_some_and(|h| h.seq >= seq),
                    "{origin}:{seq} acknowledged but missing"
                );
            }
            // What a desk folded live equals a fold of its whole log from scratch.
            let fresh = switchboard::domain::State::fold(desk.events().unwrap());
            assert_eq!(fresh.digest(), digest, "the live fold drifted from the log");
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Local(usize, String),
    Deliver(usize, usize, bool),
    Drop(usize, usize),
    Cut(usize),
    Connect(usize),
    Crash(usize),
    Summary(usize),
    Wait(i64),
}

/// The shift's lines, and now and then an acknowledgement of whatever conflict is open.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![9 => shift::line(), 1 => Just("ack".to_owned())]
}

fn ops(nodes: usize) -> impl Strategy<Value = Vec<Op>> {
    let links = nodes * (nodes - 1) / 2;
    let op = prop_oneof![
        6 => (0..nodes, line()).prop_map(|(n, l)| Op::Local(n, l)),
        8 => (0..links, 0usize..2, prop::bool::weighted(0.1))
            .prop_map(|(l, s, d)| Op::Deliver(l, s, d)),
        3 => (0..links, 0usize..2).prop_map(|(l, s)| Op::Drop(l, s)),
        1 => (0..links).prop_map(Op::Cut),
        1 => (0..links).prop_map(Op::Connect),
        1 => (0..nodes).prop_map(Op::Crash),
        1 => (0..nodes).prop_map(Op::Summary),
        2 => (1i64..5_000).prop_map(Op::Wait),
    ];
    prop::collection::vec(op, 1..80)
}

fn case() -> impl Strategy<Value = (Vec<i64>, Vec<Op>)> {
    (2usize..=5).prop_flat_map(|n| (prop::collection::vec(-3_000i64..3_000, n), ops(n)))
}

fn play(skews: &[i64], ops: &[Op]) {
    let mut net = Net::new(skews.len(), skews);
    for op in ops {
        match op {
            Op::Local(n, l) => net.local(*n, l),
            Op::Deliver(l, s, twice) => {
                if net.links[*l].up {
                    net.deliver(*l, *s, *twice);
                }
            }
            Op::Drop(l, s) => {
                // A link that loses its hello is a link that never opened; every other frame
                // may be lost (and the 60 s summary must repair it).
                let wire = &mut net.links[*l].wire[*s];
                if !matches!(wire.front(), Some(Frame::Hello { .. })) {
                    wire.pop_front();
                }
            }
            Op::Cut(l) => net.cut(*l),
            Op::Connect(l) => {
                if !net.links[*l].up {
                    net.connect(*l);
                }
            }
            Op::Crash(n) => {
                net.nodes[*n].crash();
                let touching: Vec<usize> = (0..net.links.len())
                    .filter(|&l| net.links[l].a == *n || net.links[l].b == *n)
                    .collect();
                for l in touching {
                    net.cut(l);
                }
            }
            Op::Summary(n) => {
                for l in 0..net.links.len() {
                    let link = &net.links[l];
                    if !link.up {
                        continue;
                    }
                    let side = if link.a == *n {
                        0
                    } else if link.b == *n {
                        1
                    } else {
                        continue;
                    };
                    let s = Session::summary(net.nodes[*n].desk());
                    net.links[l].wire[side].push_back(s);
                }
            }
            Op::Wait(ms) => net.tick(*ms),
        }
    }
    net.heal();
    net.assert_converged();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn desks_converge_after_partitions_drops_duplicates_and_crashes((skews, ops) in case()) {
        play(&skews, &ops);
    }
}

#[test]
fn a_unit_dispatched_to_two_calls_concurrently_goes_to_the_same_call_on_both_and_both_alert() {
    let mut net = Net::new(2, &[0, 0]);
    net.local(0, "unit add STAR-1 clinician,medic");
    net.local(0, "call 1 Main St / welfare check --type welfare");
    net.local(1, "call 9 Oak Ave / man shouting --type welfare");
    net.heal();
    // The link is cut; each console dispatches STAR-1 to a different call.
    net.cut(0);
    let a_call = net.call(0, 0);
    let b_call = net.call(0, 1);
    net.tick(1_000);
    net.local(0, &format!("dp STAR-1 {a_call}"));
    net.tick(500);
    net.local(1, &format!("dp STAR-1 {b_call}"));
    net.heal();
    net.assert_converged();
    for n in &mut net.nodes {
        let state = n.desk().state();
        // The earlier dispatch (on console 0) wins everywhere.
        assert_eq!(
            state.units.values().next().unwrap().call.as_ref(),
            Some(&a_call)
        );
        let open: Vec<_> = state.open_alerts().collect();
        assert_eq!(open.len(), 1, "{open:?}");
        assert!(open[0].text.contains("STAR-1"), "{}", open[0].text);
    }
    // Acknowledged on one console, it stops blocking on both.
    net.local(1, "ack");
    net.heal();
    net.assert_converged();
    for n in &mut net.nodes {
        assert_eq!(n.desk().state().open_alerts().count(), 0);
    }
}

#[test]
fn a_store_that_kept_syncing_after_a_copy_is_a_fork_and_stops_that_origin() {
    let mut net = Net::new(2, &[0, 0]);
    net.local(0, "unit add STAR-1 clinician");
    net.heal();
    // Node 1's copy of node 0's history is replaced by a different event 1 of the same origin:
    // as if node 0's store had been restored from a backup and written again.
    let other = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS + 60_000);
    let mut twin = Node::open(other.path().to_owned(), ReplicaId(1), clock);
    twin.run("unit add STAR-9 peer");
    let mut session = Session::default();
    let desk1 = net.nodes[1].desk();
    let hello = Session::open(twin.desk()).unwrap();
    let mut forks = Vec::new();
    for frame in hello {
        forks.extend(session.on_frame(desk1, frame).unwrap().forks);
    }
    assert_eq!(forks.len(), 1, "{forks:?}");
    assert!(desk1.forks().contains_key(&ReplicaId(1)));
    // Nothing of the twin's is taken.
    let mut s2 = Session::default();
    for f in Session::open(desk1).unwrap() {
        s2.on_frame(twin.desk(), f).unwrap();
    }
    let before = desk1.state().digest();
    let batch: Vec<Frame> = std::iter::from_fn(|| s2.next_batch(twin.desk()).unwrap()).collect();
    let desk1 = net.nodes[1].desk();
    for f in batch {
        session.on_frame(desk1, f).unwrap();
    }
    assert_eq!(desk1.state().digest(), before);
}

#[test]
fn a_training_store_and_a_live_store_refuse_each_other_and_write_nothing() {
    let live_dir = tempfile::tempdir().unwrap();
    let training_dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(START_MS);
    let mut live = Node::open(live_dir.path().to_owned(), ReplicaId(1), clock.clone());
    live.run("unit add STAR-1 clinician");
    let store =
        Store::open_as(training_dir.path(), StoreKind::Training, Some(ReplicaId(2))).unwrap();
    let mut training = Desk::open(store, Box::new(clock), "trainee").unwrap();
    training.execute_line("unit add STAR-9 peer").unwrap();
    let hello = Session::open(live.desk()).unwrap().remove(0);
    let err = Session::default()
        .on_frame(&mut training, hello)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the peer's store is a live store and this one a training store; they never sync"
    );
    let mut session = Session::default();
    let err = session
        .on_frame(live.desk(), Session::open(&training).unwrap().remove(0))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a training store and this one a live store"),
        "{err}"
    );
    // And events pushed anyway, without a hello, are not taken.
    let before = live.desk().state().digest();
    let err = session
        .on_frame(live.desk(), Frame::Events(Vec::new()))
        .unwrap_err();
    assert_eq!(err.to_string(), "events before hello");
    assert_eq!(live.desk().state().digest(), before);
    assert_eq!(training.state().units.len(), 1);
}

#[test]
fn two_stores_that_would_mint_the_same_call_ids_refuse_to_pair() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clock = ManualClock::at(START_MS);
    // 1 and 1 + 24 * 24 share the tag: their call ids would collide.
    let mut a = Node::open(d1.path().to_owned(), ReplicaId(1), clock.clone());
    let mut b = Node::open(d2.path().to_owned(), ReplicaId(1 + 24 * 24), clock);
    assert_eq!(a.id.tag(), b.id.tag());
    let hello = Session::open(b.desk()).unwrap().remove(0);
    let err = Session::default().on_frame(a.desk(), hello).unwrap_err();
    assert!(
        err.to_string().contains("number calls with the tag"),
        "{err}"
    );
}

#[test]
fn concurrent_edits_of_one_field_keep_the_later_and_mark_the_earlier_on_both_sides() {
    let mut net = Net::new(2, &[0, 0]);
    net.local(0, "call 1 Main St / welfare check --type welfare --pri 3");
    net.heal();
    let call = net.call(0, 0);
    net.cut(0);
    net.tick(1_000);
    net.local(0, &format!("set {call} pri 2 --reason caller called again"));
    let earlier = *net.acknowledged.last().unwrap();
    net.tick(1_000);
    net.local(1, &format!("set {call} pri 1 --reason caller called again"));
    // A later edit on node 0 that saw its own change is no conflict.
    net.heal();
    net.assert_converged();
    for n in &mut net.nodes {
        let state = n.desk().state();
        assert_eq!(state.calls[&call].priority.to_string(), "1");
        let why = state
            .lost(earlier.0, earlier.1)
            .expect("the earlier edit is marked");
        assert!(why.contains("concurrent edit"), "{why}");
        assert_eq!(state.overruled.len(), 1);
    }
    // Edits made one after the other, each seeing the last, mark nothing.
    net.local(0, &format!("set {call} pri 3 --reason caller called again"));
    net.heal();
    net.local(1, &format!("set {call} pri 4 --reason caller called again"));
    net.heal();
    for n in &mut net.nodes {
        assert_eq!(n.desk().state().overruled.len(), 1);
    }
}

#[test]
fn a_peers_clock_skew_is_measured_from_its_pings() {
    let mut net = Net::new(2, &[0, 7_000]);
    net.heal();
    let wall_ms = net.nodes[1].desk().now_ms();
    let opening = Session::open(net.nodes[1].desk()).unwrap();
    let mut session = Session::default();
    let desk = net.nodes[0].desk();
    for f in opening {
        session.on_frame(desk, f).unwrap();
    }
    session.on_frame(desk, Frame::Ping { wall_ms }).unwrap();
    assert_eq!(session.skew_ms, 7_000);
}
