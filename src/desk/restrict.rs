//! The desk's side of restricted calls ([`crate::domain::restrict`]): what its operator may
//! read of a call or an event. Every view (the console, `log`, `state`) reads through these.

use std::borrow::Cow;

use super::Desk;
use crate::domain::restrict::names;
use crate::domain::vocab::RESTRICTED;
use crate::domain::{Body, Call, Event};

impl Desk {
    /// Notes the restricted calls its operator just opened.
    pub(super) fn opened(&mut self, events: &[Event]) {
        for e in events {
            if let Body::RestrictedViewed { call } = &e.body {
                self.viewed.insert(call.clone());
            }
        }
    }

    /// Whether this desk's operator may read `call`'s personal fields now: it is not
    /// restricted, or it names them and they opened it here (`view`).
    pub fn may_read(&self, call: &Call) -> bool {
        call.restricted.is_none() || (names(call, &self.operator) && self.viewed.contains(&call.id))
    }

    /// `call` as this desk's operator may read it.
    pub fn shown<'a>(&self, call: &'a Call) -> Cow<'a, Call> {
        if self.may_read(call) {
            Cow::Borrowed(call)
        } else {
            Cow::Owned(call.redacted())
        }
    }

    /// The state as this desk's operator may read it (borrowed when nothing in it is hidden
    /// from them), for `state` and its JSON.
    pub fn shown_state(&self) -> Cow<'_, crate::domain::State> {
        let state = &self.state;
        if state.calls.values().all(|c| self.may_read(c)) {
            return Cow::Borrowed(state);
        }
        let mut shown = state.clone();
        for c in shown.calls.values_mut() {
            if !self.may_read(c) {
                *c = c.redacted();
            }
        }
        Cow::Owned(shown)
    }

    /// `event` as this desk's operator may read it: the personal text of a restricted call
    /// they may not read is [`RESTRICTED`].
    pub fn shown_event(&self, mut event: Event) -> Event {
        let state = &self.state;
        if let Some((call, texts)) = event.body.personal_mut() {
            if state.calls.get(call).is_some_and(|c| !self.may_read(c)) {
                for text in texts {
                    RESTRICTED.clone_into(text);
                }
            }
        }
        event
    }
}
