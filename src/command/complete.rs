//! Fuzzy completion of the word being typed: verbs, call ids, callsigns, call types,
//! capabilities, dispositions, agencies, fields and options, ranked best first.

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use crate::domain::triage::AnswerKind;
use crate::domain::{
    Agency, CallType, Capability, Disposition, Protocol, ResponseType, State, UnservedReason,
};

use super::parse::tokenize;
use super::registry::{lookup, ArgKind, COMMANDS};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The word that replaces the one being typed.
    pub word: String,
    /// A short description shown beside it.
    pub hint: String,
}

/// Candidates for the last word of `line` (empty when the line ends in a space), best first.
pub fn complete(line: &str, state: &State) -> Vec<Candidate> {
    complete_with(line, state, None)
}

/// As [`complete`], also offering the protocol's triage questions and answers.
pub fn complete_with(line: &str, state: &State, protocol: Option<&Protocol>) -> Vec<Candidate> {
    let ctx = Pool { state, protocol };
    let Ok(tokens) = tokenize(line) else {
        return Vec::new();
    };
    let mut words: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    let typing = if line.ends_with(char::is_whitespace) || words.is_empty() {
        ""
    } else {
        words.pop().unwrap_or_default()
    };
    let pool = match lookup(&words) {
        None if words.is_empty() => verbs(),
        None if words.len() == 1 && words[0].eq_ignore_ascii_case("unit") => {
            vec![Candidate {
                word: "add".into(),
                hint: "put a unit on the roster".into(),
            }]
        }
        None => Vec::new(),
        Some((spec, used)) => {
            let after = &words[used..];
            if typing.starts_with("--") {
                spec.flags
                    .iter()
                    .map(|f| Candidate {
                        word: format!("--{}", f.name),
                        hint: f.doc.into(),
                    })
                    .collect()
            } else if let Some(kind) = after
                .last()
                .and_then(|w| w.strip_prefix("--"))
                .and_then(|name| spec.flag(name))
                .and_then(|f| f.value)
            {
                values(kind, &ctx, None)
            } else {
                let positional: Vec<&&str> =
                    after.iter().filter(|w| !w.starts_with("--")).collect();
                let kind = spec
                    .args
                    .get(positional.len())
                    .or(spec.args.last())
                    .copied();
                let before = positional.last().map(|w| **w);
                let here = kind.map(|k| values(k, &ctx, before)).unwrap_or_default();
                // The call may be left out for the selection to fill (`close ` then `hosp`
                // after F4): a word no call matches is the argument after it.
                let next = spec.args.get(positional.len() + 1).copied();
                match (kind, next) {
                    (Some(ArgKind::Call), Some(next))
                        if !typing.is_empty() && rank(typing, here.clone()).is_empty() =>
                    {
                        values(next, &ctx, None)
                    }
                    _ => here,
                }
            }
        }
    };
    rank(typing, pool)
}

/// Call types for `typing` (a word or an APCO code begun), best first: what `call … --type`
/// completes, for the intake form's Type field.
pub fn call_types(typing: &str) -> Vec<Candidate> {
    let state = State::default();
    let pool = Pool {
        state: &state,
        protocol: None,
    };
    rank(typing.trim(), values(ArgKind::CallType, &pool, None))
}

fn verbs() -> Vec<Candidate> {
    COMMANDS
        .iter()
        .map(|s| Candidate {
            word: s.name.into(),
            hint: s.doc.into(),
        })
        .collect()
}

/// What completion draws on.
struct Pool<'a> {
    state: &'a State,
    protocol: Option<&'a Protocol>,
}

