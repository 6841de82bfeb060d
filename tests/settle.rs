//! Exactly-once outcomes: every append ends landed, not landed, or unsettled with its in-flight
//! append; settling proves which from the object's length and CRC-64, or the bytes at the position.

mod common;

use common::*;
use oss_append::crc64::checksum;
use oss_append::{
    AppendOptions, Argument, CancelToken, Credentials, CredentialsProvider, Error, InFlight, NotLandedReason,
    PutOptions, RetryPolicy, ServiceErrorKind, Settlement,
};
use std::sync::Arc;
use std::time::Duration;

fn in_flight(position: u64, body: &[u8], before: Option<&[u8]>) -> InFlight {
    InFlight {
        bucket: BUCKET.into(),
        key: "k".into(),
        position,
        length: body.len() as u64,
        body_crc64: checksum(body),
        crc64_before: before.map(checksum),
    }
}

fn not_landed(settlement: Settlement) -> oss_append::NotLanded {
    match settlement {
        Settlement::NotLanded(n) => n,
        other => panic!("expected not landed, got {other:?}"),
    }
}

fn landed(settlement: Settlement) -> oss_append::AppendResult {
    match settlement {
        Settlement::Landed(result) => result,
        other => panic!("expected landed, got {other:?}"),
    }
}

#[test]
fn the_last_attempt_lost_after_two_dropped_ones_lands_once() {
    // The reproduction: two attempts dropped before commit, the third committed with its
    // response lost. The call succeeds; the object holds the data once.
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"first,", &AppendOptions::new()).unwrap();
    emu.faults().drop_before_commit(2);
    emu.faults().drop_after_commit(1);
    let result = client.append_object(BUCKET, "k", b"second,", &AppendOptions::new()).unwrap();
    assert!(result.reconciled);
    assert_eq!((result.position, result.next_position, result.crc64), (6, 13, checksum(b"first,second,")));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"first,second,");
    assert!(emu.faults().pending().is_empty());
}

#[test]
fn a_read_timeout_after_the_body_was_sent_is_settled() {
    let emu = emulator();
    let client = builder(&emu)
        .credentials(Credentials::new(AK, SK))
        .read_write_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    client.append_object(BUCKET, "k", b"abc", &AppendOptions::new().position(0)).unwrap();
    // The append commits; its answer comes after the client stopped waiting.
    emu.faults().delay_next(1, Duration::from_secs(2));
    let result =
        client.append_object(BUCKET, "k", b"def", &AppendOptions::new().position(3).crc64(checksum(b"abc"))).unwrap();
    assert!(result.reconciled);
    assert_eq!(result.crc64, checksum(b"abcdef"));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abcdef");
}

#[test]
fn a_lost_response_then_another_writers_append_is_landed_not_a_conflict() {
    let emu = emulator();
    let setup = client(&emu);
    setup.append_object(BUCKET, "k", b"base", &AppendOptions::new().position(0)).unwrap();
    let rival = setup.clone();
    // Our first attempt lands and its response is lost; before the retry, a rival appends after it.
    let client = client_hooked(&emu, 1, move || {
        rival.appender(BUCKET, "k").append(b"THEIRS").unwrap();
    });
    emu.faults().drop_after_commit(1);
    let result =
        client.append_object(BUCKET, "k", b"ours", &AppendOptions::new().position(4).crc64(checksum(b"base"))).unwrap();
    assert!(result.reconciled);
    assert_eq!((result.position, result.next_position), (4, 8));
    assert_eq!(result.crc64, checksum(b"baseours"));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"baseoursTHEIRS");
}

#[test]
fn a_byte_identical_append_by_another_writer_counts_as_landed() {
    let emu = emulator();
    let setup = client(&emu);
    setup.append_object(BUCKET, "k", b"base", &AppendOptions::new().position(0)).unwrap();
    let rival = setup.clone();
    let client = client_hooked(&emu, 1, move || {
        rival.append_object(BUCKET, "k", b"same", &AppendOptions::new().position(4)).unwrap();
    });
    // Ours is lost before its commit; the rival writes the very same bytes at the same position.
    emu.faults().drop_before_commit(1);
    let result =
        client.append_object(BUCKET, "k", b"same", &AppendOptions::new().position(4).crc64(checksum(b"base"))).unwrap();
    assert!(result.reconciled);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"basesame");
}

