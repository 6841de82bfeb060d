//! Range reads of a growing object: what a reader tailing a log gets, whatever the service does with
//! a range that reaches past the object.

mod common;

use common::*;
use oss_append::{AppendOptions, Argument, ByteRange, Error};

fn growing(emu: &oss_emulator::Emulator) -> oss_append::Client {
    let client = client(emu);
    client.append_object(BUCKET, "log", b"hello world", &AppendOptions::new().position(0)).unwrap();
    client
}

fn read(client: &oss_append::Client, range: ByteRange) -> (Vec<u8>, oss_append::GetResult) {
    let mut out = Vec::new();
    let result = client.get_object(BUCKET, "log", Some(range), &mut out, None).unwrap();
    (out, result)
}

#[test]
fn ranges_inside_across_and_past_the_end() {
    let emu = emulator();
    let client = growing(&emu);
    let cases: [(ByteRange, &[u8], u64); 8] = [
        (ByteRange::Span { first: 0, last: 4 }, b"hello", 0),
        (ByteRange::From(6), b"world", 6),
        (ByteRange::Span { first: 6, last: 99 }, b"world", 6),
        (ByteRange::Last(5), b"world", 6),
        (ByteRange::Last(100), b"hello world", 0),
        // Past the end: nothing yet, not the whole object and not an error.
        (ByteRange::From(11), b"", 11),
        (ByteRange::From(50), b"", 50),
        (ByteRange::Span { first: 11, last: 20 }, b"", 11),
    ];
    for (range, expected, start) in cases {
        let (bytes, result) = read(&client, range);
        assert_eq!(bytes, expected, "{range:?}");
        assert_eq!(result.bytes_written, expected.len() as u64, "{range:?}");
        assert_eq!(result.start, start, "{range:?}");
        assert_eq!(result.object_size, Some(11), "{range:?}");
    }
}

#[test]
fn every_ranged_read_asks_for_the_standard_range_behavior() {
    let emu = emulator();
    let client = growing(&emu);
    read(&client, ByteRange::From(3));
    let get = emu.requests().into_iter().rev().find(|r| r.method == "GET").expect("a GET");
    let behavior = get.headers.iter().find(|(name, _)| name == "x-oss-range-behavior").map(|(_, v)| v.as_str());
    assert_eq!(behavior, Some("standard"));
}

#[test]
fn a_server_that_ignores_the_range_still_gives_the_range() {
    let emu = emulator();
    let client = growing(&emu);
    for (range, expected, start) in [
        (ByteRange::Span { first: 2, last: 4 }, &b"llo"[..], 2),
        (ByteRange::From(6), b"world", 6),
        (ByteRange::Last(3), b"rld", 8),
        (ByteRange::From(11), b"", 11),
    ] {
        emu.faults().ignore_range(1);
        let (bytes, result) = read(&client, range);
        assert_eq!(bytes, expected, "{range:?}");
        assert_eq!(result.start, start, "{range:?}");
        assert!(emu.faults().pending().is_empty(), "the fault was met");
    }
}

#[test]
fn bad_ranges_are_refused_before_anything_is_sent() {
    let emu = emulator();
    let client = growing(&emu);
    let before = emu.requests().len();
    for range in [ByteRange::Span { first: 5, last: 2 }, ByteRange::Last(0)] {
        let err = client.get_object(BUCKET, "log", Some(range), &mut Vec::new(), None).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { argument: Argument::Range, .. }), "{range:?}: {err:?}");
    }
    assert_eq!(emu.requests().len(), before);
}

#[test]
fn reading_into_a_buffer_says_the_size_needed_and_leaves_it_untouched() {
    let emu = emulator();
    let client = growing(&emu);
    let mut small = [0xAAu8; 4];
    let err = client.get_object_into(BUCKET, "log", None, &mut small, None).unwrap_err();
    assert!(matches!(err, Error::BufferTooSmall { needed: 11, capacity: 4 }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(small, [0xAA; 4]);
    let err = client.get_object_into(BUCKET, "log", Some(ByteRange::From(2)), &mut small, None).unwrap_err();
    assert!(matches!(err, Error::BufferTooSmall { needed: 9, .. }), "{err:?}");
    // A range that fits.
    let result = client.get_object_into(BUCKET, "log", Some(ByteRange::Last(4)), &mut small, None).unwrap();
    assert_eq!((result.bytes_written, result.start), (4, 7));
    assert_eq!(&small, b"orld");
    // The whole object into a large buffer; past the end into any buffer.
    let mut large = [0u8; 64];
    let result = client.get_object_into(BUCKET, "log", None, &mut large, None).unwrap();
    assert_eq!(&large[..result.bytes_written as usize], b"hello world");
    let result = client.get_object_into(BUCKET, "log", Some(ByteRange::From(11)), &mut [], None).unwrap();
    assert_eq!(result.bytes_written, 0);
}
