//! Client configuration: a builder whose every setting documents its default.

use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{Credentials, CredentialsProvider, SharedProvider};
use crate::error::Error;
use crate::sign::SignatureVersion;

/// How failed requests are retried: full-jitter exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries. Default 3.
    pub max_attempts: u32,
    /// Base of the exponential backoff: attempt n waits a random time up to `base * 2^n`. Default 200 ms.
    pub base_delay: Duration,
    /// Longest wait between attempts. Default 20 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 3, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(20) }
    }
}

impl RetryPolicy {
    /// No retries: every failure is returned at once.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The upper bound of the wait before retry number `retry` (1 for the first retry).
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Where requests go, parsed from the endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub scheme: String,
    /// Host without port.
    pub host: String,
    pub port: Option<u16>,
}

impl Endpoint {
    pub(crate) fn parse(endpoint: &str) -> Result<Self, Error> {
        let trimmed = endpoint.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(Error::invalid("endpoint", "is empty; give e.g. https://oss-cn-hangzhou.aliyuncs.com"));
        }
        let with_scheme = if trimmed.contains("://") { trimmed.to_string() } else { format!("https://{trimmed}") };
        let uri: ureq::http::Uri =
            with_scheme.parse().map_err(|e| Error::invalid("endpoint", format!("{endpoint:?} is not a URL: {e}")))?;
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(Error::invalid("endpoint", format!("scheme {scheme:?} is not http or https")));
        }
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(Error::invalid(
                "endpoint",
                format!("{endpoint:?} has a path; give only scheme, host and port"),
            ));
        }
        let host = uri.host().ok_or_else(|| Error::invalid("endpoint", format!("{endpoint:?} has no host")))?;
        Ok(Self { scheme, host: host.to_ascii_lowercase(), port: uri.port_u16() })
    }

    /// IP addresses and localhost cannot carry a bucket subdomain.
    pub(crate) fn needs_path_style(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok()
    }

    /// `cn-hangzhou` from `oss-cn-hangzhou.aliyuncs.com` (also `-internal` and `-accelerate` forms).
    pub(crate) fn region_hint(&self) -> Option<String> {
        let first = self.host.strip_suffix(".aliyuncs.com")?.split('.').next()?;
        let region = first.strip_prefix("oss-")?;
        let region = region.strip_suffix("-internal").unwrap_or(region);
        (!region.is_empty() && region != "accelerate").then(|| region.to_string())
    }

    pub(crate) fn authority(&self, bucket_prefix: Option<&str>) -> String {
        let mut authority = String::new();
        if let Some(bucket) = bucket_prefix {
            authority.push_str(bucket);
            authority.push('.');
        }
        authority.push_str(&self.host);
        if let Some(port) = self.port {
            authority.push(':');
            authority.push_str(&port.to_string());
        }
        authority
    }
}

/// Client settings, made by [`ClientBuilder`]. All defaults live in [`ClientBuilder::default`].
#[derive(Clone)]
pub(crate) struct Config {
    pub endpoint: Endpoint,
    pub region: String,
    pub path_style: bool,
    pub signature_version: SignatureVersion,
    pub credentials: SharedProvider,
    pub connect_timeout: Duration,
    pub read_write_timeout: Duration,
    pub request_timeout: Option<Duration>,
    pub retry: RetryPolicy,
    pub user_agent: String,
    pub max_idle_connections: usize,
}

/// Builds a [`Client`](crate::Client).
///
/// ```no_run
/// let client = oss_append::Client::builder()
///     .endpoint("https://oss-cn-hangzhou.aliyuncs.com")
///     .credentials_from_env()
///     .build()?;
/// # Ok::<(), oss_append::Error>(())
/// ```
pub struct ClientBuilder {
    endpoint: Option<String>,
    region: Option<String>,
    path_style: Option<bool>,
    signature_version: SignatureVersion,
    credentials: Option<Result<SharedProvider, Error>>,
    connect_timeout: Duration,
    read_write_timeout: Duration,
    request_timeout: Option<Duration>,
    retry: RetryPolicy,
    user_agent: String,
    max_idle_connections: usize,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: None,
            path_style: None,
            signature_version: SignatureVersion::V4,
            credentials: None,
            connect_timeout: Duration::from_secs(10),
            read_write_timeout: Duration::from_secs(30),
            request_timeout: None,
            retry: RetryPolicy::default(),
            user_agent: format!("oss-append/{}", env!("CARGO_PKG_VERSION")),
            max_idle_connections: 32,
        }
    }
}

impl ClientBuilder {
    /// The service endpoint: a region endpoint such as `https://oss-cn-hangzhou.aliyuncs.com`, or any
    /// URL such as `http://127.0.0.1:9000`. Without a scheme, https is used. Required; no default.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The bare region id signed into V4 requests, e.g. `cn-hangzhou`. Default: taken from an
    /// `oss-<region>.aliyuncs.com` endpoint; required for other endpoints when signing V4.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Path style (`host/bucket/key`) instead of virtual-host style (`bucket.host/key`). Default:
    /// virtual-host style, except for IP and `localhost` endpoints, which always use path style.
    pub fn path_style(mut self, path_style: bool) -> Self {
        self.path_style = Some(path_style);
        self
    }

