//! A restore as the operator describes it, before it is sent: what, from where, to where, with which
//! credentials and flags. Validation names the field at fault; the summary states exactly what will
//! happen; `to_request` builds the API body. Shared by the TUI dialog and `vex restore`.

use crate::api::RestoreScope;
use crate::api::models::{
    DeviceCodeRequest, ItemId, OfficeRegion, RestoreCredentials, RestoreOriginalRequest, RestoreToRequest,
};
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::path::PathBuf;

/// The three credential sets the API accepts.
#[derive(Clone, Debug)]
pub enum Credentials {
    Password {
        user: String,
        password: SecretString,
    },
    /// A code obtained from `restoreDeviceCode` and confirmed at the verification URL.
    DeviceCode {
        user_code: String,
    },
    Application {
        application_id: String,
        certificate_file: PathBuf,
        certificate_password: Option<SecretString>,
        impersonation_account: String,
    },
}

/// Restore flags, named as in the API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreFlags {
    pub changed_items: bool,
    pub deleted_items: bool,
    pub mark_restored_as_unread: bool,
    pub exclude_drafts: bool,
    pub exclude_deleted_items: bool,
    pub exclude_in_place_hold_items: bool,
    pub exclude_litigation_hold_items: bool,
}

impl RestoreFlags {
    /// (API name, human phrase, value) for every flag, in the dialog's order.
    pub fn list(&self) -> [(&'static str, &'static str, bool); 7] {
        [
            ("changedItems", "all versions", self.changed_items),
            ("deletedItems", "deleted items", self.deleted_items),
            ("markRestoredAsUnread", "mark unread", self.mark_restored_as_unread),
            ("excludeDrafts", "without Drafts", self.exclude_drafts),
            (
                "excludeDeletedItems",
                "without Deleted Items",
                self.exclude_deleted_items,
            ),
            (
                "excludeInPlaceHoldItems",
                "without In-Place Hold items",
                self.exclude_in_place_hold_items,
            ),
            (
                "excludeLitigationHoldItems",
                "without Litigation Hold items",
                self.exclude_litigation_hold_items,
            ),
        ]
    }

    /// The names of the flags that are set (for the audit log).
    pub fn set_names(&self) -> Vec<String> {
        self.list().iter().filter(|f| f.2).map(|f| f.0.to_string()).collect()
    }
}

/// The Microsoft 365 region and organization a restore goes to, and the application a device code is
/// asked for: `officeRegion` / `officeOrganizationName` in restore bodies, `targetRegion` /
/// `targetOrganizationName` / `targetApplicationId` in the device-code request. Empty or `None`: the
/// server's default (the field is not sent). From the profile, overridden by flags or the dialog.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantOptions {
    pub office_region: Option<OfficeRegion>,
    pub office_organization_name: String,
    pub target_application_id: String,
    pub target_region: Option<OfficeRegion>,
    pub target_organization_name: String,
}

