//! The spool against the emulator: exactly once across restarts, damage, full disks, outages, other
//! writers, expiring tokens and rollover.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use oss_append::{Error, FullPolicy, RolloverReason, Spool, SpoolConfig, SpoolError, SpoolEvent, SyncPolicy};
use oss_emulator::Emulator;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oss-append-spool-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A config that sends small batches quickly.
fn config(key: &str) -> SpoolConfig {
    SpoolConfig::new(BUCKET, key)
        .batch_bytes(4096)
        .batch_age(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(250))
}

/// Every event, in order.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<SpoolEvent>>>);

impl Events {
    fn config(&self, config: SpoolConfig) -> SpoolConfig {
        let events = self.0.clone();
        config.listener(move |event: &SpoolEvent| events.lock().unwrap().push(event.clone()))
    }

    fn all(&self) -> Vec<SpoolEvent> {
        self.0.lock().unwrap().clone()
    }
}

/// Records `first..first+count`, each a line.
fn lines(first: usize, count: usize) -> Vec<Vec<u8>> {
    (first..first + count).map(|i| format!("record {i:05} {}\n", "x".repeat(i % 37)).into_bytes()).collect()
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn writes_reach_the_object_once_in_order_and_the_count_survives_a_reopen() {
    let emu = emulator();
    let dir = temp_dir("basic");
    let events = Events::default();
    let spool = Spool::open(&dir, client(&emu), events.config(config("logs/basic.log"))).unwrap();
    let records = lines(0, 200);
    for record in &records {
        spool.write(record).unwrap();
    }
    spool.flush(Duration::from_secs(30)).unwrap();
    let expected = records.concat();
    assert_eq!(emu.object_data(BUCKET, "logs/basic.log").unwrap(), expected);
    let status = spool.status();
    assert_eq!((status.pending_bytes, status.appended_bytes, status.dropped_bytes), (0, expected.len() as u64, 0));
    assert_eq!((status.object.as_str(), status.position), ("logs/basic.log", expected.len() as u64));
    assert_eq!(status.crc64, Some(oss_append::crc64::checksum(&expected)));
    // The listener saw every batch, contiguous.
    let mut next = 0;
    for event in events.all() {
        if let SpoolEvent::Appended { key, position, length } = event {
            assert_eq!((key.as_str(), position), ("logs/basic.log", next));
            next += length;
        }
    }
    assert_eq!(next, expected.len() as u64);
    spool.close().unwrap();
    // Sent segments were deleted.
    let segments = std::fs::read_dir(dir.join("journal")).unwrap().count();
    assert!(segments <= 1, "{segments} segments left");

    let spool = Spool::open(&dir, client(&emu), config("logs/basic.log")).unwrap();
    assert_eq!(spool.status().appended_bytes, expected.len() as u64);
    spool.write(b"after reopen\n").unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "logs/basic.log").unwrap(), [expected, b"after reopen\n".to_vec()].concat());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn one_process_owns_a_directory() {
    let emu = emulator();
    let dir = temp_dir("lock");
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    let err = Spool::open(&dir, client(&emu), config("k")).unwrap_err();
    assert!(matches!(err, Error::Spool(SpoolError::Locked { .. })), "{err:?}");
    drop(spool);
    let again = Spool::open(&dir, client(&emu), config("k"));
    assert!(again.is_ok(), "the lock is released on close: {again:?}");
    drop(again);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn data_written_during_an_outage_is_sent_after_a_restart() {
    let emu = emulator();
    let dir = temp_dir("outage");
    emu.faults().fail_next(1000, 503);
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    let records = lines(0, 50);
    for record in &records {
        spool.write(record).unwrap();
    }
    wait_until("an upload error", Duration::from_secs(10), || spool.status().last_error.is_some());
    assert!(spool.status().next_try.is_some());
    assert!(matches!(spool.flush(Duration::from_millis(100)), Err(Error::Spool(SpoolError::FlushTimeout { .. }))));
    spool.close().unwrap();
    emu.faults().clear();
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    assert_eq!(spool.status().pending_bytes, records.concat().len() as u64);
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), records.concat());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_batch_left_unsettled_is_settled_at_the_next_open_and_not_sent_twice() {
    let emu = emulator();
    let dir = temp_dir("unsettled");
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    spool.write(b"first\n").unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    // The next batch lands but its response is lost, and the service refuses every HEAD: unsettled.
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 10_000, 503);
    spool.write(b"second\n").unwrap();
    wait_until("the batch to land", Duration::from_secs(10), || emu.object(BUCKET, "k").map(|o| o.length) == Some(13));
    wait_until("an upload error", Duration::from_secs(10), || spool.status().last_error.is_some());
    assert!(spool.status().in_flight);
    spool.close().unwrap();
    emu.faults().clear();
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    spool.write(b"third\n").unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"first\nsecond\nthird\n");
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

