//! `spamtrace complain`: golden files for the 1999 sample (text and ARF),
//! the ARF parsed back with mail-auth and mail-parser, --include-body,
//! --redact, and hostile messages that try to inject headers or MIME parts.

mod abuse_support;

use abuse_support::*;
use mail_auth::report::{Feedback, FeedbackType};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use spamtrace::model::AbuseContact;
use spamtrace::report::render::arf;
use spamtrace::report::render::complaint;
use spamtrace::report::render::complaint::ComplaintOptions;
use std::path::PathBuf;

fn golden_opts() -> ComplaintOptions {
    ComplaintOptions {
        include_body: false,
        redact: None,
        reporter: Some("me@example.org".into()),
        now: NOW,
        message_id: Some("golden.1@example.org".into()),
        boundary: Some("golden-boundary".into()),
        force: false,
    }
}

/// Compare with a golden file; print a diff and how to regenerate.
fn check_golden(name: &str, got: &[u8]) {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "testdata", "golden", name]
        .iter()
        .collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_default();
    if want == got {
        return;
    }
    let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
    let (wl, gl): (Vec<&str>, Vec<&str>) = (w.split('\n').collect(), g.split('\n').collect());
    let mut diff = String::new();
    for i in 0..wl.len().max(gl.len()) {
        let (a, b) = (wl.get(i), gl.get(i));
        if a != b {
            diff.push_str(&format!("line {}:\n  - {:?}\n  + {:?}\n", i + 1, a, b));
        }
    }
    panic!(
        "{} differs from the output:\n{diff}\nIf the change is intended, regenerate with:\n  \
         UPDATE_GOLDEN=1 cargo test --test complain",
        path.display()
    );
}

#[test]
fn golden_complaint_1999() {
    let (msg, report) = report_1999(false);
    let text = complaint::render(&report, &msg, &golden_opts());
    check_golden("1999-berkeley.complaint.txt", text.as_bytes());
}

#[test]
fn golden_arf_1999() {
    let (msg, report) = report_1999(false);
    let out = arf::render(&report, &msg, &golden_opts());
    check_golden("1999-berkeley.arf.eml", &out);
}

