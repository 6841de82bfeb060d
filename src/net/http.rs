//! The library's own HTTP/1.1 client: kept-alive connections, a CONNECT proxy, TLS, and every
//! timeout the configuration names. It does what the library asks of HTTP and no more: requests
//! whose body length is known, answers framed by length, chunks or the connection's end.
//!
//! A small append is one `send` of head and body and one `recv` of the answer; a connection taken
//! from the pool is probed with one more call. The wire format is [`crate::net::http1`]'s; sockets and
//! their timeouts are [`crate::net::tcp`]'s; TLS is [`crate::net::tls`]'s.
//!
//! Timeouts:
//! - connect: resolving, connecting, the proxy's CONNECT and the TLS handshake, together;
//! - read/write: each read or write, and also the whole request head with the first body bytes,
//!   and the whole answer head (a server dripping one byte at a time is not let in for ever);
//! - request (when set): the whole exchange, the answer's body included.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};

use crate::error::TimeoutKind;
use crate::net::http1::{self, Chunked, Framing, Headers, Step};
use crate::net::tcp::{self, Kept};

/// How long an idle connection is kept.
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// The largest output buffer a connection keeps for its next request.
const OUTPUT_KEPT: usize = 64 * 1024;

/// A body of at most this much is copied after the head, for one send of both.
const COPY_MAX: usize = 16 * 1024;

/// A body in memory is sent in parts of at most this much: progress is told for each, before it
/// goes out (a blocking write returns once the socket has taken all of it).
const SLICE_MAX: usize = 256 * 1024;

/// A body from a file or reader is read and sent in parts of this much.
const WRITE_CHUNK: usize = 128 * 1024;

/// A connection's input buffer: the longest head, and some.
const INPUT_BUFFER: usize = http1::MAX_HEAD + 4096;

/// Why an exchange failed, before the library says what that means for the call.
#[derive(Debug)]
pub(crate) enum HttpError {
    Timeout(TimeoutKind),
    /// The host name resolved to nothing.
    HostNotFound(String),
    /// No address of the host (or the proxy) took the connection.
    Connect {
        authority: String,
        error: io::Error,
    },
    Io(io::Error),
    /// The answer is not HTTP/1.1 the client can read.
    Protocol(String),
    Tls(crate::net::tls::TlsFailure),
    /// The proxy answered CONNECT with something else than 200.
    ProxyRefused(String),
    /// Reading the request's body failed (a cancel or the caller's reader): see the body.
    Body(io::Error),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Timeout(kind) => write!(f, "{kind:?} timeout"),
            HttpError::HostNotFound(host) => write!(f, "host {host} not found"),
            HttpError::Connect { authority, error } => write!(f, "cannot connect to {authority}: {error}"),
            HttpError::Io(e) | HttpError::Body(e) => e.fmt(f),
            HttpError::Protocol(why) => write!(f, "the answer is not HTTP/1.1: {why}"),
            HttpError::Tls(tls) => tls.fmt(f),
            HttpError::ProxyRefused(why) => write!(f, "the proxy refused the connection: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for io::Error {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Io(e) => e,
            other => io::Error::other(other),
        }
    }
}

/// An I/O error on a live connection: a socket timeout is the read/write timeout.
fn io_failure(error: io::Error, kind: TimeoutKind) -> HttpError {
    match error.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::Timeout(kind),
        _ => HttpError::Io(error),
    }
}

/// A proxy requests go through: CONNECT to `host:port`, with basic authentication when given.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    host: String,
    port: u16,
    /// `Basic …` for `Proxy-Authorization`.
    authorization: Option<String>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

