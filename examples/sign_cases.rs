//! Signs request descriptions read from stdin with the crate's V4 or V1 signer, for checking
//! against other implementations (tests/interop/test_signing_oracle.py).
//!
//! Input, one JSON object a line:
//! `{"method", "bucket", "key" (or null), "query": [[name, value]...], "headers": [[name, value]...],
//!   "additional_headers": [names], "access_key_id", "access_key_secret", "security_token" (or null),
//!   "region", "product" (optional, default "oss"), "version": "v4"|"v1", "unix_time"}`
//!
//! Output, one JSON object a line, in input order:
//! `{"authorization", "added_headers": [[name, value]...], "string_to_sign", "canonical_request"}`
//! (`added_headers` are the headers the signer set; `canonical_request` is null for V1).

use std::io::{BufRead, Write};

use serde_json::Value;

#[path = "../tests/signing/sign_json.rs"]
mod sign_json;
use sign_json::sign_case;

fn main() {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin is readable");
        if line.trim().is_empty() {
            continue;
        }
        let case: Value = serde_json::from_str(&line).expect("each line is a JSON object");
        writeln!(out, "{}", sign_case(&case)).expect("stdout is writable");
    }
}
