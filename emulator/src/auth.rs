//! Checking V4 and V1 signatures with the core's signer: the request is rebuilt as a `SignRequest`,
//! signed again with the stored secret, and the signatures compared.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use hyper::StatusCode;
use oss_append::sign::{self, v1, v4, SignRequest};
use oss_append::Credentials;

use crate::error::OssError;

/// How far the request time may be from the server's clock.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// The keys the emulator accepts. Empty: anonymous requests are accepted (and signatures not checked).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    keys: HashMap<String, Credentials>,
}

impl Keys {
    /// Accepts `credentials`; when they carry a security token, requests must send it.
    pub fn add(&mut self, credentials: Credentials) {
        self.keys.insert(credentials.access_key_id().to_string(), credentials);
    }

    /// The STS keys (with a token) that stay good longest, the first by id among equals: what a
    /// token server would hand out.
    pub fn sts(&self) -> Option<&Credentials> {
        let lasting = |c: &&Credentials| (c.expiration().is_none(), c.expiration());
        let mut sts: Vec<&Credentials> = self.keys.values().filter(|c| c.security_token().is_some()).collect();
        sts.sort_by(|a, b| lasting(b).cmp(&lasting(a)).then(a.access_key_id().cmp(b.access_key_id())));
        sts.first().copied()
    }

    /// Whether no key is configured (anonymous mode).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn invalid_access_key(id: &str) -> OssError {
    OssError::new(
        StatusCode::FORBIDDEN,
        "InvalidAccessKeyId",
        "The OSS Access Key Id you provided does not exist in our records.",
    )
    .extra("OSSAccessKeyId", id)
    .ec("0002-00000902")
}

fn skew_check(request_time: SystemTime, now: SystemTime, shown: &str) -> Result<(), OssError> {
    let skew = match now.duration_since(request_time) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > MAX_SKEW {
        return Err(OssError::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .extra("RequestTime", shown)
        .extra("ServerTime", sign::format_http_date(now))
        .extra("MaxAllowedSkewMilliseconds", MAX_SKEW.as_millis().to_string())
        .ec("0002-00000504"));
    }
    Ok(())
}

/// The STS token the request carries: `x-oss-security-token`, the `security-token` header (which the
/// Python SDK v2 sends with V1), or the `security-token` query parameter.
fn sent_token<'a>(request: &'a SignRequest<'_>) -> Option<&'a str> {
    request
        .header("x-oss-security-token")
        .or_else(|| request.header("security-token"))
        .or_else(|| request.query.iter().find(|(n, _)| n == "security-token").map(|(_, v)| v.as_str()))
}

fn token_check(credentials: &Credentials, request: &SignRequest<'_>, now: SystemTime) -> Result<(), OssError> {
    if let Some(expected) = credentials.security_token() {
        match sent_token(request) {
            Some(token) if token == expected => {}
            Some(_) => {
                return Err(OssError::new(
                    StatusCode::FORBIDDEN,
                    "InvalidSecurityToken",
                    "The security token you provided is invalid.",
                )
                .ec("0002-00000006"))
            }
            None => {
                return Err(OssError::new(
                    StatusCode::FORBIDDEN,
                    "InvalidSecurityToken",
                    "These are STS credentials: the request must carry their security token in x-oss-security-token.",
                )
                .ec("0002-00000006"))
            }
        }
        if credentials.expiration().is_some_and(|expiration| now >= expiration) {
            return Err(OssError::new(
                StatusCode::FORBIDDEN,
                "SecurityTokenExpired",
                "The security token you provided has expired.",
            )
            .ec("0002-00000007"));
        }
    }
    Ok(())
}

