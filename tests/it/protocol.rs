//! Triage protocols: every rule of the shipped protocol has a case, unknown answers never send
//! the community team alone, user protocols override the shipped one, and each broken fixture
//! gives its exact one-line errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use switchboard::config::protocol::{check_file, list, load, shipped, ProtocolError};
use switchboard::domain::triage::{AnswerKind, Protocol, ResponseType, UNKNOWN};
use switchboard::domain::{CallType, Priority};

use ResponseType::{CoResponse, Community, CrisisLine, Ems, Fire, Info, Police};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A config dir whose `protocols/` holds the fixtures.
fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

fn fixture(name: &str) -> PathBuf {
    fixtures().join("protocols").join(format!("{name}.toml"))
}

/// Every risk ruled out, enough information, consent not asked.
const CALM: &[(&str, &str)] = &[
    ("violence", "no"),
    ("weapon", "no"),
    ("crime", "no"),
    ("medical", "no"),
    ("hazard", "no"),
    ("harm", "no"),
    ("info", "yes"),
];

/// `CALM` changed by `changes`; an answer of `-` leaves the question unanswered.
fn calm_but(changes: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut answers: BTreeMap<String, String> = CALM
        .iter()
        .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
        .collect();
    for (q, a) in changes {
        if *a == "-" {
            answers.remove(*q);
        } else {
            answers.insert((*q).to_owned(), (*a).to_owned());
        }
    }
    answers
}

fn call_type(word: &str) -> Option<CallType> {
    (word != "-").then(|| word.parse().unwrap())
}

struct Case {
    changes: &'static [(&'static str, &'static str)],
    call_type: &'static str,
    response: ResponseType,
    rule: &'static str,
}

const fn case(
    changes: &'static [(&'static str, &'static str)],
    call_type: &'static str,
    response: ResponseType,
    rule: &'static str,
) -> Case {
    Case {
        changes,
        call_type,
        response,
        rule,
    }
}

/// At least one case per shipped rule; `call_type` "-" is a call with no type yet.
const CASES: &[Case] = &[
    case(&[("violence", "yes")], "welfare", Police, "violence"),
    case(
        &[("violence", "yes"), ("medical", "yes")],
        "overdose",
        Police,
        "violence",
    ),
    case(&[("hazard", "yes")], "unsheltered", Fire, "hazard"),
    case(&[("medical", "yes")], "welfare", Ems, "medical-emergency"),
    case(
        &[("medical", "yes"), ("weapon", "unknown")],
        "-",
        Ems,
        "medical-emergency",
    ),
    case(&[("crime", "yes")], "disorder", Police, "crime"),
    case(&[("weapon", "yes")], "bh-crisis", CoResponse, "weapon"),
    case(
        &[("weapon", "yes"), ("crime", "yes")],
        "bh-crisis",
        Police,
        "crime",
    ),
    case(&[("harm", "yes")], "suicidal", CoResponse, "imminent-harm"),
    case(&[], "overdose", Ems, "medical-types"),
    case(&[("medical", "-")], "unconscious", Ems, "medical-types"),
    case(&[], "suicide-attempt", Ems, "medical-types"),
    case(&[], "fight", Police, "police-types"),
    case(&[("weapon", "-")], "backup", Police, "police-types"),
    case(&[], "weapon", CoResponse, "weapon-type"),
    case(&[], "info", Info, "info-only"),
    case(&[("info", "no")], "welfare", CoResponse, "too-little-info"),
    case(&[("info", "-")], "bh-crisis", CoResponse, "too-little-info"),
    case(
        &[("violence", "-")],
        "welfare",
        CoResponse,
        "unknown-violence",
    ),
    case(
        &[("hazard", "unknown")],
        "unsheltered",
        CoResponse,
        "unknown-hazard",
    ),
    case(
        &[("medical", "unknown")],
        "sick",
        CoResponse,
        "unknown-medical",
    ),
    case(&[("crime", "-")], "trespass", CoResponse, "unknown-crime"),
    case(
        &[("weapon", "unknown")],
        "bh-crisis",
        CoResponse,
        "unknown-weapon",
    ),
    case(
        &[("weapon", "unknown")],
        "noise",
        CoResponse,
        "unknown-weapon",
    ),
    case(&[("harm", "-")], "suicidal", CoResponse, "unknown-harm"),
    case(
        &[("consent", "no")],
        "suicidal",
        CrisisLine,
        "declines-visit",
    ),
    case(
        &[("consent", "no")],
        "bh-crisis",
        CrisisLine,
        "declines-visit",
    ),
    case(&[], "bh-crisis", Community, "community-crisis"),
    case(
        &[("consent", "yes")],
        "suicidal",
        Community,
        "community-crisis",
    ),
    case(&[], "welfare", Community, "community-welfare"),
    case(
        &[("consent", "no")],
        "welfare",
        Community,
        "community-welfare",
    ),
    case(
        &[("where", "vehicle")],
        "unsheltered",
        Community,
        "community-welfare",
    ),
    case(&[], "assist", Community, "community-welfare"),
    case(&[], "intox", Community, "community-substance"),
    case(&[], "drugs", Community, "community-substance"),
    case(&[], "sick", Community, "community-medical"),
    case(&[], "transport", Community, "community-medical"),
    case(&[], "disorder", Community, "community-disorder"),
    case(&[], "trespass", Community, "community-disorder"),
    case(&[], "noise", Info, "noise"),
    case(&[], "-", CoResponse, "default"),
];

