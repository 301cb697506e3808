//! A folder's items at wire speed (`vex items`): each page is read as a stream and each item handed on
//! as the server's JSON text once checked, while the next page is already requested.
//!
//! - **Fetched ahead, bounded**: when a page's answer starts, the next page (at `offset + limit`) is
//!   requested at once, so the server prepares it while this one is read; one request in flight beside
//!   the page being read, never more. A guess that turns out wrong (a short page that is not the end, the
//!   end) is aborted.
//! - **Streamed**: a page is never held whole. [`super::body::JsonGuard::rows`] hands each row of
//!   `results` on as its last byte arrives, under the same limits as every answer (size, rows, string
//!   length, nesting, stall), and keeps only the envelope; memory is one row, the reader's buffers and
//!   the chunks read ahead of the check (at most 8, `body::ReadAhead`), whatever the page size.
//! - **Checked, not re-encoded**: a row is handed on when it is valid JSON (UTF-8, no raw control
//!   characters in strings) and an object with a non-empty `id` (as [`super::models::Item`] requires); it
//!   is the server's text with the whitespace outside strings removed (one item, one line) and long
//!   strings cut. Escaping characters unsafe for a terminal is the writer's job
//!   ([`crate::text::escape_for_json`]).
//! - **The paging rules of [`super::paging::for_each_page`]**: where the listing ends is decided by
//!   [`paging::says_more_rows`] (empty page, `totalCount`, `_links.next`, a page shorter than asked or than
//!   the echoed `limit`); a page that repeats the previous one (same ids in the same order: a server that
//!   ignores `offset`) is an error and is not handed on; [`paging::MAX_PAGES`] and int32 offsets bound
//!   it.
//! - **Retries** as for any read ([`super::client`]): before its answer starts, by the request loop;
//!   when a body breaks off, stalls or is damaged part way, the page is asked for again and the rows
//!   already handed on are skipped — checked to be the same ids first (otherwise an error: the listing
//!   would not be one listing).

use super::body;
use super::client::Client;
use super::error::ApiError;
use super::models::{ItemKind, Page};
use super::paging;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::ops::ControlFlow;
use tokio::task::JoinHandle;

/// One item as the server sent it, checked (see the module's documentation). Only the id is read for
/// every row (repeat detection and re-reads compare it); the class and the title are read when asked for
/// ([`ItemText::item_class`], [`ItemText::title`]: the table needs them, JSON output does not).
pub struct ItemText<'a> {
    /// The item's JSON text: one object, no whitespace outside strings, not yet escaped for a terminal.
    pub json: &'a str,
    pub id: Cow<'a, str>,
    /// The JSON texts of the other members of [`KEYS`] (`itemClass` on), null as absent.
    fields: [Option<&'a str>; 6],
    /// `json` is printable ASCII (known when the fast path read it): nothing in it needs escaping for a
    /// terminal.
    pub printable: bool,
    /// Known when the fast path read it: where the bytes at or above DEL are (whole characters); outside
    /// this range `json` is printable ASCII, so only this range needs looking at for escaping.
    pub high: Option<std::ops::Range<usize>>,
}

/// The fields read from each item (all others are skipped, not decoded).
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "itemClass")]
    item_class: Option<&'a RawValue>,
    #[serde(borrow, default)]
    subject: Option<&'a RawValue>,
    #[serde(borrow, default)]
    name: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "fullName")]
    full_name: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "displayAs")]
    display_as: Option<&'a RawValue>,
    #[serde(borrow, default)]
    title: Option<&'a RawValue>,
}

/// The keys of [`Fields`], in the order [`ItemText::from_members`] takes them (the fast path finds them
/// as it reads the row: [`super::scan`]).
pub const KEYS: [&[u8]; 7] = [
    b"id",
    b"itemClass",
    b"subject",
    b"name",
    b"fullName",
    b"displayAs",
    b"title",
];

/// The keys looked for in each row: all of [`KEYS`] when the class and the title are read (a table),
/// only the id otherwise.
fn keys_for(titles: bool) -> &'static [&'static [u8]] {
    if titles { &KEYS } else { &KEYS[..1] }
}

