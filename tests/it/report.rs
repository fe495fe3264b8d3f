//! Program figures on a hand-built shift whose every figure is worked out by hand below, and the
//! `report` and `export` subcommands through the real binary.
// Tests may fail loudly; the figures compared are exact (whole minutes and seconds).
#![allow(clippy::float_cmp)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use switchboard::desk::{Desk, ManualClock, Outcome};
use switchboard::domain::{Body, CallId, Event, ReplicaId, ResponseType};
use switchboard::report::export_csv;
use switchboard::report::metrics::{GroupBy, Metrics, Period, Stat, Summary};
use switchboard::report::reader::Reader;
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

/// 2026-11-27 10:00 UTC.
const T0: i64 = 1_795_773_600_000;
const MIN: i64 = 60_000;

/// Answers every disqualifying question the safe way.
const CLEAR: &[&str] = &[
    "violence no",
    "weapon no",
    "crime no",
    "medical no",
    "hazard no",
    "harm no",
    "info yes",
];

struct Shift {
    desk: Desk,
    clock: ManualClock,
    _dir: TempDir,
    ids: BTreeMap<&'static str, CallId>,
}

impl Shift {
    /// Runs `line` at `minute` after T0; `{C1}` and the like name the calls taken so far.
    fn at(&mut self, minute: i64, line: &str) -> Vec<Body> {
        self.clock.set(T0 + minute * MIN);
        let mut line = line.to_owned();
        for (name, id) in &self.ids {
            line = line.replace(&format!("{{{name}}}"), id.as_str());
        }
        match self
            .desk
            .run_line(&line)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
        {
            Outcome::Committed(events) => events.into_iter().map(|e| e.body).collect(),
            Outcome::Answered(lines) => panic!("{line} answered {lines:?}"),
        }
    }

    fn call(&mut self, minute: i64, name: &'static str, line: &str) {
        let bodies = self.at(minute, line);
        let Some(Body::CallCreated { call, .. }) = bodies.first() else {
            panic!("{line} made {bodies:?}")
        };
        self.ids.insert(name, call.clone());
    }

    fn triage(&mut self, minute: i64, call: &str) {
        for answer in CLEAR {
            self.at(minute, &format!("ask {{{call}}} {answer}"));
        }
    }

    fn events(&self) -> Vec<Event> {
        let mut events = self.desk.events().unwrap();
        events.sort_by_key(Event::fold_key);
        events
    }
}

/// The hand-built shift. The period is [T0, T0+180 min); the summary is taken at T0+200.
///
/// - C0 (received at -30, before the period) keeps STAR-3 on scene across `since`, with no
///   check-in: due at 0, it leaves at +25 — one late check-in, 25 minutes overdue, escalated.
/// - C1 bh-crisis at +5 (1400 Colfax Ave, cb 555-0101): triaged +6, community accepted +7,
///   STAR-1 dispatched +8, on scene +18, checks in +30 (on time) and +53 (due +50: late by 3),
///   clears +60, closed resolved +62.
/// - C2 unsheltered at +10 (same callback): never triaged; STAR-2 dispatched +12 and cleared at
///   +20 without arriving; closed cancelled +21.
/// - C3 welfare at +40 ("1400 Colfax Ave.", the same address): triaged +43 (community), nobody
///   free; closed referred-988 +70 with `--unserved no-unit`.
/// - C4 bh-crisis at +60: weapon yes at +62 (co-response), accepted; STAR-1 dispatched +63, en
///   route +65, on scene +75, asks police backup at +80 (C5, closed +100); still on scene at
///   the summary, never checked in: due +95, escalated, 105 minutes overdue at +200.
/// - C8 intox at +150: still pending.
/// - C6 welfare at +170: STAR-2 dispatched +174, on scene +185 and clear +190 (after `until`),
///   closed resolved +195 — it counts in the period it was received in.
/// - C7 at +182: after the period.
/// - STAR-3 goes out of service at +100.
fn shift() -> Shift {
    let mut s = shift_desk();
    s.at(-60, "unit add STAR-1 clinician,medic --zone d1");
    s.at(-60, "unit add STAR-2 clinician,emt --zone d2");
    s.at(-60, "unit add STAR-3 peer,emt --zone d1");
    s.call(
        -30,
        "C0",
        "call 10 Old St / prior call --type welfare --zone d1",
    );
    s.at(-28, "dp STAR-3 {C0}");
    s.at(-20, "ons STAR-3");

    s.call(
        5,
        "C1",
        "call 1400 Colfax Ave / man shouting at traffic --type bh-crisis --cb 555-0101 --zone d6",
    );
    s.triage(6, "C1");
    s.at(7, "respond {C1} community");
    s.at(8, "dp STAR-1 {C1}");
    s.call(
        10,
        "C2",
        "call 5th & Pine / person sleeping in doorway --type unsheltered --cb 555-0101 --zone d2",
    );
    s.at(12, "dp STAR-2 {C2}");
    s.at(18, "ons STAR-1");
    s.at(20, "avl STAR-2");
    s.at(21, "close {C2} cancelled");
    s.at(25, "avl STAR-3");
    s.at(26, "close {C0} resolved");
    s.at(30, "ok STAR-1");
    s.call(
        40,
        "C3",
        "call 1400 Colfax Ave. / woman crying on the steps --type welfare --zone d6",
    );
    s.triage(43, "C3");
    s.at(53, "ok STAR-1");
    s.at(60, "avl STAR-1");
    s.call(
        60,
        "C4",
        "call 200 Main St / man with a knife in his bag --type bh-crisis --zone d1",
    );
    s.at(62, "close {C1} resolved");
    s.at(62, "ask {C4} weapon yes");
    s.at(62, "respond {C4} co-response");
    s.at(63, "dp STAR-1 {C4}");
    s.at(65, "enr STAR-1");
    s.at(70, "close {C3} referred-988 --unserved no-unit");
    s.at(75, "ons STAR-1");
    let bodies = s.at(80, "backup {C4} police");
    let Some(Body::CallCreated { call, .. }) = bodies.first() else {
        panic!("{bodies:?}")
    };
    s.ids.insert("C5", call.clone());
    s.at(100, "close {C5} police-needed");
    s.at(100, "oos STAR-3 meal break");
    s.call(
        150,
        "C8",
        "call 3 Oak St / person asleep on a bench --type intox --zone d1 --cb 555-0199",
    );
    s.call(
        170,
        "C6",
        "call 9 Elm St / elderly man confused --type welfare --zone d2",
    );
    s.at(174, "dp STAR-2 {C6}");
    s.call(182, "C7", "call 77 Late St / after the period --type intox");
    s.at(185, "ons STAR-2");
    s.at(190, "avl STAR-2");
    s.at(195, "close {C6} resolved");
    s
}

