//! The bulk restore of whole mailboxes to their original location:
//! `POST RestoreSessions/{id}/organization/mailboxes/restore` (v6, v7, v8).
//!
//! The body is `RestBulkRestoreOptions` (the same in the three specs): the mailboxes, the seven restore
//! flags of `restoreTo` plus `skipUnresolved` and `recentItemRestorePeriod`, and the credentials under
//! names of their own (`office365UserName` / `office365UserPassword`, not `userName` / `userPassword`).
//! It has no `officeRegion` / `officeOrganizationName` (the original location is the mailbox's own
//! organization). v6/v7 answer `RESTBulkRestoreStatistics` (a status, an error, and per mailbox its
//! status, error and `RESTCommonRestoreStatistics`) when it is done; v8 answers `{sessionId}` at once and
//! the per-mailbox counts are the `BulkMailbox` entries of that session's statistics.

use super::lenient::{opt_bool, opt_i64, opt_string, vec_or_empty};
use super::{ItemRestoreDetails, RestoreOutcome, RestoreSessionStatistics};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

fn ser_secret<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) => s.serialize_str(x.expose_secret()),
        None => s.serialize_none(),
    }
}

/// `RESTExchangeMailbox` as the bulk body lists it (and the v6/v7 answer names it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkMailbox {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(
        rename = "isArchive",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_archive: Option<bool>,
    #[serde(
        rename = "isPublic",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_public: Option<bool>,
}

/// `RestBulkRestoreOptions`. Secrets are `SecretString`: redacted in `Debug`, exposed only while the body
/// is serialised.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BulkRestoreRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailboxes: Option<Vec<BulkMailbox>>,
    #[serde(
        rename = "casServer",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cas_server: Option<String>,
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
        rename = "skipUnresolved",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub skip_unresolved: Option<bool>,
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
    #[serde(
        rename = "office365UserName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub office365_user_name: Option<String>,
    #[serde(
        rename = "office365UserPassword",
        default,
        serialize_with = "ser_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub office365_user_password: Option<SecretString>,
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
    #[serde(
        rename = "domainName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub domain_name: Option<String>,
    #[serde(
        rename = "onPremisesUserName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_premises_user_name: Option<String>,
    #[serde(
        rename = "onPremisesUserPassword",
        default,
        serialize_with = "ser_secret",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_premises_user_password: Option<SecretString>,
    /// Days: items backed up in this period are restored first.
    #[serde(
        rename = "recentItemRestorePeriod",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub recent_item_restore_period: Option<i64>,
}

/// `RESTCommonRestoreStatistics`: one mailbox's counts in a v6/v7 bulk answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommonRestoreStatistics {
    #[serde(
        rename = "createdItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_items_count: Option<i64>,
    #[serde(
        rename = "mergedItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub merged_items_count: Option<i64>,
    #[serde(
        rename = "failedItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub failed_items_count: Option<i64>,
    #[serde(
        rename = "skippedItemsCount",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub skipped_items_count: Option<i64>,
    #[serde(
        rename = "cannotContinueError",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cannot_continue_error: Option<String>,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub warnings: Vec<String>,
}

/// `RESTBulkMailboxRestoreStatistics`: one mailbox of a v6/v7 bulk answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkMailboxRestoreStatistics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<BulkMailbox>,
    /// `Failed`, `Warning`, `Success`.
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CommonRestoreStatistics>,
}

/// `RESTBulkRestoreStatistics` (v6/v7).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkRestoreStatistics {
    /// `Failed`, `Warning`, `Success`.
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "vec_or_empty")]
    pub details: Vec<BulkMailboxRestoreStatistics>,
}

/// One mailbox of a bulk restore's outcome, from either version's answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxOutcome {
    pub mailbox_id: Option<String>,
    pub email: Option<String>,
    pub is_archive: Option<bool>,
    /// `Failed`, `Warning`, `Success` as the server said.
    pub status: Option<String>,
    pub error: Option<String>,
    /// Its counts; `None` when the server gave none that can be read (absent, null, negative): the
    /// mailbox's outcome is then not known from this answer.
    pub outcome: Option<RestoreOutcome>,
}

/// What a bulk restore did: the overall status and error, and each mailbox the server reported.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOutcome {
    pub status: Option<String>,
    pub error: Option<String>,
    pub mailboxes: Vec<MailboxOutcome>,
    /// v8: the restore's own session.
    pub session_id: Option<String>,
}

impl BulkOutcome {
    /// The mailbox `id` of this outcome (by id, case-insensitive; else by `email` and the archive flag,
    /// for a server that names mailboxes without their id).
    ///
    /// Assumption (the specs do not say): a v6/v7 detail's `mailbox.id` and a v8 `BulkMailbox` entry's
    /// `id` are the mailbox's id as `GET .../mailboxes` lists it.
    pub fn of(&self, id: &str, email: &str, is_archive: bool) -> Option<&MailboxOutcome> {
        self.mailboxes
            .iter()
            .find(|m| {
                m.mailbox_id
                    .as_deref()
                    .is_some_and(|x| x.trim().eq_ignore_ascii_case(id))
            })
            .or_else(|| {
                self.mailboxes.iter().find(|m| {
                    m.mailbox_id.is_none()
                        && m.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(email))
                        && m.is_archive.unwrap_or(false) == is_archive
                })
            })
    }
}

