//! Entry points for the fuzz targets (`fuzz/`), compiled only with `--cfg fuzzing` (which cargo-fuzz
//! and `scripts/fuzz.sh` set): the parsers of what a server sends, the spool's record decoder, and
//! the response checks, which are not public API otherwise.

pub use crate::net::http1::Headers as HeaderMap;

use crate::{ObjectMeta, ServiceError};

/// A header map from name/value pairs; pairs that are not valid HTTP are left out, as the HTTP
/// parser would refuse them before the library saw them.
pub fn header_map(headers: &[(&[u8], &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::default();
    for (name, value) in headers {
        let valid_value = value.iter().all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f));
        if let (Ok(name), true) = (std::str::from_utf8(name), valid_value) {
            if crate::net::http1::is_token(name) {
                map.append(name, &String::from_utf8_lossy(value));
            }
        }
    }
    map
}

/// The service error a response of `status` with these headers and body is read as.
pub fn service_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ServiceError {
    crate::transport::parse_service_error(status, headers, body)
}

/// The object metadata a HEAD response with these headers is read as.
pub fn object_meta(headers: &HeaderMap) -> ObjectMeta {
    crate::client::object_meta(headers)
}

/// The seconds the server's `Date` header says its clock is off by.
pub fn clock_offset(headers: &HeaderMap) -> Option<i64> {
    crate::transport::server_clock_offset(headers)
}

/// A spool journal record at the start of `bytes`: (stream offset, mark, payload, size).
pub fn journal_record(bytes: &[u8]) -> Option<(u64, Vec<u8>, Vec<u8>, usize)> {
    crate::spool::journal_decode(bytes)
}

/// A spool journal record's bytes, as the spool writes them.
pub fn journal_encode(offset: u64, mark: &[u8], payload: &[u8]) -> Vec<u8> {
    crate::spool::journal_encode(offset, mark, payload)
}

/// The credentials in a token server's answer, or why there are none.
pub fn sts_answer(bytes: &[u8]) -> Result<crate::Credentials, String> {
    crate::credentials::url::sts_answer(bytes)
}

/// An answer read as the HTTP client reads it, its body given `step` bytes at a time: the head's
/// status and fields, and the body's bytes, or why it is refused (`Err`). `Ok(None)` when the
/// bytes end before the answer does.
#[allow(clippy::type_complexity)]
pub fn http_answer(method: &str, bytes: &[u8], step: usize) -> Result<Option<(u16, HeaderMap, Vec<u8>)>, String> {
    use crate::net::http1::{framing, parse_response_head, Framing};
    let Some((head, used)) = parse_response_head(bytes)? else { return Ok(None) };
    let rest = &bytes[used..];
    let body = match framing(method, &head)? {
        Framing::Empty => Vec::new(),
        Framing::Length(n) if (rest.len() as u64) < n => return Ok(None),
        Framing::Length(n) => rest[..n as usize].to_vec(),
        Framing::Close => rest.to_vec(),
        Framing::Chunked => match crate::net::http1::dechunk(rest, step)? {
            Some((data, _)) => data,
            None => return Ok(None),
        },
    };
    Ok(Some((head.status, head.headers, body)))
}
