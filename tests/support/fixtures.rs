//! The in-memory server that most tests of the pure `update` browse ([`Browse`]: sessions, mailboxes, the
//! same root folders in every mailbox, generated messages in every folder, the restore target's folders),
//! the mailboxes and folders it is made of, and the keys that drive `update` against any fake
//! ([`Drive`]: each key's requests answered at once, the jobs' requests handed to the test).

use super::fake::{Data, Items, from, message, settle_jobs};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, RestoreSession};
use vex::app::panes::restore_dialog::{RestoreDialog, RestoreField};
use vex::app::{Call, Msg, Overlay, Request, State, update};

/// A mailbox (neither archive nor public).
pub fn mailbox(id: &str, name: &str, email: &str) -> Mailbox {
    from(json!({"id": id, "name": name, "email": email}))
}

/// A mail folder (`type` None) of `category`, or of none.
pub fn folder(id: &str, name: &str, category: Option<&str>) -> Folder {
    match category {
        Some(c) => from(json!({"id": id, "name": name, "type": "None", "category": c})),
        None => from(json!({"id": id, "name": name, "type": "None"})),
    }
}

/// `f-inbox`, Inbox.
pub fn inbox() -> Folder {
    folder("f-inbox", "Inbox", Some("Inbox"))
}

/// `f-sent`, Sent Items.
pub fn sent_items() -> Folder {
    folder("f-sent", "Sent Items", Some("Sent"))
}

/// `f-drafts`, Drafts.
pub fn drafts() -> Folder {
    folder("f-drafts", "Drafts", Some("Drafts"))
}

/// `mb-1`, Zoë Müller.
pub fn zoe() -> Mailbox {
    mailbox("mb-1", "Zoë Müller", "zoe.muller@contoso.com")
}

/// `mb-2`, François Lefèvre.
pub fn francois() -> Mailbox {
    mailbox("mb-2", "François Lefèvre", "francois.lefevre@contoso.com")
}

/// A fake server to browse: its sessions and mailboxes, `folders` as every mailbox's roots (with no
/// children) and as the restore target's folders, `messages` messages ([`message`]) in every folder.
pub struct Browse {
    pub sessions: Vec<RestoreSession>,
    pub mailboxes: Vec<Mailbox>,
    pub folders: Vec<Folder>,
    pub messages: u64,
    /// Answers an item by its id (`msg-N`: [`message`] N); otherwise the item is not answered.
    pub items_by_id: bool,
    /// Stopping a session succeeds; otherwise it is not answered.
    pub stops: bool,
    /// The server's refusals, asked first.
    pub refuse: fn(&Call) -> Option<ApiError>,
}

impl Browse {
    /// Nothing refused, no item by id, no stopping.
    pub fn new(sessions: Vec<RestoreSession>, mailboxes: Vec<Mailbox>, folders: Vec<Folder>, messages: u64) -> Browse {
        Browse {
            sessions,
            mailboxes,
            folders,
            messages,
            items_by_id: false,
            stops: false,
            refuse: |_| None,
        }
    }
}

impl Data for Browse {
    fn refuse(&self, call: &Call) -> Option<ApiError> {
        (self.refuse)(call)
    }
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(self.sessions.clone())
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(self.mailboxes.clone())
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        Some(if parent.is_none() { self.folders.clone() } else { vec![] })
    }
    fn items(&self, _folder_id: &str) -> Option<Items> {
        Some(Items::Generated {
            n: self.messages,
            with_total: false,
            make: message,
        })
    }
    fn item(&self, item_id: &str) -> Option<Result<Item, ApiError>> {
        self.items_by_id
            .then(|| Ok(message(item_id.trim_start_matches("msg-").parse().unwrap_or(0))))
    }
    fn stops(&self) -> bool {
        self.stops
    }
    fn target_folders(&self) -> Option<Vec<Folder>> {
        Some(self.folders.clone())
    }
}

/// The restore dialog on top (fails the test otherwise).
pub fn restore_dialog(s: &State) -> &RestoreDialog {
    match &s.overlay {
        Some(Overlay::Restore(d)) => d,
        other => panic!("no restore dialog: {other:?}"),
    }
}

/// Keys through `update` against a fake: each key's requests answered (and those their answers cause);
/// the requests of jobs and their views are returned for the test to answer.
pub trait Drive: Data + Sized {
    fn key_mod(&self, s: &mut State, code: KeyCode, mods: KeyModifiers) -> Vec<Request> {
        let fx = update(s, Msg::Key(KeyEvent::new(code, mods)));
        settle_jobs(self, s, fx)
    }

    fn key(&self, s: &mut State, code: KeyCode) -> Vec<Request> {
        self.key_mod(s, code, KeyModifiers::NONE)
    }

    fn typed(&self, s: &mut State, text: &str) {
        for c in text.chars() {
            self.key(s, KeyCode::Char(c));
        }
    }

    /// Tab until the restore dialog's focus is on `f`.
    fn tab_to(&self, s: &mut State, f: RestoreField) {
        for _ in 0..40 {
            if restore_dialog(s).field == f {
                return;
            }
            self.key(s, KeyCode::Tab);
        }
        panic!("{f:?} not reached");
    }
}

impl<D: Data> Drive for D {}
