//! One error type for the whole library, and the one place that decides what may be retried.

use std::fmt;
use std::sync::Arc;

use crate::in_flight::InFlight;

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

/// What a service error means, from its Code, or from its EC when the response had no body (HEAD),
/// or from its HTTP status when it has neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "mobile", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum ServiceErrorKind {
    /// 409: the append's position is not the object's length.
    PositionNotEqualToLength,
    /// 409: the object was made by a put or a multipart upload and cannot be appended to.
    ObjectNotAppendable,
    /// 404: no such object.
    NoSuchKey,
    /// 404: no such bucket.
    NoSuchBucket,
    /// 403: access denied by policy or ACL (or a 403 without a more precise code).
    AccessDenied,
    /// 403: the signature is wrong: the access key secret, the region or the signature version.
    SignatureDoesNotMatch,
    /// 403: the access key id is unknown.
    InvalidAccessKeyId,
    /// 403: the STS security token is not valid.
    InvalidSecurityToken,
    /// 403: the STS security token has expired.
    SecurityTokenExpired,
    /// 403: this machine's clock is more than 15 minutes from the service's.
    RequestTimeTooSkewed,
    /// 400: a request argument or header was refused.
    InvalidArgument,
    /// 400: the Content-MD5 does not match the body.
    InvalidDigest,
    /// 400: the object key is not valid.
    InvalidObjectName,
    /// 400: the object would pass its size limit.
    ObjectSizeTooLarge,
    /// 409: `x-oss-forbid-overwrite` refused to replace an object.
    FileAlreadyExists,
    /// 408: the service timed out reading the request.
    RequestTimeout,
    /// 429 or a throttling code: too many requests.
    TooManyRequests,
    /// 500: the service failed.
    InternalError,
    /// 503 or another 5xx: the service is unavailable.
    ServiceUnavailable,
    /// A code this library does not know; see the code and EC.
    #[default]
    Other,
}

/// ECs (`x-oss-ec`) that name a cause, for HEAD errors, which have no body and so no Code. ECs are
/// documented by Alibaba Cloud per cause; only those that decide something here are listed.
const EC_KINDS: &[(&str, ServiceErrorKind)] = &[
    ("0026-00000016", ServiceErrorKind::PositionNotEqualToLength),
    ("0026-00000017", ServiceErrorKind::ObjectNotAppendable),
    ("0026-00000001", ServiceErrorKind::NoSuchKey),
    ("0015-00000101", ServiceErrorKind::NoSuchBucket),
    ("0003-00000001", ServiceErrorKind::AccessDenied),
    ("0002-00000040", ServiceErrorKind::SignatureDoesNotMatch),
    ("0002-00000201", ServiceErrorKind::SignatureDoesNotMatch),
    ("0002-00000902", ServiceErrorKind::InvalidAccessKeyId),
    ("0002-00000002", ServiceErrorKind::InvalidAccessKeyId),
    ("0002-00000006", ServiceErrorKind::InvalidSecurityToken),
    ("0002-00000007", ServiceErrorKind::SecurityTokenExpired),
    ("0002-00000504", ServiceErrorKind::RequestTimeTooSkewed),
];

impl ServiceErrorKind {
    /// The kind an OSS error Code names; `None` for codes this library does not know.
    pub fn from_code(code: &str) -> Option<Self> {
        use ServiceErrorKind as K;
        Some(match code {
            "PositionNotEqualToLength" => K::PositionNotEqualToLength,
            "ObjectNotAppendable" => K::ObjectNotAppendable,
            "NoSuchKey" => K::NoSuchKey,
            "NoSuchBucket" => K::NoSuchBucket,
            "AccessDenied" => K::AccessDenied,
            "SignatureDoesNotMatch" => K::SignatureDoesNotMatch,
            "InvalidAccessKeyId" => K::InvalidAccessKeyId,
            "InvalidSecurityToken" => K::InvalidSecurityToken,
            "SecurityTokenExpired" => K::SecurityTokenExpired,
            "RequestTimeTooSkewed" => K::RequestTimeTooSkewed,
            "InvalidArgument" => K::InvalidArgument,
            "InvalidDigest" | "BadDigest" => K::InvalidDigest,
            "InvalidObjectName" => K::InvalidObjectName,
            "ObjectSizeTooLarge" | "EntityTooLarge" => K::ObjectSizeTooLarge,
            "FileAlreadyExists" => K::FileAlreadyExists,
            "RequestTimeout" => K::RequestTimeout,
            "TooManyRequests" | "Throttling" | "SlowDown" => K::TooManyRequests,
            "InternalError" => K::InternalError,
            "ServiceUnavailable" => K::ServiceUnavailable,
            _ => return None,
        })
    }

