//! The spool: a durable, offline-first appender (see [`Spool`] for what it does for a user).
//!
//! On disk, under the spool's directory: `LOCK` (held with `flock` by the process that has it open),
//! `checkpoint` (see `checkpoint.rs`), `journal/<offset>.seg` (see `journal.rs`) and `quarantine/`
//! (damaged segments, kept for inspection).

mod checkpoint;
mod journal;

/// The record decoder and encoder, for the fuzz targets.
#[cfg(fuzzing)]
pub(crate) fn journal_decode(bytes: &[u8]) -> Option<(u64, Vec<u8>, Vec<u8>, usize)> {
    journal::decode(bytes).map(|(record, size)| (record.offset, record.mark, record.payload, size))
}

#[cfg(fuzzing)]
pub(crate) fn journal_encode(offset: u64, mark: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    journal::encode(offset, mark, payload, &mut out);
    out
}
mod keys;
mod lock;
mod uploader;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::body::CancelToken;
use crate::error::{Argument, Error, SpoolError};
use crate::in_flight::Owner;
use crate::{Client, ObjectHeaders};
use checkpoint::Checkpoint;
use journal::{Active, Segment};
use keys::KeyTemplate;

/// When the journal is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncPolicy {
    /// Before `write` returns: nothing written is lost to a power cut, at the cost of an fsync a
    /// write, on the caller's thread.
    EveryWrite,
    /// By a background thread this often: a power cut (or a kernel crash) loses at most the writes of
    /// the last interval. A crash of the process alone loses nothing: the bytes are in the kernel when
    /// `write` returns. The default, with one second.
    Interval(Duration),
    /// Never by the spool: the operating system writes back when it likes.
    Never,
}

/// What `write` does when the journal holds `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FullPolicy {
    /// Waits for the uploader to free space, up to this long, then fails with `SpoolError::Full`.
    /// The default, with 10 seconds.
    Block(Duration),
    /// Fails at once with `SpoolError::Full`; nothing is written.
    RejectNew,
    /// Drops the oldest data not yet sent (whole journal segments, never the batch in flight), counts
    /// every byte dropped and reports it with [`SpoolEvent::Dropped`].
    DropOldest,
}

/// Why the spool moved on to a new object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "mobile", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum RolloverReason {
    /// The next batch would pass `rollover_bytes` (at most 5 GiB, the service's limit).
    Size,
    /// The object is older than `rollover_age`.
    Age,
    /// Another writer appended to the object: it is never overwritten; the batch goes to the next one.
    OtherWriter,
    /// The object is not appendable (made by a put): it is never overwritten.
    NotAppendable,
}

/// Why data was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "mobile", derive(uniffi::Enum))]
#[non_exhaustive]
pub enum DropReason {
    /// The journal was full under [`FullPolicy::DropOldest`].
    Full,
    /// The data was older than `max_age`.
    MaxAge,
    /// A journal record was damaged on disk (its segment was quarantined).
    Corrupt,
}

/// What the spool tells its listener, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpoolEvent {
    /// A batch is in the object `key`, at `position`, `length` bytes long.
    Appended {
        /// The object key.
        key: String,
        /// Where the batch starts in the object.
        position: u64,
        /// Its length.
        length: u64,
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
        /// Whether the failure is of the kind that passes by itself (network, 5xx).
        retryable: bool,
        /// When the next try is.
        retry_at: SystemTime,
    },
    /// `bytes` of data not yet sent were dropped, for `reason`; counted exactly.
    Dropped {
        /// How many payload bytes.
        bytes: u64,
        /// Why.
        reason: DropReason,
    },
    /// A write waits for space (`FullPolicy::Block`).
    Blocked {
        /// Payload bytes not yet in OSS.
        pending_bytes: u64,
    },
    /// A damaged journal segment was copied to `path`; its good records were kept.
    Quarantined {
        /// The copy.
        path: PathBuf,
    },
}

/// Told of every [`SpoolEvent`]. Called on the uploader's thread (`Appended`, `RolledOver`, `Error`,
/// `Dropped` for age), on the writing thread (`Blocked`, `Dropped` when full) or in `open`
/// (`Quarantined`, `Dropped` for damage), never while the spool holds a lock: it may call `status`,
/// `last_mark`, `write` or `flush` (not `close`, which waits for the uploader's thread). Keep it
/// quick: the uploader waits for it.
pub trait SpoolListener: Send + Sync {
    /// One event.
    fn on_event(&self, event: &SpoolEvent);
}

impl<F: Fn(&SpoolEvent) + Send + Sync> SpoolListener for F {
    fn on_event(&self, event: &SpoolEvent) {
        self(event)
    }
}

