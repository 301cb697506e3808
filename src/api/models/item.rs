//! Mailbox items (`RESTExchangeItemsComposed`): one enum over the item classes, chosen by `itemClass`.
//!
//! Items have no body. Addresses and attendees are flat strings; attachments are `[{name, sizeBytes}]`.
//! Every field of the composed schema is reachable: the fields of the item's own type live in its variant,
//! any other field the server sent (including fields unknown to this version) lives in `Item::extra`.

use super::lenient::{opt_bool, opt_date, opt_f64, opt_i64, opt_string, vec_or_empty};
use super::{ApiDate, Links, links_or_empty};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

crate::string_enum!(
    /// `RESTExchangeItemImportance`.
    Importance { Low = "Low", Normal = "Normal", High = "High" }
);
crate::string_enum!(
    /// `RESTTaskItemStatus`.
    TaskStatus {
        NotStarted = "NotStarted", InProgress = "InProgress", Completed = "Completed",
        WaitingOnSomeoneElse = "WaitingOnSomeoneElse", Deferred = "Deferred"
    }
);

/// `RESTAttachment` (`name`, `sizeBytes`), plus `size` as the item resource documentation (the seed
/// `mailbox-item-resource.txt`) shows it for appointment attachments: typed there as a string, so it
/// is kept as text (a number is kept as its digits) and shown as a size when it is one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        rename = "sizeBytes",
        default,
        deserialize_with = "opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_bytes: Option<i64>,
    #[serde(default, deserialize_with = "opt_text", skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
}

impl Attachment {
    /// The size in bytes: `sizeBytes`, else `size` when it is a whole number of bytes.
    pub fn bytes(&self) -> Option<i64> {
        self.size_bytes
            .or_else(|| self.size.as_deref().and_then(|s| s.trim().parse::<i64>().ok()))
    }
}

/// A string, or a number or boolean kept as its JSON text; null is absent.
fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// The kind of an item, from its `itemClass`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Message,
    Appointment,
    Contact,
    ContactGroup,
    Task,
    Journal,
    StickyNote,
    Discussion,
    Other,
}

impl ItemKind {
    /// Classifies an `itemClass` (case-insensitive, by prefix as Exchange defines them).
    /// No allocation: it runs for every row `vex items` writes as a table (issue 17).
    pub fn from_class(class: Option<&str>) -> ItemKind {
        let Some(c) = class else { return ItemKind::Other };
        let c = c.trim().as_bytes();
        // `c` is `p` or starts with `p` and a dot, ignoring ASCII case (`p` is upper-case ASCII, so a
        // byte above ASCII never matches, as after `to_ascii_uppercase`).
        let head = |p: &str| c.len() >= p.len() && c[..p.len()].eq_ignore_ascii_case(p.as_bytes());
        let starts = |p: &str| head(p) && (c.len() == p.len() || c[p.len()] == b'.');
        if starts("IPM.NOTE") || starts("IPM.MESSAGE") || starts("IPM.SCHEDULE.MEETING") || head("REPORT.") {
            ItemKind::Message
        } else if starts("IPM.APPOINTMENT") {
            ItemKind::Appointment
        } else if starts("IPM.CONTACT") {
            ItemKind::Contact
        } else if starts("IPM.DISTLIST") {
            ItemKind::ContactGroup
        } else if starts("IPM.TASK") || starts("IPM.TASKREQUEST") {
            ItemKind::Task
        } else if starts("IPM.ACTIVITY") || starts("IPM.JOURNAL") {
            ItemKind::Journal
        } else if starts("IPM.STICKYNOTE") {
            ItemKind::StickyNote
        } else if starts("IPM.POST") {
            ItemKind::Discussion
        } else {
            ItemKind::Other
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Message => "Message",
            ItemKind::Appointment => "Appointment",
            ItemKind::Contact => "Contact",
            ItemKind::ContactGroup => "Contact group",
            ItemKind::Task => "Task",
            ItemKind::Journal => "Journal",
            ItemKind::StickyNote => "Note",
            ItemKind::Discussion => "Post",
            ItemKind::Other => "Other",
        }
    }
}

