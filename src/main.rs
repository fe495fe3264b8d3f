use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
use switchboard::cli::{run, Cli};

fn main() -> ExitCode {
    match Cli::try_parse() {
        Ok(cli) => run(cli),
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
