//! What the fuzz targets share: HTTP messages as bytes (what the seeds are: requests and responses
//! recorded from the tests and the official SDKs' signing cases).

/// A message's head and body: the start line, `name: value` headers, and what follows the blank line.
pub struct Message<'a> {
    pub start: &'a str,
    pub headers: Vec<(&'a [u8], &'a [u8])>,
    pub body: &'a [u8],
}

/// Splits an HTTP/1.1 message; `None` when the head is not text lines.
pub fn message(bytes: &[u8]) -> Option<Message<'_>> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(bytes.len());
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let body = bytes.get(end + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let start = lines.next()?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().as_bytes(), value.trim().as_bytes()))
        .collect();
    Some(Message { start, headers, body })
}
