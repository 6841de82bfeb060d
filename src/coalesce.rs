//! One send for a request's head and its first body bytes.
//!
//! ureq writes a request's head, then its body, each with its own send: a small append costs two
//! sends, and the server two wakeups, where one would do. [`Coalesce`] sits on the connection
//! (under TLS, when there is TLS) and holds back the first output of each request when it is small
//! (the head): it goes out with the next output (the body) in one send, or on its own before the
//! connection waits for an answer. The bytes and their order are unchanged; nothing is held while
//! an answer is awaited.
//!
//! ureq also probes a kept-alive connection twice between two requests (when it goes back to the
//! pool and when it is taken out again: three syscalls each). A probe that found the connection
//! open less than [`PROBE_FRESH`] ago, with nothing sent or received since, stands for the second.
//!
//! [`ServerErrorGuard`] sits on top (over TLS, where answers are plain text) and ends a connection
//! that brought a 5xx answer. The server, or a proxy in front of it, is in trouble: a retry on a new
//! connection may reach a healthy one, and an error body that does not end where its head said
//! (the answer to a HEAD has none, whatever length it names) is not left for the next request to
//! read as its answer. A probe would see such bytes only if they had arrived by then.

use std::fmt;
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// Held output is at most this: a request's head (a large body is sent as it comes).
const HOLD_MAX: usize = 16 * 1024;

/// How long a probe that found the connection open stands, with no I/O since.
const PROBE_FRESH: Duration = Duration::from_millis(1);

/// Wraps the connection made before it in the chain.
#[derive(Debug, Default)]
pub(crate) struct CoalesceConnector;

impl<In: Transport> Connector<In> for CoalesceConnector {
    type Out = Coalesce<In>;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Coalesce { inner, held: Vec::new(), first: true, probed: None }))
    }
}

/// A connection that sends a request's head with its body.
pub(crate) struct Coalesce<T> {
    inner: T,
    /// Output held back, to go out in front of the next.
    held: Vec<u8>,
    /// No output since the connection last waited for input: the next output starts a request.
    first: bool,
    /// When a probe last found the connection open, if nothing was sent or received since.
    probed: Option<Instant>,
}

impl<T> fmt::Debug for Coalesce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coalesce").field("held", &self.held.len()).finish_non_exhaustive()
    }
}

impl<T: Transport> Coalesce<T> {
    /// Sends what is held, on its own.
    fn release(&mut self, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let held = std::mem::take(&mut self.held);
        let output = self.inner.buffers().output();
        output[..held.len()].copy_from_slice(&held);
        let sent = self.inner.transmit_output(held.len(), timeout);
        self.held = held;
        self.held.clear();
        sent
    }
}

impl<T: Transport> Transport for Coalesce<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.probed = None;
        if std::mem::take(&mut self.first) && amount <= HOLD_MAX && amount <= self.inner.buffers().output().len() / 2 {
            let output = self.inner.buffers().output();
            self.held.extend_from_slice(&output[..amount]);
            return Ok(());
        }
        let held = self.held.len();
        if held == 0 {
            return self.inner.transmit_output(amount, timeout);
        }
        let output = self.inner.buffers().output();
        if held + amount <= output.len() {
            // The held head in front of this output, in the buffer: one send.
            output.copy_within(..amount, held);
            output[..held].copy_from_slice(&self.held);
            self.held.clear();
            return self.inner.transmit_output(held + amount, timeout);
        }
        // No room for both: the held bytes go first, from the buffer, with the bytes they cover
        // put aside and back.
        let covered = output[..held].to_vec();
        self.release(timeout)?;
        self.inner.buffers().output()[..held].copy_from_slice(&covered);
        self.inner.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.probed = None;
        self.release(timeout)?;
        self.first = true;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.probed = None;
        self.release(timeout)?;
        self.first = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        if self.probed.is_some_and(|at| at.elapsed() < PROBE_FRESH) {
            return true;
        }
        let open = self.inner.is_open();
        self.probed = open.then(Instant::now);
        open
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// Wraps the top of the chain, where answers are plain text.
#[derive(Debug, Default)]
pub(crate) struct ServerErrorGuardConnector;

impl<In: Transport> Connector<In> for ServerErrorGuardConnector {
    type Out = ServerErrorGuard<In>;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| ServerErrorGuard { inner, awaiting_status: false, server_error: false }))
    }
}

/// A connection that is not reused once it brought a 5xx answer.
#[derive(Debug)]
pub(crate) struct ServerErrorGuard<T> {
    inner: T,
    /// A request went out and its final status line has not been seen yet.
    awaiting_status: bool,
    server_error: bool,
}

impl<T: Transport> ServerErrorGuard<T> {
    /// Looks at the status line at the front of the input, once it is there.
    fn look(&mut self, got: bool) -> bool {
        let input = self.inner.buffers().input();
        if self.awaiting_status && input.len() >= 12 && input.starts_with(b"HTTP/") {
            match input[9] {
                // An interim answer (100 Continue): the final one follows.
                b'1' => {}
                class => {
                    self.awaiting_status = false;
                    self.server_error |= class == b'5';
                }
            }
        }
        got
    }
}

