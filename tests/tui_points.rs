//! Issue 16 part 1, "which point in time": the new-session dialog lists the organization's restore
//! points (paged, newest first) and starts the session at the one picked; driven through `update` with
//! answers from an in-memory fake and drawn on a `TestBackend`.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use support::fake::{self, from, new_state, render};
use vex::api::ApiError;
use vex::api::models::{Organization, RestorePoint, RestoreSession};
use vex::app::panes::new_session::{NewSessionDialog, NewSessionField, POINTS_PAGE, PointSource};
use vex::app::point;
use vex::app::{Call, Effect, Level, Msg, Overlay, Request, State, update};
use vex::config::session_points::{SessionPoint, SessionPoints};

/// Restore points of `org-1`: 250 daily backups, newest first, from 2024-03-01 02:00 UTC back; every
/// tenth is a backup copy in the other repository, every seventh holds no Exchange data.
fn points(n: usize) -> Vec<RestorePoint> {
    let start = time::macros::datetime!(2024-03-01 02:00:13.5 UTC);
    (0..n)
        .map(|i| {
            let t = start - time::Duration::days(i as i64);
            let copy = i % 10 == 9;
            from(json!({
                "id": format!("rp-{i}"),
                "backupTime": t.format(&time::format_description::well_known::Rfc3339).unwrap(),
                "jobId": if copy { "job-copy" } else { "job-daily" },
                "repositoryId": if copy { "repo-2" } else { "repo-1" },
                "organizationId": "org-1",
                "isExchange": i % 7 != 6,
                "isSharePoint": true, "isOneDrive": true, "isTeams": false,
                "isLongTermCopy": false, "isCopy": copy, "isRetrieved": false, "isDeleted": false
            }))
        })
        .collect()
}

fn orgs() -> Vec<Organization> {
    from(json!([
        {"id": "org-1", "name": "Contoso Ltd", "firstBackuptime": "2023-01-01T02:00:00Z",
         "lastBackuptime": "2024-03-01T02:00:13.5000000Z"},
        {"id": "org-2", "name": "Fabrikam S.A.", "firstBackuptime": "2023-06-01T02:00:00Z",
         "lastBackuptime": "2024-02-29T02:00:00Z"}
    ]))
}

/// The fake server: `org-1` has `n` points, `org-2` none; `refuse_points`: listing points is refused.
struct Server {
    n: usize,
    refuse_points: bool,
}

impl fake::Data for Server {
    fn refuse(&self, call: &Call) -> Option<ApiError> {
        match call {
            Call::RestorePoints { .. } if self.refuse_points => Some(ApiError::Http {
                status: 403,
                message: "Access is denied.".into(),
                error_code: None,
            }),
            _ => None,
        }
    }
    fn sessions(&self) -> Option<Vec<RestoreSession>> {
        if self.n == 0 {
            return Some(Vec::new());
        }
        // The session the dialog starts (`s-new`), and one started elsewhere.
        Some(vec![
            fake::new_session("org-1"),
            from(
                json!({"id": "s-other", "organization": "org-2", "type": "Vex", "state": "Working",
                "creationTime": "2024-03-02T09:00:00Z"}),
            ),
        ])
    }
    fn organizations(&self) -> Option<Vec<Organization>> {
        Some(orgs())
    }
    fn restore_points(&self, organization_id: &str) -> Option<(Vec<RestorePoint>, fake::Names)> {
        let names = vec![
            ("job-daily".to_string(), "Daily Exchange backup".to_string()),
            ("repo-1".to_string(), "Primary repository".to_string()),
            ("repo-2".to_string(), "Object storage copy".to_string()),
            // job-copy: the operator may not read it; its id is shown.
        ];
        Some(match organization_id {
            "org-1" => (points(self.n), names),
            _ => (Vec::new(), Vec::new()),
        })
    }
    fn explore(&self, organization_id: &str) -> Option<RestoreSession> {
        Some(fake::new_session(organization_id))
    }
}

