//! `oss_append_spool`: the durable, offline-first appender, and `oss_append_spool_config`, its settings.

use std::ffi::{c_char, c_void, CString};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::boundary::{arg_bytes, arg_mut, arg_out, arg_ref, arg_str, copy_to_array, free_handle, guard, write_handle};
use super::boundary::{write_opt, Failure};
use super::client::oss_append_client;
use super::credentials::UserData;
use super::error::oss_append_error;
use super::options::oss_append_options;
use super::result::oss_append_result;
use crate::{DropReason, FullPolicy, RolloverReason, Spool, SpoolConfig, SpoolEvent, SyncPolicy};

/// Sync policies, for `oss_append_spool_config_set_sync`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_spool_sync {
    /// fsync before a write returns: nothing written is lost to a power cut.
    EveryWrite = 1,
    /// fsync by a background thread every `interval_ms` (the default, 1000): a power cut loses at
    /// most that interval's writes; a crash of the process loses nothing.
    Interval = 2,
    /// Never by the spool: the system writes back when it likes.
    Never = 3,
}

/// What a write does when the journal is full, for `oss_append_spool_config_set_limits`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_spool_full {
    /// Waits for space up to `block_timeout_ms`, then fails with `OSS_APPEND_RESULT_SPOOL_FULL` (the default,
    /// 10 s).
    Block = 1,
    /// Fails at once with `OSS_APPEND_RESULT_SPOOL_FULL`.
    RejectNew = 2,
    /// Drops the oldest data not yet sent (whole journal segments, never the batch in flight), counted
    /// and reported with `OSS_APPEND_SPOOL_EVENT_KIND_DROPPED`.
    DropOldest = 3,
}

/// Kinds of `oss_append_spool_event`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_spool_event_kind {
    /// A batch is in the object `key` at `position`, `length` bytes long.
    Appended = 1,
    /// The spool moved on from object `from` to object `key`; `reason` is an `oss_append_spool_rollover`.
    RolledOver = 2,
    /// An upload failed (`message`, `retryable`); the data is kept and tried again at
    /// `retry_at_unix_ms`.
    Error = 3,
    /// `bytes` of data not yet sent were dropped; `reason` is an `oss_append_spool_drop`.
    Dropped = 4,
    /// A write waits for space; `bytes` are waiting to be sent.
    Blocked = 5,
    /// A damaged journal segment was copied to `message` (a path); its good records were kept.
    Quarantined = 6,
}

/// Why the spool moved on to a new object.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_spool_rollover {
    /// The next batch would pass the size limit.
    Size = 1,
    /// The object reached its age limit.
    Age = 2,
    /// Another writer appended to the object (it is never overwritten).
    OtherWriter = 3,
    /// The object is not appendable (it is never overwritten).
    NotAppendable = 4,
}

/// Why data was dropped.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum oss_append_spool_drop {
    /// The journal was full under `OSS_APPEND_SPOOL_FULL_DROP_OLDEST`.
    Full = 1,
    /// The data was older than the maximum age.
    MaxAge = 2,
    /// A journal record was damaged on disk.
    Corrupt = 3,
}

/// One event of a spool, for its listener. Every pointer is valid during the call only; strings
/// that do not apply are `""`, numbers 0.
#[repr(C)]
pub struct oss_append_spool_event {
    /// What happened.
    pub kind: oss_append_spool_event_kind,
    /// The object (`APPENDED`), or the new object (`ROLLED_OVER`).
    pub key: *const c_char,
    /// The object left (`ROLLED_OVER`).
    pub from: *const c_char,
    /// The error's text (`ERROR`), or the quarantined copy's path (`QUARANTINED`).
    pub message: *const c_char,
    /// Where the batch starts (`APPENDED`).
    pub position: u64,
    /// The batch's length (`APPENDED`), or the bytes dropped (`DROPPED`) or waiting (`BLOCKED`).
    pub bytes: u64,
    /// An `oss_append_spool_rollover` (`ROLLED_OVER`) or `oss_append_spool_drop` (`DROPPED`).
    pub reason: u32,
    /// Whether the failure passes by itself (`ERROR`).
    pub retryable: bool,
    /// When the next try is, in milliseconds since the Unix epoch (`ERROR`).
    pub retry_at_unix_ms: u64,
}

