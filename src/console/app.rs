//! The console's state and its one update function. No terminal here: the run loop feeds it
//! keys and ticks, tests feed it key strings, and views borrow it to draw.

mod act;
mod alarms;
mod bells;
mod desk;
mod form;
pub mod help;
mod keys;
mod line;
mod run;
mod training;

use crate::desk::Desk;
use crate::domain::{Call, CallId, Callsign, Event, State, Unit, UnitStatus};
use crate::report::metrics::Metrics;
use crate::store::StoreKind;

use super::command::Direction;
use super::keymap::{Key, Keymap, Mode};
use super::theme::Theme;
use super::training::Training;
use crate::desk::attach::{Board, Watch};

pub use form::IntakeForm;
pub use line::LineEditor;

#[derive(Clone, Debug)]
pub struct Options {
    pub ascii: bool,
    /// Shown in the help overlay.
    pub keymap_name: String,
    /// Show clock times in UTC rather than the local zone.
    pub utc: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ascii: false,
            keymap_name: "default".into(),
            utc: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Done,
    Refusal,
    Hint,
    /// Something wrong with the user's files or setup, found at start.
    Problem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    pub text: String,
}

/// Everything the console shows that is not in the store.
#[derive(Clone, Debug)]
#[allow(clippy::struct_excessive_bools)] // independent switches: overlays and requests to the run loop
pub struct Ui {
    pub mode: Mode,
    /// Where `cancel` goes back to from an overlay.
    pub base_mode: Mode,
    pub call: Option<CallId>,
    pub unit: Option<Callsign>,
    pub line: LineEditor,
    pub message: Option<Message>,
    pub pending: Vec<Key>,
    pub form: IntakeForm,
    pub help_scroll: u16,
    /// Columns and rows inside the help overlay when last drawn: descriptions wrap to it and
    /// scrolling stops at its last line.
    pub help_size: std::cell::Cell<(u16, u16)>,
    /// Rows the queue had for calls when last drawn (0: not drawn yet): selection moves in the
    /// order those rows show the calls, pinned band included.
    pub queue_rows: std::cell::Cell<usize>,
    /// While triaging the selected call: the question in focus.
    pub triage: Option<usize>,
    /// The dashboard covers the panes.
    pub dashboard: bool,
    /// The last messages, oldest first, with when they were said; `messages` shows them.
    pub messages: Vec<(i64, Message)>,
    /// The messages overlay covers the panes.
    pub messages_open: bool,
    /// The selected call whole covers the panes (`details`), scrolled this many rows down.
    pub details_open: bool,
    pub details_scroll: u16,
    /// How far the whole call scrolls, as last drawn: its last row at the bottom.
    pub details_max: std::cell::Cell<u16>,
    /// The alarm the alarm key selected last: the next press goes on from it.
    pub last_alarm: Option<(Option<CallId>, Option<Callsign>)>,
    /// The map pane (over the panes when open).
    pub map: super::map::MapState,
    /// The training score covers the panes.
    pub score: bool,
    pub quit: bool,
    /// Set by `redraw` and Ctrl-Z: the run loop repaints everything / suspends.
    pub repaint: bool,
    pub suspend: bool,
    /// Something that needs the dispatcher's ears happened (a phone rang in a training run or
    /// the demo): the run loop rings the terminal's bell once and clears it.
    pub bell: bool,
    /// The status bar flashes until then, with the bell, when `[alarms] flash` is set.
    pub flash_until_ms: i64,
}

/// What the status bar names and the alarm key visits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alarms {
    /// Calls waiting longer than their priority allows, most urgent first.
    pub waiting: Vec<CallId>,
    /// Units late to check in, and whether it has escalated, escalated first.
    pub late: Vec<(Callsign, bool)>,
    /// Units past their status timer (dispatched and not en route, en route long, at a
    /// facility long, not back from out of service), by status in that order, then callsign.
    pub timers: Vec<(Callsign, crate::domain::safety::StatusTimer)>,
}

