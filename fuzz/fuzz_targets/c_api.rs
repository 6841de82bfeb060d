//! The C entry points driven with arbitrary arguments: NULL or real pointers, strings that are not
//! UTF-8, lengths that do not match, handles used in any order. No call may panic (the panic
//! boundary would report OSS_APPEND_RESULT_PANIC), and AddressSanitizer watches every access.
//! The client points at a closed port: calls that get past their checks fail fast on the network.
#![no_main]

use std::ffi::{c_char, CString};
use std::ptr::{null, null_mut};

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use oss_append::ffi::*;

#[derive(Arbitrary, Debug)]
enum Text {
    Null,
    Bytes(Vec<u8>),
    Bucket,
    Key,
}

#[derive(Arbitrary, Debug)]
enum Call {
    Endpoint(Text),
    Region(Text),
    Credentials(Text, Text, Text),
    Proxy(Text),
    CaBundle(Vec<u8>, bool),
    Timeouts(u64, u64, u64),
    Retries(u32, u64, u64),
    MakeClient,
    Header(u8, Text),
    Metadata(Text, Text),
    Crc(u64),
    Append(Text, Text, u64, Option<Vec<u8>>, u16),
    Head(Text, Text),
    Range(Text, Text, u64, u64, u16),
    Last(Text, Text, u64, u16),
    Appender(Text, Text),
    AppenderAppend(Option<Vec<u8>>, u16),
    AppenderResume(u64, u64),
    Settle(Text, Text, u64, u64, u64),
    ResultName(u32),
    SpoolConfig(Text, Text, u32, u64),
}

fn c_text(text: &Text, keep: &mut Vec<CString>) -> *const c_char {
    let bytes: Vec<u8> = match text {
        Text::Null => return null(),
        Text::Bytes(bytes) => bytes.iter().copied().filter(|&b| b != 0).collect(),
        Text::Bucket => b"fuzz-bucket".to_vec(),
        Text::Key => b"fuzz/key.log".to_vec(),
    };
    let c = CString::new(bytes).expect("no NUL");
    let ptr = c.as_ptr();
    keep.push(c);
    ptr
}

/// `(pointer, length)` of optional bytes; the length may lie only when the pointer is NULL.
fn c_bytes(bytes: &Option<Vec<u8>>, lie: u16) -> (*const u8, usize) {
    match bytes {
        Some(bytes) => (bytes.as_ptr(), bytes.len()),
        None => (null(), usize::from(lie)),
    }
}

fn ok(code: oss_append_result) {
    assert_ne!(code, oss_append_result::Panic, "the library panicked");
}

