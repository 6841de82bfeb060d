//! The emulator's behaviour over HTTP: appends, objects, buckets, listings, signatures.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use oss_append::crc64::checksum;
use oss_append::sign::SignatureVersion;
use oss_append::Credentials;
use oss_emulator::{Emulator, ObjectType};

fn anonymous() -> (Emulator, Client) {
    let emu = Emulator::builder().bucket(BUCKET).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    (emu, client)
}

fn signed() -> Emulator {
    Emulator::builder()
        .credentials("AK", "SK")
        .sts_credentials("STSAK", "STSSK", "TOKEN")
        .bucket(BUCKET)
        .start()
        .unwrap()
}

#[test]
fn two_appends_report_next_position_and_crc_of_the_whole_object() {
    let (emu, client) = anonymous();
    let first = client.append("log.txt", 0, b"hello ");
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header_u64("x-oss-next-append-position"), Some(6));
    assert_eq!(first.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"hello ")));
    assert!(first.header("etag").is_some_and(|e| e.starts_with('"')));
    assert_eq!(first.header("x-oss-request-id").map(str::len), Some(24));
    assert!(first.body.is_empty());

    let second = client.append("log.txt", 6, b"world");
    assert_eq!(second.status, 200);
    assert_eq!(second.header_u64("x-oss-next-append-position"), Some(11));
    assert_eq!(second.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"hello world")));
    assert_ne!(first.header("etag"), second.header("etag"));

    let info = emu.object(BUCKET, "log.txt").unwrap();
    assert_eq!((info.length, info.crc64, info.object_type), (11, checksum(b"hello world"), ObjectType::Appendable));
    assert_eq!(client.get("log.txt", &[]).body, b"hello world");
}

#[test]
fn append_at_wrong_position_is_409_with_the_real_length_and_crc() {
    let (emu, client) = anonymous();
    client.append("k", 0, b"abc");
    for position in [0, 2, 4, 1000] {
        let r = client.append("k", position, b"zz");
        assert_eq!(r.status, 409);
        assert_eq!(r.code(), "PositionNotEqualToLength");
        assert_eq!(r.xml("EC").as_deref(), Some("0026-00000016"));
        assert_eq!(r.header("x-oss-ec"), Some("0026-00000016"));
        assert_eq!(r.header_u64("x-oss-next-append-position"), Some(3));
        assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"abc")));
        assert_eq!(r.header("content-type"), Some("application/xml"));
        assert_eq!(r.xml("RequestId").as_deref(), r.header("x-oss-request-id"));
    }
    // A missing object has length 0.
    let r = client.append("missing", 5, b"x");
    assert_eq!((r.status, r.header_u64("x-oss-next-append-position")), (409, Some(0)));
    assert_eq!(emu.object(BUCKET, "k").unwrap().length, 3);
}

#[test]
fn append_to_a_put_object_is_object_not_appendable() {
    let (_emu, client) = anonymous();
    let put = client.put("normal", &[], b"data");
    assert_eq!(put.status, 200);
    assert_eq!(put.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"data")));
    let r = client.append("normal", 4, b"more");
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "ObjectNotAppendable");
    assert_eq!(r.xml("EC").as_deref(), Some("0026-00000017"));
}

#[test]
fn put_replaces_an_appendable_object_with_a_normal_one() {
    let (emu, client) = anonymous();
    client.append("k", 0, b"appended");
    assert_eq!(client.put("k", &[], b"put").status, 200);
    let info = emu.object(BUCKET, "k").unwrap();
    assert_eq!((info.object_type, info.length), (ObjectType::Normal, 3));
    assert_eq!(client.head("k").header("x-oss-object-type"), Some("Normal"));
}

#[test]
fn missing_or_invalid_position_is_invalid_argument_0016_00000501() {
    let (emu, client) = anonymous();
    let r = client.send("POST", Some(BUCKET), Some("k"), &[("append", "")], &[], b"x");
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));
    assert_eq!(r.xml("EC").as_deref(), Some("0016-00000501"));
    for bad in ["-1", "abc", "1.0", "18446744073709551616", ""] {
        let r = client.send("POST", Some(BUCKET), Some("k"), &[("append", ""), ("position", bad)], &[], b"x");
        assert_eq!(r.status, 400, "position {bad:?}");
        assert_eq!(r.xml("EC").as_deref(), Some("0016-00000501"), "position {bad:?}");
    }
    assert!(emu.object(BUCKET, "k").is_none());
}