#[test]
fn complaint_says_what_an_abuse_desk_needs() {
    let (msg, report) = report_1999(false);
    let text = complaint::render(&report, &msg, &golden_opts());
    for needle in [
        "197.46.220.4",
        "1999-09-04T23:55:04Z (UTC)",
        "Sat, 4 Sep 1999 16:55:04 -0700 (PDT)",
        "cs2.cs.berkeley.edu",
        "169.229.60.56 is in a trusted network",
        "CHAIN_BREAK",
        "Suggested To: abuse@transit-noc.net, abuse@everfaster.com",
        "abuse@longlink.net",
        "Message-ID: <19990904195323.H8159@fritz.hotdogcity.com>",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // Headers only without --include-body.
    assert!(!text.contains("paid me to surf"));
    // The origin's contact is listed, but not among the suggested recipients.
    let to_line = text
        .lines()
        .find(|l| l.starts_with("Suggested To:"))
        .unwrap();
    assert!(!to_line.contains("longlink"));
}

#[test]
fn arf_parses_back_with_mail_auth_and_mail_parser() {
    let (msg, report) = report_1999(false);
    let out = arf::render(&report, &msg, &golden_opts());

    let fb = Feedback::parse_rfc5322(&out).expect("mail-auth reads the ARF");
    assert_eq!(fb.feedback_type, FeedbackType::Abuse);
    assert_eq!(fb.version, 1);
    assert_eq!(fb.source_ip, Some("197.46.220.4".parse().unwrap()));
    assert_eq!(fb.arrival_date, Some(936489304));
    assert_eq!(
        fb.user_agent.as_deref(),
        Some(concat!("spamtrace/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        fb.original_mail_from.as_deref(),
        Some("<dogboyseven@aol.com>")
    );
    assert_eq!(
        fb.original_rcpt_to.as_deref(),
        Some("<jnm@cs.berkeley.edu>")
    );
    assert_eq!(fb.reported_domain, ["everfaster.com"]);
    assert!(fb.message.is_none());
    let headers = fb.headers.as_deref().expect("text/rfc822-headers part");
    assert!(headers.contains("Message-ID: <19990904195323.H8159@fritz.hotdogcity.com>"));

    let m = MessageParser::new()
        .parse(&out)
        .expect("mail-parser reads it");
    assert_eq!(m.message_id(), Some("golden.1@example.org"));
    assert_eq!(
        m.from().and_then(|a| a.first()).and_then(|a| a.address()),
        Some("me@example.org")
    );
    let to: Vec<&str> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, ["abuse@transit-noc.net", "abuse@everfaster.com"]);
    let cc: Vec<&str> = m.cc().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(cc, ["postmaster@everfaster.com"]);
    assert!(m.subject().unwrap().contains("197.46.220.4"));
    assert!(m.date().is_some());
    let ct = m.content_type().unwrap();
    assert_eq!(ct.ctype(), "multipart");
    assert_eq!(ct.subtype(), Some("report"));
    assert_eq!(ct.attribute("report-type"), Some("feedback-report"));
    let types: Vec<String> = m
        .parts
        .iter()
        .skip(1)
        .map(|p| {
            let c = p.content_type().unwrap();
            format!("{}/{}", c.ctype(), c.subtype().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        types,
        [
            "text/plain",
            "message/feedback-report",
            "text/rfc822-headers"
        ]
    );
}

fn contact(address: &str, scope: &str, confidence: &str, role: &str) -> AbuseContact {
    AbuseContact {
        address: address.into(),
        for_ip: Some("8.8.4.4".into()),
        source: if scope == "relay_postmaster" {
            "rfc5321"
        } else {
            "rfc2142"
        }
        .into(),
        scope: scope.into(),
        confidence: confidence.into(),
        role: role.into(),
        hop: Some(1),
        note: String::new(),
    }
}

#[test]
fn postmaster_is_never_to_and_cc_only_beside_its_domains_abuse_address() {
    let fur = "first_untrusted_relay";
    let cs = vec![
        contact("abuse@relay.org", "relay_operator", "confirmed", fur),
        contact("postmaster@relay.org", "relay_postmaster", "confirmed", fur),
        // Its abuse@ is a guess, so not in To: no copy either.
        contact("abuse@helo.org", "relay_operator", "guess", fur),
        contact("postmaster@helo.org", "relay_postmaster", "guess", fur),
        // Confirmed, but no abuse@ of its domain in To.
        contact("postmaster@alone.org", "relay_postmaster", "confirmed", fur),
        contact("noc@net.org", "network", "confirmed", fur),
        contact(
            "postmaster@claimed.org",
            "relay_postmaster",
            "confirmed",
            "probable_origin",
        ),
        contact(
            "abuse@claimed.org",
            "relay_operator",
            "confirmed",
            "probable_origin",
        ),
    ];
    let addrs = |v: Vec<&AbuseContact>| v.iter().map(|c| c.address.clone()).collect::<Vec<_>>();
    assert_eq!(
        addrs(complaint::recipients(&cs)),
        ["abuse@relay.org", "noc@net.org"]
    );
    assert_eq!(addrs(complaint::cc(&cs)), ["postmaster@relay.org"]);
    // A postmaster@ alone is never addressed at all.
    let alone = vec![contact(
        "postmaster@relay.org",
        "relay_postmaster",
        "confirmed",
        fur,
    )];
    assert!(complaint::recipients(&alone).is_empty());
    assert!(complaint::cc(&alone).is_empty());
    // An abuse@ in To from another source (the network's TXT) counts too.
    let net = vec![
        contact("ABUSE@Relay.org", "network", "confirmed", fur),
        contact("postmaster@relay.org", "relay_postmaster", "confirmed", fur),
    ];
    assert_eq!(addrs(complaint::cc(&net)), ["postmaster@relay.org"]);
}

#[test]
fn hop_0_as_the_boundary_says_why_without_an_empty_list() {
    // One Received header: our server took the message straight from the
    // sender, so no trust step leads to the boundary.
    let text = b"Received: from out.sender.net (out.sender.net [8.8.4.4]) by mx.ours.org with ESMTP id 1; Sat, 4 Sep 1999 16:55:04 -0700\nFrom: someone@sender.net\nSubject: x\n\nbody\n";
    let msg = message_from(text);
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("mx.ours.org").unwrap();
    let report = trace(&msg, &trust);
    assert_eq!(report.first_untrusted_relay.as_ref().unwrap().hop, 0);
    assert!(report.trust_steps.is_empty());
    let out = complaint::render(&report, &msg, &golden_opts());
    assert!(
        !out.contains("The headers above it are believed because:"),
        "{out}"
    );
    let why = out
        .split("Why this IP\n")
        .nth(1)
        .and_then(|w| w.split("\n\n").next())
        .unwrap();
    assert_eq!(
        why,
        "  The Received header at hop 0 was written by mx.ours.org,\n  \
         our mail server: it saw the connection from 8.8.4.4.\n  \
         It is the topmost Received header: the receiving server\n  \
         added it itself when it accepted the message, so it rests on no other\n  \
         header and no trusted relay had to vouch for it."
    );
    // The ARF's human-readable part says the same.
    let arf = String::from_utf8(arf::render(&report, &msg, &golden_opts())).unwrap();
    assert!(arf.contains("It is the topmost Received header"), "{arf}");
    assert!(!arf.contains("above it because:"), "{arf}");

    // With a trust step (the 1999 sample), the reasons are listed.
    let (msg, report) = report_1999(false);
    let out = complaint::render(&report, &msg, &golden_opts());
    assert!(out.contains(
        "The headers above it are believed because:\n    hop 0: 169.229.60.56 is in a trusted network\n"
    ));
    assert!(!out.contains("topmost"));
}

#[test]
fn include_body_attaches_the_whole_message_without_quoted_printable() {
    let (msg, report) = report_1999(true);
    let opts = ComplaintOptions {
        include_body: true,
        ..golden_opts()
    };
    let out = arf::render(&report, &msg, &opts);
    let text = String::from_utf8_lossy(&out);
    assert!(!text.to_ascii_lowercase().contains("quoted-printable"));
    assert!(!text.to_ascii_lowercase().contains("base64"));
    // Long Received lines are carried as they are, not soft-broken.
    assert!(text.contains("Received: from mail.everfaster.com (mail.everfaster.com [197.46.220.4]) by cs2.CS.Berkeley.EDU (8.9.1a/8.6.6.Beta11) with ESMTP id LAA18735 for <jnm@cs.berkeley.edu>; Sat, 4 Sep 1999 16:55:04 -0700 (PDT)\r\n"));

    let fb = Feedback::parse_rfc5322(&out).unwrap();
    let inner = fb.message.as_deref().expect("message/rfc822 part");
    assert!(inner.contains("paid me to surf the web"));

    let m = MessageParser::new().parse(&out).unwrap();
    let attached = m
        .parts
        .iter()
        .find_map(|p| match &p.body {
            PartType::Message(inner) => Some(inner),
            _ => None,
        })
        .expect("an attached message");
    assert_eq!(attached.subject(), Some("You'll never believe this!"));
    assert_eq!(
        attached.message_id(),
        Some("19990904195323.H8159@fritz.hotdogcity.com")
    );

    let plain = complaint::render(&report, &msg, &opts);
    assert!(plain.contains("paid me to surf the web"));
}

#[test]
fn redact_hides_recipients_everywhere_and_consistently() {
    let (msg, report) = report_1999(true);
    let opts = ComplaintOptions {
        include_body: true,
        redact: Some("secret".into()),
        ..golden_opts()
    };
    let out = arf::render(&report, &msg, &opts);
    let text = String::from_utf8_lossy(&out).to_ascii_lowercase();
    assert!(!text.contains("jnm@"), "{text}");
    let red = complaint::redact_address("jnm@cs.berkeley.edu", "secret");
    assert!(red.starts_with("redacted-") && red.ends_with("@cs.berkeley.edu"));
    assert!(text.contains(&red));
    let fb = Feedback::parse_rfc5322(&out).unwrap();
    assert_eq!(
        fb.original_rcpt_to.as_deref(),
        Some(format!("<{red}>").as_str())
    );
    // The same key gives the same token; another key, another.
    assert_eq!(
        red,
        complaint::redact_address("JNM@cs.berkeley.edu", "secret")
    );
    assert_ne!(
        red,
        complaint::redact_address("jnm@cs.berkeley.edu", "other")
    );

    let plain = complaint::render(&report, &msg, &opts).to_ascii_lowercase();
    assert!(!plain.contains("jnm@"));
    assert!(plain.contains(&red));
    // The sender is not a recipient: it stays.
    assert!(plain.contains("clewis@hotmail.com"));
}

/// A message whose Received headers and fields try to inject.
fn hostile() -> Vec<u8> {
    let mut m = Vec::new();
    m.extend_from_slice(b"Received: from mx.ours.org (mx.ours.org [169.229.1.1]) by inbox.ours.org with ESMTP id A; Sat, 4 Sep 1999 16:55:38 -0700\n");
    // Written by mx.ours.org (above its Received): a trusted header, so the
    // ARF quotes it, and its control bytes must not reach a header of ours.
    m.extend_from_slice(
        b"Authentication-Results: mx.ours.org; spf=fail\r\x0bX-Evil: 1 smtp.mailfrom=a@b.c\n",
    );
    m.extend_from_slice(b"Received: from evil\rBcc: victim@x.org (evil.example\x1b[31m\rX-Injected: yes [8.8.4.4]) by mx.ours.org with ESMTP id B for <me@ours.org>; Sat, 4 Sep 1999 16:55:04 -0700\n");
    m.extend_from_slice(b"From: =?utf-8?q?x=0D=0ABcc:_victim@x.org?= <a@spam.example>\n");
    m.extend_from_slice(b"To: me@ours.org\nSubject: =?utf-8?q?hi=0D=0AX-Injected:_1?=\n");
    m.extend_from_slice(b"Message-ID: <1@spam.example>\n");
    m.extend_from_slice(b"X-Fake: \n--golden-boundary\nContent-Type: text/html\n");
    m.extend_from_slice(b"\nbody line\n--golden-boundary\nContent-Type: text/plain\n\nsmuggled part\n--golden-boundary--\n\x1b]0;title\x07 end\n");
    m
}

fn header_names(block: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(block);
    text.split("\r\n")
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with([' ', '\t']))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn hostile_message_cannot_inject_headers_or_parts() {
    let msg = message_from(&hostile());
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("169.229.0.0/16").unwrap();
    trust.authserv_ids.push("mx.ours.org".into());
    let mut report = trace(&msg, &trust);
    // Pretend DNS gave contacts, including a hostile one.
    report.abuse_contacts.push(spamtrace::model::AbuseContact {
        address: "abuse@evil.example\r\nBcc: x@y.org".into(),
        for_ip: Some("8.8.4.4".into()),
        source: "abusix".into(),
        scope: "network".into(),
        confidence: "confirmed".into(),
        role: "first_untrusted_relay".into(),
        hop: Some(1),
        note: "x\ry".into(),
    });
    let opts = ComplaintOptions {
        include_body: true,
        ..golden_opts()
    };
    let out = arf::render(&report, &msg, &opts);

    // Top-level header: exactly our fields.
    assert_eq!(
        header_names(&out),
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
            "Content-Type"
        ]
    );
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("To: undisclosed-recipients:;"), "{text}");
    // What we wrote (all but the attached copy, carried as evidence) has no
    // control character but CR LF TAB; the whole report has only CRLF line ends.
    let before_copy = text.split("Content-Type: message/rfc822").next().unwrap();
    assert!(
        !before_copy
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\r' | '\n' | '\t')),
        "{before_copy:?}"
    );
    assert!(!text.contains("\r\nBcc:") && !text.contains("\r\nX-Injected:"));
    for (i, w) in out.windows(2).enumerate() {
        if w[1] == b'\n' {
            assert_eq!(w[0], b'\r', "bare LF at {i}");
        }
    }
    // The boundary the test asked for collides with the message: another one.
    let m = MessageParser::new().parse(&out).unwrap();
    let ct = m.content_type().unwrap();
    let b = ct.attribute("boundary").unwrap();
    assert_ne!(b, "golden-boundary");
    assert_eq!(m.parts.len(), 4, "three parts and the root");
    let fb = Feedback::parse_rfc5322(&out).unwrap();
    assert!(fb.message.as_deref().unwrap().contains("smuggled part"));
    // The report fields: only the names RFC 5965 defines.
    for ar in &fb.authentication_results {
        assert!(!ar.contains('\r') && !ar.contains('\x0b'), "{ar:?}");
    }
    assert_eq!(fb.authentication_results.len(), 1);
    assert!(fb.source_ip == Some("8.8.4.4".parse().unwrap()));

    // The complaint text: no raw control characters at all.
    let plain = complaint::render(&report, &msg, &opts);
    assert!(
        !plain.chars().any(|c| c.is_control() && c != '\n'),
        "{plain:?}"
    );
    assert!(plain.contains("smuggled part"));
    assert!(!plain
        .lines()
        .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected:")));
    assert!(plain.contains("Suggested To: (none found)"));
}

/// Why we assemble the MIME ourselves: mail-auth 0.13.3's `to_rfc5322`
/// gives the message/rfc822 part a quoted-printable (or base64) encoding,
/// which RFC 2046 5.2.1 forbids, and soft-breaks the evidence lines.
#[test]
fn mail_auth_to_rfc5322_encodes_the_attached_message() {
    let (msg, _) = report_1999(true);
    let mut original = msg.header.clone();
    original.extend_from_slice(b"\n");
    original.extend_from_slice(msg.body.as_deref().unwrap());
    let original = String::from_utf8(original).unwrap();
    let out = Feedback::new(FeedbackType::Abuse)
        .with_message(original.as_str())
        .to_rfc5322("me@example.org", "abuse@example.net", "report")
        .unwrap();
    let part = out
        .split("Content-Type: message/rfc822")
        .nth(1)
        .expect("a message/rfc822 part");
    let head = part.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(
        head.contains("content-transfer-encoding: quoted-printable")
            || head.contains("content-transfer-encoding: base64"),
        "{head}"
    );
    eprintln!("mail-auth's message/rfc822 part header: {head:?}");
    // Ours: 7bit/8bit, the long evidence line whole.
    let (msg, report) = report_1999(true);
    let ours = arf::render(
        &report,
        &msg,
        &ComplaintOptions {
            include_body: true,
            ..golden_opts()
        },
    );
    let ours = String::from_utf8(ours).unwrap();
    let part = ours.split("Content-Type: message/rfc822").nth(1).unwrap();
    assert!(part.starts_with("\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"));
}

/// A long chain and huge names: lookups stay bounded, the report stays
/// sendable (no line over 998 octets in what we wrote), and it is quick.
#[test]
fn huge_message_is_bounded() {
    let mut m = Vec::new();
    m.extend_from_slice(b"Received: from h0.relay.net (h0.relay.net [8.8.4.4]) by mx.ours.org with ESMTP id A for <me@ours.org>; Sat, 4 Sep 1999 16:55:04 -0700\n");
    for i in 0..400 {
        let helo = if i == 0 {
            "x".repeat(3000)
        } else {
            format!("h{}.relay.net", i + 1)
        };
        m.extend_from_slice(
            format!(
                "Received: from {helo} (h{}.relay.net [8.8.{}.{}]) by h{i}.relay.net with SMTP id {i} for <r{i}@ours.org>; Sat, 4 Sep 1999 16:55:04 -0700\n",
                i + 1,
                (i / 250) + 1,
                (i % 250) + 1
            )
            .as_bytes(),
        );
    }
    m.extend_from_slice(b"From: a@spam.example\nTo: me@ours.org\nSubject: big\n\n");
    m.extend_from_slice(&b"body line\n".repeat(200_000));
    let msg = message_from(&m);
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("mx.ours.org").unwrap();
    let mut report = trace(&msg, &trust);
    let zone = FixtureDns::default();
    let start = std::time::Instant::now();
    attach_contacts(
        &mut report,
        &msg,
        &trust,
        &zone,
        &spamtrace::enrich::abuse::facts::AbuseConfig::default(),
        None,
    );
    let asked = zone.asked.borrow().len();
    // 10 hops at most (the relay, 8 between, the origin), a handful each.
    assert!(asked <= 10 * 12, "{asked} lookups");
    let opts = ComplaintOptions {
        include_body: true,
        redact: Some("k".into()),
        ..golden_opts()
    };
    let out = arf::render(&report, &msg, &opts);
    let text = complaint::render(&report, &msg, &opts);
    let took = start.elapsed();
    let ours = String::from_utf8_lossy(&out);
    let ours = ours.split("Content-Type: message/rfc822").next().unwrap();
    assert!(ours.split("\r\n").all(|l| l.len() <= 998));
    assert!(!text.contains("r7@ours.org"));
    eprintln!(
        "huge message: {} header bytes, {} body bytes, {asked} lookups, attach+render {:?}",
        msg.header.len(),
        msg.body.as_ref().map_or(0, |b| b.len()),
        took
    );
}

/// The ARF quotes the Authentication-Results the trace believes, judged by
/// the one rule of checks::auth_results: a header with our authserv-id but
/// below the trust boundary came with the message and is left out; ours is
/// quoted even when no --authserv-id is configured (a trusted receiver's name).
#[test]
fn arf_quotes_only_the_authentication_results_the_trace_believes() {
    let top = b"Received: from mx.ours.org (mx.ours.org [169.229.1.1]) by inbox.ours.org with ESMTP id A; Sat, 4 Sep 1999 16:55:38 -0700\n";
    let relay = b"Received: from relay.example (relay.example [8.8.4.4]) by mx.ours.org with ESMTP id B; Sat, 4 Sep 1999 16:55:04 -0700\n";
    let ours = b"Authentication-Results: mx.ours.org; spf=pass smtp.mailfrom=a@spam.example\n";
    let forged = b"Authentication-Results: mx.ours.org; dkim=pass header.d=bank.example\n";
    let rest = b"From: a <a@spam.example>\nTo: me@ours.org\nSubject: x\nMessage-ID: <1@spam.example>\n\nbody\n";
    let msg = message_from(&[&top[..], ours, relay, forged, rest].concat());
    let mut trust = spamtrace::chain::trust::TrustConfig::default();
    trust.add("169.229.0.0/16").unwrap();
    let report = trace(&msg, &trust);
    assert!(
        report.auth_results.iter().all(|v| v.method == "spf"),
        "{:?}",
        report.auth_results
    );
    let out = arf::render(&report, &msg, &golden_opts());
    let fb = Feedback::parse_rfc5322(&out).unwrap();
    assert_eq!(
        fb.authentication_results.len(),
        1,
        "{:?}",
        fb.authentication_results
    );
    assert!(fb.authentication_results[0].contains("spf=pass"));
    assert!(fb
        .authentication_results
        .iter()
        .all(|a| !a.contains("bank.example")));
}
