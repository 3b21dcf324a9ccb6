//! The HTML report: golden pages for the 1999 sample, an M365 phish and a
//! Gmail message (traced with DNS from a fixture zone on 127.0.0.1), each
//! parsed with html5ever (no parse error) and put through the safety and
//! accessibility checks; hostile input; the index of many messages; long
//! chains folded; the CLI's `--format html`, `--html FILE`, `--html-dir`.
//! Regenerate the goldens with `UPDATE_GOLDEN=1 cargo test --test html`.

mod html_support;
mod support;

use html_support::*;
use spamtrace::chain::TraceOptions;
use spamtrace::enrich::abuse::facts::AbuseConfig;
use spamtrace::enrich::dns::{AbuseOptions, DnsClient, DnsEnricher, DnsOptions, LiveConfig};
use spamtrace::enrich::Enricher;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::Report;
use spamtrace::report::render::html::{self, HtmlDir, HtmlWriter};
use std::process::Command;
use std::time::Duration;
use support::dns_server;

/// 2025-12-01T00:00:00Z: the analysis time of every golden.
const NOW: i64 = 1_764_547_200;
const DNSBL: &str = "dnsbl.fixture-zone.net";

/// The fixture zone for the three messages: PTR and forward records of
/// their relays, MX and SPF of their domains, the Abusix-style contacts,
/// and a DNSBL that lists the phish's relay.
const ZONE: &str = "\
4.220.46.197.in-addr.arpa. PTR mail.everfaster.com.
mail.everfaster.com. A 197.46.220.4
everfaster.com. MX 10 mx.everfaster.com.
7.1.6.217.in-addr.arpa. PTR pool37.qs4w.longlink.net.
longlink.net. MX 10 mail.longlink.net.
4.220.46.197.abuse-contacts.abusix.zone. TXT \"abuse@transit-noc.net\"
gate.hypermoon.com. A 217.6.1.7
16.9.88.221.in-addr.arpa. PTR fritz.hotdogcity.com.
fritz.hotdogcity.com. A 221.88.9.16
hotmail.com. MX 10 mx.hotmail.com.
56.60.229.169.in-addr.arpa. PTR cs2.cs.berkeley.edu.
cs2.cs.berkeley.edu. A 169.229.60.56
aol.com. MX 10 mx.aol.com.
hotdogcity.com. MX 10 mx.hotdogcity.com.
7.51.198.88.in-addr.arpa. PTR static.7.51.198.88.clients.your-server.de.
static.7.51.198.88.clients.your-server.de. A 88.198.51.7
your-server.de. MX 10 mx.your-server.de.
7.51.198.88.abuse-contacts.abusix.zone. TXT \"abuse@hostpoint-noc.net\"
hostpoint-noc.net. MX 10 mx.hostpoint-noc.net.
7.51.198.88.dnsbl.fixture-zone.net. A 127.0.0.2
7.51.198.88.dnsbl.fixture-zone.net. TXT \"listed: spam source, see the fixture\"
mail.docusign.net. A 64.207.219.73
docusign.net. MX 10 mxa.docusign.net.
docusign.net. TXT \"v=spf1 ip4:64.207.219.0/24 -all\"
71.224.235.46.in-addr.arpa. PTR mail.sandpiper-books.co.uk.
mail.sandpiper-books.co.uk. A 46.235.224.71
sandpiper-books.co.uk. MX 10 mail.sandpiper-books.co.uk.
sandpiper-books.co.uk. TXT \"v=spf1 ip4:46.235.224.71 -all\"
71.224.235.46.abuse-contacts.abusix.zone. TXT \"abuse@mb-noc.net\"
mb-noc.net. MX 10 mx.mb-noc.net.
77.12.140.86.in-addr.arpa. PTR host86-140-12-77.range86-140.btcentralplus.com.
host86-140-12-77.range86-140.btcentralplus.com. A 86.140.12.77
";

/// The zone, with the M365 servers' IPv6 names: each forward-confirms.
fn zone() -> String {
    let mut z = ZONE.to_string();
    for (ip, name) in [
        (
            "2603:10b6:408:130:cafe::4c",
            "bn2pepf000044a8.namprd04.prod.outlook.com",
        ),
        (
            "2603:10b6:408:130::7",
            "bn9pr03ca0512.namprd03.prod.outlook.com",
        ),
        (
            "2603:10b6:5:1a2::19",
            "dm6pr11mb4140.namprd11.prod.outlook.com",
        ),
    ] {
        let rev = spamtrace::util::reverse::reverse_name(ip.parse().unwrap());
        z.push_str(&format!("{rev}. PTR {name}.\n{name}. AAAA {ip}\n"));
    }
    z
}