/// How a spool works; every field has its default in [`SpoolConfig::new`].
#[derive(Clone)]
#[non_exhaustive]
pub struct SpoolConfig {
    /// The bucket of every object.
    pub bucket: String,
    /// The object key template: `{seq}` (or `{seq:WIDTH}`, zero-padded) is the object's number,
    /// `{date}` (YYYY-MM-DD), `{time}` (HHMMSS), `{year}`, `{month}`, `{day}`, `{hour}`, `{minute}`
    /// and `{unix}` the time (UTC) the object was started, and `{name}` one of `vars`. Without
    /// `{seq}`, the first object has the template's text and the next ones (after a rollover: size,
    /// age, another writer) add the object's number at the end of the key: `logs/app.log`, then
    /// `logs/app.log.1`, `logs/app.log.2`, … `{{` and `}}` are a brace (`SpoolConfig::for_key` takes a
    /// key as it is).
    pub key_template: String,
    /// Values of the template's own placeholders, e.g. `device`.
    pub vars: BTreeMap<String, String>,
    /// Headers of the objects it creates (Content-Type, metadata, storage class, ...), sent with an
    /// object's first append. Default none. The spool adds its own stamp to the metadata,
    /// `x-oss-meta-oss-append-spool: <the spool's id>` (a random id kept in the directory's
    /// `spool-id` file), so that after a crash it never takes another writer's object, holding equal
    /// bytes, for its own; that name is the spool's.
    pub headers: ObjectHeaders,
    /// When the journal is fsynced. Default `Interval(1 s)`.
    pub sync: SyncPolicy,
    /// A batch is sent once this many bytes wait. Default 1 MiB.
    pub batch_bytes: u64,
    /// A batch is sent once its oldest byte has waited this long. Default 1 s.
    pub batch_age: Duration,
    /// The journal's size on disk at most. Default 256 MiB. It must hold two of the largest records
    /// (`max_record_bytes` plus a record's 26-byte header, twice): with the default 16 MiB records,
    /// at least 33,554,484 bytes (32 MiB + 52 B); `Spool::open` refuses less (`InvalidArgument`).
    pub max_bytes: u64,
    /// What a write does when the journal is full. Default `Block(10 s)`.
    pub full: FullPolicy,
    /// Data not sent after this long is dropped (counted and reported). Default none: data is never
    /// dropped for its age.
    pub max_age: Option<Duration>,
    /// An object is left for the next one before it passes this many bytes. Default and most 5 GiB.
    pub rollover_bytes: u64,
    /// An object is left for the next one when it is this old (e.g. an hour). Default none.
    pub rollover_age: Option<Duration>,
    /// A journal segment file is closed at this size. Default 8 MiB (at most `max_bytes / 4`).
    pub segment_bytes: u64,
    /// The most bytes one `write` takes: default 16 MiB (16,777,216 bytes), at most
    /// `rollover_bytes`. A larger write fails with `SpoolError::TooLarge` and writes nothing: split
    /// it. (A write must also fit half of `max_bytes`, its mark and header included.)
    pub max_record_bytes: u64,
    /// The longest wait between tries through an outage (full jitter, doubling from 250 ms).
    /// Default 60 s.
    pub max_backoff: Duration,
    /// Told of everything that happens. Default none.
    pub listener: Option<Arc<dyn SpoolListener>>,
}

impl std::fmt::Debug for SpoolConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpoolConfig")
            .field("bucket", &self.bucket)
            .field("key_template", &self.key_template)
            .field("vars", &self.vars)
            .field("headers", &self.headers)
            .field("sync", &self.sync)
            .field("batch_bytes", &self.batch_bytes)
            .field("batch_age", &self.batch_age)
            .field("max_bytes", &self.max_bytes)
            .field("full", &self.full)
            .field("max_age", &self.max_age)
            .field("rollover_bytes", &self.rollover_bytes)
            .field("rollover_age", &self.rollover_age)
            .field("segment_bytes", &self.segment_bytes)
            .field("max_record_bytes", &self.max_record_bytes)
            .field("max_backoff", &self.max_backoff)
            .field("listener", &self.listener.is_some())
            .finish()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $type:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $type) -> Self {
                self.$name = value;
                self
            }
        )*
    };
}

impl SpoolConfig {
    /// The defaults, for the object `key` in `bucket` as it is (braces included: no placeholders).
    /// Should the spool have to move on (5 GiB, another writer), the next objects are `key.1`,
    /// `key.2`, ...
    pub fn for_key(bucket: impl Into<String>, key: &str) -> Self {
        Self::new(bucket, keys::escape(key))
    }

