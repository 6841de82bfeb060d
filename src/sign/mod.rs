//! Request signing, as pure functions of (request parts, credentials, time): no I/O, no clock.
//!
//! The client and the emulator both use these: the client to sign, the emulator to check.

pub mod v1;
pub mod v4;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::SystemTime;

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
    let seconds = unix_seconds(at);
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        // A clock far off (the `time` crate panicked here, past the year 9999).
        return format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", time / 3600, time / 60 % 60, time % 60);
    }
    // Every request is signed with this: digits written directly, without the formatting machinery.
    let mut out = String::with_capacity(16);
    let pairs = [year / 100, year % 100, month, day, time / 3600, time / 60 % 60, time % 60];
    for (i, two) in pairs.into_iter().enumerate() {
        if i == 4 {
            out.push('T');
        }
        out.push(char::from(b'0' + (two / 10) as u8));
        out.push(char::from(b'0' + (two % 10) as u8));
    }
    out.push('Z');
    out
}

/// Whole seconds from 1970-01-01T00:00:00Z to `at`, rounded down (before 1970 too), within `i64`.
pub(crate) fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            (-whole).saturating_sub(i64::from(before.subsec_nanos() > 0))
        }
    }
}

/// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses `YYYYMMDDTHHMMSSZ`.
pub fn parse_iso8601(s: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(s, format).ok()?;
    Some(parsed.assume_utc().into())
}

/// RFC 1123 date, as the `Date` header carries it.
pub fn format_http_date(at: SystemTime) -> String {
    // httpdate writes 1970 to 9999 and panics outside: a clock that far off is written at the end of
    // that range (the service then refuses the request as skewed, and tells its own time).
    let last = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(253_402_300_799);
    httpdate::fmt_http_date(at.clamp(SystemTime::UNIX_EPOCH, last))
}

/// Parses an RFC 1123 date.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};
    use time::OffsetDateTime;

    /// The formatting that the hand-written one replaced, kept as its oracle.
    fn iso8601_by_time(at: SystemTime) -> String {
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

    #[test]
    fn iso8601_is_what_the_time_crate_writes_across_the_calendar() {
        let day = 86_400u64;
        let mut checked = 0;
        // Every day from 1600 to 2500 at a varying time of day, leap years and centuries included,
        // and instants around the epoch with a fraction of a second.
        for n in -135_140i64..=193_700 {
            let seconds = n * day as i64 + (n * 7919).rem_euclid(day as i64);
            let at = if seconds >= 0 {
                UNIX_EPOCH + Duration::from_secs(seconds as u64)
            } else {
                UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
            };
            assert_eq!(format_iso8601(at), iso8601_by_time(at), "{seconds} s from the epoch");
            checked += 1;
        }
        for at in [
            UNIX_EPOCH - Duration::from_millis(500),
            UNIX_EPOCH - Duration::from_secs(86_400) - Duration::from_nanos(1),
            UNIX_EPOCH + Duration::from_millis(999),
            UNIX_EPOCH + Duration::from_secs(253_402_300_799), // 9999-12-31T23:59:59Z
        ] {
            assert_eq!(format_iso8601(at), iso8601_by_time(at), "{at:?}");
        }
        assert_eq!(checked, 328_841);
        // Past the `time` crate's range, where it panicked: written all the same.
        assert_eq!(format_iso8601(UNIX_EPOCH + Duration::from_secs(253_402_300_800)), "100000101T000000Z");
    }

    #[test]
    fn dates_of_a_clock_far_off_are_written_without_a_panic() {
        // A device clock before 1970 or past 9999 (the service refuses the request as skewed and
        // tells its time, which the client then signs with): never a panic.
        let far = [
            UNIX_EPOCH - Duration::from_secs(1),
            UNIX_EPOCH + Duration::from_secs(253_402_300_800),
            UNIX_EPOCH.checked_sub(Duration::from_secs(i64::MAX as u64)).unwrap() - Duration::from_nanos(1),
            UNIX_EPOCH.checked_add(Duration::from_secs(i64::MAX as u64)).unwrap(),
        ];
        for at in far {
            let iso = format_iso8601(at);
            assert!(iso.ends_with('Z') && iso.len() >= 16, "{iso}");
            let http = format_http_date(at);
            assert!(http.ends_with(" GMT"), "{http}");
        }
        assert_eq!(format_http_date(far[0]), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_http_date(far[1]), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

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
