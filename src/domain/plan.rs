//! Planning: decide what a command means against the current state, without changing it.

use std::fmt;

use chrono::{DateTime, Datelike};

use super::call::{Call, CallStatus};
use super::command::{Command, NewCall};
use super::event::{Body, CallField};
use super::ids::{shown, CallId, Callsign, ReplicaId};
use super::place::CivicAddress;
use super::placement::Placement;
use super::policy::Policy;
use super::recommend::{response_plan, Fill, ResponsePlan};
use super::safety::{community_sent, needs_unserved_reason};
use super::state::State;
use super::triage::ResponseType;
use super::unit::Unit;
use super::vocab::{Agency, CallType, Priority, UnitStatus, UnservedReason};

pub use super::text::MAX_TEXT_BYTES;

/// Why a command was not carried out, in one line that says what to do instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

macro_rules! refuse {
    ($($arg:tt)*) => { return Err(Refusal(format!($($arg)*))) };
}

/// Who is planning, when, and under which rules: a new call id depends on the first two, triage
/// and closing rules on the policy.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub origin: ReplicaId,
    pub now_ms: i64,
    pub policy: &'a Policy,
}

/// Decides the events a command produces, or why it cannot happen. Never mutates.
pub fn plan(state: &State, command: &Command, ctx: &Context) -> Result<Vec<Body>, Refusal> {
    match command {
        Command::TakeCall(new) => take_call(state, new, ctx),
        Command::Note {
            call,
            text,
            caution,
        } => {
            let call = find_call(state, call)?;
            let text = text_field("note", text)?;
            Ok(vec![Body::NoteAdded {
                call: call.id.clone(),
                text,
                caution: *caution,
                written: None,
            }])
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
        } => change_status(state, unit, *status, detail.as_ref()),
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
        Command::Reopen { call } => {
            let call = find_call(state, call)?;
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

fn take_call(state: &State, new: &NewCall, ctx: &Context) -> Result<Vec<Body>, Refusal> {
    let location = text_field("location", &new.location)?;
    let nature = text_field("nature", &new.nature)?;
    if location.is_empty() || nature.is_empty() {
        refuse!("a call needs a location and a nature: call <location> / <nature>");
    }
    let priority = new
        .priority
        .or_else(|| new.call_type.map(CallType::default_priority))
        .unwrap_or(Priority::new(3).map_err(Refusal)?);
    Ok(vec![Body::CallCreated {
        call: mint_call_id(state, ctx),
        location,
        coords: new.coords.clone(),
        nature,
        call_type: new.call_type,
        priority,
        caller: new
            .caller
            .as_deref()
            .map(|c| text_field("caller", c))
            .transpose()?,
        callback: new
            .callback
            .as_deref()
            .map(|c| text_field("callback", c))
            .transpose()?,
        zone: new
            .zone
            .as_deref()
            .map(|z| text_field("zone", z))
            .transpose()?,
        started_ms: None,
        civic: new
            .civic
            .as_ref()
            .map(|c| civic_parts(c).map(Box::new))
            .transpose()?
            .filter(|c| !c.is_empty()),
        placed: new
            .placed
            .as_deref()
            .cloned()
            .or_else(|| new.coords.as_ref().map(|_| Placement::Given)),
    }])
}

/// The longest hold: past four hours a call is not waiting, it is a callback to book.
pub const MAX_HOLD_MINUTES: u32 = 240;

/// A pending call put on hold: only one nobody has been sent to yet, for a bounded time, with a
/// reason the next dispatcher can read.
fn hold(
    state: &State,
    call: &str,
    minutes: u32,
    reason: &str,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "hold")?;
    if c.status != CallStatus::Pending {
        refuse!(
            "{} is {}: only a pending call can be held (units are already on it)",
            c.id,
            c.status.word()
        );
    }
    if !(1..=MAX_HOLD_MINUTES).contains(&minutes) {
        refuse!("a hold is 1 to {MAX_HOLD_MINUTES} minutes, not {minutes}");
    }
    let reason = text_field("reason", reason)?;
    if reason.trim().is_empty() {
        refuse!(
            "say why {} is held: hold {} {minutes} <reason…>",
            c.id,
            c.id
        );
    }
    Ok(vec![Body::CallHeld {
        call: c.id.clone(),
        minutes,
        until_ms: ctx.now_ms + i64::from(minutes) * 60_000,
        reason,
    }])
}

/// An ambiguous call placed at the choice the dispatcher picked: the location becomes the
/// choice's address, so what is shown is where the team goes.
fn place(state: &State, call: &str, choice: &str) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "place")?;
    let Some(placement @ Placement::Ambiguous { choices }) = &c.placement else {
        let now = c.placement.as_ref().map_or_else(
            || "no address list placed it".to_owned(),
            Placement::describe,
        );
        refuse!(
            "{} has no choices to pick from ({now}); to move it: set {} loc <address>",
            c.id,
            c.id
        );
    };
    let Some(picked) = placement.choice(choice) else {
        let letters: Vec<String> = (0..choices.len())
            .map(|n| super::placement::choice_letter(n).to_string())
            .collect();
        refuse!(
            "{} is not one of {}'s choices; pick {}: {}",
            shown(choice),
            c.id,
            letters.join(", "),
            placement.describe()
        );
    };
    Ok(vec![Body::CallEdited {
        call: c.id.clone(),
        field: CallField::Location(picked.label.clone()),
        replaces: state.field_setter(&c.id, "loc"),
        coords: Some(picked.coords.clone()),
        placed: Some(Placement::Picked {
            matched: picked.label.clone(),
        }),
        reason: None,
    }])
}

