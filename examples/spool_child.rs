//! The process the spool's crash test (tests/spool_crash.rs) kills with SIGKILL, again and again.
//!
//! `spool_child DIR ENDPOINT RECORDS [--flush] [--sync-interval]` opens the spool in DIR (fsync on
//! every write, or every 50 ms with `--sync-interval`; small batches, segments and objects, so a kill lands during writes, uploads, checkpoints and
//! rollovers), goes on from the record after its last mark, and writes records up to RECORDS,
//! printing each number once its `write` has returned. With `--flush` it then waits until every
//! record is in OSS and prints `flushed`.
//!
//! Record `i` is `record(i)`: its number, a length from its number, and filler; the test rebuilds
//! the expected stream from the numbers alone.

use std::io::Write;
use std::time::Duration;

use oss_append::{Client, Credentials, RetryPolicy, Spool, SpoolConfig, SyncPolicy};

/// The bytes of record `i`.
pub fn record(i: u64) -> Vec<u8> {
    let length = (i * 7919) % 1500;
    let filler: String = (0..length).map(|j| char::from(b'a' + ((i + j) % 26) as u8)).collect();
    format!("{i:08} {filler}\n").into_bytes()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: spool_child DIR ENDPOINT RECORDS [--flush] [--sync-interval]");
        std::process::exit(2);
    }
    let (dir, endpoint) = (&args[1], &args[2]);
    let records: u64 = args[3].parse().expect("RECORDS is a number");
    let flush = args[4..].iter().any(|a| a == "--flush");
    let sync = if args[4..].iter().any(|a| a == "--sync-interval") {
        SyncPolicy::Interval(Duration::from_millis(50))
    } else {
        SyncPolicy::EveryWrite
    };
    let client = Client::builder()
        .endpoint(endpoint)
        .region("cn-hangzhou")
        .credentials(Credentials::new("crash-ak", "crash-sk"))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .read_write_timeout(Duration::from_millis(500))
        .build()
        .expect("the client builds");
    let config = SpoolConfig::new("crash", "crash/{seq:4}.log")
        .sync(sync)
        .batch_bytes(8 << 10)
        .batch_age(Duration::from_millis(5))
        .segment_bytes(16 << 10)
        .rollover_bytes(64 << 10)
        .max_record_bytes(2 << 10)
        .max_backoff(Duration::from_millis(250));
    let spool = Spool::open(dir, client, config).expect("the spool opens");
    let next =
        spool.last_mark().map(|mark| u64::from_le_bytes(mark.try_into().expect("an 8-byte mark")) + 1).unwrap_or(0);
    let stdout = std::io::stdout();
    for i in next..records {
        spool.write_with_mark(&record(i), &i.to_le_bytes()).expect("the write is journaled");
        let mut out = stdout.lock();
        let _ = writeln!(out, "{i}");
        let _ = out.flush();
        if !flush && i % 8 == 0 {
            // Spread the writes over the time a kill may come, so kills land among uploads too.
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    if flush {
        spool.flush(Duration::from_secs(120)).expect("everything reaches OSS");
        println!("flushed");
    }
    spool.close().expect("the spool closes");
}
