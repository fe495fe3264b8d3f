//! Opening from a checkpoint of the fold, and writing one: what it holds, when it is used and
//! when the whole log is folded instead, and `verify`, which checks both against each other.

use super::{Book, Desk, SystemClock};
use crate::domain::{Applied, Event, State};
use crate::store::checkpoint::Found;
use crate::store::{Store, StoreError};

/// What a desk writes in its checkpoint: the fold. Its indices over the log (each call's
/// events, each request's) are the store's, written with the events (`store/index.rs`).
#[derive(serde::Serialize)]
pub(super) struct Kept<'a> {
    state: crate::domain::Snapshot<'a>,
}

/// A [`Kept`] read back. (A checkpoint from before the store's indices also carries them; the
/// fields it names that this one does not are skipped.)
#[derive(serde::Deserialize)]
pub(super) struct Resumed {
    state: crate::domain::Checkpoint,
}

/// Why a desk did not fold from the store's checkpoint.
#[derive(Debug)]
pub(super) enum Unused {
    /// None there, or one it may not use with nothing wrong in it (another build's, one a
    /// late event sorts before).
    Stale(String),
    /// A damaged one, or one that is not the fold of the events it names.
    Wrong(String),
}

impl std::fmt::Display for Unused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unused::Stale(why) | Unused::Wrong(why) => f.write_str(why),
        }
    }
}

/// What `switchboard verify` found.
#[derive(Debug)]
pub struct Verified {
    pub events: u64,
    pub origins: usize,
    /// What became of the checkpoint; `Err` when it was wrong (damaged, or not the fold of its
    /// events). Either way a new one, from the full fold, replaced it.
    pub checkpoint: Result<String, String>,
    /// What became of the store's indices over the log; `Err` when they were wrong. Either
    /// way they now match the log.
    pub indices: Result<String, String>,
}

impl Desk {
    /// Writes a checkpoint every `every` events (`None`: only on close), instead of every
    /// [`CHECKPOINT_EVERY`].
    #[must_use]
    pub fn with_checkpoint_every(mut self, every: Option<u64>) -> Self {
        self.checkpoint_every = every;
        self
    }

    /// Folds the log again (at open, and after an event from a peer sorts before ones already
    /// folded): from the store's checkpoint and the tail after it when the checkpoint holds,
    /// else the whole log, writing a new checkpoint.
    pub(super) fn refold(&mut self) -> Result<(), StoreError> {
        self.refold_after(None)
    }

    /// [`Desk::refold`] after a late event whose fold key is `earliest`: folded from the newest
    /// kept checkpoint it sorts after, or the whole log when it sorts before them all.
    pub(super) fn refold_after(
        &mut self,
        earliest: Option<crate::domain::event::FoldKey>,
    ) -> Result<(), StoreError> {
        let Book::Local(store) = &mut self.book else {
            // It holds no log to fold: it takes up the serving desk's fold again, which has
            // the late event in it already.
            if !self.heads().is_empty() {
                self.take_image_again()?;
            }
            return Ok(());
        };
        if store.unchecked() {
            // After an unclean shutdown the whole log verifies once before it is trusted.
            store.verify()?;
        }
        // A store from before the indices is indexed once, before anything reads them.
        store.index_history()?;
        match self.resume(earliest)? {
            Ok(tail) => {
                if self.checkpoint_every.is_some_and(|every| tail >= every) {
                    self.write_checkpoint();
                }
                return Ok(());
            }
            Err(why) => {
                tracing::info!(%why, "folding the whole log: the checkpoint is not used");
            }
        }
        self.fold_all()?;
        self.resumed_from = None;
        if self.event_count() > 0 {
            // None of the kept ones could be used (another build's, damaged, or older than
            // a late event): they go, and the records only they named with them.
            if let Book::Local(store) = &self.book {
                store.discard_checkpoint();
            }
            self.write_checkpoint();
            self.prune_records();
        }
        Ok(())
    }

    /// How many events the checkpoint the last fold (at open, or after a late event) took up
    /// from covered; `None` when it folded the whole log.
    pub fn resumed_from(&self) -> Option<u64> {
        self.resumed_from
    }

