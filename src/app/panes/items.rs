//! The items of a folder: a window of pages cached by offset around the cursor (a million-item folder
//! never holds more than a few pages), the end found by counting, marks kept per list.

use super::search_prompt::{Back, SearchInfo, SearchSpec};
use super::{Ctx, Heard, Help, Pane, PaneReply, split_answer};
use crate::api::ApiError;
use crate::api::models::{Folder, FolderType, Item, ItemData, Mailbox, Page};
use crate::app::list::{Filter, PREFETCH, Viewport, filter_count};
use crate::app::request::{PaneAsk, Response, take};
use crate::app::{Action, Call, Effect, Level, RequestId, Requests, To};
use std::collections::{BTreeMap, BTreeSet};

/// Rows per page request while streaming (pages are cached at multiples of it).
pub const ITEMS_PAGE: u32 = 200;
/// Rows of a folder's first request: a screenful, answered sooner than a whole page (the time to the
/// first rows); the rest of that page is asked for at once.
pub const FIRST_ROWS: u32 = 64;
/// Pages kept on each side of the cursor's page; the rest are evicted.
pub const KEEP_PAGES: u64 = 3;
/// How many more rows one `G` follows search results for (the search API reports no count).
pub const SEARCH_CHASE_ROWS: u64 = 2_000;

pub const HELP: Help = &[
    (Action::Open, "details", "show the item's details"),
    (Action::Mark, "mark", "mark / unmark the item"),
    (Action::Restore, "restore", "restore the marked (or selected) items"),
    (Action::Back, "back", "back to the folders (clears a filter first)"),
    (Action::Filter, "filter", "filter the loaded items"),
    (Action::Last, "last", "last item (counts a big folder first)"),
    (Action::MarkAll, "mark all", "mark / unmark the whole folder"),
    (Action::ExportPst, "export", "export the marked items to PST"),
    (Action::SaveMsg, "save", "save the marked items as MSG"),
    (Action::Send, "send", "send the marked items by mail"),
    (Action::Results, "results", "results of restores, exports and sends"),
    (Action::Events, "events", "events of the restore session"),
    (Action::Search, "search", "search on the server: folder, mailbox or all"),
    (Action::CopyId, "copy id", "copy the item's id to the clipboard"),
    (Action::CopySummary, "copy", "copy a one-line summary of the item"),
];

/// Which columns a folder's items get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemColumns {
    Messages,
    /// Mail the mailbox's owner sent or is sending (Sent Items, Drafts, Outbox): To and Sent instead of
    /// From and Received.
    Outgoing,
    Calendar,
    Contacts,
    Tasks,
    Journal,
    Notes,
    /// Search results (of any class): type, from, subject, date.
    Search,
    /// Results of an all-mailboxes search: the mailbox too.
    SearchAll,
}

impl ItemColumns {
    pub fn for_folder(f: &Folder) -> ItemColumns {
        match &f.folder_type {
            Some(FolderType::Appointment) => ItemColumns::Calendar,
            Some(FolderType::Contact) => ItemColumns::Contacts,
            Some(FolderType::Task) => ItemColumns::Tasks,
            Some(FolderType::Journal) => ItemColumns::Journal,
            Some(FolderType::StickyNote) => ItemColumns::Notes,
            _ if is_outgoing(f) => ItemColumns::Outgoing,
            _ => ItemColumns::Messages,
        }
    }
}

/// Whether a mail folder holds what the owner sent or is sending. The folder's `category` (the spec's
/// well-known folder: `Sent`, `Drafts`, `Outbox`) decides. Assumption: a folder without a category
/// (a server that leaves it out, the spec marks nothing required) is recognised by its English display
/// name as Exchange creates it (`Sent Items`, `Drafts`, `Outbox`); a localised name without a category
/// gets the received-mail columns.
pub fn is_outgoing(f: &Folder) -> bool {
    match f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => ["Sent", "Drafts", "Outbox"].iter().any(|k| c.eq_ignore_ascii_case(k)),
        None => f.name.as_deref().map(str::trim).is_some_and(|n| {
            ["Sent Items", "Drafts", "Outbox"]
                .iter()
                .any(|k| n.eq_ignore_ascii_case(k))
        }),
    }
}

/// Identifies an items list (marks are kept per list).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListKey {
    pub session_id: String,
    pub mailbox_id: String,
    pub folder_id: String,
}

