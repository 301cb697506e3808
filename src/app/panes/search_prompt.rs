//! The search prompt (`s`): a query in Windows Search syntax and where to run it; the search it submits
//! ([`SearchSpec`]) and what a results list keeps about it ([`SearchInfo`]). Opening it, showing the
//! results and going back are the browser's (`app::search`); `ui::search_prompt` draws it.
//!
//! The results are shown by the items pane (see [`super::items`]): the same windowed list, paged lazily,
//! fed by the search endpoint instead of the folder's items. `Back` returns to what was shown before the
//! search (the folder's items, the folders, the mailboxes).

use super::details::DetailsPane;
use super::items::ItemsPane;
use crate::api::SearchScope;
use crate::api::models::{Item, Mailbox};
use crate::app::dialogs::{Dialog, DialogReply};
use crate::app::{Effect, Level, State, fields};
use crossterm::event::{KeyCode, KeyEvent};
use std::collections::HashMap;
use tui_input::Input;

/// Longest query the prompt takes, in characters.
pub const MAX_QUERY: usize = 2048;

/// Where a search runs (the owned form of [`SearchScope`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SearchTarget {
    AllMailboxes,
    Mailbox { mailbox_id: String },
    Folder { mailbox_id: String, folder_id: String },
}

impl SearchTarget {
    pub fn as_scope(&self) -> SearchScope<'_> {
        match self {
            SearchTarget::AllMailboxes => SearchScope::AllMailboxes,
            SearchTarget::Mailbox { mailbox_id } => SearchScope::Mailbox(mailbox_id),
            SearchTarget::Folder { mailbox_id, folder_id } => SearchScope::Folder {
                mailbox: mailbox_id,
                folder: folder_id,
            },
        }
    }
}

/// The scopes the prompt offers, narrowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Folder,
    Mailbox,
    All,
}

/// A mailbox's display name (its e-mail when it has none, its id when it has neither).
pub fn mailbox_label(m: &Mailbox) -> String {
    m.name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| m.email.clone().filter(|e| !e.trim().is_empty()))
        .unwrap_or_else(|| m.id.clone())
}

/// What a search can cover from where it was started.
#[derive(Clone, Debug, Default)]
pub struct SearchContext {
    pub session_id: String,
    /// The session's organization ("all mailboxes of Contoso").
    pub organization: Option<String>,
    /// The mailbox under the cursor (or whose folders are open).
    pub mailbox: Option<Mailbox>,
    /// The folder under the cursor or open: (id, path such as `Inbox / Projects`).
    pub folder: Option<(String, String)>,
    /// Names of the session's mailboxes known when the search started, by id: results of an
    /// all-mailboxes search say which mailbox they are in.
    pub mailbox_names: HashMap<String, String>,
    /// `mailbox_names` holds every mailbox of the session (else an all-mailboxes search loads them).
    pub names_complete: bool,
}

impl SearchContext {
    /// The scopes available here, narrowest first (all mailboxes always).
    pub fn scopes(&self) -> Vec<ScopeKind> {
        let mut v = Vec::new();
        if self.mailbox.is_some() {
            if self.folder.is_some() {
                v.push(ScopeKind::Folder);
            }
            v.push(ScopeKind::Mailbox);
        }
        v.push(ScopeKind::All);
        v
    }

    /// How a scope is named: `folder Inbox / Projects`, `mailbox Zoë Müller`, `all mailboxes of Contoso`.
    pub fn label(&self, scope: ScopeKind) -> String {
        match (scope, &self.mailbox, &self.folder) {
            (ScopeKind::Folder, _, Some((_, path))) => format!("folder {path}"),
            (ScopeKind::Folder | ScopeKind::Mailbox, Some(m), _) => format!("mailbox {}", mailbox_label(m)),
            _ => match self.organization.as_deref().filter(|o| !o.trim().is_empty()) {
                Some(org) => format!("all mailboxes of {org}"),
                None => "all mailboxes".into(),
            },
        }
    }

    /// Where `scope` runs; `None` when this context has no such scope.
    pub fn target(&self, scope: ScopeKind) -> Option<SearchTarget> {
        Some(match scope {
            ScopeKind::All => SearchTarget::AllMailboxes,
            ScopeKind::Mailbox => SearchTarget::Mailbox {
                mailbox_id: self.mailbox.as_ref()?.id.clone(),
            },
            ScopeKind::Folder => SearchTarget::Folder {
                mailbox_id: self.mailbox.as_ref()?.id.clone(),
                folder_id: self.folder.as_ref()?.0.clone(),
            },
        })
    }
}

