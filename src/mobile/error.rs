//! `OssError`: the one error Kotlin (`OssException`) and Swift (`OssError`) see, made from the core's
//! [`Error`](crate::Error) in one `From` conversion.

use std::fmt;

use super::num;
use super::types::InFlight;
use crate::error::{Error, ServiceError, ServiceErrorKind};

/// Why the spool refused or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SpoolErrorKind {
    /// The journal holds `maxBytes` already; nothing was written.
    Full,
    /// Another spool has the directory open.
    Locked,
    /// The spool was shut down.
    Closed,
    /// A record larger than a record may be.
    TooLarge,
    /// `flush` waited its whole timeout and data still waits.
    FlushTimeout,
    /// The spool directory could not be read or written.
    Io,
    /// The checkpoint or journal is damaged beyond what the spool repairs; left for inspection.
    Corrupt,
}

impl From<&crate::SpoolError> for SpoolErrorKind {
    fn from(error: &crate::SpoolError) -> Self {
        match error {
            crate::SpoolError::Full { .. } => Self::Full,
            crate::SpoolError::Locked { .. } => Self::Locked,
            crate::SpoolError::Closed => Self::Closed,
            crate::SpoolError::TooLarge { .. } => Self::TooLarge,
            crate::SpoolError::FlushTimeout { .. } => Self::FlushTimeout,
            crate::SpoolError::Io { .. } => Self::Io,
            crate::SpoolError::Corrupt { .. } => Self::Corrupt,
        }
    }
}

/// Why a TLS connection could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TlsErrorKind {
    /// The server's certificate is not signed by an authority the client trusts.
    UnknownIssuer,
    /// The certificate is for another name.
    NameMismatch,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// The server speaks plain HTTP: use an http:// endpoint.
    PlainHttp,
    /// Another handshake failure.
    Other,
}

impl From<crate::TlsErrorKind> for TlsErrorKind {
    fn from(kind: crate::TlsErrorKind) -> Self {
        match kind {
            crate::TlsErrorKind::UnknownIssuer => Self::UnknownIssuer,
            crate::TlsErrorKind::NameMismatch => Self::NameMismatch,
            crate::TlsErrorKind::Expired => Self::Expired,
            crate::TlsErrorKind::PlainHttp => Self::PlainHttp,
            _ => Self::Other,
        }
    }
}

/// Which of the application's callbacks threw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CallbackKind {
    /// A `ProgressListener`: the call it reported on stopped.
    Progress,
    /// A `SpoolListener`: the spool went on (see `SpoolStatus.listenerError`).
    SpoolListener,
}

/// Which timeout fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TimeoutKind {
    /// Establishing the TCP (and TLS) connection.
    Connect,
    /// Waiting to send or receive bytes on an open connection.
    ReadWrite,
    /// The whole request.
    Request,
}

impl From<crate::TimeoutKind> for TimeoutKind {
    fn from(kind: crate::TimeoutKind) -> Self {
        match kind {
            crate::TimeoutKind::Connect => TimeoutKind::Connect,
            crate::TimeoutKind::ReadWrite => TimeoutKind::ReadWrite,
            crate::TimeoutKind::Request => TimeoutKind::Request,
        }
    }
}

impl From<TimeoutKind> for crate::TimeoutKind {
    fn from(kind: TimeoutKind) -> Self {
        match kind {
            TimeoutKind::Connect => crate::TimeoutKind::Connect,
            TimeoutKind::ReadWrite => crate::TimeoutKind::ReadWrite,
            TimeoutKind::Request => crate::TimeoutKind::Request,
        }
    }
}

/// The service's answer to a request it refused.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ServiceFailure {
    /// What the error means.
    pub kind: ServiceErrorKind,
    /// HTTP status, e.g. 409.
    pub status: i32,
    /// OSS error code, e.g. `PositionNotEqualToLength` (empty for HEAD, whose errors have no body).
    pub code: String,
    /// The service's message (`Message` in the error XML).
    pub error_message: String,
    /// `x-oss-request-id`, for Alibaba Cloud support.
    pub request_id: String,
    /// The host that answered.
    pub host_id: String,
    /// Detailed error code, e.g. `0026-00000016`.
    pub ec: String,
    /// The object's real length, for `PositionNotEqualToLength`: where to append next.
    pub next_position: Option<i64>,
    /// The object's CRC-64, when the response carried it.
    pub server_crc64: Option<i64>,
    /// The position the append asked for.
    pub position: Option<i64>,
}

