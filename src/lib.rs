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

mod appender;
mod body;
mod client;
mod config;
pub mod crc64;
mod credentials;
mod credentials_url;
mod error;
#[cfg(feature = "c-api")]
pub mod ffi;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod http1;
mod json;
#[cfg(feature = "mobile")]
pub mod mobile;
mod options;
mod settle;
pub mod sign;
mod spool;
mod stream;
mod tcp;
mod tls;
mod transport;
pub mod validate;

pub use appender::Appender;
pub use body::{Body, CancelToken, ProgressFn};
pub use client::Client;
pub use config::{ClientBuilder, Config, Proxy, RetryPolicy};
pub use credentials::{Credentials, CredentialsProvider, RefreshingProvider};
pub use credentials_url::CredentialsUrl;
pub use error::{Argument, Error, ServiceError, ServiceErrorKind, SpoolError, TimeoutKind, Unsettled};
pub use options::{
    AppendOptions, AppendResult, ByteRange, ContentMd5, GetResult, ObjectHeaders, ObjectMeta, PutOptions, PutResult,
};
pub use settle::{InFlight, NotLanded, NotLandedReason, Settlement};
pub use sign::SignatureVersion;
pub use spool::{
    DropReason, FullPolicy, RolloverReason, Spool, SpoolConfig, SpoolEvent, SpoolListener, SpoolStatus, SyncPolicy,
};
pub use tls::{TlsErrorKind, Trust};

#[cfg(feature = "mobile")]
uniffi::setup_scaffolding!();

/// The README's examples compile.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
