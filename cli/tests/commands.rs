//! The binary against the emulator: every flag on the wire, results, exit codes, usage errors.

mod common;

use common::*;
use oss_append::crc64;

#[test]
fn every_append_flag_reaches_the_wire_as_its_header() {
    let emu = emulator();
    let output = run(cli(
        &emu,
        &[
            "append-object",
            "--bucket",
            BUCKET,
            "--key",
            "flags.txt",
            "--body",
            "hello",
            "--content-type",
            "text/plain; charset=utf-8",
            "--cache-control",
            "no-cache",
            "--content-disposition",
            "attachment; filename=\"flags.txt\"",
            "--content-encoding",
            "identity",
            "--content-md5",
            "XUFAKrxLKna5cZ2REBfFkg==",
            "--expires",
            "Wed, 21 Oct 2037 07:28:00 GMT",
            "--metadata",
            "owner=ops",
            "--metadata",
            "stage=canary=1",
            "--object-acl",
            "private",
            "--storage-class",
            "IA",
            "--server-side-encryption",
            "AES256",
            "--tagging",
            "A=1&B=2",
            "--forbid-overwrite",
            "false",
            "--traffic-limit",
            "819200",
        ],
    ));
    expect_code(&output, 0);
    let appends = appends(&emu);
    assert_eq!(appends.len(), 1);
    let request = &appends[0];
    assert_eq!(request.query_param("position").as_deref(), Some("0"));
    for (name, value) in [
        ("content-type", "text/plain; charset=utf-8"),
        ("cache-control", "no-cache"),
        ("content-disposition", "attachment; filename=\"flags.txt\""),
        ("content-encoding", "identity"),
        ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
        ("expires", "Wed, 21 Oct 2037 07:28:00 GMT"),
        ("x-oss-meta-owner", "ops"),
        ("x-oss-meta-stage", "canary=1"),
        ("x-oss-object-acl", "private"),
        ("x-oss-storage-class", "IA"),
        ("x-oss-server-side-encryption", "AES256"),
        ("x-oss-tagging", "A=1&B=2"),
        ("x-oss-forbid-overwrite", "false"),
        ("x-oss-traffic-limit", "819200"),
    ] {
        assert_eq!(request.header(name), Some(value), "header {name} in {:?}", request.headers);
    }
    let object = emu.object(BUCKET, "flags.txt").expect("the object exists");
    assert_eq!(object.content_type(), "text/plain; charset=utf-8");
    assert_eq!(object.storage_class(), "IA");
    let metadata = object.metadata();
    assert!(metadata.contains(&("owner".to_string(), "ops".to_string())), "{metadata:?}");
    assert_eq!(emu.object_data(BUCKET, "flags.txt").unwrap(), b"hello");
}

#[test]
fn put_object_sends_the_same_headers() {
    let emu = emulator();
    let output = run(cli(
        &emu,
        &[
            "put-object",
            "--bucket",
            BUCKET,
            "--key",
            "put.txt",
            "--body",
            "hello",
            "--content-type",
            "text/csv",
            "--cache-control",
            "max-age=60",
            "--content-md5",
            "auto",
            "--metadata",
            "team=data",
            "--storage-class",
            "Archive",
            "--tagging",
            "k=v",
            "--output",
            "json",
        ],
    ));
    expect_code(&output, 0);
    let puts: Vec<_> = emu.requests().into_iter().filter(|r| r.method == "PUT").collect();
    assert_eq!(puts.len(), 1);
    for (name, value) in [
        ("content-type", "text/csv"),
        ("cache-control", "max-age=60"),
        ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
        ("x-oss-meta-team", "data"),
        ("x-oss-storage-class", "Archive"),
        ("x-oss-tagging", "k=v"),
    ] {
        assert_eq!(puts[0].header(name), Some(value), "header {name}");
    }
    let result = &json_lines(&output)[0];
    assert_eq!(result["command"], "put-object");
    assert_eq!(result["crc64"], crc64::checksum(b"hello").to_string());
}

