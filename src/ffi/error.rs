//! `oss_append_error`: the details of a failed call.

use std::collections::BTreeSet;
use std::ffi::{c_char, CString};
use std::sync::Mutex;

use super::boundary::{free_handle, guard_value, Detail, Failure};
use super::result::oss_append_result;
use crate::{Error, InFlight};

/// The value of `OSS_APPEND_POSITION_UNKNOWN`: "no position given" in calls, "not known" in results.
pub const OSS_APPEND_POSITION_UNKNOWN: u64 = u64::MAX;

/// The largest object an append may produce: 5 GiB. An append past it fails with
/// `OSS_APPEND_RESULT_POSITION_TOO_LARGE` before anything is sent.
pub const OSS_APPEND_MAX_OBJECT_SIZE: u64 = 5_368_709_120;

/// The details of a failed call: result code, HTTP status, and the service's Code, Message,
/// RequestId, HostId and EC.
///
/// Made by a failing call that was given a non-NULL `oss_append_error **error_out`. One variable may
/// serve every call: each call given `error_out` first frees the error `*error_out` holds (if any)
/// and sets it to NULL, then stores a new error only if it fails; so after any call, `*error_out` is
/// that call's error or NULL, and the one `oss_append_error_free` at the end releases the last. Keep
/// the variable NULL-initialised. The library knows which errors are alive: freeing one twice, or
/// passing one already freed back as `*error_out`, does nothing.
///
/// Every string an accessor returns is owned by the handle, NUL-terminated, never NULL, and valid
/// until the handle is freed (by `oss_append_error_free` or by the next call given its variable).
/// The handle is immutable: its accessors may be called from any thread.
pub struct oss_append_error {
    result: oss_append_result,
    http_status: u16,
    message: CString,
    code: CString,
    service_message: CString,
    request_id: CString,
    host_id: CString,
    ec: CString,
    next_position: Option<u64>,
    crc64: Option<u64>,
    retryable: bool,
    in_flight: Option<InFlight>,
    size_needed: u64,
    tls_kind: oss_append_tls_kind,
}

/// Why a TLS connection could not be made, from `oss_append_error_tls_kind`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_tls_kind {
    /// Not a TLS failure.
    None = 0,
    /// The server's certificate is not signed by an authority the client trusts: give one with
    /// `oss_append_config_set_ca_bundle_file`.
    UnknownIssuer = 1,
    /// The certificate is for another name than the endpoint's host.
    NameMismatch = 2,
    /// The certificate has expired or is not valid yet (check the clock too).
    Expired = 3,
    /// The server speaks plain HTTP: use an http:// endpoint.
    PlainHttp = 4,
    /// Another handshake failure.
    Other = 5,
}

/// An append whose outcome is unknown (`OSS_APPEND_RESULT_UNSETTLED`): plain data to keep, for example in
/// a file, and settle later with `oss_append_settle`. Nothing to free.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct oss_append_in_flight {
    /// Where the data was appended: the object's length before it.
    pub position: u64,
    /// How many bytes were appended (not zero).
    pub length: u64,
    /// CRC-64 of the data alone.
    pub body_crc64: u64,
    /// CRC-64 of the object before the append; meaningful when `has_crc64_before`.
    pub crc64_before: u64,
    /// Whether `crc64_before` is known.
    pub has_crc64_before: bool,
}

impl oss_append_in_flight {
    pub(crate) fn from_core(in_flight: &InFlight) -> Self {
        Self {
            position: in_flight.position,
            length: in_flight.length,
            body_crc64: in_flight.body_crc64,
            crc64_before: in_flight.crc64_before.unwrap_or(0),
            has_crc64_before: in_flight.crc64_before.is_some(),
        }
    }

    pub(crate) fn to_core(self, bucket: &str, key: &str) -> InFlight {
        InFlight {
            bucket: bucket.to_string(),
            key: key.to_string(),
            position: self.position,
            length: self.length,
            body_crc64: self.body_crc64,
            crc64_before: self.has_crc64_before.then_some(self.crc64_before),
        }
    }
}

/// A C string from any text: interior NULs, which C cannot hold, become `?`.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "?")).unwrap_or_default()
}

