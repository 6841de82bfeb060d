//! `Spool`: the core's durable, offline-first appender, as Kotlin and Swift hold it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use super::background::Background;
use super::callbacks::{thrown_text, Thrown};
use super::client::OssClient;
use super::error::{CallbackKind, OssError};
use super::num;
use super::types::ObjectHeaders;
use crate::{DropReason, RolloverReason};

/// When the journal is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SpoolSync {
    /// Before `write` returns: nothing written is lost to a power cut.
    EveryWrite,
    /// By a background thread every `sync_interval_ms`: a power cut loses at most that interval's
    /// writes; a crash of the app loses nothing. The default.
    Interval,
    /// Never by the spool: the system writes back when it likes.
    Never,
}

/// What `write` does when the journal is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SpoolFull {
    /// Waits for space up to `block_timeout_ms`, then throws. The default.
    Block,
    /// Throws at once; nothing is written.
    RejectNew,
    /// Drops the oldest data not yet sent, counted and told to the listener.
    DropOldest,
}

/// How a spool works. Only `bucket` and `key_template` are required.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SpoolConfig {
    /// The bucket of every object.
    pub bucket: String,
    /// The object key template, e.g. `logs/{device}/{date}/{seq:6}.log`: `{seq}` (`{seq:WIDTH}`
    /// zero-padded) is the object's number, `{date}`, `{time}`, `{year}`, `{month}`, `{day}`,
    /// `{hour}`, `{minute}` and `{unix}` when it was started (UTC), `{name}` one of `vars`; `{{` and
    /// `}}` are a brace. Without `{seq}`, the first object is named as it is and the next ones (after
    /// a rollover) get the object's number at the end: `logs/app.log`, then `logs/app.log.1`,
    /// `logs/app.log.2`, …
    pub key_template: String,
    /// Values of the template's own placeholders.
    #[uniffi(default)]
    pub vars: HashMap<String, String>,
    /// Headers of the objects it creates.
    #[uniffi(default = None)]
    pub headers: Option<ObjectHeaders>,
    /// When the journal is fsynced. Default `Interval`.
    #[uniffi(default = None)]
    pub sync: Option<SpoolSync>,
    /// The fsync interval for `Interval`, in milliseconds. Default 1000.
    #[uniffi(default = None)]
    pub sync_interval_ms: Option<i64>,
    /// A batch is sent once this many bytes wait. Default 1 MiB.
    #[uniffi(default = None)]
    pub batch_bytes: Option<i64>,
    /// A batch is sent once its oldest byte has waited this long, in milliseconds. Default 1000.
    #[uniffi(default = None)]
    pub batch_age_ms: Option<i64>,
    /// The journal's size on disk at most. Default 256 MiB. It must hold two of the largest records
    /// (16 MiB each, with a 26-byte header): at least 33,554,484 bytes (less only with a
    /// `rolloverBytes` under 16 MiB, which caps a record); `open` refuses less with `InvalidArgument`.
    #[uniffi(default = None)]
    pub max_bytes: Option<i64>,
    /// What a write does when the journal is full. Default `Block`.
    #[uniffi(default = None)]
    pub full: Option<SpoolFull>,
    /// How long a write waits for space under `Block`, in milliseconds. Default 10 000.
    #[uniffi(default = None)]
    pub block_timeout_ms: Option<i64>,
    /// Data not sent after this long is dropped, in milliseconds. Default: never.
    #[uniffi(default = None)]
    pub max_age_ms: Option<i64>,
    /// An object is left for the next before it passes this many bytes. Default 5 GiB.
    #[uniffi(default = None)]
    pub rollover_bytes: Option<i64>,
    /// An object is left for the next when it is this old, in milliseconds. Default: never.
    #[uniffi(default = None)]
    pub rollover_age_ms: Option<i64>,
}

