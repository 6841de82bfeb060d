//! Fault injection, in process and over the admin endpoint.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use oss_append::crc64::checksum;
use oss_emulator::Emulator;

fn start(admin: bool) -> (Emulator, Client) {
    let emu = Emulator::builder().bucket(BUCKET).admin(admin).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    (emu, client)
}

/// Sends an append on a raw connection and returns what came back before the server closed it.
fn raw_append(emu: &Emulator, key: &str, position: u64, body: &[u8]) -> String {
    let mut request = format!(
        "POST /{BUCKET}/{key}?append&position={position} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    raw(emu.addr(), &request, Duration::from_secs(5))
}

#[test]
fn fail_next_answers_with_the_status_and_an_oss_error_then_recovers() {
    let (emu, client) = start(false);
    emu.faults().fail_next(2, 503);
    for _ in 0..2 {
        let r = client.append("k", 0, b"x");
        assert_eq!((r.status, r.code().as_str()), (503, "ServiceUnavailable"));
        assert_eq!(r.header("x-oss-request-id").map(str::len), Some(24));
        assert_eq!(r.xml("RequestId").as_deref(), r.header("x-oss-request-id"));
    }
    assert!(emu.object(BUCKET, "k").is_none());
    assert_eq!(client.append("k", 0, b"x").status, 200);
    for (status, code) in [(500, "InternalError"), (408, "RequestTimeout"), (429, "TooManyRequests")] {
        emu.faults().fail_next(1, status);
        let r = client.get("k", &[]);
        assert_eq!((r.status, r.code().as_str()), (status, code));
    }
    assert!(emu.faults().pending().is_empty());
}

#[test]
fn delay_next_holds_responses_back() {
    let (emu, client) = start(false);
    emu.faults().delay_next(1, Duration::from_millis(400));
    let started = Instant::now();
    assert_eq!(client.append("k", 0, b"x").status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    let started = Instant::now();
    assert_eq!(client.head("k").status, 200);
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[test]
fn drop_before_commit_closes_without_response_and_commits_nothing() {
    let (emu, client) = start(false);
    client.append("k", 0, b"abc");
    emu.faults().drop_before_commit(1);
    let response = raw_append(&emu, "k", 3, b"def");
    assert_eq!(response, "", "no response expected");
    let info = emu.object(BUCKET, "k").unwrap();
    assert_eq!((info.length, info.crc64), (3, checksum(b"abc")));
    // The retry at the same position succeeds.
    let r = client.append("k", 3, b"def");
    assert_eq!(r.status, 200);
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"abcdef")));
}

#[test]
fn drop_after_commit_commits_then_closes_without_response() {
    let (emu, client) = start(false);
    client.append("k", 0, b"abc");
    emu.faults().drop_after_commit(1);
    let response = raw_append(&emu, "k", 3, b"def");
    assert_eq!(response, "", "no response expected");
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abcdef");
    // The blind retry meets the lost-response case.
    let r = client.append("k", 3, b"def");
    assert_eq!((r.status, r.code().as_str()), (409, "PositionNotEqualToLength"));
    assert_eq!(r.header_u64("x-oss-next-append-position"), Some(6));
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"abcdef")));
}

#[test]
fn drop_faults_wait_for_an_append_and_are_consumed_once() {
    let (emu, client) = start(false);
    emu.faults().drop_after_commit(1);
    // Non-append requests do not consume it.
    assert_eq!(client.put("p", &[], b"x").status, 200);
    assert_eq!(client.head("p").status, 200);
    assert_eq!(emu.faults().pending().drop_after_commit, 1);
    assert_eq!(raw_append(&emu, "k", 0, b"1"), "");
    assert_eq!(client.append("k", 1, b"2").status, 200);
}

#[test]
fn corrupt_crc_sends_a_wrong_crc_header_but_commits_the_data() {
    let (emu, client) = start(false);
    emu.faults().corrupt_crc(1);
    let r = client.append("k", 0, b"abc");
    assert_eq!(r.status, 200);
    let sent = r.header_u64("x-oss-hash-crc64ecma").unwrap();
    assert_ne!(sent, checksum(b"abc"));
    assert_eq!(emu.object(BUCKET, "k").unwrap().crc64, checksum(b"abc"));
    let r = client.append("k", 3, b"d");
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"abcd")));
}

