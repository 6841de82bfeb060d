//! The spool, with no account needed: start the emulator in-process, write records to a spool while
//! the service is down (they wait in the journal), close it as a killed app would leave it, reopen it
//! and watch every record reach OSS once, in order, in objects named by a template.
//!
//! Run: `cargo run --example spool_demo`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oss_append::{Client, Credentials, RetryPolicy, Spool, SpoolConfig, SpoolEvent, SyncPolicy};
use oss_emulator::Emulator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().credentials("demo-ak", "demo-secret").bucket("demo-bucket").start()?;
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new("demo-ak", "demo-secret"))
        .retry_policy(RetryPolicy { max_attempts: 1, ..RetryPolicy::default() })
        .build()?;
    // The objects the spool appended to, in order, as its listener heard.
    let objects = Arc::new(Mutex::new(Vec::<String>::new()));
    let dir = std::env::temp_dir().join(format!("oss-append-spool-demo-{}", std::process::id()));
    let config = || {
        let objects = objects.clone();
        SpoolConfig::new("demo-bucket", "logs/{device}/{date}/{seq:4}.log")
            .var("device", "cam-7")
            .sync(SyncPolicy::EveryWrite) // fsynced before write returns
            .batch_bytes(512)
            .batch_age(Duration::from_millis(50))
            .rollover_bytes(1024) // a tiny object size, to show rollovers
            .max_backoff(Duration::from_millis(250))
            .listener(move |event: &SpoolEvent| match event {
                SpoolEvent::Appended { key, position, length } => {
                    println!("  appended {length:>4} bytes to {key} at {position}");
                    let mut objects = objects.lock().unwrap();
                    if objects.last() != Some(key) {
                        objects.push(key.clone());
                    }
                }
                SpoolEvent::RolledOver { from, to, reason } => println!("  rolled over {from} -> {to} ({reason:?})"),
                SpoolEvent::Error { message, .. } => println!("  upload failed, kept for later: {message}"),
                other => println!("  {other:?}"),
            })
    };

    println!("the service is down; writing 80 records to the spool in {}", dir.display());
    emulator.faults().fail_next(1_000_000, 503);
    let spool = Spool::open(&dir, client.clone(), config())?;
    let mut written = Vec::new();
    for i in 0..80 {
        let record = format!("reading {i:02}: temperature={}.{}C\n", 20 + i % 5, i % 10);
        spool.write_with_mark(record.as_bytes(), &[i])?;
        written.extend_from_slice(record.as_bytes());
    }
    std::thread::sleep(Duration::from_millis(300)); // the uploader tries, fails, keeps everything
    let status = spool.status();
    println!(
        "pending {} bytes, appended {}, last error: {:?}",
        status.pending_bytes, status.appended_bytes, status.last_error
    );
    spool.close()?; // as if the app were killed: the journal keeps everything

    println!("the service is back; the next run opens the same directory");
    emulator.faults().clear();
    let spool = Spool::open(&dir, client.clone(), config())?;
    println!("the last record written had mark {:?}", spool.last_mark());
    spool.flush(Duration::from_secs(30))?;
    let status = spool.status();
    println!(
        "pending {} bytes, appended {} bytes, now at {} position {}",
        status.pending_bytes, status.appended_bytes, status.object, status.position
    );
    spool.close()?;

    // The objects, in order, are every record once.
    let mut stream = Vec::new();
    for key in objects.lock().unwrap().iter() {
        stream.extend(client.get_object_to_vec("demo-bucket", key, None)?);
    }
    assert_eq!(stream, written, "every record once, in order");
    println!("{} bytes in OSS, identical to the {} bytes written", stream.len(), written.len());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
