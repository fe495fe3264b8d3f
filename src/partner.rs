//! Partners: 911 centres and other agencies this desk exchanges incidents with live, over the
//! NENA-STA-024 EIDO conveyance — a WebSocket at [`PATH`] with the subprotocol [`SUBPROTOCOL`],
//! over mutual TLS — as peers are configured (`switchboard partner add`), and served by
//! `switchboard serve`.
//!
//! - [`list`]: `partners.toml`: who, where, how each proves who it is, what it may see.
//! - [`tls`]: the pinned certificates of peers, and chains from a configured authority.
//! - [`wire`]: the messages, read and written.
//! - [`notifier`]: the subscriptions partners hold here: scope, rates, expiry.
//! - `link`: one WebSocket, in both roles: notifier and responder to what the partner sends,
//!   subscriber and requester for what this desk asks of it.
//! - `endpoint`, `dial`: the listener partners connect to, and the connections this desk keeps
//!   to each partner.
//!
//! Every change the desk commits is turned into EIDOs once ([`Change`]), whatever the number
//! of partners, and each link sends what its subscriptions cover. What a partner sends is
//! taken through the desk like anything else: planned, committed, then answered — a partner
//! told "received" can rely on it.

pub mod list;
pub mod notifier;
pub mod tls;
pub mod wire;

mod dial;
mod endpoint;
mod link;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::desk::attach::{Board, PeerView};
use crate::desk::Desk;
use crate::domain::{Body, CallId, Callsign, Event, ReplicaId};

pub use list::{Partner, Partners};

/// Where the endpoint listens on its port.
pub const PATH: &str = "/IncidentData/ent";
/// The WebSocket subprotocol of NENA-STA-024.
pub const SUBPROTOCOL: &str = "emergency-ent1.0";
/// Largest message read: an EIDO (1 MiB) and its envelope. A larger WebSocket message is
/// answered with its message's "too large" status (413, 513) while under [`HARD_LIMIT`].
pub const MAX_MESSAGE: usize = eido_limit() + 64 * 1024;
/// A subscription request larger than this is refused (413); NENA-STA-024 asks that up to 64 KiB
/// be accepted.
pub const MAX_SUBSCRIBE: usize = 64 * 1024;
/// The WebSocket layer closes the connection (1009) on a message over this.
pub const HARD_LIMIT: usize = 4 * 1024 * 1024;

const fn eido_limit() -> usize {
    crate::report::eido::MAX_DOCUMENT_BYTES
}

/// What the partner links need of the serving desk.
pub trait Host: Send + Sync + 'static {
    /// Runs `f` with the desk (held only briefly: every link and console shares it).
    fn with_desk<R>(&self, f: impl FnOnce(&mut Desk) -> R) -> R;
    /// Bumped when something was committed or the board changed.
    fn changed(&self) -> watch::Receiver<u64>;
    /// Tells consoles and links that something changed.
    fn bump(&self);
    /// Edits the board consoles show.
    fn with_board(&self, f: impl FnOnce(&mut Board));
    /// The data dir: identity, `partners.toml`.
    fn dir(&self) -> PathBuf;
}

/// A committed change, as partners see it: each call it touched with its EIDO (written once),
/// and the units whose status changed.
#[derive(Debug, Default)]
pub struct Change {
    pub calls: Vec<CallChange>,
    pub units: Vec<UnitChange>,
}

#[derive(Debug)]
pub struct CallChange {
    pub id: CallId,
    /// The incident id the EIDO carries.
    pub incident: String,
    /// The EIDO as JSON text.
    pub eido: Arc<str>,
    /// The partners the call was handed in from or out to.
    pub partners: Vec<String>,
}

#[derive(Debug)]
pub struct UnitChange {
    pub unit: Callsign,
    pub eido: Arc<str>,
}