fn civic_parts(c: &CivicAddress) -> Result<CivicAddress, Refusal> {
    Ok(CivicAddress {
        number: text_field("house number", &c.number)?,
        street: text_field("street", &c.street)?,
        unit: text_field("unit", &c.unit)?,
        city: text_field("city", &c.city)?,
        postcode: text_field("postcode", &c.postcode)?,
    })
}

fn mint_call_id(state: &State, ctx: &Context) -> CallId {
    let year = DateTime::from_timestamp_millis(ctx.now_ms).map_or(1970, |t| t.year());
    let tag = ctx.origin.tag();
    let probe = CallId::mint(year, &tag, 0);
    CallId::mint(year, &tag, state.next_call_number(probe.series().0))
}

fn dispatch_unit(
    state: &State,
    unit: &str,
    call: &str,
    en_route: bool,
    force: bool,
) -> Result<Vec<Body>, Refusal> {
    let u = find_unit(state, unit)?;
    let c = open_call(state, call, "dispatch to")?;
    if u.call.as_ref() == Some(&c.id) {
        refuse!("{} is already on {} ({})", u.callsign, c.id, u.status);
    }
    if u.status == UnitStatus::OutOfService {
        refuse!(
            "{} is out of service; put it back with: avl {}",
            u.callsign,
            u.callsign
        );
    }
    if let Some(current) = &u.call {
        if !force {
            refuse!(
                "{} is {} at {}; clear it first or use dp {} {} --force",
                u.callsign,
                u.status.doc(),
                current,
                u.callsign,
                c.id
            );
        }
    }
    Ok(vec![Body::UnitDispatched {
        unit: u.callsign.clone(),
        call: c.id.clone(),
        en_route,
        from: u.call.clone(),
    }])
}

/// A unit still on its way told to disregard its call. One that arrived is cleared (`avl`).
fn disregard(state: &State, unit: &str, reason: Option<&str>) -> Result<Vec<Body>, Refusal> {
    let u = find_unit(state, unit)?;
    let name = &u.callsign;
    let Some(call) = &u.call else {
        refuse!(
            "{name} is {} and on no call: nothing to disregard",
            u.status.doc()
        );
    };
    if !matches!(u.status, UnitStatus::Dispatched | UnitStatus::EnRoute) {
        refuse!(
            "{name} is {} at {call}: disregard is for a unit on its way; clear it: avl {name}",
            u.status.doc()
        );
    }
    let reason = match reason.map(str::trim) {
        Some("") | None => None,
        Some(r) => Some(text_field("reason", r)?),
    };
    Ok(vec![Body::UnitDisregarded {
        unit: name.clone(),
        call: call.clone(),
        reason,
    }])
}

