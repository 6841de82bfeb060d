//! The official SDKs' signatures, saved by the interop oracle (tests/interop/test_signing_oracle.py,
//! with the SDK versions pinned in scripts/setup-interop.sh), checked against the crate's signer with
//! no network and no Python: `tests/signing/sdk-signatures.json`.

#[path = "signing/sign_json.rs"]
mod sign_json;

use serde_json::Value;

/// `OSS4-HMAC-SHA256 Credential=..,AdditionalHeaders=..,Signature=..` with its parts in any order.
fn parts(authorization: &str) -> Vec<String> {
    let (algorithm, rest) = authorization.trim().split_once(' ').unwrap_or((authorization, ""));
    let mut parts: Vec<String> = rest.split(',').map(|p| p.trim().to_string()).collect();
    parts.sort();
    parts.insert(0, algorithm.to_string());
    parts
}

#[test]
fn the_crate_signs_as_the_official_sdks_did() {
    let saved: Value = serde_json::from_str(include_str!("signing/sdk-signatures.json")).expect("valid JSON");
    let versions = &saved["sdk_versions"];
    assert!(versions["alibabacloud-oss-v2"].is_string() && versions["oss2"].is_string(), "{versions}");
    let cases = saved["cases"].as_array().expect("a list of cases");
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let ours = sign_json::sign_case(&case["input"]);
        let (sdk, mine) = (case["authorization"].as_str().unwrap(), ours["authorization"].as_str().unwrap());
        if parts(sdk) != parts(mine) {
            failures.push(format!("{}: SDK {sdk}\n    ours {mine}", case["name"]));
        }
        for pair in ours["added_headers"].as_array().unwrap() {
            let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            if case["headers"][name.to_ascii_lowercase()].as_str() != Some(value) {
                failures.push(format!(
                    "{}: header {name}: SDK {}, ours {value}",
                    case["name"],
                    case["headers"][name.to_ascii_lowercase()]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
