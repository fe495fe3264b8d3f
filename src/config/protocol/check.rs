//! Checking a protocol's text: well-formed fields first, each problem with its line, then the
//! structure (a default rule last, no unreachable rule) and the exhaustive safety proof.

use std::collections::{BTreeMap, BTreeSet};

use super::{is_name, is_word, ProtocolError, RawProtocol, RawQuestion, RawRule, MAX_COMBINATIONS};
use crate::domain::triage::{AnswerKind, Protocol, Question, ResponseType, Rule, Test, UNKNOWN};
use crate::domain::{CallType, Priority};
use crate::spelling::{did_you_mean, nearest, toml_message};
use toml::Spanned;

pub(super) fn check_text(
    label: &str,
    text: &str,
    fallback_name: &str,
) -> Result<Protocol, Vec<ProtocolError>> {
    let mut check = Check {
        label,
        text,
        errors: Vec::new(),
    };
    let raw: RawProtocol = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            check.at(e.span().map(|s| s.start), toml_message(e.message()));
            return Err(check.errors);
        }
    };
    let name = match &raw.name {
        Some(name) if !is_name(name.get_ref()) => {
            check.at(
                Some(name.span().start),
                format!(
                    "bad protocol name '{}'; use letters, digits, '-' and '_'",
                    name.get_ref()
                ),
            );
            String::new()
        }
        Some(name) => name.get_ref().clone(),
        None => fallback_name.to_owned(),
    };
    let declared = check.questions(&raw.question);
    let rules: Vec<Option<Rule>> = raw.rule.iter().map(|r| check.rule(r, &declared)).collect();
    check.duplicate_rule_ids(&raw.rule);
    let lines: Vec<usize> = raw
        .rule
        .iter()
        .map(|r| check.line(r.id.span().start))
        .collect();
    check.structure(&raw.rule, &rules, &declared, &lines);
    if !check.errors.is_empty() {
        return Err(check.errors);
    }
    let protocol = Protocol {
        name,
        questions: declared.into_iter().filter_map(|(_, q)| q).collect(),
        rules: rules.into_iter().flatten().collect(),
    };
    check.exhaustive(&protocol, &lines);
    if check.errors.is_empty() {
        Ok(protocol)
    } else {
        Err(check.errors)
    }
}

struct Check<'a> {
    label: &'a str,
    text: &'a str,
    errors: Vec<ProtocolError>,
}

