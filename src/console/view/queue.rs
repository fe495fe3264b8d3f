//! The call queue: open calls, most urgent first, then oldest.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::domain::{Call, CallStatus};

use super::{age, pane, trim};

pub struct QueueView<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> QueueView<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        QueueView { app, now_ms }
    }
}

fn status_word(c: &Call) -> &'static str {
    match c.status {
        _ if c.awaits_disposition() => "CLRD",
        CallStatus::Pending if c.hold.is_some() => "HOLD",
        // Handed to another agency: asked (not yet confirmed), or theirs (confirmed).
        CallStatus::Pending if c.backup_for.is_some() && c.confirmed.is_none() => "ASKD",
        CallStatus::Pending if c.backup_for.is_some() => "CONF",
        CallStatus::Pending => "PEND",
        CallStatus::Dispatched => "DISP",
        CallStatus::OnScene => "ONSC",
        CallStatus::Closed => "CLSD",
    }
}

impl Widget for QueueView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let queue = app.state().queue();
        let pending = queue.iter().filter(|c| c.waits_here()).count();
        // The block's title is drawn once the rows are chosen: it says what is out of view.
        let inner = pane(String::new(), true, theme, ascii).inner(area);
        // Ids grow past 9,999 calls a node (`26-RZ10676`): the column grows with them.
        let id_width = queue
            .iter()
            .map(|c| c.id.as_str().chars().count())
            .max()
            .unwrap_or(9)
            .max(9);
        let width = inner.width as usize;
        let mut lines = Vec::new();
        if let (true, Some(training)) = (app.state().calls.is_empty(), &app.training) {
            let first = training.sim.scenario().calls.iter().map(|c| c.at_ms).min();
            let text = first.map_or_else(
                || "No calls in this scenario.".to_owned(),
                |at| {
                    format!(
                        "No calls yet: the scenario's first call rings at {}.",
                        crate::sim::scenario::show_time(at)
                    )
                },
            );
            lines.push(Line::styled(
                trim(&text, width, app.options.ascii),
                theme.notice,
            ));
        } else if app.state().calls.is_empty() {
            lines.push(Line::styled(
                "No calls yet. Add a unit: unit add STAR-1 clinician,medic  Take a call: F2 or",
                theme.notice,
            ));
            lines.push(Line::styled(
                "call <location> / <nature>.  `switchboard demo` opens a filled demo store.",
                theme.notice,
            ));
        } else if queue.is_empty() {
            lines.push(Line::styled("No open calls.", theme.notice));
        } else {
            lines.push(Line::styled(
                trim(
                    &format!(
                        " {:<w$}P TYPE        STAT   AGE UNITS        LOCATION",
                        "ID",
                        w = id_width + 1
                    ),
                    width,
                    ascii,
                ),
                theme.queue_header,
            ));
        }
        let rows = (inner.height as usize).saturating_sub(lines.len());
        let selected = app.selected_call().map(|c| c.id.clone());
        app.ui.queue_rows.set(rows);
        let (shown, above, below) = choose_rows(&queue, selected.as_ref(), rows);
        let mut title = format!(" Queue {} open, {pending} pending ", queue.len());
        if above + below > 0 {
            title = format!("{}, {above} above, {below} below ", title.trim_end());
        }
        let block = pane(title, true, theme, ascii);
        block.render(area, buf);
        if inner.height == 0 {
            return;
        }
        for call in shown {
            let Some(call) = call else {
                lines.push(Line::styled(
                    format!(
                        "  {} {above} more above {}",
                        if ascii { "^" } else { "↑" },
                        if ascii { "^" } else { "↑" }
                    ),
                    theme.queue_header,
                ));
                continue;
            };
            let is_selected = selected.as_ref() == Some(&call.id);
            let row_style = if is_selected {
                theme.queue_row_selected
            } else {
                theme.queue_row
            };
            let overdue = app.overdue(call, self.now_ms);
            let units: Vec<&str> = call.active_units().map(|a| a.unit.as_str()).collect();
            let kind = call.call_type.map_or("-", |t| t.word());
            let fixed = 1 + id_width + 1 + 2 + 12 + 5 + 6 + 13;
            // A location not placed with confidence says so before it: `!` not placed, `?`
            // ambiguous, `~` fuzzy (docs/places.md).
            let mark = call.placement.as_ref().map_or("", |p| p.mark());
            let shown = if mark.is_empty() {
                call.location.clone()
            } else {
                format!("{mark} {}", call.location)
            };
            // A caution at the address or for the caller (its own, or left on an earlier call)
            // marks the row before the location: `⚠` (ASCII `C`).
            let caution = !crate::domain::history::cautions(app.state(), call).is_empty();
            let caution_mark = if ascii { "C " } else { "⚠ " };
            let room = width
                .saturating_sub(fixed)
                .saturating_sub(if caution { 2 } else { 0 });
            let location = trim(&shown, room, ascii);
            let line = Line::from(vec![
                Span::styled(
                    if is_selected { ">" } else { " " },
                    theme.queue_row_selected,
                ),
                Span::styled(format!("{:<id_width$}", call.id.as_str()), row_style),
                // Saved on a peer: losing this machine now would lose nothing of this call.
                // Without the mark the slot is blank in the row's style, not a coloured cell.
                match app.saved_on_a_peer(&call.id) {
                    Some(true) => Span::styled("✓", theme.status_peer),
                    _ => Span::styled(" ", row_style),
                },
                Span::styled(format!("{} ", call.priority), theme.priority(call.priority)),
                Span::styled(format!("{:<12}", trim(kind, 11, ascii)), row_style),
                Span::styled(format!("{:<5}", status_word(call)), theme.queue_status),
                Span::styled(
                    format!("{:>5} ", age(self.now_ms - app.state().call_since(call))),
                    if overdue {
                        theme.queue_age_alarm
                    } else {
                        theme.queue_age
                    },
                ),
                Span::styled(
                    format!("{:<13}", trim(&units.join(","), 12, ascii)),
                    row_style,
                ),
                Span::styled(
                    if caution { caution_mark } else { "" },
                    theme.queue_age_alarm,
                ),
                Span::styled(location, row_style),
            ]);
            lines.push(line);
        }
        Paragraph::new(lines).render(inner, buf);
    }
}

