//! The fixed vocabulary a dispatcher reads at a glance: call types (with their APCO codes),
//! capabilities, unit statuses, dispositions and agencies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Generates a word enum whose serde form, display and parse all use the same dispatcher word.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $word:literal : $doc:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        pub enum $name {
            $(#[doc = $doc] #[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn word(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn doc(self) -> &'static str {
                match self { $($name::$variant => $doc),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.word())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.word().eq_ignore_ascii_case(s))
                    .ok_or_else(|| {
                        let all: Vec<&str> = $name::ALL.iter().map(|v| v.word()).collect();
                        match $crate::spelling::suggest(s, all.iter().copied()) {
                            Some(near) => format!(
                                "unknown {} {}; did you mean '{near}'?",
                                $what,
                                $crate::domain::ids::shown(s),
                            ),
                            None => format!(
                                "unknown {} {}; one of: {}",
                                $what,
                                $crate::domain::ids::shown(s),
                                all.join(", ")
                            ),
                        }
                    })
            }
        }
    };
}

/// Other domain modules (triage's response types) declare their words the same way.
pub(crate) use words;

words!(
    /// What a responder team can do; recommendation and triage match on these.
    Capability, "capability" {
        Clinician = "clinician": "licensed mental-health clinician",
        Medic = "medic": "paramedic",
        Emt = "emt": "emergency medical technician",
        Peer = "peer": "peer-support worker",
        Police = "police": "sworn officer",
        Fire = "fire": "fire crew",
        Ems = "ems": "ambulance (transporting EMS)",
    }
);

words!(
    /// CAD unit statuses, in the short form dispatchers type.
    UnitStatus, "unit status" {
        Available = "AVL": "available",
        Dispatched = "DSP": "dispatched",
        EnRoute = "ENR": "en route",
        OnScene = "ONS": "on scene",
        Transporting = "TRN": "transporting",
        AtFacility = "ATF": "at facility",
        OutOfService = "OOS": "out of service",
    }
);

impl Capability {
    /// Two or three letters for the roster, where columns are scarce.
    pub fn short(self) -> &'static str {
        match self {
            Self::Clinician => "CL",
            Self::Medic => "MD",
            Self::Emt => "EMT",
            Self::Peer => "PS",
            Self::Police => "PD",
            Self::Fire => "FD",
            Self::Ems => "EMS",
        }
    }

    /// Someone of the community program: what makes a unit a community team (see
    /// `triage::is_community_team`).
    pub fn is_community_role(self) -> bool {
        matches!(self, Self::Clinician | Self::Medic | Self::Emt | Self::Peer)
    }
}

impl UnitStatus {
    /// Where the status comes in a call's course (DSP 1 … ATF 5); none for AVL and OOS. A
    /// correction takes a unit back along it, never forward.
    pub fn step(self) -> Option<u8> {
        match self {
            Self::Dispatched => Some(1),
            Self::EnRoute => Some(2),
            Self::OnScene => Some(3),
            Self::Transporting => Some(4),
            Self::AtFacility => Some(5),
            Self::Available | Self::OutOfService => None,
        }
    }

    /// Statuses in which the unit is working a call.
    pub fn is_committed(self) -> bool {
        matches!(
            self,
            Self::Dispatched
                | Self::EnRoute
                | Self::OnScene
                | Self::Transporting
                | Self::AtFacility
        )
    }
}

words!(
    /// How a call ended.
    Disposition, "disposition" {
        Resolved = "resolved": "resolved on scene",
        CommunityTransport = "community-transport": "transported to a shelter, sobering or crisis centre",
        Hospital = "hospital": "transported to hospital",
        Declined = "declined": "services offered and declined",
        Gone = "gone": "no person found / gone on arrival",
        PoliceNeeded = "police-needed": "handed to police",
        EmsNeeded = "ems-needed": "handed to fire/EMS",
        Referred988 = "referred-988": "referred to 988 or a crisis line",
        FollowUp = "follow-up": "follow-up scheduled",
        Cancelled = "cancelled": "cancelled before arrival",
        Duplicate = "duplicate": "a duplicate of another call, merged into it",
    }
);

words!(
    /// Why a call the protocol found eligible for a community team did not get one.
    UnservedReason, "unserved reason" {
        NoUnit = "no-unit": "no community team was available",
        OutsideHours = "outside-hours": "outside the program's service hours",
        OutsideArea = "outside-area": "outside the program's service area",
        CallerDeclined = "caller-declined": "the caller declined a community team",
        Safety = "safety": "a safety concern ruled it out",
        Other = "other": "another reason (say which in a note)",
    }
);

words!(
    /// Another agency a community team can ask for.
    Agency, "agency" {
        Police = "police": "police backup",
        Ems = "ems": "EMS (ambulance)",
        Fire = "fire": "fire department",
    }
);

