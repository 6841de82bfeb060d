//! `oss_append_config` (the builder) and `oss_append_client` (the shared, thread-safe client).

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::boundary::{
    arg_bytes, arg_mut, arg_opt_str, arg_out, arg_ref, arg_str, free_handle, guard, write_handle, Failure,
};
use super::credentials::{callback_provider, make_credentials, oss_append_credentials_fn, UserData};
use super::error::oss_append_error;
use super::result::oss_append_result;
use crate::{Argument, Client, Config, Credentials, RetryPolicy, SignatureVersion};

/// Signature versions, for `oss_append_config_set_signature_version`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_signature_version {
    /// `OSS <AK>:<signature>` (HMAC-SHA1), for older deployments.
    V1 = 1,
    /// `OSS4-HMAC-SHA256`, the default.
    V4 = 4,
}

/// The settings of a client, filled by the `oss_append_config_set_*` functions and read by
/// `oss_append_client_new`: the core's configuration, so every setting left unset keeps its default and is
/// checked as in every other language.
///
/// Made by `oss_append_config_new`, owned by the caller, released with `oss_append_config_free`.
/// One config may make many clients. Not thread-safe: use it from one thread at a time.
pub struct oss_append_config {
    config: Config,
    /// Credentials are read from the environment by `oss_append_client_new`.
    credentials_from_env: bool,
}

/// A blocking OSS client: a connection pool, credentials and settings.
///
/// Made by `oss_append_client_new`, owned by the caller, released with `oss_append_client_free`.
/// Thread-safe: one client is meant to be shared by every thread of the program, concurrently;
/// only `oss_append_client_free` must wait until no other call is using it.
pub struct oss_append_client {
    pub(crate) client: Client,
}

/// Makes an empty client config.
///
/// On success `*config_out` is owned by the caller and must be released with `oss_append_config_free`.
/// Returns `OSS_APPEND_RESULT_OK`, or `OSS_APPEND_RESULT_NULL_POINTER` when `config_out` is NULL.
///
/// Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_config_new(config_out: *mut *mut oss_append_config) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        let out = arg_out(config_out, "config_out")?;
        let config = oss_append_config { config: Config::default(), credentials_from_env: false };
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, config) };
        Ok(())
    })
}

/// Makes a client config from the environment, in one call: the endpoint (`OSS_ENDPOINT`), the region
/// (`OSS_REGION`, optional) and the credentials (`OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and,
/// for STS, `OSS_SESSION_TOKEN`) — the variables the official SDKs and the emulator's banner use.
/// Other settings keep their defaults; the `oss_append_config_set_*` functions still apply.
///
/// On success `*config_out` is owned by the caller and must be released with `oss_append_config_free`;
/// on failure `*error_out` (when not NULL) receives the error.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER`; `OSS_APPEND_RESULT_INVALID_ENDPOINT`
/// (`OSS_ENDPOINT` unset); `OSS_APPEND_RESULT_CREDENTIALS` (a key unset, empty or with a line break).
/// Thread-safe, as far as the environment is not changed during the call.
#[no_mangle]
pub extern "C" fn oss_append_config_from_env(
    config_out: *mut *mut oss_append_config,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        let out = arg_out(config_out, "config_out")?;
        let config = oss_append_config { config: Config::from_env()?, credentials_from_env: false };
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, config) };
        Ok(())
    })
}

/// Releases a client config. NULL does nothing. Clients made from it are not affected.
///
/// Must not run while another thread uses the handle.
#[no_mangle]
pub extern "C" fn oss_append_config_free(config: *mut oss_append_config) {
    // SAFETY: NULL or a handle from `oss_append_config_new`, freed once.
    unsafe { free_handle(config) }
}

/// Runs a setter: checks the config pointer, then applies `set`.
fn set(
    config: *mut oss_append_config,
    set: impl FnOnce(&mut oss_append_config) -> Result<(), Failure>,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live config the caller does not use elsewhere during the call.
        let config = unsafe { arg_mut(config, "config")? };
        set(config)
    })
}