/// What Space did in an items list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkToggle {
    Marked,
    Unmarked,
    /// No loaded item under the cursor.
    NoItem,
    /// The whole folder was marked: now `marked` of its `total` items are, one by one (the row under the
    /// cursor is not).
    SplitAll {
        marked: u64,
        total: u64,
    },
    /// The whole folder is marked but not all of it is loaded: nothing changed.
    NotAllLoaded,
}

impl MarkToggle {
    /// The status line's words for it (None: the title says enough).
    pub fn status(self) -> Option<(String, bool)> {
        match self {
            MarkToggle::SplitAll { marked, total } => Some((
                format!(
                    "this item unmarked: {} of {} items marked one by one (no longer the whole folder)",
                    crate::text::thousands(marked),
                    crate::text::thousands(total)
                ),
                false,
            )),
            MarkToggle::NotAllLoaded => Some((
                "the whole folder is marked and not all of it is loaded: * clears the mark, then Space marks items one by one".into(),
                true,
            )),
            _ => None,
        }
    }
}

/// One shown row.
pub enum Row<'a> {
    Item(&'a Item),
    /// Not loaded (yet).
    Pending,
}

#[derive(Clone, Debug)]
pub struct ItemsPane {
    pub key: ListKey,
    pub folder: Folder,
    /// The folder's path for the breadcrumb (`Inbox / Projects`).
    pub path: String,
    pub columns: ItemColumns,
    /// Loaded pages by offset (multiples of [`ITEMS_PAGE`]).
    pages: BTreeMap<u64, Vec<Item>>,
    /// The number of items, once known (a short page, the server's totalCount, or a count).
    pub total: Option<u64>,
    /// Absolute index of the selected item.
    pub cursor: u64,
    pub view: Viewport,
    /// The page request in flight: (offset, generation), and its limit.
    in_flight: Option<(u64, RequestId)>,
    in_flight_limit: u32,
    /// The count request in flight.
    counting: Option<RequestId>,
    /// `G` was pressed before the end was known: go there when the count arrives.
    pending_last: bool,
    /// Rows of Down/PageDown asked for past the loaded end while the end is unknown: the cursor waits
    /// on the "loading" row and moves on when the page arrives (holding Down loses no key presses).
    owed_down: u64,
    pub marks: BTreeSet<String>,
    /// Every item of the folder is marked, loaded or not: restores and exports go through the folder.
    pub all_marked: bool,
    pub filter: Filter,
    /// With a filter: the absolute indices of the matching loaded items, and the cursor among them.
    filtered: Option<Vec<u64>>,
    fcursor: usize,
    pub error: Option<String>,
    /// Set when the list shows the results of a server-side search instead of a folder's items.
    pub search: Option<Box<SearchInfo>>,
    /// The item the cursor goes back to once loaded (re-entering a folder; see `app::recall`).
    seek: Option<String>,
}

impl ItemsPane {
    pub fn new(key: ListKey, folder: Folder, path: String, marks: BTreeSet<String>) -> ItemsPane {
        let columns = ItemColumns::for_folder(&folder);
        ItemsPane {
            key,
            folder,
            path,
            columns,
            pages: BTreeMap::new(),
            total: None,
            cursor: 0,
            view: Viewport::default(),
            in_flight: None,
            in_flight_limit: ITEMS_PAGE,
            counting: None,
            pending_last: false,
            owed_down: 0,
            marks,
            all_marked: false,
            filter: Filter::default(),
            filtered: None,
            fcursor: 0,
            error: None,
            search: None,
            seek: None,
        }
    }

    /// A list of search results; `back` is what `Back` returns to.
    pub fn for_search(spec: SearchSpec, back: Back) -> ItemsPane {
        let mailbox_id = spec.context.mailbox.as_ref().map(|m| m.id.clone()).unwrap_or_default();
        let key = ListKey {
            session_id: spec.context.session_id.clone(),
            mailbox_id: if spec.one_mailbox() { mailbox_id } else { String::new() },
            // No folder has an empty id: the marks of a search are never mixed with a folder's.
            folder_id: String::new(),
        };
        let folder = Folder {
            id: String::new(),
            name: Some("Search".into()),
            folder_type: None,
            category: None,
            description: None,
            mailbox_id: None,
            links: Default::default(),
        };
        let path = format!("Search: {} ({})", spec.query, spec.scope_label());
        let mut p = ItemsPane::new(key, folder, path, BTreeSet::new());
        p.columns = if spec.one_mailbox() {
            ItemColumns::Search
        } else {
            ItemColumns::SearchAll
        };
        p.search = Some(Box::new(SearchInfo {
            spec,
            back,
            names_loading: None,
            names_asked: false,
        }));
        p
    }

