//! The words of a command line: splitting it into tokens (with quotes), quoting text back, and
//! sorting a verb's tokens into positional arguments and `--options` by its registry spec.

use super::ParseError;
use crate::command::registry::{ArgKind, Spec};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Quoted tokens are never read as options or as the `/` between location and nature.
    pub quoted: bool,
}

/// Splits on whitespace; double quotes group words, and `\"` and `\\` escape inside them.
pub fn tokenize(line: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut text = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() && !quoted {
                break;
            }
            chars.next();
            match c {
                '"' if !quoted && text.is_empty() => quoted = true,
                '"' if quoted => {
                    quoted = false;
                    tokens.push(Token {
                        text: std::mem::take(&mut text),
                        quoted: true,
                    });
                    break;
                }
                '\\' if quoted => match chars.next() {
                    Some(e) => text.push(e),
                    None => return Err(ParseError("unfinished \\ at the end of the line".into())),
                },
                c => text.push(c),
            }
        }
        if quoted {
            return Err(ParseError(
                "a quote is not closed; add the closing \"".into(),
            ));
        }
        if !text.is_empty() {
            tokens.push(Token {
                text,
                quoted: false,
            });
        }
    }
    Ok(tokens)
}

/// The words that parse back to `text` as one token.
pub(super) fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with("--")
        && !text.contains(|c: char| c.is_whitespace() || c == '"' || c == '/' || c == '\\');
    if plain {
        text.to_owned()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Free text as words, each quoted where needed.
pub(super) fn quote_words(text: &str) -> String {
    text.split_whitespace()
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) struct Args<'a> {
    pub(super) spec: &'static Spec,
    pub(super) positional: Vec<&'a Token>,
    pub(super) flags: Vec<(&'static str, Option<String>)>,
}

impl Args<'_> {
    pub(super) fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    pub(super) fn switch(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| *n == name)
    }

    pub(super) fn usage_error(&self, what: &str) -> ParseError {
        ParseError(format!("{what}; usage: {}", self.spec.usage()))
    }

    /// Exactly `n` positional arguments.
    pub(super) fn exactly(&self, n: usize) -> Result<Vec<&str>, ParseError> {
        match self.positional.len() {
            k if k < n => {
                Err(self.usage_error(&format!("{} needs {n} argument(s)", self.spec.name)))
            }
            k if k > n => Err(self.usage_error(&format!(
                "{} takes {n} argument(s), got {k}",
                self.spec.name
            ))),
            _ => Ok(self.positional.iter().map(|t| t.text.as_str()).collect()),
        }
    }

    /// `n` leading arguments, then the rest as free text (maybe empty).
    pub(super) fn leading_then_text(&self, n: usize) -> Result<(Vec<&str>, String), ParseError> {
        if self.positional.len() < n {
            return Err(self.usage_error(&format!(
                "{} needs at least {n} argument(s)",
                self.spec.name
            )));
        }
        let lead = self.positional[..n]
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        let rest: Vec<&str> = self.positional[n..]
            .iter()
            .map(|t| t.text.as_str())
            .collect();
        Ok((lead, rest.join(" ")))
    }
}

pub(super) fn split_args<'a>(
    spec: &'static Spec,
    tokens: &'a [Token],
) -> Result<Args<'a>, ParseError> {
    let mut args = Args {
        spec,
        positional: Vec::new(),
        flags: Vec::new(),
    };
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        i += 1;
        let Some(option) = t.text.strip_prefix("--").filter(|_| !t.quoted) else {
            args.positional.push(t);
            continue;
        };
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (option, None),
        };
        let Some(flag) = spec.flag(name) else {
            return Err(args.usage_error(&format!("{} has no option --{name}", spec.name)));
        };
        if args.switch(flag.name) {
            return Err(args.usage_error(&format!("--{name} is given twice")));
        }
        let value = match flag.value {
            None if inline.is_some() => {
                return Err(args.usage_error(&format!("--{name} takes no value")));
            }
            None => None,
            Some(_) if inline.is_some() => inline,
            // Text options take words up to the next option, so `--caller Jo Smith` works.
            Some(ArgKind::Text) => {
                let mut words = Vec::new();
                while let Some(t) = tokens
                    .get(i)
                    .filter(|t| t.quoted || !t.text.starts_with("--"))
                {
                    words.push(t.text.as_str());
                    i += 1;
                }
                Some(words.join(" "))
            }
            Some(_) => tokens.get(i).map(|t| {
                i += 1;
                t.text.clone()
            }),
        };
        if flag.value.is_some() && value.as_deref().is_none_or(str::is_empty) {
            return Err(args.usage_error(&format!("--{name} needs a value")));
        }
        args.flags.push((flag.name, value));
    }
    Ok(args)
}
