use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::FromArgMatches;
use switchboard::cli::{run, Cli};

/// The version with the commit it was built from (see build.rs). Only this file names the
/// commit, so a new commit recompiles the binary's entry point, not the library.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SWITCHBOARD_COMMIT"),
    ")"
);

fn main() -> ExitCode {
    let parsed = switchboard::cli::command(VERSION)
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match parsed {
        Ok(cli) => run(cli, VERSION),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            // clap's report is several lines; a person or a script wants one.
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            eprintln!("switchboard: {first} (see switchboard --help)");
            ExitCode::from(2)
        }
    }
}
