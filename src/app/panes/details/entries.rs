//! What the details of an item show, as data: every field its type has (labelled; `—` when the server
//! sent none), dates in the operator's zone with the UTC value, attachments with human sizes, then any
//! other raw field; and those entries wrapped to a width ([`rows`]), which the layout counts (the
//! largest useful scroll) and `ui` styles.

use crate::api::models::{ACTIONS, ApiDate, Attachment, Item, ItemData, ItemKind, TaskStatus};
use crate::app::panes::preview::Shown;
use crate::app::zone::DisplayZone;
use crate::msg::{BodySource, RecipientKind};
use crate::text::{clip, human_size, sanitize, sanitize_lines, thousands, width, wrap};
use serde_json::Value;

/// One entry of the details.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A labelled value; `None` when the server sent nothing. Lines are sanitised.
    Field(&'static str, Option<Vec<String>>),
    /// A labelled value whose label came from the server (raw fields).
    RawField(String, Vec<String>),
    Section(String),
    /// Dim explanatory text.
    Note(String),
    /// A line of text of the item (its body), sanitised, wrapped to the whole width.
    Text(String),
    /// Something that went wrong (shown as an error).
    Problem(String),
    Blank,
}

/// The most of one value the details show (bytes): a 1 MiB subject or 10,000 recipients are cut there,
/// with a note, so each frame lays out a bounded amount of text.
pub const MAX_VALUE: usize = 16 * 1024;

/// A server value's lines, sanitised, cut at [`MAX_VALUE`].
fn long_lines(s: &str) -> Vec<String> {
    let (shown, cut) = clip(s, MAX_VALUE);
    let mut lines = sanitize_lines(shown);
    if cut {
        lines.push(format!("… (cut: {} bytes in all)", thousands(s.len() as u64)));
    }
    lines
}

fn text(label: &'static str, v: Option<&str>) -> Entry {
    Entry::Field(label, v.map(long_lines))
}

fn date(label: &'static str, v: Option<&ApiDate>, zone: &DisplayZone) -> Entry {
    Entry::Field(label, v.map(|d| vec![sanitize(&zone.long(d)).into_owned()]))
}

fn yes_no(label: &'static str, v: Option<bool>) -> Entry {
    Entry::Field(label, v.map(|b| vec![if b { "yes" } else { "no" }.to_string()]))
}

fn plain(label: &'static str, v: Option<String>) -> Entry {
    Entry::Field(label, v.map(|s| vec![sanitize(&s).into_owned()]))
}

fn attachments(out: &mut Vec<Entry>, atts: &[Attachment]) {
    out.push(Entry::Blank);
    if atts.is_empty() {
        out.push(Entry::Field("Attachments", Some(vec!["none".into()])));
        return;
    }
    out.push(Entry::Section(format!("Attachments ({})", atts.len())));
    for a in atts {
        // `sizeBytes` (spec) or `size` (documentation; a string there): bytes shown human, other text as sent.
        let size = match (a.bytes(), a.size.as_deref()) {
            (Some(n), _) => human_size(n),
            (None, Some(t)) if !t.trim().is_empty() => sanitize(clip(t.trim(), 10).0).into_owned(),
            _ => "?".into(),
        };
        let name = sanitize(clip(a.name.as_deref().unwrap_or("(no name)"), 1024).0).into_owned();
        out.push(Entry::RawField(
            String::new(),
            vec![format!("{}  {name}", crate::text::fit_right(&size, 10))],
        ));
    }
}

/// The people of a flat list as the item resource gives them (`attendees`: one string). Assumption (the
/// spec says only "Appointment attendees"): entries are separated by `;` (Exchange's way) or, in a list
/// without `;`, by `,` (the spec's example: `john.smith@…, jane.doe@…`).
pub fn split_people(s: &str) -> Vec<&str> {
    let sep = if s.contains(';') { ';' } else { ',' };
    s.split(sep).map(str::trim).filter(|p| !p.is_empty()).collect()
}

