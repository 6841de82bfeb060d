//! `oss_append_result`: the one result code every fallible function returns.

use std::ffi::c_char;

use crate::Error;

/// The result of every fallible call. Numbered in groups and never renumbered: a retired value stays
/// reserved. `OSS_APPEND_RESULT_OK` (0) is success; every other value is a failure, and when the call was
/// given an `oss_append_error **error_out` the failure's details are in that handle.
///
/// - 1xx: an argument was refused before anything was sent.
/// - 2xx: the service answered with an error (`oss_append_error_http_status` and `oss_append_error_code` tell more).
/// - 3xx: the network failed or a timeout fired.
/// - 4xx: the call failed locally or its outcome needs care: CRC mismatch (landed), cancellation,
///   credentials, local I/O, protocol, unverified (landed), unsettled (may have landed).
///
/// `oss_append_result_is_retryable` says which codes mean "nothing was written: the same call may be made
/// again".
/// - 5xx: the spool refused or failed.
/// - 9xx: a bug in the library (a panic was caught); please report it.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_result {
    /// Success.
    Ok = 0,

    /// A required pointer argument was NULL (or a NULL data pointer came with a non-zero length).
    NullPointer = 100,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 101,
    /// The bucket name is not 3-63 lowercase letters, digits and hyphens.
    InvalidBucket = 102,
    /// The object key is empty, longer than 1023 bytes, or starts with `/` or `\`.
    InvalidKey = 103,
    /// Another argument was refused; the error handle's message names it.
    InvalidArgument = 104,
    /// The append would make the object larger than 5 GiB, or the position is out of range.
    PositionTooLarge = 105,
    /// A header value holds a line break or control character, or is not one of the allowed values
    /// (ACL, storage class, encryption), or a metadata name is not letters, digits, `-` and `_`.
    InvalidHeaderValue = 106,
    /// The endpoint is not an http or https URL without a path.
    InvalidEndpoint = 107,
    /// The region is missing (V4 signing needs one for custom endpoints) or not a region id.
    InvalidRegion = 108,
    /// The caller's buffer is too small for the object.
    BufferTooSmall = 109,

    /// The service answered with an error not given its own code below.
    ServiceError = 200,
    /// 409 PositionNotEqualToLength: the position is not the object's length;
    /// `oss_append_error_next_position` gives the real length.
    PositionNotEqualToLength = 201,
    /// 409 ObjectNotAppendable: the object was made by a put or multipart upload.
    ObjectNotAppendable = 202,
    /// 404: the object does not exist.
    NoSuchKey = 203,
    /// 404 NoSuchBucket: the bucket does not exist.
    NoSuchBucket = 204,
    /// 403: access denied (another 403 not listed below).
    AccessDenied = 205,
    /// 403 SignatureDoesNotMatch: wrong access key secret, region or signature version.
    SignatureDoesNotMatch = 206,
    /// 403 InvalidAccessKeyId: the access key id is unknown.
    InvalidAccessKeyId = 207,
    /// 403 SecurityTokenExpired or InvalidSecurityToken: fetch a new STS token.
    SecurityTokenExpired = 208,
    /// 403 RequestTimeTooSkewed: this machine's clock is too far off.
    RequestTimeTooSkewed = 209,
    /// 5xx: the service failed (after the retries).
    ServiceUnavailable = 210,
    /// 429 or a throttling code: too many requests (after the retries).
    TooManyRequests = 211,
    /// 408 RequestTimeout: the service timed out reading the request (after the retries).
    ServiceRequestTimeout = 212,

    /// The connection failed or broke (DNS, refused, reset, TLS).
    Network = 300,
    /// The connect timeout fired.
    ConnectTimeout = 301,
    /// The read/write timeout fired on an open connection.
    ReadWriteTimeout = 302,
    /// The whole-request timeout fired.
    RequestTimeout = 303,
    /// The TLS connection could not be made (`oss_append_error_tls_kind` says why: an untrusted
    /// certificate, another name, out of date, a plain-HTTP server). Not retryable: the trust (a CA
    /// bundle) or the endpoint must change.
    Tls = 304,

    /// The service's CRC-64 after the append differs from the one computed here: the data reached the
    /// server but is not what was sent, or the object CRC given in the options was wrong.
    CrcMismatch = 400,
    /// Cancelled by a progress callback returning false or by a cancel token.
    Cancelled = 401,
    /// Credentials could not be had (none configured, or the provider callback failed).
    Credentials = 402,
    /// Reading or writing a local file failed (for example, the file to append does not exist).
    Io = 403,
    /// The server's response could not be understood.
    Protocol = 404,
    /// The append landed but could not be verified: the response carried no CRC-64. Do not append
    /// the data again.
    Unverified = 405,
    /// The append may have landed: its response was lost and settling it failed too. Never retry it
    /// as it is: `oss_append_error_in_flight` gives the append, `oss_append_settle` proves whether it landed.
    Unsettled = 406,
    /// The bytes read do not match the object's CRC-64: read it again.
    DownloadCrcMismatch = 407,

    /// The spool's journal is full (its full policy refused, waited too long, or had nothing to drop).
    SpoolFull = 500,
    /// Another process has the spool directory open.
    SpoolLocked = 501,
    /// The spool is closed.
    SpoolClosed = 502,
    /// The spool's checkpoint is damaged or does not match its journal; nothing was guessed.
    SpoolCorrupt = 503,
    /// A spool flush waited its whole timeout with data not yet in OSS.
    FlushTimeout = 504,
    /// A record larger than the spool takes.
    RecordTooLarge = 505,

    /// The library panicked; the panic was caught. A bug: please report it with the message.
    Panic = 900,
    /// An error the library does not know how to classify. A bug: please report it.
    Internal = 901,
}