/// An empty live store with its clock an hour before T0.
fn shift_desk() -> Shift {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(T0 - 60 * MIN);
    let desk = Desk::open(store, Box::new(clock.clone()), "ct").unwrap();
    Shift {
        desk,
        clock,
        _dir: dir,
        ids: BTreeMap::new(),
    }
}

const NOW: i64 = T0 + 200 * MIN;

fn period() -> Period {
    Period::new(T0, T0 + 180 * MIN)
}

fn summary(s: &Shift, by: Option<GroupBy>) -> Summary {
    let mut m = Metrics::new(period(), s.desk.policy());
    if let Some(by) = by {
        m = m.grouped(by);
    }
    for e in &s.events() {
        assert!(m.add(e));
    }
    m.summary(NOW)
}

fn stat(count: u64, median_min: f64, p90_min: f64, excluded: u64) -> Stat {
    Stat {
        count,
        median_s: Some(median_min * 60.0),
        p90_s: Some(p90_min * 60.0),
        excluded,
    }
}

#[test]
fn volumes_responses_backup_and_unserved_are_counted_by_hand() {
    let s = shift();
    let f = summary(&s, None).total;
    // C1, C2, C3, C4, C6, C8: C0 is before, C7 after, C5 is a backup request.
    assert_eq!((f.calls.received, f.calls.closed, f.calls.open), (6, 4, 2));
    let r = &f.response;
    assert_eq!(r.handled, 4); // C1, C2, C4, C6
    assert_eq!(r.with_response, 5); // and C3 (recommended community, never dispatched)
    assert_eq!(r.community_team, 4);
    // Counted by the units sent: C4's police backup was asked for, but no police unit went.
    assert_eq!((r.community_alone, r.co_response), (4, 0));
    assert_eq!(r.diversion_rate, Some(0.8));
    // By the response each call was worked as; C2, C6 and C8 nobody triaged.
    let by_response: Vec<(&str, u64)> = r
        .by_response
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(
        by_response,
        [("co-response", 1), ("community", 2), ("untriaged", 3)]
    );
    assert_eq!(
        by_response.iter().map(|(_, n)| n).sum::<u64>(),
        f.calls.received
    );
    // Units sent per plan: C1 got its community team, C3 none; C4 its team but no police.
    let plan = |k: &str| {
        let p = &f.plans[k];
        let short: Vec<(&str, u64)> = p.short_of.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        (
            p.calls,
            p.in_full,
            p.short,
            p.none_sent,
            p.units_sent,
            short,
        )
    };
    assert_eq!(
        plan("community"),
        (2, 1, 0, 1, 1, vec![("community team", 1)])
    );
    assert_eq!(
        plan("co-response"),
        (1, 0, 1, 0, 1, vec![("police unit", 1)])
    );
    assert_eq!(plan("untriaged"), (3, 0, 0, 0, 2, vec![]));
    assert_eq!(
        (
            f.backup.requests,
            f.backup.police,
            f.backup.ems,
            f.backup.fire
        ),
        (1, 1, 0, 0)
    );
    assert_eq!(f.backup.rate_per_handled_call, Some(0.25));
    // Eligible: C1 and C3 (recommended community); C3 went unserved for want of a unit.
    let u = &f.unserved;
    assert_eq!(
        (u.eligible, u.not_served, u.unrecorded, u.served_late),
        (2, 1, 0, 0)
    );
    assert_eq!(u.by_reason["no-unit"], 1);
    assert_eq!(u.by_reason.values().sum::<u64>(), 1);
    assert_eq!(u.by_reason.len(), 6, "every reason code is listed");
}

