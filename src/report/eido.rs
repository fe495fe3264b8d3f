//! NENA EIDO (Emergency Incident Data Object, NENA-STA-021): the standard JSON form of an
//! incident for handing it between a 911 centre, a crisis line and Switchboard.
//!
//! - [`export`]: one document per call, from the folded state and the call's events.
//! - [`import`]: a document handed over by another centre, read into a hand-over the desk takes
//!   as a pending call; everything is checked before anything is written.
//! - [`codes`]: the one table from our words to the NENA registries' codes.
//! - `pidf`: locations by value (PIDF-LO civic addresses and points), written and read.
//! - `envelope`: EIDOs inside NENA-STA-024 messages, unwrapped.
//! - `text`, `json`: the small readers and writers both directions share.
//!
//! Identifiers: the agency is the replica (console store) that took the call, as
//! `urn:switchboard:<replica>`; agents are its operators (`…:agent:<name>`) and its units
//! (`…:unit:<callsign>`). The incident is `urn:emergency:uid:incidentid:<call id>:<replica>` —
//! or, for a call handed in, the sender's incident id, so both centres name one incident — and
//! every other component's `$id` is derived from the call, so exporting the same call twice
//! gives the same ids.
//!
//! `tests/it/eido.rs` validates every exported document against the shipped schema and the
//! NIEM components it points to. The schema has typos in some `required` lists (names that are
//! not among the properties it declares, such as `TimeStamp` for `Timestamp`): the validator
//! skips those names, and says so, rather than demand a misspelt field. Exports use the
//! declared spelling.

pub mod codes;
mod envelope;
pub mod export;
pub mod import;
mod json;
mod pidf;
mod text;

pub use export::{export, UNTYPED_APCO};
pub use import::{import, import_all, import_reader, read_value, MAX_DOCUMENT_BYTES, MAX_NOTES};
