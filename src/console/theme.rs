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
//!
//! The parts: `depth` is the terminal's colour depth and the downgrade to it, `parse` reads
//! colours, modifiers and styles, `load` follows `inherits` and lays each file over its parent.

mod depth;
mod load;
mod parse;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use ratatui::style::Style;

use crate::domain::{Priority, UnitStatus};

pub use depth::ColorDepth;
use load::{Loader, Origin};
use parse::{check_name, fallbacks};

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
    /// The first problem only; [`Theme::load_all`] names them all.
    pub fn load(
        name: &str,
        config_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Theme, ThemeError> {
        Theme::load_all(name, config_dir, depth).map_err(|mut all| all.remove(0))
    }

    /// As [`Theme::load`], with every problem of the file that broke, in file order (never
    /// empty on `Err`).
    pub fn load_all(
        name: &str,
        config_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Theme, Vec<ThemeError>> {
        check_name(name).map_err(|e| vec![e])?;
        let mut loader = Loader::new(config_dir.map(|dir| dir.join("themes")));
        let Some(origin) = loader.locate(name, true) else {
            return Err(vec![ThemeError::unknown_theme(name, &list(config_dir))]);
        };
        let layer = loader.layer(origin, name)?;
        Ok(Theme::resolve(name, &layer.scopes, depth))
    }

    /// Checks a theme file and everything it inherits; `inherits` looks beside the file first,
    /// as it would in `<config_dir>/themes/`. The first problem only; see
    /// [`Theme::check_file_all`].
    pub fn check_file(path: &Path) -> Result<(), ThemeError> {
        Theme::check_file_all(path).map_err(|mut all| all.remove(0))
    }

    /// As [`Theme::check_file`], with every problem, in file order.
    pub fn check_file_all(path: &Path) -> Result<(), Vec<ThemeError>> {
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
#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

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
}
