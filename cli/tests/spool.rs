//! `append-object --follow --spool DIR`: kill -9 and a restart of the same command go on where the
//! last run stopped; the object ends up equal to the input, nothing twice.

#![cfg(unix)]

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use rand::{Rng, SeedableRng};

fn temp(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("oss-append-cli-spool-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    let _ = std::fs::remove_file(&path);
    path
}

fn spooled(
    emu: &oss_emulator::Emulator,
    key: &str,
    body: &str,
    spool: &std::path::Path,
    extra: &[&str],
) -> std::process::Command {
    let spool = spool.display().to_string();
    let mut args = vec!["append-object", "--bucket", BUCKET, "--key", key, "--body", body, "--follow"];
    args.extend_from_slice(&["--spool", &spool, "--batch-interval-ms", "20", "--batch-bytes", "65536"]);
    args.extend_from_slice(extra);
    cli(emu, &args)
}

#[test]
fn a_followed_file_killed_and_restarted_again_and_again_arrives_once() {
    let seed: u64 = rand::rng().random();
    eprintln!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let emu = emulator();
    let input = temp("input.log");
    let spool = temp("spool-file");
    let body = format!("file://{}", input.display());
    let mut expected = Vec::new();
    let mut file = std::fs::File::create(&input).unwrap();
    let mut line = 0;
    for run in 0..30 {
        // The file grows between runs and while they run.
        for _ in 0..rng.random_range(50..400) {
            let text = format!("{line:07} {}\n", "y".repeat(line % 90));
            file.write_all(text.as_bytes()).unwrap();
            expected.extend_from_slice(text.as_bytes());
            line += 1;
        }
        if rng.random_bool(0.3) {
            emu.faults().drop_after_commit(1);
        }
        let mut command = spooled(&emu, "followed.log", &body, &spool, &["-q"]);
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(10..150)));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "run {run} ended by itself");
    }
    emu.faults().clear();
    // The last run, not killed: idle for a while, it flushes and exits 0.
    let output = run(spooled(&emu, "followed.log", &body, &spool, &["-q", "--idle-exit-ms", "700"]));
    expect_code(&output, 0);
    assert_eq!(emu.object_data(BUCKET, "followed.log").unwrap_or_default(), expected, "the object is the file, once");
    std::fs::remove_file(&input).unwrap();
    std::fs::remove_dir_all(&spool).unwrap();
}

#[test]
fn standard_input_read_by_a_killed_run_is_sent_by_the_next() {
    let emu = emulator();
    let spool = temp("spool-stdin");
    // The service refuses everything: what is read stays in the journal.
    emu.faults().fail_next(100_000, 503);
    let mut command = spooled(&emu, "stdin.log", "-", &spool, &["-q"]);
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"read before the kill\n").unwrap();
    stdin.flush().unwrap();
    // Once it is in the journal (a segment holds it), kill -9.
    let deadline = Instant::now() + Duration::from_secs(10);
    let journaled = || {
        std::fs::read_dir(spool.join("journal"))
            .map(|d| d.filter_map(|e| e.ok()).any(|e| e.metadata().map(|m| m.len() > 0).unwrap_or(false)))
            .unwrap_or(false)
    };
    while !journaled() {
        assert!(Instant::now() < deadline, "never journaled");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(emu.object(BUCKET, "stdin.log").is_none());
    emu.faults().clear();
    // The next run, with nothing more on standard input, sends it and exits 0.
    let output = run_with(spooled(&emu, "stdin.log", "-", &spool, &[]), b"and more\n");
    expect_code(&output, 0);
    assert_eq!(emu.object_data(BUCKET, "stdin.log").unwrap(), b"read before the kill\nand more\n");
    assert!(stdout(&output).contains("appended"), "{}", stdout(&output));
    std::fs::remove_dir_all(&spool).unwrap();
}

#[test]
fn spool_refuses_a_position() {
    let emu = emulator();
    let spool = temp("spool-usage");
    let output = run(spooled(&emu, "k", "-", &spool, &["--position", "0"]));
    expect_code(&output, 2);
    assert!(stderr(&output).contains("--spool keeps the object's position"), "{}", stderr(&output));
}

