//! Property-based fuzzing of the wire models and the lenient parsers (proptest: runs on stable, in CI).
//!
//! - every response model decodes arbitrary bytes, arbitrary JSON values, byte-level mutations of valid
//!   documents and structured mutations of them (nodes replaced, removed, retyped, keys added) without
//!   panicking;
//! - generated valid values survive serialize → deserialize unchanged (strict output, lenient input);
//! - `ApiDate::parse` takes any string, date-like strings with broken parts included, and gives back
//!   what `to_wire` wrote; the lenient number, bool, string, list and date helpers take any JSON value
//!   and keep exact values.
//!
//! The default number of cases keeps the whole file well under 30 s in a debug build on 2 cores.
//! Run it longer with, for example:
//!
//! ```sh
//! PROPTEST_CASES=100000 cargo test --release --test fuzz_models
//! ```
//!
//! (`PROPTEST_CASES` replaces every test's default.) A failure prints the minimal input; keep it as a
//! regression test at the end of this file, next to the ones already found.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};
use vex::api::models::lenient;
use vex::api::models::*;

// ---------------------------------------------------------------------------------------------------------
// Configuration

/// `PROPTEST_CASES` when set, else `default`.
fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // Failures are kept as explicit regression tests below, not in files next to the sources.
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding everything

/// Decodes `bytes` as every response model; the results do not matter, only that nothing panics.
fn decode_all_bytes(bytes: &[u8]) {
    fn one<T: DeserializeOwned + serde::Serialize>(bytes: &[u8]) {
        if let Ok(v) = serde_json::from_slice::<T>(bytes) {
            // What was accepted can be written out again.
            let _ = serde_json::to_vec(&v).expect("a decoded model serialises");
        }
    }
    one::<Page<Organization>>(bytes);
    one::<Page<RestoreSession>>(bytes);
    one::<Page<SessionEvent>>(bytes);
    one::<Page<Mailbox>>(bytes);
    one::<Page<Folder>>(bytes);
    one::<Page<Item>>(bytes);
    one::<Vec<Organization>>(bytes);
    one::<Item>(bytes);
    one::<RestoreSession>(bytes);
    one::<SessionEvent>(bytes);
    one::<Mailbox>(bytes);
    one::<Folder>(bytes);
    one::<TokenResponse>(bytes);
    one::<ItemsRestoreStatistics>(bytes);
    one::<RestoreSessionStatistics>(bytes);
    one::<AsyncRestoreResponse>(bytes);
    one::<ExceptionInfo>(bytes);
    one::<OAuthError>(bytes);
    one::<DeviceCode>(bytes);
    one::<Organization>(bytes);
    one::<ServiceInstance>(bytes);
}

/// The same from a JSON value (both through text and directly).
fn decode_all_value(v: &Value) {
    fn one<T: DeserializeOwned + serde::Serialize>(v: &Value) {
        if let Ok(x) = serde_json::from_value::<T>(v.clone()) {
            let _ = serde_json::to_value(&x).expect("a decoded model serialises");
        }
    }
    one::<Page<Organization>>(v);
    one::<Page<RestoreSession>>(v);
    one::<Page<SessionEvent>>(v);
    one::<Page<Mailbox>>(v);
    one::<Page<Folder>>(v);
    one::<Page<Item>>(v);
    one::<Item>(v);
    one::<RestoreSession>(v);
    one::<SessionEvent>(v);
    one::<Mailbox>(v);
    one::<Folder>(v);
    one::<TokenResponse>(v);
    one::<ItemsRestoreStatistics>(v);
    one::<RestoreSessionStatistics>(v);
    one::<ExceptionInfo>(v);
    one::<DeviceCode>(v);
    one::<Organization>(v);
    decode_all_bytes(&serde_json::to_vec(v).expect("a value serialises"));
}

// ---------------------------------------------------------------------------------------------------------
// Strategies: text, JSON

/// Characters a hostile or sloppy server might send: ASCII, C0/C1 controls, bidi and zero-width marks,
/// combining marks, CJK, emoji, anything.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => proptest::char::range(' ', '~'),
        1 => proptest::char::range('\0', '\x1f'),
        1 => proptest::char::range('\x7f', '\u{9f}'),
        1 => prop::sample::select(vec![
            '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{301}',
            '\u{FFFD}', '\u{2028}', '\u{FFFF}', '\u{10FFFF}', 'é', 'ß', 'İ', 'ǅ',
        ]),
        1 => proptest::char::range('\u{4e00}', '\u{4fff}'),
        1 => proptest::char::range('\u{1F300}', '\u{1F6FF}'),
        1 => any::<char>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    vec(hostile_char(), 0..20).prop_map(|v| v.into_iter().collect())
}

