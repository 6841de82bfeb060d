//! The object operations: append (bytes or a file), head, get (into a buffer or a file), put, delete.

use std::ffi::c_char;
use std::path::PathBuf;

use super::boundary::{arg_bytes, arg_ref, arg_str, copy_to_array, guard};
use super::boundary::{arg_out, write_opt, Failure};
use super::client::oss_append_client;
use super::error::{oss_append_error, oss_append_in_flight, OSS_APPEND_POSITION_UNKNOWN};
use super::options::oss_append_options;
use super::result::oss_append_result;
use crate::{AppendResult, Body, NotLandedReason, Settlement};

/// Room for a request id or ETag in a result struct, NUL included. Longer values are cut at a UTF-8
/// character boundary (request ids are 24 characters, ETags 34 to 40).
pub const OSS_APPEND_ID_CAPACITY: usize = 128;

/// What a successful append returns. Plain data: nothing to free.
#[repr(C)]
pub struct oss_append_receipt {
    /// Where the data was appended.
    pub position: u64,
    /// The object's new length: the position of the next append.
    pub next_position: u64,
    /// CRC-64 of the whole object after the append, verified against the service's. Pass it to
    /// `oss_append_options_set_crc64` for the next append.
    pub crc64: u64,
    /// True when a response was lost and a retry proved, by length and CRC, that the first attempt
    /// had landed: the data was appended exactly once.
    pub reconciled: bool,
    /// `x-oss-request-id` of the response that confirmed the append, NUL-terminated.
    pub request_id: [c_char; OSS_APPEND_ID_CAPACITY],
    /// `ETag`, NUL-terminated; empty when the response had none (a reconciled retry).
    pub etag: [c_char; OSS_APPEND_ID_CAPACITY],
}

/// What a successful put returns. Plain data: nothing to free.
#[repr(C)]
pub struct oss_append_put_receipt {
    /// CRC-64 of the object, verified against the data sent; meaningful when `has_crc64`.
    pub crc64: u64,
    /// Whether the service reported the CRC-64.
    pub has_crc64: bool,
    /// `x-oss-request-id`, NUL-terminated.
    pub request_id: [c_char; OSS_APPEND_ID_CAPACITY],
    /// `ETag`, NUL-terminated; empty when the response had none.
    pub etag: [c_char; OSS_APPEND_ID_CAPACITY],
}

pub(crate) fn append_result(result: &AppendResult) -> oss_append_receipt {
    let mut out = oss_append_receipt {
        position: result.position,
        next_position: result.next_position,
        crc64: result.crc64,
        reconciled: result.reconciled,
        request_id: [0; OSS_APPEND_ID_CAPACITY],
        etag: [0; OSS_APPEND_ID_CAPACITY],
    };
    copy_to_array(&result.request_id, &mut out.request_id);
    copy_to_array(result.etag.as_deref().unwrap_or_default(), &mut out.etag);
    out
}

/// The required client, bucket and key of every operation.
///
/// # Safety
/// Each pointer is NULL or valid as documented on the exported functions.
pub(crate) unsafe fn target<'a>(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
) -> Result<(&'a crate::Client, &'a str, &'a str), Failure> {
    // SAFETY: guaranteed by the caller.
    unsafe { Ok((&arg_ref(client, "client")?.client, arg_str(bucket, "bucket")?, arg_str(key, "key")?)) }
}

/// A file path: any bytes on Unix, UTF-8 elsewhere.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
pub(crate) unsafe fn arg_path(path: *const c_char, name: &str) -> Result<PathBuf, Failure> {
    if path.is_null() {
        return Err(Failure::null(name));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // SAFETY: not NULL, NUL-terminated by the caller's contract.
        let bytes = unsafe { std::ffi::CStr::from_ptr(path) }.to_bytes();
        if bytes.is_empty() {
            return Err(Failure::new(oss_append_result::InvalidArgument, format!("{name} is empty")));
        }
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        // SAFETY: not NULL, NUL-terminated by the caller's contract.
        let text = unsafe { arg_str(path, name) }?;
        if text.is_empty() {
            return Err(Failure::new(oss_append_result::InvalidArgument, format!("{name} is empty")));
        }
        Ok(PathBuf::from(text))
    }
}

