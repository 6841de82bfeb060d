//! The command line: global flags, the five commands and their flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use oss_append::{ByteRange, ContentMd5, ObjectHeaders};

/// Exit codes, shown after `--help` and in the README.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  any other failure: an unexpected response, a local read or write error
  2  usage: a bad flag or value, refused before anything was sent
  3  auth: no credentials, or HTTP 403 (wrong key or signature, expired STS
     token, clock skew, access denied)
  4  position conflict: PositionNotEqualToLength (--position is not the
     object's length) or ObjectNotAppendable (made by put or multipart)
  5  network: connection failure or timeout, or 5xx/408/429 after retries;
     nothing was written: safe to run again
  6  the data landed but its CRC-64 differs from the service's (or the
     service sent none): do not send it again; read the object back
  7  not found: no such bucket or object
  8  unsettled: a response was lost and the service could not be asked
     whether the append landed; do NOT run the command again: run the
     `settle` command line printed with the error
  9  settle: the append did not land (sending it again appends it once)
 10  TLS: the server's certificate is not trusted (--ca-bundle), is for
     another name or out of date, or the server speaks plain HTTP (use
     http://); running the command again does not help

Credentials and endpoint may also come from OSS_ACCESS_KEY_ID,
OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN, OSS_ENDPOINT and OSS_REGION, the
CA bundle from OSS_CA_BUNDLE or SSL_CERT_FILE, the proxy from HTTPS_PROXY,
HTTP_PROXY, ALL_PROXY and NO_PROXY; flags win over the environment.";

#[derive(Debug, Parser)]
#[command(
    name = "oss-append",
    version,
    about = "Append to Alibaba Cloud OSS objects (AppendObject) from shells and scripts",
    long_about = "Append to Alibaba Cloud OSS objects (AppendObject) from shells and scripts.\n\n\
        Positions are found and tracked for you, every append is checked with CRC-64, and retries never \
        duplicate data. `append-object --body - --follow` ships a growing input (for example \
        `tail -F app.log`) in batches.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the command name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Service endpoint, e.g. https://oss-cn-hangzhou.aliyuncs.com or http://127.0.0.1:9000
    #[arg(long, env = "OSS_ENDPOINT", global = true, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Region id signed into V4 requests, e.g. cn-hangzhou [default: taken from an
    /// oss-<region>.aliyuncs.com endpoint]
    #[arg(long, env = "OSS_REGION", global = true, value_name = "ID")]
    pub region: Option<String>,

    /// Access key id
    #[arg(long, env = "OSS_ACCESS_KEY_ID", hide_env_values = true, global = true, value_name = "ID")]
    pub access_key_id: Option<String>,

    /// Access key secret (never printed)
    #[arg(long, env = "OSS_ACCESS_KEY_SECRET", hide_env_values = true, global = true, value_name = "SECRET")]
    pub access_key_secret: Option<String>,

    /// STS security token, for temporary credentials (never printed)
    #[arg(long, env = "OSS_SESSION_TOKEN", hide_env_values = true, global = true, value_name = "TOKEN")]
    pub sts_token: Option<String>,

    /// Signature version
    #[arg(long, value_enum, default_value_t = SignVersion::V4, global = true)]
    pub sign_version: SignVersion,

    /// Path-style addressing (host/bucket/key) instead of bucket.host/key; IP and localhost
    /// endpoints always use it
    #[arg(long, global = true)]
    pub path_style: bool,

    /// How results are printed on standard output: text, or json (one object per line per result)
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub output: OutputFormat,

    /// Print nothing on success: no results, no progress bar, no retry warnings (errors still go
    /// to standard error)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Attempts per request, the first included (1 disables the client's own retries)
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20), global = true, value_name = "N")]
    pub max_attempts: u32,

    /// Seconds allowed to open a connection
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600), global = true, value_name = "SECONDS")]
    pub connect_timeout: u64,

    /// Seconds allowed for any single read or write on an open connection, and for a whole response head
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600), global = true, value_name = "SECONDS")]
    pub read_timeout: u64,

    /// A PEM file of certificate authorities to trust besides the system's (a private CA, a TLS
    /// proxy's, the emulator's) [default: OSS_CA_BUNDLE, else SSL_CERT_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,

    /// Trust only the --ca-bundle authorities, not the system's too
    #[arg(long, global = true, requires = "ca_bundle")]
    pub ca_bundle_only: bool,

    /// Send requests through this proxy, e.g. http://proxy:3128 (CONNECT for https endpoints)
    /// [default: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, except the hosts in NO_PROXY]
    #[arg(long, global = true, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,

    /// Connect directly, whatever HTTPS_PROXY and the like say
    #[arg(long, global = true)]
    pub no_proxy: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignVersion {
    /// OSS4-HMAC-SHA256
    V4,
    /// The older `OSS AK:signature`
    V1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::enum_variant_names)] // named as ossutil names the operations