/// Told of every event of a spool. Called on the spool's uploader thread (appended, rolled over,
/// error, dropped for age), on the writing thread (blocked, dropped when full) or in `oss_append_spool_open`
/// (quarantined, dropped for damage); it must be quick, must not unwind, and must not call
/// `oss_append_spool_close` or `oss_append_spool_free`.
pub type oss_append_spool_listener =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const oss_append_spool_event)>;

/// A spool's settings, filled by the `oss_append_spool_config_set_*` functions and read by `oss_append_spool_open`.
///
/// Made by `oss_append_spool_config_new`, owned by the caller, released with `oss_append_spool_config_free`. Not
/// thread-safe: use it from one thread at a time.
pub struct oss_append_spool_config {
    config: SpoolConfig,
}

/// A durable, offline-first appender: bytes written are in its journal (on disk) when a write
/// returns, and go to OSS in batches, exactly once, across outages, crashes and restarts.
///
/// Made by `oss_append_spool_open`, owned by the caller, released with `oss_append_spool_free` (which closes it).
/// Thread-safe: every call but `oss_append_spool_free` may be made from any thread, concurrently.
pub struct oss_append_spool {
    spool: Spool,
}

/// What a spool has done and is doing. Plain data: nothing to free.
#[repr(C)]
pub struct oss_append_spool_status {
    /// Bytes written and not yet in OSS (nor dropped).
    pub pending_bytes: u64,
    /// Bytes appended to OSS, ever.
    pub appended_bytes: u64,
    /// Bytes dropped, ever (full, too old).
    pub dropped_bytes: u64,
    /// Bytes lost to damaged journal records, ever.
    pub corrupt_bytes: u64,
    /// The journal's size on disk.
    pub journal_bytes: u64,
    /// The object's length, as the spool made it.
    pub position: u64,
    /// The object's CRC-64 there; meaningful when `has_crc64`.
    pub crc64: u64,
    /// Whether `crc64` is known.
    pub has_crc64: bool,
    /// Whether a batch is in flight.
    pub in_flight: bool,
    /// When the next try is, in milliseconds since the Unix epoch; 0 while uploads succeed.
    pub next_try_unix_ms: u64,
    /// The object being appended to, NUL-terminated.
    pub object: [c_char; 1024],
    /// The last upload error (cut at 511 bytes), NUL-terminated; empty while uploads succeed.
    pub last_error: [c_char; 512],
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Makes a spool config for objects in `bucket` named by `key_template` (`{seq}`, `{seq:WIDTH}`,
/// `{date}`, `{time}`, `{year}`, `{month}`, `{day}`, `{hour}`, `{minute}`, `{unix}`, and variables
/// set with `oss_append_spool_config_set_var`; `{{` and `}}` are a brace; checked by
/// `oss_append_spool_open`). A template without `{seq}` names the first object as it is and the next
/// ones (after a rollover) with the object's number added at the end: `logs/app.log`, then
/// `logs/app.log.1`, `logs/app.log.2`, ... Both strings are copied.
///
/// On success `*config_out` is owned by the caller and must be released with `oss_append_spool_config_free`.
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_INVALID_UTF8`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_new(
    bucket: *const c_char,
    key_template: *const c_char,
    config_out: *mut *mut oss_append_spool_config,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or NUL-terminated strings.
        let (bucket, template) = unsafe { (arg_str(bucket, "bucket")?, arg_str(key_template, "key_template")?) };
        let out = arg_out(config_out, "config_out")?;
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, oss_append_spool_config { config: SpoolConfig::new(bucket, template) }) };
        Ok(())
    })
}

/// Releases a spool config. NULL does nothing. Spools opened with it are not affected.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_free(config: *mut oss_append_spool_config) {
    // SAFETY: NULL or a handle from `oss_append_spool_config_new`, freed once.
    unsafe { free_handle(config) }
}

fn set(
    config: *mut oss_append_spool_config,
    set: impl FnOnce(&mut SpoolConfig) -> Result<(), Failure>,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live config the caller does not use elsewhere during the call.
        let config = unsafe { arg_mut(config, "config")? };
        set(&mut config.config)
    })
}

/// Sets a key template variable (`{name}` in the template). Both strings are copied.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_INVALID_UTF8`. Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_var(
    config: *mut oss_append_spool_config,
    name: *const c_char,
    value: *const c_char,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or NUL-terminated strings.
        let (name, value) = unsafe { (arg_str(name, "name")?, arg_str(value, "value")?) };
        config.vars.insert(name.to_string(), value.to_string());
        Ok(())
    })
}

