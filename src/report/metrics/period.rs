//! The period a report covers, the clock its hours of day read, and how it groups calls.

use std::fmt;
use std::str::FromStr;

use chrono::{Local, TimeZone, Timelike};
use serde::Serialize;

use super::HOUR_MS;

/// Which clock the hour-of-day buckets read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hours {
    #[default]
    Utc,
    Local,
}

/// The period `[since_ms, until_ms)` a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Period {
    pub since_ms: i64,
    pub until_ms: i64,
    pub hours: Hours,
}

impl Period {
    /// Hours of day in UTC.
    pub fn new(since_ms: i64, until_ms: i64) -> Self {
        Period {
            since_ms,
            until_ms,
            hours: Hours::Utc,
        }
    }

    /// Hours of day in this machine's local time.
    #[must_use]
    pub fn in_local_hours(mut self) -> Self {
        self.hours = Hours::Local;
        self
    }

    pub fn contains(&self, t: i64) -> bool {
        (self.since_ms..self.until_ms).contains(&t)
    }

    /// The part of `[from, to)` inside `[since, end)`, in ms.
    pub(super) fn clip(&self, from: i64, to: i64, end: i64) -> i64 {
        (to.min(end) - from.max(self.since_ms)).max(0)
    }

    pub(super) fn hour_of_day(&self, t: i64) -> usize {
        match self.hours {
            Hours::Utc => t.div_euclid(HOUR_MS).rem_euclid(24) as usize,
            Hours::Local => Local
                .timestamp_millis_opt(t)
                .single()
                .map_or(0, |d| d.hour() as usize),
        }
    }
}

/// How a report splits its figures.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// By call type (`untyped` when none).
    Type,
    /// By response (see the module docs; `untriaged` when there is none).
    Response,
    /// By zone (`none` when none).
    Zone,
    /// By unit: a call counts for every unit dispatched to it (`none` when no unit went).
    Unit,
}

impl GroupBy {
    pub fn word(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::Response => "response",
            Self::Zone => "zone",
            Self::Unit => "unit",
        }
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Type, Self::Response, Self::Zone, Self::Unit]
            .into_iter()
            .find(|g| g.word().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("cannot group by '{s}'; use type, response, zone or unit"))
    }
}