    /// The defaults, for objects in `bucket` named by `key_template`.
    pub fn new(bucket: impl Into<String>, key_template: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key_template: key_template.into(),
            vars: BTreeMap::new(),
            headers: ObjectHeaders::default(),
            sync: SyncPolicy::Interval(Duration::from_secs(1)),
            batch_bytes: 1 << 20,
            batch_age: Duration::from_secs(1),
            max_bytes: 256 << 20,
            full: FullPolicy::Block(Duration::from_secs(10)),
            max_age: None,
            rollover_bytes: crate::validate::MAX_APPENDABLE_SIZE,
            rollover_age: None,
            segment_bytes: 8 << 20,
            max_record_bytes: 16 << 20,
            max_backoff: Duration::from_secs(60),
            listener: None,
        }
    }

    /// Sets a template variable.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Sets the listener.
    pub fn listener(mut self, listener: impl SpoolListener + 'static) -> Self {
        self.listener = Some(Arc::new(listener));
        self
    }

    setters! {
        /// Sets the headers of the objects it creates.
        headers: ObjectHeaders,
        /// Sets the sync policy.
        sync: SyncPolicy,
        /// Sets the batch size.
        batch_bytes: u64,
        /// Sets the batch age.
        batch_age: Duration,
        /// Sets the journal's size limit: at least 2 × (`max_record_bytes` + 26), 33,554,484 bytes
        /// with the default records.
        max_bytes: u64,
        /// Sets what a write does when the journal is full.
        full: FullPolicy,
        /// Sets the age after which unsent data is dropped.
        max_age: Option<Duration>,
        /// Sets the object size at which the next object is started.
        rollover_bytes: u64,
        /// Sets the object age at which the next object is started.
        rollover_age: Option<Duration>,
        /// Sets the journal segment size.
        segment_bytes: u64,
        /// Sets the most bytes one `write` takes.
        max_record_bytes: u64,
        /// Sets the longest wait between tries.
        max_backoff: Duration,
    }

    /// Checks the settings; the segment size is capped at a quarter of `max_bytes`.
    fn checked(mut self) -> Result<(Self, KeyTemplate), Error> {
        let bad = |reason: String| Err(Error::invalid(Argument::Spool, reason));
        crate::validate::bucket(&self.bucket)?;
        let template = KeyTemplate::new(&self.key_template, &self.vars)?;
        self.headers.to_headers(true, true)?;
        if self.batch_bytes == 0 || self.max_record_bytes == 0 || self.segment_bytes == 0 {
            return bad("batch_bytes, max_record_bytes and segment_bytes must be more than zero".into());
        }
        if self.rollover_bytes == 0 || self.rollover_bytes > crate::validate::MAX_APPENDABLE_SIZE {
            return bad(format!("rollover_bytes must be from 1 to {} (5 GiB)", crate::validate::MAX_APPENDABLE_SIZE));
        }
        // A record must fit an object, and a u32 length.
        self.max_record_bytes = self.max_record_bytes.min(self.rollover_bytes).min(u32::MAX as u64);
        self.segment_bytes = self.segment_bytes.min(self.max_bytes / 4).max(1024);
        let record = self.max_record_bytes + journal::HEADER as u64;
        if self.max_bytes < record.saturating_mul(2) {
            return bad(format!(
                "max_bytes must hold two of the largest records (max_record_bytes): at least {} bytes",
                record * 2
            ));
        }
        if let SyncPolicy::Interval(interval) = self.sync {
            if interval.is_zero() {
                return bad("the sync interval must be longer than zero".into());
            }
        }
        if self.max_backoff < Duration::from_millis(250) {
            return bad("max_backoff must be at least 250 ms".into());
        }
        Ok((self, template))
    }
}

/// What a spool has done and is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpoolStatus {
    /// Payload bytes written and not yet in OSS (nor dropped).
    pub pending_bytes: u64,
    /// Payload bytes appended to OSS, ever.
    pub appended_bytes: u64,
    /// Payload bytes dropped, ever (full, too old); see `corrupt_bytes` for damage.
    pub dropped_bytes: u64,
    /// Bytes lost to damaged journal records, ever (their segments were quarantined).
    pub corrupt_bytes: u64,
    /// The journal's size on disk.
    pub journal_bytes: u64,
    /// The object being appended to.
    pub object: String,
    /// Its length, as this spool made it.
    pub position: u64,
    /// Its CRC-64 there, when known.
    pub crc64: Option<u64>,
    /// Whether a batch is in flight (sent, or to be settled).
    pub in_flight: bool,
    /// The last upload error, until an upload succeeds.
    pub last_error: Option<String>,
    /// When the next try is, while uploads fail.
    pub next_try: Option<SystemTime>,
}

/// The journal's writing side.
struct Writer {
    active: Active,
    segments: Vec<Segment>,
    /// Stream offset after the last record.
    end: u64,
    /// The journal's bytes on disk.
    file_bytes: u64,
    /// Closed segments not yet fsynced (Interval).
    unsynced: Vec<File>,
    dirty: bool,
    last_mark: Option<Vec<u8>>,
    buffer: Vec<u8>,
    /// A failed write whose record could not be cut off again: writes are refused until a reopen
    /// repairs the journal.
    broken: Option<String>,
}

