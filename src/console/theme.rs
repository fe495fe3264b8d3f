//! Themes: TOML data, resolved once at load into a typed [`Theme`] whose fields the views read.
//!
//! A theme file has an optional `inherits = "name"`, a `[palette]` naming colours, and a
//! `[scopes]` table from quoted dotted scope names to styles:
//!
//! ```toml
//! inherits = "ansi16"
//! [palette]
//! amber = "#ffaf00"
//! [scopes]
//! "queue.row.selected" = { fg = "amber", modifiers = ["bold"] }
//! "queue.row" = "cyan"   # a colour alone is the foreground
//! ```
//!
//! A colour is one of the 16 ANSI names, a palette name (this file's or an ancestor's), `#rrggbb`
//! or `reset`. A scope key is one of [`SCOPES`] or a dotted prefix of one (`queue`, `roster.status`).
//! A scope the theme does not name falls back to its parent (`queue.row.selected` → `queue.row` →
//! `queue`), then to the terminal's default style. A theme that inherits replaces exactly the
//! scopes it names; `ansi16.toml` names every scope with the 16 named colours and every other
//! shipped theme inherits it. Resolved colours are then downgraded to the terminal's
//! [`ColorDepth`].

use crate::spelling::{did_you_mean, nearest};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::domain::{Priority, UnitStatus};

const SHIPPED: &[(&str, &str)] = &[
    ("ansi16", include_str!("../../themes/ansi16.toml")),
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

const SHIPPED_NAMES: &[&str] = &["ansi16", "dark", "light", "high-contrast"];

/// The theme every other shipped theme inherits, and the one [`Theme::default_for`] gives.
pub const BASE_THEME: &str = "ansi16";

/// Every scope a view can ask for; each is one field (or array slot) of [`Theme`].
pub const SCOPES: &[&str] = &[
    "status",
    "status.alarm",
    "status.training",
    "status.peer",
    "pane.title",
    "pane.title.focused",
    "pane.border",
    "queue.header",
    "queue.row",
    "queue.row.selected",
    "queue.priority.1",
    "queue.priority.2",
    "queue.priority.3",
    "queue.priority.4",
    "queue.age",
    "queue.age.alarm",
    "queue.status",
    "details.label",
    "details.value",
    "details.note",
    "details.chronology",
    "details.alert",
    "roster.group",
    "roster.row",
    "roster.row.selected",
    "roster.status.avl",
    "roster.status.dsp",
    "roster.status.enr",
    "roster.status.ons",
    "roster.status.trn",
    "roster.status.atf",
    "roster.status.oos",
    "roster.timer",
    "roster.timer.overdue",
    "cmdline.prompt",
    "cmdline.text",
    "cmdline.refusal",
    "cmdline.done",
    "cmdline.hint",
    "cmdline.completion",
    "cmdline.completion.selected",
    "form.label",
    "form.field",
    "form.field.focused",
    "help.title",
    "help.key",
    "help.desc",
    "notice",
];

/// The 16 named colours in ANSI index order (0–15), as theme files spell them.
const NAMED: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
];

/// xterm's default RGB for the 16 named colours, in the order of [`NAMED`]. Terminals differ; this
/// is only the yardstick for downgrading `#rrggbb` to a named colour.
const NAMED_RGB: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed-out", Modifier::CROSSED_OUT),
];

/// How many colours the terminal shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ColorDepth {
    /// No colour at all (`--colors none`, `NO_COLOR`); modifiers still show.
    Mono,
    /// The 16 named colours, mapped by the terminal to its own palette.
    #[default]
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit colour.
    TrueColor,
}