#[test]
fn a_gateway_error_after_the_commit_is_settled() {
    let emu = emulator();
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    emu.faults().gateway_error_after_commit(1);
    let result = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap();
    assert!(result.reconciled);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"data");
    // With retries, the retry meets the conflict and the same proof is made.
    emu.faults().gateway_error_after_commit(1);
    let retrying = self::client(&emu);
    let result = retrying
        .append_object(BUCKET, "k", b"more", &AppendOptions::new().position(4).crc64(checksum(b"data")))
        .unwrap();
    assert!(result.reconciled);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"datamore");
}

#[test]
fn a_5xx_after_the_whole_body_is_settled_before_it_is_returned() {
    // A front end may answer 5xx for a back end that committed: the object decides.
    let emu = emulator();
    let client = client(&emu);
    emu.faults().fail_next_method("POST", 3, 503);
    let err = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap_err();
    assert_eq!(err.service_kind(), Some(ServiceErrorKind::ServiceUnavailable));
    assert!(err.is_retryable(), "settled: not landed, so safe to send again");
    assert_eq!(count(&emu, "HEAD"), 1);
}

#[test]
fn a_commit_that_comes_after_settling_is_caught_by_the_resend() {
    // The request is still under way when the client gives up and the object says "not there"; it
    // commits later. The appender's resend at the same position meets PositionNotEqualToLength,
    // settles it, and finds its bytes: landed once, never a false conflict.
    let emu = emulator();
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    let mut log = client.appender(BUCKET, "k");
    log.append(b"head,").unwrap();
    emu.faults().commit_late(1, Duration::from_millis(300));
    let err = log.append(b"late").unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"head,late", "it committed after all");
    let result = log.append(b"late").unwrap();
    assert!(result.reconciled);
    assert_eq!((result.position, result.next_position), (5, 9));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"head,late");
    // The client remembers the position: a one-shot append sent there again is settled too.
    emu.faults().commit_late(1, Duration::from_millis(300));
    let at = |p| AppendOptions::new().position(p);
    client.append_object(BUCKET, "k", b"+tail", &at(9)).unwrap_err();
    std::thread::sleep(Duration::from_millis(600));
    let result = client.append_object(BUCKET, "k", b"+tail", &at(9)).unwrap();
    assert!(result.reconciled);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"head,late+tail");
    // Different bytes at that position are another append's: the conflict stands.
    emu.faults().commit_late(1, Duration::from_millis(300));
    let mut log = client.appender(BUCKET, "k");
    log.append(b"one").unwrap_err();
    std::thread::sleep(Duration::from_millis(600));
    let err = log.append(b"two").unwrap_err();
    assert_eq!(err.service_kind(), Some(ServiceErrorKind::PositionNotEqualToLength));
}

#[test]
fn a_body_that_changes_between_attempts_is_not_sent_as_the_same_append() {
    let emu = emulator();
    let client = client(&emu);
    let file = std::env::temp_dir().join(format!("oss-append-changing-{}", std::process::id()));
    std::fs::write(&file, b"original").unwrap();
    // The first attempt is lost before its commit; as it ends, the file is rewritten.
    let path = file.clone();
    let rewritten = std::sync::atomic::AtomicBool::new(false);
    let options = AppendOptions::new().position(0).progress(move |sent, total| {
        if sent == total && !rewritten.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::fs::write(&path, b"REWRITE!").unwrap();
        }
        true
    });
    emu.faults().drop_before_commit(1);
    let err = client.append_object(BUCKET, "k", oss_append::Body::File(&file), &options).unwrap_err();
    assert!(matches!(&err, Error::Body(e) if e.to_string().contains("changed")), "{err:?}");
    assert!(!err.is_retryable());
    assert!(emu.object(BUCKET, "k").is_none(), "the changed file was not sent");
    // Changed while the second attempt streams it: it landed, and its CRC says it is not the first.
    std::fs::write(&file, b"original").unwrap();
    let path = file.clone();
    let client = client_hooked(&emu, 1, move || std::fs::write(&path, b"REWRITE!").unwrap());
    emu.faults().drop_before_commit(1);
    let err = client
        .append_object(BUCKET, "k", oss_append::Body::File(&file), &AppendOptions::new().position(0))
        .unwrap_err();
    assert!(matches!(err, Error::CrcMismatch { .. }) && err.landed(), "{err:?}");
    std::fs::remove_file(file).unwrap();
}

