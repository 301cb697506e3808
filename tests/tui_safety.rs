//! Connecting safely, without a server: the login screen and session expiry replayed against `update`,
//! read-only mode, quitting (stop the sessions vex started?), the insecure banner, hostile server text
//! in every place it is drawn, and secrets kept out of `Debug`. Snapshots at 80x24.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use serde_json::{Value, json};
use support::fake::{self, Items};
use vex::api::models::{Folder, Item, Mailbox, RestoreSession};
use vex::api::{ApiError, ApiVersion, VersionChoice};
use vex::app::panes::login::{LoggedIn, LoginDialog, LoginTarget};
use vex::app::{
    Action, Answer, Call, Conn, DisplayZone, Effect, HeaderInfo, Level, Msg, Overlay, Request, Response, State, update,
};

// ------------------------------------------------------------------------------------------------
// Fixtures
// ------------------------------------------------------------------------------------------------

const PASSWORD: &str = "S3cret-Pa55word!";

fn header() -> HeaderInfo {
    HeaderInfo {
        server: "https://vb365.example.com:4443".into(),
        user: "CORP\\restore-op".into(),
        api_version: "v8".into(),
        read_only: false,
        insecure: false,
        plain_http: false,
    }
}

fn state_with(h: HeaderInfo) -> State {
    let mut s = State::new(h);
    s.zone = DisplayZone::UTC;
    s.color = false;
    s.size = (80, 24);
    s
}

fn target() -> LoginTarget {
    LoginTarget {
        server: "https://vb365.example.com:4443".into(),
        api: VersionChoice::Auto,
    }
}

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("fixture decodes")
}

/// Every kind of text a terminal must never receive raw.
const CLEAR: &str = "\u{1b}[2J";
const OSC52: &str = "\u{1b}]52;c;ZXZpbA==\u{7}";
const TITLE: &str = "\u{1b}]0;pwned\u{7}";
const BELL: &str = "\u{7}";
const CSI_C1: &str = "\u{9b}";
const RLO: &str = "\u{202e}";

fn evil(word: &str) -> String {
    format!("{CLEAR}{word}{OSC52}{TITLE}{BELL}x{CSI_C1}31m {RLO}fdp.exe")
}

/// A tiny server: one session, mailbox, folder and the given items, all of them possibly hostile.
struct Fake {
    session: RestoreSession,
    mailbox: Mailbox,
    folder: Folder,
    items: Vec<Item>,
}

impl Fake {
    fn plain(items: Vec<Item>) -> Fake {
        Fake {
            session: from(
                json!({"id": "s-1", "organization": "Contoso Ltd", "type": "Vex", "state": "Working",
                "creationTime": "2024-03-01T14:00:00Z", "initiatedBy": "CONTOSO\\op"}),
            ),
            mailbox: from(json!({"id": "mb-1", "name": "Anna Müller", "email": "anna@contoso.com"})),
            folder: from(json!({"id": "f-inbox", "name": "Inbox", "type": "None"})),
            items,
        }
    }

    fn settle(&self, s: &mut State, fx: Vec<Effect>) {
        fake::settle(self, s, fx);
    }
}

impl fake::Data for Fake {
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        Some(vec![self.session.clone()])
    }
    fn mailboxes(&self) -> Option<Vec<Mailbox>> {
        Some(vec![self.mailbox.clone()])
    }
    fn folders(&self, parent: Option<&str>) -> Option<Vec<Folder>> {
        Some(if parent.is_none() {
            vec![self.folder.clone()]
        } else {
            vec![]
        })
    }
    fn items(&self, _folder_id: &str) -> Option<Items> {
        Some(Items::List(self.items.clone()))
    }
    fn item(&self, item_id: &str) -> Option<Result<Item, ApiError>> {
        Some(fake::found(self.items.iter().find(|i| i.id == item_id).cloned()))
    }
    fn explore(&self, organization_id: &str) -> Option<RestoreSession> {
        Some(fake::new_session(organization_id))
    }
    fn stops(&self) -> bool {
        true
    }
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn step(f: &Fake, s: &mut State, code: KeyCode) {
    let fx = press(s, code);
    f.settle(s, fx);
}

fn typed(s: &mut State, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(press(s, KeyCode::Char(c)));
    }
    fx
}

