//! Reports read their period (issue 13): a report starts from the last mark of the running
//! tally before its period (`store/marks.rs`, `report/tally.rs`) and reads the events after it
//! by the fold-order index, and whatever the history — peers' late events that sort before a
//! mark, calls closed long ago reopened or noted, a damaged mark — its figures are the ones a
//! fold of the whole log gives.

use proptest::prelude::*;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::{Event, ReplicaId};
use switchboard::report::metrics::{GroupBy, Metrics, Period};
use switchboard::report::{table, tally};
use switchboard::store::marks::Mark;
use switchboard::store::{Store, StoreKind};

use crate::common::desk::{run, take, T0};
use crate::common::shift;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The figures of `period` by folding every event in the store, as reports did before marks.
fn whole_log(desk: &Desk, period: Period, by: Option<GroupBy>) -> String {
    let store = desk.store().unwrap();
    let mut events: Vec<Event> = store.load().unwrap();
    events.sort_by_key(Event::fold_key);
    let mut m = Metrics::new(period, desk.policy());
    if let Some(by) = by {
        m = m.grouped(by);
    }
    for e in &events {
        m.add(e);
    }
    table::json(&m.summary(desk.now_ms()))
}

/// The figures as a report reads them now, and the walk that read them.
fn marked(desk: &Desk, period: Period, by: Option<GroupBy>) -> (String, tally::Walk) {
    let (m, walk) = tally::figures(desk.store().unwrap(), period, desk.policy(), by).unwrap();
    (table::json(&m.summary(desk.now_ms())), walk)
}

fn assert_same(desk: &Desk, period: Period, by: Option<GroupBy>) -> tally::Walk {
    let (read, walk) = marked(desk, period, by);
    assert_eq!(
        read,
        whole_log(desk, period, by),
        "{period:?} by {by:?}, walk {walk:?}"
    );
    walk
}

fn open(dir: &std::path::Path, id: u64, clock: &ManualClock) -> Desk {
    let store = Store::open_as(dir, StoreKind::Live, Some(ReplicaId(id))).unwrap();
    Desk::open(store, Box::new(clock.clone()), "ct").unwrap()
}

/// Ten days of calls on one desk, each closed the day it came; the ids.
fn ten_days(d: &mut Desk, clock: &ManualClock) -> Vec<String> {
    run(d, "unit add CT1 clinician,medic");
    run(d, "unit add CT2 peer,emt");
    let mut ids = Vec::new();
    for day in 0..10 {
        for (n, unit) in ["CT1", "CT2"].iter().enumerate() {
            let id = take(
                d,
                &format!("call {day}{n} Oak St / welfare day {day} --type welfare"),
            );
            clock.advance(10 * 60_000);
            run(d, &format!("dp {unit} {id}"));
            clock.advance(10 * 60_000);
            run(d, &format!("ons {unit}"));
            clock.advance(30 * 60_000);
            run(d, &format!("avl {unit}"));
            run(d, &format!("close {id} resolved"));
            ids.push(id.to_string());
        }
        clock.advance(DAY - 100 * 60_000);
    }
    ids
}

/// A desk on a fresh store with [`ten_days`] of calls: the dir, the clock, the desk, the ids.
fn ten_day_desk() -> (tempfile::TempDir, ManualClock, Desk, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(T0);
    let mut d = open(dir.path(), 1, &clock);
    let ids = ten_days(&mut d, &clock);
    (dir, clock, d, ids)
}

#[test]
fn a_later_report_starts_from_a_mark_and_gives_the_figures_of_the_whole_log() {
    let (_dir, _clock, d, _) = ten_day_desk();
    let total = d.event_count();

    // The first report walks from the first event and leaves a mark at each midnight.
    let week = Period::new(T0 + 3 * DAY, T0 + 10 * DAY);
    let first = assert_same(&d, week, None);
    assert_eq!(first.from_mark, None);
    assert_eq!(first.events, total);
    let marks = d.store().unwrap().marks().unwrap();
    assert!(marks.len() >= 9, "{marks:?}");

    // A later one starts from the mark before it and reads only what came after.
    let last_days = Period::new(T0 + 8 * DAY, T0 + 11 * DAY);
    for by in [None, Some(GroupBy::Unit), Some(GroupBy::Response)] {
        let walk = assert_same(&d, last_days, by);
        assert!(walk.from_mark.is_some(), "{walk:?}");
        assert!(walk.events * 3 < total, "{walk:?} of {total}");
    }
    // So does an earlier one, and one inside a day.
    assert!(assert_same(&d, week, None).from_mark.is_some());
    assert_same(
        &d,
        Period::new(T0 + 5 * DAY + HOUR, T0 + 5 * DAY + 2 * HOUR),
        None,
    );
    // A period before every mark, and one that starts before the first event, walk it all.
    assert_eq!(
        assert_same(&d, Period::new(T0 - DAY, T0 + DAY), None).from_mark,
        None
    );
}

