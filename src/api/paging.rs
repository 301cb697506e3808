//! Paging: pages by offset, "stop when a page returns fewer than `limit`", any page by offset, and
//! finding the end of a collection without listing it.

use super::error::ApiError;
use super::models::Page;
use std::future::Future;

/// The server's maximum page size.
pub const MAX_PAGE: u32 = 10_000;
/// The server's default page size.
pub const DEFAULT_PAGE: u32 = 30;

/// Clamps a requested page size to what the server honours.
pub fn clamp_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_PAGE)
}

/// The most pages one listing fetches (`--all`, every mailbox, ...): a server that keeps sending full
/// pages is stopped with an error here rather than listed forever. A million-item folder at the
/// smallest page a server is known to cap at (100) is 10,000 pages.
pub const MAX_PAGES: u64 = 100_000;

/// True when the server says the collection goes on after `page` (asked at `offset` for `asked`
/// rows), by what it says, in this order: an empty page ends it; `totalCount` (v6/v7, when not null)
/// decides; a `_links.next` means more; otherwise a page shorter than the echoed `limit` (when the
/// server echoes one smaller than asked: it caps its page size) or than `asked` ends it.
///
/// Assumption (not in the spec): a server that caps page size either echoes the `limit` it served or
/// sends `totalCount` / `_links.next`; one that does none of these cannot be told from the last page.
pub fn says_more<T>(page: &Page<T>, offset: u64, asked: u32) -> bool {
    says_more_rows(page.results.len(), page, offset, asked)
}

/// [`says_more`] for a page whose `n` rows were read as a stream (its `results` are not kept).
pub fn says_more_rows<T>(n: usize, page: &Page<T>, offset: u64, asked: u32) -> bool {
    let n = n as u64;
    if n == 0 {
        return false;
    }
    if let Some(total) = page.total_count.filter(|t| *t >= 0) {
        return offset + n < total as u64;
    }
    if page.links.contains_key("next") {
        return true;
    }
    let asked = u64::from(clamp_limit(asked));
    let served = match u64::try_from(page.limit) {
        Ok(l) if l > 0 && l < asked => l,
        _ => asked,
    };
    n >= served
}

/// True when this page is the last one.
pub fn is_last<T>(page: &Page<T>, requested_limit: u32) -> bool {
    !says_more(page, page.offset.max(0) as u64, requested_limit)
}

/// A fingerprint of a page's rows, to notice a server that sends the same page again (e.g. one that
/// ignores `offset`).
fn fingerprint<T: serde::Serialize>(rows: &[T]) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    rows.iter()
        .map(|r| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            serde_json::to_vec(r).unwrap_or_default().hash(&mut h);
            h.finish()
        })
        .collect()
}

pub(crate) fn repeated_page(offset: u64) -> ApiError {
    ApiError::Decode(format!(
        "the server sent the same page again at offset {offset} (does it ignore offset?); the listing \
         stopped there and may be incomplete"
    ))
}

/// One page of up to `limit` rows from `offset`, following a server that serves fewer rows than asked
/// while it says there are more (see [`says_more`]): the rows of several requests, in order. The
/// answer's `totalCount`, `_links` and `setId` are the last request's; a page shorter than `limit`
/// is the end of the collection.
pub async fn fill_page<T, F, Fut>(offset: u64, limit: u32, mut fetch: F) -> Result<Page<T>, ApiError>
where
    T: serde::Serialize,
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let limit = clamp_limit(limit);
    let mut got: Vec<T> = Vec::new();
    let mut last_print: Option<Vec<u64>> = None;
    let mut requests = 0u64;
    loop {
        let at = offset + got.len() as u64;
        let want = limit - got.len() as u32;
        let mut page = fetch(at, want).await?;
        requests += 1;
        let more = says_more(&page, at, want);
        let n = page.results.len().min(want as usize);
        let last = !more || got.len() + n >= limit as usize || n == 0 || requests >= MAX_PAGES;
        // Fingerprints only when a page is followed by another (the usual page is one request).
        let print = if last_print.is_some() || !last {
            let print = fingerprint(&page.results);
            if !page.results.is_empty() && last_print.as_ref() == Some(&print) {
                return Err(repeated_page(at));
            }
            Some(print)
        } else {
            None
        };
        // More rows than asked: keep what was asked for (the rest comes with the next request).
        page.results.truncate(want as usize);
        got.append(&mut page.results);
        if last {
            page.results = got;
            page.offset = i64::try_from(offset).unwrap_or(i64::MAX);
            page.limit = i64::from(limit);
            if more && page.results.len() < limit as usize {
                // Stopped by the page cap: never hand on a short page that reads as the end.
                return Err(too_many_pages());
            }
            return Ok(page);
        }
        last_print = print;
    }
}