/// An appointment's attendees: how many, and (from its message file, where attendees are recipients:
/// To required, Cc optional, Bcc resources) how many of them are required or optional, then who. The
/// item resource's flat list is shown until the message file is read (it does not tell them apart).
fn attendees(out: &mut Vec<Entry>, api: Option<&str>, msg: Option<&crate::msg::Preview>) {
    let people = api.map(split_people).unwrap_or_default();
    let from_msg = msg.filter(|p| !p.recipients.is_empty() || p.more_recipients > 0);
    let Some(p) = from_msg else {
        let Some(list) = api.filter(|s| !s.trim().is_empty()) else {
            out.push(Entry::Field("Attendees", Some(vec!["none".into()])));
            return;
        };
        let mut lines = vec![format!(
            "{} (required / optional: in the message file)",
            thousands(people.len() as u64)
        )];
        lines.extend(long_lines(list));
        out.push(Entry::Field("Attendees", Some(lines)));
        return;
    };
    let count = |k: RecipientKind| p.recipients_of(k).count() as u64;
    let (req, opt, res) = (
        count(RecipientKind::To),
        count(RecipientKind::Cc),
        count(RecipientKind::Bcc),
    );
    let n = p.recipients.len() as u64 + p.more_recipients as u64;
    let mut line = format!(
        "{}: {} required, {} optional",
        thousands(n),
        thousands(req),
        thousands(opt)
    );
    if res > 0 {
        line.push_str(&format!(
            ", {} resource{}",
            thousands(res),
            if res == 1 { "" } else { "s" }
        ));
    }
    if p.more_recipients > 0 {
        line.push_str(&format!(
            " ({} more not told apart)",
            thousands(p.more_recipients as u64)
        ));
    }
    out.push(Entry::Field("Attendees", Some(vec![line])));
    for (k, label) in [
        (RecipientKind::To, "Required"),
        (RecipientKind::Cc, "Optional"),
        (RecipientKind::Bcc, "Resources"),
    ] {
        let who: Vec<String> = p.recipients_of(k).map(|r| r.person.display()).collect();
        if !who.is_empty() {
            out.push(Entry::Field(label, Some(who)));
        }
    }
}

/// A raw JSON value as text (strings unquoted).
fn raw_value(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => long_lines(s),
        Value::Null => vec!["null".into()],
        other => long_lines(&other.to_string()),
    }
}

/// The `Folder` line: where the item is (see `app::folder_paths`; `Shown` is sanitised already).
pub fn folder(shown: &crate::app::folder_paths::Shown) -> Entry {
    Entry::Field("Folder", Some(vec![shown.line()]))
}

/// Everything shown about an item, in order.
pub fn entries(it: &Item, zone: &DisplayZone) -> Vec<Entry> {
    with_preview(it, zone, None)
}

/// Everything shown about an item, with its preview (body, recipients, attachments of its MSG file)
/// after the fields of its kind, before the action names, other fields and ids.
pub fn with_preview(it: &Item, zone: &DisplayZone, preview: Option<Shown<'_>>) -> Vec<Entry> {
    let loaded = match preview {
        Some(Shown::Loaded(p)) => Some(p),
        _ => None,
    };
    let mut out = fields(it, zone, loaded);
    let after_sections = preview.is_some();
    if let Some(p) = preview {
        preview_entries(&mut out, it, p);
    }
    rest(it, &mut out, after_sections);
    out
}

