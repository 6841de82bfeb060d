//! Fault injection: make the next requests fail, stall, lose their connection or carry a wrong CRC.
//!
//! Every fault is armed with a count and consumed one by one by the requests it matches:
//! - [`Faults::fail_next`]: any request (not the admin endpoint) gets an OSS error with the given status;
//! - [`Faults::delay_next`]: any response is held back for a while before it is sent;
//! - [`Faults::drop_before_commit`]: an append whose body has been read in full is dropped without being
//!   committed, and its connection is closed without a response;
//! - [`Faults::drop_after_commit`]: a successful append is committed, then its connection is closed
//!   without a response (the "lost response" case);
//! - [`Faults::corrupt_crc`]: a successful append's `x-oss-hash-crc64ecma` header is wrong;
//! - [`Faults::omit_crc`]: a successful append's response has no `x-oss-hash-crc64ecma`;
//! - [`Faults::gateway_error_after_commit`]: a successful append is committed, then answered with a
//!   gateway's 504 (no OSS body, no request id), as a proxy that gave up waiting would;
//! - [`Faults::fail_next_method`]: as `fail_next`, for requests of one method only (say, the HEAD
//!   that settles a lost append);
//! - [`Faults::commit_late`]: an append whose body has been read in full is answered by a closed
//!   connection at once, and committed only later (a request still under way when its client gave up);
//! - [`Faults::bare_head`]: HEAD answers without `x-oss-object-type` and `x-oss-hash-crc64ecma`, as a
//!   minimal OSS-compatible server might.
//! - [`Faults::ignore_range`]: a ranged GET is answered with the whole object and 200, as a server
//!   (or a proxy) that does not do ranges would.

use std::sync::Mutex;
use std::time::Duration;

/// What an injected failure answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedFailure {
    /// HTTP status, e.g. 503.
    pub status: u16,
}

impl InjectedFailure {
    /// The OSS error code that goes with the status.
    pub fn code(&self) -> &'static str {
        match self.status {
            400 => "InvalidArgument",
            403 => "AccessDenied",
            404 => "NoSuchKey",
            408 => "RequestTimeout",
            409 => "OperationConflict",
            429 => "TooManyRequests",
            500 => "InternalError",
            502 => "BadGateway",
            503 => "ServiceUnavailable",
            504 => "GatewayTimeout",
            _ => "InjectedFault",
        }
    }

    /// The message that goes with the status.
    pub fn message(&self) -> &'static str {
        match self.status {
            408 => "Your socket connection to the server was not read from or written to within the timeout period.",
            429 => "Too many requests: please reduce your request rate.",
            500 => "We encountered an internal error. Please try again.",
            503 => "Please reduce your request rate.",
            _ => "This failure was injected by the emulator.",
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct State {
    fail: Vec<(u32, u16)>,
    fail_method: Vec<(u32, (String, u16))>,
    delay: Vec<(u32, Duration)>,
    drop_before_commit: u32,
    drop_after_commit: u32,
    corrupt_crc: u32,
    omit_crc: u32,
    gateway_error_after_commit: u32,
    commit_late: Vec<(u32, Duration)>,
    bare_head: u32,
    ignore_range: u32,
    met: std::collections::BTreeMap<&'static str, u64>,
}

/// A snapshot of the faults still armed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PendingFaults {
    /// `(remaining count, status)` of armed failures, in the order they will be used.
    pub fail: Vec<(u32, u16)>,
    /// `(remaining count, delay)` of armed delays, in the order they will be used.
    pub delay: Vec<(u32, Duration)>,
    /// Appends still to be dropped before their commit.
    pub drop_before_commit: u32,
    /// Appends still to be dropped after their commit.
    pub drop_after_commit: u32,
    /// Append responses still to get a wrong CRC header.
    pub corrupt_crc: u32,
    /// `(remaining count, (method, status))` of armed failures for one method.
    pub fail_method: Vec<(u32, (String, u16))>,
    /// Append responses still to go without a CRC header.
    pub omit_crc: u32,
    /// Appends still to be answered by a gateway's 504 after their commit.
    pub gateway_error_after_commit: u32,
    /// `(remaining count, delay)` of appends still to be committed late.
    pub commit_late: Vec<(u32, Duration)>,
    /// HEADs still to be answered without type and CRC.
    pub bare_head: u32,
    /// Ranged GETs still to be answered with the whole object.
    pub ignore_range: u32,
}

impl PendingFaults {
    /// Whether nothing is armed.
    pub fn is_empty(&self) -> bool {
        self == &PendingFaults::default()
    }
}

