//! The training console without a terminal: a scenario's world on a `ManualClock` that the test
//! moves as the run loop would (real time × speed), trainer keys as key strings, and snapshots
//! of the training screen and the score at 80×24.

use std::path::{Path, PathBuf};

use switchboard::console::app::{App, Options, Tone};
use switchboard::console::keymap::{Keymap, Mode};
use switchboard::console::theme::{ColorDepth, Theme};
use switchboard::console::training::Training;
use switchboard::desk::{Desk, ManualClock};
use switchboard::domain::ReplicaId;
use switchboard::sim::{self, Scenario, Simulation, START_MS};
use switchboard::store::{Store, StoreKind};
use tempfile::TempDir;

const SECOND: i64 = 1000;

fn scenario(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    sim::load(&path, &switchboard::config::protocol::shipped()).unwrap_or_else(|e| panic!("{e}"))
}

struct Bench {
    app: App,
    dir: TempDir,
}

use crate::common::keys::options;

fn theme() -> Theme {
    Theme::load("ansi16", None, ColorDepth::Ansi16).unwrap()
}

/// A training console on `name` at speed ×1, with `--report` to `report` in the temp dir.
fn training(name: &str, keymap: &str, report: Option<&str>) -> Bench {
    training_with(name, keymap, report, options(keymap))
}

fn training_with(name: &str, keymap: &str, report: Option<&str>, options: Options) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(name);
    let store = sim::open_training_store(&dir.path().join("run")).unwrap();
    let clock = ManualClock::at(s.start_ms());
    let mut desk = Desk::open(store, Box::new(clock.clone()), sim::OPERATOR).unwrap();
    let simulation = Simulation::new(&s, s.seed, clock, &mut desk, None).unwrap();
    let report = report.map(|r| dir.path().join(r));
    let app = App::new(desk, Keymap::preset(keymap).unwrap(), theme(), options, &[])
        .with_training(Training::new(simulation, s.speed, report));
    Bench { app, dir }
}

impl Bench {
    fn text(&mut self) -> String {
        crate::common::keys::text(&mut self.app, 80, 24)
    }

    /// Presses keys written as in keymaps: `<F2>` and friends, other characters as typed.
    fn keys(&mut self, keys: &str) {
        crate::common::keys::press(&mut self.app, keys);
    }

    /// Seconds into the shift on the training clock.
    fn elapsed_s(&self) -> i64 {
        (self.app.now_ms() - START_MS) / SECOND
    }

    fn training(&self) -> &Training {
        self.app.training.as_ref().unwrap()
    }

