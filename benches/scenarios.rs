//! Performance scenarios at process level (issue 7). Each prints its figures as it runs; a table with a
//! summary line comes last. Run by `benches/run` (`cargo bench --bench scenarios [-- NAME...]`, release);
//! `cargo test --all-targets` runs this target without `--bench`: a smoke pass at small sizes, in seconds,
//! that checks the scenarios still run (targets are not judged on a debug build).
//!
//! The emulator always runs in another process (`vex sim --plain --listen 127.0.0.1:0`), so its memory
//! and CPU are not counted; the peak-memory scenario runs in a child process of its own.

mod support;

use crossterm::event::KeyCode;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::{Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fixture;
use support::{
    BIN, Browser, ByteCount, MILLION, PASSWORD, Sim, USER, client, client_version, cpu_time, full_run, median,
};
use vex::api::ApiVersion;
use vex::app::layout::View;
use vex::app::{Action, Level, Msg, State, update};
use vex::runtime::terminal::{CompactBackend, draw_frame};
use vex::ui::panes::draw_view;
use vex::ui::theme::Theme;

/// The terminal size the scenarios use.
const SIZE: (u16, u16) = (200, 60);

/// How big each scenario is: the real sizes under `cargo bench`, small ones for the smoke pass.
struct Scale {
    full: bool,
    render_samples: usize,
    render_iters: u32,
    bytes_reps: usize,
    latency_keys: usize,
    latency_ms: u64,
    idle: Duration,
    burst: Duration,
    startup_runs: usize,
}

impl Scale {
    fn new(full: bool) -> Scale {
        if full {
            Scale {
                full,
                render_samples: 21,
                render_iters: 100,
                bytes_reps: 5,
                latency_keys: 40,
                latency_ms: 500,
                idle: Duration::from_secs(5),
                burst: Duration::from_secs(2),
                startup_runs: 3,
            }
        } else {
            Scale {
                full,
                render_samples: 3,
                render_iters: 2,
                bytes_reps: 1,
                latency_keys: 3,
                latency_ms: 100,
                idle: Duration::from_millis(300),
                burst: Duration::from_millis(300),
                startup_runs: 1,
            }
        }
    }
}

/// One line of the table: what vex did, what it is compared with (a limit or a peer), their ratio, the
/// target and whether it is met.
struct Outcome {
    name: &'static str,
    vex: String,
    /// The limit or the peer measured beside it ("-" when there is none).
    peer: String,
    /// vex against the peer ("-" when not a ratio).
    ratio: String,
    target: &'static str,
    /// None: no fixed target (reported only).
    met: Option<bool>,
}

impl Outcome {
    /// A figure with no peer or ratio.
    fn alone(name: &'static str, vex: String, target: &'static str, met: Option<bool>) -> Outcome {
        Outcome {
            name,
            vex,
            peer: "-".into(),
            ratio: "-".into(),
            target,
            met,
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() -> ExitCode {
    let scale = Scale::new(full_run());
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    println!(
        "vex performance scenarios ({}, {} build)",
        if scale.full { "full run" } else { "smoke pass" },
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    let sim = Sim::spawn(&[]);
    println!("emulator: {} (pid {}, separate process)", sim.url, sim.pid());
    // The split of the loopback's receive work between the emulator and its reader depends on it (README).
    match vex::sim::zerocopy::send_buffer_here() {
        Some(b) => println!(
            "emulator's send buffer: SO_SNDBUF {} MB ({} MB once the kernel doubles it; sim::zerocopy::send_buffer_size)",
            b >> 20,
            (2 * b) >> 20
        ),
        None => println!("emulator's send buffer: the kernel's autotuning (sim::zerocopy::send_buffer_size)"),
    }
    let mut out: Vec<Outcome> = Vec::new();
    let started = Instant::now();
    type Scenario = fn(&Sim, &Scale) -> Vec<Outcome>;
    let all: [(&str, Scenario); 8] = [
        ("render", render),
        ("memory", memory),
        ("throughput", throughput),
        ("bytes", bytes),
        ("latency", latency),
        ("idle", idle),
        ("requests", requests),
        ("startup", startup),
    ];
    for (name, f) in all {
        if want(name) {
            println!("\n== {name}");
            let t = Instant::now();
            out.extend(f(&sim, &scale));
            println!("   ({name} took {:.1} s)", t.elapsed().as_secs_f64());
        }
    }
    drop(sim);
    println!("\n(all scenarios took {:.1} s)", started.elapsed().as_secs_f64());
    print_table(&out, scale.full);
    let missed = out.iter().filter(|o| o.met == Some(false)).count();
    if scale.full && missed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_table(out: &[Outcome], full: bool) {
    let width =
        |f: &dyn Fn(&Outcome) -> &str, min: usize| out.iter().map(|o| f(o).chars().count()).fold(min, usize::max);
    let w = [
        width(&|o| o.name, 8),
        width(&|o| &o.vex, 3),
        width(&|o| &o.peer, 13),
        width(&|o| &o.ratio, 5),
        width(&|o| o.target, 6),
    ];
    let line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            l.push_str(c);
            if let Some(w) = w.get(i) {
                l.extend(std::iter::repeat_n(' ', w.saturating_sub(c.chars().count()) + 2));
            }
        }
        println!("{}", l.trim_end());
    };
    line(["scenario", "vex", "limit or peer", "ratio", "target", "met"]);
    println!("{}", "-".repeat(w.iter().sum::<usize>() + 2 * w.len() + 6));
    for o in out {
        let result = match (o.met, full) {
            (None, _) => "reported",
            (Some(_), false) => "smoke",
            (Some(true), true) => "met",
            (Some(false), true) => "MISSED",
        };
        line([o.name, &o.vex, &o.peer, &o.ratio, o.target, result]);
    }
    let targets = out.iter().filter(|o| o.met.is_some()).count();
    let met = out.iter().filter(|o| o.met == Some(true)).count();
    if full {
        println!("summary: {met} of {targets} targets met");
    } else {
        println!("summary: smoke pass, {targets} targets not judged (run benches/run)");
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ------------------------------------------------------------------------------------------------ render

/// One frame of the items pane (the whole 200x60 area) at 100 items and at 1,000,000 items, cursor in the
/// middle of the million; interleaved samples, medians.
fn render(sim: &Sim, s: &Scale) -> Vec<Outcome> {
    let rt = runtime();
    let (hundred, million) = rt.block_on(async {
        let c = client(&sim.url).await;
        let mut m = fixture::million_state(&c, SIZE).await;
        fixture::goto(&mut m, &c, MILLION / 2).await;
        let h = fixture::small_state(&m, &c, 100).await;
        (h, m)
    });
    assert!(million.items.as_ref().is_some_and(|i| i.selected().is_some()));
    if std::env::var_os("VEX_BENCH_SCREEN").is_some() {
        let mut t = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
        t.draw(|f| vex::ui::draw(f, &million)).expect("draw");
        println!("{}", t.backend());
    }
    let mut term = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
    let theme = Theme::new(true);
    let mut pane = |state: &State, iters: u32| -> f64 {
        let t = Instant::now();
        for _ in 0..iters {
            let mut f = term.get_frame();
            let area = f.area();
            draw_view(f.buffer_mut(), area, state, View::Pane(Level::Items), true, &theme);
        }
        t.elapsed().as_nanos() as f64 / f64::from(iters)
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    pane(&hundred, s.render_iters);
    pane(&million, s.render_iters);
    for i in 0..s.render_samples {
        if i % 2 == 0 {
            a.push(pane(&hundred, s.render_iters));
            b.push(pane(&million, s.render_iters));
        } else {
            b.push(pane(&million, s.render_iters));
            a.push(pane(&hundred, s.render_iters));
        }
    }
    let (ta, tb) = (median(&mut a), median(&mut b));
    let ratio = tb / ta;
    // The whole screen too (folders, items, preview), for the record.
    let mut frame = |state: &State, iters: u32| -> f64 {
        let t = Instant::now();
        for _ in 0..iters {
            let mut f = term.get_frame();
            vex::ui::draw(&mut f, state);
        }
        t.elapsed().as_nanos() as f64 / f64::from(iters)
    };
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    for _ in 0..s.render_samples.div_ceil(2) {
        fa.push(frame(&hundred, s.render_iters));
        fb.push(frame(&million, s.render_iters));
    }
    let (fa, fb) = (median(&mut fa), median(&mut fb));
    println!(
        "   items pane 200x60: 100 items {:.1} µs, 1,000,000 items {:.1} µs per frame: ratio {ratio:.2}",
        ta / 1e3,
        tb / 1e3
    );
    println!(
        "   whole screen:      100 items {:.1} µs, 1,000,000 items {:.1} µs per frame",
        fa / 1e3,
        fb / 1e3
    );
    let (vex_frame, ratatui_frame) = scroll_frame_cpu(&million, s);
    println!(
        "   one-row scroll frame 200x60 (drawn, diffed, sent to a sink; thread CPU, median): vex's backend \
         {:.0} µs, ratatui's crossterm backend {:.0} µs",
        vex_frame / 1e3,
        ratatui_frame / 1e3
    );
    vec![
        Outcome {
            name: "render: items pane, 1M items vs 100",
            vex: format!("{:.0} µs", tb / 1e3),
            peer: format!("100 items {:.0} µs", ta / 1e3),
            ratio: format!("{ratio:.2}"),
            target: "≤ 1.5",
            met: Some(ratio <= 1.5),
        },
        Outcome {
            name: "CPU of a one-row scroll frame, 200x60",
            vex: format!("{:.2} ms", vex_frame / 1e6),
            peer: format!("ratatui's backend {:.2} ms", ratatui_frame / 1e6),
            ratio: format!("{:.2}", vex_frame / ratatui_frame),
            target: "≤ 1.2 ms",
            met: Some(vex_frame <= 1.2e6),
        },
    ]
}

/// CPU time of this thread (ns): what a frame costs, whatever else the machine runs.
fn thread_cpu_ns() -> f64 {
    // SAFETY: clock_gettime writes the timespec it is given.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// A frame in which the list scrolls by one row (Down and Up in turn, the cursor on the window's edge),
/// drawn and written to a sink as the browser's loop does (`draw_frame`: drawn into the terminal's buffer,
/// written whole by vex's backend), against ratatui's `Terminal::draw` with its crossterm backend;
/// interleaved samples, medians of the thread's CPU time per frame.
fn scroll_frame_cpu(million: &State, s: &Scale) -> (f64, f64) {
    let options = || TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, SIZE.0, SIZE.1)),
    };
    let a = million.clone();
    let mut t = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
    t.draw(|f| vex::ui::draw(f, &a)).expect("draw");
    let mut b = a.clone();
    update(&mut b, Msg::Action(Action::Down));
    let states = [a, b];
    let sink = CompactBackend::with_size(CrosstermBackend::new(std::io::sink()), Size::new(SIZE.0, SIZE.1));
    let mut vex_t = Terminal::with_options(sink, options()).expect("terminal");
    let mut plain_t = Terminal::with_options(CrosstermBackend::new(std::io::sink()), options()).expect("terminal");
    let iters = s.render_iters.max(2) as usize;
    let (mut v, mut r) = (Vec::new(), Vec::new());
    for sample in 0..s.render_samples + 1 {
        let t0 = thread_cpu_ns();
        for i in 0..iters {
            // As the loop draws (`App::compact_frames`).
            draw_frame(&mut vex_t, |buf, area| vex::ui::draw_into(buf, area, &states[i % 2])).expect("draw");
        }
        let t1 = thread_cpu_ns();
        for i in 0..iters {
            plain_t.draw(|f| vex::ui::draw(f, &states[i % 2])).expect("draw");
        }
        let t2 = thread_cpu_ns();
        // The first sample warms up.
        if sample > 0 {
            v.push((t1 - t0) / iters as f64);
            r.push((t2 - t1) / iters as f64);
        }
    }
    (median(&mut v), median(&mut r))
}

// ------------------------------------------------------------------------------------------------ memory

/// Peak RSS of the real `vex` (release) in a pseudo-terminal (tmux, 200x60) connected to the emulator,
/// driven by keys as an operator would: open `Inbox/Archive 1M`, `G`, 2,000 × PgUp then 2,000 × PgDn,
/// a server search, a result's details. VmHWM read from `/proc/PID/status` of vex itself.
fn memory(sim: &Sim, s: &Scale) -> Vec<Outcome> {
    const NAME: &str = "memory: real vex in tmux, 1M folder + G + PgUp/PgDn + search + details";
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("   tmux is not installed: not measured");
        return vec![Outcome::alone(
            NAME,
            "not measured (no tmux)".into(),
            "≤ 32 MB",
            Some(false),
        )];
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = format!("vex-bench-mem-{}", std::process::id());
    let cmd = format!(
        "exec env VEX_PASSWORD={PASSWORD} VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config VEX_DATA_DIR={d}/data \
         {BIN} --server {url} --user {USER} --api v8",
        d = dir.path().display(),
        url = sim.url
    );
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null"])
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("tmux")
    };
    let ok = tmux(&["new-session", "-d", "-s", "m", "-x", "200", "-y", "60", &cmd])
        .status
        .success();
    assert!(ok, "tmux new-session");
    let screen = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "m"]).stdout).into_owned();
    let wait = |what: &str, pred: &dyn Fn(&str) -> bool| {
        let t = Instant::now();
        loop {
            let sc = screen();
            if pred(&sc) {
                return sc;
            }
            assert!(t.elapsed() < Duration::from_secs(120), "waiting for {what}:\n{sc}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let keys = |k: &[&str]| {
        for k in k {
            tmux(&["send-keys", "-t", "m", k]);
            std::thread::sleep(Duration::from_millis(80));
        }
    };
    let text = |t: &str| {
        tmux(&["send-keys", "-t", "m", "-l", t]);
        std::thread::sleep(Duration::from_millis(80));
    };
    // The items pane's title: "Archive 1M · CURSOR/TOTAL".
    let cursor = |sc: &str| -> Option<String> {
        let at = sc.find("Archive 1M · ")? + "Archive 1M · ".len();
        Some(sc[at..].split_whitespace().next()?.to_string())
    };
    // vex's pid (the pane's process: `exec env … vex`), and its VmRSS / VmHWM (MB) now.
    let pid = String::from_utf8_lossy(&tmux(&["display-message", "-p", "-t", "m", "#{pane_pid}"]).stdout)
        .trim()
        .to_string();
    let mem = || -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kb = |k: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        (kb("VmRSS") as f64 / 1024.0, kb("VmHWM") as f64 / 1024.0)
    };
    // After each step: where the memory grows.
    let mut stages: Vec<(&str, f64, f64)> = Vec::new();
    let mut stage = |what: &'static str| {
        let (rss, hwm) = mem();
        stages.push((what, rss, hwm));
    };
    let t0 = Instant::now();
    wait("the sessions", &|sc| sc.contains("contoso.onmicrosoft.com"));
    stage("sessions");
    keys(&["/"]);
    text("contoso");
    keys(&["Enter", "Enter"]);
    wait("the mailboxes", &|sc| sc.contains("François Lefèvre"));
    keys(&["Down", "Enter"]);
    wait("the folders", &|sc| sc.contains("Inbox"));
    keys(&["/"]);
    text("inbox");
    keys(&["Enter", "Space"]);
    wait("the Inbox open", &|sc| sc.contains("▾ Inbox"));
    // The filter shows only the Inbox: its children appear once it is cleared.
    keys(&["Escape"]);
    wait("the Inbox's children", &|sc| sc.contains("Archive 1M"));
    keys(&["/"]);
    text("archive 1m");
    keys(&["Enter", "Enter"]);
    wait("the first rows", &|sc| cursor(sc).is_some_and(|c| c.starts_with("1/")));
    stage("open");
    keys(&["G"]);
    wait("the last row", &|sc| {
        cursor(sc).as_deref() == Some("1,000,000/1,000,000")
    });
    stage("G");
    let (n, settle) = if s.full { ("2000", 400) } else { ("20", 100) };
    // Settled: the same cursor for a while.
    let still = |what: &str| {
        let mut last = String::new();
        let mut since = Instant::now();
        loop {
            assert!(since.elapsed() < Duration::from_secs(120), "{what} never settled");
            let c = cursor(&screen()).unwrap_or_default();
            if c != last {
                last = c;
                since = Instant::now();
            } else if since.elapsed() > Duration::from_millis(settle) && !screen().contains("loading") {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    tmux(&["send-keys", "-t", "m", "-N", n, "PPage"]);
    let up = still("page up");
    stage("PgUp");
    // Every key was read: the cursor moved n pages (a page: the rows the list shows).
    let row = |c: &str| -> u64 { c.split('/').next().unwrap_or("").replace(',', "").parse().unwrap_or(0) };
    let moved = MILLION - row(&up);
    tmux(&["send-keys", "-t", "m", "-N", n, "NPage"]);
    let down = still("page down");
    stage("PgDn");
    let keys_n: u64 = n.parse().expect("n");
    assert!(
        moved.is_multiple_of(keys_n) && row(&down) == MILLION,
        "{n} × PgUp moved {moved} rows (not a whole number of pages each) or {n} × PgDn did not come back \
         to the end ({down}): keys were lost"
    );
    keys(&["s"]);
    text("subject:budget");
    keys(&["Enter"]);
    wait("the search results", &|sc| {
        sc.contains("Search: subject:budget") && sc.contains("Budget review")
    });
    stage("search");
    keys(&["Enter"]);
    wait("the details", &|sc| sc.contains("› Re: Budget review"));
    stage("details");
    let secs = t0.elapsed().as_secs_f64();
    let (rss, hwm) = mem();
    tmux(&["kill-server"]);
    assert!(hwm > 0.0, "no VmHWM for vex (pid {pid})");
    println!(
        "   vex {BIN} in tmux 200x60 (pid {pid}): open the million, G, {n} × PgUp (cursor {up}: {} rows a key), \
         {n} × PgDn (cursor {down}), search, details in {secs:.1} s: peak RSS {hwm:.1} MB, now {rss:.1} MB",
        moved / keys_n
    );
    let steps: Vec<String> = stages
        .iter()
        .map(|(what, rss, hwm)| format!("{what} {rss:.1}/{hwm:.1}"))
        .collect();
    println!("   RSS/peak (MB) after each step: {}", steps.join(", "));
    vec![Outcome {
        name: NAME,
        vex: format!("{hwm:.1} MB (VmHWM; {n} × PgUp, {n} × PgDn)"),
        peer: "limit 32 MB".into(),
        ratio: format!("{:.2}", hwm / 32.0),
        target: "≤ 32 MB",
        met: Some(hwm <= 32.0),
    }]
}

// -------------------------------------------------------------------------------------------- throughput

/// `vex items --all` (the real binary, output to /dev/null) on the last 100,000 items of the million-item
/// folder, against a raw HTTP loop fetching the same pages (same page size, bodies discarded). Each round
/// runs the raw loop and vex in its three formats (JSON lines, JSON, the table) back to back, in an order
/// that turns by one each round; a format's ratio is the median over the rounds of its time over that
/// round's raw loop (paired: a host that is slower for a while slows both sides of a pair). Also: the
/// emulator's CPU while vex reads (it must not be what is measured), the peak RSS at page sizes up to
/// 10,000 (from runs of its own, watched: the timed runs are reaped without being looked at while they
/// run), and the PyPI `veeam-365` client.
fn throughput(sim: &Sim, s: &Scale) -> Vec<Outcome> {
    use support::wire;
    let (start, n, rounds) = if s.full {
        (MILLION - 100_000, 100_000u64, 15u32)
    } else {
        (MILLION - 2_000, 2_000u64, 1)
    };
    let big: u32 = if s.full { 10_000 } else { 1_000 };
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime();
    let key = rt.block_on(async { fixture::million_key(&client(&sim.url).await).await });
    // The raw loop runs in this process: its CPU is this process's while it runs (nothing else does).
    let raw_cpu = std::cell::Cell::new(Vec::new());
    let raw = |limit: u32| {
        let c0 = wire::own_cpu();
        let r = rt.block_on(wire::raw_loop(&sim.url, &key, start, MILLION, limit));
        let mut v = raw_cpu.take();
        v.push(ms(wire::own_cpu() - c0));
        raw_cpu.set(v);
        r
    };
    let vex = |limit: u32, fmt: &str| wire::vex_items(&sim.url, dir.path(), &key, start, limit, fmt, wire::Wait::Timed);
    let watched =
        |limit: u32| wire::vex_items(&sim.url, dir.path(), &key, start, limit, "--jsonl", wire::Wait::Watched);
    // Warm up: the emulator keeps pages as bytes after their first request.
    let (_, bytes) = raw(big);
    vex(big, "--jsonl");
    // Per format (JSON lines, JSON, table): the walls and the ratios to the round's raw loop.
    const FORMATS: [&str; 3] = ["--jsonl", "--json", ""];
    let mut walls: [Vec<f64>; 3] = Default::default();
    let mut ratios: [Vec<f64>; 3] = Default::default();
    let mut tr = Vec::new();
    let (mut sim_cpu, mut vex_wall) = (Duration::ZERO, Duration::ZERO);
    let mut vex_cpu = Vec::new();
    for r in 0..rounds as usize {
        let mut round = [0.0f64; 4];
        for k in 0..4 {
            // 0: the raw loop; 1..=3: vex in FORMATS[k - 1].
            let which = (r + k) % 4;
            if which == 0 {
                round[0] = ms(raw(big).0);
                continue;
            }
            let c0 = wire::cpu_of(sim.pid());
            let run = vex(big, FORMATS[which - 1]);
            round[which] = ms(run.wall);
            if which == 1 {
                sim_cpu += wire::cpu_of(sim.pid()) - c0;
                vex_wall += run.wall;
                vex_cpu.push(ms(run.cpu));
            }
        }
        tr.push(round[0]);
        for f in 0..3 {
            walls[f].push(round[f + 1]);
            ratios[f].push(round[f + 1] / round[0]);
        }
    }
    let per_round: Vec<String> = ratios[0].iter().map(|r| format!("{r:.2}")).collect();
    let [tv, json, table] = walls.each_mut().map(|w| median(w));
    let [ratio, json_ratio, table_ratio] = ratios.each_mut().map(|r| median(r));
    let tr = median(&mut tr);
    // The rounds' raw loops (the warm-up's first).
    let mut rc: Vec<f64> = raw_cpu.take().into_iter().skip(1).collect();
    let (cv, cr) = (median(&mut vex_cpu), median(&mut rc));
    // The emulator's CPU per item served against vex's time per item consumed.
    let serve = vex_wall.as_secs_f64() / sim_cpu.as_secs_f64().max(0.001);
    // Peak RSS from runs of their own, watched (the timed runs are not looked at while they run).
    let mut sizes = vec![(big, watched(big).maxrss_kb)];
    for limit in [100u32, 1_000].into_iter().filter(|l| *l != big) {
        raw(limit);
        sizes.push((limit, watched(limit).maxrss_kb));
    }
    let peak = sizes.iter().map(|(_, k)| *k).max().unwrap_or(0) as f64 / 1024.0;
    let per_size: Vec<String> = sizes
        .iter()
        .map(|(l, k)| format!("{} a page {:.1} MB", thousands(u64::from(*l)), *k as f64 / 1024.0))
        .collect();
    println!(
        "   {} items ({:.0} MB of JSON), {} a page, {rounds} rounds (medians; ratios paired by round): vex items \
         --all --jsonl {tv:.0} ms ({:.0} items/s), raw HTTP loop {tr:.0} ms ({:.0} items/s): ratio {ratio:.2}; \
         --json {json:.0} ms ({json_ratio:.2}), table {table:.0} ms ({table_ratio:.2})",
        thousands(n),
        bytes as f64 / 1e6,
        thousands(u64::from(big)),
        n as f64 / tv * 1000.0,
        n as f64 / tr * 1000.0,
    );
    println!("   per round (vex --jsonl / raw): {}", per_round.join(" "));
    println!(
        "   the emulator used {:.0} ms of CPU while vex read for {:.0} ms: it serves {serve:.1}× faster than vex \
         consumes",
        ms(sim_cpu),
        ms(vex_wall)
    );
    println!("   peak RSS of vex items --all (VmHWM): {}", per_size.join(", "));
    println!(
        "   CPU (user + system, median): vex items --all --jsonl {cv:.0} ms, the raw loop's client {cr:.0} ms; the \
         emulator's per vex run {:.0} ms",
        ms(sim_cpu) / f64::from(rounds)
    );
    let mut out = vec![
        Outcome {
            name: "vex items --all --jsonl, 100,000 items",
            vex: format!("{tv:.0} ms (median of {rounds}; CPU {cv:.0} ms)"),
            peer: format!("raw HTTP loop {tr:.0} ms (client CPU {cr:.0} ms)"),
            ratio: format!("{ratio:.2}"),
            target: "≤ 1.25",
            met: Some(ratio <= 1.25),
        },
        Outcome {
            name: "vex items --all --json",
            vex: format!("{json:.0} ms (median of {rounds})"),
            peer: format!("raw HTTP loop {tr:.0} ms"),
            ratio: format!("{json_ratio:.2}"),
            target: "≤ 1.25",
            met: Some(json_ratio <= 1.25),
        },
        Outcome {
            name: "vex items --all (table)",
            vex: format!("{table:.0} ms (median of {rounds})"),
            peer: format!("raw HTTP loop {tr:.0} ms"),
            ratio: format!("{table_ratio:.2}"),
            target: "≤ 1.25",
            met: Some(table_ratio <= 1.25),
        },
        Outcome {
            name: "vex items --all: peak RSS, pages ≤ 10,000",
            vex: format!("{peak:.1} MB ({})", per_size.join(", ")),
            peer: "limit 32 MB".into(),
            ratio: format!("{:.2}", peak / 32.0),
            target: "≤ 32 MB",
            met: Some(peak <= 32.0),
        },
        Outcome {
            name: "emulator serving vs vex consuming",
            vex: format!("vex {:.0} ms", ms(vex_wall)),
            peer: format!("emulator CPU {:.0} ms", ms(sim_cpu)),
            ratio: format!("{serve:.1}×"),
            target: "≥ 3×",
            met: Some(serve >= 3.0),
        },
    ];
    // The Python peer: the same items, same page size.
    let py = if !s.full {
        Err("not in the smoke pass".to_string())
    } else if std::env::var_os("VEX_BENCH_NO_PYTHON").is_some() {
        Err("VEX_BENCH_NO_PYTHON is set".to_string())
    } else {
        wire::python_peer()
    };
    out.push(match py {
        Ok(py) => {
            let p = wire::python_items(&py, &sim.url, &key, start, n, big);
            let pr = ms(p.wall) / tv;
            println!(
                "   veeam-365 (PyPI 0.4.1) listing the same {} items: {:.0} ms ({:.0} items/s, peak RSS {:.0} MB): \
                 vex is {pr:.1}× faster",
                thousands(n),
                ms(p.wall),
                n as f64 / ms(p.wall) * 1000.0,
                p.maxrss_kb as f64 / 1024.0
            );
            Outcome {
                name: "vs veeam-365 (Python), same items",
                vex: format!("{tv:.0} ms"),
                peer: format!("veeam-365 {:.0} ms", ms(p.wall)),
                ratio: format!("{pr:.1}× faster"),
                target: "≥ 8×",
                met: Some(pr >= 8.0),
            }
        }
        Err(why) => {
            println!("   veeam-365 not measured: {why} (README gives the command)");
            Outcome {
                name: "vs veeam-365 (Python), same items",
                vex: format!("{tv:.0} ms"),
                peer: format!("not measured: {why}"),
                ratio: "-".into(),
                target: "≥ 8×",
                met: None,
            }
        }
    });
    out
}

// ------------------------------------------------------------------------------------------------- bytes

/// Bytes sent to a 200x60 terminal for one row of scrolling and for one page down: frames as the loop
/// draws them (synchronized-update sequences included), through the backend of the real terminal path
/// over a counting writer; ratatui's plain crossterm backend for comparison.
fn bytes(sim: &Sim, s: &Scale) -> Vec<Outcome> {
    let size = Size::new(SIZE.0, SIZE.1);
    let options = || TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, SIZE.0, SIZE.1)),
    };
    let (compact, plain) = runtime().block_on(async {
        let count = ByteCount::new(SIZE.0, SIZE.1);
        let backend = CompactBackend::with_size(CrosstermBackend::new(count.writer()), size);
        let term = Terminal::with_options(backend, options()).expect("terminal");
        let compact = byte_steps(term, &count, &sim.url, s.bytes_reps, "compact", |app| {
            app.compact_frames();
        })
        .await;
        let count = ByteCount::new(SIZE.0, SIZE.1);
        let term = Terminal::with_options(CrosstermBackend::new(count.writer()), options()).expect("terminal");
        let plain = byte_steps(term, &count, &sim.url, s.bytes_reps, "crossterm", |_| {}).await;
        (compact, plain)
    });
    for (name, st) in [("vex's backend", compact), ("ratatui's crossterm backend", plain)] {
        println!(
            "   {name}, 200x60: one row of scrolling (the window moves): the key's frame {:.0} B, with the \
             frames after it (the new item's preview loads) {:.0} B; cursor one row within the window {:.0} B, \
             page down {:.0} B",
            st.frame, st.scroll, st.moved, st.page
        );
    }
    vec![
        Outcome {
            name: "terminal bytes: one-row scroll frame, 200x60",
            vex: format!("{:.0} B (cursor move {:.0} B)", compact.frame, compact.moved),
            peer: format!("ratatui's backend {:.0} B", plain.frame),
            ratio: format!("{:.2}", compact.frame / plain.frame),
            target: "≤ 1.5 KB",
            met: Some(compact.frame <= 1536.0),
        },
        Outcome {
            name: "terminal bytes: scroll + the preview it loads",
            vex: format!("{:.0} B", compact.scroll),
            peer: format!("ratatui's backend {:.0} B", plain.scroll),
            ratio: format!("{:.2}", compact.scroll / plain.scroll),
            target: "-",
            met: None,
        },
        Outcome {
            name: "terminal bytes: page down",
            vex: format!("{:.0} B", compact.page),
            peer: format!("ratatui's backend {:.0} B", plain.page),
            ratio: format!("{:.2}", compact.page / plain.page),
            target: "-",
            met: None,
        },
    ]
}

/// The terminal (emulated from the bytes sent) shows what the loop's state draws.
fn assert_screen<B: ratatui::backend::Backend>(b: &Browser<B>, count: &ByteCount, tag: &str) {
    let mut t = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal");
    let frame = t.draw(|f| vex::ui::draw(f, b.state())).expect("draw").buffer.clone();
    let bad = count.mismatches(&frame);
    assert!(
        bad.is_empty(),
        "{tag}: the terminal does not show the frame at {} cells: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

/// Opens the million-item folder on `term` and measures the bytes of each step (medians): Down on the
/// last visible row (the window scrolls one row), Up (the cursor moves within the window), page down.
async fn byte_steps<B>(
    term: Terminal<B>,
    count: &ByteCount,
    url: &str,
    reps: usize,
    tag: &str,
    setup: impl FnOnce(&mut vex::runtime::App<B>),
) -> Steps
where
    B: ratatui::backend::Backend + std::io::Write,
{
    let c = client(url).await;
    let mut b = Browser::new(term, c, SIZE);
    // As the real terminal path sets the loop up.
    b.app.sync_updates();
    setup(&mut b.app);
    b.open_million().await;
    b.until("quiet", |s| !s.wants_tick()).await;
    assert_screen(&b, count, tag);
    let first = count.take();
    println!(
        "   {tag}: opening the folder (every frame so far): {} bytes",
        thousands(first)
    );
    let cursor = |b: &Browser<B>| b.state().items.as_ref().map_or(0, |i| i.cursor);
    // One key, then everything the loop draws because of it (trailing frames included).
    async fn step<B: ratatui::backend::Backend>(
        b: &mut Browser<B>,
        count: &ByteCount,
        code: KeyCode,
        want: u64,
        tag: &str,
    ) -> (f64, f64) {
        b.idle(Duration::from_millis(20)).await;
        count.take();
        count.take_first();
        count.take_bytes();
        b.key(code);
        b.until("the move", |s| {
            s.items
                .as_ref()
                .is_some_and(|i| i.cursor == want && i.selected().is_some() && !s.is_loading())
        })
        .await;
        b.idle(Duration::from_millis(30)).await;
        assert_screen(b, count, tag);
        if let Some(dir) = std::env::var_os("VEX_BENCH_KEEP") {
            let path = std::path::Path::new(&dir).join(format!("{tag}-{code:?}-{want}.bin"));
            let _ = std::fs::write(path, count.take_bytes());
        }
        (count.take() as f64, count.take_first() as f64)
    }
    let page_rows = b.state().page_rows();
    // Page down once: the cursor is on the last visible row.
    let c0 = cursor(&b);
    step(&mut b, count, KeyCode::PageDown, c0 + page_rows, tag).await;
    let (mut scroll, mut frame, mut moved, mut page) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let c0 = cursor(&b);
        let (all, first) = step(&mut b, count, KeyCode::Down, c0 + 1, tag).await;
        scroll.push(all);
        frame.push(first);
    }
    for _ in 0..reps {
        let c0 = cursor(&b);
        moved.push(step(&mut b, count, KeyCode::Up, c0 - 1, tag).await.0);
    }
    for _ in 0..reps {
        let c0 = cursor(&b);
        page.push(step(&mut b, count, KeyCode::PageDown, c0 + page_rows, tag).await.0);
    }
    Steps {
        frame: median(&mut frame),
        scroll: median(&mut scroll),
        moved: median(&mut moved),
        page: median(&mut page),
    }
}

/// Bytes of each step (medians).
#[derive(Clone, Copy)]
struct Steps {
    /// The key's frame when the window scrolls a row.
    frame: f64,
    /// Everything drawn after that key (the preview of the new item loads and is drawn too).
    scroll: f64,
    /// The cursor moved a row within the window.
    moved: f64,
    page: f64,
}

// ----------------------------------------------------------------------------------------------- latency

/// Key-to-frame latency while a slow request is in flight: the emulator delays item requests by
/// 500 ms; keys arrive from another task at varying moments; the time from sending a key to the end of
/// the frame that shows it.
fn latency(_: &Sim, s: &Scale) -> Vec<Outcome> {
    let delay = s.latency_ms.to_string();
    let slow = Sim::spawn(&["--latency-ms", &delay, "--fault-route", "items"]);
    let (mut lat, jump_ms) = runtime().block_on(async {
        let c = client(&slow.url).await;
        let mut b = Browser::new(
            Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal"),
            c,
            SIZE,
        );
        b.open_million().await;
        let cursor = |s: &State| s.items.as_ref().map_or(0, |i| i.cursor);
        let mut lat = Vec::new();
        let mut k = 0u64;
        while lat.len() < s.latency_keys {
            let c0 = cursor(b.state());
            if !b.state().is_loading() {
                // Page down until a page load is in flight (the prefetch near a page's end).
                b.key(KeyCode::PageDown);
                b.until("page down", |s| cursor(s) != c0).await;
                continue;
            }
            // Down, or Up on the last loaded row (while the end is unknown the cursor stops there).
            let at_end = b.state().items.as_ref().is_some_and(|i| c0 + 1 >= i.known_len());
            let (code, want) = if at_end {
                (KeyCode::Up, c0 - 1)
            } else {
                (KeyCode::Down, c0 + 1)
            };
            let sent: Arc<Mutex<Option<Instant>>> = Arc::default();
            let (tx, sent2) = (b.tx.clone(), sent.clone());
            k += 1;
            let wait = Duration::from_millis(3 + (k * 7) % 23);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                *sent2.lock().expect("lock") = Some(Instant::now());
                let _ = tx.send(crossterm::event::Event::Key(crossterm::event::KeyEvent::new(
                    code,
                    crossterm::event::KeyModifiers::NONE,
                )));
            });
            b.until("the key's frame", |s| cursor(s) == want).await;
            let shown = Instant::now();
            let sent = sent.lock().expect("lock").expect("sent");
            // Counted only when the request was still in flight at the frame.
            if b.state().is_loading() {
                lat.push(ms(shown - sent));
            }
        }
        drop(b);
        // A jump while a page loads: `G` (v7 knows the end from the first page), then page up into
        // another page before it came. The first request is aborted, not awaited: the rows show one
        // request's time after the last key.
        let c = client_version(&slow.url, ApiVersion::V7).await;
        let mut b = Browser::new(
            Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal"),
            c,
            SIZE,
        );
        b.open_million().await;
        b.until("the total", |s| {
            s.items
                .as_ref()
                .is_some_and(|i| i.total == Some(MILLION) && !s.is_loading())
        })
        .await;
        b.key(KeyCode::Char('G'));
        b.until("the last page requested", |s| {
            s.items.as_ref().is_some_and(|i| i.cursor == MILLION - 1)
        })
        .await;
        b.idle(Duration::from_millis(s.latency_ms / 5)).await;
        for _ in 0..5 {
            b.key(KeyCode::PageUp);
        }
        let t = Instant::now();
        b.until("the page above", |st| {
            st.items
                .as_ref()
                .is_some_and(|i| i.cursor < MILLION - 200 && i.selected().is_some())
        })
        .await;
        (lat, ms(t.elapsed()))
    });
    println!(
        "   a jump while a page loads: rows shown {jump_ms:.0} ms after the last key ({} ms per request: \
         the superseded request was aborted, not awaited)",
        s.latency_ms
    );
    let n = lat.len();
    let p50 = median(&mut lat);
    let max = lat.iter().copied().fold(0.0, f64::max);
    let p95 = lat[((n as f64 * 0.95).ceil() as usize).saturating_sub(1).min(n - 1)];
    println!(
        "   {n} keys with a {} ms request in flight: key to frame p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms",
        s.latency_ms
    );
    let one = s.latency_ms as f64;
    vec![
        Outcome {
            name: "key-to-frame, 500 ms request in flight",
            vex: format!("max {max:.1} ms (p50 {p50:.1} ms, {n} keys)"),
            peer: "limit 50 ms".into(),
            ratio: format!("{:.2}", max / 50.0),
            target: "< 50 ms",
            met: Some(max < 50.0),
        },
        Outcome {
            name: "jump while a page loads (500 ms/request)",
            vex: format!("rows after {jump_ms:.0} ms"),
            peer: format!("one request {one:.0} ms"),
            ratio: format!("{:.2}", jump_ms / one),
            target: "< 1.5 requests",
            met: Some(jump_ms < one * 1.5),
        },
    ]
}

