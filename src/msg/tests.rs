use super::write::{NewAttachment, NewMessage, write};
use super::*;
use time::macros::datetime;

fn person(name: &str, address: &str) -> Person {
    Person {
        name: name.into(),
        address: address.into(),
    }
}

fn sample() -> NewMessage {
    NewMessage {
        class: "IPM.Note".into(),
        subject: "Quarterly report Q3 2025".into(),
        from: Some(person("Zoë Müller", "zoe.mueller@contoso.com")),
        recipients: vec![
            Recipient {
                kind: RecipientKind::To,
                person: person("François Lefèvre", "francois@contoso.com"),
            },
            Recipient {
                kind: RecipientKind::Cc,
                person: person("山田 太郎", "taro@contoso.com"),
            },
        ],
        sent: Some(datetime!(2025-11-19 08:30:00 UTC)),
        received: Some(datetime!(2025-11-19 08:30:41 UTC)),
        body: Some("Hello François,\r\n\r\nthe figures are attached.\r\n\r\nZoë\r\n".into()),
        html: Some("<html><body><p>Hello <b>François</b>,</p><p>the figures are attached.</p></body></html>".into()),
        attachments: vec![NewAttachment {
            name: "Präsentation.pptx".into(),
            size: 1_234_567,
            data: b"PK\x03\x04 stand-in".to_vec(),
        }],
        ..Default::default()
    }
}

#[test]
fn what_is_written_is_read_back() {
    let bytes = write(&sample()).unwrap();
    assert!(bytes.starts_with(&CFB_MAGIC));
    let p = parse(&bytes, &Limits::default()).unwrap();
    assert_eq!(p.class.as_deref(), Some("IPM.Note"));
    assert_eq!(p.subject.as_deref(), Some("Quarterly report Q3 2025"));
    assert_eq!(
        p.from.as_ref().map(Person::display).as_deref(),
        Some("Zoë Müller <zoe.mueller@contoso.com>")
    );
    assert_eq!(p.recipients.len(), 2);
    assert_eq!(p.recipients[0].kind, RecipientKind::To);
    assert_eq!(p.recipients[0].person.address, "francois@contoso.com");
    assert_eq!(p.recipients[1].kind, RecipientKind::Cc);
    assert_eq!(p.recipients[1].person.name, "山田 太郎");
    assert_eq!(p.sent, Some(datetime!(2025-11-19 08:30:00 UTC)));
    assert_eq!(p.received, Some(datetime!(2025-11-19 08:30:41 UTC)));
    assert_eq!(p.body_source, BodySource::Plain);
    assert_eq!(p.body, ["Hello François,", "", "the figures are attached.", "", "Zoë"]);
    assert_eq!(
        p.attachments,
        [MsgAttachment {
            name: "Präsentation.pptx".into(),
            size: Some(1_234_567)
        }]
    );
}

#[test]
fn html_only_body_is_rendered_to_text() {
    let mut m = sample();
    m.body = None;
    m.html = Some(
        "<html><head><style>p{color:red}</style></head><body><p>Dear <b>team</b>,</p>\
         <ul><li>first point</li><li>second &amp; last</li></ul><p>See <a href=\"https://x.test/\">the wiki</a>.</p></body></html>"
            .into(),
    );
    let p = parse(&write(&m).unwrap(), &Limits::default()).unwrap();
    assert_eq!(p.body_source, BodySource::Html);
    let text = p.body.join("\n");
    assert!(text.contains("Dear team,"), "{text}");
    assert!(text.contains("first point"), "{text}");
    assert!(text.contains("second & last"), "{text}");
    assert!(!text.contains("<b>") && !text.contains("color:red"), "{text}");
    assert!(text.contains("https://x.test/"), "the link target is shown: {text}");
}

#[test]
fn hostile_strings_come_out_sanitised() {
    let mut m = sample();
    m.subject = "Invoice \x1b]0;pwned\x07 \u{202e}fdp.exe".into();
    m.from = Some(person("Evil\x1b[2J", "evil@x.test"));
    m.body = Some("line one\x1b[31m red\r\nline two\u{0085}\u{2028}".into());
    m.attachments[0].name = "a\x1b[1Ab.pdf".into();
    let p = parse(&write(&m).unwrap(), &Limits::default()).unwrap();
    let all = format!("{:?}{:?}{:?}{:?}", p.subject, p.from, p.body, p.attachments);
    assert!(!all.contains('\x1b') && !all.contains('\u{202e}') && !all.contains('\u{0085}'));
    let strings: Vec<String> = [
        p.subject.clone().unwrap(),
        p.from.unwrap().display(),
        p.attachments[0].name.clone(),
    ]
    .into_iter()
    .chain(p.body.clone())
    .collect();
    for s in &strings {
        assert_eq!(crate::text::sanitize(s), s.as_str(), "not sanitised: {s:?}");
    }
    assert!(p.subject.unwrap().contains("\\x1b"));
}

