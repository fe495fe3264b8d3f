//! The dashboard: the last 24 hours' figures, calls by hour, the pending queue, and how the
//! units spent their time — readable at 80×24.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Clear, Paragraph, Sparkline, Widget};

use crate::console::app::App;
use crate::report::metrics::{Stat, Summary};

use super::{overlay, trim};

pub struct DashboardView<'a> {
    app: &'a App,
    summary: &'a Summary,
}

impl<'a> DashboardView<'a> {
    pub fn new(app: &'a App, summary: &'a Summary) -> Self {
        DashboardView { app, summary }
    }
}

/// Hours of the day under the calls-by-hour bars, each label starting at its hour's column.
const HOUR_AXIS: &str = "0     6     12    18";

/// `12:30/40m`: a median and a 90th percentile, or a dash when nothing was measured.
fn times(stat: &Stat) -> String {
    let show =
        |s: Option<f64>| s.map_or_else(|| "-".to_owned(), |s| super::age((s * 1000.0) as i64));
    format!("{}/{}", show(stat.median_s), show(stat.p90_s))
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |s| format!("{:.0}%", s * 100.0))
}

impl Widget for DashboardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let ascii = app.options.ascii;
        let s = self.summary;
        let t = &s.total;
        Clear.render(area, buf);
        let block = overlay(" Dashboard — last 24 hours ".into(), theme, ascii);
        let inner = block.inner(area);
        block.render(area, buf);
        let width = inner.width as usize;
        let label = theme.details_label;
        let value = theme.details_value;
        let line = |parts: Vec<(String, bool)>| {
            Line::from(
                parts
                    .into_iter()
                    .map(|(text, is_label)| {
                        Span::styled(text, if is_label { label } else { value })
                    })
                    .collect::<Vec<_>>(),
            )
        };
        let unserved: Vec<String> = t
            .unserved
            .by_reason
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let figures = [
            line(vec![
                ("Calls ".into(), true),
                (
                    format!(
                        "{} ({} closed, {} open)  ",
                        t.calls.received, t.calls.closed, t.calls.open
                    ),
                    false,
                ),
                ("Community ".into(), true),
                (format!("{}  ", percent(t.response.diversion_rate)), false),
                ("Co-resp ".into(), true),
                (format!("{}  ", t.response.co_response), false),
                ("Backup ".into(), true),
                (
                    format!(
                        "{} ({})",
                        t.backup.requests,
                        percent(t.backup.rate_per_handled_call)
                    ),
                    false,
                ),
            ]),
            line(vec![
                ("Not served ".into(), true),
                (
                    format!(
                        "{} {}  ",
                        t.unserved.not_served,
                        if unserved.is_empty() {
                            String::new()
                        } else {
                            format!("({})", unserved.join(", "))
                        }
                    ),
                    false,
                ),
                ("Check-ins on time ".into(), true),
                (
                    format!(
                        "{}, {} late now",
                        percent(s.safety.on_time_share),
                        s.safety.overdue_now
                    ),
                    false,
                ),
            ]),
            line(vec![
                ("Med/p90 ".into(), true),
                (
                    format!(
                        "triage {} dp {} travel {} scene {} call {}",
                        times(&t.times.received_to_triaged),
                        times(&t.times.received_to_dispatched),
                        times(&t.times.dispatched_to_on_scene),
                        times(&t.times.on_scene_to_clear),
                        times(&t.times.received_to_closed)
                    ),
                    false,
                ),
            ]),
        ];
        // The figures wrap rather than cut (a narrow window keeps the last one whole).
        let figures: Vec<Line> = figures
            .iter()
            .flat_map(|l| super::wrap_line(l, inner.width as usize))
            .collect();
        let [text, charts, units] = Layout::vertical([
            Constraint::Length(u16::try_from(figures.len()).unwrap_or(3).clamp(3, 5)),
            Constraint::Length(7),
            Constraint::Min(1),
        ])
        .areas(inner);
        Paragraph::new(figures).render(text, buf);
        let [by_hour, queue] =
            Layout::horizontal([Constraint::Length(27), Constraint::Min(10)]).areas(charts);
        let bars: Vec<Bar> = s
            .calls_by_hour
            .iter()
            .map(|n| Bar::default().value(*n).text_value(String::new()))
            .collect();
        let block = super::pane(" Calls by hour ".into(), false, theme, ascii);
        let inside = block.inner(by_hour);
        block.render(by_hour, buf);
        let [bars_area, hours_area] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inside);
        let levels = if ascii {
            ASCII_BARS
        } else {
            ratatui::symbols::bar::NINE_LEVELS
        };
        BarChart::default()
            .bar_set(levels.clone())
            .data(BarGroup::default().bars(&bars))
            .bar_width(1)
            .bar_gap(0)
            .bar_style(theme.roster_status[3])
            .render(bars_area, buf);
        // One bar per hour, one column each: the hour under its bar.
        Paragraph::new(Line::styled(HOUR_AXIS, label)).render(hours_area, buf);
        let peaks: Vec<u64> = s
            .pending_queue
            .peaks
            .iter()
            .map(|n| u64::from(*n))
            .collect();
        let shown = peaks.len().saturating_sub(queue.width as usize);
        Sparkline::default()
            .bar_set(levels)
            .block(super::pane(
                format!(
                    " Pending, most at once per 15 min (max {}) ",
                    s.pending_queue.max
                ),
                false,
                theme,
                ascii,
            ))
            .data(&peaks[shown..])
            .style(theme.queue_age_alarm)
            .render(queue, buf);
        // One unit a row with its bar while they fit; else two a row without bars; what still
        // does not fit is counted (`switchboard report` has every unit).
        let name_w = s
            .units
            .keys()
            .map(|u| u.chars().count())
            .max()
            .unwrap_or(6)
            .max(6)
            + 1;
        let figures_of = |f: &crate::report::metrics::UnitFigures| {
            let share = |status: &str| f.status_share.get(status).copied().flatten().unwrap_or(0.0);
            let busy = (1.0 - share("AVL") - share("OOS")).max(0.0);
            (busy, share("ONS"), share("OOS"))
        };
        let room = usize::from(units.height).saturating_sub(1);
        let cell = name_w + 21;
        let two = s.units.len() > room && width >= 2 * cell + 2;
        let mut rows = Vec::new();
        if two {
            let head = format!("{:<name_w$} busy   scene     oos", "Unit");
            rows.push(Line::styled(
                trim(&format!("{head:<cell$}  {head}"), width, ascii),
                label,
            ));
        } else {
            rows.push(Line::styled(
                format!("{:<name_w$}busy  on scene  out of service", "Unit"),
                label,
            ));
        }
        let per_row = if two { 2 } else { 1 };
        let all: Vec<String> = s
            .units
            .iter()
            .map(|(unit, f)| {
                let (busy, ons, oos) = figures_of(f);
                let text = format!(
                    "{:<name_w$}{:>4.0}%  {:>5.0}%  {:>5.0}%",
                    unit,
                    busy * 100.0,
                    ons * 100.0,
                    oos * 100.0,
                );
                if two {
                    return text;
                }
                let bar_len = ((busy.clamp(0.0, 1.0)) * 20.0).round() as usize;
                let (full, empty) = if ascii { ("#", ".") } else { ("█", "·") };
                format!(
                    "{text}  {}{}",
                    full.repeat(bar_len),
                    empty.repeat(20 - bar_len)
                )
            })
            .collect();
        let lines_needed = all.len().div_ceil(per_row);
        let shown_lines = if lines_needed > room {
            room.saturating_sub(1)
        } else {
            lines_needed
        };
        for chunk in all.chunks(per_row).take(shown_lines) {
            let text = chunk
                .iter()
                .map(|c| format!("{c:<cell$}"))
                .collect::<Vec<_>>()
                .join("  ");
            rows.push(Line::styled(trim(text.trim_end(), width, ascii), value));
        }
        let hidden = all.len().saturating_sub(shown_lines * per_row);
        if hidden > 0 {
            rows.push(Line::styled(
                format!(
                    "{} {hidden} more units (switchboard report has them all)",
                    if ascii { "v" } else { "↓" }
                ),
                label,
            ));
        }
        Paragraph::new(rows).render(units, buf);
    }
}

/// Bars in ASCII: a terminal without UTF-8 draws the chart and the sparkline with these.
const ASCII_BARS: ratatui::symbols::bar::Set<'static> = ratatui::symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "#",
    five_eighths: "=",
    half: "=",
    three_eighths: "-",
    one_quarter: "-",
    one_eighth: ".",
    empty: " ",
};
