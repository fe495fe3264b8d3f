//! The scriptable command line: `exec`, `log`, `state`, `demo`, `report`, `export`, `import`,
//! `id`, `peer`.

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Local, TimeZone};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::config;
use crate::desk::{Desk, DeskError, SystemClock};
use crate::domain::{CallId, Event, Policy, State};
use crate::store::{Store, StoreKind};
use crate::sync::peers::Added;
use crate::sync::{Fingerprint, Identity, Peers, SyncError};

/// Switchboard: a keyboard-driven dispatch console for community crisis response.
///
/// With no subcommand it opens the console on the live store. Every subcommand works on a data
/// dir chosen by --data, else `$SWITCHBOARD_DATA`, else the platform's data dir.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub look: Look,
    /// Sync with the trusted peers (see `peer add`), taking their connections on ADDR, e.g.
    /// 0.0.0.0:7400. Other consoles on this host can attach to this one's desk meanwhile.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    #[command(subcommand)]
    pub command: Option<Sub>,
}

/// How the console looks and which keys it takes.
#[derive(Debug, Args)]
pub struct Look {
    /// Theme: a shipped one (ansi16, dark, light, high-contrast) or one in the config dir.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Keymap: default (CAD style) or vim, or one in the config dir.
    #[arg(long, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Draw with ASCII only (automatic when the locale is not UTF-8).
    #[arg(long)]
    pub ascii: bool,
    /// Colour depth: none, 16, 256 or truecolor (default: from `NO_COLOR`, `COLORTERM`, `TERM`).
    #[arg(long, value_name = "DEPTH")]
    pub colors: Option<String>,
}

