//! Signs one request description (JSON) with the crate's V4 or V1 signer. Shared by
//! `examples/sign_cases.rs` (which the interop oracle runs) and `tests/sdk_signatures.rs` (which
//! checks the saved SDK signatures offline).

use std::time::{Duration, UNIX_EPOCH};

use oss_append::sign::{v1, v4, SignRequest};
use oss_append::Credentials;
use serde_json::{json, Value};

fn text<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field].as_str().unwrap_or_else(|| panic!("`{field}` must be a string in {case}"))
}

fn optional_text<'a>(case: &'a Value, field: &str) -> Option<&'a str> {
    match &case[field] {
        Value::Null => None,
        value => Some(value.as_str().unwrap_or_else(|| panic!("`{field}` must be a string or null in {case}"))),
    }
}

fn pairs(case: &Value, field: &str) -> Vec<(String, String)> {
    let list = case[field].as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(name), Value::String(value)]) => (name.clone(), value.clone()),
            _ => panic!("`{field}` must hold [name, value] string pairs in {case}"),
        })
        .collect()
}

/// The signature of `case`: `{"authorization", "added_headers", "string_to_sign", "canonical_request"}`.
pub fn sign_case(case: &Value) -> Value {
    let mut credentials = Credentials::new(text(case, "access_key_id"), text(case, "access_key_secret"));
    if let Some(token) = optional_text(case, "security_token") {
        credentials = credentials.with_security_token(token);
    }
    let unix_time = case["unix_time"].as_u64().unwrap_or_else(|| panic!("`unix_time` must be an integer in {case}"));
    let time = UNIX_EPOCH + Duration::from_secs(unix_time);
    let query = pairs(case, "query");
    let original = pairs(case, "headers");
    let mut headers = original.clone();
    let version = text(case, "version");
    match version {
        "v4" => v4::add_signing_headers(&mut headers, &credentials, time),
        "v1" => v1::add_signing_headers(&mut headers, &credentials, time),
        other => panic!("unknown version {other:?}"),
    }
    let added: Vec<&(String, String)> = headers.iter().filter(|h| !original.contains(h)).collect();
    let request = SignRequest {
        method: text(case, "method"),
        bucket: optional_text(case, "bucket"),
        key: optional_text(case, "key"),
        query: &query,
        headers: &headers,
    };
    if version == "v4" {
        let additional: Vec<String> = case["additional_headers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|name| name.as_str().expect("additional header names are strings").to_string())
            .collect();
        let scope = v4::V4Scope {
            region: text(case, "region"),
            product: optional_text(case, "product").unwrap_or("oss"),
            time,
        };
        let signed = v4::sign(&request, &additional, &credentials, &scope);
        json!({
            "authorization": signed.authorization,
            "added_headers": added,
            "string_to_sign": signed.string_to_sign,
            "canonical_request": signed.canonical_request,
        })
    } else {
        let signed = v1::sign(&request, &credentials);
        json!({
            "authorization": signed.authorization,
            "added_headers": added,
            "string_to_sign": signed.string_to_sign,
            "canonical_request": null,
        })
    }
}