impl SpoolConfig {
    fn into_core(
        self,
        listener: Option<Arc<dyn SpoolListener>>,
        thrown: &Thrown,
    ) -> Result<crate::SpoolConfig, OssError> {
        let mut core = crate::SpoolConfig::new(self.bucket, self.key_template);
        core.vars = self.vars.into_iter().collect();
        core.headers = self.headers.map(ObjectHeaders::into_core).transpose()?.unwrap_or_default();
        let interval = num::millis("syncIntervalMs", self.sync_interval_ms.unwrap_or(1000))?;
        core.sync = match self.sync.unwrap_or(SpoolSync::Interval) {
            SpoolSync::EveryWrite => crate::SyncPolicy::EveryWrite,
            SpoolSync::Interval => crate::SyncPolicy::Interval(interval),
            SpoolSync::Never => crate::SyncPolicy::Never,
        };
        core.batch_bytes = num::non_negative_opt("batchBytes", self.batch_bytes)?.unwrap_or(core.batch_bytes);
        core.batch_age = num::millis_opt("batchAgeMs", self.batch_age_ms)?.unwrap_or(core.batch_age);
        core.max_bytes = num::non_negative_opt("maxBytes", self.max_bytes)?.unwrap_or(core.max_bytes);
        let block = num::millis("blockTimeoutMs", self.block_timeout_ms.unwrap_or(10_000))?;
        core.full = match self.full.unwrap_or(SpoolFull::Block) {
            SpoolFull::Block => crate::FullPolicy::Block(block),
            SpoolFull::RejectNew => crate::FullPolicy::RejectNew,
            SpoolFull::DropOldest => crate::FullPolicy::DropOldest,
        };
        core.max_age = num::millis_opt("maxAgeMs", self.max_age_ms)?;
        core.rollover_bytes =
            num::non_negative_opt("rolloverBytes", self.rollover_bytes)?.unwrap_or(core.rollover_bytes);
        core.rollover_age = num::millis_opt("rolloverAgeMs", self.rollover_age_ms)?;
        if let Some(listener) = listener {
            let thrown = thrown.clone();
            core.listener = Some(Arc::new(move |event: &crate::SpoolEvent| {
                if let Err(error) = listener.on_event(event.clone().into()) {
                    let error =
                        OssError::Callback { callback: CallbackKind::SpoolListener, reason: thrown_text(error) };
                    thrown.set(error.to_string());
                }
            }));
        }
        Ok(core)
    }
}

/// What happened, as it happens.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SpoolEvent {
    /// A batch is in the object `key`, at `position`, `length` bytes long.
    Appended {
        /// The object.
        key: String,
        /// Where the batch starts.
        position: i64,
        /// Its length.
        length: i64,
    },
    /// The spool moved on from object `from` to object `to`.
    RolledOver {
        /// The object left.
        from: String,
        /// The new object.
        to: String,
        /// Why.
        reason: RolloverReason,
    },
    /// An upload failed; the data is kept and tried again at `retry_at`.
    Error {
        /// The library's message.
        message: String,
        /// Whether the failure passes by itself.
        retryable: bool,
        /// When the next try is.
        retry_at: SystemTime,
    },
    /// `bytes` of data not yet sent were dropped.
    Dropped {
        /// How many bytes.
        bytes: i64,
        /// Why.
        reason: DropReason,
    },
    /// A write waits for space.
    Blocked {
        /// Bytes not yet in OSS.
        pending_bytes: i64,
    },
    /// A damaged journal segment was copied to `path`; its good records were kept.
    Quarantined {
        /// The copy.
        path: String,
    },
}

impl From<crate::SpoolEvent> for SpoolEvent {
    fn from(event: crate::SpoolEvent) -> Self {
        use crate::SpoolEvent as E;
        match event {
            E::Appended { key, position, length } => {
                SpoolEvent::Appended { key, position: num::out(position), length: num::out(length) }
            }
            E::RolledOver { from, to, reason } => SpoolEvent::RolledOver { from, to, reason },
            E::Error { message, retryable, retry_at } => SpoolEvent::Error { message, retryable, retry_at },
            E::Dropped { bytes, reason } => SpoolEvent::Dropped { bytes: num::out(bytes), reason },
            E::Blocked { pending_bytes } => SpoolEvent::Blocked { pending_bytes: num::out(pending_bytes) },
            E::Quarantined { path } => SpoolEvent::Quarantined { path: path.display().to_string() },
        }
    }
}