pub enum Command {
    /// Append a body to an object (AppendObject), creating it if missing
    #[command(after_help = "Examples:\n  \
        oss-append append-object --bucket B --key notes.txt --body 'hello'\n  \
        oss-append append-object --bucket B --key data.bin --body file://data.bin\n  \
        tail -F app.log | oss-append append-object --bucket B --key logs/app.log --body - --follow")]
    AppendObject(AppendArgs),
    /// Show an object's metadata: length, type, next append position, CRC-64 (HeadObject)
    HeadObject(ObjectArgs),
    /// Download an object, or a range of it, to standard output or a file (GetObject)
    GetObject(GetArgs),
    /// Write a whole object, replacing any object at the key; the result is not appendable (PutObject)
    PutObject(PutArgs),
    /// Delete an object; deleting a missing object succeeds (DeleteObject)
    DeleteObject(ObjectArgs),
    /// Find out whether an append whose outcome is unknown (exit code 8) landed: exit 0 when it
    /// did, 9 when it did not (sending it again then appends it once), 8 when it still cannot tell
    #[command(
        after_help = "The values come from the error of the unsettled append, which prints this command         line with them filled in."
    )]
    Settle(SettleArgs),
}

#[derive(Debug, Args)]
pub struct SettleArgs {
    #[command(flatten)]
    pub object: ObjectArgs,

    /// Where the append went: the object's length before it
    #[arg(long, value_name = "N")]
    pub position: u64,

    /// How many bytes it appended
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub length: u64,

    /// CRC-64 of the appended bytes alone
    #[arg(long, value_name = "CRC")]
    pub body_crc64: u64,

    /// CRC-64 of the object before the append, when known
    #[arg(long, value_name = "CRC")]
    pub crc64_before: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ObjectArgs {
    /// Bucket name
    #[arg(long)]
    pub bucket: String,
    /// Object key
    #[arg(long)]
    pub key: String,
}

#[derive(Debug, Args)]
pub struct AppendArgs {
    #[command(flatten)]
    pub object: ObjectArgs,

    /// Where the body goes: the object's current length [default: found from the object]
    #[arg(long, value_name = "N")]
    pub position: Option<u64>,

    /// The object's CRC-64 before this append (the crc64 of the previous result): with --position,
    /// the append is verified without asking the object first, and when the service refuses it
    /// because the object already ends where this append would, the object's CRC decides whether
    /// these bytes are there (a resend after `settle` said not landed, whose first request committed
    /// late): then exit 0, reconciled, never appended twice
    #[arg(long, value_name = "CRC", requires = "position")]
    pub crc64_before: Option<u64>,

    /// The body: a literal STRING, file://PATH (streamed), or - for standard input
    #[arg(long, value_name = "STRING|file://PATH|-", value_parser = parse_body)]
    pub body: BodySpec,

    #[command(flatten)]
    pub headers: HeaderArgs,

    #[command(flatten)]
    pub follow: FollowArgs,
}

/// `--follow` and its settings.
#[derive(Debug, Args)]
#[command(next_help_heading = "Follow mode")]
pub struct FollowArgs {
    /// Keep reading standard input (or the growing file given as file://PATH, like tail -F) and
    /// append in batches; riding out transient errors, with nothing lost or duplicated
    #[arg(long)]
    pub follow: bool,