    /// Takes up the fold from the newest kept checkpoint that may be used (one every event
    /// after `earliest` sorts after) and folds the tail after it; returns how many events that
    /// was, or why no checkpoint can be used (a wrong one said first). A tail that does not
    /// verify is an error: the log is damaged.
    pub(super) fn resume(
        &mut self,
        earliest: Option<crate::domain::event::FoldKey>,
    ) -> Result<Result<u64, Unused>, StoreError> {
        let (mut wrong, mut stale) = (None, None);
        for nth in 0..crate::store::checkpoint::KEPT {
            match self.resume_from(nth, earliest)? {
                Ok(tail) => {
                    if let (Book::Local(store), true) = (&self.book, nth > 0) {
                        store.discard_newer_checkpoints(nth);
                    }
                    return Ok(Ok(tail));
                }
                Err(Unused::Wrong(why)) => {
                    tracing::warn!(nth, %why, "a kept checkpoint is not used");
                    wrong = wrong.or(Some(Unused::Wrong(why)));
                }
                Err(why) => stale = stale.or(Some(why)),
            }
        }
        Ok(Err(wrong
            .or(stale)
            .unwrap_or_else(|| Unused::Stale("there is none".into()))))
    }

    /// [`Desk::resume`] from the `nth` newest kept checkpoint only.
    pub(super) fn resume_from(
        &mut self,
        nth: usize,
        earliest: Option<crate::domain::event::FoldKey>,
    ) -> Result<Result<u64, Unused>, StoreError> {
        let Book::Local(store) = &self.book else {
            return Ok(Err(Unused::Stale(
                "an attached desk keeps no checkpoint".into(),
            )));
        };
        let (heads, kept) = match store.read_checkpoint_nth::<Resumed>(nth) {
            Found::Missing => return Ok(Err(Unused::Stale("there is none".into()))),
            Found::Unusable(why) => return Ok(Err(Unused::Stale(why))),
            Found::Damaged(why) => {
                tracing::warn!(%why, "the checkpoint is damaged; folding the whole log");
                return Ok(Err(Unused::Wrong(why)));
            }
            Found::Usable { heads, value } => (heads, value),
        };
        if earliest.is_some_and(|late| kept.state.last_key().is_some_and(|at| late < at)) {
            return Ok(Err(Unused::Stale("a late event sorts before it".into())));
        }
        let covers = heads.iter().map(|(o, h)| (*o, h.seq)).collect();
        if *kept.state.seen() != covers
            || kept.state.event_count() != heads.values().map(|h| h.seq).sum::<u64>()
        {
            return Ok(Err(Unused::Wrong(
                "its fold does not match the heads it names".into(),
            )));
        }
        let mut tail = store.tail(&heads)?;
        tail.sort_by_key(Event::fold_key);
        let known = store.known()?;
        let mark = store.hlc_mark();
        let mut state = match State::resume(kept.state) {
            Ok(state) => state,
            Err(why) => return Ok(Err(Unused::Stale(why))),
        };
        state.set_known(known);
        let at = state.event_count();
        for e in &tail {
            let named = super::archive::let_go_in(&state, e);
            if let Err(why) = super::archive::take_back_into(store, &mut state, &named) {
                return Ok(Err(Unused::Stale(why)));
            }
            match state.apply(e) {
                Applied::Applied => {}
                Applied::OutOfOrder => {
                    return Ok(Err(Unused::Stale(format!(
                        "a later event ({}:{}) sorts before the events it covers",
                        e.origin, e.seq
                    ))))
                }
                Applied::Duplicate => {
                    return Ok(Err(Unused::Wrong(format!(
                        "it covers {}:{} already",
                        e.origin, e.seq
                    ))))
                }
            }
        }
        self.state = state;
        self.checkpointed = at;
        self.resumed_from = Some(at);
        self.last_hlc = self.last_hlc.max(mark).max(self.state.last_hlc());
        Ok(Ok(tail.len() as u64))
    }

    /// Writes the fold as the store's checkpoint now, if it is the fold of exactly the store's
    /// events (the desk does so itself every [`CHECKPOINT_EVERY`] events and on close). One
    /// that cannot be written costs only time at the next open.
    pub fn write_checkpoint(&mut self) {
        let Book::Local(store) = &self.book else {
            return;
        };
        let folded = store
            .heads()
            .iter()
            .all(|(o, h)| self.state.seen(*o) == h.seq)
            && self.state.event_count() == store.event_count();
        if !folded {
            tracing::warn!("no checkpoint: the fold is not of the store's events");
            return;
        }
        self.let_go_closed();
        let Book::Local(store) = &self.book else {
            return;
        };
        let kept = Kept {
            state: self.state.checkpoint(),
        };
        match store.write_checkpoint(&kept) {
            Ok(()) => {
                self.checkpointed = self.state.event_count();
            }
            Err(e) => tracing::warn!(%e, "could not write a checkpoint"),
        }
    }

