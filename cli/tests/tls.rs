//! HTTPS from the command line: each TLS failure with exit code 10 and its fix, the CA bundle from
//! the flag or the environment, and proxies from the flag or the environment.

mod common;

use common::*;
use oss_emulator::proxy::ConnectProxy;
use oss_emulator::tls::{Authority, LOCAL_NAMES};
use oss_emulator::Emulator;

fn tls_emulator(chain_pem: String, key_pem: String) -> Emulator {
    Emulator::builder().credentials(AK, SK).bucket(BUCKET).tls_pem(chain_pem, key_pem).start().unwrap()
}

fn write_ca(authority: &Authority, name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("oss-append-cli-{name}-{}.pem", std::process::id()));
    std::fs::write(&path, authority.certificate_pem()).unwrap();
    path
}

fn head(emu: &Emulator, extra: &[&str]) -> std::process::Command {
    let mut args = vec!["head-object", "--bucket", BUCKET, "--key", "missing"];
    args.extend_from_slice(extra);
    cli(emu, &args)
}

#[test]
fn an_untrusted_server_exits_10_and_a_ca_bundle_fixes_it() {
    let authority = Authority::new().unwrap();
    let issued = authority.issue(LOCAL_NAMES).unwrap();
    let emu = tls_emulator(issued.chain_pem, issued.key_pem);
    let ca = write_ca(&authority, "ca");
    let output = run(head(&emu, &[]));
    expect_code(&output, 10);
    let err = stderr(&output);
    assert!(err.contains("UnknownIssuer") && err.contains("--ca-bundle"), "{err}");
    assert!(err.contains("does not help") && !err.contains("safe to run again"), "{err}");
    // The flag, OSS_CA_BUNDLE, SSL_CERT_FILE: each makes it trusted (NoSuchKey: exit 7).
    expect_code(&run(head(&emu, &["--ca-bundle", ca.to_str().unwrap()])), 7);
    expect_code(&run(head(&emu, &["--ca-bundle", ca.to_str().unwrap(), "--ca-bundle-only"])), 7);
    let mut with_env = head(&emu, &[]);
    with_env.env("OSS_CA_BUNDLE", &ca);
    expect_code(&run(with_env), 7);
    let mut with_ssl = head(&emu, &[]);
    with_ssl.env("SSL_CERT_FILE", &ca);
    expect_code(&run(with_ssl), 7);
    // A bundle that is not one is a usage error, before anything is sent.
    let output = run(head(&emu, &["--ca-bundle", "/no/such/ca.pem"]));
    expect_code(&output, 2);
    assert!(stderr(&output).contains("CA bundle"), "{}", stderr(&output));
    std::fs::remove_file(ca).unwrap();
}

#[test]
fn a_certificate_for_another_name_or_expired_exits_10_saying_which() {
    let authority = Authority::new().unwrap();
    let ca = write_ca(&authority, "names");
    let ca = ca.to_str().unwrap();
    let other_name = authority.issue(&["localhost"]).unwrap();
    let emu = tls_emulator(other_name.chain_pem, other_name.key_pem);
    let output = run(head(&emu, &["--ca-bundle", ca]));
    expect_code(&output, 10);
    assert!(stderr(&output).contains("not for 127.0.0.1"), "{}", stderr(&output));

    let now = time::OffsetDateTime::now_utc();
    let expired =
        authority.issue_valid(LOCAL_NAMES, now - time::Duration::days(9), now - time::Duration::days(2)).unwrap();
    let emu = tls_emulator(expired.chain_pem, expired.key_pem);
    let output = run(head(&emu, &["--ca-bundle", ca]));
    expect_code(&output, 10);
    assert!(stderr(&output).contains("expired"), "{}", stderr(&output));
    std::fs::remove_file(ca).unwrap();
}

#[test]
fn https_to_a_plain_http_server_exits_10_saying_use_http() {
    let emu = emulator();
    let port = emu.addr().port();
    for endpoint in [format!("https://127.0.0.1:{port}"), format!("127.0.0.1:{port}")] {
        let output = run(head(&emu, &["--endpoint", &endpoint]));
        expect_code(&output, 10);
        assert!(stderr(&output).contains("use an http:// endpoint"), "{endpoint}: {}", stderr(&output));
    }
}

#[test]
fn proxies_from_the_flag_and_the_environment() {
    let emu = emulator();
    let proxy = ConnectProxy::start().unwrap();
    let target = emu.addr().to_string();
    let through = |command: std::process::Command| {
        let before = proxy.tunnels().len();
        expect_code(&run(command), 7);
        proxy.tunnels()[before..].contains(&target)
    };
    assert!(through(head(&emu, &["--proxy", proxy.url()])), "--proxy");
    let mut from_env = head(&emu, &[]);
    from_env.env("HTTP_PROXY", proxy.url());
    assert!(through(from_env), "HTTP_PROXY");
    let mut no_proxy = head(&emu, &[]);
    no_proxy.env("HTTP_PROXY", proxy.url()).env("NO_PROXY", "127.0.0.1");
    assert!(!through(no_proxy), "NO_PROXY");
    let mut flag = head(&emu, &["--no-proxy"]);
    flag.env("HTTP_PROXY", proxy.url());
    assert!(!through(flag), "--no-proxy");
    // HTTPS: the proxy tunnels it (CONNECT), seeing only host and port.
    let authority = Authority::new().unwrap();
    let issued = authority.issue(LOCAL_NAMES).unwrap();
    let tls = tls_emulator(issued.chain_pem, issued.key_pem);
    let ca = write_ca(&authority, "proxy");
    let mut https = head(&tls, &["--ca-bundle", ca.to_str().unwrap()]);
    https.env("HTTPS_PROXY", proxy.url());
    let before = proxy.tunnels().len();
    expect_code(&run(https), 7);
    assert!(proxy.tunnels()[before..].contains(&tls.addr().to_string()), "HTTPS_PROXY: {:?}", proxy.tunnels());
    std::fs::remove_file(ca).unwrap();
}