fn options() -> TraceOptions {
    TraceOptions {
        now: NOW,
        infer_trust: true,
        ..TraceOptions::default()
    }
}

/// Trace the messages of `path` (default trust: inferred, as the CLI does)
/// with DNS from `server`, with the answers' time and server pinned.
fn traced(path: &str, server: std::net::SocketAddr) -> Vec<Report> {
    let opts = options();
    let mut batch: Vec<_> = input::open(&testdata(path), &InputOptions::default())
        .map(|m| spamtrace::walk(m.expect("message reads"), &opts))
        .collect();
    let client = DnsClient::live(&LiveConfig {
        servers: vec![server],
        timeout: Duration::from_millis(2000),
        concurrency: 16,
    })
    .unwrap();
    let mut enricher = DnsEnricher::new(
        client,
        DnsOptions {
            dnsbl: vec![DNSBL.to_string()],
            dkim: false,
            ..DnsOptions::default()
        },
    )
    .unwrap()
    .with_abuse(AbuseOptions {
        trust: opts.trust.clone(),
        config: AbuseConfig::default(),
        rdap: None,
    });
    enricher.enrich(&mut batch);
    batch
        .into_iter()
        .map(|t| {
            let mut r = spamtrace::build(t, &opts);
            if let Some(d) = r.dns.as_mut() {
                for a in &mut d.answers {
                    a.when = "2025-12-01T00:00:00Z".into();
                    a.server = "127.0.0.1:53".into();
                }
            }
            // The path as a user would give it.
            r.source.path = format!("testdata/{path}");
            r
        })
        .collect()
}

fn offline(path: &str) -> Vec<Report> {
    let opts = options();
    input::open(&testdata(path), &InputOptions::default())
        .map(|m| spamtrace::trace(&m.expect("message reads"), &opts))
        .collect()
}

fn offline_text(text: &str) -> Report {
    let opts = options();
    let msg = spamtrace::input::reader::MessageReader::new(
        text.as_bytes(),
        "hostile.eml",
        InputOptions::default(),
    )
    .next()
    .unwrap()
    .unwrap();
    spamtrace::trace(&msg, &opts)
}

/// Compare with a golden file; print the first differing lines.
fn check_golden(name: &str, got: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if want == got {
        return;
    }
    let diff: Vec<String> = want
        .split('\n')
        .zip(got.split('\n'))
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .take(5)
        .map(|(i, (a, b))| format!("line {}:\n  - {a:.300}\n  + {b:.300}", i + 1))
        .collect();
    panic!(
        "{path} differs from the output ({} vs {} bytes):\n{}\nIf the change is intended: UPDATE_GOLDEN=1 cargo test --test html",
        want.len(),
        got.len(),
        diff.join("\n")
    );
}

#[test]
fn golden_pages_with_dns() {
    let (addr, server) = dns_server::start(&zone());
    for (input, golden) in GOLDEN {
        let reports = traced(input, addr);
        assert_eq!(reports.len(), 1, "{input}");
        let r = &reports[0];
        assert!(r.dns.is_some(), "{input}: DNS was asked");
        let page = html::render(r);
        check_golden(golden, &page);
        let p = check_page(&page, golden);
        let text = text(&p.dom.document);
        // What the page must say, from the report itself.
        assert!(text.contains(&r.verdict), "{golden}: the verdict");
        let relay = r.first_untrusted_relay.as_ref().unwrap();
        assert!(text.contains(&relay.ip.unwrap().to_string()));
        assert!(text.contains("TRUST BOUNDARY") && text.contains("FIRST UNTRUSTED RELAY"));
        assert!(text.contains("PROBABLE ORIGIN"));
        for f in &r.findings {
            assert!(text.contains(f.code.as_str()), "{golden}: {}", f.code);
        }
        assert!(
            !r.abuse_contacts.is_empty(),
            "{golden}: contacts from the zone"
        );
        for c in &r.abuse_contacts {
            assert!(text.contains(&c.address), "{golden}: contact {}", c.address);
        }
        for a in &r.dns.as_ref().unwrap().answers {
            assert!(
                text.contains(&a.question.name),
                "{golden}: answer {}",
                a.question
            );
        }
    }
    assert!(server.queries() > 0);
}

