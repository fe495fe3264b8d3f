//! The command line: with no subcommand the console; `serve`; a shift from the shell (`exec`,
//! `log`, `state`, `report`, `export`, `import`, `demo`); training (`sim`, `scenario`); and the
//! files beside the store (`id`, `peer`, `keymap`, `theme`, `protocol`, `gazetteer`).
//!
//! - [`args`]: the clap definitions.
//! - `centre`: the config dir read once, and opening the desk (attached or local).
//! - `desk`: the console, `serve`, `sim`.
//! - `shift`: `exec`, `log`, `state`, `demo --days`, `import eido`.
//! - `files`: `peer`, `keymap`, `theme`, `protocol`, `gazetteer`.
//! - `install`: the man pages and shell completions, generated from [`args`].

/// Prints a line on stdout; a reader that has gone (`| head -c0`, a closed pipe) ends nothing:
/// the rest of the output is dropped quietly rather than panicking as `println!` does.
macro_rules! say {
    ($($t:tt)*) => {
        $crate::cli::write_out(&format!("{}\n", format_args!($($t)*)))
    };
}

/// [`say!`] without the newline.
macro_rules! say_part {
    ($($t:tt)*) => {
        $crate::cli::write_out(&format!($($t)*))
    };
}

pub mod args;
mod centre;
mod desk;
mod files;
mod install;
mod shift;

use std::process::ExitCode;

use crate::config;
use crate::store::StoreKind;
use crate::sync::Identity;

pub use args::{Cli, Common, ImportFormat, Look, ScenarioAction, Sub};
pub use shift::local_time;

use centre::{open_desk, open_desk_to_run, Use};
use desk::{console, demo_console, serve, sim, SimRun};
use files::{gazetteer, keymap, partner, peer, protocol, theme};
use shift::{demo, exec, import_eido, log, state_text};

/// Writes to stdout, dropping what a closed pipe will not take (see [`say!`]).
pub(crate) fn write_out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The command line's definition, as `--help`, the man pages and the completions show it.
pub fn command(version: &'static str) -> clap::Command {
    use clap::CommandFactory;
    Cli::command().version(version)
}

