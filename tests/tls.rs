//! HTTPS against the emulator serving TLS: trust (a CA bundle added to the platform's store or
//! alone), each kind of TLS failure (never retried, each with its fix), a 64 MiB file, and requests
//! through a CONNECT proxy.

mod common;

use std::net::TcpListener;

use common::*;
use oss_append::crc64::checksum;
use oss_append::{AppendOptions, Argument, Body, Client, Credentials, Error, TlsErrorKind};
use oss_emulator::proxy::ConnectProxy;
use oss_emulator::tls::{Authority, LOCAL_NAMES};
use oss_emulator::Emulator;

fn tls_emulator() -> Emulator {
    Emulator::builder().credentials(AK, SK).bucket(BUCKET).tls_generated().unwrap().start().unwrap()
}

/// A client of `endpoint` (one attempt: a TLS failure must not be retried anyway).
fn client_of(endpoint: &str, configure: impl FnOnce(oss_append::ClientBuilder) -> oss_append::ClientBuilder) -> Client {
    configure(
        Client::builder()
            .endpoint(endpoint)
            .region("cn-hangzhou")
            .credentials(Credentials::new(AK, SK))
            .retry_policy(oss_append::RetryPolicy::none()),
    )
    .build()
    .unwrap()
}

fn tls_kind(error: &Error) -> Option<TlsErrorKind> {
    match error {
        Error::Tls { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[test]
fn the_test_suites_run_over_https_when_asked() {
    // scripts/test.sh runs the wire suites a second time with OSS_APPEND_TEST_TLS=1.
    let emu = emulator();
    assert_eq!(emu.endpoint().starts_with("https://"), over_tls(), "{}", emu.endpoint());
}

#[test]
fn appends_reads_and_a_64_mib_file_over_https_with_a_ca_bundle() {
    let emu = tls_emulator();
    assert!(emu.endpoint().starts_with("https://127.0.0.1:"));
    let client = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(emu.ca_pem().unwrap()));
    let mut log = client.appender(BUCKET, "tls.log");
    log.append(b"over ").unwrap();
    log.append(b"tls").unwrap();
    assert_eq!(client.head_object(BUCKET, "tls.log").unwrap().crc64, Some(checksum(b"over tls")));
    assert_eq!(client.get_object_to_vec(BUCKET, "tls.log", None).unwrap(), b"over tls");
    client.put_object(BUCKET, "put", b"normal", &Default::default()).unwrap();
    client.delete_object(BUCKET, "put").unwrap();

    let dir = std::env::temp_dir().join(format!("oss-append-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("64mib.bin");
    let content = data(64 << 20, 7);
    std::fs::write(&path, &content).unwrap();
    let result = client.append_object(BUCKET, "big.bin", Body::File(&path), &AppendOptions::new()).unwrap();
    assert_eq!((result.next_position, result.crc64), (64 << 20, checksum(&content)));
    assert_eq!(emu.object(BUCKET, "big.bin").unwrap().length, 64 << 20);
    std::fs::remove_dir_all(&dir).unwrap();

    // Only the bundle, not the platform's store: the same.
    let only = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(emu.ca_pem().unwrap()).ca_bundle_only(true));
    only.append_object(BUCKET, "tls.log", b"!", &AppendOptions::new()).unwrap();
}

#[test]
fn an_untrusted_certificate_is_unknown_issuer_not_retried() {
    let emu = tls_emulator();
    let untrusting = client_of(&emu.endpoint(), |b| b);
    let err = untrusting.head_object(BUCKET, "k").unwrap_err();
    assert_eq!(tls_kind(&err), Some(TlsErrorKind::UnknownIssuer), "{err:?}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("CA bundle"), "{err}");
    // Another authority's certificate as the only trust: still unknown.
    let other = Authority::new().unwrap();
    let wrong = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(other.certificate_pem()).ca_bundle_only(true));
    assert_eq!(tls_kind(&wrong.head_object(BUCKET, "k").unwrap_err()), Some(TlsErrorKind::UnknownIssuer));
    // With retries configured, a TLS failure is still tried once.
    let retrying = Client::builder()
        .endpoint(emu.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new(AK, SK))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    assert!(tls_kind(&retrying.head_object(BUCKET, "k").unwrap_err()).is_some());
    assert!(emu.requests().is_empty(), "no request reached the emulator");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_certificate_for_another_name_or_out_of_date_says_so() {
    let authority = Authority::new().unwrap();
    // For localhost only; the client connects to 127.0.0.1.
    let issued = authority.issue(&["localhost"]).unwrap();
    let emu = Emulator::builder()
        .credentials(AK, SK)
        .bucket(BUCKET)
        .tls_pem(issued.chain_pem, issued.key_pem)
        .start()
        .unwrap();
    let client = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(authority.certificate_pem()));
    let err = client.head_object(BUCKET, "k").unwrap_err();
    assert_eq!(tls_kind(&err), Some(TlsErrorKind::NameMismatch), "{err:?}");
    assert!(err.to_string().contains("not for 127.0.0.1"), "{err}");

    let now = time::OffsetDateTime::now_utc();
    let expired =
        authority.issue_valid(LOCAL_NAMES, now - time::Duration::days(30), now - time::Duration::days(1)).unwrap();
    let emu = Emulator::builder()
        .credentials(AK, SK)
        .bucket(BUCKET)
        .tls_pem(expired.chain_pem, expired.key_pem)
        .start()
        .unwrap();
    let client = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(authority.certificate_pem()));
    let err = client.head_object(BUCKET, "k").unwrap_err();
    assert_eq!(tls_kind(&err), Some(TlsErrorKind::Expired), "{err:?}");
    assert!(!err.is_retryable());
}

#[test]
fn https_to_a_plain_http_server_says_use_http() {
    let emu = Emulator::builder().credentials(AK, SK).bucket(BUCKET).start().unwrap();
    let port = emu.addr().port();
    // As written with a scheme, and without one (https, as the official SDKs do).
    for endpoint in [format!("https://127.0.0.1:{port}"), format!("127.0.0.1:{port}")] {
        let err = client_of(&endpoint, |b| b).head_object(BUCKET, "k").unwrap_err();
        assert_eq!(tls_kind(&err), Some(TlsErrorKind::PlainHttp), "{endpoint}: {err:?}");
        assert!(err.to_string().contains("use an http:// endpoint"), "{err}");
        assert!(!err.is_retryable());
    }
    // The other way round: an http:// client of an HTTPS server is told too.
    let tls = tls_emulator();
    let plain = tls.endpoint().replace("https://", "http://");
    let err = client_of(&plain, |b| b).head_object(BUCKET, "k").unwrap_err();
    assert!(err.to_string().contains("https://"), "{err}");
}

/// A client builder for an https endpoint nothing listens on.
fn unreachable_https() -> oss_append::ClientBuilder {
    Client::builder().endpoint("https://127.0.0.1:1").region("cn-hangzhou").credentials(Credentials::new(AK, SK))
}

#[test]
fn bad_ca_bundles_and_proxies_are_refused_before_anything_is_sent() {
    for pem in [&b"not a certificate"[..], b""] {
        let err = unreachable_https().ca_bundle_pem(pem).build().unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { argument: Argument::CaBundle, .. }), "{err:?}");
    }
    let err = unreachable_https().ca_bundle_file("/no/such/ca.pem").build().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { argument: Argument::CaBundle, .. }), "{err:?}");
    let err = unreachable_https().proxy("not a url at all").build().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { argument: Argument::Proxy, .. }), "{err:?}");
    assert!(!err.to_string().contains("not a url at all@"), "{err}");
}

