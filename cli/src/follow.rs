//! `append-object --follow`: ship a growing input in batches, riding out transient errors, with
//! nothing lost or duplicated.
//!
//! A thread reads standard input (or polls a growing file, like `tail -F`) into a bounded channel; the
//! main thread gathers what arrives into a batch and appends it once it holds `--batch-bytes` or its
//! oldest byte has waited `--batch-interval-ms`. The core's [`Appender`] carries the position and the
//! object's CRC-64 from one append to the next.
//!
//! A batch that fails with a transient error (network, timeout, 5xx, 408, 429) is kept and sent again
//! at the same position, with backoff, until it lands. If an earlier attempt did land and only its
//! response was lost, the retry meets `PositionNotEqualToLength`; the batch is then taken as appended
//! only when the object's length is exactly position + batch length AND its CRC-64 is exactly the CRC
//! before the batch combined with the batch's: the bytes are then known to be there, once.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oss_append::crc64;
use oss_append::{AppendOptions, AppendResult, Appender, Client, Error, ObjectHeaders, ServiceError};

use crate::args::BodySpec;
use crate::failure::{is_transient, ExitClass, Failure};
use crate::output::Printer;

/// Size of one read from the input.
const CHUNK: usize = 64 * 1024;
/// Chunks the reader may run ahead of the uploads before it waits (at most 16 MiB).
const QUEUE: usize = 256;
/// How often the main loop looks at the clock and the interrupt flag.
const TICK: Duration = Duration::from_millis(50);
/// How often a followed file is checked for growth, rotation and truncation.
const FILE_POLL: Duration = Duration::from_millis(100);
/// Backoff between attempts of a failed batch: doubling from the first, capped at the second.
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(15);

/// The follow-mode flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub batch_bytes: usize,
    pub interval: Duration,
    pub idle_exit: Option<Duration>,
}

/// What the reader thread sends.
enum Input {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
}

