//! Exactly-once under faults: appends random bodies while the emulator injects every fault it has,
//! and proves at the end that no byte was lost or written twice, and that no failure hid a landing.
//!
//! ```sh
//! cargo run --release --example soak -- --faults 10000        # the long run
//! cargo run --release --example soak -- --faults 1000 --seed 7
//! ```
//!
//! Phase 1, one writer: bodies of 1 B to `--max-body` go through an `Appender`, through explicit
//! positions (with the CRC before) and through unknown positions (the client asks the object). The
//! emulator is the ground truth: after every failure the object's length says whether the failure
//! hid a landing. Phase 2, `--writers` threads append tagged records to one object with an
//! `Appender` each; at the end every record must be in the object exactly once.
//!
//! Each outcome is handled as the library says: success and landed errors (`CrcMismatch`,
//! `Unverified`) are in the object; `Unsettled` is settled (asking again until the service answers)
//! and sent again only when it did not land, after a pause (`--pause-ms`, 200 by default) in which
//! a request still under way commits late (the emulator's `commit-late` fault); a retryable error is
//! sent again; a
//! PositionNotEqualToLength from another writer (phase 2) is sent again at the new end. Anything
//! else stops the run. Prints the counts and exits 1 when a byte was lost or duplicated, or a failure
//! landed without saying so.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oss_append::crc64;
use oss_append::{AppendOptions, Appender, Client, Credentials, Error, RetryPolicy, ServiceErrorKind, Settlement};
use oss_emulator::Emulator;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BUCKET: &str = "soak";
const READ_TIMEOUT: Duration = Duration::from_millis(250);
/// The longest a `commit-late` fault waits before it commits (the pause after settling is longer).
const LATE_COMMIT: u64 = 150;
/// Objects of phase 1 are checked and deleted once this long, to keep the emulator's memory small.
const ROTATE_AT: u64 = 64 << 20;

struct Args {
    faults: u64,
    seed: u64,
    writers: usize,
    max_body: usize,
    /// Between settling an append as not landed and sending it again.
    pause: Duration,
}

fn args() -> Args {
    let mut args = Args {
        faults: 1000,
        seed: rand::rng().random(),
        writers: 8,
        max_body: 1 << 20,
        pause: Duration::from_millis(200),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || given.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| usage(&flag));
        match flag.as_str() {
            "--faults" => args.faults = value(),
            "--seed" => args.seed = value(),
            "--writers" => args.writers = value().max(1) as usize,
            "--max-body" => args.max_body = value().max(1) as usize,
            "--pause-ms" => args.pause = Duration::from_millis(value()),
            _ => usage(&flag),
        }
    }
    args
}

fn usage(flag: &str) -> ! {
    eprintln!(
        "bad argument {flag}\nusage: soak [--faults N] [--seed S] [--writers W] [--max-body BYTES] [--pause-ms MS]"
    );
    std::process::exit(2)
}

