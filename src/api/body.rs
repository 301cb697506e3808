//! Reading an answer's body under limits: a hostile or broken server must not be able to take the
//! client's memory, its time or its stack.
//!
//! - **Stall timeout**: a body is read chunk by chunk and fails only when no byte arrives for
//!   [`super::Timeouts::stall`] — a slow answer that keeps coming finishes, however long it takes.
//! - **Size cap** ([`BodyLimits::max_bytes`], 64 MiB by default, `max_body_mb` / `--max-body-mb`): a JSON
//!   answer larger than that is refused (a `Content-Length` above it is refused before a byte is read).
//!   Downloads (PST, MSG, ZIP) are streamed to disk and never capped this way.
//! - **Rows**: a page with more `results` than the `limit` asked for is refused as soon as the extra row
//!   starts arriving, without reading the rest.
//! - **Long strings** are cut while the body arrives ([`MAX_STRING`] bytes of JSON text each, then
//!   [`CUT_MARK`] and the string's full size): a 10 MB subject costs 64 KiB.
//! - **Nesting** deeper than [`MAX_DEPTH`] is refused while the body arrives, as a damaged answer
//!   (serde_json would stop at 128 levels anyway; nothing vex reads is deeper than about 6).
//!
//! The checks run in one pass over the bytes as they arrive ([`JsonGuard`]), keeping only the (cut) JSON
//! text, which is then decoded as usual.

use super::error::{ApiError, from_reqwest};
use std::time::Duration;

/// The default cap on a JSON answer.
pub const DEFAULT_MAX_BODY: u64 = 64 << 20;
/// The longest string kept when decoding (bytes of JSON text; the rest is cut).
pub const MAX_STRING: usize = 64 << 10;
/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 64;
/// Put at the end of a string cut when decoding, before its size: `…[cut by vex: 10485760 bytes]`.
pub const CUT_MARK: &str = "…[cut by vex: ";
/// How much of an error answer's body is kept (its message is all vex reads from it).
pub const MAX_ERROR_BODY: usize = 64 << 10;

/// What a JSON answer may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// The largest JSON answer read (bytes on the wire).
    pub max_bytes: u64,
    /// The longest string kept (bytes of JSON text).
    pub max_string: usize,
    /// The deepest nesting accepted.
    pub max_depth: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_bytes: DEFAULT_MAX_BODY,
            max_string: MAX_STRING,
            max_depth: MAX_DEPTH,
        }
    }
}

/// `64.0 MiB`, `1.5 KiB`, `300 B`: the one size style of vex ([`crate::text::human_size`]).
pub fn human_bytes(n: u64) -> String {
    crate::text::human_size(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `1 min 00 s`, `0.3 s`: the one duration style of vex ([`crate::text::human_duration`]).
pub fn human_secs(d: Duration) -> String {
    crate::text::human_duration(d)
}

fn too_large(limit: u64) -> ApiError {
    ApiError::Limit(format!(
        "the answer is larger than {} (vex's limit for one answer; raise it with max_body_mb or --max-body-mb)",
        human_bytes(limit)
    ))
}

/// The error of a body that made no progress for `stall`.
pub fn stalled(stall: Duration) -> ApiError {
    ApiError::Timeout(format!(
        "the answer stalled: no data for {} (the stall timeout; see stall_timeout or --stall-timeout)",
        human_secs(stall)
    ))
}

/// The length of the run of string text at the start of `b` up to the next quote or backslash (all of
/// `b` when there is none). Most strings of an answer are short (keys, ids, dates): eight bytes at a time
/// in a register first, memchr (whose set-up costs more than a short string) for what is longer.
pub(crate) fn plain_run(b: &[u8]) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() && i < 64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(w);
        let (q, s) = (w ^ (LO * u64::from(b'"')), w ^ (LO * u64::from(b'\\')));
        // A byte of q or s is zero where w holds a quote or a backslash; the lowest flagged byte is exact.
        let m = ((q.wrapping_sub(LO) & !q) | (s.wrapping_sub(LO) & !s)) & HI;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + memchr::memchr2(b'"', b'\\', &b[i..]).unwrap_or(b.len() - i)
}

/// Where the scanner is, per open array or object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Object { expect_key: bool },
    Array { rows: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Esc {
    None,
    Backslash,
    /// Inside `\uXXXX`: digits read so far and their value.
    Unicode(u8, u32),
}

/// Checks and cuts a JSON answer as it arrives (see the module's documentation). Not a validator: text
/// that is not JSON passes through (the decoder then says what is wrong), only the limits are enforced.
pub struct JsonGuard {
    limits: BodyLimits,
    max_rows: Option<usize>,
    out: Vec<u8>,
    received: u64,
    stack: Vec<Ctx>,
    in_string: bool,
    is_key: bool,
    key: Vec<u8>,
    /// The last key of the top-level object was `results`.
    results_key: bool,
    esc: Esc,
    /// Bytes of the current string's JSON text so far.
    slen: usize,
    /// Where the current string's emitted text was cut (nothing more is kept of it).
    cut: bool,
    /// Where in `out` the last unit of the string (a character or an escape) starts.
    unit_start: usize,
    /// Where in `out` a `\uD8xx` high surrogate escape starts when it was the last unit.
    pending_high: Option<usize>,
    rows: usize,
    row_open: bool,
    cut_strings: usize,
    /// Row mode ([`JsonGuard::rows`]): each row of `results` is handed on as it completes and not kept;
    /// whitespace outside strings is dropped.
    split: bool,
    /// Where in `out` the row being read starts (row mode).
    row_start: usize,
    /// Row mode: the top-level members of each row wanted by the reader (see [`JsonGuard::with_keys`]).
    keys: &'static [&'static [u8]],
    /// Row mode: a row that arrives whole in one chunk is read by [`super::scan::object`] (found, checked
    /// and handed on in one pass, not copied); off only in tests, to compare.
    fast: bool,
    /// Row mode, fast path: the start of a row that the chunk's end cut (plain so far), at most
    /// [`MAX_CARRY`] bytes. The next chunk's first bytes are added until the row is whole, then it is read
    /// as one; a row the fast path is unsure of goes through the byte path from its first byte.
    carry: Vec<u8>,
    /// How often the carried row was scanned (bounded: [`MAX_CARRY_SCANS`]).
    carry_scans: u32,
}

/// The longest start of a row carried over to the next chunk (longer rows take the byte path).
const MAX_CARRY: usize = 1 << 20;
/// How often a carried row is scanned again as chunks arrive before the byte path takes it (tiny chunks
/// must not make a long row cost its length times their number).
const MAX_CARRY_SCANS: u32 = 8;

/// What a row callback is given: the row's JSON text, and when the row was read by the fast path, what it
/// found ([`super::scan::Scanned`]: the row is JSON `serde_json` accepts, and the members wanted).
pub type OnRow<'f> = dyn FnMut(&[u8], Option<&super::scan::Scanned<'_>>) -> Result<(), ApiError> + Send + 'f;