#[derive(Debug, Args)]
pub struct Common {
    /// Data dir holding the store (default: `$SWITCHBOARD_DATA`, else the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Name stamped on every change (default: `$SWITCHBOARD_OPERATOR`, else `$USER`).
    #[arg(long, global = true, value_name = "NAME")]
    pub operator: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Run command lines: each argument is one line; with none, read lines from stdin.
    ///
    /// Prints one line per command (for `call` and `backup`, starting with the new call's id).
    /// Stops at the first refusal with the reason on stderr and exit status 1; what ran before
    /// it stays committed. Blank lines and lines starting with # are skipped.
    Exec {
        /// Command lines, e.g. "call 12 Main St / man shouting" "dp STAR-1 1".
        #[arg(value_name = "COMMAND")]
        lines: Vec<String>,
    },
    /// Print the chronology: each event with time, operator, origin and what changed.
    Log {
        /// Only the events of this call.
        #[arg(long, value_name = "ID")]
        call: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Print the projected state (calls and units, in a stable order).
    State {
        /// As JSON.
        #[arg(long, conflicts_with = "digest")]
        json: bool,
        /// A hex digest, equal on two stores exactly when their states are.
        #[arg(long)]
        digest: bool,
    },
    /// Open the console on a demo store filled with a realistic synthetic history.
    ///
    /// Uses --data if given, else a demo dir beside the live store (never the live store).
    /// Without --days it opens the demo store, filling it with 7 days first if it is empty.
    /// With --days it only fills, and refuses a store that already has events.
    Demo {
        /// Days of history to make (then exit without opening the console).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: Option<u32>,
        #[command(flatten)]
        look: Look,
        /// Seed for the random history; the same seed gives the same calls.
        #[arg(long, default_value_t = 2020)]
        seed: u64,
    },
    /// Check or print keymaps.
    Keymap {
        #[command(subcommand)]
        action: KeymapAction,
    },
    /// Check or list themes.
    Theme {
        #[command(subcommand)]
        action: ThemeAction,
    },
    /// Check or list triage protocols.
    Protocol {
        #[command(subcommand)]
        action: ProtocolAction,
    },
    /// Import or search the address list (gazetteer) that places calls on the map.
    Gazetteer {
        #[command(subcommand)]
        action: GazetteerAction,
    },
    /// Print the program's figures for a period (default: the last 7 days).
    ///
    /// Volumes, diversion rate, backup requests, unserved eligible calls, times (median and
    /// 90th percentile), dispositions, repeats, unit utilisation and safety check-ins; each
    /// figure is defined in the README ("Program figures").
    Report(crate::report::ReportArgs),
    /// Export calls: CSV (one row per call) or NENA EIDO.
    Export(crate::report::ExportArgs),
    /// Run a training scenario on a training store and score the trainee's work.
    ///
    /// Opens the console marked TRAINING on the simulated shift: calls ring, callers talk and
    /// teams report by themselves on a simulated clock; trainer keys (C-x t, vim: Space t) pause,
    /// speed up, slow down, inject the next scripted event or end the run; the score is shown
    /// at the end. With --headless the scenario's scripted trainee actions are played instead,
    /// without the console. Uses a fresh temporary training store unless --data names an empty
    /// dir (or an earlier, empty training store); a live or demo store is refused.
    Sim {
        /// The scenario file, e.g. scenarios/tutorial.toml.
        #[arg(value_name = "SCENARIO")]
        scenario: PathBuf,
        /// Seed for travel and on-scene times (default: the scenario's own).
        #[arg(long)]
        seed: Option<u64>,
        /// Play the scenario's scripted trainee actions, without the console.
        #[arg(long)]
        headless: bool,
        /// Simulated seconds per real second in the console (default: the scenario's `speed`).
        #[arg(long, value_name = "X")]
        speed: Option<f64>,
        #[command(flatten)]
        look: Look,
        /// Write the score to FILE: JSON for `.json`, Markdown for `.md`.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// Check training scenario files.
    Scenario {
        #[command(subcommand)]
        action: ScenarioAction,
    },
    /// Take an incident handed over by another centre as a pending call.
    Import {
        #[command(subcommand)]
        format: ImportFormat,
    },
    /// Run the desk without a console, for consoles and commands on this host to share.
    ///
    /// It owns the store and its peer links, and listens on DIR/desk.sock (owner only):
    /// every console, `exec`, `log`, `state`, `report` and `export` on this data dir then
    /// attaches to it instead of opening the store, and sees the others' changes live.
    /// Stops on SIGTERM or Ctrl-C.
    Serve {
        /// Take peers' connections on ADDR, e.g. 0.0.0.0:7400 (without it, only dial out).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Print this node's fingerprint, for other nodes' `peer add`.
    ///
    /// The node's key pair and self-signed certificate are made at first use and kept
    /// owner-only in DIR/identity/. Works while a console runs (the store is not opened).
    Id,
    /// Trust other nodes: two stores become peers when each has added the other's fingerprint.
    ///
    /// The list is DIR/peers.toml. These work while a console runs (the store is not opened).
    Peer {
        #[command(subcommand)]
        action: PeerAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum PeerAction {
    /// Trust the node with this fingerprint (from `switchboard id` there), reached at HOST:PORT.
    ///
    /// Adding a fingerprint that is already trusted updates its address (and name, if given).
    Add {
        /// The other node's fingerprint; case, dashes and spaces do not matter.
        #[arg(value_name = "FINGERPRINT")]
        fingerprint: String,
        /// Where it listens: HOST:PORT, IPV4:PORT or [IPV6]:PORT.
        #[arg(value_name = "HOST:PORT")]
        addr: String,
        /// A name for it (default: the first group of its fingerprint).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// List the trusted peers: name, fingerprint, address.
    List,
    /// Stop trusting a peer, named by its name or its fingerprint.
    Rm {
        #[arg(value_name = "NAME|FINGERPRINT")]
        which: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportFormat {
    /// A NENA EIDO JSON document (from a 911 centre or a crisis line): it becomes a pending call
    /// with its location, caller, callback, type and notes, and a first note naming where it came
    /// from; prints the new call's id first. A malformed or hostile document is refused with the
    /// reason, and nothing is written.
    Eido { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum ProtocolAction {
    /// Report every problem in a protocol file, with its line; proves that an unknown answer
    /// never sends a community team alone.
    Check { file: PathBuf },
    /// List shipped and user protocols.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ScenarioAction {
    /// Report the first problem in a scenario file, with its line.
    Check { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum GazetteerAction {
    /// Import an `OpenAddresses` CSV (LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH)
    /// into the config dir; malformed rows are skipped and reported with their line numbers.
    Import { file: PathBuf },
    /// Import the fictional demo town (Millbrook) shipped with Switchboard.
    Demo,
    /// Show the best matches for a typed location.
    Lookup {
        #[arg(required = true)]
        text: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeymapAction {
    /// Report every problem in a keymap file, with its line.
    Check { file: PathBuf },
    /// Print a keymap's bindings (default: the one the console would use).
    Print { name: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum ThemeAction {
    /// Report what is wrong with a theme file, with its line.
    Check { file: PathBuf },
    /// List shipped and user themes.
    List,
}

/// Runs the CLI and returns the process exit code; errors are printed as one line.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("switchboard: {message}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, String> {
    let Common { data, operator } = cli.common;
    let operator = config::operator(operator.as_deref());
    match cli.command {
        None => {
            let dir = config::data_dir(data.as_deref())?;
            console(
                &dir,
                StoreKind::Live,
                &operator,
                &cli.look,
                cli.listen.as_deref(),
            )
        }
        Some(Sub::Serve { listen }) => serve(data.as_deref(), &operator, listen),
        Some(Sub::Exec { lines }) => exec(open_desk(data.as_deref(), &operator)?, lines),
        Some(Sub::Log { call, json }) => {
            let desk = open_desk(data.as_deref(), &operator)?;
            log(&desk, call.as_deref(), json)
        }
        Some(Sub::State { json, digest }) => {
            let desk = open_desk(data.as_deref(), &operator)?;
            let state = desk.state();
            let out = if digest {
                state.digest()
            } else if json {
                serde_json::to_string_pretty(state).map_err(|e| e.to_string())?
            } else {
                state_text(state)
            };
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Demo {
            days: Some(days),
            seed,
            ..
        }) => {
            let dir = config::demo_dir(data.as_deref())?;
            demo(&dir, days, seed)
        }
        Some(Sub::Demo {
            days: None,
            seed,
            look,
        }) => {
            let dir = config::demo_dir(data.as_deref())?;
            let store = Store::open(&dir, StoreKind::Demo).map_err(|e| e.to_string())?;
            if store.kind() != StoreKind::Demo {
                return Err(format!(
                    "{} is a {} store, not a demo store",
                    dir.display(),
                    store.kind().word()
                ));
            }
            if store.event_count() == 0 {
                let summary =
                    crate::demo::fill(store, 7, seed, chrono::Utc::now().timestamp_millis())
                        .map_err(|e| e.to_string())?;
                eprintln!("{summary}");
            } else {
                store.close().map_err(|e| e.to_string())?;
            }
            console(&dir, StoreKind::Demo, &operator, &look, None)
        }
        Some(Sub::Keymap { action }) => Ok(keymap(action)),
        Some(Sub::Theme { action }) => theme(action),
        Some(Sub::Protocol { action }) => Ok(protocol(action)),
        Some(Sub::Gazetteer { action }) => gazetteer(&action),
        Some(Sub::Report(args)) => {
            crate::report::report(&open_desk(data.as_deref(), &operator)?, &args)
        }
        Some(Sub::Export(args)) => {
            crate::report::export(&open_desk(data.as_deref(), &operator)?, &args)
        }
        Some(Sub::Import {
            format: ImportFormat::Eido { file },
        }) => import_eido(data.as_deref(), &operator, &file),
        Some(Sub::Id) => {
            let dir = config::data_dir(data.as_deref())?;
            let identity = Identity::load_or_create(&dir).map_err(|e| e.to_string())?;
            println!("{}", identity.fingerprint());
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Peer { action }) => peer(&config::data_dir(data.as_deref())?, action),
        Some(Sub::Sim {
            scenario,
            seed,
            headless,
            speed,
            look,
            report,
        }) => sim(
            &scenario,
            &SimRun {
                seed,
                headless,
                speed,
                report: report.as_deref(),
            },
            data.as_deref(),
            &look,
        ),
        Some(Sub::Scenario {
            action: ScenarioAction::Check { file },
        }) => match crate::sim::load(&file, &crate::protocol::shipped()) {
            Ok(s) => {
                println!(
                    "{}: ok ({} units, {} calls, {} world events, {} actions)",
                    file.display(),
                    s.units.len(),
                    s.calls.len(),
                    s.world.len(),
                    s.actions.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => Err(e.to_string()),
        },
    }
}

/// `peer add|list|rm`: only `identity/` and `peers.toml` are touched, never the store, so these
/// work beside a running console (which picks the list up itself).
fn peer(dir: &Path, action: PeerAction) -> Result<ExitCode, String> {
    let mut peers = Peers::load(dir).map_err(|e| e.to_string())?;
    match action {
        PeerAction::Add {
            fingerprint,
            addr,
            name,
        } => {
            let fingerprint: Fingerprint =
                fingerprint.parse().map_err(|e: SyncError| e.to_string())?;
            let own = Identity::load_or_create(dir).map_err(|e| e.to_string())?;
            let added = peers
                .add(&own.fingerprint(), fingerprint, &addr, name.as_deref())
                .map_err(|e| e.to_string())?;
            peers.save().map_err(|e| e.to_string())?;
            let peer = peers.get(&fingerprint).ok_or("the peer was not kept")?;
            let verb = match added {
                Added::New => "added",
                Added::Updated => "updated",
            };
            println!(
                "{verb} peer {} {} at {}",
                peer.name, peer.fingerprint, peer.addr
            );
            if added == Added::New {
                println!(
                    "on that node, run: switchboard peer add {} <this node's HOST:PORT>",
                    own.fingerprint()
                );
            }
        }
        PeerAction::List => {
            if peers.list().is_empty() {
                println!("no peers");
            } else {
                let width = peers
                    .list()
                    .iter()
                    .map(|p| p.name.chars().count())
                    .max()
                    .unwrap_or(0)
                    .max("NAME".len());
                println!("{:<width$}  {:<64}  ADDRESS", "NAME", "FINGERPRINT");
                for p in peers.list() {
                    println!("{:<width$}  {}  {}", p.name, p.fingerprint, p.addr);
                }
            }
        }
        PeerAction::Rm { which } => {
            let gone = peers.remove(&which).map_err(|e| e.to_string())?;
            peers.save().map_err(|e| e.to_string())?;
            println!("removed peer {} {}", gone.name, gone.fingerprint);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// How `sim` was asked to run.
struct SimRun<'a> {
    seed: Option<u64>,
    headless: bool,
    speed: Option<f64>,
    report: Option<&'a Path>,
}

/// `sim SCENARIO`: the training console, or with `--headless` the scripted actions; both on a
/// training store, scored.
fn sim(
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
    } = *run;
    let scenario =
        crate::sim::load(file, &crate::protocol::shipped()).map_err(|e| e.to_string())?;
    if let Some(pace) = pace {
        if !(pace > 0.0 && pace.is_finite()) {
            return Err(format!("--speed {pace}: give a positive number, e.g. 60"));
        }
    }
    let dir = match data {
        Some(dir) => dir.to_owned(),
        None => std::env::temp_dir().join(format!(
            "switchboard-sim-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        )),
    };
    if let Some(path) = report {
        crate::sim::score::ReportFormat::of(path)?;
    }
    let seed = seed.unwrap_or(scenario.seed);
    if !headless {
        return sim_console(&scenario, seed, pace, report, &dir, look);
    }
    let store = crate::sim::open_training_store(&dir)?;
    let result =
        crate::sim::run(&scenario, seed, store, &scenario.actions).map_err(|e| e.to_string())?;
    println!("{}", result.summary());
    eprintln!("training store: {}", dir.display());
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
    dir: &Path,
    look: &Look,
) -> Result<ExitCode, String> {
    use crate::console::app::App;
    use crate::console::training::Training;
    use crate::desk::ManualClock;

    let mut centre = Centre::load();
    let (keymap, theme, options) = console_look(look, &mut centre)?;
    let store = crate::sim::open_training_store(dir)?;
    let clock = ManualClock::at(crate::sim::START_MS);
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
    let app = App::new(desk, keymap, theme, options, &centre.problems).with_training(training);
    let app = crate::console::run::run(app).map_err(|e| format!("terminal failed: {e}"))?;
    if let Some(training) = &app.training {
        let result = training
            .score
            .clone()
            .unwrap_or_else(|| training.sim.score(&app.desk));
        println!("{}", result.summary());
        if let (Some(path), false) = (report, training.reported) {
            result.write_report(path)?;
        }
    }
    eprintln!("training store: {}", dir.display());
    app.desk.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// `import eido FILE`: the whole document is checked before the store is even opened; then the
/// call and its notes go through the desk like typed commands.
fn import_eido(data: Option<&Path>, operator: &str, file: &Path) -> Result<ExitCode, String> {
    use crate::domain::{Body, Command};
    let source = file.display().to_string();
    let reader = std::fs::File::open(file).map_err(|e| format!("cannot read {source}: {e}"))?;
    let imported = crate::report::eido::import_reader(reader, &source)?;
    let mut desk = open_desk(data, operator)?;
    let events = desk
        .execute(&Command::TakeCall(imported.call.clone()))
        .map_err(|e| format!("{source} was not imported: {e}"))?;
    let Some((id, taken)) = events.iter().find_map(|e| match &e.body {
        Body::CallCreated { call, .. } => Some((call.clone(), e.body.describe())),
        _ => None,
    }) else {
        return Err(format!("{source} was not imported: the desk took no call"));
    };
    let notes = std::iter::once(imported.origin_note()).chain(imported.notes.iter().cloned());
    for text in notes {
        desk.execute(&Command::Note {
            call: id.to_string(),
            text,
            caution: false,
        })
        .map_err(|e| format!("{id} was taken from {source}, but a note was not: {e}"))?;
    }
    desk.close().map_err(|e| e.to_string())?;
    println!(
        "{taken}; {} note(s) from {}",
        imported.notes.len(),
        imported.origin
    );
    Ok(ExitCode::SUCCESS)
}

fn keymap(action: KeymapAction) -> ExitCode {
    use crate::console::keymap::Keymap;
    match action {
        KeymapAction::Check { file } => match Keymap::check_file(&file) {
            Ok(_) => {
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                ExitCode::FAILURE
            }
        },
        KeymapAction::Print { name } => {
            let dir = config::config_dir();
            let (settings, _) = config::Settings::load(dir.as_deref());
            let name = name.or(settings.keymap).unwrap_or_else(|| "default".into());
            let (keymap, problems) = Keymap::load(&name, dir.as_deref());
            for p in &problems {
                eprintln!("switchboard: {p}");
            }
            print!("{}", keymap.print());
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn theme(action: ThemeAction) -> Result<ExitCode, String> {
    use crate::console::theme::Theme;
    match action {
        ThemeAction::Check { file } => {
            Theme::check_file(&file).map_err(|e| e.to_string())?;
            println!("{}: ok", file.display());
            Ok(ExitCode::SUCCESS)
        }
        ThemeAction::List => {
            for (name, origin) in crate::console::theme::list(config::config_dir().as_deref()) {
                println!("{name:<16} {origin}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn protocol(action: ProtocolAction) -> ExitCode {
    match action {
        ProtocolAction::Check { file } => match crate::protocol::check_file(&file) {
            Ok(p) => {
                println!(
                    "{}: ok ({} questions, {} rules)",
                    file.display(),
                    p.questions.len(),
                    p.rules.len()
                );
                ExitCode::SUCCESS
            }
            Err(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                ExitCode::FAILURE
            }
        },
        ProtocolAction::List => {
            for (name, origin) in crate::protocol::list(config::config_dir().as_deref()) {
                println!("{name:<16} {origin}");
            }
            ExitCode::SUCCESS
        }
    }
}

fn gazetteer(action: &GazetteerAction) -> Result<ExitCode, String> {
    use crate::gazetteer::{Gazetteer, DEMO_TOWN};
    /// Skipped rows shown one per line; the rest are counted.
    const SHOWN: usize = 20;
    let dir = config::config_dir().ok_or("no config dir; set SWITCHBOARD_CONFIG")?;
    let (text, source) = match &action {
        GazetteerAction::Import { file } => (
            std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
            file.display().to_string(),
        ),
        GazetteerAction::Demo => (DEMO_TOWN.to_owned(), "demo-town.csv".to_owned()),
        GazetteerAction::Lookup { text } => {
            let gazetteer = Gazetteer::load(Some(&dir))?.ok_or_else(|| {
                "no gazetteer yet; import one with: switchboard gazetteer import FILE".to_owned()
            })?;
            let typed = text.join(" ");
            for (address, score) in gazetteer.lookup(&typed, 5) {
                let c = &address.coords;
                println!(
                    "{:<48} {:>9.5},{:>10.5} {:<4} score {score}",
                    address.label(),
                    c.lat,
                    c.lon,
                    address.district
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let (gazetteer, problems) = Gazetteer::import(&text, &source)?;
    for p in problems.iter().take(SHOWN) {
        eprintln!("{p}");
    }
    if problems.len() > SHOWN {
        eprintln!("… and {} more skipped rows", problems.len() - SHOWN);
    }
    let path = gazetteer
        .save(&dir)
        .map_err(|e| format!("cannot save the gazetteer in {}: {e}", dir.display()))?;
    println!(
        "imported {} addresses ({} rows skipped) into {}",
        gazetteer.len(),
        problems.len(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The address list in the config dir, if one was imported; a broken one is a problem to show,
/// not a reason to stop.
/// The config dir as read once for a command: the settings, and every problem found reading
/// it or the files it names (the console shows them; other commands stop at the first).
struct Centre {
    dir: Option<PathBuf>,
    settings: config::Settings,
    problems: Vec<String>,
}

impl Centre {
    fn load() -> Centre {
        let dir = config::config_dir();
        let (settings, problem) = config::Settings::load(dir.as_deref());
        Centre {
            dir,
            settings,
            problems: problem.into_iter().collect(),
        }
    }

    /// The triage protocol and the time limits.
    fn policy(&mut self) -> Policy {
        let settings = &self.settings;
        let name = settings.protocol.as_deref().unwrap_or("default");
        let protocol = crate::protocol::load(name, self.dir.as_deref()).unwrap_or_else(|e| {
            self.problems.push(e.to_string());
            crate::protocol::shipped()
        });
        let mut policy = Policy::new(protocol);
        policy.pending_alarm_minutes = settings.alarms.pending_minutes;
        policy.default_checkin_minutes = settings.safety.checkin_minutes;
        policy.checkin_minutes = settings.safety.by_response.clone();
        policy
    }

    /// The address list that places new calls: only a desk that plans (not an attached one)
    /// needs it.
    fn gazetteer(&mut self) -> Option<crate::gazetteer::Gazetteer> {
        crate::gazetteer::Gazetteer::load(self.dir.as_deref()).unwrap_or_else(|e| {
            self.problems.push(e);
            None
        })
    }

    /// The first problem, for commands that must not run on a broken config.
    fn check(&self) -> Result<(), String> {
        self.problems.first().map_or(Ok(()), |p| Err(p.clone()))
    }
}

/// The keymap, theme and drawing options the console uses; what is wrong with the user's files
/// goes with the centre's problems. Fails only without a terminal or on a bad `--colors`.
fn console_look(
    look: &Look,
    centre: &mut Centre,
) -> Result<
    (
        crate::console::keymap::Keymap,
        crate::console::theme::Theme,
        crate::console::app::Options,
    ),
    String,
> {
    use std::io::IsTerminal;

    use crate::console::app::Options;
    use crate::console::keymap::Keymap;
    use crate::console::theme::{ColorDepth, Theme};

    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err("the console needs a terminal; in scripts use `switchboard exec`".into());
    }
    let config_dir = centre.dir.as_deref();
    let settings = &centre.settings;
    let keymap_name = look
        .keymap
        .clone()
        .or(settings.keymap.clone())
        .unwrap_or_else(|| "default".into());
    let (keymap, keymap_problems) = Keymap::load(&keymap_name, config_dir);
    let depth = ColorDepth::detect(look.colors.as_deref())?;
    let theme_name = look
        .theme
        .clone()
        .or(settings.theme.clone())
        .unwrap_or_else(|| "ansi16".into());
    let theme = Theme::load(&theme_name, config_dir, depth);
    centre.problems.extend(keymap_problems);
    let theme = theme.unwrap_or_else(|e| {
        centre.problems.push(e.to_string());
        Theme::default_for(depth)
    });
    let options = Options {
        ascii: look.ascii || !config::locale_is_utf8(),
        keymap_name,
        utc: false,
    };
    Ok((keymap, theme, options))
}

/// Opens the full-screen console on the store in `dir`.
fn console(
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
    let attached = attach(dir, operator)?;
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
        let gazetteer = centre.gazetteer();
        let desk = local_desk(dir, kind, operator, gazetteer)?.with_policy(policy.clone());
        match listen {
            None => (desk, None, None),
            Some(addr) => {
                // The console serves its own desk, so peers and other consoles on this host
                // can reach it, and attaches to it like any other console.
                let serving = crate::sync::node::serve_in_background(
                    desk,
                    crate::sync::node::Options {
                        dir: dir.to_owned(),
                        listen: Some(addr.to_owned()),
                    },
                )?;
                let (desk, watch) = attach(dir, operator)?.ok_or_else(|| {
                    format!("cannot attach to the desk serving {}", dir.display())
                })?;
                (desk, Some(watch), Some(serving))
            }
        }
    };
    let desk = desk.with_policy(policy);
    let mut app = App::new(desk, keymap, theme, options, &centre.problems);
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

/// The desk a `switchboard serve` (or a console with `--listen`) runs on `dir`, if any.
fn attach(
    dir: &Path,
    operator: &str,
) -> Result<Option<(Desk, crate::desk::attach::Watch)>, String> {
    crate::desk::attach::attach(dir, Box::new(SystemClock), operator)
}

/// `serve`: the desk without a console, until SIGTERM or Ctrl-C.
fn serve(data: Option<&Path>, operator: &str, listen: Option<String>) -> Result<ExitCode, String> {
    let dir = config::data_dir(data)?;
    if attach(&dir, operator)?.is_some() {
        return Err(format!("a desk already serves {}", dir.display()));
    }
    let mut centre = Centre::load();
    let policy = centre.policy();
    let gazetteer = centre.gazetteer();
    centre.check()?;
    let desk = local_desk(&dir, StoreKind::Live, operator, gazetteer)?.with_policy(policy);
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
    crate::sync::node::serve(
        desk,
        crate::sync::node::Options {
            dir: dir.clone(),
            listen,
        },
        || eprintln!("{banner}"),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Logs go to a file in the data dir, and only when `SWITCHBOARD_LOG` names a level.
fn start_log(dir: &Path) {
    let Some(level) = std::env::var("SWITCHBOARD_LOG")
        .ok()
        .filter(|l| !l.is_empty())
    else {
        return;
    };
    let Ok(level) = level.parse::<tracing::Level>() else {
        eprintln!(
            "switchboard: SWITCHBOARD_LOG={level} is not a level (error, warn, info, debug, trace)"
        );
        return;
    };
    let path = dir.join("switchboard.log");
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(file) => {
            eprintln!("switchboard: logging {level} to {}", path.display());
            let _ = tracing_subscriber::fmt()
                .with_max_level(level)
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .try_init();
        }
        Err(e) => eprintln!("switchboard: cannot log to {}: {e}", path.display()),
    }
}

/// The desk serving the data dir if there is one, else the store opened here.
fn open_desk(data: Option<&Path>, operator: &str) -> Result<Desk, String> {
    let dir = config::data_dir(data)?;
    let attached = attach(&dir, operator)?;
    let mut centre = Centre::load();
    let policy = centre.policy();
    // The serving desk places new calls with its own address list.
    let gazetteer = attached.is_none().then(|| centre.gazetteer()).flatten();
    centre.check()?;
    let desk = match attached {
        Some((desk, _)) => desk,
        None => local_desk(&dir, StoreKind::Live, operator, gazetteer)?,
    };
    Ok(desk.with_policy(policy))
}

/// The store in `dir` opened in this process, placing new calls with `gazetteer`.
fn local_desk(
    dir: &Path,
    kind: StoreKind,
    operator: &str,
    gazetteer: Option<crate::gazetteer::Gazetteer>,
) -> Result<Desk, String> {
    let store = Store::open(dir, kind).map_err(|e| e.to_string())?;
    Ok(Desk::open(store, Box::new(SystemClock), operator)
        .map_err(|e| e.to_string())?
        .with_gazetteer(gazetteer))
}

fn exec(mut desk: Desk, lines: Vec<String>) -> Result<ExitCode, String> {
    let from_stdin = lines.is_empty();
    let source: Box<dyn Iterator<Item = Result<String, String>>> = if from_stdin {
        let stdin = std::io::stdin().lock();
        Box::new(stdin.split(b'\n').enumerate().map(|(i, line)| {
            let line = line.map_err(|e| format!("cannot read stdin: {e}"))?;
            String::from_utf8(line)
                .map_err(|_| format!("line {} is not valid UTF-8; it was not run", i + 1))
        }))
    } else {
        Box::new(lines.into_iter().map(Ok))
    };
    let mut out = std::io::stdout().lock();
    let mut number = 0;
    for line in source {
        number += 1;
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match desk.run_line(line) {
            Ok(outcome) => {
                // A closed pipe (e.g. `| head`) is not worth a panic; the commits are durable.
                for said in outcome.lines() {
                    let _ = writeln!(out, "{said}");
                }
            }
            Err(e) => {
                let where_ = if from_stdin {
                    format!("line {number}: ")
                } else {
                    String::new()
                };
                let what = match e {
                    DeskError::Store(_) => "storage failed",
                    DeskError::Parse(_) | DeskError::Refused(_) => "refused",
                };
                eprintln!("switchboard: {where_}{what}: {e}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn log(desk: &Desk, call: Option<&str>, json: bool) -> Result<ExitCode, String> {
    let call: Option<CallId> = call.map(str::parse).transpose()?;
    let mut events = desk.events().map_err(|e| e.to_string())?;
    events.sort_by_key(Event::fold_key);
    if let Some(id) = &call {
        if !desk.state().calls.contains_key(id) {
            return Err(format!("no call {id}"));
        }
        events.retain(|e| e.body.calls().contains(&id));
    }
    let mut out = std::io::stdout().lock();
    for e in &events {
        let lost = desk.state().lost(e.origin, e.seq);
        let line = if json {
            json!({
                "time": chrono::DateTime::from_timestamp_millis(e.wall_ms).map(|t| t.to_rfc3339()),
                "wall_ms": e.wall_ms,
                "hlc": e.hlc,
                "origin": e.origin.to_string(),
                "seq": e.seq,
                "operator": e.operator,
                "change": e.body.describe(),
                "body": e.body,
                "overruled": lost,
            })
            .to_string()
        } else {
            format!(
                "{}  {:<12} {}:{:<5} {}{}",
                local_time(e.wall_ms),
                e.operator,
                &e.origin.to_string()[..6],
                e.seq,
                e.body.describe(),
                lost.map_or_else(String::new, |why| format!("  [did not stand: {why}]"))
            )
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn local_time(ms: i64) -> String {
    Local.timestamp_millis_opt(ms).single().map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

fn demo(dir: &Path, days: u32, seed: u64) -> Result<ExitCode, String> {
    let store = Store::open(dir, StoreKind::Demo).map_err(|e| e.to_string())?;
    if store.event_count() > 0 {
        return Err(format!(
            "{} already holds {} events; demo writes only into an empty store (choose another \
             --data dir)",
            dir.display(),
            store.event_count()
        ));
    }
    let summary = crate::demo::fill(store, days, seed, chrono::Utc::now().timestamp_millis())
        .map_err(|e| e.to_string())?;
    println!("{summary}\ndemo store: {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// The state for a person: open calls in queue order, then the roster.
fn state_text(state: &State) -> String {
    let mut out = String::new();
    let queue = state.queue();
    let _ = writeln!(
        out,
        "{} open call(s), {} closed",
        queue.len(),
        state.calls.len() - queue.len()
    );
    for c in queue {
        let units: Vec<String> = c
            .active_units()
            .map(|a| format!("{} {}", a.unit, a.status))
            .collect();
        let kind = c.call_type.map_or("-", |t| t.word());
        let _ = writeln!(
            out,
            "  {:<10} P{} {:<10} {:<12} {} / {}  [{}]",
            c.id,
            c.priority,
            c.status.word(),
            kind,
            c.location,
            c.nature,
            units.join(", ")
        );
    }
    let _ = writeln!(out, "{} unit(s)", state.units.len());
    for u in state.units.values() {
        let caps: Vec<&str> = u.capabilities.iter().map(|c| c.word()).collect();
        let call = u
            .call
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        let _ = writeln!(
            out,
            "  {:<10} {} since {}  {:<10} {}  {}",
            u.callsign,
            u.status,
            local_time(u.status_ms),
            call,
            caps.join(","),
            u.zone.as_deref().unwrap_or("")
        );
    }
    for a in &state.alerts {
        let _ = writeln!(out, "ALERT {}: {}", local_time(a.wall_ms), a.text);
    }
    out.trim_end().to_owned()
}