    /// Append once this many bytes are waiting
    #[arg(long, default_value_t = 1024 * 1024, value_name = "BYTES", requires = "follow",
          value_parser = clap::value_parser!(u64).range(1..=256 * 1024 * 1024))]
    pub batch_bytes: u64,

    /// Append bytes that have waited this long, even if fewer than --batch-bytes
    #[arg(long, default_value_t = 1000, value_name = "MS", requires = "follow",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_interval_ms: u64,

    /// Flush and exit 0 after this long without new input [default: never; standard
    /// input ends at EOF, a followed file at SIGINT or SIGTERM]
    #[arg(long, value_name = "MS", requires = "follow")]
    pub idle_exit_ms: Option<u64>,

    /// Stop (keeping the data not yet appended out of the object) when a batch has failed for this
    /// long, e.g. 90s, 30m, 2h [default: ride out outages of any length]; with --spool, how long to
    /// wait at the end for the spool to send what it holds
    #[arg(long, value_name = "DURATION", requires = "follow", value_parser = parse_duration)]
    pub give_up_after: Option<std::time::Duration>,

    /// Journal the input in this directory before sending it: a restart of the same command (after a
    /// crash, kill -9 or reboot) goes on where the last one stopped, nothing lost or sent twice; a
    /// followed file goes on from the offset journaled with its data
    #[arg(long, value_name = "DIR", requires = "follow")]
    pub spool: Option<PathBuf>,

    /// With --spool, when the journal is fsynced: every-write (nothing lost to a power cut),
    /// interval (each second), never (the system decides)
    #[arg(long, value_enum, default_value_t = SyncArg::Interval, requires = "spool")]
    pub sync: SyncArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SyncArg {
    EveryWrite,
    Interval,
    Never,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub object: ObjectArgs,

    /// The body: a literal STRING, file://PATH (streamed), or - for standard input
    #[arg(long, value_name = "STRING|file://PATH|-", value_parser = parse_body)]
    pub body: BodySpec,

    #[command(flatten)]
    pub headers: HeaderArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub object: ObjectArgs,

    /// Bytes to read: FIRST-LAST (inclusive, from 0) or FIRST- (to the end)
    #[arg(long, value_name = "FIRST-LAST|FIRST-|-N", value_parser = parse_range)]
    pub range: Option<ByteRange>,

    /// Write the object to this file instead of standard output (and print the result)
    #[arg(long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
}

/// The object headers of `ossutil api append-object`, plus Content-Type, forbid-overwrite and
/// traffic limit. Create-time headers take effect on the append that creates the object.
#[derive(Debug, Args)]
#[command(next_help_heading = "Object headers")]
pub struct HeaderArgs {
    /// Content-Type
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,

    /// Cache-Control
    #[arg(long, value_name = "VALUE")]
    pub cache_control: Option<String>,

    /// Content-Disposition
    #[arg(long, value_name = "VALUE")]
    pub content_disposition: Option<String>,

    /// Content-Encoding
    #[arg(long, value_name = "VALUE")]
    pub content_encoding: Option<String>,

    /// Content-MD5: the base64 MD5 of the body, or `auto` to have it computed from the body (with
    /// --follow, only `auto`: each batch gets its own)
    #[arg(long, value_name = "BASE64|auto")]
    pub content_md5: Option<String>,

    /// Expires
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,

    /// User metadata KEY=VALUE, sent as x-oss-meta-KEY (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_metadata)]
    pub metadata: Vec<(String, String)>,

    /// x-oss-object-acl: default, private, public-read or public-read-write
    #[arg(long, value_name = "ACL")]
    pub object_acl: Option<String>,

    /// x-oss-storage-class: Standard, IA or Archive (puts also ColdArchive, DeepColdArchive)
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,

    /// x-oss-server-side-encryption: AES256, KMS or SM4
    #[arg(long, value_name = "ALGORITHM")]
    pub server_side_encryption: Option<String>,

    /// x-oss-tagging, URL-encoded and sent as given: "A=1&B=2"
    #[arg(long, value_name = "TAGS")]
    pub tagging: Option<String>,

    /// x-oss-forbid-overwrite: true refuses to replace an existing object
    #[arg(long, value_name = "BOOL")]
    pub forbid_overwrite: Option<bool>,

    /// x-oss-traffic-limit in bit/s, 245760 to 838860800
    #[arg(long, value_name = "BITS_PER_SEC")]
    pub traffic_limit: Option<u64>,
}

impl HeaderArgs {
    /// The core's object headers.
    pub fn to_headers(&self) -> ObjectHeaders {
        let mut headers = ObjectHeaders::new();
        headers.content_type = self.content_type.clone();
        headers.cache_control = self.cache_control.clone();
        headers.content_disposition = self.content_disposition.clone();
        headers.content_encoding = self.content_encoding.clone();
        headers.expires = self.expires.clone();
        headers.content_md5 = match self.content_md5.as_deref() {
            None => ContentMd5::None,
            Some(v) if v.eq_ignore_ascii_case("auto") => ContentMd5::Compute,
            Some(v) => ContentMd5::Value(v.to_string()),
        };
        headers.metadata = self.metadata.clone();
        headers.object_acl = self.object_acl.clone();
        headers.storage_class = self.storage_class.clone();
        headers.server_side_encryption = self.server_side_encryption.clone();
        headers.tagging = self.tagging.clone();
        headers.forbid_overwrite = self.forbid_overwrite;
        headers.traffic_limit = self.traffic_limit;
        headers
    }
}

