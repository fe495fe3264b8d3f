//! A training run or a world driving this console: the clock, the world's news, the trainer's
//! keys, and the score at the end.

use crossterm::event::KeyCode;

use crate::console::command::Selection;
use crate::console::training::{Training, MAX_SPEED, MIN_SPEED};
use crate::sim::Said;

use super::{App, Message, Tone};

impl App {
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

    pub(super) fn time_passed(&mut self, real_ms: u64) {
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
    pub(super) fn step_world(&mut self, real_ms: u64) {
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
    pub(super) fn hear(&mut self, news: &crate::sim::News) {
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
    pub(super) fn world_moved(&mut self) {
        self.chronology = None;
        if self.metrics.take().is_some() && self.ui.dashboard {
            self.open_dashboard();
        }
    }

    /// Ends the training run: scores it, writes `--report`, and shows the score.
    pub(super) fn end_training(&mut self) {
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
    pub(super) fn trainer(&mut self, name: &str) -> Option<&mut Training> {
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

    pub(super) fn set_speed(&mut self, name: &str, factor: f64) {
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

    /// Up/Down and PageUp/PageDown move the score's list of calls while it is shown.
    pub(super) fn scroll_score(&mut self, code: KeyCode) -> bool {
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

    /// `ask CALL QUESTION` with no answer, the call filled from the selection, during a live
    /// training run.
    pub(super) fn bare_ask(&self, text: &str, selection: &Selection) -> Option<String> {
        if self.training.as_ref().is_none_or(Training::ended) {
            return None;
        }
        let line = text.trim().trim_start_matches(':').trim_start();
        let filled =
            crate::console::command::fill_selection(line, selection, self.desk.state()).ok()?;
        crate::sim::scenario::is_bare_ask(&filled).then_some(filled)
    }

    /// A trainee's line in a training run, through the world's bookkeeping; true when it was
    /// committed or answered.
    pub(super) fn trainee(&mut self, line: &str) -> bool {
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
}
