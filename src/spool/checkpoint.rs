//! The spool's checkpoint: which object it appends to, where that object ends, how far the journal
//! is in OSS, and the batch in flight. Replaced atomically (temporary file, fsync, rename, fsync of
//! the directory); a line of text per field and a CRC-64 of them all, so a human can read it.

use std::fs;
use std::io;
use std::path::Path;

use super::journal::replace_file;
use crate::crc64;

const HEAD: &str = "oss-append spool checkpoint 1";

/// A batch sent (or about to be sent) whose outcome is not yet known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Batch {
    /// Stream offsets of its first record and after its last.
    pub start: u64,
    pub end: u64,
    /// Where it goes in the object, how long it is, its CRC-64, and the object's CRC before it.
    pub position: u64,
    pub length: u64,
    pub body_crc64: u64,
    pub crc64_before: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    /// The object's sequence number, and its key (rendered from the template when it was started).
    pub seq: u64,
    pub key: String,
    /// When the object was started (Unix seconds), for rollover by age.
    pub created: u64,
    /// The object's length as this spool made it, and its CRC-64 there (none: ask the object).
    pub position: u64,
    pub crc64: Option<u64>,
    /// Every stream byte before this offset is in OSS, or was dropped.
    pub acked: u64,
    /// Payload bytes appended to OSS, ever.
    pub appended_total: u64,
    /// Stream bytes lost to damaged journal records, ever.
    pub corrupt_total: u64,
    pub in_flight: Option<Batch>,
}

fn optional(value: Option<u64>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

impl Checkpoint {
    pub(crate) fn encode(&self) -> String {
        let mut text = format!(
            "{HEAD}\nseq {}\nkey {}\ncreated {}\nposition {}\ncrc {}\nacked {}\nappended {}\ncorrupt {}\n",
            self.seq,
            hex(self.key.as_bytes()),
            self.created,
            self.position,
            optional(self.crc64),
            self.acked,
            self.appended_total,
            self.corrupt_total,
        );
        match &self.in_flight {
            Some(b) => text.push_str(&format!(
                "inflight {} {} {} {} {} {}\n",
                b.start,
                b.end,
                b.position,
                b.length,
                b.body_crc64,
                optional(b.crc64_before)
            )),
            None => text.push_str("inflight none\n"),
        }
        let check = crc64::checksum(text.as_bytes());
        text.push_str(&format!("check {check}\n"));
        text
    }

    pub(crate) fn decode(text: &str) -> Result<Self, String> {
        let (body, check_line) = text.trim_end_matches('\n').rsplit_once('\n').ok_or("it is not a checkpoint")?;
        let check: u64 =
            check_line.strip_prefix("check ").and_then(|c| c.parse().ok()).ok_or("it has no check line")?;
        let body = format!("{body}\n");
        if crc64::checksum(body.as_bytes()) != check {
            return Err("its CRC-64 does not match: it is damaged".into());
        }
        let mut lines = body.lines();
        if lines.next() != Some(HEAD) {
            return Err(format!("it does not start with {HEAD:?}"));
        }
        let mut field = |name: &str| -> Result<String, String> {
            let line = lines.next().ok_or_else(|| format!("{name} is missing"))?;
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(str::to_string)
                .ok_or_else(|| format!("expected {name}, found {line:?}"))
        };
        let number = |text: String, name: &str| text.parse::<u64>().map_err(|_| format!("{name} is not a number"));
        let maybe = |text: &str, name: &str| match text {
            "none" => Ok(None),
            n => n.parse::<u64>().map(Some).map_err(|_| format!("{name} is not a number")),
        };
        let seq = number(field("seq")?, "seq")?;
        let key = String::from_utf8(unhex(&field("key")?).ok_or("key is not hex")?).map_err(|_| "key is not UTF-8")?;
        let created = number(field("created")?, "created")?;
        let position = number(field("position")?, "position")?;
        let crc64 = maybe(&field("crc")?, "crc")?;
        let acked = number(field("acked")?, "acked")?;
        let appended_total = number(field("appended")?, "appended")?;
        let corrupt_total = number(field("corrupt")?, "corrupt")?;
        let in_flight = match field("inflight")?.as_str() {
            "none" => None,
            values => {
                let v: Vec<&str> = values.split(' ').collect();
                if v.len() != 6 {
                    return Err("inflight needs 6 values".into());
                }
                let n = |i: usize| {
                    v[i].parse::<u64>().map_err(|_| "inflight holds a value that is not a number".to_string())
                };
                Some(Batch {
                    start: n(0)?,
                    end: n(1)?,
                    position: n(2)?,
                    length: n(3)?,
                    body_crc64: n(4)?,
                    crc64_before: maybe(v[5], "inflight CRC before")?,
                })
            }
        };
        Ok(Self { seq, key, created, position, crc64, acked, appended_total, corrupt_total, in_flight })
    }

    /// Reads `path`: `Ok(None)` when there is none.
    pub(crate) fn load(path: &Path) -> io::Result<Option<Result<Self, String>>> {
        match fs::read_to_string(path) {
            Ok(text) => Ok(Some(Self::decode(&text))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces `path` with this checkpoint, durably.
    pub(crate) fn store(&self, path: &Path) -> io::Result<()> {
        replace_file(path, self.encode().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            seq: 3,
            key: "logs/dev 1/2026-11-29/000003.log\nodd".into(),
            created: 1_764_446_400,
            position: 1234,
            crc64: Some(u64::MAX),
            acked: 5000,
            appended_total: 4000,
            corrupt_total: 7,
            in_flight: Some(Batch {
                start: 5000,
                end: 6000,
                position: 1234,
                length: 1000,
                body_crc64: 42,
                crc64_before: None,
            }),
        }
    }

    #[test]
    fn round_trips_and_refuses_any_change() {
        let text = sample().encode();
        assert_eq!(Checkpoint::decode(&text), Ok(sample()));
        let none = Checkpoint { in_flight: None, crc64: None, ..sample() };
        assert_eq!(Checkpoint::decode(&none.encode()), Ok(none));
        for (i, _) in text.char_indices().filter(|(_, c)| c.is_ascii_digit()) {
            let mut changed = text.clone().into_bytes();
            changed[i] = if changed[i] == b'9' { b'8' } else { changed[i] + 1 };
            let changed = String::from_utf8(changed).unwrap();
            assert!(Checkpoint::decode(&changed).is_err(), "a digit at {i} changed and it still decoded");
        }
        assert!(Checkpoint::decode("").is_err());
        assert!(Checkpoint::decode(&text[..text.len() / 2]).is_err());
    }
}
