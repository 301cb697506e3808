//! The guided restore dialog (`r`): what (the marked items, one item, a whole folder or mailbox), where to
//! (another mailbox and folder, or the original location), with which credentials and flags. Problems are
//! shown next to their field; a confirmation states exactly what will happen (Cancel is the default);
//! then the progress and the result. The dialog never sends twice: once confirmed, its form is locked
//! until the answer arrives, and a refused restore comes back with every field as it was.

use super::{Heard, Help};
use crate::api::models::{DeviceCode, DeviceCodeRequest, OfficeRegion};
use crate::api::{ApiError, RestoreScope};
use crate::app::dialogs::{AnswerCx, Dialog, DialogReply};
use crate::app::fields::{SecretField, edit, is_typing};
use crate::app::panes::items::ListKey;
use crate::app::panes::job_dialog::{self, JobDialog, JobPhase, JobReply};
use crate::app::request::{DialogAsk, Response, take};
use crate::app::{Action, Call, Effect, RequestId, State, To, jobs};
use crate::restore_plan::{Credentials, PlanField, RestoreFlags, RestorePlan, TenantOptions, is_guid};
use crossterm::event::{KeyCode, KeyEvent};
use std::path::PathBuf;
use tui_input::Input;

pub const HELP: Help = &[
    (Action::NextPane, "next field", "next field (Shift-Tab: previous)"),
    (
        Action::Mark,
        "toggle",
        "toggle a checkbox, switch the credential mode or destination",
    ),
    (
        Action::Open,
        "restore",
        "check the form and show what will happen (on Cancel: close)",
    ),
    (
        Action::Back,
        "close",
        "close (while running: stop waiting; the restore goes on)",
    ),
    (Action::Events, "events", "the session's events (on the result)"),
];

/// What a restore (or an export, a send) applies to, and how to name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub session_id: String,
    pub mailbox_id: String,
    /// Display name of the mailbox (its e-mail when it has no name).
    pub mailbox_name: String,
    pub mailbox_email: Option<String>,
    /// The folder's path (`Inbox / Projects`), when there is one.
    pub folder: Option<String>,
    pub scope: RestoreScope,
    /// The items of an items restore (`RestoreScope::Items`), or the one of `RestoreScope::Item`.
    pub item_ids: Vec<String>,
    /// The subject of a single item.
    pub item_title: Option<String>,
    /// The items list whose marks (or whole-folder mark) chose what is restored: a successful restore
    /// clears them, so a second run is not one key away.
    pub marks: Option<ListKey>,
    /// A whole folder's number of items, when vex knows it (the folder was counted or loaded to its end).
    pub folder_total: Option<u64>,
    /// The point in time the restore reads, as far as vex knows it, labelled with where that knowledge
    /// comes from (see `jobs::point_in_time`).
    pub point_in_time: String,
    /// The date the default target folder names (`backup 2025-11-20`, `session 2025-11-20`).
    pub date_label: Option<String>,
}

impl Source {
    /// "3 items", "1 item", "the whole folder", "the whole mailbox".
    pub fn what(&self) -> String {
        self.scope.what(self.item_ids.len())
    }

    /// "Zoë Müller (Inbox)".
    pub fn from_label(&self) -> String {
        match &self.folder {
            Some(f) => format!("{} ({f})", self.mailbox_name),
            None => self.mailbox_name.clone(),
        }
    }

    /// The number of items, when the restore lists them.
    pub fn item_count(&self) -> Option<u64> {
        match &self.scope {
            RestoreScope::Items => Some(self.item_ids.len() as u64),
            RestoreScope::Item(_) => Some(1),
            _ => None,
        }
    }

    /// The item ids of an items or item scope (what export, save and send take).
    pub fn ids(&self) -> Vec<String> {
        match &self.scope {
            RestoreScope::Item(id) => vec![id.clone()],
            _ => self.item_ids.clone(),
        }
    }
}

/// Which credential set the restore uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CredMode {
    #[default]
    Password,
    DeviceCode,
    Application,
}

impl CredMode {
    pub const ALL: [CredMode; 3] = [CredMode::Password, CredMode::DeviceCode, CredMode::Application];

    pub fn label(self) -> &'static str {
        match self {
            CredMode::Password => "password",
            CredMode::DeviceCode => "device code",
            CredMode::Application => "app certificate",
        }
    }

    fn step(self, forward: bool) -> CredMode {
        let i = CredMode::ALL.iter().position(|m| *m == self).unwrap_or(0);
        let n = CredMode::ALL.len();
        CredMode::ALL[if forward { (i + 1) % n } else { (i + n - 1) % n }]
    }
}

/// A field or button of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RestoreField {
    /// Another mailbox, or the original location.
    Destination,
    TargetMailbox,
    TargetFolder,
    CasServer,
    /// The target's Microsoft 365 region (`officeRegion`, and the device code's `targetRegion`).
    Region,
    /// The target's organization (`officeOrganizationName`, and the device code's
    /// `targetOrganizationName`).
    OrganizationName,
    /// The application a device code is asked for (`targetApplicationId`).
    DeviceAppId,
    Mode,
    User,
    Password,
    /// The button that requests a device code.
    RequestCode,
    AppId,
    CertFile,
    CertPassword,
    Impersonation,
    /// The `i`-th flag of [`RestoreFlags::list`].
    Flag(usize),
    Submit,
    Cancel,
}