impl Proxy {
    /// `http://[user:password@]host[:port]` (the scheme may be left out; port 80 when none).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let with_scheme = if text.contains("://") { text.to_string() } else { format!("http://{text}") };
        let url = http1::Url::parse(&with_scheme)?;
        if url.scheme != "http" {
            return Err(format!("the scheme {:?} is not http (a CONNECT proxy)", url.scheme));
        }
        if url.host.is_empty() {
            return Err("no host".into());
        }
        let port = url.port_number().ok_or("the port is out of range")?;
        let authorization = url.userinfo.map(|userinfo| {
            use base64::Engine;
            let decoded = percent_encoding::percent_decode_str(&userinfo).decode_utf8_lossy().into_owned();
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(decoded))
        });
        Ok(Self { host: url.host, port, authorization })
    }
}

/// Which proxy a request goes through, by its scheme and host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Proxies {
    http: Option<Proxy>,
    https: Option<Proxy>,
    /// Hosts reached directly (`NO_PROXY`): `*`, a name (and its subdomains) or an address.
    direct: Vec<String>,
}

impl Proxies {
    /// Every request through `proxy`.
    pub(crate) fn all(proxy: Proxy) -> Self {
        Self { http: Some(proxy.clone()), https: Some(proxy), direct: Vec::new() }
    }

    /// What the environment says: `HTTPS_PROXY` for https, `HTTP_PROXY` for http, `ALL_PROXY` for
    /// both (each in lower case first, then upper), `NO_PROXY` for the hosts reached directly. A
    /// variable that is not a proxy URL is passed over.
    pub(crate) fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| first_text(&lookup, names).and_then(|v| Proxy::parse(&v).ok());
        let all = first(&["all_proxy", "ALL_PROXY"]);
        let direct = first_text(&lookup, &["no_proxy", "NO_PROXY"])
            .map(|list| {
                list.split(',')
                    .map(|h| h.trim().trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Self {
            https: first(&["https_proxy", "HTTPS_PROXY"]).or_else(|| all.clone()),
            http: first(&["http_proxy", "HTTP_PROXY"]).or(all),
            direct,
        }
    }

    /// The proxy for a request to `host` over `https` or not.
    fn for_target(&self, https: bool, host: &str) -> Option<&Proxy> {
        let proxy = if https { self.https.as_ref() } else { self.http.as_ref() }?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let skipped = self.direct.iter().any(|entry| {
            let entry = entry.trim_start_matches('[').split(']').next().unwrap_or_default();
            entry == "*" || host == entry || host.strip_suffix(entry).is_some_and(|rest| rest.ends_with('.'))
        });
        (!skipped).then_some(proxy)
    }
}

/// The first of the variables `names` that is set and not blank.
fn first_text(lookup: &impl Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names.iter().filter_map(|name| lookup(name)).find(|v| !v.trim().is_empty())
}

/// A client's connection settings.
#[derive(Clone)]
pub(crate) struct Settings {
    pub tls: crate::net::tls::LazyConfig,
    pub proxies: Proxies,
    pub connect_timeout: Duration,
    pub read_write_timeout: Duration,
    pub request_timeout: Option<Duration>,
    pub user_agent: String,
    pub max_idle_connections: usize,
}

/// A connection pool with its settings; cheap to clone (shared).
#[derive(Clone)]
pub(crate) struct Agent {
    shared: Arc<Shared>,
}

struct Shared {
    settings: Settings,
    idle: Mutex<Vec<Idle>>,
}

/// Where a connection leads: requests for the same place may share it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Place {
    https: bool,
    host: String,
    port: u16,
}

struct Idle {
    place: Place,
    connection: Connection,
    since: Instant,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'t> {
    pub https: bool,
    /// The host, lower case (brackets around an IPv6 address).
    pub host: &'t str,
    /// The port, and whether the URL names it (then `Host` does too).
    pub port: u16,
    pub port_given: bool,
    /// The path and query, encoded.
    pub path: &'t str,
}

impl<'t> Target<'t> {
    /// The target of a parsed URL (whose port is in range).
    pub(crate) fn of(url: &'t http1::Url) -> Option<Self> {
        Some(Self {
            https: url.scheme == "https",
            host: &url.host,
            port: url.port_number()?,
            port_given: url.port.is_some(),
            path: &url.target,
        })
    }
}

/// One request.
pub(crate) struct Request<'r> {
    pub method: &'r str,
    pub target: Target<'r>,
    pub headers: &'r [(String, String)],
    /// The body (the caller's `Content-Length` says its length).
    pub body: Option<&'r mut dyn Outgoing>,
}

