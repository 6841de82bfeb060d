//! HTTPS: which servers the client trusts, the TLS connection itself, and what its failures mean.
//!
//! The client makes its own TLS connections (rustls) for its HTTP client ([`crate::net::http`]), so that it can:
//! - trust what the platform trusts (rustls-platform-verifier: the OS's verifier on Apple platforms,
//!   Android and Windows, the system store on Linux), with Mozilla's bundled roots as the fallback
//!   where the platform cannot be asked (Android before the app's one-line init);
//! - trust certificate authorities the application gives (a private CA, a corporate proxy's, the
//!   emulator's), in addition to the defaults or instead of them;
//! - tell a certificate its authority does not vouch for from one for another name, an expired one,
//!   or a server that speaks plain HTTP: [`TlsErrorKind`], never retryable, each with the fix.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};

use crate::net::http::HttpError;

use crate::error::{Argument, Error, TlsErrorKind};

/// Which servers a client trusts over HTTPS. The default is the platform's trust store.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trust {
    /// Certificates of authorities to trust (PEM: one or more `BEGIN CERTIFICATE` blocks), for a
    /// private CA, a corporate TLS proxy or the emulator.
    pub ca_pem: Option<Vec<u8>>,
    /// Trust only `ca_pem`, not the platform's store too.
    pub ca_only: bool,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("ca_pem", &self.ca_pem.as_ref().map(|pem| format!("{} bytes", pem.len())))
            .field("ca_only", &self.ca_only)
            .finish()
    }
}

impl Trust {
    /// The platform's trust store (the default).
    pub fn platform() -> Self {
        Self::default()
    }

    /// The platform's trust store and the authorities in `pem`.
    pub fn with_ca_pem(pem: impl Into<Vec<u8>>) -> Self {
        Self { ca_pem: Some(pem.into()), ca_only: false }
    }

    /// Only the authorities in `pem`.
    pub fn only_ca_pem(pem: impl Into<Vec<u8>>) -> Self {
        Self { ca_pem: Some(pem.into()), ca_only: true }
    }

    /// Checks the CA bundle: at least one certificate, each usable as an authority (what `build`
    /// checks too).
    pub fn check(&self) -> Result<(), Error> {
        self.certificates().map(|_| ())
    }

    /// The certificates of `ca_pem`, checked: at least one, all parseable.
    pub(crate) fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, Error> {
        let Some(pem) = &self.ca_pem else { return Ok(Vec::new()) };
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::invalid(Argument::CaBundle, format!("it is not PEM certificates: {e}")))?;
        if certificates.is_empty() {
            return Err(Error::invalid(Argument::CaBundle, "it holds no certificate (no BEGIN CERTIFICATE block)"));
        }
        let mut store = RootCertStore::empty();
        let (_, unusable) = store.add_parsable_certificates(certificates.iter().cloned());
        if unusable > 0 {
            return Err(Error::invalid(
                Argument::CaBundle,
                format!("{unusable} of its {} certificates cannot be used as an authority", certificates.len()),
            ));
        }
        Ok(certificates)
    }
}

/// Set once an Android app has handed the platform verifier its `Context`: until then clients on
/// Android trust Mozilla's bundled roots.
static PLATFORM_READY: AtomicBool = AtomicBool::new(!cfg!(target_os = "android"));

/// Says the platform verifier can be used (Android, after its initialisation).
#[allow(dead_code)]
pub(crate) fn platform_ready() {
    PLATFORM_READY.store(true, Ordering::SeqCst);
}

/// A client's rustls configuration, built at its first TLS connection: a client that never speaks
/// TLS (an `http://` endpoint) does not read the platform's trust store (on Linux, parsing the
/// system's certificates took 2.7 ms of every client's creation), and an Android app's verifier
/// initialised after a client was made still serves that client. A CA bundle is checked when the
/// client is made, and a configuration that trusts only it (no platform store to read) is built then.
#[derive(Clone)]
pub(crate) struct LazyConfig(Arc<(Trust, OnceLock<Arc<ClientConfig>>)>);

impl LazyConfig {
    pub(crate) fn new(trust: &Trust) -> Result<Self, Error> {
        let built = OnceLock::new();
        if trust.ca_only {
            // Built now (it checks the bundle as it goes).
            let _ = built.set(client_config(trust)?);
        } else {
            trust.check()?;
        }
        Ok(Self(Arc::new((trust.clone(), built))))
    }

    /// The configuration, built on the first call.
    pub(crate) fn get(&self) -> Result<Arc<ClientConfig>, Error> {
        let (trust, built) = &*self.0;
        if let Some(config) = built.get() {
            return Ok(config.clone());
        }
        let config = client_config(trust)?;
        Ok(built.get_or_init(|| config).clone())
    }
}

/// Mozilla's roots, bundled: where the platform cannot be asked.
#[cfg(not(target_vendor = "apple"))]
fn add_bundled_roots(roots: &mut RootCertStore) {
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
}