/// Strings that look like what a field may hold: numbers, booleans, dates, enum values, or anything.
fn wire_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => text(),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "true", "false", "True", "yes", "0", "1", "", " ", "null", "NaN", "inf", "-inf", "1e400",
            "99999999999999999999999", "-0", "0x10", "Running", "Success", "Working", "Vex", "IPM.Note",
            "IPM.Appointment", "IPM.Contact", "IPM.DistList", "IPM.Task", "IPM.Activity", "IPM.StickyNote",
            "IPM.Post", "REPORT.IPM.Note.NDR", "IPM.Custom", "High", "Normal", "Completed", "Restore",
        ])
        .prop_map(str::to_string),
        1 => date_like(),
    ]
}

/// Every field name of the models, so generated objects hit the typed fields.
const KEYS: &[&str] = &[
    "id",
    "name",
    "email",
    "isArchive",
    "isPublic",
    "_links",
    "href",
    "self",
    "results",
    "offset",
    "limit",
    "setId",
    "totalCount",
    "itemClass",
    "mailboxId",
    "subject",
    "from",
    "to",
    "cc",
    "bcc",
    "sent",
    "received",
    "reminder",
    "importance",
    "attachments",
    "sizeBytes",
    "organizer",
    "attendees",
    "startTime",
    "endTime",
    "location",
    "recurring",
    "recurrencePatternFormat",
    "fullName",
    "displayAs",
    "fileAs",
    "company",
    "jobTitle",
    "address",
    "businessPhone",
    "homePhone",
    "mobile",
    "fax",
    "imAddress",
    "webPage",
    "status",
    "percentComplete",
    "startDate",
    "dueDate",
    "owner",
    "entryType",
    "duration",
    "date",
    "postedOn",
    "type",
    "state",
    "result",
    "creationTime",
    "initiatedBy",
    "details",
    "scopeName",
    "clientHost",
    "reason",
    "eTag",
    "organization",
    "itemName",
    "itemType",
    "itemSizeBytes",
    "source",
    "target",
    "title",
    "message",
    "order",
    "errorCode",
    "access_token",
    "refresh_token",
    "token_type",
    "expires_in",
    "userName",
    ".issued",
    ".expires",
    "createdItemsCount",
    "mergedItemsCount",
    "failedItemsCount",
    "skippedItemsCount",
    "failedFoldersCount",
    "exceptions",
    "warnings",
    "cannotContinueError",
    "totalItemsCount",
    "restoredItemsCount",
    "errors",
    "items",
    "itemRestoreDetailsType",
    "mailboxEmail",
    "mailboxIsArchive",
    "mailboxIsPublic",
    "createdMailboxItemsCount",
    "mergedMailboxItemsCount",
    "failedMailboxItemsCount",
    "skippedMailboxItemsCount",
    "cannotContinueMailboxError",
    "userCode",
    "verificationUrl",
    "expiresIn",
    "officeName",
    "region",
    "isBackedup",
    "isExchangeOnline",
    "firstBackuptime",
    "lastBackuptime",
    "sessionId",
    "installationId",
    "version",
    "error",
    "error_description",
    "category",
    "description",
    "path",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => text()]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        prop::sample::select(vec![0.5f64, -1.0, 1e300, -1e-300, 9.007_199_254_740_993e15]).prop_map(Value::from),
        wire_string().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(key(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------------------
// Strategies: valid models

/// A point in time the server can write: years 1..=9999, 100 ns precision (7 fraction digits).
fn instant() -> impl Strategy<Value = OffsetDateTime> {
    let lo = time::macros::datetime!(0001-01-01 00:00:00 UTC).unix_timestamp();
    let hi = time::macros::datetime!(9999-12-31 23:59:59 UTC).unix_timestamp();
    (lo..=hi, 0u32..10_000_000).prop_map(|(s, ticks)| {
        OffsetDateTime::from_unix_timestamp(s).expect("in range") + time::Duration::nanoseconds(i64::from(ticks) * 100)
    })
}

fn civil() -> impl Strategy<Value = PrimitiveDateTime> {
    instant().prop_map(|t| PrimitiveDateTime::new(t.date(), t.time()))
}

fn api_date() -> impl Strategy<Value = ApiDate> {
    prop_oneof![
        4 => instant().prop_map(ApiDate::Utc),
        2 => civil().prop_map(ApiDate::Civil),
        1 => text().prop_filter_map("a raw value that stays raw", |s| {
            (ApiDate::parse(&s) == ApiDate::Raw(s.clone()) && !s.trim().is_empty()).then_some(ApiDate::Raw(s))
        }),
    ]
}

fn opt<T: std::fmt::Debug + Clone + 'static>(s: impl Strategy<Value = T> + 'static) -> BoxedStrategy<Option<T>> {
    prop::option::weighted(0.7, s).boxed()
}

fn links() -> impl Strategy<Value = Links> {
    btree_map(text(), text().prop_map(|href| Link { href }), 0..3)
}

/// Unknown fields, kept raw: keys that are no field of any model.
fn extra() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(text().prop_map(|k| format!("x-{k}")), json_value(), 0..3).prop_map(|m| m.into_iter().collect())
}