impl JsonGuard {
    /// `max_rows`: the most elements the top-level object's `results` may hold (a page's `limit`).
    pub fn new(limits: BodyLimits, max_rows: Option<usize>, expected_len: Option<u64>) -> JsonGuard {
        let cap = expected_len.unwrap_or(8 << 10).min(limits.max_bytes).min(16 << 20) as usize;
        JsonGuard {
            limits,
            max_rows,
            out: Vec::with_capacity(cap),
            received: 0,
            stack: Vec::new(),
            in_string: false,
            is_key: false,
            key: Vec::new(),
            results_key: false,
            esc: Esc::None,
            slen: 0,
            cut: false,
            unit_start: 0,
            pending_high: None,
            rows: 0,
            row_open: false,
            cut_strings: 0,
            split: false,
            row_start: 0,
            keys: &[],
            fast: true,
            carry: Vec::new(),
            carry_scans: 0,
        }
    }

    /// A guard in row mode, for listings read as a stream: [`JsonGuard::feed_rows`] hands each row of the
    /// top-level `results` (an object: anything else is a damaged answer) to a callback as soon as it is
    /// complete — its JSON text with whitespace outside strings dropped and long strings cut, so one row
    /// is one line — and keeps only the rest: [`JsonGuard::finish`] then gives the envelope with
    /// `"results":[]`. Memory is the envelope and one row, whatever the page's size.
    pub fn rows(limits: BodyLimits, max_rows: usize) -> JsonGuard {
        let mut g = JsonGuard::new(limits, Some(max_rows), Some(16 << 10));
        g.split = true;
        g
    }

