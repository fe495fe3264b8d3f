pub mod desk;
pub mod keys;
pub mod pair;
pub mod partner;
pub mod proxy;
pub mod sandbox;
pub mod shift;
pub mod wire;

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Waits for `child` to exit, at most `limit`; past that it is killed and reaped, and `None`
/// says it hung.
pub fn wait_at_most(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
