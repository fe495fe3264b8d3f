//! Triage: the questions a call-taker asks and the ordered rules that turn the answers and the
//! call type into a recommended response type, naming the rule that decided it.
//!
//! The criteria are the public ones of CAHOOTS, STAR and B-HEARD (`field-data.md`): the protocol
//! says who goes (community team, co-response, EMS, fire, police, crisis line, information only),
//! not only how fast. A question nobody answered counts as `unknown`, and an unknown answer to a
//! disqualifying question (see [`Protocol::disqualifying`]) must lead to a cautious response,
//! never to the community team alone. Reading and checking protocol files is
//! `crate::config::protocol`'s job; this module only decides.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ids::shown;
use super::vocab::{Agency, CallType, Capability, Priority};

/// The answer an unanswered question counts as.
pub const UNKNOWN: &str = "unknown";

/// The rule id a [`Recommendation`] names when no rule matched, which a checked protocol (one
/// that ends with a default rule) never gives.
pub const NO_RULE: &str = "no-rule";

use super::vocab::words;

words!(
    /// Who a call gets: what triage recommends.
    ResponseType, "response type" {
        Community = "community": "community team (clinician and medic), no police",
        CoResponse = "co-response": "community clinician together with police (co-responder team)",
        Ems = "ems": "EMS (ambulance)",
        Fire = "fire": "fire department",
        Police = "police": "police",
        CrisisLine = "crisis-line": "988 or the crisis line; no unit sent",
        Info = "info": "information only; no unit sent",
    }
);

impl ResponseType {
    /// The response plan: the units that go, one per slot. A response that sends nobody
    /// (crisis line, information only) has none.
    pub fn slots(self) -> &'static [Slot] {
        match self {
            Self::Community => &[Slot::Community],
            Self::CoResponse => &[Slot::Community, Slot::Police],
            Self::Ems => &[Slot::Ambulance],
            Self::Fire => &[Slot::Fire],
            Self::Police => &[Slot::Police],
            Self::CrisisLine | Self::Info => &[],
        }
    }

    /// What a backup call asked of another agency is worked as.
    pub fn of_agency(agency: Agency) -> Self {
        match agency {
            Agency::Police => Self::Police,
            Agency::Ems => Self::Ems,
            Agency::Fire => Self::Fire,
        }
    }

    /// "a community team and a police unit", or "no unit".
    pub fn plan_words(self) -> String {
        slot_list(self.slots())
    }

    /// A community team goes, alone or with police.
    pub fn is_community(self) -> bool {
        matches!(self, Self::Community | Self::CoResponse)
    }

    /// Sends someone beyond the community team alone: police, EMS, fire or a joint response.
    /// A known answer that leads to one of these makes its question disqualifying.
    pub fn escalates(self) -> bool {
        matches!(
            self,
            Self::CoResponse | Self::Ems | Self::Fire | Self::Police
        )
    }
}

/// One place in a response plan: a kind of unit that goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    /// A community team: a clinician, medic, EMT or peer worker on a unit that is not fire or
    /// an ambulance. The protocol wants one with a clinician or a medic; the ranking puts those
    /// first.
    Community,
    Police,
    /// Transporting EMS.
    Ambulance,
    Fire,
}

impl Slot {
    pub fn word(self) -> &'static str {
        match self {
            Self::Community => "community team",
            Self::Police => "police unit",
            Self::Ambulance => "ambulance",
            Self::Fire => "fire unit",
        }
    }

    /// The word with its article: "an ambulance".
    pub fn a(self) -> &'static str {
        match self {
            Self::Community => "a community team",
            Self::Police => "a police unit",
            Self::Ambulance => "an ambulance",
            Self::Fire => "a fire unit",
        }
    }

    /// Whether a unit with these capabilities fills this slot of `response`'s plan. A
    /// co-responder car (a clinician riding with an officer) fills both slots of a co-response
    /// alone, but never a community response, which sends no police.
    pub fn fits(self, capabilities: &BTreeSet<Capability>, response: ResponseType) -> bool {
        match self {
            Self::Community => {
                is_community_team(capabilities)
                    && !(response == ResponseType::Community
                        && capabilities.contains(&Capability::Police))
            }
            Self::Police => capabilities.contains(&Capability::Police),
            Self::Ambulance => capabilities.contains(&Capability::Ems),
            Self::Fire => capabilities.contains(&Capability::Fire),
        }
    }
}

