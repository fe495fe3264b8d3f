//! A serving desk: it owns the store, the peer links and the Unix socket attached consoles use
//! (`switchboard serve`, or a console started with `--listen`).
//!
//! One mutex guards the desk; every task — a peer link, an attached client — takes it briefly
//! to run a command, take a batch or read what to send, and a generation counter on a `watch`
//! channel wakes the others when something changed. Commits (a flush and an fsync) happen under
//! the lock: the desk is the single writer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;

use super::{tls, Fingerprint, Identity, Peers, TrustedSet};
use crate::desk::attach::{socket_path, Board, LinkState, PeerRefusal, PeerView};
use crate::desk::Desk;

mod clients;
mod link;
mod peers;

use clients::accept_clients;
use link::link;
use peers::{accept_peers, keep_dialling};

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
    /// The one link kept per peer name. Two links to one peer would each redraw the peer's line
    /// in turn, waking each other without end; which one stays is `link::keeps_newer`'s rule.
    links: BTreeMap<String, link::Slot>,
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
    /// This node's own fingerprint: when two links to a peer cross, the one opened by the
    /// node with the lower fingerprint is kept, on both sides.
    own: Fingerprint,
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

    /// A dialled peer could not be reached, and why: its line says so while it is down.
    fn unreachable(&self, name: &str, why: &str) {
        tracing::info!(peer = %name, %why, "peer unreachable");
        let mut hub = self.lock();
        let Some(v) = hub.board.peers.iter_mut().find(|v| v.name == name) else {
            return;
        };
        if v.state != LinkState::Down || v.why.as_deref() == Some(why) {
            return;
        }
        v.why = Some(why.to_owned());
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
        own: identity.fingerprint(),
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
    tasks.push(tokio::spawn(keep_retention(shared.clone())));
    // Partners over NENA-STA-024, in their own module; nothing starts without partners.toml.
    tasks.extend(crate::partner::start(shared.clone()).await?);
    Ok((shared, tasks))
}

/// How often the serving desk looks for personal fields past their time.
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Erases on schedule (`[retention]`): at start, then every [`RETENTION_EVERY`]. What fails is
/// logged and tried again next time; it never stops the desk.
async fn keep_retention(shared: Arc<Shared>) {
    let mut every = tokio::time::interval(RETENTION_EVERY);
    loop {
        every.tick().await;
        let erased = shared.lock().desk.keep_retention();
        match erased {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(calls = n, "erased personal fields past their retention");
                shared.bump();
            }
            Err(e) => tracing::warn!(error = %e, "retention: erasing failed"),
        }
    }
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
