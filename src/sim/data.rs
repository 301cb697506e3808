//! The seeded backup data: organizations, mailboxes, folder trees and items.
//!
//! Only organizations and mailboxes are kept in memory (a few hundred small records). Folders come from
//! constant tables, item counts from a hash of (seed, mailbox, folder), and every item is generated on demand
//! from its key alone, so a folder of a million items costs nothing and any page of it is O(limit).
//!
//! Layout (same for every seed; names and contents change with the seed):
//! - organization 0 `contoso.onmicrosoft.com` (50 generated mailboxes, then the two hostile ones of
//!   [`super::hostile`]: 52) and 1 `fabrikam.onmicrosoft.com` (50);
//! - in each organization one archive mailbox (same e-mail as its primary) and one public-folder mailbox (the
//!   last generated one, index 49);
//! - organization 0, mailbox 0 (Zoë Müller): Inbox holds exactly [`BIG_INBOX`] live items;
//! - organization 0, mailbox 1 (François Lefèvre): `Inbox/Archive 1M` holds exactly [`MILLION`] items;
//! - items with `idx % 4 == 1` have two versions; mail, calendar and contact folders (not Drafts or Outbox)
//!   hold 0-3 deleted items after their live ones (the first Inbox: 5), seen only with `showDeleted`.

use super::hostile;
use super::ids::{self, FolderKey, ItemKey, MailboxKey};
use super::names::{self, Person};
use super::rng::{Rng, hash};
use crate::api::models::{
    ApiDate, Appointment, Attachment, Contact, ContactGroup, Discussion, Importance, Item, ItemData, Journal, Message,
    StickyNote, Task, TaskStatus,
};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use time::{Duration, OffsetDateTime, macros::datetime};
use uuid::Uuid;

/// Live items in the first mailbox's Inbox.
pub const BIG_INBOX: u32 = 2_600;
/// Items in `Inbox/Archive 1M` of the second mailbox.
pub const MILLION: u32 = 1_000_000;
/// The mailbox that holds the big Inbox.
pub const BIG_INBOX_MAILBOX: MailboxKey = MailboxKey { org: 0, mbx: 0 };
/// The mailbox that holds the million-item folder.
pub const MILLION_MAILBOX: MailboxKey = MailboxKey { org: 0, mbx: 1 };

/// What a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    Mail,
    Posts,
    Calendar,
    Contacts,
    Tasks,
    Journal,
    Notes,
}

/// Items placed at fixed positions so every class shows up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    None,
    /// Items 1 and 2 are discussions (IPM.Post).
    PostsAt1And2,
    /// Item 3 has a class vex does not know.
    UnknownAt3,
}

/// One folder of a mailbox's folder table.
#[derive(Debug)]
pub struct FolderDef {
    pub name: &'static str,
    pub parent: Option<u16>,
    pub content: Content,
    /// `RESTExchangeFolder.category`.
    pub category: &'static str,
    /// `RESTExchangeFolder.type`.
    pub ftype: &'static str,
    lo: u32,
    hi: u32,
    special: Special,
}

/// A folder with exactly `n` items (no deleted ones), for hand-made tables.
pub(crate) const fn fixed(
    name: &'static str,
    parent: Option<u16>,
    content: Content,
    category: &'static str,
    ftype: &'static str,
    n: u32,
) -> FolderDef {
    fd(name, parent, content, category, ftype, n, n, Special::None)
}

impl FolderDef {
    /// The most live items the folder can hold.
    pub(crate) fn hi(&self) -> u32 {
        self.hi
    }
}

#[allow(clippy::too_many_arguments)]
const fn fd(
    name: &'static str,
    parent: Option<u16>,
    content: Content,
    category: &'static str,
    ftype: &'static str,
    lo: u32,
    hi: u32,
    special: Special,
) -> FolderDef {
    FolderDef {
        name,
        parent,
        content,
        category,
        ftype,
        lo,
        hi,
        special,
    }
}

use Content as C;

/// The folders of user and archive mailboxes.
pub const USER_FOLDERS: &[FolderDef] = &[
    fd("Inbox", None, C::Mail, "Inbox", "None", 40, 200, Special::None),
    fd(
        "Projects",
        Some(0),
        C::Mail,
        "None",
        "None",
        3,
        40,
        Special::PostsAt1And2,
    ),
    fd("2024", Some(1), C::Mail, "None", "None", 0, 60, Special::None),
    fd("2025", Some(1), C::Mail, "None", "None", 0, 30, Special::None),
    fd("Invoices", Some(0), C::Mail, "None", "None", 4, 30, Special::UnknownAt3),
    fd("Sent Items", None, C::Mail, "Sent", "None", 10, 150, Special::None),
    fd("Drafts", None, C::Mail, "Drafts", "None", 1, 8, Special::None),
    fd("Deleted Items", None, C::Mail, "Deleted", "None", 0, 60, Special::None),
    fd("Junk Email", None, C::Mail, "Junk", "None", 0, 25, Special::None),
    fd("Outbox", None, C::Mail, "Outbox", "None", 0, 2, Special::None),
    fd(
        "Calendar",
        None,
        C::Calendar,
        "None",
        "Appointment",
        10,
        80,
        Special::None,
    ),
    fd("Contacts", None, C::Contacts, "None", "Contact", 8, 60, Special::None),
    fd("Tasks", None, C::Tasks, "None", "Task", 10, 25, Special::None),
    fd("Journal", None, C::Journal, "None", "Journal", 0, 15, Special::None),
    fd("Notes", None, C::Notes, "None", "StickyNote", 0, 12, Special::None),
];

/// Index of the million-item folder in [`MILLION_MAILBOX`] (after the user folders).
pub const MILLION_FOLDER_INDEX: u16 = USER_FOLDERS.len() as u16;
const MILLION_FOLDER: FolderDef = fd(
    "Archive 1M",
    Some(0),
    C::Mail,
    "None",
    "None",
    MILLION,
    MILLION,
    Special::None,
);

