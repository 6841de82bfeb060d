//! One send for a request's head and its first body bytes.
//!
//! ureq writes a request's head, then its body, each with its own send: a small append costs two
//! sends, and the server two wakeups, where one would do. [`Coalesce`] sits on the connection
//! (under TLS, when there is TLS) and holds back the first output of each request when it is small
//! (the head): it goes out with the next output (the body) in one send, or on its own before the
//! connection waits for an answer. The bytes and their order are unchanged; nothing is held while
//! an answer is awaited.

use std::fmt;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// Held output is at most this: a request's head (a large body is sent as it comes).
const HOLD_MAX: usize = 16 * 1024;

/// Wraps the connection made before it in the chain.
#[derive(Debug, Default)]
pub(crate) struct CoalesceConnector;

impl<In: Transport> Connector<In> for CoalesceConnector {
    type Out = Coalesce<In>;

    fn connect(&self, _details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Coalesce { inner, held: Vec::new(), first: true }))
    }
}

/// A connection that sends a request's head with its body.
pub(crate) struct Coalesce<T> {
    inner: T,
    /// Output held back, to go out in front of the next.
    held: Vec<u8>,
    /// No output since the connection last waited for input: the next output starts a request.
    first: bool,
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
        self.release(timeout)?;
        self.first = true;
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.release(timeout)?;
        self.first = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
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
            true
        }
    }

    fn connection(capacity: usize) -> Coalesce<Recording> {
        let inner = Recording { buffers: LazyBuffers::new(1024, capacity), sends: Vec::new(), waits: 0 };
        Coalesce { inner, held: Vec::new(), first: true }
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
}
