//! What operations take and give back.

use std::fmt;
use std::sync::Arc;

use crate::body::{CancelToken, ProgressFn};
use crate::error::{Argument, Error};
use crate::validate;

/// How `Content-MD5` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ContentMd5 {
    /// Not sent. The default: the CRC-64 check covers the data already.
    #[default]
    None,
    /// Computed by the library from the body (reads a file body twice; not possible for a reader body).
    Compute,
    /// This base64 value, sent as given.
    Value(String),
}

/// Headers that describe an object. Except for `content_md5`, `forbid_overwrite` and `traffic_limit`,
/// they take effect when the object is created, so an append sends them only at position 0.
///
/// ```
/// let headers = oss_append::ObjectHeaders::new().content_type("text/plain").metadata("owner", "ops");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectHeaders {
    /// `Content-Type`. Default: none (the service then uses `application/octet-stream`).
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Expires`.
    pub expires: Option<String>,
    /// `Content-MD5` of the body.
    pub content_md5: ContentMd5,
    /// User metadata, sent as `x-oss-meta-<name>`; names of letters, digits, `-` and `_`.
    pub metadata: Vec<(String, String)>,
    /// `x-oss-object-acl`: `default`, `private`, `public-read` or `public-read-write`.
    pub object_acl: Option<String>,
    /// `x-oss-storage-class`: `Standard`, `IA` or `Archive` (`ColdArchive` and `DeepColdArchive` for puts only).
    pub storage_class: Option<String>,
    /// `x-oss-server-side-encryption`: `AES256`, `KMS` or `SM4`.
    pub server_side_encryption: Option<String>,
    /// `x-oss-tagging`, URL-encoded `k1=v1&k2=v2`.
    pub tagging: Option<String>,
    /// `x-oss-forbid-overwrite`: refuse to replace an existing object.
    pub forbid_overwrite: Option<bool>,
    /// `x-oss-traffic-limit` in bit/s, 245760 to 838860800.
    pub traffic_limit: Option<u64>,
}

/// Values the service accepts for the enumerated headers.
const ACLS: &[&str] = &["default", "private", "public-read", "public-read-write"];
const APPEND_STORAGE_CLASSES: &[&str] = &["Standard", "IA", "Archive"];
const PUT_STORAGE_CLASSES: &[&str] = &["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"];
const ENCRYPTIONS: &[&str] = &["AES256", "KMS", "SM4"];

/// A setter of an optional text header, for `ObjectHeaders`.
macro_rules! text_setters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: impl Into<String>) -> Self {
                self.$name = Some(value.into());
                self
            }
        )*
    };
}

impl ObjectHeaders {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    text_setters! {
        /// Sets `Content-Type`.
        content_type,
        /// Sets `Cache-Control`.
        cache_control,
        /// Sets `Content-Disposition`.
        content_disposition,
        /// Sets `Content-Encoding`.
        content_encoding,
        /// Sets `Expires`.
        expires,
        /// Sets `x-oss-object-acl`.
        object_acl,
        /// Sets `x-oss-storage-class`.
        storage_class,
        /// Sets `x-oss-server-side-encryption`.
        server_side_encryption,
        /// Sets `x-oss-tagging`.
        tagging,
    }

    /// Sets how `Content-MD5` is sent.
    pub fn content_md5(mut self, md5: ContentMd5) -> Self {
        self.content_md5 = md5;
        self
    }

    /// Adds user metadata, sent as `x-oss-meta-<name>`.
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((name.into(), value.into()));
        self
    }

    /// Sets `x-oss-forbid-overwrite`.
    pub fn forbid_overwrite(mut self, forbid: bool) -> Self {
        self.forbid_overwrite = Some(forbid);
        self
    }

    /// Sets `x-oss-traffic-limit` in bit/s.
    pub fn traffic_limit(mut self, bits_per_second: u64) -> Self {
        self.traffic_limit = Some(bits_per_second);
        self
    }

    /// Checks every value and writes the HTTP headers. `creating` includes the create-time headers;
    /// `for_append` limits the storage classes to those appendable objects support.
    pub(crate) fn to_headers(&self, creating: bool, for_append: bool) -> Result<Vec<(String, String)>, Error> {
        Ok(self.checked_headers(creating, for_append)?.0)
    }

    /// Checks every value and writes the HTTP headers, the create-time ones last (only when
    /// `creating`): they start at the index returned, so an append that turns out not to create the
    /// object sends the headers before it.
    pub(crate) fn checked_headers(
        &self,
        creating: bool,
        for_append: bool,
    ) -> Result<(Vec<(String, String)>, usize), Error> {
        let mut out = Vec::new();
        let mut push = |name: &str, label: Argument, value: &str| -> Result<(), Error> {
            validate::header_value(label, value)?;
            out.push((name.to_string(), value.to_string()));
            Ok(())
        };
        if let ContentMd5::Value(md5) = &self.content_md5 {
            push("Content-MD5", Argument::ContentMd5, md5)?;
        }
        if let Some(forbid) = self.forbid_overwrite {
            push("x-oss-forbid-overwrite", Argument::ForbidOverwrite, if forbid { "true" } else { "false" })?;
        }
        if let Some(limit) = self.traffic_limit {
            validate::traffic_limit(limit)?;
            push("x-oss-traffic-limit", Argument::TrafficLimit, &limit.to_string())?;
        }
        // Checked even when not sent, so a bad value fails the same way at every position.
        for (name, value) in &self.metadata {
            validate::metadata_name(name)?;
            validate::header_value(Argument::MetadataValue, value)?;
        }
        if let Some(acl) = &self.object_acl {
            validate::one_of(Argument::ObjectAcl, acl, ACLS)?;
        }
        if let Some(class) = &self.storage_class {
            let allowed = if for_append { APPEND_STORAGE_CLASSES } else { PUT_STORAGE_CLASSES };
            validate::one_of(Argument::StorageClass, class, allowed)?;
        }
        if let Some(sse) = &self.server_side_encryption {
            validate::one_of(Argument::ServerSideEncryption, sse, ENCRYPTIONS)?;
        }
        let create_time: [(&str, Argument, &Option<String>); 9] = [
            ("Content-Type", Argument::ContentType, &self.content_type),
            ("Cache-Control", Argument::CacheControl, &self.cache_control),
            ("Content-Disposition", Argument::ContentDisposition, &self.content_disposition),
            ("Content-Encoding", Argument::ContentEncoding, &self.content_encoding),
            ("Expires", Argument::Expires, &self.expires),
            ("x-oss-object-acl", Argument::ObjectAcl, &self.object_acl),
            ("x-oss-storage-class", Argument::StorageClass, &self.storage_class),
            ("x-oss-server-side-encryption", Argument::ServerSideEncryption, &self.server_side_encryption),
            ("x-oss-tagging", Argument::Tagging, &self.tagging),
        ];
        let always = out.len();
        for (name, label, value) in create_time {
            if let Some(value) = value {
                validate::header_value(label, value)?;
                if creating {
                    out.push((name.to_string(), value.clone()));
                }
            }
        }
        if creating {
            for (name, value) in &self.metadata {
                out.push((format!("x-oss-meta-{}", name.to_ascii_lowercase()), value.clone()));
            }
        }
        Ok((out, always))
    }
}

/// Options of [`Client::append_object`](crate::Client::append_object).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct AppendOptions {
    /// Where the body goes: the object's current length. Default: found by the client (0 for a
    /// missing object, else its length, from a HEAD request).
    pub position: Option<u64>,
    /// CRC-64 of the object before this append, to verify the append without a HEAD request.
    /// Default: 0 at position 0, else read by a HEAD request.
    pub crc64: Option<u64>,
    /// Object headers; the create-time ones are sent only when the append creates the object.
    pub headers: ObjectHeaders,
    /// Called as the body is sent with `(bytes sent, total)`; returning false cancels. A retry
    /// starts counting again from 0.
    pub progress: Option<Arc<ProgressFn>>,
    /// Cancels the call when triggered from another thread.
    pub cancel: Option<CancelToken>,
    /// These bytes were sent at this position before, and settling said they had not landed, in
    /// another process (`oss-append settle`, then `append-object` again): that request may have
    /// committed since. A PositionNotEqualToLength whose next position is this append's end is then
    /// settled (one HEAD: the object's CRC against `crc64` combined with the body's) instead of
    /// believed, and the call reports the bytes landed (`reconciled`) when they are there. Within one
    /// process [`Client::settle`](crate::Client::settle) remembers this for the client by itself.
    /// Default false.
    pub resend: bool,
    /// The writer whose objects these are (a spool's stamp): settling takes equal bytes as its own
    /// only in an object with its stamp or none.
    pub(crate) owner: Option<crate::in_flight::Owner>,
}

impl AppendOptions {
    /// No options: the client finds the position.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends at `position`.
    pub fn position(mut self, position: u64) -> Self {
        self.position = Some(position);
        self
    }

    /// The object's CRC-64 before this append.
    pub fn crc64(mut self, crc64: u64) -> Self {
        self.crc64 = Some(crc64);
        self
    }

    /// Object headers.
    pub fn headers(mut self, headers: ObjectHeaders) -> Self {
        self.headers = headers;
        self
    }

    /// A progress callback; returning false cancels.
    pub fn progress(mut self, progress: impl Fn(u64, u64) -> bool + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// A cancel token.
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// A resend of bytes settled as not landed by another process: see [`AppendOptions::resend`].
    pub fn resend(mut self, resend: bool) -> Self {
        self.resend = resend;
        self
    }
}

impl fmt::Debug for AppendOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppendOptions")
            .field("position", &self.position)
            .field("crc64", &self.crc64)
            .field("headers", &self.headers)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .field("resend", &self.resend)
            .field("owner", &self.owner)
            .finish()
    }
}

/// Options of [`Client::put_object`](crate::Client::put_object).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct PutOptions {
    /// Object headers.
    pub headers: ObjectHeaders,
    /// Called as the body is sent with `(bytes sent, total)`; returning false cancels.
    pub progress: Option<Arc<ProgressFn>>,
    /// Cancels the call when triggered from another thread.
    pub cancel: Option<CancelToken>,
}

impl PutOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Object headers.
    pub fn headers(mut self, headers: ObjectHeaders) -> Self {
        self.headers = headers;
        self
    }

    /// A progress callback; returning false cancels.
    pub fn progress(mut self, progress: impl Fn(u64, u64) -> bool + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// A cancel token.
    pub fn cancel_token(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

impl fmt::Debug for PutOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PutOptions")
            .field("headers", &self.headers)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel)
            .finish()
    }
}

/// What a successful append returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppendResult {
    /// Where this body was appended.
    pub position: u64,
    /// The object's new length: the position of the next append.
    pub next_position: u64,
    /// CRC-64 of the whole object after this append, verified against the service's.
    pub crc64: u64,
    /// `x-oss-request-id` of the response that confirmed the append.
    pub request_id: String,
    /// `ETag`, when the response carried one (a reconciled retry has none).
    pub etag: Option<String>,
    /// True when a response was lost and the retry proved, by position and CRC, that the earlier
    /// attempt had landed: the data was appended once.
    pub reconciled: bool,
}

/// What a successful put returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutResult {
    /// `ETag`.
    pub etag: Option<String>,
    /// CRC-64 of the object, verified against the body sent.
    pub crc64: Option<u64>,
    /// `x-oss-request-id`.
    pub request_id: String,
}

/// An object's metadata, from HEAD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// Length in bytes.
    pub content_length: u64,
    /// `Normal`, `Appendable` or `Multipart`.
    pub object_type: String,
    /// For appendable objects, the position of the next append.
    pub next_append_position: Option<u64>,
    /// CRC-64 of the whole object.
    pub crc64: Option<u64>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Last-Modified`, as sent.
    pub last_modified: Option<String>,
    /// `x-oss-storage-class`.
    pub storage_class: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Expires`, as sent.
    pub expires: Option<String>,
    /// `x-oss-server-side-encryption` (`AES256`, `KMS`, `SM4`).
    pub server_side_encryption: Option<String>,
    /// `x-oss-server-side-encryption-key-id`, for KMS.
    pub server_side_encryption_key_id: Option<String>,
    /// `x-oss-tagging-count`: how many tags the object has.
    pub tagging_count: Option<u64>,
    /// `x-oss-version-id`, in a versioned bucket.
    pub version_id: Option<String>,
    /// User metadata (names without the `x-oss-meta-` prefix, lower case).
    pub metadata: Vec<(String, String)>,
    /// `x-oss-request-id`.
    pub request_id: String,
}

impl ObjectMeta {
    /// Whether the object was made by appends and can take more.
    pub fn is_appendable(&self) -> bool {
        self.object_type.eq_ignore_ascii_case("Appendable")
    }

    /// `Last-Modified` as a time, when it was sent and is an HTTP date.
    pub fn last_modified_time(&self) -> Option<std::time::SystemTime> {
        self.last_modified.as_deref().and_then(crate::sign::parse_http_date)
    }
}

/// A byte range to read. A range that starts at or past the object's end reads nothing (a reader
/// tailing a growing object gets no bytes, not an error); one that ends past it stops at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ByteRange {
    /// Bytes `first..=last`.
    Span {
        /// First byte.
        first: u64,
        /// Last byte, inclusive.
        last: u64,
    },
    /// From `first` to the end of the object.
    From(u64),
    /// The last `n` bytes (the whole object when it is shorter).
    Last(u64),
}

impl ByteRange {
    /// The `Range` header's value.
    pub(crate) fn header(self) -> String {
        match self {
            ByteRange::Span { first, last } => format!("bytes={first}-{last}"),
            ByteRange::From(first) => format!("bytes={first}-"),
            ByteRange::Last(n) => format!("bytes=-{n}"),
        }
    }

    /// Where the range falls in an object of `size` bytes: (first byte, length).
    pub(crate) fn within(self, size: u64) -> (u64, u64) {
        match self {
            ByteRange::Span { first, .. } | ByteRange::From(first) if first >= size => (first, 0),
            ByteRange::Span { first, last } => (first, last.min(size - 1) - first + 1),
            ByteRange::From(first) => (first, size - first),
            ByteRange::Last(n) => (size - n.min(size), n.min(size)),
        }
    }
}

/// What a successful get returns (the bytes went to the writer).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetResult {
    /// Bytes written to the writer.
    pub bytes_written: u64,
    /// Where in the object the first byte written is (0 for a whole object; for a range that starts
    /// past the end, where it starts).
    pub start: u64,
    /// The object's whole length, as the response reported it.
    pub object_size: Option<u64>,
    /// CRC-64 of the whole object; checked against the bytes when the whole object was read.
    pub crc64: Option<u64>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `x-oss-object-type`.
    pub object_type: Option<String>,
    /// `x-oss-request-id`.
    pub request_id: String,
}
