//! Recycled body buffers.
//!
//! A fresh multi-megabyte buffer costs the kernel a page fault and a zeroed page per 4 KiB, which is
//! more than receiving the bytes into it. Buffers of deleted or replaced objects, of rejected requests
//! and of bodies already written to disk come back here and are handed to the next bodies instead.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

/// Buffers smaller than this are left to the allocator.
const MIN_POOLED: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Free {
    /// Buffers by capacity.
    by_capacity: BTreeMap<usize, Vec<Vec<u8>>>,
    /// Sum of the capacities held.
    held: usize,
}

/// A bounded pool of byte buffers.
#[derive(Debug)]
pub struct BufferPool {
    free: Mutex<Free>,
    limit: usize,
}

impl BufferPool {
    /// A pool that keeps at most `limit` bytes of free buffers.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(BufferPool { free: Mutex::new(Free::default()), limit })
    }

    /// An empty buffer with room for `len` bytes: a recycled one no more than twice that size, or a
    /// new one.
    pub fn take(&self, len: usize) -> Vec<u8> {
        if len >= MIN_POOLED {
            let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
            let found =
                free.by_capacity.range_mut(len..=len.saturating_mul(2)).next().map(|(c, list)| (*c, list.pop()));
            if let Some((capacity, Some(mut buffer))) = found {
                if free.by_capacity.get(&capacity).is_some_and(Vec::is_empty) {
                    free.by_capacity.remove(&capacity);
                }
                free.held -= buffer.capacity();
                buffer.clear();
                return buffer;
            }
        }
        let buffer = Vec::with_capacity(len);
        advise_huge_pages(&buffer);
        buffer
    }

    /// Takes a buffer back (dropped when the pool is full or the buffer small).
    pub fn give(&self, buffer: Vec<u8>) {
        let capacity = buffer.capacity();
        if capacity < MIN_POOLED {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.held + capacity > self.limit {
            return;
        }
        free.held += capacity;
        free.by_capacity.entry(capacity).or_default().push(buffer);
    }

    /// Bytes over `buffer` that return it to the pool when the last reference is dropped.
    pub fn bytes(self: &Arc<Self>, buffer: Vec<u8>) -> Bytes {
        if buffer.capacity() < MIN_POOLED {
            return Bytes::from(buffer);
        }
        Bytes::from_owner(Pooled { buffer, pool: self.clone() })
    }

    /// Bytes of free buffers held.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.free.lock().unwrap_or_else(|p| p.into_inner()).held
    }
}

/// Asks the kernel to back a large new buffer with huge pages: one fault per 2 MiB instead of one per
/// 4 KiB when the buffer is first written.
fn advise_huge_pages(buffer: &Vec<u8>) {
    const HUGE: usize = 2 << 20;
    if buffer.capacity() < 2 * HUGE {
        return;
    }
    let start = buffer.as_ptr() as usize;
    let aligned = (start + HUGE - 1) & !(HUGE - 1);
    let end = (start + buffer.capacity()) & !(HUGE - 1);
    if end > aligned {
        // SAFETY: the range lies inside the buffer's allocation; the advice changes no content.
        unsafe {
            libc::madvise(aligned as *mut libc::c_void, end - aligned, libc::MADV_HUGEPAGE);
        }
    }
}

struct Pooled {
    buffer: Vec<u8>,
    pool: Arc<BufferPool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_when_their_bytes_are_dropped() {
        let pool = BufferPool::new(1 << 21);
        let mut buffer = pool.take(300_000);
        buffer.extend_from_slice(&[7u8; 300_000]);
        let pointer = buffer.as_ptr();
        let bytes = pool.bytes(buffer);
        let slice = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(pool.held(), 0, "a slice still holds it");
        assert_eq!(&slice[..], &[7u8; 10]);
        drop(slice);
        assert!(pool.held() >= 300_000);
        let again = pool.take(270_000);
        assert_eq!(again.as_ptr(), pointer);
        assert!(again.is_empty());
        assert_eq!(pool.held(), 0);
        // A request more than twice smaller than the buffer gets a new one.
        pool.give(again);
        let other = pool.take(100_000);
        assert_ne!(other.as_ptr(), pointer);
    }

    #[test]
    fn the_pool_is_bounded() {
        let pool = BufferPool::new(150_000);
        pool.give(Vec::with_capacity(100_000));
        pool.give(Vec::with_capacity(100_000));
        assert!(pool.held() < 150_000);
        pool.give(Vec::with_capacity(1000));
        assert!(pool.held() < 150_000);
    }
}
