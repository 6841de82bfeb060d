//! Reads: a whole object or a byte range of it (first to last, from first to the end, the last N
//! bytes), into the caller's buffer or a file.

use std::ffi::c_char;
use std::path::Path;

use super::boundary::{arg_bytes, copy_to_array, guard, write_opt, Failure};
use super::client::oss_append_client;
use super::error::oss_append_error;
use super::objects::{arg_path, target, OSS_APPEND_ID_CAPACITY};
use super::options::oss_append_cancel_token;
use super::result::oss_append_result;
use crate::ByteRange;

/// `last` of `oss_append_get_range`: read to the end of the object.
pub const OSS_APPEND_RANGE_END: u64 = u64::MAX;

/// What a successful read returns. Plain data: nothing to free.
#[repr(C)]
pub struct oss_append_get_info {
    /// Bytes written to the buffer or file.
    pub bytes_written: u64,
    /// Where in the object the first byte written is: 0 for a whole object; for a range, its first
    /// byte (for one that starts at or past the end, where it starts: nothing was there yet).
    pub start: u64,
    /// The object's whole length; meaningful when `has_object_size`.
    pub object_size: u64,
    /// Whether the service said the object's length.
    pub has_object_size: bool,
    /// CRC-64 of the whole object as the service reported it (checked against the bytes read when
    /// the whole object was read); meaningful when `has_crc64`.
    pub crc64: u64,
    /// Whether the service reported the CRC-64.
    pub has_crc64: bool,
    /// `x-oss-request-id`, NUL-terminated.
    pub request_id: [c_char; OSS_APPEND_ID_CAPACITY],
    /// `ETag`, NUL-terminated; empty when the response had none.
    pub etag: [c_char; OSS_APPEND_ID_CAPACITY],
}

fn get_info(result: &crate::GetResult) -> oss_append_get_info {
    let mut out = oss_append_get_info {
        bytes_written: result.bytes_written,
        start: result.start,
        object_size: result.object_size.unwrap_or(0),
        has_object_size: result.object_size.is_some(),
        crc64: result.crc64.unwrap_or(0),
        has_crc64: result.crc64.is_some(),
        request_id: [0; OSS_APPEND_ID_CAPACITY],
        etag: [0; OSS_APPEND_ID_CAPACITY],
    };
    copy_to_array(&result.request_id, &mut out.request_id);
    copy_to_array(result.etag.as_deref().unwrap_or_default(), &mut out.etag);
    out
}

fn span(first: u64, last: u64) -> ByteRange {
    if last == OSS_APPEND_RANGE_END {
        ByteRange::From(first)
    } else {
        ByteRange::Span { first, last }
    }
}

/// Reads into the caller's buffer: the core's read, its result written out.
#[allow(clippy::too_many_arguments)]
fn into_buffer(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    range: Option<ByteRange>,
    buffer: *mut u8,
    capacity: usize,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented on the exported functions.
        let ((client, bucket, key), cancel) = unsafe { (target(client, bucket, key)?, cancel.as_ref()) };
        // The same NULL and length rules as any byte argument.
        // SAFETY: as documented, `buffer` is NULL or `capacity` writable bytes.
        unsafe { arg_bytes(buffer, capacity, "buffer")? };
        let buffer: &mut [u8] = if capacity == 0 {
            &mut []
        } else {
            // SAFETY: not NULL (checked above) and `capacity` writable bytes, used only during the call.
            unsafe { std::slice::from_raw_parts_mut(buffer, capacity) }
        };
        let result = client.get_object_into(bucket, key, range, buffer, cancel.map(|c| &c.token))?;
        // SAFETY: NULL or writable storage for the info.
        unsafe { write_opt(info_out, get_info(&result)) };
        Ok(())
    })
}

/// Reads into a file: a temporary file beside `path`, renamed over it only on success.
#[allow(clippy::too_many_arguments)]
fn into_file(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    range: Option<ByteRange>,
    path: *const c_char,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented on the exported functions.
        let ((client, bucket, key), path, cancel) =
            unsafe { (target(client, bucket, key)?, arg_path(path, "path")?, cancel.as_ref()) };
        let temp = temp_beside(&path)?;
        let io = |what: &str, e: std::io::Error| {
            Failure::new(oss_append_result::Io, format!("{what} {}: {e}", temp.display()))
        };
        let mut file = std::fs::File::create(&temp).map_err(|e| io("cannot create", e))?;
        let outcome = client.get_object(bucket, key, range, &mut file, cancel.map(|c| &c.token)).map_err(Failure::from);
        let finished = outcome.and_then(|result| {
            file.sync_all().map_err(|e| io("cannot write", e))?;
            drop(file);
            std::fs::rename(&temp, &path).map_err(|e| {
                Failure::new(oss_append_result::Io, format!("cannot move the download to {}: {e}", path.display()))
            })?;
            Ok(result)
        });
        let result = finished.inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })?;
        // SAFETY: NULL or writable storage for the info.
        unsafe { write_opt(info_out, get_info(&result)) };
        Ok(())
    })
}