macro_rules! enum_strategy {
    ($t:ident) => {
        prop_oneof![
            3 => prop::sample::select($t::ALL.to_vec()),
            1 => text().prop_filter_map("an unknown value", |s| {
                let v = $t::parse(&s);
                matches!(v, $t::Other(_)).then_some(v)
            }),
        ]
    };
}

fn attachment() -> impl Strategy<Value = Attachment> {
    (opt(text()), opt(any::<i64>()), opt(text())).prop_map(|(name, size_bytes, size)| Attachment {
        name,
        size_bytes,
        size,
    })
}

fn finite_f64() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |f| f.is_finite())
}

fn item() -> impl Strategy<Value = Item> {
    let s = || opt(text());
    let d = || opt(api_date());
    let atts = || vec(attachment(), 0..3);
    let message = (
        (s(), s(), s(), s(), s()),
        (d(), d(), opt(any::<bool>()), opt(enum_strategy!(Importance)), atts()),
    )
        .prop_map(
            |((from, to, cc, bcc, subject), (sent, received, reminder, importance, attachments))| {
                ItemData::Message(Message {
                    from,
                    to,
                    cc,
                    bcc,
                    subject,
                    sent,
                    received,
                    reminder,
                    importance,
                    attachments,
                })
            },
        );
    let appointment = ((s(), s(), s(), d(), d()), (s(), opt(any::<bool>()), s(), atts())).prop_map(
        |((subject, organizer, attendees, start_time, end_time), (location, recurring, pattern, attachments))| {
            ItemData::Appointment(Appointment {
                subject,
                organizer,
                attendees,
                start_time,
                end_time,
                location,
                recurring,
                recurrence_pattern_format: pattern,
                attachments,
            })
        },
    );
    let contact = ((s(), s(), s(), s(), s(), s(), s()), (s(), s(), s(), s(), s(), s())).prop_map(
        |((full_name, display_as, file_as, email, company, job_title, address), (bp, hp, mobile, fax, im, web))| {
            ItemData::Contact(Contact {
                full_name,
                display_as,
                file_as,
                email,
                company,
                job_title,
                address,
                business_phone: bp,
                home_phone: hp,
                mobile,
                fax,
                im_address: im,
                web_page: web,
            })
        },
    );
    let group = s().prop_map(|name| ItemData::ContactGroup(ContactGroup { name }));
    let task = (s(), opt(enum_strategy!(TaskStatus)), opt(finite_f64()), d(), d(), s()).prop_map(
        |(subject, status, percent_complete, start_date, due_date, owner)| {
            ItemData::Task(Task {
                subject,
                status,
                percent_complete,
                start_date,
                due_date,
                owner,
            })
        },
    );
    let journal = (s(), s(), d(), d(), opt(any::<i64>()), s()).prop_map(
        |(subject, entry_type, start_time, start_date, duration, company)| {
            ItemData::Journal(Journal {
                subject,
                entry_type,
                start_time,
                start_date,
                duration,
                company,
            })
        },
    );
    let note =
        (s(), s(), d()).prop_map(|(name, subject, date)| ItemData::StickyNote(StickyNote { name, subject, date }));
    let post = (s(), s(), d(), opt(enum_strategy!(Importance)), atts()).prop_map(
        |(from, subject, posted_on, importance, attachments)| {
            ItemData::Discussion(Discussion {
                from,
                subject,
                posted_on,
                importance,
                attachments,
            })
        },
    );
    let data = prop_oneof![
        message,
        appointment,
        contact,
        group,
        task,
        journal,
        note,
        post,
        Just(ItemData::Other)
    ];
    (data, text(), opt(text()), links(), extra(), any::<u8>()).prop_map(|(data, id, mailbox_id, links, extra, pick)| {
        let classes: &[&str] = match &data {
            ItemData::Message(_) => &[
                "IPM.Note",
                "IPM.Note.SMIME",
                "IPM.Schedule.Meeting.Request",
                "REPORT.IPM.Note.NDR",
            ],
            ItemData::Appointment(_) => &["IPM.Appointment", "ipm.appointment.occurrence"],
            ItemData::Contact(_) => &["IPM.Contact"],
            ItemData::ContactGroup(_) => &["IPM.DistList"],
            ItemData::Task(_) => &["IPM.Task"],
            ItemData::Journal(_) => &["IPM.Activity"],
            ItemData::StickyNote(_) => &["IPM.StickyNote"],
            ItemData::Discussion(_) => &["IPM.Post"],
            ItemData::Other => &["IPM.Document.Word.Document.12", "IPM.Vex.Unknown", ""],
        };
        let class = classes[usize::from(pick) % classes.len()];
        // Every item has an id (a blank one is refused as a damaged answer: tests/hostile_server.rs).
        let id = if id.trim().is_empty() {
            format!("item-{pick}{id}")
        } else {
            id
        };
        Item {
            id,
            item_class: (!class.is_empty()).then(|| class.to_string()),
            mailbox_id,
            data,
            links,
            extra,
        }
    })
}

