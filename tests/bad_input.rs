//! Hostile and broken input through the binary: a clear one-line error or a
//! report, the exit status of DESIGN.md (0 all analysed, 1 some input
//! unreadable, 2 usage), never a panic. Inputs are generated here.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod support;
use support::cli::spamtrace;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 1 with exactly one error line on stderr that says `expected`, and no panic.
fn assert_one_error(o: &Output, expected: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("spamtrace: "), "{err}");
    assert!(err.contains(expected), "{err} should say {expected}");
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn empty_file() {
    let f = tempfile::NamedTempFile::new().unwrap();
    let o = spamtrace(&["trace", "--offline", path_str(f.path())]);
    assert_one_error(
        &o,
        &format!("{}: empty file: no message", f.path().display()),
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn binary_file() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    // A pseudo-random byte soup (an xorshift), NULs and newlines included.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    f.write_all(&bytes).unwrap();
    let o = spamtrace(&[
        "trace",
        "--offline",
        "--format",
        "ndjson",
        path_str(f.path()),
    ]);
    assert_one_error(&o, "not an email message");
}

#[test]
fn a_50_mb_header_line() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(b"Received: from a by b; ").unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\nSubject: huge\n\nbody\n").unwrap();
    let o = spamtrace(&[
        "trace",
        "--offline",
        "--format",
        "ndjson",
        path_str(f.path()),
    ]);
    assert_one_error(&o, "header block larger than");
}

#[test]
fn a_50_mb_header_line_in_an_mbox_costs_one_message() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(b"From a Mon Jan  1 00:00:00 2001\nX-Big: ")
        .unwrap();
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\n\nbody\n\nFrom b Mon Jan  1 00:00:00 2001\nSubject: fine\n\nbody\n")
        .unwrap();
    let o = spamtrace(&[
        "trace",
        "--offline",
        "--format",
        "ndjson",
        path_str(f.path()),
    ]);
    assert_one_error(&o, "message 0 at byte 0: header block larger than");
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["source"]["index"], 1);
    assert_eq!(v["message"]["subject"], "fine");
}

#[test]
fn ten_thousand_received_headers() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    for i in 0..10_000 {
        writeln!(
            f,
            "Received: from h{i}.example.net ([192.0.2.{}]) by mx{i}.example.org; Mon, 1 Jan 2001 00:00:00 +0000",
            i % 250 + 1
        )
        .unwrap();
    }
    f.write_all(b"Subject: deep\n\nbody\n").unwrap();
    let o = spamtrace(&["trace", "--offline", "--json", path_str(f.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hops = v["hops"].as_array().unwrap().len();
    assert!(
        hops > 0 && hops <= spamtrace::parse::MAX_HOPS,
        "{hops} hops"
    );
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"TOO_MANY_RECEIVED"), "{codes:?}");
}

/// A minimal message whose Subject names it.
fn message(subject: &str) -> String {
    format!(
        "Received: from a.example.org (a.example.org [192.0.2.1]) by mx.example.net with ESMTP; Mon, 1 Jan 2024 00:00:00 +0000\r\nFrom: x@example.org\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\nbody\r\n"
    )
}

fn subjects(o: &Output) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    v.as_array()
        .expect("an array for a folder")
        .iter()
        .map(|r| r["message"]["subject"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A folder that is not a Maildir is a folder of messages: each regular
/// file one message (or an mbox), by name; hidden entries, a socket and
/// (without -r) a subfolder skipped, and counted on stderr.
#[test]
fn a_folder_that_is_not_a_maildir() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("b.eml"), message("second")).unwrap();
    std::fs::write(d.path().join("a.eml"), message("first")).unwrap();
    std::fs::write(d.path().join(".hidden.eml"), message("hidden")).unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::fs::write(d.path().join("sub/c.eml"), message("nested")).unwrap();
    let mbox = format!(
        "From x@example.org Mon Jan  1 00:00:00 2024\n{}\nFrom y@example.org Mon Jan  1 00:00:01 2024\n{}",
        message("mbox-one").replace("\r\n", "\n"),
        message("mbox-two").replace("\r\n", "\n")
    );
    std::fs::write(d.path().join("c.mbox"), mbox).unwrap();
    let _socket = std::os::unix::net::UnixListener::bind(d.path().join("d.sock")).unwrap();
    let o = spamtrace(&["trace", "--offline", "--json", path_str(d.path())]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(subjects(&o), ["first", "second", "mbox-one", "mbox-two"]);
    assert_eq!(
        err.trim(),
        format!(
            "spamtrace: {}: skipped 1 hidden entry, 1 entry that is not a regular file, 1 folder (-r reads folders)",
            d.path().display()
        )
    );
    // -r reads the subfolder too, after the folder's own files.
    let o = spamtrace(&["trace", "--offline", "--json", "-r", path_str(d.path())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        subjects(&o),
        ["first", "second", "mbox-one", "mbox-two", "nested"]
    );
    assert!(!stderr(&o).contains("folder"), "{}", stderr(&o));
}

#[test]
fn an_empty_folder_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join(".only-hidden"), "x").unwrap();
    let o = spamtrace(&["trace", "--offline", path_str(d.path())]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{}: no message file in this folder (skipped 1 hidden entry)",
            d.path().display()
        )),
        "{err}"
    );
}

