//! The transport seam: signing, sending, retrying and reading errors, apart from the operations.
//!
//! Every request of the library goes through [`Transport::send`]; every retry through
//! [`Transport::retrying`], which asks [`Error::is_retryable`] and nothing else.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::net::http::{Agent, HttpError};
use crate::net::http1::Headers;

use crate::body::{CancelToken, Upload};
use crate::config::Settings;
use crate::error::{Error, ServiceError, ServiceErrorKind, TimeoutKind};
use crate::in_flight::InFlight;
use crate::sign::{self, v1, v4, SignRequest, SignatureVersion};

/// Largest error body read from a response.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The service refuses requests signed more than 15 minutes from its clock.
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// One request, before signing.
pub(crate) struct Call<'r> {
    pub method: &'static str,
    pub bucket: &'r str,
    pub key: Option<&'r str>,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
}

pub(crate) type Response = crate::net::http::Response;

/// What an attempt tells the retry loop beyond its result.
pub(crate) struct Retry {
    allowed: bool,
}

impl Retry {
    /// This attempt's request cannot be made again (a reader body already read).
    pub(crate) fn forbid(&mut self) {
        self.allowed = false;
    }
}

/// The connection pool, the settings, and the clock offset learnt from the service.
pub(crate) struct Transport {
    pub settings: Settings,
    agent: Agent,
    /// Seconds to add to the local clock, learnt from the service after RequestTimeTooSkewed.
    clock_offset: AtomicI64,
    /// `(bucket, key, position)` of appends reported as not landed after their body went out whole,
    /// the newest last: one may still commit late.
    suspects: Mutex<VecDeque<InFlight>>,
    /// The last V4 signing key, kept for the day: four HMACs a request saved.
    signing_key: Mutex<Option<KeptKey>>,
}

/// A V4 signing key and what it was derived from (the region and product are the client's own).
struct KeptKey {
    secret: String,
    /// Days since 1970-01-01 (UTC), negative before: the key's `yyyymmdd`.
    day: i64,
    key: v4::DayKey,
}

/// How many suspect appends a client remembers.
const SUSPECTS: usize = 64;

