//! Request bodies read into one buffer (with their CRC computed as they arrive), and response bodies.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use oss_append::crc64::Crc64;
use tokio::sync::mpsc;

use crate::pool::BufferPool;
use crate::store::Snapshot;

/// Why a request body could not be read in full.
#[derive(Debug)]
pub enum ReadError {
    /// It is longer than allowed.
    TooLarge,
    /// The client went away, or sent a broken body.
    Aborted,
    /// Nothing arrived for too long.
    Timeout,
}

/// The whole body, its CRC-64 computed while it arrived.
#[derive(Debug)]
pub struct Received {
    /// The bytes.
    pub data: Vec<u8>,
    /// CRC-64/XZ of the bytes.
    pub crc64: u64,
}

/// The most a body buffer is sized for before its bytes arrive.
const PREALLOCATE_AT_MOST: u64 = 64 * 1024 * 1024;

/// Reads the whole body into one buffer sized from Content-Length; fails past `limit` bytes, or when no
/// byte arrives for `idle`.
pub async fn read_all(
    body: &mut Incoming,
    limit: u64,
    idle: Duration,
    pool: &BufferPool,
) -> Result<Received, ReadError> {
    let expected = body.size_hint().exact();
    if expected.is_some_and(|n| n > limit) {
        return Err(ReadError::TooLarge);
    }
    // Memory grows with the bytes that arrive, not with what Content-Length claims.
    let mut data = pool.take(expected.unwrap_or(0).min(limit).min(PREALLOCATE_AT_MOST) as usize);
    let mut crc = Crc64::new();
    loop {
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => {
                pool.give(data);
                return Err(ReadError::Timeout);
            }
            Ok(None) => break,
            Ok(Some(Err(_))) => {
                pool.give(data);
                return Err(ReadError::Aborted);
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(chunk) = frame.into_data() {
            if data.len() as u64 + chunk.len() as u64 > limit {
                pool.give(data);
                return Err(ReadError::TooLarge);
            }
            crc.update(&chunk);
            data.extend_from_slice(&chunk);
        }
    }
    Ok(Received { data, crc64: crc.value() })
}

/// Reads and discards the body (so the client gets the response and the connection can be reused).
pub async fn drain(body: &mut Incoming, limit: u64, idle: Duration) -> Result<(), ReadError> {
    let mut seen = 0u64;
    loop {
        match tokio::time::timeout(idle, body.frame()).await {
            Err(_) => return Err(ReadError::Timeout),
            Ok(None) => return Ok(()),
            Ok(Some(Err(_))) => return Err(ReadError::Aborted),
            Ok(Some(Ok(frame))) => {
                if let Ok(chunk) = frame.into_data() {
                    seen += chunk.len() as u64;
                    if seen > limit {
                        return Err(ReadError::TooLarge);
                    }
                }
            }
        }
    }
}

/// A response body: nothing, bytes in memory, or a file range read by a blocking task.
#[derive(Debug)]
pub enum ResponseBody {
    /// In-memory parts, sent in order.
    Parts {
        /// Parts still to send.
        parts: VecDeque<Bytes>,
        /// Bytes still to send.
        remaining: u64,
    },
    /// Chunks read from disk.
    Channel {
        /// Chunks as they are read.
        rx: mpsc::Receiver<io::Result<Bytes>>,
        /// Bytes still to send.
        remaining: u64,
    },
}

impl ResponseBody {
    /// No body.
    pub fn empty() -> Self {
        ResponseBody::Parts { parts: VecDeque::new(), remaining: 0 }
    }

    /// One buffer.
    pub fn full(data: impl Into<Bytes>) -> Self {
        let data = data.into();
        let remaining = data.len() as u64;
        ResponseBody::Parts { parts: VecDeque::from([data]), remaining }
    }

    /// The bytes of a snapshot: in-memory parts as they are, a disk range read in 1 MiB chunks.
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        match snapshot {
            Snapshot::Memory(parts) => {
                let remaining = parts.iter().map(|p| p.len() as u64).sum();
                ResponseBody::Parts { parts: parts.into(), remaining }
            }
            Snapshot::Disk { file, offset, len } => {
                let (tx, rx) = mpsc::channel(4);
                tokio::task::spawn_blocking(move || {
                    use std::os::unix::fs::FileExt;
                    const CHUNK: u64 = 1 << 20;
                    let mut at = offset;
                    let end = offset + len;
                    while at < end {
                        let n = CHUNK.min(end - at) as usize;
                        let mut buf = vec![0u8; n];
                        let result = file.read_exact_at(&mut buf, at).map(|()| Bytes::from(buf));
                        let failed = result.is_err();
                        if tx.blocking_send(result).is_err() || failed {
                            return;
                        }
                        at += n as u64;
                    }
                });
                ResponseBody::Channel { rx, remaining: len }
            }
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            ResponseBody::Parts { parts, remaining } => match parts.pop_front() {
                Some(part) => {
                    *remaining -= part.len() as u64;
                    Poll::Ready(Some(Ok(Frame::data(part))))
                }
                None => Poll::Ready(None),
            },
            ResponseBody::Channel { rx, remaining } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                match rx.poll_recv(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Some(Ok(chunk))) => {
                        *remaining = remaining.saturating_sub(chunk.len() as u64);
                        Poll::Ready(Some(Ok(Frame::data(chunk))))
                    }
                    Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                    Poll::Ready(None) => Poll::Ready(Some(Err(io::Error::other("reading the object stopped early")))),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ResponseBody::Parts { remaining, .. } | ResponseBody::Channel { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ResponseBody::Parts { remaining, .. } | ResponseBody::Channel { remaining, .. } => {
                SizeHint::with_exact(*remaining)
            }
        }
    }
}