/// A row read by `serde_json` into `F` (the fields looked for), with its text: an object in UTF-8, or the
/// error that says what it is not.
fn exact<'a, F: Deserialize<'a>>(row: &'a [u8]) -> Result<(&'a str, F), ApiError> {
    let json = std::str::from_utf8(row).map_err(|_| ApiError::Decode("an item is not valid UTF-8".into()))?;
    if !json.starts_with('{') {
        // serde would read a list as the fields in order.
        return Err(ApiError::Decode("an item that is not an object".into()));
    }
    let f = serde_json::from_str(json).map_err(|e| {
        ApiError::Decode(super::error::one_line(
            &format!("an item: {e}"),
            super::error::MAX_MESSAGE,
        ))
    })?;
    Ok((json, f))
}

/// A field as text, as [`super::models::lenient::opt_string`] reads it: a string; a number, boolean or
/// anything else as its JSON text; null as nothing. `v` is the field's JSON text, checked.
fn text(v: Option<&str>) -> Option<Cow<'_, str>> {
    let s = v?;
    match s.as_bytes().first() {
        // Without escapes, the text between the quotes is the string (what serde would borrow).
        Some(b'"') if memchr::memchr(b'\\', s.as_bytes()).is_none() => s.get(1..s.len() - 1).map(Cow::Borrowed),
        Some(b'"') => serde_json::from_str::<&str>(s)
            .map(Cow::Borrowed)
            .or_else(|_| serde_json::from_str::<String>(s).map(Cow::Owned))
            .ok(),
        Some(b'n') if s == "null" => None,
        _ => Some(Cow::Borrowed(s)),
    }
}

/// Not empty and not only white space (as `str::trim`), without trimming when the first character is
/// printable ASCII other than the space (ids are: no look further).
fn not_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        Some(&b) if b > b' ' && b < 0x7f => true,
        Some(_) => !s.trim().is_empty(),
        None => false,
    }
}

/// Only a string (the title of an item of unknown class is looked for among its string fields).
fn string(v: Option<&str>) -> Option<Cow<'_, str>> {
    v.filter(|r| r.starts_with('"')).and_then(|r| text(Some(r)))
}

impl<'a> ItemText<'a> {
    /// Checks a row of an items page: valid JSON, an object, a non-empty `id`. One pass over a plain row
    /// ([`super::scan::object`]); anything it is not sure of is read by `serde_json`, whose errors are the
    /// ones reported.
    pub fn parse(row: &'a [u8]) -> Result<ItemText<'a>, ApiError> {
        ItemText::parse_for(row, true)
    }

    /// [`ItemText::parse`] when `titles`; otherwise only the id is looked for (as by the fast path with the
    /// first of [`KEYS`] alone), so that a row reads alike whichever path reads it (a key given twice is
    /// refused only when it is one looked for, as `serde` does).
    pub fn parse_for(row: &'a [u8], titles: bool) -> Result<ItemText<'a>, ApiError> {
        if let Some(s) = super::scan::object(row, keys_for(titles), usize::MAX, body::MAX_DEPTH)
            && s.json.len() == row.len()
        {
            return ItemText::scanned(&s);
        }
        if titles {
            return ItemText::parse_exact(row);
        }
        #[derive(Deserialize)]
        struct Id<'a> {
            #[serde(borrow, default)]
            id: Option<&'a RawValue>,
        }
        let (json, f) = exact::<Id<'a>>(row)?;
        ItemText::from_members(json, [f.id.map(RawValue::get), None, None, None, None, None, None])
    }

    /// A row the fast path read (with [`KEYS`], or only the first, the id: the class and the title then
    /// read as absent): known to be JSON serde accepts.
    pub fn scanned(s: &super::scan::Scanned<'a>) -> Result<ItemText<'a>, ApiError> {
        // A null member needs no filtering here: `text` and `string` read `null` as nothing.
        let mut item = ItemText::from_members(s.json, [0, 1, 2, 3, 4, 5, 6].map(|k| s.member(k)))?;
        item.printable = s.printable;
        item.high = Some(s.high.clone());
        Ok(item)
    }

    /// The exact path: `serde_json` reads the row (what the fast path is compared with).
    pub(crate) fn parse_exact(row: &'a [u8]) -> Result<ItemText<'a>, ApiError> {
        let (json, f) = exact::<Fields<'a>>(row)?;
        let get = |v: Option<&'a RawValue>| v.map(RawValue::get);
        ItemText::from_members(
            json,
            [
                get(f.id),
                get(f.item_class),
                get(f.subject),
                get(f.name),
                get(f.full_name),
                get(f.display_as),
                get(f.title),
            ],
        )
    }

    /// From the fields' JSON texts (in the order of [`KEYS`]; `null` reads as absent): the id is read and
    /// checked, the rest kept for [`ItemText::item_class`] and [`ItemText::title`].
    fn from_members(json: &'a str, f: [Option<&'a str>; 7]) -> Result<ItemText<'a>, ApiError> {
        let [id, fields @ ..] = f;
        let id = text(id)
            .filter(|i| not_blank(i))
            .ok_or_else(|| ApiError::Decode("an item without an id".into()))?;
        Ok(ItemText {
            json,
            id,
            fields,
            printable: false,
            high: None,
        })
    }

    /// The `itemClass` (as [`super::models::Item::item_class`]).
    pub fn item_class(&self) -> Option<Cow<'a, str>> {
        text(self.fields[0])
    }

