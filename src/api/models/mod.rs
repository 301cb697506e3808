//! Wire types of the VB365 REST API (v6, v7, v8), named after the spec's schemas.
//!
//! Input is lenient (numbers and booleans as strings, nulls, unknown enum values, unknown fields are kept);
//! output uses real JSON types. The emulator serialises these same types, and the spec-conformance test
//! validates what it emits against the official schemas, so a wrong shape cannot go unnoticed.

pub mod bulk;
pub mod item;
pub mod lenient;
pub mod points;
pub mod restore;

pub use bulk::*;
pub use item::*;
pub use lenient::ApiDate;
pub use points::*;
pub use restore::*;

use lenient::{opt_bool, opt_date, opt_i64, opt_string};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A HAL link (`RESTLinkHAL`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Link {
    #[serde(default)]
    pub href: String,
}

/// `_links`: name → link.
pub type Links = BTreeMap<String, Link>;

fn links_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Links, D::Error> {
    // Be forgiving: a malformed `_links` never costs the resource itself.
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

/// The page envelope (`PageOf...`): stop when `results.len() < limit`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize"))]
pub struct Page<T> {
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub offset: i64,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub limit: i64,
    #[serde(
        rename = "setId",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string"
    )]
    pub set_id: Option<String>,
    /// Required and a list: a body without it, or with `results: null`, is no page (e.g. an error sent
    /// with status 200) and must not read as an empty folder.
    pub results: Vec<T>,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
    /// v6/v7 only, nullable.
    #[serde(
        rename = "totalCount",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_i64"
    )]
    pub total_count: Option<i64>,
}

/// `RESTExceptionInfo`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExceptionInfo {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(
        rename = "errorCode",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
}

/// OAuth-style error on `/token` (`{"error","error_description"}`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OAuthError {
    #[serde(default, deserialize_with = "opt_string")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub error_description: Option<String>,
}

/// `OAuthTokenResponse`. Holds secrets: `Debug` is redacted by hand.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default = "bearer")]
    pub token_type: String,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub expires_in: i64,
    #[serde(
        rename = "userName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_name: Option<String>,
    #[serde(
        rename = ".issued",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub issued: Option<String>,
    #[serde(
        rename = ".expires",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires: Option<String>,
}

fn bearer() -> String {
    "bearer".into()
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field("expires_in", &self.expires_in)
            .field("user_name", &self.user_name)
            .finish()
    }
}

/// `RESTServiceInstance`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ServiceInstance {
    #[serde(
        rename = "installationId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub installation_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

crate::string_enum!(
    /// `RESTRestoreSession.type` / explore type.
    SessionType { Vex = "Vex", Veod = "Veod", Vesp = "Vesp", Vet = "Vet" }
);
crate::string_enum!(
    /// `RESTRestoreSession.state`.
    SessionState { Working = "Working", Stopped = "Stopped" }
);
crate::string_enum!(
    /// `RESTRestoreSession.result`.
    SessionResult { Success = "Success", Warning = "Warning", Failed = "Failed" }
);
crate::string_enum!(
    /// `RESTRestoreSessionEvent.type`.
    EventType { None = "None", Save = "Save", Export = "Export", Send = "Send", Restore = "Restore", View = "View" }
);
crate::string_enum!(
    /// `RESTRestoreSessionEvent.status`.
    EventStatus {
        Running = "Running", Success = "Success", Warning = "Warning", Failed = "Failed",
        Cancelled = "Cancelled", Skipped = "Skipped"
    }
);
crate::string_enum!(
    /// `RESTExchangeFolder.type`.
    FolderType {
        Journal = "Journal", Task = "Task", StickyNote = "StickyNote", Contact = "Contact",
        Appointment = "Appointment", None = "None"
    }
);
crate::string_enum!(
    /// `officeRegion`.
    OfficeRegion {
        Worldwide = "Worldwide", Germany = "Germany", China = "China", USDefence = "USDefence",
        USGovernment = "USGovernment"
    }
);

