//! What the command line takes: the clap definitions, from which `--help`, the man page and the
//! shell completions are all generated.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Switchboard: a keyboard-driven dispatch console for community crisis response.
///
/// With no subcommand it opens the console on the live store. Every subcommand works on a data
/// dir chosen by --data, else `$SWITCHBOARD_DATA`, else the platform's data dir.
#[derive(Debug, Parser)]
#[command(name = "switchboard", about, long_about)]
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
        /// Take the history's calls at the real places of a shipped town, `kodiak` (Kodiak,
        /// Alaska) or `millbrook`, and place them and the calls you take on it.
        #[arg(long, value_name = "TOWN")]
        town: Option<String>,
    },
    /// Write the man pages: switchboard.1 and one per subcommand (switchboard-exec.1 …).
    ///
    /// With --out DIR they are written there (e.g. ~/.local/share/man/man1); without it,
    /// switchboard.1 is printed to stdout (`switchboard man | man -l -`).
    Man {
        /// The directory to write the pages to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    ///
    /// e.g. `switchboard completions bash > ~/.local/share/bash-completion/completions/switchboard`.
    Completions {
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
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
    /// figure is defined in docs/figures.md.
    Report(crate::report::ReportArgs),
    /// Export calls: CSV (one row per call) or NENA EIDO.
    Export(crate::report::ExportArgs),
    /// Run a training scenario on a training store and score the trainee's work.
    ///
    /// Opens the console marked TRAINING on the simulated shift: calls ring, callers talk and
    /// teams report by themselves on a simulated clock; trainer keys (C-x t, vim: Space t) pause,
    /// speed up, slow down, inject the next scripted event or end the run; the score is shown
    /// at the end. With --headless the scenario's scripted trainee actions are played instead,
    /// without the console. Uses a fresh temporary training store, removed at the end unless
    /// --keep, or the store in --data: an empty dir (or an earlier, empty training store), which
    /// is kept; a live or demo store is refused.
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
        /// Keep the run's temporary training store (and say where) instead of removing it at
        /// the end; a store given with --data is always kept.
        #[arg(long)]
        keep: bool,
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
    /// Verify the whole store: every hash chain and head, the checkpoint against a full fold,
    /// and the store's indices against the log.
    ///
    /// Prints one line: what was verified, or what is wrong. Exit status 0 when the log verifies
    /// and the checkpoint (if any) matches a full fold of it; 1 when the log is damaged (nothing
    /// is written on it), or the checkpoint or an index was damaged or wrong (each is made again
    /// from the log; no event is lost). Needs the store to itself: stop a desk serving it first.
    Verify,
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
    /// Link with 911 centres and other agencies over NENA-STA-024 (EIDO conveyance).
    ///
    /// The list is DIR/partners.toml; `switchboard serve` runs the endpoint and the links, and
    /// picks up changes without a restart. These work while a desk runs.
    Partner {
        #[command(subcommand)]
        action: PartnerAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartnerAction {
    /// Add (or update) a partner reached at URL and known by its certificate.
    Add {
        /// A name for it, as the status bar, the ledger and `transfer` show it.
        name: String,
        /// Its EIDO conveyance endpoint: wss://HOST:PORT/IncidentData/ent.
        url: String,
        /// Its certificate's fingerprint; or `authority`: any certificate from the configured
        /// authority that names the URL's host.
        fingerprint: String,
        /// `new`: take each new incident it has as a pending call.
        #[arg(long, value_name = "new")]
        subscribe: Option<String>,
        /// What it may see here: `handoffs` (calls handed between you, the default) or `all`.
        #[arg(long, value_name = "handoffs|all")]
        share: Option<String>,
    },
    /// List the partners: name, URL, how each is known, what this desk asks of it.
    List,
    /// Remove a partner.
    Rm { name: String },
    /// Take partners' connections on ADDR (e.g. 0.0.0.0:7443), or `off`.
    Listen {
        #[arg(value_name = "ADDR|off")]
        addr: String,
    },
    /// Accept certificates issued by this authority (a PEM file, e.g. a PSAP credentialing
    /// agency's), or `off`.
    Authority {
        #[arg(value_name = "FILE.pem|off")]
        file: String,
    },
    /// The towns this centre serves (e.g. `Millbrook Kodiak`; quote a name with spaces), or
    /// `off` for every town. A request for service elsewhere is refused: 403, not our area.
    Area {
        #[arg(value_name = "TOWN...|off", required = true, num_args = 1..)]
        towns: Vec<String>,
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
    /// A NENA EIDO JSON document (from a 911 centre or a crisis line), or a NENA-STA-024 message
    /// carrying EIDOs: each becomes a pending call, in one commit, with its location, caller,
    /// callback, type, start time, zone and notes (their authors and times), and a first note
    /// naming where it came from; prints the new call's id first. An incident taken before is
    /// recognised and only what is new is added. A malformed or hostile document is refused
    /// with the reason, and nothing is written.
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
    /// Turn a published calls-for-service CSV (time, location, nature, district, status) into a
    /// training scenario: calls ring at their real times, natures become call types through
    /// the mapping file, and the caller's answers follow the nature. Prints the scenario.
    FromCalls {
        file: PathBuf,
        /// The mapping of natures to call types, answers and teams (see
        /// scenarios/milwaukee-natures.toml).
        #[arg(long = "map", value_name = "MAPPING")]
        mapping: PathBuf,
        /// Keep calls received from this time (`2018-05-01 08:00`).
        #[arg(long)]
        from: Option<String>,
        /// Keep calls received before this time.
        #[arg(long)]
        until: Option<String>,
        /// Write the scenario here instead of printing it.
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GazetteerAction {
    /// Import an `OpenAddresses` file into the config dir: CSV with a header naming at least
    /// LON,LAT,NUMBER,STREET (UNIT, CITY, DISTRICT, REGION, POSTCODE, ID, HASH optional), or
    /// `GeoJSON` lines (one Feature per line). Malformed rows are skipped and listed by line.
    Import { file: PathBuf },
    /// Import a town shipped with Switchboard: `millbrook` (fictional, the default) or
    /// `kodiak` (Kodiak, Alaska: 4,473 real addresses).
    Demo {
        #[arg(default_value = "millbrook")]
        town: String,
    },
    /// Show how a typed location is placed, and the best matches.
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
