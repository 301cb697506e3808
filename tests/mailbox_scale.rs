//! Issue 18: the mailbox pane stays responsive with 5,000 mailboxes (`vex sim --mailboxes 5000`).
//!
//! Measured in one run, so the figures compare like with like on whatever machine runs them (no absolute
//! timing is asserted): the cost of a key in the pane — `update` plus drawing the frame, as the loop does
//! — with 5,000 mailboxes loaded against the same with 50, in the thread's CPU time. Type-ahead find (`/`
//! and a few letters, then Backspace) and moving the cursor must not cost more with 5,000 than a small
//! multiple of 50's. The figures are printed (`cargo test --test mailbox_scale -- --nocapture`).
//!
//! And type-ahead find reaches every mailbox: with a filter typed the pane loads the pages not yet loaded
//! (a 5,000-mailbox organization is 25 pages of 200), so a mailbox far down the list is found.

#[allow(dead_code, reason = "each test crate uses a part of the shared helpers")]
mod support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;
use std::time::Duration;
use support::fake::{from, new_state};
use vex::api::models::Mailbox;
use vex::app::{Answer, Call, Effect, Level, Msg, Response, State, update};

const FIRST: [&str; 16] = [
    "Anna", "Bob", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Jana", "Kenji", "Lea", "Mehmet", "Nora",
    "Oskar", "Priya",
];
const LAST: [&str; 12] = [
    "Müller",
    "Smith",
    "Wang",
    "Ibáñez",
    "Novak",
    "Sato",
    "Öztürk",
    "Berg",
    "Okafor",
    "Rossi",
    "Kim",
    "Lindqvist",
];

/// `n` mailboxes named like an organization's: first and last names, a number from 1,000 on.
fn mailboxes(n: usize) -> Vec<Mailbox> {
    (0..n)
        .map(|i| {
            let (f, l) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            from(json!({
                "id": format!("mb-{i}"),
                "name": format!("{f} {l} {}", 1000 + i),
                "email": format!("{}.{}{}@fabrikam.com", f.to_lowercase(), l.to_lowercase(), 1000 + i),
                "isArchive": i % 97 == 5,
            }))
        })
        .collect()
}

/// Answers the mailbox pages (of the request's offset and limit) and the sessions among `fx`.
fn answer(s: &mut State, all: &[Mailbox], fx: Vec<Effect>) -> Vec<Effect> {
    let mut left = Vec::new();
    let mut fx = fx;
    for _ in 0..10_000 {
        let Some(e) = fx.pop() else { break };
        let Some(r) = e.request().cloned() else {
            left.push(e);
            continue;
        };
        let result = match &r.call {
            Call::Sessions { .. } => Response::Sessions(from(json!([{"id": "s-1", "organization": "fabrikam",
                "type": "Vex", "state": "Working", "creationTime": "2024-03-01T14:00:00Z"}]))),
            Call::Mailboxes { offset, limit, .. } => Response::Mailboxes(
                all.iter()
                    .skip(*offset as usize)
                    .take(*limit as usize)
                    .cloned()
                    .collect(),
            ),
            _ => {
                left.push(e);
                continue;
            }
        };
        fx.extend(update(
            s,
            Msg::Answer(Answer {
                id: r.id,
                result: Ok(result),
            }),
        ));
    }
    left
}

/// The browser in the mailboxes pane of a session of `n` mailboxes; all of them loaded when `load_all`.
fn pane(n: usize, load_all: bool) -> (State, Vec<Mailbox>) {
    let all = mailboxes(n);
    let mut s = new_state();
    s.size = (120, 40);
    let fx = update(&mut s, Msg::Start);
    answer(&mut s, &all, fx);
    let fx = key(&mut s, KeyCode::Enter);
    answer(&mut s, &all, fx);
    assert_eq!(s.focus, Level::Mailboxes);
    if load_all {
        // To the end, page after page, as `G` and the prefetch do.
        for _ in 0..1_000 {
            let fx = key(&mut s, KeyCode::Char('G'));
            answer(&mut s, &all, fx);
            if s.mailboxes.as_ref().is_some_and(|m| m.list.is_complete()) {
                break;
            }
        }
        let fx = key(&mut s, KeyCode::Char('g'));
        answer(&mut s, &all, fx);
        assert_eq!(s.mailboxes.as_ref().map(|m| m.list.rows.len()), Some(n));
    }
    (s, all)
}

fn key(s: &mut State, code: KeyCode) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// CPU time of this thread: what the key cost, without the time other processes had the core (the
/// machine runs several builds at once; wall-clock medians moved by 4x from one run to the next).
fn cpu_now() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A browser in the mailboxes pane with its terminal.
struct Pane {
    s: State,
    all: Vec<Mailbox>,
    t: Terminal<TestBackend>,
}