/// Follows `source` into `bucket/key` until standard input ends, the idle time passes, or SIGINT or
/// SIGTERM arrives; then flushes what was read and returns.
#[allow(clippy::too_many_arguments)]
pub fn run(
    client: &Client,
    bucket: &str,
    key: &str,
    position: Option<u64>,
    headers: ObjectHeaders,
    source: &BodySpec,
    settings: &Settings,
    printer: Printer,
) -> Result<(), Failure> {
    let interrupted = interrupt_flag();
    let mut shipper = Shipper::start(client, bucket, key, position, headers, printer, interrupted.clone())?;
    let input = match source {
        BodySpec::Stdin => spawn_reader(read_stdin),
        BodySpec::File(path) => {
            let path = path.clone();
            spawn_reader(move |tx| follow_file(&path, tx, printer))
        }
        BodySpec::Text(_) => {
            return Err(Failure::new(ExitClass::Usage, "--follow needs --body - or --body file://PATH"));
        }
    };

    let mut batch: Vec<u8> = Vec::new();
    let mut batch_since = Instant::now();
    let mut last_input = Instant::now();
    loop {
        let wait =
            if batch.is_empty() { TICK } else { settings.interval.saturating_sub(batch_since.elapsed()).min(TICK) };
        match input.recv_timeout(wait) {
            Ok(Input::Data(chunk)) => {
                last_input = Instant::now();
                if batch.is_empty() {
                    batch_since = last_input;
                }
                batch.extend_from_slice(&chunk);
                if batch.len() >= settings.batch_bytes {
                    shipper.ship_all(&mut batch)?;
                }
            }
            Ok(Input::End) | Err(RecvTimeoutError::Disconnected) => return shipper.ship_all(&mut batch),
            Ok(Input::Failed(error)) => {
                shipper.ship_all(&mut batch)?;
                return Err(Failure::new(ExitClass::Other, format!("reading {} failed: {error}", source.describe()))
                    .hint("everything read before the failure was appended"));
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if interrupted.load(Ordering::SeqCst) {
            // Take what the reader already has, append it, and stop.
            while let Ok(Input::Data(chunk)) = input.try_recv() {
                batch.extend_from_slice(&chunk);
            }
            return shipper.ship_all(&mut batch);
        }
        if !batch.is_empty() && batch_since.elapsed() >= settings.interval {
            shipper.ship_all(&mut batch)?;
        }
        if settings.idle_exit.is_some_and(|idle| last_input.elapsed() >= idle) {
            return shipper.ship_all(&mut batch);
        }
    }
}

/// Set by the first SIGINT or SIGTERM; a second one exits at once with 130.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = flag.clone();
    let installed = ctrlc::set_handler(move || {
        if seen.swap(true, Ordering::SeqCst) {
            eprintln!("error: interrupted again: exiting without appending the rest");
            std::process::exit(130);
        }
    });
    if let Err(error) = installed {
        eprintln!("warning: cannot catch SIGINT ({error}); an interrupt stops without a final flush");
    }
    flag
}

fn spawn_reader(read: impl FnOnce(SyncSender<Input>) + Send + 'static) -> Receiver<Input> {
    let (tx, rx) = mpsc::sync_channel(QUEUE);
    std::thread::spawn(move || read(tx));
    rx
}

fn read_stdin(tx: SyncSender<Input>) {
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let message = match stdin.read(&mut buf) {
            Ok(0) => Input::End,
            Ok(n) => Input::Data(buf[..n].to_vec()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Input::Failed(e),
        };
        let last = !matches!(message, Input::Data(_));
        if tx.send(message).is_err() || last {
            return;
        }
    }
}

/// Which file a path names, to notice rotation (the path now names another file).
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Reads everything the open file has now; false when the receiver is gone or reading failed.
fn drain(file: &mut File, offset: &mut u64, buf: &mut [u8], tx: &SyncSender<Input>) -> bool {
    loop {
        match file.read(buf) {
            Ok(0) => return true,
            Ok(n) => {
                *offset += n as u64;
                if tx.send(Input::Data(buf[..n].to_vec())).is_err() {
                    return false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.send(Input::Failed(e));
                return false;
            }
        }
    }
}

/// Follows a file like `tail -F`: from its start, then its growth; when the path is renamed away
/// and created again, finishes the old file and goes on with the new one; when the file is truncated
/// in place, starts again from its beginning. A missing file is waited for.
fn follow_file(path: &Path, tx: SyncSender<Input>, printer: Printer) {
    let mut buf = vec![0u8; CHUNK];
    let mut open: Option<(File, Option<(u64, u64)>)> = None;
    let mut offset = 0u64;
    let mut waiting_said = false;
    loop {
        if open.is_none() {
            match File::open(path).and_then(|file| file.metadata().map(|meta| (file, identity(&meta)))) {
                Ok(opened) => {
                    open = Some(opened);
                    offset = 0;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if !waiting_said {
                        printer.warn(&format!("{} does not exist yet; waiting for it", path.display()));
                        waiting_said = true;
                    }
                    std::thread::sleep(FILE_POLL);
                    continue;
                }
                Err(e) => {
                    let _ = tx.send(Input::Failed(e));
                    return;
                }
            }
        }
        let Some((file, id)) = open.as_mut() else { continue };
        if !drain(file, &mut offset, &mut buf, &tx) {
            return;
        }
        match std::fs::metadata(path) {
            Ok(meta) if identity(&meta) != *id => {
                // Rotated: what was written to the old file before the switch is read, then the new one.
                if !drain(file, &mut offset, &mut buf, &tx) {
                    return;
                }
                open = None;
                waiting_said = false;
                continue;
            }
            Ok(meta) if meta.len() < offset => {
                printer.warn(&format!("{} was truncated; following it from its start", path.display()));
                if let Err(e) = file.seek(SeekFrom::Start(0)) {
                    let _ = tx.send(Input::Failed(e));
                    return;
                }
                offset = 0;
                continue;
            }
            // Unchanged, grown (read on the next round) or removed (a new file is waited for).
            _ => {}
        }
        std::thread::sleep(FILE_POLL);
    }
}

/// Appends batches through an [`Appender`], never losing or duplicating one.
struct Shipper {
    client: Client,
    bucket: String,
    key: String,
    template: AppendOptions,
    appender: Appender,
    printer: Printer,
    interrupted: Arc<AtomicBool>,
}

impl Shipper {
    /// Learns where the object ends (and its CRC-64) before the first batch, so a batch whose first
    /// attempt is lost can be proven landed or not.
    fn start(
        client: &Client,
        bucket: &str,
        key: &str,
        position: Option<u64>,
        headers: ObjectHeaders,
        printer: Printer,
        interrupted: Arc<AtomicBool>,
    ) -> Result<Self, Failure> {
        let template = AppendOptions::new().headers(headers);
        let mut shipper = Shipper {
            client: client.clone(),
            bucket: bucket.into(),
            key: key.into(),
            appender: client.appender(bucket, key),
            template,
            printer,
            interrupted,
        };
        let context = format!("append-object oss://{bucket}/{key}");
        let (length, crc) = shipper
            .retrying("reading the object's length", || match client.head_object(bucket, key) {
                Ok(meta) if !meta.is_appendable() => Ok(Err(meta.object_type)),
                Ok(meta) => Ok(Ok((meta.next_append_position.unwrap_or(meta.content_length), meta.crc64))),
                Err(Error::Service(e)) if e.status == 404 && e.code != "NoSuchBucket" => Ok(Ok((0, Some(0)))),
                Err(e) => Err(e),
            })
            .map_err(|e| Failure::from_error(&context, &e))?
            .map_err(|object_type| {
                Failure::new(
                    ExitClass::PositionConflict,
                    format!("{context}: the object is not appendable (its type is {object_type:?})"),
                )
                .hint("it was made by put-object or a multipart upload: use another key, or delete-object it first")
            })?;
        if let Some(position) = position {
            if position != length {
                return Err(Failure::new(
                    ExitClass::PositionConflict,
                    format!("{context}: --position {position} is not the object's length {length}"),
                )
                .hint(format!("use --position {length}, or leave --position out to append at the object's end")));
            }
        }
        shipper.reset(length, crc);
        Ok(shipper)
    }

    /// Points the appender at `position`, with the object's CRC-64 there when known.
    fn reset(&mut self, position: u64, crc: Option<u64>) {
        let mut options = self.template.clone();
        options.position = Some(position);
        options.crc64 = crc;
        self.appender = self.client.appender(self.bucket.clone(), self.key.clone()).with_options(options);
    }

    /// Runs `op` until it succeeds or fails for good, waiting longer after each transient failure.
    fn retrying<T>(&self, what: &str, mut op: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        let mut failures = 0;
        loop {
            match op() {
                Err(error) if is_transient(&error) => {
                    failures += 1;
                    self.wait_after(failures, what, &error);
                }
                outcome => return outcome,
            }
        }
    }

    fn wait_after(&self, failures: u32, what: &str, error: &Error) {
        let wait = BACKOFF_FIRST.saturating_mul(1 << (failures - 1).min(10)).min(BACKOFF_MAX);
        let mut message = format!("{what} failed ({error}); trying again in {:.1} s", wait.as_secs_f64());
        if self.interrupted.load(Ordering::SeqCst) {
            message.push_str(" (interrupted: interrupt again to give up on the data not yet appended)");
        }
        self.printer.warn(&message);
        std::thread::sleep(wait);
    }

    /// Appends the whole batch and empties it.
    fn ship_all(&mut self, batch: &mut Vec<u8>) -> Result<(), Failure> {
        if batch.is_empty() {
            return Ok(());
        }
        let result = self.ship(batch);
        match result {
            Ok(()) => {
                batch.clear();
                Ok(())
            }
            Err(error) => {
                let context = format!("append-object oss://{}/{}", self.bucket, self.key);
                let mut failure = Failure::from_error(&context, &error);
                let held = self.appender.next_position().map(|p| format!(" (its length is {p})")).unwrap_or_default();
                failure.fields.push((
                    "NotAppended",
                    format!(
                        "a batch of {} bytes and any input after it; the object holds all input before it{held}",
                        batch.len()
                    ),
                ));
                Err(failure)
            }
        }
    }

    /// Appends `data` once: transient failures are retried at the same position, and a
    /// PositionNotEqualToLength after a failed attempt is reconciled by length and CRC-64.
    fn ship(&mut self, data: &[u8]) -> Result<(), Error> {
        let start = self.appender.next_position().expect("the start position is known from the first HEAD");
        let start_crc = self.appender.crc64();
        let what = format!("appending {} bytes at {start}", data.len());
        let mut failures = 0;
        loop {
            self.reset(start, start_crc);
            let error = match self.appender.append(data) {
                Ok(result) => {
                    self.printer.append(&self.bucket, &self.key, data.len() as u64, &result);
                    return Ok(());
                }
                Err(error) => error,
            };
            if failures > 0 {
                if let Some(conflict) = error.service().filter(|e| e.is_position_not_equal_to_length()) {
                    match self.reconcile(start, start_crc, data, conflict) {
                        Ok(Some(result)) => {
                            self.reset(result.next_position, Some(result.crc64));
                            self.printer.append(&self.bucket, &self.key, data.len() as u64, &result);
                            return Ok(());
                        }
                        Ok(None) => {
                            self.reset(start, start_crc);
                            return Err(error);
                        }
                        Err(head_error) if is_transient(&head_error) => {
                            failures += 1;
                            self.wait_after(failures, "reading the object's length", &head_error);
                            continue;
                        }
                        Err(head_error) => return Err(head_error),
                    }
                }
            }
            if !is_transient(&error) {
                return Err(error);
            }
            failures += 1;
            self.wait_after(failures, &what, &error);
        }
    }

    /// Whether a lost attempt of this batch landed: the object's length is start + batch length and
    /// its CRC-64 is the CRC before the batch continued with the batch.
    fn reconcile(
        &self,
        start: u64,
        start_crc: Option<u64>,
        data: &[u8],
        conflict: &ServiceError,
    ) -> Result<Option<AppendResult>, Error> {
        let Some(before) = start_crc else { return Ok(None) };
        let (length, crc, request_id) = match (conflict.next_position, conflict.server_crc64) {
            (Some(length), Some(crc)) => (length, Some(crc), conflict.request_id.clone()),
            _ => {
                let meta = self.client.head_object(&self.bucket, &self.key)?;
                (meta.next_append_position.unwrap_or(meta.content_length), meta.crc64, meta.request_id)
            }
        };
        let len = data.len() as u64;
        let expected = crc64::combine(before, crc64::checksum(data), len);
        if length == start + len && crc == Some(expected) {
            return Ok(Some(AppendResult {
                position: start,
                next_position: length,
                crc64: expected,
                request_id,
                etag: None,
                reconciled: true,
            }));
        }
        Ok(None)
    }
}
