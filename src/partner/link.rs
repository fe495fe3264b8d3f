//! One WebSocket with a partner, in both roles. As notifier: the partner's subscriptions here,
//! and answers to what it pushes (`requestForService`, `requestAwarenes`, `cancelREequest`).
//! As subscriber: this desk's subscriptions with the partner (its `new` incidents, or the
//! `single` incident a call handed out became) and the calls it pushes out (`transfer`).
//!
//! This file holds the socket loop, the notifier and the timers; `push` answers what the
//! partner asks of this desk, `follow` is this desk as subscriber and requester.
//!
//! What comes in is read whole and checked before anything is written; a message that cannot be
//! read is answered with its own response's status code (400 naming the field, 413/513 too
//! large, 481 no such subscription) and changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::notifier::{self, Scope, Subscription, MAX_UNANSWERED};
use super::wire::{self, Incoming, Subscribe, Unreadable};
use super::{call_eido, unit_eido, Change, Host, Partner, Shared, MAX_MESSAGE, MAX_SUBSCRIBE};
mod follow;
mod push;

use crate::desk::{Desk, DeskError};
use crate::domain::{Body, CallId, Direction, Handover, Stage, Taken};

/// Which side opened the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// The partner connected to this desk's endpoint.
    Accepted,
    /// This desk dialled the partner.
    Dialled,
}

/// A subscription this desk holds with the partner.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ours {
    New,
    /// The incident a call handed out became.
    Single(CallId),
}

struct Link<H: Host> {
    shared: Arc<Shared<H>>,
    partner: Partner,
    role: Role,
    subs: Vec<Subscription>,
    /// Whether a subscription was ever held: the socket closes when the last one expires.
    had_subs: bool,
    /// Our notifications awaiting `eventResponse`: transaction → subscription.
    outstanding: BTreeMap<String, String>,
    /// Their requests for service awaiting a dispatcher: request → call.
    theirs: BTreeMap<String, CallId>,
    /// Our subscribe requests awaiting an answer, and the subscriptions granted (id → what,
    /// expiry).
    asked: BTreeMap<String, Ours>,
    granted: BTreeMap<String, (Ours, i64)>,
    /// Our requests for service awaiting an answer: request → call; and the calls pushed.
    pushes: BTreeMap<String, CallId>,
    pushed: BTreeSet<CallId>,
    next: u64,
    tag: String,
    out: Vec<String>,
    close: Option<(CloseCode, String)>,
}

fn status_text(code: u16) -> &'static str {
    match code {
        180 => "Ringing",
        200 => "OK",
        400 => "Bad request",
        404 => "Not found",
        413 => "Request too large",
        481 => "Subscription does not exist",
        488 => "Not acceptable here",
        500 => "Internal error",
        513 => "Message too large",
        _ => "",
    }
}

/// Runs one link until the socket closes or fails.
pub(super) async fn run<H: Host, S>(
    ws: WebSocketStream<S>,
    shared: Arc<Shared<H>>,
    partner: Partner,
    role: Role,
) -> Result<(), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let mut changes = shared.changes.subscribe();
    let tag = shared.host.with_desk(|d| d.replica().tag());
    let mut link = Link {
        shared,
        partner,
        role,
        subs: Vec::new(),
        had_subs: false,
        outstanding: BTreeMap::new(),
        theirs: BTreeMap::new(),
        asked: BTreeMap::new(),
        granted: BTreeMap::new(),
        pushes: BTreeMap::new(),
        pushed: BTreeSet::new(),
        next: 0,
        tag,
        out: Vec::new(),
        close: None,
    };
    if role == Role::Dialled {
        link.tick();
    }
    let mut tick = tokio::time::interval(super::TICK);
    loop {
        for text in std::mem::take(&mut link.out) {
            sink.send(Message::Text(text.into()))
                .await
                .map_err(|e| e.to_string())?;
        }
        if let Some((code, reason)) = link.close.take() {
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
            return Ok(());
        }
        tokio::select! {
            msg = stream.next() => match msg {
                None | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Err(e)) => {
                    if matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)) {
                        let frame = CloseFrame {
                            code: CloseCode::Size,
                            reason: "message too large".into(),
                        };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                    }
                    return Err(e.to_string());
                }
                Some(Ok(Message::Text(text))) => link.on_text(text.as_str()),
                Some(Ok(Message::Binary(_))) => {
                    link.close = Some((
                        CloseCode::Unsupported,
                        "NENA-STA-024 messages are text".into(),
                    ));
                }
                Some(Ok(_)) => {}
            },
            change = changes.recv() => match change {
                Ok(change) => link.on_change(&change),
                Err(RecvError::Lagged(_)) => link.resend_all(),
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = tick.tick() => link.tick(),
        }
    }
}