fn journal_segments(dir: &Path) -> Vec<PathBuf> {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    segments.sort();
    segments
}

#[test]
fn a_torn_tail_is_cut_and_everything_before_it_is_sent() {
    let emu = emulator();
    let dir = temp_dir("torn");
    emu.faults().fail_next(1000, 503);
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    let records = lines(0, 20);
    for record in &records {
        spool.write(record).unwrap();
    }
    spool.close().unwrap();
    // A write torn by a crash: half a record at the end of the last segment.
    let last = journal_segments(&dir).pop().unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(&last).unwrap();
    std::io::Write::write_all(&mut file, b"OSPL\x10\x00\x00\x00garbage").unwrap();
    emu.faults().clear();
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), records.concat());
    assert_eq!(spool.status().corrupt_bytes, 0);
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_damaged_record_is_quarantined_counted_and_the_rest_sent() {
    let emu = emulator();
    let dir = temp_dir("damaged");
    emu.faults().fail_next(1000, 503);
    let small = config("k").segment_bytes(4096).max_bytes(64 << 20).max_record_bytes(1024);
    let spool = Spool::open(&dir, client(&emu), small.clone()).unwrap();
    let records = lines(0, 300);
    for record in &records {
        spool.write(record).unwrap();
    }
    spool.close().unwrap();
    let segments = journal_segments(&dir);
    assert!(segments.len() >= 3, "{} segments", segments.len());
    // A byte of a record in the middle of the second segment goes bad.
    let middle = &segments[1];
    let mut bytes = std::fs::read(middle).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(middle, &bytes).unwrap();
    emu.faults().clear();
    let events = Events::default();
    let spool = Spool::open(&dir, client(&emu), events.config(small)).unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    let status = spool.status();
    assert!(status.corrupt_bytes > 0 && status.corrupt_bytes < 100, "{status:?}");
    let sent = emu.object_data(BUCKET, "k").unwrap();
    let expected = records.concat();
    assert_eq!(sent.len() as u64 + status.corrupt_bytes, expected.len() as u64, "every other byte was sent");
    // What was sent is the records in order, one of them missing.
    let missing: Vec<&Vec<u8>> = records.iter().filter(|r| !contains(&sent, r)).collect();
    assert_eq!(missing.len(), 1, "exactly the damaged record is missing");
    assert_eq!(missing[0].len() as u64, status.corrupt_bytes);
    let all = events.all();
    assert!(all.iter().any(|e| matches!(e, SpoolEvent::Quarantined { path } if path.exists())), "{all:?}");
    assert!(all.iter().any(|e| matches!(e, SpoolEvent::Dropped { bytes, .. } if *bytes == status.corrupt_bytes)));
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_full_journal_rejects_drops_or_blocks_as_asked() {
    let emu = emulator();
    emu.faults().fail_next(100_000, 503);
    let record = vec![b'r'; 1000];
    let small = |name: &str, full| config(name).max_record_bytes(1000).max_bytes(8192).segment_bytes(2048).full(full);

    // RejectNew: an error, nothing written.
    let dir = temp_dir("reject");
    let spool = Spool::open(&dir, client(&emu), small("reject", FullPolicy::RejectNew)).unwrap();
    let mut written = 0;
    let err = loop {
        match spool.write(&record) {
            Ok(_) => written += 1,
            Err(e) => break e,
        }
        assert!(written < 100, "never full");
    };
    assert!(matches!(err, Error::Spool(SpoolError::Full { max_bytes: 8192, .. })), "{err:?}");
    assert_eq!(spool.status().pending_bytes, written * 1000);
    drop(spool);
    std::fs::remove_dir_all(&dir).unwrap();

    // DropOldest: writes go on; the oldest are dropped, counted exactly and reported.
    let dir = temp_dir("drop");
    let events = Events::default();
    let spool = Spool::open(&dir, client(&emu), events.config(small("drop", FullPolicy::DropOldest))).unwrap();
    for _ in 0..40 {
        spool.write(&record).unwrap();
    }
    let status = spool.status();
    let reported: u64 =
        events.all().iter().map(|e| if let SpoolEvent::Dropped { bytes, .. } = e { *bytes } else { 0 }).sum();
    assert!(status.dropped_bytes > 0);
    assert_eq!(reported, status.dropped_bytes);
    assert_eq!(status.pending_bytes + status.dropped_bytes, 40_000);
    assert!(status.journal_bytes <= 8192, "{status:?}");
    // Once the service is back, what was not dropped is sent, once.
    emu.faults().clear();
    spool.flush(Duration::from_secs(30)).unwrap();
    let sent = emu.object_data(BUCKET, "drop").unwrap();
    assert_eq!(sent.len() as u64, 40_000 - status.dropped_bytes);
    drop(spool);
    std::fs::remove_dir_all(&dir).unwrap();

    // Block: waits, says so, and fails after its timeout; or goes on once space is freed.
    emu.faults().fail_next(100_000, 503);
    let dir = temp_dir("block");
    let events = Events::default();
    let spool =
        Spool::open(&dir, client(&emu), events.config(small("block", FullPolicy::Block(Duration::from_millis(300)))))
            .unwrap();
    let started = Instant::now();
    let err = loop {
        if let Err(e) = spool.write(&record) {
            break e;
        }
        assert!(started.elapsed() < Duration::from_secs(10));
    };
    assert!(matches!(err, Error::Spool(SpoolError::Full { .. })), "{err:?}");
    assert!(events.all().iter().any(|e| matches!(e, SpoolEvent::Blocked { .. })));
    // Reopened with a longer wait (300 ms is shorter than a backoff plus an upload).
    drop(spool);
    let spool = Spool::open(&dir, client(&emu), small("block", FullPolicy::Block(Duration::from_secs(20)))).unwrap();
    let spool = Arc::new(spool);
    let writer = {
        let spool = spool.clone();
        std::thread::spawn(move || spool.write(&vec![b'w'; 1000]))
    };
    std::thread::sleep(Duration::from_millis(100));
    emu.faults().clear();
    assert!(writer.join().unwrap().is_ok(), "the blocked write goes on once the uploader frees space");
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(spool.status().dropped_bytes, 0);
    drop(spool);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn another_writer_on_the_object_moves_the_spool_to_the_next_object() {
    let emu = emulator();
    let dir = temp_dir("other");
    let events = Events::default();
    let spool = Spool::open(&dir, client(&emu), events.config(config("shared.log"))).unwrap();
    spool.write(b"ours 1\n").unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    client(&emu).appender(BUCKET, "shared.log").append(b"theirs\n").unwrap();
    spool.write(b"ours 2\n").unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "shared.log").unwrap(), b"ours 1\ntheirs\n", "never overwritten");
    assert_eq!(emu.object_data(BUCKET, "shared.log.1").unwrap(), b"ours 2\n");
    assert!(events.all().iter().any(|e| matches!(
        e,
        SpoolEvent::RolledOver { from, to, reason: RolloverReason::OtherWriter } if from == "shared.log" && to == "shared.log.1"
    )));
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Two spools (two devices, or two processes) misconfigured onto one key template, each writing the
/// same first record: the second never sent a byte to the first's object, so its refusal there is
/// another writer, not its own batch landed. Every record of both ends in OSS, once.
#[test]
fn two_spools_on_one_key_each_keep_every_record_of_their_own() {
    let emu = emulator();
    let (dir_a, dir_b) = (temp_dir("two-a"), temp_dir("two-b"));
    let (events_a, events_b) = (Events::default(), Events::default());
    let a = Spool::open(&dir_a, client(&emu), events_a.config(config("logs/x.log"))).unwrap();
    let b = Spool::open(&dir_b, client(&emu), events_b.config(config("logs/x.log"))).unwrap();
    a.write(b"app started\n").unwrap();
    a.flush(Duration::from_secs(30)).unwrap();
    b.write(b"app started\n").unwrap();
    b.flush(Duration::from_secs(30)).unwrap();
    // Then records that differ, after the identical first ones.
    a.write(b"A 1\n").unwrap();
    b.write(b"B 1\n").unwrap();
    a.flush(Duration::from_secs(30)).unwrap();
    b.flush(Duration::from_secs(30)).unwrap();

    assert_eq!(emu.object_data(BUCKET, "logs/x.log").unwrap(), b"app started\nA 1\n");
    assert_eq!(emu.object_data(BUCKET, "logs/x.log.1").unwrap(), b"app started\nB 1\n");
    assert!(
        events_b.all().iter().any(|e| matches!(
            e,
            SpoolEvent::RolledOver { from, to, reason: RolloverReason::OtherWriter }
                if from == "logs/x.log" && to == "logs/x.log.1"
        )),
        "{:?}",
        events_b.all()
    );
    // Each spool counts what it sent, nothing more.
    assert_eq!(a.status().appended_bytes, 16);
    assert_eq!(b.status().appended_bytes, 16);
    assert!(!events_a.all().iter().any(|e| matches!(e, SpoolEvent::RolledOver { .. })), "{:?}", events_a.all());
    // Each object carries its spool's stamp.
    let stamp = |key: &str| {
        let info = emu.object(BUCKET, key).unwrap();
        info.headers.iter().find(|(n, _)| n == "x-oss-meta-oss-append-spool").map(|(_, v)| v.clone())
    };
    let id = |dir: &Path| std::fs::read_to_string(dir.join("spool-id")).unwrap().trim().to_string();
    assert_eq!(stamp("logs/x.log"), Some(id(&dir_a)));
    assert_eq!(stamp("logs/x.log.1"), Some(id(&dir_b)));
    drop((a, b));
    std::fs::remove_dir_all(dir_a).unwrap();
    std::fs::remove_dir_all(dir_b).unwrap();
}

/// The first spool records its batch in flight and stops before the service has it (as a process
/// killed between its checkpoint and its send); the second then creates the object with the same
/// bytes. Reopened, the first settles its batch: equal length and CRC, but another spool's stamp, so
/// not its own. It moves to the next object and sends the batch there.
#[test]
fn a_batch_left_in_flight_is_not_taken_as_landed_in_another_spools_object() {
    let emu = emulator();
    let (dir_a, dir_b) = (temp_dir("inflight-a"), temp_dir("inflight-b"));
    emu.faults().fail_next(100_000, 503);
    let a = Spool::open(&dir_a, client(&emu), config("logs/y.log")).unwrap();
    a.write(b"app started\n").unwrap();
    wait_until("the batch recorded in flight", Duration::from_secs(10), || {
        std::fs::read_to_string(dir_a.join("checkpoint")).unwrap_or_default().contains("inflight")
    });
    drop(a);
    emu.faults().clear();
    assert!(emu.object_data(BUCKET, "logs/y.log").is_none(), "nothing reached the service");

    let b = Spool::open(&dir_b, client(&emu), config("logs/y.log")).unwrap();
    b.write(b"app started\n").unwrap();
    b.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "logs/y.log").unwrap(), b"app started\n");

    let events = Events::default();
    let a = Spool::open(&dir_a, client(&emu), events.config(config("logs/y.log"))).unwrap();
    a.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "logs/y.log").unwrap(), b"app started\n", "one copy: B's");
    assert_eq!(emu.object_data(BUCKET, "logs/y.log.1").unwrap(), b"app started\n", "A's record, sent");
    assert!(events
        .all()
        .iter()
        .any(|e| matches!(e, SpoolEvent::RolledOver { reason: RolloverReason::OtherWriter, .. })));
    drop((a, b));
    std::fs::remove_dir_all(dir_a).unwrap();
    std::fs::remove_dir_all(dir_b).unwrap();
}

