//! Training simulations: shipped scenarios load and score as expected, runs are deterministic,
//! wrong actions lose their points, and broken scenario files give their one-line error.

use std::path::{Path, PathBuf};
use std::process::Command;

use switchboard::domain::{Body, Event};
use switchboard::sim::{self, Action, Scenario, Score};
use switchboard::store::{Store, StoreKind};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenario(name: &str) -> Scenario {
    sim::load(
        &root().join("scenarios").join(name),
        &switchboard::config::protocol::shipped(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn run_in(dir: &Path, s: &Scenario, actions: &[Action]) -> Score {
    let store = sim::open_training_store(dir).unwrap();
    sim::run(s, s.seed, store, actions).unwrap()
}

fn run(s: &Scenario, actions: &[Action]) -> Score {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), s, actions)
}

fn log(dir: &Path) -> Vec<(Body, i64)> {
    let store = Store::open(dir, StoreKind::Training).unwrap();
    let mut events = store.load().unwrap();
    events.sort_by_key(Event::fold_key);
    events.into_iter().map(|e| (e.body, e.wall_ms)).collect()
}

fn call<'a>(score: &'a Score, id: &str) -> &'a sim::score::CallScore {
    score.calls.iter().find(|c| c.id == id).unwrap()
}

#[test]
fn every_shipped_scenario_passes_its_check() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "hard-calls.toml",
            "milwaukee-2018-05-01.toml",
            "star-shift.toml",
            "tutorial.toml"
        ]
    );
    for name in &names {
        let s = scenario(name);
        assert!(!s.calls.is_empty() && !s.actions.is_empty(), "{name}");
    }
}

#[test]
fn tutorial_scores_full_marks_with_its_script() {
    let s = scenario("tutorial.toml");
    assert_eq!(s.calls.len(), 5);
    assert!(s.calls.iter().all(|c| c.hint.is_some()));
    let score = run(&s, &s.actions);
    assert_eq!((score.points, score.max_points), (500, 500), "{score:#?}");
    assert_eq!((score.calls_total, score.calls_handled), (5, 5));
    assert!(score.answer.meets_nena);
    assert!(score.mistakes.is_empty(), "{:?}", score.mistake_list);
    // The person left before the team arrived: gone on arrival is the right disposition.
    assert_eq!(call(&score, "c5").expected_disposition, "gone");
    assert_eq!(call(&score, "c4").capability_fit, None);
}

#[test]
fn hard_calls_score_full_marks_with_their_script() {
    let s = scenario("hard-calls.toml");
    let score = run(&s, &s.actions);
    assert_eq!((score.points, score.max_points), (600, 600), "{score:#?}");
    assert_eq!(score.calls_handled, 6);
    assert!(score.mistakes.is_empty(), "{:?}", score.mistake_list);
    let weapon = call(&score, "weapon");
    assert_eq!(weapon.escalation_handled, Some(true));
    assert_eq!(weapon.response.as_deref(), Some("co-response"));
    assert_eq!(call(&score, "drunk").response.as_deref(), Some("ems"));
    assert_eq!(call(&score, "busstop-again").linked, Some(true));
    assert_eq!(call(&score, "backup").escalation_handled, Some(true));
}

