//! Server-side search (`s`) and copying to the clipboard (`y` / `Y`).
//!
//! - Through the real browser loop against the emulator over HTTPS: folder, mailbox and all-mailboxes
//!   searches whose counts are computed independently from the emulator's generated data (not through its
//!   search code), details of a result, `Back`, and a query the server refuses.
//! - Against the pure update with an in-memory fake: the prompt and results snapshots, superseded
//!   searches, errors that keep the query, marks and restores from results, and the clipboard effects.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use std::time::Duration;
use support::app::{AppHarness, Setup};
use support::fake::{self, Items, from, new_state};
use support::fixtures::{self, mailbox};
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, RestoreSession};
use vex::app::panes::search_prompt::{ScopeKind, SearchTarget};
use vex::app::{Answer, Call, Effect, Level, Msg, Overlay, Request, State, update};
use vex::sim::SimConfig;
use vex::sim::data::{Data, Summary};
use vex::sim::ids::{FolderKey, ItemKey, MailboxKey};

const WAIT: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------------------------------------
// Against the emulator (HTTPS, v8)
// ------------------------------------------------------------------------------------------------

/// The loop against the emulator over HTTPS (its certificate pinned), v8, on a `w`x`h` terminal.
async fn start(w: u16, h: u16) -> AppHarness {
    AppHarness::launch(Setup {
        sim: SimConfig::default(),
        size: (w, h),
        wait: WAIT,
        ..Setup::default()
    })
    .await
}

/// The loop at 160x40 with the sessions filtered to Fabrikam's (the newest, working one selected).
async fn at_fabrikam() -> AppHarness {
    let mut h = start(160, 40).await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    h.key(KeyCode::Char('/'));
    h.typed("fabrikam");
    h.key(KeyCode::Enter);
    h.until("the filter", |s| !s.sessions.list.filter.editing).await;
    h
}

impl AppHarness {
    /// Runs a search from the prompt and waits for its first answer.
    async fn search(&mut self, query: &str) {
        self.typed(query);
        self.key(KeyCode::Enter);
        let q = query.to_string();
        self.until("the first results", move |s| {
            s.overlay.is_none()
                && s.items.as_ref().is_some_and(|i| {
                    i.search.as_ref().is_some_and(|x| x.spec.query == q) && !i.is_loading() && i.known_len() > 0
                        || i.error.is_some()
                        || i.total.is_some()
                })
        })
        .await;
    }

    /// Pages through the results (`G` until the end is known); returns the count.
    async fn load_all(&mut self) -> u64 {
        loop {
            let i = self.state().items.as_ref().expect("results");
            assert!(i.error.is_none(), "{:?}", i.error);
            if let Some(t) = i.total {
                return t;
            }
            let had = i.known_len();
            self.key(KeyCode::Char('G'));
            self.until("the next page of results", move |s| {
                s.items
                    .as_ref()
                    .is_some_and(|i| i.total.is_some() || (i.known_len() > had && !i.is_loading()))
            })
            .await;
        }
    }
}

/// The items of `folders` a session sees whose summary satisfies `pred` (computed from the generated data,
/// not through the emulator's search).
fn expected(data: &Data, folders: &[FolderKey], show_deleted: bool, pred: impl Fn(&Summary) -> bool) -> u64 {
    let mut n = 0;
    for &f in folders {
        for idx in 0..data.visible_count(f, show_deleted) {
            if data.summary(ItemKey { folder: f, idx }).is_some_and(|s| pred(&s)) {
                n += 1;
            }
        }
    }
    n
}

fn has(field: &Option<String>, needle: &str) -> bool {
    field
        .as_deref()
        .is_some_and(|f| f.to_lowercase().contains(&needle.to_lowercase()))
}

