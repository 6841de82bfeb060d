//! Crash test: a child process writes through the spool (fsync on every write) while it uploads, and
//! is killed with SIGKILL at random points — during writes, uploads, between an upload and its
//! checkpoint, during rollovers — and restarted, again and again, while the emulator loses responses
//! and refuses requests. At the end the objects, in order, must be every record written, each once.
//!
//! The same with the `Interval` sync policy: a process killed loses nothing either (the journal is
//! written to the file at once, the system keeps it; only a power cut loses the last interval).
//!
//! `OSS_APPEND_CRASH_KILLS` sets how many kills (default 200 with `EveryWrite`, a quarter of that with
//! `Interval`; `OSS_APPEND_CRASH_KILLS=5000` for a long run).

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use oss_emulator::Emulator;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[path = "../examples/spool_child.rs"]
#[allow(dead_code)]
mod child;

/// The child program, built now if the tests were built without the examples.
fn child_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir.join("examples").join("spool_child");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--example", "spool_child"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        assert!(build.status().unwrap().success(), "building the spool_child example failed");
    }
    assert!(path.exists(), "{} is not built", path.display());
    path
}

/// Runs the child until it has printed `until` numbers or `limit` passed, then kills it (SIGKILL).
/// Returns the last number it printed.
fn run_and_kill(binary: &PathBuf, args: &[String], kill_after: Duration) -> (Option<u64>, bool) {
    let mut child = Command::new(binary).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + kill_after;
    let mut last = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => last = line.parse().ok().or(last),
            Err(mpsc::RecvTimeoutError::Timeout) => break,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap();
    while let Ok(line) = rx.try_recv() {
        last = line.parse().ok().or(last);
    }
    // Killed, or it finished first.
    (last, !status.success())
}

