//! The browser without a terminal or a server: fixtures decoded from JSON, the first state and its
//! drawing, and the one table by which in-memory fakes answer requests (for tests that drive `update`):
//! a test says what its fake server holds ([`Data`]), [`answer`] turns a request into its answer.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;
use vex::api::ApiError;
use vex::api::models::{Folder, Item, Mailbox, Organization, Page, RestorePoint, RestoreSession};
use vex::api::points::NamedPoints;
use vex::app::panes::login::LoggedIn;
use vex::app::panes::search_prompt::SearchTarget;
use vex::app::{Answer, Call, DisplayZone, Effect, HeaderInfo, Msg, Request, Response, State, update};
use vex::msg::Preview;
use vex::msg::write::NewMessage;

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

/// A folder's items as a fake server holds them.
#[derive(Clone)]
pub enum Items {
    List(Vec<Item>),
    /// `n` items made by `make(0..n)`; `with_total`: the pages say how many there are.
    Generated {
        n: u64,
        with_total: bool,
        make: fn(u64) -> Item,
    },
}

impl Items {
    pub fn len(&self) -> u64 {
        match self {
            Items::List(v) => v.len() as u64,
            Items::Generated { n, .. } => *n,
        }
    }

    /// The page the server answers from `offset`.
    pub fn page(&self, offset: u64, limit: u32) -> Page<Item> {
        match self {
            Items::List(v) => page(slice(v, offset, limit), offset, limit, None),
            Items::Generated { n, with_total, make } => {
                let end = (offset + limit as u64).min(*n);
                let results = (offset.min(*n)..end).map(make).collect();
                page(results, offset, limit, with_total.then_some(*n as i64))
            }
        }
    }
}

/// Names by id (the jobs and repositories of restore points).
pub type Names = Vec<(String, String)>;

/// What a fake server holds. Every method's default: the fake does not answer that call (the test
/// answers it by hand, or it stays unanswered).
pub trait Data {
    /// The server's refusal of a call, asked first (None: answered from the data below).
    fn refuse(&self, _call: &Call) -> Option<ApiError> {
        None
    }
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        None
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        None
    }
    /// The roots (`None`) or a folder's children.
    fn folders(&self, _parent: Option<&str>) -> Option<Vec<Folder>> {
        None
    }
    fn items(&self, _folder_id: &str) -> Option<Items> {
        None
    }
    /// One item (`Err`: the server's answer, e.g. [`not_found`]).
    fn item(&self, _item_id: &str) -> Option<Result<Item, ApiError>> {
        None
    }
    /// What one item's MSG file shows (`Err`: the server's answer, or the runner's when the file is
    /// too large or no MSG).
    fn preview(&self, _item_id: &str) -> Option<Result<Preview, ApiError>> {
        None
    }
    fn organizations(&self) -> Option<Vec<Organization>> {
        None
    }
    /// An organization's restore points (newest first) and the names of their jobs and repositories.
    fn restore_points(&self, _organization_id: &str) -> Option<(Vec<RestorePoint>, Names)> {
        None
    }
    /// The restore session `explore` starts.
    fn explore(&self, _organization_id: &str) -> Option<RestoreSession> {
        None
    }
    /// Stopping a session succeeds.
    fn stops(&self) -> bool {
        false
    }
    fn login(&self, _user: &str) -> Option<LoggedIn> {
        None
    }
    /// The results of a search (paged like items).
    fn search(&self, _target: &SearchTarget, _query: &str) -> Option<Vec<Item>> {
        None
    }
    /// Every mailbox of the session, for the names of all-mailboxes search results.
    fn mailbox_names(&self) -> Option<Vec<Mailbox>> {
        None
    }
    /// The root folders of a restore's target mailbox.
    fn target_folders(&self) -> Option<Vec<Folder>> {
        None
    }
    /// One folder by id (`GET …/folders/{id}`; `Err`: the server's answer): the walk up to a search
    /// result's folder path asks for them (a folder the fake lacks is a 404).
    fn folder(&self, _folder_id: &str) -> Option<Result<Folder, ApiError>> {
        None
    }
}