fn organization() -> impl Strategy<Value = Organization> {
    (
        (opt(text()), opt(text()), opt(text()), opt(text()), opt(text())),
        (opt(any::<bool>()), opt(any::<bool>()), opt(api_date()), opt(api_date())),
        links(),
        extra(),
    )
        .prop_map(
            |((id, name, office_name, org_type, region), (is_backedup, is_exo, first, last), links, extra)| {
                Organization {
                    id,
                    name,
                    office_name,
                    org_type,
                    region,
                    is_backedup,
                    is_exchange_online: is_exo,
                    first_backup_time: first,
                    last_backup_time: last,
                    links,
                    extra,
                }
            },
        )
}

fn restore_session() -> impl Strategy<Value = RestoreSession> {
    (
        (
            text(),
            opt(text()),
            opt(text()),
            enum_strategy!(SessionType),
            opt(api_date()),
        ),
        (
            opt(api_date()),
            enum_strategy!(SessionState),
            enum_strategy!(SessionResult),
            opt(text()),
        ),
        (opt(text()), opt(text()), opt(text()), opt(text()), opt(any::<i64>())),
        links(),
    )
        .prop_map(
            |(
                (id, name, organization, session_type, creation_time),
                (end_time, state, result, initiated_by),
                (details, scope_name, client_host, reason, etag),
                links,
            )| RestoreSession {
                id,
                name,
                organization,
                session_type,
                creation_time,
                end_time,
                state,
                result,
                initiated_by,
                details,
                scope_name,
                client_host,
                reason,
                etag,
                links,
            },
        )
}

fn session_event() -> impl Strategy<Value = SessionEvent> {
    (
        (
            text(),
            opt(text()),
            opt(text()),
            opt(any::<i64>()),
            opt(text()),
            opt(text()),
        ),
        (
            opt(enum_strategy!(EventType)),
            enum_strategy!(EventStatus),
            opt(api_date()),
            opt(api_date()),
        ),
        (opt(text()), opt(text()), opt(text()), any::<i64>()),
        links(),
    )
        .prop_map(
            |(
                (id, item_name, item_type, item_size_bytes, source, target),
                (event_type, status, start_time, end_time),
                (duration, title, message, order),
                links,
            )| SessionEvent {
                id,
                item_name,
                item_type,
                item_size_bytes,
                source,
                target,
                event_type,
                status,
                start_time,
                end_time,
                duration,
                title,
                message,
                order,
                links,
            },
        )
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    (text(), opt(text()), opt(text()), any::<bool>(), any::<bool>(), links()).prop_map(
        |(id, name, email, is_archive, is_public, links)| Mailbox {
            id,
            name,
            email,
            is_archive,
            is_public,
            links,
        },
    )
}

fn folder() -> impl Strategy<Value = Folder> {
    (
        text(),
        opt(text()),
        opt(enum_strategy!(FolderType)),
        opt(text()),
        opt(text()),
        opt(text()),
        links(),
    )
        .prop_map(
            |(id, name, folder_type, category, description, mailbox_id, links)| Folder {
                id,
                name,
                folder_type,
                category,
                description,
                mailbox_id,
                links,
            },
        )
}

fn page<T: std::fmt::Debug + Clone + 'static>(
    results: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Page<T>> {
    (
        any::<i64>(),
        any::<i64>(),
        opt(text()),
        vec(results, 0..4),
        links(),
        opt(any::<i64>()),
    )
        .prop_map(|(offset, limit, set_id, results, links, total_count)| Page {
            offset,
            limit,
            set_id,
            results,
            links,
            total_count,
        })
}

fn token_response() -> impl Strategy<Value = TokenResponse> {
    (
        text(),
        text(),
        text(),
        any::<i64>(),
        opt(text()),
        opt(text()),
        opt(text()),
    )
        .prop_map(
            |(access_token, refresh_token, token_type, expires_in, user_name, issued, expires)| TokenResponse {
                access_token,
                refresh_token,
                token_type,
                expires_in,
                user_name,
                issued,
                expires,
            },
        )
}

fn items_restore_statistics() -> impl Strategy<Value = ItemsRestoreStatistics> {
    (
        (
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            opt(any::<i64>()),
        ),
        (vec(text(), 0..3), vec(text(), 0..3), opt(text())),
    )
        .prop_map(
            |((c, m, f, s, ff), (exceptions, warnings, cannot))| ItemsRestoreStatistics {
                created_items_count: c,
                merged_items_count: m,
                failed_items_count: f,
                skipped_items_count: s,
                failed_folders_count: ff,
                exceptions,
                warnings,
                cannot_continue_error: cannot,
            },
        )
}