/// Everything that can go wrong. Its text (Kotlin `toString()`, Swift `description`) is the core's
/// message, which says what to do; secrets never appear in it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum OssError {
    /// The service answered with an error status: its answer, by field name (Swift
    /// `catch OssError.service(let failure)`, Kotlin `e.failure`, or `e.status` and the like).
    Service {
        /// The service's answer.
        failure: ServiceFailure,
    },
    /// The data reached the server but the server's CRC-64 of the object is not the one computed here.
    CrcMismatch {
        /// The CRC this client computed for the object after the append.
        expected_crc64: i64,
        /// The CRC the server reported.
        server_crc64: i64,
        /// The server's next append position.
        next_position: i64,
        /// Request id of the append.
        request_id: String,
    },
    /// The append landed but could not be verified: the response had no CRC-64. Do not append
    /// the data again.
    Unverified {
        /// The object's length after the append.
        next_position: i64,
        /// Request id of the append.
        request_id: String,
    },
    /// The append may have landed: its response was lost and settling it failed too. Never retry
    /// it as it is: settle `in_flight` (`OssClient.settle`) to learn whether it landed.
    Unsettled {
        /// The append, to keep and settle.
        in_flight: InFlight,
        /// The library's message.
        reason: String,
    },
    /// The bytes read do not match the object's CRC-64: read it again.
    DownloadCrcMismatch {
        /// The CRC of the bytes read.
        computed_crc64: i64,
        /// The service's CRC.
        server_crc64: i64,
        /// How many bytes were read.
        bytes_read: i64,
        /// Request id of the read.
        request_id: String,
    },
    /// The spool refused or failed: full, locked by another process, closed, flush timed out, its
    /// directory failed.
    Spool {
        /// What went wrong, to switch on.
        kind: SpoolErrorKind,
        /// The library's message.
        reason: String,
    },
    /// The connection failed or broke (DNS, refused, reset).
    Network {
        /// What failed.
        reason: String,
    },
    /// The TLS connection could not be made: not retryable, the trust (a CA bundle) or the
    /// endpoint must change.
    Tls {
        /// Why.
        kind: TlsErrorKind,
        /// The library's message, with what to do.
        reason: String,
    },
    /// A timeout fired.
    Timeout {
        /// Which timeout.
        kind: TimeoutKind,
        /// Its setting in milliseconds.
        millis: i64,
    },
    /// A progress listener returned false, or a cancel token was triggered.
    Cancelled,
    /// An argument was refused before anything was sent.
    InvalidArgument {
        /// Which argument.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// Credentials could not be had: none configured, or the credentials provider failed or threw.
    Credentials {
        /// Why.
        reason: String,
    },
    /// Reading the local body (a file) or writing a downloaded one failed.
    Body {
        /// What failed.
        reason: String,
    },
    /// The server's response could not be understood.
    Protocol {
        /// What was wrong with it.
        reason: String,
    },
    /// An application callback threw; the call stopped as if cancelled, so nothing of the body it
    /// was sending landed (a call whose bytes landed, or may have, reports that instead).
    Callback {
        /// Which callback.
        callback: CallbackKind,
        /// What it threw (the exception's text).
        reason: String,
    },
}

impl From<Error> for OssError {
    fn from(error: Error) -> Self {
        let text = error.to_string();
        match error {
            Error::Service(e) => OssError::Service {
                failure: ServiceFailure {
                    kind: e.kind,
                    status: e.status.into(),
                    code: e.code,
                    error_message: e.message,
                    request_id: e.request_id,
                    host_id: e.host_id,
                    ec: e.ec,
                    next_position: num::out_opt(e.next_position),
                    server_crc64: num::crc_out_opt(e.server_crc64),
                    position: num::out_opt(e.position),
                },
            },
            Error::CrcMismatch { expected_crc64, server_crc64, next_position, request_id } => OssError::CrcMismatch {
                expected_crc64: num::crc_out(expected_crc64),
                server_crc64: num::crc_out(server_crc64),
                next_position: num::out(next_position),
                request_id,
            },
            Error::Unverified { next_position, request_id } => {
                OssError::Unverified { next_position: num::out(next_position), request_id }
            }
            Error::Unsettled(unsettled) => OssError::Unsettled { in_flight: unsettled.in_flight.into(), reason: text },
            Error::DownloadCrcMismatch { computed_crc64, server_crc64, bytes_read, request_id } => {
                OssError::DownloadCrcMismatch {
                    computed_crc64: num::crc_out(computed_crc64),
                    server_crc64: num::crc_out(server_crc64),
                    bytes_read: num::out(bytes_read),
                    request_id,
                }
            }
            Error::Network { message, .. } => OssError::Network { reason: message },
            Error::Tls { kind, .. } => OssError::Tls { kind: kind.into(), reason: text },
            Error::Timeout { kind, millis } => OssError::Timeout { kind: kind.into(), millis: num::out(millis) },
            Error::Cancelled => OssError::Cancelled,
            Error::InvalidArgument { argument, reason } => {
                OssError::InvalidArgument { name: argument.name().to_string(), reason }
            }
            Error::Credentials { reason } => OssError::Credentials { reason },
            Error::Body(e) => OssError::Body { reason: e.to_string() },
            Error::Protocol(reason) => OssError::Protocol { reason },
            Error::BufferTooSmall { .. } => OssError::InvalidArgument { name: "buffer".to_string(), reason: text },
            Error::Spool(spool) => OssError::Spool { kind: (&spool).into(), reason: text },
        }
    }
}

