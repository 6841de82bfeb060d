//! HTTP/1.1 on the wire, and nothing else: URLs, a request's head, a response's head (read with
//! `httparse`), how long its body is, and chunked bodies. No I/O here ([`crate::net::http`] does it).

/// Largest response head read (status line and headers): more is refused.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// Most header fields in one response head.
const MAX_FIELDS: usize = 256;

/// A response's header fields, in the order sent; names compared without regard to case. The
/// fields share one string (one allocation for a whole head).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    text: String,
    /// Each field: where its name starts, where its name ends and its value starts, where its
    /// value ends, in `text`.
    spans: Vec<(usize, usize, usize)>,
}

impl Headers {
    fn with_capacity(bytes: usize, fields: usize) -> Self {
        Self { text: String::with_capacity(bytes), spans: Vec::with_capacity(fields) }
    }

    /// Adds a field (another of the same name is kept too), its value trimmed of spaces.
    pub fn append(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let start = self.text.len();
        self.text.push_str(name.as_ref());
        let middle = self.text.len();
        self.text.push_str(value.as_ref().trim_ascii());
        self.spans.push((start, middle, self.text.len()));
    }

    /// The first field named `name`, its value trimmed of spaces.
    pub fn get<'s>(&'s self, name: &'s str) -> Option<&'s str> {
        self.get_all(name).next()
    }

    /// Every field named `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        // Names compared as bytes, a value sliced only for a field that matches.
        let text = self.text.as_bytes();
        self.spans
            .iter()
            .filter(move |&&(start, middle, _)| text[start..middle].eq_ignore_ascii_case(name.as_bytes()))
            .map(|&(_, middle, end)| &self.text[middle..end])
    }

    /// Every field, as (name, value).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.spans.iter().map(|&(start, middle, end)| (&self.text[start..middle], &self.text[middle..end]))
    }

    /// Whether a field named `name` says `token` among its comma-separated words.
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name).flat_map(|v| v.split(',')).any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

/// An `http://` or `https://` URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// `http` or `https`, lower case.
    pub scheme: String,
    /// Whether the authority held a user name or password (`user:pw@`).
    pub userinfo: Option<String>,
    /// The host, lower case, brackets kept around an IPv6 address.
    pub host: String,
    /// The port as written, when one was (not checked for range here).
    pub port: Option<String>,
    /// The path and query, `/` when empty.
    pub target: String,
}

impl Url {
    /// Splits `text` (`scheme://[user@]host[:port][/path][?query]`).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text.split_once("://").ok_or("no scheme such as https://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return Err("the scheme is not a word".into());
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(end);
        if target.contains('#') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err("the path holds a space, a control character or a fragment".into());
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((user, hostport)) => (Some(user.to_string()), hostport),
            None => (None, authority),
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            let (inside, after) = bracketed.split_once(']').ok_or("an IPv6 address without its ']'")?;
            if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
                return Err("not an IPv6 address between [ and ]".into());
            }
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or("something after the IPv6 address")?.to_string()),
            };
            (format!("[{inside}]"), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port.to_string())),
                None => (hostport.to_string(), None),
            }
        };
        let host_ok = |h: &str| h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b));
        if !host.starts_with('[') && !host_ok(&host) {
            return Err("the host holds characters no host name has".into());
        }
        if port.as_ref().is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
            return Err("the port is not a number".into());
        }
        let target = if target.is_empty() || target.starts_with('?') { format!("/{target}") } else { target.into() };
        Ok(Self { scheme, userinfo, host: host.to_ascii_lowercase(), port, target })
    }

    /// The port as a number (the scheme's when none is written); `None` when out of range.
    pub(crate) fn port_number(&self) -> Option<u16> {
        match &self.port {
            None => Some(if self.scheme == "https" { 443 } else { 80 }),
            Some(port) => port.parse::<u16>().ok().filter(|p| *p != 0),
        }
    }
}

