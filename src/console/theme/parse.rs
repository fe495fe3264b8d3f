//! Reading a theme's values: colours, modifiers, styles and scope names, each problem in words.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::style::{Color, Modifier};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::depth::NAMED;
use super::{ThemeError, SCOPES};
use crate::spelling::{did_you_mean, nearest};

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed-out", Modifier::CROSSED_OUT),
];

/// A problem found in a value, before its file and line are attached.
pub(super) struct Problem {
    pub(super) message: String,
    pub(super) help: Option<String>,
}

pub(super) fn check_name(name: &str) -> Result<(), ThemeError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        return Ok(());
    }
    Err(ThemeError {
        message: format!("bad theme name '{name}'"),
        file: None,
        line: None,
        help: Some("use letters, digits, '-' and '_'".to_owned()),
    })
}

/// `queue.row.selected`, `queue.row`, `queue`.
pub(super) fn fallbacks(scope: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(scope), |s| {
        s.rsplit_once('.').map(|(parent, _)| parent)
    })
}

/// What a `[scopes]` key may be: a scope, or a dotted prefix of one that its children fall back to.
pub(super) fn scope_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = SCOPES.iter().flat_map(|s| fallbacks(s)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

fn parse_hex(text: &str) -> Option<Color> {
    let hex = text.strip_prefix('#')?;
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

pub(super) fn parse_colour(
    text: &str,
    palette: &BTreeMap<String, Color>,
) -> Result<Color, Problem> {
    if text == "reset" {
        return Ok(Color::Reset);
    }
    if text.starts_with('#') {
        return parse_hex(text).ok_or_else(|| Problem {
            message: format!("bad colour '{text}'"),
            help: Some("write hex colours as #rrggbb".to_owned()),
        });
    }
    if let Some((_, color)) = NAMED.iter().find(|(name, _)| *name == text) {
        return Ok(*color);
    }
    if let Some(color) = palette.get(text) {
        return Ok(*color);
    }
    let candidates = NAMED
        .iter()
        .map(|(n, _)| *n)
        .chain(palette.keys().map(String::as_str));
    Err(Problem {
        message: format!("unknown colour '{text}'"),
        help: did_you_mean(nearest(text, candidates.chain(["reset"]))).or_else(|| {
            Some("use a named colour (red, light-red, …), a palette name, #rrggbb or reset".into())
        }),
    })
}

pub(super) fn parse_modifier(text: &str) -> Result<Modifier, Problem> {
    if let Some((_, m)) = MODIFIERS.iter().find(|(name, _)| *name == text) {
        return Ok(*m);
    }
    let names: Vec<&str> = MODIFIERS.iter().map(|(n, _)| *n).collect();
    Err(Problem {
        message: format!("unknown modifier '{text}'"),
        help: did_you_mean(nearest(text, names.iter().copied()))
            .or_else(|| Some(format!("use {}", names.join(", ")))),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTheme {
    pub(super) inherits: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) palette: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub(super) scopes: BTreeMap<Spanned<String>, Spanned<RawStyle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StyleTable {
    pub(super) fg: Option<Spanned<String>>,
    pub(super) bg: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) modifiers: Vec<Spanned<String>>,
}

/// `"cyan"` (the foreground alone) or `{ fg, bg, modifiers }`.
pub(super) enum RawStyle {
    Fg(String),
    Table(StyleTable),
}

impl<'de> Deserialize<'de> for RawStyle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawStyleVisitor;
        impl<'de> Visitor<'de> for RawStyleVisitor {
            type Value = RawStyle;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a colour or a style table { fg, bg, modifiers }")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<RawStyle, E> {
                Ok(RawStyle::Fg(text.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawStyle, A::Error> {
                StyleTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawStyle::Table)
            }
        }
        deserializer.deserialize_any(RawStyleVisitor)
    }
}

/// Rewrites a toml/serde message into this module's words: "unknown key 'x'; did you mean 'y'?".
pub(super) fn toml_problem(message: &str) -> Problem {
    let message = message.trim().replace('\n', "; ");
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some((key, expected)) = rest.split_once('`') {
            let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let style_keys = expected == ["fg", "bg", "modifiers"];
            let help = did_you_mean(nearest(key, expected.iter().copied())).or_else(|| {
                let mut help = format!("expected {}", expected.join(", "));
                if style_keys {
                    help.push_str(" (quote dotted scope names: \"queue.row\" = …)");
                }
                Some(help)
            });
            return Problem {
                message: format!("unknown key '{key}'"),
                help,
            };
        }
    }
    let is_value = [
        "invalid type",
        "invalid value",
        "invalid length",
        "missing field",
    ]
    .iter()
    .any(|p| message.starts_with(p));
    Problem {
        message: if is_value {
            "bad value"
        } else {
            "TOML syntax error"
        }
        .to_owned(),
        help: Some(message),
    }
}

pub(super) fn unknown_scope(scope: &str, keys: &[&str]) -> Problem {
    let help = did_you_mean(nearest(scope, keys.iter().copied())).or_else(|| {
        let mut roots: Vec<&str> = Vec::new();
        for s in SCOPES {
            let root = s.split('.').next().unwrap_or(s);
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
        let (last, rest) = roots.split_last()?;
        Some(format!("scopes start with {} or {last}", rest.join(", ")))
    });
    Problem {
        message: format!("unknown scope '{scope}'"),
        help,
    }
}