/// The type and the fields of the item's kind (`msg`: its message file, when read: an appointment's
/// attendees are told apart there).
fn fields(it: &Item, zone: &DisplayZone, msg: Option<&crate::msg::Preview>) -> Vec<Entry> {
    let mut out = Vec::new();
    let kind = it.kind();
    let class = it.item_class.as_deref().unwrap_or("no itemClass");
    out.push(Entry::Field(
        "Type",
        Some(vec![format!("{} ({})", kind.label(), sanitize(class))]),
    ));
    match &it.data {
        ItemData::Message(m) => {
            out.push(text("From", m.from.as_deref()));
            out.push(text("To", m.to.as_deref()));
            out.push(text("Cc", m.cc.as_deref()));
            out.push(text("Bcc", m.bcc.as_deref()));
            out.push(text("Subject", m.subject.as_deref()));
            out.push(date("Sent", m.sent.as_ref(), zone));
            out.push(date("Received", m.received.as_ref(), zone));
            out.push(plain(
                "Importance",
                m.importance.as_ref().map(|i| i.as_str().to_string()),
            ));
            out.push(yes_no("Reminder", m.reminder));
            attachments(&mut out, &m.attachments);
        }
        ItemData::Appointment(a) => {
            // When and where first, then who.
            out.push(date("Start", a.start_time.as_ref(), zone));
            out.push(date("End", a.end_time.as_ref(), zone));
            out.push(text("Location", a.location.as_deref()));
            out.push(text("Organizer", a.organizer.as_deref()));
            out.push(text("Subject", a.subject.as_deref()));
            attendees(&mut out, a.attendees.as_deref(), msg);
            out.push(yes_no("Recurring", a.recurring));
            out.push(text("Recurrence", a.recurrence_pattern_format.as_deref()));
            attachments(&mut out, &a.attachments);
        }
        ItemData::Contact(c) => {
            out.push(text("Full name", c.full_name.as_deref()));
            out.push(text("Display as", c.display_as.as_deref()));
            out.push(text("File as", c.file_as.as_deref()));
            out.push(text("Email", c.email.as_deref()));
            out.push(text("Company", c.company.as_deref()));
            out.push(text("Job title", c.job_title.as_deref()));
            out.push(text("Address", c.address.as_deref()));
            out.push(text("Business phone", c.business_phone.as_deref()));
            out.push(text("Home phone", c.home_phone.as_deref()));
            out.push(text("Mobile", c.mobile.as_deref()));
            out.push(text("Fax", c.fax.as_deref()));
            out.push(text("IM address", c.im_address.as_deref()));
            out.push(text("Web page", c.web_page.as_deref()));
        }
        ItemData::ContactGroup(g) => {
            out.push(text("Name", g.name.as_deref()));
        }
        ItemData::Task(t) => {
            out.push(text("Subject", t.subject.as_deref()));
            out.push(plain("Status", t.status.as_ref().map(task_status)));
            out.push(plain("% complete", t.percent_complete.map(percent)));
            out.push(date("Start date", t.start_date.as_ref(), zone));
            out.push(date("Due date", t.due_date.as_ref(), zone));
            out.push(text("Owner", t.owner.as_deref()));
        }
        ItemData::Journal(j) => {
            out.push(text("Subject", j.subject.as_deref()));
            out.push(text("Entry type", j.entry_type.as_deref()));
            out.push(date("Start", j.start(), zone));
            if j.start_time.is_some() && j.start_date.is_some() && j.start_time != j.start_date {
                // Both names sent with different values: show the second too rather than drop it.
                out.push(date("Start date", j.start_date.as_ref(), zone));
            }
            out.push(plain("Duration", j.duration.map(hours)));
            out.push(text("Company", j.company.as_deref()));
        }
        ItemData::StickyNote(n) => {
            out.push(text("Name", n.name.as_deref()));
            out.push(text("Note", n.subject.as_deref()));
            out.push(date("Date", n.date.as_ref(), zone));
        }
        ItemData::Discussion(d) => {
            out.push(text("From", d.from.as_deref()));
            out.push(text("Subject", d.subject.as_deref()));
            out.push(date("Posted on", d.posted_on.as_ref(), zone));
            out.push(plain(
                "Importance",
                d.importance.as_ref().map(|i| i.as_str().to_string()),
            ));
            attachments(&mut out, &d.attachments);
        }
        ItemData::Other => {
            out.push(Entry::Note(
                "vex does not know this item class: the fields as the server sent them:".into(),
            ));
        }
    }
    out
}

/// The action names, the fields vex does not know, the ids (`after_sections`: below a preview's sections,
/// not among the item's fields).
fn rest(it: &Item, out: &mut Vec<Entry>, after_sections: bool) {
    let kind = it.kind();
    // `_actions` (links to what the server can do with the item) is no field of the item: at most its
    // action names, on one line.
    let actions = it.action_names();
    if !actions.is_empty() {
        // After a preview's sections (a body, a note, the message file's recipients or attachments), the
        // action names would read as their last line.
        if after_sections && out.last() != Some(&Entry::Blank) {
            out.push(Entry::Blank);
        }
        let names: Vec<&str> = actions.iter().map(|n| clip(n, 64).0).collect();
        out.push(Entry::Field("Actions", Some(long_lines(&names.join(", ")))));
    }
    let others: Vec<(&String, &Value)> = it.extra.iter().filter(|(k, _)| k.as_str() != ACTIONS).collect();
    if !others.is_empty() {
        out.push(Entry::Blank);
        let title = if kind == ItemKind::Other {
            "Fields"
        } else {
            "Other fields"
        };
        out.push(Entry::Section(title.into()));
        for (k, v) in others {
            out.push(Entry::RawField(sanitize(clip(k, 1024).0).into_owned(), raw_value(v)));
        }
    }
    out.push(Entry::Blank);
    out.push(Entry::Field("Item id", Some(vec![sanitize(&it.id).into_owned()])));
    if let Some(m) = &it.mailbox_id {
        out.push(Entry::Field("Mailbox id", Some(vec![sanitize(m).into_owned()])));
    }
}

