//! Signature V1 (`OSS <AK>:<signature>`, HMAC-SHA1), for older deployments.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use std::time::SystemTime;

use super::{format_http_date, SignRequest};
use crate::credentials::Credentials;

/// Query parameters that V1 signs (besides any `x-oss-*` parameter); others are left out of the
/// canonicalized resource, as the service and the official SDKs do.
pub const SIGNED_SUBRESOURCES: &[&str] = &[
    "acl",
    "append",
    "asyncFetch",
    "bucketInfo",
    "callback",
    "callback-var",
    "cname",
    "comp",
    "continuation-token",
    "cors",
    "delete",
    "encryption",
    "endTime",
    "group",
    "inventory",
    "inventoryId",
    "lifecycle",
    "link",
    "live",
    "location",
    "logging",
    "metaQuery",
    "objectInfo",
    "objectMeta",
    "partNumber",
    "policy",
    "position",
    "qos",
    "qosInfo",
    "referer",
    "regionList",
    "replication",
    "replicationLocation",
    "replicationProgress",
    "requestPayment",
    "resourceGroup",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "security-token",
    "sequential",
    "startTime",
    "stat",
    "status",
    "style",
    "styleName",
    "symlink",
    "tagging",
    "transferAcceleration",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "vod",
    "website",
    "worm",
    "wormExtend",
    "wormId",
];

/// Everything a V1 signature is made of. `Debug` hides the security token the string to sign may hold.
#[derive(Clone, PartialEq, Eq)]
pub struct V1Signature {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// Base64 signature.
    pub signature: String,
}

impl std::fmt::Debug for V1Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V1Signature")
            .field("authorization", &self.authorization)
            .field("string_to_sign", &super::RedactedLines(&self.string_to_sign))
            .field("signature", &self.signature)
            .finish()
    }
}

/// Adds the headers the V1 signer sets: `Date`, and `x-oss-security-token` for STS credentials.
pub fn add_signing_headers(headers: &mut Vec<(String, String)>, credentials: &Credentials, time: SystemTime) {
    let mut set = |name: &str, value: String| {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_string(), value));
    };
    set("Date", format_http_date(time));
    if let Some(token) = credentials.security_token() {
        set("x-oss-security-token", token.to_string());
    }
}

fn is_signed_subresource(name: &str) -> bool {
    SIGNED_SUBRESOURCES.contains(&name) || name.starts_with("x-oss-")
}

/// The canonicalized resource: `/bucket/key` (key not encoded) and the signed sub-resources.
pub fn canonicalized_resource(request: &SignRequest<'_>) -> String {
    let mut resource = match (request.bucket, request.key) {
        (Some(bucket), Some(key)) => format!("/{bucket}/{key}"),
        (Some(bucket), None) => format!("/{bucket}/"),
        _ => "/".to_string(),
    };
    let mut params: Vec<&(String, String)> = request.query.iter().filter(|(n, _)| is_signed_subresource(n)).collect();
    params.sort_unstable();
    if !params.is_empty() {
        resource.push('?');
        let joined: Vec<String> =
            params.iter().map(|(n, v)| if v.is_empty() { n.clone() } else { format!("{n}={v}") }).collect();
        resource.push_str(&joined.join("&"));
    }
    resource
}

/// The V1 string to sign.
pub fn string_to_sign(request: &SignRequest<'_>) -> String {
    let date = request.header("x-oss-date").or_else(|| request.header("Date")).unwrap_or("");
    let mut oss_headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(n, _)| n.starts_with("x-oss-"))
        .collect();
    oss_headers.sort_unstable();
    let mut out = format!(
        "{}\n{}\n{}\n{}\n",
        request.method,
        request.header("Content-MD5").unwrap_or(""),
        request.header("Content-Type").unwrap_or(""),
        date
    );
    for (name, value) in oss_headers {
        out.push_str(&name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str(&canonicalized_resource(request));
    out
}

/// Signs `request` (which must already carry `Date`, see [`add_signing_headers`]).
pub fn sign(request: &SignRequest<'_>, credentials: &Credentials) -> V1Signature {
    let string_to_sign = string_to_sign(request);
    let mut mac = Hmac::<Sha1>::new_from_slice(credentials.access_key_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    V1Signature { authorization: format!("OSS {}:{signature}", credentials.access_key_id()), string_to_sign, signature }
}

/// Splits `OSS <AK>:<signature>` into its access key id and signature.
pub fn parse_authorization(value: &str) -> Option<(String, String)> {
    let rest = value.trim().strip_prefix("OSS ")?;
    let (id, signature) = rest.rsplit_once(':')?;
    Some((id.trim().to_string(), signature.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn append_string_to_sign_keeps_key_unencoded_and_signs_subresources() {
        let query = pairs(&[("position", "0"), ("append", ""), ("unsigned", "x")]);
        let headers = pairs(&[
            ("Date", "Sat, 16 Dec 2023 16:20:57 GMT"),
            ("Content-Type", "text/plain"),
            ("X-OSS-Meta-B", " 2 "),
            ("x-oss-meta-a", "1"),
        ]);
        let request = SignRequest {
            method: "POST",
            bucket: Some("b"),
            key: Some("dir/log+1.txt"),
            query: &query,
            headers: &headers,
        };
        assert_eq!(
            string_to_sign(&request),
            "POST\n\ntext/plain\nSat, 16 Dec 2023 16:20:57 GMT\nx-oss-meta-a:1\nx-oss-meta-b:2\n/b/dir/log+1.txt?append&position=0"
        );
    }

    #[test]
    fn signature_is_base64_hmac_sha1() {
        let headers = pairs(&[
            ("Date", "Thu, 17 Nov 2005 18:49:58 GMT"),
            ("Content-Md5", "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM="),
            ("Content-Type", "text/html"),
            ("X-OSS-Meta-Author", "foo@bar.com"),
            ("X-OSS-Magic", "abracadabra"),
        ]);
        let request = SignRequest {
            method: "PUT",
            bucket: Some("oss-example"),
            key: Some("nelson"),
            query: &[],
            headers: &headers,
        };
        let signed =
            sign(&request, &Credentials::new("44CF9590006BF252F707", "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV"));
        // The worked example of the OSS V1 documentation.
        assert_eq!(signed.authorization, "OSS 44CF9590006BF252F707:26NBxoKdsyly4EDv6inkoDft/yA=");
        assert_eq!(
            parse_authorization(&signed.authorization),
            Some(("44CF9590006BF252F707".into(), "26NBxoKdsyly4EDv6inkoDft/yA=".into()))
        );
    }
}
