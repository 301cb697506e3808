//! The batch plan: a TOML file naming what to restore (sources), where to (target), with which flags and
//! which credential mode. Parsing keeps every value's place in the file, so an error — a key vex does not
//! know, a bad pattern, a secret written in the file, or (after resolving against the server) a mailbox
//! that does not exist — names the line of the plan it is about.
//!
//! ```toml
//! session = "86ca0a7b-7e8f-4f03-876e-185bd3ad9a04"   # the restore session (vex sessions new)
//!
//! [[source]]
//! mailboxes = ["anna@contoso.com", "bob@contoso.com"] # or pattern = "*@sales.contoso.com", or all = true
//! folders = ["Inbox", "Inbox/Projects"]               # optional: these folders only (else the mailbox)
//! query = 'from:attacker@evil.example'                # optional: only the items a server search finds
//!
//! [target]
//! mailbox = "restore-admin@contoso.com"               # or original = true
//! folder = "Restored/{mailbox}/{folder}"
//!
//! [flags]
//! changed_items = true
//!
//! [credentials]
//! user = "restore-admin@contoso.com"
//! password_command = "pass show exchange/restore-admin"   # or prompt = true
//! ```

use crate::restore_plan::RestoreFlags;
use serde::Deserialize;
use toml::Spanned;

/// An error in the plan, with the line (1-based) it is about when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

