//! Panes. Each is a small struct built per frame that borrows the app and implements `Widget`.

pub mod cmdline;
pub mod dashboard;
pub mod details;
pub mod form;
pub mod help;
pub mod map;
pub mod messages;
pub mod queue;
pub mod roster;
pub mod score;
pub mod screen;
pub mod status;

use ratatui::symbols::border;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

use super::app::App;
use super::theme::Theme;

pub use super::text::wrap;

/// `m:ss` under ten minutes, then `12m`, then `3h05`: seconds only where a person needs them,
/// which also keeps the 1 s tick from rewriting cells over SSH.
pub fn age(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    if s < 600 {
        format!("{}:{:02}", s / 60, s % 60)
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 100 * 3600 {
        format!("{}h{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d", s / 86400)
    }
}

/// Hours and minutes of a wall-clock time, in the operator's zone (UTC in tests, so snapshots
/// do not depend on where they run).
pub fn hhmm(app: &App, ms: i64) -> String {
    super::text::hhmm(app.options.utc, ms)
}

/// The key that runs `run` in the mode the console is in, as help writes it: what a pane that
/// leaves something out names, so the dispatcher knows how to see it whole.
pub fn key_for(app: &App, run: &str) -> Option<String> {
    app.keymap
        .bindings(app.ui.base_mode)
        .iter()
        .find(|b| b.run.trim() == run)
        .map(super::keymap::Binding::keys)
}

/// Cuts `text` to `width` columns, marking the cut.
/// The spans that fit in `width` columns, the first that does not cut with a mark ([`trim`]),
/// the rest dropped: a line is never cut silently.
pub fn fit_spans(spans: Vec<Span<'_>>, width: usize, ascii: bool) -> Vec<Span<'_>> {
    let mut used = 0;
    let mut fitted = Vec::new();
    for span in spans {
        let n = span.content.chars().count();
        if used + n <= width {
            used += n;
            fitted.push(span);
            continue;
        }
        let shown = trim(span.content.trim_end(), width - used, ascii);
        fitted.push(Span::styled(shown, span.style));
        break;
    }
    fitted
}

pub fn trim(text: &str, width: usize, ascii: bool) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let keep: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{keep}{}", if ascii { "~" } else { "…" })
}

/// Breaks a styled line into rows of at most `width` columns, at spaces where it can, keeping
/// each piece's style: a pane that wraps its own lines knows how many rows they take.
pub fn wrap_line(
    line: &ratatui::text::Line<'_>,
    width: usize,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::{Line, Span};
    let width = width.max(1);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let style = line.style.patch(span.style);
        for piece in span.content.split_inclusive(' ') {
            let mut piece: Vec<char> = piece.chars().collect();
            loop {
                let visible = piece.iter().rev().skip_while(|c| **c == ' ').count();
                if used + visible <= width {
                    let take = piece.len().min(width - used);
                    used += take;
                    row.push(Span::styled(
                        piece[..take].iter().collect::<String>(),
                        style,
                    ));
                    break;
                }
                if used > 0 {
                    rows.push(Line::from(std::mem::take(&mut row)));
                    used = 0;
                    continue;
                }
                let rest = piece.split_off(width);
                row.push(Span::styled(piece.iter().collect::<String>(), style));
                rows.push(Line::from(std::mem::take(&mut row)));
                piece = rest;
            }
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}

const ASCII_BORDER: border::Set = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

/// A pane: a title on a rule, no side borders (they cost columns at 80×24).
pub fn pane<'a>(title: String, focused: bool, theme: &Theme, ascii: bool) -> Block<'a> {
    let style = if focused {
        theme.pane_title_focused
    } else {
        theme.pane_title
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme.pane_border)
        .title(ratatui::text::Span::styled(title, style));
    if ascii {
        block.border_set(ASCII_BORDER)
    } else {
        block
    }
}

/// A boxed overlay (form, help).
pub fn overlay<'a>(title: String, theme: &Theme, ascii: bool) -> Block<'a> {
    let block = Block::bordered()
        .border_style(theme.pane_border)
        .title(ratatui::text::Span::styled(title, theme.pane_title_focused));
    if ascii {
        block.border_set(ASCII_BORDER)
    } else {
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_show_seconds_only_early() {
        assert_eq!(age(65_000), "1:05");
        assert_eq!(age(12 * 60_000 + 5_000), "12m");
        assert_eq!(age(3 * 3_600_000 + 5 * 60_000), "3h05");
        assert_eq!(age(-5), "0:00");
    }

    #[test]
    fn wraps_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn styled_lines_wrap_at_spaces() {
        use ratatui::text::{Line, Span};
        let line = Line::from(vec![
            Span::raw("Nat  "),
            Span::raw("overdose, breathing, friend"),
        ]);
        let rows: Vec<String> = wrap_line(&line, 16)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(rows, ["Nat  overdose, ", "breathing, ", "friend"]);
    }

    #[test]
    fn trims_with_a_mark() {
        assert_eq!(trim("1400 Colfax Ave", 8, false), "1400 Co…");
        assert_eq!(trim("1400 Colfax Ave", 8, true), "1400 Co~");
        assert_eq!(trim("short", 8, true), "short");
    }
}