    /// Signature version. Default [`SignatureVersion::V4`].
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    /// Static (or STS, with a security token) credentials. Default: none; a credential source is required.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(Ok(Arc::new(credentials)));
        self
    }

    /// Credentials from `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and `OSS_SESSION_TOKEN`, read now.
    pub fn credentials_from_env(mut self) -> Self {
        self.credentials = Some(Credentials::from_env().map(|c| Arc::new(c) as SharedProvider));
        self
    }

    /// A provider asked before every request, e.g. a [`RefreshingProvider`](crate::RefreshingProvider)
    /// that fetches STS tokens from the application's server.
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.credentials = Some(Ok(provider));
        self
    }

    /// Time allowed to open a connection (TCP and TLS). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for any single read or write on an open connection. Default 30 s.
    pub fn read_write_timeout(mut self, timeout: Duration) -> Self {
        self.read_write_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, body included. Default: none (large bodies take long).
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Retry policy. Default [`RetryPolicy::default`]: 3 attempts, 200 ms base, 20 s cap.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The User-Agent header. Default `oss-append/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Idle keep-alive connections kept in the pool. Default 32.
    pub fn max_idle_connections(mut self, count: usize) -> Self {
        self.max_idle_connections = count;
        self
    }

    /// Checks the settings and makes the client.
    pub fn build(self) -> Result<crate::Client, Error> {
        let endpoint_text = self
            .endpoint
            .ok_or_else(|| Error::invalid("endpoint", "is required, e.g. https://oss-cn-hangzhou.aliyuncs.com"))?;
        let endpoint = Endpoint::parse(&endpoint_text)?;
        let region = match self.region.or_else(|| endpoint.region_hint()) {
            Some(region) => {
                let region = region.trim().to_string();
                let region = region.strip_prefix("oss-").map(str::to_string).unwrap_or(region);
                if region.is_empty() || !region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(Error::invalid("region", format!("{region:?} is not a region id such as cn-hangzhou")));
                }
                region
            }
            None if self.signature_version == SignatureVersion::V4 => {
                return Err(Error::invalid(
                    "region",
                    format!("is required for V4 signing with endpoint {endpoint_text}; give e.g. cn-hangzhou"),
                ))
            }
            None => String::new(),
        };
        let credentials = self.credentials.ok_or_else(|| Error::Credentials {
            reason:
                "no credentials configured; set them on the builder or in OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET"
                    .into(),
        })??;
        crate::validate::header_value("user agent", &self.user_agent)?;
        if self.retry.max_attempts == 0 {
            return Err(Error::invalid("retry policy", "max_attempts must be at least 1"));
        }
        let path_style = endpoint.needs_path_style() || self.path_style.unwrap_or(false);
        Ok(crate::Client::from_config(Config {
            endpoint,
            region,
            path_style,
            signature_version: self.signature_version,
            credentials,
            connect_timeout: self.connect_timeout,
            read_write_timeout: self.read_write_timeout,
            request_timeout: self.request_timeout,
            retry: self.retry,
            user_agent: self.user_agent,
            max_idle_connections: self.max_idle_connections,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parsing_and_styles() {
        let e = Endpoint::parse("oss-cn-hangzhou.aliyuncs.com").unwrap();
        assert_eq!((e.scheme.as_str(), e.host.as_str(), e.port), ("https", "oss-cn-hangzhou.aliyuncs.com", None));
        assert_eq!(e.region_hint().as_deref(), Some("cn-hangzhou"));
        assert!(!e.needs_path_style());
        let e = Endpoint::parse("http://127.0.0.1:9000/").unwrap();
        assert_eq!((e.scheme.as_str(), e.port), ("http", Some(9000)));
        assert!(e.needs_path_style());
        assert_eq!(e.region_hint(), None);
        assert!(Endpoint::parse("http://localhost:1").unwrap().needs_path_style());
        assert_eq!(
            Endpoint::parse("https://oss-cn-shanghai-internal.aliyuncs.com").unwrap().region_hint().as_deref(),
            Some("cn-shanghai")
        );
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://host/path").is_err());
        assert!(Endpoint::parse("").is_err());
    }

    #[test]
    fn backoff_cap_doubles_up_to_the_limit() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff_cap(1), Duration::from_millis(400));
        assert_eq!(policy.backoff_cap(3), Duration::from_millis(1600));
        assert_eq!(policy.backoff_cap(40), Duration::from_secs(20));
    }

    #[test]
    fn v4_needs_a_region_for_custom_endpoints() {
        let err = ClientBuilder::default()
            .endpoint("http://127.0.0.1:9000")
            .credentials(Credentials::new("a", "b"))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "region", .. }), "{err}");
        let client = ClientBuilder::default()
            .endpoint("https://oss-cn-beijing.aliyuncs.com")
            .credentials(Credentials::new("a", "b"))
            .build();
        assert!(client.is_ok());
    }
}
