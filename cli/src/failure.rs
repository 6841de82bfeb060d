//! What went wrong, which exit code says so, and what to do about it, printed on standard error.

use std::fmt::Write as _;

use oss_append::{Error, ServiceError};

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
        match error {
            Error::Service(service) => from_service(context, class, service),
            other => {
                let hint = match other {
                    Error::Credentials { .. } => Some(
                        "give --access-key-id and --access-key-secret, or set OSS_ACCESS_KEY_ID and \
                         OSS_ACCESS_KEY_SECRET (and --sts-token / OSS_SESSION_TOKEN for STS keys)",
                    ),
                    Error::Network { .. } | Error::Timeout { .. } => {
                        Some("check --endpoint and the network; the command is safe to run again")
                    }
                    Error::CrcMismatch { .. } => Some(
                        "the data reached the service but its CRC-64 differs: read the object back \
                         (get-object) and compare before appending more",
                    ),
                    _ => None,
                };
                let mut failure = Failure::new(class, format!("{context}: {other}"));
                failure.hint = hint.map(str::to_string);
                failure
            }
        }
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
    let hint = match (e.status, e.code.as_str()) {
        (_, "PositionNotEqualToLength") => match e.next_position {
            Some(next) => format!(
                "the object is {next} bytes long: append with --position {next}, or leave --position out \
                 to append at its end"
            ),
            None => "leave --position out to append at the object's end (head-object shows it)".into(),
        },
        (_, "ObjectNotAppendable") => {
            "the object was made by put-object or a multipart upload and cannot be appended to: use \
             another key, or delete-object it first"
                .into()
        }
        (_, "SignatureDoesNotMatch") => {
            "check --access-key-secret, --region and --sign-version against the endpoint".into()
        }
        (_, "InvalidAccessKeyId") => "check --access-key-id (or OSS_ACCESS_KEY_ID)".into(),
        (_, "RequestTimeTooSkewed") => "correct this machine's clock".into(),
        (_, "SecurityTokenExpired" | "InvalidSecurityToken") => {
            "fetch a new STS token and pass it with --sts-token (or OSS_SESSION_TOKEN)".into()
        }
        (403, _) => "check the access key id and secret, --region, --sign-version, and the RAM policy for this \
             bucket and key"
            .into(),
        (_, "NoSuchBucket") => "check --bucket and that --endpoint is the bucket's region".into(),
        (404, _) => "check --bucket and --key".into(),
        (s, _) if s >= 500 || s == 408 || s == 429 => {
            "the service is busy or failing; the command is safe to run again later".into()
        }
        _ => "see Code, Message and EC in the OSS error documentation".into(),
    };
    failure.hint = Some(hint);
    failure
}

/// The exit class of a core error.
pub fn classify(error: &Error) -> ExitClass {
    match error {
        Error::Service(e) => match (e.status, e.code.as_str()) {
            (_, "PositionNotEqualToLength" | "ObjectNotAppendable") => ExitClass::PositionConflict,
            (401 | 403, _)
            | (
                _,
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "SecurityTokenExpired"
                | "InvalidSecurityToken"
                | "RequestTimeTooSkewed",
            ) => ExitClass::Auth,
            (404, _) => ExitClass::NotFound,
            (s, _) if s >= 500 || s == 408 || s == 429 => ExitClass::Network,
            _ => ExitClass::Other,
        },
        Error::CrcMismatch { .. } => ExitClass::CrcMismatch,
        Error::Network { .. } | Error::Timeout { .. } => ExitClass::Network,
        Error::Credentials { .. } => ExitClass::Auth,
        Error::InvalidArgument { .. } => ExitClass::Usage,
        _ => ExitClass::Other,
    }
}

/// Whether follow mode keeps the batch and tries again: the failures a later attempt may get past.
pub fn is_transient(error: &Error) -> bool {
    match error {
        Error::Network { .. } | Error::Timeout { .. } | Error::Protocol(_) => true,
        Error::Service(e) => e.status >= 500 || e.status == 408 || e.status == 429 || e.code == "RequestTimeTooSkewed",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> Error {
        Error::Service(Box::new(ServiceError { status, code: code.into(), ..Default::default() }))
    }

    #[test]
    fn classes() {
        assert_eq!(classify(&service(409, "PositionNotEqualToLength")), ExitClass::PositionConflict);
        assert_eq!(classify(&service(409, "ObjectNotAppendable")), ExitClass::PositionConflict);
        assert_eq!(classify(&service(403, "AccessDenied")), ExitClass::Auth);
        assert_eq!(classify(&service(404, "NoSuchKey")), ExitClass::NotFound);
        assert_eq!(classify(&service(404, "")), ExitClass::NotFound);
        assert_eq!(classify(&service(503, "ServiceUnavailable")), ExitClass::Network);
        assert_eq!(classify(&service(400, "InvalidArgument")), ExitClass::Other);
        assert_eq!(classify(&Error::Network { message: "reset".into() }), ExitClass::Network);
        assert_eq!(classify(&Error::Credentials { reason: "none".into() }), ExitClass::Auth);
        let crc = Error::CrcMismatch { expected_crc64: 1, server_crc64: 2, next_position: 3, request_id: "r".into() };
        assert_eq!(classify(&crc), ExitClass::CrcMismatch);
    }

    #[test]
    fn a_position_conflict_says_where_to_append() {
        let error = Error::Service(Box::new(ServiceError {
            status: 409,
            code: "PositionNotEqualToLength".into(),
            message: "Position is not equal to file length".into(),
            request_id: "RID".into(),
            ec: "0026-00000016".into(),
            next_position: Some(42),
            position: Some(0),
            ..Default::default()
        }));
        let text = Failure::from_error("append-object oss://b/k", &error).render();
        for want in ["HTTP 409 PositionNotEqualToLength", "RequestId", "RID", "EC", "0026-00000016", "--position 42"] {
            assert!(text.contains(want), "{want} missing from {text}");
        }
    }

    #[test]
    fn transient_errors() {
        assert!(is_transient(&service(503, "ServiceUnavailable")));
        assert!(is_transient(&Error::Network { message: "x".into() }));
        assert!(!is_transient(&service(409, "PositionNotEqualToLength")));
        assert!(!is_transient(&service(403, "AccessDenied")));
    }
}
