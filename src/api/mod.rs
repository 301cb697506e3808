//! The VB365 REST client: no UI types, usable alone (the scripting subcommands use it).
//!
//! - `auth`: tokens, refresh ahead of expiry, logout
//! - `client`: requests, errors, retry policy, browsing calls
//! - `body`: reading answers under limits (stall timeout, size, rows, string length, nesting)
//! - `folder_path`: an item's folder path, walked up through the folders' parent links
//! - `paging`: pages by offset, counting a collection without listing it
//! - `scan`: one pass that finds a row of a listing and checks it (the fast path of `body` and `stream`)
//! - `stream`: a folder's items read as streams, the next page fetched ahead (`vex items`)
//! - `points`: restore points of an organization, the names of their jobs and repositories
//! - `bulk`: several whole mailboxes to their original location in one request (`mailboxes/restore`)
//! - `restore`: restoreTo / restore / export / save / send, one `RestoreOutcome` for v6/v7 and v8
//! - `tls`: system trust, CA file, pinning, trust on first use
//! - `version`: v6/v7/v8 differences in one place

pub mod body;
pub mod bulk;
pub mod client;
pub mod error;
pub mod folder_path;
pub mod models;
pub mod paging;
pub mod points;
pub mod restore;
pub mod scan;
pub mod stream;
pub mod tls;
pub mod tokens;
pub mod version;

pub use body::BodyLimits;
pub use client::{
    BodyGate, Client, ClientConfig, FolderParent, PasswordSource, RetryNotice, RetryPolicy, SearchScope, SessionOrder,
    Timeouts,
};
pub use error::ApiError;
pub use restore::{DownloadProgress, RestoreHooks, RestoreProgress, RestoreScope};
pub use tls::Trust;
pub use version::{ApiVersion, VersionChoice};
