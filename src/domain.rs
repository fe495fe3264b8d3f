//! The pure model: no terminal, no disk, no sockets, no clock. `plan` decides, `State::apply`
//! folds; both are deterministic.

pub mod call;
pub mod command;
pub mod dispatch;
pub mod duplicates;
pub mod event;
pub mod handoff;
pub mod history;
pub mod ids;
pub mod intake;
pub mod known;
pub mod ledger;
pub mod place;
pub mod placement;
pub mod plan;
pub mod planning;
pub mod policy;
pub mod recommend;
pub mod restrict;
pub mod retention;
pub mod safety;
pub mod state;
pub mod text;
pub mod triage;
pub mod unit;
pub mod vocab;

pub use call::{Assignment, Call, CallStatus, Confirmed, Hold, Note};
pub use command::{Command, NewCall};
pub use event::{Body, CallField, Event, Hash, MAX_EVENT_BYTES};
pub use handoff::{Handover, IncomingNote, Taken};
pub use ids::{CallId, Callsign, ReplicaId};
pub use known::{Known, KnownHere};
pub use ledger::{Direction, Handoff, Stage, Written};
pub use place::{CivicAddress, Coords};
pub use placement::{Choice, Located, Placement};
pub use plan::{plan, query};
pub use planning::{Context, Refusal};
pub use policy::Policy;
pub use state::{Alert, Applied, Checkpoint, Snapshot, State, Trace};
pub use triage::{Protocol, Recommendation, ResponseType};
pub use unit::Unit;
pub use vocab::{Agency, CallType, Capability, Disposition, Priority, UnitStatus, UnservedReason};
