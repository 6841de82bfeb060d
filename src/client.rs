//! The blocking client: append, head, get, put, delete, with signing, retries and CRC checks.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use md5::{Digest, Md5};
use rand::Rng;
use ureq::http::{self, HeaderMap};

use crate::body::{Body, CancelToken, Source, Upload};
use crate::config::{ClientBuilder, Config};
use crate::crc64::{self, Crc64};
use crate::error::{Error, ServiceError, TimeoutKind};
use crate::options::{
    AppendOptions, AppendResult, ByteRange, ContentMd5, GetResult, ObjectMeta, PutOptions, PutResult,
};
use crate::sign::{self, v1, v4, SignRequest, SignatureVersion};
use crate::validate;

/// Largest error body read from a response.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// A blocking OSS client. Cheap to clone: clones share one connection pool. `Send + Sync`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    agent: ureq::Agent,
    /// Seconds to add to the local clock, learnt from the service after RequestTimeTooSkewed.
    clock_offset: AtomicI64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.inner.config;
        f.debug_struct("Client")
            .field("endpoint", &c.endpoint.authority(None))
            .field("region", &c.region)
            .field("path_style", &c.path_style)
            .field("signature_version", &c.signature_version)
            .finish_non_exhaustive()
    }
}

/// One request, before signing.
struct Call<'r> {
    method: &'static str,
    bucket: &'r str,
    key: Option<&'r str>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

/// How a single attempt ended.
type Attempt = Result<http::Response<ureq::Body>, Error>;

