//! Keymaps: per-mode bindings read from TOML, the key notation (`<C-d>`, `<S-Tab>`, `g`), `when`
//! conditions over console flags, and chord lookup for the console and its which-key hint.
//!
//! Two presets ship embedded (`keymaps/default.toml`, `keymaps/vim.toml`). A user file
//! `<config>/keymaps/<name>.toml` extends one of them: it may `unbind` preset keys, and a binding
//! on the same keys as a preset binding replaces it. Every problem is collected as a one-line
//! error naming the file and line; [`Keymap::load`] never fails, it falls back to the preset.

use crate::spelling::nearest;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

use crate::command::registry::COMMANDS;
use crate::console::command::{check, CONSOLE_COMMANDS};

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

/// One key press, normalized: a character never carries Shift (crossterm reports `G` as
/// `Char('G')` with Shift; it is `G` here), Shift-Tab is `BackTab` without Shift (however the
/// terminal reports it), and only Ctrl, Alt and Shift are kept (Meta counts as Alt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const NAMES: &[(&str, KeyCode)] = &[
    ("Space", KeyCode::Char(' ')),
    ("lt", KeyCode::Char('<')),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
];

/// Other spellings accepted when reading (vim's among them); printing uses [`NAMES`].
const ALIASES: &[(&str, KeyCode)] = &[
    ("CR", KeyCode::Enter),
    ("Return", KeyCode::Enter),
    ("Escape", KeyCode::Esc),
    ("BS", KeyCode::Backspace),
    ("Del", KeyCode::Delete),
    ("Ins", KeyCode::Insert),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("BackTab", KeyCode::BackTab),
];

const LAST_FUNCTION_KEY: u8 = 12;

impl Key {
    /// A key from its parts, normalized (see [`Key`]).
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let mut modifiers = modifiers;
        if modifiers.contains(KeyModifiers::META) {
            modifiers |= KeyModifiers::ALT;
        }
        modifiers &= KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT;
        let code = match code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(shifted(c))
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            // Some terminals report Shift-Tab as Tab with Shift.
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, modifiers }
    }

    /// A character key with no modifiers.
    pub fn char(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    pub fn from_event(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    /// Reads one key: `j`, `G`, `:`, `<C-d>`, `<A-x>`, `<S-Tab>`, `<F1>`, `<C-A-x>`, `<lt>`.
    pub fn parse(s: &str) -> Result<Key, String> {
        Key::read(s, true)
    }

    /// `hint`: on a string that holds several keys, suggest the chord array.
    fn read(s: &str, hint: bool) -> Result<Key, String> {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (None, _) => return Err("empty key".into()),
            (Some('<'), None) => return Err("write the < key as <lt>".into()),
            (Some(c), None) => return Ok(Key::char(c)),
            _ => {}
        }
        let inner = s.strip_prefix('<').and_then(|r| r.strip_suffix('>'));
        let Some(inner) = inner.filter(|i| !i.contains("><")) else {
            let chord = if hint { chord_hint(s) } else { None };
            return Err(match chord {
                Some(hint) => format!("one key per string; write a chord as an array: {hint}"),
                None => "expected one character, or a name in angle brackets such as <C-d> or <F1>"
                    .into(),
            });
        };
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = inner;
        while rest.len() >= 3 && rest.as_bytes()[1] == b'-' {
            let modifier = match rest.as_bytes()[0] {
                b'C' | b'c' => KeyModifiers::CONTROL,
                b'A' | b'a' | b'M' | b'm' => KeyModifiers::ALT,
                b'S' | b's' => KeyModifiers::SHIFT,
                _ => {
                    return Err(format!(
                        "unknown modifier '{}-'; modifiers are C- (Ctrl), A- (Alt), S- (Shift)",
                        &rest[..1]
                    ))
                }
            };
            if modifiers.contains(modifier) {
                return Err(format!("modifier '{}-' is given twice", &rest[..1]));
            }
            modifiers |= modifier;
            rest = &rest[2..];
        }
        let code = key_name(rest)?;
        let shift = modifiers.contains(KeyModifiers::SHIFT);
        match code {
            KeyCode::Char(c) if shift && c.is_alphabetic() => {
                let fixed = Key::new(code, modifiers);
                Err(format!(
                    "Shift with a letter is the capital letter: write {fixed}"
                ))
            }
            KeyCode::Char(_) if shift => Err(
                "Shift with a character: write the character Shift types (! rather than <S-1>)"
                    .into(),
            ),
            code => Ok(Key::new(code, modifiers)),
        }
    }

    /// A printable character typed with no Ctrl or Alt.
    pub fn is_typed(self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }
}

