//! The commands that run a desk: the console, `serve`, and the training console (`sim`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::config;
use crate::desk::Desk;
use crate::store::StoreKind;

use super::args::Look;
use super::centre::{
    attach, attach_console, console_look, reach_desk, serving_desk, start_log, Centre, Reach,
    Starting,
};

/// Opens the full-screen console on the store in `dir`.
pub(super) fn console(
    dir: &Path,
    kind: StoreKind,
    operator: &str,
    look: &Look,
    listen: Option<&str>,
) -> Result<ExitCode, String> {
    use crate::console::app::App;

    let mut centre = Centre::load();
    let (keymap, theme, options) = console_look(look, &mut centre)?;
    let policy = centre.policy();
    start_log(dir);
    let attached = attach_console(dir, operator)?;
    if attached.is_some() && listen.is_some() {
        return Err(format!(
            "a desk already serves {}; it keeps its own peer links, so start the console \
             without --listen",
            dir.display()
        ));
    }
    let (desk, watch, serving) = if let Some((desk, watch)) = attached {
        (desk, Some(watch), None)
    } else {
        match listen {
            None => {
                let (desk, watch) =
                    reach_desk(dir, kind, operator, Reach::Console, || centre.gazetteer())?;
                (desk.with_policy(policy.clone()), watch, None)
            }
            Some(addr) => {
                let starting = Starting::mark(dir);
                let gazetteer = centre.gazetteer();
                let (os_user, act_as) = centre.author();
                let desk = serving_desk(dir, kind, operator, gazetteer)?
                    .with_policy(policy.clone())
                    .with_author(os_user, act_as);
                // The console serves its own desk, so peers and other consoles on this host
                // can reach it, and attaches to it like any other console.
                let serving = crate::sync::node::serve_in_background(
                    desk,
                    crate::sync::node::Options {
                        dir: dir.to_owned(),
                        listen: Some(addr.to_owned()),
                    },
                )?;
                drop(starting);
                let (desk, watch) = attach_console(dir, operator)?.ok_or_else(|| {
                    format!("cannot attach to the desk serving {}", dir.display())
                })?;
                (desk, Some(watch), Some(serving))
            }
        }
    };
    // The serving desk places the calls; an attached console keeps the list only to draw the
    // map from.
    let desk = if desk.is_attached() {
        desk.with_gazetteer(centre.gazetteer())
    } else {
        desk
    };
    let (os_user, act_as) = centre.author();
    let mut desk = desk.with_policy(policy).with_author(os_user, act_as);
    // A console that owns its store keeps the retention schedule when it opens (a serving
    // desk keeps it for its consoles, every ten minutes).
    if let Err(e) = desk.keep_retention() {
        centre
            .problems
            .push(format!("retention: erasing failed: {e}"));
    }
    let mut app = App::new(desk, keymap, theme, options, &centre.problems)
        .ringing(&centre.settings.alarms.bell, centre.settings.alarms.flash);
    if let Some(watch) = watch {
        app = app.attached(watch);
    }
    let app = crate::console::run::run(app).map_err(|e| format!("terminal failed: {e}"))?;
    app.desk.close().map_err(|e| e.to_string())?;
    if let Some(serving) = serving {
        serving.stop()?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `demo`: the console on the demo store, with the demo's centre working it on the real clock
/// — calls keep coming, teams keep moving — after filling it with a week of history on first
/// use, or playing through the time since it was last open.
pub(super) fn demo_console(
    dir: &Path,
    operator: &str,
    look: &Look,
    seed: u64,
    town: Option<crate::places::Gazetteer>,
) -> Result<ExitCode, String> {
    use crate::console::app::App;
    use crate::desk::ManualClock;

    let mut centre = Centre::load();
    let (keymap, theme, options) = console_look(look, &mut centre)?;
    if attach(dir, operator)?.is_some() {
        // A desk serves the demo store: its consoles share it, and no centre runs here.
        return console(dir, StoreKind::Demo, operator, look, None);
    }
    let policy = centre.policy();
    let store = crate::store::Store::open(dir, StoreKind::Demo).map_err(|e| e.to_string())?;
    if store.kind() != StoreKind::Demo {
        return Err(format!(
            "{} is a {} store, not a demo store",
            dir.display(),
            store.kind().word()
        ));
    }
    let now = || chrono::Utc::now().timestamp_millis();
    let fresh = store.event_count() == 0;
    let clock = ManualClock::at(now());
    // On a shipped town the centre's calls come from its real places too.
    let places = town
        .as_ref()
        .map(crate::places::towns::call_places)
        .unwrap_or_default();
    let mut desk = Desk::open(store, Box::new(clock.clone()), operator)
        .map_err(|e| e.to_string())?
        .with_gazetteer(town.or_else(|| centre.gazetteer()))
        .with_policy(policy);
    start_log(dir);
    let mut world = if fresh {
        eprintln!("switchboard: making a week of demo history (once)...");
        let (world, summary) =
            crate::demo::Centre::start_in(&mut desk, clock, 7, seed, now(), places)
                .map_err(|e| e.to_string())?;
        eprintln!("{summary}");
        world
    } else {
        crate::demo::Centre::resume_in(&mut desk, clock, seed, now(), places)
            .map_err(|e| e.to_string())?
    };
    // Making the history took a while: the centre catches up to the real clock before the
    // console opens, and from then on the console steps it.
    crate::sim::World::advance_to(&mut world, &mut desk, now()).map_err(|e| e.to_string())?;
    let app = App::new(desk, keymap, theme, options, &centre.problems)
        .ringing(&centre.settings.alarms.bell, centre.settings.alarms.flash)
        .with_world(Box::new(world));
    let app = crate::console::run::run(app).map_err(|e| format!("terminal failed: {e}"))?;
    app.desk.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// `serve`: the desk without a console, until SIGTERM or Ctrl-C.
pub(super) fn serve(
    data: Option<&Path>,
    operator: &str,
    listen: Option<String>,
) -> Result<ExitCode, String> {
    let dir = config::data_dir(data)?;
    super::centre::check_data_dir(&dir, super::centre::Use::Write)?;
    if attach(&dir, operator)?.is_some() {
        return Err(format!("a desk already serves {}", dir.display()));
    }
    let mut centre = Centre::load();
    let policy = centre.policy();
    let gazetteer = centre.gazetteer();
    centre.warn();
    // Commands started meanwhile wait for the socket rather than find the store "in use".
    let starting = Starting::mark(&dir);
    let (os_user, act_as) = centre.author();
    let desk = serving_desk(&dir, StoreKind::Live, operator, gazetteer)?
        .with_policy(policy)
        .with_author(os_user, act_as);
    start_log(&dir);
    let identity = crate::sync::Identity::load_or_create(&dir).map_err(|e| e.to_string())?;
    let banner = format!(
        "switchboard: serving {} ({} store, node {}, {} events) on {}{}; fingerprint {}",
        dir.display(),
        desk.kind().word(),
        desk.replica().tag(),
        desk.event_count(),
        crate::desk::attach::socket_path(&dir).display(),
        listen
            .as_deref()
            .map_or_else(String::new, |a| format!(", peers on {a}")),
        identity.fingerprint()
    );
    let owed = desk.store().map(|s| s.owed().clone()).unwrap_or_default();
    let banner = if owed.is_empty() {
        banner
    } else {
        let lost: Vec<String> = owed
            .iter()
            .map(|(o, h)| format!("node {} up to {}", o.tag(), h.seq))
            .collect();
        format!(
            "{banner}; its store went back (lost {}, its files as found kept beside it): taking \
             that back from peers, and no changes of its own until then",
            lost.join(", ")
        )
    };
    crate::sync::node::serve(
        desk,
        crate::sync::node::Options {
            dir: dir.clone(),
            listen,
        },
        || {
            drop(starting);
            eprintln!("{banner}");
        },
    )?;
    Ok(ExitCode::SUCCESS)
}

/// How `sim` was asked to run.
pub(super) struct SimRun<'a> {
    pub(super) seed: Option<u64>,
    pub(super) headless: bool,
    pub(super) speed: Option<f64>,
    pub(super) report: Option<&'a Path>,
    pub(super) keep: bool,
}

/// A run's training store in the temp dir, removed when the run is over (however it ends)
/// unless it is to be kept.
struct RunDir {
    dir: PathBuf,
    remove: bool,
}

impl RunDir {
    /// Where the store was left, for stderr; `None` once it is gone.
    fn kept(&self) -> Option<String> {
        (!self.remove).then(|| format!("training store: {}", self.dir.display()))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `sim SCENARIO`: the training console, or with `--headless` the scripted actions; both on a
/// training store, scored.
pub(super) fn sim(
    file: &Path,
    run: &SimRun<'_>,
    data: Option<&Path>,
    look: &Look,
) -> Result<ExitCode, String> {
    let SimRun {
        seed,
        headless,
        speed: pace,
        report,
        keep,
    } = *run;
    let scenario =
        crate::sim::load(file, &crate::config::protocol::shipped()).map_err(|e| e.to_string())?;
    if let Some(pace) = pace {
        if !(pace > 0.0 && pace.is_finite()) {
            return Err(format!("--speed {pace}: give a positive number, e.g. 60"));
        }
    }
    if let Some(path) = report {
        crate::sim::report::ReportFormat::of(path)?;
    }
    let run_dir = match data {
        Some(dir) => RunDir {
            dir: dir.to_owned(),
            remove: false,
        },
        None => RunDir {
            dir: std::env::temp_dir().join(format!(
                "switchboard-sim-{}-{}",
                std::process::id(),
                chrono::Utc::now().timestamp_millis()
            )),
            remove: !keep,
        },
    };
    let seed = seed.unwrap_or(scenario.seed);
    if !headless {
        return sim_console(&scenario, seed, pace, report, &run_dir, look);
    }
    let store = crate::sim::open_training_store(&run_dir.dir)?;
    let result =
        crate::sim::run(&scenario, seed, store, &scenario.actions).map_err(|e| e.to_string())?;
    say!("{}", result.summary());
    if let Some(kept) = run_dir.kept() {
        eprintln!("{kept}");
    }
    if let Some(path) = report {
        result.write_report(path)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The training console: the normal console on a fresh training store, its clock the
/// simulation's. Quitting early still scores (and reports) what was done.
fn sim_console(
    scenario: &crate::sim::Scenario,
    seed: u64,
    pace: Option<f64>,
    report: Option<&Path>,
    run_dir: &RunDir,
    look: &Look,
) -> Result<ExitCode, String> {
    use crate::console::app::App;
    use crate::console::training::Training;
    use crate::desk::ManualClock;

    let mut centre = Centre::load();
    let (keymap, theme, options) = console_look(look, &mut centre)?;
    let dir = &run_dir.dir;
    let store = crate::sim::open_training_store(dir)?;
    let clock = ManualClock::at(scenario.start_ms());
    // The shipped protocol and no gazetteer, as in a headless run: the scenario's truth and
    // its score are written against them.
    let mut desk = Desk::open(store, Box::new(clock.clone()), crate::sim::OPERATOR)
        .map_err(|e| e.to_string())?;
    let sim = crate::sim::Simulation::new(scenario, seed, clock, &mut desk, None)
        .map_err(|e| e.to_string())?;
    start_log(dir);
    let training = Training::new(
        sim,
        pace.unwrap_or(scenario.speed),
        report.map(Path::to_path_buf),
    );
    let app = App::new(desk, keymap, theme, options, &centre.problems)
        .ringing(&centre.settings.alarms.bell, centre.settings.alarms.flash)
        .with_training(training);
    let app = crate::console::run::run(app).map_err(|e| format!("terminal failed: {e}"))?;
    if let Some(training) = &app.training {
        let result = training
            .score
            .clone()
            .unwrap_or_else(|| training.sim.score(&app.desk));
        say!("{}", result.summary());
        if let (Some(path), false) = (report, training.reported) {
            result.write_report(path)?;
        }
    }
    app.desk.close().map_err(|e| e.to_string())?;
    if let Some(kept) = run_dir.kept() {
        eprintln!("{kept}");
    }
    Ok(ExitCode::SUCCESS)
}
