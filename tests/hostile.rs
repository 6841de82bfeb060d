//! The client against servers that misbehave on purpose: garbage, every truncation of a recorded
//! response, a drip of one byte a second, endless headers, endless bodies, a 100 Continue with nothing
//! after it. Each call must end within the configured timeouts with a typed error (never a hang,
//! never a panic), read a bounded number of bytes, and never call an append whose bytes may have
//! landed "safe to retry".
//!
//! The servers here are plain TCP sockets, so these tests always run over HTTP.

mod common;

use common::{data, emulator, AK, BUCKET, SK};
use oss_append::{AppendOptions, ByteRange, Client, Credentials, Error, PutOptions, RetryPolicy, TimeoutKind};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The read/write timeout of every client here.
const RW: Duration = Duration::from_secs(2);
/// Attempts per call (one try and two retries).
const ATTEMPTS: u32 = 3;
/// The most bytes a server below may push at a client that does not stop reading.
const FLOOD_CAP: u64 = 1 << 30;
/// What a client may have taken in (socket buffers included) before it stops reading an endless answer.
const READ_BOUND: u64 = 32 << 20;

/// One accepted connection of a hostile server.
struct Conn {
    stream: TcpStream,
    written: Arc<AtomicU64>,
}

impl Conn {
    /// Reads a request's head, and its body when `with_body`; `None` when the client went away.
    fn read_request(&mut self, with_body: bool) -> Option<()> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 1 << 20 || self.stream.read(&mut byte).ok()? == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let length: u64 = text
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        if with_body {
            std::io::copy(&mut (&mut self.stream).take(length), &mut std::io::sink()).ok()?;
        }
        Some(())
    }

    /// Writes `bytes`, counting what went out; false once the client is gone.
    fn send(&mut self, bytes: &[u8]) -> bool {
        match self.stream.write_all(bytes) {
            Ok(()) => {
                self.written.fetch_add(bytes.len() as u64, Ordering::SeqCst);
                true
            }
            Err(_) => false,
        }
    }

    /// Writes `bytes` one at a time, `every` apart.
    fn drip(&mut self, bytes: &[u8], every: Duration) {
        for byte in bytes {
            if !self.send(std::slice::from_ref(byte)) {
                return;
            }
            thread::sleep(every);
        }
    }

    /// Writes `chunk` again and again until the client closes (or [`FLOOD_CAP`]).
    fn flood(&mut self, chunk: &[u8]) {
        while self.written.load(Ordering::SeqCst) < FLOOD_CAP {
            if !self.send(chunk) {
                return;
            }
        }
    }

    fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// A server that runs `script` on each connection.
struct Hostile {
    port: u16,
    written: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
}

impl Hostile {
    fn start(script: impl Fn(Conn) + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let written = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(script);
        let (count, total) = (connections.clone(), written.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let (script, written) = (script.clone(), total.clone());
                thread::spawn(move || script(Conn { stream, written }));
            }
        });
        Hostile { port, written, connections }
    }

    /// Answers every request with `bytes` and closes the connection.
    fn answering(bytes: Vec<u8>) -> Hostile {
        Hostile::start(move |mut conn| {
            if conn.read_request(true).is_some() {
                conn.send(&bytes);
            }
            conn.close();
        })
    }

    fn client(&self) -> Client {
        self.client_with(None)
    }

    fn client_with(&self, request_timeout: Option<Duration>) -> Client {
        Client::builder()
            .endpoint(format!("http://127.0.0.1:{}", self.port))
            .region("cn-hangzhou")
            .credentials(Credentials::new(AK, SK))
            .retry_policy(RetryPolicy {
                max_attempts: ATTEMPTS,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
            })
            .connect_timeout(RW)
            .read_write_timeout(RW)
            .request_timeout(request_timeout)
            .build()
            .unwrap()
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

/// The calls a client makes, each against the hostile server.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Append,
    Head,
    Get,
    GetRange,
    Put,
    Delete,
}

const OPS: [Op; 6] = [Op::Append, Op::Head, Op::Get, Op::GetRange, Op::Put, Op::Delete];

/// What a call returned, in short.
#[derive(Debug)]
enum Outcome {
    Appended(u64),
    Read(Vec<u8>),
    Done,
}

