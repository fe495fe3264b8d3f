//! Attaching to the desk a `switchboard serve` runs on the same data dir.
//!
//! The serving desk listens on `<data dir>/desk.sock` (owner only). A client opens two
//! connections: a *watch*, on which the desk sends its fold as it stands (an image,
//! `desk/image.rs`) and then every event as it commits (and the state of its peer links), and a
//! *line*, on which the client sends command lines and gets back the events they committed.
//! Keeping them apart lets a client block on its own command while the watch is read elsewhere.
//!
//! A client keeps no copy of the log: what it shows beyond the fold (a call's chronology, the
//! log a dashboard counts) it asks for on the line when it needs it, and lets go of. So an
//! attached console or command costs what the fold costs, not what the history costs, and a
//! three-year store attaches as fast as the fold crosses the socket.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use super::frame::{read_frame, write_frame, FrameError};
use super::{Clock, Desk, DeskError};
use crate::domain::{Handover, Refusal, ReplicaId};
use crate::store::{Head, StoreError, StoreKind};

/// The serving desk's socket in a data dir.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join("desk.sock")
}

/// What a client asks of the serving desk.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Send every event after these per-origin seqs, then `CaughtUp`, then each new event as it
    /// commits, and the peer board whenever it changes.
    Watch {
        have: Vec<(ReplicaId, u64)>,
        /// The operator at a console that stays on this desk (not a command passing through):
        /// named to the other consoles while the watch is open ([`Board::operators`]).
        #[serde(default)]
        present: Option<String>,
        /// Send the fold as it stands first ([`Reply::Image`]), then only the events after it.
        #[serde(default)]
        image: bool,
    },
    /// On the line: the fold as it stands now ([`Reply::ImagePart`]s, [`Reply::Image`], then
    /// [`Reply::CaughtUp`]), for a client whose own fold a late event made stale.
    Image,
    /// On the line: one call's events in fold order ([`Reply::Keys`], [`Reply::Events`], then
    /// [`Reply::CaughtUp`]).
    Chronology { call: crate::domain::CallId },
    /// On the line: every event, in batches, then [`Reply::CaughtUp`].
    Log,
    /// Run one command line as this operator. `have` is what the client holds per origin, so
    /// the answer can bring it up to date first.
    Run {
        line: String,
        operator: String,
        have: Vec<(ReplicaId, u64)>,
        /// The request's id ([`request_id`]): sent again with it, a request the desk already
        /// committed is answered with what it committed then, and not run twice.
        #[serde(default)]
        id: Option<String>,
        /// A client that keeps no fold ([`attach_to_run`]): send it nothing it missed, and
        /// answer its queries here.
        #[serde(default)]
        thin: bool,
    },
    /// On the line, first: who serves ([`Reply::Welcome`]), for a client that opens no watch.
    Hello,
    /// On the line: the figures of a period (a `report`, the dashboard), read from the
    /// serving desk's store in steps. Each step is answered with an empty [`Reply::Answered`]
    /// (the line stays alive through a long walk), the figures in [`Reply::ImagePart`]s
    /// ([`crate::report::metrics::Metrics::encode`]), then [`Reply::CaughtUp`].
    Figures {
        period: crate::report::metrics::Period,
        by: Option<crate::report::metrics::GroupBy>,
    },
    /// Take a partner's hand-over as this operator, in one commit (`import eido`).
    Handover {
        handover: Box<Handover>,
        operator: String,
        have: Vec<(ReplicaId, u64)>,
        #[serde(default)]
        id: Option<String>,
    },
}

impl Request {
    fn id(&self) -> Option<&str> {
        match self {
            Request::Run { id, .. } | Request::Handover { id, .. } => id.as_deref(),
            _ => None,
        }
    }
}

/// A fresh request id: 128 random bits as 32 hex digits.
pub fn request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: the time and pid still tell this request from this client's others.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (now ^ (u128::from(std::process::id()) << 96)).to_be_bytes();
    }
    format!("{:032x}", u128::from_be_bytes(bytes))
}