/// A request's body, as the client takes it.
pub(crate) trait Outgoing {
    /// How many bytes it has.
    fn len(&self) -> u64;
    /// Copies its next bytes into `buf`.
    fn read_into(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Its next `max` bytes at most, without a copy, when they are in memory (`None` otherwise:
    /// [`Self::read_into`] then).
    fn next_slice(&mut self, max: usize) -> Option<io::Result<&[u8]>>;
}

/// An answer: its status and head now, its body as it is read.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Headers,
    body: ResponseBody,
}

impl Response {
    /// The body, to read.
    pub(crate) fn into_body(self) -> ResponseBody {
        self.body
    }
}

/// When an exchange must end.
#[derive(Debug, Clone, Copy)]
struct Limits {
    per_io: Duration,
    /// The end of the current head (request or answer), when one is being sent or read.
    head: Option<Instant>,
    /// The end of the whole request (the request timeout).
    whole: Option<Instant>,
}

impl Limits {
    /// How long the next read or write may wait, the timeout that ends it, and the time now.
    fn next(&self) -> Result<(Duration, TimeoutKind, Instant), HttpError> {
        let now = Instant::now();
        let mut wait = (self.per_io, TimeoutKind::ReadWrite);
        for (end, kind) in [(self.head, TimeoutKind::ReadWrite), (self.whole, TimeoutKind::Request)] {
            if let Some(end) = end {
                let left = end.saturating_duration_since(now);
                if left.is_zero() {
                    return Err(HttpError::Timeout(kind));
                }
                if left < wait.0 {
                    wait = (left, kind);
                }
            }
        }
        Ok((wait.0, wait.1, now))
    }
}

impl Agent {
    pub(crate) fn new(settings: Settings) -> Self {
        Self { shared: Arc::new(Shared { settings, idle: Mutex::new(Vec::new()) }) }
    }

