//! The one table from Switchboard's words to the NENA registries (NENA-STA-021.1b tables 3-3,
//! 3-5, 3-9 to 3-12, and the priority scale of `incidentCommonPriorityNumber`). Export writes
//! only codes from this table; a word of ours with no registry code travels as text beside it
//! (the `…InternalText` fields), never as an invented code. docs/eido.md prints the same table
//! ([`markdown`]; a test keeps the two equal) and a test checks every code against the
//! registries.

use std::fmt::Write as _;

use crate::domain::call::{Assignment, Call, CallStatus};
use crate::domain::{Capability, Disposition, Priority, UnitStatus};

/// Which EIDO field a row fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `incidentComponent.incidentCommonPriorityNumber`: 0–10, 10 the highest.
    Priority,
    /// `incidentComponent.incidentStatusCommonRegistryText` (registry: incident status).
    IncidentStatus,
    /// `emergencyResourceComponent[].primaryUnitStatusRegistryText`.
    PrimaryUnitStatus,
    /// `emergencyResourceComponent[].secondaryUnitStatusRegistryText`.
    SecondaryUnitStatus,
    /// `emergencyResourceComponent[].emergencyResourceTypeCommonRegistryText`.
    ResourceType,
    /// `emergencyResourceComponent[].resourceAttributeRegistryText`.
    ResourceAttribute,
    /// `incidentComponent.dispositionComponent[].dispositionCommonRegistryCode`.
    Disposition,
    /// `locationComponent[].locationTypeDescriptionRegistryText`.
    LocationType,
}

impl Field {
    /// The EIDO field, for people.
    pub fn name(self) -> &'static str {
        match self {
            Field::Priority => "incidentCommonPriorityNumber",
            Field::IncidentStatus => "incidentStatusCommonRegistryText",
            Field::PrimaryUnitStatus => "primaryUnitStatusRegistryText",
            Field::SecondaryUnitStatus => "secondaryUnitStatusRegistryText",
            Field::ResourceType => "emergencyResourceTypeCommonRegistryText",
            Field::ResourceAttribute => "resourceAttributeRegistryText",
            Field::Disposition => "dispositionCommonRegistryCode",
            Field::LocationType => "locationTypeDescriptionRegistryText",
        }
    }

    /// The registry's key in NENA-STA-021.1b's printed registries (`registries.json`), for
    /// fields whose registry it prints.
    pub fn registry(self) -> Option<&'static str> {
        match self {
            Field::IncidentStatus => Some("incident_status"),
            Field::PrimaryUnitStatus => Some("primary_unit"),
            Field::SecondaryUnitStatus => Some("secondary_unit"),
            Field::ResourceType => Some("resource_type"),
            Field::ResourceAttribute => Some("resource_attr"),
            Field::Disposition => Some("disposition"),
            Field::Priority | Field::LocationType => None,
        }
    }
}

/// One of our words and the code it is written as (`None`: no registry code; the word travels
/// as text beside the field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub field: Field,
    pub ours: &'static str,
    pub code: Option<&'static str>,
    /// What the code means, or how it is read back.
    pub note: &'static str,
}

const fn row(field: Field, ours: &'static str, code: &'static str, note: &'static str) -> Row {
    Row {
        field,
        ours,
        code: Some(code),
        note,
    }
}

const fn text(field: Field, ours: &'static str, note: &'static str) -> Row {
    Row {
        field,
        ours,
        code: None,
        note,
    }
}

use Field::{
    Disposition as Disp, IncidentStatus as Inc, LocationType as Loc, PrimaryUnitStatus as Prim,
    Priority as Pri, ResourceAttribute as Attr, ResourceType as Res, SecondaryUnitStatus as Sec,
};

