//! Entry points for the fuzz targets (`fuzz/`), compiled only with `--cfg fuzzing` (which cargo-fuzz
//! and `scripts/fuzz.sh` set): the parsers of what a server sends, the spool's record decoder, and
//! the response checks, which are not public API otherwise.

use ureq::http::{HeaderMap, HeaderName, HeaderValue};

use crate::{ObjectMeta, ServiceError};

/// A header map from name/value pairs; pairs that are not valid HTTP are left out, as the HTTP
/// parser would refuse them before the library saw them.
pub fn header_map(headers: &[(&[u8], &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            map.append(name, value);
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
    crate::credentials_url::sts_answer(bytes)
}