#[test]
fn every_shipped_rule_decides_its_cases() {
    let protocol = shipped();
    let mut hit = BTreeSet::new();
    for c in CASES {
        let r = protocol.evaluate(&calm_but(c.changes), call_type(c.call_type));
        assert_eq!(
            (r.response, r.rule.as_str()),
            (c.response, c.rule),
            "{:?} on a {} call",
            c.changes,
            c.call_type
        );
        let rule = protocol.rules.iter().find(|x| x.id == r.rule).unwrap();
        assert_eq!((r.priority, &r.reason), (rule.priority, &rule.reason));
        hit.insert(r.rule);
    }
    let all: BTreeSet<String> = protocol.rules.iter().map(|r| r.id.clone()).collect();
    let missing: Vec<&String> = all.difference(&hit).collect();
    assert!(missing.is_empty(), "rules without a case: {missing:?}");
}

#[test]
fn a_call_nobody_has_asked_about_gets_a_cautious_response() {
    let protocol = shipped();
    let none = BTreeMap::new();
    for t in CallType::ALL {
        let r = protocol.evaluate(&none, Some(*t));
        assert_ne!(r.response, Community, "{t}: {}", r.rule);
    }
    let r = protocol.evaluate(&none, None);
    assert_eq!(
        (r.response, r.rule.as_str()),
        (CoResponse, "too-little-info")
    );
}

#[test]
fn the_shipped_protocol_is_what_the_design_says() {
    let protocol = shipped();
    assert_eq!(protocol.name, "default");
    let questions: Vec<(&str, char)> = protocol
        .questions
        .iter()
        .map(|q| (q.id.as_str(), q.key))
        .collect();
    assert_eq!(
        questions,
        [
            ("violence", 'v'),
            ("weapon", 'w'),
            ("crime", 'c'),
            ("medical", 'm'),
            ("hazard", 'f'),
            ("harm", 'h'),
            ("info", 'i'),
            ("consent", 'k'),
            ("where", 'l'),
        ]
    );
    assert_eq!(
        protocol.disqualifying(),
        ["violence", "weapon", "crime", "medical", "hazard", "harm", "info"]
    );
    let last = protocol.rules.last().unwrap();
    assert!(last.is_default());
    assert_ne!(last.response, Community);
    let urgent: Vec<&str> = protocol
        .rules
        .iter()
        .filter(|r| r.priority == Some(Priority::MOST_URGENT))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        urgent,
        [
            "violence",
            "hazard",
            "medical-emergency",
            "weapon",
            "imminent-harm",
            "medical-types",
            "weapon-type"
        ]
    );
    for rule in &protocol.rules {
        assert!(rule.reason.ends_with('.'), "{}: {}", rule.id, rule.reason);
    }
}

