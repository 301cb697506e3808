fn main() {
    eprintln!("vex: the CLI is being wired");
}
