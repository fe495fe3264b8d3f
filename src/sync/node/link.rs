//! One peer link: the session protocol over a TLS stream, with a watchdog beside it that says
//! the peer is down when it falls silent or stops acknowledging what it is sent, even while a
//! write to it cannot finish.

use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{timeout, Instant};

use super::{Shared, CHECK, PING, RESUMMARY, SILENT, UNACKNOWLEDGED};
use crate::desk::attach::{LinkState, PeerView};
use crate::desk::frame::{read_frame_async, write_frame_async, FrameError};
use crate::sync::session::{Frame, LinkError, Session};
use crate::sync::Fingerprint;

/// Runs one peer link until it fails or falls silent.
pub(super) async fn link<S>(
    stream: S,
    shared: &Arc<Shared>,
    name: &str,
    fp: Fingerprint,
    from: SocketAddr,
    opened: Opened,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let replaced = Arc::new(tokio::sync::Notify::new());
    let id = {
        let mut hub = shared.lock();
        let now = Instant::now();
        if let Some(older) = hub.links.get(name) {
            if !keeps_newer(older, opened, shared.own, fp, now) {
                // The peer keeps the other one too, so this one just closes.
                tracing::debug!(peer = %name, %from, "crossing link closed; the other is kept");
                return;
            }
        }
        hub.next_link += 1;
        let id = hub.next_link;
        let slot = Slot {
            id,
            replaced: replaced.clone(),
            opened,
            at: now,
        };
        if let Some(older) = hub.links.insert(name.to_owned(), slot) {
            older.replaced.notify_one();
        }
        id
    };
    tracing::info!(peer = %name, %from, "peer link open");
    let result = session(stream, shared, name, fp, &replaced).await;
    let why = match &result {
        Ok(()) => "closed".to_owned(),
        Err(e) => e.clone(),
    };
    tracing::info!(peer = %name, %why, "peer link ended");
    {
        let mut hub = shared.lock();
        // A link a newer one replaced leaves the peer's line to the newer.
        if hub.links.get(name).is_some_and(|current| current.id == id) {
            hub.links.remove(name);
            let now = hub.desk.now_ms();
            // Down since the link was last up, not since the last failed attempt.
            if let Some(v) = hub
                .board
                .peers
                .iter_mut()
                .find(|v| v.name == name && v.state != LinkState::Down)
            {
                v.state = LinkState::Down;
                v.since_ms = now;
            }
        }
    }
    if let Err(why) = result {
        if why.starts_with("refused") {
            shared.refused(name, &why);
        } else if why.contains("fatal alert") {
            shared.refused(name, &format!("it refused this node's certificate ({why})"));
        }
    }
    shared.bump();
}

/// Which node opened a link: this one dialled, or the peer did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Opened {
    ByUs,
    ByPeer,
}

/// The link kept for a peer: its number, how to tell it a newer link replaced it, who opened
/// it and when.
pub(super) struct Slot {
    id: u64,
    replaced: Arc<tokio::sync::Notify>,
    opened: Opened,
    at: Instant,
}

/// How long after one link opened a link the other way counts as crossing it: both nodes
/// dialled at once.
const CROSSING: Duration = Duration::from_secs(5);

/// Whether a new link to a peer replaces the one kept. Normally it does: a peer that restarted
/// must not be held off by its old, half-open link. But when both nodes dial each other at
/// once, each would keep its newer link and close the one the other kept, and both links die;
/// with the same backoff on both sides they can cross again and again. So two links opened
/// the opposite ways within `CROSSING` of each other are settled the same way on both sides:
/// the one opened by the node with the lower fingerprint stays.
fn keeps_newer(
    kept: &Slot,
    newer: Opened,
    own: Fingerprint,
    peer: Fingerprint,
    now: Instant,
) -> bool {
    if kept.opened == newer || now.duration_since(kept.at) > CROSSING {
        return true;
    }
    let lower_opened = if own < peer {
        Opened::ByUs
    } else {
        Opened::ByPeer
    };
    newer == lower_opened
}

