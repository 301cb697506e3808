//! Output variation (`vex sim --vary SEED`): answers that differ from the emulator's tidy defaults in
//! every way the official spec (and the public seed documents) allow a real VB365 server to differ, so a
//! client tested against the emulator copes with a real server on its first day.
//!
//! With a [`Vary`] in force, every JSON answer of a 2xx response is rewritten:
//!
//! - **optional fields left out**: a string, array or object property the spec does not mark `required` is
//!   dropped now and then, as Json.NET leaves out reference-typed properties without a value (numbers and
//!   booleans, value types in C#, are always written); never an id, the item class, a state/status/type
//!   that drives a client's logic, a page's envelope, the token fields, links or actions ([`PROTECTED`]);
//! - **nullable fields null**: a property the spec marks `nullable` (`totalCount` of v6/v7 pages, `endTime`,
//!   the organization's backup fields, ...) is sent as `null` now and then; `totalCount` in half the pages;
//! - **numbers and booleans as JSON strings** where the spec's own examples quote them ([`STRINGABLE`]:
//!   `"limit": "30"`, `"isArchive": "false"`, `"eTag": "1"`, ...; the seed item resource quotes
//!   `percentComplete`, `duration`, `recurring` and `reminder` too);
//! - **absolute links**: `_links.*.href` and `_actions.*.uri` are `scheme://host:port/vN/...` as the seed shows
//!   (`https://support.east.local:4443/v3/...`), the host taken from the request's `Host` header;
//! - **429 on any route** (a seeded share of requests, with `Retry-After`), see [`Vary::throttles`];
//! - **restores that take time** in proportion to the items they touch: v6/v7 answer the synchronous
//!   restore later, v8 keeps the restore session Running for longer (see `Store::restore_time`).
//!
//! Every decision is a hash of the seed and what it is about (the object's `id`, or the request path, and
//! the property name), so the same request gets the same answer and an item looks the same in a listing
//! and by id. Only the 429 decision depends on the request's sequence number (a client that retries must
//! get through). Page sizes below the request are a separate switch (`--max-page N`, works with or without
//! `--vary`).

use super::rng::hash;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How to vary the answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// Seed of every decision (same seed, same answers).
    pub seed: u64,
    /// Share of API requests answered `429 Too Many Requests` with `Retry-After` (0..1).
    pub throttle_rate: f64,
    /// The `Retry-After` of those answers, whole seconds (0 is valid: "retry at once").
    pub retry_after_secs: u64,
    /// Time a restore takes per item it touches (created, merged, skipped or failed).
    pub restore_per_item: Duration,
    /// Most time a restore takes (the million-item folder would otherwise take hours).
    pub restore_max: Duration,
    /// Share of optional fields left out (0..1).
    pub omit_rate: f64,
    /// Share of nullable fields sent as null (0..1).
    pub null_rate: f64,
    /// Share of quotable numbers and booleans sent as strings (0..1).
    pub string_rate: f64,
}

impl Vary {
    /// The defaults of `vex sim --vary SEED`.
    pub fn new(seed: u64) -> Vary {
        Vary {
            seed,
            throttle_rate: 0.02,
            retry_after_secs: 1,
            restore_per_item: Duration::from_millis(2),
            restore_max: Duration::from_secs(15),
            omit_rate: 0.12,
            null_rate: 0.25,
            string_rate: 0.35,
        }
    }

    /// One-line description for `vex sim`'s banner.
    pub fn describe(&self) -> String {
        format!(
            "seed {}: optional fields left out ({:.0}%), nullable fields null ({:.0}%), numbers/booleans as \
             strings ({:.0}%), absolute links, 429 on {:.1}% of requests (Retry-After {} s), restores take {} ms \
             per item (at most {} s)",
            self.seed,
            self.omit_rate * 100.0,
            self.null_rate * 100.0,
            self.string_rate * 100.0,
            self.throttle_rate * 100.0,
            self.retry_after_secs,
            self.restore_per_item.as_millis(),
            self.restore_max.as_secs()
        )
    }
}

