//! The HTTP side: accepting connections, routing requests to bucket and object operations, and
//! writing responses and errors as OSS does.

use std::collections::VecDeque;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use md5::{Digest, Md5};
use oss_append::sign::{self, SignRequest};

use crate::auth::{self, Keys};
use crate::body::{self, ReadError, ResponseBody};
use crate::error::OssError;
use crate::faults::Faults;
use crate::store::{self, AppendError, ObjectInfo, ObjectType, PutError, Store};
use crate::xml;

/// The most recent requests kept for [`crate::Emulator::requests`].
pub const MAX_RECORDED_REQUESTS: usize = 100_000;
/// Longest object key, in bytes.
pub const MAX_KEY_LEN: usize = 1023;

/// One request as received: for tests to check what a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Method, e.g. `POST`.
    pub method: String,
    /// Path as sent, still percent-encoded.
    pub path: String,
    /// Query string as sent (without `?`), empty when none.
    pub query: String,
    /// Headers in the order received, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The first value of a header, by name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The decoded value of a query parameter (`Some("")` for a bare name such as `append`).
    pub fn query_param(&self, name: &str) -> Option<String> {
        parse_query(&self.query).ok()?.into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// What every connection shares.
pub struct Shared {
    pub(crate) store: Store,
    pub(crate) keys: Keys,
    pub(crate) region: String,
    pub(crate) admin: bool,
    pub(crate) faults: Faults,
    pub(crate) requests: Mutex<VecDeque<RecordedRequest>>,
    pub(crate) body_timeout: Duration,
    pub(crate) log: bool,
    next_id: AtomicU64,
    id_prefix: u32,
    /// Seconds added to this machine's clock: lets tests play a server whose clock differs.
    clock_offset: AtomicI64,
}

impl Shared {
    pub(crate) fn new(
        store: Store,
        keys: Keys,
        region: String,
        admin: bool,
        body_timeout: Duration,
        log: bool,
    ) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let id_prefix = (nanos as u32) ^ std::process::id().rotate_left(16);
        Shared {
            store,
            keys,
            region,
            admin,
            faults: Faults::default(),
            requests: Mutex::new(VecDeque::new()),
            body_timeout,
            log,
            next_id: AtomicU64::new(1),
            id_prefix,
            clock_offset: AtomicI64::new(0),
        }
    }

    /// The server's time: this machine's clock plus the configured offset.
    pub(crate) fn now(&self) -> SystemTime {
        let offset = self.clock_offset.load(Ordering::Relaxed);
        let now = SystemTime::now();
        if offset >= 0 {
            now + Duration::from_secs(offset as u64)
        } else {
            now - Duration::from_secs(offset.unsigned_abs())
        }
    }

    pub(crate) fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
    }

    pub(crate) fn request_id(&self) -> String {
        format!("{:08X}{:016X}", self.id_prefix, self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn recorded(&self) -> std::sync::MutexGuard<'_, VecDeque<RecordedRequest>> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, request: RecordedRequest) {
        let mut requests = self.recorded();
        if requests.len() >= MAX_RECORDED_REQUESTS {
            requests.pop_front();
        }
        requests.push_back(request);
    }
}

/// Returned to hyper to close the connection without a response.
#[derive(Debug)]
pub struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// How a request ends when it does not get a normal response.
enum Stop {
    Error(OssError),
    Drop,
    /// A gateway's 504 in place of the service's answer: no OSS body, no request id.
    Gateway,
}

impl From<OssError> for Stop {
    fn from(e: OssError) -> Self {
        Stop::Error(e)
    }
}

type Reply = Result<Response<ResponseBody>, Stop>;

/// The request body, read at most once.
struct BodySlot {
    body: Option<Incoming>,
    expect_continue: bool,
}

/// Percent-decodes to UTF-8.
fn decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|s| s.into_owned())
}

/// Splits a raw query into decoded `(name, value)` pairs; `name` and `name=` both give an empty value.
pub fn parse_query(raw: &str) -> Result<Vec<(String, String)>, OssError> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        match (decode(name), decode(value)) {
            (Some(name), Some(value)) => out.push((name, value)),
            _ => {
                return Err(OssError::invalid_argument(format!(
                    "The query parameter \"{part}\" is not valid percent-encoded UTF-8."
                )))
            }
        }
    }
    Ok(out)
}

/// Whether `host` (without port) names a bucket in its first label: anything with a dot that is not
/// an IP address or `localhost`.
fn virtual_host_bucket(host: &str) -> Option<&str> {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
    };
    if name.parse::<IpAddr>().is_ok() || name.eq_ignore_ascii_case("localhost") || !name.contains('.') {
        return None;
    }
    name.split('.').next().filter(|label| !label.is_empty())
}

/// The bucket and key a request is about. A dotted host names a bucket in its first label
/// (virtual-host style) unless that bucket does not exist and the path's first segment does: then
/// the host is just a name for this server, as `emu.lan:9000` may be, and the request is path style.
pub(crate) fn target(
    host: Option<&str>,
    path: &str,
    bucket_exists: impl Fn(&str) -> bool,
) -> Result<(Option<String>, Option<String>), OssError> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path_style = || match path.split_once('/') {
        Some((bucket, key)) => (decode(bucket), key),
        None => (decode(path), ""),
    };
    let (bucket, key) = match host.and_then(virtual_host_bucket) {
        Some(bucket) if bucket_exists(bucket) => (Some(bucket.to_string()), path),
        Some(bucket) => match path_style() {
            (Some(first), key) if bucket_exists(&first) => (Some(first), key),
            _ => (Some(bucket.to_string()), path),
        },
        None => path_style(),
    };
    let bucket = bucket.filter(|b| !b.is_empty());
    if key.is_empty() {
        return Ok((bucket, None));
    }
    let key = decode(key).ok_or_else(|| {
        OssError::new(StatusCode::BAD_REQUEST, "InvalidObjectName", "The object key is not valid UTF-8.")
            .ec("0016-00000801")
    })?;
    Ok((bucket, Some(key)))
}

