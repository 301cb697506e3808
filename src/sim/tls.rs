//! The self-signed certificate the emulator presents (generated at start, like a fresh VB365 install).

use super::SimError;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;

/// A generated certificate and its key.
pub(crate) struct SelfSigned {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    /// The issuing CA, when the certificate is CA-signed.
    pub ca_pem: Option<String>,
    key_der: Vec<u8>,
}

fn names(extra: Option<IpAddr>) -> Vec<String> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    if let Some(ip) = extra
        && !ip.is_unspecified()
        && !ip.is_loopback()
    {
        names.push(ip.to_string());
    }
    names
}

/// A certificate for `localhost`, `127.0.0.1`, `::1` and `extra` (the listen address, when specific).
pub(crate) fn generate(extra: Option<IpAddr>) -> Result<SelfSigned, SimError> {
    let ck = rcgen::generate_simple_self_signed(names(extra)).map_err(|e| SimError::Tls(e.to_string()))?;
    Ok(SelfSigned {
        cert_der: ck.cert.der().to_vec(),
        cert_pem: ck.cert.pem(),
        ca_pem: None,
        key_der: ck.signing_key.serialize_der(),
    })
}

/// A well-formed server certificate (server-auth, SANs) issued by a freshly generated CA.
pub(crate) fn generate_with_ca(extra: Option<IpAddr>) -> Result<SelfSigned, SimError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let e = |e: rcgen::Error| SimError::Tls(e.to_string());
    let ca_key = KeyPair::generate().map_err(e)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "vex emulator test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let issuer = Issuer::from_params(&ca, &ca_key);
    let key = KeyPair::generate().map_err(e)?;
    let mut leaf = CertificateParams::new(names(extra)).map_err(e)?;
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    let cert = leaf.signed_by(&key, &issuer).map_err(e)?;
    Ok(SelfSigned {
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        ca_pem: Some(ca_cert.pem()),
        key_der: key.serialize_der(),
    })
}

/// A rustls server configuration (ring provider, HTTP/1.1 via ALPN).
pub(crate) fn server_config(c: &SelfSigned) -> Result<Arc<rustls::ServerConfig>, SimError> {
    crate::install_crypto_provider();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(c.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key_der.clone())),
        )
        .map_err(|e| SimError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// SHA-256 of a DER certificate: uppercase hex pairs separated by `:`.
pub fn fingerprint(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_and_fingerprint() {
        let c = generate(Some("10.1.2.3".parse().unwrap())).unwrap();
        assert!(c.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let fp = fingerprint(&c.cert_der);
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(
            fp.chars()
                .all(|ch| ch == ':' || ch.is_ascii_digit() || ch.is_ascii_uppercase())
        );
        assert!(server_config(&c).is_ok());
    }
}