/// `RESTExchangeMessageItem`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Message {
    pub from: Option<String>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub bcc: Option<String>,
    pub subject: Option<String>,
    pub sent: Option<ApiDate>,
    pub received: Option<ApiDate>,
    pub reminder: Option<bool>,
    pub importance: Option<Importance>,
    pub attachments: Vec<Attachment>,
}

/// `RESTAppointmentItem`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Appointment {
    pub subject: Option<String>,
    pub organizer: Option<String>,
    pub attendees: Option<String>,
    pub start_time: Option<ApiDate>,
    pub end_time: Option<ApiDate>,
    pub location: Option<String>,
    pub recurring: Option<bool>,
    pub recurrence_pattern_format: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// `RESTContactItem`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contact {
    pub full_name: Option<String>,
    pub display_as: Option<String>,
    pub file_as: Option<String>,
    pub email: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub address: Option<String>,
    pub business_phone: Option<String>,
    pub home_phone: Option<String>,
    pub mobile: Option<String>,
    pub fax: Option<String>,
    pub im_address: Option<String>,
    pub web_page: Option<String>,
}

/// `RESTContactGroupItem` (IPM.DistList).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactGroup {
    pub name: Option<String>,
}

/// `RESTTaskItem`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Task {
    pub subject: Option<String>,
    pub status: Option<TaskStatus>,
    pub percent_complete: Option<f64>,
    pub start_date: Option<ApiDate>,
    pub due_date: Option<ApiDate>,
    pub owner: Option<String>,
}

/// `RESTJournalItem` (IPM.Activity / IPM.Journal).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Journal {
    pub subject: Option<String>,
    pub entry_type: Option<String>,
    /// `startTime`, as the spec names it.
    pub start_time: Option<ApiDate>,
    /// `startDate`, as the item resource documentation (seed) names it.
    pub start_date: Option<ApiDate>,
    /// Hours: the spec ("Duration of the journal entry in hours") and the documentation agree.
    pub duration: Option<i64>,
    pub company: Option<String>,
}

impl Journal {
    /// When the entry started: `startTime`, else `startDate`.
    pub fn start(&self) -> Option<&ApiDate> {
        self.start_time.as_ref().or(self.start_date.as_ref())
    }
}

/// `RESTStickyNoteItem`: `subject` and `date` in the spec, `name` in the item resource
/// documentation (seed).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StickyNote {
    pub name: Option<String>,
    pub subject: Option<String>,
    pub date: Option<ApiDate>,
}

/// `RESTDiscussionItem` (IPM.Post).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Discussion {
    pub from: Option<String>,
    pub subject: Option<String>,
    pub posted_on: Option<ApiDate>,
    pub importance: Option<Importance>,
    pub attachments: Vec<Attachment>,
}

/// The type-specific part of an item.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemData {
    Message(Message),
    Appointment(Appointment),
    Contact(Contact),
    ContactGroup(ContactGroup),
    Task(Task),
    Journal(Journal),
    StickyNote(StickyNote),
    Discussion(Discussion),
    /// An unknown class: every field it had is in `Item::extra`.
    Other,
}

/// The key of an item's actions (kept in [`Item::extra`] as sent; see [`Item::action_names`]).
pub const ACTIONS: &str = "_actions";

/// One mailbox item.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub id: String,
    pub item_class: Option<String>,
    /// v8 only.
    pub mailbox_id: Option<String>,
    pub data: ItemData,
    pub links: Links,
    /// Every other field the server sent, raw.
    pub extra: Map<String, Value>,
}

impl Item {
    pub fn kind(&self) -> ItemKind {
        match &self.data {
            ItemData::Message(_) => ItemKind::Message,
            ItemData::Appointment(_) => ItemKind::Appointment,
            ItemData::Contact(_) => ItemKind::Contact,
            ItemData::ContactGroup(_) => ItemKind::ContactGroup,
            ItemData::Task(_) => ItemKind::Task,
            ItemData::Journal(_) => ItemKind::Journal,
            ItemData::StickyNote(_) => ItemKind::StickyNote,
            ItemData::Discussion(_) => ItemKind::Discussion,
            ItemData::Other => ItemKind::Other,
        }
    }