impl Client {
    /// A builder with every setting at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_config(config: Config) -> Self {
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_per_read(Some(config.read_write_timeout))
            .timeout_per_write(Some(config.read_write_timeout))
            .timeout_global(config.request_timeout)
            .user_agent(config.user_agent.as_str())
            .max_idle_connections(config.max_idle_connections)
            .max_idle_connections_per_host(config.max_idle_connections)
            .build();
        Self {
            inner: Arc::new(Inner {
                agent: ureq::Agent::new_with_config(agent_config),
                config,
                clock_offset: AtomicI64::new(0),
            }),
        }
    }

    /// Appends `body` to the object `key`, creating it at position 0.
    ///
    /// The append is verified: the object's CRC-64 before it (from `options.crc64`, a HEAD request,
    /// or 0 at position 0) continued with the body must equal the service's `x-oss-hash-crc64ecma`.
    /// Network errors, 5xx, 408, 429 and RequestTimeTooSkewed are retried when the body can be sent
    /// again; when a retry meets PositionNotEqualToLength and the object's length and CRC are exactly
    /// those this append would have produced, the earlier attempt landed and the call succeeds once.
    pub fn append_object<'a>(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Body<'a>>,
        options: &AppendOptions,
    ) -> Result<AppendResult, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut source = Source::open(body.into())?;
        let length = source.len();
        if let Some(position) = options.position {
            validate::append_range(position, length)?;
        }
        // Headers are checked now so bad input fails before any request, HEAD included.
        options.headers.to_headers(true, true)?;
        let (position, crc_before) = self.append_start(bucket, key, options)?;
        validate::append_range(position, length)?;

        let mut headers = options.headers.to_headers(position == 0, true)?;
        self.add_content_md5(&options.headers.content_md5, &mut source, &mut headers)?;
        headers.push(("Content-Length".into(), length.to_string()));
        let query = vec![("append".to_string(), String::new()), ("position".to_string(), position.to_string())];
        let call = Call { method: "POST", bucket, key: Some(key), query, headers };

        let policy = self.inner.config.retry;
        let progress = options.progress.as_deref();
        let cancel = options.cancel.as_ref();
        let mut body_crc: Option<u64> = None;
        let mut may_have_landed = false;
        let mut attempt = 1;
        loop {
            check_cancel(cancel)?;
            if !source.rewind()? {
                return Err(Error::invalid("body", "a reader body cannot be sent a second time"));
            }
            let mut upload = Upload::new(&mut source, progress, cancel);
            let outcome = self.send(&call, Some(&mut upload));
            if upload.complete() {
                body_crc = Some(upload.crc.value());
            }
            let error = match outcome {
                Ok(response) => {
                    let body_crc = match body_crc {
                        Some(crc) => crc,
                        None => {
                            return Err(Error::Protocol("the service answered before the whole body was sent".into()))
                        }
                    };
                    return finish_append(&response, position, length, crc_before, body_crc);
                }
                Err(error) => error,
            };
            let error = match error {
                Error::Service(mut service) => {
                    service.position = Some(position);
                    if service.is_position_not_equal_to_length() && may_have_landed {
                        return self.reconcile(bucket, key, &mut source, position, crc_before, body_crc, *service);
                    }
                    Error::Service(service)
                }
                other => other,
            };
            if attempt >= policy.max_attempts || !is_retryable(&error) || !source.can_rewind() {
                return Err(error);
            }
            // A failure after the request went out may hide a committed append: prove it later.
            may_have_landed = true;
            backoff(&policy, attempt, cancel)?;
            attempt += 1;
        }
    }

    /// Position and CRC before an append: given, or learnt from a HEAD.
    fn append_start(&self, bucket: &str, key: &str, options: &AppendOptions) -> Result<(u64, Option<u64>), Error> {
        match (options.position, options.crc64) {
            (Some(position), Some(crc)) => Ok((position, Some(crc))),
            (Some(0), None) => Ok((0, Some(0))),
            (position, _) => match self.head(bucket, key, options.cancel.as_ref()) {
                Ok(meta) => {
                    let length = meta.next_append_position.unwrap_or(meta.content_length);
                    let position = position.unwrap_or(length);
                    // The object's CRC is this append's starting CRC only when its length is the
                    // position; otherwise the service answers PositionNotEqualToLength with the truth.
                    let crc = if length == position { options.crc64.or(meta.crc64) } else { None };
                    Ok((position, crc))
                }
                Err(Error::Service(e)) if e.status == 404 && e.code != "NoSuchBucket" => {
                    Ok((position.unwrap_or(0), if position.unwrap_or(0) == 0 { Some(0) } else { None }))
                }
                Err(e) => Err(e),
            },
        }
    }

    /// A retry met PositionNotEqualToLength: did an earlier attempt land? Only if the object's length
    /// AND its CRC are exactly what this append would have produced.
    #[allow(clippy::too_many_arguments)]
    fn reconcile(
        &self,
        bucket: &str,
        key: &str,
        source: &mut Source<'_>,
        position: u64,
        crc_before: Option<u64>,
        body_crc: Option<u64>,
        conflict: ServiceError,
    ) -> Result<AppendResult, Error> {
        let length = source.len();
        let (server_length, server_crc) = match (conflict.next_position, conflict.server_crc64) {
            (Some(next), Some(crc)) => (Some(next), Some(crc)),
            _ => match self.head_object(bucket, key) {
                Ok(meta) => (meta.next_append_position.or(Some(meta.content_length)), meta.crc64),
                Err(_) => (conflict.next_position, None),
            },
        };
        let body_crc = match body_crc {
            Some(crc) => Some(crc),
            None => {
                let mut running = Crc64::new();
                source.scan(|chunk| running.update(chunk))?;
                Some(running.value())
            }
        };
        if let (Some(server_length), Some(server_crc), Some(before), Some(body)) =
            (server_length, server_crc, crc_before, body_crc)
        {
            let expected_crc = crc64::combine(before, body, length);
            if server_length == position + length && server_crc == expected_crc {
                return Ok(AppendResult {
                    position,
                    next_position: server_length,
                    crc64: server_crc,
                    request_id: conflict.request_id,
                    etag: None,
                    reconciled: true,
                });
            }
        }
        Err(Error::Service(Box::new(conflict)))
    }

    fn add_content_md5(
        &self,
        md5: &ContentMd5,
        source: &mut Source<'_>,
        headers: &mut Vec<(String, String)>,
    ) -> Result<(), Error> {
        if *md5 == ContentMd5::Compute {
            let mut hasher = Md5::new();
            source.scan(|chunk| hasher.update(chunk))?;
            use base64::Engine;
            headers.push(("Content-MD5".into(), base64::engine::general_purpose::STANDARD.encode(hasher.finalize())));
        }
        Ok(())
    }

    /// Reads an object's metadata. A missing object gives a 404 service error with code `NoSuchKey`.
    pub fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta, Error> {
        self.head(bucket, key, None)
    }

    fn head(&self, bucket: &str, key: &str, cancel: Option<&CancelToken>) -> Result<ObjectMeta, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let call = Call { method: "HEAD", bucket, key: Some(key), query: Vec::new(), headers: Vec::new() };
        let response = self.with_retries(cancel, || self.send(&call, None))?;
        let headers = response.headers();
        let metadata = headers
            .iter()
            .filter_map(|(name, value)| {
                let name = name.as_str().strip_prefix("x-oss-meta-")?;
                Some((name.to_string(), value.to_str().ok()?.to_string()))
            })
            .collect();
        Ok(ObjectMeta {
            content_length: header_u64(headers, "content-length").unwrap_or(0),
            object_type: header(headers, "x-oss-object-type").unwrap_or_default(),
            next_append_position: header_u64(headers, "x-oss-next-append-position"),
            crc64: header_u64(headers, "x-oss-hash-crc64ecma"),
            etag: header(headers, "etag"),
            content_type: header(headers, "content-type"),
            last_modified: header(headers, "last-modified"),
            storage_class: header(headers, "x-oss-storage-class"),
            metadata,
            request_id: header(headers, "x-oss-request-id").unwrap_or_default(),
        })
    }

    /// Streams an object, or a byte range of it, into `writer`. Reading the whole object checks its
    /// CRC-64 against the service's.
    pub fn get_object(
        &self,
        bucket: &str,
        key: &str,
        range: Option<ByteRange>,
        writer: &mut dyn Write,
        cancel: Option<&CancelToken>,
    ) -> Result<GetResult, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut headers = Vec::new();
        if let Some(range) = range {
            if range.end.is_some_and(|end| end < range.start) {
                return Err(Error::invalid("range", format!("end {:?} is before start {}", range.end, range.start)));
            }
            let end = range.end.map(|e| e.to_string()).unwrap_or_default();
            headers.push(("Range".to_string(), format!("bytes={}-{end}", range.start)));
        }
        let call = Call { method: "GET", bucket, key: Some(key), query: Vec::new(), headers };
        // Only the response headers are retried; once bytes reach the writer they cannot be taken back.
        let response = self.with_retries(cancel, || self.send(&call, None))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let server_crc = header_u64(&headers, "x-oss-hash-crc64ecma");
        let object_size = match header(&headers, "content-range") {
            Some(content_range) => content_range.rsplit('/').next().and_then(|s| s.parse().ok()),
            None => header_u64(&headers, "content-length"),
        };
        let mut reader = response.into_body().into_reader();
        let mut crc = Crc64::new();
        let mut written = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            check_cancel(cancel)?;
            let n = reader.read(&mut buf).map_err(|e| self.map_io(&e))?;
            if n == 0 {
                break;
            }
            writer.write_all(&buf[..n]).map_err(Error::Body)?;
            crc.update(&buf[..n]);
            written += n as u64;
        }
        let whole = status == 200;
        if let (true, Some(server_crc)) = (whole, server_crc) {
            if crc.value() != server_crc {
                return Err(Error::CrcMismatch {
                    expected_crc64: crc.value(),
                    server_crc64: server_crc,
                    next_position: written,
                    request_id: header(&headers, "x-oss-request-id").unwrap_or_default(),
                });
            }
        }
        Ok(GetResult {
            bytes_written: written,
            object_size,
            crc64: server_crc,
            etag: header(&headers, "etag"),
            object_type: header(&headers, "x-oss-object-type"),
            request_id: header(&headers, "x-oss-request-id").unwrap_or_default(),
        })
    }

    /// Reads a whole object (or a range) into memory.
    pub fn get_object_to_vec(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.get_object(bucket, key, range, &mut out, None)?;
        Ok(out)
    }

    /// Writes a whole object as a Normal (not appendable) object, replacing any object at `key`.
    pub fn put_object<'a>(
        &self,
        bucket: &str,
        key: &str,
        body: impl Into<Body<'a>>,
        options: &PutOptions,
    ) -> Result<PutResult, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let mut source = Source::open(body.into())?;
        let mut headers = options.headers.to_headers(true, false)?;
        self.add_content_md5(&options.headers.content_md5, &mut source, &mut headers)?;
        headers.push(("Content-Length".into(), source.len().to_string()));
        let call = Call { method: "PUT", bucket, key: Some(key), query: Vec::new(), headers };
        let progress = options.progress.as_deref();
        let cancel = options.cancel.as_ref();
        let policy = self.inner.config.retry;
        let mut attempt = 1;
        loop {
            check_cancel(cancel)?;
            if !source.rewind()? {
                return Err(Error::invalid("body", "a reader body cannot be sent a second time"));
            }
            let mut upload = Upload::new(&mut source, progress, cancel);
            let outcome = self.send(&call, Some(&mut upload));
            let body_crc = upload.crc.value();
            match outcome {
                Ok(response) => {
                    let headers = response.headers();
                    let server_crc = header_u64(headers, "x-oss-hash-crc64ecma");
                    let request_id = header(headers, "x-oss-request-id").unwrap_or_default();
                    if let Some(server_crc) = server_crc {
                        if server_crc != body_crc {
                            return Err(Error::CrcMismatch {
                                expected_crc64: body_crc,
                                server_crc64: server_crc,
                                next_position: source.len(),
                                request_id,
                            });
                        }
                    }
                    return Ok(PutResult { etag: header(headers, "etag"), crc64: server_crc, request_id });
                }
                Err(error) => {
                    if attempt >= policy.max_attempts || !is_retryable(&error) || !source.can_rewind() {
                        return Err(error);
                    }
                }
            }
            backoff(&policy, attempt, cancel)?;
            attempt += 1;
        }
    }

    /// Deletes an object. Deleting a missing object succeeds, as the service does. Returns the request id.
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<String, Error> {
        validate::bucket(bucket)?;
        validate::key(key)?;
        let call = Call { method: "DELETE", bucket, key: Some(key), query: Vec::new(), headers: Vec::new() };
        let response = self.with_retries(None, || self.send(&call, None))?;
        Ok(header(response.headers(), "x-oss-request-id").unwrap_or_default())
    }

    /// Runs a body-less request with the retry policy.
    fn with_retries(&self, cancel: Option<&CancelToken>, mut attempt_once: impl FnMut() -> Attempt) -> Attempt {
        let policy = self.inner.config.retry;
        let mut attempt = 1;
        loop {
            check_cancel(cancel)?;
            match attempt_once() {
                Err(error) if attempt < policy.max_attempts && is_retryable(&error) => {
                    backoff(&policy, attempt, cancel)?;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Signs and sends one request; a non-2xx status becomes a service error.
    fn send(&self, call: &Call<'_>, upload: Option<&mut Upload<'_, '_>>) -> Attempt {
        let config = &self.inner.config;
        let credentials = config.credentials.credentials()?;
        let offset = self.inner.clock_offset.load(Ordering::Relaxed);
        let now = if offset >= 0 {
            SystemTime::now() + Duration::from_secs(offset as u64)
        } else {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
        };
        let mut headers = call.headers.clone();
        fn request<'h>(call: &'h Call<'_>, headers: &'h [(String, String)]) -> SignRequest<'h> {
            SignRequest { method: call.method, bucket: Some(call.bucket), key: call.key, query: &call.query, headers }
        }
        let authorization = match config.signature_version {
            SignatureVersion::V4 => {
                v4::add_signing_headers(&mut headers, &credentials, now);
                let scope = v4::V4Scope { region: &config.region, product: v4::PRODUCT_OSS, time: now };
                v4::sign(&request(call, &headers), &[], &credentials, &scope).authorization
            }
            SignatureVersion::V1 => {
                v1::add_signing_headers(&mut headers, &credentials, now);
                v1::sign(&request(call, &headers), &credentials).authorization
            }
        };
        headers.push(("Authorization".into(), authorization));

        let mut builder = http::Request::builder().method(call.method).uri(self.url(call));
        for (name, value) in &headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let agent = &self.inner.agent;
        let result = match upload {
            Some(upload) => {
                let request =
                    builder.body(ureq::SendBody::from_reader(upload)).map_err(|e| Error::Protocol(e.to_string()));
                let result = request.and_then(|r| agent.run(r).map_err(|e| self.map_error(e)));
                // The body reader knows whether a failure was ours: a cancel or a local read error.
                match result {
                    Err(_) if upload.cancelled => Err(Error::Cancelled),
                    Err(error) => Err(upload.source_error.take().map_or(error, Error::Body)),
                    ok => ok,
                }
            }
            None => {
                let request = builder.body(()).map_err(|e| Error::Protocol(e.to_string()))?;
                agent.run(request).map_err(|e| self.map_error(e))
            }
        };
        self.check_status(result?)
    }

    fn check_status(&self, response: http::Response<ureq::Body>) -> Attempt {
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = if status == 304 {
            Vec::new()
        } else {
            response.into_body().with_config().limit(MAX_ERROR_BODY).read_to_vec().unwrap_or_default()
        };
        let mut error = parse_service_error(status, &headers, &body);
        // A HEAD error has no body to name its code: a 403 from a server whose clock is more than
        // 15 minutes from ours is the skew error all the same.
        if body.is_empty() && status == 403 && clock_skew(&headers).is_some_and(|skew| skew > MAX_CLOCK_SKEW) {
            error.code = "RequestTimeTooSkewed".into();
        }
        if error.code == "RequestTimeTooSkewed" {
            self.learn_clock_offset(&headers);
        }
        Err(Error::Service(Box::new(error)))
    }

    /// After RequestTimeTooSkewed, signs with the service's clock from then on.
    fn learn_clock_offset(&self, headers: &HeaderMap) {
        if let Some(offset) = server_clock_offset(headers) {
            self.inner.clock_offset.store(offset, Ordering::Relaxed);
        }
    }

    fn map_error(&self, error: ureq::Error) -> Error {
        let config = &self.inner.config;
        let millis = |d: Duration| d.as_millis() as u64;
        match error {
            ureq::Error::Timeout(which) => {
                use ureq::Timeout as T;
                let (kind, setting) = match which {
                    T::Connect | T::Resolve => (TimeoutKind::Connect, millis(config.connect_timeout)),
                    T::Global | T::PerCall => {
                        (TimeoutKind::Request, config.request_timeout.map(millis).unwrap_or_default())
                    }
                    _ => (TimeoutKind::ReadWrite, millis(config.read_write_timeout)),
                };
                Error::Timeout { kind, millis: setting }
            }
            ureq::Error::Io(e) => self.map_io(&e),
            ureq::Error::HostNotFound => Error::Network { message: format!("host {} not found", config.endpoint.host) },
            ureq::Error::ConnectionFailed => {
                Error::Network { message: format!("cannot connect to {}", config.endpoint.authority(None)) }
            }
            other => Error::Network { message: other.to_string() },
        }
    }

    fn map_io(&self, error: &std::io::Error) -> Error {
        use std::io::ErrorKind as K;
        match error.kind() {
            K::TimedOut | K::WouldBlock => Error::Timeout {
                kind: TimeoutKind::ReadWrite,
                millis: self.inner.config.read_write_timeout.as_millis() as u64,
            },
            _ => Error::Network { message: error.to_string() },
        }
    }

    fn url(&self, call: &Call<'_>) -> String {
        let config = &self.inner.config;
        let key = call.key.map(sign::encode_path).unwrap_or_default();
        let mut url = if config.path_style {
            format!("{}://{}/{}/{key}", config.endpoint.scheme, config.endpoint.authority(None), call.bucket)
        } else {
            format!("{}://{}/{key}", config.endpoint.scheme, config.endpoint.authority(Some(call.bucket)))
        };
        for (i, (name, value)) in call.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&sign::encode_component(name));
            if !value.is_empty() {
                url.push('=');
                url.push_str(&sign::encode_component(value));
            }
        }
        url
    }
}

