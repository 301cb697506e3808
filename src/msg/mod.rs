//! Outlook MSG files ([MS-OXMSG]): what a preview needs from the file the item save endpoint sends.
//!
//! An MSG file is a compound file (OLE structured storage, read with the `cfb` crate). The message's
//! properties live in the root storage: fixed-size values (times, numbers, flags) in the
//! `__properties_version1.0` stream, variable-size values (strings, binaries) in one stream each, named
//! `__substg1.0_IIIITTTT` (property id and type in hex). Each recipient is a `__recip_version1.0_#XXXXXXXX`
//! storage and each attachment a `__attach_version1.0_#XXXXXXXX` storage, laid out the same way.
//!
//! Everything read here comes from a server and is hostile until proven otherwise: every string is passed
//! through [`crate::text::sanitize`] (bodies through [`crate::text::sanitize_lines`]) before it is stored in
//! a [`Preview`], every length is capped ([`Limits`]), and a file that is not a compound file, or whose
//! streams are damaged, is an error, never a panic.

pub mod write;

use crate::text::{sanitize, sanitize_lines};
use std::io::{Cursor, Read};
use time::OffsetDateTime;

/// Property types ([MS-OXCDATA] 2.11.1).
pub mod ptype {
    pub const SHORT: u16 = 0x0002;
    pub const LONG: u16 = 0x0003;
    pub const BOOLEAN: u16 = 0x000B;
    pub const I8: u16 = 0x0014;
    pub const STRING8: u16 = 0x001E;
    pub const UNICODE: u16 = 0x001F;
    pub const SYSTIME: u16 = 0x0040;
    pub const BINARY: u16 = 0x0102;
}

/// Property ids ([MS-OXPROPS]) that vex reads (and the emulator writes).
pub mod pid {
    pub const MESSAGE_CLASS: u16 = 0x001A;
    pub const SUBJECT: u16 = 0x0037;
    pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
    pub const SENT_REPRESENTING_NAME: u16 = 0x0042;
    pub const START_DATE: u16 = 0x0060;
    pub const END_DATE: u16 = 0x0061;
    pub const SENT_REPRESENTING_EMAIL_ADDRESS: u16 = 0x0065;
    pub const SENDER_NAME: u16 = 0x0C1A;
    pub const SENDER_EMAIL_ADDRESS: u16 = 0x0C1F;
    pub const RECIPIENT_TYPE: u16 = 0x0C15;
    pub const DISPLAY_BCC: u16 = 0x0E02;
    pub const DISPLAY_CC: u16 = 0x0E03;
    pub const DISPLAY_TO: u16 = 0x0E04;
    pub const MESSAGE_DELIVERY_TIME: u16 = 0x0E06;
    pub const MESSAGE_FLAGS: u16 = 0x0E07;
    pub const HASATTACH: u16 = 0x0E1B;
    pub const ATTACH_SIZE: u16 = 0x0E20;
    pub const ATTACH_NUM: u16 = 0x0E21;
    pub const BODY: u16 = 0x1000;
    pub const HTML: u16 = 0x1013;
    pub const DISPLAY_NAME: u16 = 0x3001;
    pub const ADDRTYPE: u16 = 0x3002;
    pub const EMAIL_ADDRESS: u16 = 0x3003;
    pub const ATTACH_DATA_BIN: u16 = 0x3701;
    pub const ATTACH_FILENAME: u16 = 0x3704;
    pub const ATTACH_METHOD: u16 = 0x3705;
    pub const ATTACH_LONG_FILENAME: u16 = 0x3707;
    pub const SMTP_ADDRESS: u16 = 0x39FE;
    pub const INTERNET_CPID: u16 = 0x3FDE;
    pub const SENDER_SMTP_ADDRESS: u16 = 0x5D01;
}

/// The property stream of every storage.
pub const PROPERTIES: &str = "__properties_version1.0";
/// Bytes before the first property entry: the message itself ([MS-OXMSG] 2.4.1.1).
pub const TOP_HEADER: usize = 32;
/// Bytes before the first property entry: a recipient or an attachment (2.4.1.3).
pub const SUB_HEADER: usize = 8;
/// The prefix of a recipient storage's name.
pub const RECIP_PREFIX: &str = "__recip_version1.0_#";
/// The prefix of an attachment storage's name.
pub const ATTACH_PREFIX: &str = "__attach_version1.0_#";

/// The name of the stream that holds a variable-size property.
pub fn substg(id: u16, ty: u16) -> String {
    format!("__substg1.0_{id:04X}{ty:04X}")
}

