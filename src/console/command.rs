//! Console commands (quit, help, intake, select …) beside the desk's, and the rule that fills a
//! desk command's missing call or unit from the selection, so `dp` alone dispatches the selected
//! unit to the selected call.

use crate::command::parse::{tokenize, Token};
use crate::command::registry::{lookup, ArgKind};
use crate::command::{parse, ParseError};
use crate::domain::{Command, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Next,
    Prev,
    First,
    Last,
}

/// What a console command does; these never reach the desk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Intake,
    /// Answer the selected call's triage questions one key each.
    Triage,
    /// The last 24 hours' figures and charts.
    Dashboard,
    /// Each peer link in words, the last refusal and any fork, on the message line.
    Peers,
    /// Who is at this desk: the consoles attached to it and the operators signed on.
    Who,
    SelectCall(Direction),
    SelectUnit(Direction),
    /// Focus the command line, optionally with text already typed.
    CommandLine(String),
    /// Close an overlay, clear the line, or go back to the keymap's start mode.
    Cancel,
    /// Leave the command line for normal mode (vim keymap).
    Normal,
    Redraw,
    /// Trainer keys: the next keys steer the training run.
    Trainer,
    /// Stop the simulated clock, or start it again.
    SimPause,
    /// Run the simulated clock twice as fast.
    SimFaster,
    /// Run the simulated clock half as fast.
    SimSlower,
    /// Bring the next scripted happening (a call, a turn in a call, a world event) forward to now.
    SimInject,
    /// End the training run now and show the score (again: show it).
    SimEnd,
    /// Open, close, zoom or pan the map pane.
    Map(super::map::MapMove),
    /// Select the next alarm's call or unit (a call waiting too long, a late check-in).
    Alarm,
    /// Show the last messages again (toggle).
    Messages,
    /// Show the selected call whole, over the panes (toggle).
    Details,
}

pub struct ConsoleSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub signature: &'static str,
    pub doc: &'static str,
}

pub const CONSOLE_COMMANDS: &[ConsoleSpec] = &[
    ConsoleSpec {
        name: "quit",
        aliases: &["q"],
        signature: "",
        doc: "Leave the console",
    },
    ConsoleSpec {
        name: "help",
        aliases: &["?"],
        signature: "",
        doc: "Show keys and commands",
    },
    ConsoleSpec {
        name: "intake",
        aliases: &["form"],
        signature: "",
        doc: "Take a call with the intake form",
    },
    ConsoleSpec {
        name: "dashboard",
        aliases: &["dash"],
        signature: "",
        doc: "Show the last 24 hours' figures (toggle)",
    },
    ConsoleSpec {
        name: "peers",
        aliases: &[],
        signature: "",
        doc: "Show each peer link, the last refusal, any fork and who else is at this desk",
    },
    ConsoleSpec {
        name: "who",
        aliases: &[],
        signature: "",
        doc: "Who is at this desk: each operator at a console on it, and who is signed on",
    },
    ConsoleSpec {
        name: "triage",
        aliases: &[],
        signature: "",
        doc: "Triage the selected call: a question's key, then y/n/u",
    },
    ConsoleSpec {
        name: "alarm",
        aliases: &[],
        signature: "",
        doc: "Select the next alarm's call or unit: a call waiting too long, a late check-in",
    },
    ConsoleSpec {
        name: "messages",
        aliases: &["msgs"],
        signature: "",
        doc: "Show the last messages again, newest last (toggle)",
    },
    ConsoleSpec {
        name: "details",
        aliases: &["whole"],
        signature: "",
        doc: "Show the selected call whole: every line, note and chronology entry (toggle)",
    },
    ConsoleSpec {
        name: "select",
        aliases: &["sel"],
        signature: "<call|unit> <next|prev|first|last>",
        doc: "Move the selection in the queue or the roster",
    },
    ConsoleSpec {
        name: "map",
        aliases: &[],
        signature: "[toggle|in|out|left|right|up|down|centre]",
        doc: "The map of the selected call's surroundings: open or close it, zoom, pan",
    },
    ConsoleSpec {
        name: "cmdline",
        aliases: &[],
        signature: "[text…]",
        doc: "Focus the command line, with text",
    },
    ConsoleSpec {
        name: "cancel",
        aliases: &[],
        signature: "",
        doc: "Close an overlay or clear the line",
    },
    ConsoleSpec {
        name: "normal",
        aliases: &[],
        signature: "",
        doc: "Leave the command line (vim keymap)",
    },
    ConsoleSpec {
        name: "redraw",
        aliases: &[],
        signature: "",
        doc: "Repaint the whole screen",
    },
    ConsoleSpec {
        name: "trainer",
        aliases: &[],
        signature: "",
        doc: "Trainer keys for a training run: clock and scripted events",
    },
    ConsoleSpec {
        name: "sim-pause",
        aliases: &[],
        signature: "",
        doc: "Pause the training clock, or resume it",
    },
    ConsoleSpec {
        name: "sim-faster",
        aliases: &[],
        signature: "",
        doc: "Run the training clock twice as fast",
    },
    ConsoleSpec {
        name: "sim-slower",
        aliases: &[],
        signature: "",
        doc: "Run the training clock half as fast",
    },
    ConsoleSpec {
        name: "sim-inject",
        aliases: &[],
        signature: "",
        doc: "Bring the next scripted call or event forward to now",
    },
    ConsoleSpec {
        name: "sim-end",
        aliases: &[],
        signature: "",
        doc: "End the training run and show the score",
    },
];