#[test]
fn append_with_append_equals_is_the_same_sub_resource() {
    let (_emu, client) = anonymous();
    let url = format!("{}/{BUCKET}/k2?append=&position=0", client.endpoint);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let r = agent.post(&url).send(&b"abc"[..]).unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("x-oss-next-append-position").unwrap(), "3");
}

#[test]
fn append_past_the_size_limit_is_refused_and_commits_nothing() {
    let emu = Emulator::builder().bucket(BUCKET).max_object_size(10).start().unwrap();
    let client = Client::new(&emu.endpoint(), Signer::anonymous());
    assert_eq!(client.append("k", 0, b"123456").status, 200);
    let r = client.append("k", 6, b"12345");
    assert_eq!((r.status, r.code().as_str()), (400, "ObjectSizeTooLarge"));
    assert_eq!(r.header_u64("x-oss-next-append-position"), Some(6));
    assert_eq!(emu.object(BUCKET, "k").unwrap().length, 6);
    // A body larger than any object is refused from its Content-Length.
    let r = client.append("k", 6, &[0u8; 11]);
    assert_eq!((r.status, r.code().as_str()), (400, "EntityTooLarge"));
    assert_eq!(client.append("k", 6, b"1234").status, 200);
}

#[test]
fn cold_storage_classes_are_refused_for_appendable_objects() {
    let (emu, client) = anonymous();
    for class in ["ColdArchive", "DeepColdArchive"] {
        let r = client.append_with("k", 0, &[("x-oss-storage-class", class)], b"x");
        assert_eq!((r.status, r.xml("EC").as_deref()), (400, Some("0016-00000503")), "{class}");
    }
    assert!(emu.object(BUCKET, "k").is_none());
    let r = client.append_with("k", 0, &[("x-oss-storage-class", "IA")], b"x");
    assert_eq!(r.status, 200);
    assert_eq!(client.head("k").header("x-oss-storage-class"), Some("IA"));
}

#[test]
fn create_headers_come_from_the_first_append_only() {
    let (emu, client) = anonymous();
    let first = client.append_with(
        "k",
        0,
        &[
            ("Content-Type", "text/plain"),
            ("Cache-Control", "no-cache"),
            ("Content-Disposition", "attachment"),
            ("x-oss-meta-author", "alice"),
            ("x-oss-object-acl", "private"),
            ("x-oss-server-side-encryption", "AES256"),
            ("x-oss-tagging", "a=1&b=2"),
        ],
        b"one",
    );
    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-oss-server-side-encryption"), Some("AES256"));
    let second = client.append_with(
        "k",
        3,
        &[("Content-Type", "image/png"), ("x-oss-meta-author", "bob"), ("x-oss-meta-other", "x")],
        b"two",
    );
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-oss-server-side-encryption"), Some("AES256"));
    let info = emu.object(BUCKET, "k").unwrap();
    assert_eq!(info.content_type(), "text/plain");
    assert_eq!(info.metadata(), vec![("author".to_string(), "alice".to_string())]);
    assert_eq!(info.header("x-oss-object-acl"), Some("private"));
    assert_eq!(info.header("x-oss-tagging"), Some("a=1&b=2"));
    let head = client.head("k");
    assert_eq!(head.header("content-type"), Some("text/plain"));
    assert_eq!(head.header("cache-control"), Some("no-cache"));
    assert_eq!(head.header("content-disposition"), Some("attachment"));
    assert_eq!(head.header("x-oss-meta-author"), Some("alice"));
    assert_eq!(head.header("x-oss-meta-other"), None);
    assert_eq!(head.header("x-oss-tagging-count"), Some("2"));
}