#[test]
fn shipped_equals_loading_default_and_the_file_on_disk() {
    assert_eq!(load("default", None), Ok(shipped()));
    assert_eq!(
        check_file(&root().join("protocols/default.toml")),
        Ok(shipped())
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(load("default", Some(empty.path())), Ok(shipped()));
}

#[test]
fn a_user_protocol_overrides_the_shipped_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("protocols")).unwrap();
    let mine = std::fs::read_to_string(fixture("mine")).unwrap();
    let without_name: String = mine
        .lines()
        .filter(|l| !l.starts_with("name ="))
        .flat_map(|l| [l, "\n"])
        .collect();
    std::fs::write(dir.path().join("protocols/default.toml"), without_name).unwrap();
    std::fs::write(dir.path().join("protocols/mine.toml"), &mine).unwrap();

    let default = load("default", Some(dir.path())).unwrap();
    assert_ne!(default, shipped());
    assert_eq!(default.name, "default", "named after its file");
    let ids: Vec<&str> = default.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["weapon", "welfare", "default"]);

    let named = load("mine", Some(dir.path())).unwrap();
    assert_eq!(named.name, "mine");
    assert_eq!(named.rules, default.rules);

    assert_eq!(
        list(Some(dir.path())),
        [("default".to_owned(), "user"), ("mine".to_owned(), "user")]
    );
    assert_eq!(list(None), [("default".to_owned(), "shipped")]);
}

#[test]
fn unknown_and_bad_protocol_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("protocols")).unwrap();
    std::fs::copy(fixture("mine"), dir.path().join("protocols/mine.toml")).unwrap();
    let err = load("nope", Some(dir.path())).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: unknown protocol 'nope'; shipped: default; user: mine",
            dir.path().join("protocols/nope.toml").display()
        )
    );
    assert_eq!(
        load("nope", None).unwrap_err().to_string(),
        "protocols/nope.toml: unknown protocol 'nope'; shipped: default"
    );
    assert_eq!(
        load("../etc/passwd", None).unwrap_err().to_string(),
        "protocols/../etc/passwd.toml: bad protocol name '../etc/passwd'; use letters, digits, '-' and '_'"
    );
}

/// Every error a broken fixture gives, through `check_file`; `load` gives the first of them.
fn fixture_errors(name: &str) -> Vec<String> {
    let errors = check_file(&fixture(name)).unwrap_err();
    let loaded = load(name, Some(&fixtures())).unwrap_err();
    assert_eq!(loaded, errors[0], "{name}: load gives the first error");
    errors.iter().map(ToString::to_string).collect()
}