/// A unit that counts as a community team wherever figures and plans ask: someone of the
/// program (clinician, medic, EMT or peer worker) on a unit that is not fire or an ambulance.
/// A police unit with a clinician aboard is a co-responder car: a community team and police.
pub fn is_community_team(capabilities: &BTreeSet<Capability>) -> bool {
    capabilities.iter().any(|c| c.is_community_role())
        && !capabilities.contains(&Capability::Fire)
        && !capabilities.contains(&Capability::Ems)
}

/// "a community team and a police unit"; "no unit" for none.
pub fn slot_list(slots: &[Slot]) -> String {
    let words: Vec<&str> = slots.iter().map(|s| s.a()).collect();
    match words.as_slice() {
        [] => "no unit".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a question accepts besides `unknown`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnswerKind {
    /// `yes` or `no`.
    YesNo,
    /// One of these lower-case words.
    Choice(Vec<String>),
}

/// One triage question, asked in the console with its one-key shortcut.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    /// The one-key shortcut shown in the console.
    pub key: char,
    pub kind: AnswerKind,
}

impl Question {
    /// Every canonical answer, `unknown` last.
    pub fn answers(&self) -> Vec<&str> {
        let mut all: Vec<&str> = match &self.kind {
            AnswerKind::YesNo => vec!["yes", "no"],
            AnswerKind::Choice(choices) => choices.iter().map(String::as_str).collect(),
        };
        all.push(UNKNOWN);
        all
    }

    /// The answers as a dispatcher may type them, for messages.
    fn answer_help(&self) -> String {
        match &self.kind {
            AnswerKind::YesNo => "use yes (y), no (n) or unknown (u, ?)".to_owned(),
            AnswerKind::Choice(choices) => {
                format!("use {} or unknown (u, ?)", choices.join(", "))
            }
        }
    }
}

/// One condition of a rule: the call's answer to `question` is one of `any_of`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    pub question: String,
    pub any_of: Vec<String>,
}

impl Test {
    /// Whether `answer` (none, or empty, when unanswered: that counts as `unknown`) passes.
    pub fn matches(&self, answer: Option<&str>) -> bool {
        let answer = answer.filter(|a| !a.is_empty()).unwrap_or(UNKNOWN);
        self.any_of.iter().any(|a| a.eq_ignore_ascii_case(answer))
    }
}

/// One protocol rule; the first rule whose conditions all hold decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    /// All must match.
    pub when: Vec<Test>,
    /// Empty: any call, typed or not. Otherwise the call's type must be one of these.
    pub call_types: Vec<CallType>,
    pub response: ResponseType,
    /// `None` keeps the call's own priority.
    pub priority: Option<Priority>,
    /// The sentence the dispatcher reads.
    pub reason: String,
}

impl Rule {
    /// No tests and no types: matches every call.
    pub fn is_default(&self) -> bool {
        self.when.is_empty() && self.call_types.is_empty()
    }

    /// Whether the rule's type condition admits a call of this type (or of none yet).
    pub fn applies_to(&self, call_type: Option<CallType>) -> bool {
        self.call_types.is_empty() || call_type.is_some_and(|t| self.call_types.contains(&t))
    }

    pub fn matches(&self, answers: &BTreeMap<String, String>, call_type: Option<CallType>) -> bool {
        self.applies_to(call_type)
            && self
                .when
                .iter()
                .all(|t| t.matches(answers.get(&t.question).map(String::as_str)))
    }
}

/// A named set of questions and the ordered rules over their answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protocol {
    pub name: String,
    pub questions: Vec<Question>,
    pub rules: Vec<Rule>,
}

/// What triage recommends for a call, and which rule said so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub response: ResponseType,
    /// `None` keeps the call's own priority.
    pub priority: Option<Priority>,
    /// The id of the deciding rule.
    pub rule: String,
    pub reason: String,
}

impl Protocol {
    /// First rule that matches wins; a valid protocol always ends with a default rule (no tests,
    /// no types). Should none match, the recommendation is the cautious joint response, from
    /// [`NO_RULE`].
    pub fn evaluate(
        &self,
        answers: &BTreeMap<String, String>,
        call_type: Option<CallType>,
    ) -> Recommendation {
        match self.rules.iter().find(|r| r.matches(answers, call_type)) {
            Some(rule) => Recommendation {
                response: rule.response,
                priority: rule.priority,
                rule: rule.id.clone(),
                reason: rule.reason.clone(),
            },
            None => Recommendation {
                response: ResponseType::CoResponse,
                priority: None,
                rule: NO_RULE.to_owned(),
                reason: "No rule matched: cautious joint response".to_owned(),
            },
        }
    }