fn mailbox_key(data: &Data, id: &str) -> MailboxKey {
    let id = uuid::Uuid::parse_str(id).expect("a mailbox uuid");
    data.mailbox_by_id(&id).expect("a known mailbox").key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_mailbox_and_all_mailbox_searches_against_the_emulator() {
    // Fabrikam's working session (its organization has no million-item folder: searches scan it whole).
    let mut h = at_fabrikam().await;
    let session = h.state().sessions.selected().cloned().expect("a fabrikam session");
    assert_eq!(session.state.as_str(), "Working");
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.focus == Level::Mailboxes
            && s.mailboxes
                .as_ref()
                .is_some_and(|m| m.list.len() > 10 && !m.list.is_empty())
    })
    .await;
    let settings = h
        .server
        .store()
        .explore_settings(&session.id)
        .expect("an explore session");
    let show_deleted = settings.show_deleted;
    let mailbox = h
        .state()
        .mailboxes
        .as_ref()
        .and_then(|m| m.selected().cloned())
        .expect("a mailbox");

    // --- Folder scope: Inbox / Invoices, selected in the folder tree.
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 5)
    })
    .await;
    let roots = h.state().folders.as_ref().map(|f| f.nodes.len()).unwrap_or(0);
    h.key(KeyCode::Char(' '));
    h.until("the Inbox's children", move |s| {
        s.folders
            .as_ref()
            .is_some_and(|f| !f.is_loading() && f.nodes.len() > roots)
    })
    .await;
    h.key(KeyCode::Char('/'));
    h.typed("invoices");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('s'));
    h.until("the prompt", |s| matches!(&s.overlay, Some(Overlay::Search(_))))
        .await;
    let Some(Overlay::Search(p)) = &h.state().overlay else {
        unreachable!()
    };
    assert_eq!(p.scope, ScopeKind::Folder, "a folder under the cursor is the default");
    assert_eq!(p.context.label(p.scope), "folder Inbox / Invoices");
    assert!(h.screen().contains("Search on the server"), "{}", h.screen());
    h.search("subject:invoice").await;
    let store = h.server.store().clone();
    let data = store.data();
    let mk = mailbox_key(data, &mailbox.id);
    let invoices = data.folder_by_path(mk, "Inbox/Invoices").expect("Inbox/Invoices");
    let want = expected(data, &[invoices], show_deleted, |s| has(&s.title, "invoice"));
    assert!(want > 0);
    assert_eq!(h.load_all().await, want);
    let screen = h.screen();
    let title = format!("Search: subject:invoice (folder Inbox / Invoices) — {want} result");
    assert!(screen.contains(&title), "{title:?} not in\n{screen}");

    // Enter opens a result's details; Back returns to the results, then to the folders.
    h.key(KeyCode::Char('g'));
    h.key(KeyCode::Enter);
    h.until("the result's details", |s| {
        s.focus == Level::Details && s.details.as_ref().is_some_and(|d| d.loading.is_none())
    })
    .await;
    let selected = h
        .state()
        .items
        .as_ref()
        .and_then(|i| i.selected().cloned())
        .expect("a result");
    let d = h.state().details.clone().expect("details");
    assert_eq!(d.item.id, selected.id);
    assert!(
        h.state().status.as_ref().is_none_or(|s| !s.error),
        "{:?}",
        h.state().status
    );
    h.key(KeyCode::Char('h'));
    h.until("the results again", |s| s.focus == Level::Items).await;
    assert!(h.state().items.as_ref().is_some_and(|i| i.search.is_some()));
    h.key(KeyCode::Char('h'));
    h.until("the folders again", |s| s.focus == Level::Folders).await;
    assert!(h.state().items.is_none(), "no folder was open before the search");

    // --- Mailbox scope (Tab from the folder): a sender's domain and a word.
    let all_folders = data.all_folders(mk);
    let sender = all_folders
        .iter()
        .flat_map(|&f| (0..data.visible_count(f, show_deleted)).map(move |idx| ItemKey { folder: f, idx }))
        .filter_map(|k| data.summary(k))
        .find(|s| has(&s.title, "invoice") && s.from.as_deref().is_some_and(|f| f.contains('@')))
        .and_then(|s| s.from)
        .expect("an invoice with a sender");
    let domain = sender.rsplit('@').next().unwrap_or_default().to_string();
    h.key(KeyCode::Char('s'));
    h.until("the prompt", |s| matches!(&s.overlay, Some(Overlay::Search(_))))
        .await;
    h.key(KeyCode::Tab);
    h.until(
        "the mailbox scope",
        |s| matches!(&s.overlay, Some(Overlay::Search(p)) if p.scope == ScopeKind::Mailbox),
    )
    .await;
    let query = format!("from:{domain} invoice");
    h.search(&query).await;
    let want = expected(data, &all_folders, show_deleted, |s| {
        has(&s.from, &domain) && has(&s.title, "invoice")
    });
    assert!(want > 0);
    assert_eq!(h.load_all().await, want);
    let name = mailbox.name.clone().unwrap_or_default();
    assert!(
        h.screen().contains(&format!("(mailbox {name}) — {want} result")),
        "{}",
        h.screen()
    );

    // --- All mailboxes (from the mailboxes pane): a quoted phrase, several pages.
    h.key(KeyCode::Char('h'));
    h.until("the folders again", |s| s.focus == Level::Folders).await;
    h.key(KeyCode::Esc); // clears the folder filter
    h.key(KeyCode::Esc);
    h.until("the mailboxes again", |s| s.focus == Level::Mailboxes).await;
    h.key(KeyCode::Char('s'));
    h.until("the prompt", |s| matches!(&s.overlay, Some(Overlay::Search(_))))
        .await;
    h.key(KeyCode::Tab);
    h.until(
        "all mailboxes",
        |s| matches!(&s.overlay, Some(Overlay::Search(p)) if p.scope == ScopeKind::All),
    )
    .await;
    h.search("\"invoice #\"").await;
    let org = data
        .orgs
        .iter()
        .find(|o| o.id.to_string() == settings.organization_id)
        .expect("the session's organization");
    let folders: Vec<FolderKey> = org.mailboxes.iter().flat_map(|m| data.all_folders(m.key)).collect();
    let want = expected(data, &folders, show_deleted, |s| has(&s.title, "invoice #"));
    assert!(want > 200, "{want}: the test wants several pages");
    assert!(want < 2_000, "{want}: one G follows the pages to the end");
    // One `G`: the pages are followed to the end (a search has no count) and the cursor lands on the last.
    h.key(KeyCode::Char('G'));
    h.until("the last result", |s| {
        s.items
            .as_ref()
            .is_some_and(|i| i.total.is_some() && i.selected().is_some() && !i.is_loading())
    })
    .await;
    let i = h.state().items.as_ref().expect("results");
    assert_eq!((i.total, i.cursor), (Some(want), want - 1));
    assert!(i.items_held() <= 7 * 200, "memory stays bounded: {}", i.items_held());
    h.key(KeyCode::Char('g'));
    h.until("the first result again", |s| {
        s.items
            .as_ref()
            .is_some_and(|i| i.cursor == 0 && i.selected().is_some())
    })
    .await;
    // (The pane's title is cut at this width; the count is checked in the state.)
    assert!(
        h.screen()
            .contains(&format!("Search: \"invoice #\" (all mailboxes of {}) —", org.name)),
        "{}",
        h.screen()
    );
    // Results say which mailbox they are in; their details load from that mailbox.
    let it = h
        .state()
        .items
        .as_ref()
        .and_then(|i| i.selected().cloned())
        .expect("a result");
    let mb_id = it.mailbox_id.clone().expect("v8 results carry mailboxId");
    let mb_name = data
        .mailbox_by_id(&uuid::Uuid::parse_str(&mb_id).expect("uuid"))
        .expect("mailbox")
        .name
        .clone();
    let first_word = mb_name.split_whitespace().next().unwrap_or_default().to_string();
    assert!(
        h.screen().contains(&first_word),
        "{mb_name:?} not shown\n{}",
        h.screen()
    );
    h.key(KeyCode::Enter);
    h.until("the details of an all-mailboxes result", |s| {
        s.focus == Level::Details && s.details.as_ref().is_some_and(|d| d.loading.is_none())
    })
    .await;
    let d = h.state().details.clone().expect("details");
    assert_eq!(
        (d.key.mailbox_id.as_str(), d.item.id.as_str()),
        (mb_id.as_str(), it.id.as_str())
    );
    assert!(
        h.state().status.as_ref().is_none_or(|s| !s.error),
        "{:?}",
        h.state().status
    );
    h.key(KeyCode::Esc);
    h.key(KeyCode::Esc);
    h.until("the mailboxes again", |s| {
        s.focus == Level::Mailboxes && s.items.is_none()
    })
    .await;

    // --- A query the server refuses: the prompt comes back with the query and the reason.
    h.key(KeyCode::Char('s'));
    h.until("the prompt", |s| matches!(&s.overlay, Some(Overlay::Search(_))))
        .await;
    let bad = "subject:\"invoice";
    h.typed(bad);
    h.key(KeyCode::Enter);
    h.until(
        "the refusal",
        |s| matches!(&s.overlay, Some(Overlay::Search(p)) if p.error.is_some()),
    )
    .await;
    let Some(Overlay::Search(p)) = &h.state().overlay else {
        unreachable!()
    };
    assert_eq!(p.input.value(), bad, "the query is kept for editing");
    let err = p.error.clone().unwrap_or_default();
    assert!(err.contains("refused") && err.contains("quote"), "{err}");
    assert!(h.screen().contains("quote is not closed"), "{}", h.screen());
    h.key(KeyCode::Esc);
    h.until("the prompt closed", |s| s.overlay.is_none()).await;
    let items = h.state().items.as_ref().expect("the failed search's pane");
    assert!(items.error.as_deref().is_some_and(|e| e.contains("quote")));
    assert!(h.screen().contains("s edits the query"), "{}", h.screen());
    // `s` again: the same query, to fix.
    h.key(KeyCode::Char('s'));
    h.until(
        "the prompt",
        |s| matches!(&s.overlay, Some(Overlay::Search(p)) if p.input.value() == bad),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn y_writes_an_osc52_sequence_through_the_runtime() {
    use base64::Engine;
    let mut h = start(80, 24).await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    let id = h.state().sessions.selected().map(|s| s.id.clone()).expect("a session");
    h.key(KeyCode::Char('y'));
    h.until("the copy", |s| {
        s.status.as_ref().is_some_and(|st| st.text.starts_with("copied id"))
    })
    .await;
    let bytes = h.app.last_clipboard.clone().expect("a clipboard sequence");
    let text = String::from_utf8(bytes).expect("ascii");
    let b64 = text
        .strip_prefix("\x1b]52;c;")
        .and_then(|t| t.split('\x07').next())
        .expect("OSC 52");
    let copied = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    assert_eq!(copied, id.as_bytes());
}

// ------------------------------------------------------------------------------------------------
// Against the pure update (an in-memory fake)
// ------------------------------------------------------------------------------------------------

fn sessions() -> Vec<RestoreSession> {
    from(json!([
        {"id": "s-1", "organization": "Contoso Ltd", "type": "Vex", "creationTime": "2024-03-01T14:00:00Z",
         "state": "Working", "result": "Success"}
    ]))
}

fn mailboxes() -> Vec<Mailbox> {
    vec![
        mailbox("mb-1", "Zoë Müller", "zoe.mueller@contoso.com"),
        mailbox("mb-2", "Bob Smith", "bob@contoso.com"),
    ]
}

fn folders() -> Vec<Folder> {
    vec![
        fixtures::inbox(),
        from(json!({"id": "f-cal", "name": "Calendar", "type": "Appointment", "category": "Calendar"})),
    ]
}

fn message(i: u32, mailbox: &str) -> Item {
    from(json!({
        "id": format!("AAMkAGI2TG93-{i:04}"), "itemClass": "IPM.Note", "mailboxId": mailbox,
        "from": "alice@fabrikam.com", "to": "zoe.mueller@contoso.com",
        "subject": format!("Invoice #{} for March", 1000 + i),
        "received": format!("2024-03-{:02}T09:{:02}:00Z", 1 + i % 28, i % 60)
    }))
}

fn inbox() -> Vec<Item> {
    let mut v: Vec<Item> = (0..3).map(|i| message(i, "mb-1")).collect();
    v.push(from(json!({
        "id": "evil-1", "itemClass": "IPM.Note", "from": "mallory\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}@evil.example",
        "subject": "Tab\there\nnew line\u{1b}[2J \u{202e}fdp.exe\u{2028}\u{feff}\u{200f}\u{9b}", "received": "2024-03-09T10:00:00Z"
    })));
    v
}

/// Search results: 3 in one mailbox, or 5 over two mailboxes.
fn results(target: &SearchTarget) -> Vec<Item> {
    match target {
        SearchTarget::AllMailboxes => (0..5)
            .map(|i| message(10 + i, if i % 2 == 0 { "mb-1" } else { "mb-2" }))
            .collect(),
        _ => (0..3).map(|i| message(i, "mb-1")).collect(),
    }
}

/// The fake server: the lists, the Inbox's items for every folder, the search results; not the names of
/// all mailboxes.
struct Server;

impl fake::Data for Server {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(sessions())
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(mailboxes())
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        Some(if parent.is_none() { folders() } else { vec![] })
    }
    fn items(&self, _folder_id: &str) -> Option<Items> {
        Some(Items::List(inbox()))
    }
    fn item(&self, item_id: &str) -> Option<Result<Item, ApiError>> {
        Some(fake::found(
            inbox()
                .into_iter()
                .chain(results(&SearchTarget::AllMailboxes))
                .find(|i| i.id == item_id),
        ))
    }
    fn search(&self, target: &SearchTarget, _query: &str) -> Option<Vec<Item>> {
        Some(results(target))
    }
}

