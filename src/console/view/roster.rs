//! The responder roster: units grouped by status, with time in status and current call.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::domain::safety::Check;

use super::{age, pane, trim};

pub struct RosterView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> RosterView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        RosterView { app, now_ms }
    }
}

impl Widget for RosterView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let roster = app.roster();
        let free = roster
            .iter()
            .filter(|u| {
                !u.status.is_committed()
                    && u.call.is_none()
                    && u.status != crate::domain::UnitStatus::OutOfService
            })
            .count();
        let block = pane(
            format!(" Roster {free}/{} free ", roster.len()),
            false,
            theme,
            ascii,
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        let selected = app.selected_unit().map(|u| u.callsign.clone());
        let mut lines: Vec<Line> = Vec::new();
        if roster.is_empty() {
            // Two short lines, so a half-width pane at 80 columns shows the command whole.
            lines.push(Line::styled("No units yet; add one with", theme.notice));
            lines.push(Line::styled(
                "unit add <callsign> <capabilities>",
                theme.notice,
            ));
        }
        let mut group = None;
        // Columns fit the room: callsigns and call ids are never cut; the time in status goes
        // first when the pane is narrow (64×16), then the capabilities; a long out-of-service
        // reason is cut, and shown whole on the next row while its unit is selected.
        let cs_width = roster
            .iter()
            .map(|u| u.callsign.as_str().chars().count())
            .max()
            .unwrap_or(6)
            .max(6)
            + 1;
        let detail_of = |unit: &crate::domain::Unit| -> (String, bool) {
            match &unit.call {
                Some(call) => (call.to_string(), true),
                None => (unit.detail.clone().unwrap_or_default(), false),
            }
        };
        let id_width = roster
            .iter()
            .filter(|u| u.call.is_some())
            .map(|u| detail_of(u).0.chars().count())
            .max()
            .unwrap_or(9)
            .max(9);
        let longest_detail = roster
            .iter()
            .map(|u| detail_of(u).0.chars().count())
            .max()
            .unwrap_or(0);
        let show_time = width >= 1 + cs_width + 5 + 6 + id_width;
        let base = 1 + cs_width + 5 + if show_time { 6 } else { 0 };
        // The detail column: every call id whole, a reason as long as the capabilities allow.
        let tail_room = 12;
        let detail_width = longest_detail
            .min(width.saturating_sub(base + tail_room))
            .max(id_width.min(width.saturating_sub(base)));
        let mut selected_row = None;
        let mut selected_last = None;
        for unit in &roster {
            if group != Some(unit.status) {
                group = Some(unit.status);
                // Over the callsigns, a column in from the pane's edge: the details pane's text
                // may run to its last column, and `people` + `ONS on scene` read as one word.
                lines.push(Line::styled(
                    format!(" {} {}", unit.status.word(), unit.status.doc()),
                    theme.roster_group,
                ));
            }
            let is_selected = selected.as_ref() == Some(&unit.callsign);
            let row = if is_selected {
                theme.roster_row_selected
            } else {
                theme.roster_row
            };
            let caps: Vec<&str> = unit.capabilities.iter().map(|c| c.short()).collect();
            let (detail, _) = detail_of(unit);
            let what = format!("{} {}", caps.join("+"), unit.zone.as_deref().unwrap_or(""))
                .trim_end()
                .to_owned();
            // On scene, the safety timer matters more than what the unit can do; with room,
            // both show.
            let timer = match app.check_in(unit, self.now_ms) {
                Some(Check::Due(due)) => Some((
                    format!("chk {}", age(due - self.now_ms)),
                    theme.roster_timer,
                )),
                Some(Check::Overdue(due)) => Some((
                    format!("LATE {}", age(self.now_ms - due)),
                    theme.roster_timer_overdue,
                )),
                Some(Check::Escalated(due)) => Some((
                    format!("ESCALATE {}", age(self.now_ms - due)),
                    theme.roster_timer_overdue,
                )),
                // Past its status timer (dispatched, en route, at a facility): how long past;
                // out of service with an expected return, the time to it, then past it.
                None => app.status_timer(unit).and_then(|t| {
                    let oos = t.status == crate::domain::UnitStatus::OutOfService;
                    if !oos && !t.is_over(self.now_ms) {
                        return None;
                    }
                    Some(if t.is_over(self.now_ms) {
                        (
                            format!(
                                "{} {}",
                                if oos { "LATE" } else { "LONG" },
                                age(self.now_ms - t.due_ms)
                            ),
                            theme.roster_timer_overdue,
                        )
                    } else {
                        (
                            format!("back {}", age(t.due_ms - self.now_ms)),
                            theme.roster_timer,
                        )
                    })
                }),
            };
            let used = base + detail_width + 1;
            let room = width.saturating_sub(used);
            let mut tail: Vec<Span> = Vec::new();
            // What the unit can do and its zone, whole on the row or cut with a mark (and
            // then whole under the unit while it is selected).
            let mut what_cut = !what.is_empty();
            // Under four columns a tail would be only its ellipsis: leave it out.
            match timer.filter(|_| room >= 4) {
                Some((t, style)) => {
                    let after = room.saturating_sub(t.chars().count());
                    tail.push(Span::styled(trim(&t, room, ascii), style));
                    let whole = format!("  {what}");
                    if what.is_empty() {
                    } else if whole.chars().count() <= after {
                        what_cut = false;
                        tail.push(Span::styled(whole, row));
                    } else if after >= 8 {
                        tail.push(Span::styled(trim(&whole, after, ascii), row));
                    } else if after >= 2 {
                        // Too little room for a word of it: only the mark that there is more.
                        let mark = if ascii { " ~" } else { " …" };
                        tail.push(Span::styled(mark, row));
                    }
                }
                None if room >= 4 => {
                    let shown = trim(&what, room, ascii);
                    what_cut = shown != what;
                    tail.push(Span::styled(shown, row));
                }
                None => {}
            }
            let mut spans = vec![
                Span::styled(
                    if is_selected { ">" } else { " " },
                    theme.roster_row_selected,
                ),
                Span::styled(format!("{:<cs_width$}", unit.callsign.as_str()), row),
                Span::styled(
                    format!("{:<5}", unit.status.word()),
                    theme.unit_status(unit.status),
                ),
            ];
            if show_time {
                spans.push(Span::styled(
                    format!("{:>5} ", age(self.now_ms - app.state().status_since(unit))),
                    theme.roster_timer,
                ));
            }
            let cut = detail.chars().count() > detail_width;
            spans.push(Span::styled(
                format!("{:<detail_width$} ", trim(&detail, detail_width, ascii)),
                row,
            ));
            spans.extend(tail);
            if is_selected {
                selected_row = Some(lines.len());
            }
            lines.push(Line::from(spans));
            if cut && is_selected {
                // The reason in full, under its unit, while it is selected.
                for part in super::wrap(&detail, width.saturating_sub(3)) {
                    lines.push(Line::styled(format!("   {part}"), row));
                }
            }
            if what_cut && is_selected {
                // And what it can do and where it works, in words.
                let caps: Vec<&str> = unit.capabilities.iter().map(|c| c.word()).collect();
                let mut text = caps.join(", ");
                if let Some(zone) = &unit.zone {
                    text = format!("{text}; zone {zone}");
                }
                for part in super::wrap(&text, width.saturating_sub(3)) {
                    lines.push(Line::styled(format!("   {part}"), row));
                }
            }
            if is_selected {
                selected_last = Some(lines.len() - 1);
            }
        }
        // Keep the selected unit in view, and say what is out of view above and below.
        let rows = inner.height as usize;
        let total = lines.len();
        let at = selected_row.unwrap_or(0);
        let fit = |top: usize| -> (bool, bool, usize) {
            if rows < 3 {
                return (false, false, rows);
            }
            let up = top > 0;
            let mut avail = rows - usize::from(up);
            let down = top + avail < total;
            if down {
                avail -= 1;
            }
            (up, down, avail)
        };
        // The rows under the selected unit (its whole reason, capabilities and zone) come into
        // view with it, as far as the room allows.
        let last = selected_last.unwrap_or(at);
        let mut top = 0;
        while fit(top).2 > 0 && last >= top + fit(top).2 && top < at {
            top += 1;
        }
        while fit(top).2 > 0 && at >= top + fit(top).2 && top < total {
            top += 1;
        }
        let (up, down, avail) = fit(top);
        let mut shown: Vec<Line> = Vec::new();
        if up {
            shown.push(Line::styled(
                format!(" {} {top} more above", if ascii { "^" } else { "↑" }),
                theme.roster_group,
            ));
        }
        shown.extend(lines.into_iter().skip(top).take(avail));
        if down {
            shown.push(Line::styled(
                format!(
                    " {} {} more below",
                    if ascii { "v" } else { "↓" },
                    total - top - avail
                ),
                theme.roster_group,
            ));
        }
        Paragraph::new(shown).render(inner, buf);
    }
}