/// A temporary name beside `path`, unique per call.
fn temp_beside(path: &Path) -> Result<std::path::PathBuf, Failure> {
    let file_name = path.file_name().ok_or_else(|| {
        Failure::new(oss_append_result::InvalidArgument, format!("path {} names no file", path.display()))
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    // No thread handle is made, as valgrind counts the main thread's as possibly lost.
    static DOWNLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = DOWNLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    temp_name.push(format!(".oss-part-{}-{serial}", std::process::id()));
    Ok(path.with_file_name(temp_name))
}

/// Reads the whole object into the caller's `buffer` of `capacity` bytes, checking its CRC-64.
///
/// `(NULL, 0)` is a zero-byte buffer (enough for an empty object). An object larger than `capacity`
/// fails with `OSS_APPEND_RESULT_BUFFER_TOO_SMALL`, leaves the buffer untouched, and
/// `oss_append_error_size_needed` says how large it is: a growing object may be read in ranges
/// instead (`oss_append_get_range`). `cancel` may be NULL. On success `*info_out` (when not NULL)
/// says how many bytes were written; on failure `*error_out` (when not NULL) receives the error.
/// Thread-safe.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (client, bucket or key NULL, or a NULL
/// buffer with a capacity); `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_BUCKET`;
/// `OSS_APPEND_RESULT_INVALID_KEY`; `OSS_APPEND_RESULT_BUFFER_TOO_SMALL`; `OSS_APPEND_RESULT_NO_SUCH_KEY` and
/// other 2xx codes; 3xx codes; `OSS_APPEND_RESULT_DOWNLOAD_CRC_MISMATCH`; `OSS_APPEND_RESULT_CANCELLED`;
/// `OSS_APPEND_RESULT_CREDENTIALS`.
#[no_mangle]
pub extern "C" fn oss_append_get_object(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    buffer: *mut u8,
    capacity: usize,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    into_buffer(client, bucket, key, None, buffer, capacity, cancel, info_out, error_out)
}

/// Reads bytes `first` to `last` (inclusive) of the object into `buffer`; `last` =
/// `OSS_APPEND_RANGE_END` reads to the end. A range that ends past the object stops at its end; one
/// that starts at or past the end reads nothing and succeeds (`bytes_written` 0: a reader tailing a
/// growing object has nothing new yet). Otherwise as `oss_append_get_object` (a range's bytes are
/// not checked against the object's CRC-64, which covers the whole object).
///
/// Returns as `oss_append_get_object`, and `OSS_APPEND_RESULT_INVALID_ARGUMENT` when `last` is before `first`.
#[no_mangle]
pub extern "C" fn oss_append_get_range(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    first: u64,
    last: u64,
    buffer: *mut u8,
    capacity: usize,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    into_buffer(client, bucket, key, Some(span(first, last)), buffer, capacity, cancel, info_out, error_out)
}

/// Reads the last `length` bytes of the object (all of it when it is shorter) into `buffer`;
/// `info_out->start` says where they start. Otherwise as `oss_append_get_range`.
///
/// Returns as `oss_append_get_object`, and `OSS_APPEND_RESULT_INVALID_ARGUMENT` when `length` is 0.
#[no_mangle]
pub extern "C" fn oss_append_get_last(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    length: u64,
    buffer: *mut u8,
    capacity: usize,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    into_buffer(client, bucket, key, Some(ByteRange::Last(length)), buffer, capacity, cancel, info_out, error_out)
}

/// Reads the whole object into the file at `path`, streaming it and checking its CRC-64.
///
/// The data goes to a temporary file beside `path` that replaces `path` only on success, so on
/// failure an existing file at `path` is left as it was. `cancel` may be NULL. On success
/// `*info_out` (when not NULL) is written; on failure `*error_out` (when not NULL) receives the
/// error. Thread-safe (give each call its own path).
///
/// Returns as `oss_append_get_object` (without `OSS_APPEND_RESULT_BUFFER_TOO_SMALL`), and
/// `OSS_APPEND_RESULT_IO` when the file cannot be written, `OSS_APPEND_RESULT_INVALID_ARGUMENT` for an
/// empty path.
#[no_mangle]
pub extern "C" fn oss_append_get_object_to_file(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    path: *const c_char,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    into_file(client, bucket, key, None, path, cancel, info_out, error_out)
}

/// Reads bytes `first` to `last` (`OSS_APPEND_RANGE_END`: to the end) into the file at `path`, as
/// `oss_append_get_range` reads them and `oss_append_get_object_to_file` writes them (a range that
/// starts past the end makes an empty file).
///
/// Returns as `oss_append_get_object_to_file`, and `OSS_APPEND_RESULT_INVALID_ARGUMENT` when `last` is
/// before `first`.
#[no_mangle]
pub extern "C" fn oss_append_get_range_to_file(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    first: u64,
    last: u64,
    path: *const c_char,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    into_file(client, bucket, key, Some(span(first, last)), path, cancel, info_out, error_out)
}

/// Reads the last `length` bytes of the object into the file at `path`, as `oss_append_get_last`
/// reads them and `oss_append_get_object_to_file` writes them.
///
/// Returns as `oss_append_get_object_to_file`, and `OSS_APPEND_RESULT_INVALID_ARGUMENT` when `length` is 0.
#[no_mangle]
pub extern "C" fn oss_append_get_last_to_file(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    length: u64,
    path: *const c_char,
    cancel: *const oss_append_cancel_token,
    info_out: *mut oss_append_get_info,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    into_file(client, bucket, key, Some(ByteRange::Last(length)), path, cancel, info_out, error_out)
}