fn call(client: &Client, op: Op) -> Result<Outcome, Error> {
    match op {
        Op::Append => client
            .append_object(BUCKET, "a.log", b"hello", &AppendOptions::new().position(0))
            .map(|r| Outcome::Appended(r.next_position)),
        Op::Head => client.head_object(BUCKET, "a.log").map(|_| Outcome::Done),
        Op::Get => client.get_object_to_vec(BUCKET, "a.log", None).map(Outcome::Read),
        Op::GetRange => {
            client.get_object_to_vec(BUCKET, "a.log", Some(ByteRange::Span { first: 1, last: 3 })).map(Outcome::Read)
        }
        Op::Put => client.put_object(BUCKET, "p", &b"put"[..], &PutOptions::new()).map(|_| Outcome::Done),
        Op::Delete => client.delete_object(BUCKET, "a.log").map(|_| Outcome::Done),
    }
}

/// Runs `op` on another thread and fails the test if it takes longer than `bound` (a hang).
fn within(bound: Duration, client: Client, op: Op) -> (Result<Outcome, Error>, Duration) {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    thread::spawn(move || {
        let _ = tx.send(call(&client, op));
    });
    match rx.recv_timeout(bound) {
        Ok(result) => (result, started.elapsed()),
        Err(_) => panic!("{op:?} did not end within {bound:?}: a hang"),
    }
}

/// The rule for appends: an error after the body may have reached the server is never retryable
/// (the client settles it, and an append it cannot settle is `Unsettled`).
fn assert_not_called_safe(op: Op, result: &Result<Outcome, Error>, what: &str) {
    if let (Op::Append, Err(err)) = (op, result) {
        assert!(!err.is_retryable(), "{what}: an append that may have landed was called retryable: {err:?}");
    }
}

/// The bytes of one response of the emulator to `op`, recorded by a proxy between a client and it.
fn record(op: Op) -> Vec<u8> {
    let emu = emulator();
    let upstream = emu.addr();
    let setup = common::client(&emu);
    setup.append_object(BUCKET, "a.log", b"hello", &AppendOptions::new().position(0)).unwrap();
    setup.append_object(BUCKET, "conflict.log", b"x", &AppendOptions::new().position(0)).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let tape = recorded.clone();
    let proxy = thread::spawn(move || {
        let (mut downstream, _) = listener.accept().unwrap();
        let mut server = TcpStream::connect(upstream).unwrap();
        let (mut to_server, mut from_client) = (server.try_clone().unwrap(), downstream.try_clone().unwrap());
        let forward = thread::spawn(move || {
            let _ = std::io::copy(&mut from_client, &mut to_server);
            let _ = to_server.shutdown(Shutdown::Write);
        });
        let mut buf = [0u8; 4096];
        loop {
            match server.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    tape.lock().unwrap().extend_from_slice(&buf[..n]);
                    let _ = downstream.write_all(&buf[..n]);
                }
            }
        }
        let _ = downstream.shutdown(Shutdown::Both);
        forward.join().unwrap();
    });
    {
        let hostile = Hostile { port, written: Arc::default(), connections: Arc::default() };
        let client = hostile.client();
        match op {
            // The recorded error: an append at a position the object is past.
            Op::Put => {
                let err =
                    client.append_object(BUCKET, "conflict.log", b"y", &AppendOptions::new().position(0)).unwrap_err();
                assert!(err.service().is_some_and(|e| e.is_position_not_equal_to_length()), "{err:?}");
            }
            Op::Append => {
                setup.delete_object(BUCKET, "a.log").unwrap();
                call(&client, op).unwrap();
            }
            _ => {
                call(&client, op).unwrap();
            }
        }
    }
    proxy.join().unwrap();
    let bytes = recorded.lock().unwrap().clone();
    assert!(bytes.starts_with(b"HTTP/1.1 "), "recorded: {}", String::from_utf8_lossy(&bytes));
    bytes
}

/// Where a response's head ends (after its blank line).
fn head_end(response: &[u8]) -> usize {
    response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
}

