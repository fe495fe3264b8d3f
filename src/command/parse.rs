//! Command lines to commands and back. `parse(&print(c)) == c` for every command.

use crate::domain::ids::shown;
use crate::domain::Coords;
use crate::domain::{CallField, CallType, Capability, Command, NewCall, Priority, UnitStatus};

mod words;

use words::{quote, quote_words, split_args, Args};
pub use words::{tokenize, Token};

use super::registry::{lookup, COMMANDS};

/// A malformed command line, in one line that shows the right form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Parses one command line.
/// The longest command line taken, in bytes: far more than any one change can hold (an event is
/// at most [`crate::domain::MAX_EVENT_BYTES`]), so a line over it is a mistake, refused before it
/// is read whole.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

pub fn parse(line: &str) -> Result<Command, ParseError> {
    if line.len() > MAX_LINE_BYTES {
        return Err(ParseError(format!(
            "that line is {} bytes, over the {MAX_LINE_BYTES}-byte limit of a command line",
            line.len()
        )));
    }
    let tokens = tokenize(line)?;
    let words: Vec<&str> = tokens.iter().take(2).map(|t| t.text.as_str()).collect();
    let Some((spec, used)) = lookup(&words) else {
        return Err(unknown_verb(&words));
    };
    let args = split_args(spec, &tokens[used..])?;
    let bad = |e: String| ParseError(e);
    let cmd = match spec.name {
        "call" => parse_call(&args)?,
        "note" => {
            let (lead, text) = args.leading_then_text(1)?;
            if text.is_empty() {
                return Err(args.usage_error("note needs some text"));
            }
            Command::Note {
                call: lead[0].to_owned(),
                text,
                caution: args.switch("caution"),
            }
        }
        "set" => {
            let (lead, value) = args.leading_then_text(2)?;
            if value.is_empty() {
                return Err(args.usage_error(&format!("set {} needs a value", lead[1])));
            }
            let field = match lead[1].to_ascii_lowercase().as_str() {
                "loc" | "location" => CallField::Location(value),
                "nature" => CallField::Nature(value),
                "type" => CallField::Type(CallType::parse_word_or_apco(&value).map_err(bad)?),
                "pri" | "priority" => CallField::Priority(value.parse().map_err(bad)?),
                "caller" => CallField::Caller(value),
                "cb" | "callback" => CallField::Callback(value),
                "zone" => CallField::Zone(value),
                other => {
                    return Err(
                        args.usage_error(&format!("{} is not a field of a call", shown(other)))
                    );
                }
            };
            Command::Set {
                call: lead[0].to_owned(),
                field,
                located: None,
                reason: args.flag("reason").map(str::to_owned),
            }
        }
        "place" => {
            let a = args.exactly(2)?;
            Command::Place {
                call: a[0].to_owned(),
                choice: a[1].to_owned(),
            }
        }
        "unit add" => {
            let a = args.exactly(2)?;
            let capabilities = a[1]
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::parse::<Capability>)
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            Command::AddUnit {
                callsign: a[0].to_owned(),
                capabilities,
                zone: args.flag("zone").map(str::to_owned),
            }
        }
        "dp" | "de" => {
            let a = args.exactly(2)?;
            Command::Dispatch {
                unit: a[0].to_owned(),
                call: a[1].to_owned(),
                en_route: spec.name == "de",
                force: args.switch("force"),
            }
        }
        "trn" | "oos" => {
            let (lead, detail) = args.leading_then_text(1)?;
            let status = if spec.name == "trn" {
                UnitStatus::Transporting
            } else {
                UnitStatus::OutOfService
            };
            let back_minutes = args
                .flag("back")
                .map(|m| {
                    minutes(m).ok_or_else(|| {
                        args.usage_error(&format!("{} is not a number of minutes (30m)", shown(m)))
                    })
                })
                .transpose()?;
            Command::Status {
                unit: lead[0].to_owned(),
                status,
                detail: (!detail.is_empty()).then_some(detail),
                back_minutes,
            }
        }
        "enr" | "ons" | "atf" | "avl" => {
            let a = args.exactly(1)?;
            let status = spec.name.to_ascii_uppercase().parse().map_err(bad)?;
            Command::Status {
                unit: a[0].to_owned(),
                status,
                detail: None,
                back_minutes: None,
            }
        }
        "close" => {
            let a = args.exactly(2)?;
            Command::Close {
                call: a[0].to_owned(),
                disposition: a[1].parse().map_err(bad)?,
                force: args.switch("force"),
                unserved: args
                    .flag("unserved")
                    .map(str::parse)
                    .transpose()
                    .map_err(bad)?,
            }
        }
        "reopen" => Command::Reopen {
            call: args.exactly(1)?[0].to_owned(),
        },
        "on" => {
            args.exactly(0)?;
            Command::SignOn
        }
        "off" => {
            args.exactly(0)?;
            Command::SignOff
        }
        "handover" => {
            args.exactly(0)?;
            let hours = match args.flag("hours") {
                None => 12,
                Some(h) => h
                    .parse()
                    .ok()
                    .filter(|h| (1..=72).contains(h))
                    .ok_or_else(|| args.usage_error("--hours is 1 to 72"))?,
            };
            Command::Handover { hours }
        }
        "confirm" => {
            let (lead, by) = args.leading_then_text(1)?;
            Command::Confirm {
                call: lead[0].to_owned(),
                by: (!by.is_empty()).then_some(by),
            }
        }
        "merge" => {
            let a = args.exactly(2)?;
            Command::Merge {
                call: a[0].to_owned(),
                into: a[1].to_owned(),
            }
        }
        "disregard" => {
            let (lead, reason) = args.leading_then_text(1)?;
            Command::Disregard {
                unit: lead[0].to_owned(),
                reason: (!reason.is_empty()).then_some(reason),
            }
        }
        "correct" => {
            let (lead, reason) = args.leading_then_text(2)?;
            if reason.is_empty() {
                return Err(args.usage_error("say why the status is corrected"));
            }
            Command::Correct {
                unit: lead[0].to_owned(),
                status: lead[1].to_ascii_uppercase().parse().map_err(bad)?,
                reason,
            }
        }
        "hold" => {
            let (lead, reason) = args.leading_then_text(2)?;
            let minutes = minutes(lead[1]).ok_or_else(|| {
                args.usage_error(&format!(
                    "{} is not a number of minutes (20m)",
                    shown(lead[1])
                ))
            })?;
            if reason.is_empty() {
                return Err(args.usage_error("say why the call is held"));
            }
            Command::Hold {
                call: lead[0].to_owned(),
                minutes,
                reason,
            }
        }
        "unhold" => Command::Unhold {
            call: args.exactly(1)?[0].to_owned(),
        },
        "erase" => {
            let reason = args
                .flag("reason")
                .map(str::to_owned)
                .ok_or_else(|| args.usage_error("say why: --reason TEXT"))?;
            match args.flag("caller") {
                Some(caller) => {
                    args.exactly(0)?;
                    Command::EraseCaller {
                        caller: caller.to_owned(),
                        reason,
                    }
                }
                None => Command::Erase {
                    call: args.exactly(1)?[0].to_owned(),
                    reason,
                },
            }
        }
        "restrict" => {
            let (lead, names) = args.leading_then_text(1)?;
            let operators: Vec<String> = names.split_whitespace().map(str::to_owned).collect();
            if operators.is_empty() {
                return Err(args.usage_error("name the operators who may see it"));
            }
            Command::Restrict {
                call: lead[0].to_owned(),
                operators,
            }
        }
        "view" => Command::View {
            call: args.exactly(1)?[0].to_owned(),
        },
        verb @ ("hold-legal" | "release-legal") => {
            let (lead, reason) = args.leading_then_text(1)?;
            if reason.is_empty() {
                return Err(args.usage_error("say why (the case, the order)"));
            }
            Command::LegalHold {
                call: lead[0].to_owned(),
                held: verb == "hold-legal",
                reason,
            }
        }
        "link" => {
            let a = args.exactly(2)?;
            Command::Link {
                call: a[0].to_owned(),
                other: a[1].to_owned(),
            }
        }
        "accept" => Command::Accept {
            call: args.exactly(1)?[0].to_owned(),
        },
        "reject" => {
            let (lead, reason) = args.leading_then_text(1)?;
            if reason.is_empty() {
                return Err(args.usage_error("say why the hand-off is rejected"));
            }
            Command::Reject {
                call: lead[0].to_owned(),
                reason,
            }
        }
        "transfer" => {
            let a = args.exactly(2)?;
            Command::Transfer {
                call: a[0].to_owned(),
                partner: a[1].to_owned(),
            }
        }
        "backup" => {
            let a = args.exactly(2)?;
            Command::Backup {
                call: a[0].to_owned(),
                agency: a[1].parse().map_err(bad)?,
            }
        }
        "ask" => {
            let a = args.exactly(3)?;
            Command::Ask {
                call: a[0].to_owned(),
                question: a[1].to_owned(),
                answer: a[2].to_owned(),
            }
        }
        "respond" => {
            let a = args.exactly(2)?;
            Command::Respond {
                call: a[0].to_owned(),
                response: a[1].parse().map_err(bad)?,
                reason: args.flag("reason").map(str::to_owned),
            }
        }
        "rec" => {
            let (dispatch, partial) = (args.switch("dispatch"), args.switch("partial"));
            if partial && !dispatch {
                return Err(args.usage_error("--partial goes with --dispatch"));
            }
            Command::Recommend {
                call: args.exactly(1)?[0].to_owned(),
                dispatch,
                partial,
            }
        }
        "ok" => Command::CheckIn {
            unit: args.exactly(1)?[0].to_owned(),
        },
        "ack" if args.positional.is_empty() => Command::Ack { alert: None },
        "ack" => Command::Ack {
            alert: Some(args.exactly(1)?[0].to_owned()),
        },
        other => return Err(ParseError(format!("{other} is not wired to a command"))),
    };
    Ok(cmd)
}

