//! The pure model: no terminal, no disk, no sockets, no clock. `plan` decides, `State::apply`
//! folds; both are deterministic.

pub mod call;
pub mod command;
pub mod event;
pub mod handoff;
pub mod history;
pub mod ids;
pub mod plan;
pub mod policy;
pub mod recommend;
pub mod safety;
pub mod state;
pub mod triage;
pub mod unit;
pub mod vocab;

pub use call::{Assignment, Call, CallStatus, Note};
pub use command::{Command, NewCall};
pub use event::{Body, CallField, CivicAddress, Event, Hash, Written, MAX_EVENT_BYTES};
pub use handoff::{Direction, Handoff, Handover, IncomingNote, Stage, Taken};
pub use ids::{CallId, Callsign, ReplicaId};
pub use plan::{plan, query, Context, Refusal};
pub use policy::Policy;
pub use state::{Alert, Applied, State};
pub use triage::{Protocol, Recommendation, ResponseType};
pub use unit::Unit;
pub use vocab::{Agency, CallType, Capability, Disposition, Priority, UnitStatus, UnservedReason};
