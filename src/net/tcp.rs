//! TCP for the HTTP client ([`crate::net::http`]): connecting to one of a host's addresses, timeouts
//! on a socket, and the liveness probe of a kept connection.
//!
//! A small append is one request and one answer, and every system call around them counts: the
//! loopback limit makes two (a send and a receive). So:
//! - probes with one `recv(MSG_PEEK | MSG_DONTWAIT)` (on Unix): open when it would block, closed at
//!   end of stream, an error, or bytes nobody asked for;
//! - keeps a socket timeout set while it is close to what is wanted: a timeout is set rounded down
//!   (to a sixteenth of itself at most), so the next request's slightly shorter one is the same
//!   value, and a read or write that the rounding ended early goes on, with the exact time left,
//!   until the wanted time is really spent. No deadline moves; calls are saved.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The least time one address of several is given to connect.
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Tries `addrs` in order, each with a share of the time left (half of it, and all of it for the
/// last), until one connects. A refusal or an unreachable address moves on to the next; so does a
/// timeout while time is left. The last failure is the one reported.
pub(crate) fn connect<T>(
    addrs: &[SocketAddr],
    budget: Option<Duration>,
    mut attempt: impl FnMut(&SocketAddr, Option<Duration>) -> io::Result<T>,
) -> io::Result<T> {
    let start = Instant::now();
    let mut last = None;
    for (i, addr) in addrs.iter().enumerate() {
        let left = match budget {
            Some(budget) => match budget.checked_sub(start.elapsed()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => break,
            },
            None => None,
        };
        let share = left.map(|left| if i + 1 == addrs.len() { left } else { (left / 2).max(MIN_PER_ADDRESS) });
        match attempt(addr, share) {
            Ok(stream) => return Ok(stream),
            Err(e) if moves_on(&e) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| match budget {
        Some(_) if !addrs.is_empty() => io::ErrorKind::TimedOut.into(),
        _ => io::Error::new(io::ErrorKind::ConnectionRefused, "no address to connect to"),
    }))
}

/// A failed connect that concerns only the address tried: the next may still answer.
fn moves_on(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionRefused
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::AddrNotAvailable
            | K::TimedOut
            | K::WouldBlock
    )
}

/// A socket timeout as set, and what it was set for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kept {
    /// What the socket has (`None`: blocking without a limit).
    set: Option<Duration>,
}

impl Kept {
    /// The timeout to set for `wanted`: rounded down to a step of at most a sixteenth of it, so that
    /// a slightly shorter wish next time is the same value.
    fn rounded(wanted: Duration) -> Duration {
        let nanos = wanted.as_nanos().min(u64::MAX as u128) as u64;
        let step = (nanos / 16).max(1).next_power_of_two() / 2;
        Duration::from_nanos((nanos - nanos % step.max(1)).max(1))
    }

    /// Sets the socket's timeout for `wanted` (rounded) unless it already has that value.
    fn ensure(
        &mut self,
        wanted: Option<Duration>,
        set: impl FnOnce(Option<Duration>) -> io::Result<()>,
    ) -> io::Result<()> {
        let value = wanted.map(Self::rounded);
        if value != self.set {
            set(value)?;
            self.set = value;
        }
        Ok(())
    }

    /// Sets exactly `left` (the rest of a wait the rounding cut short).
    fn exact(&mut self, left: Duration, set: impl FnOnce(Option<Duration>) -> io::Result<()>) -> io::Result<()> {
        set(Some(left))?;
        self.set = Some(left);
        Ok(())
    }
}

/// Whether an I/O error is a socket timeout (or a signal) rather than a failure.
fn is_wait_over(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted)
}

/// Runs `io` on `target` until it succeeds or fails for good, or `wanted` has passed since
/// `started` (the caller's reading of the clock, taken just before: no clock is read here unless a
/// wait ends early): a socket timeout (set by `set`, rounded, so maybe early) or a signal before
/// then goes on with the exact time left.
pub(crate) fn within<S: ?Sized, T>(
    wanted: Option<Duration>,
    started: Instant,
    kept: &mut Kept,
    target: &mut S,
    set: impl Fn(&S, Option<Duration>) -> io::Result<()>,
    mut io: impl FnMut(&mut S) -> io::Result<T>,
) -> io::Result<T> {
    kept.ensure(wanted, |d| set(target, d))?;
    loop {
        match io(target) {
            Err(e) if is_wait_over(&e) => {
                let Some(wanted) = wanted else {
                    // No limit: only a signal ends a blocking call; it is tried again.
                    if e.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Err(e);
                };
                match wanted.checked_sub(started.elapsed()) {
                    Some(left) if !left.is_zero() => kept.exact(left, |d| set(target, d))?,
                    _ => return Err(io::ErrorKind::TimedOut.into()),
                }
            }
            result => return result,
        }
    }
}