/// What the serving desk answers.
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply {
    Welcome {
        replica: ReplicaId,
        kind: String,
    },
    Events(Vec<ByteBuf>),
    /// A piece of the serving desk's fold, encoded as its checkpoint is; the pieces end with
    /// [`Reply::Image`].
    ImagePart(ByteBuf),
    /// The end of an image: the heads it covers and each open call's last event.
    Image(Covers),
    CaughtUp,
    Board(Board),
    /// The events a `Run` committed, after the ones the client had not seen yet.
    Committed {
        missed: Vec<ByteBuf>,
        events: Vec<ByteBuf>,
        /// The keys of the calls whose text is sealed in them ([`Reply::Keys`]).
        #[serde(default)]
        keys: super::shred::WireKeys,
    },
    /// The keys of calls whose text is sealed in the events that follow: sent on the data
    /// dir's owner-only socket, to a console of the same user.
    Keys(super::shred::WireKeys),
    /// A query's answer.
    Answered(Vec<String>),
    Refused(String),
    Failed(String),
    /// When the serving node first knew events stamped by a clock that was off (origin, seq,
    /// first known ms, skew ms): ages and alarms count from then (`domain::known`). Sent before
    /// the events, and again whenever it grows.
    Known(Vec<(ReplicaId, u64, i64, i64)>),
}

/// What an image of the serving desk's fold covers: per origin the head folded into it (seq and
/// hash), and each open call's last event (for the queue's "saved on a peer" mark).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Covers {
    pub heads: Vec<(ReplicaId, u64, ByteBuf)>,
    pub last: Vec<(crate::domain::CallId, ReplicaId, u64)>,
}

/// The serving node's first-known times, as [`Reply::Known`] carries them.
pub fn known_reply(known: &crate::domain::KnownHere) -> Reply {
    Reply::Known(
        known
            .iter()
            .map(|(o, s, k)| (o, s, k.at_ms, k.skew_ms))
            .collect(),
    )
}

/// What a [`Reply::Known`] says, for [`Desk::know`].
pub fn known_entries(
    entries: &[(ReplicaId, u64, i64, i64)],
) -> Vec<(ReplicaId, u64, crate::domain::Known)> {
    entries
        .iter()
        .map(|&(o, s, at_ms, skew_ms)| (o, s, crate::domain::Known { at_ms, skew_ms }))
        .collect()
}

/// How a peer link stands, as the status bar shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    Connected,
    CatchingUp,
    Down,
}

/// One peer, as the desk sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerView {
    pub name: String,
    pub state: LinkState,
    /// Since when it has been in this state (wall clock, ms).
    pub since_ms: i64,
    /// Events this desk has that the peer has not acknowledged yet.
    pub lag: u64,
    /// Per origin, the highest seq the peer has saved (acknowledged after its flush).
    pub saved: Vec<(ReplicaId, u64)>,
    /// The peer's wall clock minus ours, in whole seconds, at its last ping. Events are
    /// ordered by the hybrid clock whatever the skew; a large one is still worth a look.
    #[serde(default)]
    pub skew_s: i64,
    /// Why the peer is down, when this node knows: dialled, it answered TCP but no TLS
    /// handshake came (a relay or firewall passing the connection but not the peer). Not a
    /// refusal: nobody said no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A node that tried to connect, or was dialled, and was refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerRefusal {
    /// A peer's name, or the address an unknown node came from.
    pub who: String,
    pub at_ms: i64,
    pub why: String,
}

impl PeerView {
    /// A peer not linked (yet), as of `since_ms`.
    pub fn down(name: &str, since_ms: i64) -> PeerView {
        PeerView {
            name: name.to_owned(),
            state: LinkState::Down,
            since_ms,
            lag: 0,
            saved: Vec::new(),
            skew_s: 0,
            why: None,
        }
    }
}

/// The desk's peer links, refusals and forks, for every attached console.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub peers: Vec<PeerView>,
    /// Recent refusals, oldest first.
    pub refused: Vec<PeerRefusal>,
    /// Origins no longer synced because two peers hold different histories for them.
    pub forks: Vec<String>,
    /// Partners (NENA-STA-024 links): up while any link to one is open.
    #[serde(default)]
    pub partners: Vec<PeerView>,
    /// The operators at the consoles attached now, one entry per console, in the order they
    /// came: each console shows the others.
    #[serde(default)]
    pub operators: Vec<String>,
}

