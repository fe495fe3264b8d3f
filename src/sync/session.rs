//! One peer link's protocol (design §5), without I/O: frames in, frames out.
//!
//! Hello → Summary (per origin: highest contiguous seq and its hash) → each side streams what
//! the other lacks, in batches → live push of whatever the desk commits → Ack after the
//! receiver's flush → Ping every second. A full Summary again every 60 s repairs anything a
//! dropped frame lost. Keeping this free of sockets lets the convergence tests drive many
//! replicas through partitions, drops and duplicates deterministically.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::desk::frame::MAX_FRAME;
use crate::desk::Desk;
use crate::domain::ReplicaId;
use crate::store::StoreError;

/// Bumped when a change would confuse an older peer.
pub const VERSION: u32 = 2;
/// At most this many events in one frame (design §5).
pub const MAX_BATCH: usize = 256;
/// A peer clock off from ours by more than this is *off*: its events' times are not taken at
/// their word for ages and alarms here (`domain::known`), and an event stamped further ahead of
/// our clock than the peer's measured skew plus this is refused.
pub use crate::domain::known::SKEW_LIMIT_MS;
/// The most measured skew that may excuse an event stamped ahead of our clock: a peer whose
/// pings claim more is still held to this.
pub const MAX_SKEW_MS: i64 = 24 * 3_600_000;
/// Room for the frame's own encoding around the events' bytes.
const BATCH_BYTES: usize = MAX_FRAME - 16 * 1024;

/// What peers say to each other.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Frame {
    Hello {
        version: u32,
        /// `live`, `demo` or `training`: stores of different kinds never sync.
        kind: String,
        replica: ReplicaId,
        wall_ms: i64,
    },
    /// Per origin: the highest contiguous seq held, and that event's hash.
    Summary(Vec<(ReplicaId, u64, ByteBuf)>),
    /// Events exactly as their origin encoded them.
    Events(Vec<ByteBuf>),
    /// Events (as [`Frame::Events`]) with the keys of the calls whose personal text is sealed
    /// in them (protocol 2), in one frame so that neither arrives without the other. Keys
    /// travel only inside this mutually authenticated TLS link, so they are encrypted to the
    /// pinned peer, which keeps them wrapped by its own node key.
    Sealed {
        keys: crate::desk::shred::WireKeys,
        events: Vec<ByteBuf>,
    },
    /// Per origin, the highest seq now durable on the sender.
    Ack(Vec<(ReplicaId, u64)>),
    Ping {
        wall_ms: i64,
    },
    /// Why the sender is closing the link.
    Refuse(String),
}

/// Why a link was refused or dropped; the text is shown to people.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What handling one frame did.
#[derive(Debug, Default)]
pub struct Step {
    /// Frames to send back now.
    pub reply: Vec<Frame>,
    /// The desk took new events (other links and attached consoles should hear of them).
    pub changed: bool,
    /// Origins newly found forked.
    pub forks: Vec<String>,
}

/// One side of a link to one peer.
#[derive(Debug, Default)]
pub struct Session {
    /// The peer's replica, once it said hello.
    pub peer: Option<ReplicaId>,
    /// True once the peer's summary arrived: only then do we know what it lacks.
    ready: bool,
    /// Per origin, the highest seq the peer has or has been sent.
    sent: BTreeMap<ReplicaId, u64>,
    /// Per origin, the highest seq the peer has acknowledged as durable.
    saved: BTreeMap<ReplicaId, u64>,
    /// Per origin, the highest seq this side has put in a frame to the peer: what it owes an
    /// acknowledgement for.
    pushed: BTreeMap<ReplicaId, u64>,
    /// The peer's clock minus ours at its last ping (ms).
    pub skew_ms: i64,
}

impl Session {
    /// What a link opens with.
    pub fn open(desk: &Desk) -> Result<Vec<Frame>, LinkError> {
        Ok(vec![
            Frame::Hello {
                version: VERSION,
                kind: desk.kind().word().to_owned(),
                replica: desk.replica(),
                wall_ms: desk.now_ms(),
            },
            Self::summary(desk),
        ])
    }