/// Answers effects (and those their answers cause) until none is left; returns the ones not answered.
fn settle(s: &mut State, fx: Vec<Effect>) -> Vec<Effect> {
    fake::settle(&Server, s, fx)
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Presses a key and lets the fake answer; returns the effects it did not answer.
fn step(s: &mut State, code: KeyCode) -> Vec<Effect> {
    let fx = press(s, code);
    settle(s, fx)
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
    }
}

/// Sessions → Contoso → Zoë Müller's folders (cursor on the Inbox).
fn in_folders() -> State {
    let mut s = new_state();
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    step(&mut s, KeyCode::Enter);
    step(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Folders);
    s
}

fn render(s: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| vex::ui::draw(f, s)).expect("draw");
    t
}

fn clipboard(fx: &[Effect]) -> Option<String> {
    fx.iter().find_map(|e| match e {
        Effect::Clipboard(t) => Some(t.clone()),
        _ => None,
    })
}

#[test]
fn the_prompt_and_the_results_pane() {
    let mut s = in_folders();
    press(&mut s, KeyCode::Char('s'));
    typed(&mut s, "from:alice subject:\"invoice\"");
    insta::assert_snapshot!("search_prompt_80x24", render(&s, 80, 24).backend());
    let fx = press(&mut s, KeyCode::Enter);
    let searches: Vec<_> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Request(Request {
                call:
                    Call::Search {
                        target,
                        query,
                        offset,
                        limit,
                        ..
                    },
                ..
            }) => Some((target.clone(), query.clone(), *offset, *limit)),
            _ => None,
        })
        .collect();
    assert_eq!(
        searches,
        [(
            SearchTarget::Folder {
                mailbox_id: "mb-1".into(),
                folder_id: "f-inbox".into()
            },
            "from:alice subject:\"invoice\"".to_string(),
            0,
            200
        )]
    );
    settle(&mut s, fx);
    let items = s.items.as_ref().expect("results");
    assert_eq!((items.total, s.focus), (Some(3), Level::Items));
    insta::assert_snapshot!("search_results_80x24", render(&s, 80, 24).backend());

    // All mailboxes (from the mailboxes pane): the mailbox column.
    step(&mut s, KeyCode::Char('h'));
    step(&mut s, KeyCode::Char('h'));
    assert_eq!(s.focus, Level::Mailboxes);
    press(&mut s, KeyCode::Char('s'));
    press(&mut s, KeyCode::Tab);
    typed(&mut s, "invoice");
    step(&mut s, KeyCode::Enter);
    assert_eq!(s.items.as_ref().and_then(|i| i.total), Some(5));
    s.size = (120, 30);
    insta::assert_snapshot!("search_results_all_120x30", render(&s, 120, 30).backend());
}

