//! The fold a desk attached to `serve` starts from: the serving desk's fold as it stands,
//! encoded as its checkpoint is (`State::checkpoint`), with the heads it covers. An attached
//! desk takes it up and folds on from the events that follow, and asks again when a late event
//! makes its own fold stale. It never holds the log: a call's chronology and the whole log (a
//! dashboard's figures) are asked for on the line when they are wanted, and let go of.

use serde_bytes::ByteBuf;

use super::attach::{Covers, Reply, Request};
use super::{Book, Desk, DeskError};
use crate::domain::{CallId, Event, State};
use crate::store::{Head, StoreError};

/// The bytes of an image in frames well under the frame limit.
pub fn parts(bytes: &[u8]) -> impl Iterator<Item = Reply> + '_ {
    bytes
        .chunks(super::frame::MAX_FRAME / 2)
        .map(|c| Reply::ImagePart(ByteBuf::from(c.to_vec())))
}

fn served(why: impl std::fmt::Display) -> StoreError {
    StoreError::Served(format!(
        "the serving desk sent a fold this desk cannot read: {why}"
    ))
}

impl Desk {
    /// The fold as it stands, for an attached desk to start from.
    pub fn image(&self) -> Result<(Vec<u8>, Covers), StoreError> {
        let bytes = rmp_serde::to_vec_named(&self.state.checkpoint())
            .map_err(|e| StoreError::Served(format!("cannot encode the fold: {e}")))?;
        let heads = self
            .heads()
            .iter()
            .map(|(o, h)| (*o, h.seq, ByteBuf::from(h.hash.to_vec())))
            .collect();
        let last = self
            .state
            .queue()
            .into_iter()
            .filter_map(|c| {
                let (o, s) = self.last_event_of(&c.id)?;
                Some((c.id.clone(), o, s))
            })
            .collect();
        Ok((bytes, Covers { heads, last }))
    }

    /// The raw bytes of a call's events in fold order, for a client's [`Request::Chronology`].
    pub fn chronology_bytes(&self, call: &CallId) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        for (origin, seq) in self.call_events(call)? {
            if let Some(bytes) = self.raw_event(origin, seq)? {
                out.push(bytes);
            }
        }
        Ok(out)
    }

    /// Takes up the serving desk's fold (an attached desk, as it attaches or after a late
    /// event). This node's first-known times stay: they come on the watch.
    pub(super) fn take_image(&mut self, bytes: &[u8], covers: Covers) -> Result<(), StoreError> {
        let checkpoint = rmp_serde::from_slice(bytes).map_err(served)?;
        let mut state = State::resume(checkpoint).map_err(served)?;
        state.set_known(self.state.known().clone());
        let Book::Attached(m) = &mut self.book else {
            return Err(StoreError::Served("a local desk folds its own log".into()));
        };
        m.heads.clear();
        for (origin, seq, hash) in covers.heads {
            let hash = hash.as_slice().try_into().map_err(served)?;
            m.heads.insert(origin, Head { seq, hash });
        }
        m.last = covers
            .last
            .into_iter()
            .map(|(call, o, s)| (call, (o, s)))
            .collect();
        self.state = state;
        self.last_hlc = self.last_hlc.max(self.state.last_hlc());
        Ok(())
    }

    /// Asks the serving desk for its fold again (an attached desk a late event made stale).
    pub(super) fn take_image_again(&mut self) -> Result<(), StoreError> {
        let Book::Attached(m) = &mut self.book else {
            return Ok(());
        };
        let mut bytes = Vec::new();
        let mut covers = None;
        let line = m
            .link
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        line.fetch(&Request::Image, |reply| {
            match reply {
                Reply::ImagePart(part) => bytes.extend_from_slice(&part),
                Reply::Image(c) => covers = Some(c),
                other => return Err(out_of_turn(&other)),
            }
            Ok(())
        })
        .map_err(into_store)?;
        let covers = covers.ok_or_else(|| served("it ended without its heads"))?;
        self.take_image(&bytes, covers)
    }

    /// What an attached desk asks the serving desk for (a call's chronology, the whole log):
    /// the events, opened with the keys sent before them.
    pub(super) fn fetched(&self, request: &Request) -> Result<Vec<Event>, StoreError> {
        let Book::Attached(m) = &self.book else {
            return Ok(Vec::new());
        };
        let ring = crate::store::vault::Keyring::default();
        let mut events = Vec::new();
        let mut line = m
            .link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        line.fetch(request, |reply| {
            match reply {
                Reply::Keys(keys) => {
                    for (call, key) in super::shred::from_wire(&keys) {
                        ring.insert(call, key);
                    }
                }
                Reply::Events(batch) => {
                    for bytes in &batch {
                        let mut e = Event::decode(bytes)
                            .map_err(|why| DeskError::Store(StoreError::Unreadable(why)))?;
                        // Keys this desk holds (or knows erased), else the ones sent with them.
                        let ours =
                            e.body.calls().first().is_some_and(|c| {
                                m.keyring.key(c).is_some() || m.keyring.is_erased(c)
                            });
                        if ours {
                            m.keyring.open(&mut e.body);
                        } else {
                            ring.open(&mut e.body);
                        }
                        events.push(e);
                    }
                }
                other => return Err(out_of_turn(&other)),
            }
            Ok(())
        })
        .map_err(into_store)?;
        Ok(events)
    }
}

impl Desk {
    /// The figures of `period`, read at the serving desk.
    pub(super) fn figures_there(
        &self,
        period: crate::report::metrics::Period,
        by: Option<crate::report::metrics::GroupBy>,
    ) -> Result<crate::report::metrics::Metrics, StoreError> {
        let Book::Attached(m) = &self.book else {
            return Err(served("this desk is not attached"));
        };
        let mut bytes = Vec::new();
        let mut line = m
            .link
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        line.fetch(&Request::Figures { period, by }, |reply| {
            match reply {
                Reply::Answered(_) => {}
                Reply::ImagePart(part) => bytes.extend_from_slice(&part),
                other => return Err(out_of_turn(&other)),
            }
            Ok(())
        })
        .map_err(into_store)?;
        crate::report::metrics::Metrics::decode(&bytes, self.policy())
            .ok_or_else(|| served("its figures did not decode"))
    }
}

fn out_of_turn(reply: &Reply) -> DeskError {
    DeskError::Store(StoreError::Served(format!(
        "the serving desk answered out of turn: {reply:?}"
    )))
}

fn into_store(e: DeskError) -> StoreError {
    match e {
        DeskError::Store(e) => e,
        other => StoreError::Served(other.to_string()),
    }
}