/// The walk up to a folder's path against `d`'s folders, at once (the fake's folders are at hand); None
/// when the fake has no folders to answer with.
fn walk_now(
    d: &impl Data,
    folder_id: &str,
    known: &std::collections::HashMap<String, Vec<String>>,
) -> Option<Result<Response, ApiError>> {
    use std::future::Future;
    let unanswered = std::cell::Cell::new(false);
    let walk = vex::api::folder_path::walk(folder_id, known, |id| {
        std::future::ready(d.folder(&id).unwrap_or_else(|| {
            unanswered.set(true);
            Err(not_found())
        }))
    });
    let mut walk = std::pin::pin!(walk);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let result = match walk.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r.map(Response::FolderPaths),
        std::task::Poll::Pending => Err(ApiError::Config("the fake's walk waited".into())),
    };
    (!unanswered.get()).then_some(result)
}

/// What `vex::msg` reads from the MSG file of `m` (written with the emulator's writer): a preview as the
/// runner answers it, through the same parser and sanitiser.
pub fn preview_of(m: &NewMessage) -> Preview {
    let bytes = vex::msg::write::write(m).expect("an MSG file is written");
    vex::msg::parse(&bytes, &vex::msg::Limits::default()).expect("the MSG file parses")
}

/// A message's preview: its `body` (plain text), To `to` (name, address), Cc `cc`, and attachments
/// (name, size).
pub fn mail_preview(body: &str, to: &[(&str, &str)], cc: &[(&str, &str)], attachments: &[(&str, u64)]) -> Preview {
    let person = |(name, address): &(&str, &str)| vex::msg::Person {
        name: name.to_string(),
        address: address.to_string(),
    };
    let recipients = to
        .iter()
        .map(|p| (vex::msg::RecipientKind::To, p))
        .chain(cc.iter().map(|p| (vex::msg::RecipientKind::Cc, p)))
        .map(|(kind, p)| vex::msg::Recipient {
            kind,
            person: person(p),
        })
        .collect();
    preview_of(&NewMessage {
        class: "IPM.Note".into(),
        subject: "preview".into(),
        recipients,
        body: Some(body.to_string()),
        attachments: attachments
            .iter()
            .map(|(name, size)| vex::msg::write::NewAttachment {
                name: name.to_string(),
                size: *size,
                data: b"stand-in".to_vec(),
            })
            .collect(),
        ..NewMessage::default()
    })
}

/// The server's 404 for an item it does not have.
pub fn not_found() -> ApiError {
    ApiError::Http {
        status: 404,
        message: "no such item".into(),
        error_code: None,
    }
}

/// `found`, or the server's 404.
pub fn found(item: Option<Item>) -> Result<Item, ApiError> {
    item.ok_or_else(not_found)
}

/// The restore session every fake starts (`n`): `s-new` of `organization_id`.
pub fn new_session(organization_id: &str) -> RestoreSession {
    from(
        serde_json::json!({"id": "s-new", "organization": organization_id, "type": "Vex",
        "state": "Working", "creationTime": "2024-03-02T10:00:00Z"}),
    )
}

