//! The operator's view, the rest of issue 16: where an item is (its folder's path in the details and in a
//! column of search results, all-mailbox search above all), the cursor kept for a session's mailboxes and
//! for search results, and a `/` filter that matches nothing (no item shown, the server search offered).
//! Driven through `update` with an in-memory fake server, checked on the drawn screen (`TestBackend`).

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use std::cell::RefCell;
use support::fake::{self, Items, from, new_state, render};
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, RestoreSession};
use vex::app::panes::search_prompt::SearchTarget;
use vex::app::{Call, Effect, Level, Msg, Overlay, State, update};

// ------------------------------------------------------------------------------------------------
// The fake server
// ------------------------------------------------------------------------------------------------

const RED: &str = "\u{1b}[31mRed\u{1b}[0m \u{202e}cod.exe";
const MB: &str = "/v8/RestoreSessions/s-1/organization/mailboxes";

fn href(mailbox: &str, folder: &str) -> serde_json::Value {
    json!({"href": format!("https://vb365:4443{MB}/{mailbox}/folders/{folder}")})
}

/// A folder of mailbox `mb` (`parent`: its parent folder's id, named in `_links.parent`).
fn folder(mb: &str, id: &str, name: &str, parent: Option<&str>) -> Folder {
    let mut links = serde_json::Map::new();
    links.insert("self".into(), href(mb, id));
    if let Some(p) = parent {
        links.insert("parent".into(), href(mb, p));
    }
    from(json!({"id": id, "name": name, "type": "None", "_links": links}))
}

/// Every folder the fake has (the same ids in both mailboxes; a search result names its mailbox).
fn all_folders() -> Vec<Folder> {
    vec![
        folder("mb-1", "f-inbox", "Inbox", None),
        folder("mb-1", "f-sent", "Sent Items", None),
        folder("mb-1", "f-proj", "Projects", Some("f-inbox")),
        folder("mb-1", "f-2024", "2024", Some("f-proj")),
        folder("mb-1", "f-2025", "2025", Some("f-proj")),
        folder("mb-1", "f-red", RED, Some("f-inbox")),
        // Parents that go round in a circle.
        folder("mb-1", "f-loop1", "Loop 1", Some("f-loop2")),
        folder("mb-1", "f-loop2", "Loop 2", Some("f-loop1")),
    ]
}

fn sessions() -> Vec<RestoreSession> {
    from(json!([
        {"id": "s-1", "organization": "Contoso Ltd", "type": "Vex", "state": "Working",
         "creationTime": "2024-03-01T14:00:00Z"},
        {"id": "s-2", "organization": "Fabrikam", "type": "Vex", "state": "Working",
         "creationTime": "2024-03-01T12:00:00Z"}
    ]))
}

fn mailboxes() -> Vec<Mailbox> {
    from(json!([
        {"id": "mb-1", "name": "Anna Müller", "email": "anna@contoso.com"},
        {"id": "mb-2", "name": "Bob Smith", "email": "bob@contoso.com"},
        {"id": "mb-3", "name": "Chloé Dubois", "email": "chloe@contoso.com"},
        {"id": "mb-4", "name": "Dmitri Ivanov", "email": "dmitri@contoso.com"}
    ]))
}

/// A message in mailbox `mb`, in folder `folder` (None: no parent link at all).
fn result(i: u32, mb: &str, folder: Option<&str>, subject: &str) -> Item {
    let mut links = serde_json::Map::new();
    links.insert(
        "mailbox".into(),
        json!({"href": format!("https://vb365:4443{MB}/{mb}")}),
    );
    if let Some(f) = folder {
        links.insert("parent".into(), href(mb, f));
    }
    from(json!({
        "id": format!("r-{i}"), "itemClass": "IPM.Note", "mailboxId": mb,
        "from": "Quentin Ray <q@fabrikam.com>", "subject": subject,
        "received": format!("2024-02-{:02}T09:00:00Z", 1 + i), "_links": links
    }))
}

/// What an all-mailbox search finds: mail from every kind of place.
fn found() -> Vec<Item> {
    vec![
        result(0, "mb-1", Some("f-2024"), "Budget 2024"),
        result(1, "mb-2", Some("f-sent"), "Budget sent"),
        result(2, "mb-1", Some("f-2025"), "Budget 2025"),
        result(3, "mb-1", Some("f-red"), "Budget in red"),
        result(4, "mb-1", None, "Budget nowhere"),
        result(5, "mb-1", Some("f-gone"), "Budget gone"),
        result(6, "mb-1", Some("f-loop1"), "Budget loop"),
        result(7, "mb-2", Some("f-2024"), "Budget Bob 2024"),
    ]
}

