//! The spool's costs, side by side with what it is built on: `cargo bench --bench spool`.
//!
//! 1. Memory: the peak RSS while 1 GiB is written to a spool with nothing sent, while that spool is
//!    reopened (recovery scans the journal) and while the 1 GiB goes to an emulator running as its own
//!    process, against the RSS before.
//! 2. `write` throughput, 100-byte records and 64 KiB writes, under each sync policy, against a plain
//!    file append with the same fsync policy (the limit: the journal adds a header, a CRC and the
//!    bookkeeping). The uploader points at a closed port, so only the journal is measured.
//! 3. End to end: 64 MiB written in 64 KiB pieces and flushed to the emulator, against the plain
//!    `Appender` sending the same bytes in 1 MiB appends (the spool's batch size).
//!
//! The journal lives under `target/bench-spool` (a real disk: fsync costs what it costs), not /tmp.
//! Every figure is the median of several runs; the two sides of a comparison alternate in one run.
//! `cargo test --benches` runs a quick pass that checks the spool delivers, without timing.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oss_append::{Client, Credentials, FullPolicy, RetryPolicy, Spool, SpoolConfig, SyncPolicy};
use oss_emulator::Emulator;

const BUCKET: &str = "bench";
const INTERVAL: Duration = Duration::from_secs(1);

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .region("cn-hangzhou")
        .credentials(Credentials::new("bench-ak", "bench-sk"))
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(500),
        })
        .build()
        .expect("the client builds")
}

/// A client whose every request is refused at once: the spool keeps everything.
fn offline_client() -> Client {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    client(&format!("http://127.0.0.1:{port}"))
}

fn fresh(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    dir.to_path_buf()
}

fn spool_config(key: &str, sync: SyncPolicy) -> SpoolConfig {
    SpoolConfig::new(BUCKET, key)
        .sync(sync)
        .max_bytes(8 << 30)
        .full(FullPolicy::RejectNew)
        .max_backoff(Duration::from_secs(30))
}