    /// A one-line title: subject, name or full name, whatever the type has.
    pub fn title(&self) -> Option<&str> {
        match &self.data {
            ItemData::Message(m) => m.subject.as_deref(),
            ItemData::Appointment(a) => a.subject.as_deref(),
            ItemData::Contact(c) => c.full_name.as_deref().or(c.display_as.as_deref()),
            ItemData::ContactGroup(g) => g.name.as_deref(),
            ItemData::Task(t) => t.subject.as_deref(),
            ItemData::Journal(j) => j.subject.as_deref(),
            ItemData::StickyNote(n) => n.name.as_deref().or(n.subject.as_deref()),
            ItemData::Discussion(d) => d.subject.as_deref(),
            ItemData::Other => ["subject", "name", "title"]
                .iter()
                .find_map(|k| self.extra.get(*k).and_then(Value::as_str)),
        }
    }

    /// The names of the item's `_actions` (what the server offers to do with it).
    /// The spec types `_actions` as an object keyed by action name; anything else gives none.
    pub fn action_names(&self) -> Vec<&str> {
        match self.extra.get(ACTIONS) {
            Some(Value::Object(m)) => m.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    pub fn attachments(&self) -> &[Attachment] {
        match &self.data {
            ItemData::Message(m) => &m.attachments,
            ItemData::Appointment(a) => &a.attachments,
            ItemData::Discussion(d) => &d.attachments,
            _ => &[],
        }
    }
}

/// The flat wire shape: every property of `RESTExchangeItemsComposed` (v6..v8), plus whatever else came.
#[derive(Default, Serialize, Deserialize)]
struct RawItem {
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(
        rename = "itemClass",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    item_class: Option<String>,
    #[serde(
        rename = "mailboxId",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    mailbox_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    cc: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    bcc: Option<String>,
    #[serde(default, deserialize_with = "opt_date", skip_serializing_if = "Option::is_none")]
    sent: Option<ApiDate>,
    #[serde(default, deserialize_with = "opt_date", skip_serializing_if = "Option::is_none")]
    received: Option<ApiDate>,
    #[serde(default, deserialize_with = "opt_bool", skip_serializing_if = "Option::is_none")]
    reminder: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    importance: Option<Importance>,
    #[serde(
        default,
        deserialize_with = "opt_vec_attachments",
        skip_serializing_if = "Option::is_none"
    )]
    attachments: Option<Vec<Attachment>>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    organizer: Option<String>,
    #[serde(
        default,
        deserialize_with = "opt_string_or_list",
        skip_serializing_if = "Option::is_none"
    )]
    attendees: Option<String>,
    #[serde(
        rename = "startTime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    start_time: Option<ApiDate>,
    #[serde(
        rename = "endTime",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    end_time: Option<ApiDate>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(
        rename = "recurrencePatternFormat",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    recurrence_pattern_format: Option<String>,
    #[serde(default, deserialize_with = "opt_bool", skip_serializing_if = "Option::is_none")]
    recurring: Option<bool>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(
        rename = "businessPhone",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    business_phone: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    company: Option<String>,
    #[serde(
        rename = "displayAs",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    display_as: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    fax: Option<String>,
    #[serde(
        rename = "fileAs",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    file_as: Option<String>,
    #[serde(
        rename = "fullName",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    full_name: Option<String>,
    #[serde(
        rename = "homePhone",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    home_phone: Option<String>,
    #[serde(
        rename = "imAddress",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    im_address: Option<String>,
    #[serde(
        rename = "jobTitle",
        default,
        deserialize_with = "opt_string_or_list",
        skip_serializing_if = "Option::is_none"
    )]
    job_title: Option<String>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    mobile: Option<String>,
    #[serde(
        rename = "webPage",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    web_page: Option<String>,
    #[serde(
        rename = "postedOn",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    posted_on: Option<ApiDate>,
    #[serde(default, deserialize_with = "opt_i64", skip_serializing_if = "Option::is_none")]
    duration: Option<i64>,
    #[serde(
        rename = "entryType",
        default,
        deserialize_with = "opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    entry_type: Option<String>,
    #[serde(default, deserialize_with = "opt_date", skip_serializing_if = "Option::is_none")]
    date: Option<ApiDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<TaskStatus>,
    #[serde(
        rename = "percentComplete",
        default,
        deserialize_with = "opt_f64",
        skip_serializing_if = "Option::is_none"
    )]
    percent_complete: Option<f64>,
    #[serde(
        rename = "startDate",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    start_date: Option<ApiDate>,
    #[serde(
        rename = "dueDate",
        default,
        deserialize_with = "opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    due_date: Option<ApiDate>,
    #[serde(default, deserialize_with = "opt_string", skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(
        rename = "_links",
        default,
        skip_serializing_if = "Links::is_empty",
        deserialize_with = "links_or_empty"
    )]
    links: Links,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

