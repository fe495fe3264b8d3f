//! The console's state and its one update function. No terminal here: the run loop feeds it
//! keys and ticks, tests feed it key strings, and views borrow it to draw.

pub mod help;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::report::metrics::{Metrics, Period, Summary};

use crate::command::{complete_with, print, Candidate};
use crate::desk::attach::{Board, Reply, Watch};
use crate::desk::{Desk, DeskError};
use crate::domain::{
    Body, Call, CallId, CallType, Callsign, Command, Event, NewCall, State, Unit, UnitStatus,
};
use crate::store::StoreKind;

use super::command::{read_line, Action, Direction, Line, Selection, CONSOLE_COMMANDS};
use super::keymap::{Key, Keymap, Lookup, Mode};
use super::theme::Theme;
use super::training::{Training, MAX_SPEED, MIN_SPEED};
use crate::sim::Said;

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub tone: Tone,
    pub text: String,
}

/// The command line: text, cursor, history and the completion being offered.
#[derive(Clone, Debug, Default)]
pub struct LineEditor {
    pub text: String,
    /// Byte offset, always on a char boundary.
    pub cursor: usize,
    pub history: Vec<String>,
    history_at: Option<usize>,
    pub candidates: Vec<Candidate>,
    /// The text is a refused line kept for editing: an editing key (Left, Right, Home, End,
    /// Backspace, Delete, Ctrl-A/E/W) edits it, but a typed character starts a new line, so
    /// the next command is never appended to the refused one.
    pub refused: bool,
    /// The candidate Tab last put in, and the text before Tab was pressed.
    pub picked: Option<usize>,
    before_tab: Option<(String, usize)>,
}

impl LineEditor {
    pub fn set(&mut self, text: &str) {
        text.clone_into(&mut self.text);
        self.cursor = self.text.len();
        self.before_tab = None;
        self.picked = None;
        self.refused = false;
    }

    /// Keeps a refused line for editing (see [`LineEditor::refused`]).
    fn keep_refused(&mut self, text: &str) {
        self.set(text.trim_end());
        self.refused = !self.text.is_empty();
    }

    fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        self.edited();
    }

    fn edited(&mut self) {
        self.before_tab = None;
        self.picked = None;
        self.history_at = None;
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    fn backspace(&mut self) {
        if self.cursor > 0 {
            let at = self.prev_boundary();
            self.text.replace_range(at..self.cursor, "");
            self.cursor = at;
            self.edited();
        }
    }

    fn delete(&mut self) {
        if self.cursor < self.text.len() {
            let to = self.next_boundary();
            self.text.replace_range(self.cursor..to, "");
            self.edited();
        }
    }

    fn delete_word(&mut self) {
        let before = self.text[..self.cursor].trim_end();
        let at = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        self.text.replace_range(at..self.cursor, "");
        self.cursor = at;
        self.edited();
    }

    fn recall(&mut self, older: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let at = match (self.history_at, older) {
            (None, true) => Some(last),
            (None, false) => return,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i < last => Some(i + 1),
            (Some(_), false) => None,
        };
        let text = at.map_or_else(String::new, |i| self.history[i].clone());
        self.set(&text);
        self.history_at = at;
    }

    fn remember(&mut self, line: &str) {
        if self.history.last().map(String::as_str) != Some(line) {
            self.history.push(line.to_owned());
        }
        self.history_at = None;
    }

    /// Tab: put in the next candidate for the word under the cursor.
    fn cycle(&mut self, back: bool) {
        if self.candidates.is_empty() {
            return;
        }
        let (base, base_cursor) = self
            .before_tab
            .clone()
            .unwrap_or((self.text.clone(), self.cursor));
        let n = self.candidates.len();
        let pick = match (self.picked, back) {
            (None, false) => 0,
            (None, true) => n - 1,
            (Some(i), false) => (i + 1) % n,
            (Some(i), true) => (i + n - 1) % n,
        };
        let start = base[..base_cursor]
            .rfind(char::is_whitespace)
            .map_or(0, |i| i + 1);
        let word = &self.candidates[pick].word;
        let mut text = base[..start].to_owned();
        text.push_str(word);
        let cursor = text.len();
        text.push_str(&base[base_cursor..]);
        self.text = text;
        self.cursor = cursor;
        self.picked = Some(pick);
        self.before_tab = Some((base, base_cursor));
    }
}

/// The intake form a call-taker fills while on the phone.
#[derive(Clone, Debug, Default)]
pub struct IntakeForm {
    pub fields: [String; 6],
    pub focus: usize,
}

impl IntakeForm {
    pub const LABELS: [&'static str; 6] = [
        "Location", "Nature", "Caller", "Callback", "Type", "Priority",
    ];

