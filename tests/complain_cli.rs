//! `spamtrace complain` as a user runs it: the binary, its exit status,
//! its output, and `--rdap` against a local server. Offline: DNS is in
//! tests/complain_dns.rs.

mod abuse_support;

use abuse_support::http::{bootstrap_routes, serve};
use abuse_support::{sample_path, NOW};
use mail_auth::report::Feedback;
use mail_parser::MimeHeaders;
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

/// The address the tests send to when no contact is found (offline).
const TO: &str = "abuse@everfaster.example";

/// A header field's value in a message (`sendmail -t` reads these).
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split("\n\n")
        .next()
        .unwrap_or("")
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
}

#[test]
fn text_complaint_offline_names_the_ip_and_is_a_message() {
    let (code, out, err) = complain(&["--to", TO, &sample_path()]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("IP address:       197.46.220.4"));
    // The suggestions are in the body, the header is a header.
    assert!(text.contains("\n\nSuggested To: (none found)\n"), "{text}");
    assert!(!text.contains("paid me to surf"));
    assert_eq!(field(&text, "To"), Some(TO));
    assert_eq!(field(&text, "MIME-Version"), Some("1.0"));
    // Same input and time: the same output, but for the Message-ID's
    // random part.
    let (_, again, _) = complain(&["--to", TO, &sample_path()]);
    let again = String::from_utf8(again).unwrap();
    let id = |t: &str| field(t, "Message-ID").unwrap().to_string();
    assert_ne!(id(&text), id(&again));
    assert_eq!(text.replace(&id(&text), ""), again.replace(&id(&again), ""));
}

/// No contact found and no --to: `sendmail -t` would have nothing to
/// send to. Exit 2, a clear message, nothing on stdout (text and ARF).
#[test]
fn no_recipient_and_no_to_is_refused() {
    for arf in [false, true] {
        let mut args = vec!["--reporter", "me@example.org"];
        if arf {
            args.push("--arf");
        }
        let sample = sample_path();
        args.push(&sample);
        let (code, out, err) = complain(&args);
        assert_eq!(code, 2, "arf {arf}: {err}");
        assert!(out.is_empty(), "arf {arf}");
        assert!(
            err.contains("no recipient") && err.contains("--to ADDR"),
            "{err}"
        );
        assert!(err.contains("--offline"), "{err}");
    }
    // --cc alone is a recipient too.
    let (code, out, err) = complain(&["--cc", TO, &sample_path()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(field(&String::from_utf8(out).unwrap(), "Cc"), Some(TO));
}

/// --to and --cc address the text and the ARF; repeatable; an address
/// that would inject a header is refused.
#[test]
fn to_and_cc_address_both_forms() {
    let (code, out, err) = complain(&[
        "--to",
        TO,
        "--to",
        "NOC <noc@everfaster.example>",
        "--cc",
        "me@example.org",
        "--arf",
        "--reporter",
        "me@example.org",
        &sample_path(),
    ]);
    assert_eq!(code, 0, "{err}");
    let m = mail_parser::MessageParser::new()
        .parse(&out)
        .expect("parses");
    let to: Vec<&str> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, [TO, "noc@everfaster.example"]);
    let cc: Vec<&str> = m.cc().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(cc, ["me@example.org"]);
    assert!(Feedback::parse_rfc5322(&out).is_ok());
    for bad in ["a@x.org\nBcc: evil@x.org", "a@x.org, b@x.org", "nobody"] {
        let (code, out, err) = complain(&["--to", bad, &sample_path()]);
        assert_eq!(code, 2, "{bad:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains("--to"), "{err}");
    }
}

/// The text complaint as a mail client reads it: one message, its header
/// fields parsed, the body text/plain in UTF-8 with the complaint in it;
/// a lone "." line of the original stays in the body (sendmail -i).
#[test]
fn text_complaint_parses_as_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dot.eml");
    let mut raw = std::fs::read(sample_path()).unwrap();
    raw.extend_from_slice(b"\n.\nafter the dot\n");
    std::fs::write(&path, &raw).unwrap();
    let (code, out, err) = complain(&[
        "--to",
        TO,
        "--reporter",
        "J\u{fc}rgen M\u{fc}ller <j@example.de>",
        "--include-body",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out.clone()).unwrap();
    let m = mail_parser::MessageParser::new()
        .parse(&out)
        .expect("parses");
    assert_eq!(m.to().unwrap().first().unwrap().address(), Some(TO));
    assert_eq!(
        m.from().unwrap().first().unwrap().name(),
        Some("J\u{fc}rgen M\u{fc}ller")
    );
    assert!(m
        .subject()
        .unwrap()
        .starts_with("Abuse report: Spam from 197.46.220.4"));
    assert!(m.date().is_some());
    let id = m.message_id().expect("Message-ID");
    assert!(
        id.starts_with("spamtrace.") && id.ends_with("@example.de"),
        "{id}"
    );
    assert_eq!(m.content_type().unwrap().ctype(), "text");
    assert_eq!(m.content_type().unwrap().subtype(), Some("plain"));
    assert_eq!(
        m.content_type().unwrap().attribute("charset"),
        Some("utf-8")
    );
    assert_eq!(m.parts.len(), 1, "one part");
    let body = m.body_text(0).unwrap();
    assert!(body.contains("IP address:       197.46.220.4"), "{body}");
    assert!(body.contains("Suggested recipients"), "{body}");
    assert!(body.contains("\n.\nafter the dot"), "{body}");
    // The header block is ASCII (the name is encoded), and no line of the
    // body starts a second header block.
    let head = text.split("\n\n").next().unwrap();
    assert!(head.is_ascii(), "{head}");
    assert_eq!(
        head.lines().filter(|l| l.starts_with("Subject:")).count(),
        1
    );
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
        let (code, out, err) =
            complain(&["--arf", "--to", TO, "--reporter", given, &sample_path()]);
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
    // The text complaint's From: a reader shows the name decoded.
    let (code, out, err) = complain(&[
        "--to",
        TO,
        "--reporter",
        "Jürgen Müller <j@example.de>",
        &sample_path(),
    ]);
    assert_eq!(code, 0, "{err}");
    let m = mail_parser::MessageParser::new()
        .parse(&out)
        .expect("parses");
    assert_eq!(
        m.from().unwrap().first().unwrap().name(),
        Some("Jürgen Müller")
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
        let mut args = vec!["--arf", "--to", TO, "--reporter", "me@ours.org"];
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
