//! Credentials: static keys, keys from the environment, STS tokens, and providers the application
//! implements; [`url`]: the application's token server. Secrets are never printed: `Debug` shows the access key id and whether a token is set.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::error::Error;

pub(crate) mod url;

/// An access key pair, with a security token when it came from STS.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
    expiration: Option<SystemTime>,
}

impl Credentials {
    /// Long-lived keys of a RAM user or account.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            security_token: None,
            expiration: None,
        }
    }

    /// Temporary STS keys with their security token (sent as `x-oss-security-token`).
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// When these credentials stop working; a refreshing provider is asked again before then.
    pub fn with_expiration(mut self, expiration: SystemTime) -> Self {
        self.expiration = Some(expiration);
        self
    }

    /// Temporary keys as an STS `AssumeRole` answer (or an app server relaying one) gives them: the
    /// three strings and the expiration in ISO 8601 (`2026-11-30T12:00:00Z`, an offset, or
    /// fractional seconds). An expiration that is not such a time is `Error::Credentials`.
    pub fn from_sts(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: impl Into<String>,
        expiration: &str,
    ) -> Result<Self, Error> {
        let at = parse_expiration(expiration)?;
        Ok(Self::new(access_key_id, access_key_secret).with_security_token(security_token).with_expiration(at))
    }

    /// Reads `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and, when set, `OSS_SESSION_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let id = read("OSS_ACCESS_KEY_ID");
        let secret = read("OSS_ACCESS_KEY_SECRET");
        match (id, secret) {
            (Some(id), Some(secret)) => {
                let mut credentials = Self::new(id, secret);
                if let Some(token) = read("OSS_SESSION_TOKEN") {
                    credentials = credentials.with_security_token(token);
                }
                Ok(credentials)
            }
            _ => Err(Error::Credentials {
                reason: "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET must both be set in the environment".into(),
            }),
        }
    }

    /// The access key id (not secret; it appears in every Authorization header).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The access key secret. Keep it out of logs.
    pub fn access_key_secret(&self) -> &str {
        &self.access_key_secret
    }

    /// The STS security token, if any.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }

    /// When these credentials expire, if known.
    pub fn expiration(&self) -> Option<SystemTime> {
        self.expiration
    }

    /// Checks that the credentials can sign a request: the key id and secret are not empty, and no
    /// part holds a line break or other control character (which would split the request's headers).
    /// The client checks every credential before it signs with it.
    pub fn validate(&self) -> Result<(), Error> {
        let parts = [
            ("access key id", Some(self.access_key_id.as_str())),
            ("access key secret", Some(self.access_key_secret.as_str())),
            ("security token", self.security_token.as_deref()),
        ];
        for (name, value) in parts {
            let Some(value) = value else { continue };
            if value.is_empty() {
                return Err(Error::Credentials { reason: format!("the {name} is empty") });
            }
            if value.chars().any(char::is_control) {
                return Err(Error::Credentials {
                    reason: format!("the {name} holds a line break or control character; copy it again without them"),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &self.security_token.as_ref().map(|_| "<redacted>"))
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// An STS expiration in ISO 8601 (`2026-11-30T12:00:00Z`, an offset, or fractional seconds).
pub(crate) fn parse_expiration(expiration: &str) -> Result<SystemTime, Error> {
    let at = time::OffsetDateTime::parse(expiration.trim(), &time::format_description::well_known::Rfc3339).map_err(
        |e| Error::Credentials {
            reason: format!(
                "the STS expiration {expiration:?} is not an ISO 8601 time such as 2026-11-30T12:00:00Z: {e}"
            ),
        },
    )?;
    Ok(at.into())
}

/// A source of credentials the client asks before each request. Implement it to fetch STS tokens
/// from the application's own server; [`RefreshingProvider`] caches them until shortly before they expire.
pub trait CredentialsProvider: Send + Sync {
    /// Returns credentials to sign the next request with.
    fn credentials(&self) -> Result<Credentials, Error>;

    /// The credentials, when they are fixed and known without asking (so a client checks them when
    /// it is made). Default: none.
    fn fixed(&self) -> Option<&Credentials> {
        None
    }

    /// The service refused the last credentials as expired or invalid (an STS token): the next
    /// [`credentials`](Self::credentials) should fetch fresh ones. Default: nothing to do.
    fn invalidate(&self) {}
}

/// Static credentials are their own provider.
impl CredentialsProvider for Credentials {
    fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.clone())
    }

    fn fixed(&self) -> Option<&Credentials> {
        Some(self)
    }
}

/// Wraps a fetching function (for example one that calls the application's STS endpoint) and caches
/// its credentials, fetching again when they are within `refresh_before` of their expiration, or
/// when the service refused them (an STS token expired or revoked early).
pub struct RefreshingProvider {
    fetch: Box<dyn Fn() -> Result<Credentials, Error> + Send + Sync>,
    refresh_before: Duration,
    cached: Mutex<Option<Credentials>>,
}

impl RefreshingProvider {
    /// Default margin before expiration at which credentials are fetched again: 5 minutes.
    pub const DEFAULT_REFRESH_BEFORE: Duration = Duration::from_secs(300);

    /// Caches what `fetch` returns, fetching again 5 minutes before expiration (credentials without
    /// an expiration are kept for the provider's lifetime).
    pub fn new(fetch: impl Fn() -> Result<Credentials, Error> + Send + Sync + 'static) -> Self {
        Self { fetch: Box::new(fetch), refresh_before: Self::DEFAULT_REFRESH_BEFORE, cached: Mutex::new(None) }
    }

    /// Sets how long before expiration the credentials are fetched again.
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    fn is_fresh(&self, credentials: &Credentials) -> bool {
        match credentials.expiration {
            None => true,
            Some(expiration) => SystemTime::now() + self.refresh_before < expiration,
        }
    }
}

impl CredentialsProvider for RefreshingProvider {
    fn invalidate(&self) {
        *self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    fn credentials(&self) -> Result<Credentials, Error> {
        let mut cached = self.cached.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(credentials) = cached.as_ref() {
            if self.is_fresh(credentials) {
                return Ok(credentials.clone());
            }
        }
        let fresh = (self.fetch)()?;
        *cached = Some(fresh.clone());
        Ok(fresh)
    }
}

impl fmt::Debug for RefreshingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingProvider").field("refresh_before", &self.refresh_before).finish_non_exhaustive()
    }
}

pub(crate) type SharedProvider = Arc<dyn CredentialsProvider>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn debug_never_shows_secret_or_token() {
        let credentials = Credentials::new("LTAIexample", "very-secret-value").with_security_token("token-secret");
        let shown = format!("{credentials:?}");
        assert!(shown.contains("LTAIexample"));
        assert!(!shown.contains("very-secret-value"));
        assert!(!shown.contains("token-secret"));
    }

    #[test]
    fn sts_expirations_are_read_as_iso_8601() {
        let at = |s: &str| Credentials::from_sts("id", "secret", "token", s).map(|c| c.expiration());
        let expected = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_040_000);
        assert_eq!(at("2026-11-30T12:00:00Z").unwrap(), Some(expected));
        assert_eq!(at("2026-11-30T20:00:00+08:00").unwrap(), Some(expected));
        assert_eq!(at(" 2026-11-30T12:00:00.500Z\n").unwrap(), Some(expected + Duration::from_millis(500)));
        let sts = Credentials::from_sts("id", "secret", "token", "2026-11-30T12:00:00Z").unwrap();
        assert_eq!(sts.security_token(), Some("token"));
        for bad in ["", "1796040000", "2026-11-30 12:00:00", "Mon, 30 Nov 2026 12:00:00 GMT"] {
            match at(bad) {
                Err(Error::Credentials { reason }) => assert!(reason.contains("ISO 8601"), "{reason}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn unusable_credentials_are_credentials_errors() {
        assert!(Credentials::new("id", "secret").with_security_token("t").validate().is_ok());
        for bad in [
            Credentials::new("", "secret"),
            Credentials::new("id", ""),
            Credentials::new("id\r\n", "secret"),
            Credentials::new("id", "sec\nret"),
            Credentials::new("id", "secret").with_security_token("to\rken"),
        ] {
            let err = bad.validate().unwrap_err();
            assert!(matches!(err, Error::Credentials { .. }), "{err}");
            assert!(!err.to_string().contains("sec\nret") && !err.to_string().contains("to\rken"));
        }
    }

    #[test]
    fn refreshing_provider_fetches_again_near_expiration() {
        let fetches = Arc::new(AtomicU32::new(0));
        let counter = fetches.clone();
        let provider = RefreshingProvider::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            // The first token expires within the margin; the second lasts an hour.
            let lifetime = if n == 0 { Duration::from_secs(60) } else { Duration::from_secs(3600) };
            Ok(Credentials::new("id", "secret")
                .with_security_token(format!("token-{n}"))
                .with_expiration(SystemTime::now() + lifetime))
        });
        assert_eq!(provider.credentials().unwrap().security_token(), Some("token-0"));
        assert_eq!(provider.credentials().unwrap().security_token(), Some("token-1"));
        assert_eq!(provider.credentials().unwrap().security_token(), Some("token-1"));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // Refused by the service: the next call fetches again, whatever the expiration said.
        provider.invalidate();
        assert_eq!(provider.credentials().unwrap().security_token(), Some("token-2"));
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
    }
}
