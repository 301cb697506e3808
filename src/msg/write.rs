//! Writes MSG files ([MS-OXMSG]): the emulator answers the item save endpoint with these, so a preview,
//! `m` and `vex item --save` can be checked end to end against a real Outlook message file.
//!
//! The file holds what a preview reads and what Outlook needs to open it: the message class, subject,
//! sender, one recipient storage per recipient (with the display strings as well), submit and delivery
//! times, start and end (appointments, tasks), the plain body (`PidTagBody`) and/or the HTML body
//! (`PidTagHtml`, UTF-8 with `PidTagInternetCodepage` 65001), attachments stored by value, and an empty
//! named-property map (required by the format; nothing here uses named properties).

use super::{
    ATTACH_PREFIX, PROPERTIES, Person, RECIP_PREFIX, Recipient, RecipientKind, pid, ptype, substg, to_filetime,
};
use std::io::{Cursor, Write};
use time::OffsetDateTime;

/// `IMessage` storage class id: Outlook checks it before opening the file.
const CLSID_MESSAGE: uuid::Uuid = uuid::uuid!("00020D0B-0000-0000-C000-000000000046");
/// PROPATTR_READABLE | PROPATTR_WRITABLE.
const FLAGS: u32 = 0x0000_0006;
/// MSGFLAG_READ.
const MSGFLAG_READ: u32 = 0x0000_0001;
/// MSGFLAG_UNSENT (drafts).
const MSGFLAG_UNSENT: u32 = 0x0000_0008;
/// ATTACH_BY_VALUE.
const ATTACH_BY_VALUE: u32 = 1;

#[derive(Clone, Debug, Default)]
pub struct NewAttachment {
    pub name: String,
    /// `PidTagAttachSize` as written (the item resource's `sizeBytes`).
    pub size: u64,
    /// The content stored (`PidTagAttachDataBinary`).
    pub data: Vec<u8>,
}

/// A message to write.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    pub class: String,
    pub subject: String,
    pub from: Option<Person>,
    pub recipients: Vec<Recipient>,
    pub sent: Option<OffsetDateTime>,
    pub received: Option<OffsetDateTime>,
    pub start: Option<OffsetDateTime>,
    pub end: Option<OffsetDateTime>,
    pub unsent: bool,
    pub body: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<NewAttachment>,
}

/// One storage's properties while they are written: the fixed-size entries, and the streams of the
/// variable-size ones.
struct PropWriter {
    entries: Vec<u8>,
    streams: Vec<(String, Vec<u8>)>,
}

impl PropWriter {
    fn new() -> Self {
        PropWriter {
            entries: Vec::new(),
            streams: Vec::new(),
        }
    }

    fn entry(&mut self, id: u16, ty: u16, value: [u8; 8]) {
        let tag = (u32::from(id) << 16) | u32::from(ty);
        self.entries.extend_from_slice(&tag.to_le_bytes());
        self.entries.extend_from_slice(&FLAGS.to_le_bytes());
        self.entries.extend_from_slice(&value);
    }

    fn long(&mut self, id: u16, v: u32) {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&v.to_le_bytes());
        self.entry(id, ptype::LONG, b);
    }

    fn boolean(&mut self, id: u16, v: bool) {
        let mut b = [0u8; 8];
        b[0] = u8::from(v);
        self.entry(id, ptype::BOOLEAN, b);
    }

    fn time(&mut self, id: u16, t: Option<OffsetDateTime>) {
        if let Some(t) = t {
            self.entry(id, ptype::SYSTIME, to_filetime(t).to_le_bytes());
        }
    }

    /// A variable-size property: the entry holds the size (strings count their terminating NUL, as the
    /// format says), the stream the bytes.
    fn variable(&mut self, id: u16, ty: u16, data: Vec<u8>) {
        let size = data.len() + if ty == ptype::UNICODE { 2 } else { 0 };
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&u32::try_from(size).unwrap_or(u32::MAX).to_le_bytes());
        self.entry(id, ty, b);
        self.streams.push((substg(id, ty), data));
    }

    fn string(&mut self, id: u16, s: &str) {
        let data: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        self.variable(id, ptype::UNICODE, data);
    }

    /// Writes the property stream (after `header`) and the value streams under `prefix`.
    fn finish<F: std::io::Read + Write + std::io::Seek>(
        self,
        cf: &mut cfb::CompoundFile<F>,
        prefix: &str,
        header: &[u8],
    ) -> std::io::Result<()> {
        let mut props = cf.create_stream(format!("{prefix}{PROPERTIES}"))?;
        props.write_all(header)?;
        props.write_all(&self.entries)?;
        drop(props);
        for (name, data) in self.streams {
            cf.create_stream(format!("{prefix}{name}"))?.write_all(&data)?;
        }
        Ok(())
    }
}

