//! `y` / `Y`: the selected entity's id, or a one-line summary of it, to the clipboard. The update only
//! prepares the text (clean, within the OSC 52 cap) and says what it copied; the runtime writes the
//! escape sequence (see [`crate::text::osc52`]).

use super::panes::search_prompt::mailbox_label;
use super::{Effect, Level, State};
use crate::api::models::{ApiDate, Item, ItemData};
use crate::text::osc52::{OSC52_MAX_BASE64, prepare};

/// Whether a copy sent as OSC 52 reaches the operator's clipboard, as far as the runtime can tell from
/// the terminal it runs in (set at start-up, see `runtime::terminal::TerminalFacts`). The update only
/// reads it: it says so in the status line, and sends nothing when the copy cannot arrive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ClipboardReach {
    /// Nothing says the terminal would drop it (OSC 52 gives no answer: vex cannot know for sure).
    #[default]
    Likely,
    /// Sent, but something on the way may drop it: why ("tmux's set-clipboard is off").
    Doubtful(String),
    /// It cannot arrive: why ("the output is not a terminal"); nothing is sent.
    Impossible(String),
}

/// Copies the id (`summary: false`) or the summary of what the focused pane has selected.
pub fn copy(state: &mut State, summary: bool, fx: &mut Vec<Effect>) {
    let text = if summary {
        summary_text(state)
    } else {
        selected_id(state)
    };
    let Some(text) = text else {
        return state.info("nothing to copy");
    };
    let (text, cut) = prepare(&text, OSC52_MAX_BASE64);
    if text.trim().is_empty() {
        return state.info("nothing to copy");
    }
    let what = if summary {
        "summary".to_string()
    } else {
        format!("id {}", abbreviate(&text, 8))
    };
    let cut = if cut { ", cut to the OSC 52 limit" } else { "" };
    let bytes = crate::text::thousands(text.len() as u64);
    match &state.clipboard {
        ClipboardReach::Likely => state.info(format!("copied {what} ({bytes} bytes{cut})")),
        ClipboardReach::Doubtful(why) => {
            let text = format!(
                "copied {what} ({bytes} bytes{cut}; sent to the terminal by OSC 52; {why}, so it may not arrive)"
            );
            state.error(text)
        }
        ClipboardReach::Impossible(why) => return state.error(format!("could not copy: {why}")),
    }
    fx.push(Effect::Clipboard(text));
}

/// The first `n` characters, with `…` when there were more.
fn abbreviate(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The item the focused pane shows (details) or has under its cursor (items).
fn focused_item(state: &State) -> Option<&Item> {
    match state.focus {
        Level::Details => state.details.as_ref().map(|d| &d.item),
        Level::Items => state.items.as_ref()?.selected(),
        _ => None,
    }
}

/// The id of the selected session, mailbox, folder or item.
pub fn selected_id(state: &State) -> Option<String> {
    state.pane(state.focus)?.selected_id().filter(|id| !id.is_empty())
}

/// A one-line summary of the selected session, mailbox, folder or item (fields joined with ` | `).
pub fn summary_text(state: &State) -> Option<String> {
    let zone = &state.zone;
    let parts: Vec<String> = match state.focus {
        Level::Sessions => {
            let s = state.sessions.selected()?;
            let mut v = vec![format!(
                "Restore session {}",
                s.organization.as_deref().unwrap_or("(no organization)")
            )];
            v.push(s.state.as_str().to_string());
            if let Some(d) = &s.creation_time {
                v.push(format!("created {}", zone.short(d)));
            }
            v.push(format!("id {}", s.id));
            v
        }
        Level::Mailboxes => {
            let m = state.mailboxes.as_ref()?.selected()?;
            let mut v = vec![format!("Mailbox {}", mailbox_label(m))];
            if let Some(e) = m.email.as_deref().filter(|e| !e.is_empty()) {
                v.push(e.to_string());
            }
            if m.is_archive {
                v.push("archive".into());
            }
            if m.is_public {
                v.push("public folders".into());
            }
            v.push(format!("id {}", m.id));
            v
        }
        Level::Folders => {
            let f = state.folders.as_ref()?;
            let &idx = f.rows().get(f.cursor)?;
            let node = f.nodes.get(idx)?;
            vec![
                format!("Folder {}", f.path_of(idx).join(" / ")),
                format!("mailbox {}", mailbox_label(&f.mailbox)),
                super::panes::folders::folder_kind(&node.folder).to_string(),
                format!("id {}", node.folder.id),
            ]
        }
        Level::Items | Level::Details => {
            let it = focused_item(state)?;
            item_summary(state, it)
        }
    };
    Some(parts.join(" | "))
}

/// Class, subject, who, when, where, id.
fn item_summary(state: &State, it: &Item) -> Vec<String> {
    let zone = &state.zone;
    let d = |o: Option<&ApiDate>| o.map(|d| zone.short(d));
    let who = |label: &str, v: Option<&String>| v.filter(|s| !s.is_empty()).map(|s| format!("{label} {s}"));
    let (person, when) = match &it.data {
        ItemData::Message(m) => (who("from", m.from.as_ref()), d(m.received.as_ref().or(m.sent.as_ref()))),
        ItemData::Appointment(a) => (who("organizer", a.organizer.as_ref()), d(a.start_time.as_ref())),
        ItemData::Contact(c) => (c.email.clone(), None),
        ItemData::Task(t) => (
            who("owner", t.owner.as_ref()),
            t.due_date.as_ref().map(|x| format!("due {}", zone.short(x))),
        ),
        ItemData::Journal(j) => (None, d(j.start())),
        ItemData::StickyNote(n) => (None, d(n.date.as_ref())),
        ItemData::Discussion(p) => (who("from", p.from.as_ref()), d(p.posted_on.as_ref())),
        ItemData::ContactGroup(_) | ItemData::Other => (None, None),
    };
    let class = it
        .item_class
        .clone()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| it.kind().label().to_string());
    let mut v = vec![class, it.title().unwrap_or("(no subject)").to_string()];
    v.extend(person);
    v.extend(when);
    v.extend(location(state, it));
    v.push(format!("id {}", it.id));
    v
}

/// `in Zoë Müller / Inbox` for a folder's item, `in Zoë Müller` for a search result.
fn location(state: &State, it: &Item) -> Option<String> {
    let items = state.items.as_ref()?;
    if let Some(info) = items.search.as_deref() {
        let mb = info.mailbox_of(it)?;
        return Some(format!("in {}", info.mailbox_name(&mb)));
    }
    let f = state
        .folders
        .as_ref()
        .filter(|f| f.mailbox.id == items.key.mailbox_id)?;
    Some(format!("in {} / {}", mailbox_label(&f.mailbox), items.path))
}
