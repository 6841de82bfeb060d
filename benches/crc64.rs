//! CRC-64/XZ throughput: `cargo bench --bench crc64`. Prints the median GB/s of several runs per
//! buffer size, for one-shot checksums and for a running CRC fed in chunks, side by side with the
//! `crc-fast` crate (a dev-dependency only: the library's CRC is its own, `src/crc64/`).

use oss_append::crc64::{checksum, Crc64};
use std::hint::black_box;
use std::time::Instant;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

/// GB/s of `f` over `buf`, repeated until about 256 MiB were hashed; median of 9 runs.
fn measure(buf: &[u8], mut f: impl FnMut(&[u8]) -> u64) -> f64 {
    let rounds = ((256usize << 20) / buf.len()).max(1);
    let runs = (0..9)
        .map(|_| {
            let start = Instant::now();
            let mut acc = 0u64;
            for _ in 0..rounds {
                acc ^= f(black_box(buf));
            }
            black_box(acc);
            (buf.len() * rounds) as f64 / start.elapsed().as_secs_f64() / 1e9
        })
        .collect();
    median(runs)
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: do a quick correctness pass only.
    let quick = !std::env::args().any(|a| a == "--bench");
    let data: Vec<u8> = (0..(8usize << 20)).map(|i| (i * 131 + i / 7) as u8).collect();
    let crate_checksum = |b: &[u8]| crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Xz, b);
    assert_eq!(checksum(b"123456789"), 0x995dc9bbdf1939fa);
    for size in [0usize, 1, 15, 16, 127, 128, 255, 256, 4097, 1 << 20] {
        assert_eq!(checksum(&data[..size]), crate_checksum(&data[..size]), "length {size}");
    }
    if quick {
        return;
    }
    println!("CRC-64/XZ throughput (median of 9 runs, ~256 MiB each), oss-append's against crc-fast's");
    println!(
        "{:>10}  {:>14}  {:>14}  {:>6}  {:>22}",
        "buffer", "ours GB/s", "crc-fast GB/s", "ratio", "ours running, 64 KiB"
    );
    for size in [64usize, 1 << 10, 4 << 10, 64 << 10, 1 << 20, 8 << 20] {
        let buf = &data[..size];
        let ours = measure(buf, checksum);
        let theirs = measure(buf, crate_checksum);
        let running = measure(buf, |b| {
            let mut crc = Crc64::resume(12345);
            for chunk in b.chunks(64 << 10) {
                crc.update(chunk);
            }
            crc.value()
        });
        let label = if size >= 1 << 10 { format!("{}K", size >> 10) } else { format!("{size}B") };
        println!("{label:>10}  {ours:>14.2}  {theirs:>14.2}  {:>6.2}  {running:>22.2}", ours / theirs);
    }
}
