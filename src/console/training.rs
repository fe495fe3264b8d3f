//! A training run in the console: the scenario's world stepped by a simulated clock that the
//! run loop advances by real time × speed, and the trainer's controls over that clock.

use std::path::PathBuf;

use crate::sim::{Score, Simulation};

/// The clock never runs slower or faster than this (× real time).
pub const MIN_SPEED: f64 = 0.125;
pub const MAX_SPEED: f64 = 16_384.0;

pub struct Training {
    pub sim: Simulation,
    /// Simulated milliseconds per real millisecond.
    pub speed: f64,
    pub paused: bool,
    /// Simulated milliseconds owed but not yet a whole millisecond.
    carry: f64,
    /// Where `--report` writes the score.
    pub report: Option<PathBuf>,
    /// Set when the run ended (the shift's end or `sim-end`).
    pub score: Option<Score>,
    /// The report was written (or failed to be), so quitting does not write it again.
    pub reported: bool,
    /// The first call the score's list shows.
    pub score_scroll: usize,
}

impl Training {
    pub fn new(sim: Simulation, speed: f64, report: Option<PathBuf>) -> Training {
        Training {
            sim,
            speed: speed.clamp(MIN_SPEED, MAX_SPEED),
            paused: false,
            carry: 0.0,
            report,
            score: None,
            reported: false,
            score_scroll: 0,
        }
    }

    pub fn ended(&self) -> bool {
        self.score.is_some()
    }

    /// The simulated time `real_ms` of real time is worth now: nothing while paused or over.
    pub(crate) fn due(&mut self, real_ms: u64) -> i64 {
        if self.paused || self.ended() {
            return 0;
        }
        let owed = real_ms as f64 * self.speed + self.carry;
        let whole = owed.floor();
        self.carry = owed - whole;
        whole as i64
    }

    /// Moves the score's list of calls by `step`, never past its first or its last call.
    pub fn scroll_score(&mut self, step: i64) {
        let last = self
            .score
            .as_ref()
            .map_or(0, |s| s.calls.len().saturating_sub(1));
        let to = (self.score_scroll as i64 + step).clamp(0, last as i64);
        self.score_scroll = to as usize;
    }

    /// `×4`, `×0.5`; `x` in ASCII.
    pub fn speed_label(&self, ascii: bool) -> String {
        format!("{}{}", if ascii { "x" } else { "×" }, self.speed)
    }
}