/// A line the console runs: its own action, or a desk command (with the selection filled in).
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Console(Action),
    Desk {
        command: Command,
        text: String,
        /// What the selection supplied, as `call 26-BA0004` or `unit STAR-1`, so the
        /// confirmation can say which call or unit it used.
        filled: Vec<String>,
    },
}

/// What is selected on screen, used to fill a desk command's missing call or unit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub call: Option<String>,
    pub unit: Option<String>,
}

fn console_spec(word: &str) -> Option<&'static ConsoleSpec> {
    let word = word.to_ascii_lowercase();
    CONSOLE_COMMANDS
        .iter()
        .find(|s| s.name == word || s.aliases.contains(&word.as_str()))
}

fn direction(word: Option<&str>) -> Result<Direction, String> {
    match word.map(str::to_ascii_lowercase).as_deref() {
        Some("next") => Ok(Direction::Next),
        Some("prev" | "previous") => Ok(Direction::Prev),
        Some("first") => Ok(Direction::First),
        Some("last") => Ok(Direction::Last),
        _ => Err("select needs a direction: select <call|unit> <next|prev|first|last>".into()),
    }
}

fn console_action(spec: &ConsoleSpec, rest: &[&str], raw_rest: &str) -> Result<Action, String> {
    let none = |a: Action| {
        if rest.is_empty() {
            Ok(a)
        } else {
            Err(format!("{} takes no arguments", spec.name))
        }
    };
    match spec.name {
        "quit" => none(Action::Quit),
        "help" => none(Action::Help),
        "intake" => none(Action::Intake),
        "triage" => none(Action::Triage),
        "dashboard" => none(Action::Dashboard),
        "peers" => none(Action::Peers),
        "who" => none(Action::Who),
        "alarm" => none(Action::Alarm),
        "messages" => none(Action::Messages),
        "details" => none(Action::Details),
        "cancel" => none(Action::Cancel),
        "normal" => none(Action::Normal),
        "redraw" => none(Action::Redraw),
        "trainer" => none(Action::Trainer),
        "sim-pause" => none(Action::SimPause),
        "sim-faster" => none(Action::SimFaster),
        "sim-slower" => none(Action::SimSlower),
        "sim-inject" => none(Action::SimInject),
        "sim-end" => none(Action::SimEnd),
        "cmdline" => Ok(Action::CommandLine(raw_rest.to_owned())),
        "map" if rest.len() <= 1 => {
            super::map::MapMove::parse(rest.first().copied()).map(Action::Map)
        }
        "map" => Err("map takes one word: map [toggle|in|out|left|right|up|down|centre]".into()),
        "select" => {
            if rest.len() > 2 {
                return Err(
                    "select takes two words: select <call|unit> <next|prev|first|last>".into(),
                );
            }
            let dir = direction(rest.get(1).copied())?;
            match rest.first().map(|w| w.to_ascii_lowercase()).as_deref() {
                Some("call") => Ok(Action::SelectCall(dir)),
                Some("unit") => Ok(Action::SelectUnit(dir)),
                _ => Err("select what? select <call|unit> <next|prev|first|last>".into()),
            }
        }
        other => Err(format!("{other} is not wired")),
    }
}

