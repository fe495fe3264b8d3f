//! Who works the demo's desk and who calls it: the dispatchers' rota, the teams, and callers —
//! most of them new, some calling again, and a few people who call often, as every centre
//! knows them. Callback numbers are in the fictional 555-01xx range, unique per caller.

use rand::rngs::StdRng;
use rand::RngExt;

use super::pick;
use super::town::{callers, Kind, Nature, Setting, MIX};

const HOUR: i64 = 3_600_000;
/// Service hours begin at 06:00; console shifts are 8 hours from there.
const CONSOLE_SHIFT: i64 = 8 * HOUR;
const ROTA_START: i64 = 6 * HOUR;

/// Dispatchers; each takes an 8-hour console shift in turn.
pub(super) const OPERATORS: &[&str] = &[
    "ct-rivera",
    "ct-okafor",
    "ct-nguyen",
    "ct-haddad",
    "ct-lindqvist",
];

/// Who has the console at `t`: 8-hour shifts from 06:00, 14:00 and 22:00, in turn.
pub(super) fn operator_at(t: i64) -> &'static str {
    let slot = (t - ROTA_START).div_euclid(CONSOLE_SHIFT);
    OPERATORS[slot.rem_euclid(OPERATORS.len() as i64) as usize]
}

/// The roster: callsign, capabilities, home zone. Eight two-person STAR teams (field data:
/// STAR 2023) and two Denver police co-responder officers for the calls that need police with
/// the clinician.
pub(super) const ROSTER: &[(&str, &str, usize)] = &[
    ("STAR-1", "clinician,medic", 5),
    ("STAR-2", "clinician,medic", 5),
    ("STAR-3", "clinician,medic", 0),
    ("STAR-4", "clinician,emt", 1),
    ("STAR-5", "clinician,medic", 2),
    ("STAR-6", "peer,emt", 3),
    ("STAR-7", "clinician,medic", 4),
    ("STAR-8", "peer,emt", 1),
    ("PD-21", "police", 5),
    ("PD-34", "police", 2),
];

const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Aisha", "Luis", "Jordan", "Hannah", "Daniel", "Mei", "Carlos", "Fatima",
    "Ethan", "Rosa", "Tyrone", "Olga", "Samir", "Grace", "Diego", "Keisha", "Tom", "Ana", "Priya",
    "Marcus", "Elena", "Kwame", "Sofia", "Ben", "Leila", "Hugo", "Nia", "Pavel",
];
const INITIALS: &str = "ABCDEFGHJKLMNPRSTVWY";
/// Area codes of Denver and of the mobile numbers people bring from elsewhere.
const AREA_CODES: &[u16] = &[
    303, 720, 983, 719, 970, 212, 312, 415, 503, 512, 602, 702, 801, 505, 816, 913, 402, 206, 214,
    404, 617, 305, 480, 615, 504, 907, 808, 208, 406, 307, 605, 701, 316, 918, 405, 501, 601, 205,
    803, 919,
];

/// Someone who calls often (estimate: a handful of people make a steady share of a centre's
/// calls — a mother about her adult son, a store about its doorway, a man about himself).
pub(super) struct Frequent {
    pub caller: &'static str,
    pub callback: &'static str,
    pub zone: usize,
    pub location: &'static str,
    pub kind: Kind,
    /// Index into [`MIX`]'s natures of `kind`.
    pub nature: usize,
}

pub(super) const FREQUENT: &[Frequent] = &[
    Frequent {
        caller: "Dolores K.",
        callback: "(303) 555-0117",
        zone: 0,
        location: "1452 Tennyson St apt 2",
        kind: Kind::Bh,
        nature: 1,
    },
    Frequent {
        caller: "store manager",
        callback: "(720) 555-0160",
        zone: 5,
        location: "7-Eleven, 1600 E Colfax Ave",
        kind: Kind::Unsheltered,
        nature: 0,
    },
    Frequent {
        caller: "Ray T.",
        callback: "(303) 555-0183",
        zone: 5,
        location: "Civic Center Park",
        kind: Kind::Suicidal,
        nature: 1,
    },
    Frequent {
        caller: "RTD security",
        callback: "(303) 555-0102",
        zone: 5,
        location: "Union Station, 1701 Wynkoop St",
        kind: Kind::Intox,
        nature: 3,
    },
    Frequent {
        caller: "library staff",
        callback: "(720) 555-0139",
        zone: 5,
        location: "Denver Central Library, 10 W 14th Ave Pkwy",
        kind: Kind::Welfare,
        nature: 9,
    },
];

/// Share of calls from a frequent caller, and from someone else who called in the last days
/// about the same person (estimates: with those first calls, about one call in eight is from a
/// number heard before that week).
const FREQUENT_SHARE: f64 = 0.04;
const AGAIN_SHARE: f64 = 0.045;
/// How long a caller is remembered for calling again.
const REMEMBERED: i64 = 72 * HOUR;