fn check_key(key: &str) -> Result<(), OssError> {
    let invalid =
        |message: String| Err(OssError::new(StatusCode::BAD_REQUEST, "InvalidObjectName", message).ec("0016-00000801"));
    if key.len() > MAX_KEY_LEN {
        return invalid(format!("The object key is {} bytes long; at most {MAX_KEY_LEN} are allowed.", key.len()));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return invalid("The object key must not start with '/' or '\\'.".to_string());
    }
    Ok(())
}

fn headers_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers.iter().map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn set(response: &mut Response<ResponseBody>, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(value.as_bytes()))
    {
        response.headers_mut().append(name, value);
    }
}

fn response(status: StatusCode, body: ResponseBody) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

/// An XML body with status 200.
fn xml_response(doc: String) -> Response<ResponseBody> {
    let mut r = response(StatusCode::OK, ResponseBody::full(doc));
    set(&mut r, "content-type", "application/xml");
    r
}

fn error_response(error: &OssError, request_id: &str, host_id: &str) -> Response<ResponseBody> {
    let extra: Vec<(&str, String)> = error.extra.iter().map(|(n, v)| (*n, v.clone())).collect();
    let doc = xml::error_body(error.code, &error.message, request_id, host_id, error.ec, &extra);
    let mut r = response(error.status, ResponseBody::full(doc));
    set(&mut r, "content-type", "application/xml");
    if !error.ec.is_empty() {
        set(&mut r, "x-oss-ec", error.ec);
    }
    for (name, value) in &error.headers {
        set(&mut r, name, value);
    }
    r
}

/// Serves one request.
pub async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Response<ResponseBody>, DropConnection> {
    let request_id = shared.request_id();
    let (parts, body) = request.into_parts();
    if shared.admin && parts.uri.path().starts_with(crate::admin::PREFIX) {
        let mut response = crate::admin::handle(&shared, &parts.method, parts.uri.path(), parts.uri.query()).await;
        set(&mut response, "x-oss-request-id", &request_id);
        return Ok(response);
    }
    shared.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: headers_list(&parts.headers),
    });
    let delay = shared.faults.take_delay();
    let host = header(&parts.headers, "host").map(str::to_string).or_else(|| parts.uri.host().map(str::to_string));
    let host_id = host.as_deref().map(|h| h.rsplit_once(':').map_or(h, |(h, _)| h)).unwrap_or("localhost").to_string();
    let expect_continue =
        header(&parts.headers, "expect").is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    let mut slot = BodySlot { body: Some(body), expect_continue };
    let is_head = parts.method == Method::HEAD;
    let result = route(&shared, &parts, host.as_deref(), &mut slot).await;
    let mut response = match result {
        Ok(response) => response,
        Err(Stop::Drop) => {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            if shared.log {
                eprintln!("{} {} -> connection dropped", parts.method, parts.uri);
            }
            return Err(DropConnection);
        }
        Err(Stop::Gateway) => {
            let mut r = response(
                StatusCode::GATEWAY_TIMEOUT,
                ResponseBody::full("<html><body>504 Gateway Time-out</body></html>".to_string()),
            );
            set(&mut r, "content-type", "text/html");
            if shared.log {
                eprintln!("{} {} -> 504 from a gateway", parts.method, parts.uri);
            }
            return Ok(r);
        }
        Err(Stop::Error(error)) => {
            // The client gets its answer only once it has sent its body: read what is left, unless the
            // client waits for "100 Continue" (then it sends nothing) or the body is too large to take.
            if let Some(mut body) = slot.body.take() {
                let limit = shared.store.max_object_size();
                let fits = body.size_hint().exact().is_none_or(|n| n <= limit);
                if !slot.expect_continue && fits && body::drain(&mut body, limit, shared.body_timeout).await.is_err() {
                    return Err(DropConnection);
                }
            }
            let mut r = error_response(&error, &request_id, &host_id);
            if is_head {
                // HEAD errors carry no body; hyper leaves it out, and the status and headers stay.
                r.headers_mut().remove("content-type");
            }
            r
        }
    };
    set(&mut response, "x-oss-request-id", &request_id);
    set(&mut response, "server", "AliyunOSS");
    set(&mut response, "date", &httpdate::fmt_http_date(shared.now()));
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if shared.log {
        eprintln!("{} {} -> {}", parts.method, parts.uri, response.status().as_u16());
    }
    Ok(response)
}