impl Board {
    /// True when some peer has saved `origin`'s event `seq`.
    pub fn saved_on_a_peer(&self, origin: ReplicaId, seq: u64) -> bool {
        self.peers
            .iter()
            .any(|p| p.saved.iter().any(|&(o, s)| o == origin && s >= seq))
    }
}

/// What an attached desk keeps of the serving desk's log: its heads, and each call's last
/// event since it attached (the queue's "saved on a peer" mark); the rest it asks for.
pub(super) struct Mirror {
    pub(super) replica: ReplicaId,
    pub(super) kind: StoreKind,
    pub(super) heads: BTreeMap<ReplicaId, Head>,
    pub(super) last: HashMap<crate::domain::CallId, (ReplicaId, u64)>,
    /// Locked only for the reads a shared borrow of the desk makes (a chronology); a change
    /// has the desk to itself.
    pub(super) link: std::sync::Mutex<Line>,
    /// The keys of the calls it holds, as the serving desk sent them ([`Reply::Keys`]).
    pub(super) keyring: crate::store::vault::Keyring,
}

impl Mirror {
    /// The line, for a change (which has the desk to itself).
    pub(super) fn line(&mut self) -> &mut Line {
        self.link
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Events as their origin encoded them.
type Batch = Vec<ByteBuf>;

/// The connection command lines go over, opened with the first command: the desk closes a
/// connection that sends nothing for a few seconds (a flood of idle ones must not take its
/// descriptors), and a console may wait far longer than that before its first command. When it
/// breaks, the store in `dir` says what became of the request.
pub(super) struct Line {
    path: PathBuf,
    stream: Option<UnixStream>,
    dir: PathBuf,
    kind: StoreKind,
    /// The keys the last answer brought, for its events.
    keys: super::shred::WireKeys,
    /// Keeps no fold: queries are answered by the serving desk, and nothing missed is sent.
    thin: bool,
    /// The lines the last answer to a query brought.
    answered: Option<Vec<String>>,
}

impl Line {
    /// The keys the last answer brought (once).
    pub(super) fn take_keys(&mut self) -> super::shred::WireKeys {
        std::mem::take(&mut self.keys)
    }

    /// Sends a line; returns the events missed before it and the events it committed.
    pub(super) fn run(
        &mut self,
        line: &str,
        operator: &str,
        have: Vec<(ReplicaId, u64)>,
    ) -> Result<(Batch, Batch), DeskError> {
        self.ask(&Request::Run {
            line: line.to_owned(),
            operator: operator.to_owned(),
            have,
            id: Some(request_id()),
            thin: self.thin,
        })
    }

    /// True for a desk that keeps no fold ([`attach_to_run`]): every line goes to the serving
    /// desk, queries too.
    pub(super) fn keeps_no_fold(&self) -> bool {
        self.thin
    }

    /// The lines the last answer to a query brought (once).
    pub(super) fn take_answered(&mut self) -> Option<Vec<String>> {
        self.answered.take()
    }

    /// Sends a hand-over to be taken in one commit; answers like [`Line::run`].
    pub(super) fn handover(
        &mut self,
        handover: &Handover,
        operator: &str,
        have: Vec<(ReplicaId, u64)>,
    ) -> Result<(Batch, Batch), DeskError> {
        self.ask(&Request::Handover {
            handover: Box::new(handover.clone()),
            operator: operator.to_owned(),
            have,
            id: Some(request_id()),
        })
    }

    /// Asks for what comes in several frames ([`Request::Image`], [`Request::Chronology`],
    /// [`Request::Log`]), each frame given to `each` as it comes, up to [`Reply::CaughtUp`]. It
    /// only reads: a connection that breaks is opened again and asked once more.
    pub(super) fn fetch(
        &mut self,
        request: &Request,
        mut each: impl FnMut(Reply) -> Result<(), DeskError>,
    ) -> Result<(), DeskError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.fetch_once(request, &mut each) {
                Err(FetchError::Broke(e)) if tries < 2 => {
                    tracing::debug!(error = %e, "the line broke; asking again");
                    self.stream = None;
                }
                Err(FetchError::Broke(e)) => {
                    self.stream = None;
                    return Err(DeskError::Store(StoreError::Served(format!(
                        "the serving desk did not answer ({e})"
                    ))));
                }
                Err(FetchError::Desk(e)) => return Err(e),
                Ok(()) => return Ok(()),
            }
        }
    }

