//! Reported messages and bodies (issue 17): forwards and feedback reports
//! unwrapped into their inner messages, the URLs and attachments of the
//! fixtures in testdata/reported/, and the corpus run (no panic; per label
//! how many messages yield URLs and inner messages).

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::{Report, WrapperKind};
use std::collections::BTreeMap;
use std::path::PathBuf;

mod support;
use support::report::{relay, urls};

const NOW: i64 = 1_767_225_600;

fn opts() -> TraceOptions {
    support::report::bodies_opts(NOW)
}

fn input_opts() -> InputOptions {
    InputOptions {
        keep_body: true,
        unwrap: true,
        max_body_bytes: 4 << 20,
        ..InputOptions::default()
    }
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/reported")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn reports(name: &str) -> Vec<Report> {
    input::open(&fixture(name), &input_opts())
        .map(|m| spamtrace::trace(&m.expect("readable"), &opts()))
        .collect()
}

#[test]
fn outlook_forward_is_unwrapped_and_its_safe_links_taken_off() {
    let rs = reports("17-forward-outlook.eml");
    assert_eq!(rs.len(), 2, "the wrapper and the phish inside");
    assert!(rs[0].source.reported_by.is_none());
    let inner = &rs[1];
    let rb = inner.source.reported_by.as_deref().expect("reported_by");
    assert_eq!(rb.kind, WrapperKind::Forward);
    assert_eq!(inner.source.part.as_deref(), Some("2"));
    assert!(rb
        .from
        .as_deref()
        .unwrap()
        .contains("alice@example-corp.com"));
    assert!(rb.received.as_deref().unwrap().contains("SN6PR11MB3360"));
    // The inner trace: the phisher's relay, not Microsoft's.
    assert_eq!(relay(inner).as_deref(), Some("185.142.53.45"));
    assert_eq!(
        inner.message.subject.as_deref(),
        Some("Your account has been limited – action required")
    );
    let b = inner.body.as_ref().unwrap();
    let link = &b.urls[0];
    assert_eq!(
        link.url,
        "https://secure-login.account-verify.example/paypal/signin?id=8812"
    );
    assert_eq!(link.wrapper.as_ref().unwrap().service, "safelinks");
    assert!(link
        .wrapper
        .as_ref()
        .unwrap()
        .url
        .contains("safelinks.protection.outlook.com"));
    assert_eq!(link.domain.as_deref(), Some("account-verify.example"));
    assert!(inner.has("URL_TEXT_MISMATCH"), "{:?}", inner.findings);
    assert!(!rs[0].has("URL_TEXT_MISMATCH"));
}

#[test]
fn gmail_forward_of_two_messages_yields_both() {
    let rs = reports("18-forward-gmail.eml");
    assert_eq!(rs.len(), 3);
    let parts: Vec<_> = rs[1..]
        .iter()
        .map(|r| r.source.part.clone().unwrap())
        .collect();
    assert_eq!(parts, ["2", "3"]);
    assert_eq!(relay(&rs[1]).as_deref(), Some("91.215.85.77"));
    assert_eq!(relay(&rs[2]).as_deref(), Some("146.70.88.199"));
    // Quoted-printable soft breaks and =3D undone; Google's redirector unwrapped.
    let u = urls(&rs[1]);
    assert_eq!(
        u,
        [
            "http://coin-4000.example/join",
            "http://www.coin-4000.example/now"
        ]
    );
    let w = rs[1].body.as_ref().unwrap().urls[0]
        .wrapper
        .as_ref()
        .unwrap();
    assert_eq!(w.service, "google");
    assert_eq!(urls(&rs[2]), ["http://pills-online.example/buy?ref=77"]);
}

