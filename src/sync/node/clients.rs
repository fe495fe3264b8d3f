//! Attached consoles and commands on the Unix socket: who may attach, a command's run and
//! its reply, and the watch that keeps a console's mirror current.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_bytes::ByteBuf;
use tokio::net::{UnixListener, UnixStream};
use tokio::time::timeout;

use super::{Backoff, Shared, FIRST_REQUEST, LOCAL_PENDING};
use crate::desk::attach::{known_reply, Reply, Request};
use crate::desk::frame::{read_frame_async, write_frame_async, FrameError};
use crate::desk::{Desk, DeskError, Outcome};
use crate::domain::ReplicaId;

pub(super) async fn accept_clients(listener: UnixListener, shared: Arc<Shared>) {
    // Connections still waiting for their first request, oldest first.
    let pending: Arc<Mutex<BTreeMap<u64, Arc<tokio::sync::Notify>>>> = Arc::default();
    let mut next = 0u64;
    let mut backoff = Backoff::new();
    loop {
        let mut stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                backoff.wait("desk socket", &e).await;
                continue;
            }
        };
        backoff.reset();
        next += 1;
        let id = next;
        let evict = Arc::new(tokio::sync::Notify::new());
        {
            let mut waiting = pending.lock().unwrap_or_else(PoisonError::into_inner);
            waiting.insert(id, evict.clone());
            while waiting.len() > LOCAL_PENDING {
                if let Some((_, oldest)) = waiting.pop_first() {
                    oldest.notify_one();
                }
            }
        }
        let shared = shared.clone();
        let pending = pending.clone();
        tokio::spawn(async move {
            let first = if same_user(&stream) {
                tokio::select! {
                    r = timeout(FIRST_REQUEST, read_request(&mut stream)) => r.ok(),
                    () = evict.notified() => None,
                }
            } else {
                None
            };
            let was_waiting = pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id)
                .is_some();
            let result = match first {
                Some(Ok(request)) => client(stream, &shared, request).await,
                Some(Err(e)) => Err(e),
                // Another user: take its first request before answering, so the refusal is
                // what it reads rather than a broken pipe on its write.
                None if was_waiting && !same_user(&stream) => refuse_other_user(stream).await,
                None => Ok(()),
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "client gone");
            }
        });
    }
}

async fn refuse_other_user(mut stream: UnixStream) -> Result<(), FrameError> {
    let _ = timeout(
        Duration::from_secs(1),
        read_frame_async::<Request>(&mut stream),
    )
    .await;
    let why = "only the desk's own user may use it".to_owned();
    write_frame_async(&mut stream, &Reply::Refused(why)).await
}

/// Only the desk's own user may use it (the socket is 0600 as well): the caller's uid is
/// compared with this process's, not with whoever owns the dir.
fn same_user(stream: &UnixStream) -> bool {
    stream
        .peer_cred()
        .is_ok_and(|cred| cred.uid() == crate::store::private::my_uid())
}

/// The OS user on the other end of the socket (its peer credentials), by name.
fn peer_user(stream: &UnixStream) -> Option<String> {
    let cred = stream.peer_cred().ok()?;
    Some(crate::desk::author::user_name(cred.uid()))
}

/// Serves one local connection, from its first request on (the caller checked who it is).
async fn client(mut stream: UnixStream, shared: &Shared, first: Request) -> Result<(), FrameError> {
    let Some(os_user) = peer_user(&stream) else {
        let why = "cannot tell which OS user is on the desk socket; nothing was done".to_owned();
        return write_frame_async(&mut stream, &Reply::Refused(why)).await;
    };
    match first {
        Request::Watch {
            have,
            present,
            image,
        } => {
            // A console whose OS user may not act as the operator it names is turned away
            // before it is shown anything.
            let refused = present
                .as_deref()
                .and_then(|name| shared.lock().desk.may_act_as(&os_user, name).err());
            if let Some(why) = refused {
                return write_frame_async(&mut stream, &Reply::Refused(why)).await;
            }
            // A name that could not be stamped on a change is not shown either.
            let present = present.filter(|name| crate::domain::text::check_operator(name).is_ok());
            let _here = present.map(|name| Presence::arrive(shared, name));
            watch_client(stream, shared, have, image).await
        }
        first => {
            let mut next = first;
            loop {
                match next {
                    Request::Hello => write_frame_async(&mut stream, &welcome(shared)).await?,
                    Request::Image => send_image(&mut stream, shared).await?,
                    Request::Chronology { call } => {
                        send_chronology(&mut stream, shared, &call).await?;
                    }
                    Request::Log => send_log(&mut stream, shared).await?,
                    Request::Figures { period, by } => {
                        send_figures(&mut stream, shared, period, by).await?;
                    }
                    run => {
                        let reply = run_for_client(shared, run, &os_user);
                        write_frame_async(&mut stream, &reply).await?;
                    }
                }
                next = read_request(&mut stream).await?;
            }
        }
    }
}

