//! Keeps the folder tree honest: the domain stays pure, no two files import each other, and
//! docs/commands.md's command reference is the registry's.

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

/// What no pure module names: a store, a terminal, a runtime, the disk, the network, the
/// environment, the clock, or the layers above it.
const IMPURE: &[&str] = &[
    "sled::",
    "ratatui::",
    "crossterm::",
    "tokio::",
    "std::fs",
    "std::net",
    "std::env",
    "SystemTime",
    "Instant",
    "Utc::now",
    "Local::now",
    "crate::store",
    "crate::desk",
    "crate::cli",
    "crate::console",
];

fn module_files(module: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join(format!("src/{module}.rs"))];
    rust_files(&root.join(format!("src/{module}")), &mut files);
    files
}

fn assert_none_named(files: &[std::path::PathBuf], forbidden: &[&str], what: &str) {
    for file in files {
        let text = fs::read_to_string(file).unwrap();
        for word in IMPURE.iter().chain(forbidden) {
            assert!(
                !text.contains(word),
                "{} names {word}; {what} must stay pure",
                file.display()
            );
        }
    }
}

#[test]
fn the_domain_does_no_io_and_reads_no_clock() {
    assert_none_named(
        &module_files("domain"),
        &["std::io", "crate::command", "crate::places"],
        "the domain",
    );
}

/// The address list is data: it reads the text it is given, and the shell (`config::gazetteer`)
/// does the disk.
#[test]
fn places_touch_no_disk_terminal_or_clock() {
    assert_none_named(&module_files("places"), &[], "places");
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

/// A source file's text before its `#[cfg(test)]` module, with `//` comments cut off.
fn outside_tests_and_comments(text: &str) -> String {
    text.split("#[cfg(test)]")
        .next()
        .unwrap_or(text)
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The domain modules another domain file names (`super::call::…`, `crate::domain::ids::…`,
/// `super::{place, ids}`), outside its tests.
fn domain_imports(text: &str, modules: &[String]) -> std::collections::BTreeSet<String> {
    let code = outside_tests_and_comments(text);
    let code = code.as_str();
    let mut named = std::collections::BTreeSet::new();
    for prefix in ["super::", "crate::domain::", "$crate::domain::"] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let words: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                inner
                    .split(',')
                    .map(|w| w.trim().split("::").next().unwrap_or(""))
                    .collect()
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                vec![&rest[..end]]
            };
            named.extend(
                words
                    .into_iter()
                    .filter(|w| modules.iter().any(|m| m == w))
                    .map(str::to_owned),
            );
        }
    }
    named
}

/// Depth-first search from `at` for a path back to `start`, extending `path`.
fn back_to(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    start: &str,
    at: &str,
    path: &mut Vec<String>,
) -> bool {
    for next in &graph[at] {
        if next == start {
            return true;
        }
        if !path.contains(next) {
            path.push(next.clone());
            if back_to(graph, start, next, path) {
                return true;
            }
            path.pop();
        }
    }
    false
}

#[test]
fn domain_files_import_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src/domain"), &mut files);
    let modules: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = files
        .iter()
        .zip(&modules)
        .map(|(f, m)| {
            let mut uses = domain_imports(&fs::read_to_string(f).unwrap(), &modules);
            uses.remove(m);
            (m.clone(), uses)
        })
        .collect();
    for m in &modules {
        let mut path = vec![m.clone()];
        assert!(
            !back_to(&graph, m, m, &mut path),
            "domain files import each other in a circle: {} -> {m}; move what both need below \
             them (as ids.rs and place.rs are)",
            path.join(" -> ")
        );
    }
    // The circles that used to be: events named the fold's alert ids, calls and units the
    // event's coordinates, and calls, events and the fold the hand-off planner's records.
    for (file, not) in [
        ("event", "state"),
        ("call", "event"),
        ("unit", "event"),
        ("call", "handoff"),
        ("event", "handoff"),
        ("state", "handoff"),
        // The hand-off planner takes a call through intake, not through the planner that
        // sends it the hand-off commands.
        ("handoff", "plan"),
    ] {
        assert!(!graph[file].contains(not), "{file}.rs imports {not}.rs");
    }
}

