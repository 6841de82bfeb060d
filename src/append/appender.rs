//! An object appended to again and again: the append stream with a template of options.

use crate::append::settle::Settlement;
use crate::append::stream::{AppendStream, Tail};
use crate::body::{Body, CancelToken};
use crate::error::Error;
use crate::in_flight::InFlight;
use crate::options::{AppendOptions, AppendResult};
use crate::Client;

/// Appends to one object, carrying the next position and the object's CRC-64 from each append to
/// the next, so no call needs a HEAD after the first. Made by [`Client::appender`].
///
/// Every outcome leaves it knowing where the object ends, or knowing that it does not:
/// - after a success or a reconciled success it continues after that append, with its CRC;
/// - after a [`CrcMismatch`](Error::CrcMismatch) or an [`Unverified`](Error::Unverified) append
///   (both landed) it continues after that append, and asks the object for its CRC first;
/// - after a failure that did not land, it continues where the object ends (a
///   PositionNotEqualToLength tells; otherwise it asks with a HEAD);
/// - after an [`Unsettled`](Error::Unsettled) append, it holds the [`in_flight`](Self::in_flight)
///   append and refuses to append more (`Unsettled` again, with no request) until
///   [`settle`](Self::settle) says whether the bytes landed, so the caller knows whether to send them
///   again;
/// - when an append was reported as not landed after its body went out whole, and an append sent
///   next at that position meets PositionNotEqualToLength, it is settled instead of believed (a
///   request still under way may have committed the first one late). The client remembers such
///   positions, so `Client::append_object` at that position does the same.
#[derive(Debug, Clone)]
pub struct Appender {
    client: Client,
    stream: AppendStream,
    template: AppendOptions,
}

impl Client {
    /// An [`Appender`] for `bucket/key`. Its first append finds the object's length and CRC with a
    /// HEAD request (a missing object starts at 0), unless it is [resumed](Appender::resume).
    pub fn appender(&self, bucket: impl Into<String>, key: impl Into<String>) -> Appender {
        Appender {
            client: self.clone(),
            stream: AppendStream::new(bucket, key, Tail::Unknown),
            template: AppendOptions::default(),
        }
    }
}

impl Appender {
    /// Headers, progress and cancel token used by every append (the create-time headers only take
    /// effect when an append creates the object). Position and CRC in `options` set where to start.
    pub fn with_options(mut self, options: AppendOptions) -> Self {
        self.stream.tail = match options.position {
            Some(position) => Tail::At { position, crc64: options.crc64 },
            None => Tail::Unknown,
        };
        self.template = options;
        self
    }

    /// Continues at a known end of the object: its length and its CRC-64 there (for example from a
    /// journal after a restart). No HEAD is made; the next append is verified against this CRC.
    pub fn resume(mut self, position: u64, crc64: u64) -> Self {
        self.stream.tail = Tail::At { position, crc64: Some(crc64) };
        self
    }

    /// Continues with an append whose outcome is unknown (for example one stored before a restart):
    /// [`settle`](Self::settle) it before appending more.
    pub fn resume_in_flight(mut self, in_flight: InFlight) -> Self {
        self.stream.tail = Tail::Unsettled(in_flight);
        self
    }

    /// Appends `body` at the tracked position. See [`Client::append_object`] for what the outcome
    /// means, and the type's documentation for where the next append goes.
    pub fn append<'a>(&mut self, body: impl Into<Body<'a>>) -> Result<AppendResult, Error> {
        self.stream.append(&self.client, body.into(), &self.template)
    }

    /// Appends `body` as [`append`](Self::append) does, stopped by `cancel` for this call alone (the
    /// options' token, if they have one, does not apply to it). A token cancelled for one call leaves
    /// the appender usable by the next.
    pub fn append_cancellable<'a>(
        &mut self,
        body: impl Into<Body<'a>>,
        cancel: &CancelToken,
    ) -> Result<AppendResult, Error> {
        let options = AppendOptions { cancel: Some(cancel.clone()), ..self.template.clone() };
        self.stream.append(&self.client, body.into(), &options)
    }

    /// Settles the append whose outcome is unknown, if there is one (after an
    /// [`Unsettled`](Error::Unsettled) error): `Some(Landed)` when its bytes are in the object,
    /// `Some(NotLanded)` when they are not (send them again), `None` when nothing was in flight.
    /// An error leaves it unsettled.
    pub fn settle(&mut self) -> Result<Option<Settlement>, Error> {
        self.stream.settle_pending(&self.client, &self.template)
    }

    /// The append whose outcome is unknown, if there is one.
    pub fn in_flight(&self) -> Option<&InFlight> {
        match &self.stream.tail {
            Tail::Unsettled(in_flight) => Some(in_flight),
            _ => None,
        }
    }

    /// The position of the next append, once known.
    pub fn next_position(&self) -> Option<u64> {
        match self.stream.tail {
            Tail::At { position, .. } => Some(position),
            _ => None,
        }
    }

    /// The object's CRC-64 so far, once known.
    pub fn crc64(&self) -> Option<u64> {
        match self.stream.tail {
            Tail::At { crc64, .. } => crc64,
            _ => None,
        }
    }

    /// The client it appends with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.stream.bucket
    }

    /// The object key.
    pub fn key(&self) -> &str {
        &self.stream.key
    }
}