/// Who serves: the first thing a watch or a line that says hello is told.
fn welcome(shared: &Shared) -> Reply {
    let hub = shared.lock();
    Reply::Welcome {
        replica: hub.desk.replica(),
        kind: hub.desk.kind().word().to_owned(),
    }
}

/// The desk's fold as it stands, in pieces, for a client to start from (`desk/image.rs`).
/// Made under the lock (so it matches the heads it names), sent after it.
async fn write_image<W: tokio::io::AsyncWrite + Unpin>(
    stream: &mut W,
    shared: &Shared,
) -> Result<Option<BTreeMap<ReplicaId, u64>>, FrameError> {
    let made = shared.lock().desk.image();
    match made {
        Ok((bytes, covers)) => {
            let sent = covers.heads.iter().map(|(o, s, _)| (*o, *s)).collect();
            for part in crate::desk::image::parts(&bytes) {
                write_frame_async(stream, &part).await?;
            }
            write_frame_async(stream, &Reply::Image(covers)).await?;
            Ok(Some(sent))
        }
        Err(e) => {
            write_frame_async(stream, &Reply::Failed(e.to_string())).await?;
            Ok(None)
        }
    }
}

async fn send_image(stream: &mut UnixStream, shared: &Shared) -> Result<(), FrameError> {
    if write_image(stream, shared).await?.is_some() {
        write_frame_async(stream, &Reply::CaughtUp).await?;
    }
    Ok(())
}

/// One call's events, read through the store's index, with the keys that open them.
async fn send_chronology(
    stream: &mut UnixStream,
    shared: &Shared,
    call: &crate::domain::CallId,
) -> Result<(), FrameError> {
    let read = {
        let hub = shared.lock();
        hub.desk
            .chronology_bytes(call)
            .map(|bytes| (hub.desk.keys_for(&bytes), bytes))
    };
    let (keys, bytes) = match read {
        Ok(read) => read,
        Err(e) => return write_frame_async(stream, &Reply::Failed(e.to_string())).await,
    };
    write_frame_async(stream, &Reply::Keys(keys)).await?;
    let mut batch = Vec::new();
    let mut size = 0;
    for b in bytes {
        if size + b.len() > crate::desk::frame::MAX_FRAME / 2 && !batch.is_empty() {
            write_frame_async(stream, &Reply::Events(std::mem::take(&mut batch))).await?;
            size = 0;
        }
        size += b.len();
        batch.push(ByteBuf::from(b));
    }
    if !batch.is_empty() {
        write_frame_async(stream, &Reply::Events(batch)).await?;
    }
    write_frame_async(stream, &Reply::CaughtUp).await
}

/// Every event, a batch at a time (the lock taken for each), with the keys that open them.
async fn send_log(stream: &mut UnixStream, shared: &Shared) -> Result<(), FrameError> {
    let mut sent = BTreeMap::new();
    loop {
        let next = next_for_client(&shared.lock().desk, &mut sent);
        let Some((keys, batch)) = next else {
            return write_frame_async(stream, &Reply::CaughtUp).await;
        };
        if !keys.is_empty() {
            write_frame_async(stream, &Reply::Keys(keys)).await?;
        }
        write_frame_async(stream, &Reply::Events(batch)).await?;
    }
}

/// `read` on this desk's store, holding the desk's lock for that read only.
fn on_store<T>(
    shared: &Shared,
    read: impl FnOnce(&crate::desk::Desk, &crate::store::Store) -> Result<T, crate::store::StoreError>,
) -> Result<T, String> {
    let hub = shared.lock();
    let store = hub.desk.store().ok_or("this desk keeps no store")?;
    read(&hub.desk, store).map_err(|e| e.to_string())
}

/// Events a report reads per step at the serving desk: a few milliseconds of its lock.
const REPORT_STEP: u64 = 4096;

