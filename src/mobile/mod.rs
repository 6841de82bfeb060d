//! What Kotlin and Swift see: a thin uniffi layer over the core (feature `mobile`).
//!
//! Every item here translates; none decides. The client, its options and results mirror
//! [`Client`](crate::Client); errors become one [`OssError`] in one `From` conversion; progress,
//! cancellation and credentials are interfaces the application implements. Bindings are generated
//! from the built library by `scripts/generate-bindings.sh` into `bindings/kotlin` and
//! `bindings/swift`.

// uniffi passes errors by value, so OssError cannot be boxed; errors are not the hot path.
#![allow(clippy::result_large_err)]

#[cfg(target_os = "android")]
mod android;
mod background;
mod callbacks;
mod client;
mod config;
mod error;
mod num;
mod spool;
mod types;

pub use callbacks::{CancelToken, CredentialsProvider, ProgressListener};
pub use client::{Appender, OssClient};
pub use config::{ClientConfig, Credentials, SignatureVersion};
pub use error::{CallbackKind, OssError, SpoolErrorKind, TimeoutKind, TlsErrorKind};
pub use spool::{Spool, SpoolConfig, SpoolEvent, SpoolFull, SpoolListener, SpoolStatus, SpoolSync};
pub use types::{
    AppendOptions, AppendResult, ByteRange, ContentMd5, GetResult, ObjectHeaders, ObjectMeta, PutResult, Settlement,
};