/// Reads a command line as the console does: a leading `:` is allowed, console commands come
/// first, and a desk command's missing leading calls and units come from the selection.
pub fn read_line(line: &str, selection: &Selection, state: &State) -> Result<Line, String> {
    let line = line.trim().trim_start_matches(':').trim_start();
    let tokens = tokenize(line).map_err(|e| e.0)?;
    let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    if let Some(spec) = words.first().and_then(|w| console_spec(w)) {
        let raw_rest = line
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r.trim());
        return console_action(spec, &words[1..], raw_rest).map(Line::Console);
    }
    let (text, filled) = fill(line, selection, state)?;
    let command = parse(&text).map_err(|ParseError(e)| e)?;
    Ok(Line::Desk {
        command,
        text,
        filled,
    })
}

/// Inserts the selected call or unit where a desk command lacks one: `dp` → `dp STAR-1
/// 26-KQ0007`, `close resolved` → `close 26-KQ0007 resolved`.
pub fn fill_selection(line: &str, selection: &Selection, state: &State) -> Result<String, String> {
    fill(line, selection, state).map(|(text, _)| text)
}

/// A word plainly meant as a call: digits, or a call id.
fn call_shaped(t: &Token) -> bool {
    !t.quoted
        && (t.text.chars().all(|c| c.is_ascii_digit())
            || t.text.parse::<crate::domain::CallId>().is_ok())
}

