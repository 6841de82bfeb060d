//! What a token server answers (`CredentialsUrl`): any bytes as JSON, then as the credentials in it.
//! Nothing panics, nesting and escapes included; credentials read are usable; a refusal says why.
//! (That a refusal never quotes the secret is pinned by the unit tests, with known secrets: here
//! a secret may be any text, including the words of a message.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    match oss_append::fuzzing::sts_answer(bytes) {
        Ok(credentials) => credentials.validate().expect("credentials read are usable"),
        Err(reason) => assert!(!reason.is_empty()),
    }
});
