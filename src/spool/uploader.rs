//! The uploader thread: builds batches of whole records from the journal, records each in the
//! checkpoint before sending it, appends it with the core's append stream, and acts on the outcome:
//! landed (advance), not landed (send again, or to the next object when another writer has the
//! object), unsettled (settle before anything else), failing (back off, keep the data).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use super::checkpoint::{Batch, Checkpoint};
use super::journal::{self, Reader, Record, Segment};
use super::{lock, DropReason, RolloverReason, Shared, SpoolEvent, Upload};
use crate::append::settle::{NotLandedReason, Settlement};
use crate::crc64;
use crate::error::{Argument, Error, ServiceErrorKind};
use crate::in_flight::InFlight;
use crate::options::AppendOptions;
use crate::RetryPolicy;

/// A batch read from the journal.
struct Built {
    data: Vec<u8>,
    /// Stream offsets it covers: from the offset acknowledged before it to after its last record.
    start: u64,
    end: u64,
}

struct Uploader<'s> {
    shared: &'s Shared,
    reader: Reader,
    peeked: Option<Record>,
    /// The batch being sent, kept until it is known to have landed.
    batch: Option<Built>,
    /// The batch in the checkpoint may have landed: settle it before sending anything.
    must_settle: bool,
    /// The current batch may have gone out to its object before (a process that died with it in
    /// flight, or an earlier call of this one that did not end in a definite answer): a request of
    /// it may still commit there. A refusal at its position is then settled, not taken for another
    /// writer, and it is not moved to another object for age or size before it has been sent there
    /// again (the service's answer to that send fences the late commit off).
    may_be_out: bool,
    failures: u32,
    /// When data began to wait for a batch.
    waiting_since: Option<Instant>,
    /// `Upload::flushes` when the current attempt began.
    flushes_seen: u64,
}

pub(super) fn run(shared: &Shared) {
    let checkpoint = lock(&shared.upload).checkpoint.clone();
    let mut uploader = Uploader {
        shared,
        reader: Reader::new(),
        peeked: None,
        batch: None,
        must_settle: checkpoint.in_flight.is_some(),
        may_be_out: checkpoint.in_flight.is_some(),
        failures: 0,
        waiting_since: None,
        flushes_seen: 0,
    };
    {
        let writer = lock(&shared.writer);
        let from = checkpoint.in_flight.map_or(checkpoint.acked, |b| b.start);
        if let Err(error) = uploader.reader.seek(&writer.segments, from) {
            drop(writer);
            uploader.stop(format!("reading the journal failed: {error}"));
            return;
        }
    }
    uploader.run();
}

