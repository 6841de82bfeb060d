//! Settling an append whose outcome is unknown: proving from the object's length and CRC-64 (or the
//! CRC of the bytes at its position) whether it is in the object.
//!
//! The append position is a fencing token: the service accepts an append only at the object's
//! length, and an append is atomic. So for an append of `length` bytes at `position`:
//! - the object is no longer than `position`: it did not land;
//! - the object ends between `position` and `position + length`: it did not land (those bytes are
//!   another writer's);
//! - the object ends exactly at `position + length` and its CRC is the CRC before the append combined
//!   with the body's: it landed (a different CRC is checked against the bytes, below);
//! - the object is longer (others appended after it), or the CRC before it is not known: the CRC of
//!   the bytes at `[position, position + length)` decides (a byte-identical write by another writer
//!   at the same position is the same object, and counts as landed);
//! - the object or its bucket is missing, or it is not appendable: it did not land (which is said).

use std::io::Write;

use crate::body::CancelToken;
use crate::crc64::{self, Crc64};
use crate::error::{Argument, Error, ServiceErrorKind};
use crate::in_flight::InFlight;
use crate::options::{AppendResult, ByteRange};
use crate::{validate, Client};

/// What settling an append proved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Settlement {
    /// The bytes are in the object, once; `reconciled` is set in the result.
    Landed(AppendResult),
    /// The bytes are not in the object: sending them again appends them once.
    NotLanded(NotLanded),
}

/// Why an append is known not to be in the object, and what the object is now.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotLanded {
    /// Why.
    pub reason: NotLandedReason,
    /// The object's length now (its next append position), when it exists.
    pub object_length: Option<u64>,
    /// The object's CRC-64 now, when known.
    pub object_crc64: Option<u64>,
    /// The object's type (`Normal`, `Multipart`) when it is not appendable.
    pub object_type: Option<String>,
}

/// Why an append did not land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "mobile", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum NotLandedReason {
    /// The object ends at or before the append's position: nothing was appended there.
    NothingAtPosition,
    /// The bytes at the append's position are another writer's.
    OtherWriter,
    /// The object does not exist.
    MissingObject,
    /// The bucket does not exist.
    MissingBucket,
    /// The object was made by a put or multipart upload.
    NotAppendable,
}

impl std::fmt::Display for NotLandedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotLandedReason::NothingAtPosition => "the object ends at or before its position",
            NotLandedReason::OtherWriter => "the bytes at its position are another writer's",
            NotLandedReason::MissingObject => "the object does not exist",
            NotLandedReason::MissingBucket => "the bucket does not exist",
            NotLandedReason::NotAppendable => "the object is not appendable",
        })
    }
}

/// The most bytes after a settled append read to derive the object's CRC where it ended, when the
/// CRC before it is known anyway.
const MAX_TAIL_READ: u64 = 64 << 20;

/// Computes the CRC-64 of the first `split` bytes written, and of the rest.
struct SplitCrc {
    split: u64,
    written: u64,
    head: Crc64,
    tail: Crc64,
}

