//! Appends against the emulator: positions, CRC, errors, headers, bodies, progress and cancel.

mod common;

use common::*;
use oss_append::crc64::checksum;
use oss_append::{
    AppendOptions, Argument, Body, ByteRange, CancelToken, ContentMd5, Credentials, Error, ObjectHeaders, PutOptions,
    SignatureVersion,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[test]
fn appender_tracks_position_and_crc_across_appends() {
    let emu = emulator();
    let client = client(&emu);
    let mut log = client.appender(BUCKET, "logs/app.log");
    let chunks = [data(1000, 1), data(1, 2), data(70_000, 3)];
    let mut whole = Vec::new();
    for chunk in &chunks {
        let result = log.append(chunk).unwrap();
        assert_eq!(result.position, whole.len() as u64);
        whole.extend_from_slice(chunk);
        assert_eq!(result.next_position, whole.len() as u64);
        assert_eq!(result.crc64, checksum(&whole));
        assert!(!result.request_id.is_empty());
        assert!(!result.reconciled);
    }
    assert_eq!(log.next_position(), Some(whole.len() as u64));
    // Only the first append needed a HEAD: position and CRC were carried after that.
    assert_eq!(count(&emu, "HEAD"), 1);
    assert_eq!(client.get_object_to_vec(BUCKET, "logs/app.log", None).unwrap(), whole);
}

#[test]
fn a_token_cancelled_for_one_append_leaves_the_appender_usable() {
    let emu = emulator();
    let client = client(&emu);
    let mut log = client.appender(BUCKET, "logs/cancel-once.log");
    log.append(&b"first\n"[..]).unwrap();
    let cancelled = CancelToken::new();
    cancelled.cancel();
    assert!(matches!(log.append_cancellable(&b"never\n"[..], &cancelled), Err(Error::Cancelled)));
    // The next call has a token of its own (or none): it goes on after the first append.
    log.append_cancellable(&b"second\n"[..], &CancelToken::new()).unwrap();
    log.append(&b"third\n"[..]).unwrap();
    assert_eq!(client.get_object_to_vec(BUCKET, "logs/cancel-once.log", None).unwrap(), b"first\nsecond\nthird\n");
}

#[test]
fn append_without_position_finds_the_end_of_an_existing_object() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"hello ", &AppendOptions::new().position(0)).unwrap();
    let result = client.append_object(BUCKET, "k", b"world", &AppendOptions::new()).unwrap();
    assert_eq!((result.position, result.next_position), (6, 11));
    assert_eq!(result.crc64, checksum(b"hello world"));
    assert_eq!(client.get_object_to_vec(BUCKET, "k", None).unwrap(), b"hello world");
}

#[test]
fn append_with_position_but_no_crc_reads_the_crc_and_verifies() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"abc", &AppendOptions::new().position(0)).unwrap();
    let result = client.append_object(BUCKET, "k", b"def", &AppendOptions::new().position(3)).unwrap();
    assert_eq!(result.crc64, checksum(b"abcdef"));
    assert_eq!(count(&emu, "HEAD"), 1, "the starting CRC came from a HEAD");
    // The CRC read that way verifies the append: a wrong CRC from the server is caught.
    emu.faults().corrupt_crc(1);
    let err = client.append_object(BUCKET, "k", b"ghi", &AppendOptions::new().position(6)).unwrap_err();
    assert!(matches!(err, Error::CrcMismatch { next_position: 9, .. }), "{err:?}");
}

#[test]
fn a_wrong_position_without_crc_gets_the_service_conflict() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"abc", &AppendOptions::new().position(0)).unwrap();
    let err = client.append_object(BUCKET, "k", b"def", &AppendOptions::new().position(5)).unwrap_err();
    let service = err.service().expect("the service's conflict");
    assert_eq!(service.code, "PositionNotEqualToLength");
    assert_eq!((service.next_position, service.position), (Some(3), Some(5)));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"abc");
}