#[test]
fn content_md5_mismatch_is_invalid_digest_and_commits_nothing() {
    let (emu, client) = anonymous();
    // base64 of the MD5 of "abc".
    let good = "kAFQmDzST7DWlj99KOF/cg==";
    let r = client.append_with("k", 0, &[("Content-MD5", good)], b"abd");
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidDigest"));
    assert!(emu.object(BUCKET, "k").is_none());
    assert_eq!(client.append_with("k", 0, &[("Content-MD5", "not base64!")], b"abc").code(), "InvalidDigest");
    assert_eq!(client.append_with("k", 0, &[("Content-MD5", good)], b"abc").status, 200);
    assert_eq!(client.put("p", &[("Content-MD5", good)], b"abx").code(), "InvalidDigest");
    let put = client.put("p", &[("Content-MD5", good)], b"abc");
    assert_eq!(put.status, 200);
    assert_eq!(put.header("etag"), Some("\"900150983CD24FB0D6963F7D28E17F72\""));
}

#[test]
fn forbid_overwrite_refuses_a_put_over_an_existing_object() {
    let (emu, client) = anonymous();
    assert_eq!(client.put("k", &[("x-oss-forbid-overwrite", "true")], b"1").status, 200);
    let r = client.put("k", &[("x-oss-forbid-overwrite", "true")], b"2");
    assert_eq!((r.status, r.code().as_str()), (409, "FileAlreadyExists"));
    assert_eq!(emu.object_data(BUCKET, "k").unwrap(), b"1");
    assert_eq!(client.put("k", &[("x-oss-forbid-overwrite", "false")], b"3").status, 200);
}

#[test]
fn head_reports_type_length_position_crc_and_metadata() {
    let (_emu, client) = anonymous();
    client.append_with("k", 0, &[("x-oss-meta-a", "1")], b"12345");
    let head = client.head("k");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header_u64("content-length"), Some(5));
    assert_eq!(head.header("x-oss-object-type"), Some("Appendable"));
    assert_eq!(head.header_u64("x-oss-next-append-position"), Some(5));
    assert_eq!(head.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"12345")));
    assert_eq!(head.header("x-oss-storage-class"), Some("Standard"));
    assert_eq!(head.header("content-type"), Some("application/octet-stream"));
    assert_eq!(head.header("x-oss-meta-a"), Some("1"));
    assert!(head.header("last-modified").is_some_and(|d| d.ends_with("GMT")));
    assert!(head.header("etag").is_some());

    client.put("n", &[], b"x");
    let head = client.head("n");
    assert_eq!(head.header("x-oss-object-type"), Some("Normal"));
    assert_eq!(head.header("x-oss-next-append-position"), None);
}

#[test]
fn head_of_a_missing_key_is_404_without_body_but_with_request_id() {
    let (_emu, client) = anonymous();
    let r = client.head("nope");
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    assert_eq!(r.header("x-oss-request-id").map(str::len), Some(24));
    let r = client.get("nope", &[]);
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchKey"));
    let r = client.send("GET", Some("no-such-bucket"), Some("k"), &[], &[], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchBucket"));
}

#[test]
fn get_serves_ranges_with_206_and_content_range() {
    let (_emu, client) = anonymous();
    client.append("k", 0, b"0123456789");
    client.append("k", 10, b"abcdef");
    let whole = client.get("k", &[]);
    assert_eq!((whole.status, whole.body.as_slice()), (200, &b"0123456789abcdef"[..]));
    assert_eq!(whole.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"0123456789abcdef")));
    let cases: [(&str, &[u8], &str); 4] = [
        ("bytes=2-4", b"234", "bytes 2-4/16"),
        ("bytes=8-11", b"89ab", "bytes 8-11/16"),
        ("bytes=12-", b"cdef", "bytes 12-15/16"),
        ("bytes=-3", b"def", "bytes 13-15/16"),
    ];
    for (range, body, content_range) in cases {
        let r = client.get("k", &[("Range", range)]);
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(r.body, body, "{range}");
        assert_eq!(r.header("content-range"), Some(content_range), "{range}");
    }
    // Past the end: the whole object, as the service answers by default; 416 with the standard
    // range behavior, and a range's end past the object is then cut at the end.
    let r = client.get("k", &[("Range", "bytes=16-")]);
    assert_eq!((r.status, r.body.as_slice()), (200, &b"0123456789abcdef"[..]));
    assert_eq!(client.get("k", &[("Range", "bytes=14-99")]).status, 200);
    let standard = ("x-oss-range-behavior", "standard");
    let r = client.get("k", &[("Range", "bytes=16-"), standard]);
    assert_eq!((r.status, r.code().as_str()), (416, "InvalidRange"));
    assert_eq!(r.header("content-range"), Some("bytes */16"));
    let r = client.get("k", &[("Range", "bytes=14-99"), standard]);
    assert_eq!((r.status, r.body.as_slice()), (206, &b"ef"[..]));
    // A malformed range is ignored, as the service does.
    assert_eq!(client.get("k", &[("Range", "bytes=5-2")]).status, 200);
}