#[test]
fn feedback_report_carries_source_ip_checked_against_the_trace() {
    let rs = reports("19-arf-feedback.eml");
    assert_eq!(rs.len(), 2);
    let rb = rs[1].source.reported_by.as_deref().unwrap();
    assert_eq!(rb.kind, WrapperKind::FeedbackReport);
    assert_eq!(rb.feedback_type.as_deref(), Some("abuse"));
    assert_eq!(rb.source_ip.as_deref(), Some("45.95.147.23"));
    assert_eq!(rb.reported_domain, ["spamco.example"]);
    assert_eq!(rs[1].source.part.as_deref(), Some("3"));
    assert_eq!(relay(&rs[1]).as_deref(), Some("45.95.147.23"));
    assert!(!rs[1].has("ARF_SOURCE_IP_MISMATCH"));
    // The report part is no attachment.
    assert!(rs[0].body.as_ref().unwrap().attachments.is_empty());

    let rs = reports("20-arf-headers-only.eml");
    assert_eq!(rs.len(), 2);
    let rb = rs[1].source.reported_by.as_deref().unwrap();
    assert!(rb.headers_only);
    assert_eq!(relay(&rs[1]).as_deref(), Some("45.95.147.23"));
    assert!(rs[1].has("ARF_SOURCE_IP_MISMATCH"), "{:?}", rs[1].findings);
}

#[test]
fn unwrap_off_traces_the_wrapper_only() {
    let o = InputOptions {
        unwrap: false,
        ..input_opts()
    };
    assert_eq!(input::open(&fixture("18-forward-gmail.eml"), &o).count(), 1);
    let o = InputOptions {
        keep_body: false,
        ..input_opts()
    };
    assert_eq!(input::open(&fixture("18-forward-gmail.eml"), &o).count(), 1);
}

#[test]
fn homograph_and_proofpoint_in_a_base64_html_phish() {
    let rs = reports("21-phish-homograph.eml");
    assert_eq!(rs.len(), 1, "no inner message");
    let r = &rs[0];
    let b = r.body.as_ref().unwrap();
    let idn = b.urls.iter().find(|u| u.host_unicode.is_some()).unwrap();
    assert_eq!(idn.host.as_deref(), Some("xn--pypal-4ve.com"));
    assert_eq!(idn.host_unicode.as_deref(), Some("p\u{430}ypal.com"));
    assert!(r.has("URL_HOMOGRAPH"));
    let pp = b.urls.iter().find(|u| u.wrapper.is_some()).unwrap();
    assert_eq!(pp.url, "https://billing.resolve-case.example/pp/?case=1920");
    assert_eq!(pp.wrapper.as_ref().unwrap().service, "urldefense");
    assert!(r.has("URL_TEXT_MISMATCH"));
    // RFC 2047 decoded in the summary.
    assert_eq!(
        r.message.subject.as_deref(),
        Some("Payment confirmation – case PP-88-1920")
    );
}

#[test]
fn html_attachment_with_a_form() {
    let r = &reports("22-html-attachment.eml")[0];
    let a = &r.body.as_ref().unwrap().attachments;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].name.as_deref(), Some("INV-2291.pdf.html"));
    assert_eq!(a[0].sniffed.as_deref(), Some("text/html"));
    assert!(a[0].html_form);
    assert_eq!(a[0].sha256.len(), 64);
    assert!(r.has("ATTACHMENT_HTML_FORM"));
    assert!(r.has("ATTACHMENT_DOUBLE_EXTENSION"));
    assert!(!r.has("ATTACHMENT_EXECUTABLE"));
}

#[test]
fn headers_only_has_no_body() {
    let o = TraceOptions {
        bodies: false,
        ..opts()
    };
    let m = input::open(&fixture("22-html-attachment.eml"), &input_opts())
        .next()
        .unwrap()
        .unwrap();
    let r = spamtrace::trace(&m, &o);
    assert!(r.body.is_none());
    assert!(!r.has("ATTACHMENT_HTML_FORM"));
}

