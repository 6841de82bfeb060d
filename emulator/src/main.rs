//! `oss-emulator`: runs the emulator until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};

fn command() -> Command {
    Command::new("oss-emulator")
        .about("A local OSS-compatible server that speaks AppendObject as the service does")
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
        .arg(
            Arg::new("credentials")
                .long("credentials")
                .value_name("AK:SK[:TOKEN]")
                .action(ArgAction::Append)
                .help("Accept this key pair, or STS keys with their token (repeatable); none: anonymous access"),
        )
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
            Arg::new("admin")
                .long("admin")
                .action(ArgAction::SetTrue)
                .help("Serve the admin endpoint (fault injection, request log) under /-/emulator/"),
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
