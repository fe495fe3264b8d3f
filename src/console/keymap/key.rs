//! The key notation: `<C-d>`, `<S-Tab>`, `g`, and chords written with spaces (`g g`).

use crate::spelling::nearest;
use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