#[test]
fn content_md5_auto_is_computed_and_a_wrong_one_is_refused() {
    let emu = emulator();
    let args = ["append-object", "--bucket", BUCKET, "--key", "md5.txt", "--body", "hello", "--content-md5", "auto"];
    expect_code(&run(cli(&emu, &args)), 0);
    assert_eq!(appends(&emu)[0].header("content-md5"), Some("XUFAKrxLKna5cZ2REBfFkg=="));

    let wrong = run(cli(
        &emu,
        &[
            "append-object",
            "--bucket",
            BUCKET,
            "--key",
            "md5.txt",
            "--body",
            "world",
            "--content-md5",
            "1B2M2Y8AsgTpgAmY7PhCfg==",
        ],
    ));
    expect_code(&wrong, 1);
    assert!(stderr(&wrong).contains("InvalidDigest"), "{}", stderr(&wrong));
    assert_eq!(emu.object_data(BUCKET, "md5.txt").unwrap(), b"hello");
}

#[test]
fn create_time_headers_go_only_with_the_creating_append() {
    let emu = emulator();
    for body in ["one", "two"] {
        let args = ["append-object", "--bucket", BUCKET, "--key", "k", "--body", body, "--content-type", "text/x"];
        expect_code(&run(cli(&emu, &args)), 0);
    }
    let appends = appends(&emu);
    assert_eq!(appends[0].header("content-type"), Some("text/x"));
    assert_eq!(appends[1].query_param("position").as_deref(), Some("3"));
    assert_ne!(appends[1].header("content-type"), Some("text/x"));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"onetwo");
}

#[test]
fn json_output_carries_next_position_crc64_request_id_and_etag() {
    let emu = emulator();
    let mut whole = Vec::new();
    for (i, body) in ["first line\n", "second line\n"].iter().enumerate() {
        let output =
            run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "log", "--body", body, "--output", "json"]));
        expect_code(&output, 0);
        whole.extend_from_slice(body.as_bytes());
        let lines = json_lines(&output);
        assert_eq!(lines.len(), 1, "one object per result");
        let result = &lines[0];
        assert_eq!(result["position"], (whole.len() - body.len()) as u64);
        assert_eq!(result["next_position"], whole.len() as u64);
        assert_eq!(result["crc64"], crc64::checksum(&whole).to_string(), "append {i}");
        assert!(!result["request_id"].as_str().unwrap().is_empty());
        assert!(result["etag"].as_str().is_some_and(|e| !e.is_empty()));
        assert_eq!(result["reconciled"], false);
    }

    let text = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "log", "--body", "3"]));
    expect_code(&text, 0);
    assert!(stdout(&text).starts_with(&format!(
        "appended 1 bytes at {}: next_position {}",
        whole.len(),
        whole.len() + 1
    )));
}

#[test]
fn an_explicit_position_is_used_and_a_wrong_one_is_a_conflict() {
    let emu = emulator();
    let ok = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "p", "--position", "0", "--body", "abc"]));
    expect_code(&ok, 0);
    let ok = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "p", "--position", "3", "--body", "de"]));
    expect_code(&ok, 0);
    let conflict =
        run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "p", "--position", "1", "--body", "zz"]));
    expect_code(&conflict, 4);
    let err = stderr(&conflict);
    for want in ["PositionNotEqualToLength", "Code:", "Message:", "RequestId:", "EC:", "0026-00000016", "--position 5"]
    {
        assert!(err.contains(want), "{want} missing from\n{err}");
    }
    assert!(stdout(&conflict).is_empty());
    assert_eq!(emu.object_data(BUCKET, "p").unwrap(), b"abcde");
}