#[test]
fn an_appender_finds_the_object_again_after_a_crc_mismatch() {
    let emu = emulator();
    let client = client(&emu);
    let mut log = client.appender(BUCKET, "k");
    log.append(b"one").unwrap();
    emu.faults().corrupt_crc(1);
    assert!(matches!(log.append(b"two"), Err(Error::CrcMismatch { .. })));
    // "two" is in the object; which CRC is right is asked of the object before the next append.
    assert_eq!((log.next_position(), log.crc64()), (Some(6), None));
    let result = log.append(b"three").unwrap();
    assert_eq!((result.position, result.next_position), (6, 11));
    assert_eq!(result.crc64, checksum(b"onetwothree"));
}

#[test]
fn content_md5_cannot_be_computed_for_a_reader_body() {
    let emu = emulator();
    let client = client(&emu);
    let md5 = ObjectHeaders::new().content_md5(ContentMd5::Compute);
    let mut reader = std::io::Cursor::new(vec![7u8; 1000]);
    let body = Body::Reader { reader: &mut reader, length: 1000 };
    let err = client.put_object(BUCKET, "k", body, &PutOptions::new().headers(md5.clone()));
    assert!(matches!(err, Err(Error::InvalidArgument { argument: Argument::Body, .. })), "{err:?}");
    let mut reader = std::io::Cursor::new(vec![7u8; 1000]);
    let body = Body::Reader { reader: &mut reader, length: 1000 };
    let err = client.append_object(BUCKET, "k", body, &AppendOptions::new().position(0).headers(md5));
    assert!(matches!(err, Err(Error::InvalidArgument { argument: Argument::Body, .. })), "{err:?}");
    assert!(emu.requests().is_empty());
}

#[test]
fn append_at_wrong_position_reports_next_position() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"0123456789", &AppendOptions::new().position(0)).unwrap();
    let err = client.append_object(BUCKET, "k", b"x", &AppendOptions::new().position(4).crc64(0)).unwrap_err();
    let service = err.service().expect("a service error");
    assert_eq!(service.status, 409);
    assert_eq!(service.code, "PositionNotEqualToLength");
    assert_eq!(service.ec, "0026-00000016");
    assert_eq!(service.next_position, Some(10));
    assert_eq!(service.position, Some(4));
    assert!(!service.request_id.is_empty());
    let shown = err.to_string();
    assert!(shown.contains("appended at 4, object length is 10"), "{shown}");
    // Not retried: a 4xx other than the listed ones is final.
    assert_eq!(count(&emu, "POST"), 2);
}

#[test]
fn append_to_a_normal_object_is_refused_as_not_appendable() {
    let emu = emulator();
    let client = client(&emu);
    client.put_object(BUCKET, "normal", b"put", &PutOptions::default()).unwrap();
    let err = client.append_object(BUCKET, "normal", b"x", &AppendOptions::new().position(3).crc64(0)).unwrap_err();
    let service = err.service().unwrap();
    assert_eq!(
        (service.status, service.code.as_str(), service.ec.as_str()),
        (409, "ObjectNotAppendable", "0026-00000017")
    );
}

#[test]
fn wrong_crc_from_the_server_is_a_crc_mismatch_that_says_the_data_landed() {
    let emu = emulator();
    let client = client(&emu);
    emu.faults().corrupt_crc(1);
    let err = client.append_object(BUCKET, "k", b"payload", &AppendOptions::new().position(0)).unwrap_err();
    match &err {
        Error::CrcMismatch { expected_crc64, server_crc64, next_position, .. } => {
            assert_eq!(*expected_crc64, checksum(b"payload"));
            assert_ne!(server_crc64, expected_crc64);
            assert_eq!(*next_position, 7);
        }
        other => panic!("expected a CRC mismatch, got {other:?}"),
    }
    assert!(err.landed());
    assert!(
        err.to_string().contains("the append landed") && err.to_string().contains("do not append it again"),
        "{err}"
    );
}

#[test]
fn a_wrong_running_crc_from_the_caller_is_caught() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"abc", &AppendOptions::new().position(0)).unwrap();
    let err = client.append_object(BUCKET, "k", b"def", &AppendOptions::new().position(3).crc64(12345)).unwrap_err();
    assert!(matches!(err, Error::CrcMismatch { next_position: 6, .. }), "{err:?}");
}