/// The figures of a period (a `report`, a dashboard) read from this desk's store in steps, the
/// lock let go between them, so that dispatch never waits on a program manager's figures.
async fn send_figures(
    stream: &mut UnixStream,
    shared: &Shared,
    period: crate::report::metrics::Period,
    by: Option<crate::report::metrics::GroupBy>,
) -> Result<(), FrameError> {
    use crate::report::tally::Tally;
    // The client checks its period; one that did not (or a hostile one) is refused, not walked.
    let far = i64::MAX / 4;
    if !(period.since_ms < period.until_ms && period.since_ms >= -far && period.until_ms <= far) {
        let why = format!(
            "figures from {} to {} cannot be read: the period must start before it ends",
            crate::report::rfc3339(period.since_ms),
            crate::report::rfc3339(period.until_ms)
        );
        return write_frame_async(stream, &Reply::Refused(why)).await;
    }
    let started = on_store(shared, |desk, store| {
        Tally::start(store, period, desk.policy(), by)
    });
    let mut tally = match started {
        Ok(t) => t,
        Err(why) => return write_frame_async(stream, &Reply::Failed(why)).await,
    };
    loop {
        let stepped = on_store(shared, |_, store| tally.step(store, REPORT_STEP));
        match stepped {
            Ok(true) => break,
            Ok(false) => write_frame_async(stream, &Reply::Answered(Vec::new())).await?,
            Err(why) => return write_frame_async(stream, &Reply::Failed(why)).await,
        }
        tokio::task::yield_now().await;
    }
    let bytes = tally.finish().0.encode();
    for piece in bytes.chunks(crate::desk::frame::MAX_FRAME / 4) {
        write_frame_async(stream, &Reply::ImagePart(ByteBuf::from(piece.to_vec()))).await?;
    }
    write_frame_async(stream, &Reply::CaughtUp).await
}

/// A client's next request. One over the frame limit is refused by its length, before a byte
/// of it is read, and the connection closed: the client is told why rather than left with a
/// broken pipe.
async fn read_request(stream: &mut UnixStream) -> Result<Request, FrameError> {
    match read_frame_async::<Request>(stream).await {
        Err(FrameError::TooBig(n)) => {
            let why = format!(
                "a request of {n} bytes is over the {}-byte limit; nothing was run",
                crate::desk::frame::MAX_FRAME
            );
            let _ = write_frame_async(stream, &Reply::Refused(why)).await;
            Err(FrameError::TooBig(n))
        }
        other => other,
    }
}

/// A request id as clients make them ([`crate::desk::attach::request_id`]): 32 hex digits.
fn checked_request_id(id: Option<&str>) -> Result<Option<&str>, String> {
    match id {
        Some(id) if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Err("a request id is 32 hex digits; nothing was run".into())
        }
        id => Ok(id),
    }
}

fn run_for_client(shared: &Shared, request: Request, os_user: &str) -> Reply {
    // A client that keeps no fold is sent nothing it missed.
    let thin = matches!(request, Request::Run { thin: true, .. });
    let have = match &request {
        Request::Run { have, .. } | Request::Handover { have, .. } => have.clone(),
        _ => return Reply::Refused("one watch per connection".into()),
    };
    let mut hub = shared.lock();
    let desk = &mut hub.desk;
    let have: BTreeMap<ReplicaId, u64> = have.into_iter().collect();
    let mut missed = Vec::new();
    for (o, head) in desk.heads().clone() {
        let from = have.get(&o).copied().unwrap_or(0);
        if !thin && head.seq > from && missed.len() < crate::sync::session::MAX_BATCH {
            let room = crate::sync::session::MAX_BATCH - missed.len();
            if let Ok(more) = desk.events_from(o, from + 1, room, crate::desk::frame::MAX_FRAME / 4)
            {
                missed.extend(more.into_iter().map(ByteBuf::from));
            }
        }
    }
    let outcome = match request {
        Request::Run {
            line, operator, id, ..
        } => match checked_request_id(id.as_deref()) {
            Err(why) => return Reply::Refused(why),
            Ok(id) => desk.run_request(id, &operator, Some(os_user), |desk| desk.run_line(&line)),
        },
        Request::Handover {
            handover,
            operator,
            id,
            ..
        } => match checked_request_id(id.as_deref()) {
            Err(why) => return Reply::Refused(why),
            Ok(id) => desk.run_request(id, &operator, Some(os_user), |desk| {
                desk.take_handover(&handover)
                    .map(|(_, events)| Outcome::Committed(events))
            }),
        },
        _ => return Reply::Refused("one watch per connection".into()),
    };
    let reply = match outcome {
        Ok(Outcome::Answered(lines)) => Reply::Answered(lines),
        Ok(Outcome::Committed(events)) => {
            let mut out = Vec::with_capacity(events.len());
            for e in &events {
                match desk.events_from(e.origin, e.seq, 1, usize::MAX) {
                    Ok(mut b) if !b.is_empty() => out.push(ByteBuf::from(b.remove(0))),
                    _ => return Reply::Failed(format!("lost event {}:{}", e.origin, e.seq)),
                }
            }
            let mut keys = desk.keys_for(&missed);
            for key in desk.keys_for(&out) {
                if !keys.iter().any(|(c, _)| *c == key.0) {
                    keys.push(key);
                }
            }
            Reply::Committed {
                missed,
                events: out,
                keys,
            }
        }
        Err(e @ (DeskError::Parse(_) | DeskError::Refused(_))) => Reply::Refused(e.to_string()),
        Err(e @ DeskError::Store(_)) => Reply::Failed(e.to_string()),
    };
    drop(hub);
    if matches!(reply, Reply::Committed { .. }) {
        shared.bump();
    }
    reply
}