    pub fn summary(desk: &Desk) -> Frame {
        Frame::Summary(
            desk.heads()
                .iter()
                .map(|(o, h)| (*o, h.seq, ByteBuf::from(h.hash.to_vec())))
                .collect(),
        )
    }

    /// The highest hybrid clock this peer's events may carry now: our clock, plus the skew
    /// measured on this link (at most [`MAX_SKEW_MS`]), plus [`SKEW_LIMIT_MS`].
    pub fn hlc_limit(&self, desk: &Desk) -> u64 {
        let lead = self.skew_ms.clamp(0, MAX_SKEW_MS) + SKEW_LIMIT_MS;
        let until = desk.now_ms().saturating_add(lead).max(0) as u64;
        (until << 16) | 0xffff
    }

    /// Per origin, what the peer has saved.
    pub fn saved(&self) -> Vec<(ReplicaId, u64)> {
        self.saved.iter().map(|(o, s)| (*o, *s)).collect()
    }

    /// Events this desk has that the peer has not acknowledged.
    pub fn lag(&self, desk: &Desk) -> u64 {
        desk.heads()
            .iter()
            .filter(|(o, _)| !desk.forks().contains_key(o))
            .map(|(o, h)| {
                h.seq
                    .saturating_sub(self.saved.get(o).copied().unwrap_or(0))
            })
            .sum()
    }

    /// True while the peer has been sent events it has not acknowledged yet.
    pub fn owing(&self, desk: &Desk) -> bool {
        self.pushed.iter().any(|(o, &pushed)| {
            !desk.forks().contains_key(o) && pushed > self.saved.get(o).copied().unwrap_or(0)
        })
    }

    /// True while there is backlog still to send.
    pub fn catching_up(&self, desk: &Desk) -> bool {
        !self.ready
            || desk.heads().iter().any(|(o, h)| {
                !desk.forks().contains_key(o) && h.seq > self.sent.get(o).copied().unwrap_or(0)
            })
    }

    pub fn on_frame(&mut self, desk: &mut Desk, frame: Frame) -> Result<Step, LinkError> {
        let mut step = Step::default();
        match frame {
            Frame::Hello {
                version,
                kind,
                replica,
                wall_ms,
            } => {
                self.hello(desk, version, &kind, replica)?;
                self.skew_ms = wall_ms - desk.now_ms();
            }
            Frame::Summary(heads) => self.on_summary(desk, &heads, &mut step)?,
            Frame::Events(batch) => {
                let Some(peer) = self.peer else {
                    return Err(LinkError::Refused("events before hello".into()));
                };
                let received = desk
                    .receive_within(&batch, self.hlc_limit(desk), Some((peer, self.skew_ms)))
                    .map_err(|e| LinkError::Refused(e.to_string()))?;
                step.changed = !received.accepted.is_empty();
                step.forks = received
                    .forks
                    .iter()
                    .map(|(o, why)| format!("{o}: {why}"))
                    .collect();
                let mut ack = Vec::new();
                for (&o, &seq) in &received.named {
                    // A peer sends only what it has committed: it holds these durably.
                    let saved = self.saved.entry(o).or_default();
                    *saved = (*saved).max(seq);
                    let held = desk.heads().get(&o).map_or(0, |h| h.seq);
                    let sent = self.sent.entry(o).or_default();
                    *sent = (*sent).max(held);
                    ack.push((o, held));
                }
                step.reply.push(Frame::Ack(ack));
                if received.gaps {
                    // Something between was lost: tell the peer where we are so it resends.
                    step.reply.push(Self::summary(desk));
                }
            }
            Frame::Sealed { keys, events } => {
                if self.peer.is_none() {
                    return Err(LinkError::Refused("events before hello".into()));
                }
                desk.take_keys(&keys)?;
                return self.on_frame(desk, Frame::Events(events));
            }
            Frame::Ack(heads) => {
                for (o, seq) in heads {
                    let saved = self.saved.entry(o).or_default();
                    *saved = (*saved).max(seq);
                    let sent = self.sent.entry(o).or_default();
                    *sent = (*sent).max(seq);
                }
            }
            Frame::Ping { wall_ms } => self.skew_ms = wall_ms - desk.now_ms(),
            Frame::Refuse(why) => {
                return Err(LinkError::Refused(format!("the peer refused: {why}")))
            }
        }
        Ok(step)
    }