#[test]
fn bodies_from_text_file_and_standard_input() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("part.bin");
    let file_data = data(300_000, 7);
    std::fs::write(&path, &file_data).unwrap();
    let file_arg = format!("file://{}", path.display());

    expect_code(&run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "b", "--body", "text:"])), 0);
    expect_code(&run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "b", "--body", &file_arg])), 0);
    let stdin_data = data(70_000, 9);
    let output = run_with(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "b", "--body", "-"]), &stdin_data);
    expect_code(&output, 0);

    let mut expected = b"text:".to_vec();
    expected.extend_from_slice(&file_data);
    expected.extend_from_slice(&stdin_data);
    assert_eq!(emu.object_data(BUCKET, "b").unwrap(), expected);

    let missing =
        run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "b", "--body", "file:///no/such/file"]));
    expect_code(&missing, 2);
}

#[test]
fn head_get_put_delete() {
    let emu = emulator();
    let body = data(10_000, 3);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("src.bin");
    std::fs::write(&source, &body).unwrap();
    let source_arg = format!("file://{}", source.display());
    expect_code(&run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "obj", "--body", &source_arg])), 0);

    let head = run(cli(&emu, &["head-object", "--bucket", BUCKET, "--key", "obj", "--output", "json"]));
    expect_code(&head, 0);
    let meta = &json_lines(&head)[0];
    assert_eq!(meta["object_type"], "Appendable");
    assert_eq!(meta["content_length"], 10_000);
    assert_eq!(meta["next_position"], 10_000);
    assert_eq!(meta["crc64"], crc64::checksum(&body).to_string());
    let head_text = run(cli(&emu, &["head-object", "--bucket", BUCKET, "--key", "obj"]));
    assert!(stdout(&head_text).contains("next_position: 10000"), "{}", stdout(&head_text));

    let whole = run(cli(&emu, &["get-object", "--bucket", BUCKET, "--key", "obj"]));
    expect_code(&whole, 0);
    assert_eq!(whole.stdout, body);
    let range = run(cli(&emu, &["get-object", "--bucket", BUCKET, "--key", "obj", "--range", "100-199"]));
    expect_code(&range, 0);
    assert_eq!(range.stdout, &body[100..200]);
    assert!(emu.requests().iter().any(|r| r.header("range") == Some("bytes=100-199")));
    let tail = run(cli(&emu, &["get-object", "--bucket", BUCKET, "--key", "obj", "--range", "9990-"]));
    assert_eq!(tail.stdout, &body[9990..]);

    let target = dir.path().join("out.bin");
    let to_file = run(cli(
        &emu,
        &[
            "get-object",
            "--bucket",
            BUCKET,
            "--key",
            "obj",
            "--output-file",
            target.to_str().unwrap(),
            "--output",
            "json",
        ],
    ));
    expect_code(&to_file, 0);
    assert_eq!(std::fs::read(&target).unwrap(), body);
    assert_eq!(json_lines(&to_file)[0]["bytes"], 10_000);
    let missing_target = dir.path().join("never.bin");
    let missing = run(cli(
        &emu,
        &["get-object", "--bucket", BUCKET, "--key", "none", "--output-file", missing_target.to_str().unwrap()],
    ));
    expect_code(&missing, 7);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no partial file is left");

    let put = run(cli(&emu, &["put-object", "--bucket", BUCKET, "--key", "obj", "--body", "replaced"]));
    expect_code(&put, 0);
    let head = run(cli(&emu, &["head-object", "--bucket", BUCKET, "--key", "obj", "--output", "json"]));
    assert_eq!(json_lines(&head)[0]["object_type"], "Normal");
    let not_appendable = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "obj", "--body", "x"]));
    expect_code(&not_appendable, 4);
    assert!(stderr(&not_appendable).contains("ObjectNotAppendable"));

    let delete = run(cli(&emu, &["delete-object", "--bucket", BUCKET, "--key", "obj", "--output", "json"]));
    expect_code(&delete, 0);
    assert_eq!(json_lines(&delete)[0]["command"], "delete-object");
    expect_code(&run(cli(&emu, &["head-object", "--bucket", BUCKET, "--key", "obj"])), 7);
    expect_code(&run(cli(&emu, &["head-object", "--bucket", "no-such-bucket", "--key", "obj"])), 7);
}