/// Caps on what a preview reads and keeps.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest file parsed at all (the caller should not even download more).
    pub max_file_bytes: usize,
    /// The largest string or body stream read (the rest is left unread).
    pub max_stream_bytes: usize,
    /// Body lines kept (a longer body is cut and [`Preview::body_truncated`] set).
    pub max_body_lines: usize,
    pub max_recipients: usize,
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 32 * 1024 * 1024,
            max_stream_bytes: 1024 * 1024,
            max_body_lines: 2_000,
            max_recipients: 500,
            max_attachments: 200,
        }
    }
}

/// `PidTagRecipientType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientKind {
    /// To; for a meeting: a required attendee.
    To,
    /// Cc; for a meeting: an optional attendee.
    Cc,
    /// Bcc; for a meeting: a resource (room, equipment).
    Bcc,
}

impl RecipientKind {
    pub fn from_code(c: u32) -> Option<RecipientKind> {
        // The high bits are flags (e.g. 0x10000000 "sendable"); the low byte is the kind.
        match c & 0xFF {
            1 => Some(RecipientKind::To),
            2 => Some(RecipientKind::Cc),
            3 => Some(RecipientKind::Bcc),
            _ => None,
        }
    }

    pub fn code(self) -> u32 {
        match self {
            RecipientKind::To => 1,
            RecipientKind::Cc => 2,
            RecipientKind::Bcc => 3,
        }
    }
}

/// A person: display name and address, both sanitised (either may be empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub address: String,
}

impl Person {
    /// `Name <address>`, or whichever of the two is known.
    pub fn display(&self) -> String {
        match (self.name.is_empty(), self.address.is_empty()) {
            (false, false) if self.name != self.address => format!("{} <{}>", self.name, self.address),
            (false, _) => self.name.clone(),
            (true, false) => self.address.clone(),
            (true, true) => String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub kind: RecipientKind,
    pub person: Person,
}

/// An attachment: its file name (sanitised) and size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgAttachment {
    pub name: String,
    /// `PidTagAttachSize` when present, else the length of the data stream.
    pub size: Option<u64>,
}

/// Where the body text came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodySource {
    /// `PidTagBody`.
    Plain,
    /// `PidTagHtml`, rendered to text.
    Html,
    /// No plain or HTML body (an RTF-only message, or none at all).
    None,
}

/// What a preview shows of a message. Every string in it has been sanitised.
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub class: Option<String>,
    pub subject: Option<String>,
    pub from: Option<Person>,
    pub recipients: Vec<Recipient>,
    /// Recipients beyond [`Limits::max_recipients`], counted but not kept.
    pub more_recipients: usize,
    pub sent: Option<OffsetDateTime>,
    pub received: Option<OffsetDateTime>,
    /// `PidTagStartDate` / `PidTagEndDate` (appointments, tasks).
    pub start: Option<OffsetDateTime>,
    pub end: Option<OffsetDateTime>,
    pub body: Vec<String>,
    pub body_source: BodySource,
    pub body_truncated: bool,
    pub attachments: Vec<MsgAttachment>,
    pub more_attachments: usize,
}

impl Preview {
    pub fn recipients_of(&self, kind: RecipientKind) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(move |r| r.kind == kind)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MsgError {
    #[error("the file is {}, more than the {} a preview reads", size(*.0), size(*.1))]
    TooLarge(usize, usize),
    #[error("not an Outlook message (no compound file signature)")]
    NotMsg,
    #[error("the message file is damaged: {0}")]
    Damaged(String),
}

/// The compound file signature.
pub const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// One entry of a property stream: tag, and the 8-byte value field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropEntry {
    pub id: u16,
    pub ty: u16,
    pub value: [u8; 8],
}

impl PropEntry {
    pub fn u32(&self) -> u32 {
        u32::from_le_bytes([self.value[0], self.value[1], self.value[2], self.value[3]])
    }
    pub fn u64(&self) -> u64 {
        u64::from_le_bytes(self.value)
    }
}

/// Reads the entries of a property stream after its header (a short or ragged stream gives the whole
/// entries it has).
pub fn prop_entries(stream: &[u8], header: usize) -> Vec<PropEntry> {
    stream
        .get(header..)
        .unwrap_or(&[])
        .chunks_exact(16)
        .map(|c| {
            let tag = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            let mut value = [0u8; 8];
            value.copy_from_slice(&c[8..16]);
            PropEntry {
                id: (tag >> 16) as u16,
                ty: (tag & 0xFFFF) as u16,
                value,
            }
        })
        .collect()
}

