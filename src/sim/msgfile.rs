//! The files the item save endpoint answers: a real Outlook MSG file per seeded item (built from the item
//! the emulator serves, plus a body generated from its key), and a ZIP of MSG files for several items.
//!
//! Assumptions where the spec is silent (it says only "saves the items to MSG files and transfers them to
//! application/octet-stream media"): several items come back as one ZIP archive with one MSG per item,
//! named after the item's subject (made safe for a file name) and numbered so names never collide;
//! attachments carry a short stand-in of their content ([`STAND_IN_BYTES`] at most) while their
//! `PidTagAttachSize` is the size the item resource reports, so a preview stays cheap.

use super::data::Data;
use super::ids::ItemKey;
use super::rng::Rng;
use crate::api::models::{Attachment, Item, ItemData};
use crate::msg::write::{NewAttachment, NewMessage, write};
use crate::msg::{Person, Recipient, RecipientKind};
use std::io::Write;

/// The most bytes of an attachment's content an emulated MSG carries.
pub const STAND_IN_BYTES: u64 = 2048;

const OPENINGS: &[&str] = &[
    "I hope this finds you well.",
    "Thanks for the quick turnaround yesterday.",
    "Following up on our call this morning.",
    "As promised, here is a short summary.",
    "Sorry for the delay in getting back to you.",
    "Just a quick note before the weekend.",
];
const MIDDLES: &[&str] = &[
    "The numbers look better than last quarter, but travel costs are still above plan.",
    "Legal has reviewed the draft and has two minor comments on section 4.",
    "The migration window is Saturday 22:00 to Sunday 04:00; expect short outages.",
    "Could you confirm the delivery address before Friday?",
    "Die Unterlagen liegen im Projektordner, bitte bis Mittwoch prüfen.",
    "Merci de valider le budget avant la réunion de jeudi.",
    "The invoice has been approved and will be paid within 30 days.",
    "We agreed to move the kickoff to the first week of next month.",
];
const CLOSINGS: &[&str] = &[
    "Best regards,",
    "Kind regards,",
    "Cheers,",
    "Viele Grüße,",
    "Cordialement,",
];
const AGENDA: &[&str] = &[
    "Status of open actions",
    "Budget and staffing",
    "Risks and mitigations",
    "Dates for the next release",
    "Any other business",
];

/// A person from an address: the mailbox's display name when it is one of the organization's, else a
/// name made from the local part (`jane.doe@x` → `Jane Doe`).
fn person(data: &Data, org: u8, addr: &str) -> Person {
    let addr = addr.trim();
    if let Some(m) = data.mailbox_by_email(org, addr) {
        return Person {
            name: m.name.clone(),
            address: m.email.clone(),
        };
    }
    let local = addr.split('@').next().unwrap_or(addr);
    let name = local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    Person {
        name,
        address: addr.to_string(),
    }
}

fn addrs(s: &Option<String>) -> Vec<&str> {
    s.as_deref()
        .map(|x| x.split(';').map(str::trim).filter(|a| !a.is_empty()).collect())
        .unwrap_or_default()
}