/// Sets the service endpoint: a region endpoint such as `"https://oss-cn-hangzhou.aliyuncs.com"`, or
/// any URL such as `"http://127.0.0.1:9000"`. Required. Copied. It is checked by `oss_append_client_new`.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (config or endpoint NULL) or `OSS_APPEND_RESULT_INVALID_UTF8`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_endpoint(
    config: *mut oss_append_config,
    endpoint: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or a NUL-terminated string.
        config.config.endpoint = unsafe { arg_str(endpoint, "endpoint") }?.to_string();
        Ok(())
    })
}

/// Sets the region id signed into V4 requests, e.g. `"cn-hangzhou"`. Default: taken from an
/// `oss-<region>.aliyuncs.com` endpoint; required for other endpoints with V4. NULL restores the
/// default. Copied.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (config NULL) or `OSS_APPEND_RESULT_INVALID_UTF8`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_region(
    config: *mut oss_append_config,
    region: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or a NUL-terminated string.
        config.config.region = unsafe { arg_opt_str(region, "region") }?.map(str::to_string);
        Ok(())
    })
}

/// Uses static keys, or STS keys when `security_token` is not NULL. Replaces any earlier credential
/// setting. Every string is copied.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (config, key id or secret NULL);
/// `OSS_APPEND_RESULT_INVALID_UTF8`; `OSS_APPEND_RESULT_INVALID_ARGUMENT` for an empty key id or secret.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_credentials(
    config: *mut oss_append_config,
    access_key_id: *const c_char,
    access_key_secret: *const c_char,
    security_token: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or NUL-terminated strings.
        let (id, secret, token) = unsafe {
            (
                arg_str(access_key_id, "access_key_id")?,
                arg_str(access_key_secret, "access_key_secret")?,
                arg_opt_str(security_token, "security_token")?,
            )
        };
        config.config.credentials = Some(Arc::new(make_credentials(id, secret, token, 0)?));
        config.config.credentials_url = None;
        config.credentials_from_env = false;
        Ok(())
    })
}

/// Uses credentials read by `oss_append_client_new` from `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and,
/// when set, `OSS_SESSION_TOKEN`. Replaces any earlier credential setting.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_credentials_from_env(config: *mut oss_append_config) -> oss_append_result {
    set(config, |config| {
        config.config.credentials = None;
        config.config.credentials_url = None;
        config.credentials_from_env = true;
        Ok(())
    })
}

/// Uses a callback that fetches credentials, such as STS tokens from the application's server; they
/// are cached until 5 minutes before their expiration. Replaces any earlier credential setting.
///
/// `user_data` is passed to every call of `callback`; it must stay valid, and be usable from any
/// thread, until every client made from this config is freed. Clients made from one config share
/// the provider and its cache.
///
/// Returns `OSS_APPEND_RESULT_OK`, or `OSS_APPEND_RESULT_NULL_POINTER` when config or callback is NULL.
#[no_mangle]
pub extern "C" fn oss_append_config_set_credentials_provider(
    config: *mut oss_append_config,
    callback: oss_append_credentials_fn,
    user_data: *mut c_void,
) -> oss_append_result {
    set(config, |config| {
        let callback = callback.ok_or_else(|| Failure::null("callback"))?;
        let provider = callback_provider(callback, UserData(user_data));
        config.config.credentials = Some(Arc::new(provider));
        config.config.credentials_url = None;
        config.credentials_from_env = false;
        Ok(())
    })
}

/// Fetches STS credentials from the application's token server at `url`: a GET answered `200` with
/// `{"StatusCode":200,"AccessKeyId":…,"AccessKeySecret":…,"SecurityToken":…,"Expiration":…}` (or a
/// relayed STS AssumeRole answer). They are fetched with this config's proxy, trust and timeouts,
/// and again 5 minutes before they expire or when the service refuses them. Replaces any earlier
/// credential setting. Copied; the URL is checked by `oss_append_client_new`.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_INVALID_UTF8`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_credentials_url(
    config: *mut oss_append_config,
    url: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or a NUL-terminated string.
        let url = unsafe { arg_str(url, "url") }?;
        config.config.credentials = None;
        config.config.credentials_url = Some(crate::CredentialsUrl::new(url));
        config.credentials_from_env = false;
        Ok(())
    })
}