/// One call's caller and what they call about.
#[derive(Clone, Debug)]
pub(super) struct Caller {
    pub name: Option<String>,
    pub callback: Option<String>,
}

/// A call someone may make again: where, what, who.
#[derive(Clone, Debug)]
pub(super) struct Story {
    pub at: i64,
    pub zone: usize,
    pub location: String,
    pub kind: Kind,
    pub call_type: crate::domain::CallType,
    pub nature: &'static str,
    pub caller: Caller,
}

/// The callers the centre has heard from.
#[derive(Default)]
pub(super) struct Callers {
    /// New callers so far: each gets the next fictional number.
    new: u64,
    recent: Vec<Story>,
}

pub(super) enum Who {
    /// A frequent caller, calling about their usual.
    Frequent(&'static Frequent),
    /// Someone who called recently, about the same person.
    Again(Story),
    /// Someone new.
    New,
}

impl Callers {
    /// Who makes a call at `now`.
    pub fn who(&mut self, rng: &mut StdRng, now: i64) -> Who {
        self.recent.retain(|s| now - s.at <= REMEMBERED);
        let x = rng.random::<f64>();
        if x < FREQUENT_SHARE {
            Who::Frequent(pick(rng, FREQUENT))
        } else if x < FREQUENT_SHARE + AGAIN_SHARE && !self.recent.is_empty() {
            let i = rng.random_range(0..self.recent.len());
            Who::Again(self.recent.swap_remove(i))
        } else {
            Who::New
        }
    }

    /// A new caller at a place of this setting: a role or a named person, usually with a
    /// number of their own. `roles` are the nature's callers, when it names them.
    pub fn new_caller(&mut self, rng: &mut StdRng, setting: Setting, roles: &[&str]) -> Caller {
        let roles = if roles.is_empty() {
            callers(setting)
        } else {
            roles
        };
        let name = match rng.random_range(0..10) {
            0 | 1 => None,
            2..=5 => Some((*pick(rng, roles)).to_owned()),
            _ => {
                let first = pick(rng, FIRST_NAMES);
                let initial = INITIALS.as_bytes()[rng.random_range(0..INITIALS.len())] as char;
                Some(format!("{first} {initial}."))
            }
        };
        let callback = rng.random_bool(0.85).then(|| self.number());
        Caller { name, callback }
    }

    /// The next unused fictional number: a stride through area codes × 555-0100…0199 that
    /// visits each once before any repeats.
    fn number(&mut self) -> String {
        const LINES: u64 = 100;
        let all = AREA_CODES.len() as u64 * LINES;
        // 1 237 is coprime with every product of 100 and the area-code count here.
        let n = (self.new * 1237 + 311) % all;
        self.new += 1;
        format!(
            "({}) 555-01{:02}",
            AREA_CODES[(n / LINES) as usize],
            n % LINES
        )
    }

    /// Remembers a call, for its caller to call again about the same person.
    pub fn heard(&mut self, story: Story) {
        if story.caller.callback.is_some() {
            self.recent.push(story);
        }
    }
}

/// A frequent caller's usual nature.
pub(super) fn usual(f: &Frequent) -> Option<(crate::domain::CallType, &'static Nature)> {
    let (_, _, types, natures) = MIX.iter().find(|m| m.0 == f.kind)?;
    Some((*types.first()?, natures.get(f.nature)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn new_callers_get_numbers_nobody_else_has() {
        let mut callers = Callers::default();
        let numbers: std::collections::BTreeSet<String> = (0..AREA_CODES.len() * 100)
            .map(|_| callers.number())
            .collect();
        assert_eq!(numbers.len(), AREA_CODES.len() * 100);
        assert!(numbers.iter().all(|n| n.contains(") 555-01")));
        let frequent: Vec<&str> = FREQUENT.iter().map(|f| f.callback).collect();
        for f in FREQUENT {
            assert!(usual(f).is_some(), "{}", f.caller);
            assert!(f.zone < super::super::town::ZONES.len());
        }
        assert_eq!(
            frequent.len(),
            frequent
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
    }

    #[test]
    fn the_rota_changes_hands_every_eight_hours() {
        let day = 1_790_000_000_000 - 1_790_000_000_000 % (24 * HOUR);
        assert_eq!(
            operator_at(day + 6 * HOUR),
            operator_at(day + 14 * HOUR - 1)
        );
        assert_ne!(operator_at(day + 6 * HOUR), operator_at(day + 14 * HOUR));
        let mut rng = StdRng::seed_from_u64(1);
        let mut c = Callers::default();
        let _ = c.new_caller(&mut rng, Setting::Home, &[]);
    }
}
