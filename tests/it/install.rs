//! Installing like a real tool: `--version` names the commit, the man pages and completions come
//! from the same clap definitions as `--help`, and the docs name every subcommand and option
//! that `--help` does (and nothing it doesn't).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every subcommand path (`["peer", "add"]`) with its own long options, leaves and groups alike.
fn paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<(Vec<String>, Vec<String>)>) {
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_owned());
        let options = sub
            .get_arguments()
            .filter(|a| !a.is_global_set() && !a.is_hide_set())
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .filter(|l| l != "--help" && l != "--version")
            .collect();
        out.push((path.clone(), options));
        paths(sub, &path, out);
    }
}

fn all_paths() -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    paths(&switchboard::cli::command("test"), &[], &mut out);
    out
}

#[test]
fn version_names_the_build() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let text = text.trim();
    let rest = text
        .strip_prefix(&format!("switchboard {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {text}"));
    assert!(
        rest == "unknown" || (rest.len() >= 7 && rest.chars().all(|c| c.is_ascii_hexdigit())),
        "--version should end in the commit: {text}"
    );
}

#[test]
fn the_shell_page_documents_every_subcommand_and_its_options() {
    let page = fs::read_to_string(root().join("docs/shell.md")).unwrap();
    let rows: Vec<&str> = page.lines().filter(|l| l.starts_with("| `")).collect();
    let mut missing = Vec::new();
    for (path, options) in all_paths() {
        let words = path.join(" ");
        // A group's row names its subcommands (`peer add …`), so a group is documented by them.
        let row = rows.iter().find(|r| {
            r.contains(&format!("`switchboard {words}")) || r.contains(&format!("`{words}"))
        });
        let Some(row) = row else {
            missing.push(format!("`switchboard {words}`"));
            continue;
        };
        for option in options {
            if !row.contains(&option) {
                missing.push(format!("`switchboard {words}` {option}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/shell.md's subcommand table lacks: {}",
        missing.join(", ")
    );
}

#[test]
fn the_docs_name_no_subcommand_that_does_not_exist() {
    let page = fs::read_to_string(root().join("docs/shell.md")).unwrap();
    let known: BTreeSet<String> = all_paths().into_iter().map(|(p, _)| p[0].clone()).collect();
    for row in page.lines().filter(|l| l.starts_with("| `switchboard ")) {
        let name = row["| `switchboard ".len()..]
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .next()
            .unwrap();
        assert!(
            known.contains(name),
            "docs/shell.md documents `switchboard {name}`, which --help does not have"
        );
    }
}

#[test]
fn the_console_page_documents_the_console_options() {
    let page = fs::read_to_string(root().join("docs/console.md")).unwrap();
    for arg in switchboard::cli::command("test").get_arguments() {
        if let Some(long) = arg.get_long().filter(|l| !["help", "version"].contains(l)) {
            assert!(
                page.contains(&format!("--{long}")),
                "docs/console.md does not mention --{long}"
            );
        }
    }
}

#[test]
fn help_lists_what_the_man_pages_hold() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let man = Command::new(BIN)
        .args(["man", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(man.status.success(), "{man:?}");
    for (path, options) in all_paths() {
        if path.len() == 1 {
            assert!(
                help.contains(&format!("  {}", path[0])),
                "--help does not list {}",
                path[0]
            );
        }
        let file = dir.path().join(format!("switchboard-{}.1", path.join("-")));
        let page = fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("no man page {}: {e}", file.display()));
        for option in options {
            // roff escapes the dashes: \-\-since
            let escaped = option.replace('-', "\\-");
            assert!(page.contains(&escaped), "{} lacks {option}", file.display());
        }
    }
    let top = fs::read_to_string(dir.path().join("switchboard.1")).unwrap();
    assert!(top.contains(".TH switchboard 1"), "{top}");
}

#[test]
fn completions_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(BIN)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        for (path, _) in all_paths().iter().filter(|(p, _)| p.len() == 1) {
            assert!(
                script.contains(&path[0]),
                "{shell} completion lacks {}",
                path[0]
            );
        }
    }
    let out = Command::new(BIN)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_systemd_unit_starts_a_real_serve() {
    let unit = fs::read_to_string(root().join("contrib/systemd/switchboard.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert!(args[0].ends_with("/switchboard"), "{exec}");
    let parsed = switchboard::cli::command("test").try_get_matches_from(&args);
    let matches = parsed.unwrap_or_else(|e| panic!("ExecStart does not parse: {e}"));
    assert_eq!(matches.subcommand_name(), Some("serve"));
    let data = exec
        .split("--data ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the unit names its data dir");
    assert!(
        unit.contains("StateDirectoryMode=0700") && data.starts_with("/var/lib/switchboard"),
        "the data dir must be made owner-only: {data}"
    );
}