/// Why restore settings cannot be sent. Every one is the operator's input at fault (the scripting
/// commands exit with 2, "usage"; the dialogs show the message beside the field).
#[derive(Debug)]
pub enum PlanError {
    /// Not one of the spec's regions (what was given).
    Region(String),
    /// An organization name with control characters (`what` names the setting).
    ControlCharacters(&'static str),
    /// The device code's application id is not a GUID (what was given).
    NotGuid(String),
    /// The certificate file cannot be read.
    CertificateUnreadable { path: PathBuf, error: std::io::Error },
    /// The certificate file is not a PKCS#12 file (`why` says what is wrong; never its bytes).
    NotPkcs12 { path: PathBuf, why: String },
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Region(s) => write!(
                f,
                "{s:?} is not a region; use one of {}",
                OfficeRegion::ALL
                    .iter()
                    .map(OfficeRegion::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PlanError::ControlCharacters(what) => write!(f, "{what} has control characters"),
            PlanError::NotGuid(app) => write!(
                f,
                "the device code's application id {app:?} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            ),
            PlanError::CertificateUnreadable { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            PlanError::NotPkcs12 { path, why } => {
                write!(f, "{} is not a PKCS#12 (.pfx) certificate: {why}", path.display())
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// A region as the spec's enum names it (`Worldwide`, `Germany`, `China`, `USDefence`,
/// `USGovernment`; any case), or an error listing them.
pub fn parse_region(s: &str) -> Result<OfficeRegion, PlanError> {
    match OfficeRegion::parse(s.trim()) {
        OfficeRegion::Other(_) => Err(PlanError::Region(s.trim().to_string())),
        r => Ok(r),
    }
}

/// An organization name as sent: trimmed, without control characters.
fn check_org(what: &'static str, s: &str) -> Result<(), PlanError> {
    if s.chars().any(char::is_control) {
        Err(PlanError::ControlCharacters(what))
    } else {
        Ok(())
    }
}

impl TenantOptions {
    /// What is wrong with the options (names the setting at fault).
    pub fn validate(&self) -> Result<(), PlanError> {
        check_org("the organization name", &self.office_organization_name)?;
        check_org("the target organization name", &self.target_organization_name)?;
        let app = self.target_application_id.trim();
        if !app.is_empty() && !is_guid(app) {
            return Err(PlanError::NotGuid(app.to_string()));
        }
        Ok(())
    }

    /// The device-code request (`RESTDeviceCodeRequestOptions`): only what is set is sent.
    pub fn device_code_request(&self) -> DeviceCodeRequest {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        DeviceCodeRequest {
            target_application_id: opt(&self.target_application_id),
            target_region: self.target_region.clone(),
            target_organization_name: opt(&self.target_organization_name),
        }
    }
}

/// Which field a validation message belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlanField {
    TargetMailbox,
    TargetFolder,
    CasServer,
    /// The target's organization name (`officeOrganizationName`).
    OrganizationName,
    User,
    Password,
    DeviceCode,
    ApplicationId,
    CertificateFile,
    CertificatePassword,
    Impersonation,
    Items,
}

#[derive(Clone, Debug)]
pub struct RestorePlan {
    /// Display name of the source mailbox (e.g. "Zoë Müller").
    pub source_mailbox: String,
    /// Display name of the source folder, when there is one.
    pub source_folder: Option<String>,
    pub scope: RestoreScope,
    /// Items for `RestoreScope::Items`.
    pub item_ids: Vec<String>,
    pub target_mailbox: String,
    /// Empty: the server's default (the source folder's name).
    pub target_folder: String,
    pub cas_server: String,
    pub office_region: Option<OfficeRegion>,
    pub office_organization_name: String,
    pub credentials: Credentials,
    pub flags: RestoreFlags,
}

/// A plausible email address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A GUID `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn is_guid(s: &str) -> bool {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Reads a PKCS#12 (PFX) file, checks it is one (a DER SEQUENCE whose length matches, version 3), and
/// returns its base64 as a secret. Error messages never contain the file's bytes.
pub fn read_pfx(path: &std::path::Path) -> Result<SecretString, PlanError> {
    let mut bytes = std::fs::read(path).map_err(|error| PlanError::CertificateUnreadable {
        path: path.to_path_buf(),
        error,
    })?;
    let check = check_pfx(&bytes);
    let out = check.map(|()| SecretString::from(base64::engine::general_purpose::STANDARD.encode(&bytes)));
    zeroize::Zeroize::zeroize(&mut bytes);
    out.map_err(|why| PlanError::NotPkcs12 {
        path: path.to_path_buf(),
        why,
    })
}

fn check_pfx(b: &[u8]) -> Result<(), String> {
    if b.first() != Some(&0x30) {
        return Err("it does not start with a DER SEQUENCE (is it PEM? convert it with openssl pkcs12 -export)".into());
    }
    let (len, hdr) = der_len(&b[1..]).ok_or("bad DER length")?;
    if 1 + hdr + len != b.len() {
        return Err(format!(
            "the DER length ({}) does not match the file size ({})",
            1 + hdr + len,
            b.len()
        ));
    }
    let body = &b[1 + hdr..];
    if body.len() < 3 || body[0] != 0x02 || body[1] != 0x01 || body[2] != 0x03 {
        return Err("no PKCS#12 version 3 header".into());
    }
    Ok(())
}

fn der_len(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((first as usize, 1));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 || b.len() < 1 + n {
        return None;
    }
    let mut len = 0usize;
    for &x in &b[1..=n] {
        len = (len << 8) | x as usize;
    }
    Some((len, 1 + n))
}

impl RestorePlan {
    /// Every problem, with the field it belongs to. Empty = ready to confirm.
    pub fn validate(&self) -> Vec<(PlanField, String)> {
        let mut errs = Vec::new();
        if self.target_mailbox.trim().is_empty() {
            errs.push((PlanField::TargetMailbox, "the target mailbox is required".into()));
        } else if !is_email(&self.target_mailbox) {
            errs.push((
                PlanField::TargetMailbox,
                format!("{:?} is not an email address", self.target_mailbox.trim()),
            ));
        }
        if self.target_folder.chars().any(|c| c.is_control()) {
            errs.push((PlanField::TargetFolder, "the folder name has control characters".into()));
        }
        if let Err(e) = check_org("the organization name", &self.office_organization_name) {
            errs.push((PlanField::OrganizationName, e.to_string()));
        }
        if matches!(self.scope, RestoreScope::Items) && self.item_ids.is_empty() {
            errs.push((PlanField::Items, "no items selected".into()));
        }
        match &self.credentials {
            Credentials::Password { user, password } => {
                if user.trim().is_empty() {
                    errs.push((PlanField::User, "the user name is required".into()));
                }
                if password.expose_secret().is_empty() {
                    errs.push((PlanField::Password, "the password is required".into()));
                }
            }
            Credentials::DeviceCode { user_code } => {
                if user_code.trim().is_empty() {
                    errs.push((PlanField::DeviceCode, "request a device code first".into()));
                }
            }
            Credentials::Application {
                application_id,
                certificate_file,
                impersonation_account,
                ..
            } => {
                if !is_guid(application_id) {
                    errs.push((
                        PlanField::ApplicationId,
                        "the application id is a GUID (xxxxxxxx-xxxx-...)".into(),
                    ));
                }
                if certificate_file.as_os_str().is_empty() {
                    errs.push((
                        PlanField::CertificateFile,
                        "the certificate file (.pfx) is required".into(),
                    ));
                } else if let Err(e) = read_pfx(certificate_file) {
                    errs.push((PlanField::CertificateFile, e.to_string()));
                }
                if impersonation_account.trim().is_empty() {
                    errs.push((PlanField::Impersonation, "the impersonation account is required".into()));
                }
            }
        }
        errs
    }

    fn what(&self) -> String {
        self.scope.what(self.item_ids.len())
    }

    /// Where the items go: "B/Folder1" (the target mailbox, then the folder).
    pub fn destination(&self) -> String {
        let folder = if self.target_folder.trim().is_empty() {
            self.source_folder.clone().unwrap_or_else(|| "original folders".into())
        } else {
            self.target_folder.trim().to_string()
        };
        format!("{}/{folder}", self.target_mailbox.trim())
    }

    /// "Restore 3 items from A (Inbox) to B/Folder1, all versions, mark unread".
    pub fn summary(&self) -> String {
        let from = match &self.source_folder {
            Some(f) => format!("{} ({f})", self.source_mailbox),
            None => self.source_mailbox.clone(),
        };
        let mut s = format!("Restore {} from {from} to {}", self.what(), self.destination());
        if let Some(r) = &self.office_region {
            s.push_str(&format!(", region {r}"));
        }
        let org = self.office_organization_name.trim();
        if !org.is_empty() {
            s.push_str(&format!(", organization {org}"));
        }
        for (_, phrase, on) in self.flags.list() {
            if on {
                s.push_str(", ");
                s.push_str(phrase);
            }
        }
        s
    }

    pub fn credential_mode(&self) -> &'static str {
        match self.credentials {
            Credentials::Password { .. } => "password",
            Credentials::DeviceCode { .. } => "device-code",
            Credentials::Application { .. } => "application",
        }
    }

    /// The body of a restore to the original location (`.../restore`): the credentials and, for items,
    /// their ids; the target and the flags are not part of it. Reads the certificate file (application
    /// mode).
    pub fn to_original_request(&self) -> Result<RestoreOriginalRequest, PlanError> {
        let req = self.to_request()?;
        Ok(RestoreOriginalRequest {
            credentials: req.credentials,
            items: req.items,
        })
    }

    /// The API body. Reads the certificate file (application mode).
    pub fn to_request(&self) -> Result<RestoreToRequest, PlanError> {
        let opt = |s: &str| {
            if s.trim().is_empty() {
                None
            } else {
                Some(s.trim().to_string())
            }
        };
        let credentials = match &self.credentials {
            Credentials::Password { user, password } => RestoreCredentials {
                user_name: opt(user),
                user_password: Some(password.clone()),
                ..Default::default()
            },
            Credentials::DeviceCode { user_code } => RestoreCredentials {
                user_code: opt(user_code),
                ..Default::default()
            },
            Credentials::Application {
                application_id,
                certificate_file,
                certificate_password,
                impersonation_account,
            } => RestoreCredentials {
                application_id: opt(application_id),
                application_certificate: Some(read_pfx(certificate_file)?),
                application_certificate_password: certificate_password.clone(),
                impersonation_account_name: opt(impersonation_account),
                ..Default::default()
            },
        };
        let f = &self.flags;
        Ok(RestoreToRequest {
            changed_items: Some(f.changed_items),
            deleted_items: Some(f.deleted_items),
            mark_restored_as_unread: Some(f.mark_restored_as_unread),
            exclude_drafts: Some(f.exclude_drafts),
            exclude_deleted_items: Some(f.exclude_deleted_items),
            exclude_in_place_hold_items: Some(f.exclude_in_place_hold_items),
            exclude_litigation_hold_items: Some(f.exclude_litigation_hold_items),
            mailbox: opt(&self.target_mailbox),
            cas_server: opt(&self.cas_server),
            folder: opt(&self.target_folder),
            office_region: self.office_region.clone(),
            office_organization_name: opt(&self.office_organization_name),
            credentials,
            items: match self.scope {
                RestoreScope::Items => Some(self.item_ids.iter().map(|id| ItemId { id: id.clone() }).collect()),
                _ => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_tenant_options_per_spec() {
        assert_eq!(
            parse_region(" usdefence ").map_err(|e| e.to_string()),
            Ok(OfficeRegion::USDefence)
        );
        assert_eq!(
            parse_region("WORLDWIDE").map_err(|e| e.to_string()),
            Ok(OfficeRegion::Worldwide)
        );
        let e = parse_region("Mars").unwrap_err().to_string();
        for r in ["Worldwide", "Germany", "China", "USDefence", "USGovernment"] {
            assert!(e.contains(r), "{e}");
        }
        let t = TenantOptions {
            target_application_id: " 4d1f3b2a-1111-2222-3333-444455556666 ".into(),
            target_region: Some(OfficeRegion::China),
            ..Default::default()
        };
        assert_eq!(t.validate().map_err(|e| e.to_string()), Ok(()));
        let j = serde_json::to_value(t.device_code_request()).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"targetApplicationId": "4d1f3b2a-1111-2222-3333-444455556666", "targetRegion": "China"})
        );
        assert_eq!(
            serde_json::to_value(TenantOptions::default().device_code_request()).unwrap(),
            serde_json::json!({}),
            "nothing set, nothing sent"
        );
        let bad = TenantOptions {
            target_application_id: "app".into(),
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().to_string().contains("GUID"));
        let mut p = plan();
        p.office_region = Some(OfficeRegion::Germany);
        p.office_organization_name = " contoso.de ".into();
        let j = serde_json::to_value(p.to_request().unwrap()).unwrap();
        assert_eq!(
            (j["officeRegion"].as_str(), j["officeOrganizationName"].as_str()),
            (Some("Germany"), Some("contoso.de"))
        );
        p.office_organization_name = "a\u{1b}b".into();
        assert!(p.validate().iter().any(|(f, _)| *f == PlanField::OrganizationName));
    }

    fn plan() -> RestorePlan {
        RestorePlan {
            source_mailbox: "A".into(),
            source_folder: Some("Inbox".into()),
            scope: RestoreScope::Items,
            item_ids: vec!["1".into(), "2".into(), "3".into()],
            target_mailbox: "b@example.com".into(),
            target_folder: "Folder1".into(),
            cas_server: String::new(),
            office_region: None,
            office_organization_name: String::new(),
            credentials: Credentials::Password {
                user: "admin".into(),
                password: SecretString::from("pw"),
            },
            flags: RestoreFlags {
                changed_items: true,
                mark_restored_as_unread: true,
                ..Default::default()
            },
        }
    }

    #[test]
    fn summary_states_what_will_happen() {
        assert_eq!(
            plan().summary(),
            "Restore 3 items from A (Inbox) to b@example.com/Folder1, all versions, mark unread"
        );
        assert!(plan().validate().is_empty());
        let r = plan().to_request().unwrap();
        assert_eq!(r.items.as_ref().map(Vec::len), Some(3));
        assert_eq!(r.changed_items, Some(true));
        assert_eq!(r.cas_server, None);
    }

    #[test]
    fn validation_names_fields() {
        let mut p = plan();
        p.target_mailbox = "not an email".into();
        p.credentials = Credentials::Password {
            user: "".into(),
            password: SecretString::from(""),
        };
        let fields: Vec<PlanField> = p.validate().into_iter().map(|e| e.0).collect();
        assert_eq!(
            fields,
            vec![PlanField::TargetMailbox, PlanField::User, PlanField::Password]
        );
        for bad in ["a@b", "@b.com", "a b@c.com", "a@@b.com", "a@b.com."] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(is_email("zoë.müller@contoso.onmicrosoft.com"));
    }

    #[test]
    fn application_certificate_must_be_a_pfx() {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("c.pem");
        std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").unwrap();
        let mut p = plan();
        p.credentials = Credentials::Application {
            application_id: "4d1f3b2a-1111-2222-3333-444455556666".into(),
            certificate_file: pem.clone(),
            certificate_password: None,
            impersonation_account: "svc@x.com".into(),
        };
        let errs = p.validate();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].0, PlanField::CertificateFile);
        assert!(errs[0].1.contains("PEM"), "{}", errs[0].1);
        // A minimal well-formed PFX header: SEQUENCE { INTEGER 3, ... }.
        let pfx = dir.path().join("c.pfx");
        std::fs::write(&pfx, [0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00]).unwrap();
        if let Credentials::Application { certificate_file, .. } = &mut p.credentials {
            *certificate_file = pfx;
        }
        assert!(p.validate().is_empty());
        let r = p.to_request().unwrap();
        assert_eq!(
            r.credentials.application_certificate.unwrap().expose_secret(),
            "MAUCAQMwAA=="
        );
        let missing = dir.path().join("nope.pfx");
        assert!(read_pfx(&missing).unwrap_err().to_string().contains("cannot read"));
    }
}
