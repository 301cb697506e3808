//! Issue 14, points 16 to 18 and the honest words left over: when each result ran, its destination
//! whole, the zone of time columns, one number style, what `y` says when the copy cannot arrive.
//! A module of `tui_trust` (its fake server and helpers).

use super::*;
use time::macros::{datetime, offset};
use vex::app::DisplayZone;

/// The screen's lines without the quotes of the backend's text.
fn lines(s: &State, w: u16, h: u16) -> Vec<String> {
    text(s, w, h).lines().map(|l| l.trim_matches('"').to_string()).collect()
}

/// The lines of the results list (between the box's top and its separator), inside the border.
fn results_list(s: &State, w: u16, h: u16) -> Vec<String> {
    let all = lines(s, w, h);
    let top = all.iter().position(|l| l.contains("Results")).expect("the results box");
    all[top + 1..]
        .iter()
        .take_while(|l| !l.contains("──────"))
        .map(|l| l.trim_matches(|c| c == '║' || c == ' ').to_string())
        .collect()
}

// ------------------------------------------------------------------------------------------------
// 16. `R` shows when each action ran (local time, its zone) and never cuts the destination.
// ------------------------------------------------------------------------------------------------

#[test]
fn p16_results_say_when_each_ran_and_keep_the_destination_whole() {
    let mut s = marked_three();
    s.zone = DisplayZone::Fixed(offset!(+1));
    // The runtime's clock, as it stamps messages (the update reads no clock itself).
    s.clock = Some(datetime!(2024-03-01 14:05:42 UTC));
    ch(&mut s, 'r');
    fill(&mut s, None);
    confirm_lines(&mut s);
    key(&mut s, KeyCode::Tab);
    let jobs = key(&mut s, KeyCode::Enter);
    let [job] = jobs.as_slice() else { panic!("{jobs:?}") };
    let fx = vex::app::update_at(
        &mut s,
        Msg::Answer(Answer {
            id: job.id,
            result: Ok(Response::Restored(Written {
                result: Ok(RestoreOutcome {
                    created: 3,
                    ..Default::default()
                }),
                audit_error: None,
            })),
        }),
        datetime!(2024-03-01 14:05:50 UTC),
    );
    settle(&mut s, fx);
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'R');
    assert!(matches!(s.overlay, Some(Overlay::Results(_))), "{:?}", s.overlay);
    let dest = "francois.lefevre@contoso.com/Restored from Zoë Müller - Inbox (session 2024-03-01)";
    for (w, h) in [(80, 24), (120, 30), (60, 24)] {
        let screen = text(&s, w, h);
        assert!(screen.contains("Results · times in UTC+01:00"), "{w}x{h}\n{screen}");
        let list = results_list(&s, w, h);
        assert!(list[0].contains("15:05:42"), "the local time, {w}x{h}: {list:?}");
        // The destination, whole, on the lines below the job's (wrapped at spaces, never cut).
        let joined = list[1..].iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        assert!(joined.contains(&format!("to {dest}")), "{w}x{h}: {list:?}");
        assert!(!joined.contains('…'), "{w}x{h}: {list:?}");
        // The details say the day, the zone and how long the answer took.
        assert!(
            screen.contains("sent 2024-03-01 15:05:42 UTC+01:00 · answered after 8 s"),
            "{w}x{h}\n{screen}"
        );
    }
}

#[test]
fn p16_time_columns_say_their_zone_once() {
    let mut s = inbox();
    s.zone = DisplayZone::Fixed(offset!(+1));
    for (w, h) in [(80, 24), (160, 40)] {
        let screen = text(&s, w, h);
        // The items' time column names the zone, once; the rows keep the plain date.
        assert!(screen.contains("Received (UTC+01:00)"), "{w}x{h}\n{screen}");
        assert_eq!(screen.matches("UTC+01:00").count(), 1, "{w}x{h}\n{screen}");
    }
    // The sessions list: its first time column says it (Ended is in the same zone).
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.focus, Level::Sessions);
    let screen = text(&s, 120, 30);
    // (The point-in-time column comes first since issue 16.)
    assert!(screen.contains("Point in time (UTC+01:00)"), "{screen}");
    assert!(screen.contains("2024-03-01 15:00"), "{screen}");
}