impl oss_append_error {
    pub(crate) fn from_failure(failure: Failure) -> Self {
        let empty = CString::default;
        let mut handle = Self {
            result: failure.result,
            http_status: 0,
            message: empty(),
            code: empty(),
            service_message: empty(),
            request_id: empty(),
            host_id: empty(),
            ec: empty(),
            next_position: None,
            crc64: None,
            retryable: false,
            in_flight: None,
            size_needed: 0,
            tls_kind: oss_append_tls_kind::None,
        };
        match failure.detail {
            Detail::Message(message) => handle.message = c_string(&message),
            Detail::Core(error) => {
                handle.message = c_string(&error.to_string());
                handle.retryable = error.is_retryable();
                handle.in_flight = error.in_flight().cloned();
                match &error {
                    Error::Service(service) => {
                        handle.http_status = service.status;
                        handle.code = c_string(&service.code);
                        handle.service_message = c_string(&service.message);
                        handle.request_id = c_string(&service.request_id);
                        handle.host_id = c_string(&service.host_id);
                        handle.ec = c_string(&service.ec);
                        handle.next_position = service.next_position;
                        handle.crc64 = service.server_crc64;
                    }
                    Error::CrcMismatch { server_crc64, next_position, request_id, .. } => {
                        handle.request_id = c_string(request_id);
                        handle.next_position = Some(*next_position);
                        handle.crc64 = Some(*server_crc64);
                    }
                    Error::Unverified { next_position, request_id } => {
                        handle.request_id = c_string(request_id);
                        handle.next_position = Some(*next_position);
                    }
                    Error::BufferTooSmall { needed, .. } => handle.size_needed = *needed,
                    Error::Tls { kind, .. } => {
                        handle.tls_kind = match kind {
                            crate::TlsErrorKind::UnknownIssuer => oss_append_tls_kind::UnknownIssuer,
                            crate::TlsErrorKind::NameMismatch => oss_append_tls_kind::NameMismatch,
                            crate::TlsErrorKind::Expired => oss_append_tls_kind::Expired,
                            crate::TlsErrorKind::PlainHttp => oss_append_tls_kind::PlainHttp,
                            _ => oss_append_tls_kind::Other,
                        }
                    }
                    _ => {}
                }
            }
        }
        handle
    }

    #[cfg(test)]
    pub(crate) fn message_text(&self) -> &str {
        self.message.to_str().unwrap_or_default()
    }
}

const EMPTY: &c_char = &0;

/// The addresses of the error handles alive: what may be freed, and read.
static LIVE: Mutex<BTreeSet<usize>> = Mutex::new(BTreeSet::new());

fn live() -> std::sync::MutexGuard<'static, BTreeSet<usize>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl oss_append_error {
    /// Moves the handle to the heap and records it as alive.
    pub(crate) fn into_raw(self) -> *mut oss_append_error {
        let ptr = Box::into_raw(Box::new(self));
        live().insert(ptr as usize);
        ptr
    }
}

/// Frees `error` if it is a live handle; anything else (NULL, freed before, never made here) is left.
pub(crate) fn release(error: *mut oss_append_error) {
    if !error.is_null() && live().remove(&(error as usize)) {
        // SAFETY: alive, so made by `into_raw` and not freed since; no longer recorded, so freed once.
        unsafe { free_handle(error) }
    }
}

/// Whether `error` is a live handle.
pub(crate) fn is_live(error: *const oss_append_error) -> bool {
    !error.is_null() && live().contains(&(error as usize))
}

/// Reads one field of an error handle; NULL, a handle not alive, or a panic gives `fallback`.
fn field<T: Copy>(error: *const oss_append_error, fallback: T, read: impl FnOnce(&oss_append_error) -> T) -> T {
    guard_value(fallback, || {
        if !is_live(error) {
            return fallback;
        }
        // SAFETY: a live handle from this library.
        read(unsafe { &*error })
    })
}

/// Releases an error handle. NULL, or a handle already freed, does nothing. The handle and its
/// strings must not be used afterwards.
///
/// Not thread-safe with respect to other uses of the same handle.
#[no_mangle]
pub extern "C" fn oss_append_error_free(error: *mut oss_append_error) {
    guard_value((), || release(error))
}

/// The result code of the failed call. NULL gives `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_result(error: *const oss_append_error) -> oss_append_result {
    field(error, oss_append_result::NullPointer, |e| e.result)
}

/// What went wrong, for a person: a full sentence with the advice that goes with it (for a service
/// error: status, Code, Message, EC, request id). Never empty for a handle made by a failure.
///
/// Owned by the handle, valid until `oss_append_error_free`. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_message(error: *const oss_append_error) -> *const c_char {
    field(error, EMPTY as *const c_char, |e| e.message.as_ptr())
}

/// The HTTP status of a service error (e.g. 409); 0 when the service did not answer with an error.
/// NULL gives 0.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_http_status(error: *const oss_append_error) -> u16 {
    field(error, 0, |e| e.http_status)
}