#[test]
fn get_returns_stored_headers_and_response_overrides() {
    let (_emu, client) = anonymous();
    client.put("k", &[("Content-Type", "text/csv"), ("x-oss-meta-x", "y"), ("Content-Encoding", "identity")], b"a,b");
    let r = client.get("k", &[]);
    assert_eq!(r.header("content-type"), Some("text/csv"));
    assert_eq!(r.header("x-oss-meta-x"), Some("y"));
    assert_eq!(r.header("content-encoding"), Some("identity"));
    let r = client.send("GET", Some(BUCKET), Some("k"), &[("response-content-type", "text/plain")], &[], b"");
    assert_eq!(r.header("content-type"), Some("text/plain"));
}

#[test]
fn delete_object_is_204_even_for_a_missing_key() {
    let (emu, client) = anonymous();
    client.append("k", 0, b"x");
    assert_eq!(client.delete("k").status, 204);
    assert!(emu.object(BUCKET, "k").is_none());
    assert_eq!(client.delete("k").status, 204);
    assert_eq!(client.get("k", &[]).status, 404);
    // The key can be appended to again from 0.
    assert_eq!(client.append("k", 0, b"y").status, 200);
}

#[test]
fn buckets_are_created_listed_and_deleted_only_when_empty() {
    let (_emu, client) = anonymous();
    assert_eq!(client.send("PUT", Some("new-bucket"), None, &[], &[], b"").status, 200);
    assert_eq!(client.send("PUT", Some("new-bucket"), None, &[], &[], b"").code(), "BucketAlreadyExists");
    assert_eq!(client.send("PUT", Some("Bad_Name"), None, &[], &[], b"").code(), "InvalidBucketName");
    let list = client.send("GET", None, None, &[], &[], b"");
    assert!(list.text().contains("<Name>new-bucket</Name>") && list.text().contains("<Name>test-bucket</Name>"));
    client.send("PUT", Some("new-bucket"), Some("k"), &[], &[], b"x");
    let r = client.send("DELETE", Some("new-bucket"), None, &[], &[], b"");
    assert_eq!((r.status, r.code().as_str()), (409, "BucketNotEmpty"));
    client.send("DELETE", Some("new-bucket"), Some("k"), &[], &[], b"");
    assert_eq!(client.send("DELETE", Some("new-bucket"), None, &[], &[], b"").status, 204);
    assert_eq!(client.send("DELETE", Some("new-bucket"), None, &[], &[], b"").code(), "NoSuchBucket");
}

