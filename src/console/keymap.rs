//! Keymaps: per-mode bindings read from TOML, the key notation (`<C-d>`, `<S-Tab>`, `g`), `when`
//! conditions over console flags, and chord lookup for the console and its which-key hint.
//!
//! Two presets ship embedded (`keymaps/default.toml`, `keymaps/vim.toml`). A user file
//! `<config>/keymaps/<name>.toml` extends one of them: it may `unbind` preset keys, and a binding
//! on the same keys as a preset binding replaces it. Every problem is collected as a one-line
//! error naming the file and line; [`Keymap::load`] never fails, it falls back to the preset.

//!
//! The parts: [`key`] is the key notation, [`condition`] the `when` language, `read` walks a
//! file's TOML into bindings, `merge` lays a user file over its preset and finds clashes.

mod condition;
mod key;
mod merge;
mod read;

use crate::spelling::nearest;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::KeyCode;

pub use condition::{Condition, Flag};
pub use key::{parse_keys, print_keys, Key};
use read::{read_user, Reader};

/// Who has the keyboard, and so which bindings apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Every key is a binding (the vim keymap starts here).
    Normal,
    /// The command line has focus: printable keys and line editing belong to the line.
    Command,
    /// The intake form has focus: typing, Tab, Backtab and Enter belong to the form.
    Form,
    /// The help overlay is open.
    Help,
    /// A trainer's keys during a training run: the simulated clock and scripted events.
    Trainer,
}

impl Mode {
    pub const ALL: [Mode; 5] = [
        Mode::Normal,
        Mode::Command,
        Mode::Form,
        Mode::Help,
        Mode::Trainer,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Command => "command",
            Mode::Form => "form",
            Mode::Help => "help",
            Mode::Trainer => "trainer",
        }
    }

    pub fn from_word(word: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.word() == word)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Why the console keeps `key` for itself in this mode (as the first key of a chord), if it
    /// does: such a binding could never run.
    fn reserved(self, key: Key) -> Option<&'static str> {
        let typed = key.is_typed();
        let plain = key.modifiers.is_empty();
        let editing = matches!(
            key.code,
            KeyCode::Backspace
                | KeyCode::Delete
                | KeyCode::Left
                | KeyCode::Right
                | KeyCode::Home
                | KeyCode::End
        );
        match self {
            Mode::Command if typed => Some("typed into the command line"),
            Mode::Command if plain && editing => Some("line editing"),
            Mode::Command if plain && matches!(key.code, KeyCode::Up | KeyCode::Down) => {
                Some("history")
            }
            Mode::Command if plain && matches!(key.code, KeyCode::Tab | KeyCode::BackTab) => {
                Some("completion")
            }
            Mode::Command if plain && key.code == KeyCode::Enter => Some("running the line"),
            Mode::Form if typed => Some("typed into the form"),
            Mode::Form if plain && editing => Some("field editing"),
            Mode::Form if plain && matches!(key.code, KeyCode::Tab | KeyCode::BackTab) => {
                Some("moving between fields")
            }
            Mode::Form if plain && key.code == KeyCode::Enter => Some("submitting the form"),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Mode, String> {
        Mode::from_word(s).ok_or_else(|| unknown_mode(s))
    }
}

fn unknown_mode(word: &str) -> String {
    let words = Mode::ALL.map(Mode::word);
    match nearest(word, words) {
        Some(near) => format!("unknown mode '{word}' (did you mean {near}?)"),
        None => format!("unknown mode '{word}'; modes are {}", words.join(", ")),
    }
}

/// One binding: keys (a chord when more than one), a command line exactly as typed, a
/// description for help, and an optional condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub on: Vec<Key>,
    pub run: String,
    pub desc: String,
    pub when: Option<Condition>,
}

impl Binding {
    /// The keys as written in help and listings (`g g`).
    pub fn keys(&self) -> String {
        print_keys(&self.on)
    }
}

/// What a key sequence means in a mode right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    Unbound,
    /// The keys start one or more chords: these are the bindings that continue it (which-key).
    Pending(Vec<&'a Binding>),
    Run(&'a Binding),
}

/// One problem in a keymap file, on one line: `file:line: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeymapError {
    pub file: String,
    /// 1-based; `None` when the problem is with the file as a whole.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for KeymapError {}

/// The shipped presets, by name.
pub const PRESETS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

const DEFAULT_PRESET: &str = "default";

/// Bindings per mode, in the order they were written (help lists them that way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    start: Mode,
    modes: [Vec<Binding>; 5],
}

impl Keymap {
    /// No bindings at all; the last resort if a preset were ever broken.
    fn empty() -> Keymap {
        Keymap {
            start: Mode::Command,
            modes: Default::default(),
        }
    }

    /// A shipped preset: `default` or `vim`.
    pub fn preset(name: &str) -> Result<Keymap, Vec<KeymapError>> {
        let file = format!("keymaps/{name}.toml");
        let Some((_, source)) = PRESETS.iter().find(|(n, _)| *n == name) else {
            return Err(vec![KeymapError {
                file,
                line: None,
                message: unknown_preset(name),
            }]);
        };
        let mut reader = Reader::new(&file, source);
        let parsed = reader.read(true);
        let keymap = Keymap {
            start: parsed.start.unwrap_or(Mode::Command),
            modes: parsed.modes(),
        };
        reader.finish(keymap)
    }

