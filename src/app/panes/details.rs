//! Details of one item: every field the API returned for it, scrollable.

pub mod entries;

use super::items::ListKey;
use super::{Ctx, Heard, Help, Pane, PaneReply, split_answer};
use crate::api::ApiError;
use crate::api::models::Item;
use crate::app::request::{PaneAsk, Response};
use crate::app::{Action, Call, Effect, Level, RequestId, Requests, To};

pub const HELP: Help = &[
    (Action::Back, "back", "back to the items"),
    (Action::Down, "scroll", "scroll down"),
    (Action::Up, "scroll up", "scroll up"),
    (Action::PageDown, "page", "scroll a page down"),
    (Action::PageUp, "page up", "scroll a page up"),
    (Action::First, "top", "top"),
    (Action::Last, "bottom", "bottom"),
    (Action::Restore, "restore", "restore this item"),
];

#[derive(Clone, Debug)]
pub struct DetailsPane {
    pub key: ListKey,
    /// The item as listed, replaced by the single-item answer when it arrives.
    pub item: Item,
    /// The single-item request in flight.
    pub loading: Option<RequestId>,
    /// First shown line.
    pub scroll: u64,
    /// The largest useful scroll at the pane's size (set by the layout, [`crate::app::layout::reflow`],
    /// from the wrapped length of [`entries::rows`]).
    pub max_scroll: u64,
}

impl DetailsPane {
    pub fn new(key: ListKey, item: Item) -> DetailsPane {
        DetailsPane {
            key,
            item,
            loading: None,
            scroll: 0,
            max_scroll: u64::MAX,
        }
    }

    /// Asks for the single item (again): a new request, which supersedes any in flight.
    pub fn reload(&mut self, requests: &mut Requests) -> Effect {
        let r = requests.ask(
            To::Pane(PaneAsk::Details),
            Call::Item {
                session_id: self.key.session_id.clone(),
                mailbox_id: self.key.mailbox_id.clone(),
                item_id: self.item.id.clone(),
            },
        );
        self.loading = Some(r.id);
        Effect::Request(r)
    }

    pub fn on_move(&mut self, action: Action, page: u64) {
        let max = self.max_scroll;
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => self.scroll.saturating_add(1).min(max),
            Action::PageUp => self.scroll.saturating_sub(page.max(1)),
            Action::PageDown => self.scroll.saturating_add(page.max(1)).min(max),
            Action::First => 0,
            Action::Last => max,
            _ => self.scroll,
        };
    }

    /// Takes the single-item answer (the request map dropped stale answers already).
    pub fn on_item(&mut self, result: Result<Item, String>) -> Result<(), String> {
        self.loading = None;
        match result {
            Ok(item) if item.id == self.item.id || self.item.id.is_empty() => {
                self.item = item;
                Ok(())
            }
            // A 200 with another item: keep the listed copy and say so (never show the wrong item).
            Ok(other) => Err(format!(
                "the server answered with another item ({}); showing the copy from the list",
                crate::text::sanitize(&other.id)
            )),
            Err(e) => Err(e),
        }
    }
}

impl Pane for DetailsPane {
    fn waits(&self, _: &PaneAsk, id: RequestId) -> bool {
        self.loading == Some(id)
    }

    fn on_answer(&mut self, ask: PaneAsk, result: Result<Response, ApiError>) -> Heard {
        if ask != PaneAsk::Details {
            return Heard::Nothing;
        }
        let (item, err) = split_answer(result);
        match self.on_item(item) {
            Err(m) if err.is_none() => Heard::Error(m),
            _ => Heard::Noted("item", err),
        }
    }

    fn on_action(&mut self, a: Action, ctx: &mut Ctx) -> PaneReply {
        match a {
            _ if a.is_move() => self.on_move(a, ctx.page),
            Action::Back => return PaneReply::Focus(Level::Items),
            _ => {}
        }
        PaneReply::Done
    }

    fn refresh(&mut self, ctx: &mut Ctx) -> PaneReply {
        ctx.fx.push(self.reload(ctx.requests));
        // The preview is asked for again too (it may have failed; a Save event more).
        PaneReply::Preview(super::preview::key_of(
            &self.key.session_id,
            &self.key.mailbox_id,
            &self.item,
        ))
    }

    fn help(&self) -> Help {
        HELP
    }

    fn busy(&self) -> bool {
        self.loading.is_some()
    }

    fn selected_id(&self) -> Option<String> {
        Some(self.item.id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, subject: &str) -> Item {
        serde_json::from_value(serde_json::json!({"id": id, "itemClass": "IPM.Note", "subject": subject}))
            .expect("item")
    }

    #[test]
    fn an_answer_with_another_item_keeps_the_listed_copy_and_says_so() {
        let key = ListKey {
            session_id: "s".into(),
            mailbox_id: "m".into(),
            folder_id: "f".into(),
        };
        let mut d = DetailsPane::new(key, item("a", "listed"));
        // A stale answer never gets here: see request::tests::stale_answers_are_dropped_by_the_map.
        d.loading = Some(7);
        let r = d.on_item(Ok(item("b\u{1b}[31m", "wrong")));
        let msg = r.expect_err("a mismatch is reported");
        assert!(msg.contains("another item") && !msg.contains('\u{1b}'), "{msg}");
        assert_eq!(d.item.title(), Some("listed"));
        d.loading = Some(8);
        assert_eq!(d.on_item(Ok(item("a", "full"))), Ok(()));
        assert_eq!(d.item.title(), Some("full"));
    }
}