fn opt_vec_attachments<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Attachment>>, D::Error> {
    Ok(Some(vec_or_empty(d)?))
}

/// The spec says `attendees` is a string; documentation shows lists too. Join lists with "; ".
fn opt_string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Array(a)) => Some(
            a.into_iter()
                .map(|x| match x {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Some(other) => Some(other.to_string()),
    })
}

fn json_map<T: Serialize>(v: &T) -> Map<String, Value> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

impl From<RawItem> for Item {
    fn from(mut r: RawItem) -> Item {
        let id = r.id.take().unwrap_or_default();
        let item_class = r.item_class.take();
        let mailbox_id = r.mailbox_id.take();
        let links = std::mem::take(&mut r.links);
        let mut extra = std::mem::take(&mut r.extra);
        let data = match ItemKind::from_class(item_class.as_deref()) {
            ItemKind::Message => ItemData::Message(Message {
                from: r.from.take(),
                to: r.to.take(),
                cc: r.cc.take(),
                bcc: r.bcc.take(),
                subject: r.subject.take(),
                sent: r.sent.take(),
                received: r.received.take(),
                reminder: r.reminder.take(),
                importance: r.importance.take(),
                attachments: r.attachments.take().unwrap_or_default(),
            }),
            ItemKind::Appointment => ItemData::Appointment(Appointment {
                subject: r.subject.take(),
                organizer: r.organizer.take(),
                attendees: r.attendees.take(),
                start_time: r.start_time.take(),
                end_time: r.end_time.take(),
                location: r.location.take(),
                recurring: r.recurring.take(),
                recurrence_pattern_format: r.recurrence_pattern_format.take(),
                attachments: r.attachments.take().unwrap_or_default(),
            }),
            ItemKind::Contact => ItemData::Contact(Contact {
                full_name: r.full_name.take(),
                display_as: r.display_as.take(),
                file_as: r.file_as.take(),
                email: r.email.take(),
                company: r.company.take(),
                job_title: r.job_title.take(),
                address: r.address.take(),
                business_phone: r.business_phone.take(),
                home_phone: r.home_phone.take(),
                mobile: r.mobile.take(),
                fax: r.fax.take(),
                im_address: r.im_address.take(),
                web_page: r.web_page.take(),
            }),
            ItemKind::ContactGroup => ItemData::ContactGroup(ContactGroup { name: r.name.take() }),
            ItemKind::Task => ItemData::Task(Task {
                subject: r.subject.take(),
                status: r.status.take(),
                percent_complete: r.percent_complete.take(),
                start_date: r.start_date.take(),
                due_date: r.due_date.take(),
                owner: r.owner.take(),
            }),
            ItemKind::Journal => ItemData::Journal(Journal {
                subject: r.subject.take(),
                entry_type: r.entry_type.take(),
                start_time: r.start_time.take(),
                start_date: r.start_date.take(),
                duration: r.duration.take(),
                company: r.company.take(),
            }),
            ItemKind::StickyNote => ItemData::StickyNote(StickyNote {
                name: r.name.take(),
                subject: r.subject.take(),
                date: r.date.take(),
            }),
            ItemKind::Discussion => ItemData::Discussion(Discussion {
                from: r.from.take(),
                subject: r.subject.take(),
                posted_on: r.posted_on.take(),
                importance: r.importance.take(),
                attachments: r.attachments.take().unwrap_or_default(),
            }),
            ItemKind::Other => ItemData::Other,
        };
        // Whatever the variant did not take (all None fields are skipped) stays reachable in `extra`.
        extra.extend(json_map(&r));
        Item {
            id,
            item_class,
            mailbox_id,
            data,
            links,
            extra,
        }
    }
}