    fn fetch_once(
        &mut self,
        request: &Request,
        each: &mut impl FnMut(Reply) -> Result<(), DeskError>,
    ) -> Result<(), FetchError> {
        if self.stream.is_none() {
            self.stream = Some(connect_line(&self.path).map_err(|why| {
                FetchError::Desk(DeskError::Store(StoreError::Served(format!(
                    "the serving desk has stopped ({why})"
                ))))
            })?);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(FetchError::Broke(FrameError::Closed));
        };
        write_frame(stream, request).map_err(FetchError::Broke)?;
        loop {
            match read_frame(stream).map_err(FetchError::Broke)? {
                Reply::CaughtUp => return Ok(()),
                Reply::Refused(why) => {
                    return Err(FetchError::Desk(DeskError::Refused(Refusal(why))))
                }
                Reply::Failed(why) => {
                    return Err(FetchError::Desk(DeskError::Store(StoreError::Served(why))))
                }
                reply => each(reply).map_err(FetchError::Desk)?,
            }
        }
    }

    fn ask(&mut self, request: &Request) -> Result<(Batch, Batch), DeskError> {
        if self.stream.is_none() {
            self.stream = Some(connect_line(&self.path).map_err(|why| {
                DeskError::Store(StoreError::Served(format!(
                    "the serving desk has stopped ({why})"
                )))
            })?);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(unknown(&FrameError::Closed));
        };
        match write_frame(stream, request) {
            // Nothing was sent: what is wrong is the request, not the desk.
            Err(FrameError::TooBig(n)) => {
                return Err(DeskError::Refused(Refusal(format!(
                    "that request is {n} bytes, over the {}-byte limit of one request; \
                     nothing was sent",
                    super::frame::MAX_FRAME
                ))))
            }
            Err(e) => return self.recover(request, &e),
            Ok(()) => {}
        }
        match read_frame(stream) {
            Ok(reply) => self.answer(reply),
            Err(e) => self.recover(request, &e),
        }
    }

    /// The answer to a request whose connection broke before its answer came: it may or may
    /// not have been committed. Asked again with the same id, a desk still serving says what
    /// became of it; a desk that has stopped left its store, which says it for certain. Only
    /// when neither can be asked is the answer "unknown".
    fn recover(
        &mut self,
        request: &Request,
        broke: &FrameError,
    ) -> Result<(Batch, Batch), DeskError> {
        let Some(id) = request.id().map(str::to_owned) else {
            return Err(unknown(broke));
        };
        // Asked again only of a desk that is still ours (the same checks as the first time).
        if let Ok(mut stream) = connect_line(&self.path) {
            if write_frame(&mut stream, request).is_ok() {
                if let Ok(reply) = read_frame(&mut stream) {
                    self.stream = Some(stream);
                    return self.answer(reply);
                }
            }
        }
        // The desk is gone, and with it its hold on the store: read what it saved.
        let Ok(store) = crate::store::Store::open(&self.dir, self.kind) else {
            return Err(unknown(broke));
        };
        let have: BTreeMap<ReplicaId, u64> = match request {
            Request::Run { have, .. } | Request::Handover { have, .. } => {
                have.iter().copied().collect()
            }
            _ => BTreeMap::new(),
        };
        let thin = matches!(request, Request::Run { thin: true, .. });
        let mut missed = Vec::new();
        let mut made = Vec::new();
        let read = (|| -> Result<(), StoreError> {
            for (origin, head) in store.heads().clone() {
                let from = have.get(&origin).copied().unwrap_or(0) + 1;
                if head.seq < from {
                    continue;
                }
                for bytes in store.events_from(origin, from, usize::MAX, usize::MAX)? {
                    let event = store.open_event(&bytes).map_err(StoreError::Unreadable)?;
                    if event.request.as_deref() == Some(id.as_str()) {
                        made.push(ByteBuf::from(bytes.clone()));
                    }
                    if !thin {
                        missed.push(ByteBuf::from(bytes));
                    }
                }
            }
            Ok(())
        })();
        // The keys of what it will show: all it missed, or (keeping no fold) what it made.
        let shown = if thin { &made } else { &missed };
        self.keys = super::shred::keys_in(|call| super::shred::store_key(&store, call), shown);
        let _ = store.close();
        if read.is_err() {
            return Err(unknown(broke));
        }
        if made.is_empty() {
            return Err(DeskError::Refused(Refusal(
                "the serving desk stopped before it saved this; it was not saved, so run it \
                 again (with `serve` started again, or on its own)"
                    .into(),
            )));
        }
        Ok((missed, made))
    }
}