    /// As [`Protocol::evaluate`], with the cautions that bear on the call: one that mentions a
    /// weapon ([`weapon_caution`]) counts as `weapon = yes` while triage has not answered the
    /// weapon question yes or no (unanswered or `unknown`), and the reason says so. A protocol
    /// without a `weapon` question is not changed by cautions.
    pub fn evaluate_known(
        &self,
        answers: &BTreeMap<String, String>,
        call_type: Option<CallType>,
        cautions: &[&str],
    ) -> Recommendation {
        let answered = matches!(
            answers.get(WEAPON_QUESTION).map(String::as_str),
            Some("yes" | "no")
        );
        let asks = self.questions.iter().any(|q| q.id == WEAPON_QUESTION);
        match weapon_caution(cautions).filter(|_| asks && !answered) {
            Some(text) => {
                let mut known = answers.clone();
                known.insert(WEAPON_QUESTION.to_owned(), "yes".to_owned());
                let mut r = self.evaluate(&known, call_type);
                r.reason = format!(
                    "{} (caution \"{text}\" counts as weapon yes until triage answers weapon)",
                    r.reason
                );
                r
            }
            None => self.evaluate(answers, call_type),
        }
    }

    /// By id or by one-key shortcut, case-insensitive.
    pub fn question(&self, id_or_key: &str) -> Option<&Question> {
        let wanted = id_or_key.trim();
        self.questions
            .iter()
            .find(|q| q.id.eq_ignore_ascii_case(wanted))
            .or_else(|| {
                let mut chars = wanted.chars();
                match (chars.next(), chars.next()) {
                    (Some(key), None) => self
                        .questions
                        .iter()
                        .find(|q| q.key.to_lowercase().eq(key.to_lowercase())),
                    _ => None,
                }
            })
    }

    /// Canonical answer text ("yes" | "no" | "unknown" | one of the choices, lower case), or a
    /// one-line error listing what is allowed. Accepts y/n/u/? shorthands for yes/no/unknown,
    /// and a unique prefix of a choice (`u` always means unknown).
    pub fn answer(&self, question: &str, typed: &str) -> Result<(String, String), String> {
        let q = self.question(question).ok_or_else(|| {
            let all: Vec<String> = self
                .questions
                .iter()
                .map(|q| format!("{} ({})", q.id, q.key))
                .collect();
            format!(
                "no question {}; one of: {}",
                shown(question),
                all.join(", ")
            )
        })?;
        let word = typed.trim().to_lowercase();
        let canonical = match (&q.kind, word.as_str()) {
            (_, "u" | "?" | UNKNOWN) => Some(UNKNOWN),
            (AnswerKind::YesNo, "y" | "yes") => Some("yes"),
            (AnswerKind::YesNo, "n" | "no") => Some("no"),
            (AnswerKind::YesNo, _) => None,
            (AnswerKind::Choice(choices), _) => {
                let exact = choices.iter().find(|c| **c == word);
                let mut prefixed = choices.iter().filter(|c| c.starts_with(word.as_str()));
                let unique = match (prefixed.next(), prefixed.next()) {
                    (Some(c), None) if !word.is_empty() => Some(c),
                    _ => None,
                };
                exact.or(unique).map(String::as_str)
            }
        };
        canonical
            .map(|a| (q.id.clone(), a.to_owned()))
            .ok_or_else(|| {
                format!(
                    "{} is not an answer to {}; {}",
                    shown(typed.trim()),
                    q.id,
                    q.answer_help()
                )
            })
    }

    /// Questions whose known answer can send police, EMS, fire or a joint response (some rule
    /// with an escalating response tests an answer other than `unknown`), in question order.
    /// Not knowing such an answer must never lead to the community team alone.
    pub fn disqualifying(&self) -> Vec<&str> {
        self.questions
            .iter()
            .filter(|q| {
                self.rules.iter().any(|r| {
                    r.response.escalates()
                        && r.when
                            .iter()
                            .any(|t| t.question == q.id && t.any_of.iter().any(|a| a != UNKNOWN))
                })
            })
            .map(|q| q.id.as_str())
            .collect()
    }
}

/// The question a weapon caution answers.
pub const WEAPON_QUESTION: &str = "weapon";