/// Sessions → the session → the mailbox → the folder's items.
fn in_items(f: &Fake, h: HeaderInfo) -> State {
    let mut s = state_with(h);
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    step(f, &mut s, KeyCode::Enter);
    step(f, &mut s, KeyCode::Enter);
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    s
}

fn render(s: &State, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut s = s.clone();
    s.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|fr| vex::ui::draw(fr, &s)).expect("draw");
    t
}

fn text_of(t: &Terminal<TestBackend>) -> String {
    t.backend().to_string()
}

/// No cell holds a control character (C0, DEL, C1) or a bidi control; and no cell needed the last-line
/// scrub (`�`), so every string went through `sanitize` on its way.
fn assert_clean(t: &Terminal<TestBackend>, what: &str) {
    for (i, cell) in t.backend().buffer().content().iter().enumerate() {
        let sym = cell.symbol();
        assert!(
            !sym.chars().any(|c| c.is_control()
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
                || c == '\u{fffd}'),
            "{what}: cell {i} holds {sym:?}\n{}",
            text_of(t)
        );
    }
}

fn is_login(e: &Effect) -> bool {
    e.request().is_some_and(is_login_request)
}

fn is_login_request(r: &Request) -> bool {
    matches!(r.call, Call::Login { .. })
}

// ------------------------------------------------------------------------------------------------
// Hostile text
// ------------------------------------------------------------------------------------------------

fn hostile_items() -> Vec<Item> {
    vec![
        from(json!({
            "id": "evil-1", "itemClass": "IPM.Note",
            "from": evil("Mallory <m@evil.example>"),
            "to": evil("victim"),
            "subject": evil("Invoice"),
            "sent": "not a date \u{1b}[2J", "received": "2024-03-01T14:05:42Z",
            "attachments": [{"name": evil("invoice.pdf"), "sizeBytes": 1234},
                            {"name": format!("{OSC52}clip.txt"), "sizeBytes": 1}],
            // Raw fields the model does not know: key and value both hostile.
            "x\u{1b}[31mKey": evil("raw value"),
        })),
        from(json!({
            "id": "evil-2\u{1b}]0;id\u{7}", "itemClass": "IPM.Note\u{9b}",
            "from": format!("{RLO}moc.live@eve"), "subject": format!("{BELL}{BELL}ding"),
        })),
    ]
}