impl RestoreField {
    /// The field a validation message of the plan belongs to.
    pub fn of(f: PlanField) -> RestoreField {
        match f {
            PlanField::TargetMailbox => RestoreField::TargetMailbox,
            PlanField::TargetFolder => RestoreField::TargetFolder,
            PlanField::CasServer => RestoreField::CasServer,
            PlanField::OrganizationName => RestoreField::OrganizationName,
            PlanField::User => RestoreField::User,
            PlanField::Password => RestoreField::Password,
            PlanField::DeviceCode => RestoreField::RequestCode,
            PlanField::ApplicationId => RestoreField::AppId,
            PlanField::CertificateFile => RestoreField::CertFile,
            PlanField::CertificatePassword => RestoreField::CertPassword,
            PlanField::Impersonation => RestoreField::Impersonation,
            PlanField::Items => RestoreField::Submit,
        }
    }

    /// True for fields one types into.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            RestoreField::TargetMailbox
                | RestoreField::TargetFolder
                | RestoreField::CasServer
                | RestoreField::OrganizationName
                | RestoreField::DeviceAppId
                | RestoreField::User
                | RestoreField::Password
                | RestoreField::AppId
                | RestoreField::CertFile
                | RestoreField::CertPassword
                | RestoreField::Impersonation
        )
    }
}

/// A mailbox of the organization (what the target field suggests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownMailbox {
    pub id: String,
    pub name: String,
    pub email: String,
    pub archive: bool,
}

/// The folders of the target mailbox, when it is in the same backup (suggestions for the folder field).
#[derive(Clone, Debug, Default)]
pub struct TargetFolders {
    pub mailbox_id: Option<String>,
    pub loading: Option<RequestId>,
    pub names: Vec<String>,
}

/// The values a new dialog starts with: the last confirmed restore's, flags included (remembered for
/// the session like the other fields; the confirmation names every flag that is on, so none is carried
/// over unnoticed). Never a secret.
#[derive(Clone, Debug, Default)]
pub struct Remembered {
    pub target: String,
    pub folder: String,
    pub cas: String,
    pub region: Option<OfficeRegion>,
    pub organization: String,
    pub device_app_id: String,
    pub mode: CredMode,
    pub user: String,
    pub app_id: String,
    pub cert_file: String,
    pub impersonation: String,
    pub flags: RestoreFlags,
}

impl Remembered {
    /// The first dialog's values: the profile's region, organization and device-code application.
    pub fn from_tenant(t: &TenantOptions) -> Remembered {
        Remembered {
            region: t.office_region.clone().or_else(|| t.target_region.clone()),
            organization: if t.office_organization_name.is_empty() {
                t.target_organization_name.clone()
            } else {
                t.office_organization_name.clone()
            },
            device_app_id: t.target_application_id.clone(),
            ..Default::default()
        }
    }
}

/// The target folder a dialog offers when the operator has not chosen one: a new folder that names the
/// source and its date (`Restored from Zoë Müller - Inbox (backup 2025-11-20)`). Control characters
/// from server names are left out (a folder name may not have them).
pub fn default_folder(source: &Source) -> String {
    let mut name = format!("Restored from {}", source.mailbox_name.trim());
    if let Some(f) = &source.folder {
        // A path's last folder (`Inbox / Projects` → `Projects`): `/` is not a name character here.
        let last = f.rsplit(" / ").next().unwrap_or(f).trim();
        if !last.is_empty() {
            name.push_str(" - ");
            name.push_str(last);
        }
    }
    if let Some(d) = &source.date_label {
        name.push_str(&format!(" ({d})"));
    }
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Names of the standard folders of a mailbox (English names, as the server lists them). Assumption: a
/// target folder so named is that mailbox's live folder (the server merges into an existing folder).
const STANDARD_FOLDERS: &[&str] = &[
    "Inbox",
    "Sent Items",
    "Drafts",
    "Deleted Items",
    "Junk Email",
    "Outbox",
    "Archive",
    "Calendar",
    "Contacts",
    "Tasks",
    "Notes",
    "Journal",
    "Conversation History",
];

/// The standard folder a target folder name is, if any.
pub fn standard_folder(name: &str) -> Option<&'static str> {
    let name = name.trim();
    STANDARD_FOLDERS.iter().copied().find(|s| s.eq_ignore_ascii_case(name))
}

/// The choices of the region field: the server's default, then the spec's regions.
fn step_region(r: &Option<OfficeRegion>, forward: bool) -> Option<OfficeRegion> {
    let all: Vec<Option<OfficeRegion>> = std::iter::once(None)
        .chain(OfficeRegion::ALL.iter().cloned().map(Some))
        .collect();
    let n = all.len();
    let i = all.iter().position(|x| x == r).unwrap_or(0);
    all[if forward { (i + 1) % n } else { (i + n - 1) % n }].clone()
}

/// What the restore form asks of the browser beyond sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreAsk {
    /// A device code for the target tenant.
    RequestCode,
    /// The target is a mailbox of this backup: load its folders for the suggestions.
    LoadFolders(String),
}

/// What a key asks of the browser.
type Reply = JobReply<RestoreAsk>;