    fn command(&self) -> Result<Command, String> {
        let [location, nature, caller, callback, kind, pri] = &self.fields;
        let text = |s: &String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Command::TakeCall(NewCall {
            location: location.trim().to_owned(),
            nature: nature.trim().to_owned(),
            caller: text(caller),
            callback: text(callback),
            call_type: text(kind)
                .map(|k| CallType::parse_word_or_apco(&k))
                .transpose()?,
            priority: text(pri).map(|p| p.parse()).transpose()?,
            zone: None,
            coords: None,
            civic: None,
            placed: None,
        }))
    }
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
}

/// What the status bar names and the alarm key visits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Alarms {
    /// Calls waiting longer than their priority allows, most urgent first.
    pub waiting: Vec<CallId>,
    /// Units late to check in, and whether it has escalated, escalated first.
    pub late: Vec<(Callsign, bool)>,
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
    /// Where the serving desk's peer links stand (attached consoles only).
    pub board: Option<Board>,
    /// The serving desk's feed, until the run loop takes it.
    pub watch: Option<Watch>,
    /// A training run driving this console (`switchboard sim`).
    pub training: Option<Training>,
    /// A world working this desk alongside the person at the console (the demo's centre),
    /// stepped by real time like a training run's.
    pub world: Option<Box<dyn crate::sim::World>>,
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
        let message = problems.first().map(|p| Message {
            tone: Tone::Refusal,
            text: if problems.len() > 1 {
                format!(
                    "{p} (and {} more; see switchboard keymap check)",
                    problems.len() - 1
                )
            } else {
                p.clone()
            },
        });
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
                messages: Vec::new(),
                messages_open: false,
                last_alarm: None,
                map: super::map::MapState::default(),
                score: false,
                quit: false,
                repaint: false,
                suspend: false,
                bell: false,
            },
            chronology: None,
            metrics: None,
            board: None,
            watch: None,
            training: None,
            world: None,
        }
    }

    /// Follows a serving desk: its events and peer board arrive through `watch`.
    #[must_use]
    pub fn attached(mut self, watch: Watch) -> App {
        self.board = Some(Board::default());
        self.watch = Some(watch);
        self
    }

    /// Something the serving desk sent: events another console or a peer committed, or the
    /// state of the peer links.
    pub fn desk_news(&mut self, news: Reply) {
        self.hear_desk(news);
        self.keep_message();
    }

    fn hear_desk(&mut self, news: Reply) {
        match news {
            Reply::Events(batch) => match self.desk.absorb(&batch) {
                Ok(received) => {
                    if !received.accepted.is_empty() {
                        self.chronology = None;
                    }
                    if let Some(metrics) = &mut self.metrics {
                        for e in &received.accepted {
                            metrics.add(e);
                        }
                    }
                }
                Err(e) => self.refuse(format!("the serving desk sent {e}")),
            },
            Reply::Board(board) => self.board = Some(board),
            Reply::Known(entries) => {
                self.desk
                    .know(&crate::desk::attach::known_entries(&entries));
                self.chronology = None;
            }
            _ => {}
        }
    }

    /// With peers: whether some peer has saved this call's last change. `None` without peers.
    pub fn saved_on_a_peer(&self, call: &CallId) -> Option<bool> {
        let board = self.board.as_ref().filter(|b| !b.peers.is_empty())?;
        let (origin, seq) = self.desk.last_event_of(call)?;
        Some(board.saved_on_a_peer(origin, seq))
    }

    /// The peer board in a line: `bravo connected, 0 behind · refused 10.0.0.9:4410 at 14:02:
    /// unknown peer certificate SHA-256 …`.
    fn peers_in_words(&self) -> String {
        use crate::desk::attach::LinkState;
        let Some(board) = &self.board else {
            return "no peer links: start the console with --listen, or run switchboard serve"
                .into();
        };
        let mut parts: Vec<String> = board
            .peers
            .iter()
            .map(|p| {
                let since = super::text::hhmm(self.options.utc, p.since_ms);
                match p.state {
                    LinkState::Connected => format!("{} connected, {} behind", p.name, p.lag),
                    LinkState::CatchingUp => format!("{} catching up, {} behind", p.name, p.lag),
                    LinkState::Down => format!("{} down since {since}", p.name),
                }
            })
            .collect();
        if parts.is_empty() {
            parts.push("no peers (switchboard peer add)".into());
        }
        if let Some(r) = board.refused.last() {
            parts.push(format!(
                "refused {} at {}: {}",
                r.who,
                super::text::hhmm(self.options.utc, r.at_ms),
                r.why
            ));
        }
        parts.extend(board.forks.iter().map(|f| format!("FORK {f}")));
        parts.join(" · ")
    }

    /// The serving desk has stopped: nothing typed can be committed until it is back.
    pub fn desk_gone(&mut self) {
        self.refuse(
            "the serving desk has stopped; nothing can be saved — quit and start again".into(),
        );
        self.keep_message();
    }

    /// Makes this console a training run's: the scenario's world moves with its clock, and
    /// the clock reads the shift's own time of day (a 07:00 start shows 07:00 in any zone).
    #[must_use]
    pub fn with_training(mut self, training: Training) -> App {
        self.training = Some(training);
        self.options.utc = true;
        self
    }

    /// Makes a world work this desk alongside the person at the console, on the real clock.
    #[must_use]
    pub fn with_world(mut self, world: Box<dyn crate::sim::World>) -> App {
        self.world = Some(world);
        self
    }

    /// Real time went by: the training clock moves on by that × its speed (not while paused),
    /// the world does what fell due, and at the end of the shift the score is shown.
    pub fn pass_time(&mut self, real_ms: u64) {
        self.time_passed(real_ms);
        self.keep_message();
    }

    fn time_passed(&mut self, real_ms: u64) {
        let Some(training) = &mut self.training else {
            self.step_world(real_ms);
            return;
        };
        let due = training.due(real_ms);
        if due == 0 {
            return;
        }
        let before = self.desk.event_count();
        let to = training.sim.now_ms() + due;
        training.sim.set_pace(training.speed);
        let result = training.sim.advance_to(&mut self.desk, to);
        let news = training.sim.take_news();
        let finished = training.sim.finished();
        if let Err(e) = result {
            training.paused = true;
            self.refuse(format!("the simulation stopped (clock paused): {e}"));
        } else {
            self.hear(&news);
        }
        if self.desk.event_count() != before {
            self.world_moved();
        }
        if finished {
            self.end_training();
        }
    }

    /// A world that is not a training run moves on by the real time that went by.
    fn step_world(&mut self, real_ms: u64) {
        let Some(world) = &mut self.world else {
            return;
        };
        if real_ms == 0 {
            return;
        }
        let before = self.desk.event_count();
        let to = world.now_ms() + real_ms as i64;
        let result = world.advance_to(&mut self.desk, to);
        let news = world.take_news();
        match result {
            Ok(()) => self.hear(&news),
            Err(e) => {
                self.world = None;
                self.refuse(format!("the centre stopped working this desk: {e}"));
            }
        }
        if self.desk.event_count() != before {
            self.world_moved();
        }
    }

    /// A world's news: the newest line on the message line, and the bell if a phone rang.
    fn hear(&mut self, news: &crate::sim::News) {
        // Every line is kept for `messages`; the newest is on the message line.
        let now = self.now_ms();
        for line in news.lines.iter().rev().skip(1).rev() {
            self.ui.messages.push((
                now,
                Message {
                    tone: Tone::Hint,
                    text: line.clone(),
                },
            ));
        }
        if let Some(last) = news.lines.last() {
            self.ui.message = Some(Message {
                tone: Tone::Hint,
                text: last.clone(),
            });
        }
        self.ui.bell |= news.rings > 0;
    }

    /// The world wrote to the log: what views cache from it is stale.
    fn world_moved(&mut self) {
        self.chronology = None;
        if self.metrics.take().is_some() && self.ui.dashboard {
            self.open_dashboard();
        }
    }

    /// Ends the training run: scores it, writes `--report`, and shows the score.
    fn end_training(&mut self) {
        let Some(training) = &mut self.training else {
            return;
        };
        if training.score.is_none() {
            let score = training.sim.score(&self.desk);
            let mut said = format!(
                "Training run over: {} / {} points",
                score.points, score.max_points
            );
            if let Some(path) = &training.report {
                training.reported = true;
                match score.write_report(path) {
                    Ok(()) => said = format!("{said}; report written to {}", path.display()),
                    Err(e) => said = format!("{said}; the report was not written: {e}"),
                }
            }
            training.score = Some(score);
            self.ui.message = Some(Message {
                tone: Tone::Done,
                text: format!("{said}. Esc closes the score."),
            });
        }
        self.ui.score = true;
        self.ui.dashboard = false;
        self.ui.triage = None;
    }

    /// The training run's score, while it is shown.
    pub fn score_shown(&self) -> Option<&crate::sim::Score> {
        self.training
            .as_ref()
            .and_then(|t| t.score.as_ref())
            .filter(|_| self.ui.score)
    }

    /// Trainer commands only mean something in a training run; elsewhere they say so.
    fn trainer(&mut self, name: &str) -> Option<&mut Training> {
        if self.training.is_none() {
            self.refuse(format!(
                "{name}: not a training run; trainer keys work in `switchboard sim SCENARIO`"
            ));
            return None;
        }
        if self.training.as_ref().is_some_and(Training::ended) && name != "sim-end" {
            self.refuse(format!(
                "{name}: the training run is over; sim-end shows the score"
            ));
            return None;
        }
        self.training.as_mut()
    }

    fn set_speed(&mut self, name: &str, factor: f64) {
        let Some(training) = self.trainer(name) else {
            return;
        };
        let speed = training.speed * factor;
        if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
            let (word, limit) = if factor > 1.0 {
                ("fastest", MAX_SPEED)
            } else {
                ("slowest", MIN_SPEED)
            };
            self.refuse(format!(
                "the training clock is already at its {word} (×{limit})"
            ));
            return;
        }
        training.speed = speed;
        let text = format!("Training clock ×{speed}");
        self.ui.message = Some(Message {
            tone: Tone::Done,
            text,
        });
    }

    /// The dashboard's figures as of now, when it is open.
    pub fn dashboard(&self) -> Option<Summary> {
        self.metrics
            .as_ref()
            .filter(|_| self.ui.dashboard)
            .map(|m| m.summary(self.now_ms()))
    }

    /// Reads the log once for the last 24 hours; later events are added as they are committed.
    fn open_dashboard(&mut self) {
        const DAY_MS: i64 = 24 * 3_600_000;
        let now = self.now_ms();
        let stale = self
            .metrics
            .as_ref()
            .is_none_or(|m| now - m.period().since_ms > DAY_MS + 3_600_000);
        if stale {
            let mut period = Period::new(now - DAY_MS, now + 30 * DAY_MS);
            if !self.options.utc {
                period = period.in_local_hours();
            }
            let mut metrics = Metrics::new(period, self.desk.policy());
            match self.desk.events() {
                Ok(mut events) => {
                    events.sort_by_key(Event::fold_key);
                    for e in &events {
                        metrics.add(e);
                    }
                    self.metrics = Some(metrics);
                }
                Err(e) => {
                    self.refuse(format!("cannot read the log for the dashboard: {e}"));
                    return;
                }
            }
        }
        self.ui.dashboard = true;
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
                (id, events)
            });
        }
    }

    pub fn chronology(&self) -> &[Event] {
        self.chronology.as_ref().map_or(&[], |(_, e)| e.as_slice())
    }

    /// Pending calls waiting longer than their priority allows.
    pub fn overdue(&self, call: &Call, now_ms: i64) -> bool {
        crate::domain::safety::waiting_too_long(self.state(), call, now_ms, self.desk.policy())
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

    /// The alarms in force, in the order the alarm key visits them: calls waiting longer than
    /// their priority allows (most urgent first), then units late to check in (escalated first).
    pub fn alarms(&self, now_ms: i64) -> Alarms {
        let state = self.state();
        let waiting = state
            .queue()
            .iter()
            .filter(|c| self.overdue(c, now_ms))
            .map(|c| c.id.clone())
            .collect();
        let mut late: Vec<(Callsign, bool)> = state
            .units
            .values()
            .filter_map(|u| match self.check_in(u, now_ms) {
                Some(crate::domain::safety::Check::Overdue(_)) => Some((u.callsign.clone(), false)),
                Some(crate::domain::safety::Check::Escalated(_)) => {
                    Some((u.callsign.clone(), true))
                }
                _ => None,
            })
            .collect();
        late.sort_by_key(|(u, escalated)| (!escalated, u.clone()));
        Alarms { waiting, late }
    }

    /// Selects the alarm after the selection's, round the list.
    fn next_alarm(&mut self) {
        let alarms = self.alarms(self.now_ms());
        let mut targets: Vec<(Option<CallId>, Option<Callsign>)> = alarms
            .waiting
            .iter()
            .map(|c| (Some(c.clone()), None))
            .collect();
        for (unit, _) in &alarms.late {
            let call = self.state().units.get(unit).and_then(|u| u.call.clone());
            targets.push((call, Some(unit.clone())));
        }
        if targets.is_empty() {
            self.ui.message = Some(Message {
                tone: Tone::Hint,
                text: "no alarms: no call waits too long and every check-in is on time".into(),
            });
            return;
        }
        // From the alarm visited last, while the selection is still on it; else the first.
        let call = self.selected_call().map(|c| c.id.clone());
        let unit = self.selected_unit().map(|u| u.callsign.clone());
        let at = self.ui.last_alarm.as_ref().and_then(|last| {
            let (c, u) = last;
            let still = (c.is_none() || *c == call) && (u.is_none() || *u == unit);
            targets.iter().position(|t| t == last).filter(|_| still)
        });
        let (to_call, to_unit) = targets[at.map_or(0, |i| (i + 1) % targets.len())].clone();
        self.ui.last_alarm = Some((to_call.clone(), to_unit.clone()));
        let what = match (&to_unit, &to_call) {
            (Some(u), _) => format!("{u} check-in late"),
            (None, Some(c)) => format!("{c} waiting long"),
            (None, None) => String::new(),
        };
        if to_call.is_some() {
            self.ui.call = to_call;
            self.chronology = None;
        }
        if to_unit.is_some() {
            self.ui.unit = to_unit;
        }
        self.ui.message = Some(Message {
            tone: Tone::Hint,
            text: format!("Alarm: {what}"),
        });
    }

    /// Handles one key press.
    pub fn key(&mut self, event: KeyEvent) {
        self.handle_key(event);
        self.keep_message();
    }

    fn handle_key(&mut self, event: KeyEvent) {
        if event.modifiers.contains(KeyModifiers::CONTROL) && event.code == KeyCode::Char('z') {
            self.ui.suspend = true;
            return;
        }
        if self.ui.triage.is_some() && self.ui.pending.is_empty() && self.triage_key(&event) {
            return;
        }
        let key = Key::from_event(&event);
        let mode = self.ui.mode;
        if self.ui.pending.is_empty() && self.builtin(mode, &event) {
            return;
        }
        let mut keys = std::mem::take(&mut self.ui.pending);
        keys.push(key);
        let found = match self.keymap.lookup(mode, &keys, &|f| self.flag(f)) {
            Lookup::Run(binding) => Some(binding.run.clone()),
            Lookup::Pending(_) => {
                self.ui.pending = keys;
                return;
            }
            Lookup::Unbound => None,
        };
        if let Some(run) = found {
            self.run(&run, false);
        }
    }

    /// Triage keys: a question's key focuses it, y/n/u (or a choice's number) answers the one in
    /// focus and moves on, Up/Down move, Esc or Enter stop. Other keys stop triage and go on.
    fn triage_key(&mut self, event: &KeyEvent) -> bool {
        let Some(call) = self.selected_call().map(|c| c.id.clone()) else {
            self.ui.triage = None;
            return false;
        };
        let questions = self.desk.policy().protocol.questions.clone();
        if questions.is_empty() {
            self.ui.triage = None;
            return false;
        }
        let at = self.ui.triage.unwrap_or(0).min(questions.len() - 1);
        let plain = !event
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        let answer = match event.code {
            KeyCode::Esc | KeyCode::Enter => {
                self.ui.triage = None;
                return true;
            }
            KeyCode::Down | KeyCode::Tab => {
                self.ui.triage = Some((at + 1) % questions.len());
                return true;
            }
            KeyCode::Up | KeyCode::BackTab => {
                self.ui.triage = Some((at + questions.len() - 1) % questions.len());
                return true;
            }
            KeyCode::Char(c) if plain => match c.to_ascii_lowercase() {
                'y' => "yes".to_owned(),
                'n' => "no".to_owned(),
                'u' | '?' => "unknown".to_owned(),
                d @ '1'..='9' => match &questions[at].kind {
                    crate::domain::triage::AnswerKind::Choice(choices) => {
                        match choices.get(usize::from(d as u8 - b'1')) {
                            Some(choice) => choice.clone(),
                            None => return true,
                        }
                    }
                    crate::domain::triage::AnswerKind::YesNo => return true,
                },
                other => {
                    if let Some(i) = questions
                        .iter()
                        .position(|q| q.key.eq_ignore_ascii_case(&other))
                    {
                        self.ui.triage = Some(i);
                    }
                    return true;
                }
            },
            _ => {
                self.ui.triage = None;
                return false;
            }
        };
        let line = format!("ask {call} {} {answer}", questions[at].id);
        self.run(&line, false);
        self.ui.triage = Some((at + 1) % questions.len());
        true
    }

    /// Line editing, form editing and help scrolling: keys the console handles itself.
    fn builtin(&mut self, mode: Mode, event: &KeyEvent) -> bool {
        let plain = !event
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if self.ui.score && self.scroll_score(event.code) {
            return true;
        }
        match mode {
            Mode::Command => self.edit_line(event, plain),
            Mode::Form => self.edit_form(event, plain),
            Mode::Help => {
                let step = match event.code {
                    KeyCode::Down => 1,
                    KeyCode::Up => -1,
                    KeyCode::PageDown => 10,
                    KeyCode::PageUp => -10,
                    _ => return false,
                };
                self.ui.help_scroll = self
                    .ui
                    .help_scroll
                    .saturating_add_signed(step)
                    .min(help::max_scroll(self));
                true
            }
            Mode::Normal | Mode::Trainer => false,
        }
    }

    /// Up/Down and PageUp/PageDown move the score's list of calls while it is shown.
    fn scroll_score(&mut self, code: KeyCode) -> bool {
        let Some(training) = &mut self.training else {
            return false;
        };
        let step: i64 = match code {
            KeyCode::Down => 1,
            KeyCode::Up => -1,
            KeyCode::PageDown => 10,
            KeyCode::PageUp => -10,
            _ => return false,
        };
        training.scroll_score(step);
        true
    }

    /// The line's own keys. Only plain keys edit: Ctrl-Home, Alt-Up and the like go to the
    /// keymap. A typed character after a refusal starts a new line.
    fn edit_line(&mut self, event: &KeyEvent, plain: bool) -> bool {
        // A Ctrl key the keymap binds is the keymap's (vim's Ctrl-C leaves the line).
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL)
            && !event.modifiers.contains(KeyModifiers::ALT)
            && self
                .keymap
                .lookup(Mode::Command, &[Key::from_event(event)], &|_| true)
                == Lookup::Unbound;
        let line = &mut self.ui.line;
        match event.code {
            KeyCode::Char(c) if plain => {
                if line.refused {
                    line.set("");
                }
                line.insert(c);
            }
            KeyCode::Char('a') if ctrl => line.cursor = 0,
            KeyCode::Char('e') if ctrl => line.cursor = line.text.len(),
            KeyCode::Char('u' | 'c') if ctrl => line.set(""),
            KeyCode::Char('w') if ctrl => line.delete_word(),
            _ if !plain => return false,
            KeyCode::Backspace => line.backspace(),
            KeyCode::Delete => line.delete(),
            KeyCode::Left => line.cursor = line.prev_boundary(),
            KeyCode::Right => line.cursor = line.next_boundary(),
            KeyCode::Home => line.cursor = 0,
            KeyCode::End => line.cursor = line.text.len(),
            KeyCode::Up => line.recall(true),
            KeyCode::Down => line.recall(false),
            KeyCode::Tab => {
                line.refused = false;
                line.cycle(false);
                return true;
            }
            KeyCode::BackTab => {
                line.refused = false;
                line.cycle(true);
                return true;
            }
            KeyCode::Enter => {
                let text = std::mem::take(&mut line.text);
                line.set("");
                if !text.trim().is_empty() {
                    self.run(&text, true);
                }
                self.refresh_candidates();
                return true;
            }
            _ => return false,
        }
        self.ui.line.refused = false;
        self.ui.message = None;
        self.refresh_candidates();
        true
    }

    fn edit_form(&mut self, event: &KeyEvent, plain: bool) -> bool {
        let form = &mut self.ui.form;
        let n = IntakeForm::LABELS.len();
        match event.code {
            KeyCode::Char(c) if plain => form.fields[form.focus].push(c),
            KeyCode::Backspace => {
                form.fields[form.focus].pop();
            }
            KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => form.focus = (form.focus + n - 1) % n,
            KeyCode::Enter => {
                match form.command() {
                    Ok(command) => {
                        let text = print(&command);
                        if self.execute(&command, &text) {
                            self.ui.line.remember(&text);
                            self.ui.form = IntakeForm::default();
                            self.ui.mode = self.ui.base_mode;
                        }
                    }
                    Err(e) => self.refuse(e),
                }
                return true;
            }
            _ => return false,
        }
        self.ui.message = None;
        true
    }

    /// Candidates for the word being typed: console commands too when it is the first word.
    fn refresh_candidates(&mut self) {
        let line = &self.ui.line;
        let typed = line.text[..line.cursor].trim_start_matches(':');
        // The desk's protocol, so `ask 5 ` offers its questions and their answers.
        let mut candidates =
            complete_with(typed, self.desk.state(), Some(&self.desk.policy().protocol));
        if !typed.contains(char::is_whitespace) {
            let word = typed.to_ascii_lowercase();
            candidates.extend(
                CONSOLE_COMMANDS
                    .iter()
                    .filter(|c| !word.is_empty() && c.name.starts_with(&word))
                    .map(|c| Candidate {
                        word: c.name.into(),
                        hint: c.doc.into(),
                    }),
            );
        }
        if typed.is_empty() {
            candidates.clear();
        }
        self.ui.line.candidates = candidates;
    }

    /// Runs one command line (typed, or a binding's `run`).
    pub fn run(&mut self, text: &str, typed: bool) {
        let selection = Selection {
            call: self.selected_call().map(|c| c.id.to_string()),
            unit: self.selected_unit().map(|u| u.callsign.to_string()),
        };
        if let Some(filled) = self.bare_ask(text, &selection) {
            // In a training run `ask w` with no answer asks the simulated caller, who answers
            // with the scenario's truth.
            if typed {
                self.ui.line.remember(text.trim());
            }
            let ok = self.trainee(&filled);
            if !ok && typed {
                self.ui.line.keep_refused(text);
            }
            return;
        }
        match read_line(text, &selection, self.desk.state()) {
            Ok(Line::Console(action)) => {
                if typed {
                    self.ui.line.remember(text.trim());
                }
                self.act(action);
            }
            Ok(Line::Desk {
                command,
                text: full,
                filled,
            }) => {
                if typed {
                    self.ui.line.remember(text.trim());
                }
                let ok = self.execute(&command, &full);
                if ok {
                    self.say_selection_used(&filled);
                }
                if !ok && typed {
                    // Keep the refused line for editing.
                    self.ui.line.keep_refused(text);
                } else if ok && typed && self.keymap.start() == Mode::Normal {
                    self.ui.mode = Mode::Normal;
                }
            }
            Err(reason) => {
                if typed {
                    self.ui.line.keep_refused(text);
                }
                self.refuse(reason);
            }
        }
    }

    /// When the selection supplied the call, the confirmation says which call that was, so a
    /// bare `dp STAR-5` never goes somewhere unseen.
    fn say_selection_used(&mut self, filled: &[String]) {
        let Some(id) = filled.iter().find_map(|f| f.strip_prefix("call ")) else {
            return;
        };
        let Some(call) = id
            .parse::<CallId>()
            .ok()
            .and_then(|id| self.state().calls.get(&id))
        else {
            return;
        };
        let kind = call.call_type.map_or("call", |t| t.word());
        let text = format!(
            " (selected call {}: P{} {kind}, {})",
            call.id, call.priority, call.location
        );
        if let Some(m) = self.ui.message.as_mut().filter(|m| m.tone == Tone::Done) {
            m.text.push_str(&text);
        }
    }

    /// `ask CALL QUESTION` with no answer, the call filled from the selection, during a live
    /// training run.
    fn bare_ask(&self, text: &str, selection: &Selection) -> Option<String> {
        if self.training.as_ref().is_none_or(Training::ended) {
            return None;
        }
        let line = text.trim().trim_start_matches(':').trim_start();
        let filled = super::command::fill_selection(line, selection, self.desk.state()).ok()?;
        crate::sim::scenario::is_bare_ask(&filled).then_some(filled)
    }

    /// A trainee's line in a training run, through the world's bookkeeping; true when it was
    /// committed or answered.
    fn trainee(&mut self, line: &str) -> bool {
        let Some(training) = &mut self.training else {
            return false;
        };
        match training.sim.trainee_line(&mut self.desk, line) {
            Ok(Said::Committed(events)) => {
                let command = crate::command::parse(line).ok();
                self.committed(command.as_ref(), &events, line);
                true
            }
            Ok(Said::Answered(lines)) => {
                self.ui.message = Some(Message {
                    tone: Tone::Hint,
                    text: lines.join("  |  "),
                });
                true
            }
            Ok(Said::Refused(why)) => {
                self.refuse(why);
                false
            }
            Err(e) => {
                self.refuse(format!("nothing was saved: {e}"));
                false
            }
        }
    }

    /// Sends a command to the desk; true when it was committed (or, for a query, answered).
    fn execute(&mut self, command: &Command, text: &str) -> bool {
        if let Some(answer) = self.desk.query(command) {
            return match answer {
                Ok(lines) => {
                    self.ui.message = Some(Message {
                        tone: Tone::Hint,
                        text: lines.join("  |  "),
                    });
                    true
                }
                Err(refusal) => {
                    self.refuse(refusal.to_string());
                    false
                }
            };
        }
        if self.training.as_ref().is_some_and(|t| !t.ended()) {
            return self.trainee(text);
        }
        match self.desk.execute(command) {
            Ok(events) => {
                if let Some(world) = &mut self.world {
                    world.follow(&self.desk, &events);
                }
                self.committed(Some(command), &events, text);
                true
            }
            Err(DeskError::Store(e)) => {
                self.refuse(format!("nothing was saved: {e}"));
                false
            }
            Err(e) => {
                self.refuse(e.to_string());
                false
            }
        }
    }

    /// After a commit: the selection follows the work, caches refresh, and the line says what
    /// was done.
    fn committed(&mut self, command: Option<&Command>, events: &[Event], text: &str) {
        {
            {
                let said: Vec<String> = events
                    .iter()
                    .filter(|e| !e.body.is_bookkeeping())
                    .map(|e| e.body.describe())
                    .collect();
                // The selection follows what the dispatcher just worked on, so the next key
                // (F7 after F5, say) acts on the same unit and call even if the lists re-sort.
                for e in events {
                    match &e.body {
                        Body::CallCreated { call, .. }
                            if self.ui.call.is_none()
                                || matches!(command, Some(Command::TakeCall(_))) =>
                        {
                            self.ui.call = Some(call.clone());
                        }
                        Body::UnitDispatched { unit, call, .. } => {
                            self.ui.unit = Some(unit.clone());
                            self.ui.call = Some(call.clone());
                        }
                        Body::UnitStatusChanged { unit, .. } | Body::UnitAdded { unit, .. } => {
                            self.ui.unit = Some(unit.clone());
                        }
                        _ => {}
                    }
                }
                self.chronology = None;
                if let Some(metrics) = &mut self.metrics {
                    for e in events {
                        metrics.add(e);
                    }
                }
                self.ui.message = Some(Message {
                    tone: Tone::Done,
                    text: said.join("; "),
                });
                tracing::debug!(command = text, "committed");
            }
        }
    }

    fn refuse(&mut self, text: String) {
        self.ui.message = Some(Message {
            tone: Tone::Refusal,
            text,
        });
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Quit => self.ui.quit = true,
            Action::Help => {
                self.ui.mode = if self.ui.mode == Mode::Help {
                    self.ui.base_mode
                } else {
                    Mode::Help
                };
                self.ui.help_scroll = 0;
            }
            Action::Peers => {
                let text = self.peers_in_words();
                self.ui.message = Some(Message {
                    tone: Tone::Hint,
                    text,
                });
            }
            Action::Map(step) => self.ui.map.apply(step),
            Action::Alarm => self.next_alarm(),
            Action::Messages => self.ui.messages_open = !self.ui.messages_open,
            Action::Dashboard => {
                if self.ui.dashboard {
                    self.ui.dashboard = false;
                } else {
                    self.open_dashboard();
                }
            }
            Action::Triage => {
                if let Some(call) = self.selected_call() {
                    let questions = &self.desk.policy().protocol.questions;
                    let first_open = questions
                        .iter()
                        .position(|q| !call.answers.contains_key(&q.id));
                    self.ui.triage = Some(first_open.unwrap_or(0));
                    self.ui.message = Some(Message {
                        tone: Tone::Hint,
                        text: "Triage: a question's key picks it; y yes, n no, u unknown; Esc when done".into(),
                    });
                } else {
                    self.refuse("no call selected to triage".into());
                }
            }
            Action::Intake => {
                self.ui.form = IntakeForm::default();
                self.ui.mode = Mode::Form;
            }
            Action::SelectCall(dir) => {
                self.ui.triage = None;
                let queue = self.state().queue();
                let rows = match self.ui.queue_rows.get() {
                    0 => usize::MAX,
                    rows => rows,
                };
                let (shown, _) = queue_order(&queue, rows);
                let ids: Vec<CallId> = shown.iter().map(|c| c.id.clone()).collect();
                let current = self.selected_call().map(|c| c.id.clone());
                self.ui.call = step(&ids, current.as_ref(), dir);
                self.chronology = None;
            }
            Action::SelectUnit(dir) => {
                let units: Vec<Callsign> =
                    self.roster().iter().map(|u| u.callsign.clone()).collect();
                let current = self.selected_unit().map(|u| u.callsign.clone());
                self.ui.unit = step(&units, current.as_ref(), dir);
            }
            Action::CommandLine(text) => {
                self.ui.mode = Mode::Command;
                let text = if text.is_empty() {
                    text
                } else {
                    format!("{text} ")
                };
                self.ui.line.set(&text);
                self.refresh_candidates();
            }
            Action::Cancel => {
                if self.ui.score {
                    self.ui.score = false;
                } else if self.ui.messages_open {
                    self.ui.messages_open = false;
                } else if self.ui.dashboard {
                    self.ui.dashboard = false;
                } else if self.ui.map.open {
                    self.ui.map.open = false;
                } else if matches!(self.ui.mode, Mode::Help | Mode::Form | Mode::Trainer) {
                    self.ui.mode = self.ui.base_mode;
                } else if !self.ui.line.text.is_empty() || self.ui.message.is_some() {
                    self.ui.line.set("");
                    self.ui.message = None;
                    self.refresh_candidates();
                } else {
                    self.ui.mode = self.keymap.start();
                }
            }
            Action::Normal => {
                self.ui.mode = Mode::Normal;
                self.ui.base_mode = Mode::Normal;
            }
            Action::Redraw => self.ui.repaint = true,
            Action::Trainer => {
                if self.trainer("trainer").is_some() {
                    self.ui.mode = Mode::Trainer;
                    self.ui.message = Some(Message {
                        tone: Tone::Hint,
                        text: "Trainer keys: the clock and scripted events; Esc to leave".into(),
                    });
                }
            }
            Action::SimPause => {
                if let Some(training) = self.trainer("sim-pause") {
                    training.paused = !training.paused;
                    let text = if training.paused {
                        "Training clock paused"
                    } else {
                        "Training clock running"
                    };
                    self.ui.message = Some(Message {
                        tone: Tone::Done,
                        text: text.into(),
                    });
                }
            }
            Action::SimFaster => self.set_speed("sim-faster", 2.0),
            Action::SimSlower => self.set_speed("sim-slower", 0.5),
            Action::SimInject => {
                if self.trainer("sim-inject").is_none() {
                    return;
                }
                if let Some(training) = &mut self.training {
                    let injected = training.sim.inject(&mut self.desk);
                    let news = training.sim.take_news();
                    match injected {
                        Ok(Some(what)) => {
                            self.world_moved();
                            self.ui.bell |= news.rings > 0;
                            self.ui.message = Some(Message {
                                tone: Tone::Done,
                                text: format!("Injected: {what}"),
                            });
                        }
                        Ok(None) => {
                            self.refuse("nothing scripted is left to inject".into());
                        }
                        Err(e) => self.refuse(format!("the simulation could not inject: {e}")),
                    }
                }
            }
            Action::SimEnd => {
                if self.trainer("sim-end").is_some() {
                    self.end_training();
                }
            }
        }
        if matches!(self.ui.mode, Mode::Normal | Mode::Command) {
            self.ui.base_mode = self.ui.mode;
        }
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
        .filter(|c| c.status == crate::domain::CallStatus::Pending && !c.awaits_disposition())
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