    /// Puts the cursor on row `row` and, once the pages around it are loaded, on the item `id` (where it
    /// is now; when it is gone, the cursor stays on the row).
    pub fn return_to(&mut self, id: String, row: u64) {
        self.cursor = row;
        self.seek = Some(id);
    }

    /// After a page: the cursor on the item sought when it is loaded; the search ends when it is, or when
    /// the row under the cursor is loaded without it (then the row stands).
    fn seek_item(&mut self) {
        let Some(id) = self.seek.as_deref() else { return };
        let found = self
            .pages
            .iter()
            .find_map(|(off, p)| p.iter().position(|i| i.id == id).map(|i| off + i as u64));
        if let Some(at) = found {
            self.cursor = at;
            self.seek = None;
        } else if self.get(self.cursor).is_some() || self.total.is_some_and(|t| self.cursor + 1 >= t) {
            self.seek = None;
        }
    }

    /// Forgets the pages (marks stay) and starts over.
    pub fn reload(&mut self) {
        self.pages.clear();
        self.total = None;
        self.cursor = 0;
        self.view.reset();
        self.in_flight = None;
        self.counting = None;
        self.pending_last = false;
        self.owed_down = 0;
        self.error = None;
        self.seek = None;
        self.refilter();
    }

    fn page_of(i: u64) -> u64 {
        i - i % ITEMS_PAGE as u64
    }

    /// The end of what is loaded contiguously from some page: the largest loaded index + 1.
    fn loaded_end(&self) -> u64 {
        self.pages
            .iter()
            .next_back()
            .map(|(o, p)| o + p.len() as u64)
            .unwrap_or(0)
    }

    /// Rows the list has: the total when known, else what is loaded.
    pub fn known_len(&self) -> u64 {
        self.total.unwrap_or_else(|| self.loaded_end())
    }

    /// Rows to draw: with a filter, the matches; else the known length, plus one "loading" row while
    /// the end is unknown.
    pub fn display_len(&self) -> u64 {
        match &self.filtered {
            Some(f) => f.len() as u64,
            None if self.total.is_none() => self.loaded_end() + 1,
            None => self.known_len(),
        }
    }

