//! Restore points (`RESTRestorePoint`) and the names behind their ids: the backup job (`RESTJob`) and the
//! backup repository (`RESTBackupRepository`), of which vex reads only id and name (anything else the server
//! sends is kept in `extra`).

use super::lenient::{opt_bool, opt_date, opt_string};
use super::{ApiDate, Links, links_or_empty};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `RESTRestorePoint` (v6, v7, v8: v7 adds `isDeleted`, `isCopy`; v8 `eTag`, `objectsEtag`,
/// `immutabilityExpiresOn`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RestorePoint {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        rename = "isDeleted",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_deleted: Option<bool>,
    #[serde(
        rename = "repositoryId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub repository_id: Option<String>,
    #[serde(
        rename = "backupTime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub backup_time: Option<ApiDate>,
    #[serde(
        rename = "jobId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_id: Option<String>,
    #[serde(
        rename = "retrievalId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub retrieval_id: Option<String>,
    #[serde(
        rename = "organizationId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub organization_id: Option<String>,
    #[serde(
        rename = "isExchange",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_exchange: Option<bool>,
    #[serde(
        rename = "isSharePoint",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_share_point: Option<bool>,
    #[serde(
        rename = "isOneDrive",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_one_drive: Option<bool>,
    #[serde(
        rename = "isTeams",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_teams: Option<bool>,
    #[serde(
        rename = "isLongTermCopy",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_long_term_copy: Option<bool>,
    /// v7+.
    #[serde(
        rename = "isCopy",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_copy: Option<bool>,
    #[serde(
        rename = "isRetrieved",
        default,
        deserialize_with = "opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_retrieved: Option<bool>,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "links_or_empty"
    )]
    pub links: Links,
    /// Every other field (v8's `eTag`, `objectsEtag`, `immutabilityExpiresOn`, ...), as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RestorePoint {
    /// True when the point holds Exchange data (unknown counts as yes: the server did not say no).
    pub fn has_exchange(&self) -> bool {
        self.is_exchange != Some(false)
    }

    /// The point's kind in a word: a backup, a backup copy, a long-term copy, or retrieved data.
    pub fn kind_label(&self) -> &'static str {
        if self.is_retrieved == Some(true) {
            "retrieved"
        } else if self.is_long_term_copy == Some(true) {
            "archive copy"
        } else if self.is_copy == Some(true) {
            "copy"
        } else {
            "backup"
        }
    }
}

/// A named resource: `RESTJob` or `RESTBackupRepository`, of which vex needs the name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Named {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
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
