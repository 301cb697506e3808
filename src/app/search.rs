//! `s`: server-side search. The prompt opens for where the operator is (the folder under the cursor or
//! open, the mailbox, all mailboxes of the session); Enter shows the results in the items pane (paged
//! lazily like a folder, each page a search request in the items slot: a newer search supersedes an
//! older one); `Back` returns to what was shown before. A query the server refuses (400) brings the
//! prompt back with the query and the server's message.

use super::panes::items::{ItemsPane, ListKey};
use super::panes::restore_dialog::Source;
use super::panes::search_prompt::{Back, SearchContext, SearchInfo, SearchPrompt, SearchSpec, mailbox_label};
use super::{Effect, Level, Overlay, State, note_err};
use crate::api::models::Item;
use crate::api::{ApiError, RestoreScope};

/// `s`: the prompt (in search results: the same search, to edit).
pub fn open_prompt(state: &mut State) {
    if matches!(state.focus, Level::Items | Level::Details)
        && let Some(info) = state.items.as_ref().and_then(|i| i.search.as_deref())
    {
        let p = SearchPrompt::new(info.spec.context.clone(), &info.spec.query, Some(info.spec.scope));
        state.overlay = Some(Overlay::Search(p));
        return;
    }
    // From a filtered list: the filter's words, to run on the server (which sees every item, not only
    // the loaded ones).
    let words = state
        .items
        .as_ref()
        .map(|i| &i.filter)
        .filter(|f| state.focus == Level::Items && f.is_active())
        .map(|f| f.query().trim().to_string())
        .unwrap_or_default();
    match context(state) {
        Ok(ctx) => state.overlay = Some(Overlay::Search(SearchPrompt::new(ctx, &words, None))),
        Err(m) => state.info(m),
    }
}

/// The session's organization, as the mailboxes pane or the sessions list knows it.
fn organization(state: &State, session_id: &str) -> Option<String> {
    if let Some(m) = state.mailboxes.as_ref().filter(|m| m.session.id == session_id) {
        return m.session.organization.clone();
    }
    state
        .sessions
        .list
        .rows
        .iter()
        .find(|s| s.id == session_id)
        .and_then(|s| s.organization.clone())
}

/// What a search started here can cover.
fn context(state: &State) -> Result<SearchContext, String> {
    let base = |session_id: &str| SearchContext {
        session_id: session_id.to_string(),
        organization: organization(state, session_id),
        mailbox_names: state
            .mailboxes
            .as_ref()
            .filter(|m| m.session.id == session_id)
            .map(|m| {
                m.list
                    .rows
                    .iter()
                    .map(|mb| (mb.id.clone(), mailbox_label(mb)))
                    .collect()
            })
            .unwrap_or_default(),
        names_complete: state
            .mailboxes
            .as_ref()
            .is_some_and(|m| m.session.id == session_id && m.list.is_complete()),
        ..SearchContext::default()
    };
    match state.focus {
        Level::Sessions => {
            let s = state.sessions.selected().ok_or("no restore session selected")?;
            Ok(base(&s.id))
        }
        Level::Mailboxes => {
            let m = state.mailboxes.as_ref().ok_or("no mailboxes")?;
            Ok(SearchContext {
                mailbox: m.selected().cloned(),
                ..base(&m.session.id)
            })
        }
        Level::Folders => {
            let f = state.folders.as_ref().ok_or("no folders")?;
            let folder = f
                .rows()
                .get(f.cursor)
                .and_then(|&idx| Some((f.nodes.get(idx)?.folder.id.clone(), f.path_of(idx).join(" / "))));
            Ok(SearchContext {
                mailbox: Some(f.mailbox.clone()),
                folder,
                ..base(&f.session_id)
            })
        }
        Level::Items | Level::Details => {
            let items = state.items.as_ref().ok_or("nothing to search from here")?;
            let mailbox = state
                .folders
                .as_ref()
                .filter(|f| f.mailbox.id == items.key.mailbox_id && f.session_id == items.key.session_id)
                .map(|f| f.mailbox.clone());
            let folder = mailbox
                .is_some()
                .then(|| (items.key.folder_id.clone(), items.path.clone()));
            Ok(SearchContext {
                mailbox,
                folder,
                ..base(&items.key.session_id)
            })
        }
    }
}

/// Shows the results of `spec` in the items pane (the first page is asked for by the prefetch).
pub(crate) fn run(state: &mut State, spec: SearchSpec) {
    let back = match state.items.take() {
        // A search from the results: `Back` still returns to where the first search started.
        Some(items) if items.search.is_some() => {
            state.recall.leave_search(&items);
            state.details = None;
            items.search.map(|s| s.back)
        }
        other => Some(Back {
            items: other.map(Box::new),
            details: state.details.take().map(Box::new),
            focus: state.focus,
        }),
    };
    let back = back.unwrap_or(Back {
        items: None,
        details: None,
        focus: state.focus,
    });
    let mut results = ItemsPane::for_search(spec, back);
    // The same search run again: the cursor back on the result it was on.
    state.recall.enter_search(&mut results);
    state.items = Some(results);
    state.focus = Level::Items;
}