/// What happened, counted.
#[derive(Default)]
struct Counts {
    appends: AtomicU64,
    landed: AtomicU64,
    reconciled: AtomicU64,
    landed_errors: AtomicU64,
    not_landed: AtomicU64,
    unsettled: AtomicU64,
    settled_landed: AtomicU64,
    settled_not_landed: AtomicU64,
    hidden_landings: AtomicU64,
    /// Appends said not landed whose request committed later: the resend must be reported landed.
    late_commits: AtomicU64,
    bytes: AtomicU64,
    bytes_lost: AtomicU64,
    bytes_duplicated: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// A body of 1 byte to `max` bytes, mostly small, now and then large.
fn body(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = match rng.random_range(0..100) {
        0..70 => rng.random_range(1..=4096.min(max)),
        70..95 => rng.random_range(1..=(64 << 10).min(max)),
        _ => rng.random_range(1..=max),
    };
    let mut data = vec![0u8; len];
    rng.fill(&mut data[..]);
    data
}

/// Faults met so far, from the emulator's own count.
fn faults_met(emu: &Emulator) -> u64 {
    emu.faults().met().iter().map(|(_, n)| n).sum()
}

/// Arms 1 or 2 random faults of every kind the emulator has, unless enough are armed already.
fn arm_faults(emu: &Emulator, rng: &mut StdRng) {
    let faults = emu.faults();
    let p = faults.pending();
    let armed = p.fail.len()
        + p.fail_method.len()
        + p.delay.len()
        + p.commit_late.len()
        + [p.drop_before_commit, p.drop_after_commit, p.corrupt_crc, p.omit_crc, p.gateway_error_after_commit]
            .iter()
            .map(|n| *n as usize)
            .sum::<usize>();
    if armed >= 3 {
        return;
    }
    for _ in 0..rng.random_range(1..=2) {
        let count = rng.random_range(1..=2);
        match rng.random_range(0..13) {
            0 => faults.fail_next(count, [500, 502, 503][rng.random_range(0..3)]),
            1 => faults.fail_next(count, 408),
            2 => faults.fail_next(count, 429),
            3 => faults.drop_before_commit(count),
            4 | 5 => faults.drop_after_commit(count),
            6 => faults.delay_next(count, READ_TIMEOUT + Duration::from_millis(100)),
            7 => faults.corrupt_crc(count),
            8 => faults.omit_crc(count),
            9 => faults.gateway_error_after_commit(count),
            // The answer is lost and the append commits a little later: after settling, if that is slow.
            10 => faults.commit_late(count, Duration::from_millis(rng.random_range(10..=LATE_COMMIT))),
            // The same, with the retries refused and the settling HEAD too: the caller settles it
            // (most often before the commit: not landed), pauses, and sends it again.
            11 => {
                faults.commit_late(1, Duration::from_millis(rng.random_range(50..=LATE_COMMIT)));
                faults.fail_next_method("POST", 2, 503);
                faults.fail_next_method("HEAD", 1, 503);
            }
            // The HEAD that settles a lost append is refused: the append is unsettled.
            _ => faults.fail_next_method("HEAD", count, 503),
        }
    }
}

/// How one append call ended, as the caller must treat it.
enum Outcome {
    /// The bytes are in the object.
    Landed,
    /// They are not: send them again.
    NotLanded,
}

/// Sorts an append's result into landed / not landed, settling an unsettled one with `settle`
/// (asking again until the service answers), then pausing before the caller sends it again.
/// `other_writers`: a PositionNotEqualToLength is another writer's doing.
fn judge(
    mut settle: impl FnMut(&oss_append::InFlight) -> Result<Settlement, Error>,
    result: Result<oss_append::AppendResult, Error>,
    counts: &Counts,
    other_writers: bool,
    pause: Duration,
) -> Outcome {
    match result {
        Ok(result) => {
            add(&counts.landed, 1);
            if result.reconciled {
                add(&counts.reconciled, 1);
            }
            Outcome::Landed
        }
        Err(error) if error.landed() => {
            add(&counts.landed_errors, 1);
            Outcome::Landed
        }
        Err(Error::Unsettled(unsettled)) => {
            add(&counts.unsettled, 1);
            loop {
                match settle(&unsettled.in_flight) {
                    Ok(Settlement::Landed(_)) => {
                        add(&counts.settled_landed, 1);
                        return Outcome::Landed;
                    }
                    Ok(_) => {
                        add(&counts.settled_not_landed, 1);
                        // Not landed yet: a request still under way may commit meanwhile.
                        std::thread::sleep(pause);
                        return Outcome::NotLanded;
                    }
                    Err(error) if error.is_retryable() => std::thread::sleep(Duration::from_millis(5)),
                    Err(error) => panic!("settling failed for good: {error}"),
                }
            }
        }
        Err(error) if error.is_retryable() => {
            add(&counts.not_landed, 1);
            Outcome::NotLanded
        }
        Err(error) if other_writers && error.service_kind() == Some(ServiceErrorKind::PositionNotEqualToLength) => {
            add(&counts.not_landed, 1);
            Outcome::NotLanded
        }
        Err(error) => panic!("an append failed in a way the soak does not expect: {error}"),
    }
}

/// Settles an appender's unsettled append; a failure is the one that kept it from settling (the
/// appender says `Unsettled` again, with the append still in flight).
fn settle_appender(appender: &mut Appender) -> Result<Settlement, Error> {
    match appender.settle() {
        Ok(settlement) => Ok(settlement.expect("an append in flight")),
        Err(Error::Unsettled(unsettled)) => Err(unsettled.cause),
        Err(error) => Err(error),
    }
}

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .endpoint(emu.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new("soak-ak", "soak-sk"))
        .read_write_timeout(READ_TIMEOUT)
        .retry_policy(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(8),
        })
        .build()
        .expect("the client builds")
}

