//! Writes the fuzz targets' seed corpus: `cargo run --example fuzz_seeds -- DIR` (scripts/fuzz.sh
//! runs it when a corpus is empty).
//!
//! - `signing/` and `emulator_requests/`: HTTP requests as bytes: the official SDKs' signing cases
//!   (tests/signing/sdk-signatures.json) and the requests a client session against the emulator made
//!   (appends, reads, a put, a delete, a settle, errors);
//! - `service_error/`: the emulator's raw answers to those requests (errors with their XML bodies,
//!   HEAD headers, ranges);
//! - `journal/`: a spool's journal segment files;
//! - `crc64/`: bytes of a few lengths.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use oss_append::sign::{encode_component, encode_path};
use oss_append::{AppendOptions, ByteRange, Client, Credentials, Spool, SpoolConfig};
use oss_emulator::{Emulator, RecordedRequest};

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = dir.join(target);
    std::fs::create_dir_all(&dir).expect("the seed directory");
    std::fs::write(dir.join(name), bytes).expect("a seed file");
}

/// A recorded request as the bytes that went over the wire (the body left out).
fn raw_request(request: &RecordedRequest) -> Vec<u8> {
    let mut out = format!("{} {}", request.method, request.path);
    if !request.query.is_empty() {
        out.push('?');
        out.push_str(&request.query);
    }
    out.push_str(" HTTP/1.1\r\n");
    for (name, value) in &request.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The emulator's whole answer to `request`, as bytes.
fn answer(emulator: &Emulator, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(emulator.addr()).expect("the emulator accepts");
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut request = request.to_vec();
    // One request per connection.
    let at = request.len() - 2;
    request.splice(at..at, b"Connection: close\r\n".iter().copied());
    stream.write_all(&request).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: fuzz_seeds DIR")?);

    // The official SDKs' signing cases, as requests.
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("tests/signing/sdk-signatures.json")?)?;
    for (i, case) in cases["cases"].as_array().ok_or("no cases")?.iter().enumerate() {
        let input = &case["input"];
        let field = |name: &str| input[name].as_str().unwrap_or_default().to_string();
        let mut target = format!("/{}/{}", field("bucket"), encode_path(&field("key")));
        let query: Vec<String> = input["query"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| {
                let (n, v) = (pair[0].as_str().unwrap_or_default(), pair[1].as_str().unwrap_or_default());
                if v.is_empty() {
                    encode_component(n)
                } else {
                    format!("{}={}", encode_component(n), encode_component(v))
                }
            })
            .collect();
        if !query.is_empty() {
            target.push('?');
            target.push_str(&query.join("&"));
        }
        let mut raw = format!("{} {target} HTTP/1.1\r\n", field("method"));
        for pair in input["headers"].as_array().into_iter().flatten() {
            raw.push_str(&format!(
                "{}: {}\r\n",
                pair[0].as_str().unwrap_or_default(),
                pair[1].as_str().unwrap_or_default()
            ));
        }
        raw.push_str("\r\n");
        let mut signing = raw.clone().into_bytes();
        signing.push(i as u8); // the flags byte: V1/V4, STS, which character to change
        write(&dir, "signing", &format!("sdk-{i:02}"), &signing);
        write(&dir, "emulator_requests", &format!("sdk-{i:02}"), raw.as_bytes());
    }

    // A client session against the emulator: its requests and the emulator's answers.
    let emulator = Emulator::builder().credentials("seed-ak", "seed-sk").bucket("seed-bucket").start()?;
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new("seed-ak", "seed-sk"))
        .build()?;
    let mut log = client.appender("seed-bucket", "logs/seed log+ü.txt");
    log.append(b"first line\n")?;
    log.append(b"second line\n")?;
    let _ = client.append_object("seed-bucket", "logs/seed log+ü.txt", b"x", &AppendOptions::new().position(3));
    client.head_object("seed-bucket", "logs/seed log+ü.txt")?;
    let _ = client.head_object("seed-bucket", "missing");
    client.get_object_to_vec("seed-bucket", "logs/seed log+ü.txt", Some(ByteRange::Span { first: 2, last: 8 }))?;
    client.get_object_to_vec("seed-bucket", "logs/seed log+ü.txt", Some(ByteRange::From(100)))?;
    client.put_object("seed-bucket", "normal", b"normal", &Default::default())?;
    let _ = client.append_object("seed-bucket", "normal", b"x", &AppendOptions::new());
    client.delete_object("seed-bucket", "normal")?;
    for (i, request) in emulator.requests().iter().enumerate() {
        let raw = raw_request(request);
        write(&dir, "emulator_requests", &format!("session-{i:02}"), &raw);
        let mut signing = raw.clone();
        signing.push(i as u8);
        write(&dir, "signing", &format!("session-{i:02}"), &signing);
        write(&dir, "service_error", &format!("session-{i:02}"), &answer(&emulator, &raw));
    }

    // A spool's journal segments.
    let spool_dir = std::env::temp_dir().join(format!("oss-append-fuzz-seeds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&spool_dir);
    let offline = Client::builder()
        .endpoint("http://127.0.0.1:1")
        .region("cn-hangzhou")
        .credentials(Credentials::new("seed-ak", "seed-sk"))
        .build()?;
    let spool =
        Spool::open(&spool_dir, offline, SpoolConfig::new("seed-bucket", "spool/{seq}.log").segment_bytes(1024))?;
    for i in 0..40u32 {
        spool.write_with_mark(format!("record {i}\n").as_bytes(), &i.to_le_bytes())?;
    }
    spool.write_with_mark(b"", b"a mark alone")?;
    spool.close()?;
    for (i, entry) in std::fs::read_dir(spool_dir.join("journal"))?.enumerate() {
        write(&dir, "journal", &format!("segment-{i:02}"), &std::fs::read(entry?.path())?);
    }
    std::fs::remove_dir_all(&spool_dir)?;

    for (i, length) in [0usize, 1, 7, 8, 9, 63, 64, 65, 1000].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..length + 2).map(|j| (j * 131 + i) as u8).collect();
        write(&dir, "crc64", &format!("bytes-{length}"), &bytes);
    }
    println!("seeds written under {}", dir.display());
    Ok(())
}
