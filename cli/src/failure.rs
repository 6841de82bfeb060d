//! What went wrong, which exit code says so, and what to do about it, printed on standard error.
//! The exit code is a translation of the core's error kind; "safe to run again" is said only where
//! the core's [`Error::is_retryable`] says nothing was written.

use std::fmt::Write as _;

use oss_append::{Error, InFlight, ServiceError, ServiceErrorKind};

/// Exit codes; `EXIT_CODES` in args.rs documents them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    Other = 1,
    Usage = 2,
    Auth = 3,
    PositionConflict = 4,
    Network = 5,
    CrcMismatch = 6,
    NotFound = 7,
    Unsettled = 8,
    NotLanded = 9,
    Tls = 10,
}

/// A failed command, ready to print.
#[derive(Debug)]
pub struct Failure {
    pub class: ExitClass,
    /// One line: what failed.
    pub summary: String,
    /// `Code`, `Message`, `RequestId`, `EC` and the like.
    pub fields: Vec<(&'static str, String)>,
    /// What to do.
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(class: ExitClass, summary: impl Into<String>) -> Self {
        Self { class, summary: summary.into(), fields: Vec::new(), hint: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `context` names the operation and object, e.g. `append-object oss://b/k`.
    pub fn from_error(context: &str, error: &Error) -> Self {
        let class = classify(error);
        let mut failure = match error {
            Error::Service(service) => from_service(context, class, service),
            // The hint goes on its own line.
            Error::Tls { host, message, .. } => {
                Failure::new(class, format!("{context}: TLS with {host} failed: {message}"))
            }
            other => Failure::new(class, format!("{context}: {other}")),
        };
        if failure.hint.is_none() {
            failure.hint = match error {
                Error::Credentials { .. } => Some(
                    "give --access-key-id and --access-key-secret, or set OSS_ACCESS_KEY_ID and \
                     OSS_ACCESS_KEY_SECRET (and --sts-token / OSS_SESSION_TOKEN for STS keys)"
                        .into(),
                ),
                Error::Unsettled(unsettled) => Some(settle_hint(&unsettled.in_flight)),
                Error::Tls { kind, .. } if *kind == oss_append::TlsErrorKind::UnknownIssuer => Some(
                    "give the certificate authority with --ca-bundle FILE (or OSS_CA_BUNDLE); running the command \
                     again does not help"
                        .into(),
                ),
                Error::Tls { hint, .. } => Some(format!("{hint}; running the command again does not help")),
                Error::CrcMismatch { .. } | Error::Unverified { .. } => Some(
                    "the data is in the object: do not send it again; read the object back (get-object) and \
                     compare before appending more"
                        .into(),
                ),
                e if e.is_retryable() => Some(
                    "check --endpoint and the network; nothing was written: the command is safe to run again".into(),
                ),
                _ => None,
            };
        }
        if let Error::Unsettled(unsettled) = error {
            let f = &unsettled.in_flight;
            failure.fields.push(("MayHaveLanded", format!("{} bytes at position {}", f.length, f.position)));
        }
        failure
    }

    pub fn exit_code(&self) -> i32 {
        self.class as i32
    }

    /// The text printed on standard error.
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.summary);
        let width = self.fields.iter().map(|(name, _)| name.len() + 1).max().unwrap_or(0);
        for (name, value) in &self.fields {
            let label = format!("{name}:");
            let _ = writeln!(out, "  {label:<width$} {value}");
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "hint: {hint}");
        }
        out
    }
}

/// The command line that settles an append whose outcome is unknown.
pub fn settle_command(f: &InFlight) -> String {
    let mut command = format!(
        "oss-append settle --bucket {} --key {} --position {} --length {} --body-crc64 {}",
        shell_word(&f.bucket),
        shell_word(&f.key),
        f.position,
        f.length,
        f.body_crc64
    );
    if let Some(before) = f.crc64_before {
        command.push_str(&format!(" --crc64-before {before}"));
    }
    command
}