#[test]
fn a_peers_late_event_forgets_the_marks_after_it_and_the_figures_count_it() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let clock = ManualClock::at(T0);
    let mut a = open(dirs[0].path(), 1, &clock);
    ten_days(&mut a, &clock);
    let all = Period::new(T0, T0 + 11 * DAY);
    assert_same(&a, all, None);
    let before = a.store().unwrap().marks().unwrap();

    // A peer whose clock is five days behind takes a call; desk a hears of it now.
    let behind = ManualClock::at(T0 + 4 * DAY + HOUR);
    let mut b = open(dirs[1].path(), 2, &behind);
    take(&mut b, "call 9 Elm St / late one --type welfare");
    let late: Vec<Vec<u8>> = b
        .events_from(ReplicaId(2), 1, usize::MAX, usize::MAX)
        .unwrap();
    let received = a.receive(&late).unwrap();
    let hlc = received.accepted.iter().map(|e| e.hlc).min().unwrap();
    let after = a.store().unwrap().marks().unwrap();
    assert!(after.len() < before.len(), "{before:?} → {after:?}");
    assert!(
        after.iter().all(|(_, (at, _, _))| *at < hlc),
        "a mark that folded past the late event is left: {after:?}"
    );
    for period in [all, Period::new(T0 + 6 * DAY, T0 + 11 * DAY)] {
        assert_same(&a, period, None);
    }
}

#[test]
fn a_call_closed_long_ago_reopened_or_noted_is_filed_back_in() {
    let (_dir, clock, mut d, ids) = ten_day_desk();
    assert_same(&d, Period::new(T0, T0 + 11 * DAY), None);

    run(&mut d, &format!("note {} came back about it", ids[1]));
    run(&mut d, &format!("reopen {}", ids[0]));
    clock.advance(HOUR);
    let recent = Period::new(T0 + 9 * DAY, T0 + 11 * DAY);
    let walk = assert_same(&d, recent, None);
    assert!(walk.from_mark.is_some() && walk.filed_in >= 2, "{walk:?}");
    // The reopened call waits in the queue again, as the whole log says.
    assert!(whole_log(&d, recent, None).contains("\"max\": 1"));
}

#[test]
fn a_damaged_mark_is_never_read() {
    let (_dir, _clock, d, _) = ten_day_desk();
    let week = Period::new(T0 + 3 * DAY, T0 + 10 * DAY);
    assert_same(&d, week, None);
    let store = d.store().unwrap();
    let (wall_ms, at) = *store.marks().unwrap().last().unwrap();
    let garbage = Mark {
        wall_ms,
        at,
        bytes: vec![1, 0xc1, 0xff, 7],
    };
    store.keep_marks(&[garbage]).unwrap();
    let walk = assert_same(&d, Period::new(T0 + 9 * DAY + HOUR, T0 + 11 * DAY), None);
    assert_eq!(walk.from_mark, None, "the damaged mark was read");
}

// ---- The property: random shifts on two desks, days passing, syncs, reports ----

#[derive(Clone, Debug)]
enum Op {
    Local(usize, String),
    /// Desk `to` takes every event of the other desk it lacks.
    Sync(usize),
    /// A desk's clock moves on, up to a day and a half.
    Tick(usize, i64),
    /// Desk 0 reports a period starting `hours` after the start, `len` hours long.
    Report(i64, i64, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..2, shift::line()).prop_map(|(n, l)| Op::Local(n, l)),
        1 => (0usize..2).prop_map(Op::Sync),
        2 => (0usize..2, 1i64..36 * HOUR).prop_map(|(n, ms)| Op::Tick(n, ms)),
        1 => (0i64..120, 1i64..96, any::<bool>()).prop_map(|(h, l, g)| Op::Report(h, l, g)),
    ]
}