/// The service's error Code, e.g. `"PositionNotEqualToLength"`; `""` for errors that are not from the
/// service (or a HEAD error, which has no body, except the codes the library infers: NoSuchKey,
/// AccessDenied). Owned by the handle, valid until `oss_append_error_free`. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_code(error: *const oss_append_error) -> *const c_char {
    field(error, EMPTY as *const c_char, |e| e.code.as_ptr())
}

/// The service's error Message, as sent; `""` when there is none.
/// Owned by the handle, valid until `oss_append_error_free`. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_service_message(error: *const oss_append_error) -> *const c_char {
    field(error, EMPTY as *const c_char, |e| e.service_message.as_ptr())
}

/// The request id (`x-oss-request-id`) of the failed request, for Alibaba Cloud support; `""` when
/// there is none. Owned by the handle, valid until `oss_append_error_free`. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_request_id(error: *const oss_append_error) -> *const c_char {
    field(error, EMPTY as *const c_char, |e| e.request_id.as_ptr())
}

/// The service's HostId; `""` when there is none.
/// Owned by the handle, valid until `oss_append_error_free`. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_host_id(error: *const oss_append_error) -> *const c_char {
    field(error, EMPTY as *const c_char, |e| e.host_id.as_ptr())
}

/// The service's detailed error code EC, e.g. `"0026-00000016"`; `""` when there is none.
/// Owned by the handle, valid until `oss_append_error_free`. NULL gives `""`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_ec(error: *const oss_append_error) -> *const c_char {
    field(error, EMPTY as *const c_char, |e| e.ec.as_ptr())
}

/// The object's real length, where the next append must go: set for
/// `OSS_APPEND_RESULT_POSITION_NOT_EQUAL_TO_LENGTH` (from `x-oss-next-append-position`) and
/// `OSS_APPEND_RESULT_CRC_MISMATCH`; `OSS_APPEND_POSITION_UNKNOWN` otherwise. NULL gives `OSS_APPEND_POSITION_UNKNOWN`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_next_position(error: *const oss_append_error) -> u64 {
    field(error, OSS_APPEND_POSITION_UNKNOWN, |e| e.next_position.unwrap_or(OSS_APPEND_POSITION_UNKNOWN))
}

/// The object's CRC-64 as the service reported it with the error, if it did: returns true and writes
/// `*crc64_out`; returns false and leaves it untouched otherwise. Set for `OSS_APPEND_RESULT_CRC_MISMATCH`
/// and for a 409 that carried `x-oss-hash-crc64ecma`. NULL `error` or `crc64_out` gives false.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_crc64(error: *const oss_append_error, crc64_out: *mut u64) -> bool {
    field(error, false, |e| match (e.crc64, crc64_out.is_null()) {
        (Some(crc), false) => {
            // SAFETY: not NULL; the caller passes writable storage.
            unsafe { crc64_out.write(crc) };
            true
        }
        _ => false,
    })
}

/// For `OSS_APPEND_RESULT_BUFFER_TOO_SMALL`: the buffer size the read needs (the object's, or the
/// range's, length when the service answered); 0 for any other error. NULL gives 0.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_size_needed(error: *const oss_append_error) -> u64 {
    field(error, 0, |e| e.size_needed)
}

/// For `OSS_APPEND_RESULT_TLS`: why the TLS connection could not be made; `OSS_APPEND_TLS_KIND_NONE`
/// for any other error. NULL gives `OSS_APPEND_TLS_KIND_NONE`.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_tls_kind(error: *const oss_append_error) -> oss_append_tls_kind {
    field(error, oss_append_tls_kind::None, |e| e.tls_kind)
}

/// Whether the failed call left nothing written, so it may simply be made again (after a pause).
/// The library's own classification: `OSS_APPEND_RESULT_UNSETTLED` is never retryable. NULL gives false.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_is_retryable(error: *const oss_append_error) -> bool {
    field(error, false, |e| e.retryable)
}

