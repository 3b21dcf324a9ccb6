//! The command-line conventions: stdin, several paths, completions, man
//! page, --version with the git revision, progress never on a non-terminal.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spamtrace"));
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().unwrap()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

const MBOX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/1999-berkeley.mbox");
/// Inputs smaller than this get no progress bar (the binary's `cli::progress::MIN_BYTES`).
const MIN_PROGRESS_BYTES: u64 = 8 << 20;

#[test]
fn stdin_with_dash_or_no_path_matches_the_file() {
    let bytes = std::fs::read(MBOX).unwrap();
    let file = run(&["trace", "--offline", "--format", "ndjson", MBOX]);
    assert_eq!(file.status.code(), Some(0));
    for args in [
        &["trace", "--offline", "--format", "ndjson", "-"][..],
        &["trace", "--offline", "--format", "ndjson"],
    ] {
        let o = run_stdin(args, &bytes);
        assert_eq!(o.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let f: serde_json::Value = serde_json::from_slice(&file.stdout).unwrap();
        assert_eq!(v["source"]["path"], "-");
        assert_eq!(v["hops"], f["hops"]);
    }
}

#[test]
fn ndjson_one_line_per_message_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.mbox");
    let mut mbox = String::new();
    for i in 0..700 {
        mbox.push_str(&format!(
            "From x Mon Jan  1 00:00:00 2001\nReceived: from a ([192.0.2.1]) by mx; Mon, 1 Jan 2001 00:00:00 +0000\nSubject: n{i}\n\nb\n\n"
        ));
    }
    std::fs::write(&p, mbox).unwrap();
    let o = run(&[
        "trace",
        "--offline",
        "--format",
        "ndjson",
        p.to_str().unwrap(),
        MBOX,
    ]);
    assert_eq!(o.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 701);
    for (i, v) in lines.iter().take(700).enumerate() {
        assert_eq!(v["source"]["index"], i);
        assert_eq!(v["message"]["subject"], format!("n{i}"));
    }
    assert!(lines[700]["source"]["path"]
        .as_str()
        .unwrap()
        .ends_with("1999-berkeley.mbox"));
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    // Over the progress threshold, stderr piped: nothing on stderr.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.mbox");
    let body = "x".repeat(1 << 20);
    let mut mbox = String::new();
    for _ in 0..(MIN_PROGRESS_BYTES >> 20) + 2 {
        mbox.push_str(&format!(
            "From x Mon Jan  1 00:00:00 2001\nSubject: s\n\n{body}\n\n"
        ));
    }
    std::fs::write(&p, mbox).unwrap();
    let o = run(&[
        "trace",
        "--offline",
        "--format",
        "ndjson",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["trace", "--offline", "--quiet", "--no-progress", MBOX]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty());
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let s = String::from_utf8(o.stdout).unwrap();
        assert!(s.contains("spamtrace") && s.contains("--format"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh-nope"]).status.code(), Some(2));
}

#[test]
fn man_page() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(s.contains(".TH SPAMTRACE 1"), "{}", &s[..s.len().min(300)]);
    for section in [
        "EXAMPLES",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
        "FILES",
        "\"SEE ALSO\"",
    ] {
        assert!(s.contains(&format!(".SH {section}")), "{section}");
    }
    assert!(s.contains("NO_COLOR") && s.contains("XDG_CONFIG_HOME"));
    // One subcommand's page.
    let o = run(&["man", "complain"]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(
        s.contains(".TH SPAMTRACE-COMPLAIN 1"),
        "{}",
        &s[..s.len().min(300)]
    );
    assert!(
        s.contains("sendmail \\-t \\-i"),
        "the README's sendmail example"
    );
    assert_eq!(run(&["man", "nope"]).status.code(), Some(2));
}

/// `man --dir` writes every page, and each renders with `man -l` at 80
/// columns without a warning (skipped, with a message, without man).
#[test]
fn man_pages_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "spamtrace-capture.1",
            "spamtrace-complain.1",
            "spamtrace-completions.1",
            "spamtrace-man.1",
            "spamtrace-queue.1",
            "spamtrace-trace.1",
            "spamtrace.1"
        ]
    );
    if Command::new("man").arg("--version").output().is_err() {
        eprintln!("skipped: no `man` on this machine (apt-get install man-db)");
        return;
    }
    for page in &pages {
        let path = dir.path().join(page);
        let o = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(&path)
            .env("MANWIDTH", "80")
            .env_remove("MAN_KEEP_FORMATTING")
            .env_remove("MANPAGER")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "{page}: {all}");
        assert_eq!(all.matches("warning").count(), 0, "{page}:\n{all}");
        assert!(
            all.contains("EXIT STATUS") && all.contains("SEE ALSO"),
            "{page}"
        );
        // SEE ALSO names only pages that exist.
        for (i, _) in all.match_indices("(1)") {
            let name = all[..i]
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .next()
                .unwrap();
            if name.is_empty() || name == page.trim_end_matches(".1").to_uppercase() {
                continue;
            }
            assert!(
                pages.contains(&format!("{}.1", name.to_lowercase())),
                "{page} names {name}(1)"
            );
        }
    }
}

#[test]
fn version_names_the_git_revision() {
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8(o.stdout).unwrap();
    assert!(
        s.starts_with(&format!("spamtrace {} (git ", env!("CARGO_PKG_VERSION"))),
        "{s}"
    );
}

#[test]
fn color_never_has_no_escapes() {
    let o = bin()
        .args(["trace", "--offline", "--color", "always", MBOX])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains('\x1b'));
    let o = run(&["trace", "--offline", "--color", "never", MBOX]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}

/// `--json` is an array whenever more than one message could come out
/// (several paths, a folder, an mbox), whatever succeeded; an object only
/// for one single-message input.
#[test]
fn json_shape_follows_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.eml");
    std::fs::write(&empty, "").unwrap();
    let good = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/07-gmail-recipient.eml"
    );
    let json = |o: &Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
    };
    // Two paths, one unreadable: still an array (of one).
    let o = run(&[
        "trace",
        "--offline",
        "--json",
        empty.to_str().unwrap(),
        good,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(json(&o).as_array().map(Vec::len), Some(1));
    // One message file: an object.
    let o = run(&["trace", "--offline", "--json", good]);
    assert!(json(&o).is_object());
    // An mbox, even of one message: an array.
    let one = dir.path().join("one.mbox");
    let mut mbox = b"From a@example.org Mon Jan  1 00:00:00 2024\n".to_vec();
    mbox.extend(std::fs::read(good).unwrap());
    std::fs::write(&one, &mbox).unwrap();
    let o = run(&["trace", "--offline", "--json", one.to_str().unwrap()]);
    assert_eq!(json(&o).as_array().map(Vec::len), Some(1));
    // A folder of one file: an array.
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(good, folder.join("m.eml")).unwrap();
    let o = run(&["trace", "--offline", "--json", folder.to_str().unwrap()]);
    assert_eq!(json(&o).as_array().map(Vec::len), Some(1));
    // Stdin: an object for a message, an array for an mbox.
    let o = run_stdin(
        &["trace", "--offline", "--json"],
        &std::fs::read(good).unwrap(),
    );
    assert!(json(&o).is_object());
    let o = run_stdin(&["trace", "--offline", "--json"], &mbox);
    assert!(json(&o).is_array());
    // One unreadable single message: no JSON at all, the error on stderr.
    let o = run(&["trace", "--offline", "--json", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
}
