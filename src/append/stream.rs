//! The append stream: the one primitive that owns an object's position, its CRC-64 and the
//! in-flight append — its attempts, retries, backoff and settling. [`Client::append_object`], the
//! [`Appender`](crate::Appender), the spool and every language layer append through it.

use crate::append::settle::{NotLanded, NotLandedReason, Settlement};
use crate::body::{Body, Source, Upload};
use crate::crc64::{self, Crc64};
use crate::error::{Error, ServiceErrorKind, Unsettled};
use crate::in_flight::InFlight;
use crate::options::{AppendOptions, AppendResult};
use crate::transport::{header, header_u64, Call, Response};
use crate::{validate, Client};

/// What an append stream knows of the object's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tail {
    /// Nothing: the next append finds the object's end and CRC with a HEAD request.
    Unknown,
    /// The object ends at `position`, with this CRC-64 there when known.
    At { position: u64, crc64: Option<u64> },
    /// An append whose outcome is unknown: it is settled before the next append.
    Unsettled(InFlight),
}

/// One object's append stream.
#[derive(Debug, Clone)]
pub(crate) struct AppendStream {
    pub bucket: String,
    pub key: String,
    pub tail: Tail,
    /// The last append's query and headers, their memory used again by the next.
    reused: Reused,
}

/// An append's query (`append`, `position`) and headers (`Content-Length` first), kept between
/// appends so that the next one writes its numbers into the same strings instead of allocating
/// seven times.
#[derive(Debug, Clone, Default)]
struct Reused {
    query: Pairs,
    headers: Pairs,
}

/// A query's or headers' (name, value) pairs, as a [`Call`] holds them.
type Pairs = Vec<(String, String)>;

impl Reused {
    /// The query and headers of an append of `length` bytes at `position`: the numbers written,
    /// every other header left out.
    fn take(&mut self, position: u64, length: u64) -> (Pairs, Pairs) {
        let Reused { mut query, mut headers } = std::mem::take(self);
        if query.len() != 2 {
            query = vec![("append".into(), String::new()), ("position".into(), String::new())];
        }
        crate::net::http1::set_decimal(&mut query[1].1, position);
        if headers.first().is_none_or(|(name, _)| name != "Content-Length") {
            headers = vec![("Content-Length".into(), String::new())];
        }
        headers.truncate(1);
        crate::net::http1::set_decimal(&mut headers[0].1, length);
        (query, headers)
    }
}

impl AppendStream {
    pub(crate) fn new(bucket: impl Into<String>, key: impl Into<String>, tail: Tail) -> Self {
        Self { bucket: bucket.into(), key: key.into(), tail, reused: Reused::default() }
    }