/// The table. Reading back, the first row with a code gives our word.
pub const TABLE: &[Row] = &[
    row(Pri, "P1", "10", "9 and 10 read as P1"),
    row(Pri, "P2", "7", "6 to 8 read as P2"),
    row(Pri, "P3", "4", "3 to 5 read as P3"),
    row(Pri, "P4", "1", "0 to 2 read as P4"),
    row(Inc, "pending", "Active", "taken, no unit yet"),
    row(Inc, "dispatched", "ResourcesAssigned", "a unit dispatched"),
    row(
        Inc,
        "dispatched, en route",
        "ResourcesEnroute",
        "a unit on its way",
    ),
    row(Inc, "on scene", "ResourcesOnscene", "a unit on scene"),
    row(Inc, "closed", "Closed", ""),
    row(Inc, "closed as cancelled", "Cancelled", "with Closed"),
    row(Inc, "reopened", "ReOpened", "with the status it is in"),
    row(Prim, "AVL", "Available", ""),
    row(Prim, "DSP", "NotAvailable", ""),
    row(Prim, "ENR", "NotAvailable", ""),
    row(Prim, "ONS", "NotAvailable", ""),
    row(Prim, "TRN", "NotAvailable", ""),
    row(
        Prim,
        "ATF",
        "ConditionallyAvailable",
        "handing over at the facility",
    ),
    row(Prim, "OOS", "NotAvailable", ""),
    row(Sec, "cleared", "Cleared", "the unit left this call"),
    row(Sec, "DSP", "Dispatched", ""),
    row(Sec, "ENR", "EnRoute", ""),
    row(Sec, "ONS", "OnScene", ""),
    row(Sec, "TRN", "Transporting", ""),
    row(
        Sec,
        "ATF",
        "AlternateLocation",
        "at a shelter, sobering or crisis centre, or hospital",
    ),
    row(Sec, "OOS", "OutofService", ""),
    row(Sec, "AVL", "InService", ""),
    row(
        Res,
        "community team",
        "CrisisInterventionUnit",
        "clinician, medic, EMT or peer teams",
    ),
    row(
        Res,
        "police",
        "PatrolUnit",
        "a unit with the police capability",
    ),
    row(
        Res,
        "fire",
        "StructureFireEngineType1",
        "a unit with the fire capability",
    ),
    row(Res, "ems, with a medic", "GroundALSAmbulance", ""),
    row(Res, "ems", "GroundBLSAmbulance", ""),
    row(Attr, "clinician", "CrisisInterventionSpecialist", ""),
    row(Attr, "medic", "Paramedic", ""),
    row(Attr, "emt", "EMT", ""),
    text(
        Attr,
        "peer",
        "no registry code: resourceAttributeInternalText",
    ),
    text(
        Attr,
        "police",
        "no registry code: resourceAttributeInternalText",
    ),
    row(Attr, "fire", "Firefighter", ""),
    text(Attr, "ems", "the resource type says it"),
    row(
        Disp,
        "resolved",
        "43",
        "Patient Treated, Released (Without Transport)",
    ),
    row(Disp, "community-transport", "16", "Transport/Escort Given"),
    row(Disp, "hospital", "16", "Transport/Escort Given"),
    row(Disp, "declined", "42", "Patient Refused Evaluation/Care"),
    row(
        Disp,
        "gone",
        "14",
        "Gone On Arrival (GOA)/Unable To Locate (UATL)",
    ),
    row(Disp, "duplicate", "22", "Cancelled - Duplicate Call"),
    row(Disp, "police-needed", "15", "Referred to partner agency"),
    row(Disp, "ems-needed", "15", "Referred to partner agency"),
    row(Disp, "referred-988", "15", "Referred to partner agency"),
    row(
        Disp,
        "follow-up",
        "41",
        "Patient Evaluated, No Treatment/Transport Required",
    ),
    row(
        Disp,
        "cancelled",
        "32",
        "Cancelled (Prior to Arrival at Scene)",
    ),
    row(Loc, "the call's location", "CurrentIncident", ""),
];

/// The code for one of our words in a field.
pub fn code(field: Field, ours: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|r| r.field == field && r.ours == ours)
        .and_then(|r| r.code)
}

/// Our word for a code, read back: the first row that writes it.
pub fn ours(field: Field, code: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|r| r.field == field && r.code.is_some_and(|c| c.eq_ignore_ascii_case(code.trim())))
        .map(|r| r.ours)
}

/// A priority on the 0–10 scale, 10 highest.
pub fn priority_number(p: Priority) -> u8 {
    code(Pri, &format!("P{p}"))
        .and_then(|c| c.parse().ok())
        .unwrap_or(4)
}

/// A 0–10 priority read back: the bands of [`TABLE`]'s notes (9–10 P1, 6–8 P2, 3–5 P3, 0–2
/// P4). Outside the scale gives none.
pub fn priority_from_number(n: u64) -> Option<Priority> {
    let p = match n {
        9..=10 => 1,
        6..=8 => 2,
        3..=5 => 3,
        0..=2 => 4,
        _ => return None,
    };
    Priority::new(p).ok()
}