fn press(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn dialog(s: &State) -> &NewSessionDialog {
    match &s.overlay {
        Some(Overlay::NewSession(d)) => d,
        other => panic!("the new-session dialog is not open: {other:?}"),
    }
}

/// The browser at `w`x`h` with the new-session dialog open, everything the fake answers answered.
fn opened(srv: &Server, w: u16, h: u16) -> State {
    let mut s = new_state();
    s.size = (w, h);
    let fx = update(&mut s, Msg::Start);
    fake::settle(srv, &mut s, fx);
    let fx = press(&mut s, KeyCode::Char('n'));
    fake::settle(srv, &mut s, fx);
    s
}

fn screen(s: &State, w: u16, h: u16) -> String {
    let t = render(s, w, h);
    let b = t.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| b[(x, y)].symbol().to_string()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

fn explore_call(fx: &[Effect]) -> (&str, &vex::api::models::ExploreOptions) {
    match fx {
        [
            Effect::Request(Request {
                call:
                    Call::Explore {
                        organization_id,
                        options,
                        ..
                    },
                ..
            }),
        ] => (organization_id, options),
        other => panic!("expected one explore request, got {other:?}"),
    }
}

#[test]
fn the_dialog_lists_the_organizations_restore_points_newest_first_with_names() {
    let srv = Server {
        n: 250,
        refuse_points: false,
    };
    let mut s = new_state();
    let fx = update(&mut s, Msg::Start);
    fake::settle(&srv, &mut s, fx);
    let fx = press(&mut s, KeyCode::Char('n'));
    // The organizations first; their answer asks for the first one's restore points.
    let left = fake::settle(&srv, &mut s, fx);
    assert!(left.is_empty(), "{left:?}");
    let d = dialog(&s);
    assert_eq!(d.points.organization_id.as_deref(), Some("org-1"));
    assert_eq!(d.points.rows.len(), POINTS_PAGE as usize, "one page loaded");
    assert_eq!(d.points.total, Some(250));
    assert!(d.points.more);
    let text = screen(&s, 120, 32);
    assert!(
        text.contains("Restore point (newest first; backup times in UTC)"),
        "{text}"
    );
    assert!(
        text.contains("2024-03-01 02:00  yes       backup        Daily Exchange backup"),
        "{text}"
    );
    assert!(text.contains("Primary repository"), "{text}");
    assert!(text.contains("100 of 250 loaded"), "{text}");
    // The copy's job cannot be named: its id is shown; the point without Exchange data says "no".
    let mut s2 = s.clone();
    press(&mut s2, KeyCode::Tab);
    for _ in 0..9 {
        press(&mut s2, KeyCode::Down);
    }
    let text = screen(&s2, 120, 32);
    assert!(
        text.contains("2024-02-21 02:00  yes       copy          job-copy"),
        "{text}"
    );
    assert!(text.contains("2024-02-24 02:00  no        backup"), "{text}");
}

#[test]
fn picking_a_point_starts_the_session_at_its_exact_time_and_repository() {
    let srv = Server {
        n: 250,
        refuse_points: false,
    };
    let mut s = opened(&srv, 120, 32);
    assert_eq!(dialog(&s).source, PointSource::Latest);
    press(&mut s, KeyCode::Tab);
    assert_eq!(dialog(&s).field, NewSessionField::RestorePoint);
    // The cursor on the newest point is not a choice yet: nothing was picked.
    assert_eq!(dialog(&s).source, PointSource::Latest);
    for _ in 0..9 {
        press(&mut s, KeyCode::Char('j'));
    }
    let d = dialog(&s);
    assert_eq!(d.source, PointSource::Point);
    assert_eq!(d.picked_point().and_then(|p| p.id.as_deref()), Some("rp-9"));
    assert_eq!(
        d.time.value(),
        "2024-02-21 02:00:13",
        "the time field shows the point's time"
    );
    let text = screen(&s, 120, 32);
    assert!(text.contains("the restore point picked above"), "{text}");
    assert!(text.contains("› 2024-02-21 02:00"), "{text}");
    let fx = press(&mut s, KeyCode::Enter);
    let (org, options) = explore_call(&fx);
    assert_eq!(org, "org-1");
    assert_eq!(
        options.date_time.as_ref().map(|d| d.to_wire()).as_deref(),
        Some("2024-02-21T02:00:13.5000000Z"),
        "the point's own time, sub-seconds included"
    );
    assert_eq!(
        options.repository_id.as_deref(),
        Some("repo-2"),
        "its repository (sent on v8)"
    );

    // Typing a time afterwards wins over the picked point (and sends no repository).
    let mut s = opened(&srv, 120, 32);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Tab);
    for _ in 0..3 {
        press(&mut s, KeyCode::Backspace);
    }
    for c in "00:00".chars() {
        press(&mut s, KeyCode::Char(c));
    }
    assert_eq!(dialog(&s).source, PointSource::Typed);
    let fx = press(&mut s, KeyCode::Enter);
    let (_, options) = explore_call(&fx);
    assert_eq!(
        options.date_time.as_ref().map(|d| d.to_wire()).as_deref(),
        Some("2024-02-29T02:00:00.0000000Z")
    );
    assert_eq!(options.repository_id, None);

    // Nothing touched: the latest backup, no repository.
    let mut s = opened(&srv, 120, 32);
    let fx = press(&mut s, KeyCode::Enter);
    let (_, options) = explore_call(&fx);
    assert_eq!(
        options.date_time.as_ref().map(|d| d.to_wire()).as_deref(),
        Some("2024-03-01T02:00:13.5000000Z")
    );
    assert_eq!(options.repository_id, None);
}

#[test]
fn the_next_page_loads_as_the_cursor_nears_the_end() {
    let srv = Server {
        n: 250,
        refuse_points: false,
    };
    let mut s = opened(&srv, 120, 32);
    press(&mut s, KeyCode::Tab);
    let mut asked = Vec::new();
    for _ in 0..95 {
        let fx = press(&mut s, KeyCode::Down);
        for e in &fx {
            if let Some(Call::RestorePoints { offset, limit, .. }) = e.call() {
                asked.push((*offset, *limit));
            }
        }
        fake::settle(&srv, &mut s, fx);
    }
    assert_eq!(
        asked,
        vec![(100, POINTS_PAGE)],
        "one next page, from where the first ended"
    );
    assert_eq!(dialog(&s).points.rows.len(), 200);
    // End jumps to the last loaded; the rest follows; the list ends where the server's does.
    for _ in 0..3 {
        let fx = press(&mut s, KeyCode::End);
        fake::settle(&srv, &mut s, fx);
    }
    let d = dialog(&s);
    assert_eq!(d.points.rows.len(), 250);
    assert!(!d.points.more);
    assert_eq!(d.points.cursor, 249);
    let text = screen(&s, 120, 32);
    assert!(text.contains("250 restore points"), "{text}");
    let ids: Vec<_> = d.points.rows.iter().filter_map(|p| p.id.clone()).collect();
    assert_eq!(
        ids,
        (0..250).map(|i| format!("rp-{i}")).collect::<Vec<_>>(),
        "no gap, no repeat"
    );
}

#[test]
fn another_organization_lists_its_own_points_and_says_when_it_has_none() {
    let srv = Server {
        n: 30,
        refuse_points: false,
    };
    let mut s = opened(&srv, 100, 30);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char('j'));
    assert_eq!(dialog(&s).source, PointSource::Point);
    press(&mut s, KeyCode::BackTab);
    let fx = press(&mut s, KeyCode::Char('j'));
    // Until the answer: loading, and the picked point of the other organization is forgotten.
    let d = dialog(&s);
    assert_eq!(d.source, PointSource::Latest);
    assert!(d.points.loading.is_some() && d.points.rows.is_empty());
    assert_eq!(d.time.value(), "2024-02-29 02:00:00");
    assert!(screen(&s, 100, 30).contains("loading restore points…"));
    fake::settle(&srv, &mut s, fx);
    let text = screen(&s, 100, 30);
    assert!(text.contains("no restore points for this organization"), "{text}");
    assert!(text.contains("the session opens at the time below"), "{text}");
}