/// Every code, for the name table and the tests.
pub(crate) const ALL: &[(oss_append_result, &str)] = &[
    (oss_append_result::Ok, "OSS_APPEND_RESULT_OK\0"),
    (oss_append_result::NullPointer, "OSS_APPEND_RESULT_NULL_POINTER\0"),
    (oss_append_result::InvalidUtf8, "OSS_APPEND_RESULT_INVALID_UTF8\0"),
    (oss_append_result::InvalidBucket, "OSS_APPEND_RESULT_INVALID_BUCKET\0"),
    (oss_append_result::InvalidKey, "OSS_APPEND_RESULT_INVALID_KEY\0"),
    (oss_append_result::InvalidArgument, "OSS_APPEND_RESULT_INVALID_ARGUMENT\0"),
    (oss_append_result::PositionTooLarge, "OSS_APPEND_RESULT_POSITION_TOO_LARGE\0"),
    (oss_append_result::InvalidHeaderValue, "OSS_APPEND_RESULT_INVALID_HEADER_VALUE\0"),
    (oss_append_result::InvalidEndpoint, "OSS_APPEND_RESULT_INVALID_ENDPOINT\0"),
    (oss_append_result::InvalidRegion, "OSS_APPEND_RESULT_INVALID_REGION\0"),
    (oss_append_result::BufferTooSmall, "OSS_APPEND_RESULT_BUFFER_TOO_SMALL\0"),
    (oss_append_result::ServiceError, "OSS_APPEND_RESULT_SERVICE_ERROR\0"),
    (oss_append_result::PositionNotEqualToLength, "OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH\0"),
    (oss_append_result::ObjectNotAppendable, "OSS_APPEND_RESULT_OBJECT_NOT_APPENDABLE\0"),
    (oss_append_result::NoSuchKey, "OSS_APPEND_RESULT_NO_SUCH_KEY\0"),
    (oss_append_result::NoSuchBucket, "OSS_APPEND_RESULT_NO_SUCH_BUCKET\0"),
    (oss_append_result::AccessDenied, "OSS_APPEND_RESULT_ACCESS_DENIED\0"),
    (oss_append_result::SignatureDoesNotMatch, "OSS_APPEND_RESULT_SIGNATURE_DOES_NOT_MATCH\0"),
    (oss_append_result::InvalidAccessKeyId, "OSS_APPEND_RESULT_INVALID_ACCESS_KEY_ID\0"),
    (oss_append_result::SecurityTokenExpired, "OSS_APPEND_RESULT_SECURITY_TOKEN_EXPIRED\0"),
    (oss_append_result::RequestTimeTooSkewed, "OSS_APPEND_RESULT_REQUEST_TIME_TOO_SKEWED\0"),
    (oss_append_result::ServiceUnavailable, "OSS_APPEND_RESULT_SERVICE_UNAVAILABLE\0"),
    (oss_append_result::TooManyRequests, "OSS_APPEND_RESULT_TOO_MANY_REQUESTS\0"),
    (oss_append_result::ServiceRequestTimeout, "OSS_APPEND_RESULT_SERVICE_REQUEST_TIMEOUT\0"),
    (oss_append_result::Network, "OSS_APPEND_RESULT_NETWORK\0"),
    (oss_append_result::ConnectTimeout, "OSS_APPEND_RESULT_CONNECT_TIMEOUT\0"),
    (oss_append_result::ReadWriteTimeout, "OSS_APPEND_RESULT_READ_WRITE_TIMEOUT\0"),
    (oss_append_result::RequestTimeout, "OSS_APPEND_RESULT_REQUEST_TIMEOUT\0"),
    (oss_append_result::Tls, "OSS_APPEND_RESULT_TLS\0"),
    (oss_append_result::CrcMismatch, "OSS_APPEND_RESULT_CRC_MISMATCH\0"),
    (oss_append_result::Cancelled, "OSS_APPEND_RESULT_CANCELLED\0"),
    (oss_append_result::Credentials, "OSS_APPEND_RESULT_CREDENTIALS\0"),
    (oss_append_result::Io, "OSS_APPEND_RESULT_IO\0"),
    (oss_append_result::Protocol, "OSS_APPEND_RESULT_PROTOCOL\0"),
    (oss_append_result::Unverified, "OSS_APPEND_RESULT_UNVERIFIED\0"),
    (oss_append_result::Unsettled, "OSS_APPEND_RESULT_UNSETTLED\0"),
    (oss_append_result::DownloadCrcMismatch, "OSS_APPEND_RESULT_DOWNLOAD_CRC_MISMATCH\0"),
    (oss_append_result::SpoolFull, "OSS_APPEND_RESULT_SPOOL_FULL\0"),
    (oss_append_result::SpoolLocked, "OSS_APPEND_RESULT_SPOOL_LOCKED\0"),
    (oss_append_result::SpoolClosed, "OSS_APPEND_RESULT_SPOOL_CLOSED\0"),
    (oss_append_result::SpoolCorrupt, "OSS_APPEND_RESULT_SPOOL_CORRUPT\0"),
    (oss_append_result::FlushTimeout, "OSS_APPEND_RESULT_FLUSH_TIMEOUT\0"),
    (oss_append_result::RecordTooLarge, "OSS_APPEND_RESULT_RECORD_TOO_LARGE\0"),
    (oss_append_result::Panic, "OSS_APPEND_RESULT_PANIC\0"),
    (oss_append_result::Internal, "OSS_APPEND_RESULT_INTERNAL\0"),
];