    /// Sends `request` and reads its answer's head; the body is read from the response.
    pub(crate) fn run(&self, mut request: Request<'_>) -> Result<Response, HttpError> {
        let settings = &self.shared.settings;
        let started = Instant::now();
        let target = request.target;
        let whole = settings.request_timeout.map(|t| started + t);
        // A kept connection brings its place (no host copied per request); the clock is read again
        // only when a connection had to be made.
        let (mut connection, place, ready) = match self.take_idle(&target, started) {
            Some((connection, place)) => (connection, place, started),
            None => {
                let place = Place { https: target.https, host: target.host.to_string(), port: target.port };
                (self.connect(&place, whole)?, place, Instant::now())
            }
        };
        let mut limits = Limits { per_io: settings.read_write_timeout, head: None, whole };
        // The head, with a small body in the same buffer (the connection's, kept): one send.
        let mut out = std::mem::take(&mut connection.output);
        out.clear();
        let port = target.port_given.then_some(target.port);
        let (method, path, fields) = (request.method, target.path, request.headers);
        http1::write_request_head(&mut out, method, path, target.host, port, fields, &settings.user_agent);
        let mut head_len = out.len();
        limits.head = Some(ready + settings.read_write_timeout);
        let mut left = 0;
        if let Some(body) = request.body.as_deref_mut() {
            left = body.len();
            if left <= COPY_MAX as u64 {
                // From memory it is appended as it is; another body is read into zeroed space.
                while left > 0 {
                    match body.next_slice(left as usize) {
                        Some(Ok(slice)) if !slice.is_empty() => {
                            debug_assert!(slice.len() as u64 <= left, "a slice longer than asked for");
                            out.extend_from_slice(slice);
                            left -= slice.len() as u64;
                        }
                        Some(Ok(_)) => return Err(HttpError::Body(io::ErrorKind::UnexpectedEof.into())),
                        Some(Err(e)) => return Err(HttpError::Body(e)),
                        None => {
                            let at = out.len();
                            out.resize(at + left as usize, 0);
                            read_body(body, &mut out[at..])?;
                            left = 0;
                        }
                    }
                }
            }
        }
        // A larger body goes out from the caller's memory when it is there, else through a buffer;
        // the head goes with its first part.
        let mut buffer = Vec::new();
        loop {
            let part: &[u8] = match request.body.as_deref_mut() {
                Some(_) if left == 0 => &[],
                None => &[],
                Some(body) => match body.next_slice(SLICE_MAX) {
                    Some(Ok(slice)) if !slice.is_empty() => slice,
                    Some(Ok(_)) => return Err(HttpError::Body(io::ErrorKind::UnexpectedEof.into())),
                    Some(Err(e)) => return Err(HttpError::Body(e)),
                    None => {
                        buffer.resize(left.min(WRITE_CHUNK as u64) as usize, 0);
                        read_body(body, &mut buffer)?;
                        &buffer
                    }
                },
            };
            let n = part.len() as u64;
            if let Err(error) = connection.send(&out, part, head_len, &mut limits) {
                // A server that refuses a request from its head may answer at once and close without
                // reading the body: the send then fails, and the answer says why.
                if matches!(error, HttpError::Io(_)) {
                    limits.head = Some(Instant::now() + settings.read_write_timeout);
                    // The request was cut short: its connection is not reused, whatever the answer says.
                    if let Ok(response) = self.answer(connection, request.method, limits, place, false) {
                        if response.status >= 400 {
                            return Ok(response);
                        }
                    }
                }
                return Err(error);
            }
            out.clear();
            head_len = 0;
            left -= n;
            if left == 0 {
                break;
            }
        }
        if out.capacity() <= OUTPUT_KEPT {
            connection.output = out;
        }
        // The answer's head (interim 1xx heads skipped), all within one read/write timeout.
        limits.head = Some(Instant::now() + settings.read_write_timeout);
        self.answer(connection, request.method, limits, place, true)
    }

    /// Reads the answer on `connection` to a `method` request: its head now (within `limits.head`),
    /// its body as the caller reads it; then the connection is kept when `reusable` and the answer
    /// allow it.
    fn answer(
        &self,
        mut connection: Connection,
        method: &str,
        mut limits: Limits,
        place: Place,
        reusable: bool,
    ) -> Result<Response, HttpError> {
        let head = loop {
            let head = connection.read_head(&limits)?;
            if !(100..200).contains(&head.status) || head.status == 101 {
                break head;
            }
        };
        limits.head = None;
        let framing = http1::framing(method, &head).map_err(HttpError::Protocol)?;
        // A connection that brought a server error is not kept: the server (or a proxy before it)
        // is in trouble, and an error body that does not end where its head says would be read by
        // the next request as its answer.
        let keep = reusable && head.keep_alive && head.status < 500 && framing != Framing::Close;
        let mut body = ResponseBody {
            connection: Some(connection),
            state: match framing {
                Framing::Empty | Framing::Length(0) => BodyState::Done,
                Framing::Length(n) => BodyState::Length(n),
                Framing::Chunked => BodyState::Chunked(Chunked::default()),
                Framing::Close => BodyState::Close,
            },
            keep,
            limits,
            agent: self.clone(),
            place,
        };
        body.finish_if_done();
        Ok(Response { status: head.status, headers: head.headers, body })
    }

