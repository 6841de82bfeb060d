//! Runs the built `oss-append` binary against an in-process emulator.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

use oss_emulator::{Emulator, RecordedRequest};

pub const BUCKET: &str = "cli-bucket";
pub const AK: &str = "cli-ak";
pub const SK: &str = "cli-secret-value-never-printed";
pub const STS_AK: &str = "cli-sts-ak";
pub const STS_SK: &str = "cli-sts-secret-never-printed";
pub const STS_TOKEN: &str = "cli-sts-token-never-printed";

pub fn emulator() -> Emulator {
    Emulator::builder()
        .credentials(AK, SK)
        .sts_credentials(STS_AK, STS_SK, STS_TOKEN)
        .bucket(BUCKET)
        .region("cn-hangzhou")
        .start()
        .expect("the emulator starts")
}

/// The binary with no OSS_* variables from the surrounding environment.
pub fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oss-append"));
    for name in [
        "OSS_ACCESS_KEY_ID",
        "OSS_ACCESS_KEY_SECRET",
        "OSS_SESSION_TOKEN",
        "OSS_ENDPOINT",
        "OSS_REGION",
        "OSS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    command
}

/// The binary pointed at `emu` with good credentials, then `args`.
pub fn cli(emu: &Emulator, args: &[&str]) -> Command {
    let mut command = bare();
    command.args(["--endpoint", &emu.endpoint(), "--region", "cn-hangzhou"]);
    command.args(["--access-key-id", AK, "--access-key-secret", SK]);
    command.args(args);
    command
}

/// Runs to the end with `stdin` as standard input (empty when none).
pub fn run_with(mut command: Command, stdin: &[u8]) -> Output {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let output = child.wait_with_output().expect("the binary runs");
    writer.join().expect("stdin written");
    output
}

pub fn run(command: Command) -> Output {
    run_with(command, b"")
}

/// Spawns with piped standard streams, for follow mode.
pub fn spawn(mut command: Command) -> Child {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("the binary starts")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn expect_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Each stdout line as JSON.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

/// The appends the emulator received, oldest first.
pub fn appends(emu: &Emulator) -> Vec<RecordedRequest> {
    emu.requests().into_iter().filter(|r| r.method == "POST" && r.query_param("append").is_some()).collect()
}

/// Deterministic bytes.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8).collect()
}