fn settle_hint(f: &InFlight) -> String {
    format!(
        "the data may be in the object: do NOT run the command again before finding out; run `{}` \
         (exit 0: it landed; exit 9: it did not, and sending it again appends it once)",
        settle_command(f)
    )
}

/// A word a POSIX shell reads back as `text`.
pub fn shell_word(text: &str) -> String {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn from_service(context: &str, class: ExitClass, e: &ServiceError) -> Failure {
    let code = if e.code.is_empty() { "(no code)" } else { e.code.as_str() };
    let mut failure = Failure::new(class, format!("{context}: OSS returned HTTP {} {code}", e.status));
    let mut push = |name: &'static str, value: &str| {
        if !value.is_empty() {
            failure.fields.push((name, value.to_string()));
        }
    };
    push("Code", &e.code);
    push("Message", &e.message);
    push("RequestId", &e.request_id);
    push("EC", &e.ec);
    push("HostId", &e.host_id);
    if let Some(position) = e.position {
        failure.fields.push(("Position", position.to_string()));
    }
    if let Some(next) = e.next_position {
        failure.fields.push(("NextPosition", next.to_string()));
    }
    use ServiceErrorKind as K;
    let hint = match e.kind {
        K::PositionNotEqualToLength => match e.next_position {
            Some(next) => format!(
                "the object is {next} bytes long: append with --position {next}, or leave --position out \
                 to append at its end"
            ),
            None => "leave --position out to append at the object's end (head-object shows it)".into(),
        },
        K::ObjectNotAppendable => "the object was made by put-object or a multipart upload and cannot be appended \
                                   to: use another key, or delete-object it first"
            .into(),
        K::SignatureDoesNotMatch => {
            "check --access-key-secret, --region and --sign-version against the endpoint".into()
        }
        K::InvalidAccessKeyId => "check --access-key-id (or OSS_ACCESS_KEY_ID)".into(),
        K::RequestTimeTooSkewed => "correct this machine's clock".into(),
        K::SecurityTokenExpired | K::InvalidSecurityToken => {
            "fetch a new STS token and pass it with --sts-token (or OSS_SESSION_TOKEN)".into()
        }
        K::NoSuchBucket => "check --bucket and that --endpoint is the bucket's region".into(),
        K::NoSuchKey => "check --bucket and --key".into(),
        _ if e.is_retryable() => {
            "the service is busy or failing; nothing was written: the command is safe to run again later".into()
        }
        _ if e.status == 403 => "check the access key id and secret, --region, --sign-version, and the RAM policy for \
                                 this bucket and key"
            .into(),
        _ => "see Code, Message and EC in the OSS error documentation".into(),
    };
    failure.hint = Some(hint);
    failure
}

