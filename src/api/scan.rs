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
#[derive(Clone, Copy, Debug)]
pub struct Scanned<'a> {
    /// The object's JSON text (valid UTF-8, no whitespace outside strings).
    pub json: &'a str,
    /// Per key asked for: the member's value text (`start..end` in `json`); `end == 0` when absent.
    spans: [(u32, u32); MAX_KEYS],
    /// Printable ASCII only (no byte below 0x20, none at or above DEL): nothing in it needs escaping for
    /// a terminal.
    pub printable: bool,
}

impl<'a> Scanned<'a> {
    /// The value text of the `k`-th key asked for (`null` included), when the object has it.
    pub fn member(&self, k: usize) -> Option<&'a str> {
        let (a, e) = *self.spans.get(k)?;
        (e != 0).then(|| self.json.get(a as usize..e as usize)).flatten()
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether `b` holds a byte below 0x20, and whether it is printable ASCII (0x20..0x7f) throughout.
fn classify(b: &[u8]) -> (bool, bool) {
    let (mut low, mut high, mut del) = (0u64, 0u64, 0u64);
    let mut words = b.chunks_exact(8);
    for c in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        let w = u64::from_le_bytes(a);
        // Exact for "is there such a byte" (a borrow only starts at a byte that is below 0x20).
        low |= w.wrapping_sub(LO * 0x20) & !w;
        high |= w;
        let d = w ^ (LO * 0x7f);
        del |= d.wrapping_sub(LO) & !d;
    }
    let (low, high, del) = (low & HI, high & HI, del & HI);
    let rest = words.remainder();
    let control = low != 0 || rest.iter().any(|&c| c < 0x20);
    let printable = !control && high == 0 && del == 0 && rest.iter().all(|&c| c < 0x7f);
    (control, printable)
}

/// Where the string whose text starts at `i` ends (after its closing quote); `None` when it does not
/// end in `b`, is longer than `max` bytes of text, or holds an escape `serde_json` refuses.
fn string_end(b: &[u8], mut i: usize, max: usize) -> Option<usize> {
    let start = i;
    loop {
        i += super::body::plain_run(b.get(i..)?);
        if i - start > max {
            return None;
        }
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            // A backslash.
            _ => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    if !b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
        }
    }
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

/// Where the number at `i` ends, by JSON's grammar (as `serde_json` reads one it does not keep).
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match *b.get(i)? {
        b'0' => {
            i += 1;
            if let Some(b'0'..=b'9') = b.get(i) {
                return None;
            }
        }
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let e = digits(b, i + 1);
        if e == i + 1 {
            return None;
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
            return None;
        }
        i = e;
    }
    Some(i)
}

#[derive(Clone, Copy)]
enum St {
    Value,
    After,
    Key,
}

/// Reads the object at the start of `b` (see the module's documentation): `keys` are the top-level
/// members wanted (at most [`MAX_KEYS`]), `max_string` the longest string text accepted, `room` how many
/// levels of nesting the object may open (itself included).
pub fn object<'a>(b: &'a [u8], keys: &[&[u8]], max_string: usize, room: usize) -> Option<Scanned<'a>> {
    if b.first() != Some(&b'{') || keys.len() > MAX_KEYS {
        return None;
    }
    let room = room.min(64);
    let mut spans = [(0u32, 0u32); MAX_KEYS];
    let mut pending: Option<(usize, usize)> = None;
    let mut i = 0usize;
    let mut depth = 0usize;
    // Bit d set: level d (0 the innermost) is an object.
    let mut objects = 0u64;
    let mut st = St::Value;
    loop {
        match st {
            St::Value => {
                let c = *b.get(i)?;
                match c {
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > room {
                            return None;
                        }
                        let object = c == b'{';
                        objects = (objects << 1) | u64::from(object);
                        i += 1;
                        let close = if object { b'}' } else { b']' };
                        if *b.get(i)? == close {
                            i += 1;
                            depth -= 1;
                            objects >>= 1;
                            st = St::After;
                        } else if object {
                            st = St::Key;
                        }
                        continue;
                    }
                    b'"' => i = string_end(b, i + 1, max_string)?,
                    b't' | b'f' | b'n' => {
                        let word: &[u8] = match c {
                            b't' => b"true",
                            b'f' => b"false",
                            _ => b"null",
                        };
                        if b.get(i..i + word.len())? != word {
                            return None;
                        }
                        i += word.len();
                    }
                    b'-' | b'0'..=b'9' => i = number_end(b, i)?,
                    _ => return None,
                }
                st = St::After;
            }
            St::After => {
                if depth == 1
                    && let Some((k, start)) = pending.take()
                {
                    spans[k] = (u32::try_from(start).ok()?, u32::try_from(i).ok()?);
                }
                if depth == 0 {
                    break;
                }
                let c = *b.get(i)?;
                i += 1;
                match c {
                    b',' => st = if objects & 1 == 1 { St::Key } else { St::Value },
                    b'}' if objects & 1 == 1 => {
                        depth -= 1;
                        objects >>= 1;
                    }
                    b']' if objects & 1 == 0 => {
                        depth -= 1;
                        objects >>= 1;
                    }
                    _ => return None,
                }
            }
            St::Key => {
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                let start = i + 1;
                let end = start + super::body::plain_run(b.get(start..)?);
                // Ends in `b`, at a quote (a backslash: an escaped key, left to serde).
                if *b.get(end)? != b'"' || end - start > max_string {
                    return None;
                }
                i = end + 1;
                if *b.get(i)? != b':' {
                    return None;
                }
                i += 1;
                if depth == 1 {
                    let key = &b[start..end];
                    if let Some(k) = keys.iter().position(|w| *w == key) {
                        if spans[k].1 != 0 {
                            // serde refuses a duplicate field.
                            return None;
                        }
                        pending = Some((k, i));
                    }
                }
                st = St::Value;
            }
        }
    }
    let text = &b[..i];
    let (control, printable) = classify(text);
    if control {
        return None;
    }
    let json = std::str::from_utf8(text).ok()?;
    Some(Scanned { json, spans, printable })
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
