//! Building blocks shared by the list panes: the scroll window, the `/` filter and a list that pages
//! lazily as the cursor approaches its loaded end.

use super::{Call, Effect, RequestId, Requests, To};
use crossterm::event::KeyEvent;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

/// Rows per request for lists that page lazily.
pub const PAGE: u32 = 200;
/// Fetch the next page when the cursor is this close to the loaded end.
pub const PREFETCH: u64 = 50;

/// The first visible row of a list. The layout moves it after every update ([`super::layout::reflow`]
/// knows the list's height), so scrolling is stable from one frame to the next; drawing only reads it.
#[derive(Clone, Debug, Default)]
pub struct Viewport {
    top: u64,
}

/// The first row to show, from the last one shown (`top`), so that `cursor` is visible in `height` rows
/// of a list of `len`.
fn follow(top: u64, cursor: u64, height: u64, len: u64) -> u64 {
    let mut top = top;
    let height = height.max(1);
    if cursor < top {
        top = cursor;
    } else if cursor >= top + height {
        top = cursor + 1 - height;
    }
    top.min(len.saturating_sub(height))
}

impl Viewport {
    /// Scrolls so that `cursor` is visible in `height` rows of a list of `len`; returns the first row.
    pub fn window(&mut self, cursor: u64, height: u64, len: u64) -> u64 {
        self.top = follow(self.top, cursor, height, len);
        self.top
    }

    /// The first row drawing shows in `height` rows: the scrolled one, unless the list is drawn at
    /// another height than the layout's (a test drawing at another size), when it is moved just enough
    /// to show the cursor (without storing it).
    pub fn shown(&self, cursor: u64, height: u64, len: u64) -> u64 {
        follow(self.top, cursor, height, len)
    }

    pub fn top(&self) -> u64 {
        self.top
    }

    pub fn reset(&mut self) {
        self.top = 0;
    }
}

/// The `/` filter of a list: a case-insensitive substring over what is loaded.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    input: Input,
    /// True while the operator types the filter.
    pub editing: bool,
    query_lower: String,
}

impl Filter {
    pub fn query(&self) -> &str {
        self.input.value()
    }

    pub fn is_active(&self) -> bool {
        !self.input.value().is_empty()
    }

    pub fn input(&self) -> &Input {
        &self.input
    }

    pub fn start(&mut self) {
        self.editing = true;
    }

    pub fn clear(&mut self) {
        self.input.reset();
        self.query_lower.clear();
        self.editing = false;
    }

    /// Feeds a key to the text field. Returns true when the query changed.
    pub fn key(&mut self, ev: &KeyEvent) -> bool {
        let before = self.input.value().to_string();
        if let Some(req) = to_input_request(&crossterm::event::Event::Key(*ev)) {
            self.input.handle(req);
        }
        self.query_lower = self.input.value().to_lowercase();
        before != self.input.value()
    }

    /// The query, lowercased (what [`Filter::matches`] looks for).
    pub fn query_lower(&self) -> &str {
        &self.query_lower
    }

    /// True when `haystack` matches (always when no filter is set).
    pub fn matches(&self, haystack: &str) -> bool {
        self.query_lower.is_empty() || haystack.to_lowercase().contains(&self.query_lower)
    }

    #[cfg(test)]
    pub fn set(&mut self, q: &str) {
        self.input = Input::new(q.to_string());
        self.query_lower = q.to_lowercase();
    }
}

/// What a `/` filter found, saying that it looked only at what is loaded: `7 matches in 200 loaded of
/// 1,000,000` (`total`: the list's length when known), `7 matches in the 200 loaded` (the end not known),
/// `7 matches` when everything is loaded.
pub fn filter_count(matches: u64, loaded: u64, total: Option<u64>) -> String {
    use crate::text::thousands;
    let n = format!("{} match{}", thousands(matches), if matches == 1 { "" } else { "es" });
    match total {
        Some(t) if t <= loaded => n,
        Some(t) => format!("{n} in {} loaded of {}", thousands(loaded), thousands(t)),
        None => format!("{n} in the {} loaded", thousands(loaded)),
    }
}

