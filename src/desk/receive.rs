//! Events that come from elsewhere: a peer's batches (checked, admitted, folded in order, forks
//! marked), the first-known times of a skewed peer's events, and an attached desk's mirror.

use std::collections::BTreeMap;

use super::{Book, Desk, DeskError, Received};
use crate::domain::event::hlc;
use crate::domain::{known, Applied, Event, Known, Refusal, ReplicaId, MAX_EVENT_BYTES};
use crate::store::{Head, Sealed, StoreError};

impl Desk {
    /// Origins found forked, with why; nothing more is taken from or sent for them.
    pub fn forks(&self) -> &BTreeMap<ReplicaId, String> {
        &self.forks
    }

    /// Notes that a peer holds a different history of `origin` than this desk: a fork. True
    /// when it is newly found.
    pub fn fork_found(&mut self, origin: ReplicaId, why: String) -> bool {
        let std::collections::btree_map::Entry::Vacant(slot) = self.forks.entry(origin) else {
            return false;
        };
        tracing::error!(%origin, %why, "fork: stopped syncing this origin");
        slot.insert(why);
        true
    }

    pub(super) fn mark_fork(&mut self, origin: ReplicaId, why: String, received: &mut Received) {
        if self.fork_found(origin, why.clone()) {
            received.forks.push((origin, why));
        }
    }

    /// Takes events another desk committed, forwarded byte for byte: each must extend its
    /// origin's chain here. Duplicates are skipped; a gap stops that origin until the rest
    /// comes; different bytes at a seq already held is a fork. What is new is committed in one
    /// batch, then folded. A malformed batch is refused whole and changes nothing.
    pub fn receive<B: AsRef<[u8]>>(&mut self, batch: &[B]) -> Result<Received, DeskError> {
        self.receive_within(batch, u64::MAX, None)
    }

    /// Like [`Desk::receive`], refusing the batch if an event's hybrid clock is past
    /// `hlc_limit`: a forged clock far ahead would sort last and win every later edit.
    /// `peer_clock` is the sending peer's replica and its clock minus ours, as measured on the
    /// link: its own events, when that clock is off by more than the limit, and any event
    /// stamped that far ahead of our clock, have their ages count from now ([`crate::domain::known`]).
    pub fn receive_within<B: AsRef<[u8]>>(
        &mut self,
        batch: &[B],
        hlc_limit: u64,
        peer_clock: Option<(ReplicaId, i64)>,
    ) -> Result<Received, DeskError> {
        self.revive()?;
        let (sealed, mut received) = self.admit(batch, Some(hlc_limit))?;
        let known = self.first_known(&sealed, peer_clock);
        if let Book::Local(store) = &mut self.book {
            store.commit_known(&sealed, &known)?;
            for &(origin, seq, k) in &known {
                self.state.know(origin, seq, k);
            }
        } else {
            return Err(DeskError::Refused(Refusal(
                "an attached desk takes events only from the desk it is attached to".into(),
            )));
        }
        self.fold_in(sealed, &mut received)?;
        self.checkpoint_due();
        Ok(received)
    }

    /// Of events from a peer, those whose origin's clock is off from ours by more than the
    /// limit, with when this node first knew them: now. The peer's own clock is measured on the
    /// link; a third party's is known to be off only when it stamped an event ahead of ours (a
    /// relayed event stamped behind may just have waited on a partition).
    pub(super) fn first_known(
        &self,
        sealed: &[Sealed],
        peer_clock: Option<(ReplicaId, i64)>,
    ) -> Vec<(ReplicaId, u64, Known)> {
        let now = self.clock.now_ms();
        sealed
            .iter()
            .filter_map(|s| {
                let e = &s.event;
                let ahead = e.wall_ms - now;
                let skew_ms = match peer_clock {
                    Some((peer, skew)) if peer == e.origin && known::is_off(skew) => skew,
                    _ if known::is_off(ahead) && ahead > 0 => ahead,
                    _ => return None,
                };
                (e.origin != self.replica()).then_some((
                    e.origin,
                    e.seq,
                    Known {
                        at_ms: now,
                        skew_ms,
                    },
                ))
            })
            .collect()
    }

    /// An attached desk learns from the desk it is attached to when that node first knew events
    /// stamped by a clock that was off.
    pub fn know(&mut self, known: &[(ReplicaId, u64, Known)]) {
        for &(origin, seq, k) in known {
            self.state.know(origin, seq, k);
        }
    }

    /// Takes events the serving desk committed into an attached desk's mirror.
    pub fn absorb<B: AsRef<[u8]>>(&mut self, batch: &[B]) -> Result<Received, DeskError> {
        let (sealed, mut received) = self.admit(batch, None)?;
        if let Book::Attached(m) = &mut self.book {
            for s in &sealed {
                let e = &s.event;
                m.heads.insert(
                    e.origin,
                    Head {
                        seq: e.seq,
                        hash: s.hash(),
                    },
                );
                for call in e.body.calls() {
                    m.last.insert(call.clone(), (e.origin, e.seq));
                }
            }
        } else {
            return Err(DeskError::Refused(Refusal(
                "a local desk takes peers' events through receive".into(),
            )));
        }
        self.fold_in(sealed, &mut received)?;
        Ok(received)
    }

