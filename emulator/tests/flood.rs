//! A flood of malformed, oversized and never-finished requests: the emulator answers each (or
//! times it out), keeps its memory bounded and goes on serving good requests meanwhile. Its own
//! test binary, so the process's peak memory is this test's alone.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use oss_emulator::Emulator;

/// The process's peak resident memory, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

#[test]
fn a_flood_of_bad_requests_keeps_memory_bounded_and_the_server_serving() {
    let emu = Emulator::builder().bucket(BUCKET).header_timeout(Duration::from_secs(1)).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    let addr = emu.addr();
    assert_eq!(client.append("k", 0, b"warm").status, 200);
    let huge =
        Arc::new(format!("GET /{BUCKET}/k HTTP/1.1\r\nHost: x\r\nx-oss-meta-big: {}\r\n\r\n", "a".repeat(2 << 20)));
    let mut many = format!("GET /{BUCKET}/k HTTP/1.1\r\nHost: x\r\n");
    for i in 0..500 {
        many.push_str(&format!("x-oss-meta-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let many = Arc::new(many);
    let before = peak_rss();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));

    // Four flooders, each a different kind of bad request, connection after connection.
    let mut flooders = Vec::new();
    for kind in 0..4 {
        let (stop, answered, huge, many) = (stop.clone(), answered.clone(), huge.clone(), many.clone());
        flooders.push(thread::spawn(move || {
            let mut held = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let timeout = Duration::from_secs(5);
                let response = match kind {
                    0 => raw(addr, huge.as_bytes(), timeout),
                    1 => raw(addr, many.as_bytes(), timeout),
                    2 => raw(addr, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n", timeout),
                    _ => {
                        // Half a head, never finished: held open until the emulator's header timeout.
                        let mut stream = TcpStream::connect(addr).unwrap();
                        let _ = stream.write_all(b"POST /test-bucket/k?append&position=0 HTTP/1.1\r\nHo");
                        held.push(stream);
                        if held.len() == 100 {
                            held.remove(0);
                        }
                        thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                let status = raw_status(&response);
                assert!(matches!(status, 400 | 431), "kind {kind}: {response}");
                assert!(response.contains("x-oss-request-id"), "kind {kind}: {response}");
                answered.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    // Meanwhile the good requests go on, each answered promptly.
    let started = Instant::now();
    let (mut position, mut slowest) = (4u64, Duration::ZERO);
    while started.elapsed() < Duration::from_secs(8) {
        let at = Instant::now();
        let response = client.append("k", position, b"good,");
        slowest = slowest.max(at.elapsed());
        assert_eq!(response.status, 200, "{}", response.text());
        position += 5;
        thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::SeqCst);
    for flooder in flooders {
        flooder.join().unwrap();
    }
    let answered = answered.load(Ordering::SeqCst);
    let grew = peak_rss().saturating_sub(before);
    println!(
        "flood: {answered} bad requests answered, {} good appends, slowest {slowest:?}, peak memory +{} KiB",
        (position - 4) / 5,
        grew / 1024
    );
    assert!(answered > 100, "only {answered} bad requests answered");
    assert!(slowest < Duration::from_secs(2), "a good append took {slowest:?} during the flood");
    assert!(grew < 96 << 20, "peak memory grew by {grew} bytes");
    assert_eq!(emu.object_data(BUCKET, "k").unwrap().len() as u64, position);
}
