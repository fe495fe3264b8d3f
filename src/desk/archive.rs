//! Letting closed calls go from memory, and reading them back (issue 13: history stays on
//! disk; see `domain::state::archive` for what is let go and what stays, and
//! `store::archive` for how the records are kept).
//!
//! A local desk lets calls go when it writes a checkpoint: the records first, durably, under a
//! new generation, then the checkpoint naming that generation, then the records it no longer
//! reads are removed. Before it folds an event, plans a command or answers a query, it reads
//! back every let-go call the event or command names, so the fold and the planner see what
//! they always saw. A desk attached to `serve` keeps the serving desk's traces; when an event
//! names a call it holds only as a trace, it takes the serving desk's fold again, which has
//! the call in it (the serving desk read it back to fold that event).

use super::{Book, Desk};
use crate::domain::command::Names;
use crate::domain::{CallId, Command, Event, State};
use crate::store::{Store, StoreError, StoreKind};

/// A closed call stays in memory a day after it closed: the shift's own closed calls are
/// read, reopened and noted far more than older ones.
pub const KEPT_CLOSED_MS: i64 = 24 * 60 * 60 * 1000;

/// Calls let go per durable step.
const LET_GO_STEP: usize = 2048;

/// Reads the let-go calls `ids` back into `state` from their records.
pub(super) fn take_back_into(
    store: &Store,
    state: &mut State,
    ids: &[CallId],
) -> Result<(), String> {
    for id in ids {
        let Some(generation) = state
            .let_go_calls()
            .get(id)
            .map(crate::domain::Trace::generation)
        else {
            continue;
        };
        let bytes = store
            .record(id, generation)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the store holds no readable record of call {id}"))?;
        let record = rmp_serde::from_slice(&bytes)
            .map_err(|e| format!("the record of call {id} does not decode ({e})"))?;
        state.take_back(record)?;
    }
    Ok(())
}

/// The let-go calls an event names.
pub(super) fn let_go_in(state: &State, e: &Event) -> Vec<CallId> {
    e.body
        .calls()
        .into_iter()
        .filter(|c| state.is_let_go(c))
        .cloned()
        .collect()
}

impl Desk {
    /// Reads back the let-go calls `e` names before it is folded. A desk attached to `serve`
    /// cannot: it says so (`true`), to take the serving desk's fold again once it has folded.
    pub(super) fn take_back_named(&mut self, e: &Event) -> Result<bool, StoreError> {
        let ids = let_go_in(&self.state, e);
        if ids.is_empty() {
            return Ok(false);
        }
        if matches!(self.book, Book::Attached(_)) {
            return Ok(true);
        }
        self.take_back(&ids)?;
        Ok(false)
    }

    /// Reads back the let-go calls a command names, before it is planned or answered.
    pub(super) fn take_back_for(&mut self, command: &Command) -> Result<(), StoreError> {
        let ids: Vec<CallId> = match command.calls_named() {
            Names::Every => self.state.let_go_calls().keys().cloned().collect(),
            Names::Calls(typed) => typed
                .into_iter()
                .filter_map(|t| self.state.let_go_named(t))
                .collect(),
        };
        self.take_back(&ids)
    }

    /// Reads back every let-go call: for what reads the whole history from the state (an
    /// export, `state --json`, `verify`).
    pub fn take_back_all(&mut self) -> Result<(), StoreError> {
        if self.state.let_go_calls().is_empty() {
            return Ok(());
        }
        if matches!(self.book, Book::Attached(_)) {
            // It holds no records: it folds the serving desk's log itself.
            let mut state = State::fold(self.events()?);
            state.set_known(self.state.known().clone());
            self.state = state;
            return Ok(());
        }
        let ids: Vec<CallId> = self.state.let_go_calls().keys().cloned().collect();
        self.take_back(&ids)
    }

    /// Reads back one let-go call named as a dispatcher types it (an id or its number).
    pub fn take_back_typed(&mut self, typed: &str) -> Result<(), StoreError> {
        let ids: Vec<CallId> = self.state.let_go_named(typed).into_iter().collect();
        self.take_back(&ids)
    }

    fn take_back(&mut self, ids: &[CallId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        // An attached desk answers from the serving desk's fold, which keeps them as traces
        // until a change there reads them back.
        let Book::Local(store) = &self.book else {
            return Ok(());
        };
        if let Err(why) = take_back_into(store, &mut self.state, ids) {
            // The records are a cache of the log: the log has everything they held.
            tracing::warn!(%why, "folding the whole log: a let-go call could not be read back");
            self.fold_all()?;
        }
        Ok(())
    }

    /// Removes the records the state's traces do not name, when the checkpoint just written
    /// is the only one kept (after a full fold).
    pub(super) fn prune_records(&self) {
        let Book::Local(store) = &self.book else {
            return;
        };
        let traces = self.state.let_go_calls();
        let named = |id: &CallId, at: u64| traces.get(id).is_some_and(|t| t.generation() == at);
        match store.prune_records(named) {
            Ok(0) => {}
            Ok(n) => tracing::info!(n, "removed records no checkpoint names"),
            Err(e) => tracing::warn!(%e, "could not remove records no checkpoint names"),
        }
    }

    /// Lets go of the calls closed more than [`KEPT_CLOSED_MS`] ago that nothing open bears
    /// on, their records written durably first. A training store keeps every call: a
    /// simulation's score reads them all. One that cannot be written stays in memory, and the
    /// next checkpoint tries again: nothing is lost.
    pub(super) fn let_go_closed(&mut self) {
        let Book::Local(store) = &self.book else {
            return;
        };
        if store.kind() == StoreKind::Training {
            return;
        }
        let ids = self
            .state
            .may_let_go(self.clock.now_ms().saturating_sub(KEPT_CLOSED_MS));
        let mut generation = None;
        // In steps, each durable before its calls leave memory: letting go of years of calls
        // at once (the first open of a new build) never holds them all twice.
        for step in ids.chunks(LET_GO_STEP) {
            let mut records = Vec::with_capacity(step.len());
            for id in step {
                // Positional, without field names: a record is read back only by the build
                // that wrote it (a checkpoint, and so its traces, is only used by its build).
                let Some(record) = self.state.record_of(id) else {
                    continue;
                };
                let bytes = match rmp_serde::to_vec(&record) {
                    Ok(bytes) => bytes,
                    Err(e) => return tracing::warn!(%e, "a call's record could not be encoded"),
                };
                // Let go before, unchanged since (a full fold read it back): that record will do.
                match store.latest_record(id) {
                    Ok(Some((at, kept))) if kept == bytes => self.state.let_go(id, at),
                    _ => records.push((id.clone(), bytes)),
                }
            }
            if records.is_empty() {
                continue;
            }
            let written = match generation {
                Some(g) => Ok(g),
                None => store.new_generation(),
            }
            .and_then(|g| store.keep_records(g, &records).map(|()| g));
            let g = match written {
                Ok(g) => g,
                Err(e) => return tracing::warn!(%e, "could not write the records of closed calls"),
            };
            generation = Some(g);
            for (id, _) in &records {
                self.state.let_go(id, g);
            }
        }
    }
}