#[test]
fn a_key_with_braces_is_the_key_not_a_template() {
    let emu = emulator();
    let spool = temp("spool-braces");
    let key = "logs/{device}/a}{b.log";
    let output = run_with(spooled(&emu, key, "-", &spool, &[]), b"braces\n");
    expect_code(&output, 0);
    assert_eq!(emu.object_data(BUCKET, key).unwrap(), b"braces\n");
    std::fs::remove_dir_all(&spool).unwrap();
}

/// Writes `lines` to a spooling run's standard input, each once `ready()` says the one before is
/// in OSS, then closes it; the run must exit 0.
fn feed(mut command: std::process::Command, lines: &[&[u8]], ready: impl Fn(usize) -> bool) {
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for (i, line) in lines.iter().enumerate() {
        stdin.write_all(line).unwrap();
        stdin.flush().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ready(i) {
            assert!(Instant::now() < deadline, "line {i} never reached OSS");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    expect_code(&output, 0);
}

/// The reproduction: two spools on one key, each starting with the same record, then records
/// that differ. The second spool's refusal at the first's object is another writer's object: it
/// moves to `key.1`. Every record of both arrives, once.
#[test]
fn two_spools_on_one_key_keep_every_record_once() {
    let emu = emulator();
    let (a, b) = (temp("spool-two-a"), temp("spool-two-b"));
    let output = run_with(spooled(&emu, "logs/x.log", "-", &a, &[]), b"app started\n");
    expect_code(&output, 0);
    let output = run_with(spooled(&emu, "logs/x.log", "-", &b, &[]), b"app started\n");
    expect_code(&output, 0);
    assert_eq!(emu.object_data(BUCKET, "logs/x.log").unwrap(), b"app started\n");
    assert_eq!(emu.object_data(BUCKET, "logs/x.log.1").unwrap(), b"app started\n", "the second spool's record");

    // The same first record, then each its own (two new spools).
    let (a, b) = (temp("spool-two-c"), temp("spool-two-d"));
    let length = |key: &str| emu.object(BUCKET, key).map_or(0, |o| o.length);
    feed(spooled(&emu, "logs/z.log", "-", &a, &[]), &[b"app started\n", b"A 1\n"], |i| {
        length("logs/z.log") == [12, 16][i]
    });
    feed(spooled(&emu, "logs/z.log", "-", &b, &[]), &[b"app started\n", b"B 1\n"], |i| {
        length("logs/z.log.1") == [12, 16][i]
    });
    assert_eq!(emu.object_data(BUCKET, "logs/z.log").unwrap(), b"app started\nA 1\n");
    assert_eq!(emu.object_data(BUCKET, "logs/z.log.1").unwrap(), b"app started\nB 1\n");
    for name in ["spool-two-a", "spool-two-b", "spool-two-c", "spool-two-d"] {
        temp(name); // removes it
    }
}

/// The first spool's process is killed with its batch recorded in flight and not sent (the service
/// refuses everything meanwhile); the second then creates the object with the same bytes. The first,
/// restarted, finds another spool's stamp on the object: its batch did not land there, and goes to
/// `key.1`.
#[test]
fn a_spool_killed_before_its_send_does_not_take_another_spools_object_as_its_own() {
    let emu = emulator();
    let (a, b) = (temp("spool-kill-a"), temp("spool-kill-b"));
    emu.faults().fail_next(100_000, 503);
    let mut command = spooled(&emu, "logs/k.log", "-", &a, &["-q"]);
    command.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"app started\n").unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(a.join("checkpoint")).unwrap_or_default().contains("inflight") {
        assert!(Instant::now() < deadline, "the batch was never recorded in flight");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    emu.faults().clear();
    assert!(emu.object(BUCKET, "logs/k.log").is_none());

    let output = run_with(spooled(&emu, "logs/k.log", "-", &b, &[]), b"app started\n");
    expect_code(&output, 0);
    let output = run_with(spooled(&emu, "logs/k.log", "-", &a, &[]), b"");
    expect_code(&output, 0);
    assert_eq!(emu.object_data(BUCKET, "logs/k.log").unwrap(), b"app started\n", "the second spool's, once");
    assert_eq!(emu.object_data(BUCKET, "logs/k.log.1").unwrap(), b"app started\n", "the first spool's, sent");
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}