/// Apple platforms carry no bundled roots: their verifier can always be asked (rustls-platform-verifier's
/// `Verifier::new` cannot fail there), so the library never needs them.
#[cfg(target_vendor = "apple")]
fn add_bundled_roots(_roots: &mut RootCertStore) {}

/// The rustls configuration for `trust`.
pub(crate) fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, Error> {
    let provider = super::provider::provider();
    let extra = trust.certificates()?;
    let webpki = |certificates: Vec<CertificateDer<'static>>, bundled: bool| {
        let mut roots = RootCertStore::empty();
        if bundled {
            add_bundled_roots(&mut roots);
        }
        roots.add_parsable_certificates(certificates);
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| Error::invalid(Argument::CaBundle, e.to_string()))
    };
    let verifier: Arc<dyn ServerCertVerifier> = if trust.ca_only {
        webpki(extra, false)?
    } else if !PLATFORM_READY.load(Ordering::SeqCst) {
        webpki(extra, true)?
    } else {
        match platform_verifier(extra.clone(), &provider, |extra| webpki(extra, false)) {
            Ok(verifier) => verifier,
            // No platform store to ask: the bundled roots.
            Err(_) => webpki(extra, true)?,
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Protocol(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The platform's verifier, trusting the application's authorities too: rustls-platform-verifier
/// adds them to the platform's own where the platform allows it (Apple, Windows, Linux and the
/// other Unixes).
#[cfg(not(target_os = "android"))]
fn platform_verifier(
    extra: Vec<CertificateDer<'static>>,
    provider: &Arc<CryptoProvider>,
    _webpki: impl FnOnce(Vec<CertificateDer<'static>>) -> Result<Arc<WebPkiServerVerifier>, Error>,
) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map(|verifier| Arc::new(verifier) as Arc<dyn ServerCertVerifier>)
        .map_err(|e| Error::invalid(Argument::CaBundle, e.to_string()))
}

/// Android's verifier takes no extra roots (rustls-platform-verifier asks the system's trust
/// manager, which an app configures in its network security config): the application's authorities
/// are asked after it, for a certificate the platform does not know.
#[cfg(target_os = "android")]
fn platform_verifier(
    extra: Vec<CertificateDer<'static>>,
    provider: &Arc<CryptoProvider>,
    webpki: impl FnOnce(Vec<CertificateDer<'static>>) -> Result<Arc<WebPkiServerVerifier>, Error>,
) -> Result<Arc<dyn ServerCertVerifier>, Error> {
    let platform = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| Error::invalid(Argument::CaBundle, e.to_string()))?;
    if extra.is_empty() {
        return Ok(Arc::new(platform));
    }
    Ok(Arc::new(EitherVerifier { first: Arc::new(platform), then: webpki(extra)?, provider: provider.clone() }))
}

#[cfg(any(test, target_os = "android"))]
mod either {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::CryptoProvider;
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

    /// The platform's verifier, then the application's authorities for a certificate the platform does
    /// not know (Android only: elsewhere the platform's verifier takes them itself).
    #[derive(Debug)]
    pub(super) struct EitherVerifier {
        pub first: Arc<dyn ServerCertVerifier>,
        pub then: Arc<WebPkiServerVerifier>,
        pub provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for EitherVerifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            self.first.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now).or_else(|first| {
                self.then.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now).map_err(
                    |then| {
                        // The error of the verifier that knows the issuer says what is wrong (a wrong name,
                        // a date); when neither knows it, it is unknown.
                        match first {
                            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => then,
                            first => first,
                        }
                    },
                )
            })
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider.signature_verification_algorithms.supported_schemes()
        }
    }
}
#[cfg(target_os = "android")]
use either::EitherVerifier;

/// TLS over `tcp` with `host`, the handshake done within `budget` (else the `kind` of timeout).
pub(crate) fn handshake(
    config: &LazyConfig,
    host: &str,
    mut tcp: std::net::TcpStream,
    budget: std::time::Duration,
    kind: crate::error::TimeoutKind,
) -> Result<StreamOwned<ClientConnection, std::net::TcpStream>, HttpError> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| HttpError::Tls(failure(host, TlsErrorKind::Other, "not a server name")))?;
    let config = config.get().map_err(|e| HttpError::Tls(failure(host, TlsErrorKind::Other, &e.to_string())))?;
    let mut connection = ClientConnection::new(config, name)
        .map_err(|e| HttpError::Tls(failure(host, TlsErrorKind::Other, &e.to_string())))?;
    tcp.set_read_timeout(Some(budget)).map_err(HttpError::Io)?;
    tcp.set_write_timeout(Some(budget)).map_err(HttpError::Io)?;
    let started = std::time::Instant::now();
    while connection.is_handshaking() {
        match connection.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted && started.elapsed() < budget => {}
            Err(e) => return Err(handshake_failure(host, e, kind)),
        }
    }
    // The connection's own timeouts are set from here on.
    tcp.set_read_timeout(None).map_err(HttpError::Io)?;
    tcp.set_write_timeout(None).map_err(HttpError::Io)?;
    Ok(StreamOwned { conn: connection, sock: tcp })
}

