//! An object appended to again and again, its position and CRC tracked by the client.

use crate::body::Body;
use crate::error::Error;
use crate::options::{AppendOptions, AppendResult};
use crate::Client;

/// Appends to one object, carrying the next position and the object's CRC-64 from each append to
/// the next, so no call needs a HEAD after the first. Made by [`Client::appender`].
#[derive(Debug, Clone)]
pub struct Appender {
    client: Client,
    bucket: String,
    key: String,
    template: AppendOptions,
    next_position: Option<u64>,
    crc64: Option<u64>,
}

impl Client {
    /// An [`Appender`] for `bucket/key`. Its first append finds the object's length and CRC with a
    /// HEAD request (a missing object starts at 0).
    pub fn appender(&self, bucket: impl Into<String>, key: impl Into<String>) -> Appender {
        Appender {
            client: self.clone(),
            bucket: bucket.into(),
            key: key.into(),
            template: AppendOptions::default(),
            next_position: None,
            crc64: None,
        }
    }
}

impl Appender {
    /// Headers, progress and cancel token used by every append (the create-time headers only take
    /// effect when an append creates the object). Position and CRC in `options` set where to start.
    pub fn with_options(mut self, options: AppendOptions) -> Self {
        self.next_position = options.position;
        self.crc64 = options.crc64;
        self.template = options;
        self
    }

    /// Appends `body` at the tracked position.
    ///
    /// After a PositionNotEqualToLength error (another writer appended) or a CRC mismatch, the tracked
    /// state is dropped and the next call finds the object's end and CRC again.
    pub fn append<'a>(&mut self, body: impl Into<Body<'a>>) -> Result<AppendResult, Error> {
        let mut options = self.template.clone();
        options.position = self.next_position;
        options.crc64 = self.crc64;
        match self.client.append_object(&self.bucket, &self.key, body, &options) {
            Ok(result) => {
                self.next_position = Some(result.next_position);
                self.crc64 = Some(result.crc64);
                Ok(result)
            }
            Err(error) => {
                // The object is not what this appender believed: find its end and CRC again next time.
                let state_is_stale = matches!(error, Error::CrcMismatch { .. })
                    || error.service().is_some_and(|e| e.is_position_not_equal_to_length());
                if state_is_stale {
                    self.next_position = None;
                    self.crc64 = None;
                }
                Err(error)
            }
        }
    }

    /// The position of the next append, once known.
    pub fn next_position(&self) -> Option<u64> {
        self.next_position
    }

    /// The object's CRC-64 so far, once known.
    pub fn crc64(&self) -> Option<u64> {
        self.crc64
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key.
    pub fn key(&self) -> &str {
        &self.key
    }
}
