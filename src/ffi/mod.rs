//! The C ABI: handles, result codes and the panic boundary over the Rust core.
