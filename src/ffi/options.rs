//! `oss_append_options` (headers, object CRC, progress, cancel token of an append or put) and
//! `oss_append_cancel_token`.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::boundary::{arg_mut, arg_opt_str, arg_out, arg_ref, arg_str, free_handle, guard, guard_value, write_handle};
use super::credentials::UserData;
use super::result::oss_append_result;
use crate::{AppendOptions, Argument, CancelToken, ContentMd5, ObjectHeaders, PutOptions};

/// Reports upload progress: `sent` bytes of `total` have gone out. Return true to go on, false to
/// cancel the call (it then fails with `OSS_APPEND_RESULT_CANCELLED`).
///
/// Called on the thread that made the call, during the call, with `sent` increasing up to `total`;
/// a retry starts again from 0. It must not unwind (a C++ callback must catch its exceptions) and
/// must not free the options or the client in use.
pub type oss_append_progress_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, sent: u64, total: u64) -> bool>;

/// Options of an append or put: object headers, the object's CRC-64 so far (append only), a progress
/// callback and a cancel token. Every option is unset at first.
///
/// Made by `oss_append_options_new`, owned by the caller, released with `oss_append_options_free`.
/// A call copies what it needs, so the options may be changed or freed once it returns.
/// Setters must not run while a call is using the options; calls on several threads may share
/// options that nobody changes (the progress callback is then called from each of those threads).
///
/// The create-time headers (content type, cache control, disposition, encoding, expires, metadata,
/// ACL, storage class, encryption, tagging) are sent by an append only when it creates the object
/// (at position 0); they are checked on every call.
pub struct oss_append_options {
    headers: ObjectHeaders,
    crc64: Option<u64>,
    progress: Option<Arc<crate::ProgressFn>>,
    cancel: Option<CancelToken>,
}

impl oss_append_options {
    pub(crate) fn to_append(&self, position: Option<u64>) -> AppendOptions {
        AppendOptions {
            position,
            crc64: self.crc64,
            headers: self.headers.clone(),
            progress: self.progress.clone(),
            cancel: self.cancel.clone(),
            ..AppendOptions::default()
        }
    }

    pub(crate) fn to_put(&self) -> PutOptions {
        PutOptions { headers: self.headers.clone(), progress: self.progress.clone(), cancel: self.cancel.clone() }
    }
}

/// Makes empty options.
///
/// On success `*options_out` is owned by the caller and must be released with `oss_append_options_free`.
/// Returns `OSS_APPEND_RESULT_OK`, or `OSS_APPEND_RESULT_NULL_POINTER` when `options_out` is NULL.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_options_new(options_out: *mut *mut oss_append_options) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        let out = arg_out(options_out, "options_out")?;
        let options =
            oss_append_options { headers: ObjectHeaders::default(), crc64: None, progress: None, cancel: None };
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, options) };
        Ok(())
    })
}

/// Releases options. NULL does nothing.
///
/// Must not run while another thread uses the handle.
#[no_mangle]
pub extern "C" fn oss_append_options_free(options: *mut oss_append_options) {
    // SAFETY: NULL or a handle from `oss_append_options_new`, freed once.
    unsafe { free_handle(options) }
}

/// Sets one optional header value: NULL clears it; a value with CR, LF or another control character
/// (tab aside) is refused at once.
fn set_text(
    options: *mut oss_append_options,
    value: *const c_char,
    label: Argument,
    field: impl FnOnce(&mut ObjectHeaders) -> &mut Option<String>,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options / a NUL-terminated string.
        let (options, value) = unsafe { (arg_mut(options, "options")?, arg_opt_str(value, label.name())?) };
        if let Some(value) = value {
            crate::validate::header_value(label, value)?;
        }
        *field(&mut options.headers) = value.map(str::to_string);
        Ok(())
    })
}

// cbindgen does not expand macros, so each exported setter is written out.

/// Sets `Content-Type`, e.g. `"text/plain"` (the service's default is `application/octet-stream`).
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_content_type(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::ContentType, |h| &mut h.content_type)
}

/// Sets `Cache-Control`.
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_cache_control(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::CacheControl, |h| &mut h.cache_control)
}

/// Sets `Content-Disposition`.
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_content_disposition(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::ContentDisposition, |h| &mut h.content_disposition)
}