#[test]
fn credentials_and_endpoint_from_the_environment() {
    let emu = emulator();
    let mut command = bare();
    command
        .env("OSS_ENDPOINT", emu.endpoint())
        .env("OSS_REGION", "cn-hangzhou")
        .env("OSS_ACCESS_KEY_ID", STS_AK)
        .env("OSS_ACCESS_KEY_SECRET", STS_SK)
        .env("OSS_SESSION_TOKEN", STS_TOKEN)
        .args(["append-object", "--bucket", BUCKET, "--key", "env", "--body", "from env"]);
    expect_code(&run(command), 0);
    assert_eq!(appends(&emu)[0].header("x-oss-security-token"), Some(STS_TOKEN));
    assert_eq!(emu.object_data(BUCKET, "env").unwrap(), b"from env");
}

#[test]
fn sts_token_flag_is_sent_and_signed() {
    let emu = emulator();
    let mut command = bare();
    command.args(["--endpoint", &emu.endpoint(), "--region", "cn-hangzhou"]);
    command.args(["--access-key-id", STS_AK, "--access-key-secret", STS_SK, "--sts-token", STS_TOKEN]);
    command.args(["append-object", "--bucket", BUCKET, "--key", "sts", "--body", "x"]);
    expect_code(&run(command), 0);
    assert_eq!(appends(&emu)[0].header("x-oss-security-token"), Some(STS_TOKEN));

    let mut without = bare();
    without.args(["--endpoint", &emu.endpoint(), "--region", "cn-hangzhou"]);
    without.args(["--access-key-id", STS_AK, "--access-key-secret", STS_SK]);
    without.args(["append-object", "--bucket", BUCKET, "--key", "sts", "--body", "x"]);
    let refused = run(without);
    expect_code(&refused, 3);
}

#[test]
fn sign_version_region_and_path_style_reach_the_wire() {
    let emu = emulator();
    let v1 =
        run(cli(&emu, &["--sign-version", "v1", "append-object", "--bucket", BUCKET, "--key", "v1", "--body", "one"]));
    expect_code(&v1, 0);
    let auth = appends(&emu)[0].header("authorization").unwrap().to_string();
    assert!(auth.starts_with(&format!("OSS {AK}:")), "{auth}");

    // Global flags may also follow the command.
    let v4 = run(cli(
        &emu,
        &["append-object", "--bucket", BUCKET, "--key", "v1", "--body", "two", "--sign-version", "v4", "--path-style"],
    ));
    expect_code(&v4, 0);
    let request = &appends(&emu)[1];
    let auth = request.header("authorization").unwrap();
    assert!(auth.starts_with("OSS4-HMAC-SHA256 Credential=cli-ak/") && auth.contains("/cn-hangzhou/oss/"), "{auth}");
    assert!(request.path.starts_with(&format!("/{BUCKET}/")), "{}", request.path);

    // The region is signed: a wrong one is refused by the service.
    let mut wrong_region = bare();
    wrong_region.args(["--endpoint", &emu.endpoint(), "--region", "cn-beijing"]);
    wrong_region.args(["--access-key-id", AK, "--access-key-secret", SK]);
    wrong_region.args(["head-object", "--bucket", BUCKET, "--key", "v1"]);
    expect_code(&run(wrong_region), 3);
}

