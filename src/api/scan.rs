//! One pass over a row of a listing that both finds where the row ends and checks it (issue 17): the
//! fast path of [`super::body::JsonGuard`]'s row mode and of [`super::stream::ItemText::parse`].
//!
//! [`object`] reads one JSON object at the start of a slice and says where it ends, when it is JSON that
//! `serde_json` accepts as it is (strings, escapes, numbers and literals by the grammar; no raw control
//! characters in strings; valid UTF-8), and gives the text of the top-level members asked for by key. It
//! is deliberately narrow: whatever it is not sure of it leaves to the exact path (the byte-by-byte
//! guard, then `serde_json`), by answering `None`, never an error. So `None` for: the object not ending
//! within the slice (the rest is in the next chunk), whitespace outside strings (the guard removes it),
//! a string longer than the guard's cut, nesting deeper than the room left, escapes in keys (`serde`
//! compares keys unescaped), a key asked for given twice (`serde` refuses a duplicate field), and any
//! text that is not JSON (the exact path then says what is wrong, in the same words as before).
//! Answering `Some` means `serde_json` would accept the object, with the same member texts.

/// The most keys one scan can be asked for.
pub const MAX_KEYS: usize = 8;

/// An object read by [`object`].
#[derive(Clone, Debug)]
pub struct Scanned<'a> {
    /// The object's JSON text (valid UTF-8, no whitespace outside strings).
    pub json: &'a str,
    /// Per key asked for: the member's value text (`start..end` in `json`); `end == 0` when absent.
    spans: [(u32, u32); MAX_KEYS],
    /// Printable ASCII only (no byte below 0x20, none at or above DEL): nothing in it needs escaping for
    /// a terminal.
    pub printable: bool,
    /// Where the bytes at or above DEL are (from the first to the last of them, whole characters; empty
    /// when printable): outside it, `json` is printable ASCII.
    pub high: std::ops::Range<usize>,
}

impl<'a> Scanned<'a> {
    /// The value text of the `k`-th key asked for (`null` included), when the object has it.
    pub fn member(&self, k: usize) -> Option<&'a str> {
        let (a, e) = *self.spans.get(k)?;
        (e != 0).then(|| self.json.get(a as usize..e as usize)).flatten()
    }
}

/// Where the bytes at or above DEL found so far in strings are: from `lo` to `hi` (exclusive); `lo` is
/// `usize::MAX` while there is none.
#[derive(Clone, Copy)]
struct High {
    lo: usize,
    hi: usize,
}

impl High {
    /// The bytes of `mask` (bit k: byte `at + k`) are at or above DEL.
    #[inline(always)]
    fn note(&mut self, at: usize, mask: u32) {
        if mask != 0 {
            self.lo = self.lo.min(at + mask.trailing_zeros() as usize);
            self.hi = at + 32 - mask.leading_zeros() as usize;
        }
    }
}

/// Where a run of string text stops: at a quote, a backslash or a byte below 0x20 (`Some(index)`), or
/// `None` when `b` ends first. The bytes at or above DEL before the stop are noted in `high`.
/// `WIDE`: 32 bytes at a time first (AVX2; only inside [`scan_avx2`]).
#[inline(always)]
fn run_end<const WIDE: bool>(b: &[u8], mut i: usize, high: &mut High) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        while let Some(block) = b.get(i..).and_then(<[u8]>::first_chunk::<32>) {
            // SAFETY: `WIDE` is true only in `scan_avx2`, which runs only when the CPU has AVX2.
            let (stop, del) = unsafe { block32(block) };
            if stop == 0 {
                high.note(i, del);
                i += 32;
                continue;
            }
            let at = stop.trailing_zeros();
            high.note(i, del & ((1u32 << at) - 1));
            return Some(i + at as usize);
        }
    }
    while let Some(block) = b.get(i..).and_then(<[u8]>::first_chunk::<16>) {
        let (stop, del) = block16(block);
        if stop == 0 {
            high.note(i, del);
            i += 16;
            continue;
        }
        let at = stop.trailing_zeros();
        high.note(i, del & ((1u32 << at) - 1));
        return Some(i + at as usize);
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return Some(i);
        }
        high.note(i, u32::from(c >= 0x7f));
        i += 1;
    }
    None
}