/// Sets the sync policy: `OSS_APPEND_SPOOL_SYNC_EVERY_WRITE`, `OSS_APPEND_SPOOL_SYNC_INTERVAL` (every `interval_ms`,
/// more than 0) or `OSS_APPEND_SPOOL_SYNC_NEVER`. A plain integer: any value is safe to pass.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_INVALID_ARGUMENT`. Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_sync(
    config: *mut oss_append_spool_config,
    policy: u32,
    interval_ms: u64,
) -> oss_append_result {
    set(config, |config| {
        config.sync = match policy {
            p if p == oss_append_spool_sync::EveryWrite as u32 => SyncPolicy::EveryWrite,
            p if p == oss_append_spool_sync::Interval as u32 => SyncPolicy::Interval(millis(interval_ms)),
            p if p == oss_append_spool_sync::Never as u32 => SyncPolicy::Never,
            other => {
                return Err(Failure::new(
                    oss_append_result::InvalidArgument,
                    format!("sync policy {other} is not 1, 2 or 3"),
                ))
            }
        };
        Ok(())
    })
}

/// Sets when a batch is sent: once `batch_bytes` wait (default 1 MiB) or the oldest has waited
/// `batch_age_ms` (default 1000). Checked by `oss_append_spool_open`.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`. Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_batch(
    config: *mut oss_append_spool_config,
    batch_bytes: u64,
    batch_age_ms: u64,
) -> oss_append_result {
    set(config, |config| {
        config.batch_bytes = batch_bytes;
        config.batch_age = millis(batch_age_ms);
        Ok(())
    })
}

/// Sets the journal's size limit on disk (`max_bytes`, default 256 MiB), what a write does when it is
/// full (`full`: an `oss_append_spool_full`; `block_timeout_ms` for `OSS_APPEND_SPOOL_FULL_BLOCK`), and the age
/// after which unsent data is dropped (`max_age_ms`; 0: never, the default). `max_bytes` must hold two
/// of the largest records (16 MiB each, with a 26-byte header): at least 33,554,484 bytes (less only
/// with a rollover size under 16 MiB, which caps a record), else `oss_append_spool_open` fails with
/// `OSS_APPEND_RESULT_INVALID_ARGUMENT`.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_INVALID_ARGUMENT` (an unknown
/// `full`). Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_limits(
    config: *mut oss_append_spool_config,
    max_bytes: u64,
    full: u32,
    block_timeout_ms: u64,
    max_age_ms: u64,
) -> oss_append_result {
    set(config, |config| {
        config.full = match full {
            f if f == oss_append_spool_full::Block as u32 => FullPolicy::Block(millis(block_timeout_ms)),
            f if f == oss_append_spool_full::RejectNew as u32 => FullPolicy::RejectNew,
            f if f == oss_append_spool_full::DropOldest as u32 => FullPolicy::DropOldest,
            other => {
                return Err(Failure::new(
                    oss_append_result::InvalidArgument,
                    format!("full policy {other} is not 1, 2 or 3"),
                ))
            }
        };
        config.max_bytes = max_bytes;
        config.max_age = (max_age_ms != 0).then(|| millis(max_age_ms));
        Ok(())
    })
}