#[test]
fn when_settling_fails_the_error_is_unsettled_and_carries_the_in_flight_append() {
    let emu = emulator();
    // One attempt: a retry's refusal would say where the object ends, with its CRC, and prove the
    // append landed without a HEAD.
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    client.append_object(BUCKET, "k", b"head-", &AppendOptions::new().position(0)).unwrap();
    // The append lands, its response is lost, and the service then refuses every HEAD.
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 100, 503);
    let err = client
        .append_object(BUCKET, "k", b"body", &AppendOptions::new().position(5).crc64(checksum(b"head-")))
        .unwrap_err();
    assert!(!err.is_retryable(), "an unsettled append is never retryable");
    let Error::Unsettled(unsettled) = &err else { panic!("expected unsettled, got {err:?}") };
    assert_eq!(unsettled.in_flight, in_flight(5, b"body", Some(b"head-")));
    assert_eq!(unsettled.cause.service_kind(), Some(ServiceErrorKind::ServiceUnavailable));
    assert!(err.to_string().contains("may have landed"), "{err}");
    // Later, with the service back, the stored in-flight append is settled: it landed.
    emu.faults().clear();
    let result = landed(client.settle(err.in_flight().unwrap()).unwrap());
    assert_eq!((result.position, result.next_position, result.crc64), (5, 9, checksum(b"head-body")));
    assert!(result.reconciled);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"head-body");
}

#[test]
fn an_appender_holds_an_unsettled_append_and_settles_it_before_the_next() {
    let emu = emulator();
    // One attempt, so that settling needs the HEAD (a retry's refusal would prove it landed).
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    let mut log = client.appender(BUCKET, "k");
    log.append(b"one,").unwrap();
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 1, 503);
    assert!(matches!(log.append(b"two,"), Err(Error::Unsettled(_))));
    assert_eq!(log.in_flight(), Some(&InFlight { key: "k".into(), ..in_flight(4, b"two,", Some(b"one,")) }));
    assert_eq!(log.next_position(), None, "it knows that it does not know where the object ends");
    // Explicitly: it landed; the appender goes on after it.
    assert!(matches!(log.settle().unwrap(), Some(Settlement::Landed(_))));
    assert_eq!((log.next_position(), log.crc64()), (Some(8), Some(checksum(b"one,two,"))));
    assert_eq!(log.settle().unwrap(), None, "nothing is in flight any more");
    log.append(b"three").unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"one,two,three");

    // The next append settles it first. Landed: the new bytes follow it.
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 1, 503);
    assert!(matches!(log.append(b",four"), Err(Error::Unsettled(_))));
    let result = log.append(b",five").unwrap();
    assert_eq!(result.position, 18);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"one,two,three,four,five");
}

