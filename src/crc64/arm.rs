//! CRC-64/XZ by folding with carry-less multiplication (PMULL) on aarch64. See the parent module
//! for the method; the steps are those of the x86_64 128-bit path.

use super::{table, FOLD_KEYS};
use std::arch::aarch64::*;

/// Inputs shorter than this go to the tables.
const MIN_LEN: usize = 64;

/// Feeds `data` to the register `reg`, with PMULL when the processor has it.
pub(super) fn update(reg: u64, data: &[u8]) -> u64 {
    if data.len() >= MIN_LEN && has_pmull() {
        // SAFETY: the processor has every feature the function is compiled for (checked above).
        return unsafe { update_pmull(reg, data) };
    }
    table::update(reg, data)
}

/// Every Apple and almost every Android aarch64 processor has it; the targets of the first say so
/// at compile time.
pub(super) fn has_pmull() -> bool {
    cfg!(target_feature = "aes") || std::arch::is_aarch64_feature_detected!("pmull")
}

/// `x` moved on by `blocks` 16-byte blocks: its first (high degree) half times the first key, its
/// second half times the second.
#[target_feature(enable = "neon,aes")]
fn fold(x: uint64x2_t, blocks: usize) -> uint64x2_t {
    let [first, second] = FOLD_KEYS[blocks];
    let high = vmull_p64(vgetq_lane_u64::<0>(x), first);
    let low = vmull_p64(vgetq_lane_u64::<1>(x), second);
    veorq_u64(vreinterpretq_u64_p128(high), vreinterpretq_u64_p128(low))
}

/// 16 bytes from `data` at `at`, the first eight in lane 0 (aarch64 Android and iOS are little-endian).
#[target_feature(enable = "neon")]
fn load(data: &[u8], at: usize) -> uint64x2_t {
    let block: &[u8; 16] = data[at..at + 16].try_into().expect("16 bytes");
    // SAFETY: `block` is 16 readable bytes; vld1q_u8 has no alignment requirement.
    vreinterpretq_u64_u8(unsafe { vld1q_u8(block.as_ptr()) })
}

/// Eight 128-bit lanes, 128 bytes a round, then one lane to the last whole block, then the tables.
/// `data` is at least 16 bytes.
#[target_feature(enable = "neon,aes")]
pub(super) fn update_pmull(reg: u64, data: &[u8]) -> u64 {
    let blocks = data.len() / 16;
    debug_assert!(blocks >= 1);
    let first = veorq_u64(load(data, 0), vcombine_u64(vcreate_u64(reg), vcreate_u64(0)));
    let mut acc;
    let mut at;
    if blocks >= 8 {
        let mut lanes = [first; 8];
        for (i, lane) in lanes.iter_mut().enumerate().skip(1) {
            *lane = load(data, 16 * i);
        }
        at = 128;
        while at + 128 <= data.len() {
            for (i, lane) in lanes.iter_mut().enumerate() {
                *lane = veorq_u64(fold(*lane, 8), load(data, at + 16 * i));
            }
            at += 128;
        }
        acc = lanes[7];
        for (i, lane) in lanes[..7].iter().enumerate() {
            acc = veorq_u64(acc, fold(*lane, 7 - i));
        }
    } else {
        acc = first;
        at = 16;
    }
    while at + 16 <= data.len() {
        acc = veorq_u64(fold(acc, 1), load(data, at));
        at += 16;
    }
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` has room for 16 bytes; vst1q_u8 has no alignment requirement.
    unsafe { vst1q_u8(bytes.as_mut_ptr(), vreinterpretq_u8_u64(acc)) };
    table::update(table::update(0, &bytes), &data[at..])
}
