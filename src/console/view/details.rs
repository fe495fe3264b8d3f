//! Details of the selected call: caller, location, nature, units with their times, notes and the
//! call's chronology. The triage questions will take the top of this pane.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::console::theme::Theme;

use super::{hhmm, pane, trim};

mod call;
mod triage;

use call::{call_lines, caution_banner};
use triage::triage_lines;

pub struct DetailsView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> DetailsView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        DetailsView { app, now_ms }
    }
}

fn field<'a>(label: &'a str, value: String, theme: &Theme, style: Style) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<5}"), theme.details_label),
        Span::styled(value, style),
    ])
}

impl Widget for DetailsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let Some(call) = app.shown_call() else {
            let block = pane(" Call ".into(), false, theme, ascii);
            let inner = block.inner(area);
            block.render(area, buf);
            Paragraph::new(Line::styled("No call selected.", theme.notice)).render(inner, buf);
            return;
        };
        let kind = call
            .call_type
            .map_or_else(|| "no type".to_owned(), |t| format!("{t} ({})", t.apco()));
        let block = pane(
            format!(" {} P{} {kind} ", call.id, call.priority),
            false,
            theme,
            ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        if app.ui.triage.is_some() {
            // While triaging, the questions take the whole pane, each in full; the question in
            // focus stays in view.
            let focus = app.ui.triage.unwrap_or(0);
            // Cautions come before the first question.
            let mut rows: Vec<Line> = caution_banner(app, call)
                .iter()
                .flat_map(|l| super::wrap_line(l, width))
                .collect();
            let mut focus_end = 0;
            for (i, l) in triage_lines(app, call).into_iter().enumerate() {
                rows.extend(super::wrap_line(&l, width));
                // Line 0 is the response; questions follow.
                if i == focus + 1 {
                    focus_end = rows.len();
                }
            }
            let skip = focus_end.saturating_sub(inner.height as usize);
            Paragraph::new(rows.into_iter().skip(skip).collect::<Vec<_>>()).render(inner, buf);
            return;
        }
        let (lines, notes) = call_lines(app, call, self.now_ms, false);
        // The lines above take the rows they wrap to; the chronology fills what is left with
        // its newest entries, newest last, and says how many older ones are out of view.
        let mut rows: Vec<Line> = lines
            .into_iter()
            .flat_map(|l| super::wrap_line(&l, width))
            .collect();
        let height = inner.height as usize;
        let chronology = app.chronology();
        // The chronology keeps at least a heading and its newest entry's first rows.
        let reserve = if chronology.is_empty() { 0 } else { 3 };
        let note_rows: Vec<Vec<Line>> = notes
            .into_iter()
            .map(|l| super::wrap_line(&l, width))
            .collect();
        let mut note_room = height.saturating_sub(rows.len() + reserve);
        let mut kept: Vec<Vec<Line>> = Vec::new();
        for note in note_rows.into_iter().rev() {
            if note.len() > note_room {
                break;
            }
            note_room -= note.len();
            kept.push(note);
        }
        rows.extend(kept.into_iter().rev().flatten());
        let room = height.saturating_sub(rows.len());
        if room > 0 && !chronology.is_empty() {
            let mut newest: Vec<Vec<Line>> = Vec::new();
            let mut used = 0;
            for e in chronology.iter().rev() {
                let (text, style) = entry_text(app, e);
                let entry = super::wrap_line(&Line::styled(text, style), width);
                // One row goes to the heading while older entries stay hidden.
                let heading = usize::from(newest.len() + 1 < chronology.len());
                if used + entry.len() + heading > room {
                    if newest.is_empty() {
                        // Not even the newest fits whole: its first rows, cut visibly.
                        let keep = room.saturating_sub(heading).max(1);
                        let cut = entry.len() > keep;
                        let mut entry = entry;
                        entry.truncate(keep);
                        if let Some(last) = entry.last_mut().filter(|_| cut) {
                            let shown = trim(&format!("{last}…"), width, ascii);
                            *last = Line::styled(shown, style);
                        }
                        used += entry.len();
                        newest.push(entry);
                    }
                    break;
                }
                used += entry.len();
                newest.push(entry);
            }
            let hidden = chronology.len() - newest.len();
            if hidden > 0 && used < room {
                rows.push(Line::styled(
                    trim(
                        &format!("Chronology: {hidden} older{}", shows_all(app)),
                        width,
                        ascii,
                    ),
                    theme.details_label,
                ));
            } else if hidden == 0 && used < room {
                rows.push(Line::styled("Chronology", theme.details_label));
            }
            rows.extend(newest.into_iter().rev().flatten());
        } else if !chronology.is_empty() {
            // No room left for any of it: a row says so, and the one below counts it as more.
            rows.push(Line::styled(
                trim(
                    &format!(
                        "Chronology: {} not shown{}",
                        chronology.len(),
                        shows_all(app)
                    ),
                    width,
                    ascii,
                ),
                theme.details_label,
            ));
        }
        if rows.len() > height && height > 1 {
            // Never cut silently: the last row says how much more there is.
            let more = rows.len() - height + 1;
            rows.truncate(height - 1);
            rows.push(Line::styled(
                trim(
                    &format!(
                        "{} {more} more rows below{}",
                        if ascii { "v" } else { "↓" },
                        shows_all(app)
                    ),
                    width,
                    ascii,
                ),
                theme.details_label,
            ));
        }
        Paragraph::new(rows).render(inner, buf);
    }
}