/// Sets when the spool moves on to the next object: before it passes `bytes` (at most and by default
/// 5 GiB), and when it is `age_ms` old (0: never, the default).
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`. Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_rollover(
    config: *mut oss_append_spool_config,
    bytes: u64,
    age_ms: u64,
) -> oss_append_result {
    set(config, |config| {
        config.rollover_bytes = bytes;
        config.rollover_age = (age_ms != 0).then(|| millis(age_ms));
        Ok(())
    })
}

/// Sets the headers of the objects the spool creates (Content-Type, metadata, storage class, ...)
/// from `options` (copied; its CRC, progress and cancel token are not used).
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`. Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_headers(
    config: *mut oss_append_spool_config,
    options: *const oss_append_options,
) -> oss_append_result {
    set(config, |config| {
        // SAFETY: NULL or live options.
        let options = unsafe { arg_ref(options, "options")? };
        config.headers = options.to_put().headers;
        Ok(())
    })
}

/// Sets the listener told of every `oss_append_spool_event`; NULL removes it. `user_data` is passed to every
/// call; it must stay valid, and be usable from any thread, until the spool is freed.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`. Not thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_config_set_listener(
    config: *mut oss_append_spool_config,
    listener: oss_append_spool_listener,
    user_data: *mut c_void,
) -> oss_append_result {
    set(config, |config| {
        config.listener = listener.map(|callback| {
            let user_data = UserData(user_data);
            std::sync::Arc::new(move |event: &SpoolEvent| {
                let user_data = user_data;
                call_listener(callback, user_data.0, event)
            }) as std::sync::Arc<dyn crate::SpoolListener>
        });
        Ok(())
    })
}

/// Translates one event and calls the C listener with it.
fn call_listener(
    callback: unsafe extern "C" fn(*mut c_void, *const oss_append_spool_event),
    user_data: *mut c_void,
    event: &SpoolEvent,
) {
    let text = |s: &str| CString::new(s.replace('\0', "?")).unwrap_or_default();
    let empty = text("");
    let mut key = empty.clone();
    let mut from = empty.clone();
    let mut message = empty;
    let mut out = oss_append_spool_event {
        kind: oss_append_spool_event_kind::Appended,
        key: std::ptr::null(),
        from: std::ptr::null(),
        message: std::ptr::null(),
        position: 0,
        bytes: 0,
        reason: 0,
        retryable: false,
        retry_at_unix_ms: 0,
    };
    match event {
        SpoolEvent::Appended { key: k, position, length } => {
            key = text(k);
            (out.position, out.bytes) = (*position, *length);
        }
        SpoolEvent::RolledOver { from: f, to, reason } => {
            out.kind = oss_append_spool_event_kind::RolledOver;
            (from, key) = (text(f), text(to));
            out.reason = match reason {
                RolloverReason::Size => oss_append_spool_rollover::Size,
                RolloverReason::Age => oss_append_spool_rollover::Age,
                RolloverReason::OtherWriter => oss_append_spool_rollover::OtherWriter,
                RolloverReason::NotAppendable => oss_append_spool_rollover::NotAppendable,
            } as u32;
        }
        SpoolEvent::Error { message: m, retryable, retry_at } => {
            out.kind = oss_append_spool_event_kind::Error;
            message = text(m);
            (out.retryable, out.retry_at_unix_ms) = (*retryable, unix_ms(*retry_at));
        }
        SpoolEvent::Dropped { bytes, reason } => {
            out.kind = oss_append_spool_event_kind::Dropped;
            out.bytes = *bytes;
            out.reason = match reason {
                DropReason::Full => oss_append_spool_drop::Full,
                DropReason::MaxAge => oss_append_spool_drop::MaxAge,
                DropReason::Corrupt => oss_append_spool_drop::Corrupt,
            } as u32;
        }
        SpoolEvent::Blocked { pending_bytes } => {
            out.kind = oss_append_spool_event_kind::Blocked;
            out.bytes = *pending_bytes;
        }
        SpoolEvent::Quarantined { path } => {
            out.kind = oss_append_spool_event_kind::Quarantined;
            message = text(&path.display().to_string());
        }
    }
    (out.key, out.from, out.message) = (key.as_ptr(), from.as_ptr(), message.as_ptr());
    // SAFETY: the application's callback, called as its documentation says; the strings outlive it.
    unsafe { callback(user_data, &out) };
}