impl Transport {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            agent: Agent::new(settings.network.clone()),
            settings,
            clock_offset: AtomicI64::new(0),
            suspects: Mutex::new(VecDeque::new()),
            signing_key: Mutex::new(None),
        }
    }

    /// The V4 signing key of `secret` for the day of `now`, derived once a day (or when the
    /// secret changes, as STS credentials do).
    fn signing_key(&self, secret: &str, now: SystemTime) -> v4::DayKey {
        // The UTC day, compared without formatting a date on every request.
        let day = sign::unix_seconds(now).div_euclid(86_400);
        let mut kept = self.signing_key.lock().unwrap_or_else(|p| p.into_inner());
        match kept.as_ref() {
            Some(k) if k.day == day && k.secret == secret => k.key.clone(),
            _ => {
                let date = &sign::format_iso8601(now)[..8];
                let key = v4::DayKey::new(v4::signing_key(secret, date, &self.settings.region, v4::PRODUCT_OSS));
                *kept = Some(KeptKey { secret: secret.to_string(), day, key: key.clone() });
                key
            }
        }
    }

    /// Whether an append at `position` of `bucket/key` was settled as not landed while its request
    /// may still have been under way.
    pub(crate) fn is_suspect(&self, bucket: &str, key: &str, position: u64) -> bool {
        let suspects = self.suspects.lock().unwrap_or_else(|p| p.into_inner());
        suspects.iter().any(|s| s.position == position && s.bucket == bucket && s.key == key)
    }

    /// Remembers (`suspected`) or forgets the append at `position` of `bucket/key`.
    pub(crate) fn suspect(&self, bucket: &str, key: &str, position: u64, suspected: Option<&InFlight>) {
        let mut suspects = self.suspects.lock().unwrap_or_else(|p| p.into_inner());
        suspects.retain(|s| !(s.position == position && s.bucket == bucket && s.key == key));
        if let Some(in_flight) = suspected {
            if suspects.len() == SUSPECTS {
                suspects.pop_front();
            }
            suspects.push_back(in_flight.clone());
        }
    }

    /// The suspect appends of `bucket/key` of `length` bytes that would end at `end`: the ones a late
    /// commit may have put there.
    pub(crate) fn suspects_ending_at(&self, bucket: &str, key: &str, end: u64, length: u64) -> Vec<InFlight> {
        let suspects = self.suspects.lock().unwrap_or_else(|p| p.into_inner());
        suspects
            .iter()
            .filter(|s| s.end() == end && s.length == length && s.bucket == bucket && s.key == key)
            .cloned()
            .collect()
    }

    /// Runs `attempt` until it succeeds, fails with an error that is not
    /// [retryable](Error::is_retryable), forbids a retry, or the policy's attempts are spent,
    /// sleeping a full-jitter backoff between attempts. A cancel stops it between attempts.
    pub(crate) fn retrying<T>(
        &self,
        cancel: Option<&CancelToken>,
        mut attempt: impl FnMut(&mut Retry) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let policy = self.settings.retry;
        let mut number = 1;
        loop {
            check_cancel(cancel)?;
            let mut retry = Retry { allowed: true };
            match attempt(&mut retry) {
                Err(error) if retry.allowed && number < policy.max_attempts && error.is_retryable() => {
                    sleep(policy.delay(number), cancel)?;
                    number += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Signs and sends one request; a non-2xx status becomes a service error. The signing headers
    /// are added to the call's for the request and taken off after it, so the call is sent again
    /// (a retry) as it came.
    pub(crate) fn send(&self, call: &mut Call<'_>, upload: Option<&mut Upload<'_, '_>>) -> Result<Response, Error> {
        let base = call.headers.len();
        debug_assert!(
            !call.headers.iter().any(|(n, _)| ["x-oss-date", "x-oss-content-sha256", "x-oss-security-token", "date"]
                .iter()
                .any(|s| n.eq_ignore_ascii_case(s))),
            "a call's own headers must not be those the signer sets (they are replaced, then cut off)"
        );
        let result = self.sign_and_send(call, upload);
        call.headers.truncate(base);
        result
    }

    fn sign_and_send(&self, call: &mut Call<'_>, upload: Option<&mut Upload<'_, '_>>) -> Result<Response, Error> {
        let settings = &self.settings;
        // Fixed credentials were checked when the client was made, and are used without a copy.
        let fetched;
        let credentials = match settings.credentials.fixed() {
            Some(fixed) => fixed,
            None => {
                fetched = settings.credentials.credentials()?;
                fetched.validate()?;
                &fetched
            }
        };
        let offset = self.clock_offset.load(Ordering::Relaxed);
        let now = if offset >= 0 {
            SystemTime::now() + Duration::from_secs(offset as u64)
        } else {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
        };
        fn request<'h>(call: &'h Call<'_>) -> SignRequest<'h> {
            let (query, headers) = (&call.query, &call.headers);
            SignRequest { method: call.method, bucket: Some(call.bucket), key: call.key, query, headers }
        }
        let authorization = match settings.signature_version {
            SignatureVersion::V4 => {
                v4::add_signing_headers(&mut call.headers, credentials, now);
                let scope = v4::V4Scope { region: &settings.region, product: v4::PRODUCT_OSS, time: now };
                let key = self.signing_key(credentials.access_key_secret(), now);
                v4::authorization(&request(call), credentials, &scope, &key)
            }
            SignatureVersion::V1 => {
                v1::add_signing_headers(&mut call.headers, credentials, now);
                v1::sign(&request(call), credentials).authorization
            }
        };
        call.headers.push(("Authorization".into(), authorization));
        let headers = &call.headers;

        let (host, path) = self.target(call);
        let endpoint = &settings.endpoint;
        let target = crate::net::http::Target {
            https: endpoint.scheme == "https",
            host: &host,
            port: endpoint.port.unwrap_or(if endpoint.scheme == "https" { 443 } else { 80 }),
            port_given: endpoint.port.is_some(),
            path: &path,
        };
        let agent = &self.agent;
        let result = match upload {
            Some(upload) => {
                let request = crate::net::http::Request { method: call.method, target, headers, body: Some(upload) };
                let result = agent.run(request).map_err(|e| self.map_error(e));
                // The body reader knows whether a failure was ours: a cancel or a local read error.
                match result {
                    Err(_) if upload.cancelled => Err(Error::Cancelled),
                    Err(error) => Err(upload.source_error.take().map_or(error, Error::Body)),
                    ok => ok,
                }
            }
            None => {
                let request = crate::net::http::Request { method: call.method, target, headers, body: None };
                agent.run(request).map_err(|e| self.map_error(e))
            }
        };
        self.check_status(result?)
    }

    fn check_status(&self, response: Response) -> Result<Response, Error> {
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        let status = response.status;
        let headers = response.headers.clone();
        let body = if status == 304 { Vec::new() } else { self.read_error_body(response) };
        let mut error = parse_service_error(status, &headers, &body);
        // A HEAD error has no body to name its code: a 403 from a server whose clock is more than
        // 15 minutes from ours is the skew error all the same.
        if error.code.is_empty() && status == 403 && clock_skew(&headers).is_some_and(|skew| skew > MAX_CLOCK_SKEW) {
            error.kind = ServiceErrorKind::RequestTimeTooSkewed;
            error.code = error.kind.code().into();
        }
        if error.kind == ServiceErrorKind::RequestTimeTooSkewed {
            self.learn_clock_offset(&headers);
        }
        if matches!(error.kind, ServiceErrorKind::SecurityTokenExpired | ServiceErrorKind::InvalidSecurityToken) {
            // A token the service no longer takes: the provider fetches a fresh one for the next try.
            self.settings.credentials.invalidate();
        }
        Err(Error::Service(Box::new(error)))
    }

    /// An error's body: at most [`MAX_ERROR_BODY`] bytes, read for at most the read/write timeout
    /// (a body dripped or never ending is cut there: the status and headers still say the error).
    fn read_error_body(&self, response: Response) -> Vec<u8> {
        use std::io::Read;
        let deadline = Instant::now() + self.settings.network.read_write_timeout;
        let mut reader = response.into_body();
        let mut body = Vec::new();
        let mut chunk = [0u8; 4096];
        while body.len() < MAX_ERROR_BODY && Instant::now() < deadline {
            match reader.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => body.extend_from_slice(&chunk[..n.min(MAX_ERROR_BODY - body.len())]),
            }
        }
        body
    }

    /// After RequestTimeTooSkewed, signs with the service's clock from then on.
    fn learn_clock_offset(&self, headers: &Headers) {
        if let Some(offset) = server_clock_offset(headers) {
            self.clock_offset.store(offset, Ordering::Relaxed);
        }
    }

    fn map_error(&self, error: HttpError) -> Error {
        let settings = &self.settings;
        match error {
            HttpError::Timeout(kind) => {
                let setting = match kind {
                    TimeoutKind::Connect => settings.network.connect_timeout,
                    TimeoutKind::Request => settings.network.request_timeout.unwrap_or_default(),
                    _ => settings.network.read_write_timeout,
                };
                Error::Timeout { kind, millis: setting.as_millis() as u64 }
            }
            HttpError::Io(e) | HttpError::Body(e) => self.map_io(e),
            HttpError::HostNotFound(host) => Error::network(format!("host {host} not found")),
            HttpError::Connect { authority, error } => Error::Network {
                message: format!("cannot connect to {authority}: {error}"),
                source: Some(std::sync::Arc::new(error)),
            },
            HttpError::Protocol(e) if settings.endpoint.scheme == "http" => Error::Protocol(format!(
                "the server's answer is not HTTP/1.1: {e}; if the server speaks HTTPS, use an https:// endpoint"
            )),
            HttpError::Protocol(e) => Error::Protocol(format!("the server's answer is not HTTP/1.1: {e}")),
            HttpError::Tls(tls) => {
                let hint = tls.kind.hint(&tls.host);
                Error::Tls { kind: tls.kind, host: tls.host, message: tls.message, hint }
            }
            HttpError::ProxyRefused(reason) => Error::network(format!("the proxy refused the connection: {reason}")),
        }
    }

    /// A read or write on the connection failed.
    pub(crate) fn map_io(&self, error: std::io::Error) -> Error {
        use std::io::ErrorKind as K;
        // The HTTP client's own errors (a timeout of the whole request, a malformed chunk) come wrapped.
        let error = match error.downcast::<HttpError>() {
            Ok(inner) => return self.map_error(inner),
            Err(error) => error,
        };
        match error.kind() {
            K::TimedOut | K::WouldBlock => Error::Timeout {
                kind: TimeoutKind::ReadWrite,
                millis: self.settings.network.read_write_timeout.as_millis() as u64,
            },
            _ => Error::Network { message: error.to_string(), source: Some(std::sync::Arc::new(error)) },
        }
    }

    /// The host a request goes to (the bucket's, in virtual-host style) and its path and query.
    fn target(&self, call: &Call<'_>) -> (std::borrow::Cow<'_, str>, String) {
        use percent_encoding::utf8_percent_encode;
        let settings = &self.settings;
        let key = call.key.unwrap_or_default();
        let mut path = String::with_capacity(call.bucket.len() + key.len() + 48);
        path.push('/');
        let host = if settings.path_style {
            path.push_str(call.bucket);
            path.push('/');
            std::borrow::Cow::Borrowed(settings.endpoint.host.as_str())
        } else {
            format!("{}.{}", call.bucket, settings.endpoint.host).into()
        };
        // Encoded straight into the path, without a string per part.
        path.extend(utf8_percent_encode(key, sign::PATH));
        for (i, (name, value)) in call.query.iter().enumerate() {
            path.push(if i == 0 { '?' } else { '&' });
            path.extend(utf8_percent_encode(name, sign::UNRESERVED));
            if !value.is_empty() {
                path.push('=');
                path.extend(utf8_percent_encode(value, sign::UNRESERVED));
            }
        }
        (host, path)
    }
}

/// Seconds the service's clock (its `Date` header) is ahead of this machine's; negative when behind.
pub(crate) fn server_clock_offset(headers: &Headers) -> Option<i64> {
    let server_time = header(headers, "date").and_then(|d| sign::parse_http_date(&d))?;
    Some(match server_time.duration_since(SystemTime::now()) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    })
}

fn clock_skew(headers: &Headers) -> Option<Duration> {
    server_clock_offset(headers).map(|offset| Duration::from_secs(offset.unsigned_abs()))
}

pub(crate) fn check_cancel(cancel: Option<&CancelToken>) -> Result<(), Error> {
    if cancel.is_some_and(CancelToken::is_cancelled) {
        Err(Error::Cancelled)
    } else {
        Ok(())
    }
}

/// Sleeps `wait`, waking early to honour a cancel.
pub(crate) fn sleep(wait: Duration, cancel: Option<&CancelToken>) -> Result<(), Error> {
    let deadline = Instant::now() + wait;
    loop {
        check_cancel(cancel)?;
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

pub(crate) fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).map(str::to_string)
}

pub(crate) fn header_u64(headers: &Headers, name: &str) -> Option<u64> {
    headers.get(name).and_then(|v| v.parse().ok())
}

/// Reads an OSS error: the XML body when there is one, else what the status and headers tell
/// (a HEAD error's kind and code come from its `x-oss-ec`).
pub(crate) fn parse_service_error(status: u16, headers: &Headers, body: &[u8]) -> ServiceError {
    let mut error = ServiceError {
        status,
        request_id: header(headers, "x-oss-request-id").unwrap_or_default(),
        ec: header(headers, "x-oss-ec").unwrap_or_default(),
        next_position: header_u64(headers, "x-oss-next-append-position"),
        server_crc64: header_u64(headers, "x-oss-hash-crc64ecma"),
        object_size: header(headers, "content-range")
            .and_then(|range| range.strip_prefix("bytes */").and_then(|n| n.trim().parse().ok())),
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
                    b"ActualObjectSize" => error.object_size = value.trim().parse().ok().or(error.object_size),
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    error.kind = ServiceErrorKind::classify(status, &error.code, &error.ec);
    if error.code.is_empty() {
        // A 409 that names the object's length can only be PositionNotEqualToLength.
        if status == 409 && error.next_position.is_some() && error.kind == ServiceErrorKind::Other {
            error.kind = ServiceErrorKind::PositionNotEqualToLength;
        }
        error.code = error.kind.code().to_string();
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_signing_key_follows_the_day_and_the_secret() {
        use std::time::UNIX_EPOCH;
        let config = crate::Config {
            endpoint: "http://127.0.0.1:9".into(),
            region: Some("cn-hangzhou".into()),
            credentials: Some(std::sync::Arc::new(crate::Credentials::new("ak", "sk"))),
            ..crate::Config::default()
        };
        let transport = Transport::new(config.resolve().unwrap());
        let derived = |secret: &str, at: SystemTime| {
            let date = &sign::format_iso8601(at)[..8];
            v4::signing_key(secret, date, "cn-hangzhou", v4::PRODUCT_OSS)
        };
        let day = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later_that_day = day + Duration::from_secs(3600);
        let next_day = day + Duration::from_secs(86_400);
        assert_eq!(transport.signing_key("sk", day).key, derived("sk", day));
        assert_eq!(transport.signing_key("sk", later_that_day).key, derived("sk", day));
        // A new secret (STS credentials renewed) and a new day each derive a new key.
        assert_eq!(transport.signing_key("sk2", later_that_day).key, derived("sk2", day));
        assert_ne!(derived("sk2", day), derived("sk", day));
        assert_eq!(transport.signing_key("sk2", next_day).key, derived("sk2", next_day));
        assert_ne!(derived("sk2", next_day), derived("sk2", day));
    }

    #[test]
    fn service_error_is_read_from_xml_and_headers() {
        let mut headers = Headers::default();
        headers.append("x-oss-request-id", "RID1");
        headers.append("x-oss-next-append-position", "42");
        headers.append("x-oss-hash-crc64ecma", "123");
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PositionNotEqualToLength</Code><Message>Position is not equal to file length &amp; more</Message>
<RequestId>RID2</RequestId><HostId>b.oss-cn-hangzhou.aliyuncs.com</HostId><EC>0026-00000016</EC></Error>"#;
        let e = parse_service_error(409, &headers, body);
        assert_eq!(e.kind, ServiceErrorKind::PositionNotEqualToLength);
        assert_eq!(e.code, "PositionNotEqualToLength");
        assert_eq!(e.message, "Position is not equal to file length & more");
        assert_eq!(e.request_id, "RID2");
        assert_eq!(e.host_id, "b.oss-cn-hangzhou.aliyuncs.com");
        assert_eq!(e.ec, "0026-00000016");
        assert_eq!(e.next_position, Some(42));
        assert_eq!(e.server_crc64, Some(123));
    }

    #[test]
    fn head_errors_take_their_kind_from_the_ec_header() {
        let head_error = |status, ec: Option<&str>| {
            let mut headers = Headers::default();
            headers.append("x-oss-request-id", "RID");
            if let Some(ec) = ec {
                headers.append("x-oss-ec", ec);
            }
            parse_service_error(status, &headers, b"")
        };
        let e = head_error(404, None);
        assert_eq!(
            (e.status, e.kind, e.code.as_str(), e.request_id.as_str()),
            (404, ServiceErrorKind::NoSuchKey, "NoSuchKey", "RID")
        );
        let e = head_error(404, Some("0015-00000101"));
        assert_eq!((e.kind, e.code.as_str()), (ServiceErrorKind::NoSuchBucket, "NoSuchBucket"));
        let e = head_error(403, Some("0002-00000040"));
        assert_eq!((e.kind, e.code.as_str()), (ServiceErrorKind::SignatureDoesNotMatch, "SignatureDoesNotMatch"));
        let e = head_error(403, Some("0002-00000007"));
        assert_eq!(e.kind, ServiceErrorKind::SecurityTokenExpired);
    }
}