#[test]
fn the_checks_can_fail() {
    // The parser reports errors, and the page checks catch what they are for.
    assert!(!parse("<!DOCTYPE html><title>x</title><p a=1 a=2></q>")
        .errors
        .is_empty());
    let good = html::render(&offline("07-gmail-recipient.eml").remove(0));
    check_page(&good, "good");
    for (from, to) in [
        ("<main>", "<main><img src=x>"),
        ("<main>", "<main><a href=\"http://example.org/\">x</a>"),
        ("<title id=", "<title onload=\"x\" id="),
        ("<title id=", "<x-no-title></x-no-title><title id="),
        ("default-src 'none'", "default-src *"),
        (
            "<span class=\"badge sev-info\">INFO</span>",
            "<span class=\"badge sev-info\"></span>",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        let caught = std::panic::catch_unwind(|| {
            check_page(&bad, "bad");
        });
        assert!(caught.is_err(), "not caught: {to}");
    }
}

#[test]
fn the_route_draws_the_1999_facts() {
    let (addr, _server) = dns_server::start(&zone());
    let r = traced("1999-berkeley.mbox", addr).remove(0);
    let svg = html::route_svg(&r, true);
    let p = parse(&format!("<!DOCTYPE html><title>x</title>{svg}"));
    // One box per hop and the mailbox; the broken link between 2 and 3 in
    // the forged colour; the region named after its owner.
    let groups: Vec<_> = all(&p)
        .into_iter()
        .filter(|e| name(e) == "g" && classes(e).iter().any(|c| c == "hop"))
        .collect();
    assert_eq!(groups.len(), r.hops.len() + 1);
    let broken: Vec<_> = all(&p)
        .into_iter()
        .filter(|e| classes(e).iter().any(|c| c == "broken"))
        .filter(|e| name(e) == "g")
        .collect();
    assert_eq!(broken.len(), 1, "one broken link");
    assert!(text(&p.dom.document).contains("TRUSTED REGION · berkeley.edu"));
    let origin = groups
        .iter()
        .find(|g| classes(g).iter().any(|c| c == "origin"))
        .expect("an origin box");
    assert!(text(origin).contains("HOP 2") && text(origin).contains("217.6.1.7"));
    let relay = groups
        .iter()
        .find(|g| classes(g).iter().any(|c| c == "relay"))
        .expect("a relay box");
    assert!(
        text(relay).contains("HOP 1") && text(relay).contains("197.46.220.4"),
        "{}",
        text(relay)
    );
    // The badges sit on their hop.
    let hop3 = groups.iter().find(|g| text(g).contains("HOP 3")).unwrap();
    assert!(text(hop3).contains("FORGED CHAIN_BREAK"));
    assert!(text(hop3).contains("FORGED MSGID_FORGED_HOP"));
    // DNS in the box: the relay forward-confirms.
    assert!(text(relay).contains("forward-confirmed"), "{}", text(relay));
}

#[test]
fn hostile_input_is_text_only() {
    let r = offline_text(&hostile(9));
    let page = html::render(&r);
    let p = check_page(&page, "hostile");
    let t = text(&p.dom.document);
    // The payloads are there, as text.
    for s in [
        "<script>document.title='PWNED-subject'</script>",
        "\"><img src=http://127.0.0.1:9/from onerror=document.title='PWNED-from'>",
        "javascript:document.title='pwned-helo'",
        "\\3c script\\3e",
        "<svg onload=document.title='PWNED-mid'>",
    ] {
        assert!(t.contains(s), "payload shown as text: {s}\n");
    }
    // One <style> (ours), one <title> (and one per SVG); nothing the payloads tried to add.
    assert_eq!(by_name(&p, "style").len(), 1);
    assert_eq!(by_name(&p, "title").len(), 1 + by_name(&p, "svg").len());
    assert!(!page.contains("<img") && !page.contains("<script") && !page.contains("<svg onload"));
    // Bidi overrides and controls are shown, not obeyed.
    let sneaky = offline_text(
        "Received: from a.test ([192.0.2.1]) by b.test with SMTP; Mon, 1 Dec 2025 10:00:00 +0000\r\nSubject: invoice \u{202e}fdp.exe\u{1b}[2J\r\n\r\nx\r\n",
    );
    let page = html::render(&sneaky);
    assert!(!page.contains('\u{202e}') && !page.contains('\u{1b}'));
    assert!(page.contains("invoice \\u{202e}fdp.exe\\u{1b}[2J"));
}

#[test]
fn many_messages_one_file_with_a_sortable_index() {
    let reports = offline("14-several.mbox");
    assert!(reports.len() >= 2);
    let mut w = HtmlWriter::new(std::io::Cursor::new(Vec::new()));
    for r in &reports {
        w.push(r).unwrap();
    }
    w.error("testdata/x.mbox: message 9: unreadable <b>");
    let mut out = Vec::new();
    w.finish(&mut out).unwrap();
    let page = String::from_utf8(out).unwrap();
    let p = check_page(&page, "index");
    let rows: Vec<_> = by_name(&p, "tr")
        .into_iter()
        .filter(|tr| attr(tr, "style").is_some_and(|s| s.contains("--worst:")))
        .collect();
    assert_eq!(rows.len(), reports.len());
    // Each row links to its message's section, which is in the file.
    for (n, tr) in rows.iter().enumerate() {
        let links: Vec<_> = all(&p)
            .into_iter()
            .filter(|e| name(e) == "a" && attr(e, "href").as_deref() == Some(&format!("#m{n}")))
            .collect();
        assert_eq!(links.len(), 1, "row {n}");
        let style = attr(tr, "style").unwrap();
        for key in ["--input:", "--date:", "--relay:", "--origin:", "--subject:"] {
            assert!(style.contains(key), "{style}");
        }
    }
    // The worst-first order is a permutation that puts the worst first.
    let rank = |tr: &markup5ever_rcdom::Handle| -> usize {
        let s = attr(tr, "style").unwrap();
        let v = s.split("--worst:").nth(1).unwrap();
        v.split(';').next().unwrap().parse().unwrap()
    };
    let mut ranks: Vec<usize> = rows.iter().map(rank).collect();
    let first = rows.iter().position(|tr| rank(tr) == 0).unwrap();
    assert_eq!(
        reports[first].worst(),
        reports.iter().filter_map(|r| r.worst()).max()
    );
    ranks.sort();
    assert_eq!(ranks, (0..reports.len()).collect::<Vec<_>>());
    // Sorting needs no script: radio buttons and CSS order.
    assert_eq!(
        all(&p)
            .iter()
            .filter(|e| name(e) == "input" && attr(e, "type").as_deref() == Some("radio"))
            .count(),
        6
    );
    assert!(page.contains("#sort-worst:checked~.tablewrap .idx tbody tr{order:var(--worst)}"));
    assert!(text(&p.dom.document).contains("unreadable <b>"));
    // One message: the plain page, no index.
    let mut w = HtmlWriter::new(std::io::Cursor::new(Vec::new()));
    w.push(&reports[0]).unwrap();
    let mut out = Vec::new();
    w.finish(&mut out).unwrap();
    let one = String::from_utf8(out).unwrap();
    check_page(&one, "one");
    assert!(!one.contains("class=\"index\""));
}

#[test]
fn html_dir_writes_one_page_per_message_and_an_index() {
    let reports = offline("14-several.mbox");
    let dir = tempfile::tempdir().unwrap();
    let mut d = HtmlDir::create(&dir.path().join("out")).unwrap();
    for r in &reports {
        d.push(r).unwrap();
    }
    let index = d.finish().unwrap();
    let page = std::fs::read_to_string(&index).unwrap();
    let p = check_page(&page, "index.html");
    for n in 0..reports.len() {
        let name = HtmlDir::file_name(n);
        let msg = std::fs::read_to_string(dir.path().join("out").join(&name)).unwrap();
        check_page(&msg, &name);
        assert!(msg.contains("href=\"index.html\""));
        assert!(all(&p)
            .iter()
            .any(|e| attr(e, "href").as_deref() == Some(name.as_str())));
    }
}

/// A chain of `n` hops: a spammer, then `n - 2` internal hops of one
/// provider, then the recipient's server.
fn long_chain(n: usize) -> String {
    let mut s = String::new();
    let t = |i: usize| {
        format!(
            "Mon, 1 Dec 2025 10:{:02}:{:02} +0000",
            (n - i) / 60,
            (n - i) % 60
        )
    };
    s.push_str(&format!(
        "Received: from hop1.mail.bigprovider.example (hop1.mail.bigprovider.example [192.0.2.1]) by mx.inbox.example with ESMTPS id X0; {}\r\n",
        t(0)
    ));
    for i in 1..n - 1 {
        s.push_str(&format!(
            "Received: from hop{}.mail.bigprovider.example (hop{}.mail.bigprovider.example [10.0.{}.{}]) by hop{i}.mail.bigprovider.example with ESMTP id X{i}; {}\r\n",
            i + 1,
            i + 1,
            i / 200,
            i % 200 + 1,
            t(i)
        ));
    }
    s.push_str(&format!(
        "Received: from spam.example (spam.example [198.51.100.66]) by hop{}.mail.bigprovider.example with ESMTP id Y; {}\r\n",
        n - 1,
        t(n - 1)
    ));
    s.push_str("Subject: long\r\nFrom: a@spam.example\r\n\r\nx\r\n");
    s
}

#[test]
fn long_chains_fold_into_a_box_that_details_open() {
    let mut opts = options();
    opts.trust.add("10.0.0.0/8").unwrap();
    opts.trust.add("inbox.example").unwrap();
    opts.trust.add("bigprovider.example").unwrap();
    let text_msg = long_chain(34);
    let msg = spamtrace::input::reader::MessageReader::new(
        text_msg.as_bytes(),
        "long.eml",
        InputOptions::default(),
    )
    .next()
    .unwrap()
    .unwrap();
    let r = spamtrace::trace(&msg, &opts);
    assert_eq!(r.hops.len(), 34);
    let page = html::render(&r);
    let p = check_page(&page, "long");
    let wide = all(&p)
        .into_iter()
        .find(|e| classes(e).iter().any(|c| c == "route-wide"))
        .unwrap();
    let boxes: Vec<_> = {
        let mut v = Vec::new();
        html_support::elements(&wide, &mut v);
        v.into_iter()
            .filter(|e| name(e) == "g" && classes(e).iter().any(|c| c == "hop"))
            .collect()
    };
    assert!(boxes.len() <= 10, "{} boxes in the route", boxes.len());
    let folds: Vec<_> = boxes
        .iter()
        .filter(|g| classes(g).iter().any(|c| c == "fold"))
        .collect();
    assert_eq!(folds.len(), 1);
    assert!(text(folds[0]).contains("internal hops of bigprovider.example"));
    // The <details> holds every folded hop.
    let details: Vec<_> = by_name(&p, "details")
        .into_iter()
        .filter(|d| classes(d).iter().any(|c| c == "fold"))
        .collect();
    assert_eq!(details.len(), 1);
    let hop_boxes = |root: &markup5ever_rcdom::Handle| -> usize {
        let mut v = Vec::new();
        html_support::elements(root, &mut v);
        v.iter()
            .filter(|e| name(e) == "g")
            .filter(|e| {
                let c = classes(e);
                c.iter().any(|c| c == "hop") && !c.iter().any(|c| c == "fold" || c == "mailbox")
            })
            .count()
    };
    let inside = hop_boxes(&details[0]) / 2; // drawn wide and narrow
    assert_eq!(
        hop_boxes(&wide) + inside,
        34,
        "every hop drawn once: {inside} folded"
    );
    assert!(inside >= 20, "{inside} folded");
    // Short chains are never folded.
    let r = offline("07-gmail-recipient.eml").remove(0);
    assert!(!html::render(&r).contains("class=\"hop fold"));
}

#[test]
fn hundreds_of_hosts_stay_a_bounded_drawing() {
    // 400 claimed hops, each naming a new host: folded whoever runs them.
    let mut s = String::from(
        "Received: from relay.example.net (relay.example.net [192.0.2.7]) by mx.inbox.example with ESMTP; Mon, 1 Dec 2025 10:00:00 +0000\r\n",
    );
    for i in 0..400 {
        s.push_str(&format!(
            "Received: from h{}.n{}.example.org (h{}.n{}.example.org [198.51.100.{}]) by h{i}.n{i}.example.org with SMTP; Mon, 1 Dec 2025 09:{:02}:00 +0000\r\n",
            i + 1,
            i + 1,
            i + 1,
            i + 1,
            i % 250 + 1,
            59 - (i / 7) % 60
        ));
    }
    s.push_str("Subject: many\r\n\r\nx\r\n");
    let mut opts = options();
    opts.trust.add("inbox.example").unwrap();
    let msg = spamtrace::input::reader::MessageReader::new(
        s.as_bytes(),
        "many.eml",
        InputOptions::default(),
    )
    .next()
    .unwrap()
    .unwrap();
    let r = spamtrace::trace(&msg, &opts);
    assert!(r.hops.len() > 300);
    let page = html::render(&r);
    let p = check_page(&page, "many hosts");
    let wide = all(&p)
        .into_iter()
        .find(|e| classes(e).iter().any(|c| c == "route-wide"))
        .unwrap();
    let mut v = Vec::new();
    html_support::elements(&wide, &mut v);
    let boxes = v
        .iter()
        .filter(|e| name(e) == "g" && classes(e).iter().any(|c| c == "hop"))
        .count();
    assert!(boxes <= 40, "{boxes} boxes");
    assert!(page.len() < 4 << 20, "{} bytes", page.len());
}

fn spamtrace_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spamtrace"))
}

