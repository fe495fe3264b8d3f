//! Installing like the tools it sits beside: man pages and shell completions, generated from the
//! same clap definitions as `--help`, so the three never disagree.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// `man [--out DIR]`: every page into DIR, or the top page to stdout.
pub(super) fn man(command: &clap::Command, out: Option<&Path>) -> Result<ExitCode, String> {
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone())
            .render(&mut page)
            .map_err(|e| format!("cannot render the man page: {e}"))?;
        // A closed pipe (`| head`) is not an error worth a message.
        let _ = std::io::stdout().lock().write_all(&page);
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    clap_mangen::generate_to(command.clone(), dir)
        .map_err(|e| format!("cannot write the man pages to {}: {e}", dir.display()))?;
    let written = std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".1"))
            .count()
    });
    say!("wrote {written} man pages to {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `completions SHELL`: the script on stdout.
pub(super) fn completions(mut command: clap::Command, shell: clap_complete::Shell) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "switchboard", &mut script);
    let _ = std::io::stdout().lock().write_all(&script);
    ExitCode::SUCCESS
}