/// A status pressed by mistake, taken back: a unit on a call back to an earlier status of its
/// course, or a unit cleared by mistake back on the open call it was cleared from.
fn correct(
    state: &State,
    unit: &str,
    status: UnitStatus,
    reason: &str,
) -> Result<Vec<Body>, Refusal> {
    let u = find_unit(state, unit)?;
    let name = &u.callsign;
    let reason = text_field("reason", reason)?;
    if reason.trim().is_empty() {
        refuse!("say why {name}'s status is corrected: correct {name} <status> <reason…>");
    }
    let Some(to) = status.step() else {
        refuse!(
            "correct puts a unit back on its call (DSP, ENR, ONS, TRN or ATF); for {}, use: {} \
             {name}",
            status.doc(),
            status.word().to_ascii_lowercase()
        );
    };
    let (call, was) = if let Some(call) = &u.call {
        (call.clone(), u.status)
    } else {
        // Cleared by mistake: the open call its last status change cleared it from.
        let cleared = state.calls.values().filter(|c| c.is_open()).find_map(|c| {
            c.assignments
                .iter()
                .rev()
                .find(|a| a.unit == *name)
                .filter(|a| !a.disregarded && a.cleared_ms == Some(u.status_ms))
                .map(|a| (c.id.clone(), a.status))
        });
        let Some(found) = cleared.filter(|_| u.status == UnitStatus::Available) else {
            refuse!(
                "{name} is {} and on no open call: nothing to correct",
                u.status.doc()
            );
        };
        found
    };
    let from = was.step().unwrap_or(0);
    let cleared_by_mistake = u.call.is_none();
    if to > from || (to == from && !cleared_by_mistake) {
        refuse!(
            "{name} is {} at {call}: correct takes a status back; to move it on, use {}",
            was.doc(),
            status.word().to_ascii_lowercase()
        );
    }
    Ok(vec![Body::StatusCorrected {
        unit: name.clone(),
        call,
        status,
        reason,
    }])
}

fn change_status(
    state: &State,
    unit: &str,
    status: UnitStatus,
    detail: Option<&String>,
) -> Result<Vec<Body>, Refusal> {
    let u = find_unit(state, unit)?;
    let name = &u.callsign;
    let detail = match detail.map(|d| d.trim()) {
        Some("") | None => None,
        Some(d) => Some(text_field("detail", d)?),
    };
    if u.status == status && status != UnitStatus::Transporting {
        refuse!("{name} is already {}", status.doc());
    }
    match status {
        UnitStatus::Dispatched => refuse!("to dispatch {name}, use: dp {name} <call>"),
        UnitStatus::Available => {}
        UnitStatus::OutOfService => {
            if let Some(call) = &u.call {
                refuse!(
                    "{name} is {} at {call}; clear it first: avl {name}",
                    u.status.doc()
                );
            }
        }
        UnitStatus::EnRoute | UnitStatus::OnScene => {
            if u.call.is_none() {
                refuse!("{name} has no call; dispatch it first: dp {name} <call>");
            }
        }
        UnitStatus::Transporting => {
            if !matches!(u.status, UnitStatus::OnScene | UnitStatus::Transporting) {
                refuse!(
                    "{name} must be on scene before transporting (it is {})",
                    u.status.doc()
                );
            }
        }
        UnitStatus::AtFacility => {
            if u.status != UnitStatus::Transporting {
                refuse!(
                    "{name} must be transporting before at facility (it is {})",
                    u.status.doc()
                );
            }
        }
    }
    Ok(vec![Body::UnitStatusChanged {
        unit: name.clone(),
        status,
        call: u.call.clone(),
        detail,
    }])
}

