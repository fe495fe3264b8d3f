//! The status bar: operator, node, store kind, clock, alarms, and the peers slot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::console::theme::Theme;
use crate::desk::attach::{LinkState, PeerView};
use crate::domain::safety::Check;
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
        let overdue = state
            .queue()
            .iter()
            .filter(|c| app.overdue(c, self.now_ms))
            .count();
        let alerts = state.open_alerts().count();
        let late: Vec<(bool, &str)> = state
            .units
            .values()
            .filter_map(|u| match app.check_in(u, self.now_ms) {
                Some(Check::Overdue(_)) => Some((false, u.callsign.as_str())),
                Some(Check::Escalated(_)) => Some((true, u.callsign.as_str())),
                _ => None,
            })
            .collect();
        // Minutes only: a ticking seconds display would cost bytes every second over SSH.
        let clock = super::hhmm(app, self.now_ms);
        let mut spans = vec![
            Span::styled(format!(" {} ", app.desk.operator()), theme.status),
            Span::styled(format!("node {} ", app.desk.replica().tag()), theme.status),
        ];
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
        if overdue > 0 {
            spans.push(Span::styled(
                format!(" {overdue} waiting long "),
                theme.status_alarm,
            ));
        }
        if let Some(&(escalated, unit)) = late.iter().find(|(e, _)| *e).or(late.first()) {
            let text = if escalated {
                format!(" ESCALATE: {unit} missed check-in ")
            } else if late.len() == 1 {
                format!(" {unit} check-in late ")
            } else {
                format!(" {} late check-ins ", late.len())
            };
            spans.push(Span::styled(text, theme.status_alarm));
        }
        if alerts > 0 {
            spans.push(Span::styled(
                if alerts == 1 {
                    " 1 conflict ".to_owned()
                } else {
                    format!(" {alerts} conflicts ")
                },
                theme.status_alarm,
            ));
        }
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
        Paragraph::new(Line::from(spans))
            .style(theme.status)
            .render(area, buf);
    }
}
