//! The scriptable command line: `exec`, `log`, `state`, `demo`.

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Local, TimeZone};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::config;
use crate::desk::{Desk, DeskError, SystemClock};
use crate::domain::{CallId, Event, State};
use crate::store::{Store, StoreKind};

/// Switchboard: a keyboard-driven dispatch console for community crisis response.
///
/// With no subcommand it opens the console on the live store. Every subcommand works on a data
/// dir chosen by --data, else $SWITCHBOARD_DATA, else the platform's data dir.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Option<Sub>,
}

#[derive(Debug, Args)]
pub struct Common {
    /// Data dir holding the store (default: $SWITCHBOARD_DATA, else the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Name stamped on every change (default: $SWITCHBOARD_OPERATOR, else $USER).
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
    /// Fill a demo store with a realistic synthetic history and a live roster.
    ///
    /// Uses --data if given, else a demo dir beside the live store (never the live store).
    /// Refuses to write into a store that already has events.
    Demo {
        /// Days of history to make.
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
        /// Seed for the random history; the same seed gives the same calls.
        #[arg(long, default_value_t = 2020)]
        seed: u64,
    },
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
        None => Err("the console is not built yet; use `switchboard exec` to run commands".into()),
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
        Some(Sub::Demo { days, seed }) => {
            let dir = config::demo_dir(data.as_deref())?;
            demo(&dir, days, seed)
        }
    }
}

fn open_desk(data: Option<&Path>, operator: &str) -> Result<Desk, String> {
    let dir = config::data_dir(data)?;
    let store = Store::open(&dir, StoreKind::Live).map_err(|e| e.to_string())?;
    Desk::open(store, Box::new(SystemClock), operator).map_err(|e| e.to_string())
}

fn exec(mut desk: Desk, lines: Vec<String>) -> Result<ExitCode, String> {
    let from_stdin = lines.is_empty();
    let mut source: Box<dyn Iterator<Item = Result<String, String>>> = if from_stdin {
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
    while let Some(line) = source.next() {
        number += 1;
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match desk.execute_line(line) {
            Ok(events) => {
                let said: Vec<String> = events.iter().map(|e| e.body.describe()).collect();
                // A closed pipe (e.g. `| head`) is not worth a panic; the commits are durable.
                let _ = writeln!(out, "{}", said.join("; "));
            }
            Err(e) => {
                let where_ = if from_stdin { format!("line {number}: ") } else { String::new() };
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
    let mut events = desk.store().load().map_err(|e| e.to_string())?;
    events.sort_by_key(Event::fold_key);
    if let Some(id) = &call {
        if !desk.state().calls.contains_key(id) {
            return Err(format!("no call {id}"));
        }
        events.retain(|e| e.body.calls().contains(&id));
    }
    let mut out = std::io::stdout().lock();
    for e in &events {
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
            })
            .to_string()
        } else {
            format!(
                "{}  {:<12} {}:{:<5} {}",
                local_time(e.wall_ms),
                e.operator,
                &e.origin.to_string()[..6],
                e.seq,
                e.body.describe()
            )
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn local_time(ms: i64) -> String {
    Local
        .timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
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
    let _ = writeln!(out, "{} open call(s), {} closed", queue.len(), state.calls.len() - queue.len());
    for c in queue {
        let units: Vec<String> =
            c.active_units().map(|a| format!("{} {}", a.unit, a.status)).collect();
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
        let call = u.call.as_ref().map_or_else(String::new, ToString::to_string);
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
