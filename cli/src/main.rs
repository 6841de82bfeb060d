//! `oss-append`: the command-line tool of the oss-append library, for appending to Alibaba Cloud OSS
//! objects from shells and scripts. `oss-append --help` lists the commands, flags and exit codes.

// The argument structs' doc comments are the `--help` text, written for a terminal, not for rustdoc.
#![allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]

mod args;
mod failure;
mod follow;
mod output;
mod progress;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use oss_append::{
    AppendOptions, Body, Client, Credentials, InFlight, PutOptions, RetryPolicy, Settlement, SignatureVersion,
    SyncPolicy,
};

use args::{AppendArgs, BodySpec, Cli, Command, GetArgs, Global, ObjectArgs, PutArgs, SettleArgs, SignVersion};
use failure::{ExitClass, Failure};
use output::Printer;

fn main() {
    let cli = Cli::parse();
    let printer = Printer { format: cli.global.output, quiet: cli.global.quiet };
    let code = match run(&cli, printer) {
        Ok(()) => 0,
        Err(failure) => {
            if !failure.summary.is_empty() {
                eprint!("{}", failure.render());
            }
            failure.exit_code()
        }
    };
    std::process::exit(code);
}

/// A usage error found after parsing, printed the way clap prints its own, exiting with 2.
fn usage_error(message: impl std::fmt::Display) -> ! {
    Cli::command().error(ErrorKind::ArgumentConflict, message).exit()
}

fn run(cli: &Cli, printer: Printer) -> Result<(), Failure> {
    // Flag combinations are checked before anything is read or sent.
    if let Command::AppendObject(a) = &cli.command {
        if a.follow.follow {
            if matches!(a.body, BodySpec::Text(_)) {
                usage_error("--follow reads standard input (--body -) or a growing file (--body file://PATH)");
            }
            if a.headers.content_md5.as_deref().is_some_and(|v| !v.eq_ignore_ascii_case("auto")) {
                usage_error("--follow appends in batches: give --content-md5 auto to have each batch's computed");
            }
            if a.follow.spool.is_some() && (a.position.is_some() || a.crc64_before.is_some()) {
                usage_error("--spool keeps the object's position itself: leave --position and --crc64-before out");
            }
        }
    }
    let client = build_client(&cli.global)?;
    match &cli.command {
        Command::AppendObject(a) => append(&client, a, printer),
        Command::HeadObject(o) => {
            let meta = client.head_object(&o.bucket, &o.key).map_err(|e| fail("head-object", o, &e))?;
            printer.head(&o.bucket, &o.key, &meta);
            Ok(())
        }
        Command::GetObject(g) => get(&client, g, printer),
        Command::PutObject(p) => put(&client, p, printer),
        Command::DeleteObject(o) => {
            let request_id = client.delete_object(&o.bucket, &o.key).map_err(|e| fail("delete-object", o, &e))?;
            printer.delete(&o.bucket, &o.key, &request_id);
            Ok(())
        }
        Command::Settle(s) => settle(&client, s, printer),
    }
}

fn settle(client: &Client, s: &SettleArgs, printer: Printer) -> Result<(), Failure> {
    let in_flight = InFlight {
        bucket: s.object.bucket.clone(),
        key: s.object.key.clone(),
        position: s.position,
        length: s.length,
        body_crc64: s.body_crc64,
        crc64_before: s.crc64_before,
    };
    let context = format!("settle oss://{}/{}", s.object.bucket, s.object.key);
    let settlement = client.settle(&in_flight).map_err(|e| {
        let mut failure = Failure::from_error(&context, &e);
        if !matches!(e, oss_append::Error::InvalidArgument { .. }) && !e.landed() {
            failure.class = ExitClass::Unsettled;
            failure.hint = Some(format!(
                "the outcome is still unknown: run `{}` again later, and do not send the bytes again before",
                failure::settle_command(&in_flight)
            ));
        }
        failure
    })?;
    printer.settled(&in_flight, &settlement);
    match settlement {
        Settlement::Landed(_) => Ok(()),
        _ => Err(Failure { class: ExitClass::NotLanded, summary: String::new(), fields: Vec::new(), hint: None }),
    }
}

fn fail(command: &str, object: &ObjectArgs, error: &oss_append::Error) -> Failure {
    Failure::from_error(&format!("{command} oss://{}/{}", object.bucket, object.key), error)
}