#[test]
fn hostile_server_text_never_reaches_the_terminal_raw() {
    let mut f = Fake::plain(hostile_items());
    f.session = from(
        json!({"id": "s-1", "organization": evil("Org"), "type": "Vex", "state": "Working",
        "creationTime": "2024-03-01T14:00:00Z", "initiatedBy": evil("op")}),
    );
    f.mailbox = from(json!({"id": "mb-1", "name": evil("Mailbox"), "email": evil("mb@x")}));
    f.folder = from(json!({"id": "f-inbox", "name": evil("Folder"), "type": "None"}));
    let mut h = header();
    h.user = evil("user");
    h.server = evil("server");
    let mut s = in_items(&f, h);
    // The list (and, wide, the preview), with the breadcrumb and the header.
    for (w, hgt) in [(80, 24), (160, 40)] {
        let t = render(&s, w, hgt);
        assert_clean(&t, "items list");
        let text = text_of(&t);
        assert!(text.contains("\\x1b[2J"), "the escape is shown escaped:\n{text}");
    }
    // The details of each item, scrolled through.
    for i in 0..2 {
        let fx = press(&mut s, KeyCode::Enter);
        f.settle(&mut s, fx);
        assert_eq!(s.focus, Level::Details);
        for _ in 0..4 {
            for (w, hgt) in [(80, 24), (160, 40)] {
                assert_clean(&render(&s, w, hgt), &format!("details of item {i}"));
            }
            press(&mut s, KeyCode::PageDown);
        }
        if i == 0 {
            let text = text_of(&render(&s, 160, 40));
            assert!(text.contains("\\u{202e}fdp.exe"), "{text}");
        }
        press(&mut s, KeyCode::Esc);
        press(&mut s, KeyCode::Down);
    }
    // A server error in the status line and in the header.
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: 0,
            result: Err(ApiError::Network(evil("net"))),
        }),
    );
    f.settle(&mut s, fx);
    let fx = update(&mut s, Msg::Action(Action::Refresh));
    let e = fx.iter().find(|e| {
        matches!(
            e,
            Effect::Request(Request {
                call: Call::ItemsPage { .. },
                ..
            }) | Effect::Request(Request {
                call: Call::CountItems { .. },
                ..
            })
        )
    });
    if let Some(Effect::Request(Request {
        id: generation,
        call: Call::CountItems { .. },
    }))
    | Some(Effect::Request(Request {
        id: generation,
        call: Call::ItemsPage { .. },
    })) = e
    {
        let g = *generation;
        let result = match e {
            Some(Effect::Request(Request {
                call: Call::CountItems { .. },
                ..
            })) => Err(ApiError::Http {
                status: 500,
                message: evil("server says"),
                error_code: None,
            }),
            _ => Err(ApiError::Tls(evil("tls"))),
        };
        update(&mut s, Msg::Answer(Answer { id: g, result }));
    }
    assert!(s.status.as_ref().is_some_and(|st| st.error), "{:?}", s.status);
    assert_clean(&render(&s, 80, 24), "status line");
    // Dialog texts: stopping a session with a hostile organization name.
    let fx = press(&mut s, KeyCode::Esc);
    f.settle(&mut s, fx);
    for _ in 0..3 {
        press(&mut s, KeyCode::Esc);
    }
    assert_eq!(s.focus, Level::Sessions);
    press(&mut s, KeyCode::Char('x'));
    assert!(matches!(s.overlay, Some(Overlay::Confirm(_))));
    assert_clean(&render(&s, 80, 24), "confirmation");
    press(&mut s, KeyCode::Esc);
    // The login screen with the server's (hostile) refusal.
    let fx = update(
        &mut s,
        Msg::SessionExpired(Request {
            id: 999,
            call: Call::Sessions { offset: 0, limit: 10 },
        }),
    );
    assert!(fx.is_empty());
    let fx = typed(&mut s, "pw");
    assert!(fx.is_empty());
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Login { .. },
    })) = fx.into_iter().find(is_login)
    else {
        panic!("no login")
    };
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Auth(evil("invalid_grant"))),
        }),
    );
    let t = render(&s, 80, 24);
    assert_clean(&t, "login error");
    assert!(text_of(&t).contains("login refused"), "{}", text_of(&t));
}

#[test]
fn hostile_dates_are_sanitised_too() {
    // A date the client cannot parse is shown as the server sent it.
    let items = vec![from(json!({"id": "d", "itemClass": "IPM.Note", "subject": "s",
        "received": format!("2024{CLEAR}{RLO}")}))];
    let mut f = Fake::plain(items);
    f.session = from(
        json!({"id": "s-1", "organization": "O", "type": "Vex", "state": "Working",
        "creationTime": format!("yesterday{TITLE}"), "endTime": format!("{OSC52}")}),
    );
    let s = in_items(&f, header());
    for (w, h) in [(80, 24), (160, 40)] {
        assert_clean(&render(&s, w, h), "dates");
    }
    let mut s = s;
    for _ in 0..3 {
        press(&mut s, KeyCode::Esc);
    }
    assert_eq!(s.focus, Level::Sessions);
    assert_clean(&render(&s, 160, 40), "session dates");
}

// ------------------------------------------------------------------------------------------------
// Login screen
// ------------------------------------------------------------------------------------------------

#[test]
fn first_login_holds_every_request_until_it_succeeds() {
    let f = Fake::plain(vec![]);
    let mut s = state_with(header()).with_login(LoginDialog::start(target(), "CORP\\restore-op"));
    let fx = update(&mut s, Msg::Start);
    assert!(fx.is_empty(), "nothing goes to the server before the login: {fx:?}");
    assert_eq!(s.held_for_login().len(), 1);
    // Keys go to the login screen, not to the panes.
    let fx = typed(&mut s, "q/x");
    assert!(fx.is_empty() && !s.quit && s.overlay.is_none());
    for _ in 0..3 {
        press(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, PASSWORD);
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Request(Request {
            id: generation,
            call: Call::Login { user, reconnect, .. },
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(user, "CORP\\restore-op");
    assert_eq!(*reconnect, None);
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::LoggedIn(LoggedIn {
                user: user.clone(),
                server: target().server,
                api_version: "v7".into(),
            })),
        }),
    );
    assert!(s.login.is_none());
    assert_eq!(s.header.api_version, "v7");
    assert!(
        matches!(
            &fx[..],
            [Effect::Request(Request {
                call: Call::Sessions { .. },
                ..
            })]
        ),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    assert_eq!(s.sessions.list.len(), 1);
}