/// Opens (or creates) the spool in directory `dir` with `client` and `config` (both only read:
/// they may be freed afterwards): takes the directory's lock (`OSS_APPEND_RESULT_SPOOL_LOCKED` when another
/// process has it), recovers the journal, and starts the uploader, which first settles a batch a
/// crash left in flight.
///
/// On success `*spool_out` is owned by the caller and must be released with `oss_append_spool_free`; on
/// failure `*error_out` (when not NULL) receives an error to release with `oss_append_error_free`.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER`; `OSS_APPEND_RESULT_INVALID_UTF8`;
/// `OSS_APPEND_RESULT_INVALID_BUCKET`; `OSS_APPEND_RESULT_INVALID_KEY`; `OSS_APPEND_RESULT_INVALID_ARGUMENT` (a bad
/// setting or key template); `OSS_APPEND_RESULT_INVALID_HEADER_VALUE`; `OSS_APPEND_RESULT_SPOOL_LOCKED`;
/// `OSS_APPEND_RESULT_SPOOL_CORRUPT`; `OSS_APPEND_RESULT_IO`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_open(
    client: *const oss_append_client,
    dir: *const c_char,
    config: *const oss_append_spool_config,
    spool_out: *mut *mut oss_append_spool,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or valid pointers, as documented above.
        let (client, dir, config) =
            unsafe { (arg_ref(client, "client")?, arg_str(dir, "dir")?, arg_ref(config, "config")?) };
        let out = arg_out(spool_out, "spool_out")?;
        if dir.is_empty() {
            return Err(Failure::new(oss_append_result::InvalidArgument, "dir is empty"));
        }
        let spool = Spool::open(PathBuf::from(dir), client.client.clone(), config.config.clone())?;
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_handle(out, oss_append_spool { spool }) };
        Ok(())
    })
}

/// Writes `len` bytes at `data` to the journal (durable per the sync policy when this returns); they
/// go to OSS in a batch, in order, once. `(NULL, 0)` writes nothing. One write takes at most 16 MiB
/// (16,777,216 bytes; the rollover size when that is smaller): split larger data. When the journal is
/// full, does what the config's full policy says.
///
/// Returns `OSS_APPEND_RESULT_OK` (the bytes are in the journal: nothing else to do for them);
/// `OSS_APPEND_RESULT_NULL_POINTER`; `OSS_APPEND_RESULT_SPOOL_FULL` (nothing written);
/// `OSS_APPEND_RESULT_RECORD_TOO_LARGE` (more than 16 MiB; nothing written); `OSS_APPEND_RESULT_SPOOL_CLOSED`;
/// `OSS_APPEND_RESULT_IO`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_write(
    spool: *const oss_append_spool,
    data: *const u8,
    len: usize,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    oss_append_spool_write_with_mark(spool, data, len, std::ptr::null(), 0, error_out)
}

/// As `oss_append_spool_write`, with a `mark` (at most 65535 bytes, never sent to OSS) kept with the data in
/// the same record: the application's cursor, e.g. how far it has read a file.
/// `oss_append_spool_last_mark` gives it back after a restart. `(NULL, 0)` is no mark.
///
/// Returns as `oss_append_spool_write`, and `OSS_APPEND_RESULT_INVALID_ARGUMENT` for a mark too long. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_write_with_mark(
    spool: *const oss_append_spool,
    data: *const u8,
    len: usize,
    mark: *const u8,
    mark_len: usize,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or valid pointers and lengths, as documented above.
        let (spool, data, mark) =
            unsafe { (arg_ref(spool, "spool")?, arg_bytes(data, len, "data")?, arg_bytes(mark, mark_len, "mark")?) };
        spool.spool.write_with_mark(data, mark)?;
        Ok(())
    })
}