#[test]
fn list_objects_v2_pages_with_prefix_delimiter_and_token() {
    let (_emu, client) = anonymous();
    for key in ["a/1", "a/2", "b", "c/x/1", "c/y", "d"] {
        client.put(key, &[], key.as_bytes());
    }
    client.append("e", 0, b"12");
    let list = |query: &[(&str, &str)]| {
        let mut q = vec![("list-type", "2")];
        q.extend_from_slice(query);
        client.send("GET", Some(BUCKET), None, &q, &[], b"")
    };
    let all = list(&[]);
    assert_eq!(all.status, 200);
    assert_eq!(all.header("content-type"), Some("application/xml"));
    assert_eq!(all.xml("KeyCount").as_deref(), Some("7"));
    assert!(all.text().contains("<Key>e</Key><LastModified>"));
    assert!(all.text().contains("<Type>Appendable</Type><Size>2</Size>"));

    let dirs = list(&[("delimiter", "/")]);
    let text = dirs.text();
    assert!(text.contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"), "{text}");
    assert!(text.contains("<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>"));
    assert_eq!(dirs.xml("KeyCount").as_deref(), Some("5"));

    let prefixed = list(&[("prefix", "c/")]);
    assert_eq!(prefixed.xml("KeyCount").as_deref(), Some("2"));

    // Pages of 2 with a delimiter: a/, b | c/, d | e.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let mut q = vec![("max-keys", "2"), ("delimiter", "/")];
        if let Some(t) = &token {
            q.push(("continuation-token", t.as_str()));
        }
        let page = list(&q);
        let text = page.text();
        for part in text.split("<Key>").skip(1).chain(text.split("<Prefix>").skip(2)) {
            seen.push(part.split('<').next().unwrap().to_string());
        }
        if page.xml("IsTruncated").as_deref() == Some("true") {
            token = page.xml("NextContinuationToken");
        } else {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b", "c/", "d", "e"]);
}

#[test]
fn keys_with_special_characters_round_trip_signed_v4_and_v1() {
    let emu = signed();
    for signer in [Signer::v4(Credentials::new("AK", "SK")), Signer::v1(Credentials::new("AK", "SK"))] {
        let client = Client::new(&emu.endpoint(), signer);
        for key in ["dir/a b+c%d~e", "ünï/コード.txt", "x//y", "q?u#e=r&y", "plus+and space"] {
            let key = format!("{key}-{:?}", client.signer.version);
            let r = client.append(&key, 0, key.as_bytes());
            assert_eq!(r.status, 200, "{key}: {}", r.text());
            assert_eq!(emu.object_data(BUCKET, &key).unwrap(), key.as_bytes());
            assert_eq!(client.get(&key, &[]).body, key.as_bytes());
        }
    }
}

#[test]
fn v4_v1_and_sts_signed_requests_are_accepted() {
    let emu = signed();
    let cases = [
        Signer::v4(Credentials::new("AK", "SK")),
        Signer::v1(Credentials::new("AK", "SK")),
        Signer::v4(Credentials::new("STSAK", "STSSK").with_security_token("TOKEN")),
        Signer::v1(Credentials::new("STSAK", "STSSK").with_security_token("TOKEN")),
    ];
    for (i, signer) in cases.into_iter().enumerate() {
        let client = Client::new(&emu.endpoint(), signer);
        let key = format!("k{i}");
        let r = client.append_with(&key, 0, &[("Content-Type", "text/plain"), ("x-oss-meta-i", "v")], b"abc");
        assert_eq!(r.status, 200, "case {i}: {}", r.text());
        assert_eq!(client.head(&key).status, 200);
        let list = client.send("GET", Some(BUCKET), None, &[("list-type", "2"), ("prefix", &key)], &[], b"");
        assert_eq!(list.status, 200, "case {i}: {}", list.text());
    }
}

#[test]
fn sts_keys_without_or_with_a_wrong_token_are_invalid_security_token() {
    let emu = signed();
    // Signed with the STS keys but no token.
    let client = Client::new(&emu.endpoint(), Signer::v4(Credentials::new("STSAK", "STSSK")));
    let r = client.append("k", 0, b"x");
    assert_eq!((r.status, r.code().as_str()), (403, "InvalidSecurityToken"));
    let client =
        Client::new(&emu.endpoint(), Signer::v1(Credentials::new("STSAK", "STSSK").with_security_token("OTHER")));
    assert_eq!(client.append("k", 0, b"x").code(), "InvalidSecurityToken");
    assert!(emu.object(BUCKET, "k").is_none());
}

#[test]
fn v1_sts_token_in_a_security_token_header_is_accepted() {
    // The Python SDK v2 sends the token as `security-token` with V1 (not signed).
    let emu = signed();
    let client = Client::new(&emu.endpoint(), Signer::v1(Credentials::new("STSAK", "STSSK")));
    let r = client.append_with("k", 0, &[("security-token", "TOKEN")], b"x");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn wrong_secret_is_signature_does_not_match_with_the_string_to_sign() {
    let emu = signed();
    let v4 = Client::new(&emu.endpoint(), Signer::v4(Credentials::new("AK", "WRONG")));
    let r = v4.append("k", 0, b"x");
    assert_eq!((r.status, r.code().as_str()), (403, "SignatureDoesNotMatch"));
    let string_to_sign = r.xml("StringToSign").expect("StringToSign in the body");
    assert!(string_to_sign.starts_with("OSS4-HMAC-SHA256\n"), "{string_to_sign}");
    assert!(string_to_sign.contains("/cn-hangzhou/oss/aliyun_v4_request\n"));
    let canonical = r.xml("CanonicalRequest").expect("CanonicalRequest in the body");
    assert!(canonical.starts_with("POST\n/test-bucket/k\nappend&amp;position=0\n"), "{canonical}");

    let v1 = Client::new(&emu.endpoint(), Signer::v1(Credentials::new("AK", "WRONG")));
    let r = v1.append("k", 0, b"x");
    assert_eq!(r.code(), "SignatureDoesNotMatch");
    let string_to_sign = r.xml("StringToSign").unwrap();
    assert!(string_to_sign.starts_with("POST\n"), "{string_to_sign}");
    assert!(string_to_sign.ends_with("/test-bucket/k?append&amp;position=0"), "{string_to_sign}");
    assert!(emu.object(BUCKET, "k").is_none());
}

#[test]
fn unknown_access_key_is_invalid_access_key_id() {
    let emu = signed();
    let client = Client::new(&emu.endpoint(), Signer::v4(Credentials::new("NOPE", "SK")));
    let r = client.append("k", 0, b"x");
    assert_eq!((r.status, r.code().as_str()), (403, "InvalidAccessKeyId"));
    assert_eq!(r.xml("OSSAccessKeyId").as_deref(), Some("NOPE"));
}

#[test]
fn skewed_clock_is_request_time_too_skewed() {
    let emu = signed();
    for version in [SignatureVersion::V4, SignatureVersion::V1] {
        let mut signer = Signer::v4(Credentials::new("AK", "SK"));
        signer.version = version;
        signer.time = Some(SystemTime::now() - Duration::from_secs(20 * 60));
        let client = Client::new(&emu.endpoint(), signer.clone());
        let r = client.append("k", 0, b"x");
        assert_eq!((r.status, r.code().as_str()), (403, "RequestTimeTooSkewed"), "{version:?}");
        // Ten minutes off is still fine.
        signer.time = Some(SystemTime::now() + Duration::from_secs(10 * 60));
        let client = Client::new(&emu.endpoint(), signer);
        assert_eq!(client.head("missing").status, 404, "{version:?}");
    }
}

#[test]
fn v4_signed_for_another_region_is_refused_with_a_clear_message() {
    let emu = signed();
    let mut signer = Signer::v4(Credentials::new("AK", "SK"));
    signer.region = "cn-beijing".into();
    let r = Client::new(&emu.endpoint(), signer).append("k", 0, b"x");
    assert_eq!(r.status, 403);
    let message = r.xml("Message").unwrap();
    assert!(message.contains("cn-beijing") && message.contains("cn-hangzhou"), "{message}");
}

#[test]
fn unsigned_requests_are_refused_when_credentials_are_configured() {
    let emu = signed();
    let r = Client::new(&emu.endpoint(), Signer::anonymous()).append("k", 0, b"x");
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
}

#[test]
fn anonymous_mode_accepts_unsigned_and_signed_requests() {
    let (emu, client) = anonymous();
    assert!(emu.is_anonymous());
    assert_eq!(client.append("k", 0, b"x").status, 200);
    let signed = Client::new(&emu.endpoint(), Signer::v4(Credentials::new("ANY", "THING")));
    assert_eq!(signed.append("k", 1, b"y").status, 200);
}

#[test]
fn requests_are_recorded_in_order_with_lower_case_header_names() {
    let emu = signed();
    let client = Client::new(&emu.endpoint(), Signer::v4(Credentials::new("AK", "SK")));
    client.append_with("dir/a b", 0, &[("X-OSS-Meta-Case", "V")], b"x");
    client.head("dir/a b");
    let requests = emu.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/test-bucket/dir/a%20b");
    assert_eq!(requests[0].query, "append&position=0");
    assert_eq!(requests[0].query_param("position").as_deref(), Some("0"));
    assert_eq!(requests[0].header("x-oss-meta-case"), Some("V"));
    assert!(requests[0].headers.iter().all(|(n, _)| n == &n.to_ascii_lowercase()));
    assert!(requests[0].header("authorization").unwrap().starts_with("OSS4-HMAC-SHA256 Credential=AK/"));
    assert_eq!(requests[1].method, "HEAD");
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

#[test]
fn virtual_host_style_takes_the_bucket_from_the_host() {
    let emu = signed();
    let credentials = Credentials::new("AK", "SK");
    let signer = Signer::v4(credentials);
    let query = pairs(&[("append", ""), ("position", "0")]);
    let mut headers = pairs(&[("Host", "test-bucket.oss-cn-hangzhou.aliyuncs.com")]);
    signer.sign("POST", Some(BUCKET), Some("vh/key"), &query, &mut headers);
    let mut request = String::from("POST /vh/key?append&position=0 HTTP/1.1\r\n");
    for (n, v) in &headers {
        request.push_str(&format!("{n}: {v}\r\n"));
    }
    request.push_str("Content-Length: 3\r\nConnection: close\r\n\r\nabc");
    let response = raw(emu.addr(), request.as_bytes(), Duration::from_secs(5));
    assert_eq!(raw_status(&response), 200, "{response}");
    assert_eq!(emu.object_data(BUCKET, "vh/key").unwrap(), b"abc");
    // Host localhost:port is path style.
    let response = raw(
        emu.addr(),
        b"GET /test-bucket/vh/key HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    );
    assert_eq!(raw_status(&response), 403, "unsigned: {response}");
}

#[test]
fn object_meta_reports_etag_and_crc() {
    let (emu, client) = anonymous();
    client.append("k", 0, b"12345");
    let r = client.send("GET", Some(BUCKET), Some("k"), &[("objectMeta", "")], &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("etag"), Some(emu.object(BUCKET, "k").unwrap().etag.as_str()));
    assert_eq!(r.header_u64("x-oss-hash-crc64ecma"), Some(checksum(b"12345")));
    assert!(r.body.is_empty());
}

#[test]
fn keys_starting_with_a_slash_or_too_long_are_invalid_object_name() {
    let (_emu, client) = anonymous();
    let r = client.append("/abs", 0, b"x");
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidObjectName"));
    let long = "k".repeat(1024);
    assert_eq!(client.append(&long, 0, b"x").code(), "InvalidObjectName");
    assert_eq!(client.append(&"k".repeat(1023), 0, b"x").status, 200);
}

#[test]
fn v4_with_additional_headers_and_spaces_after_commas_is_accepted() {
    use oss_append::sign::{v4, SignRequest};
    let emu = signed();
    let credentials = Credentials::new("AK", "SK");
    let now = SystemTime::now();
    let host = emu.addr().to_string();
    let query = pairs(&[("append", ""), ("position", "0")]);
    let mut headers = pairs(&[("Host", &host), ("Content-Type", "text/plain"), ("User-Agent", "raw-test")]);
    v4::add_signing_headers(&mut headers, &credentials, now);
    let request =
        SignRequest { method: "POST", bucket: Some(BUCKET), key: Some("k"), query: &query, headers: &headers };
    let additional = vec!["host".to_string(), "user-agent".to_string()];
    let signed =
        v4::sign(&request, &additional, &credentials, &v4::V4Scope { region: REGION, product: "oss", time: now });
    assert!(signed.authorization.contains(",AdditionalHeaders=host;user-agent,"));
    let send = |authorization: &str, user_agent: &str, key: &str| {
        let mut raw_request = format!("POST /{BUCKET}/{key}?append&position=0 HTTP/1.1\r\n");
        for (n, v) in &headers {
            let v = if n == "User-Agent" { user_agent } else { v.as_str() };
            raw_request.push_str(&format!("{n}: {v}\r\n"));
        }
        raw_request
            .push_str(&format!("Authorization: {authorization}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"));
        raw(emu.addr(), raw_request.as_bytes(), Duration::from_secs(5))
    };
    let spaced = signed.authorization.replace(',', ", ");
    let response = send(&spaced, "raw-test", "k");
    assert_eq!(raw_status(&response), 200, "{response}");
    // A signed additional header that changed on the way breaks the signature.
    let response = send(&signed.authorization, "another-agent", "k");
    assert_eq!(raw_status(&response), 403, "{response}");
    assert!(response.contains("SignatureDoesNotMatch"));
}

#[test]
fn a_client_that_closes_its_sending_side_still_gets_the_answer() {
    // Found by fuzzing: hyper closed such a connection without answering.
    use std::io::{Read, Write};
    let emu = Emulator::builder().bucket("b-half").start().unwrap();
    let mut stream = std::net::TcpStream::connect(emu.addr()).unwrap();
    stream.write_all(b"HEAD /b-half/missing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.starts_with(b"HTTP/1.1 404"), "{:?}", String::from_utf8_lossy(&answer));
}