async fn route(shared: &Shared, parts: &hyper::http::request::Parts, host: Option<&str>, slot: &mut BodySlot) -> Reply {
    if let Some(failure) = shared.faults.take_failure(parts.method.as_str()) {
        let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return Err(OssError::new(status, failure.code(), failure.message()).into());
    }
    let (bucket, key) = target(host, parts.uri.path(), |name| shared.store.bucket(name).is_some())?;
    let query = parse_query(parts.uri.query().unwrap_or(""))?;
    let headers = headers_list(&parts.headers);
    let method = parts.method.as_str();
    let sign_request =
        SignRequest { method, bucket: bucket.as_deref(), key: key.as_deref(), query: &query, headers: &headers };
    auth::verify(&shared.keys, &shared.region, &sign_request, shared.now())?;
    let has = |name: &str| query.iter().any(|(n, _)| n == name);
    let param = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());

    let Some(bucket) = bucket else {
        return match parts.method {
            Method::GET => Ok(list_buckets(shared)),
            _ => Err(OssError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Specify a bucket.").into()),
        };
    };
    let Some(key) = key else {
        return bucket_operation(shared, parts, &bucket, &query, slot).await;
    };
    check_key(&key)?;
    let the_bucket = shared.store.bucket(&bucket).ok_or_else(|| OssError::no_such_bucket(&bucket))?;
    const UNSUPPORTED: &[&str] =
        &["acl", "tagging", "symlink", "restore", "uploads", "uploadId", "partNumber", "x-oss-process", "versionId"];
    if let Some(name) = UNSUPPORTED.iter().find(|n| has(n)) {
        return Err(OssError::not_implemented(&format!("the \"{name}\" sub-resource")).into());
    }
    match parts.method {
        Method::POST if has("append") => {
            append(shared, &the_bucket, &key, param("position"), &parts.headers, slot).await
        }
        Method::POST => Err(OssError::invalid_argument(
            "POST on an object is only AppendObject here: add ?append&position=N to the request.",
        )
        .into()),
        Method::PUT => {
            if parts.headers.contains_key("x-oss-copy-source") {
                return Err(OssError::not_implemented("CopyObject").into());
            }
            put_object(shared, &the_bucket, &key, &parts.headers, slot).await
        }
        Method::GET if has("objectMeta") => {
            let info = the_bucket.head(&key).ok_or_else(|| OssError::no_such_key(&key))?;
            // The service also puts the object's size in Content-Length here; an HTTP client would then
            // wait for a body that never comes, so the size is not sent.
            let mut r = response(StatusCode::OK, ResponseBody::empty());
            set(&mut r, "etag", &info.etag);
            set(&mut r, "last-modified", &httpdate::fmt_http_date(info.last_modified));
            set(&mut r, "x-oss-hash-crc64ecma", &info.crc64.to_string());
            Ok(r)
        }
        Method::GET | Method::HEAD => {
            let ignore_range =
                parts.method == Method::GET && parts.headers.contains_key("range") && shared.faults.take_ignore_range();
            get_object(&the_bucket, &key, parts, &query, ignore_range).map(|mut r| {
                if parts.method == Method::HEAD && shared.faults.take_bare_head() {
                    r.headers_mut().remove("x-oss-object-type");
                    r.headers_mut().remove("x-oss-hash-crc64ecma");
                }
                r
            })
        }
        Method::DELETE => {
            blocking(&shared.store, || the_bucket.delete(&key))
                .map_err(|e| OssError::internal(format!("deleting failed: {e}")))?;
            Ok(response(StatusCode::NO_CONTENT, ResponseBody::empty()))
        }
        _ => Err(OssError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The method {} is not allowed on an object.", parts.method),
        )
        .into()),
    }
}

/// Runs a store operation; when it may touch the disk, without stalling the other connections.
fn blocking<T>(store: &Store, f: impl FnOnce() -> T) -> T {
    if store.on_disk() {
        tokio::task::block_in_place(f)
    } else {
        f()
    }
}

/// Reads the whole request body, answering as OSS does when it is too large.
async fn read_body(shared: &Shared, slot: &mut BodySlot, limit: u64) -> Result<body::Received, Stop> {
    let Some(mut body) = slot.body.take() else { return Err(OssError::internal("the body was already read").into()) };
    match body::read_all(&mut body, limit, shared.body_timeout, shared.store.pool()).await {
        Ok(received) => Ok(received),
        Err(ReadError::TooLarge) => Err(entity_too_large(shared.store.max_object_size()).into()),
        Err(ReadError::Aborted) | Err(ReadError::Timeout) => Err(Stop::Drop),
    }
}

fn entity_too_large(max: u64) -> OssError {
    OssError::new(
        StatusCode::BAD_REQUEST,
        "EntityTooLarge",
        format!("Your proposed upload exceeds the maximum allowed object size of {max} bytes."),
    )
    .ec("0006-00000001")
}

/// Refuses a body that says it is larger than any object may be, before reading it.
fn check_content_length(shared: &Shared, slot: &BodySlot) -> Result<(), OssError> {
    let max = shared.store.max_object_size();
    match slot.body.as_ref().and_then(|b| b.size_hint().exact()) {
        Some(n) if n > max => Err(entity_too_large(max)),
        _ => Ok(()),
    }
}

/// Headers kept from the request that creates an object.
const CREATE_HEADERS: &[&str] = &[
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-oss-object-acl",
    "x-oss-storage-class",
    "x-oss-server-side-encryption",
    "x-oss-server-side-encryption-key-id",
    "x-oss-server-side-data-encryption",
    "x-oss-tagging",
];