    /// The keymap `name`: the user's `<config_dir>/keymaps/<name>.toml` if there is one, else the
    /// preset `name`. Never fails: when the user's file is broken this is the preset it extends
    /// (or `default`), and the second value lists the problems, one line each.
    pub fn load(name: &str, config_dir: Option<&Path>) -> (Keymap, Vec<String>) {
        let user = config_dir.map(|dir| dir.join("keymaps").join(format!("{name}.toml")));
        let read = user.as_ref().map(std::fs::read_to_string);
        let file = user.as_ref().map(|path| path.display().to_string());
        let (base, mut problems) = match (read, file) {
            (Some(Ok(source)), Some(file)) => {
                let (base, result) = read_user(&file, &source);
                match result {
                    Ok(keymap) => return (keymap, Vec::new()),
                    Err(errors) => (base, errors.iter().map(ToString::to_string).collect()),
                }
            }
            (Some(Err(e)), Some(file)) if e.kind() != std::io::ErrorKind::NotFound => {
                let base = if is_preset(name) {
                    name
                } else {
                    DEFAULT_PRESET
                };
                (base.to_owned(), vec![format!("{file}: cannot read: {e}")])
            }
            (_, file) => {
                if let Ok(keymap) = Keymap::preset(name) {
                    return (keymap, Vec::new());
                }
                let nowhere = match file {
                    Some(file) => format!("keymap '{name}' is not a file ({file}) nor a preset"),
                    None => format!("keymap '{name}' is not a preset"),
                };
                let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                let hint = match nearest(name, names.iter().copied()) {
                    Some(near) => format!(" (did you mean {near}?)"),
                    None => format!("; presets are {}", names.join(", ")),
                };
                (DEFAULT_PRESET.to_owned(), vec![nowhere + &hint])
            }
        };
        let keymap = match Keymap::preset(&base) {
            Ok(keymap) => keymap,
            Err(errors) => {
                problems.extend(errors.iter().map(ToString::to_string));
                Keymap::empty()
            }
        };
        problems.push(format!(
            "keymap '{name}' has problems; using the preset {base} meanwhile"
        ));
        (keymap, problems)
    }

    /// Reads a user keymap file (extending its preset) and reports every problem in it.
    pub fn check_file(path: &Path) -> Result<Keymap, Vec<KeymapError>> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(source) => read_user(&file, &source).1,
            Err(e) => Err(vec![KeymapError {
                file,
                line: None,
                message: format!("cannot read: {e}"),
            }]),
        }
    }

    /// The mode the console starts in.
    pub fn start(&self) -> Mode {
        self.start
    }

    pub fn bindings(&self, mode: Mode) -> &[Binding] {
        &self.modes[mode.index()]
    }

    /// What `keys` (the chord typed so far) means in `mode`; bindings whose `when` is false
    /// are left out.
    pub fn lookup(&self, mode: Mode, keys: &[Key], flags: &dyn Fn(&str) -> bool) -> Lookup<'_> {
        if keys.is_empty() {
            return Lookup::Unbound;
        }
        let live = self
            .bindings(mode)
            .iter()
            .filter(|b| b.when.as_ref().is_none_or(|c| c.eval(flags)));
        let mut pending = Vec::new();
        for binding in live {
            if binding.on == keys {
                return Lookup::Run(binding);
            }
            if binding.on.starts_with(keys) {
                pending.push(binding);
            }
        }
        if pending.is_empty() {
            Lookup::Unbound
        } else {
            Lookup::Pending(pending)
        }
    }

    /// A listing per mode — keys, command line, description — for `switchboard keymap print`.
    pub fn print(&self) -> String {
        use fmt::Write;
        let mut out = format!("start = {}\n", self.start);
        for mode in Mode::ALL {
            let bindings = self.bindings(mode);
            let _ = write!(out, "\n{mode} mode");
            if bindings.is_empty() {
                out.push_str(": no bindings\n");
                continue;
            }
            out.push('\n');
            let rows: Vec<(String, String, String)> = bindings
                .iter()
                .map(|b| {
                    let run = if b.run.trim() == b.run {
                        b.run.clone()
                    } else {
                        format!("{:?}", b.run)
                    };
                    let desc = match &b.when {
                        Some(when) => format!("{}  [when {when}]", b.desc),
                        None => b.desc.clone(),
                    };
                    (b.keys(), run, desc)
                })
                .collect();
            let keys_width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
            let run_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
            for (keys, run, desc) in rows {
                let line = format!("  {keys:keys_width$}  {run:run_width$}  {desc}");
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
        out
    }
}

fn is_preset(name: &str) -> bool {
    PRESETS.iter().any(|(n, _)| *n == name)
}

fn unknown_preset(name: &str) -> String {
    let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
    match nearest(name, names.iter().copied()) {
        Some(near) => format!("unknown preset '{name}' (did you mean {near}?)"),
        None => format!("unknown preset '{name}'; presets are {}", names.join(", ")),
    }
}
