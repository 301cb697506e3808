//! TLS trust: the system store (default), an extra CA file, a pinned end-entity certificate, or
//! (loudly) no verification at all.
//!
//! Pinning compares the SHA-256 of the server's end-entity certificate with the pin and still verifies
//! the handshake signature, so the server proves it holds the certificate's key. It works for appliance
//! certificates that rustls rejects as roots (CA:TRUE used as an end entity, no SAN).

use super::error::ApiError;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// How the server's certificate is trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Trust {
    /// The operating system's trust store.
    #[default]
    System,
    /// The system store plus the CA certificates in this PEM.
    CaPem(Vec<u8>),
    /// Exactly this end-entity certificate (SHA-256 of its DER).
    Pin([u8; 32]),
    /// No verification at all (`--insecure`).
    Insecure,
}

/// SHA-256 of a DER certificate.
pub fn sha256(der: &[u8]) -> [u8; 32] {
    Sha256::digest(der).into()
}

/// `AB:CD:...` (uppercase, colon separated), the form operators compare by eye.
pub fn fingerprint_hex(fp: &[u8; 32]) -> String {
    fp.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Parses a SHA-256 fingerprint given with or without colons/spaces, any case, optional `sha256:` prefix.
pub fn parse_fingerprint(s: &str) -> Result<[u8; 32], ApiError> {
    let t = s.trim();
    let t = t
        .strip_prefix("sha256:")
        .or_else(|| t.strip_prefix("SHA256:"))
        .unwrap_or(t);
    let hex: String = t.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::Config(
            "a SHA-256 pin is 64 hex digits (colons allowed), e.g. AB:CD:...".into(),
        ));
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16)
            .map_err(|_| ApiError::Config("invalid hex in fingerprint".into()))?;
    }
    Ok(out)
}

fn provider() -> Arc<CryptoProvider> {
    crate::install_crypto_provider();
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// What a custom verifier does with the end-entity certificate. Handshake signatures are verified the
/// same way in both modes, so the server always proves it holds the certificate's key.
#[derive(Debug)]
enum Check {
    /// Accept exactly this certificate (SHA-256 of its DER).
    Pin([u8; 32]),
    /// Accept any certificate and remember it (only for [`probe_certificate`], whose connection carries
    /// no credentials and no data).
    Record(Mutex<Option<Vec<u8>>>),
}

#[derive(Debug)]
struct Verifier {
    check: Check,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.check {
            Check::Pin(pin) => {
                let got = sha256(end_entity.as_ref());
                if got == *pin {
                    Ok(ServerCertVerified::assertion())
                } else {
                    Err(rustls::Error::General(format!(
                        "certificate fingerprint {} does not match the pinned {}",
                        fingerprint_hex(&got),
                        fingerprint_hex(pin)
                    )))
                }
            }
            Check::Record(seen) => {
                if let Ok(mut s) = seen.lock() {
                    *s = Some(end_entity.as_ref().to_vec());
                }
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn custom_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<rustls::ClientConfig, ApiError> {
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::Config(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(cfg)
}

/// A client for a plain `http://` server: it never makes a TLS handshake (every request goes to the
/// base URL and redirects are never followed: [`super::client::Client::new`]), so it gets a TLS set-up
/// that trusts nothing instead of the system's, whose certificates are read from disk when the client is
/// built (a few milliseconds of every `vex` command's start, issue 17). Should a request ever reach an
/// `https://` URL, its handshake fails: no certificate verifies.
pub fn plain_http(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, ApiError> {
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::Config(format!("TLS setup: {e}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(cfg))
}

/// Applies a trust mode to a reqwest client builder.
pub fn apply(builder: reqwest::ClientBuilder, trust: &Trust) -> Result<reqwest::ClientBuilder, ApiError> {
    crate::install_crypto_provider();
    Ok(match trust {
        Trust::System => builder,
        Trust::CaPem(pem) => {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ApiError::Config(format!("CA file is not a readable PEM certificate bundle: {e}")))?;
            if certs.is_empty() {
                return Err(ApiError::Config("CA file holds no PEM certificate".into()));
            }
            builder.tls_certs_merge(certs)
        }
        Trust::Pin(pin) => {
            let cfg = custom_config(Arc::new(Verifier {
                check: Check::Pin(*pin),
                provider: provider(),
            }))?;
            builder.tls_backend_preconfigured(cfg)
        }
        Trust::Insecure => builder.tls_danger_accept_invalid_certs(true),
    })
}

/// What a server presented, for trust-on-first-use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentedCert {
    pub der: Vec<u8>,
    pub sha256: [u8; 32],
}

/// Connects once without verifying, to read the certificate the server presents (TOFU). Sends one
/// anonymous GET of the URL given and nothing else.
pub async fn probe_certificate(url: &str) -> Result<PresentedCert, ApiError> {
    let rec = Arc::new(Verifier {
        check: Check::Record(Mutex::new(None)),
        provider: provider(),
    });
    let cfg = custom_config(rec.clone())?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        // The probe reads only the certificate; a redirect is an answer like any other, never followed.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(super::error::from_reqwest)?;
    // Any answer (even an error status) means the handshake happened.
    let _ = client.get(url).send().await.map_err(super::error::from_reqwest)?;
    let seen = match &rec.check {
        Check::Record(seen) => seen.lock().ok().and_then(|s| s.clone()),
        Check::Pin(_) => None,
    };
    let der = seen.ok_or_else(|| ApiError::Tls("the server presented no certificate".into()))?;
    let sha256 = sha256(&der);
    Ok(PresentedCert { der, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_common_forms() {
        let fp = [0xABu8; 32];
        let hex = fingerprint_hex(&fp);
        assert_eq!(parse_fingerprint(&hex).unwrap(), fp);
        assert_eq!(parse_fingerprint(&hex.replace(':', "").to_lowercase()).unwrap(), fp);
        assert_eq!(parse_fingerprint(&format!("sha256:{hex}")).unwrap(), fp);
        assert!(parse_fingerprint("abcd").is_err());
    }
}