fn item_restore_details() -> impl Strategy<Value = ItemRestoreDetails> {
    (
        (
            opt(text()),
            opt(text()),
            opt(text()),
            opt(text()),
            opt(text()),
            opt(text()),
        ),
        (
            opt(text()),
            opt(text()),
            vec(text(), 0..2),
            opt(text()),
            opt(any::<bool>()),
            opt(any::<bool>()),
        ),
        (
            opt(any::<i64>()),
            opt(any::<i64>()),
            opt(any::<i64>()),
            opt(any::<i64>()),
            opt(text()),
        ),
    )
        .prop_map(
            |(
                (id, details_type, title, name, error, item_type),
                (status, path, warnings, email, arch, public),
                (c, m, f, s, cannot),
            )| {
                ItemRestoreDetails {
                    id,
                    details_type,
                    title,
                    name,
                    error,
                    item_type,
                    status,
                    path,
                    warnings,
                    mailbox_email: email,
                    mailbox_is_archive: arch,
                    mailbox_is_public: public,
                    created_mailbox_items_count: c,
                    merged_mailbox_items_count: m,
                    failed_mailbox_items_count: f,
                    skipped_mailbox_items_count: s,
                    cannot_continue_mailbox_error: cannot,
                }
            },
        )
}

fn restore_session_statistics() -> impl Strategy<Value = RestoreSessionStatistics> {
    (
        (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()),
        (vec(text(), 0..3), vec(text(), 0..3), vec(item_restore_details(), 0..3)),
    )
        .prop_map(
            |((total, restored, failed, skipped), (warnings, errors, items))| RestoreSessionStatistics {
                total_items_count: total,
                restored_items_count: restored,
                failed_items_count: failed,
                skipped_items_count: skipped,
                warnings,
                errors,
                items,
            },
        )
}

fn exception_info() -> impl Strategy<Value = ExceptionInfo> {
    (opt(text()), opt(text())).prop_map(|(message, error_code)| ExceptionInfo { message, error_code })
}

fn device_code() -> impl Strategy<Value = DeviceCode> {
    (opt(text()), opt(text()), opt(any::<i64>()), opt(text())).prop_map(
        |(user_code, verification_url, expires_in, message)| DeviceCode {
            user_code,
            verification_url,
            expires_in,
            message,
        },
    )
}

/// serialize → deserialize → serialize gives the same JSON (for models without `PartialEq`).
fn same_wire<T: serde::Serialize + DeserializeOwned>(x: &T) -> Result<(), TestCaseError> {
    let v = serde_json::to_value(x).expect("serialises");
    let text = serde_json::to_string(x).expect("serialises");
    let back: T = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
    let again = serde_json::to_value(&back).expect("serialises");
    prop_assert_eq!(v, again);
    Ok(())
}

/// Real documents: items the emulator serves (every class, the hostile ones but the biggest three), as
/// single items and as a page.
fn emulator_documents() -> &'static [Value] {
    static DOCS: std::sync::OnceLock<Vec<Value>> = std::sync::OnceLock::new();
    DOCS.get_or_init(|| {
        use vex::sim::ids::{FolderKey, ItemKey, MailboxKey};
        let data = vex::sim::data::Data::new(42);
        let mut docs = Vec::new();
        for (mb, folders, per_folder) in [
            (MailboxKey { org: 0, mbx: 0 }, 0..15u16, 12u32),
            (vex::sim::hostile::HOSTILE_MAILBOX, 0..10u16, 30u32),
        ] {
            for folder in folders {
                let f = FolderKey { mailbox: mb, folder };
                let items: Vec<Value> = (0..per_folder)
                    .filter(|idx| !(mb.mbx == 50 && folder == 0 && [12, 17, 18].contains(idx)))
                    .filter_map(|idx| data.item(ItemKey { folder: f, idx }))
                    .map(|i| serde_json::to_value(i).unwrap())
                    .collect();
                docs.extend(items.iter().take(4).cloned());
                docs.push(json!({ "offset": 0, "limit": 30, "results": items }));
            }
        }
        docs
    })
}

/// Any valid model, as JSON: the seeds of the mutation tests.
fn valid_document() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(emulator_documents()),
        1 => page(organization()).prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => page(restore_session()).prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => page(session_event()).prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => page(mailbox()).prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => page(folder()).prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => page(item()).prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => token_response().prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => items_restore_statistics().prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => restore_session_statistics().prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => device_code().prop_map(|x| serde_json::to_value(x).unwrap()),
        1 => exception_info().prop_map(|x| serde_json::to_value(x).unwrap()),
    ]
}

/// A structured mutation of one node of a document.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(Value),
    Remove,
    AddKey(String, Value),
    /// A string ↔ number ↔ bool ↔ null ↔ array ↔ object swap of the node's type.
    Retype(u8),
    /// The node's value duplicated into a one-element array.
    Wrap,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => json_value().prop_map(Mutation::Replace),
        2 => Just(Mutation::Remove),
        1 => (key(), json_value()).prop_map(|(k, v)| Mutation::AddKey(k, v)),
        3 => any::<u8>().prop_map(Mutation::Retype),
        1 => Just(Mutation::Wrap),
    ]
}