/// `i`: "Quarterly report #i" in a folder's items.
fn mail(i: u64) -> Item {
    from(json!({
        "id": format!("m-{i}"), "itemClass": "IPM.Note", "from": "Anna Müller <anna@contoso.com>",
        "subject": format!("Quarterly report #{i}"),
        "received": format!("2024-02-{:02}T09:{:02}:00Z", 1 + i % 28, i % 60)
    }))
}

struct Fake {
    folders: Vec<Folder>,
    /// The folders asked for one by one (`GET …/folders/{id}`), in order.
    fetched: RefCell<Vec<String>>,
    /// Mailbox lists served (a later one puts a new mailbox first).
    mailbox_loads: RefCell<u32>,
    search_results: Vec<Item>,
}

impl Fake {
    fn new() -> Fake {
        Fake {
            folders: all_folders(),
            fetched: RefCell::new(Vec::new()),
            mailbox_loads: RefCell::new(0),
            search_results: found(),
        }
    }

    fn settle(&self, s: &mut State, fx: Vec<Effect>) {
        fake::settle(self, s, fx);
    }
}

impl fake::Data for Fake {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(sessions())
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(mailboxes())
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        let parent_of = |f: &Folder| vex::api::folder_path::parent_folder_id(f);
        Some(
            self.folders
                .iter()
                .filter(|f| parent_of(f).as_deref() == parent && !f.id.starts_with("f-loop"))
                .cloned()
                .collect(),
        )
    }
    fn items(&self, folder_id: &str) -> Option<Items> {
        match folder_id {
            "f-inbox" => Some(Items::List((0..40).map(mail).collect())),
            _ => Some(Items::List(Vec::new())),
        }
    }
    fn item(&self, item_id: &str) -> Option<Result<Item, ApiError>> {
        let all = self.search_results.iter().cloned().chain((0..40).map(mail));
        Some(fake::found(all.into_iter().find(|i| i.id == item_id)))
    }
    fn search(&self, _target: &SearchTarget, _query: &str) -> Option<Vec<Item>> {
        Some(self.search_results.clone())
    }
    fn mailbox_names(&self) -> Option<Vec<Mailbox>> {
        Some(mailboxes())
    }
    fn folder(&self, folder_id: &str) -> Option<Result<Folder, ApiError>> {
        self.fetched.borrow_mut().push(folder_id.to_string());
        let f = self.folders.iter().find(|f| f.id == folder_id).cloned();
        Some(f.ok_or_else(fake::not_found))
    }
}

/// A fake whose second and later mailbox lists put a new mailbox first (the rows move; ids stay).
struct Moving(Fake);

impl fake::Data for Moving {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        self.0.sessions()
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        let mut n = self.0.mailbox_loads.borrow_mut();
        *n += 1;
        let mut all = mailboxes();
        if *n > 1 {
            all.insert(
                0,
                from(json!({"id": "mb-0", "name": "Aaron New", "email": "aaron@contoso.com"})),
            );
        }
        Some(all)
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        self.0.folders(parent)
    }
}

// ------------------------------------------------------------------------------------------------
// Driving
// ------------------------------------------------------------------------------------------------

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn step(f: &impl fake::Data, s: &mut State, code: KeyCode) {
    let fx = press(s, code);
    fake::settle(f, s, fx);
}

fn typed(f: &impl fake::Data, s: &mut State, text: &str) {
    for c in text.chars() {
        step(f, s, KeyCode::Char(c));
    }
}

fn screen(s: &State, w: u16, h: u16) -> String {
    render(s, w, h).backend().to_string()
}

/// The first screen line containing `needle`.
fn line_with(screen: &str, needle: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{screen}"))
        .to_string()
}

/// The sessions list loaded, at `w`x`h`.
fn started(f: &impl fake::Data, w: u16, h: u16) -> State {
    let mut s = new_state();
    s.size = (w, h);
    let fx = update(&mut s, Msg::Start);
    fake::settle(f, &mut s, fx);
    s
}

/// From the sessions: `s`, the query, Enter (all mailboxes of the first session).
fn search_all(f: &Fake, w: u16, h: u16) -> State {
    let mut s = started(f, w, h);
    step(f, &mut s, KeyCode::Char('s'));
    typed(f, &mut s, "budget");
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    let i = s.items.as_ref().expect("results");
    assert_eq!(
        i.search.as_ref().map(|x| x.spec.target()),
        Some(SearchTarget::AllMailboxes)
    );
    s
}

