//! Micro benchmarks (divan): drawing the items pane at 100 and 1,000,000 items, a key on the million,
//! and decoding a page of items (vex's types against plain `serde_json::Value`).
//!
//! `cargo bench --bench render`; under `cargo test` divan runs each once. The states are built once
//! against the emulator (`vex sim`, in another process, stopped before measuring).

mod support;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::fixture::{self, Baseline};
use support::{MILLION, Sim, client};
use vex::api::models::{Item, Page};
use vex::app::layout::View;
use vex::app::{Action, Level, Msg, State, update};
use vex::ui::panes::draw_view;
use vex::ui::theme::Theme;

const SIZE: (u16, u16) = (200, 60);

struct Fixture {
    hundred: State,
    million: State,
    /// A page of 1,000 items as the server sends it.
    page: bytes::Bytes,
}

thread_local! {
    /// Built once, on the main thread (divan runs the benchmarks there; `State` is not `Sync`).
    static FIXTURE: Fixture = build();
}

fn build() -> Fixture {
    let sim = Sim::spawn(&[]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fx = rt.block_on(async {
        let c = client(&sim.url).await;
        let mut million = fixture::million_state(&c, SIZE).await;
        fixture::goto(&mut million, &c, MILLION / 2).await;
        let hundred = fixture::small_state(&million, &c, 100).await;
        let key = million.items.as_ref().expect("items").key.clone();
        let page = Baseline::login(&sim.url).await.items_bytes(&key, 0, 1000).await;
        Fixture { hundred, million, page }
    });
    drop(sim);
    fx
}

fn main() {
    FIXTURE.with(|_| ());
    divan::main();
}

fn state(fx: &Fixture, n: u64) -> &State {
    if n == MILLION { &fx.million } else { &fx.hundred }
}

/// One frame of the items pane over the whole 200x60 area.
#[divan::bench(args = [100, MILLION])]
fn items_pane(bencher: divan::Bencher, n: u64) {
    FIXTURE.with(|fx| {
        let state = state(fx, n);
        let mut term = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
        let theme = Theme::new(true);
        bencher.bench_local(|| {
            let mut f = term.get_frame();
            let area = f.area();
            draw_view(f.buffer_mut(), area, state, View::Pane(Level::Items), true, &theme);
        });
    });
}

/// The whole screen (folders, items, preview) drawn and diffed against the previous frame.
#[divan::bench(args = [100, MILLION])]
fn whole_frame(bencher: divan::Bencher, n: u64) {
    FIXTURE.with(|fx| {
        let state = state(fx, n);
        let mut term = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
        bencher.bench_local(|| {
            term.draw(|f| vex::ui::draw(f, state)).map(drop).expect("draw");
        });
    });
}

/// `update` for a key on the million (Down and Up in turn: no page changes).
#[divan::bench]
fn key_on_million(bencher: divan::Bencher) {
    let mut s = FIXTURE.with(|fx| fx.million.clone());
    let mut down = true;
    bencher.bench_local(|| {
        let a = if down { Action::Down } else { Action::Up };
        down = !down;
        update(&mut s, Msg::Action(a))
    });
}

/// Decoding 1,000 items: into vex's `Page<Item>`, and into `serde_json::Value` (the baseline).
#[divan::bench(args = ["vex", "value"])]
fn decode_1000_items(bencher: divan::Bencher, kind: &str) {
    let bytes = FIXTURE.with(|fx| fx.page.clone());
    match kind {
        "vex" => bencher.bench_local(|| serde_json::from_slice::<Page<Item>>(&bytes).expect("page")),
        _ => bencher.bench_local(|| serde_json::from_slice::<serde_json::Value>(&bytes).expect("JSON")),
    }
}

/// A frame in which the list scrolls by one row (Down and Up in turn, the cursor on the window's edge),
/// drawn and sent to a terminal (a sink): through vex's backend (which moves the rows) and ratatui's.
#[divan::bench(args = ["vex", "ratatui"])]
fn one_row_scroll_frame(bencher: divan::Bencher, backend: &str) {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::{Rect, Size};
    use ratatui::{TerminalOptions, Viewport};
    use vex::runtime::terminal::CompactBackend;
    let options = || TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, SIZE.0, SIZE.1)),
    };
    FIXTURE.with(|fx| {
        let a = fx.million.clone();
        // Drawn once, the cursor sits on the last visible row; one more row moves the window.
        let mut t = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
        t.draw(|f| vex::ui::draw(f, &a)).expect("draw");
        let mut b = a.clone();
        update(&mut b, Msg::Action(Action::Down));
        let mut flip = false;
        let mut next = move || {
            flip = !flip;
            if flip { b.clone() } else { a.clone() }
        };
        match backend {
            "vex" => {
                let sink = CompactBackend::with_size(CrosstermBackend::new(std::io::sink()), Size::new(SIZE.0, SIZE.1));
                let mut t = Terminal::with_options(sink, options()).expect("terminal");
                // As the loop draws (`App::compact_frames`).
                bencher.with_inputs(&mut next).bench_local_refs(|s| {
                    vex::runtime::terminal::draw_frame(&mut t, |buf, area| vex::ui::draw_into(buf, area, s))
                        .expect("draw");
                });
            }
            _ => {
                let mut t =
                    Terminal::with_options(CrosstermBackend::new(std::io::sink()), options()).expect("terminal");
                bencher.with_inputs(&mut next).bench_local_refs(|s| {
                    t.draw(|f| vex::ui::draw(f, s)).map(drop).expect("draw");
                });
            }
        }
    });
}