// -------------------------------------------------------------------------------------------------- idle

/// Frames and CPU while nothing happens, and the frame rate under a burst of keys.
fn idle(sim: &Sim, s: &Scale) -> Vec<Outcome> {
    let (frames, cpu, fps) = runtime().block_on(async {
        let c = client(&sim.url).await;
        let mut b = Browser::new(
            Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal"),
            c,
            SIZE,
        );
        b.open_million().await;
        b.until("quiet", |s| !s.wants_tick()).await;
        let (f0, c0) = (b.app.frames, cpu_time());
        b.idle(s.idle).await;
        let (frames, cpu) = (b.app.frames - f0, cpu_time() - c0);
        // A key every millisecond (Down, Up, ...) for a while: frames are capped.
        let tx = b.tx.clone();
        let burst = s.burst;
        let sender = tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(1));
            let t = Instant::now();
            let mut down = true;
            while t.elapsed() < burst {
                iv.tick().await;
                let code = if down { KeyCode::Down } else { KeyCode::Up };
                down = !down;
                let ev = crossterm::event::Event::Key(crossterm::event::KeyEvent::new(
                    code,
                    crossterm::event::KeyModifiers::NONE,
                ));
                if tx.send(ev).is_err() {
                    break;
                }
            }
        });
        let (f0, t0) = (b.app.frames, Instant::now());
        b.idle(burst).await;
        let fps = (b.app.frames - f0) as f64 / t0.elapsed().as_secs_f64();
        let _ = sender.await;
        (frames, cpu, fps)
    });
    println!(
        "   idle {:.1} s: {frames} frames, {:.0} ms CPU; keys every 1 ms for {:.1} s: {fps:.0} frames/s",
        s.idle.as_secs_f64(),
        ms(cpu),
        s.burst.as_secs_f64()
    );
    vec![
        Outcome::alone(
            "idle: frames in 5 idle seconds",
            format!("{frames} frames, {:.0} ms CPU", ms(cpu)),
            "0 frames",
            Some(frames == 0),
        ),
        Outcome {
            name: "frame rate, a key every 1 ms",
            vex: format!("{fps:.0} frames/s"),
            peer: "keys 1,000/s".into(),
            ratio: "-".into(),
            target: "≤ ~100/s",
            met: Some(fps <= 105.0),
        },
    ]
}

