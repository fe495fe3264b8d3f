//! Reading one keymap file: its TOML walked into bindings and unbinds, every problem kept with
//! its line.

use std::ops::Range;

use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use super::{
    is_preset, unknown_mode, unknown_preset, Binding, Condition, Key, Keymap, KeymapError, Mode,
    DEFAULT_PRESET,
};
use crate::command::registry::COMMANDS;
use crate::console::command::{check, CONSOLE_COMMANDS};
use crate::spelling::nearest;

/// Reads a user file onto the preset it extends. Returns that preset's name (`default` when the
/// file does not say, or says something unusable) with the result.
pub(super) fn read_user(file: &str, source: &str) -> (String, Result<Keymap, Vec<KeymapError>>) {
    let mut reader = Reader::new(file, source);
    let parsed = reader.read(false);
    let base_name = parsed
        .extends
        .clone()
        .unwrap_or_else(|| DEFAULT_PRESET.to_owned());
    let base = match Keymap::preset(&base_name) {
        Ok(base) => base,
        Err(errors) => {
            reader.errors.extend(errors);
            return (DEFAULT_PRESET.to_owned(), Err(reader.errors));
        }
    };
    let keymap = reader.merge(&base_name, base, &parsed);
    (base_name, reader.finish(keymap))
}

/// A binding as read, with the line it was written on.
pub(super) struct Entry {
    pub(super) binding: Binding,
    pub(super) line: usize,
}

pub(super) struct Unbind {
    pub(super) mode: Mode,
    pub(super) on: Vec<Key>,
    pub(super) line: usize,
}

#[derive(Default)]
pub(super) struct Parsed {
    pub(super) extends: Option<String>,
    pub(super) start: Option<Mode>,
    pub(super) entries: [Vec<Entry>; 5],
    pub(super) unbinds: Vec<Unbind>,
}

impl Parsed {
    pub(super) fn modes(self) -> [Vec<Binding>; 5] {
        self.entries
            .map(|entries| entries.into_iter().map(|e| e.binding).collect())
    }
}

const TOP_KEYS: &[&str] = &[
    "extends", "start", "normal", "command", "form", "help", "trainer", "unbind",
];
const BINDING_KEYS: &[&str] = &["on", "run", "desc", "when"];
const UNBIND_KEYS: &[&str] = &["mode", "on"];

/// Walks the TOML of one file and collects every problem, each with its line.
pub(super) struct Reader<'s> {
    pub(super) file: &'s str,
    source: &'s str,
    pub(super) errors: Vec<KeymapError>,
}