/// The folder walks asked for among `fx` (before the fake answers them).
fn walks(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e.call(), Some(Call::FolderPath { .. })))
        .count()
}

// ------------------------------------------------------------------------------------------------
// 1. Where an item is
// ------------------------------------------------------------------------------------------------

#[test]
fn all_mailbox_results_show_each_results_folder_path() {
    let f = Fake::new();
    // Below 100 columns the results have the screen to themselves.
    let s = search_all(&f, 99, 20);
    let text = screen(&s, 99, 20);
    let row = |subject: &str| line_with(&text, subject);
    // The column keeps the end of a path that does not fit (the details show it whole).
    assert!(row("Budget 2024 ").contains("… / Projects / 2024 "), "{text}");
    assert!(row("Budget Bob 2024").contains("… / Projects / 2024 "), "{text}");
    assert!(row("Budget sent").contains(" Sent Items "), "{text}");
    assert!(row("Budget 2025").contains("… / Projects / 2025 "), "{text}");
    // A hostile name is shown escaped, never executed (the path's end kept when the column is narrow).
    assert!(row("Budget in red").contains("\\u{202e}cod.exe"), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{202e}'), "{text}");
    // Unknown is said plainly: no link, a 404, a loop.
    for subject in ["Budget nowhere", "Budget gone", "Budget loop"] {
        assert!(row(subject).contains("(not known)"), "{subject}:\n{text}");
    }
    // Each folder was asked for once per mailbox, one walk after the other: Anna's 2024, Projects and
    // Inbox; Bob's Sent Items; Anna's 2025 and the red one alone (their parents known); the 404; the
    // loop's two folders; then Bob's 2024, Projects and Inbox (another mailbox's folders).
    let fetched = f.fetched.borrow().clone();
    assert_eq!(
        fetched,
        [
            "f-2024", "f-proj", "f-inbox", "f-sent", "f-2025", "f-red", "f-gone", "f-loop1", "f-loop2", "f-2024",
            "f-proj", "f-inbox"
        ],
    );
    insta::assert_snapshot!("all_mailbox_search_folder_column_99x20", render(&s, 99, 20).backend());
    // Beside the sessions and the preview: the end of each path.
    insta::assert_snapshot!("all_mailbox_search_folder_column_160x20", render(&s, 160, 20).backend());
}

#[test]
fn the_details_say_where_the_item_is_or_why_that_is_not_known() {
    let f = Fake::new();
    let mut s = search_all(&f, 80, 30);
    let expect = [
        ("r-0", "Inbox / Projects / 2024"),
        ("r-1", "Sent Items"),
        ("r-2", "Inbox / Projects / 2025"),
        ("r-3", "Inbox / \\x1b[31mRed\\x1b[0m \\u{202e}cod.exe"),
        ("r-4", "not known: the server did not say"),
        ("r-5", "not known: the server has no such folder (404)"),
        ("r-6", "not known: the folder's parents go round in a circle"),
    ];
    for (i, (id, want)) in expect.iter().enumerate() {
        step(&f, &mut s, KeyCode::Enter);
        assert_eq!(s.focus, Level::Details);
        assert_eq!(s.details.as_ref().map(|d| d.item.id.as_str()), Some(*id));
        let text = screen(&s, 80, 30);
        let line = line_with(&text, "Folder ");
        assert!(line.contains(want), "{id}: {line}\n{text}");
        step(&f, &mut s, KeyCode::Esc);
        if i + 1 < expect.len() {
            step(&f, &mut s, KeyCode::Down);
        }
    }
    step(&f, &mut s, KeyCode::Char('g'));
    step(&f, &mut s, KeyCode::Enter);
    insta::assert_snapshot!("details_folder_of_a_result_80x30", render(&s, 80, 30).backend());
}

#[test]
fn in_a_folder_the_tree_knows_the_path_and_nothing_is_asked() {
    let f = Fake::new();
    let mut s = started(&f, 120, 30);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Folders);
    // Inbox's items.
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(walks(&fx), 0);
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Items);
    // The reading layout's preview of the item under the cursor says where it is.
    let text = screen(&s, 120, 30);
    assert!(line_with(&text, "Folder ").contains("Inbox"), "{text}");
    let fx = press(&mut s, KeyCode::Enter);
    assert_eq!(walks(&fx), 0, "the details in a folder ask nothing");
    f.settle(&mut s, fx);
    assert_eq!(s.focus, Level::Details);
    assert!(line_with(&screen(&s, 80, 30), "Folder ").contains("Inbox"));
    assert!(f.fetched.borrow().is_empty(), "{:?}", f.fetched.borrow());
    assert_eq!(s.folder_paths.asked, 0);
}