/// Issue 14 item 8: a second call about the same person merged into the first is worked right
/// (the shipped script merges it); one linked but sent a team of its own loses the link's points.
#[test]
fn a_duplicate_merged_scores_full_and_a_team_sent_to_it_does_not() {
    let s = scenario("hard-calls.toml");
    let score = run(&s, &s.actions);
    let again = call(&score, "busstop-again");
    assert_eq!((again.linked, again.points), (Some(true), 100));
    assert!(again.response_right && again.disposition_right, "{again:?}");

    let mut actions: Vec<Action> = Vec::new();
    for a in &s.actions {
        if a.run.starts_with("merge ") {
            let at = |ms: i64, run: &str| Action {
                at_ms: ms,
                run: run.to_owned(),
                ..a.clone()
            };
            actions.push(at(a.at_ms, "link {busstop-again} {busstop}"));
            actions.push(at(a.at_ms + 10_000, "unit add STAR-9 clinician,medic"));
            actions.push(at(a.at_ms + 12_000, "dp STAR-9 {busstop-again}"));
            actions.push(at(a.at_ms + 14_000, "avl STAR-9"));
            actions.push(at(a.at_ms + 20_000, "merge {busstop-again} {busstop}"));
        } else {
            actions.push(a.clone());
        }
    }
    let score = run(&s, &actions);
    let again = call(&score, "busstop-again");
    assert_eq!(again.points, 90, "{again:?}");
    assert!(
        score
            .mistakes
            .iter()
            .any(|(k, n)| k == "duplicate-dispatched" && *n == 1),
        "{:?}",
        score.mistakes
    );
}

#[test]
fn star_shift_scores_full_marks_with_its_script() {
    let s = scenario("star-shift.toml");
    assert_eq!((s.calls.len(), s.units.len()), (30, 8));
    let score = run(&s, &s.actions);
    assert_eq!((score.points, score.max_points), (3000, 3000));
    assert_eq!((score.calls_total, score.calls_handled), (30, 30));
    assert!(score.answer.within_15s_pct >= 100.0);
    assert!(score.mistakes.is_empty(), "{:?}", score.mistake_list);
}

#[test]
fn the_same_scenario_seed_and_actions_give_the_same_log_and_score() {
    for name in ["hard-calls.toml", "star-shift.toml"] {
        let s = scenario(name);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = run_in(a.path(), &s, &s.actions);
        let second = run_in(b.path(), &s, &s.actions);
        assert_eq!(first, second, "{name}");
        let (la, lb) = (log(a.path()), log(b.path()));
        assert!(la.len() > 100, "{name}: {} events", la.len());
        assert_eq!(la, lb, "{name}");
    }
}

#[test]
fn another_seed_moves_the_teams_differently() {
    let s = scenario("star-shift.toml");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let store = sim::open_training_store(a.path()).unwrap();
    sim::run(&s, 1, store, &s.actions).unwrap();
    run_in(b.path(), &s, &s.actions);
    assert_ne!(log(a.path()), log(b.path()));
}