/// Whether `name` can be a header field's name (an HTTP token).
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Writes a request's head into `out`: the request line, `Host` (`host`, and `:port` when
/// given), the given fields (a `User-Agent` unless one is given, `Content-Length: 0` for a POST or
/// PUT that names no length).
pub(crate) fn write_request_head(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    host: &str,
    port: Option<u16>,
    fields: &[(String, String)],
    user_agent: &str,
) {
    out.reserve(256 + fields.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>());
    for part in [method, " ", target, " HTTP/1.1\r\nHost: ", host] {
        out.extend_from_slice(part.as_bytes());
    }
    if let Some(port) = port {
        out.push(b':');
        push_decimal(out, port.into());
    }
    out.extend_from_slice(b"\r\n");
    let mut has_agent = false;
    let mut has_length = false;
    for (name, value) in fields {
        has_agent |= name.eq_ignore_ascii_case("user-agent");
        has_length |= name.eq_ignore_ascii_case("content-length");
        for part in [name.as_str(), ": ", value.as_str(), "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    if !has_agent && !user_agent.is_empty() {
        for part in ["User-Agent: ", user_agent, "\r\n"] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    if !has_length && matches!(method, "POST" | "PUT") {
        out.extend_from_slice(b"Content-Length: 0\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The decimal digits of `n`, without a formatting call: `digits[at..]`.
fn decimal_digits(mut n: u64) -> ([u8; 20], usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (digits, at);
        }
    }
}

/// `n` in decimal, after what `out` holds.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let (digits, at) = decimal_digits(n);
    out.extend_from_slice(&digits[at..]);
}

/// `text` becomes `n` in decimal, in the memory it has.
pub(crate) fn set_decimal(text: &mut String, n: u64) {
    let (digits, at) = decimal_digits(n);
    text.clear();
    text.push_str(std::str::from_utf8(&digits[at..]).expect("decimal digits are ASCII"));
}

/// A response head, read.
#[derive(Debug)]
pub(crate) struct Head {
    pub status: u16,
    pub headers: Headers,
    /// The server keeps the connection open after this answer (HTTP/1.1 without `Connection:
    /// close`).
    pub keep_alive: bool,
}

/// Reads a response head from the start of `input`: `Ok(None)` while it is incomplete, else the
/// head and how many bytes of `input` it took. Past [`MAX_HEAD`] bytes without its end, an error.
pub(crate) fn parse_response_head(input: &[u8]) -> Result<Option<(Head, usize)>, String> {
    // Left uninitialised: httparse writes the fields it finds (no 8 KiB cleared on every answer).
    let mut fields = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_FIELDS];
    let mut response = httparse::Response::new(&mut []);
    let parsed =
        httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut response, input, &mut fields);
    let parsed = parsed.map_err(|e| match e {
        httparse::Error::TooManyHeaders => format!("a head of more than {MAX_FIELDS} header fields"),
        httparse::Error::Version => "invalid HTTP version".to_string(),
        other => format!("a malformed head: {other}"),
    })?;
    let used = match parsed {
        httparse::Status::Partial if input.len() >= MAX_HEAD => {
            return Err(format!("a head longer than {} KiB", MAX_HEAD / 1024))
        }
        httparse::Status::Partial => return Ok(None),
        httparse::Status::Complete(used) => used,
    };
    if used > MAX_HEAD {
        return Err(format!("a head longer than {} KiB", MAX_HEAD / 1024));
    }
    let status = response.code.unwrap_or_default();
    if !(100..=999).contains(&status) {
        return Err(format!("status {status}"));
    }
    let mut headers = Headers::with_capacity(used, response.headers.len());
    // The head is checked as UTF-8 once, and each value taken from it by its place; a head that is
    // not UTF-8 has its values made lossy one by one.
    let text = std::str::from_utf8(&input[..used]).ok();
    for field in response.headers.iter() {
        let at = (field.value.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
        match text.and_then(|text| text.get(at..)?.get(..field.value.len())) {
            Some(value) => headers.append(field.name, value),
            None => headers.append(field.name, String::from_utf8_lossy(field.value)),
        }
    }
    let http11 = response.version == Some(1);
    let keep_alive =
        if http11 { !headers.has_token("connection", "close") } else { headers.has_token("connection", "keep-alive") };
    Ok(Some((Head { status, headers, keep_alive }, used)))
}

/// How a response's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (a HEAD's answer, 204, 304).
    Empty,
    /// This many bytes.
    Length(u64),
    /// Chunks, up to the last (empty) one.
    Chunked,
    /// Up to the end of the connection.
    Close,
}