/// The fakes' one table: a fake server's answer to a request (None: the fake does not answer it).
/// Sessions, mailboxes, items and search results are paged by the request's offset and limit.
pub fn answer(d: &impl Data, r: &Request) -> Option<Answer> {
    if let Some(e) = d.refuse(&r.call) {
        return Some(Answer {
            id: r.id,
            result: Err(e),
        });
    }
    let result = match &r.call {
        Call::Sessions { offset, limit } => Ok(Response::Sessions(slice(&d.sessions()?, *offset, *limit))),
        Call::Mailboxes { offset, limit, .. } => Ok(Response::Mailboxes(slice(&d.mailboxes()?, *offset, *limit))),
        Call::Folders { parent, .. } => Ok(Response::Folders(d.folders(parent.as_deref())?)),
        Call::ItemsPage {
            folder_id,
            offset,
            limit,
            ..
        } => Ok(Response::Items(d.items(folder_id)?.page(*offset, *limit))),
        Call::CountItems { folder_id, .. } => Ok(Response::Count(d.items(folder_id)?.len())),
        Call::Item { item_id, .. } => d.item(item_id)?.map(Response::Item),
        Call::Preview { item_id, .. } => d.preview(item_id)?.map(|p| Response::Preview(Box::new(p))),
        Call::Organizations => Ok(Response::Organizations(d.organizations()?)),
        Call::RestorePoints {
            organization_id,
            offset,
            limit,
            ..
        } => {
            let (all, names) = d.restore_points(organization_id)?;
            Ok(Response::RestorePoints(NamedPoints {
                page: page(slice(&all, *offset, *limit), *offset, *limit, Some(all.len() as i64)),
                names: names.into_iter().collect(),
            }))
        }
        Call::Explore { organization_id, .. } => Ok(Response::Session(d.explore(organization_id)?)),
        Call::StopSession { .. } => d.stops().then_some(Ok(Response::Done(())))?,
        Call::Login { user, .. } => Ok(Response::LoggedIn(d.login(user)?)),
        Call::Search {
            target,
            query,
            offset,
            limit,
            ..
        } => Ok(Response::Items(
            Items::List(d.search(target, query)?).page(*offset, *limit),
        )),
        Call::MailboxNames { .. } => Ok(Response::Mailboxes(d.mailbox_names()?)),
        Call::FolderPath { folder_id, known, .. } => walk_now(d, folder_id, known)?,
        Call::TargetFolders { .. } => Ok(Response::Folders(d.target_folders()?)),
        // Restores, exports, sends, device codes and events: the tests answer them by hand.
        Call::Restore { .. }
        | Call::DeviceCode { .. }
        | Call::Events { .. }
        | Call::Download { .. }
        | Call::Send { .. } => return None,
        // Batches read the state directory and run against a server: the tests answer them by hand.
        Call::BatchJournal { .. } | Call::BatchResolve { .. } | Call::Batch(_) => return None,
    };
    Some(Answer { id: r.id, result })
}

/// Answers the requests among `fx` (and those their answers cause) until none is left; returns the
/// effects not answered (other effects, requests the fake does not answer).
pub fn settle(d: &impl Data, s: &mut State, mut fx: Vec<Effect>) -> Vec<Effect> {
    let mut left = Vec::new();
    for _ in 0..100 {
        if fx.is_empty() {
            return left;
        }
        let mut next = Vec::new();
        for e in fx {
            match e.request().and_then(|r| answer(d, r)) {
                Some(a) => next.extend(update(s, Msg::Answer(a))),
                None => left.push(e),
            }
        }
        fx = next;
    }
    panic!("effects do not settle: {fx:?}");
}

/// Like [`settle`], but returns only the requests of the jobs and their views (restores, device codes,
/// events, target folders, downloads, sends), which restore tests answer themselves; other effects that
/// the table leaves unanswered are dropped.
pub fn settle_jobs(d: &impl Data, s: &mut State, fx: Vec<Effect>) -> Vec<Request> {
    settle(d, s, fx)
        .into_iter()
        .filter_map(|e| match e {
            Effect::Request(r) if is_job(&r.call) => Some(r),
            _ => None,
        })
        .collect()
}

/// Restores, exports, sends and their views.
pub fn is_job(c: &Call) -> bool {
    matches!(
        c,
        Call::Restore { .. }
            | Call::DeviceCode { .. }
            | Call::Events { .. }
            | Call::TargetFolders { .. }
            | Call::Download { .. }
            | Call::Send { .. }
    )
}
