//! What the application implements (progress, credentials) and what it holds (a cancel token).

use std::sync::Arc;

use super::config::Credentials;
use super::error::OssError;

/// Told how much of a body has been sent. Implemented by the application.
///
/// Called on the thread running the call: the caller's for the blocking methods, a library thread
/// for the `*Async` ones. Keep it quick; it runs between writes of the body.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// `sent` of `total` bytes have gone out; a retry starts again from 0. Return false to cancel
    /// the call, which then fails with `Cancelled`.
    fn on_progress(&self, sent: u64, total: u64) -> bool;
}

/// Fetches credentials, typically STS tokens from the application's own server. Implemented by
/// the application.
///
/// The client caches what it returns and asks again 5 minutes before `expiration` (never, for
/// credentials without one). Called on the thread running the call.
#[uniffi::export(foreign)]
pub trait CredentialsProvider: Send + Sync {
    /// Fresh credentials. Throwing fails the call with `Credentials`.
    fn credentials(&self) -> Result<Credentials, OssError>;
}

/// A switch another thread flips to stop a running call promptly; the call fails with `Cancelled`.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    pub(crate) token: crate::CancelToken,
}

#[uniffi::export]
impl CancelToken {
    /// A token not yet cancelled.
    #[uniffi::constructor]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call using this token, now and later. Safe from any thread.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// The core's progress callback, calling the listener.
pub(crate) fn progress_fn(listener: Arc<dyn ProgressListener>) -> Arc<crate::ProgressFn> {
    Arc::new(move |sent, total| listener.on_progress(sent, total))
}

/// The core's credentials provider: the application's, behind the core's expiry-aware cache.
pub(crate) fn credentials_provider(provider: Arc<dyn CredentialsProvider>) -> Arc<dyn crate::CredentialsProvider> {
    Arc::new(crate::RefreshingProvider::new(move || match provider.credentials() {
        Ok(credentials) => Ok(credentials.into()),
        Err(OssError::Credentials { reason }) => Err(crate::Error::Credentials { reason }),
        Err(other) => Err(crate::Error::Credentials { reason: other.to_string() }),
    }))
}