#[test]
fn requests_go_through_a_connect_proxy() {
    let proxy = ConnectProxy::start().unwrap();
    // HTTPS through the tunnel: the proxy sees only host and port.
    let emu = tls_emulator();
    let client = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(emu.ca_pem().unwrap()).proxy(proxy.url()));
    client.append_object(BUCKET, "proxied.log", b"through the proxy", &AppendOptions::new()).unwrap();
    assert_eq!(client.get_object_to_vec(BUCKET, "proxied.log", None).unwrap(), b"through the proxy");
    let tunnels = proxy.tunnels();
    assert!(!tunnels.is_empty(), "no request went through the proxy");
    assert!(tunnels.iter().all(|t| *t == emu.addr().to_string()), "{tunnels:?}");
    // Plain HTTP through it too.
    let plain = Emulator::builder().credentials(AK, SK).bucket(BUCKET).start().unwrap();
    let before = proxy.tunnels().len();
    client_of(&plain.endpoint(), |b| b.proxy(proxy.url())).head_object(BUCKET, "missing").unwrap_err();
    assert!(proxy.tunnels().len() > before, "the http request did not go through the proxy");
    // And a proxy that is not there is a network error, retryable (nothing was sent).
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = client_of(&emu.endpoint(), |b| b.proxy(format!("http://127.0.0.1:{port}")))
        .head_object(BUCKET, "k")
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[test]
fn over_https_connections_are_kept_until_a_server_error() {
    // The proxy's tunnels count the connections. The guard that ends a connection after a 5xx
    // must read the answer where it is plain text, above TLS.
    let proxy = ConnectProxy::start().unwrap();
    let emu = tls_emulator();
    let client = client_of(&emu.endpoint(), |b| b.ca_bundle_pem(emu.ca_pem().unwrap()).proxy(proxy.url()));
    let append = |data: &[u8], position| {
        client.append_object(BUCKET, "kept.log", data, &AppendOptions::new().position(position))
    };
    append(b"one ", 0).unwrap();
    assert!(client.head_object(BUCKET, "missing").is_err());
    assert_eq!(client.head_object(BUCKET, "kept.log").unwrap().content_length, 4);
    assert_eq!(proxy.tunnels().len(), 1, "an append, a 404 and a HEAD: one connection");
    emu.faults().fail_next(1, 503);
    let err = client.head_object(BUCKET, "kept.log").unwrap_err();
    assert_eq!(err.service().map(|e| e.status), Some(503), "{err:?}");
    assert_eq!(client.get_object_to_vec(BUCKET, "kept.log", None).unwrap(), b"one ");
    assert_eq!(proxy.tunnels().len(), 2, "after the 503, a new connection");
}
