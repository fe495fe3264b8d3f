//! One address of the list, as the call-taker sees it, and the columns it does not carry: what the
//! list is made of, read by openaddresses.rs and looked up by gazetteer.rs.

use crate::domain::place::Coords;

/// One address of the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Address {
    pub number: String,
    pub street: String,
    pub unit: String,
    pub city: String,
    pub district: String,
    pub postcode: String,
    pub coords: Coords,
}

impl Address {
    /// What the call-taker sees and what lookup matches: `1400 Colfax Ave, Unit 3, Denver`.
    /// Empty parts are left out; a bare unit designator (`3`, `B`, `#12A`) reads `Unit 3`, a
    /// worded one (`Apt 2`) stays as written.
    pub fn label(&self) -> String {
        let head = [self.number.as_str(), self.street.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let unit = unit_label(&self.unit);
        [head.as_str(), unit.as_str(), self.city.as_str()]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(super) fn unit_label(unit: &str) -> String {
    let unit = unit.trim();
    let bare = unit.strip_prefix('#').map_or(unit, str::trim_start);
    if bare.is_empty() {
        return String::new();
    }
    let designator = !bare.contains(char::is_whitespace)
        && (bare.starts_with(|c: char| c.is_ascii_digit()) || bare.chars().count() <= 2);
    if designator {
        format!("Unit {bare}")
    } else {
        unit.to_owned()
    }
}

/// The columns that `Address` does not carry, kept so that the list is saved back whole.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extra {
    pub region: String,
    pub id: String,
    pub hash: String,
}
