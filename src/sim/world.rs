//! A world that drives a desk along a clock: a training scenario's shift, or the demo's live
//! centre. It speaks only the command language, through the desk, like a person at a console;
//! what it does is booked on an [`Agenda`](super::agenda::Agenda) and done at its time.
//!
//! The console steps a world by the real time that goes by (× a speed in training): before each
//! draw and each key, `advance_to` does what fell due, so a key acts at the world's present. A
//! headless run or a history fill calls `advance_to` once, as fast as the store commits.

use crate::desk::Desk;
use crate::domain::Event;

use super::SimError;

pub trait World {
    /// The world's time now, in wall milliseconds.
    fn now_ms(&self) -> i64;

    /// Moves the world's clock on to `ms`, doing everything due on the way at its own time.
    fn advance_to(&mut self, desk: &mut Desk, ms: i64) -> Result<(), SimError>;

    /// A person at the console committed `events`: the world follows them (a team someone
    /// dispatched starts moving; a status set by hand takes the team over).
    fn follow(&mut self, desk: &Desk, events: &[Event]);

    /// What the person at the console should hear about since the last time this was asked.
    fn take_news(&mut self) -> News;
}

/// What a world tells the person at the console.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct News {
    /// Lines for the message line, oldest first: calls ringing, call-backs, radio, teams out
    /// of service.
    pub lines: Vec<String>,
    /// Phones that rang (new calls, call-backs): the console rings the terminal's bell.
    pub rings: usize,
}

impl News {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.rings == 0
    }

    pub fn say(&mut self, line: String) {
        self.lines.push(line);
    }

    /// A phone rang, and this is what the person hears.
    pub fn ring(&mut self, line: String) {
        self.rings += 1;
        self.lines.push(line);
    }
}