    fn message(&self) -> String {
        self.app
            .ui
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    fn report(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

#[test]
fn trainer_keys_pause_resume_and_change_the_clock_speed() {
    let mut b = training("tutorial.toml", "default", None);
    assert_eq!(b.elapsed_s(), 0);
    b.app.pass_time(10_000);
    assert_eq!(b.elapsed_s(), 10, "×1: ten real seconds are ten simulated");

    b.keys("<C-x>t");
    assert_eq!(b.app.ui.mode, Mode::Trainer);
    b.keys("p");
    assert!(b.training().paused);
    assert!(b.text().lines().next().unwrap().contains("paused"));
    b.app.pass_time(60_000);
    assert_eq!(b.elapsed_s(), 10, "a paused clock does not move");
    b.keys("p");
    assert!(!b.training().paused);
    assert_eq!(b.message(), "Training clock running");

    b.keys("++");
    assert!((b.training().speed - 4.0).abs() < f64::EPSILON);
    assert_eq!(b.message(), "Training clock ×4");
    b.app.pass_time(5_000);
    assert_eq!(b.elapsed_s(), 30);
    b.keys("-");
    assert!((b.training().speed - 2.0).abs() < f64::EPSILON);
    b.app.pass_time(5_000);
    assert_eq!(b.elapsed_s(), 40);
    // Fractions of a millisecond are owed, not lost: 3 × 0.5 ms at ×0.25 … ×2 still adds up.
    b.keys("---");
    assert!((b.training().speed - 0.25).abs() < f64::EPSILON);
    for _ in 0..4 {
        b.app.pass_time(1_000);
    }
    assert_eq!(b.app.now_ms() - START_MS, 41_000);
    assert!(b.text().lines().next().unwrap().contains("0:00:41 ×0.25"));

    b.keys("<Esc>");
    assert_eq!(b.app.ui.mode, Mode::Command);
    // Back in the console, `p` is typed into the command line, not a trainer key.
    b.keys("p");
    assert_eq!(b.app.ui.line.text, "p");
    // The commands work typed too.
    b.keys("<C-u>sim-pause<Enter>");
    assert!(b.training().paused);
}

#[test]
fn the_vim_keymap_reaches_the_trainer_keys_with_space_t() {
    let mut b = training("tutorial.toml", "vim", None);
    b.keys(" t");
    assert_eq!(b.app.ui.mode, Mode::Trainer);
    b.keys("+");
    assert!((b.training().speed - 2.0).abs() < f64::EPSILON);
    b.keys("<Esc>");
    assert_eq!(b.app.ui.mode, Mode::Normal);
}

#[test]
fn trainer_keys_outside_a_training_run_say_so_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_as(dir.path(), StoreKind::Live, Some(ReplicaId(1))).unwrap();
    let clock = ManualClock::at(START_MS);
    let desk = Desk::open(store, Box::new(clock.clone()), "ct-rivera").unwrap();
    let mut b = Bench {
        app: App::new(
            desk,
            Keymap::preset("default").unwrap(),
            theme(),
            options("default"),
            &[],
        ),
        dir,
    };
    b.keys("<C-x>t");
    assert_eq!(b.app.ui.mode, Mode::Command);
    let message = b.app.ui.message.clone().unwrap();
    assert_eq!(message.tone, Tone::Refusal);
    assert_eq!(
        message.text,
        "trainer: not a training run; trainer keys work in `switchboard sim SCENARIO`"
    );
    for command in [
        "sim-pause",
        "sim-faster",
        "sim-slower",
        "sim-inject",
        "sim-end",
    ] {
        b.keys(&format!("{command}<Enter>"));
        assert!(b
            .message()
            .starts_with(&format!("{command}: not a training run")));
        b.keys("<C-u>");
    }
    b.app.pass_time(60_000);
    assert_eq!(b.app.now_ms(), START_MS);
    assert_eq!(b.app.desk.event_count(), 0);
    assert!(!b.text().contains("TRAINING"));
}

#[test]
fn the_caller_talks_as_the_call_goes_on_and_answers_ask() {
    let mut b = training("tutorial.toml", "default", None);
    assert!(b
        .text()
        .contains("No calls yet: the scenario's first call rings at 0:01:00."));
    // c1 rings at 0:01:00; its second line comes 20 s later.
    b.app.pass_time(60_000);
    let screen = b.text();
    assert!(
        screen.contains("Caller: \"There's a man on the bench"),
        "{screen}"
    );
    assert!(!screen.contains("looks really cold"), "{screen}");
    assert!(screen.contains("Hint: Answer within 15 s"), "{screen}");
    b.app.pass_time(20_000);
    assert!(b.text().contains("looks really cold"));

    // A bare ask is put to the caller, who answers with the scenario's truth.
    b.keys("ask w<Enter>");
    let screen = b.text();
    assert!(screen.contains("Caller (weapon): \"No.\""), "{screen}");
    let call = b.app.selected_call().unwrap();
    assert_eq!(call.answers.get("weapon").map(String::as_str), Some("no"));
}

#[test]
fn the_trainees_lines_go_through_the_world_teams_report_by_themselves() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(61_000);
    let id = b.app.selected_call().unwrap().id.clone();
    b.keys(&format!("dp STAR-1 {id}<Enter>"));
    // Turnout is 30–90 s in the tutorial: the team reports en route by itself.
    b.app.pass_time(120_000);
    let unit = b
        .app
        .state()
        .units
        .values()
        .find(|u| u.callsign.as_str() == "STAR-1")
        .unwrap();
    assert_ne!(unit.status, switchboard::domain::UnitStatus::Dispatched);
    // A refused line is the trainee's mistake, and says why in one line.
    b.keys("dp NOSUCH-1<Enter>");
    assert_eq!(b.app.ui.message.as_ref().unwrap().tone, Tone::Refusal);
}

#[test]
fn inject_brings_the_next_scripted_call_forward_to_now() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(5_000);
    b.keys("<C-x>ti");
    // The trainer and the trainee both know the call: by the desk's id and the scenario's name.
    assert_eq!(
        b.message(),
        "Injected: call 26-HA0001 (c1) rings now: man sitting in the cold for hours"
    );
    assert!(b.app.ui.bell, "an injected call rings like any other");
    assert_eq!(b.app.state().calls.len(), 1);
    assert_eq!(
        b.app.state().calls.values().next().unwrap().received_ms,
        START_MS + 5_000
    );
    // The call does not ring a second time at its scripted minute.
    b.app.pass_time(60_000);
    assert_eq!(b.app.state().calls.len(), 1);
}

