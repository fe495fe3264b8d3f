//! Switchboard: a keyboard-driven dispatch console for community crisis response.
//!
//! The map (see `ARCHITECTURE.md` for the event flow):
//! - [`domain`]: the pure model — ids, events, calls, units, the fold and `plan`.
//! - [`command`]: the command language — one registry, parsing, printing, completion.
//! - [`store`]: the sled event log with its durability rules.
//! - [`desk`]: the single writer: plan, stamp, commit, apply, publish.
//! - [`demo`]: a realistic synthetic history for trying the product and for benchmarks.
//! - [`config`]: paths and environment overrides.
//! - [`report`]: program figures from the log, and exports (CSV, NENA EIDO).
//! - [`cli`]: the scriptable command line interface.

pub mod cli;
pub mod command;
pub mod config;
pub mod console;
pub mod demo;
pub mod desk;
pub mod domain;
pub mod gazetteer;
pub mod protocol;
pub mod report;
pub mod spelling;
pub mod store;