impl Check<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        // n newlines before the offset split it into n + 1 pieces: line n + 1.
        self.text.as_bytes()[..end].split(|&b| b == b'\n').count()
    }

    fn at(&mut self, offset: Option<usize>, message: String) {
        let line = offset.map(|o| self.line(o));
        self.at_line(line, message);
    }

    /// Keeps the errors in file order (those without a line last), as they are found.
    fn at_line(&mut self, line: Option<usize>, message: String) {
        let error = ProtocolError {
            file: self.label.to_owned(),
            line,
            message,
        };
        let key = |e: &ProtocolError| e.line.unwrap_or(usize::MAX);
        let at = self.errors.partition_point(|e| key(e) <= key(&error));
        self.errors.insert(at, error);
    }

    /// Every declared question id, with the question when it is well formed.
    fn questions(&mut self, raw: &[RawQuestion]) -> Vec<(String, Option<Question>)> {
        let mut declared: Vec<(String, Option<Question>)> = Vec::new();
        let mut ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut keys: BTreeMap<char, (String, usize)> = BTreeMap::new();
        for q in raw {
            let id = q.id.get_ref().clone();
            let id_at = q.id.span().start;
            let mut ok = true;
            if !is_word(&id) {
                self.at(
                    Some(id_at),
                    format!("bad question id '{id}'; use lower-case letters, digits, '-' and '_'"),
                );
                ok = false;
            }
            if let Some(first) = ids.get(&id) {
                self.at(
                    Some(id_at),
                    format!("duplicate question id '{id}'; first at line {first}"),
                );
                ok = false;
            } else {
                ids.insert(id.clone(), self.line(id_at));
            }
            let key = self.question_key(q, &id, &mut keys);
            if q.text.get_ref().trim().is_empty() {
                self.at(
                    Some(q.text.span().start),
                    format!("question '{id}' has no text"),
                );
                ok = false;
            }
            let kind = self.question_kind(q, &id);
            let question = match (ok, key, kind) {
                (true, Some(key), Some(kind)) => Some(Question {
                    id: id.clone(),
                    text: q.text.get_ref().trim().to_owned(),
                    key,
                    kind,
                }),
                _ => None,
            };
            declared.push((id, question));
        }
        declared
    }

    fn question_key(
        &mut self,
        q: &RawQuestion,
        id: &str,
        keys: &mut BTreeMap<char, (String, usize)>,
    ) -> Option<char> {
        let at = q.key.span().start;
        let mut chars = q.key.get_ref().chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => {
                self.at(
                    Some(at),
                    format!(
                        "bad key '{}' for question '{id}'; use one letter or digit",
                        q.key.get_ref()
                    ),
                );
                return None;
            }
        };
        if let Some((other, line)) = keys.get(&key) {
            self.at(
                Some(at),
                format!(
                    "duplicate key '{key}' for question '{id}'; '{other}' has it (line {line})"
                ),
            );
            return None;
        }
        keys.insert(key, (id.to_owned(), self.line(at)));
        Some(key)
    }

    fn question_kind(&mut self, q: &RawQuestion, id: &str) -> Option<AnswerKind> {
        let kind = q
            .kind
            .as_ref()
            .map(|k| (k.get_ref().as_str(), k.span().start));
        match (kind, &q.choices) {
            (None | Some(("yes-no", _)), None) => Some(AnswerKind::YesNo),
            (Some(("yes-no", _)), Some(choices)) => {
                self.at(
                    Some(choices.span().start),
                    format!("question '{id}' is yes-no and has choices; drop one of them"),
                );
                None
            }
            (None | Some(("choice", _)), Some(choices)) => self.choices(choices, id),
            (Some(("choice", at)), None) => {
                self.at(
                    Some(at),
                    format!("question '{id}' is a choice question without choices = [...]"),
                );
                None
            }
            (Some((other, at)), _) => {
                let help = did_you_mean(nearest(other, ["yes-no", "choice"]))
                    .unwrap_or_else(|| "use yes-no or choice".to_owned());
                self.at(
                    Some(at),
                    format!("unknown kind '{other}' for question '{id}'; {help}"),
                );
                None
            }
        }
    }

    fn choices(&mut self, choices: &Spanned<Vec<String>>, id: &str) -> Option<AnswerKind> {
        let at = Some(choices.span().start);
        let mut problems = Vec::new();
        let mut seen = BTreeSet::new();
        for choice in choices.get_ref() {
            if ["yes", "no", UNKNOWN].contains(&choice.as_str()) {
                problems.push(format!(
                    "question '{id}': '{choice}' cannot be a choice (yes, no and unknown are reserved)"
                ));
            } else if !is_word(choice) {
                problems.push(format!(
                    "question '{id}': bad choice '{choice}'; use lower-case letters, digits, '-' and '_'"
                ));
            } else if !seen.insert(choice.as_str()) {
                problems.push(format!(
                    "question '{id}': choice '{choice}' is listed twice"
                ));
            }
        }
        if choices.get_ref().len() < 2 {
            problems.push(format!("question '{id}' needs at least two choices"));
        }
        if problems.is_empty() {
            return Some(AnswerKind::Choice(choices.get_ref().clone()));
        }
        for problem in problems {
            self.at(at, problem);
        }
        None
    }

    fn rule(&mut self, raw: &RawRule, declared: &[(String, Option<Question>)]) -> Option<Rule> {
        let id = raw.id.get_ref().clone();
        let mut ok = true;
        if !is_word(&id) {
            self.at(
                Some(raw.id.span().start),
                format!("bad rule id '{id}'; use lower-case letters, digits, '-' and '_'"),
            );
            ok = false;
        }
        let when = self.tests(raw, &id, declared);
        let call_types = self.call_types(raw, &id);
        let response = raw.response.get_ref().parse::<ResponseType>().map_err(|_| {
            let words = ResponseType::ALL.iter().map(|r| r.word());
            let help = did_you_mean(nearest(raw.response.get_ref(), words)).unwrap_or_else(|| {
                let all: Vec<&str> = ResponseType::ALL.iter().map(|r| r.word()).collect();
                format!("one of: {}", all.join(", "))
            });
            self.at(
                Some(raw.response.span().start),
                format!(
                    "unknown response type '{}' in rule '{id}'; {help}",
                    raw.response.get_ref()
                ),
            );
        });
        let priority = match &raw.priority {
            None => Ok(None),
            Some(p) => u8::try_from(*p.get_ref())
                .map_err(|_| {
                    format!(
                        "priority {} is out of range; use 1 (most urgent) to 4",
                        p.get_ref()
                    )
                })
                .and_then(Priority::new)
                .map(Some)
                .map_err(|e| self.at(Some(p.span().start), format!("rule '{id}': {e}"))),
        };
        let reason = raw.reason.get_ref().trim().to_owned();
        if reason.is_empty() {
            self.at(
                Some(raw.reason.span().start),
                format!("rule '{id}' has no reason; write the sentence the dispatcher reads"),
            );
            ok = false;
        }
        match (ok, when, call_types, response, priority) {
            (true, Some(when), Some(call_types), Ok(response), Ok(priority)) => Some(Rule {
                id,
                when,
                call_types,
                response,
                priority,
                reason,
            }),
            _ => None,
        }
    }

    /// The rule's tests in file order, or `None` if any is wrong (or names a question that is
    /// itself wrong, which is reported there).
    fn tests(
        &mut self,
        raw: &RawRule,
        id: &str,
        declared: &[(String, Option<Question>)],
    ) -> Option<Vec<Test>> {
        let mut entries: Vec<_> = raw.when.iter().collect();
        entries.sort_by_key(|(key, _)| key.span().start);
        let mut tests = Some(Vec::new());
        for (key, answers) in entries {
            let name = key.get_ref().as_str();
            let Some((_, question)) = declared.iter().find(|(q, _)| q == name) else {
                let ids = declared.iter().map(|(q, _)| q.as_str());
                let help = did_you_mean(nearest(name, ids)).unwrap_or_else(|| {
                    let all: Vec<&str> = declared.iter().map(|(q, _)| q.as_str()).collect();
                    if all.is_empty() {
                        "no questions are declared".to_owned()
                    } else {
                        format!("questions: {}", all.join(", "))
                    }
                });
                self.at(
                    Some(key.span().start),
                    format!("unknown question '{name}' in rule '{id}'; {help}"),
                );
                tests = None;
                continue;
            };
            let Some(question) = question else {
                tests = None;
                continue;
            };
            let at = Some(answers.span().start);
            let valid = question.answers();
            let mut any_of: Vec<String> = Vec::new();
            if answers.get_ref().0.is_empty() {
                self.at(at, format!("rule '{id}' lists no answers for '{name}'"));
                tests = None;
            }
            for answer in &answers.get_ref().0 {
                if !valid.contains(&answer.as_str()) {
                    let help = did_you_mean(nearest(answer, valid.iter().copied()))
                        .unwrap_or_else(|| format!("use {}", or_list(&valid)));
                    self.at(
                        at,
                        format!("'{answer}' is not an answer to '{name}' in rule '{id}'; {help}"),
                    );
                    tests = None;
                } else if !any_of.contains(answer) {
                    any_of.push(answer.clone());
                }
            }
            if let Some(tests) = &mut tests {
                tests.push(Test {
                    question: name.to_owned(),
                    any_of,
                });
            }
        }
        tests
    }

    fn call_types(&mut self, raw: &RawRule, id: &str) -> Option<Vec<CallType>> {
        let mut types = Some(Vec::new());
        for typed in &raw.types {
            if let Ok(t) = CallType::parse_word_or_apco(typed.get_ref()) {
                if let Some(types) = &mut types {
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
                continue;
            }
            let words = CallType::ALL.iter().map(|t| t.word());
            let help = did_you_mean(nearest(typed.get_ref(), words)).unwrap_or_else(|| {
                let all: Vec<&str> = CallType::ALL.iter().map(|t| t.word()).collect();
                format!("one of: {}", all.join(", "))
            });
            self.at(
                Some(typed.span().start),
                format!(
                    "unknown call type '{}' in rule '{id}'; {help}",
                    typed.get_ref()
                ),
            );
            types = None;
        }
        types
    }

    fn duplicate_rule_ids(&mut self, raw: &[RawRule]) {
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for rule in raw {
            let at = rule.id.span().start;
            let id = rule.id.get_ref().as_str();
            if let Some(line) = first.get(id) {
                self.at(
                    Some(at),
                    format!("duplicate rule id '{id}'; first at line {line}"),
                );
            } else {
                first.insert(id, self.line(at));
            }
        }
    }

    /// The default rule, and rules that an earlier single rule shadows.
    fn structure(
        &mut self,
        raw: &[RawRule],
        rules: &[Option<Rule>],
        declared: &[(String, Option<Question>)],
        lines: &[usize],
    ) {
        let Some(last) = raw.last() else {
            self.at_line(
                None,
                "no rules; end with a default rule (no `when`, no `types`)".to_owned(),
            );
            return;
        };
        let answers_of = |question: &str| -> Vec<&str> {
            declared
                .iter()
                .find(|(q, _)| q == question)
                .and_then(|(_, q)| q.as_ref())
                .map(Question::answers)
                .unwrap_or_default()
        };
        for (j, later) in raw.iter().enumerate() {
            let shadow = raw[..j].iter().position(RawRule::is_default).map(|i| {
                format!(
                    "rule '{}' (line {}) before it matches every call",
                    raw[i].id.get_ref(),
                    lines[i]
                )
            });
            let shadow = shadow.or_else(|| {
                let Some(later_rule) = &rules[j] else {
                    return None;
                };
                (0..j).find_map(|i| {
                    let earlier = rules[i].as_ref()?;
                    covers(earlier, later_rule, &answers_of).then(|| {
                        let how = if same_conditions(earlier, later_rule) {
                            "has the same conditions"
                        } else {
                            "before it matches every call it would"
                        };
                        format!("rule '{}' (line {}) {how}", earlier.id, lines[i])
                    })
                })
            });
            if let Some(shadow) = shadow {
                self.at_line(
                    Some(lines[j]),
                    format!("rule '{}' is unreachable: {shadow}", later.id.get_ref()),
                );
            }
        }
        if !last.is_default() {
            self.at_line(
                lines.last().copied(),
                format!(
                    "no default: the last rule '{}' has conditions; end with a rule with no `when` and no `types`",
                    last.id.get_ref()
                ),
            );
        }
    }

    /// Tries every combination of answers and call types on a protocol that passed every other
    /// check: rules no call reaches, and community recommended on an unknown disqualifying answer.
    fn exhaustive(&mut self, protocol: &Protocol, lines: &[usize]) {
        let space = Space::of(protocol);
        let size = space
            .values
            .iter()
            .map(Vec::len)
            .chain([space.types.len()])
            .try_fold(1usize, usize::checked_mul)
            .filter(|n| *n <= MAX_COMBINATIONS);
        let Some(size) = size else {
            self.at_line(
                None,
                format!(
                    "too many answer combinations to check (more than {MAX_COMBINATIONS}); test fewer questions in rules"
                ),
            );
            return;
        };
        let disqualifying: Vec<usize> = protocol
            .disqualifying()
            .iter()
            .filter_map(|id| space.questions.iter().position(|q| q == id))
            .collect();
        let mut reached = vec![false; protocol.rules.len()];
        let mut unsafe_on: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let mut digits = vec![0usize; space.values.len()];
        for _ in 0..size / space.types.len() {
            let answer = |question: &str| {
                let q = space.questions.iter().position(|id| *id == question)?;
                Some(space.values[q][digits[q]])
            };
            for &call_type in &space.types {
                let matched = protocol.rules.iter().position(|r| {
                    r.applies_to(call_type) && r.when.iter().all(|t| t.matches(answer(&t.question)))
                });
                let Some(r) = matched else { continue };
                reached[r] = true;
                if protocol.rules[r].response == ResponseType::Community {
                    for &q in &disqualifying {
                        if space.values[q][digits[q]] == UNKNOWN {
                            unsafe_on.entry(r).or_default().insert(q);
                        }
                    }
                }
            }
            // The next combination, as an odometer over each question's values.
            for (digit, values) in digits.iter_mut().zip(&space.values) {
                *digit += 1;
                if *digit < values.len() {
                    break;
                }
                *digit = 0;
            }
        }
        let last = protocol.rules.len().saturating_sub(1);
        for (r, rule) in protocol.rules.iter().enumerate() {
            if !reached[r] && r != last {
                self.at_line(
                    Some(lines[r]),
                    format!(
                        "rule '{}' is unreachable: earlier rules take every call it matches",
                        rule.id
                    ),
                );
            }
        }
        for (r, questions) in unsafe_on {
            let names: Vec<String> = questions
                .iter()
                .map(|&q| format!("'{}'", space.questions[q]))
                .collect();
            let rule = &protocol.rules[r].id;
            let help = match questions.iter().next() {
                Some(&q) if questions.len() == 1 => format!(
                    "add a rule before it with when = {{ {} = \"unknown\" }} and response = \"co-response\"",
                    space.questions[q]
                ),
                _ => "add rules before it that send each unknown answer to co-response".to_owned(),
            };
            self.at_line(
                Some(lines[r]),
                format!(
                    "rule '{rule}' recommends community when {} is unknown; {help}",
                    or_list(&names)
                ),
            );
        }
    }
}