fn parse_call(args: &Args<'_>) -> Result<Command, ParseError> {
    let toks = &args.positional;
    let slashes: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.quoted && t.text == "/")
        .map(|(i, _)| i)
        .collect();
    let (location, nature) = if let Some(&at) = slashes.first() {
        let words = |ts: &[&Token]| {
            ts.iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        // The CAD form `N 60TH ST / W CAPITOL DR / RECK USE OF WEAP`: an intersection, then the
        // nature. The second part is a cross street when it reads as a street and the first
        // has no house number (a house number means an address, and `/` then begins the
        // nature).
        let first = words(&toks[..at]);
        let cross = slashes.get(1).and_then(|&next| {
            let second = words(&toks[at + 1..next]);
            (!has_house_number(&first) && crate::places::normalize::looks_like_street(&second))
                .then(|| (format!("{first} / {second}"), words(&toks[next + 1..])))
        });
        cross.unwrap_or_else(|| (first, words(&toks[at + 1..])))
    } else {
        // Also accept `12 Main St/man shouting`, split at the first unquoted '/'.
        let mut location = Vec::new();
        let mut nature = Vec::new();
        let mut seen = false;
        for t in toks {
            match t.text.split_once('/').filter(|_| !t.quoted && !seen) {
                Some((l, n)) => {
                    seen = true;
                    location.push(l);
                    nature.push(n);
                }
                None if seen => nature.push(t.text.as_str()),
                None => location.push(t.text.as_str()),
            }
        }
        if !seen {
            return Err(args.usage_error("separate the location from the nature with /"));
        }
        let join = |w: Vec<&str>| {
            w.into_iter()
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        (join(location), join(nature))
    };
    if location.is_empty() || nature.is_empty() {
        return Err(args.usage_error("a call needs a location and a nature"));
    }
    let bad = |e: String| ParseError(e);
    Ok(Command::TakeCall(NewCall {
        location,
        nature,
        call_type: args
            .flag("type")
            .map(CallType::parse_word_or_apco)
            .transpose()
            .map_err(bad)?,
        priority: args
            .flag("pri")
            .map(str::parse::<Priority>)
            .transpose()
            .map_err(bad)?,
        caller: args.flag("caller").map(str::to_owned),
        callback: args.flag("cb").map(str::to_owned),
        zone: args.flag("zone").map(str::to_owned),
        coords: args.flag("at").map(parse_coords).transpose()?,
        civic: None,
        placed: None,
    }))
}

/// A location that begins with a house number (`1400 Colfax Ave`, not `5th St`): an address,
/// so a `/` after it begins the nature, never a cross street.
pub fn has_house_number(location: &str) -> bool {
    location
        .trim_start()
        .starts_with(|c: char| c.is_ascii_digit())
        && !crate::places::normalize::is_ordinal(
            &crate::places::normalize::normal_words(location)
                .first()
                .cloned()
                .unwrap_or_default(),
        )
}

/// `39.7392,-104.9903`: latitude then longitude, in degrees.
fn parse_coords(text: &str) -> Result<Coords, ParseError> {
    let bad = || {
        ParseError(format!(
            "{} is not LAT,LON (like 39.7392,-104.9903)",
            shown(text)
        ))
    };
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(bad());
    }
    Ok(Coords { lat, lon })
}

