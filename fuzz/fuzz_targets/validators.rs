//! The validators of names and headers: no panic, and what they accept can be signed and sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oss_append::validate;

fuzz_target!(|input: (&str, &str, &str, u64, u64)| {
    let (name, value, key, position, length) = input;
    if validate::bucket(name).is_ok() {
        assert!((3..=63).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    }
    if validate::key(key).is_ok() {
        assert!(!key.is_empty() && key.len() <= 1023 && !key.starts_with('/') && !key.starts_with('\\'));
        let encoded = oss_append::sign::encode_path(key);
        assert!(encoded.bytes().all(|b| b.is_ascii_graphic()), "{encoded}");
    }
    if validate::header_value(oss_append::Argument::ContentType, value).is_ok() {
        assert!(!value.contains('\r') && !value.contains('\n'));
    }
    let _ = validate::metadata_name(name);
    let _ = validate::append_range(position, length);
    let _ = validate::traffic_limit(position);
});
