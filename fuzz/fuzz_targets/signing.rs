//! The client's V4 and V1 signatures against the emulator's check, over the wire's encoding. The
//! input is an HTTP request as bytes (the seeds: the official SDKs' signing cases and the tests'
//! requests); its last byte chooses V1 or V4, STS keys and which signature character to change.
//! The emulator reads the path and query the client writes back to the same bucket, key and
//! parameters; it accepts the client's signature of them, and refuses it with one character changed.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use oss_append::sign::{encode_component, encode_path, v1, v4, SignRequest};
use oss_append::Credentials;

fuzz_target!(|bytes: &[u8]| {
    let Some((&flags, bytes)) = bytes.split_last() else { return };
    let Some(request) = oss_append_fuzz::message(bytes) else { return };
    let mut start = request.start.split(' ');
    let (Some(method), Some(target)) = (start.next(), start.next()) else { return };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return;
    }
    let (path, query_string) = target.split_once('?').unwrap_or((target, ""));
    // The emulator reads the request...
    let Some((Some(bucket), Some(key), query)) = oss_emulator::fuzzing::read_target(path, query_string) else { return };
    // ...which the client would only send for names it accepts, and parameters it names (`?=` is
    // read as a parameter with no name, which the client never writes: fuzz/seeds/signing/empty-name).
    if oss_append::validate::bucket(&bucket).is_err()
        || oss_append::validate::key(&key).is_err()
        || query.iter().any(|(name, _)| name.is_empty())
    {
        return;
    }
    // What the client writes for them, the emulator reads back the same.
    let written_path = format!("/{bucket}/{}", encode_path(&key));
    let written_query: Vec<String> = query
        .iter()
        .map(|(n, v)| if v.is_empty() { encode_component(n) } else { format!("{}={}", encode_component(n), encode_component(v)) })
        .collect();
    let read = oss_emulator::fuzzing::read_target(&written_path, &written_query.join("&"));
    assert_eq!(read, Some((Some(bucket.clone()), Some(key.clone()), query.clone())), "{written_path} {written_query:?}");

    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter_map(|(n, v)| Some((std::str::from_utf8(n).ok()?.to_ascii_lowercase(), std::str::from_utf8(v).ok()?.to_string())))
        .filter(|(name, value)| {
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && value.bytes().all(|b| (0x20..0x7f).contains(&b))
                && !matches!(
                    name.as_str(),
                    "authorization" | "date" | "x-oss-date" | "x-oss-content-sha256" | "x-oss-security-token"
                )
        })
        .collect();
    headers.sort();
    headers.dedup_by(|a, b| a.0 == b.0);
    let mut credentials = Credentials::new("fuzz-ak", "fuzz-secret-key");
    if flags & 2 != 0 {
        credentials = credentials.with_security_token("fuzz+sts/token==");
    }
    let v1 = flags & 1 != 0;
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + u64::from(flags) * 3_600);
    if v1 {
        v1::add_signing_headers(&mut headers, &credentials, now);
    } else {
        v4::add_signing_headers(&mut headers, &credentials, now);
    }
    let client_view = SignRequest { method, bucket: Some(&bucket), key: Some(&key), query: &query, headers: &headers };
    let authorization = if v1 {
        v1::sign(&client_view, &credentials).authorization
    } else {
        let scope = v4::V4Scope { region: "cn-hangzhou", product: v4::PRODUCT_OSS, time: now };
        v4::sign(&client_view, &[], &credentials, &scope).authorization
    };
    let mut sent = headers.clone();
    sent.push(("authorization".into(), authorization.clone()));
    let keys = [credentials];
    let accepted = |sent: &[(String, String)]| {
        let view = SignRequest { method, bucket: Some(&bucket), key: Some(&key), query: &query, headers: sent };
        oss_emulator::fuzzing::signature_accepted(&keys, "cn-hangzhou", &view, now)
    };
    assert!(accepted(&sent), "the emulator refused the client's signature: {client_view:?}");
    // One character of the signature changed (base64 or hex alike): refused.
    let at = authorization.len() - 2 - usize::from(flags >> 4) % 8;
    let mut forged = authorization.into_bytes();
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let last = sent.len() - 1;
    sent[last].1 = String::from_utf8(forged).expect("ASCII");
    assert!(!accepted(&sent), "a forged signature was accepted");
});
