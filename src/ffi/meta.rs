//! `oss_append_head_object` and the metadata handle it gives.

use std::ffi::{c_char, CString};

use super::boundary::{arg_out, free_handle, guard, guard_value, write_handle};
use super::client::oss_append_client;
use super::error::{c_string, oss_append_error, OSS_APPEND_POSITION_UNKNOWN};
use super::objects::target;
use super::result::oss_append_result;
use crate::ObjectMeta;

/// An object's metadata, from `oss_append_head_object`.
///
/// Owned by the caller, released with `oss_append_object_meta_free`. Every string an accessor returns is
/// owned by the handle, NUL-terminated and valid until `oss_append_object_meta_free`. Immutable: the
/// accessors may be called from any thread.
pub struct oss_append_object_meta {
    meta: ObjectMeta,
    object_type: CString,
    etag: CString,
    content_type: CString,
    last_modified: CString,
    storage_class: CString,
    cache_control: CString,
    content_disposition: CString,
    content_encoding: CString,
    expires: CString,
    server_side_encryption: CString,
    server_side_encryption_key_id: CString,
    version_id: CString,
    request_id: CString,
    metadata: Vec<(CString, CString)>,
}

/// Reads an object's metadata (HEAD). A missing object fails with `OSS_APPEND_RESULT_NO_SUCH_KEY`.
///
/// On success `*meta_out` is owned by the caller and must be released with `oss_append_object_meta_free`;
/// on failure nothing is written to it and `*error_out` (when not NULL) receives an error to release
/// with `oss_append_error_free`. Thread-safe.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (client, bucket, key or meta_out NULL);
/// `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_BUCKET`; `OSS_APPEND_RESULT_INVALID_KEY`;
/// `OSS_APPEND_RESULT_NO_SUCH_KEY` and other 2xx codes (a HEAD error has no body: the code is inferred from
/// the status); 3xx codes; `OSS_APPEND_RESULT_CREDENTIALS`.
#[no_mangle]
pub extern "C" fn oss_append_head_object(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    meta_out: *mut *mut oss_append_object_meta,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let (client, bucket, key) = unsafe { target(client, bucket, key)? };
        let out = arg_out(meta_out, "meta_out")?;
        let meta = client.head_object(bucket, key)?;
        let text = |value: &Option<String>| c_string(value.as_deref().unwrap_or_default());
        let handle = oss_append_object_meta {
            object_type: c_string(&meta.object_type),
            etag: text(&meta.etag),
            content_type: text(&meta.content_type),
            last_modified: text(&meta.last_modified),
            storage_class: text(&meta.storage_class),
            cache_control: text(&meta.cache_control),
            content_disposition: text(&meta.content_disposition),
            content_encoding: text(&meta.content_encoding),
            expires: text(&meta.expires),
            server_side_encryption: text(&meta.server_side_encryption),
            server_side_encryption_key_id: text(&meta.server_side_encryption_key_id),
            version_id: text(&meta.version_id),
            request_id: c_string(&meta.request_id),
            metadata: meta.metadata.iter().map(|(n, v)| (c_string(n), c_string(v))).collect(),
            meta,
        };
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, handle) };
        Ok(())
    })
}

/// Releases object metadata. NULL does nothing.
///
/// Must not run while another thread uses the handle.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_free(meta: *mut oss_append_object_meta) {
    // SAFETY: NULL or a handle from `oss_append_head_object`, freed once.
    unsafe { free_handle(meta) }
}

/// Reads one field of a metadata handle; NULL or a panic gives `fallback`.
fn meta_field<T: Copy>(
    meta: *const oss_append_object_meta,
    fallback: T,
    read: impl FnOnce(&oss_append_object_meta) -> T,
) -> T {
    guard_value(fallback, || {
        // SAFETY: NULL or a live handle from this library.
        match unsafe { meta.as_ref() } {
            Some(meta) => read(meta),
            None => fallback,
        }
    })
}

const EMPTY: &c_char = &0;

/// The object's length in bytes. NULL gives 0.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_content_length(meta: *const oss_append_object_meta) -> u64 {
    meta_field(meta, 0, |m| m.meta.content_length)
}

/// Whether the object was made by appends and takes more. NULL gives false.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_is_appendable(meta: *const oss_append_object_meta) -> bool {
    meta_field(meta, false, |m| m.meta.is_appendable())
}

