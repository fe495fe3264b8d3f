//! Planning: decide what a command means against the current state, without changing it.

use super::call::{Call, CallStatus};
use super::command::Command;
use super::dispatch::{
    backup, change_status, correct, dispatch_plan, dispatch_unit, disregard, names, response_for,
    unknown_distances,
};
use super::event::{Body, CallField};
use super::ids::{shown, Callsign};
use super::intake::{place, take_call};
use super::planning::{open_call, refuse, text_field};
use super::recommend::{response_plan, Fill};
use super::safety::{community_sent, needs_unserved_reason};
use super::state::State;
use super::triage::ResponseType;
use super::vocab::{UnitStatus, UnservedReason};

use super::planning::{find_call, find_unit, Context, Refusal};

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
    if let Command::Handover { hours } = command {
        return Some(Ok(handover(state, *hours, ctx)));
    }
    let Command::Recommend {
        call,
        dispatch: false,
        ..
    } = command
    else {
        return None;
    };
    Some(find_call(state, call).map(|c| {
        let (response, source) = response_for(state, c, ctx);
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
    let recommendation =
        super::recommend::recommendation_with(state, c, &answers, &ctx.policy.protocol);
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
        .unwrap_or_else(|| super::recommend::recommendation(state, c, &ctx.policy.protocol));
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

/// A duplicate closed into the call it repeats: what its caller said and its notes go to that
/// call first, so nothing the duplicate's caller gave is lost, then it closes as `duplicate`.
fn merge(state: &State, call: &str, into: &str) -> Result<Vec<Body>, Refusal> {
    let dup = open_call(state, call, "merge")?;
    let keep = open_call(state, into, "merge into")?;
    if dup.id == keep.id {
        refuse!("{} cannot be merged into itself", dup.id);
    }
    let on: Vec<&str> = dup.active_units().map(|a| a.unit.as_str()).collect();
    if !on.is_empty() {
        refuse!(
            "{} still has {} on it; clear or disregard {} first: a duplicate has no units of its own",
            dup.id,
            on.join(", "),
            if on.len() == 1 { "it" } else { "them" }
        );
    }
    let mut bodies = Vec::new();
    let caller = match (&dup.caller, &dup.callback) {
        (None, None) => String::new(),
        (Some(name), None) => format!(" (caller {name})"),
        (None, Some(cb)) => format!(" (cb {cb})"),
        (Some(name), Some(cb)) => format!(" (caller {name}, cb {cb})"),
    };
    let said = format!("from a second caller: {}{caller}", dup.nature);
    bodies.push(Body::NoteAdded {
        call: keep.id.clone(),
        text: text_field("note", &said)?,
        caution: false,
        written: None,
    });
    for n in &dup.notes {
        bodies.push(Body::NoteAdded {
            call: keep.id.clone(),
            text: text_field(
                "note",
                &format!("from the second caller's call: {}", n.text),
            )?,
            caution: n.caution,
            // Who wrote it and when stay with it.
            written: Some(n.written.clone().unwrap_or_else(|| super::ledger::Written {
                by: n.operator.clone(),
                at_ms: n.wall_ms,
            })),
        });
    }
    bodies.push(Body::CallMerged {
        call: dup.id.clone(),
        into: keep.id.clone(),
    });
    Ok(bodies)
}

/// What the next shift must know: who is on the desk, every open call and where it stands,
/// units out of service, the alarms in force, and the cautions raised in the last `hours`.
fn handover(state: &State, hours: u32, ctx: &Context) -> Vec<String> {
    use super::safety::{check_in, waiting_too_long, Check};
    use std::fmt::Write as _;
    let now = ctx.now_ms;
    let since = now - i64::from(hours) * 3_600_000;
    let mins = |ms: i64| (now - ms).max(0) / 60_000;
    let mut lines = Vec::new();
    let on: Vec<String> = state
        .on_desk
        .iter()
        .map(|(who, at)| format!("{who} ({} min)", mins(*at)))
        .collect();
    lines.push(if on.is_empty() {
        "On the desk: nobody signed on (on)".to_owned()
    } else {
        format!("On the desk: {}", on.join(", "))
    });
    let open = state.queue();
    lines.push(format!("Open calls: {}", open.len()));
    for c in &open {
        let units: Vec<&str> = c.active_units().map(|a| a.unit.as_str()).collect();
        let mut line = format!(
            "  {} P{} {} {}, {} min: {}",
            c.id,
            c.priority.get(),
            c.call_type.map_or("-", |t| t.word()),
            c.state_word(),
            mins(state.call_since(c)),
            c.location
        );
        if !units.is_empty() {
            let _ = write!(line, " [{}]", units.join(", "));
        }
        if let Some(h) = &c.hold {
            let _ = write!(
                line,
                "; on hold {} min more: {}",
                (h.until_ms - now).max(0) / 60_000,
                h.reason
            );
        }
        if let (Some((_, agency)), None) = (&c.backup_for, &c.confirmed) {
            let _ = write!(line, "; {agency} not confirmed");
        }
        lines.push(line);
    }
    let out: Vec<String> = state
        .units
        .values()
        .filter(|u| u.status == UnitStatus::OutOfService)
        .map(|u| {
            format!(
                "{} ({}, {} min)",
                u.callsign,
                u.detail.as_deref().unwrap_or("no reason given"),
                mins(state.status_since(u))
            )
        })
        .collect();
    lines.push(format!(
        "Out of service: {}",
        if out.is_empty() {
            "none".to_owned()
        } else {
            out.join(", ")
        }
    ));
    let waiting: Vec<String> = open
        .iter()
        .filter(|c| waiting_too_long(state, c, now, ctx.policy))
        .map(|c| c.id.to_string())
        .collect();
    let late: Vec<String> = state
        .units
        .values()
        .filter(|u| {
            matches!(
                check_in(state, u, now, ctx.policy),
                Some(Check::Overdue(_) | Check::Escalated(_))
            )
        })
        .map(|u| u.callsign.to_string())
        .collect();
    let conflicts: Vec<String> = state.open_alerts().map(super::state::Alert::id).collect();
    let mut alarms = Vec::new();
    if !waiting.is_empty() {
        alarms.push(format!("waiting long: {}", waiting.join(", ")));
    }
    if !late.is_empty() {
        alarms.push(format!("check-in late: {}", late.join(", ")));
    }
    if !conflicts.is_empty() {
        alarms.push(format!("conflicts: {}", conflicts.join(", ")));
    }
    lines.push(format!(
        "Alarms: {}",
        if alarms.is_empty() {
            "none".to_owned()
        } else {
            alarms.join("; ")
        }
    ));
    let cautions: Vec<String> = state
        .calls
        .values()
        .flat_map(|c| {
            c.notes
                .iter()
                .filter(|n| n.caution && n.wall_ms >= since)
                .map(move |n| format!("  {}: {} ({})", c.id, n.text, c.location))
        })
        .collect();
    lines.push(format!(
        "Cautions in the last {hours} h: {}",
        cautions.len()
    ));
    lines.extend(cautions);
    lines
}

/// `erase --caller`: every closed call whose caller name (any case) or callback number (its
/// digits) is `who`, not erased and not under a legal hold; open or held calls stay, and the
/// refusal says so when nothing else is left.
fn erase_caller(state: &State, who: &str, reason: &str) -> Result<Vec<Body>, Refusal> {
    let reason = text_field("reason", reason)?;
    if reason.is_empty() {
        refuse!("say why it is erased: erase --caller NAME --reason TEXT");
    }
    let who = who.trim();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let wanted = digits(who);
    let from = |c: &Call| {
        c.caller
            .as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(who))
            || (wanted.len() >= 7 && c.callback.as_deref().is_some_and(|cb| digits(cb) == wanted))
    };
    let calls: Vec<&Call> = state
        .calls
        .values()
        .filter(|c| !c.erased && from(c))
        .collect();
    let (due, kept): (Vec<&Call>, Vec<&Call>) = calls
        .into_iter()
        .partition(|c| !c.is_open() && c.legal_hold.is_none());
    if due.is_empty() {
        if kept.is_empty() {
            refuse!("no call from {who} to erase");
        }
        refuse!(
            "every call from {who} is open or under a legal hold ({}); close or release them first",
            kept.iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(due
        .into_iter()
        .map(|c| Body::CallErased {
            call: c.id.clone(),
            reason: reason.clone(),
        })
        .collect())
}

/// `erase`: a closed call not under a legal hold, not erased already, with a reason.
fn erase(state: &State, call: &str, reason: &str) -> Result<Vec<Body>, Refusal> {
    let c = find_call(state, call)?;
    let reason = text_field("reason", reason)?;
    if reason.is_empty() {
        refuse!("say why it is erased: erase {} --reason TEXT", c.id);
    }
    if c.erased {
        refuse!("{} is already erased", c.id);
    }
    if c.is_open() {
        refuse!("{} is open; close it before erasing it", c.id);
    }
    if let Some(why) = &c.legal_hold {
        refuse!(
            "{} is under a legal hold ({why}); release it first (release-legal {} <reason>)",
            c.id,
            c.id
        );
    }
    Ok(vec![Body::CallErased {
        call: c.id.clone(),
        reason,
    }])
}