#[test]
fn a_mailbox_search_takes_what_the_open_tree_knows() {
    let f = Fake::new();
    let mut s = started(&f, 160, 20);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Folders);
    // The tree has the roots (Inbox, Sent Items) and, expanded, Inbox's children (Projects, red).
    step(&f, &mut s, KeyCode::Char(' '));
    step(&f, &mut s, KeyCode::Char('s'));
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("no prompt")
    };
    assert_eq!(p.context.mailbox.as_ref().map(|m| m.id.as_str()), Some("mb-1"));
    press(&mut s, KeyCode::Tab); // the folder → the mailbox
    typed(&f, &mut s, "budget");
    step(&f, &mut s, KeyCode::Enter);
    let i = s.items.as_ref().expect("results");
    assert_eq!(
        i.search.as_ref().map(|x| x.spec.target()),
        Some(SearchTarget::Mailbox {
            mailbox_id: "mb-1".into()
        })
    );
    let text = screen(&s, 160, 20);
    assert!(
        line_with(&text, "Budget 2024 ").contains("Inbox / Projects / 2024"),
        "{text}"
    );
    assert!(line_with(&text, "Budget sent").contains("Sent Items"), "{text}");
    // Sent Items and red are in the tree: not asked. 2024 and 2025: only themselves (Projects is in
    // the tree). gone (404) and the loop: asked.
    let fetched = f.fetched.borrow().clone();
    assert!(
        !fetched
            .iter()
            .any(|x| ["f-sent", "f-red", "f-proj", "f-inbox"].contains(&x.as_str())),
        "{fetched:?}"
    );
    assert!(
        fetched.contains(&"f-2024".to_string()) && fetched.contains(&"f-2025".to_string()),
        "{fetched:?}"
    );
}

#[test]
fn a_walk_nobody_shows_any_more_is_let_go() {
    let f = Fake::new();
    let mut s = started(&f, 160, 20);
    step(&f, &mut s, KeyCode::Char('s'));
    typed(&f, &mut s, "budget");
    // The results arrive; the walks are not answered.
    let fx = press(&mut s, KeyCode::Enter);
    let left = fake::settle(&NoWalks(&f), &mut s, fx);
    let asked: Vec<u64> = left
        .iter()
        .filter_map(|e| match e {
            Effect::Request(r) if matches!(r.call, Call::FolderPath { .. }) => Some(r.id),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "one walk at a time: {left:?}");
    assert!(s.requests.waits_for(asked[0]));
    assert!(s.is_loading());
    // Back to where the search started: nothing shows a folder; the walk is let go.
    step(&f, &mut s, KeyCode::Esc);
    assert!(!s.requests.waits_for(asked[0]));
    assert!(s.folder_paths.loading.is_none());
}

/// The fake, except that it does not answer folder walks.
struct NoWalks<'a>(&'a Fake);

impl fake::Data for NoWalks<'_> {
    fn search(&self, target: &SearchTarget, query: &str) -> Option<Vec<Item>> {
        self.0.search(target, query)
    }
    fn mailbox_names(&self) -> Option<Vec<Mailbox>> {
        self.0.mailbox_names()
    }
}

// ------------------------------------------------------------------------------------------------
// 2. The cursor kept: a session's mailboxes, search results
// ------------------------------------------------------------------------------------------------

fn selected_mailbox(s: &State) -> Option<String> {
    s.mailboxes.as_ref()?.selected().map(|m| m.id.clone())
}

#[test]
fn a_sessions_mailboxes_open_again_on_the_same_mailbox() {
    let f = Moving(Fake::new());
    let mut s = started(&f, 80, 24);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Down);
    assert_eq!(selected_mailbox(&s).as_deref(), Some("mb-3"));
    // Another session's mailboxes replace them...
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Down);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.mailboxes.as_ref().map(|m| m.session.id.as_str()), Some("s-2"));
    assert_eq!(
        selected_mailbox(&s).as_deref(),
        Some("mb-0"),
        "a session seen first starts at the top"
    );
    // ...and the first session's come back with the cursor on Chloé, one row further down now.
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Up);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.mailboxes.as_ref().map(|m| m.session.id.as_str()), Some("s-1"));
    assert_eq!(selected_mailbox(&s).as_deref(), Some("mb-3"));
    assert_eq!(s.mailboxes.as_ref().map(|m| m.list.cursor), Some(3));
}

