//! Export to PST (`E`), save as MSG (`s`) and send by mail (`S`): a path (or the addresses), then the
//! download with a progress bar in bytes (or the send, after a confirmation whose default is Cancel).

use super::Help;
use super::restore_dialog::Source;
use crate::api::RestoreScope;
use crate::app::dialogs::{Dialog, DialogReply};
use crate::app::fields::{edit, is_typing};
use crate::app::panes::job_dialog::{self, JobDialog, JobPhase, JobReply, NoAsk};
use crate::app::{Action, Effect, RequestId, State, jobs};
use crate::restore_plan::is_email;
use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;

pub const HELP: Help = &[
    (Action::NextPane, "next field", "next field (Shift-Tab: previous)"),
    (Action::Mark, "toggle", "toggle a checkbox or the address mode"),
    (Action::Open, "go", "export / save / send (on Cancel: close)"),
    (Action::Back, "close", "close (while running: stop waiting; it goes on)"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKind {
    /// Export to a PST file.
    Pst,
    /// Save as MSG (several items: a ZIP of MSGs).
    Msg,
    /// Send by mail (to the mailbox's own address or another one).
    Send,
}

impl TransferKind {
    pub fn title(self) -> &'static str {
        match self {
            TransferKind::Pst => "Export to PST",
            TransferKind::Msg => "Save as MSG",
            TransferKind::Send => "Send by mail",
        }
    }

    pub fn button(self) -> &'static str {
        match self {
            TransferKind::Pst => "Export",
            TransferKind::Msg => "Save",
            TransferKind::Send => "Send…",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferField {
    Path,
    Overwrite,
    /// Default address or a different one.
    SendMode,
    From,
    To,
    Subject,
    Text,
    Submit,
    Cancel,
}

impl TransferField {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            TransferField::Path
                | TransferField::From
                | TransferField::To
                | TransferField::Subject
                | TransferField::Text
        )
    }
}

/// What a key asks of the browser (the form asks nothing beyond sending).
type Reply = JobReply<NoAsk>;

#[derive(Clone, Debug)]
pub struct TransferDialog {
    pub kind: TransferKind,
    pub source: Source,
    pub path: Input,
    pub overwrite: bool,
    /// Send to a different address (else the mailbox's own).
    pub different: bool,
    pub from: Input,
    pub to: Input,
    pub subject: Input,
    pub text: Input,
    pub field: TransferField,
    pub errors: Vec<(TransferField, String)>,
    /// A refusal or a failed download, shown in the dialog (the fields are kept).
    pub server_error: Option<String>,
    pub phase: JobPhase,
}

/// A file name from display names: letters, digits and `-_.@` kept, the rest `_`.
pub fn file_stem(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let t = out.trim_matches(|c| c == '_' || c == '.').to_string();
    let t: String = t.chars().take(80).collect();
    if t.is_empty() { "export".into() } else { t }
}

/// The default file of an export or save: `./<mailbox>-<folder>.pst`, `./<subject>.msg`, `./<mailbox>-<folder>.zip`.
pub fn default_path(kind: TransferKind, s: &Source) -> String {
    let base = match &s.folder {
        Some(f) => format!("{}-{}", s.mailbox_name, f.rsplit(" / ").next().unwrap_or(f)),
        None => s.mailbox_name.clone(),
    };
    match kind {
        TransferKind::Pst => format!("./{}.pst", file_stem(&base)),
        TransferKind::Msg if s.ids().len() == 1 => {
            format!("./{}.msg", file_stem(s.item_title.as_deref().unwrap_or(&base)))
        }
        TransferKind::Msg => format!("./{}.zip", file_stem(&base)),
        TransferKind::Send => String::new(),
    }
}

/// The file name of [`default_path`] alone (what an export into a directory is called).
pub fn default_file_name(kind: TransferKind, s: &Source) -> String {
    let p = default_path(kind, s);
    p.strip_prefix("./").unwrap_or(&p).to_string()
}

impl TransferDialog {
    /// The dialog, or why this kind does not apply to the source.
    pub fn new(kind: TransferKind, source: Source) -> Result<TransferDialog, String> {
        if kind != TransferKind::Pst && !matches!(source.scope, RestoreScope::Items | RestoreScope::Item(_)) {
            return Err(format!(
                "{} works on items: mark them with Space (a whole folder: E exports it to PST)",
                kind.title().to_lowercase()
            ));
        }
        let path = Input::new(default_path(kind, &source));
        let subject = Input::new(match &source.item_title {
            Some(t) if source.ids().len() == 1 => format!("Restored: {t}"),
            _ => format!("Restored items from {}", source.from_label()),
        });
        Ok(TransferDialog {
            kind,
            source,
            path,
            overwrite: false,
            different: false,
            from: Input::default(),
            to: Input::default(),
            subject,
            text: Input::default(),
            field: if kind == TransferKind::Send {
                TransferField::SendMode
            } else {
                TransferField::Path
            },
            errors: Vec::new(),
            server_error: None,
            phase: JobPhase::Form,
        })
    }

    pub fn fields(&self) -> Vec<TransferField> {
        let mut v = match self.kind {
            TransferKind::Pst | TransferKind::Msg => vec![TransferField::Path, TransferField::Overwrite],
            TransferKind::Send if self.different => {
                vec![
                    TransferField::SendMode,
                    TransferField::From,
                    TransferField::To,
                    TransferField::Subject,
                    TransferField::Text,
                ]
            }
            TransferKind::Send => vec![TransferField::SendMode],
        };
        v.extend([TransferField::Submit, TransferField::Cancel]);
        v
    }

    pub fn error_of(&self, f: TransferField) -> Option<&str> {
        self.errors.iter().find(|(g, _)| *g == f).map(|(_, m)| m.as_str())
    }

    /// The job this dialog shows (running or done).
    pub fn job(&self) -> Option<RequestId> {
        self.phase.job()
    }

    /// "Send 3 items from Zoë Müller (Inbox) to …" / "Export 3 items from … to ./x.pst".
    pub fn summary(&self) -> String {
        let what = self.source.what();
        let from = self.source.from_label();
        let verb = match self.kind {
            TransferKind::Pst => "Export",
            TransferKind::Msg => "Save",
            TransferKind::Send => "Send",
        };
        format!("{verb} {what} from {from} to {}", self.destination())
    }

    /// Where it goes, as the summary names it after "to ": the path typed, or the recipient.
    pub fn destination(&self) -> String {
        match self.kind {
            TransferKind::Pst | TransferKind::Msg => self.path.value().trim().to_string(),
            TransferKind::Send if self.different => self.to.value().trim().to_string(),
            TransferKind::Send => format!(
                "the mailbox's own address{}",
                self.source
                    .mailbox_email
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        }
    }

    fn validate(&mut self) -> bool {
        self.errors.clear();
        match self.kind {
            TransferKind::Pst | TransferKind::Msg => {
                if self.path.value().trim().is_empty() {
                    self.errors
                        .push((TransferField::Path, "a file to write is required".into()));
                }
            }
            TransferKind::Send if self.different => {
                let to = self.to.value().trim();
                if to.is_empty() {
                    self.errors
                        .push((TransferField::To, "the recipient is required".into()));
                } else if !is_email(to) {
                    self.errors
                        .push((TransferField::To, format!("{to:?} is not an email address")));
                }
                let from = self.from.value().trim();
                if !from.is_empty() && !is_email(from) {
                    self.errors
                        .push((TransferField::From, format!("{from:?} is not an email address")));
                }
            }
            TransferKind::Send => {}
        }
        if let Some((f, _)) = self.errors.first() {
            self.field = *f;
            return false;
        }
        true
    }

    fn submit(&mut self) -> Reply {
        if !self.validate() {
            return Reply::Keep;
        }
        if self.kind == TransferKind::Send {
            self.phase = JobPhase::Confirm {
                yes: false,
                lines: vec![self.summary(), "Mail leaves the organization as you address it.".into()],
            };
            return Reply::Keep;
        }
        Reply::Send
    }

    /// A key in the form: its fields, checking (and confirming a send).
    fn keys(&mut self, ev: &KeyEvent) -> Reply {
        match ev.code {
            KeyCode::Esc => return Reply::Close,
            KeyCode::Tab | KeyCode::Down => {
                self.step(true);
                return Reply::Keep;
            }
            KeyCode::BackTab | KeyCode::Up => {
                self.step(false);
                return Reply::Keep;
            }
            KeyCode::Enter => {
                return match self.field {
                    TransferField::Cancel => Reply::Close,
                    _ => self.submit(),
                };
            }
            _ => {}
        }
        let space = ev.code == KeyCode::Char(' ') && is_typing(ev);
        match self.field {
            TransferField::Overwrite if space => self.overwrite = !self.overwrite,
            TransferField::SendMode if space || matches!(ev.code, KeyCode::Left | KeyCode::Right) => {
                self.different = !self.different;
                self.errors.clear();
            }
            TransferField::Submit if space => return self.submit(),
            TransferField::Cancel if space => return Reply::Close,
            f if f.is_text() => {
                let input = match f {
                    TransferField::Path => &mut self.path,
                    TransferField::From => &mut self.from,
                    TransferField::To => &mut self.to,
                    TransferField::Subject => &mut self.subject,
                    _ => &mut self.text,
                };
                if edit(input, ev) {
                    self.errors.retain(|(g, _)| *g != f);
                }
            }
            _ => {}
        }
        Reply::Keep
    }
}

impl JobDialog for TransferDialog {
    type Field = TransferField;
    type Ask = NoAsk;

    fn phase(&self) -> &JobPhase {
        &self.phase
    }

    fn phase_mut(&mut self) -> &mut JobPhase {
        &mut self.phase
    }

    fn focus_mut(&mut self) -> &mut TransferField {
        &mut self.field
    }

    fn server_error_mut(&mut self) -> &mut Option<String> {
        &mut self.server_error
    }

    fn field_order(&self) -> Vec<TransferField> {
        self.fields()
    }

    fn form_key(&mut self, ev: &KeyEvent) -> Reply {
        self.keys(ev)
    }

    fn send(&mut self, state: &mut State, fx: &mut Vec<Effect>) {
        jobs::start_transfer(state, self, fx)
    }

    fn ask(&mut self, ask: NoAsk, _state: &mut State, _fx: &mut Vec<Effect>) {
        match ask {}
    }

    fn stop_waiting_words(&self) -> &'static str {
        "stopped waiting: it goes on; R shows its result when it ends"
    }
}

impl Dialog for TransferDialog {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, fx: &mut Vec<Effect>) -> DialogReply {
        job_dialog::on_key(self, state, ev, fx)
    }

    fn on_job_end(&mut self, generation: RequestId, refusal: Option<String>) -> bool {
        self.job_ended(generation, refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn source(scope: RestoreScope) -> Source {
        Source {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            mailbox_name: "Zoë Müller".into(),
            mailbox_email: Some("zoe@contoso.com".into()),
            folder: Some("Inbox / Projects".into()),
            scope,
            item_ids: vec!["1".into(), "2".into()],
            item_title: None,
            marks: None,
            folder_total: None,
            point_in_time: String::new(),
            date_label: None,
        }
    }

    #[test]
    fn default_paths_and_scopes() {
        let s = source(RestoreScope::Items);
        assert_eq!(default_path(TransferKind::Pst, &s), "./Zoë_Müller-Projects.pst");
        assert_eq!(default_path(TransferKind::Msg, &s), "./Zoë_Müller-Projects.zip");
        let mut one = source(RestoreScope::Item("1".into()));
        one.item_title = Some("Q1 budget: final/2".into());
        assert_eq!(default_path(TransferKind::Msg, &one), "./Q1_budget_final_2.msg");
        assert!(TransferDialog::new(TransferKind::Msg, source(RestoreScope::Folder("f".into()))).is_err());
        assert!(TransferDialog::new(TransferKind::Pst, source(RestoreScope::Folder("f".into()))).is_ok());
    }

    #[test]
    fn send_to_a_different_address_validates_and_confirms() {
        let mut d = TransferDialog::new(TransferKind::Send, source(RestoreScope::Items)).unwrap();
        let k = |d: &mut TransferDialog, c| d.press(&KeyEvent::new(c, KeyModifiers::NONE));
        k(&mut d, KeyCode::Char(' '));
        assert!(d.different);
        assert_eq!(k(&mut d, KeyCode::Enter), Reply::Keep);
        assert_eq!(d.field, TransferField::To);
        for c in "a@b.com".chars() {
            k(&mut d, KeyCode::Char(c));
        }
        k(&mut d, KeyCode::Enter);
        assert!(matches!(d.phase, JobPhase::Confirm { yes: false, .. }));
        k(&mut d, KeyCode::Enter);
        assert_eq!(d.phase, JobPhase::Form);
        k(&mut d, KeyCode::Enter);
        k(&mut d, KeyCode::Right);
        assert_eq!(k(&mut d, KeyCode::Enter), Reply::Send);
    }
}
