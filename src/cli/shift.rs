//! A shift from the shell: `exec`, `log`, `state`, `demo --days`, `import eido`.

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use chrono::{Local, TimeZone};
use serde_json::json;

use crate::desk::{Desk, DeskError};
use crate::domain::text::{escape, escape_line};
use crate::domain::{CallId, Event, State};
use crate::store::{Store, StoreKind};

use super::centre::open_desk;

pub(super) fn exec(mut desk: Desk, lines: Vec<String>) -> Result<ExitCode, String> {
    let from_stdin = lines.is_empty();
    let source: Box<dyn Iterator<Item = Result<String, String>>> = if from_stdin {
        Box::new(Lines {
            input: std::io::stdin().lock(),
            number: 0,
            done: false,
        })
    } else {
        Box::new(lines.into_iter().map(Ok))
    };
    let mut out = std::io::stdout().lock();
    let mut number = 0;
    for line in source {
        number += 1;
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match desk.run_line(line) {
            Ok(outcome) => {
                // A closed pipe (e.g. `| head`) is not worth a panic; the commits are durable.
                for said in outcome.lines() {
                    let _ = writeln!(out, "{}", escape(&said));
                }
            }
            Err(e) => {
                let where_ = if from_stdin {
                    format!("line {number}: ")
                } else {
                    String::new()
                };
                // A store error says what failed in its own words ("the disk is full at …").
                let what = match e {
                    DeskError::Store(_) => "",
                    DeskError::Parse(_) | DeskError::Refused(_) => "refused: ",
                };
                eprintln!("switchboard: {where_}{what}{e}");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    // A clean close, writing a checkpoint when enough came (see `Desk::close`).
    desk.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// Command lines from a reader, each refused as soon as it is over
/// [`crate::command::MAX_LINE_BYTES`] — while it is read, so an endless line (`< /dev/zero`)
/// costs no more memory than the limit.
struct Lines<R> {
    input: R,
    number: usize,
    done: bool,
}

impl<R: BufRead> Iterator for Lines<R> {
    type Item = Result<String, String>;

    fn next(&mut self) -> Option<Self::Item> {
        use crate::command::MAX_LINE_BYTES;
        if self.done {
            return None;
        }
        self.number += 1;
        let mut line = Vec::new();
        loop {
            let buf = match self.input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(format!("cannot read stdin: {e}")));
                }
            };
            if buf.is_empty() {
                self.done = true;
                if line.is_empty() {
                    return None;
                }
                break;
            }
            let (part, end) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if line.len() + part.len() > MAX_LINE_BYTES {
                self.done = true;
                return Some(Err(format!(
                    "line {} is over the {MAX_LINE_BYTES}-byte limit of a command line; it \
                     was not run",
                    self.number
                )));
            }
            line.extend_from_slice(part);
            let used = end.unwrap_or(buf.len());
            self.input.consume(used);
            if end.is_some() {
                break;
            }
        }
        let number = self.number;
        Some(String::from_utf8(line).map_err(|_| {
            self.done = true;
            format!("line {number} is not valid UTF-8; it was not run")
        }))
    }
}

pub(super) fn log(desk: &Desk, call: Option<&str>, json: bool) -> Result<ExitCode, String> {
    // The same rule as every command that names a call: a full id, or the digits it ends with.
    let call: Option<CallId> = call
        .map(|typed| {
            crate::domain::planning::call_id_named(desk.state(), typed).map_err(|e| e.to_string())
        })
        .transpose()?;
    // One call's events come from the store's index of them, not a read of the whole log.
    let events = if let Some(id) = &call {
        desk.chronology(id).map_err(|e| e.to_string())?
    } else {
        let mut events = desk.events().map_err(|e| e.to_string())?;
        events.sort_by_key(Event::fold_key);
        events
    };
    let events: Vec<Event> = events.into_iter().map(|e| desk.shown_event(e)).collect();
    let mut out = std::io::stdout().lock();
    for e in &events {
        let lost = desk.state().lost(e.origin, e.seq);
        let line = if json {
            json!({
                "time": chrono::DateTime::from_timestamp_millis(e.wall_ms).map(|t| t.to_rfc3339()),
                "wall_ms": e.wall_ms,
                "hlc": e.hlc,
                "origin": e.origin.to_string(),
                "seq": e.seq,
                "operator": e.operator,
                "os_user": e.os_user,
                "change": e.body.describe(),
                "body": e.body,
                "overruled": lost,
            })
            .to_string()
        } else {
            // One event, one line: nothing in it reaches the terminal raw (JSON escapes its own).
            let line = format!(
                "{}  {:<12} {}:{:<5} {}{}",
                local_time(e.wall_ms),
                e.author(),
                &e.origin.to_string()[..6],
                e.seq,
                e.body.describe(),
                lost.map_or_else(String::new, |why| format!("  [did not stand: {why}]"))
            );
            escape_line(&line).into_owned()
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn local_time(ms: i64) -> String {
    Local.timestamp_millis_opt(ms).single().map_or_else(
        || ms.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// The state for a person: open calls in queue order, then the roster.
pub(super) fn state_text(state: &State) -> String {
    let mut out = String::new();
    let queue = state.queue();
    let _ = writeln!(
        out,
        "{} open call(s), {} closed",
        queue.len(),
        state.call_count() - queue.len()
    );
    for c in queue {
        let units: Vec<String> = c
            .active_units()
            .map(|a| format!("{} {}", a.unit, a.status))
            .collect();
        let kind = c.call_type.map_or("-", |t| t.word());
        let _ = writeln!(
            out,
            "  {:<10} P{} {:<10} {:<12} {} / {}  [{}]",
            c.id,
            c.priority,
            c.state_word(),
            kind,
            c.location,
            c.nature,
            units.join(", ")
        );
    }
    let _ = writeln!(out, "{} unit(s)", state.units.len());
    for u in state.units.values() {
        let caps: Vec<&str> = u.capabilities.iter().map(|c| c.word()).collect();
        let call = u
            .call
            .as_ref()
            .map_or_else(String::new, ToString::to_string);
        let _ = writeln!(
            out,
            "  {:<10} {} since {}  {:<10} {}  {}",
            u.callsign,
            u.status,
            local_time(u.status_ms),
            call,
            caps.join(","),
            u.zone.as_deref().unwrap_or("")
        );
    }
    // Only what still waits for someone: an acknowledged alert is history (`log` keeps it).
    for a in state.open_alerts() {
        let _ = writeln!(
            out,
            "ALERT {}: {} (ack {})",
            local_time(a.wall_ms),
            a.text,
            a.id()
        );
    }
    out.trim_end().to_owned()
}

pub(super) fn demo(
    dir: &Path,
    days: u32,
    seed: u64,
    town: Option<&crate::places::Gazetteer>,
) -> Result<ExitCode, String> {
    let store = Store::open(dir, StoreKind::Demo).map_err(|e| e.to_string())?;
    if store.event_count() > 0 {
        return Err(format!(
            "{} already holds {} events; demo writes only into an empty store (choose another \
             --data dir)",
            dir.display(),
            store.event_count()
        ));
    }
    let summary = crate::demo::fill_in(
        store,
        days,
        seed,
        chrono::Utc::now().timestamp_millis(),
        town,
    )
    .map_err(|e| e.to_string())?;
    say!("{summary}\ndemo store: {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `import eido FILE`: the whole document is checked before the store is even opened; then
/// each incident it carries is taken in one commit — a new pending call with its hand-off and
/// notes, or, for an incident this desk already has, only what is new.
pub(super) fn import_eido(
    data: Option<&Path>,
    operator: &str,
    file: &Path,
) -> Result<ExitCode, String> {
    use crate::domain::{Body, Taken};
    let source = file.display().to_string();
    let reader = std::fs::File::open(file).map_err(|e| format!("cannot read {source}: {e}"))?;
    let handovers = crate::report::eido::import_reader(reader, &source)?;
    let mut desk = open_desk(data, operator, super::centre::Use::Write)?;
    let mut out = std::io::stdout().lock();
    for h in &handovers {
        let (taken, events) = desk
            .take_handover(h)
            .map_err(|e| format!("{source} was not imported: {e}"))?;
        let notes = events
            .iter()
            .filter(|e| {
                matches!(
                    &e.body,
                    Body::NoteAdded {
                        written: Some(_),
                        ..
                    }
                )
            })
            .count();
        let said = match taken {
            Taken::New => {
                let taken = events
                    .iter()
                    .find(|e| matches!(e.body, Body::CallCreated { .. }))
                    .map_or_else(String::new, |e| e.body.describe());
                format!(
                    "{taken}; {notes} note(s) from {} {}",
                    h.partner,
                    shown_incident(h)
                )
            }
            Taken::Known(id) if events.is_empty() => format!(
                "{id} already holds {} {}; nothing new",
                h.partner,
                shown_incident(h)
            ),
            Taken::Known(id) => format!(
                "{id} already holds {} {}; {} change(s), {notes} new note(s)",
                h.partner,
                shown_incident(h),
                events.len() - notes
            ),
        };
        let _ = writeln!(out, "{said}");
    }
    desk.close().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn shown_incident(h: &crate::domain::Handover) -> String {
    h.origin_note
        .strip_prefix(&format!("handed over from {} ", h.partner))
        .and_then(|s| s.strip_suffix(" (EIDO)"))
        .unwrap_or("incident")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_prints_an_alert_until_it_is_acknowledged() {
        let mut state = State::default();
        state.alerts.push(crate::domain::state::Alert {
            wall_ms: 0,
            origin: crate::domain::ReplicaId(7),
            seq: 3,
            text: "two consoles sent STAR-1 to different calls".into(),
            acknowledged_by: None,
        });
        let open = state_text(&state);
        assert!(open.contains("ALERT") && open.contains("STAR-1"), "{open}");
        state.alerts[0].acknowledged_by = Some("jo".into());
        let acked = state_text(&state);
        assert!(!acked.contains("ALERT"), "{acked}");
    }
}