#[test]
fn wrong_actions_lose_the_points_they_should() {
    let s = scenario("hard-calls.toml");
    let mut actions: Vec<Action> = s
        .actions
        .iter()
        // Ignore the weapon: no re-ask, no new response, no co-responders.
        .filter(|a| {
            ![
                "ask {weapon} w",
                "respond {weapon} co-response",
                "dp CR-1 {weapon}",
            ]
            .contains(&a.run.as_str())
                || a.at_ms < 10 * 60_000
        })
        // Never link the second caller: answer it on its own instead of merging it.
        .flat_map(|a| {
            if a.run.starts_with("merge ") {
                let at = |ms: i64, run: &str| Action {
                    at_ms: ms,
                    run: run.to_owned(),
                    ..a.clone()
                };
                vec![
                    at(
                        a.at_ms + 24_000,
                        "respond {busstop-again} info --reason a team is already on the way",
                    ),
                    at(a.at_ms + 54_000, "close {busstop-again} cancelled"),
                ]
            } else {
                vec![a.clone()]
            }
        })
        .collect();
    // Record the caller's "blue lips" as no medical emergency.
    for a in &mut actions {
        if a.run == "ask {drunk} m" {
            a.run = "ask {drunk} m no".to_owned();
        }
    }
    let score = run(&s, &actions);

    let weapon = call(&score, "weapon");
    assert_eq!(weapon.escalation_handled, Some(false));
    assert!(!weapon.response_right);
    assert_eq!(weapon.points, 100 - 20 - 10);

    // With the wrong answer the protocol no longer says EMS (the questions left unasked make it
    // a cautious joint response); "respond ems" then needs a reason and is refused; the
    // ambulance sent lacks the clinician and police a joint response needs.
    let drunk = call(&score, "drunk");
    assert_eq!(drunk.wrong_answers, 1);
    assert_eq!(drunk.response.as_deref(), Some("co-response"));
    assert_eq!(drunk.capability_fit, Some(false));
    assert_eq!(drunk.points, 100 - 5 - 20 - 15);

    let again = call(&score, "busstop-again");
    assert_eq!(again.linked, Some(false));
    // Its first action was the merge: without it, the trainee first touched it after 30 s.
    assert_eq!(again.answer_s, Some(30));
    assert_eq!(again.points, 100 - 10 - 10 - 10);

    assert_eq!(score.points, 600 - 30 - 40 - 30);
    let kinds: Vec<(&str, usize)> = score
        .mistakes
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(
        kinds,
        [
            ("capability-misfit", 1),
            ("duplicate-not-linked", 1),
            ("escalation-missed", 1),
            ("not-triaged", 1),
            ("slow-answer", 1),
            ("wrong-answer", 1),
            ("wrong-response", 2),
        ]
    );
    // "respond ems" refused: it changed nothing, so it costs nothing, but it is listed.
    assert_eq!(score.refused.len(), 1, "{:?}", score.refused);
    assert!(
        score.refused[0].line.starts_with("respond "),
        "{:?}",
        score.refused
    );
    // Every point a call lost is a mistake that says why.
    for c in &score.calls {
        let lost: u32 = score
            .mistake_list
            .iter()
            .filter(|m| m.call.as_deref() == Some(c.id.as_str()))
            .map(|m| m.points)
            .sum();
        assert_eq!(c.points + lost, 100, "{}: {:?}", c.id, score.mistake_list);
    }
    let md = score.to_markdown();
    // Calls are named as the trainee saw them, with the scenario's name; no `{…}` is left.
    assert!(
        md.contains("escalation-missed 26-HA0001 (weapon): weapon mentioned"),
        "{md}"
    );
    assert!(!md.contains('{'), "{md}");
    assert!(
        md.contains("a second call about the person of 26-HA0004 (busstop)"),
        "{md}"
    );
    assert!(
        md.contains("1 line refused") || md.contains("Lines the desk refused"),
        "{md}"
    );
    // The mistakes are listed in the order they happened.
    let mistakes = md.split("## Lines the desk refused").next().unwrap();
    let times: Vec<i64> = mistakes
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(switchboard::sim::scenario::parse_time)
        .collect();
    assert!(times.len() >= 8, "{md}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{md}");
}

#[test]
fn a_call_nobody_answered_scores_nothing() {
    let s = scenario("tutorial.toml");
    let score = run(&s, &[]);
    assert_eq!((score.points, score.max_points), (0, 500), "{score:#?}");
    for c in &score.calls {
        let mistakes: Vec<(&str, u32)> = score
            .mistake_list
            .iter()
            .filter(|m| m.call.as_deref() == Some(c.id.as_str()))
            .map(|m| (m.kind.as_str(), m.points))
            .collect();
        assert_eq!(mistakes, [("not-answered", 100)], "{}", c.id);
    }
}

#[test]
fn a_team_transports_and_radios_how_the_call_ended() {
    // Tutorial call c1 ends in a ride to a shelter: the team reports it, so the trainee can
    // know the disposition is community-transport.
    let s = scenario("tutorial.toml");
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), &s, &s.actions);
    let trips: Vec<String> = log(dir.path())
        .into_iter()
        .filter_map(|(body, _)| match body {
            Body::UnitStatusChanged {
                unit,
                status,
                detail,
                ..
            } => Some(format!("{unit} {status} {}", detail.unwrap_or_default())),
            _ => None,
        })
        .collect();
    let star_1: Vec<&str> = trips
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("STAR-1 "))
        .take(5)
        .collect();
    assert_eq!(
        star_1,
        [
            "STAR-1 ENR ",
            "STAR-1 ONS ",
            "STAR-1 TRN shelter",
            "STAR-1 ATF ",
            "STAR-1 AVL "
        ],
        "{trips:#?}"
    );
}

