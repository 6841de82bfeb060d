//! `oss-emulator`: runs the emulator until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};

/// The admin endpoint's requests, after the options in `--help` (emulator/README.md has the same
/// list; `src/admin.rs` serves it).
const ADMIN_HELP: &str = "\
Admin endpoint (only with --admin; answers are JSON):
  POST   /-/emulator/faults?kind=KIND&count=N   arm a fault for the next N matching requests (count default 1):
    kind=fail&status=S[&method=M]     answer S (400-599, default 503) with OSS error XML; with method=M (e.g. HEAD)
                                      only requests of that method
    kind=delay&millis=M               hold the next responses back by M ms
    kind=drop-before-commit           read an append's body, do not commit it, close the connection
    kind=drop-after-commit            commit an append, then close the connection without a response
    kind=corrupt-crc                  answer a successful append with a wrong x-oss-hash-crc64ecma
    kind=omit-crc                     answer a successful append without x-oss-hash-crc64ecma
    kind=gateway-error-after-commit   commit an append, then answer a gateway's 504 (HTML, no request id)
    kind=commit-late&millis=M         close an append's connection at once and commit it M ms later (default 500)
                                      if the object's length is still its position
    kind=bare-head                    answer HEADs without x-oss-object-type and x-oss-hash-crc64ecma
    kind=ignore-range                 answer ranged GETs with the whole object and 200
  GET    /-/emulator/faults             what is armed;  DELETE /-/emulator/faults: disarm everything
  GET    /-/emulator/requests           the request log;  DELETE /-/emulator/requests: clear it
  GET    /-/emulator/object?bucket=B&key=K   an object's type, length, CRC-64, ETag and headers
  GET    /-/emulator/health             {\"ok\":true}
  GET    /-/emulator/sts                the emulator's STS keys, as an app's token server answers them; needs
                                      STS keys (--credentials AK:SK:TOKEN), else it answers
                                      {\"StatusCode\":404,\"ErrorCode\":\"NoStsKeys\",...}

Example: curl -X POST 'http://127.0.0.1:9000/-/emulator/faults?kind=drop-after-commit&count=1'";

fn command() -> Command {
    Command::new("oss-emulator")
        .about("A local OSS-compatible server that speaks AppendObject as the service does")
        .after_help(ADMIN_HELP)
        .arg(
            Arg::new("listen")
                .long("listen")
                .value_name("ADDR")
                .default_value("127.0.0.1:9000")
                .value_parser(clap::value_parser!(SocketAddr))
                .help("Address to listen on (port 0 picks a free one)"),
        )
        .arg(
            Arg::new("root")
                .long("root")
                .value_name("DIR")
                .help("Keep buckets and objects under DIR (default: in memory, lost at exit)"),
        )
        .arg(Arg::new("credentials").long("credentials").value_name("AK:SK[:TOKEN]").action(ArgAction::Append).help(
            "Accept this key pair, or STS keys with their token (repeatable); none: anonymous access. \
                     STS keys are also what GET /-/emulator/sts hands out (with --admin)",
        ))
        .arg(
            Arg::new("bucket")
                .long("bucket")
                .value_name("NAME")
                .action(ArgAction::Append)
                .help("Create this bucket at start if missing (repeatable)"),
        )
        .arg(
            Arg::new("region")
                .long("region")
                .value_name("REGION")
                .default_value(oss_emulator::DEFAULT_REGION)
                .help("Region that V4 signatures must be scoped to"),
        )
        .arg(
            Arg::new("max-object-size")
                .long("max-object-size")
                .value_name("BYTES")
                .value_parser(clap::value_parser!(u64))
                .help("Largest object allowed (default 5 GiB)"),
        )
        .arg(
            Arg::new("admin").long("admin").action(ArgAction::SetTrue).help(
                "Serve the admin endpoint (fault injection, request log, STS keys) under /-/emulator/: see below",
            ),
        )
        .arg(
            Arg::new("tls-cert")
                .long("tls-cert")
                .value_name("FILE")
                .requires("tls-key")
                .conflicts_with("tls-generate")
                .help("Serve HTTPS with this certificate chain (PEM)"),
        )
        .arg(
            Arg::new("tls-key")
                .long("tls-key")
                .value_name("FILE")
                .requires("tls-cert")
                .help("The private key (PEM) of --tls-cert"),
        )
        .arg(Arg::new("tls-generate").long("tls-generate").value_name("CA_FILE").help(
            "Serve HTTPS with a certificate for localhost/127.0.0.1 from a certificate authority made now, \
                       whose certificate is written to CA_FILE for clients to trust (OSS_CA_BUNDLE)",
        ))
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .action(ArgAction::SetTrue)
                .help("Print one line per request to standard error"),
        )
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let mut builder = oss_emulator::Emulator::builder()
        .listen(*matches.get_one::<SocketAddr>("listen").expect("has a default"))
        .region(matches.get_one::<String>("region").expect("has a default"))
        .admin(matches.get_flag("admin"))
        .log_requests(matches.get_flag("verbose"));
    if let Some(root) = matches.get_one::<String>("root") {
        builder = builder.root(root);
    }
    if let Some(max) = matches.get_one::<u64>("max-object-size") {
        builder = builder.max_object_size(*max);
    }
    let mut first_credentials = None;
    for value in matches.get_many::<String>("credentials").into_iter().flatten() {
        let parts: Vec<&str> = value.splitn(3, ':').collect();
        match parts.as_slice() {
            [id, secret] if !id.is_empty() && !secret.is_empty() => builder = builder.credentials(*id, *secret),
            [id, secret, token] if !id.is_empty() && !secret.is_empty() && !token.is_empty() => {
                builder = builder.sts_credentials(*id, *secret, *token)
            }
            _ => {
                eprintln!("oss-emulator: --credentials takes AK:SK or AK:SK:TOKEN, not \"{value}\"");
                return ExitCode::from(2);
            }
        }
        first_credentials.get_or_insert(parts.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    }
    if let (Some(cert), Some(key)) = (matches.get_one::<String>("tls-cert"), matches.get_one::<String>("tls-key")) {
        match (std::fs::read(cert), std::fs::read(key)) {
            (Ok(cert), Ok(key)) => builder = builder.tls_pem(cert, key),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("oss-emulator: cannot read the TLS certificate or key: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let ca_file = matches.get_one::<String>("tls-generate").cloned();
    if ca_file.is_some() {
        builder = match builder.tls_generated() {
            Ok(builder) => builder,
            Err(e) => {
                eprintln!("oss-emulator: cannot make a TLS certificate: {e}");
                return ExitCode::FAILURE;
            }
        };
    }
    let buckets: Vec<String> = matches.get_many::<String>("bucket").into_iter().flatten().cloned().collect();
    for bucket in &buckets {
        builder = builder.bucket(bucket);
    }
    let region = matches.get_one::<String>("region").expect("has a default").clone();
    let emulator = match builder.start() {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("oss-emulator: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };

    if let (Some(path), Some(ca)) = (&ca_file, emulator.ca_pem()) {
        if let Err(e) = std::fs::write(path, ca) {
            eprintln!("oss-emulator: cannot write the CA certificate to {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let endpoint = emulator.endpoint();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {endpoint}");
    let mut env = format!("export OSS_ENDPOINT={endpoint} OSS_REGION={region}");
    if let Some(first) = &first_credentials {
        env.push_str(&format!(" OSS_ACCESS_KEY_ID={} OSS_ACCESS_KEY_SECRET={}", first[0], first[1]));
        if let Some(token) = first.get(2) {
            env.push_str(&format!(" OSS_SESSION_TOKEN={token}"));
        }
    }
    if let Some(bucket) = buckets.first() {
        env.push_str(&format!(" OSS_BUCKET={bucket}"));
    }
    if let Some(path) = &ca_file {
        let absolute = std::fs::canonicalize(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.clone());
        env.push_str(&format!(" OSS_CA_BUNDLE={absolute}"));
    }
    let _ = writeln!(out, "{env}");
    if first_credentials.is_none() {
        let _ = writeln!(out, "anonymous access: no credentials configured, requests are accepted unsigned");
    }
    match matches.get_one::<String>("root") {
        Some(root) => {
            let _ = writeln!(out, "storing objects under {root}");
        }
        None => {
            let _ = writeln!(out, "storing objects in memory");
        }
    }
    if matches.get_flag("admin") {
        let _ = writeln!(out, "admin endpoint: {endpoint}{}", oss_emulator::ADMIN_PREFIX);
    }
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::ADMIN_HELP;

    /// POSTs to the emulator at `addr`; the status code and the body.
    fn post(addr: std::net::SocketAddr, path_and_query: &str) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            stream,
            "POST {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let status = answer.get(9..12).and_then(|s| s.parse().ok()).expect("a status line");
        (status, answer.split_once("\r\n\r\n").map_or_else(String::new, |(_, body)| body.to_string()))
    }

    /// `--help` and emulator/README.md list every fault kind the admin endpoint takes (its refusal of
    /// an unknown kind names them all), and the endpoint takes each kind `--help` lists.
    #[test]
    fn the_help_and_the_readme_list_every_fault_kind() {
        let emulator = oss_emulator::Emulator::builder().admin(true).start().expect("start");
        let (status, body) = post(emulator.addr(), "/-/emulator/faults?kind=no-such-kind");
        assert_eq!(status, 400, "{body}");
        let list = body.split("kind must be ").nth(1).and_then(|rest| rest.split('"').next()).expect(&body);
        let kinds: Vec<&str> = list.split([',', ' ']).filter(|w| !w.is_empty() && *w != "or").collect();
        assert!(kinds.len() >= 10, "{kinds:?}");
        let readme = include_str!("../README.md");
        for kind in &kinds {
            assert!(ADMIN_HELP.contains(&format!("kind={kind}")), "--help does not list kind={kind}");
            assert!(readme.contains(&format!("kind={kind}")), "emulator/README.md does not list kind={kind}");
        }
        for listed in ADMIN_HELP.split("kind=").skip(2) {
            let kind = listed.split(['&', ' ']).next().expect("a kind");
            assert!(kinds.contains(&kind), "--help lists kind={kind}, which the endpoint does not take");
            let (status, body) = post(emulator.addr(), &format!("/-/emulator/faults?kind={kind}&count=1&millis=1"));
            assert_eq!(status, 200, "kind={kind}: {body}");
        }
        emulator.faults().clear();
    }
}