/// What to press to see the whole call, for a pane that had to leave some of it out.
fn shows_all(app: &App) -> String {
    super::key_for(app, "details").map_or_else(
        || ", `details` shows all".to_owned(),
        |k| format!(", {k} shows all"),
    )
}

/// The selected call whole, over the panes (`details`): every line the pane has, every note and
/// the whole chronology, oldest first, at the full width; Up/Down and PageUp/PageDown scroll it.
pub struct WholeCallView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> WholeCallView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        WholeCallView { app, now_ms }
    }
}

impl Widget for WholeCallView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        ratatui::widgets::Clear.render(area, buf);
        let Some(call) = app.shown_call() else {
            let block = super::overlay(" Call — Esc closes ".into(), theme, ascii);
            let inner = block.inner(area);
            block.render(area, buf);
            Paragraph::new(Line::styled("No call selected.", theme.notice)).render(inner, buf);
            return;
        };
        let kind = call
            .call_type
            .map_or_else(|| "no type".to_owned(), |t| format!("{t} ({})", t.apco()));
        let block = super::overlay(
            format!(
                " {} P{} {kind}, whole — Up/Down scroll, Esc closes ",
                call.id, call.priority
            ),
            theme,
            ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        // Plain notes are in the chronology, each as `note: …`; cautions stay on top.
        let (lines, _) = call_lines(app, call, self.now_ms, true);
        let mut rows: Vec<Line> = lines
            .iter()
            .flat_map(|l| super::wrap_line(l, width))
            .collect();
        let chronology = app.chronology();
        if !chronology.is_empty() {
            rows.push(Line::styled(
                format!("Chronology, {} entries, oldest first", chronology.len()),
                theme.details_label,
            ));
        }
        for e in chronology {
            let (text, style) = entry_text(app, e);
            rows.extend(super::wrap_line(&Line::styled(text, style), width));
        }
        let height = inner.height as usize;
        let total = rows.len();
        // Scrolled as far as the last row at the bottom, under a row saying what is above.
        let max = if total > height {
            total + 1 - height
        } else {
            0
        };
        app.ui
            .details_max
            .set(u16::try_from(max).unwrap_or(u16::MAX));
        let top = usize::from(app.ui.details_scroll).min(max);
        let mut shown: Vec<Line> = Vec::new();
        let mut avail = height;
        if top > 0 && height > 2 {
            shown.push(Line::styled(
                format!(" {} {top} more rows above", if ascii { "^" } else { "↑" }),
                theme.details_label,
            ));
            avail -= 1;
        }
        let below = total.saturating_sub(top + avail);
        if below > 0 && avail > 1 {
            avail -= 1;
        }
        shown.extend(rows.into_iter().skip(top).take(avail));
        let below = total.saturating_sub(top + avail);
        if below > 0 {
            shown.push(Line::styled(
                format!(" {} {below} more rows below", if ascii { "v" } else { "↓" }),
                theme.details_label,
            ));
        }
        Paragraph::new(shown).render(inner, buf);
    }
}

/// One chronology entry as the pane shows it: what did not stand (a concurrent edit or dispatch
/// lost) stays, marked; an event stamped by a clock that was off says so, and from when it counts.
fn entry_text(app: &App, e: &crate::domain::Event) -> (String, Style) {
    let theme = &app.theme;
    let lost = app.state().lost(e.origin, e.seq).is_some();
    let skewed = app
        .state()
        .known()
        .get(e.origin, e.seq)
        .map_or_else(String::new, |k| {
            let mark = crate::domain::known::mark(e.origin, k, |ms| hhmm(app, ms));
            format!(" ({mark})")
        });
    let text = format!(
        "{}{} {} {}{skewed}",
        if lost { "✗ " } else { "" },
        hhmm(app, e.wall_ms),
        e.author(),
        e.body.describe()
    );
    let style = if lost {
        theme.details_alert
    } else {
        theme.details_chronology
    };
    (text, style)
}
