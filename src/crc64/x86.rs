//! CRC-64/XZ by folding with carry-less multiplication on x86_64: PCLMULQDQ on 128-bit blocks,
//! and VPCLMULQDQ on 512-bit blocks where AVX-512 has it. See the parent module for the method.

use super::{table, FOLD_KEYS};
use std::arch::x86_64::*;

/// Inputs shorter than this go to the tables: the setup costs more than it saves.
const MIN_LEN: usize = 64;
/// From this length on, the 512-bit path (when the processor has it).
const WIDE_MIN_LEN: usize = 512;

/// Feeds `data` to the register `reg`, with the fastest path the processor has.
pub(super) fn update(reg: u64, data: &[u8]) -> u64 {
    if data.len() >= WIDE_MIN_LEN && has_wide() {
        // SAFETY: the processor has every feature the function is compiled for (checked above).
        return unsafe { update_wide(reg, data) };
    }
    if data.len() >= MIN_LEN && has_narrow() {
        // SAFETY: as above.
        return unsafe { update_narrow(reg, data) };
    }
    table::update(reg, data)
}

/// PCLMULQDQ with SSE4.1.
pub(super) fn has_narrow() -> bool {
    is_x86_feature_detected!("pclmulqdq") && is_x86_feature_detected!("sse4.1")
}

/// VPCLMULQDQ on 512-bit registers.
pub(super) fn has_wide() -> bool {
    has_narrow() && is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("vpclmulqdq")
}

/// The multipliers for a fold over `blocks` 16-byte blocks, in one register: the one for the
/// block's first (high degree) half in the low lane, as the multiplications below pair them.
#[target_feature(enable = "pclmulqdq,sse4.1")]
fn keys(blocks: usize) -> __m128i {
    let [first, second] = FOLD_KEYS[blocks];
    _mm_set_epi64x(second as i64, first as i64)
}

/// `x` moved on by the distance `k` was made for: a 128-bit value congruent to `x` times that power of x.
#[target_feature(enable = "pclmulqdq,sse4.1")]
fn fold(x: __m128i, k: __m128i) -> __m128i {
    _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11))
}

/// 16 bytes from `data` at `at`.
#[target_feature(enable = "sse4.1")]
fn load(data: &[u8], at: usize) -> __m128i {
    let block: &[u8; 16] = data[at..at + 16].try_into().expect("16 bytes");
    // SAFETY: `block` is 16 readable bytes; loadu has no alignment requirement.
    unsafe { _mm_loadu_si128(block.as_ptr().cast()) }
}

/// Ends a fold: the register after the bytes folded into `acc`, then after the tail.
#[target_feature(enable = "sse4.1")]
fn finish(acc: __m128i, tail: &[u8]) -> u64 {
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` has room for 16 bytes; storeu has no alignment requirement.
    unsafe { _mm_storeu_si128(bytes.as_mut_ptr().cast(), acc) };
    table::update(table::update(0, &bytes), tail)
}

/// Eight 128-bit lanes, 128 bytes a round, then one lane to the last whole block.
/// `data` is at least 16 bytes.
#[target_feature(enable = "pclmulqdq,sse4.1")]
pub(super) fn update_narrow(reg: u64, data: &[u8]) -> u64 {
    let blocks = data.len() / 16;
    debug_assert!(blocks >= 1);
    let first = _mm_xor_si128(load(data, 0), _mm_cvtsi64_si128(reg as i64));
    let mut acc;
    let mut at;
    if blocks >= 8 {
        let mut lanes = [first; 8];
        for (i, lane) in lanes.iter_mut().enumerate().skip(1) {
            *lane = load(data, 16 * i);
        }
        at = 128;
        let k = keys(8);
        while at + 128 <= data.len() {
            for (i, lane) in lanes.iter_mut().enumerate() {
                *lane = _mm_xor_si128(fold(*lane, k), load(data, at + 16 * i));
            }
            at += 128;
        }
        acc = lanes[7];
        for (i, lane) in lanes[..7].iter().enumerate() {
            acc = _mm_xor_si128(acc, fold(*lane, keys(7 - i)));
        }
    } else {
        acc = first;
        at = 16;
    }
    let k = keys(1);
    while at + 16 <= data.len() {
        acc = _mm_xor_si128(fold(acc, k), load(data, at));
        at += 16;
    }
    finish(acc, &data[at..])
}

/// The same multipliers in all four 128-bit lanes of a 512-bit register.
#[target_feature(enable = "avx512f,pclmulqdq,sse4.1")]
fn wide_keys(blocks: usize) -> __m512i {
    _mm512_broadcast_i32x4(keys(blocks))
}

#[target_feature(enable = "avx512f,vpclmulqdq")]
fn wide_fold(x: __m512i, k: __m512i) -> __m512i {
    _mm512_xor_si512(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11))
}

#[target_feature(enable = "avx512f")]
fn wide_load(data: &[u8], at: usize) -> __m512i {
    let block: &[u8; 64] = data[at..at + 64].try_into().expect("64 bytes");
    // SAFETY: `block` is 64 readable bytes; loadu has no alignment requirement.
    unsafe { _mm512_loadu_si512(block.as_ptr().cast()) }
}

/// Four 512-bit lanes (sixteen blocks), 256 bytes a round; they fold into one 128-bit block, and
/// the rest goes as in [`update_narrow`]. `data` is at least 256 bytes.
#[target_feature(enable = "avx512f,vpclmulqdq,pclmulqdq,sse4.1")]
pub(super) fn update_wide(reg: u64, data: &[u8]) -> u64 {
    debug_assert!(data.len() >= 256);
    let seed = _mm512_castsi128_si512(_mm_cvtsi64_si128(reg as i64));
    let mut lanes =
        [_mm512_xor_si512(wide_load(data, 0), seed), wide_load(data, 64), wide_load(data, 128), wide_load(data, 192)];
    let mut at = 256;
    let k = wide_keys(16);
    while at + 256 <= data.len() {
        for (i, lane) in lanes.iter_mut().enumerate() {
            *lane = _mm512_xor_si512(wide_fold(*lane, k), wide_load(data, at + 64 * i));
        }
        at += 256;
    }
    // Lanes 0..3 onto lane 3 (512 bits apart each), then its four blocks onto the last one.
    let mut wide = lanes[3];
    for (i, lane) in lanes[..3].iter().enumerate() {
        wide = _mm512_xor_si512(wide, wide_fold(*lane, wide_keys(4 * (3 - i))));
    }
    let mut acc = _mm512_extracti32x4_epi32::<3>(wide);
    acc = _mm_xor_si128(acc, fold(_mm512_extracti32x4_epi32::<0>(wide), keys(3)));
    acc = _mm_xor_si128(acc, fold(_mm512_extracti32x4_epi32::<1>(wide), keys(2)));
    acc = _mm_xor_si128(acc, fold(_mm512_extracti32x4_epi32::<2>(wide), keys(1)));
    let k = keys(1);
    while at + 16 <= data.len() {
        acc = _mm_xor_si128(fold(acc, k), load(data, at));
        at += 16;
    }
    finish(acc, &data[at..])
}