/// The incident status codes for a call: its state, and `ReOpened` once reopened and open.
pub fn incident_status(call: &Call, reopened: bool) -> Vec<&'static str> {
    let en_route = call.active_units().any(|a| a.status == UnitStatus::EnRoute);
    let mut words = vec![match call.status {
        CallStatus::Pending => "pending",
        CallStatus::Dispatched if en_route => "dispatched, en route",
        CallStatus::Dispatched => "dispatched",
        CallStatus::OnScene => "on scene",
        CallStatus::Closed => "closed",
    }];
    if call.disposition == Some(Disposition::Cancelled) {
        words.push("closed as cancelled");
    }
    if reopened && call.is_open() {
        words.push("reopened");
    }
    words.into_iter().filter_map(|w| code(Inc, w)).collect()
}

/// Primary and secondary unit status of one assignment: where the unit stands on this call
/// (`cleared` once it has left it).
pub fn unit_status(a: &Assignment) -> (&'static str, Vec<&'static str>) {
    if a.is_active() {
        let w = a.status.word();
        (
            code(Prim, w).unwrap_or("NotAvailable"),
            code(Sec, w).into_iter().collect(),
        )
    } else {
        (
            code(Prim, "AVL").unwrap_or("Available"),
            code(Sec, "cleared").into_iter().collect(),
        )
    }
}

/// Primary and secondary status of a unit as the roster has it.
pub fn roster_status(status: UnitStatus) -> (&'static str, Vec<&'static str>) {
    let w = status.word();
    (
        code(Prim, w).unwrap_or("NotAvailable"),
        code(Sec, w).into_iter().collect(),
    )
}

/// The resource type of a unit with these capabilities.
pub fn resource_type(capabilities: &[Capability]) -> &'static str {
    let word = if capabilities.contains(&Capability::Police) {
        "police"
    } else if capabilities.contains(&Capability::Fire) {
        "fire"
    } else if capabilities.contains(&Capability::Ems) {
        if capabilities.contains(&Capability::Medic) {
            "ems, with a medic"
        } else {
            "ems"
        }
    } else {
        "community team"
    };
    code(Res, word).unwrap_or("CrisisInterventionUnit")
}

/// The attribute codes of these capabilities; capabilities without one are left to the text.
pub fn attributes(capabilities: &[Capability]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = capabilities
        .iter()
        .filter_map(|c| code(Attr, c.word()))
        .collect();
    out.dedup();
    out
}

pub fn disposition(d: Disposition) -> &'static str {
    code(Disp, d.word()).unwrap_or("13")
}

/// Our disposition for a partner's code, when one of ours writes it (several may: the first).
pub fn disposition_from(code_text: &str) -> Option<Disposition> {
    ours(Disp, code_text).and_then(|w| w.parse().ok())
}

/// The location type of the call's location.
pub const INCIDENT_LOCATION: &str = "CurrentIncident";

/// The table as Markdown, for docs/eido.md.
pub fn markdown() -> String {
    let mut out = String::from("| field | ours | code | note |\n|---|---|---|---|\n");
    for r in TABLE {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            r.field.name(),
            r.ours,
            r.code.map_or_else(|| "—".to_owned(), |c| format!("`{c}`")),
            r.note
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_map_both_ways_with_ten_highest() {
        for p in 1..=4 {
            let p = Priority::new(p).unwrap();
            assert_eq!(priority_from_number(u64::from(priority_number(p))), Some(p));
        }
        assert_eq!(priority_number(Priority::MOST_URGENT), 10);
        assert_eq!(priority_from_number(9), Priority::new(1).ok());
        assert_eq!(priority_from_number(0), Priority::new(4).ok());
        assert_eq!(priority_from_number(11), None);
    }

    #[test]
    fn every_word_of_ours_has_a_row() {
        for d in Disposition::ALL {
            assert!(code(Disp, d.word()).is_some(), "{d}");
        }
        for s in UnitStatus::ALL {
            assert!(code(Prim, s.word()).is_some(), "{s}");
            assert!(code(Sec, s.word()).is_some(), "{s}");
        }
        for c in Capability::ALL {
            assert!(
                TABLE.iter().any(|r| r.field == Attr && r.ours == c.word()),
                "{c}"
            );
        }
        assert_eq!(
            disposition_from("16"),
            Some(Disposition::CommunityTransport)
        );
        assert_eq!(disposition_from("99"), None);
    }
}