/// Numbers and booleans that the spec's own examples write as JSON strings (v8 examples: `"limit": "30"`,
/// `"isArchive": "false"`, `"expires_in": "3600"`, `"createdMailboxItemsCount": "42"`, ...) and the seed item
/// resource (`"percentComplete": "100"`, `"duration": "1"`, `"recurring": "false"`, `"reminder": "false"`).
/// The same server code answers v6 and v7, so they are quoted in every version.
pub const STRINGABLE: &[&str] = &[
    "offset",
    "limit",
    "eTag",
    "order",
    "isArchive",
    "isPublic",
    "isBackedup",
    "isExchangeOnline",
    "isSharePointOnline",
    "isTeamsOnline",
    "isTeamsChatsOnline",
    "expiresIn",
    "expires_in",
    "itemSizeBytes",
    "sizeBytes",
    "createdMailboxItemsCount",
    "mergedMailboxItemsCount",
    "failedMailboxItemsCount",
    "skippedMailboxItemsCount",
    "mailboxIsArchive",
    "mailboxIsPublic",
    "totalItemsCount",
    "restoredItemsCount",
    "failedItemsCount",
    "skippedItemsCount",
    "recurring",
    "reminder",
    "percentComplete",
    "duration",
];

/// Properties the spec marks `nullable` in the answers the emulator gives (`totalCount` only in v6/v7,
/// where the page schema has it).
pub const NULLABLE: &[&str] = &[
    "totalCount",
    "endTime",
    "firstBackuptime",
    "lastBackuptime",
    "isBackedup",
    "isExchange",
    "isExchangeOnline",
    "isSharePointOnline",
    "isSharepoint",
    "isTeamsOnline",
    "isTeamsChatsOnline",
];

/// Never left out: what the spec requires, and what a client needs to find its way (ids, the item class,
/// states and types that say whether a restore is done, the mailbox address to restore to, links, actions).
/// `endTime` is nullable in sessions and events but not in appointments: it is only nulled where it is.
pub const PROTECTED: &[&str] = &[
    "id",
    "itemClass",
    "sessionId",
    "results",
    "offset",
    "limit",
    "access_token",
    "refresh_token",
    "token_type",
    "expires_in",
    ".issued",
    ".expires",
    "userName",
    "type",
    "state",
    "result",
    "status",
    "creationTime",
    "startTime",
    "message",
    "order",
    "totalItemsCount",
    "restoredItemsCount",
    "failedItemsCount",
    "skippedItemsCount",
    "items",
    "itemRestoreDetailsType",
    "email",
    "name",
    "_links",
    "_actions",
    "href",
    "uri",
    "method",
    "userCode",
    "verificationUrl",
    "installationId",
    "version",
    "mailboxId",
    "setId",
];

/// What a varied answer is about.
pub struct Target<'a> {
    /// API version (6, 7, 8).
    pub v: u8,
    /// `scheme://host[:port]` the client reached the server at.
    pub origin: &'a str,
    /// The request path and query (a stable key for objects without an id).
    pub request: &'a str,
}

fn h(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |acc, b| {
        (acc ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3)
    })
}

impl Vary {
    /// Whether request number `seq` (counted by the server) is answered 429.
    pub fn throttles(&self, seq: u64) -> bool {
        self.throttle_rate > 0.0 && unit(hash(&[self.seed, 0x429, seq])) < self.throttle_rate
    }

    fn roll(&self, key: u64, field: &str, salt: u64) -> f64 {
        unit(hash(&[self.seed, key, h(field), salt]))
    }

    /// Rewrites a JSON answer in place.
    pub fn apply(&self, t: &Target<'_>, body: &mut Value) {
        let key = h(t.request);
        self.walk(t, body, key, 0);
    }

