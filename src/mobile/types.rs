//! Options and results: records mirroring the core's, converted field by field.

use std::collections::HashMap;
use std::time::SystemTime;

use super::error::OssError;
use super::num;

/// How `Content-MD5` is set.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ContentMd5 {
    /// Not sent: the CRC-64 check covers the data already.
    None,
    /// Computed by the library from the body.
    Compute,
    /// This base64 value, sent as given.
    Value {
        /// Base64 of the body's MD5.
        base64: String,
    },
}

impl From<ContentMd5> for crate::ContentMd5 {
    fn from(md5: ContentMd5) -> Self {
        match md5 {
            ContentMd5::None => crate::ContentMd5::None,
            ContentMd5::Compute => crate::ContentMd5::Compute,
            ContentMd5::Value { base64 } => crate::ContentMd5::Value(base64),
        }
    }
}

/// Headers that describe an object. Except for `content_md5`, `forbid_overwrite` and
/// `traffic_limit`, they take effect when the object is created, so an append sends them only at
/// position 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ObjectHeaders {
    /// `Content-Type`.
    #[uniffi(default = None)]
    pub content_type: Option<String>,
    /// `Cache-Control`.
    #[uniffi(default = None)]
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    #[uniffi(default = None)]
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    #[uniffi(default = None)]
    pub content_encoding: Option<String>,
    /// `Expires`.
    #[uniffi(default = None)]
    pub expires: Option<String>,
    /// `Content-MD5`; default not sent.
    #[uniffi(default = None)]
    pub content_md5: Option<ContentMd5>,
    /// User metadata, sent as `x-oss-meta-<name>`; names of letters, digits, `-` and `_`.
    #[uniffi(default)]
    pub metadata: HashMap<String, String>,
    /// `x-oss-object-acl`: `default`, `private`, `public-read` or `public-read-write`.
    #[uniffi(default = None)]
    pub object_acl: Option<ObjectAcl>,
    /// `x-oss-storage-class`: `Standard`, `IA` or `Archive`.
    #[uniffi(default = None)]
    pub storage_class: Option<StorageClass>,
    /// `x-oss-server-side-encryption`: `AES256`, `KMS` or `SM4`.
    #[uniffi(default = None)]
    pub server_side_encryption: Option<String>,
    /// `x-oss-tagging`, URL-encoded `k1=v1&k2=v2`.
    #[uniffi(default = None)]
    pub tagging: Option<String>,
    /// `x-oss-forbid-overwrite`.
    #[uniffi(default = None)]
    pub forbid_overwrite: Option<bool>,
    /// `x-oss-traffic-limit` in bit/s, 245760 to 838860800.
    #[uniffi(default = None)]
    pub traffic_limit: Option<i64>,
}

impl ObjectHeaders {
    /// The core's headers; a negative traffic limit is refused.
    pub(crate) fn into_core(self) -> Result<crate::ObjectHeaders, OssError> {
        let h = self;
        let mut metadata: Vec<(String, String)> = h.metadata.into_iter().collect();
        // A map has no order; sorted, the headers are the same on every call.
        metadata.sort_unstable();
        Ok(crate::ObjectHeaders {
            content_type: h.content_type,
            cache_control: h.cache_control,
            content_disposition: h.content_disposition,
            content_encoding: h.content_encoding,
            expires: h.expires,
            content_md5: h.content_md5.map(Into::into).unwrap_or_default(),
            metadata,
            object_acl: h.object_acl.map(|acl| acl.name().to_string()),
            storage_class: h.storage_class.map(|class| class.name().to_string()),
            server_side_encryption: h.server_side_encryption,
            tagging: h.tagging,
            forbid_overwrite: h.forbid_overwrite,
            traffic_limit: num::non_negative_opt("trafficLimit", h.traffic_limit)?,
        })
    }
}