    /// The kind an EC names, for the ECs listed in this library; `None` for others.
    pub fn from_ec(ec: &str) -> Option<Self> {
        EC_KINDS.iter().find(|(known, _)| *known == ec).map(|(_, kind)| *kind)
    }

    /// The OSS Code of this kind; `""` for [`Other`](Self::Other).
    pub fn code(self) -> &'static str {
        use ServiceErrorKind as K;
        match self {
            K::PositionNotEqualToLength => "PositionNotEqualToLength",
            K::ObjectNotAppendable => "ObjectNotAppendable",
            K::NoSuchKey => "NoSuchKey",
            K::NoSuchBucket => "NoSuchBucket",
            K::AccessDenied => "AccessDenied",
            K::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            K::InvalidAccessKeyId => "InvalidAccessKeyId",
            K::InvalidSecurityToken => "InvalidSecurityToken",
            K::SecurityTokenExpired => "SecurityTokenExpired",
            K::RequestTimeTooSkewed => "RequestTimeTooSkewed",
            K::InvalidArgument => "InvalidArgument",
            K::InvalidDigest => "InvalidDigest",
            K::InvalidObjectName => "InvalidObjectName",
            K::ObjectSizeTooLarge => "ObjectSizeTooLarge",
            K::FileAlreadyExists => "FileAlreadyExists",
            K::RequestTimeout => "RequestTimeout",
            K::TooManyRequests => "TooManyRequests",
            K::InternalError => "InternalError",
            K::ServiceUnavailable => "ServiceUnavailable",
            K::Other => "",
        }
    }

    /// The kind of an error response: its Code, else its EC, else its status. A 404 with a code or
    /// an EC this library does not know is [`Other`](Self::Other), never a guessed NoSuchKey.
    pub fn classify(status: u16, code: &str, ec: &str) -> Self {
        use ServiceErrorKind as K;
        if let Some(kind) = Self::from_code(code) {
            return kind;
        }
        if let Some(kind) = Self::from_ec(ec) {
            return kind;
        }
        match status {
            404 if ec.is_empty() && code.is_empty() => K::NoSuchKey,
            403 => K::AccessDenied,
            408 => K::RequestTimeout,
            429 => K::TooManyRequests,
            500 => K::InternalError,
            s if s >= 500 => K::ServiceUnavailable,
            _ => K::Other,
        }
    }

    /// Whether the service refused because of the credentials (and new credentials could help).
    pub fn is_credentials(self) -> bool {
        use ServiceErrorKind as K;
        matches!(
            self,
            K::SignatureDoesNotMatch | K::InvalidAccessKeyId | K::InvalidSecurityToken | K::SecurityTokenExpired
        )
    }
}

/// An error response from OSS (or a compatible server).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServiceError {
    /// What the error means, from the Code, the EC or the status.
    pub kind: ServiceErrorKind,
    /// HTTP status, e.g. 409.
    pub status: u16,
    /// OSS error code, e.g. `PositionNotEqualToLength`. A HEAD error has no body: the code is then the
    /// one its EC names, or empty.
    pub code: String,
    /// Human-readable message from the service.
    pub message: String,
    /// `x-oss-request-id`, for Alibaba Cloud support.
    pub request_id: String,
    /// Host that answered.
    pub host_id: String,
    /// Detailed error code, e.g. `0026-00000016` (from the body, or `x-oss-ec`).
    pub ec: String,
    /// The object's real length, from `x-oss-next-append-position` (set for `PositionNotEqualToLength`).
    pub next_position: Option<u64>,
    /// The object's CRC-64 from `x-oss-hash-crc64ecma`, when the response carried it.
    pub server_crc64: Option<u64>,
    /// The position this request asked to append at, for append requests.
    pub position: Option<u64>,
    /// The object's length, when the error says it (a 416 InvalidRange: `ActualObjectSize`, or
    /// `Content-Range: bytes */LENGTH`).
    pub object_size: Option<u64>,
}

