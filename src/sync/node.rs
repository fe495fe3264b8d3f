//! A serving desk: it owns the store, the peer links and the Unix socket attached consoles use
//! (`switchboard serve`, or a console started with `--listen`).
//!
//! One mutex guards the desk; every task — a peer link, an attached client — takes it briefly
//! to run a command, take a batch or read what to send, and a generation counter on a `watch`
//! channel wakes the others when something changed. Commits (a flush and an fsync) happen under
//! the lock: the desk is the single writer.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_bytes::ByteBuf;
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::time::{timeout, Instant};

use super::{tls, Fingerprint, Identity, Peer, Peers, TrustedSet};
use crate::desk::attach::{known_reply, socket_path, Board, PeerRefusal, PeerView, Reply, Request};
use crate::desk::frame::{read_frame_async, write_frame_async, FrameError};
use crate::desk::{Desk, DeskError, Outcome};
use crate::domain::ReplicaId;

mod link;

use link::link;

/// A peer silent this long — two and a half missed pings — is down; checked four times a
/// second, so a link that dies is shown down within 3 s (design §5).
const SILENT: Duration = Duration::from_millis(2_500);
/// A peer that has acknowledged nothing of what it was sent for this long is down, whatever
/// the link is doing (it may still be pinging us while nothing of ours reaches it). Room for a
/// full batch (1 MiB) on a slow link and a busy peer's commit; a healthy peer acknowledges
/// each batch within milliseconds.
const UNACKNOWLEDGED: Duration = Duration::from_secs(10);
const PING: Duration = Duration::from_secs(1);
const CHECK: Duration = Duration::from_millis(250);
/// A full summary this often repairs whatever a lost frame left behind.
const RESUMMARY: Duration = Duration::from_secs(60);
/// How long a TLS handshake may take before the connection is dropped.
const HANDSHAKE: Duration = Duration::from_secs(5);
/// How many recent refusals the board keeps.
const REFUSALS_KEPT: usize = 5;
/// At most this many peer connections may be in their TLS handshake at once; more are closed
/// at once, so a flood of connections that never finish cannot take every descriptor.
const HANDSHAKES: usize = 64;
/// At most this many local connections may be waiting for their first request; a newer one
/// closes the one that has waited longest. A client sends its first request right away.
const LOCAL_PENDING: usize = 64;
/// A local connection that has sent no request in this long is closed.
const FIRST_REQUEST: Duration = Duration::from_secs(5);

/// Waits after a failed `accept` (out of descriptors, say): from 10 ms, doubling to 1 s, so a
/// listener never spins on an error that repeats, and takes connections again soon after.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Backoff {
        Backoff(Duration::from_millis(10))
    }

    async fn wait(&mut self, what: &str, e: &std::io::Error) {
        tracing::warn!(error = %e, "{what}: accept failed; retrying in {:?}", self.0);
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(1));
    }

    fn reset(&mut self) {
        self.0 = Duration::from_millis(10);
    }
}

struct Hub {
    desk: Desk,
    board: Board,
    /// The one link kept per peer name: its number, and how to tell it a newer link replaced
    /// it. Two links to one peer would each redraw the peer's line in turn, waking each other
    /// without end; the newer is kept, so a peer that restarted is not held off by its old,
    /// half-open link.
    links: BTreeMap<String, (u64, Arc<tokio::sync::Notify>)>,
    next_link: u64,
    /// The trusted peers as last read from `peers.toml`.
    peers: Peers,
}

impl Hub {
    /// The trusted list was read (again): a board line for each peer, none for removed ones.
    fn set_peers(&mut self, peers: Peers) {
        let since = self.desk.now_ms();
        self.board
            .peers
            .retain(|v| peers.list().iter().any(|x| x.name == v.name));
        for x in peers.list() {
            if !self.board.peers.iter().any(|v| v.name == x.name) {
                self.board.peers.push(PeerView::down(&x.name, since));
            }
        }
        self.peers = peers;
    }
}