/// Where an append goes and how it is verified.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct AppendOptions {
    /// The object's current length. Default: found by the client (0 for a missing object, else
    /// its length, from a HEAD request).
    #[uniffi(default = None)]
    pub position: Option<i64>,
    /// CRC-64 of the object before this append, to verify it without a HEAD request.
    #[uniffi(default = None)]
    pub crc64: Option<i64>,
    /// Object headers; the create-time ones are sent only when the append creates the object.
    #[uniffi(default = None)]
    pub headers: Option<ObjectHeaders>,
}

impl AppendOptions {
    pub(crate) fn into_core(self) -> Result<crate::AppendOptions, OssError> {
        Ok(crate::AppendOptions {
            position: num::non_negative_opt("position", self.position)?,
            crc64: self.crc64.map(num::crc_in),
            headers: self.headers.map(ObjectHeaders::into_core).transpose()?.unwrap_or_default(),
            progress: None,
            cancel: None,
            ..crate::AppendOptions::default()
        })
    }
}

/// What a successful append returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AppendResult {
    /// Where this body was appended.
    pub position: i64,
    /// The object's new length: the position of the next append.
    pub next_position: i64,
    /// CRC-64 of the whole object after this append, verified against the service's.
    pub crc64: i64,
    /// `x-oss-request-id` of the response that confirmed the append.
    pub request_id: String,
    /// `ETag`, when the response carried one.
    pub etag: Option<String>,
    /// True when a response was lost and the retry proved, by position and CRC, that the earlier
    /// attempt had landed: the data was appended once.
    pub reconciled: bool,
}

impl From<crate::AppendResult> for AppendResult {
    fn from(r: crate::AppendResult) -> Self {
        AppendResult {
            position: num::out(r.position),
            next_position: num::out(r.next_position),
            crc64: num::crc_out(r.crc64),
            request_id: r.request_id,
            etag: r.etag,
            reconciled: r.reconciled,
        }
    }
}

/// What a successful put returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PutResult {
    /// `ETag`.
    pub etag: Option<String>,
    /// CRC-64 of the object, verified against the body sent.
    pub crc64: Option<i64>,
    /// `x-oss-request-id`.
    pub request_id: String,
}

impl From<crate::PutResult> for PutResult {
    fn from(r: crate::PutResult) -> Self {
        PutResult { etag: r.etag, crc64: num::crc_out_opt(r.crc64), request_id: r.request_id }
    }
}

/// An object's metadata, from HEAD.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ObjectMeta {
    /// Length in bytes.
    pub content_length: i64,
    /// `Normal`, `Appendable` or `Multipart`.
    pub object_type: ObjectType,
    /// For appendable objects, the position of the next append.
    pub next_append_position: Option<i64>,
    /// CRC-64 of the whole object.
    pub crc64: Option<i64>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Last-Modified` as a time; null when it was not sent or is not an HTTP date.
    pub last_modified: Option<SystemTime>,
    /// `x-oss-storage-class`.
    pub storage_class: Option<StorageClass>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Expires`, as sent.
    pub expires: Option<String>,
    /// `x-oss-server-side-encryption`.
    pub server_side_encryption: Option<String>,
    /// `x-oss-server-side-encryption-key-id`, for KMS.
    pub server_side_encryption_key_id: Option<String>,
    /// `x-oss-tagging-count`.
    pub tagging_count: Option<i64>,
    /// `x-oss-version-id`, in a versioned bucket.
    pub version_id: Option<String>,
    /// User metadata (names without the `x-oss-meta-` prefix, lower case).
    pub metadata: HashMap<String, String>,
    /// `x-oss-request-id`.
    pub request_id: String,
}

impl From<crate::ObjectMeta> for ObjectMeta {
    fn from(m: crate::ObjectMeta) -> Self {
        let last_modified = m.last_modified_time();
        ObjectMeta {
            content_length: num::out(m.content_length),
            object_type: ObjectType::from_name(&m.object_type),
            next_append_position: num::out_opt(m.next_append_position),
            crc64: num::crc_out_opt(m.crc64),
            etag: m.etag,
            content_type: m.content_type,
            last_modified,
            storage_class: m.storage_class.as_deref().map(StorageClass::from_name),
            cache_control: m.cache_control,
            content_disposition: m.content_disposition,
            content_encoding: m.content_encoding,
            expires: m.expires,
            server_side_encryption: m.server_side_encryption,
            server_side_encryption_key_id: m.server_side_encryption_key_id,
            tagging_count: num::out_opt(m.tagging_count),
            version_id: m.version_id,
            metadata: m.metadata.into_iter().collect(),
            request_id: m.request_id,
        }
    }
}

