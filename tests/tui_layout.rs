//! The layout is state: the rows a list shows are computed once (`app::layout`), and the page keys,
//! the mouse and drawing read the same number. Measured here from the drawn screen (the highlighted
//! cursor row on a `TestBackend`), at several terminal sizes, against the real loop and the emulator.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use support::app::{AppHarness, Setup};
use vex::app::layout::View;
use vex::app::{Level, Msg};

/// The emulator and the loop on a `w`x`h` `TestBackend`, the items of Archive 1M (a million messages)
/// focused with the cursor on the first.
async fn items_at(w: u16, h: u16) -> AppHarness {
    let setup = Setup {
        size: (w, h),
        ..Default::default()
    };
    let mut h = AppHarness::launch_with(setup, |mut s| {
        s.mouse = true;
        s
    })
    .await;
    h.until("the sessions", |s| s.sessions.list.len() >= 2 && !s.is_loading())
        .await;
    // A Contoso session (the emulator's first organization: its second mailbox holds Archive 1M).
    h.key(KeyCode::Char('/'));
    h.typed("contoso");
    h.key(KeyCode::Enter);
    h.until("the filter", |s| {
        s.sessions.list.filter.is_active() && !s.sessions.list.filter.editing
    })
    .await;
    h.key(KeyCode::Enter);
    h.until("the mailboxes", |s| {
        s.focus == Level::Mailboxes && s.mailboxes.as_ref().is_some_and(|m| m.list.len() >= 2)
    })
    .await;
    h.key(KeyCode::Down);
    h.key(KeyCode::Enter);
    h.until("the folders", |s| {
        s.focus == Level::Folders && s.folders.as_ref().is_some_and(|f| f.rows().len() > 5)
    })
    .await;
    h.key(KeyCode::Char('/'));
    h.typed("inbox");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char(' '));
    h.until("the Inbox's children", |s| {
        s.folders
            .as_ref()
            .is_some_and(|f| !f.is_loading() && f.nodes.len() > 12)
    })
    .await;
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('/'));
    h.typed("archive 1m");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    h.until("the first page of Archive 1M", |s| {
        s.focus == Level::Items
            && s.items.as_ref().is_some_and(|i| {
                i.folder.name.as_deref() == Some("Archive 1M") && i.selected().is_some() && i.known_len() >= 200
            })
    })
    .await;
    h
}

/// The items pane's slot on screen.
fn items_pane(h: &AppHarness) -> Rect {
    h.state()
        .layout
        .panes
        .iter()
        .find(|(v, _)| *v == View::Pane(Level::Items))
        .map(|(_, r)| *r)
        .expect("the items pane is on screen")
}

/// The screen line of the items pane's cursor (the row drawn reversed inside its border), if one is
/// drawn.
fn cursor_line(t: &Terminal<TestBackend>, pane: Rect) -> Option<u16> {
    let buf = t.backend().buffer();
    (pane.y + 1..pane.y + pane.height - 1).find(|&y| {
        (pane.x + 1..pane.x + pane.width - 1)
            .filter(|&x| buf[(x, y)].modifier.contains(Modifier::REVERSED))
            .count()
            >= 10
    })
}

fn cursor(h: &AppHarness) -> u64 {
    h.state().items.as_ref().map_or(0, |i| i.display_cursor())
}

/// Rows of the items list as drawn: Down from the first row until the cursor's line stops moving
/// down the screen (the list scrolls); the lines it was drawn on are the rows shown.
async fn rows_drawn(h: &mut AppHarness, (w, hh): (u16, u16)) -> u64 {
    let pane = items_pane(h);
    let first = cursor_line(&h.screen_terminal(w, hh), pane).expect("the cursor row is drawn");
    let mut last = first;
    for n in 1..200u64 {
        h.key(KeyCode::Down);
        h.until("the cursor moved", |s| {
            s.items.as_ref().is_some_and(|i| i.display_cursor() == n)
        })
        .await;
        let y = cursor_line(&h.screen_terminal(w, hh), pane).expect("the cursor row is drawn");
        if y == last {
            return u64::from(last - first) + 1;
        }
        assert_eq!(y, last + 1, "{w}x{hh}: Down moves the cursor one line");
        last = y;
    }
    panic!("{w}x{hh}: the list never scrolled");
}

/// PgDn and PgUp move the cursor by exactly the rows the items list shows, at several terminal sizes
/// (one, two and three panes; short and tall), and the mouse finds the rows where they were drawn.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_keys_move_by_the_rows_drawn() {
    for size in [(80, 24), (100, 30), (130, 45), (170, 50), (200, 18)] {
        let mut h = items_at(size.0, size.1).await;
        let shown = rows_drawn(&mut h, size).await;
        assert!(shown >= 5, "{size:?}: {shown} rows");
        assert_eq!(
            h.state().page_rows(),
            shown,
            "{size:?}: the layout's rows are the rows drawn"
        );

        // From the first row, PgDn moves by the rows shown; again from there; PgUp comes back.
        h.key(KeyCode::Home);
        h.until("the first row", |s| {
            s.items.as_ref().is_some_and(|i| i.display_cursor() == 0)
        })
        .await;
        h.key(KeyCode::PageDown);
        h.until("a page down", |s| {
            s.items.as_ref().is_some_and(|i| i.display_cursor() != 0)
        })
        .await;
        assert_eq!(cursor(&h), shown, "{size:?}: PgDn from the top");
        h.key(KeyCode::PageDown);
        h.until("two pages down", |s| {
            s.items.as_ref().is_some_and(|i| i.display_cursor() != shown)
        })
        .await;
        assert_eq!(cursor(&h), 2 * shown, "{size:?}: PgDn again");
        h.key(KeyCode::PageUp);
        h.until("a page up", |s| {
            s.items.as_ref().is_some_and(|i| i.display_cursor() != 2 * shown)
        })
        .await;
        assert_eq!(cursor(&h), shown, "{size:?}: PgUp");

        // The mouse reads the same layout: a click on the list's top line puts the cursor on the first
        // row drawn there.
        h.keys(KeyCode::Down, 3);
        h.until("three rows down", |s| {
            s.items.as_ref().is_some_and(|i| i.display_cursor() == shown + 3)
        })
        .await;
        let t = h.screen_terminal(size.0, size.1);
        let pane = items_pane(&h);
        let y = cursor_line(&t, pane).expect("the cursor row is drawn");
        let top = h.state().items.as_ref().map(|i| i.view.top()).expect("items");
        let top_line = y - (cursor(&h) - top) as u16;
        let x = pane.x + 2;
        h.app.dispatch(Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: top_line,
            modifiers: KeyModifiers::NONE,
        }));
        assert_eq!(cursor(&h), top, "{size:?}: the click lands on the row drawn there");
    }
}