impl From<&Item> for RawItem {
    fn from(i: &Item) -> RawItem {
        let mut r = RawItem {
            id: Some(i.id.clone()),
            item_class: i.item_class.clone(),
            mailbox_id: i.mailbox_id.clone(),
            links: i.links.clone(),
            extra: i.extra.clone(),
            ..RawItem::default()
        };
        let atts = |a: &Vec<Attachment>| Some(a.clone());
        match &i.data {
            ItemData::Message(m) => {
                r.from = m.from.clone();
                r.to = m.to.clone();
                r.cc = m.cc.clone();
                r.bcc = m.bcc.clone();
                r.subject = m.subject.clone();
                r.sent = m.sent.clone();
                r.received = m.received.clone();
                r.reminder = m.reminder;
                r.importance = m.importance.clone();
                r.attachments = atts(&m.attachments);
            }
            ItemData::Appointment(a) => {
                r.subject = a.subject.clone();
                r.organizer = a.organizer.clone();
                r.attendees = a.attendees.clone();
                r.start_time = a.start_time.clone();
                r.end_time = a.end_time.clone();
                r.location = a.location.clone();
                r.recurring = a.recurring;
                r.recurrence_pattern_format = a.recurrence_pattern_format.clone();
                r.attachments = atts(&a.attachments);
            }
            ItemData::Contact(c) => {
                r.full_name = c.full_name.clone();
                r.display_as = c.display_as.clone();
                r.file_as = c.file_as.clone();
                r.email = c.email.clone();
                r.company = c.company.clone();
                r.job_title = c.job_title.clone();
                r.address = c.address.clone();
                r.business_phone = c.business_phone.clone();
                r.home_phone = c.home_phone.clone();
                r.mobile = c.mobile.clone();
                r.fax = c.fax.clone();
                r.im_address = c.im_address.clone();
                r.web_page = c.web_page.clone();
            }
            ItemData::ContactGroup(g) => r.name = g.name.clone(),
            ItemData::Task(t) => {
                r.subject = t.subject.clone();
                r.status = t.status.clone();
                r.percent_complete = t.percent_complete;
                r.start_date = t.start_date.clone();
                r.due_date = t.due_date.clone();
                r.owner = t.owner.clone();
            }
            ItemData::Journal(j) => {
                r.subject = j.subject.clone();
                r.entry_type = j.entry_type.clone();
                r.start_time = j.start_time.clone();
                r.start_date = j.start_date.clone();
                r.duration = j.duration;
                r.company = j.company.clone();
            }
            ItemData::StickyNote(n) => {
                r.name = n.name.clone();
                r.subject = n.subject.clone();
                r.date = n.date.clone();
            }
            ItemData::Discussion(d) => {
                r.from = d.from.clone();
                r.subject = d.subject.clone();
                r.posted_on = d.posted_on.clone();
                r.importance = d.importance.clone();
                r.attachments = atts(&d.attachments);
            }
            ItemData::Other => {}
        }
        r
    }
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RawItem::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Item {
    /// The id is required (the spec's every item operation needs it): an item without one, or with `null`
    /// or an empty string, is a damaged answer, never an item with an empty id.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawItem::deserialize(d)?;
        if raw.id.as_deref().is_none_or(|id| id.trim().is_empty()) {
            return Err(serde::de::Error::custom("an item without an id"));
        }
        Ok(Item::from(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_map_to_kinds() {
        let k = |c: &str| ItemKind::from_class(Some(c));
        assert_eq!(k("IPM.Note"), ItemKind::Message);
        assert_eq!(k("IPM.Note.SMIME"), ItemKind::Message);
        assert_eq!(k("IPM.Schedule.Meeting.Request"), ItemKind::Message);
        assert_eq!(k("REPORT.IPM.Note.NDR"), ItemKind::Message);
        assert_eq!(k("IPM.Appointment"), ItemKind::Appointment);
        assert_eq!(k("IPM.Contact"), ItemKind::Contact);
        assert_eq!(k("IPM.DistList"), ItemKind::ContactGroup);
        assert_eq!(k("IPM.Task"), ItemKind::Task);
        assert_eq!(k("IPM.Activity"), ItemKind::Journal);
        assert_eq!(k("IPM.StickyNote"), ItemKind::StickyNote);
        assert_eq!(k("IPM.Post"), ItemKind::Discussion);
        assert_eq!(k("IPM.Notebook"), ItemKind::Other);
        assert_eq!(ItemKind::from_class(None), ItemKind::Other);
    }

    /// The allocation-free classification is the one it replaced (upper-cased copy, prefix and dot), for
    /// every class prefix in every case, cut, extended, padded and with characters above ASCII.
    #[test]
    fn classes_map_as_the_upper_cased_comparison_did() {
        fn reference(class: Option<&str>) -> ItemKind {
            let Some(c) = class else { return ItemKind::Other };
            let c = c.trim().to_ascii_uppercase();
            let starts = |p: &str| c == p || c.starts_with(&format!("{p}."));
            if starts("IPM.NOTE") || starts("IPM.MESSAGE") || starts("IPM.SCHEDULE.MEETING") || c.starts_with("REPORT.")
            {
                ItemKind::Message
            } else if starts("IPM.APPOINTMENT") {
                ItemKind::Appointment
            } else if starts("IPM.CONTACT") {
                ItemKind::Contact
            } else if starts("IPM.DISTLIST") {
                ItemKind::ContactGroup
            } else if starts("IPM.TASK") || starts("IPM.TASKREQUEST") {
                ItemKind::Task
            } else if starts("IPM.ACTIVITY") || starts("IPM.JOURNAL") {
                ItemKind::Journal
            } else if starts("IPM.STICKYNOTE") {
                ItemKind::StickyNote
            } else if starts("IPM.POST") {
                ItemKind::Discussion
            } else {
                ItemKind::Other
            }
        }
        let bases = [
            "IPM.Note",
            "IPM.Message",
            "IPM.Schedule.Meeting",
            "REPORT.",
            "REPORT",
            "IPM.Appointment",
            "IPM.Contact",
            "IPM.DistList",
            "IPM.Task",
            "IPM.TaskRequest",
            "IPM.Activity",
            "IPM.Journal",
            "IPM.StickyNote",
            "IPM.Post",
            "IPM",
            "",
            "ipm.note",
            "IPM.NOTEBOOK",
        ];
        let mut n = 0;
        for b in bases {
            let lower = b.to_lowercase();
            let upper = b.to_uppercase();
            for c in [b, lower.as_str(), upper.as_str()] {
                let cut: Vec<String> = (0..=c.len()).map(|i| c[..i].to_string()).collect();
                for c in cut {
                    for tail in ["", ".", ".X", "X", ".SMIME", "é", ".é", "\u{17f}"] {
                        for pad in ["", " ", "\t \n"] {
                            let class = format!("{pad}{c}{tail}{pad}");
                            assert_eq!(ItemKind::from_class(Some(&class)), reference(Some(&class)), "{class:?}");
                            n += 1;
                        }
                    }
                }
            }
        }
        assert!(n > 1000, "{n}");
        assert_eq!(ItemKind::from_class(None), reference(None));
    }

    #[test]
    fn lenient_message_with_leftovers_round_trips() {
        let j = r#"{"id":"A/b+c=","itemClass":"IPM.Note","subject":"Hi","reminder":"false",
            "attachments":[{"name":"a.pdf","sizeBytes":"1024"}],"location":"odd","futureField":1,
            "importance":"Urgent","_links":{"self":{"href":"x"}}}"#;
        let i: Item = serde_json::from_str(j).unwrap();
        let ItemData::Message(m) = &i.data else {
            panic!("not a message")
        };
        assert_eq!(m.subject.as_deref(), Some("Hi"));
        assert_eq!(m.reminder, Some(false));
        assert_eq!(m.importance, Some(Importance::Other("Urgent".into())));
        assert_eq!(m.attachments[0].size_bytes, Some(1024));
        assert_eq!(i.extra.get("location").and_then(Value::as_str), Some("odd"));
        assert_eq!(i.extra.get("futureField"), Some(&Value::from(1)));
        let back: Item = serde_json::from_value(serde_json::to_value(&i).unwrap()).unwrap();
        assert_eq!(back, i);
    }

    /// The shapes of the item resource documentation (seed `mailbox-item-resource.txt`).
    #[test]
    fn the_seed_shapes_are_read() {
        let journal: Item = serde_json::from_str(
            r#"{"id":"j","itemClass":"IPM.Journal","subject":"Call","startDate":"2017-04-04T16:08:20.2882911Z",
               "duration":"1","entryType":"Phone Call"}"#,
        )
        .unwrap();
        let ItemData::Journal(j) = &journal.data else {
            panic!("not a journal: {journal:?}")
        };
        assert_eq!(j.duration, Some(1));
        assert_eq!(j.start_date, Some(ApiDate::parse("2017-04-04T16:08:20.2882911Z")));
        assert_eq!(j.start(), j.start_date.as_ref());
        assert!(!journal.extra.contains_key("startDate"), "{:?}", journal.extra);
        let note: Item = serde_json::from_str(
            r#"{"id":"n","itemClass":"IPM.StickyNote","name":"Important","date":"6/5/2017 1:12 PM"}"#,
        )
        .unwrap();
        assert_eq!(note.title(), Some("Important"));
        assert!(note.extra.is_empty(), "{:?}", note.extra);
        let appt: Item = serde_json::from_str(
            r#"{"id":"a","itemClass":"IPM.Appointment","attachments":[{"name":"agenda.docx","size":"20480"},
               {"name":"b","size":512},{"name":"c","size":"12 KB"}],
               "_actions":{"restoretoOriginallocation":{"uri":"https://h:4443/v3/x/action","method":"POST"},
                           "restoreTo":{"uri":"https://h:4443/v3/x/action","method":"POST"}}}"#,
        )
        .unwrap();
        let sizes: Vec<Option<i64>> = appt.attachments().iter().map(Attachment::bytes).collect();
        assert_eq!(sizes, [Some(20480), Some(512), None]);
        assert_eq!(appt.attachments()[2].size.as_deref(), Some("12 KB"));
        let mut names = appt.action_names();
        names.sort_unstable();
        assert_eq!(names, ["restoreTo", "restoretoOriginallocation"]);
        // Everything survives a round trip (`vex item --json`).
        for it in [journal, note, appt] {
            let back: Item = serde_json::from_value(serde_json::to_value(&it).unwrap()).unwrap();
            assert_eq!(back, it);
        }
    }

    #[test]
    fn unknown_class_keeps_raw_fields() {
        let i: Item = serde_json::from_str(r#"{"id":"x","itemClass":"IPM.Custom","subject":"S","foo":[1]}"#).unwrap();
        assert_eq!(i.kind(), ItemKind::Other);
        assert_eq!(i.title(), Some("S"));
        assert!(i.extra.contains_key("foo"));
    }
}