#[test]
fn star_shift_starts_at_seven_as_its_description_says() {
    let s = scenario("star-shift.toml");
    assert!(s.description.contains("07:00"), "{}", s.description);
    assert_eq!(s.start_ms(), sim::DAY_MS + 7 * 3_600_000);
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), &s, &s.actions);
    let first = log(dir.path()).first().map(|(_, at)| *at).unwrap();
    assert_eq!(first, sim::DAY_MS + 7 * 3_600_000);
}

#[test]
fn a_simulation_refuses_a_live_store() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path(), StoreKind::Live)
        .unwrap()
        .close()
        .unwrap();
    let err = sim::open_training_store(dir.path()).err().unwrap();
    assert!(
        err.contains("belongs to replica") || err.contains("live store"),
        "{err}"
    );
}

#[test]
fn broken_scenarios_give_their_one_line_error() {
    let cases = [
        ("syntax.toml", "syntax.toml:4: TOML syntax error: unclosed array table, expected `]`"),
        ("unknown-key.toml", "unknown-key.toml:7: unknown key 'zoen'; did you mean 'zone'?"),
        (
            "unknown-call-type.toml",
            "unknown-call-type.toml:13: unknown call type 'welfair'; did you mean 'welfare'?",
        ),
        (
            "unknown-unit.toml",
            "unknown-unit.toml:19: unknown unit 'STAR-7' in action `dp STAR-7 {c1}`; did you mean 'STAR-1'?",
        ),
        (
            "offset-beyond.toml",
            "offset-beyond.toml:10: offset 1:30:00 is beyond the scenario's duration 1:00:00",
        ),
    ];
    let dir = root().join("tests/fixtures/scenarios");
    for (file, want) in cases {
        let path = dir.join(file);
        let err = sim::load(&path, &switchboard::config::protocol::shipped()).unwrap_err();
        assert_eq!(err.to_string(), format!("{}/{want}", dir.display()));
    }
}

fn switchboard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .env_remove("SWITCHBOARD_DATA")
        .output()
        .unwrap()
}