    fn hello(
        &mut self,
        desk: &Desk,
        version: u32,
        kind: &str,
        replica: ReplicaId,
    ) -> Result<(), LinkError> {
        let refuse = |why: String| Err(LinkError::Refused(why));
        if version != VERSION {
            return refuse(format!(
                "the peer speaks protocol {version}, this desk {VERSION}; update both"
            ));
        }
        if kind != desk.kind().word() {
            return refuse(format!(
                "the peer's store is a {kind} store and this one a {} store; they never sync",
                desk.kind().word()
            ));
        }
        if replica == desk.replica() {
            return refuse("the peer is this same store (or a copy of it)".into());
        }
        if replica.tag() == desk.replica().tag() {
            return refuse(format!(
                "both stores number calls with the tag {}; make one of them afresh",
                replica.tag()
            ));
        }
        self.peer = Some(replica);
        Ok(())
    }

    fn on_summary(
        &mut self,
        desk: &mut Desk,
        heads: &[(ReplicaId, u64, ByteBuf)],
        step: &mut Step,
    ) -> Result<(), LinkError> {
        if self.peer.is_none() {
            return Err(LinkError::Refused("a summary before hello".into()));
        }
        let theirs: BTreeMap<ReplicaId, (u64, &[u8])> = heads
            .iter()
            .map(|(o, s, h)| (*o, (*s, h.as_slice())))
            .collect();
        for (&o, &(seq, hash)) in &theirs {
            if seq == 0 || desk.forks().contains_key(&o) {
                continue;
            }
            let ours = desk.heads().get(&o).map_or(0, |h| h.seq);
            if seq <= ours {
                let held = desk.hash_at(o, seq)?;
                if held.as_ref().map(<[u8; 32]>::as_slice) != Some(hash)
                    && desk.fork_found(o, format!("the peer holds a different {o}:{seq}"))
                {
                    step.forks
                        .push(format!("{o}: the peer holds a different {o}:{seq}"));
                }
            }
        }
        // Start over from what the peer says it holds: anything sent since and lost is resent.
        self.sent = desk
            .heads()
            .keys()
            .map(|o| (*o, theirs.get(o).map_or(0, |&(s, _)| s)))
            .collect();
        for (o, &(seq, _)) in &theirs {
            let saved = self.saved.entry(*o).or_default();
            *saved = (*saved).max(seq);
        }
        self.ready = true;
        Ok(())
    }

    /// The next batch of events the peer lacks, if any; call until `None` after every change.
    pub fn next_batch(&mut self, desk: &Desk) -> Result<Option<Frame>, LinkError> {
        let Some(Frame::Events(events)) = self.next_events(desk)? else {
            return Ok(None);
        };
        let keys = desk.keys_for(&events);
        if keys.is_empty() {
            return Ok(Some(Frame::Events(events)));
        }
        Ok(Some(Frame::Sealed { keys, events }))
    }

    fn next_events(&mut self, desk: &Desk) -> Result<Option<Frame>, LinkError> {
        if !self.ready {
            return Ok(None);
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        for (o, head) in desk.heads() {
            if desk.forks().contains_key(o) {
                continue;
            }
            let sent = self.sent.entry(*o).or_default();
            if head.seq <= *sent {
                continue;
            }
            let room = MAX_BATCH - batch.len();
            let more = desk.events_from(*o, *sent + 1, room, BATCH_BYTES - bytes)?;
            if more.is_empty() {
                continue;
            }
            // `events_from` always gives one event; stop before it would overflow the frame.
            if !batch.is_empty() && bytes + more[0].len() > BATCH_BYTES {
                break;
            }
            *sent += more.len() as u64;
            let pushed = self.pushed.entry(*o).or_default();
            *pushed = (*pushed).max(*sent);
            bytes += more.iter().map(Vec::len).sum::<usize>();
            batch.extend(more.into_iter().map(ByteBuf::from));
            if batch.len() >= MAX_BATCH || bytes >= BATCH_BYTES {
                break;
            }
        }
        Ok((!batch.is_empty()).then_some(Frame::Events(batch)))
    }
}