impl ServiceError {
    /// A service error of `status` and `code`, its kind derived from them; other fields empty.
    pub fn new(status: u16, code: impl Into<String>) -> Self {
        let code = code.into();
        Self { kind: ServiceErrorKind::classify(status, &code, ""), status, code, ..Self::default() }
    }

    /// Whether this is the 409 an append gets when its position is not the object's length.
    pub fn is_position_not_equal_to_length(&self) -> bool {
        self.kind == ServiceErrorKind::PositionNotEqualToLength
    }

    /// Whether a later attempt may succeed: 5xx, 408, 429 and RequestTimeTooSkewed (the client
    /// corrects its clock from the service's).
    pub fn is_retryable(&self) -> bool {
        self.status >= 500
            || self.status == 408
            || self.status == 429
            || matches!(
                self.kind,
                ServiceErrorKind::RequestTimeTooSkewed
                    | ServiceErrorKind::TooManyRequests
                    | ServiceErrorKind::RequestTimeout
                    | ServiceErrorKind::InternalError
                    | ServiceErrorKind::ServiceUnavailable
            )
    }

    fn advice(&self) -> &'static str {
        use ServiceErrorKind as K;
        match self.kind {
            K::PositionNotEqualToLength => {
                "append at the next position, or omit the position and let the client find it"
            }
            K::ObjectNotAppendable => {
                "the object was not created by an append; write to another key or delete it first"
            }
            K::SignatureDoesNotMatch => "check the access key secret, the region and the signature version",
            K::InvalidAccessKeyId => "check the access key id",
            K::RequestTimeTooSkewed => "correct this machine's clock",
            K::SecurityTokenExpired | K::InvalidSecurityToken => "fetch a new STS token",
            K::NoSuchBucket => "check the bucket name and the endpoint's region",
            K::NoSuchKey => "check the object key",
            K::AccessDenied => "check the credentials and the RAM policy",
            K::FileAlreadyExists => "the object exists and forbid-overwrite is set",
            _ if self.is_retryable() => "the service is busy or failing; try again later",
            _ if self.status == 404 => "check the bucket and the object key",
            _ if self.status == 403 => "check the credentials and the RAM policy",
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

/// Which argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Argument {
    /// The endpoint URL.
    Endpoint,
    /// The region id.
    Region,
    /// The bucket name.
    Bucket,
    /// The object key.
    Key,
    /// The append position, or the size the object would reach.
    Position,
    /// The body: a file that cannot be opened, a reader that cannot be sent twice.
    Body,
    /// A byte range to read.
    Range,
    /// An in-flight append given to settle.
    InFlight,
    /// A CA bundle: certificate authorities to trust.
    CaBundle,
    /// A proxy URL.
    Proxy,
    /// `Content-Type`.
    ContentType,
    /// `Cache-Control`.
    CacheControl,
    /// `Content-Disposition`.
    ContentDisposition,
    /// `Content-Encoding`.
    ContentEncoding,
    /// `Expires`.
    Expires,
    /// `Content-MD5`.
    ContentMd5,
    /// A user metadata name.
    MetadataName,
    /// A user metadata value.
    MetadataValue,
    /// `x-oss-object-acl`.
    ObjectAcl,
    /// `x-oss-storage-class`.
    StorageClass,
    /// `x-oss-server-side-encryption`.
    ServerSideEncryption,
    /// `x-oss-tagging`.
    Tagging,
    /// `x-oss-forbid-overwrite`.
    ForbidOverwrite,
    /// `x-oss-traffic-limit`.
    TrafficLimit,
    /// The User-Agent.
    UserAgent,
    /// The connect timeout.
    ConnectTimeout,
    /// The read/write timeout.
    ReadWriteTimeout,
    /// The whole-request timeout.
    RequestTimeout,
    /// The retry policy.
    RetryPolicy,
    /// The idle connection pool size.
    MaxIdleConnections,
    /// A spool setting or directory.
    Spool,
    /// The token server's URL, or a header sent to it.
    CredentialsUrl,
}

impl Argument {
    /// How messages name it, e.g. `"storage class"`.
    pub fn name(self) -> &'static str {
        use Argument as A;
        match self {
            A::Endpoint => "endpoint",
            A::Region => "region",
            A::Bucket => "bucket",
            A::Key => "key",
            A::Position => "position",
            A::Body => "body",
            A::Range => "range",
            A::InFlight => "in-flight append",
            A::CaBundle => "CA bundle",
            A::Proxy => "proxy",
            A::ContentType => "content type",
            A::CacheControl => "cache control",
            A::ContentDisposition => "content disposition",
            A::ContentEncoding => "content encoding",
            A::Expires => "expires",
            A::ContentMd5 => "content MD5",
            A::MetadataName => "metadata name",
            A::MetadataValue => "metadata value",
            A::ObjectAcl => "object ACL",
            A::StorageClass => "storage class",
            A::ServerSideEncryption => "server-side encryption",
            A::Tagging => "tagging",
            A::ForbidOverwrite => "forbid overwrite",
            A::TrafficLimit => "traffic limit",
            A::UserAgent => "user agent",
            A::ConnectTimeout => "connect timeout",
            A::ReadWriteTimeout => "read/write timeout",
            A::RequestTimeout => "request timeout",
            A::RetryPolicy => "retry policy",
            A::MaxIdleConnections => "max idle connections",
            A::Spool => "spool",
            A::CredentialsUrl => "credentials URL",
        }
    }