/// `RestOrganizationComposed` (the fields vex uses; the rest is kept in `extra`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Organization {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        rename = "officeName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub office_name: Option<String>,
    #[serde(
        rename = "type",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub org_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(
        rename = "isBackedup",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_backedup: Option<bool>,
    #[serde(
        rename = "isExchangeOnline",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_exchange_online: Option<bool>,
    #[serde(
        rename = "firstBackuptime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_backup_time: Option<ApiDate>,
    #[serde(
        rename = "lastBackuptime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_backup_time: Option<ApiDate>,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `RESTExploreOptions` (v6/v7) / `RESTOrganizationExploreOptions` (v8).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExploreOptions {
    #[serde(
        rename = "dateTime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub date_time: Option<ApiDate>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub session_type: Option<SessionType>,
    #[serde(
        rename = "showDeleted",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub show_deleted: Option<bool>,
    #[serde(
        rename = "showAllVersions",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub show_all_versions: Option<bool>,
    /// v8 only.
    #[serde(
        rename = "repositoryId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub repository_id: Option<String>,
}

/// `RESTRestoreSession`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RestoreSession {
    pub id: String,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(rename = "type", default = "default_session_type")]
    pub session_type: SessionType,
    #[serde(
        rename = "creationTime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_time: Option<ApiDate>,
    #[serde(rename = "endTime", default, deserialize_with = "opt_date")]
    pub end_time: Option<ApiDate>,
    #[serde(default = "default_state")]
    pub state: SessionState,
    #[serde(default = "default_result")]
    pub result: SessionResult,
    #[serde(
        rename = "initiatedBy",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub initiated_by: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(
        rename = "scopeName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub scope_name: Option<String>,
    #[serde(
        rename = "clientHost",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_host: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// v8 only.
    #[serde(
        rename = "eTag",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub etag: Option<i64>,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
}

fn default_session_type() -> SessionType {
    SessionType::Other(String::new())
}
fn default_state() -> SessionState {
    SessionState::Other(String::new())
}
fn default_result() -> SessionResult {
    SessionResult::Other(String::new())
}

/// `RESTRestoreSessionEvent`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionEvent {
    pub id: String,
    #[serde(
        rename = "itemName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_name: Option<String>,
    #[serde(
        rename = "itemType",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_type: Option<String>,
    #[serde(
        rename = "itemSizeBytes",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_size_bytes: Option<i64>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    #[serde(default = "default_event_status")]
    pub status: EventStatus,
    #[serde(
        rename = "startTime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<ApiDate>,
    #[serde(rename = "endTime", default, deserialize_with = "opt_date")]
    pub end_time: Option<ApiDate>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub order: i64,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
}

fn default_event_status() -> EventStatus {
    EventStatus::Other(String::new())
}

/// `RESTExchangeMailbox`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mailbox {
    pub id: String,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(rename = "isArchive", default, deserialize_with = "lenient::bool_or_false")]
    pub is_archive: bool,
    #[serde(rename = "isPublic", default, deserialize_with = "lenient::bool_or_false")]
    pub is_public: bool,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
}

/// `RESTExchangeFolder`. Folders carry no parent id and no item count.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Folder {
    pub id: String,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub folder_type: Option<FolderType>,
    /// `Inbox`, `Sent`, `Deleted`, ... (many values; kept as text).
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// v8 only.
    #[serde(
        rename = "mailboxId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub mailbox_id: Option<String>,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
}

/// `RESTDeviceCodeRequestOptions`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DeviceCodeRequest {
    #[serde(
        rename = "targetApplicationId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_application_id: Option<String>,
    #[serde(rename = "targetRegion", default, skip_serializing_if = "Option::is_none")]
    pub target_region: Option<OfficeRegion>,
    #[serde(
        rename = "targetOrganizationName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub target_organization_name: Option<String>,
}

/// `RESTDeviceCodeResponse`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DeviceCode {
    #[serde(
        rename = "userCode",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_code: Option<String>,
    #[serde(
        rename = "verificationUrl",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub verification_url: Option<String>,
    #[serde(
        rename = "expiresIn",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `RESTExchangeItemStringId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemId {
    pub id: String,
}

/// `RESTSearchOptions`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SearchOptions {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}