#[test]
fn cli_format_html_html_file_and_html_dir() {
    let sample = testdata("1999-berkeley.mbox");
    let out = spamtrace_bin()
        .args(["trace", "--offline", "--format", "html", &sample])
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    check_page(&page, "stdout");
    assert!(page.contains("197.46.220.4"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.html");
    let out = spamtrace_bin()
        .args(["trace", "--offline", "--color", "never", "--html"])
        .arg(&file)
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success());
    // The table on stdout, the page in the file.
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("BOUNDARY") && !table.contains("<html"));
    let page = std::fs::read_to_string(&file).unwrap();
    check_page(&page, "--html");

    // NDJSON beside HTML: both complete.
    let several = testdata("14-several.mbox");
    let out = spamtrace_bin()
        .args(["trace", "--offline", "--format", "ndjson", "--html"])
        .arg(&file)
        .arg(&several)
        .output()
        .unwrap();
    let lines = String::from_utf8(out.stdout).unwrap().lines().count();
    let page = std::fs::read_to_string(&file).unwrap();
    let p = check_page(&page, "ndjson+html");
    assert_eq!(
        by_name(&p, "section")
            .iter()
            .filter(|s| classes(s).iter().any(|c| c == "message"))
            .count(),
        lines
    );

    let hd = dir.path().join("pages");
    let out = spamtrace_bin()
        .args(["trace", "--offline", "--format", "json", "--html-dir"])
        .arg(&hd)
        .arg(&several)
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = json.as_array().map(|a| a.len()).unwrap_or(1);
    assert!(hd.join("index.html").exists());
    assert!(hd.join(HtmlDir::file_name(n - 1)).exists());
    assert!(!hd.join(HtmlDir::file_name(n)).exists());

    // An unwritable target is a clear error before any work.
    let out = spamtrace_bin()
        .args([
            "trace",
            "--offline",
            "--html",
            "/nonexistent/dir/r.html",
            &sample,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/dir/r.html"), "{err}");
}

/// Vendor verdicts are listed with who wrote them and whether they are
/// believed; a planted one below the boundary reads as a claim. A hop's
/// owner (AS, country) is shown in its box when it was looked up.
#[test]
fn vendor_verdicts_and_the_owner_of_each_hop() {
    let mut r = offline("18-planted-scl.eml").remove(0);
    assert!(
        !r.vendor_verdicts.is_empty(),
        "the fixture carries filter headers"
    );
    let page = html::render(&r);
    let p = check_page(&page, "vendor");
    let t = text(&p.dom.document);
    assert!(t.contains("Vendor verdicts: what the filters on the way wrote"));
    for v in &r.vendor_verdicts {
        assert!(t.contains(&v.header), "{} listed", v.header);
    }
    // The whole header block, raw and escaped, not only the Received lines.
    assert!(t.contains("The header block as it arrived"));
    let first_field = String::from_utf8_lossy(&r.header_block)
        .lines()
        .find(|l| !l.starts_with("Received:") && l.contains(':') && !l.starts_with([' ', '\t']))
        .expect("a header field besides Received")
        .to_string();
    assert!(t.contains(&first_field), "{first_field} shown raw");
    if r.vendor_verdicts.iter().any(|v| !v.trusted) {
        assert!(t.contains("a claim"), "an untrusted verdict is a claim");
    }
    let relay = r.first_untrusted_relay.as_ref().expect("a relay");
    let (hop, ip) = (relay.hop, relay.ip.expect("an address"));
    r.asn.push(
        serde_json::from_value(serde_json::json!({
            "hop": hop, "ip": ip.to_string(), "asn": 64500,
            "as_name": "Example Net", "country": "NL", "source": "dns"
        }))
        .expect("a HopAsn"),
    );
    let svg = html::route_svg(&r, true);
    assert!(
        svg.contains("AS64500 Example Net, NL"),
        "the owner in the hop box"
    );
}