impl Line {
    /// [`answer`], keeping the keys a commit brought.
    fn answer(&mut self, mut reply: Reply) -> Result<(Batch, Batch), DeskError> {
        match &mut reply {
            Reply::Committed { keys, .. } => self.keys = std::mem::take(keys),
            Reply::Answered(lines) => self.answered = Some(std::mem::take(lines)),
            _ => {}
        }
        answer(reply)
    }
}

/// What a reply to a request means.
fn answer(reply: Reply) -> Result<(Batch, Batch), DeskError> {
    match reply {
        Reply::Committed { missed, events, .. } => Ok((missed, events)),
        Reply::Answered(_) => Ok((Vec::new(), Vec::new())),
        Reply::Refused(why) => Err(DeskError::Refused(Refusal(why))),
        Reply::Failed(why) => Err(DeskError::Store(StoreError::Served(why))),
        other => Err(DeskError::Store(StoreError::Served(format!(
            "the serving desk answered out of turn: {other:?}"
        )))),
    }
}

/// Why a [`Line::fetch`] failed: the connection (worth one more try), or the desk's answer.
enum FetchError {
    Broke(FrameError),
    Desk(DeskError),
}

/// The one case where it cannot be told whether a request was saved.
fn unknown(broke: &FrameError) -> DeskError {
    DeskError::Store(StoreError::Served(format!(
        "the serving desk stopped while running this ({broke}) and cannot be asked; unknown \
         whether it was saved — check with `switchboard log` before running it again"
    )))
}

/// The watch connection: what the serving desk sends as it happens.
pub struct Watch(UnixStream);

impl Watch {
    /// Blocks for the next message; an error means the serving desk is gone (or, with a
    /// timeout set, that nothing came in time).
    pub fn recv(&mut self) -> Result<Reply, FrameError> {
        read_frame(&mut self.0)
    }

    /// Makes [`Watch::recv`] give up after `limit` (for tests and tools that poll).
    pub fn set_timeout(&self, limit: Option<std::time::Duration>) -> std::io::Result<()> {
        self.0.set_read_timeout(limit)
    }
}

/// Attaches to the desk serving `dir`, if one is. `Ok(None)` when none is (no socket, or a
/// socket left by a desk that has stopped): the caller opens the store itself.
pub fn attach(
    dir: &Path,
    clock: Box<dyn Clock>,
    operator: &str,
) -> Result<Option<(Desk, Watch)>, String> {
    attach_as(dir, clock, operator, false)
}

/// As [`attach`], for a console that stays at the desk: the serving desk names `operator` to
/// the other consoles while the watch is open.
pub fn attach_console(
    dir: &Path,
    clock: Box<dyn Clock>,
    operator: &str,
) -> Result<Option<(Desk, Watch)>, String> {
    attach_as(dir, clock, operator, true)
}