#[test]
fn create_time_headers_go_only_on_the_creating_append() {
    let emu = emulator();
    let client = client(&emu);
    let headers = ObjectHeaders::new()
        .content_type("text/plain")
        .cache_control("no-cache")
        .content_disposition("attachment; filename=a.log")
        .content_encoding("identity")
        .expires("Wed, 21 Oct 2026 07:28:00 GMT")
        .metadata("Owner", "ops")
        .metadata("run_id", "42")
        .object_acl("private")
        .storage_class("IA")
        .server_side_encryption("AES256")
        .tagging("a=1&b=2")
        .content_md5(ContentMd5::Compute)
        .traffic_limit(838_860_800);
    let mut log = client.appender(BUCKET, "meta.log").with_options(AppendOptions::new().headers(headers));
    log.append(b"first").unwrap();
    log.append(b"second").unwrap();
    log.append(b"third").unwrap();
    let posts: Vec<_> = emu.requests().into_iter().filter(|r| r.method == "POST").collect();
    let has = |i: usize, name: &str| posts[i].headers.iter().any(|(n, _)| n == name);
    // An append's query and headers are made from the last one's: nothing of it stays behind.
    for (i, post) in posts.iter().enumerate() {
        for name in ["content-length", "content-md5", "x-oss-traffic-limit", "x-oss-date", "authorization"] {
            let count = post.headers.iter().filter(|(n, _)| n == name).count();
            assert_eq!(count, 1, "append {i} carries {name} {count} times");
        }
    }
    assert_eq!(posts[2].headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.as_str()), Some("5"));
    for name in [
        "content-type",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "expires",
        "x-oss-meta-owner",
        "x-oss-meta-run_id",
        "x-oss-object-acl",
        "x-oss-storage-class",
        "x-oss-server-side-encryption",
        "x-oss-tagging",
    ] {
        assert!(has(0, name), "creating append lacks {name}");
        assert!(!has(1, name), "later append carries {name}");
    }
    for name in ["content-md5", "x-oss-traffic-limit"] {
        assert!(has(0, name) && has(1, name), "{name} belongs on every append");
    }
    let meta = client.head_object(BUCKET, "meta.log").unwrap();
    assert!(meta.is_appendable());
    assert_eq!(meta.content_length, 16);
    assert_eq!(meta.next_append_position, Some(16));
    assert_eq!(meta.crc64, Some(checksum(b"firstsecondthird")));
    assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
    assert_eq!(meta.storage_class.as_deref(), Some("IA"));
    // Every header the service returns for an appendable object.
    assert_eq!(meta.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(meta.content_disposition.as_deref(), Some("attachment; filename=a.log"));
    assert_eq!(meta.content_encoding.as_deref(), Some("identity"));
    assert_eq!(meta.expires.as_deref(), Some("Wed, 21 Oct 2026 07:28:00 GMT"));
    assert_eq!(meta.server_side_encryption.as_deref(), Some("AES256"));
    assert_eq!(meta.tagging_count, Some(2));
    assert_eq!(meta.version_id, None, "the emulator's buckets are not versioned");
    let mut metadata = meta.metadata.clone();
    metadata.sort();
    assert_eq!(metadata, vec![("owner".to_string(), "ops".to_string()), ("run_id".to_string(), "42".to_string())]);
}