fn joined(recipients: &[Recipient], kind: RecipientKind) -> String {
    recipients
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| {
            if r.person.name.is_empty() {
                r.person.address.clone()
            } else {
                r.person.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The MSG file of `m`, in memory.
pub fn write(m: &NewMessage) -> std::io::Result<Vec<u8>> {
    // Version 3 (512-byte sectors), as Outlook writes MSG files.
    let mut cf = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))?;
    cf.set_storage_clsid("/", CLSID_MESSAGE)?;

    // The named-property map: required, empty (GUID, entry and string streams).
    cf.create_storage("/__nameid_version1.0")?;
    for s in ["00020102", "00030102", "00040102"] {
        cf.create_stream(format!("/__nameid_version1.0/__substg1.0_{s}"))?;
    }

    let mut top = PropWriter::new();
    top.string(pid::MESSAGE_CLASS, &m.class);
    top.string(pid::SUBJECT, &m.subject);
    if let Some(f) = &m.from {
        for id in [pid::SENDER_NAME, pid::SENT_REPRESENTING_NAME] {
            top.string(id, if f.name.is_empty() { &f.address } else { &f.name });
        }
        for id in [
            pid::SENDER_EMAIL_ADDRESS,
            pid::SENDER_SMTP_ADDRESS,
            pid::SENT_REPRESENTING_EMAIL_ADDRESS,
        ] {
            top.string(id, &f.address);
        }
    }
    top.string(pid::DISPLAY_TO, &joined(&m.recipients, RecipientKind::To));
    top.string(pid::DISPLAY_CC, &joined(&m.recipients, RecipientKind::Cc));
    top.string(pid::DISPLAY_BCC, &joined(&m.recipients, RecipientKind::Bcc));
    top.time(pid::CLIENT_SUBMIT_TIME, m.sent);
    top.time(pid::MESSAGE_DELIVERY_TIME, m.received);
    top.time(pid::START_DATE, m.start);
    top.time(pid::END_DATE, m.end);
    top.long(pid::MESSAGE_FLAGS, if m.unsent { MSGFLAG_UNSENT } else { MSGFLAG_READ });
    top.boolean(pid::HASATTACH, !m.attachments.is_empty());
    top.long(pid::INTERNET_CPID, 65001);
    if let Some(b) = &m.body {
        top.string(pid::BODY, b);
    }
    if let Some(h) = &m.html {
        top.variable(pid::HTML, ptype::BINARY, h.as_bytes().to_vec());
    }
    let n_recip = u32::try_from(m.recipients.len()).unwrap_or(u32::MAX);
    let n_attach = u32::try_from(m.attachments.len()).unwrap_or(u32::MAX);
    let mut header = Vec::with_capacity(32);
    header.extend_from_slice(&[0u8; 8]);
    header.extend_from_slice(&n_recip.to_le_bytes()); // next recipient id
    header.extend_from_slice(&n_attach.to_le_bytes()); // next attachment id
    header.extend_from_slice(&n_recip.to_le_bytes()); // recipient count
    header.extend_from_slice(&n_attach.to_le_bytes()); // attachment count
    header.extend_from_slice(&[0u8; 8]);
    top.finish(&mut cf, "/", &header)?;

    for (i, r) in m.recipients.iter().enumerate() {
        let prefix = format!("/{RECIP_PREFIX}{i:08X}/");
        cf.create_storage(prefix.trim_end_matches('/'))?;
        let mut p = PropWriter::new();
        p.long(pid::RECIPIENT_TYPE, r.kind.code());
        p.string(
            pid::DISPLAY_NAME,
            if r.person.name.is_empty() {
                &r.person.address
            } else {
                &r.person.name
            },
        );
        p.string(pid::ADDRTYPE, "SMTP");
        p.string(pid::EMAIL_ADDRESS, &r.person.address);
        p.string(pid::SMTP_ADDRESS, &r.person.address);
        p.finish(&mut cf, &prefix, &[0u8; 8])?;
    }
    for (i, a) in m.attachments.iter().enumerate() {
        let prefix = format!("/{ATTACH_PREFIX}{i:08X}/");
        cf.create_storage(prefix.trim_end_matches('/'))?;
        let mut p = PropWriter::new();
        p.long(pid::ATTACH_METHOD, ATTACH_BY_VALUE);
        p.long(pid::ATTACH_NUM, u32::try_from(i).unwrap_or(u32::MAX));
        p.long(pid::ATTACH_SIZE, u32::try_from(a.size).unwrap_or(u32::MAX));
        p.string(pid::DISPLAY_NAME, &a.name);
        p.string(pid::ATTACH_LONG_FILENAME, &a.name);
        p.string(pid::ATTACH_FILENAME, &short_name(&a.name));
        p.variable(pid::ATTACH_DATA_BIN, ptype::BINARY, a.data.clone());
        p.finish(&mut cf, &prefix, &[0u8; 8])?;
    }
    cf.flush()?;
    Ok(cf.into_inner().into_inner())
}

/// An 8.3-style short name (`PidTagAttachFilename`): the long name's first letters and its extension.
fn short_name(long: &str) -> String {
    let (stem, ext) = match long.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, Some(e)),
        _ => (long, None),
    };
    let stem: String = stem.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    let stem = if stem.is_empty() {
        "ATTACH".to_string()
    } else {
        stem.to_ascii_uppercase()
    };
    match ext {
        Some(e) => format!(
            "{stem}.{}",
            e.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(3)
                .collect::<String>()
                .to_ascii_uppercase()
        ),
        None => stem,
    }
}