#[test]
fn every_truncation_of_a_recorded_response_is_an_error_and_the_whole_one_is_understood() {
    // (what the response answers, the call that gets it, the recorded bytes)
    let cases = [
        ("an append's 200", Op::Append, record(Op::Append)),
        ("a HEAD's 200", Op::Head, record(Op::Head)),
        ("a GET's 200", Op::Get, record(Op::Get)),
        ("a ranged GET's 206", Op::GetRange, record(Op::GetRange)),
        ("an append's 409", Op::Append, record(Op::Put)),
    ];
    for (what, op, response) in cases {
        let end = head_end(&response);
        let has_body = end < response.len();
        for cut in 0..=response.len() {
            let server = Hostile::answering(response[..cut].to_vec());
            let bound = RW * (2 * ATTEMPTS + 2);
            let (result, _) = within(bound, server.client(), op);
            let case = format!("{what} cut at {cut} of {}", response.len());
            assert_not_called_safe(op, &result, &case);
            let whole = cut == response.len() || (cut >= end && !has_body);
            match (&result, what) {
                (Ok(Outcome::Appended(next)), "an append's 200") if whole => assert_eq!(*next, 5, "{case}"),
                (Ok(Outcome::Done), "a HEAD's 200") if whole => {}
                (Ok(Outcome::Read(bytes)), "a GET's 200") if whole => assert_eq!(bytes, b"hello", "{case}"),
                (Ok(Outcome::Read(bytes)), "a ranged GET's 206") if whole => assert_eq!(bytes, b"ell", "{case}"),
                // The status and headers are enough to know the error, with or without its body.
                (Err(err), "an append's 409") if cut >= end => {
                    assert!(err.service().is_some_and(|e| e.is_position_not_equal_to_length()), "{case}: {err:?}")
                }
                (Err(_), _) if !whole => {}
                _ => panic!("{case}: {result:?}"),
            }
        }
    }
}

/// A deterministic generator of junk.
fn junk(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[test]
fn garbage_is_a_typed_error_for_every_call() {
    for seed in 0..64u64 {
        let mut answer = match seed % 4 {
            // Bytes with no shape at all.
            0 => Vec::new(),
            // A status line, then junk where the headers should be.
            1 => b"HTTP/1.1 200 OK\r\n".to_vec(),
            // An error status whose body is junk.
            2 => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 300\r\n\r\n".to_vec(),
            // A success with a malformed framing header.
            _ => b"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n".to_vec(),
        };
        answer.extend(junk(seed, 300));
        for op in OPS {
            let server = Hostile::answering(answer.clone());
            let (result, _) = within(RW * (2 * ATTEMPTS + 2), server.client(), op);
            let case = format!("seed {seed}, {op:?}");
            assert_not_called_safe(op, &result, &case);
            match (&result, op) {
                (Err(Error::Network { .. } | Error::Protocol(_) | Error::Unsettled(_) | Error::Service(_)), _) => {}
                // Junk after a 200's head is a body the server may send when it names no length.
                (Ok(Outcome::Read(_)), Op::Get) | (Ok(Outcome::Done), Op::Head | Op::Put | Op::Delete)
                    if seed % 4 == 1 || seed % 4 == 3 => {}
                _ => panic!("{case}: {result:?}"),
            }
        }
    }
}

#[test]
fn a_drip_of_one_byte_a_second_in_the_head_ends_within_the_read_write_timeout() {
    let response = record(Op::Head);
    // Each byte comes well within the read timeout: only a limit on the whole head ends this.
    let server = Hostile::start(move |mut conn| {
        if conn.read_request(true).is_some() {
            conn.drip(&response, Duration::from_secs(1));
        }
    });
    let (result, took) = within(RW * (ATTEMPTS + 3), server.client(), Op::Head);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(took < RW * ATTEMPTS + Duration::from_secs(2), "{took:?}");
}

#[test]
fn a_dripped_append_answer_is_settled_or_unsettled_never_retryable() {
    let response = record(Op::Append);
    let server = Hostile::start(move |mut conn| {
        if conn.read_request(true).is_some() {
            conn.drip(&response, Duration::from_secs(1));
        }
    });
    // The append and each HEAD that tries to settle it time out.
    let (result, took) = within(RW * (2 * ATTEMPTS + 3), server.client(), Op::Append);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Unsettled(_)), "{err:?}");
    // Each attempt of the append, then each HEAD that tries to settle it, waits out one timeout.
    assert_eq!(server.connections.load(Ordering::SeqCst), 2 * ATTEMPTS as usize);
    assert!(took < RW * (2 * ATTEMPTS) + Duration::from_secs(3), "{took:?}");
}