impl oss_append_result {
    /// The code for an error of the core library: a translation of its kind, nothing decided here.
    pub(crate) fn from_core(error: &Error) -> Self {
        use crate::{Argument as A, ServiceErrorKind as K, TimeoutKind};
        match error {
            Error::Service(service) => match service.kind {
                K::PositionNotEqualToLength => Self::PositionNotEqualToLength,
                K::ObjectNotAppendable => Self::ObjectNotAppendable,
                K::NoSuchBucket => Self::NoSuchBucket,
                K::NoSuchKey => Self::NoSuchKey,
                K::SignatureDoesNotMatch => Self::SignatureDoesNotMatch,
                K::InvalidAccessKeyId => Self::InvalidAccessKeyId,
                K::SecurityTokenExpired | K::InvalidSecurityToken => Self::SecurityTokenExpired,
                K::RequestTimeTooSkewed => Self::RequestTimeTooSkewed,
                K::AccessDenied => Self::AccessDenied,
                K::TooManyRequests => Self::TooManyRequests,
                K::RequestTimeout => Self::ServiceRequestTimeout,
                K::InternalError | K::ServiceUnavailable => Self::ServiceUnavailable,
                _ if service.is_retryable() => Self::ServiceUnavailable,
                _ => Self::ServiceError,
            },
            Error::CrcMismatch { .. } => Self::CrcMismatch,
            Error::Unverified { .. } => Self::Unverified,
            Error::Unsettled(_) => Self::Unsettled,
            Error::DownloadCrcMismatch { .. } => Self::DownloadCrcMismatch,
            Error::Network { .. } => Self::Network,
            Error::Timeout { kind: TimeoutKind::Connect, .. } => Self::ConnectTimeout,
            Error::Timeout { kind: TimeoutKind::ReadWrite, .. } => Self::ReadWriteTimeout,
            Error::Timeout { kind: TimeoutKind::Request, .. } => Self::RequestTimeout,
            Error::Cancelled => Self::Cancelled,
            Error::InvalidArgument { argument, .. } => match argument {
                A::Bucket => Self::InvalidBucket,
                A::Key => Self::InvalidKey,
                A::Position => Self::PositionTooLarge,
                A::Endpoint => Self::InvalidEndpoint,
                A::Region => Self::InvalidRegion,
                // The core refuses a file it cannot open as an invalid body.
                A::Body => Self::Io,
                a if a.is_header() => Self::InvalidHeaderValue,
                _ => Self::InvalidArgument,
            },
            Error::Credentials { .. } => Self::Credentials,
            Error::Body(_) => Self::Io,
            Error::Protocol(_) => Self::Protocol,
            Error::BufferTooSmall { .. } => Self::BufferTooSmall,
            Error::Tls { .. } => Self::Tls,
            Error::Spool(spool) => match spool {
                crate::SpoolError::Full { .. } => Self::SpoolFull,
                crate::SpoolError::Locked { .. } => Self::SpoolLocked,
                crate::SpoolError::Closed => Self::SpoolClosed,
                crate::SpoolError::Corrupt { .. } => Self::SpoolCorrupt,
                crate::SpoolError::FlushTimeout { .. } => Self::FlushTimeout,
                crate::SpoolError::TooLarge { .. } => Self::RecordTooLarge,
                crate::SpoolError::Io { .. } => Self::Io,
            },
        }
    }

