//! Finding a theme file (the user's first, then the shipped ones), following `inherits`, and
//! laying each file's palette and scopes over its parent's.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::style::{Color, Style};
use toml::Spanned;

use super::depth::NAMED;
use super::parse::{
    parse_colour, parse_modifier, scope_keys, toml_problem, unknown_scope, Problem, RawStyle,
    RawTheme,
};
use super::{ThemeError, SHIPPED, SHIPPED_NAMES};
use crate::spelling::{did_you_mean, nearest};

/// Where a theme file comes from; also its identity for cycle detection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    Shipped(&'static str, &'static str),
    User(PathBuf),
}

struct Source {
    label: String,
    text: String,
}

impl Source {
    fn read(origin: &Origin) -> Result<Source, ThemeError> {
        match origin {
            Origin::Shipped(name, text) => Ok(Source {
                label: format!("themes/{name}.toml"),
                text: (*text).to_owned(),
            }),
            Origin::User(path) => {
                let label = path.display().to_string();
                match std::fs::read_to_string(path) {
                    Ok(text) => Ok(Source { label, text }),
                    Err(e) => Err(ThemeError {
                        message: "cannot read theme file".to_owned(),
                        file: Some(label),
                        line: None,
                        help: Some(e.to_string()),
                    }),
                }
            }
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        // n newlines before the offset split it into n + 1 pieces: line n + 1.
        self.text.as_bytes()[..end].split(|&b| b == b'\n').count()
    }

    fn error(&self, offset: Option<usize>, problem: Problem) -> ThemeError {
        ThemeError {
            message: problem.message,
            file: Some(self.label.clone()),
            line: offset.map(|o| self.line_of(o)),
            help: problem.help,
        }
    }

    fn parse(&self) -> Result<RawTheme, ThemeError> {
        toml::from_str(&self.text)
            .map_err(|e| self.error(e.span().map(|s| s.start), toml_problem(e.message())))
    }
}

/// One file's contribution merged over its ancestors'.
#[derive(Default)]
pub(super) struct Layer {
    palette: BTreeMap<String, Color>,
    pub(super) scopes: BTreeMap<String, Style>,
}

pub(super) struct Loader {
    /// `<config_dir>/themes`, where user themes live.
    themes_dir: Option<PathBuf>,
    /// The files being loaded, child first, with the name each was asked for by.
    chain: Vec<(Origin, String)>,
}

impl Loader {
    pub(super) fn new(themes_dir: Option<PathBuf>) -> Loader {
        Loader {
            themes_dir,
            chain: Vec::new(),
        }
    }

    pub(super) fn locate(&self, name: &str, user_first: bool) -> Option<Origin> {
        if user_first {
            if let Some(dir) = &self.themes_dir {
                let path = dir.join(format!("{name}.toml"));
                if path.is_file() {
                    return Some(Origin::User(path));
                }
            }
        }
        SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(n, text)| Origin::Shipped(n, text))
    }

    /// The merged layer of `origin` and its ancestors, or every problem found in the file that
    /// broke (a file that does not parse, or an inheritance that fails, is one problem; bad
    /// entries are each one, in file order).
    pub(super) fn layer(&mut self, origin: Origin, name: &str) -> Result<Layer, Vec<ThemeError>> {
        let source = Source::read(&origin).map_err(|e| vec![e])?;
        let raw = source.parse().map_err(|e| vec![e])?;
        let is_user = matches!(origin, Origin::User(_));
        self.chain.push((origin, name.to_owned()));
        let mut layer = match &raw.inherits {
            None => Layer::default(),
            Some(parent) => {
                let parent_name = parent.get_ref().as_str();
                let at = Some(parent.span().start);
                // A user theme inheriting its own name (to adjust the shipped one) means the
                // shipped one; shipped themes only ever inherit shipped themes.
                let user_first = is_user && parent_name != name;
                let located = self.locate(parent_name, user_first);
                let cycle_from = match &located {
                    Some(found) => self.chain.iter().position(|(o, _)| o == found),
                    None if parent_name == name => Some(self.chain.len() - 1),
                    None => None,
                };
                if let Some(from) = cycle_from {
                    let names: Vec<&str> = self.chain[from..]
                        .iter()
                        .map(|(_, n)| n.as_str())
                        .chain([parent_name])
                        .collect();
                    return Err(vec![source.error(
                        at,
                        Problem {
                            message: format!("theme inheritance cycle {}", names.join(" -> ")),
                            help: None,
                        },
                    )]);
                }
                let Some(found) = located else {
                    let shipped = SHIPPED_NAMES.iter().copied();
                    return Err(vec![source.error(
                        at,
                        Problem {
                            message: format!("unknown theme '{parent_name}' in inherits"),
                            help: did_you_mean(nearest(parent_name, shipped))
                                .or_else(|| Some(format!("shipped: {}", SHIPPED_NAMES.join(", ")))),
                        },
                    )]);
                };
                self.layer(found, parent_name)?
            }
        };
        self.chain.pop();
        let mut problems = layer.add(&raw, &source);
        if problems.is_empty() {
            Ok(layer)
        } else {
            problems.sort_by_key(|e| e.line);
            Err(problems)
        }
    }
}

impl Layer {
    /// Lays one file over the layer; every bad entry is left out and named.
    fn add(&mut self, raw: &RawTheme, source: &Source) -> Vec<ThemeError> {
        let mut problems = Vec::new();
        let mut palette: Vec<_> = raw.palette.iter().collect();
        palette.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in palette {
            let name = key.get_ref();
            if name == "reset" || NAMED.iter().any(|(n, _)| n == name) {
                problems.push(source.error(
                    Some(key.span().start),
                    Problem {
                        message: format!("palette name '{name}' shadows a named colour"),
                        help: Some("pick another name".to_owned()),
                    },
                ));
                continue;
            }
            match parse_colour(value.get_ref(), &BTreeMap::new()) {
                Ok(color) => {
                    self.palette.insert(name.clone(), color);
                }
                Err(p) => problems.push(source.error(Some(value.span().start), p)),
            }
        }

        let keys = scope_keys();
        let mut scopes: Vec<_> = raw.scopes.iter().collect();
        scopes.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in scopes {
            let scope = key.get_ref().as_str();
            if keys.binary_search(&scope).is_err() {
                problems.push(source.error(Some(key.span().start), unknown_scope(scope, &keys)));
                continue;
            }
            match self.style(value, source) {
                Ok(style) => {
                    self.scopes.insert(scope.to_owned(), style);
                }
                Err(e) => problems.push(e),
            }
        }
        problems
    }

    fn style(&self, raw: &Spanned<RawStyle>, source: &Source) -> Result<Style, ThemeError> {
        let colour = |text: &str, at: usize| {
            parse_colour(text, &self.palette).map_err(|p| source.error(Some(at), p))
        };
        let mut style = Style::new();
        match raw.get_ref() {
            RawStyle::Fg(text) => style.fg = Some(colour(text, raw.span().start)?),
            RawStyle::Table(table) => {
                if let Some(fg) = &table.fg {
                    style.fg = Some(colour(fg.get_ref(), fg.span().start)?);
                }
                if let Some(bg) = &table.bg {
                    style.bg = Some(colour(bg.get_ref(), bg.span().start)?);
                }
                for m in &table.modifiers {
                    let modifier = parse_modifier(m.get_ref())
                        .map_err(|p| source.error(Some(m.span().start), p))?;
                    style = style.add_modifier(modifier);
                }
            }
        }
        Ok(style)
    }
}
