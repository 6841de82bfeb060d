//! An append whose outcome is unknown, as a plain value: what [`Error::Unsettled`](crate::Error::Unsettled)
//! carries and what settling takes; and whose objects a writer appends to ([`Owner`]). It sits at the
//! base, beside the error type that holds it.

use crate::crc64;

/// An append whose bytes may be in the object: everything settling it needs, as a plain value an
/// application can store (for example in a journal) and settle after a restart with
/// [`Client::settle`](crate::Client::settle).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InFlight {
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Where the body was appended: the object's length before it.
    pub position: u64,
    /// The body's length in bytes (not zero).
    pub length: u64,
    /// CRC-64 of the body alone.
    pub body_crc64: u64,
    /// CRC-64 of the object before the append, when known.
    pub crc64_before: Option<u64>,
}

impl InFlight {
    /// Where the append ends: `position + length`.
    pub fn end(&self) -> u64 {
        self.position.saturating_add(self.length)
    }

    /// The object's CRC-64 after the append, when the CRC before it is known.
    pub fn crc64_after(&self) -> Option<u64> {
        self.crc64_before.map(|before| crc64::combine(before, self.body_crc64, self.length))
    }
}

/// Whose objects a writer appends to: the user metadata it stamps on each object it creates (a
/// spool's id). Settling for such a writer takes equal bytes as its own only in an object that
/// carries its stamp, or no stamp at all (an object made before stamps, or by a plain client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    /// The metadata name, without `x-oss-meta-`, lower case.
    pub name: String,
    pub value: String,
}

impl Owner {
    /// Whether an object with `metadata` (names lower case) may hold this writer's appends.
    pub(crate) fn may_own(&self, metadata: &[(String, String)]) -> bool {
        metadata.iter().find(|(name, _)| *name == self.name).is_none_or(|(_, value)| *value == self.value)
    }
}