// ---------------------------------------------------------------------------------------------- requests

/// Requests each navigation costs on the million-item folder (counted by the emulator: this one runs
/// in-process, only to read its request counter).
fn requests(_: &Sim, _: &Scale) -> Vec<Outcome> {
    let figure = runtime().block_on(async {
        vex::install_crypto_provider();
        let server = vex::sim::start(vex::sim::SimConfig {
            tls: false,
            ..Default::default()
        })
        .await
        .expect("emulator");
        let c = client(server.base_url()).await;
        let mut b = Browser::new(
            Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).expect("terminal"),
            c.clone(),
            SIZE,
        );
        b.open_million().await;
        b.until("quiet", |s| !s.is_loading()).await;
        let mut state = b.state().clone();
        let mut parts = Vec::new();
        // Opening (reloading) the folder: a screenful first, then the rest of the page.
        let fx = update(&mut state, Msg::Action(Action::Refresh));
        let first: Vec<String> = fx
            .iter()
            .filter_map(|e| match e {
                vex::app::Effect::Request(vex::app::Request {
                    call: vex::app::Call::ItemsPage { limit, .. },
                    ..
                }) => Some(limit.to_string()),
                _ => None,
            })
            .collect();
        let r0 = server.fault_stats().requests;
        fixture::settle(&mut state, &c, fx).await;
        parts.push(format!(
            "open {} ({} rows first)",
            server.fault_stats().requests - r0,
            first.join("+")
        ));
        for (label, a) in [
            ("PgDn", Action::PageDown),
            ("G", Action::Last),
            ("g", Action::First),
            ("G again", Action::Last),
            ("PgUp", Action::PageUp),
        ] {
            let r0 = server.fault_stats().requests;
            fixture::act(&mut state, &c, a).await;
            let n = server.fault_stats().requests - r0;
            parts.push(format!("{label} {n}"));
        }
        // What a small first request buys: the time to the first rows.
        let key = state.items.as_ref().expect("items").key.clone();
        let time = |limit: u32| {
            let (c, key) = (c.clone(), key.clone());
            async move {
                let mut v = Vec::new();
                for _ in 0..15 {
                    let t = Instant::now();
                    c.items(&key.session_id, &key.mailbox_id, &key.folder_id, 0, limit)
                        .await
                        .expect("items");
                    v.push(ms(t.elapsed()));
                }
                median(&mut v)
            }
        };
        let small = time(vex::app::panes::items::FIRST_ROWS).await;
        let whole = time(vex::app::panes::items::ITEMS_PAGE).await;
        println!(
            "   first rows: a {}-row request takes {small:.2} ms, a {}-row page {whole:.2} ms (no latency)",
            vex::app::panes::items::FIRST_ROWS,
            vex::app::panes::items::ITEMS_PAGE
        );
        // Counting for `G` on v8 (no totalCount) with 20 ms per request: vex's concurrent search vs a
        // sequential galloping + binary search, same emulator, same run.
        server.set_faults(vex::sim::Faults {
            latency: Some(Duration::from_millis(20)),
            ..Default::default()
        });
        let key = state.items.as_ref().expect("items").key.clone();
        let fresh = client(server.base_url()).await;
        let t = Instant::now();
        let stats = fresh
            .count_items_with_stats(&key.session_id, &key.mailbox_id, &key.folder_id)
            .await
            .expect("count");
        let vex_ms = ms(t.elapsed());
        assert_eq!(stats.total, MILLION);
        let t = Instant::now();
        let (total, seq_requests) = sequential_count(&fresh, &key).await;
        let seq_ms = ms(t.elapsed());
        assert_eq!(total, MILLION);
        server.set_faults(vex::sim::Faults::default());
        let count = Outcome {
            name: "G count (v8, 20 ms/request)",
            vex: format!(
                "{} round trips, {} requests, {vex_ms:.0} ms",
                stats.round_trips, stats.requests
            ),
            peer: format!("sequential search {seq_requests} ({seq_ms:.0} ms)"),
            ratio: format!("{:.2}", f64::from(stats.round_trips) / f64::from(seq_requests)),
            target: "≤ 8 round trips",
            met: Some(stats.round_trips <= 8),
        };
        println!(
            "   counting the million for G (v8, 20 ms per request): {}; {} (time ratio {:.2})",
            count.vex,
            count.peer,
            vex_ms / seq_ms
        );
        server.shutdown().await;
        (parts.join(", "), count)
    });
    let (figure, count) = figure;
    println!("   requests per key on the million (v8, no totalCount): {figure}");
    vec![Outcome::alone("requests per key (v8)", figure, "-", None), count]
}

