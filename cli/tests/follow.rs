//! `append-object --follow`: a growing input is shipped in batches through injected faults, and the
//! object ends up exactly equal to the input — nothing lost, nothing duplicated.

mod common;

use std::io::{Read, Write};
use std::process::{Child, ExitStatus};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::*;
use oss_append::{Client, Credentials};
use oss_emulator::Emulator;

/// A running follower whose output is collected as it comes.
struct Running {
    child: Child,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn start(command: std::process::Command) -> Running {
    let mut child = spawn(command);
    let collect = |mut source: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut out = Vec::new();
            let _ = source.read_to_end(&mut out);
            out
        })
    };
    let stdout = collect(Box::new(child.stdout.take().unwrap()));
    let stderr = collect(Box::new(child.stderr.take().unwrap()));
    Running { child, stdout, stderr }
}

impl Running {
    fn write(&mut self, bytes: &[u8]) {
        let stdin = self.child.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    fn interrupt(&self) {
        let status = std::process::Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        assert!(status.unwrap().success(), "SIGINT sent");
    }

    /// Waits for the exit, killing the process if it takes longer than `limit`.
    fn finish(mut self, limit: Duration) -> Finished {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let err = String::from_utf8_lossy(&self.stderr.join().unwrap()).into_owned();
                panic!("the follower did not stop within {limit:?}; stderr:\n{err}");
            }
            thread::sleep(Duration::from_millis(20));
        };
        Finished {
            status,
            stdout: String::from_utf8_lossy(&self.stdout.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&self.stderr.join().unwrap()).into_owned(),
        }
    }
}

impl Finished {
    #[track_caller]
    fn expect_code(&self, code: i32) {
        assert_eq!(
            self.status.code(),
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
    }

    /// The JSON results, checked to be contiguous; returns them.
    #[track_caller]
    fn results(&self) -> Vec<serde_json::Value> {
        let results: Vec<serde_json::Value> =
            self.stdout.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
        let mut next = results.first().map(|r| r["position"].as_u64().unwrap()).unwrap_or(0);
        for result in &results {
            assert_eq!(result["position"].as_u64(), Some(next), "batches are contiguous: {}", self.stdout);
            assert_eq!(
                result["next_position"].as_u64().unwrap() - next,
                result["bytes"].as_u64().unwrap(),
                "a batch's bytes are its length"
            );
            next = result["next_position"].as_u64().unwrap();
        }
        results
    }
}

/// Waits until the object holds `length` bytes.
fn wait_for_length(emu: &Emulator, key: &str, length: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while emu.object(BUCKET, key).map(|o| o.length) != Some(length as u64) {
        assert!(Instant::now() < deadline, "{key} never reached {length} bytes: {:?}", emu.object(BUCKET, key));
        thread::sleep(Duration::from_millis(20));
    }
}

fn follow_args<'a>(key: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--output", "json", "append-object", "--bucket", BUCKET, "--key", key, "--follow"];
    args.extend_from_slice(extra);
    args
}

/// Pieces of a log: short lines, and now and then a burst larger than a batch.
fn pieces(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            if i % 4 == 3 {
                data(20_000 + i * 37, i as u8)
            } else {
                format!("{i:05} level=info msg=\"request served\" latency_ms={}\n", i * 7).into_bytes()
            }
        })
        .collect()
}

/// Feeds `pieces` with pauses, arming `fault` before each once the faults armed before were met.
fn feed(emu: &Emulator, follower: &mut Running, pieces: &[Vec<u8>], fault: impl Fn(&Emulator, usize)) -> Vec<u8> {
    let mut sent = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !emu.faults().pending().is_empty() {
            assert!(Instant::now() < deadline, "faults not met: {:?}", emu.faults().pending());
            thread::sleep(Duration::from_millis(20));
        }
        fault(emu, i);
        follower.write(piece);
        sent.extend_from_slice(piece);
        thread::sleep(Duration::from_millis(if i % 3 == 0 { 250 } else { 40 }));
    }
    sent
}

fn faults_in_turn(emu: &Emulator, i: usize) {
    let faults = emu.faults();
    match i % 8 {
        1 => faults.fail_next(2, 503),
        2 => faults.drop_after_commit(1),
        3 => faults.drop_before_commit(1),
        4 => faults.fail_next(1, 500),
        5 => faults.delay_next(1, Duration::from_millis(150)),
        6 => {
            faults.drop_after_commit(1);
            faults.fail_next(1, 503);
        }
        _ => {}
    }
}