/// The emulator's fault switches. Cheap to call from any thread.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
}

/// Adds `count` to the last entry when it has the same value, or queues a new entry.
fn queue<T: PartialEq>(list: &mut Vec<(u32, T)>, count: u32, value: T) {
    if count == 0 {
        return;
    }
    match list.last_mut() {
        Some((n, v)) if *v == value => *n = n.saturating_add(count),
        _ => list.push((count, value)),
    }
}

/// Takes one use of the first entry.
fn take<T: Clone>(list: &mut Vec<(u32, T)>) -> Option<T> {
    take_where(list, |_| true)
}

/// Takes one use of the first entry that `matches`.
fn take_where<T: Clone>(list: &mut Vec<(u32, T)>, matches: impl Fn(&T) -> bool) -> Option<T> {
    let index = list.iter().position(|(_, value)| matches(value))?;
    let (n, value) = &mut list[index];
    let value = value.clone();
    *n -= 1;
    if *n == 0 {
        list.remove(index);
    }
    Some(value)
}

fn take_count(n: &mut u32) -> bool {
    if *n > 0 {
        *n -= 1;
        true
    } else {
        false
    }
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Fails the next `count` requests with `status` and an OSS error body (code `ServiceUnavailable` for
    /// 503, `InternalError` for 500, `RequestTimeout` for 408, `TooManyRequests` for 429, ...).
    pub fn fail_next(&self, count: u32, status: u16) {
        queue(&mut self.lock().fail, count, status);
    }

    /// Fails the next `count` requests whose method is `method` (e.g. `HEAD`) with `status`.
    pub fn fail_next_method(&self, method: &str, count: u32, status: u16) {
        queue(&mut self.lock().fail_method, count, (method.to_ascii_uppercase(), status));
    }

    /// Sends no `x-oss-hash-crc64ecma` in the next `count` successful append responses.
    pub fn omit_crc(&self, count: u32) {
        let mut state = self.lock();
        state.omit_crc = state.omit_crc.saturating_add(count);
    }

    /// Commits the next `count` successful appends, then answers each with a gateway's 504: no OSS
    /// error body and no request id.
    pub fn gateway_error_after_commit(&self, count: u32) {
        let mut state = self.lock();
        state.gateway_error_after_commit = state.gateway_error_after_commit.saturating_add(count);
    }

    /// Answers the next `count` appends whose body was read by closing the connection at once, and
    /// commits each `delay` later (when the object's length is still its position).
    pub fn commit_late(&self, count: u32, delay: Duration) {
        queue(&mut self.lock().commit_late, count, delay);
    }

    /// Answers the next `count` HEAD requests without `x-oss-object-type` and `x-oss-hash-crc64ecma`.
    pub fn bare_head(&self, count: u32) {
        let mut state = self.lock();
        state.bare_head = state.bare_head.saturating_add(count);
    }

    /// Answers the next `count` GET requests that carry a Range header with the whole object and 200.
    pub fn ignore_range(&self, count: u32) {
        let mut state = self.lock();
        state.ignore_range = state.ignore_range.saturating_add(count);
    }

    /// Holds back the next `count` responses by `delay` each.
    pub fn delay_next(&self, count: u32, delay: Duration) {
        queue(&mut self.lock().delay, count, delay);
    }

    /// Drops the next `count` appends after reading their body and before committing them: nothing is
    /// written and the connection is closed without a response.
    pub fn drop_before_commit(&self, count: u32) {
        let mut state = self.lock();
        state.drop_before_commit = state.drop_before_commit.saturating_add(count);
    }

    /// Commits the next `count` successful appends, then closes their connection without a response.
    pub fn drop_after_commit(&self, count: u32) {
        let mut state = self.lock();
        state.drop_after_commit = state.drop_after_commit.saturating_add(count);
    }

    /// Sends a wrong `x-oss-hash-crc64ecma` in the next `count` successful append responses (the data
    /// is committed as sent).
    pub fn corrupt_crc(&self, count: u32) {
        let mut state = self.lock();
        state.corrupt_crc = state.corrupt_crc.saturating_add(count);
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        let mut state = self.lock();
        let met = std::mem::take(&mut state.met);
        *state = State { met, ..State::default() };
    }

    /// What is still armed.
    pub fn pending(&self) -> PendingFaults {
        let state = self.lock();
        PendingFaults {
            fail: state.fail.clone(),
            delay: state.delay.clone(),
            drop_before_commit: state.drop_before_commit,
            drop_after_commit: state.drop_after_commit,
            corrupt_crc: state.corrupt_crc,
            fail_method: state.fail_method.clone(),
            omit_crc: state.omit_crc,
            gateway_error_after_commit: state.gateway_error_after_commit,
            commit_late: state.commit_late.clone(),
            bare_head: state.bare_head,
            ignore_range: state.ignore_range,
        }
    }

    /// How many faults of each kind were met so far (`clear` does not reset it).
    pub fn met(&self) -> Vec<(&'static str, u64)> {
        self.lock().met.iter().map(|(kind, n)| (*kind, *n)).collect()
    }

    /// A failure for the next request: one armed for any request, else one armed for its method.
    pub(crate) fn take_failure(&self, method: &str) -> Option<InjectedFailure> {
        let mut state = self.lock();
        let failure = take(&mut state.fail)
            .or_else(|| take_where(&mut state.fail_method, |(m, _)| m == method).map(|(_, status)| status))
            .map(|status| InjectedFailure { status });
        if let Some(failure) = failure {
            let kind = match failure.status {
                408 => "fail 408",
                429 => "fail 429",
                s if s >= 500 => "fail 5xx",
                _ => "fail 4xx",
            };
            *state.met.entry(kind).or_default() += 1;
        }
        failure
    }

    /// Takes one use of a counted fault, recording it as met.
    fn take_counted(&self, kind: &'static str, field: impl FnOnce(&mut State) -> &mut u32) -> bool {
        let mut state = self.lock();
        let taken = take_count(field(&mut state));
        if taken {
            *state.met.entry(kind).or_default() += 1;
        }
        taken
    }

    pub(crate) fn take_commit_late(&self) -> Option<Duration> {
        let mut state = self.lock();
        let delay = take(&mut state.commit_late);
        if delay.is_some() {
            *state.met.entry("commit late").or_default() += 1;
        }
        delay
    }

    pub(crate) fn take_bare_head(&self) -> bool {
        self.take_counted("bare head", |s| &mut s.bare_head)
    }

    pub(crate) fn take_ignore_range(&self) -> bool {
        self.take_counted("ignore range", |s| &mut s.ignore_range)
    }

    pub(crate) fn take_omit_crc(&self) -> bool {
        self.take_counted("omit crc", |s| &mut s.omit_crc)
    }

    pub(crate) fn take_gateway_error_after_commit(&self) -> bool {
        self.take_counted("gateway error after commit", |s| &mut s.gateway_error_after_commit)
    }

    pub(crate) fn take_delay(&self) -> Option<Duration> {
        let mut state = self.lock();
        let delay = take(&mut state.delay);
        if delay.is_some() {
            *state.met.entry("delay").or_default() += 1;
        }
        delay
    }

    pub(crate) fn take_drop_before_commit(&self) -> bool {
        self.take_counted("drop before commit", |s| &mut s.drop_before_commit)
    }

    pub(crate) fn take_drop_after_commit(&self) -> bool {
        self.take_counted("drop after commit", |s| &mut s.drop_after_commit)
    }

    pub(crate) fn take_corrupt_crc(&self) -> bool {
        self.take_counted("corrupt crc", |s| &mut s.corrupt_crc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_consumed_in_order() {
        let faults = Faults::default();
        faults.fail_next(2, 503);
        faults.fail_next(1, 500);
        assert_eq!(faults.take_failure("GET").map(|f| f.status), Some(503));
        assert_eq!(faults.take_failure("GET").map(|f| f.status), Some(503));
        assert_eq!(faults.take_failure("GET").map(|f| f.code()), Some("InternalError"));
        assert_eq!(faults.take_failure("GET"), None);
        assert!(faults.pending().is_empty());
        assert_eq!(faults.met(), [("fail 5xx", 3)]);
    }

    #[test]
    fn method_failures_wait_for_their_method() {
        let faults = Faults::default();
        faults.fail_next_method("head", 2, 503);
        assert_eq!(faults.take_failure("POST"), None);
        assert_eq!(faults.take_failure("HEAD").map(|f| f.status), Some(503));
        assert_eq!(faults.take_failure("HEAD").map(|f| f.status), Some(503));
        assert_eq!(faults.take_failure("HEAD"), None);
        assert!(faults.pending().is_empty());
    }

    #[test]
    fn counters_and_clear() {
        let faults = Faults::default();
        faults.drop_after_commit(1);
        faults.corrupt_crc(3);
        faults.delay_next(1, Duration::from_millis(5));
        assert!(faults.take_drop_after_commit());
        assert!(!faults.take_drop_after_commit());
        assert!(faults.take_corrupt_crc());
        faults.clear();
        assert!(!faults.take_corrupt_crc());
        assert_eq!(faults.take_delay(), None);
    }
}