    fn walk(&self, t: &Target<'_>, v: &mut Value, parent_key: u64, depth: usize) {
        if depth > 16 {
            return;
        }
        match v {
            Value::Array(a) => {
                for (i, x) in a.iter_mut().enumerate() {
                    self.walk(t, x, hash(&[parent_key, i as u64]), depth + 1);
                }
            }
            Value::Object(m) => {
                // An object with an id varies the same wherever it shows.
                let key = match m.get("id") {
                    Some(Value::String(id)) => h(id),
                    _ => parent_key,
                };
                let page = m.contains_key("results") && m.contains_key("offset");
                self.object(t, m, key, page);
                for (k, x) in m.iter_mut() {
                    if k == "_links" || k == "_actions" {
                        absolutize(t.origin, x);
                    } else if matches!(x, Value::Object(_) | Value::Array(_)) {
                        self.walk(t, x, hash(&[key, h(k)]), depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn object(&self, t: &Target<'_>, m: &mut Map<String, Value>, key: u64, page: bool) {
        let names: Vec<String> = m.keys().cloned().collect();
        // A restore point (the only answer with `isRetrieved`): its `isExchange` is not nullable.
        let restore_point = m.contains_key("isRetrieved");
        for name in names {
            let n = name.as_str();
            // Pages: totalCount (v6/v7 only) is null in about half of them.
            if page && n == "totalCount" {
                if t.v < 8 && self.roll(key, n, 1) < 0.5 {
                    m.insert(name, Value::Null);
                }
                continue;
            }
            let nullable = NULLABLE.contains(&n)
                && !(n == "endTime" && m.contains_key("itemClass"))
                && !(n == "isExchange" && restore_point);
            if nullable && self.roll(key, n, 2) < self.null_rate {
                m.insert(name, Value::Null);
                continue;
            }
            // Json.NET leaves out reference-typed properties without a value; value-typed ones (numbers,
            // booleans, non-nullable dates in C#) are always written, so counts and flags stay.
            let reference = matches!(
                m.get(n),
                Some(Value::String(_) | Value::Array(_) | Value::Object(_) | Value::Null)
            );
            if reference && !PROTECTED.contains(&n) && !page && self.roll(key, n, 3) < self.omit_rate {
                m.remove(&name);
                continue;
            }
            if STRINGABLE.contains(&n)
                && self.roll(key, n, 4) < self.string_rate
                && let Some(x) = m.get_mut(n)
            {
                match x {
                    Value::Bool(b) => *x = Value::String(b.to_string()),
                    Value::Number(num) => *x = Value::String(num.to_string()),
                    _ => {}
                }
            }
        }
    }
}

/// Makes `href`s and `uri`s that start with `/` absolute.
pub fn absolutize(origin: &str, v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::String(s) if (k == "href" || k == "uri") && s.starts_with('/') => {
                        *s = format!("{origin}{s}");
                    }
                    Value::Object(_) | Value::Array(_) => absolutize(origin, x),
                    _ => {}
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| absolutize(origin, x)),
        _ => {}
    }
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Counts requests (for the 429 decisions).
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target() -> Target<'static> {
        Target {
            v: 7,
            origin: "https://vbo.example:4443",
            request: "/v7/RestoreSessions?offset=0&limit=30",
        }
    }

    #[test]
    fn same_seed_same_answer_other_seed_other_answer() {
        let page = json!({
            "offset": 0, "limit": 30, "totalCount": 3,
            "results": (0..40).map(|i| json!({
                "id": format!("id-{i}"), "isArchive": false, "isPublic": false, "name": "x",
                "email": "a@b", "endTime": "2024-01-01T00:00:00Z", "location": "Room 1",
                "_links": { "self": { "href": format!("/v7/x/{i}") } }
            })).collect::<Vec<_>>(),
            "_links": { "self": { "href": "/v7/RestoreSessions?offset=0" } }
        });
        let run = |seed| {
            let mut p = page.clone();
            Vary::new(seed).apply(&target(), &mut p);
            p
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
        let p = run(3);
        // Links are absolute, ids and names kept, some booleans quoted, some fields left out.
        assert_eq!(
            p["_links"]["self"]["href"],
            "https://vbo.example:4443/v7/RestoreSessions?offset=0"
        );
        let rows = p["results"].as_array().unwrap();
        assert!(
            rows.iter()
                .all(|r| r["id"].is_string() && r["name"] == "x" && r["email"] == "a@b")
        );
        assert!(
            rows.iter()
                .all(|r| r["_links"]["self"]["href"].as_str().unwrap().starts_with("https://"))
        );
        assert!(rows.iter().any(|r| r["isArchive"] == "false"));
        assert!(rows.iter().any(|r| r["isArchive"] == false));
        // Strings may be left out, numbers and booleans never (value types are always written).
        assert!(rows.iter().any(|r| r.get("location").is_none()));
        assert!(rows.iter().all(|r| r.get("isPublic").is_some()));
        assert!(
            rows.iter()
                .any(|r| r["endTime"].is_null() && r.get("endTime").is_some())
        );
    }

    #[test]
    fn throttles_a_share_of_requests() {
        let v = Vary::new(9);
        let n = (0..10_000).filter(|i| v.throttles(*i)).count();
        assert!((100..300).contains(&n), "{n}");
        let off = Vary {
            throttle_rate: 0.0,
            ..Vary::new(9)
        };
        assert!((0..1000).all(|i| !off.throttles(i)));
    }
}