#[test]
fn a_refused_login_shows_the_server_message_and_can_be_retried() {
    let mut s = state_with(header()).with_login(LoginDialog::start(target(), "op"));
    update(&mut s, Msg::Start);
    typed(&mut s, "wrong");
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Login { .. },
    })) = fx.into_iter().find(is_login)
    else {
        panic!("no login")
    };
    // Keys are ignored while the login is in flight.
    assert!(typed(&mut s, "zz").is_empty());
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Auth("The user name or password is incorrect.".into())),
        }),
    );
    let l = s.login.as_ref().expect("still shown");
    assert!(l.password.is_empty(), "the refused password is wiped");
    let text = text_of(&render(&s, 80, 24));
    assert!(text.contains("The user name or password is incorrect."), "{text}");
    typed(&mut s, PASSWORD);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(fx.iter().any(is_login));
    // Esc on the first login screen quits (there is nothing behind it).
    let mut s2 = state_with(header()).with_login(LoginDialog::start(target(), "op"));
    let fx = press(&mut s2, KeyCode::Esc);
    assert!(s2.quit && matches!(&fx[..], [Effect::Quit]));
}

#[test]
fn another_server_or_api_version_asks_for_a_new_client() {
    let mut s = state_with(header()).with_login(LoginDialog::start(target(), ""));
    update(&mut s, Msg::Start);
    // Focus starts on the user (empty); BackTab to the API, Right → v6; BackTab to the server.
    typed(&mut s, "op");
    press(&mut s, KeyCode::BackTab);
    press(&mut s, KeyCode::Right);
    press(&mut s, KeyCode::BackTab);
    press(&mut s, KeyCode::End);
    for _ in 0..4 {
        press(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "8443");
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Tab);
    typed(&mut s, PASSWORD);
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Login { reconnect, .. },
    })) = fx.into_iter().find(is_login)
    else {
        panic!("no login")
    };
    let t = reconnect.expect("a new client");
    assert_eq!(t.server, "https://vb365.example.com:8443");
    assert_eq!(t.api, VersionChoice::Fixed(ApiVersion::V6));
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Ok(Response::LoggedIn(LoggedIn {
                user: "op".into(),
                server: t.server.clone(),
                api_version: "v6".into(),
            })),
        }),
    );
    assert_eq!(s.header.server, "https://vb365.example.com:8443");
    assert_eq!(s.target.as_ref(), Some(&t));
}

// ------------------------------------------------------------------------------------------------
// Session expiry
// ------------------------------------------------------------------------------------------------

fn three_items() -> Vec<Item> {
    (0..3)
        .map(|i| {
            from(json!({"id": format!("m-{i}"), "itemClass": "IPM.Note", "from": "a@b",
                "subject": format!("Report {i}"), "received": "2024-03-01T14:05:42Z"}))
        })
        .collect()
}