/// The heading of the body text for an item of `kind`.
fn body_heading(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Appointment => "Description",
        ItemKind::Contact | ItemKind::ContactGroup | ItemKind::Task | ItemKind::Journal => "Notes",
        ItemKind::StickyNote => "Note",
        _ => "Body",
    }
}

/// The labels of the three kinds of recipient: a meeting's are attendees and resources.
fn recipient_labels(kind: ItemKind) -> [&'static str; 3] {
    match kind {
        ItemKind::Appointment => ["Required", "Optional", "Resources"],
        _ => ["To", "Cc", "Bcc"],
    }
}

/// The preview's entries: its body, then the recipients and attachments the MSG file names. Every string
/// in a [`Preview`] is sanitised already (by [`crate::msg`]).
fn preview_entries(out: &mut Vec<Entry>, it: &Item, shown: Shown<'_>) {
    let kind = it.kind();
    out.push(Entry::Blank);
    let p = match shown {
        Shown::Loading => {
            out.push(Entry::Section(body_heading(kind).into()));
            out.push(Entry::Note("loading the message…".into()));
            return;
        }
        Shown::NotOffered => {
            out.push(Entry::Section(body_heading(kind).into()));
            out.push(Entry::Note(
                "not shown: the server does not offer to save this item as MSG".into(),
            ));
            return;
        }
        Shown::Failed(e) => {
            out.push(Entry::Section(body_heading(kind).into()));
            out.push(Entry::Problem(format!("no preview: {e}")));
            return;
        }
        Shown::Loaded(p) => p,
    };
    let heading = match p.body_source {
        BodySource::Html => format!("{} (HTML shown as text)", body_heading(kind)),
        _ => body_heading(kind).to_string(),
    };
    out.push(Entry::Section(heading));
    match p.body_source {
        BodySource::None => out.push(Entry::Note("the message file has no plain or HTML body".into())),
        _ if p.body.iter().all(|l| l.trim().is_empty()) => out.push(Entry::Note("(empty)".into())),
        _ => {
            // Leading and trailing blank lines only push the text out of sight.
            let first = p.body.iter().position(|l| !l.trim().is_empty()).unwrap_or(0);
            let last = p.body.iter().rposition(|l| !l.trim().is_empty()).unwrap_or(0);
            out.extend(p.body[first..=last].iter().map(|l| Entry::Text(l.clone())));
        }
    }
    if p.body_truncated {
        out.push(Entry::Note(format!(
            "… the body is cut here ({} lines shown)",
            thousands(p.body.len() as u64)
        )));
    }
    // Shown once: the recipients and attachments the item's fields named already are not repeated; what
    // only the message file names follows, under its own heading (an appointment's attendees are told
    // apart among its fields).
    let named: String = match &it.data {
        ItemData::Message(m) => [&m.to, &m.cc, &m.bcc]
            .iter()
            .filter_map(|v| v.as_deref())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
        _ => String::new(),
    };
    let listed = |r: &crate::msg::Recipient| {
        let key = if r.person.address.is_empty() {
            &r.person.name
        } else {
            &r.person.address
        };
        !key.is_empty() && named.contains(&key.to_lowercase())
    };
    let api_listed = !named.trim().is_empty();
    let only: Vec<&crate::msg::Recipient> = p.recipients.iter().filter(|r| !listed(r)).collect();
    if kind != ItemKind::Appointment && (!only.is_empty() || p.more_recipients > 0) {
        out.push(Entry::Blank);
        let n = only.len() + p.more_recipients;
        let which = if api_listed { "Other recipients" } else { "Recipients" };
        out.push(Entry::Section(format!(
            "{which} in the message file ({})",
            thousands(n as u64)
        )));
        let labels = recipient_labels(kind);
        for (rk, label) in [RecipientKind::To, RecipientKind::Cc, RecipientKind::Bcc]
            .into_iter()
            .zip(labels)
        {
            let people: Vec<String> = only
                .iter()
                .filter(|r| r.kind == rk)
                .map(|r| r.person.display())
                .collect();
            if !people.is_empty() {
                out.push(Entry::Field(label, Some(people)));
            }
        }
        if p.more_recipients > 0 {
            out.push(Entry::Note(format!("and {} more", thousands(p.more_recipients as u64))));
        }
    }
    let api_atts: Vec<String> = it
        .attachments()
        .iter()
        .filter_map(|a| a.name.as_deref())
        .map(|n| sanitize(n).to_lowercase())
        .collect();
    let other_atts: Vec<&crate::msg::MsgAttachment> = p
        .attachments
        .iter()
        .filter(|a| !api_atts.contains(&a.name.to_lowercase()))
        .collect();
    if !other_atts.is_empty() || (p.more_attachments > 0 && api_atts.is_empty()) {
        out.push(Entry::Blank);
        let n = other_atts.len() + if api_atts.is_empty() { p.more_attachments } else { 0 };
        let which = if api_atts.is_empty() {
            "Attachments"
        } else {
            "Other attachments"
        };
        out.push(Entry::Section(format!(
            "{which} in the message file ({})",
            thousands(n as u64)
        )));
        for a in other_atts {
            let size = a
                .size
                .map_or_else(|| "?".into(), |n| human_size(n.min(i64::MAX as u64) as i64));
            out.push(Entry::RawField(
                String::new(),
                vec![format!("{}  {}", crate::text::fit_right(&size, 10), a.name)],
            ));
        }
        if p.more_attachments > 0 && api_atts.is_empty() {
            out.push(Entry::Note(format!(
                "and {} more",
                thousands(p.more_attachments as u64)
            )));
        }
    }
}

