//! What rings the console's bell, per kind (`[alarms] bell` in `config.toml`), and the flash
//! (issue 14 item 2). The console is driven without a terminal; the pty test in `pty.rs` checks
//! the BEL byte itself.

use crate::common::desk::{desk, MIN, T0};
use crate::common::keys::{console, press};
use switchboard::config::{Ring, Settings};

/// Looks once, as the run loop does before drawing; whether the bell rang.
fn rang(app: &mut switchboard::console::app::App, now_ms: i64) -> bool {
    app.listen(now_ms);
    std::mem::take(&mut app.ui.bell)
}

#[test]
fn each_kind_rings_only_when_listed_and_what_was_there_at_the_start_rings_nothing() {
    let (mut d, clock, _dir) = desk();
    d.execute_line("call 1 Oak St / noise --pri 4").unwrap();
    let mut app = console(d, "default").ringing(&[Ring::P1, Ring::Waiting], false);
    assert!(!rang(&mut app, T0), "what was there at the start rang");
    // Another desk's P3: new-call is not listed.
    app.desk
        .execute_line("call 2 Oak St / welfare check --pri 3")
        .unwrap();
    assert!(!rang(&mut app, T0));
    app.desk
        .execute_line("call 3 Oak St / man down --pri 1")
        .unwrap();
    assert!(rang(&mut app, T0), "a P1 arriving rings");
    assert!(!rang(&mut app, T0), "once");
    // The P1 passes its 2 minutes pending.
    clock.set(T0 + 3 * MIN);
    assert!(rang(&mut app, T0 + 3 * MIN), "a call past its limit rings");
    assert!(!rang(&mut app, T0 + 3 * MIN), "once, not every tick");
}

#[test]
fn a_call_this_console_takes_rings_nothing_and_bell_off_is_silent() {
    let (d, _clock, _dir) = desk();
    let mut app = console(d, "default");
    assert!(!rang(&mut app, T0));
    press(&mut app, "call 9 Elm St / welfare check<Enter>");
    assert_eq!(app.state().calls.len(), 1);
    assert!(!rang(&mut app, T0), "the console's own call rang");
    app.desk
        .execute_line("call 10 Elm St / welfare check")
        .unwrap();
    assert!(
        rang(&mut app, T0),
        "a call taken elsewhere rings by default"
    );

    let (d, _clock, _dir) = desk();
    let mut quiet = console(d, "default").ringing(&[], false);
    assert!(!rang(&mut quiet, T0));
    quiet
        .desk
        .execute_line("call 1 Oak St / man down --pri 1")
        .unwrap();
    assert!(!rang(&mut quiet, T0), "bell = [] rings nothing");
}

#[test]
fn the_flash_marks_the_status_bar_for_a_second() {
    let (d, clock, _dir) = desk();
    let mut app = console(d, "default").ringing(&Ring::ALL, true);
    rang(&mut app, T0);
    app.desk
        .execute_line("call 1 Oak St / man down --pri 1")
        .unwrap();
    assert!(rang(&mut app, T0));
    assert_eq!(app.ui.flash_until_ms, T0 + 1_000);
    let flashed = status_style(&mut app);
    clock.set(T0 + 2_000);
    let after = status_style(&mut app);
    assert_ne!(
        flashed, after,
        "the status bar looks the same flashed and not"
    );
}

/// The style of the status bar's first cell.
fn status_style(app: &mut switchboard::console::app::App) -> ratatui::style::Style {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|f| switchboard::console::view::screen::draw(f, app))
        .unwrap();
    terminal.backend().buffer()[(0, 0)].style()
}

#[test]
fn the_config_names_the_kinds_that_ring_and_refuses_an_unknown_one() {
    let s = Settings::parse("[alarms]\nbell = [\"p1\", \"peer-down\"]\nflash = true\n").unwrap();
    assert_eq!(s.alarms.bell, vec![Ring::P1, Ring::PeerDown]);
    assert!(s.alarms.flash);
    assert_eq!(
        s.alarms.pending_minutes,
        [2, 5, 15, 30],
        "limits keep their defaults"
    );
    assert_eq!(Settings::default().alarms.bell, Ring::ALL.to_vec());
    let err = Settings::parse("[alarms]\nbell = [\"siren\"]\n").unwrap_err();
    assert!(err.starts_with("2:") && err.contains("siren"), "{err}");
}
