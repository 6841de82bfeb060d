//! What TLS costs: `cargo bench --bench https`. Small appends (1 KiB) per second and bulk appends
//! (8 MiB) in MB/s against the in-process emulator, over plain HTTP and over HTTPS (rustls, the
//! emulator's certificate trusted through a CA bundle), side by side in one run: medians of 7, the
//! two alternating. `cargo test --benches` runs a quick pass that checks both deliver.

use std::time::Instant;

use oss_append::{AppendOptions, Client, Credentials};
use oss_emulator::Emulator;

const BUCKET: &str = "bench";

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn setup(tls: bool) -> (Emulator, Client) {
    let mut builder = Emulator::builder().credentials("bench-ak", "bench-sk").bucket(BUCKET);
    if tls {
        builder = builder.tls_generated().unwrap();
    }
    let emulator = builder.start().unwrap();
    let mut client = Client::builder()
        .endpoint(emulator.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new("bench-ak", "bench-sk"));
    if let Some(ca) = emulator.ca_pem() {
        client = client.ca_bundle_pem(ca);
    }
    (emulator, client.build().unwrap())
}

/// Appends of `size` bytes per second, `count` of them through one appender.
fn appends_per_second(client: &Client, key: &str, size: usize, count: usize) -> f64 {
    let body = vec![b'a'; size];
    let mut appender = client.appender(BUCKET, key);
    appender.append(body.as_slice()).unwrap(); // the connection and the first HEAD, not timed
    let started = Instant::now();
    for _ in 0..count {
        appender.append(body.as_slice()).unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let plain = setup(false);
    let tls = setup(true);
    assert!(tls.0.endpoint().starts_with("https://"));
    if quick {
        for (_, client) in [&plain, &tls] {
            client.append_object(BUCKET, "quick", b"x", &AppendOptions::new()).unwrap();
            assert_eq!(client.get_object_to_vec(BUCKET, "quick", None).unwrap().len(), 1);
        }
        return;
    }
    println!("HTTPS against plain HTTP, the in-process emulator, one appender each (median of 7)");
    println!("{:>18} {:>12} {:>12} {:>8}", "", "http", "https", "ratio");
    let runs = 7;
    for (label, size, count, unit) in
        [("1 KiB appends/s", 1usize << 10, 2000usize, 1.0), ("8 MiB appends MB/s", 8 << 20, 16, (8 << 20) as f64 / 1e6)]
    {
        let (mut h, mut s) = (Vec::new(), Vec::new());
        for run in 0..runs {
            h.push(appends_per_second(&plain.1, &format!("{label}-{run}"), size, count) * unit);
            s.push(appends_per_second(&tls.1, &format!("{label}-{run}"), size, count) * unit);
        }
        let (h, s) = (median(h), median(s));
        println!("{label:>18} {h:>12.1} {s:>12.1} {:>8.2}", s / h);
    }
}