/// Over the shared corpus: no panic, and per label how many messages yield
/// URLs, inner messages, and each new body finding.
#[test]
fn corpus_bodies_and_unwrapping() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(text) = std::fs::read_to_string(root.join("MANIFEST.tsv")) else {
        eprintln!("skipping: ../shared/corpus/MANIFEST.tsv not found");
        return;
    };
    // label -> (messages, with URLs, inner messages, parse failures)
    let mut by: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut codes: BTreeMap<(String, String), usize> = BTreeMap::new();
    let new = [
        "URL_TEXT_MISMATCH",
        "URL_HOMOGRAPH",
        "ARF_SOURCE_IP_MISMATCH",
        "ATTACHMENT_EXECUTABLE",
        "ATTACHMENT_DOUBLE_EXTENSION",
        "ATTACHMENT_TYPE_MISMATCH",
        "ATTACHMENT_HTML_FORM",
        "ATTACHMENT_ENCRYPTED_ARCHIVE",
        "MIME_PARSE_FAILED",
        "MIME_LIMIT",
    ];
    let o = opts();
    let started = std::time::Instant::now();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(label)) = (cols.first(), cols.get(2)) else {
            continue;
        };
        let full = root.join(path).to_string_lossy().into_owned();
        for msg in input::open(&full, &input_opts()).flatten() {
            let r = spamtrace::trace(&msg, &o);
            let e = by.entry(label.to_string()).or_default();
            if r.source.reported_by.is_some() {
                e[2] += 1;
                continue;
            }
            e[0] += 1;
            if r.body.as_ref().is_some_and(|b| !b.urls.is_empty()) {
                e[1] += 1;
            }
            if r.body.as_ref().is_some_and(|b| b.parse_failure.is_some()) {
                e[3] += 1;
            }
            for c in new {
                if r.has(c) {
                    *codes.entry((c.to_string(), label.to_string())).or_default() += 1;
                }
            }
        }
    }
    eprintln!("corpus bodies in {:.1?}", started.elapsed());
    eprintln!("label      messages  with URLs  inner messages  MIME parse failures");
    for (l, [n, u, i, f]) in &by {
        eprintln!("{l:<10} {n:>8} {u:>10} {i:>15} {f:>20}");
    }
    for ((c, l), n) in &codes {
        let total = by.get(l).map_or(1, |e| e[0].max(1));
        eprintln!(
            "{c:<30} {l:<10} {n:>5} ({:.2}%)",
            100.0 * *n as f64 / total as f64
        );
    }
    let spam = by.get("spam").map_or(0, |e| e[1]);
    assert!(spam > 0, "spam with URLs: {by:?}");
}

fn cli(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline", "--no-progress"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("spamtrace runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cli_defangs_for_people_and_keeps_json_exact() {
    let f = fixture("17-forward-outlook.eml");
    let table = cli(&[&f]);
    assert!(table.contains("Reported in"), "{table}");
    assert!(
        table.contains("hxxps://secure-login[.]account-verify[.]example"),
        "{table}"
    );
    assert!(
        !table.contains("https://secure-login.account-verify.example"),
        "{table}"
    );
    let json = cli(&["--format", "ndjson", &f]);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["source"]["part"], "2");
    assert_eq!(
        lines[1]["body"]["urls"][0]["url"],
        "https://secure-login.account-verify.example/paypal/signin?id=8812"
    );
    assert_eq!(lines[1]["source"]["reported_by"]["kind"], "forward");
    // --unwrap never: the wrapper only; --headers-only: no body either.
    let never = cli(&["--format", "ndjson", "--unwrap", "never", &f]);
    assert_eq!(never.lines().count(), 1);
    assert!(never.contains("\"body\""));
    let ho = cli(&["--format", "ndjson", "--headers-only", &f]);
    assert_eq!(ho.lines().count(), 1);
    assert!(!ho.contains("\"body\""));
}

#[test]
fn extract_writes_attachments_with_sanitised_names_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("att");
    let f = fixture("22-html-attachment.eml");
    cli(&["--format", "ndjson", &f]);
    assert!(!out.exists(), "nothing written unless asked");
    let o = out.to_string_lossy().into_owned();
    cli(&["--format", "ndjson", "--extract", &o, &f]);
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["0-0-0-2-INV-2291.pdf.html"]);
    let data = std::fs::read(out.join(&names[0])).unwrap();
    assert!(String::from_utf8_lossy(&data).contains("<form"));
    // A second run never overwrites: it stops with an error.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline", "--quiet", "--extract", &o, &f])
        .output()
        .unwrap()
        .status;
    assert!(!status.success());
}

#[test]
fn complaint_lists_advertised_sites_with_sites() {
    let f = fixture("21-phish-homograph.eml");
    let run = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_spamtrace"))
            .args(["complain", "--offline", "--to", "abuse@example.net"])
            .args(extra)
            .arg(&f)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let with = run(&["--sites"]);
    assert!(with.contains("Advertised sites"), "{with}");
    assert!(
        with.contains("hxxps://xn--pypal-4ve[.]com/resolution/cancel"),
        "{with}"
    );
    assert!(
        with.contains("(resolve-case[.]example), unwrapped from urldefense"),
        "{with}"
    );
    let without = run(&[]);
    assert!(!without.contains("Advertised sites"), "{without}");
}