#[derive(Clone, Debug)]
pub struct RestoreDialog {
    pub source: Source,
    /// Restore to the original location (credentials only) instead of another mailbox.
    pub original: bool,
    pub target: Input,
    pub folder: Input,
    pub cas: Input,
    /// `None`: the server's default (not sent).
    pub region: Option<OfficeRegion>,
    pub organization: Input,
    pub device_app_id: Input,
    pub mode: CredMode,
    pub user: Input,
    pub password: SecretField,
    pub device_code: Option<DeviceCode>,
    pub device_loading: Option<RequestId>,
    /// The browser's tick when the device code arrived (its `expires_in` counts from there).
    pub device_code_tick: u64,
    /// The browser's tick now (set before each key: the form checks the code's expiry with it).
    pub now_tick: u64,
    pub app_id: Input,
    pub cert_file: Input,
    pub cert_password: SecretField,
    pub impersonation: Input,
    pub flags: RestoreFlags,
    pub field: RestoreField,
    /// Validation messages, next to their fields.
    pub errors: Vec<(RestoreField, String)>,
    /// The server's refusal (or another problem sending), shown in the dialog.
    pub server_error: Option<String>,
    pub phase: JobPhase,
    /// Mailboxes of the organization (suggestions).
    pub mailboxes: Vec<KnownMailbox>,
    pub target_folders: TargetFolders,
    /// The highlighted suggestion.
    pub suggest_cursor: Option<usize>,
    /// Esc hid the suggestions (until the next edit).
    pub suggest_hidden: bool,
    /// v8: the restore reports progress counts (else a spinner until the answer).
    pub async_restore: bool,
}

/// The flags as `(label, value)` in the dialog's order.
pub fn flag_labels() -> [&'static str; 7] {
    [
        "changed items (all versions)",
        "deleted items",
        "mark restored as unread",
        "exclude drafts",
        "exclude deleted items",
        "exclude in-place hold items",
        "exclude litigation hold items",
    ]
}

fn flag_mut(f: &mut RestoreFlags, i: usize) -> Option<&mut bool> {
    Some(match i {
        0 => &mut f.changed_items,
        1 => &mut f.deleted_items,
        2 => &mut f.mark_restored_as_unread,
        3 => &mut f.exclude_drafts,
        4 => &mut f.exclude_deleted_items,
        5 => &mut f.exclude_in_place_hold_items,
        6 => &mut f.exclude_litigation_hold_items,
        _ => return None,
    })
}

/// The value of the `i`-th flag.
pub fn flag(f: &RestoreFlags, i: usize) -> bool {
    f.list().get(i).is_some_and(|x| x.2)
}

impl RestoreDialog {
    pub fn new(source: Source, mailboxes: Vec<KnownMailbox>, memory: &Remembered, async_restore: bool) -> Self {
        let input = |s: &str| Input::new(s.to_string());
        // A folder the operator chose is kept; otherwise a new one that names this source (never the
        // source folder's own name: that is a live folder of the recipient, such as the Inbox).
        let folder = if memory.folder.trim().is_empty() {
            default_folder(&source)
        } else {
            memory.folder.clone()
        };
        let mut d = RestoreDialog {
            source,
            original: false,
            target: input(&memory.target),
            folder: input(&folder),
            cas: input(&memory.cas),
            region: memory.region.clone(),
            organization: input(&memory.organization),
            device_app_id: input(&memory.device_app_id),
            mode: memory.mode,
            user: input(&memory.user),
            password: SecretField::default(),
            device_code: None,
            device_loading: None,
            device_code_tick: 0,
            now_tick: 0,
            app_id: input(&memory.app_id),
            cert_file: input(&memory.cert_file),
            cert_password: SecretField::default(),
            impersonation: input(&memory.impersonation),
            flags: memory.flags.clone(),
            field: RestoreField::TargetMailbox,
            errors: Vec::new(),
            server_error: None,
            phase: JobPhase::Form,
            mailboxes,
            target_folders: TargetFolders::default(),
            suggest_cursor: None,
            suggest_hidden: false,
            async_restore,
        };
        d.field = d.first_to_fill();
        d
    }

    /// What the next dialog starts with.
    pub fn remembered(&self) -> Remembered {
        Remembered {
            target: self.target.value().to_string(),
            // The default names this dialog's source: the next dialog makes its own.
            folder: if self.folder.value() == default_folder(&self.source) {
                String::new()
            } else {
                self.folder.value().to_string()
            },
            cas: self.cas.value().to_string(),
            region: self.region.clone(),
            organization: self.organization.value().to_string(),
            device_app_id: self.device_app_id.value().to_string(),
            mode: self.mode,
            user: self.user.value().to_string(),
            app_id: self.app_id.value().to_string(),
            cert_file: self.cert_file.value().to_string(),
            impersonation: self.impersonation.value().to_string(),
            flags: self.flags.clone(),
        }
    }

    /// The first required field that is empty (or wrong), where the dialog opens; the target mailbox
    /// when all are filled in.
    pub fn first_to_fill(&self) -> RestoreField {
        let shown = self.fields();
        self.plan()
            .validate()
            .into_iter()
            .map(|(f, _)| RestoreField::of(f))
            .find(|f| f.is_text() && shown.contains(f))
            .unwrap_or(RestoreField::TargetMailbox)
    }