#[test]
fn auth_failures_exit_3_and_never_show_secrets() {
    let emu = emulator();
    let mut wrong = bare();
    wrong.args(["--endpoint", &emu.endpoint(), "--region", "cn-hangzhou"]);
    wrong.args(["--access-key-id", AK, "--access-key-secret", "wrong-secret-never-printed"]);
    wrong.args(["append-object", "--bucket", BUCKET, "--key", "x", "--body", "x", "--position", "0"]);
    let output = run(wrong);
    expect_code(&output, 3);
    let err = stderr(&output);
    assert!(err.contains("SignatureDoesNotMatch"), "{err}");
    assert!(!err.contains("wrong-secret-never-printed"));

    let mut missing = bare();
    missing.args(["--endpoint", &emu.endpoint(), "--region", "cn-hangzhou", "--access-key-id", AK]);
    missing.args(["head-object", "--bucket", BUCKET, "--key", "x"]);
    let output = run(missing);
    expect_code(&output, 3);
    assert!(stderr(&output).contains("OSS_ACCESS_KEY_SECRET"));
    assert!(emu.requests().len() == 1, "nothing is sent without credentials");

    let mut help = bare();
    help.env("OSS_ACCESS_KEY_ID", AK).env("OSS_ACCESS_KEY_SECRET", SK).env("OSS_SESSION_TOKEN", STS_TOKEN);
    help.args(["append-object", "--help"]);
    let output = run(help);
    expect_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("OSS_ACCESS_KEY_SECRET"));
    assert!(!text.contains(SK) && !text.contains(STS_TOKEN) && !text.contains(AK), "{text}");
}

#[test]
fn network_failures_exit_5() {
    let emu = emulator();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut command = bare();
    command.args(["--endpoint", &format!("http://{closed}"), "--region", "cn-hangzhou"]);
    command.args(["--access-key-id", AK, "--access-key-secret", SK, "--max-attempts", "1"]);
    command.args(["append-object", "--bucket", BUCKET, "--key", "n", "--body", "x"]);
    let output = run(command);
    expect_code(&output, 5);
    assert!(stderr(&output).contains("network error"), "{}", stderr(&output));

    emu.faults().fail_next(4, 503);
    let busy =
        run(cli(&emu, &["--max-attempts", "2", "append-object", "--bucket", BUCKET, "--key", "n", "--body", "x"]));
    expect_code(&busy, 5);
    assert!(stderr(&busy).contains("HTTP 503"), "{}", stderr(&busy));
    emu.faults().clear();
}

#[test]
fn transient_failures_are_retried_once_landed() {
    let emu = emulator();
    expect_code(&run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "r", "--body", "abc"])), 0);
    emu.faults().fail_next(1, 503);
    emu.faults().drop_after_commit(1);
    let output =
        run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "r", "--body", "def", "--output", "json"]));
    expect_code(&output, 0);
    assert_eq!(emu.object_data(BUCKET, "r").unwrap(), b"abcdef");
    assert_eq!(json_lines(&output)[0]["next_position"], 6);
}

#[test]
fn a_crc_mismatch_exits_6() {
    let emu = emulator();
    emu.faults().corrupt_crc(1);
    let output = run(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "c", "--body", "data"]));
    expect_code(&output, 6);
    let text = stderr(&output);
    assert!(text.contains("CRC-64 does not match") && text.contains("the append landed"), "{text}");
    assert!(text.contains("do not send it again") && !text.contains("safe to run again"), "{text}");
}