#[test]
fn broken_fixtures_say_exactly_what_and_where() {
    let at = |name: &str, line: usize| format!("{}:{line}", fixture(name).display());
    let cases: &[(&str, Vec<String>)] = &[
        (
            "syntax",
            vec![format!(
                "{}: TOML syntax error: invalid basic string, expected `\"`",
                at("syntax", 7)
            )],
        ),
        (
            "unknown-key",
            vec![format!(
                "{}: unknown key 'respones'; did you mean 'response'?",
                at("unknown-key", 4)
            )],
        ),
        (
            "unknown-question",
            vec![format!(
                "{}: unknown question 'wepon' in rule 'weapon'; did you mean 'weapon'?",
                at("unknown-question", 9)
            )],
        ),
        (
            "bad-answer",
            vec![format!(
                "{}: 'Yes' is not an answer to 'weapon' in rule 'weapon'; did you mean 'yes'?",
                at("bad-answer", 9)
            )],
        ),
        (
            "unknown-response",
            vec![format!(
                "{}: unknown response type 'comunity' in rule 'welfare'; did you mean 'community'?",
                at("unknown-response", 16)
            )],
        ),
        (
            "unreachable",
            vec![format!(
                "{}: rule 'welfare-again' is unreachable: rule 'welfare' (line 14) has the same conditions",
                at("unreachable", 20)
            )],
        ),
        (
            "no-default",
            vec![format!(
                "{}: no default: the last rule 'welfare' has conditions; end with a rule with no `when` and no `types`",
                at("no-default", 14)
            )],
        ),
        (
            "community-on-unknown",
            vec![format!(
                "{}: rule 'welfare' recommends community when 'weapon' is unknown; add a rule before it with when = {{ weapon = \"unknown\" }} and response = \"co-response\"",
                at("community-on-unknown", 28)
            )],
        ),
        (
            "several",
            vec![
                format!(
                    "{}: duplicate key 'w' for question 'where'; 'weapon' has it (line 4)",
                    at("several", 9)
                ),
                format!(
                    "{}: duplicate question id 'weapon'; first at line 3",
                    at("several", 14)
                ),
                format!(
                    "{}: rule 'weapon': priority 7 is out of range; use 1 (most urgent) to 4",
                    at("several", 22)
                ),
                format!(
                    "{}: duplicate rule id 'weapon'; first at line 19",
                    at("several", 26)
                ),
                format!(
                    "{}: unknown call type 'welfair' in rule 'weapon'; did you mean 'welfare'?",
                    at("several", 27)
                ),
            ],
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(&fixture_errors(name), expected, "{name}");
    }
}

#[test]
fn error_fields_carry_file_and_line() {
    let err = load("unknown-question", Some(&fixtures())).unwrap_err();
    assert_eq!(
        err,
        ProtocolError {
            file: fixture("unknown-question").display().to_string(),
            line: Some(9),
            message: "unknown question 'wepon' in rule 'weapon'; did you mean 'weapon'?".to_owned(),
        }
    );
}

/// Checks protocol text written in a test, returning every error without its file.
fn problems(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).unwrap();
    match check_file(&path) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| match e.line {
                Some(line) => format!("{line}: {}", e.message),
                None => e.message.clone(),
            })
            .collect(),
    }
}

const WEAPON: &str = "[[question]]\nid = \"weapon\"\nkey = \"w\"\ntext = \"Any weapon?\"\n";

fn rule(id: &str, rest: &str) -> String {
    format!("\n[[rule]]\nid = \"{id}\"\n{rest}\nreason = \"Because.\"\n")
}

#[test]
fn rules_shadowed_by_earlier_rules_are_unreachable() {
    // After an unconditional rule: both unreachable and not a default at the end.
    let text = format!(
        "{WEAPON}{}{}",
        rule("everything", "response = \"co-response\""),
        rule("welfare", "types = [\"welfare\"]\nresponse = \"community\""),
    );
    assert_eq!(
        problems(&text),
        [
            "12: rule 'welfare' is unreachable: rule 'everything' (line 7) before it matches every call",
            "12: no default: the last rule 'welfare' has conditions; end with a rule with no `when` and no `types`",
        ]
    );
    // Covered by a single wider rule.
    let text = format!(
        "{WEAPON}{}{}{}",
        rule(
            "weapon",
            "when = { weapon = [\"yes\", \"unknown\"] }\nresponse = \"police\""
        ),
        rule(
            "armed-welfare",
            "when = { weapon = \"yes\" }\ntypes = [\"welfare\"]\nresponse = \"ems\""
        ),
        rule("default", "response = \"co-response\""),
    );
    assert_eq!(
        problems(&text),
        ["13: rule 'armed-welfare' is unreachable: rule 'weapon' (line 7) before it matches every call it would"]
    );
    // Covered only by several earlier rules together: found by trying every combination.
    let text = format!(
        "{WEAPON}{}{}{}{}",
        rule(
            "armed",
            "when = { weapon = [\"yes\", \"unknown\"] }\nresponse = \"police\""
        ),
        rule(
            "unarmed",
            "when = { weapon = \"no\" }\nresponse = \"co-response\""
        ),
        rule("welfare", "types = [\"welfare\"]\nresponse = \"community\""),
        rule("default", "response = \"co-response\""),
    );
    assert_eq!(
        problems(&text),
        ["19: rule 'welfare' is unreachable: earlier rules take every call it matches"]
    );
}

