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
use crate::crc64::Crc64;
use crate::error::{Argument, Error, ServiceErrorKind};
use crate::in_flight::{InFlight, Owner};
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

/// Computes the CRC-64 of what is written.
struct CrcWriter<'c>(&'c mut Crc64);

impl Write for CrcWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Client {
    /// Proves whether `in_flight` is in the object: [`Settlement::Landed`] or
    /// [`Settlement::NotLanded`]. Reads the object's metadata (HEAD), and at most the append's own
    /// bytes at its position when its length and CRC alone cannot tell. An error means the outcome is
    /// still unknown: settle again later; never send the bytes again before.
    ///
    /// Not landed means not landed *yet*: a request still under way at the service (its answer was
    /// lost, not its commit) may commit after this call looked. Send the bytes again at the same
    /// position with this client ([`Client::append_object`] with the position and CRC, or an
    /// [`Appender`](crate::Appender)): this client remembers the settled position, and a
    /// PositionNotEqualToLength there whose next position is the append's end is settled (one HEAD)
    /// instead of believed, so a late commit is reported landed (`reconciled`), never sent twice. From
    /// another process, set [`AppendOptions::resend`](crate::AppendOptions::resend) on that append.
    pub fn settle(&self, in_flight: &InFlight) -> Result<Settlement, Error> {
        self.settle_with(in_flight, None, None)
    }

    /// As [`Client::settle`]; with `owner`, equal bytes in an object stamped by another writer are not
    /// this writer's. A position found not landed (nothing there yet) is remembered: the request may
    /// still commit, and a PositionNotEqualToLength there is then settled, not believed.
    pub(crate) fn settle_with(
        &self,
        f: &InFlight,
        cancel: Option<&CancelToken>,
        owner: Option<&Owner>,
    ) -> Result<Settlement, Error> {
        let settled = self.prove(f, cancel, owner);
        let may_commit_late = matches!(
            &settled,
            Ok(Settlement::NotLanded(NotLanded {
                reason: NotLandedReason::NothingAtPosition | NotLandedReason::MissingObject,
                ..
            }))
        );
        self.transport().suspect(&f.bucket, &f.key, f.position, may_commit_late.then_some(f));
        settled
    }

    fn prove(&self, f: &InFlight, cancel: Option<&CancelToken>, owner: Option<&Owner>) -> Result<Settlement, Error> {
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
        if owner.is_some_and(|owner| !owner.may_own(&meta.metadata)) {
            // Another writer's object (its stamp): whatever bytes it holds, they are not these.
            return not_landed(NotLandedReason::OtherWriter, Some(length), meta.crc64, None);
        }
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
        // The bytes at the position decide, and no more than them are read (others may have appended
        // far past them).
        let mut crc = Crc64::new();
        let range = ByteRange::Span { first: f.position, last: end - 1 };
        let read = self.get_object(&f.bucket, &f.key, Some(range), &mut CrcWriter(&mut crc), cancel)?;
        let replaced =
            read.object_type.as_deref().is_some_and(|t| !t.is_empty() && !t.eq_ignore_ascii_case("Appendable"));
        if read.bytes_written != f.length || replaced {
            return Err(Error::Protocol(format!(
                "the object changed while settling an append to it: {} bytes read of the {} asked for [request id {}]",
                read.bytes_written, f.length, read.request_id
            )));
        }
        if crc.value() != f.body_crc64 {
            return not_landed(NotLandedReason::OtherWriter, Some(length), meta.crc64, None);
        }
        // The service's CRC is the truth where the append ends the object. Past its end (others
        // appended after it) the CRC before it, when known, gives the CRC at its end: reading the
        // others' bytes to derive it could cost far more than the append (a CRC before given wrong
        // then gives a wrong CRC, as it would to the append itself).
        let end_crc = match meta.crc64 {
            Some(object_crc) if length == end => Some(object_crc),
            _ => f.crc64_after(),
        };
        match end_crc {
            Some(crc) => landed(crc),
            None => Err(Error::Unverified { next_position: end, request_id: meta.request_id.clone() }),
        }
    }
}