pub struct App {
    /// Figures for the dashboard, fed each new event (built on first open from the log).
    metrics: Option<Metrics>,
    pub desk: Desk,
    pub keymap: Keymap,
    pub theme: Theme,
    pub options: Options,
    pub ui: Ui,
    chronology: Option<(CallId, Vec<Event>)>,
    /// The selected call with its personal fields hidden, when it is restricted and this
    /// operator may not read it; refreshed before each draw.
    shown: Option<Call>,
    /// Where the serving desk's peer links stand (attached consoles only).
    pub board: Option<Board>,
    /// The serving desk's feed, until the run loop takes it.
    pub watch: Option<Watch>,
    /// A training run driving this console (`switchboard sim`).
    pub training: Option<Training>,
    /// A world working this desk alongside the person at the console (the demo's centre),
    /// stepped by real time like a training run's.
    pub world: Option<Box<dyn crate::sim::World>>,
    /// What the bell rang for already, and what rings it.
    bells: bells::Bells,
}

impl App {
    /// `problems` are what was wrong with the user's keymap, theme or config: shown at start.
    pub fn new(
        desk: Desk,
        keymap: Keymap,
        theme: Theme,
        options: Options,
        problems: &[String],
    ) -> App {
        let mode = keymap.start();
        // Every problem is kept whole in the messages list; more than one opens it, so none
        // hides another (a broken keymap's three, a broken theme's beside them).
        let at = desk.now_ms();
        let kept: Vec<(i64, Message)> = problems
            .iter()
            .map(|p| {
                (
                    at,
                    Message {
                        tone: Tone::Problem,
                        text: p.clone(),
                    },
                )
            })
            .collect();
        let message = match problems {
            [] => None,
            [one] => Some(Message {
                tone: Tone::Problem,
                text: one.clone(),
            }),
            many => Some(Message {
                tone: Tone::Problem,
                text: format!(
                    "{} problems with your settings, listed above in full; Esc closes the list",
                    many.len()
                ),
            }),
        };
        let messages_open = problems.len() > 1;
        App {
            desk,
            keymap,
            theme,
            options,
            ui: Ui {
                mode,
                base_mode: mode,
                call: None,
                unit: None,
                line: LineEditor::default(),
                message,
                pending: Vec::new(),
                form: IntakeForm::default(),
                help_scroll: 0,
                help_size: std::cell::Cell::new((0, 0)),
                queue_rows: std::cell::Cell::new(0),
                triage: None,
                dashboard: false,
                messages: kept,
                messages_open,
                details_open: false,
                details_scroll: 0,
                details_max: std::cell::Cell::new(0),
                last_alarm: None,
                map: super::map::MapState::default(),
                score: false,
                quit: false,
                repaint: false,
                suspend: false,
                bell: false,
                flash_until_ms: 0,
            },
            chronology: None,
            shown: None,
            metrics: None,
            board: None,
            watch: None,
            training: None,
            world: None,
            bells: bells::Bells::default(),
        }
    }

    pub fn state(&self) -> &State {
        self.desk.state()
    }

    pub fn now_ms(&self) -> i64 {
        self.desk.now_ms()
    }

    pub fn training(&self) -> bool {
        self.desk.kind() == StoreKind::Training
    }

    /// The selected call: the one chosen if it is still open, else the top of the queue.
    pub fn selected_call(&self) -> Option<&Call> {
        let state = self.state();
        self.ui
            .call
            .as_ref()
            .and_then(|id| state.calls.get(id))
            .filter(|c| c.is_open())
            .or_else(|| state.queue().first().copied())
    }

    /// Units in roster order: by status group, then callsign.
    pub fn roster(&self) -> Vec<&Unit> {
        let mut units: Vec<&Unit> = self.state().units.values().collect();
        units.sort_by_key(|u| (status_rank(u.status), u.callsign.clone()));
        units
    }

    pub fn selected_unit(&self) -> Option<&Unit> {
        let state = self.state();
        self.ui
            .unit
            .as_ref()
            .and_then(|c| state.units.get(c))
            .or_else(|| self.roster().first().copied())
    }

    /// Reads the selected call's chronology from the log when the call or the log changed;
    /// called before each draw so views can borrow it.
    pub fn refresh_chronology(&mut self) {
        let id = self.selected_call().map(|c| c.id.clone());
        if self.chronology.as_ref().map(|(c, _)| c) != id.as_ref() {
            self.chronology = id.map(|id| {
                let events = self.desk.chronology(&id).unwrap_or_default();
                let events = events
                    .into_iter()
                    .map(|e| self.desk.shown_event(e))
                    .collect();
                (id, events)
            });
        }
        self.shown = self
            .selected_call()
            .filter(|c| !self.desk.may_read(c))
            .map(Call::redacted);
    }

