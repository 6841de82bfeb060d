//! Credentials from the application's token server: a URL that answers a GET with temporary STS
//! keys as JSON, as the official mobile SDKs' auth-server provider reads them. The client fetches
//! them with its own network settings (proxy, trust, timeouts) and caches them until 5 minutes
//! before they expire, or until the service refuses them.

use std::fmt;
use std::io::Read;
use std::time::{Duration, Instant};

use crate::credentials::{parse_expiration, Credentials, RefreshingProvider};
use crate::error::{Argument, Error};
use crate::json::{self, Value};
use crate::net::http::{Agent, Settings};

/// The most of a token server's answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// The longest a token server's answer may take to arrive whole (one dripped a byte at a time
/// would hold every request for ever).
const ANSWER_TIME: Duration = Duration::from_secs(60);

/// The application's token server, for [`ClientBuilder::credentials_url`](crate::ClientBuilder::credentials_url).
///
/// A GET of the URL must answer `200` with JSON in either shape:
///
/// - the app server of Alibaba Cloud's mobile guide: `{"StatusCode": 200, "AccessKeyId": "STS.…",
///   "AccessKeySecret": "…", "SecurityToken": "…", "Expiration": "2026-11-30T12:00:00Z"}` (a
///   `StatusCode` other than 200 is a refusal, with `ErrorCode` and `ErrorMessage` saying why);
/// - STS's own `AssumeRole` answer, relayed: `{"RequestId": "…", "Credentials": {"AccessKeyId": …}}`.
///
/// `SecurityToken` and `Expiration` may be left out (long-lived keys; kept until the service
/// refuses them). Headers (an app's own `Authorization`) go with each GET; their values never appear
/// in messages or `Debug`, and neither does the URL's query.
#[derive(Clone)]
pub struct CredentialsUrl {
    url: String,
    headers: Vec<(String, String)>,
    refresh_before: Duration,
}

impl CredentialsUrl {
    /// The token server at `url` (`https://…`, or `http://` for a server on the device or in tests).
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), headers: Vec::new(), refresh_before: RefreshingProvider::DEFAULT_REFRESH_BEFORE }
    }

    /// Sends this header with each GET (repeatable), such as the app's own `Authorization`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How long before expiration the credentials are fetched again. Default 5 minutes.
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL without its query (which may carry a secret of the app's), for messages.
    fn shown(&self) -> String {
        match self.url.split_once('?') {
            Some((bare, _)) => format!("{bare}?…"),
            None => self.url.clone(),
        }
    }

    /// Checks the URL and headers, and makes the caching provider that fetches with `network`.
    pub(crate) fn provider(self, network: Settings) -> Result<RefreshingProvider, Error> {
        let refuse = |reason: String| Error::invalid(Argument::CredentialsUrl, reason);
        let uri = crate::net::http1::Url::parse(self.url.trim()).map_err(|e| {
            refuse(format!("{} is not an http:// or https:// URL such as https://example.com/sts: {e}", self.shown()))
        })?;
        if !matches!(uri.scheme.as_str(), "http" | "https") || uri.host.is_empty() {
            return Err(refuse(format!("{} is not an http:// or https:// URL with a host", self.shown())));
        }
        if uri.port.is_some() && uri.port_number().is_none() {
            return Err(refuse(format!("{} has a port out of range; a port is 1 to 65535", self.shown())));
        }
        if uri.userinfo.is_some() {
            return Err(refuse(
                "holds a user name or password; send the app's credentials in a header (Authorization)".into(),
            ));
        }
        for (name, value) in &self.headers {
            if !crate::net::http1::is_token(name) {
                return Err(refuse(format!("the header name {name:?} is not a valid HTTP header name")));
            }
            crate::validate::header_value(Argument::CredentialsUrl, value)
                .map_err(|_| refuse(format!("the value of header {name} holds a line break or control character")))?;
        }
        let refresh_before = self.refresh_before;
        let fetcher = Fetcher { url: self, parsed: uri, agent: Agent::new(network) };
        Ok(RefreshingProvider::new(move || fetcher.fetch()).refresh_before(refresh_before))
    }
}

impl fmt::Debug for CredentialsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("CredentialsUrl")
            .field("url", &self.shown())
            .field("headers", &names)
            .field("refresh_before", &self.refresh_before)
            .finish()
    }
}

/// One token server, with its connections.
struct Fetcher {
    url: CredentialsUrl,
    parsed: crate::net::http1::Url,
    agent: Agent,
}

impl Fetcher {
    fn fetch(&self) -> Result<Credentials, Error> {
        let failed =
            |why: String| Error::Credentials { reason: format!("the token server {} {why}", self.url.shown()) };
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        headers.extend(self.url.headers.iter().cloned());
        let target =
            crate::net::http::Target::of(&self.parsed).ok_or_else(|| failed("has a port out of range".into()))?;
        let request = crate::net::http::Request { method: "GET", target, headers: &headers, body: None };
        let response = self.agent.run(request).map_err(|e| failed(format!("could not be reached: {e}")))?;
        let status = response.status;
        let mut body = Vec::new();
        let mut reader = response.into_body();
        let mut chunk = [0u8; 4096];
        let deadline = Instant::now() + ANSWER_TIME;
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(_) if Instant::now() > deadline => {
                    return Err(failed(format!("took more than {} s to answer", ANSWER_TIME.as_secs())))
                }
                Ok(n) if body.len() + n <= MAX_ANSWER => body.extend_from_slice(&chunk[..n]),
                Ok(_) => return Err(failed(format!("answered more than {} KiB", MAX_ANSWER / 1024))),
                Err(e) => return Err(failed(format!("answer was cut: {e}"))),
            }
        }
        if status != 200 {
            let said = json::parse(&body).ok().and_then(|v| refusal(&v)).unwrap_or_default();
            return Err(failed(format!("answered HTTP {status}{said}")));
        }
        sts_answer(&body).map_err(|why| failed(format!("answered {why}")))
    }
}