    /// The top-level members of each row the reader wants found (at most [`super::scan::MAX_KEYS`]); the
    /// fast path gives them with the row.
    pub fn with_keys(mut self, keys: &'static [&'static [u8]]) -> JsonGuard {
        self.keys = keys;
        self
    }

    /// Every row through the byte path (the fast path off): what the fast path is compared with.
    #[cfg(test)]
    pub(crate) fn exact(mut self) -> JsonGuard {
        self.fast = false;
        self
    }

    /// Rows handed on so far (row mode), or counted (otherwise).
    pub fn row_count(&self) -> usize {
        self.rows
    }

    /// Strings cut so far.
    pub fn cut_strings(&self) -> usize {
        self.cut_strings
    }

    /// The JSON text kept (strings cut).
    pub fn finish(self) -> Vec<u8> {
        if self.cut_strings > 0 {
            tracing::warn!(
                strings = self.cut_strings,
                max = self.limits.max_string,
                "the answer held strings longer than the limit: they were cut"
            );
        }
        self.out
    }

    /// Takes the next piece of the body.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ApiError> {
        self.feed_rows(chunk, &mut |_, _| Ok(()))
    }

    /// Takes the next piece of the body; in row mode, each row completed by it goes to `on_row` (see
    /// [`JsonGuard::rows`]); an error from `on_row` stops the read. In row mode, call
    /// [`JsonGuard::end_rows`] once the body has ended.
    ///
    /// A row is read by [`super::scan::scan`] in one pass (found, checked, its wanted members found, and
    /// handed on without a copy) when it is plain JSON within the limits: straight from the chunk when it
    /// ends in it, else from its start carried over and completed from the next chunk's first bytes.
    /// Anything else (whitespace, a string to cut, text that is not JSON, a row longer than
    /// [`MAX_CARRY`]) goes through the byte-by-byte path below, from the row's first byte, as before.
    pub fn feed_rows(&mut self, chunk: &[u8], on_row: &mut OnRow<'_>) -> Result<(), ApiError> {
        self.received += chunk.len() as u64;
        if self.received > self.limits.max_bytes {
            return Err(too_large(self.limits.max_bytes));
        }
        let from = if self.carry.is_empty() {
            0
        } else {
            self.resume(chunk, on_row)?
        };
        self.feed_from(chunk.get(from..).unwrap_or_default(), self.fast, on_row)
    }

    /// Row mode: the body has ended; a row still carried goes through the byte path (it is not whole:
    /// the envelope then says what is wrong, as it would have).
    pub fn end_rows(&mut self, on_row: &mut OnRow<'_>) -> Result<(), ApiError> {
        if self.carry.is_empty() {
            return Ok(());
        }
        let carried = std::mem::take(&mut self.carry);
        self.feed_from(&carried, false, on_row)
    }

    /// Completes the carried row from the start of `chunk` (see [`JsonGuard::feed_rows`]); returns how
    /// many bytes of `chunk` it used.
    fn resume(&mut self, chunk: &[u8], on_row: &mut OnRow<'_>) -> Result<usize, ApiError> {
        let mut taken = 0;
        loop {
            // At least as much again as carried (so a long row is scanned a bounded number of times).
            let add = self.carry.len().max(4 << 10).min(chunk.len() - taken);
            self.carry.extend_from_slice(&chunk[taken..taken + add]);
            taken += add;
            self.carry_scans += 1;
            let room = self.limits.max_depth.saturating_sub(self.stack.len());
            match super::scan::scan(&self.carry, self.keys, self.limits.max_string, room) {
                Ok(row) => {
                    // What was added past the row's end is read from the chunk.
                    let past = self.carry.len() - row.json.len();
                    on_row(row.json.as_bytes(), Some(&row))?;
                    self.carry.clear();
                    return Ok(taken - past);
                }
                Err(super::scan::Miss::Short)
                    if self.carry.len() <= MAX_CARRY && self.carry_scans < MAX_CARRY_SCANS =>
                {
                    if taken == chunk.len() {
                        return Ok(taken);
                    }
                }
                Err(_) => {
                    // The byte path reads the row from its first byte, as if it had never been carried.
                    let carried = std::mem::take(&mut self.carry);
                    self.feed_from(&carried, false, on_row)?;
                    self.carry = carried;
                    self.carry.clear();
                    return Ok(taken);
                }
            }
        }
    }

    /// The loop of [`JsonGuard::feed_rows`] over `chunk`; `fast`: rows may be read by the scan.
    fn feed_from(&mut self, chunk: &[u8], fast: bool, on_row: &mut OnRow<'_>) -> Result<(), ApiError> {
        let mut i = 0;
        while i < chunk.len() {
            if self.in_string && self.esc == Esc::None {
                // Fast path: a run of plain string text up to the next quote or backslash.
                let rest = &chunk[i..];
                let run = plain_run(rest);
                if run > 0 {
                    let text = &rest[..run];
                    if self.cut {
                        self.slen += run;
                        i += run;
                        continue;
                    }
                    // Up to the cap in one go; past it, byte by byte until the next character starts
                    // (a few bytes), where the cut falls.
                    let take = run.min(self.limits.max_string.saturating_sub(self.slen));
                    if take > 0 {
                        let text = &text[..take];
                        if self.is_key && self.key.len() < 16 {
                            let k = (16 - self.key.len()).min(take);
                            self.key.extend_from_slice(&text[..k]);
                        }
                        self.pending_high = None;
                        self.out.extend_from_slice(text);
                        self.slen += take;
                        i += take;
                        continue;
                    }
                }
            }
            if self.split
                && fast
                && chunk[i] == b'{'
                && !self.in_string
                && !self.row_open
                && matches!(self.top(), Some(Ctx::Array { rows: true }))
            {
                // As the byte path: the row is counted (and one too many refused) before it is read.
                self.value_starts()?;
                let room = self.limits.max_depth.saturating_sub(self.stack.len());
                match super::scan::scan(&chunk[i..], self.keys, self.limits.max_string, room) {
                    Ok(row) => {
                        // The byte path would leave the guard as it is now (row open, nothing kept).
                        on_row(row.json.as_bytes(), Some(&row))?;
                        i += row.json.len();
                        continue;
                    }
                    Err(super::scan::Miss::Short) if chunk.len() - i <= MAX_CARRY => {
                        self.carry.extend_from_slice(&chunk[i..]);
                        self.carry_scans = 0;
                        return Ok(());
                    }
                    Err(_) => {}
                }
            }
            self.byte(chunk[i], on_row)?;
            i += 1;
        }
        Ok(())
    }

    fn top(&self) -> Option<Ctx> {
        self.stack.last().copied()
    }

    fn string_byte(&mut self, b: u8) {
        match self.esc {
            Esc::None => {
                if b == b'"' {
                    if self.cut {
                        self.out.extend_from_slice(CUT_MARK.as_bytes());
                        self.out.extend_from_slice(format!("{} bytes]", self.slen).as_bytes());
                    }
                    self.out.push(b'"');
                    self.in_string = false;
                    if self.is_key && self.stack.len() == 1 {
                        self.results_key = self.key == b"results";
                    }
                    return;
                }
                // A unit (a character or an escape) starts here: the string may be cut before it.
                if b == b'\\' || b & 0xC0 != 0x80 {
                    if !self.cut && self.slen >= self.limits.max_string {
                        self.cut = true;
                        self.cut_strings += 1;
                        if let Some(p) = self.pending_high {
                            // Never keep half of a surrogate pair.
                            self.out.truncate(p);
                        }
                    }
                    self.pending_high = None;
                    self.unit_start = self.out.len();
                }
                if b == b'\\' {
                    self.esc = Esc::Backslash;
                }
            }
            Esc::Backslash => {
                self.esc = if b == b'u' { Esc::Unicode(0, 0) } else { Esc::None };
            }
            Esc::Unicode(n, v) => {
                let digit = char::from(b).to_digit(16).unwrap_or(0);
                let v = v * 16 + digit;
                if n + 1 == 4 {
                    self.esc = Esc::None;
                    if (0xD800..=0xDBFF).contains(&v) {
                        self.pending_high = Some(self.unit_start);
                    }
                } else {
                    self.esc = Esc::Unicode(n + 1, v);
                }
            }
        }
        self.slen += 1;
        if !self.cut {
            self.out.push(b);
            if self.is_key && self.key.len() < 16 {
                self.key.push(b);
            }
        }
    }

    /// A value starts: counts the rows of the page.
    fn value_starts(&mut self) -> Result<(), ApiError> {
        if let Some(Ctx::Array { rows: true }) = self.top()
            && !self.row_open
        {
            self.row_open = true;
            self.rows += 1;
            if let Some(max) = self.max_rows
                && self.rows > max
            {
                return Err(ApiError::Limit(format!(
                    "the server sent more rows than the {max} asked for; vex refuses such a page"
                )));
            }
        }
        Ok(())
    }

    fn open(&mut self, ctx: Ctx) -> Result<(), ApiError> {
        if self.stack.len() >= self.limits.max_depth {
            // Not JSON any VB365 answer is: a damaged answer (retried on reads, like other damage).
            return Err(ApiError::Decode(format!(
                "the answer is nested deeper than {} levels",
                self.limits.max_depth
            )));
        }
        self.stack.push(ctx);
        Ok(())
    }

    fn byte(&mut self, b: u8, on_row: &mut OnRow<'_>) -> Result<(), ApiError> {
        if self.in_string {
            self.string_byte(b);
            return Ok(());
        }
        let in_rows = matches!(self.top(), Some(Ctx::Array { rows: true }));
        if self.split {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => return Ok(()),
                // Rows are handed on, not kept: nor the commas between them.
                b',' if in_rows => {
                    self.row_open = false;
                    return Ok(());
                }
                b'{' if in_rows => self.row_start = self.out.len(),
                b'}' | b']' if in_rows => {}
                b'}' | b']' => {
                    self.stack.pop();
                    self.out.push(b);
                    if matches!(self.top(), Some(Ctx::Array { rows: true })) {
                        on_row(&self.out[self.row_start..], None)?;
                        self.out.truncate(self.row_start);
                    }
                    return Ok(());
                }
                _ if in_rows => {
                    // A string, number or literal where an item should be.
                    self.value_starts()?;
                    return Err(ApiError::Decode("the answer holds a row that is not an object".into()));
                }
                _ => {}
            }
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                self.value_starts()?;
                self.in_string = true;
                self.is_key = matches!(self.top(), Some(Ctx::Object { expect_key: true }));
                self.key.clear();
                self.slen = 0;
                self.cut = false;
                self.esc = Esc::None;
                self.pending_high = None;
                self.unit_start = self.out.len() + 1;
            }
            b'{' => {
                self.value_starts()?;
                self.open(Ctx::Object { expect_key: true })?;
            }
            b'[' => {
                self.value_starts()?;
                let rows = self.stack.len() == 1
                    && matches!(self.top(), Some(Ctx::Object { .. }))
                    && self.results_key
                    && self.max_rows.is_some();
                self.open(Ctx::Array { rows })?;
            }
            b'}' | b']' => {
                self.stack.pop();
            }
            b':' => {
                if let Some(Ctx::Object { expect_key }) = self.stack.last_mut() {
                    *expect_key = false;
                }
            }
            b',' => match self.stack.last_mut() {
                Some(Ctx::Object { expect_key }) => *expect_key = true,
                Some(Ctx::Array { rows: true }) => self.row_open = false,
                _ => {}
            },
            _ => self.value_starts()?,
        }
        self.out.push(b);
        Ok(())
    }
}