fn backup(state: &State, call: &str, agency: Agency, ctx: &Context) -> Result<Vec<Body>, Refusal> {
    let parent = open_call(state, call, "ask backup for")?;
    let child = mint_call_id(state, ctx);
    let asked_by: Vec<&str> = parent.active_units().map(|a| a.unit.as_str()).collect();
    let who = if asked_by.is_empty() {
        String::new()
    } else {
        format!(" by {}", asked_by.join(","))
    };
    let call_type = match agency {
        Agency::Police => CallType::Backup,
        Agency::Ems => CallType::Sick,
        Agency::Fire => CallType::Assist,
    };
    Ok(vec![
        Body::CallCreated {
            call: child.clone(),
            location: parent.location.clone(),
            coords: parent.coords.clone(),
            nature: format!("{agency} backup requested{who} for {}", parent.id),
            call_type: Some(call_type),
            // A team asking for help is the most urgent thing on the board.
            priority: Priority::MOST_URGENT,
            caller: None,
            callback: None,
            zone: parent.zone.clone(),
            started_ms: None,
            civic: parent.civic.clone(),
            placed: parent.placement.clone(),
        },
        Body::BackupRequested {
            call: parent.id.clone(),
            agency,
            child,
        },
    ])
}

/// The limits to record before the first change a desk plans under them: none when its origin
/// already recorded these.
pub fn limits_to_record(state: &State, ctx: &Context) -> Option<Body> {
    let limits = ctx.policy.limits();
    (state.limits.get(&ctx.origin) != Some(&limits)).then_some(Body::LimitsRecorded { limits })
}

/// Read-only commands: lines to show, or why not. `None` for commands that write.
pub fn query(
    state: &State,
    command: &Command,
    ctx: &Context,
) -> Option<Result<Vec<String>, Refusal>> {
    let Command::Recommend {
        call,
        dispatch: false,
        ..
    } = command
    else {
        return None;
    };
    Some(find_call(state, call).map(|c| {
        let (response, source) = response_for(c, ctx);
        let plan = response_plan(state, c, response, ctx.now_ms);
        let mut lines = vec![format!(
            "{} {response} ({source}): {}",
            c.id,
            response.plan_words()
        )];
        if plan.sends_nobody() {
            lines.push(format!("no unit goes: {}", response.doc()));
            return lines;
        }
        if !c.is_open() {
            lines.push(format!("{} is closed; reopen it to send anyone", c.id));
            return lines;
        }
        let ranked: Vec<super::recommend::Ranked> = plan
            .slots
            .iter()
            .filter(|s| !matches!(s.fill, Fill::OnCall(_)))
            .flat_map(|s| {
                let sent = match &s.fill {
                    Fill::Send(r) => Some(r.clone()),
                    _ => None,
                };
                sent.into_iter().chain(s.others.iter().cloned())
            })
            .collect();
        lines.extend(unknown_distances(c, &ranked));
        lines.extend(plan.slots.iter().map(|s| format!("  {}", s.explain())));
        let send = names(&plan.to_send());
        let missing = plan.missing();
        lines.push(match (send.is_empty(), missing.is_empty()) {
            (true, true) => "the plan is filled: every unit it names is on the call".to_owned(),
            (false, true) => format!("rec {} --dispatch sends {send}", c.id),
            (true, false) => format!(
                "short of {}: nothing to send",
                crate::domain::triage::slot_list(&missing)
            ),
            (false, false) => format!(
                "short of {}: rec {} --dispatch sends nothing; add --partial to send {send}",
                crate::domain::triage::slot_list(&missing),
                c.id
            ),
        });
        lines
    }))
}

/// "STAR-1", "STAR-1 and PD-2".
fn names(units: &[&Callsign]) -> String {
    let words: Vec<&str> = units.iter().map(|u| u.as_str()).collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Why some distances below are not in kilometres: the call is not placed, or a unit has no
/// known position; the ranking then falls back on zones.
fn unknown_distances(call: &Call, ranked: &[super::recommend::Ranked]) -> Vec<String> {
    use super::recommend::Distance;
    if ranked.is_empty() {
        return Vec::new();
    }
    if call.coords.is_none() {
        let why = call.placement.as_ref().map_or_else(
            || "no address list placed it".to_owned(),
            Placement::describe,
        );
        return vec![format!(
            "distances unknown: {} is not placed ({why}); units ranked by zone",
            call.id
        )];
    }
    let unplaced: Vec<&str> = ranked
        .iter()
        .filter(|r| !matches!(r.distance, Distance::Km(_)))
        .map(|r| r.unit.as_str())
        .collect();
    if unplaced.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "distance unknown for {}: no known position (a unit's position is its last call on \
         scene); ranked by zone",
        unplaced.join(", ")
    )]
}