/// What a filter keystroke did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKey {
    /// The query changed: re-filter.
    Changed,
    /// Editing ended (Enter keeps the query, Esc clears it: both re-filter).
    Done,
    /// Nothing visible changed.
    Nothing,
}

/// Routes a key to a filter being edited: Enter ends editing (keeps it), Esc clears it.
pub fn filter_key(f: &mut Filter, ev: &KeyEvent) -> FilterKey {
    use crossterm::event::KeyCode;
    match ev.code {
        KeyCode::Enter => {
            f.editing = false;
            FilterKey::Done
        }
        KeyCode::Esc => {
            f.clear();
            FilterKey::Done
        }
        _ => {
            if f.key(ev) {
                FilterKey::Changed
            } else {
                FilterKey::Nothing
            }
        }
    }
}

/// Load state of a list that pages lazily.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paging {
    /// More may follow.
    More,
    /// The last page was short: everything is loaded.
    Complete,
    /// The last request failed; Refresh retries.
    Failed(String),
}

/// What `/` looks for in a row of a [`PagedList`].
pub trait Haystack {
    /// The row's words, as shown (the list lowercases them once, when it first filters the row).
    fn haystack(&self) -> String;
}

/// A query of a type-ahead and what it showed (see [`PagedList`]).
#[derive(Clone, Debug)]
struct Typed {
    query: String,
    /// Rows looked at (the rows loaded then).
    upto: usize,
    shown: Vec<usize>,
}

/// Queries of one type-ahead a list keeps (a longer one forgets its first letters' results).
const MAX_TYPED: usize = 32;

/// An in-memory list that pages lazily (restore sessions, mailboxes): bounded by what the server has,
/// filtered by `/`, cursor over the filtered rows.
///
/// Filtering costs what the rows shown cost, not what is loaded, as far as it can: each row's haystack
/// is lowercased once (kept beside the row), a query that contains the previous one (a letter typed)
/// re-checks only the rows the previous one showed and the rows loaded since, Backspace goes back to
/// what the shorter query showed, and the cursor finds its row again by binary search. Only a query that
/// contains none typed before (a new word) scans every loaded row, over the kept haystacks.
#[derive(Clone, Debug)]
pub struct PagedList<T> {
    pub rows: Vec<T>,
    pub paging: Paging,
    /// The generation of the page request in flight.
    pub loading: Option<RequestId>,
    pub cursor: usize,
    pub view: Viewport,
    pub filter: Filter,
    /// While a filter is set, keep loading pages until this many rows are loaded, so the filter sees
    /// them (0: a filter covers what is loaded and asks for nothing). The title says what it saw.
    pub filter_reach: usize,
    /// Indices into `rows` of the rows shown (all of them without a filter), ascending.
    visible: Vec<usize>,
    /// The lowercased haystack of `rows[i]`, for the rows filtered so far.
    hay: Vec<String>,
    /// The type-ahead so far: each query typed (lowercased, each containing the one before), how many
    /// rows it looked at and the rows it showed; the last one is what `visible` shows. Backspace goes
    /// back to an earlier one instead of filtering again.
    typed: Vec<Typed>,
}

impl<T> Default for PagedList<T> {
    fn default() -> Self {
        PagedList {
            rows: Vec::new(),
            paging: Paging::More,
            loading: None,
            cursor: 0,
            view: Viewport::default(),
            filter: Filter::default(),
            filter_reach: 0,
            visible: Vec::new(),
            hay: Vec::new(),
            typed: Vec::new(),
        }
    }
}