#[test]
fn bad_flags_are_usage_errors_and_send_nothing() {
    let emu = emulator();
    let cases: &[&[&str]] = &[
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--bogus"],
        &["append-object", "--bucket", BUCKET, "--key", "u"],
        &["append-object", "--key", "u", "--body", "x"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--position", "-1"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--metadata", "novalue"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--object-acl", "everyone"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--storage-class", "ColdArchive"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--server-side-encryption", "ROT13"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--traffic-limit", "1"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--forbid-overwrite", "maybe"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--metadata", "bad name=1"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--follow"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "x", "--batch-bytes", "10"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "-", "--follow", "--content-md5", "abc="],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "-", "--follow", "--batch-bytes", "0"],
        &["append-object", "--bucket", "Bad_Bucket", "--key", "u", "--body", "x"],
        &["append-object", "--bucket", BUCKET, "--key", "u", "--body", "file://"],
        &["get-object", "--bucket", BUCKET, "--key", "u", "--range", "9-3"],
        &["get-object", "--bucket", BUCKET, "--key", "u", "--range", "abc"],
        &["--sign-version", "v3", "head-object", "--bucket", BUCKET, "--key", "u"],
        &["--output", "yaml", "head-object", "--bucket", BUCKET, "--key", "u"],
        &["--max-attempts", "0", "head-object", "--bucket", BUCKET, "--key", "u"],
        &["list-objects", "--bucket", BUCKET],
        &[],
    ];
    for args in cases {
        let output = run(cli(&emu, args));
        assert_eq!(output.status.code(), Some(2), "{args:?}\n{}", stderr(&output));
        assert!(!stderr(&output).is_empty(), "{args:?} explains itself");
    }
    let mut no_endpoint = bare();
    no_endpoint.args([
        "--access-key-id",
        AK,
        "--access-key-secret",
        SK,
        "head-object",
        "--bucket",
        BUCKET,
        "--key",
        "u",
    ]);
    let output = run(no_endpoint);
    expect_code(&output, 2);
    assert!(stderr(&output).contains("--endpoint"));
    assert!(emu.requests().is_empty(), "nothing was sent: {:?}", emu.requests());
}

#[test]
fn help_documents_the_exit_codes() {
    let output = run({
        let mut command = bare();
        command.arg("--help");
        command
    });
    expect_code(&output, 0);
    let text = stdout(&output);
    for want in [
        "Exit codes:",
        "2  usage",
        "3  auth",
        "4  position conflict",
        "5  network",
        "6  the data landed",
        "7  not found",
        "8  unsettled",
        "9  settle",
    ] {
        assert!(text.contains(want), "{want} missing from --help");
    }
}

#[test]
fn quiet_prints_nothing_on_success_and_no_progress_goes_to_a_pipe() {
    let emu = emulator();
    let big = data(5 * 1024 * 1024, 1);
    let output = run_with(cli(&emu, &["append-object", "--bucket", BUCKET, "--key", "q", "--body", "-"]), &big);
    expect_code(&output, 0);
    assert!(output.stderr.is_empty(), "no progress bar in a pipe: {}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 1);

    let quiet = run(cli(&emu, &["-q", "append-object", "--bucket", BUCKET, "--key", "q", "--body", "x"]));
    expect_code(&quiet, 0);
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
    assert_eq!(emu.object(BUCKET, "q").unwrap().length, big.len() as u64 + 1);
}

#[test]
fn a_progress_bar_is_drawn_when_standard_error_is_a_terminal() {
    // `script` (util-linux) runs the binary on a pseudo-terminal.
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` command to provide a terminal");
        return;
    }
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("six.bin");
    std::fs::write(&path, data(6 * 1024 * 1024, 5)).unwrap();
    let line = |extra: &str| {
        format!(
            "'{}' {extra} --endpoint {} --region cn-hangzhou --access-key-id {AK} --access-key-secret {SK} \
             append-object --bucket {BUCKET} --key tty --body 'file://{}'",
            env!("CARGO_BIN_EXE_oss-append"),
            emu.endpoint(),
            path.display()
        )
    };
    let shown = std::process::Command::new("script").args(["-qec", &line(""), "/dev/null"]).output().unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains("MiB/6.00 MiB"), "a progress bar on the terminal: {text}");
    assert!(text.contains("appended 6291456 bytes"), "{text}");

    let quiet = std::process::Command::new("script").args(["-qec", &line("-q"), "/dev/null"]).output().unwrap();
    let text = String::from_utf8_lossy(&quiet.stdout);
    assert!(!text.contains("MiB"), "no bar when quiet: {text}");
    assert_eq!(emu.object(BUCKET, "tty").unwrap().length, 2 * 6 * 1024 * 1024);
}