/// [`block16`] for 32 bytes, with AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn block32(block: &[u8; 32]) -> (u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: `block` is 32 readable bytes and the load is unaligned (`loadu`); the caller guarantees
    // AVX2.
    unsafe {
        let v = _mm256_loadu_si256(block.as_ptr().cast());
        let quote = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8));
        let backslash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8));
        let control = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v);
        let del = _mm256_cmpeq_epi8(_mm256_max_epu8(v, _mm256_set1_epi8(0x7f)), v);
        let stop = _mm256_or_si256(_mm256_or_si256(quote, backslash), control);
        (_mm256_movemask_epi8(stop) as u32, _mm256_movemask_epi8(del) as u32)
    }
}

/// Sixteen bytes at once: bit masks of the bytes that stop a run of string text (quote, backslash,
/// below 0x20) and of those at or above DEL.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block16(block: &[u8; 16]) -> (u32, u32) {
    use std::arch::x86_64::*;
    // SAFETY: `block` is 16 readable bytes and the load is unaligned (`loadu`); SSE2 is part of every
    // x86_64 target, so the instructions exist.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // v <= 0x1f (unsigned): min(v, 0x1f) == v.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        // v >= 0x7f (unsigned): max(v, 0x7f) == v.
        let del = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x7f)), v);
        let stop = _mm_or_si128(_mm_or_si128(quote, backslash), control);
        (_mm_movemask_epi8(stop) as u32, _mm_movemask_epi8(del) as u32)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block16(block: &[u8; 16]) -> (u32, u32) {
    block16_scalar(block)
}

/// [`block16`] one byte at a time (other targets; and the reference the tests compare with).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block16_scalar(block: &[u8; 16]) -> (u32, u32) {
    let (mut stop, mut del) = (0u32, 0u32);
    for (k, &c) in block.iter().enumerate() {
        stop |= u32::from(c == b'"' || c == b'\\' || c < 0x20) << k;
        del |= u32::from(c >= 0x7f) << k;
    }
    (stop, del)
}

/// Why [`scan`] gave no row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    /// What is there is a plain row so far, but `b` ends before the row does: more bytes may complete it.
    Short,
    /// Not sure (see the module's documentation): the exact path reads it.
    Unsure,
}

use Miss::{Short, Unsure};

/// `b[i]`, or [`Miss::Short`] past the end.
#[inline(always)]
fn at(b: &[u8], i: usize) -> Result<u8, Miss> {
    b.get(i).copied().ok_or(Short)
}

/// Where the string whose text starts at `i` ends (after its closing quote); `Short` when it does not
/// end in `b`; `Unsure` when it is longer than `max` bytes of text, holds a raw control character or an
/// escape `serde_json` refuses.
#[inline(always)]
fn string_end<const WIDE: bool>(b: &[u8], mut i: usize, max: usize, high: &mut High) -> Result<usize, Miss> {
    let start = i;
    loop {
        i = run_end::<WIDE>(b, i, high).ok_or(if b.len() - start > max { Unsure } else { Short })?;
        if i - start > max {
            return Err(Unsure);
        }
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => match at(b, i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    for k in i + 2..i + 6 {
                        if !at(b, k)?.is_ascii_hexdigit() {
                            return Err(Unsure);
                        }
                    }
                    i += 6;
                }
                _ => return Err(Unsure),
            },
            // A raw control character: serde refuses it.
            _ => return Err(Unsure),
        }
    }
}

#[inline(always)]
fn digits(b: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

/// Where the number at `i` ends, by JSON's grammar (as `serde_json` reads one it does not keep).
fn number_end(b: &[u8], mut i: usize) -> Result<usize, Miss> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match at(b, i)? {
        b'0' => {
            i += 1;
            if let Some(b'0'..=b'9') = b.get(i) {
                return Err(Unsure);
            }
        }
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return Err(Unsure),
    }
    if b.get(i) == Some(&b'.') {
        let e = digits(b, i + 1);
        if e == i + 1 {
            return Err(if e == b.len() { Short } else { Unsure });
        }
        i = e;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let e = digits(b, i);
        if e == i {
            return Err(if e == b.len() { Short } else { Unsure });
        }
        i = e;
    }
    Ok(i)
}