    /// The selected call as this operator may read it, for the views: a restricted call
    /// reads [restricted] where its personal fields are until they open it (`view`).
    pub fn shown_call(&self) -> Option<&Call> {
        let selected = self.selected_call()?;
        match &self.shown {
            Some(c) if c.id == selected.id => Some(c),
            _ => Some(selected),
        }
    }

    pub fn chronology(&self) -> &[Event] {
        self.chronology.as_ref().map_or(&[], |(_, e)| e.as_slice())
    }

    /// Pending calls waiting longer than their priority allows.
    pub fn overdue(&self, call: &Call, now_ms: i64) -> bool {
        crate::domain::safety::waiting_too_long(self.state(), call, now_ms, self.desk.policy())
    }

    /// A unit's status timer, when its status has one.
    pub fn status_timer(&self, unit: &Unit) -> Option<crate::domain::safety::StatusTimer> {
        crate::domain::safety::status_timer(self.state(), unit, self.desk.policy())
    }

    /// A unit's safety check-in state, when it is on scene.
    pub fn check_in(&self, unit: &Unit, now_ms: i64) -> Option<crate::domain::safety::Check> {
        crate::domain::safety::check_in(self.state(), unit, now_ms, self.desk.policy())
    }

    fn flag(&self, name: &str) -> bool {
        let call = self.selected_call();
        match name {
            "call-selected" => call.is_some(),
            "unit-selected" => self.selected_unit().is_some(),
            "call-closed" => call.is_some_and(|c| !c.is_open()),
            "call-pending" => call.is_some_and(|c| c.status == crate::domain::CallStatus::Pending),
            "line-empty" => self.ui.line.text.is_empty(),
            "training" => self.training(),
            _ => false,
        }
    }

    /// Keeps the message on the line in the list `messages` shows, once.
    fn keep_message(&mut self) {
        /// Enough to scroll back over a busy few minutes.
        const KEPT: usize = 200;
        let Some(m) = &self.ui.message else {
            return;
        };
        if self.ui.messages.last().is_some_and(|(_, last)| last == m) {
            return;
        }
        let entry = (self.now_ms(), m.clone());
        self.ui.messages.push(entry);
        if self.ui.messages.len() > KEPT {
            self.ui.messages.remove(0);
        }
    }

    fn refuse(&mut self, text: String) {
        self.ui.message = Some(Message {
            tone: Tone::Refusal,
            text,
        });
    }
}

/// The calls in the order the queue shows them in `rows` rows, and how many of them lead as a
/// pinned band: when they do not all fit, the most urgent pending calls (up to half the rows)
/// come first whatever is selected, then the rest in queue order. Selection moves in this order,
/// so the keys follow the rows on screen.
pub fn queue_order<'c>(queue: &[&'c Call], rows: usize) -> (Vec<&'c Call>, usize) {
    if queue.len() <= rows {
        return (queue.to_vec(), 0);
    }
    let mut shown: Vec<&Call> = queue
        .iter()
        .filter(|c| c.waits_here())
        .take(rows.div_ceil(2))
        .copied()
        .collect();
    let pinned = shown.len();
    shown.extend(
        queue
            .iter()
            .filter(|c| !shown[..pinned].iter().any(|p| p.id == c.id))
            .copied()
            .collect::<Vec<_>>(),
    );
    (shown, pinned)
}

fn step<T: Clone + PartialEq>(items: &[T], current: Option<&T>, dir: Direction) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    let at = current.and_then(|c| items.iter().position(|i| i == c));
    let last = items.len() - 1;
    let to = match (dir, at) {
        (Direction::First, _) | (Direction::Next | Direction::Prev, None) => 0,
        (Direction::Last, _) => last,
        (Direction::Next, Some(i)) => (i + 1).min(last),
        (Direction::Prev, Some(i)) => i.saturating_sub(1),
    };
    Some(items[to].clone())
}

/// Roster groups, in the order a dispatcher scans them: who is free, who is working, who is out.
pub fn status_rank(s: UnitStatus) -> u8 {
    match s {
        UnitStatus::Available => 0,
        UnitStatus::Dispatched => 1,
        UnitStatus::EnRoute => 2,
        UnitStatus::OnScene => 3,
        UnitStatus::Transporting => 4,
        UnitStatus::AtFacility => 5,
        UnitStatus::OutOfService => 6,
    }
}