/// Phase 1: one writer, three ways of appending, the emulator as the ground truth.
fn one_writer(emu: &Emulator, counts: &Counts, args: &Args, rng: &mut StdRng) {
    let client = client(emu);
    let mut object = 0;
    let key = |n: u32| format!("single/{n}.bin");
    let mut model: Vec<u8> = Vec::new();
    let mut model_crc = 0u64;
    let mut appender: Appender = client.appender(BUCKET, key(object));
    while faults_met(emu) < args.faults / 2 {
        let data = body(rng, args.max_body);
        add(&counts.appends, 1);
        let mode = rng.random_range(0..3);
        // Said not landed, then found in the object (a late commit): the resend must say landed.
        let mut committed_late = false;
        loop {
            if rng.random_bool(0.6) {
                arm_faults(emu, rng);
            }
            let result = match mode {
                0 => appender.append(data.as_slice()),
                1 => client.append_object(
                    BUCKET,
                    &key(object),
                    data.as_slice(),
                    &AppendOptions::new().position(model.len() as u64).crc64(model_crc),
                ),
                _ => client.append_object(BUCKET, &key(object), data.as_slice(), &AppendOptions::new()),
            };
            let outcome = match mode {
                0 => judge(|_| settle_appender(&mut appender), result, counts, false, args.pause),
                _ => judge(|f| client.settle(f), result, counts, false, args.pause),
            };
            let length = emu.object(BUCKET, &key(object)).map_or(0, |o| o.length) as usize;
            let landed = match outcome {
                Outcome::Landed => true,
                // The object grew by the body although the call said it did not land: a request still
                // under way committed after settling looked. Sent again, it must be reported landed;
                // said not landed twice, it hid a landing.
                Outcome::NotLanded if length == model.len() + data.len() => {
                    if committed_late {
                        add(&counts.hidden_landings, 1);
                        true
                    } else {
                        committed_late = true;
                        add(&counts.late_commits, 1);
                        false
                    }
                }
                Outcome::NotLanded => false,
            };
            if landed {
                model.extend_from_slice(&data);
                model_crc = crc64::combine(model_crc, crc64::checksum(&data), data.len() as u64);
                add(&counts.bytes, data.len() as u64);
                break;
            }
        }
        if mode != 0 {
            // The appender did not see that append: it continues at the object's known end.
            appender = client.appender(BUCKET, key(object)).resume(model.len() as u64, model_crc);
        }
        if model.len() as u64 >= ROTATE_AT {
            check_object(emu, &key(object), &model, counts);
            object += 1;
            model.clear();
            model_crc = 0;
            appender = client.appender(BUCKET, key(object));
        }
    }
    emu.faults().clear();
    check_object(emu, &key(object), &model, counts);
}

/// Compares the object with what should be in it, counts the difference, and deletes the object.
fn check_object(emu: &Emulator, key: &str, expected: &[u8], counts: &Counts) {
    let actual = emu.object_data(BUCKET, key).unwrap_or_default();
    if actual != expected {
        let common = actual.iter().zip(expected).take_while(|(a, b)| a == b).count();
        add(&counts.bytes_lost, (expected.len() - common) as u64);
        add(&counts.bytes_duplicated, (actual.len() - common) as u64);
        eprintln!(
            "{key}: differs from byte {common} ({} bytes expected, {} in the object)",
            expected.len(),
            actual.len()
        );
    }
    let _ = client(emu).delete_object(BUCKET, key);
}