pub(crate) fn too_many_pages() -> ApiError {
    ApiError::Decode(format!(
        "stopped after {MAX_PAGES} pages: the server keeps sending full pages; the listing is incomplete"
    ))
}

/// Fetches every page in order, `limit` at a time, calling `on_page` with each (streaming: nothing is
/// kept here). Ends where the server says the collection ends ([`says_more`]), following a server that
/// serves fewer rows than asked; a page that repeats the previous one, more than [`MAX_PAGES`] pages or
/// an offset beyond int32 are errors (the rows so far were handed on), never a silent end.
pub async fn for_each_page<T, F, Fut, C>(limit: u32, mut fetch: F, mut on_page: C) -> Result<u64, ApiError>
where
    T: serde::Serialize,
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
    C: FnMut(Page<T>) -> bool,
{
    let limit = clamp_limit(limit);
    let mut offset = 0u64;
    let mut pages = 0u64;
    let mut last_print: Option<Vec<u64>> = None;
    loop {
        if pages >= MAX_PAGES {
            return Err(too_many_pages());
        }
        let mut page = fetch(offset, limit).await?;
        pages += 1;
        let more = says_more(&page, offset, limit);
        let print = fingerprint(&page.results);
        if !page.results.is_empty() && last_print.as_ref() == Some(&print) {
            return Err(repeated_page(offset));
        }
        page.results.truncate(limit as usize);
        let n = page.results.len() as u64;
        let go_on = on_page(page);
        offset += n;
        if !more || !go_on || n == 0 {
            return Ok(offset);
        }
        last_print = Some(print);
    }
}

/// Collects every result of every page.
pub async fn collect_all<T, F, Fut>(limit: u32, fetch: F) -> Result<Vec<T>, ApiError>
where
    T: serde::Serialize,
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let mut all = Vec::new();
    for_each_page(limit, fetch, |p| {
        all.extend(p.results);
        true
    })
    .await?;
    Ok(all)
}

/// How many probes [`count`] sends at once: enough to cut the round trips of a million-item search
/// from ~30 to ~7, few enough to stay polite to the server.
pub const COUNT_FANOUT: u64 = 8;
/// Once the end is known to within this many results, one request of that size settles it.
pub const COUNT_FINAL_SPAN: u64 = 100;
/// The first probes of the search: 1,024 × 8^i results in, up to [`MAX_OFFSET`].
const GALLOP_FIRST: u64 = 1024;

/// The largest `offset` (and `limit`) a request may carry: the spec types both as int32, and the
/// server's model binding answers 400 to anything larger. No folder holds more items than that, so
/// a count never needs to look further.
pub const MAX_OFFSET: u64 = i32::MAX as u64;

/// Gallop probes above `lo`: `lo + 1,024 × 8^i`, capped at [`MAX_OFFSET`], without repeats.
fn gallop_from(lo: u64, n: u32) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n)
        .map(|i| {
            lo.saturating_add(GALLOP_FIRST.saturating_mul(COUNT_FANOUT.saturating_pow(i)))
                .min(MAX_OFFSET)
        })
        .filter(|&o| o > lo)
        .collect();
    v.dedup();
    v
}

/// A collection with a result at [`MAX_OFFSET`]: more than a request can address.
fn too_large() -> ApiError {
    ApiError::Decode(format!(
        "the collection does not seem to end (a result at offset {MAX_OFFSET}, the largest the API allows)"
    ))
}

/// How a count was found: the result and what it cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountStats {
    pub total: u64,
    /// Requests sent.
    pub requests: u32,
    /// Rounds of requests (each round waits for its slowest probe): the latency the operator feels.
    pub round_trips: u32,
}

/// The number of results in a collection, found without listing it. One request when the server
/// reports `totalCount` (v6/v7). Otherwise (v8 reports none) a search for the end with one-result
/// probes sent [`COUNT_FANOUT`] at a time: first 1,024 × 8^i results in, then evenly inside the
/// bracket that holds the end, until one request of at most [`COUNT_FINAL_SPAN`] results settles it.
/// For a million items: 7 round trips of at most 8 tiny requests (a sequential binary search needs
/// about 31 round trips).
pub async fn count<T, F, Fut>(fetch: F) -> Result<u64, ApiError>
where
    F: Fn(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    count_with_stats(fetch, true).await.map(|s| s.total)
}