fn shifted(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn key_name(name: &str) -> Result<KeyCode, String> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    if let Some((_, code)) = NAMES
        .iter()
        .chain(ALIASES)
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Ok(*code);
    }
    if let Some(number) = name
        .strip_prefix(['F', 'f'])
        .and_then(|n| n.parse::<u8>().ok())
    {
        return if (1..=LAST_FUNCTION_KEY).contains(&number) {
            Ok(KeyCode::F(number))
        } else {
            Err(format!("function keys go from F1 to F{LAST_FUNCTION_KEY}"))
        };
    }
    let known = NAMES.iter().map(|(n, _)| *n).chain(["F1", "F12"]);
    Err(match nearest(name, known) {
        Some(near) => format!("unknown key name '{name}' (did you mean {near}?)"),
        None => format!(
            "unknown key name '{name}'; names are {}, F1 to F{LAST_FUNCTION_KEY}",
            NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ),
    })
}

/// `on = ["g", "g"]` for `"gg"`, `"g g"` or `"<C-x><C-c>"`, when every piece is a key.
fn chord_hint(s: &str) -> Option<String> {
    let pieces: Vec<String> = if s.split_whitespace().count() > 1 {
        s.split_whitespace().map(str::to_owned).collect()
    } else if s.contains('<') {
        let mut pieces = Vec::new();
        let mut current = String::new();
        for c in s.chars() {
            current.push(c);
            // A piece is one character, or runs from `<` to its `>` (`<>>` is the `>` key).
            if !current.starts_with('<') || (c == '>' && current.len() > 2) {
                pieces.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            pieces.push(current);
        }
        pieces
    } else {
        s.chars().map(String::from).collect()
    };
    let keys: Result<Vec<Key>, String> = pieces.iter().map(|p| Key::read(p, false)).collect();
    let keys = keys.ok().filter(|k| k.len() > 1)?;
    let quoted: Vec<String> = keys.iter().map(|k| format!("\"{k}\"")).collect();
    Some(format!("on = [{}]", quoted.join(", ")))
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut modifiers = self.modifiers;
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char('<') => "lt".to_owned(),
            KeyCode::Char(c) if modifiers.is_empty() => return write!(f, "{c}"),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::BackTab => {
                modifiers |= KeyModifiers::SHIFT;
                "Tab".to_owned()
            }
            KeyCode::F(n) => format!("F{n}"),
            code => match NAMES.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => (*name).to_owned(),
                None => format!("{code:?}"),
            },
        };
        f.write_str("<")?;
        for (modifier, prefix) in [
            (KeyModifiers::CONTROL, "C-"),
            (KeyModifiers::ALT, "A-"),
            (KeyModifiers::SHIFT, "S-"),
        ] {
            if modifiers.contains(modifier) {
                f.write_str(prefix)?;
            }
        }
        write!(f, "{name}>")
    }
}

impl FromStr for Key {
    type Err = String;

    fn from_str(s: &str) -> Result<Key, String> {
        Key::parse(s)
    }
}

