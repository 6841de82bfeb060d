//! CRC-64/XZ (ECMA-182 polynomial, reflected), the checksum OSS reports in `x-oss-hash-crc64ecma`.
//!
//! The service reports the CRC of the whole object, so a client continues the object's running CRC
//! with the bytes it appends ([`Crc64::resume`]), or combines the CRC of the body with the object's
//! CRC ([`combine`]).
//!
//! Long inputs are folded with carry-less multiplication, as in Intel's "Fast CRC Computation for
//! Generic Polynomials Using PCLMULQDQ": the message is read in 128-bit blocks, and a block `b`
//! bits before the end of a lane is replaced by a 128-bit value congruent to it times `x^b` modulo
//! the polynomial (two 64×64-bit carry-less products, one per half), which is XORed into the block
//! that far on. What is left is one block; the tables turn it, then the last bytes, into the
//! register. x86_64 uses PCLMULQDQ (and VPCLMULQDQ on 512-bit registers with AVX-512), aarch64
//! PMULL; other processors, and short inputs, use the tables (`table.rs`). The multipliers are
//! computed at compile time from the polynomial (`FOLD_KEYS`).

#[cfg(target_arch = "aarch64")]
mod arm;
mod table;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Register value XORed into the CRC on output (and used as the initial value).
const XOROUT: u64 = u64::MAX;

/// CRC-64/XZ of `data`. The empty input gives 0.
pub fn checksum(data: &[u8]) -> u64 {
    update(XOROUT, data) ^ XOROUT
}

/// Feeds `data` to the register `reg` (the CRC before its final XOR) on the fastest path there is.
fn update(reg: u64, data: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    return x86::update(reg, data);
    #[cfg(target_arch = "aarch64")]
    return arm::update(reg, data);
    #[allow(unreachable_code)]
    table::update(reg, data)
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

/// `x^e` modulo the polynomial.
const fn x_pow(mut e: u32) -> u64 {
    let mut result = ONE;
    let mut square = ONE >> 1;
    while e != 0 {
        if e & 1 != 0 {
            result = multiply(result, square);
        }
        square = multiply(square, square);
        e >>= 1;
    }
    result
}

/// `FOLD_KEYS[n]`: the multipliers that move a 128-bit block `n` blocks (`128 n` bits) on, for its
/// first (high degree) 64 bits and for its last: `x^(128n + 64)` and `x^(128n)`, each divided by x
/// because a carry-less product of two reflected 64-bit values comes out one bit short of its
/// 128-bit reflected place.
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), allow(dead_code))]
static FOLD_KEYS: [[u64; 2]; 17] = {
    let mut keys = [[0u64; 2]; 17];
    let mut n = 1;
    while n < 17 {
        keys[n] = [x_pow(128 * n as u32 + 63), x_pow(128 * n as u32 - 1)];
        n += 1;
    }
    keys
};

/// A running CRC-64/XZ that can start from the CRC of data already hashed.
#[derive(Clone)]
pub struct Crc64 {
    /// The register: the CRC before its final XOR.
    reg: u64,
}

impl Crc64 {
    /// A CRC of nothing yet (value 0).
    pub fn new() -> Self {
        Self::resume(0)
    }

    /// Continues from `crc`, the CRC of the bytes before the ones that will be [`update`](Self::update)d.
    pub fn resume(crc: u64) -> Self {
        Self { reg: crc ^ XOROUT }
    }

    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.reg = update(self.reg, data);
    }

    /// The CRC of everything so far, including what came before [`resume`](Self::resume).
    pub fn value(&self) -> u64 {
        self.reg ^ XOROUT
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

    /// CRC-64/XZ register one bit at a time: the definition, to check every fast path against.
    fn reference(mut reg: u64, data: &[u8]) -> u64 {
        for &byte in data {
            reg ^= u64::from(byte);
            for _ in 0..8 {
                reg = if reg & 1 == 1 { (reg >> 1) ^ POLY } else { reg >> 1 };
            }
        }
        reg
    }

    /// Bytes that are not periodic at any block size.
    fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// Checks `path` against the reference at every length up to 1,100 bytes (past every lane and
    /// block boundary of the folding paths), from odd offsets, from several registers, and at a few
    /// large lengths.
    fn check_path(name: &str, min_len: usize, path: impl Fn(u64, &[u8]) -> u64) {
        let data = noise(1_200, 7);
        for reg in [0, u64::MAX, 0x0123_4567_89ab_cdef] {
            for offset in [0, 1, 5] {
                for len in min_len..=1_100 {
                    let slice = &data[offset..offset + len];
                    assert_eq!(
                        path(reg, slice),
                        reference(reg, slice),
                        "{name}: length {len}, offset {offset}, register {reg:#x}"
                    );
                }
            }
        }
        for len in [4_096 + 17, 65_536 + 255, 1 << 20] {
            let big = noise(len, len as u64);
            assert_eq!(path(u64::MAX, &big), reference(u64::MAX, &big), "{name}: length {len}");
        }
    }

    #[test]
    fn the_tables_agree_with_the_bitwise_definition() {
        check_path("tables", 0, table::update);
    }

    #[test]
    fn the_dispatched_path_agrees_with_the_bitwise_definition() {
        check_path("dispatch", 0, update);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn pclmulqdq_agrees_with_the_bitwise_definition() {
        if !x86::has_narrow() {
            eprintln!("SKIPPED pclmulqdq_agrees_with_the_bitwise_definition: this processor has no PCLMULQDQ/SSE4.1");
            return;
        }
        // SAFETY: the features were detected above.
        check_path("pclmulqdq", 16, |reg, data| unsafe { x86::update_narrow(reg, data) });
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vpclmulqdq_agrees_with_the_bitwise_definition() {
        if !x86::has_wide() {
            eprintln!(
                "SKIPPED vpclmulqdq_agrees_with_the_bitwise_definition: this processor has no AVX-512 VPCLMULQDQ"
            );
            return;
        }
        // SAFETY: the features were detected above.
        check_path("vpclmulqdq", 256, |reg, data| unsafe { x86::update_wide(reg, data) });
    }

    #[cfg(target_arch = "aarch64")]
    #[test]
    fn pmull_agrees_with_the_bitwise_definition() {
        if !arm::has_pmull() {
            eprintln!("SKIPPED pmull_agrees_with_the_bitwise_definition: this processor has no PMULL");
            return;
        }
        // SAFETY: the feature was detected above.
        check_path("pmull", 16, |reg, data| unsafe { arm::update_pmull(reg, data) });
    }

    #[test]
    fn combine_over_long_runs_agrees_with_hashing_them() {
        let a = noise(1_000, 3);
        for n in [1usize, 15, 16, 4_096, (1 << 26) + 13] {
            let zeros = vec![0u8; n];
            let whole = [a.as_slice(), &zeros].concat();
            assert_eq!(combine(checksum(&a), checksum(&zeros), n as u64), checksum(&whole), "n = {n}");
        }
    }
}