#[test]
fn a_refused_listing_is_said_and_a_time_can_still_be_typed() {
    let srv = Server {
        n: 30,
        refuse_points: true,
    };
    let mut s = opened(&srv, 100, 30);
    let text = screen(&s, 100, 30);
    assert!(
        text.contains("! cannot list the restore points: ") && text.contains("Access is denied"),
        "{text}"
    );
    // The session still starts (at the latest backup): the list is a help, not a gate.
    let fx = press(&mut s, KeyCode::Enter);
    let (_, options) = explore_call(&fx);
    assert!(options.date_time.is_some());
}

#[test]
fn picker_snapshots() {
    let srv = Server {
        n: 250,
        refuse_points: false,
    };
    let mut s = opened(&srv, 120, 32);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char('j'));
    insta::assert_snapshot!("picker_120x32", render(&s, 120, 32).backend());
    insta::assert_snapshot!("picker_80x24", render(&s, 80, 24).backend());
    let empty = opened(
        &Server {
            n: 0,
            refuse_points: false,
        },
        80,
        24,
    );
    insta::assert_snapshot!("picker_empty_80x24", render(&empty, 80, 24).backend());
}

/// The real loop against the emulator (v6, whose `RestorePoints` is one bare array, and v8, which pages):
/// the dialog lists the organization's real restore points, newest first, as the client reads them, with
/// their job's name; picking the third starts a session at its time (and on v8 in its repository).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_lists_the_emulators_restore_points_and_opens_the_picked_one() {
    use support::app::{AppHarness, Setup};
    use vex::api::{ApiVersion, VersionChoice};
    for v in [ApiVersion::V6, ApiVersion::V8] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("state").join("session_points.json");
        let f = file.clone();
        let mut h = AppHarness::launch_with(
            Setup {
                size: (120, 32),
                api: VersionChoice::Fixed(v),
                tag: format!("[{v}] "),
                ..Default::default()
            },
            move |mut s| {
                s.points_file = Some(f);
                s
            },
        )
        .await;
        h.until("the sessions", |s| !s.is_loading()).await;
        h.key(KeyCode::Char('n'));
        h.until("the restore points", |s| {
            matches!(&s.overlay, Some(Overlay::NewSession(d)) if !d.points.rows.is_empty() && d.points.loading.is_none())
        })
        .await;
        let d = dialog(h.state()).clone();
        let org = d.points.organization_id.clone().expect("an organization");
        assert_eq!(d.selected_org().and_then(|o| o.id.as_deref()), Some(org.as_str()));
        let client = h.app.client().clone();
        let expected = client.restore_points(&org, 0, POINTS_PAGE).await.expect("the points");
        let ids = |p: &[RestorePoint]| p.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
        assert!(!expected.results.is_empty(), "{v}: the emulator has restore points");
        assert_eq!(ids(&d.points.rows), ids(&expected.results), "{v}");
        let first = &d.points.rows[0];
        let job = client
            .job(first.job_id.as_deref().expect("a job"))
            .await
            .expect("the job")
            .name
            .expect("a job name");
        let when = h.state().zone.short(first.backup_time.as_ref().expect("a time"));
        let screen = h.screen();
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&format!("{when}  ")) && l.contains(&job[..job.len().min(20)])),
            "{v}: no row of {when} with {job}:\n{screen}"
        );

        // Pick the third point and start.
        h.key(KeyCode::Tab);
        h.keys(KeyCode::Down, 2);
        h.until(
            "the pick",
            |s| matches!(&s.overlay, Some(Overlay::NewSession(d)) if d.points.cursor == 2),
        )
        .await;
        let picked = d.points.rows[2].clone();
        h.key(KeyCode::Enter);
        h.until("the new session", |s| s.overlay.is_none() && s.mailboxes.is_some())
            .await;
        let sid = h.state().mailboxes.as_ref().expect("mailboxes").session.id.clone();
        // Written down by the runtime (0600), with the point it was picked from.
        let store = SessionPoints::new(file.clone());
        let saved = store
            .get(h.server.base_url(), &sid)
            .expect("the session's point is written down");
        assert_eq!(saved.restore_point_id, picked.id, "{v}");
        assert_eq!(
            saved.point_in_time.as_deref(),
            picked.backup_time.as_ref().map(|t| t.to_wire()).as_deref(),
            "{v}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).expect("the file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{v}");
        }
        let crumb = h.screen().lines().nth(1).unwrap_or_default().to_string();
        let when = point::zoned(h.state(), picked.backup_time.as_ref().expect("a time"));
        assert!(crumb.contains(&format!("point in time {when}")), "{v}: {crumb}");
        let settings = h.server.store().explore_settings(&sid).expect("an explore session");
        assert_eq!(
            settings.point_in_time,
            picked.backup_time.as_ref().and_then(|t| t.as_utc()),
            "{v}"
        );
        let repo = settings.repository_id.map(|r| r.to_string());
        if v == ApiVersion::V8 {
            assert_eq!(repo.as_deref(), picked.repository_id.as_deref(), "{v}");
        } else {
            assert_eq!(repo, None, "{v}: no repository before v8");
        }
    }
}

