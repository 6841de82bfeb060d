//! The XML bodies OSS writes: errors and listings.

use std::fmt::Write;
use std::time::SystemTime;

/// Escapes text for an XML element. Characters XML 1.0 cannot carry are written as `&#xN;`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\r' && c != '\t' => {
                let _ = write!(out, "&#x{:X};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `2023-12-16T16:20:57.000Z`, as listings write times.
pub fn iso8601_millis(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// An OSS error body: `Code`, `Message`, `RequestId`, `HostId`, any `extra` elements, then `EC`.
pub fn error_body(
    code: &str,
    message: &str,
    request_id: &str,
    host_id: &str,
    ec: &str,
    extra: &[(&str, String)],
) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n");
    let mut element = |name: &str, value: &str| {
        let _ = writeln!(out, "  <{name}>{}</{name}>", escape(value));
    };
    element("Code", code);
    element("Message", message);
    element("RequestId", request_id);
    element("HostId", host_id);
    for (name, value) in extra {
        element(name, value);
    }
    if !ec.is_empty() {
        element("EC", ec);
    }
    out.push_str("</Error>\n");
    out
}

/// A small XML writer for listings.
#[derive(Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// Starts a document with the XML declaration.
    pub fn new() -> Self {
        Writer { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    /// `<name>`.
    pub fn open(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "<{name}>");
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        let _ = write!(self.out, "</{name}>");
        self
    }

    /// `<name>escaped value</name>`.
    pub fn element(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let _ = write!(self.out, "<{name}>{}</{name}>", escape(&value.to_string()));
        self
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;&#x1;");
    }

    #[test]
    fn error_body_has_the_oss_shape() {
        let body = error_body("NoSuchKey", "x < y", "RID", "host", "0026-00000001", &[("Key", "k&".into())]);
        assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>NoSuchKey</Code>"));
        assert!(body.contains("<Message>x &lt; y</Message>"));
        assert!(body.contains("<Key>k&amp;</Key>\n  <EC>0026-00000001</EC>\n</Error>"));
    }

    #[test]
    fn listing_time_format() {
        let t = UNIX_EPOCH + Duration::from_millis(1_702_743_657_123);
        assert_eq!(iso8601_millis(t), "2023-12-16T16:20:57.123Z");
    }
}
