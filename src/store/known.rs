//! The `known` tree: when this node first knew events whose origin's clock was off
//! (`domain::known`). This node's own times, beside the log and never in it: events are hashed
//! and forwarded byte for byte, and these times differ from node to node.
//!
//! origin (8 bytes BE) + seq (8 bytes BE) → first known here (ms, 8 bytes BE) + the origin's
//! clock minus ours then (ms, 8 bytes BE).

use crate::domain::{Known, KnownHere, ReplicaId};

/// Adds these times to the tree; made durable by the commit's flush and fsync that follow.
pub(super) fn write(tree: &sled::Tree, known: &[(ReplicaId, u64, Known)]) -> sled::Result<()> {
    let mut batch = sled::Batch::default();
    for (origin, seq, k) in known {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&origin.0.to_be_bytes());
        key[8..].copy_from_slice(&seq.to_be_bytes());
        let mut v = [0u8; 16];
        v[..8].copy_from_slice(&k.at_ms.to_be_bytes());
        v[8..].copy_from_slice(&k.skew_ms.to_be_bytes());
        batch.insert(&key[..], &v[..]);
    }
    tree.apply_batch(batch)
}

/// Every time in the tree. One that does not read is dropped: that event's ages then count
/// from its origin's clock, as they would without this record.
pub(super) fn load(tree: &sled::Tree) -> sled::Result<KnownHere> {
    let word = |b: &[u8], at: usize| -> Option<[u8; 8]> { b.get(at..at + 8)?.try_into().ok() };
    let mut known = KnownHere::default();
    for item in tree {
        let (k, v) = item?;
        let (Some(origin), Some(seq), Some(at), Some(skew)) =
            (word(&k, 0), word(&k, 8), word(&v, 0), word(&v, 8))
        else {
            continue;
        };
        known.insert(
            ReplicaId(u64::from_be_bytes(origin)),
            u64::from_be_bytes(seq),
            Known {
                at_ms: i64::from_be_bytes(at),
                skew_ms: i64::from_be_bytes(skew),
            },
        );
    }
    Ok(known)
}