#[test]
fn an_unsettled_append_settled_by_the_client_leaves_the_appender_going_on() {
    // The soak found it: an append settled with Client::settle, then the appender's next append
    // was refused with an Unsettled error carrying the earlier append, which the caller took for
    // the new one's (and settled: "landed") — the new bytes were never sent.
    let emu = emulator();
    // No retries: a lost request is not simply sent again within the call.
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    let mut log = client.appender(BUCKET, "k");
    log.append(b"one,").unwrap();
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 1, 503);
    let Err(Error::Unsettled(unsettled)) = log.append(b"two,") else { panic!("unsettled expected") };
    assert!(matches!(client.settle(&unsettled.in_flight).unwrap(), Settlement::Landed(_)));
    let result = log.append(b"three").unwrap();
    assert_eq!(result.position, 8);
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"one,two,three");

    // Not landed: sending the same bytes again appends them once; other bytes first are refused
    // (sending nothing), so that those bytes are never left out without a word.
    emu.faults().drop_before_commit(1);
    emu.faults().fail_next_method("HEAD", 1, 503);
    let four = log.append(b",four");
    let Err(Error::Unsettled(unsettled)) = four else { panic!("unsettled expected: {four:?}") };
    assert!(matches!(client.settle(&unsettled.in_flight).unwrap(), Settlement::NotLanded(_)));
    emu.clear_requests();
    let refused = log.append(b",five").unwrap_err();
    assert!(matches!(refused, Error::InvalidArgument { argument: Argument::InFlight, .. }), "{refused:?}");
    assert!(!refused.is_retryable() && !refused.landed() && refused.in_flight().is_none(), "{refused:?}");
    assert!(refused.to_string().contains("did not land"), "{refused}");
    assert!(emu.requests().iter().all(|r| r.method != "POST"), "nothing appended");
    log.append(b",four").unwrap();
    log.append(b",five").unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"one,two,three,four,five");

    // Settling cannot be done yet: the new append fails as it would have (nothing of it was sent),
    // not as the earlier append's Unsettled.
    emu.faults().drop_after_commit(1);
    emu.faults().fail_next_method("HEAD", 2, 503);
    assert!(matches!(log.append(b",six"), Err(Error::Unsettled(_))));
    let err = log.append(b",seven").unwrap_err();
    assert!(!matches!(err, Error::Unsettled(_)) && err.is_retryable(), "{err:?}");
    emu.faults().clear();
    log.append(b",seven").unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"one,two,three,four,five,six,seven");
}

#[test]
fn a_server_without_type_or_crc_in_head_is_settled_by_the_bytes() {
    let emu = emulator();
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    client.append_object(BUCKET, "k", b"abc", &AppendOptions::new().position(0)).unwrap();
    // No type (it is not taken for "not appendable") and no CRC: the bytes decide.
    emu.faults().bare_head(1);
    let result = landed(client.settle(&in_flight(0, b"abc", Some(b""))).unwrap());
    assert_eq!((result.next_position, result.crc64), (3, checksum(b"abc")));
    // Not even a CRC to derive one from: landed, unverified, and an appender goes on after it.
    emu.faults().bare_head(10);
    let err = client.settle(&in_flight(0, b"abc", None)).unwrap_err();
    assert!(matches!(err, Error::Unverified { next_position: 3, .. }), "{err:?}");
    let mut log = client.appender(BUCKET, "k");
    emu.faults().drop_after_commit(1);
    let err = log.append(b"def").unwrap_err();
    assert!(err.landed(), "the lost append is landed, unverified: {err:?}");
    assert_eq!(log.next_position(), Some(6));
    emu.faults().clear();
    log.append(b"ghi").unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abcdefghi");
}

#[test]
fn a_cancel_after_a_lost_response_leaves_the_append_unsettled() {
    let emu = emulator();
    let token = CancelToken::new();
    let cancel = token.clone();
    // The first attempt lands and its response is lost; the cancel comes before the retry.
    let client = client_hooked(&emu, 1, move || cancel.cancel());
    emu.faults().drop_after_commit(1);
    let err =
        client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0).cancel_token(token)).unwrap_err();
    let Error::Unsettled(unsettled) = &err else { panic!("a cancel must not hide a landing: {err:?}") };
    assert!(matches!(unsettled.cause, Error::Cancelled));
    assert!(matches!(client.settle(&unsettled.in_flight).unwrap(), Settlement::Landed(_)));
}