/// The console's view draws the app, so it may name `App`; the app never names the view (the
/// clock's format lives in `console/text.rs`, help's lines in `console/app/help.rs`), so the
/// two files never import each other in a circle.
#[test]
fn console_app_does_not_import_the_view() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("src/console/app.rs")];
    rust_files(&root.join("src/console/app"), &mut files);
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let code: String = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or(&text)
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !code.contains("view::") && !code.contains("view::{"),
            "{} names the view; the view draws the app, the app does not import the view",
            file.display()
        );
    }
}

/// Each `.rs` file under `src/` by its module path (`src/a/b.rs` is `a::b`, `lib.rs` the root).
fn module_paths() -> std::collections::BTreeMap<Vec<String>, std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&root).unwrap().with_extension("");
            let mut path: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(path.as_slice(), [one] if one == "lib" || one == "main")
                || path.last().is_some_and(|l| l == "mod")
            {
                path.pop();
            }
            (path, f)
        })
        .collect()
}

/// The paths a file names from `crate::`, `super::` or `self::` (a `{…}` group gives one path
/// per item), outside its tests and comments, each made absolute from `module`.
fn named_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = outside_tests_and_comments(text);
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| ident(c) || c == ':' || c == '$') {
                continue;
            }
            let rest = &code[at..];
            let end = rest
                .find(|c: char| !(ident(c) || c == ':'))
                .unwrap_or(rest.len());
            let mut head: Vec<&str> = rest[..end].split("::").filter(|w| !w.is_empty()).collect();
            let mut tails: Vec<Vec<&str>> = vec![Vec::new()];
            if let Some(group) = rest[end..].strip_prefix('{') {
                let inner = &group[..group.find('}').unwrap_or(group.len())];
                tails = inner
                    .split(',')
                    .map(|item| {
                        let item = item.trim();
                        let item = &item[..item
                            .find(|c: char| !(ident(c) || c == ':'))
                            .unwrap_or(item.len())];
                        item.split("::").filter(|w| !w.is_empty()).collect()
                    })
                    .collect();
            }
            let mut base: Vec<String> = Vec::new();
            if head.first() == Some(&"crate") {
                head.remove(0);
            } else {
                base = module.to_vec();
                while head.first().is_some_and(|w| *w == "super" || *w == "self") {
                    if head.remove(0) == "super" {
                        base.pop();
                    }
                }
            }
            for tail in &tails {
                let mut path = base.clone();
                path.extend(head.iter().chain(tail).map(|w| (*w).to_owned()));
                out.push(path);
            }
        }
    }
    out
}

/// No two files import each other: when file A names an item of file B, B names none of A's
/// (a path is taken to the deepest file it reaches; a module and the files of its own folder,
/// the parts of one split file, are one room and not counted). What both need moves where both
/// can use it, as `places/address.rs` and `demo/notes.rs` hold what two files shared.
#[test]
fn no_two_files_import_each_other() {
    let modules = module_paths();
    let deepest = |path: &[String]| {
        (0..=path.len())
            .rev()
            .map(|n| &path[..n])
            .find(|p| modules.contains_key(*p))
            .map(<[String]>::to_vec)
    };
    let mut graph: std::collections::BTreeMap<
        Vec<String>,
        std::collections::BTreeSet<Vec<String>>,
    > = std::collections::BTreeMap::new();
    for (module, file) in &modules {
        let text = fs::read_to_string(file).unwrap();
        for path in named_paths(&text, module) {
            let Some(to) = deepest(&path) else { continue };
            if to.starts_with(module) || module.starts_with(&to) {
                continue;
            }
            graph.entry(module.clone()).or_default().insert(to);
        }
    }
    let mut circles = Vec::new();
    for (a, uses) in &graph {
        for b in uses {
            if a < b && graph.get(b).is_some_and(|back| back.contains(a)) {
                circles.push(format!(
                    "{} <-> {}",
                    modules[a]
                        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                        .unwrap()
                        .display(),
                    modules[b]
                        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                        .unwrap()
                        .display()
                ));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "files import each other; move what both need where both can use it:\n{}",
        circles.join("\n")
    );
}