#[test]
fn a_file_body_is_streamed_and_a_range_reads_back() {
    let emu = emulator();
    let client = client(&emu);
    let dir = std::env::temp_dir().join(format!("oss-append-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.bin");
    let content = data(3 * 1024 * 1024 + 17, 9);
    std::fs::write(&path, &content).unwrap();
    let result = client.append_object(BUCKET, "file", Body::File(&path), &AppendOptions::new()).unwrap();
    assert_eq!(result.next_position, content.len() as u64);
    assert_eq!(result.crc64, checksum(&content));
    let range = client.get_object_to_vec(BUCKET, "file", Some(ByteRange::Span { first: 100, last: 199 })).unwrap();
    assert_eq!(range, &content[100..200]);
    let tail = client.get_object_to_vec(BUCKET, "file", Some(ByteRange::From(3 * 1024 * 1024))).unwrap();
    assert_eq!(tail, &content[3 * 1024 * 1024..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reader_body_of_known_length_is_sent() {
    let emu = emulator();
    let client = client(&emu);
    let content = data(200_000, 4);
    let mut reader = std::io::Cursor::new(content.clone());
    let body = Body::Reader { reader: &mut reader, length: content.len() as u64 };
    let result = client.append_object(BUCKET, "reader", body, &AppendOptions::new().position(0)).unwrap();
    assert_eq!(result.crc64, checksum(&content));
}

#[test]
fn a_reader_shorter_than_its_length_fails_and_commits_nothing() {
    let emu = emulator();
    let client = client(&emu);
    let mut reader = std::io::Cursor::new(vec![1u8; 10]);
    let body = Body::Reader { reader: &mut reader, length: 20 };
    let err = client.append_object(BUCKET, "short", body, &AppendOptions::new().position(0)).unwrap_err();
    assert!(matches!(err, Error::Body(_)), "{err:?}");
    assert!(emu.object(BUCKET, "short").is_none());
}

#[test]
fn progress_reports_in_order_up_to_the_total() {
    let emu = emulator();
    let client = client(&emu);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let content = data(1_000_000, 5);
    let options = AppendOptions::new().position(0).progress(move |sent, total| {
        sink.lock().unwrap().push((sent, total));
        true
    });
    client.append_object(BUCKET, "p", &content, &options).unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 1, "progress was reported {} times", seen.len());
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "not increasing: {seen:?}");
    assert!(seen.iter().all(|&(_, total)| total == 1_000_000));
    assert_eq!(seen.last().unwrap().0, 1_000_000);
}

#[test]
fn progress_returning_false_cancels_and_nothing_is_appended() {
    let emu = emulator();
    let client = client(&emu);
    let content = data(4_000_000, 6);
    let options = AppendOptions::new().position(0).progress(|sent, _| sent < 100_000);
    let err = client.append_object(BUCKET, "c", &content, &options).unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert!(emu.object(BUCKET, "c").is_none());
}

#[test]
fn a_small_body_reports_its_progress_once_and_a_false_from_it_cancels() {
    // A body this small goes out in one piece with the request's head.
    let emu = emulator();
    let client = client(&emu);
    let content = data(1024, 8);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = AppendOptions::new().position(0).progress(move |sent, total| {
        sink.lock().unwrap().push((sent, total));
        true
    });
    client.append_object(BUCKET, "small", &content, &options).unwrap();
    assert_eq!(*seen.lock().unwrap(), [(1024, 1024)]);
    assert_eq!(emu.object_data(BUCKET, "small").unwrap(), content);

    let options = AppendOptions::new().position(0).progress(|_, _| false);
    let err = client.append_object(BUCKET, "small-cancelled", &content, &options).unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert!(emu.object(BUCKET, "small-cancelled").is_none());
}

#[test]
fn a_cancel_token_stops_the_upload_from_another_thread() {
    let emu = emulator();
    let client = client(&emu);
    let token = CancelToken::new();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let started = Mutex::new(Some(started_tx));
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            started_rx.recv().unwrap();
            token.cancel();
        })
    };
    let sent_after = Arc::new(AtomicU64::new(0));
    let recorder = sent_after.clone();
    let content = data(32 * 1024 * 1024, 7);
    let options = AppendOptions::new().position(0).cancel_token(token).progress(move |sent, _| {
        if let Some(tx) = started.lock().unwrap().take() {
            tx.send(()).unwrap();
            // Give the other thread time to cancel before the next chunk.
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        recorder.store(sent, Ordering::SeqCst);
        true
    });
    let err = client.append_object(BUCKET, "t", &content, &options).unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert!(sent_after.load(Ordering::SeqCst) < content.len() as u64);
    assert!(emu.object(BUCKET, "t").is_none());
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let emu = emulator();
    let client = client(&emu);
    let cases: Vec<(&str, &str, AppendOptions, &str)> = vec![
        ("Bad_Bucket", "k", AppendOptions::new().position(0), "bucket"),
        ("ab", "k", AppendOptions::new().position(0), "bucket"),
        (BUCKET, "", AppendOptions::new().position(0), "key"),
        (BUCKET, "/abs", AppendOptions::new().position(0), "key"),
        (BUCKET, "k", AppendOptions::new().position(5 * 1024 * 1024 * 1024), "position"),
        (
            BUCKET,
            "k",
            AppendOptions::new().headers(ObjectHeaders::new().cache_control("a\r\nx-oss-evil: 1")),
            "cache control",
        ),
        (BUCKET, "k", AppendOptions::new().headers(ObjectHeaders::new().metadata("bad name", "v")), "metadata name"),
        (BUCKET, "k", AppendOptions::new().headers(ObjectHeaders::new().storage_class("ColdArchive")), "storage class"),
        (BUCKET, "k", AppendOptions::new().headers(ObjectHeaders::new().object_acl("everyone")), "object ACL"),
    ];
    for (bucket, key, options, expected) in cases {
        match client.append_object(bucket, key, b"xx", &options) {
            Err(Error::InvalidArgument { argument, .. }) => assert_eq!(argument.name(), expected, "{bucket}/{key}"),
            other => panic!("{bucket}/{key}: expected invalid {expected}, got {other:?}"),
        }
    }
    let long_key = "k".repeat(1024);
    assert!(matches!(
        client.head_object(BUCKET, &long_key),
        Err(Error::InvalidArgument { argument: Argument::Key, .. })
    ));
    assert!(emu.requests().is_empty(), "requests were sent: {:?}", emu.requests().len());
}