impl Uploader<'_> {
    fn run(&mut self) {
        loop {
            if lock(&self.shared.upload).closing {
                return;
            }
            self.flushes_seen = lock(&self.shared.upload).flushes;
            let step = match self.drop_old() {
                Err(error) => Err(error),
                Ok(()) if self.must_settle => self.settle(),
                Ok(()) => self.next_batch(),
            };
            match step {
                Ok(Step::Continue) => {}
                Ok(Step::Stop) => return,
                // The journal cannot be read on: stop, keeping everything for a reopen to repair.
                Err(error @ Error::Spool(crate::SpoolError::Corrupt { .. })) => {
                    self.report(&error, None);
                    self.stop(error.to_string());
                    return;
                }
                Err(error) => self.back_off(&error),
            }
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        lock(&self.shared.upload).checkpoint.clone()
    }

    /// Stores `checkpoint` durably, then makes it the one everybody sees.
    fn commit(&self, checkpoint: Checkpoint, update: impl FnOnce(&mut Upload)) -> Result<(), Error> {
        self.commit_telling(checkpoint, None, update)
    }

    /// As `commit`, telling `event` once the checkpoint is stored and before anyone waiting sees it
    /// (a flush returns after its batches were told).
    fn commit_telling(
        &self,
        checkpoint: Checkpoint,
        event: Option<SpoolEvent>,
        update: impl FnOnce(&mut Upload),
    ) -> Result<(), Error> {
        self.shared.store(&checkpoint)?;
        if let Some(event) = event {
            self.shared.emit(event);
        }
        // Nothing the uploader holds (a batch read, not yet in flight) may be dropped either.
        let held = self.batch.as_ref().map_or(0, |b| b.end);
        let droppable = checkpoint.in_flight.map_or(checkpoint.acked, |b| b.end).max(held);
        self.shared.droppable_from.store(droppable, Ordering::SeqCst);
        let mut upload = lock(&self.shared.upload);
        upload.checkpoint = checkpoint;
        update(&mut upload);
        drop(upload);
        self.shared.changed.notify_all();
        Ok(())
    }

    /// Settles the batch the checkpoint holds in flight (after a crash, or an unsettled append).
    fn settle(&mut self) -> Result<Step, Error> {
        let checkpoint = self.checkpoint();
        let Some(batch) = checkpoint.in_flight else {
            self.must_settle = false;
            return Ok(Step::Continue);
        };
        if self.batch.is_none() {
            self.batch = Some(self.reread(batch.start, batch.end)?);
        }
        let in_flight = InFlight {
            bucket: self.shared.config.bucket.clone(),
            key: checkpoint.key.clone(),
            position: batch.position,
            length: batch.length,
            body_crc64: batch.body_crc64,
            crc64_before: batch.crc64_before,
        };
        let settlement = if batch.length == 0 {
            // An empty batch (marks only) changes nothing in the object.
            Settlement::NotLanded(crate::append::settle::NotLanded {
                reason: NotLandedReason::NothingAtPosition,
                object_length: None,
                object_crc64: None,
                object_type: None,
            })
        } else {
            // The batch may have been sent (by this process, or by one that died with it in flight):
            // it is settled, and equal bytes count only in an object with this spool's stamp.
            match self.shared.client.settle_with(&in_flight, Some(&self.shared.cancel), Some(&self.shared.owner)) {
                Ok(settlement) => settlement,
                Err(error) if error.landed() => return self.landed(batch, None).map(|()| Step::Continue),
                Err(Error::Cancelled) => return Ok(Step::Stop),
                Err(error) => return Err(error),
            }
        };
        self.must_settle = false;
        match settlement {
            Settlement::Landed(result) => self.landed(batch, Some(result.crc64))?,
            Settlement::NotLanded(not_landed) => match not_landed.reason {
                // The object ends before the batch's position: it is not what this spool made it.
                NotLandedReason::NothingAtPosition
                    if not_landed.object_length.is_some_and(|length| length != batch.position) =>
                {
                    self.roll(RolloverReason::OtherWriter)?
                }
                NotLandedReason::NothingAtPosition => {}
                NotLandedReason::MissingObject if batch.position == 0 => {}
                NotLandedReason::MissingObject | NotLandedReason::OtherWriter => {
                    self.roll(RolloverReason::OtherWriter)?
                }
                NotLandedReason::NotAppendable => self.roll(RolloverReason::NotAppendable)?,
                _ => return Err(crate::ServiceError::new(404, "NoSuchBucket").into()),
            },
        }
        Ok(Step::Continue)
    }

    /// Reads the records of `[start, end)` again (a batch recorded in flight before a restart).
    fn reread(&mut self, start: u64, end: u64) -> Result<Built, Error> {
        let writer = lock(&self.shared.writer);
        let io = |source| super::io_error(&self.shared.journal_dir)(source);
        let mut reader = Reader::new();
        reader.seek(&writer.segments, start).map_err(io)?;
        let mut data = Vec::new();
        while let Some(record) = reader.next(&writer.segments, end).map_err(io)? {
            data.extend_from_slice(&record.payload);
        }
        self.reader.seek(&writer.segments, end).map_err(io)?;
        self.peeked = None;
        Ok(Built { data, start, end })
    }

    /// Waits for a batch's worth of data (or its age, a flush, closing), then sends it.
    fn next_batch(&mut self) -> Result<Step, Error> {
        if self.batch.is_none() {
            if !self.wait_for_data() {
                return Ok(Step::Stop);
            }
            let Some(built) = self.build()? else { return Ok(Step::Continue) };
            self.batch = Some(built);
        }
        self.send()
    }

    /// True when there is something to send; false when closing.
    fn wait_for_data(&mut self) -> bool {
        let shared = self.shared;
        let mut upload = lock(&shared.upload);
        loop {
            if upload.closing {
                return false;
            }
            let end = shared.end.load(Ordering::SeqCst);
            if upload.pending_bytes == 0 {
                self.waiting_since = None;
                if upload.checkpoint.acked < end {
                    // Only gaps (dropped data) are left: move past them.
                    return true;
                }
                upload.hurry = false;
            } else {
                let since = *self.waiting_since.get_or_insert_with(Instant::now);
                let age = since.elapsed();
                if upload.hurry || upload.pending_bytes >= shared.config.batch_bytes || age >= shared.config.batch_age {
                    return true;
                }
                let left = shared.config.batch_age - age;
                upload = shared.changed.wait_timeout(upload, left).unwrap_or_else(|p| p.into_inner()).0;
                continue;
            }
            // Wake for the age limit of old data too.
            let wait = shared.config.max_age.map_or(Duration::from_secs(3600), |_| Duration::from_secs(1));
            upload = shared.changed.wait_timeout(upload, wait).unwrap_or_else(|p| p.into_inner()).0;
            if shared.config.max_age.is_some() {
                return true;
            }
        }
    }

    /// Whole records from the journal, up to `batch_bytes` (a larger record goes alone); `None` when
    /// there were only gaps (the acknowledged offset moves past them).
    fn build(&mut self) -> Result<Option<Built>, Error> {
        let shared = self.shared;
        let io = |source| super::io_error(&shared.journal_dir)(source);
        let writer = lock(&shared.writer);
        let limit = writer.end;
        let start = lock(&shared.upload).checkpoint.acked;
        let mut data = Vec::new();
        let mut end = start;
        // A record read ahead whose segment was dropped since is gone with it.
        let live = |r: &Record| {
            writer
                .segments
                .iter()
                .any(|s| s.first_offset <= r.offset && r.offset < s.end_offset.max(s.first_offset + 1))
        };
        if self.peeked.as_ref().is_some_and(|r| !live(r)) {
            self.peeked = None;
        }
        loop {
            let record = match self.peeked.take() {
                Some(record) => Some(record),
                None => self.reader.next(&writer.segments, limit).map_err(io)?,
            };
            let Some(record) = record else {
                if data.is_empty() {
                    // Nothing more to read before `limit`: only gaps (dropped segments) may be
                    // skipped. A segment still holding payload after `start` is unreadable there.
                    if writer.segments.iter().any(|s| s.end_offset > start && s.payload_bytes > 0) {
                        return Err(Error::Spool(crate::SpoolError::Corrupt {
                            path: shared.journal_dir.clone(),
                            reason: format!("the journal cannot be read at stream offset {start}"),
                        }));
                    }
                    end = limit;
                }
                break;
            };
            if record.end() <= start && !record.payload.is_empty() {
                // Already sent (never expected: the reader is positioned after what was sent).
                continue;
            }
            if !data.is_empty() && (data.len() + record.payload.len()) as u64 > shared.config.batch_bytes {
                self.peeked = Some(record);
                break;
            }
            data.extend_from_slice(&record.payload);
            end = record.end();
        }
        // From here the batch's records must not be dropped (DropOldest): they are as good as in flight.
        shared.droppable_from.store(end, Ordering::SeqCst);
        drop(writer);
        if data.is_empty() {
            if end > start {
                let mut checkpoint = self.checkpoint();
                checkpoint.acked = end;
                self.commit(checkpoint, |_| {})?;
                self.delete_sent()?;
            }
            return Ok(None);
        }
        Ok(Some(Built { data, start, end }))
    }

    /// Records the batch in flight, then appends it.
    fn send(&mut self) -> Result<Step, Error> {
        let mut checkpoint = self.checkpoint();
        let Some(built) = self.batch.as_ref() else { return Ok(Step::Continue) };
        let length = built.data.len() as u64;
        let config = &self.shared.config;
        let too_big = checkpoint.position > 0 && checkpoint.position + length > config.rollover_bytes;
        let too_old = config.rollover_age.is_some_and(|age| {
            checkpoint.position > 0 && unix_now().saturating_sub(checkpoint.created) >= age.as_secs()
        });
        if (too_big || too_old) && !self.may_be_out {
            self.roll(if too_big { RolloverReason::Size } else { RolloverReason::Age })?;
            checkpoint = self.checkpoint();
        }
        let built = self.batch.as_ref().expect("a batch to send");
        let body_crc64 = crc64::checksum(&built.data);
        let batch = Batch {
            start: built.start,
            end: built.end,
            position: checkpoint.position,
            length,
            body_crc64,
            crc64_before: checkpoint.crc64,
        };
        if checkpoint.in_flight != Some(batch) {
            // The batch's records are on disk before the checkpoint says they were sent, so a power
            // cut never leaves a checkpoint ahead of the journal.
            self.shared.sync_journal()?;
            checkpoint.in_flight = Some(batch);
            self.commit(checkpoint.clone(), |_| {})?;
        }
        let mut options = AppendOptions::new()
            .position(batch.position)
            .headers(config.headers.clone())
            .cancel_token(self.shared.cancel.clone());
        options.crc64 = batch.crc64_before;
        options.owner = Some(self.shared.owner.clone());
        let outcome =
            self.shared.client.append_object(&config.bucket, &checkpoint.key, built.data.as_slice(), &options);
        let was_out = std::mem::replace(&mut self.may_be_out, outcome.is_err());
        match outcome {
            Ok(result) => self.landed(batch, Some(result.crc64))?,
            Err(error) if error.landed() => {
                // In the object, with a CRC to ask the object for: say so, and go on.
                self.report(&error, None);
                self.landed(batch, None)?;
            }
            Err(Error::Unsettled(unsettled)) => {
                self.must_settle = true;
                return Err(unsettled.cause);
            }
            Err(Error::Cancelled) => return Ok(Step::Stop),
            Err(error) => match error.service_kind() {
                // The object is not where the checkpoint says, and no earlier call sent this batch
                // there (what this call sent, the append settled itself): another writer's object,
                // never this batch landed. Its records go to the next object.
                Some(ServiceErrorKind::PositionNotEqualToLength) if !was_out => {
                    self.roll(RolloverReason::OtherWriter)?
                }
                // It may be this batch, committed late by a request of an earlier call: settled
                // (with this spool's stamp), which moves it on when it is not.
                Some(ServiceErrorKind::PositionNotEqualToLength) => self.must_settle = true,
                Some(ServiceErrorKind::ObjectNotAppendable) => self.roll(RolloverReason::NotAppendable)?,
                _ if matches!(error, Error::InvalidArgument { argument: Argument::Position, .. }) => {
                    self.roll(RolloverReason::Size)?
                }
                _ => return Err(error),
            },
        }
        Ok(Step::Continue)
    }

    /// The batch is in the object: advance, forget it, free the journal.
    fn landed(&mut self, batch: Batch, crc64: Option<u64>) -> Result<(), Error> {
        let mut checkpoint = self.checkpoint();
        checkpoint.acked = batch.end;
        checkpoint.position = batch.position + batch.length;
        checkpoint.crc64 = crc64;
        checkpoint.appended_total += batch.length;
        // Records of the batch that went bad in the journal after it was sent were counted as
        // damaged when the spool opened: they are in OSS after all.
        let read_back = self.batch.as_ref().map_or(batch.length, |b| b.data.len() as u64);
        checkpoint.corrupt_total = checkpoint.corrupt_total.saturating_sub(batch.length.saturating_sub(read_back));
        checkpoint.in_flight = None;
        // Told once the checkpoint says so (never twice), before a flush waiting for it returns.
        let event = (batch.length > 0).then(|| SpoolEvent::Appended {
            key: checkpoint.key.clone(),
            position: batch.position,
            length: batch.length,
        });
        let committed = self.commit_telling(checkpoint, event, |upload| {
            upload.pending_bytes -= batch.length.min(upload.pending_bytes);
            upload.last_error = None;
            upload.next_try = None;
        });
        if let Err(error) = committed {
            // The batch is in the object but the checkpoint does not say so: settle it again (it
            // proves landed) rather than send it again.
            self.must_settle = true;
            return Err(error);
        }
        self.batch = None;
        self.may_be_out = false;
        self.failures = 0;
        self.waiting_since = None;
        self.delete_sent()
    }

    /// Starts the next object; the switch is in the checkpoint before anything goes to it.
    fn roll(&mut self, reason: RolloverReason) -> Result<(), Error> {
        let mut checkpoint = self.checkpoint();
        let from = checkpoint.key.clone();
        let now = time::OffsetDateTime::now_utc();
        checkpoint.seq += 1;
        checkpoint.key = self.shared.template.render(checkpoint.seq, now);
        checkpoint.created = now.unix_timestamp().max(0) as u64;
        checkpoint.position = 0;
        checkpoint.crc64 = Some(0);
        checkpoint.in_flight = None;
        let to = checkpoint.key.clone();
        self.commit(checkpoint, |_| {})?;
        // The batch has not gone to the next object.
        self.may_be_out = false;
        self.shared.emit(SpoolEvent::RolledOver { from, to, reason });
        Ok(())
    }

    /// Deletes the segments whose records are all in OSS (or dropped): after the checkpoint that says
    /// so, then the directory is synced.
    fn delete_sent(&self) -> Result<(), Error> {
        let shared = self.shared;
        let acked = lock(&shared.upload).checkpoint.acked;
        let mut writer = lock(&shared.writer);
        let active = writer.active.segment.first_offset;
        let sent = |s: &Segment| s.end_offset <= acked && s.first_offset != active;
        let deleted = remove_segments(&mut writer, sent)?;
        drop(writer);
        if deleted.files > 0 {
            journal::sync_dir(&shared.journal_dir).map_err(super::io_error(&shared.journal_dir))?;
            shared.space.notify_all();
        }
        Ok(())
    }

    /// Drops whole segments not yet sent that are older than `max_age`.
    fn drop_old(&mut self) -> Result<(), Error> {
        let shared = self.shared;
        let Some(max_age) = shared.config.max_age else { return Ok(()) };
        let from = shared.droppable_from.load(Ordering::SeqCst);
        let mut writer = lock(&shared.writer);
        let active = writer.active.segment.first_offset;
        let old = |segment: &Segment| {
            segment.first_offset >= from
                && segment.first_offset != active
                && std::fs::metadata(&segment.path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|modified| modified.elapsed().ok())
                    .is_some_and(|age| age >= max_age)
        };
        let dropped = remove_segments(&mut writer, old)?.payload_bytes;
        drop(writer);
        if dropped > 0 {
            journal::sync_dir(&shared.journal_dir).map_err(super::io_error(&shared.journal_dir))?;
            let mut upload = lock(&shared.upload);
            upload.pending_bytes -= dropped.min(upload.pending_bytes);
            upload.dropped_total += dropped;
            drop(upload);
            shared.space.notify_all();
            shared.emit(SpoolEvent::Dropped { bytes: dropped, reason: DropReason::MaxAge });
        }
        Ok(())
    }

    /// Reports a failure and waits a capped, jittered backoff (a flush or closing cuts it short).
    fn back_off(&mut self, error: &Error) {
        self.failures += 1;
        let policy = RetryPolicy {
            max_attempts: u32::MAX,
            base_delay: Duration::from_millis(250),
            max_delay: self.shared.config.max_backoff,
        };
        let wait = policy.delay(self.failures);
        self.report(error, Some(wait));
        let deadline = Instant::now() + wait;
        let mut upload = lock(&self.shared.upload);
        // A flush asked for since this attempt began (during it, too) tries again at once.
        while !upload.closing && upload.flushes == self.flushes_seen {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            upload = self.shared.changed.wait_timeout(upload, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Tells the status and the listener of a failure; `retry_in` when it will be tried again.
    fn report(&self, error: &Error, retry_in: Option<Duration>) {
        let retry_at = SystemTime::now() + retry_in.unwrap_or_default();
        {
            let mut upload = lock(&self.shared.upload);
            upload.last_error = Some(error.to_string());
            upload.next_try = retry_in.map(|_| retry_at);
        }
        self.shared.emit(SpoolEvent::Error { message: error.to_string(), retryable: error.is_retryable(), retry_at });
    }

    /// The uploader cannot go on (the journal cannot be read): the data stays for the next open.
    fn stop(&self, reason: String) {
        let mut upload = lock(&self.shared.upload);
        upload.stopped = Some(reason);
        drop(upload);
        self.shared.changed.notify_all();
    }
}

enum Step {
    Continue,
    Stop,
}

/// What [`remove_segments`] removed.
struct Removed {
    files: usize,
    payload_bytes: u64,
}

/// Deletes the segments `remove` picks and takes them off the writer's list; a file already gone
/// counts as deleted. The list stays whole when a deletion fails.
fn remove_segments(writer: &mut super::Writer, remove: impl Fn(&Segment) -> bool) -> Result<Removed, Error> {
    let mut removed = Removed { files: 0, payload_bytes: 0 };
    let mut file_bytes = 0;
    let mut failure = None;
    writer.segments.retain(|segment| {
        if failure.is_some() || !remove(segment) {
            return true;
        }
        match std::fs::remove_file(&segment.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                failure = Some(super::io_error(&segment.path)(e));
                return true;
            }
        }
        removed.files += 1;
        removed.payload_bytes += segment.payload_bytes;
        file_bytes += segment.file_bytes;
        false
    });
    writer.file_bytes -= file_bytes.min(writer.file_bytes);
    match failure {
        Some(error) => Err(error),
        None => Ok(removed),
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