#[test]
fn a_newer_search_supersedes_an_older_one() {
    let mut s = in_folders();
    press(&mut s, KeyCode::Char('s'));
    typed(&mut s, "first");
    let first = press(&mut s, KeyCode::Enter);
    // Edit the query before the first answer: the prompt has it.
    press(&mut s, KeyCode::Char('s'));
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("no prompt")
    };
    assert_eq!(p.input.value(), "first");
    typed(&mut s, " second");
    press(&mut s, KeyCode::Tab);
    let second = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&second[..], [Effect::Request(Request { call: Call::Search { query, target: SearchTarget::Mailbox { .. }, .. }, .. })] if query == "first second")
    );
    // The older answer arrives late: dropped.
    for e in &first {
        if let Some(a) = e.request().and_then(|r| fake::answer(&Server, r)) {
            assert!(update(&mut s, Msg::Answer(a)).is_empty());
        }
    }
    assert_eq!(s.items.as_ref().map(|i| i.known_len()), Some(0));
    settle(&mut s, second);
    let items = s.items.as_ref().expect("results");
    assert_eq!(items.total, Some(3));
    assert_eq!(
        items.search.as_ref().map(|x| x.spec.query.as_str()),
        Some("first second")
    );
    // Back returns to where the first search started, not to the first search.
    step(&mut s, KeyCode::Char('h'));
    assert_eq!((s.focus, s.items.is_none()), (Level::Folders, true));
}

