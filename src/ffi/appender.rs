//! `oss_append_appender`: one object's appends, with its position and CRC-64 carried from each append
//! to the next (the core's `Appender`).

use std::ffi::c_char;
use std::sync::{Mutex, MutexGuard};

use super::boundary::{arg_bytes, arg_out, arg_ref, free_handle, guard, guard_value, write_handle, write_opt};
use super::client::oss_append_client;
use super::error::{oss_append_error, oss_append_in_flight};
use super::objects::{append_result, arg_path, oss_append_receipt, oss_append_settlement, settlement, target};
use super::options::oss_append_options;
use super::result::oss_append_result;
use crate::{Appender, Body};

/// The appends to one object: the position and CRC-64 of each append carried to the next, so no
/// append needs a HEAD after the first (none at all after `oss_append_appender_resume`), and each is
/// verified against the object's CRC. An append whose response is lost is settled before the call
/// returns; one left unsettled is settled before the next append.
///
/// Made by `oss_append_appender_new`, owned by the caller, released with `oss_append_appender_free`.
/// It keeps its own reference to the client's connections and settings: the client handle may be
/// freed first. Thread-safe: calls from several threads take turns (one append at a time, in the
/// order they get the appender), and only `oss_append_appender_free` must wait until no other call
/// is using it.
pub struct oss_append_appender {
    appender: Mutex<Appender>,
}

impl oss_append_appender {
    fn lock(&self) -> MutexGuard<'_, Appender> {
        self.appender.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Makes an appender for the object `key` in `bucket`. `options` (may be NULL) is copied: the headers
/// of the append that creates the object, and the progress callback and cancel token of every append
/// (its CRC-64 is ignored: the appender carries its own). Nothing is sent until the first append,
/// which finds the object's end (0 for a new object) unless `oss_append_appender_resume` said it.
///
/// On success `*appender_out` is owned by the caller and must be released with
/// `oss_append_appender_free`.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (client, bucket, key or appender_out
/// NULL); `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_BUCKET`;
/// `OSS_APPEND_RESULT_INVALID_KEY`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_appender_new(
    client: *const oss_append_client,
    bucket: *const c_char,
    key: *const c_char,
    options: *const oss_append_options,
    appender_out: *mut *mut oss_append_appender,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: pointers are NULL or valid, as documented above.
        let ((client, bucket, key), options) = unsafe { (target(client, bucket, key)?, options.as_ref()) };
        let out = arg_out(appender_out, "appender_out")?;
        crate::validate::bucket(bucket)?;
        crate::validate::key(key)?;
        let mut appender = client.appender(bucket, key);
        if let Some(options) = options {
            appender = appender.with_options(options.to_append(None));
        }
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, oss_append_appender { appender: Mutex::new(appender) }) };
        Ok(())
    })
}

/// Releases an appender. NULL does nothing. Must not run while another thread uses the handle.
#[no_mangle]
pub extern "C" fn oss_append_appender_free(appender: *mut oss_append_appender) {
    // SAFETY: NULL or a handle from `oss_append_appender_new`, freed once.
    unsafe { free_handle(appender) }
}

