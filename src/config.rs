//! Client configuration: one public [`Config`] holding every setting and its default, checked in one
//! place. [`ClientBuilder`] wraps it; the C, Kotlin/Swift and command-line layers translate into it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::url::CredentialsUrl;
use crate::credentials::{Credentials, CredentialsProvider, SharedProvider};
use crate::error::{Argument, Error};
pub use crate::net::tls::Trust;
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

    /// The wait before retry number `retry`: a random time up to [`backoff_cap`](Self::backoff_cap)
    /// (full jitter, so that many clients recovering from one outage do not retry in step).
    pub fn delay(&self, retry: u32) -> Duration {
        use rand::Rng;
        let cap = self.backoff_cap(retry);
        if cap.is_zero() {
            cap
        } else {
            rand::rng().random_range(Duration::ZERO..=cap)
        }
    }

    /// Checks the policy: at least one attempt, and a base delay no longer than the maximum.
    pub fn validate(&self) -> Result<(), Error> {
        if self.max_attempts == 0 {
            return Err(Error::invalid(Argument::RetryPolicy, "max_attempts must be at least 1"));
        }
        if self.base_delay > self.max_delay {
            return Err(Error::invalid(
                Argument::RetryPolicy,
                format!("the base delay {:?} is longer than the maximum delay {:?}", self.base_delay, self.max_delay),
            ));
        }
        Ok(())
    }
}

/// An endpoint as messages and `Debug` show it: without what may be a password before an '@'.
pub(crate) fn redacted(endpoint: &str) -> String {
    match endpoint.split_once("://").map(|(scheme, rest)| (scheme, rest.rsplit_once('@'))) {
        Some((scheme, Some((_, host)))) => format!("{scheme}://***@{host}"),
        _ if endpoint.contains('@') => "(an endpoint holding '@')".to_string(),
        _ => endpoint.to_string(),
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
    pub(crate) fn parse(given: &str) -> Result<Self, Error> {
        let bad = |reason: String| Err(Error::invalid(Argument::Endpoint, reason));
        let endpoint = given;
        let shown = redacted(given);
        let trimmed = endpoint.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return bad("is empty; give e.g. https://oss-cn-hangzhou.aliyuncs.com".into());
        }
        let with_scheme = if trimmed.contains("://") { trimmed.to_string() } else { format!("https://{trimmed}") };
        let url = match crate::net::http1::Url::parse(&with_scheme) {
            Ok(url) => url,
            Err(e) => return bad(format!("{shown:?} is not a URL: {e}")),
        };
        let scheme = url.scheme.clone();
        if scheme != "http" && scheme != "https" {
            return bad(format!("scheme {scheme:?} is not http or https"));
        }
        if url.userinfo.is_some() {
            return bad(format!("{shown:?} holds a user name or password; give credentials apart, never in the URL"));
        }
        if url.target != "/" {
            return bad(format!("{shown:?} has a path or query; give only scheme, host and port"));
        }
        if url.host.is_empty() {
            return bad(format!("{shown:?} has no host"));
        }
        let host = url.host.clone();
        let port = match &url.port {
            None => None,
            Some(_) => match url.port_number() {
                Some(port) => Some(port),
                None => return bad(format!("{shown:?} has a port out of range; a port is 1 to 65535")),
            },
        };
        Ok(Self { scheme, host, port })
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

/// Every client setting, with its default in [`Config::default`]. Made directly, by
/// [`Config::from_env`], or through [`ClientBuilder`]; checked by [`Client::new`](crate::Client::new).
///
/// `Debug` shows no secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// The service endpoint: `https://oss-cn-hangzhou.aliyuncs.com`, or any URL such as
    /// `http://127.0.0.1:9000`; without a scheme, https. Required: the default is empty.
    pub endpoint: String,
    /// The bare region id signed into V4 requests, e.g. `cn-hangzhou`. Default: taken from an
    /// `oss-<region>.aliyuncs.com` endpoint; required for other endpoints when signing V4.
    pub region: Option<String>,
    /// Path style (`host/bucket/key`) instead of virtual-host style (`bucket.host/key`). Default:
    /// virtual-host style, except for IP and `localhost` endpoints, which always use path style.
    pub path_style: Option<bool>,
    /// Signature version. Default [`SignatureVersion::V4`].
    pub signature_version: SignatureVersion,
    /// Where credentials come from: static [`Credentials`] or any provider. Required, unless
    /// `credentials_url` is set (not both).
    pub credentials: Option<Arc<dyn CredentialsProvider>>,
    /// The application's token server, asked for STS credentials with this client's proxy, trust
    /// and timeouts. Default none.
    pub credentials_url: Option<CredentialsUrl>,
    /// Time allowed to open a connection (TCP and TLS). Default 10 s; must not be zero.
    pub connect_timeout: Duration,
    /// Time allowed for any single read or write on an open connection, and also for the whole
    /// request head to go out, the whole response head to come in and an error's body to be read
    /// (so a server that drips one byte at a time cannot hold a call). Default 30 s; must not be zero.
    pub read_write_timeout: Duration,
    /// Time allowed for a whole request, body included. Default none (large bodies take long).
    pub request_timeout: Option<Duration>,
    /// Retry policy. Default [`RetryPolicy::default`]: 3 attempts, 200 ms base, 20 s cap.
    pub retry: RetryPolicy,
    /// The User-Agent header. Default `oss-append/<version>`.
    pub user_agent: String,
    /// Idle keep-alive connections kept in the pool. Default 32.
    pub max_idle_connections: usize,
    /// Which servers to trust over HTTPS. Default: the platform's trust store.
    pub trust: Trust,
    /// The proxy requests go through. Default [`Proxy::FromEnvironment`].
    pub proxy: Proxy,
}

/// The proxy a client's requests go through.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Proxy {
    /// `HTTPS_PROXY` for https endpoints and `HTTP_PROXY` for http ones (or `ALL_PROXY`; lower case
    /// too), skipping the hosts of `NO_PROXY`, as curl does. The default.
    #[default]
    FromEnvironment,
    /// No proxy, whatever the environment says.
    Direct,
    /// This proxy: `http://[user:password@]host:port` (CONNECT for https endpoints).
    Url(String),
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::FromEnvironment => f.write_str("FromEnvironment"),
            Proxy::Direct => f.write_str("Direct"),
            Proxy::Url(url) => f.debug_tuple("Url").field(&redacted(url)).finish(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            region: None,
            path_style: None,
            signature_version: SignatureVersion::V4,
            credentials: None,
            credentials_url: None,
            connect_timeout: Duration::from_secs(10),
            read_write_timeout: Duration::from_secs(30),
            request_timeout: None,
            retry: RetryPolicy::default(),
            user_agent: format!("oss-append/{}", env!("CARGO_PKG_VERSION")),
            max_idle_connections: 32,
            trust: Trust::default(),
            proxy: Proxy::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("endpoint", &redacted(&self.endpoint))
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("signature_version", &self.signature_version)
            .field("credentials", &self.credentials.as_ref().map(|_| "<provider>"))
            .field("credentials_url", &self.credentials_url)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_write_timeout", &self.read_write_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("max_idle_connections", &self.max_idle_connections)
            .field("trust", &self.trust)
            .field("proxy", &self.proxy)
            .finish()
    }
}

