//! The command line tells the truth about every append: landed, not landed (safe to run again), or
//! unsettled (exit 8, with the `settle` command line that finds out); and follow mode's defects.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use oss_append::crc64::checksum;

fn append(emu: &oss_emulator::Emulator, key: &str, body: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["append-object", "--bucket", BUCKET, "--key", key, "--body", body];
    args.extend_from_slice(extra);
    run(cli(emu, &args))
}

#[test]
fn a_lost_last_response_exits_0_with_the_data_once() {
    // The reproduction: two attempts dropped before commit, the third lost after it.
    let emu = emulator();
    expect_code(&append(&emu, "k", "first,", &["-q"]), 0);
    emu.faults().drop_before_commit(2);
    emu.faults().drop_after_commit(1);
    let output = append(&emu, "k", "second,", &[]);
    expect_code(&output, 0);
    assert!(stdout(&output).contains("reconciled"), "{}", stdout(&output));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"first,second,");
}

/// The `oss-append settle ...` command line printed in a hint.
fn settle_line(stderr: &str) -> Vec<String> {
    let start = stderr.find("`oss-append settle ").expect("a settle command line") + 1;
    let end = start + stderr[start..].find('`').unwrap();
    // The printed words are simple here (no quoting needed for this bucket and key).
    stderr[start..end].split_whitespace().skip(2).map(str::to_string).collect()
}

#[test]
fn an_unsettled_append_exits_8_and_its_settle_command_finds_out() {
    let emu = emulator();
    expect_code(&append(&emu, "k", "first,", &["-q"]), 0);
    // The append lands, its response is lost, and the service refuses the HEAD that would settle it.
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 10, 503);
    let before = checksum(b"first,").to_string();
    let output = append(&emu, "k", "second,", &["--max-attempts", "1", "--position", "6", "--crc64-before", &before]);
    expect_code(&output, 8);
    let text = stderr(&output);
    assert!(text.contains("may have landed") && text.contains("do NOT run the command again"), "{text}");
    assert!(!text.contains("safe to run again"), "{text}");
    let words = settle_line(&text);
    assert_eq!(
        words,
        [
            "--bucket",
            BUCKET,
            "--key",
            "k",
            "--position",
            "6",
            "--length",
            "7",
            "--body-crc64",
            &checksum(b"second,").to_string(),
            "--crc64-before",
            &checksum(b"first,").to_string()
        ]
    );
    let mut settle = vec!["settle"];
    settle.extend(words.iter().map(String::as_str));

    // While the service still refuses, settle says it cannot tell: exit 8 again.
    let output = run(cli(&emu, &[&["--max-attempts", "1"], settle.as_slice()].concat()));
    expect_code(&output, 8);
    // Once it answers: landed (exit 0), and nothing was sent twice.
    emu.faults().clear();
    let output = run(cli(&emu, &[&["--output", "json"], settle.as_slice()].concat()));
    expect_code(&output, 0);
    assert_eq!(json_lines(&output)[0]["landed"], true);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"first,second,");

    // An append that is not in the object: exit 9, sending it again appends it once.
    let wrong = settle_line(&text).join(" ").replace("--position 6", "--position 13");
    let mut args = vec!["settle"];
    args.extend(wrong.split_whitespace());
    let output = run(cli(&emu, &args));
    expect_code(&output, 9);
    assert!(stdout(&output).contains("not landed"), "{}", stdout(&output));
}

#[test]
fn settle_refuses_bad_values_as_usage_errors() {
    let emu = emulator();
    let output = run(cli(
        &emu,
        &["settle", "--bucket", BUCKET, "--key", "k", "--position", "0", "--length", "0", "--body-crc64", "1"],
    ));
    expect_code(&output, 2);
    let output = run(cli(
        &emu,
        &["settle", "--bucket", BUCKET, "--key", "k", "--position", "5368709120", "--length", "1", "--body-crc64", "1"],
    ));
    expect_code(&output, 2);
}