/// Where a body comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySpec {
    /// The flag's own text.
    Text(String),
    /// `file://PATH`.
    File(PathBuf),
    /// `-`: standard input.
    Stdin,
}

impl BodySpec {
    /// How messages name it.
    pub fn describe(&self) -> String {
        match self {
            BodySpec::Text(_) => "the --body text".into(),
            BodySpec::File(path) => path.display().to_string(),
            BodySpec::Stdin => "standard input".into(),
        }
    }
}

fn parse_body(value: &str) -> Result<BodySpec, String> {
    if value == "-" {
        return Ok(BodySpec::Stdin);
    }
    match value.strip_prefix("file://") {
        Some("") => Err("file:// needs a path, e.g. file://./data.bin or file:///var/log/app.log".into()),
        Some(path) => Ok(BodySpec::File(PathBuf::from(path))),
        None => Ok(BodySpec::Text(value.to_string())),
    }
}

/// `500ms`, `90s`, `30m`, `2h`; a bare number is seconds.
fn parse_duration(value: &str) -> Result<std::time::Duration, String> {
    let value = value.trim();
    let split = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 =
        number.parse().map_err(|_| format!("expected a duration such as 90s, 30m or 2h, got {value:?}"))?;
    let millis = match unit.trim() {
        "ms" => Some(number),
        "" | "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        other => return Err(format!("unknown unit {other:?}: use ms, s, m or h")),
    };
    match millis {
        Some(0) => Err("the duration must be longer than zero".into()),
        Some(ms) => Ok(std::time::Duration::from_millis(ms)),
        None => Err(format!("{value:?} is too long")),
    }
}

fn parse_metadata(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some(("", _)) => Err("the metadata name before '=' is empty".into()),
        Some((name, v)) => Ok((name.to_string(), v.to_string())),
        None => Err(format!("expected KEY=VALUE, got {value:?}")),
    }
}

/// `FIRST-LAST`, `FIRST-` or `-N` into a range; what the range may be is the core's to check.
fn parse_range(value: &str) -> Result<ByteRange, String> {
    let bad =
        || format!("expected FIRST-LAST, FIRST- or -N (byte offsets from 0; -N: the last N bytes), got {value:?}");
    let (first, last) = value.split_once('-').ok_or_else(bad)?;
    let number = |text: &str| text.trim().parse::<u64>().map_err(|_| bad());
    match (first.trim(), last.trim()) {
        ("", "") => Err(bad()),
        ("", n) => Ok(ByteRange::Last(number(n)?)),
        (first, "") => Ok(ByteRange::From(number(first)?)),
        (first, last) => Ok(ByteRange::Span { first: number(first)?, last: number(last)? }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bodies() {
        assert_eq!(parse_body("-"), Ok(BodySpec::Stdin));
        assert_eq!(parse_body("file:///tmp/x"), Ok(BodySpec::File("/tmp/x".into())));
        assert_eq!(parse_body("file://rel/x"), Ok(BodySpec::File("rel/x".into())));
        assert_eq!(parse_body("hello"), Ok(BodySpec::Text("hello".into())));
        assert_eq!(parse_body(""), Ok(BodySpec::Text(String::new())));
        assert!(parse_body("file://").is_err());
    }

    #[test]
    fn metadata_pairs() {
        assert_eq!(parse_metadata("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert_eq!(parse_metadata("a="), Ok(("a".into(), String::new())));
        assert!(parse_metadata("a").is_err());
        assert!(parse_metadata("=b").is_err());
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0-9"), Ok(ByteRange::Span { first: 0, last: 9 }));
        assert_eq!(parse_range("5-"), Ok(ByteRange::From(5)));
        assert_eq!(parse_range("-3"), Ok(ByteRange::Last(3)));
        assert!(parse_range("-").is_err());
        assert!(parse_range("x").is_err());
        assert!(parse_range("1-x").is_err());
    }
}