    /// What [`super::models::Item::title`] shows: the subject, or the name of a contact, group or note.
    pub fn title(&self) -> Option<Cow<'a, str>> {
        self.class_and_title().1
    }

    /// [`ItemText::item_class`] and [`ItemText::title`], the class read once for both.
    pub fn class_and_title(&self) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
        let [item_class, subject, name, full_name, display_as, title] = self.fields;
        let class = text(item_class);
        let title = match ItemKind::from_class(class.as_deref()) {
            ItemKind::Contact => text(full_name).or_else(|| text(display_as)),
            ItemKind::ContactGroup => text(name),
            ItemKind::StickyNote => text(name).or_else(|| text(subject)),
            // As the model: `subject` and `name` read leniently (a number as its text), `title` only
            // as a string (the model keeps it as sent).
            ItemKind::Other => text(subject).or_else(|| text(name)).or_else(|| string(title)),
            _ => text(subject),
        };
        (class, title)
    }
}

/// What repeat detection and re-reads compare: a hash of the row's id, and the row's size.
///
/// The hash is foldhash's fast hasher with a fixed seed (not SipHash: nothing here faces a hash-flooding
/// attacker, there is no table). A collision makes two rows look the same when they are not: for
/// repeat detection that only holds rows back until one differs (a whole page would have to collide,
/// and be as long, to be called a repeat); for a re-read it could let a changed row at the same place
/// pass unnoticed, as a server that changes a row but keeps its id and size already can.
fn mark(item: &ItemText<'_>) -> (u64, usize) {
    (id_hash(item.id.as_bytes()), item.json.len())
}

/// The id's bytes and their length, hashed.
fn id_hash(b: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(b)
}

/// A request sent ahead; aborted when dropped unused.
struct Ahead {
    offset: u64,
    limit: u32,
    task: JoinHandle<Result<reqwest::Response, ApiError>>,
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Where<'a> {
    client: &'a Client,
    session: &'a str,
    mailbox: &'a str,
    folder: &'a str,
}

impl Where<'_> {
    fn ahead(&self, offset: u64, limit: u32) -> Option<Ahead> {
        if offset > paging::MAX_OFFSET {
            return None;
        }
        let (c, s, m, f) = (
            self.client.clone(),
            self.session.to_string(),
            self.mailbox.to_string(),
            self.folder.to_string(),
        );
        let task = tokio::spawn(async move { c.items_response(&s, &m, &f, offset, limit).await });
        Some(Ahead { offset, limit, task })
    }
}