/// A callback that threw something other than an `OssError`: what it threw, instead of a panic.
/// Kotlin hands over the exception's whole stack trace; its first line (the exception's class and
/// message) is kept. The kind is `Progress` here; the code that called the callback (`callbacks.rs`,
/// the spool's listener) knows which it was and says so (a credentials provider's becomes
/// `Credentials`).
impl From<uniffi::UnexpectedUniFFICallbackError> for OssError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        let reason = error.reason.lines().next().unwrap_or_default().trim_end().to_string();
        OssError::Callback { callback: CallbackKind::Progress, reason }
    }
}

impl std::error::Error for OssError {}

/// The core's text for the same error.
impl fmt::Display for OssError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let core = match self.clone() {
            OssError::Service {
                failure:
                    ServiceFailure {
                        kind: _,
                        status,
                        code,
                        error_message,
                        request_id,
                        host_id,
                        ec,
                        next_position,
                        server_crc64,
                        position,
                    },
            } => {
                let mut service = ServiceError::new(u16::try_from(status).unwrap_or(0), code);
                service.message = error_message;
                service.request_id = request_id;
                service.host_id = host_id;
                service.ec = ec;
                service.next_position = next_position.map(|p| p as u64);
                service.server_crc64 = server_crc64.map(num::crc_in);
                service.position = position.map(|p| p as u64);
                Error::from(service)
            }
            OssError::CrcMismatch { expected_crc64, server_crc64, next_position, request_id } => Error::CrcMismatch {
                expected_crc64: num::crc_in(expected_crc64),
                server_crc64: num::crc_in(server_crc64),
                next_position: next_position as u64,
                request_id,
            },
            OssError::Unverified { next_position, request_id } => {
                Error::Unverified { next_position: next_position as u64, request_id }
            }
            OssError::Unsettled { reason, .. } | OssError::Spool { reason, .. } | OssError::Tls { reason, .. } => {
                return f.write_str(&reason)
            }
            OssError::Callback { callback, reason } => {
                let which = match callback {
                    CallbackKind::Progress => "the progress listener",
                    CallbackKind::SpoolListener => "the spool listener",
                };
                return write!(f, "{which} threw: {reason}");
            }
            OssError::DownloadCrcMismatch { computed_crc64, server_crc64, bytes_read, request_id } => {
                Error::DownloadCrcMismatch {
                    computed_crc64: num::crc_in(computed_crc64),
                    server_crc64: num::crc_in(server_crc64),
                    bytes_read: bytes_read as u64,
                    request_id,
                }
            }
            OssError::Network { reason } => Error::network(reason),
            OssError::Timeout { kind, millis } => Error::Timeout { kind: kind.into(), millis: millis as u64 },
            OssError::Cancelled => Error::Cancelled,
            // The core's argument names are an enum; the text is the same.
            OssError::InvalidArgument { name, reason } => return write!(f, "invalid {name}: {reason}"),
            OssError::Credentials { reason } => Error::Credentials { reason },
            OssError::Body { reason } => Error::Body(std::io::Error::other(reason)),
            OssError::Protocol { reason } => Error::Protocol(reason),
        };
        core.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_error_keeps_every_field_and_the_core_text() {
        let mut service = ServiceError::new(409, "PositionNotEqualToLength");
        service.message = "Position is not equal to file length".into();
        service.request_id = "RID".into();
        service.host_id = "bucket.host".into();
        service.ec = "0026-00000016".into();
        service.next_position = Some(42);
        service.position = Some(7);
        let core_text = Error::from(service.clone()).to_string();
        let error = OssError::from(Error::from(service));
        assert_eq!(error.to_string(), core_text);
        match error {
            OssError::Service { failure: ServiceFailure { kind, status, code, ec, next_position, request_id, .. } } => {
                assert_eq!(kind, ServiceErrorKind::PositionNotEqualToLength);
                assert_eq!((status, code.as_str(), ec.as_str()), (409, "PositionNotEqualToLength", "0026-00000016"));
                assert_eq!((next_position, request_id.as_str()), (Some(42), "RID"));
            }
            other => panic!("not a service error: {other:?}"),
        }
    }

    #[test]
    fn unexpected_callback_error_keeps_what_was_thrown() {
        let thrown = "java.lang.IllegalStateException: boom\n\tat oss.append.Test.onProgress(Test.kt:3)\n";
        let error = OssError::from(uniffi::UnexpectedUniFFICallbackError::new(thrown));
        assert_eq!(
            error,
            OssError::Callback {
                callback: CallbackKind::Progress,
                reason: "java.lang.IllegalStateException: boom".into()
            }
        );
        assert_eq!(error.to_string(), "the progress listener threw: java.lang.IllegalStateException: boom");
    }

    #[test]
    fn invalid_argument_text_matches_the_core() {
        let core = Error::InvalidArgument { argument: crate::Argument::Bucket, reason: "is empty".into() };
        let text = core.to_string();
        assert_eq!(OssError::from(core).to_string(), text);
    }
}
