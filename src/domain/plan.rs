//! Planning: decide what a command means against the current state, without changing it.

use super::command::Command;
use super::dispatch::{backup, change_status, correct, dispatch_plan, dispatch_unit, disregard};
use super::event::{Body, CallField};
use super::ids::{shown, Callsign};
use super::intake::{place, take_call};
use super::planning::{open_call, refuse, text_field};
use super::safety::{community_sent, needs_unserved_reason};
use super::state::State;
use super::vocab::{UnitStatus, UnservedReason};

use super::planning::{find_call, find_unit, Context, Refusal};

mod answers;
mod calls;
mod queries;

use answers::{ask, respond};
pub use calls::MAX_HOLD_MINUTES;
use calls::{erase, erase_caller, hold, merge};
pub use queries::query;

/// Decides the events a command produces, or why it cannot happen. Never mutates.
pub fn plan(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Body>, Refusal> {
    let mut bodies = plan_command(state, command, ctx)?;
    // An erased call's personal fields are gone for good: nothing writes them again.
    for body in &mut bodies {
        if let Some((call, _)) = body.personal_mut() {
            if state.calls.get(call).is_some_and(|c| c.erased) {
                refuse!("{call} was erased; its personal fields cannot be written again");
            }
        }
    }
    Ok(bodies)
}

fn plan_command(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Body>, Refusal> {
    match command {
        Command::TakeCall(new) => take_call(state, new, ctx),
        Command::Note {
            call,
            text,
            caution,
        } => {
            let call = find_call(state, call)?;
            let text = text_field("note", text)?;
            let mut bodies = vec![Body::NoteAdded {
                call: call.id.clone(),
                text: text.clone(),
                caution: *caution,
                written: None,
            }];
            // A caution can change what triage recommended (a weapon caution counts as a
            // weapon), here and on the other open calls at the address or from the caller: the
            // recommendations on record follow it.
            if *caution {
                let moved =
                    super::recommend::moved_by_caution(state, call, &text, &ctx.policy.protocol);
                bodies.extend(
                    moved
                        .into_iter()
                        .map(|(call, recommendation)| Body::Recommended {
                            call,
                            recommendation,
                        }),
                );
            }
            Ok(bodies)
        }
        Command::Ask {
            call,
            question,
            answer,
        } => ask(state, call, question, answer, ctx),
        Command::Respond {
            call,
            response,
            reason,
        } => respond(state, call, *response, reason.as_deref(), ctx),
        Command::Recommend {
            call,
            dispatch,
            partial,
        } => {
            if !dispatch {
                refuse!("rec only reads; the desk answers it with query()");
            }
            dispatch_plan(state, call, *partial, ctx)
        }
        Command::Ack { alert } => {
            let open: Vec<_> = state.open_alerts().collect();
            let found = match alert {
                Some(id) => open.iter().find(|a| a.id().eq_ignore_ascii_case(id.trim())),
                None if open.len() == 1 => open.first(),
                None if open.is_empty() => refuse!("no alert is open"),
                None => refuse!(
                    "{} alerts are open; name one: ack {}",
                    open.len(),
                    open.iter().map(|a| a.id()).collect::<Vec<_>>().join(" | ")
                ),
            };
            let Some(a) = found else {
                refuse!(
                    "no open alert {}; open: {}",
                    shown(alert.as_deref().unwrap_or_default()),
                    if open.is_empty() {
                        "none".to_owned()
                    } else {
                        open.iter().map(|a| a.id()).collect::<Vec<_>>().join(", ")
                    }
                );
            };
            Ok(vec![Body::AlertAcknowledged {
                origin: a.origin,
                seq: a.seq,
            }])
        }
        Command::CheckIn { unit } => {
            let u = find_unit(state, unit)?;
            if u.status != UnitStatus::OnScene {
                refuse!(
                    "{} is not on scene ({}); only units on scene check in",
                    u.callsign,
                    u.status.doc()
                );
            }
            Ok(vec![Body::UnitCheckedIn {
                unit: u.callsign.clone(),
                call: u.call.clone(),
            }])
        }
        Command::Place { call, choice } => place(state, call, choice),
        Command::Set {
            call,
            field,
            located,
            reason,
        } => {
            let call = open_call(state, call, "set")?;
            let reason = reason
                .as_deref()
                .map(|r| text_field("reason", r))
                .transpose()?
                .filter(|r| !r.trim().is_empty());
            if let (CallField::Priority(p), None) = (field, &reason) {
                refuse!(
                    "a priority change needs a reason, for the chronology: set {} pri {} \
                     --reason \"weapon seen\"",
                    call.id,
                    p.get()
                );
            }
            let field = match field {
                CallField::Location(v) => CallField::Location(text_field("location", v)?),
                CallField::Nature(v) => CallField::Nature(text_field("nature", v)?),
                CallField::Caller(v) => CallField::Caller(text_field("caller", v)?),
                CallField::Callback(v) => CallField::Callback(text_field("callback", v)?),
                CallField::Zone(v) => CallField::Zone(text_field("zone", v)?),
                other => other.clone(),
            };
            let replaces = state.field_setter(&call.id, field.name());
            let located = located
                .as_ref()
                .filter(|_| matches!(field, CallField::Location(_)));
            Ok(vec![Body::CallEdited {
                call: call.id.clone(),
                field,
                replaces,
                coords: located.and_then(|l| l.coords.clone()),
                placed: located.map(|l| l.placement.clone()),
                reason,
            }])
        }
        Command::Hold {
            call,
            minutes,
            reason,
        } => hold(state, call, *minutes, reason, ctx),
        Command::Unhold { call } => {
            let c = open_call(state, call, "unhold")?;
            if c.hold.is_none() {
                refuse!("{} is not on hold", c.id);
            }
            Ok(vec![Body::HoldReleased { call: c.id.clone() }])
        }
        Command::AddUnit {
            callsign,
            capabilities,
            zone,
        } => {
            let unit: Callsign = callsign.parse().map_err(Refusal)?;
            if state.units.contains_key(&unit) {
                refuse!("{unit} is already on the roster");
            }
            if capabilities.is_empty() {
                refuse!(
                    "give {unit} at least one capability, like: unit add {unit} clinician,medic"
                );
            }
            let zone = zone.as_deref().map(|z| text_field("zone", z)).transpose()?;
            let mut capabilities = capabilities.clone();
            capabilities.sort();
            capabilities.dedup();
            Ok(vec![Body::UnitAdded {
                unit,
                capabilities,
                zone,
            }])
        }
        Command::Dispatch {
            unit,
            call,
            en_route,
            force,
        } => dispatch_unit(state, unit, call, *en_route, *force),
        Command::Status {
            unit,
            status,
            detail,
            back_minutes,
        } => change_status(state, unit, *status, detail.as_ref(), *back_minutes, ctx),
        Command::Merge { call, into } => merge(state, call, into),
        Command::SignOn => Ok(vec![Body::SignedOn]),
        Command::SignOff => Ok(vec![Body::SignedOff]),
        // Read-only: answered by `query`.
        Command::Handover { .. } => refuse!("handover only reads; nothing to change"),
        Command::Confirm { call, by } => {
            let c = open_call(state, call, "confirm")?;
            let Some((_, agency)) = &c.backup_for else {
                refuse!(
                    "{} is not a backup call; confirm is for a request handed to police, EMS or fire",
                    c.id
                );
            };
            if let Some(done) = &c.confirmed {
                let who = done.by.as_deref().unwrap_or(agency.word());
                refuse!("{} was confirmed already, by {who}", c.id);
            }
            let by = match by.as_deref().map(str::trim) {
                Some("") | None => None,
                Some(who) => Some(text_field("who", who)?),
            };
            Ok(vec![Body::BackupConfirmed {
                call: c.id.clone(),
                by,
            }])
        }
        Command::Disregard { unit, reason } => disregard(state, unit, reason.as_deref()),
        Command::Correct {
            unit,
            status,
            reason,
        } => correct(state, unit, *status, reason),
        Command::Close {
            call,
            disposition,
            force,
            unserved,
        } => {
            let call = open_call(state, call, "close")?;
            if unserved.is_none() && needs_unserved_reason(state, call, ctx.now_ms, ctx.policy) {
                let why = if community_sent(state, call) {
                    "its community team went only after it waited past its limit".to_owned()
                } else {
                    let sent: Vec<&str> =
                        call.assignments.iter().map(|a| a.unit.as_str()).collect();
                    if sent.is_empty() {
                        "no community team went".to_owned()
                    } else {
                        format!("no community team went ({} did)", sent.join(", "))
                    }
                };
                let codes: Vec<&str> = UnservedReason::ALL.iter().map(|r| r.word()).collect();
                refuse!(
                    "{} was eligible for a community team and {why}; say why: close {} \
                     {disposition} --unserved <{}>",
                    call.id,
                    call.id,
                    codes.join("|")
                );
            }
            let active: Vec<&Callsign> = call.active_units().map(|a| &a.unit).collect();
            let mut bodies = Vec::new();
            if !active.is_empty() {
                if !force {
                    let names: Vec<&str> = active.iter().map(|u| u.as_str()).collect();
                    refuse!(
                        "{} still on {}; clear {} first (avl) or use close --force",
                        names.join(", "),
                        call.id,
                        if names.len() == 1 { "it" } else { "them" }
                    );
                }
                for unit in active {
                    bodies.push(Body::UnitStatusChanged {
                        unit: unit.clone(),
                        status: UnitStatus::Available,
                        call: Some(call.id.clone()),
                        detail: None,
                        back_ms: None,
                    });
                }
            }
            bodies.push(Body::CallClosed {
                call: call.id.clone(),
                disposition: *disposition,
                unserved: *unserved,
            });
            Ok(bodies)
        }
        Command::Erase { call, reason } => erase(state, call, reason),
        Command::EraseCaller { caller, reason } => erase_caller(state, caller, reason),
        Command::Restrict { call, operators } => {
            let c = find_call(state, call)?;
            let mut names = Vec::with_capacity(operators.len());
            for name in operators {
                super::text::check_operator(name).map_err(Refusal)?;
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            Ok(vec![Body::CallRestricted {
                call: c.id.clone(),
                operators: names,
            }])
        }
        Command::View { call } => {
            let c = find_call(state, call)?;
            if c.restricted.is_none() {
                refuse!("{} is not restricted; its details are on screen", c.id);
            }
            Ok(vec![Body::RestrictedViewed { call: c.id.clone() }])
        }
        Command::LegalHold { call, held, reason } => {
            let c = find_call(state, call)?;
            let reason = text_field("reason", reason)?;
            if reason.is_empty() {
                refuse!("say why (the case, the order)");
            }
            match (&c.legal_hold, *held) {
                (Some(_), true) => refuse!("{} is already under a legal hold", c.id),
                (None, false) => refuse!("{} is not under a legal hold", c.id),
                _ => {}
            }
            Ok(vec![Body::LegalHold {
                call: c.id.clone(),
                held: *held,
                reason,
            }])
        }
        Command::Reopen { call } => {
            let call = find_call(state, call)?;
            if call.erased {
                refuse!("{} was erased; it cannot be worked again", call.id);
            }
            if call.is_open() {
                refuse!("{} is not closed", call.id);
            }
            Ok(vec![Body::CallReopened {
                call: call.id.clone(),
            }])
        }
        Command::Link { call, other } => {
            let a = find_call(state, call)?;
            let b = find_call(state, other)?;
            if a.id == b.id {
                refuse!("cannot link {} to itself", a.id);
            }
            if a.links.contains(&b.id) {
                refuse!("{} and {} are already linked", a.id, b.id);
            }
            Ok(vec![Body::CallsLinked {
                call: a.id.clone(),
                other: b.id.clone(),
            }])
        }
        Command::Backup { call, agency } => backup(state, call, *agency, ctx),
        Command::Accept { call } => super::handoff::accept(state, call),
        Command::Reject { call, reason } => super::handoff::reject(state, call, reason),
        Command::Transfer { call, partner } => super::handoff::transfer(state, call, partner),
    }
}

/// The limits to record before the first change a desk plans under them: none when its origin
/// already recorded these.
pub fn limits_to_record(state: &State, ctx: &Context) -> Option<Body> {
    let limits = ctx.policy.limits();
    (state.limits.get(&ctx.origin) != Some(&limits)).then_some(Body::LimitsRecorded { limits })
}
