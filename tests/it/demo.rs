//! The demo console is a live centre: opened on its history, its calls keep coming and its
//! teams keep moving as real time goes by (here a `ManualClock` the test moves as the run loop
//! would), and a team the person at the console sends moves by itself. At 80×24.

use switchboard::console::app::App;
use switchboard::demo::Centre;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::{ReplicaId, UnitStatus};
use switchboard::store::{Store, StoreKind};

/// 2026-09-21 14:13 UTC: inside service hours.
const NOW: i64 = 1_790_000_000_000;
const MINUTE: u64 = 60_000;

struct Demo {
    app: App,
    _dir: tempfile::TempDir,
}

/// The demo console as `switchboard demo` opens it on an empty store: a day of history, then
/// the centre working the desk.
fn demo() -> Demo {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Demo, Some(ReplicaId(3))).unwrap();
    let clock = ManualClock::at(NOW);
    let mut desk = Desk::open(store, Box::new(clock.clone()), "ct-visitor").unwrap();
    let (centre, _) = Centre::start(&mut desk, clock, 1, 2020, NOW).unwrap();
    let app = crate::common::keys::console(desk, "default").with_world(Box::new(centre));
    Demo { app, _dir: dir }
}

impl Demo {
    fn text(&mut self) -> String {
        crate::common::keys::text(&mut self.app, 80, 24)
    }

    fn keys(&mut self, keys: &str) {
        crate::common::keys::press(&mut self.app, keys);
    }

    /// Real time goes by a minute at a time, as the run loop gives it.
    fn minutes(&mut self, n: u64) {
        for _ in 0..n {
            self.app.pass_time(MINUTE);
        }
    }

    fn status(&self, callsign: &str) -> UnitStatus {
        self.app
            .state()
            .units
            .values()
            .find(|u| u.callsign.as_str() == callsign)
            .unwrap()
            .status
    }
}

#[test]
fn the_demo_keeps_working_while_it_is_open() {
    let mut d = demo();
    let opened = d.app.desk.event_count();
    let calls = d.app.state().calls.len();
    d.minutes(90);
    assert_eq!(
        d.app.now_ms(),
        NOW + 90 * 60_000,
        "the centre runs on the real clock"
    );
    assert!(
        d.app.desk.event_count() > opened + 20,
        "{} events in 90 minutes",
        d.app.desk.event_count() - opened
    );
    assert!(
        d.app.state().calls.len() > calls,
        "no call came in while the console was open"
    );
    let screen = d.text();
    assert!(screen.contains(" DEMO "), "{screen}");
}

#[test]
fn a_team_the_dispatcher_sends_moves_by_itself() {
    let mut d = demo();
    d.keys("call 1200 Lincoln St apt 4 / man pacing, says he cannot sleep --type welfare<Enter>");
    let call = d.app.selected_call().unwrap().id.clone();
    let free = d
        .app
        .roster()
        .iter()
        .find(|u| u.status == UnitStatus::Available && u.callsign.as_str().starts_with("STAR"))
        .map(|u| u.callsign.to_string())
        .expect("a free team");
    d.keys(&format!("dp {free} {call}<Enter>"));
    assert_eq!(d.status(&free), UnitStatus::Dispatched);
    d.minutes(3);
    assert_ne!(
        d.status(&free),
        UnitStatus::Dispatched,
        "the team did not report en route"
    );
    let mut arrived = false;
    for _ in 0..80 {
        d.minutes(1);
        arrived |= d.status(&free) == UnitStatus::OnScene;
        if arrived {
            break;
        }
    }
    assert!(arrived, "{free} never got on scene:\n{}", d.text());
    let screen = d.text();
    assert!(screen.contains(&format!("{free}   ONS")), "{screen}");
}

#[test]
fn demo_console_80x24() {
    let mut d = demo();
    d.minutes(5);
    insta::assert_snapshot!(d.text());
}

/// Moving the call selection on the demo desk, by the default keymap's Ctrl-N/Ctrl-P and the
/// vim keymap's j/k, with time going by between: through the lean backend into a vt100
/// emulator, the screen is the frame after every key.
#[test]
fn selection_moves_leave_the_terminal_showing_the_frame() {
    use crate::common::wire::Wire;
    for (keymap, down, up) in [("default", "<C-n>", "<C-p>"), ("vim", "j", "k")] {
        let mut d = demo();
        d.app.keymap = switchboard::console::keymap::Keymap::preset(keymap).unwrap();
        d.minutes(5);
        for (width, height) in [(80, 24), (120, 40)] {
            let mut wire = Wire::new(width, height);
            wire.draw(&mut d.app, "the first frame");
            for (n, key) in [down, down, down, down, up, up, down, up, up, up, up]
                .iter()
                .enumerate()
            {
                d.keys(key);
                wire.draw(
                    &mut d.app,
                    &format!("key {n} {key} ({keymap}, {width}x{height})"),
                );
                if n % 4 == 3 {
                    d.minutes(1);
                    wire.draw(&mut d.app, &format!("a minute after key {n}"));
                }
            }
        }
    }
}

/// A selection move writes what changed on the screen and little else: on the demo desk at
/// 80×24, each Ctrl-N and Ctrl-P down the queue and back costs the changed cells' text and at
/// most 256 B of moves and styles (482–627 B in all, 546 B on average, when this was written;
/// the backend before wrote 717–982 B, over twice the text). Issue 13's goal is 500 B: the
/// text of a move alone is 280–400 B here, a third of it the selected queue row's restyle.
#[test]
fn a_selection_move_costs_what_changed() {
    use crate::common::wire::Wire;
    let mut d = demo();
    d.minutes(5);
    let mut wire = Wire::new(80, 24);
    wire.draw(&mut d.app, "the first frame");
    let mut costs = Vec::new();
    for key in [
        "<C-n>", "<C-n>", "<C-n>", "<C-n>", "<C-p>", "<C-p>", "<C-p>", "<C-p>",
    ] {
        d.keys(key);
        let bytes = wire.draw(&mut d.app, key).len();
        costs.push((key, bytes, wire.ink));
    }
    for &(key, bytes, ink) in &costs {
        assert!(
            bytes <= ink + 256,
            "{key}: {bytes} B for {ink} B of text: {costs:?}"
        );
    }
    let mean = costs.iter().map(|c| c.1).sum::<usize>() / costs.len();
    assert!(mean <= 600, "{mean} B a move on average: {costs:?}");
}