fn build_client(global: &Global) -> Result<Client, Failure> {
    let Some(endpoint) = global.endpoint.as_deref().filter(|e| !e.is_empty()) else {
        usage_error(
            "no endpoint: give --endpoint (or OSS_ENDPOINT), e.g. https://oss-cn-hangzhou.aliyuncs.com or \
             http://127.0.0.1:9000",
        );
    };
    let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    let (Some(id), Some(secret)) = (given(&global.access_key_id), given(&global.access_key_secret)) else {
        return Err(Failure::new(ExitClass::Auth, "no credentials: the access key id and secret are both needed")
            .hint(
                "give --access-key-id and --access-key-secret, or set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET \
                 (with --sts-token / OSS_SESSION_TOKEN for STS keys)",
            ));
    };
    let mut credentials = Credentials::new(id, secret);
    if let Some(token) = global.sts_token.as_deref().filter(|t| !t.is_empty()) {
        credentials = credentials.with_security_token(token);
    }
    let mut builder = Client::builder()
        .endpoint(endpoint)
        .credentials(credentials)
        .signature_version(match global.sign_version {
            SignVersion::V4 => SignatureVersion::V4,
            SignVersion::V1 => SignatureVersion::V1,
        })
        .retry_policy(RetryPolicy { max_attempts: global.max_attempts, ..RetryPolicy::default() })
        .connect_timeout(Duration::from_secs(global.connect_timeout))
        .read_write_timeout(Duration::from_secs(global.read_timeout))
        .user_agent(format!("oss-append-cli/{}", env!("CARGO_PKG_VERSION")));
    if let Some(region) = global.region.as_deref().filter(|r| !r.is_empty()) {
        builder = builder.region(region);
    }
    if global.path_style {
        builder = builder.path_style(true);
    }
    // A CA bundle: the flag, else OSS_CA_BUNDLE, else SSL_CERT_FILE (as curl and OpenSSL read it).
    let variable = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(path) =
        global.ca_bundle.clone().or_else(|| variable("OSS_CA_BUNDLE")).or_else(|| variable("SSL_CERT_FILE"))
    {
        builder = builder.ca_bundle_file(path).ca_bundle_only(global.ca_bundle_only);
    }
    if let Some(proxy) = &global.proxy {
        builder = builder.proxy(proxy);
    } else if global.no_proxy {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| Failure::from_error("configuration", &e))
}

/// A body read or opened for sending, with its length.
enum Loaded {
    Bytes(Vec<u8>),
    File(PathBuf, u64),
}

impl Loaded {
    fn open(spec: &BodySpec) -> Result<Self, Failure> {
        match spec {
            BodySpec::Text(text) => Ok(Loaded::Bytes(text.as_bytes().to_vec())),
            BodySpec::File(path) => match std::fs::metadata(path) {
                Ok(meta) if meta.is_file() => Ok(Loaded::File(path.clone(), meta.len())),
                Ok(_) => Err(Failure::new(ExitClass::Usage, format!("--body file://{}: not a file", path.display()))),
                Err(e) => Err(Failure::new(ExitClass::Usage, format!("--body file://{}: {e}", path.display()))),
            },
            BodySpec::Stdin => {
                stdin_is_open()?;
                let mut bytes = Vec::new();
                io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .map_err(|e| Failure::new(ExitClass::Other, format!("reading standard input failed: {e}")))?;
                Ok(Loaded::Bytes(bytes))
            }
        }
    }

    fn len(&self) -> u64 {
        match self {
            Loaded::Bytes(bytes) => bytes.len() as u64,
            Loaded::File(_, len) => *len,
        }
    }

    fn body(&self) -> Body<'_> {
        match self {
            Loaded::Bytes(bytes) => Body::Bytes(bytes),
            Loaded::File(path, _) => Body::File(path),
        }
    }
}

/// Standard input that is closed (`<&-`) would read as empty; it is an error, not an empty body.
pub fn stdin_is_open() -> Result<(), Failure> {
    if stdin_was_closed() {
        return Err(Failure::new(ExitClass::Usage, "--body -: standard input is closed")
            .hint("give the body on standard input, or use --body STRING or --body file://PATH"));
    }
    Ok(())
}

/// The Rust runtime puts /dev/null, opened read-write, in place of a standard descriptor that was
/// closed when the program started; a shell's `< /dev/null` opens it read-only.
#[cfg(unix)]
fn stdin_was_closed() -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    // SAFETY: fcntl on descriptor 0 with F_GETFL reads its flags and touches no memory.
    let flags = unsafe { libc::fcntl(0, libc::F_GETFL) };
    if flags < 0 {
        return true;
    }
    let null = std::fs::metadata("/dev/null").ok();
    let stdin = std::fs::metadata("/dev/stdin").ok();
    let is_null = match (null, stdin) {
        (Some(null), Some(stdin)) => stdin.file_type().is_char_device() && stdin.rdev() == null.rdev(),
        _ => false,
    };
    is_null && flags & libc::O_ACCMODE == libc::O_RDWR
}