    /// The fields shown, in Tab order.
    pub fn fields(&self) -> Vec<RestoreField> {
        let mut v = vec![RestoreField::Destination];
        if !self.original {
            v.extend([
                RestoreField::TargetMailbox,
                RestoreField::TargetFolder,
                RestoreField::CasServer,
            ]);
        }
        // The target tenant: for a restore elsewhere, and for the device code's request.
        if !self.original || self.mode == CredMode::DeviceCode {
            v.extend([RestoreField::Region, RestoreField::OrganizationName]);
        }
        if self.mode == CredMode::DeviceCode {
            v.push(RestoreField::DeviceAppId);
        }
        v.push(RestoreField::Mode);
        match self.mode {
            CredMode::Password => v.extend([RestoreField::User, RestoreField::Password]),
            CredMode::DeviceCode => v.push(RestoreField::RequestCode),
            CredMode::Application => v.extend([
                RestoreField::AppId,
                RestoreField::CertFile,
                RestoreField::CertPassword,
                RestoreField::Impersonation,
            ]),
        }
        if !self.original {
            v.extend((0..7).map(RestoreField::Flag));
        }
        v.extend([RestoreField::Submit, RestoreField::Cancel]);
        v
    }

    /// The validation message of a field.
    pub fn error_of(&self, f: RestoreField) -> Option<&str> {
        self.errors.iter().find(|(g, _)| *g == f).map(|(_, m)| m.as_str())
    }

    /// The job this dialog shows (running or done).
    pub fn job(&self) -> Option<RequestId> {
        self.phase.job()
    }

    /// The restore as the form describes it.
    pub fn plan(&self) -> RestorePlan {
        let text = |i: &Input| i.value().trim().to_string();
        let credentials = match self.mode {
            CredMode::Password => Credentials::Password {
                user: text(&self.user),
                password: self.password.secret(),
            },
            CredMode::DeviceCode => Credentials::DeviceCode {
                user_code: self
                    .device_code
                    .as_ref()
                    .and_then(|d| d.user_code.clone())
                    .unwrap_or_default(),
            },
            CredMode::Application => Credentials::Application {
                application_id: text(&self.app_id),
                certificate_file: PathBuf::from(text(&self.cert_file)),
                certificate_password: (!self.cert_password.is_empty()).then(|| self.cert_password.secret()),
                impersonation_account: text(&self.impersonation),
            },
        };
        let (target_mailbox, target_folder, cas_server, flags) = if self.original {
            (
                self.source.mailbox_email.clone().unwrap_or_default(),
                String::new(),
                String::new(),
                RestoreFlags::default(),
            )
        } else {
            (
                text(&self.target),
                text(&self.folder),
                text(&self.cas),
                self.flags.clone(),
            )
        };
        RestorePlan {
            source_mailbox: self.source.mailbox_name.clone(),
            source_folder: self.source.folder.clone(),
            scope: self.source.scope.clone(),
            item_ids: self.source.ids(),
            target_mailbox,
            target_folder,
            cas_server,
            office_region: if self.original { None } else { self.region.clone() },
            office_organization_name: if self.original {
                String::new()
            } else {
                text(&self.organization)
            },
            credentials,
            flags,
        }
    }

    /// The device-code request for the target tenant the form names.
    pub fn device_code_request(&self) -> DeviceCodeRequest {
        TenantOptions {
            target_application_id: self.device_app_id.value().trim().to_string(),
            target_region: self.region.clone(),
            target_organization_name: self.organization.value().trim().to_string(),
            ..Default::default()
        }
        .device_code_request()
    }

    /// The one-line statement of what will happen.
    pub fn summary(&self, plan: &RestorePlan) -> String {
        if self.original {
            format!(
                "Restore {} from {} to {}",
                self.source.what(),
                self.source.from_label(),
                self.destination(plan)
            )
        } else {
            plan.summary()
        }
    }

    /// Where the items go, as the summary names it after "to ".
    pub fn destination(&self, plan: &RestorePlan) -> String {
        if self.original {
            "its original location".into()
        } else {
            plan.destination()
        }
    }

    /// Checks the form; on success the confirmation (Cancel selected) comes up.
    fn submit(&mut self) -> Reply {
        // An expired device code is not sent: a new one is asked for.
        if self.mode == CredMode::DeviceCode && self.device_code_left(self.now_tick).is_some_and(|s| s <= 0) {
            self.device_code = None;
            self.field = RestoreField::RequestCode;
            let r = self.request_code();
            if r == Reply::Form(RestoreAsk::RequestCode) {
                self.errors = vec![(
                    RestoreField::RequestCode,
                    "the device code expired: a new one is requested".into(),
                )];
            }
            return r;
        }
        let plan = self.plan();
        self.errors = plan
            .validate()
            .into_iter()
            .filter(|(f, _)| !(self.original && matches!(f, PlanField::TargetMailbox | PlanField::TargetFolder)))
            .map(|(f, m)| (RestoreField::of(f), m))
            .collect();
        if let Some((f, _)) = self.errors.first() {
            self.field = *f;
            self.suggest_cursor = None;
            return Reply::Keep;
        }
        let mut lines = vec![self.summary(&plan)];
        if let RestoreScope::Folder(_) = self.source.scope {
            lines.push(match self.source.folder_total {
                Some(n) => format!(
                    "The whole folder: {} item{}.",
                    crate::text::thousands(n),
                    if n == 1 { "" } else { "s" }
                ),
                None => "The whole folder: its number of items is not known to vex (not counted).".into(),
            });
        }
        lines.push(format!("Point in time: {}.", self.source.point_in_time));
        if !self.original {
            let target = plan.target_mailbox.trim();
            let folder = plan.target_folder.trim();
            if folder.is_empty() {
                lines.push(format!(
                    "Target folder: none given: {target} receives the items in folders named like their source folders — its live folders (Inbox, Calendar, …)."
                ));
            } else {
                lines.push(format!(
                    "Target folder: {folder} in {target} (created when it does not exist)."
                ));
                if let Some(std) = standard_folder(folder) {
                    lines.push(format!(
                        "Warning: {folder} is the live {std} folder of {target}: the restored items mix with what is there."
                    ));
                }
            }
        }
        lines.push(match &plan.credentials {
            Credentials::Password { user, .. } => format!("as {user} (password)"),
            Credentials::DeviceCode { user_code } => format!("with the device code {user_code}"),
            Credentials::Application {
                application_id,
                impersonation_account,
                ..
            } => format!("as application {application_id}, impersonating {impersonation_account}"),
        });
        if !self.original && !plan.cas_server.trim().is_empty() {
            lines.push(format!("through the CAS server {}", plan.cas_server.trim()));
        }
        self.phase = JobPhase::Confirm { yes: false, lines };
        Reply::Keep
    }

