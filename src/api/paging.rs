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

/// True when this page is the last one.
pub fn is_last<T>(page: &Page<T>, requested_limit: u32) -> bool {
    page.results.len() < requested_limit as usize
}

/// Fetches every page in order, `limit` at a time, calling `on_page` with each (streaming: nothing is
/// kept here). Stops on the first short page or an error.
pub async fn for_each_page<T, F, Fut, C>(limit: u32, mut fetch: F, mut on_page: C) -> Result<u64, ApiError>
where
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
    C: FnMut(Page<T>) -> bool,
{
    let limit = clamp_limit(limit);
    let mut offset = 0u64;
    loop {
        let page = fetch(offset, limit).await?;
        let n = page.results.len() as u64;
        let last = is_last(&page, limit);
        let go_on = on_page(page);
        offset += n;
        if last || !go_on || n == 0 {
            return Ok(offset);
        }
    }
}

/// Collects every result of every page.
pub async fn collect_all<T, F, Fut>(limit: u32, fetch: F) -> Result<Vec<T>, ApiError>
where
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
/// The first probes of the search: 1,024 × 8^i results in, up to 2^31.
const GALLOP_FIRST: u64 = 1024;

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
        let gallop = (0..COUNT_FANOUT as u32).map(|i| GALLOP_FIRST.saturating_mul(COUNT_FANOUT.saturating_pow(i)));
        let probes: Vec<u64> = std::iter::once(0).chain(gallop).collect();
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
    loop {
        let probes: Vec<u64> = match hi {
            None => (0..COUNT_FANOUT as u32)
                .map(|i| lo.saturating_add(GALLOP_FIRST.saturating_mul(COUNT_FANOUT.saturating_pow(i))))
                .collect(),
            Some(h) => {
                let span = h - lo;
                if span <= COUNT_FINAL_SPAN {
                    // The last request: everything between lo and hi at once.
                    let page = fetch(lo, span as u32).await?;
                    stats.requests += 1;
                    stats.round_trips += 1;
                    if page.results.is_empty() {
                        return Err(ApiError::Decode(
                            "the collection changed while it was being counted".into(),
                        ));
                    }
                    stats.total = lo + (page.results.len() as u64).min(span);
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
            None if lo >= u32::MAX as u64 => {
                return Err(ApiError::Decode("the collection does not seem to end".into()));
            }
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
        ] {
            for may_report_total in [true, false] {
                let calls = Cell::new(0u32);
                let s = count_with_stats(
                    |o, l| {
                        calls.set(calls.get() + 1);
                        std::future::ready(Ok(page(o, l, total, false)))
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
