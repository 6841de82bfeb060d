//! One error type for the whole library.

use std::fmt;

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Establishing the TCP (and TLS) connection.
    Connect,
    /// Waiting to send or receive bytes on an open connection.
    ReadWrite,
    /// The whole request, from first byte sent to last byte received.
    Request,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::ReadWrite => "read/write",
            TimeoutKind::Request => "whole-request",
        })
    }
}

/// An error response from OSS (or a compatible server).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceError {
    /// HTTP status, e.g. 409.
    pub status: u16,
    /// OSS error code, e.g. `PositionNotEqualToLength` (empty when the response had no body, as for HEAD).
    pub code: String,
    /// Human-readable message from the service.
    pub message: String,
    /// `x-oss-request-id`, for Alibaba Cloud support.
    pub request_id: String,
    /// Host that answered.
    pub host_id: String,
    /// Detailed error code, e.g. `0026-00000016`.
    pub ec: String,
    /// The object's real length, from `x-oss-next-append-position` (set for `PositionNotEqualToLength`).
    pub next_position: Option<u64>,
    /// The object's CRC-64 from `x-oss-hash-crc64ecma`, when the response carried it.
    pub server_crc64: Option<u64>,
    /// The position this request asked to append at, for append requests.
    pub position: Option<u64>,
}

impl ServiceError {
    /// Whether this is the 409 an append gets when its position is not the object's length.
    pub fn is_position_not_equal_to_length(&self) -> bool {
        self.code == "PositionNotEqualToLength"
    }

    fn advice(&self) -> &'static str {
        match (self.status, self.code.as_str()) {
            (_, "PositionNotEqualToLength") => {
                "append at the next position, or omit the position and let the client find it"
            }
            (_, "ObjectNotAppendable") => {
                "the object was not created by an append; write to another key or delete it first"
            }
            (_, "SignatureDoesNotMatch") => "check the access key secret, the region and the signature version",
            (_, "InvalidAccessKeyId") => "check the access key id",
            (_, "RequestTimeTooSkewed") => "correct this machine's clock",
            (_, "SecurityTokenExpired") | (_, "InvalidSecurityToken") => "fetch a new STS token",
            (_, "NoSuchBucket") => "check the bucket name and the endpoint's region",
            (_, "NoSuchKey") | (404, _) => "check the object key",
            (403, _) => "check the credentials and the RAM policy",
            (s, _) if s >= 500 => "the service failed; try again later",
            _ => "see the message and EC in the OSS documentation",
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = if self.code.is_empty() { "(no code)" } else { &self.code };
        write!(f, "OSS returned HTTP {} {code}", self.status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let (Some(position), Some(next)) = (self.position, self.next_position) {
            write!(f, " (appended at {position}, object length is {next})")?;
        } else if let Some(next) = self.next_position {
            write!(f, " (next position {next})")?;
        }
        if !self.ec.is_empty() {
            write!(f, " [EC {}]", self.ec)?;
        }
        if !self.request_id.is_empty() {
            write!(f, " [request id {}]", self.request_id)?;
        }
        write!(f, "; {}", self.advice())
    }
}

/// Everything that can go wrong. Secrets never appear in `Display` or `Debug`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status.
    #[error("{0}")]
    Service(Box<ServiceError>),

    /// The service's CRC-64 of the object after an append differs from the one computed here: the
    /// data reached the server but is not what was sent, or the running CRC given was wrong.
    #[error(
        "CRC-64 mismatch: the server's CRC-64 of the object is {server_crc64} where {expected_crc64} was computed here (object length {next_position}) [request id {request_id}]; after an append or put the data reached the server but is not what was sent, or the object's CRC passed in was wrong: re-read the object; after a download the bytes read are not the object's: read it again"
    )]
    CrcMismatch {
        /// The CRC this client computed for the object (after the append, or of the bytes read).
        expected_crc64: u64,
        /// The CRC the server reported.
        server_crc64: u64,
        /// The object's length as the server reported it: after an append, its next append position.
        next_position: u64,
        /// Request id of the request.
        request_id: String,
    },

    /// The connection failed or broke (DNS, refused, reset, TLS).
    #[error("network error: {message}; check the endpoint and the network, or try again")]
    Network {
        /// What failed.
        message: String,
    },

    /// A timeout fired.
    #[error("{kind} timeout after {millis} ms; raise the timeout or check the network")]
    Timeout {
        /// Which timeout.
        kind: TimeoutKind,
        /// Its setting in milliseconds.
        millis: u64,
    },

    /// The upload was cancelled by a progress callback or a cancel token.
    #[error("cancelled by the caller")]
    Cancelled,

    /// An argument was refused before anything was sent.
    #[error("invalid {name}: {reason}")]
    InvalidArgument {
        /// Which argument.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },

    /// Credentials could not be had.
    #[error("credentials unavailable: {reason}")]
    Credentials {
        /// Why.
        reason: String,
    },

    /// Reading the local body (a file or reader) failed.
    #[error("reading the body failed: {0}")]
    Body(#[source] std::io::Error),

    /// The server's response could not be understood.
    #[error("unexpected response: {0}")]
    Protocol(String),
}

impl Error {
    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { name, reason: reason.into() }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}