/// Seconds to write `count` pieces of `data` through a spool.
fn spool_writes(dir: &Path, sync: SyncPolicy, data: &[u8], count: usize) -> f64 {
    let dir = fresh(dir);
    let spool = Spool::open(&dir, offline_client(), spool_config("w.log", sync)).unwrap();
    let started = Instant::now();
    for _ in 0..count {
        spool.write(data).unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    drop(spool);
    elapsed
}

/// Seconds to append `count` pieces of `data` to a plain file, fsyncing as `sync` says (for
/// `Interval`, a thread fsyncs every interval, as the spool's does).
fn plain_writes(dir: &Path, sync: SyncPolicy, data: &[u8], count: usize) -> f64 {
    let dir = fresh(dir);
    let file = Arc::new(OpenOptions::new().create(true).append(true).open(dir.join("plain.log")).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let syncer = matches!(sync, SyncPolicy::Interval(_)).then(|| {
        let (file, stop) = (file.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                while started.elapsed() < INTERVAL && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                file.sync_data().unwrap();
            }
        })
    });
    let started = Instant::now();
    for _ in 0..count {
        (&*file).write_all(data).unwrap();
        if matches!(sync, SyncPolicy::EveryWrite) {
            file.sync_data().unwrap();
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    if let Some(syncer) = syncer {
        syncer.join().unwrap();
    }
    elapsed
}

fn write_throughput(root: &Path, runs: usize) {
    println!();
    println!("2. write throughput: spool.write against a plain file append, same fsync policy (median of {runs})");
    println!(
        "{:>8} {:>12} {:>8} {:>14} {:>14} {:>10} {:>10} {:>8}",
        "write", "sync", "count", "spool w/s", "plain w/s", "spool MB/s", "plain MB/s", "ratio"
    );
    let policies = [
        ("every-write", SyncPolicy::EveryWrite),
        ("interval 1s", SyncPolicy::Interval(INTERVAL)),
        ("never", SyncPolicy::Never),
    ];
    for (size, label) in [(100usize, "100 B"), (64 << 10, "64 KiB")] {
        let data: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        for (name, sync) in policies {
            let count = match (size, sync) {
                (100, SyncPolicy::EveryWrite) => 2_000,
                (100, _) => 200_000,
                (_, SyncPolicy::EveryWrite) => 500,
                _ => 4_000,
            };
            let (mut spool, mut plain) = (Vec::new(), Vec::new());
            for _ in 0..runs {
                spool.push(count as f64 / spool_writes(&root.join("spool"), sync, &data, count));
                plain.push(count as f64 / plain_writes(&root.join("plain"), sync, &data, count));
            }
            let (spool, plain) = (median(spool), median(plain));
            let mb = |per_s: f64| per_s * size as f64 / 1e6;
            println!(
                "{label:>8} {name:>12} {count:>8} {spool:>14.0} {plain:>14.0} {:>10.1} {:>10.1} {:>8.2}",
                mb(spool),
                mb(plain),
                spool / plain
            );
        }
    }
    let _ = std::fs::remove_dir_all(root);
}

/// Seconds from the first write of `total` bytes (64 KiB pieces) to the end of the flush.
fn spool_end_to_end(dir: &Path, emulator: &Emulator, key: &str, data: &[u8]) -> f64 {
    let dir = fresh(dir);
    let spool =
        Spool::open(&dir, client(&emulator.endpoint()), spool_config(key, SyncPolicy::Interval(INTERVAL))).unwrap();
    let started = Instant::now();
    for piece in data.chunks(64 << 10) {
        spool.write(piece).unwrap();
    }
    spool.flush(Duration::from_secs(600)).unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    spool.close().unwrap();
    assert_eq!(emulator.object_data(BUCKET, key).map(|d| d.len()), Some(data.len()), "the spool sent it all, once");
    elapsed
}

fn appender_end_to_end(emulator: &Emulator, key: &str, data: &[u8]) -> f64 {
    let mut appender = client(&emulator.endpoint()).appender(BUCKET, key);
    let started = Instant::now();
    for piece in data.chunks(1 << 20) {
        appender.append(piece).unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(emulator.object_data(BUCKET, key).map(|d| d.len()), Some(data.len()));
    elapsed
}

fn end_to_end(root: &Path, runs: usize, total: usize) {
    println!();
    println!(
        "3. end to end to the in-process emulator: {} MiB, spool (64 KiB writes, 1 MiB batches, flush) against Appender (1 MiB appends), median of {runs}",
        total >> 20
    );
    let emulator = Emulator::builder().credentials("bench-ak", "bench-sk").bucket(BUCKET).start().unwrap();
    let data: Vec<u8> = (0..total).map(|i| (i * 31 + i / 4093) as u8).collect();
    let (mut spool, mut appender) = (Vec::new(), Vec::new());
    for run in 0..runs {
        spool.push(total as f64 / spool_end_to_end(&root.join("e2e"), &emulator, &format!("spool-{run}"), &data) / 1e6);
        appender.push(total as f64 / appender_end_to_end(&emulator, &format!("appender-{run}"), &data) / 1e6);
    }
    let (spool, appender) = (median(spool), median(appender));
    println!("{:>14} {:>14} {:>8}", "spool MB/s", "Appender MB/s", "ratio");
    println!("{spool:>14.1} {appender:>14.1} {:>8.2}", spool / appender);
    let _ = std::fs::remove_dir_all(root);
}

/// (current RSS, peak RSS since the last reset) in MiB, from /proc/self/status.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Sets the peak RSS back to the current one (Linux: "5" to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The emulator as its own process (its memory is not ours), built when missing.
fn emulator_process() -> (Child, String) {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap().parent().unwrap();
    let binary = target.join("release").join("oss-emulator");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "-q", "-p", "oss-emulator", "--bin", "oss-emulator"])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "building the emulator failed");
    }
    let mut child = Command::new(&binary)
        .args(["--listen", "127.0.0.1:0", "--bucket", BUCKET, "--credentials", "bench-ak:bench-sk"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let endpoint = line.trim().trim_start_matches("listening on ").to_string();
    (child, endpoint)
}

fn memory(root: &Path, total: u64) {
    println!();
    println!("1. memory: {} MiB pending on disk (64 KiB writes, sync never)", total >> 20);
    let dir = fresh(&root.join("memory"));
    let piece = vec![b'm'; 64 << 10];
    let key = "memory.log";
    let (before, _) = rss();
    reset_peak();
    let spool = Spool::open(&dir, offline_client(), spool_config(key, SyncPolicy::Never)).unwrap();
    for _ in 0..total / piece.len() as u64 {
        spool.write(&piece).unwrap();
    }
    let pending = spool.status().pending_bytes;
    assert_eq!(pending, total, "everything waits");
    drop(spool);
    let (_, writing) = rss();

    reset_peak();
    let started = Instant::now();
    let spool = Spool::open(&dir, offline_client(), spool_config(key, SyncPolicy::Never)).unwrap();
    let reopen_s = started.elapsed().as_secs_f64();
    assert_eq!(spool.status().pending_bytes, total);
    drop(spool);
    let (_, reopening) = rss();

    let (mut emulator, endpoint) = emulator_process();
    reset_peak();
    let started = Instant::now();
    let spool = Spool::open(&dir, client(&endpoint), spool_config(key, SyncPolicy::Never)).unwrap();
    spool.flush(Duration::from_secs(1200)).unwrap();
    let upload_s = started.elapsed().as_secs_f64();
    assert_eq!(spool.status().appended_bytes, total);
    spool.close().unwrap();
    let (after, uploading) = rss();
    let _ = emulator.kill();
    let _ = emulator.wait();
    println!("{:>28} {:>10}", "", "peak RSS");
    println!("{:>28} {:>7.1} MiB", "before (the process)", before);
    println!("{:>28} {:>7.1} MiB", "writing 1 GiB", writing);
    println!("{:>28} {:>7.1} MiB   (opened in {reopen_s:.2} s)", "reopening 1 GiB", reopening);
    println!(
        "{:>28} {:>7.1} MiB   ({:.0} MB/s to the emulator process)",
        "sending 1 GiB",
        uploading,
        total as f64 / upload_s / 1e6
    );
    println!("{:>28} {:>7.1} MiB", "after close (current)", after);
    let _ = std::fs::remove_dir_all(root);
}

/// `cargo test --benches`: the spool and the plain file each write, and the spool delivers, once.
fn quick(root: &Path) {
    let data = vec![b'q'; 100];
    for sync in [SyncPolicy::EveryWrite, SyncPolicy::Interval(INTERVAL), SyncPolicy::Never] {
        spool_writes(&root.join("spool"), sync, &data, 20);
        plain_writes(&root.join("plain"), sync, &data, 20);
    }
    let emulator = Emulator::builder().credentials("bench-ak", "bench-sk").bucket(BUCKET).start().unwrap();
    let data: Vec<u8> = (0..300_000).map(|i| i as u8).collect();
    spool_end_to_end(&root.join("e2e"), &emulator, "quick", &data);
    assert_eq!(emulator.object_data(BUCKET, "quick").unwrap(), data);
    let _ = std::fs::remove_dir_all(root);
}

fn main() {
    let target = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let root = target.join("bench-spool");
    if !std::env::args().any(|a| a == "--bench") {
        quick(&root);
        return;
    }
    println!("spool benchmarks; journals under {}", root.display());
    // Memory first: the process has not yet held the other parts' buffers.
    memory(&root, 1 << 30);
    write_throughput(&root, 5);
    end_to_end(&root, 5, 64 << 20);
}
