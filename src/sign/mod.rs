//! Request signing, as pure functions of (request parts, credentials, time): no I/O, no clock.
//!
//! The client and the emulator both use these: the client to sign, the emulator to check.

pub mod v1;
pub mod v4;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::SystemTime;
use time::OffsetDateTime;

/// Which signature algorithm signs requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureVersion {
    /// `OSS <AK>:<sig>` with HMAC-SHA1, for older deployments.
    V1,
    /// `OSS4-HMAC-SHA256`, the default.
    #[default]
    V4,
}

/// The parts of a request that a signature covers. `Debug` hides security tokens.
#[derive(Clone, Copy)]
pub struct SignRequest<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// Bucket name, when the request is about a bucket or object.
    pub bucket: Option<&'a str>,
    /// Object key, not encoded.
    pub key: Option<&'a str>,
    /// Query parameters, not encoded; an empty value is written as the bare name.
    pub query: &'a [(String, String)],
    /// Request headers as sent (any case).
    pub headers: &'a [(String, String)],
}

impl std::fmt::Debug for SignRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), if is_secret_header(n) { "<redacted>" } else { v.as_str() }))
            .collect();
        f.debug_struct("SignRequest")
            .field("method", &self.method)
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("query", &self.query)
            .field("headers", &headers)
            .finish()
    }
}

/// Headers whose values are credentials.
pub(crate) fn is_secret_header(name: &str) -> bool {
    ["x-oss-security-token", "security-token", "authorization"].iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// Text that may hold a `x-oss-security-token:<token>` line, for `Debug`: the token is hidden.
pub(crate) struct RedactedLines<'a>(pub &'a str);

impl std::fmt::Debug for RedactedLines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lines: Vec<String> = self
            .0
            .split('\n')
            .map(|line| match line.split_once(':') {
                Some((name, _)) if is_secret_header(name) => format!("{name}:<redacted>"),
                _ => line.to_string(),
            })
            .collect();
        std::fmt::Debug::fmt(&lines.join("\n"), f)
    }
}

impl SignRequest<'_> {
    /// The value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Characters left unescaped in V4 canonical parts and request paths: `A-Z a-z 0-9 - _ . ~`.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
/// As [`UNRESERVED`], and `/` too: for paths.
pub(crate) const PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~`.
pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~ /`.
pub fn encode_path(s: &str) -> String {
    utf8_percent_encode(s, PATH).to_string()
}

/// `YYYYMMDDTHHMMSSZ` in UTC, as `x-oss-date` carries it.
pub fn format_iso8601(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses `YYYYMMDDTHHMMSSZ`.
pub fn parse_iso8601(s: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(s, format).ok()?;
    Some(parsed.assume_utc().into())
}

/// RFC 1123 date, as the `Date` header carries it.
pub fn format_http_date(at: SystemTime) -> String {
    httpdate::fmt_http_date(at)
}

/// Parses an RFC 1123 date.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn iso8601_round_trips() {
        let at = UNIX_EPOCH + Duration::from_secs(1702743657);
        assert_eq!(format_iso8601(at), "20231216T162057Z");
        assert_eq!(parse_iso8601("20231216T162057Z"), Some(at));
        assert_eq!(parse_iso8601("2023-12-16"), None);
    }

    #[test]
    fn encoding_leaves_only_unreserved() {
        assert_eq!(encode_component("a b+c/~%"), "a%20b%2Bc%2F~%25");
        assert_eq!(encode_path("dir/a b+ü"), "dir/a%20b%2B%C3%BC");
    }
}