#[cfg(not(unix))]
fn stdin_was_closed() -> bool {
    false
}

fn append(client: &Client, a: &AppendArgs, printer: Printer) -> Result<(), Failure> {
    let (bucket, key) = (&a.object.bucket, &a.object.key);
    let headers = a.headers.to_headers();
    if a.follow.follow {
        let settings = follow::Settings {
            batch_bytes: a.follow.batch_bytes as usize,
            interval: Duration::from_millis(a.follow.batch_interval_ms),
            idle_exit: a.follow.idle_exit_ms.map(Duration::from_millis),
            give_up_after: a.follow.give_up_after,
        };
        if let Some(dir) = &a.follow.spool {
            let sync = match a.follow.sync {
                args::SyncArg::EveryWrite => SyncPolicy::EveryWrite,
                args::SyncArg::Interval => SyncPolicy::Interval(Duration::from_secs(1)),
                args::SyncArg::Never => SyncPolicy::Never,
            };
            let spooling = follow::SpoolSettings { dir: dir.clone(), sync };
            return follow::run_spooled(client, bucket, key, headers, &a.body, &settings, &spooling, printer);
        }
        return follow::run(client, bucket, key, a.position, headers, &a.body, &settings, printer);
    }
    let body = Loaded::open(&a.body)?;
    let mut options = AppendOptions::new().headers(headers);
    options.position = a.position;
    options.crc64 = a.crc64_before;
    // With both, this may be a resend after `settle` said not landed (another process): a refusal
    // that says the object ends where this append would is checked against the object, not believed.
    options.resend = a.position.is_some() && a.crc64_before.is_some();
    let bar = progress::bar(body.len(), printer.quiet);
    if let Some(bar) = &bar {
        options.progress = Some(Arc::new(progress::callback(bar)));
    }
    let outcome = client.append_object(bucket, key, body.body(), &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = outcome.map_err(|e| fail("append-object", &a.object, &e))?;
    printer.append(bucket, key, result.next_position - result.position, &result);
    Ok(())
}

fn put(client: &Client, p: &PutArgs, printer: Printer) -> Result<(), Failure> {
    let body = Loaded::open(&p.body)?;
    let mut options = PutOptions::new().headers(p.headers.to_headers());
    let bar = progress::bar(body.len(), printer.quiet);
    if let Some(bar) = &bar {
        options.progress = Some(Arc::new(progress::callback(bar)));
    }
    let outcome = client.put_object(&p.object.bucket, &p.object.key, body.body(), &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = outcome.map_err(|e| fail("put-object", &p.object, &e))?;
    printer.put(&p.object.bucket, &p.object.key, body.len(), &result);
    Ok(())
}

fn get(client: &Client, g: &GetArgs, printer: Printer) -> Result<(), Failure> {
    let (bucket, key) = (&g.object.bucket, &g.object.key);
    let Some(path) = &g.output_file else {
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        client.get_object(bucket, key, g.range, &mut out, None).map_err(|e| fail("get-object", &g.object, &e))?;
        return out.flush().map_err(|e| Failure::new(ExitClass::Other, format!("writing standard output failed: {e}")));
    };
    // Written beside the target and renamed on success, so a failed download leaves no partial file.
    let partial = partial_path(path);
    let file = File::create(&partial)
        .map_err(|e| Failure::new(ExitClass::Other, format!("cannot create {}: {e}", partial.display())))?;
    let mut out = BufWriter::new(file);
    let outcome = client
        .get_object(bucket, key, g.range, &mut out, None)
        .map_err(|e| fail("get-object", &g.object, &e))
        .and_then(|result| {
            out.flush()
                .and_then(|()| std::fs::rename(&partial, path))
                .map(|()| result)
                .map_err(|e| Failure::new(ExitClass::Other, format!("writing {} failed: {e}", path.display())))
        });
    match outcome {
        Ok(result) => {
            printer.get(bucket, key, path, &result);
            Ok(())
        }
        Err(failure) => {
            drop(out);
            let _ = std::fs::remove_file(&partial);
            Err(failure)
        }
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "object".into());
    path.with_file_name(format!(".{name}.oss-append-{}.part", std::process::id()))
}
