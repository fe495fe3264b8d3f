//! The acknowledgement record: per origin, the highest seq this store has made durable and that
//! event's hash, kept in two small files beside sled's own (`store/acked.0`, `store/acked.1`).
//!
//! sled can come back from a crash short of what it fsynced when one of its pages is damaged,
//! and then opens without a word. This record is written after each durable commit, before the
//! commit is acknowledged, so it never names more than sled made durable; on open, a sled that
//! holds less than the record names has gone back, and the store refuses to write on it.
//!
//! Two slots, written in turn: each write replaces the older slot in place (one `pwrite` and one
//! `fdatasync` per commit batch, the same size each time, so a full disk does not refuse it), and
//! carries a generation number and a SHA-256 of itself. A torn write leaves the other slot, one
//! commit behind, which is still a true lower bound: that commit was never acknowledged.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::domain::event::hash_bytes;
use crate::domain::ReplicaId;

use super::Head;

const MAGIC: &[u8; 8] = b"SBACKED1";
const ENTRY: usize = 8 + 8 + 32;
/// Magic, generation, count; then the entries; then the SHA-256 of all of that.
const HEADER: usize = 8 + 8 + 4;

pub(super) const FILES: [&str; 2] = ["acked.0", "acked.1"];

/// What the record said when the store opened.
#[derive(Debug)]
pub(super) enum Found {
    /// No record yet: a new store, or one made before the record existed.
    Nothing,
    /// The heads last acknowledged.
    Heads(BTreeMap<ReplicaId, Head>),
    /// Both slots are there but neither reads back whole.
    Damaged,
}

pub(super) struct Record {
    slots: [File; 2],
    generation: u64,
}

fn encode(generation: u64, heads: &BTreeMap<ReplicaId, Head>) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + heads.len() * ENTRY + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&(heads.len() as u32).to_be_bytes());
    for (origin, head) in heads {
        out.extend_from_slice(&origin.0.to_be_bytes());
        out.extend_from_slice(&head.seq.to_be_bytes());
        out.extend_from_slice(&head.hash);
    }
    let sum = hash_bytes(&out);
    out.extend_from_slice(&sum);
    out
}

fn decode(bytes: &[u8]) -> Option<(u64, BTreeMap<ReplicaId, Head>)> {
    let u64_at = |at: usize| -> Option<u64> {
        Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    };
    if bytes.get(..8)? != MAGIC {
        return None;
    }
    let generation = u64_at(8)?;
    let count = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?) as usize;
    let body = HEADER.checked_add(count.checked_mul(ENTRY)?)?;
    if bytes.len() != body + 32 || hash_bytes(&bytes[..body]) != bytes[body..] {
        return None;
    }
    let mut heads = BTreeMap::new();
    for i in 0..count {
        let at = HEADER + i * ENTRY;
        let hash = bytes.get(at + 16..at + 48)?.try_into().ok()?;
        heads.insert(
            ReplicaId(u64_at(at)?),
            Head {
                seq: u64_at(at + 8)?,
                hash,
            },
        );
    }
    Some((generation, heads))
}

impl Record {
    /// Opens (creating when missing) both slots in `store_dir` and reads what they hold.
    pub(super) fn open(store_dir: &Path) -> std::io::Result<(Record, Found)> {
        let mut existed = false;
        let mut open = |name: &str| -> std::io::Result<File> {
            let path = store_dir.join(name);
            existed |= path.exists();
            let mut options = OpenOptions::new();
            options.read(true).write(true).create(true).truncate(false);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(path)
        };
        let mut slots = [open(FILES[0])?, open(FILES[1])?];
        if !existed {
            super::sync_dir(store_dir)?;
        }
        let mut best: Option<(u64, BTreeMap<ReplicaId, Head>)> = None;
        let mut written = false;
        for slot in &mut slots {
            let mut bytes = Vec::new();
            slot.read_to_end(&mut bytes)?;
            written |= !bytes.is_empty();
            if let Some((generation, heads)) = decode(&bytes) {
                if best.as_ref().is_none_or(|(g, _)| generation > *g) {
                    best = Some((generation, heads));
                }
            }
        }
        let (generation, found) = match best {
            Some((generation, heads)) => (generation, Found::Heads(heads)),
            // Both empty: made, then killed before the first commit was recorded.
            None if !written => (0, Found::Nothing),
            None => (0, Found::Damaged),
        };
        Ok((Record { slots, generation }, found))
    }

    /// Records `heads` as acknowledged: durable when this returns.
    pub(super) fn write(&mut self, heads: &BTreeMap<ReplicaId, Head>) -> std::io::Result<()> {
        let generation = self.generation + 1;
        let bytes = encode(generation, heads);
        let slot = &mut self.slots[(generation % 2) as usize];
        slot.seek(SeekFrom::Start(0))?;
        slot.write_all(&bytes)?;
        slot.set_len(bytes.len() as u64)?;
        slot.sync_data()?;
        self.generation = generation;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(n: u64) -> BTreeMap<ReplicaId, Head> {
        (1..=n)
            .map(|i| {
                (
                    ReplicaId(i * 77),
                    Head {
                        seq: i * 1000,
                        hash: [i as u8; 32],
                    },
                )
            })
            .collect()
    }

    #[test]
    fn the_newest_whole_slot_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (mut record, found) = Record::open(dir.path()).unwrap();
        assert!(matches!(found, Found::Nothing));
        for n in 1..=5 {
            record.write(&heads(n)).unwrap();
        }
        drop(record);
        let (_, found) = Record::open(dir.path()).unwrap();
        assert!(matches!(found, Found::Heads(h) if h == heads(5)));

        // The newest slot torn: the one before it is still a true lower bound.
        let newest = dir.path().join(FILES[1]);
        let mut bytes = std::fs::read(&newest).unwrap();
        bytes[30] ^= 1;
        std::fs::write(&newest, &bytes).unwrap();
        let (_, found) = Record::open(dir.path()).unwrap();
        assert!(matches!(found, Found::Heads(h) if h == heads(4)));

        // Both damaged is said, never taken for "no record".
        std::fs::write(dir.path().join(FILES[0]), b"garbage").unwrap();
        let (_, found) = Record::open(dir.path()).unwrap();
        assert!(matches!(found, Found::Damaged));
    }

    #[test]
    fn short_and_long_bytes_never_decode() {
        let good = encode(3, &heads(2));
        assert!(decode(&good).is_some());
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_none());
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
    }
}