/// The folders of public-folder mailboxes.
pub const PUBLIC_FOLDERS: &[FolderDef] = &[
    fd("All Company", None, C::Posts, "None", "None", 5, 40, Special::None),
    fd("Announcements", Some(0), C::Posts, "None", "None", 3, 20, Special::None),
    fd(
        "Shared Calendar",
        None,
        C::Calendar,
        "None",
        "Appointment",
        5,
        30,
        Special::None,
    ),
    fd(
        "Shared Contacts",
        None,
        C::Contacts,
        "None",
        "Contact",
        5,
        40,
        Special::None,
    ),
    fd("Help Desk", None, C::Mail, "None", "None", 0, 50, Special::None),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailboxKind {
    User,
    /// The archive of the user mailbox with this index.
    Archive(u16),
    Public,
    /// One of the hand-made mailboxes of [`super::hostile`] (never drawn as a sender or recipient).
    Hostile,
}

#[derive(Clone, Debug)]
pub struct MailboxInfo {
    pub key: MailboxKey,
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub kind: MailboxKind,
}

impl MailboxInfo {
    pub fn is_archive(&self) -> bool {
        matches!(self.kind, MailboxKind::Archive(_))
    }
    pub fn is_public(&self) -> bool {
        self.kind == MailboxKind::Public
    }
}

#[derive(Clone, Debug)]
pub struct OrgInfo {
    pub index: u8,
    pub id: Uuid,
    pub name: String,
    pub domain: String,
    pub first_backup: OffsetDateTime,
    pub last_backup: OffsetDateTime,
    pub mailboxes: Vec<MailboxInfo>,
    /// Indices of the user mailboxes (senders and recipients are drawn from them).
    users: Vec<usize>,
}

/// A light view of an item: what search and restore events need, without building the whole item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub class: String,
    pub title: Option<String>,
    pub from: Option<String>,
    /// Recipients (to, cc, bcc, attendees) joined with "; ".
    pub to: Option<String>,
}

/// The whole generated data set.
#[derive(Debug)]
pub struct Data {
    pub seed: u64,
    pub installation_id: Uuid,
    pub orgs: Vec<OrgInfo>,
    mailbox_ids: HashMap<Uuid, MailboxKey>,
    org_ids: HashMap<Uuid, u8>,
}

/// When the newest backup ran (fixed, so the data does not depend on the clock).
pub const LAST_BACKUP: OffsetDateTime = datetime!(2025-11-20 02:00:00 UTC);

