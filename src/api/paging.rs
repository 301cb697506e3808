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

/// The number of results in a collection, found without listing it. One request when the server
/// reports `totalCount` (v6/v7); otherwise a galloping then binary search with one-result pages
/// (O(log n) tiny requests: about 40 for a million).
pub async fn count<T, F, Fut>(mut fetch: F) -> Result<u64, ApiError>
where
    F: FnMut(u64, u32) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let first = fetch(0, 1).await?;
    if let Some(total) = first.total_count.filter(|t| *t >= 0) {
        return Ok(total as u64);
    }
    if first.results.is_empty() {
        return Ok(0);
    }
    // Invariant: an item exists at `lo`; none at `hi` (once found).
    let mut lo = 0u64;
    let mut step = 1024u64;
    let mut hi;
    loop {
        let probe = lo + step;
        if fetch(probe, 1).await?.results.is_empty() {
            hi = probe;
            break;
        }
        lo = probe;
        step = step.saturating_mul(2);
        if lo > u32::MAX as u64 {
            return Err(ApiError::Decode("the collection does not seem to end".into()));
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fetch(mid, 1).await?.results.is_empty() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
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
        for total in [0u64, 1, 2, 1023, 1024, 1025, 2600, 1_000_000] {
            let calls = Cell::new(0);
            let n = count(|o, l| {
                calls.set(calls.get() + 1);
                std::future::ready(Ok(page(o, l, total, false)))
            })
            .await
            .unwrap();
            assert_eq!(n, total);
            assert!(calls.get() <= 45, "{} calls for {total}", calls.get());
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