#[test]
fn training_console_80x24() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(72_000);
    b.keys("ask v<Enter>");
    b.app.pass_time(3_000);
    b.keys("ask w<Enter>");
    let screen = b.text();
    assert!(screen
        .lines()
        .next()
        .unwrap()
        .contains(" TRAINING  0:01:15 ×1 "));
    insta::assert_snapshot!(screen);
}

#[test]
fn the_score_screen_appears_at_the_end_and_the_report_is_written() {
    let mut b = training("tutorial.toml", "default", Some("run.json"));
    b.app.pass_time(61_000);
    b.keys("ask v<Enter>ask w<Enter>");
    // The rest of the three-hour shift goes by untouched.
    b.app.pass_time(3 * 3_600_000);
    assert!(b.training().ended());
    assert!(b.app.score_shown().is_some());
    let screen = b.text();
    assert!(screen.contains("Training score: tutorial"), "{screen}");
    assert!(screen.contains("ENDED"), "{screen}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.report("run.json")).unwrap()).unwrap();
    let score = b.training().score.clone().unwrap();
    assert_eq!(json["points"], score.points);
    assert_eq!(score.calls_total, 5);
    assert_eq!(score.calls_handled, 0);
    assert!(score.mistakes.contains_key("not-closed"));
    // The clock stops; trainer keys say the run is over; Esc closes the score; sim-end shows it.
    let at = b.app.now_ms();
    b.app.pass_time(60_000);
    assert_eq!(b.app.now_ms(), at);
    b.keys("<Esc>");
    assert!(b.app.score_shown().is_none());
    b.keys("sim-faster<Enter>");
    assert!(b.message().contains("the training run is over"));
    b.keys("<C-u>sim-end<Enter>");
    assert!(b.app.score_shown().is_some());
}

#[test]
fn score_screen_80x24() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(61_000);
    b.keys("ask v<Enter>ask w<Enter>");
    b.app.pass_time(3 * 3_600_000);
    insta::assert_snapshot!(b.text());
}

#[test]
fn sim_end_scores_what_was_done_so_far_as_markdown() {
    let mut b = training("tutorial.toml", "default", Some("run.md"));
    b.app.pass_time(61_000);
    b.keys("ask v<Enter>");
    b.keys("<C-x>tE");
    assert!(b.training().ended());
    let score = b.training().score.clone().unwrap();
    // Only c1 had come in, and it was answered within 15 s.
    assert_eq!(score.calls.len(), 1);
    assert_eq!(score.calls[0].answer_s, Some(1));
    let md = std::fs::read_to_string(b.report("run.md")).unwrap();
    assert!(md.starts_with("# Training run: tutorial"), "{md}");
    assert!(b.message().contains("report written to"), "{}", b.message());
    assert!(Path::new(&b.report("run.md")).exists());
}

#[test]
fn a_call_ringing_rings_the_bell_and_says_so() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(59_000);
    assert!(!b.app.ui.bell);
    b.app.pass_time(1_000);
    assert!(b.app.ui.bell, "c1 rang at 0:01:00");
    assert_eq!(
        b.message(),
        "New call 26-HA0001: man sitting in the cold for hours at 1400 Colfax Ave"
    );
    // The run loop rings once and clears the flag; nothing rings until the next call.
    b.app.ui.bell = false;
    b.app.pass_time(60_000);
    assert!(!b.app.ui.bell);
}

#[test]
fn answer_times_are_real_seconds_whatever_the_clock_speed() {
    let mut b = training("tutorial.toml", "default", None);
    b.keys("<C-x>t+++++<Esc>");
    assert!((b.training().speed - 32.0).abs() < f64::EPSILON);
    // c1 rings at 0:01:00, under two real seconds in at ×32; the trainee answers three real
    // seconds later, a minute and a half on the shift's clock.
    b.app.pass_time(2_000);
    b.app.pass_time(3_000);
    b.keys("ask v<Enter>");
    b.keys("<C-x>tE");
    let score = b.training().score.clone().unwrap();
    assert_eq!(score.calls[0].answer_s, Some(3), "{:?}", score.calls[0]);
    assert!(
        !score.mistakes.contains_key("slow-answer"),
        "{:?}",
        score.mistakes
    );
    let screen = b.text();
    assert!(
        screen.contains("Answer times are real seconds at the console; the shift's clock ran at"),
        "{screen}"
    );
}

