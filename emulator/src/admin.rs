//! The admin endpoint (only with `admin` on): fault injection, the request log and object state over
//! HTTP, for tests that drive the emulator from outside the process. Answers are JSON.
//!
//! - `POST /-/emulator/faults?kind=fail&count=N&status=503` (add `&method=HEAD` for one method only)
//! - `POST /-/emulator/faults?kind=delay&count=N&millis=M`
//! - `POST /-/emulator/faults?kind=drop-before-commit&count=N`
//! - `POST /-/emulator/faults?kind=drop-after-commit&count=N`
//! - `POST /-/emulator/faults?kind=corrupt-crc&count=N`
//! - `POST /-/emulator/faults?kind=omit-crc&count=N`
//! - `POST /-/emulator/faults?kind=gateway-error-after-commit&count=N`
//! - `POST /-/emulator/faults?kind=commit-late&count=N&millis=M`
//! - `POST /-/emulator/faults?kind=bare-head&count=N`
//! - `GET /-/emulator/faults` (what is armed), `DELETE /-/emulator/faults` (disarm all)
//! - `GET /-/emulator/requests`, `DELETE /-/emulator/requests`
//! - `GET /-/emulator/object?bucket=B&key=K`
//! - `GET /-/emulator/health`
//! - `GET /-/emulator/sts`: the emulator's STS keys as an app's token server answers them
//!   (`{"StatusCode":200,"AccessKeyId":…,"AccessKeySecret":…,"SecurityToken":…,"Expiration":…}`,
//!   an hour from now when the keys do not expire), for clients' credentials-URL providers

use std::fmt::Write;
use std::time::Duration;

use hyper::header::HeaderValue;
use hyper::{Method, Response, StatusCode};

use crate::body::ResponseBody;
use crate::server::{parse_query, Shared};

