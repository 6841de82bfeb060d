//! CRC-64/XZ eight bytes at a time with lookup tables ("slicing-by-8"): the path for short inputs,
//! for the tail after the carry-less multiply paths, and for processors without one. 16 KiB of
//! tables, built at compile time.

use super::POLY;

/// `TABLES[0][b]`: the register after one byte `b` from a zero register. `TABLES[k][b]`: the same
/// byte followed by `k` zero bytes.
static TABLES: [[u64; 256]; 8] = tables();

const fn tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut r = b as u64;
        let mut bit = 0;
        while bit < 8 {
            r = if r & 1 != 0 { (r >> 1) ^ POLY } else { r >> 1 };
            bit += 1;
        }
        t[0][b] = r;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

/// Feeds `data` to the register `reg` (the CRC before its final XOR).
pub(super) fn update(mut reg: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let word = reg ^ u64::from_le_bytes(chunk.try_into().expect("chunks_exact(8) gives 8 bytes"));
        let b = word.to_le_bytes();
        reg = TABLES[7][b[0] as usize]
            ^ TABLES[6][b[1] as usize]
            ^ TABLES[5][b[2] as usize]
            ^ TABLES[4][b[3] as usize]
            ^ TABLES[3][b[4] as usize]
            ^ TABLES[2][b[5] as usize]
            ^ TABLES[1][b[6] as usize]
            ^ TABLES[0][b[7] as usize];
    }
    for &byte in chunks.remainder() {
        reg = (reg >> 8) ^ TABLES[0][((reg ^ u64::from(byte)) & 0xff) as usize];
    }
    reg
}
