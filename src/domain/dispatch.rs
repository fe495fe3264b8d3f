//! Sending units and their statuses: a dispatch, a status change, a unit told to disregard, a
//! status corrected, backup from another agency, and the whole response plan in one batch.

use super::call::Call;
use super::event::Body;
use super::ids::Callsign;
use super::intake::mint_call_id;
use super::placement::Placement;
use super::planning::{find_unit, open_call, refuse, text_field, Context, Refusal};
use super::recommend::{response_plan, Fill, ResponsePlan};
use super::state::State;
use super::triage::ResponseType;
use super::vocab::{Agency, CallType, Priority, UnitStatus};

pub(super) fn dispatch_unit(
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
pub(super) fn disregard(
    state: &State,
    unit: &str,
    reason: Option<&str>,
) -> Result<Vec<Body>, Refusal> {
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
pub(super) fn correct(
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

pub(super) fn change_status(
    state: &State,
    unit: &str,
    status: UnitStatus,
    detail: Option<&String>,
    back_minutes: Option<u32>,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    /// The longest a unit can be expected back in: a day.
    const MAX_BACK_MINUTES: u32 = 24 * 60;
    let u = find_unit(state, unit)?;
    let name = &u.callsign;
    let back_ms = match back_minutes {
        None => None,
        Some(_) if status != UnitStatus::OutOfService => {
            refuse!("--back is for oos: when {name} is expected back in service")
        }
        Some(m) if m == 0 || m > MAX_BACK_MINUTES => {
            refuse!("--back takes 1 to {MAX_BACK_MINUTES} minutes (30m); {m} is not")
        }
        Some(m) => Some(ctx.now_ms + i64::from(m) * 60_000),
    };
    let detail = match detail.map(|d| d.trim()) {
        Some("") | None => None,
        Some(d) => Some(text_field("detail", d)?),
    };
    // Out of service again with a new expected return moves it.
    let new_back = status == UnitStatus::OutOfService && back_ms.is_some();
    if u.status == status && status != UnitStatus::Transporting && !new_back {
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
        back_ms,
    }])
}

pub(super) fn backup(
    state: &State,
    call: &str,
    agency: Agency,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
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

/// "STAR-1", "STAR-1 and PD-2".
pub(super) fn names(units: &[&Callsign]) -> String {
    let words: Vec<&str> = units.iter().map(|u| u.as_str()).collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Why some distances below are not in kilometres: the call is not placed, or a unit has no
/// known position; the ranking then falls back on zones.
pub(super) fn unknown_distances(call: &Call, ranked: &[super::recommend::Ranked]) -> Vec<String> {
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
pub(super) fn dispatch_plan(
    state: &State,
    call: &str,
    partial: bool,
    ctx: &Context,
) -> Result<Vec<Body>, Refusal> {
    let c = open_call(state, call, "dispatch a response plan to")?;
    let (response, source) = response_for(state, c, ctx);
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
pub(super) fn response_for(state: &State, call: &Call, ctx: &Context) -> (ResponseType, String) {
    let (response, source) = response_source(state, call, ctx);
    if call.response.is_some() || call.backup_for.is_some() {
        return (response, source);
    }
    match super::recommend::weapon_caution_counts(state, call, &ctx.policy.protocol) {
        Some(text) => (
            response,
            format!("{source}; caution \"{text}\" counts as weapon yes"),
        ),
        None => (response, source),
    }
}

fn response_source(state: &State, call: &Call, ctx: &Context) -> (ResponseType, String) {
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
    let rec = super::recommend::recommendation(state, call, &ctx.policy.protocol);
    (rec.response, format!("not triaged yet; rule {}", rec.rule))
}