#[test]
fn long_bodies_and_many_attachments_are_capped() {
    let mut m = sample();
    m.body = Some((0..5_000).map(|i| format!("line {i}\n")).collect());
    m.attachments = (0..30)
        .map(|i| NewAttachment {
            name: format!("f{i}.txt"),
            size: 10,
            data: vec![b'x'; 10],
        })
        .collect();
    let limits = Limits {
        max_body_lines: 100,
        max_attachments: 10,
        ..Limits::default()
    };
    let p = parse(&write(&m).unwrap(), &limits).unwrap();
    assert_eq!(p.body.len(), 100);
    assert!(p.body_truncated);
    assert_eq!(p.attachments.len(), 10);
    assert_eq!(p.more_attachments, 20);
    let small = Limits {
        max_file_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        parse(&write(&m).unwrap(), &small),
        Err(MsgError::TooLarge(_, 100))
    ));
}

#[test]
fn recipients_fall_back_to_the_display_strings() {
    // A writer that left out the recipient storages: the names from PidTagDisplayTo / Cc.
    let bytes = write(&sample()).unwrap();
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
    cf.remove_storage_all(format!("/{RECIP_PREFIX}00000000")).unwrap();
    cf.remove_storage_all(format!("/{RECIP_PREFIX}00000001")).unwrap();
    let bytes = cf.into_inner().into_inner();
    let p = parse(&bytes, &Limits::default()).unwrap();
    let names: Vec<(RecipientKind, &str)> = p.recipients.iter().map(|r| (r.kind, r.person.name.as_str())).collect();
    assert_eq!(
        names,
        [
            (RecipientKind::To, "François Lefèvre"),
            (RecipientKind::Cc, "山田 太郎")
        ]
    );
}

#[test]
fn not_a_message_and_damaged_files_are_errors_not_panics() {
    assert_eq!(parse(b"PK\x03\x04zip", &Limits::default()), Err(MsgError::NotMsg));
    assert_eq!(parse(b"", &Limits::default()), Err(MsgError::NotMsg));
    let good = write(&sample()).unwrap();
    // Cut short at many lengths, and bytes flipped all over: never a panic.
    for len in (0..good.len()).step_by(97) {
        let _ = parse(&good[..len], &Limits::default());
    }
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..300 {
        let mut bad = good.clone();
        for _ in 0..(1 + round % 16) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % bad.len();
            bad[at] = (state >> 32) as u8;
        }
        let _ = parse(&bad, &Limits::default());
    }
}

#[test]
fn filetime_round_trips() {
    let t = datetime!(2025-11-20 02:00:00.1234567 UTC);
    assert_eq!(from_filetime(to_filetime(t)), Some(t));
    assert_eq!(from_filetime(0), None);
    assert_eq!(from_filetime(u64::MAX), None, "past year 9999");
}

#[test]
fn deeply_nested_html_does_not_overflow_the_stack() {
    // As deep as the stream cap lets a body be (1 MiB of `<div>`), on a thread with a small stack
    // (tokio's workers have 2 MiB).
    let html = "<div>".repeat(200_000) + "deep" + &"</div>".repeat(200_000);
    let t = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || html_to_text(html.as_bytes()))
        .unwrap();
    let text = t.join().expect("no stack overflow");
    assert!(text.contains("deep") && text.contains("tags removed"), "{text:.200}");
}

#[test]
fn ordinary_html_is_laid_out_and_nesting_is_counted() {
    assert_eq!(
        nesting_depth(b"<html><body><p>a<br>b<img src=x/></p><div><b>c</b></div></body></html>"),
        4
    );
    assert_eq!(nesting_depth(b"<!DOCTYPE html><meta charset=utf-8><p>x"), 1);
    let html = "<table>".to_string() + &"<tr><td><b>cell</b></td></tr>".repeat(2_000) + "</table>";
    let t = std::time::Instant::now();
    let text = html_to_text(html.as_bytes());
    assert!(text.contains("cell") && !text.contains("tags removed"), "{text:.200}");
    eprintln!("2,000 table rows laid out in {:?}", t.elapsed());
    assert_eq!(strip_tags(b"<p>a &amp; b</p><div>c<br>d</div>"), "\na & b\nc\nd\n");
}

/// Nesting to the depth limit costs at most a bounded factor of flat HTML of the same size, both
/// measured in the same run (a ratio, not a wall-clock bound a busy machine could break).
#[test]
fn html_at_the_depth_limit_stays_quick() {
    let one = "<div>".repeat(HTML_MAX_DEPTH) + "x" + &"</div>".repeat(HTML_MAX_DEPTH);
    let html = one.repeat(HTML_RENDER_MAX / one.len());
    assert!(nesting_depth(html.as_bytes()) <= HTML_MAX_DEPTH);
    let flat_one = "<p>x</p>";
    let flat = flat_one.repeat(html.len() / flat_one.len());
    let time = |h: &str| {
        let t = std::time::Instant::now();
        let _ = html_to_text(h.as_bytes());
        t.elapsed()
    };
    // The best of three of each, interleaved, so a busy moment hits both alike.
    let (mut deep, mut shallow) = (std::time::Duration::MAX, std::time::Duration::MAX);
    for _ in 0..3 {
        deep = deep.min(time(&html));
        shallow = shallow.min(time(&flat));
    }
    let ratio = deep.as_secs_f64() / shallow.as_secs_f64().max(1e-6);
    eprintln!(
        "{} bytes at depth {HTML_MAX_DEPTH}: {deep:?}; flat: {shallow:?}; ratio {ratio:.1}",
        html.len()
    );
    assert!(
        ratio < 8.0,
        "nesting costs {ratio:.1}x flat HTML of the same size ({deep:?} vs {shallow:?})"
    );
}