pub(crate) fn position_arg(position: u64) -> Option<u64> {
    (position != OSS_APPEND_POSITION_UNKNOWN).then_some(position)
}

/// Appends `len` bytes at `data` to the object `key` in `bucket`, creating it at position 0, and
/// verifies the append with CRC-64.
///
/// `position` is where the data goes, the object's current length, or `OSS_APPEND_POSITION_UNKNOWN` to let
/// the library find it (0 for a missing object, else its length, by a HEAD request). `(NULL, 0)` is
/// empty data. `options` may be NULL (no headers, no callback). `bucket`, `key`, the data and the
/// options are read during the call only; nothing is kept.
///
/// On success `*result_out` is written (when `result_out` is not NULL). On failure nothing is written
/// to it, and `*error_out` (when `error_out` is not NULL) receives an error the caller releases with
/// `oss_append_error_free`; for `OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH`, `oss_append_error_next_position` gives
/// the object's real length.
///
/// The outcome is total: when a response is lost after the data was sent, the call settles it
/// before returning (success with `reconciled` when it landed). A failure for which
/// `oss_append_result_is_retryable` is true left nothing written. `OSS_APPEND_RESULT_CRC_MISMATCH` and
/// `OSS_APPEND_RESULT_UNVERIFIED` mean the data landed (do not send it again); `OSS_APPEND_RESULT_UNSETTLED` means
/// it may have landed: `oss_append_error_in_flight` and `oss_append_settle` tell.
///
/// Blocks until done. Thread-safe: many threads may append through one client at once (to one object
/// they race for positions, and the losers get `OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH`).
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (client, bucket or key NULL, or NULL data with
/// a non-zero length); `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_BUCKET`; `OSS_APPEND_RESULT_INVALID_KEY`;
/// `OSS_APPEND_RESULT_POSITION_TOO_LARGE` (past 5 GiB); `OSS_APPEND_RESULT_INVALID_HEADER_VALUE`;
/// `OSS_APPEND_RESULT_INVALID_ARGUMENT` (a length larger than any buffer); a 2xx service
/// code such as `OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH` or `OSS_APPEND_RESULT_OBJECT_NOT_APPENDABLE`;
/// a 3xx transport code; `OSS_APPEND_RESULT_CRC_MISMATCH`; `OSS_APPEND_RESULT_UNVERIFIED`; `OSS_APPEND_RESULT_UNSETTLED`;
/// `OSS_APPEND_RESULT_CANCELLED`; `OSS_APPEND_RESULT_CREDENTIALS`; `OSS_APPEND_RESULT_PROTOCOL`.
#[no_mangle]
pub extern "C" fn oss_append_object(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    position: u64,
    data: *const u8,
    len: usize,
    options: *const oss_append_options,
    result_out: *mut oss_append_receipt,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let ((client, bucket, key), data, options) =
            unsafe { (target(client, bucket, key)?, arg_bytes(data, len, "data")?, options.as_ref()) };
        let options = options
            .map(|o| o.to_append(position_arg(position)))
            .unwrap_or_else(|| crate::AppendOptions { position: position_arg(position), ..Default::default() });
        let result = client.append_object(bucket, key, data, &options)?;
        // SAFETY: NULL or writable storage for a result.
        unsafe { write_opt(result_out, append_result(&result)) };
        Ok(())
    })
}

/// Appends the contents of the file at `path` to the object, streaming it (the file is never held
/// in memory); otherwise as `oss_append_object`.
///
/// `path` is a NUL-terminated file name (any bytes on Unix). The file's length is taken when the call
/// starts; it must not shrink during the call.
///
/// Returns as `oss_append_object`, and `OSS_APPEND_RESULT_NULL_POINTER` for a NULL path,
/// `OSS_APPEND_RESULT_INVALID_ARGUMENT` for an empty one, `OSS_APPEND_RESULT_IO` when the file cannot be opened or read.
///
/// Thread-safe, as `oss_append_object`.
#[no_mangle]
pub extern "C" fn oss_append_file(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    position: u64,
    path: *const c_char,
    options: *const oss_append_options,
    result_out: *mut oss_append_receipt,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let ((client, bucket, key), path, options) =
            unsafe { (target(client, bucket, key)?, arg_path(path, "path")?, options.as_ref()) };
        let options = options
            .map(|o| o.to_append(position_arg(position)))
            .unwrap_or_else(|| crate::AppendOptions { position: position_arg(position), ..Default::default() });
        let result = client.append_object(bucket, key, Body::File(&path), &options)?;
        // SAFETY: NULL or writable storage for a result.
        unsafe { write_opt(result_out, append_result(&result)) };
        Ok(())
    })
}

