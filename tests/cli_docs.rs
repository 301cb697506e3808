//! The documents made from the command-line definition, as the real binary prints them: shell completions
//! (`vex completions SHELL`) and the man page (`vex man`). Each is checked by the tool that will read it
//! when that tool is installed (`bash -n`, `zsh -n`, `fish --no-execute`, `man`, `groff`).

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_vex");

/// Runs vex with its files in a temporary directory and no connection settings from the environment.
fn vex(dir: &tempfile::TempDir, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("VEX_CONFIG_DIR", dir.path().join("config"))
        .env("VEX_DATA_DIR", dir.path().join("data"))
        .env("VEX_STATE_DIR", dir.path().join("state"))
        .env_remove("VEX_SERVER")
        .env_remove("VEX_USER")
        .env_remove("VEX_PROFILE")
        .env_remove("VEX_PASSWORD")
        .output()
        .expect("run vex")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Whether `program` can be run (it answers `arg`, e.g. `--version`).
fn installed(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Runs `program args` with `input` on stdin.
fn pipe(program: &str, args: &[&str], input: &str, envs: &[(&str, &str)]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// Checks a script with `shell flags FILE`, when that shell is installed.
fn syntax_check(dir: &tempfile::TempDir, shell: &str, flags: &[&str], script: &str) {
    if !installed(shell, "--version") {
        eprintln!("{shell} not installed: its completion script is not syntax-checked");
        return;
    }
    let file = dir.path().join(format!("vex.{shell}"));
    std::fs::write(&file, script).expect("write script");
    let path = file.display().to_string();
    let out = Command::new(shell)
        .args(flags)
        .arg(&path)
        .output()
        .expect("run the shell");
    assert!(
        out.status.success(),
        "{shell} {flags:?} refuses the completion script: {}",
        stderr(&out)
    );
}

#[test]
fn completions_for_bash_zsh_and_fish_name_the_subcommands_and_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = vex(&dir, &["completions", shell]);
        assert!(out.status.success(), "vex completions {shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.len() > 1000, "a whole script for {shell}:\n{script}");
        for word in [
            "sessions",
            "mailboxes",
            "folders",
            "items",
            "restore",
            "export",
            "demo",
            "sim",
            "paths",
            "completions",
            "man",
        ] {
            assert!(script.contains(word), "{shell}: the subcommand {word}");
        }
        for flag in ["server", "dry-run", "jsonl", "to-folder", "seed"] {
            assert!(script.contains(flag), "{shell}: the flag --{flag}");
        }
        match shell {
            "bash" => syntax_check(&dir, "bash", &["-n"], &script),
            "zsh" => syntax_check(&dir, "zsh", &["-n"], &script),
            "fish" => {
                syntax_check(&dir, "fish", &["--no-execute"], &script);
                // Flags are offered where they apply: the scripting subcommands take the connection
                // flags, the emulator does not.
                let flags_of = |sub: &str| -> Vec<String> {
                    script
                        .lines()
                        .filter(|l| l.contains(&format!("__fish_vex_using_subcommand {sub}\"")))
                        .filter_map(|l| l.split(" -l ").nth(1))
                        .filter_map(|rest| rest.split_whitespace().next())
                        .map(str::to_string)
                        .collect()
                };
                let (sim, restore) = (flags_of("sim"), flags_of("restore"));
                assert!(sim.iter().any(|f| f == "listen"), "vex sim --listen: {sim:?}");
                assert!(
                    !sim.iter()
                        .any(|f| ["server", "pin", "insecure", "json"].contains(&f.as_str())),
                    "vex sim takes no connection or output flags: {sim:?}"
                );
                for f in ["server", "pin", "dry-run", "yes", "json"] {
                    assert!(restore.iter().any(|r| r == f), "vex restore --{f}: {restore:?}");
                }
            }
            _ => {}
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vex(&dir, &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("bash"), "the shells are listed: {}", stderr(&out));
    let out = vex(&dir, &["completions"]);
    assert_eq!(out.status.code(), Some(2), "a shell is required: {}", stderr(&out));
}

#[test]
fn documents_need_no_server_and_take_no_connection_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A server that does not exist and a broken config change nothing.
    std::fs::create_dir_all(dir.path().join("config")).expect("mkdir");
    std::fs::write(dir.path().join("config/config.toml"), "this is = not toml [").expect("write");
    let out = Command::new(BIN)
        .args(["man"])
        .env("VEX_CONFIG_DIR", dir.path().join("config"))
        .env("VEX_DATA_DIR", dir.path().join("data"))
        .env("VEX_STATE_DIR", dir.path().join("state"))
        .env("VEX_SERVER", "https://127.0.0.1:1")
        .env("VEX_PROFILE", "nope")
        .output()
        .expect("run vex");
    assert!(out.status.success(), "{}", stderr(&out));
    for args in [
        &["completions", "bash", "--server", "https://x"][..],
        &["man", "--insecure"],
        &["paths", "--json"],
        &["sim", "--pin", "AB"],
    ] {
        let out = vex(&dir, args);
        assert_eq!(out.status.code(), Some(2), "vex {args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("does not apply"), "{}", stderr(&out));
    }
    let help = stdout(&vex(&dir, &["sim", "--help"]));
    assert!(help.contains("--listen") && !help.contains("--server"), "{help}");
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = vex(&dir, &["man"]);
    assert!(out.status.success(), "vex man: {}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with(".TH") || page.starts_with(".ie"),
        "roff: {}",
        &page[..page.len().min(200)]
    );
    assert!(page.contains("\n.TH vex 1 "), "the title");
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "ENVIRONMENT",
        "FILES",
    ] {
        assert!(page.contains(&format!("\n.SH {section}\n")), "the section {section}");
    }
    for sub in [
        "vex demo",
        "vex sim",
        "vex paths",
        "vex completions",
        "vex man",
        "vex sessions list",
        "vex sessions new",
        "vex sessions stop",
        "vex mailboxes",
        "vex folders",
        "vex items",
        "vex item",
        "vex restore",
        "vex export",
    ] {
        assert!(page.contains(&format!("\n.SS \"{sub}\"\n")), "a subsection for {sub}");
    }
    for flag in [
        r"\-\-server",
        r"\-\-dry\-run",
        r"\-\-jsonl",
        r"\-\-query",
        "VEX_PASSWORD",
    ] {
        assert!(page.contains(flag), "{flag}");
    }

    // Rendered by the tools that will show it.
    let mut rendered = Vec::new();
    if installed("groff", "--version") {
        let out = pipe("groff", &["-man", "-Tutf8", "-ww", "-P", "-cbou"], &page, &[]);
        assert!(out.status.success(), "groff: {}", stderr(&out));
        assert!(stderr(&out).trim().is_empty(), "groff warns: {}", stderr(&out));
        rendered.push(("groff", stdout(&out)));
    } else if installed("mandoc", "-V") {
        let out = pipe("mandoc", &["-man", "-Tutf8", "-Wwarning"], &page, &[]);
        assert!(out.status.success(), "mandoc: {} {}", stdout(&out), stderr(&out));
        rendered.push(("mandoc", stdout(&out)));
    }
    if installed("man", "--version") {
        let out = pipe(
            "man",
            &["-l", "-"],
            &page,
            &[("MANWIDTH", "100"), ("MANPAGER", "cat"), ("PAGER", "cat")],
        );
        assert!(out.status.success(), "man -l -: {}", stderr(&out));
        rendered.push(("man", stdout(&out)));
    }
    if rendered.is_empty() {
        eprintln!("neither groff, mandoc nor man is installed: the man page is not rendered");
    }
    for (tool, text) in rendered {
        for words in [
            "NAME",
            "vex - Terminal restore browser for Veeam Backup for Microsoft 365",
            "SYNOPSIS",
            "OPTIONS",
            "--server <SERVER>",
            "COMMANDS",
            "vex sessions list",
            "vex restore",
            "--dry-run",
            "ENVIRONMENT",
            "VEX_PASSWORD",
        ] {
            assert!(text.contains(words), "{tool} shows {words:?}:\n{text}");
        }
        assert!(
            !text.contains(".SH") && !text.contains(r"\fB"),
            "{tool}: no raw roff:\n{text}"
        );
    }
}

/// The README has a section for every subcommand `vex --help` lists (`### \`vex NAME\``), and documents
/// the flags of the subcommands that have more than one way to run (`vex item --preview`, `--save`,
/// `vex sessions new --point`).
#[test]
fn the_readme_documents_every_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = stdout(&vex(&dir, &["--help"]));
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let headings: Vec<&str> = readme.lines().filter(|l| l.starts_with("### ")).collect();
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A description that wraps goes on under itself, indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() > 10, "the commands of --help: {commands:?}\n{help}");
    for c in commands {
        let named = format!("`vex {c}`");
        let alongside = format!("`vex {c} ");
        assert!(
            headings.iter().any(|h| h.contains(&named) || h.contains(&alongside)),
            "no README section for vex {c}: {headings:?}"
        );
    }
    for (cmd, flag) in [
        ("vex item", "--preview"),
        ("vex item", "--save"),
        ("vex sessions new", "--point"),
        ("vex save", "--items"),
        ("vex restore-points", "--org"),
    ] {
        assert!(
            readme.lines().any(|l| l.contains(cmd) && l.contains(flag)),
            "the README shows {cmd} {flag}"
        );
    }
}