/// Why a link replaced by a newer one to the same peer ended; it closes without a word.
const REPLACED: &str = "replaced by a newer link to the same peer";

/// What the link's watchdog reads, beside whatever the link is doing: when the peer was last
/// heard from and last acknowledged anything (set by the task that reads its frames), and since
/// when events sent to it have been waiting for an acknowledgement (set as they are sent). A
/// write that cannot finish — a link black-holed one way or both — is given up once the peer
/// has been silent, or has acknowledged nothing it was sent, for too long, rather than holding
/// the link "ok" for as long as the write hangs.
#[derive(Clone)]
struct Watchdog(Arc<std::sync::Mutex<Times>>);

struct Times {
    heard: Instant,
    acked: Instant,
    /// Since when something sent has been waiting for an acknowledgement, if anything is.
    owing: Option<Instant>,
}

impl Watchdog {
    fn new() -> Watchdog {
        let now = Instant::now();
        Watchdog(Arc::new(std::sync::Mutex::new(Times {
            heard: now,
            acked: now,
            owing: None,
        })))
    }

    fn times(&self) -> std::sync::MutexGuard<'_, Times> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A frame came from the peer; `ack` if it acknowledged something.
    fn heard(&self, ack: bool) {
        let mut t = self.times();
        t.heard = Instant::now();
        if ack {
            t.acked = t.heard;
        }
    }

    /// Whether the peer has been sent events it has not acknowledged yet: the deadline for an
    /// acknowledgement runs from when the first of them was sent.
    fn owing(&self, owing: bool) {
        let mut t = self.times();
        t.owing = match (owing, t.owing) {
            (false, _) => None,
            (true, Some(since)) => Some(since),
            (true, None) => Some(Instant::now()),
        };
    }

    /// Why the peer is down, if it is: silent too long, or nothing it was sent acknowledged in
    /// time (counted from its last acknowledgement, so a long catch-up that is being
    /// acknowledged batch by batch carries on).
    fn down(&self) -> Option<String> {
        let t = self.times();
        if t.heard.elapsed() > SILENT {
            return Some(format!(
                "silent for {:.1} s (nothing heard or acknowledged)",
                SILENT.as_secs_f32()
            ));
        }
        let waited = t.owing.map(|since| since.max(t.acked).elapsed());
        waited.filter(|w| *w > UNACKNOWLEDGED).map(|_| {
            format!(
                "nothing acknowledged in {} s of what was sent (a link that stopped \
                 carrying this node's frames?)",
                UNACKNOWLEDGED.as_secs()
            )
        })
    }
}

/// Writes one frame, giving up if the watchdog finds the peer down meanwhile: the write may
/// never finish on a link that stopped carrying bytes.
async fn send<W: AsyncWrite + Unpin>(
    wr: &mut W,
    frame: &Frame,
    watchdog: &Watchdog,
) -> Result<(), String> {
    if matches!(frame, Frame::Events(_) | Frame::Sealed { .. }) {
        watchdog.owing(true);
    }
    let write = write_frame_async(wr, frame);
    tokio::pin!(write);
    loop {
        tokio::select! {
            r = &mut write => return r.map_err(|e| e.to_string()),
            () = tokio::time::sleep(CHECK) => if let Some(why) = watchdog.down() {
                return Err(why);
            },
        }
    }
}

