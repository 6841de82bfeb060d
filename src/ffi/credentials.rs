//! The credentials-provider callback: the application hands out (STS) credentials on request.

use std::ffi::{c_char, c_void};
use std::time::{Duration, SystemTime};

use super::boundary::{arg_mut, arg_opt_str, arg_str, guard, Failure};
use super::result::oss_append_result;
use crate::{Credentials, Error, RefreshingProvider};

/// Where a credentials callback puts the credentials it fetched, with `oss_append_credentials_sink_set`.
///
/// Made by the library for one callback call and valid only during it; never free it.
pub struct oss_append_credentials_sink {
    credentials: Option<Credentials>,
}

/// Fetches credentials for the client, for example STS credentials from the application's server.
///
/// Called with the `user_data` given to `oss_append_config_set_credentials_provider` and a sink.
/// It calls `oss_append_credentials_sink_set` once and returns true; returning false (or true without
/// setting them) fails the request with `OSS_APPEND_RESULT_CREDENTIALS`.
///
/// Called on the thread making a request, before the first request and again whenever the cached
/// credentials are within 5 minutes of the expiration they were given with (credentials without an
/// expiration are kept for the client's lifetime). Calls are serialized: never two at once for one
/// provider, but successive calls may come from different threads. It must not unwind (a C++
/// callback must catch its exceptions) and must not call into the same client.
pub type oss_append_credentials_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, sink: *mut oss_append_credentials_sink) -> bool>;

/// Sets the credentials a credentials callback fetched. Only valid inside that callback.
///
/// `access_key_id` and `access_key_secret` are required; `security_token` is the STS token, or NULL
/// for long-lived keys. `expiration_unix_secs` is when they stop working, in seconds since
/// 1970-01-01 UTC, or 0 if they do not expire. Every string is copied.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` for a NULL sink, key id or secret;
/// `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_ARGUMENT` for an empty key id or secret.
///
/// Call it only from the credentials callback, on the thread running it.
#[no_mangle]
pub extern "C" fn oss_append_credentials_sink_set(
    sink: *mut oss_append_credentials_sink,
    access_key_id: *const c_char,
    access_key_secret: *const c_char,
    security_token: *const c_char,
    expiration_unix_secs: u64,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller passes the sink it was given (or NULL) and NUL-terminated strings (or NULL).
        let (sink, id, secret, token) = unsafe {
            (
                arg_mut(sink, "sink")?,
                arg_str(access_key_id, "access_key_id")?,
                arg_str(access_key_secret, "access_key_secret")?,
                arg_opt_str(security_token, "security_token")?,
            )
        };
        sink.credentials = Some(make_credentials(id, secret, token, expiration_unix_secs)?);
        Ok(())
    })
}

/// Credentials from C arguments, checked by the core; an empty token is no token.
pub(crate) fn make_credentials(
    id: &str,
    secret: &str,
    token: Option<&str>,
    expiration_unix_secs: u64,
) -> Result<Credentials, Failure> {
    let mut credentials = Credentials::new(id, secret);
    if let Some(token) = token.filter(|t| !t.is_empty()) {
        credentials = credentials.with_security_token(token);
    }
    credentials.validate()?;
    if expiration_unix_secs != 0 {
        let at = SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(expiration_unix_secs)).ok_or_else(|| {
            Failure::new(
                oss_append_result::InvalidArgument,
                format!("expiration {expiration_unix_secs} is out of range"),
            )
        })?;
        credentials = credentials.with_expiration(at);
    }
    Ok(credentials)
}

/// A C pointer the application promises may be used from any thread.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub(crate) *mut c_void);

// SAFETY: the documentation of every callback setter requires `user_data` to be usable from any
// thread for as long as the callback may be called.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

/// Wraps the C callback as a provider that caches until shortly before expiration.
pub(crate) fn callback_provider(
    callback: unsafe extern "C" fn(*mut c_void, *mut oss_append_credentials_sink) -> bool,
    user_data: UserData,
) -> RefreshingProvider {
    RefreshingProvider::new(move || {
        let user_data = user_data;
        let mut sink = oss_append_credentials_sink { credentials: None };
        // SAFETY: the application's callback, called as its documentation says.
        let ok = unsafe { callback(user_data.0, &mut sink) };
        match (ok, sink.credentials) {
            (true, Some(credentials)) => Ok(credentials),
            (true, None) => Err(Error::Credentials {
                reason: "the credentials callback returned true without calling oss_append_credentials_sink_set".into(),
            }),
            (false, _) => Err(Error::Credentials { reason: "the credentials callback returned false".into() }),
        }
    })
}