#[test]
fn times_are_exact_medians_and_ninetieth_percentiles() {
    let s = shift();
    let t = summary(&s, None).total.times;
    // Triaged: C1 1 min, C3 3 min, C4 2 min.
    assert_eq!(t.received_to_triaged, stat(3, 2.0, 3.0, 3));
    // Dispatched: C1 3, C2 2, C4 3, C6 4 min → sorted 2,3,3,4: rank 2 and rank 4.
    assert_eq!(t.received_to_dispatched, stat(4, 3.0, 4.0, 2));
    // On scene (first assignment): C1 10, C4 12, C6 11 (after `until`); C2's unit never arrived.
    assert_eq!(t.dispatched_to_on_scene, stat(3, 11.0, 12.0, 3));
    assert_eq!(t.cleared_without_arrival, 1);
    // On scene → clear: C1 42, C6 5; C4 still has its unit on scene.
    assert_eq!(t.on_scene_to_clear, stat(2, 5.0, 42.0, 4));
    // Whole call: C1 57, C2 11, C3 30, C6 25; C4 and C8 are open.
    assert_eq!(t.received_to_closed, stat(4, 25.0, 57.0, 2));
}

#[test]
fn dispositions_repeats_and_hours() {
    let s = shift();
    let sum = summary(&s, None);
    let f = &sum.total;
    let shown: Vec<(&str, u64)> = f
        .dispositions
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(
        shown,
        [("cancelled", 1), ("referred-988", 1), ("resolved", 2)]
    );
    assert_eq!(
        f.dispositions.len(),
        switchboard::domain::Disposition::ALL.len(),
        "every disposition is listed"
    );
    // "1400 Colfax Ave" and "1400 Colfax Ave." are one address; 555-0101 called twice.
    let r = &f.repeats;
    assert_eq!(
        (r.addresses, r.address_calls, r.callers, r.caller_calls),
        (1, 2, 1, 2)
    );
    let mut hours = vec![0; 24];
    hours[10] = 3; // C1, C2, C3
    hours[11] = 1; // C4
    hours[12] = 2; // C8, C6
    assert_eq!(sum.calls_by_hour, hours);
}

#[test]
fn utilisation_is_clipped_to_the_period() {
    let s = shift();
    let sum = summary(&s, None);
    let share = |unit: &str, status: &str| sum.units[unit].status_share[status];
    for unit in ["STAR-1", "STAR-2", "STAR-3"] {
        assert_eq!(sum.units[unit].on_roster_s, 10_800.0, "{unit}");
    }
    // STAR-1: AVL 0–8 and 60–63, DSP 8–18 and 63–65, ENR 65–75, ONS 18–60 and 75–180.
    assert_eq!(share("STAR-1", "AVL"), Some(0.0611)); // 11/180
    assert_eq!(share("STAR-1", "DSP"), Some(0.0667)); // 12/180
    assert_eq!(share("STAR-1", "ENR"), Some(0.0556)); // 10/180
    assert_eq!(share("STAR-1", "ONS"), Some(0.8167)); // 147/180
    assert_eq!(share("STAR-1", "OOS"), Some(0.0));
    // STAR-2: DSP 12–20 and 174–180; its arrival at 185 is after the period.
    assert_eq!(share("STAR-2", "DSP"), Some(0.0778)); // 14/180
    assert_eq!(share("STAR-2", "AVL"), Some(0.9222)); // 166/180
    assert_eq!(share("STAR-2", "ONS"), Some(0.0));
    // STAR-3: on scene from before the period until 25, available, out of service from 100.
    assert_eq!(share("STAR-3", "ONS"), Some(0.1389)); // 25/180
    assert_eq!(share("STAR-3", "AVL"), Some(0.4167)); // 75/180
    assert_eq!(share("STAR-3", "OOS"), Some(0.4444)); // 80/180
}

#[test]
fn safety_check_ins_on_time_late_and_escalated() {
    let s = shift();
    let sum = summary(&s, None);
    let total = &sum.safety;
    // On time: STAR-1 at 30. Late: STAR-3 (due 0, left at 25), STAR-1 at 53 (due 50) and
    // STAR-1 at C4 (due 95, still missing at 200).
    assert_eq!((total.on_time, total.late), (1, 3));
    assert_eq!(total.overdue_minutes, 133.0); // 25 + 3 + 105
    assert_eq!(total.escalations, 2); // STAR-3 (25 > 20) and STAR-1 at C4
    assert_eq!(total.overdue_now, 1);
    assert_eq!(total.on_time_share, Some(0.25));
    let one = &sum.units["STAR-1"].safety;
    assert_eq!(
        (one.on_time, one.late, one.escalations, one.overdue_now),
        (1, 2, 1, 1)
    );
    assert_eq!(one.overdue_minutes, 108.0);
    let three = &sum.units["STAR-3"].safety;
    assert_eq!((three.late, three.escalations), (1, 1));
    assert_eq!(three.overdue_minutes, 25.0);
    assert_eq!(sum.units["STAR-2"].safety.late, 0);
}