    /// Whether it is a value sent in an HTTP header.
    pub fn is_header(self) -> bool {
        use Argument as A;
        matches!(
            self,
            A::ContentType
                | A::CacheControl
                | A::ContentDisposition
                | A::ContentEncoding
                | A::Expires
                | A::ContentMd5
                | A::MetadataName
                | A::MetadataValue
                | A::ObjectAcl
                | A::StorageClass
                | A::ServerSideEncryption
                | A::Tagging
                | A::ForbidOverwrite
                | A::TrafficLimit
                | A::UserAgent
        )
    }
}

impl fmt::Display for Argument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An append whose outcome is unknown: it may have landed. Carried by [`Error::Unsettled`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Unsettled {
    /// The append, as a plain value to store and settle later with
    /// [`Client::settle`](crate::Client::settle).
    pub in_flight: InFlight,
    /// Why it could not be settled: the service unreachable, a cancel.
    pub cause: Error,
}

impl Unsettled {
    /// An unsettled append and why it could not be settled.
    pub fn new(in_flight: InFlight, cause: Error) -> Self {
        Self { in_flight, cause }
    }
}

/// Everything that can go wrong. Secrets never appear in `Display` or `Debug`.
///
/// [`is_retryable`](Self::is_retryable) is the one answer to "may the same call simply be made
/// again?"; [`Unsettled`](Self::Unsettled) is never retryable: its bytes may be in the object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error status; nothing was written by that request.
    #[error("{0}")]
    Service(Box<ServiceError>),

    /// The append landed, but the service's CRC-64 of the object after it differs from the one
    /// computed here: the bytes in the object are not the bytes sent, or the object's CRC passed in
    /// was wrong. Do not append the data again; read the object back.
    #[error(
        "the append landed (the object is now {next_position} bytes) but its CRC-64 does not match: the service reports {server_crc64}, {expected_crc64} was computed here [request id {request_id}]; the data is in the object but is not what was sent, or the object's CRC passed in was wrong: do not append it again, read the object back"
    )]
    CrcMismatch {
        /// The CRC this client computed for the object after the append.
        expected_crc64: u64,
        /// The CRC the service reported.
        server_crc64: u64,
        /// The object's length after the append, as the service reported it.
        next_position: u64,
        /// Request id of the append.
        request_id: String,
    },

    /// The append landed but could not be verified: the response carried no
    /// `x-oss-hash-crc64ecma`. Do not append the data again.
    #[error(
        "the append landed (the object is now {next_position} bytes) but cannot be verified: the response carried no x-oss-hash-crc64ecma [request id {request_id}]; do not append it again; the server may not support CRC-64"
    )]
    Unverified {
        /// The object's length after the append, as the service reported it.
        next_position: u64,
        /// Request id of the append.
        request_id: String,
    },

    /// The append may have landed: a response was lost (or a timeout fired) after its body was
    /// sent, and settling it — proving from the object's length and CRC whether it is there —
    /// failed too. Never retryable: settle the [`InFlight`] append first.
    #[error(
        "the append of {} bytes at position {} to {}/{} may have landed; its outcome is unknown because settling it failed: {}; do not send it again before settling it (the object's length and CRC-64 tell)",
        .0.in_flight.length, .0.in_flight.position, .0.in_flight.bucket, .0.in_flight.key, .0.cause
    )]
    Unsettled(Box<Unsettled>),

    /// Bytes read from the service do not match its CRC-64 of the object: read it again.
    #[error(
        "the bytes read do not match the object's CRC-64: the service reports {server_crc64}, {computed_crc64} was computed from the {bytes_read} bytes read [request id {request_id}]; read it again"
    )]
    DownloadCrcMismatch {
        /// The CRC of the bytes read.
        computed_crc64: u64,
        /// The CRC the service reported.
        server_crc64: u64,
        /// How many bytes were read.
        bytes_read: u64,
        /// Request id of the read.
        request_id: String,
    },

    /// The connection failed or broke (DNS, refused, reset, TLS).
    #[error("network error: {message}; check the endpoint and the network")]
    Network {
        /// What failed.
        message: String,
        /// The I/O error underneath, when there is one.
        #[source]
        source: Option<Arc<std::io::Error>>,
    },

    /// A timeout fired.
    #[error("{kind} timeout after {millis} ms; raise the timeout or check the network")]
    Timeout {
        /// Which timeout.
        kind: TimeoutKind,
        /// Its setting in milliseconds.
        millis: u64,
    },

    /// The call was cancelled by a progress callback or a cancel token before its request could
    /// have been applied.
    #[error("cancelled by the caller")]
    Cancelled,

    /// An argument was refused before anything was sent.
    #[error("invalid {argument}: {reason}")]
    InvalidArgument {
        /// Which argument.
        argument: Argument,
        /// Why it was refused.
        reason: String,
    },

    /// Credentials could not be had, or are not usable (empty, or holding a line break).
    #[error("credentials unavailable: {reason}")]
    Credentials {
        /// Why.
        reason: String,
    },

    /// Reading the local body (a file or reader), or writing what was read, failed.
    #[error("local I/O failed: {0}")]
    Body(#[source] std::io::Error),

    /// The server's response could not be understood.
    #[error("unexpected response: {0}")]
    Protocol(String),

    /// The TLS connection could not be made: the server's certificate is not trusted, is for another
    /// name or out of date, or the server does not speak TLS. Never retryable: the trust or the
    /// endpoint must change.
    #[error("TLS with {host} failed: {message}; {hint}")]
    Tls {
        /// What went wrong.
        kind: TlsErrorKind,
        /// The host the client was connecting to.
        host: String,
        /// The TLS library's message.
        message: String,
        /// What to do about it.
        hint: String,
    },

    /// A read into a caller's buffer that does not hold it; nothing was written to the buffer.
    #[error("the buffer of {capacity} bytes is too small: {needed} bytes are needed")]
    BufferTooSmall {
        /// The bytes the read has.
        needed: u64,
        /// The buffer's size.
        capacity: u64,
    },

    /// The spool refused or failed: full, locked by another process, closed, or its directory failed.
    #[error("spool: {0}")]
    Spool(#[from] SpoolError),
}

/// Why a spool call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// The journal holds `max_bytes` already: the write was refused (`RejectNew`), waited too long
    /// (`Block`), or nothing could be dropped (`DropOldest`: all of it is in flight). Nothing was
    /// written.
    #[error("the journal is full ({pending_bytes} bytes waiting, {max_bytes} allowed); nothing was written")]
    Full {
        /// Payload bytes not yet in OSS.
        pending_bytes: u64,
        /// The configured limit of the journal on disk.
        max_bytes: u64,
    },
    /// Another process (or another spool in this one) has the directory open.
    #[error("{} is in use by another spool (one process owns a spool directory)", .path.display())]
    Locked {
        /// The spool directory.
        path: std::path::PathBuf,
    },
    /// The spool was closed.
    #[error("the spool is closed")]
    Closed,
    /// A record larger than the spool takes.
    #[error("a record of {bytes} bytes is larger than the {max} bytes a record may hold")]
    TooLarge {
        /// The record's size.
        bytes: u64,
        /// The limit (`SpoolConfig::max_record_bytes`).
        max: u64,
    },
    /// `flush` waited its whole timeout and data is still waiting.
    #[error("flush timed out with {pending_bytes} bytes not yet in OSS")]
    FlushTimeout {
        /// Payload bytes not yet in OSS.
        pending_bytes: u64,
    },
    /// The spool directory could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// The checkpoint is damaged or does not match the journal; nothing is guessed.
    #[error("{}: {reason}; the spool is left as it is for inspection", .path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// The service error, if this is one.
    pub fn service(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The kind of service error, if this is one.
    pub fn service_kind(&self) -> Option<ServiceErrorKind> {
        self.service().map(|e| e.kind)
    }

    /// The in-flight append of an [`Unsettled`](Self::Unsettled) error.
    pub fn in_flight(&self) -> Option<&InFlight> {
        match self {
            Error::Unsettled(unsettled) => Some(&unsettled.in_flight),
            _ => None,
        }
    }

    /// Whether the same call may simply be made again: network errors, timeouts, and service errors
    /// that [`ServiceError::is_retryable`] names. An append that fails with one of these did not
    /// land (the client settled it before returning); one that may have landed is
    /// [`Unsettled`](Self::Unsettled), which is not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. } | Error::Timeout { .. } | Error::DownloadCrcMismatch { .. } => true,
            Error::Service(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// The spool error, if this is one.
    pub fn spool(&self) -> Option<&SpoolError> {
        match self {
            Error::Spool(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the data of the failed append is known to be in the object (CRC mismatch, unverified).
    pub fn landed(&self) -> bool {
        matches!(self, Error::CrcMismatch { .. } | Error::Unverified { .. })
    }

    /// The kind of the I/O error underneath a network or local I/O error.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Error::Network { source, .. } => source.as_ref().map(|e| e.kind()),
            Error::Body(e) => Some(e.kind()),
            _ => None,
        }
    }

    pub(crate) fn invalid(argument: Argument, reason: impl Into<String>) -> Self {
        Error::InvalidArgument { argument, reason: reason.into() }
    }

    pub(crate) fn network(message: impl Into<String>) -> Self {
        Error::Network { message: message.into(), source: None }
    }
}

impl From<ServiceError> for Error {
    fn from(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }
}

/// Why a TLS connection could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The server's certificate is not signed by an authority this client trusts (a private CA,
    /// a TLS-inspecting proxy, a self-signed certificate).
    UnknownIssuer,
    /// The certificate is for another name than the endpoint's host.
    NameMismatch,
    /// The certificate has expired, or is not valid yet (check this machine's clock too).
    Expired,
    /// The server answered in plain HTTP: the endpoint should be `http://`.
    PlainHttp,
    /// Another handshake failure (an unusable certificate, no protocol or cipher in common, ...).
    Other,
}

impl TlsErrorKind {
    /// What to do about it.
    pub(crate) fn hint(self, host: &str) -> String {
        match self {
            TlsErrorKind::UnknownIssuer => format!(
                "the certificate of {host} is not signed by an authority this client trusts: give the \
                 authority's certificate as a CA bundle (the emulator's, a private CA's or a TLS proxy's)"
            ),
            TlsErrorKind::NameMismatch => {
                format!("the certificate is not for {host}: check the endpoint's host name (and the bucket's, in virtual-host style)")
            }
            TlsErrorKind::Expired => {
                "the certificate has expired or is not valid yet: renew it, or check this machine's clock".into()
            }
            TlsErrorKind::PlainHttp => {
                format!("the server at {host} speaks plain HTTP, not HTTPS: use an http:// endpoint")
            }
            TlsErrorKind::Other => "the TLS handshake failed: check the endpoint and any proxy between".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_code_then_the_ec_then_the_status() {
        use ServiceErrorKind as K;
        assert_eq!(K::classify(409, "PositionNotEqualToLength", ""), K::PositionNotEqualToLength);
        // HEAD errors have no body: the EC decides.
        assert_eq!(K::classify(403, "", "0002-00000040"), K::SignatureDoesNotMatch);
        assert_eq!(K::classify(403, "", "0002-00000007"), K::SecurityTokenExpired);
        assert_eq!(K::classify(403, "", "0002-00000006"), K::InvalidSecurityToken);
        assert_eq!(K::classify(404, "", "0015-00000101"), K::NoSuchBucket);
        assert_eq!(K::classify(404, "", "0026-00000001"), K::NoSuchKey);
        // No code, no known EC.
        assert_eq!(K::classify(404, "", ""), K::NoSuchKey);
        assert_eq!(K::classify(404, "", "0099-00000001"), K::Other);
        assert_eq!(K::classify(403, "", ""), K::AccessDenied);
        assert_eq!(K::classify(502, "", ""), K::ServiceUnavailable);
        assert_eq!(K::classify(400, "SomethingNew", ""), K::Other);
        assert_eq!(K::classify(403, "SomethingNew", ""), K::AccessDenied);
        assert_eq!(K::classify(404, "SomethingNew", ""), K::Other);
        assert_eq!(K::classify(503, "SlowDownPlease", ""), K::ServiceUnavailable);
        for (_, kind) in EC_KINDS {
            assert_eq!(K::from_code(kind.code()), Some(*kind));
        }
    }

    #[test]
    fn retry_classification() {
        let service = |status, code: &str| Error::from(ServiceError::new(status, code));
        assert!(service(503, "ServiceUnavailable").is_retryable());
        assert!(service(500, "InternalError").is_retryable());
        assert!(service(502, "").is_retryable());
        assert!(service(408, "RequestTimeout").is_retryable());
        assert!(service(429, "TooManyRequests").is_retryable());
        assert!(service(403, "RequestTimeTooSkewed").is_retryable());
        assert!(!service(403, "SignatureDoesNotMatch").is_retryable());
        assert!(!service(409, "PositionNotEqualToLength").is_retryable());
        assert!(!service(404, "NoSuchKey").is_retryable());
        assert!(Error::network("reset").is_retryable());
        assert!(Error::Timeout { kind: TimeoutKind::ReadWrite, millis: 1 }.is_retryable());
        assert!(!Error::Cancelled.is_retryable());
        assert!(!Error::Protocol("junk".into()).is_retryable());
        assert!(!Error::CrcMismatch {
            expected_crc64: 1,
            server_crc64: 2,
            next_position: 3,
            request_id: String::new()
        }
        .is_retryable());
        let unsettled = Error::Unsettled(Box::new(Unsettled {
            in_flight: InFlight {
                bucket: "b".into(),
                key: "k".into(),
                position: 5,
                length: 3,
                body_crc64: 1,
                crc64_before: None,
            },
            cause: Error::network("unreachable"),
        }));
        assert!(!unsettled.is_retryable());
        let text = unsettled.to_string();
        assert!(text.contains("may have landed") && text.contains("at position 5") && text.contains("unreachable"));
    }

    #[test]
    fn landed_errors_say_so() {
        let crc = Error::CrcMismatch { expected_crc64: 1, server_crc64: 2, next_position: 3, request_id: "R".into() };
        let unverified = Error::Unverified { next_position: 3, request_id: "R".into() };
        for error in [crc, unverified] {
            assert!(error.landed());
            assert!(error.to_string().contains("the append landed"), "{error}");
            assert!(error.to_string().contains("do not append it again"), "{error}");
        }
    }

    #[test]
    fn network_errors_keep_their_source() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let error = Error::Network { message: "reset by peer".into(), source: Some(Arc::new(io)) };
        assert_eq!(error.io_kind(), Some(std::io::ErrorKind::ConnectionReset));
        assert!(std::error::Error::source(&error).is_some());
    }
}