/// A record: `[u32 length][u16 writer][u32 sequence][payload][u64 CRC-64 of what precedes]`.
fn record(writer: u16, sequence: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 18);
    out.extend_from_slice(&((payload.len() + 18) as u32).to_le_bytes());
    out.extend_from_slice(&writer.to_le_bytes());
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc64::checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Phase 2: writers share one object; each record must be in it exactly once.
fn many_writers(emu: &Arc<Emulator>, counts: &Arc<Counts>, args: &Args, seed: u64) {
    let key = "shared/records.bin";
    let sent: Vec<u32> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.writers)
            .map(|writer| {
                let (emu, counts) = (emu.clone(), counts.clone());
                let max_body = args.max_body.min(64 << 10);
                let (goal, pause) = (args.faults, args.pause);
                scope.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(seed ^ (writer as u64 + 1));
                    let client = client(&emu);
                    let mut appender = client.appender(BUCKET, key);
                    let mut sequence = 0u32;
                    while faults_met(&emu) < goal {
                        let data = record(writer as u16, sequence, &body(&mut rng, max_body));
                        add(&counts.appends, 1);
                        loop {
                            // The faults hit whichever writer's request comes next.
                            if rng.random_bool(0.3) {
                                arm_faults(&emu, &mut rng);
                            }
                            let result = appender.append(data.as_slice());
                            let settle = |_: &oss_append::InFlight| settle_appender(&mut appender);
                            if let Outcome::Landed = judge(settle, result, &counts, true, pause) {
                                add(&counts.bytes, data.len() as u64);
                                break;
                            }
                        }
                        sequence += 1;
                    }
                    sequence
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a writer panicked")).collect()
    });
    emu.faults().clear();
    // Every record of every writer, exactly once.
    let object = emu.object_data(BUCKET, key).unwrap_or_default();
    let mut seen: HashMap<(u16, u32), u32> = HashMap::new();
    let mut at = 0;
    while at + 18 <= object.len() {
        let len = u32::from_le_bytes(object[at..at + 4].try_into().unwrap()) as usize;
        if len < 18 || at + len > object.len() {
            break;
        }
        let (content, crc) = object[at..at + len].split_at(len - 8);
        if crc64::checksum(content) != u64::from_le_bytes(crc.try_into().unwrap()) {
            break;
        }
        let writer = u16::from_le_bytes(content[4..6].try_into().unwrap());
        let sequence = u32::from_le_bytes(content[6..10].try_into().unwrap());
        *seen.entry((writer, sequence)).or_default() += 1;
        at += len;
    }
    if at != object.len() {
        eprintln!("{key}: bytes {at}.. are not records");
        add(&counts.bytes_duplicated, (object.len() - at) as u64);
    }
    for (writer, records) in sent.iter().enumerate() {
        for sequence in 0..*records {
            match seen.remove(&(writer as u16, sequence)) {
                Some(1) => {}
                Some(n) => {
                    eprintln!("record {writer}/{sequence} is in the object {n} times");
                    add(&counts.bytes_duplicated, n as u64 - 1);
                }
                None => {
                    eprintln!("record {writer}/{sequence} is missing");
                    add(&counts.bytes_lost, 1);
                }
            }
        }
    }
    if !seen.is_empty() {
        eprintln!("{} records in the object were never sent", seen.len());
        add(&counts.bytes_duplicated, seen.len() as u64);
    }
}

fn main() {
    let args = args();
    println!(
        "soak: {} faults, seed {}, {} writers, bodies up to {} bytes, {} ms pause after settling",
        args.faults,
        args.seed,
        args.writers,
        args.max_body,
        args.pause.as_millis()
    );
    let emu = Arc::new(
        Emulator::builder().credentials("soak-ak", "soak-sk").bucket(BUCKET).start().expect("the emulator starts"),
    );
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(args.seed);
    one_writer(&emu, &counts, &args, &mut rng);
    let single = (get(&counts.appends), faults_met(&emu));
    many_writers(&emu, &counts, &args, args.seed);

    let met = emu.faults().met();
    let total: u64 = met.iter().map(|(_, n)| n).sum();
    println!(
        "appends:         {} ({} by one writer, {} by {} writers on one object)",
        get(&counts.appends),
        single.0,
        get(&counts.appends) - single.0,
        args.writers
    );
    println!("faults injected: {total} ({} in phase 1)", single.1);
    for (kind, n) in met {
        println!("  {n:>7}  {kind}");
    }
    println!(
        "landed:          {} (of which {} reconciled after a lost response)",
        get(&counts.landed),
        get(&counts.reconciled)
    );
    println!("landed, with a CRC error or no CRC (said so): {}", get(&counts.landed_errors));
    println!("not landed (sent again): {}", get(&counts.not_landed));
    println!(
        "unsettled:       {} (settled later: {} landed, {} not landed)",
        get(&counts.unsettled),
        get(&counts.settled_landed),
        get(&counts.settled_not_landed)
    );
    println!("bytes appended:  {}", get(&counts.bytes));
    println!("bytes lost:      {}", get(&counts.bytes_lost));
    println!("bytes duplicated: {}", get(&counts.bytes_duplicated));
    println!("said not landed, then committed late (resent, reported landed): {}", get(&counts.late_commits));
    println!("failures that landed without saying so: {}", get(&counts.hidden_landings));
    println!("time:            {:.1} s", started.elapsed().as_secs_f64());
    let bad = get(&counts.bytes_lost) + get(&counts.bytes_duplicated) + get(&counts.hidden_landings);
    std::process::exit(if bad == 0 { 0 } else { 1 });
}