/// Reads the object at the start of `b` (see the module's documentation): `keys` are the top-level
/// members wanted (at most [`MAX_KEYS`]), `max_string` the longest string text accepted, `room` how many
/// levels of nesting the object may open (itself included).
pub fn object<'a>(b: &'a [u8], keys: &[&[u8]], max_string: usize, room: usize) -> Option<Scanned<'a>> {
    scan(b, keys, max_string, room).ok()
}

/// The walk of [`scan`]: where it is, what it found.
struct Walk<'k> {
    keys: &'k [&'k [u8]],
    max_string: usize,
    spans: [(u32, u32); MAX_KEYS],
    /// The wanted key whose value starts at `.1` (at depth 1), until the value ends.
    pending: Option<(usize, usize)>,
    high: High,
    /// Per key asked for, its [`tag`]; 0 for the slots past the last.
    tags: [u32; MAX_KEYS],
}

/// A key's length, first and last bytes, and a bit no empty slot has: keys with different tags differ,
/// so a key is compared whole only with the keys asked for that share its tag (at most one, mostly
/// none), after one comparison of all the tags at once.
#[inline(always)]
fn tag(key: &[u8]) -> u32 {
    let ends = match key {
        [] => 0,
        [first, .., last] => u32::from(*first) << 8 | u32::from(*last) << 16,
        [only] => u32::from(*only) << 8 | u32::from(*only) << 16,
    };
    (key.len() as u32 & 0xff) | ends | 1 << 24
}

impl Walk<'_> {
    /// The key at `i` (its opening quote), its colon, and where its value starts.
    #[inline(always)]
    fn key<const WIDE: bool>(&mut self, b: &[u8], i: usize, depth: usize) -> Result<usize, Miss> {
        if at(b, i)? != b'"' {
            return Err(Unsure);
        }
        let start = i + 1;
        let end = run_end::<WIDE>(b, start, &mut self.high).ok_or(if b.len() - start > self.max_string {
            Unsure
        } else {
            Short
        })?;
        // At a quote (a backslash: an escaped key, left to serde; a control character: refused).
        if b[end] != b'"' || end - start > self.max_string {
            return Err(Unsure);
        }
        if at(b, end + 1)? != b':' {
            return Err(Unsure);
        }
        if depth == 1 {
            let key = &b[start..end];
            let t = tag(key);
            let mut same = 0u32;
            for (k, kt) in self.tags.iter().enumerate() {
                same |= u32::from(*kt == t) << k;
            }
            let mut found = None;
            while same != 0 {
                let k = same.trailing_zeros() as usize;
                if self.keys.get(k).is_some_and(|w| *w == key) {
                    found = Some(k);
                    break;
                }
                same &= same - 1;
            }
            if let Some(k) = found {
                if self.spans[k].1 != 0 {
                    // serde refuses a duplicate field.
                    return Err(Unsure);
                }
                self.pending = Some((k, end + 2));
            }
        }
        Ok(end + 2)
    }
}

/// [`object`], saying why there is no row: [`Miss::Short`] when `b` ends before the object does (and
/// nothing so far is unsure), [`Miss::Unsure`] otherwise.
pub fn scan<'a>(b: &'a [u8], keys: &[&[u8]], max_string: usize, room: usize) -> Result<Scanned<'a>, Miss> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (just checked).
        return unsafe { scan_avx2(b, keys, max_string, room) };
    }
    scan_with::<false>(b, keys, max_string, room)
}

/// [`scan`] compiled for AVX2 (string text read 32 bytes at a time).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2<'a>(b: &'a [u8], keys: &[&[u8]], max_string: usize, room: usize) -> Result<Scanned<'a>, Miss> {
    scan_with::<true>(b, keys, max_string, room)
}