    /// The suggestions for the focused field: (shown, value).
    pub fn suggestions(&self) -> Vec<(String, String)> {
        if self.suggest_hidden || self.phase != JobPhase::Form {
            return Vec::new();
        }
        match self.field {
            RestoreField::TargetMailbox => {
                let q = self.target.value().trim().to_lowercase();
                if q.is_empty() {
                    return Vec::new();
                }
                let mut seen = std::collections::HashSet::new();
                let hits: Vec<(String, String)> = self
                    .mailboxes
                    .iter()
                    .filter(|m| !m.archive && !m.email.is_empty())
                    .filter(|m| m.email.to_lowercase().contains(&q) || m.name.to_lowercase().contains(&q))
                    .filter(|m| seen.insert(m.email.to_lowercase()))
                    .map(|m| (format!("{} <{}>", m.name, m.email), m.email.clone()))
                    .take(6)
                    .collect();
                if hits.len() == 1 && hits[0].1.to_lowercase() == q {
                    return Vec::new();
                }
                hits
            }
            RestoreField::TargetFolder => {
                let q = self.folder.value().trim().to_lowercase();
                if q.is_empty() {
                    return Vec::new();
                }
                let hits: Vec<(String, String)> = self
                    .target_folders
                    .names
                    .iter()
                    .filter(|n| n.to_lowercase().contains(&q))
                    .map(|n| (n.clone(), n.clone()))
                    .take(6)
                    .collect();
                if hits.len() == 1 && hits[0].1.to_lowercase() == q {
                    return Vec::new();
                }
                hits
            }
            _ => Vec::new(),
        }
    }

    /// The mailbox of this backup the target names exactly, if any.
    pub fn target_in_backup(&self) -> Option<&KnownMailbox> {
        let t = self.target.value().trim().to_lowercase();
        if t.is_empty() {
            return None;
        }
        let mut hits = self.mailboxes.iter().filter(|m| m.email.to_lowercase() == t);
        let first = hits.next()?;
        if first.archive {
            return hits.find(|m| !m.archive).or(Some(first));
        }
        Some(first)
    }

    /// Takes the folders of the target (the request map dropped stale answers already).
    pub fn on_target_folders(&mut self, names: Vec<String>) {
        self.target_folders.loading = None;
        self.target_folders.names = names;
    }

    /// Seconds the device code is still valid for at tick `now` (None: no code, or no expiry given).
    /// Counted in browser ticks from its arrival: a clock that stalls with the browser, so it errs late
    /// by as much as the browser stalled (assumption: a stall of seconds, against codes valid for minutes).
    pub fn device_code_left(&self, now: u64) -> Option<i64> {
        let s = self.device_code.as_ref()?.expires_in.filter(|s| *s > 0)?;
        let gone = now.saturating_sub(self.device_code_tick) / u64::from(crate::app::TICKS_PER_SEC);
        Some(s - i64::try_from(gone).unwrap_or(i64::MAX))
    }

    /// Takes a device code (the request map dropped stale answers already).
    pub fn on_device_code(&mut self, result: Result<DeviceCode, String>) {
        self.device_loading = None;
        match result {
            Ok(code) => {
                self.device_code = Some(code);
                self.errors.retain(|(f, _)| *f != RestoreField::RequestCode);
                self.server_error = None;
            }
            Err(e) => self.errors = vec![(RestoreField::RequestCode, e)],
        }
    }

    /// Puts the highlighted suggestion into its field.
    fn accept_suggestion(&mut self) -> Reply {
        let Some(i) = self.suggest_cursor.take() else {
            return Reply::Keep;
        };
        let Some((_, value)) = self.suggestions().get(i).cloned() else {
            return Reply::Keep;
        };
        match self.field {
            RestoreField::TargetMailbox => {
                self.target = Input::new(value);
                self.errors.retain(|(f, _)| *f != RestoreField::TargetMailbox);
                self.target_changed()
            }
            RestoreField::TargetFolder => {
                self.folder = Input::new(value);
                Reply::Keep
            }
            _ => Reply::Keep,
        }
    }

    /// After the target changed: its folders are wanted when it is a mailbox of this backup.
    fn target_changed(&mut self) -> Reply {
        let id = self.target_in_backup().map(|m| m.id.clone());
        match id {
            Some(id) if self.target_folders.mailbox_id.as_deref() != Some(id.as_str()) => {
                Reply::Form(RestoreAsk::LoadFolders(id))
            }
            _ => Reply::Keep,
        }
    }