#[test]
fn an_append_without_a_crc_in_its_response_is_unverified_and_landed() {
    let emu = emulator();
    let client = client(&emu);
    let mut log = client.appender(BUCKET, "k");
    log.append(b"abc").unwrap();
    emu.faults().omit_crc(1);
    let err = log.append(b"def").unwrap_err();
    assert!(matches!(err, Error::Unverified { next_position: 6, .. }), "{err:?}");
    assert!(err.landed() && !err.is_retryable());
    // It continues after the landed bytes and asks the object for its CRC first.
    assert_eq!((log.next_position(), log.crc64()), (Some(6), None));
    log.append(b"ghi").unwrap();
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abcdefghi");
}

#[test]
fn settle_proves_every_outcome() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"abcdef", &AppendOptions::new().position(0)).unwrap();

    // The object ends at the position: nothing was appended there.
    let n = not_landed(client.settle(&in_flight(6, b"ghi", Some(b"abcdef"))).unwrap());
    assert_eq!(
        (n.reason, n.object_length, n.object_crc64),
        (NotLandedReason::NothingAtPosition, Some(6), Some(checksum(b"abcdef")))
    );
    // The object ends inside the append: those bytes are another writer's.
    let n = not_landed(client.settle(&in_flight(4, b"XYZW", None)).unwrap());
    assert_eq!(n.reason, NotLandedReason::OtherWriter);

    // Length and CRC prove it, with no read of the data.
    emu.clear_requests();
    let result = landed(client.settle(&in_flight(3, b"def", Some(b"abc"))).unwrap());
    assert_eq!((result.position, result.next_position, result.crc64), (3, 6, checksum(b"abcdef")));
    assert_eq!((count(&emu, "HEAD"), count(&emu, "GET")), (1, 0));
    // Same length, other bytes.
    let n = not_landed(client.settle(&in_flight(3, b"xyz", Some(b"abc"))).unwrap());
    assert_eq!(n.reason, NotLandedReason::OtherWriter);

    // A wrong CRC before does not fool it where the append ends the object: the bytes are there, and
    // the CRC is the object's.
    let result = landed(client.settle(&in_flight(0, b"abcdef", Some(b"junk"))).unwrap());
    assert_eq!((result.next_position, result.crc64), (6, checksum(b"abcdef")));
    let result = landed(client.settle(&in_flight(3, b"def", Some(b"junk"))).unwrap());
    assert_eq!(result.crc64, checksum(b"abcdef"));

    // Others appended after it: the bytes at the position decide, and only they are read. The CRC
    // where it ended comes from the CRC before; without one, it is landed, unverified.
    client.append_object(BUCKET, "k", b"+more", &AppendOptions::new().position(6)).unwrap();
    emu.clear_requests();
    let result = landed(client.settle(&in_flight(3, b"def", Some(b"abc"))).unwrap());
    assert_eq!(result.crc64, checksum(b"abcdef"));
    let gets: Vec<_> = emu.requests().into_iter().filter(|r| r.method == "GET").collect();
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].header("range"), Some("bytes=3-5"), "the append's own bytes, no more");
    match client.settle(&in_flight(3, b"def", None)) {
        Err(error @ Error::Unverified { next_position: 6, .. }) => assert!(error.landed()),
        other => panic!("expected landed, unverified: {other:?}"),
    }
    let n = not_landed(client.settle(&in_flight(3, b"DEF", None)).unwrap());
    assert_eq!(n.reason, NotLandedReason::OtherWriter);

    // Missing object, missing bucket, not appendable: not landed, and which.
    let missing = InFlight { key: "missing".into(), ..in_flight(0, b"x", None) };
    assert_eq!(not_landed(client.settle(&missing).unwrap()).reason, NotLandedReason::MissingObject);
    let no_bucket = InFlight { bucket: "no-such-bucket".into(), ..in_flight(0, b"x", None) };
    assert_eq!(not_landed(client.settle(&no_bucket).unwrap()).reason, NotLandedReason::MissingBucket);
    client.put_object(BUCKET, "normal", b"put", &PutOptions::default()).unwrap();
    let normal = InFlight { key: "normal".into(), ..in_flight(0, b"put", None) };
    let n = not_landed(client.settle(&normal).unwrap());
    assert_eq!((n.reason, n.object_type.as_deref()), (NotLandedReason::NotAppendable, Some("Normal")));

    // An empty append changes nothing: there is nothing to settle.
    let err = client.settle(&in_flight(0, b"", None)).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { argument: Argument::InFlight, .. }), "{err:?}");
}