/// A batch left in flight whose request is still under way at the service, reopened after the
/// object passed its rollover age: it is sent again to the same object first (where the service's
/// answer fences the late commit off), not moved to the next object, where the late commit would
/// make it a second copy.
#[test]
fn a_batch_that_may_still_commit_is_not_moved_to_the_next_object_for_age() {
    let emu = Arc::new(emulator());
    let dir = temp_dir("late-age");
    let config = || config("logs/aged.log").rollover_age(Some(Duration::from_secs(1)));
    // The second batch's first request commits 2.5 s late; from its retry on (the third request
    // the client signs), every append and settling HEAD is refused.
    let armed = emu.clone();
    let hooked = client_hooked(&emu, 2, move || {
        armed.faults().fail_next_method("POST", 100_000, 503);
        armed.faults().fail_next_method("HEAD", 100_000, 503);
    });
    let spool = Spool::open(&dir, hooked, config()).unwrap();
    spool.write(b"one\n").unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    emu.faults().commit_late(1, Duration::from_millis(2500));
    spool.write(b"two\n").unwrap();
    wait_until("the batch recorded in flight", Duration::from_secs(10), || {
        std::fs::read_to_string(dir.join("checkpoint")).unwrap_or_default().contains("inflight")
    });
    std::thread::sleep(Duration::from_millis(200));
    drop(spool);
    emu.faults().clear();
    // Reopened past the object's rollover age, before the late commit.
    std::thread::sleep(Duration::from_millis(1000));
    let spool = Spool::open(&dir, client(&emu), config()).unwrap();
    spool.flush(Duration::from_secs(30)).unwrap();
    std::thread::sleep(Duration::from_millis(2000)); // past the late commit
    let aged = emu.object_data(BUCKET, "logs/aged.log").unwrap();
    let next = emu.object_data(BUCKET, "logs/aged.log.1").unwrap_or_default();
    assert_eq!([aged, next].concat(), b"one\ntwo\n", "every record once");
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn objects_roll_over_at_the_size_asked_and_keys_follow_the_template() {
    let emu = emulator();
    let dir = temp_dir("rollover");
    let spool = Spool::open(
        &dir,
        client(&emu),
        config("logs/{device}/{seq:3}.log").var("device", "d1").rollover_bytes(1000).batch_bytes(300),
    )
    .unwrap();
    let records = lines(0, 100);
    for record in &records {
        spool.write(record).unwrap();
    }
    spool.flush(Duration::from_secs(30)).unwrap();
    let mut all = Vec::new();
    let mut seq = 0;
    while let Some(data) = emu.object_data(BUCKET, &format!("logs/d1/{seq:03}.log")) {
        assert!(data.len() <= 1000, "object {seq} is {} bytes", data.len());
        all.extend(data);
        seq += 1;
    }
    assert!(seq > 3, "{seq} objects");
    assert_eq!(all, records.concat());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_service_restarted_on_its_root_is_ridden_out() {
    let root = temp_dir("emulator-root");
    let start = |addr: Option<std::net::SocketAddr>| {
        let mut builder = Emulator::builder().credentials(AK, SK).bucket(BUCKET).root(&root);
        if let Some(addr) = addr {
            builder = builder.listen(addr);
        }
        builder.start().unwrap()
    };
    let emu = start(None);
    let addr = emu.addr();
    let dir = temp_dir("restart");
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    let records = lines(0, 60);
    for record in &records[..30] {
        spool.write(record).unwrap();
    }
    spool.flush(Duration::from_secs(30)).unwrap();
    drop(emu); // the service goes away
    for record in &records[30..] {
        spool.write(record).unwrap();
    }
    wait_until("an upload error", Duration::from_secs(10), || spool.status().last_error.is_some());
    let emu = start(Some(addr)); // and comes back, with what it had
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), records.concat());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
    drop(emu);
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn bad_settings_are_refused() {
    let emu = emulator();
    let dir = temp_dir("bad");
    for (config, says) in [
        (SpoolConfig::new("Bad_Bucket", "k"), "bucket"),
        (SpoolConfig::new(BUCKET, "logs/{nope}"), "nope"),
        (SpoolConfig::new(BUCKET, "k").batch_bytes(0), "batch_bytes"),
        (SpoolConfig::new(BUCKET, "k").rollover_bytes(6 << 30), "rollover_bytes"),
        (SpoolConfig::new(BUCKET, "k").max_bytes(1000), "max_bytes"),
        (SpoolConfig::new(BUCKET, "k").sync(SyncPolicy::Interval(Duration::ZERO)), "interval"),
    ] {
        let err = Spool::open(&dir, client(&emu), config).unwrap_err();
        assert!(err.to_string().contains(says), "{says}: {err}");
    }
    let spool = Spool::open(&dir, client(&emu), config("k").max_record_bytes(10)).unwrap();
    assert!(matches!(spool.write(&[0; 11]), Err(Error::Spool(SpoolError::TooLarge { bytes: 11, max: 10 }))));
    spool.close().unwrap();
    assert!(matches!(spool.write(b"x"), Err(Error::Spool(SpoolError::Closed))));
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn marks_are_kept_with_their_data_across_a_reopen() {
    let emu = emulator();
    let dir = temp_dir("marks");
    emu.faults().fail_next(1000, 503);
    let spool = Spool::open(&dir, client(&emu), config("k").sync(SyncPolicy::EveryWrite)).unwrap();
    assert_eq!(spool.last_mark(), None);
    spool.write_with_mark(b"abc", b"offset=3").unwrap();
    spool.write(b"def").unwrap();
    spool.write_with_mark(b"ghi", b"offset=9").unwrap();
    drop(spool);
    emu.faults().clear();
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    assert_eq!(spool.last_mark().as_deref(), Some(&b"offset=9"[..]));
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abcdefghi", "marks never reach the object");
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_sts_token_expiring_mid_stream_pauses_and_asks_again_never_dropping() {
    use oss_append::{Credentials, RefreshingProvider};
    use std::sync::atomic::{AtomicU32, Ordering};
    // The service takes the first token for a second only; the provider believes it good for an hour.
    let emu = Emulator::builder()
        .expiring_sts_credentials("sts-a", "sk-a", "token-a", std::time::SystemTime::now() + Duration::from_secs(1))
        .sts_credentials("sts-b", "sk-b", "token-b")
        .bucket(BUCKET)
        .start()
        .unwrap();
    let fetches = Arc::new(AtomicU32::new(0));
    let counter = fetches.clone();
    let provider = RefreshingProvider::new(move || {
        let hour = std::time::SystemTime::now() + Duration::from_secs(3600);
        Ok(match counter.fetch_add(1, Ordering::SeqCst) {
            0 => Credentials::new("sts-a", "sk-a").with_security_token("token-a").with_expiration(hour),
            _ => Credentials::new("sts-b", "sk-b").with_security_token("token-b").with_expiration(hour),
        })
    });
    let client = builder(&emu).credentials_provider(Arc::new(provider)).retry_policy(quick_retries()).build().unwrap();
    let dir = temp_dir("sts");
    let events = Events::default();
    let spool = Spool::open(&dir, client, events.config(config("k"))).unwrap();
    let records = lines(0, 30);
    for record in &records {
        spool.write(record).unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }
    spool.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), records.concat());
    assert_eq!(spool.status().dropped_bytes, 0);
    assert!(fetches.load(Ordering::SeqCst) >= 2, "the provider was asked again");
    let errors: Vec<String> = events
        .all()
        .into_iter()
        .filter_map(|e| if let SpoolEvent::Error { message, .. } = e { Some(message) } else { None })
        .collect();
    assert!(errors.iter().any(|m| m.contains("SecurityTokenExpired")), "{errors:?}");
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn close_returns_at_once_whatever_the_sync_interval() {
    // The sync thread was woken by every write and fsynced at once (Interval worked like an
    // asynchronous EveryWrite), and a close arriving during that fsync waited a whole interval.
    let emulator = emulator();
    let client = client(&emulator);
    let dir = temp_dir("close-promptly");
    let mut slowest = Duration::ZERO;
    for round in 0..30 {
        let config = config(&format!("close-promptly-{round}.log")).sync(SyncPolicy::Interval(Duration::from_secs(30)));
        let spool = Spool::open(&dir, client.clone(), config).unwrap();
        for line in lines(0, 20) {
            spool.write(&line).unwrap();
        }
        let started = Instant::now();
        spool.close().unwrap();
        slowest = slowest.max(started.elapsed());
    }
    assert!(slowest < Duration::from_secs(5), "a close took {slowest:?}");
}

// The review of the spool (findings 1-5, 7): each failed before its fix.

#[test]
fn unreadable_bytes_in_the_journal_are_never_acknowledged_as_sent() {
    // What a failed write (a full disk) left before the fix: part of a record, with more records
    // written after it. The uploader must not count the records after it as sent.
    let emu = emulator();
    let dir = temp_dir("unreadable");
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    spool.write(b"first\n").unwrap();
    spool.flush(Duration::from_secs(10)).unwrap();
    let active = journal_segments(&dir).pop().unwrap();
    let mut file = std::fs::OpenOptions::new().append(true).open(&active).unwrap();
    std::io::Write::write_all(&mut file, &[0x4F, 0x53, 0x50, 0x4C, 5, 0, 0, 0, 6, 0]).unwrap();
    drop(file);
    let later = lines(0, 20);
    for record in &later {
        spool.write(record).unwrap();
    }
    let err = spool.flush(Duration::from_secs(10)).unwrap_err();
    assert!(matches!(err, Error::Spool(SpoolError::Corrupt { .. })), "the uploader stops and says why: {err:?}");
    spool.close().unwrap();
    // Reopened, the damage is repaired (quarantined) and every record written is sent.
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    spool.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), [b"first\n".to_vec(), later.concat()].concat());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_checkpoint_that_cannot_be_stored_after_a_batch_landed_does_not_send_it_twice() {
    let emu = emulator();
    let dir = temp_dir("commit-fails");
    let blocker = dir.join("checkpoint.tmp");
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let events = Events::default();
    let (path, first) = (blocker.clone(), armed.clone());
    let recorded = events.clone();
    let config = config("k").listener(move |event: &SpoolEvent| {
        recorded.0.lock().unwrap().push(event.clone());
        // Right after the batch lands, the checkpoint cannot be written (a directory is in the way of
        // its temporary file); after the error is told, it can again.
        if matches!(event, SpoolEvent::Appended { .. }) && first.swap(false, std::sync::atomic::Ordering::SeqCst) {
            std::fs::create_dir(&path).unwrap();
        }
        if matches!(event, SpoolEvent::Error { .. }) {
            let _ = std::fs::remove_dir(&path);
        }
    });
    let spool = Spool::open(&dir, client(&emu), config).unwrap();
    spool.write(b"only once\n").unwrap();
    spool.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"only once\n");
    assert!(emu.object_data(BUCKET, "k.1").is_none(), "the batch went to a second object too");
    let appended = events.all().iter().filter(|e| matches!(e, SpoolEvent::Appended { .. })).count();
    assert_eq!(appended, 1, "{:?}", events.all());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn records_of_marks_only_never_give_two_segments_one_name() {
    let emu = emulator();
    let dir = temp_dir("marks-only");
    let small = config("k").segment_bytes(1024).max_bytes(1 << 20).max_record_bytes(4096);
    let spool = Spool::open(&dir, client(&emu), small).unwrap();
    for _ in 0..10 {
        spool.write_with_mark(b"", &[7u8; 100]).unwrap();
    }
    let mut expected = Vec::new();
    for i in 0..60 {
        let record = format!("record {i:03} {}\n", "y".repeat(60));
        expected.extend_from_slice(record.as_bytes());
        spool.write(record.as_bytes()).unwrap();
        if i % 10 == 9 {
            spool.flush(Duration::from_secs(10)).unwrap();
        }
    }
    spool.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), expected);
    assert_eq!(spool.status().last_error, None);
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_journal_that_lost_its_unsynced_tail_after_it_was_sent_still_opens() {
    // A power cut under Interval or Never: the checkpoint (fsynced) says more was sent than the
    // journal kept.
    let emu = emulator();
    let dir = temp_dir("lost-tail");
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    for record in lines(0, 3) {
        spool.write(&record).unwrap();
    }
    spool.flush(Duration::from_secs(10)).unwrap();
    spool.close().unwrap();
    let last = journal_segments(&dir).pop().unwrap();
    let record = (26 + lines(2, 1)[0].len()) as u64;
    let length = std::fs::metadata(&last).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&last).unwrap().set_len(length - record).unwrap();
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    let more = lines(3, 5);
    for record in &more {
        spool.write(record).unwrap();
    }
    spool.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), [lines(0, 3).concat(), more.concat()].concat());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn damage_in_records_already_sent_does_not_stop_the_spool_opening() {
    let emu = emulator();
    let dir = temp_dir("sent-damage");
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    for record in lines(0, 3) {
        spool.write(&record).unwrap();
    }
    spool.flush(Duration::from_secs(10)).unwrap();
    spool.close().unwrap();
    let last = journal_segments(&dir).pop().unwrap();
    let mut bytes = std::fs::read(&last).unwrap();
    let second = 26 + lines(0, 1)[0].len();
    bytes[second + 27] ^= 0xff;
    std::fs::write(&last, bytes).unwrap();
    let spool = Spool::open(&dir, client(&emu), config("k")).unwrap();
    spool.write(b"after\n").unwrap();
    spool.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), [lines(0, 3).concat(), b"after\n".to_vec()].concat());
    assert_eq!(spool.status().corrupt_bytes, 0, "the damaged bytes were sent before they went bad");
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_listener_may_call_the_spool_from_any_event() {
    let emu = emulator();
    emu.faults().fail_next(100_000, 503);
    let dir = temp_dir("reentrant");
    let spool: Arc<std::sync::OnceLock<std::sync::Weak<Spool>>> = Arc::new(std::sync::OnceLock::new());
    let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (inner, count) = (spool.clone(), seen.clone());
    let listener = move |_: &SpoolEvent| {
        if let Some(spool) = inner.get().and_then(std::sync::Weak::upgrade) {
            let _ = spool.status();
            let _ = spool.last_mark();
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    };
    let small = |full| config("k").max_record_bytes(1000).max_bytes(8192).segment_bytes(2048).full(full);
    let opened = Arc::new(Spool::open(&dir, client(&emu), small(FullPolicy::DropOldest).listener(listener)).unwrap());
    spool.set(Arc::downgrade(&opened)).unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..40 {
            opened.write(&[b'r'; 1000]).unwrap();
        }
        opened
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while !writer.is_finished() {
        assert!(Instant::now() < deadline, "the writing thread deadlocked in the listener");
        std::thread::sleep(Duration::from_millis(20));
    }
    let opened = writer.join().unwrap();
    assert!(opened.status().dropped_bytes > 0);
    assert!(seen.load(std::sync::atomic::Ordering::SeqCst) > 0, "the listener called the spool");
    emu.faults().clear();
    drop(opened);
    std::fs::remove_dir_all(dir).unwrap();
}