impl ColorDepth {
    /// The values `--colors` accepts.
    pub const FLAG_VALUES: &'static [&'static str] = &["none", "16", "256", "truecolor"];

    /// The depth from the `--colors` flag, else the environment: `NO_COLOR`, `COLORTERM`, `TERM`.
    pub fn detect(flag: Option<&str>) -> Result<ColorDepth, String> {
        Self::detect_with(flag, |name| std::env::var(name).ok())
    }

    /// [`ColorDepth::detect`] with the environment lookup passed in, for tests.
    pub fn detect_with(
        flag: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ColorDepth, String> {
        if let Some(flag) = flag {
            return match flag.to_ascii_lowercase().as_str() {
                "none" => Ok(ColorDepth::Mono),
                "16" => Ok(ColorDepth::Ansi16),
                "256" => Ok(ColorDepth::Ansi256),
                "truecolor" => Ok(ColorDepth::TrueColor),
                _ => Err(format!(
                    "unknown --colors value '{flag}'; use none, 16, 256 or truecolor"
                )),
            };
        }
        // https://no-color.org: present and not empty.
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Ok(ColorDepth::Mono);
        }
        if env("COLORTERM")
            .is_some_and(|v| v.eq_ignore_ascii_case("truecolor") || v.eq_ignore_ascii_case("24bit"))
        {
            return Ok(ColorDepth::TrueColor);
        }
        if env("TERM").is_some_and(|v| v.contains("256color")) {
            return Ok(ColorDepth::Ansi256);
        }
        Ok(ColorDepth::Ansi16)
    }

    /// `color` as this depth can show it: `#rrggbb` becomes the nearest xterm-256 index or the
    /// nearest named colour (plain RGB distance); `Mono` shows none.
    pub fn adapt(self, color: Color) -> Option<Color> {
        match (self, color) {
            (ColorDepth::Mono, _) => None,
            (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => {
                Some(Color::Indexed(nearest_256((r, g, b))))
            }
            (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_named((r, g, b))),
            (ColorDepth::Ansi16, Color::Indexed(i)) => Some(nearest_named(xterm_rgb(i))),
            (_, color) => Some(color),
        }
    }

    fn adapt_style(self, style: Style) -> Style {
        let mut adapted = style;
        adapted.fg = style.fg.and_then(|c| self.adapt(c));
        adapted.bg = style.bg.and_then(|c| self.adapt(c));
        adapted
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs().pow(2);
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

/// The RGB of xterm colour `index`: the 16 named colours, the 6×6×6 cube, the 24 greys.
fn xterm_rgb(index: u8) -> (u8, u8, u8) {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    match index {
        0..=15 => NAMED_RGB[usize::from(index)],
        16..=231 => {
            let i = usize::from(index - 16);
            (LEVELS[i / 36], LEVELS[i / 6 % 6], LEVELS[i % 6])
        }
        _ => {
            let grey = 8 + 10 * (index - 232);
            (grey, grey, grey)
        }
    }
}

/// The nearest of indices 16–255, whose colours (unlike 0–15) terminals do not re-map.
fn nearest_256(rgb: (u8, u8, u8)) -> u8 {
    (16..=255)
        .min_by_key(|&i| distance(rgb, xterm_rgb(i)))
        .unwrap_or(16)
}

fn nearest_named(rgb: (u8, u8, u8)) -> Color {
    NAMED
        .iter()
        .zip(NAMED_RGB)
        .min_by_key(|(_, named)| distance(rgb, *named))
        .map_or(Color::Reset, |((_, color), _)| *color)
}

/// A resolved theme: one style per scope, already downgraded to the terminal's colour depth.
///
/// `Theme::default()` is unstyled (terminal defaults everywhere); the product's default is
/// [`Theme::default_for`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Theme {
    /// The name it was loaded by.
    pub name: String,
    pub depth: ColorDepth,

    pub status: Style,
    pub status_alarm: Style,
    pub status_training: Style,
    pub status_peer: Style,

    pub pane_title: Style,
    pub pane_title_focused: Style,
    pub pane_border: Style,

    pub queue_header: Style,
    pub queue_row: Style,
    pub queue_row_selected: Style,
    /// Priority 1 (most urgent) to 4; see [`Theme::priority`].
    pub queue_priority: [Style; 4],
    pub queue_age: Style,
    pub queue_age_alarm: Style,
    pub queue_status: Style,

    pub details_label: Style,
    pub details_value: Style,
    pub details_note: Style,
    pub details_chronology: Style,
    pub details_alert: Style,

    pub roster_group: Style,
    pub roster_row: Style,
    pub roster_row_selected: Style,
    /// AVL DSP ENR ONS TRN ATF OOS; see [`Theme::unit_status`].
    pub roster_status: [Style; 7],
    pub roster_timer: Style,
    pub roster_timer_overdue: Style,

    pub cmdline_prompt: Style,
    pub cmdline_text: Style,
    pub cmdline_refusal: Style,
    pub cmdline_done: Style,
    pub cmdline_hint: Style,
    pub cmdline_completion: Style,
    pub cmdline_completion_selected: Style,

    pub form_label: Style,
    pub form_field: Style,
    pub form_field_focused: Style,

    pub help_title: Style,
    pub help_key: Style,
    pub help_desc: Style,

    /// "Terminal too small" and the first-run notice.
    pub notice: Style,
}

impl Theme {
    pub fn shipped_names() -> &'static [&'static str] {
        SHIPPED_NAMES
    }

    /// Loads theme `name`: `<config_dir>/themes/<name>.toml` if it exists, else the shipped theme.
    pub fn load(
        name: &str,
        config_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Theme, ThemeError> {
        check_name(name)?;
        let mut loader = Loader::new(config_dir.map(|dir| dir.join("themes")));
        let Some(origin) = loader.locate(name, true) else {
            return Err(ThemeError::unknown_theme(name, &list(config_dir)));
        };
        let layer = loader.layer(origin, name)?;
        Ok(Theme::resolve(name, &layer.scopes, depth))
    }

    /// Checks a theme file and everything it inherits; `inherits` looks beside the file first,
    /// as it would in `<config_dir>/themes/`.
    pub fn check_file(path: &Path) -> Result<(), ThemeError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut loader = Loader::new(path.parent().map(Path::to_path_buf));
        loader
            .layer(Origin::User(path.to_path_buf()), &name)
            .map(|_| ())
    }

    /// The shipped base theme at `depth`.
    pub fn default_for(depth: ColorDepth) -> Theme {
        // The shipped files are loaded at every depth by tests/themes.rs, so this cannot fail;
        // unstyled is the safe answer if it ever did.
        Theme::load(BASE_THEME, None, depth).unwrap_or_else(|_| Theme {
            name: BASE_THEME.to_owned(),
            depth,
            ..Theme::default()
        })
    }

    pub fn unit_status(&self, s: UnitStatus) -> Style {
        self.roster_status[match s {
            UnitStatus::Available => 0,
            UnitStatus::Dispatched => 1,
            UnitStatus::EnRoute => 2,
            UnitStatus::OnScene => 3,
            UnitStatus::Transporting => 4,
            UnitStatus::AtFacility => 5,
            UnitStatus::OutOfService => 6,
        }]
    }

    pub fn priority(&self, p: Priority) -> Style {
        self.queue_priority[usize::from(p.get().clamp(1, 4) - 1)]
    }

    fn resolve(name: &str, scopes: &BTreeMap<String, Style>, depth: ColorDepth) -> Theme {
        let mut theme = Theme {
            name: name.to_owned(),
            depth,
            ..Theme::default()
        };
        for scope in SCOPES {
            let style = fallbacks(scope)
                .find_map(|s| scopes.get(s))
                .copied()
                .unwrap_or_default();
            if let Some(slot) = theme.slot(scope) {
                *slot = depth.adapt_style(style);
            }
        }
        theme
    }

    fn slot(&mut self, scope: &str) -> Option<&mut Style> {
        Some(match scope {
            "status" => &mut self.status,
            "status.alarm" => &mut self.status_alarm,
            "status.training" => &mut self.status_training,
            "status.peer" => &mut self.status_peer,
            "pane.title" => &mut self.pane_title,
            "pane.title.focused" => &mut self.pane_title_focused,
            "pane.border" => &mut self.pane_border,
            "queue.header" => &mut self.queue_header,
            "queue.row" => &mut self.queue_row,
            "queue.row.selected" => &mut self.queue_row_selected,
            "queue.priority.1" => &mut self.queue_priority[0],
            "queue.priority.2" => &mut self.queue_priority[1],
            "queue.priority.3" => &mut self.queue_priority[2],
            "queue.priority.4" => &mut self.queue_priority[3],
            "queue.age" => &mut self.queue_age,
            "queue.age.alarm" => &mut self.queue_age_alarm,
            "queue.status" => &mut self.queue_status,
            "details.label" => &mut self.details_label,
            "details.value" => &mut self.details_value,
            "details.note" => &mut self.details_note,
            "details.chronology" => &mut self.details_chronology,
            "details.alert" => &mut self.details_alert,
            "roster.group" => &mut self.roster_group,
            "roster.row" => &mut self.roster_row,
            "roster.row.selected" => &mut self.roster_row_selected,
            "roster.status.avl" => &mut self.roster_status[0],
            "roster.status.dsp" => &mut self.roster_status[1],
            "roster.status.enr" => &mut self.roster_status[2],
            "roster.status.ons" => &mut self.roster_status[3],
            "roster.status.trn" => &mut self.roster_status[4],
            "roster.status.atf" => &mut self.roster_status[5],
            "roster.status.oos" => &mut self.roster_status[6],
            "roster.timer" => &mut self.roster_timer,
            "roster.timer.overdue" => &mut self.roster_timer_overdue,
            "cmdline.prompt" => &mut self.cmdline_prompt,
            "cmdline.text" => &mut self.cmdline_text,
            "cmdline.refusal" => &mut self.cmdline_refusal,
            "cmdline.done" => &mut self.cmdline_done,
            "cmdline.hint" => &mut self.cmdline_hint,
            "cmdline.completion" => &mut self.cmdline_completion,
            "cmdline.completion.selected" => &mut self.cmdline_completion_selected,
            "form.label" => &mut self.form_label,
            "form.field" => &mut self.form_field,
            "form.field.focused" => &mut self.form_field_focused,
            "help.title" => &mut self.help_title,
            "help.key" => &mut self.help_key,
            "help.desc" => &mut self.help_desc,
            "notice" => &mut self.notice,
            _ => return None,
        })
    }
}

