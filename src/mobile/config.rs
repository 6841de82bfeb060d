//! What a client is made from: [`ClientConfig`] and [`Credentials`]. Every setting left unset takes
//! the core's default, so defaults live in one place ([`ClientBuilder`](crate::ClientBuilder)).

use std::sync::Arc;
use std::time::SystemTime;

use super::error::OssError;
use super::num;
use crate::config::{ClientBuilder, RetryPolicy};

/// Which signature algorithm signs requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignatureVersion {
    /// `OSS4-HMAC-SHA256`, the default.
    V4,
    /// `OSS <AK>:<sig>` with HMAC-SHA1, for older deployments.
    V1,
}

impl From<SignatureVersion> for crate::SignatureVersion {
    fn from(version: SignatureVersion) -> Self {
        match version {
            SignatureVersion::V4 => crate::SignatureVersion::V4,
            SignatureVersion::V1 => crate::SignatureVersion::V1,
        }
    }
}

/// An access key pair, with a security token and an expiration when it came from STS.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The access key secret.
    pub access_key_secret: String,
    /// The STS security token, for temporary credentials.
    #[uniffi(default = None)]
    pub security_token: Option<String>,
    /// When temporary credentials stop working; a provider is asked again 5 minutes before.
    #[uniffi(default = None)]
    pub expiration: Option<SystemTime>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&crate::Credentials::from(self.clone()), f)
    }
}

impl From<crate::Credentials> for Credentials {
    fn from(c: crate::Credentials) -> Self {
        Credentials {
            access_key_id: c.access_key_id().to_string(),
            access_key_secret: c.access_key_secret().to_string(),
            security_token: c.security_token().map(str::to_string),
            expiration: c.expiration(),
        }
    }
}

/// Credentials from an STS answer (`AssumeRole`, or the app's server relaying one): its access key
/// id, secret and security token, and its `Expiration` as the ISO 8601 string STS sends
/// (`2026-11-30T12:00:00Z`). Throws `Credentials` when the expiration is not such a time.
#[uniffi::export]
pub fn credentials_from_sts(
    access_key_id: String,
    access_key_secret: String,
    security_token: String,
    expiration: String,
) -> Result<Credentials, OssError> {
    Ok(crate::Credentials::from_sts(access_key_id, access_key_secret, security_token, &expiration)?.into())
}

impl From<Credentials> for crate::Credentials {
    fn from(c: Credentials) -> Self {
        let mut credentials = crate::Credentials::new(c.access_key_id, c.access_key_secret);
        if let Some(token) = c.security_token {
            credentials = credentials.with_security_token(token);
        }
        if let Some(expiration) = c.expiration {
            credentials = credentials.with_expiration(expiration);
        }
        credentials
    }
}

/// Client settings. Only `endpoint` is required; whatever is left null takes the core's default.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClientConfig {
    /// `https://oss-cn-hangzhou.aliyuncs.com`, or any URL such as `http://127.0.0.1:9000`.
    pub endpoint: String,
    /// Bare region id signed into V4 requests, e.g. `cn-hangzhou`. Default: taken from an
    /// `oss-<region>.aliyuncs.com` endpoint; required for other endpoints with V4.
    #[uniffi(default = None)]
    pub region: Option<String>,
    /// Default V4.
    #[uniffi(default = None)]
    pub signature_version: Option<SignatureVersion>,
    /// Path-style addressing. Default: virtual-host style, path style for IP and localhost endpoints.
    #[uniffi(default = None)]
    pub path_style: Option<bool>,
    /// Time allowed to open a connection, in milliseconds. Default 10 000.
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<i64>,
    /// Time allowed for any single read or write, and for a whole request head, response head or
    /// error body, in milliseconds. Default 30 000.
    #[uniffi(default = None)]
    pub read_write_timeout_ms: Option<i64>,
    /// Time allowed for a whole request, in milliseconds. Default: none.
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<i64>,
    /// Attempts in all, the first included; 1 disables retries. Default 3.
    #[uniffi(default = None)]
    pub max_attempts: Option<i32>,
    /// Base of the full-jitter exponential backoff, in milliseconds. Default 200.
    #[uniffi(default = None)]
    pub retry_base_delay_ms: Option<i64>,
    /// Longest wait between attempts, in milliseconds. Default 20 000.
    #[uniffi(default = None)]
    pub retry_max_delay_ms: Option<i64>,
    /// The User-Agent header. Default `oss-append/<version>`.
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
    /// Certificate authorities to trust (PEM), besides the platform's trust store: a private CA, a
    /// TLS-inspecting proxy's, the emulator's. Default: the platform's store alone.
    #[uniffi(default = None)]
    pub ca_bundle_pem: Option<Vec<u8>>,
    /// Trust only `ca_bundle_pem`, not the platform's store too. Default false.
    #[uniffi(default = None)]
    pub ca_bundle_only: Option<bool>,
    /// The proxy requests go through, `http://host:port` (CONNECT for https); `""` for none.
    /// Default: the `HTTPS_PROXY` family of the process's environment.
    #[uniffi(default = None)]
    pub proxy: Option<String>,
}

impl ClientConfig {
    /// A builder with these settings and the given credential source; a negative number is refused.
    pub(crate) fn builder(self, credentials: Source) -> Result<ClientBuilder, OssError> {
        let mut builder = crate::Client::builder().endpoint(self.endpoint);
        builder = match credentials {
            Source::Static(credentials) => builder.credentials(credentials),
            Source::Provider(provider) => builder.credentials_provider(provider),
            Source::Url(url) => builder.credentials_url(url),
        };
        if let Some(region) = self.region {
            builder = builder.region(region);
        }
        if let Some(version) = self.signature_version {
            builder = builder.signature_version(version.into());
        }
        if let Some(path_style) = self.path_style {
            builder = builder.path_style(path_style);
        }
        if let Some(timeout) = num::millis_opt("connectTimeoutMs", self.connect_timeout_ms)? {
            builder = builder.connect_timeout(timeout);
        }
        if let Some(timeout) = num::millis_opt("readWriteTimeoutMs", self.read_write_timeout_ms)? {
            builder = builder.read_write_timeout(timeout);
        }
        if let Some(timeout) = num::millis_opt("requestTimeoutMs", self.request_timeout_ms)? {
            builder = builder.request_timeout(Some(timeout));
        }
        let mut retry = RetryPolicy::default();
        if let Some(attempts) = self.max_attempts {
            let attempts = num::non_negative("maxAttempts", attempts.into())?;
            retry.max_attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
        }
        if let Some(delay) = num::millis_opt("retryBaseDelayMs", self.retry_base_delay_ms)? {
            retry.base_delay = delay;
        }
        if let Some(delay) = num::millis_opt("retryMaxDelayMs", self.retry_max_delay_ms)? {
            retry.max_delay = delay;
        }
        builder = builder.retry_policy(retry);
        if let Some(user_agent) = self.user_agent {
            builder = builder.user_agent(user_agent);
        }
        if let Some(pem) = self.ca_bundle_pem {
            builder = builder.ca_bundle_pem(pem).ca_bundle_only(self.ca_bundle_only.unwrap_or(false));
        }
        match self.proxy.as_deref() {
            None => {}
            Some("") => builder = builder.no_proxy(),
            Some(url) => builder = builder.proxy(url),
        }
        Ok(builder)
    }
}

/// Where a client's credentials come from.
pub(crate) enum Source {
    Static(crate::Credentials),
    Provider(Arc<dyn crate::CredentialsProvider>),
    Url(crate::CredentialsUrl),
}
