//! Results on standard output: a line of text for people, or one JSON object per line per result.
//!
//! In JSON, `crc64` is a decimal string: a CRC-64 does not fit the doubles many JSON readers use.

use std::io::Write;
use std::path::Path;

use oss_append::{AppendResult, GetResult, InFlight, NotLandedReason, ObjectMeta, PutResult, Settlement};
use serde_json::{json, Map, Value};

use crate::args::OutputFormat;

/// Prints results in the chosen format; prints nothing when quiet.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub format: OutputFormat,
    pub quiet: bool,
}

impl Printer {
    /// Writes one result. A closed standard output (`| head`) is not an error worth failing for.
    fn emit(&self, text: String, value: Value) {
        if self.quiet {
            return;
        }
        let line = match self.format {
            OutputFormat::Text => text,
            OutputFormat::Json => value.to_string(),
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }

    /// A warning on standard error, unless quiet.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            eprintln!("warning: {message}");
        }
    }

    pub fn append(&self, bucket: &str, key: &str, bytes: u64, r: &AppendResult) {
        let etag = r.etag.as_deref().unwrap_or("");
        let mut text = format!(
            "appended {bytes} bytes at {}: next_position {}, crc64 {}, request_id {}",
            r.position, r.next_position, r.crc64, r.request_id
        );
        if !etag.is_empty() {
            text.push_str(&format!(", etag {etag}"));
        }
        if r.reconciled {
            text.push_str(" (a lost response was reconciled: appended once)");
        }
        self.emit(
            text,
            json!({
                "command": "append-object",
                "bucket": bucket,
                "key": key,
                "position": r.position,
                "bytes": bytes,
                "next_position": r.next_position,
                "crc64": r.crc64.to_string(),
                "request_id": r.request_id,
                "etag": r.etag,
                "reconciled": r.reconciled,
            }),
        );
    }

    /// A batch the spool appended.
    pub fn spooled(&self, bucket: &str, key: &str, position: u64, bytes: u64) {
        self.emit(
            format!("appended {bytes} bytes at {position} to oss://{bucket}/{key}: next_position {}", position + bytes),
            json!({
                "command": "append-object",
                "bucket": bucket,
                "key": key,
                "position": position,
                "bytes": bytes,
                "next_position": position + bytes,
                "spooled": true,
            }),
        );
    }

    pub fn put(&self, bucket: &str, key: &str, bytes: u64, r: &PutResult) {
        let crc = r.crc64.map(|c| c.to_string());
        self.emit(
            format!(
                "put {bytes} bytes: crc64 {}, request_id {}, etag {}",
                crc.as_deref().unwrap_or("-"),
                r.request_id,
                r.etag.as_deref().unwrap_or("-")
            ),
            json!({
                "command": "put-object",
                "bucket": bucket,
                "key": key,
                "bytes": bytes,
                "crc64": crc,
                "request_id": r.request_id,
                "etag": r.etag,
            }),
        );
    }

    pub fn head(&self, bucket: &str, key: &str, m: &ObjectMeta) {
        let crc = m.crc64.map(|c| c.to_string());
        let mut lines =
            vec![format!("content_length: {}", m.content_length), format!("object_type: {}", m.object_type)];
        let mut optional = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                lines.push(format!("{name}: {value}"));
            }
        };
        optional("next_position", m.next_append_position.map(|p| p.to_string()));
        optional("crc64", crc.clone());
        optional("etag", m.etag.clone());
        optional("content_type", m.content_type.clone());
        optional("last_modified", m.last_modified.clone());
        optional("storage_class", m.storage_class.clone());
        for (name, value) in &m.metadata {
            lines.push(format!("meta.{name}: {value}"));
        }
        lines.push(format!("request_id: {}", m.request_id));
        let metadata: Map<String, Value> =
            m.metadata.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        self.emit(
            lines.join("\n"),
            json!({
                "command": "head-object",
                "bucket": bucket,
                "key": key,
                "content_length": m.content_length,
                "object_type": m.object_type,
                "next_position": m.next_append_position,
                "crc64": crc,
                "etag": m.etag,
                "content_type": m.content_type,
                "last_modified": m.last_modified,
                "storage_class": m.storage_class,
                "metadata": metadata,
                "request_id": m.request_id,
            }),
        );
    }

    pub fn get(&self, bucket: &str, key: &str, path: &Path, r: &GetResult) {
        let crc = r.crc64.map(|c| c.to_string());
        self.emit(
            format!(
                "wrote {} bytes to {}: crc64 {}, request_id {}",
                r.bytes_written,
                path.display(),
                crc.as_deref().unwrap_or("-"),
                r.request_id
            ),
            json!({
                "command": "get-object",
                "bucket": bucket,
                "key": key,
                "output_file": path.display().to_string(),
                "bytes": r.bytes_written,
                "object_size": r.object_size,
                "object_type": r.object_type,
                "crc64": crc,
                "request_id": r.request_id,
                "etag": r.etag,
            }),
        );
    }

    /// What `settle` proved.
    pub fn settled(&self, in_flight: &InFlight, settlement: &Settlement) {
        let (bucket, key) = (in_flight.bucket.as_str(), in_flight.key.as_str());
        let (text, value) = match settlement {
            Settlement::Landed(r) => (
                format!(
                    "landed: the {} bytes at {} are in oss://{bucket}/{key}, once: next_position {}, crc64 {}",
                    r.next_position - r.position,
                    r.position,
                    r.next_position,
                    r.crc64
                ),
                json!({
                    "command": "settle",
                    "bucket": bucket,
                    "key": key,
                    "landed": true,
                    "position": r.position,
                    "next_position": r.next_position,
                    "crc64": r.crc64.to_string(),
                }),
            ),
            Settlement::NotLanded(n) => (
                format!(
                    "not landed: {}{}{}",
                    n.reason,
                    n.object_length.map(|l| format!(" (the object is {l} bytes long)")).unwrap_or_default(),
                    match n.reason {
                        // Nothing is there yet: the request may still be under way at the service.
                        NotLandedReason::NothingAtPosition | NotLandedReason::MissingObject =>
                            late_commit_hint(in_flight),
                        _ => String::new(),
                    }
                ),
                json!({
                    "command": "settle",
                    "bucket": bucket,
                    "key": key,
                    "landed": false,
                    "reason": n.reason.to_string(),
                    "object_length": n.object_length,
                    "object_crc64": n.object_crc64.map(|c| c.to_string()),
                }),
            ),
            _ => return,
        };
        self.emit(text, value);
    }

    pub fn delete(&self, bucket: &str, key: &str, request_id: &str) {
        self.emit(
            format!("deleted oss://{bucket}/{key}: request_id {request_id}"),
            json!({ "command": "delete-object", "bucket": bucket, "key": key, "request_id": request_id }),
        );
    }
}

/// What to do after "not landed (yet)": a request still under way may commit later.
fn late_commit_hint(in_flight: &InFlight) -> String {
    let resend = format!(
        "oss-append append-object --bucket {} --key {} --position {}{} --body <the same bytes>",
        crate::failure::shell_word(&in_flight.bucket),
        crate::failure::shell_word(&in_flight.key),
        in_flight.position,
        in_flight.crc64_before.map(|c| format!(" --crc64-before {c}")).unwrap_or_default(),
    );
    match in_flight.crc64_before {
        Some(_) => format!(
            "; nothing is at position {} yet, but a request still under way may commit later: send the bytes \
             again at the same place, `{resend}`, and a late commit is found and reported landed, never appended twice",
            in_flight.position
        ),
        None => format!(
            "; nothing is at position {} yet, but a request still under way may commit later: wait a minute and \
             settle again before sending the bytes again (`{resend}`; with --crc64-before a late commit would be \
             found by the append itself)",
            in_flight.position
        ),
    }
}