/// FILETIME (100 ns ticks since 1601-01-01 UTC) → a UTC instant; 0 and out-of-range values are none.
pub fn from_filetime(ticks: u64) -> Option<OffsetDateTime> {
    if ticks == 0 {
        return None;
    }
    const EPOCH_DIFF_SECS: i64 = 11_644_473_600;
    let secs = (ticks / 10_000_000) as i64 - EPOCH_DIFF_SECS;
    let nanos = ((ticks % 10_000_000) * 100) as i64;
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.checked_add(time::Duration::nanoseconds(nanos)))
}

/// A UTC instant → FILETIME (none before 1601).
pub fn to_filetime(t: OffsetDateTime) -> u64 {
    const EPOCH_DIFF_SECS: i128 = 11_644_473_600;
    let ticks = (t.unix_timestamp_nanos() / 100) + EPOCH_DIFF_SECS * 10_000_000;
    u64::try_from(ticks).unwrap_or(0)
}

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

/// Reads a whole stream, at most `cap` bytes (none when it is missing or unreadable).
fn read_stream(cf: &mut Cfb<'_>, path: &str, cap: usize) -> Option<Vec<u8>> {
    let s = cf.open_stream(path).ok()?;
    let mut out = Vec::new();
    s.take(cap as u64).read_to_end(&mut out).ok()?;
    Some(out)
}

/// Decodes UTF-16LE (an odd trailing byte is dropped; unpaired surrogates become U+FFFD) and stops at the
/// first NUL, which some writers include.
pub fn utf16le(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// 8-bit text: UTF-8 when it is (or when the code page says 65001), else Windows-1252 read as Latin-1
/// (an assumption: close enough for a preview; the bytes 0x80–0x9F become C1 controls, which
/// [`sanitize`] then shows escaped).
fn eight_bit(bytes: &[u8], cpid: Option<u32>) -> String {
    let bytes = match bytes.iter().position(|b| *b == 0) {
        Some(n) => &bytes[..n],
        None => bytes,
    };
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) if cpid == Some(65001) => String::from_utf8_lossy(bytes).into_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// One storage's properties: its fixed-size entries, and its string streams read on demand.
struct Props<'p> {
    prefix: &'p str,
    entries: Vec<PropEntry>,
}

impl Props<'_> {
    fn load<'p>(cf: &mut Cfb<'_>, prefix: &'p str, header: usize, cap: usize) -> Props<'p> {
        let stream = read_stream(cf, &format!("{prefix}{PROPERTIES}"), cap).unwrap_or_default();
        Props {
            prefix,
            entries: prop_entries(&stream, header),
        }
    }

    fn fixed(&self, id: u16, ty: u16) -> Option<&PropEntry> {
        self.entries.iter().find(|e| e.id == id && e.ty == ty)
    }

    fn long(&self, id: u16) -> Option<u32> {
        self.fixed(id, ptype::LONG).map(PropEntry::u32)
    }

    fn time(&self, id: u16) -> Option<OffsetDateTime> {
        self.fixed(id, ptype::SYSTIME).and_then(|e| from_filetime(e.u64()))
    }

    /// A string property, Unicode or 8-bit, raw (not yet sanitised).
    fn raw_string(&self, cf: &mut Cfb<'_>, id: u16, cap: usize) -> Option<String> {
        if let Some(b) = read_stream(cf, &format!("{}{}", self.prefix, substg(id, ptype::UNICODE)), cap) {
            return Some(utf16le(&b));
        }
        read_stream(cf, &format!("{}{}", self.prefix, substg(id, ptype::STRING8)), cap)
            .map(|b| eight_bit(&b, self.long(pid::INTERNET_CPID)))
    }

    /// A one-line string property, sanitised; blank is none.
    fn string(&self, cf: &mut Cfb<'_>, id: u16, cap: usize) -> Option<String> {
        self.raw_string(cf, id, cap.min(64 * 1024))
            .map(|s| sanitize(s.trim()).into_owned())
            .filter(|s| !s.is_empty())
    }

    fn binary(&self, cf: &mut Cfb<'_>, id: u16, cap: usize) -> Option<Vec<u8>> {
        read_stream(cf, &format!("{}{}", self.prefix, substg(id, ptype::BINARY)), cap)
    }
}

