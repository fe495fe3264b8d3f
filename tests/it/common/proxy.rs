//! A loopback TCP proxy that black-holes a link the way a pulled cable does: after a number of
//! bytes towards the target it stops reading (and forwarding), keeping every socket open, so
//! the sender's buffers fill and its writes stall. Both ways, or towards the target only (the
//! target's frames still reach the dialler).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hole {
    /// Nothing is read or forwarded either way.
    BothWays,
    /// Nothing is read from the dialler or forwarded to the target; the target's bytes still
    /// reach the dialler.
    TowardsTarget,
}

pub struct BlackHole {
    /// Where the dialler connects.
    pub port: u16,
    holed: Arc<AtomicBool>,
}

impl BlackHole {
    /// Whether the hole has opened (the byte count was reached).
    pub fn holed(&self) -> bool {
        self.holed.load(Ordering::SeqCst)
    }
}

/// Forwards to 127.0.0.1:`target` until `after` bytes went towards it, then holes the link as
/// `hole` says; connections made after that are held open and never carried.
pub fn black_hole(target: u16, after: usize, hole: Hole) -> BlackHole {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // Small receive buffers (inherited by what it accepts), so a sender stalls after a few
    // megabytes rather than whatever the kernel would grow them to.
    rustix::net::sockopt::set_socket_recv_buffer_size(&listener, 64 * 1024).unwrap();
    let port = listener.local_addr().unwrap().port();
    let holed = Arc::new(AtomicBool::new(false));
    let flag = holed.clone();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        for inbound in listener.incoming().flatten() {
            if flag.load(Ordering::SeqCst) {
                // The cable is out: accepted, never read, never closed.
                kept.push(inbound);
                continue;
            }
            let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let (up_from, up_to) = (inbound.try_clone().unwrap(), outbound.try_clone().unwrap());
            let up = flag.clone();
            std::thread::spawn(move || pump(up_from, up_to, &up, Some(after)));
            let down = flag.clone();
            let stops = hole == Hole::BothWays;
            std::thread::spawn(move || {
                if stops {
                    pump(outbound, inbound, &down, None);
                } else {
                    // Carried until either side closes.
                    let _ = copy_all(outbound, inbound);
                }
            });
        }
    });
    BlackHole { port, holed }
}

/// Copies `from` to `to`; once `holed` (set here after `after` bytes, if given), stops reading
/// and holds both sockets open for good.
fn pump(mut from: TcpStream, mut to: TcpStream, holed: &AtomicBool, after: Option<usize>) {
    let mut buf = [0u8; 16 * 1024];
    let mut carried = 0;
    while !holed.load(Ordering::SeqCst) {
        let Ok(k) = from.read(&mut buf) else { return };
        if k == 0 || holed.load(Ordering::SeqCst) {
            break;
        }
        if to.write_all(&buf[..k]).is_err() {
            return;
        }
        carried += k;
        if after.is_some_and(|after| carried >= after) {
            holed.store(true, Ordering::SeqCst);
        }
    }
    // Nothing more is read; the sockets stay open as long as the test runs.
    loop {
        std::thread::sleep(Duration::from_secs(60));
        let _ = (&from, &to);
    }
}

fn copy_all(mut from: TcpStream, mut to: TcpStream) -> std::io::Result<u64> {
    std::io::copy(&mut from, &mut to)
}