/// The exit class of a core error.
pub fn classify(error: &Error) -> ExitClass {
    use ServiceErrorKind as K;
    match error {
        Error::Service(e) => match e.kind {
            K::PositionNotEqualToLength | K::ObjectNotAppendable => ExitClass::PositionConflict,
            kind if kind.is_credentials() || kind == K::AccessDenied || kind == K::RequestTimeTooSkewed => {
                ExitClass::Auth
            }
            K::NoSuchKey | K::NoSuchBucket => ExitClass::NotFound,
            _ if e.is_retryable() => ExitClass::Network,
            _ if e.status == 401 || e.status == 403 => ExitClass::Auth,
            _ if e.status == 404 => ExitClass::NotFound,
            _ => ExitClass::Other,
        },
        Error::CrcMismatch { .. } | Error::Unverified { .. } => ExitClass::CrcMismatch,
        Error::Unsettled(_) => ExitClass::Unsettled,
        Error::Credentials { .. } => ExitClass::Auth,
        Error::Tls { .. } => ExitClass::Tls,
        Error::InvalidArgument { .. } => ExitClass::Usage,
        e if e.is_retryable() => ExitClass::Network,
        _ => ExitClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oss_append::{TimeoutKind, Unsettled};

    fn service(status: u16, code: &str) -> Error {
        Error::from(ServiceError::new(status, code))
    }

    fn unsettled() -> Error {
        let in_flight = InFlight {
            bucket: "bkt".into(),
            key: "logs/it's.log".into(),
            position: 6,
            length: 7,
            body_crc64: 123,
            crc64_before: Some(456),
        };
        Error::Unsettled(Box::new(Unsettled::new(in_flight, Error::Timeout { kind: TimeoutKind::Connect, millis: 10 })))
    }

    #[test]
    fn classes() {
        assert_eq!(classify(&service(409, "PositionNotEqualToLength")), ExitClass::PositionConflict);
        assert_eq!(classify(&service(409, "ObjectNotAppendable")), ExitClass::PositionConflict);
        assert_eq!(classify(&service(403, "AccessDenied")), ExitClass::Auth);
        assert_eq!(classify(&service(403, "SecurityTokenExpired")), ExitClass::Auth);
        assert_eq!(classify(&service(404, "NoSuchKey")), ExitClass::NotFound);
        assert_eq!(classify(&service(404, "")), ExitClass::NotFound);
        assert_eq!(classify(&service(503, "ServiceUnavailable")), ExitClass::Network);
        assert_eq!(classify(&service(400, "InvalidArgument")), ExitClass::Other);
        assert_eq!(classify(&Error::Protocol("junk".into())), ExitClass::Other);
        assert_eq!(classify(&Error::Credentials { reason: "none".into() }), ExitClass::Auth);
        let crc = Error::CrcMismatch { expected_crc64: 1, server_crc64: 2, next_position: 3, request_id: "r".into() };
        assert_eq!(classify(&crc), ExitClass::CrcMismatch);
        assert_eq!(classify(&unsettled()), ExitClass::Unsettled);
    }

    #[test]
    fn safe_to_run_again_is_said_only_of_retryable_errors() {
        let cases = [
            service(503, "ServiceUnavailable"),
            service(409, "PositionNotEqualToLength"),
            Error::Timeout { kind: TimeoutKind::ReadWrite, millis: 5 },
            unsettled(),
            Error::CrcMismatch { expected_crc64: 1, server_crc64: 2, next_position: 3, request_id: "r".into() },
            Error::Unverified { next_position: 3, request_id: "r".into() },
            Error::Protocol("junk".into()),
        ];
        for error in cases {
            let text = Failure::from_error("append-object oss://b/k", &error).render();
            assert_eq!(text.contains("safe to run again"), error.is_retryable(), "{text}");
        }
    }

    #[test]
    fn an_unsettled_append_says_how_to_settle_it() {
        let failure = Failure::from_error("append-object oss://bkt/k", &unsettled());
        assert_eq!(failure.exit_code(), 8);
        let text = failure.render();
        for want in [
            "may have landed",
            "do NOT run the command again",
            "oss-append settle --bucket bkt --key 'logs/it'\\''s.log' --position 6 --length 7 --body-crc64 123 --crc64-before 456",
            "MayHaveLanded",
        ] {
            assert!(text.contains(want), "{want} missing from {text}");
        }
    }

    #[test]
    fn a_position_conflict_says_where_to_append() {
        let mut service = ServiceError::new(409, "PositionNotEqualToLength");
        service.message = "Position is not equal to file length".into();
        service.request_id = "RID".into();
        service.ec = "0026-00000016".into();
        service.next_position = Some(42);
        service.position = Some(0);
        let text = Failure::from_error("append-object oss://b/k", &Error::from(service)).render();
        for want in ["HTTP 409 PositionNotEqualToLength", "RequestId", "RID", "EC", "0026-00000016", "--position 42"] {
            assert!(text.contains(want), "{want} missing from {text}");
        }
    }
}
