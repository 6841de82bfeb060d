//! CRC-64/XZ against a bit-by-bit reference, in one piece or many (resume), and combine/uncombine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oss_append::crc64::{self, Crc64};

/// CRC-64/XZ one bit at a time: reflected ECMA-182, initial and final xor all ones.
fn reference(data: &[u8]) -> u64 {
    const POLY: u64 = 0xC96C_5795_D787_0F42;
    let mut crc = !0u64;
    for &byte in data {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
        }
    }
    !crc
}

fuzz_target!(|input: (&[u8], u16)| {
    let (data, split) = input;
    let expected = reference(data);
    assert_eq!(crc64::checksum(data), expected);
    let at = if data.is_empty() { 0 } else { split as usize % (data.len() + 1) };
    let (head, tail) = data.split_at(at);
    let mut running = Crc64::new();
    running.update(head);
    let mut resumed = Crc64::resume(running.value());
    resumed.update(tail);
    assert_eq!(resumed.value(), expected);
    let (h, t) = (reference(head), reference(tail));
    assert_eq!(crc64::combine(h, t, tail.len() as u64), expected);
    assert_eq!(crc64::uncombine(expected, t, tail.len() as u64), h);
});