/// A search to run: the query and where.
#[derive(Clone, Debug)]
pub struct SearchSpec {
    pub query: String,
    pub scope: ScopeKind,
    pub context: SearchContext,
}

impl SearchSpec {
    pub fn target(&self) -> SearchTarget {
        self.context.target(self.scope).unwrap_or(SearchTarget::AllMailboxes)
    }

    /// `mailbox Zoë Müller`, ...
    pub fn scope_label(&self) -> String {
        self.context.label(self.scope)
    }

    /// True when every result is in one mailbox (marks and restores of several items work then).
    pub fn one_mailbox(&self) -> bool {
        self.scope != ScopeKind::All
    }
}

/// The search prompt (`s`): the query field and the scope.
#[derive(Clone, Debug)]
pub struct SearchPrompt {
    pub input: Input,
    pub context: SearchContext,
    pub scope: ScopeKind,
    /// Why the last query was refused (by the prompt or by the server).
    pub error: Option<String>,
}

/// What a key did to the prompt.
#[derive(Clone, Debug)]
pub enum SearchReply {
    Keep,
    Cancel,
    Submit(Box<SearchSpec>),
}

impl SearchPrompt {
    /// A prompt with `query` in the field and `scope` chosen when it is available here (else the
    /// narrowest: the folder, else the mailbox, else all mailboxes).
    pub fn new(context: SearchContext, query: &str, scope: Option<ScopeKind>) -> SearchPrompt {
        let scopes = context.scopes();
        let scope = scope
            .filter(|s| scopes.contains(s))
            .unwrap_or_else(|| scopes.first().copied().unwrap_or(ScopeKind::All));
        SearchPrompt {
            input: Input::new(query.to_string()),
            context,
            scope,
            error: None,
        }
    }

    fn cycle(&mut self, forward: bool) {
        let scopes = self.context.scopes();
        let n = scopes.len();
        let i = scopes.iter().position(|s| *s == self.scope).unwrap_or(0);
        self.scope = scopes[if forward { (i + 1) % n } else { (i + n - 1) % n }];
    }

    /// Enter searches, Esc cancels, Tab / S-Tab (or ↓ / ↑) change the scope; other keys edit the query.
    /// What a key press does to the prompt.
    pub fn press(&mut self, ev: &KeyEvent) -> SearchReply {
        match ev.code {
            KeyCode::Esc => return SearchReply::Cancel,
            KeyCode::Tab | KeyCode::Down => self.cycle(true),
            KeyCode::BackTab | KeyCode::Up => self.cycle(false),
            KeyCode::Enter => {
                let query = self.input.value().trim();
                if query.is_empty() {
                    self.error = Some("type what to search for, e.g. from:alice subject:\"invoice\"".into());
                    return SearchReply::Keep;
                }
                return SearchReply::Submit(Box::new(SearchSpec {
                    query: query.to_string(),
                    scope: self.scope,
                    context: self.context.clone(),
                }));
            }
            _ => {
                if fields::is_typing(ev) && self.input.value().chars().count() >= MAX_QUERY {
                    return SearchReply::Keep;
                }
                if fields::edit(&mut self.input, ev) {
                    self.error = None;
                }
            }
        }
        SearchReply::Keep
    }
}

/// What `Back` on the results returns to.
#[derive(Clone, Debug)]
pub struct Back {
    pub items: Option<Box<ItemsPane>>,
    pub details: Option<Box<DetailsPane>>,
    pub focus: Level,
}

/// What a results list keeps about its search.
#[derive(Clone, Debug)]
pub struct SearchInfo {
    pub spec: SearchSpec,
    pub back: Back,
    /// The request for the session's mailbox names (all-mailboxes results name their mailbox).
    pub names_loading: Option<crate::app::RequestId>,
    /// The names were asked for once (answered or not): not again.
    pub names_asked: bool,
}

impl SearchInfo {
    /// The mailbox a result is in: the searched mailbox, or (all mailboxes) what the result says.
    pub fn mailbox_of(&self, it: &Item) -> Option<String> {
        match self.spec.target() {
            SearchTarget::Mailbox { mailbox_id } | SearchTarget::Folder { mailbox_id, .. } => Some(mailbox_id),
            SearchTarget::AllMailboxes => item_mailbox_id(it),
        }
    }