/// The EIDO of one call now, as JSON text; `None` for a call the desk does not have.
pub fn call_eido(desk: &Desk, call: &CallId) -> Option<(String, String)> {
    let events = desk.chronology(call).ok()?;
    let doc = crate::report::eido::export(&events, desk.state(), Some(call), None, None)
        .ok()?
        .into_iter()
        .next()?;
    let incident = doc["$id"].as_str().unwrap_or_default().to_owned();
    Some((incident, doc.to_string()))
}

/// The EIDO of a unit's status: the roster entry as an emergency resource, on the call it is on.
pub fn unit_eido(desk: &Desk, unit: &Callsign) -> Option<String> {
    let u = desk.state().units.get(unit)?;
    let doc = crate::report::eido::export::resource_document(desk.state(), desk.replica(), u);
    Some(doc.to_string())
}

/// Reads what was committed since `seen` and turns it into a [`Change`].
fn change_since(desk: &Desk, seen: &mut BTreeMap<ReplicaId, u64>) -> Change {
    let mut calls: BTreeSet<CallId> = BTreeSet::new();
    let mut units: BTreeSet<Callsign> = BTreeSet::new();
    for (origin, head) in desk.heads().clone() {
        let from = seen.entry(origin).or_default();
        while head.seq > *from {
            let Ok(batch) = desk.events_from(origin, *from + 1, 512, usize::MAX) else {
                break;
            };
            if batch.is_empty() {
                break;
            }
            *from += batch.len() as u64;
            for bytes in batch {
                let Ok(e) = Event::decode(&bytes) else {
                    continue;
                };
                calls.extend(e.body.calls().into_iter().cloned());
                match &e.body {
                    Body::UnitStatusChanged { unit, .. }
                    | Body::UnitDispatched { unit, .. }
                    | Body::UnitAdded { unit, .. }
                    | Body::UnitCheckedIn { unit, .. } => {
                        units.insert(unit.clone());
                    }
                    _ => {}
                }
            }
        }
    }
    let mut change = Change::default();
    for id in calls {
        let Some((incident, eido)) = call_eido(desk, &id) else {
            continue;
        };
        let partners = desk.state().calls[&id]
            .handoffs
            .iter()
            .map(|h| h.partner.clone())
            .collect();
        change.calls.push(CallChange {
            id,
            incident,
            eido: eido.into(),
            partners,
        });
    }
    for unit in units {
        if let Some(eido) = unit_eido(desk, &unit) {
            change.units.push(UnitChange {
                unit,
                eido: eido.into(),
            });
        }
    }
    change
}

/// Turns each commit into one [`Change`] for every link.
async fn feed<H: Host>(host: Arc<H>, tx: broadcast::Sender<Arc<Change>>) {
    let mut changed = host.changed();
    let mut seen: BTreeMap<ReplicaId, u64> =
        host.with_desk(|d| d.heads().iter().map(|(o, h)| (*o, h.seq)).collect());
    loop {
        if changed.changed().await.is_err() {
            return;
        }
        let change = host.with_desk(|d| change_since(d, &mut seen));
        if !change.calls.is_empty() || !change.units.is_empty() {
            let _ = tx.send(Arc::new(change));
        }
    }
}

/// What the running partner links share.
pub(crate) struct Shared<H: Host> {
    pub host: Arc<H>,
    pub identity: crate::sync::Identity,
    pub partners: std::sync::RwLock<Partners>,
    pub trusted: tls::Trusted,
    pub changes: broadcast::Sender<Arc<Change>>,
    /// Links up per partner name, and when each partner's line last changed.
    pub links: std::sync::Mutex<BTreeMap<String, usize>>,
}

