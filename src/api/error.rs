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
    /// The server answered with a redirect. vex never follows one: a redirect would carry the password
    /// form or a restore body (with its credentials) to wherever it points, even from HTTPS to plain HTTP.
    #[error("the server redirected ({status}) to {location}; vex does not follow redirects (check the server URL)")]
    Redirect { status: u16, location: String },
    /// The answer broke one of vex's limits (size, rows, nesting): refused, not retried.
    #[error("refused the answer: {0}")]
    Limit(String),
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

    /// A 2xx answer that could not be read (cut short, not JSON, required fields missing): on a read, worth
    /// retrying like a 5xx.
    pub fn is_damaged(&self) -> bool {
        matches!(self, ApiError::Decode(_))
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Maps a reqwest error to an ApiError, dropping the URL's query (never secret, but noisy) and
/// keeping the cause chain, which is where rustls puts the certificate reason.
///
/// vex decodes JSON itself, so a reqwest "body" or "decode" error is always the transport failing while
/// the body was read (a connection dropped mid-answer, fewer bytes than `Content-Length`): that is a
/// [`ApiError::Network`] error (transient), never a [`ApiError::Decode`] one.
pub(crate) fn from_reqwest(e: reqwest::Error) -> ApiError {
    let is_timeout = e.is_timeout();
    let is_body = e.is_decode() || e.is_body();
    let mut causes = Vec::new();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        causes.push(s.to_string());
        src = s.source();
    }
    let mut msg = e.without_url().to_string();
    let mut tls = false;
    for t in causes {
        // A TLS connection that ends without close_notify is a dropped connection, not a trust problem.
        let dropped = t.contains("close_notify");
        if !dropped
            && (t.contains("certificate") || t.contains("Certificate") || t.contains("tls") || t.contains("TLS"))
        {
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
    } else if is_body {
        ApiError::Network(format!("the answer broke off: {msg}"))
    } else {
        ApiError::Network(msg)
    }
}

/// A server-provided message made safe to show in one line of a terminal: control characters (C0, DEL,
/// C1: escape sequences, bells, carriage returns) and bidirectional overrides become `\u{FFFD}`,
/// line breaks and tabs become spaces, and anything beyond `max` characters is cut with an ellipsis.
/// Error messages carry server text into logs, stderr and the TUI: a hostile server must not be able to
/// move the cursor, retitle the window or write the clipboard through them.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push(match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() || is_bidi_control(c) => '\u{FFFD}',
            c => c,
        });
    }
    out
}

/// Characters that reorder text when displayed (embeddings, overrides, isolates, marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The longest server message kept in an error.
pub(crate) const MAX_MESSAGE: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_defuses_terminal_controls() {
        let hostile = "a\x1b[2J\x1b]52;c;ZXZpbA==\x07b\u{9b}31m\u{202e}txt.exe\r\nnext\u{85}";
        let safe = one_line(hostile, 100);
        assert!(!safe.chars().any(|c| c.is_control() || is_bidi_control(c)), "{safe:?}");
        assert!(safe.starts_with("a\u{FFFD}[2J"));
        assert!(safe.contains("next"));
        assert_eq!(one_line(&"x".repeat(1_000_000), 10), format!("{}…", "x".repeat(10)));
        assert_eq!(one_line("Zoë 山田 🎉", 100), "Zoë 山田 🎉");
    }
}