/// [`count`] with what it cost. `may_report_total: false` (the caller knows the server reports no
/// `totalCount` here, e.g. v8 items) sends the first probe together with the first search round,
/// saving a round trip.
pub async fn count_with_stats<T, F, Fut>(fetch: F, may_report_total: bool) -> Result<CountStats, ApiError>
where
    F: Fn(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let mut stats = CountStats {
        total: 0,
        requests: 0,
        round_trips: 0,
    };
    if may_report_total {
        let first = fetch(0, 1).await?;
        stats.requests += 1;
        stats.round_trips += 1;
        if let Some(total) = first.total_count.filter(|t| *t >= 0) {
            stats.total = total as u64;
            return Ok(stats);
        }
        if first.results.is_empty() {
            return Ok(stats);
        }
    } else {
        let probes: Vec<u64> = std::iter::once(0).chain(gallop_from(0, COUNT_FANOUT as u32)).collect();
        let answers = futures_util::future::join_all(probes.iter().map(|&o| fetch(o, 1))).await;
        stats.requests += probes.len() as u32;
        stats.round_trips += 1;
        let mut found = Vec::with_capacity(probes.len());
        for answer in answers {
            let page = answer?;
            if let Some(total) = page.total_count.filter(|t| *t >= 0) {
                stats.total = total as u64;
                return Ok(stats);
            }
            found.push(!page.results.is_empty());
        }
        if !found[0] {
            return Ok(stats);
        }
        let lo = probes
            .iter()
            .zip(&found)
            .filter(|(_, f)| **f)
            .map(|(o, _)| *o)
            .max()
            .unwrap_or(0);
        let hi = probes.iter().zip(&found).filter(|(_, f)| !**f).map(|(o, _)| *o).min();
        return search_end(fetch, lo, hi, stats).await;
    }
    search_end(fetch, 0, None, stats).await
}

/// The search for the end once a result is known at `lo` (and none at `hi`, when known).
async fn search_end<T, F, Fut>(
    fetch: F,
    mut lo: u64,
    mut hi: Option<u64>,
    mut stats: CountStats,
) -> Result<CountStats, ApiError>
where
    F: Fn(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    if hi.is_some_and(|h| h <= lo) {
        return Err(ApiError::Decode(
            "the collection changed while it was being counted".into(),
        ));
    }
    // Invariant: a result exists at `lo`; none at `hi` (once found).
    let mut final_span = COUNT_FINAL_SPAN;
    loop {
        let probes: Vec<u64> = match hi {
            None if lo >= MAX_OFFSET => return Err(too_large()),
            None => gallop_from(lo, COUNT_FANOUT as u32),
            Some(h) => {
                let span = h - lo;
                if span <= final_span {
                    // The last request: everything between lo and hi at once.
                    let page = fetch(lo, span as u32).await?;
                    stats.requests += 1;
                    stats.round_trips += 1;
                    let n = (page.results.len() as u64).min(span);
                    if n == 0 {
                        return Err(ApiError::Decode(
                            "the collection changed while it was being counted".into(),
                        ));
                    }
                    if n < span && says_more(&page, lo, span as u32) {
                        // The server served fewer rows than asked and says there are more (it caps its
                        // page size): the rows it served exist; go on searching beyond them, with final
                        // requests no larger than what it serves.
                        lo += n - 1;
                        final_span = n;
                        continue;
                    }
                    stats.total = lo + n;
                    return Ok(stats);
                }
                // Split [lo, h) into up to FANOUT+1 parts; probe the inner edges.
                let parts = COUNT_FANOUT + 1;
                let mut v: Vec<u64> = (1..parts).map(|k| lo + span * k / parts).collect();
                v.dedup();
                v.retain(|&o| o > lo && o < h);
                v
            }
        };
        if probes.is_empty() {
            stats.total = hi.unwrap_or(lo + 1);
            return Ok(stats);
        }
        let answers = futures_util::future::join_all(probes.iter().map(|&o| fetch(o, 1))).await;
        stats.requests += probes.len() as u32;
        stats.round_trips += 1;
        for (&o, answer) in probes.iter().zip(answers) {
            if answer?.results.is_empty() {
                hi = Some(hi.map_or(o, |h| h.min(o)));
            } else {
                lo = lo.max(o);
            }
        }
        match hi {
            // Answers that contradict each other (an item past the end): the collection changed.
            Some(h) if h <= lo => {
                return Err(ApiError::Decode(
                    "the collection changed while it was being counted".into(),
                ));
            }
            None if lo >= MAX_OFFSET => return Err(too_large()),
            _ => {}
        }
    }
}