/// A variable of the environment, unless empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// The defaults, with the endpoint, region and credentials of the environment: `OSS_ENDPOINT`,
    /// `OSS_REGION`, `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and `OSS_SESSION_TOKEN` (the variables
    /// the official SDKs and the emulator's banner use), and `OSS_CA_BUNDLE`, a file of certificate
    /// authorities to trust besides the platform's. Fails when the endpoint or a key is missing, or
    /// the CA bundle cannot be read.
    pub fn from_env() -> Result<Self, Error> {
        let endpoint = env("OSS_ENDPOINT")
            .ok_or_else(|| Error::invalid(Argument::Endpoint, "OSS_ENDPOINT is not set in the environment"))?;
        let trust = match env("OSS_CA_BUNDLE") {
            Some(path) => Trust::with_ca_pem(read_ca_bundle(std::path::Path::new(&path))?),
            None => Trust::default(),
        };
        Ok(Self {
            endpoint,
            region: env("OSS_REGION"),
            credentials: Some(Arc::new(Credentials::from_env()?)),
            trust,
            ..Self::default()
        })
    }

    /// Checks every setting, as [`Client::new`](crate::Client::new) does, and resolves the defaults
    /// that depend on the endpoint.
    pub(crate) fn resolve(self) -> Result<Settings, Error> {
        let endpoint = Endpoint::parse(&self.endpoint).map_err(|e| match e {
            Error::InvalidArgument { reason, .. } if self.endpoint.trim().is_empty() => {
                Error::invalid(Argument::Endpoint, format!("{reason}; it is required (the endpoint is not optional)"))
            }
            other => other,
        })?;
        let region = match self.region.clone().filter(|r| !r.trim().is_empty()).or_else(|| endpoint.region_hint()) {
            Some(region) => {
                let region = region.trim();
                let region = region.strip_prefix("oss-").unwrap_or(region).to_string();
                if region.is_empty() || !region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(Error::invalid(
                        Argument::Region,
                        format!("{region:?} is not a region id such as cn-hangzhou"),
                    ));
                }
                region
            }
            None if self.signature_version == SignatureVersion::V4 => {
                return Err(Error::invalid(
                    Argument::Region,
                    format!("is required for V4 signing with endpoint {}; give e.g. cn-hangzhou", self.endpoint),
                ))
            }
            None => String::new(),
        };
        for (argument, timeout) in
            [(Argument::ConnectTimeout, self.connect_timeout), (Argument::ReadWriteTimeout, self.read_write_timeout)]
        {
            if timeout.is_zero() {
                return Err(Error::invalid(argument, "must be longer than zero"));
            }
        }
        if self.request_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::invalid(Argument::RequestTimeout, "must be longer than zero, or none for no limit"));
        }
        self.retry.validate()?;
        crate::validate::header_value(Argument::UserAgent, &self.user_agent)?;
        let path_style = endpoint.needs_path_style() || self.path_style.unwrap_or(false);
        let tls = crate::net::tls::LazyConfig::new(&self.trust)?;
        let proxies = match &self.proxy {
            Proxy::FromEnvironment => crate::net::http::Proxies::from_env(),
            Proxy::Direct => crate::net::http::Proxies::default(),
            Proxy::Url(url) => crate::net::http::Proxies::all(crate::net::http::Proxy::parse(url).map_err(|e| {
                Error::invalid(
                    Argument::Proxy,
                    format!("{} is not a proxy URL such as http://host:3128: {e}", redacted(url)),
                )
            })?),
        };
        let network = crate::net::http::Settings {
            tls,
            proxies,
            connect_timeout: self.connect_timeout,
            read_write_timeout: self.read_write_timeout,
            request_timeout: self.request_timeout,
            user_agent: self.user_agent,
            max_idle_connections: self.max_idle_connections,
        };
        let credentials: SharedProvider = match (self.credentials, self.credentials_url) {
            (Some(_), Some(_)) => {
                return Err(Error::Credentials {
                    reason: "both credentials and a credentials URL are set; use one".into(),
                })
            }
            (Some(credentials), None) => {
                if let Some(fixed) = credentials.fixed() {
                    fixed.validate()?;
                }
                credentials
            }
            // The token server's connections: the client's settings, one kept.
            (None, Some(url)) => {
                Arc::new(url.provider(crate::net::http::Settings { max_idle_connections: 1, ..network.clone() })?)
            }
            (None, None) => return Err(Error::Credentials {
                reason:
                    "no credentials configured; set them on the builder or in OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET"
                        .into(),
            }),
        };
        Ok(Settings {
            endpoint,
            region,
            path_style,
            signature_version: self.signature_version,
            credentials,
            retry: self.retry,
            network,
        })
    }
}