#[test]
fn the_pending_queue_peaks_and_mean_come_from_the_events() {
    let s = shift();
    let q = summary(&s, None).pending_queue;
    assert_eq!(q.start_ms, Some(T0));
    // Pending: C1 5–8, C2 10–12, C3 40–70, C4 60–63, the backup call 80–100, C8 from 150,
    // C6 170–174. Two at once first at 60 (C3 and C4), again at 170 (C8 and C6).
    assert_eq!((q.max, q.max_at_ms), (2, Some(T0 + 60 * MIN)));
    assert_eq!(q.peaks, [1, 0, 1, 1, 2, 1, 1, 0, 0, 0, 1, 2]);
    // 3 + 2 + 30 + 3 + 20 + 30 + 4 = 92 pending-minutes over the 180 of the period.
    assert_eq!(q.mean, Some(0.5111));
}

#[test]
fn a_burst_between_fifteen_minute_marks_is_its_true_peak() {
    // The burst the old 15-minute grid missed: eight calls pending for eight minutes between
    // two grid points, all dispatched before the next.
    let mut s = shift_desk();
    for i in 1..=8 {
        s.at(-60, &format!("unit add STAR-{i} clinician,medic"));
        s.at(
            2,
            &format!("call {i} Burst St / person needs help --type welfare"),
        );
    }
    for i in 1..=8 {
        s.at(10, &format!("dp STAR-{i} {i}"));
    }
    let mut m = Metrics::new(Period::new(T0, T0 + 60 * MIN), s.desk.policy());
    for e in &s.events() {
        m.add(e);
    }
    let q = m.summary(T0 + 60 * MIN).pending_queue;
    assert_eq!((q.max, q.max_at_ms), (8, Some(T0 + 2 * MIN)));
    assert_eq!(q.peaks, [8, 0, 0, 0]);
    let text = switchboard::report::table::text(&m.summary(T0 + 60 * MIN));
    assert!(text.contains("at most 8 at once"), "{text}");
}

#[test]
fn groups_split_the_calls() {
    let s = shift();
    let received = |by: GroupBy| -> Vec<(String, u64)> {
        summary(&s, Some(by))
            .groups
            .into_iter()
            .map(|(k, f)| (k, f.calls.received))
            .collect()
    };
    let owned = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
        v.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
    };
    assert_eq!(
        received(GroupBy::Type),
        owned(&[
            ("bh-crisis", 2),
            ("intox", 1),
            ("unsheltered", 1),
            ("welfare", 2)
        ])
    );
    assert_eq!(
        received(GroupBy::Zone),
        owned(&[("d1", 2), ("d2", 2), ("d6", 2)])
    );
    assert_eq!(
        received(GroupBy::Unit),
        owned(&[("STAR-1", 2), ("STAR-2", 2), ("none", 2)])
    );
    // Nobody triaged C2, C6 and C8: their own group, so the groups add up to the six calls.
    assert_eq!(
        received(GroupBy::Response),
        owned(&[("co-response", 1), ("community", 2), ("untriaged", 3)])
    );
    let by_type = summary(&s, Some(GroupBy::Type)).groups;
    let bh = &by_type["bh-crisis"];
    assert_eq!((bh.calls.open, bh.backup.requests), (1, 1));
    assert_eq!(bh.times.received_to_dispatched, stat(2, 3.0, 3.0, 0));
}

#[test]
fn figures_grow_event_by_event_without_a_rescan() {
    let s = shift();
    let events = s.events();
    let mut live = Metrics::new(period(), s.desk.policy()).grouped(GroupBy::Zone);
    for (i, e) in events.iter().enumerate() {
        assert!(live.add(e));
        if i % 9 == 0 || i + 1 == events.len() {
            let mut again = Metrics::new(period(), s.desk.policy()).grouped(GroupBy::Zone);
            for e in &events[..=i] {
                again.add(e);
            }
            let now = e.wall_ms;
            assert_eq!(live.summary(now), again.summary(now), "after event {i}");
        }
    }
    // A duplicate or an event from the past is refused, not double-counted.
    assert!(!live.add(&events[3]));
    assert_eq!(live.event_count(), events.len() as u64);
}