/// `before` is the word before the one being typed (the question, for an answer).
fn values(kind: ArgKind, pool: &Pool<'_>, before: Option<&str>) -> Vec<Candidate> {
    fn words<T: Copy>(
        all: &[T],
        word: fn(T) -> &'static str,
        doc: fn(T) -> &'static str,
    ) -> Vec<Candidate> {
        all.iter()
            .map(|&v| Candidate {
                word: word(v).into(),
                hint: doc(v).into(),
            })
            .collect()
    }
    let state = pool.state;
    match kind {
        ArgKind::Alert => state
            .open_alerts()
            .map(|a| Candidate {
                word: a.id(),
                hint: a.text.clone(),
            })
            .collect(),
        ArgKind::Call => state
            .queue()
            .into_iter()
            .map(|c| Candidate {
                word: c.id.to_string(),
                hint: format!("P{} {} — {}", c.priority, c.status.word(), c.location),
            })
            .collect(),
        ArgKind::Unit => {
            // Free units first: they are the ones a dispatcher is looking for.
            let mut units: Vec<_> = state.units.values().collect();
            units.sort_by_key(|u| {
                (
                    u.call.is_some() || u.status == crate::domain::UnitStatus::OutOfService,
                    u.callsign.clone(),
                )
            });
            units
                .into_iter()
                .map(|u| Candidate {
                    word: u.callsign.to_string(),
                    hint: match &u.call {
                        Some(c) => format!("{} {c}", u.status),
                        None => u.status.to_string(),
                    },
                })
                .collect()
        }
        ArgKind::CallType => words(CallType::ALL, CallType::word, CallType::doc),
        ArgKind::Capabilities => words(Capability::ALL, Capability::word, Capability::doc),
        ArgKind::Disposition => words(Disposition::ALL, Disposition::word, Disposition::doc),
        ArgKind::Agency => words(Agency::ALL, Agency::word, Agency::doc),
        ArgKind::Priority => (1..=4)
            .map(|p| Candidate {
                word: p.to_string(),
                hint: format!("priority {p}"),
            })
            .collect(),
        ArgKind::Field => ["loc", "nature", "type", "pri", "caller", "cb", "zone"]
            .iter()
            .map(|f| Candidate {
                word: (*f).into(),
                hint: "call field".into(),
            })
            .collect(),
        ArgKind::ResponseType => words(ResponseType::ALL, ResponseType::word, ResponseType::doc),
        ArgKind::UnservedReason => words(
            UnservedReason::ALL,
            UnservedReason::word,
            UnservedReason::doc,
        ),
        ArgKind::Question => pool.protocol.map_or_else(Vec::new, |p| {
            p.questions
                .iter()
                .map(|q| Candidate {
                    word: q.id.clone(),
                    hint: format!("[{}] {}", q.key, q.text),
                })
                .collect()
        }),
        ArgKind::Answer => {
            let choices = pool
                .protocol
                .and_then(|p| before.and_then(|q| p.question(q)))
                .map_or_else(
                    || vec!["yes".to_owned(), "no".to_owned(), "unknown".to_owned()],
                    |q| match &q.kind {
                        AnswerKind::YesNo => {
                            vec!["yes".to_owned(), "no".to_owned(), "unknown".to_owned()]
                        }
                        AnswerKind::Choice(c) => {
                            c.iter().cloned().chain(["unknown".to_owned()]).collect()
                        }
                    },
                );
            choices
                .into_iter()
                .map(|c| Candidate {
                    word: c,
                    hint: "answer".into(),
                })
                .collect()
        }
        ArgKind::NewCallsign | ArgKind::Text => Vec::new(),
    }
}

/// Fuzzy-ranks candidates against what is typed; an empty word keeps the pool's order.
fn rank(typing: &str, pool: Vec<Candidate>) -> Vec<Candidate> {
    if typing.is_empty() {
        return pool;
    }
    // Capability lists complete their last item: `clinician,me` offers `clinician,medic`.
    let (done, typing) = typing
        .rsplit_once(',')
        .map_or(("", typing), |(d, t)| (d, t));
    let matcher = SkimMatcherV2::default().ignore_case();
    let mut scored: Vec<(i64, Candidate)> = pool
        .into_iter()
        .filter_map(|c| matcher.fuzzy_match(&c.word, typing).map(|score| (score, c)))
        .collect();
    // Stable: equal scores keep the pool's order (free units first, queue order for calls).
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    scored
        .into_iter()
        .map(|(_, mut c)| {
            if !done.is_empty() {
                c.word = format!("{done},{}", c.word);
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        complete(line, &State::default())
            .into_iter()
            .map(|c| c.word)
            .collect()
    }

    #[test]
    fn a_word_no_call_matches_completes_the_argument_after_the_call() {
        // `close ` then `hosp`, the call left for the selection to fill.
        let got = words("close hosp");
        assert!(
            got.first().is_some_and(|w| w.starts_with("hosp")),
            "{got:?}"
        );
        assert_eq!(words("close 2 hosp").first(), got.first());
    }

    #[test]
    fn completes_verbs_objects_and_vocabulary() {
        assert!(words("clo").starts_with(&["close".to_string()]));
        assert_eq!(words("unit "), vec!["add"]);
        assert!(words("close 7 ref").starts_with(&["referred-988".to_string()]));
        assert!(words("call x / y --type od").contains(&"overdose".to_string()));
        assert_eq!(words("backup 7 "), vec!["police", "ems", "fire"]);
        assert!(words("unit add S clinician,me").starts_with(&["clinician,medic".to_string()]));
        assert!(words("dp STAR-1 7 --f").starts_with(&["--force".to_string()]));
    }
}