    /// A key in the form: its fields, the suggestions, checking and confirming.
    fn keys(&mut self, ev: &KeyEvent) -> Reply {
        let suggestions = self.suggestions().len();
        match ev.code {
            KeyCode::Esc => {
                if suggestions > 0 {
                    self.suggest_hidden = true;
                    self.suggest_cursor = None;
                    return Reply::Keep;
                }
                return Reply::Close;
            }
            KeyCode::Tab => {
                let r = self.accept_suggestion();
                self.step(true);
                return r;
            }
            KeyCode::BackTab => {
                self.step(false);
                return Reply::Keep;
            }
            KeyCode::Down if suggestions > 0 => {
                self.suggest_cursor = Some(self.suggest_cursor.map_or(0, |c| (c + 1).min(suggestions - 1)));
                return Reply::Keep;
            }
            KeyCode::Up if suggestions > 0 && self.suggest_cursor.is_some() => {
                self.suggest_cursor = self.suggest_cursor.and_then(|c| c.checked_sub(1));
                return Reply::Keep;
            }
            KeyCode::Down => {
                self.step(true);
                return Reply::Keep;
            }
            KeyCode::Up => {
                self.step(false);
                return Reply::Keep;
            }
            KeyCode::Enter => {
                if self.suggest_cursor.is_some() {
                    return self.accept_suggestion();
                }
                return match self.field {
                    RestoreField::Cancel => Reply::Close,
                    RestoreField::RequestCode => self.request_code(),
                    _ => self.submit(),
                };
            }
            _ => {}
        }
        let space = ev.code == KeyCode::Char(' ') && is_typing(ev);
        let left_right = matches!(ev.code, KeyCode::Left | KeyCode::Right);
        match self.field {
            RestoreField::Destination if space || left_right => {
                self.original = !self.original;
                self.errors.clear();
            }
            RestoreField::Region if space || left_right => {
                self.region = step_region(&self.region, ev.code != KeyCode::Left);
            }
            RestoreField::Mode if space || left_right => {
                self.mode = self.mode.step(ev.code != KeyCode::Left);
                self.errors.clear();
            }
            RestoreField::Flag(i) if space => {
                if let Some(v) = flag_mut(&mut self.flags, i) {
                    *v = !*v;
                }
            }
            RestoreField::Submit if space => return self.submit(),
            RestoreField::Cancel if space => return Reply::Close,
            RestoreField::RequestCode if space => return self.request_code(),
            RestoreField::Password | RestoreField::CertPassword => {
                let f = self.field;
                let secret = if f == RestoreField::Password {
                    &mut self.password
                } else {
                    &mut self.cert_password
                };
                if secret.handle(ev) {
                    self.errors.retain(|(g, _)| *g != f);
                }
            }
            f if f.is_text() => {
                let input = match f {
                    RestoreField::TargetMailbox => &mut self.target,
                    RestoreField::TargetFolder => &mut self.folder,
                    RestoreField::CasServer => &mut self.cas,
                    RestoreField::OrganizationName => &mut self.organization,
                    RestoreField::DeviceAppId => &mut self.device_app_id,
                    RestoreField::User => &mut self.user,
                    RestoreField::AppId => &mut self.app_id,
                    RestoreField::CertFile => &mut self.cert_file,
                    _ => &mut self.impersonation,
                };
                if edit(input, ev) {
                    self.errors.retain(|(g, _)| *g != f);
                    self.suggest_cursor = None;
                    self.suggest_hidden = false;
                    if f == RestoreField::TargetMailbox {
                        return self.target_changed();
                    }
                }
            }
            _ => {}
        }
        Reply::Keep
    }

    fn request_code(&mut self) -> Reply {
        if self.device_loading.is_some() {
            return Reply::Keep;
        }
        let app = self.device_app_id.value().trim();
        if !app.is_empty() && !is_guid(app) {
            self.errors = vec![(
                RestoreField::DeviceAppId,
                "the application id is a GUID (xxxxxxxx-xxxx-...), or empty for the server's".into(),
            )];
            self.field = RestoreField::DeviceAppId;
            return Reply::Keep;
        }
        if self.organization.value().chars().any(char::is_control) {
            self.errors = vec![(
                RestoreField::OrganizationName,
                "the organization name has control characters".into(),
            )];
            self.field = RestoreField::OrganizationName;
            return Reply::Keep;
        }
        Reply::Form(RestoreAsk::RequestCode)
    }
}

impl JobDialog for RestoreDialog {
    type Field = RestoreField;
    type Ask = RestoreAsk;

    fn phase(&self) -> &JobPhase {
        &self.phase
    }

    fn phase_mut(&mut self) -> &mut JobPhase {
        &mut self.phase
    }

    fn focus_mut(&mut self) -> &mut RestoreField {
        &mut self.field
    }

    fn server_error_mut(&mut self) -> &mut Option<String> {
        &mut self.server_error
    }

    fn field_order(&self) -> Vec<RestoreField> {
        self.fields()
    }

    fn form_key(&mut self, ev: &KeyEvent) -> Reply {
        self.keys(ev)
    }

    fn send(&mut self, state: &mut State, fx: &mut Vec<Effect>) {
        jobs::send_restore(state, self, fx)
    }