    /// The shown row `i` (display order).
    pub fn row(&self, i: u64) -> Row<'_> {
        let abs = match &self.filtered {
            Some(f) => match f.get(i as usize) {
                Some(&a) => a,
                None => return Row::Pending,
            },
            None => i,
        };
        match self.get(abs) {
            Some(it) => Row::Item(it),
            None => Row::Pending,
        }
    }

    /// The item at absolute index `i`, when loaded.
    pub fn get(&self, i: u64) -> Option<&Item> {
        let p = Self::page_of(i);
        self.pages.get(&p).and_then(|v| v.get((i - p) as usize))
    }

    /// The item under the cursor; none when a filter matches nothing (the cursor's old row is not shown).
    pub fn selected(&self) -> Option<&Item> {
        if self.filtered.as_ref().is_some_and(Vec::is_empty) {
            return None;
        }
        self.get(self.cursor)
    }

    /// The cursor in display order.
    pub fn display_cursor(&self) -> u64 {
        match &self.filtered {
            Some(_) => self.fcursor as u64,
            None => self.cursor,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.in_flight.is_some() || self.counting.is_some()
    }

    pub fn is_counting(&self) -> bool {
        self.counting.is_some()
    }

    /// For the results of an all-mailboxes search when the session's mailboxes are not all known: a
    /// request for their names (once).
    pub fn wants_mailbox_names(&mut self, requests: &mut Requests) -> Option<Effect> {
        let s = self.search.as_mut()?;
        if s.names_asked
            || s.spec.context.names_complete
            || s.spec.target() != crate::app::panes::search_prompt::SearchTarget::AllMailboxes
        {
            return None;
        }
        let r = requests.ask(
            To::Pane(PaneAsk::Items(ItemsAsk::MailboxNames)),
            Call::MailboxNames {
                session_id: s.spec.context.session_id.clone(),
            },
        );
        s.names_asked = true;
        s.names_loading = Some(r.id);
        Some(Effect::Request(r))
    }

    /// The generation of the count in flight.
    pub fn counting(&self) -> Option<RequestId> {
        self.counting
    }

    /// Number of pages held (bounded by the window).
    pub fn pages_held(&self) -> usize {
        self.pages.len()
    }

    /// Items held in memory.
    pub fn items_held(&self) -> usize {
        self.pages.values().map(Vec::len).sum()
    }

    /// Puts the cursor on shown row `i` (display order; a mouse click), if there is an item there.
    pub fn select_display(&mut self, i: u64) {
        if let Some(f) = &self.filtered {
            if let Some(&abs) = f.get(i as usize) {
                self.fcursor = i as usize;
                self.cursor = abs;
            }
            return;
        }
        if i < self.known_len() {
            self.pending_last = false;
            self.cursor = i;
        }
    }

    /// Moves the cursor for a movement action; `page` is the visible height.
    pub fn on_move(&mut self, action: Action, page: u64) {
        // The operator moves on: the item the cursor was going back to no longer matters.
        self.seek = None;
        if let Some(f) = &self.filtered {
            let n = f.len() as u64;
            self.fcursor = crate::app::list::step(self.fcursor as u64, n, action, page) as usize;
            if let Some(&abs) = f.get(self.fcursor) {
                self.cursor = abs;
            }
            return;
        }
        self.pending_last = false;
        let owed = std::mem::take(&mut self.owed_down);
        if action == Action::Last && self.total.is_none() && self.search.is_none() {
            // The end is unknown: learn it first (see `wants_count`), then jump.
            self.pending_last = true;
            return;
        }
        if action == Action::Last && self.total.is_none() {
            // Search results cannot be counted cheaply (each request runs the search again): follow the
            // pages to the end instead, up to SEARCH_CHASE_ROWS more rows per `G`.
            self.cursor = self.loaded_end();
            self.owed_down = SEARCH_CHASE_ROWS;
            return;
        }
        if self.total.is_none() && matches!(action, Action::Down | Action::PageDown) {
            // Without a total the cursor may rest on the "loading" row after what is loaded; what
            // goes further is owed and paid when the page arrives (the prefetch is under way).
            let end = self.loaded_end();
            let target = self.cursor + owed + if action == Action::Down { 1 } else { page.max(1) };
            self.cursor = target.min(end);
            // Every row asked for is owed, however many pages that spans (20 × PgDn while pages load
            // lands 20 pages down): the pages are fetched one after the other as they are paid.
            self.owed_down = target - self.cursor;
            return;
        }
        let len = self.known_len();
        self.cursor = crate::app::list::step(self.cursor, len, action, page);
    }

    /// Moves the cursor by the rows owed, as far as the pages now allow.
    fn pay_owed(&mut self) {
        if self.owed_down == 0 || self.filtered.is_some() {
            return;
        }
        let last = match self.total {
            Some(t) => t.saturating_sub(1),
            None => self.loaded_end(),
        };
        let to = (self.cursor + self.owed_down).min(last);
        self.owed_down -= to - self.cursor;
        self.cursor = to;
        if self.total.is_some() {
            self.owed_down = 0;
        }
    }

    /// The request the pane needs now, if any: a count (after `G` on an unknown end), the page under
    /// the cursor, or the neighbouring page when the cursor is within [`PREFETCH`] rows of its edge.
    /// One page request is in flight at a time; a request far from the cursor is superseded (the
    /// runtime aborts the old task: same slot).
    pub fn wants(&mut self, requests: &mut Requests) -> Option<Effect> {
        if self.error.is_some() || self.filtered.is_some() {
            return None;
        }
        if self.pending_last && self.total.is_none() {
            if self.counting.is_some() {
                return None;
            }
            let r = requests.ask(
                To::Pane(PaneAsk::Items(ItemsAsk::Count)),
                Call::CountItems {
                    session_id: self.key.session_id.clone(),
                    mailbox_id: self.key.mailbox_id.clone(),
                    folder_id: self.key.folder_id.clone(),
                },
            );
            self.counting = Some(r.id);
            return Some(Effect::Request(r));
        }
        let ps = ITEMS_PAGE as u64;
        let here = Self::page_of(self.cursor);
        let exists = |off: u64| self.total.is_none_or(|t| off < t);
        let (want, limit) = match self.pages.get(&here).map(|p| p.len() as u64) {
            None => {
                if self.total == Some(0) || !exists(here) {
                    return None;
                }
                // Nothing shown yet: a screenful first.
                // (A search is run again for every request: whole pages only.)
                let first = self.pages.is_empty() && here == 0 && self.search.is_none();
                (here, if first { FIRST_ROWS } else { ITEMS_PAGE })
            }
            // The rest of a page that came in part (the first rows).
            Some(len) if len < ps && exists(here + len) => (here + len, (ps - len) as u32),
            Some(page_len) => {
                let within = self.cursor - here;
                let next = here + ps;
                if within + PREFETCH >= ps && page_len == ps && exists(next) && !self.pages.contains_key(&next) {
                    (next, ITEMS_PAGE)
                } else if within < PREFETCH && here > 0 && !self.pages.contains_key(&(here - ps)) {
                    (here - ps, ITEMS_PAGE)
                } else {
                    return None;
                }
            }
        };
        if let Some((off, _)) = self.in_flight {
            if off == want {
                return None;
            }
            // A prefetch waits for the request in flight, unless that one is no longer near the cursor.
            let near = off + ps >= here && off <= here + ps;
            if want != here && near {
                return None;
            }
        }
        let call = match &self.search {
            Some(s) => Call::Search {
                session_id: self.key.session_id.clone(),
                target: s.spec.target(),
                query: s.spec.query.clone(),
                offset: want,
                limit,
            },
            None => Call::ItemsPage {
                session_id: self.key.session_id.clone(),
                mailbox_id: self.key.mailbox_id.clone(),
                folder_id: self.key.folder_id.clone(),
                offset: want,
                limit,
            },
        };
        let r = requests.ask(To::Pane(PaneAsk::Items(ItemsAsk::Page { offset: want })), call);
        self.in_flight = Some((want, r.id));
        self.in_flight_limit = limit;
        Some(Effect::Request(r))
    }

    /// Takes the page in flight (the request map dropped stale answers already); false when it is not
    /// at the offset asked for.
    pub fn on_page(&mut self, offset: u64, result: Result<Page<Item>, String>) -> bool {
        if self.in_flight.map(|(o, _)| o) != Some(offset) {
            return false;
        }
        self.in_flight = None;
        match result {
            Ok(page) => {
                if let Some(t) = page.total_count.filter(|t| *t >= 0) {
                    self.total = Some(t as u64);
                }
                let n = page.results.len() as u64;
                if n < u64::from(self.in_flight_limit) {
                    // A short page ends the list (an empty page past the end too).
                    self.total = Some(offset + n);
                    self.cursor = self.cursor.min(self.total.unwrap_or(0).saturating_sub(1));
                }
                let at = Self::page_of(offset);
                if n > 0 && at == offset {
                    self.pages.insert(offset, page.results);
                } else if n > 0
                    && let Some(p) = self.pages.get_mut(&at)
                    && at + p.len() as u64 == offset
                {
                    // The rest of a page (else the page was evicted meanwhile: dropped).
                    p.extend(page.results);
                }
                self.seek_item();
                self.pay_owed();
                self.evict();
                if self.filter.is_active() {
                    self.refilter();
                }
            }
            Err(e) => {
                self.owed_down = 0;
                self.error = Some(e);
            }
        }
        true
    }

    /// Takes the count (the request map dropped stale answers already).
    pub fn on_count(&mut self, result: Result<u64, String>) {
        self.counting = None;
        match result {
            Ok(n) => {
                self.total = Some(n);
                if self.pending_last {
                    self.pending_last = false;
                    self.cursor = n.saturating_sub(1);
                } else {
                    self.cursor = self.cursor.min(n.saturating_sub(1));
                }
            }
            Err(e) => {
                self.pending_last = false;
                self.error = Some(e);
            }
        }
    }

    /// Drops pages far from the cursor (memory stays bounded however far one scrolls).
    fn evict(&mut self) {
        let ps = ITEMS_PAGE as u64;
        let here = Self::page_of(self.cursor);
        let lo = here.saturating_sub(KEEP_PAGES * ps);
        let hi = here + KEEP_PAGES * ps;
        self.pages.retain(|&off, _| off >= lo && off <= hi);
    }

    /// Forgets the requests in flight (their tasks were superseded): the next `wants` asks again.
    pub fn forget_requests(&mut self) {
        self.in_flight = None;
        self.counting = None;
        self.pending_last = false;
    }

    /// Clears a load error so the next `wants` retries.
    pub fn clear_error(&mut self) {
        self.error = None;
    }

    /// Space: marks or unmarks the item under the cursor. When the whole folder is marked (`*`), the row
    /// under the cursor is unmarked and the whole-folder mark becomes single marks of every other item —
    /// possible only when every item of the folder is loaded (a folder restore cannot leave one out);
    /// otherwise nothing changes and the answer says why.
    pub fn toggle_mark(&mut self) -> MarkToggle {
        let Some(id) = self.selected().map(|i| i.id.clone()) else {
            return MarkToggle::NoItem;
        };
        if self.all_marked {
            let total = match self.total {
                Some(t) if t == self.items_held() as u64 => t,
                _ => return MarkToggle::NotAllLoaded,
            };
            self.all_marked = false;
            self.marks = self.pages.values().flatten().map(|i| i.id.clone()).collect();
            self.marks.remove(&id);
            return MarkToggle::SplitAll {
                marked: self.marks.len() as u64,
                total,
            };
        }
        if self.marks.remove(&id) {
            MarkToggle::Unmarked
        } else {
            self.marks.insert(id);
            MarkToggle::Marked
        }
    }

    pub fn is_marked(&self, item: &Item) -> bool {
        self.all_marked || self.marks.contains(&item.id)
    }

    /// Marks the whole folder (true; single marks are superseded), or clears it (false).
    pub fn toggle_all(&mut self) -> bool {
        self.marks.clear();
        self.all_marked = !self.all_marked;
        self.all_marked
    }

    /// Recomputes the filtered rows over the loaded pages (none without a filter).
    pub fn refilter(&mut self) {
        if !self.filter.is_active() {
            self.filtered = None;
            self.fcursor = 0;
            return;
        }
        let mut hits = Vec::new();
        for (off, page) in &self.pages {
            for (i, it) in page.iter().enumerate() {
                if self.filter.matches(&haystack(it)) {
                    hits.push(off + i as u64);
                }
            }
        }
        self.fcursor = hits
            .iter()
            .position(|&a| a >= self.cursor)
            .unwrap_or(hits.len().saturating_sub(1));
        if let Some(&a) = hits.get(self.fcursor) {
            self.cursor = a;
        }
        self.filtered = Some(hits);
    }

    /// Number of rows matching the filter (when one is set).
    pub fn filtered_len(&self) -> Option<usize> {
        self.filtered.as_ref().map(Vec::len)
    }

    /// With a filter: what it found among the loaded items, and of how many (see [`filter_count`]).
    pub fn filter_words(&self) -> Option<String> {
        let n = self.filtered_len()?;
        Some(filter_count(n as u64, self.items_held() as u64, self.total))
    }

    /// Not every item of the list is loaded: a filter sees only part of it (a server search sees all).
    pub fn partly_loaded(&self) -> bool {
        self.total != Some(self.items_held() as u64)
    }

    /// A `/` filter over a folder's items that may miss what the server has: not all of the folder is
    /// loaded, or nothing loaded matches (the server search can look in the mailbox, or in all of them).
    pub fn offers_server_search(&self) -> bool {
        self.search.is_none() && self.filter.is_active() && (self.partly_loaded() || self.filtered_len() == Some(0))
    }

    /// The page request in flight: (offset, generation).
    pub fn in_flight(&self) -> Option<(u64, RequestId)> {
        self.in_flight
    }

    /// `Open` (and `Tab`): the details of the item under the cursor.
    pub fn open_selected(&self) -> PaneReply {
        let Some(item) = self.selected().cloned() else {
            return PaneReply::Done;
        };
        match crate::app::search::result_key(self, &item) {
            Ok(key) => PaneReply::OpenItem { key, item },
            Err(m) => PaneReply::Info(m),
        }
    }

    /// `Mark`: marks or unmarks the item under the cursor and moves down.
    fn mark(&mut self, page: u64) -> PaneReply {
        // Space in all-mailboxes results is refused (a restore of marked items goes to one mailbox).
        if self.search.as_deref().is_some_and(|s| !s.spec.one_mailbox()) {
            return PaneReply::Info(
                "marks work in folder and mailbox searches (one mailbox); here r restores the selected result".into(),
            );
        }
        let t = self.toggle_mark();
        if matches!(t, MarkToggle::Marked | MarkToggle::Unmarked) {
            self.on_move(Action::Down, page);
        }
        match t.status() {
            Some((text, true)) => PaneReply::Error(text),
            Some((text, false)) => PaneReply::Info(text),
            None => PaneReply::Done,
        }
    }
}