#[test]
fn faults_clear_disarms_everything() {
    let (emu, client) = start(false);
    emu.faults().fail_next(5, 500);
    emu.faults().drop_before_commit(5);
    emu.faults().corrupt_crc(5);
    emu.faults().clear();
    let r = client.append("k", 0, b"abc");
    assert_eq!(r.status, 200);
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"abc")));
}

#[test]
fn admin_endpoint_is_off_by_default() {
    let (emu, client) = start(false);
    let url = format!("{}/-/emulator/faults?kind=fail&count=1&status=503", emu.endpoint());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let r = agent.post(&url).send_empty().unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(emu.faults().pending().is_empty());
    assert_eq!(client.append("k", 0, b"x").status, 200);
}

#[test]
fn admin_endpoint_arms_lists_and_clears_faults() {
    let (emu, client) = start(true);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let admin = |method: &str, path: &str| {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}/-/emulator/{path}", emu.endpoint()))
            .body(Vec::<u8>::new())
            .unwrap();
        let mut r = agent.run(request).unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let (status, body) = admin("POST", "faults?kind=fail&count=1&status=500");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":500"), "{body}");
    assert_eq!(client.append("k", 0, b"x").code(), "InternalError");

    assert_eq!(admin("POST", "faults?kind=delay&count=1&millis=300").0, 200);
    let started = Instant::now();
    client.head("k");
    assert!(started.elapsed() >= Duration::from_millis(300));

    assert_eq!(admin("POST", "faults?kind=drop-before-commit&count=1").0, 200);
    assert_eq!(raw_append(&emu, "k", 0, b"x"), "");
    assert!(emu.object(BUCKET, "k").is_none());

    assert_eq!(admin("POST", "faults?kind=drop-after-commit").0, 200);
    assert_eq!(raw_append(&emu, "k", 0, b"x"), "");
    assert_eq!(emu.object(BUCKET, "k").unwrap().length, 1);

    assert_eq!(admin("POST", "faults?kind=corrupt-crc&count=1").0, 200);
    assert_ne!(client.append("k", 1, b"y").header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"xy")));

    assert_eq!(admin("POST", "faults?kind=fail&count=3").0, 200);
    assert_eq!(emu.faults().pending().fail, vec![(3, 503)]);
    let (status, body) = admin("DELETE", "faults");
    assert_eq!(status, 200);
    assert!(body.contains("\"fail\":[]"), "{body}");
    assert_eq!(admin("POST", "faults?kind=nonsense").0, 400);
    assert_eq!(admin("POST", "faults?kind=fail&count=x").0, 400);

    let (status, body) = admin("GET", "object?bucket=test-bucket&key=k");
    assert_eq!(status, 200);
    assert!(body.contains("\"length\":2"), "{body}");
    assert!(body.contains(&format!("\"crc64\":\"{}\"", checksum(b"xy"))), "{body}");
    let (_, body) = admin("GET", "requests");
    assert!(body.contains("\"query\":\"append&position=1\""), "{body}");
    assert!(!body.contains("/-/emulator/"), "admin requests are not recorded");
    assert_eq!(admin("DELETE", "requests").0, 200);
    assert!(emu.requests().is_empty());
}

#[test]
fn drop_before_commit_with_expect_continue_reads_the_body_first() {
    let (emu, _client) = start(false);
    emu.faults().drop_before_commit(1);
    let mut stream = TcpStream::connect(emu.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(
            format!(
                "POST /{BUCKET}/k?append&position=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut interim = [0u8; 25];
    std::io::Read::read_exact(&mut stream, &mut interim).unwrap();
    assert!(interim.starts_with(b"HTTP/1.1 100 Continue"), "{}", String::from_utf8_lossy(&interim));
    stream.write_all(b"abc").unwrap();
    assert_eq!(read_until_close(&mut stream), "");
    assert!(emu.object(BUCKET, "k").is_none());
}