/// Checks and collects the create headers (and `x-oss-meta-*`).
fn create_headers(headers: &HeaderMap, for_append: bool) -> Result<Vec<(String, String)>, OssError> {
    if let Some(class) = header(headers, "x-oss-storage-class") {
        match class {
            "Standard" | "IA" | "Archive" => {}
            "ColdArchive" | "DeepColdArchive" if for_append => {
                return Err(OssError::invalid_argument(format!(
                    "The storage class {class} is not supported for appendable objects."
                ))
                .ec("0016-00000503"))
            }
            "ColdArchive" | "DeepColdArchive" => {}
            other => {
                return Err(OssError::invalid_argument(format!(
                    "Invalid storage class \"{other}\": use Standard, IA, Archive, ColdArchive or DeepColdArchive."
                ))
                .ec("0016-00000503"))
            }
        }
    }
    if let Some(acl) = header(headers, "x-oss-object-acl") {
        if !matches!(acl, "default" | "private" | "public-read" | "public-read-write") {
            return Err(OssError::invalid_argument(format!(
                "Invalid object ACL \"{acl}\": use default, private, public-read or public-read-write."
            ))
            .ec("0016-00000403"));
        }
    }
    if let Some(sse) = header(headers, "x-oss-server-side-encryption") {
        if !matches!(sse, "AES256" | "KMS" | "SM4") {
            return Err(OssError::new(
                StatusCode::BAD_REQUEST,
                "InvalidEncryptionAlgorithmError",
                format!("The encryption method \"{sse}\" is not supported: use AES256, KMS or SM4."),
            )
            .ec("0016-00000406"));
        }
        if for_append && sse == "KMS" && headers.contains_key("x-oss-server-side-encryption-key-id") {
            return Err(OssError::invalid_argument(
                "Appendable objects cannot be encrypted with a specified KMS key id.",
            )
            .ec("0016-00000406"));
        }
    }
    let mut out = Vec::new();
    for (name, value) in headers {
        let name = name.as_str();
        if CREATE_HEADERS.contains(&name) || name.starts_with("x-oss-meta-") {
            out.push((name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()));
        }
    }
    Ok(out)
}

/// The MD5 the client says its body has.
fn content_md5(headers: &HeaderMap) -> Result<Option<[u8; 16]>, OssError> {
    let Some(value) = headers.get("content-md5") else { return Ok(None) };
    let invalid = || {
        OssError::new(StatusCode::BAD_REQUEST, "InvalidDigest", "The Content-MD5 you specified was invalid.")
            .ec("0016-00000402")
    };
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(value.as_bytes().trim_ascii()).map_err(|_| invalid())?;
    decoded.try_into().map(Some).map_err(|_| invalid())
}

fn md5_mismatch() -> OssError {
    OssError::new(
        StatusCode::BAD_REQUEST,
        "InvalidDigest",
        "The Content-MD5 you specified did not match what we received.",
    )
    .ec("0016-00000401")
}

fn parse_position(value: Option<&str>) -> Result<u64, OssError> {
    let Some(value) = value else {
        return Err(OssError::invalid_argument(
            "The position parameter is missing: AppendObject needs ?append&position=N.",
        )
        .ec("0016-00000501"));
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OssError::invalid_argument(format!(
            "The position \"{value}\" is invalid: it must be a non-negative decimal integer."
        ))
        .ec("0016-00000501"));
    }
    value.parse::<u64>().map_err(|_| {
        OssError::invalid_argument(format!("The position \"{value}\" is out of range.")).ec("0016-00000501")
    })
}

async fn append(
    shared: &Shared,
    bucket: &store::Bucket,
    key: &str,
    position: Option<&str>,
    headers: &HeaderMap,
    slot: &mut BodySlot,
) -> Reply {
    let position = parse_position(position)?;
    let create = create_headers(headers, true)?;
    let md5 = content_md5(headers)?;
    check_content_length(shared, slot)?;
    let received = read_body(shared, slot, shared.store.max_object_size()).await?;
    if let Some(expected) = md5 {
        if Md5::digest(&received.data)[..] != expected[..] {
            shared.store.pool().give(received.data);
            return Err(md5_mismatch().into());
        }
    }
    if shared.faults.take_drop_before_commit() {
        return Err(Stop::Drop);
    }
    let body_crc = received.crc64;
    let body_len = received.data.len() as u64;
    let data = shared.store.pool().bytes(received.data);
    if let Some(delay) = shared.faults.take_commit_late() {
        // The client is left without an answer at once; the commit comes later, if it still can.
        if let Some(late) = shared.store.bucket(bucket.name()) {
            let key = key.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tokio::task::spawn_blocking(move || late.append(&key, position, data, body_crc, create)).await;
            });
        }
        return Err(Stop::Drop);
    }
    let result = blocking(&shared.store, || bucket.append(key, position, data, body_crc, create));
    let info = match result {
        Ok(info) => info,
        Err(AppendError::NotAppendable) => {
            return Err(OssError::new(
                StatusCode::CONFLICT,
                "ObjectNotAppendable",
                "The object is not appendable: it was not created by AppendObject.",
            )
            .ec("0026-00000017")
            .into())
        }
        Err(AppendError::PositionNotEqualToLength { length, crc64 }) => {
            return Err(OssError::new(
                StatusCode::CONFLICT,
                "PositionNotEqualToLength",
                "Position is not equal to file length",
            )
            .ec("0026-00000016")
            .header("x-oss-next-append-position", length.to_string())
            .header("x-oss-hash-crc64ecma", crc64.to_string())
            .into())
        }
        Err(AppendError::TooLarge { length }) => {
            // The service does not document the error for an append that would take the object past
            // its size limit; this code and message say plainly what happened.
            let max = shared.store.max_object_size();
            return Err(OssError::new(
                StatusCode::BAD_REQUEST,
                "ObjectSizeTooLarge",
                format!(
                    "The append would make the object {} bytes long, past the maximum object size of {max} bytes.",
                    u128::from(length) + u128::from(body_len)
                ),
            )
            .header("x-oss-next-append-position", length.to_string())
            .into());
        }
        Err(AppendError::Io(e)) => return Err(OssError::internal(format!("writing the append failed: {e}")).into()),
    };
    if shared.faults.take_drop_after_commit() {
        return Err(Stop::Drop);
    }
    if shared.faults.take_gateway_error_after_commit() {
        return Err(Stop::Gateway);
    }
    let crc = if shared.faults.take_corrupt_crc() { info.crc64 ^ 0x5A5A_5A5A_5A5A_5A5A } else { info.crc64 };
    let mut r = response(StatusCode::OK, ResponseBody::empty());
    set(&mut r, "x-oss-next-append-position", &info.length.to_string());
    if !shared.faults.take_omit_crc() {
        set(&mut r, "x-oss-hash-crc64ecma", &crc.to_string());
    }
    set(&mut r, "etag", &info.etag);
    if let Some(sse) = info.header("x-oss-server-side-encryption") {
        set(&mut r, "x-oss-server-side-encryption", sse);
    }
    Ok(r)
}

