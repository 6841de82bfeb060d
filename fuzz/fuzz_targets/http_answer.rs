//! What a server answers, read by the library's own HTTP/1.1 client (`src/net/http1.rs`): any bytes as
//! a response head, its framing and a chunked body fed in pieces of any size. Nothing panics or
//! loops; the status is a 3-digit one; a chunked body reads the same whatever the pieces; a body
//! is never longer than the bytes it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &[u8])| {
    let (step, bytes) = input;
    let method = if step & 0x80 != 0 { "HEAD" } else { "GET" };
    let step = (step & 0x7f) as usize + 1;
    let read = oss_append::fuzzing::http_answer(method, bytes, step);
    if let Ok(Some((status, _, body))) = &read {
        assert!((100..=999).contains(status));
        assert!(body.len() <= bytes.len());
        // The same answer in one piece reads the same.
        assert_eq!(oss_append::fuzzing::http_answer(method, bytes, bytes.len() + 1), read);
    }
});