impl Pane {
    fn new(n: usize) -> Pane {
        let (s, all) = pane(n, true);
        let mut t = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        t.draw(|f| vex::ui::draw(f, &s)).expect("draw");
        Pane { s, all, t }
    }

    /// A key as the loop handles it: update, the answers it asks for, and a frame drawn.
    fn key(&mut self, code: KeyCode) -> Duration {
        let start = cpu_now();
        let fx = key(&mut self.s, code);
        answer(&mut self.s, &self.all, fx);
        self.t.draw(|f| vex::ui::draw(f, &self.s)).expect("draw");
        cpu_now().saturating_sub(start)
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The type-ahead keys of one round: `/`, a query that every mailbox matches (`fab`, of fabrikam.com:
/// a full screen at either size), Backspace ×3, a query that a few match at either size (`104`: 10 of
/// 50, 15 of 5,000), Backspace ×3, Esc. The screens compare like with like, so what differs is what
/// the filter does with 5,000 rows instead of 50.
fn type_ahead_keys() -> Vec<KeyCode> {
    let mut keys = vec![KeyCode::Char('/')];
    for q in ["fab", "104"] {
        keys.extend(q.chars().map(KeyCode::Char));
        keys.extend([KeyCode::Backspace; 3]);
    }
    keys.push(KeyCode::Esc);
    keys
}

const MOVE_KEYS: [KeyCode; 6] = [
    KeyCode::Char('j'),
    KeyCode::Char('j'),
    KeyCode::Char('j'),
    KeyCode::Char('j'),
    KeyCode::Char('j'),
    KeyCode::PageDown,
];

#[test]
fn type_ahead_and_moving_cost_about_the_same_with_5000_mailboxes_as_with_50() {
    let mut small = Pane::new(50);
    let mut big = Pane::new(5_000);
    // Each key pressed in one pane and then in the other, so a busy moment hurts both alike; a
    // warm-up round first (allocator, caches).
    let (mut find, mut moves) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for round in 0..13 {
        for k in type_ahead_keys() {
            let (a, b) = (small.key(k), big.key(k));
            if round > 0 {
                find.0.push(a);
                find.1.push(b);
            }
        }
        for k in MOVE_KEYS {
            let (a, b) = (small.key(k), big.key(k));
            if round > 0 {
                moves.0.push(a);
                moves.1.push(b);
            }
        }
    }
    // What the keys did: the filters found what they should at either size.
    let shown = |p: &mut Pane, q: &str| {
        p.key(KeyCode::Char('/'));
        for c in q.chars() {
            p.key(KeyCode::Char(c));
        }
        let n = p.s.mailboxes.as_ref().map(|m| m.list.len()).unwrap_or_default();
        p.key(KeyCode::Esc);
        n
    };
    assert_eq!((shown(&mut small, "fab"), shown(&mut big, "fab")), (50, 5_000));
    assert_eq!((shown(&mut small, "104"), shown(&mut big, "104")), (10, 15));

    let (find_50, find_5k) = (median(find.0), median(find.1));
    let (move_50, move_5k) = (median(moves.0), median(moves.1));
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    eprintln!(
        "mailbox pane, a key (update + frame, CPU time, median): type-ahead {find_50:?} with 50, {find_5k:?} \
         with 5,000 ({:.2}x); cursor {move_50:?} with 50, {move_5k:?} with 5,000 ({:.2}x)",
        ratio(find_5k, find_50),
        ratio(move_5k, move_50)
    );
    assert!(
        ratio(find_5k, find_50) < 3.0,
        "type-ahead with 5,000 mailboxes costs {:.1}x what it costs with 50",
        ratio(find_5k, find_50)
    );
    assert!(
        ratio(move_5k, move_50) < 2.0,
        "moving with 5,000 mailboxes costs {:.1}x what it costs with 50",
        ratio(move_5k, move_50)
    );
}

#[test]
fn type_ahead_finds_a_mailbox_not_loaded_yet() {
    let (mut s, all) = pane(5_000, false);
    let loaded = s.mailboxes.as_ref().map(|m| m.list.rows.len()).unwrap_or_default();
    assert!(loaded < 5_000, "only the first pages are loaded ({loaded})");
    // The 4,711th mailbox, by its number.
    let wanted = all[4_710].name.clone().expect("name");
    let number = wanted.rsplit(' ').next().unwrap_or_default().to_string();
    let fx = key(&mut s, KeyCode::Char('/'));
    answer(&mut s, &all, fx);
    for c in number.chars() {
        let fx = key(&mut s, KeyCode::Char(c));
        answer(&mut s, &all, fx);
    }
    let m = s.mailboxes.as_ref().expect("pane");
    assert_eq!(m.list.rows.len(), 5_000, "the filter loaded the rest of the mailboxes");
    assert_eq!(m.selected().and_then(|x| x.name.clone()), Some(wanted));
}
