//! Signature V4 (`OSS4-HMAC-SHA256`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::time::SystemTime;

use std::borrow::Cow;

use percent_encoding::utf8_percent_encode;

use super::{format_iso8601, SignRequest, PATH, UNRESERVED};
use crate::credentials::Credentials;

/// The algorithm name at the start of the Authorization header.
pub const ALGORITHM: &str = "OSS4-HMAC-SHA256";
/// The payload hash OSS signs with: the body is not hashed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The product in the credential scope.
pub const PRODUCT_OSS: &str = "oss";

/// Everything a V4 signature is made of, for sending and for debugging a mismatch. `Debug` hides
/// the security token that the canonical request may hold.
#[derive(Clone, PartialEq, Eq)]
pub struct V4Signature {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// The string that was signed.
    pub string_to_sign: String,
    /// Hex signature.
    pub signature: String,
}

impl std::fmt::Debug for V4Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V4Signature")
            .field("authorization", &self.authorization)
            .field("canonical_request", &super::RedactedLines(&self.canonical_request))
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &self.signature)
            .finish()
    }
}

/// Inputs besides the request: where and when.
#[derive(Debug, Clone, Copy)]
pub struct V4Scope<'a> {
    /// Bare region id, e.g. `cn-hangzhou`.
    pub region: &'a str,
    /// Product, `oss` for OSS.
    pub product: &'a str,
    /// Signing time; must equal the request's `x-oss-date`.
    pub time: SystemTime,
}

/// Adds the headers the V4 signer sets: `x-oss-date`, `x-oss-content-sha256`, and
/// `x-oss-security-token` for STS credentials. Replaces any earlier values of them.
pub fn add_signing_headers(headers: &mut Vec<(String, String)>, credentials: &Credentials, time: SystemTime) {
    let mut set = |name: &str, value: String| {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_string(), value));
    };
    set("x-oss-date", format_iso8601(time));
    set("x-oss-content-sha256", UNSIGNED_PAYLOAD.to_string());
    if let Some(token) = credentials.security_token() {
        set("x-oss-security-token", token.to_string());
    }
}

fn is_default_signed(lower_name: &str) -> bool {
    lower_name.starts_with("x-oss-") || lower_name == "content-type" || lower_name == "content-md5"
}

/// [`is_default_signed`] for a name in any case.
fn is_default_signed_any_case(name: &str) -> bool {
    name.get(..6).is_some_and(|prefix| prefix.eq_ignore_ascii_case("x-oss-"))
        || name.eq_ignore_ascii_case("content-type")
        || name.eq_ignore_ascii_case("content-md5")
}