/// The answers and call types worth trying: answers no test tells apart behave alike, so each
/// question tries the answers its tests name, `unknown`, and one answer no test names.
struct Space<'a> {
    questions: Vec<&'a str>,
    values: Vec<Vec<&'a str>>,
    types: Vec<Option<CallType>>,
}

impl<'a> Space<'a> {
    fn of(protocol: &'a Protocol) -> Space<'a> {
        let tests = || protocol.rules.iter().flat_map(|r| &r.when);
        let mut questions = Vec::new();
        let mut values = Vec::new();
        for q in &protocol.questions {
            let named: BTreeSet<&str> = tests()
                .filter(|t| t.question == q.id)
                .flat_map(|t| t.any_of.iter().map(String::as_str))
                .collect();
            let all = q.answers();
            let other = all
                .iter()
                .copied()
                .find(|a| !named.contains(a) && *a != UNKNOWN);
            let mut tried: Vec<&str> = all
                .iter()
                .copied()
                .filter(|a| named.contains(a) || *a == UNKNOWN || Some(*a) == other)
                .collect();
            if named.is_empty() {
                tried = vec![UNKNOWN];
            }
            questions.push(q.id.as_str());
            values.push(tried);
        }
        let named: BTreeSet<CallType> = protocol
            .rules
            .iter()
            .flat_map(|r| r.call_types.iter().copied())
            .collect();
        let other = CallType::ALL.iter().copied().find(|t| !named.contains(t));
        let types = std::iter::once(None)
            .chain(named.into_iter().map(Some))
            .chain(other.map(Some))
            .collect();
        Space {
            questions,
            values,
            types,
        }
    }
}

/// Whether every call `later` matches is matched by `earlier`.
fn covers<'q>(earlier: &Rule, later: &Rule, answers_of: &impl Fn(&str) -> Vec<&'q str>) -> bool {
    let types = earlier.call_types.is_empty()
        || (!later.call_types.is_empty()
            && later
                .call_types
                .iter()
                .all(|t| earlier.call_types.contains(t)));
    types
        && earlier.when.iter().all(|e| {
            let allowed = |a: &str| e.any_of.iter().any(|x| x == a);
            match later.when.iter().find(|l| l.question == e.question) {
                Some(l) => l.any_of.iter().all(|a| allowed(a)),
                None => answers_of(&e.question).into_iter().all(allowed),
            }
        })
}

fn same_conditions(a: &Rule, b: &Rule) -> bool {
    let types = |r: &Rule| r.call_types.iter().copied().collect::<BTreeSet<_>>();
    let tests = |r: &Rule| {
        r.when
            .iter()
            .map(|t| {
                (
                    t.question.clone(),
                    t.any_of.iter().cloned().collect::<BTreeSet<_>>(),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    types(a) == types(b) && tests(a) == tests(b)
}

/// `a`, `a or b`, `a, b or c`.
fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} or {}", rest.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_list_reads_as_words() {
        assert_eq!(or_list(&["a"]), "a");
        assert_eq!(or_list(&["a", "b"]), "a or b");
        assert_eq!(or_list(&["a", "b", "c"]), "a, b or c");
    }

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(nearest("wepon", ["weapon", "where"]), Some("weapon"));
        assert_eq!(nearest("zzz", ["weapon", "where"]), None);
    }
}