/// `: ErrorCode: ErrorMessage` of a refusal, when it names them.
fn refusal(answer: &Value) -> Option<String> {
    let code = answer.get("ErrorCode").and_then(Value::text);
    let message = answer.get("ErrorMessage").and_then(Value::text);
    match (code, message) {
        (None, None) => None,
        (code, message) => Some(format!(": {}: {}", code.unwrap_or("?"), message.unwrap_or("?"))),
    }
}

/// The credentials in a token server's JSON answer; the error says what was wrong without quoting
/// any of it but the server's own refusal.
pub(crate) fn sts_answer(body: &[u8]) -> Result<Credentials, String> {
    let answer = json::parse(body).map_err(|e| format!("something that is not JSON: {e}"))?;
    if let Some(code) = answer.get("StatusCode") {
        if code.text() != Some("200") {
            let shown = code.text().map_or_else(|| "that is not a number".to_string(), str::to_string);
            return Err(format!("StatusCode {shown}{}", refusal(&answer).unwrap_or_default()));
        }
    }
    let fields = match answer.get("Credentials") {
        Some(nested @ Value::Object(_)) => nested,
        _ => &answer,
    };
    let field = |name: &str| match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("JSON whose {name} is not a string")),
    };
    let (Some(id), Some(secret)) = (field("AccessKeyId")?, field("AccessKeySecret")?) else {
        return Err("JSON without AccessKeyId and AccessKeySecret".into());
    };
    let mut credentials = Credentials::new(id, secret);
    if let Some(token) = field("SecurityToken")? {
        credentials = credentials.with_security_token(token);
    }
    if let Some(expiration) = field("Expiration")? {
        credentials = credentials.with_expiration(parse_expiration(expiration).map_err(|e| e.to_string())?);
    }
    credentials.validate().map_err(|e| e.to_string())?;
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn both_shapes_of_answer_are_read() {
        let app = br#"{"StatusCode": 200, "AccessKeyId": "STS.id", "AccessKeySecret": "sk",
            "SecurityToken": "tok", "Expiration": "2026-11-30T12:00:00Z"}"#;
        let relayed = br#"{"RequestId": "R", "AssumedRoleUser": {}, "Credentials": {"AccessKeyId": "STS.id",
            "AccessKeySecret": "sk", "SecurityToken": "tok", "Expiration": "2026-11-30T12:00:00Z"}}"#;
        let expiration = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_040_000);
        for body in [&app[..], &relayed[..], br#"{"StatusCode":"200","AccessKeyId":"STS.id","AccessKeySecret":"sk","SecurityToken":"tok","Expiration":"2026-11-30T20:00:00+08:00"}"#] {
            let c = sts_answer(body).unwrap();
            assert_eq!((c.access_key_id(), c.access_key_secret(), c.security_token()), ("STS.id", "sk", Some("tok")));
            assert_eq!(c.expiration(), Some(expiration));
        }
        let long_lived = sts_answer(br#"{"AccessKeyId":"LTAI","AccessKeySecret":"sk"}"#).unwrap();
        assert_eq!((long_lived.security_token(), long_lived.expiration()), (None, None));
        let untimed = sts_answer(br#"{"AccessKeyId":"STS.id","AccessKeySecret":"sk","SecurityToken":"t"}"#).unwrap();
        assert_eq!((untimed.security_token(), untimed.expiration()), (Some("t"), None));
        let timed = sts_answer(br#"{"AccessKeyId":"a","AccessKeySecret":"b","Expiration":"2026-11-30T12:00:00Z"}"#);
        assert_eq!(timed.unwrap().security_token(), None);
    }

    #[test]
    fn bad_answers_say_why_and_never_show_a_secret() {
        for (body, says) in [
            (
                &br#"{"StatusCode":403,"ErrorCode":"AccessDenied","ErrorMessage":"no role"}"#[..],
                "StatusCode 403: AccessDenied: no role",
            ),
            (br#"{"StatusCode":"500"}"#, "StatusCode 500"),
            (br#"{"StatusCode":true,"AccessKeyId":"a","AccessKeySecret":"s3cr3t"}"#, "StatusCode that is not a number"),
            (br#"s3cr3t"#, "not JSON"),
            (br#"{"AccessKeyId":"a"}"#, "without AccessKeyId and AccessKeySecret"),
            (br#"{"AccessKeyId":"a","AccessKeySecret":7}"#, "AccessKeySecret is not a string"),
            (
                br#"{"AccessKeyId":"a","AccessKeySecret":"s3cr3t","SecurityToken":"s3cr3t","Expiration":"soon"}"#,
                "ISO 8601",
            ),
            (br#"{"AccessKeyId":"a","AccessKeySecret":"s3cr3t\n"}"#, "access key secret"),
        ] {
            let err = sts_answer(body).unwrap_err();
            assert!(err.contains(says), "{}: {err}", String::from_utf8_lossy(body));
            assert!(!err.contains("s3cr3t"), "{err}");
        }
    }

    #[test]
    fn debug_shows_no_header_value_or_query() {
        let url =
            CredentialsUrl::new("https://app.example/sts?session=s3cr3t").header("Authorization", "Bearer s3cr3t");
        let shown = format!("{url:?}");
        assert!(shown.contains("https://app.example/sts?…") && shown.contains("Authorization"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}