/// The body of [`scan`]; `WIDE`: see [`run_end`].
#[inline(always)]
fn scan_with<'a, const WIDE: bool>(
    b: &'a [u8],
    keys: &[&[u8]],
    max_string: usize,
    room: usize,
) -> Result<Scanned<'a>, Miss> {
    if b.first() != Some(&b'{') || keys.len() > MAX_KEYS {
        return Err(Unsure);
    }
    let room = room.min(64);
    let mut w = Walk {
        keys,
        max_string,
        spans: [(0u32, 0u32); MAX_KEYS],
        pending: None,
        // Bytes at or above DEL, all in strings (everything else is checked to be ASCII).
        high: High { lo: usize::MAX, hi: 0 },
        tags: std::array::from_fn(|k| keys.get(k).map_or(0, |key| tag(key))),
    };
    let mut i = 0usize;
    let mut depth = 0usize;
    // Bit d set: level d (0 the innermost) is an object.
    let mut objects = 0u64;
    'value: loop {
        // A value starts at `i`.
        let c = at(b, i)?;
        match c {
            b'"' => i = string_end::<WIDE>(b, i + 1, max_string, &mut w.high)?,
            b'{' | b'[' => {
                depth += 1;
                if depth > room {
                    return Err(Unsure);
                }
                let object = c == b'{';
                objects = (objects << 1) | u64::from(object);
                i += 1;
                let close = if object { b'}' } else { b']' };
                if at(b, i)? == close {
                    i += 1;
                    depth -= 1;
                    objects >>= 1;
                } else {
                    if object {
                        i = w.key::<WIDE>(b, i, depth)?;
                    }
                    continue 'value;
                }
            }
            b't' | b'f' | b'n' => {
                let word: &[u8] = match c {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                let have = &b[i..b.len().min(i + word.len())];
                if !word.starts_with(have) {
                    return Err(Unsure);
                }
                if have.len() < word.len() {
                    return Err(Short);
                }
                i += word.len();
            }
            b'-' | b'0'..=b'9' => i = number_end(b, i)?,
            _ => return Err(Unsure),
        }
        // A value ended at `i`: what follows it, up to the next value.
        loop {
            if depth == 1
                && let Some((k, start)) = w.pending.take()
            {
                w.spans[k] = (
                    u32::try_from(start).map_err(|_| Unsure)?,
                    u32::try_from(i).map_err(|_| Unsure)?,
                );
            }
            if depth == 0 {
                break 'value;
            }
            let c = at(b, i)?;
            i += 1;
            match c {
                b',' => {
                    if objects & 1 == 1 {
                        i = w.key::<WIDE>(b, i, depth)?;
                    }
                    continue 'value;
                }
                b'}' if objects & 1 == 1 => {
                    depth -= 1;
                    objects >>= 1;
                }
                b']' if objects & 1 == 0 => {
                    depth -= 1;
                    objects >>= 1;
                }
                _ => return Err(Unsure),
            }
        }
    }
    let Walk { spans, high, .. } = w;
    let text = &b[..i];
    // Outside `high` every byte is ASCII (below DEL), so `text` is UTF-8 when `high` is; `high` starts at
    // a character boundary (the byte before is ASCII) and ends at one (a character's continuation bytes
    // are above ASCII, so in it).
    let high = if high.lo == usize::MAX { 0..0 } else { high.lo..high.hi };
    if std::str::from_utf8(&text[high.clone()]).is_err() {
        return Err(Unsure);
    }
    debug_assert!(std::str::from_utf8(text).is_ok());
    // SAFETY: `text` is UTF-8: outside strings the scan accepted only the ASCII bytes of JSON's grammar,
    // one by one; every byte of every string and key went through `run_end`, which notes each byte at or
    // above DEL in `high` (block by block and byte by byte), and `high` was checked to be UTF-8 just
    // above; around it there are only ASCII bytes, which cannot be part of a character of `high`.
    let json = unsafe { std::str::from_utf8_unchecked(text) };
    Ok(Scanned {
        json,
        spans,
        printable: high.is_empty(),
        high,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&[u8]; 3] = [b"id", b"subject", b"n"];

    fn scan(s: &str) -> Option<(usize, Vec<Option<String>>)> {
        let r = object(s.as_bytes(), &KEYS, 1 << 20, 64)?;
        Some((
            r.json.len(),
            (0..KEYS.len()).map(|k| r.member(k).map(str::to_string)).collect(),
        ))
    }

    #[test]
    fn objects_are_read_with_their_members() {
        let s = r#"{"id":"a\"b","x":[1,-2.5e+3,{"n":true}],"subject":null,"n":{"k":[]}}tail"#;
        let (len, m) = scan(s).unwrap();
        assert_eq!(&s[..len], &s[..s.len() - 4]);
        assert_eq!(
            m,
            [
                Some(r#""a\"b""#.to_string()),
                Some("null".into()),
                Some(r#"{"k":[]}"#.into())
            ]
        );
        assert_eq!(scan("{}").unwrap(), (2, vec![None, None, None]));
        assert!(object(br#"{"id":"x"}"#, &KEYS, 10, 64).unwrap().printable);
        assert!(!object("{\"id\":\"é\"}".as_bytes(), &KEYS, 10, 64).unwrap().printable);
        assert!(!object(b"{\"id\":\"\x7f\"}", &KEYS, 10, 64).unwrap().printable);
    }

    #[test]
    fn anything_unsure_is_left_to_the_exact_path() {
        for bad in [
            r#"{"id":"a""#,
            r#"{"id":"a","#,
            r#"{"id":01}"#,
            r#"{"id":1.}"#,
            r#"{"id":1e}"#,
            r#"{"id":-}"#,
            r#"{"id":+1}"#,
            r#"{"id":tru}"#,
            r#"{"id":nul,"x":1}"#,
            r#"{"id":"a",}"#,
            r#"{"id":[1,]}"#,
            r#"{"id" :1}"#,
            r#"{ "id":1}"#,
            r#"{"id":1,"id":2}"#,
            r#"{"i\u0064":1}"#,
            r#"{"id":"\x"}"#,
            r#"{"id":"\u00g0"}"#,
            r#"{"id":[}"#,
            r#"{"id":{]}"#,
            r#"{"id":1]"#,
            r#"{1:2}"#,
            r#"["id"]"#,
            "{\"id\":\"a\tb\"}",
            "{\"id\":\"a\u{1b}b\"}",
        ] {
            assert!(scan(bad).is_none(), "{bad}");
        }
        assert!(object(b"{\"id\":\"\xff\"}", &KEYS, 10, 64).is_none(), "not UTF-8");
        // Strings longer than the cut and nesting deeper than the room.
        assert!(object(br#"{"id":"abcd"}"#, &KEYS, 4, 64).is_some());
        assert!(object(br#"{"id":"abcde"}"#, &KEYS, 4, 64).is_none());
        assert!(object(br#"{"a":[[1]]}"#, &KEYS, 10, 3).is_some());
        assert!(object(br#"{"a":[[1]]}"#, &KEYS, 10, 2).is_none());
    }

    /// The vector classification of 16 bytes is the byte-by-byte one, for every byte value at every
    /// position.
    #[test]
    fn blocks_are_classified_as_byte_by_byte() {
        let mut block = [b'a'; 16];
        assert_eq!(block16(&block), block16_scalar(&block));
        for at in 0..16 {
            for c in 0..=255u8 {
                block = [b'a'; 16];
                block[at] = c;
                block[(at + 7) % 16] = c.wrapping_mul(31);
                assert_eq!(block16(&block), block16_scalar(&block), "{c:#x} at {at}");
            }
        }
    }

    /// The AVX2 blocks are two scalar blocks side by side (where the CPU has AVX2; elsewhere the
    /// test says so and checks nothing more).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn wide_blocks_are_classified_as_byte_by_byte() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("no AVX2 on this CPU: block32 is never used here");
            return;
        }
        let halves = |b: &[u8; 32]| {
            let (lo, hi) = (b[..16].try_into().unwrap(), b[16..].try_into().unwrap());
            let ((s0, d0), (s1, d1)) = (block16_scalar(lo), block16_scalar(hi));
            (s0 | s1 << 16, d0 | d1 << 16)
        };
        for at in 0..32 {
            for c in 0..=255u8 {
                let mut block = [b'a'; 32];
                block[at] = c;
                block[(at + 13) % 32] = c.wrapping_mul(31);
                // SAFETY: AVX2 was detected above.
                assert_eq!(unsafe { block32(&block) }, halves(&block), "{c:#x} at {at}");
            }
        }
    }

    /// The AVX2 build of the scan and the plain one answer alike (rows, members, high bytes, misses)
    /// over every mutation of a row (both are compared wherever the CPU has AVX2).
    #[test]
    fn the_wide_and_the_plain_scan_answer_alike() {
        let base = r#"{"id":"AAMk\u00e9=","n":-0.5E-7,"subject":"Re: \"budget\" über naïve 日本語 long enough to fill a block of thirty-two bytes \\ \/ \b\f\n\r\t","x":[true,false,null,{},[],0,12,3.25,1e9,{"n":[{"id":1}]}],"é":"ü"}"#;
        let alphabet = b"{}[]\":,\\ 0a-.eEtn\x01\x7f\xc3\xa9";
        type Look<'a> = Result<(&'a str, Vec<Option<&'a str>>, bool, std::ops::Range<usize>), Miss>;
        fn look(r: Result<Scanned<'_>, Miss>) -> Look<'_> {
            r.map(|s| {
                let members: Vec<Option<&str>> = (0..KEYS.len()).map(|k| s.member(k)).collect();
                (s.json, members, s.printable, s.high)
            })
        }
        let b = base.as_bytes();
        let mut compared = 0;
        let mut both = |t: &[u8]| {
            for cut in [t.len(), t.len() / 2] {
                let t = &t[..cut];
                let plain = look(scan_with::<false>(t, &KEYS, 1 << 20, 64));
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: AVX2 was detected.
                    let wide = look(unsafe { scan_avx2(t, &KEYS, 1 << 20, 64) });
                    assert_eq!(wide, plain, "{}", String::from_utf8_lossy(t));
                    compared += 1;
                }
                assert_eq!(look(super::scan(t, &KEYS, 1 << 20, 64)), plain);
            }
        };
        both(b);
        for at in 0..b.len() {
            for &c in alphabet {
                let mut t = b.to_vec();
                t[at] = c;
                both(&t);
            }
        }
        eprintln!("{compared} scans compared with the AVX2 build");
    }

    /// Any cut of a row the scan reads whole is `Short` (never a row, never unsure), wherever it falls;
    /// and what is high in a string (DEL, above ASCII) is seen wherever it sits relative to the 16-byte
    /// blocks.
    #[test]
    fn a_cut_row_is_short_and_high_bytes_are_seen_anywhere() {
        let rows = [
            r#"{"id":"AAMk\u00e9=","n":-0.5E-7,"subject":"Re: \"budget\" \\ \/ \b\f\n\r\t","x":[true,false,null,{},[],0,12,3.25,1e9,{"n":[{"id":1}]}],"z":"ü"}"#,
            r#"{"id":"0123456789abcdefghijklmnopqrstuvwxyz0123456789","k":[-0,1.5e+10]}"#,
        ];
        for row in rows {
            let b = row.as_bytes();
            assert!(super::scan(b, &KEYS, 1 << 20, 64).is_ok(), "{row}");
            for cut in 1..b.len() {
                assert_eq!(
                    super::scan(&b[..cut], &KEYS, 1 << 20, 64).err(),
                    Some(Miss::Short),
                    "{}",
                    &row[..cut]
                );
            }
        }
        for pad in 0..40 {
            for (high, printable) in [("\u{7f}", false), ("é", false), ("~", true)] {
                let row = format!(
                    r#"{{"id":"{}{high}{}","k":"{}"}}"#,
                    "a".repeat(pad),
                    "b".repeat(pad % 7),
                    "c".repeat(pad)
                );
                let s = super::scan(row.as_bytes(), &KEYS, 1 << 20, 64).unwrap_or_else(|e| panic!("{row}: {e:?}"));
                assert_eq!(s.printable, printable, "{row}");
                assert_eq!(s.json, row);
                // Exactly the high character's bytes.
                let at = 7 + pad;
                let want = if printable { 0..0 } else { at..at + high.len() };
                assert_eq!(s.high, want, "{row}");
            }
            // From the first high byte to the last, whatever lies between.
            let row = format!(
                "{{\"id\":\"{}é\",\"k\":\"x\",\"z\":\"{}\u{7f}\"}}",
                "a".repeat(pad),
                "b".repeat(pad)
            );
            let s = super::scan(row.as_bytes(), &KEYS, 1 << 20, 64).unwrap();
            let lo = row.find('é').unwrap();
            assert_eq!(s.high, lo..row.len() - 2, "{row}");
            // In a key too.
            let row = format!(r#"{{"{}é":1,"id":"x"}}"#, "k".repeat(pad));
            assert!(
                !super::scan(row.as_bytes(), &KEYS, 1 << 20, 64).unwrap().printable,
                "{row}"
            );
            // Bad UTF-8 and raw control characters are unsure wherever they sit, in values and keys.
            for bad in [0xffu8, 0xc3, 0x80, 0x01, 0x1f] {
                for (head, tail) in [
                    (&b"{\"id\":\""[..], &b"bcdefghijklmnopqrstu\",\"k\":1}"[..]),
                    (b"{\"", b"bcdefghijklmnopqrstu\":1}"),
                ] {
                    let mut row = head.to_vec();
                    row.extend(std::iter::repeat_n(b'a', pad));
                    row.push(bad);
                    row.extend_from_slice(tail);
                    assert_eq!(
                        super::scan(&row, &KEYS, 1 << 20, 64).err(),
                        Some(Miss::Unsure),
                        "{pad} {bad:#x}"
                    );
                }
            }
        }
    }

    #[derive(serde::Deserialize)]
    struct Fields<'a> {
        #[serde(borrow, default)]
        id: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        subject: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        n: Option<&'a serde_json::value::RawValue>,
    }

    /// Every object the scan accepts, serde_json accepts (as `stream` reads items: the keys wanted as raw
    /// values, the rest ignored), with the same member texts; checked over mutations of a realistic row
    /// (each byte replaced, removed, doubled).
    #[test]
    fn what_the_scan_accepts_serde_accepts_alike() {
        let base = r#"{"id":"AAMk\u00e9=","n":-0.5E-7,"subject":"Re: \"budget\" \\ \/ \b\f\n\r\t","x":[true,false,null,{},[],0,12,3.25,1e9,{"n":[{"id":1}]}],"é":"ü"}"#;
        let alphabet = b"{}[]\":,\\ 0123456789-+.eEtrufalsn\x01\x7fu/";
        let mut checked = 0;
        let mut check = |t: &[u8]| {
            if let Some(r) = object(t, &KEYS, 1 << 20, 64) {
                let f: Fields<'_> = serde_json::from_str(r.json).unwrap_or_else(|e| panic!("{}: {e}", r.json));
                let want = [f.id, f.subject, f.n].map(|x| x.map(|x| x.get().to_string()));
                let got: Vec<Option<String>> = (0..KEYS.len())
                    .map(|k| r.member(k).filter(|t| *t != "null").map(str::to_string))
                    .collect();
                assert_eq!(got, want, "{}", r.json);
                checked += 1;
            }
        };
        let b = base.as_bytes();
        check(b);
        for at in 0..b.len() {
            for &c in alphabet {
                let mut t = b.to_vec();
                t[at] = c;
                check(&t);
            }
            let mut t = b.to_vec();
            t.remove(at);
            check(&t);
            let mut t = b.to_vec();
            t.insert(at, b[at]);
            check(&t);
        }
        assert!(checked > 100, "{checked}");
    }
}
