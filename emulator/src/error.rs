//! OSS errors as the service writes them.

use hyper::StatusCode;

/// An error response: status, code, message, EC, and any extra XML elements or headers.
#[derive(Debug, Clone)]
pub struct OssError {
    /// HTTP status.
    pub status: StatusCode,
    /// OSS error code.
    pub code: &'static str,
    /// Message.
    pub message: String,
    /// Detailed error code (EC), empty when none.
    pub ec: &'static str,
    /// Extra elements after `HostId` (e.g. `StringToSign`).
    pub extra: Vec<(&'static str, String)>,
    /// Extra response headers (e.g. `x-oss-next-append-position`).
    pub headers: Vec<(&'static str, String)>,
}

impl OssError {
    /// An error with no EC.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        OssError { status, code, message: message.into(), ec: "", extra: Vec::new(), headers: Vec::new() }
    }

    /// Sets the EC.
    pub fn ec(mut self, ec: &'static str) -> Self {
        self.ec = ec;
        self
    }

    /// Adds an XML element.
    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// 400 InvalidArgument.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    /// 403 AccessDenied.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "AccessDenied", message)
    }

    /// 404 NoSuchBucket.
    pub fn no_such_bucket(bucket: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist.")
            .extra("BucketName", bucket)
            .ec("0015-00000101")
    }

    /// 404 NoSuchKey.
    pub fn no_such_key(key: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.")
            .extra("Key", key)
            .ec("0026-00000001")
    }

    /// 500 InternalError, for a failed write.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", message)
    }

    /// 501 NotImplemented.
    pub fn not_implemented(what: &str) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("The emulator does not implement {what}."))
    }
}
