//! CRC-64/XZ throughput: `cargo bench --bench crc64`. Prints the median GB/s of several runs per
//! buffer size, for one-shot checksums and for a running CRC fed in chunks.

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
    assert_eq!(checksum(b"123456789"), 0x995dc9bbdf1939fa);
    if quick {
        return;
    }
    println!("CRC-64/XZ throughput (median of 9 runs, ~256 MiB each)");
    println!("{:>10}  {:>14}  {:>22}", "buffer", "one-shot GB/s", "running, 64 KiB chunks");
    for size in [4usize << 10, 64 << 10, 1 << 20, 8 << 20] {
        let buf = &data[..size];
        let one_shot = measure(buf, checksum);
        let running = measure(buf, |b| {
            let mut crc = Crc64::resume(12345);
            for chunk in b.chunks(64 << 10) {
                crc.update(chunk);
            }
            crc.value()
        });
        println!("{:>9}K  {:>14.2}  {:>22.2}", size >> 10, one_shot, running);
    }
}