/// Copies the mark of the last record written (kept across restarts) into `buffer` of `capacity`
/// bytes and writes its length to `*length_out` (0 when no record had one). A mark longer than
/// `capacity` fails with `OSS_APPEND_RESULT_BUFFER_TOO_SMALL`, and `*length_out` says the size needed.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_BUFFER_TOO_SMALL`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_last_mark(
    spool: *const oss_append_spool,
    buffer: *mut u8,
    capacity: usize,
    length_out: *mut usize,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live spool.
        let spool = unsafe { arg_ref(spool, "spool")? };
        let out = arg_out(length_out, "length_out")?;
        let mark = spool.spool.last_mark().unwrap_or_default();
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { out.write(mark.len()) };
        if mark.len() > capacity {
            return Err(Failure::new(oss_append_result::BufferTooSmall, format!("the mark is {} bytes", mark.len())));
        }
        if !mark.is_empty() {
            if buffer.is_null() {
                return Err(Failure::null("buffer"));
            }
            // SAFETY: not NULL, with room for `capacity >= mark.len()` bytes by the caller's contract.
            unsafe { std::ptr::copy_nonoverlapping(mark.as_ptr(), buffer, mark.len()) };
        }
        Ok(())
    })
}

/// Sends what waits now and waits until everything written before this call is in OSS, up to
/// `timeout_ms`.
///
/// Returns `OSS_APPEND_RESULT_OK`; `OSS_APPEND_RESULT_NULL_POINTER`; `OSS_APPEND_RESULT_FLUSH_TIMEOUT` (the data is kept
/// and still sent later); `OSS_APPEND_RESULT_SPOOL_CLOSED`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_flush(
    spool: *const oss_append_spool,
    timeout_ms: u64,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or a live spool.
        let spool = unsafe { arg_ref(spool, "spool")? };
        spool.spool.flush(millis(timeout_ms))?;
        Ok(())
    })
}

/// Writes what the spool has done and is doing to `*status_out`.
///
/// Returns `OSS_APPEND_RESULT_OK` or `OSS_APPEND_RESULT_NULL_POINTER`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_get_status(
    spool: *const oss_append_spool,
    status_out: *mut oss_append_spool_status,
) -> oss_append_result {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a live spool.
        let spool = unsafe { arg_ref(spool, "spool")? };
        let out = arg_out(status_out, "status_out")?;
        let status = spool.spool.status();
        let mut result = oss_append_spool_status {
            pending_bytes: status.pending_bytes,
            appended_bytes: status.appended_bytes,
            dropped_bytes: status.dropped_bytes,
            corrupt_bytes: status.corrupt_bytes,
            journal_bytes: status.journal_bytes,
            position: status.position,
            crc64: status.crc64.unwrap_or(0),
            has_crc64: status.crc64.is_some(),
            in_flight: status.in_flight,
            next_try_unix_ms: status.next_try.map_or(0, unix_ms),
            object: [0; 1024],
            last_error: [0; 512],
        };
        copy_to_array(&status.object, &mut result.object);
        copy_to_array(status.last_error.as_deref().unwrap_or_default(), &mut result.last_error);
        // SAFETY: checked non-NULL; the caller passes writable storage.
        unsafe { write_opt(out, result) };
        Ok(())
    })
}

/// Stops the uploader (a request in flight is cancelled and settled at the next open), fsyncs the
/// journal and releases the directory. Data not yet in OSS stays in the journal for the next open:
/// `oss_append_spool_flush` first to send it. The handle stays valid until `oss_append_spool_free`; writes then fail
/// with `OSS_APPEND_RESULT_SPOOL_CLOSED`.
///
/// Returns `OSS_APPEND_RESULT_OK`, `OSS_APPEND_RESULT_NULL_POINTER` or `OSS_APPEND_RESULT_IO`. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_spool_close(
    spool: *const oss_append_spool,
    error_out: *mut *mut oss_append_error,
) -> oss_append_result {
    guard(error_out, || {
        // SAFETY: NULL or a live spool.
        let spool = unsafe { arg_ref(spool, "spool")? };
        spool.spool.close()?;
        Ok(())
    })
}

/// Closes the spool (as `oss_append_spool_close`) and releases it. NULL does nothing. No other call may be
/// using it.
#[no_mangle]
pub extern "C" fn oss_append_spool_free(spool: *mut oss_append_spool) {
    // SAFETY: NULL or a handle from `oss_append_spool_open`, freed once.
    unsafe { free_handle(spool) }
}
