//! Switchboard: a keyboard-driven dispatch console for community crisis response.
//!
//! The map (see `ARCHITECTURE.md` for the event flow):
//! - [`domain`]: the pure model — ids, events, calls, units, the fold and `plan`.
//! - [`command`]: the command language — one registry, parsing, printing, completion.
//! - [`store`]: the sled event log with its durability rules.
//! - [`desk`]: the single writer: plan, stamp, commit, apply, publish; local, or attached to a
//!   desk served on the data dir's Unix socket.
//! - [`sync`]: peer links: node identity, the trusted peer list, pinned TLS 1.3, the link
//!   protocol, and the serving desk (`switchboard serve`, `--listen`).
//! - [`console`]: the full-screen ratatui console: app state and update, terminal loop,
//!   keymaps, themes, one view per pane.
//! - [`places`]: the address list that places calls (normal form, both `OpenAddresses` forms,
//!   lookup, placement with a confidence) and the map's raster; pure, no disk.
//! - [`report`]: program figures from the log, and exports (CSV, NENA EIDO).
//! - [`partner`]: 911 centres and agencies linked live over NENA-STA-024 (EIDO conveyance).
//! - [`demo`]: the demo centre: a synthetic program's history, and the program at work while
//!   the demo console is open.
//! - [`spelling`]: "did you mean" for error messages.
//! - [`config`]: paths, environment overrides, `config.toml`, and loading what the config dir
//!   holds: triage protocols (`config::protocol`) and the saved address list
//!   (`config::gazetteer`).
//! - [`sim`]: scripted, scored training simulations on a training store.
//! - [`cli`]: the command line: the console, `serve`, a shift from the shell, the files.

pub mod cli;
pub mod command;
pub mod config;
pub mod console;
pub mod demo;
pub mod desk;
pub mod domain;
pub mod partner;
pub mod places;
pub mod report;
pub mod sim;
pub mod spelling;
pub mod store;
pub mod sync;
