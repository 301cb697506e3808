//! Micro benchmark (divan) of the row check of `vex items --all` (issue 17, target 1): a real page of
//! 1,000 items of `Inbox/Archive 1M` (as the emulator sends it, offset 900,000) read by
//! `api::body::JsonGuard` in row mode, each row found and checked by `api::scan` with the keys `vex items`
//! asks for; fed whole, and in 64 KiB chunks (rows cut between chunks are carried).
//!
//! `cargo bench --bench check`; under `cargo test` divan runs each once. The page is fetched once from
//! the emulator (`vex sim`, another process, stopped before measuring).

mod support;

use support::fixture::{self, Baseline};
use support::{Sim, client};
use vex::api::body::{BodyLimits, JsonGuard};
use vex::api::stream::KEYS;

thread_local! {
    static PAGE: bytes::Bytes = build();
}

fn build() -> bytes::Bytes {
    let sim = Sim::spawn(&[]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let page = rt.block_on(async {
        let key = fixture::million_key(&client(&sim.url).await).await;
        Baseline::login(&sim.url).await.items_bytes(&key, 900_000, 1000).await
    });
    drop(sim);
    page
}

fn main() {
    PAGE.with(|_| ());
    divan::main();
}

/// The rows of the page checked (all 1,000 by the fast path: the count is asserted).
#[divan::bench(args = ["whole", "64k"])]
fn check_1000_rows(bencher: divan::Bencher, feed: &str) {
    let page = PAGE.with(Clone::clone);
    let step = if feed == "whole" { page.len() } else { 64 << 10 };
    bencher.bench_local(|| {
        let mut guard = JsonGuard::rows(BodyLimits::default(), 1000).with_keys(&KEYS);
        let mut fast = 0usize;
        let mut on_row = |_: &[u8], s: Option<&vex::api::scan::Scanned<'_>>| {
            fast += usize::from(s.is_some());
            Ok(())
        };
        for chunk in page.chunks(step) {
            guard.feed_rows(chunk, &mut on_row).expect("rows");
        }
        guard.end_rows(&mut on_row).expect("rows");
        assert_eq!((guard.row_count(), fast), (1000, 1000));
        fast
    });
}
