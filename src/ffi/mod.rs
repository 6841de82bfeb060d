//! The C ABI: handles, result codes and the panic boundary over the Rust core.
//!
//! `include/oss_append.h` is generated from this module by cbindgen (see `build.rs`); every doc
//! comment here is copied into it. The rules, after rustls-ffi:
//!
//! - Handles are opaque; `_new` pairs with `_free`, and `_free(NULL)` does nothing.
//! - Every fallible function returns an [`oss_append_result`]; outputs go through `*_out` pointers and are
//!   written only on success; details go to an optional `oss_append_error **error_out`, whose
//!   earlier error each call frees first (see `oss_append_error`).
//! - Every body runs inside one panic boundary (`boundary::guard`): a panic becomes
//!   `OSS_APPEND_RESULT_PANIC`, never an unwind across the boundary. NULL pointers and invalid UTF-8 are
//!   refused with their own codes.
//! - Callbacks are `Option<extern "C" fn>` type aliases; a NULL callback means none.

#![allow(non_camel_case_types)]
// The exported functions are called from C, where every pointer argument is raw: their safety
// contract is the documentation in the header, not an `unsafe` marker Rust callers would see.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod appender;
mod boundary;
mod client;
mod credentials;
mod error;
mod meta;
mod objects;
mod options;
mod read;
mod result;
mod spool;

use std::ffi::c_char;

pub use appender::*;
pub use client::*;
pub use credentials::*;
pub use error::*;
pub use meta::*;
pub use objects::*;
pub use options::*;
pub use read::*;
pub use result::*;
pub use spool::*;

/// The library's version, e.g. `"0.1.0"`. The string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn oss_append_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
