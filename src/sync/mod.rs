//! Peer links: pinned mutual TLS, the sync protocol, and the node that serves a desk.

pub mod session;
pub mod node;