#[test]
fn v1_and_sts_credentials_are_accepted() {
    let emu = emulator();
    let sts = Credentials::new(STS_AK, STS_SK).with_security_token(STS_TOKEN);
    for (i, (version, credentials)) in [
        (SignatureVersion::V1, Credentials::new(AK, SK)),
        (SignatureVersion::V1, sts.clone()),
        (SignatureVersion::V4, sts),
    ]
    .into_iter()
    .enumerate()
    {
        let client = client_with(&emu, version, credentials);
        let key = format!("dir/sp ace+plus~ü/{i}#?.log");
        let mut log = client.appender(BUCKET, key.clone());
        log.append(b"one").unwrap();
        log.append(b"two").unwrap();
        assert_eq!(client.get_object_to_vec(BUCKET, &key, None).unwrap(), b"onetwo");
        assert_eq!(client.head_object(BUCKET, &key).unwrap().content_length, 6);
        client.delete_object(BUCKET, &key).unwrap();
        let missing = client.head_object(BUCKET, &key).unwrap_err();
        assert_eq!(missing.service().unwrap().status, 404);
    }
}

#[test]
fn a_wrong_secret_is_refused_and_not_retried() {
    let emu = emulator();
    let client = client_with(&emu, SignatureVersion::V4, Credentials::new(AK, "Secret-Never-Shown-7f3a"));
    let err = client.append_object(BUCKET, "k", b"x", &AppendOptions::new().position(0)).unwrap_err();
    let service = err.service().unwrap();
    assert_eq!((service.status, service.code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(emu.requests().len(), 1);
    assert!(!format!("{err} {err:?} {client:?}").contains("Secret-Never-Shown"), "the secret leaked");
}

#[test]
fn put_replaces_and_delete_removes() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"appendable", &AppendOptions::new()).unwrap();
    let put = client.put_object(BUCKET, "k", b"normal", &PutOptions::default()).unwrap();
    assert_eq!(put.crc64, Some(checksum(b"normal")));
    let meta = client.head_object(BUCKET, "k").unwrap();
    assert_eq!(meta.object_type, "Normal");
    assert!(!meta.is_appendable());
    client.delete_object(BUCKET, "k").unwrap();
    assert_eq!(client.head_object(BUCKET, "k").unwrap_err().service().unwrap().code, "NoSuchKey");
    // The object is gone, so the appender starts again at 0.
    let result = client.appender(BUCKET, "k").append(b"again").unwrap();
    assert_eq!(result.position, 0);
}