#[test]
fn head_errors_name_their_kind_from_the_ec() {
    let emu = oss_emulator::Emulator::builder()
        .credentials(AK, SK)
        .sts_credentials(STS_AK, STS_SK, STS_TOKEN)
        .expiring_sts_credentials(
            "old-ak",
            "old-sk",
            "old-token",
            std::time::SystemTime::now() - Duration::from_secs(1),
        )
        .bucket(BUCKET)
        .start()
        .unwrap();
    let kind = |credentials: Credentials, bucket: &str| {
        let client = client_with(&emu, oss_append::SignatureVersion::V4, credentials);
        let head = client.head_object(bucket, "k").unwrap_err().service_kind();
        let append =
            client.append_object(bucket, "k", b"x", &AppendOptions::new().position(0)).unwrap_err().service_kind();
        (head, append)
    };
    use ServiceErrorKind as K;
    let both = |k| (Some(k), Some(k));
    assert_eq!(kind(Credentials::new(AK, "wrong-secret"), BUCKET), both(K::SignatureDoesNotMatch));
    assert_eq!(kind(Credentials::new("unknown", SK), BUCKET), both(K::InvalidAccessKeyId));
    assert_eq!(
        kind(Credentials::new(STS_AK, STS_SK).with_security_token("bad"), BUCKET),
        both(K::InvalidSecurityToken)
    );
    assert_eq!(
        kind(Credentials::new("old-ak", "old-sk").with_security_token("old-token"), BUCKET),
        both(K::SecurityTokenExpired)
    );
    assert_eq!(kind(Credentials::new(AK, SK), "no-such-bucket"), both(K::NoSuchBucket));
    let client = client(&emu);
    assert_eq!(client.head_object(BUCKET, "missing").unwrap_err().service_kind(), Some(K::NoSuchKey));
}

#[test]
fn credentials_with_a_line_break_are_a_credentials_error_before_anything_is_sent() {
    let emu = emulator();
    let built = builder(&emu).credentials(Credentials::new("ak\n", SK)).build();
    assert!(matches!(built, Err(Error::Credentials { .. })), "{built:?}");
    struct Bad;
    impl CredentialsProvider for Bad {
        fn credentials(&self) -> Result<Credentials, Error> {
            Ok(Credentials::new(AK, SK).with_security_token("tok\r\nX-Evil: 1"))
        }
    }
    let client = builder(&emu).credentials_provider(Arc::new(Bad)).build().unwrap();
    let err = client.append_object(BUCKET, "k", b"x", &AppendOptions::new()).unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert!(!err.to_string().contains("X-Evil"), "{err}");
    assert!(emu.requests().is_empty());
}