/// Counts that are all there and none negative.
fn counts(c: [Option<i64>; 4]) -> Option<[i64; 4]> {
    let [a, b, x, y] = c;
    let out = [a?, b.unwrap_or(0), x.unwrap_or(0), y.unwrap_or(0)];
    out.iter().all(|n| *n >= 0).then_some(out)
}

impl From<BulkRestoreStatistics> for BulkOutcome {
    /// A v6/v7 answer. A mailbox whose `details` lack `createdItemsCount` (absent or null) or hold a
    /// negative count has no outcome (`None`): "0 restored" is not read into a missing answer.
    fn from(s: BulkRestoreStatistics) -> Self {
        let mailboxes = s
            .details
            .into_iter()
            .map(|d| {
                let mbx = d.mailbox.unwrap_or_default();
                let outcome = d.details.and_then(|c| {
                    let [created, merged, skipped, failed] = counts([
                        c.created_items_count,
                        c.merged_items_count,
                        c.skipped_items_count,
                        c.failed_items_count,
                    ])?;
                    Some(RestoreOutcome {
                        created,
                        merged,
                        skipped,
                        failed,
                        warnings: c.warnings,
                        cannot_continue_error: c.cannot_continue_error.filter(|e| !e.trim().is_empty()),
                        ..Default::default()
                    })
                });
                MailboxOutcome {
                    mailbox_id: mbx.id.filter(|x| !x.trim().is_empty()),
                    email: mbx.email,
                    is_archive: mbx.is_archive,
                    status: d.status,
                    error: d.error.filter(|e| !e.trim().is_empty()),
                    outcome,
                }
            })
            .collect();
        BulkOutcome {
            status: s.status,
            error: s.error.filter(|e| !e.trim().is_empty()),
            mailboxes,
            session_id: None,
        }
    }
}

impl BulkOutcome {
    /// v8: the `BulkMailbox` entries of the restore session's statistics (entries of other kinds are
    /// left out).
    pub fn from_statistics(s: &RestoreSessionStatistics, session_id: &str) -> BulkOutcome {
        let mailboxes = s
            .items
            .iter()
            .filter(|d| {
                d.details_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("BulkMailbox"))
            })
            .map(|d: &ItemRestoreDetails| {
                let outcome = counts([
                    d.created_mailbox_items_count,
                    d.merged_mailbox_items_count,
                    d.skipped_mailbox_items_count,
                    d.failed_mailbox_items_count,
                ])
                .map(|[created, merged, skipped, failed]| RestoreOutcome {
                    created,
                    merged,
                    skipped,
                    failed,
                    warnings: d.warnings.clone(),
                    cannot_continue_error: d.cannot_continue_mailbox_error.clone().filter(|e| !e.trim().is_empty()),
                    session_id: Some(session_id.to_string()),
                    ..Default::default()
                });
                MailboxOutcome {
                    mailbox_id: d.id.clone().filter(|x| !x.trim().is_empty()),
                    email: d.mailbox_email.clone(),
                    is_archive: d.mailbox_is_archive,
                    status: d.status.clone(),
                    error: d.error.clone().filter(|e| !e.trim().is_empty()),
                    outcome,
                }
            })
            .collect();
        BulkOutcome {
            status: None,
            error: s.errors.first().cloned(),
            mailboxes,
            session_id: Some(session_id.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_uses_the_bulk_names_and_redacts_in_debug() {
        let r = BulkRestoreRequest {
            mailboxes: Some(vec![BulkMailbox {
                id: Some("a1b2c3d4-e5f6-7890-abcd-ef1234567890".into()),
                ..Default::default()
            }]),
            changed_items: Some(true),
            office365_user_name: Some("admin@x".into()),
            office365_user_password: Some(SecretString::from("pw-bulk-1")),
            ..Default::default()
        };
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v["office365UserName"], "admin@x");
        assert_eq!(v["office365UserPassword"], "pw-bulk-1");
        assert_eq!(v["changedItems"], true);
        assert_eq!(v["mailboxes"][0]["id"], "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
        assert!(v.get("userName").is_none() && v.get("userPassword").is_none(), "{v}");
        assert!(!format!("{r:?}").contains("pw-bulk-1"));
    }

    #[test]
    fn missing_null_negative_or_quoted_counts() {
        let s: BulkRestoreStatistics = serde_json::from_str(
            r#"{"status":"Warning","details":[
                {"mailbox":{"id":"A"},"status":"Success","details":{"createdItemsCount":"3","mergedItemsCount":1}},
                {"mailbox":{"id":"B"},"details":{"createdItemsCount":null}},
                {"mailbox":{"id":"C"},"details":{"createdItemsCount":-1}},
                {"mailbox":{"id":"D"}},
                {"mailbox":{"email":"e@x","isArchive":"true"},"details":{"createdItemsCount":0}}]}"#,
        )
        .expect("parses");
        let o = BulkOutcome::from(s);
        let a = o.of("a", "", false).and_then(|m| m.outcome.clone()).expect("A");
        assert_eq!((a.created, a.merged), (3, 1));
        for id in ["B", "C", "D"] {
            assert_eq!(o.of(id, "", false).map(|m| m.outcome.is_none()), Some(true), "{id}");
        }
        assert!(o.of("zz", "e@x", false).is_none(), "the archive is not the primary");
        assert!(o.of("zz", "E@X", true).is_some());
    }
}