/// The uploader's side, shared with `status` and `flush`.
struct Upload {
    checkpoint: Checkpoint,
    pending_bytes: u64,
    dropped_total: u64,
    last_error: Option<String>,
    next_try: Option<SystemTime>,
    /// Set by `flush`: send what waits without waiting for the batch age.
    hurry: bool,
    /// How many flushes were asked for: one asked during a failed attempt cuts its backoff short.
    flushes: u64,
    closing: bool,
    /// The uploader stopped on an error it cannot get past (its message).
    stopped: Option<String>,
}

struct Shared {
    dir: PathBuf,
    journal_dir: PathBuf,
    checkpoint_path: PathBuf,
    config: SpoolConfig,
    template: KeyTemplate,
    client: Client,
    writer: Mutex<Writer>,
    /// Signalled when the uploader frees space in the journal.
    space: Condvar,
    upload: Mutex<Upload>,
    /// Signalled on new data, an ack, a flush request, closing.
    changed: Condvar,
    /// Segments whose first record is at or after this offset may be dropped (nothing in flight there).
    droppable_from: AtomicU64,
    /// The writer's stream end, readable without its lock (lock order: `writer`, then `upload`).
    end: AtomicU64,
    closed: AtomicBool,
    cancel: CancelToken,
    /// The spool's stamp on the objects it creates.
    owner: Owner,
}

/// The metadata name of a spool's stamp (`x-oss-meta-oss-append-spool`).
const STAMP: &str = "oss-append-spool";

/// The spool's id, from its directory's `spool-id` file (made, with a random id, when missing): the
/// stamp on the objects it creates.
fn spool_id(dir: &Path) -> Result<Owner, Error> {
    let path = dir.join("spool-id");
    let owner = |value: String| Owner { name: STAMP.to_string(), value };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = text.trim();
            if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(owner(id.to_ascii_lowercase()));
            }
            Err(Error::Spool(SpoolError::Corrupt {
                path,
                reason: "the spool's id is not 32 hexadecimal digits".into(),
            }))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let id: String = rand::random::<[u8; 16]>().iter().map(|b| format!("{b:02x}")).collect();
            journal::replace_file(&path, format!("{id}\n").as_bytes()).map_err(io_error(&path))?;
            Ok(owner(id))
        }
        Err(error) => Err(io_error(&path)(error)),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Spool(SpoolError::Io { path: path.to_path_buf(), source })
}

impl Shared {
    fn emit(&self, event: SpoolEvent) {
        if let Some(listener) = &self.config.listener {
            // A listener that panics must not take the spool's threads with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener.on_event(&event)));
        }
    }

    fn store(&self, checkpoint: &Checkpoint) -> Result<(), Error> {
        checkpoint.store(&self.checkpoint_path).map_err(io_error(&self.checkpoint_path))
    }
}

/// The spool: a durable, offline-first appender. Bytes written to it are in its journal (on disk,
/// durable per the [`SyncPolicy`]) when `write` returns; a background uploader appends them to OSS in
/// batches, exactly once, across lost responses, outages, crashes and restarts.
///
/// The append position is the fencing token and the object's CRC-64 the proof: before a batch is
/// sent, the checkpoint records it (object, position, length, CRC-64); after a crash the batch is
/// settled against the object — sent again only if it did not land.
///
/// ```no_run
/// use std::time::Duration;
/// use oss_append::{Client, Spool, SpoolConfig, SyncPolicy};
///
/// let client = Client::builder().endpoint("http://127.0.0.1:9000").region("cn-hangzhou").credentials_from_env().build()?;
/// let config = SpoolConfig::new("my-bucket", "logs/{device}/{date}/{seq:6}.log")
///     .var("device", "cam-7")
///     .sync(SyncPolicy::EveryWrite);
/// let spool = Spool::open("/var/lib/app/spool", client, config)?;
/// spool.write(b"sensor=21.5C\n")?;                  // in the journal, fsynced, when this returns
/// spool.flush(Duration::from_secs(30))?;            // in OSS, once
/// println!("{:?}", spool.status());
/// spool.close()?;
/// # Ok::<(), oss_append::Error>(())
/// ```
///
/// A runnable example on the embedded emulator: `cargo run --example spool_demo`.
///
/// `Send + Sync`: write from any thread. Closed by [`close`](Self::close) or when dropped.
pub struct Spool {
    shared: Arc<Shared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Held until `close`.
    dir_lock: Mutex<Option<lock::DirLock>>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool").field("dir", &self.shared.dir).field("status", &self.status()).finish()
    }
}

