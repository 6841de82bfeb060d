//! CRC-64/XZ (ECMA-182 polynomial, reflected), the checksum OSS reports in `x-oss-hash-crc64ecma`.
//!
//! The service reports the CRC of the whole object, so a client continues the object's running CRC
//! with the bytes it appends ([`Crc64::resume`]), or combines the CRC of the body with the object's
//! CRC ([`combine`]). The SIMD work is done by the `crc-fast` crate.

use crc_fast::{CrcAlgorithm, Digest};

/// Register value XORed into the CRC on output (and used as the initial value).
const XOROUT: u64 = u64::MAX;

/// CRC-64/XZ of `data`. The empty input gives 0.
pub fn checksum(data: &[u8]) -> u64 {
    crc_fast::checksum(CrcAlgorithm::Crc64Xz, data)
}

/// CRC of `A ‖ B` from `crc(A)`, `crc(B)` and the length of `B`, without reading either.
pub fn combine(crc_a: u64, crc_b: u64, len_b: u64) -> u64 {
    if len_b == 0 {
        return crc_a;
    }
    crc_fast::checksum_combine(CrcAlgorithm::Crc64Xz, crc_a, crc_b, len_b)
}

/// A running CRC-64/XZ that can start from the CRC of data already hashed.
#[derive(Clone)]
pub struct Crc64 {
    digest: Digest,
    start: u64,
}

impl Crc64 {
    /// A CRC of nothing yet (value 0).
    pub fn new() -> Self {
        Self::resume(0)
    }

    /// Continues from `crc`, the CRC of the bytes before the ones that will be [`update`](Self::update)d.
    pub fn resume(crc: u64) -> Self {
        Self { digest: Digest::new_with_init_state(CrcAlgorithm::Crc64Xz, crc ^ XOROUT), start: crc }
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    /// The CRC of everything so far, including what came before [`resume`](Self::resume).
    pub fn value(&self) -> u64 {
        if self.digest.get_amount() == 0 {
            return self.start;
        }
        self.digest.finalize()
    }
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Crc64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crc64").field("value", &self.value()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = b"123456789";
    const B: &[u8] = b"This is a test of the emergency broadcast system.";

    #[test]
    fn vectors_from_shared_table() {
        assert_eq!(checksum(b""), 0);
        assert_eq!(checksum(A), 0x995dc9bbdf1939fa);
        assert_eq!(checksum(A), 11051210869376104954);
        assert_eq!(checksum(B), 0x27db187fc15bbc72);
        assert_eq!(checksum(B), 2871916124362751090);
        let ab = [A, B].concat();
        assert_eq!(checksum(&ab), 0x6a7aa19fcbf48688);
        assert_eq!(checksum(&ab), 7672622622872733320);
    }

    #[test]
    fn concatenation_continue_and_combine_agree() {
        let ab = [A, B].concat();
        let mut running = Crc64::resume(checksum(A));
        running.update(B);
        assert_eq!(running.value(), 0x6a7aa19fcbf48688);
        assert_eq!(combine(checksum(A), checksum(B), B.len() as u64), 0x6a7aa19fcbf48688);
        assert_eq!(checksum(&ab), running.value());
    }

    #[test]
    fn resume_without_update_keeps_the_start_value() {
        assert_eq!(Crc64::resume(12345).value(), 12345);
        assert_eq!(Crc64::new().value(), 0);
        assert_eq!(combine(777, 0, 0), 777);
    }

    #[test]
    fn streaming_in_odd_chunks_matches_one_shot() {
        let data: Vec<u8> = (0..100_003u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let mut running = Crc64::new();
        for chunk in data.chunks(4093) {
            running.update(chunk);
        }
        assert_eq!(running.value(), checksum(&data));
        let (left, right) = data.split_at(31_337);
        assert_eq!(combine(checksum(left), checksum(right), right.len() as u64), checksum(&data));
    }
}
