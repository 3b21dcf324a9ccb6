//! Outlook .msg files (issue 17): the fixtures testdata/17-outlook.msg (a
//! phish as received by Microsoft 365, saved from Outlook) and
//! testdata/17-outlook-forward.msg (a user's forward with that phish
//! attached as an Outlook item) are written by the generator below with
//! the `cfb` crate; `SPAMTRACE_BLESS=1` rewrites them, otherwise the test
//! checks the committed files are what it writes. The traced chain, the
//! URLs, the attachments, the unwrapped inner message, and the errors for a
//! draft and for truncated or corrupt files.

use spamtrace::chain::TraceOptions;
use spamtrace::input::{self, InputOptions};
use spamtrace::model::{Report, SourceFormat, WrapperKind};
use std::io::{Cursor, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

mod support;
use support::report::{relay, urls};

const NOW: i64 = 1_767_225_600;

/// The phish, as the receiving Exchange Online saw it: Microsoft's own
/// hops (IPv6 inside, the protection frontend), then the sender's relay.
const PHISH_HEADERS: &str =
    "Received: from DM8PR11MB5573.namprd11.prod.outlook.com (2603:10b6:8:3c::21)\r
 by SJ0PR11MB4893.namprd11.prod.outlook.com with HTTPS; Mon, 30 Nov 2026\r
 08:12:07 +0000\r
Received: from BN9PR03CA0648.namprd03.prod.outlook.com (2603:10b6:408:13b::23)\r
 by DM8PR11MB5573.namprd11.prod.outlook.com (2603:10b6:8:3c::21) with\r
 Microsoft SMTP Server (version=TLS1_2,\r
 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8207.17; Mon, 30 Nov\r
 2026 08:12:06 +0000\r
Received: from BN2PEPF000044A9.namprd04.prod.outlook.com\r
 (2603:10b6:408:13b:cafe::8e) by BN9PR03CA0648.outlook.office365.com\r
 (2603:10b6:408:13b::23) with Microsoft SMTP Server (version=TLS1_3,\r
 cipher=TLS_AES_256_GCM_SHA384) id 15.20.8207.12 via Frontend Transport; Mon,\r
 30 Nov 2026 08:12:06 +0000\r
Authentication-Results: spf=fail (sender IP is 185.142.53.45)\r
 smtp.mailfrom=account-verify.example; dkim=none (message not signed)\r
 header.d=none;dmarc=fail action=none header.from=paypal.com;compauth=fail\r
 reason=000\r
Received-SPF: Fail (protection.outlook.com: domain of account-verify.example\r
 does not designate 185.142.53.45 as permitted sender)\r
 receiver=protection.outlook.com; client-ip=185.142.53.45;\r
 helo=mail.account-verify.example;\r
Received: from mail.account-verify.example (185.142.53.45) by\r
 BN2PEPF000044A9.mail.protection.outlook.com (10.167.243.160) with Microsoft\r
 SMTP Server id 15.20.8207.12 via Frontend Transport; Mon, 30 Nov 2026\r
 08:12:05 +0000\r
Received: from [10.8.0.14] (unknown [45.133.1.77])\r
 by mail.account-verify.example (Postfix) with ESMTPSA id 4QbX0w6mQ3z2\r
 for <alice@example-corp.com>; Mon, 30 Nov 2026 08:12:03 +0000 (UTC)\r
From: \"PayPal\" <service@account-verify.example>\r
To: <alice@example-corp.com>\r
Subject: =?UTF-8?Q?Your_account_has_been_limited_=E2=80=93_action_required?=\r
Date: Mon, 30 Nov 2026 08:12:01 +0000\r
Message-ID: <20261130081201.4QbX0w6mQ3z2@mail.account-verify.example>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed;\r
\tboundary=\"----=_Part_48213_1290331.1764490321\"\r
Return-Path: bounce@account-verify.example\r
X-MS-Exchange-Organization-SCL: 5\r
X-MS-Exchange-Organization-AuthSource: BN2PEPF000044A9.namprd04.prod.outlook.com\r
X-MS-Exchange-Organization-AuthAs: Anonymous\r
\r
";

const PHISH_TEXT: &str = "Dear customer,\r\n\r\nWe noticed unusual activity. Your account has been limited.\r\nRestore access: https://account-verify.example/restore?id=88213\r\n\r\nPayPal\r\n";

const PHISH_HTML: &str = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>\r\n<p>Dear customer,</p>\r\n<p>We noticed unusual activity. <a href=\"https://nam11.safelinks.protection.outlook.com/?url=https%3A%2F%2Fpaypal.account-verify.example%2Fsignin&amp;data=05%7C02%7C&amp;reserved=0\">https://www.paypal.com/signin</a></p>\r\n<img src=\"https://cdn.account-verify.example/logo.png\">\r\n</body></html>\r\n";

const STATEMENT_HTML: &str = "<html><body><form action=\"https://collect.account-verify.example/post\" method=\"post\"><input name=\"password\" type=\"password\"></form></body></html>\r\n";

/// The user's forward: only Exchange's own MAPI hop.
const FORWARD_HEADERS: &str =
    "Received: from DM6PR11MB4657.namprd11.prod.outlook.com (2603:10b6:5:2a8::14)\r
 by SN6PR11MB3360.namprd11.prod.outlook.com with HTTPS; Mon, 30 Nov 2026\r
 09:03:41 +0000\r
Received: from DM6PR11MB4657.namprd11.prod.outlook.com\r
 ([fe80::5d1c:2a1b:9e3f:11aa]) by DM6PR11MB4657.namprd11.prod.outlook.com\r
 ([fe80::5d1c:2a1b:9e3f:11aa%7]) with mapi id 15.20.8207.010; Mon, 30 Nov 2026\r
 09:03:40 +0000\r
From: Alice Example <alice@example-corp.com>\r
To: Phish Reports <phish@example-corp.com>\r
Subject: FW: Your account has been limited - action required\r
Date: Mon, 30 Nov 2026 09:03:40 +0000\r
Message-ID: <DM6PR11MB46575E1F0A2B3C4D5E6F7A8B9C0D2@DM6PR11MB4657.namprd11.prod.outlook.com>\r
X-MS-Has-Attach: yes\r
Content-Type: multipart/mixed;\r
\tboundary=\"_004_DM6PR11MB46575E1F0A2B3C4D5E6F7A8B9C0D2DM6PR11MB4657namp_\"\r
MIME-Version: 1.0\r
\r
";

// --- the generator ----------------------------------------------------------

type Cf = cfb::CompoundFile<Cursor<Vec<u8>>>;

/// A fixed time for every storage, so the generated bytes do not change.
fn stamp() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_490_321)
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn put(cf: &mut Cf, path: &str, data: &[u8]) {
    let mut s = cf.create_stream(path).unwrap();
    s.write_all(data).unwrap();
}

fn storage(cf: &mut Cf, path: &str) {
    cf.create_storage(path).unwrap();
}

/// A message's property stream ([MS-OXMSG] 2.4): a header (32 bytes for
/// the top level, 24 for an attached message) and no fixed properties
/// listed; spamtrace reads the variable-length streams.
fn properties(cf: &mut Cf, storage: &str, header: usize) {
    put(
        cf,
        &format!("{storage}/__properties_version1.0"),
        &vec![0u8; header],
    );
}

/// A message's string and body properties under `at` ("" for the root).
fn message(cf: &mut Cf, at: &str, headers: Option<&str>, subject: &str, text: &str, html: &str) {
    put(
        cf,
        &format!("{at}/__substg1.0_001A001F"),
        &utf16("IPM.Note"),
    );
    put(cf, &format!("{at}/__substg1.0_0037001F"), &utf16(subject));
    if let Some(h) = headers {
        put(cf, &format!("{at}/__substg1.0_007D001F"), &utf16(h));
    }
    put(cf, &format!("{at}/__substg1.0_1000001F"), &utf16(text));
    put(cf, &format!("{at}/__substg1.0_10130102"), html.as_bytes());
}

/// An attachment storage; its property stream lists `PR_ATTACH_METHOD`
/// (0x37050003: 1 by value, 5 an attached Outlook item) as Outlook writes
/// it (16-byte entries: tag, flags, value).
fn attachment(cf: &mut Cf, at: &str, n: usize, method: u32) -> String {
    let dir = format!("{at}/__attach_version1.0_#{n:08X}");
    storage(cf, &dir);
    let mut props = vec![0u8; 8];
    props.extend_from_slice(&0x3705_0003u32.to_le_bytes());
    props.extend_from_slice(&6u32.to_le_bytes());
    props.extend_from_slice(&u64::from(method).to_le_bytes());
    put(cf, &format!("{dir}/__properties_version1.0"), &props);
    dir
}

fn file_attachment(cf: &mut Cf, at: &str, n: usize, name: &str, mime: &str, data: &[u8]) {
    let dir = attachment(cf, at, n, 1);
    put(cf, &format!("{dir}/__substg1.0_3707001F"), &utf16(name));
    put(
        cf,
        &format!("{dir}/__substg1.0_3704001F"),
        &utf16("STATEM~1.HTM"),
    );
    put(cf, &format!("{dir}/__substg1.0_370E001F"), &utf16(mime));
    put(cf, &format!("{dir}/__substg1.0_37010102"), data);
}

/// The phish's properties under `at`.
fn phish(cf: &mut Cf, at: &str, headers: Option<&str>) {
    message(
        cf,
        at,
        headers,
        "Your account has been limited – action required",
        PHISH_TEXT,
        PHISH_HTML,
    );
    file_attachment(
        cf,
        at,
        0,
        "Statement.html",
        "text/html",
        STATEMENT_HTML.as_bytes(),
    );
}

fn nameid(cf: &mut Cf) {
    storage(cf, "/__nameid_version1.0");
    for s in ["00020102", "00030102", "00040102"] {
        put(cf, &format!("/__nameid_version1.0/__substg1.0_{s}"), &[]);
    }
}

/// Every entry's times fixed (cfb stamps storages with the current time).
fn finish(mut cf: Cf) -> Vec<u8> {
    let paths: Vec<PathBuf> = cf
        .walk()
        .filter(|e| e.is_storage())
        .map(|e| e.path().to_path_buf())
        .collect();
    for p in paths {
        cf.set_created_time(&p, stamp()).unwrap();
        cf.set_modified_time(&p, stamp()).unwrap();
    }
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

fn new_cf() -> Cf {
    cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap()
}

/// testdata/17-outlook.msg: the phish as received (or, `headers` None, a
/// draft: the same message never sent).
fn phish_msg(headers: Option<&str>) -> Vec<u8> {
    let mut cf = new_cf();
    properties(&mut cf, "", 32);
    nameid(&mut cf);
    phish(&mut cf, "", headers);
    finish(cf)
}

/// testdata/17-outlook-forward.msg: Alice's forward, the phish attached as
/// an Outlook item (`PR_ATTACH_METHOD` 5, the message in a `3701000D`
/// storage).
fn forward_msg() -> Vec<u8> {
    let mut cf = new_cf();
    properties(&mut cf, "", 32);
    nameid(&mut cf);
    message(
        &mut cf,
        "",
        Some(FORWARD_HEADERS),
        "FW: Your account has been limited - action required",
        "Hi, this looks like phishing, please have a look.\r\n\r\nAlice\r\n",
        "<html><body><p>Hi, this looks like phishing, please have a look.</p><p>Alice</p></body></html>",
    );
    let dir = attachment(&mut cf, "", 0, 5);
    put(
        &mut cf,
        &format!("{dir}/__substg1.0_3001001F"),
        &utf16("Your account has been limited – action required"),
    );
    let inner = format!("{dir}/__substg1.0_3701000D");
    storage(&mut cf, &inner);
    properties(&mut cf, &inner, 24);
    phish(&mut cf, &inner, Some(PHISH_HEADERS));
    finish(cf)
}

fn testdata(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

#[test]
fn fixtures_are_what_the_generator_writes() {
    let bless = std::env::var_os("SPAMTRACE_BLESS").is_some();
    for (name, bytes) in [
        ("17-outlook.msg", phish_msg(Some(PHISH_HEADERS))),
        ("17-outlook-forward.msg", forward_msg()),
    ] {
        let p = testdata(name);
        if bless {
            std::fs::write(&p, &bytes).unwrap();
        }
        let committed = std::fs::read(&p).expect("fixture present (SPAMTRACE_BLESS=1 writes it)");
        assert!(
            committed == bytes,
            "{name} differs from the generator's output: SPAMTRACE_BLESS=1 rewrites it"
        );
    }
}

// --- the tests ----------------------------------------------------------------

fn trace_opts() -> TraceOptions {
    support::report::bodies_opts(NOW)
}

fn input_opts(unwrap: bool) -> InputOptions {
    InputOptions {
        keep_body: true,
        unwrap,
        max_body_bytes: 4 << 20,
        ..InputOptions::default()
    }
}

fn reports(path: &str, unwrap: bool) -> Vec<Report> {
    input::open(path, &input_opts(unwrap))
        .map(|m| spamtrace::trace(&m.expect("readable"), &trace_opts()))
        .collect()
}

fn codes(r: &Report) -> Vec<String> {
    r.findings.iter().map(|f| format!("{:?}", f.code)).collect()
}

/// The phish's trace, wherever it was read from.
fn assert_phish(r: &Report) {
    assert_eq!(r.hops.len(), 5, "the five Received fields");
    assert_eq!(relay(r).as_deref(), Some("185.142.53.45"));
    assert_eq!(
        r.message.subject.as_deref(),
        Some("Your account has been limited – action required")
    );
    assert_eq!(
        r.message.from_address.as_deref(),
        Some("service@account-verify.example")
    );
    let u = urls(r);
    assert!(
        u.contains(&"https://account-verify.example/restore?id=88213"),
        "the text body's URL: {u:?}"
    );
    assert!(
        u.contains(&"https://paypal.account-verify.example/signin"),
        "the HTML body's Safe Links URL, unwrapped: {u:?}"
    );
    assert!(
        u.contains(&"https://cdn.account-verify.example/logo.png"),
        "{u:?}"
    );
    let body = r.body.as_ref().unwrap();
    let safe = body
        .urls
        .iter()
        .find(|u| u.url == "https://paypal.account-verify.example/signin")
        .unwrap();
    assert_eq!(
        safe.wrapper.as_ref().map(|w| w.service.as_str()),
        Some("safelinks")
    );
    assert_eq!(body.attachments.len(), 1, "{:?}", body.attachments);
    let a = &body.attachments[0];
    assert_eq!(a.name.as_deref(), Some("Statement.html"));
    assert_eq!(a.declared, "text/html");
    assert!(a.html_form, "the attachment's form is seen");
    assert_eq!(a.size, STATEMENT_HTML.len());
    assert!(body.parse_failure.is_none());
    let c = codes(r);
    assert!(c.iter().any(|c| c == "UrlTextMismatch"), "{c:?}");
}

#[test]
fn a_received_msg_is_traced_from_its_transport_headers() {
    let p = testdata("17-outlook.msg");
    let rs = reports(&p.to_string_lossy(), true);
    assert_eq!(rs.len(), 1, "no inner message");
    let r = &rs[0];
    assert_eq!(r.source.format, Some(SourceFormat::OutlookMsg));
    let json = serde_json::to_value(&r.source).unwrap();
    assert_eq!(json["format"], "outlook_msg");
    assert_phish(r);
    // Microsoft's own fields are kept as written.
    assert!(r
        .hops
        .iter()
        .any(|h| h.by.as_deref().is_some_and(
            |b| b.eq_ignore_ascii_case("BN2PEPF000044A9.mail.protection.outlook.com")
        )));
}

#[test]
fn the_table_says_it_was_an_outlook_msg() {
    let p = testdata("17-outlook.msg");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline", &p.to_string_lossy()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("Read from      an Outlook .msg"), "{out}");
    assert!(out.contains("185.142.53.45"), "{out}");
    // The same on stdin, recognised by its first bytes.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_spamtrace"))
        .args(["trace", "--offline", "--json", "-"])
        .stdin(std::fs::File::open(&p).unwrap())
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(r["source"]["path"], "-");
    assert_eq!(r["source"]["format"], "outlook_msg");
    assert_eq!(r["first_untrusted_relay"]["ip"], "185.142.53.45");
}

#[test]
fn headers_only_reads_the_transport_headers_exact() {
    let p = testdata("17-outlook.msg");
    let opts = InputOptions::default();
    let m: Vec<_> = input::open(&p.to_string_lossy(), &opts).collect();
    assert_eq!(m.len(), 1);
    let m = m[0].as_ref().unwrap();
    assert!(m.body.is_none());
    let expected = PHISH_HEADERS.strip_suffix("\r\n").unwrap();
    assert_eq!(String::from_utf8_lossy(&m.header), expected);
}

#[test]
fn an_attached_outlook_item_is_unwrapped_like_a_forward() {
    let p = testdata("17-outlook-forward.msg");
    let path = p.to_string_lossy().into_owned();
    let rs = reports(&path, true);
    assert_eq!(rs.len(), 2, "the wrapper and the phish inside");
    assert_eq!(rs[0].hops.len(), 2);
    assert!(rs[0].source.reported_by.is_none());
    let inner = &rs[1];
    let rb = inner.source.reported_by.as_deref().expect("reported_by");
    assert_eq!(rb.kind, WrapperKind::Forward);
    assert!(rb
        .from
        .as_deref()
        .unwrap()
        .contains("alice@example-corp.com"));
    assert!(rb.received.as_deref().unwrap().contains("SN6PR11MB3360"));
    // The wrapper's text and HTML bodies are parts 1 and 2.
    assert_eq!(inner.source.part.as_deref(), Some("3"));
    assert_eq!(inner.source.path, path);
    assert_phish(inner);
    // Without --unwrap, the wrapper alone.
    assert_eq!(reports(&path, false).len(), 1);
}

#[test]
fn a_draft_msg_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("draft.msg");
    std::fs::write(&p, phish_msg(None)).unwrap();
    let path = p.to_string_lossy().into_owned();
    let items: Vec<_> = input::open(&path, &input_opts(true)).collect();
    assert_eq!(items.len(), 1);
    let e = items[0].as_ref().unwrap_err().to_string();
    assert!(e.starts_with(&format!("{path}: ")), "{e}");
    assert!(e.contains("without transport headers"), "{e}");
    // An empty transport-headers stream is none either.
    std::fs::write(&p, phish_msg(Some("\r\n"))).unwrap();
    let e = input::open(&path, &input_opts(true))
        .next()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(e.contains("without transport headers"), "{e}");
}

#[test]
fn truncated_and_corrupt_msg_files_are_errors_not_panics() {
    let whole = std::fs::read(testdata("17-outlook-forward.msg")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.msg");
    let path = p.to_string_lossy().into_owned();
    let mut errors = 0;
    // Cut at many lengths and with sectors overwritten: never a panic,
    // either an error naming the file or a message (a cut past the
    // streams that matter still reads).
    let mut cases: Vec<Vec<u8>> = (1..=whole.len() / 512)
        .map(|n| whole[..n * 512 - 100].to_vec())
        .collect();
    for at in (512..whole.len()).step_by(512) {
        let mut b = whole.clone();
        b[at..at + 64].fill(0xff);
        cases.push(b);
    }
    for bytes in cases {
        std::fs::write(&p, &bytes).unwrap();
        for item in input::open(&path, &input_opts(true)) {
            match item {
                Err(e) => {
                    errors += 1;
                    assert!(e.to_string().starts_with(&format!("{path}: ")), "{e}");
                }
                Ok(m) => {
                    let _ = spamtrace::trace(&m, &trace_opts());
                }
            }
        }
    }
    assert!(errors > 0);
    // The header sector alone: a clear error.
    std::fs::write(&p, &whole[..600]).unwrap();
    let e = input::open(&path, &input_opts(true))
        .next()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(e.contains("corrupt Outlook .msg"), "{e}");
}