async fn put_object(
    shared: &Shared,
    bucket: &store::Bucket,
    key: &str,
    headers: &HeaderMap,
    slot: &mut BodySlot,
) -> Reply {
    let create = create_headers(headers, false)?;
    let md5 = content_md5(headers)?;
    let forbid_overwrite =
        header(headers, "x-oss-forbid-overwrite").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    check_content_length(shared, slot)?;
    let received = read_body(shared, slot, shared.store.max_object_size()).await?;
    let digest: [u8; 16] = Md5::digest(&received.data).into();
    if md5.is_some_and(|expected| expected != digest) {
        return Err(md5_mismatch().into());
    }
    let etag = format!("\"{}\"", digest.iter().map(|b| format!("{b:02X}")).collect::<String>());
    let crc = received.crc64;
    let data = shared.store.pool().bytes(received.data);
    let info = match blocking(&shared.store, || bucket.put(key, data, crc, etag, create, forbid_overwrite)) {
        Ok(info) => info,
        Err(PutError::AlreadyExists) => {
            return Err(OssError::new(
                StatusCode::CONFLICT,
                "FileAlreadyExists",
                "The object you specified already exists and can not be overwritten.",
            )
            .ec("0026-00000001")
            .into())
        }
        Err(PutError::Io(e)) => return Err(OssError::internal(format!("writing the object failed: {e}")).into()),
    };
    let mut r = response(StatusCode::OK, ResponseBody::empty());
    set(&mut r, "etag", &info.etag);
    set(&mut r, "x-oss-hash-crc64ecma", &info.crc64.to_string());
    set(&mut r, "content-md5", &base64::engine::general_purpose::STANDARD.encode(digest));
    if let Some(sse) = info.header("x-oss-server-side-encryption") {
        set(&mut r, "x-oss-server-side-encryption", sse);
    }
    Ok(r)
}

/// What a Range header asks for.
#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    /// No range, or one the service ignores (malformed, several ranges, or out of the object without
    /// `x-oss-range-behavior: standard`): the whole object, 200.
    Whole,
    /// `start`, `length`.
    Part(u64, u64),
    /// Nothing of the object is in the range (only with `x-oss-range-behavior: standard`): 416.
    Unsatisfiable,
}

/// The service's reading of a Range header on an object of `length` bytes. Without `standard`
/// (`x-oss-range-behavior: standard`) a range that reaches past the object is ignored: the whole
/// object is sent with 200. With it, a range that starts past the end is refused with 416 and one
/// that ends past it is cut at the end.
fn parse_range(value: Option<&str>, length: u64, standard: bool) -> RangeRequest {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else { return RangeRequest::Whole };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return RangeRequest::Whole };
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| if s.bytes().all(|c| c.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    let out_of_object = if standard { RangeRequest::Unsatisfiable } else { RangeRequest::Whole };
    match (a.is_empty(), b.is_empty()) {
        (true, true) => RangeRequest::Whole,
        (true, false) => match num(b) {
            None => RangeRequest::Whole,
            Some(0) => out_of_object,
            Some(_) if length == 0 => out_of_object,
            Some(n) if n > length && !standard => RangeRequest::Whole,
            Some(n) => {
                let n = n.min(length);
                RangeRequest::Part(length - n, n)
            }
        },
        (false, true) => match num(a) {
            None => RangeRequest::Whole,
            Some(start) if start >= length => out_of_object,
            Some(start) => RangeRequest::Part(start, length - start),
        },
        (false, false) => match (num(a), num(b)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= length {
                    out_of_object
                } else if end >= length && !standard {
                    RangeRequest::Whole
                } else {
                    let end = end.min(length - 1);
                    RangeRequest::Part(start, end - start + 1)
                }
            }
            _ => RangeRequest::Whole,
        },
    }
}