#[test]
fn connect_and_read_timeouts_are_flags() {
    let emu = emulator();
    emu.faults().delay_next(1, Duration::from_secs(3));
    let started = Instant::now();
    let output = run(cli(
        &emu,
        &["--read-timeout", "1", "--max-attempts", "1", "head-object", "--bucket", BUCKET, "--key", "k"],
    ));
    expect_code(&output, 5);
    assert!(stderr(&output).contains("read/write timeout after 1000 ms"), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[test]
fn a_file_whose_size_is_not_known_until_read_is_appended_whole() {
    let emu = emulator();
    let expected = std::fs::read("/proc/version").unwrap();
    assert_eq!(std::fs::metadata("/proc/version").unwrap().len(), 0, "procfs reports no size");
    expect_code(&append(&emu, "proc", "file:///proc/version", &[]), 0);
    assert_eq!(emu.object_data(BUCKET, "proc").unwrap(), expected);
}

#[test]
fn a_closed_standard_input_is_an_error_not_an_empty_append() {
    let emu = emulator();
    for follow in [false, true] {
        let mut line = format!(
            "exec \"$0\" --endpoint {} --region cn-hangzhou --access-key-id {AK} --access-key-secret {SK} \
             append-object --bucket {BUCKET} --key closed --body -",
            emu.endpoint()
        );
        if follow {
            line.push_str(" --follow");
        }
        line.push_str(" <&-");
        let output = Command::new("sh")
            .args(["-c", &line, env!("CARGO_BIN_EXE_oss-append")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        expect_code(&output, 2);
        assert!(stderr(&output).contains("standard input is closed"), "{}", stderr(&output));
    }
    assert!(emu.object(BUCKET, "closed").is_none());
}

/// A port nothing listens on.
fn closed_port() -> String {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

fn unreachable_cli(endpoint: &str, args: &[&str]) -> Command {
    let mut command = bare();
    command.args(["--endpoint", endpoint, "--region", "cn-hangzhou", "--access-key-id", AK, "--access-key-secret", SK]);
    command.args(args);
    command
}

#[test]
fn follow_with_nothing_to_send_exits_at_once_even_when_the_service_is_unreachable() {
    let started = Instant::now();
    let output = run(unreachable_cli(
        &closed_port(),
        &["append-object", "--bucket", BUCKET, "--key", "k", "--body", "-", "--follow"],
    ));
    expect_code(&output, 0);
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
fn follow_gives_up_after_the_given_time_and_says_what_was_not_appended() {
    let started = Instant::now();
    let output = run_with(
        unreachable_cli(
            &closed_port(),
            &["append-object", "--bucket", BUCKET, "--key", "k", "--body", "-", "--follow", "--give-up-after", "2s"],
        ),
        b"line\n",
    );
    expect_code(&output, 5);
    let text = stderr(&output);
    assert!(text.contains("trying again") && text.contains("giving up"), "{text}");
    assert!(text.contains("NotAppended") && text.contains("a batch of 5 bytes"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn follow_stops_at_once_on_a_permanent_error() {
    let emu = emulator();
    let mut command = bare();
    command.args(["--endpoint", &emu.endpoint(), "--region", "cn-hangzhou"]);
    command.args(["--access-key-id", AK, "--access-key-secret", "wrong-secret"]);
    command.args(["append-object", "--bucket", BUCKET, "--key", "k", "--body", "-", "--follow"]);
    let started = Instant::now();
    let output = run_with(command, b"data\n");
    expect_code(&output, 3);
    assert!(stderr(&output).contains("SignatureDoesNotMatch"), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A server that answers each request with what `answer` gives for its first line.
fn fake_server(answer: fn(&str) -> &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let request = String::from_utf8_lossy(&buf[..n]);
                    // A body sent after the head arrives alone: answer heads only.
                    if !request.contains("HTTP/1.1\r\n") {
                        continue;
                    }
                    if stream.write_all(answer(request.lines().next().unwrap_or(""))).is_err() {
                        break;
                    }
                }
            });
        }
    });
    endpoint
}

#[test]
fn follow_stops_on_junk_that_is_not_http() {
    let junk = fake_server(|_| b"\x00\x01garbage that is not HTTP\r\n\r\n");
    let started = Instant::now();
    let output = run_with(
        unreachable_cli(&junk, &["append-object", "--bucket", BUCKET, "--key", "k", "--body", "-", "--follow"]),
        b"data\n",
    );
    expect_code(&output, 1);
    assert!(stderr(&output).contains("not HTTP"), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn follow_stops_on_an_append_answer_without_a_next_position() {
    // HEAD says: an empty appendable object. The append is answered 200 with no next position, and
    // the object is still empty when settling looks: the batch did not land, and follow mode stops.
    let server = fake_server(|line| {
        if line.starts_with("HEAD") {
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-oss-object-type: Appendable\r\n\
              x-oss-next-append-position: 0\r\nx-oss-hash-crc64ecma: 0\r\n\r\n"
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
        }
    });
    let started = Instant::now();
    let output = run_with(
        unreachable_cli(&server, &["append-object", "--bucket", BUCKET, "--key", "k", "--body", "-", "--follow"]),
        b"data\n",
    );
    expect_code(&output, 1);
    let text = stderr(&output);
    assert!(text.contains("no x-oss-next-append-position") && text.contains("NotAppended"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
}

#[test]
fn follow_says_a_batch_with_a_wrong_crc_landed() {
    let emu = emulator();
    emu.faults().corrupt_crc(1);
    let output =
        run_with(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "crc", "--body", "-", "--follow"]), b"1234");
    expect_code(&output, 6);
    let text = stderr(&output);
    assert!(text.contains("Appended:") && text.contains("this batch of 4 bytes"), "{text}");
    assert!(!text.contains("NotAppended: a batch"), "{text}");
    assert_eq!(emu.object_data(BUCKET, "crc").unwrap(), b"1234");
}

#[test]
fn follow_settles_a_lost_batch_after_another_writer_appended() {
    let emu = emulator();
    let mut command = cli(&emu, &["--max-attempts", "1", "--output", "json", "append-object", "--bucket", BUCKET]);
    command.args(["--key", "shared", "--body", "-", "--follow", "--batch-interval-ms", "20"]);
    let mut child = spawn(command);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"ours 1\n").unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while emu.object(BUCKET, "shared").map(|o| o.length) != Some(7) {
        assert!(Instant::now() < deadline, "the first batch never landed");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The next batch lands but its response is lost, and settling fails at first; meanwhile another
    // writer appends after it.
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 3, 503);
    stdin.write_all(b"ours 2\n").unwrap();
    stdin.flush().unwrap();
    while emu.object(BUCKET, "shared").map(|o| o.length) != Some(14) {
        assert!(Instant::now() < deadline, "the second batch never landed");
        std::thread::sleep(Duration::from_millis(2));
    }
    let rival = oss_append::Client::builder()
        .endpoint(emu.endpoint())
        .region("cn-hangzhou")
        .credentials(oss_append::Credentials::new(AK, SK))
        .build()
        .unwrap();
    rival.appender(BUCKET, "shared").append(b"theirs\n").unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    expect_code(&output, 0);
    let results = json_lines(&output);
    assert_eq!(results.len(), 2, "{}", stdout(&output));
    assert_eq!(results[1]["position"], 7);
    assert_eq!(results[1]["reconciled"], true);
    assert_eq!(emu.object_data(BUCKET, "shared").unwrap(), b"ours 1\nours 2\ntheirs\n");
}

/// The sequence: an append left unsettled, `settle` says not landed, the request still under
/// way commits, and the bytes are sent again with the command `settle` printed: the refusal is
/// checked against the object and the command exits 0, the bytes in the object once.
#[test]
fn a_late_commit_after_settle_said_not_landed_ends_with_the_bytes_once() {
    let emu = emulator();
    expect_code(&append(&emu, "late", "0123456789", &["-q"]), 0);
    let before = checksum(b"0123456789").to_string();
    let at = ["--position", "10", "--crc64-before", before.as_str()];
    emu.faults().commit_late(1, Duration::from_millis(1500));
    emu.faults().fail_next_method("HEAD", 1, 503);
    let output = append(&emu, "late", "LATE;", &[&at[..], &["--max-attempts", "1"]].concat());
    expect_code(&output, 8);
    let mut settle = vec!["settle".to_string()];
    settle.extend(settle_line(&stderr(&output)));
    let settle: Vec<&str> = settle.iter().map(String::as_str).collect();
    let output = run(cli(&emu, &settle));
    expect_code(&output, 9);
    let said = stdout(&output);
    assert!(said.contains("not landed") && said.contains("may commit later"), "{said}");
    assert!(said.contains("--position 10") && said.contains(&format!("--crc64-before {before}")), "{said}");
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(emu.object_data(BUCKET, "late").unwrap(), b"0123456789LATE;", "it committed after all");
    let output = append(&emu, "late", "LATE;", &at);
    expect_code(&output, 0);
    assert!(stdout(&output).contains("reconciled"), "{}", stdout(&output));
    assert_eq!(emu.object_data(BUCKET, "late").unwrap(), b"0123456789LATE;", "once");
}