    fn ask(&mut self, ask: RestoreAsk, state: &mut State, fx: &mut Vec<Effect>) {
        match ask {
            RestoreAsk::RequestCode => {
                let r = state.requests.ask(
                    To::Dialog(DialogAsk::DeviceCode),
                    Call::DeviceCode {
                        session_id: self.source.session_id.clone(),
                        request: self.device_code_request(),
                    },
                );
                self.device_loading = Some(r.id);
                fx.push(Effect::Request(r));
            }
            RestoreAsk::LoadFolders(id) => jobs::load_target_folders(state, self, id, fx),
        }
    }

    fn stop_waiting_words(&self) -> &'static str {
        "stopped waiting: the restore goes on on the server; R shows its result when it ends"
    }

    fn offers_events(&self) -> bool {
        true
    }

    /// The suggestions follow the focus.
    fn focus_moved(&mut self) {
        self.suggest_cursor = None;
        self.suggest_hidden = false;
    }

    /// The secrets are no longer needed.
    fn ended(&mut self) {
        self.password.clear();
        self.cert_password.clear();
    }
}

impl Dialog for RestoreDialog {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply {
        // The form checks the device code's expiry with the browser's tick.
        self.now_tick = state.tick;
        job_dialog::on_key(self, state, ev, fx)
    }

    fn waits(&self, ask: &DialogAsk, id: RequestId) -> bool {
        match ask {
            DialogAsk::DeviceCode => self.device_loading == Some(id),
            DialogAsk::TargetFolders => self.target_folders.loading == Some(id),
            _ => false,
        }
    }

    fn on_answer(&mut self, ask: DialogAsk, result: Result<Response, ApiError>, cx: AnswerCx<'_>) -> Heard {
        match ask {
            DialogAsk::DeviceCode => {
                self.on_device_code(take(result).map_err(|e| e.to_string()));
                self.device_code_tick = cx.tick;
                Heard::Taken
            }
            DialogAsk::TargetFolders => {
                let names = take::<Vec<crate::api::models::Folder>>(result)
                    .map(|fs| fs.into_iter().filter_map(|f| f.name).collect())
                    .unwrap_or_default();
                self.on_target_folders(names);
                Heard::Taken
            }
            _ => Heard::Nothing,
        }
    }

    fn busy(&self) -> bool {
        self.device_loading.is_some() || self.target_folders.loading.is_some()
    }