#[test]
fn killed_at_random_points_the_spool_delivers_every_record_once() {
    let kills: u32 = std::env::var("OSS_APPEND_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    crash_test("every-write", kills, 150, &[]);
}

#[test]
fn with_interval_sync_a_killed_process_loses_nothing_either() {
    let kills: u32 = std::env::var("OSS_APPEND_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(200) / 4;
    crash_test("interval", kills, 1000, &["--sync-interval"]);
}

/// Two spools (two devices) misconfigured onto one key template, each in a process killed with
/// SIGKILL at random points while the emulator loses responses, both writing the same records: they
/// race for the same object numbers, often with equal first batches. Each keeps to objects of its
/// own: at the end every object carries one spool's stamp, and each spool's objects, in order, are its
/// records, each once.
#[test]
fn two_spools_on_one_key_template_killed_at_random_each_deliver_every_record_once() {
    let kills: u32 = std::env::var("OSS_APPEND_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(200) / 4;
    let seed: u64 = std::env::var("OSS_APPEND_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("crash test (two spools): {kills} kills each, seed {seed} (OSS_APPEND_CRASH_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let emu = Emulator::builder().credentials("crash-ak", "crash-sk").bucket("crash").start().unwrap();
    let binary = child_binary();
    let records = u64::from(kills) * 100 + 200;
    let dirs: Vec<PathBuf> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let dir = std::env::temp_dir().join(format!("oss-append-crash-two-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            dir
        })
        .collect();
    let args = |dir: &PathBuf| vec![dir.display().to_string(), emu.endpoint(), records.to_string()];
    for _ in 0..kills {
        match rng.random_range(0..6) {
            0 => emu.faults().drop_after_commit(1),
            1 => emu.faults().drop_before_commit(1),
            2 => emu.faults().fail_next(1, 503),
            _ => {}
        }
        let afters: Vec<Duration> = dirs.iter().map(|_| Duration::from_millis(rng.random_range(5..120))).collect();
        std::thread::scope(|scope| {
            for (dir, after) in dirs.iter().zip(afters) {
                let (binary, args) = (&binary, args(dir));
                scope.spawn(move || run_and_kill(binary, &args, after));
            }
        });
    }
    emu.faults().clear();
    std::thread::scope(|scope| {
        for dir in &dirs {
            let (binary, args) = (&binary, args(dir));
            scope.spawn(move || {
                let output = Command::new(binary).args(&args).arg("--flush").output().unwrap();
                assert!(
                    output.status.success() && String::from_utf8_lossy(&output.stdout).contains("flushed"),
                    "the last run failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            });
        }
    });

    // Each object to the spool whose stamp it carries.
    let ids: Vec<String> =
        dirs.iter().map(|dir| std::fs::read_to_string(dir.join("spool-id")).unwrap().trim().to_string()).collect();
    let mut streams: Vec<Vec<u8>> = vec![Vec::new(); dirs.len()];
    let mut objects = 0;
    for seq in 0..10_000 {
        let key = format!("crash/{seq:04}.log");
        let Some(info) = emu.object("crash", &key) else { continue };
        objects += 1;
        let stamp = info.headers.iter().find(|(n, _)| n == "x-oss-meta-oss-append-spool").map(|(_, v)| v.clone());
        let owner = ids.iter().position(|id| Some(id) == stamp.as_ref());
        let owner = owner.unwrap_or_else(|| panic!("{key} carries no spool's stamp: {stamp:?}"));
        streams[owner].extend(emu.object_data("crash", &key).unwrap());
    }
    let expected: Vec<u8> = (0..records).flat_map(child::record).collect();
    for (dir, stream) in dirs.iter().zip(&streams) {
        assert!(
            stream == &expected,
            "{}: {} bytes in its objects, {} written",
            dir.display(),
            stream.len(),
            expected.len()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
    eprintln!("two spools: {objects} objects, {records} records each, every one once");
}

/// One process owns a spool directory (std's file lock: `flock` here, `LockFileEx` on Windows): a
/// second process cannot open it while the first holds it, and the first's death frees it.
#[test]
fn a_second_process_is_locked_out_and_a_killed_owner_frees_the_directory() {
    let emu = Emulator::builder().credentials("crash-ak", "crash-sk").bucket("crash").start().unwrap();
    let dir = std::env::temp_dir().join(format!("oss-append-crash-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let binary = child_binary();
    let args = [dir.display().to_string(), emu.endpoint(), "100000000".to_string()];
    let mut owner = Command::new(&binary).args(&args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(owner.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.trim().parse::<u64>().is_ok(), "the owner wrote no record: {first:?}");

    // Another process: refused, with the spool's Locked error.
    let second = Command::new(&binary).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success() && stderr.contains("Locked"), "a second process opened it: {stderr}");
    // This process too.
    let client = oss_append::Client::builder()
        .endpoint(emu.endpoint())
        .region("cn-hangzhou")
        .credentials(oss_append::Credentials::new("crash-ak", "crash-sk"))
        .build()
        .unwrap();
    let config = || oss_append::SpoolConfig::new("crash", "crash/{seq:4}.log");
    let refused = oss_append::Spool::open(&dir, client.clone(), config()).unwrap_err();
    assert!(matches!(refused, oss_append::Error::Spool(oss_append::SpoolError::Locked { .. })), "{refused:?}");

    owner.kill().unwrap(); // SIGKILL: no cleanup runs, the kernel drops the lock
    owner.wait().unwrap();
    let spool = oss_append::Spool::open(&dir, client, config());
    assert!(spool.is_ok(), "the killed owner's lock outlived it: {:?}", spool.err());
    drop(spool);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `per_kill`: records enough that no run finishes before its kill.
fn crash_test(name: &str, kills: u32, per_kill: u64, flags: &[&str]) {
    let seed: u64 = std::env::var("OSS_APPEND_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    eprintln!("crash test ({name}): {kills} kills, seed {seed} (OSS_APPEND_CRASH_SEED={seed} repeats it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let emu = Emulator::builder().credentials("crash-ak", "crash-sk").bucket("crash").start().unwrap();
    let dir = std::env::temp_dir().join(format!("oss-append-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let binary = child_binary();
    // Enough records that every run has some to write.
    let records = u64::from(kills) * per_kill + 200;
    let mut args = vec![dir.display().to_string(), emu.endpoint(), records.to_string()];
    args.extend(flags.iter().map(|f| f.to_string()));
    let mut acknowledged: Option<u64> = None;
    let mut killed = 0;
    for kill in 0..kills {
        // Faults now and then: lost responses (settled after the restart), refused appends.
        match rng.random_range(0..6) {
            0 => emu.faults().drop_after_commit(1),
            1 => emu.faults().drop_before_commit(1),
            2 => emu.faults().fail_next(1, 503),
            _ => {}
        }
        let after = Duration::from_millis(rng.random_range(5..120));
        let (last, was_killed) = run_and_kill(&binary, &args, after);
        killed += u32::from(was_killed);
        if let Some(last) = last {
            assert!(acknowledged.is_none_or(|a| last >= a), "run {kill} went back to {last}");
            acknowledged = Some(last);
        }
    }
    assert!(killed >= kills * 9 / 10, "only {killed} of {kills} runs were killed before they finished");
    emu.faults().clear();
    // The last run, not killed: writes what is left and waits until all of it is in OSS.
    let output = Command::new(&binary).args(&args).arg("--flush").output().unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("flushed"),
        "the last run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The objects, in order, are records 0..records, each once.
    let mut stream = Vec::new();
    let mut objects = 0;
    while let Some(data) = emu.object_data("crash", &format!("crash/{objects:04}.log")) {
        assert!(data.len() <= 64 << 10, "object {objects} passed the rollover size: {}", data.len());
        stream.extend(data);
        objects += 1;
    }
    let expected: Vec<u8> = (0..records).flat_map(child::record).collect();
    if stream != expected {
        let common = stream.iter().zip(&expected).take_while(|(a, b)| a == b).count();
        let context = |bytes: &[u8]| {
            String::from_utf8_lossy(&bytes[common.saturating_sub(40)..(common + 60).min(bytes.len())]).into_owned()
        };
        panic!(
            "the objects differ from the records at byte {common} of {} ({} expected)\n  got:      {:?}\n  expected: {:?}",
            stream.len(),
            expected.len(),
            context(&stream),
            context(&expected)
        );
    }
    eprintln!(
        "crash test ({name}): {killed} kills, {} records ({} bytes) in {objects} objects, each once; {} acknowledged before the last run",
        records,
        stream.len(),
        acknowledged.map_or(0, |a| a + 1)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