/// Why an append did not land, in `oss_append_settlement`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_not_landed_reason {
    /// The append landed (`landed` is true).
    Landed = 0,
    /// The object ends at or before the append's position: nothing was appended there.
    NothingAtPosition = 1,
    /// The bytes at the append's position are another writer's.
    OtherWriter = 2,
    /// The object does not exist.
    MissingObject = 3,
    /// The bucket does not exist.
    MissingBucket = 4,
    /// The object was made by a put or multipart upload.
    NotAppendable = 5,
}

/// What `oss_append_settle` proved. Plain data: nothing to free.
#[repr(C)]
pub struct oss_append_settlement {
    /// True when the bytes are in the object, once: `result` describes the append. False when they
    /// are not: sending them again appends them once.
    pub landed: bool,
    /// Why not, when `landed` is false.
    pub reason: oss_append_not_landed_reason,
    /// When not landed: the object's length now (where the next append goes), or
    /// `OSS_APPEND_POSITION_UNKNOWN` when it has none (missing, not appendable).
    pub object_length: u64,
    /// When not landed: the object's CRC-64 now; meaningful when `has_object_crc64`.
    pub object_crc64: u64,
    /// Whether `object_crc64` is known.
    pub has_object_crc64: bool,
    /// When landed: the append, as a successful append would have returned it (`reconciled` true).
    pub result: oss_append_receipt,
}

/// A settlement for C, of an append made at `position`.
pub(crate) fn settlement(outcome: Settlement, position: u64) -> oss_append_settlement {
    let empty = AppendResult {
        position,
        next_position: OSS_APPEND_POSITION_UNKNOWN,
        crc64: 0,
        request_id: String::new(),
        etag: None,
        reconciled: false,
    };
    match outcome {
        Settlement::Landed(result) => oss_append_settlement {
            landed: true,
            reason: oss_append_not_landed_reason::Landed,
            object_length: result.next_position,
            object_crc64: result.crc64,
            has_object_crc64: true,
            result: append_result(&result),
        },
        Settlement::NotLanded(not_landed) => oss_append_settlement {
            landed: false,
            reason: match not_landed.reason {
                NotLandedReason::NothingAtPosition => oss_append_not_landed_reason::NothingAtPosition,
                NotLandedReason::OtherWriter => oss_append_not_landed_reason::OtherWriter,
                NotLandedReason::MissingObject => oss_append_not_landed_reason::MissingObject,
                NotLandedReason::MissingBucket => oss_append_not_landed_reason::MissingBucket,
                NotLandedReason::NotAppendable => oss_append_not_landed_reason::NotAppendable,
            },
            object_length: not_landed.object_length.unwrap_or(OSS_APPEND_POSITION_UNKNOWN),
            object_crc64: not_landed.object_crc64.unwrap_or(0),
            has_object_crc64: not_landed.object_crc64.is_some(),
            result: append_result(&empty),
        },
    }
}