#[test]
fn an_expired_session_comes_back_over_the_view_and_the_request_is_sent_again() {
    let f = Fake::plain(three_items());
    let mut s = in_items(&f, header());
    // A filter, a mark, the cursor on the second match, and a half-filled dialog behind.
    press(&mut s, KeyCode::Char('/'));
    typed(&mut s, "report");
    press(&mut s, KeyCode::Enter);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Char(' '));
    let before = s.clone();
    let selected = s.items.as_ref().and_then(|i| i.selected()).map(|i| i.id.clone());
    // The reload of the details fails: the session is gone. (The preview's download went out beside it.)
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Request(
            load @ Request {
                id: generation,
                call: Call::Item { .. },
            },
        ),
        Effect::Request(Request {
            call: Call::Preview { .. },
            ..
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    let g = *generation;
    let fx = update(&mut s, Msg::SessionExpired(load.clone()));
    assert!(fx.is_empty());
    assert!(s.login.is_some(), "the login screen is back");
    assert!(matches!(s.conn, Conn::Failing(_)));
    let text = text_of(&render(&s, 80, 24));
    assert!(
        text.contains("Session expired") && text.contains("CORP\\restore-op"),
        "{text}"
    );
    // Nothing else reaches the panes meanwhile (keys and actions go to the login screen).
    let fx = update(&mut s, Msg::Action(Action::Refresh));
    assert!(fx.is_empty());
    assert_eq!(s.held_for_login().len(), 1);
    // The user is prefilled: type the password.
    typed(&mut s, PASSWORD);
    let fx = press(&mut s, KeyCode::Enter);
    let [
        Effect::Request(Request {
            id: lg,
            call: Call::Login { reconnect: None, .. },
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: *lg,
            result: Ok(Response::LoggedIn(LoggedIn {
                user: "CORP\\restore-op".into(),
                server: target().server,
                api_version: "v8".into(),
            })),
        }),
    );
    // The very request that failed goes out again, with its generation (the pane waits for it).
    assert!(
        matches!(&fx[..], [Effect::Request(Request { id: generation, call: Call::Item { .. } })] if *generation == g),
        "{fx:?}"
    );
    f.settle(&mut s, fx);
    assert!(s.login.is_none());
    assert_eq!(s.focus, Level::Details);
    let d = s.details.as_ref().expect("details");
    assert_eq!(Some(d.item.id.clone()), selected);
    assert!(d.loading.is_none());
    // Back in the list: filter, cursor and marks as they were.
    press(&mut s, KeyCode::Esc);
    let (a, b) = (s.items.as_ref().expect("items"), before.items.as_ref().expect("items"));
    assert_eq!(a.filter.query(), "report");
    assert_eq!(a.cursor, b.cursor);
    assert_eq!(a.marks, b.marks);
}

#[test]
fn a_half_filled_restore_dialog_is_intact_after_the_login() {
    let f = Fake::plain(three_items());
    let mut s = in_items(&f, header());
    press(&mut s, KeyCode::Char(' '));
    let fx = press(&mut s, KeyCode::Char('r'));
    f.settle(&mut s, fx);
    assert!(matches!(s.overlay, Some(Overlay::Restore(_))), "{:?}", s.status);
    typed(&mut s, "zoe@contoso");
    let dialog = format!("{:?}", s.overlay);
    assert!(dialog.contains("zoe@contoso"), "{dialog}");
    // A request of the dialog fails with the session gone.
    update(
        &mut s,
        Msg::SessionExpired(Request {
            id: 77,
            call: Call::Mailboxes {
                session_id: "s-1".into(),
                offset: 0,
                limit: 10,
            },
        }),
    );
    assert!(s.login.is_some());
    typed(&mut s, PASSWORD);
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Login { .. },
    })) = fx.into_iter().find(is_login)
    else {
        panic!("no login")
    };
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Ok(Response::LoggedIn(LoggedIn {
                user: "CORP\\restore-op".into(),
                server: target().server,
                api_version: "v8".into(),
            })),
        }),
    );
    assert!(
        matches!(
            &fx[..],
            [Effect::Request(Request {
                id: 77,
                call: Call::Mailboxes { .. }
            })]
        ),
        "{fx:?}"
    );
    assert!(s.login.is_none());
    assert_eq!(format!("{:?}", s.overlay), dialog, "the dialog is as it was");
    assert_eq!(s.focus, Level::Items);
}

#[test]
fn after_an_expiry_job_reads_are_sent_again_and_job_writes_are_not() {
    let f = Fake::plain(three_items());
    let mut s = in_items(&f, header());
    let read = Request {
        id: 41,
        call: Call::Events {
            session_id: "s-1".into(),
        },
    };
    let write = Request {
        id: 42,
        call: Call::DeviceCode {
            session_id: "s-1".into(),
            request: Default::default(),
        },
    };
    update(&mut s, Msg::SessionExpired(write));
    assert!(s.login.is_some(), "a failed write brings the login screen too");
    assert!(s.held_for_login().is_empty(), "but it is never sent again");
    update(&mut s, Msg::SessionExpired(read));
    assert_eq!(s.held_for_login().len(), 1);
    typed(&mut s, PASSWORD);
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Login { .. },
    })) = fx.into_iter().find(is_login)
    else {
        panic!("no login")
    };
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Ok(Response::LoggedIn(LoggedIn {
                user: "op".into(),
                server: target().server,
                api_version: "v8".into(),
            })),
        }),
    );
    assert!(
        matches!(
            &fx[..],
            [Effect::Request(Request {
                id: 41,
                call: Call::Events { .. }
            })]
        ),
        "{fx:?}"
    );
}