#[test]
fn a_path_that_does_not_exist() {
    let o = spamtrace(&["trace", "--offline", "/nonexistent/spamtrace.mbox"]);
    assert_one_error(
        &o,
        "spamtrace: /nonexistent/spamtrace.mbox: cannot open: No such file or directory",
    );
}

#[test]
fn bad_paths_do_not_stop_the_run() {
    let mut good = tempfile::NamedTempFile::new().unwrap();
    good.write_all(b"Received: from a.example.net ([192.0.2.1]) by mx.example.org; Mon, 1 Jan 2001 00:00:00 +0000\nSubject: good\n\nbody\n").unwrap();
    let empty = tempfile::NamedTempFile::new().unwrap();
    let o = spamtrace(&[
        "trace",
        "--offline",
        "--format",
        "ndjson",
        "/nonexistent/a",
        path_str(empty.path()),
        path_str(good.path()),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o).lines().count(), 2, "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains("\"subject\":\"good\""));
}

#[test]
fn control_characters_in_a_path_are_not_printed_raw() {
    let o = spamtrace(&["trace", "--offline", "/nonexistent/\x1b[31mred\x07"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(err.contains("\\u{1b}"), "{err:?}");
}

#[test]
fn usage_errors_exit_2() {
    let o = spamtrace(&["trace", "--format", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    let o = spamtrace(&["trace", "--trusted", "not/a/cidr//", "-"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

/// A UTF-8 character right where the Received parser compares an ASCII
/// prefix (`helo=`, `ident=`) used to split the character and panic; the
/// panic text then echoed the message's raw ESC to the terminal.
#[test]
fn utf8_in_a_received_clause_is_parsed_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[u8]; 3] = [
        b"Received: from x (abcd\xc3\xa9\x1bc [198.51.100.7]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
        b"Received: from x (\xc3\xa9\xc3\xa9\xc3\xa9 [198.51.100.7]) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
        b"Received: from x ([198.51.100.7]) (Authenticated sender: fran\xc3\xa7ois@example.fr) by y; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n",
    ];
    for (i, bytes) in cases.iter().enumerate() {
        let path = dir.path().join(format!("p{i}.eml"));
        std::fs::write(&path, bytes).unwrap();
        let complain = ["complain", "--offline", "--to", "abuse@example.net"];
        for sub in [&["trace", "--offline"][..], &complain[..]] {
            let mut args = sub.to_vec();
            args.push(path_str(&path));
            let o = spamtrace(&args);
            let err = stderr(&o);
            assert!(
                !err.contains("panicked") && !err.contains("internal error"),
                "{sub:?} case {i}: {err}"
            );
            assert_ne!(o.status.code(), Some(101), "{sub:?} case {i}: {err}");
            assert!(
                !o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b),
                "raw ESC printed"
            );
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(
                out.contains("198.51.100.7"),
                "{sub:?} case {i}: the hop is traced: {out}"
            );
        }
    }
}

/// Whether `s` is safe on a terminal: no C0 but `\n`, no DEL, no C1, no
/// bidi or invisible control (the table of src/util/sanitize.rs).
fn terminal_safe(s: &str) -> bool {
    spamtrace::util::sanitize::is_terminal_safe(s)
}

/// Issue 15, items 3 and 8: C1 controls, DEL, bidi, separators and
/// zero-width characters never reach stdout or stderr raw, in any format;
/// the JSON still carries the same value (as `\uXXXX` escapes).
#[test]
fn c1_del_and_bidi_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let subject = "a\u{9b}31m\u{9d}0;t\u{9c}\u{7f}\u{90}q\u{202e}\u{2066}\u{61c}\u{200e}\u{200b}\u{feff}\u{2028}\u{2029}z";
    let msg = format!(
        "Received: from evil\u{9b}2J.example (evil.example [198.51.100.7]) by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\n\
         From: \u{202e}moc.knab@ecivres <x@example.net>\r\nSubject: {subject}\r\nMessage-ID: <\u{9b}1@example.net>\r\n\r\nbody\r\n"
    );
    let path = dir.path().join("c1.eml");
    std::fs::write(&path, msg).unwrap();
    let p = path_str(&path);
    for args in [
        &["trace", "--offline", p][..],
        &["trace", "--offline", "--json", p],
        &["trace", "--offline", "--format", "ndjson", p],
        &["complain", "--offline", "--to", "abuse@isp.test", p],
    ] {
        let o = spamtrace(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        let out = String::from_utf8(o.stdout.clone()).expect("UTF-8 out");
        assert!(terminal_safe(&out), "{args:?}: {out:?}");
        assert!(terminal_safe(&stderr(&o)), "{args:?}: {}", stderr(&o));
        if args.contains(&"--json") || args.contains(&"ndjson") {
            let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
            assert_eq!(v["message"]["subject"], subject, "the value survives");
        }
    }
}

/// Item 8: a config file's raw ESC and BEL are not echoed by its TOML error.
#[test]
fn a_bad_config_file_is_not_echoed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "trusted = [\"\x1b]0;pwned\x07\x1b[2J\"\n\u{9b}x = 1\n",
    )
    .unwrap();
    let o = spamtrace(&[
        "trace",
        "--offline",
        "--config",
        path_str(&config),
        "testdata/01-sendmail-university.eml",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad config"), "{err}");
    assert!(terminal_safe(&err), "{err:?}");
}

/// Item 9: a NUL in a header field is dropped where values are read, the
/// rest is parsed, and NUL_IN_HEADER says so; a corrupt Outlook .msg is a
/// clear error naming it.
#[test]
fn nul_bytes_in_a_header_are_parsed_around_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nul.eml");
    std::fs::write(
        &path,
        b"Received: from mail.example.net (mail.exa\0mple.net [203.0.113.9]) by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: hi\0 there\r\nMessage-ID: <1@example.net>\r\n\r\nbody\r\n",
    )
    .unwrap();
    let o = spamtrace(&["trace", "--offline", "--json", path_str(&path)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["hops"][0]["from"]["ip"], "203.0.113.9");
    assert_eq!(r["hops"][0]["from"]["rdns"], "mail.example.net");
    assert_eq!(r["message"]["subject"], "hi there");
    let nul = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "NUL_IN_HEADER")
        .expect("NUL_IN_HEADER");
    assert_eq!(nul["evidence"]["nul_bytes"], 2);
    assert_eq!(
        nul["evidence"]["fields"],
        serde_json::json!(["received", "subject"])
    );

    let msg = dir.path().join("mail.msg");
    let mut ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    ole.extend_from_slice(&[0u8; 504]);
    ole.extend_from_slice(b"Subject: x\r\n\r\n");
    std::fs::write(&msg, ole).unwrap();
    assert_one_error(
        &spamtrace(&["trace", "--offline", path_str(&msg)]),
        "Outlook .msg",
    );
}

/// Item 14: an endless stream without a header end is an error once the
/// header limit is read, not a run that never ends.
#[test]
fn dev_zero_ends_with_an_error() {
    use std::time::{Duration, Instant};
    if !Path::new("/dev/zero").exists() {
        eprintln!("skipped: no /dev/zero");
        return;
    }
    let started = Instant::now();
    assert_one_error(
        &spamtrace(&["trace", "--offline", "/dev/zero"]),
        "header block larger than",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_one_error(&o, "header block larger than");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Item 4: `complain --arf` on a terminal shows the original's ESC, OSC
/// and BEL escaped and says so; to a file it writes the exact bytes.
#[test]
fn complain_arf_on_a_terminal_is_escaped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("esc.eml");
    let msg = b"Received: from a.example.net ([203.0.113.9]) by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: x\x1b]0;owned\x07\x1b[2J\r\nMessage-ID: <1@example.net>\r\n\r\nbody\r\n";
    std::fs::write(&path, msg).unwrap();
    let o = spamtrace(&[
        "complain",
        "--offline",
        "--to",
        "abuse@isp.test",
        "--arf",
        path_str(&path),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        o.stdout.windows(3).any(|w| w == b"\x1b]0"),
        "a pipe gets the exact bytes"
    );
    let cmd = format!(
        "{} complain --offline --to abuse@isp.test --arf {}",
        env!("CARGO_BIN_EXE_spamtrace"),
        path.display()
    );
    let Ok(t) = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::null())
        .output()
    else {
        eprintln!("skipped: no script(1) to make a terminal");
        return;
    };
    let seen = String::from_utf8_lossy(&t.stdout);
    assert!(seen.contains("shown escaped"), "{seen}");
    assert!(seen.contains("\\u{1b}]0;owned\\u{7}"), "{seen}");
    assert!(!t.stdout.contains(&0x07) && !t.stdout.windows(2).any(|w| w == b"\x1b]"));
}
