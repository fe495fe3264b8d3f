//! The integration tests, in one binary so the crate is linked once rather than once per file
//! (linking dominated a fresh `cargo test`). One module per area; `common` holds what several
//! share. Run one area with `cargo test --test it console::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly

mod common;

mod architecture;
mod attach_image;
mod bells;
mod cautions;
mod checkpoint;
mod cli;
mod clock_skew;
mod command_props;
mod console;
mod corrections;
mod demo;
mod duplicates;
mod eido;
mod fold_props;
mod from_calls;
mod history_index;
mod hold;
mod install;
mod keymaps;
mod lean_backend;
mod let_go;
mod map;
mod mutual_aid;
mod peer_tls;
mod peers_cli;
mod places;
mod placing;
mod privacy;
mod protocol;
mod pty;
mod report;
mod report_marks;
mod restrict;
mod retention;
mod security;
mod shell;
mod shift_change;
mod shred;
mod sim;
mod store_crash;
mod store_damage;
mod store_full;
mod sync_live;
mod sync_processes;
mod sync_props;
mod themes;
mod training;
mod triage_desk;
mod unit_timers;