// ------------------------------------------------------------------------------------------------
// Read-only
// ------------------------------------------------------------------------------------------------

#[test]
fn read_only_hides_and_refuses_every_writing_action() {
    let f = Fake::plain(three_items());
    let mut h = header();
    h.read_only = true;
    let mut s = state_with(h);
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    let hints = vex::ui::hints(&s);
    assert!(!hints.iter().any(|(_, h)| *h == "stop"), "{hints:?}");
    let fx = press(&mut s, KeyCode::Char('x'));
    assert!(fx.is_empty() && s.overlay.is_none());
    let st = s.status.clone().expect("a message");
    assert!(st.error && st.text.starts_with("read-only"), "{st:?}");
    // Help does not offer them either.
    press(&mut s, KeyCode::Char('?'));
    let text = text_of(&render(&s, 80, 24));
    assert!(!text.contains("stop the selected session"), "{text}");
    press(&mut s, KeyCode::Esc);
    // In the items: no restore hint, and `r` only says no.
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    step(&f, &mut s, KeyCode::Enter);
    assert_eq!(s.focus, Level::Items);
    press(&mut s, KeyCode::Char(' '));
    let hints = vex::ui::hints(&s);
    assert!(!hints.iter().any(|(_, h)| h.contains("restore")), "{hints:?}");
    let fx = press(&mut s, KeyCode::Char('r'));
    assert!(fx.is_empty() && s.overlay.is_none());
    assert!(s.status.as_ref().is_some_and(|st| st.text.starts_with("read-only")));
    // Replayed actions are refused the same way.
    for a in Action::ALL.into_iter().filter(|a| a.is_write()) {
        let fx = update(&mut s, Msg::Action(a));
        assert!(fx.is_empty() && s.overlay.is_none(), "{a:?}");
    }
}

// ------------------------------------------------------------------------------------------------
// Quitting
// ------------------------------------------------------------------------------------------------

/// A state where vex started one session (`n`, Enter).
fn with_a_new_session(f: &Fake) -> State {
    let mut s = state_with(header());
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    let fx = press(&mut s, KeyCode::Char('n'));
    // Organizations: answer with one.
    let [
        Effect::Request(Request {
            id: generation,
            call: Call::Organizations,
        }),
    ] = &fx[..]
    else {
        panic!("{fx:?}")
    };
    update(
        &mut s,
        Msg::Answer(Answer {
            id: *generation,
            result: Ok(Response::Organizations(from(
                json!([{"id": "org-1", "name": "Contoso Ltd",
                "lastBackupTime": "2024-03-01T14:00:00Z"}]),
            ))),
        }),
    );
    step(f, &mut s, KeyCode::Enter);
    assert_eq!(s.created_sessions.len(), 1, "{:?}", s.status);
    press(&mut s, KeyCode::Esc);
    s
}

#[test]
fn quitting_offers_to_stop_the_sessions_vex_started() {
    let f = Fake::plain(vec![]);
    // Default answer: leave them running and quit.
    let mut s = with_a_new_session(&f);
    assert_eq!(s.focus, Level::Sessions);
    let fx = press(&mut s, KeyCode::Char('q'));
    assert!(fx.is_empty() && !s.quit);
    let Some(Overlay::Confirm(c)) = &s.overlay else {
        panic!("no question")
    };
    assert!(!c.yes, "the default is to leave them");
    let text = text_of(&render(&s, 80, 24));
    assert!(
        text.contains("Leave running") && text.contains("Stop and quit"),
        "{text}"
    );
    let fx = press(&mut s, KeyCode::Enter);
    assert!(s.quit && matches!(&fx[..], [Effect::Quit]), "{fx:?}");

    // Esc: stay.
    let mut s = with_a_new_session(&f);
    press(&mut s, KeyCode::Char('q'));
    let fx = press(&mut s, KeyCode::Esc);
    assert!(fx.is_empty() && !s.quit && s.overlay.is_none());

    // Stop them: the stops go out, and vex leaves once they are answered.
    let mut s = with_a_new_session(&f);
    press(&mut s, KeyCode::Char('q'));
    press(&mut s, KeyCode::Tab);
    let fx = press(&mut s, KeyCode::Enter);
    assert!(
        matches!(&fx[..], [Effect::Request(Request { call: Call::StopSession { session_id, .. }, .. })] if session_id == "s-new"),
        "{fx:?}"
    );
    assert!(!s.quit);
    let next: Vec<Answer> = fx
        .iter()
        .filter_map(|e| e.request().and_then(|r| fake::answer(&f, r)))
        .collect();
    let mut after = Vec::new();
    for a in next {
        after.extend(update(&mut s, Msg::Answer(a)));
    }
    assert!(s.quit, "{:?}", s.status);
    assert!(after.iter().any(|e| matches!(e, Effect::Quit)));
    assert!(s.created_sessions.is_empty());

    // Nothing started here: q quits at once.
    let mut s = state_with(header());
    assert!(matches!(&press(&mut s, KeyCode::Char('q'))[..], [Effect::Quit]));
}