/// Reads a JSON answer under `limits` (see the module's documentation), failing when no byte arrives for
/// `stall`.
pub(crate) async fn read_json(
    mut res: reqwest::Response,
    stall: Duration,
    limits: BodyLimits,
    max_rows: Option<usize>,
) -> Result<Vec<u8>, ApiError> {
    let expected = res.content_length();
    if expected.is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large(limits.max_bytes));
    }
    let mut guard = JsonGuard::new(limits, max_rows, expected);
    loop {
        match tokio::time::timeout(stall, res.chunk()).await {
            Err(_) => return Err(stalled(stall)),
            Ok(Err(e)) => return Err(from_reqwest(e)),
            Ok(Ok(None)) => return Ok(guard.finish()),
            Ok(Ok(Some(c))) => guard.feed(&c)?,
        }
    }
}

/// Reads a page of a listing as a stream under `limits` (see [`JsonGuard::rows`]): each row goes to
/// `on_row` as it arrives; returns the envelope (`"results":[]`) and the number of rows. Fails when no
/// byte arrives for `stall`.
pub(crate) async fn read_json_rows(
    res: reqwest::Response,
    stall: Duration,
    limits: BodyLimits,
    max_rows: usize,
    keys: &'static [&'static [u8]],
    on_row: &mut OnRow<'_>,
) -> Result<(Vec<u8>, usize), ApiError> {
    if res.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(too_large(limits.max_bytes));
    }
    let mut guard = JsonGuard::rows(limits, max_rows).with_keys(keys);
    let mut ahead = ReadAhead::start(res, stall);
    loop {
        match ahead.next().await? {
            None => {
                guard.end_rows(on_row)?;
                let n = guard.row_count();
                return Ok((guard.finish(), n));
            }
            Some(c) => guard.feed_rows(&c, on_row)?,
        }
    }
}

