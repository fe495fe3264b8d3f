//! Keeps the folder tree honest: the domain stays pure, and docs/commands.md's command
//! reference is the registry's.

use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("src/domain.rs")];
    rust_files(&root.join("src/domain"), &mut files);
    let forbidden = [
        "sled::",
        "ratatui::",
        "crossterm::",
        "tokio::",
        "std::fs",
        "std::net",
        "std::io",
        "std::env",
        "SystemTime",
        "Instant",
        "Utc::now",
        "Local::now",
        "crate::store",
        "crate::desk",
        "crate::command",
        "crate::cli",
    ];
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for word in forbidden {
            assert!(
                !text.contains(word),
                "{} names {word}; the domain must stay pure",
                file.display()
            );
        }
    }
}

#[test]
fn docs_command_reference_is_the_registry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(root.join("docs/commands.md")).unwrap();
    let (start, end) = ("<!-- commands:start -->\n", "<!-- commands:end -->");
    let from = readme
        .find(start)
        .expect("docs/commands.md lacks the commands:start marker")
        + start.len();
    let to = readme
        .find(end)
        .expect("docs/commands.md lacks the commands:end marker");
    let fresh = switchboard::command::registry::markdown();
    if std::env::var_os("SWITCHBOARD_BLESS").is_some() {
        let updated = format!("{}{fresh}{}", &readme[..from], &readme[to..]);
        fs::write(root.join("docs/commands.md"), updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[from..to],
        fresh,
        "docs/commands.md's command reference is stale; run SWITCHBOARD_BLESS=1 cargo test --test it architecture"
    );
}