/// An append is left unsettled, `settle` says not landed (nothing at its position yet), then the
/// request still under way at the service commits, and the caller sends the bytes again at the same
/// position: the refusal is settled (one HEAD), not believed — the bytes are reported landed, once.
#[test]
fn a_late_commit_after_settle_said_not_landed_is_reported_landed_not_sent_twice() {
    let emu = emulator();
    let one_shot = || builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build();
    let (client, other_process) = (one_shot().unwrap(), one_shot().unwrap());
    let head = client.append_object(BUCKET, "late", b"0123456789", &AppendOptions::new().position(0)).unwrap();
    let resend = || AppendOptions::new().position(10).crc64(head.crc64);
    let unsettled = |client: &oss_append::Client| {
        emu.faults().commit_late(1, Duration::from_millis(400));
        emu.faults().fail_next_method("HEAD", 1, 503);
        match client.append_object(BUCKET, "late", b"LATE;", &resend()).unwrap_err() {
            Error::Unsettled(unsettled) => unsettled.in_flight,
            other => panic!("expected unsettled, got {other:?}"),
        }
    };

    // Settled and sent again by the same client.
    let in_flight = unsettled(&client);
    let not = not_landed(client.settle(&in_flight).unwrap());
    assert_eq!(not.reason, NotLandedReason::NothingAtPosition);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(emu.object_data(BUCKET, "late").unwrap(), b"0123456789LATE;", "it committed after all");
    let heads = count(&emu, "HEAD");
    let result = client.append_object(BUCKET, "late", b"LATE;", &resend()).unwrap();
    assert!(result.reconciled, "{result:?}");
    assert_eq!((result.position, result.next_position), (10, 15));
    assert!(count(&emu, "HEAD") - heads <= 1, "settled with at most one HEAD");
    assert_eq!(emu.object_data(BUCKET, "late").unwrap(), b"0123456789LATE;");

    // Sent again without a position: the client finds the object's end where the late commit put
    // it, with the CRC these bytes make there. It is their resend, not new bytes: landed, once.
    let head = client.append_object(BUCKET, "late3", b"0123456789", &AppendOptions::new().position(0)).unwrap();
    emu.faults().commit_late(1, Duration::from_millis(400));
    emu.faults().fail_next_method("HEAD", 1, 503);
    let at_ten = AppendOptions::new().position(10).crc64(head.crc64);
    let Error::Unsettled(unsettled) = client.append_object(BUCKET, "late3", b"LATE;", &at_ten).unwrap_err() else {
        panic!("expected unsettled")
    };
    assert!(matches!(client.settle(&unsettled.in_flight).unwrap(), Settlement::NotLanded(_)));
    std::thread::sleep(Duration::from_millis(800));
    let result = client.append_object(BUCKET, "late3", b"LATE;", &AppendOptions::new()).unwrap();
    assert!(result.reconciled && result.position == 10, "{result:?}");
    assert_eq!(emu.object_data(BUCKET, "late3").unwrap(), b"0123456789LATE;");
    // Then the same bytes again are new bytes: appended.
    client.append_object(BUCKET, "late3", b"LATE;", &AppendOptions::new()).unwrap();
    assert_eq!(emu.object_data(BUCKET, "late3").unwrap(), b"0123456789LATE;LATE;");

    // Settled in one process, sent again from another: `resend` says so.
    let head = client.append_object(BUCKET, "late2", b"0123456789", &AppendOptions::new().position(0)).unwrap();
    let resend = || AppendOptions::new().position(10).crc64(head.crc64);
    emu.faults().commit_late(1, Duration::from_millis(400));
    emu.faults().fail_next_method("HEAD", 1, 503);
    let Error::Unsettled(unsettled) = client.append_object(BUCKET, "late2", b"LATE;", &resend()).unwrap_err() else {
        panic!("expected unsettled")
    };
    assert!(matches!(client.settle(&unsettled.in_flight).unwrap(), Settlement::NotLanded(_)));
    std::thread::sleep(Duration::from_millis(800));
    let believed = other_process.append_object(BUCKET, "late2", b"LATE;", &resend()).unwrap_err();
    assert_eq!(believed.service_kind(), Some(ServiceErrorKind::PositionNotEqualToLength), "without resend");
    let result = other_process.append_object(BUCKET, "late2", b"LATE;", &resend().resend(true)).unwrap();
    assert!(result.reconciled);
    assert_eq!(emu.object_data(BUCKET, "late2").unwrap(), b"0123456789LATE;");
    // Other bytes there are another append's, resend or not.
    let err = other_process.append_object(BUCKET, "late2", b"OTHER", &resend().resend(true)).unwrap_err();
    assert_eq!(err.service_kind(), Some(ServiceErrorKind::PositionNotEqualToLength));
}

