//! The network layer: an HTTP/1.1 client that knows nothing of OSS.
//!
//! - [`tcp`]: connecting to one of a host's addresses, socket timeouts, probing a kept connection;
//! - [`provider`]: the cryptography under TLS (ring, or aws-lc-rs with the `aws-lc-rs` feature);
//! - [`tls`]: which servers are trusted, the TLS connection, what its failures mean;
//! - [`http1`]: the wire format (request heads, response heads, body framing, chunked bodies), no I/O;
//! - [`http`]: the connection pool, proxies, timeouts, sending a request and reading its answer.
//!
//! It uses only the base layer (errors and checks) below it.

pub(crate) mod http;
pub(crate) mod http1;
pub(crate) mod provider;
pub(crate) mod tcp;
pub(crate) mod tls;