/// For an appendable object, the position of the next append; `OSS_APPEND_POSITION_UNKNOWN` otherwise.
/// NULL gives `OSS_APPEND_POSITION_UNKNOWN`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_next_append_position(meta: *const oss_append_object_meta) -> u64 {
    meta_field(meta, OSS_APPEND_POSITION_UNKNOWN, |m| {
        m.meta.next_append_position.unwrap_or(OSS_APPEND_POSITION_UNKNOWN)
    })
}

/// The object's CRC-64, when the service reported it: returns true and writes `*crc64_out`;
/// returns false and leaves it untouched otherwise. NULL `meta` or `crc64_out` gives false.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_crc64(meta: *const oss_append_object_meta, crc64_out: *mut u64) -> bool {
    meta_field(meta, false, |m| match (m.meta.crc64, crc64_out.is_null()) {
        (Some(crc), false) => {
            // SAFETY: not NULL; the caller passes writable storage.
            unsafe { crc64_out.write(crc) };
            true
        }
        _ => false,
    })
}

/// The object type: `"Normal"`, `"Appendable"` or `"Multipart"`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_object_type(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.object_type.as_ptr())
}

/// The `ETag`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_etag(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.etag.as_ptr())
}

/// The `Content-Type`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_content_type(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.content_type.as_ptr())
}

/// `Last-Modified`, as the service sent it (an HTTP date).
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_last_modified(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.last_modified.as_ptr())
}

/// `x-oss-storage-class`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_storage_class(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.storage_class.as_ptr())
}

/// `Cache-Control`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_cache_control(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.cache_control.as_ptr())
}

/// `Content-Disposition`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_content_disposition(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.content_disposition.as_ptr())
}

/// `Content-Encoding`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_content_encoding(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.content_encoding.as_ptr())
}

/// `Expires`, as the service sent it.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_expires(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.expires.as_ptr())
}

/// `x-oss-server-side-encryption`: `"AES256"`, `"KMS"` or `"SM4"`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_server_side_encryption(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.server_side_encryption.as_ptr())
}

/// `x-oss-server-side-encryption-key-id`: the KMS key, for `"KMS"`.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_server_side_encryption_key_id(
    meta: *const oss_append_object_meta,
) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.server_side_encryption_key_id.as_ptr())
}

/// `x-oss-version-id`, in a versioned bucket.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_version_id(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.version_id.as_ptr())
}

/// How many tags the object has (`x-oss-tagging-count`); 0 when it has none. NULL gives 0.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_tagging_count(meta: *const oss_append_object_meta) -> u64 {
    meta_field(meta, 0, |m| m.meta.tagging_count.unwrap_or(0))
}

/// `x-oss-request-id` of the HEAD request.
///
/// Owned by the handle, valid until `oss_append_object_meta_free`; `""` when absent. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_request_id(meta: *const oss_append_object_meta) -> *const c_char {
    meta_field(meta, EMPTY as *const c_char, |m| m.request_id.as_ptr())
}

/// How many user metadata pairs (`x-oss-meta-*`) the object has. NULL gives 0.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_metadata_count(meta: *const oss_append_object_meta) -> usize {
    meta_field(meta, 0, |m| m.metadata.len())
}

/// The name (without `x-oss-meta-`, lower case) of metadata pair `index`; NULL when `meta` is NULL or
/// `index` is not below `oss_append_object_meta_metadata_count`. Owned by the handle, valid until
/// `oss_append_object_meta_free`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_metadata_name(
    meta: *const oss_append_object_meta,
    index: usize,
) -> *const c_char {
    meta_field(meta, std::ptr::null(), |m| m.metadata.get(index).map_or(std::ptr::null(), |(name, _)| name.as_ptr()))
}

/// The value of metadata pair `index`; NULL when `meta` is NULL or `index` is out of range. Owned by
/// the handle, valid until `oss_append_object_meta_free`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_object_meta_metadata_value(
    meta: *const oss_append_object_meta,
    index: usize,
) -> *const c_char {
    meta_field(meta, std::ptr::null(), |m| m.metadata.get(index).map_or(std::ptr::null(), |(_, value)| value.as_ptr()))
}