/// The headers GET and HEAD return about an object.
fn object_headers(r: &mut Response<ResponseBody>, info: &ObjectInfo) {
    set(r, "content-type", info.content_type());
    set(r, "etag", &info.etag);
    set(r, "last-modified", &httpdate::fmt_http_date(info.last_modified));
    set(r, "accept-ranges", "bytes");
    set(r, "x-oss-object-type", info.object_type.as_str());
    set(r, "x-oss-hash-crc64ecma", &info.crc64.to_string());
    set(r, "x-oss-storage-class", info.storage_class());
    if info.object_type == ObjectType::Appendable {
        set(r, "x-oss-next-append-position", &info.length.to_string());
    }
    for (name, value) in &info.headers {
        match name.as_str() {
            "content-type" | "x-oss-storage-class" | "x-oss-object-acl" | "x-oss-tagging" => {}
            _ => set(r, name, value),
        }
    }
    if let Some(tagging) = info.header("x-oss-tagging") {
        let count = tagging.split('&').filter(|t| !t.is_empty()).count();
        set(r, "x-oss-tagging-count", &count.to_string());
    }
}

fn get_object(
    bucket: &store::Bucket,
    key: &str,
    parts: &hyper::http::request::Parts,
    query: &[(String, String)],
    ignore_range: bool,
) -> Reply {
    let is_head = parts.method == Method::HEAD;
    let range = header(&parts.headers, "range").filter(|_| !ignore_range).map(str::to_string);
    let standard = header(&parts.headers, "x-oss-range-behavior").is_some_and(|v| v.eq_ignore_ascii_case("standard"));
    let mut wanted = RangeRequest::Whole;
    let (info, snapshot) = bucket
        .read(key, |info| {
            wanted = if is_head { RangeRequest::Whole } else { parse_range(range.as_deref(), info.length, standard) };
            match wanted {
                _ if is_head => None,
                RangeRequest::Whole => Some((0, info.length)),
                RangeRequest::Part(start, len) => Some((start, len)),
                RangeRequest::Unsatisfiable => None,
            }
        })
        .ok_or_else(|| OssError::no_such_key(key))?;
    if wanted == RangeRequest::Unsatisfiable {
        return Err(OssError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "InvalidRange",
            "The requested range cannot be satisfied",
        )
        .extra("ActualObjectSize", info.length.to_string())
        .header("content-range", format!("bytes */{}", info.length))
        .ec("0003-00000405")
        .into());
    }
    let mut r = match (is_head, snapshot) {
        (false, Some(snapshot)) => response(StatusCode::OK, ResponseBody::from_snapshot(snapshot)),
        _ => {
            let mut r = response(StatusCode::OK, ResponseBody::empty());
            set(&mut r, "content-length", &info.length.to_string());
            r
        }
    };
    object_headers(&mut r, &info);
    if let RangeRequest::Part(start, len) = wanted {
        *r.status_mut() = StatusCode::PARTIAL_CONTENT;
        set(&mut r, "content-range", &format!("bytes {start}-{}/{}", start + len - 1, info.length));
    }
    if !is_head {
        for (param, name) in [
            ("response-content-type", "content-type"),
            ("response-content-language", "content-language"),
            ("response-expires", "expires"),
            ("response-cache-control", "cache-control"),
            ("response-content-disposition", "content-disposition"),
            ("response-content-encoding", "content-encoding"),
        ] {
            if let Some((_, value)) = query.iter().find(|(n, _)| n == param) {
                r.headers_mut().remove(name);
                set(&mut r, name, value);
            }
        }
    }
    Ok(r)
}

fn list_buckets(shared: &Shared) -> Response<ResponseBody> {
    let mut w = xml::Writer::new();
    w.open("ListAllMyBucketsResult");
    w.open("Owner").element("ID", "oss-emulator").element("DisplayName", "oss-emulator").close("Owner");
    w.open("Buckets");
    for bucket in shared.store.buckets() {
        w.open("Bucket")
            .element("CreationDate", xml::iso8601_millis(bucket.created()))
            .element("Location", format!("oss-{}", shared.region))
            .element("Name", bucket.name())
            .element("Region", &shared.region)
            .element("StorageClass", "Standard")
            .close("Bucket");
    }
    w.close("Buckets").close("ListAllMyBucketsResult");
    xml_response(w.finish())
}

