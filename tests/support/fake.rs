//! The browser without a terminal or a server: fixtures decoded from JSON, the first state and its
//! drawing, and an in-memory fake's answers to the browsing loads (for tests that drive `update`).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;
use vex::api::models::{Folder, Item, Mailbox, Page, RestoreSession};
use vex::app::jobs::{JobEffect, JobLoaded};
use vex::app::{DisplayZone, Effect, HeaderInfo, Loaded, State};

pub fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("fixture decodes")
}

/// The header of a browser on the demo server: `vex`, v8.
pub fn header() -> HeaderInfo {
    HeaderInfo {
        server: "demo (127.0.0.1:4443)".into(),
        user: "vex".into(),
        api_version: "v8".into(),
        read_only: false,
        insecure: false,
        plain_http: false,
    }
}

/// A browser at 80x24 in UTC without colour, not started.
pub fn new_state() -> State {
    let mut s = State::new(header());
    s.zone = DisplayZone::UTC;
    s.color = false;
    s.size = (80, 24);
    s
}

/// `s` drawn on a `w`x`h` terminal (its size set to the terminal's).
pub fn render(s: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut s = s.clone();
    s.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|fr| vex::ui::draw(fr, &s)).expect("draw");
    t
}

/// Snapshots of a state drawn at 80x24 and at 160x40 (`<name>_80x24`, `<name>_160x40`).
#[allow(unused_macros, reason = "not every test crate takes snapshots")]
macro_rules! snap_both {
    ($name:literal, $state:expr) => {{
        let s = $state;
        insta::assert_snapshot!(
            concat!($name, "_80x24"),
            $crate::support::fake::render(&s, 80, 24).backend()
        );
        insta::assert_snapshot!(
            concat!($name, "_160x40"),
            $crate::support::fake::render(&s, 160, 40).backend()
        );
    }};
}
#[allow(unused_imports, reason = "not every test crate takes snapshots")]
pub(crate) use snap_both;

/// Message `msg-{i}` from Anna Müller: "Quarterly report #{i}".
pub fn message(i: u64) -> Item {
    from(serde_json::json!({
        "id": format!("msg-{i}"), "itemClass": "IPM.Note", "from": "Anna Müller",
        "subject": format!("Quarterly report #{i}"),
        "received": format!("2024-02-{:02}T09:{:02}:00Z", 1 + i % 28, i % 60)
    }))
}

/// At most `limit` of `all`, from `offset`.
pub fn slice<T: Clone>(all: &[T], offset: u64, limit: u32) -> Vec<T> {
    all.iter().skip(offset as usize).take(limit as usize).cloned().collect()
}

/// `results` as the page the server answers from `offset` (`total`: when it counts them).
pub fn page<T>(results: Vec<T>, offset: u64, limit: u32, total: Option<i64>) -> Page<T> {
    Page {
        offset: offset as i64,
        limit: limit as i64,
        set_id: None,
        results,
        links: Default::default(),
        total_count: total,
    }
}

/// The answer to a load of the sessions, the mailboxes or the root folders: all of them in the first page,
/// nothing after it, no subfolders. None for any other effect.
pub fn lists(
    e: &Effect,
    sessions: impl FnOnce() -> Vec<RestoreSession>,
    mailboxes: impl FnOnce() -> Vec<Mailbox>,
    folders: impl FnOnce() -> Vec<Folder>,
) -> Option<Loaded> {
    Some(match e.clone() {
        Effect::LoadSessions { generation, offset, .. } => Loaded::Sessions {
            generation,
            offset,
            result: Ok(if offset == 0 { sessions() } else { vec![] }),
        },
        Effect::LoadMailboxes { generation, offset, .. } => Loaded::Mailboxes {
            generation,
            offset,
            result: Ok(if offset == 0 { mailboxes() } else { vec![] }),
        },
        Effect::LoadFolders { generation, parent, .. } => Loaded::Folders {
            generation,
            result: Ok(if parent.is_none() { folders() } else { vec![] }),
            parent,
        },
        _ => return None,
    })
}

/// The answer to a load or a count of a folder's items: every folder holds `message(0..n)`, all in the
/// first page (uncounted), and counts `n`. None for any other effect.
pub fn items(e: &Effect, n: u64, message: impl Fn(u64) -> Item) -> Option<Loaded> {
    Some(match e.clone() {
        Effect::LoadItemsPage { generation, offset, .. } => Loaded::ItemsPage {
            generation,
            offset,
            result: Ok(page(
                if offset == 0 {
                    (0..n).map(message).collect()
                } else {
                    vec![]
                },
                offset,
                200,
                None,
            )),
        },
        Effect::CountItems { generation, .. } => Loaded::ItemCount {
            generation,
            result: Ok(n),
        },
        _ => return None,
    })
}

/// The answer to the restore dialog's load of a target mailbox's folders: `folders`. None for any other
/// effect.
pub fn target_folders(e: &Effect, folders: impl FnOnce() -> Vec<Folder>) -> Option<Loaded> {
    match e {
        Effect::Job(j) => match &**j {
            JobEffect::LoadTargetFolders { generation, .. } => Some(Loaded::Job(JobLoaded::TargetFolders {
                generation: *generation,
                result: Ok(folders()),
            })),
            _ => None,
        },
        _ => None,
    }
}