/// The themes `--theme` can name, for `switchboard theme list`: the shipped ones in their order,
/// then the user's `<config_dir>/themes/*.toml` by name. A user theme with a shipped name replaces
/// the shipped entry, as it does in [`Theme::load`].
pub fn list(config_dir: Option<&Path>) -> Vec<(String, &'static str)> {
    let mut user = crate::config::user_toml_names(config_dir, "themes");
    user.retain(|name| check_name(name).is_ok());
    let mut all: Vec<(String, &'static str)> = SHIPPED_NAMES
        .iter()
        .map(|&name| {
            let source = if user.iter().any(|u| u == name) {
                "user"
            } else {
                "shipped"
            };
            (name.to_owned(), source)
        })
        .collect();
    all.extend(
        user.into_iter()
            .filter(|u| !SHIPPED_NAMES.contains(&u.as_str()))
            .map(|u| (u, "user")),
    );
    all
}

/// A theme problem, shown as one line: what, where (`file:line` when known), and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeError {
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub help: Option<String>,
}

impl ThemeError {
    fn unknown_theme(name: &str, known: &[(String, &'static str)]) -> ThemeError {
        let user: Vec<&str> = known
            .iter()
            .filter(|(_, src)| *src == "user")
            .map(|(n, _)| n.as_str())
            .collect();
        let mut help = format!("shipped: {}", SHIPPED_NAMES.join(", "));
        if !user.is_empty() {
            help = format!("{help}; user: {}", user.join(", "));
        }
        ThemeError {
            message: format!("unknown theme '{name}'"),
            file: None,
            line: None,
            help: Some(help),
        }
    }
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(file) = &self.file {
            write!(f, " at {file}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
        }
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ThemeError {}

/// A problem found in a value, before its file and line are attached.
struct Problem {
    message: String,
    help: Option<String>,
}

fn check_name(name: &str) -> Result<(), ThemeError> {
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
fn fallbacks(scope: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(scope), |s| {
        s.rsplit_once('.').map(|(parent, _)| parent)
    })
}

/// What a `[scopes]` key may be: a scope, or a dotted prefix of one that its children fall back to.
fn scope_keys() -> Vec<&'static str> {
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

fn parse_colour(text: &str, palette: &BTreeMap<String, Color>) -> Result<Color, Problem> {
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

fn parse_modifier(text: &str) -> Result<Modifier, Problem> {
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
struct RawTheme {
    inherits: Option<Spanned<String>>,
    #[serde(default)]
    palette: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    scopes: BTreeMap<Spanned<String>, Spanned<RawStyle>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleTable {
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    #[serde(default)]
    modifiers: Vec<Spanned<String>>,
}

/// `"cyan"` (the foreground alone) or `{ fg, bg, modifiers }`.
enum RawStyle {
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

/// Where a theme file comes from; also its identity for cycle detection.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
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

/// Rewrites a toml/serde message into this module's words: "unknown key 'x'; did you mean 'y'?".
fn toml_problem(message: &str) -> Problem {
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

/// One file's contribution merged over its ancestors'.
#[derive(Default)]
struct Layer {
    palette: BTreeMap<String, Color>,
    scopes: BTreeMap<String, Style>,
}

struct Loader {
    /// `<config_dir>/themes`, where user themes live.
    themes_dir: Option<PathBuf>,
    /// The files being loaded, child first, with the name each was asked for by.
    chain: Vec<(Origin, String)>,
}

impl Loader {
    fn new(themes_dir: Option<PathBuf>) -> Loader {
        Loader {
            themes_dir,
            chain: Vec::new(),
        }
    }

    fn locate(&self, name: &str, user_first: bool) -> Option<Origin> {
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

    fn layer(&mut self, origin: Origin, name: &str) -> Result<Layer, ThemeError> {
        let source = Source::read(&origin)?;
        let raw = source.parse()?;
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
                    return Err(source.error(
                        at,
                        Problem {
                            message: format!("theme inheritance cycle {}", names.join(" -> ")),
                            help: None,
                        },
                    ));
                }
                let Some(found) = located else {
                    let shipped = SHIPPED_NAMES.iter().copied();
                    return Err(source.error(
                        at,
                        Problem {
                            message: format!("unknown theme '{parent_name}' in inherits"),
                            help: did_you_mean(nearest(parent_name, shipped))
                                .or_else(|| Some(format!("shipped: {}", SHIPPED_NAMES.join(", ")))),
                        },
                    ));
                };
                self.layer(found, parent_name)?
            }
        };
        self.chain.pop();
        layer.add(&raw, &source)?;
        Ok(layer)
    }
}

impl Layer {
    fn add(&mut self, raw: &RawTheme, source: &Source) -> Result<(), ThemeError> {
        // Maps iterate by name; report the first problem in file order instead.
        let mut palette: Vec<_> = raw.palette.iter().collect();
        palette.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in palette {
            let name = key.get_ref();
            if name == "reset" || NAMED.iter().any(|(n, _)| n == name) {
                return Err(source.error(
                    Some(key.span().start),
                    Problem {
                        message: format!("palette name '{name}' shadows a named colour"),
                        help: Some("pick another name".to_owned()),
                    },
                ));
            }
            let color = parse_colour(value.get_ref(), &BTreeMap::new())
                .map_err(|p| source.error(Some(value.span().start), p))?;
            self.palette.insert(name.clone(), color);
        }

        let keys = scope_keys();
        let mut scopes: Vec<_> = raw.scopes.iter().collect();
        scopes.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in scopes {
            let scope = key.get_ref().as_str();
            if keys.binary_search(&scope).is_err() {
                return Err(source.error(Some(key.span().start), unknown_scope(scope, &keys)));
            }
            let style = self.style(value, source)?;
            self.scopes.insert(scope.to_owned(), style);
        }
        Ok(())
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

fn unknown_scope(scope: &str, keys: &[&str]) -> Problem {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_has_its_own_slot() {
        let mut theme = Theme::default();
        for (i, scope) in SCOPES.iter().enumerate() {
            let slot = theme
                .slot(scope)
                .unwrap_or_else(|| panic!("no field for {scope}"));
            *slot = Style::new().fg(Color::Indexed(i as u8));
        }
        for (i, scope) in SCOPES.iter().enumerate() {
            assert_eq!(
                theme.slot(scope).map(|s| s.fg),
                Some(Some(Color::Indexed(i as u8)))
            );
        }
    }

    #[test]
    fn xterm_cube_and_greys() {
        assert_eq!(xterm_rgb(196), (255, 0, 0));
        assert_eq!(xterm_rgb(16), (0, 0, 0));
        assert_eq!(xterm_rgb(231), (255, 255, 255));
        assert_eq!(xterm_rgb(232), (8, 8, 8));
        assert_eq!(xterm_rgb(255), (238, 238, 238));
        for i in 16..=255 {
            assert_eq!(nearest_256(xterm_rgb(i)), i, "index {i} round-trips");
        }
    }
}