/// JSON pointers of every node (the root included).
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn retype(v: &Value, how: u8) -> Value {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match how % 6 {
        0 => Value::String(s),
        1 => s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(json!(42), Value::Number),
        2 => Value::Bool(!s.is_empty()),
        3 => Value::Null,
        4 => json!([v.clone()]),
        _ => json!({ "value": v.clone() }),
    }
}

fn apply(doc: &mut Value, pick: usize, m: &Mutation) {
    let mut ptrs = Vec::new();
    pointers(doc, String::new(), &mut ptrs);
    let ptr = ptrs[pick % ptrs.len()].clone();
    match m {
        Mutation::Remove if !ptr.is_empty() => {
            let (parent, last) = ptr.rsplit_once('/').expect("a child pointer");
            let last = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(&last);
                }
                Some(Value::Array(a)) => {
                    if let Ok(i) = last.parse::<usize>()
                        && i < a.len()
                    {
                        a.remove(i);
                    }
                }
                _ => {}
            }
        }
        Mutation::AddKey(k, v) => {
            if let Some(Value::Object(o)) = doc.pointer_mut(&ptr) {
                o.insert(k.clone(), v.clone());
            }
        }
        other => {
            if let Some(node) = doc.pointer_mut(&ptr) {
                *node = match other {
                    Mutation::Replace(v) => v.clone(),
                    Mutation::Retype(how) => retype(node, *how),
                    Mutation::Wrap => json!([node.clone()]),
                    _ => Value::Null,
                };
            }
        }
    }
}