/// The certificates of a CA bundle file.
pub(crate) fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::invalid(Argument::CaBundle, format!("cannot read {}: {e}", path.display())))
}

/// A [`Config`] after its checks, with the endpoint parsed and the region and style decided.
#[derive(Clone)]
pub(crate) struct Settings {
    pub endpoint: Endpoint,
    pub region: String,
    pub path_style: bool,
    pub signature_version: SignatureVersion,
    pub credentials: SharedProvider,
    pub retry: RetryPolicy,
    /// What its connections are made with.
    pub network: crate::net::http::Settings,
}

/// Builds a [`Client`](crate::Client): setters over a [`Config`].
///
/// ```no_run
/// let client = oss_append::Client::builder()
///     .endpoint("https://oss-cn-hangzhou.aliyuncs.com")
///     .credentials_from_env()
///     .build()?;
/// # Ok::<(), oss_append::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    config: Config,
    /// A credential source that failed when set (the environment), reported by `build`.
    credentials_error: Option<Error>,
    /// A CA bundle file that could not be read, reported by `build`.
    ca_error: Option<Error>,
}

impl ClientBuilder {
    /// Trusts the certificate authorities in `pem` (PEM certificates) besides the platform's store,
    /// or instead of it with [`ca_bundle_only`](Self::ca_bundle_only).
    pub fn ca_bundle_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.config.trust.ca_pem = Some(pem.into());
        self
    }

    /// As [`ca_bundle_pem`](Self::ca_bundle_pem), from a file read now (a failure shows at `build`).
    pub fn ca_bundle_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        match read_ca_bundle(path.as_ref()) {
            Ok(pem) => self.config.trust.ca_pem = Some(pem),
            Err(e) => self.ca_error = Some(e),
        }
        self
    }

    /// Trusts only the CA bundle, not the platform's store too.
    pub fn ca_bundle_only(mut self, only: bool) -> Self {
        self.config.trust.ca_only = only;
        self
    }

    /// Sends every request through this proxy (`http://[user:password@]host:port`).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.config.proxy = Proxy::Url(url.into());
        self
    }

    /// Sends requests directly, whatever `HTTPS_PROXY` and the like say.
    pub fn no_proxy(mut self) -> Self {
        self.config.proxy = Proxy::Direct;
        self
    }

    /// A builder starting from `config`.
    pub fn from_config(config: Config) -> Self {
        Self { config, credentials_error: None, ca_error: None }
    }

    /// The service endpoint: a region endpoint such as `https://oss-cn-hangzhou.aliyuncs.com`, or any
    /// URL such as `http://127.0.0.1:9000`. Without a scheme, https is used. Required; no default.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.config.endpoint = endpoint.into();
        self
    }

    /// The bare region id signed into V4 requests, e.g. `cn-hangzhou`. Default: taken from an
    /// `oss-<region>.aliyuncs.com` endpoint; required for other endpoints when signing V4.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.config.region = Some(region.into());
        self
    }

    /// Path style (`host/bucket/key`) instead of virtual-host style (`bucket.host/key`). Default:
    /// virtual-host style, except for IP and `localhost` endpoints, which always use path style.
    pub fn path_style(mut self, path_style: bool) -> Self {
        self.config.path_style = Some(path_style);
        self
    }

    /// Signature version. Default [`SignatureVersion::V4`].
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.config.signature_version = version;
        self
    }

    /// Static (or STS, with a security token) credentials. Default: none; a credential source is required.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.config.credentials = Some(Arc::new(credentials));
        self.config.credentials_url = None;
        self.credentials_error = None;
        self
    }

    /// Credentials from `OSS_ACCESS_KEY_ID`, `OSS_ACCESS_KEY_SECRET` and `OSS_SESSION_TOKEN`, read now.
    pub fn credentials_from_env(mut self) -> Self {
        match Credentials::from_env() {
            Ok(credentials) => return self.credentials(credentials),
            Err(error) => self.credentials_error = Some(error),
        }
        self
    }

    /// A provider asked before every request, e.g. a [`RefreshingProvider`](crate::RefreshingProvider)
    /// that fetches STS tokens from the application's server.
    pub fn credentials_provider(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.config.credentials = Some(provider);
        self.config.credentials_url = None;
        self.credentials_error = None;
        self
    }

    /// STS credentials from the application's token server, fetched with this client's proxy, trust
    /// and timeouts, and again 5 minutes before they expire or when the service refuses them. See
    /// [`CredentialsUrl`] for the answers it reads.
    ///
    /// ```no_run
    /// use oss_append::{Client, CredentialsUrl};
    /// let client = Client::builder()
    ///     .endpoint("https://oss-cn-hangzhou.aliyuncs.com")
    ///     .credentials_url(CredentialsUrl::new("https://app.example.com/sts").header("Authorization", "Bearer …"))
    ///     .build()?;
    /// # Ok::<(), oss_append::Error>(())
    /// ```
    pub fn credentials_url(mut self, url: CredentialsUrl) -> Self {
        self.config.credentials = None;
        self.config.credentials_url = Some(url);
        self.credentials_error = None;
        self
    }

    /// Time allowed to open a connection (TCP and TLS). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Time allowed for any single read or write on an open connection, and for the whole request
    /// head, the whole response head and an error's body. Default 30 s.
    pub fn read_write_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_write_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, body included. Default: none (large bodies take long).
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// Retry policy. Default [`RetryPolicy::default`]: 3 attempts, 200 ms base, 20 s cap.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// The User-Agent header. Default `oss-append/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// Idle keep-alive connections kept in the pool. Default 32.
    pub fn max_idle_connections(mut self, count: usize) -> Self {
        self.config.max_idle_connections = count;
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration, or the first error a setter met (`build`, in the client's module, makes
    /// the client from it).
    pub(crate) fn into_config(self) -> Result<Config, Error> {
        match self.credentials_error.or(self.ca_error) {
            Some(error) => Err(error),
            None => Ok(self.config),
        }
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
    fn endpoints_with_a_bad_port_credentials_or_query_are_refused() {
        for (endpoint, says) in [
            ("http://127.0.0.1:99999", "out of range"),
            ("http://127.0.0.1:0", "out of range"),
            ("http://user:s3cr3t@127.0.0.1:9000", "user name or password"),
            ("http://user@example.com", "user name or password"),
            ("http://example.com/?x=1", "path or query"),
        ] {
            let err = Endpoint::parse(endpoint).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidArgument { argument: Argument::Endpoint, reason } if reason.contains(says)),
                "{endpoint}: {err}"
            );
            // A password in the URL never reaches the message.
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
        assert_eq!(Endpoint::parse("http://127.0.0.1:65535").unwrap().port, Some(65535));
    }

    #[test]
    fn backoff_cap_doubles_up_to_the_limit() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff_cap(1), Duration::from_millis(400));
        assert_eq!(policy.backoff_cap(3), Duration::from_millis(1600));
        assert_eq!(policy.backoff_cap(40), Duration::from_secs(20));
    }

    fn config() -> Config {
        Config {
            endpoint: "http://127.0.0.1:9000".into(),
            region: Some("cn-hangzhou".into()),
            credentials: Some(Arc::new(Credentials::new("a", "b"))),
            ..Config::default()
        }
    }

    fn refused(config: Config) -> Argument {
        match config.resolve() {
            Err(Error::InvalidArgument { argument, .. }) => argument,
            Err(other) => panic!("refused as {other}"),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn every_setting_is_checked_in_one_place() {
        assert!(config().resolve().is_ok());
        assert_eq!(refused(Config { region: None, ..config() }), Argument::Region);
        assert_eq!(refused(Config { connect_timeout: Duration::ZERO, ..config() }), Argument::ConnectTimeout);
        assert_eq!(refused(Config { read_write_timeout: Duration::ZERO, ..config() }), Argument::ReadWriteTimeout);
        assert_eq!(refused(Config { request_timeout: Some(Duration::ZERO), ..config() }), Argument::RequestTimeout);
        let slow_base = RetryPolicy { base_delay: Duration::from_secs(30), ..RetryPolicy::default() };
        assert_eq!(refused(Config { retry: slow_base, ..config() }), Argument::RetryPolicy);
        let no_attempts = RetryPolicy { max_attempts: 0, ..RetryPolicy::default() };
        assert_eq!(refused(Config { retry: no_attempts, ..config() }), Argument::RetryPolicy);
        assert_eq!(refused(Config { user_agent: "a\r\nb".into(), ..config() }), Argument::UserAgent);
        assert!(matches!(Config { credentials: None, ..config() }.resolve(), Err(Error::Credentials { .. })));
        let empty_secret = Some(Arc::new(Credentials::new("a", "")) as Arc<dyn CredentialsProvider>);
        assert!(matches!(Config { credentials: empty_secret, ..config() }.resolve(), Err(Error::Credentials { .. })));
        let shown = format!(
            "{:?}",
            Config {
                endpoint: "http://user:PASSWORD@127.0.0.1:9000".into(),
                credentials: Some(Arc::new(Credentials::new("a", "SECRET"))),
                ..config()
            }
        );
        assert!(!shown.contains("SECRET") && !shown.contains("PASSWORD"), "{shown}");
        let builder = format!("{:?}", ClientBuilder::default().endpoint("https://u:PASSWORD@host"));
        assert!(!builder.contains("PASSWORD"), "{builder}");
    }

    #[test]
    fn v4_needs_a_region_for_custom_endpoints() {
        let err = ClientBuilder::default()
            .endpoint("http://127.0.0.1:9000")
            .credentials(Credentials::new("a", "b"))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { argument: Argument::Region, .. }), "{err}");
        let client = ClientBuilder::default()
            .endpoint("https://oss-cn-beijing.aliyuncs.com")
            .credentials(Credentials::new("a", "b"))
            .build();
        assert!(client.is_ok());
    }
}