#[test]
fn back_returns_to_the_folder_and_it_loads_again() {
    let mut s = in_folders();
    step(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    press(&mut s, KeyCode::Char(' '));
    let marked = s.items.as_ref().map(|i| i.marks.clone()).unwrap_or_default();
    assert_eq!(marked.len(), 1);
    // A reload in flight when the search starts: the search's request supersedes it.
    let reload = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    assert!(reload.iter().any(|e| matches!(
        e,
        Effect::Request(Request {
            call: Call::ItemsPage { .. },
            ..
        })
    )));
    press(&mut s, KeyCode::Char('s'));
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("no prompt")
    };
    assert_eq!(
        p.context.label(p.scope),
        "folder Inbox",
        "the open folder is the default"
    );
    typed(&mut s, "invoice");
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Request(Request {
            call: Call::Search { .. },
            ..
        })
    )));
    // Leave before any answer: the folder asks for its page again.
    let fx = press(&mut s, KeyCode::Char('h'));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Request(Request { call: Call::ItemsPage { folder_id, .. }, .. }) if folder_id == "f-inbox")),
        "{fx:?}"
    );
    settle(&mut s, fx);
    let items = s.items.as_ref().expect("the folder");
    assert!(items.search.is_none() && items.key.folder_id == "f-inbox");
    assert_eq!(items.total, Some(4));
    assert_eq!(items.marks, marked, "its marks are kept");
    assert_eq!(s.focus, Level::Items);
}