#[test]
fn question_and_rule_fields_are_checked() {
    let text = "[[question]]\nid = \"where\"\nkey = \"ll\"\ntext = \"Where?\"\nkind = \"choise\"\n\
                \n[[question]]\nid = \"Who\"\nkey = \"p\"\ntext = \"\"\nchoices = [\"me\", \"unknown\"]\n\
                \n[[rule]]\nid = \"default\"\nresponse = \"co-response\"\nreason = \" \"\n";
    assert_eq!(
        problems(text),
        [
            "3: bad key 'll' for question 'where'; use one letter or digit",
            "5: unknown kind 'choise' for question 'where'; did you mean 'choice'?",
            "8: bad question id 'Who'; use lower-case letters, digits, '-' and '_'",
            "10: question 'Who' has no text",
            "11: question 'Who': 'unknown' cannot be a choice (yes, no and unknown are reserved)",
            "16: rule 'default' has no reason; write the sentence the dispatcher reads",
        ]
    );
    assert_eq!(
        problems("[[rule]]\nid = \"x\"\n"),
        ["1: missing key 'response'"]
    );
    assert_eq!(
        problems(""),
        ["no rules; end with a default rule (no `when`, no `types`)"]
    );
    let text = format!(
        "{WEAPON}{}",
        rule(
            "default",
            "when = { weapon = [] }\nresponse = \"co-response\""
        )
    );
    assert_eq!(
        problems(&text),
        [
            "7: no default: the last rule 'default' has conditions; end with a rule with no `when` and no `types`",
            "8: rule 'default' lists no answers for 'weapon'",
        ]
    );
}

#[test]
fn shipped_questions_take_answers_by_key_and_shorthand() {
    let protocol = shipped();
    assert_eq!(
        protocol.answer("w", "y"),
        Ok(("weapon".to_owned(), "yes".to_owned()))
    );
    assert_eq!(
        protocol.answer("K", "?"),
        Ok(("consent".to_owned(), UNKNOWN.to_owned()))
    );
    assert_eq!(
        protocol.answer("where", "out"),
        Ok(("where".to_owned(), "outside".to_owned()))
    );
    assert_eq!(
        protocol.answer("harm", "perhaps"),
        Err("'perhaps' is not an answer to harm; use yes (y), no (n) or unknown (u, ?)".to_owned())
    );
    for q in &protocol.questions {
        for answer in q.answers() {
            assert_eq!(
                protocol.answer(&q.key.to_string(), answer),
                Ok((q.id.clone(), answer.to_owned()))
            );
        }
        if let AnswerKind::Choice(choices) = &q.kind {
            assert!(!choices.is_empty());
        }
    }
}

/// A random call: each question unanswered (`None`) or given one of its answers by index.
fn calls(protocol: &Protocol) -> impl Strategy<Value = (Vec<Option<usize>>, Option<CallType>)> {
    let questions = protocol.questions.len();
    (
        proptest::collection::vec(proptest::option::of(0usize..8), questions),
        proptest::option::of(proptest::sample::select(CallType::ALL.to_vec())),
    )
}

proptest! {
    #[test]
    fn unknown_disqualifying_answers_never_send_the_community_team_alone(
        (picks, call_type) in calls(&shipped())
    ) {
        let protocol = shipped();
        let mut answers = BTreeMap::new();
        for (q, pick) in protocol.questions.iter().zip(&picks) {
            if let Some(i) = pick {
                let all = q.answers();
                answers.insert(q.id.clone(), all[i % all.len()].to_owned());
            }
        }
        let r = protocol.evaluate(&answers, call_type);
        prop_assert!(protocol.rules.iter().any(|x| x.id == r.rule), "no rule decided");
        let unknown: Vec<&str> = protocol
            .disqualifying()
            .into_iter()
            .filter(|q| answers.get(*q).is_none_or(|a| a == UNKNOWN))
            .collect();
        if !unknown.is_empty() {
            prop_assert_ne!(
                r.response,
                Community,
                "rule {} with {:?} unknown, {:?}, type {:?}",
                r.rule,
                unknown,
                answers,
                call_type
            );
        }
    }
}