impl Write for SplitCrc {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let in_head = usize::try_from(self.split.saturating_sub(self.written)).unwrap_or(usize::MAX).min(buf.len());
        self.head.update(&buf[..in_head]);
        self.tail.update(&buf[in_head..]);
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Client {
    /// Proves whether `in_flight` is in the object: [`Settlement::Landed`] or
    /// [`Settlement::NotLanded`]. Reads the object's metadata (HEAD), and the bytes at the append's
    /// position when its length and CRC alone cannot tell. An error means the outcome is still unknown:
    /// settle again later; never send the bytes again before.
    pub fn settle(&self, in_flight: &InFlight) -> Result<Settlement, Error> {
        self.settle_with(in_flight, None)
    }

    pub(crate) fn settle_with(&self, f: &InFlight, cancel: Option<&CancelToken>) -> Result<Settlement, Error> {
        validate::bucket(&f.bucket)?;
        validate::key(&f.key)?;
        validate::append_range(f.position, f.length)?;
        if f.length == 0 {
            return Err(Error::invalid(
                Argument::InFlight,
                "an empty append changes nothing: there is nothing to settle (sending it again is harmless)",
            ));
        }
        let not_landed = |reason, object_length, object_crc64, object_type| {
            Ok(Settlement::NotLanded(NotLanded { reason, object_length, object_crc64, object_type }))
        };
        let meta = match self.head(&f.bucket, &f.key, cancel) {
            Ok(meta) => meta,
            Err(Error::Service(e)) if e.kind == ServiceErrorKind::NoSuchKey => {
                return not_landed(NotLandedReason::MissingObject, None, None, None)
            }
            Err(Error::Service(e)) if e.kind == ServiceErrorKind::NoSuchBucket => {
                return not_landed(NotLandedReason::MissingBucket, None, None, None)
            }
            Err(e) => return Err(e),
        };
        // A server that names no type is taken at its length and CRC.
        if !meta.object_type.is_empty() && !meta.is_appendable() {
            return not_landed(
                NotLandedReason::NotAppendable,
                Some(meta.content_length),
                meta.crc64,
                Some(meta.object_type.clone()),
            );
        }
        let length = meta.next_append_position.unwrap_or(meta.content_length);
        let end = f.end();
        if length <= f.position {
            return not_landed(NotLandedReason::NothingAtPosition, Some(length), meta.crc64, None);
        }
        if length < end {
            return not_landed(NotLandedReason::OtherWriter, Some(length), meta.crc64, None);
        }
        let landed = |crc64| {
            Ok(Settlement::Landed(AppendResult {
                position: f.position,
                next_position: end,
                crc64,
                request_id: meta.request_id.clone(),
                etag: None,
                reconciled: true,
            }))
        };
        if let (true, Some(expected), Some(object_crc)) = (length == end, f.crc64_after(), meta.crc64) {
            if object_crc == expected {
                return landed(expected);
            }
            // A different CRC means other bytes, or a wrong CRC before: the bytes themselves decide.
        }
        // The bytes at the position decide. The CRC where the append ended is derived from the
        // object's (the truth; a CRC before given by a caller may be wrong), reading the bytes after
        // it too, unless there are many of them and the CRC before is known.
        let derive_end_crc =
            length > end && meta.crc64.is_some() && (f.crc64_before.is_none() || length - end <= MAX_TAIL_READ);
        let read_to = if derive_end_crc { length } else { end };
        let mut crcs = SplitCrc { split: f.length, written: 0, head: Crc64::new(), tail: Crc64::new() };
        let range = ByteRange::Span { first: f.position, last: read_to - 1 };
        let read = self.get_object(&f.bucket, &f.key, Some(range), &mut crcs, cancel)?;
        let replaced =
            read.object_type.as_deref().is_some_and(|t| !t.is_empty() && !t.eq_ignore_ascii_case("Appendable"));
        if read.bytes_written != read_to - f.position || replaced {
            return Err(Error::Protocol(format!(
                "the object changed while settling an append to it: {} bytes read of the {} asked for [request id {}]",
                read.bytes_written,
                read_to - f.position,
                read.request_id
            )));
        }
        if crcs.head.value() != f.body_crc64 {
            return not_landed(NotLandedReason::OtherWriter, Some(length), meta.crc64, None);
        }
        // The service's CRC is the truth where it applies; a CRC before given by the caller may be wrong.
        let end_crc = match (meta.crc64, f.crc64_after()) {
            (Some(object_crc), _) if length == end => Some(object_crc),
            (Some(object_crc), _) if derive_end_crc => {
                Some(crc64::uncombine(object_crc, crcs.tail.value(), length - end))
            }
            (_, after) => after,
        };
        match end_crc {
            Some(crc) => landed(crc),
            None => Err(Error::Unverified { next_position: end, request_id: meta.request_id.clone() }),
        }
    }
}