/// What the items pane asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemsAsk {
    /// A page of a folder or of search results.
    Page { offset: u64 },
    /// The folder's count (`G` on an unknown end).
    Count,
    /// The mailbox names of all-mailboxes search results.
    MailboxNames,
}

impl Pane for ItemsPane {
    fn waits(&self, ask: &PaneAsk, id: RequestId) -> bool {
        match ask {
            PaneAsk::Items(ItemsAsk::Page { .. }) => self.in_flight().is_some_and(|(_, g)| g == id),
            PaneAsk::Items(ItemsAsk::Count) => self.counting() == Some(id),
            PaneAsk::Items(ItemsAsk::MailboxNames) => self.search.as_ref().is_some_and(|s| s.names_loading == Some(id)),
            _ => false,
        }
    }

    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard {
        let PaneAsk::Items(ask) = ask else {
            return Heard::Nothing;
        };
        match ask {
            ItemsAsk::Page { offset } => {
                let (page, err) = split_answer(result);
                let searching = self.search.is_some();
                let page = page.map_err(|_| crate::app::search::page_error(searching, &err));
                if !self.on_page(offset, page) {
                    return Heard::Nothing;
                }
                if searching {
                    Heard::SearchPage(offset, err)
                } else {
                    Heard::Noted("items", err)
                }
            }
            ItemsAsk::Count => {
                let (count, err) = split_answer(result);
                self.on_count(count);
                Heard::Noted("counting the items", err)
            }
            ItemsAsk::MailboxNames => {
                let result: Result<Vec<Mailbox>, ApiError> = take(result);
                let Some(s) = self.search.as_mut() else {
                    return Heard::Nothing;
                };
                s.names_loading = None;
                match result {
                    Ok(mbs) => {
                        let names = &mut s.spec.context.mailbox_names;
                        names.extend(
                            mbs.iter()
                                .map(|m| (m.id.clone(), super::search_prompt::mailbox_label(m))),
                        );
                        s.spec.context.names_complete = true;
                        Heard::Taken
                    }
                    // The results stay usable: they show mailbox ids instead of names.
                    Err(e) => Heard::Info(format!("mailbox names not loaded ({e}): ids shown")),
                }
            }
        }
    }

