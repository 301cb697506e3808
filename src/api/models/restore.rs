//! Restore, export, save and send payloads and results.

use super::lenient::{i64_or_zero, opt_bool, opt_i64, opt_string, vec_or_empty};
use super::{ApiDate, ItemId, OfficeRegion, SessionResult};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

fn ser_secret<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.serialize_str(x.expose_secret()),
        None => s.serialize_none(),
    }
}

/// The credential fields shared by every restore body. Secrets are `SecretString`: redacted in `Debug`,
/// zeroized on drop, exposed only while the request body is serialised.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RestoreCredentials {
    #[serde(
        rename = "userName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_name: Option<String>,
    #[serde(
        rename = "userPassword",
        default,
        serialize_with = "ser_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_password: Option<SecretString>,
    #[serde(
        rename = "userCode",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_code: Option<String>,
    #[serde(
        rename = "applicationId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_id: Option<String>,
    /// Base64 of the PFX.
    #[serde(
        rename = "applicationCertificate",
        default,
        serialize_with = "ser_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_certificate: Option<SecretString>,
    #[serde(
        rename = "applicationCertificatePassword",
        default,
        serialize_with = "ser_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_certificate_password: Option<SecretString>,
    #[serde(
        rename = "impersonationAccountName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub impersonation_account_name: Option<String>,
}

/// Which credential set a body carries, if exactly one is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialMode {
    Password,
    DeviceCode,
    Application,
}

impl RestoreCredentials {
    /// The complete credential set, or a message naming what is missing.
    pub fn mode(&self) -> Result<CredentialMode, String> {
        let nonempty = |s: &Option<String>| s.as_deref().is_some_and(|x| !x.trim().is_empty());
        let secret = |s: &Option<SecretString>| s.as_ref().is_some_and(|x| !x.expose_secret().is_empty());
        if nonempty(&self.user_code) {
            return Ok(CredentialMode::DeviceCode);
        }
        if nonempty(&self.application_id) || secret(&self.application_certificate) {
            if !nonempty(&self.application_id) {
                return Err("applicationId is required with an application certificate".into());
            }
            if !secret(&self.application_certificate) {
                return Err("applicationCertificate is required with applicationId".into());
            }
            if !nonempty(&self.impersonation_account_name) {
                return Err("impersonationAccountName is required with an application certificate".into());
            }
            return Ok(CredentialMode::Application);
        }
        if nonempty(&self.user_name) || secret(&self.user_password) {
            if !nonempty(&self.user_name) {
                return Err("userName is required with userPassword".into());
            }
            if !secret(&self.user_password) {
                return Err("userPassword is required with userName".into());
            }
            return Ok(CredentialMode::Password);
        }
        Err("no credentials: give userName and userPassword, a userCode, or an application id and certificate".into())
    }
}

/// `RESTRestoreToDifferentLocationSelectedItems` (items) and `RESTRestoreToDifferentLocation`
/// (folder, mailbox: `items` absent).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RestoreToRequest {
    #[serde(
        rename = "changedItems",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub changed_items: Option<bool>,
    #[serde(
        rename = "deletedItems",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_items: Option<bool>,
    #[serde(
        rename = "markRestoredAsUnread",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub mark_restored_as_unread: Option<bool>,
    #[serde(
        rename = "excludeDrafts",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub exclude_drafts: Option<bool>,
    #[serde(
        rename = "excludeDeletedItems",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub exclude_deleted_items: Option<bool>,
    #[serde(
        rename = "excludeInPlaceHoldItems",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub exclude_in_place_hold_items: Option<bool>,
    #[serde(
        rename = "excludeLitigationHoldItems",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub exclude_litigation_hold_items: Option<bool>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    #[serde(
        rename = "casServer",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cas_server: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    #[serde(rename = "officeRegion", default, skip_serializing_if = "Option::is_none")]
    pub office_region: Option<OfficeRegion>,
    #[serde(
        rename = "officeOrganizationName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub office_organization_name: Option<String>,
    #[serde(flatten)]
    pub credentials: RestoreCredentials,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemId>>,
}

