//! `oss_result`: the one result code every fallible function returns.

use std::ffi::c_char;

use crate::Error;

/// The result of every fallible call. Numbered in groups and never renumbered: a retired value stays
/// reserved. `OSS_RESULT_OK` (0) is success; every other value is a failure, and when the call was
/// given an `oss_error **error_out` the failure's details are in that handle.
///
/// - 1xx: an argument was refused before anything was sent.
/// - 2xx: the service answered with an error (`oss_error_http_status` and `oss_error_code` tell more).
/// - 3xx: the network failed or a timeout fired.
/// - 4xx: the call failed locally: CRC mismatch, cancellation, credentials, local I/O, protocol.
/// - 9xx: a bug in the library (a panic was caught); please report it.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_result {
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
    /// `oss_error_next_position` gives the real length.
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

    /// The connection failed or broke (DNS, refused, reset, TLS).
    Network = 300,
    /// The connect timeout fired.
    ConnectTimeout = 301,
    /// The read/write timeout fired on an open connection.
    ReadWriteTimeout = 302,
    /// The whole-request timeout fired.
    RequestTimeout = 303,

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

    /// The library panicked; the panic was caught. A bug: please report it with the message.
    Panic = 900,
    /// An error the library does not know how to classify. A bug: please report it.
    Internal = 901,
}

/// Every code, for the name table and the tests.
pub(crate) const ALL: &[(oss_result, &str)] = &[
    (oss_result::Ok, "OSS_RESULT_OK\0"),
    (oss_result::NullPointer, "OSS_RESULT_NULL_POINTER\0"),
    (oss_result::InvalidUtf8, "OSS_RESULT_INVALID_UTF8\0"),
    (oss_result::InvalidBucket, "OSS_RESULT_INVALID_BUCKET\0"),
    (oss_result::InvalidKey, "OSS_RESULT_INVALID_KEY\0"),
    (oss_result::InvalidArgument, "OSS_RESULT_INVALID_ARGUMENT\0"),
    (oss_result::PositionTooLarge, "OSS_RESULT_POSITION_TOO_LARGE\0"),
    (oss_result::InvalidHeaderValue, "OSS_RESULT_INVALID_HEADER_VALUE\0"),
    (oss_result::InvalidEndpoint, "OSS_RESULT_INVALID_ENDPOINT\0"),
    (oss_result::InvalidRegion, "OSS_RESULT_INVALID_REGION\0"),
    (oss_result::BufferTooSmall, "OSS_RESULT_BUFFER_TOO_SMALL\0"),
    (oss_result::ServiceError, "OSS_RESULT_SERVICE_ERROR\0"),
    (oss_result::PositionNotEqualToLength, "OSS_RESULT_POSITION_NOT_EQUAL_TO_LENGTH\0"),
    (oss_result::ObjectNotAppendable, "OSS_RESULT_OBJECT_NOT_APPENDABLE\0"),
    (oss_result::NoSuchKey, "OSS_RESULT_NO_SUCH_KEY\0"),
    (oss_result::NoSuchBucket, "OSS_RESULT_NO_SUCH_BUCKET\0"),
    (oss_result::AccessDenied, "OSS_RESULT_ACCESS_DENIED\0"),
    (oss_result::SignatureDoesNotMatch, "OSS_RESULT_SIGNATURE_DOES_NOT_MATCH\0"),
    (oss_result::InvalidAccessKeyId, "OSS_RESULT_INVALID_ACCESS_KEY_ID\0"),
    (oss_result::SecurityTokenExpired, "OSS_RESULT_SECURITY_TOKEN_EXPIRED\0"),
    (oss_result::RequestTimeTooSkewed, "OSS_RESULT_REQUEST_TIME_TOO_SKEWED\0"),
    (oss_result::ServiceUnavailable, "OSS_RESULT_SERVICE_UNAVAILABLE\0"),
    (oss_result::Network, "OSS_RESULT_NETWORK\0"),
    (oss_result::ConnectTimeout, "OSS_RESULT_CONNECT_TIMEOUT\0"),
    (oss_result::ReadWriteTimeout, "OSS_RESULT_READ_WRITE_TIMEOUT\0"),
    (oss_result::RequestTimeout, "OSS_RESULT_REQUEST_TIMEOUT\0"),
    (oss_result::CrcMismatch, "OSS_RESULT_CRC_MISMATCH\0"),
    (oss_result::Cancelled, "OSS_RESULT_CANCELLED\0"),
    (oss_result::Credentials, "OSS_RESULT_CREDENTIALS\0"),
    (oss_result::Io, "OSS_RESULT_IO\0"),
    (oss_result::Protocol, "OSS_RESULT_PROTOCOL\0"),
    (oss_result::Panic, "OSS_RESULT_PANIC\0"),
    (oss_result::Internal, "OSS_RESULT_INTERNAL\0"),
];