fn mismatch(provided: &str, string_to_sign: &str) -> OssError {
    OssError::new(
        StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
    .extra("StringToSign", string_to_sign)
    .extra("SignatureProvided", provided)
    .ec("0002-00000040")
}

/// Verifies the request's Authorization. `Ok(Some(id))` for a signed request, `Ok(None)` in anonymous
/// mode.
pub fn verify(
    keys: &Keys,
    region: &str,
    request: &SignRequest<'_>,
    now: SystemTime,
) -> Result<Option<String>, OssError> {
    if keys.is_empty() {
        return Ok(None);
    }
    let Some(authorization) = request.header("authorization") else {
        if request.query.iter().any(|(n, _)| n == "Signature" || n == "x-oss-signature") {
            return Err(OssError::not_implemented("presigned URLs"));
        }
        return Err(OssError::access_denied("You have no right to access this object: the request is not signed.")
            .ec("0003-00000001"));
    };
    if authorization.trim_start().starts_with(v4::ALGORITHM) {
        verify_v4(keys, region, request, authorization, now).map(Some)
    } else if authorization.trim_start().starts_with("OSS ") {
        verify_v1(keys, request, authorization, now).map(Some)
    } else {
        Err(OssError::invalid_argument("The Authorization header is neither OSS4-HMAC-SHA256 nor OSS (V1).")
            .ec("0002-00000005"))
    }
}

fn verify_v4(
    keys: &Keys,
    region: &str,
    request: &SignRequest<'_>,
    authorization: &str,
    now: SystemTime,
) -> Result<String, OssError> {
    let parsed = v4::parse_authorization(authorization).ok_or_else(|| {
        OssError::invalid_argument(format!(
            "The V4 Authorization header is malformed: expected \"{} Credential=<AK>/<yyyymmdd>/<region>/oss/aliyun_v4_request[,AdditionalHeaders=<names>],Signature=<hex>\"",
            v4::ALGORITHM
        ))
        .ec("0002-00000005")
    })?;
    let credentials = keys.keys.get(&parsed.access_key_id).ok_or_else(|| invalid_access_key(&parsed.access_key_id))?;
    token_check(credentials, request, now)?;
    let Some(date) = request.header("x-oss-date") else {
        return Err(OssError::access_denied("A V4 signed request must carry x-oss-date.").ec("0002-00000021"));
    };
    let time = sign::parse_iso8601(date.trim()).ok_or_else(|| {
        OssError::invalid_argument(format!("x-oss-date \"{date}\" is not in the form YYYYMMDDTHHMMSSZ."))
            .ec("0002-00000021")
    })?;
    skew_check(time, now, date)?;
    if parsed.product != v4::PRODUCT_OSS {
        return Err(OssError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            format!("Invalid signing product in Authorization header: \"{}\", expected \"oss\".", parsed.product),
        )
        .ec("0002-00000040"));
    }
    if parsed.region != region {
        return Err(OssError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            format!(
                "Invalid signing region in Authorization header: the request was signed for region \"{}\", this endpoint serves \"{region}\".",
                parsed.region
            ),
        )
        .ec("0002-00000040"));
    }
    let expected = v4::sign(
        request,
        &parsed.additional_headers,
        credentials,
        &v4::V4Scope { region, product: v4::PRODUCT_OSS, time },
    );
    if expected.signature != parsed.signature || !date_matches_scope(date, &parsed.date) {
        return Err(
            mismatch(&parsed.signature, &expected.string_to_sign).extra("CanonicalRequest", expected.canonical_request)
        );
    }
    Ok(parsed.access_key_id)
}

/// The scope's date must be the x-oss-date's day.
fn date_matches_scope(x_oss_date: &str, scope_date: &str) -> bool {
    x_oss_date.trim().get(..8) == Some(scope_date)
}

fn verify_v1(keys: &Keys, request: &SignRequest<'_>, authorization: &str, now: SystemTime) -> Result<String, OssError> {
    let (id, provided) = v1::parse_authorization(authorization).ok_or_else(|| {
        OssError::invalid_argument("The V1 Authorization header is malformed: expected \"OSS <AK>:<signature>\".")
            .ec("0002-00000005")
    })?;
    let credentials = keys.keys.get(&id).ok_or_else(|| invalid_access_key(&id))?;
    token_check(credentials, request, now)?;
    let Some(date) = request.header("x-oss-date").or_else(|| request.header("date")) else {
        return Err(OssError::access_denied("A V1 signed request must carry a Date header.").ec("0002-00000021"));
    };
    let time = sign::parse_http_date(date.trim()).or_else(|| sign::parse_iso8601(date.trim())).ok_or_else(|| {
        OssError::access_denied(format!("The date \"{date}\" is not an RFC 1123 date.")).ec("0002-00000021")
    })?;
    skew_check(time, now, date)?;
    let expected = v1::sign(request, credentials);
    if expected.signature != provided {
        return Err(mismatch(&provided, &expected.string_to_sign));
    }
    Ok(id)
}
