pub mod crc64;
pub mod credentials;
pub mod error;
pub mod sign;

pub use credentials::{Credentials, CredentialsProvider, RefreshingProvider};
pub use error::{Error, ServiceError, TimeoutKind};
pub use sign::SignatureVersion;