// ---- the file as written ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePlan {
    session: Option<Spanned<String>>,
    /// Accepted only to be refused with their line: a batch does not start its own restore session.
    organization: Option<Spanned<toml::Value>>,
    point_in_time: Option<Spanned<toml::Value>>,
    #[serde(rename = "source")]
    sources: Spanned<Vec<Spanned<FileSource>>>,
    target: Spanned<FileTarget>,
    flags: Option<Spanned<FileFlags>>,
    credentials: Spanned<FileCredentials>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSource {
    mailboxes: Option<Vec<Spanned<String>>>,
    pattern: Option<Spanned<String>>,
    all: Option<Spanned<bool>>,
    #[serde(default)]
    folders: Vec<Spanned<String>>,
    query: Option<Spanned<String>>,
    /// `YYYY-MM-DD`, inclusive (UTC).
    received_from: Option<Spanned<String>>,
    /// `YYYY-MM-DD`, inclusive (UTC).
    received_to: Option<Spanned<String>>,
    /// `[[source.marked]]`: folders by id, whole or some of their items (a plan written from the TUI's
    /// marks, see [`marks_plan_text`]).
    #[serde(default)]
    marked: Vec<Spanned<FileMarked>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMarked {
    folder_id: Spanned<String>,
    /// The folder's path (`Inbox/Projects`): the `{folder}` of the target pattern and the source's words.
    folder: Option<String>,
    /// These items of the folder (ids); absent: the whole folder (the folder endpoint).
    items: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTarget {
    original: Option<Spanned<bool>>,
    mailbox: Option<Spanned<String>>,
    folder: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFlags {
    #[serde(default)]
    changed_items: bool,
    #[serde(default)]
    deleted_items: bool,
    #[serde(default)]
    mark_unread: bool,
    #[serde(default)]
    exclude_drafts: bool,
    #[serde(default)]
    exclude_deleted_items: bool,
    #[serde(default)]
    exclude_in_place_hold_items: bool,
    #[serde(default)]
    exclude_litigation_hold_items: bool,
}

/// Keys that would hold a secret: accepted by the parser only to be refused with their line.
const SECRET_KEYS: &[&str] = &[
    "password",
    "user_password",
    "userpassword",
    "secret",
    "token",
    "certificate_password",
    "application_certificate",
    "client_secret",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCredentials {
    user: Option<Spanned<String>>,
    password_command: Option<Spanned<String>>,
    prompt: Option<Spanned<bool>>,
    // Never accepted: present only so the error can name their line and say why.
    password: Option<Spanned<toml::Value>>,
    user_password: Option<Spanned<toml::Value>>,
    #[serde(rename = "userPassword")]
    user_password_camel: Option<Spanned<toml::Value>>,
    secret: Option<Spanned<toml::Value>>,
    token: Option<Spanned<toml::Value>>,
    certificate_password: Option<Spanned<toml::Value>>,
    client_secret: Option<Spanned<toml::Value>>,
}

// ---- the plan as understood ----

/// Which mailboxes a source names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mailboxes {
    /// E-mail addresses, names or ids, each with its line.
    List(Vec<(String, usize)>),
    /// A glob (`*`, `?`) on the e-mail address or the name, case-insensitive.
    Pattern(String),
    /// Every mailbox of the session.
    All,
}

/// Which items of the source's mailboxes or folders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Items {
    /// Everything (whole mailboxes or folders, restored through the mailbox or folder endpoints).
    All,
    /// What a server search finds (Windows Search syntax).
    Query(String),
    /// Items received (or dated) in this range, days inclusive, `YYYY-MM-DD`.
    Dates {
        from: Option<time::Date>,
        to: Option<time::Date>,
    },
    /// Folders by id, each whole or some of its items by id (the TUI's marks, written as a plan so that
    /// `vex batch` can resume the batch they started).
    Marked(Vec<Marked>),
}

/// A folder of a [`Items::Marked`] source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    pub folder_id: String,
    /// `Inbox/Projects` (may be empty when the TUI did not know it).
    pub folder: String,
    /// Empty: the whole folder.
    pub items: Vec<String>,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The line of the `[[source]]` header.
    pub line: usize,
    pub mailboxes: Mailboxes,
    /// Folder paths (`Inbox/Projects`), each with its line; empty: the whole mailbox.
    pub folders: Vec<(String, usize)>,
    pub items: Items,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Back where the items came from (`restore` endpoints).
    Original,
    /// To another mailbox (`restoreTo`), in a folder made from the pattern: `{mailbox}` is the source
    /// mailbox's e-mail address (its name when it has none), `{folder}` the source folder's path (empty
    /// for a whole mailbox: the mailbox's tree goes under the rest of the pattern).
    Mailbox {
        mailbox: String,
        folder: String,
        line: usize,
    },
}

/// Where the Exchange password comes from: never the plan file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordSource {
    /// A command whose first line of output is the password (run by `sh -c`).
    Command(String),
    /// A no-echo prompt on the terminal.
    Prompt,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialMode {
    pub user: String,
    pub password: PasswordSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub session: String,
    pub session_line: usize,
    pub sources: Vec<Source>,
    pub target: Target,
    /// The line of the `[target]` header.
    pub target_line: usize,
    pub flags: RestoreFlags,
    /// The line of the `[flags]` header (0: no `[flags]`, or a plan not read from a file).
    pub flags_line: usize,
    pub credentials: CredentialMode,
    /// The line of the `[credentials]` header.
    pub credentials_line: usize,
}

/// Characters a glob may hold besides the ones of e-mail addresses and names.
fn check_pattern(p: &str) -> Result<(), String> {
    if p.trim().is_empty() {
        return Err("the pattern is empty".into());
    }
    if p.chars().any(|c| c.is_control()) {
        return Err("the pattern has control characters".into());
    }
    if p.contains('[') || p.contains(']') || p.contains('{') || p.contains('}') {
        return Err(format!(
            "{p:?} is not a pattern vex reads: use * (any characters) and ? (one character); [ ] and {{ }} are not supported"
        ));
    }
    if p.contains("**") {
        return Err(format!("{p:?}: ** is not a pattern; one * matches any characters"));
    }
    Ok(())
}

/// `*` any run of characters, `?` one; case-insensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn parse_day(s: &str) -> Result<time::Date, String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), f).map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// Placeholders a target folder pattern may use.
const PLACEHOLDERS: &[&str] = &["{mailbox}", "{folder}"];

fn check_folder_pattern(p: &str) -> Result<(), String> {
    if p.chars().any(|c| c.is_control()) {
        return Err("the folder pattern has control characters".into());
    }
    let mut rest = p.to_string();
    for ph in PLACEHOLDERS {
        rest = rest.replace(ph, "");
    }
    if let Some(i) = rest.find(['{', '}']) {
        let bad: String = rest[i..].chars().take_while(|c| *c != '/').collect();
        return Err(format!(
            "{bad:?} in the folder pattern is not a placeholder; use {{mailbox}} and {{folder}}"
        ));
    }
    Ok(())
}

impl Plan {
    /// Parses and checks a plan. Every error names the line it is about.
    pub fn parse(text: &str) -> Result<Plan, PlanError> {
        let at = |span: std::ops::Range<usize>| Some(line_of(text, span.start));
        let err = |span: std::ops::Range<usize>, message: String| PlanError {
            line: at(span),
            message,
        };
        let f: FilePlan = toml::from_str(text).map_err(|e| PlanError {
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;

        // Secrets first: a password in the file is refused whatever else is wrong.
        let c = f.credentials.get_ref();
        for (key, v) in [
            ("password", &c.password),
            ("user_password", &c.user_password),
            ("userPassword", &c.user_password_camel),
            ("secret", &c.secret),
            ("token", &c.token),
            ("certificate_password", &c.certificate_password),
            ("client_secret", &c.client_secret),
        ] {
            if let Some(v) = v {
                return Err(err(
                    v.span(),
                    format!(
                        "`{key}`: a secret in the plan file is refused (plans are shared and kept); use \
                         password_command = \"...\" or prompt = true"
                    ),
                ));
            }
        }
        debug_assert!(SECRET_KEYS.contains(&"password"));

        // A batch runs in one restore session named by the plan; it never starts one. Resuming after a
        // kill needs the session the first run used: its events are what settles a restore whose answer
        // was lost, and a session started anew on each run would show none of them.
        const NO_SESSION: &str = "a batch does not start a restore session: start one at the point in time you \
                                  want (vex sessions new --org ORG --at 2025-11-01T00:00:00Z) and name it here as \
                                  session = \"<its id>\"; the batch needs that one session to resume exactly once";
        if let Some(v) = f.organization.as_ref().or(f.point_in_time.as_ref()) {
            return Err(err(v.span(), NO_SESSION.into()));
        }
        let Some(session_field) = f.session else {
            return Err(PlanError {
                line: Some(1),
                message: format!("no session = \"...\": {NO_SESSION}"),
            });
        };
        let session = session_field.get_ref().trim().to_string();
        if !crate::restore_plan::is_guid(&session) {
            return Err(err(
                session_field.span(),
                format!("session {session:?} is not a restore session id (a GUID; see vex sessions list)"),
            ));
        }

        if f.sources.get_ref().is_empty() {
            return Err(err(f.sources.span(), "no [[source]]: name at least one source".into()));
        }
        let mut sources = Vec::new();
        for s in f.sources.into_inner() {
            let line = line_of(text, s.span().start);
            let s = s.into_inner();
            let chosen = [s.mailboxes.is_some(), s.pattern.is_some(), s.all.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            if chosen != 1 {
                return Err(PlanError {
                    line: Some(line),
                    message: "a source names its mailboxes one way: mailboxes = [...], pattern = \"...\" or \
                              all = true"
                        .into(),
                });
            }
            let mailboxes = if let Some(list) = s.mailboxes {
                if list.is_empty() {
                    return Err(PlanError {
                        line: Some(line),
                        message: "mailboxes = [] names no mailbox".into(),
                    });
                }
                let mut out = Vec::new();
                for m in list {
                    let name = m.get_ref().trim().to_string();
                    if name.is_empty() || name.chars().any(|c| c.is_control()) {
                        return Err(err(m.span(), format!("{:?} is not a mailbox", m.get_ref())));
                    }
                    if name.contains(['*', '?']) {
                        return Err(err(
                            m.span(),
                            format!("{name:?} looks like a pattern: write it as pattern = \"{name}\""),
                        ));
                    }
                    out.push((name, line_of(text, m.span().start)));
                }
                Mailboxes::List(out)
            } else if let Some(p) = s.pattern {
                check_pattern(p.get_ref()).map_err(|m| err(p.span(), m))?;
                Mailboxes::Pattern(p.get_ref().trim().to_string())
            } else {
                match s.all {
                    Some(a) if *a.get_ref() => Mailboxes::All,
                    Some(a) => {
                        return Err(err(
                            a.span(),
                            "all = false names no mailbox; leave it out and name them".into(),
                        ));
                    }
                    None => Mailboxes::All,
                }
            };
            let mut folders = Vec::new();
            for fo in &s.folders {
                let path = fo.get_ref().trim().trim_matches('/').to_string();
                if path.is_empty() || path.chars().any(|c| c.is_control()) || path.contains("//") {
                    return Err(err(
                        fo.span(),
                        format!("{:?} is not a folder path (e.g. \"Inbox/Projects\")", fo.get_ref()),
                    ));
                }
                folders.push((path, line_of(text, fo.span().start)));
            }
            let dates = s.received_from.is_some() || s.received_to.is_some();
            let items = match (&s.query, dates) {
                (Some(q), true) => {
                    return Err(err(
                        q.span(),
                        "a source selects items by a query or by dates, not both".into(),
                    ));
                }
                (Some(q), false) => {
                    let t = q.get_ref().trim();
                    if t.is_empty() || t.chars().any(|c| c.is_control()) {
                        return Err(err(q.span(), "the query is empty or has control characters".into()));
                    }
                    if t.matches('"').count() % 2 == 1 {
                        return Err(err(q.span(), format!("the query {t:?} has a quote that is not closed")));
                    }
                    Items::Query(t.to_string())
                }
                (None, true) => {
                    let day = |d: &Option<Spanned<String>>| -> Result<Option<time::Date>, PlanError> {
                        d.as_ref()
                            .map(|d| parse_day(d.get_ref()).map_err(|m| err(d.span(), m)))
                            .transpose()
                    };
                    let (from, to) = (day(&s.received_from)?, day(&s.received_to)?);
                    if let (Some(a), Some(b)) = (from, to)
                        && a > b
                        && let Some(t) = &s.received_to
                    {
                        return Err(err(t.span(), format!("received_to {b} is before received_from {a}")));
                    }
                    if folders.is_empty() {
                        return Err(PlanError {
                            line: Some(line),
                            message: "a date range needs folders = [...]: the items of those folders are listed \
                                      and filtered by date"
                                .into(),
                        });
                    }
                    Items::Dates { from, to }
                }
                (None, false) => Items::All,
            };
            let items = if s.marked.is_empty() {
                items
            } else {
                let one_mailbox = matches!(&mailboxes, Mailboxes::List(l) if l.len() == 1);
                if !one_mailbox || !folders.is_empty() || items != Items::All {
                    return Err(PlanError {
                        line: Some(line),
                        message: "a source with [[source.marked]] names one mailbox (mailboxes = [\"<id>\"]) and \
                                  no folders, query or dates"
                            .into(),
                    });
                }
                let mut out = Vec::new();
                for m in &s.marked {
                    let mline = line_of(text, m.span().start);
                    let m = m.get_ref();
                    let id = m.folder_id.get_ref().trim().to_string();
                    let bad = |x: &str| x.trim().is_empty() || x.chars().any(|c| c.is_control());
                    if bad(&id) {
                        return Err(err(
                            m.folder_id.span(),
                            "folder_id is empty or has control characters".into(),
                        ));
                    }
                    let ids = m.items.clone().unwrap_or_default();
                    if m.items.is_some() && ids.is_empty() || ids.iter().any(|i| bad(i)) {
                        return Err(PlanError {
                            line: Some(mline),
                            message: "items = [...] names item ids (leave it out for the whole folder)".into(),
                        });
                    }
                    let folder = m.folder.clone().unwrap_or_default();
                    if folder.chars().any(|c| c.is_control()) {
                        return Err(PlanError {
                            line: Some(mline),
                            message: "the folder path has control characters".into(),
                        });
                    }
                    out.push(Marked {
                        folder_id: id,
                        folder: folder.trim().trim_matches('/').to_string(),
                        items: ids,
                        line: mline,
                    });
                }
                Items::Marked(out)
            };
            sources.push(Source {
                line,
                mailboxes,
                folders,
                items,
            });
        }

        let t = f.target.get_ref();
        let target_line = line_of(text, f.target.span().start);
        let target = match (&t.original, &t.mailbox) {
            (Some(o), None) if *o.get_ref() => {
                if let Some(fo) = &t.folder {
                    return Err(err(
                        fo.span(),
                        "a restore to the original location goes to the items' own folders: no folder".into(),
                    ));
                }
                Target::Original
            }
            (None | Some(_), Some(m)) if t.original.as_ref().is_none_or(|o| !*o.get_ref()) => {
                let mb = m.get_ref().trim().to_string();
                if !crate::restore_plan::is_email(&mb) {
                    return Err(err(
                        m.span(),
                        format!("the target mailbox {mb:?} is not an e-mail address"),
                    ));
                }
                let folder = t.folder.as_ref().map(|f| f.get_ref().clone()).unwrap_or_default();
                if let Some(fo) = &t.folder {
                    check_folder_pattern(fo.get_ref()).map_err(|m| err(fo.span(), m))?;
                }
                Target::Mailbox {
                    mailbox: mb,
                    folder,
                    line: line_of(text, m.span().start),
                }
            }
            _ => {
                return Err(PlanError {
                    line: Some(target_line),
                    message: "the target is original = true, or mailbox = \"...\" (with folder = \"...\")".into(),
                });
            }
        };

        let flags_line = f.flags.as_ref().map(|x| line_of(text, x.span().start)).unwrap_or(0);
        let no_flags = FileFlags::default();
        let fl = f.flags.as_ref().map(|x| x.get_ref()).unwrap_or(&no_flags);
        let flags = RestoreFlags {
            changed_items: fl.changed_items,
            deleted_items: fl.deleted_items,
            mark_restored_as_unread: fl.mark_unread,
            exclude_drafts: fl.exclude_drafts,
            exclude_deleted_items: fl.exclude_deleted_items,
            exclude_in_place_hold_items: fl.exclude_in_place_hold_items,
            exclude_litigation_hold_items: fl.exclude_litigation_hold_items,
        };

        let cline = line_of(text, f.credentials.span().start);
        let user = match &c.user {
            Some(u) if !u.get_ref().trim().is_empty() => u.get_ref().trim().to_string(),
            Some(u) => return Err(err(u.span(), "the user is empty".into())),
            None => {
                return Err(PlanError {
                    line: Some(cline),
                    message: "[credentials] needs user = \"...\" (the Exchange account restores run as)".into(),
                });
            }
        };
        let password = match (&c.password_command, &c.prompt) {
            (Some(cmd), None) if !cmd.get_ref().trim().is_empty() => PasswordSource::Command(cmd.get_ref().clone()),
            (None, Some(p)) if *p.get_ref() => PasswordSource::Prompt,
            _ => {
                return Err(PlanError {
                    line: Some(cline),
                    message: "[credentials] takes the password from password_command = \"...\" or prompt = true \
                              (one of them; never the password itself)"
                        .into(),
                });
            }
        };
        Ok(Plan {
            session,
            session_line: line_of(text, session_field.span().start),
            sources,
            target,
            target_line,
            flags,
            flags_line,
            credentials: CredentialMode { user, password },
            credentials_line: cline,
        })
    }
}

/// A TOML string (quoted and escaped).
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

impl Plan {
    /// The plan as a file `Plan::parse` reads back to the same plan (lines aside): how a batch started
    /// from the TUI's marks is written to the state directory, so that `vex batch FILE` (or the batch
    /// view) resumes it. `notes` become comments at the top; `labels[i]` is a comment beside source `i`'s
    /// mailboxes (the address of a mailbox named by id). Never a secret: the password source is the
    /// prompt or the command, as in the plan.
    pub fn to_toml(&self, notes: &[String], labels: &[String]) -> String {
        let mut t = String::new();
        for n in notes {
            t.push_str(&format!("# {}\n", n.replace(['\n', '\r'], " ")));
        }
        t.push_str(&format!("session = {}\n", q(&self.session)));
        for (i, s) in self.sources.iter().enumerate() {
            t.push_str("\n[[source]]\n");
            match &s.mailboxes {
                Mailboxes::All => t.push_str("all = true\n"),
                Mailboxes::Pattern(g) => t.push_str(&format!("pattern = {}\n", q(g))),
                Mailboxes::List(l) => {
                    let names: Vec<String> = l.iter().map(|(n, _)| q(n)).collect();
                    t.push_str(&format!("mailboxes = [{}]", names.join(", ")));
                    match labels.get(i).filter(|l| !l.is_empty()) {
                        Some(l) => t.push_str(&format!("   # {}\n", l.replace(['\n', '\r'], " "))),
                        None => t.push('\n'),
                    }
                }
            }
            if !s.folders.is_empty() {
                let f: Vec<String> = s.folders.iter().map(|(f, _)| q(f)).collect();
                t.push_str(&format!("folders = [{}]\n", f.join(", ")));
            }
            match &s.items {
                Items::All => {}
                Items::Query(x) => t.push_str(&format!("query = {}\n", q(x))),
                Items::Dates { from, to } => {
                    if let Some(d) = from {
                        t.push_str(&format!("received_from = {}\n", q(&d.to_string())));
                    }
                    if let Some(d) = to {
                        t.push_str(&format!("received_to = {}\n", q(&d.to_string())));
                    }
                }
                Items::Marked(ms) => {
                    for m in ms {
                        t.push_str("\n[[source.marked]]\n");
                        t.push_str(&format!("folder_id = {}\n", q(&m.folder_id)));
                        if !m.folder.is_empty() {
                            t.push_str(&format!("folder = {}\n", q(&m.folder)));
                        }
                        if !m.items.is_empty() {
                            let ids: Vec<String> = m.items.iter().map(|x| q(x)).collect();
                            t.push_str(&format!("items = [{}]\n", ids.join(", ")));
                        }
                    }
                }
            }
        }
        t.push_str("\n[target]\n");
        match &self.target {
            Target::Original => t.push_str("original = true\n"),
            Target::Mailbox { mailbox, folder, .. } => {
                t.push_str(&format!("mailbox = {}\n", q(mailbox)));
                if !folder.is_empty() {
                    t.push_str(&format!("folder = {}\n", q(folder)));
                }
            }
        }
        let f = &self.flags;
        t.push_str("\n[flags]\n");
        for (k, v) in [
            ("changed_items", f.changed_items),
            ("deleted_items", f.deleted_items),
            ("mark_unread", f.mark_restored_as_unread),
            ("exclude_drafts", f.exclude_drafts),
            ("exclude_deleted_items", f.exclude_deleted_items),
            ("exclude_in_place_hold_items", f.exclude_in_place_hold_items),
            ("exclude_litigation_hold_items", f.exclude_litigation_hold_items),
        ] {
            t.push_str(&format!("{k} = {v}\n"));
        }
        t.push_str("\n[credentials]\n");
        t.push_str(&format!("user = {}\n", q(&self.credentials.user)));
        match &self.credentials.password {
            PasswordSource::Prompt => t.push_str("prompt = true\n"),
            PasswordSource::Command(c) => t.push_str(&format!("password_command = {}\n", q(c))),
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"session = "86ca0a7b-7e8f-4f03-876e-185bd3ad9a04"

[[source]]
mailboxes = ["anna@contoso.com", "Bob Smith"]
folders = ["Inbox", "Inbox/Projects"]

[[source]]
pattern = "*@sales.contoso.com"
query = 'from:attacker@evil.example'

[target]
mailbox = "restore-admin@contoso.com"
folder = "Restored/{mailbox}/{folder}"

[flags]
changed_items = true

[credentials]
user = "restore-admin@contoso.com"
password_command = "pass show exchange"
"#;

    fn refused(text: &str) -> PlanError {
        Plan::parse(text).expect_err("refused")
    }

    #[test]
    fn a_good_plan_is_understood() {
        let p = Plan::parse(GOOD).expect("parses");
        assert_eq!(p.sources.len(), 2);
        assert_eq!(p.sources[0].line, 3);
        assert_eq!(
            p.sources[0].mailboxes,
            Mailboxes::List(vec![("anna@contoso.com".into(), 4), ("Bob Smith".into(), 4)])
        );
        assert_eq!(p.sources[0].folders[1], ("Inbox/Projects".into(), 5));
        assert_eq!(p.sources[1].items, Items::Query("from:attacker@evil.example".into()));
        assert!(matches!(&p.target, Target::Mailbox { folder, .. } if folder == "Restored/{mailbox}/{folder}"));
        assert!(p.flags.changed_items);
        assert_eq!(
            p.credentials.password,
            PasswordSource::Command("pass show exchange".into())
        );
    }

    #[test]
    fn errors_name_their_line() {
        // An unknown key.
        let e = refused(&GOOD.replace("changed_items = true", "changed_items = true\nresore_all = 1"));
        assert_eq!(e.line, Some(17), "{e}");
        assert!(e.message.contains("resore_all"), "{e}");
        // A secret in the file.
        let e = refused(&GOOD.replace("password_command = \"pass show exchange\"", "password = \"hunter2\""));
        assert_eq!(e.line, Some(20), "{e}");
        assert!(e.message.contains("secret"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
        // A bad pattern.
        let e = refused(&GOOD.replace("*@sales.contoso.com", "[a-z]*@sales"));
        assert_eq!(e.line, Some(8), "{e}");
        // A bad placeholder.
        let e = refused(&GOOD.replace("{folder}\"", "{fodler}\""));
        assert_eq!(e.line, Some(13), "{e}");
        assert!(e.message.contains("{fodler}"), "{e}");
        // Not a session id.
        let e = refused(&GOOD.replace("86ca0a7b-7e8f-4f03-876e-185bd3ad9a04", "latest"));
        assert_eq!(e.line, Some(1), "{e}");
        // No session: the batch does not start one, and says how to.
        let e = refused(&GOOD.replace("session = \"86ca0a7b-7e8f-4f03-876e-185bd3ad9a04\"", "# no session"));
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("vex sessions new"), "{e}");
        let e = refused(&GOOD.replace(
            "session = \"86ca0a7b-7e8f-4f03-876e-185bd3ad9a04\"",
            "organization = \"contoso\"\npoint_in_time = \"2025-11-01T00:00:00Z\"",
        ));
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("does not start a restore session"), "{e}");
        let e = refused(&GOOD.replace(
            "session = \"86ca0a7b-7e8f-4f03-876e-185bd3ad9a04\"",
            "session = \"86ca0a7b-7e8f-4f03-876e-185bd3ad9a04\"\npoint_in_time = \"2025-11-01\"",
        ));
        assert_eq!(e.line, Some(2), "{e}");
        // A TOML syntax error.
        let e = refused(&GOOD.replace("[flags]", "[flags"));
        assert_eq!(e.line, Some(15), "{e}");
        // Two ways of naming mailboxes in one source.
        let e = refused(&GOOD.replace("pattern = \"*@sales.contoso.com\"", "pattern = \"*@x\"\nall = true"));
        assert_eq!(e.line, Some(7), "{e}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("*@sales.contoso.com", "Anna@Sales.Contoso.com"));
        assert!(!glob_match("*@sales.contoso.com", "anna@contoso.com"));
        assert!(glob_match("user?@*", "user7@x"));
        assert!(!glob_match("user?@*", "user77@x"));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn a_plan_written_reads_back_the_same() {
        let mut p = Plan::parse(GOOD).expect("parses");
        p.sources.push(Source {
            line: 0,
            mailboxes: Mailboxes::List(vec![("mb-\"7\"".into(), 0)]),
            folders: Vec::new(),
            items: Items::Marked(vec![
                Marked {
                    folder_id: "f-1".into(),
                    folder: "Inbox/Ünïcode \\ \"x\"".into(),
                    items: vec!["i-1".into(), "i-2".into()],
                    line: 0,
                },
                Marked {
                    folder_id: "f-2".into(),
                    folder: String::new(),
                    items: Vec::new(),
                    line: 0,
                },
            ]),
        });
        p.credentials.password = PasswordSource::Prompt;
        let text = p.to_toml(
            &["written from marks\nsecond line".into()],
            &[String::new(), String::new(), "zoe@x".into()],
        );
        let back = Plan::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.to_toml(&[], &[]), p.to_toml(&[], &[]), "{text}");
        let lineless = |p: &Plan| {
            let mut p = p.clone();
            p.session_line = 0;
            p.target_line = 0;
            p.credentials_line = 0;
            p.flags_line = 0;
            if let Target::Mailbox { line, .. } = &mut p.target {
                *line = 0;
            }
            for s in &mut p.sources {
                s.line = 0;
                if let Mailboxes::List(l) = &mut s.mailboxes {
                    l.iter_mut().for_each(|x| x.1 = 0);
                }
                s.folders.iter_mut().for_each(|x| x.1 = 0);
                if let Items::Marked(m) = &mut s.items {
                    m.iter_mut().for_each(|x| x.line = 0);
                }
            }
            p
        };
        assert_eq!(lineless(&back), lineless(&p), "{text}");
        assert!(text.contains("prompt = true") && !text.contains("password ="), "{text}");
        // A marked source names one mailbox and nothing else.
        let line = text
            .lines()
            .find(|l| l.ends_with("# zoe@x"))
            .expect("the marked source's mailboxes");
        let e = refused(&text.replace(line, "mailboxes = [\"a@x\", \"b@x\"]"));
        assert!(e.message.contains("[[source.marked]]"), "{e}\n{text}");
    }
}