/// Words that make a caution a weapon caution.
const WEAPON_WORDS: &[&str] = &[
    "weapon", "weapons", "armed", "gun", "guns", "handgun", "shotgun", "rifle", "pistol",
    "firearm", "firearms", "knife", "knives", "blade", "machete", "axe", "bat",
];

/// The first caution whose words name a weapon (`weapon`, `gun`, `knife`, `armed`, …; case and
/// punctuation ignored).
pub fn weapon_caution<'a>(cautions: &[&'a str]) -> Option<&'a str> {
    cautions.iter().copied().find(|text| {
        text.split(|c: char| !c.is_alphanumeric())
            .any(|w| WEAPON_WORDS.contains(&w.to_lowercase().as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(question: &str, any_of: &[&str]) -> Test {
        Test {
            question: question.to_owned(),
            any_of: any_of.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn rule(id: &str, when: Vec<Test>, types: &[CallType], response: ResponseType) -> Rule {
        Rule {
            id: id.to_owned(),
            when,
            call_types: types.to_vec(),
            response,
            priority: None,
            reason: format!("because {id}"),
        }
    }

    /// Weapon yes: police; weapon unknown: joint; welfare in a vehicle: EMS; welfare: community;
    /// else joint.
    fn tiny() -> Protocol {
        let mut police = rule(
            "weapon",
            vec![test("weapon", &["yes"])],
            &[],
            ResponseType::Police,
        );
        police.priority = Some(Priority::MOST_URGENT);
        Protocol {
            name: "tiny".to_owned(),
            questions: vec![
                Question {
                    id: "weapon".to_owned(),
                    text: "Any weapon?".to_owned(),
                    key: 'w',
                    kind: AnswerKind::YesNo,
                },
                Question {
                    id: "where".to_owned(),
                    text: "Where?".to_owned(),
                    key: 'l',
                    kind: AnswerKind::Choice(vec![
                        "inside".to_owned(),
                        "outside".to_owned(),
                        "vehicle".to_owned(),
                    ]),
                },
            ],
            rules: vec![
                police,
                rule(
                    "unknown-weapon",
                    vec![test("weapon", &["unknown"])],
                    &[],
                    ResponseType::CoResponse,
                ),
                rule(
                    "vehicle",
                    vec![test("where", &["vehicle"])],
                    &[CallType::Welfare],
                    ResponseType::Ems,
                ),
                rule(
                    "welfare",
                    vec![],
                    &[CallType::Welfare],
                    ResponseType::Community,
                ),
                rule("default", vec![], &[], ResponseType::CoResponse),
            ],
        }
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(q, a)| ((*q).to_owned(), (*a).to_owned()))
            .collect()
    }

    /// Answers, call type, expected rule and response.
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        Option<CallType>,
        &'a str,
        ResponseType,
    );

    #[test]
    fn first_matching_rule_decides() {
        let p = tiny();
        let welfare = Some(CallType::Welfare);
        let cases: &[Case] = &[
            (
                &[("weapon", "yes")],
                welfare,
                "weapon",
                ResponseType::Police,
            ),
            (
                &[("weapon", "no")],
                welfare,
                "welfare",
                ResponseType::Community,
            ),
            (
                &[("weapon", "no"), ("where", "vehicle")],
                welfare,
                "vehicle",
                ResponseType::Ems,
            ),
            (
                &[("weapon", "no"), ("where", "vehicle")],
                None,
                "default",
                ResponseType::CoResponse,
            ),
            (
                &[("weapon", "no")],
                Some(CallType::Noise),
                "default",
                ResponseType::CoResponse,
            ),
            (
                &[("weapon", "no")],
                None,
                "default",
                ResponseType::CoResponse,
            ),
        ];
        for (given, call_type, rule, response) in cases {
            let r = p.evaluate(&answers(given), *call_type);
            assert_eq!(
                (r.rule.as_str(), r.response),
                (*rule, *response),
                "{given:?}"
            );
            assert_eq!(r.reason, format!("because {rule}"));
        }
        let r = p.evaluate(&answers(&[("weapon", "yes")]), None);
        assert_eq!(r.priority, Some(Priority::MOST_URGENT));
    }

    #[test]
    fn unanswered_counts_as_unknown() {
        let p = tiny();
        for given in [&[][..], &[("weapon", "unknown")], &[("weapon", "")]] {
            let r = p.evaluate(&answers(given), Some(CallType::Welfare));
            assert_eq!(r.rule, "unknown-weapon", "{given:?}");
            assert_eq!(r.response, ResponseType::CoResponse);
        }
    }

    #[test]
    fn without_a_default_no_rule_is_cautious() {
        let mut p = tiny();
        p.rules.truncate(3);
        let r = p.evaluate(&answers(&[("weapon", "no")]), None);
        assert_eq!(
            (r.rule.as_str(), r.response),
            (NO_RULE, ResponseType::CoResponse)
        );
    }

    #[test]
    fn questions_by_id_or_key_in_any_case() {
        let p = tiny();
        assert_eq!(p.question("WEAPON").map(|q| q.key), Some('w'));
        assert_eq!(p.question("W").map(|q| q.id.as_str()), Some("weapon"));
        assert_eq!(p.question("l").map(|q| q.id.as_str()), Some("where"));
        assert_eq!(p.question("x"), None);
        assert_eq!(p.question("we"), None);
    }

    #[test]
    fn answers_are_canonical() {
        let p = tiny();
        let ok = |q: &str, typed: &str| p.answer(q, typed).map(|(_, a)| a);
        assert_eq!(
            p.answer("w", "Y"),
            Ok(("weapon".to_owned(), "yes".to_owned()))
        );
        assert_eq!(ok("weapon", " no "), Ok("no".to_owned()));
        assert_eq!(ok("weapon", "?"), Ok("unknown".to_owned()));
        assert_eq!(ok("where", "veh"), Ok("vehicle".to_owned()));
        assert_eq!(ok("where", "OUTSIDE"), Ok("outside".to_owned()));
        assert_eq!(ok("where", "u"), Ok("unknown".to_owned()));
        assert_eq!(
            ok("weapon", "maybe"),
            Err("'maybe' is not an answer to weapon; use yes (y), no (n) or unknown (u, ?)".into())
        );
        assert_eq!(
            ok("where", "yes"),
            Err(
                "'yes' is not an answer to where; use inside, outside, vehicle or unknown (u, ?)"
                    .into()
            )
        );
        assert_eq!(
            ok("z", "yes"),
            Err("no question 'z'; one of: weapon (w), where (l)".into())
        );
    }

    #[test]
    fn disqualifying_questions_escalate_on_a_known_answer() {
        let p = tiny();
        assert_eq!(p.disqualifying(), ["weapon", "where"]);
        let mut p = tiny();
        p.rules.remove(2);
        assert_eq!(p.disqualifying(), ["weapon"]);
    }

    #[test]
    fn response_words_round_trip_and_plans() {
        for r in ResponseType::ALL {
            assert_eq!(r.word().to_uppercase().parse::<ResponseType>(), Ok(*r));
            assert_eq!(r.is_community(), r.slots().contains(&Slot::Community));
        }
        assert_eq!(
            "cops".parse::<ResponseType>(),
            Err(
                "unknown response type 'cops'; one of: community, co-response, ems, fire, \
                 police, crisis-line, info"
                    .into()
            )
        );
        assert!(!ResponseType::Community.escalates());
        assert!(ResponseType::CoResponse.escalates());
    }

    #[test]
    fn a_weapon_caution_counts_as_weapon_yes_until_answered() {
        let p = tiny();
        let cautions = ["Dog in yard", "Resident keeps a KNIFE by the door"];
        let r = p.evaluate_known(&answers(&[]), None, &cautions);
        assert_eq!(r.rule, "weapon");
        assert!(r.reason.contains("KNIFE"), "{}", r.reason);
        assert!(r.reason.contains("weapon yes"), "{}", r.reason);
        let r = p.evaluate_known(&answers(&[("weapon", "unknown")]), None, &cautions);
        assert_eq!(r.rule, "weapon");
        // Triage answers otherwise: the answer decides.
        let r = p.evaluate_known(&answers(&[("weapon", "no")]), None, &cautions);
        assert_eq!(r, p.evaluate(&answers(&[("weapon", "no")]), None));
        // A caution that names no weapon changes nothing.
        let r = p.evaluate_known(
            &answers(&[("weapon", "unknown")]),
            None,
            &["dog; gunther lives here"],
        );
        assert_eq!(r.rule, "unknown-weapon");
    }

    #[test]
    fn weapon_words_are_whole_words() {
        assert_eq!(
            weapon_caution(&["gun in the glovebox"]),
            Some("gun in the glovebox")
        );
        assert_eq!(weapon_caution(&["Armed, per PD."]), Some("Armed, per PD."));
        assert_eq!(weapon_caution(&["begun", "Gunther", "knifely"]), None);
    }
}
