//! Tokens: kept as secrets, refreshed ahead of expiry, rotated on refresh.

use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};

/// The current login. `Debug` shows no token.
pub struct Tokens {
    pub access: SecretString,
    pub refresh: SecretString,
    pub expires_at: Instant,
    pub lifetime: Duration,
    pub user_name: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &"[REDACTED]")
            .field("refresh", &"[REDACTED]")
            .field("lifetime", &self.lifetime)
            .field("user_name", &self.user_name)
            .finish()
    }
}

impl Tokens {
    pub fn from_response(r: crate::api::models::TokenResponse) -> Tokens {
        // Trust expires_in (the server's lifetime is configurable); a missing or silly value gets 60 s.
        let secs = if r.expires_in > 0 { r.expires_in as u64 } else { 60 };
        let lifetime = Duration::from_secs(secs);
        Tokens {
            access: SecretString::from(r.access_token),
            refresh: SecretString::from(r.refresh_token),
            expires_at: Instant::now() + lifetime,
            lifetime,
            user_name: r.user_name,
        }
    }

    /// Refresh when less than a fifth of the lifetime (at most 60 s) is left.
    pub fn needs_refresh(&self, now: Instant) -> bool {
        let margin = (self.lifetime / 5).min(Duration::from_secs(60));
        now + margin >= self.expires_at
    }

    pub fn same_access(&self, other: &SecretString) -> bool {
        self.access.expose_secret() == other.expose_secret()
    }
}
