use std::process::ExitCode;

use clap::Parser;
use switchboard::cli::{run, Cli};

fn main() -> ExitCode {
    run(Cli::parse())
}