/// Told of every [`SpoolEvent`]. Implemented by the application; called on the spool's threads.
#[uniffi::export(foreign)]
pub trait SpoolListener: Send + Sync {
    /// One event. Keep it quick. What it throws does not stop the spool: the latest is in
    /// `SpoolStatus.listenerError`.
    fn on_event(&self, event: SpoolEvent) -> Result<(), OssError>;
}

/// What a spool has done and is doing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SpoolStatus {
    /// Bytes written and not yet in OSS (nor dropped).
    pub pending_bytes: i64,
    /// Bytes appended to OSS, ever.
    pub appended_bytes: i64,
    /// Bytes dropped, ever.
    pub dropped_bytes: i64,
    /// Bytes lost to damaged journal records, ever.
    pub corrupt_bytes: i64,
    /// The journal's size on disk.
    pub journal_bytes: i64,
    /// The object being appended to.
    pub object: String,
    /// Its length, as the spool made it.
    pub position: i64,
    /// Its CRC-64 there, when known.
    pub crc64: Option<i64>,
    /// Whether a batch is in flight.
    pub in_flight: bool,
    /// The last upload error, until an upload succeeds.
    pub last_error: Option<String>,
    /// When the next try is, while uploads fail.
    pub next_try: Option<SystemTime>,
    /// What the listener threw last, if it ever threw.
    pub listener_error: Option<String>,
}

impl SpoolStatus {
    fn new(s: crate::SpoolStatus, listener_error: Option<String>) -> Self {
        SpoolStatus {
            pending_bytes: num::out(s.pending_bytes),
            appended_bytes: num::out(s.appended_bytes),
            dropped_bytes: num::out(s.dropped_bytes),
            corrupt_bytes: num::out(s.corrupt_bytes),
            journal_bytes: num::out(s.journal_bytes),
            object: s.object,
            position: num::out(s.position),
            crc64: num::crc_out_opt(s.crc64),
            in_flight: s.in_flight,
            last_error: s.last_error,
            next_try: s.next_try,
            listener_error,
        }
    }
}

/// A durable, offline-first appender: bytes written are on disk when `write` returns and go to OSS in
/// batches, exactly once, across lost connections, app kills and days offline. One process owns a
/// directory. Safe to share between threads.
#[derive(Debug, uniffi::Object)]
pub struct Spool {
    state: RwLock<State>,
    /// One `shutdown` at a time.
    shutting_down: Mutex<()>,
    /// What the listener threw last.
    listener_error: Thrown,
}

/// A spool open, or shut down (the core spool let go then, its journal file closed, not when the
/// foreign object is collected).
#[derive(Debug)]
enum State {
    Open(Arc<crate::Spool>),
    /// Its status and last mark when it was shut down: `status` and `last_mark` still answer.
    Closed(Box<crate::SpoolStatus>, Option<Vec<u8>>),
}

impl Spool {
    fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The core spool, or the error every call gets after `shutdown` (the core's own).
    fn core(&self) -> Result<Arc<crate::Spool>, OssError> {
        match &*self.state() {
            State::Open(spool) => Ok(spool.clone()),
            State::Closed(..) => Err(crate::Error::from(crate::SpoolError::Closed).into()),
        }
    }
}

#[uniffi::export]
impl Spool {
    /// Opens (or creates) the spool in the directory `dir` (e.g. under the app's files directory) and
    /// starts uploading; a batch a crash left in flight is settled first.
    #[uniffi::constructor(default(listener = None))]
    pub fn open(
        client: Arc<OssClient>,
        dir: String,
        config: SpoolConfig,
        listener: Option<Arc<dyn SpoolListener>>,
    ) -> Result<Arc<Self>, OssError> {
        let listener_error = Thrown::default();
        let spool = crate::Spool::open(dir, client.core().clone(), config.into_core(listener, &listener_error)?)?;
        Ok(Arc::new(Self {
            state: RwLock::new(State::Open(Arc::new(spool))),
            shutting_down: Mutex::new(()),
            listener_error,
        }))
    }