/// An operator at a console attached to this desk, on the board while its watch is open.
struct Presence<'a> {
    shared: &'a Shared,
    name: String,
}

impl<'a> Presence<'a> {
    fn arrive(shared: &'a Shared, name: String) -> Presence<'a> {
        shared.lock().board.operators.push(name.clone());
        shared.bump();
        Presence { shared, name }
    }
}

impl Drop for Presence<'_> {
    fn drop(&mut self) {
        let mut hub = self.shared.lock();
        let operators = &mut hub.board.operators;
        if let Some(at) = operators.iter().position(|o| *o == self.name) {
            operators.remove(at);
        }
        drop(hub);
        self.shared.bump();
    }
}

async fn watch_client(
    stream: UnixStream,
    shared: &Shared,
    have: Vec<(ReplicaId, u64)>,
    image: bool,
) -> Result<(), FrameError> {
    let (mut rd, mut wr) = stream.into_split();
    let mut changed = shared.changed.subscribe();
    write_frame_async(&mut wr, &welcome(shared)).await?;
    let mut sent: BTreeMap<ReplicaId, u64> = have.into_iter().collect();
    if image {
        // The fold first, then only what commits after it.
        match write_image(&mut wr, shared).await? {
            Some(covered) => sent = covered,
            None => return Ok(()),
        }
    }
    let mut board = None;
    let mut known = 0;
    let mut caught_up = false;
    // The client sends nothing more on a watch; a read that ends means it has gone.
    let mut gone = tokio::spawn(async move {
        let mut byte = [0u8; 1];
        let _ = tokio::io::AsyncReadExt::read(&mut rd, &mut byte).await;
    });
    loop {
        changed.mark_unchanged();
        loop {
            let (batch, now_board, now_known) = {
                let hub = shared.lock();
                let times = hub.desk.state().known();
                let grown = (times.len() != known).then(|| (times.len(), known_reply(times)));
                (
                    next_for_client(&hub.desk, &mut sent),
                    hub.board.clone(),
                    grown,
                )
            };
            // The first-known times go before the events they are for.
            if let Some((len, reply)) = now_known {
                write_frame_async(&mut wr, &reply).await?;
                known = len;
            }
            if let Some((keys, batch)) = batch {
                // The keys go before the events they open.
                if !keys.is_empty() {
                    write_frame_async(&mut wr, &Reply::Keys(keys)).await?;
                }
                write_frame_async(&mut wr, &Reply::Events(batch)).await?;
                continue;
            }
            if !caught_up {
                caught_up = true;
                write_frame_async(&mut wr, &Reply::CaughtUp).await?;
            }
            if board.as_ref() != Some(&now_board) {
                write_frame_async(&mut wr, &Reply::Board(now_board.clone())).await?;
                board = Some(now_board);
            }
            break;
        }
        tokio::select! {
            r = changed.changed() => if r.is_err() { return Ok(()) },
            _ = &mut gone => return Ok(()),
        }
    }
}

fn next_for_client(
    desk: &Desk,
    sent: &mut BTreeMap<ReplicaId, u64>,
) -> Option<(crate::desk::shred::WireKeys, Vec<ByteBuf>)> {
    for (o, head) in desk.heads() {
        let from = sent.entry(*o).or_default();
        if head.seq > *from {
            let batch = desk
                .events_from(
                    *o,
                    *from + 1,
                    crate::sync::session::MAX_BATCH,
                    crate::desk::frame::MAX_FRAME / 2,
                )
                .ok()?;
            *from += batch.len() as u64;
            let keys = desk.keys_for(&batch);
            return Some((keys, batch.into_iter().map(ByteBuf::from).collect()));
        }
    }
    None
}