    /// A checkpoint when enough events have come since the last one.
    pub(super) fn checkpoint_due(&mut self) {
        let due = self
            .checkpoint_every
            .is_some_and(|every| self.state.event_count() >= self.checkpointed + every);
        if due {
            self.write_checkpoint();
        }
    }

    /// Verifies the whole log (every hash chain and head) and the checkpoint against a full
    /// fold, and writes a new checkpoint from that fold. An error is the log's: it is damaged.
    pub fn verify(mut store: Store) -> Result<Verified, StoreError> {
        let events = store.verify()?;
        let origins = store.heads().len();
        let indices = if store.indexed()? {
            match store.check_indices()? {
                Ok(()) => Ok("the indices match the log".to_owned()),
                Err(why) => {
                    store.reindex()?;
                    Err(format!("{why}; they are rebuilt from the log"))
                }
            }
        } else {
            store.index_history()?;
            Ok("the log is indexed now".to_owned())
        };
        let mut desk = Desk::unfolded(Book::Local(store), Box::new(SystemClock), "");
        // Verify writes its one checkpoint itself, after the comparison.
        desk.checkpoint_every = None;
        let checkpoint = match desk.resume_from(0, None)? {
            Ok(tail) => {
                // A full fold holds every call in memory; so must what it is compared with.
                let ids: Vec<_> = desk.state.let_go_calls().keys().cloned().collect();
                let read = match &desk.book {
                    Book::Local(store) => {
                        super::archive::take_back_into(store, &mut desk.state, &ids)
                    }
                    Book::Attached(_) => Ok(()),
                };
                let state = std::mem::take(&mut desk.state);
                let at = desk.checkpointed;
                desk.fold_all()?;
                if let Err(why) = read {
                    Err(format!(
                        "the checkpoint at {at} events names a call the store cannot read back                          ({why}); it is replaced by one from the full fold (the log itself                          verifies)"
                    ))
                } else if state == desk.state {
                    Ok(format!(
                        "the checkpoint (at {at} events, {tail} after it) matches a full fold"
                    ))
                } else {
                    Err(format!(
                        "the checkpoint at {at} events does not match a full fold of the log; \
                         it is replaced by one from the full fold (the log itself verifies)"
                    ))
                }
            }
            Err(Unused::Stale(why)) => {
                desk.fold_all()?;
                Ok(format!(
                    "the checkpoint was not used ({why}); a new one is written"
                ))
            }
            Err(Unused::Wrong(why)) => {
                desk.fold_all()?;
                Err(format!(
                    "the checkpoint was wrong ({why}); it is replaced by one from the full fold"
                ))
            }
        };
        let discarded = checkpoint.is_err();
        if discarded {
            // The ones kept before a wrong one are not trusted either.
            if let Book::Local(store) = &desk.book {
                store.discard_checkpoint();
            }
        }
        if events > 0 {
            desk.write_checkpoint();
            if discarded {
                desk.prune_records();
            }
        }
        desk.close()?;
        Ok(Verified {
            events,
            origins,
            checkpoint,
            indices,
        })
    }

    /// Folds the whole log (of a desk that owns its store).
    pub(super) fn fold_all(&mut self) -> Result<(), StoreError> {
        let Book::Local(store) = &self.book else {
            return Ok(());
        };
        let mut events = store.load()?;
        events.sort_by_key(Event::fold_key);
        let mut state = State::default();
        // This node's times, not the log's: kept across a fold.
        state.set_known(store.known()?);
        for e in &events {
            state.apply(e);
        }
        let mark = store.hlc_mark();
        self.state = state;
        self.last_hlc = self.last_hlc.max(mark).max(self.state.last_hlc());
        Ok(())
    }

    /// After a failed write (a full disk), opens the store again before the next change, and
    /// folds again if the failed change reached the disk after all.
    pub(super) fn revive(&mut self) -> Result<(), StoreError> {
        if let Book::Local(store) = &mut self.book {
            if store.revive()? {
                self.refold()?;
            }
        }
        Ok(())
    }
}