impl<H: Host> Link<H> {
    fn id(&mut self, what: &str) -> String {
        self.next += 1;
        let r = getrandom::u32().unwrap_or_default();
        format!("{}-{what}-{}-{r:08x}", self.tag, self.next)
    }

    fn send(&mut self, v: &Value) {
        if !v.is_null() {
            self.out.push(v.to_string());
        }
    }

    fn now(&self) -> i64 {
        self.shared.host.with_desk(|d| d.now_ms())
    }

    fn with_desk<R>(&self, f: impl FnOnce(&mut Desk) -> R) -> R {
        self.shared.host.with_desk(f)
    }

    /// Commits planned bodies; wakes consoles and links.
    fn commit(&self, bodies: Vec<Body>) -> Result<(), DeskError> {
        if bodies.is_empty() {
            return Ok(());
        }
        self.with_desk(|d| d.commit_planned(bodies))?;
        self.shared.host.bump();
        Ok(())
    }

    fn take(&self, h: &Handover) -> Result<(Taken, Vec<crate::domain::Event>), DeskError> {
        let out = self.with_desk(|d| d.take_handover(h))?;
        if !out.1.is_empty() {
            self.shared.host.bump();
        }
        Ok(out)
    }

    fn on_text(&mut self, text: &str) {
        let parsed = wire::parse(text);
        let too_big = |limit: usize| text.len() > limit;
        match parsed {
            Err(Unreadable::Garbage(why)) => {
                self.close = Some((
                    CloseCode::Invalid,
                    format!("not a NENA-STA-024 message: {why}"),
                ));
            }
            Err(Unreadable::Bad { name, id, why }) => {
                let v = wire::bad(name, &id, &why);
                self.send(&v);
            }
            Ok(Incoming::Subscribe(req)) if too_big(MAX_SUBSCRIBE) => {
                let v = wire::subscribe_response(
                    &req.request_id,
                    None,
                    413,
                    "Request too large: a subscription request is at most 64 KiB",
                    None,
                );
                self.send(&v);
            }
            Ok(
                Incoming::RequestForService { request_id, .. }
                | Incoming::RequestAwareness { request_id, .. },
            ) if too_big(MAX_MESSAGE) => {
                let v = wire::response(
                    &request_id,
                    513,
                    "Message too large: an EIDO is at most 1 MiB",
                );
                self.send(&v);
            }
            Ok(Incoming::Event { transaction_id, .. }) if too_big(MAX_MESSAGE) => {
                let v = wire::event_response(&transaction_id, 413, "Request too large");
                self.send(&v);
            }
            Ok(msg) => self.on_message(msg),
        }
    }