/// Which calls fill `rows`, in queue order, and how many are out of view above and below.
/// When they do not all fit, the most urgent pending calls (up to half the rows) are pinned at
/// the top whatever is selected; the other rows scroll to keep the selection in view, and a
/// row (`None`) stands where calls between the two are hidden.
fn choose_rows<'c>(
    queue: &[&'c Call],
    selected: Option<&crate::domain::CallId>,
    rows: usize,
) -> (Vec<Option<&'c Call>>, usize, usize) {
    if queue.len() <= rows {
        return (queue.iter().copied().map(Some).collect(), 0, 0);
    }
    if rows == 0 {
        return (Vec::new(), 0, queue.len());
    }
    let (mut order, pinned) = crate::console::app::queue_order(queue, rows);
    let rest = order.split_off(pinned);
    let pinned = order;
    let mut room = rows - pinned.len();
    let at = selected
        .and_then(|s| rest.iter().position(|c| &c.id == s))
        .unwrap_or(0);
    let mut first = at.saturating_sub(room.saturating_sub(1));
    if first > 0 && room > 1 {
        // A row says that calls are hidden between the pinned band and the rest.
        room -= 1;
        first = at.saturating_sub(room - 1);
    }
    let window: Vec<&Call> = rest.iter().skip(first).take(room).copied().collect();
    let below = rest.len() - first - window.len();
    // Calls hidden between the pinned band and the window are "above" what scrolls.
    let mut shown: Vec<Option<&Call>> = pinned.into_iter().map(Some).collect();
    if first > 0 {
        shown.push(None);
    }
    shown.extend(window.into_iter().map(Some));
    (shown, first, below)
}