/// The baseline for counting without totalCount: galloping then bisecting, one probe at a time.
async fn sequential_count(c: &vex::api::Client, key: &vex::app::panes::items::ListKey) -> (u64, u32) {
    let mut requests = 0u32;
    let mut exists = async |o: u64| {
        requests += 1;
        !c.items(&key.session_id, &key.mailbox_id, &key.folder_id, o, 1)
            .await
            .expect("probe")
            .results
            .is_empty()
    };
    if !exists(0).await {
        return (0, 1);
    }
    let (mut lo, mut step) = (0u64, 1024u64);
    let mut hi = loop {
        if !exists(lo + step).await {
            break lo + step;
        }
        lo += step;
        step *= 2;
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if exists(mid).await {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (hi, requests)
}

// ----------------------------------------------------------------------------------------------- startup

/// `vex demo` (release) in tmux: from launch to the first frame, and to the first session rows.
fn startup(_: &Sim, s: &Scale) -> Vec<Outcome> {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("   tmux is not installed: skipped");
        return vec![Outcome::alone(
            "start-up: vex demo to first data",
            "skipped (no tmux)".into(),
            "(< 2 s good)",
            None,
        )];
    }
    let (mut first, mut data) = (Vec::new(), Vec::new());
    for r in 0..s.startup_runs {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = format!("vex-bench-{}-{r}", std::process::id());
        let cmd = format!(
            "exec env VEX_STATE_DIR={d}/state VEX_CONFIG_DIR={d}/config VEX_DATA_DIR={d}/data {BIN} demo",
            d = dir.path().display()
        );
        let tmux = |args: &[&str]| {
            Command::new("tmux")
                .args(["-L", &socket, "-f", "/dev/null"])
                .args(args)
                .env("TERM", "xterm-256color")
                .output()
        };
        let t0 = Instant::now();
        let ok = tmux(&["new-session", "-d", "-s", "bench", "-x", "120", "-y", "36", &cmd])
            .is_ok_and(|o| o.status.success());
        assert!(ok, "tmux new-session");
        let mut seen_frame = None;
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", "bench"])
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            if seen_frame.is_none() && screen.contains("Restore sessions") {
                seen_frame = Some(t0.elapsed());
            }
            if screen.contains("contoso.onmicrosoft.com") {
                data.push(ms(t0.elapsed()));
                first.push(ms(seen_frame.unwrap_or_else(|| t0.elapsed())));
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "vex demo showed no sessions:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = tmux(&["kill-server"]);
    }
    let (f, d) = (median(&mut first), median(&mut data));
    println!(
        "   vex demo in tmux 120x36, median of {}: first frame {f:.0} ms, first session rows {d:.0} ms",
        s.startup_runs
    );
    vec![Outcome::alone(
        "start-up: vex demo to first data",
        format!("{d:.0} ms (first frame {f:.0} ms)"),
        "(< 2 s good)",
        None,
    )]
}
