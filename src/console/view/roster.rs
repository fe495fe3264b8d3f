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
            lines.push(Line::styled(
                "No units. unit add <callsign> <capabilities>",
                theme.notice,
            ));
        }
        let mut group = None;
        for unit in &roster {
            if group != Some(unit.status) {
                group = Some(unit.status);
                lines.push(Line::styled(
                    format!("{} {}", unit.status.word(), unit.status.doc()),
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
            let call = unit
                .call
                .as_ref()
                .map_or(String::new(), ToString::to_string);
            let detail = if call.is_empty() {
                unit.detail.clone().unwrap_or_default()
            } else {
                call
            };
            // On scene, the safety timer matters more than what the unit can do.
            let (tail, tail_style) = match app.check_in(unit, self.now_ms) {
                Some(Check::Due(due)) => (
                    format!("chk {}", age(due - self.now_ms)),
                    theme.roster_timer,
                ),
                Some(Check::Overdue(due)) => (
                    format!("LATE {}", age(self.now_ms - due)),
                    theme.roster_timer_overdue,
                ),
                Some(Check::Escalated(due)) => (
                    format!("ESCALATE {}", age(self.now_ms - due)),
                    theme.roster_timer_overdue,
                ),
                None => (
                    format!("{} {}", caps.join("+"), unit.zone.as_deref().unwrap_or("")),
                    row,
                ),
            };
            let fixed = 1 + 9 + 4 + 6 + 11;
            lines.push(Line::from(vec![
                Span::styled(
                    if is_selected { ">" } else { " " },
                    theme.roster_row_selected,
                ),
                Span::styled(
                    format!("{:<9}", trim(unit.callsign.as_str(), 8, ascii)),
                    row,
                ),
                Span::styled(
                    format!("{:<4}", unit.status.word()),
                    theme.unit_status(unit.status),
                ),
                Span::styled(
                    format!("{:>5} ", age(self.now_ms - unit.status_ms)),
                    theme.roster_timer,
                ),
                Span::styled(format!("{:<11}", trim(&detail, 10, ascii)), row),
                Span::styled(trim(&tail, width.saturating_sub(fixed), ascii), tail_style),
            ]));
        }
        // Keep the selected unit in view.
        let rows = inner.height as usize;
        let at = lines
            .iter()
            .position(|l| l.spans.first().is_some_and(|s| s.content == ">"))
            .unwrap_or(0);
        let skip = (at + 1).saturating_sub(rows);
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).render(inner, buf);
    }
}