    /// A mailbox's name as known when the search started (its id otherwise).
    pub fn mailbox_name(&self, id: &str) -> String {
        if let Some(m) = self.spec.context.mailbox.as_ref().filter(|m| m.id == id) {
            return mailbox_label(m);
        }
        self.spec
            .context
            .mailbox_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// The mailbox an item says it is in: `mailboxId` (v8), else its `mailbox` link
/// (`.../mailboxes/{id}`).
pub fn item_mailbox_id(it: &Item) -> Option<String> {
    if let Some(id) = it.mailbox_id.as_deref().filter(|s| !s.trim().is_empty()) {
        return Some(id.to_string());
    }
    let href = &it.links.get("mailbox")?.href;
    let path = href.split(['?', '#']).next().unwrap_or_default();
    let (_, rest) = path.rsplit_once("/mailboxes/")?;
    let seg = rest.split('/').next().filter(|s| !s.is_empty())?;
    Some(
        percent_encoding::percent_decode_str(seg)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

impl Dialog for SearchPrompt {
    fn on_key(&mut self, state: &mut State, ev: &KeyEvent, _fx: &mut Vec<Effect>) -> DialogReply {
        match self.press(ev) {
            SearchReply::Keep => DialogReply::Keep,
            SearchReply::Cancel => DialogReply::Close,
            SearchReply::Submit(spec) => {
                crate::app::search::run(state, *spec);
                DialogReply::Close
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn mailbox() -> Mailbox {
        serde_json::from_str(r#"{"id":"mb-1","name":"Zoë Müller","email":"zoe@contoso.com"}"#).expect("mailbox")
    }

    #[test]
    fn scopes_default_to_the_narrowest_and_cycle() {
        let ctx = SearchContext {
            session_id: "s".into(),
            organization: Some("Contoso".into()),
            mailbox: Some(mailbox()),
            folder: Some(("f-1".into(), "Inbox / Projects".into())),
            ..Default::default()
        };
        let mut p = SearchPrompt::new(ctx.clone(), "", None);
        assert_eq!(p.scope, ScopeKind::Folder);
        p.press(&key(KeyCode::Tab));
        assert_eq!(p.scope, ScopeKind::Mailbox);
        p.press(&key(KeyCode::Tab));
        assert_eq!(p.scope, ScopeKind::All);
        assert_eq!(p.context.label(p.scope), "all mailboxes of Contoso");
        p.press(&key(KeyCode::Tab));
        assert_eq!(p.scope, ScopeKind::Folder);
        p.press(&key(KeyCode::BackTab));
        assert_eq!(p.scope, ScopeKind::All);

        let no_folder = SearchContext { folder: None, ..ctx };
        let p = SearchPrompt::new(no_folder.clone(), "", Some(ScopeKind::Folder));
        assert_eq!(p.scope, ScopeKind::Mailbox, "an unavailable scope falls back");
        assert_eq!(p.context.label(p.scope), "mailbox Zoë Müller");
        let bare = SearchContext {
            mailbox: None,
            ..no_folder
        };
        assert_eq!(bare.scopes(), [ScopeKind::All]);
    }

    #[test]
    fn enter_needs_a_query_and_keeps_it() {
        let mut p = SearchPrompt::new(SearchContext::default(), "", None);
        assert!(matches!(p.press(&key(KeyCode::Enter)), SearchReply::Keep));
        assert!(p.error.is_some());
        for c in " from:alice ".chars() {
            p.press(&key(KeyCode::Char(c)));
        }
        assert!(p.error.is_none(), "typing clears the error");
        let SearchReply::Submit(spec) = p.press(&key(KeyCode::Enter)) else {
            panic!("not submitted")
        };
        assert_eq!(spec.query, "from:alice");
        assert_eq!(spec.target(), SearchTarget::AllMailboxes);
        assert_eq!(p.input.value(), " from:alice ", "the field keeps the text");
        assert!(matches!(p.press(&key(KeyCode::Esc)), SearchReply::Cancel));
    }

    #[test]
    fn a_result_names_its_mailbox_by_id_or_link() {
        let v8: Item = serde_json::from_str(r#"{"id":"i","itemClass":"IPM.Note","mailboxId":"mb-9"}"#).expect("item");
        assert_eq!(item_mailbox_id(&v8).as_deref(), Some("mb-9"));
        let v7: Item = serde_json::from_str(
            r#"{"id":"i","itemClass":"IPM.Note","_links":{"mailbox":{"href":"/v7/RestoreSessions/s/organization/mailboxes/mb%2D7"}}}"#,
        )
        .expect("item");
        assert_eq!(item_mailbox_id(&v7).as_deref(), Some("mb-7"));
        let none: Item = serde_json::from_str(r#"{"id":"i"}"#).expect("item");
        assert_eq!(item_mailbox_id(&none), None);
    }
}
