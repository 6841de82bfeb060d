//! What the application implements (progress, credentials) and what it holds (a cancel token).

use std::sync::{Arc, Mutex};

use super::config::Credentials;
use super::error::{CallbackKind, OssError};
use super::num;

/// Told how much of a body has been sent. Implemented by the application.
///
/// Called on the thread running the call: the caller's for the blocking methods, a library thread
/// for the `*Async` ones. Keep it quick; it runs between writes of the body.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    /// `sent` of `total` bytes have gone out; a retry starts again from 0. Return false to cancel
    /// the call, which then fails with `Cancelled`. Throwing stops the call too, which then fails
    /// with `Callback` (kind `PROGRESS`) carrying what was thrown.
    fn on_progress(&self, sent: i64, total: i64) -> Result<bool, OssError>;
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

/// What an application callback threw last: a progress listener's, kept for the call it stopped;
/// a spool listener's, kept for the spool's status.
#[derive(Debug, Clone, Default)]
pub(crate) struct Thrown(Arc<Mutex<Option<String>>>);

impl Thrown {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn set(&self, reason: String) {
        *self.slot() = Some(reason);
    }

    /// What was thrown last, left in place.
    pub(crate) fn last(&self) -> Option<String> {
        self.slot().clone()
    }

    /// The call's outcome for the application, taking what the listener threw during the call:
    /// `Cancelled` because the listener threw becomes `Callback` with what it threw; any other
    /// outcome is the call's own (an append that landed, or whose outcome is unknown, is never
    /// turned into a listener's failure), and what was thrown is dropped with it, so it cannot
    /// colour a later call sharing this slot (an `Appender`'s).
    pub(crate) fn finish<T>(&self, result: Result<T, crate::Error>) -> Result<T, OssError> {
        let thrown = self.slot().take();
        match (result, thrown) {
            (Ok(value), _) => Ok(value),
            (Err(crate::Error::Cancelled), Some(reason)) => {
                Err(OssError::Callback { callback: CallbackKind::Progress, reason })
            }
            (Err(error), _) => Err(error.into()),
        }
    }
}

/// What a callback threw, as text: the exception's own text for an exception the library does not
/// know, the library's text for an `OssError`.
pub(crate) fn thrown_text(error: OssError) -> String {
    match error {
        OssError::Callback { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// The core's progress callback, calling the listener; what the listener throws stops the call and
/// is kept in `thrown`.
pub(crate) fn progress_fn(listener: Arc<dyn ProgressListener>, thrown: &Thrown) -> Arc<crate::ProgressFn> {
    let thrown = thrown.clone();
    Arc::new(move |sent, total| match listener.on_progress(num::out(sent), num::out(total)) {
        Ok(go_on) => go_on,
        Err(error) => {
            thrown.set(thrown_text(error));
            false
        }
    })
}

/// The core's credentials provider: the application's, behind the core's expiry-aware cache.
pub(crate) fn credentials_provider(provider: Arc<dyn CredentialsProvider>) -> Arc<dyn crate::CredentialsProvider> {
    Arc::new(crate::RefreshingProvider::new(move || match provider.credentials() {
        Ok(credentials) => Ok(credentials.into()),
        Err(OssError::Credentials { reason }) => Err(crate::Error::Credentials { reason }),
        Err(OssError::Callback { reason, .. }) => {
            Err(crate::Error::Credentials { reason: format!("the credentials provider threw: {reason}") })
        }
        Err(other) => Err(crate::Error::Credentials { reason: other.to_string() }),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_listener_threw_belongs_to_its_call_only() {
        let thrown = Thrown::default();
        thrown.set("java.lang.IllegalStateException: late".into());
        // The call succeeded anyway (its bytes landed): success, and the text is dropped.
        assert_eq!(thrown.finish(Ok(7)), Ok(7));
        // A later call cancelled by its token is Cancelled, not the earlier listener's failure.
        assert_eq!(thrown.finish::<()>(Err(crate::Error::Cancelled)), Err(OssError::Cancelled));
        thrown.set("boom".into());
        assert_eq!(
            thrown.finish::<()>(Err(crate::Error::Cancelled)),
            Err(OssError::Callback { callback: CallbackKind::Progress, reason: "boom".into() })
        );
    }
}