    /// A kept connection to `target`'s place that is still open, and that place.
    fn take_idle(&self, target: &Target<'_>, now: Instant) -> Option<(Connection, Place)> {
        let mut idle = self.shared.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|i| now.duration_since(i.since) < MAX_IDLE_AGE);
        let here = |p: &Place| p.https == target.https && p.port == target.port && p.host == target.host;
        while let Some(at) = idle.iter().rposition(|i| here(&i.place)) {
            let candidate = idle.swap_remove(at);
            if candidate.connection.is_open() {
                return Some((candidate.connection, candidate.place));
            }
        }
        None
    }

    /// Keeps `connection` for the next request to `place`.
    fn release(&self, place: Place, connection: Connection) {
        let max = self.shared.settings.max_idle_connections;
        if max == 0 {
            return;
        }
        let mut idle = self.shared.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() >= max {
            idle.remove(0);
        }
        idle.push(Idle { place, connection, since: Instant::now() });
    }

    /// A new connection to `place`: through the proxy when there is one, in TLS for https.
    fn connect(&self, place: &Place, whole: Option<Instant>) -> Result<Connection, HttpError> {
        let settings = &self.shared.settings;
        let mut end = Instant::now() + settings.connect_timeout;
        let mut kind = TimeoutKind::Connect;
        if let Some(whole) = whole.filter(|w| *w < end) {
            end = whole;
            kind = TimeoutKind::Request;
        }
        let proxy = settings.proxies.for_target(place.https, &place.host);
        let tcp = match proxy {
            None => open_tcp(&place.host, place.port, end, kind)?,
            Some(proxy) => {
                let tcp = open_tcp(&proxy.host, proxy.port, end, kind)?;
                self.tunnel(tcp, proxy, place, end, kind)?
            }
        };
        let _ = tcp.set_nodelay(true);
        let stream = if place.https {
            let host = place.host.trim_start_matches('[').trim_end_matches(']');
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(HttpError::Timeout(kind));
            }
            Stream::Tls(Box::new(crate::net::tls::handshake(&settings.tls, host, tcp, left, kind)?))
        } else {
            Stream::Plain(tcp)
        };
        Ok(Connection::new(stream))
    }

    /// Asks `proxy` (connected as `tcp`) for a tunnel to `place`.
    fn tunnel(
        &self,
        tcp: TcpStream,
        proxy: &Proxy,
        place: &Place,
        end: Instant,
        kind: TimeoutKind,
    ) -> Result<TcpStream, HttpError> {
        let target = format!("{}:{}", place.host, place.port);
        let mut fields = vec![("Proxy-Connection".to_string(), "Keep-Alive".to_string())];
        if let Some(authorization) = &proxy.authorization {
            fields.push(("Proxy-Authorization".to_string(), authorization.clone()));
        }
        let mut out = Vec::new();
        http1::write_request_head(
            &mut out,
            "CONNECT",
            &target,
            &target,
            None,
            &fields,
            &self.shared.settings.user_agent,
        );
        let mut connection = Connection::new(Stream::Plain(tcp));
        let left = end.saturating_duration_since(Instant::now());
        let mut limits = Limits { per_io: left, head: Some(end), whole: None };
        let timeout = |e: HttpError| match e {
            HttpError::Timeout(_) => HttpError::Timeout(kind),
            other => other,
        };
        connection.send(&out, &[], out.len(), &mut limits).map_err(timeout)?;
        limits.head = Some(end);
        let head = connection.read_head(&limits).map_err(timeout)?;
        if head.status != 200 {
            return Err(HttpError::ProxyRefused(format!("CONNECT {target} was answered {}", head.status)));
        }
        if connection.buffered() > 0 {
            return Err(HttpError::ProxyRefused("the proxy sent bytes after its 200 to CONNECT".into()));
        }
        match connection.stream {
            Stream::Plain(tcp) => Ok(tcp),
            Stream::Tls(_) => unreachable!("a tunnel is asked for on plain TCP"),
        }
    }
}