/// Paths under this prefix are the admin endpoint.
pub const PREFIX: &str = "/-/emulator/";

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json(status: StatusCode, body: String) -> Response<ResponseBody> {
    let mut r = Response::new(ResponseBody::full(body));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn bad(message: &str) -> Response<ResponseBody> {
    json(StatusCode::BAD_REQUEST, format!("{{\"error\":{}}}", json_str(message)))
}

fn pairs_json(pairs: &[(String, String)]) -> String {
    let items: Vec<String> = pairs.iter().map(|(n, v)| format!("[{},{}]", json_str(n), json_str(v))).collect();
    format!("[{}]", items.join(","))
}

fn pending_json(p: &crate::faults::PendingFaults) -> String {
    let fail: Vec<String> = p.fail.iter().map(|(n, s)| format!("{{\"count\":{n},\"status\":{s}}}")).collect();
    let delay: Vec<String> =
        p.delay.iter().map(|(n, d)| format!("{{\"count\":{n},\"millis\":{}}}", d.as_millis())).collect();
    let fail_method: Vec<String> = p
        .fail_method
        .iter()
        .map(|(n, (m, s))| format!("{{\"count\":{n},\"method\":{},\"status\":{s}}}", json_str(m)))
        .collect();
    let commit_late: Vec<String> =
        p.commit_late.iter().map(|(n, d)| format!("{{\"count\":{n},\"millis\":{}}}", d.as_millis())).collect();
    format!(
        "{{\"fail\":[{}],\"fail_method\":[{}],\"delay\":[{}],\"drop_before_commit\":{},\"drop_after_commit\":{},\"corrupt_crc\":{},\"omit_crc\":{},\"gateway_error_after_commit\":{},\"commit_late\":[{}],\"bare_head\":{},\"ignore_range\":{}}}",
        fail.join(","),
        fail_method.join(","),
        delay.join(","),
        p.drop_before_commit,
        p.drop_after_commit,
        p.corrupt_crc,
        p.omit_crc,
        p.gateway_error_after_commit,
        commit_late.join(","),
        p.bare_head,
        p.ignore_range
    )
}

/// Serves an admin request.
pub async fn handle(shared: &Shared, method: &Method, path: &str, query: Option<&str>) -> Response<ResponseBody> {
    let Ok(query) = parse_query(query.unwrap_or("")) else {
        return bad("the query is not valid percent-encoded UTF-8");
    };
    let param = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let number = |name: &str, default: u64| -> Result<u64, String> {
        match param(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{name} must be a non-negative integer, not \"{v}\"")),
        }
    };
    match (method.as_str(), &path[PREFIX.len()..]) {
        ("GET", "health") => json(StatusCode::OK, "{\"ok\":true}".into()),
        ("GET", "sts") => match shared.keys.sts() {
            None => json(
                StatusCode::OK,
                "{\"StatusCode\":404,\"ErrorCode\":\"NoStsKeys\",\"ErrorMessage\":\"the emulator has no STS keys\"}"
                    .into(),
            ),
            Some(keys) => {
                let expiration =
                    keys.expiration().unwrap_or_else(|| std::time::SystemTime::now() + Duration::from_secs(3600));
                let expiration = time::OffsetDateTime::from(expiration)
                    .replace_nanosecond(0)
                    .ok()
                    .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                    .unwrap_or_default();
                json(
                    StatusCode::OK,
                    format!(
                        "{{\"StatusCode\":200,\"AccessKeyId\":{},\"AccessKeySecret\":{},\"SecurityToken\":{},\"Expiration\":{}}}",
                        json_str(keys.access_key_id()),
                        json_str(keys.access_key_secret()),
                        json_str(keys.security_token().unwrap_or_default()),
                        json_str(&expiration)
                    ),
                )
            }
        },
        ("POST", "faults") => {
            let count = match number("count", 1) {
                Ok(n) => n.min(u32::MAX as u64) as u32,
                Err(e) => return bad(&e),
            };
            match param("kind") {
                Some("fail") => match (number("status", 503), param("method")) {
                    (Ok(status @ 400..=599), None) => shared.faults.fail_next(count, status as u16),
                    (Ok(status @ 400..=599), Some(method)) => {
                        shared.faults.fail_next_method(method, count, status as u16)
                    }
                    (Ok(_), _) => return bad("status must be from 400 to 599"),
                    (Err(e), _) => return bad(&e),
                },
                Some("delay") => match param("millis").map(|_| number("millis", 0)) {
                    Some(Ok(ms)) => shared.faults.delay_next(count, Duration::from_millis(ms)),
                    Some(Err(e)) => return bad(&e),
                    None => return bad("delay needs millis"),
                },
                Some("drop-before-commit") => shared.faults.drop_before_commit(count),
                Some("drop-after-commit") => shared.faults.drop_after_commit(count),
                Some("corrupt-crc") => shared.faults.corrupt_crc(count),
                Some("omit-crc") => shared.faults.omit_crc(count),
                Some("gateway-error-after-commit") => shared.faults.gateway_error_after_commit(count),
                Some("bare-head") => shared.faults.bare_head(count),
                Some("ignore-range") => shared.faults.ignore_range(count),
                Some("commit-late") => match number("millis", 500) {
                    Ok(ms) => shared.faults.commit_late(count, Duration::from_millis(ms)),
                    Err(e) => return bad(&e),
                },
                _ => {
                    return bad(
                        "kind must be fail, delay, drop-before-commit, drop-after-commit, corrupt-crc, omit-crc, ignore-range, \
                         gateway-error-after-commit, commit-late or bare-head",
                    );
                }
            }
            json(StatusCode::OK, pending_json(&shared.faults.pending()))
        }
        ("GET", "faults") => json(StatusCode::OK, pending_json(&shared.faults.pending())),
        ("DELETE", "faults") => {
            shared.faults.clear();
            json(StatusCode::OK, pending_json(&shared.faults.pending()))
        }
        ("GET", "requests") => {
            let requests = shared.recorded();
            let items: Vec<String> = requests
                .iter()
                .map(|r| {
                    format!(
                        "{{\"method\":{},\"path\":{},\"query\":{},\"headers\":{}}}",
                        json_str(&r.method),
                        json_str(&r.path),
                        json_str(&r.query),
                        pairs_json(&r.headers)
                    )
                })
                .collect();
            json(StatusCode::OK, format!("[{}]", items.join(",\n")))
        }
        ("DELETE", "requests") => {
            shared.recorded().clear();
            json(StatusCode::OK, "{\"ok\":true}".into())
        }
        ("GET", "object") => {
            let (Some(bucket), Some(key)) = (param("bucket"), param("key")) else {
                return bad("object needs bucket and key");
            };
            match shared.store.bucket(bucket).and_then(|b| b.head(key)) {
                None => json(StatusCode::NOT_FOUND, "{\"error\":\"no such object\"}".into()),
                Some(info) => json(
                    StatusCode::OK,
                    format!(
                        "{{\"key\":{},\"type\":{},\"length\":{},\"crc64\":{},\"etag\":{},\"headers\":{}}}",
                        json_str(&info.key),
                        json_str(info.object_type.as_str()),
                        info.length,
                        // As a string: a u64 does not fit a JSON number for every reader.
                        json_str(&info.crc64.to_string()),
                        json_str(&info.etag),
                        pairs_json(&info.headers)
                    ),
                ),
            }
        }
        _ => json(StatusCode::NOT_FOUND, "{\"error\":\"no such admin endpoint\"}".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of fault armed is in `GET /-/emulator/faults`.
    #[test]
    fn every_armed_fault_is_listed() {
        let faults = crate::faults::Faults::default();
        faults.commit_late(2, std::time::Duration::from_millis(300));
        faults.bare_head(1);
        faults.ignore_range(3);
        faults.drop_after_commit(4);
        let listed = pending_json(&faults.pending());
        for part in [
            "\"commit_late\":[{\"count\":2,\"millis\":300}]",
            "\"bare_head\":1",
            "\"ignore_range\":3",
            "\"drop_after_commit\":4",
        ] {
            assert!(listed.contains(part), "{part} missing from {listed}");
        }
    }

    #[test]
    fn json_strings_escape() {
        assert_eq!(json_str("a\"b\\c\n\u{1}ü"), "\"a\\\"b\\\\c\\n\\u0001ü\"");
    }
}