#[test]
fn a_dripped_body_ends_at_the_request_timeout() {
    let mut response = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n".to_vec();
    response.extend(data(100_000, 1));
    let server = Hostile::start(move |mut conn| {
        if conn.read_request(true).is_some() {
            let (head, body) = response.split_at(head_end(&response));
            conn.send(head);
            conn.drip(body, Duration::from_millis(500));
        }
    });
    let request_timeout = Duration::from_secs(3);
    let (result, took) = within(Duration::from_secs(10), server.client_with(Some(request_timeout)), Op::Get);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(took < request_timeout + Duration::from_secs(2), "{took:?}");
}

#[test]
fn a_dripped_error_body_ends_within_the_read_write_timeout() {
    let server = Hostile::start(move |mut conn| {
        if conn.read_request(true).is_some() {
            conn.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 100000\r\n\r\n<?xml version=\"1.0\"?>");
            conn.drip(&[b' '; 100_000], Duration::from_millis(500));
        }
    });
    let (result, took) = within(RW * (3 * ATTEMPTS + 2), server.client(), Op::Delete);
    let err = result.unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(503), "{err:?}");
    assert!(took < (RW * 2 + Duration::from_secs(1)) * ATTEMPTS, "{took:?}");
}

#[test]
fn endless_headers_are_refused_after_a_bounded_read() {
    let server = Hostile::start(|mut conn| {
        if conn.read_request(true).is_some() && conn.send(b"HTTP/1.1 200 OK\r\n") {
            conn.flood(format!("x-oss-meta-junk: {}\r\n", "j".repeat(1000)).as_bytes());
        }
    });
    for op in OPS {
        let (result, _) = within(RW * (2 * ATTEMPTS + 2), server.client(), op);
        assert_not_called_safe(op, &result, "endless headers");
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Protocol(_) | Error::Network { .. } | Error::Unsettled(_)), "{op:?}: {err:?}");
    }
    let per_connection = server.written() / server.connections.load(Ordering::SeqCst) as u64;
    assert!(per_connection < READ_BOUND, "{per_connection} bytes taken in on one connection");
}

#[test]
fn an_endless_error_body_is_read_only_so_far() {
    let server = Hostile::start(|mut conn| {
        if conn.read_request(true).is_some()
            && conn.send(
                b"HTTP/1.1 500 Internal Server Error\r\nx-oss-request-id: R1\r\nTransfer-Encoding: chunked\r\n\r\n",
            )
        {
            let chunk = format!("{:x}\r\n{}\r\n", 4096, "e".repeat(4096));
            conn.flood(chunk.as_bytes());
        }
    });
    for op in OPS {
        let (result, _) = within(RW * (2 * ATTEMPTS + 2), server.client(), op);
        assert_not_called_safe(op, &result, "endless error body");
        let err = result.unwrap_err();
        let status = match &err {
            Error::Unsettled(u) => u.cause.service().map(|e| e.status),
            other => other.service().map(|e| e.status),
        };
        assert!(status == Some(500) || matches!(err, Error::Unsettled(_)), "{op:?}: {err:?}");
    }
    let per_connection = server.written() / server.connections.load(Ordering::SeqCst) as u64;
    assert!(per_connection < READ_BOUND, "{per_connection} bytes taken in on one connection");
}

#[test]
fn a_connection_that_brought_a_server_error_is_not_reused() {
    // The answer to a HEAD ends with its head, whatever length it names. A server that sends a body
    // anyway (the endless error body above did, and made that test flaky) leaves it on the
    // connection, where the next request would read it as its answer. Here the body comes only once
    // a next request arrives on the same connection, so a client that reuses one reads it every time.
    let reused = Arc::new(AtomicUsize::new(0));
    let seen = reused.clone();
    let server = Hostile::start(move |mut conn| {
        if conn.read_request(false).is_some()
            && conn.send(b"HTTP/1.1 500 Internal Server Error\r\nx-oss-request-id: R1\r\nContent-Length: 11\r\n\r\n")
            && conn.read_request(false).is_some()
        {
            seen.fetch_add(1, Ordering::SeqCst);
            conn.send(b"late body!!");
        }
        conn.close();
    });
    let client = server.client();
    for _ in 0..3 {
        let err = client.head_object(BUCKET, "a.log").unwrap_err();
        assert_eq!(err.service().map(|e| e.status), Some(500), "{err:?}");
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 3 * ATTEMPTS as usize, "one connection per 500");
    assert_eq!(reused.load(Ordering::SeqCst), 0, "a request was sent on a connection that brought a 500");
}