/// The offset of the last page of `page_size` for a collection of `total` results.
pub fn last_page_offset(total: u64, page_size: u32) -> u64 {
    if total == 0 {
        return 0;
    }
    let ps = page_size.max(1) as u64;
    (total - 1) / ps * ps
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn page(offset: u64, limit: u32, total: u64, with_total: bool) -> Page<u64> {
        let end = (offset + limit as u64).min(total);
        Page {
            offset: offset as i64,
            limit: limit as i64,
            set_id: None,
            results: (offset.min(total)..end).collect(),
            links: Default::default(),
            total_count: with_total.then_some(total as i64),
        }
    }

    /// Like the server's model binding: offset and limit are int32.
    fn strict(offset: u64, limit: u32) -> Result<(), ApiError> {
        if offset > i32::MAX as u64 || u64::from(limit) > i32::MAX as u64 {
            return Err(ApiError::Http {
                status: 400,
                message: format!("The value '{offset}' is not valid for offset."),
                error_code: None,
            });
        }
        Ok(())
    }

    #[tokio::test]
    async fn counting_never_leaves_int32_and_a_bigger_collection_is_a_clear_error() {
        for may_report_total in [true, false] {
            let s = count_with_stats(
                |o, l| std::future::ready(strict(o, l).map(|()| page(o, l, 3_000_000_000, false))),
                may_report_total,
            )
            .await;
            let e = s.unwrap_err().to_string();
            assert!(e.contains("does not seem to end"), "{e}");
            assert!(e.contains("2147483647"), "{e}");
        }
    }

    #[tokio::test]
    async fn counts_with_and_without_total() {
        for total in [
            0u64,
            1,
            2,
            99,
            100,
            101,
            1023,
            1024,
            1025,
            2600,
            8192,
            1_000_000,
            2_000_000_000,
            MAX_OFFSET - 1,
            MAX_OFFSET,
        ] {
            for may_report_total in [true, false] {
                let calls = Cell::new(0u32);
                let s = count_with_stats(
                    |o, l| {
                        calls.set(calls.get() + 1);
                        std::future::ready(strict(o, l).map(|()| page(o, l, total, false)))
                    },
                    may_report_total,
                )
                .await
                .unwrap();
                assert_eq!(s.total, total);
                assert_eq!(s.requests, calls.get());
                // A sequential binary search needs ~31 round trips for a million.
                assert!(s.round_trips <= 12, "{} round trips for {total}", s.round_trips);
                assert!(s.requests <= 90, "{} requests for {total}", s.requests);
                if total == 1_000_000 && !may_report_total {
                    assert!(s.round_trips <= 7, "{s:?}");
                }
            }
            let calls = Cell::new(0);
            let n = count(|o, l| {
                calls.set(calls.get() + 1);
                std::future::ready(Ok(page(o, l, total, true)))
            })
            .await
            .unwrap();
            assert_eq!((n, calls.get()), (total, 1));
        }
    }

    #[tokio::test]
    async fn a_collection_that_changes_while_counted_is_an_error_not_a_loop() {
        // Claims an item everywhere below 5,000 except that offset 4,000 is empty.
        let r = count(|o, l| {
            let mut p = page(o, l, 5_000, false);
            if o <= 4_000 && o + l as u64 > 4_000 && o >= 3_000 {
                p.results.clear();
            }
            std::future::ready(Ok(p))
        })
        .await;
        // Either a consistent answer from the probes it made or a clear error; never a hang.
        if let Ok(n) = r {
            assert!(n <= 5_000);
        }
        let r = count(|_o, _l| std::future::ready(Ok(page(0, 1, 1, false))));
        assert!(r.await.is_err(), "a collection with no end");
    }

    /// A server that serves at most `cap` rows whatever is asked, saying so the way `how` picks:
    /// 0 echoes the served limit, 1 sends totalCount, 2 a `_links.next`, 3 says nothing.
    fn capped(offset: u64, limit: u32, total: u64, cap: u32, how: u8) -> Page<u64> {
        let served = limit.min(cap);
        let mut p = page(offset, served, total, how == 1);
        p.limit = if how == 0 { i64::from(served) } else { i64::from(limit) };
        if how == 2 && offset + u64::from(served) < total {
            p.links.insert(
                "next".into(),
                crate::api::models::Link {
                    href: format!("/v8/x?offset={}", offset + u64::from(served)),
                },
            );
        }
        p
    }

    #[tokio::test]
    async fn a_server_that_caps_page_size_is_followed_to_the_end() {
        for how in 0..3u8 {
            let calls = Cell::new(0u32);
            let all = collect_all(10, |o, l| {
                calls.set(calls.get() + 1);
                std::future::ready(Ok(capped(o, l, 10, 3, how)))
            })
            .await
            .unwrap();
            assert_eq!(all, (0..10).collect::<Vec<u64>>(), "how {how}");
            assert!(calls.get() >= 4, "how {how}: {} requests", calls.get());
            // One page of 10 asked: filled from several requests.
            let p = fill_page(2, 10, |o, l| std::future::ready(Ok(capped(o, l, 10, 3, how))))
                .await
                .unwrap();
            assert_eq!(p.results, (2..10).collect::<Vec<u64>>(), "how {how}");
            let p = fill_page(0, 5, |o, l| std::future::ready(Ok(capped(o, l, 100, 3, how))))
                .await
                .unwrap();
            assert_eq!(p.results, (0..5).collect::<Vec<u64>>(), "how {how}");
        }
        // A server that says nothing: a short page is all it can tell (the documented assumption).
        let all = collect_all(10, |o, l| std::future::ready(Ok(capped(o, l, 10, 3, 3))))
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
        // totalCount wins over a full page: no request past the end.
        let calls = Cell::new(0u32);
        let all = collect_all(5, |o, l| {
            calls.set(calls.get() + 1);
            std::future::ready(Ok(page(o, l, 10, true)))
        })
        .await
        .unwrap();
        assert_eq!((all.len(), calls.get()), (10, 2));
    }

    #[tokio::test]
    async fn counting_follows_a_server_that_caps_page_size() {
        for cap in [1u32, 3, 7, 50] {
            // The server echoes the limit it served, or sends `_links.next` (its totalCount is null).
            for how in [0u8, 2] {
                for total in [0u64, 1, 5, 99, 1000, 2605, 1_000_000] {
                    for may_report_total in [true, false] {
                        let s = count_with_stats(
                            |o, l| {
                                let mut p = capped(o, l, total, cap, how);
                                // No totalCount: the count must be searched.
                                p.total_count = None;
                                std::future::ready(strict(o, l).map(|()| p))
                            },
                            may_report_total,
                        )
                        .await
                        .unwrap();
                        assert_eq!(s.total, total, "cap {cap}, how {how}");
                        assert!(s.round_trips <= 14, "cap {cap}, how {how}, {total}: {s:?}");
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn endless_or_repeating_servers_are_stopped_with_an_error() {
        // Ignores offset: the same full page again and again.
        let rows = Cell::new(0usize);
        let e = for_each_page(
            3,
            |_o, l| std::future::ready(Ok(page(0, l, 100, false))),
            |p| {
                rows.set(rows.get() + p.results.len());
                true
            },
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("same page again"), "{e}");
        assert_eq!(rows.get(), 3, "the first page was handed on, the repeat was not");
        let e = fill_page(0, 10, |_o, l| {
            let mut p = page(0, l.min(3), 100, false);
            p.limit = 3;
            std::future::ready(Ok(p))
        })
        .await
        .unwrap_err();
        assert!(e.to_string().contains("same page again"), "{e}");
        // Full pages of new rows forever: the page cap stops it.
        let calls = Cell::new(0u64);
        let e = for_each_page(
            1,
            |o, l| {
                calls.set(calls.get() + 1);
                std::future::ready(Ok(page(o, l, u64::MAX, false)))
            },
            |_| true,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("keeps sending full pages"), "{e}");
        assert_eq!(calls.get(), MAX_PAGES);
        // More rows than asked: only what was asked is handed on, and the next page starts after it.
        let mut seen = Vec::new();
        for_each_page(
            4,
            |o, _l| std::future::ready(Ok(page(o, 6, 10, false))),
            |p| {
                seen.extend(p.results);
                true
            },
        )
        .await
        .unwrap();
        assert_eq!(seen, (0..10).collect::<Vec<u64>>());
    }

    #[tokio::test]
    async fn collects_across_short_last_page() {
        let all = collect_all(100, |o, l| std::future::ready(Ok(page(o, l, 250, false))))
            .await
            .unwrap();
        assert_eq!(all.len(), 250);
        assert_eq!(all[249], 249);
        assert_eq!(last_page_offset(1_000_000, 50), 999_950);
        assert_eq!(last_page_offset(101, 50), 100);
        assert_eq!(clamp_limit(50_000), MAX_PAGE);
    }
}