/// Byte-level damage to a JSON text.
#[derive(Clone, Debug)]
enum ByteOp {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn byte_op() -> impl Strategy<Value = ByteOp> {
    prop_oneof![
        any::<usize>().prop_map(ByteOp::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| ByteOp::Flip(i, b)),
        (
            any::<usize>(),
            prop_oneof![
                vec(any::<u8>(), 1..8),
                prop::sample::select(vec![
                    b"\"".to_vec(),
                    b"\\".to_vec(),
                    b"{".to_vec(),
                    b"]".to_vec(),
                    b",".to_vec(),
                    b":null".to_vec(),
                    b"\\u0000".to_vec(),
                    b"\\ud800".to_vec(),
                    b"1e999".to_vec(),
                    vec![0xC3],
                    vec![0xFF, 0xFE],
                ])
            ]
        )
            .prop_map(|(i, b)| ByteOp::Insert(i, b)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| ByteOp::Delete(i, n)),
    ]
}

fn damage(mut bytes: Vec<u8>, ops: &[ByteOp]) -> Vec<u8> {
    for op in ops {
        let n = bytes.len();
        match op {
            ByteOp::Truncate(i) => bytes.truncate(if n == 0 { 0 } else { i % n }),
            ByteOp::Flip(i, b) if n > 0 => bytes[i % n] ^= b | 1,
            ByteOp::Insert(i, b) => {
                let at = if n == 0 { 0 } else { i % (n + 1) };
                bytes.splice(at..at, b.iter().copied());
            }
            ByteOp::Delete(i, len) if n > 0 => {
                let at = i % n;
                let end = (at + len).min(n);
                bytes.drain(at..end);
            }
            _ => {}
        }
    }
    bytes
}

/// Strings shaped like the date forms the parser knows, with parts out of range or replaced by
/// multi-byte characters at awkward byte offsets.
fn date_like() -> impl Strategy<Value = String> {
    let part = |lo: i64, hi: i64, width: usize| (lo..=hi).prop_map(move |n| format!("{n:0width$}"));
    let odd = prop::sample::select(vec![
        "é", "日", "🎉", "\u{301}", "", " ", "+", "-", ":", ".", "Z", "T", "/",
    ]);
    (
        (
            part(-1, 10_001, 4),
            prop::sample::select(vec!["-", ".", "/", "é"]),
            part(0, 13, 2),
            part(0, 32, 2),
        ),
        (
            prop::sample::select(vec!["T", " ", "t", "", "é"]),
            part(0, 25, 2),
            part(0, 61, 2),
            part(0, 61, 2),
        ),
        (
            prop::sample::select(vec!["", ".0", ".1234567", ".123456789012", ",5", ".é"]),
            prop::sample::select(vec![
                "", "Z", "z", "+02:00", "-14:00", "+23:59", "-99:99", "+0é:00", "é", "+01:00é",
            ]),
        ),
        (odd.clone(), any::<u8>(), 0u8..4),
    )
        .prop_map(|((y, sep, mo, d), (t, h, mi, s), (frac, zone), (odd, at, mode))| {
            let mut out = match mode {
                0 => format!("{y}{sep}{mo}{sep}{d}{t}{h}:{mi}:{s}{frac}{zone}"),
                1 => format!(
                    "{mo}/{d}/{y} {h}:{mi}{} {}",
                    if at % 2 == 0 { ":00" } else { "" },
                    ["AM", "PM", "pm", "XM"][usize::from(at % 4)]
                ),
                2 => format!("{y}{sep}{mo}{sep}{d}"),
                _ => format!("{y}-{mo}-{d}T{h}:{mi}{zone}"),
            };
            // Splice an odd character in at some char boundary.
            let bounds: Vec<usize> = out.char_indices().map(|(i, _)| i).chain([out.len()]).collect();
            let i = bounds[usize::from(at) % bounds.len()];
            out.insert_str(i, odd);
            out
        })
}

// ---------------------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..256)) {
        decode_all_bytes(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value()) {
        decode_all_value(&v);
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn structured_mutations_of_valid_documents_never_panic(
        doc in valid_document(),
        muts in vec((any::<usize>(), mutation()), 1..5),
    ) {
        let mut doc = doc;
        for (pick, m) in &muts {
            apply(&mut doc, *pick, m);
        }
        decode_all_value(&doc);
        // The same mutations one level down, inside a page's results.
        decode_all_value(&json!({ "offset": 0, "limit": 30, "results": [doc] }));
    }

    #[test]
    fn byte_damage_to_valid_documents_never_panics(doc in valid_document(), ops in vec(byte_op(), 1..4)) {
        let bytes = damage(serde_json::to_vec(&doc).unwrap(), &ops);
        decode_all_bytes(&bytes);
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn items_round_trip(i in item()) {
        let text = serde_json::to_string(&i).unwrap();
        let back: Item = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(&back, &i);
        prop_assert_eq!(back.kind(), i.kind());
    }

    #[test]
    fn pages_round_trip(
        orgs in page(organization()),
        sessions in page(restore_session()),
        events in page(session_event()),
        mailboxes in page(mailbox()),
        folders in page(folder()),
        items in page(item()),
    ) {
        same_wire(&orgs)?;
        same_wire(&sessions)?;
        same_wire(&events)?;
        same_wire(&mailboxes)?;
        same_wire(&folders)?;
        same_wire(&items)?;
        let back: Page<Item> = serde_json::from_value(serde_json::to_value(&items).unwrap()).unwrap();
        prop_assert_eq!(back.results, items.results);
    }

    #[test]
    fn single_resources_round_trip(
        org in organization(),
        session in restore_session(),
        event in session_event(),
        mb in mailbox(),
        f in folder(),
        token in token_response(),
        stats in items_restore_statistics(),
        v8 in restore_session_statistics(),
        exc in exception_info(),
        code in device_code(),
    ) {
        same_wire(&org)?;
        same_wire(&session)?;
        same_wire(&event)?;
        same_wire(&mb)?;
        same_wire(&f)?;
        same_wire(&token)?;
        same_wire(&exc)?;
        same_wire(&code)?;
        let back: ItemsRestoreStatistics = serde_json::from_value(serde_json::to_value(&stats).unwrap()).unwrap();
        prop_assert_eq!(back, stats);
        let back: RestoreSessionStatistics = serde_json::from_value(serde_json::to_value(&v8).unwrap()).unwrap();
        prop_assert_eq!(back, v8);
    }
}

/// Every lenient helper at once.
#[derive(Debug, Deserialize)]
struct Lenient {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    n: Option<i64>,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    z: i64,
    #[serde(default, deserialize_with = "lenient::opt_f64")]
    f: Option<f64>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    b: Option<bool>,
    #[serde(default, deserialize_with = "lenient::bool_or_false")]
    bf: bool,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    s: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec_or_empty")]
    l: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_date")]
    d: Option<ApiDate>,
}

fn lenient_of(field: &str, v: Value) -> Result<Lenient, serde_json::Error> {
    let doc = json!({ field: v });
    // Through text too: the deserializer the client really uses.
    let a = serde_json::from_str::<Lenient>(&doc.to_string());
    let b = serde_json::from_value::<Lenient>(doc);
    assert_eq!(a.is_ok(), b.is_ok(), "text and value agree on {field}");
    a
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn lenient_helpers_take_any_value(v in json_value()) {
        for field in ["n", "z", "f", "b", "bf", "s", "l", "d"] {
            if let Ok(l) = lenient_of(field, v.clone()) {
                prop_assert!(l.f.is_none_or(f64::is_finite));
                // A string is kept as sent; lists and dates stay readable.
                if field == "s" && let Value::String(x) = &v {
                    prop_assert_eq!(l.s.as_deref(), Some(x.as_str()));
                }
                let _ = (l.l.len(), l.d.map(|d| d.to_wire()));
            }
        }
    }

    #[test]
    fn lenient_integers_are_exact(n in any::<i64>()) {
        prop_assert_eq!(lenient_of("n", json!(n)).unwrap().n, Some(n));
        prop_assert_eq!(lenient_of("n", json!(n.to_string())).unwrap().n, Some(n));
        prop_assert_eq!(lenient_of("n", json!(format!(" {n} "))).unwrap().n, Some(n));
        prop_assert_eq!(lenient_of("z", json!(n)).unwrap().z, n);
    }

    #[test]
    fn lenient_floats_and_bools(f in finite_f64(), b in any::<bool>()) {
        prop_assert_eq!(lenient_of("f", json!(f)).unwrap().f, Some(f));
        prop_assert_eq!(lenient_of("f", json!(f.to_string())).unwrap().f, Some(f));
        prop_assert_eq!(lenient_of("b", json!(b)).unwrap().b, Some(b));
        prop_assert_eq!(lenient_of("b", json!(b.to_string().to_uppercase())).unwrap().b, Some(b));
        prop_assert_eq!(lenient_of("bf", json!(if b { "1" } else { "0" })).unwrap().bf, b);
    }

    #[test]
    fn date_parsing_never_panics(s in prop_oneof![text(), date_like(), any::<String>()], off in -86_399i32..=86_399) {
        let d = ApiDate::parse(&s);
        let offset = UtcOffset::from_whole_seconds(off).unwrap();
        let _ = d.display_in(offset);
        let _ = d.as_utc();
        let again = ApiDate::parse(&d.to_wire());
        // What was understood stays understood.
        if !matches!(d, ApiDate::Raw(_)) {
            prop_assert_eq!(again, d);
        }
    }

    #[test]
    fn dates_round_trip(d in api_date(), off in -86_399i32..=86_399) {
        prop_assert_eq!(ApiDate::parse(&d.to_wire()), d.clone());
        let _ = d.display_in(UtcOffset::from_whole_seconds(off).unwrap());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Regressions: inputs the properties above found, kept as plain tests.

/// A multi-byte character where the parser looked for a zone suffix split the string inside it.
#[test]
fn regression_date_zone_split_inside_a_character() {
    for s in [
        "2024-01-01T0é00000",
        "2024-01-01T00:00:0é000",
        "2024-01-01T00:00é+01:00",
        "2024-01-01 1日:00:00",
    ] {
        let _ = ApiDate::parse(s);
    }
}

/// Dates at the edge of the supported range moved out of it by their offset (or by the display zone).
#[test]
fn regression_dates_at_the_edge_of_time() {
    let late = ApiDate::parse("9999-12-31T23:59:59-01:00");
    let _ = late.display_in(UtcOffset::UTC);
    let _ = late.to_wire();
    let early = ApiDate::parse("0001-01-01T00:00:00+01:00");
    let _ = early.display_in(UtcOffset::from_hms(-14, 0, 0).unwrap());
    let max = ApiDate::parse("9999-12-31T23:59:59.9999999Z");
    assert!(matches!(max, ApiDate::Utc(_)));
    let _ = max.display_in(UtcOffset::from_hms(14, 0, 0).unwrap());
    let min = ApiDate::parse("0001-01-01T00:00:00Z");
    let _ = min.display_in(UtcOffset::from_hms(-14, 0, 0).unwrap());
}

/// A US-style date with a negative year was understood, but written back in a form that was not.
#[test]
fn regression_dates_with_signed_or_long_years() {
    for s in [
        "01/01/-1000 00:00:00 AM",
        "1/1/10000",
        "-001-01-01T00:00:00",
        "+999-01-01",
        "2024-+1-01",
        "1/+1/2024",
    ] {
        let d = ApiDate::parse(s);
        if !matches!(d, ApiDate::Raw(_)) {
            assert_eq!(ApiDate::parse(&d.to_wire()), d, "{s}");
        }
    }
    assert!(matches!(ApiDate::parse("01/01/-1000 00:00:00 AM"), ApiDate::Raw(_)));
    assert!(matches!(ApiDate::parse("6/5/2017 1:12 PM"), ApiDate::Civil(_)));
}

/// Integers above 2^53 went through `f64` and came back rounded.
#[test]
fn regression_big_integers_are_exact() {
    let e: SessionEvent = serde_json::from_str(
        r#"{"id":"x","itemSizeBytes":9007199254740993,"order":"9223372036854775807","status":"Success"}"#,
    )
    .unwrap();
    assert_eq!(e.item_size_bytes, Some(9_007_199_254_740_993));
    assert_eq!(e.order, i64::MAX);
    let a: Attachment = serde_json::from_str(r#"{"sizeBytes":-9223372036854775808}"#).unwrap();
    assert_eq!(a.size_bytes, Some(i64::MIN));
}

/// Civil date-times lost their fraction of a second on the way out.
#[test]
fn regression_civil_fractions_survive() {
    let d = ApiDate::parse("2017-05-04 18:00:00.1234567");
    assert_eq!(ApiDate::parse(&d.to_wire()), d);
}

/// Not-a-number as a string became NaN, which is written out as null.
#[test]
fn regression_non_finite_numbers_are_absent() {
    for s in ["NaN", "inf", "-infinity", "1e400"] {
        let l = lenient_of("f", json!(s));
        if let Ok(l) = l {
            assert!(l.f.is_none_or(f64::is_finite), "{s}: {:?}", l.f);
        }
    }
}