#[test]
fn call_facts_feed_the_csv_export() {
    let s = shift();
    let mut m = Metrics::new(period(), s.desk.policy());
    for e in &s.events() {
        m.add(e);
    }
    let calls = m.calls();
    let ids: Vec<&CallId> = calls.iter().map(|c| &c.id).collect();
    let want: Vec<&CallId> = ["C1", "C2", "C3", "C4", "C8", "C6"]
        .iter()
        .map(|n| &s.ids[n])
        .collect();
    assert_eq!(ids, want, "the period's calls, oldest first");
    let c4 = &calls[3];
    assert_eq!(c4.response, Some(ResponseType::CoResponse));
    assert_eq!(c4.rule.as_deref(), Some("weapon"));
    let text = export_csv::csv(&calls, s.desk.state());
    let rows = read_csv(&text);
    assert_eq!(rows[0], export_csv::COLUMNS);
    assert_eq!(rows.len(), 7);
    let row = |id: &CallId| -> BTreeMap<&str, &str> {
        let r = rows.iter().find(|r| r[0] == id.as_str()).unwrap();
        export_csv::COLUMNS
            .iter()
            .copied()
            .zip(r.iter().map(String::as_str))
            .collect()
    };
    let c1 = row(&s.ids["C1"]);
    assert_eq!(c1["received"], "2026-11-27T10:05:00Z");
    assert_eq!(c1["location"], "1400 Colfax Ave");
    assert_eq!(c1["call_type"], "bh-crisis");
    assert_eq!(c1["apco_code"], "EDP");
    assert_eq!(c1["priority"], "2");
    assert_eq!(c1["response"], "community");
    assert_eq!(c1["recommended_rule"], "community-crisis");
    assert_eq!(c1["overridden"], "false");
    assert_eq!(c1["units"], "STAR-1");
    assert_eq!(c1["first_on_scene"], "2026-11-27T10:18:00Z");
    assert_eq!(c1["received_to_dispatched_s"], "180");
    assert_eq!(c1["on_scene_to_clear_s"], "2520");
    assert_eq!(c1["received_to_closed_s"], "3420");
    assert_eq!(c1["disposition"], "resolved");
    let c2 = row(&s.ids["C2"]);
    assert_eq!(c2["location"], "5th & Pine");
    assert_eq!(c2["dispatched_to_on_scene_s"], "");
    assert_eq!(c2["disposition"], "cancelled");
    let c3 = row(&s.ids["C3"]);
    assert_eq!(c3["unserved_reason"], "no-unit");
    assert_eq!(c3["units"], "");
    let c4 = row(&s.ids["C4"]);
    assert_eq!(c4["backup_requested"], "police");
    assert_eq!(c4["closed"], "");
    assert!(
        !text.contains("555-01"),
        "no callback numbers in the export"
    );
    assert!(!text.contains("shouting"), "no natures in the export");
}

/// A small RFC 4180 reader: quoted fields, doubled quotes, line breaks inside quotes.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (_, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "unterminated"
    );
    rows
}

// ---------------------------------------------------------------------------------------------
// Through the binary
// ---------------------------------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

struct Sandbox {
    tmp: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--data")
            .arg(self.tmp.path().join("store"))
            .args(args)
            .env("SWITCHBOARD_CONFIG", self.tmp.path().join("config"))
            .env("SWITCHBOARD_DATA", self.tmp.path().join("decoy"))
            .env("SWITCHBOARD_OPERATOR", "tester")
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Two calls: one worked and closed, one pending, with a comma and quotes in its location.
    fn with_calls() -> Self {
        let s = Sandbox::new();
        s.ok(&[
            "exec",
            "unit add STAR-1 clinician,medic --zone d1",
            "call 1400 Colfax Ave / man shouting --type bh-crisis --zone d6 --cb 555-0101",
            "dp STAR-1 1",
            "ons STAR-1",
            "ok STAR-1",
            "avl STAR-1",
            "close 1 resolved",
            "call \"Pine, at the \\\"old\\\" mill\" / person sleeping --type unsheltered",
        ]);
        s
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.tmp.path().join(name)
    }
}

#[test]
fn report_json_has_stable_keys_and_the_figures() {
    let s = Sandbox::with_calls();
    let out = s.ok(&["report", "--format", "json", "--by", "type"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "by",
            "calls_by_hour",
            "events",
            "groups",
            "handoffs",
            "pending_queue",
            "period",
            "safety",
            "total",
            "units"
        ]
    );
    assert_eq!(v["total"]["calls"]["received"], 2);
    assert_eq!(v["total"]["calls"]["closed"], 1);
    assert_eq!(v["total"]["response"]["community_team"], 1);
    assert_eq!(v["groups"]["unsheltered"]["calls"]["open"], 1);
    assert_eq!(v["safety"]["on_time"], 1);
    assert_eq!(v["by"], "type");
    assert_eq!(v["calls_by_hour"].as_array().unwrap().len(), 24);
}

#[test]
fn report_csv_is_long_form() {
    let s = Sandbox::with_calls();
    let out = s.ok(&["report", "--format", "csv", "--since", "1d", "--by", "zone"]);
    let rows = read_csv(&out);
    assert_eq!(rows[0], ["by", "group", "figure", "value"]);
    assert!(rows.iter().all(|r| r.len() == 4));
    let has = |by: &str, group: &str, figure: &str, value: &str| {
        rows.iter()
            .any(|r| r[0] == by && r[1] == group && r[2] == figure && r[3] == value)
    };
    assert!(has("all", "all", "calls.received", "2"));
    assert!(has("all", "all", "unserved.by_reason.no-unit", "0"));
    assert!(has("zone", "d6", "calls.closed", "1"));
    assert!(has("zone", "none", "calls.open", "1"));
    assert!(has("unit", "STAR-1", "safety.on_time", "1"));
    // A median of no calls is an empty value.
    assert!(has("zone", "none", "times.received_to_closed.median_s", ""));
}

