//! One error type for the client. Messages never contain secrets (no tokens, passwords or bodies of
//! requests), and name what the operator can do about the problem.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ApiError {
    /// The server could not be reached or the connection broke (a GET may be retried).
    #[error("network error: {0}")]
    Network(String),
    /// The request took longer than its timeout.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The TLS handshake failed (untrusted or changed certificate, pin mismatch, ...).
    #[error("TLS error: {0}")]
    Tls(String),
    /// Login refused (wrong user or password, revoked refresh token, expired session).
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The server answered with an error status and (usually) a RESTExceptionInfo message.
    #[error("server error {status}: {message}")]
    Http {
        status: u16,
        message: String,
        error_code: Option<String>,
    },
    /// The server answered 2xx, but the body is not what the API promises.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// A write was sent but its answer was lost: the server may or may not have applied it.
    /// It is never resent automatically; look at the session's events.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// No API version this client speaks is served at that URL.
    #[error("no supported API version (v6, v7, v8) is served at {0}")]
    NoSupportedVersion(String),
    /// The request was cancelled locally.
    #[error("cancelled")]
    Cancelled,
    /// Bad local input (URL, certificate file, ...).
    #[error("{0}")]
    Config(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Transient failures worth retrying for idempotent requests.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) | ApiError::Timeout(_) => true,
            ApiError::Http { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Maps a reqwest error to an ApiError, dropping the URL's query (never secret, but noisy) and
/// keeping the cause chain, which is where rustls puts the certificate reason.
pub(crate) fn from_reqwest(e: reqwest::Error) -> ApiError {
    let is_timeout = e.is_timeout();
    let is_decode = e.is_decode();
    let mut causes = Vec::new();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        causes.push(s.to_string());
        src = s.source();
    }
    let mut msg = e.without_url().to_string();
    let mut tls = false;
    for t in causes {
        if t.contains("certificate") || t.contains("Certificate") || t.contains("tls") || t.contains("TLS") {
            tls = true;
        }
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
    }
    if is_timeout {
        ApiError::Timeout(msg)
    } else if tls {
        ApiError::Tls(msg)
    } else if is_decode {
        ApiError::Decode(msg)
    } else {
        ApiError::Network(msg)
    }
}