fn unknown_verb(words: &[&str]) -> ParseError {
    let Some(first) = words.first() else {
        return ParseError(
            "empty command line; type a command such as: call <location> / <nature>".into(),
        );
    };
    if first.eq_ignore_ascii_case("unit") {
        return ParseError(
            "unit needs an object; usage: unit add <callsign> <capabilities>".into(),
        );
    }
    let names = COMMANDS
        .iter()
        .flat_map(|s| std::iter::once(s.name).chain(s.aliases.iter().copied()));
    match crate::spelling::nearest(first, names) {
        Some(n) => ParseError(format!(
            "unknown command {}; did you mean '{n}'?",
            shown(first)
        )),
        None => ParseError(format!(
            "unknown command {}; `switchboard exec --help` lists them",
            shown(first)
        )),
    }
}

/// The canonical command line for a command.
pub fn print(cmd: &Command) -> String {
    let opt = |name: &str, v: &Option<String>| {
        v.as_ref()
            .map_or_else(String::new, |v| format!(" --{name} {}", quote_words(v)))
    };
    match cmd {
        Command::TakeCall(c) => format!(
            "call {} / {}{}{}{}{}{}{}",
            quote_words(&c.location),
            quote_words(&c.nature),
            opt("type", &c.call_type.map(|t| t.to_string())),
            opt("pri", &c.priority.map(|p| p.to_string())),
            opt("caller", &c.caller),
            opt("cb", &c.callback),
            opt("zone", &c.zone),
            opt(
                "at",
                &c.coords.as_ref().map(|p| format!("{},{}", p.lat, p.lon))
            ),
        ),
        Command::Note {
            call,
            text,
            caution,
        } => format!(
            "note {} {}{}",
            quote(call),
            quote_words(text),
            if *caution { " --caution" } else { "" }
        ),
        Command::Ask {
            call,
            question,
            answer,
        } => format!("ask {} {} {}", quote(call), quote(question), quote(answer)),
        Command::Respond {
            call,
            response,
            reason,
        } => format!(
            "respond {} {response}{}",
            quote(call),
            opt("reason", reason)
        ),
        Command::Recommend {
            call,
            dispatch,
            partial,
        } => format!(
            "rec {}{}{}",
            quote(call),
            if *dispatch { " --dispatch" } else { "" },
            if *partial { " --partial" } else { "" }
        ),
        Command::CheckIn { unit } => format!("ok {}", quote(unit)),
        Command::Ack { alert: None } => "ack".to_owned(),
        Command::Ack { alert: Some(a) } => format!("ack {}", quote(a)),
        Command::Place { call, choice } => format!("place {} {}", quote(call), quote(choice)),
        Command::Set {
            call,
            field,
            reason,
            ..
        } => {
            let why = reason
                .as_ref()
                .map_or_else(String::new, |r| format!(" --reason {}", quote(r)));
            format!(
                "set {} {} {}{why}",
                quote(call),
                field.name(),
                quote_words(&field.value())
            )
        }
        Command::Hold {
            call,
            minutes,
            reason,
        } => format!("hold {} {minutes}m {}", quote(call), quote_words(reason)),
        Command::Unhold { call } => format!("unhold {}", quote(call)),
        Command::Erase { call, reason } => {
            format!("erase {} --reason {}", quote(call), quote(reason))
        }
        Command::EraseCaller { caller, reason } => {
            format!(
                "erase --caller {} --reason {}",
                quote(caller),
                quote(reason)
            )
        }
        Command::Restrict { call, operators } => format!(
            "restrict {} {}",
            quote(call),
            operators
                .iter()
                .map(|o| quote(o))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        Command::View { call } => format!("view {}", quote(call)),
        Command::LegalHold { call, held, reason } => format!(
            "{} {} {}",
            if *held { "hold-legal" } else { "release-legal" },
            quote(call),
            quote_words(reason)
        ),
        Command::Merge { call, into } => format!("merge {} {}", quote(call), quote(into)),
        Command::SignOn => "on".to_owned(),
        Command::SignOff => "off".to_owned(),
        Command::Handover { hours } => format!("handover --hours {hours}"),
        Command::Confirm { call, by } => match by {
            Some(who) => format!("confirm {} {}", quote(call), quote_words(who)),
            None => format!("confirm {}", quote(call)),
        },
        Command::Disregard { unit, reason } => match reason {
            Some(r) => format!("disregard {} {}", quote(unit), quote_words(r)),
            None => format!("disregard {}", quote(unit)),
        },
        Command::Correct {
            unit,
            status,
            reason,
        } => format!(
            "correct {} {} {}",
            quote(unit),
            status.word().to_ascii_lowercase(),
            quote_words(reason)
        ),
        Command::AddUnit {
            callsign,
            capabilities,
            zone,
        } => {
            let caps: Vec<&str> = capabilities.iter().map(|c| c.word()).collect();
            format!(
                "unit add {} {}{}",
                quote(callsign),
                caps.join(","),
                opt("zone", zone)
            )
        }
        Command::Dispatch {
            unit,
            call,
            en_route,
            force,
        } => format!(
            "{} {} {}{}",
            if *en_route { "de" } else { "dp" },
            quote(unit),
            quote(call),
            if *force { " --force" } else { "" }
        ),
        Command::Status {
            unit,
            status,
            detail,
            back_minutes,
        } => {
            let detail = detail
                .as_ref()
                .map_or_else(String::new, |d| format!(" {}", quote_words(d)));
            let back = back_minutes.map_or_else(String::new, |m| format!(" --back {m}m"));
            format!(
                "{} {}{detail}{back}",
                status.word().to_ascii_lowercase(),
                quote(unit)
            )
        }
        Command::Close {
            call,
            disposition,
            force,
            unserved,
        } => format!(
            "close {} {disposition}{}{}",
            quote(call),
            if *force { " --force" } else { "" },
            opt("unserved", &unserved.map(|u| u.to_string()))
        ),
        Command::Reopen { call } => format!("reopen {}", quote(call)),
        Command::Link { call, other } => format!("link {} {}", quote(call), quote(other)),
        Command::Backup { call, agency } => format!("backup {} {agency}", quote(call)),
        Command::Accept { call } => format!("accept {}", quote(call)),
        Command::Transfer { call, partner } => {
            format!("transfer {} {}", quote(call), quote(partner))
        }
        Command::Reject { call, reason } => {
            format!("reject {} {}", quote(call), quote_words(reason))
        }
    }
}

/// Minutes as typed for a hold: `20m`, `20min` or `20`. The unit lets the console tell them
/// from a short call number (`hold 20m …` holds the selected call; `hold 20 …` would name
/// call 20).
fn minutes(word: &str) -> Option<u32> {
    let digits = word
        .strip_suffix("min")
        .or_else(|| word.strip_suffix('m'))
        .unwrap_or(word);
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Agency, Disposition};

    #[test]
    fn takes_a_call_with_options() {
        let cmd = parse("call 12 Main St / man shouting at traffic --pri 2 --type welfare --caller Jo Smith --cb 555-0101").unwrap();
        assert_eq!(
            cmd,
            Command::TakeCall(NewCall {
                location: "12 Main St".into(),
                nature: "man shouting at traffic".into(),
                call_type: Some(CallType::Welfare),
                priority: Some(Priority::new(2).unwrap()),
                caller: Some("Jo Smith".into()),
                callback: Some("555-0101".into()),
                zone: None,
                coords: None,
                civic: None,
                placed: None,
            })
        );
        let slash = parse("call 5th & Pine/sleeping in doorway").unwrap();
        let Command::TakeCall(c) = slash else {
            panic!()
        };
        assert_eq!(
            (c.location.as_str(), c.nature.as_str()),
            ("5th & Pine", "sleeping in doorway")
        );
    }

    #[test]
    fn errors_show_the_usage() {
        assert_eq!(
            parse("dp STAR-1").unwrap_err().0,
            "dp needs 2 argument(s); usage: dp <unit> <call> [--force]"
        );
        assert_eq!(
            parse("dispach STAR-1 7").unwrap_err().0,
            "unknown command 'dispach'; did you mean 'dispatch'?"
        );
        assert_eq!(
            parse("dp a b --fast").unwrap_err().0,
            "dp has no option --fast; usage: dp <unit> <call> [--force]"
        );
        assert!(parse("call 12 Main St")
            .unwrap_err()
            .0
            .starts_with("separate the location"));
        assert!(parse("close 7 happy")
            .unwrap_err()
            .0
            .starts_with("unknown disposition 'happy'"));
        assert!(parse("note 7 \"open")
            .unwrap_err()
            .0
            .contains("quote is not closed"));
        assert!(parse("").unwrap_err().0.starts_with("empty command line"));
    }

    #[test]
    fn prints_canonical_lines() {
        let cmds = [
            "dp STAR-1 26-KQ0007 --force",
            "de STAR-1 7",
            "close 7 referred-988",
            "backup 7 police",
            "trn STAR-2 Denver Health",
            "oos STAR-2",
            "unit add STAR-3 clinician,medic --zone d6",
            "set 7 pri 1",
            "note 7 says \"he has a knife\"",
        ];
        for line in cmds {
            let cmd = parse(line).unwrap();
            assert_eq!(parse(&print(&cmd)).unwrap(), cmd, "{line}");
        }
        assert_eq!(
            parse("backup 7 EMS").unwrap(),
            Command::Backup {
                call: "7".into(),
                agency: Agency::Ems
            }
        );
        assert_eq!(
            parse("dispo 7 gone").unwrap(),
            Command::Close {
                call: "7".into(),
                disposition: Disposition::Gone,
                force: false,
                unserved: None,
            }
        );
    }
}