    /// Writes `data` to the journal; it goes to OSS in a batch, in order, once. Never touches the
    /// network. Returns the stream offset after it: how many bytes of data were ever written to this
    /// spool's directory, these included (kept across restarts; not a position in an object, which
    /// rolls over); empty data returns it as it is. At most 16 MiB (16,777,216 bytes) a write: more
    /// throws `Spool` with `TOO_LARGE` (Swift `.tooLarge`) and writes nothing. A full journal does
    /// what `full` says.
    pub fn write(&self, data: Vec<u8>) -> Result<i64, OssError> {
        Ok(num::out(self.core()?.write(&data)?))
    }

    /// Writes `data` with a `mark` (at most 65,535 bytes) kept beside it (never sent): the app's
    /// cursor, given back by `lastMark` after a restart. Returns as `write`.
    pub fn write_with_mark(&self, data: Vec<u8>, mark: Vec<u8>) -> Result<i64, OssError> {
        Ok(num::out(self.core()?.write_with_mark(&data, &mark)?))
    }

    /// The mark of the last record written, if any had one.
    pub fn last_mark(&self) -> Option<Vec<u8>> {
        let spool = match &*self.state() {
            State::Open(spool) => spool.clone(),
            State::Closed(_, mark) => return mark.clone(),
        };
        spool.last_mark()
    }

    /// Sends what waits now and waits until everything written before is in OSS, up to `timeout_ms`.
    /// Blocks the calling thread: keep it off the UI thread (or use `flushAsync`).
    pub fn flush(&self, timeout_ms: i64) -> Result<(), OssError> {
        Ok(self.core()?.flush(num::millis("timeoutMs", timeout_ms)?)?)
    }

    /// [`flush`](Self::flush) on a library thread, awaited.
    pub async fn flush_async(&self, timeout_ms: i64) -> Result<(), OssError> {
        let timeout = num::millis("timeoutMs", timeout_ms)?;
        let spool = self.core()?;
        Background::spawn(crate::CancelToken::new(), move || Ok(spool.flush(timeout)?)).await
    }

    /// What the spool has done and is doing.
    pub fn status(&self) -> SpoolStatus {
        let spool = match &*self.state() {
            State::Open(spool) => spool.clone(),
            State::Closed(status, _) => return SpoolStatus::new((**status).clone(), self.listener_error.last()),
        };
        SpoolStatus::new(spool.status(), self.listener_error.last())
    }

    /// Stops uploading (a request in flight is cancelled: its batch is settled at the next open),
    /// fsyncs the journal and releases the directory; data not yet sent stays for the next open
    /// (`flush` first to send it). Throws only when the journal cannot be fsynced; a second call
    /// does nothing. Later calls throw `Spool` with `CLOSED` (Swift `.closed`), except `status` and
    /// `lastMark`, which still answer. Kotlin's `close()` (and `use {}`) is this call: it leaves the
    /// same errors behind. Dropping the last reference (Swift) or the object being collected
    /// (Kotlin) also does it, without reporting an error.
    pub fn shutdown(&self) -> Result<(), OssError> {
        let _one_at_a_time = self.shutting_down.lock().unwrap_or_else(PoisonError::into_inner);
        let Ok(spool) = self.core() else { return Ok(()) };
        // Not while holding `state`: closing waits for the uploader's thread, whose listener may
        // call `status`.
        let closed = spool.close();
        let state = State::Closed(Box::new(spool.status()), spool.last_mark());
        *self.state.write().unwrap_or_else(PoisonError::into_inner) = state;
        Ok(closed?)
    }
}