    fn on_action(&mut self, a: Action, ctx: &mut Ctx) -> PaneReply {
        match a {
            _ if a.is_move() => self.on_move(a, ctx.page),
            Action::Open => return self.open_selected(),
            Action::Mark => return self.mark(ctx.page),
            Action::Back if self.search.is_some() => return PaneReply::LeaveSearch,
            Action::Back => return PaneReply::Focus(Level::Folders),
            _ => {}
        }
        PaneReply::Done
    }

    fn refresh(&mut self, _: &mut Ctx) -> PaneReply {
        // The pages are asked for again by the prefetch (`ItemsPane::wants`).
        self.reload();
        PaneReply::Done
    }

    fn help(&self) -> Help {
        HELP
    }

    fn filter(&self) -> Option<&Filter> {
        Some(&self.filter)
    }

    fn filter_mut(&mut self) -> Option<&mut Filter> {
        Some(&mut self.filter)
    }

    fn refilter(&mut self) {
        ItemsPane::refilter(self);
    }

    fn busy(&self) -> bool {
        self.is_loading()
    }

    fn ask_ahead(&mut self, requests: &mut Requests, fx: &mut Vec<Effect>) {
        fx.extend(self.wants(requests));
        fx.extend(self.wants_mailbox_names(requests));
    }