#[test]
fn a_refused_line_is_not_a_mistake() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(61_000);
    let id = b.app.selected_call().unwrap().id.clone();
    // Unanswered, the protocol says co-response: EMS needs a reason, and the desk says so.
    b.keys(&format!("respond {id} ems<Enter>"));
    assert_eq!(b.app.ui.message.as_ref().unwrap().tone, Tone::Refusal);
    b.keys("<C-u><C-x>tE");
    let score = b.training().score.clone().unwrap();
    assert_eq!(score.refused.len(), 1, "{:?}", score.refused);
    assert!(
        score
            .mistake_list
            .iter()
            .all(|m| m.kind != "refused-action"),
        "{:?}",
        score.mistake_list
    );
    // Nothing was committed on the call, so it was never answered.
    assert_eq!(score.calls[0].answer_s, None);
}

#[test]
fn the_team_radios_the_ride_and_how_the_call_ended() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(61_000);
    b.keys("ask v<Enter>ask w<Enter>ask c<Enter>ask m<Enter>ask f<Enter>ask h<Enter>");
    b.keys("ask i<Enter>ask k<Enter>");
    let id = b.app.selected_call().unwrap().id.clone();
    b.keys(&format!("dp STAR-1 {id}<Enter>"));
    let mut heard = String::new();
    for _ in 0..180 {
        b.app.pass_time(60_000);
        heard = b.text();
        if heard.contains("Radio: STAR-1 clear") {
            break;
        }
        if b.app
            .ui
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("transporting"))
        {
            assert!(
                b.app
                    .state()
                    .units
                    .values()
                    .any(|u| u.callsign.as_str() == "STAR-1"
                        && u.status == switchboard::domain::UnitStatus::Transporting),
                "{heard}"
            );
        }
    }
    assert!(
        heard.contains("Radio: STAR-1 transporting to shelter"),
        "{heard}"
    );
    assert!(
        heard.contains("Radio: STAR-1 clear: transported to a"),
        "{heard}"
    );
}

#[test]
fn star_shift_shows_its_own_clock_from_seven() {
    // The trainee's machine shows local time elsewhere; a shift's clock is the scenario's.
    let local = Options {
        utc: false,
        ..options("default")
    };
    let mut b = training_with("star-shift.toml", "default", None, local);
    let top = b.text().lines().next().unwrap().to_owned();
    assert!(top.contains(" 0:00:00 ×1  07:00 "), "{top}");
}

#[test]
fn the_score_says_why_each_call_lost_points_and_scrolls() {
    let mut b = training("star-shift.toml", "default", None);
    b.app.pass_time(16 * 3_600_000);
    let screen = b.text();
    assert!(
        screen.contains("s01  26-HA0001      -    0  -100 never answered; nothing was done"),
        "{screen}"
    );
    assert!(
        screen.contains("more calls below (Down, PageDown"),
        "{screen}"
    );
    // Clamped: past the end and back up one page shows the list 10 calls from its end.
    for _ in 0..10 {
        b.keys("<PageDown>");
    }
    assert_eq!(b.training().score_scroll, 29);
    b.keys("<PageUp>");
    assert_eq!(b.training().score_scroll, 19);
    let screen = b.text();
    assert!(screen.contains("^ 19 calls above (Up, PageUp)"), "{screen}");
    assert!(screen.contains("s20  26-HA0020"), "{screen}");
    for _ in 0..5 {
        b.keys("<Up><Up><Up><Up><Up>");
    }
    assert_eq!(b.training().score_scroll, 0);
}

/// Issue 12 item 11: the details pane keeps the last three things heard on a call; the call shown
/// whole (Alt-W) has every one, the first included.
#[test]
fn the_call_whole_has_everything_heard_on_it() {
    let mut b = training("tutorial.toml", "default", None);
    b.app.pass_time(72_000);
    for q in ["v", "w", "c", "m"] {
        b.keys(&format!("ask {q}<Enter>"));
        b.app.pass_time(3_000);
    }
    let call = b.app.selected_call().unwrap().id.clone();
    let heard = b.training().sim.heard(&call);
    assert!(heard.len() > 3, "{} heard", heard.len());
    let first: String = heard[0].text.chars().take(24).collect();
    let pane = b.text();
    assert!(!pane.contains(&first), "{pane}");
    b.keys("<A-w>");
    let mut seen = String::new();
    let mut last = String::new();
    for _ in 0..30 {
        let screen = b.text();
        last.clone_from(&screen);
        for line in screen.lines() {
            seen.push_str(line.trim_matches('"').trim_matches('│').trim());
            seen.push(' ');
        }
        b.keys("<Down>");
    }
    let seen: String = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    for h in &heard {
        let start: String = h
            .text
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            seen.contains(&start),
            "{start:?} not in the call whole: {seen}"
        );
    }
}