// ------------------------------------------------------------------------------------------------
// Secrets
// ------------------------------------------------------------------------------------------------

#[test]
fn the_password_is_in_no_debug_string_and_never_on_screen() {
    let mut s = state_with(header()).with_login(LoginDialog::start(target(), "op"));
    update(&mut s, Msg::Start);
    typed(&mut s, PASSWORD);
    let shown = text_of(&render(&s, 80, 24));
    assert!(!shown.contains(PASSWORD) && !shown.contains("S3cret"), "{shown}");
    assert!(shown.contains(&"•".repeat(PASSWORD.chars().count())), "{shown}");
    let state_dbg = format!("{s:?}");
    let fx = press(&mut s, KeyCode::Enter);
    let login = fx.into_iter().find(is_login).expect("login");
    let Effect::Request(login) = login else { unreachable!() };
    let refused = Msg::Answer(Answer {
        id: login.id,
        result: Err(ApiError::Auth("invalid_grant".into())),
    });
    let expired = Msg::SessionExpired(login.clone());
    let dbgs = [
        state_dbg,
        format!("{s:?}"),
        format!("{:?}", s.login),
        format!("{login:?}"),
        format!("{:#?}", login),
        format!("{refused:?}"),
        format!("{expired:?}"),
        format!("{:?}", s.clone()),
    ];
    for d in &dbgs {
        assert!(!d.contains(PASSWORD) && !d.contains("S3cret"), "{d}");
    }
    // Held requests never include the login itself.
    update(&mut s, expired);
    assert!(!s.held_for_login().iter().any(is_login_request));
    assert!(!format!("{s:?}").contains(PASSWORD));
}

// ------------------------------------------------------------------------------------------------
// Header: insecure, read-only
// ------------------------------------------------------------------------------------------------

/// Plain http: a banner as loud as the insecure one (white on red), at every width.
#[test]
fn the_plain_http_banner_is_as_loud_as_the_insecure_one() {
    let f = Fake::plain(three_items());
    let mut h = header();
    h.plain_http = true;
    let mut s = in_items(&f, h);
    for w in [60u16, 80, 160] {
        let text = text_of(&render(&s, w, 24));
        let first = text.lines().next().unwrap_or_default().to_string();
        let want = if w >= 70 {
            "UNENCRYPTED: plain http"
        } else {
            "PLAIN HTTP"
        };
        assert!(first.contains(want), "{w}: {first}");
    }
    s.color = true;
    let t = render(&s, 80, 24);
    let buf = t.backend().buffer();
    let x = (0..80u16).find(|&x| buf[(x, 0)].symbol() == "U").expect("the banner");
    let cell = &buf[(x, 0)];
    assert_eq!((cell.fg, cell.bg), (Color::White, Color::Red));
}

