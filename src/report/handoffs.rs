//! The hand-off figures of a period: calls handed in from partners and out to them, how many
//! were accepted and rejected, and how long accepting took (the median; the middle one of an
//! odd number, the mean of the two middle ones of an even number).

use serde_json::{json, Value};

use crate::domain::{Direction, Stage};

/// One direction's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    pub count: u32,
    pub accepted: u32,
    pub rejected: u32,
    /// From received (in) or sent (out) to accepted, in ms.
    pub median_to_accept_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Handoffs {
    pub handed_in: Flow,
    pub handed_out: Flow,
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        i64::midpoint(v[n / 2 - 1], v[n / 2])
    })
}

/// One hand-off as the figures see it: which way, when it was received or sent, when it was
/// first accepted, and whether it was ever rejected. A call has one per partner and direction,
/// as the fold keeps them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandoffFacts {
    pub partner: String,
    pub direction: Direction,
    pub received_ms: i64,
    pub accepted_ms: Option<i64>,
    pub rejected: bool,
}

impl HandoffFacts {
    /// The hand-off as it stands after one more of its events.
    pub fn take(&mut self, stage: Stage, at: i64) {
        if stage == Stage::Accepted {
            self.accepted_ms.get_or_insert(at);
        }
        self.rejected |= stage == Stage::Rejected;
    }
}

/// The hand-offs received or sent in `[since, until)`.
pub fn figures<'a>(
    all: impl Iterator<Item = &'a HandoffFacts>,
    since: i64,
    until: i64,
) -> Handoffs {
    let mut waits = (Vec::new(), Vec::new());
    let mut out = Handoffs::default();
    for h in all {
        if h.received_ms < since || h.received_ms >= until {
            continue;
        }
        let (flow, wait) = match h.direction {
            Direction::In => (&mut out.handed_in, &mut waits.0),
            Direction::Out => (&mut out.handed_out, &mut waits.1),
        };
        flow.count += 1;
        if let Some(t) = h.accepted_ms {
            flow.accepted += 1;
            wait.push(t - h.received_ms);
        }
        if h.rejected {
            flow.rejected += 1;
        }
    }
    out.handed_in.median_to_accept_ms = median(waits.0);
    out.handed_out.median_to_accept_ms = median(waits.1);
    out
}

fn minutes(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "-".to_owned(),
        |ms| format!("{}:{:02}", ms / 60_000, (ms / 1000) % 60),
    )
}

/// The figures for a person, after the report's table.
pub fn text(h: &Handoffs) -> String {
    let line = |what: &str, f: &Flow| {
        format!(
            "{what:<12} {:>5} {:>9} {:>9}   {}\n",
            f.count,
            f.accepted,
            f.rejected,
            minutes(f.median_to_accept_ms)
        )
    };
    format!(
        "\nHand-offs     count  accepted  rejected   median to accept (m:ss)\n{}{}",
        line("handed in", &h.handed_in),
        line("handed out", &h.handed_out)
    )
}

/// The figures for a tool.
pub fn json(h: &Handoffs) -> Value {
    let flow = |f: &Flow| {
        json!({
            "count": f.count,
            "accepted": f.accepted,
            "rejected": f.rejected,
            "median_to_accept_s": f.median_to_accept_ms.map(|ms| ms as f64 / 1000.0),
        })
    };
    json!({ "handed_in": flow(&h.handed_in), "handed_out": flow(&h.handed_out) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 9]), Some(5));
        assert_eq!(median(vec![4, 1, 9, 2]), Some(3));
    }
}
