//! The hand-off ledger's records: which way a call went, where its hand-off stands, and who
//! wrote a note at the centre that handed it over. Data the fold, the events and the call all
//! carry, kept below them so they import it one way; deciding hand-offs is `handoff`'s job.

use serde::{Deserialize, Serialize};

use super::vocab::words;

words!(
    /// Which way a call went.
    Direction, "hand-off direction" {
        In = "in": "handed in to this centre",
        Out = "out": "handed out to a partner",
    }
);

words!(
    /// Where a hand-off stands, in the order it usually goes.
    Stage, "hand-off stage" {
        Sent = "sent": "sent to the partner, not yet received",
        Received = "received": "received, not yet accepted",
        Accepted = "accepted": "accepted",
        Rejected = "rejected": "rejected",
        Dispatched = "dispatched": "a unit is dispatched",
        OnScene = "on-scene": "a unit is on scene",
        Closed = "closed": "closed",
        Cancelled = "cancelled": "cancelled by the sender",
    }
);

impl Direction {
    /// "from" a partner (in), "to" one (out).
    pub fn preposition(self) -> &'static str {
        match self {
            Direction::In => "from",
            Direction::Out => "to",
        }
    }
}

impl Stage {
    /// A stage after which nothing more happens to the hand-off.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Rejected | Stage::Closed | Stage::Cancelled)
    }
}

/// One hand-off of a call, as the fold sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub partner: String,
    pub incident: String,
    pub direction: Direction,
    /// The last recorded stage (for a call handed in, `Call::handoff_stage` in `handoff` reads
    /// it from the call).
    pub stage: Stage,
    /// The reason or disposition given with the last stage.
    pub detail: Option<String>,
    /// When it was received (handed in) or sent (handed out).
    pub received_ms: i64,
    pub accepted_ms: Option<i64>,
    /// Every recorded stage with its time, oldest first.
    pub history: Vec<(Stage, i64)>,
    /// The partner's `requestForService` ids that asked for this call, oldest first: a
    /// `cancelRequest` names one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
}

/// Who wrote a note at another centre, and when (their clock); the event itself records who
/// brought it in here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub by: String,
    pub at_ms: i64,
}