    fn on_job_end(&mut self, generation: RequestId, refusal: Option<String>) -> bool {
        self.job_ended(generation, refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn source() -> Source {
        Source {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            mailbox_name: "Zoë Müller".into(),
            mailbox_email: Some("zoe@contoso.com".into()),
            folder: Some("Inbox".into()),
            scope: RestoreScope::Items,
            item_ids: vec!["1".into(), "2".into(), "3".into()],
            item_title: None,
            marks: None,
            folder_total: None,
            point_in_time: "2024-03-01 14:00 UTC".into(),
            date_label: Some("backup 2024-03-01".into()),
        }
    }

    fn mailboxes() -> Vec<KnownMailbox> {
        let m = |id: &str, name: &str, email: &str, archive| KnownMailbox {
            id: id.into(),
            name: name.into(),
            email: email.into(),
            archive,
        };
        vec![
            m("1", "Zoë Müller", "zoe@contoso.com", false),
            m("2", "François Lefèvre", "francois@contoso.com", false),
            m("3", "Archive - François", "francois@contoso.com", true),
            m("4", "Fang Wang", "fang@contoso.com", false),
        ]
    }

    fn key(d: &mut RestoreDialog, code: KeyCode) -> Reply {
        d.press(&KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(d: &mut RestoreDialog, s: &str) -> Reply {
        let mut last = Reply::Keep;
        for c in s.chars() {
            last = key(d, KeyCode::Char(c));
        }
        last
    }

    #[test]
    fn suggestions_then_folders_then_confirm_with_cancel_default() {
        let mut d = RestoreDialog::new(source(), mailboxes(), &Remembered::default(), false);
        assert_eq!(d.field, RestoreField::TargetMailbox);
        typed(&mut d, "fra");
        assert_eq!(d.suggestions().len(), 1, "the archive is not offered twice");
        key(&mut d, KeyCode::Down);
        assert_eq!(
            key(&mut d, KeyCode::Enter),
            Reply::Form(RestoreAsk::LoadFolders("2".into()))
        );
        assert_eq!(d.target.value(), "francois@contoso.com");
        assert!(d.suggestions().is_empty());
        d.target_folders = TargetFolders {
            mailbox_id: Some("2".into()),
            loading: Some(9),
            names: vec![],
        };
        d.on_target_folders(vec!["Inbox".into(), "Sent Items".into()]);
        assert_eq!(d.target_folders.loading, None);
        key(&mut d, KeyCode::Tab);
        // The folder offered by default names the source; typed over here.
        assert_eq!(d.folder.value(), "Restored from Zoë Müller - Inbox (backup 2024-03-01)");
        d.folder = Input::default();
        typed(&mut d, "in");
        assert_eq!(d.suggestions(), vec![("Inbox".to_string(), "Inbox".to_string())]);
        key(&mut d, KeyCode::Tab);
        assert_eq!(d.folder.value(), "in", "Tab without a highlight keeps the text");
        // Enter checks the form: the user and password are missing.
        assert_eq!(key(&mut d, KeyCode::Enter), Reply::Keep);
        assert_eq!(d.field, RestoreField::User);
        assert!(d.error_of(RestoreField::Password).is_some());
        typed(&mut d, "admin");
        key(&mut d, KeyCode::Tab);
        typed(&mut d, "pw");
        key(&mut d, KeyCode::Enter);
        let JobPhase::Confirm { yes, lines } = &d.phase else {
            panic!("{:?}", d.phase)
        };
        assert!(!yes);
        assert_eq!(
            lines[0],
            "Restore 3 items from Zoë Müller (Inbox) to francois@contoso.com/in"
        );
        // Enter on the default (Cancel) goes back to the form, every field kept.
        key(&mut d, KeyCode::Enter);
        assert_eq!(d.phase, JobPhase::Form);
        assert_eq!(d.password.len(), 2);
        key(&mut d, KeyCode::Enter);
        key(&mut d, KeyCode::Tab);
        assert_eq!(key(&mut d, KeyCode::Enter), Reply::Send);
        d.sent(7);
        // While it runs, Enter never sends again.
        assert_eq!(key(&mut d, KeyCode::Enter), Reply::Keep);
        key(&mut d, KeyCode::Tab);
        assert_eq!(key(&mut d, KeyCode::Enter), Reply::StopWaiting);
        d.refused("no".into());
        assert_eq!(d.phase, JobPhase::Form);
        assert_eq!(d.target.value(), "francois@contoso.com");
        d.done(7);
        assert!(d.password.is_empty());
    }

    #[test]
    fn region_organization_and_device_code_app_reach_the_requests() {
        let memory = Remembered::from_tenant(&TenantOptions {
            office_region: Some(OfficeRegion::Germany),
            office_organization_name: "contoso.de".into(),
            ..Default::default()
        });
        let mut d = RestoreDialog::new(source(), mailboxes(), &memory, false);
        assert_eq!(
            d.region,
            Some(OfficeRegion::Germany),
            "the profile's region comes first"
        );
        let fields = d.fields();
        let at = |f: RestoreField| fields.iter().position(|g| *g == f);
        assert!(
            at(RestoreField::CasServer) < at(RestoreField::Region) && at(RestoreField::Region) < at(RestoreField::Mode)
        );
        assert_eq!(at(RestoreField::DeviceAppId), None, "only for device codes");
        d.field = RestoreField::Region;
        key(&mut d, KeyCode::Right);
        assert_eq!(d.region, Some(OfficeRegion::China));
        key(&mut d, KeyCode::Left);
        key(&mut d, KeyCode::Left);
        assert_eq!(d.region, Some(OfficeRegion::Worldwide));
        key(&mut d, KeyCode::Left);
        assert_eq!(d.region, None, "the server's default is a choice too");
        key(&mut d, KeyCode::Left);
        assert_eq!(d.region, Some(OfficeRegion::USGovernment));
        key(&mut d, KeyCode::Tab);
        assert_eq!(d.field, RestoreField::OrganizationName);
        for _ in 0.."contoso.de".len() {
            key(&mut d, KeyCode::Backspace);
        }
        typed(&mut d, "contoso.us");
        let plan = d.plan();
        assert_eq!(plan.office_region, Some(OfficeRegion::USGovernment));
        assert_eq!(plan.office_organization_name, "contoso.us");
        assert!(plan.summary().contains("region USGovernment, organization contoso.us"));
        // The device code asks for the same tenant, and for the application typed.
        d.mode = CredMode::DeviceCode;
        assert!(d.fields().contains(&RestoreField::DeviceAppId));
        d.field = RestoreField::DeviceAppId;
        typed(&mut d, "not-a-guid");
        d.field = RestoreField::RequestCode;
        assert_eq!(key(&mut d, KeyCode::Enter), Reply::Keep, "a bad app id is not sent");
        assert_eq!(d.field, RestoreField::DeviceAppId);
        assert!(d.error_of(RestoreField::DeviceAppId).is_some());
        d.device_app_id = Input::new("4d1f3b2a-1111-2222-3333-444455556666".into());
        d.field = RestoreField::RequestCode;
        assert_eq!(key(&mut d, KeyCode::Enter), Reply::Form(RestoreAsk::RequestCode));
        let r = d.device_code_request();
        assert_eq!(
            r.target_application_id.as_deref(),
            Some("4d1f3b2a-1111-2222-3333-444455556666")
        );
        assert_eq!(r.target_region, Some(OfficeRegion::USGovernment));
        assert_eq!(r.target_organization_name.as_deref(), Some("contoso.us"));
        // To the original location: nothing of the tenant goes into the restore body.
        d.original = true;
        let plan = d.plan();
        assert_eq!((plan.office_region, plan.office_organization_name.as_str()), (None, ""));
        assert!(
            d.fields().contains(&RestoreField::Region),
            "but the device code still asks for it"
        );
        // The next dialog starts where this one was.
        let again = RestoreDialog::new(source(), mailboxes(), &d.remembered(), false);
        assert_eq!(again.region, Some(OfficeRegion::USGovernment));
        assert_eq!(again.organization.value(), "contoso.us");
    }

    #[test]
    fn original_location_needs_only_credentials() {
        let mut d = RestoreDialog::new(source(), mailboxes(), &Remembered::default(), false);
        key(&mut d, KeyCode::BackTab);
        assert_eq!(d.field, RestoreField::Destination);
        key(&mut d, KeyCode::Char(' '));
        assert!(d.original);
        assert!(!d.fields().contains(&RestoreField::TargetMailbox));
        assert!(!d.fields().contains(&RestoreField::Flag(0)));
        key(&mut d, KeyCode::Enter);
        assert_eq!(
            d.errors.iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![RestoreField::User, RestoreField::Password]
        );
    }
}