#[test]
fn a_refused_query_keeps_its_text_and_a_network_error_shows_in_the_pane() {
    let mut s = in_folders();
    press(&mut s, KeyCode::Char('s'));
    assert!(
        matches!(&press(&mut s, KeyCode::Enter)[..], []),
        "an empty query is not sent"
    );
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("no prompt")
    };
    assert!(
        p.error
            .as_deref()
            .is_some_and(|e| e.contains("type what to search for"))
    );
    typed(&mut s, "subject:\"oops\u{1b}[31m");
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Search { .. },
    })) = fx.first().cloned()
    else {
        panic!("{fx:?}")
    };
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Http {
                status: 400,
                message: "The search query is not valid: a quote is not closed.".into(),
                error_code: None,
            }),
        }),
    );
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("the prompt is not back")
    };
    assert_eq!(p.input.value(), "subject:\"oops\u{1b}[31m");
    assert!(p.error.as_deref().is_some_and(|e| e.contains("refused")));
    // Drawn, the control characters are shown escaped, never raw.
    let screen = render(&s, 80, 24).backend().to_string();
    assert!(screen.contains("oops\\x1b[31m"), "{screen}");
    assert!(!screen.contains('\u{1b}'));

    // A network error (^R runs the search again): the pane says so, the prompt stays closed.
    press(&mut s, KeyCode::Esc);
    let mut fx = update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Search { .. },
    })) = fx.pop()
    else {
        panic!("^R runs the search again")
    };
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Network("connection reset".into())),
        }),
    );
    assert!(s.overlay.is_none(), "only a refused query brings the prompt back");
    let screen = render(&s, 80, 24).backend().to_string();
    assert!(
        screen.contains("connection reset") && screen.contains("s edits the query"),
        "{screen}"
    );
}