    /// Decodes and orders a batch. With a clock limit (a peer's events) it also holds every
    /// event to the rules a local command meets (free text, operator name) and to that limit,
    /// refusing the batch otherwise.
    pub(super) fn admit<B: AsRef<[u8]>>(
        &mut self,
        batch: &[B],
        strict: Option<u64>,
    ) -> Result<(Vec<Sealed>, Received), DeskError> {
        let refuse = |why: String| DeskError::Refused(Refusal(why));
        let mut received = Received::default();
        let mut decoded = Vec::with_capacity(batch.len());
        for bytes in batch {
            let bytes = bytes.as_ref();
            if bytes.len() > MAX_EVENT_BYTES {
                return Err(refuse(format!(
                    "an event of {} bytes is over the {MAX_EVENT_BYTES}-byte cap",
                    bytes.len()
                )));
            }
            let e = self
                .open_event(bytes)
                .map_err(|why| refuse(format!("a bad event: {why}")))?;
            if let Some(limit) = strict {
                crate::domain::text::check_event(&e)
                    .map_err(|why| refuse(format!("a bad event: {why}")))?;
                if e.hlc > limit {
                    let ahead_ms = hlc::physical_ms(e.hlc).saturating_sub(self.clock.now_ms());
                    return Err(refuse(format!(
                        "event {}:{} is stamped {} ahead of this desk's clock, more than the \
                         peer's measured clock skew allows; check the clocks",
                        e.origin,
                        e.seq,
                        crate::domain::text::span(ahead_ms)
                    )));
                }
            }
            let named = received.named.entry(e.origin).or_default();
            *named = (*named).max(e.seq);
            decoded.push(Sealed {
                event: e,
                bytes: bytes.to_vec(),
            });
        }
        let mut heads: BTreeMap<ReplicaId, Head> = BTreeMap::new();
        let mut stalled: Vec<ReplicaId> = Vec::new();
        let mut sealed = Vec::new();
        for s in decoded {
            let e = &s.event;
            if self.forks.contains_key(&e.origin) || stalled.contains(&e.origin) {
                continue;
            }
            let head = *heads
                .entry(e.origin)
                .or_insert_with(|| self.heads().get(&e.origin).copied().unwrap_or_default());
            if e.seq <= head.seq && self.is_attached() {
                // It keeps no log to compare with, only heads: the serving desk checked its
                // peers' bytes itself, and what it sends again is what it sent.
                if e.seq == head.seq && s.hash() != head.hash {
                    let why = format!("two different events {}:{}", e.origin, e.seq);
                    self.mark_fork(e.origin, why, &mut received);
                }
                continue;
            }
            if e.seq <= head.seq {
                let kept = match sealed
                    .iter()
                    .find(|x: &&Sealed| x.event.origin == e.origin && x.event.seq == e.seq)
                {
                    Some(x) => Some(x.bytes.clone()),
                    None => self.raw_event(e.origin, e.seq)?,
                };
                if kept.as_deref() != Some(s.bytes.as_slice()) {
                    let why = format!("two different events {}:{}", e.origin, e.seq);
                    self.mark_fork(e.origin, why, &mut received);
                }
                continue;
            }
            if e.seq > head.seq + 1 {
                received.gaps = true;
                stalled.push(e.origin);
                continue;
            }
            if e.prev != head.hash {
                let why = format!("{}:{} does not follow the event before it", e.origin, e.seq);
                self.mark_fork(e.origin, why, &mut received);
                continue;
            }
            let owed = self
                .store()
                .and_then(|s| s.owed().get(&e.origin))
                .is_some_and(|h| e.seq <= h.seq);
            if e.origin == self.replica() && !self.is_attached() && !owed {
                // This desk never made that event: its store was copied, or rebuilt with an old
                // replica id.
                let why = format!(
                    "a peer holds {}:{} that this desk never made",
                    e.origin, e.seq
                );
                self.mark_fork(e.origin, why, &mut received);
                continue;
            }
            heads.insert(
                e.origin,
                Head {
                    seq: e.seq,
                    hash: s.hash(),
                },
            );
            sealed.push(s);
        }
        sealed.retain(|s| !self.forks.contains_key(&s.event.origin));
        Ok((sealed, received))
    }

    pub(super) fn fold_in(
        &mut self,
        sealed: Vec<Sealed>,
        received: &mut Received,
    ) -> Result<(), StoreError> {
        let mut events: Vec<Event> = sealed.into_iter().map(|s| s.event).collect();
        let mut in_order: Vec<&Event> = events.iter().collect();
        in_order.sort_by_key(|e| e.fold_key());
        let mut late: Option<crate::domain::event::FoldKey> = None;
        let mut traced = false;
        for e in in_order {
            self.last_hlc = self.last_hlc.max(e.hlc);
            traced |= self.take_back_named(e)?;
            if self.state.apply(e) == Applied::OutOfOrder {
                late = Some(late.map_or(e.fold_key(), |k| k.min(e.fold_key())));
            }
        }
        if late.is_some() {
            self.refold_after(late)?;
        } else if traced {
            // An attached desk folded an event for a call it holds only as a trace: the
            // serving desk's fold has the call itself.
            self.take_image_again()?;
        }
        self.shred_erased(&events)?;
        received.accepted.append(&mut events);
        Ok(())
    }
}
