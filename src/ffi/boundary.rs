//! The panic boundary and the argument helpers every exported function uses.
//!
//! An exported body returns `Result<(), Failure>`; [`guard`] runs it inside `catch_unwind`, turns a
//! failure or a panic into an [`oss_append_result`] and, when the caller asked for details, an [`oss_append_error`].

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::error::oss_append_error;
use super::result::oss_append_result;

/// Why a call failed: the code, and the details an `oss_append_error` will carry.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) result: oss_append_result,
    pub(crate) detail: Detail,
}

/// The source of a failure's details.
#[derive(Debug)]
pub(crate) enum Detail {
    /// Refused or failed in the C layer, with a message.
    Message(String),
    /// An error of the core library.
    Core(crate::Error),
}

impl Failure {
    pub(crate) fn new(result: oss_append_result, message: impl Into<String>) -> Self {
        Self { result, detail: Detail::Message(message.into()) }
    }

    pub(crate) fn null(name: &str) -> Self {
        Self::new(oss_append_result::NullPointer, format!("{name} is NULL"))
    }
}

impl From<crate::Error> for Failure {
    fn from(error: crate::Error) -> Self {
        Self { result: oss_append_result::from_core(&error), detail: Detail::Core(error) }
    }
}

/// Runs an exported function's body: panics and failures become a result code, and an error handle
/// is written to `error_out` (when it is not NULL) only on failure. When `error_out` is not NULL,
/// the error it holds (if alive) is freed and it is set to NULL first.
pub(crate) fn guard(
    error_out: *mut *mut oss_append_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> oss_append_result {
    if !error_out.is_null() {
        // SAFETY: the caller passes NULL (checked) or a pointer to a NULL-initialised or earlier-set
        // `oss_append_error *`.
        let previous = unsafe { error_out.replace(std::ptr::null_mut()) };
        let _ = catch_unwind(|| super::error::release(previous));
    }
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return oss_append_result::Ok,
        Ok(Err(failure)) => failure,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            Failure::new(oss_append_result::Panic, format!("internal error: the library panicked: {what}"))
        }
    };
    let result = failure.result;
    if !error_out.is_null() {
        // Building the handle allocates; a panic here must not cross the boundary either.
        if let Ok(handle) = catch_unwind(AssertUnwindSafe(|| oss_append_error::from_failure(failure).into_raw())) {
            // SAFETY: the caller passes either NULL (checked above) or a pointer to writable storage.
            unsafe { *error_out = handle };
        }
    }
    result
}

/// Runs a body that has no `oss_append_error **` out parameter and returns a plain value: a panic gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required handle: NULL is refused.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` for `'a`.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// A required mutable handle: NULL is refused.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn arg_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: guaranteed by the caller.
    unsafe { ptr.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// A required NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string alive for `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: not NULL, and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            oss_append_result::InvalidUtf8,
            format!("{name} is not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
        )
    })
}

/// An optional NUL-terminated UTF-8 string: NULL gives `None`.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Failure> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: as the caller guarantees.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// A `(pointer, length)` byte slice: `(NULL, 0)` is empty, `(NULL, n > 0)` is refused.
///
/// # Safety
/// When `len > 0`, `ptr` is NULL or points to `len` readable bytes alive for `'a`.
pub(crate) unsafe fn arg_bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::new(oss_append_result::NullPointer, format!("{name} is NULL but its length is {len}")));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            oss_append_result::InvalidArgument,
            format!("{name} length {len} is larger than any buffer"),
        ));
    }
    // SAFETY: not NULL, `len` readable bytes by the caller's contract, and `len <= isize::MAX`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A required out parameter: NULL is refused. Check it before doing the work, write it after.
pub(crate) fn arg_out<T>(ptr: *mut T, name: &str) -> Result<*mut T, Failure> {
    if ptr.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(ptr)
    }
}

/// Writes `value` to an out parameter that may be NULL (the caller does not want it).
///
/// # Safety
/// `ptr` is NULL or points to writable storage for a `T`.
pub(crate) unsafe fn write_opt<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: guaranteed by the caller; `write` does not drop the (possibly uninitialised) old value.
        unsafe { ptr.write(value) };
    }
}