#[test]
fn the_same_search_run_again_puts_the_cursor_back_on_its_result() {
    let f = Fake::new();
    let mut s = search_all(&f, 80, 24);
    for _ in 0..3 {
        step(&f, &mut s, KeyCode::Down);
    }
    let on = s.items.as_ref().and_then(|i| i.selected()).map(|i| i.id.clone());
    assert_eq!(on.as_deref(), Some("r-3"));
    // Back to the sessions, and the same search again.
    step(&f, &mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Sessions);
    step(&f, &mut s, KeyCode::Char('s'));
    typed(&f, &mut s, "budget");
    step(&f, &mut s, KeyCode::Enter);
    let again = s.items.as_ref().and_then(|i| i.selected()).map(|i| i.id.clone());
    assert_eq!(again, on);
    // Another query starts at the top.
    step(&f, &mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Char('s'));
    typed(&f, &mut s, "budget 2024");
    step(&f, &mut s, KeyCode::Enter);
    let other = s.items.as_ref().and_then(|i| i.selected()).map(|i| i.id.clone());
    assert_eq!(other.as_deref(), Some("r-0"));
}

// ------------------------------------------------------------------------------------------------
// 3. A filter that matches nothing
// ------------------------------------------------------------------------------------------------

/// Anna's Inbox (40 items, all loaded) at 120x30: the reading layout.
fn in_inbox(f: &Fake) -> State {
    let mut s = started(f, 120, 30);
    step(f, &mut s, KeyCode::Enter);
    step(f, &mut s, KeyCode::Enter);
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.items.as_ref().map(|i| i.key.folder_id.as_str()), Some("f-inbox"));
    assert_eq!(s.items.as_ref().map(|i| i.partly_loaded()), Some(false));
    s
}

#[test]
fn a_filter_that_matches_nothing_shows_no_item_and_offers_the_server_search() {
    let f = Fake::new();
    let mut s = in_inbox(&f);
    step(&f, &mut s, KeyCode::Char('G'));
    let last = s
        .items
        .as_ref()
        .and_then(|i| i.selected())
        .and_then(|i| i.title().map(str::to_string));
    assert_eq!(last.as_deref(), Some("Quarterly report #39"));
    step(&f, &mut s, KeyCode::Char('/'));
    typed(&f, &mut s, "zzz");
    // While typing: the way to the server search, although everything is loaded.
    let text = screen(&s, 120, 30);
    let status = text.lines().last().unwrap_or_default().to_string();
    assert!(status.contains("Enter, then s: search the server"), "{status:?}");
    step(&f, &mut s, KeyCode::Enter);
    assert!(
        s.items.as_ref().is_some_and(|i| i.selected().is_none()),
        "no item under the cursor"
    );
    let text = screen(&s, 120, 30);
    assert!(
        !text.contains("Quarterly report #39"),
        "the last item is not shown:\n{text}"
    );
    assert!(text.contains("no item matches /zzz"), "{text}");
    assert!(
        text.contains("nothing in this folder matches /zzz · s searches the server"),
        "{text}"
    );
    let hints = text.lines().last().unwrap_or_default().trim_matches('"');
    assert!(hints.starts_with(" s search the server"), "{hints:?}");
    insta::assert_snapshot!("filter_matches_nothing_120x30", render(&s, 120, 30).backend());
    // Enter and Tab open nothing; s opens the search with the filter's words.
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    assert!(s.details.is_none());
    step(&f, &mut s, KeyCode::Char('s'));
    let Some(Overlay::Search(p)) = &s.overlay else {
        panic!("no search prompt: {:?}", s.overlay)
    };
    assert_eq!(p.input.value(), "zzz");
    // Esc, then clearing the filter: the item is back under the cursor.
    press(&mut s, KeyCode::Esc);
    step(&f, &mut s, KeyCode::Esc);
    assert!(s.items.as_ref().is_some_and(|i| i.selected().is_some()));
}

#[test]
fn a_filter_with_matches_over_everything_loaded_still_says_only_the_count() {
    let f = Fake::new();
    let mut s = in_inbox(&f);
    step(&f, &mut s, KeyCode::Char('/'));
    typed(&f, &mut s, "#3");
    step(&f, &mut s, KeyCode::Enter);
    let text = screen(&s, 120, 30);
    assert!(
        !text.lines().last().unwrap_or_default().contains("search the server"),
        "{text}"
    );
    assert!(line_with(&text, "Inbox ·").contains("11 matches"), "{text}");
}