/// Eight writers share a client and race for one object's end, without a single fault: every refusal
/// (PositionNotEqualToLength) is a plain one, answered for that very request. None is settled, so
/// none reads the object back.
#[test]
fn refusals_between_writers_read_nothing_back() {
    let emu = emulator();
    let client = client(&emu);
    let (writers, appends, size) = (8, 24, 16 << 10);
    // Each append's bytes its own: writer and number in front.
    let chunk = |writer: usize, n: usize| {
        let mut bytes = data(size, (writer * appends + n) as u8);
        bytes[..8].copy_from_slice(format!("{writer:03} {n:03} ").as_bytes());
        bytes
    };
    let refused = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let (client, refused, chunk) = (&client, &refused, &chunk);
            scope.spawn(move || {
                let mut log = client.appender(BUCKET, "shared");
                for n in 0..appends {
                    loop {
                        match log.append(chunk(writer, n).as_slice()) {
                            Ok(_) => break,
                            Err(e) if e.service_kind() == Some(ServiceErrorKind::PositionNotEqualToLength) => {
                                refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            }
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
            });
        }
    });
    let written = (writers * appends * size) as u64;
    // Every append in the object, once.
    let object = emu.object_data(BUCKET, "shared").unwrap();
    let mut found: Vec<&[u8]> = object.chunks(size).collect();
    let mut expected: Vec<Vec<u8>> =
        (0..writers).flat_map(|w| (0..appends).map(move |n| (w, n))).map(|(w, n)| chunk(w, n)).collect();
    found.sort();
    expected.sort();
    assert!(found == expected.iter().map(Vec::as_slice).collect::<Vec<_>>(), "appends lost or doubled");
    let refusals = refused.load(std::sync::atomic::Ordering::SeqCst);
    assert!(refusals > writers, "the writers hardly raced: {refusals} refusals");
    let read_back: u64 = emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| {
            let range = r.header("range").and_then(|v| v.strip_prefix("bytes=")).unwrap_or("0-0");
            let (first, last) = range.split_once('-').unwrap();
            last.parse::<u64>().unwrap_or(written) - first.parse::<u64>().unwrap_or(0) + 1
        })
        .sum();
    eprintln!("{writers} writers, {written} bytes written, {refusals} refusals, {read_back} bytes read back");
    assert!(read_back * 100 < written, "{read_back} bytes read back of {written} written");
    assert_eq!(count(&emu, "GET"), 0, "a plain refusal costs no read");
}

/// A large append committed late, sent again from another process: reconciled by the object's CRC,
/// once. (The emulator reads a body before it refuses it; a server that refuses from the request's
/// head, before the body is all sent, has the body's CRC taken from its own bytes for settling.)
#[test]
fn a_large_resend_after_a_late_commit_is_reconciled_once() {
    let emu = emulator();
    let one_shot = || builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build();
    let (client, other_process) = (one_shot().unwrap(), one_shot().unwrap());
    let head = client.append_object(BUCKET, "big", b"0123456789", &AppendOptions::new().position(0)).unwrap();
    let body = data(4 << 20, 3);
    let at_ten = || AppendOptions::new().position(10).crc64(head.crc64);
    emu.faults().commit_late(1, Duration::from_millis(600));
    emu.faults().fail_next_method("HEAD", 1, 503);
    let Error::Unsettled(unsettled) = client.append_object(BUCKET, "big", body.as_slice(), &at_ten()).unwrap_err()
    else {
        panic!("expected unsettled")
    };
    assert!(matches!(client.settle(&unsettled.in_flight).unwrap(), Settlement::NotLanded(_)));
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(emu.object(BUCKET, "big").unwrap().length, 10 + body.len() as u64, "it committed late");
    let result = other_process.append_object(BUCKET, "big", body.as_slice(), &at_ten().resend(true)).unwrap();
    assert!(result.reconciled, "{result:?}");
    assert_eq!(emu.object(BUCKET, "big").unwrap().length, 10 + body.len() as u64, "once");
}
