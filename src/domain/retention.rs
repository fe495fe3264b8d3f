//! Retention by schedule (`[retention]` in `config.toml`): which closed calls have kept their
//! personal fields longer than the program's schedule allows. Only personal fields are erased
//! (by crypto-shredding, `Body::CallErased`); the operational record — times, types,
//! dispositions, units — stays, because the figures and the hash chain need it.

use super::{Call, CallId, State};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long personal fields are kept after a call closes, in days, per kind of store; `None`
/// keeps them (a program must choose its schedule; nothing is erased by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    /// A live store's calls.
    pub personal_days: Option<u32>,
    /// A training store's calls (trainees' notes on scripted calls).
    pub training_days: Option<u32>,
}

/// The reason an erasure by schedule records.
pub fn reason(days: u32) -> String {
    format!("retention: personal fields are kept {days} days after a call closes (config.toml [retention])")
}

/// Closed calls whose personal fields are due for erasure at `now_ms` under a `days` schedule:
/// closed at least `days` ago, not erased, not under a legal hold. Oldest first.
pub fn due(state: &State, days: u32, now_ms: i64) -> Vec<CallId> {
    let before = now_ms - i64::from(days) * DAY_MS;
    let calls: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| c.may_be_erased())
        .filter(|c| c.closed_ms.is_some_and(|t| t <= before))
        .collect();
    let mut due: Vec<(Option<i64>, CallId)> = calls
        .into_iter()
        .map(|c| (c.closed_ms, c.id.clone()))
        .collect();
    due.extend(
        state
            .let_go_calls()
            .iter()
            .filter(|(_, t)| t.erasable && t.closed_ms.is_some_and(|t| t <= before))
            .map(|(id, t)| (t.closed_ms, id.clone())),
    );
    due.sort();
    due.into_iter().map(|(_, id)| id).collect()
}