/// Sets `Content-Encoding`.
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_content_encoding(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::ContentEncoding, |h| &mut h.content_encoding)
}

/// Sets `Expires`, an HTTP date.
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_expires(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::Expires, |h| &mut h.expires)
}

/// Sets `x-oss-object-acl`: `"default"`, `"private"`, `"public-read"` or `"public-read-write"`
/// (another value fails the call with `OSS_APPEND_RESULT_INVALID_HEADER_VALUE`).
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_object_acl(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::ObjectAcl, |h| &mut h.object_acl)
}

/// Sets `x-oss-storage-class`: `"Standard"`, `"IA"` or `"Archive"` (puts also take
/// `"ColdArchive"` and `"DeepColdArchive"`; another value fails the call).
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_storage_class(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::StorageClass, |h| &mut h.storage_class)
}

/// Sets `x-oss-server-side-encryption`: `"AES256"`, `"KMS"` or `"SM4"` (another value fails the call).
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_server_side_encryption(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::ServerSideEncryption, |h| &mut h.server_side_encryption)
}

/// Sets `x-oss-tagging`, URL-encoded `"k1=v1&k2=v2"`.
///
/// NULL `value` clears it. Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL),
/// `OSS_APPEND_RESULT_INVALID_UTF8` or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_tagging(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    set_text(options, value, Argument::Tagging, |h| &mut h.tagging)
}

/// Sets `Content-MD5` to `value`, the base64 MD5 of the body, sent as given; NULL sends none
/// (the default: the CRC-64 check covers the data already). Replaces `oss_append_options_compute_content_md5`.
///
/// Copied. Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (options NULL), `OSS_APPEND_RESULT_INVALID_UTF8`
/// or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE`.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_content_md5(
    options: *mut oss_append_options,
    value: *const c_char,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options / a NUL-terminated string.
        let (options, value) = unsafe { (arg_mut(options, "options")?, arg_opt_str(value, "content MD5")?) };
        options.headers.content_md5 = match value {
            Some(value) => {
                crate::validate::header_value(Argument::ContentMd5, value)?;
                ContentMd5::Value(value.to_string())
            }
            None => ContentMd5::None,
        };
        Ok(())
    })
}

/// Has the library compute `Content-MD5` from the body (a file body is read twice) when `compute`
/// is true; sends none when false. Replaces `oss_append_options_set_content_md5`.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_compute_content_md5(
    options: *mut oss_append_options,
    compute: bool,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        let options = unsafe { arg_mut(options, "options")? };
        options.headers.content_md5 = if compute { ContentMd5::Compute } else { ContentMd5::None };
        Ok(())
    })
}

/// Adds user metadata, sent as `x-oss-meta-<name>: <value>`. Names are letters, digits, `-` and `_`
/// (stored lower case by the service). Both strings are copied.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (any argument NULL), `OSS_APPEND_RESULT_INVALID_UTF8`,
/// or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (bad name, or a value with a line break or control character).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_add_metadata(
    options: *mut oss_append_options,
    name: *const c_char,
    value: *const c_char,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options / NUL-terminated strings.
        let (options, name, value) = unsafe {
            (arg_mut(options, "options")?, arg_str(name, "metadata name")?, arg_str(value, "metadata value")?)
        };
        crate::validate::metadata_name(name)?;
        crate::validate::header_value(Argument::MetadataValue, value)?;
        options.headers.metadata.push((name.to_string(), value.to_string()));
        Ok(())
    })
}

/// Removes every metadata pair added so far.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_clear_metadata(options: *mut oss_append_options) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        unsafe { arg_mut(options, "options")? }.headers.metadata.clear();
        Ok(())
    })
}

/// Sets `x-oss-forbid-overwrite`: when true, a put refuses to replace an existing object.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_forbid_overwrite(
    options: *mut oss_append_options,
    forbid: bool,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        unsafe { arg_mut(options, "options")? }.headers.forbid_overwrite = Some(forbid);
        Ok(())
    })
}

