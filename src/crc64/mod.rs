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
    multiply(crc_a, x_power(len_b, &X_POW2)) ^ crc_b
}

/// CRC of `A` from `crc(A ‖ B)`, `crc(B)` and the length of `B`: the inverse of [`combine`].
///
/// Settling an append uses it to learn the object's CRC where the append ended when other writers
/// appended after it and only the CRC of the whole object is known.
pub fn uncombine(crc_ab: u64, crc_b: u64, len_b: u64) -> u64 {
    multiply(crc_ab ^ crc_b, x_power(len_b, &X_INV_POW2))
}

// GF(2) polynomial arithmetic modulo the CRC polynomial, in the reflected bit order the CRC uses:
// bit 63 holds the coefficient of x^0. combine(a, b, n) = a * x^(8n) + b (as zlib's crc32_combine).

/// The reflected CRC-64/XZ polynomial without its x^64 term.
const POLY: u64 = 0xC96C_5795_D787_0F42;
/// The polynomial 1.
const ONE: u64 = 1 << 63;

/// `a * b` modulo the polynomial.
const fn multiply(a: u64, mut b: u64) -> u64 {
    let mut product = 0;
    let mut m = ONE;
    while m != 0 {
        if a & m != 0 {
            product ^= b;
        }
        m >>= 1;
        // b *= x
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    product
}

/// `table[k]` = `base^(2^k)`: repeated squares of `base`.
const fn squares(base: u64) -> [u64; 64] {
    let mut table = [0u64; 64];
    table[0] = base;
    let mut k = 1;
    while k < 64 {
        table[k] = multiply(table[k - 1], table[k - 1]);
        k += 1;
    }
    table
}

/// x^(2^k) for every k.
static X_POW2: [u64; 64] = squares(ONE >> 1);
/// x^-(2^k) for every k. x^-1 exists because the polynomial has a constant term: x * q = 1 + P.
static X_INV_POW2: [u64; 64] = squares(((ONE ^ POLY) << 1) | 1);

/// `x^(8n)` (or `x^-(8n)` with the inverse table): the shift of a CRC past `n` bytes.
fn x_power(n: u64, table: &[u64; 64]) -> u64 {
    let mut result = ONE;
    // 8n = n << 3: bit k of n is bit k + 3 of the exponent; n < 2^61 for any real length.
    let mut bits = n;
    let mut k = 3;
    while bits != 0 && k < 64 {
        if bits & 1 != 0 {
            result = multiply(result, table[k]);
        }
        bits >>= 1;
        k += 1;
    }
    result
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

    #[test]
    fn uncombine_inverts_combine() {
        let data: Vec<u8> = (0..5_000u32).map(|i| (i * 31 + i / 7) as u8).collect();
        for split in [0, 1, 7, 8, 9, 1000, 4999, 5000] {
            let (left, right) = data.split_at(split);
            let whole = checksum(&data);
            assert_eq!(uncombine(whole, checksum(right), right.len() as u64), checksum(left), "split {split}");
            assert_eq!(combine(checksum(left), checksum(right), right.len() as u64), whole, "split {split}");
        }
        // Lengths far past any object still invert.
        for len in [1u64 << 32, 5 << 30, u64::MAX >> 3] {
            assert_eq!(uncombine(combine(0x1234_5678, 99, len), 99, len), 0x1234_5678);
        }
    }

    #[test]
    fn combine_agrees_with_the_simd_crate() {
        for (a, b, n) in [(1u64, 2u64, 1u64), (u64::MAX, 0, 4096), (0xdead_beef, 0x1234, 5 << 30)] {
            assert_eq!(combine(a, b, n), crc_fast::checksum_combine(CrcAlgorithm::Crc64Xz, a, b, n));
        }
    }
}