    /// Whether every error with this code is [retryable](crate::Error::is_retryable) in the core.
    pub(crate) fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::Network
                | Self::ConnectTimeout
                | Self::ReadWriteTimeout
                | Self::RequestTimeout
                | Self::ServiceUnavailable
                | Self::TooManyRequests
                | Self::ServiceRequestTimeout
                | Self::RequestTimeTooSkewed
                | Self::DownloadCrcMismatch
        )
    }

    /// The code's name with its NUL, e.g. `"OSS_APPEND_RESULT_OK\0"`.
    pub(crate) fn name_with_nul(code: u32) -> &'static str {
        ALL.iter().find(|(c, _)| *c as u32 == code).map(|(_, name)| *name).unwrap_or("OSS_APPEND_RESULT_UNKNOWN\0")
    }
}

/// The name of a result code, e.g. `"OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH"`; `"OSS_APPEND_RESULT_UNKNOWN"`
/// for a value that is not a code.
///
/// `result` is a plain `uint32_t`, so any value may be passed. The returned string is static: never
/// free it. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_result_name(result: u32) -> *const c_char {
    oss_append_result::name_with_nul(result).as_ptr().cast()
}

/// Whether a failure with this code left nothing written, so the same call may simply be made again
/// (after a pause): network failures, timeouts, 5xx, 429, 408, clock skew (the client corrected its
/// clock). The library's own classification, the one its other languages use. An
/// `OSS_APPEND_RESULT_UNSETTLED` append is never retryable: its bytes may be in the object.
///
/// `result` is a plain `uint32_t`: any value may be passed (unknown values give false). Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_result_is_retryable(result: u32) -> bool {
    ALL.iter().find(|(code, _)| *code as u32 == result).is_some_and(|(code, _)| code.is_retryable())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServiceError;

    #[test]
    fn names_are_unique_and_nul_terminated() {
        let mut seen = std::collections::HashSet::new();
        for (code, name) in ALL {
            assert!(name.ends_with('\0') && name.starts_with("OSS_APPEND_RESULT_"));
            assert!(seen.insert(*code as u32), "duplicate {name}");
        }
        assert_eq!(oss_append_result::name_with_nul(12345), "OSS_APPEND_RESULT_UNKNOWN\0");
    }

    #[test]
    fn service_errors_map_by_code_then_status() {
        let service = |status, code: &str| Error::from(ServiceError::new(status, code));
        assert_eq!(
            oss_append_result::from_core(&service(409, "PositionNotEqualToLength")),
            oss_append_result::PositionNotEqualToLength
        );
        assert_eq!(
            oss_append_result::from_core(&service(409, "ObjectNotAppendable")),
            oss_append_result::ObjectNotAppendable
        );
        assert_eq!(
            oss_append_result::from_core(&service(403, "SignatureDoesNotMatch")),
            oss_append_result::SignatureDoesNotMatch
        );
        assert_eq!(
            oss_append_result::from_core(&service(403, "InvalidSecurityToken")),
            oss_append_result::SecurityTokenExpired
        );
        assert_eq!(oss_append_result::from_core(&service(403, "Whatever")), oss_append_result::AccessDenied);
        assert_eq!(oss_append_result::from_core(&service(404, "")), oss_append_result::NoSuchKey);
        assert_eq!(oss_append_result::from_core(&service(404, "NoSuchBucket")), oss_append_result::NoSuchBucket);
        assert_eq!(
            oss_append_result::from_core(&service(503, "ServiceUnavailable")),
            oss_append_result::ServiceUnavailable
        );
        assert_eq!(oss_append_result::from_core(&service(400, "InvalidArgument")), oss_append_result::ServiceError);
    }

    #[test]
    fn a_code_is_retryable_exactly_when_its_errors_are() {
        use crate::{Argument, InFlight, TimeoutKind, Unsettled};
        let service = |status, code: &str| Error::from(ServiceError::new(status, code));
        let errors = vec![
            service(409, "PositionNotEqualToLength"),
            service(409, "ObjectNotAppendable"),
            service(404, "NoSuchKey"),
            service(404, "NoSuchBucket"),
            service(403, "AccessDenied"),
            service(403, "SignatureDoesNotMatch"),
            service(403, "InvalidAccessKeyId"),
            service(403, "SecurityTokenExpired"),
            service(403, "InvalidSecurityToken"),
            service(403, "RequestTimeTooSkewed"),
            service(400, "InvalidArgument"),
            service(400, "SomethingNew"),
            service(408, "RequestTimeout"),
            service(429, "TooManyRequests"),
            service(500, "InternalError"),
            service(502, ""),
            service(503, "ServiceUnavailable"),
            service(599, "Whatever"),
            Error::CrcMismatch { expected_crc64: 1, server_crc64: 2, next_position: 3, request_id: String::new() },
            Error::Unverified { next_position: 3, request_id: String::new() },
            Error::DownloadCrcMismatch { computed_crc64: 1, server_crc64: 2, bytes_read: 3, request_id: String::new() },
            Error::Unsettled(Box::new(Unsettled {
                in_flight: InFlight {
                    bucket: "b".into(),
                    key: "k".into(),
                    position: 0,
                    length: 1,
                    body_crc64: 0,
                    crc64_before: None,
                },
                cause: Error::network("x"),
            })),
            Error::network("reset"),
            Error::Timeout { kind: TimeoutKind::Connect, millis: 1 },
            Error::Timeout { kind: TimeoutKind::ReadWrite, millis: 1 },
            Error::Timeout { kind: TimeoutKind::Request, millis: 1 },
            Error::Cancelled,
            Error::InvalidArgument { argument: Argument::Bucket, reason: String::new() },
            Error::InvalidArgument { argument: Argument::RetryPolicy, reason: String::new() },
            Error::Credentials { reason: String::new() },
            Error::Body(std::io::Error::other("x")),
            Error::Protocol("junk".into()),
        ];
        for error in &errors {
            let code = oss_append_result::from_core(error);
            assert_eq!(code.is_retryable(), error.is_retryable(), "{error:?} -> {code:?}");
            assert_eq!(oss_append_result_is_retryable(code as u32), error.is_retryable(), "{error:?}");
            assert_ne!(code, oss_append_result::Internal, "{error:?}");
        }
        assert!(!oss_append_result_is_retryable(12345));
        assert!(!oss_append_result_is_retryable(oss_append_result::Ok as u32));
    }

    #[test]
    fn local_errors_map_by_kind() {
        assert_eq!(oss_append_result::from_core(&Error::Cancelled), oss_append_result::Cancelled);
        assert_eq!(
            oss_append_result::from_core(&Error::InvalidArgument {
                argument: crate::Argument::StorageClass,
                reason: String::new()
            }),
            oss_append_result::InvalidHeaderValue
        );
        assert_eq!(
            oss_append_result::from_core(&Error::Timeout { kind: crate::TimeoutKind::Connect, millis: 1 }),
            oss_append_result::ConnectTimeout
        );
    }
}
