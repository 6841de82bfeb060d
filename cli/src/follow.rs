//! `append-object --follow`: ship a growing input in batches, riding out transient errors, with
//! nothing lost or duplicated.
//!
//! A thread reads standard input (or polls a growing file, like `tail -F`) into a bounded channel; the
//! main thread gathers what arrives into a batch and appends it once it holds `--batch-bytes` or its
//! oldest byte has waited `--batch-interval-ms`. The core's [`Appender`] carries the position and the
//! object's CRC-64 from one append to the next.
//!
//! The core's append stream does the rest: it retries, and settles every attempt whose response was
//! lost, so an append either landed (once), or did not (and is sent again), or is unsettled. Follow
//! mode only rides out outages: a batch that fails with an error the core calls retryable is kept and
//! sent again after a capped, jittered backoff (the core's policy) until it lands or `--give-up-after`
//! passes; an unsettled batch is settled again until the service answers, then sent again only if it
//! did not land. Any other error stops it with its exit code.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use oss_append::{
    AppendOptions, Appender, Client, Error, ObjectHeaders, RetryPolicy, ServiceErrorKind, Settlement, Spool,
    SpoolConfig, SpoolEvent, SyncPolicy,
};

use crate::args::BodySpec;
use crate::failure::{ExitClass, Failure};
use crate::output::Printer;

/// Size of one read from the input.
const CHUNK: usize = 64 * 1024;
/// Chunks the reader may run ahead of the uploads before it waits (at most 16 MiB).
const QUEUE: usize = 256;
/// How often the main loop looks at the clock and the interrupt flag.
const TICK: Duration = Duration::from_millis(50);
/// How often a followed file is checked for growth, rotation and truncation.
const FILE_POLL: Duration = Duration::from_millis(100);
/// Backoff while riding out an outage: full jitter, doubling from 250 ms, capped at 15 s.
const OUTAGE: RetryPolicy =
    RetryPolicy { max_attempts: u32::MAX, base_delay: Duration::from_millis(250), max_delay: Duration::from_secs(15) };