fn first_name(p: &Person) -> String {
    p.name.split_whitespace().next().unwrap_or("there").to_string()
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A body as plain text and as HTML: paragraphs, one of which may be a list.
struct Body {
    paragraphs: Vec<String>,
    list: Vec<String>,
}

impl Body {
    fn plain(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.paragraphs.iter().enumerate() {
            out.push_str(p);
            out.push_str("\r\n\r\n");
            if i == 1 && !self.list.is_empty() {
                for (n, l) in self.list.iter().enumerate() {
                    out.push_str(&format!("{}. {l}\r\n", n + 1));
                }
                out.push_str("\r\n");
            }
        }
        out
    }

    fn html(&self) -> String {
        let mut out = String::from(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
             <style>p{margin:0 0 1em 0;font-family:Calibri}</style></head><body>",
        );
        for (i, p) in self.paragraphs.iter().enumerate() {
            let p = escape_html(p).replace("\r\n", "<br>").replace('\n', "<br>");
            out.push_str(&format!("<p>{p}</p>"));
            if i == 1 && !self.list.is_empty() {
                out.push_str("<ol>");
                for l in &self.list {
                    out.push_str(&format!("<li>{}</li>", escape_html(l)));
                }
                out.push_str("</ol>");
            }
        }
        out.push_str("</body></html>");
        out
    }
}

/// The first line of an item's body, as the MSG carries it (tests read it back on screen).
pub fn first_body_line(data: &Data, key: ItemKey) -> Option<String> {
    let item = data.item(key)?;
    let body = body_of(data, key, &item);
    body.paragraphs
        .first()
        .and_then(|p| p.lines().next().map(str::to_string))
}

fn body_of(data: &Data, key: ItemKey, item: &Item) -> Body {
    let org = key.folder.mailbox.org;
    let mut rng = Rng::new(&[
        data.seed,
        0x4D53,
        u64::from(org),
        u64::from(key.folder.mailbox.mbx),
        u64::from(key.folder.folder),
        u64::from(key.idx),
    ]);
    let subject = item.title().unwrap_or("(no subject)").to_string();
    let owner = data
        .mailbox(key.folder.mailbox)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    let mut list = Vec::new();
    let paragraphs = match &item.data {
        ItemData::Message(m) => {
            let from = m.from.as_deref().map(|a| person(data, org, a)).unwrap_or_default();
            let to = addrs(&m.to).first().map(|a| person(data, org, a)).unwrap_or_default();
            let class = item.item_class.as_deref().unwrap_or("");
            if class.starts_with("REPORT.") {
                vec![
                    format!("Delivery has failed to these recipients or groups: {}", to.address),
                    "The e-mail address you entered couldn't be found. Check the address and try again.".into(),
                    format!("Original subject: {subject}"),
                ]
            } else if class.starts_with("IPM.Schedule.Meeting") {
                list = (0..3).map(|_| rng.pick(AGENDA).to_string()).collect();
                vec![
                    format!("Hello {}, you are invited to \"{subject}\".", first_name(&to)),
                    "Agenda:".into(),
                    format!("{}\r\n{}", rng.pick(CLOSINGS), from.name),
                ]
            } else {
                vec![
                    format!("Hello {}, {}", first_name(&to), rng.pick(OPENINGS)),
                    format!("About \"{subject}\": {}", rng.pick(MIDDLES)),
                    rng.pick(MIDDLES).to_string(),
                    format!("{}\r\n{}", rng.pick(CLOSINGS), from.name),
                ]
            }
        }
        ItemData::Appointment(a) => {
            list = (0..rng.range(2, 4)).map(|_| rng.pick(AGENDA).to_string()).collect();
            vec![
                format!(
                    "Meeting \"{subject}\" at {}.",
                    a.location.as_deref().unwrap_or("a place to be announced")
                ),
                "Agenda:".into(),
                "Please join five minutes early; the dial-in details are in the invitation.".into(),
            ]
        }
        ItemData::Contact(c) => vec![
            format!(
                "Notes on {}: met at the {} partner day.",
                c.full_name.as_deref().unwrap_or("this contact"),
                c.company.as_deref().unwrap_or("annual")
            ),
            "Prefers e-mail over phone; copy the account manager on quotes.".into(),
        ],
        ItemData::Task(_) => {
            list = vec![
                "Collect the input".into(),
                "Write the first draft".into(),
                "Send it for review".into(),
            ];
            vec![format!("Task \"{subject}\" for {owner}."), "Steps:".into()]
        }
        _ => vec![
            format!("{subject}"),
            format!("Written by {owner}. {}", rng.pick(MIDDLES)),
        ],
    };
    Body { paragraphs, list }
}

fn attachments(atts: &[Attachment], seed: u64) -> Vec<NewAttachment> {
    atts.iter()
        .enumerate()
        .map(|(i, a)| {
            let size = a.bytes().and_then(|b| u64::try_from(b).ok()).unwrap_or(0);
            let mut state = super::rng::hash(&[seed, i as u64]);
            let data: Vec<u8> = (0..size.min(STAND_IN_BYTES))
                .map(|_| {
                    state = super::rng::mix(state);
                    state as u8
                })
                .collect();
            NewAttachment {
                name: a.name.clone().unwrap_or_else(|| format!("attachment{i}")),
                size,
                data,
            }
        })
        .collect()
}

/// The MSG file of one item (none when the item does not exist).
pub fn msg_of(data: &Data, key: ItemKey) -> Option<Vec<u8>> {
    let item = data.item(key)?;
    let org = key.folder.mailbox.org;
    let body = body_of(data, key, &item);
    let seed = super::rng::hash(&[data.seed, 0x41, u64::from(key.folder.folder), u64::from(key.idx)]);
    let mut m = NewMessage {
        class: item.item_class.clone().unwrap_or_else(|| "IPM.Note".into()),
        subject: item.title().unwrap_or_default().to_string(),
        ..Default::default()
    };
    let recips = |list: Vec<&str>, kind: RecipientKind| -> Vec<Recipient> {
        list.into_iter()
            .map(|a| Recipient {
                kind,
                person: person(data, org, a),
            })
            .collect()
    };
    match &item.data {
        ItemData::Message(x) => {
            m.from = x.from.as_deref().map(|a| person(data, org, a));
            m.recipients = recips(addrs(&x.to), RecipientKind::To);
            m.recipients.extend(recips(addrs(&x.cc), RecipientKind::Cc));
            m.recipients.extend(recips(addrs(&x.bcc), RecipientKind::Bcc));
            m.sent = x.sent.as_ref().and_then(|d| d.as_utc());
            m.received = x.received.as_ref().and_then(|d| d.as_utc());
            m.unsent = m.sent.is_none();
            m.attachments = attachments(&x.attachments, seed);
        }
        ItemData::Appointment(x) => {
            m.from = x.organizer.as_deref().map(|a| person(data, org, a));
            // Required attendees first; from three on, the last one is optional (recipient type Cc).
            let all = addrs(&x.attendees);
            let optional = if all.len() >= 3 { 1 } else { 0 };
            let (req, opt) = all.split_at(all.len() - optional);
            m.recipients = recips(req.to_vec(), RecipientKind::To);
            m.recipients.extend(recips(opt.to_vec(), RecipientKind::Cc));
            m.start = x.start_time.as_ref().and_then(|d| d.as_utc());
            m.end = x.end_time.as_ref().and_then(|d| d.as_utc());
            m.attachments = attachments(&x.attachments, seed);
        }
        ItemData::Discussion(x) => {
            m.from = x.from.as_deref().map(|a| person(data, org, a));
            m.sent = x.posted_on.as_ref().and_then(|d| d.as_utc());
            m.attachments = attachments(&x.attachments, seed);
        }
        ItemData::Task(x) => {
            m.start = x.start_date.as_ref().and_then(|d| d.as_utc());
            m.end = x.due_date.as_ref().and_then(|d| d.as_utc());
        }
        _ => {}
    }
    // Most items carry both bodies; every fourth only HTML (as many mail clients send), every seventh only
    // plain text.
    let (plain, html) = (body.plain(), body.html());
    match key.idx % 28 {
        i if i % 4 == 3 => m.html = Some(html),
        i if i % 7 == 6 => m.body = Some(plain),
        _ => {
            m.body = Some(plain);
            m.html = Some(html);
        }
    }
    if data.is_hostile(key.folder.mailbox) {
        // The hostile mailboxes' bodies carry what their other fields carry: escapes, bidi overrides.
        let evil = "Body \u{1b}]0;pwned\u{7} \u{1b}[2J\u{1b}[H \u{202E}gnp.exe \u{85}next";
        m.body = Some(format!("{evil}\r\n{}", m.body.unwrap_or_default()));
        m.html = Some(format!(
            "<html><body><p>{}</p><script>alert(1)</script>{}</body></html>",
            escape_html(evil),
            "<div>".repeat(200) + "deep" + &"</div>".repeat(200)
        ));
    }
    write(&m).ok()
}

/// A file name for an item's MSG inside a ZIP: the subject without characters file systems refuse, cut
/// to 60 characters, numbered (`001 Subject.msg`).
pub fn zip_name(n: usize, subject: &str) -> String {
    let clean: String = subject
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .take(60)
        .collect();
    let clean = clean.trim().trim_matches('.');
    let clean = if clean.is_empty() { "item" } else { clean };
    format!("{:03} {clean}.msg", n + 1)
}

/// A ZIP archive of `(name, bytes)` files (stored, not compressed: MSG files compress little and the
/// emulator should stay cheap).
pub fn zip_of(files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o600);
    for (name, bytes) in files {
        z.start_file(name.as_str(), opts).map_err(std::io::Error::other)?;
        z.write_all(bytes)?;
    }
    Ok(z.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{BodySource, Limits, parse};
    use crate::sim::ids::{FolderKey, MailboxKey};

    fn key(folder: u16, idx: u32) -> ItemKey {
        ItemKey {
            folder: FolderKey {
                mailbox: MailboxKey { org: 0, mbx: 0 },
                folder,
            },
            idx,
        }
    }

    #[test]
    fn every_seeded_item_of_a_mailbox_is_a_readable_msg_matching_its_resource() {
        let d = Data::new(42);
        let mb = MailboxKey { org: 0, mbx: 0 };
        let mut with_attachments = 0;
        let mut html_only = 0;
        for f in d.all_folders(mb) {
            for idx in 0..12 {
                let k = ItemKey { folder: f, idx };
                let Some(item) = d.item(k) else { continue };
                let bytes = msg_of(&d, k).expect("an MSG");
                let p = parse(&bytes, &Limits::default()).expect("parses");
                assert_eq!(p.class, item.item_class, "{k:?}");
                assert_eq!(p.subject.as_deref(), item.title().filter(|t| !t.is_empty()), "{k:?}");
                assert!(!p.body.is_empty(), "{k:?} has a body");
                let names: Vec<_> = item.attachments().iter().filter_map(|a| a.name.clone()).collect();
                let got: Vec<_> = p.attachments.iter().map(|a| a.name.clone()).collect();
                assert_eq!(got, names, "{k:?}");
                for (a, b) in p.attachments.iter().zip(item.attachments()) {
                    assert_eq!(a.size, b.bytes().map(|x| x as u64));
                }
                with_attachments += usize::from(!p.attachments.is_empty());
                html_only += usize::from(p.body_source == BodySource::Html);
                if let ItemData::Message(m) = &item.data {
                    assert_eq!(p.from.as_ref().map(|f| f.address.as_str()), m.from.as_deref());
                    let to: Vec<_> = p
                        .recipients_of(RecipientKind::To)
                        .map(|r| r.person.address.as_str())
                        .collect();
                    assert_eq!(to, addrs(&m.to));
                    assert_eq!(p.sent, m.sent.as_ref().and_then(|d| d.as_utc()));
                }
            }
        }
        assert!(with_attachments > 0 && html_only > 0, "{with_attachments} {html_only}");
    }

    #[test]
    fn first_body_line_is_the_one_in_the_file() {
        let d = Data::new(42);
        let k = key(0, 0);
        let p = parse(&msg_of(&d, k).unwrap(), &Limits::default()).unwrap();
        assert_eq!(p.body.first().cloned(), first_body_line(&d, k));
    }

    #[test]
    fn zip_names_are_safe_and_numbered() {
        assert_eq!(zip_name(0, "Re: a/b \\ c?"), "001 Re_ a_b _ c_.msg");
        assert_eq!(zip_name(11, " .. "), "012 item.msg");
        assert_eq!(zip_name(2, "\u{1b}[2J"), "003 _[2J.msg");
    }
}