/// A byte range to read. A range that starts at or past the object's end reads nothing (a reader
/// tailing a growing object gets no bytes, not an error); one that ends past it stops at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ByteRange {
    /// Bytes `first..=last`.
    Span {
        /// First byte.
        first: i64,
        /// Last byte, inclusive.
        last: i64,
    },
    /// From `first` to the end of the object.
    From {
        /// First byte.
        first: i64,
    },
    /// The last `length` bytes (the whole object when it is shorter).
    Last {
        /// How many bytes.
        length: i64,
    },
}

impl ByteRange {
    /// The core's range; a negative bound is refused.
    pub(crate) fn into_core(self) -> Result<crate::ByteRange, OssError> {
        Ok(match self {
            ByteRange::Span { first, last } => crate::ByteRange::Span {
                first: num::non_negative("range first", first)?,
                last: num::non_negative("range last", last)?,
            },
            ByteRange::From { first } => crate::ByteRange::From(num::non_negative("range first", first)?),
            ByteRange::Last { length } => crate::ByteRange::Last(num::non_negative("range length", length)?),
        })
    }
}

/// What a successful get returns.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GetResult {
    /// The bytes read.
    pub data: Vec<u8>,
    /// Where in the object `data` starts.
    pub start: i64,
    /// The object's whole length, as the response reported it.
    pub object_size: Option<i64>,
    /// CRC-64 of the whole object; checked against the bytes when the whole object was read.
    pub crc64: Option<i64>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `x-oss-object-type`.
    pub object_type: Option<ObjectType>,
    /// `x-oss-request-id`.
    pub request_id: String,
}

impl GetResult {
    pub(crate) fn new(data: Vec<u8>, r: crate::GetResult) -> Self {
        GetResult {
            data,
            start: num::out(r.start),
            object_size: num::out_opt(r.object_size),
            crc64: num::crc_out_opt(r.crc64),
            etag: r.etag,
            object_type: r.object_type.as_deref().map(ObjectType::from_name),
            request_id: r.request_id,
        }
    }
}

/// What settling an append proved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Settlement {
    /// The bytes are in the object, once.
    Landed {
        /// The append, as a successful append returns it (`reconciled` true).
        result: AppendResult,
    },
    /// The bytes are not in the object: sending them again appends them once.
    NotLanded {
        /// Why.
        reason: crate::NotLandedReason,
        /// The object's length now, when it exists.
        object_length: Option<i64>,
        /// The object's CRC-64 now, when known.
        object_crc64: Option<i64>,
    },
}

impl From<crate::Settlement> for Settlement {
    fn from(settlement: crate::Settlement) -> Self {
        match settlement {
            crate::Settlement::Landed(result) => Settlement::Landed { result: result.into() },
            crate::Settlement::NotLanded(n) => Settlement::NotLanded {
                reason: n.reason,
                object_length: num::out_opt(n.object_length),
                object_crc64: num::crc_out_opt(n.object_crc64),
            },
        }
    }
}

/// An append whose bytes may be in the object: everything settling it needs, as a plain value an
/// application can store and settle after a restart with `OssClient.settle`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Record)]
pub struct InFlight {
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Where the body was appended: the object's length before it.
    pub position: i64,
    /// The body's length in bytes (not zero).
    pub length: i64,
    /// CRC-64 of the body alone.
    pub body_crc64: i64,
    /// CRC-64 of the object before the append, when known.
    pub crc64_before: Option<i64>,
}

impl From<crate::InFlight> for InFlight {
    fn from(f: crate::InFlight) -> Self {
        InFlight {
            bucket: f.bucket,
            key: f.key,
            position: num::out(f.position),
            length: num::out(f.length),
            body_crc64: num::crc_out(f.body_crc64),
            crc64_before: num::crc_out_opt(f.crc64_before),
        }
    }
}

