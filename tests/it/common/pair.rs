//! Two desks served in this process, paired as peers over loopback TLS: for the live sync
//! tests and the sync benchmark.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use switchboard::desk::attach::{attach, Board, LinkState, Reply, Watch};
use switchboard::desk::{Clock, Desk, SystemClock};
use switchboard::domain::{Body, CallId};
use switchboard::store::{Store, StoreKind};
use switchboard::sync::node::{serve_in_background, Options, Serving};
use switchboard::sync::{Identity, Peers};

/// Takes a call with a `call …` line; its id.
pub fn take_call(desk: &mut Desk, line: &str) -> CallId {
    desk.execute_line(line)
        .unwrap()
        .into_iter()
        .find_map(|e| match e.body {
            Body::CallCreated { call, .. } => Some(call),
            _ => None,
        })
        .unwrap()
}

/// Fills the store in `dir` (not yet served) with a call and `batches` × 500 notes of 1,900
/// bytes: about a megabyte a batch, so a dozen are more than a stalled link's buffers hold.
#[allow(dead_code)] // not every user of this module fills a store
pub fn fill_with_notes(dir: &Path, batches: usize) {
    use switchboard::domain::Event;
    use switchboard::store::Sealed;
    let store = Store::open(dir, StoreKind::Live).unwrap();
    let mut desk = Desk::open(store, Box::new(SystemClock), "t").unwrap();
    let call = take_call(&mut desk, "call 12 Main St / man shouting");
    desk.close().unwrap();
    let mut store = Store::open(dir, StoreKind::Live).unwrap();
    let origin = store.replica();
    let text = "x".repeat(1_900);
    let now = switchboard::desk::Clock::now_ms(&SystemClock);
    for _ in 0..batches {
        let mut head = store.heads().get(&origin).copied().unwrap_or_default();
        let mut batch = Vec::new();
        for hlc in store.hlc_mark() + 1..=store.hlc_mark() + 500 {
            let sealed = Sealed::new(Event {
                origin,
                seq: head.seq + 1,
                hlc,
                wall_ms: now,
                prev: head.hash,
                operator: "t".into(),
                request: None,
                os_user: None,
                body: Body::NoteAdded {
                    call: call.clone(),
                    text: text.clone(),
                    caution: false,
                    written: None,
                },
            });
            head.seq += 1;
            head.hash = sealed.hash();
            batch.push(sealed);
        }
        store.commit(&batch).unwrap();
    }
    store.close().unwrap();
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Node {
    pub dir: PathBuf,
    pub port: u16,
    pub serving: Option<Serving>,
}

impl Node {
    /// Serves this node's store (again).
    pub fn start(&mut self) {
        self.start_with(Box::new(SystemClock));
    }

    /// Serves this node's store with the desk reading `clock` (one that is off, say).
    pub fn start_with(&mut self, clock: Box<dyn Clock>) {
        let store = Store::open(&self.dir, StoreKind::Live).unwrap();
        let desk = Desk::open(store, clock, "test").unwrap();
        self.serving = Some(
            serve_in_background(
                desk,
                Options {
                    dir: self.dir.clone(),
                    listen: Some(format!("127.0.0.1:{}", self.port)),
                },
            )
            .unwrap(),
        );
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.serving.take() {
            s.stop().unwrap();
        }
    }

    /// A console's view of this node's desk.
    pub fn attach(&self, operator: &str) -> (Desk, Watch) {
        attach(&self.dir, Box::new(SystemClock), operator)
            .unwrap()
            .expect("a desk serves this dir")
    }
}

/// Trusts `peer` (reached at `addr`) in `dir`'s peer list.
pub fn trust(dir: &Path, peer: &Path, addr: &str, name: &str) {
    let own = Identity::load_or_create(dir).unwrap().fingerprint();
    let theirs = Identity::load_or_create(peer).unwrap().fingerprint();
    let mut peers = Peers::load(dir).unwrap();
    peers.add(&own, theirs, addr, Some(name)).unwrap();
    peers.save().unwrap();
}

/// Node `alpha` and node `bravo`, each trusting the other, not yet started.
pub fn pair(root: &Path) -> (Node, Node) {
    let (a, b) = (root.join("alpha"), root.join("bravo"));
    let (pa, pb) = (free_port(), free_port());
    trust(&a, &b, &format!("127.0.0.1:{pb}"), "bravo");
    trust(&b, &a, &format!("127.0.0.1:{pa}"), "alpha");
    (
        Node {
            dir: a,
            port: pa,
            serving: None,
        },
        Node {
            dir: b,
            port: pb,
            serving: None,
        },
    )
}

/// Reads a watch until `done` says so with the latest board; panics after `limit`.
pub fn watch_until(
    watch: &mut Watch,
    desk: &mut Desk,
    limit: Duration,
    done: impl FnMut(&Desk, &Board) -> bool,
) -> Board {
    follow(watch, desk, Board::default(), limit, done, true)
}

/// Reads a watch for `span`, starting from `board`; returns the latest board.
#[allow(dead_code)] // not every user of this module waits out a span
pub fn watch_for(watch: &mut Watch, desk: &mut Desk, board: Board, span: Duration) -> Board {
    follow(watch, desk, board, span, |_, _| false, false)
}

fn follow(
    watch: &mut Watch,
    desk: &mut Desk,
    mut board: Board,
    limit: Duration,
    mut done: impl FnMut(&Desk, &Board) -> bool,
    must: bool,
) -> Board {
    let start = Instant::now();
    loop {
        if done(desk, &board) {
            return board;
        }
        if start.elapsed() >= limit {
            // What the desk said of its peers, for whoever reads a failure.
            assert!(
                !must,
                "not reached within {limit:?}; peers: {:?}; refused: {:?}",
                board.peers, board.refused
            );
            return board;
        }
        watch.set_timeout(Some(Duration::from_millis(200))).unwrap();
        let news = match watch.recv() {
            Ok(news) => news,
            Err(switchboard::desk::frame::FrameError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(e) => panic!("the serving desk went away: {e}"),
        };
        match news {
            Reply::Events(batch) => {
                desk.absorb(&batch).unwrap();
            }
            Reply::Keys(keys) => desk.take_keys(&keys).unwrap(),
            Reply::Board(b) => board = b,
            // First-known times can arrive after the open, when a skewed peer's call reaches the
            // serving desk later: a watcher that dropped them would age the call by its clock.
            Reply::Known(entries) => {
                desk.know(&switchboard::desk::attach::known_entries(&entries));
            }
            _ => {}
        }
    }
}

pub fn connected(board: &Board, peer: &str) -> bool {
    board
        .peers
        .iter()
        .any(|p| p.name == peer && p.state == LinkState::Connected)
}