    /// Appends `body` where the object ends; see [`Client::append_object`] for what the outcome means.
    pub(crate) fn append(
        &mut self,
        client: &Client,
        body: Body<'_>,
        options: &AppendOptions,
    ) -> Result<AppendResult, Error> {
        validate::bucket(&self.bucket)?;
        validate::key(&self.key)?;
        let mut source = Source::open(body)?;
        let length = source.len();
        if let Tail::At { position, .. } = self.tail {
            validate::append_range(position, length)?;
        }
        // Headers are checked now so bad input fails before any request, HEAD included; the
        // create-time ones (from `create_time` on) go only with the append that creates the object,
        // and are not even written when the object's end is known to be past 0 (`start` then
        // appends there).
        let may_create = !matches!(self.tail, Tail::At { position, .. } if position > 0);
        let (mut object_headers, create_time) = options.headers.checked_headers(may_create, true)?;
        let cancel = options.cancel.as_ref();
        let found_end = matches!(self.tail, Tail::Unknown);
        let (position, crc_before) = self.start(client, options, &mut source)?;
        if found_end {
            if let Some(landed) = self.landed_late(client, &mut source, position, crc_before)? {
                return Ok(landed);
            }
        }
        validate::append_range(position, length)?;
        debug_assert!(may_create || position > 0, "a known end past 0 is where the append goes");
        if position != 0 {
            object_headers.truncate(create_time);
        }
        let (query, mut headers) = self.reused.take(position, length);
        headers.append(&mut object_headers);
        client.add_content_md5(&options.headers.content_md5, &mut source, &mut headers)?;
        let mut call = Call { method: "POST", bucket: &self.bucket, key: Some(&self.key), query, headers };

        // The body's CRC continues the object's when that is known, so the success path needs no
        // combine; the body's own CRC is derived only to settle.
        let start_crc = Crc64::resume(crc_before.unwrap_or(0));
        // The CRC of the first body sent whole: what an earlier attempt may have appended.
        let mut sent_crc: Option<u64> = None;
        let mut ambiguous = false;
        let suspect_here = client.transport().is_suspect(&self.bucket, &self.key, position);
        let transport = client.transport();
        let outcome = transport.retrying(cancel, |retry| {
            if let Some(first) = sent_crc.filter(|_| source.is_file()) {
                // A file sent again must be what went before: what landed, if anything, is that.
                let mut again = start_crc.clone();
                source.scan(|chunk| again.update(chunk))?;
                if again.value() != first {
                    retry.forbid();
                    return Err(Error::Body(std::io::Error::other(
                        "the body changed between two attempts to send it (a file written while it was appended)",
                    )));
                }
            }
            source.rewind()?;
            let mut upload = Upload::new(&mut source, options.progress.as_deref(), cancel, start_crc.clone());
            let result = transport.send(&mut call, Some(&mut upload));
            // Only a body sent in full can have been appended: an append is atomic.
            let complete = upload.complete();
            let sent_before = sent_crc.is_some();
            if complete && sent_crc.is_none() {
                sent_crc = Some(upload.crc.value());
            }
            if !source.can_rewind() {
                retry.forbid();
            }
            match result {
                Ok(response) => {
                    let Some(sent_crc) = sent_crc.filter(|_| complete) else {
                        ambiguous = true;
                        return Err(Error::Protocol("the service answered before the whole body was sent".into()));
                    };
                    let verdict = finish_append(&response, position, length, crc_before, sent_crc);
                    if matches!(verdict, Err(Error::Protocol(_))) {
                        // Something was committed, not as asked: what is in the object decides.
                        ambiguous = true;
                    }
                    verdict
                }
                Err(Error::Service(mut service)) => {
                    service.position = Some(position);
                    // A 5xx after the whole body may hide a commit behind it (a gateway, or a front
                    // end that gave up on a back end); a PositionNotEqualToLength after a body that
                    // went out whole before may be that body, committed: the object decides.
                    ambiguous |= complete && service.status >= 500;
                    ambiguous |=
                        service.is_position_not_equal_to_length() && (sent_before || suspect_here || options.resend);
                    Err(Error::Service(service))
                }
                Err(error) => {
                    ambiguous |=
                        complete && !matches!(error, Error::Cancelled | Error::Body(_) | Error::Credentials { .. });
                    Err(error)
                }
            }
        });
        // Every signing header is gone from the call again (the transport cuts them off).
        self.reused = Reused { query: std::mem::take(&mut call.query), headers: std::mem::take(&mut call.headers) };
        let outcome = match outcome {
            Ok(result) => {
                self.tail = Tail::At { position: result.next_position, crc64: Some(result.crc64) };
                Ok(result)
            }
            Err(error) if error.landed() => {
                // The append is in the object, but which CRC is right is not known: the next append
                // asks the object for it.
                self.tail = match &error {
                    Error::CrcMismatch { next_position, .. } | Error::Unverified { next_position, .. } => {
                        Tail::At { position: *next_position, crc64: None }
                    }
                    _ => Tail::Unknown,
                };
                Err(error)
            }
            Err(failure) if ambiguous && length > 0 => {
                let body_crc64 = match (sent_crc, crc_before) {
                    // sent_crc = before * x^(8 length) + body
                    (Some(sent), Some(before)) => sent ^ crc64::combine(before, 0, length),
                    (Some(sent), None) => sent,
                    // No attempt of this call sent the body whole (a refusal may come before it is
                    // all sent): an earlier call's may have, and the body's own bytes are compared.
                    (None, _) if source.can_rewind() => {
                        let mut crc = Crc64::new();
                        source.rewind()?;
                        source.scan(|chunk| crc.update(chunk))?;
                        crc.value()
                    }
                    (None, _) => {
                        self.learn_from(&failure);
                        return Err(failure);
                    }
                };
                let in_flight = InFlight {
                    bucket: self.bucket.clone(),
                    key: self.key.clone(),
                    position,
                    length,
                    body_crc64,
                    crc64_before: crc_before,
                };
                self.settle(client, in_flight, options, failure)
            }
            Err(failure) => {
                self.learn_from(&failure);
                Err(failure)
            }
        };
        // A position settled as not landed stays under suspicion (settling remembers it: a request
        // still under way may commit later); one that landed no longer is. A plain refusal is not
        // suspect: the service answered that very request.
        if outcome.is_ok() || outcome.as_ref().is_err_and(Error::landed) {
            client.transport().suspect(&self.bucket, &self.key, position, None);
        }
        outcome
    }