/// The names of the root's child storages that start with `prefix`, in order.
fn storages(cf: &Cfb<'_>, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = cf
        .read_root_storage()
        .filter(|e| e.is_storage() && e.name().starts_with(prefix))
        .map(|e| e.name().to_string())
        .collect();
    names.sort();
    names
}

/// Body lines from text: sanitised, trailing blank lines dropped, capped.
fn body_lines(text: &str, limits: &Limits) -> (Vec<String>, bool) {
    let mut lines = sanitize_lines(text);
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let cut = lines.len() > limits.max_body_lines;
    lines.truncate(limits.max_body_lines);
    (lines, cut)
}

/// HTML → plain text (html2text, no markdown decoration; link targets listed as footnotes, so an operator
/// sees where a link really points), wide enough that it does not wrap lines of ordinary length: the pane
/// wraps them to its own width.
///
/// html2text's cost grows with the nesting depth faster than linearly (a hostile 1 MiB of `<div>` takes
/// minutes), so HTML larger than [`HTML_RENDER_MAX`] or nested deeper than [`HTML_MAX_DEPTH`] is not
/// rendered but stripped of its tags, which is linear (the first line then says so).
pub fn html_to_text(html: &[u8]) -> String {
    if html.len() > HTML_RENDER_MAX || nesting_depth(html) > HTML_MAX_DEPTH {
        return format!(
            "[HTML too large or too deeply nested to lay out: tags removed]\n{}",
            strip_tags(html)
        );
    }
    html2text::config::plain_no_decorate()
        .link_footnotes(true)
        .string_from_read(html, 400)
        .unwrap_or_else(|e| format!("(the HTML body could not be rendered: {e})"))
}

/// The largest HTML body laid out by html2text.
pub const HTML_RENDER_MAX: usize = 512 * 1024;
/// The deepest element nesting laid out by html2text.
pub const HTML_MAX_DEPTH: usize = 100;

/// Elements that never hold content (they do not nest).
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "!doctype", "!--",
];

/// The deepest nesting of elements, counted roughly (opening tags minus closing ones, void elements and
/// `/>` left out): enough to tell an ordinary message from a hostile one.
pub fn nesting_depth(html: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &html[i..]) {
        let start = i + at + 1;
        let end = memchr::memchr(b'>', &html[start..]).map_or(html.len(), |e| start + e);
        let tag = &html[start..end];
        i = end.min(html.len());
        if tag.first() == Some(&b'/') {
            depth = depth.saturating_sub(1);
            continue;
        }
        let name: String = tag
            .iter()
            .take_while(|b| !b.is_ascii_whitespace() && **b != b'/')
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        if name.is_empty() || tag.ends_with(b"/") || VOID.iter().any(|v| name.starts_with(v)) {
            continue;
        }
        depth += 1;
        max = max.max(depth);
    }
    max
}

/// HTML with its tags removed and the commonest entities decoded; a block element or `<br>` breaks the
/// line. Linear in the input.
pub fn strip_tags(html: &[u8]) -> String {
    let text = String::from_utf8_lossy(html);
    let mut out = String::with_capacity(text.len() / 2);
    let mut rest = text.as_ref();
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let end = tail.find('>').map_or(tail.len(), |e| e + 1);
        let name: String = tail
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "table"
        ) && !out.ends_with('\n')
        {
            out.push('\n');
        }
        rest = &tail[end.min(tail.len())..];
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Parses an MSG file into a [`Preview`].
/// A size in the one size format (for the errors).
fn size(n: usize) -> String {
    crate::text::human_size(i64::try_from(n).unwrap_or(i64::MAX))
}

pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Preview, MsgError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(MsgError::TooLarge(bytes.len(), limits.max_file_bytes));
    }
    if !bytes.starts_with(&CFB_MAGIC) {
        return Err(MsgError::NotMsg);
    }
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| MsgError::Damaged(e.to_string()))?;
    let cap = limits.max_stream_bytes;
    let top = Props::load(&mut cf, "/", TOP_HEADER, cap);

    let class = top.string(&mut cf, pid::MESSAGE_CLASS, cap);
    let subject = top.string(&mut cf, pid::SUBJECT, cap);
    let sender = |cf: &mut Cfb<'_>, name: u16, smtp: &[u16]| {
        let name = top.string(cf, name, cap).unwrap_or_default();
        let address = smtp.iter().find_map(|id| top.string(cf, *id, cap)).unwrap_or_default();
        Some(Person { name, address }).filter(|p| !p.name.is_empty() || !p.address.is_empty())
    };
    let from = sender(
        &mut cf,
        pid::SENDER_NAME,
        &[pid::SENDER_SMTP_ADDRESS, pid::SENDER_EMAIL_ADDRESS],
    )
    .or_else(|| {
        sender(
            &mut cf,
            pid::SENT_REPRESENTING_NAME,
            &[pid::SENT_REPRESENTING_EMAIL_ADDRESS],
        )
    });

    // Recipients: one storage each; without any, the display strings (names only).
    let mut recipients = Vec::new();
    let mut more_recipients = 0;
    for name in storages(&cf, RECIP_PREFIX) {
        if recipients.len() >= limits.max_recipients {
            more_recipients += 1;
            continue;
        }
        let prefix = format!("/{name}/");
        let p = Props::load(&mut cf, &prefix, SUB_HEADER, cap);
        let kind = p
            .long(pid::RECIPIENT_TYPE)
            .and_then(RecipientKind::from_code)
            .unwrap_or(RecipientKind::To);
        let name = p.string(&mut cf, pid::DISPLAY_NAME, cap).unwrap_or_default();
        let address = p
            .string(&mut cf, pid::SMTP_ADDRESS, cap)
            .or_else(|| p.string(&mut cf, pid::EMAIL_ADDRESS, cap))
            .unwrap_or_default();
        recipients.push(Recipient {
            kind,
            person: Person { name, address },
        });
    }
    if recipients.is_empty() {
        for (id, kind) in [
            (pid::DISPLAY_TO, RecipientKind::To),
            (pid::DISPLAY_CC, RecipientKind::Cc),
            (pid::DISPLAY_BCC, RecipientKind::Bcc),
        ] {
            let Some(s) = top.raw_string(&mut cf, id, cap.min(64 * 1024)) else {
                continue;
            };
            for n in s.split(';').map(str::trim).filter(|n| !n.is_empty()) {
                if recipients.len() >= limits.max_recipients {
                    more_recipients += 1;
                    continue;
                }
                recipients.push(Recipient {
                    kind,
                    person: Person {
                        name: sanitize(n).into_owned(),
                        address: String::new(),
                    },
                });
            }
        }
    }

    // Body: plain text first, else the HTML rendered to text.
    let cpid = top.long(pid::INTERNET_CPID);
    let (body, body_source, body_truncated) = if let Some(text) = top.raw_string(&mut cf, pid::BODY, cap) {
        let (lines, cut) = body_lines(&text, limits);
        (lines, BodySource::Plain, cut)
    } else if let Some(html) = top
        .binary(&mut cf, pid::HTML, cap)
        .or_else(|| top.raw_string(&mut cf, pid::HTML, cap).map(String::into_bytes))
    {
        let html = if cpid.is_none_or(|c| c == 65001) || std::str::from_utf8(&html).is_ok() {
            html
        } else {
            eight_bit(&html, cpid).into_bytes()
        };
        let (lines, cut) = body_lines(&html_to_text(&html), limits);
        (lines, BodySource::Html, cut)
    } else {
        (Vec::new(), BodySource::None, false)
    };

    let mut attachments = Vec::new();
    let mut more_attachments = 0;
    for name in storages(&cf, ATTACH_PREFIX) {
        if attachments.len() >= limits.max_attachments {
            more_attachments += 1;
            continue;
        }
        let prefix = format!("/{name}/");
        let p = Props::load(&mut cf, &prefix, SUB_HEADER, cap);
        let file = p
            .string(&mut cf, pid::ATTACH_LONG_FILENAME, cap)
            .or_else(|| p.string(&mut cf, pid::ATTACH_FILENAME, cap))
            .or_else(|| p.string(&mut cf, pid::DISPLAY_NAME, cap))
            .unwrap_or_else(|| "(no name)".into());
        let size = p.long(pid::ATTACH_SIZE).map(u64::from).or_else(|| {
            cf.entry(format!("{prefix}{}", substg(pid::ATTACH_DATA_BIN, ptype::BINARY)))
                .ok()
                .map(|e| e.len())
        });
        attachments.push(MsgAttachment { name: file, size });
    }

    Ok(Preview {
        class,
        subject,
        from,
        recipients,
        more_recipients,
        sent: top.time(pid::CLIENT_SUBMIT_TIME),
        received: top.time(pid::MESSAGE_DELIVERY_TIME),
        start: top.time(pid::START_DATE),
        end: top.time(pid::END_DATE),
        body,
        body_source,
        body_truncated,
        attachments,
        more_attachments,
    })
}

#[cfg(test)]
mod tests;