    fn selected_id(&self) -> Option<String> {
        self.selected().map(|i| i.id.clone())
    }
}

/// What `/` searches in an item: its title and the people, places and companies it names.
pub fn haystack(it: &Item) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(t) = it.title() {
        parts.push(t);
    }
    match &it.data {
        ItemData::Message(m) => parts.extend([m.from.as_deref(), m.to.as_deref()].into_iter().flatten()),
        ItemData::Appointment(a) => parts.extend(
            [a.organizer.as_deref(), a.location.as_deref(), a.attendees.as_deref()]
                .into_iter()
                .flatten(),
        ),
        ItemData::Contact(c) => parts.extend([c.email.as_deref(), c.company.as_deref()].into_iter().flatten()),
        ItemData::Task(t) => parts.extend(t.owner.as_deref()),
        ItemData::Journal(j) => parts.extend([j.entry_type.as_deref(), j.company.as_deref()].into_iter().flatten()),
        ItemData::Discussion(d) => parts.extend(d.from.as_deref()),
        _ => {}
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane() -> ItemsPane {
        let key = ListKey {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            folder_id: "f".into(),
        };
        let folder: Folder = serde_json::from_str(r#"{"id":"f","name":"Inbox"}"#).unwrap();
        ItemsPane::new(key, folder, "Inbox".into(), BTreeSet::new())
    }

    fn page(offset: u64, n: u64) -> Page<Item> {
        let results = (offset..offset + n)
            .map(|i| serde_json::from_str(&format!(r#"{{"id":"i{i}","itemClass":"IPM.Note"}}"#)).unwrap())
            .collect();
        Page {
            offset: offset as i64,
            limit: n as i64,
            set_id: None,
            results,
            links: Default::default(),
            total_count: None,
        }
    }

    /// The request a pane makes now: (offset, limit), answered with `n` items.
    fn answer(p: &mut ItemsPane, requests: &mut Requests, n: u64) -> Option<(u64, u32)> {
        let Some(Effect::Request(crate::app::Request {
            id: _,
            call: Call::ItemsPage { offset, limit, .. },
        })) = p.wants(requests)
        else {
            return None;
        };
        assert!(p.on_page(offset, Ok(page(offset, n.min(u64::from(limit))))));
        Some((offset, limit))
    }

    #[test]
    fn a_screenful_first_then_the_rest_of_the_page_then_whole_pages() {
        let (mut p, mut requests) = (pane(), Requests::default());
        assert_eq!(answer(&mut p, &mut requests, 1000), Some((0, FIRST_ROWS)));
        assert_eq!(p.items_held(), FIRST_ROWS as usize);
        assert_eq!(p.total, None);
        let rest = ITEMS_PAGE - FIRST_ROWS;
        assert_eq!(answer(&mut p, &mut requests, 1000), Some((FIRST_ROWS.into(), rest)));
        assert_eq!((p.items_held(), p.pages_held()), (ITEMS_PAGE as usize, 1));
        assert_eq!(p.get(199).map(|i| i.id.as_str()), Some("i199"));
        assert_eq!(
            answer(&mut p, &mut requests, 1000),
            None,
            "the cursor is far from the page's end"
        );
        p.on_move(Action::PageDown, 160);
        assert_eq!(answer(&mut p, &mut requests, 1000), Some((200, ITEMS_PAGE)));
    }

    #[test]
    fn holding_down_past_the_loaded_end_loses_no_key_presses() {
        let (mut p, mut requests) = (pane(), Requests::default());
        // The first screenful and the rest of the first page.
        answer(&mut p, &mut requests, 1000);
        answer(&mut p, &mut requests, 1000);
        p.cursor = 195;
        // The prefetch of the next page is sent; its answer is slow.
        let Some(Effect::Request(crate::app::Request {
            id: _,
            call: Call::ItemsPage { offset, .. },
        })) = p.wants(&mut requests)
        else {
            panic!("a prefetch near the end of the page");
        };
        assert_eq!(offset, 200);
        // Ten Downs while it is in flight: five to the end of the page, one onto the loading row,
        // four owed.
        for _ in 0..10 {
            p.on_move(Action::Down, 20);
        }
        assert_eq!(p.cursor, 200, "on the loading row");
        assert!(p.selected().is_none());
        assert!(p.on_page(offset, Ok(page(offset, 200))));
        assert_eq!(p.cursor, 205, "every press counted");
        assert_eq!(p.selected().map(|i| i.id.as_str()), Some("i205"));
        // Owed rows stop at the real end when the page is short.
        p.cursor = 395;
        let Some(Effect::Request(crate::app::Request {
            id: _,
            call: Call::ItemsPage { offset, .. },
        })) = p.wants(&mut requests)
        else {
            panic!("a prefetch near the end of the second page");
        };
        p.on_move(Action::PageDown, 20);
        assert!(p.on_page(offset, Ok(page(offset, 3))));
        assert_eq!((p.total, p.cursor), (Some(403), 402));
        // Any other movement forgets what was owed.
        p.on_move(Action::Up, 20);
        assert_eq!(p.cursor, 401);
    }

    #[test]
    fn a_short_first_answer_ends_a_small_folder() {
        let (mut p, mut requests) = (pane(), Requests::default());
        assert_eq!(answer(&mut p, &mut requests, 10), Some((0, FIRST_ROWS)));
        assert_eq!(p.total, Some(10));
        assert_eq!(answer(&mut p, &mut requests, 10), None);
    }
}
