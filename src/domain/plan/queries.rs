//! Read-only commands: the lines a query shows against the state, the shift's handover among them.

use crate::domain::command::Command;
use crate::domain::dispatch::{names, response_for, unknown_distances};
use crate::domain::recommend::{response_plan, Fill};
use crate::domain::state::State;
use crate::domain::vocab::UnitStatus;

use crate::domain::planning::{find_call, Context, Refusal};

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
        let ranked: Vec<crate::domain::recommend::Ranked> = plan
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

/// What the next shift must know: who is on the desk, every open call and where it stands,
/// units out of service, the alarms in force, and the cautions raised in the last `hours`.
pub(super) fn handover(state: &State, hours: u32, ctx: &Context) -> Vec<String> {
    use crate::domain::safety::{check_in, waiting_too_long, Check};
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
    let conflicts: Vec<String> = state
        .open_alerts()
        .map(crate::domain::state::Alert::id)
        .collect();
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
