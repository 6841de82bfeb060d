//! The cryptography under TLS: which rustls `CryptoProvider` the client's connections use.
//!
//! The shipped choice is *ring* (README, "Size": aws-lc-rs makes the mobile library 0.56 to 0.74 MiB larger per ABI).
//! rustls 0.23.48 deprecated its ready-made ring provider (`rustls::crypto::ring::default_provider`)
//! because ring has no post-quantum key exchange; the parts it is made of — cipher suites, key
//! exchange groups, signing keys — are not deprecated, and the provider is put together from them
//! here, with webpki's ring signature algorithms mapped to TLS signature schemes as rustls maps them.
//! With the `aws-lc-rs` feature the client uses rustls's aws-lc-rs provider instead, which prefers
//! the post-quantum hybrid X25519MLKEM768.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

/// The provider every TLS connection of the library is made with.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "aws-lc-rs")]
    return Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    #[cfg(not(feature = "aws-lc-rs"))]
    Arc::new(ring::provider())
}

#[cfg(not(feature = "aws-lc-rs"))]
mod ring {
    use std::sync::Arc;

    use rustls::crypto::ring as parts;
    use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::sign::SigningKey;
    use rustls::SignatureScheme;
    use webpki::ring as algs;

    pub(super) fn provider() -> CryptoProvider {
        CryptoProvider {
            cipher_suites: parts::DEFAULT_CIPHER_SUITES.to_vec(),
            kx_groups: parts::DEFAULT_KX_GROUPS.to_vec(),
            signature_verification_algorithms: SIGNATURE_ALGORITHMS,
            secure_random: &Ring,
            key_provider: &Ring,
        }
    }

    /// Random bytes from the system, through ring; private keys through rustls's ring signers (the
    /// client never authenticates itself with one, but a provider has to say how).
    #[derive(Debug)]
    struct Ring;

    impl SecureRandom for Ring {
        fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
            use ::ring::rand::SecureRandom as _;
            ::ring::rand::SystemRandom::new().fill(buf).map_err(|_| GetRandomFailed)
        }
    }

    impl KeyProvider for Ring {
        fn load_private_key(&self, key_der: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, rustls::Error> {
            parts::sign::any_supported_type(&key_der)
        }
    }

    /// The signatures a server's certificate chain and handshake may carry. For TLS 1.2 an ECDSA
    /// scheme does not fix the curve, so each names both.
    static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
        all: &[
            algs::ECDSA_P256_SHA256,
            algs::ECDSA_P256_SHA384,
            algs::ECDSA_P384_SHA256,
            algs::ECDSA_P384_SHA384,
            algs::ED25519,
            algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            algs::RSA_PKCS1_2048_8192_SHA256,
            algs::RSA_PKCS1_2048_8192_SHA384,
            algs::RSA_PKCS1_2048_8192_SHA512,
            algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            (SignatureScheme::ECDSA_NISTP384_SHA384, &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384]),
            (SignatureScheme::ECDSA_NISTP256_SHA256, &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256]),
            (SignatureScheme::ED25519, &[algs::ED25519]),
            (SignatureScheme::RSA_PSS_SHA512, &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY]),
            (SignatureScheme::RSA_PSS_SHA384, &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY]),
            (SignatureScheme::RSA_PSS_SHA256, &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY]),
            (SignatureScheme::RSA_PKCS1_SHA512, &[algs::RSA_PKCS1_2048_8192_SHA512]),
            (SignatureScheme::RSA_PKCS1_SHA384, &[algs::RSA_PKCS1_2048_8192_SHA384]),
            (SignatureScheme::RSA_PKCS1_SHA256, &[algs::RSA_PKCS1_2048_8192_SHA256]),
        ],
    };
}

#[cfg(test)]
mod tests {
    use rustls::{CipherSuite, NamedGroup, SignatureScheme};

    use super::*;

    /// TLS 1.3 and 1.2 suites, the usual groups and every signature scheme a server may use: the
    /// provider is complete (a missing scheme would fail handshakes with some servers only).
    #[test]
    fn the_provider_offers_what_servers_use() {
        let provider = provider();
        let suites: Vec<CipherSuite> = provider.cipher_suites.iter().map(|s| s.suite()).collect();
        for suite in [
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_AES_256_GCM_SHA384,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ] {
            assert!(suites.contains(&suite), "{suite:?} missing from {suites:?}");
        }
        let groups: Vec<NamedGroup> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert!(groups.contains(&NamedGroup::X25519) && groups.contains(&NamedGroup::secp256r1), "{groups:?}");
        let schemes = provider.signature_verification_algorithms.supported_schemes();
        for scheme in [
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ED25519,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
        ] {
            assert!(schemes.contains(&scheme), "{scheme:?} missing from {schemes:?}");
        }
        let mut random = [0u8; 32];
        provider.secure_random.fill(&mut random).unwrap();
        assert_ne!(random, [0u8; 32]);
    }

    #[cfg(feature = "aws-lc-rs")]
    #[test]
    fn with_aws_lc_rs_the_post_quantum_hybrid_comes_first() {
        let groups: Vec<NamedGroup> = provider().kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(groups.first(), Some(&NamedGroup::X25519MLKEM768), "{groups:?}");
    }
}
