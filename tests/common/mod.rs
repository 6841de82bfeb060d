//! Shared setup: an in-process emulator and clients pointed at it.
#![allow(dead_code)]

use oss_append::{Client, ClientBuilder, Credentials, CredentialsProvider, Error, RetryPolicy, SignatureVersion};
use oss_emulator::Emulator;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const BUCKET: &str = "test-bucket";
pub const AK: &str = "test-ak";
pub const SK: &str = "test-secret-value";
pub const STS_AK: &str = "sts-ak";
pub const STS_SK: &str = "sts-secret";
pub const STS_TOKEN: &str = "sts-token-value";

/// Whether the tests run over HTTPS (`OSS_APPEND_TEST_TLS=1`): the emulator serves TLS with a
/// certificate from an authority made at its start, and every client of [`builder`] trusts it.
pub fn over_tls() -> bool {
    std::env::var("OSS_APPEND_TEST_TLS").is_ok_and(|v| v == "1")
}

pub fn emulator() -> Emulator {
    let mut builder = Emulator::builder()
        .credentials(AK, SK)
        .sts_credentials(STS_AK, STS_SK, STS_TOKEN)
        .bucket(BUCKET)
        .region("cn-hangzhou");
    if over_tls() {
        builder = builder.tls_generated().expect("a TLS certificate is made");
    }
    builder.start().expect("the emulator starts")
}

/// A client builder for `emu`: its endpoint, the region, and its CA when it serves TLS.
pub fn builder(emu: &Emulator) -> ClientBuilder {
    let builder = Client::builder().endpoint(emu.endpoint()).region("cn-hangzhou");
    match emu.ca_pem() {
        Some(ca) => builder.ca_bundle_pem(ca),
        None => builder,
    }
}

/// Fast retries so tests do not sleep.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy { max_attempts: 3, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) }
}

pub fn client(emu: &Emulator) -> Client {
    client_with(emu, SignatureVersion::V4, Credentials::new(AK, SK))
}

pub fn client_with(emu: &Emulator, version: SignatureVersion, credentials: Credentials) -> Client {
    builder(emu)
        .signature_version(version)
        .credentials(credentials)
        .retry_policy(quick_retries())
        .build()
        .expect("the client builds")
}

/// Deterministic bytes of a given length.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// How many requests with `method` the emulator received.
pub fn count(emu: &Emulator, method: &str) -> usize {
    emu.requests().iter().filter(|r| r.method == method).count()
}

/// Runs `hook` when asked for credentials the `nth` time (0-based): between two attempts of a call.
pub struct HookOnCall {
    nth: u32,
    calls: AtomicU32,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl CredentialsProvider for HookOnCall {
    fn credentials(&self) -> Result<Credentials, Error> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == self.nth {
            if let Some(hook) = self.hook.lock().unwrap().take() {
                hook();
            }
        }
        Ok(Credentials::new(AK, SK))
    }
}

pub fn client_hooked(emu: &oss_emulator::Emulator, nth: u32, hook: impl FnOnce() + Send + 'static) -> Client {
    let provider = HookOnCall { nth, calls: AtomicU32::new(0), hook: Mutex::new(Some(Box::new(hook))) };
    builder(emu).credentials_provider(Arc::new(provider)).retry_policy(quick_retries()).build().unwrap()
}
