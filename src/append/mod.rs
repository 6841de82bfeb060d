//! The append core: appends with tracked positions, each verified by CRC-64, and the settling of an
//! append whose outcome is unknown.
//!
//! - [`stream`]: one object's appends: the position and CRC carried, attempts, retries, backoff,
//!   and the in-flight append settled before anything else is sent;
//! - [`settle`]: proving from the object's length and CRC-64 (or the bytes at a position) whether
//!   an append landed;
//! - [`appender`]: [`Appender`](crate::Appender), the public face of a stream.
//!
//! It is built on [`Client`]'s object operations and the transport below them.

pub(crate) mod appender;
pub(crate) mod settle;
pub(crate) mod stream;

use crate::body::Body;
use crate::error::Error;
use crate::options::{AppendOptions, AppendResult};
use crate::Client;
use stream::{AppendStream, Tail};

impl Client {
    /// Appends `body` to the object `key`, creating it at position 0.
    ///
    /// The append is verified: the object's CRC-64 before it (from `options.crc64`, a HEAD request,
    /// or 0 at position 0) continued with the body must equal the service's `x-oss-hash-crc64ecma`.
    /// Retryable failures ([`Error::is_retryable`]) are retried when the body can be sent again.
    ///
    /// The outcome is total: when an attempt's response is lost after its body was sent, the call
    /// settles it before returning — it succeeds (with `reconciled` set) when the bytes landed, and
    /// returns the failure only when they did not. When settling fails too, the error is
    /// [`Error::Unsettled`]: the bytes may be in the object, and its in-flight append says how to
    /// find out ([`Client::settle`]).
    ///
    /// A request still under way when the client gave up may commit after settling said it had not.
    /// Send such an append again at the same position (an [`Appender`](crate::Appender) does): a
    /// PositionNotEqualToLength there is then settled too, never believed. Sent again without a
    /// position, it would be appended at the end a second time.
    pub fn append_object<'a>(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Body<'a>>,
        options: &AppendOptions,
    ) -> Result<AppendResult, Error> {
        let tail = match options.position {
            Some(position) => Tail::At { position, crc64: options.crc64 },
            None => Tail::Unknown,
        };
        AppendStream::new(bucket, key, tail).append(self, body.into(), options)
    }
}