/// Label column width.
const LABEL: usize = 15;

/// A line of the details wrapped to a width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DetailRow {
    /// A label (fitted to the label column; blank on a value's later lines) and a line of the value;
    /// `missing` when the server sent none (shown as `—`).
    Field {
        label: String,
        value: String,
        missing: bool,
    },
    Section(String),
    Note(String),
    Text(String),
    Problem(String),
    Blank,
}

/// The entries as lines wrapped to `w` columns (label column, hanging indent).
pub fn rows(entries: &[Entry], w: usize) -> Vec<DetailRow> {
    let mut out = Vec::new();
    let label_w = LABEL.min(w / 3).max(1);
    let value_w = w.saturating_sub(label_w + 1).max(8);
    let push_field = |out: &mut Vec<DetailRow>, label: String, value: Option<&[String]>| {
        let label = crate::text::fit(&label, label_w);
        let (vals, missing): (Vec<String>, bool) = match value {
            Some(v) => (v.iter().flat_map(|l| wrap(l, value_w)).collect(), false),
            None => (vec!["—".into()], true),
        };
        for (i, value) in vals.into_iter().enumerate() {
            let label = if i == 0 { label.clone() } else { " ".repeat(label_w) };
            out.push(DetailRow::Field { label, value, missing });
        }
    };
    for e in entries {
        match e {
            Entry::Field(label, v) => push_field(&mut out, (*label).to_string(), v.as_deref()),
            Entry::RawField(label, v) => {
                let label = if width(label) > label_w {
                    crate::text::truncate(label, label_w)
                } else {
                    label.clone()
                };
                push_field(&mut out, label, Some(v))
            }
            Entry::Section(t) => out.push(DetailRow::Section(t.clone())),
            Entry::Note(t) => {
                for l in wrap(t, w.max(1)) {
                    out.push(DetailRow::Note(l));
                }
            }
            Entry::Text(t) if t.is_empty() => out.push(DetailRow::Text(String::new())),
            Entry::Text(t) => out.extend(wrap(t, w.max(1)).into_iter().map(DetailRow::Text)),
            Entry::Problem(t) => out.extend(wrap(t, w.max(1)).into_iter().map(DetailRow::Problem)),
            Entry::Blank => out.push(DetailRow::Blank),
        }
    }
    out
}

/// A task status as a short word.
pub fn task_status(s: &TaskStatus) -> String {
    match s {
        TaskStatus::NotStarted => "Not started".into(),
        TaskStatus::InProgress => "In progress".into(),
        TaskStatus::Completed => "Completed".into(),
        TaskStatus::WaitingOnSomeoneElse => "Waiting".into(),
        TaskStatus::Deferred => "Deferred".into(),
        TaskStatus::Other(o) => sanitize(o).into_owned(),
    }
}

