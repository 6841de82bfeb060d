//! Persistence, atomic appends, concurrency, bad input, and the binary.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::*;
use oss_append::crc64::checksum;
use oss_append::Credentials;
use oss_emulator::{Emulator, ObjectType};

fn anonymous() -> (Emulator, Client) {
    let emu = Emulator::builder().bucket(BUCKET).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    (emu, client)
}

/// Waits a while and checks the object never shows up or changes.
fn assert_stays(emu: &Emulator, key: &str, expected: Option<&[u8]>) {
    let until = Instant::now() + Duration::from_millis(400);
    while Instant::now() < until {
        assert_eq!(emu.object_data(BUCKET, key).as_deref(), expected);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn objects_and_metadata_survive_a_restart_with_root() {
    let dir = tempfile::tempdir().unwrap();
    {
        let emu = Emulator::builder().bucket(BUCKET).root(dir.path()).start().unwrap();
        let client = Client::new(&emu.endpoint(), Signer::anonymous());
        client.append_with("dir/log 1.txt", 0, &[("Content-Type", "text/plain"), ("x-oss-meta-a", "1")], b"hello ");
        client.append("dir/log 1.txt", 6, b"world");
        client.put("normal", &[("x-oss-meta-b", "2")], b"put data");
        client.put("gone", &[], b"x");
        client.delete("gone");
        assert_eq!(client.send("PUT", Some("second-bucket"), None, &[], &[], b"").status, 200);
        client.send("PUT", Some("second-bucket"), Some("k"), &[], &[], b"in second");
    }
    let emu = Emulator::builder().bucket(BUCKET).root(dir.path()).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    let info = emu.object(BUCKET, "dir/log 1.txt").unwrap();
    assert_eq!(info.object_type, ObjectType::Appendable);
    assert_eq!((info.length, info.crc64), (11, checksum(b"hello world")));
    assert_eq!(info.content_type(), "text/plain");
    assert_eq!(info.metadata(), vec![("a".to_string(), "1".to_string())]);
    assert_eq!(client.get("dir/log 1.txt", &[]).body, b"hello world");
    assert_eq!(client.get("dir/log 1.txt", &[("Range", "bytes=6-")]).body, b"world");
    let head = client.head("dir/log 1.txt");
    assert_eq!(head.header("etag"), Some(info.etag.as_str()));
    assert_eq!(client.append("dir/log 1.txt", 6, b"x").header_u64("x-oss-next-append-position"), Some(11));
    let r = client.append("dir/log 1.txt", 11, b"!");
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"hello world!")));
    let normal = emu.object(BUCKET, "normal").unwrap();
    assert_eq!((normal.object_type, normal.header("x-oss-meta-b")), (ObjectType::Normal, Some("2")));
    assert!(emu.object(BUCKET, "gone").is_none());
    assert_eq!(emu.object_data("second-bucket", "k").unwrap(), b"in second");
}

#[test]
fn bytes_past_the_recorded_length_are_ignored_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    {
        let emu = Emulator::builder().bucket(BUCKET).root(dir.path()).start().unwrap();
        Client::new(&emu.endpoint(), Signer::anonymous()).append("k", 0, b"abc");
    }
    // A crash between writing an append's bytes and publishing its length leaves bytes past the
    // recorded length, and perhaps a temporary metadata file.
    let bucket_dir = dir.path().join(BUCKET);
    let data = std::fs::read_dir(&bucket_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "data"))
        .unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(&data).unwrap();
    file.write_all(b"TORN-APPEND").unwrap();
    std::fs::write(bucket_dir.join("junk.meta.tmp"), b"half written").unwrap();
    std::fs::write(bucket_dir.join("0000.999.data"), b"orphan").unwrap();

    let emu = Emulator::builder().bucket(BUCKET).root(dir.path()).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    assert_eq!(client.get("k", &[]).body, b"abc");
    assert_eq!(client.head("k").header_u64("content-length"), Some(3));
    let r = client.append("k", 3, b"def");
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"abcdef")));
    assert_eq!(client.get("k", &[]).body, b"abcdef");
    assert!(!bucket_dir.join("junk.meta.tmp").exists());
    assert!(!bucket_dir.join("0000.999.data").exists());
}