/// `Back` on the results: what was shown before the search, as it was.
pub fn leave(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(items) = state.items.take() else { return };
    if items.search.is_none() {
        state.items = Some(items);
        return;
    }
    state.recall.leave_search(&items);
    let Some(info) = items.search else { return };
    let SearchInfo { back, .. } = *info;
    state.items = back.items.map(|mut i| {
        // Its requests were superseded by the search's: ask again.
        i.forget_requests();
        *i
    });
    state.details = back.details.map(|d| *d);
    if let Some(d) = &mut state.details
        && d.loading.is_some()
    {
        fx.push(d.reload(&mut state.requests));
    }
    let open = state.open_levels();
    state.focus = if open.contains(&back.focus) {
        back.focus
    } else {
        open.last().copied().unwrap_or(Level::Sessions)
    };
}

/// The text a failed page leaves in the pane.
pub fn page_error(searching: bool, err: &Option<ApiError>) -> String {
    match err {
        Some(ApiError::Http {
            status: 400, message, ..
        }) if searching => format!("the server refused the query: {message}"),
        Some(e) => e.to_string(),
        None => String::new(),
    }
}

/// After a page of results was taken: errors go to the status line; a query the server refused brings
/// the prompt back with the query and the reason (unless the operator already moved on).
pub fn after_page(state: &mut State, offset: u64, err: Option<ApiError>) {
    let refused = matches!(&err, Some(ApiError::Http { status: 400, .. }));
    let text = page_error(true, &err);
    note_err(state, "search", err);
    if !(refused && offset == 0 && state.overlay.is_none() && state.focus == Level::Items) {
        return;
    }
    if let Some(info) = state.items.as_ref().and_then(|i| i.search.as_deref()) {
        let mut p = SearchPrompt::new(info.spec.context.clone(), &info.spec.query, Some(info.spec.scope));
        p.error = Some(text);
        state.overlay = Some(Overlay::Search(p));
    }
}

/// The key of a result's details: the mailbox it is in (all-mailboxes results say which).
pub fn result_key(items: &ItemsPane, it: &Item) -> Result<ListKey, String> {
    let Some(info) = items.search.as_deref() else {
        return Ok(items.key.clone());
    };
    let mailbox_id = info
        .mailbox_of(it)
        .ok_or("the server did not say which mailbox this result is in")?;
    Ok(ListKey {
        mailbox_id,
        ..items.key.clone()
    })
}

/// What `r`, `E`, `m` and `S` apply to in search results: the marked results (one-mailbox searches), or
/// the selected one (or the one whose details are shown). Never a folder: results are not one.
pub fn source(state: &State, info: &SearchInfo) -> Result<Source, String> {
    let items = state.items.as_ref().ok_or("no results")?;
    let (scope, item_ids, item_title, mailbox_id) = if state.focus == Level::Details {
        let d = state.details.as_ref().ok_or("no item")?;
        let id = d.item.id.clone();
        let title = d.item.title().map(str::to_string);
        (
            RestoreScope::Item(id.clone()),
            vec![id],
            title,
            d.key.mailbox_id.clone(),
        )
    } else if !items.marks.is_empty() {
        let ids: Vec<String> = items.marks.iter().cloned().collect();
        (RestoreScope::Items, ids, None, items.key.mailbox_id.clone())
    } else {
        let it = items.selected().ok_or("no result selected (Space marks results)")?;
        let mailbox_id = info
            .mailbox_of(it)
            .ok_or("the server did not say which mailbox this result is in")?;
        let title = it.title().map(str::to_string);
        (
            RestoreScope::Item(it.id.clone()),
            vec![it.id.clone()],
            title,
            mailbox_id,
        )
    };
    if mailbox_id.is_empty() {
        return Err("no mailbox for these results".into());
    }
    let mailbox_email = info
        .spec
        .context
        .mailbox
        .as_ref()
        .filter(|m| m.id == mailbox_id)
        .and_then(|m| m.email.clone());
    let marks = (scope == RestoreScope::Items).then(|| items.key.clone());
    let (point_in_time, date_label) = crate::app::jobs::point_in_time(state, &items.key.session_id);
    Ok(Source {
        session_id: items.key.session_id.clone(),
        mailbox_name: info.mailbox_name(&mailbox_id),
        mailbox_id,
        mailbox_email,
        folder: None,
        scope,
        item_ids,
        item_title,
        marks,
        folder_total: None,
        point_in_time,
        date_label,
    })
}