impl oss_result {
    /// The code for an error of the core library.
    pub(crate) fn from_core(error: &Error) -> Self {
        use crate::TimeoutKind;
        match error {
            Error::Service(service) => match (service.status, service.code.as_str()) {
                (_, "PositionNotEqualToLength") => Self::PositionNotEqualToLength,
                (_, "ObjectNotAppendable") => Self::ObjectNotAppendable,
                (_, "NoSuchBucket") => Self::NoSuchBucket,
                (_, "NoSuchKey") => Self::NoSuchKey,
                (_, "SignatureDoesNotMatch") => Self::SignatureDoesNotMatch,
                (_, "InvalidAccessKeyId") => Self::InvalidAccessKeyId,
                (_, "SecurityTokenExpired") | (_, "InvalidSecurityToken") => Self::SecurityTokenExpired,
                (_, "RequestTimeTooSkewed") => Self::RequestTimeTooSkewed,
                (403, _) | (_, "AccessDenied") => Self::AccessDenied,
                (404, _) => Self::NoSuchKey,
                (status, _) if status >= 500 => Self::ServiceUnavailable,
                _ => Self::ServiceError,
            },
            Error::CrcMismatch { .. } => Self::CrcMismatch,
            Error::Network { .. } => Self::Network,
            Error::Timeout { kind: TimeoutKind::Connect, .. } => Self::ConnectTimeout,
            Error::Timeout { kind: TimeoutKind::ReadWrite, .. } => Self::ReadWriteTimeout,
            Error::Timeout { kind: TimeoutKind::Request, .. } => Self::RequestTimeout,
            Error::Cancelled => Self::Cancelled,
            Error::InvalidArgument { name, .. } => match *name {
                "bucket" => Self::InvalidBucket,
                "key" => Self::InvalidKey,
                "position" => Self::PositionTooLarge,
                "endpoint" => Self::InvalidEndpoint,
                "region" => Self::InvalidRegion,
                // The core refuses a file it cannot open as an invalid body.
                "body" => Self::Io,
                "content type"
                | "cache control"
                | "content disposition"
                | "content encoding"
                | "expires"
                | "content MD5"
                | "metadata name"
                | "metadata value"
                | "object ACL"
                | "storage class"
                | "server-side encryption"
                | "tagging"
                | "forbid overwrite"
                | "traffic limit"
                | "user agent" => Self::InvalidHeaderValue,
                _ => Self::InvalidArgument,
            },
            Error::Credentials { .. } => Self::Credentials,
            Error::Body(_) => Self::Io,
            Error::Protocol(_) => Self::Protocol,
        }
    }

    /// The code's name with its NUL, e.g. `"OSS_RESULT_OK\0"`.
    pub(crate) fn name_with_nul(code: u32) -> &'static str {
        ALL.iter().find(|(c, _)| *c as u32 == code).map(|(_, name)| *name).unwrap_or("OSS_RESULT_UNKNOWN\0")
    }
}

/// The name of a result code, e.g. `"OSS_RESULT_POSITION_NOT_EQUAL_TO_LENGTH"`; `"OSS_RESULT_UNKNOWN"`
/// for a value that is not a code.
///
/// `result` is a plain `uint32_t`, so any value may be passed. The returned string is static: never
/// free it. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_result_name(result: u32) -> *const c_char {
    oss_result::name_with_nul(result).as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServiceError;

    #[test]
    fn names_are_unique_and_nul_terminated() {
        let mut seen = std::collections::HashSet::new();
        for (code, name) in ALL {
            assert!(name.ends_with('\0') && name.starts_with("OSS_RESULT_"));
            assert!(seen.insert(*code as u32), "duplicate {name}");
        }
        assert_eq!(oss_result::name_with_nul(12345), "OSS_RESULT_UNKNOWN\0");
    }

    #[test]
    fn service_errors_map_by_code_then_status() {
        let service =
            |status, code: &str| Error::from(ServiceError { status, code: code.into(), ..Default::default() });
        assert_eq!(
            oss_result::from_core(&service(409, "PositionNotEqualToLength")),
            oss_result::PositionNotEqualToLength
        );
        assert_eq!(oss_result::from_core(&service(409, "ObjectNotAppendable")), oss_result::ObjectNotAppendable);
        assert_eq!(oss_result::from_core(&service(403, "SignatureDoesNotMatch")), oss_result::SignatureDoesNotMatch);
        assert_eq!(oss_result::from_core(&service(403, "InvalidSecurityToken")), oss_result::SecurityTokenExpired);
        assert_eq!(oss_result::from_core(&service(403, "Whatever")), oss_result::AccessDenied);
        assert_eq!(oss_result::from_core(&service(404, "")), oss_result::NoSuchKey);
        assert_eq!(oss_result::from_core(&service(404, "NoSuchBucket")), oss_result::NoSuchBucket);
        assert_eq!(oss_result::from_core(&service(503, "ServiceUnavailable")), oss_result::ServiceUnavailable);
        assert_eq!(oss_result::from_core(&service(400, "InvalidArgument")), oss_result::ServiceError);
    }

    #[test]
    fn local_errors_map_by_kind() {
        assert_eq!(oss_result::from_core(&Error::Cancelled), oss_result::Cancelled);
        assert_eq!(
            oss_result::from_core(&Error::InvalidArgument { name: "storage class", reason: String::new() }),
            oss_result::InvalidHeaderValue
        );
        assert_eq!(
            oss_result::from_core(&Error::Timeout { kind: crate::TimeoutKind::Connect, millis: 1 }),
            oss_result::ConnectTimeout
        );
    }
}