#[test]
fn a_client_that_disconnects_mid_body_commits_nothing() {
    let (emu, client) = anonymous();
    let send_partial = |position: u64| {
        let mut stream = TcpStream::connect(emu.addr()).unwrap();
        let head = format!(
            "POST /{BUCKET}/k?append&position={position} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&[b'z'; 50]).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        stream.shutdown(Shutdown::Both).unwrap();
    };
    send_partial(0);
    assert_stays(&emu, "k", None);
    client.append("k", 0, b"abc");
    send_partial(3);
    assert_stays(&emu, "k", Some(b"abc"));
    assert_eq!(client.append("k", 3, b"d").status, 200);
}

#[test]
fn a_stalled_body_times_out_and_commits_nothing() {
    let emu = Emulator::builder().bucket(BUCKET).body_timeout(Duration::from_millis(300)).start().unwrap();
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head =
        format!("POST /{BUCKET}/k?append&position=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc");
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let response = read_until_close(&mut stream);
    assert!(started.elapsed() < Duration::from_secs(3), "closed after {:?}", started.elapsed());
    assert_eq!(response, "");
    assert!(emu.object(BUCKET, "k").is_none());
}

#[test]
fn concurrent_appenders_at_one_position_exactly_one_wins() {
    let (emu, client) = anonymous();
    client.append("k", 0, b"start");
    for round in 0..3u64 {
        let position = 5 + round * 2;
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let endpoint = emu.endpoint();
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let barrier = barrier.clone();
                let endpoint = endpoint.clone();
                std::thread::spawn(move || {
                    let client = Client::new(&endpoint, Signer::anonymous());
                    barrier.wait();
                    let r = client.append("k", position, format!("{i}{i}").as_bytes());
                    (r.status, r.header_u64("x-oss-next-append-position"))
                })
            })
            .collect();
        let results: Vec<(u16, Option<u64>)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = results.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(wins, 1, "round {round}: {results:?}");
        assert!(results.iter().all(|(s, next)| *s == 200 || (*s == 409 && *next == Some(position + 2))));
        assert_eq!(emu.object(BUCKET, "k").unwrap().length, position + 2);
    }
    let data = emu.object_data(BUCKET, "k").unwrap();
    assert_eq!(emu.object(BUCKET, "k").unwrap().crc64, checksum(&data));
}