/// `RESTRestoreToOriginalLocationSelectedItems`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RestoreOriginalRequest {
    #[serde(flatten)]
    pub credentials: RestoreCredentials,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemId>>,
}

/// `RESTItemsRestoreStatistics` (v6/v7 items) and `RESTFoldersRestoreStatistics` (adds failedFoldersCount).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemsRestoreStatistics {
    #[serde(rename = "createdItemsCount", default, deserialize_with = "i64_or_zero")]
    pub created_items_count: i64,
    #[serde(rename = "mergedItemsCount", default, deserialize_with = "i64_or_zero")]
    pub merged_items_count: i64,
    #[serde(rename = "failedItemsCount", default, deserialize_with = "i64_or_zero")]
    pub failed_items_count: i64,
    #[serde(rename = "skippedItemsCount", default, deserialize_with = "i64_or_zero")]
    pub skipped_items_count: i64,
    #[serde(
        rename = "failedFoldersCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub failed_folders_count: Option<i64>,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub exceptions: Vec<String>,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub warnings: Vec<String>,
    #[serde(
        rename = "cannotContinueError",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cannot_continue_error: Option<String>,
}

/// `RESTAsyncRestoreResponse` (v8).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AsyncRestoreResponse {
    #[serde(rename = "sessionId")]
    pub session_id: String,
}

/// `RESTItemRestoreDetailsComposed` (the mailbox-related fields; the rest is kept raw).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemRestoreDetails {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "itemRestoreDetailsType", default, deserialize_with = "opt_string")]
    pub details_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(
        rename = "itemType",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "vec_or_empty", skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(
        rename = "mailboxEmail",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub mailbox_email: Option<String>,
    #[serde(
        rename = "mailboxIsArchive",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub mailbox_is_archive: Option<bool>,
    #[serde(
        rename = "mailboxIsPublic",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub mailbox_is_public: Option<bool>,
    #[serde(
        rename = "createdMailboxItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_mailbox_items_count: Option<i64>,
    #[serde(
        rename = "mergedMailboxItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub merged_mailbox_items_count: Option<i64>,
    #[serde(
        rename = "failedMailboxItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub failed_mailbox_items_count: Option<i64>,
    #[serde(
        rename = "skippedMailboxItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub skipped_mailbox_items_count: Option<i64>,
    #[serde(
        rename = "cannotContinueMailboxError",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cannot_continue_mailbox_error: Option<String>,
}

/// `RESTRestoreSessionStatistics` (v8). It has no "done" flag: completion comes from the session's events.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreSessionStatistics {
    #[serde(rename = "totalItemsCount", default, deserialize_with = "i64_or_zero")]
    pub total_items_count: i64,
    #[serde(rename = "restoredItemsCount", default, deserialize_with = "i64_or_zero")]
    pub restored_items_count: i64,
    #[serde(rename = "failedItemsCount", default, deserialize_with = "i64_or_zero")]
    pub failed_items_count: i64,
    #[serde(rename = "skippedItemsCount", default, deserialize_with = "i64_or_zero")]
    pub skipped_items_count: i64,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub warnings: Vec<String>,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub errors: Vec<String>,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub items: Vec<ItemRestoreDetails>,
}

/// `RESTSeveralItemsExportOptions` (PST export).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExportOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemId>>,
    #[serde(
        rename = "enablePstSizeLimit",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_pst_size_limit: Option<bool>,
    #[serde(
        rename = "pstSizeLimitBytes",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub pst_size_limit_bytes: Option<i64>,
}

/// `RESTSaveToMsgOptions`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SaveOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemId>>,
}

/// `RESTSendToDifferentAddressOptions`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SendToDifferentAddressOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemId>>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// What a restore did, the same for v6/v7 (synchronous counts) and v8 (async session statistics).
/// Serialized (`vex restore --json`) with camelCase keys like the API's.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreOutcome {
    pub created: i64,
    pub merged: i64,
    pub skipped: i64,
    pub failed: i64,
    pub failed_folders: Option<i64>,
    pub warnings: Vec<String>,
    pub exceptions: Vec<String>,
    pub cannot_continue_error: Option<String>,
    /// v8: the restore's own session id (its events and statistics live there).
    pub session_id: Option<String>,
    /// v8: the restore session's own `result` once it stopped (`Success`, `Warning`, `Failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<SessionResult>,
    /// v8: the restore session's `endTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<ApiDate>,
}