/// A chord as written in listings and messages: keys separated by spaces (`g g`).
pub fn print_keys(keys: &[Key]) -> String {
    keys.iter()
        .map(Key::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a chord written as [`print_keys`] writes it (`<C-x> <C-c>`); the space key is `<Space>`.
pub fn parse_keys(s: &str) -> Result<Vec<Key>, String> {
    let keys: Vec<Key> = s
        .split_whitespace()
        .map(Key::parse)
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        Err("no keys".into())
    } else {
        Ok(keys)
    }
}

/// A fact about the console's state that a `when` condition can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    CallSelected,
    UnitSelected,
    CallClosed,
    CallPending,
    LineEmpty,
    Training,
}

impl Flag {
    pub const ALL: [Flag; 6] = [
        Flag::CallSelected,
        Flag::UnitSelected,
        Flag::CallClosed,
        Flag::CallPending,
        Flag::LineEmpty,
        Flag::Training,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Flag::CallSelected => "call-selected",
            Flag::UnitSelected => "unit-selected",
            Flag::CallClosed => "call-closed",
            Flag::CallPending => "call-pending",
            Flag::LineEmpty => "line-empty",
            Flag::Training => "training",
        }
    }

    pub fn doc(self) -> &'static str {
        match self {
            Flag::CallSelected => "a call is selected in the queue",
            Flag::UnitSelected => "a unit is selected in the roster",
            Flag::CallClosed => "the selected call is closed",
            Flag::CallPending => "the selected call waits for a unit",
            Flag::LineEmpty => "the command line is empty",
            Flag::Training => "this is a training desk",
        }
    }

    pub fn from_word(word: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.word() == word)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// A binding's `when`: flags with `!`, `&&`, `||` and parentheses; `&&` binds tighter than
/// `||`, both group to the left.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Condition {
    Flag(Flag),
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// Long enough for any sensible condition; bounds the parser's (and `Drop`'s) recursion on a
/// hostile file.
const MAX_CONDITION_TOKENS: usize = 64;

impl Condition {
    pub fn parse(s: &str) -> Result<Condition, String> {
        let tokens = condition_tokens(s)?;
        if tokens.is_empty() {
            return Err("empty condition".into());
        }
        if tokens.len() > MAX_CONDITION_TOKENS {
            return Err(format!(
                "the condition is too long (over {MAX_CONDITION_TOKENS} flags and operators)"
            ));
        }
        let mut parser = ConditionParser { tokens, at: 0 };
        let condition = parser.or()?;
        match parser.tokens.get(parser.at) {
            None => Ok(condition),
            Some(Token::Close) => Err("a ) has no matching (".into()),
            Some(t) => Err(format!("expected && or || before {t}")),
        }
    }

    /// `flags` answers for one flag by its word (`call-selected`).
    pub fn eval(&self, flags: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Condition::Flag(flag) => flags(flag.word()),
            Condition::Not(c) => !c.eval(flags),
            Condition::And(a, b) => a.eval(flags) && b.eval(flags),
            Condition::Or(a, b) => a.eval(flags) || b.eval(flags),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn grouped(f: &mut fmt::Formatter<'_>, c: &Condition, parens: bool) -> fmt::Result {
            if parens {
                write!(f, "({c})")
            } else {
                write!(f, "{c}")
            }
        }
        match self {
            Condition::Flag(flag) => write!(f, "{flag}"),
            Condition::Not(c) => {
                f.write_str("!")?;
                grouped(f, c, matches!(**c, Condition::And(..) | Condition::Or(..)))
            }
            Condition::And(a, b) => {
                grouped(f, a, matches!(**a, Condition::Or(..)))?;
                f.write_str(" && ")?;
                grouped(f, b, matches!(**b, Condition::And(..) | Condition::Or(..)))
            }
            Condition::Or(a, b) => {
                grouped(f, a, false)?;
                f.write_str(" || ")?;
                grouped(f, b, matches!(**b, Condition::Or(..)))
            }
        }
    }
}

impl FromStr for Condition {
    type Err = String;

