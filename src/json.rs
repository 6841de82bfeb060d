//! A small JSON reader for what a token server answers (RFC 8259, the whole grammar): numbers are
//! kept as their text, objects as their members in order, nesting at most [`MAX_DEPTH`] deep. No
//! dependency: the library reads one kind of JSON document and writes none.

/// Deepest nesting of arrays and objects read.
const MAX_DEPTH: usize = 32;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// The number as written (`200`, `-1.5e3`).
    Number(String),
    String(String),
    Array(Vec<Value>),
    /// Members in the order written (a repeated name: the first is found).
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `name` of an object.
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A string's text, or a number's.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Number(s) => Some(s),
            _ => None,
        }
    }
}

/// Reads `bytes` as one JSON document (a leading byte order mark is allowed). The error says where
/// and what, never quoting the document (it may hold secrets).
pub(crate) fn parse(bytes: &[u8]) -> Result<Value, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| format!("it is not UTF-8 (at byte {})", e.valid_up_to()))?;
    let mut reader = Reader { text, at: 0, depth: 0 };
    let value = reader.value()?;
    reader.space();
    if reader.at < text.len() {
        return Err(reader.fail("more after the value"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
}

impl Reader<'_> {
    fn fail(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, String> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.fail("not a JSON value"))
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.space();
        match self.peek() {
            None => Err(self.fail("a value missing")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.fail("not a JSON value")),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        if self.depth == MAX_DEPTH {
            return Err(self.fail("nested too deep"));
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    /// After `{`.
    fn object(&mut self) -> Result<Value, String> {
        let mut members = Vec::new();
        self.space();
        if self.eat(b'}') {
            return Ok(Value::Object(members));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return Err(self.fail("a member name missing"));
            }
            let name = self.string()?;
            self.space();
            if !self.eat(b':') {
                return Err(self.fail("':' missing"));
            }
            members.push((name, self.value()?));
            self.space();
            if self.eat(b'}') {
                return Ok(Value::Object(members));
            }
            if !self.eat(b',') {
                return Err(self.fail("',' or '}' missing"));
            }
        }
    }

    /// After `[`.
    fn array(&mut self) -> Result<Value, String> {
        let mut items = Vec::new();
        self.space();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.space();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.fail("',' or ']' missing"));
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("a digit missing")),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.fail("a digit missing"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return Err(self.fail("a digit missing"));
            }
        }
        Ok(Value::Number(self.text[start..self.at].to_string()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.at..self.at + 4).filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let value =
            digits.and_then(|d| u32::from_str_radix(d, 16).ok()).ok_or_else(|| self.fail("a bad \\u escape"))?;
        self.at += 4;
        Ok(value)
    }

    /// At `"`.
    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let run = self.text[self.at..].find(|c: char| c == '"' || c == '\\' || c < ' ');
            let Some(run) = run else { return Err(self.fail("an unterminated string")) };
            out.push_str(&self.text[self.at..self.at + run]);
            self.at += run;
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escaped = self.peek().ok_or_else(|| self.fail("an unterminated string"))?;
                    self.at += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = match first {
                                0xD800..=0xDBFF => {
                                    if !self.text[self.at..].starts_with("\\u") {
                                        return Err(self.fail("a lone surrogate"));
                                    }
                                    self.at += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return Err(self.fail("a lone surrogate"));
                                    }
                                    0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return Err(self.fail("a lone surrogate")),
                                code => code,
                            };
                            out.push(char::from_u32(code).ok_or_else(|| self.fail("a bad \\u escape"))?);
                        }
                        _ => {
                            self.at -= 1;
                            return Err(self.fail("a bad escape"));
                        }
                    }
                }
                _ => return Err(self.fail("a control character in a string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn documents_are_read_whole() {
        let doc = br#" {"a": [1, -0.5e+3, true, false, null, {}], "b": {"c": "d"}, "a": 2} "#;
        let value = parse(doc).unwrap();
        assert_eq!(
            value.get("a"),
            Some(&Value::Array(vec![
                Value::Number("1".into()),
                Value::Number("-0.5e+3".into()),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Object(vec![]),
            ]))
        );
        assert_eq!(value.get("b").and_then(|b| b.get("c")), Some(&s("d")));
        assert_eq!(parse(b"\xEF\xBB\xBF[]").unwrap(), Value::Array(vec![]));
        assert_eq!(parse(b"0").unwrap().text(), Some("0"));
    }

    #[test]
    fn strings_unescape() {
        assert_eq!(parse(br#""a\"b\\c\/\b\f\n\r\t""#).unwrap(), s("a\"b\\c/\u{8}\u{c}\n\r\t"));
        assert_eq!(parse(br#""\u00e9\u4e2d\ud83d\ude00 \u0000""#).unwrap(), s("é中😀 \0"));
        assert_eq!(parse("\"ü中\"".as_bytes()).unwrap(), s("ü中"));
    }

    #[test]
    fn bad_documents_say_where_and_never_quote() {
        for (doc, says) in [
            (&b""[..], "a value missing at byte 0"),
            (b"{\"a\":1,}", "a member name missing at byte 7"),
            (b"{\"a\" 1}", "':' missing"),
            (b"[1 2]", "',' or ']' missing"),
            (b"{\"a\":1", "',' or '}' missing"),
            (b"01", "more after the value at byte 1"),
            (b"1.", "a digit missing"),
            (b"-", "a digit missing"),
            (b"1e", "a digit missing"),
            (b"tru", "not a JSON value"),
            (b"'secret'", "not a JSON value at byte 0"),
            (b"\"secret", "an unterminated string"),
            (b"\"a\tb\"", "a control character"),
            (b"\"\\x\"", "a bad escape at byte 2"),
            (b"\"\\u12\"", "a bad \\u escape"),
            (b"\"\\ud83d\"", "a lone surrogate"),
            (b"\"\\ude00\"", "a lone surrogate"),
            (b"\"\\ud83d\\u0041\"", "a lone surrogate"),
            (b"\xff", "not UTF-8 (at byte 0)"),
            (b"{} x", "more after the value"),
        ] {
            let err = parse(doc).unwrap_err();
            assert!(err.contains(says), "{:?}: {err}", String::from_utf8_lossy(doc));
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = "[".repeat(100_000);
        assert!(parse(deep.as_bytes()).unwrap_err().contains("nested too deep"));
    }
}
