//! The status bar: operator, node, store kind, clock, alarms, and the peers slot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::console::theme::Theme;
use crate::desk::attach::{LinkState, PeerView};
use crate::store::StoreKind;

/// A link's line: `B ok`, `B sync 120` or `B down 00:42`.
fn link_text(p: &PeerView, now_ms: i64, theme: &Theme) -> (String, Style) {
    match p.state {
        LinkState::Connected => (format!(" {} ok ", p.name), theme.status_peer),
        LinkState::CatchingUp => (format!(" {} sync {} ", p.name, p.lag), theme.status_peer),
        LinkState::Down => {
            let secs = (now_ms - p.since_ms).max(0) / 1000;
            // Minutes only past the first hour, like the clock: seconds cost bytes.
            let since = if secs < 3600 {
                format!("{:02}:{:02}", secs / 60, secs % 60)
            } else {
                format!("{}h", secs / 3600)
            };
            (format!(" {} down {since} ", p.name), theme.status_alarm)
        }
    }
}

/// Partners (NENA-STA-024 links) like peers: `metro-911 ok`, `metro-911 down 00:42`.
fn partners(app: &App, now_ms: i64) -> Vec<Span<'_>> {
    let Some(board) = &app.board else {
        return Vec::new();
    };
    board
        .partners
        .iter()
        .map(|p| {
            let (text, style) = link_text(p, now_ms, &app.theme);
            Span::styled(text, style)
        })
        .collect()
}

/// Each peer as `B ok`, `B sync 120` (catching up, events behind) or `B down 00:42`; while one
/// is down, dispatches made here and there may collide.
fn peers(app: &App, now_ms: i64) -> Vec<Span<'_>> {
    let theme = &app.theme;
    let Some(board) = &app.board else {
        return Vec::new();
    };
    if board.peers.is_empty() {
        return vec![Span::styled(" no peers ", theme.status_peer)];
    }
    let mut spans = Vec::new();
    let mut down = false;
    for p in &board.peers {
        let (text, style) = link_text(p, now_ms, theme);
        down |= p.state == LinkState::Down;
        spans.push(Span::styled(text, style));
        // Clocks more than a few seconds apart: the order of events is still right (hybrid
        // clock), but times shown from the two consoles disagree.
        if p.skew_s.abs() >= 5 && p.state != LinkState::Down {
            spans.push(Span::styled(
                format!("clock {:+}s ", p.skew_s),
                theme.status_alarm,
            ));
        }
    }
    if down {
        spans.push(Span::styled(
            "— assignments may conflict ",
            theme.status_alarm,
        ));
    }
    spans
}

/// The first two names, then how many more: `26-HE0010, 26-HE0006 +3`.
fn named(names: &[String], shown: usize) -> String {
    let mut text = names
        .iter()
        .take(shown)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > shown {
        text = format!("{text} +{}", names.len() - shown);
    }
    text
}

pub struct StatusBar<'a> {
    app: &'a App,
    now_ms: i64,
}

impl<'a> StatusBar<'a> {
    pub fn new(app: &'a App, now_ms: i64) -> Self {
        StatusBar { app, now_ms }
    }
}

