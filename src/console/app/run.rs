//! Running a command line: read it, send it to the desk (or the training run), and say what
//! was done or why not.

use crate::desk::DeskError;
use crate::domain::{Body, CallId, Command, Event};

use crate::console::command::{read_line, Line, Selection};
use crate::console::keymap::Mode;

use super::{App, Message, Tone};

impl App {
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
    pub(super) fn say_selection_used(&mut self, filled: &[String]) {
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

    /// Sends a command to the desk; true when it was committed (or, for a query, answered).
    pub(super) fn execute(&mut self, command: &Command, text: &str) -> bool {
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
    pub(super) fn committed(&mut self, command: Option<&Command>, events: &[Event], text: &str) {
        // A call this console took rings nothing here.
        self.took(events.iter().filter_map(|e| match &e.body {
            crate::domain::Body::CallCreated { call, .. } => Some(call.clone()),
            _ => None,
        }));
        {
            {
                let mut said: Vec<String> = events
                    .iter()
                    .filter(|e| !e.body.is_bookkeeping())
                    .map(|e| e.body.describe())
                    .collect();
                // A call just taken that may repeat an open one says so at once, with the
                // command that merges it, before a second team is sent.
                for e in events {
                    let Body::CallCreated { call, .. } = &e.body else {
                        continue;
                    };
                    let Some(new) = self.desk.state().calls.get(call) else {
                        continue;
                    };
                    let dups =
                        crate::domain::duplicates::possible_duplicates(self.desk.state(), new);
                    if let Some((earlier, why)) = dups.first() {
                        let state = self.desk.state();
                        let (a, b) = (
                            crate::domain::planning::short_name(state, call),
                            crate::domain::planning::short_name(state, earlier),
                        );
                        // First on the line, where a narrow terminal cannot cut it off.
                        said.insert(
                            0,
                            format!("possible duplicate of {earlier} ({why}): merge {a} {b}"),
                        );
                    }
                }
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
                self.follow_figures(events);
                self.ui.message = Some(Message {
                    tone: Tone::Done,
                    text: said.join("; "),
                });
                tracing::debug!(command = text, "committed");
            }
        }
    }
}