impl<T> PagedList<T> {
    /// Rows shown (after the filter).
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// The `i`-th shown row.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.visible.get(i).and_then(|&r| self.rows.get(r))
    }

    pub fn selected(&self) -> Option<&T> {
        self.get(self.cursor)
    }

    pub fn is_complete(&self) -> bool {
        self.paging == Paging::Complete
    }

    /// Forgets everything (a reload); the filter stays.
    pub fn reset(&mut self) {
        self.rows.clear();
        self.visible.clear();
        self.hay.clear();
        self.typed.clear();
        self.paging = Paging::More;
        self.loading = None;
        self.cursor = 0;
        self.view.reset();
    }

    /// Recomputes the shown rows after the rows or the filter changed, keeping the cursor on the same
    /// row when it is still shown.
    pub fn refilter(&mut self)
    where
        T: Haystack,
    {
        let n = self.rows.len();
        if self.hay.len() > n {
            // The rows were replaced without the list knowing (a test's `rows.clear()`): start over.
            self.hay.clear();
            self.typed.clear();
        }
        let seen = self.hay.len();
        self.hay
            .extend(self.rows[seen..].iter().map(|r| r.haystack().to_lowercase()));
        let current = self.visible.get(self.cursor).copied();
        let q = self.filter.query_lower();
        // Back to the last query typed that this one contains (Backspace: the same as an earlier one).
        while self
            .typed
            .last()
            .is_some_and(|t| !q.contains(t.query.as_str()) || t.upto > n)
        {
            self.typed.pop();
        }
        let hit = |i: &usize| self.hay[*i].contains(q);
        self.visible = if q.is_empty() {
            self.typed.clear();
            (0..n).collect()
        } else {
            // What an earlier, shorter query did not show, this one does not either: only its rows and
            // the rows loaded since are looked at.
            let (mut v, from): (Vec<usize>, usize) = match self.typed.last() {
                Some(t) if t.query == q => (t.shown.clone(), t.upto),
                Some(t) => (t.shown.iter().copied().filter(hit).collect(), t.upto),
                None => (Vec::new(), 0),
            };
            v.extend((from..n).filter(hit));
            if self.typed.last().is_some_and(|t| t.query == q) {
                self.typed.pop();
            }
            if self.typed.len() == MAX_TYPED {
                self.typed.remove(0);
            }
            self.typed.push(Typed {
                query: q.to_string(),
                upto: n,
                shown: v.clone(),
            });
            v
        };
        if let Some(cur) = current {
            // The same row when still shown, else the first shown.
            self.cursor = self.visible.binary_search(&cur).unwrap_or(0);
        }
        self.clamp();
    }

    fn clamp(&mut self) {
        self.cursor = self.cursor.min(self.visible.len().saturating_sub(1));
    }

    /// Moves the cursor by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: i64) {
        let n = self.visible.len() as i64;
        if n == 0 {
            self.cursor = 0;
            return;
        }
        self.cursor = (self.cursor as i64 + delta).clamp(0, n - 1) as usize;
    }

    pub fn first(&mut self) {
        self.cursor = 0;
    }

    pub fn last(&mut self) {
        self.cursor = self.visible.len().saturating_sub(1);
    }

    /// Puts the cursor on the first shown row for which `pred` holds. Returns whether one did.
    pub fn select_where(&mut self, pred: impl Fn(&T) -> bool) -> bool {
        if let Some(pos) = self.visible.iter().position(|&r| pred(&self.rows[r])) {
            self.cursor = pos;
            true
        } else {
            false
        }
    }

    /// True when the next page should be fetched now: more exists, nothing is in flight, and either the
    /// cursor is within [`PREFETCH`] rows of the loaded end (no filter), or a filter is set and fewer
    /// than [`PagedList::filter_reach`] rows are loaded.
    pub fn wants_next_page(&self) -> bool {
        self.paging == Paging::More
            && self.loading.is_none()
            && if self.filter.is_active() {
                self.rows.len() < self.filter_reach
            } else {
                (self.cursor as u64) + PREFETCH >= self.rows.len() as u64
            }
    }

    /// Asks for the next page: `page` names the asker and the call for its offset.
    pub fn begin_next_page(&mut self, requests: &mut Requests, page: impl FnOnce(u64) -> (To, Call)) -> Effect {
        let (to, call) = page(self.rows.len() as u64);
        let r = requests.ask(to, call);
        self.loading = Some(r.id);
        Effect::Request(r)
    }

    /// Accepts the page the list waits for (the request map dropped stale answers already); false when
    /// it is not where the list ends.
    pub fn accept_page(&mut self, offset: u64, result: Result<Vec<T>, String>, limit: u32) -> bool {
        if offset != self.rows.len() as u64 {
            return false;
        }
        self.loading = None;
        match result {
            Ok(rows) => {
                self.paging = if rows.len() < limit as usize {
                    Paging::Complete
                } else {
                    Paging::More
                };
                self.rows.extend(rows);
            }
            Err(e) => self.paging = Paging::Failed(e),
        }
        true
    }

    /// Rows a list draws: the shown rows plus a "more" row while more may follow.
    pub fn drawn_len(&self) -> u64 {
        let extra =
            !self.filter.is_active() && matches!(self.paging, Paging::More | Paging::Failed(_)) && !self.is_empty();
        self.len() as u64 + u64::from(extra)
    }

    /// Mutable access to a stored row by predicate (for local updates such as "stopped"). The kept
    /// haystacks are made again at the next filtering (the row's words may change).
    pub fn find_mut(&mut self, pred: impl Fn(&T) -> bool) -> Option<&mut T> {
        self.hay.clear();
        self.typed.clear();
        self.rows.iter_mut().find(|r| pred(r))
    }
}