#[test]
fn a_connection_with_bytes_after_its_answer_is_not_reused() {
    // A 200 to a HEAD that carries a body anyway, in the same write as its head: the client has
    // read bytes past the answer's end, so the connection is in no state to carry a next request.
    let reused = Arc::new(AtomicUsize::new(0));
    let seen = reused.clone();
    let server = Hostile::start(move |mut conn| {
        let ok = b"HTTP/1.1 200 OK\r\nx-oss-request-id: R1\r\nContent-Length: 4\r\n\r\n";
        if conn.read_request(false).is_some()
            && conn.send(&[&ok[..], b"junk"].concat())
            && conn.read_request(false).is_some()
        {
            seen.fetch_add(1, Ordering::SeqCst);
            conn.send(ok);
        }
        conn.close();
    });
    let client = server.client();
    for _ in 0..3 {
        client.head_object(BUCKET, "a.log").unwrap();
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 3, "one connection per answer with bytes after it");
    assert_eq!(reused.load(Ordering::SeqCst), 0, "a request went on a connection with bytes after its answer");
}

#[test]
fn an_idle_connection_that_the_server_closed_is_not_used() {
    // The server keeps the connection a moment after its answer, then closes it (an idle timeout).
    // The client's next request, later, must go on a new connection: with one attempt only, a
    // request sent on the closed one would fail.
    let server = Hostile::start(|mut conn| {
        let ok = b"HTTP/1.1 200 OK\r\nx-oss-request-id: R1\r\nContent-Length: 0\r\n\r\n";
        if conn.read_request(false).is_some() && conn.send(ok) {
            thread::sleep(Duration::from_millis(20));
        }
        conn.close();
    });
    let client = Client::builder()
        .endpoint(format!("http://127.0.0.1:{}", server.port))
        .region("cn-hangzhou")
        .credentials(Credentials::new(AK, SK))
        .retry_policy(RetryPolicy { max_attempts: 1, ..RetryPolicy::default() })
        .build()
        .unwrap();
    for _ in 0..3 {
        client.head_object(BUCKET, "a.log").unwrap();
        thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 3, "one connection per request");
}

#[test]
fn a_server_that_closes_right_after_each_answer_costs_retries_not_errors() {
    // An answer that says nothing of closing, and then the close: the client may already have sent
    // its next request on that connection. It is sent again on a new one; no call fails.
    let server = Hostile::start(|mut conn| {
        let ok = b"HTTP/1.1 200 OK\r\nx-oss-request-id: R1\r\nContent-Length: 0\r\n\r\n";
        if conn.read_request(false).is_some() {
            conn.send(ok);
        }
        conn.close();
    });
    let client = server.client();
    for i in 0..20 {
        client.head_object(BUCKET, "a.log").unwrap_or_else(|e| panic!("request {i}: {e}"));
    }
    let connections = server.connections.load(Ordering::SeqCst);
    assert!((20..=40).contains(&connections), "{connections} connections for 20 requests");
}

#[test]
fn a_chunked_body_that_comes_in_pieces_is_read_whole_and_the_connection_kept() {
    let content = data(100_000, 7);
    let crc = oss_append::crc64::checksum(&content);
    let body = content.clone();
    let server = Hostile::start(move |mut conn| {
        let _ = conn.stream.set_nodelay(true);
        while conn.read_request(false).is_some() {
            let head = format!("HTTP/1.1 200 OK\r\nx-oss-hash-crc64ecma: {crc}\r\nTransfer-Encoding: chunked\r\n\r\n");
            if !conn.send(head.as_bytes()) {
                return;
            }
            // Chunks of many sizes, each line and each piece of data in a send of its own.
            let mut at = 0;
            for (i, size) in [1usize, 4095, 10_000, 3, 65_536, 77].iter().cycle().enumerate() {
                let size = (*size).min(body.len() - at);
                if size == 0 {
                    break;
                }
                let line = if i % 2 == 0 { format!("{size:x}\r\n") } else { format!("{size:X};ext=\"x\"\r\n") };
                conn.send(line.as_bytes());
                thread::sleep(Duration::from_millis(1));
                conn.send(&body[at..at + size]);
                conn.send(b"\r\n");
                at += size;
            }
            conn.send(b"0\r\nx-trailer: t\r\n");
            thread::sleep(Duration::from_millis(1));
            conn.send(b"\r\n");
        }
    });
    let client = server.client();
    for _ in 0..2 {
        assert!(
            client.get_object_to_vec(BUCKET, "a.log", None).unwrap() == content,
            "the body read is not the one sent"
        );
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1, "the connection is kept after a chunked body");
}