/// Whether a kept connection can carry a request: nothing to read and no end of stream, asked
/// without blocking in one call.
#[cfg(unix)]
pub(crate) fn probe(stream: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    loop {
        // SAFETY: one byte into a live local, on a descriptor this connection owns.
        let got = unsafe {
            libc::recv(stream.as_raw_fd(), (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT)
        };
        if got >= 0 {
            // 0: the server closed; 1: bytes nobody asked for.
            return false;
        }
        match io::Error::last_os_error().kind() {
            io::ErrorKind::WouldBlock => return true,
            io::ErrorKind::Interrupted => continue,
            _ => return false,
        }
    }
}

/// Whether a kept connection can carry a request (where `MSG_DONTWAIT` is not at hand).
#[cfg(not(unix))]
pub(crate) fn probe(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let open = matches!(stream.peek(&mut [0u8]), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    stream.set_nonblocking(false).is_ok() && open
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn a_timeout_is_set_rounded_down_and_kept_while_the_wish_is_close() {
        let mut kept = Kept::default();
        let mut sets = Vec::new();
        let mut set = |d: Option<Duration>| {
            sets.push(d);
            Ok(())
        };
        kept.ensure(Some(Duration::from_secs(30)), &mut set).unwrap();
        let first = kept.set.unwrap();
        assert!(first <= Duration::from_secs(30) && first >= Duration::from_secs(30) * 15 / 16, "{first:?}");
        // The next request's wish is a few milliseconds shorter: no new call.
        for shorter in [1, 5, 40, 900] {
            kept.ensure(Some(Duration::from_secs(30) - Duration::from_millis(shorter)), |d| {
                sets.push(d);
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(sets.len(), 1, "{sets:?}");
        // A much shorter wish is set, never a longer value than wished.
        kept.ensure(Some(Duration::from_secs(2)), |d| {
            sets.push(d);
            Ok(())
        })
        .unwrap();
        assert_eq!(sets.len(), 2);
        assert!(kept.set.unwrap() <= Duration::from_secs(2));
        kept.ensure(None, |d| {
            sets.push(d);
            Ok(())
        })
        .unwrap();
        assert_eq!(sets.last(), Some(&None));
        for wanted in [1u64, 999, 1_000_000, 1_000_001, 7_777_777, 123_456_789_012] {
            let wanted = Duration::from_nanos(wanted);
            let rounded = Kept::rounded(wanted);
            assert!(rounded <= wanted && !rounded.is_zero(), "{wanted:?} -> {rounded:?}");
        }
    }

    #[test]
    fn a_read_cut_short_by_the_rounding_waits_the_whole_time_wished() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let _server = listener.accept().unwrap();
        let mut kept = Kept::default();
        let wanted = Duration::from_millis(300);
        let mut client = client;
        let started = Instant::now();
        let result = within(
            Some(wanted),
            started,
            &mut kept,
            &mut client,
            |c, d| c.set_read_timeout(d),
            |c| c.read(&mut [0u8; 8]),
        );
        let waited = started.elapsed();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
        assert!(waited >= wanted, "gave up after {waited:?} of {wanted:?}");
        assert!(waited < wanted * 3, "{waited:?}");
    }

    #[test]
    fn the_probe_tells_an_idle_connection_from_a_closed_or_talking_one() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        assert!(probe(&client), "an idle connection is open");
        assert!(probe(&client), "the probe reads nothing");
        server.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(!probe(&client), "bytes nobody asked for");
        let mut byte = [0u8];
        (&client).read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x", "the probe left the byte where it was");
        drop(server);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!probe(&client), "the server closed");
    }

    #[test]
    fn connecting_moves_on_from_a_refusing_address_and_reports_the_last_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let refused = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let mut tried = Vec::new();
        let stream = connect(&[refused, open], Some(Duration::from_secs(5)), |addr, budget| {
            tried.push((*addr, budget));
            TcpStream::connect_timeout(addr, budget.unwrap())
        })
        .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        assert_eq!(tried.len(), 2);
        // The first of two gets about half the time, the last all that is left.
        assert!(tried[0].1.unwrap() <= Duration::from_millis(2600), "{tried:?}");
        assert!(tried[1].1.unwrap() > Duration::from_millis(4000), "{tried:?}");
        let e = connect(&[refused], None, |addr, _| TcpStream::connect(addr)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        let e = connect::<TcpStream>(&[], None, |_, _| unreachable!()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    }
}