#[test]
fn report_text_fits_eighty_columns() {
    let s = Sandbox::with_calls();
    let out = s.ok(&["report", "--by", "unit"]);
    assert!(
        out.contains("Calls received 2: 1 closed, 1 still open"),
        "{out}"
    );
    assert!(out.contains("By unit"), "{out}");
    assert!(out.contains("STAR-1"), "{out}");
    for line in out.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
}

#[test]
fn a_malformed_time_is_one_line_and_a_failure() {
    let s = Sandbox::with_calls();
    for args in [
        &["report", "--since", "yesterday"][..],
        &["report", "--until", "2026-02-30"],
        &["export", "--format", "csv", "--since", "7 days"],
        &["report", "--since", "1d", "--until", "2d"],
    ] {
        let out = s.run(args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("switchboard: "), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn export_csv_reads_back_in_rust_and_python() {
    let s = Sandbox::with_calls();
    let out = s.ok(&["export", "--format", "csv", "--for", "audit"]);
    let rows = read_csv(&out);
    let columns = export_csv::columns(Reader::Audit);
    assert_eq!(rows[0], columns);
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.len() == columns.len()));
    assert_eq!(rows[1][6], "bh-crisis");
    assert_eq!(rows[1][14], "STAR-1");
    assert_eq!(rows[1][24], "resolved");
    assert_eq!(rows[2][2], "Pine, at the \"old\" mill");
    assert_eq!(rows[2][24], "");
    assert!(!out.contains('\r'));
    // One call only, and a period that holds none.
    let id = rows[2][0].clone();
    let one = read_csv(&s.ok(&["export", "--format", "csv", "--for", "audit", "--call", &id]));
    assert_eq!(one.len(), 2);
    let none = read_csv(&s.ok(&["export", "--format", "csv", "--until", "2020-01-01"]));
    assert_eq!(none.len(), 1);

    let file = s.path("calls.csv");
    std::fs::write(&file, &out).unwrap();
    python_reads(&file, 2);
}

/// Python's csv module reads the file with the right row and column counts; skipped with a note
/// when python3 is missing.
fn python_reads(file: &Path, rows: usize) {
    let script = "import csv,sys\n\
                  rows=list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))\n\
                  print(len(rows), len(rows[0]), rows[1]['location'])";
    match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(file)
        .output()
    {
        Ok(out) if out.status.success() => {
            let said = String::from_utf8(out.stdout).unwrap();
            let want = format!(
                "{rows} {} Pine, at the \"old\" mill",
                export_csv::columns(Reader::Audit).len()
            );
            assert_eq!(said.trim(), want);
        }
        Ok(out) => panic!("python3 failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => eprintln!("note: python3 not found; skipped reading the CSV with Python"),
    }
}

/// What a person in crisis told the call taker, and where they live: it must reach only the
/// readers it is for.
const CRISIS: &[&str] = &[
    "exec",
    "call 1010 Third St, Apt 4 / woman says she took pills --type bh-crisis --zone d6 \
     --caller Dana Reyes --cb 555-0199",
    "note 1 sister is on the way with the key",
    "ask 1 harm yes",
    "call behind the Reyes house on Elm / man sleeping in a car --type unsheltered",
];

const PERSONAL: &[&str] = &[
    "Dana", "Reyes", "555-0199", "pills", "sister", "Apt 4", "Elm",
];

#[test]
fn the_public_export_gives_the_block_and_nothing_personal_and_is_the_default() {
    let s = Sandbox::new();
    s.ok(CRISIS);
    for format in ["csv", "eido"] {
        let public = s.ok(&["export", "--format", format, "--for", "public"]);
        assert_eq!(
            s.ok(&["export", "--format", format]),
            public,
            "the default is the least"
        );
        for word in PERSONAL {
            assert!(
                !public.contains(word),
                "{format} public export holds {word}: {public}"
            );
        }
        assert!(public.contains("1000 block of Third St"), "{public}");
        assert!(
            public.contains("bh-crisis") || public.contains("EDP"),
            "{public}"
        );
    }
    let rows = read_csv(&s.ok(&["export", "--format", "csv"]));
    assert_eq!(rows[0], export_csv::PUBLIC_COLUMNS);
    // Free text with no house number or corner in it is withheld, not published.
    assert_eq!(rows[2][2], "[location withheld]");
    let docs: Vec<Value> = s
        .ok(&["export", "--format", "eido"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(docs.iter().all(|d| d.get("personComponent").is_none()));
    assert!(docs.iter().all(|d| d.get("notesComponent").is_none()));
    assert_eq!(
        docs[0]["locationComponent"][0]["locationDescriptionText"],
        "1000 block of Third St"
    );
}

#[test]
fn the_partner_export_hands_over_who_and_where_but_nothing_clinical() {
    let s = Sandbox::new();
    s.ok(CRISIS);
    let eido = s.ok(&["export", "--format", "eido", "--for", "partner"]);
    for word in [
        "Dana Reyes",
        "555-0199",
        "sister is on the way",
        "1010 Third St, Apt 4",
    ] {
        assert!(eido.contains(word), "the hand-off lacks {word}");
    }
    assert!(!eido.contains("triage:"), "{eido}");
    let rows = read_csv(&s.ok(&["export", "--format", "csv", "--for", "partner"]));
    assert_eq!(rows[0], export_csv::columns(Reader::Partner));
    assert!(!rows[0]
        .iter()
        .any(|c| c == "recommended_rule" || c == "caller"));
    assert_eq!(rows[1][2], "1010 Third St, Apt 4");
}

#[test]
fn the_audit_export_has_everything_the_call_holds() {
    let s = Sandbox::new();
    s.ok(CRISIS);
    let csv = s.ok(&["export", "--format", "csv", "--for", "audit"]);
    for word in PERSONAL {
        assert!(csv.contains(word), "the audit CSV lacks {word}");
    }
    assert!(csv.contains("harm=yes"), "{csv}");
    let eido = s.ok(&["export", "--format", "eido", "--for", "audit"]);
    assert!(eido.contains("triage: harm = yes"), "{eido}");
    // Every reader's documents are whole EIDO: they validate and their references resolve.
    let schemas = crate::eido::validator::Schemas::get();
    for reader in ["public", "partner", "audit"] {
        for line in s
            .ok(&["export", "--format", "eido", "--for", reader])
            .lines()
        {
            let doc: Value = serde_json::from_str(line).unwrap();
            let found = schemas.validate(crate::eido::validator::EIDO, &doc, true);
            assert!(
                found.errors.is_empty(),
                "{reader}: {:?}\n{doc}",
                found.errors
            );
            crate::eido::validator::references_resolve(&doc).unwrap();
        }
    }
    let bad = s.run(&["export", "--format", "csv", "--for", "everyone"]);
    assert!(!bad.status.success());
    assert!(bad.stdout.is_empty());
}

#[test]
fn export_eido_writes_one_document_per_line() {
    let s = Sandbox::with_calls();
    let out = s.ok(&["export", "--format", "eido"]);
    let docs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(Value::is_object));
    let bad = s.run(&["export", "--format", "eido", "--call", "26-ZZ9999"]);
    assert!(!bad.status.success());
}

#[test]
fn a_police_unit_on_a_community_call_is_not_a_diversion() {
    // The shift of the report: triaged to community, PD-1 went, nobody else.
    let mut s = shift_desk();
    s.at(-60, "unit add PD-1 police");
    s.call(
        0,
        "C1",
        "call 9 Elm St / elderly man confused --type welfare",
    );
    s.triage(1, "C1");
    s.at(2, "dp PD-1 {C1}");
    s.at(20, "avl PD-1");
    let line = format!("close {} resolved", s.ids["C1"]);
    let err = s.desk.run_line(&line).unwrap_err().to_string();
    assert!(
        err.contains("was eligible for a community team and no community team went (PD-1 did)"),
        "{err}"
    );
    s.at(21, "close {C1} resolved --unserved no-unit");
    let sum = summary(&s, None);
    let f = &sum.total;
    assert_eq!((f.response.handled, f.response.community_team), (1, 0));
    assert_eq!(f.response.diversion_rate, Some(0.0));
    assert_eq!((f.unserved.eligible, f.unserved.not_served), (1, 1));
    assert_eq!(f.unserved.by_reason["no-unit"], 1);
    let plan = &f.plans["community"];
    assert_eq!(
        (plan.calls, plan.in_full, plan.short, plan.units_sent),
        (1, 0, 1, 1)
    );
    assert_eq!(plan.short_of["community team"], 1);
    let text = switchboard::report::table::text(&sum);
    assert!(
        text.contains("community team sent           0  diversion rate 0.0%"),
        "{text}"
    );
    assert!(
        text.contains("Eligible for a community team 1: 1 not served"),
        "{text}"
    );
}

/// The safety figures of a desk's events, read with a reader whose config sets the check-in
/// interval to `minutes`.
fn safety_read_with(events: &[Event], minutes: u32) -> switchboard::report::metrics::Safety {
    let mut reader = switchboard::domain::Policy::new(switchboard::config::protocol::shipped());
    reader.default_checkin_minutes = minutes;
    let mut m = Metrics::new(Period::new(T0, T0 + 120 * MIN), &reader);
    for e in events {
        m.add(e);
    }
    m.summary(T0 + 120 * MIN).safety
}

#[test]
fn check_ins_are_judged_by_the_limits_in_the_log_not_by_the_readers_config() {
    let mut s = shift_desk();
    s.at(-60, "unit add STAR-1 clinician,medic");
    s.call(
        0,
        "C1",
        "call 9 Elm St / elderly man confused --type welfare",
    );
    s.at(1, "dp STAR-1 {C1}");
    s.at(5, "ons STAR-1");
    s.at(30, "ok STAR-1"); // due at 25 under the desk's 20 minutes: late by 5
    s.at(40, "avl STAR-1");
    let events = s.events();
    assert!(
        matches!(&events[0].body, Body::LimitsRecorded { limits } if limits.default_checkin_minutes == 20),
        "{:?}",
        events[0].body
    );
    for reader in [20, 60, 5] {
        let safety = safety_read_with(&events, reader);
        assert_eq!(
            (
                safety.on_time,
                safety.late,
                safety.overdue_minutes,
                safety.judged_by_config
            ),
            (0, 1, 5.0, 0),
            "a reader with {reader} minutes"
        );
    }
    // A store from before the limits were recorded: the reader's config is all there is, and
    // the report says it stood in.
    let unrecorded: Vec<Event> = events
        .iter()
        .filter(|e| !matches!(e.body, Body::LimitsRecorded { .. }))
        .cloned()
        .collect();
    let sixty = safety_read_with(&unrecorded, 60);
    assert_eq!(
        (sixty.on_time, sixty.late, sixty.judged_by_config),
        (1, 0, 1)
    );
}

#[test]
fn a_desk_with_new_limits_records_them_and_later_stretches_use_them() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::at(T0);
    let open = |minutes: u32| {
        let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
        let mut policy = switchboard::domain::Policy::new(switchboard::config::protocol::shipped());
        policy.default_checkin_minutes = minutes;
        Desk::open(store, Box::new(clock.clone()), "ct")
            .unwrap()
            .with_policy(policy)
    };
    let run = |d: &mut Desk, minute: i64, line: &str| {
        clock.set(T0 + minute * MIN);
        match d.run_line(line).unwrap() {
            Outcome::Committed(events) => events.into_iter().map(|e| e.body).collect::<Vec<_>>(),
            Outcome::Answered(lines) => panic!("{lines:?}"),
        }
    };
    let limits = |bodies: &[Body]| {
        bodies
            .iter()
            .filter_map(|b| match b {
                Body::LimitsRecorded { limits } => Some(limits.default_checkin_minutes),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut d = open(20);
    assert_eq!(
        limits(&run(&mut d, 0, "unit add STAR-1 clinician,medic")),
        [20]
    );
    assert!(
        d.run_line("dp STAR-9 1").is_err(),
        "a refusal records nothing"
    );
    assert_eq!(
        limits(&run(&mut d, 0, "call 1 Main St / asleep --type welfare")),
        [0u32; 0]
    );
    run(&mut d, 1, "dp STAR-1 1");
    run(&mut d, 5, "ons STAR-1");
    run(&mut d, 30, "avl STAR-1"); // due at 25: late
    d.close().unwrap();
    // The same desk, restarted with the same config, records nothing new.
    let mut d = open(20);
    assert_eq!(
        limits(&run(&mut d, 31, "call 2 Main St / asleep --type welfare")),
        [0u32; 0]
    );
    d.close().unwrap();
    // Restarted with a 40-minute check-in: recorded with the first change, and the stretch that
    // follows is judged by it whatever the reader's config says.
    let mut d = open(40);
    assert_eq!(limits(&run(&mut d, 32, "dp STAR-1 2")), [40]);
    run(&mut d, 35, "ons STAR-1");
    run(&mut d, 60, "avl STAR-1"); // due at 75: on time, not late
    let mut events = d.events().unwrap();
    events.sort_by_key(Event::fold_key);
    let safety = safety_read_with(&events, 20);
    assert_eq!((safety.late, safety.judged_by_config), (1, 0));
}

#[test]
fn calls_by_hour_have_hour_headings() {
    let s = shift();
    let text = switchboard::report::table::text(&summary(&s, None));
    let at = text.find("Calls by hour of day").unwrap();
    let lines: Vec<&str> = text[at..].lines().skip(1).take(4).collect();
    assert_eq!(
        lines[0],
        "  hour    00   01   02   03   04   05   06   07   08   09   10   11"
    );
    assert_eq!(
        lines[1],
        "  calls    0    0    0    0    0    0    0    0    0    0    3    1"
    );
    assert!(lines[2].starts_with("  hour    12   13"), "{lines:?}");
    assert!(lines[3].starts_with("  calls    2    0"), "{lines:?}");
}

#[test]
fn exports_say_why_eido_has_more_documents_than_the_csv_has_rows() {
    let s = Sandbox::with_calls();
    s.ok(&["exec", "backup 2 ems"]);
    let out = s.run(&["export", "--format", "eido"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    let said = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        said,
        "switchboard: 3 EIDO documents: 2 calls and 1 backup call (an incident of its own here; \
         the CSV export and the report count it in the call that asked)\n"
    );
    let out = s.run(&["export", "--format", "csv"]);
    assert_eq!(
        read_csv(&String::from_utf8_lossy(&out.stdout)).len(),
        3,
        "a header and 2 calls"
    );
    let said = String::from_utf8(out.stderr).unwrap();
    assert!(
        said.starts_with("switchboard: 2 calls; 1 backup call is counted"),
        "{said}"
    );
    // Without backups the exports agree and say nothing more.
    let quiet = Sandbox::with_calls();
    let out = quiet.run(&["export", "--format", "eido"]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
