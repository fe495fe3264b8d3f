//! The command language: one registry of verbs, parsing and printing of command lines, and fuzzy
//! completion.

pub mod complete;
pub mod parse;
pub mod registry;

pub use complete::{complete, complete_with, Candidate};
pub use parse::{parse, print, ParseError, MAX_LINE_BYTES};
pub use registry::{Spec, COMMANDS};