/// How the body of the answer `head` to a `method` request ends; an error for framing headers that
/// contradict themselves.
pub(crate) fn framing(method: &str, head: &Head) -> Result<Framing, String> {
    if method == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200 {
        return Ok(Framing::Empty);
    }
    let encodings: Vec<&str> = head.headers.get_all("transfer-encoding").flat_map(|v| v.split(',')).collect();
    if !encodings.is_empty() {
        let chunked_last = encodings.last().is_some_and(|e| e.trim().eq_ignore_ascii_case("chunked"));
        let chunked_count = encodings.iter().filter(|e| e.trim().eq_ignore_ascii_case("chunked")).count();
        if !chunked_last || chunked_count != 1 {
            return Err(format!("a Transfer-Encoding of {:?}", encodings.join(",").trim()));
        }
        if head.headers.get("content-length").is_some() {
            return Err("both Transfer-Encoding and Content-Length".into());
        }
        return Ok(Framing::Chunked);
    }
    let mut lengths = head.headers.get_all("content-length").flat_map(|v| v.split(','));
    match lengths.next() {
        None => Ok(Framing::Close),
        Some(first) => {
            let first = first.trim();
            let length = first
                .parse::<u64>()
                .ok()
                .filter(|_| first.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| format!("a Content-Length of {first:?}"))?;
            if lengths.any(|other| other.trim() != first) {
                return Err("Content-Length fields that differ".into());
            }
            Ok(Framing::Length(length))
        }
    }
}

/// Reads a chunked body: fed the bytes as they come, it says which are data.
#[derive(Debug, Default)]
pub(crate) struct Chunked {
    state: ChunkState,
    /// The size line (or trailer line) read so far.
    line: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk's size line.
    #[default]
    Size,
    /// This much data of the chunk is left.
    Data(u64),
    /// The CRLF after a chunk's data.
    DataEnd,
    /// Trailer lines after the last chunk, up to an empty one.
    Trailer,
    /// The body has ended.
    Done,
}

/// Longest chunk size line or trailer line.
const MAX_CHUNK_LINE: usize = 4096;

/// What [`Chunked::step`] found in its input.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// This many bytes were framing: consumed, no data.
    Framing(usize),
    /// This many bytes at the start are data.
    Data(usize),
    /// The body ended after this many bytes (the rest belongs to no one).
    End(usize),
}

impl Chunked {
    /// Reads from the start of `input` (not empty): framing is consumed, data is handed back.
    pub(crate) fn step(&mut self, input: &[u8]) -> Result<Step, String> {
        match self.state {
            ChunkState::Data(left) => {
                let n = (left.min(input.len() as u64)) as usize;
                self.state = if left == n as u64 { ChunkState::DataEnd } else { ChunkState::Data(left - n as u64) };
                Ok(Step::Data(n))
            }
            ChunkState::Done => Ok(Step::End(0)),
            ChunkState::Size | ChunkState::DataEnd | ChunkState::Trailer => {
                let Some(newline) = input.iter().position(|&b| b == b'\n') else {
                    self.line.extend_from_slice(input);
                    if self.line.len() > MAX_CHUNK_LINE {
                        return Err("a chunk line longer than 4 KiB".into());
                    }
                    return Ok(Step::Framing(input.len()));
                };
                self.line.extend_from_slice(&input[..newline]);
                let used = newline + 1;
                let line = std::mem::take(&mut self.line);
                let line = line.strip_suffix(b"\r").unwrap_or(&line);
                if line.len() > MAX_CHUNK_LINE {
                    return Err("a chunk line longer than 4 KiB".into());
                }
                match self.state {
                    ChunkState::DataEnd => {
                        if !line.is_empty() {
                            return Err("a chunk longer than its size".into());
                        }
                        self.state = ChunkState::Size;
                    }
                    ChunkState::Size => {
                        // httparse reads the size and skips extensions; a line without a digit
                        // (which it takes as 0) is refused here.
                        let bad = || format!("a chunk size line of {:?}", String::from_utf8_lossy(line));
                        let mut full = Vec::with_capacity(line.len() + 2);
                        full.extend_from_slice(line);
                        full.extend_from_slice(b"\r\n");
                        let size = match httparse::parse_chunk_size(&full) {
                            Ok(httparse::Status::Complete((_, size)))
                                if line.first().is_some_and(u8::is_ascii_hexdigit) =>
                            {
                                size
                            }
                            _ => return Err(bad()),
                        };
                        self.state = if size == 0 { ChunkState::Trailer } else { ChunkState::Data(size) };
                    }
                    _ => {
                        if line.is_empty() {
                            self.state = ChunkState::Done;
                            return Ok(Step::End(used));
                        }
                    }
                }
                Ok(Step::Framing(used))
            }
        }
    }
}