impl InFlight {
    /// The core's append; a negative position or length is refused.
    pub(crate) fn into_core(self) -> Result<crate::InFlight, OssError> {
        Ok(crate::InFlight {
            bucket: self.bucket,
            key: self.key,
            position: num::non_negative("position", self.position)?,
            length: num::non_negative("length", self.length)?,
            body_crc64: num::crc_in(self.body_crc64),
            crc64_before: self.crc64_before.map(num::crc_in),
        })
    }
}

/// How an object was made (`x-oss-object-type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ObjectType {
    /// Made by appends; takes more.
    Appendable,
    /// Made by a put.
    Normal,
    /// Made by a multipart upload.
    Multipart,
    /// A symbolic link.
    Symlink,
    /// A type this library does not know yet, as the service named it.
    Other {
        /// The service's name for it.
        name: String,
    },
}

/// A storage class (`x-oss-storage-class`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum StorageClass {
    /// `Standard`.
    Standard,
    /// `IA`, infrequent access.
    InfrequentAccess,
    /// `Archive`.
    Archive,
    /// `ColdArchive`.
    ColdArchive,
    /// `DeepColdArchive`.
    DeepColdArchive,
    /// A class this library does not know yet, as the service names it.
    Other {
        /// The service's name for it.
        name: String,
    },
}

/// An object's access control (`x-oss-object-acl`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ObjectAcl {
    /// The bucket's ACL (`default`).
    Default,
    /// `private`.
    Private,
    /// `public-read`.
    PublicRead,
    /// `public-read-write`.
    PublicReadWrite,
}

/// Which known name `name` is (compared without case), from a table of (value, name).
fn known<T: Clone>(table: &[(T, &str)], name: &str) -> Option<T> {
    table.iter().find(|(_, known)| known.eq_ignore_ascii_case(name)).map(|(value, _)| value.clone())
}

impl ObjectType {
    const NAMES: [(ObjectType, &'static str); 4] = [
        (ObjectType::Appendable, "Appendable"),
        (ObjectType::Normal, "Normal"),
        (ObjectType::Multipart, "Multipart"),
        (ObjectType::Symlink, "Symlink"),
    ];

    /// The value the service's name stands for.
    pub(crate) fn from_name(name: &str) -> Self {
        known(&Self::NAMES, name).unwrap_or_else(|| ObjectType::Other { name: name.to_string() })
    }
}

impl StorageClass {
    const NAMES: [(StorageClass, &'static str); 5] = [
        (StorageClass::Standard, "Standard"),
        (StorageClass::InfrequentAccess, "IA"),
        (StorageClass::Archive, "Archive"),
        (StorageClass::ColdArchive, "ColdArchive"),
        (StorageClass::DeepColdArchive, "DeepColdArchive"),
    ];

    /// The value the service's name stands for.
    pub(crate) fn from_name(name: &str) -> Self {
        known(&Self::NAMES, name).unwrap_or_else(|| StorageClass::Other { name: name.to_string() })
    }

    /// The service's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            StorageClass::Other { name } => name,
            known => Self::NAMES.iter().find(|(value, _)| value == known).map_or("", |(_, name)| name),
        }
    }
}

impl ObjectAcl {
    /// The service's name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ObjectAcl::Default => "default",
            ObjectAcl::Private => "private",
            ObjectAcl::PublicRead => "public-read",
            ObjectAcl::PublicReadWrite => "public-read-write",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_map_both_ways() {
        assert_eq!(ObjectType::from_name("appendable"), ObjectType::Appendable);
        assert_eq!(ObjectType::from_name("Future"), ObjectType::Other { name: "Future".into() });
        for (class, name) in StorageClass::NAMES {
            assert_eq!(StorageClass::from_name(name), class);
            assert_eq!(class.name(), name);
        }
        let other = StorageClass::from_name("Hot");
        assert_eq!(other.name(), "Hot");
        assert_eq!(ObjectAcl::PublicRead.name(), "public-read");
    }
}