fn finish_append(
    response: &http::Response<ureq::Body>,
    position: u64,
    length: u64,
    crc_before: Option<u64>,
    body_crc: u64,
) -> Result<AppendResult, Error> {
    let headers = response.headers();
    let request_id = header(headers, "x-oss-request-id").unwrap_or_default();
    let next_position = header_u64(headers, "x-oss-next-append-position").ok_or_else(|| {
        Error::Protocol(format!("append response has no x-oss-next-append-position [request id {request_id}]"))
    })?;
    if next_position != position + length {
        return Err(Error::Protocol(format!(
            "append of {length} bytes at {position} answered next position {next_position} [request id {request_id}]"
        )));
    }
    let server_crc = header_u64(headers, "x-oss-hash-crc64ecma");
    let expected = crc_before.map(|before| crc64::combine(before, body_crc, length));
    let crc64 = match (expected, server_crc) {
        (Some(expected), Some(server)) if expected != server => {
            return Err(Error::CrcMismatch { expected_crc64: expected, server_crc64: server, next_position, request_id })
        }
        (Some(_), Some(server)) => server,
        // Both cases are rare (a writer racing between HEAD and append; a server without CRC support),
        // and an append is never reported as verified when it was not.
        (None, _) => {
            return Err(Error::Protocol(format!(
                "the append landed (next position {next_position}) but cannot be verified: the object changed between reading its CRC and appending; re-read the object [request id {request_id}]"
            )))
        }
        (Some(_), None) => {
            return Err(Error::Protocol(format!(
                "the append landed (next position {next_position}) but cannot be verified: the response has no x-oss-hash-crc64ecma [request id {request_id}]"
            )))
        }
    };
    Ok(AppendResult { position, next_position, crc64, request_id, etag: header(headers, "etag"), reconciled: false })
}