impl<T: Transport> Transport for ServerErrorGuard<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.awaiting_status = true;
        self.inner.transmit_output(amount, timeout)
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let got = self.inner.maybe_await_input(timeout)?;
        Ok(self.look(got))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let got = self.inner.await_input(timeout)?;
        Ok(self.look(got))
    }

    fn is_open(&mut self) -> bool {
        !self.server_error && self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::LazyBuffers;

    /// A connection that records each send.
    #[derive(Debug)]
    struct Recording {
        buffers: LazyBuffers,
        sends: Vec<Vec<u8>>,
        waits: usize,
        probes: usize,
        open: bool,
    }

    impl Transport for Recording {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, amount: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            self.sends.push(self.buffers.output()[..amount].to_vec());
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            self.waits += 1;
            Ok(true)
        }
        fn is_open(&mut self) -> bool {
            self.probes += 1;
            self.open
        }
    }

    fn connection(capacity: usize) -> Coalesce<Recording> {
        let buffers = LazyBuffers::new(1024, capacity);
        let inner = Recording { buffers, sends: Vec::new(), waits: 0, probes: 0, open: true };
        Coalesce { inner, held: Vec::new(), first: true, probed: None }
    }

    /// Writes `bytes` as ureq does: into the output buffer, then a transmit.
    fn send(c: &mut Coalesce<Recording>, bytes: &[u8]) {
        c.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        c.transmit_output(bytes.len(), NextTimeout::default()).unwrap();
    }

    fn wait(c: &mut Coalesce<Recording>) {
        c.await_input(NextTimeout::default()).unwrap();
    }

    #[test]
    fn a_head_goes_out_with_its_body_and_nothing_waits_held() {
        let mut c = connection(64 * 1024);
        let body = vec![b'b'; 1024];
        send(&mut c, b"POST /k HTTP/1.1\r\n\r\n");
        assert!(c.inner.sends.is_empty(), "the head is held");
        send(&mut c, &body);
        assert_eq!(c.inner.sends, vec![[&b"POST /k HTTP/1.1\r\n\r\n"[..], &body].concat()]);
        // The next request: a head with no body goes out before the connection waits.
        wait(&mut c);
        send(&mut c, b"GET /k HTTP/1.1\r\n\r\n");
        assert_eq!(c.inner.sends.len(), 1);
        wait(&mut c);
        assert_eq!(c.inner.sends[1], b"GET /k HTTP/1.1\r\n\r\n");
        assert_eq!(c.inner.waits, 2);
        // A body chunk after the first goes straight out, in order.
        wait(&mut c);
        send(&mut c, b"HEAD");
        send(&mut c, b"one");
        send(&mut c, b"two");
        assert_eq!(&c.inner.sends[2..], [b"HEADone".to_vec(), b"two".to_vec()]);
    }

    #[test]
    fn a_body_that_leaves_no_room_follows_the_head_in_order() {
        let mut c = connection(8 * 1024);
        let head = vec![b'h'; 100];
        let body: Vec<u8> = (0..8 * 1024).map(|i| (i % 251) as u8).collect();
        send(&mut c, &head);
        send(&mut c, &body);
        assert_eq!(c.inner.sends, vec![head, body]);
    }

    #[test]
    fn a_large_first_output_is_not_held() {
        let mut c = connection(8 * 1024);
        let big = vec![b'x'; 6 * 1024];
        send(&mut c, &big);
        assert_eq!(c.inner.sends, vec![big]);
    }

    #[test]
    fn a_fresh_probe_stands_for_the_next_one_until_any_io_or_a_millisecond() {
        let mut c = connection(8 * 1024);
        assert!(c.is_open() && c.is_open());
        assert_eq!(c.inner.probes, 1, "the second probe, right after the first, is the first's answer");
        send(&mut c, b"GET / HTTP/1.1\r\n\r\n");
        wait(&mut c);
        assert!(c.is_open());
        assert_eq!(c.inner.probes, 2, "I/O since: probed again");
        std::thread::sleep(PROBE_FRESH * 2);
        assert!(c.is_open());
        assert_eq!(c.inner.probes, 3, "a millisecond since: probed again");
        // A closed connection is never taken as open.
        c.inner.open = false;
        std::thread::sleep(PROBE_FRESH * 2);
        assert!(!c.is_open() && !c.is_open());
        assert_eq!(c.inner.probes, 5);
    }

    #[test]
    fn a_connection_that_brought_a_server_error_is_never_open_again() {
        let recording = |open| Recording {
            buffers: LazyBuffers::new(1024, 8 * 1024),
            sends: Vec::new(),
            waits: 0,
            probes: 0,
            open,
        };
        let guard = |open| ServerErrorGuard { inner: recording(open), awaiting_status: false, server_error: false };
        // A request goes out and `answer` comes in.
        let exchange = |c: &mut ServerErrorGuard<Recording>, answer: &[u8]| {
            c.buffers().output()[..5].copy_from_slice(b"GET /");
            c.transmit_output(5, NextTimeout::default()).unwrap();
            let input = c.inner.buffers.input_append_buf();
            input[..answer.len()].copy_from_slice(answer);
            c.inner.buffers.input_appended(answer.len());
            c.await_input(NextTimeout::default()).unwrap();
            let length = c.buffers().input().len();
            c.buffers().input_consume(length);
        };
        let mut c = guard(true);
        exchange(&mut c, b"HTTP/1.1 200 OK\r\n\r\n");
        exchange(&mut c, b"HTTP/1.1 404 Not Found\r\n\r\n<Error>HTTP/1.1 500</Error>");
        assert!(c.is_open(), "a 2xx or 4xx connection is kept");
        exchange(&mut c, b"HTTP/1.1 100 Continue\r\n\r\n");
        assert!(c.awaiting_status, "an interim answer is not the answer");
        exchange(&mut c, b"HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert!(!c.is_open(), "a 5xx connection is not");
        assert!(!guard(false).is_open(), "a closed connection is not open");
    }
}
