//! Append throughput of the emulator over loopback.
//!
//! `cargo run --release -p oss-emulator --example append_throughput [-- APPEND_MIB APPENDS_PER_RUN RUNS STREAMS]`
//!
//! Starts the emulator in process (anonymous, in memory) and drives it with a minimal raw HTTP/1.1
//! client: one kept-alive TCP connection per stream, each writing prebuilt append requests to its own
//! object, so the client costs next to nothing. Each run appends `APPENDS_PER_RUN` bodies of
//! `APPEND_MIB` MiB per stream, checks every response, then deletes the objects. Prints MB/s per run
//! (1 MB = 10^6 bytes) and the median.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

const BUCKET: &str = "bench";

fn arg(n: usize, default: u64) -> u64 {
    std::env::args().nth(n).map(|a| a.parse().expect("numeric argument")).unwrap_or(default)
}

/// Reads one response head (append responses have no body) and returns its status line.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> String {
    buf.clear();
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).expect("read response");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            assert_eq!(end + 4, buf.len(), "append responses have no body");
            let head = String::from_utf8_lossy(buf).into_owned();
            return head;
        }
    }
}

/// Appends `appends` bodies to `key` on one connection; returns the bytes sent.
fn stream_appends(addr: SocketAddr, key: &str, body: &[u8], appends: u64) -> u64 {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    let mut buf = Vec::with_capacity(1024);
    let mut position = 0u64;
    for _ in 0..appends {
        let head = format!(
            "POST /{BUCKET}/{key}?append&position={position} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let response = read_head(&mut stream, &mut buf);
        assert!(response.starts_with("HTTP/1.1 200"), "append failed: {response}");
        position += body.len() as u64;
        assert!(response.contains(&format!("x-oss-next-append-position: {position}\r\n")), "{response}");
    }
    let delete = format!("DELETE /{BUCKET}/{key} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    stream.write_all(delete.as_bytes()).unwrap();
    let response = read_head(&mut stream, &mut buf);
    assert!(response.starts_with("HTTP/1.1 204"), "delete failed: {response}");
    position
}

fn main() {
    let append_mib = arg(1, 8);
    let appends = arg(2, 64);
    let runs = arg(3, 7);
    let streams = arg(4, 1);
    let emu = oss_emulator::Emulator::builder().bucket(BUCKET).start().expect("start the emulator");
    let addr = emu.addr();
    let body: Vec<u8> = (0..append_mib * 1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
    println!(
        "{streams} stream(s) x {appends} appends of {append_mib} MiB per run, {runs} runs (+1 warm-up), emulator at {}",
        emu.endpoint()
    );
    let mut rates = Vec::new();
    for run in 0..=runs {
        let started = Instant::now();
        let bytes: u64 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..streams)
                .map(|s| {
                    let body = &body;
                    scope.spawn(move || stream_appends(addr, &format!("run{run}-stream{s}"), body, appends))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        let elapsed = started.elapsed();
        let rate = bytes as f64 / elapsed.as_secs_f64() / 1e6;
        if run == 0 {
            println!("warm-up: {rate:8.0} MB/s");
        } else {
            println!("run {run}:   {rate:8.0} MB/s ({} MiB in {:.3} s)", bytes >> 20, elapsed.as_secs_f64());
            rates.push(rate);
        }
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = rates[rates.len() / 2];
    println!("median:  {median:8.0} MB/s");
}