    /// Settles `in_flight` after `failure` made its outcome unknown: the result when it landed,
    /// `failure` when it did not (the bytes are then known not to be in the object), and
    /// [`Error::Unsettled`] when settling failed.
    fn settle(
        &mut self,
        client: &Client,
        in_flight: InFlight,
        options: &AppendOptions,
        failure: Error,
    ) -> Result<AppendResult, Error> {
        // A PositionNotEqualToLength names where the object ends, often with its CRC there: that may
        // decide without a request.
        if let Some(refusal) = failure.service().filter(|s| s.is_position_not_equal_to_length()) {
            match refusal.next_position {
                // Other bytes cover the append's position: it is not in the object, and cannot commit there.
                Some(next) if next > in_flight.position && next < in_flight.end() => {
                    self.tail = Tail::At { position: next, crc64: refusal.server_crc64 };
                    return Err(failure);
                }
                // The object ends where this append would, with the CRC it would make: its bytes, for a
                // writer that stamps no objects (one that does has the stamp checked below).
                Some(next) if next == in_flight.end() && options.owner.is_none() => {
                    if let (Some(object_crc), Some(after)) = (refusal.server_crc64, in_flight.crc64_after()) {
                        if object_crc == after {
                            self.tail = Tail::At { position: next, crc64: Some(object_crc) };
                            return Ok(AppendResult {
                                position: in_flight.position,
                                next_position: next,
                                crc64: object_crc,
                                request_id: refusal.request_id.clone(),
                                etag: None,
                                reconciled: true,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        match client.settle_with(&in_flight, options.cancel.as_ref(), options.owner.as_ref()) {
            Ok(Settlement::Landed(result)) => {
                self.tail = Tail::At { position: result.next_position, crc64: Some(result.crc64) };
                Ok(result)
            }
            Ok(Settlement::NotLanded(not_landed)) => {
                self.tail = tail_after(&not_landed);
                Err(failure)
            }
            // Landed, but the object gives no CRC-64 to verify it with.
            Err(landed) if landed.landed() => {
                self.tail = Tail::At { position: in_flight.end(), crc64: None };
                Err(landed)
            }
            Err(cause) => {
                self.tail = Tail::Unsettled(in_flight.clone());
                Err(Error::Unsettled(Box::new(Unsettled { in_flight, cause })))
            }
        }
    }

    /// Settles the stream's unsettled append, if it has one: `None` when nothing is in flight.
    pub(crate) fn settle_pending(
        &mut self,
        client: &Client,
        options: &AppendOptions,
    ) -> Result<Option<Settlement>, Error> {
        let Tail::Unsettled(in_flight) = &self.tail else { return Ok(None) };
        let in_flight = in_flight.clone();
        // Sending it again is what a NotLanded calls for: settling remembers the position, so that a
        // PositionNotEqualToLength there, if a late commit beat the resend, is settled, not believed.
        match client.settle_with(&in_flight, options.cancel.as_ref(), options.owner.as_ref()) {
            Ok(settlement) => {
                self.tail = match &settlement {
                    Settlement::Landed(result) => {
                        Tail::At { position: result.next_position, crc64: Some(result.crc64) }
                    }
                    Settlement::NotLanded(not_landed) => tail_after(not_landed),
                };
                Ok(Some(settlement))
            }
            Err(landed) if landed.landed() => {
                self.tail = Tail::At { position: in_flight.end(), crc64: None };
                Err(landed)
            }
            Err(cause) => Err(Error::Unsettled(Box::new(Unsettled { in_flight, cause }))),
        }
    }

    /// Position and CRC before the next append: known, learnt from a HEAD, or found by settling
    /// the append before it.
    fn start(
        &mut self,
        client: &Client,
        options: &AppendOptions,
        source: &mut Source<'_>,
    ) -> Result<(u64, Option<u64>), Error> {
        let cancel = options.cancel.as_ref();
        if let Tail::Unsettled(in_flight) = &self.tail {
            // The append before this one is settled first (the caller may have settled it already).
            let in_flight = in_flight.clone();
            match self.settle_pending(client, options) {
                Ok(Some(Settlement::NotLanded(_))) => {
                    // Those bytes are not in the object. This call may be them, sent again; anything
                    // else would leave them out without a word: refused, sending nothing.
                    if !same_body(source, &in_flight)? {
                        return Err(Error::invalid(
                            crate::error::Argument::InFlight,
                            format!(
                                "the earlier append of {} bytes at position {} did not land (settled just now, before \
                                 this one was sent): send those bytes again first, or call again to go on without them",
                                in_flight.length, in_flight.position
                            ),
                        ));
                    }
                }
                Ok(_) => {}
                // Landed, only not verified: the stream goes on after it.
                Err(landed) if landed.landed() => {}
                // Not settled yet: this call sent nothing, and fails as the settling did.
                Err(Error::Unsettled(unsettled)) => return Err(unsettled.cause),
                Err(other) => return Err(other),
            }
        }
        let wanted = match self.tail {
            Tail::At { position, crc64: Some(crc) } => return Ok((position, Some(crc))),
            Tail::At { position: 0, crc64: None } => return Ok((0, Some(0))),
            Tail::At { position, crc64: None } => Some(position),
            _ => None,
        };
        match client.head(&self.bucket, &self.key, cancel) {
            Ok(meta) => {
                let length = meta.next_append_position.unwrap_or(meta.content_length);
                let position = wanted.unwrap_or(length);
                // The object's CRC is this append's starting CRC only when its length is the
                // position; otherwise the service answers PositionNotEqualToLength with the truth.
                let crc = if length == position { meta.crc64 } else { None };
                Ok((position, crc))
            }
            Err(Error::Service(e)) if e.kind == ServiceErrorKind::NoSuchKey => {
                let position = wanted.unwrap_or(0);
                Ok((position, (position == 0).then_some(0)))
            }
            Err(e) => Err(e),
        }
    }

    /// An append sent without a position, found to go where an append of the same bytes, settled as
    /// not landed, would have ended, with the CRC it would have made: that request committed late,
    /// and this call is its resend (sending it would append the bytes twice). Landed (`reconciled`).
    fn landed_late(
        &mut self,
        client: &Client,
        source: &mut Source<'_>,
        position: u64,
        crc_before: Option<u64>,
    ) -> Result<Option<AppendResult>, Error> {
        if !source.can_rewind() {
            // Its bytes cannot be compared before sending them.
            return Ok(None);
        }
        let transport = client.transport();
        let candidates = transport.suspects_ending_at(&self.bucket, &self.key, position, source.len());
        let Some(object_crc) = crc_before.filter(|_| !candidates.is_empty()) else { return Ok(None) };
        for suspect in candidates {
            if suspect.crc64_after() == Some(object_crc) && same_body(source, &suspect)? {
                transport.suspect(&self.bucket, &self.key, suspect.position, None);
                self.tail = Tail::At { position, crc64: Some(object_crc) };
                return Ok(Some(AppendResult {
                    position: suspect.position,
                    next_position: position,
                    crc64: object_crc,
                    request_id: String::new(),
                    etag: None,
                    reconciled: true,
                }));
            }
        }
        Ok(None)
    }

    /// After a failure that did not land: what it says about the object's end.
    fn learn_from(&mut self, failure: &Error) {
        let Some(service) = failure.service() else { return };
        match service.kind {
            ServiceErrorKind::PositionNotEqualToLength => {
                self.tail = match (service.next_position, service.server_crc64) {
                    (Some(position), crc64) => Tail::At { position, crc64 },
                    (None, _) => Tail::Unknown,
                };
            }
            ServiceErrorKind::ObjectNotAppendable | ServiceErrorKind::NoSuchBucket => self.tail = Tail::Unknown,
            _ => {}
        }
    }
}

/// Whether `source` holds the bytes of `in_flight` (same length and CRC-64; a body that cannot be
/// read twice is compared by length).
fn same_body(source: &mut Source<'_>, in_flight: &InFlight) -> Result<bool, Error> {
    if source.len() != in_flight.length {
        return Ok(false);
    }
    if !source.can_rewind() {
        return Ok(true);
    }
    let mut crc = Crc64::new();
    source.scan(|chunk| crc.update(chunk))?;
    source.rewind()?;
    Ok(crc.value() == in_flight.body_crc64)
}

/// Where the object ends once an append is known not to have landed.
fn tail_after(not_landed: &NotLanded) -> Tail {
    match (not_landed.reason, not_landed.object_length) {
        (NotLandedReason::MissingObject, _) => Tail::At { position: 0, crc64: Some(0) },
        (NotLandedReason::NotAppendable | NotLandedReason::MissingBucket, _) => Tail::Unknown,
        (_, Some(position)) => Tail::At { position, crc64: not_landed.object_crc64 },
        (_, None) => Tail::Unknown,
    }
}

/// Checks a successful append's response: its next position, and the object's CRC-64 against
/// `sent_crc` — the CRC before the append continued with the body, or the body's own CRC when the
/// CRC before was not known.
fn finish_append(
    response: &Response,
    position: u64,
    length: u64,
    crc_before: Option<u64>,
    sent_crc: u64,
) -> Result<AppendResult, Error> {
    let headers = &response.headers;
    let request_id = header(headers, "x-oss-request-id").unwrap_or_default();
    let next_position = header_u64(headers, "x-oss-next-append-position").ok_or_else(|| {
        Error::Protocol(format!("append response has no x-oss-next-append-position [request id {request_id}]"))
    })?;
    if next_position != position + length {
        return Err(Error::Protocol(format!(
            "append of {length} bytes at {position} answered next position {next_position} [request id {request_id}]"
        )));
    }
    let Some(server_crc) = header_u64(headers, "x-oss-hash-crc64ecma") else {
        return Err(Error::Unverified { next_position, request_id });
    };
    let etag = header(headers, "etag");
    match crc_before {
        Some(_) if server_crc != sent_crc => {
            Err(Error::CrcMismatch { expected_crc64: sent_crc, server_crc64: server_crc, next_position, request_id })
        }
        Some(_) => Ok(AppendResult { position, next_position, crc64: server_crc, request_id, etag, reconciled: false }),
        // The object changed between reading its length and this append, which the service accepted
        // at `position`: its CRC there is the service's CRC with this body taken off.
        None => Err(Error::Protocol(format!(
            "the append at {position} was accepted although the object's length was not {position} when it was read; its CRC before is not known [request id {request_id}]"
        ))),
    }
}