impl Spool {
    /// Opens (or creates) the spool in `dir`: takes the directory's lock, recovers the journal (a torn
    /// tail is cut, a damaged segment quarantined and its good records kept), and starts the uploader,
    /// which first settles a batch left in flight by a crash.
    pub fn open(dir: impl AsRef<Path>, client: Client, config: SpoolConfig) -> Result<Self, Error> {
        let (config, template) = config.checked()?;
        let dir = dir.as_ref().to_path_buf();
        let journal_dir = dir.join("journal");
        std::fs::create_dir_all(&journal_dir).map_err(io_error(&journal_dir))?;
        let dir_lock = lock::DirLock::acquire(&dir)?;
        let owner = spool_id(&dir)?;
        let mut config = config;
        config.headers.metadata.retain(|(name, _)| !name.eq_ignore_ascii_case(&owner.name));
        config.headers.metadata.push((owner.name.clone(), owner.value.clone()));
        let checkpoint_path = dir.join("checkpoint");
        let (segments, recovery) =
            journal::recover(&journal_dir, &dir.join("quarantine")).map_err(io_error(&journal_dir))?;
        let end = segments.last().map_or(0, |s| s.end_offset);
        let corrupt = |reason: String| Error::Spool(SpoolError::Corrupt { path: checkpoint_path.clone(), reason });
        let mut checkpoint = match Checkpoint::load(&checkpoint_path).map_err(io_error(&checkpoint_path))? {
            Some(Ok(checkpoint)) => checkpoint,
            Some(Err(reason)) => return Err(corrupt(reason)),
            None if segments.iter().any(|s| s.payload_bytes > 0) => {
                return Err(corrupt("the checkpoint is missing but the journal holds data".into()))
            }
            None => {
                let now = time::OffsetDateTime::now_utc();
                Checkpoint {
                    seq: 0,
                    key: template.render(0, now),
                    created: now.unix_timestamp().max(0) as u64,
                    position: 0,
                    crc64: Some(0),
                    acked: 0,
                    appended_total: 0,
                    corrupt_total: 0,
                    in_flight: None,
                }
            }
        };
        if checkpoint.in_flight.is_some_and(|b| b.end > end) {
            // A batch is fsynced in the journal before it is recorded in flight: never expected.
            return Err(corrupt(format!(
                "the batch in flight ends at {} but the journal ends at {end}",
                checkpoint.in_flight.map_or(0, |b| b.end)
            )));
        }
        // Bytes before `acked` are in OSS: damage there changes nothing. (Damage in the batch in
        // flight is counted, and taken back if the batch proves landed.)
        let corrupt_bytes = recovery.corrupt_from(checkpoint.acked);
        checkpoint.corrupt_total += corrupt_bytes;
        let pending = pending_after(&segments, checkpoint.acked).map_err(io_error(&journal_dir))?;
        // Every stream byte is appended, pending, dropped or lost to damage. Counts that do not add
        // up (a bug, or damage the counts cannot place) are mended, never a reason not to open.
        let accounted = checkpoint.appended_total + pending + checkpoint.corrupt_total;
        let stream_end = end.max(checkpoint.acked);
        if accounted > stream_end {
            checkpoint.corrupt_total = checkpoint.corrupt_total.saturating_sub(accounted - stream_end);
        }
        let dropped_total = stream_end.saturating_sub(checkpoint.appended_total + pending + checkpoint.corrupt_total);
        checkpoint.store(&checkpoint_path).map_err(io_error(&checkpoint_path))?;

        let mut segments = segments;
        let active = if checkpoint.acked > end {
            // The journal's tail was lost (a power cut before the system wrote it back) after it
            // was sent: the stream goes on from what OSS has, in a new segment.
            let active = Active::create(&journal_dir, checkpoint.acked).map_err(io_error(&journal_dir))?;
            segments.push(active.segment.clone());
            active
        } else {
            Active::open(&journal_dir, segments.last(), end).map_err(io_error(&journal_dir))?
        };
        let end = stream_end;
        if segments.is_empty() {
            segments.push(active.segment.clone());
        }
        let file_bytes = segments.iter().map(|s| s.file_bytes).sum();
        let droppable = checkpoint.in_flight.map_or(checkpoint.acked, |b| b.end);
        let shared = Arc::new(Shared {
            dir: dir.clone(),
            journal_dir,
            checkpoint_path,
            client,
            writer: Mutex::new(Writer {
                active,
                segments,
                end,
                file_bytes,
                unsynced: Vec::new(),
                dirty: false,
                last_mark: recovery.last_mark.clone(),
                buffer: Vec::new(),
                broken: None,
            }),
            space: Condvar::new(),
            upload: Mutex::new(Upload {
                checkpoint,
                pending_bytes: pending,
                dropped_total,
                last_error: None,
                next_try: None,
                hurry: false,
                flushes: 0,
                closing: false,
                stopped: None,
            }),
            changed: Condvar::new(),
            droppable_from: AtomicU64::new(droppable),
            end: AtomicU64::new(end),
            closed: AtomicBool::new(false),
            cancel: CancelToken::new(),
            config,
            template,
            owner,
        });
        for path in recovery.quarantined {
            shared.emit(SpoolEvent::Quarantined { path });
        }
        if corrupt_bytes > 0 {
            shared.emit(SpoolEvent::Dropped { bytes: corrupt_bytes, reason: DropReason::Corrupt });
        }
        let mut threads = Vec::new();
        let uploading = shared.clone();
        threads.push(
            std::thread::Builder::new()
                .name("oss-append-spool-upload".into())
                .spawn(move || uploader::run(&uploading))
                .map_err(io_error(&dir))?,
        );
        if let SyncPolicy::Interval(interval) = shared.config.sync {
            let syncing = shared.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("oss-append-spool-sync".into())
                    .spawn(move || sync_every(&syncing, interval))
                    .map_err(io_error(&dir))?,
            );
        }
        Ok(Self { shared, threads: Mutex::new(threads), dir_lock: Mutex::new(Some(dir_lock)) })
    }

    /// Writes `bytes` to the journal; they go to OSS in a batch, in order, once. Returns the stream
    /// offset after them: how many bytes of data were ever written to this spool's directory, these
    /// included (kept across restarts; not a position in an object, which rolls over). Writing
    /// nothing returns the offset as it is. When the journal is full, does what `SpoolConfig::full`
    /// says; more than `max_record_bytes` (16 MiB by default) fails with `SpoolError::TooLarge`.
    pub fn write(&self, bytes: &[u8]) -> Result<u64, Error> {
        self.write_with_mark(bytes, &[])
    }

    /// Writes `bytes` with a `mark` kept beside them in the same record (never sent to OSS): the
    /// application's cursor, e.g. how far it has read a file. After a restart,
    /// [`last_mark`](Self::last_mark) is the mark of the last record written, so the application
    /// goes on from exactly there.
    pub fn write_with_mark(&self, bytes: &[u8], mark: &[u8]) -> Result<u64, Error> {
        let shared = &self.shared;
        if shared.closed.load(Ordering::SeqCst) {
            return Err(SpoolError::Closed.into());
        }
        let config = &shared.config;
        if bytes.len() as u64 > config.max_record_bytes {
            return Err(SpoolError::TooLarge { bytes: bytes.len() as u64, max: config.max_record_bytes }.into());
        }
        if mark.len() > journal::MAX_MARK {
            return Err(Error::invalid(Argument::Spool, format!("a mark is at most {} bytes", journal::MAX_MARK)));
        }
        if bytes.is_empty() && mark.is_empty() {
            return Ok(lock(&shared.writer).end);
        }
        let size = (journal::HEADER + mark.len() + bytes.len()) as u64;
        if size > config.max_bytes / 2 {
            return Err(SpoolError::TooLarge { bytes: size, max: config.max_bytes / 2 }.into());
        }
        // Events of the full journal are told once the writer's lock is released: a listener may
        // call the spool.
        let mut events = Vec::new();
        let written = self.append_record(bytes, mark, size, &mut events);
        for event in events {
            shared.emit(event);
        }
        let (end, wake) = written?;
        if wake {
            shared.changed.notify_all();
        }
        Ok(end)
    }

    /// Writes one record to the active segment (making room first); returns the stream's new end,
    /// and whether the uploader needs waking.
    fn append_record(
        &self,
        bytes: &[u8],
        mark: &[u8],
        size: u64,
        events: &mut Vec<SpoolEvent>,
    ) -> Result<(u64, bool), Error> {
        let shared = &self.shared;
        let config = &shared.config;
        let mut writer = self.make_room(size, events)?;
        if let Some(reason) = &writer.broken {
            return Err(Error::Spool(SpoolError::Io {
                path: writer.active.segment.path.clone(),
                source: std::io::Error::other(format!("an earlier write failed ({reason}); reopen the spool")),
            }));
        }
        // A segment is left only once its records moved the stream on: the next one is named by the
        // stream's end, which records of marks alone do not move.
        if writer.active.segment.file_bytes >= config.segment_bytes && writer.end > writer.active.segment.first_offset {
            self.next_segment(&mut writer)?;
        }
        let writer = &mut *writer;
        let path = writer.active.segment.path.clone();
        writer.buffer.clear();
        journal::encode(writer.end, mark, bytes, &mut writer.buffer);
        let mut written = writer.active.file.write_all(&writer.buffer);
        if written.is_ok() && config.sync == SyncPolicy::EveryWrite {
            written = writer.active.file.sync_data();
        }
        if let Err(error) = written {
            // Whatever part of the record reached the file is cut off again, so that the next
            // record follows the last whole one; if even that fails, no more writes until a reopen.
            if let Err(cut) = writer.active.file.set_len(writer.active.segment.file_bytes) {
                writer.broken = Some(format!("{error}; cutting the record off failed: {cut}"));
            }
            return Err(io_error(&path)(error));
        }
        if config.sync != SyncPolicy::EveryWrite {
            writer.dirty = true;
        }
        writer.end += bytes.len() as u64;
        writer.file_bytes += size;
        let segment = &mut writer.active.segment;
        segment.end_offset = writer.end;
        segment.file_bytes += size;
        segment.payload_bytes += bytes.len() as u64;
        if let Some(last) = writer.segments.last_mut() {
            *last = segment.clone();
        }
        if !mark.is_empty() {
            writer.last_mark = Some(mark.to_vec());
        }
        shared.end.store(writer.end, Ordering::SeqCst);
        // Counted before the writer's lock is released, so the uploader never acknowledges a record
        // not yet counted.
        let mut upload = lock(&shared.upload);
        let before = upload.pending_bytes;
        upload.pending_bytes += bytes.len() as u64;
        // The uploader waits for a first byte, a full batch or a batch's age: only the first two need
        // a wake-up (waking it on every write costs more than the write).
        let batch = config.batch_bytes;
        let wake = before == 0 || (before < batch && upload.pending_bytes >= batch);
        Ok((writer.end, wake))
    }

    /// Waits, drops or refuses until `size` more bytes fit the journal, per the full policy. Events
    /// to tell go to `events` (a `Blocked` is told at once, without the lock).
    fn make_room(&self, size: u64, events: &mut Vec<SpoolEvent>) -> Result<MutexGuard<'_, Writer>, Error> {
        let shared = &self.shared;
        let max = shared.config.max_bytes;
        let mut writer = lock(&shared.writer);
        let mut blocked_since: Option<Instant> = None;
        while writer.file_bytes + size > max {
            if shared.closed.load(Ordering::SeqCst) {
                return Err(SpoolError::Closed.into());
            }
            let pending_bytes = lock(&shared.upload).pending_bytes;
            let full = || Error::Spool(SpoolError::Full { pending_bytes, max_bytes: max });
            match shared.config.full {
                FullPolicy::RejectNew => return Err(full()),
                FullPolicy::DropOldest => {
                    let need = writer.file_bytes + size - max;
                    let dropped = drop_oldest(shared, &mut writer, need)?;
                    if dropped == 0 {
                        return Err(full());
                    }
                    events.push(SpoolEvent::Dropped { bytes: dropped, reason: DropReason::Full });
                }
                FullPolicy::Block(timeout) => {
                    let Some(since) = blocked_since else {
                        blocked_since = Some(Instant::now());
                        drop(writer);
                        shared.emit(SpoolEvent::Blocked { pending_bytes });
                        writer = lock(&shared.writer);
                        continue;
                    };
                    let Some(left) = timeout.checked_sub(since.elapsed()).filter(|l| !l.is_zero()) else {
                        return Err(full());
                    };
                    writer = shared.space.wait_timeout(writer, left).unwrap_or_else(|p| p.into_inner()).0;
                }
            }
        }
        Ok(writer)
    }

    /// Closes the active segment and starts the next one.
    fn next_segment(&self, writer: &mut Writer) -> Result<(), Error> {
        let shared = &self.shared;
        let next = Active::create(&shared.journal_dir, writer.end).map_err(io_error(&shared.journal_dir))?;
        let old = std::mem::replace(&mut writer.active, next);
        if shared.config.sync != SyncPolicy::EveryWrite && writer.dirty {
            // Its fsync is the sync thread's (Interval) or the system's (Never), not the caller's.
            if matches!(shared.config.sync, SyncPolicy::Interval(_)) {
                writer.unsynced.push(old.file);
            }
        }
        writer.segments.push(writer.active.segment.clone());
        Ok(())
    }

    /// The mark of the last record written (kept across restarts), if any record had one.
    pub fn last_mark(&self) -> Option<Vec<u8>> {
        lock(&self.shared.writer).last_mark.clone()
    }

    /// Sends what waits now (not waiting for the batch size or age) and waits until everything
    /// written before this call is in OSS, up to `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        let shared = &self.shared;
        let target = lock(&shared.writer).end;
        let deadline = Instant::now() + timeout;
        let mut upload = lock(&shared.upload);
        upload.hurry = true;
        upload.flushes += 1;
        shared.changed.notify_all();
        loop {
            if upload.checkpoint.acked >= target {
                return Ok(());
            }
            if let Some(reason) = &upload.stopped {
                return Err(Error::Spool(SpoolError::Corrupt { path: shared.dir.clone(), reason: reason.clone() }));
            }
            if shared.closed.load(Ordering::SeqCst) {
                return Err(SpoolError::Closed.into());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(SpoolError::FlushTimeout { pending_bytes: upload.pending_bytes }.into());
            }
            upload = shared.changed.wait_timeout(upload, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
            upload.hurry = true;
        }
    }

    /// What the spool has done and is doing.
    pub fn status(&self) -> SpoolStatus {
        let journal_bytes = lock(&self.shared.writer).file_bytes;
        let upload = lock(&self.shared.upload);
        let c = &upload.checkpoint;
        SpoolStatus {
            pending_bytes: upload.pending_bytes,
            appended_bytes: c.appended_total,
            dropped_bytes: upload.dropped_total,
            corrupt_bytes: c.corrupt_total,
            journal_bytes,
            object: c.key.clone(),
            position: c.position,
            crc64: c.crc64,
            in_flight: c.in_flight.is_some(),
            last_error: upload.last_error.clone().or_else(|| upload.stopped.clone()),
            next_try: upload.next_try,
        }
    }

    /// Stops the uploader (a request in flight is cancelled: its batch is settled at the next open)
    /// and the sync thread, fsyncs the journal, and releases the directory. Data not yet in OSS stays
    /// in the journal for the next open. `flush` first to send it.
    pub fn close(&self) -> Result<(), Error> {
        let shared = &self.shared;
        if shared.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        lock(&shared.upload).closing = true;
        shared.cancel.cancel();
        shared.changed.notify_all();
        shared.space.notify_all();
        for thread in lock(&self.threads).drain(..) {
            let _ = thread.join();
        }
        let mut writer = lock(&shared.writer);
        // Segments left since the sync thread's last round, then the active one.
        let left = std::mem::take(&mut writer.unsynced);
        let synced = left
            .iter()
            .chain(std::iter::once(&writer.active.file))
            .try_for_each(File::sync_all)
            .map_err(io_error(&writer.active.segment.path));
        drop(writer);
        lock(&self.dir_lock).take();
        synced
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Payload bytes of the records at `acked` or after.
fn pending_after(segments: &[Segment], acked: u64) -> std::io::Result<u64> {
    let mut pending = 0;
    for segment in segments {
        if segment.first_offset >= acked {
            pending += segment.payload_bytes;
        } else if segment.end_offset > acked {
            let mut reader = journal::Reader::new();
            reader.seek(std::slice::from_ref(segment), acked)?;
            while let Some(record) = reader.next(std::slice::from_ref(segment), segment.end_offset)? {
                pending += record.payload.len() as u64;
            }
        }
    }
    Ok(pending)
}

/// Deletes the oldest whole segments that hold nothing in flight until `need` file bytes are free;
/// returns the payload bytes dropped (0: nothing could be).
fn drop_oldest(shared: &Shared, writer: &mut Writer, need: u64) -> Result<u64, Error> {
    let from = shared.droppable_from.load(Ordering::SeqCst);
    let mut freed = 0;
    let mut dropped = 0;
    while freed < need {
        let active = writer.active.segment.first_offset;
        let Some(index) = writer.segments.iter().position(|s| s.first_offset >= from && s.first_offset != active)
        else {
            break;
        };
        let segment = writer.segments.remove(index);
        std::fs::remove_file(&segment.path).map_err(io_error(&segment.path))?;
        freed += segment.file_bytes;
        dropped += segment.payload_bytes;
        writer.file_bytes -= segment.file_bytes;
    }
    if dropped > 0 {
        journal::sync_dir(&shared.journal_dir).map_err(io_error(&shared.journal_dir))?;
        let mut upload = lock(&shared.upload);
        upload.pending_bytes = upload.pending_bytes.saturating_sub(dropped);
        upload.dropped_total += dropped;
    }
    Ok(dropped)
}

impl Shared {
    /// Fsyncs what was written to the journal and not yet synced (a no-op under `EveryWrite`).
    fn sync_journal(&self) -> Result<(), Error> {
        let files: Vec<File> = {
            let mut writer = lock(&self.writer);
            let mut files = std::mem::take(&mut writer.unsynced);
            if writer.dirty {
                writer.dirty = false;
                files.push(writer.active.file.try_clone().map_err(io_error(&writer.active.segment.path))?);
            }
            files
        };
        files.iter().try_for_each(File::sync_data).map_err(io_error(&self.journal_dir))
    }
}

/// The sync thread (`SyncPolicy::Interval`): fsyncs what was written since the last time.
fn sync_every(shared: &Shared, interval: Duration) {
    loop {
        // Sleeps the whole interval (writes notify `changed` too), waking early only to close.
        let deadline = Instant::now() + interval;
        let mut upload = lock(&shared.upload);
        loop {
            if upload.closing {
                return;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            upload = shared.changed.wait_timeout(upload, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
        drop(upload);
        if let Err(error) = shared.sync_journal() {
            // Said, not hidden: under Interval a failed fsync widens what a power cut would lose.
            let message = format!("fsyncing the journal failed: {error}");
            lock(&shared.upload).last_error = Some(message.clone());
            shared.emit(SpoolEvent::Error { message, retryable: true, retry_at: SystemTime::now() + interval });
        }
    }
}