/// Proves whether an append whose outcome is unknown (`OSS_APPEND_RESULT_UNSETTLED`, whose
/// `oss_append_error_in_flight` gave `*in_flight`) is in the object `key` of `bucket`: from the object's
/// length and CRC-64, and, when they cannot tell, the bytes at its position.
///
/// On success `*settlement_out` is written: landed, or not landed and why. Not landed means not
/// landed yet: a request still under way at the service may commit later. Send the bytes again at
/// the same position with the same client (`oss_append_object` with that position and
/// `oss_append_options_set_crc64`, or the appender): the client remembers the position, and a late
/// commit is then reported landed (`reconciled`), never appended twice. On failure the outcome is
/// still unknown: settle again later, never send the bytes again before; `*error_out` (when not
/// NULL) receives an error to release with `oss_append_error_free`. Blocks. Thread-safe.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (client, bucket, key, in_flight or
/// settlement_out NULL); `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_BUCKET`; `OSS_APPEND_RESULT_INVALID_KEY`;
/// `OSS_APPEND_RESULT_POSITION_TOO_LARGE`; `OSS_APPEND_RESULT_INVALID_ARGUMENT` (a zero length: an empty append
/// changes nothing); 2xx and 3xx codes; `OSS_APPEND_RESULT_CREDENTIALS`; `OSS_APPEND_RESULT_PROTOCOL`;
/// `OSS_APPEND_RESULT_UNVERIFIED` (the bytes are there but the service gives no CRC-64).
#[no_mangle]
pub extern "C" fn oss_append_settle(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    in_flight: *const oss_append_in_flight,
    settlement_out: *mut oss_append_settlement,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let ((client, bucket, key), in_flight) =
            unsafe { (target(client, bucket, key)?, arg_ref(in_flight, "in_flight")?) };
        let out = arg_out(settlement_out, "settlement_out")?;
        let settlement = settlement(client.settle(&in_flight.to_core(bucket, key))?, in_flight.position);
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { out.write(settlement) };
        Ok(())
    })
}

/// Writes `len` bytes at `data` as the object `key`, a Normal (not appendable) object, replacing any
/// object there. `(NULL, 0)` is an empty object. `options` may be NULL; its CRC is ignored.
///
/// On success `*result_out` is written (when not NULL); on failure `*error_out` (when not NULL)
/// receives an error to release with `oss_append_error_free`. Thread-safe.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER`; `OSS_APPEND_RESULT_INVALID_UTF8`;
/// `OSS_APPEND_RESULT_INVALID_BUCKET`; `OSS_APPEND_RESULT_INVALID_KEY`; `OSS_APPEND_RESULT_INVALID_HEADER_VALUE`;
/// 2xx, 3xx codes; `OSS_APPEND_RESULT_CRC_MISMATCH`; `OSS_APPEND_RESULT_CANCELLED`; `OSS_APPEND_RESULT_CREDENTIALS`.
#[no_mangle]
pub extern "C" fn oss_append_put_object(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    data: *const u8,
    len: usize,
    options: *const oss_append_options,
    result_out: *mut oss_append_put_receipt,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let ((client, bucket, key), data, options) =
            unsafe { (target(client, bucket, key)?, arg_bytes(data, len, "data")?, options.as_ref()) };
        let options = options.map(oss_append_options::to_put).unwrap_or_default();
        let result = client.put_object(bucket, key, data, &options)?;
        let mut out = oss_append_put_receipt {
            crc64: result.crc64.unwrap_or(0),
            has_crc64: result.crc64.is_some(),
            request_id: [0; OSS_APPEND_ID_CAPACITY],
            etag: [0; OSS_APPEND_ID_CAPACITY],
        };
        copy_to_array(&result.request_id, &mut out.request_id);
        copy_to_array(result.etag.as_deref().unwrap_or_default(), &mut out.etag);
        // SAFETY: NULL or writable storage for a result.
        unsafe { write_opt(result_out, out) };
        Ok(())
    })
}

/// Deletes the object. Deleting a missing object succeeds, as the service does.
///
/// On failure `*error_out` (when not NULL) receives an error to release with `oss_append_error_free`.
/// Thread-safe.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER`; `OSS_APPEND_RESULT_INVALID_UTF8`;
/// `OSS_APPEND_RESULT_INVALID_BUCKET`; `OSS_APPEND_RESULT_INVALID_KEY`; 2xx and 3xx codes; `OSS_APPEND_RESULT_CREDENTIALS`.
#[no_mangle]
pub extern "C" fn oss_append_delete_object(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let (client, bucket, key) = unsafe { target(client, bucket, key)? };
        client.delete_object(bucket, key)?;
        Ok(())
    })
}