async fn session<S>(
    stream: S,
    shared: &Arc<Shared>,
    name: &str,
    fp: Fingerprint,
    replaced: &tokio::sync::Notify,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<Result<Frame, FrameError>>(4);
    let watchdog = Watchdog::new();
    // Reading a frame is not cancel-safe, so it has a task of its own. It notes every frame and
    // acknowledgement as it reads it, whatever the link task is doing.
    let reader = tokio::spawn({
        let watchdog = watchdog.clone();
        async move {
            loop {
                let frame = read_frame_async::<Frame>(&mut rd).await;
                watchdog.heard(matches!(frame, Ok(Frame::Ack(_))));
                let end = frame.is_err();
                // A ping only measures the clock: while the link task is busy (a long write)
                // it is dropped rather than left to fill the queue and stop the reading of
                // the acknowledgements behind it.
                if matches!(frame, Ok(Frame::Ping { .. })) {
                    if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(frame) {
                        break;
                    }
                    continue;
                }
                if tx.send(frame).await.is_err() || end {
                    break;
                }
            }
        }
    });
    let result = tokio::select! {
        r = drive(&mut wr, &mut rx, shared, name, fp, &watchdog) => r,
        () = replaced.notified() => Err(REPLACED.to_owned()),
    };
    reader.abort();
    if let Err(why) = result.as_ref().map_err(String::as_str) {
        if why == REPLACED {
            return result;
        }
        let _ = timeout(
            Duration::from_millis(200),
            write_frame_async(&mut wr, &Frame::Refuse(why.to_owned())),
        )
        .await;
    }
    result
}

async fn drive<W: AsyncWrite + Unpin>(
    wr: &mut W,
    rx: &mut mpsc::Receiver<Result<Frame, FrameError>>,
    shared: &Arc<Shared>,
    name: &str,
    fp: Fingerprint,
    watchdog: &Watchdog,
) -> Result<(), String> {
    let mut session = Session::default();
    let opening = Session::open(&shared.lock().desk).map_err(|e| e.to_string())?;
    for f in &opening {
        send(wr, f, watchdog).await?;
    }
    let mut changed = shared.changed.subscribe();
    let mut ping = tokio::time::interval(PING);
    let mut check = tokio::time::interval(CHECK);
    let mut resummary = tokio::time::interval_at(Instant::now() + RESUMMARY, RESUMMARY);
    // A frame taken off the queue while gathering batches, to be handled next.
    let mut held: Option<Result<Frame, FrameError>> = None;
    loop {
        // Push whatever the peer lacks, a batch at a time, then show where the link stands.
        loop {
            let batch = {
                let hub = shared.lock();
                session.next_batch(&hub.desk).map_err(|e| e.to_string())?
            };
            match batch {
                Some(f) => send(wr, &f, watchdog).await?,
                None => break,
            }
            // What the peer sent meanwhile is taken between batches: two sides catching up at
            // once each acknowledge the other's batches as they come, rather than each waiting
            // on its own backlog (and both writes stalling on full buffers).
            if let Some(msg) = held.take().or_else(|| rx.try_recv().ok()) {
                handle(msg, &mut session, rx, &mut held, wr, shared, watchdog).await?;
            }
        }
        // Only a peer that has said hello is shown as linked: with TLS 1.3 the dialling side
        // finishes its handshake before the other side has checked its certificate.
        if session.peer.is_some() && update_board(shared, &session, name) {
            shared.bump();
        }
        changed.mark_unchanged();
        if let Some(msg) = held.take() {
            handle(msg, &mut session, rx, &mut held, wr, shared, watchdog).await?;
            continue;
        }
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else {
                    return Err("the link closed".into());
                };
                handle(msg, &mut session, rx, &mut held, wr, shared, watchdog).await?;
            }
            r = changed.changed() => if r.is_err() { return Ok(()) },
            _ = check.tick() => {
                if !shared.trusted.contains(&fp) {
                    return Err("refused: no longer a trusted peer (peer rm)".into());
                }
                if let Some(why) = watchdog.down() {
                    return Err(why);
                }
            }
            _ = ping.tick() => {
                let wall_ms = shared.lock().desk.now_ms();
                send(wr, &Frame::Ping { wall_ms }, watchdog).await?;
            }
            _ = resummary.tick() => {
                let summary = Session::summary(&shared.lock().desk);
                send(wr, &summary, watchdog).await?;
            }
        }
    }
}