const EXTERNAL_DOMAINS: &[&str] = &[
    "adatum.com",
    "litwareinc.com",
    "wingtiptoys.com",
    "northwindtraders.com",
    "woodgrovebank.com",
    "fourthcoffee.com",
];
const COMPANIES: &[&str] = &[
    "Adatum Corporation",
    "Litware, Inc.",
    "Wingtip Toys",
    "Northwind Traders",
    "Woodgrove Bank",
    "Fourth Coffee",
    "Müller & Söhne GmbH",
    "Société Générale d'Études",
    "株式会社サクラ",
    "شركة الأفق",
];
const PROJECTS: &[&str] = &[
    "Phoenix",
    "Atlas",
    "Nordlicht",
    "Sakura",
    "Aurora",
    "Helios",
    "Mjölnir",
    "Keystone",
];
const CITIES: &[&str] = &[
    "Zürich",
    "São Paulo",
    "Kraków",
    "Tōkyō",
    "Montréal",
    "Reykjavík",
    "Dubai",
    "Tel Aviv",
    "Prague",
    "Seoul",
];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn uuid_from(parts: &[u64]) -> Uuid {
    let a = hash(parts);
    let b = hash(&[a, 0xABCD]);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The most mailboxes `--mailboxes` gives an organization (mailbox keys are 16-bit).
pub const MAX_MAILBOXES: u16 = 60_000;
/// The fewest: a user, the archive and the public-folder mailbox.
pub const MIN_MAILBOXES: u16 = 3;

impl Data {
    pub fn new(seed: u64) -> Data {
        Data::with_mailboxes(seed, None)
    }

    /// The data of `seed`, organization 1 (`fabrikam.onmicrosoft.com`) with `fabrikam` mailboxes instead
    /// of 50 (`vex sim --mailboxes N`, clamped to [`MIN_MAILBOXES`]..=[`MAX_MAILBOXES`]): the same layout
    /// (the archive second to last, the public-folder mailbox last), names drawn from the same seeded
    /// generator (made unique with a number), so the same N gives the same organization. A mailbox is a
    /// few small strings (5,000 take well under a megabyte and a few milliseconds to make); its folders
    /// and items are generated on demand like every other mailbox's.
    pub fn with_mailboxes(seed: u64, fabrikam: Option<u16>) -> Data {
        let fabrikam = usize::from(fabrikam.unwrap_or(50).clamp(MIN_MAILBOXES, MAX_MAILBOXES));
        let specs: [(&str, &str, OffsetDateTime, OffsetDateTime, usize); 2] = [
            (
                "contoso.onmicrosoft.com",
                "contoso.com",
                datetime!(2021-03-14 22:00:00 UTC),
                LAST_BACKUP,
                50,
            ),
            (
                "fabrikam.onmicrosoft.com",
                "fabrikam.com",
                datetime!(2023-06-01 01:30:00 UTC),
                LAST_BACKUP - Duration::hours(22),
                fabrikam,
            ),
        ];
        let mut orgs = Vec::new();
        let mut mailbox_ids = HashMap::new();
        let mut org_ids = HashMap::new();
        for (oi, (name, domain, first, last, count)) in specs.into_iter().enumerate() {
            let o = oi as u8;
            let mut rng = Rng::new(&[seed, 0x0A, u64::from(o)]);
            let mut people: Vec<Person> = if o == 0 { names::featured() } else { Vec::new() };
            // Users: all but the archive and the public-folder mailbox.
            while people.len() < count - 2 {
                people.push(names::draw(&mut rng));
            }
            let mut seen = HashSet::new();
            for p in &mut people {
                let base = p.local.clone();
                let mut n = 2;
                while !seen.insert(p.local.clone()) {
                    p.local = format!("{base}{n}");
                    n += 1;
                }
            }
            let mut users = people.into_iter();
            let mut mailboxes = Vec::with_capacity(count);
            // Organization 0: the archive of mailbox 0 comes third; organization 1: before the public one.
            let archive_at = if o == 0 { 2 } else { count - 2 };
            for i in 0..count {
                let key = MailboxKey { org: o, mbx: i as u16 };
                let id = uuid_from(&[seed, 0x3B, u64::from(o), i as u64]);
                let (mname, email, kind) = if i == count - 1 {
                    (
                        "Public Folders".to_string(),
                        format!("publicfolders@{domain}"),
                        MailboxKind::Public,
                    )
                } else if i == archive_at {
                    let primary: &MailboxInfo = &mailboxes[0];
                    (
                        format!("Online Archive - {}", primary.name),
                        primary.email.clone(),
                        MailboxKind::Archive(0),
                    )
                } else {
                    match users.next() {
                        Some(p) => (p.name, format!("{}@{domain}", p.local), MailboxKind::User),
                        None => (format!("User {i}"), format!("user{i}@{domain}"), MailboxKind::User),
                    }
                };
                mailbox_ids.insert(id, key);
                mailboxes.push(MailboxInfo {
                    key,
                    id,
                    name: mname,
                    email,
                    kind,
                });
            }
            if o == 0 {
                // Appended, so the generated mailboxes keep their indices and their items.
                for (key, name, local) in [
                    (hostile::HOSTILE_MAILBOX, hostile::HOSTILE_NAME, hostile::HOSTILE_LOCAL),
                    (
                        hostile::HOSTILE_NAMED_MAILBOX,
                        hostile::HOSTILE_NAMED_NAME,
                        hostile::HOSTILE_NAMED_LOCAL,
                    ),
                ] {
                    debug_assert_eq!(usize::from(key.mbx), mailboxes.len());
                    let id = uuid_from(&[seed, 0x3B, u64::from(o), u64::from(key.mbx)]);
                    mailbox_ids.insert(id, key);
                    mailboxes.push(MailboxInfo {
                        key,
                        id,
                        name: name.to_string(),
                        email: format!("{local}@{domain}"),
                        kind: MailboxKind::Hostile,
                    });
                }
            }
            let id = uuid_from(&[seed, 0x06, u64::from(o)]);
            org_ids.insert(id, o);
            let users = (0..mailboxes.len())
                .filter(|i| mailboxes[*i].kind == MailboxKind::User)
                .collect();
            orgs.push(OrgInfo {
                index: o,
                id,
                name: name.to_string(),
                domain: domain.to_string(),
                first_backup: first,
                last_backup: last,
                mailboxes,
                users,
            });
        }
        Data {
            seed,
            installation_id: uuid_from(&[seed, 0x1D]),
            orgs,
            mailbox_ids,
            org_ids,
        }
    }

    pub fn org(&self, o: u8) -> Option<&OrgInfo> {
        self.orgs.get(usize::from(o))
    }

    pub fn org_by_id(&self, id: &Uuid) -> Option<&OrgInfo> {
        self.org_ids.get(id).and_then(|o| self.org(*o))
    }

    pub fn mailbox(&self, k: MailboxKey) -> Option<&MailboxInfo> {
        self.org(k.org)?.mailboxes.get(usize::from(k.mbx))
    }

    pub fn mailbox_by_id(&self, id: &Uuid) -> Option<&MailboxInfo> {
        self.mailbox_ids.get(id).and_then(|k| self.mailbox(*k))
    }

    /// A mailbox of the organization by e-mail (case-insensitive); the primary wins over its archive.
    pub fn mailbox_by_email(&self, org: u8, email: &str) -> Option<&MailboxInfo> {
        let e = email.trim();
        let org = self.org(org)?;
        let mut found = org.mailboxes.iter().filter(|m| m.email.eq_ignore_ascii_case(e));
        let first = found.next()?;
        if first.is_archive() {
            Some(found.next().unwrap_or(first))
        } else {
            Some(first)
        }
    }

    /// True for the hand-made mailboxes of [`super::hostile`].
    pub fn is_hostile(&self, mb: MailboxKey) -> bool {
        self.mailbox(mb).is_some_and(|m| m.kind == MailboxKind::Hostile)
    }

    // ---- folders ----

    fn table(&self, mb: MailboxKey) -> &'static [FolderDef] {
        match self.mailbox(mb).map(|m| m.kind) {
            Some(MailboxKind::Public) => PUBLIC_FOLDERS,
            Some(MailboxKind::Hostile) => hostile::HOSTILE_FOLDERS,
            _ => USER_FOLDERS,
        }
    }

    pub fn folder_count(&self, mb: MailboxKey) -> u16 {
        if self.mailbox(mb).is_none() {
            return 0;
        }
        let n = self.table(mb).len() as u16;
        if mb == MILLION_MAILBOX { n + 1 } else { n }
    }

    pub fn folder_def(&self, f: FolderKey) -> Option<&'static FolderDef> {
        if f.folder >= self.folder_count(f.mailbox) {
            return None;
        }
        if f.mailbox == MILLION_MAILBOX && f.folder == MILLION_FOLDER_INDEX {
            return Some(&MILLION_FOLDER);
        }
        self.table(f.mailbox).get(usize::from(f.folder))
    }

    pub fn folder_exists(&self, f: FolderKey) -> bool {
        self.folder_def(f).is_some()
    }

    /// `Inbox/Projects/2024`.
    pub fn folder_path(&self, f: FolderKey) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(f.folder);
        let mut guard = 0;
        while let Some(i) = cur {
            let Some(d) = self.folder_def(FolderKey {
                mailbox: f.mailbox,
                folder: i,
            }) else {
                break;
            };
            parts.push(d.name);
            cur = d.parent;
            guard += 1;
            if guard > 16 {
                break;
            }
        }
        parts.reverse();
        parts.join("/")
    }

    pub fn folder_parent(&self, f: FolderKey) -> Option<FolderKey> {
        self.folder_def(f)?.parent.map(|p| FolderKey {
            mailbox: f.mailbox,
            folder: p,
        })
    }

    /// Folders whose parent is `parent` (`None`: the root folders), in table order.
    pub fn children(&self, mb: MailboxKey, parent: Option<u16>) -> Vec<FolderKey> {
        (0..self.folder_count(mb))
            .map(|i| FolderKey { mailbox: mb, folder: i })
            .filter(|f| self.folder_def(*f).is_some_and(|d| d.parent == parent))
            .collect()
    }

    pub fn all_folders(&self, mb: MailboxKey) -> Vec<FolderKey> {
        (0..self.folder_count(mb))
            .map(|i| FolderKey { mailbox: mb, folder: i })
            .collect()
    }

    /// The folder at `path` (`"Inbox/Archive 1M"`, case-insensitive) of a mailbox.
    pub fn folder_by_path(&self, mb: MailboxKey, path: &str) -> Option<FolderKey> {
        let want = path.trim().trim_matches('/');
        self.all_folders(mb)
            .into_iter()
            .find(|f| self.folder_path(*f).eq_ignore_ascii_case(want))
    }

    pub fn folder_id(&self, f: FolderKey) -> String {
        ids::encode_folder(self.seed, f)
    }

    pub fn item_id(&self, i: ItemKey) -> String {
        ids::encode_item(self.seed, i)
    }

    /// Decodes a folder id and checks that the folder exists.
    pub fn parse_folder(&self, id: &str) -> Option<FolderKey> {
        ids::decode_folder(self.seed, id).filter(|f| self.folder_exists(*f))
    }

    /// Decodes an item id and checks that the item exists (live or deleted).
    pub fn parse_item(&self, id: &str) -> Option<ItemKey> {
        ids::decode_item(self.seed, id).filter(|i| {
            let (live, deleted) = self.counts(i.folder);
            self.folder_exists(i.folder) && u64::from(i.idx) < u64::from(live) + u64::from(deleted)
        })
    }

    // ---- items ----

    /// (live items, deleted items) of a folder. Deleted items follow the live ones (indices `live..`).
    pub fn counts(&self, f: FolderKey) -> (u32, u32) {
        let Some(def) = self.folder_def(f) else { return (0, 0) };
        if f.mailbox == MILLION_MAILBOX && f.folder == MILLION_FOLDER_INDEX {
            return (MILLION, 0);
        }
        if self.is_hostile(f.mailbox) {
            return (def.hi, 0);
        }
        let mut rng = Rng::new(&[
            self.seed,
            0xC0,
            u64::from(f.mailbox.org),
            u64::from(f.mailbox.mbx),
            u64::from(f.folder),
        ]);
        let live = if f.mailbox == BIG_INBOX_MAILBOX && f.folder == 0 {
            BIG_INBOX
        } else {
            rng.range(u64::from(def.lo), u64::from(def.hi)) as u32
        };
        let deleted = if f.mailbox == BIG_INBOX_MAILBOX && f.folder == 0 {
            5
        } else if def.hi <= 2
            || matches!(def.category, "Drafts" | "Outbox")
            || matches!(def.content, C::Tasks | C::Journal | C::Notes)
        {
            // Deleted drafts, tasks, journal entries and notes are left out: those folders stay simple.
            0
        } else {
            rng.below(4) as u32
        };
        (live, deleted)
    }

    /// Items a session sees in the folder.
    pub fn visible_count(&self, f: FolderKey, show_deleted: bool) -> u32 {
        let (live, deleted) = self.counts(f);
        if show_deleted {
            live.saturating_add(deleted)
        } else {
            live
        }
    }

    pub fn is_deleted(&self, i: ItemKey) -> bool {
        i.idx >= self.counts(i.folder).0
    }

    /// How many versions the backup holds of the item (1 or 2).
    pub fn versions(&self, i: ItemKey) -> u8 {
        if i.idx % 4 == 1 { 2 } else { 1 }
    }

    /// Items under an In-Place hold (skipped with `excludeInPlaceHoldItems`).
    pub fn in_place_hold(&self, i: ItemKey) -> bool {
        i.idx % 53 == 21
    }

    /// Items under a Litigation hold (skipped with `excludeLitigationHoldItems`).
    pub fn litigation_hold(&self, i: ItemKey) -> bool {
        i.idx % 61 == 33
    }

    fn rng(&self, i: ItemKey) -> Rng {
        Rng::new(&[
            self.seed,
            0x17,
            u64::from(i.folder.mailbox.org),
            u64::from(i.folder.mailbox.mbx),
            u64::from(i.folder.folder),
            u64::from(i.idx),
        ])
    }

    /// A person: a user of the organization or an external contact.
    fn someone(&self, rng: &mut Rng, org: u8) -> (String, String) {
        if rng.chance(2, 3)
            && let Some(o) = self.org(org)
            && !o.users.is_empty()
            && let Some(m) = o.mailboxes.get(o.users[rng.below(o.users.len() as u64) as usize])
        {
            return (m.name.clone(), m.email.clone());
        }
        let p = names::draw(rng);
        let domain = rng.pick(EXTERNAL_DOMAINS);
        (p.name, format!("{}@{domain}", p.local))
    }

    fn owner(&self, mb: MailboxKey) -> String {
        self.mailbox(mb).map(|m| m.email.clone()).unwrap_or_default()
    }

    /// The item's timestamp: newest first, spread over the years before the backup.
    pub fn item_time(&self, i: ItemKey) -> OffsetDateTime {
        let last = self
            .org(i.folder.mailbox.org)
            .map(|o| o.last_backup)
            .unwrap_or(LAST_BACKUP);
        let (live, _) = self.counts(i.folder);
        let step = (94_608_000 / i64::from(live.max(1))).clamp(240, 2_592_000);
        let jitter =
            (hash(&[self.seed, 0x71, u64::from(i.idx), u64::from(i.folder.folder)]) % (step as u64 / 2 + 1)) as i64;
        last - Duration::seconds(3_600 + i64::from(i.idx) * step + jitter)
    }

    fn class_of(&self, i: ItemKey, def: &FolderDef) -> &'static str {
        match def.special {
            Special::PostsAt1And2 if i.idx == 1 || i.idx == 2 => return "IPM.Post",
            Special::UnknownAt3 if i.idx == 3 => return "IPM.Document.Word.Document.12",
            _ => {}
        }
        match def.content {
            C::Mail => {
                if def.category == "Drafts" || def.category == "Outbox" {
                    "IPM.Note"
                } else if i.idx % 17 == 5 {
                    "IPM.Schedule.Meeting.Request"
                } else if i.idx % 29 == 11 {
                    "REPORT.IPM.Note.NDR"
                } else {
                    "IPM.Note"
                }
            }
            C::Posts => "IPM.Post",
            C::Calendar => "IPM.Appointment",
            C::Contacts => {
                if i.idx % 8 == 7 {
                    "IPM.DistList"
                } else {
                    "IPM.Contact"
                }
            }
            C::Tasks => "IPM.Task",
            C::Journal => "IPM.Activity",
            C::Notes => "IPM.StickyNote",
        }
    }

    fn mail_subject(&self, rng: &mut Rng, i: ItemKey, def: &FolderDef) -> String {
        let n = rng.range(1000, 99_999);
        let y = 2019 + rng.below(7);
        let q = rng.range(1, 4);
        let project = rng.pick(PROJECTS);
        let city = rng.pick(CITIES);
        let company = rng.pick(COMPANIES);
        let month = rng.pick(MONTHS);
        if def.special == Special::UnknownAt3 || def.name == "Invoices" {
            return format!("Invoice #{n} from {company}");
        }
        let s = match rng.below(26) {
            0 => format!("Quarterly report Q{q} {y}"),
            1 => format!("Re: Budget review {y}"),
            2 => format!("Fwd: Travel itinerary – {city}"),
            3 => format!("Invoice #{n}"),
            4 => format!("Réunion d'équipe – {city}"),
            5 => format!("Angebot Nr. {n}"),
            6 => format!("会議の議事録 ({n})"),
            7 => format!("Weekly status: {project}"),
            8 => format!("Re: {project} kickoff"),
            9 => format!("Your order {n} has shipped"),
            10 => "Lunch on Friday?".to_string(),
            11 => format!("Contract renewal – {company}"),
            12 => "Welcome to the team!".to_string(),
            13 => "Action required: password expiry".to_string(),
            14 => "Re: Re: Server migration plan".to_string(),
            15 => format!("Presupuesto {y} – revisión"),
            16 => format!("Urlaubsantrag {y}"),
            17 => format!("Προσφορά {n}"),
            18 => format!("طلب عرض سعر {n}"),
            19 => "Happy birthday 🎉".to_string(),
            20 => "Security alert: new sign-in".to_string(),
            21 => format!("Minutes: board meeting Q{q}/{y}"),
            22 => format!("Draft: {project} proposal"),
            23 => format!("Newsletter – {month} {y}"),
            24 => "Shipping delay notice".to_string(),
            _ => format!("פגישה בנושא {project}"),
        };
        if i.idx % 17 == 5 && def.category != "Drafts" && def.category != "Outbox" {
            format!("Invitation: {project} sync")
        } else if i.idx % 29 == 11 && def.category != "Drafts" && def.category != "Outbox" {
            format!("Undeliverable: {s}")
        } else {
            s
        }
    }

    /// The light view of an item (class, title, sender, recipients).
    pub fn summary(&self, i: ItemKey) -> Option<Summary> {
        if self.is_hostile(i.folder.mailbox) {
            return hostile::summary(self, i);
        }
        let def = self.folder_def(i.folder)?;
        let mut rng = self.rng(i);
        let class = self.class_of(i, def);
        let org = i.folder.mailbox.org;
        let owner = self.owner(i.folder.mailbox);
        let domain = self.org(org).map(|o| o.domain.clone()).unwrap_or_default();
        let mut s = Summary {
            class: class.to_string(),
            ..Summary::default()
        };
        match class {
            "IPM.Post" => {
                let (_, from) = self.someone(&mut rng, org);
                let project = rng.pick(PROJECTS);
                let week = rng.range(1, 52);
                let titles = [
                    format!("Welcome to {project}!"),
                    format!("Kantine: Speiseplan KW {week}"),
                    "Office closure on Friday".to_string(),
                    "Re: Parking rules".to_string(),
                    format!("{project}: lessons learned"),
                ];
                s.title = Some(titles[rng.below(titles.len() as u64) as usize].clone());
                s.from = Some(from);
            }
            "IPM.Document.Word.Document.12" => {
                let (_, from) = self.someone(&mut rng, org);
                s.title = Some(format!("{} budget.docx", rng.pick(PROJECTS)));
                s.from = Some(from);
            }
            "IPM.Appointment" => {
                let (name, organizer) = self.someone(&mut rng, org);
                let project = rng.pick(PROJECTS);
                let city = rng.pick(CITIES);
                let titles = [
                    format!("{project} sync"),
                    format!("1:1 with {name}"),
                    "Dentist".to_string(),
                    "Quarterly planning".to_string(),
                    "Team lunch".to_string(),
                    format!("Conference call – {city}"),
                    "Release retrospective".to_string(),
                    format!("Offsite {city}"),
                ];
                s.title = Some(titles[rng.below(titles.len() as u64) as usize].clone());
                s.from = Some(organizer);
                let k = rng.range(1, 4);
                let attendees: Vec<String> = (0..k).map(|_| self.someone(&mut rng, org).1).collect();
                s.to = Some(attendees.join("; "));
            }
            "IPM.Contact" => {
                let p = names::draw(&mut rng);
                s.title = Some(p.name);
            }
            "IPM.DistList" => {
                let names = [
                    format!("Team {}", rng.pick(PROJECTS)),
                    format!("{} office", rng.pick(CITIES)),
                ];
                s.title = Some(names[rng.below(2) as usize].clone());
            }
            "IPM.Task" => {
                let (name, _) = self.someone(&mut rng, org);
                let titles = [
                    format!("Prepare {} budget", rng.pick(PROJECTS)),
                    format!("Review contract with {}", rng.pick(COMPANIES)),
                    format!("Book flights to {}", rng.pick(CITIES)),
                    "Update onboarding docs".to_string(),
                    "Renew TLS certificate".to_string(),
                    format!("Call {name}"),
                ];
                s.title = Some(titles[rng.below(titles.len() as u64) as usize].clone());
            }
            "IPM.Activity" => {
                let (name, _) = self.someone(&mut rng, org);
                let titles = [format!("Call with {name}"), format!("Meeting: {}", rng.pick(PROJECTS))];
                s.title = Some(titles[rng.below(2) as usize].clone());
            }
            "IPM.StickyNote" => {
                let titles = [
                    format!("Ideas for {}", rng.pick(PROJECTS)),
                    format!("Remember: {} trip", rng.pick(CITIES)),
                    "Buy milk".to_string(),
                    format!("Parking spot B-{}", rng.range(1, 99)),
                    "TODO: expense report".to_string(),
                ];
                s.title = Some(titles[rng.below(titles.len() as u64) as usize].clone());
            }
            _ => {
                // Messages.
                let subject = self.mail_subject(&mut rng, i, def);
                let (_, other) = self.someone(&mut rng, org);
                let (from, to) = if class == "REPORT.IPM.Note.NDR" {
                    (format!("postmaster@{domain}"), owner.clone())
                } else if matches!(def.category, "Sent" | "Drafts" | "Outbox") {
                    (owner.clone(), other)
                } else {
                    (other, owner.clone())
                };
                let mut rcpt = vec![to];
                if i.idx.is_multiple_of(3) {
                    rcpt.push(self.someone(&mut rng, org).1);
                }
                if i.idx % 10 == 6 {
                    rcpt.push(self.someone(&mut rng, org).1);
                }
                s.title = if i.idx % 101 == 77 { None } else { Some(subject) };
                s.from = Some(from);
                s.to = Some(rcpt.join("; "));
            }
        }
        Some(s)
    }

    fn attachments(&self, rng: &mut Rng, count: u64) -> Vec<Attachment> {
        let names = [
            format!("Invoice-{}.pdf", rng.range(1000, 9999)),
            "Präsentation.pptx".to_string(),
            format!("photo_{}.jpg", rng.range(1, 999)),
            "報告書.docx".to_string(),
            format!("budget-{}.xlsx", 2019 + rng.below(7)),
            "contract (signed).pdf".to_string(),
            "ملف.zip".to_string(),
        ];
        (0..count)
            .map(|_| Attachment {
                name: Some(names[rng.below(names.len() as u64) as usize].clone()),
                size_bytes: Some(rng.range(10_240, 15_728_640) as i64),
                size: None,
            })
            .collect()
    }

    /// The full item (no links, no mailbox id: the HTTP layer adds those per version).
    pub fn item(&self, i: ItemKey) -> Option<Item> {
        if self.is_hostile(i.folder.mailbox) {
            return hostile::item(self, i);
        }
        let def = self.folder_def(i.folder)?;
        let sum = self.summary(i)?;
        let mut rng = Rng::new(&[
            self.seed,
            0x2F,
            u64::from(i.idx),
            u64::from(i.folder.folder),
            u64::from(i.folder.mailbox.mbx),
        ]);
        let org = i.folder.mailbox.org;
        let t = self.item_time(i);
        let owner = self.owner(i.folder.mailbox);
        let split = |s: &Option<String>| -> Vec<String> {
            s.as_deref()
                .map(|x| x.split("; ").map(str::to_string).collect())
                .unwrap_or_default()
        };
        let mut extra = Map::new();
        let data = match sum.class.as_str() {
            "IPM.Post" => ItemData::Discussion(Discussion {
                from: sum.from.clone(),
                subject: sum.title.clone(),
                posted_on: Some(ApiDate::Utc(t)),
                importance: Some(if i.idx % 11 == 3 {
                    Importance::High
                } else {
                    Importance::Normal
                }),
                attachments: if i.idx % 5 == 2 {
                    self.attachments(&mut rng, 1)
                } else {
                    Vec::new()
                },
            }),
            "IPM.Appointment" => {
                let start = {
                    let (live, _) = self.counts(i.folder);
                    let last = self.org(org).map(|o| o.last_backup).unwrap_or(LAST_BACKUP);
                    let days = i64::from(live / 3) - i64::from(i.idx);
                    let day = last.date().midnight().assume_utc() + Duration::days(days);
                    day + Duration::hours(rng.range(8, 17) as i64)
                };
                let recurring = i.idx.is_multiple_of(6);
                let patterns = [
                    "Weekly on Monday, every 1 week(s)",
                    "Daily, every 1 day(s)",
                    "Monthly on day 15, every 1 month(s)",
                    "Weekly on Tuesday, Thursday, every 2 week(s)",
                ];
                let locations = [
                    "Room Everest",
                    "Конференц-зал 2",
                    "会議室 A",
                    "Microsoft Teams Meeting",
                    "Café Central",
                    "Building 4, 2nd floor",
                ];
                ItemData::Appointment(Appointment {
                    subject: sum.title.clone(),
                    organizer: sum.from.clone(),
                    attendees: sum.to.clone(),
                    start_time: Some(ApiDate::Utc(start)),
                    end_time: Some(ApiDate::Utc(start + Duration::minutes(30 * rng.range(1, 6) as i64))),
                    location: Some(rng.pick(&locations).to_string()),
                    recurring: Some(recurring),
                    recurrence_pattern_format: recurring.then(|| rng.pick(&patterns).to_string()),
                    attachments: if i.idx % 7 == 3 {
                        let n = rng.range(1, 2);
                        self.attachments(&mut rng, n)
                    } else {
                        Vec::new()
                    },
                })
            }
            "IPM.Contact" => {
                let name = sum.title.clone().unwrap_or_default();
                let local = names::ascii_fold(&name);
                let local = if local.trim_matches('.').is_empty() {
                    format!("contact{}", i.idx)
                } else {
                    local
                };
                let domain = rng.pick(EXTERNAL_DOMAINS);
                let email = format!("{local}@{domain}");
                let company = rng.pick(COMPANIES).to_string();
                let titles = [
                    "Account Manager",
                    "CFO",
                    "Entwicklerin",
                    "Chef de projet",
                    "営業部長",
                    "Consultant",
                    "مدير المبيعات",
                ];
                let streets = [
                    "Bahnhofstrasse 12, 8001 Zürich",
                    "12 rue de Rivoli, 75004 Paris",
                    "1-1 Chiyoda, Tokyo 100-0001",
                    "221B Baker St, London NW1 6XE",
                    "Rua Augusta 100, São Paulo",
                ];
                let phone = |rng: &mut Rng| {
                    format!(
                        "+{} {} {} {}",
                        rng.range(1, 99),
                        rng.range(10, 99),
                        rng.range(100, 999),
                        rng.range(1000, 9999)
                    )
                };
                ItemData::Contact(Contact {
                    full_name: Some(name.clone()),
                    display_as: Some(format!("{name} ({email})")),
                    file_as: Some(name.clone()),
                    email: Some(email.clone()),
                    company: Some(company.clone()),
                    job_title: Some(rng.pick(&titles).to_string()),
                    address: Some(rng.pick(&streets).to_string()),
                    business_phone: Some(phone(&mut rng)),
                    home_phone: (i.idx.is_multiple_of(3)).then(|| phone(&mut rng)),
                    mobile: Some(phone(&mut rng)),
                    fax: (i.idx.is_multiple_of(5)).then(|| phone(&mut rng)),
                    im_address: Some(email),
                    web_page: Some(format!("https://www.{domain}/")),
                })
            }
            "IPM.DistList" => ItemData::ContactGroup(ContactGroup {
                name: sum.title.clone(),
            }),
            "IPM.Task" => {
                let statuses = [
                    TaskStatus::NotStarted,
                    TaskStatus::InProgress,
                    TaskStatus::Completed,
                    TaskStatus::WaitingOnSomeoneElse,
                    TaskStatus::Deferred,
                ];
                let status = statuses[(i.idx % 5) as usize].clone();
                let pct = match status {
                    TaskStatus::NotStarted | TaskStatus::Deferred => 0.0,
                    TaskStatus::Completed => 100.0,
                    TaskStatus::WaitingOnSomeoneElse => 50.0,
                    _ => [25.0, 50.0, 75.0][rng.below(3) as usize],
                };
                let start = t.date().midnight().assume_utc();
                ItemData::Task(Task {
                    subject: sum.title.clone(),
                    status: Some(status),
                    percent_complete: Some(pct),
                    start_date: Some(ApiDate::Utc(start)),
                    due_date: Some(ApiDate::Utc(start + Duration::days(rng.range(1, 21) as i64))),
                    owner: Some(owner.clone()),
                })
            }
            "IPM.Activity" => {
                let types = [
                    "Phone call",
                    "Meeting",
                    "E-mail message",
                    "Conversation",
                    "Document",
                    "Task request",
                    "Letter",
                    "Note",
                ];
                ItemData::Journal(Journal {
                    subject: sum.title.clone(),
                    entry_type: Some(rng.pick(&types).to_string()),
                    start_time: Some(ApiDate::Utc(t)),
                    // Hours, as the spec ("Duration of the journal entry in hours") and the seed say.
                    duration: Some(rng.range(1, 8) as i64),
                    company: Some(rng.pick(COMPANIES).to_string()),
                    ..Default::default()
                })
            }
            "IPM.StickyNote" => ItemData::StickyNote(StickyNote {
                subject: sum.title.clone(),
                date: Some(ApiDate::Utc(t)),
                ..Default::default()
            }),
            "IPM.Document.Word.Document.12" => {
                if let Some(s) = &sum.title {
                    extra.insert("subject".into(), Value::from(s.clone()));
                }
                if let Some(f) = &sum.from {
                    extra.insert("from".into(), Value::from(f.clone()));
                }
                extra.insert("received".into(), Value::from(ApiDate::Utc(t).to_wire()));
                ItemData::Other
            }
            _ => {
                let rcpt = split(&sum.to);
                let to = rcpt.first().cloned();
                let cc = (i.idx.is_multiple_of(3)).then(|| rcpt.get(1).cloned()).flatten();
                let bcc = (i.idx % 10 == 6).then(|| rcpt.last().cloned()).flatten();
                let draft = matches!(def.category, "Drafts" | "Outbox");
                let importance = if i.idx % 11 == 3 {
                    Importance::High
                } else if i.idx % 13 == 7 {
                    Importance::Low
                } else {
                    Importance::Normal
                };
                let natt = if i.idx % 5 == 2 { rng.range(1, 3) } else { 0 };
                ItemData::Message(Message {
                    from: sum.from.clone(),
                    to,
                    cc,
                    bcc,
                    subject: sum.title.clone(),
                    sent: (!draft).then(|| ApiDate::Utc(t - Duration::seconds(rng.range(2, 90) as i64))),
                    received: (!draft).then_some(ApiDate::Utc(t)),
                    reminder: Some(i.idx % 9 == 4),
                    importance: Some(importance),
                    attachments: self.attachments(&mut rng, natt),
                })
            }
        };
        Some(Item {
            id: self.item_id(i),
            item_class: Some(sum.class),
            mailbox_id: None,
            data,
            links: Default::default(),
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::ItemKind;

    fn key(org: u8, mbx: u16, folder: u16, idx: u32) -> ItemKey {
        ItemKey {
            folder: FolderKey {
                mailbox: MailboxKey { org, mbx },
                folder,
            },
            idx,
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = Data::new(42);
        let b = Data::new(42);
        let c = Data::new(7);
        let names = |d: &Data| {
            d.orgs
                .iter()
                .flat_map(|o| o.mailboxes.iter().map(|m| (m.id, m.name.clone(), m.email.clone())))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&c));
        for k in [
            key(0, 0, 0, 0),
            key(0, 3, 10, 5),
            key(1, 7, 11, 2),
            key(0, 1, MILLION_FOLDER_INDEX, 999_999),
        ] {
            assert_eq!(a.item(k), b.item(k));
            assert_eq!(a.counts(k.folder), b.counts(k.folder));
        }
        assert_eq!(a.installation_id, b.installation_id);
    }

    #[test]
    fn many_mailboxes_are_deterministic_and_unique() {
        let a = Data::with_mailboxes(42, Some(5_000));
        let b = Data::with_mailboxes(42, Some(5_000));
        let o = &a.orgs[1];
        assert_eq!(o.mailboxes.len(), 5_000);
        assert!(
            o.mailboxes
                .iter()
                .zip(&b.orgs[1].mailboxes)
                .all(|(x, y)| x.id == y.id && x.email == y.email)
        );
        let emails: HashSet<&str> = o
            .mailboxes
            .iter()
            .filter(|m| !m.is_archive())
            .map(|m| m.email.as_str())
            .collect();
        assert_eq!(emails.len(), 4_999);
        // Organization 0 and the default layout are untouched.
        let d = Data::new(42);
        assert_eq!(a.orgs[0].mailboxes.len(), d.orgs[0].mailboxes.len());
        assert_eq!(d.orgs[1].mailboxes.len(), 50);
        assert!(
            a.orgs[0]
                .mailboxes
                .iter()
                .zip(&d.orgs[0].mailboxes)
                .all(|(x, y)| x.email == y.email)
        );
        assert!(a.mailbox_by_id(&o.mailboxes[4_321].id).is_some());
    }

    #[test]
    fn layout_is_as_documented() {
        let d = Data::new(42);
        assert_eq!(d.orgs.len(), 2);
        for o in &d.orgs {
            let generated = &o.mailboxes[..50];
            assert!(generated.iter().all(|m| m.kind != MailboxKind::Hostile));
            assert!(
                generated[49].is_public(),
                "the public folders come last of the generated ones"
            );
            assert_eq!(o.mailboxes.len(), if o.index == 0 { 52 } else { 50 });
            assert_eq!(o.mailboxes.iter().filter(|m| m.is_archive()).count(), 1);
            assert_eq!(o.mailboxes.iter().filter(|m| m.is_public()).count(), 1);
            let arch = o.mailboxes.iter().find(|m| m.is_archive()).unwrap();
            assert!(o.mailboxes.iter().any(|m| !m.is_archive() && m.email == arch.email));
            let emails: HashSet<_> = o
                .mailboxes
                .iter()
                .filter(|m| !m.is_archive())
                .map(|m| m.email.clone())
                .collect();
            assert_eq!(emails.len(), o.mailboxes.len() - 1, "primary e-mails are unique");
        }
        let m0 = &d.orgs[0].mailboxes;
        assert_eq!(m0[0].name, "Zoë Müller");
        assert_eq!(m0[1].name, "François Lefèvre");
        assert!(m0[2].is_archive());
        for n in ["山田 太郎", "王芳", "محمد العلي", "דוד לוי"] {
            assert!(m0.iter().any(|m| m.name == n), "{n}");
        }
        let inbox = FolderKey {
            mailbox: BIG_INBOX_MAILBOX,
            folder: 0,
        };
        assert_eq!(d.counts(inbox).0, 2_600);
        let million = FolderKey {
            mailbox: MILLION_MAILBOX,
            folder: MILLION_FOLDER_INDEX,
        };
        assert_eq!(d.counts(million), (1_000_000, 0));
        assert_eq!(d.folder_path(million), "Inbox/Archive 1M");
        assert_eq!(d.folder_by_path(MILLION_MAILBOX, "inbox/archive 1m"), Some(million));
        assert_eq!(d.folder_by_path(BIG_INBOX_MAILBOX, "Inbox/Archive 1M"), None);
        assert_eq!(d.folder_count(MailboxKey { org: 0, mbx: 3 }), USER_FOLDERS.len() as u16);
        assert_eq!(
            d.folder_path(FolderKey {
                mailbox: BIG_INBOX_MAILBOX,
                folder: 2
            }),
            "Inbox/Projects/2024"
        );
        let roots: Vec<&str> = d
            .children(BIG_INBOX_MAILBOX, None)
            .iter()
            .map(|f| d.folder_def(*f).unwrap().name)
            .collect();
        assert_eq!(
            roots,
            [
                "Inbox",
                "Sent Items",
                "Drafts",
                "Deleted Items",
                "Junk Email",
                "Outbox",
                "Calendar",
                "Contacts",
                "Tasks",
                "Journal",
                "Notes"
            ]
        );
    }

    #[test]
    fn every_item_class_appears() {
        let d = Data::new(42);
        let mb = MailboxKey { org: 0, mbx: 0 };
        let mut kinds = HashSet::new();
        let mut classes = HashSet::new();
        for f in d.all_folders(mb) {
            let (live, del) = d.counts(f);
            for idx in 0..(live + del).min(200) {
                let it = d.item(ItemKey { folder: f, idx }).unwrap();
                kinds.insert(format!("{:?}", it.kind()));
                classes.insert(it.item_class.clone().unwrap());
                let j = serde_json::to_value(&it).unwrap();
                assert!(j.get("mailboxId").is_none());
            }
        }
        for k in [
            ItemKind::Message,
            ItemKind::Appointment,
            ItemKind::Contact,
            ItemKind::ContactGroup,
            ItemKind::Task,
            ItemKind::Journal,
            ItemKind::StickyNote,
            ItemKind::Discussion,
            ItemKind::Other,
        ] {
            assert!(kinds.contains(&format!("{k:?}")), "{k:?} missing: {kinds:?}");
        }
        for c in ["IPM.Schedule.Meeting.Request", "REPORT.IPM.Note.NDR"] {
            assert!(classes.contains(c), "{c}");
        }
    }

    #[test]
    fn million_page_is_cheap() {
        let d = Data::new(42);
        let f = FolderKey {
            mailbox: MILLION_MAILBOX,
            folder: MILLION_FOLDER_INDEX,
        };
        let t = std::time::Instant::now();
        let items: Vec<Item> = (999_990..1_000_000)
            .filter_map(|idx| d.item(ItemKey { folder: f, idx }))
            .collect();
        assert_eq!(items.len(), 10);
        assert!(
            d.item(ItemKey {
                folder: f,
                idx: 1_000_000
            })
            .is_some(),
            "generation itself does not bound-check"
        );
        assert!(
            d.parse_item(&d.item_id(ItemKey {
                folder: f,
                idx: 1_000_000
            }))
            .is_none()
        );
        let whole = t.elapsed();
        // The last page costs what the first page costs (no walk over the million before it): compared in the
        // same run, the fastest of a few tries each, so a busy machine slows both alike.
        let page = |from: u32| {
            (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    let n = (from..from + 10)
                        .filter_map(|idx| d.item(ItemKey { folder: f, idx }))
                        .count();
                    assert_eq!(n, 10);
                    t.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let (first, last) = (page(0), page(999_990));
        eprintln!("million generated: last page {last:?}, first page {first:?}");
        assert!(
            last < first * 20,
            "last page {last:?}, first page {first:?} (whole check {whole:?})"
        );
    }
}