/// The additional headers that take part: named by the caller, present in the request, and not
/// already signed by default; lower-cased, sorted, deduplicated.
pub fn effective_additional_headers(request: &SignRequest<'_>, additional: &[String]) -> Vec<String> {
    let mut names: Vec<String> = additional
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty() && !is_default_signed(n) && request.header(n).is_some_and(|v| !v.trim().is_empty()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The canonical URI: `/bucket/key` percent-encoded, `/` kept.
pub fn canonical_uri(bucket: Option<&str>, key: Option<&str>) -> String {
    let mut out = String::new();
    write_canonical_uri(&mut out, bucket, key);
    out
}

fn write_canonical_uri(out: &mut String, bucket: Option<&str>, key: Option<&str>) {
    out.push('/');
    if let Some(bucket) = bucket {
        out.extend(utf8_percent_encode(bucket, PATH));
        out.push('/');
        if let Some(key) = key {
            out.extend(utf8_percent_encode(key, PATH));
        }
    }
}

/// The canonical query string: names and values encoded, sorted by encoded name.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut out = String::new();
    write_canonical_query(&mut out, query);
    out
}

/// Whether percent-encoding with [`UNRESERVED`] leaves `text` as it is.
fn is_unreserved(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

fn write_canonical_query(out: &mut String, query: &[(String, String)]) {
    let mut put_pair = |i: usize, name: &str, value: &str| {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        if !value.is_empty() {
            out.push('=');
            out.push_str(value);
        }
    };
    if let [(a, a_value), (b, b_value)] = query {
        if [a, a_value, b, b_value].iter().all(|text| is_unreserved(text)) {
            // Two parameters with nothing to encode (an append's `append` and `position`): ordered
            // as they are, without a sorted copy.
            let (first, second) = if (a, a_value) <= (b, b_value) { (0, 1) } else { (1, 0) };
            put_pair(0, &query[first].0, &query[first].1);
            put_pair(1, &query[second].0, &query[second].1);
            return;
        }
    }
    // Encoded without a copy where nothing needs encoding (`append`, `position`, numbers).
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = query
        .iter()
        .map(|(n, v)| (utf8_percent_encode(n, UNRESERVED).into(), utf8_percent_encode(v, UNRESERVED).into()))
        .collect();
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        put_pair(i, name, value);
    }
}

/// The canonical request for `request`, signing `additional` headers besides the default set.
pub fn canonical_request(request: &SignRequest<'_>, additional: &[String]) -> String {
    let additional = effective_additional_headers(request, additional);
    // Chosen before lower-casing, so a header that is not signed is not copied; up to 8 (a
    // request's usual few) sorted on the stack.
    let mut inline: [(Cow<'_, str>, &str); 8] = Default::default();
    let mut spilled = Vec::new();
    let mut count = 0;
    for (name, value) in request.headers {
        if !(is_default_signed_any_case(name) || additional.iter().any(|a| a.eq_ignore_ascii_case(name))) {
            continue;
        }
        let header = (lower(name), value.trim());
        match inline.get_mut(count) {
            Some(slot) => *slot = header,
            None => {
                if spilled.is_empty() {
                    spilled.extend(inline.iter_mut().map(std::mem::take));
                }
                spilled.push(header);
            }
        }
        count += 1;
    }
    let headers = if count <= inline.len() { &mut inline[..count] } else { &mut spilled[..] };
    headers.sort_unstable();
    let mut out = String::with_capacity(512);
    out.push_str(request.method);
    out.push('\n');
    write_canonical_uri(&mut out, request.bucket, request.key);
    out.push('\n');
    write_canonical_query(&mut out, request.query);
    out.push('\n');
    for (name, value) in headers.iter() {
        out.push_str(name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in additional.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(UNSIGNED_PAYLOAD);
    out
}

/// `name` in lower case, copied only when it has an upper-case letter.
fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lowercase hex, without a formatting call (and an allocation) per byte.
#[cfg(test)]
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// `bytes` in lowercase hex, after what `out` holds.
fn push_hex(out: &mut String, bytes: &[u8]) {
    /// Each byte's two digits.
    const PAIRS: [[u8; 2]; 256] = {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut pairs = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            pairs[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
            i += 1;
        }
        pairs
    };
    // A digest's digits into bytes first, then one push: a `char` pushed at a time costs a UTF-8
    // encoding each.
    for part in bytes.chunks(32) {
        let mut digits = [0u8; 64];
        for (pair, &byte) in digits.chunks_exact_mut(2).zip(part) {
            pair.copy_from_slice(&PAIRS[usize::from(byte)]);
        }
        out.push_str(std::str::from_utf8(&digits[..part.len() * 2]).expect("hex digits are ASCII"));
    }
}

/// The V4 signing key of a secret for a day (`yyyymmdd`), region and product: the same for every
/// request of that day, so a client may keep it (see [`sign_with_key`]).
pub fn signing_key(secret: &str, date: &str, region: &str, product: &str) -> [u8; 32] {
    let key = hmac_sha256(format!("aliyun_v4{secret}").as_bytes(), date.as_bytes());
    let key = hmac_sha256(&key, region.as_bytes());
    let key = hmac_sha256(&key, product.as_bytes());
    hmac_sha256(&key, b"aliyun_v4_request")
}

/// Signs `request` (which must already carry `x-oss-date`, see [`add_signing_headers`]).
pub fn sign(
    request: &SignRequest<'_>,
    additional: &[String],
    credentials: &Credentials,
    scope: &V4Scope<'_>,
) -> V4Signature {
    let datetime = format_iso8601(scope.time);
    let key = signing_key(credentials.access_key_secret(), &datetime[..8], scope.region, scope.product);
    sign_with_key(request, additional, credentials, scope, &key)
}

/// [`sign`] with the [`signing_key`] of `credentials` for the scope's day, region and product.
pub fn sign_with_key(
    request: &SignRequest<'_>,
    additional: &[String],
    credentials: &Credentials,
    scope: &V4Scope<'_>,
    key: &[u8; 32],
) -> V4Signature {
    let canonical_request = canonical_request(request, additional);
    let additional = effective_additional_headers(request, additional);
    let datetime = format_iso8601(scope.time);
    let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    let (string_to_sign, authorization) = finish(&canonical_request, &additional, credentials, scope, &datetime, mac);
    let signature = authorization[authorization.len() - 64..].to_string();
    V4Signature { authorization, canonical_request, string_to_sign, signature }
}

/// A day's [`signing_key`] with its HMAC keyed: what a client keeps for the day, so that a request
/// does not pad and hash the key again (two SHA-256 blocks a request).
#[derive(Clone)]
pub(crate) struct DayKey {
    /// The key itself, which the tests compare.
    #[cfg(test)]
    pub key: [u8; 32],
    mac: Hmac<Sha256>,
}

impl DayKey {
    pub(crate) fn new(key: [u8; 32]) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
        Self {
            #[cfg(test)]
            key,
            mac,
        }
    }
}

/// The `Authorization` value of `request`, signed with no additional headers: [`sign_with_key`]'s
/// result without the parts kept for debugging, for the client's every request. The time is the
/// request's `x-oss-date`, which [`add_signing_headers`] wrote from `scope.time` (formatted again
/// only when it is missing).
pub(crate) fn authorization(
    request: &SignRequest<'_>,
    credentials: &Credentials,
    scope: &V4Scope<'_>,
    key: &DayKey,
) -> String {
    let formatted;
    let datetime = match request.header("x-oss-date") {
        Some(datetime) => datetime,
        None => {
            formatted = format_iso8601(scope.time);
            &formatted
        }
    };
    finish(&canonical_request(request, &[]), &[], credentials, scope, datetime, key.mac.clone()).1
}

/// The string to sign for `canonical_request`, and the `Authorization` value that ends with its
/// signature (64 hex digits), made with `mac`: the HMAC keyed with the day's signing key.
fn finish(
    canonical_request: &str,
    additional: &[String],
    credentials: &Credentials,
    scope: &V4Scope<'_>,
    datetime: &str,
    mut mac: Hmac<Sha256>,
) -> (String, String) {
    let mut string_to_sign =
        String::with_capacity(ALGORITHM.len() + datetime.len() + scope.region.len() + scope.product.len() + 96);
    string_to_sign.push_str(ALGORITHM);
    string_to_sign.push('\n');
    string_to_sign.push_str(datetime);
    string_to_sign.push('\n');
    let credential_scope = string_to_sign.len();
    for part in [datetime.get(..8).unwrap_or(datetime), "/", scope.region, "/", scope.product, "/aliyun_v4_request"] {
        string_to_sign.push_str(part);
    }
    let credential_scope = credential_scope..string_to_sign.len();
    string_to_sign.push('\n');
    push_hex(&mut string_to_sign, &Sha256::digest(canonical_request.as_bytes()));

    let access_key_id = credentials.access_key_id();
    let additional_len: usize = additional.iter().map(|a| a.len() + 1).sum();
    let mut authorization =
        String::with_capacity(ALGORITHM.len() + access_key_id.len() + credential_scope.len() + additional_len + 120);
    for part in [ALGORITHM, " Credential=", access_key_id, "/", &string_to_sign[credential_scope]] {
        authorization.push_str(part);
    }
    for (i, name) in additional.iter().enumerate() {
        authorization.push_str(if i == 0 { ",AdditionalHeaders=" } else { ";" });
        authorization.push_str(name);
    }
    authorization.push_str(",Signature=");
    mac.update(string_to_sign.as_bytes());
    push_hex(&mut authorization, &mac.finalize().into_bytes());
    (string_to_sign, authorization)
}

/// The parts of a V4 Authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// Access key id.
    pub access_key_id: String,
    /// `yyyymmdd` of the scope.
    pub date: String,
    /// Region of the scope.
    pub region: String,
    /// Product of the scope.
    pub product: String,
    /// Additional header names, as written.
    pub additional_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parses `OSS4-HMAC-SHA256 Credential=AK/date/region/product/aliyun_v4_request[,AdditionalHeaders=a;b],Signature=hex`,
/// with or without spaces after the commas.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
    let mut credential = None;
    let mut additional_headers = Vec::new();
    let mut signature = None;
    for part in rest.split(',') {
        let (name, val) = part.trim().split_once('=')?;
        match name.trim() {
            "Credential" => credential = Some(val.trim()),
            "AdditionalHeaders" => {
                additional_headers = val.split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
            }
            "Signature" => signature = Some(val.trim().to_string()),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let access_key_id = scope.next()?.to_string();
    let date = scope.next()?.to_string();
    let region = scope.next()?.to_string();
    let product = scope.next()?.to_string();
    if scope.next()? != "aliyun_v4_request" || scope.next().is_some() {
        return None;
    }
    Some(ParsedAuthorization { access_key_id, date, region, product, additional_headers, signature: signature? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn canonical_parts_are_sorted_and_lowered() {
        let pairs =
            |list: &[(&str, &str)]| list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>();
        // Two parameters with nothing to encode (ordered without a copy), and the others.
        assert_eq!(canonical_query(&pairs(&[("position", "5"), ("append", "")])), "append&position=5");
        assert_eq!(canonical_query(&pairs(&[("append", ""), ("position", "5")])), "append&position=5");
        assert_eq!(canonical_query(&pairs(&[("a", "2"), ("a", "1")])), "a=1&a=2");
        assert_eq!(canonical_query(&pairs(&[("b", "2"), ("a", "1"), ("a", "0")])), "a=0&a=1&b=2");
        assert_eq!(canonical_query(&pairs(&[("b", "2"), ("a b", "1")])), "a%20b=1&b=2");
        assert_eq!(canonical_query(&pairs(&[("b", "2"), ("a+", "1")])), "a%2B=1&b=2");
        // Names lower-cased and sorted with their values; unsigned ones left out.
        let headers = pairs(&[
            ("X-OSS-B", "1"),
            ("x-oss-a", " 2 "),
            ("Content-Type", "t"),
            ("Content-Length", "9"),
            ("x-oss-a", "1"),
        ]);
        let request = SignRequest { method: "POST", bucket: Some("b"), key: Some("k"), query: &[], headers: &headers };
        assert_eq!(
            canonical_request(&request, &[]),
            "POST\n/b/k\n\ncontent-type:t\nx-oss-a:1\nx-oss-a:2\nx-oss-b:1\n\n\nUNSIGNED-PAYLOAD"
        );
        // As many signed headers as are sorted on the stack, and more.
        for count in [7, 8, 9, 16, 17, 20] {
            let many: Vec<(String, String)> =
                (0..count).rev().map(|i| (format!("X-Oss-Meta-{i:02}"), i.to_string())).collect();
            let request = SignRequest { headers: &many, ..request };
            let lines: String = (0..count).map(|i| format!("x-oss-meta-{i:02}:{i}\n")).collect();
            let expected = format!("POST\n/b/k\n\n{lines}\n\nUNSIGNED-PAYLOAD");
            assert_eq!(canonical_request(&request, &[]), expected, "{count} headers");
        }
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff, 0x10]), "000fa5ff10");
        assert_eq!(hex(&[]), "");
        let all: Vec<u8> = (0..=255).collect();
        let expected: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&all), expected);
    }

    fn vector_query() -> Vec<(String, String)> {
        [
            ("param1", "value1"),
            ("+param1", "value3"),
            ("|param1", "value4"),
            ("+param2", ""),
            ("|param2", ""),
            ("param2", ""),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
    }

    fn vector_headers() -> Vec<(String, String)> {
        [
            ("x-oss-head1", "value"),
            ("abc", "value"),
            ("ZAbc", "value"),
            ("XYZ", "value"),
            ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
    }

    fn sign_vector(
        unix: u64,
        credentials: Credentials,
        additional: &[&str],
        region: &str,
        product: &str,
    ) -> V4Signature {
        let time = UNIX_EPOCH + Duration::from_secs(unix);
        let mut headers = vector_headers();
        add_signing_headers(&mut headers, &credentials, time);
        let query = vector_query();
        let request = SignRequest {
            method: "PUT",
            bucket: Some("bucket"),
            key: Some("1234+-/123/1.txt"),
            query: &query,
            headers: &headers,
        };
        let additional: Vec<String> = additional.iter().map(|s| s.to_string()).collect();
        let scope = V4Scope { region, product, time };
        let signed = sign(&request, &additional, &credentials, &scope);
        if additional.is_empty() {
            // The client's own path (the time taken from the request's x-oss-date) signs alike.
            let key = signing_key(credentials.access_key_secret(), &format_iso8601(time)[..8], region, product);
            assert_eq!(authorization(&request, &credentials, &scope, &DayKey::new(key)), signed.authorization);
        }
        signed
    }

    #[test]
    fn plain_vector_with_intermediate_values() {
        let signed = sign_vector(1702743657, Credentials::new("ak", "sk"), &[], "cn-hangzhou", "oss");
        assert_eq!(
            signed.canonical_request,
            "PUT\n/bucket/1234%2B-/123/1.txt\n%2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2\n\
             content-type:text/plain\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20231216T162057Z\nx-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"
        );
        assert_eq!(
            signed.string_to_sign,
            "OSS4-HMAC-SHA256\n20231216T162057Z\n20231216/cn-hangzhou/oss/aliyun_v4_request\nf4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4"
        );
        assert_eq!(
            signed.authorization,
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
        );
    }

    #[test]
    fn sts_token_vector() {
        let credentials = Credentials::new("ak", "sk").with_security_token("token");
        let signed = sign_vector(1702784856, credentials, &[], "cn-hangzhou", "oss");
        assert_eq!(
            signed.authorization,
            "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea"
        );
    }

    #[test]
    fn additional_headers_vector_and_dropped_names() {
        let expected = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f";
        let signed = sign_vector(1702747512, Credentials::new("ak", "sk"), &["ZAbc", "abc"], "cn-hangzhou", "oss");
        assert_eq!(signed.authorization, expected);
        let signed = sign_vector(
            1702747512,
            Credentials::new("ak", "sk"),
            &["ZAbc", "x-oss-no-exist", "abc", "x-oss-head1"],
            "cn-hangzhou",
            "oss",
        );
        assert_eq!(signed.authorization, expected);
    }

    #[test]
    fn debug_output_hides_the_security_token() {
        let credentials = Credentials::new("ak", "sk").with_security_token("very-secret-token");
        let time = UNIX_EPOCH + Duration::from_secs(1702784856);
        let mut headers = vector_headers();
        add_signing_headers(&mut headers, &credentials, time);
        let request = SignRequest { method: "PUT", bucket: Some("b"), key: Some("k"), query: &[], headers: &headers };
        let signed = sign(&request, &[], &credentials, &V4Scope { region: "cn-hangzhou", product: "oss", time });
        assert!(signed.canonical_request.contains("x-oss-security-token:very-secret-token"));
        let shown = format!("{request:?} {signed:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(shown.contains("x-oss-security-token:<redacted>"), "{shown}");
    }

    #[test]
    fn cloudbox_vector() {
        let signed = sign_vector(1702743657, Credentials::new("ak", "sk"), &[], "cb-123", "oss-cloudbox");
        assert_eq!(
            signed.authorization,
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cb-123/oss-cloudbox/aliyun_v4_request,Signature=94ce1f12c17d148ea681030275a94449d3357f5b5b21133996eec80af3e08a43"
        );
    }

    #[test]
    fn an_empty_additional_header_is_not_signed_as_the_official_sdks_do() {
        let headers: Vec<(String, String)> = vec![("Cache-Control".into(), "".into()), ("Expires".into(), "x".into())];
        let request = SignRequest { method: "POST", bucket: Some("b"), key: Some("k"), query: &[], headers: &headers };
        let named = ["cache-control".to_string(), "expires".to_string()];
        assert_eq!(effective_additional_headers(&request, &named), vec!["expires"]);
        assert!(!canonical_request(&request, &named).contains("cache-control:"));
    }

    #[test]
    fn authorization_parses_with_and_without_spaces() {
        let compact = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a41";
        let spaced = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, AdditionalHeaders=abc;zabc, Signature=4a41";
        let parsed = parse_authorization(compact).unwrap();
        assert_eq!(parsed, parse_authorization(spaced).unwrap());
        assert_eq!(parsed.access_key_id, "ak");
        assert_eq!(parsed.region, "cn-hangzhou");
        assert_eq!(parsed.additional_headers, vec!["abc", "zabc"]);
        assert_eq!(parsed.signature, "4a41");
        assert!(parse_authorization("OSS ak:sig").is_none());
        assert!(parse_authorization("OSS4-HMAC-SHA256 Credential=ak/x/y,Signature=1").is_none());
    }
}