/// Says where the object ends and its CRC-64 there, as a receipt or a store of the application gave
/// them (for example after a restart): the next append goes there with no HEAD, and is verified
/// against that CRC (a wrong CRC shows as `OSS_APPEND_RESULT_CRC_MISMATCH`).
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER`, or
/// `OSS_APPEND_RESULT_POSITION_TOO_LARGE` for a position past 5 GiB. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_appender_resume(
    appender: *const oss_append_appender,
    position: u64,
    crc64: u64,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live appender.
        let handle = unsafe { arg_ref(appender, "appender")? };
        crate::validate::append_range(position, 0)?;
        let mut appender = handle.lock();
        // `resume` takes the appender by value: a stand-in holds its place for a moment.
        let stand_in = appender.client().appender(appender.bucket(), appender.key());
        let original = std::mem::replace(&mut *appender, stand_in);
        *appender = original.resume(position, crc64);
        Ok(())
    })
}

/// Appends `len` bytes at `data` where the object ends, as `oss_append_object` does (`(NULL, 0)` is
/// empty data), and carries the new position and CRC-64 to the next append.
///
/// On success `*receipt_out` (when not NULL) is written; on failure `*error_out` (when not NULL)
/// receives the error. `OSS_APPEND_RESULT_UNSETTLED`: the append may have landed. Settle it with
/// `oss_append_appender_settle` before anything else, then decide: landed, go on; not landed, send
/// the same bytes again (which appends them once). Never send them again unsettled: if they landed,
/// they are appended twice. (The next append settles it first too, and refuses, once, other bytes
/// after bytes that did not land: `OSS_APPEND_RESULT_INVALID_ARGUMENT`, "send those bytes again
/// first".) README.md's C example does this. Blocks. Thread-safe.
///
/// Returns as `oss_append_object`.
#[no_mangle]
pub extern "C" fn oss_append_appender_append(
    appender: *const oss_append_appender,
    data: *const u8,
    len: usize,
    receipt_out: *mut oss_append_receipt,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or a live appender; `data` is NULL or `len` readable bytes.
        let (handle, data) = unsafe { (arg_ref(appender, "appender")?, arg_bytes(data, len, "data")?) };
        let result = handle.lock().append(data)?;
        // SAFETY: NULL or writable storage for a receipt.
        unsafe { write_opt(receipt_out, append_result(&result)) };
        Ok(())
    })
}

/// Appends the contents of the file at `path` (streamed), as `oss_append_appender_append` appends
/// bytes and `oss_append_file` reads a file.
///
/// Returns as `oss_append_file`.
#[no_mangle]
pub extern "C" fn oss_append_appender_append_file(
    appender: *const oss_append_appender,
    path: *const c_char,
    receipt_out: *mut oss_append_receipt,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or a live appender; `path` NULL or NUL-terminated.
        let (handle, path) = unsafe { (arg_ref(appender, "appender")?, arg_path(path, "path")?) };
        let result = handle.lock().append(Body::File(&path))?;
        // SAFETY: NULL or writable storage for a receipt.
        unsafe { write_opt(receipt_out, append_result(&result)) };
        Ok(())
    })
}

/// Where the next append goes, when known (after an append, or `oss_append_appender_resume`):
/// returns true and writes `*position_out`; false otherwise, or for NULL arguments. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_appender_next_position(
    appender: *const oss_append_appender,
    position_out: *mut u64,
) -> bool {
    read(appender, position_out, |a| a.next_position())
}

/// The object's CRC-64 after the last append, when known: returns true and writes `*crc64_out`; false
/// otherwise, or for NULL arguments. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_appender_crc64(appender: *const oss_append_appender, crc64_out: *mut u64) -> bool {
    read(appender, crc64_out, |a| a.crc64())
}

/// The append whose outcome is unknown, after `OSS_APPEND_RESULT_UNSETTLED`: returns true and writes
/// `*in_flight_out` (plain data, to keep); false when there is none, or for NULL arguments.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_appender_in_flight(
    appender: *const oss_append_appender,
    in_flight_out: *mut oss_append_in_flight,
) -> bool {
    read(appender, in_flight_out, |a| a.in_flight().map(oss_append_in_flight::from_core))
}

/// Reads a value of the appender into `out`: true when there was one to write.
fn read<T>(appender: *const oss_append_appender, out: *mut T, value: impl FnOnce(&Appender) -> Option<T>) -> bool {
    guard_value(false, || {
        // SAFETY: NULL or a live appender.
        let Some(handle) = (unsafe { appender.as_ref() }) else { return false };
        match (value(&handle.lock()), out.is_null()) {
            (Some(value), false) => {
                // SAFETY: not NULL; the caller passes writable storage.
                unsafe { out.write(value) };
                true
            }
            _ => false,
        }
    })
}

/// Settles the append left unsettled (see `oss_append_appender_in_flight`) now, instead of at the
/// next append. With one unsettled: `*settled_out` (when not NULL) is set to true and
/// `*settlement_out` (when not NULL) says whether it landed; the appender goes on from the object's
/// end either way. With none: `*settled_out` is set to false and `*settlement_out` is untouched.
/// On failure the append is still unsettled. Blocks. Thread-safe.
///
/// Returns as `oss_append_settle`.
#[no_mangle]
pub extern "C" fn oss_append_appender_settle(
    appender: *const oss_append_appender,
    settled_out: *mut bool,
    settlement_out: *mut oss_append_settlement,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or a live appender.
        let handle = unsafe { arg_ref(appender, "appender")? };
        let mut appender = handle.lock();
        let position = appender.in_flight().map(|f| f.position);
        let outcome = appender.settle()?;
        // SAFETY: NULL or writable storage.
        unsafe { write_opt(settled_out, outcome.is_some()) };
        if let (Some(outcome), Some(position)) = (outcome, position) {
            // SAFETY: NULL or writable storage for a settlement.
            unsafe { write_opt(settlement_out, settlement(outcome, position)) };
        }
        Ok(())
    })
}