struct Shared {
    hub: Mutex<Hub>,
    /// The fingerprints in `peers.toml`; a link to one that is removed is closed.
    trusted: TrustedSet,
    changed: watch::Sender<u64>,
    dir: PathBuf,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Hub> {
        // A task that panicked mid-update leaves the desk as consistent as its last commit.
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn bump(&self) {
        self.changed.send_modify(|g| *g += 1);
    }

    fn refused(&self, who: &str, why: &str) {
        tracing::warn!(%who, %why, "peer refused");
        let mut hub = self.lock();
        let at_ms = hub.desk.now_ms();
        hub.board.refused.push(PeerRefusal {
            who: who.to_owned(),
            at_ms,
            why: why.to_owned(),
        });
        let excess = hub.board.refused.len().saturating_sub(REFUSALS_KEPT);
        hub.board.refused.drain(..excess);
        drop(hub);
        self.bump();
    }
}

/// What to serve.
pub struct Options {
    pub dir: PathBuf,
    /// Where peers connect; none means this desk only dials out.
    pub listen: Option<String>,
}

/// Stops a desk served in the background and gives the desk back.
pub struct Serving {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<Desk, String>>>,
}

impl Serving {
    /// Stops serving; the store is flushed and closed.
    pub fn stop(mut self) -> Result<(), String> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), String> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(Ok(desk))) => desk.close().map_err(|e| e.to_string()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err("the serving desk stopped abnormally".into()),
            None => Ok(()),
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Serves `desk` on a thread of its own until [`Serving::stop`]; returns once the socket is
/// listening, so a console can attach right away.
pub fn serve_in_background(desk: Desk, options: Options) -> Result<Serving, String> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let thread = std::thread::Builder::new()
        .name("desk".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let shared = runtime.block_on(run(
                desk,
                options,
                async {
                    let _ = stop_rx.await;
                },
                Some(ready_tx),
            ))?;
            // Dropping the runtime drops every task, and with them their hold on the desk.
            drop(runtime);
            into_desk(shared)
        })
        .map_err(|e| e.to_string())?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Serving {
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => match thread.join() {
            Ok(Err(e)) => Err(e),
            _ => Err("the serving desk stopped before it was ready".into()),
        },
    }
}

/// Serves `desk` until SIGTERM or SIGINT (`switchboard serve`); `ready` runs once the socket
/// and the peer port are listening.
pub fn serve(desk: Desk, options: Options, ready: impl FnOnce()) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let shared = runtime.block_on(async {
        let stop = async {
            let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
            match term {
                Ok(mut term) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = run(
            desk,
            options,
            async {
                // `run` reports readiness before it waits on this future.
                if matches!(rx.try_recv(), Ok(Ok(()))) {
                    ready();
                }
                stop.await;
            },
            Some(tx),
        );
        shared.await
    })?;
    drop(runtime);
    into_desk(shared)?.close().map_err(|e| e.to_string())
}

fn into_desk(shared: Arc<Shared>) -> Result<Desk, String> {
    let shared = Arc::try_unwrap(shared)
        .map_err(|_| "the serving desk could not stop its links".to_owned())?;
    Ok(shared
        .hub
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .desk)
}

async fn run(
    desk: Desk,
    options: Options,
    stop: impl std::future::Future<Output = ()>,
    ready: Option<std::sync::mpsc::Sender<Result<(), String>>>,
) -> Result<Arc<Shared>, String> {
    let started = start(desk, &options).await;
    let (shared, tasks) = match started {
        Ok(s) => {
            if let Some(ready) = &ready {
                let _ = ready.send(Ok(()));
            }
            s
        }
        Err(e) => {
            if let Some(ready) = &ready {
                let _ = ready.send(Err(e.clone()));
            }
            return Err(e);
        }
    };
    stop.await;
    for t in tasks {
        t.abort();
    }
    let _ = std::fs::remove_file(socket_path(&options.dir));
    Ok(shared)
}

type Started = (Arc<Shared>, Vec<tokio::task::JoinHandle<()>>);

/// Opens the socket and the peer port; a desk that cannot start is dropped (its commits are
/// already durable).
async fn start(desk: Desk, options: &Options) -> Result<Started, String> {
    let dir = options.dir.clone();
    let identity = Identity::load_or_create(&dir).map_err(|e| e.to_string())?;
    let peers = Peers::load(&dir).map_err(|e| e.to_string())?;
    let trusted = TrustedSet::new(peers.fingerprints());
    let tcp = match &options.listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?,
        ),
        None => None,
    };
    let unix = bind_socket(&dir)?;
    let mut hub = Hub {
        desk,
        board: Board::default(),
        links: BTreeMap::new(),
        next_link: 0,
        peers: peers.clone(),
    };
    hub.set_peers(peers);
    let (changed, _) = watch::channel(0u64);
    let shared = Arc::new(Shared {
        hub: Mutex::new(hub),
        changed,
        dir: dir.clone(),
        trusted: trusted.clone(),
    });
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(accept_clients(unix, shared.clone())));
    let acceptor = tls::acceptor(&identity, trusted.clone()).map_err(|e| e.to_string())?;
    let connector = tls::connector(&identity, trusted.clone()).map_err(|e| e.to_string())?;
    if let Some(tcp) = tcp {
        tasks.push(tokio::spawn(accept_peers(
            tcp,
            acceptor,
            shared.clone(),
            trusted.clone(),
        )));
    }
    tasks.push(tokio::spawn(keep_dialling(
        connector,
        shared.clone(),
        trusted,
    )));
    // Partners over NENA-STA-024, in their own module; nothing starts without partners.toml.
    tasks.extend(crate::partner::start(shared.clone()).await?);
    Ok((shared, tasks))
}