#[test]
fn marks_and_restores_from_results() {
    let mut s = in_folders();
    press(&mut s, KeyCode::Char('s'));
    press(&mut s, KeyCode::Tab); // the mailbox
    typed(&mut s, "invoice");
    step(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Char(' '));
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(2));
    press(&mut s, KeyCode::Char('a'));
    assert!(
        s.items.as_ref().is_some_and(|i| !i.all_marked),
        "results are not a folder"
    );
    let fx = press(&mut s, KeyCode::Char('r'));
    settle(&mut s, fx);
    let Some(Overlay::Restore(d)) = &s.overlay else {
        panic!("no restore dialog: {:?}", s.status)
    };
    assert_eq!(d.source.mailbox_id, "mb-1");
    assert_eq!(d.source.mailbox_name, "Zoë Müller");
    assert_eq!(d.source.item_ids.len(), 2);
    assert_eq!(d.source.folder, None);
    press(&mut s, KeyCode::Esc);

    // All mailboxes: no marks (a restore goes to one mailbox), but the selected result restores.
    let mut s = in_folders();
    press(&mut s, KeyCode::Char('s'));
    press(&mut s, KeyCode::BackTab); // all mailboxes
    typed(&mut s, "invoice");
    step(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.items.as_ref().map(|i| i.marks.len()), Some(0));
    assert!(s.status.as_ref().is_some_and(|st| st.text.contains("one mailbox")));
    let fx = press(&mut s, KeyCode::Char('r'));
    settle(&mut s, fx);
    let Some(Overlay::Restore(d)) = &s.overlay else {
        panic!("no restore dialog: {:?}", s.status)
    };
    assert_eq!(d.source.mailbox_id, "mb-2", "the result's own mailbox");
    assert_eq!(d.source.mailbox_name, "Bob Smith");
    assert_eq!(d.source.item_ids, ["AAMkAGI2TG93-0011"]);
}

#[test]
fn y_copies_the_selected_id_and_shift_y_a_summary() {
    let mut s = new_state();
    // Nothing loaded yet: nothing to copy.
    let fx = press(&mut s, KeyCode::Char('y'));
    assert!(clipboard(&fx).is_none());
    assert_eq!(s.status.as_ref().map(|st| st.text.as_str()), Some("nothing to copy"));
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);

    // Sessions pane: the session.
    let fx = press(&mut s, KeyCode::Char('y'));
    assert_eq!(clipboard(&fx).as_deref(), Some("s-1"));
    assert_eq!(
        s.status.as_ref().map(|st| st.text.as_str()),
        Some("copied id s-1 (3 bytes)")
    );
    let fx = press(&mut s, KeyCode::Char('Y'));
    assert_eq!(
        clipboard(&fx).as_deref(),
        Some("Restore session Contoso Ltd | Working | created 2024-03-01 14:00 | id s-1")
    );

    // Mailboxes, folders.
    step(&mut s, KeyCode::Enter);
    let fx = press(&mut s, KeyCode::Char('Y'));
    assert_eq!(
        clipboard(&fx).as_deref(),
        Some("Mailbox Zoë Müller | zoe.mueller@contoso.com | id mb-1")
    );
    step(&mut s, KeyCode::Enter);
    assert_eq!(
        clipboard(&press(&mut s, KeyCode::Char('y'))).as_deref(),
        Some("f-inbox")
    );
    assert_eq!(
        clipboard(&press(&mut s, KeyCode::Char('Y'))).as_deref(),
        Some("Folder Inbox | mailbox Zoë Müller | mail | id f-inbox")
    );

    // Items: the id (abbreviated in the message) and the summary.
    step(&mut s, KeyCode::Enter);
    let fx = press(&mut s, KeyCode::Char('y'));
    assert_eq!(clipboard(&fx).as_deref(), Some("AAMkAGI2TG93-0000"));
    assert_eq!(
        s.status.as_ref().map(|st| st.text.as_str()),
        Some("copied id AAMkAGI2… (17 bytes)")
    );
    let fx = press(&mut s, KeyCode::Char('Y'));
    assert_eq!(
        clipboard(&fx).as_deref(),
        Some(
            "IPM.Note | Invoice #1000 for March | from alice@fabrikam.com | 2024-03-01 09:00 | in Zoë Müller / Inbox \
             | id AAMkAGI2TG93-0000"
        )
    );
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.starts_with("copied summary ("))
    );

    // A hostile item: control characters never reach the clipboard.
    press(&mut s, KeyCode::Char('G'));
    let fx = press(&mut s, KeyCode::Char('Y'));
    let text = clipboard(&fx).expect("a summary");
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.contains("Tab here new line[2J"), "{text:?}");
    // Nor bidi overrides, marks, separators or the byte-order mark: they are shown, not carried.
    assert!(!text.chars().any(vex::text::is_unsafe), "{text:?}");
    assert!(text.contains("\\u{202e}fdp.exe\\u{2028}\\u{feff}\\u{200f}"), "{text:?}");

    // Details: the item shown.
    press(&mut s, KeyCode::Char('g'));
    step(&mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Details);
    assert_eq!(
        clipboard(&press(&mut s, KeyCode::Char('y'))).as_deref(),
        Some("AAMkAGI2TG93-0000")
    );

    // Read-only mode copies too (copying writes nothing to the server).
    s.header.read_only = true;
    assert!(clipboard(&press(&mut s, KeyCode::Char('y'))).is_some());
}