fn attach_as(
    dir: &Path,
    clock: Box<dyn Clock>,
    operator: &str,
    present: bool,
) -> Result<Option<(Desk, Watch)>, String> {
    let request = Request::Watch {
        have: Vec::new(),
        present: present.then(|| operator.to_owned()),
        image: true,
    };
    let Some((mut watch, mirror)) = greet(dir, &request, false)? else {
        return Ok(None);
    };
    let fail = |e: FrameError| format!("the desk serving {} failed: {e}", dir.display());
    let mut desk = Desk::attached(mirror, clock, operator).map_err(|e| e.to_string())?;
    let mut image = Vec::new();
    loop {
        match read_frame(&mut watch).map_err(fail)? {
            Reply::ImagePart(part) => image.extend_from_slice(&part),
            Reply::Image(covers) => {
                desk.take_image(&std::mem::take(&mut image), covers)
                    .map_err(|e| e.to_string())?;
            }
            Reply::Events(batch) => {
                desk.absorb(&batch).map_err(|e| e.to_string())?;
            }
            Reply::Keys(keys) => desk.take_keys(&keys).map_err(|e| e.to_string())?,
            Reply::CaughtUp => break,
            Reply::Known(entries) => desk.know(&known_entries(&entries)),
            Reply::Board(_) => {}
            other => return Err(format!("the serving desk answered out of turn: {other:?}")),
        }
    }
    Ok(Some((desk, Watch(watch))))
}

/// Attaches to the desk serving `dir` only to run command lines (`exec`): no watch, no fold,
/// so it costs one round trip however old the store; the serving desk answers its queries too.
/// `Ok(None)` when no desk serves it, as [`attach`].
pub fn attach_to_run(
    dir: &Path,
    clock: Box<dyn Clock>,
    operator: &str,
) -> Result<Option<Desk>, String> {
    let Some((line, mut mirror)) = greet(dir, &Request::Hello, true)? else {
        return Ok(None);
    };
    line.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    mirror.line().stream = Some(line);
    Desk::attached(mirror, clock, operator)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Connects to the desk serving `dir` and sends `first` (a watch, or a hello), reading the
/// welcome: the connection and an empty [`Mirror`] of that desk, or `None` when no desk serves
/// `dir` (no socket, or one left by a desk that has stopped).
fn greet(dir: &Path, first: &Request, thin: bool) -> Result<Option<(UnixStream, Mirror)>, String> {
    let path = socket_path(dir);
    // A data dir someone else owns or may write is not this user's desk, whatever serves it.
    if dir.exists() {
        crate::store::private::data_dir(dir)?;
    }
    let mut stream = match UnixStream::connect(&path) {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None)
        }
        Err(e) => {
            return Err(format!(
                "cannot reach the desk serving {}: {e}",
                dir.display()
            ))
        }
    };
    // Who serves the socket is checked before a byte is sent: a socket another user bound in
    // its place must not receive the operator's next note.
    crate::store::private::check_socket(&path, &stream)?;
    let fail = |e: FrameError| format!("the desk serving {} failed: {e}", dir.display());
    write_frame(&mut stream, first).map_err(fail)?;
    let (replica, kind) = match read_frame(&mut stream).map_err(fail)? {
        Reply::Welcome { replica, kind } => (replica, kind),
        Reply::Refused(why) | Reply::Failed(why) => return Err(why),
        other => return Err(format!("the serving desk answered out of turn: {other:?}")),
    };
    let kind = [StoreKind::Live, StoreKind::Demo, StoreKind::Training]
        .into_iter()
        .find(|k| k.word() == kind)
        .ok_or_else(|| format!("the serving desk has an unknown kind of store: {kind}"))?;
    let mirror = Mirror {
        replica,
        kind,
        heads: BTreeMap::new(),
        last: HashMap::new(),
        link: std::sync::Mutex::new(Line {
            path,
            stream: None,
            dir: dir.to_owned(),
            kind,
            keys: Vec::new(),
            thin,
            answered: None,
        }),
        keyring: crate::store::vault::Keyring::default(),
    };
    Ok(Some((stream, mirror)))
}

/// Opens the line connection, checking who serves it before a byte is sent.
fn connect_line(path: &Path) -> Result<UnixStream, String> {
    let line = UnixStream::connect(path)
        .map_err(|e| format!("cannot reach the desk serving {}: {e}", path.display()))?;
    crate::store::private::check_socket(path, &line)?;
    // A desk that stopped answering must not freeze a console mid-command.
    line.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    Ok(line)
}
