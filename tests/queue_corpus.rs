//! Issue 13's corpus acceptance: a digest over the nazario/ and
//! spamassassin_public spam folders of ../shared/corpus (read in place),
//! with fixture DNS on loopback. The zone gives every first untrusted
//! relay a network contact (Abusix-style TXT) and, for every fourth, also
//! one at the message's own From domain: a forged sender's domain, which
//! must never receive anything. Prints the number of contacts and
//! complaints.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use support::dns_server;

const BIN: &str = env!("CARGO_BIN_EXE_spamtrace");

fn reversed(ip: &str) -> Option<String> {
    let v: Vec<&str> = ip.split('.').collect();
    (v.len() == 4).then(|| format!("{}.{}.{}.{}", v[3], v[2], v[1], v[0]))
}

fn domain(addr: &str) -> Option<String> {
    let d = addr
        .trim()
        .trim_matches(['<', '>'])
        .rsplit_once('@')?
        .1
        .to_ascii_lowercase();
    (!d.is_empty()
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && d.contains('.'))
    .then_some(d)
}

#[test]
fn a_digest_over_the_spam_folders_never_reaches_a_forged_sender() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let folders = [
        root.join("nazario"),
        root.join("spamassassin_public/20030228_spam"),
        root.join("spamassassin_public/20050311_spam_2"),
    ];
    if !folders.iter().all(|f| f.is_dir()) {
        eprintln!("no corpus spam folders under {}: skipped", root.display());
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let paths: Vec<String> = folders.iter().map(|f| f.display().to_string()).collect();
    // Which relays and senders: an offline trace first.
    let mut args = vec![
        "trace".to_string(),
        "-r".into(),
        "--offline".into(),
        "--format".into(),
        "ndjson".into(),
    ];
    args.extend(paths.iter().cloned());
    let out = Command::new(BIN)
        .args(&args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let mut zone = String::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(ip) = v["first_untrusted_relay"]["ip"].as_str() else {
            continue;
        };
        let Some(rev) = reversed(ip) else { continue };
        if seen.contains_key(&rev) {
            continue;
        }
        let n = seen.len();
        seen.insert(rev.clone(), n);
        let net = format!("abuse@net-{}.test", ip.split('.').next().unwrap());
        let from = v["message"]["from_address"].as_str().and_then(domain);
        let txt = match from {
            Some(d) if n.is_multiple_of(4) => format!("{net},abuse@{d}"),
            _ => net,
        };
        zone.push_str(&format!(
            "{rev}.abuse-contacts.abusix.zone. TXT \"{txt}\"\n"
        ));
    }
    assert!(seen.len() > 100, "relays: {}", seen.len());
    let (dns, _server) = dns_server::start(&zone);
    let outdir = home.path().join("out");
    let mut args = vec![
        "complain".to_string(),
        "--digest".into(),
        "-r".into(),
        "--dns-server".into(),
        dns.to_string(),
        "--reporter".into(),
        "trap@example.org".into(),
        "--out".into(),
        outdir.display().to_string(),
        "--now".into(),
        "1764000000".into(),
    ];
    args.extend(paths.iter().cloned());
    let t0 = std::time::Instant::now();
    let out = Command::new(BIN)
        .args(&args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let summary = err
        .lines()
        .find(|l| l.contains(" complaints to "))
        .unwrap_or_else(|| panic!("no summary: {err}"))
        .to_string();
    // Every complaint: its recipients against the attached messages' From,
    // Reply-To and Message-ID domains.
    let mut contacts = BTreeSet::new();
    let mut files = 0;
    let mut covered = 0;
    for e in std::fs::read_dir(&outdir).unwrap() {
        let text = String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).to_string();
        files += 1;
        let (head, rest) = text.split_once("\n\n").unwrap();
        let rcpt: Vec<String> = head
            .lines()
            .filter(|l| l.starts_with("To: ") || l.starts_with("Cc: "))
            .flat_map(|l| l[4..].split(", ").map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert!(!rcpt.is_empty(), "{head}");
        let mut forged = BTreeSet::new();
        for part in rest.split("Content-Type: text/rfc822-headers").skip(1) {
            covered += 1;
            for l in part
                .lines()
                .take_while(|l| !l.starts_with("--spamtrace-digest-"))
            {
                let low = l.to_ascii_lowercase();
                for k in ["from:", "reply-to:", "message-id:"] {
                    if let Some(v) = low.strip_prefix(k) {
                        for w in v.split([' ', ',', '<', '>', '"']) {
                            if let Some(d) = domain(w) {
                                forged.insert(d);
                            }
                        }
                    }
                }
            }
        }
        for r in &rcpt {
            let d = domain(r).unwrap();
            for f in &forged {
                assert!(
                    !(f == &d || f.ends_with(&format!(".{d}")) || d.ends_with(&format!(".{f}"))),
                    "{r} is at a forged sender's domain {f}"
                );
            }
            contacts.insert(r.to_ascii_lowercase());
        }
    }
    eprintln!(
        "corpus digest: {} relays in the zone; {summary}; {files} files, {} contacts, {covered} messages covered ({:.1}s)",
        seen.len(),
        contacts.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(files > 10, "{err}");
    assert!(
        summary.contains("recipients left out at the message's own sender domains"),
        "{summary}"
    );
}