async fn bucket_operation(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
    bucket: &str,
    query: &[(String, String)],
    slot: &mut BodySlot,
) -> Reply {
    let has = |name: &str| query.iter().any(|(n, _)| n == name);
    let param = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    match parts.method {
        Method::PUT => {
            if let Some((name, _)) = query.first() {
                return Err(OssError::not_implemented(&format!("PutBucket's \"{name}\" sub-resource")).into());
            }
            if !store::valid_bucket_name(bucket) {
                return Err(OssError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidBucketName",
                    "The specified bucket is not valid: use 3 to 63 lower-case letters, digits and hyphens, not starting or ending with a hyphen.",
                )
                .extra("BucketName", bucket)
                .ec("0015-00000001")
                .into());
            }
            // The body (a CreateBucketConfiguration) is read and ignored.
            read_body(shared, slot, 1 << 20).await?;
            let created = blocking(&shared.store, || shared.store.create_bucket(bucket))
                .map_err(|e| OssError::internal(format!("creating the bucket failed: {e}")))?;
            if !created {
                return Err(OssError::new(
                    StatusCode::CONFLICT,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available.",
                )
                .extra("BucketName", bucket)
                .ec("0015-00000104")
                .into());
            }
            Ok(response(StatusCode::OK, ResponseBody::empty()))
        }
        Method::DELETE => {
            if let Some((name, _)) = query.first() {
                return Err(OssError::not_implemented(&format!("DeleteBucket's \"{name}\" sub-resource")).into());
            }
            match blocking(&shared.store, || shared.store.delete_bucket(bucket)) {
                Ok(()) => Ok(response(StatusCode::NO_CONTENT, ResponseBody::empty())),
                Err(store::DeleteBucketError::NoSuchBucket) => Err(OssError::no_such_bucket(bucket).into()),
                Err(store::DeleteBucketError::NotEmpty) => Err(OssError::new(
                    StatusCode::CONFLICT,
                    "BucketNotEmpty",
                    "The bucket you tried to delete is not empty.",
                )
                .extra("BucketName", bucket)
                .ec("0015-00000301")
                .into()),
                Err(store::DeleteBucketError::Io(e)) => {
                    Err(OssError::internal(format!("removing the bucket failed: {e}")).into())
                }
            }
        }
        Method::GET | Method::HEAD => {
            let the_bucket = shared.store.bucket(bucket).ok_or_else(|| OssError::no_such_bucket(bucket))?;
            if parts.method == Method::HEAD {
                return Ok(response(StatusCode::OK, ResponseBody::empty()));
            }
            if has("location") {
                let mut w = xml::Writer::new();
                w.element("LocationConstraint", format!("oss-{}", shared.region));
                return Ok(xml_response(w.finish()));
            }
            if has("bucketInfo") {
                let mut w = xml::Writer::new();
                w.open("BucketInfo").open("Bucket");
                w.element("CreationDate", xml::iso8601_millis(the_bucket.created()))
                    .element("Location", format!("oss-{}", shared.region))
                    .element("Name", bucket)
                    .element("Region", &shared.region)
                    .element("StorageClass", "Standard")
                    .element("AccessControlList", "")
                    .close("Bucket")
                    .close("BucketInfo");
                return Ok(xml_response(w.finish()));
            }
            const UNSUPPORTED: &[&str] = &[
                "acl",
                "cors",
                "lifecycle",
                "logging",
                "website",
                "referer",
                "policy",
                "tagging",
                "versioning",
                "uploads",
                "versions",
            ];
            if let Some(name) = UNSUPPORTED.iter().find(|n| has(n)) {
                return Err(OssError::not_implemented(&format!("the bucket \"{name}\" sub-resource")).into());
            }
            list_objects(shared, &the_bucket, param("list-type") == Some("2"), query)
        }
        _ => Err(OssError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The method {} is not allowed on a bucket.", parts.method),
        )
        .into()),
    }
}

/// ListObjects (V1: `marker`) and ListObjectsV2 (`list-type=2`: `continuation-token`, `start-after`).
fn list_objects(shared: &Shared, bucket: &store::Bucket, v2: bool, query: &[(String, String)]) -> Reply {
    let param = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let prefix = param("prefix").unwrap_or("");
    let delimiter = param("delimiter").unwrap_or("");
    let max_keys = match param("max-keys") {
        None | Some("") => 100,
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n <= 1000 => n as usize,
            _ => {
                return Err(OssError::invalid_argument(format!(
                    "max-keys \"{v}\" is invalid: it must be an integer from 0 to 1000."
                ))
                .ec("0016-00000201")
                .into())
            }
        },
    };
    let encoding = param("encoding-type");
    if encoding.is_some_and(|e| e != "url") {
        return Err(OssError::invalid_argument("encoding-type must be \"url\".").into());
    }
    let url = encoding.is_some();
    let enc = |s: &str| if url { sign::encode_component(s) } else { s.to_string() };
    let token = param("continuation-token");
    let after: Option<String> =
        if v2 {
            match token {
                Some(t) => Some(decode_token(t).ok_or_else(|| {
                    OssError::invalid_argument("The continuation token is invalid.").ec("0016-00000202")
                })?),
                None => param("start-after").map(str::to_string),
            }
        } else {
            param("marker").map(str::to_string)
        };
    let after = after.filter(|a| !a.is_empty());

    // Entries are keys, or common prefixes that roll up the keys under them; a page ends after
    // max-keys entries, and the next page starts after the last entry returned.
    let mut contents: Vec<ObjectInfo> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut last_entry: Option<String> = None;
    bucket.list(prefix, after.as_deref(), |info| {
        let entry = match delimiter {
            "" => None,
            d => info.key[prefix.len()..].find(d).map(|i| info.key[..prefix.len() + i + d.len()].to_string()),
        };
        let name = entry.as_deref().unwrap_or(&info.key);
        if after.as_deref().is_some_and(|a| name <= a) || prefixes.last().is_some_and(|p| p == name) {
            return true;
        }
        if contents.len() + prefixes.len() >= max_keys {
            truncated = true;
            return false;
        }
        last_entry = Some(name.to_string());
        match entry {
            Some(p) => prefixes.push(p),
            None => contents.push(info.clone()),
        }
        true
    });

    let mut w = xml::Writer::new();
    w.open("ListBucketResult");
    w.element("Name", bucket.name()).element("Prefix", enc(prefix));
    if v2 {
        if let Some(t) = token {
            w.element("ContinuationToken", t);
        }
        if let Some(s) = param("start-after") {
            w.element("StartAfter", enc(s));
        }
    } else {
        w.element("Marker", enc(param("marker").unwrap_or("")));
    }
    w.element("MaxKeys", max_keys).element("Delimiter", enc(delimiter));
    if url {
        w.element("EncodingType", "url");
    }
    w.element("IsTruncated", truncated);
    if truncated {
        if let Some(last) = &last_entry {
            if v2 {
                w.element("NextContinuationToken", encode_token(last));
            } else {
                w.element("NextMarker", enc(last));
            }
        }
    }
    for info in &contents {
        w.open("Contents")
            .element("Key", enc(&info.key))
            .element("LastModified", xml::iso8601_millis(info.last_modified))
            .element("ETag", &info.etag)
            .element("Type", info.object_type.as_str())
            .element("Size", info.length)
            .element("StorageClass", info.storage_class());
        if !v2 || param("fetch-owner") == Some("true") {
            w.open("Owner").element("ID", "oss-emulator").element("DisplayName", "oss-emulator").close("Owner");
        }
        w.close("Contents");
    }
    for p in &prefixes {
        w.open("CommonPrefixes").element("Prefix", enc(p)).close("CommonPrefixes");
    }
    if v2 {
        w.element("KeyCount", contents.len() + prefixes.len());
    }
    w.close("ListBucketResult");
    let _ = shared;
    Ok(xml_response(w.finish()))
}

