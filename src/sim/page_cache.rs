//! Item pages kept as the bytes sent: a page of the items route is a pure function of its request (the
//! seeded data never changes under a listing; restores write to other mailboxes' targets, not to the
//! listed data), so the second request for the same page costs a copy of a few pointers instead of
//! generating, serialising, shaping and serialising again. This keeps the emulator out of what the
//! benchmarks measure: it serves the million-item folder several times faster than a client consumes it.
//!
//! Not used with `--vary` (whose answers differ by request). Each answer still gets its own `setId`
//! (a new one unless the request names one), spliced into the kept bytes. Bounded by [`BUDGET`] bytes;
//! the oldest pages go first.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use uuid::Uuid;

/// The most bytes kept (a full pass over 100,000 items of the million-item folder at any page size).
pub const BUDGET: usize = 512 << 20;

/// One page as sent, with where its `setId` value is (to put a fresh one there).
#[derive(Clone)]
struct Kept {
    bytes: Bytes,
    set_id: Option<(usize, usize)>,
}

#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, Kept>,
    order: VecDeque<String>,
    bytes: usize,
    hits: u64,
}

impl PageCache {
    /// The answer kept for `key`, with a fresh `setId` unless `fixed_set` (the request named its set).
    pub fn get(&self, key: &str, fixed_set: bool) -> Option<Response> {
        let kept = {
            let mut g = self.inner.lock().ok()?;
            let k = g.pages.get(key)?.clone();
            g.hits += 1;
            k
        };
        let body = match kept.set_id {
            Some((a, b)) if !fixed_set => {
                // Three pieces, no copy of the page (sent chunked).
                let id = Bytes::from(Uuid::new_v4().to_string());
                let parts = [kept.bytes.slice(..a), id, kept.bytes.slice(b..)];
                Body::from_stream(futures_util::stream::iter(
                    parts.map(Ok::<Bytes, std::convert::Infallible>),
                ))
            }
            _ => Body::from(kept.bytes),
        };
        let mut r = Response::new(body);
        *r.status_mut() = StatusCode::OK;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        Some(r)
    }

    /// Keeps `bytes` (a successful items page) as the answer to `key`.
    pub fn put(&self, key: String, bytes: Bytes) {
        if bytes.len() > BUDGET / 4 {
            return;
        }
        let set_id = find_set_id(&bytes);
        // In a memfd, so that serving it again costs no copy (`super::zerocopy`).
        let bytes = super::zerocopy::kept(&bytes).unwrap_or(bytes);
        let Ok(mut g) = self.inner.lock() else { return };
        if g.pages.contains_key(&key) {
            return;
        }
        while g.bytes + bytes.len() > BUDGET {
            let Some(old) = g.order.pop_front() else { break };
            if let Some(k) = g.pages.remove(&old) {
                g.bytes -= k.bytes.len();
            }
        }
        g.bytes += bytes.len();
        g.order.push_back(key.clone());
        g.pages.insert(key, Kept { bytes, set_id });
    }

    /// Answers served from the cache so far.
    pub fn hits(&self) -> u64 {
        self.inner.lock().map(|g| g.hits).unwrap_or(0)
    }
}

/// Where the value of the top-level `"setId":"<uuid>"` is (the serialiser writes it before `results`,
/// so the first occurrence is the envelope's).
fn find_set_id(b: &[u8]) -> Option<(usize, usize)> {
    const KEY: &[u8] = b"\"setId\":\"";
    let at = memchr::memmem::find(b, KEY)? + KEY.len();
    let len = 36;
    let v = b.get(at..at + len)?;
    let ok = std::str::from_utf8(v)
        .ok()
        .and_then(|s| Uuid::parse_str(s).ok())
        .is_some()
        && b.get(at + len) == Some(&b'"');
    ok.then_some((at, at + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(r: Response) -> String {
        let b = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn pages_come_back_with_fresh_set_ids_and_the_budget_holds() {
        let c = PageCache::default();
        let id = Uuid::new_v4().to_string();
        let body = format!(r#"{{"offset":0,"limit":2,"setId":"{id}","results":[{{"id":"a","setId":"x"}}]}}"#);
        assert!(c.get("k", false).is_none());
        c.put("k".into(), Bytes::from(body.clone()));
        let a = text(c.get("k", false).unwrap()).await;
        let b = text(c.get("k", false).unwrap()).await;
        assert_eq!(a.len(), body.len());
        assert_ne!(a, b, "a fresh setId each time");
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert_eq!(v["results"][0]["id"], "a");
        assert!(Uuid::parse_str(v["setId"].as_str().unwrap()).is_ok());
        assert_eq!(text(c.get("k", true).unwrap()).await, body, "a named set is kept");
        assert_eq!(c.hits(), 3);
        // Over the budget: the oldest go.
        let big = Bytes::from(vec![b' '; BUDGET / 5]);
        for k in 0..6 {
            c.put(format!("big{k}"), big.clone());
        }
        assert!(c.get("k", false).is_none() && c.get("big0", false).is_none());
        assert!(c.get("big5", false).is_some());
        assert!(c.inner.lock().unwrap().bytes <= BUDGET);
    }
}
