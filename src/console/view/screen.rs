//! The whole screen: layout of the panes, overlays, and the "too small" notice.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};
use ratatui::Frame;

use crate::console::app::{App, IntakeForm};
use crate::console::keymap::Mode;

use super::cmdline::{CommandLine, MessageLine};
use super::dashboard::DashboardView;
use super::details::DetailsView;
use super::form::FormView;
use super::help::HelpView;
use super::queue::QueueView;
use super::roster::RosterView;
use super::score::ScoreView;
use super::status::StatusBar;

/// Below this the panes cannot show a call's id, priority and location on one row.
pub const MIN_WIDTH: u16 = 64;
pub const MIN_HEIGHT: u16 = 16;

/// Draws one frame. Call `App::refresh_chronology` first.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    if let Some(at) = render(app, area, frame.buffer_mut()) {
        frame.set_cursor_position(at);
    }
}

/// Renders the screen into `buf`; returns where the cursor goes. The run loop also renders
/// off-screen on each tick and skips the terminal when nothing changed.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let cursor = render_panes(app, area, buf);
    if app.options.ascii {
        // A terminal without UTF-8 cannot show what a caller's name or a note may hold either.
        for cell in &mut buf.content {
            if !cell.symbol().is_ascii() {
                let plain = match cell.symbol() {
                    "…" => "~",
                    "—" | "─" | "–" | "▃" | "▂" => "-",
                    "│" => "|",
                    "✓" => "+",
                    "✗" | "×" => "x",
                    "·" | "▁" => ".",
                    "→" => ">",
                    "↑" => "^",
                    "↓" => "v",
                    "█" | "▇" | "▆" => "#",
                    "▅" | "▄" => "=",
                    // Text people typed (a name, a note) may hold anything.
                    _ => "?",
                };
                cell.set_symbol(plain);
            }
        }
    }
    cursor
}

fn render_panes(app: &App, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}x{}. Switchboard needs at least {MIN_WIDTH}x{MIN_HEIGHT}; \
             enlarge the window (nothing is lost).",
            area.width, area.height
        );
        Paragraph::new(Line::styled(text, app.theme.notice))
            .wrap(Wrap { trim: true })
            .render(area, buf);
        return None;
    }
    let now = app.now_ms();
    // An open conflict takes rows of its own until someone acknowledges it: what to type
    // first, then what happened, wrapped rather than cut.
    let banner_text = app.state().open_alerts().next().map(|alert| {
        let more = app.state().open_alerts().count() - 1;
        let more = if more > 0 {
            format!(" (+{more} more)")
        } else {
            String::new()
        };
        format!(
            "CONFLICT {}{more} — ack {} when sorted out: {}",
            alert.id(),
            alert.id(),
            alert.text
        )
    });
    let width = area.width.saturating_sub(2) as usize;
    let mut banner_rows = banner_text
        .as_deref()
        .map(|t| super::wrap(t, width))
        .unwrap_or_default();
    // As many rows as it takes while the panes keep their least; past that (a conflict longer
    // than ~1,000 characters at 80×24) its last row is cut with a mark.
    let most = usize::from(area.height.saturating_sub(1 + 8 + 2)).max(3);
    if banner_rows.len() > most {
        let rest = banner_rows[most - 1..].join(" ");
        banner_rows.truncate(most - 1);
        banner_rows.push(super::trim(&rest, width, app.options.ascii));
    }
    let [status, banner, main, message, command] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_rows.len() as u16),
        Constraint::Min(8),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if !banner_rows.is_empty() {
        let lines: Vec<Line> = banner_rows
            .into_iter()
            .map(|r| Line::styled(format!(" {r} "), app.theme.status_alarm))
            .collect();
        Paragraph::new(lines)
            .style(app.theme.status_alarm)
            .render(banner, buf);
    }
    // The queue gets about 40% of the rows, the details and roster the rest.
    let queue_rows = (main.height * 2 / 5).max(5);
    let [queue, lower] =
        Layout::vertical([Constraint::Length(queue_rows), Constraint::Min(4)]).areas(main);
    let details_width = (lower.width / 2).max(40);
    let [details, roster] =
        Layout::horizontal([Constraint::Length(details_width), Constraint::Min(20)]).areas(lower);

    StatusBar::new(app, now).render(status, buf);
    QueueView::new(app, now).render(queue, buf);
    DetailsView::new(app, now).render(details, buf);
    RosterView::new(app, now).render(roster, buf);
    MessageLine::new(app).render(message, buf);
    let line = CommandLine::new(app);
    let cursor = line.cursor(command);
    line.render(command, buf);
    if let Some(summary) = app.dashboard() {
        DashboardView::new(app, &summary).render(main, buf);
    }
    if app.ui.map.open {
        super::map::MapView::new(app, now).render(main, buf);
    }
    if app.ui.details_open {
        super::details::WholeCallView::new(app, now).render(main, buf);
    }
    if app.ui.messages_open {
        super::messages::MessagesView::new(app).render(main, buf);
    }
    if let Some(score) = app.score_shown() {
        ScoreView::new(app, score).render(main, buf);
    }
    match app.ui.mode {
        Mode::Form => {
            // The fields, a blank line, the keys, and the border.
            let area = centered(main, 64, IntakeForm::LABELS.len() as u16 + 4);
            let form = FormView::new(app);
            let at = form.cursor(area);
            form.render(area, buf);
            Some(at)
        }
        Mode::Help => {
            HelpView::new(app).render(centered(main, main.width, main.height), buf);
            None
        }
        _ => cursor,
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