#[test]
fn a_refusal_before_the_body_is_read_is_the_service_error_not_a_broken_pipe() {
    // A server (or a front end) that refuses a large upload from its head alone answers at once
    // and closes without reading the body: the client's send then fails, but the answer is there
    // and says why (here an expired token, which makes the client fetch fresh credentials).
    let server = Hostile::start(|mut conn| {
        if conn.read_request(false).is_some() {
            let body =
                "<?xml version=\"1.0\"?><Error><Code>SecurityTokenExpired</Code><Message>expired</Message></Error>";
            let answer = format!(
                "HTTP/1.1 403 Forbidden\r\nx-oss-request-id: R403\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            conn.send(answer.as_bytes());
            thread::sleep(Duration::from_millis(100));
        }
        // Closed with the body unread: the client's next write meets a reset.
        conn.close();
    });
    let client = server.client();
    let big = data(32 << 20, 3);
    let err = client.put_object(BUCKET, "big", &big, &PutOptions::new()).unwrap_err();
    let service = err.service().unwrap_or_else(|| panic!("not the service's answer: {err:?}"));
    assert_eq!((service.status, service.code.as_str()), (403, "SecurityTokenExpired"), "{err:?}");
    let err = client.append_object(BUCKET, "big", &big, &AppendOptions::new().position(0)).unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(403), "{err:?}");
}

#[test]
fn a_range_answered_with_an_endless_body_stops_at_the_range() {
    // A 206 for bytes 1-3 that names no length and never ends.
    let server = Hostile::start(|mut conn| {
        if conn.read_request(true).is_some()
            && conn.send(
                b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 1-3/5\r\nTransfer-Encoding: chunked\r\n\r\n",
            )
        {
            let chunk = format!("{:x}\r\n{}\r\n", 4096, "r".repeat(4096));
            conn.flood(chunk.as_bytes());
        }
    });
    let (result, _) = within(RW * 4, server.client(), Op::GetRange);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(server.written() < READ_BOUND, "{} bytes taken in", server.written());
}

#[test]
fn an_endless_success_body_of_an_append_is_not_read() {
    let response = record(Op::Append);
    let server = Hostile::start(move |mut conn| {
        if conn.read_request(true).is_some() {
            let head = String::from_utf8_lossy(&response[..head_end(&response)])
                .replace("Content-Length: 0", "Content-Length: 1000000000000")
                .replace("content-length: 0", "content-length: 1000000000000");
            if conn.send(head.as_bytes()) {
                conn.flood(&[b'z'; 4096]);
            }
        }
    });
    let (result, _) = within(RW * 4, server.client(), Op::Append);
    assert!(matches!(result, Ok(Outcome::Appended(5))), "{result:?}");
    assert!(server.written() < READ_BOUND, "{} bytes taken in", server.written());
}

#[test]
fn a_100_continue_with_nothing_after_it_times_out() {
    // Once with the body read, once without: the interim answer, then silence.
    for read_body in [true, false] {
        let server = Hostile::start(move |mut conn| {
            if conn.read_request(read_body).is_some() && conn.send(b"HTTP/1.1 100 Continue\r\n\r\n") {
                thread::sleep(Duration::from_secs(60));
            }
        });
        for op in [Op::Append, Op::Put, Op::Head] {
            let (result, took) = within(RW * (2 * ATTEMPTS + 3), server.client(), op);
            assert_not_called_safe(op, &result, "100 Continue");
            let err = result.unwrap_err();
            assert!(matches!(err, Error::Timeout { .. } | Error::Unsettled(_)), "{op:?}: {err:?}");
            assert!(took < RW * (2 * ATTEMPTS + 1), "{op:?}: {took:?}");
        }
    }
}