/// Fills `buf` from the request's body.
fn read_body(body: &mut dyn Outgoing, mut buf: &mut [u8]) -> Result<(), HttpError> {
    while !buf.is_empty() {
        match body.read_into(buf) {
            Ok(0) => return Err(HttpError::Body(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => buf = &mut buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(HttpError::Body(e)),
        }
    }
    Ok(())
}

/// A TCP connection to `host:port`, resolved and connected before `end`.
fn open_tcp(host: &str, port: u16, end: Instant, kind: TimeoutKind) -> Result<TcpStream, HttpError> {
    let authority = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let addrs = resolve(host, port, end).map_err(|e| match e {
        Some(e) => e,
        None => HttpError::Timeout(kind),
    })?;
    let budget = end.saturating_duration_since(Instant::now());
    if budget.is_zero() {
        return Err(HttpError::Timeout(kind));
    }
    tcp::connect(&addrs, Some(budget), |addr, share| TcpStream::connect_timeout(addr, share.unwrap_or(budget))).map_err(
        |error| match error.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::Timeout(kind),
            _ => HttpError::Connect { authority, error },
        },
    )
}

/// The addresses of `host`, asked of the system resolver on another thread so that a resolver that
/// hangs ends at `end` (`Err(None)`).
fn resolve(host: &str, port: u16, end: Instant) -> Result<Vec<SocketAddr>, Option<HttpError>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = bare.to_string();
    std::thread::Builder::new()
        .name("oss-append-resolve".into())
        .spawn(move || {
            let _ = tx.send((name.as_str(), port).to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
        })
        .map_err(|e| Some(HttpError::Io(e)))?;
    match rx.recv_timeout(end.saturating_duration_since(Instant::now())) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(_) => Err(Some(HttpError::HostNotFound(bare.to_string()))),
        Err(_) => Err(None),
    }
}

/// A socket, plain or in TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.sock,
        }
    }
}

/// A connection with what has been read of it and not yet used.
struct Connection {
    stream: Stream,
    /// Made at the first read.
    input: Vec<u8>,
    /// A request's head (and small body), kept from one request to the next.
    output: Vec<u8>,
    /// `input[start..end]` is read and not yet used.
    start: usize,
    end: usize,
    read_timeout: Kept,
    write_timeout: Kept,
}

impl Connection {
    fn new(stream: Stream) -> Self {
        Self {
            stream,
            input: Vec::new(),
            output: Vec::new(),
            start: 0,
            end: 0,
            read_timeout: Kept::default(),
            write_timeout: Kept::default(),
        }
    }

    fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Nothing waiting on the socket, no end of stream: can carry a request. (A connection that
    /// read bytes past its answer is never kept: [`ResponseBody::finish_if_done`].)
    fn is_open(&self) -> bool {
        tcp::probe(self.stream.tcp())
    }

    /// Sends `head` (its first `head_len` bytes are a request's head, which must go out within
    /// `limits.head`; the limit is lifted once they have) and then `body`, in one system call when
    /// the socket takes both.
    fn send(&mut self, head: &[u8], body: &[u8], head_len: usize, limits: &mut Limits) -> Result<(), HttpError> {
        let mut sent = 0;
        let total = head.len() + body.len();
        while sent < total {
            if sent >= head_len {
                limits.head = None;
            }
            let (wait, kind, now) = limits.next()?;
            let parts = if sent < head.len() {
                [io::IoSlice::new(&head[sent..]), io::IoSlice::new(body)]
            } else {
                [io::IoSlice::new(&body[sent - head.len()..]), io::IoSlice::new(&[])]
            };
            let Connection { stream, write_timeout, .. } = self;
            let n = match stream {
                Stream::Plain(tcp) => tcp::within(
                    Some(wait),
                    now,
                    write_timeout,
                    tcp,
                    |t, d| t.set_write_timeout(d),
                    |t| t.write_vectored(&parts),
                ),
                Stream::Tls(tls) => tcp::within(
                    Some(wait),
                    now,
                    write_timeout,
                    &mut **tls,
                    |t, d| t.sock.set_write_timeout(d),
                    |t| t.write_vectored(&parts),
                ),
            }
            .map_err(|e| io_failure(e, kind))?;
            if n == 0 {
                return Err(HttpError::Io(io::ErrorKind::WriteZero.into()));
            }
            sent += n;
        }
        if sent >= head_len {
            limits.head = None;
        }
        self.flush_tls(limits)
    }

    /// Sends what TLS holds back.
    fn flush_tls(&mut self, limits: &Limits) -> Result<(), HttpError> {
        if let Stream::Tls(tls) = &mut self.stream {
            let (wait, kind, now) = limits.next()?;
            tcp::within(
                Some(wait),
                now,
                &mut self.write_timeout,
                &mut **tls,
                |t, d| t.sock.set_write_timeout(d),
                |t| t.flush(),
            )
            .map_err(|e| io_failure(e, kind))?;
        }
        Ok(())
    }

    /// Reads more input: `Ok(0)` at the end of the stream. The input buffer is made once per
    /// connection; what is unread moves to its front when it is full.
    fn fill(&mut self, limits: &Limits) -> Result<usize, HttpError> {
        if self.input.is_empty() {
            self.input = vec![0; INPUT_BUFFER];
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.input.len() && self.start > 0 {
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.input.len() {
            return Err(HttpError::Protocol(format!("a head longer than {} KiB", http1::MAX_HEAD / 1024)));
        }
        let (wait, kind, now) = limits.next()?;
        let Connection { stream, input, end, read_timeout, .. } = self;
        let space = &mut input[*end..];
        let result = match stream {
            Stream::Plain(tcp) => {
                tcp::within(Some(wait), now, read_timeout, tcp, |t, d| t.set_read_timeout(d), |t| t.read(space))
            }
            Stream::Tls(tls) => tcp::within(
                Some(wait),
                now,
                read_timeout,
                &mut **tls,
                |t, d| t.sock.set_read_timeout(d),
                |t| t.read(space),
            ),
        };
        let n = match result {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: the end of the stream, as for TCP.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io_failure(e, kind)),
        };
        *end += n;
        Ok(n)
    }

    /// Reads one response head.
    fn read_head(&mut self, limits: &Limits) -> Result<http1::Head, HttpError> {
        loop {
            if self.buffered() > 0 {
                let parsed = http1::parse_response_head(&self.input[self.start..self.end]);
                if let Some((head, used)) = parsed.map_err(HttpError::Protocol)? {
                    self.start += used;
                    return Ok(head);
                }
            }
            if self.fill(limits)? == 0 {
                return Err(if self.buffered() == 0 {
                    HttpError::Io(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "the server closed the connection without an answer",
                    ))
                } else {
                    HttpError::Protocol("the connection ended in the middle of the answer's head".into())
                });
            }
        }
    }
}

/// Where a body's reading is.
enum BodyState {
    Length(u64),
    Chunked(Chunked),
    Close,
    Done,
}

/// An answer's body; its connection goes back to the pool once the body is read to its end.
pub(crate) struct ResponseBody {
    connection: Option<Connection>,
    state: BodyState,
    keep: bool,
    limits: Limits,
    agent: Agent,
    place: Place,
}

impl ResponseBody {
    /// At the body's end: the connection goes back to the pool (when it may) or is closed.
    fn finish_if_done(&mut self) {
        if matches!(self.state, BodyState::Done) {
            if let Some(connection) = self.connection.take() {
                if self.keep && connection.buffered() == 0 {
                    // Taken once: the connection is gone from this body after it.
                    self.agent.release(std::mem::take(&mut self.place), connection);
                }
            }
        }
    }

