//! STS credentials from the application's token server (`ClientBuilder::credentials_url`): fetched
//! once and cached, fetched again when the service refuses them, refusals and bad answers as
//! credentials errors that show no secret, bad URLs refused at build, and the client's trust and
//! proxy used for the token server too.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime};

use common::*;
use oss_append::{AppendOptions, Argument, Client, Config, Credentials, CredentialsUrl, Error, ServiceErrorKind};
use oss_emulator::proxy::ConnectProxy;
use oss_emulator::Emulator;

/// A token server on 127.0.0.1: answers the n-th GET (from 0) with `answer(n)`, a status and a
/// body, and remembers each request's head.
struct TokenServer {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl TokenServer {
    fn start(answer: impl Fn(usize) -> (u16, String) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/sts?session=s3cr3t-session", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                while reader.read_line(&mut head).unwrap_or(0) > 0 && !head.ends_with("\r\n\r\n") {}
                let n = {
                    let mut heads = seen.lock().unwrap();
                    heads.push(head);
                    heads.len() - 1
                };
                let (status, body) = answer(n);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenServer { url, heads }
    }

    fn fetches(&self) -> usize {
        self.heads.lock().unwrap().len()
    }
}

/// The answer of Alibaba Cloud's mobile guide's app server.
fn app_answer(id: &str, secret: &str, token: &str, lasts: Duration) -> String {
    let expiration = time::OffsetDateTime::from(SystemTime::now() + lasts).replace_nanosecond(0).unwrap();
    let expiration = expiration.format(&time::format_description::well_known::Rfc3339).unwrap();
    format!(
        r#"{{"StatusCode":200,"AccessKeyId":"{id}","AccessKeySecret":"{secret}","SecurityToken":"{token}","Expiration":"{expiration}"}}"#
    )
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn sts_keys_are_fetched_once_with_the_apps_header_and_sign_every_request() {
    let emu = emulator();
    let server = TokenServer::start(|_| (200, app_answer(STS_AK, STS_SK, STS_TOKEN, HOUR)));
    let url = CredentialsUrl::new(&server.url).header("Authorization", "Bearer app-token");
    let client = builder(&emu).credentials_url(url).build().unwrap();
    assert_eq!(server.fetches(), 0, "nothing is fetched before a request needs it");
    let mut log = client.appender(BUCKET, "sts-url.log");
    for line in ["one\n", "two\n", "three\n"] {
        log.append(line.as_bytes()).unwrap();
    }
    assert_eq!(client.get_object_to_vec(BUCKET, "sts-url.log", None).unwrap(), b"one\ntwo\nthree\n");
    assert_eq!(server.fetches(), 1, "fetched once, cached for the hour");
    let head = server.heads.lock().unwrap()[0].clone();
    assert!(head.starts_with("GET /sts?session=s3cr3t-session HTTP/1.1\r\n"), "{head}");
    // Field names are case-insensitive; the value is the app's, as given.
    let authorization =
        head.lines().find_map(|l| l.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case("authorization")));
    assert_eq!(authorization.map(|(_, v)| v), Some("Bearer app-token"), "{head}");
    // The requests to OSS were signed with the fetched token.
    let tokens: Vec<String> = emu
        .requests()
        .iter()
        .filter_map(|r| r.headers.iter().find(|(n, _)| n == "x-oss-security-token").map(|(_, v)| v.clone()))
        .collect();
    assert!(!tokens.is_empty() && tokens.iter().all(|t| t == STS_TOKEN), "{tokens:?}");
}

#[test]
fn keys_the_service_refuses_as_expired_are_fetched_again() {
    // The service takes the first keys for a second; the token server says they last an hour.
    let emu = Emulator::builder()
        .expiring_sts_credentials("sts-a", "sk-a", "token-a", SystemTime::now() + Duration::from_secs(1))
        .sts_credentials("sts-b", "sk-b", "token-b")
        .bucket(BUCKET)
        .start()
        .unwrap();
    let server = TokenServer::start(|n| match n {
        0 => (200, app_answer("sts-a", "sk-a", "token-a", HOUR)),
        _ => (200, app_answer("sts-b", "sk-b", "token-b", HOUR)),
    });
    let client = builder(&emu).credentials_url(CredentialsUrl::new(&server.url)).build().unwrap();
    let append = |data: &[u8], position| {
        client.append_object(BUCKET, "expiring.log", data, &AppendOptions::new().position(position))
    };
    append(b"first ", 0).unwrap();
    thread::sleep(Duration::from_millis(1200));
    let err = append(b"second", 6).unwrap_err();
    assert_eq!(err.service().map(|e| e.kind), Some(ServiceErrorKind::SecurityTokenExpired), "{err:?}");
    append(b"second", 6).unwrap();
    assert_eq!(emu.object_data(BUCKET, "expiring.log").unwrap(), b"first second");
    assert_eq!(server.fetches(), 2);
}

#[test]
fn refusals_and_bad_answers_are_credentials_errors_that_show_no_secret() {
    let emu = emulator();
    let cases: Vec<(u16, String, &str)> = vec![
        (
            200,
            r#"{"StatusCode":403,"ErrorCode":"AccessDenied","ErrorMessage":"not your role"}"#.into(),
            "StatusCode 403: AccessDenied: not your role",
        ),
        (
            500,
            r#"{"StatusCode":500,"ErrorCode":"InternalError","ErrorMessage":"STS is down"}"#.into(),
            "answered HTTP 500: InternalError: STS is down",
        ),
        (502, "<html>s3cr3t</html>".into(), "answered HTTP 502"),
        (200, "AccessKeySecret=s3cr3t".into(), "not JSON"),
        (200, format!("{{\"AccessKeySecret\":\"s3cr3t\",\"pad\":\"{}\"}}", "x".repeat(70_000)), "more than 64 KiB"),
        (200, r#"{"AccessKeyId":"a"}"#.into(), "without AccessKeyId and AccessKeySecret"),
        (
            200,
            r#"{"AccessKeyId":"a","AccessKeySecret":"s3cr3t","SecurityToken":"s3cr3t","Expiration":"tomorrow"}"#.into(),
            "ISO 8601",
        ),
    ];
    for (status, body, says) in cases {
        let server = TokenServer::start(move |_| (status, body.clone()));
        let client = builder(&emu).credentials_url(CredentialsUrl::new(&server.url)).build().unwrap();
        let err = client.head_object(BUCKET, "any").unwrap_err();
        let Error::Credentials { reason } = &err else { panic!("{says}: {err:?}") };
        assert!(reason.contains(says), "{reason}");
        assert!(reason.contains("/sts?…"), "the server is named, without its query: {reason}");
        assert!(!reason.contains("s3cr3t") && !format!("{err:?}").contains("s3cr3t"), "{reason}");
        assert!(!err.is_retryable());
    }
    // A token server that is not there.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client =
        builder(&emu).credentials_url(CredentialsUrl::new(format!("http://127.0.0.1:{port}/sts"))).build().unwrap();
    let err = client.head_object(BUCKET, "any").unwrap_err();
    assert!(matches!(&err, Error::Credentials { reason } if reason.contains("could not be reached")), "{err:?}");
}

#[test]
fn bad_urls_and_headers_are_refused_when_the_client_is_made() {
    let emu = emulator();
    let refused = |url: CredentialsUrl| match builder(&emu).credentials_url(url).build() {
        Err(Error::InvalidArgument { argument: Argument::CredentialsUrl, reason }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(refused(CredentialsUrl::new("ftp://app.example/sts")).contains("http:// or https://"));
    assert!(refused(CredentialsUrl::new("app.example/sts")).contains("http:// or https://"));
    assert!(refused(CredentialsUrl::new("https://exa mple/sts")).contains("such as https://example.com/sts"));
    let reason = refused(CredentialsUrl::new("https://me:s3cr3t@app.example/sts"));
    assert!(reason.contains("user name or password") && !reason.contains("s3cr3t"), "{reason}");
    let reason =
        refused(CredentialsUrl::new("https://app.example/sts").header("Authorization", "Bearer s3cr3t\r\nX: y"));
    assert!(reason.contains("line break") && !reason.contains("s3cr3t"), "{reason}");
    assert!(refused(CredentialsUrl::new("https://app.example/sts").header("Bad Name", "v")).contains("header name"));
    // Credentials and a URL both: which one signs would be a guess.
    let mut config = Config::default();
    config.endpoint = emu.endpoint();
    config.region = Some("cn-hangzhou".into());
    config.credentials = Some(Arc::new(Credentials::new(AK, SK)));
    config.credentials_url = Some(CredentialsUrl::new("https://app.example/sts"));
    let err = Client::new(config).unwrap_err();
    assert!(matches!(&err, Error::Credentials { reason } if reason.contains("use one")), "{err:?}");
}

#[test]
fn the_token_server_is_reached_with_the_clients_trust_and_proxy() {
    // The emulator serves its own STS keys as a token server would, over HTTPS with its own CA.
    let emu = Emulator::builder()
        .sts_credentials(STS_AK, STS_SK, STS_TOKEN)
        .bucket(BUCKET)
        .admin(true)
        .tls_generated()
        .unwrap()
        .start()
        .unwrap();
    let proxy = ConnectProxy::start().unwrap();
    let url = CredentialsUrl::new(format!("{}/-/emulator/sts", emu.endpoint()));
    let client = Client::builder()
        .endpoint(emu.endpoint())
        .region("cn-hangzhou")
        .ca_bundle_pem(emu.ca_pem().unwrap())
        .proxy(proxy.url())
        .credentials_url(url.clone())
        .build()
        .unwrap();
    client.append_object(BUCKET, "tls-sts.log", b"fetched over tls", &AppendOptions::new()).unwrap();
    assert_eq!(client.get_object_to_vec(BUCKET, "tls-sts.log", None).unwrap(), b"fetched over tls");
    assert!(proxy.tunnels().len() >= 2, "the token server and OSS, both through the proxy: {:?}", proxy.tunnels());
    // Without the CA, the token server is not trusted: a credentials error that says why.
    let untrusting =
        Client::builder().endpoint(emu.endpoint()).region("cn-hangzhou").credentials_url(url).build().unwrap();
    let err = untrusting.head_object(BUCKET, "tls-sts.log").unwrap_err();
    assert!(matches!(&err, Error::Credentials { reason } if reason.contains("could not be reached")), "{err:?}");
}