/// The data of a whole chunked body at the start of `body`, fed to [`Chunked`] `step` bytes at a
/// time, and where the body ended; `None` when `body` ends first. (For the tests and fuzzing.)
#[cfg(any(test, fuzzing))]
pub(crate) fn dechunk(body: &[u8], step: usize) -> Result<Option<(Vec<u8>, usize)>, String> {
    let mut chunked = Chunked::default();
    let (mut data, mut at) = (Vec::new(), 0);
    while at < body.len() {
        let end = (at + step.max(1)).min(body.len());
        match chunked.step(&body[at..end])? {
            Step::Framing(n) => at += n,
            Step::Data(n) => {
                data.extend_from_slice(&body[at..at + n]);
                at += n;
            }
            Step::End(n) => return Ok(Some((data, at + n))),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_text_and_bytes_that_are_not_utf8_are_replaced() {
        let head = b"HTTP/1.1 200 OK\r\nETag: \"caf\xc3\xa9\"\r\nEmpty:\r\nx-oss-request-id:  id-1 \r\n\r\n";
        let (parsed, used) = parse_response_head(head).unwrap().unwrap();
        assert_eq!(used, head.len());
        let head = parsed;
        assert_eq!(head.headers.get("etag"), Some("\"caf\u{e9}\""));
        assert_eq!(head.headers.get("empty"), Some(""));
        assert_eq!(head.headers.get("X-OSS-Request-Id"), Some("id-1"));
        let broken = b"HTTP/1.1 200 OK\r\nETag: \"caf\xff\"\r\nx-oss-request-id: id-2\r\n\r\n";
        let (head, _) = parse_response_head(broken).unwrap().unwrap();
        assert_eq!(head.headers.get("etag"), Some("\"caf\u{fffd}\""));
        assert_eq!(head.headers.get("x-oss-request-id"), Some("id-2"));
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut text = String::from("a longer text before");
        for n in [0, 7, 10, 443, 65_535, 5 << 30, u64::MAX] {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
            set_decimal(&mut text, n);
            assert_eq!(text, n.to_string());
        }
    }

    #[test]
    fn urls_are_split() {
        let u = Url::parse("https://User:pw@Example.COM:8443/a/b?x=1").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.userinfo.as_deref(), u.host.as_str(), u.port.as_deref(), u.target.as_str()),
            ("https", Some("User:pw"), "example.com", Some("8443"), "/a/b?x=1")
        );
        assert_eq!(u.port_number(), Some(8443));
        let u = Url::parse("http://[::1]:9000").unwrap();
        assert_eq!((u.host.as_str(), u.port_number(), u.target.as_str()), ("[::1]", Some(9000), "/"));
        assert_eq!(Url::parse("http://h?x").unwrap().target, "/?x");
        assert_eq!(Url::parse("http://h").unwrap().port_number(), Some(80));
        assert_eq!(Url::parse("http://h:99999").unwrap().port_number(), None);
        assert_eq!(Url::parse("http://h:0").unwrap().port_number(), None);
        for bad in ["h", "http://a b", "http://h:x", "http://h:", "http://[zz]", "http://h/a b", "http://h/#f", "://h"]
        {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_request_head_has_host_agent_and_a_length() {
        let mut out = Vec::new();
        write_request_head(&mut out, "PUT", "/b/k?x", "h", Some(1), &[("X-A".into(), "1".into())], "ua/1");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "PUT /b/k?x HTTP/1.1\r\nHost: h:1\r\nX-A: 1\r\nUser-Agent: ua/1\r\nContent-Length: 0\r\n\r\n"
        );
        let mut out = Vec::new();
        write_request_head(&mut out, "GET", "/", "h", None, &[("user-agent".into(), "mine".into())], "ua/1");
        assert_eq!(String::from_utf8(out).unwrap(), "GET / HTTP/1.1\r\nHost: h\r\nuser-agent: mine\r\n\r\n");
    }

    fn head(text: &str) -> Head {
        parse_response_head(text.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn response_heads_and_their_framing() {
        let input = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Oss-A:  v \r\n\r\nhello";
        let (h, used) = parse_response_head(input).unwrap().unwrap();
        assert_eq!((h.status, used, h.keep_alive), (200, input.len() - 5, true));
        assert_eq!(h.headers.get("x-oss-a"), Some("v"));
        assert_eq!(framing("GET", &h), Ok(Framing::Length(5)));
        assert_eq!(framing("HEAD", &h), Ok(Framing::Empty));
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\nA: b\r\n").unwrap().is_none());
        assert!(!head("HTTP/1.1 200 OK\r\nConnection: x, Close\r\n\r\n").keep_alive);
        assert!(!head("HTTP/1.0 200 OK\r\n\r\n").keep_alive);
        assert!(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").keep_alive);
        assert_eq!(framing("GET", &head("HTTP/1.1 200 OK\r\n\r\n")), Ok(Framing::Close));
        assert_eq!(framing("GET", &head("HTTP/1.1 204 OK\r\nContent-Length: 9\r\n\r\n")), Ok(Framing::Empty));
        assert_eq!(
            framing("GET", &head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")),
            Ok(Framing::Chunked)
        );
        assert_eq!(framing("GET", &head("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n")), Ok(Framing::Length(7)));
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
        ] {
            assert!(framing("GET", &head(bad)).is_err(), "{bad}");
        }
        assert!(parse_response_head(b"HTTP/9.1 200 OK\r\n\r\n").is_err());
        assert!(parse_response_head(b"junk\r\n\r\n").is_err());
        let mut endless = b"HTTP/1.1 200 OK\r\n".to_vec();
        while endless.len() < MAX_HEAD {
            endless.extend_from_slice(b"x-oss-meta-a: bbbbbbbbbbbbbbbbbbbbbbbb\r\n");
        }
        assert!(parse_response_head(&endless).is_err());
    }

    #[test]
    fn chunked_bodies_are_read_whatever_the_pieces() {
        let body = b"5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, 100] {
            let (data, end) = dechunk(body, step).unwrap().unwrap();
            assert_eq!(data, b"hello 0123456789", "step {step}");
            assert_eq!(&body[end..], b"NEXT", "step {step}");
        }
        assert!(dechunk(b"5\r\nhelloX\r\n0\r\n\r\n", 100).is_err());
        assert!(dechunk(b"zz\r\n", 100).is_err());
        assert!(dechunk(b"-1\r\n", 100).is_err());
        assert!(dechunk(b"+5\r\nhello\r\n0\r\n\r\n", 100).is_err());
        assert!(dechunk(b" 5\r\nhello\r\n0\r\n\r\n", 100).is_err());
        assert!(dechunk(b"\r\n\r\n", 100).is_err(), "a size line without a digit is not the last chunk");
        assert!(dechunk(b";ext\r\n\r\n", 100).is_err());
        assert!(dechunk(b"11111111111111111\r\n", 100).is_err());
        assert!(dechunk(&[b'1'; 5000], 100).is_err());
        assert_eq!(dechunk(b"5\r\nhel", 100), Ok(None), "cut");
    }
}
