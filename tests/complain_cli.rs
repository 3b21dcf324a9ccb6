//! `spamtrace complain` as a user runs it: the binary, its exit status,
//! its output, and `--rdap` against a local server. Offline: DNS is in
//! tests/complain_dns.rs.

mod abuse_support;

use abuse_support::http::{bootstrap_routes, serve};
use abuse_support::{sample_path, NOW};
use mail_auth::report::Feedback;
use std::process::Command;

fn complain(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .arg("complain")
        // No DNS: these tests are about the complaint, not the lookups
        // (tests/complain_dns.rs asks a loopback server).
        .args([
            "--offline",
            "--trusted",
            "169.229.0.0/16",
            "--now",
            &NOW.to_string(),
        ])
        .args(args)
        .env_remove("SPAMTRACE_REPORTER")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .expect("run spamtrace");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn text_complaint_offline_names_the_ip_and_warns_of_no_recipient() {
    let (code, out, err) = complain(&[&sample_path()]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("IP address:       197.46.220.4"));
    assert!(text.contains("Suggested To: (none found)"));
    assert!(!text.contains("paid me to surf"));
    assert!(err.contains("no confirmed abuse contact"), "{err}");
    // Same input and time: the same output.
    let (_, again, _) = complain(&[&sample_path()]);
    assert_eq!(text.as_bytes(), again.as_slice());
}

#[test]
fn arf_with_rdap_from_a_local_server_is_addressed_and_parses() {
    let server = serve(bootstrap_routes());
    let boot = format!("{}/bootstrap/", server.base);
    let (code, out, err) = complain(&[
        "--arf",
        "--reporter",
        "me@example.org",
        "--include-body",
        "--rdap",
        "--rdap-bootstrap",
        &boot,
        "--rdap-allow-private",
        &sample_path(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.starts_with("From: me@example.org\r\nTo: abuse@everfaster-net.org\r\n"),
        "{text}"
    );
    let fb = Feedback::parse_rfc5322(&out).expect("ARF");
    assert!(fb.message.as_deref().unwrap().contains("paid me to surf"));
    // The origin's network is outside the fixture bootstrap: a warning.
    assert!(err.contains("217.6.1.7"), "{err}");
}

#[test]
fn missing_file_is_exit_1_and_bad_trust_is_exit_2() {
    let (code, _, err) = complain(&["/nonexistent/msg.eml"]);
    assert_eq!(code, 1, "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args([
            "complain",
            "--offline",
            "--trusted",
            "not a thing",
            &sample_path(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (code, _, err) = complain(&["--arf", "--reporter", "Me <me@x.org", &sample_path()]);
    assert_eq!(code, 2, "{err}");
}

/// The ARF's header block (up to the blank line), unfolded, one per line.
fn arf_headers(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    let block = text.split("\r\n\r\n").next().unwrap_or("");
    let mut fields: Vec<String> = Vec::new();
    for line in block.split("\r\n") {
        match fields.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => fields.push(line.to_string()),
        }
    }
    fields
}

#[test]
fn reporter_accepts_a_plain_address_and_a_name_addr() {
    for (given, from) in [
        ("me@example.org", "From: me@example.org"),
        ("  <me@example.org>  ", "From: me@example.org"),
        (
            "Jane Doe <jane@example.org>",
            "From: Jane Doe <jane@example.org>",
        ),
        (
            "Jane Q. Doe <jane@example.org>",
            "From: \"Jane Q. Doe\" <jane@example.org>",
        ),
        (
            "\"Doe, Jane\" <jane@Example.ORG>",
            "From: \"Doe, Jane\" <jane@example.org>",
        ),
        (
            "Jürgen Müller <j@example.de>",
            "From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <j@example.de>",
        ),
    ] {
        let (code, out, err) = complain(&["--arf", "--reporter", given, &sample_path()]);
        assert_eq!(code, 0, "{given:?}: {err}");
        let headers = arf_headers(&out);
        assert_eq!(headers[0], from, "{given:?}");
        assert_eq!(headers.iter().filter(|h| h.starts_with("From:")).count(), 1);
        // Readers agree on the mailbox, and the display name decodes.
        let m = mail_parser::MessageParser::new()
            .parse(&out)
            .expect("parses");
        let f = m.from().and_then(|a| a.first()).expect("From");
        assert_eq!(
            f.address().map(str::to_ascii_lowercase).as_deref(),
            from.rsplit_once(['<', ' '])
                .map(|(_, a)| a.trim_end_matches('>'))
        );
        if given.contains("Jürgen") {
            assert_eq!(f.name(), Some("Jürgen Müller"));
        }
        if given.contains("Doe, Jane") {
            assert_eq!(f.name(), Some("Doe, Jane"));
        }
        assert!(Feedback::parse_rfc5322(&out).is_ok(), "{given:?}");
        assert!(out.is_ascii(), "{given:?}: the header block must be ASCII");
    }
    // The text complaint names the reporter readably, not encoded.
    let (code, out, err) =
        complain(&["--reporter", "Jürgen Müller <j@example.de>", &sample_path()]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.lines().nth(1),
        Some("From: \"Jürgen Müller\" <j@example.de>")
    );
}

#[test]
fn reporter_refuses_injection_lists_and_odd_input() {
    for bad in [
        "Jane <j@x.org>\r\nBcc: evil@x.org",
        "Jane <j@x.org>\nBcc: evil@x.org",
        "j@x.org\r\nBcc: evil@x.org",
        "Jane\r<j@x.org>",
        "Jane <j@x.org>\u{7f}",
        "Jane <j@x.org>, evil@x.org",
        "j@x.org, evil@x.org",
        "j@x.org evil@x.org",
        "Jane <j@x.org> <evil@x.org>",
        "Jane <j@x.org,evil@x.org>",
        "Doe, Jane <j@x.org>",
        "\"Jane <j@x.org>",
        "Jane <j@x.org> (comment)",
        "Jane <>",
        "not an address",
        "",
    ] {
        let (code, out, err) = complain(&["--arf", "--reporter", bad, &sample_path()]);
        assert_eq!(code, 2, "{bad:?} was accepted: {err}");
        assert!(out.is_empty(), "{bad:?}: wrote output");
        assert!(err.contains("--reporter"), "{bad:?}: {err}");
        // The refusal itself prints no raw control character.
        assert!(!err.trim_end().contains(['\r', '\u{7f}']), "{err:?}");
        assert!(!err.contains("\nBcc"), "{err:?}");
    }
    // The same through the environment variable.
    let out = Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["complain", "--offline", "--arf", &sample_path()])
        .env("SPAMTRACE_REPORTER", "Jane <j@x.org>\r\nBcc: evil@x.org")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

/// `complain` takes `--authserv-id` as `trace` does (one settings value):
/// naming another authserv-id takes our receiver's Authentication-Results
/// out of the ARF.
#[test]
fn complain_authserv_id_decides_which_authentication_results_are_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    std::fs::write(
        &path,
        "Received: from mx.ours.org (mx.ours.org [169.229.1.1]) by inbox.ours.org with ESMTP id A; Sat, 4 Sep 1999 16:55:38 -0700\n\
         Authentication-Results: mx.ours.org; spf=fail smtp.mailfrom=a@spam.example\n\
         Received: from relay.example (relay.example [8.8.4.4]) by mx.ours.org with ESMTP id B; Sat, 4 Sep 1999 16:55:04 -0700\n\
         From: a <a@spam.example>\nTo: me@ours.org\nSubject: x\nMessage-ID: <1@spam.example>\n\nbody\n",
    )
    .unwrap();
    let path = path.display().to_string();
    let quoted = |extra: &[&str]| {
        let mut args = vec!["--arf", "--reporter", "me@ours.org"];
        args.extend_from_slice(extra);
        args.push(&path);
        let (code, out, err) = complain(&args);
        assert_eq!(code, 0, "{err}");
        let fb = Feedback::parse_rfc5322(&out).unwrap();
        fb.authentication_results
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<String>>()
    };
    // None configured: the trusted receiver's name is ours.
    assert_eq!(quoted(&[]).len(), 1);
    assert!(quoted(&["--authserv-id", "MX.Ours.Org."])[0].contains("spf=fail"));
    assert!(quoted(&["--authserv-id", "other.example"]).is_empty());
}