/// The append whose outcome is unknown, for `OSS_APPEND_RESULT_UNSETTLED`: returns true and writes
/// `*in_flight_out`; returns false and leaves it untouched for any other error. Keep it (it is plain
/// data) and pass it to `oss_append_settle` to learn whether the bytes landed before sending them again.
/// NULL `error` or `in_flight_out` gives false.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_error_in_flight(
    error: *const oss_append_error,
    in_flight_out: *mut oss_append_in_flight,
) -> bool {
    field(error, false, |e| match (&e.in_flight, in_flight_out.is_null()) {
        (Some(in_flight), false) => {
            // SAFETY: not NULL; the caller passes writable storage.
            unsafe { in_flight_out.write(oss_append_in_flight::from_core(in_flight)) };
            true
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn text(ptr: *const c_char) -> String {
        // SAFETY: the accessors return NUL-terminated strings owned by a live handle (or a static).
        unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
    }

    #[test]
    fn the_c_size_limit_is_the_core_limit() {
        assert_eq!(OSS_APPEND_MAX_OBJECT_SIZE, crate::validate::MAX_APPENDABLE_SIZE);
    }

    #[test]
    fn a_service_error_carries_every_field() {
        let mut service = crate::ServiceError::new(409, "PositionNotEqualToLength");
        service.message = "Position is not equal to file length".into();
        service.request_id = "RID\0X".into();
        service.host_id = "b.oss-cn-hangzhou.aliyuncs.com".into();
        service.ec = "0026-00000016".into();
        service.next_position = Some(42);
        service.server_crc64 = Some(7);
        service.position = Some(3);
        let error: *const oss_append_error =
            oss_append_error::from_failure(crate::Error::from(service).into()).into_raw();
        assert_eq!(oss_append_error_result(error), oss_append_result::PositionNotEqualToLength);
        assert_eq!(oss_append_error_http_status(error), 409);
        assert_eq!(text(oss_append_error_code(error)), "PositionNotEqualToLength");
        assert_eq!(text(oss_append_error_service_message(error)), "Position is not equal to file length");
        // An interior NUL, which C cannot hold, becomes '?'.
        assert_eq!(text(oss_append_error_request_id(error)), "RID?X");
        assert_eq!(text(oss_append_error_host_id(error)), "b.oss-cn-hangzhou.aliyuncs.com");
        assert_eq!(text(oss_append_error_ec(error)), "0026-00000016");
        assert_eq!(oss_append_error_next_position(error), 42);
        let mut crc = 0;
        assert!(oss_append_error_crc64(error, &mut crc));
        assert_eq!(crc, 7);
        assert!(!oss_append_error_crc64(error, std::ptr::null_mut()));
        let message = text(oss_append_error_message(error));
        assert!(message.contains("appended at 3, object length is 42"), "{message}");
        release(error.cast_mut());
        // Freed: the accessors see no handle, and a second free does nothing.
        assert_eq!(oss_append_error_result(error), oss_append_result::NullPointer);
        assert_eq!(text(oss_append_error_code(error)), "");
        oss_append_error_free(error.cast_mut());
    }

    #[test]
    fn an_unsettled_error_carries_its_in_flight_append() {
        let in_flight = InFlight {
            bucket: "b".into(),
            key: "k".into(),
            position: 10,
            length: 5,
            body_crc64: 77,
            crc64_before: Some(99),
        };
        let error = crate::Error::Unsettled(Box::new(crate::Unsettled {
            in_flight: in_flight.clone(),
            cause: crate::Error::network("unreachable"),
        }));
        let error: *const oss_append_error = oss_append_error::from_failure(error.into()).into_raw();
        assert_eq!(oss_append_error_result(error), oss_append_result::Unsettled);
        assert!(!oss_append_error_is_retryable(error));
        let mut out =
            oss_append_in_flight { position: 0, length: 0, body_crc64: 0, crc64_before: 0, has_crc64_before: false };
        assert!(oss_append_error_in_flight(error, &mut out));
        assert_eq!(out.to_core("b", "k"), in_flight);
        assert!(!oss_append_error_in_flight(error, std::ptr::null_mut()));
        assert!(text(oss_append_error_message(error)).contains("may have landed"));
        release(error.cast_mut());
        // Other errors have none, and say whether they are retryable.
        let error: *const oss_append_error =
            oss_append_error::from_failure(crate::Error::network("reset").into()).into_raw();
        assert!(!oss_append_error_in_flight(error, &mut out));
        assert!(oss_append_error_is_retryable(error));
        release(error.cast_mut());
    }

    #[test]
    fn a_local_error_has_empty_service_fields() {
        let error: *const oss_append_error = oss_append_error::from_failure(crate::Error::Cancelled.into()).into_raw();
        assert_eq!(oss_append_error_result(error), oss_append_result::Cancelled);
        assert_eq!(oss_append_error_http_status(error), 0);
        assert_eq!(text(oss_append_error_code(error)), "");
        assert_eq!(oss_append_error_next_position(error), OSS_APPEND_POSITION_UNKNOWN);
        assert_eq!(text(oss_append_error_message(error)), "cancelled by the caller");
        release(error.cast_mut());
    }
}