/// A TLS failure, carried to the transport's error mapping.
#[derive(Debug)]
pub(crate) struct TlsFailure {
    pub kind: TlsErrorKind,
    pub host: String,
    pub message: String,
}

impl std::fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TLS with {} failed: {}", self.host, self.message)
    }
}

impl std::error::Error for TlsFailure {}

fn failure(host: &str, kind: TlsErrorKind, message: &str) -> TlsFailure {
    TlsFailure { kind, host: host.to_string(), message: message.to_string() }
}

/// The kind of a failed handshake, from rustls's error inside the I/O error (an I/O error that is
/// not TLS's stays one).
fn handshake_failure(host: &str, error: std::io::Error, timeout: crate::error::TimeoutKind) -> HttpError {
    let Some(tls) = error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) else {
        return match error.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => HttpError::Timeout(timeout),
            _ => HttpError::Io(error),
        };
    };
    use rustls::{CertificateError as C, Error as E, InvalidMessage as M};
    let kind = match tls {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => TlsErrorKind::UnknownIssuer,
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => TlsErrorKind::NameMismatch,
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => TlsErrorKind::Expired,
        // An HTTP response where a TLS record should be ("HTTP/1.1 400 ...").
        E::InvalidMessage(M::InvalidContentType) => TlsErrorKind::PlainHttp,
        _ => TlsErrorKind::Other,
    };
    HttpError::Tls(failure(host, kind, &tls.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_bundle_must_hold_certificates() {
        assert!(Trust::with_ca_pem(b"not pem".to_vec()).certificates().is_err());
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec();
        assert!(Trust::with_ca_pem(broken).certificates().is_err());
        assert!(Trust::platform().certificates().unwrap().is_empty());
        let debug = format!("{:?}", Trust::with_ca_pem(vec![b'x'; 10]));
        assert!(debug.contains("10 bytes"), "{debug}");
    }

    /// Android's combination: the platform's verifier first, then the application's authorities;
    /// the error of the one that knows the issuer is the one reported.
    #[test]
    fn the_application_authorities_are_asked_after_the_platform() {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        use rustls::CertificateError as C;
        use rustls_pki_types::UnixTime;
        use std::sync::atomic::Ordering;

        /// A certificate authority: its certificate and what it signs with.
        struct Authority(CertificateDer<'static>, Issuer<'static, KeyPair>);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let authority = || {
            let mut params = CertificateParams::default();
            let n = made.fetch_add(1, Ordering::SeqCst);
            params.distinguished_name.push(rcgen::DnType::CommonName, format!("test authority {n}"));
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let key = KeyPair::generate().unwrap();
            let certificate = params.clone().self_signed(&key).unwrap();
            Authority(certificate.der().clone(), Issuer::new(params, key))
        };
        let provider = super::super::provider::provider();
        let webpki = |authority: &Authority| {
            let mut roots = RootCertStore::empty();
            roots.add(authority.0.clone()).unwrap();
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap()
        };
        let (platform, application) = (authority(), authority());
        let either =
            either::EitherVerifier { first: webpki(&platform), then: webpki(&application), provider: provider.clone() };
        let verify = |authority: &Authority, host: &str| {
            let params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            let leaf = params.signed_by(&KeyPair::generate().unwrap(), &authority.1).unwrap();
            let name = ServerName::try_from(host.to_string()).unwrap();
            either.verify_server_cert(leaf.der(), &[], &name, &[], UnixTime::now())
        };
        assert!(verify(&platform, "localhost").is_ok());
        assert!(verify(&application, "localhost").is_ok());
        let wrong_name = verify(&application, "example.com").unwrap_err();
        assert!(
            matches!(
                wrong_name,
                rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. })
            ),
            "{wrong_name:?}"
        );
        let unknown = verify(&authority(), "localhost").unwrap_err();
        assert!(matches!(unknown, rustls::Error::InvalidCertificate(C::UnknownIssuer)), "{unknown:?}");
    }

    #[test]
    fn the_default_trust_makes_a_configuration() {
        assert!(client_config(&Trust::platform()).is_ok());
    }

    #[test]
    fn the_platform_store_is_read_at_the_first_tls_connection_and_a_bad_bundle_at_once() {
        let lazy = LazyConfig::new(&Trust::platform()).unwrap();
        assert!(lazy.0 .1.get().is_none(), "built when the client was made");
        let first = lazy.get().unwrap();
        assert!(Arc::ptr_eq(&first, &lazy.get().unwrap()), "built again");
        assert!(Arc::ptr_eq(&first, &lazy.clone().get().unwrap()), "a clone builds its own");
        // What can be wrong is refused when the client is made, as before.
        assert!(LazyConfig::new(&Trust::with_ca_pem(b"not pem".to_vec())).is_err());
        let nothing_to_trust = Trust { ca_pem: None, ca_only: true };
        assert!(LazyConfig::new(&nothing_to_trust).is_err());
    }
}
