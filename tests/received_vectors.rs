//! Received-parser vectors: SpamAssassin's 145 cases (read from
//! ../shared/vectors at test time) and hand-written cases per MTA format.

use spamtrace::model::{Hop, HopKind};
use spamtrace::parse::received::parse;
use std::path::PathBuf;

fn p(s: &str) -> Hop {
    parse(0, s.as_bytes())
}

fn ip(h: &Hop) -> String {
    h.from.ip.map(|i| i.to_string()).unwrap_or_default()
}

fn s(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

// ---------------------------------------------------------------- SpamAssassin

/// Cases where we disagree with SpamAssassin on purpose: (case, field, why).
/// The connecting IP is never in this list: it must always be exact.
const DELIBERATE: &[(usize, &str, &str)] = &[
    // A bare `from [ip] by` gives the IP, not a HELO: we do not invent one.
    (
        52,
        "helo",
        "the literal is the connecting IP; no HELO is recorded",
    ),
    // An rDNS name is a name: qmail writes the IP where it found none.
    (
        18,
        "rdns",
        "qmail wrote the IP in the rDNS place: no rDNS name",
    ),
    // ecelerity `from [127.0.0.1] ([127.0.0.1:50024])`: the leading literal is
    // what the client said; SpamAssassin drops it.
    (41, "helo", "the leading literal is kept as the HELO claim"),
    // SquirrelMail: SpamAssassin drops the name; it is the HELO as written.
    (
        64,
        "helo",
        "`from NAME ([ip])` names the HELO whatever follows",
    ),
    // smtpd `name(ip)`: SA keeps no HELO, we agree, but it keeps the rDNS
    // with its case; names are compared lowercased so nothing to list.
    // Courier `softdnserr` is a lookup failure marker, not a name: both empty.
    // CommuniGate `from [ip] (account x HELO [y])`: SA writes !y!, we [y].
];

#[derive(Default)]
struct Tally {
    cases: usize,
    ip_ok: usize,
    field_ok: [usize; 3],
    field_n: [usize; 3],
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/sa-rcvd-parser.jsonl")
}

/// SpamAssassin writes a HELO literal as `!1.2.3.4!`; we keep `[1.2.3.4]`.
fn sa_name(v: &serde_json::Value) -> String {
    let t = v.as_str().unwrap_or("").to_ascii_lowercase();
    let t = t.trim_end_matches('.');
    match t.strip_prefix('!').and_then(|x| x.strip_suffix('!')) {
        Some(inner) => format!("[{inner}]"),
        None => t.to_string(),
    }
}

#[test]
fn spamassassin_vectors() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("SKIP: {} not found", path.display());
        return;
    };
    let mut t = Tally::default();
    let mut failures = Vec::new();
    let mut used = vec![false; DELIBERATE.len()];
    for (n, line) in text.lines().enumerate() {
        let case: serde_json::Value = serde_json::from_str(line).expect("vector line is JSON");
        let received = case["received"].as_str().unwrap_or("");
        let hop = p(received);
        if case["skip"].as_bool() == Some(true) {
            // SpamAssassin ignores these; we must still not fail on them.
            assert_eq!(hop.raw, received.trim());
            continue;
        }
        let e = &case["expect"];
        t.cases += 1;
        let want_ip = e["ip"].as_str().unwrap_or("");
        if ip(&hop) == want_ip && hop.kind == HopKind::Relay {
            t.ip_ok += 1;
        } else {
            failures.push(format!(
                "#{n} ip: got {:?} want {want_ip:?}\n    {received}",
                ip(&hop)
            ));
        }
        let fields = [
            ("helo", s(&hop.from.helo)),
            ("rdns", s(&hop.from.rdns)),
            ("by", s(&hop.by)),
        ];
        for (f, (name, got)) in fields.iter().enumerate() {
            let want = sa_name(&e[*name]);
            t.field_n[f] += 1;
            if *got == want {
                t.field_ok[f] += 1;
                continue;
            }
            match DELIBERATE
                .iter()
                .position(|(c, fld, _)| *c == n && fld == name)
            {
                Some(k) => used[k] = true,
                None => failures.push(format!(
                    "#{n} {name}: got {got:?} want {want:?}\n    {received}"
                )),
            }
        }
    }
    println!(
        "SpamAssassin vectors: {} parsed cases; IP exact {}/{}; helo {}/{}, rdns {}/{}, by {}/{}; deliberate disagreements {}",
        t.cases, t.ip_ok, t.cases, t.field_ok[0], t.field_n[0], t.field_ok[1], t.field_n[1],
        t.field_ok[2], t.field_n[2], DELIBERATE.len()
    );
    for (k, u) in used.iter().enumerate() {
        if !u {
            failures.push(format!(
                "deliberate entry {:?} no longer disagrees: remove it",
                DELIBERATE[k]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- by format

/// (header, kind, ip, helo, rdns, by, with)
type Case = (
    &'static str,
    HopKind,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const FORMATS: &[Case] = &[
    // Sendmail, with the space after `(` of the 1999 sample.
    ("from gate.hypermoon.com ( pool37.qs4w.longlink.net [217.6.1.7]) by mail.everfaster.com (8.8.7/8.8.7) with SMTP id PAA20074; Sat, 4 Sep 1999 19:54:21 -0400 (EDT)",
     HopKind::Relay, "217.6.1.7", "gate.hypermoon.com", "pool37.qs4w.longlink.net", "mail.everfaster.com", "SMTP"),
    // Postfix, unknown rDNS, authenticated.
    ("from laptop (unknown [198.51.100.7]) (Authenticated sender: bob) by mx.example.org (Postfix) with ESMTPSA id 4AB; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "198.51.100.7", "laptop", "", "mx.example.org", "ESMTPSA"),
    // Postfix IPv6.
    ("from mail.example.com (mail.example.com [IPv6:2001:db8::25]) by mx.example.org (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "2001:db8::25", "mail.example.com", "mail.example.com", "mx.example.org", "ESMTPS"),
    // Sendmail: HELO literal, may be forged, ident.
    ("from [10.0.0.2] (joe@dsl.example.net [203.0.113.9] (may be forged)) by mx.example.org (8.14.4/8.14.4) with ESMTP id x; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "203.0.113.9", "[10.0.0.2]", "dsl.example.net", "mx.example.org", "ESMTP"),
    // Exim: rDNS first, helo= apart, port.
    ("from host.example.net ([203.0.113.5]:4321 helo=claimed.example) by mx.example.org with esmtps (TLS1.2) tls TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (Exim 4.92) (envelope-from <a@b>) id 1abc-000; Mon, 01 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "203.0.113.5", "claimed.example", "host.example.net", "mx.example.org", "esmtps"),
    // Exim without rDNS: `from [ip] (port=123 helo=x)`.
    ("from [203.0.113.6] (port=51234 helo=[192.168.0.3]) by mx.example.org with esmtpa (Exim 4.96) id 1x; Mon, 01 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "203.0.113.6", "[192.168.0.3]", "", "mx.example.org", "esmtpa"),
    // qmail: unknown rDNS, HELO comment, bare IP in parentheses.
    ("from unknown (HELO mailer.example) (203.0.113.77) by mx.example.org with SMTP; 1 Jan 2024 10:00:00 -0000",
     HopKind::Relay, "203.0.113.77", "mailer.example", "", "mx.example.org", "SMTP"),
    ("(qmail 123 invoked from network); 1 Jan 2024 10:00:00 -0000", HopKind::Local, "", "", "", "", ""),
    ("(qmail 123 invoked by uid 1000); 1 Jan 2024 10:00:00 -0000", HopKind::Local, "", "", "", "", ""),
    // Postfix local pickup and `from userid`.
    ("by mx.example.org (Postfix, from userid 0) id 5F; Mon, 1 Jan 2024 10:00:00 +0000", HopKind::Local, "", "", "", "mx.example.org", ""),
    ("from userid 0 by mx.example.org with local; Mon, 1 Jan 2024 10:00:00 +0000", HopKind::Local, "", "", "", "mx.example.org", "local"),
    // Exim local submission (`-bS`): a handover on the host, not a relay.
    ("from user by server11.arteryserver11.net with local-bsmtp (Exim 4.24) id 1AtWef-0007YH-Cj for user@example.com; Wed, 18 Feb 2004 18:42:47 +0000",
     HopKind::Local, "", "user", "", "server11.arteryserver11.net", "local-bsmtp"),
    // LMTP over a socket.
    ("from mx.example.org by mbox.example.org (Dovecot) with LMTP id abc for <a@example.org>; Mon, 01 Jan 2024 10:00:00 +0000",
     HopKind::Local, "", "mx.example.org", "", "mbox.example.org", "LMTP"),
    // Exchange / Microsoft 365: bare IPv6 in parentheses, version number in `id`.
    ("from BN8PR12MB3361.namprd12.prod.outlook.com (2603:10b6:408:67::16) by DM6PR12MB4467.namprd12.prod.outlook.com (2603:10b6:5:2a8::11) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.1234.5 via Frontend Transport; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "2603:10b6:408:67::16", "bn8pr12mb3361.namprd12.prod.outlook.com", "", "dm6pr12mb4467.namprd12.prod.outlook.com", "Microsoft SMTP Server"),
    ("from DM6PR12MB4467.namprd12.prod.outlook.com ([fe80::1234%4]) by DM6PR12MB4467.namprd12.prod.outlook.com ([fe80::1234%4]) with mapi id 15.20.7000.000; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "fe80::1234", "dm6pr12mb4467.namprd12.prod.outlook.com", "", "dm6pr12mb4467.namprd12.prod.outlook.com", "mapi"),
    // Exchange 5.5 with no from.
    ("by fritz.hotdogcity.com with Internet Mail Service (5.5.248.0) id Q19G494F; Sat, 4 Sep 1999 19:53:25 -0400 (EDT)",
     HopKind::Local, "", "", "", "fritz.hotdogcity.com", "Internet Mail Service"),
    // Gmail: trailing dot in the rDNS name, SMTPS kept, internal hop without from.
    ("from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id a1sor123.2024.01.01.10.00.00 for <a@example.org> (Google Transport Security); Mon, 01 Jan 2024 10:00:00 -0800 (PST)",
     HopKind::Relay, "209.85.220.41", "mail-sor-f41.google.com", "mail-sor-f41.google.com", "mx.google.com", "SMTPS"),
    ("by 2002:a05:6a10:2d8e:b0:4f2:a0e1:23ce with SMTP id x; Mon, 1 Jan 2024 10:00:00 -0800 (PST)",
     HopKind::Local, "", "", "", "2002:a05:6a10:2d8e:b0:4f2:a0e1:23ce", "SMTP"),
    // Amazon SES.
    ("from a8-31.smtp-out.amazonses.com (a8-31.smtp-out.amazonses.com [54.240.8.31]) by mx.example.org (Postfix) with ESMTPS id 9; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "54.240.8.31", "a8-31.smtp-out.amazonses.com", "a8-31.smtp-out.amazonses.com", "mx.example.org", "ESMTPS"),
    // Yahoo webmail / HTTP.
    ("from [198.51.100.20] by web12.mail.yahoo.com via HTTP; Mon, 01 Jan 2024 10:00:00 PST", HopKind::Relay, "198.51.100.20", "", "", "web12.mail.yahoo.com", ""),
    // Courier with an IPv4-mapped IPv6 address.
    ("from host.example.net (host.example.net [::ffff:192.0.2.44]) by mx.example.org with esmtp; Mon, 01 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "192.0.2.44", "host.example.net", "host.example.net", "mx.example.org", "esmtp"),
    // Lotus Domino and CommuniGate.
    ("from notes.example.com ([192.0.2.80]) by hub.example.com (Lotus Domino Release 8.5.3) with ESMTP id 2024010110; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "192.0.2.80", "notes.example.com", "", "hub.example.com", "ESMTP"),
    ("from [192.0.2.81] (account u@example.com HELO pc.example.com) by cgp.example.com (CommuniGate Pro SMTP 6.3) with ESMTPSA id 1; Mon, 01 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "192.0.2.81", "pc.example.com", "", "cgp.example.com", "ESMTPSA"),
    // Unknown `with` text kept as written.
    ("from a.example ([192.0.2.90]) by b.example with SMTPS id 1; Mon, 01 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "192.0.2.90", "a.example", "", "b.example", "SMTPS"),
    // zmailer (vger.kernel.org): the EHLO name quoted inside the comment.
    ("from cantor2.suse.de ([195.135.220.15]:58263 \"EHLO mx2.suse.de\" rhost-flags-OK-OK-OK-OK) by vger.kernel.org with ESMTP id S1750809Ab0FWFes (ORCPT <rfc822;a@b>); Wed, 23 Jun 2010 01:34:53 -0400",
     HopKind::Relay, "195.135.220.15", "mx2.suse.de", "cantor2.suse.de", "vger.kernel.org", "ESMTP"),
    // MDaemon / SMTPD32: a HELO literal, then the peer's literal.
    ("from [10.0.0.3] [200.173.221.24] by interlize.com.br [200.244.92.2] with SMTP (MDaemon.PRO.v5.0.5.R) for <a@b>; Mon, 23 Sep 2002 14:43:47 -0300",
     HopKind::Relay, "200.173.221.24", "[10.0.0.3]", "", "interlize.com.br", "SMTP"),
    // Exim with the HELO literal SpamAssassin takes for the peer.
    ("from [194.193.204.241] (helo=[217.69.10.71]) by cmr.example with esmtps (envelope-from <a@b>) id 1rS6rL-0004Lj-2b; Tue, 23 Jan 2024 02:49:56 +0000",
     HopKind::Relay, "194.193.204.241", "[217.69.10.71]", "", "cmr.example", "esmtps"),
    // Sendmail submission: `(from user@localhost)`.
    ("(from cpunks@localhost) by hq.example.net (8.12.5/8.12.5/Submit) id g6OD6ulP057079 for a@b; Wed, 24 Jul 2002 08:06:56 -0500 (CDT)",
     HopKind::Local, "", "", "", "hq.example.net", ""),
    // SquirrelMail behind a proxy: the peer is the leading address; the
    // proxied-for client is kept apart (FromPart::forwarded_for), never the rDNS.
    ("from 64.110.46.132 (proxying for 192.168.44.43, unknown) (SquirrelMail authenticated user al) by mpsc.ph with HTTP; Sat, 1 Jun 2002 10:00:00 +0800",
     HopKind::Relay, "64.110.46.132", "", "", "mpsc.ph", "HTTP"),
    // Sun's mshttpd webmail: `Forwarded-For:` names the browser, the literal the front end.
    ("from [10.240.3.209] (Forwarded-For: 69.118.217.22, [10.240.3.209]) by mstr2.srv.hcvlny.cv.net (mshttpd); Thu, 03 Nov 2005 15:11:01 -0500",
     HopKind::Relay, "10.240.3.209", "", "", "mstr2.srv.hcvlny.cv.net", ""),
    // `HELLO` spelled out is a HELO claim like `HELO`.
    ("from [192.83.172.101] (HELLO 148.251.238.35) by mx.example.org with SMTP; Mon, 1 Jan 2024 10:00:00 +0000",
     HopKind::Relay, "192.83.172.101", "148.251.238.35", "", "mx.example.org", "SMTP"),
    // IIS SMTPSVC: `from NAME - IP by HOST`.
    ("from r-smtp.korea.com - 203.122.2.197 by dd_it7  with Microsoft SMTPSVC(5.5.1775.675.6); Sat, 24 Aug 2002 09:42:10 +0900",
     HopKind::Relay, "203.122.2.197", "r-smtp.korea.com", "", "dd_it7", "Microsoft SMTPSVC"),
    // qmail: `from rdns (HELO helo) (ip)`.
    ("from mail.sender.example (HELO smtp.sender.example) (203.0.113.78) by mx.example.org with SMTP; 1 Jan 2024 10:00:00 -0000",
     HopKind::Relay, "203.0.113.78", "smtp.sender.example", "mail.sender.example", "mx.example.org", "SMTP"),
    // Garbage: unparsed, never a crash.
    ("Mon, 01 Jan 2024 10:00:00 +0000", HopKind::Unparsed, "", "", "", "", ""),
    ("", HopKind::Unparsed, "", "", "", "", ""),
];

#[test]
fn formats() {
    let mut failures = Vec::new();
    for (n, (hdr, kind, want_ip, helo, rdns, by, with)) in FORMATS.iter().enumerate() {
        let h = p(hdr);
        let got = (
            h.kind,
            ip(&h),
            s(&h.from.helo),
            s(&h.from.rdns),
            s(&h.by),
            s(&h.with),
        );
        let want = (*kind, want_ip.to_string(), *helo, *rdns, *by, *with);
        if got != want {
            failures.push(format!(
                "case {n}: got {got:?}\n       want {want:?}\n       {hdr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn flags_and_fields() {
    let h = p("from laptop (unknown [198.51.100.7]) (Authenticated sender: bob) by mx.example.org (Postfix) with ESMTP id 4AB for <a@example.org>; Mon, 1 Jan 2024 10:00:00 +0100");
    assert!(h.authenticated);
    assert!(!h.tls);
    assert_eq!(s(&h.id), "4AB");
    assert_eq!(s(&h.for_), "a@example.org");
    let ts = h.timestamp.expect("timestamp");
    assert_eq!(ts.utc, "2024-01-01T09:00:00Z");
    assert_eq!(ts.epoch, 1_704_099_600);
    assert_eq!(ts.original, "Mon, 1 Jan 2024 10:00:00 +0100");

    let h = p("from a (b [192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by c (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000");
    assert!(h.tls && !h.authenticated);
    let h = p("from a ([192.0.2.1]) by c with ESMTPSA id 1; Mon, 1 Jan 2024 10:00:00 +0000");
    assert!(h.tls && h.authenticated);
    let h = p("from a ([192.0.2.1]) by c with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000");
    assert!(!h.tls && !h.authenticated);
    // The Exchange via clause.
    let h = p("from a (192.0.2.1) by b (192.0.2.2) with Microsoft SMTP Server (TLS) id 14.3.123.4 via Frontend Transport; Mon, 1 Jan 2024 10:00:00 +0000");
    assert_eq!(s(&h.via), "Frontend Transport");
    assert_eq!(s(&h.id), "14.3.123.4");
    assert_eq!(ip(&h), "192.0.2.1");
    // The client a proxy acted for.
    let h = p("from 64.110.46.132 (proxying for 192.168.44.43, unknown) (SquirrelMail authenticated user al) by mpsc.ph with HTTP; Sat, 1 Jun 2002 10:00:00 +0800");
    assert_eq!(h.from.forwarded_for, "192.168.44.43".parse().ok());
    let h = p("from [10.240.3.209] (Forwarded-For: 69.118.217.22, [10.240.3.209]) by mstr2.srv.hcvlny.cv.net (mshttpd); Thu, 03 Nov 2005 15:11:01 -0500");
    assert_eq!(h.from.forwarded_for, "69.118.217.22".parse().ok());
    // SendGrid's Go-formatted date, with no `;` before it.
    let h = p("by filter0383p1iad2.sendgrid.net with SMTP id filter0383p1iad2-15318-5AB8F728-C 2018-12-10 11:43:59.610180118 +0000 UTC m=+0.123");
    assert_eq!(h.timestamp.expect("timestamp").utc, "2018-12-10T11:43:59Z");
    assert_eq!(s(&h.id), "filter0383p1iad2-15318-5AB8F728-C");
    // An ident recorded by qmail and by Sendmail.
    let h = p("from unknown (HELO x) (joe@192.0.2.3) by y with SMTP; 1 Jan 2024 10:00:00 -0000");
    assert_eq!(s(&h.from.ident), "joe");
}

#[test]
fn never_takes_an_ip_from_a_version_queue_id_or_helo_literal() {
    // Exchange version numbers and a dotted queue id.
    let h = p("from mail.example.com by b.example.com with Microsoft SMTP Server id 15.20.123.4; Mon, 1 Jan 2024 10:00:00 +0000");
    assert_eq!(h.from.ip, None);
    assert_eq!(h.kind, HopKind::NoIp);
    let h =
        p("from a.example by b.example with ESMTP id 10.20.30.40; Mon, 1 Jan 2024 10:00:00 +0000");
    assert_eq!(h.from.ip, None);
    // A HELO literal never becomes the connecting IP.
    let h =
        p("from unknown (HELO [10.1.1.1]) (192.0.2.5) by y with SMTP; 1 Jan 2024 10:00:00 -0000");
    assert_eq!(ip(&h), "192.0.2.5");
    assert_eq!(s(&h.from.helo), "[10.1.1.1]");
    let h = p("from unknown (HELO [10.1.1.1]) by y with SMTP; 1 Jan 2024 10:00:00 -0000");
    assert_eq!(h.from.ip, None);
}

#[test]
fn hostile_input_never_panics() {
    let mut inputs: Vec<Vec<u8>> = vec![
        b"from \xff\xfe (\xc3 [192.0.2.1]) by \xe2\x82; Mon, 1 Jan 2024".to_vec(),
        b"from ((((((((((((((( by".to_vec(),
        b"from [[[[ ]]]] (( )) <<< >>> \"\" ;;;".to_vec(),
        b"from a (b [1.2.3.4:99999999999]) by c; 99 Foo 99999 99:99:99 +9999".to_vec(),
        b"\r\n\t \r\n".to_vec(),
        "from é (ü [IPv6:]) by ä; ".as_bytes().to_vec(),
    ];
    inputs.push("(".repeat(100_000).into_bytes());
    inputs.push("from a ".repeat(50_000).into_bytes());
    inputs.push(b"from x\x1b[31m (y [192.0.2.1]) by z; Mon, 1 Jan 2024 10:00:00 +0000".to_vec());
    for (n, v) in inputs.iter().enumerate() {
        let h = parse(n, v);
        assert_eq!(h.index, n);
    }
    // Non-UTF-8 bytes inside a token are replaced, not dropped: the name stays.
    let h = parse(
        0,
        b"from b\xffad.example (r.example [192.0.2.1]) by z; Mon, 1 Jan 2024 10:00:00 +0000",
    );
    assert_eq!(s(&h.from.helo), "b\u{fffd}ad.example");
    assert_eq!(ip(&h), "192.0.2.1");
}