#[test]
fn chunked_and_expect_continue_bodies_are_accepted() {
    let (emu, _client) = anonymous();
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(
            format!(
                "POST /{BUCKET}/k?append&position=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let response = read_one_response(&mut stream);
    assert_eq!(raw_status(&response), 200, "{response}");
    assert!(response.to_ascii_lowercase().contains("x-oss-next-append-position: 7"));
    // Same connection (keep-alive), Expect: 100-continue.
    stream
        .write_all(
            format!(
                "POST /{BUCKET}/k?append&position=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let interim = read_one_response(&mut stream);
    assert_eq!(raw_status(&interim), 100, "{interim}");
    stream.write_all(b"hi").unwrap();
    let response = read_one_response(&mut stream);
    assert_eq!(raw_status(&response), 200, "{response}");
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abcdefghi");
}

#[test]
fn expect_continue_with_an_early_error_does_not_wait_for_the_body() {
    let (emu, _client) = anonymous();
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(
            b"POST /no-such-bucket/k?append&position=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
    let response = read_one_response(&mut stream);
    assert_eq!(raw_status(&response), 404, "{response}");
    assert!(response.contains("<Code>NoSuchBucket</Code>"));
}

/// Asserts `response` is an OSS error: `status`, the XML error document with `code`, and a request id
/// both in a header and in the document.
fn assert_oss_error(response: &str, status: u16, code: &str) {
    assert_eq!(raw_status(response), status, "{response}");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response, ""));
    let id = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("x-oss-request-id: ").map(str::to_string))
        .unwrap_or_else(|| panic!("no request id: {response}"));
    assert!(body.contains(&format!("<Code>{code}</Code>")), "{response}");
    assert!(body.contains(&format!("<RequestId>{}</RequestId>", id.to_ascii_uppercase())), "{response}");
    assert!(head.to_ascii_lowercase().contains(&format!("content-length: {}", body.len())), "{response}");
}

#[test]
fn malformed_requests_get_errors_and_the_server_keeps_serving() {
    let (emu, client) = anonymous();
    let addr = emu.addr();
    let timeout = Duration::from_secs(5);
    // What hyper cannot parse is answered as OSS answers every error: its XML and a request id.
    assert_oss_error(&raw(addr, b"THIS IS NOT HTTP\r\n\r\n", timeout), 400, "InvalidRequest");
    assert_oss_error(&raw(addr, b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n", timeout), 400, "InvalidRequest");
    let absurd =
        "POST /test-bucket/k?append&position=0 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    assert_oss_error(&raw(addr, absurd.as_bytes(), timeout), 400, "InvalidRequest");
    let both =
        "POST /test-bucket/k?append&position=0 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
    assert_oss_error(&raw(addr, both.as_bytes(), timeout), 400, "InvalidRequest");

    // Huge and many headers.
    let huge = format!("GET /test-bucket/k HTTP/1.1\r\nHost: x\r\nx-oss-meta-big: {}\r\n\r\n", "a".repeat(2 << 20));
    assert_oss_error(&raw(addr, huge.as_bytes(), timeout), 431, "RequestHeaderTooLarge");
    let mut many = String::from("GET /test-bucket/k HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        many.push_str(&format!("x-oss-meta-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    assert_oss_error(&raw(addr, many.as_bytes(), timeout), 431, "RequestHeaderTooLarge");
    // A malformed request after a good one on a kept-alive connection, too.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.write_all(format!("HEAD /{BUCKET}/nothing HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).unwrap();
    assert_eq!(raw_status(&read_head_only(&mut stream)), 404);
    stream.write_all(b"GET / HTTP/1.1\r\n\x01\x02\r\n\r\n").unwrap();
    assert_oss_error(&read_until_close(&mut stream), 400, "InvalidRequest");

    // Bad encodings in the query and the key.
    let r = raw(addr, b"GET /test-bucket/k?prefix=%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout);
    assert_eq!(raw_status(&r), 400);
    assert!(r.contains("<Code>InvalidArgument</Code>"), "{r}");
    let r = raw(addr, b"GET /test-bucket/%C3%28 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout);
    assert!(r.contains("<Code>InvalidObjectName</Code>"), "{r}");

    // A Content-Length larger than any object is refused before the body is read.
    let emu_small = Emulator::builder().bucket(BUCKET).max_object_size(1000).start().unwrap();
    let big = "PUT /test-bucket/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000000\r\n\r\n";
    let r = raw(emu_small.addr(), big.as_bytes(), timeout);
    assert_eq!(raw_status(&r), 400, "{r}");
    assert!(r.contains("<Code>EntityTooLarge</Code>"), "{r}");
    // Chunked past the limit too.
    let chunked = format!(
        "POST /test-bucket/k?append&position=0 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n{}\r\n0\r\n\r\n",
        "a".repeat(2000)
    );
    let r = raw(emu_small.addr(), chunked.as_bytes(), timeout);
    assert!(r.contains("<Code>EntityTooLarge</Code>"), "{r}");
    assert!(emu_small.object(BUCKET, "k").is_none());

    // Methods that make no sense here.
    assert_eq!(client.send("PATCH", Some(BUCKET), Some("k"), &[], &[], b"").status, 405);
    assert_eq!(client.send("POST", Some(BUCKET), Some("k"), &[], &[], b"x").status, 400);
    // Still serving.
    assert_eq!(client.append("k", 0, b"ok").status, 200);
}

#[test]
fn many_requests_share_one_kept_alive_connection() {
    let (emu, _client) = anonymous();
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for i in 0..20u64 {
        let request =
            format!("POST /{BUCKET}/k?append&position={i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx");
        stream.write_all(request.as_bytes()).unwrap();
        let response = read_one_response(&mut stream);
        assert_eq!(raw_status(&response), 200, "{response}");
    }
    // An error response on the same connection keeps it usable.
    stream
        .write_all(
            format!("POST /{BUCKET}/k?append&position=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx")
                .as_bytes(),
        )
        .unwrap();
    assert_eq!(raw_status(&read_one_response(&mut stream)), 409);
    stream.write_all(format!("HEAD /{BUCKET}/k HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).unwrap();
    let head = read_head_only(&mut stream);
    assert_eq!(raw_status(&head), 200, "{head}");
    assert!(head.to_ascii_lowercase().contains("content-length: 20"), "{head}");
}

/// Reads a response head (HEAD responses have no body whatever their Content-Length).
fn read_head_only(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        match std::io::Read::read(stream, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => out.push(buf[0]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port; returns it, its endpoint and the rest of its banner.
fn run_binary(args: &[&str]) -> (Running, String, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oss-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let endpoint = first.strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first}")).to_string();
    let rest: Vec<String> = lines.take(2).map(|l| l.unwrap()).collect();
    (Running(child), endpoint, rest)
}

#[test]
fn binary_prints_its_endpoint_and_keeps_objects_under_root_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let args = ["--root", root, "--credentials", "AK:SK", "--bucket", BUCKET];
    let signer = Signer::v4(Credentials::new("AK", "SK"));
    {
        let (_child, endpoint, rest) = run_binary(&args);
        assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
        assert!(rest[0].contains(&format!("OSS_ENDPOINT={endpoint}")), "{rest:?}");
        assert!(rest[0].contains("OSS_ACCESS_KEY_ID=AK"), "{rest:?}");
        let client = Client::new(&endpoint, signer.clone());
        assert_eq!(client.append("k", 0, b"before ").status, 200);
        // Killed, not stopped cleanly.
    }
    let (_child, endpoint, _) = run_binary(&args);
    let client = Client::new(&endpoint, signer);
    let r = client.append("k", 7, b"restart");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"before restart")));
    assert_eq!(client.get("k", &[]).body, b"before restart");
}

#[test]
fn binary_without_credentials_says_it_is_anonymous() {
    let (_child, endpoint, rest) = run_binary(&["--bucket", BUCKET, "--admin"]);
    assert!(rest.iter().any(|l| l.contains("anonymous")), "{rest:?}");
    let client = Client::new(&endpoint, Signer::anonymous());
    assert_eq!(client.append("k", 0, b"x").status, 200);
}

#[test]
fn garbage_on_the_wire_never_takes_the_server_down() {
    let (emu, client) = anonymous();
    // A small deterministic generator: no dependency, same bytes every run.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: [&[u8]; 12] = [
        b"POST ",
        b"GET ",
        b"/test-bucket/k",
        b"?append&position=",
        b"%",
        b"%ZZ",
        b" HTTP/1.1\r\n",
        b"Content-Length: ",
        b"Transfer-Encoding: chunked\r\n",
        b"\r\n",
        b"\x00\xff\xfe",
        b"18446744073709551616",
    ];
    for _ in 0..150 {
        let mut request = Vec::new();
        for _ in 0..(next() % 12 + 1) {
            request.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let _ = raw(emu.addr(), &request, Duration::from_millis(200));
    }
    assert_eq!(client.append("after-garbage", 0, b"ok").status, 200);
}

#[test]
fn dropping_the_emulator_with_idle_connections_returns_promptly() {
    let (emu, client) = anonymous();
    assert_eq!(client.append("k", 0, b"x").status, 200);
    let idle = TcpStream::connect(emu.addr()).unwrap();
    let mut half = TcpStream::connect(emu.addr()).unwrap();
    half.write_all(b"POST /test-bucket/k?append&position=1 HTTP/1.1\r\nContent-Length: 10\r\n\r\nab").unwrap();
    let started = Instant::now();
    drop(emu);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    drop(idle);
}