    fn read_some(&mut self, buf: &mut [u8]) -> Result<usize, HttpError> {
        loop {
            let Some(connection) = self.connection.as_mut() else { return Ok(0) };
            if matches!(self.state, BodyState::Done) {
                self.finish_if_done();
                return Ok(0);
            }
            if connection.buffered() == 0 && connection.fill(&self.limits)? == 0 {
                return match self.state {
                    BodyState::Close => {
                        self.state = BodyState::Done;
                        self.keep = false;
                        self.connection = None;
                        Ok(0)
                    }
                    _ => Err(HttpError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the connection ended before the answer's body did",
                    ))),
                };
            }
            let available = &connection.input[connection.start..connection.end];
            match &mut self.state {
                BodyState::Length(left) => {
                    let n = (*left).min(available.len() as u64).min(buf.len() as u64) as usize;
                    buf[..n].copy_from_slice(&available[..n]);
                    connection.start += n;
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = BodyState::Done;
                        self.finish_if_done();
                    }
                    return Ok(n);
                }
                BodyState::Close => {
                    let n = available.len().min(buf.len());
                    buf[..n].copy_from_slice(&available[..n]);
                    connection.start += n;
                    return Ok(n);
                }
                BodyState::Chunked(chunked) => {
                    // At most `buf` of data is taken, so that what the decoder counts is what is copied.
                    let offered = &available[..available.len().min(buf.len())];
                    match chunked.step(offered).map_err(HttpError::Protocol)? {
                        Step::Framing(used) => connection.start += used,
                        Step::Data(n) => {
                            buf[..n].copy_from_slice(&offered[..n]);
                            connection.start += n;
                            return Ok(n);
                        }
                        Step::End(used) => {
                            connection.start += used;
                            self.state = BodyState::Done;
                            self.finish_if_done();
                            return Ok(0);
                        }
                    }
                }
                BodyState::Done => unreachable!("handled above"),
            }
        }
    }
}

impl Read for ResponseBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_some(buf).map_err(|e| {
            // A body cut short leaves the connection in no state to reuse.
            self.connection = None;
            io::Error::from(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_come_from_the_environment_as_curl_reads_them() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            Proxies::from_lookup(move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
        };
        let p = env(&[("HTTPS_PROXY", "http://u:p%40ss@proxy:3128"), ("NO_PROXY", "localhost, .internal,10.0.0.1")]);
        let https = p.for_target(true, "oss-cn-hangzhou.aliyuncs.com").unwrap();
        assert_eq!((https.host.as_str(), https.port), ("proxy", 3128));
        use base64::Engine;
        let expected = base64::engine::general_purpose::STANDARD.encode("u:p@ss");
        assert_eq!(https.authorization.as_deref(), Some(format!("Basic {expected}").as_str()));
        assert!(p.for_target(false, "example.com").is_none(), "HTTPS_PROXY is for https only");
        assert!(p.for_target(true, "localhost").is_none());
        assert!(p.for_target(true, "a.internal").is_none());
        assert!(p.for_target(true, "internal").is_none());
        assert!(p.for_target(true, "xinternal").is_some());
        assert!(p.for_target(true, "10.0.0.1").is_none());
        let p = env(&[("ALL_PROXY", "proxy"), ("HTTP_PROXY", "http://plain:1")]);
        assert_eq!(p.for_target(false, "h").unwrap().host, "plain", "HTTP_PROXY before ALL_PROXY");
        assert_eq!(p.for_target(true, "h").unwrap().host, "proxy");
        assert_eq!(p.for_target(true, "h").unwrap().port, 80);
        assert!(env(&[("http_proxy", "socks5://x:1")]).for_target(false, "h").is_none());
        assert!(env(&[("NO_PROXY", "*"), ("ALL_PROXY", "p:1")]).for_target(true, "h").is_none());
        assert!(Proxy::parse("socks5://x:1").is_err());
        assert!(Proxy::parse("http://x:70000").is_err());
        assert!(!format!("{:?}", Proxy::parse("http://u:secret@x:1").unwrap()).contains("secret"));
    }
}