impl Widget for StatusBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let app = self.app;
        let theme = &app.theme;
        let state = app.state();
        let alarms = app.alarms(self.now_ms);
        let alerts: Vec<String> = state.open_alerts().map(crate::domain::Alert::id).collect();
        // Minutes only: a ticking seconds display would cost bytes every second over SSH.
        let clock = super::hhmm(app, self.now_ms);
        let mut spans = vec![
            Span::styled(format!(" {} ", app.desk.operator()), theme.status),
            Span::styled(format!("node {} ", app.desk.replica().tag()), theme.status),
        ];
        // On a shared desk, who else is at it.
        let others = app.others_here();
        if !others.is_empty() {
            spans.insert(
                1,
                Span::styled(format!("with {} ", named(&others, 2)), theme.status),
            );
        }
        match app.desk.kind() {
            StoreKind::Live => {}
            StoreKind::Demo => spans.push(Span::styled(" DEMO ", theme.status_training)),
            StoreKind::Training => spans.push(Span::styled(" TRAINING ", theme.status_training)),
        }
        if let Some(training) = &app.training {
            // The shift's own clock, to the second: answering within 15 s is scored.
            let elapsed = crate::sim::scenario::show_time(training.sim.elapsed_ms());
            spans.push(Span::styled(
                format!(" {elapsed} {} ", training.speed_label(app.options.ascii)),
                theme.status,
            ));
            if training.ended() {
                spans.push(Span::styled(" ENDED ", theme.status_alarm));
            } else if training.paused {
                spans.push(Span::styled(" paused ", theme.status_alarm));
            }
        }
        spans.push(Span::styled(format!(" {clock} "), theme.status));
        spans.extend(peers(app, self.now_ms));
        spans.extend(partners(app, self.now_ms));
        // Each alarm names its calls or units: two each while they fit on the bar, then one,
        // then only how many (the alarm key visits them all; `messages` keeps what was said).
        let escalated: Vec<String> = alarms
            .late
            .iter()
            .filter(|(_, e)| *e)
            .map(|(u, _)| u.to_string())
            .collect();
        let late: Vec<String> = alarms
            .late
            .iter()
            .filter(|(_, e)| !*e)
            .map(|(u, _)| u.to_string())
            .collect();
        let waiting: Vec<String> = alarms.waiting.iter().map(ToString::to_string).collect();
        // Units past a status timer, one alarm per kind (`not en route: STAR-2`).
        let mut timers: Vec<(&str, Vec<String>)> = Vec::new();
        for (unit, t) in &alarms.timers {
            match timers.last_mut() {
                Some((words, units)) if *words == t.words() => units.push(unit.to_string()),
                _ => timers.push((t.words(), vec![unit.to_string()])),
            }
        }
        // The operator's own name gives way first (to 16 columns): the bar is for the clock,
        // the links and the alarms.
        let operator = app.desk.operator().chars().count();
        let used: usize = spans
            .iter()
            .map(|s| s.content.chars().count())
            .sum::<usize>()
            - operator.saturating_sub(16);
        // Calls and check-ins keep their names longest: status timers give way to counts first.
        let alarm_spans = |(shown, timers_shown): (usize, usize)| -> Vec<String> {
            // With no room for names, counts read as such: ` 5 waiting long `.
            let say_as = |shown: usize, names: &[String], what: &str, after: &str| {
                if shown == 0 {
                    format!(" {} {what}{after} ", names.len())
                } else {
                    format!(" {what}: {}{after} ", named(names, shown))
                }
            };
            let say = |names: &[String], what: &str, after: &str| say_as(shown, names, what, after);
            let mut out = Vec::new();
            if !waiting.is_empty() {
                out.push(say(&waiting, "waiting long", ""));
            }
            if !escalated.is_empty() {
                out.push(say(&escalated, "ESCALATE", " missed check-in"));
            }
            if !late.is_empty() {
                out.push(say(&late, "check-in late", ""));
            }
            for (words, units) in &timers {
                out.push(say_as(timers_shown, units, words, ""));
            }
            if !alerts.is_empty() {
                out.push(format!(" conflict {} ", named(&alerts, shown.max(1))));
            }
            out
        };
        let width = area.width as usize;
        let texts = [(2, 2), (2, 1), (1, 1), (2, 0), (1, 0), (0, 0)]
            .into_iter()
            .map(alarm_spans)
            .find(|t| used + t.iter().map(|s| s.chars().count()).sum::<usize>() <= width)
            .unwrap_or_else(|| alarm_spans((0, 0)));
        spans.extend(
            texts
                .into_iter()
                .map(|t| Span::styled(t, theme.status_alarm)),
        );
        if let Some(board) = &app.board {
            if !board.forks.is_empty() {
                spans.push(Span::styled(" FORK: see log ", theme.status_alarm));
            }
            // A refusal stays in view for ten minutes; the log keeps them all.
            if let Some(last) = board
                .refused
                .last()
                .filter(|r| self.now_ms - r.at_ms < 10 * 60_000)
            {
                spans.push(Span::styled(
                    format!(" refused {} ", last.who),
                    theme.status_alarm,
                ));
            }
        }
        let total: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        if total > width {
            let keep = operator.saturating_sub(total - width).max(6);
            let ascii = app.options.ascii;
            spans[0].content =
                format!(" {} ", super::trim(app.desk.operator(), keep, ascii)).into();
        }
        // Anything still past the edge is cut with a mark, never silently.
        let mut fitted = super::fit_spans(spans, width, app.options.ascii);
        // A flash with the bell (`[alarms] flash`): the whole bar in the alarm style, reversed,
        // so it is seen on a terminal whose bell is silent.
        if self.now_ms < app.ui.flash_until_ms {
            let flash = theme
                .status_alarm
                .add_modifier(ratatui::style::Modifier::REVERSED);
            for span in &mut fitted {
                span.style = flash;
            }
            Paragraph::new(Line::from(fitted))
                .style(flash)
                .render(area, buf);
            return;
        }
        Paragraph::new(Line::from(fitted))
            .style(theme.status)
            .render(area, buf);
    }
}
