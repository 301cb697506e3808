//! v6/v7/v8 differences, in one place.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    V6,
    V7,
    V8,
}

impl ApiVersion {
    /// Newest first: the order `auto` probes in.
    pub const NEWEST_FIRST: [ApiVersion; 3] = [ApiVersion::V8, ApiVersion::V7, ApiVersion::V6];

    pub fn prefix(self) -> &'static str {
        match self {
            ApiVersion::V6 => "v6",
            ApiVersion::V7 => "v7",
            ApiVersion::V8 => "v8",
        }
    }

    pub fn number(self) -> u8 {
        match self {
            ApiVersion::V6 => 6,
            ApiVersion::V7 => 7,
            ApiVersion::V8 => 8,
        }
    }

    /// Query parameter naming the folder when listing items: v6 `folderId`, v7+ `parentId`.
    pub fn items_folder_param(self) -> &'static str {
        match self {
            ApiVersion::V6 => "folderId",
            _ => "parentId",
        }
    }

    /// v6/v7 return a bare array from GET Organizations; v8 a page.
    pub fn organizations_paged(self) -> bool {
        self == ApiVersion::V8
    }

    /// v8 restores answer `{sessionId}` at once and run asynchronously.
    pub fn async_restore(self) -> bool {
        self == ApiVersion::V8
    }

    /// `POST token/logout` exists from v7 on.
    pub fn has_logout(self) -> bool {
        self != ApiVersion::V6
    }

    /// v7/v8 need `disable_antiforgery_token=true` for refresh to work.
    pub fn wants_antiforgery_flag(self) -> bool {
        self != ApiVersion::V6
    }

    /// `GET RestorePoints` answers a page (with `offset`, `limit`, `from`, `to`, `orderAsc`) from v7 on; v6
    /// a bare array.
    pub fn restore_points_paged(self) -> bool {
        self != ApiVersion::V6
    }

    /// v8 can order restore sessions (orderBy, orderAsc).
    pub fn can_order_sessions(self) -> bool {
        self == ApiVersion::V8
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// What the operator asked for: a fixed version or `auto` (probe, newest served wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VersionChoice {
    #[default]
    Auto,
    Fixed(ApiVersion),
}

impl FromStr for VersionChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(VersionChoice::Auto),
            "v6" | "6" => Ok(VersionChoice::Fixed(ApiVersion::V6)),
            "v7" | "7" => Ok(VersionChoice::Fixed(ApiVersion::V7)),
            "v8" | "8" => Ok(VersionChoice::Fixed(ApiVersion::V8)),
            other => Err(format!("unknown API version {other:?}: use auto, v6, v7 or v8")),
        }
    }
}

impl fmt::Display for VersionChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionChoice::Auto => f.write_str("auto"),
            VersionChoice::Fixed(v) => v.fmt(f),
        }
    }
}
