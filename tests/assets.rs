//! What `assets/` ships is valid: the example config.toml loads with vex's own config loader (profiles,
//! theme, keys, regions, API versions), and every theme file names a theme vex knows.

use std::path::Path;
use vex::app::keymap::Keymap;
use vex::app::prefs::ThemeName;
use vex::config::Config;

const ASSETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");

#[test]
fn the_example_config_is_valid() {
    let path = Path::new(ASSETS).join("config.example.toml");
    let cfg = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!cfg.profiles.is_empty(), "the example shows profiles");
    let default = cfg.default_profile.as_deref().expect("a default profile");
    let p = cfg
        .profile(Some(default), &path)
        .expect("the default profile exists")
        .expect("a profile");
    assert!(p.server.as_deref().is_some_and(|s| s.starts_with("https://")));
    ThemeName::parse(cfg.theme.as_deref().expect("a theme")).expect("a known theme");
    Keymap::from_config(&cfg.keys).unwrap_or_else(|e| panic!("[keys]: {e}"));
    assert!(!cfg.keys.is_empty(), "the example shows keys");
    for (name, p) in &cfg.profiles {
        if let Some(api) = &p.api {
            assert!(["auto", "v6", "v7", "v8"].contains(&api.as_str()), "{name}: api {api}");
        }
        for r in [&p.office_region, &p.target_region].into_iter().flatten() {
            vex::restore_plan::parse_region(r).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(
            p.password.is_none(),
            "{name}: the example never shows a password in the file"
        );
    }
}

#[test]
fn every_theme_file_names_a_known_theme() {
    let dir = Path::new(ASSETS).join("themes");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("assets/themes") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let cfg = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let theme = ThemeName::parse(cfg.theme.as_deref().expect("a theme line")).expect("known");
        assert_eq!(
            path.file_stem().and_then(|s| s.to_str()),
            Some(theme.name()),
            "{} selects the theme it is named after",
            path.display()
        );
        seen.push(theme);
    }
    for t in ThemeName::ALL {
        assert!(seen.contains(&t), "assets/themes has no file for {}", t.name());
    }
}