/// A word plainly meant as a callsign: letters, a hyphen or not, then digits (`STAR-9`, `PD7`).
fn unit_shaped(t: &Token) -> bool {
    let text = t.text.as_str();
    let letters = text.chars().take_while(char::is_ascii_alphabetic).count();
    let rest = text[letters..]
        .strip_prefix('-')
        .unwrap_or(&text[letters..]);
    !t.quoted && letters > 0 && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

/// How well `t` fits a call or unit slot: 2 it names one, 1 it is shaped like one, 0 not.
fn fits(kind: ArgKind, t: &Token, state: &State) -> u8 {
    match kind {
        ArgKind::Call if crate::domain::planning::find_call(state, &t.text).is_ok() => 2,
        ArgKind::Call if call_shaped(t) => 1,
        ArgKind::Unit if crate::domain::planning::find_unit(state, &t.text).is_ok() => 2,
        ArgKind::Unit if unit_shaped(t) && !call_shaped(t) => 1,
        _ => 0,
    }
}

/// The one reading of the typed words: which of the command's leading call and unit slots they
/// fill, by how many words the command takes and what each word is; only the slots left over
/// take the selection, and a typed word is never moved to make room for it.
fn fill(line: &str, selection: &Selection, state: &State) -> Result<(String, Vec<String>), String> {
    let tokens = tokenize(line).map_err(|e| e.0)?;
    let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    let Some((spec, used)) = lookup(&words) else {
        return Ok((line.to_owned(), Vec::new()));
    };
    let rest = &tokens[used..];
    let positional: Vec<usize> = (0..rest.len())
        .filter(|&i| {
            let t = &rest[i];
            // An option's value is not a positional word.
            let after_option = i > 0
                && !rest[i - 1].quoted
                && rest[i - 1].text.starts_with("--")
                && !rest[i - 1].text.contains('=')
                && spec
                    .flag(rest[i - 1].text.trim_start_matches("--"))
                    .is_some_and(|f| f.value.is_some());
            (t.quoted || !t.text.starts_with("--")) && !after_option
        })
        .collect();
    let leading: Vec<ArgKind> = spec
        .args
        .iter()
        .copied()
        .take_while(|k| matches!(k, ArgKind::Call | ArgKind::Unit))
        .collect();
    if leading.is_empty() {
        return Ok((line.to_owned(), Vec::new()));
    }
    let tail = &spec.args[leading.len()..];
    let open_tail = tail.contains(&ArgKind::Text);
    // How many of the typed words go to the leading slots: a fixed command's count says it;
    // a command ending in free text reads its first words for what they are.
    let typed_lead = if open_tail {
        let fixed_tail = tail.iter().filter(|k| **k != ArgKind::Text).count();
        let mut n = 0;
        while n < leading.len()
            && n < positional.len().saturating_sub(fixed_tail)
            && leading[n..]
                .iter()
                .any(|k| fits(*k, &rest[positional[n]], state) > 0)
        {
            n += 1;
        }
        n
    } else {
        positional
            .len()
            .saturating_sub(tail.len())
            .min(leading.len())
    };
    // Which slots those words take: the placement that fits the words best; on a tie, the
    // selection fills the last slots (`dp STAR-5`: the unit typed, the call selected).
    let slots = leading.len();
    let mut best: Option<(u32, Vec<usize>)> = None;
    for mask in 0u32..(1 << slots) {
        if mask.count_ones() as usize != typed_lead {
            continue;
        }
        let chosen: Vec<usize> = (0..slots).filter(|s| mask & (1 << s) != 0).collect();
        let score: u32 = chosen
            .iter()
            .enumerate()
            .map(|(w, &slot)| u32::from(fits(leading[slot], &rest[positional[w]], state)))
            .sum();
        // Earlier slots typed first breaks ties.
        let better = best
            .as_ref()
            .is_none_or(|(b, c)| score > *b || (score == *b && chosen < *c));
        if better {
            best = Some((score, chosen));
        }
    }
    let chosen = best.map(|(_, c)| c).unwrap_or_default();
    let mut out: Vec<String> = words[..used].iter().map(|w| (*w).to_owned()).collect();
    let mut filled = Vec::new();
    let mut next_word = 0;
    for (slot, kind) in leading.iter().enumerate() {
        if chosen.contains(&slot) {
            out.push(requote(&rest[positional[next_word]]));
            next_word += 1;
            continue;
        }
        let (pick, what) = match kind {
            ArgKind::Call => (&selection.call, "call"),
            _ => (&selection.unit, "unit"),
        };
        let Some(picked) = pick else {
            return Err(format!("no {what} selected; usage: {}", spec.usage()));
        };
        out.push(picked.clone());
        filled.push(format!("{what} {picked}"));
    }
    let skip: Vec<usize> = positional[..typed_lead].to_vec();
    out.extend(
        rest.iter()
            .enumerate()
            .filter(|(i, _)| !skip.contains(i))
            .map(|(_, t)| requote(t)),
    );
    Ok((out.join(" "), filled))
}

fn requote(t: &Token) -> String {
    if t.quoted {
        format!("\"{}\"", t.text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        t.text.clone()
    }
}

/// Checks a keymap's `run` line: a known command with arguments that parse, allowing the call and
/// unit to come from the selection at run time.
pub fn check(run: &str) -> Result<(), String> {
    let placeholder = Selection {
        call: Some("26-AA0001".into()),
        unit: Some("UNIT-1".into()),
    };
    let line = run.trim().trim_start_matches(':').trim_start();
    let tokens = tokenize(line).map_err(|e| e.0)?;
    let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    if let Some(spec) = words.first().and_then(|w| console_spec(w)) {
        let raw_rest = line
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r.trim());
        return console_action(spec, &words[1..], raw_rest).map(|_| ());
    }
    // Against an empty state every typed call or unit is unknown, so only missing ones are filled.
    let filled = fill_for_check(line, &placeholder)?;
    parse(&filled).map(|_| ()).map_err(|ParseError(e)| e)
}

fn fill_for_check(line: &str, selection: &Selection) -> Result<String, String> {
    let tokens = tokenize(line).map_err(|e| e.0)?;
    let words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    let Some((spec, used)) = lookup(&words) else {
        return Err(format!(
            "unknown command '{}'",
            words.first().copied().unwrap_or("")
        ));
    };
    let given: Vec<&crate::command::parse::Token> = tokens[used..]
        .iter()
        .filter(|t| t.quoted || !t.text.starts_with("--"))
        .collect();
    let leading = spec
        .args
        .iter()
        .take_while(|k| matches!(k, ArgKind::Call | ArgKind::Unit))
        .count();
    let needed = spec
        .args
        .len()
        .min(leading + usize::from(spec.args.len() > leading));
    let missing = needed.saturating_sub(given.len()).min(leading);
    let mut out: Vec<String> = words[..used].iter().map(|w| (*w).to_owned()).collect();
    for kind in &spec.args[..missing] {
        out.push(match kind {
            ArgKind::Call => selection.call.clone().unwrap_or_default(),
            _ => selection.unit.clone().unwrap_or_default(),
        });
    }
    out.extend(tokens[used..].iter().map(requote));
    Ok(out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_commands_parse() {
        let s = State::default();
        let sel = Selection::default();
        assert_eq!(read_line(":q", &sel, &s), Ok(Line::Console(Action::Quit)));
        assert_eq!(
            read_line("select call next", &sel, &s),
            Ok(Line::Console(Action::SelectCall(Direction::Next)))
        );
        assert_eq!(
            read_line("cmdline dp ", &sel, &s),
            Ok(Line::Console(Action::CommandLine("dp".into())))
        );
        assert!(read_line("quit now", &sel, &s).is_err());
    }

    #[test]
    fn keymap_runs_are_checked() {
        for ok in [
            "dp",
            "ons",
            "close resolved",
            "cmdline note ",
            "quit",
            "select unit prev",
            "dp STAR-1",
            "backup police",
            "call x / y",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in ["fly", "note", "close happy", "select sideways", "quit now"] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
