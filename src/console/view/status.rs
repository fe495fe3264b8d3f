//! The status bar: operator, node, store kind, clock, alarms, and the peers slot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::console::app::App;
use crate::domain::safety::Check;
use crate::store::StoreKind;

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
        let alerts = state.alerts.len();
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
        let store = app.desk.store();
        let mut spans = vec![
            Span::styled(format!(" {} ", app.desk.operator()), theme.status),
            Span::styled(format!("node {} ", store.replica().tag()), theme.status),
        ];
        match store.kind() {
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
        spans.push(Span::styled(" peers: - ", theme.status_peer));
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
                format!(" {alerts} conflicts "),
                theme.status_alarm,
            ));
        }
        Paragraph::new(Line::from(spans))
            .style(theme.status)
            .render(area, buf);
    }
}