/// Issue 16: the point in time is on screen wherever a restore decision is made. A session vex started
/// shows the point picked (sessions list, breadcrumb, header; the zone named); one started elsewhere
/// says plainly that it is not known; the Explore request carries where the runtime writes it down.
#[test]
fn the_point_in_time_of_the_session_is_on_screen() {
    let srv = Server {
        n: 30,
        refuse_points: false,
    };
    let mut s = opened(&srv, 120, 32);
    s.points_file = Some(std::path::PathBuf::from("/state/session_points.json"));
    press(&mut s, KeyCode::Tab);
    for _ in 0..9 {
        press(&mut s, KeyCode::Char('j'));
    }
    let fx = press(&mut s, KeyCode::Enter);
    let Some(Call::Explore { remember, .. }) = fx.first().and_then(Effect::call) else {
        panic!("{fx:?}")
    };
    let r = remember.as_ref().expect("where to write the point down");
    assert_eq!(r.file, std::path::PathBuf::from("/state/session_points.json"));
    assert_eq!(r.restore_point_id.as_deref(), Some("rp-9"));
    fake::settle(&srv, &mut s, fx);
    assert_eq!(s.focus, Level::Mailboxes);
    let text = screen(&s, 120, 32);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let crumb = lines.next().unwrap_or_default();
    assert!(header.contains("│ point in time 2024-02-21 02:00 UTC"), "{header}");
    assert!(
        crumb.contains("Sessions › org-1 · point in time 2024-02-21 02:00 UTC"),
        "{crumb}"
    );
    // The sessions list: a column, the zone in the title; the other session's point is not known.
    press(&mut s, KeyCode::Esc);
    let text = screen(&s, 120, 32);
    assert!(text.contains("Point in time (UTC)"), "{text}");
    let row = |org: &str| text.lines().find(|l| l.contains(org)).unwrap_or_default().to_string();
    assert!(row("org-1").contains("2024-02-21 02:00"), "{text}");
    assert!(row("org-2").contains("not known"), "{text}");
    insta::assert_snapshot!("sessions_with_points_120x32", render(&s, 120, 32).backend());

    // Opening the session started elsewhere: the breadcrumb says so.
    press(&mut s, KeyCode::Down);
    let fx = press(&mut s, KeyCode::Enter);
    fake::settle(&srv, &mut s, fx);
    let text = screen(&s, 120, 32);
    assert!(
        text.lines()
            .nth(1)
            .unwrap_or_default()
            .contains("org-2 · point in time not known"),
        "{text}"
    );
}

/// A vex started later knows the points of the sessions an earlier one started (read from the state dir
/// at start-up); a session started without a time says "the latest backup".
#[test]
fn remembered_points_are_shown_after_a_restart() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SessionPoints::new(dir.path().join("session_points.json"));
    for (id, at) in [("s-new", Some("2024-02-21T02:00:13.5000000Z")), ("s-other", None)] {
        store
            .remember(SessionPoint {
                server: "https://demo:4443".into(),
                session_id: id.into(),
                point_in_time: at.map(str::to_string),
                ..Default::default()
            })
            .expect("written");
    }
    let srv = Server {
        n: 30,
        refuse_points: false,
    };
    let mut s = new_state();
    s.size = (120, 32);
    point::known(&mut s, store.all("https://demo:4443"));
    let fx = update(&mut s, Msg::Start);
    fake::settle(&srv, &mut s, fx);
    let text = screen(&s, 120, 32);
    let row = |org: &str| text.lines().find(|l| l.contains(org)).unwrap_or_default().to_string();
    assert!(row("org-1").contains("2024-02-21 02:00"), "{text}");
    assert!(row("org-2").contains("latest backup"), "{text}");
    assert!(
        store.all("https://other:4443").is_empty(),
        "points of another server are not shown"
    );
}