/// Hands every item of a folder from `start` on to `on_item`, `limit` per request, in order; at most
/// `max_items` when given (one page of `--limit`: requests follow a server that serves fewer rows than
/// asked, like [`paging::fill_page`]). `on_item` may stop the listing ([`ControlFlow::Break`]); the
/// result is the number of items handed on. See the module's documentation for the rules.
///
/// `titles`: the caller reads each item's class and title ([`ItemText::item_class`],
/// [`ItemText::title`]: a table). Without, only the id is looked for in each row (JSON output: fewer keys
/// to compare in the one pass over a row) and those two read as absent.
#[allow(clippy::too_many_arguments)]
pub async fn for_each_item(
    client: &Client,
    session: &str,
    mailbox: &str,
    folder: &str,
    start: u64,
    limit: u32,
    max_items: Option<u64>,
    titles: bool,
    on_item: &mut (dyn FnMut(&ItemText<'_>) -> ControlFlow<()> + Send),
) -> Result<u64, ApiError> {
    let limit = paging::clamp_limit(limit);
    let at = Where {
        client,
        session,
        mailbox,
        folder,
    };
    let want_at = |got: u64| -> u32 {
        match max_items {
            Some(m) => m.saturating_sub(got).min(u64::from(limit)) as u32,
            None => limit,
        }
    };
    let mut got = 0u64;
    let mut pages = 0u64;
    let mut prev: Vec<(u64, usize)> = Vec::new();
    // The marks of the page before `prev`, kept for their allocation (one pair of vectors per listing).
    let mut spare: Vec<(u64, usize)> = Vec::new();
    let mut ahead: Option<Ahead> = None;
    loop {
        let want = want_at(got);
        if want == 0 {
            return Ok(got);
        }
        if pages >= paging::MAX_PAGES {
            return Err(paging::too_many_pages());
        }
        let offset = start + got;
        spare.clear();
        let marks = std::mem::take(&mut spare);
        let page = read_page(
            &at,
            titles,
            offset,
            want,
            &prev,
            marks,
            ahead.take(),
            on_item,
            |next_offset| {
                let w = want_at(next_offset - start);
                (w > 0).then(|| at.ahead(next_offset, w)).flatten()
            },
        )
        .await?;
        pages += 1;
        got += page.rows.len() as u64;
        ahead = page.ahead;
        if page.stopped || !page.more || page.rows.is_empty() {
            return Ok(got);
        }
        spare = std::mem::replace(&mut prev, page.rows);
    }
}

struct PageRead {
    /// Marks of the rows handed on.
    rows: Vec<(u64, usize)>,
    more: bool,
    stopped: bool,
    /// The request sent ahead for the next page (dropped by the caller when it guessed wrong).
    ahead: Option<Ahead>,
}

/// One page at `offset` (`want` rows asked), read as a stream, with retries of its body; `send_ahead`
/// sends the request for the page after it once this one's answer has started. `rows`: an empty vector
/// for the marks of its rows (its allocation reused).
#[allow(clippy::too_many_arguments)]
async fn read_page(
    at: &Where<'_>,
    titles: bool,
    offset: u64,
    want: u32,
    prev: &[(u64, usize)],
    mut rows: Vec<(u64, usize)>,
    ahead: Option<Ahead>,
    on_item: &mut (dyn FnMut(&ItemText<'_>) -> ControlFlow<()> + Send),
    send_ahead: impl Fn(u64) -> Option<Ahead>,
) -> Result<PageRead, ApiError> {
    let client = at.client;
    let (stall, limits) = (client.timeouts().stall, client.limits());
    let mut ahead = ahead.filter(|a| a.offset == offset && a.limit == want);
    let mut next: Option<Ahead> = None;
    // Rows handed on (or held back while they repeat the previous page) in earlier attempts.
    rows.clear();
    rows.reserve(want as usize);
    // Rows that so far repeat the previous page, not yet handed on (their JSON text).
    let mut held: Vec<Vec<u8>> = Vec::new();
    let mut attempt = 0u32;
    loop {
        let res = match ahead.take() {
            Some(mut a) => match (&mut a.task).await {
                Ok(r) => r,
                Err(e) => Err(ApiError::Network(format!("the request sent ahead failed: {e}"))),
            },
            None => {
                client
                    .items_response(at.session, at.mailbox, at.folder, offset, want)
                    .await
            }
        };
        // The request loop has retried what it may.
        let res = res?;
        if next.is_none() {
            next = send_ahead(offset + u64::from(want));
        }
        let mut seen = 0usize;
        let mut stopped = false;
        // An error that ends the listing (not retried); the read is cut with `Cancelled`.
        let mut fatal: Option<ApiError> = None;
        let mut on_row = |raw: &[u8], scanned: Option<&super::scan::Scanned<'_>>| -> Result<(), ApiError> {
            let item = match scanned {
                Some(s) => ItemText::scanned(s)?,
                None => ItemText::parse_for(raw, titles)?,
            };
            let m = mark(&item);
            let i = seen;
            seen += 1;
            if i < rows.len() {
                // Read again after a failure: the same rows must come, and are not handed on twice.
                if rows[i] != m {
                    fatal = Some(ApiError::Decode(format!(
                        "the server sent other items at offset {} when the page was read again; the listing \
                         stopped there and is incomplete",
                        offset + i as u64
                    )));
                    return Err(ApiError::Cancelled);
                }
                return Ok(());
            }
            rows.push(m);
            if held.len() == i && prev.get(i) == Some(&m) {
                // Maybe the previous page again: handed on once a row differs.
                held.push(raw.to_vec());
                return Ok(());
            }
            for h in held.drain(..) {
                let item = ItemText::parse_for(&h, titles)?;
                if on_item(&item).is_break() {
                    stopped = true;
                    return Err(ApiError::Cancelled);
                }
            }
            if on_item(&item).is_break() {
                stopped = true;
                return Err(ApiError::Cancelled);
            }
            Ok(())
        };
        let read = body::read_json_rows(res, stall, limits, want as usize, keys_for(titles), &mut on_row).await;
        if stopped {
            return Ok(PageRead {
                rows,
                more: false,
                stopped,
                ahead: None,
            });
        }
        if let Some(e) = fatal {
            return Err(e);
        }
        let failed =
            match read.and_then(|(envelope, n)| Ok((super::client::decode_bytes::<Page<IgnoredAny>>(&envelope)?, n))) {
                Ok((page, n)) if n == seen => {
                    if !held.is_empty() && held.len() == n && n == prev.len() {
                        return Err(paging::repeated_page(offset));
                    }
                    // A short repeat of the start of the previous page is no repeat: handed on.
                    for h in std::mem::take(&mut held) {
                        let item = ItemText::parse_for(&h, titles)?;
                        if on_item(&item).is_break() {
                            return Ok(PageRead {
                                rows,
                                more: false,
                                stopped: true,
                                ahead: None,
                            });
                        }
                    }
                    let more = paging::says_more_rows(n, &page, offset, want);
                    let next_offset = offset + n as u64;
                    return Ok(PageRead {
                        rows,
                        more,
                        stopped: false,
                        ahead: next.filter(|a| more && a.offset == next_offset),
                    });
                }
                Ok(_) => ApiError::Decode("the answer's rows could not be read".into()),
                Err(e) => e,
            };
        if !(failed.is_transient() || failed.is_damaged()) {
            return Err(failed);
        }
        match client.retry_delay(attempt + 1, &format!("GET items at offset {offset}"), &failed) {
            Some(delay) => {
                attempt += 1;
                tokio::time::sleep(delay).await;
            }
            None => return Err(failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without titles only the id is looked for, by the fast path and the exact one alike: a key given
    /// twice is refused when it is one looked for, whichever path reads the row (compact, or with white
    /// space, which only the exact path reads).
    #[test]
    fn a_row_reads_alike_on_both_paths_with_or_without_titles() {
        let spaced = |s: &str| s.replace(',', ", ");
        let twice_subject = r#"{"id":"a","subject":"x","subject":"y"}"#;
        let twice_id = r#"{"id":"a","subject":"x","id":"b"}"#;
        for row in [twice_subject.to_string(), spaced(twice_subject)] {
            let item = ItemText::parse_for(row.as_bytes(), false).unwrap_or_else(|e| panic!("{row}: {e}"));
            assert_eq!((&*item.id, item.title()), ("a", None), "{row}");
            assert!(ItemText::parse_for(row.as_bytes(), true).is_err(), "{row}");
        }
        for row in [
            twice_id.to_string(),
            spaced(twice_id),
            r#"{"subject":"x"}"#.into(),
            r#"{"id":" "}"#.into(),
        ] {
            for titles in [false, true] {
                assert!(ItemText::parse_for(row.as_bytes(), titles).is_err(), "{row} {titles}");
            }
        }
        let plain = r#"{"id":"a","itemClass":"IPM.Note","subject":"x"}"#;
        for row in [plain.to_string(), spaced(plain)] {
            let item = ItemText::parse_for(row.as_bytes(), true).unwrap();
            assert_eq!((&*item.id, item.title().as_deref()), ("a", Some("x")), "{row}");
            let item = ItemText::parse_for(row.as_bytes(), false).unwrap();
            assert_eq!((&*item.id, item.title()), ("a", None), "{row}");
        }
    }

    #[test]
    fn rows_are_checked_and_their_title_found() {
        let ok = |s: &str| ItemText::parse(s.as_bytes()).map(|i| (i.id.to_string(), i.title().map(Cow::into_owned)));
        assert_eq!(
            ok(r#"{"id":"a\/b","itemClass":"IPM.Note","subject":"Hi \"there\""}"#).unwrap(),
            ("a/b".into(), Some("Hi \"there\"".into()))
        );
        assert_eq!(
            ok(r#"{"id":7,"itemClass":"IPM.Contact","displayAs":"Zoë"}"#).unwrap(),
            ("7".into(), Some("Zoë".into()))
        );
        assert_eq!(
            ok(r#"{"id":"n","itemClass":"IPM.StickyNote","subject":"s"}"#)
                .unwrap()
                .1
                .as_deref(),
            Some("s")
        );
        // An unknown class: the subject read leniently, as the model (and so the TUI) reads it.
        assert_eq!(
            ok(r#"{"id":"o","itemClass":"X.Y","subject":5,"title":"t"}"#)
                .unwrap()
                .1
                .as_deref(),
            Some("5")
        );
        assert_eq!(
            ok(r#"{"id":"o","itemClass":"X.Y","subject":null,"title":"t"}"#)
                .unwrap()
                .1
                .as_deref(),
            Some("t")
        );
        for bad in [
            r#"{"itemClass":"IPM.Note"}"#,
            r#"{"id":null}"#,
            r#"{"id":"  "}"#,
            "{\"id\":\"a\",\"subject\":\"raw \u{1b} escape\"}",
            r#"{"id":"a","id":"b"}"#,
            r#"["id"]"#,
            r#"{"id":"a""#,
        ] {
            assert!(ItemText::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(ItemText::parse(b"{\"id\":\"a\",\"x\":\"\xff\"}").is_err(), "not UTF-8");
    }

    /// The class and title read on demand are what the rows gave when they were read for every row (the
    /// code before issue 17's lazy reading, kept here), and the model's ([`crate::api::models::Item`],
    /// decoded by serde), through the fast and the exact path, for every class (each kind, odd case and
    /// padding, unknown, none) and every mix of the title fields (strings with escapes and characters
    /// above ASCII, numbers, booleans, null, absent). The eager reading of an item of unknown class took
    /// only string fields for its title; the model (and now `ItemText::title`) reads `subject` and `name`
    /// leniently, a number or boolean as its text, as the TUI shows it.
    #[test]
    fn class_and_title_on_demand_are_the_models() {
        fn eager<'a>(f: [Option<&'a str>; 7]) -> (Option<Cow<'a, str>>, Option<Cow<'a, str>>) {
            let [_, item_class, subject, name, full_name, display_as, title] = f;
            let item_class = text(item_class);
            let title = match ItemKind::from_class(item_class.as_deref()) {
                ItemKind::Contact => text(full_name).or_else(|| text(display_as)),
                ItemKind::ContactGroup => text(name),
                ItemKind::StickyNote => text(name).or_else(|| text(subject)),
                ItemKind::Other => string(subject).or_else(|| string(name)).or_else(|| string(title)),
                _ => text(subject),
            };
            (item_class, title)
        }
        let classes = [
            None,
            Some("IPM.Note"),
            Some("ipm.note.smime"),
            Some("IPM.Schedule.Meeting.Request"),
            Some("REPORT.IPM.Note.NDR"),
            Some("IPM.Appointment"),
            Some("IPM.Contact"),
            Some(" IPM.CONTACT "),
            Some("IPM.DistList"),
            Some("IPM.Task"),
            Some("IPM.Activity"),
            Some("IPM.StickyNote"),
            Some("IPM.Post"),
            Some("IPM.Notebook"),
            Some("X.Y"),
            Some("IPM.Note\\u00e9"),
        ];
        let values = [
            "",
            r#""plain""#,
            r#""esc \"q\" \u00e9 \/""#,
            r#""Zoë""#,
            "5",
            "true",
            "null",
        ];
        let keys = ["subject", "name", "fullName", "displayAs", "title"];
        let (mut checked, mut lenient, mut differed) = (0, 0, 0);
        for class in classes {
            // Each key takes each value in turn while the others cycle (every value at every key, mixed).
            for (round, _) in values.iter().enumerate() {
                for (k, _) in keys.iter().enumerate() {
                    let mut row = String::from(r#"{"id":"x1""#);
                    if let Some(c) = class {
                        row += &format!(r#","itemClass":"{c}""#);
                    }
                    for (j, key) in keys.iter().enumerate() {
                        let v = values[(round + j * (k + 1)) % values.len()];
                        if !v.is_empty() {
                            row += &format!(r#","{key}":{v}"#);
                        }
                    }
                    row.push('}');
                    let model: crate::api::models::Item =
                        serde_json::from_str(&row).unwrap_or_else(|e| panic!("{row}: {e}"));
                    let scanned = crate::api::scan::object(row.as_bytes(), &KEYS, usize::MAX, 64).unwrap();
                    let (class_then, title_then) = eager([0, 1, 2, 3, 4, 5, 6].map(|k| scanned.member(k)));
                    let lenient_other = model.kind() == ItemKind::Other
                        && [&subject_or_name(&row, "subject"), &subject_or_name(&row, "name")]
                            .iter()
                            .any(|v| v.as_ref().is_some_and(|v| !v.is_string() && !v.is_null()));
                    if lenient_other {
                        lenient += 1;
                    }
                    for item in [
                        ItemText::parse(row.as_bytes()).unwrap(),
                        ItemText::parse_exact(row.as_bytes()).unwrap(),
                    ] {
                        if !lenient_other {
                            assert_eq!(item.title(), title_then, "{row}");
                        } else if item.title() != title_then {
                            // Where the eager reading differed from the model: now the model's (below).
                            differed += 1;
                        }
                        assert_eq!(item.item_class(), class_then, "{row}");
                        assert_eq!(item.title().as_deref(), model.title(), "{row}");
                        assert_eq!(item.item_class().as_deref(), model.item_class.as_deref(), "{row}");
                        assert_eq!(item.id, model.id, "{row}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, classes.len() * values.len() * keys.len() * 2);
        assert!(lenient > 0 && differed > 0, "{lenient} {differed}");
    }

    fn subject_or_name(row: &str, key: &str) -> Option<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(row).ok()?.get(key).cloned()
    }

    /// Ids that differ in any byte or in length get different marks (the hash reads every byte, the
    /// tail included, and the length).
    #[test]
    fn id_hashes_tell_ids_apart() {
        let mut seen = std::collections::HashSet::new();
        for len in 0..40 {
            let base: Vec<u8> = (0..len).map(|i| b'A' + (i % 26) as u8).collect();
            assert!(seen.insert(id_hash(&base)), "{len}");
            for at in 0..len {
                let mut b = base.clone();
                b[at] ^= 1;
                assert!(seen.insert(id_hash(&b)), "{len} {at}");
            }
        }
        // Zero bytes at the end are not the same as a shorter id.
        assert_ne!(id_hash(b"ab"), id_hash(b"ab\0"));
    }
}
