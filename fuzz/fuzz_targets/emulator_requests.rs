//! The emulator under arbitrary bytes on a connection: whatever arrives, it answers or closes, and
//! still serves the next client.
#![no_main]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use oss_emulator::Emulator;

fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        Emulator::builder()
            .bucket("fuzz-bucket")
            .header_timeout(Duration::from_millis(300))
            .body_timeout(Duration::from_millis(300))
            .start()
            .expect("the emulator starts")
    })
}

fn exchange(bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(emulator().addr()).expect("the emulator accepts connections");
    stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.take(1 << 20).read_to_end(&mut answer);
    answer
}

fuzz_target!(|bytes: &[u8]| {
    let answer = exchange(bytes);
    if !answer.is_empty() {
        assert!(answer.starts_with(b"HTTP/1."), "not an HTTP answer: {:?}", String::from_utf8_lossy(&answer[..answer.len().min(80)]));
    }
    // Still serving.
    let answer = exchange(b"HEAD /fuzz-bucket/alive HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert!(answer.starts_with(b"HTTP/1.1 404"), "{:?}", String::from_utf8_lossy(&answer));
});