impl crate::partner::Host for Shared {
    fn with_desk<R>(&self, f: impl FnOnce(&mut Desk) -> R) -> R {
        f(&mut self.lock().desk)
    }

    fn changed(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        Shared::bump(self);
    }

    fn with_board(&self, f: impl FnOnce(&mut Board)) {
        f(&mut self.lock().board);
    }

    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }
}

/// Binds `<dir>/desk.sock`, owner-only. Whoever holds the store's lock owns the socket, so a
/// socket file already there was left by a desk that died.
fn bind_socket(dir: &Path) -> Result<UnixListener, String> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(dir);
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("cannot protect {}: {e}", path.display()))?;
    Ok(listener)
}

// ---------------------------------------------------------------------------------------------
// Attached consoles and commands on the Unix socket.

async fn accept_clients(listener: UnixListener, shared: Arc<Shared>) {
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

/// Serves one local connection, from its first request on (the caller checked who it is).
async fn client(mut stream: UnixStream, shared: &Shared, first: Request) -> Result<(), FrameError> {
    match first {
        Request::Watch { have, present } => {
            // A name that could not be stamped on a change is not shown either.
            let present = present.filter(|name| crate::domain::text::check_operator(name).is_ok());
            let _here = present.map(|name| Presence::arrive(shared, name));
            watch_client(stream, shared, have).await
        }
        run @ (Request::Run { .. } | Request::Handover { .. }) => {
            let mut next = run;
            loop {
                let reply = run_for_client(shared, next);
                write_frame_async(&mut stream, &reply).await?;
                next = read_request(&mut stream).await?;
            }
        }
    }
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

fn run_for_client(shared: &Shared, request: Request) -> Reply {
    let have = match &request {
        Request::Run { have, .. } | Request::Handover { have, .. } => have.clone(),
        Request::Watch { .. } => return Reply::Refused("one watch per connection".into()),
    };
    let mut hub = shared.lock();
    let desk = &mut hub.desk;
    let have: BTreeMap<ReplicaId, u64> = have.into_iter().collect();
    let mut missed = Vec::new();
    for (o, head) in desk.heads().clone() {
        let from = have.get(&o).copied().unwrap_or(0);
        if head.seq > from && missed.len() < super::session::MAX_BATCH {
            let room = super::session::MAX_BATCH - missed.len();
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
            Ok(id) => desk.run_request(id, &operator, |desk| desk.run_line(&line)),
        },
        Request::Handover {
            handover,
            operator,
            id,
            ..
        } => match checked_request_id(id.as_deref()) {
            Err(why) => return Reply::Refused(why),
            Ok(id) => desk.run_request(id, &operator, |desk| {
                desk.take_handover(&handover)
                    .map(|(_, events)| Outcome::Committed(events))
            }),
        },
        Request::Watch { .. } => return Reply::Refused("one watch per connection".into()),
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
            Reply::Committed {
                missed,
                events: out,
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
) -> Result<(), FrameError> {
    let (mut rd, mut wr) = stream.into_split();
    let mut changed = shared.changed.subscribe();
    let (replica, kind) = {
        let hub = shared.lock();
        (hub.desk.replica(), hub.desk.kind().word().to_owned())
    };
    write_frame_async(&mut wr, &Reply::Welcome { replica, kind }).await?;
    let mut sent: BTreeMap<ReplicaId, u64> = have.into_iter().collect();
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
            if let Some(batch) = batch {
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

fn next_for_client(desk: &Desk, sent: &mut BTreeMap<ReplicaId, u64>) -> Option<Vec<ByteBuf>> {
    for (o, head) in desk.heads() {
        let from = sent.entry(*o).or_default();
        if head.seq > *from {
            let batch = desk
                .events_from(
                    *o,
                    *from + 1,
                    super::session::MAX_BATCH,
                    crate::desk::frame::MAX_FRAME / 2,
                )
                .ok()?;
            *from += batch.len() as u64;
            return Some(batch.into_iter().map(ByteBuf::from).collect());
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Peers over TCP and TLS.

async fn accept_peers(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
    trusted: TrustedSet,
) {
    let handshakes = Arc::new(tokio::sync::Semaphore::new(HANDSHAKES));
    let mut backoff = Backoff::new();
    loop {
        let (tcp, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.wait("peer port", &e).await;
                continue;
            }
        };
        backoff.reset();
        // Too many handshakes under way: this one is closed unheard (and not put on the board,
        // which a flood would otherwise churn).
        let Ok(slot) = handshakes.clone().try_acquire_owned() else {
            tracing::debug!(%from, "too many handshakes under way; connection closed");
            drop(tcp);
            continue;
        };
        let acceptor = acceptor.clone();
        let shared = shared.clone();
        let trusted = trusted.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let handshake = timeout(HANDSHAKE, acceptor.accept(tcp)).await;
            drop(slot);
            let tls = match handshake {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return shared.refused(&from.to_string(), &tls::error_text(&e)),
                Err(_) => return shared.refused(&from.to_string(), "no TLS handshake in 5 s"),
            };
            let Some(fp) = tls::peer_fingerprint(tls.get_ref().1) else {
                return shared.refused(&from.to_string(), "no certificate");
            };
            if !trusted.contains(&fp) {
                return shared.refused(&from.to_string(), &format!("unknown peer {fp}"));
            }
            let name = shared
                .lock()
                .peers
                .get(&fp)
                .map_or_else(|| fp.short(), |p| p.name.clone());
            link(tls, &shared, &name, fp, from).await;
        });
    }
}

/// Dials every trusted peer that is not connected, with backoff; re-reads `peers.toml` when it
/// changes, so `peer add` and `peer rm` take effect without a restart.
async fn keep_dialling(
    connector: tokio_rustls::TlsConnector,
    shared: Arc<Shared>,
    trusted: TrustedSet,
) {
    let path = Peers::path(&shared.dir);
    let mut seen = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let mut dialers: BTreeMap<Fingerprint, tokio::task::JoinHandle<()>> = BTreeMap::new();
    loop {
        let wanted: Vec<Peer> = shared.lock().peers.list().to_vec();
        dialers.retain(|fp, task| {
            let keep = wanted.iter().any(|p| &p.fingerprint == fp) && !task.is_finished();
            if !keep {
                task.abort();
            }
            keep
        });
        for peer in wanted {
            dialers
                .entry(peer.fingerprint)
                .or_insert_with(|| tokio::spawn(dial(connector.clone(), shared.clone(), peer)));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if now != seen {
            seen = now;
            match Peers::load(&shared.dir) {
                Ok(p) => {
                    trusted.replace(p.fingerprints());
                    shared.lock().set_peers(p);
                    shared.bump();
                    // Dialers of changed addresses restart with the new one.
                    for task in dialers.values() {
                        task.abort();
                    }
                    dialers.clear();
                }
                Err(e) => tracing::warn!(error = %e, "peers.toml not reloaded"),
            }
        }
    }
}

async fn dial(connector: tokio_rustls::TlsConnector, shared: Arc<Shared>, peer: Peer) {
    let mut backoff = Duration::from_millis(250);
    loop {
        let connected = shared.lock().links.contains_key(&peer.name);
        if connected {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let started = Instant::now();
        match timeout(HANDSHAKE, TcpStream::connect(&peer.addr)).await {
            Ok(Ok(tcp)) => {
                let _ = tcp.set_nodelay(true);
                let from = tcp.peer_addr().ok();
                match timeout(HANDSHAKE, connector.connect(tls::server_name(), tcp)).await {
                    Ok(Ok(tls)) => {
                        let fp = tls::peer_fingerprint(tls.get_ref().1);
                        if fp == Some(peer.fingerprint) {
                            let from = from.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
                            link(tls, &shared, &peer.name, peer.fingerprint, from).await;
                        } else {
                            let shown = fp.map_or_else(|| "none".to_owned(), |f| f.to_string());
                            shared.refused(
                                &peer.name,
                                &format!("{} answered with certificate {shown}", peer.addr),
                            );
                        }
                    }
                    Ok(Err(e)) => shared.refused(&peer.name, &tls::error_text(&e)),
                    Err(_) => shared.refused(&peer.name, "no TLS handshake in 5 s"),
                }
            }
            Ok(Err(e)) => tracing::debug!(peer = %peer.name, error = %e, "dial failed"),
            Err(_) => tracing::debug!(peer = %peer.name, "dial timed out"),
        }
        if started.elapsed() > Duration::from_secs(10) {
            backoff = Duration::from_millis(250);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