impl<'s> Reader<'s> {
    pub(super) fn new(file: &'s str, source: &'s str) -> Reader<'s> {
        Reader {
            file,
            source,
            errors: Vec::new(),
        }
    }

    fn line(&self, span: &Range<usize>) -> usize {
        let end = span.start.min(self.source.len());
        self.source
            .get(..end)
            .map_or(0, |s| s.matches('\n').count())
            + 1
    }

    fn error(&mut self, span: &Range<usize>, message: String) {
        let line = Some(self.line(span));
        self.errors.push(KeymapError {
            file: self.file.to_owned(),
            line,
            message,
        });
    }

    /// Errors sorted by line (TOML tables come back in key order, not file order).
    pub(super) fn finish(mut self, keymap: Keymap) -> Result<Keymap, Vec<KeymapError>> {
        if self.errors.is_empty() {
            Ok(keymap)
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(self.errors)
        }
    }

    pub(super) fn read(&mut self, preset: bool) -> Parsed {
        let mut parsed = Parsed::default();
        let (table, syntax) = DeTable::parse_recoverable(self.source);
        if !syntax.is_empty() {
            for e in syntax {
                let span = e.span().unwrap_or(0..0);
                let message = e.message().lines().next().unwrap_or("").trim().to_owned();
                self.error(&span, format!("TOML syntax: {message}"));
            }
            // Only the preset to fall back on is worth taking from a file that does not parse.
            parsed.extends = table
                .get_ref()
                .get("extends")
                .and_then(|v| v.get_ref().as_str())
                .filter(|name| is_preset(name))
                .map(str::to_owned);
            return parsed;
        }
        for (key, value) in table.get_ref() {
            let span = key.span();
            match key.get_ref().as_ref() {
                "extends" if preset => {
                    self.error(&span, "a preset does not extend another".into());
                }
                "extends" => {
                    if let Some(name) = self.string(value, "extends") {
                        if is_preset(name) {
                            parsed.extends = Some(name.to_owned());
                        } else {
                            self.error(&value.span(), unknown_preset(name));
                        }
                    }
                }
                "start" => {
                    if let Some(word) = self.string(value, "start") {
                        match Mode::from_word(word) {
                            Some(mode @ (Mode::Command | Mode::Normal)) => {
                                parsed.start = Some(mode);
                            }
                            _ => self.error(
                                &value.span(),
                                format!("start = \"{word}\": a keymap starts in command or normal"),
                            ),
                        }
                    }
                }
                "unbind" if preset => {
                    self.error(&span, "a preset has nothing to unbind".into());
                }
                "unbind" => {
                    for item in self.tables(value, "unbind") {
                        if let Some(unbind) = self.unbind(item) {
                            parsed.unbinds.push(unbind);
                        }
                    }
                }
                word => {
                    if let Some(mode) = Mode::from_word(word) {
                        for item in self.tables(value, word) {
                            if let Some(entry) = self.binding(mode, item) {
                                parsed.entries[mode.index()].push(entry);
                            }
                        }
                    } else if value.get_ref().is_array() {
                        self.error(&span, unknown_mode(word));
                    } else {
                        self.error(&span, unknown_key(word, TOP_KEYS, "at the top"));
                    }
                }
            }
        }
        for mode in Mode::ALL {
            self.conflicts(mode, &parsed.entries[mode.index()]);
        }
        parsed
    }

    fn string<'v>(&mut self, value: &'v Spanned<DeValue<'_>>, what: &str) -> Option<&'v str> {
        let found = value.get_ref().as_str();
        if found.is_none() {
            let kind = value.get_ref().type_str();
            self.error(
                &value.span(),
                format!("{what} must be a string, not {kind}"),
            );
        }
        found
    }

    /// The tables of an array of tables (`command = [ { … }, … ]` or `[[command]]`).
    fn tables<'v, 'i>(
        &mut self,
        value: &'v Spanned<DeValue<'i>>,
        what: &str,
    ) -> Vec<(&'v DeTable<'i>, Range<usize>)> {
        let Some(items) = value.get_ref().as_array() else {
            let kind = value.get_ref().type_str();
            self.error(
                &value.span(),
                format!("{what} must be an array of tables, not {kind}"),
            );
            return Vec::new();
        };
        let items: &DeArray<'i> = items;
        let mut tables = Vec::new();
        for item in items {
            if let Some(table) = item.get_ref().as_table() {
                tables.push((table, item.span()));
            } else {
                let kind = item.get_ref().type_str();
                let example = "{ on = \"<F1>\", run = \"help\" }";
                self.error(
                    &item.span(),
                    format!("{what}: expected a table like {example}, not {kind}"),
                );
            }
        }
        tables
    }

    /// `on`: one key, or an array of keys for a chord.
    fn keys(&mut self, value: &Spanned<DeValue<'_>>) -> Option<Vec<Key>> {
        let one = |reader: &mut Self, v: &Spanned<DeValue<'_>>| -> Option<Key> {
            let text = reader.string(v, "each key in on")?;
            Key::parse(text)
                .map_err(|e| reader.error(&v.span(), format!("bad key \"{text}\": {e}")))
                .ok()
        };
        match value.get_ref() {
            DeValue::String(_) => one(self, value).map(|k| vec![k]),
            DeValue::Array(items) if items.is_empty() => {
                self.error(
                    &value.span(),
                    "on is empty; give a key such as \"<F1>\"".into(),
                );
                None
            }
            DeValue::Array(items) => {
                let keys: Vec<Option<Key>> = items.iter().map(|v| one(self, v)).collect();
                keys.into_iter().collect()
            }
            other => {
                let kind = other.type_str();
                self.error(
                    &value.span(),
                    format!("on must be a key or an array of keys, not {kind}"),
                );
                None
            }
        }
    }

    fn binding(
        &mut self,
        mode: Mode,
        (table, span): (&DeTable<'_>, Range<usize>),
    ) -> Option<Entry> {
        let line = self.line(&span);
        let before = self.errors.len();
        let (mut on, mut run, mut desc, mut when) = (None, None, String::new(), None);
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "on" => on = self.keys(value),
                "run" => run = self.run(value),
                "desc" => {
                    desc = self
                        .string(value, "desc")
                        .map(str::to_owned)
                        .unwrap_or_default();
                }
                "when" => {
                    if let Some(text) = self.string(value, "when") {
                        match Condition::parse(text) {
                            Ok(c) => when = Some(c),
                            Err(e) => self.error(&value.span(), format!("when \"{text}\": {e}")),
                        }
                    }
                }
                other => self.error(
                    &key.span(),
                    unknown_key(other, BINDING_KEYS, "in a binding"),
                ),
            }
        }
        if !table.contains_key("on") || !table.contains_key("run") {
            let missing = if table.contains_key("on") {
                "run"
            } else {
                "on"
            };
            self.error(
                &span,
                format!("a binding needs {missing}, such as {{ on = \"<F1>\", run = \"help\" }}"),
            );
        }
        if let Some(first) = on.as_ref().and_then(|keys| keys.first()) {
            if let Some(why) = mode.reserved(*first) {
                let hint = if mode == Mode::Form {
                    "bind <Esc>, a function key or a Ctrl/Alt chord"
                } else {
                    "bind a function key or a Ctrl/Alt chord"
                };
                let on_span = table.get("on").map_or(span.clone(), Spanned::span);
                self.error(
                    &on_span,
                    format!("{first} in {mode} mode is {why}, never a binding; {hint}"),
                );
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Entry {
            binding: Binding {
                on: on?,
                run: run?,
                desc,
                when,
            },
            line,
        })
    }

    fn run(&mut self, value: &Spanned<DeValue<'_>>) -> Option<String> {
        let run = self.string(value, "run")?;
        if run.trim().is_empty() {
            self.error(
                &value.span(),
                "run is empty; give a command line such as \"help\"".into(),
            );
            return None;
        }
        match check(run) {
            Ok(()) => Some(run.to_owned()),
            Err(e) => {
                self.error(
                    &value.span(),
                    format!("run \"{run}\": {}", with_command_hint(run, e)),
                );
                None
            }
        }
    }

    fn unbind(&mut self, (table, span): (&DeTable<'_>, Range<usize>)) -> Option<Unbind> {
        let before = self.errors.len();
        let (mut mode, mut on) = (None, None);
        for (key, value) in table {
            match key.get_ref().as_ref() {
                "mode" => {
                    if let Some(word) = self.string(value, "mode") {
                        match Mode::from_word(word) {
                            Some(m) => mode = Some(m),
                            None => self.error(&value.span(), unknown_mode(word)),
                        }
                    }
                }
                "on" => on = self.keys(value),
                other => self.error(&key.span(), unknown_key(other, UNBIND_KEYS, "in an unbind")),
            }
        }
        if !table.contains_key("mode") || !table.contains_key("on") {
            let example = "{ mode = \"command\", on = \"<F5>\" }";
            self.error(
                &span,
                format!("an unbind needs mode and on, such as {example}"),
            );
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Unbind {
            mode: mode?,
            on: on?,
            line: self.line(&span),
        })
    }
}

fn unknown_key(word: &str, known: &[&str], place: &str) -> String {
    match nearest(word, known.iter().copied()) {
        Some(near) => format!("unknown key '{word}' {place} (did you mean {near}?)"),
        None => format!(
            "unknown key '{word}' {place}; keys are {}",
            known.join(", ")
        ),
    }
}

/// `check` names an unknown command but suggests nothing; console commands count here too.
fn with_command_hint(run: &str, error: String) -> String {
    let word = run
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches(':');
    if error != format!("unknown command '{word}'") {
        return error;
    }
    let names = CONSOLE_COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
        .chain(
            COMMANDS
                .iter()
                .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied())),
        );
    match nearest(word, names) {
        Some(near) => format!("{error}; did you mean '{near}'?"),
        None => error,
    }
}