    fn from_str(s: &str) -> Result<Condition, String> {
        Condition::parse(s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Flag(Flag),
    Not,
    And,
    Or,
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Flag(flag) => write!(f, "{flag}"),
            Token::Not => f.write_str("!"),
            Token::And => f.write_str("&&"),
            Token::Or => f.write_str("||"),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
        }
    }
}

fn condition_tokens(s: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '!' => tokens.push(Token::Not),
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '&' | '|' => {
                if chars.next_if(|&(_, next)| next == c).is_none() {
                    return Err(format!("write {c}{c}, not a single {c}"));
                }
                tokens.push(if c == '&' { Token::And } else { Token::Or });
            }
            c if c.is_alphanumeric() || c == '-' || c == '_' => {
                let mut end = at + c.len_utf8();
                while let Some((i, n)) =
                    chars.next_if(|&(_, n)| n.is_alphanumeric() || n == '-' || n == '_')
                {
                    end = i + n.len_utf8();
                }
                let word = &s[at..end];
                let flag = Flag::from_word(word).ok_or_else(|| {
                    let words = Flag::ALL.map(Flag::word);
                    match nearest(word, words) {
                        Some(near) => format!("unknown flag '{word}' (did you mean {near}?)"),
                        None => format!("unknown flag '{word}'; flags are {}", words.join(", ")),
                    }
                })?;
                tokens.push(Token::Flag(flag));
            }
            other => return Err(format!("unexpected '{other}'")),
        }
    }
    Ok(tokens)
}

struct ConditionParser {
    tokens: Vec<Token>,
    at: usize,
}