    fn on_message(&mut self, msg: Incoming) {
        match msg {
            Incoming::Subscribe(req) => self.subscribe(&req),
            Incoming::Unsubscribe {
                request_id,
                subscription_id,
            } => {
                let before = self.subs.len();
                self.subs.retain(|s| s.id != subscription_id);
                let code = if self.subs.len() < before { 200 } else { 481 };
                let v = wire::unsubscribe_response(
                    &request_id,
                    &subscription_id,
                    code,
                    status_text(code),
                );
                self.send(&v);
            }
            Incoming::EventResponse {
                transaction_id,
                status,
                text,
            } => {
                let Some(sub) = self.outstanding.remove(&transaction_id) else {
                    return;
                };
                if status != 200 {
                    tracing::warn!(partner = %self.partner.name, status, %text, "eventResponse");
                }
                self.answered(&sub, status == 200);
            }
            Incoming::TerminateResponse { .. } | Incoming::UnsubscribeResponse { .. } => {}
            Incoming::Terminate {
                request_id,
                subscription_id,
            } => {
                let code = if self.granted.remove(&subscription_id).is_some() {
                    200
                } else {
                    481
                };
                let v = wire::terminate_response(
                    &request_id,
                    &subscription_id,
                    code,
                    status_text(code),
                );
                self.send(&v);
            }
            Incoming::SubscribeResponse {
                request_id,
                subscription_id,
                status,
                text,
                expires,
            } => {
                let Some(what) = self.asked.remove(&request_id) else {
                    return;
                };
                match (status, subscription_id) {
                    (200, Some(id)) => {
                        let secs = expires.unwrap_or(notifier::DEFAULT_EXPIRES) as i64;
                        let at = self.now() + secs * 1000;
                        self.granted.retain(|_, (w, _)| *w != what);
                        self.granted.insert(id, (what, at));
                    }
                    (code, _) => {
                        let why = format!("subscription refused: {code} {text}");
                        self.shared.refused(&self.partner.name, &why);
                    }
                }
            }
            Incoming::Event {
                subscription_id,
                transaction_id,
                notification,
            } => {
                let (code, text) = self.event(&subscription_id, &notification);
                let v = wire::event_response(&transaction_id, code, &text);
                self.send(&v);
            }
            Incoming::RequestForService { request_id, eido } => {
                let (code, text) = self.request_for_service(&request_id, &eido, false);
                let v = wire::response(&request_id, code, &text);
                self.send(&v);
            }
            Incoming::RequestAwareness { request_id, eido } => {
                let (code, text) = self.request_for_service(&request_id, &eido, true);
                let v = wire::response(&request_id, code, &text);
                self.send(&v);
            }
            Incoming::CancelRequest { request_id } => {
                let (code, text) = self.cancel(&request_id);
                let v = wire::response(&request_id, code, &text);
                self.send(&v);
            }
            Incoming::Response {
                request_id,
                code,
                text,
            } => self.pushed_answer(&request_id, code, &text),
            Incoming::NotImplemented { name, request_id } => {
                tracing::debug!(partner = %self.partner.name, %name, "not implemented");
                let v = wire::not_implemented(&request_id);
                self.send(&v);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Notifier: the partner's subscriptions here.

    fn subscribe(&mut self, req: &Subscribe) {
        let partner = self.partner.clone();
        let held = self.subs.clone();
        let id = self.id("sub");
        let outcome = self
            .with_desk(|d| notifier::decide(&partner, req, &held, d.state(), d.now_ms(), || id));
        let terms = outcome.subscription.as_ref().map(|s| s.terms);
        let sub_id = outcome.subscription.as_ref().map(|s| s.id.clone());
        let v = wire::subscribe_response(
            &req.request_id,
            sub_id.as_deref(),
            outcome.code,
            &outcome.text,
            terms,
        );
        self.send(&v);
        let Some(sub) = outcome.subscription else {
            return;
        };
        if outcome.renews {
            if let Some(s) = self.subs.iter_mut().find(|s| s.id == sub.id) {
                *s = sub;
            }
            return;
        }
        self.had_subs = true;
        self.subs.push(sub.clone());
        // What it covers now: one incident, every open call it may see (an empty notification
        // if none), or the unit.
        let eidos = self.current(&sub);
        self.notify(&sub.id, &eidos);
        if let Scope::Single { once: true, .. } = sub.scope {
            self.subs.retain(|s| s.id != sub.id);
        }
    }

    /// The EIDOs a subscription covers now.
    fn current(&self, sub: &Subscription) -> Vec<String> {
        let partner = self.partner.clone();
        self.with_desk(|d| match &sub.scope {
            Scope::Single { call, .. } => call_eido(d, call).map(|(_, e)| e).into_iter().collect(),
            Scope::New => {
                let ids: Vec<CallId> = d
                    .state()
                    .calls
                    .values()
                    .filter(|c| c.is_open() && notifier::visible(&partner, c))
                    .map(|c| c.id.clone())
                    .collect();
                ids.iter()
                    .filter_map(|id| call_eido(d, id).map(|(_, e)| e))
                    .collect()
            }
            Scope::Resource(unit) => unit_eido(d, unit).into_iter().collect(),
        })
    }

    /// Sends one `event` carrying these EIDOs.
    fn notify<T: AsRef<str>>(&mut self, sub_id: &str, eidos: &[T]) {
        let tx = self.id("tx");
        let now = self.now();
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let body: Vec<&str> = eidos.iter().map(AsRef::as_ref).collect();
        // The EIDOs are already JSON, written once for every partner: only the envelope is
        // written here.
        self.out.push(format!(
            "{{\"event\":{{\"subscriptionId\":{},\"transactionId\":{},\"notification\":[{}]}}}}",
            quote(sub_id),
            quote(&tx),
            body.join(",")
        ));
        self.outstanding.insert(tx, sub_id.to_owned());
        if let Some(s) = self.subs.iter_mut().find(|s| s.id == sub_id) {
            s.last_sent_ms = now;
            s.unanswered += 1;
        }
    }

    fn answered(&mut self, sub_id: &str, ok: bool) {
        let Some(s) = self.subs.iter_mut().find(|s| s.id == sub_id) else {
            return;
        };
        if ok {
            s.unanswered = 0;
        } else if s.unanswered >= MAX_UNANSWERED {
            let id = s.id.clone();
            self.end(&id);
        }
    }

    /// Ends a subscription here: `terminate` is sent.
    fn end(&mut self, sub_id: &str) {
        self.subs.retain(|s| s.id != sub_id);
        let request = self.id("term");
        let v = wire::terminate(&request, sub_id);
        self.send(&v);
    }

    fn on_change(&mut self, change: &Change) {
        let now = self.now();
        let partner = self.partner.clone();
        let mut now_send: BTreeMap<String, Vec<Arc<str>>> = BTreeMap::new();
        for sub in &mut self.subs {
            for c in &change.calls {
                if !sub.covers(&partner, &c.id, &c.partners) {
                    continue;
                }
                if now >= sub.allowed_at_ms() {
                    now_send
                        .entry(sub.id.clone())
                        .or_default()
                        .push(c.eido.clone());
                } else {
                    sub.pending.insert(c.id.clone());
                }
            }
            if let Scope::Resource(unit) = &sub.scope {
                for u in change.units.iter().filter(|u| &u.unit == unit) {
                    if now >= sub.allowed_at_ms() {
                        now_send
                            .entry(sub.id.clone())
                            .or_default()
                            .push(u.eido.clone());
                    } else {
                        sub.unit_pending = true;
                    }
                }
            }
        }
        for (sub, eidos) in now_send {
            self.notify(&sub, &eidos);
        }
        let touched: Vec<CallId> = change.calls.iter().map(|c| c.id.clone()).collect();
        self.decisions(&touched);
        if self.role == Role::Dialled {
            self.push_out(&touched);
        }
    }

    /// After a lost batch of changes: every subscription gets its current state.
    fn resend_all(&mut self) {
        let subs = self.subs.clone();
        for sub in subs {
            let eidos = self.current(&sub);
            self.notify(&sub.id, &eidos);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Time: rates, heartbeats, expiry, renewal.

    fn tick(&mut self) {
        let now = self.now();
        // The partner's subscriptions.
        let expired: Vec<String> = self
            .subs
            .iter()
            .filter(|s| now >= s.expires_at_ms)
            .map(|s| s.id.clone())
            .collect();
        for id in expired {
            self.end(&id);
        }
        if self.had_subs
            && self.subs.is_empty()
            && self.role == Role::Accepted
            && self.theirs.is_empty()
        {
            self.close = Some((CloseCode::Normal, "the last subscription expired".into()));
            return;
        }
        let subs = self.subs.clone();
        for sub in subs {
            if !sub.pending.is_empty() && now >= sub.allowed_at_ms() {
                let eidos: Vec<String> = self.with_desk(|d| {
                    sub.pending
                        .iter()
                        .filter_map(|c| call_eido(d, c).map(|(_, e)| e))
                        .collect()
                });
                if let Some(s) = self.subs.iter_mut().find(|s| s.id == sub.id) {
                    s.pending.clear();
                }
                self.notify(&sub.id, &eidos);
            } else if sub.unit_pending && now >= sub.allowed_at_ms() {
                if let Some(s) = self.subs.iter_mut().find(|s| s.id == sub.id) {
                    s.unit_pending = false;
                }
                let eidos = self.current(&sub);
                self.notify(&sub.id, &eidos);
            } else if sub.heartbeat_at_ms().is_some_and(|at| now >= at) {
                let eidos = self.current(&sub);
                self.notify(&sub.id, &eidos);
            }
        }
        if self.role != Role::Dialled {
            return;
        }
        // This desk's subscriptions with the partner: `new` when configured, renewed at four
        // fifths of their time.
        let wants_new = self
            .shared
            .partners()
            .get(&self.partner.name)
            .is_some_and(|p| p.subscribe_new);
        let has_new = self.asked.values().any(|w| *w == Ours::New)
            || self.granted.values().any(|(w, _)| *w == Ours::New);
        if wants_new && !has_new {
            self.ask_new(None);
        }
        let renew: Vec<String> = self
            .granted
            .iter()
            .filter(|(_, (w, at))| {
                *w == Ours::New && now >= at - notifier::DEFAULT_EXPIRES as i64 * 200
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in renew {
            if let Some((w, _)) = self.granted.get_mut(&id) {
                let _ = w;
            }
            self.granted.remove(&id);
            self.ask_new(Some(id));
        }
        // Calls transferred here and not yet sent, and those it accepted but this desk does
        // not yet follow.
        let name = self.partner.name.clone();
        let (to_push, to_follow): (Vec<CallId>, Vec<CallId>) = self.with_desk(|d| {
            let mut push = Vec::new();
            let mut follow = Vec::new();
            for c in d.state().calls.values() {
                for h in c
                    .handoffs
                    .iter()
                    .filter(|h| h.partner == name && h.direction == Direction::Out)
                {
                    match h.stage {
                        Stage::Sent => push.push(c.id.clone()),
                        Stage::Accepted | Stage::Dispatched | Stage::OnScene => {
                            follow.push(c.id.clone());
                        }
                        _ => {}
                    }
                }
            }
            (push, follow)
        });
        self.push_out(&to_push);
        for call in to_follow {
            self.follow(&call);
        }
    }
}