impl<H: Host> Shared<H> {
    pub fn partners(&self) -> Partners {
        self.partners
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A link to `name` opened (`up`) or closed: the board's line follows.
    pub fn link(&self, name: &str, up: bool) {
        let open = {
            let mut links = self
                .links
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let n = links.entry(name.to_owned()).or_default();
            if up {
                *n += 1;
            } else {
                *n = n.saturating_sub(1);
            }
            *n
        };
        let now = self.host.with_desk(|d| d.now_ms());
        let state = if open > 0 {
            crate::desk::attach::LinkState::Connected
        } else {
            crate::desk::attach::LinkState::Down
        };
        self.host.with_board(|b| {
            if let Some(v) = b.partners.iter_mut().find(|v| v.name == name) {
                if v.state != state {
                    v.state = state;
                    v.since_ms = now;
                }
            }
        });
        self.host.bump();
    }

    /// A partner, or a node claiming to be one, was refused.
    pub fn refused(&self, who: &str, why: &str) {
        tracing::warn!(%who, %why, "partner refused");
        let at_ms = self.host.with_desk(|d| d.now_ms());
        self.host.with_board(|b| {
            b.refused.push(crate::desk::attach::PeerRefusal {
                who: who.to_owned(),
                at_ms,
                why: why.to_owned(),
            });
            let excess = b.refused.len().saturating_sub(5);
            b.refused.drain(..excess);
        });
        self.host.bump();
    }
}

/// The board's lines for these partners, keeping the state of those already shown.
fn board_lines(board: &mut Board, partners: &Partners, now_ms: i64) {
    board
        .partners
        .retain(|v| partners.list().iter().any(|p| p.name == v.name));
    for p in partners.list() {
        if !board.partners.iter().any(|v| v.name == p.name) {
            board.partners.push(PeerView::down(&p.name, now_ms));
        }
    }
}

/// Starts the partner links of a serving desk: the endpoint when `partners.toml` has a
/// `listen` address, a connection to each partner, and the change feed. Nothing starts when
/// there are no partners and nothing to listen on.
pub async fn start<H: Host>(host: Arc<H>) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let dir = host.dir();
    let partners = Partners::load(&dir).map_err(|e| e.to_string())?;
    if partners.list().is_empty() && partners.listen.is_none() {
        return Ok(Vec::new());
    }
    let identity = crate::sync::Identity::load_or_create(&dir).map_err(|e| e.to_string())?;
    let trusted = tls::Trusted::new(&partners)?;
    let listener = match &partners.listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen for partners on {addr}: {e}"))?,
        ),
        None => None,
    };
    let now = host.with_desk(|d| d.now_ms());
    host.with_board(|b| board_lines(b, &partners, now));
    let (changes, _) = broadcast::channel(256);
    let shared = Arc::new(Shared {
        host: host.clone(),
        identity,
        partners: std::sync::RwLock::new(partners),
        trusted,
        changes: changes.clone(),
        links: std::sync::Mutex::new(BTreeMap::new()),
    });
    let mut tasks = vec![tokio::spawn(feed(host, changes))];
    if let Some(listener) = listener {
        tasks.push(tokio::spawn(endpoint::accept(listener, shared.clone())));
    }
    tasks.push(tokio::spawn(dial::keep_dialling(shared)));
    Ok(tasks)
}

/// How often the list is looked at for changes, and links for their timers.
const TICK: Duration = Duration::from_secs(1);

/// Re-reads `partners.toml` when it changed; true when it did.
fn reload<H: Host>(shared: &Shared<H>, seen: &mut Option<std::time::SystemTime>) -> bool {
    let path = Partners::path(&shared.host.dir());
    let now = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if now == *seen {
        return false;
    }
    *seen = now;
    match Partners::load(&shared.host.dir()) {
        Ok(p) => {
            if let Err(e) = shared.trusted.replace(&p) {
                tracing::warn!(error = %e, "partner authority not reloaded");
            }
            let now_ms = shared.host.with_desk(|d| d.now_ms());
            shared.host.with_board(|b| board_lines(b, &p, now_ms));
            *shared
                .partners
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = p;
            shared.host.bump();
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "partners.toml not reloaded");
            false
        }
    }
}
