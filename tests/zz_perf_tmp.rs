use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Instant;
use vex::app::{DisplayZone, HeaderInfo, State};

#[test]
fn perf() {
    let data = vex::sim::hostile::MAIL;
    let _ = data;
    // Build items by hand: 1 MiB subject and 10k recipients.
    let big = "x".repeat(1 << 20);
    let to: String = (0..10_000).map(|i| format!("User {i} <u{i}@x.example>; ")).collect();
    for (name, s, t) in [("1MiB", big.as_str(), ""), ("10k", "s", to.as_str()), ("small", "s", "a")] {
        let t0 = Instant::now();
        let c = vex::ui::text::sanitize(s);
        let w = vex::ui::text::width(&c);
        let f = vex::ui::text::fit(&c, 40);
        eprintln!("{name}: sanitize+width+fit {:?} ({w}, {})", t0.elapsed(), f.len());
        let t0 = Instant::now();
        let l = vex::ui::text::sanitize_lines(t);
        let wr: usize = l.iter().map(|x| vex::ui::text::wrap(x, 60).len()).sum();
        eprintln!("{name}: wrap {:?} ({wr})", t0.elapsed());
    }
    let s = State::new(HeaderInfo::default());
    let mut s = s;
    s.zone = DisplayZone::UTC;
    let t0 = Instant::now();
    let mut t = Terminal::new(TestBackend::new(160, 40)).unwrap();
    t.draw(|f| vex::ui::draw(f, &s)).unwrap();
    eprintln!("empty draw {:?}", t0.elapsed());
}
