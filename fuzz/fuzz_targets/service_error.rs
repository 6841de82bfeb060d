//! What a server sends back, as bytes of an HTTP response: an error's status, headers and XML body,
//! a HEAD's headers, a `Date` header. Nothing panics; the status is kept; a message is always given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oss_append::fuzzing::{clock_offset, header_map, object_meta, service_error};

fuzz_target!(|bytes: &[u8]| {
    let Some(response) = oss_append_fuzz::message(bytes) else { return };
    let status = response.start.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok()).unwrap_or(500);
    let headers = header_map(&response.headers);
    let error = service_error(status, &headers, response.body);
    assert_eq!(error.status, status);
    assert!(!error.to_string().is_empty());
    let _ = error.is_retryable();
    let meta = object_meta(&headers);
    let _ = (meta.is_appendable(), format!("{meta:?}"));
    let _ = clock_offset(&headers);
});
