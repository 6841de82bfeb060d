//! Numbers across the boundary. Kotlin's and Java's integer is the signed `Long`/`Int` (Kotlin's
//! unsigned types are inline classes that Java cannot call and that mangle names), Swift's is
//! `Int64`/`Int32`: the API takes and gives `i64` and `i32`. What comes in is checked here, once
//! (a negative length, position or time is refused); what goes out is the core's value. A CRC-64
//! crosses as its 64 bits: one with the top bit set is a negative `Long`
//! (`java.lang.Long.toUnsignedString` and Swift's `UInt64(bitPattern:)` show it unsigned).

use std::time::Duration;

use super::error::OssError;

/// A length, position or count going out (all far below 2^63).
pub(crate) fn out(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// An optional [`out`].
pub(crate) fn out_opt(value: Option<u64>) -> Option<i64> {
    value.map(out)
}

/// A CRC-64 going out: its bits.
pub(crate) fn crc_out(crc: u64) -> i64 {
    crc as i64
}

/// An optional [`crc_out`].
pub(crate) fn crc_out_opt(crc: Option<u64>) -> Option<i64> {
    crc.map(crc_out)
}

/// A CRC-64 coming in: its bits.
pub(crate) fn crc_in(crc: i64) -> u64 {
    crc as u64
}

/// A length, position or count coming in: refused when negative.
pub(crate) fn non_negative(name: &str, value: i64) -> Result<u64, OssError> {
    u64::try_from(value).map_err(|_| OssError::InvalidArgument {
        name: name.to_string(),
        reason: format!("{value} is negative; it must be 0 or more"),
    })
}

/// An optional [`non_negative`].
pub(crate) fn non_negative_opt(name: &str, value: Option<i64>) -> Result<Option<u64>, OssError> {
    value.map(|v| non_negative(name, v)).transpose()
}

/// A time in milliseconds coming in.
pub(crate) fn millis(name: &str, value: i64) -> Result<Duration, OssError> {
    non_negative(name, value).map(Duration::from_millis)
}

/// An optional [`millis`].
pub(crate) fn millis_opt(name: &str, value: Option<i64>) -> Result<Option<Duration>, OssError> {
    value.map(|v| millis(name, v)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_inputs_are_refused_by_name() {
        assert_eq!(non_negative("position", 5), Ok(5));
        let error = non_negative("position", -1).unwrap_err();
        assert_eq!(error.to_string(), "invalid position: -1 is negative; it must be 0 or more");
        assert!(millis_opt("connectTimeoutMs", Some(-5)).is_err());
        assert_eq!(millis_opt("connectTimeoutMs", None), Ok(None));
    }

    #[test]
    fn a_crc_keeps_its_bits_both_ways() {
        for crc in [0u64, 1, u64::MAX, 0x995d_c9bb_df19_39fa] {
            assert_eq!(crc_in(crc_out(crc)), crc);
        }
        assert!(crc_out(0x995d_c9bb_df19_39fa) < 0);
        assert_eq!(out(u64::MAX), i64::MAX);
    }
}
