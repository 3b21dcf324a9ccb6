//! Issue 17 item 2: Subject, From and attachment file names decoded in the
//! table, the raw text kept beside them in JSON (`subject_raw`, `from_raw`,
//! `name_raw`) only when it differs, control characters exact in JSON and
//! never raw on the terminal.

mod support;
use support::cli::spamtrace;

const MESSAGE: &[u8] = b"Received: from mail.example.net (mail.example.net [203.0.113.9])\r\n\tby mx.example.org with ESMTP id 1; Mon, 1 Jan 2024 00:00:05 +0000\r\nFrom: =?utf-8?Q?Caf=C3=A9_Billing?=\r\n <billing@example.net>\r\nTo: a@example.org\r\nSubject: =?utf-8?B?UsOpc3Vtw6k=?= \x1b[31mred\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''Factur%C3%A9;\r\n filename*1=\".pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1\r\nContent-Type: application/pdf; name=\"plain.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";

#[test]
fn raw_subject_from_and_file_names_beside_the_decoded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.eml");
    std::fs::write(&p, MESSAGE).unwrap();
    let path = p.to_str().unwrap();
    let o = spamtrace(&["trace", "--offline", "--json", path]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = &r["message"];
    assert_eq!(m["subject"], "Résumé \u{1b}[31mred");
    // Exact, the ESC included: JSON escapes it (\u001b), never raw.
    assert_eq!(m["subject_raw"], "=?utf-8?B?UsOpc3Vtw6k=?= \u{1b}[31mred");
    assert!(!o.stdout.contains(&0x1b));
    assert_eq!(m["from"], "Café Billing <billing@example.net>");
    assert_eq!(
        m["from_raw"],
        "=?utf-8?Q?Caf=C3=A9_Billing?= <billing@example.net>"
    );
    // Nothing raw for a plain field.
    assert!(m.get("to").is_some() && m.get("to_raw").is_none());
    let atts = r["body"]["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 2, "{atts:?}");
    assert_eq!(atts[0]["name"], "Facturé.pdf");
    assert_eq!(atts[0]["name_raw"], "utf-8''Factur%C3%A9.pdf");
    assert_eq!(atts[1]["name"], "plain.pdf");
    assert!(atts[1].get("name_raw").is_none(), "{:?}", atts[1]);

    // The table shows the decoded Subject, its control character made safe.
    let o = spamtrace(&["trace", "--offline", path]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.stdout.contains(&0x1b), "{out}");
    assert!(out.contains("Résumé"), "{out}");
    assert!(!out.contains("=?utf-8?B?"), "{out}");
}