/// Continuation tokens: the last entry of the page, base64 (URL-safe) so that it is opaque and safe
/// in a query.
fn encode_token(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last.as_bytes())
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_host_needs_a_dotted_name_that_is_not_an_ip_or_localhost() {
        assert_eq!(virtual_host_bucket("bucket.oss-cn-hangzhou.aliyuncs.com"), Some("bucket"));
        assert_eq!(virtual_host_bucket("test-bucket.localhost:9000"), Some("test-bucket"));
        assert_eq!(virtual_host_bucket("127.0.0.1:9000"), None);
        assert_eq!(virtual_host_bucket("localhost:9000"), None);
        assert_eq!(virtual_host_bucket("[::1]:9000"), None);
        assert_eq!(virtual_host_bucket("emulator:9000"), None);
    }

    #[test]
    fn targets_decode_keys() {
        assert_eq!(
            target(Some("127.0.0.1:1"), "/b/dir/a%20b%2B%25%3F%23", |_| true).unwrap(),
            (Some("b".into()), Some("dir/a b+%?#".into()))
        );
        assert_eq!(target(Some("b.example.com"), "/k//x", |_| true).unwrap(), (Some("b".into()), Some("k//x".into())));
        // A dotted name for the server itself, with path-style requests.
        let only_b = |name: &str| name == "b";
        assert_eq!(target(Some("emu.lan:9000"), "/b/k", only_b).unwrap(), (Some("b".into()), Some("k".into())));
        assert_eq!(target(Some("b.emu.lan:9000"), "/k", only_b).unwrap(), (Some("b".into()), Some("k".into())));
        assert_eq!(target(None, "/b/", |_| true).unwrap(), (Some("b".into()), None));
        assert_eq!(target(None, "/", |_| true).unwrap(), (None, None));
    }

    #[test]
    fn query_keeps_bare_names_and_decodes() {
        let q = parse_query("append&position=10&x=a%20b").unwrap();
        assert_eq!(q, vec![("append".into(), "".into()), ("position".into(), "10".into()), ("x".into(), "a b".into())]);
        assert_eq!(parse_query("append=&position=0").unwrap()[0], ("append".into(), "".into()));
        assert!(parse_query("a=%FF").is_err());
    }

    #[test]
    fn positions() {
        assert_eq!(parse_position(Some("0")).unwrap(), 0);
        assert_eq!(parse_position(Some("18446744073709551615")).unwrap(), u64::MAX);
        for bad in ["", "-1", "1.5", "abc", "18446744073709551616", " 1"] {
            assert_eq!(parse_position(Some(bad)).unwrap_err().ec, "0016-00000501", "{bad}");
        }
        assert_eq!(parse_position(None).unwrap_err().code, "InvalidArgument");
    }

    #[test]
    fn ranges_with_the_standard_behavior() {
        let r = |spec: Option<&str>| parse_range(spec, 10, true);
        assert_eq!(r(Some("bytes=0-3")), RangeRequest::Part(0, 4));
        assert_eq!(r(Some("bytes=5-")), RangeRequest::Part(5, 5));
        assert_eq!(r(Some("bytes=-3")), RangeRequest::Part(7, 3));
        assert_eq!(r(Some("bytes=-30")), RangeRequest::Part(0, 10));
        assert_eq!(r(Some("bytes=8-100")), RangeRequest::Part(8, 2));
        assert_eq!(r(Some("bytes=10-")), RangeRequest::Unsatisfiable);
        assert_eq!(r(Some("bytes=10-20")), RangeRequest::Unsatisfiable);
        assert_eq!(r(Some("bytes=3-1")), RangeRequest::Whole);
        assert_eq!(r(Some("bytes=0-1,3-4")), RangeRequest::Whole);
        assert_eq!(r(Some("items=0-1")), RangeRequest::Whole);
        assert_eq!(r(None), RangeRequest::Whole);
    }

    #[test]
    fn ranges_past_the_object_are_ignored_without_the_standard_behavior() {
        let r = |spec: &str| parse_range(Some(spec), 10, false);
        assert_eq!(r("bytes=0-3"), RangeRequest::Part(0, 4));
        assert_eq!(r("bytes=5-"), RangeRequest::Part(5, 5));
        assert_eq!(r("bytes=-3"), RangeRequest::Part(7, 3));
        assert_eq!(r("bytes=8-100"), RangeRequest::Whole);
        assert_eq!(r("bytes=10-"), RangeRequest::Whole);
        assert_eq!(r("bytes=10-20"), RangeRequest::Whole);
        assert_eq!(r("bytes=-30"), RangeRequest::Whole);
    }

    #[test]
    fn tokens_round_trip() {
        assert_eq!(decode_token(&encode_token("dir/ü x")), Some("dir/ü x".to_string()));
    }
}