words!(
    /// Local call types. Each maps to an APCO ANS 2.103 common incident code for export.
    CallType, "call type" {
        Welfare = "welfare": "welfare / wellness check",
        Unsheltered = "unsheltered": "unsheltered person needing help",
        BhCrisis = "bh-crisis": "behavioural-health crisis",
        Suicidal = "suicidal": "suicidal ideation or threat",
        SuicideAttempt = "suicide-attempt": "suicide attempt",
        Intox = "intox": "intoxicated person",
        Overdose = "overdose": "overdose",
        Transport = "transport": "non-emergency transport",
        Disorder = "disorder": "disorderly person / social disturbance",
        Trespass = "trespass": "trespass",
        Unconscious = "unconscious": "person unconscious",
        Drugs = "drugs": "drug use",
        Noise = "noise": "noise complaint",
        Assist = "assist": "citizen assist",
        Threats = "threats": "threats",
        Weapon = "weapon": "weapon involved",
        Fight = "fight": "fight in progress",
        Sick = "sick": "sick person / medical",
        Backup = "backup": "backup requested by a team",
        Info = "info": "information only",
    }
);

impl CallType {
    /// The APCO common incident code used in EIDO and CSV exports.
    pub fn apco(self) -> &'static str {
        match self {
            Self::Welfare => "WELFARE",
            Self::Unsheltered | Self::Assist => "CITASST",
            Self::BhCrisis => "EDP",
            Self::Suicidal => "SUICTHRT",
            Self::SuicideAttempt => "SUICIDE",
            Self::Intox => "INTOX",
            Self::Overdose => "OD",
            Self::Transport => "TRANSFER",
            Self::Disorder => "DISORD",
            Self::Trespass => "TRESPASS",
            Self::Unconscious => "PERUNCON",
            Self::Drugs => "DRUGS",
            Self::Noise => "NOISE",
            Self::Threats => "THREATS",
            Self::Weapon => "WEAPON",
            Self::Fight => "FIGHT",
            Self::Sick => "SICK",
            Self::Backup => "BACK",
            Self::Info => "INFO",
        }
    }

    /// Priority a call of this type gets when the call-taker gives none (1 is most urgent).
    pub fn default_priority(self) -> Priority {
        Priority(match self {
            Self::SuicideAttempt
            | Self::Overdose
            | Self::Unconscious
            | Self::Weapon
            | Self::Fight
            | Self::Backup => 1,
            Self::BhCrisis | Self::Suicidal | Self::Threats | Self::Sick => 2,
            Self::Welfare
            | Self::Unsheltered
            | Self::Intox
            | Self::Disorder
            | Self::Trespass
            | Self::Drugs => 3,
            Self::Transport | Self::Noise | Self::Assist | Self::Info => 4,
        })
    }

    /// Accepts the local word or its APCO code, in any case. An APCO code shared by several
    /// local types resolves to the first of them.
    pub fn parse_word_or_apco(s: &str) -> Result<Self, String> {
        s.parse().or_else(|e| {
            Self::ALL
                .iter()
                .copied()
                .find(|t| t.apco().eq_ignore_ascii_case(s))
                .ok_or(e)
        })
    }
}

/// Call priority, 1 (most urgent) to 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Priority(u8);

impl Priority {
    pub const MOST_URGENT: Priority = Priority(1);

    pub fn new(p: u8) -> Result<Self, String> {
        if (1..=4).contains(&p) {
            Ok(Self(p))
        } else {
            Err(format!(
                "priority {p} is out of range; use 1 (most urgent) to 4"
            ))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Priority {
    type Error = String;
    fn try_from(p: u8) -> Result<Self, String> {
        Self::new(p)
    }
}

impl From<Priority> for u8 {
    fn from(p: Priority) -> u8 {
        p.0
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let p: u8 = s.trim_start_matches(['p', 'P']).parse().map_err(|_| {
            format!(
                "priority {} is not a number; use 1 (most urgent) to 4",
                super::ids::shown(s)
            )
        })?;
        Self::new(p)
    }
}

/// What a view shows where a call's personal text was, once it is erased.
pub const ERASED: &str = "[erased]";

/// What a view shows where a restricted call's personal text is, to an operator it does not
/// name (or who has not opened it with `view`).
pub const RESTRICTED: &str = "[restricted]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse_in_any_case_and_round_trip() {
        for t in CallType::ALL {
            assert_eq!(t.word().to_uppercase().parse::<CallType>(), Ok(*t));
        }
        for s in UnitStatus::ALL {
            assert_eq!(s.word().to_lowercase().parse::<UnitStatus>(), Ok(*s));
        }
        assert_eq!(CallType::parse_word_or_apco("edp"), Ok(CallType::BhCrisis));
        assert_eq!(CallType::parse_word_or_apco("od"), Ok(CallType::Overdose));
    }

    #[test]
    fn unknown_word_lists_the_choices() {
        let err = "happy".parse::<Disposition>().unwrap_err();
        assert!(
            err.starts_with("unknown disposition 'happy'; one of: resolved,"),
            "{err}"
        );
        for (typed, meant) in [("hosp", "hospital"), ("clinican", "clinician")] {
            let err = typed.parse::<Disposition>().err().unwrap_or_default()
                + &typed.parse::<Capability>().err().unwrap_or_default();
            assert!(err.contains(&format!("did you mean '{meant}'?")), "{err}");
        }
    }

    #[test]
    fn priority_is_bounded() {
        assert!("0".parse::<Priority>().is_err());
        assert!("5".parse::<Priority>().is_err());
        assert_eq!("p2".parse::<Priority>().map(Priority::get), Ok(2));
    }
}