/// Adds a header sent to the token server with each GET (repeatable), such as the app's own
/// `Authorization`. Its value never appears in messages. Copied; checked by `oss_append_client_new`.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER`, `OSS_APPEND_RESULT_INVALID_UTF8`,
/// or `OSS_APPEND_RESULT_INVALID_ARGUMENT` when no credentials URL is set.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_add_credentials_url_header(
    config: *mut oss_append_config,
    name: *const c_char,
    value: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or NUL-terminated strings.
        let (name, value) = unsafe { (arg_str(name, "name")?, arg_str(value, "value")?) };
        let url = config.config.credentials_url.take().ok_or_else(|| {
            Failure::new(
                oss_append_result::InvalidArgument,
                "no credentials URL is set: call oss_append_config_set_credentials_url first",
            )
        })?;
        config.config.credentials_url = Some(url.header(name, value));
        Ok(())
    })
}

/// Sets the signature version: `OSS_APPEND_SIGNATURE_VERSION_V4` (the default) or `OSS_APPEND_SIGNATURE_VERSION_V1`.
/// `version` is a plain integer so any value is safe to pass.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER`, or `OSS_APPEND_RESULT_INVALID_ARGUMENT` for another value.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_signature_version(
    config: *mut oss_append_config,
    version: u32,
) -> oss_append_result {
    set(config, |config| {
        config.config.signature_version = match version {
            v if v == oss_append_signature_version::V1 as u32 => SignatureVersion::V1,
            v if v == oss_append_signature_version::V4 as u32 => SignatureVersion::V4,
            other => {
                return Err(Failure::new(
                    oss_append_result::InvalidArgument,
                    format!("signature version {other} is not OSS_APPEND_SIGNATURE_VERSION_V1 (1) or _V4 (4)"),
                ))
            }
        };
        Ok(())
    })
}

/// Path style (`host/bucket/key`) when true, virtual-host style (`bucket.host/key`) when false.
/// Default: virtual-host style, except for IP and `localhost` endpoints, which always use path style.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_path_style(
    config: *mut oss_append_config,
    path_style: bool,
) -> oss_append_result {
    set(config, |config| {
        config.config.path_style = Some(path_style);
        Ok(())
    })
}

/// Sets the connect, read/write and whole-request timeouts in milliseconds. Defaults: 10 000,
/// 30 000 and none. `connect_ms` and `read_write_ms` must not be 0 (`oss_append_client_new` refuses it);
/// `request_ms` 0 means no whole-request timeout (large bodies take long).
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_timeouts(
    config: *mut oss_append_config,
    connect_ms: u64,
    read_write_ms: u64,
    request_ms: u64,
) -> oss_append_result {
    set(config, |config| {
        config.config.connect_timeout = Duration::from_millis(connect_ms);
        config.config.read_write_timeout = Duration::from_millis(read_write_ms);
        config.config.request_timeout = (request_ms != 0).then(|| Duration::from_millis(request_ms));
        Ok(())
    })
}

/// Sets the retry policy: `max_attempts` in all, the first included (1 disables retries; default 3),
/// with full-jitter exponential backoff from `base_delay_ms` (default 200) up to `max_delay_ms`
/// (default 20000) between attempts. Appends are retried safely: a retry never appends twice.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER`, or `OSS_APPEND_RESULT_INVALID_ARGUMENT` when
/// `max_attempts` is 0 or `base_delay_ms > max_delay_ms`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_retries(
    config: *mut oss_append_config,
    max_attempts: u32,
    base_delay_ms: u64,
    max_delay_ms: u64,
) -> oss_append_result {
    set(config, |config| {
        let retry = RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(base_delay_ms),
            max_delay: Duration::from_millis(max_delay_ms),
        };
        retry.validate()?;
        config.config.retry = retry;
        Ok(())
    })
}

/// Sets the User-Agent header. Default `oss-append/<version>`. NULL restores the default. Copied.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (config NULL), `OSS_APPEND_RESULT_INVALID_UTF8`, or
/// `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` for a line break or control character.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_user_agent(
    config: *mut oss_append_config,
    user_agent: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or a NUL-terminated string.
        let user_agent = unsafe { arg_opt_str(user_agent, "user_agent") }?;
        if let Some(value) = user_agent {
            crate::validate::header_value(Argument::UserAgent, value)?;
        }
        config.config.user_agent = user_agent.map(str::to_string).unwrap_or_else(|| Config::default().user_agent);
        Ok(())
    })
}