/// The follow-mode flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub batch_bytes: usize,
    pub interval: Duration,
    pub idle_exit: Option<Duration>,
    pub give_up_after: Option<Duration>,
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
    if matches!(source, BodySpec::Stdin) {
        crate::stdin_is_open()?;
    }
    let mut shipper = Shipper::start(client, bucket, key, position, headers, settings, printer, interrupted.clone());
    let input = start_reader(source, None, None, printer)?;

    let mut batch: Vec<u8> = Vec::new();
    let mut batch_since = Instant::now();
    let mut last_input = Instant::now();
    loop {
        // The object is checked while input is read: a refusal stops before anything is read, and
        // input that ends empty exits at once whatever the check is waiting for.
        shipper.check_if_done()?;
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

/// Starts the thread that reads `source`: into the batching loop, or (`spool`) into the spool's
/// journal, going on from `resume` in a followed file.
fn start_reader(
    source: &BodySpec,
    spool: Option<Arc<Spool>>,
    resume: Option<FileMark>,
    printer: Printer,
) -> Result<Receiver<Input>, Failure> {
    let deliver = move |tx: &SyncSender<Input>| -> Deliver {
        match spool.clone() {
            None => to_channel(tx.clone()),
            Some(spool) => {
                let tx = tx.clone();
                Box::new(move |bytes: Vec<u8>, mark: Option<FileMark>| {
                    let mark = mark.map(|m| m.encode()).unwrap_or_default();
                    spool.write_with_mark(&bytes, &mark).map_err(io::Error::other)?;
                    // Only a sign of life for the idle timer: the bytes are in the journal.
                    let _ = tx.try_send(Input::Data(Vec::new()));
                    Ok(())
                })
            }
        }
    };
    match source {
        BodySpec::Stdin => Ok(spawn_reader(move |tx| read_stdin(deliver(&tx), tx))),
        BodySpec::File(path) => {
            let path = path.clone();
            Ok(spawn_reader(move |tx| follow_file(&path, resume, deliver(&tx), tx, printer)))
        }
        BodySpec::Text(_) => Err(Failure::new(ExitClass::Usage, "--follow needs --body - or --body file://PATH")),
    }
}

/// `--follow --spool DIR`: the input goes into the spool's journal as it is read (with a followed
/// file's read offset beside it), and the spool's uploader sends it; a restart of the same command
/// goes on where the last one stopped, nothing lost, nothing twice.
#[allow(clippy::too_many_arguments)]
pub fn run_spooled(
    client: &Client,
    bucket: &str,
    key: &str,
    headers: ObjectHeaders,
    source: &BodySpec,
    settings: &Settings,
    spooling: &SpoolSettings,
    printer: Printer,
) -> Result<(), Failure> {
    let interrupted = interrupt_flag();
    if matches!(source, BodySpec::Stdin) {
        crate::stdin_is_open()?;
    }
    let context = format!("append-object oss://{bucket}/{key}");
    let (bucket_name, events_printer) = (bucket.to_string(), printer);
    let config = SpoolConfig::for_key(bucket, key)
        .headers(headers)
        .sync(spooling.sync)
        .batch_bytes(settings.batch_bytes as u64)
        .batch_age(settings.interval)
        .listener(move |event: &SpoolEvent| match event {
            SpoolEvent::Appended { key, position, length } => {
                events_printer.spooled(&bucket_name, key, *position, *length)
            }
            SpoolEvent::RolledOver { from, to, reason } => {
                events_printer.warn(&format!("moved on from {from} to {to} ({reason:?})"))
            }
            SpoolEvent::Error { message, retry_at, .. } => {
                let wait = retry_at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
                events_printer.warn(&format!("{message}; trying again in {:.1} s", wait.as_secs_f64()))
            }
            SpoolEvent::Dropped { bytes, reason } => {
                events_printer.warn(&format!("dropped {bytes} bytes ({reason:?})"))
            }
            SpoolEvent::Blocked { pending_bytes } => {
                events_printer.warn(&format!("the spool is full ({pending_bytes} bytes waiting); reading waits"))
            }
            SpoolEvent::Quarantined { path } => {
                events_printer.warn(&format!("a damaged journal segment was kept aside in {}", path.display()))
            }
            _ => {}
        });
    let spool =
        Arc::new(Spool::open(&spooling.dir, client.clone(), config).map_err(|e| Failure::from_error(&context, &e))?);
    let resume = spool.last_mark().and_then(|m| FileMark::decode(&m));
    let input = start_reader(source, Some(spool.clone()), resume, printer)?;
    let mut last_input = Instant::now();
    let ended = loop {
        match input.recv_timeout(TICK) {
            Ok(Input::Data(_)) => last_input = Instant::now(),
            Ok(Input::End) | Err(RecvTimeoutError::Disconnected) => break None,
            Ok(Input::Failed(error)) => break Some(error),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if interrupted.load(Ordering::SeqCst) || settings.idle_exit.is_some_and(|idle| last_input.elapsed() >= idle) {
            break None;
        }
    };
    let flushed = spool.flush(settings.give_up_after.unwrap_or(Duration::from_secs(u64::MAX / 4)));
    let status = spool.status();
    let closed = spool.close();
    if let Some(error) = ended {
        return Err(Failure::new(ExitClass::Other, format!("reading {} failed: {error}", source.describe()))
            .hint("everything read before the failure is in the spool and was sent, or will be by the next run"));
    }
    match flushed.and(closed) {
        Ok(()) => Ok(()),
        Err(error) => {
            let mut failure = Failure::from_error(&context, &error);
            failure.class = ExitClass::Network;
            failure.fields.push((
                "Kept",
                format!(
                    "{} bytes in the spool {} (run the same command again to send them)",
                    status.pending_bytes,
                    spooling.dir.display()
                ),
            ));
            if let Some(last) = status.last_error {
                failure.fields.push(("LastError", last));
            }
            Err(failure)
        }
    }
}

/// `--spool` and its settings.
#[derive(Debug, Clone)]
pub struct SpoolSettings {
    pub dir: std::path::PathBuf,
    pub sync: SyncPolicy,
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

/// Where a followed file is: which file (its identity) and how far it was read. Journaled with the
/// data (`--spool`), so a restart goes on from exactly there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMark {
    pub identity: Option<(u64, u64)>,
    pub offset: u64,
}

impl FileMark {
    pub fn encode(&self) -> Vec<u8> {
        let (dev, ino) = self.identity.unwrap_or((u64::MAX, u64::MAX));
        [dev.to_le_bytes(), ino.to_le_bytes(), self.offset.to_le_bytes()].concat()
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let word = |i: usize| Some(u64::from_le_bytes(bytes.get(i * 8..i * 8 + 8)?.try_into().ok()?));
        let (dev, ino, offset) = (word(0)?, word(1)?, word(2)?);
        let identity = (dev, ino) != (u64::MAX, u64::MAX);
        Some(Self { identity: identity.then_some((dev, ino)), offset })
    }
}

/// Takes what the reader read: to the batching loop's channel, or into the spool's journal before
/// anything more is read. An error stops the reader.
pub type Deliver = Box<dyn FnMut(Vec<u8>, Option<FileMark>) -> io::Result<()> + Send>;

/// Delivers to the batching loop.
fn to_channel(tx: SyncSender<Input>) -> Deliver {
    Box::new(move |bytes, _| tx.send(Input::Data(bytes)).map_err(|_| io::Error::other("the follower stopped")))
}

fn read_stdin(mut deliver: Deliver, tx: SyncSender<Input>) {
    let mut stdin = io::stdin().lock();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let message = match stdin.read(&mut buf) {
            Ok(0) => Input::End,
            Ok(n) => match deliver(buf[..n].to_vec(), None) {
                Ok(()) => continue,
                Err(e) => Input::Failed(e),
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Input::Failed(e),
        };
        let _ = tx.send(message);
        return;
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

/// Reads everything the open file has now; false when delivering or reading failed.
fn drain(file: &mut File, mark: &mut FileMark, buf: &mut [u8], deliver: &mut Deliver, tx: &SyncSender<Input>) -> bool {
    loop {
        match file.read(buf) {
            Ok(0) => return true,
            Ok(n) => {
                mark.offset += n as u64;
                if let Err(e) = deliver(buf[..n].to_vec(), Some(*mark)) {
                    let _ = tx.send(Input::Failed(e));
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

/// Follows a file like `tail -F`: from its start (or from `resume`, when the path still names that
/// file), then its growth; when the path is renamed away and created again, finishes the old file
/// and goes on with the new one; when the file is truncated in place, starts again from its
/// beginning. A missing file is waited for.
fn follow_file(
    path: &Path,
    mut resume: Option<FileMark>,
    mut deliver: Deliver,
    tx: SyncSender<Input>,
    printer: Printer,
) {
    let mut buf = vec![0u8; CHUNK];
    let mut open: Option<File> = None;
    let mut mark = FileMark { identity: None, offset: 0 };
    let mut waiting_said = false;
    loop {
        if open.is_none() {
            match File::open(path).and_then(|file| file.metadata().map(|meta| (file, identity(&meta), meta.len()))) {
                Ok((mut file, id, len)) => {
                    mark = FileMark { identity: id, offset: 0 };
                    if let Some(at) = resume.take() {
                        if at.identity == id && id.is_some() && at.offset <= len {
                            match file.seek(SeekFrom::Start(at.offset)) {
                                Ok(_) => mark.offset = at.offset,
                                Err(e) => {
                                    let _ = tx.send(Input::Failed(e));
                                    return;
                                }
                            }
                        } else {
                            printer.warn(&format!(
                                "{} is not the file the spool was reading when it stopped (rotated or truncated); \
                                 following it from its start",
                                path.display()
                            ));
                        }
                    }
                    open = Some(file);
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
        let Some(file) = open.as_mut() else { continue };
        if !drain(file, &mut mark, &mut buf, &mut deliver, &tx) {
            return;
        }
        match std::fs::metadata(path) {
            Ok(meta) if identity(&meta) != mark.identity => {
                // Rotated: what was written to the old file before the switch is read, then the new one.
                if !drain(file, &mut mark, &mut buf, &mut deliver, &tx) {
                    return;
                }
                open = None;
                waiting_said = false;
                continue;
            }
            Ok(meta) if meta.len() < mark.offset => {
                // Truncated in place, or (where files have no identity) replaced by a shorter one:
                // the path is opened again either way, never the old file read again.
                printer.warn(&format!("{} was truncated; following it from its start", path.display()));
                open = None;
                continue;
            }
            // Unchanged, grown (read on the next round) or removed (a new file is waited for).
            _ => {}
        }
        std::thread::sleep(FILE_POLL);
    }
}

/// Appends batches through the core's [`Appender`], riding out outages.
struct Shipper {
    bucket: String,
    key: String,
    appender: Appender,
    /// The object check running at start, until its outcome is taken.
    check: Option<JoinHandle<Result<Appender, Refusal>>>,
    give_up_after: Option<Duration>,
    printer: Printer,
    interrupted: Arc<AtomicBool>,
}

impl Shipper {
    /// Starts checking the object (its end, its CRC-64, whether it takes appends) on a thread of its
    /// own, so that a refusal is reported before any input arrives.
    #[allow(clippy::too_many_arguments)]
    fn start(
        client: &Client,
        bucket: &str,
        key: &str,
        position: Option<u64>,
        headers: ObjectHeaders,
        settings: &Settings,
        printer: Printer,
        interrupted: Arc<AtomicBool>,
    ) -> Self {
        let mut options = AppendOptions::new().headers(headers);
        options.position = position;
        let appender = client.appender(bucket, key).with_options(options);
        let checking = appender.clone();
        let check = std::thread::spawn(move || check_object(checking));
        Shipper {
            bucket: bucket.into(),
            key: key.into(),
            appender,
            check: Some(check),
            give_up_after: settings.give_up_after,
            printer,
            interrupted,
        }
    }

    /// Takes the object check's outcome once it has one; `wait` waits for it.
    fn take_check(&mut self, wait: bool) -> Result<(), Failure> {
        let Some(check) = self.check.take_if(|check| wait || check.is_finished()) else { return Ok(()) };
        let outcome =
            check.join().unwrap_or_else(|_| Err(Refusal::Error(Error::Protocol("the check panicked".into()))));
        let context = format!("append-object oss://{}/{}", self.bucket, self.key);
        match outcome {
            Ok(appender) => {
                self.appender = appender;
                Ok(())
            }
            // An outage is ridden out by the first batch, which asks again.
            Err(Refusal::Error(error)) if error.is_retryable() => {
                self.printer.warn(&format!("cannot check the object yet ({error}); going on"));
                Ok(())
            }
            Err(Refusal::Error(error)) => Err(Failure::from_error(&context, &error)),
            Err(Refusal::NotAppendable(object_type)) => Err(Failure::new(
                ExitClass::PositionConflict,
                format!("{context}: the object is not appendable (its type is {object_type:?})"),
            )
            .hint("it was made by put-object or a multipart upload: use another key, or delete-object it first")),
            Err(Refusal::WrongPosition { position, length }) => Err(Failure::new(
                ExitClass::PositionConflict,
                format!("{context}: --position {position} is not the object's length {length}"),
            )
            .hint(format!("use --position {length}, or leave --position out to append at the object's end"))),
        }
    }

    fn check_if_done(&mut self) -> Result<(), Failure> {
        self.take_check(false)
    }

    /// Appends the whole batch and empties it.
    fn ship_all(&mut self, batch: &mut Vec<u8>) -> Result<(), Failure> {
        if batch.is_empty() {
            return Ok(());
        }
        self.take_check(true)?;
        let outcome = self.ship(batch);
        match outcome {
            Ok(()) => {
                batch.clear();
                Ok(())
            }
            Err(error) => {
                let context = format!("append-object oss://{}/{}", self.bucket, self.key);
                let mut failure = Failure::from_error(&context, &error);
                if error.landed() {
                    failure.fields.push((
                        "Appended",
                        format!("all input before this batch, and this batch of {} bytes (see the error)", batch.len()),
                    ));
                    failure.fields.push(("NotAppended", "any input after this batch".into()));
                } else if !matches!(error, Error::Unsettled(_)) {
                    let held =
                        self.appender.next_position().map(|p| format!(" (its length is {p})")).unwrap_or_default();
                    failure.fields.push((
                        "NotAppended",
                        format!(
                            "a batch of {} bytes and any input after it; the object holds all input before it{held}",
                            batch.len()
                        ),
                    ));
                }
                Err(failure)
            }
        }
    }

    /// Appends `data` once: retryable failures are ridden out, an unsettled attempt is settled before
    /// it is sent again, anything else is returned.
    fn ship(&mut self, data: &[u8]) -> Result<(), Error> {
        let since = Instant::now();
        let mut failures = 0;
        loop {
            let position = self.appender.next_position();
            let error = match self.appender.append(data) {
                Ok(result) => {
                    self.printer.append(&self.bucket, &self.key, data.len() as u64, &result);
                    return Ok(());
                }
                Err(Error::Unsettled(_)) => match self.settle(data, since, &mut failures)? {
                    true => return Ok(()),
                    false => continue,
                },
                Err(error) => error,
            };
            if !error.is_retryable() {
                return Err(error);
            }
            let at = position.map(|p| format!(" at {p}")).unwrap_or_default();
            if !self.wait_after(&mut failures, since, &format!("appending {} bytes{at}", data.len()), &error) {
                return Err(error);
            }
        }
    }

    /// Settles the batch's unsettled attempt, asking again through an outage: true when it landed,
    /// false when it did not (it is then sent again).
    fn settle(&mut self, data: &[u8], since: Instant, failures: &mut u32) -> Result<bool, Error> {
        loop {
            match self.appender.settle() {
                Ok(Some(Settlement::Landed(result))) => {
                    self.printer.append(&self.bucket, &self.key, data.len() as u64, &result);
                    return Ok(true);
                }
                Ok(_) => return Ok(false),
                Err(Error::Unsettled(unsettled)) if unsettled.cause.is_retryable() => {
                    let what =
                        format!("finding out whether {} bytes at {} landed", data.len(), unsettled.in_flight.position);
                    if !self.wait_after(failures, since, &what, &unsettled.cause) {
                        // Out of time: the batch stays unsettled.
                        return Err(Error::Unsettled(unsettled));
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Waits before the next try, warning: false (without waiting) once `--give-up-after` has passed.
    fn wait_after(&self, failures: &mut u32, since: Instant, what: &str, error: &Error) -> bool {
        *failures += 1;
        let wait = OUTAGE.delay(*failures);
        if self.give_up_after.is_some_and(|limit| since.elapsed() + wait > limit) {
            self.printer.warn(&format!("{what} failed ({error}); giving up (--give-up-after)"));
            return false;
        }
        let mut message = format!("{what} failed ({error}); trying again in {:.1} s", wait.as_secs_f64());
        if self.interrupted.load(Ordering::SeqCst) {
            message.push_str(" (interrupted: interrupt again to give up on the data not yet appended)");
        }
        self.printer.warn(&message);
        std::thread::sleep(wait);
        true
    }
}

/// Why the object cannot be followed into.
enum Refusal {
    Error(Error),
    NotAppendable(String),
    WrongPosition { position: u64, length: u64 },
}

/// The object's end and CRC-64 before the first batch: a missing object starts at 0; one made by a
/// put, or a `--position` that is not its length, is refused.
fn check_object(appender: Appender) -> Result<Appender, Refusal> {
    let wanted = appender.next_position();
    let meta = match appender.client().head_object(appender.bucket(), appender.key()) {
        Ok(meta) => meta,
        Err(Error::Service(e)) if e.kind == ServiceErrorKind::NoSuchKey => {
            return match wanted {
                None | Some(0) => Ok(appender.resume(0, 0)),
                Some(position) => Err(Refusal::WrongPosition { position, length: 0 }),
            };
        }
        Err(error) => return Err(Refusal::Error(error)),
    };
    if !meta.is_appendable() {
        return Err(Refusal::NotAppendable(meta.object_type));
    }
    let length = meta.next_append_position.unwrap_or(meta.content_length);
    if let Some(position) = wanted.filter(|p| *p != length) {
        return Err(Refusal::WrongPosition { position, length });
    }
    Ok(match meta.crc64 {
        Some(crc) => appender.resume(length, crc),
        None => appender,
    })
}