/// Sends every unit the call's plan names, in one batch; refuses a plan that sends nobody,
/// one already filled, and — unless `partial` — one short of a unit.
fn dispatch_plan(
    state: &State,
    call: &str,
    partial: bool,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "dispatch a response plan to")?;
    let (response, source) = response_for(c, ctx);
    let plan: ResponsePlan = response_plan(state, c, response, ctx.now_ms);
    if plan.sends_nobody() {
        refuse!(
            "{} sends no unit: it is worked as {response} ({source}); to send one, choose \
             another response (respond {} <type> --reason <why>) or dispatch by name",
            c.id,
            c.id
        );
    }
    if plan.is_filled() {
        let on: Vec<String> = plan
            .slots
            .iter()
            .filter_map(|s| match &s.fill {
                Fill::OnCall(u) => Some(format!("{u} ({})", s.slot.word())),
                _ => None,
            })
            .collect();
        refuse!(
            "{}'s {response} plan is filled: {} on it",
            c.id,
            on.join(", ")
        );
    }
    let send = plan.to_send();
    let missing = plan.missing();
    let untriaged = if c.response_type().is_none() {
        " (the call is not triaged yet)"
    } else {
        ""
    };
    if send.is_empty() {
        refuse!(
            "{} {response} needs {} and none is free; nothing sent{untriaged}",
            c.id,
            crate::domain::triage::slot_list(&missing)
        );
    }
    if !missing.is_empty() && !partial {
        refuse!(
            "{} {response} needs {} and none is free; nothing sent{untriaged} — to send {} \
             anyway: rec {} --dispatch --partial",
            c.id,
            crate::domain::triage::slot_list(&missing),
            names(&send),
            c.id
        );
    }
    send.into_iter()
        .map(|unit| dispatch_unit(state, unit.as_str(), c.id.as_str(), false, false))
        .collect::<Result<Vec<_>, _>>()
        .map(|batches| batches.into_iter().flatten().collect())
}

/// The response a call is worked as — chosen, asked for by a backup, recommended, or what the
/// protocol says now — and where it came from, in words.
fn response_for(call: &Call, ctx: &Context) -> (ResponseType, String) {
    if let Some(r) = call.response {
        let how = match &call.recommendation {
            Some(rec) if rec.response != r => format!("chosen over {}", rec.response),
            _ => "accepted".to_owned(),
        };
        return (r, how);
    }
    if let Some((parent, agency)) = &call.backup_for {
        return (
            ResponseType::of_agency(*agency),
            format!("backup for {parent}"),
        );
    }
    if let Some(rec) = &call.recommendation {
        return (rec.response, format!("rule {}", rec.rule));
    }
    let rec = ctx.policy.protocol.evaluate(&call.answers, call.call_type);
    (rec.response, format!("not triaged yet; rule {}", rec.rule))
}

fn ask(
    state: &State,
    call: &str,
    question: &str,
    answer: &str,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "triage")?;
    let (question, answer) = ctx
        .policy
        .protocol
        .answer(question, answer)
        .map_err(Refusal)?;
    if c.answers.get(&question) == Some(&answer) {
        refuse!("{} already has {question} = {answer}", c.id);
    }
    let mut answers = c.answers.clone();
    answers.insert(question.clone(), answer.clone());
    let mut bodies = vec![Body::TriageAnswered {
        call: c.id.clone(),
        question,
        answer,
    }];
    let recommendation = ctx.policy.protocol.evaluate(&answers, c.call_type);
    if c.recommendation.as_ref() != Some(&recommendation) {
        bodies.push(Body::Recommended {
            call: c.id.clone(),
            recommendation,
        });
    }
    Ok(bodies)
}