/// Trusts the certificate authorities of the PEM file at `path` (a private CA, a TLS-inspecting
/// proxy's, the emulator's `--tls-generate` file) besides the platform's trust store, or instead of
/// it when `only` is true. The file is read now. NULL `path` goes back to the platform's store alone.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (config NULL);
/// `OSS_APPEND_RESULT_INVALID_ARGUMENT` (a file that cannot be read, or holds no PEM certificate).
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_ca_bundle_file(
    config: *mut oss_append_config,
    path: *const c_char,
    only: bool,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or a NUL-terminated string.
        match unsafe { arg_opt_str(path, "path") }? {
            None => config.config.trust = crate::Trust::platform(),
            Some(path) => {
                let pem = crate::config::read_ca_bundle(std::path::Path::new(path))?;
                set_trust(config, pem, only)?;
            }
        }
        Ok(())
    })
}

/// As `oss_append_config_set_ca_bundle_file`, from `len` bytes of PEM at `pem` (copied).
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (config NULL, or NULL `pem` with a
/// length); `OSS_APPEND_RESULT_INVALID_ARGUMENT` (no PEM certificate in it).
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_ca_bundle_pem(
    config: *mut oss_append_config,
    pem: *const u8,
    len: usize,
    only: bool,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or `len` readable bytes.
        let pem = unsafe { arg_bytes(pem, len, "pem") }?.to_vec();
        set_trust(config, pem, only)
    })
}

/// The trust of `pem`, checked now so a bad bundle fails at the setter.
fn set_trust(config: &mut oss_append_config, pem: Vec<u8>, only: bool) -> Result<(), Failure> {
    let trust = if only { crate::Trust::only_ca_pem(pem) } else { crate::Trust::with_ca_pem(pem) };
    trust.check()?;
    config.config.trust = trust;
    Ok(())
}

/// The proxy requests go through: `http://[user:password@]host:port` (CONNECT for https
/// endpoints); `""` for none at all; NULL for the environment's (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, except the hosts in `NO_PROXY`), the default. Copied; checked by `oss_append_client_new`.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` (config NULL) or
/// `OSS_APPEND_RESULT_INVALID_UTF8`.
///
/// Not thread-safe: no other call may use `config` at the same time.
#[no_mangle]
pub extern "C" fn oss_append_config_set_proxy(config: *mut oss_append_config, url: *const c_char) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or a NUL-terminated string.
        config.config.proxy = match unsafe { arg_opt_str(url, "url") }? {
            None => crate::Proxy::FromEnvironment,
            Some("") => crate::Proxy::Direct,
            Some(url) => crate::Proxy::Url(url.to_string()),
        };
        Ok(())
    })
}

/// Makes a client from a config. The config is only read: it may be changed or freed afterwards.
///
/// On success `*client_out` is owned by the caller and must be released with `oss_append_client_free`.
/// On failure nothing is written to `*client_out`, and `*error_out` (when `error_out` is not NULL)
/// receives an error the caller releases with `oss_append_error_free`.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER` (config or client_out NULL);
/// `OSS_APPEND_RESULT_INVALID_ENDPOINT` (missing or not an http(s) URL without a path);
/// `OSS_APPEND_RESULT_INVALID_REGION`; `OSS_APPEND_RESULT_CREDENTIALS` (none set, or the environment lacks them);
/// `OSS_APPEND_RESULT_INVALID_HEADER_VALUE` (user agent); `OSS_APPEND_RESULT_INVALID_ARGUMENT`.
///
/// Thread-safe, as long as no setter changes `config` during the call.
#[no_mangle]
pub extern "C" fn oss_append_client_new(
    config: *const oss_append_config,
    client_out: *mut *mut oss_append_client,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or a live config.
        let config = unsafe { arg_ref(config, "config")? };
        let out = arg_out(client_out, "client_out")?;
        let mut core = config.config.clone();
        if config.credentials_from_env {
            core.credentials = Some(Arc::new(Credentials::from_env()?));
        }
        let client = Client::new(core)?;
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, oss_append_client { client }) };
        Ok(())
    })
}

/// Releases a client and its connections. NULL does nothing. No other call may be using the client.
///
/// Must not run while another thread uses the handle.
#[no_mangle]
pub extern "C" fn oss_append_client_free(client: *mut oss_append_client) {
    // SAFETY: NULL or a handle from `oss_append_client_new`, freed once.
    unsafe { free_handle(client) }
}
