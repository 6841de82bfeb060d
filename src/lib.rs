//! # oss-append
//!
//! Alibaba Cloud OSS *append upload* (AppendObject) done right: the client tracks positions, verifies
//! every append with CRC-64 against the service's `x-oss-hash-crc64ecma`, and retries safely — when a
//! response is lost and the retry meets `PositionNotEqualToLength`, it proves from the object's length
//! *and* CRC whether its earlier attempt landed.
//!
//! ```no_run
//! use oss_append::{AppendOptions, Client, Credentials};
//!
//! let client = Client::builder()
//!     .endpoint("http://127.0.0.1:9000")
//!     .region("cn-hangzhou")
//!     .credentials(Credentials::new("AK", "SK"))
//!     .build()?;
//! let mut log = client.appender("my-bucket", "logs/app.log");
//! let first = log.append(b"line 1\n")?;
//! let second = log.append(b"line 2\n")?;
//! assert_eq!(second.next_position, 14);
//! # Ok::<(), oss_append::Error>(())
//! ```
//!
//! ## The layers
//!
//! The modules of `src/`, bottom to top. A module uses only the rows above its own, and in its
//! own row only the modules named before it (`scripts/check-layers.py` checks this in CI, so the
//! import graph has no circles):
//!
//! | layer | modules | what it is |
//! |---|---|---|
//! | base | `crc64`, `in_flight`, `error`, `validate`, `json` | CRC-64/XZ; an append whose outcome is unknown, as a plain value; the one error type; the checks made before anything is sent; the JSON reader |
//! | network | `net` | TCP, TLS (trust, the crypto provider), the HTTP/1.1 wire format, the connection pool and proxies: knows no OSS |
//! | credentials | `credentials` | static keys, keys from the environment, providers the application implements, the token server |
//! | signing | `sign` | V4 and V1 signatures: pure functions of a request, credentials and a time |
//! | requests | `body`, `options` | what a request carries (bodies streamed with their CRC and progress, cancel tokens) and the options and results of each operation |
//! | transport | `config`, `transport` | the settings, checked once; sign, send, retry and read errors: a call in, a response out |
//! | operations | `client` | the object operations (put, get, head, delete), read as the protocol |
//! | append core | `append` | appends with tracked positions and CRC-64, settling an append whose outcome is unknown, the `Appender` |
//! | spool | `spool` | the durable journal, its checkpoint and its uploader: a stream across crashes and days offline |
//! | faces | `ffi`, `mobile`, `fuzzing` | the C ABI and the Kotlin/Swift layer translate, never decide; the fuzz targets' entry points |

// In the order of the layers (the module doc above); rustfmt sorts within each group.
pub mod crc64;
mod error;
mod in_flight;
mod json;
pub mod validate;

mod credentials;
mod net;
pub mod sign;

mod body;
mod config;
mod options;
mod transport;

mod append;
mod client;

mod spool;

#[cfg(feature = "c-api")]
pub mod ffi;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "mobile")]
pub mod mobile;

pub use append::appender::Appender;
pub use append::settle::{NotLanded, NotLandedReason, Settlement};
pub use body::{Body, CancelToken, ProgressFn};
pub use client::Client;
pub use config::{ClientBuilder, Config, Proxy, RetryPolicy};
pub use credentials::url::CredentialsUrl;
pub use credentials::{Credentials, CredentialsProvider, RefreshingProvider};
pub use error::{Argument, Error, ServiceError, ServiceErrorKind, SpoolError, TimeoutKind, TlsErrorKind, Unsettled};
pub use in_flight::InFlight;
pub use net::tls::Trust;
pub use options::{
    AppendOptions, AppendResult, ByteRange, ContentMd5, GetResult, ObjectHeaders, ObjectMeta, PutOptions, PutResult,
};
pub use sign::SignatureVersion;
pub use spool::{
    DropReason, FullPolicy, RolloverReason, Spool, SpoolConfig, SpoolEvent, SpoolListener, SpoolStatus, SyncPolicy,
};

/// Compile-time check that the public types can be shared between threads.
#[allow(dead_code)]
fn assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Client>();
    is::<Error>();
    is::<CancelToken>();
    is::<AppendOptions>();
    is::<Appender>();
    is::<Config>();
}

/// The rustls crypto provider the library's TLS connections are made with (ring, or aws-lc-rs with
/// that feature), for the emulator's TLS server: both ends from one place, with no deprecated
/// rustls call. Not part of the API.
#[doc(hidden)]
pub fn rustls_crypto_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    net::provider::provider()
}

#[cfg(feature = "mobile")]
uniffi::setup_scaffolding!();

/// The README's examples compile.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
