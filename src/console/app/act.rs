//! The console's own commands (help, selection, overlays, trainer keys): what each one does to
//! the screen.

use crate::console::command::Action;
use crate::console::keymap::Mode;
use crate::domain::{CallId, Callsign};

use super::{queue_order, step, App, IntakeForm, Message, Tone};

impl App {
    pub(super) fn act(&mut self, action: Action) {
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
            Action::Who => {
                let text = self.who_in_words();
                self.ui.message = Some(Message {
                    tone: Tone::Hint,
                    text,
                });
            }
            Action::Map(step) => self.ui.map.apply(step),
            Action::Alarm => self.next_alarm(),
            Action::Messages => self.ui.messages_open = !self.ui.messages_open,
            Action::Details => {
                self.ui.details_open = !self.ui.details_open;
                self.ui.details_scroll = 0;
            }
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
                } else if self.ui.details_open {
                    self.ui.details_open = false;
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