/// Handles one frame from the peer. Batches of events already waiting behind it are taken in
/// the same commit: after a partition each batch may sort before what is folded, and one fold
/// of the log for several batches is cheaper than one for each.
async fn handle<W: AsyncWrite + Unpin>(
    msg: Result<Frame, FrameError>,
    session: &mut Session,
    rx: &mut mpsc::Receiver<Result<Frame, FrameError>>,
    held: &mut Option<Result<Frame, FrameError>>,
    wr: &mut W,
    shared: &Arc<Shared>,
    watchdog: &Watchdog,
) -> Result<(), String> {
    let mut frame = msg.map_err(|e| e.to_string())?;
    if let Frame::Events(batch) = &mut frame {
        while let Ok(next) = rx.try_recv() {
            match next {
                Ok(Frame::Events(more)) => batch.extend(more),
                other => {
                    *held = Some(other);
                    break;
                }
            }
        }
    }
    let step = {
        let mut hub = shared.lock();
        let step = session.on_frame(&mut hub.desk, frame);
        watchdog.owing(session.owing(&hub.desk));
        step
    };
    let step = step.map_err(|e| match e {
        LinkError::Refused(why) => format!("refused: {why}"),
        LinkError::Store(e) => e.to_string(),
    })?;
    if !step.forks.is_empty() {
        let mut hub = shared.lock();
        hub.board.forks.extend(step.forks);
    }
    for f in &step.reply {
        send(wr, f, watchdog).await?;
    }
    if step.changed {
        shared.bump();
    }
    Ok(())
}

/// Updates this peer's line on the board; true if it changed.
fn update_board(shared: &Shared, session: &Session, name: &str) -> bool {
    let mut hub = shared.lock();
    let state = if session.catching_up(&hub.desk) {
        LinkState::CatchingUp
    } else {
        LinkState::Connected
    };
    let lag = session.lag(&hub.desk);
    let now = hub.desk.now_ms();
    // Only peers in the list have a line: one just removed is on its way out.
    let Some(v) = hub.board.peers.iter_mut().find(|v| v.name == name) else {
        return false;
    };
    let next = PeerView {
        name: name.to_owned(),
        state,
        since_ms: if v.state == state { v.since_ms } else { now },
        lag,
        saved: session.saved(),
        skew_s: session.skew_ms / 1000,
        why: None,
    };
    if *v == next {
        return false;
    }
    *v = next;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(opened: Opened, at: Instant) -> Slot {
        Slot {
            id: 1,
            replaced: Arc::new(tokio::sync::Notify::new()),
            opened,
            at,
        }
    }

    /// Both sides of a crossing keep the same link, whichever of the two each saw first; a
    /// redial, or a link the other way long after, replaces the old one.
    #[test]
    fn crossing_links_are_settled_the_same_way_on_both_nodes() {
        let (low, high) = (Fingerprint([1; 32]), Fingerprint([2; 32]));
        let now = Instant::now();
        let just = now.checked_sub(Duration::from_millis(200)).unwrap();
        // The link the low node dialled is kept on the low node …
        assert!(!keeps_newer(
            &slot(Opened::ByUs, just),
            Opened::ByPeer,
            low,
            high,
            now
        ));
        assert!(keeps_newer(
            &slot(Opened::ByPeer, just),
            Opened::ByUs,
            low,
            high,
            now
        ));
        // … and on the high node, where it is the one the peer opened.
        assert!(keeps_newer(
            &slot(Opened::ByUs, just),
            Opened::ByPeer,
            high,
            low,
            now
        ));
        assert!(!keeps_newer(
            &slot(Opened::ByPeer, just),
            Opened::ByUs,
            high,
            low,
            now
        ));
        // A redial the same way replaces the kept link, however young.
        assert!(keeps_newer(
            &slot(Opened::ByPeer, just),
            Opened::ByPeer,
            low,
            high,
            now
        ));
        assert!(keeps_newer(
            &slot(Opened::ByUs, just),
            Opened::ByUs,
            high,
            low,
            now
        ));
        // Long after, the newer link wins whoever opened it: the old one may be half-open.
        let old = now.checked_sub(CROSSING * 2).unwrap();
        assert!(keeps_newer(
            &slot(Opened::ByUs, old),
            Opened::ByPeer,
            low,
            high,
            now
        ));
    }
}
