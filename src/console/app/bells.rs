//! The bell: rung once for each kind of thing a person must notice that was not there at the
//! last look — a call this console did not take, a P1, a pending call past its limit, a missed
//! check-in, a conflict, a peer down, a unit past its status timer — for the kinds `config.toml` lists (`[alarms] bell`), with
//! the status bar flashed for a second when `flash` is set. What was there when the console
//! opened, and what this console did itself, rings nothing.

use std::collections::BTreeSet;

use crate::config::Ring;
use crate::desk::attach::LinkState;
use crate::domain::{CallId, Callsign};

use super::App;

/// How long a flash lasts.
const FLASH_MS: i64 = 1_000;

/// What the bell has already been rung for, and which kinds ring.
#[derive(Clone, Debug)]
pub struct Bells {
    kinds: BTreeSet<Ring>,
    flash: bool,
    primed: bool,
    calls: BTreeSet<CallId>,
    waiting: BTreeSet<CallId>,
    late: BTreeSet<Callsign>,
    timers: BTreeSet<(Callsign, crate::domain::UnitStatus)>,
    alerts: BTreeSet<(crate::domain::ReplicaId, u64)>,
    down: BTreeSet<String>,
}

impl Default for Bells {
    fn default() -> Self {
        Bells::new(&Ring::ALL, false)
    }
}

impl Bells {
    pub fn new(kinds: &[Ring], flash: bool) -> Bells {
        Bells {
            kinds: kinds.iter().copied().collect(),
            flash,
            primed: false,
            calls: BTreeSet::new(),
            waiting: BTreeSet::new(),
            late: BTreeSet::new(),
            timers: BTreeSet::new(),
            alerts: BTreeSet::new(),
            down: BTreeSet::new(),
        }
    }
}

impl App {
    /// Which kinds ring the bell, and whether it flashes too (`[alarms]` in `config.toml`).
    #[must_use]
    pub fn ringing(mut self, kinds: &[Ring], flash: bool) -> App {
        self.bells = Bells::new(kinds, flash);
        self
    }

    /// Calls this console took itself: known, so they ring nothing.
    pub(super) fn took(&mut self, calls: impl IntoIterator<Item = CallId>) {
        self.bells.calls.extend(calls);
    }

    /// Looks for what is new since the last look and rings once for it; the first look only
    /// learns what is already there.
    pub fn listen(&mut self, now_ms: i64) {
        let alarms = self.alarms(now_ms);
        let state = self.desk.state();
        let mut rung: Vec<Ring> = Vec::new();
        let b = &mut self.bells;
        let mut new_calls = Vec::new();
        for c in state.calls.values().filter(|c| c.is_open()) {
            if b.calls.insert(c.id.clone()) {
                new_calls.push(c.priority.get());
            }
        }
        if new_calls.contains(&1) {
            rung.push(Ring::P1);
        }
        if !new_calls.is_empty() {
            rung.push(Ring::NewCall);
        }
        let waiting: BTreeSet<CallId> = alarms.waiting.iter().cloned().collect();
        if waiting.difference(&b.waiting).next().is_some() {
            rung.push(Ring::Waiting);
        }
        b.waiting = waiting;
        let late: BTreeSet<Callsign> = alarms.late.iter().map(|(u, _)| u.clone()).collect();
        if late.difference(&b.late).next().is_some() {
            rung.push(Ring::CheckIn);
        }
        b.late = late;
        // A unit rings again when it runs past the timer of another status.
        let timers: BTreeSet<_> = alarms
            .timers
            .iter()
            .map(|(u, t)| (u.clone(), t.status))
            .collect();
        if timers.difference(&b.timers).next().is_some() {
            rung.push(Ring::UnitTimer);
        }
        b.timers = timers;
        let alerts: BTreeSet<_> = state.open_alerts().map(|a| (a.origin, a.seq)).collect();
        if alerts.difference(&b.alerts).next().is_some() {
            rung.push(Ring::Conflict);
        }
        b.alerts = alerts;
        let down: BTreeSet<String> = self.board.as_ref().map_or_else(BTreeSet::new, |board| {
            board
                .peers
                .iter()
                .filter(|p| p.state == LinkState::Down)
                .map(|p| p.name.clone())
                .collect()
        });
        if down.difference(&b.down).next().is_some() {
            rung.push(Ring::PeerDown);
        }
        b.down = down;
        if !std::mem::replace(&mut b.primed, true) {
            return;
        }
        if rung.iter().any(|r| b.kinds.contains(r)) {
            self.ui.bell = true;
            if b.flash {
                self.ui.flash_until_ms = now_ms + FLASH_MS;
            }
        }
    }
}