/// The service refuses requests signed more than 15 minutes from its clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Seconds the service's clock (its `Date` header) is ahead of this machine's; negative when behind.
fn server_clock_offset(headers: &HeaderMap) -> Option<i64> {
    let server_time = header(headers, "date").and_then(|d| sign::parse_http_date(&d))?;
    Some(match server_time.duration_since(SystemTime::now()) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    })
}

fn clock_skew(headers: &HeaderMap) -> Option<Duration> {
    server_clock_offset(headers).map(|offset| Duration::from_secs(offset.unsigned_abs()))
}

fn check_cancel(cancel: Option<&CancelToken>) -> Result<(), Error> {
    if cancel.is_some_and(CancelToken::is_cancelled) {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// Sleeps a full-jitter backoff, waking early to honour a cancel.
fn backoff(policy: &crate::config::RetryPolicy, retry: u32, cancel: Option<&CancelToken>) -> Result<(), Error> {
    let cap = policy.backoff_cap(retry);
    let wait = if cap.is_zero() { cap } else { rand::rng().random_range(Duration::ZERO..=cap) };
    let deadline = std::time::Instant::now() + wait;
    loop {
        check_cancel(cancel)?;
        let now = std::time::Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// Network errors, timeouts, 5xx, 408, 429 and RequestTimeTooSkewed.
fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Network { .. } | Error::Timeout { .. } => true,
        Error::Service(e) => e.status >= 500 || e.status == 408 || e.status == 429 || e.code == "RequestTimeTooSkewed",
        _ => false,
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|s| s.trim().to_string())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header(headers, name).and_then(|v| v.parse().ok())
}

/// Reads an OSS error: the XML body when there is one, else what the status and headers tell.
pub(crate) fn parse_service_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ServiceError {
    let mut error = ServiceError {
        status,
        request_id: header(headers, "x-oss-request-id").unwrap_or_default(),
        ec: header(headers, "x-oss-ec").unwrap_or_default(),
        next_position: header_u64(headers, "x-oss-next-append-position"),
        server_crc64: header_u64(headers, "x-oss-hash-crc64ecma"),
        ..ServiceError::default()
    };
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(_)) => text.clear(),
            Ok(Event::Text(t)) => text.push_str(&t.decode().unwrap_or_default()),
            Ok(Event::CData(t)) => text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().unwrap_or_default();
                match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(resolved) => text.push_str(resolved),
                    None => match r.resolve_char_ref() {
                        Ok(Some(c)) => text.push(c),
                        _ => text.push_str(&format!("&{name};")),
                    },
                }
            }
            Ok(Event::End(end)) => {
                let value = std::mem::take(&mut text);
                match end.name().as_ref() {
                    b"Code" => error.code = value,
                    b"Message" => error.message = value,
                    b"RequestId" if !value.is_empty() => error.request_id = value,
                    b"HostId" => error.host_id = value,
                    b"EC" => error.ec = value,
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    if error.code.is_empty() {
        error.code = match status {
            404 => "NoSuchKey",
            403 => "AccessDenied",
            409 if error.next_position.is_some() => "PositionNotEqualToLength",
            _ => "",
        }
        .to_string();
    }
    error
}

/// Compile-time check that a client can be shared between threads.
#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Client>();
    is::<Error>();
    is::<CancelToken>();
    is::<AppendOptions>();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_error_is_read_from_xml_and_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-oss-request-id", "RID1".parse().unwrap());
        headers.insert("x-oss-next-append-position", "42".parse().unwrap());
        headers.insert("x-oss-hash-crc64ecma", "123".parse().unwrap());
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PositionNotEqualToLength</Code><Message>Position is not equal to file length &amp; more</Message>
<RequestId>RID2</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId><EC>0026-00000016</EC></Error>"#;
        let e = parse_service_error(409, &headers, body);
        assert_eq!(e.code, "PositionNotEqualToLength");
        assert_eq!(e.message, "Position is not equal to file length & more");
        assert_eq!(e.request_id, "RID2");
        assert_eq!(e.host_id, "b.oss-cn-hangzhou.aliyuncs.com");
        assert_eq!(e.ec, "0026-00000016");
        assert_eq!(e.next_position, Some(42));
        assert_eq!(e.server_crc64, Some(123));
    }

    #[test]
    fn head_errors_without_body_keep_status_and_request_id() {
        let mut headers = HeaderMap::new();
        headers.insert("x-oss-request-id", "RID".parse().unwrap());
        let e = parse_service_error(404, &headers, b"");
        assert_eq!((e.status, e.code.as_str(), e.request_id.as_str()), (404, "NoSuchKey", "RID"));
    }

    #[test]
    fn retry_classification() {
        let service =
            |status, code: &str| Error::from(ServiceError { status, code: code.into(), ..Default::default() });
        assert!(is_retryable(&service(503, "ServiceUnavailable")));
        assert!(is_retryable(&service(500, "InternalError")));
        assert!(is_retryable(&service(408, "RequestTimeout")));
        assert!(is_retryable(&service(429, "TooManyRequests")));
        assert!(is_retryable(&service(403, "RequestTimeTooSkewed")));
        assert!(!is_retryable(&service(403, "SignatureDoesNotMatch")));
        assert!(!is_retryable(&service(409, "PositionNotEqualToLength")));
        assert!(!is_retryable(&service(404, "NoSuchKey")));
        assert!(is_retryable(&Error::Network { message: "reset".into() }));
        assert!(!is_retryable(&Error::Cancelled));
    }
}