#[test]
fn endless_100_continues_time_out() {
    let server = Hostile::start(|mut conn| {
        if conn.read_request(true).is_some() {
            for _ in 0..600 {
                if !conn.send(b"HTTP/1.1 100 Continue\r\n\r\n") {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
    });
    let (result, took) = within(RW * (2 * ATTEMPTS + 3), server.client(), Op::Delete);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. } | Error::Protocol(_)), "{err:?}");
    assert!(took < RW * (ATTEMPTS + 1), "{took:?}");
}

#[test]
fn a_server_that_never_reads_the_body_ends_at_the_write_timeout() {
    // The body fills the socket buffers and the server never takes it in.
    let server = Hostile::start(|mut conn| {
        let _ = conn.read_request(false);
        thread::sleep(Duration::from_secs(60));
    });
    let client = server.client();
    let body = data(64 << 20, 3);
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    thread::spawn(move || {
        let _ = tx.send(client.append_object(BUCKET, "a.log", &body[..], &AppendOptions::new().position(0)));
    });
    let result = rx.recv_timeout(RW * (3 * ATTEMPTS + 3)).expect("a hang");
    // The body never went out whole, so it cannot be in the object: a plain timeout, and every
    // attempt waited out the write timeout (a write that moved a few bytes waits once more).
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { kind: TimeoutKind::ReadWrite, .. }), "{err:?}");
    assert_eq!(server.connections.load(Ordering::SeqCst), ATTEMPTS as usize);
    assert!(started.elapsed() < RW * (3 * ATTEMPTS) + Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn a_server_that_closes_at_once_is_a_network_error_or_unsettled() {
    let server = Hostile::start(|conn| conn.close());
    for op in OPS {
        let (result, _) = within(RW * (2 * ATTEMPTS + 2), server.client(), op);
        assert_not_called_safe(op, &result, "closed at once");
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Network { .. } | Error::Unsettled(_)), "{op:?}: {err:?}");
    }
}

#[test]
fn a_range_answered_with_other_bytes_is_refused() {
    // Asked for bytes 1-3 of the object: a 206 that names other bytes (or none) is not believed.
    for content_range in ["bytes 0-2/5", "bytes 1-4/5", "bytes 1-3/*x", "bytes=1-3/5", "bytes 3-1/5"] {
        let response =
            format!("HTTP/1.1 206 Partial Content\r\nContent-Range: {content_range}\r\nContent-Length: 3\r\n\r\nabc");
        let server = Hostile::answering(response.into_bytes());
        let (result, _) = within(RW * 4, server.client(), Op::GetRange);
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Protocol(_)), "{content_range}: {err:?}");
    }
    let server = Hostile::answering(b"HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\n\r\nabc".to_vec());
    let err = within(RW * 4, server.client(), Op::GetRange).0.unwrap_err();
    assert!(matches!(err, Error::Protocol(_)), "no Content-Range: {err:?}");
    // The right one is read.
    let server = Hostile::answering(
        b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 1-3/5\r\nContent-Length: 3\r\n\r\nabc".to_vec(),
    );
    assert!(within(RW * 4, server.client(), Op::GetRange).0.is_ok());
}

/// The process's peak resident memory, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[test]
fn a_body_of_unknown_length_into_a_small_buffer_keeps_memory_bounded() {
    // 512 MiB of chunked body for a 1 KiB buffer: the size needed is told, the bytes are not kept.
    const TOTAL: u64 = 512 << 20;
    let server = Hostile::start(|mut conn| {
        if conn.read_request(true).is_some() && conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") {
            let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, "m".repeat(1 << 20));
            for _ in 0..TOTAL >> 20 {
                if !conn.send(chunk.as_bytes()) {
                    return;
                }
            }
            conn.send(b"0\r\n\r\n");
        }
    });
    let before = peak_rss();
    let mut buffer = [0u8; 1024];
    let err = server.client().get_object_into(BUCKET, "a.log", None, &mut buffer, None).unwrap_err();
    assert!(matches!(err, Error::BufferTooSmall { needed: TOTAL, capacity: 1024 }), "{err:?}");
    let grew = peak_rss().saturating_sub(before);
    assert!(grew < 128 << 20, "peak memory grew by {grew} bytes");
}