fn respond(
    state: &State,
    call: &str,
    response: ResponseType,
    reason: Option<&str>,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "choose a response for")?;
    let reason = reason
        .map(|r| text_field("reason", r))
        .transpose()?
        .filter(|r| !r.is_empty());
    let recommended = c
        .recommendation
        .clone()
        .unwrap_or_else(|| ctx.policy.protocol.evaluate(&c.answers, c.call_type));
    if c.response == Some(response) {
        refuse!("{} is already worked as {response}", c.id);
    }
    let overrides = (recommended.response != response).then_some(recommended.response);
    if let Some(o) = overrides {
        if reason.is_none() {
            refuse!(
                "the protocol recommends {o} (rule {}); overriding it needs a reason: respond {} \
                 {response} --reason <why>",
                recommended.rule,
                c.id
            );
        }
    }
    let mut bodies = Vec::new();
    if c.recommendation.is_none() {
        bodies.push(Body::Recommended {
            call: c.id.clone(),
            recommendation: recommended,
        });
    }
    bodies.push(Body::ResponseChosen {
        call: c.id.clone(),
        response,
        overrides,
        reason,
    });
    Ok(bodies)
}

/// Finds a call by id, or by the digits it ends with — the one rule for every command that
/// names a call: the one open call with that number, else (none open has it) the one call of
/// any status that has it, so `reopen 12` and `log --call 12` take the short number too.
pub fn find_call<'s>(state: &'s State, typed: &str) -> Result<&'s Call, Refusal> {
    if let Ok(id) = typed.parse::<CallId>() {
        return state
            .calls
            .get(&id)
            .ok_or_else(|| Refusal(format!("no call {id}")));
    }
    if !typed.is_empty() && typed.len() <= 5 && typed.bytes().all(|b| b.is_ascii_digit()) {
        let wanted: u32 = typed.parse().unwrap_or(0);
        let numbered = |open_only: bool| -> Vec<&Call> {
            state
                .calls
                .values()
                .filter(|c| (c.is_open() || !open_only) && c.id.series().1 == wanted)
                .collect()
        };
        let mut found = numbered(true);
        if found.is_empty() {
            found = numbered(false);
        }
        match found.as_slice() {
            [one] => return Ok(one),
            [] => refuse!("no call numbered {typed}; give the full call id"),
            many => {
                let ids: Vec<&str> = many.iter().map(|c| c.id.as_str()).collect();
                refuse!("{typed} matches {}; give the full id", ids.join(", "));
            }
        }
    }
    refuse!(
        "{} is not a call id (like 26-KQ0007)",
        super::ids::shown(typed)
    )
}

fn open_call<'s>(state: &'s State, typed: &str, verb: &str) -> Result<&'s Call, Refusal> {
    let call = find_call(state, typed)?;
    if call.status == CallStatus::Closed {
        refuse!(
            "{} is closed; cannot {verb} it (reopen {} first)",
            call.id,
            call.id
        );
    }
    Ok(call)
}

pub fn find_unit<'s>(state: &'s State, typed: &str) -> Result<&'s Unit, Refusal> {
    let callsign: Callsign = typed.parse().map_err(Refusal)?;
    state.units.get(&callsign).ok_or_else(|| {
        Refusal(format!(
            "no unit {callsign} on the roster; add it with: unit add {callsign} <capabilities>"
        ))
    })
}

/// Trims free text and holds it to [`MAX_TEXT_BYTES`], refusing what the free-text rule
/// refuses ([`super::text`]): control characters, direction overrides, invisible characters.
fn text_field(what: &str, text: &str) -> Result<String, Refusal> {
    let text = text.trim();
    if text.len() > MAX_TEXT_BYTES {
        refuse!(
            "{what} is {} bytes; the limit is {MAX_TEXT_BYTES} (split it into several notes)",
            text.len()
        );
    }
    super::text::check(what, text, MAX_TEXT_BYTES).map_err(Refusal)?;
    Ok(text.to_owned())
}