/// Sets `x-oss-traffic-limit` in bit/s, 245760 to 838860800; 0 removes the limit.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER`, or `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` outside the range.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_traffic_limit(
    options: *mut oss_append_options,
    bits_per_second: u64,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        let options = unsafe { arg_mut(options, "options")? };
        if bits_per_second == 0 {
            options.headers.traffic_limit = None;
            return Ok(());
        }
        crate::validate::traffic_limit(bits_per_second)?;
        options.headers.traffic_limit = Some(bits_per_second);
        Ok(())
    })
}

/// Sets the object's CRC-64 before the append (the `crc64` of the previous append's result), so the
/// append is verified without a HEAD request. Ignored by puts.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_crc64(options: *mut oss_append_options, crc64: u64) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        unsafe { arg_mut(options, "options")? }.crc64 = Some(crc64);
        Ok(())
    })
}

/// Forgets the CRC set by `oss_append_options_set_crc64`: the append then reads it with a HEAD
/// request (none is needed at position 0).
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_clear_crc64(options: *mut oss_append_options) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        unsafe { arg_mut(options, "options")? }.crc64 = None;
        Ok(())
    })
}

/// Sets the progress callback and the `user_data` passed to it; a NULL callback removes it.
/// `user_data` must stay valid while a call uses these options.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER` (options NULL).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_progress(
    options: *mut oss_append_options,
    callback: oss_append_progress_fn,
    user_data: *mut c_void,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options.
        let options = unsafe { arg_mut(options, "options")? };
        let user_data = UserData(user_data);
        options.progress = callback.map(|callback| {
            Arc::new(move |sent: u64, total: u64| {
                let user_data = user_data;
                // SAFETY: the application's callback, called as its documentation says.
                unsafe { callback(user_data.0, sent, total) }
            }) as Arc<crate::ProgressFn>
        });
        Ok(())
    })
}

/// Makes calls with these options cancellable by `token`; NULL removes the token. The options keep
/// their own reference: the token handle may be freed before them.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER` (options NULL).
///
/// Not thread-safe: no other call may use `options` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_options_set_cancel_token(
    options: *mut oss_append_options,
    token: *const oss_append_cancel_token,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or live options / NULL or a live token.
        let (options, token) = unsafe { (arg_mut(options, "options")?, token.as_ref()) };
        options.cancel = token.map(|t| t.token.clone());
        Ok(())
    })
}

/// A flag that cancels the calls using it, set from any thread.
///
/// Made by `oss_append_cancel_token_new`, owned by the caller, released with `oss_append_cancel_token_free`.
/// Thread-safe: `oss_append_cancel_token_cancel` may be called from any thread while calls run.
pub struct oss_append_cancel_token {
    pub(crate) token: CancelToken,
}

/// Makes a cancel token, not cancelled.
///
/// On success `*token_out` is owned by the caller and must be released with `oss_append_cancel_token_free`.
/// Returns `OSS_APPEND_RESULT_OK`, or `OSS_APPEND_RESULT_NULL_POINTER` when `token_out` is NULL.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_cancel_token_new(token_out: *mut *mut oss_append_cancel_token) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        let out = arg_out(token_out, "token_out")?;
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, oss_append_cancel_token { token: CancelToken::new() }) };
        Ok(())
    })
}

/// Cancels every call using this token, now and later: they stop promptly with `OSS_APPEND_RESULT_CANCELLED`.
/// Cannot be undone. Thread-safe.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
#[no_mangle]
pub extern "C" fn oss_append_cancel_token_cancel(token: *const oss_append_cancel_token) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live token.
        unsafe { arg_ref(token, "token")? }.token.cancel();
        Ok(())
    })
}

/// Whether `oss_append_cancel_token_cancel` was called. NULL gives false. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_cancel_token_is_cancelled(token: *const oss_append_cancel_token) -> bool {
    guard_value(false, || {
        // SAFETY: NULL or a live token.
        unsafe { token.as_ref() }.is_some_and(|t| t.token.is_cancelled())
    })
}

/// Releases a cancel token handle. NULL does nothing. Options and calls that use the token keep
/// their own reference, so freeing it never affects a running call.
///
/// Must not run while another thread uses the handle.
#[no_mangle]
pub extern "C" fn oss_append_cancel_token_free(token: *mut oss_append_cancel_token) {
    // SAFETY: NULL or a handle from `oss_append_cancel_token_new`, freed once.
    unsafe { free_handle(token) }
}
