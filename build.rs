// Records the build (git commit, if any) for `vex --version`.
fn git(args: &[&str]) -> Option<String> {
    std::process::Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let rev = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown commit".into());
    println!("cargo:rustc-env=VEX_BUILD={rev}");
    // Rebuilt when HEAD moves: the HEAD file and the branch it names, wherever git keeps them (`.git` is a
    // file in a worktree, so `.git/HEAD` is not a path there; a path that does not exist would make cargo
    // run this again on every build). A packed ref has no file: then only HEAD is watched.
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.push(git(&["rev-parse", "--git-path", &branch]));
    }
    let mut any = false;
    for path in watch.into_iter().flatten() {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
            any = true;
        }
    }
    if !any {
        // Not a git checkout: nothing to watch but this file.
        println!("cargo:rerun-if-changed=build.rs");
    }
}