/// Moves `cursor` (in `0..len`) for a movement action; `page` is the visible height.
pub fn step(cursor: u64, len: u64, action: super::Action, page: u64) -> u64 {
    use super::Action::*;
    if len == 0 {
        return 0;
    }
    let last = len - 1;
    match action {
        Up => cursor.saturating_sub(1),
        Down => (cursor + 1).min(last),
        PageUp => cursor.saturating_sub(page.max(1)),
        PageDown => (cursor + page.max(1)).min(last),
        First => 0,
        Last => last,
        _ => cursor.min(last),
    }
}

/// Moves the cursor of a paged list for a movement action; `page` is the visible height.
pub fn move_list<T>(l: &mut PagedList<T>, a: super::Action, page: u64) {
    l.cursor = step(l.cursor as u64, l.len() as u64, a, page) as usize;
}

/// Helper for panes: the request of the next page of a [`PagedList`], when one is wanted.
pub fn next_page_effect<T>(
    list: &mut PagedList<T>,
    requests: &mut Requests,
    page: impl FnOnce(u64) -> (To, Call),
) -> Option<Effect> {
    list.wants_next_page().then(|| list.begin_next_page(requests, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::request::PaneAsk;

    impl Haystack for String {
        fn haystack(&self) -> String {
            self.clone()
        }
    }

    #[test]
    fn viewport_follows_cursor() {
        let mut v = Viewport::default();
        assert_eq!(v.window(0, 10, 100), 0);
        assert_eq!(v.window(9, 10, 100), 0);
        assert_eq!(v.window(10, 10, 100), 1);
        assert_eq!(v.window(50, 10, 100), 41);
        assert_eq!(v.window(45, 10, 100), 41);
        assert_eq!(v.window(40, 10, 100), 40);
        assert_eq!(v.window(99, 10, 100), 90);
        assert_eq!(v.window(3, 10, 5), 0);
    }

    #[test]
    fn a_filter_says_it_looked_only_at_what_is_loaded() {
        assert_eq!(
            filter_count(7, 200, Some(1_000_000)),
            "7 matches in 200 loaded of 1,000,000"
        );
        assert_eq!(filter_count(1, 2_600, None), "1 match in the 2,600 loaded");
        assert_eq!(
            filter_count(0, 30, Some(30)),
            "0 matches",
            "everything is loaded: nothing to add"
        );
    }

    #[test]
    fn paged_list_filters_and_pages() {
        let mut requests = Requests::default();
        let mut l: PagedList<String> = PagedList::default();
        assert!(l.wants_next_page());
        let page = |offset| {
            (
                To::Pane(PaneAsk::Sessions { offset }),
                Call::Sessions { offset, limit: 2 },
            )
        };
        let g = l
            .begin_next_page(&mut requests, page)
            .request()
            .map(|r| r.id)
            .expect("a request");
        assert_eq!(l.loading, Some(g));
        // A stale answer never gets here: see request::tests::stale_answers_are_dropped_by_the_map.
        let off = 0;
        assert!(l.accept_page(off, Ok(vec!["Alpha".into(), "beta".into()]), 2));
        l.refilter();
        assert_eq!(l.len(), 2);
        l.filter.set("ALP");
        l.refilter();
        assert_eq!(l.len(), 1);
        assert!(!l.wants_next_page(), "a filter only covers what is loaded (no reach)");
        l.filter_reach = 3;
        assert!(
            l.wants_next_page(),
            "a filter with a reach loads on, whatever the cursor"
        );
        l.filter_reach = 2;
        assert!(!l.wants_next_page(), "up to its reach");
        l.filter.clear();
        l.refilter();
        let g = l
            .begin_next_page(&mut requests, page)
            .request()
            .map(|r| r.id)
            .expect("a request");
        assert_eq!(l.loading, Some(g));
        assert!(l.accept_page(2, Ok(vec!["c".into()]), 2));
        assert!(l.is_complete());
    }

    /// The rows shown, as text.
    fn shown(l: &PagedList<String>) -> Vec<String> {
        (0..l.len()).filter_map(|i| l.get(i).cloned()).collect()
    }

    #[test]
    fn a_narrowing_query_gives_what_a_fresh_filter_gives() {
        let words = [
            "Anna Berg",
            "anneli",
            "Bob",
            "JOANNA",
            "Hanno",
            "annotated",
            "Ännä",
            "x",
        ];
        let mut l: PagedList<String> = PagedList::default();
        assert!(l.accept_page(0, Ok(words[..5].iter().map(|w| w.to_string()).collect()), 5));
        l.refilter();
        // Type "anno" letter by letter, a page arriving in the middle, then Backspace and a new word;
        // after each step the list shows what a list filtered once, from nothing, shows.
        let steps = ["a", "an", "ann", "+page", "anno", "ann", "an", "nn", "ÄN", ""];
        for step in steps {
            if step == "+page" {
                assert!(l.accept_page(5, Ok(words[5..].iter().map(|w| w.to_string()).collect()), 5));
            } else {
                l.filter.set(step);
            }
            l.refilter();
            let mut fresh: PagedList<String> = PagedList {
                rows: l.rows.clone(),
                ..Default::default()
            };
            fresh.filter.set(l.filter.query());
            fresh.refilter();
            assert_eq!(shown(&l), shown(&fresh), "after {step:?}");
        }
        l.filter.set("ann");
        l.refilter();
        assert_eq!(shown(&l), ["Anna Berg", "anneli", "JOANNA", "Hanno", "annotated"]);
    }

    #[test]
    fn the_cursor_stays_on_its_row_while_the_filter_narrows() {
        let mut l: PagedList<String> = PagedList::default();
        let rows: Vec<String> = (0..1_000).map(|i| format!("mailbox {i}")).collect();
        assert!(l.accept_page(0, Ok(rows), 2_000));
        l.refilter();
        l.filter.set("7");
        l.refilter();
        l.select_where(|r| r == "mailbox 777");
        l.filter.set("77");
        l.refilter();
        assert_eq!(l.selected().map(String::as_str), Some("mailbox 777"));
        l.filter.set("778");
        l.refilter();
        assert_eq!(
            l.selected().map(String::as_str),
            Some("mailbox 778"),
            "gone: the first shown"
        );
        // A row changed in place is filtered by its new words.
        if let Some(r) = l.find_mut(|r| r == "mailbox 5") {
            *r = "mailbox 5 (778)".into();
        }
        l.refilter();
        assert_eq!(shown(&l), ["mailbox 5 (778)", "mailbox 778"]);
    }
}
