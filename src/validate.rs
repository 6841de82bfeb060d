//! Checks made before anything is sent: each refusal names the argument and the reason.

use crate::error::{Argument, Error};

/// The largest object an append may produce: 5 GiB.
pub const MAX_APPENDABLE_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// 3-63 characters of lowercase letters, digits and hyphens, alphanumeric at both ends.
pub fn bucket(name: &str) -> Result<(), Error> {
    let bad = |reason: String| Err(Error::invalid(Argument::Bucket, format!("{name:?} {reason}")));
    if !(3..=63).contains(&name.len()) {
        return bad(format!("must be 3 to 63 characters long, not {}", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return bad(format!("may hold only lowercase letters, digits and hyphens, not {c:?}"));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return bad("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// 1-1023 bytes of UTF-8, not starting with `/` or `\`.
pub fn key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid(Argument::Key, "is empty; an object key is 1 to 1023 bytes"));
    }
    if key.len() > 1023 {
        return Err(Error::invalid(Argument::Key, format!("is {} bytes long; the limit is 1023", key.len())));
    }
    if key.starts_with('/') || key.starts_with('\\') {
        return Err(Error::invalid(Argument::Key, format!("{key:?} starts with {:?}", &key[..1])));
    }
    Ok(())
}

/// No CR, LF or other control characters but tab: they would split or corrupt the request.
pub fn header_value(name: Argument, value: &str) -> Result<(), Error> {
    if let Some(c) = value.chars().find(|c| *c != '\t' && c.is_control()) {
        let what = match c {
            '\r' => "a carriage return (CR)".to_string(),
            '\n' => "a line feed (LF)".to_string(),
            c => format!("control character {:#04x}", c as u32),
        };
        return Err(Error::invalid(name, format!("contains {what}, which cannot go into an HTTP header")));
    }
    Ok(())
}

/// Metadata names: letters, digits, `-` and `_`.
pub fn metadata_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::invalid(Argument::MetadataName, "is empty"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return Err(Error::invalid(
            Argument::MetadataName,
            format!("{name:?} holds {c:?}; names may hold only letters, digits, '-' and '_'"),
        ));
    }
    Ok(())
}

/// The object after this append stays within 5 GiB.
pub fn append_range(position: u64, length: u64) -> Result<(), Error> {
    match position.checked_add(length) {
        Some(end) if end <= MAX_APPENDABLE_SIZE => Ok(()),
        _ => Err(Error::invalid(
            Argument::Position,
            format!(
                "appending {length} bytes at {position} would make the object larger than 5 GiB ({MAX_APPENDABLE_SIZE} bytes), the limit for appendable objects"
            ),
        )),
    }
}

/// `x-oss-traffic-limit`: 245760 to 838860800 bit/s.
pub fn traffic_limit(bits_per_second: u64) -> Result<(), Error> {
    if (245_760..=838_860_800).contains(&bits_per_second) {
        Ok(())
    } else {
        Err(Error::invalid(
            Argument::TrafficLimit,
            format!("{bits_per_second} bit/s is outside 245760..=838860800 (30 KB/s to 100 MB/s)"),
        ))
    }
}

/// One of the values in `allowed`.
pub fn one_of(name: Argument, value: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(name, format!("{value:?} is not one of {}", allowed.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(result: Result<(), Error>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn bucket_names() {
        assert!(bucket("abc").is_ok());
        assert!(bucket("my-bucket-01").is_ok());
        assert!(reason(bucket("ab")).contains("3 to 63"));
        assert!(bucket(&"a".repeat(63)).is_ok());
        assert!(bucket(&"a".repeat(64)).is_err());
        assert!(reason(bucket("My-bucket")).contains("lowercase"));
        assert!(reason(bucket("-abc")).contains("start and end"));
        assert!(bucket("abc-").is_err());
        assert!(bucket("a_b").is_err());
        assert!(bucket("a.b.c").is_err());
    }

    #[test]
    fn object_keys() {
        assert!(key("a").is_ok());
        assert!(key("dir/sub dir/ü+%~#?.log").is_ok());
        assert!(key(&"k".repeat(1023)).is_ok());
        assert!(reason(key(&"k".repeat(1024))).contains("1023"));
        assert!(key("").is_err());
        assert!(key("/abs").is_err());
        assert!(key("\\abs").is_err());
    }

    #[test]
    fn header_values_refuse_line_breaks() {
        assert!(header_value(Argument::CacheControl, "no-cache\tx").is_ok());
        assert!(reason(header_value(Argument::CacheControl, "a\r\nX-Evil: 1")).contains("carriage return"));
        assert!(reason(header_value(Argument::ContentType, "a\nb")).contains("line feed"));
        assert!(header_value(Argument::ContentType, "a\0b").is_err());
    }

    #[test]
    fn metadata_names() {
        assert!(metadata_name("author_name-2").is_ok());
        assert!(metadata_name("bad name").is_err());
        assert!(metadata_name("bad:name").is_err());
        assert!(metadata_name("").is_err());
    }

    #[test]
    fn five_gib_limit() {
        assert!(append_range(0, MAX_APPENDABLE_SIZE).is_ok());
        assert!(append_range(MAX_APPENDABLE_SIZE, 0).is_ok());
        assert!(reason(append_range(MAX_APPENDABLE_SIZE - 1, 2)).contains("5 GiB"));
        assert!(append_range(u64::MAX, 1).is_err());
    }
}