fn play(skew: i64, ops: &[Op]) -> u32 {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let clocks = [ManualClock::at(T0), ManualClock::at(T0 - skew)];
    let mut desks: Vec<Desk> = (0..2)
        .map(|i| open(dirs[i].path(), i as u64 + 1, &clocks[i]))
        .collect();
    let mut from_marks = 0;
    let mut report = |d: &Desk, since: i64, len: i64, by: bool| {
        let period = Period::new(T0 + since, T0 + since + len);
        let by = by.then_some(GroupBy::Unit);
        if assert_same(d, period, by).from_mark.is_some() {
            from_marks += 1;
        }
    };
    for op in ops {
        match op {
            Op::Local(n, line) => {
                let ids: Vec<String> = desks[*n]
                    .state()
                    .calls
                    .keys()
                    .map(ToString::to_string)
                    .collect();
                let _ = desks[*n].execute_line(&shift::refer(line, &ids));
            }
            Op::Sync(to) => {
                let from = 1 - to;
                let mut batch = Vec::new();
                for (origin, head) in desks[from].heads() {
                    let have = desks[*to].heads().get(origin).map_or(0, |h| h.seq);
                    if head.seq > have {
                        batch.extend(
                            desks[from]
                                .events_from(*origin, have + 1, usize::MAX, usize::MAX)
                                .unwrap(),
                        );
                    }
                }
                desks[*to].receive(&batch).unwrap();
            }
            Op::Tick(n, ms) => clocks[*n].advance(*ms),
            Op::Report(hours, len, by) => report(&desks[0], hours * HOUR, len * HOUR, *by),
        }
    }
    report(&desks[0], 0, 200 * DAY, false);
    from_marks
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn reports_from_marks_give_the_figures_of_the_whole_log(
        skew in 0i64..3 * DAY,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        play(skew, &ops);
    }
}

/// The property's cases do reach what it is about: reports that start from a mark.
#[test]
fn the_property_reaches_reports_from_marks() {
    let mut ops = vec![Op::Local(0, "unit add CT1 clinician,medic".into())];
    for day in 0..4 {
        ops.push(Op::Local(
            0,
            format!("call {day} Oak St / day {day} --type welfare"),
        ));
        ops.push(Op::Local(0, "dp CT1 #0".into()));
        ops.push(Op::Local(1, format!("call {day} Elm St / early {day}")));
        ops.push(Op::Tick(0, DAY));
        ops.push(Op::Tick(1, DAY));
        ops.push(Op::Report(day * 24, 24, false));
    }
    ops.push(Op::Sync(0));
    ops.push(Op::Report(48, 48, true));
    assert!(play(DAY, &ops) >= 3);
}

/// The dashboard's figures follow events as they commit, and say when they cannot: an event
/// naming a call they let go of, or one that sorts before what they took.
#[test]
fn live_figures_follow_new_events_and_ask_to_be_read_again_when_they_cannot() {
    let (_dir, _clock, mut d, ids) = ten_day_desk();
    let day = Period::new(T0 + 9 * DAY, T0 + 12 * DAY);
    let (mut live, _) = tally::figures(d.store().unwrap(), day, d.policy(), None).unwrap();
    let committed = |d: &mut Desk, line: &str| match d.run_line(line).unwrap() {
        switchboard::desk::Outcome::Committed(events) => events,
        other @ switchboard::desk::Outcome::Answered(_) => panic!("{line}: {other:?}"),
    };
    let new = committed(&mut d, "call 5 Pine St / new one --type welfare");
    for e in &new {
        assert!(live.follow(e), "{e:?}");
    }
    let old = committed(&mut d, &format!("note {} about the old one", ids[0]));
    assert!(!live.follow(&old[0]), "a call let go of was followed");
    let (mut live, _) = tally::figures(d.store().unwrap(), day, d.policy(), None).unwrap();
    let mut late = new[0].clone();
    late.hlc = 1;
    assert!(
        !live.follow(&late),
        "an event that sorts first was followed"
    );
}