/// Runs the CLI and returns the process exit code; errors are printed as one line. `version`
/// is the binary's, for the man pages.
pub fn run(cli: Cli, version: &'static str) -> ExitCode {
    // Whatever the umask: the store, the log, exports of calls are for this user only.
    crate::store::private::owner_only_umask();
    match dispatch(cli, version) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("switchboard: {message}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli, version: &'static str) -> Result<ExitCode, String> {
    let Common { data, operator } = cli.common;
    let (operator, named) = config::operator_named(operator.as_deref());
    let writes = matches!(
        cli.command,
        Some(Sub::Exec { .. } | Sub::Import { .. } | Sub::Serve { .. })
    );
    if let Some(notice) = config::unnamed_notice().filter(|_| !named && writes) {
        eprintln!("switchboard: {notice}");
    }
    match cli.command {
        None => {
            let dir = config::data_dir(data.as_deref())?;
            centre::check_data_dir(&dir, Use::Write)?;
            console(
                &dir,
                StoreKind::Live,
                &operator,
                &cli.look,
                cli.listen.as_deref(),
            )
        }
        Some(Sub::Serve { listen }) => serve(data.as_deref(), &operator, listen),
        Some(Sub::Exec { lines }) => exec(open_desk_to_run(data.as_deref(), &operator)?, lines),
        Some(Sub::Log { call, json }) => {
            let desk = open_desk(data.as_deref(), &operator, Use::Read)?;
            log(&desk, call.as_deref(), json)
        }
        Some(Sub::State { json, digest }) => {
            let mut desk = open_desk(data.as_deref(), &operator, Use::Read)?;
            let out = if digest {
                desk.state().digest()
            } else {
                if json {
                    // The whole state, the calls let go from memory included.
                    desk.take_back_all().map_err(|e| e.to_string())?;
                }
                // A restricted call reads [restricted] to whoever may not read it.
                let state = desk.shown_state();
                if json {
                    serde_json::to_string_pretty(&*state).map_err(|e| e.to_string())?
                } else {
                    state_text(&state)
                }
            };
            say!("{}", crate::domain::text::escape(&out));
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Demo {
            days: Some(days),
            seed,
            town,
            ..
        }) => {
            let dir = config::demo_dir(data.as_deref())?;
            let town = town
                .as_deref()
                .map(crate::places::towns::town)
                .transpose()?;
            demo(&dir, days, seed, town.as_ref())
        }
        Some(Sub::Demo {
            days: None,
            seed,
            look,
            town,
        }) => {
            let town = town
                .as_deref()
                .map(crate::places::towns::town)
                .transpose()?;
            let dir = config::demo_dir(data.as_deref())?;
            demo_console(&dir, &operator, &look, seed, town)
        }
        Some(Sub::Man { out }) => install::man(&command(version), out.as_deref()),
        Some(Sub::Completions { shell }) => Ok(install::completions(command(version), shell)),
        Some(Sub::Keymap { action }) => Ok(keymap(action)),
        Some(Sub::Theme { action }) => Ok(theme(action)),
        Some(Sub::Protocol { action }) => Ok(protocol(action)),
        Some(Sub::Gazetteer { action }) => gazetteer(&action),
        Some(Sub::Report(args)) => crate::report::report(
            &centre::open_desk_for_figures(data.as_deref(), &operator)?,
            &args,
        ),
        Some(Sub::Export(args)) => {
            let mut desk = open_desk(data.as_deref(), &operator, Use::Read)?;
            // An export reads the calls themselves, the ones let go from memory too.
            desk.take_back_all().map_err(|e| e.to_string())?;
            crate::report::export(&desk, &args)
        }
        Some(Sub::Import {
            format: ImportFormat::Eido { file },
        }) => import_eido(data.as_deref(), &operator, &file),
        Some(Sub::Verify) => {
            let dir = config::data_dir(data.as_deref())?;
            centre::check_data_dir(&dir, Use::Read)?;
            let store =
                crate::store::Store::open(&dir, StoreKind::Live).map_err(|e| e.to_string())?;
            let found = crate::desk::Desk::verify(store).map_err(|e| e.to_string())?;
            let log = format!(
                "{} event{} from {} node{}, every hash chain and head whole",
                found.events,
                if found.events == 1 { "" } else { "s" },
                found.origins,
                if found.origins == 1 { "" } else { "s" }
            );
            match (found.checkpoint, found.indices) {
                (Ok(checkpoint), Ok(indices)) => {
                    say!("verified: {log}; {checkpoint}; {indices}");
                    Ok(ExitCode::SUCCESS)
                }
                (Err(wrong), _) | (_, Err(wrong)) => {
                    Err(format!("the log verifies ({log}), but {wrong}"))
                }
            }
        }
        Some(Sub::Id) => {
            let dir = config::data_dir(data.as_deref())?;
            centre::check_data_dir(&dir, Use::Write)?;
            let identity = Identity::load_or_create(&dir).map_err(|e| e.to_string())?;
            say!("{}", identity.fingerprint());
            Ok(ExitCode::SUCCESS)
        }
        Some(Sub::Peer { action }) => peer(&config::data_dir(data.as_deref())?, action),
        Some(Sub::Partner { action }) => partner(&config::data_dir(data.as_deref())?, action),
        Some(Sub::Sim {
            scenario,
            seed,
            headless,
            speed,
            look,
            report,
            keep,
        }) => sim(
            &scenario,
            &SimRun {
                seed,
                headless,
                speed,
                report: report.as_deref(),
                keep,
            },
            data.as_deref(),
            &look,
        ),
        Some(Sub::Scenario {
            action:
                ScenarioAction::FromCalls {
                    file,
                    mapping,
                    from,
                    until,
                    out,
                },
        }) => files::from_calls(
            &file,
            &mapping,
            from.as_deref(),
            until.as_deref(),
            out.as_deref(),
        ),
        Some(Sub::Scenario {
            action: ScenarioAction::Check { file },
        }) => match crate::sim::load(&file, &crate::config::protocol::shipped()) {
            Ok(s) => {
                say!(
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
