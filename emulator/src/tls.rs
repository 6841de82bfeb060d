//! HTTPS for the emulator: a certificate and key given as PEM, or a certificate authority made at
//! start whose certificate the client is given to trust.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate authority that issues server certificates (for tests and the emulator's
/// `--tls-generate`).
pub struct Authority {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// A server certificate (with its authority's after it) and its private key, as PEM.
#[derive(Clone)]
pub struct Issued {
    /// The certificate chain: the server's certificate, then the authority's.
    pub chain_pem: String,
    /// The server's private key.
    pub key_pem: String,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("chain_pem", &self.chain_pem).finish_non_exhaustive()
    }
}

impl Authority {
    /// A new authority, "oss-emulator test CA", valid from yesterday for ten years.
    pub fn new() -> Result<Self, String> {
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "oss-emulator test CA");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        let key = KeyPair::generate().map_err(|e| e.to_string())?;
        let pem = params.clone().self_signed(&key).map_err(|e| e.to_string())?.pem();
        Ok(Self { params, key, pem })
    }

    /// The authority's certificate, PEM: what a client is given to trust.
    pub fn certificate_pem(&self) -> &str {
        &self.pem
    }

    /// A server certificate for `names` (DNS names or IP addresses), valid from yesterday for a year.
    pub fn issue(&self, names: &[&str]) -> Result<Issued, String> {
        let now = time::OffsetDateTime::now_utc();
        self.issue_valid(names, now - time::Duration::days(1), now + time::Duration::days(365))
    }

    /// A server certificate for `names`, valid between `not_before` and `not_after` (an expired one
    /// for tests).
    pub fn issue_valid(
        &self,
        names: &[&str],
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Result<Issued, String> {
        let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, names.first().copied().unwrap_or("oss-emulator"));
        params.distinguished_name = name;
        params.not_before = not_before;
        params.not_after = not_after;
        let key = KeyPair::generate().map_err(|e| e.to_string())?;
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let certificate = params.signed_by(&key, &issuer).map_err(|e| e.to_string())?;
        Ok(Issued { chain_pem: format!("{}{}", certificate.pem(), self.pem), key_pem: key.serialize_pem() })
    }
}

/// The names the emulator's generated certificate is for.
pub const LOCAL_NAMES: &[&str] = &["localhost", "*.localhost", "127.0.0.1", "::1"];

/// The rustls server configuration for a PEM chain and key.
pub(crate) fn server_config(chain_pem: &[u8], key_pem: &[u8]) -> std::io::Result<Arc<rustls::ServerConfig>> {
    let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("the TLS certificate is not PEM: {e}")))?;
    if chain.is_empty() {
        return Err(invalid("the TLS certificate file holds no certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| invalid(format!("the TLS key is not a PEM private key: {e}")))?;
    // The library's own provider: rustls's ready-made ring provider is deprecated.
    let provider = oss_append::rustls_crypto_provider();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid(format!("the TLS certificate and key do not go together: {e}")))?;
    Ok(Arc::new(config))
}