#[test]
fn a_growing_pipe_is_shipped_exactly_when_every_failure_reaches_follow_mode() {
    // One attempt per request: each fault fails a whole append, and follow mode itself keeps the
    // batch, retries it, and proves by length and CRC-64 whether a lost attempt landed.
    let emu = emulator();
    let extra = ["--body", "-", "--batch-interval-ms", "100", "--batch-bytes", "16384", "--max-attempts", "1"];
    let mut follower = start(cli(&emu, &follow_args("logs/app.log", &extra)));
    let input = feed(&emu, &mut follower, &pieces(24), faults_in_turn);
    follower.close_stdin();
    let done = follower.finish(Duration::from_secs(120));
    done.expect_code(0);
    assert_eq!(emu.object_data(BUCKET, "logs/app.log").expect("the object exists"), input);
    let results = done.results();
    assert!(results.len() > 5, "shipped in batches: {}", done.stdout);
    assert!(results.iter().any(|r| r["reconciled"] == true), "a lost response was reconciled: {}", done.stdout);
    assert!(emu.faults().pending().is_empty(), "every fault was met: {:?}", emu.faults().pending());
    assert!(done.stderr.contains("trying again"), "retries are reported: {}", done.stderr);
}

#[test]
fn a_growing_pipe_is_shipped_exactly_with_the_clients_own_retries() {
    let emu = emulator();
    let extra = ["--body", "-", "--batch-interval-ms", "100", "--batch-bytes", "16384"];
    let mut follower = start(cli(&emu, &follow_args("logs/b.log", &extra)));
    let input = feed(&emu, &mut follower, &pieces(16), |emu, i| {
        faults_in_turn(emu, i);
        if i == 9 {
            // More failures in a row than the client's attempts: follow mode takes over.
            emu.faults().fail_next(5, 503);
        }
    });
    follower.close_stdin();
    let done = follower.finish(Duration::from_secs(120));
    done.expect_code(0);
    assert_eq!(emu.object_data(BUCKET, "logs/b.log").unwrap(), input);
    done.results();
    assert!(emu.faults().pending().is_empty(), "{:?}", emu.faults().pending());
}

#[test]
fn follow_appends_to_an_existing_object_and_sends_create_headers_only_when_creating() {
    let emu = emulator();
    let first = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "existing", "--body", "head\n"]));
    assert_eq!(first.status.code(), Some(0));
    let extra = ["--body", "-", "--content-type", "text/plain", "--metadata", "a=b", "--content-md5", "auto"];
    let output = run_with(cli(&emu, &follow_args("existing", &extra)), b"tail\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(emu.object_data(BUCKET, "existing").unwrap(), b"head\ntail\n");
    let last = appends(&emu).pop().unwrap();
    assert_eq!(last.query_param("position").as_deref(), Some("5"));
    assert_eq!(last.header("content-type"), None, "create-time headers are not sent to an existing object");
    assert!(last.header("content-md5").is_some(), "each batch's Content-MD5 is computed");

    let output = run_with(cli(&emu, &follow_args("created", &extra)), b"new\n");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let created = appends(&emu).pop().unwrap();
    assert_eq!(created.header("content-type"), Some("text/plain"));
    assert_eq!(created.header("x-oss-meta-a"), Some("b"));
}

#[test]
fn a_large_input_goes_in_batches_of_the_set_size() {
    let emu = emulator();
    let input = data(3 * 1024 * 1024 + 123, 42);
    let extra = ["--body", "-", "--batch-bytes", "262144", "--batch-interval-ms", "60000"];
    let output = run_with(cli(&emu, &follow_args("big", &extra)), &input);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(emu.object_data(BUCKET, "big").unwrap(), input);
    let results = json_lines(&output);
    assert!(results.len() >= 12, "{} batches", results.len());
    for result in &results[..results.len() - 1] {
        let bytes = result["bytes"].as_u64().unwrap();
        assert!((262_144..262_144 + 65_536).contains(&bytes), "a full batch is about --batch-bytes: {bytes}");
    }
}