/// A percentage without a useless fraction: `50%`, `12.5%`.
pub fn percent(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Journal durations are hours (spec: "Duration of the journal entry in hours"; the item resource
/// documentation says the same): `1 h`, `36 h`.
pub fn hours(h: i64) -> String {
    format!("{} h", thousands_signed(h))
}

fn thousands_signed(n: i64) -> String {
    let t = thousands(n.unsigned_abs());
    if n < 0 { format!("-{t}") } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(es: &[Entry]) -> Vec<String> {
        es.iter()
            .flat_map(|e| match e {
                Entry::Field(l, v) => vec![format!("{l}: {}", v.clone().unwrap_or_default().join("|"))],
                Entry::RawField(l, v) => vec![format!("{l}: {}", v.join("|"))],
                Entry::Section(t) => vec![format!("## {t}")],
                Entry::Note(t) | Entry::Text(t) | Entry::Problem(t) => vec![t.clone()],
                Entry::Blank => vec![],
            })
            .collect()
    }

    /// The action names are a field of their own, apart from the body text, note or problem above them
    /// (they followed the last line of the body on the same block, found in a QA pass: `Pawel Zak` then
    /// `Actions  exporttoPst, ...` read as part of the message).
    #[test]
    fn the_action_names_stand_apart_from_the_body() {
        let it: Item = serde_json::from_value(serde_json::json!({
            "id": "j-1", "itemClass": "IPM.Activity", "subject": "Call",
            "_actions": {"restoreTo": {"uri": "https://h/v8/x", "method": "POST"}}
        }))
        .unwrap();
        for shown in [Shown::NotOffered, Shown::Loading, Shown::Failed("gone")] {
            let es = with_preview(&it, &DisplayZone::UTC, Some(shown));
            let at = es
                .iter()
                .position(|e| matches!(e, Entry::Field("Actions", _)))
                .expect("an Actions line");
            assert_eq!(es[at - 1], Entry::Blank, "{es:?}");
        }
        // Among the fields (no preview), it stays one of them: no blank before it.
        let es = entries(&it, &DisplayZone::UTC);
        let at = es
            .iter()
            .position(|e| matches!(e, Entry::Field("Actions", _)))
            .expect("an Actions line");
        assert!(matches!(es[at - 1], Entry::Field(..)), "{es:?}");
    }

    /// The item resource as the seed documents it: attachment `size`, `_actions`, journal `startDate` and
    /// `duration` in hours, a note's `name`.
    #[test]
    fn the_seed_shapes_are_shown() {
        let appt: Item = serde_json::from_value(serde_json::json!({
            "id": "a", "itemClass": "IPM.Appointment", "subject": "Review",
            "attachments": [{"name": "agenda.docx", "size": "20480"}, {"name": "odd.bin", "size": "12 KB"},
                            {"name": "spec.pdf", "sizeBytes": 1048576}],
            "_actions": {"restoreTo": {"uri": "https://h:4443/v3/x/action", "method": "POST"},
                         "savetoMsg": {"uri": "https://h:4443/v3/x/action", "method": "POST"}},
            "futureField": 1
        }))
        .unwrap();
        let v = values(&entries(&appt, &DisplayZone::UTC));
        let text = v.join("\n");
        assert!(
            text.contains("20 KiB  agenda.docx") || text.contains("20.0 KiB  agenda.docx"),
            "{text}"
        );
        assert!(text.contains("12 KB  odd.bin"), "{text}");
        assert!(
            text.contains("1.0 MiB  spec.pdf") || text.contains("1 MiB  spec.pdf"),
            "{text}"
        );
        assert!(v.contains(&"Actions: restoreTo, savetoMsg".to_string()), "{text}");
        assert!(
            !text.contains("uri") && !text.contains("POST"),
            "no raw JSON of _actions: {text}"
        );
        assert!(
            text.contains("## Other fields") && text.contains("futureField: 1"),
            "{text}"
        );

        let journal: Item = serde_json::from_value(serde_json::json!({
            "id": "j", "itemClass": "IPM.Journal", "subject": "Call",
            "startDate": "2017-04-04T16:08:20Z", "duration": "3", "entryType": "Phone Call"
        }))
        .unwrap();
        let v = values(&entries(&journal, &DisplayZone::UTC));
        assert!(v.iter().any(|l| l.starts_with("Start: 2017-04-04 16:08")), "{v:?}");
        assert!(v.contains(&"Duration: 3 h".to_string()), "{v:?}");
        assert!(
            !v.iter().any(|l| l.contains("Other fields")),
            "startDate is read, not left over: {v:?}"
        );

        let note: Item = serde_json::from_value(serde_json::json!({
            "id": "n", "itemClass": "IPM.StickyNote", "name": "Important", "date": "6/5/2017 1:12 PM"
        }))
        .unwrap();
        let v = values(&entries(&note, &DisplayZone::UTC));
        assert!(v.contains(&"Name: Important".to_string()), "{v:?}");
    }
}