/// An all-mailboxes search from the sessions pane (no mailbox listed yet): the session's mailboxes are
/// loaded once in the background, and each result names its mailbox instead of showing an id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_mailbox_results_name_their_mailbox_when_none_was_listed() {
    let mut h = at_fabrikam().await;
    assert!(h.state().mailboxes.is_none(), "no mailbox listed yet");
    let requests = h.server.fault_stats().requests;
    h.key(KeyCode::Char('s'));
    h.until(
        "the prompt, all mailboxes",
        |s| matches!(&s.overlay, Some(Overlay::Search(p)) if p.scope == ScopeKind::All),
    )
    .await;
    h.search("\"invoice #\"").await;
    // The names, and the folder paths of the results shown (walked up through the folders' parent
    // links: one request per folder, each asked once).
    h.until("the mailbox names and the folder paths", |s| {
        s.items
            .as_ref()
            .and_then(|i| i.search.as_ref())
            .is_some_and(|x| x.spec.context.names_complete && x.names_loading.is_none())
            && s.folder_paths.loading.is_none()
    })
    .await;
    let sent = h.server.fault_stats().requests - requests;
    let (folders, previews) = (h.state().folder_paths.len() as u64, h.state().previews.asked);
    assert!(
        sent <= 3 + folders + previews,
        "one search page and one mailboxes page (50 mailboxes), {folders} folders, {previews} previews: {sent} requests"
    );
    let data = h.server.store().data();
    let items = h.state().items.as_ref().expect("results");
    let info = items.search.as_ref().expect("a search");
    let screen = h.screen();
    let mut named = 0;
    for i in 0..items.display_len().min(20) {
        let Some(it) = items.get(i) else { continue };
        let id = info.mailbox_of(it).expect("v8 results carry mailboxId");
        let want = data
            .mailbox_by_id(&uuid::Uuid::parse_str(&id).expect("uuid"))
            .expect("a mailbox of the emulator")
            .name
            .clone();
        assert_eq!(info.mailbox_name(&id), want);
        let word = want.split_whitespace().next().unwrap_or_default();
        assert!(screen.contains(word), "{want:?} not shown:\n{screen}");
        assert!(!screen.contains(&id), "no mailbox id shown:\n{screen}");
        // Where it is, as the emulator's data has it.
        let k = data.parse_item(&it.id).expect("an item of the emulator");
        let want = data.folder_path(k.folder).replace('/', " / ");
        let key = vex::app::folder_paths::row_folder(items, it).expect("a result names its folder");
        assert_eq!(
            vex::app::folder_paths::shown(h.state(), Ok(&key)),
            vex::app::folder_paths::Shown::Path(want),
        );
        named += 1;
    }
    assert!(named > 5, "{named} results checked");
}