#[test]
fn an_interrupt_flushes_what_was_read_and_exits_0() {
    let emu = emulator();
    let extra = ["--body", "-", "--batch-interval-ms", "600000"];
    let mut follower = start(cli(&emu, &follow_args("interrupted", &extra)));
    follower.write(b"waiting in a batch\n");
    thread::sleep(Duration::from_millis(500));
    assert!(emu.object(BUCKET, "interrupted").is_none(), "the batch waits for its interval");
    follower.interrupt();
    let done = follower.finish(Duration::from_secs(30));
    done.expect_code(0);
    assert_eq!(emu.object_data(BUCKET, "interrupted").unwrap(), b"waiting in a batch\n");
}

#[test]
fn a_growing_file_is_followed_through_rotation_until_interrupted() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let body = format!("file://{}", path.display());
    let extra = ["--body", body.as_str(), "--batch-interval-ms", "100"];
    let mut expected = Vec::new();
    let mut log = std::fs::File::create(&path).unwrap();
    let write = |file: &mut std::fs::File, bytes: &[u8], expected: &mut Vec<u8>| {
        file.write_all(bytes).unwrap();
        file.flush().unwrap();
        expected.extend_from_slice(bytes);
    };
    write(&mut log, b"before start\n", &mut expected);
    let follower = start(cli(&emu, &follow_args("file.log", &extra)));
    for i in 0..6 {
        write(&mut log, format!("line {i}\n").as_bytes(), &mut expected);
        if i == 2 {
            emu.faults().fail_next(2, 503);
        }
        thread::sleep(Duration::from_millis(150));
    }
    // Rotation: the file is renamed, gets a last line, and a new file takes its name.
    std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
    write(&mut log, b"last line of the old file\n", &mut expected);
    drop(log);
    let mut fresh = std::fs::File::create(&path).unwrap();
    write(&mut fresh, b"first line of the new file\n", &mut expected);
    thread::sleep(Duration::from_millis(700));
    write(&mut fresh, b"more\n", &mut expected);
    wait_for_length(&emu, "file.log", expected.len());
    follower.interrupt();
    let done = follower.finish(Duration::from_secs(30));
    done.expect_code(0);
    assert_eq!(
        String::from_utf8(emu.object_data(BUCKET, "file.log").unwrap()).unwrap(),
        String::from_utf8(expected).unwrap()
    );
    done.results();
}

#[test]
fn idle_exit_stops_a_followed_file() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quiet.log");
    std::fs::write(&path, b"only line\n").unwrap();
    let body = format!("file://{}", path.display());
    let extra = ["--body", body.as_str(), "--batch-interval-ms", "50", "--idle-exit-ms", "400"];
    let done = start(cli(&emu, &follow_args("quiet.log", &extra))).finish(Duration::from_secs(30));
    done.expect_code(0);
    assert_eq!(emu.object_data(BUCKET, "quiet.log").unwrap(), b"only line\n");
}

#[test]
fn follow_refuses_an_object_it_cannot_append_to_before_reading() {
    let emu = emulator();
    let put = run(cli(&emu, &["put-object", "--bucket", BUCKET, "--key", "normal", "--body", "x"]));
    assert_eq!(put.status.code(), Some(0));
    // Standard input stays open: the check comes first.
    let done = start(cli(&emu, &follow_args("normal", &["--body", "-"]))).finish(Duration::from_secs(30));
    done.expect_code(4);
    assert!(done.stderr.contains("not appendable"), "{}", done.stderr);

    let first = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "appendable", "--body", "abc"]));
    assert_eq!(first.status.code(), Some(0));
    let done = start(cli(&emu, &follow_args("appendable", &["--body", "-", "--position", "1"])))
        .finish(Duration::from_secs(30));
    done.expect_code(4);
    assert!(done.stderr.contains("--position 3"), "{}", done.stderr);
}

#[test]
fn another_writer_stops_follow_with_a_position_conflict() {
    let emu = emulator();
    let extra = ["--body", "-", "--batch-interval-ms", "50"];
    let mut follower = start(cli(&emu, &follow_args("shared", &extra)));
    follower.write(b"ours 1\n");
    wait_for_length(&emu, "shared", 7);
    let client = Client::builder()
        .endpoint(emu.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new(AK, SK))
        .build()
        .unwrap();
    client.appender(BUCKET, "shared").append(b"theirs\n").unwrap();
    follower.write(b"ours 2\n");
    let done = follower.finish(Duration::from_secs(30));
    done.expect_code(4);
    assert!(done.stderr.contains("PositionNotEqualToLength") && done.stderr.contains("NotAppended"), "{}", done.stderr);
    assert_eq!(emu.object_data(BUCKET, "shared").unwrap(), b"ours 1\ntheirs\n");
}