impl ConditionParser {
    fn next_if(&mut self, token: &Token) -> bool {
        let hit = self.tokens.get(self.at) == Some(token);
        self.at += usize::from(hit);
        hit
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut left = self.and()?;
        while self.next_if(&Token::Or) {
            let right = self.operand("||", Self::and)?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut left = self.unary()?;
        while self.next_if(&Token::And) {
            let right = self.operand("&&", Self::unary)?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn operand(
        &mut self,
        after: &str,
        read: fn(&mut Self) -> Result<Condition, String>,
    ) -> Result<Condition, String> {
        if self.tokens.get(self.at).is_none() {
            return Err(format!("expected a flag after {after}"));
        }
        read(self)
    }

    fn unary(&mut self) -> Result<Condition, String> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        match token {
            Some(Token::Flag(flag)) => Ok(Condition::Flag(flag)),
            Some(Token::Not) => match self.tokens.get(self.at) {
                None => Err("expected a flag after !".into()),
                Some(_) => self.unary().map(|c| Condition::Not(Box::new(c))),
            },
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.next_if(&Token::Close) {
                    Ok(inner)
                } else {
                    Err("a ( is not closed; add the closing )".into())
                }
            }
            Some(t) => Err(format!("expected a flag, found {t}")),
            None => Err("expected a flag".into()),
        }
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

/// Reads a user file onto the preset it extends. Returns that preset's name (`default` when the
/// file does not say, or says something unusable) with the result.
fn read_user(file: &str, source: &str) -> (String, Result<Keymap, Vec<KeymapError>>) {
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
struct Entry {
    binding: Binding,
    line: usize,
}

struct Unbind {
    mode: Mode,
    on: Vec<Key>,
    line: usize,
}

#[derive(Default)]
struct Parsed {
    extends: Option<String>,
    start: Option<Mode>,
    entries: [Vec<Entry>; 5],
    unbinds: Vec<Unbind>,
}

impl Parsed {
    fn modes(self) -> [Vec<Binding>; 5] {
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
struct Reader<'s> {
    file: &'s str,
    source: &'s str,
    errors: Vec<KeymapError>,
}

impl<'s> Reader<'s> {
    fn new(file: &'s str, source: &'s str) -> Reader<'s> {
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
    fn finish(mut self, keymap: Keymap) -> Result<Keymap, Vec<KeymapError>> {
        if self.errors.is_empty() {
            Ok(keymap)
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(self.errors)
        }
    }

    fn read(&mut self, preset: bool) -> Parsed {
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

    /// Duplicates and ambiguous prefixes among one file's bindings in one mode; reported on the
    /// later of the two lines.
    fn conflicts(&mut self, mode: Mode, entries: &[Entry]) {
        for (j, later) in entries.iter().enumerate() {
            let b = &later.binding.on;
            for earlier in &entries[..j] {
                let a = &earlier.binding.on;
                let message = if a == b {
                    format!(
                        "duplicate binding {} in {mode} mode; first bound at line {}",
                        print_keys(b),
                        earlier.line
                    )
                } else if b.starts_with(a) || a.starts_with(b) {
                    let ((short, short_line), (long, long_line)) = if a.len() < b.len() {
                        ((a, earlier.line), (b, later.line))
                    } else {
                        ((b, later.line), (a, earlier.line))
                    };
                    format!(
                        "ambiguous prefix in {mode} mode: {} (line {short_line}) is the start of {} (line {long_line})",
                        print_keys(short),
                        print_keys(long)
                    )
                } else {
                    continue;
                };
                let line = Some(later.line);
                self.errors.push(KeymapError {
                    file: self.file.to_owned(),
                    line,
                    message,
                });
                break;
            }
        }
    }

    /// Applies a user file to its preset: unbinds first, then each binding replaces the preset's
    /// on the same keys or is added after them.
    fn merge(&mut self, base_name: &str, base: Keymap, parsed: &Parsed) -> Keymap {
        let start = parsed.start.unwrap_or(base.start);
        let mut modes = base.modes;
        let mut unbound: Vec<&Unbind> = Vec::new();
        for unbind in &parsed.unbinds {
            let bindings = &mut modes[unbind.mode.index()];
            let keys = print_keys(&unbind.on);
            if let Some(at) = bindings.iter().position(|b| b.on == unbind.on) {
                bindings.remove(at);
                unbound.push(unbind);
                continue;
            }
            let mode = unbind.mode;
            let message = if let Some(first) =
                unbound.iter().find(|u| u.mode == mode && u.on == unbind.on)
            {
                format!(
                    "{keys} in {mode} mode is already unbound at line {}",
                    first.line
                )
            } else if let Some(longer) = bindings.iter().find(|b| b.on.starts_with(&unbind.on)) {
                format!(
                    "cannot unbind {keys} in {mode} mode: preset {base_name} binds {} but not {keys}",
                    longer.keys()
                )
            } else {
                format!("cannot unbind {keys} in {mode} mode: preset {base_name} does not bind it")
            };
            self.errors.push(KeymapError {
                file: self.file.to_owned(),
                line: Some(unbind.line),
                message,
            });
        }
        for mode in Mode::ALL {
            let base_count = modes[mode.index()].len();
            for entry in &parsed.entries[mode.index()] {
                let bindings = &mut modes[mode.index()];
                let on = &entry.binding.on;
                if let Some(same) = bindings[..base_count].iter_mut().find(|b| b.on == *on) {
                    *same = entry.binding.clone();
                    continue;
                }
                let clash = bindings[..base_count]
                    .iter()
                    .find(|b| b.on.starts_with(on) || on.starts_with(&b.on));
                if let Some(clash) = clash {
                    let (mine, theirs) = (print_keys(on), clash.keys());
                    let message = if clash.on.len() > on.len() {
                        format!("ambiguous prefix in {mode} mode: {mine} is the start of {theirs} from preset {base_name}; unbind {theirs} first")
                    } else {
                        format!("ambiguous prefix in {mode} mode: {theirs} from preset {base_name} is the start of {mine}; unbind {theirs} first")
                    };
                    self.errors.push(KeymapError {
                        file: self.file.to_owned(),
                        line: Some(entry.line),
                        message,
                    });
                    continue;
                }
                bindings.push(entry.binding.clone());
            }
        }
        Keymap { start, modes }
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