fuzz_target!(|calls: Vec<Call>| {
    let mut keep = Vec::new();
    let mut config = null_mut();
    ok(oss_append_config_new(&mut config));
    ok(oss_append_config_set_endpoint(config, c"http://127.0.0.1:1".as_ptr()));
    ok(oss_append_config_set_region(config, c"cn-hangzhou".as_ptr()));
    ok(oss_append_config_set_credentials(config, c"AK".as_ptr(), c"SK".as_ptr(), null()));
    ok(oss_append_config_set_retries(config, 1, 1, 1));
    ok(oss_append_config_set_timeouts(config, 200, 200, 0));
    let mut options = null_mut();
    ok(oss_append_options_new(&mut options));
    let mut client: *mut oss_append_client = null_mut();
    let mut appender: *mut oss_append_appender = null_mut();
    let mut error: *mut oss_append_error = null_mut();
    let mut buffer = vec![0u8; 256];
    for call in calls.iter().take(24) {
        match call {
            Call::Endpoint(t) => ok(oss_append_config_set_endpoint(config, c_text(t, &mut keep))),
            Call::Region(t) => ok(oss_append_config_set_region(config, c_text(t, &mut keep))),
            Call::Credentials(a, b, c) => ok(oss_append_config_set_credentials(
                config,
                c_text(a, &mut keep),
                c_text(b, &mut keep),
                c_text(c, &mut keep),
            )),
            Call::Proxy(t) => ok(oss_append_config_set_proxy(config, c_text(t, &mut keep))),
            Call::CaBundle(pem, only) => ok(oss_append_config_set_ca_bundle_pem(config, pem.as_ptr(), pem.len(), *only)),
            Call::Timeouts(a, b, c) => ok(oss_append_config_set_timeouts(config, a % 500, b % 500, c % 500)),
            Call::Retries(a, b, c) => ok(oss_append_config_set_retries(config, a % 2, b % 5, c % 5)),
            Call::MakeClient => {
                oss_append_client_free(client);
                client = null_mut();
                ok(oss_append_client_new(config, &mut client, &mut error));
            }
            Call::Header(which, t) => {
                let value = c_text(t, &mut keep);
                ok(match which % 6 {
                    0 => oss_append_options_set_content_type(options, value),
                    1 => oss_append_options_set_cache_control(options, value),
                    2 => oss_append_options_set_object_acl(options, value),
                    3 => oss_append_options_set_storage_class(options, value),
                    4 => oss_append_options_set_tagging(options, value),
                    _ => oss_append_options_set_expires(options, value),
                })
            }
            Call::Metadata(n, v) => ok(oss_append_options_add_metadata(options, c_text(n, &mut keep), c_text(v, &mut keep))),
            Call::Crc(crc) => ok(oss_append_options_set_crc64(options, *crc)),
            Call::Append(b, k, position, data, lie) => {
                let (ptr, len) = c_bytes(data, *lie);
                let mut receipt = std::mem::MaybeUninit::<oss_append_receipt>::uninit();
                ok(oss_append_object(
                    client,
                    c_text(b, &mut keep),
                    c_text(k, &mut keep),
                    *position,
                    ptr,
                    len,
                    options,
                    receipt.as_mut_ptr(),
                    &mut error,
                ));
            }
            Call::Head(b, k) => {
                let mut meta = null_mut();
                ok(oss_append_head_object(client, c_text(b, &mut keep), c_text(k, &mut keep), &mut meta, &mut error));
                oss_append_object_meta_free(meta);
            }
            Call::Range(b, k, first, last, capacity) => {
                let capacity = usize::from(*capacity) % (buffer.len() + 1);
                ok(oss_append_get_range(
                    client,
                    c_text(b, &mut keep),
                    c_text(k, &mut keep),
                    *first,
                    *last,
                    buffer.as_mut_ptr(),
                    capacity,
                    null(),
                    null_mut(),
                    &mut error,
                ));
            }
            Call::Last(b, k, length, capacity) => {
                let capacity = usize::from(*capacity) % (buffer.len() + 1);
                ok(oss_append_get_last(
                    client,
                    c_text(b, &mut keep),
                    c_text(k, &mut keep),
                    *length,
                    if capacity == 0 { null_mut() } else { buffer.as_mut_ptr() },
                    capacity,
                    null(),
                    null_mut(),
                    &mut error,
                ));
            }
            Call::Appender(b, k) => {
                oss_append_appender_free(appender);
                appender = null_mut();
                ok(oss_append_appender_new(client, c_text(b, &mut keep), c_text(k, &mut keep), options, &mut appender));
            }
            Call::AppenderAppend(data, lie) => {
                let (ptr, len) = c_bytes(data, *lie);
                ok(oss_append_appender_append(appender, ptr, len, null_mut(), &mut error));
                let mut position = 0;
                let _ = oss_append_appender_next_position(appender, &mut position);
            }
            Call::AppenderResume(position, crc) => ok(oss_append_appender_resume(appender, *position, *crc)),
            Call::Settle(b, k, position, length, crc) => {
                let in_flight = oss_append_in_flight {
                    position: *position,
                    length: *length,
                    body_crc64: *crc,
                    crc64_before: 0,
                    has_crc64_before: false,
                };
                let mut settlement = std::mem::MaybeUninit::<oss_append_settlement>::uninit();
                ok(oss_append_settle(
                    client,
                    c_text(b, &mut keep),
                    c_text(k, &mut keep),
                    &in_flight,
                    settlement.as_mut_ptr(),
                    &mut error,
                ));
            }
            Call::ResultName(code) => {
                assert!(!oss_append_result_name(*code).is_null());
                let _ = oss_append_result_is_retryable(*code);
            }
            Call::SpoolConfig(b, t, sync, interval) => {
                let mut spool_config = null_mut();
                ok(oss_append_spool_config_new(c_text(b, &mut keep), c_text(t, &mut keep), &mut spool_config));
                ok(oss_append_spool_config_set_sync(spool_config, *sync, *interval));
                oss_append_spool_config_free(spool_config);
            }
        }
        // Whatever error the call left is readable, then the variable is reused by the next call.
        let _ = (oss_append_error_result(error), oss_append_error_message(error), oss_append_error_tls_kind(error));
    }
    oss_append_error_free(error);
    oss_append_error_free(error);
    oss_append_appender_free(appender);
    oss_append_client_free(client);
    oss_append_options_free(options);
    oss_append_config_free(config);
});