/// The connection's state is never cut beside a banner: at 80 columns with the plain http banner the
/// header read `… │ API v8 │ ● …` (found in a QA pass against `vex sim --plain`); the user name, then
/// the API version, make room for it.
#[test]
fn the_connection_state_is_not_cut_beside_a_banner() {
    let f = Fake::plain(three_items());
    let mut h = header();
    h.server = "http://127.0.0.1:34967".into();
    h.plain_http = true;
    let mut s = in_items(&f, h);
    for (w, user, api) in [(120u16, true, true), (80, false, true), (70, false, false)] {
        let first = text_of(&render(&s, w, 24))
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(first.contains("● online"), "{w}: {first}");
        assert!(first.contains("UNENCRYPTED: plain http"), "{w}: {first}");
        assert_eq!(first.contains("user CORP"), user, "{w}: {first}");
        assert_eq!(first.contains("API v8"), api, "{w}: {first}");
    }
    s.conn = Conn::Failing("connection refused".into());
    let first = text_of(&render(&s, 80, 24))
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(first.contains("✕ connection refused"), "{first}");
}

#[test]
fn the_insecure_banner_stays_and_reads_without_colour() {
    let f = Fake::plain(three_items());
    let mut h = header();
    h.insecure = true;
    let mut s = in_items(&f, h);
    for w in [60u16, 80, 160] {
        let text = text_of(&render(&s, w, 24));
        let first = text.lines().next().unwrap_or_default().to_string();
        assert!(first.contains("INSECURE"), "{w}: {first}");
    }
    // Over dialogs and the login screen too.
    press(&mut s, KeyCode::Char('?'));
    update(
        &mut s,
        Msg::SessionExpired(Request {
            id: 1,
            call: Call::Sessions { offset: 0, limit: 1 },
        }),
    );
    let t = render(&s, 80, 24);
    assert!(
        text_of(&t)
            .lines()
            .next()
            .unwrap_or_default()
            .contains("INSECURE: certificate not verified")
    );
    // Colour: white on red. No colour: normal video inside the reversed header bar, bold.
    let buf = t.backend().buffer();
    let x = (0..80u16).find(|&x| buf[(x, 0)].symbol() == "I").expect("the banner");
    let cell = &buf[(x, 0)];
    assert!(!cell.modifier.contains(Modifier::REVERSED) && cell.modifier.contains(Modifier::BOLD));
    assert!(buf[(1, 0)].modifier.contains(Modifier::REVERSED));
    s.color = true;
    let t = render(&s, 80, 24);
    let cell = &t.backend().buffer()[(x, 0)];
    assert_eq!((cell.fg, cell.bg), (Color::White, Color::Red));
}

#[test]
fn snapshot_login_empty() {
    let mut s = state_with(HeaderInfo {
        user: String::new(),
        api_version: String::new(),
        ..header()
    })
    .with_login(LoginDialog::start(target(), ""));
    update(&mut s, Msg::Start);
    insta::assert_snapshot!("login_empty_80x24", render(&s, 80, 24).backend());
}

#[test]
fn snapshot_login_with_error() {
    let mut s = state_with(header()).with_login(LoginDialog::start(target(), "CORP\\restore-op"));
    update(&mut s, Msg::Start);
    typed(&mut s, "wrong");
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Effect::Request(Request {
        id: generation,
        call: Call::Login { .. },
    })) = fx.into_iter().find(is_login)
    else {
        panic!("no login")
    };
    update(
        &mut s,
        Msg::Answer(Answer {
            id: generation,
            result: Err(ApiError::Auth("The user name or password is incorrect.".into())),
        }),
    );
    typed(&mut s, "abc");
    insta::assert_snapshot!("login_error_80x24", render(&s, 80, 24).backend());
}

#[test]
fn snapshot_session_expired() {
    let f = Fake::plain(three_items());
    let mut s = in_items(&f, header());
    update(
        &mut s,
        Msg::SessionExpired(Request {
            id: 1,
            call: Call::Sessions { offset: 0, limit: 1 },
        }),
    );
    s.status = None;
    insta::assert_snapshot!("login_expired_80x24", render(&s, 80, 24).backend());
}

#[test]
fn snapshot_insecure_banner() {
    let f = Fake::plain(three_items());
    let mut h = header();
    h.insecure = true;
    let mut s = state_with(h);
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    insta::assert_snapshot!("insecure_banner_80x24", render(&s, 80, 24).backend());
}

#[test]
fn snapshot_read_only_header() {
    let f = Fake::plain(three_items());
    let mut h = header();
    h.read_only = true;
    let mut s = state_with(h);
    let fx = update(&mut s, Msg::Start);
    f.settle(&mut s, fx);
    insta::assert_snapshot!("read_only_header_80x24", render(&s, 80, 24).backend());
}