// ------------------------------------------------------------------------------------------------
// 17. One number style: counts of a thousand and more carry separators wherever they are drawn; a cut
// title ends with "…"; a list that could not load says so rather than "0+".
// ------------------------------------------------------------------------------------------------

#[test]
fn p17_counts_of_a_thousand_and_more_carry_separators() {
    let mut s = marked_three();
    ch(&mut s, 'r');
    fill(&mut s, None);
    confirm_lines(&mut s);
    key(&mut s, KeyCode::Tab);
    let jobs = key(&mut s, KeyCode::Enter);
    let [job] = jobs.as_slice() else { panic!("{jobs:?}") };
    let warnings: Vec<String> = (0..1_500).map(|i| format!("item {i} was skipped")).collect();
    let fx = update(
        &mut s,
        Msg::Answer(Answer {
            id: job.id,
            result: Ok(Response::Restored(Written {
                result: Ok(RestoreOutcome {
                    created: 1_234,
                    skipped: 1_500,
                    warnings,
                    ..Default::default()
                }),
                audit_error: None,
            })),
        }),
    );
    settle(&mut s, fx);
    key(&mut s, KeyCode::Esc);
    ch(&mut s, 'R');
    assert!(matches!(s.overlay, Some(Overlay::Results(_))), "{:?}", s.overlay);
    let screen = text(&s, 160, 60);
    for want in ["created 1,234", "skipped 1,500", "Warnings (1,500)", "and 1,488 more"] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
    for raw in ["1234", "1500", "1488"] {
        assert!(!screen.contains(raw), "{raw} without separators:\n{screen}");
    }
}

#[test]
fn p17_a_cut_title_ends_with_an_ellipsis() {
    let mut s = inbox();
    // A filter longer than the pane: the title is cut, and says so.
    ch(&mut s, '/');
    typed(
        &mut s,
        "a-query-much-longer-than-the-items-pane-is-wide-at-sixty-columns",
    );
    let top = lines(&s, 60, 20)
        .into_iter()
        .find(|l| l.starts_with('┌') && l.contains("Inbox"))
        .expect("the items pane's title");
    assert!(top.ends_with("… ┐"), "{top}");
}

#[test]
fn p17_a_list_that_could_not_load_says_so() {
    use vex::app::list::Paging;
    let mut s = fake::new_state();
    let fx = update(&mut s, Msg::Start);
    settle(&mut s, fx);
    s.sessions.list.rows.clear();
    s.sessions.list.paging = Paging::Failed("connection reset".into());
    let screen = text(&s, 120, 30);
    assert!(screen.contains("not loaded"), "{screen}");
    assert!(!screen.contains("0+"), "{screen}");
}

// ------------------------------------------------------------------------------------------------
// 18. `y` says when the copy could not be delivered, as far as vex can tell.
// ------------------------------------------------------------------------------------------------

fn press_y(s: &mut State) -> Vec<Effect> {
    update(s, Msg::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE)))
}

fn clipboard_sent(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::Clipboard(_)))
}

#[test]
fn p18_copy_says_when_it_may_not_or_cannot_arrive() {
    use vex::app::copy::ClipboardReach;
    let mut s = inbox();
    // A terminal nothing speaks against: copied.
    let fx = press_y(&mut s);
    assert!(clipboard_sent(&fx));
    assert!(status(&s).starts_with("copied id msg-0"), "{}", status(&s));
    assert!(!status(&s).contains("may not arrive"), "{}", status(&s));
    // tmux without set-clipboard: sent, and the status says it may not arrive, and why.
    s.clipboard = ClipboardReach::Doubtful("tmux's set-clipboard is off".into());
    let fx = press_y(&mut s);
    assert!(clipboard_sent(&fx));
    let st = status(&s);
    assert!(st.contains("sent to the terminal by OSC 52"), "{st}");
    assert!(st.contains("tmux's set-clipboard is off, so it may not arrive"), "{st}");
    assert!(text(&s, 160, 40).contains("may not arrive"));
    // Not a terminal that takes OSC 52: nothing is sent and the status does not say "copied".
    s.clipboard = ClipboardReach::Impossible("this terminal (TERM=dumb) does not accept OSC 52".into());
    let fx = press_y(&mut s);
    assert!(!clipboard_sent(&fx));
    let st = status(&s);
    assert_eq!(st, "could not copy: this terminal (TERM=dumb) does not accept OSC 52");
    assert!(s.status.as_ref().is_some_and(|x| x.error));
}
