//! Injected failures: every retry case of an append, and what is never retried.

mod common;

use common::*;
use oss_append::crc64::checksum;
use oss_append::{AppendOptions, Body, Client, Credentials, Error, RetryPolicy, TimeoutKind};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn response_lost_after_commit_is_reconciled_without_duplicating() {
    let emu = emulator();
    let client = client(&emu);
    client.append_object(BUCKET, "k", b"head-", &AppendOptions::new().position(0)).unwrap();
    emu.faults().drop_after_commit(1);
    let result = client.append_object(BUCKET, "k", b"body", &AppendOptions::new().position(5)).unwrap();
    assert!(result.reconciled);
    assert_eq!(result.next_position, 9);
    assert_eq!(result.crc64, checksum(b"head-body"));
    assert_eq!(client.get_object_to_vec(BUCKET, "k", None).unwrap(), b"head-body");
    // Two appends of the body were sent: the lost one and the retry that met the 409.
    assert_eq!(count(&emu, "POST"), 3);
}

#[test]
fn connection_reset_before_commit_is_retried_and_lands_once() {
    let emu = emulator();
    let client = client(&emu);
    emu.faults().drop_before_commit(1);
    let result = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap();
    assert!(!result.reconciled);
    assert_eq!(result.next_position, 4);
    assert_eq!(client.get_object_to_vec(BUCKET, "k", None).unwrap(), b"data");
}

#[test]
fn service_unavailable_is_retried() {
    let emu = emulator();
    let client = client(&emu);
    emu.faults().fail_next(2, 503);
    let result = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap();
    assert_eq!(result.next_position, 4);
    assert_eq!(count(&emu, "POST"), 3);
}

#[test]
fn retries_stop_at_max_attempts() {
    let emu = emulator();
    let client = client(&emu);
    emu.faults().fail_next_method("POST", 10, 503);
    let err = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap_err();
    assert_eq!(err.service().unwrap().status, 503);
    assert_eq!(count(&emu, "POST"), 3);
}

#[test]
fn other_client_errors_are_never_retried() {
    let emu = emulator();
    let client = client(&emu);
    emu.faults().fail_next(1, 400);
    let err = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap_err();
    assert_eq!(err.service().unwrap().status, 400);
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn throttling_and_request_timeout_are_retried() {
    let emu = emulator();
    let client = client(&emu);
    for status in [429, 408, 500] {
        emu.clear_requests();
        emu.faults().fail_next(1, status);
        client.head_object(BUCKET, "missing").unwrap_err();
        assert_eq!(count(&emu, "HEAD"), 2, "status {status} was not retried once");
    }
}

#[test]
fn a_reader_body_is_not_retried_once_read() {
    let emu = emulator();
    let client = client(&emu);
    emu.faults().fail_next(1, 503);
    let mut reader = std::io::Cursor::new(b"data".to_vec());
    let body = Body::Reader { reader: &mut reader, length: 4 };
    let err = client.append_object(BUCKET, "k", body, &AppendOptions::new().position(0)).unwrap_err();
    assert_eq!(err.service().unwrap().status, 503);
    assert_eq!(count(&emu, "POST"), 1);
}

#[test]
fn a_concurrent_writer_of_the_same_size_is_not_mistaken_for_our_append() {
    let emu = emulator();
    let rival_client = client(&emu);
    rival_client.append_object(BUCKET, "k", b"base", &AppendOptions::new().position(0)).unwrap();
    let rival = rival_client.clone();
    let client = client_hooked(&emu, 1, move || {
        rival.append_object(BUCKET, "k", b"THEIRS", &AppendOptions::new().position(4)).unwrap();
    });
    // Our first attempt is lost before it commits; the rival then appends the same number of bytes.
    emu.faults().drop_before_commit(1);
    let err = client
        .append_object(BUCKET, "k", b"ours!!", &AppendOptions::new().position(4).crc64(checksum(b"base")))
        .unwrap_err();
    let service = err.service().expect("the conflict is returned");
    assert_eq!(service.code, "PositionNotEqualToLength");
    assert_eq!(service.position, Some(4));
    assert_eq!(service.next_position, Some(10));
    assert_eq!(client.get_object_to_vec(BUCKET, "k", None).unwrap(), b"baseTHEIRS");
}

#[test]
fn a_slow_response_times_out_with_the_read_write_timeout() {
    let emu = emulator();
    let client = builder(&emu)
        .credentials(Credentials::new(AK, SK))
        .read_write_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    emu.faults().delay_next(1, Duration::from_secs(2));
    let err = client.head_object(BUCKET, "k").unwrap_err();
    assert!(matches!(err, Error::Timeout { kind: TimeoutKind::ReadWrite, millis: 200 }), "{err:?}");
    assert!(err.to_string().contains("read/write timeout"));
}

#[test]
fn a_refused_connection_is_a_network_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .region("cn-hangzhou")
        .credentials(Credentials::new(AK, SK))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let err = client.append_object(BUCKET, "k", b"x", &AppendOptions::new().position(0)).unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err:?}");
}

#[test]
fn a_refreshing_provider_is_asked_again_when_the_token_nears_expiry() {
    let emu = emulator();
    let fetches = Arc::new(AtomicU32::new(0));
    let counter = fetches.clone();
    let provider = oss_append::RefreshingProvider::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Credentials::new(STS_AK, STS_SK)
            .with_security_token(STS_TOKEN)
            .with_expiration(std::time::SystemTime::now() + Duration::from_secs(30)))
    });
    let client = builder(&emu).credentials_provider(Arc::new(provider)).build().unwrap();
    let mut log = client.appender(BUCKET, "sts.log");
    log.append(b"a").unwrap();
    log.append(b"b").unwrap();
    // Each token lives 30 s, inside the 5-minute margin: every request fetches a fresh one.
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
}

#[test]
fn a_skewed_clock_is_corrected_from_the_service_date_and_retried() {
    let emu = emulator();
    let client = client(&emu);
    // The server's clock runs an hour ahead: the first request is refused as too skewed.
    emu.set_clock_offset(3600);
    let result = client.append_object(BUCKET, "k", b"data", &AppendOptions::new().position(0)).unwrap();
    assert_eq!(result.next_position, 4);
    assert_eq!(count(&emu, "POST"), 2, "one refused attempt, one accepted");
    // The offset is kept: later requests are signed with the service's time at once.
    emu.clear_requests();
    client.head_object(BUCKET, "k").unwrap();
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn without_retries_a_skewed_clock_reports_request_time_too_skewed() {
    let emu = emulator();
    let client = builder(&emu).credentials(Credentials::new(AK, SK)).retry_policy(RetryPolicy::none()).build().unwrap();
    emu.set_clock_offset(-3600);
    let err = client.head_object(BUCKET, "k").unwrap_err();
    let service = err.service().unwrap();
    assert_eq!((service.status, service.code.as_str()), (403, "RequestTimeTooSkewed"));
    assert!(err.to_string().contains("clock"), "{err}");
}