#[test]
fn the_cli_checks_runs_headless_and_opens_the_console_only_on_a_terminal() {
    let tutorial = root().join("scenarios/tutorial.toml");
    let tutorial = tutorial.to_str().unwrap();
    let out = switchboard(&["scenario", "check", tutorial]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok (4 units, 5 calls"));

    // Without --headless the training console opens, which needs a terminal.
    let out = switchboard(&["sim", tutorial]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "switchboard: the console needs a terminal; in scripts use `switchboard exec`"
    );
    let out = switchboard(&["sim", tutorial, "--speed", "0"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "switchboard: --speed 0: give a positive number, e.g. 60"
    );
    let out = switchboard(&["sim", tutorial, "--report", "run.txt"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "switchboard: run.txt: the report file must end in .json or .md"
    );

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("run");
    let report = dir.path().join("run.json");
    let out = switchboard(&[
        "sim",
        tutorial,
        "--headless",
        "--data",
        data.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("tutorial: 500 / 500 points"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["points"], 500);

    let live = dir.path().join("live");
    Store::open(&live, StoreKind::Live)
        .unwrap()
        .close()
        .unwrap();
    let out = switchboard(&[
        "sim",
        tutorial,
        "--headless",
        "--data",
        live.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds a live store"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A stepped run (as the console steps it, here in uneven slices of simulated time) gives the
/// same log and score as the headless run, with the script in the agenda or typed by hand.
#[test]
fn a_stepped_run_gives_the_same_log_and_score_as_headless() {
    use switchboard::desk::{Desk, ManualClock};
    use switchboard::sim::{Simulation, START_MS};

    for name in ["tutorial.toml", "hard-calls.toml"] {
        let s = scenario(name);
        let headless = tempfile::tempdir().unwrap();
        let expected = run_in(headless.path(), &s, &s.actions);

        // 1. The script in the agenda, the clock moved in slices of 7.3 s.
        let stepped = tempfile::tempdir().unwrap();
        let store = sim::open_training_store(stepped.path()).unwrap();
        let clock = ManualClock::at(START_MS);
        let mut desk = Desk::open(store, Box::new(clock.clone()), sim::OPERATOR).unwrap();
        let mut world = Simulation::new(&s, s.seed, clock, &mut desk, Some(&s.actions)).unwrap();
        while !world.finished() {
            let next = world.now_ms() + 7_300;
            world.advance_to(&mut desk, next).unwrap();
        }
        assert_eq!(world.score(&desk), expected, "{name}");
        desk.close().unwrap();
        assert_eq!(log(stepped.path()), log(headless.path()), "{name}");

        // 2. The timed actions typed by the trainee at their moment (the ones waiting for a
        //    team's report stay scripted).
        let typed = tempfile::tempdir().unwrap();
        let store = sim::open_training_store(typed.path()).unwrap();
        let clock = ManualClock::at(START_MS);
        let mut desk = Desk::open(store, Box::new(clock.clone()), sim::OPERATOR).unwrap();
        let mut by_hand: Vec<&Action> = s.actions.iter().filter(|a| a.after.is_none()).collect();
        by_hand.sort_by_key(|a| a.at_ms);
        let script: Vec<Action> = s
            .actions
            .iter()
            .filter(|a| a.after.is_some())
            .cloned()
            .collect();
        let mut world = Simulation::new(&s, s.seed, clock, &mut desk, Some(&script)).unwrap();
        for action in by_hand {
            world
                .advance_to(&mut desk, START_MS + action.at_ms)
                .unwrap();
            world.trainee_line(&mut desk, &action.run).unwrap();
        }
        world.advance_to(&mut desk, world.end_ms()).unwrap();
        assert_eq!(world.score(&desk), expected, "{name}");
        desk.close().unwrap();
        assert_eq!(log(typed.path()), log(headless.path()), "{name}");
    }
}

/// What a headless run leaves in the temp dir (`TMPDIR`), and what it said on stderr.
fn headless_leaves(extra: &[&str]) -> (Vec<String>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let tutorial = root().join("scenarios/tutorial.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["sim", tutorial.to_str().unwrap(), "--headless"])
        .args(extra)
        .env_remove("SWITCHBOARD_DATA")
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let left = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (left, stderr)
}

#[test]
fn a_headless_run_removes_its_temporary_store_unless_kept() {
    let (left, stderr) = headless_leaves(&[]);
    assert!(left.is_empty(), "{left:?}");
    assert!(!stderr.contains("training store"), "{stderr}");

    let (left, stderr) = headless_leaves(&["--keep"]);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with("switchboard-sim-"), "{left:?}");
    assert!(stderr.contains("training store: "), "{stderr}");
    assert!(stderr.contains(&left[0]), "{stderr}");
}

#[test]
fn a_co_response_scores_its_fit_only_when_the_pair_went() {
    let s = scenario("tutorial.toml");
    let score = run(&s, &s.actions);
    assert_eq!(call(&score, "c2").capability_fit, Some(true));
    // The community team alone, no police unit: the plan is not filled, and the mistake says
    // which plan it was.
    let alone: Vec<Action> = s
        .actions
        .iter()
        .filter(|a| a.run != "dp PD-12 {c2}")
        .cloned()
        .collect();
    let score = run(&s, &alone);
    let c2 = call(&score, "c2");
    assert_eq!(c2.capability_fit, Some(false));
    assert_eq!(c2.points, 100 - 15);
    let misfit = score
        .mistake_list
        .iter()
        .find(|m| m.kind == "capability-misfit")
        .unwrap();
    assert_eq!(
        misfit.detail,
        "the units sent do not make up co-response's plan (a community team and a police unit)"
    );
}