/// Moves `value` to the heap and writes the handle to `out`.
///
/// # Safety
/// `out` points to writable storage for a pointer (checked non-NULL with [`arg_out`]).
pub(crate) unsafe fn write_handle<T>(out: *mut *mut T, value: T) {
    // SAFETY: guaranteed by the caller.
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// Frees a handle made by [`write_handle`]; NULL does nothing. A panic in a destructor is swallowed.
///
/// # Safety
/// `ptr` is NULL or a handle from [`write_handle`] not freed before.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: guaranteed by the caller: the pointer came from `Box::into_raw` and is freed once.
    let boxed = unsafe { Box::from_raw(ptr) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
}

/// Copies `text` into a fixed C array, cut at a character boundary to leave room for the NUL.
pub(crate) fn copy_to_array<const N: usize>(text: &str, out: &mut [c_char; N]) {
    let mut end = text.len().min(N.saturating_sub(1));
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let bytes = text[..end].bytes().map(|b| if b == 0 { b'?' } else { b });
    for (slot, byte) in out.iter_mut().zip(bytes) {
        *slot = byte as c_char;
    }
    out[end..].fill(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_code_and_an_error_handle() {
        let mut error: *mut oss_append_error = std::ptr::null_mut();
        let result = guard(&mut error, || panic!("boom"));
        assert_eq!(result, oss_append_result::Panic);
        assert!(!error.is_null());
        // SAFETY: written by `guard` just above.
        let handle = unsafe { &*error };
        assert!(handle.message_text().contains("boom"), "{}", handle.message_text());
        super::super::error::release(error);
    }

    #[test]
    fn a_call_frees_the_error_its_variable_held_and_success_leaves_null() {
        // That the earlier error is freed (not leaked) is proven by the C tests under ASan and
        // valgrind; here, what the variable holds after each call.
        let mut error: *mut oss_append_error = std::ptr::null_mut();
        let fail = || Err(Failure::new(oss_append_result::InvalidArgument, "no"));
        assert_eq!(guard(&mut error, fail), oss_append_result::InvalidArgument);
        assert!(super::super::error::is_live(error));
        assert_eq!(guard(&mut error, fail), oss_append_result::InvalidArgument);
        assert!(super::super::error::is_live(error));
        assert_eq!(guard(&mut error, || Ok(())), oss_append_result::Ok);
        assert!(error.is_null());
        // A pointer that is no live error (freed, or never made here) is only overwritten.
        let mut stale = std::ptr::dangling_mut::<oss_append_error>();
        assert_eq!(guard(&mut stale, || Ok(())), oss_append_result::Ok);
        assert!(stale.is_null());
    }

    #[test]
    fn null_and_empty_slices() {
        // SAFETY: NULL with length 0 is the empty slice; NULL with a length is refused before any read.
        unsafe {
            assert_eq!(arg_bytes(std::ptr::null(), 0, "data").unwrap(), b"");
            assert_eq!(arg_bytes(std::ptr::null(), 3, "data").unwrap_err().result, oss_append_result::NullPointer);
        }
    }

    #[test]
    fn strings_are_checked_for_null_and_utf8() {
        let bad = c"\xff\xfe";
        // SAFETY: NUL-terminated literals and NULL.
        unsafe {
            assert_eq!(arg_str(std::ptr::null(), "bucket").unwrap_err().result, oss_append_result::NullPointer);
            assert_eq!(arg_str(bad.as_ptr(), "bucket").unwrap_err().result, oss_append_result::InvalidUtf8);
            assert_eq!(arg_str(c"ok".as_ptr(), "bucket").unwrap(), "ok");
            assert_eq!(arg_opt_str(std::ptr::null(), "token").unwrap(), None);
        }
    }

    #[test]
    fn copies_into_arrays_cut_at_char_boundaries() {
        let mut out = [1 as c_char; 4];
        copy_to_array("aé€", &mut out);
        // "a" + "é" is 3 bytes; "€" would not fit with the NUL.
        assert_eq!(out.map(|c| c as u8), [b'a', 0xc3, 0xa9, 0]);
        copy_to_array("", &mut out);
        assert_eq!(out, [0; 4]);
    }
}