/// How many chunks [`ReadAhead`] holds, read but not yet taken. A chunk is at most hyper's read buffer
/// (about 400 KB), so this bounds what waits to about 3 MB.
const READ_AHEAD_CHUNKS: usize = 8;

/// An answer's body read by a task of its own, ahead of the one who checks it (bounded:
/// [`READ_AHEAD_CHUNKS`]).
///
/// Why: hyper hands a body on chunk by chunk, and reads the socket for the next chunk only once the
/// last one is taken: the socket is read (the kernel's copy, on a runtime thread) while the rows are not
/// checked, and the other way round, with two thread hand-overs a chunk. With this task the socket is
/// read while the rows of the chunks before are checked. The stall limit is the task's: a reader that
/// is slow to take chunks is not a server that stalls. The task is aborted when this is dropped.
struct ReadAhead {
    rx: tokio::sync::mpsc::Receiver<Result<Option<bytes::Bytes>, ApiError>>,
    task: tokio::task::JoinHandle<()>,
}

impl ReadAhead {
    fn start(mut res: reqwest::Response, stall: Duration) -> ReadAhead {
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD_CHUNKS);
        let task = tokio::spawn(async move {
            loop {
                let next = match tokio::time::timeout(stall, res.chunk()).await {
                    Err(_) => Err(stalled(stall)),
                    Ok(Err(e)) => Err(from_reqwest(e)),
                    Ok(Ok(c)) => Ok(c),
                };
                let more = matches!(next, Ok(Some(_)));
                if tx.send(next).await.is_err() || !more {
                    return;
                }
            }
        });
        ReadAhead { rx, task }
    }

    /// The next chunk; None at the body's end.
    async fn next(&mut self) -> Result<Option<bytes::Bytes>, ApiError> {
        match self.rx.recv().await {
            Some(r) => r,
            // The task ended without saying the body ended: it panicked (it says so before it returns).
            None => Err(ApiError::Network("the answer's reader stopped before its end".into())),
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The first [`MAX_ERROR_BODY`] bytes of an error answer (for its message); the rest is not read. A body
/// that stalls or breaks off gives what arrived.
pub(crate) async fn read_error_body(mut res: reqwest::Response, stall: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < MAX_ERROR_BODY {
        match tokio::time::timeout(stall, res.chunk()).await {
            Ok(Ok(Some(c))) => {
                let take = c.len().min(MAX_ERROR_BODY - out.len());
                out.extend_from_slice(&c[..take]);
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An answer whose body is `rows` one-row chunks of an items page (`{"results":[` first, `]}` last),
    /// each sent after `gap[i]` (none: at once); `pulled` counts the chunks taken from the body so far.
    fn paced(rows: usize, gap: impl Fn(usize) -> Duration + Send + 'static) -> (reqwest::Response, Arc<AtomicUsize>) {
        let pulled = Arc::new(AtomicUsize::new(0));
        let count = pulled.clone();
        let chunks = (0..rows).map(move |i| {
            let row = format!("{}{{\"id\":\"r{i}\"}}", if i == 0 { "{\"results\":[" } else { "," });
            if i + 1 == rows { format!("{row}]}}") } else { row }
        });
        let stream = futures_util::StreamExt::then(futures_util::stream::iter(chunks.enumerate()), move |(i, c)| {
            let (wait, count) = (gap(i), count.clone());
            async move {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                count.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(bytes::Bytes::from(c))
            }
        });
        let res = http::Response::new(reqwest::Body::wrap_stream(stream));
        (reqwest::Response::from(res), pulled)
    }

    async fn read_paced(
        res: reqwest::Response,
        stall: Duration,
        rows: usize,
        on_row: &mut OnRow<'_>,
    ) -> Result<(Vec<u8>, usize), ApiError> {
        read_json_rows(res, stall, BodyLimits::default(), rows, &[b"id"], on_row).await
    }

    /// The body is read ahead of the rows' check (while the first row is checked, later chunks arrive),
    /// and no further than the bound.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_body_is_read_ahead_of_the_reader_within_its_bound() {
        let rows = 40;
        let (res, pulled) = paced(rows, |_| Duration::ZERO);
        let mut seen = Vec::new();
        let mut on_row = |_: &[u8], _: Option<&super::super::scan::Scanned<'_>>| {
            if seen.is_empty() {
                // The reader is busy with its first row (blocking, as a slow stdout would keep it).
                std::thread::sleep(Duration::from_millis(300));
                seen.push(pulled.load(Ordering::SeqCst));
            } else {
                seen.push(0);
            }
            Ok(())
        };
        let (_, n) = read_paced(res, Duration::from_secs(30), rows, &mut on_row)
            .await
            .expect("read");
        assert_eq!(n, rows);
        let ahead = seen[0];
        // One chunk was taken by the reader; the task read on while it checked, but held at most
        // READ_AHEAD_CHUNKS (plus the one it waits to hand on, and hyper's own one).
        assert!(
            ahead >= 4,
            "the body was not read ahead: {ahead} chunks pulled while the first row was checked"
        );
        assert!(
            ahead <= READ_AHEAD_CHUNKS + 3,
            "read ahead past the bound: {ahead} chunks"
        );
    }

    /// A reader slower than the stall limit (the task waits to hand chunks on) is not a stalled server.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_reader_is_not_a_stalled_server() {
        let rows = 30;
        let (res, _) = paced(rows, |_| Duration::ZERO);
        let mut on_row = |_: &[u8], _: Option<&super::super::scan::Scanned<'_>>| {
            std::thread::sleep(Duration::from_millis(10));
            Ok(())
        };
        // 30 rows at 10 ms each: 300 ms of reading against a 60 ms stall limit.
        let (_, n) = read_paced(res, Duration::from_millis(60), rows, &mut on_row)
            .await
            .expect("read");
        assert_eq!(n, rows);
    }

    /// A server that stops sending is told as a stall, however far ahead the task had read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_that_stops_sending_is_a_stall() {
        let rows = 12;
        let (res, _) = paced(rows, |i| {
            if i == 10 {
                Duration::from_secs(5)
            } else {
                Duration::ZERO
            }
        });
        let mut handed = 0usize;
        let mut on_row = |_: &[u8], _: Option<&super::super::scan::Scanned<'_>>| {
            handed += 1;
            Ok(())
        };
        let t = std::time::Instant::now();
        let e = read_paced(res, Duration::from_millis(200), rows, &mut on_row)
            .await
            .expect_err("a stall");
        assert!(e.to_string().contains("stalled"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(3), "told after {:?}", t.elapsed());
        // Every row sent before the silence was handed on.
        assert_eq!(handed, 10);
    }

    /// Dropping the reader (the listing stopped) stops the task: the body is not read on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_task_stops_with_its_reader() {
        let rows = 200;
        let (res, pulled) = paced(rows, |_| Duration::from_millis(5));
        let ahead = ReadAhead::start(res, Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(ahead);
        let at_drop = pulled.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let later = pulled.load(Ordering::SeqCst);
        assert!(
            later <= at_drop + 1,
            "read on after the reader was dropped: {at_drop} then {later}"
        );
        assert!(later < rows);
    }

    fn guard_all(text: &[u8], limits: BodyLimits, rows: Option<usize>, step: usize) -> Result<Vec<u8>, ApiError> {
        let mut g = JsonGuard::new(limits, rows, None);
        for c in text.chunks(step.max(1)) {
            g.feed(c)?;
        }
        Ok(g.finish())
    }

    fn small(max_string: usize) -> BodyLimits {
        BodyLimits {
            max_string,
            ..BodyLimits::default()
        }
    }

    #[test]
    fn plain_runs_end_at_the_first_quote_or_backslash() {
        for len in 0..150 {
            for stop in [None, Some(b'"'), Some(b'\\')] {
                for at in [0, 1, 7, 8, 9, 63, 64, 65, 100].into_iter().filter(|a| *a < len) {
                    let mut b: Vec<u8> = (0..len).map(|i| b"a\xc3\xa9z ~{}:,\x7f"[i % 11]).collect();
                    let want = match stop {
                        Some(c) => {
                            b[at] = c;
                            at
                        }
                        None => len,
                    };
                    assert_eq!(plain_run(&b), want, "len {len} stop {stop:?} at {at}");
                }
            }
        }
    }

    #[test]
    fn plain_json_passes_unchanged_in_any_chunking() {
        let text = br#"{"offset":0,"limit":3,"results":[{"id":"a\"b\\c","n":[1,2,{"x":"\u00e9\ud83d\ude00"}]},{"id":"z"}],"_links":{}}"#;
        for step in [1, 2, 3, 7, 1000] {
            let out = guard_all(text, BodyLimits::default(), Some(3), step).unwrap();
            assert_eq!(out, text.to_vec(), "step {step}");
        }
    }

    #[test]
    fn long_strings_are_cut_between_characters_and_marked() {
        for (s, max) in [
            ("x".repeat(100), 10),
            ("é".repeat(100), 11),
            ("🎉".repeat(50), 9),
            ("\\u00e9".repeat(40), 8),
            ("\\ud83d\\ude00".repeat(40), 9),
            ("\\ud83d\\ude00".repeat(40), 7),
            ("a\\\"b".repeat(40), 7),
        ] {
            let text = format!(r#"{{"results":[{{"id":"i","subject":"{s}"}}],"k":"short"}}"#);
            for step in [1, 4, 1000] {
                let out = guard_all(text.as_bytes(), small(max), Some(1), step).unwrap();
                let v: Value = serde_json::from_slice(&out).unwrap_or_else(|e| {
                    panic!("{s:.20} max {max} step {step}: {e}: {}", String::from_utf8_lossy(&out))
                });
                let subject = v["results"][0]["subject"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{s:.20} max {max} step {step}: {v}"));
                assert!(subject.ends_with(&format!("{CUT_MARK}{} bytes]", s.len())), "{subject}");
                let kept = subject.strip_suffix(&format!("{CUT_MARK}{} bytes]", s.len())).unwrap();
                assert!(!kept.is_empty() && kept.len() <= max + 4, "{kept:?}");
                assert_eq!(v["k"], "short");
                assert_eq!(v["results"][0]["id"], "i");
            }
        }
    }

    #[test]
    fn a_ten_megabyte_string_costs_the_limit_not_its_size() {
        let big = "y".repeat(10 << 20);
        let text = format!(r#"{{"results":[{{"id":"1","subject":"{big}"}}]}}"#);
        let out = guard_all(text.as_bytes(), BodyLimits::default(), Some(10), 64 << 10).unwrap();
        assert!(out.len() < MAX_STRING + 200, "{}", out.len());
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert!(v["results"][0]["subject"].as_str().unwrap().contains(CUT_MARK));
    }

    #[test]
    fn more_rows_than_asked_are_refused_as_they_arrive() {
        let rows = |n: usize| {
            let r: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"id":"{i}","a":[1,2],"b":{{"c":3}}}}"#))
                .collect();
            format!(r#"{{"offset":0,"results":[{}],"limit":3}}"#, r.join(" , "))
        };
        assert!(guard_all(rows(3).as_bytes(), BodyLimits::default(), Some(3), 5).is_ok());
        assert!(guard_all(rows(0).as_bytes(), BodyLimits::default(), Some(3), 5).is_ok());
        let e = guard_all(rows(4).as_bytes(), BodyLimits::default(), Some(3), 5).unwrap_err();
        assert!(
            matches!(&e, ApiError::Limit(m) if m.contains("more rows than the 3")),
            "{e:?}"
        );
        // Nested arrays, other keys and strings that say "results" do not count.
        let t = br#"{"x":{"results":[1,2,3,4,5]},"s":"results","results":[[1,2,3,4],[5]]}"#;
        assert!(guard_all(t, BodyLimits::default(), Some(2), 3).is_ok());
        // Numbers and literals are rows too.
        let t = br#"{"results":[1, true, null]}"#;
        assert!(guard_all(t, BodyLimits::default(), Some(2), 3).is_err());
        assert!(guard_all(t, BodyLimits::default(), Some(3), 3).is_ok());
        // Without a limit asked, nothing is counted.
        assert!(guard_all(rows(50).as_bytes(), BodyLimits::default(), None, 5).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_and_sizes_are_capped() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = guard_all(deep.as_bytes(), BodyLimits::default(), None, 4096).unwrap_err();
        assert!(
            matches!(&e, ApiError::Decode(m) if m.contains("nested deeper than 64")),
            "{e:?}"
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(guard_all(ok.as_bytes(), BodyLimits::default(), None, 10).is_ok());
        let limits = BodyLimits {
            max_bytes: 1000,
            ..BodyLimits::default()
        };
        let e = guard_all(&[b' '; 1001], limits, None, 100).unwrap_err();
        assert!(e.to_string().contains("larger than 1000 B"), "{e}");
        assert!(guard_all(&[b' '; 1000], limits, None, 100).is_ok());
    }

    fn split(text: &[u8], max_rows: usize, step: usize) -> Result<(Vec<u8>, Vec<String>), ApiError> {
        split_with(text, BodyLimits::default(), max_rows, step, true)
    }

    fn split_with(
        text: &[u8],
        limits: BodyLimits,
        max_rows: usize,
        step: usize,
        fast: bool,
    ) -> Result<(Vec<u8>, Vec<String>), ApiError> {
        let mut g = JsonGuard::rows(limits, max_rows);
        g.fast = fast;
        let mut rows = Vec::new();
        let mut on_row = |r: &[u8], _: Option<&super::super::scan::Scanned<'_>>| {
            rows.push(String::from_utf8_lossy(r).into_owned());
            Ok(())
        };
        for c in text.chunks(step.max(1)) {
            g.feed_rows(c, &mut on_row)?;
        }
        g.end_rows(&mut on_row)?;
        Ok((g.finish(), rows))
    }

    /// The fast path changes nothing a reader sees: the same rows, envelope and errors as the byte path,
    /// in any chunking, for plain rows and for rows it leaves to the byte path (whitespace, long strings,
    /// deep nesting, damage, too many rows).
    #[test]
    fn the_fast_path_hands_on_what_the_byte_path_does() {
        let deep = format!(r#"{{"id":"d","a":{}1{}}}"#, "[".repeat(70), "]".repeat(70));
        let texts: Vec<String> = vec![
            r#"{"offset":0,"results":[{"id":"a","n":[1,{"x":"}"}]},{"id":"b\u00e9\"","s":"é"},{}],"limit":3}"#.into(),
            "{\"results\":[ {\"id\": \"a\"} , {\"id\":\"b\"},\n{\"id\":\"c\"}]}".into(),
            r#"{"results":[{"id":"a"}{"id":"b"},{"id":"c"}]}"#.into(),
            r#"{"results":[{"id":"a","s":"0123456789abcdefghij"},{"id":"b"}]}"#.into(),
            r#"{"results":[{"id":"a"},{"id":01},{"id":tru},{"id":"c"}]}"#.into(),
            r#"{"results":[{"id":"a"},{"id":"b"},{"id":"c"},{"id":"d"}]}"#.into(),
            r#"{"results":[{"id":"a"},"x",{"id":"c"}]}"#.into(),
            format!(r#"{{"results":[{{"id":"a"}},{deep}]}}"#),
            "{\"results\":[{\"id\":\"\\ud83d\\ude00\",\"c\":\"a\u{1b}b\"},{\"id\":\"\\uD83D\"}]}".into(),
        ];
        let limits = BodyLimits {
            max_string: 16,
            ..BodyLimits::default()
        };
        for text in &texts {
            for step in [1, 2, 3, 7, 16, 40, 1000] {
                let slow = split_with(text.as_bytes(), limits, 3, step, false);
                let fast = split_with(text.as_bytes(), limits, 3, step, true);
                match (&slow, &fast) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{text} step {step}"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text} step {step}"),
                    _ => panic!("{text} step {step}: {slow:?} vs {fast:?}"),
                }
            }
        }
    }

    /// Rows cut by a chunk's end are carried and completed from the next chunk: the same rows, envelope
    /// and errors as the byte path, for long rows (longer than the first piece added, than a chunk, than
    /// several), rows found unsure only once whole, and bodies that end inside a carried row.
    #[test]
    fn carried_rows_hand_on_what_the_byte_path_does() {
        let long = |n: usize, tail: &str| format!(r#"{{"id":"{n}","s":"{}"{tail}}}"#, "é~".repeat(n));
        let rows = |list: &[String]| format!(r#"{{"offset":0,"results":[{}],"limit":9}}"#, list.join(","));
        let texts: Vec<Vec<u8>> = vec![
            rows(&[long(10, ""), long(3000, ""), long(10, ""), long(9000, ""), long(1, "")]).into_bytes(),
            rows(&[
                long(3000, r#","w": 1"#),
                long(20, ""),
                long(5000, r#","x":tru"#),
                long(2, ""),
            ])
            .into_bytes(),
            rows(&[
                long(2500, ""),
                long(2500, r#","n":[[[[1]]]]"#),
                long(2500, r#","d":"\u00"#),
            ])
            .into_bytes(),
            rows(&[long(4000, ""), long(4000, "")]).as_bytes()[..9000].to_vec(),
            rows(&[long(100, "")])
                .replace(r#""limit":9"#, r#""limit":9,"tail":"x"#)
                .into_bytes(),
        ];
        let limits = BodyLimits {
            max_depth: 5,
            ..BodyLimits::default()
        };
        for text in &texts {
            for step in [1, 7, 100, 999, 2048, 4097, 5000, 12_000, 1 << 20] {
                let slow = split_with(text, limits, 9, step, false);
                let fast = split_with(text, limits, 9, step, true);
                let t = String::from_utf8_lossy(&text[..60]);
                match (&slow, &fast) {
                    (Ok(a), Ok(b)) => assert_eq!(a, b, "{t} step {step}"),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{t} step {step}"),
                    _ => panic!("{t} step {step}: {slow:?} vs {fast:?}"),
                }
            }
        }
    }

    #[test]
    fn row_mode_hands_each_row_on_and_keeps_only_the_envelope() {
        let text = b"{ \"offset\": 0,\n \"results\" : [ {\"id\": \"a b\",\n \"n\":[1, {\"x\":\"}\"}]} ,\n{\"id\":\"c\"} ],\n\"limit\": 2, \"_links\": {\"next\": {\"href\": \"/x\"}} }";
        for step in [1, 2, 5, 1000] {
            let (env, rows) = split(text, 2, step).unwrap();
            assert_eq!(
                rows,
                [r#"{"id":"a b","n":[1,{"x":"}"}]}"#, r#"{"id":"c"}"#],
                "step {step}"
            );
            assert_eq!(
                String::from_utf8(env).unwrap(),
                r#"{"offset":0,"results":[],"limit":2,"_links":{"next":{"href":"/x"}}}"#
            );
        }
        // More rows than asked, rows that are not objects, and nested results arrays.
        assert!(matches!(
            split(br#"{"results":[{"id":1},{"id":2},{"id":3}]}"#, 2, 3),
            Err(ApiError::Limit(_))
        ));
        assert!(matches!(
            split(br#"{"results":[{"id":1},"x"]}"#, 5, 3),
            Err(ApiError::Decode(_))
        ));
        let (env, rows) = split(br#"{"x":{"results":[1,2]},"results":[]}"#, 1, 4).unwrap();
        assert!(rows.is_empty());
        assert_eq!(env, br#"{"x":{"results":[1,2]},"results":[]}"#.to_vec());
        // Long strings are cut in rows as everywhere.
        let big = format!(r#"{{"results":[{{"id":"1","s":"{}"}}]}}"#, "y".repeat(MAX_STRING * 2));
        let (_, rows) = split(big.as_bytes(), 1, 4096).unwrap();
        assert!(
            rows[0].len() < MAX_STRING + 100 && rows[0].contains(CUT_MARK),
            "{}",
            rows[0].len()
        );
    }

    #[test]
    fn text_that_is_not_json_passes_for_the_decoder_to_judge() {
        let html = b"<html><body>\"unterminated {[ ]]]}} </body></html>";
        assert_eq!(
            guard_all(html, BodyLimits::default(), Some(1), 3).unwrap(),
            html.to_vec()
        );
        assert_eq!(human_bytes(64 << 20), "64.0 MiB");
        assert_eq!(human_secs(Duration::from_millis(300)), "0.3 s");
        assert_eq!(human_secs(Duration::from_secs(60)), "1 min 00 s");
    }
}