impl RestoreOutcome {
    /// True when not everything was restored: failed items, an error that stopped the restore, or a
    /// restore session whose own result is `Failed`.
    pub fn has_problems(&self) -> bool {
        self.failed > 0 || self.cannot_continue_error.is_some() || self.result == Some(SessionResult::Failed)
    }
}

impl From<ItemsRestoreStatistics> for RestoreOutcome {
    fn from(s: ItemsRestoreStatistics) -> Self {
        RestoreOutcome {
            created: s.created_items_count,
            merged: s.merged_items_count,
            skipped: s.skipped_items_count,
            failed: s.failed_items_count,
            failed_folders: s.failed_folders_count,
            warnings: s.warnings,
            exceptions: s.exceptions,
            cannot_continue_error: s.cannot_continue_error,
            session_id: None,
            result: None,
            end_time: None,
        }
    }
}

impl RestoreOutcome {
    /// v8: counts from the session statistics. Created/merged come from the per-mailbox details when the
    /// server gives them; otherwise every restored item counts as created.
    pub fn from_statistics(s: RestoreSessionStatistics, session_id: String) -> Self {
        let mut created = 0;
        let mut merged = 0;
        let mut have_details = false;
        let mut cannot_continue = None;
        for d in &s.items {
            if d.created_mailbox_items_count.is_some() || d.merged_mailbox_items_count.is_some() {
                have_details = true;
                created += d.created_mailbox_items_count.unwrap_or(0);
                merged += d.merged_mailbox_items_count.unwrap_or(0);
            }
            if let Some(e) = &d.cannot_continue_mailbox_error {
                cannot_continue = Some(e.clone());
            }
        }
        if !have_details {
            created = s.restored_items_count;
        }
        RestoreOutcome {
            created,
            merged,
            skipped: s.skipped_items_count,
            failed: s.failed_items_count,
            failed_folders: None,
            warnings: s.warnings,
            exceptions: s.errors,
            cannot_continue_error: cannot_continue,
            session_id: Some(session_id),
            result: None,
            end_time: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug_but_sent_on_the_wire() {
        let r = RestoreToRequest {
            mailbox: Some("b@x.com".into()),
            credentials: RestoreCredentials {
                user_name: Some("admin".into()),
                user_password: Some(SecretString::from("hunter2-secret")),
                ..Default::default()
            },
            items: Some(vec![ItemId { id: "1".into() }]),
            ..Default::default()
        };
        assert!(!format!("{r:?}").contains("hunter2-secret"));
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["userPassword"], "hunter2-secret");
        assert_eq!(j["items"][0]["id"], "1");
        assert!(j.get("changedItems").is_none());
        assert_eq!(r.credentials.mode(), Ok(CredentialMode::Password));
    }

    #[test]
    fn credential_modes_need_complete_sets() {
        let mut c = RestoreCredentials {
            user_name: Some("u".into()),
            ..Default::default()
        };
        assert!(c.mode().is_err());
        c.user_password = Some(SecretString::from("p"));
        assert_eq!(c.mode(), Ok(CredentialMode::Password));
        let c = RestoreCredentials {
            application_id: Some("id".into()),
            ..Default::default()
        };
        assert!(c.mode().unwrap_err().contains("applicationCertificate"));
        assert!(RestoreCredentials::default().mode().is_err());
    }

    #[test]
    fn v8_statistics_with_details() {
        let s: RestoreSessionStatistics = serde_json::from_str(
            r#"{"totalItemsCount":"5","restoredItemsCount":"3","failedItemsCount":"1","skippedItemsCount":"1",
            "items":[{"itemRestoreDetailsType":"BulkMailbox","createdMailboxItemsCount":"2","mergedMailboxItemsCount":"1"}]}"#,
        )
        .unwrap();
        let o = RestoreOutcome::from_statistics(s, "sid".into());
        assert_eq!((o.created, o.merged, o.skipped, o.failed), (2, 1, 1, 1));
    }
}
