//! A realistic synthetic history (placeholder being written).
use crate::store::Store;
pub fn fill(_store: Store, _days: u32, _seed: u64, _now_ms: i64) -> Result<String, String> {
    Err("demo generator not written yet".into())
}
