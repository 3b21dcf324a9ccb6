//! Who owns each hop, offline, from MaxMind-format databases: the test
//! writes two small databases itself (the MaxMind DB format 2.0: a binary
//! search tree of 24-bit records, the data section, the metadata map after
//! `\xAB\xCD\xEFMaxMind.com`) and reads them through `--asn-db`/`--geoip`
//! and the library's `MmdbEnricher`.

use spamtrace::chain::TraceOptions;
use spamtrace::enrich::mmdb::{Mmdb, MmdbEnricher};
use spamtrace::enrich::{Enricher, Offline};
use spamtrace::input::reader::MessageReader;
use spamtrace::input::InputOptions;
use std::net::Ipv4Addr;
use std::process::Command;

/// A data-section value.
enum V<'a> {
    Str(&'a str),
    U32(u32),
    U16(u16),
    U64(u64),
    Map(Vec<(&'a str, V<'a>)>),
    Arr(Vec<V<'a>>),
}

/// The control byte (type, size), the extended-type byte for types past
/// 7, then the size's extra byte for sizes 29..=284.
fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 285, "small values only");
    let (low, extra) = if size < 29 {
        (size as u8, None)
    } else {
        (29, Some((size - 29) as u8))
    };
    if kind <= 7 {
        out.push((kind << 5) | low);
    } else {
        out.push(low);
        out.push(kind - 7);
    }
    out.extend(extra);
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(out, kind, 8 - skip);
    out.extend_from_slice(&bytes[skip..]);
}

fn encode(out: &mut Vec<u8>, v: &V) {
    match v {
        V::Str(s) => {
            control(out, 2, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        V::U16(n) => uint(out, 5, u64::from(*n)),
        V::U32(n) => uint(out, 6, u64::from(*n)),
        V::U64(n) => uint(out, 9, *n),
        V::Map(pairs) => {
            control(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(out, &V::Str(k));
                encode(out, v);
            }
        }
        V::Arr(items) => {
            control(out, 11, items.len());
            for i in items {
                encode(out, i);
            }
        }
    }
}

/// An IPv4 database holding `entries` (network, prefix length, record).
fn database(kind: &str, entries: &[(Ipv4Addr, u8, V)]) -> Vec<u8> {
    #[derive(Clone, Copy)]
    enum Rec {
        Node(usize),
        Empty,
        Data(usize),
    }
    let mut data = Vec::new();
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
    for (net, len, value) in entries {
        let offset = data.len();
        encode(&mut data, value);
        let bits = u32::from(*net);
        let mut node = 0;
        for i in 0..*len {
            let bit = ((bits >> (31 - i)) & 1) as usize;
            if i + 1 == *len {
                nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Rec::Node(n) => n,
                    _ => {
                        nodes.push([Rec::Empty, Rec::Empty]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for n in &nodes {
        for r in n {
            let v = match *r {
                Rec::Node(i) => i,
                Rec::Empty => count,
                Rec::Data(off) => count + 16 + off,
            } as u32;
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(&[0u8; 16]);
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
    encode(
        &mut out,
        &V::Map(vec![
            ("binary_format_major_version", V::U16(2)),
            ("binary_format_minor_version", V::U16(0)),
            ("build_epoch", V::U64(1_767_225_600)),
            ("database_type", V::Str(kind)),
            (
                "description",
                V::Map(vec![("en", V::Str("spamtrace test"))]),
            ),
            ("ip_version", V::U16(4)),
            ("languages", V::Arr(vec![V::Str("en")])),
            ("node_count", V::U32(count as u32)),
            ("record_size", V::U16(24)),
        ]),
    );
    out
}

fn databases(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let asn = database(
        "GeoLite2-ASN",
        &[
            (
                Ipv4Addr::new(5, 1, 1, 0),
                24,
                V::Map(vec![
                    ("autonomous_system_number", V::U32(64500)),
                    ("autonomous_system_organization", V::Str("Example Net")),
                ]),
            ),
            (
                Ipv4Addr::new(81, 2, 69, 0),
                24,
                V::Map(vec![
                    ("autonomous_system_number", V::U32(64501)),
                    (
                        "autonomous_system_organization",
                        V::Str("Home\u{1b}[31m ISP"),
                    ),
                ]),
            ),
        ],
    );
    let geo = database(
        "GeoLite2-Country",
        &[(
            Ipv4Addr::new(5, 1, 0, 0),
            16,
            V::Map(vec![("country", V::Map(vec![("iso_code", V::Str("NL"))]))]),
        )],
    );
    let (a, g) = (dir.join("asn.mmdb"), dir.join("country.mmdb"));
    std::fs::write(&a, asn).unwrap();
    std::fs::write(&g, geo).unwrap();
    (a, g)
}

const MESSAGE: &str = "Received: from relay.sender-mail.com (relay.sender-mail.com [5.1.1.20])\r\n\
    \tby mx1.recipient-site.org (Postfix) with ESMTP id 4ABC; Tue, 24 Nov 2026 09:14:07 +0000\r\n\
    Received: from pc ([81.2.69.142])\r\n\
    \tby relay.sender-mail.com (Postfix) with ESMTP id 1; Tue, 24 Nov 2026 09:14:05 +0000\r\n\
    Received: from pc2 ([203.0.113.99])\r\n\
    \tby pc (x) with SMTP id 2; Tue, 24 Nov 2026 09:14:04 +0000\r\n\
    From: a@sender-mail.com\r\nTo: b@recipient-site.org\r\nSubject: x\r\n\
    Date: Tue, 24 Nov 2026 09:14:01 +0000\r\nMessage-ID: <1@sender-mail.com>\r\n\r\nHi.\r\n";

#[test]
fn mmdb_owner_per_hop_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (asn, geo) = databases(dir.path());
    let mut opts = TraceOptions::default();
    opts.trust.add("mx1.recipient-site.org").unwrap();
    let reader = MessageReader::new(MESSAGE.as_bytes(), "test", InputOptions::default());
    let mut batch: Vec<_> = reader.map(|m| spamtrace::walk(m.unwrap(), &opts)).collect();
    let mut e = MmdbEnricher::new(
        Box::new(Offline),
        Some(Mmdb::open(&asn).unwrap()),
        Some(Mmdb::open(&geo).unwrap()),
    );
    assert!(!e.is_noop());
    e.enrich(&mut batch);
    let r = spamtrace::build(batch.remove(0), &opts);
    assert!(r.dns.is_none(), "offline: no DNS section");
    let by_hop = |h: usize| r.asn.iter().find(|a| a.hop == h);
    let relay = by_hop(0).expect("relay hop");
    assert_eq!(relay.label().as_deref(), Some("AS64500 Example Net, NL"));
    assert_eq!(relay.prefix.as_deref(), Some("5.1.1.0/24"));
    // No country in the country database for 81.2.69.142; the name's
    // control character never reaches the report raw.
    let home = by_hop(1).expect("second hop");
    assert_eq!(home.asn, Some(64501));
    assert_eq!(home.country, None);
    assert!(!home.as_name.as_deref().unwrap().contains('\u{1b}'));
    // 203.0.113.99 is documentation space: not public, not looked up.
    assert!(by_hop(2).is_none());
}

#[test]
fn mmdb_through_the_cli_and_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let (asn, geo) = databases(dir.path());
    let msg = dir.path().join("m.eml");
    std::fs::write(&msg, MESSAGE).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_spamtrace"))
            .args(args)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let (asn, geo, m) = (
        asn.to_str().unwrap(),
        geo.to_str().unwrap(),
        msg.to_str().unwrap(),
    );
    let base = ["trace", "--offline", "--trusted", "mx1.recipient-site.org"];
    let out = run(&[&base[..], &["--json", "--asn-db", asn, "--geoip", geo, m]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["asn"][0]["asn"], 64500);
    assert_eq!(v["asn"][0]["country"], "NL");
    assert_eq!(v["asn"][0]["source"], "mmdb");
    let out = run(&[&base[..], &["--asn-db", asn, "--geoip", geo, m]].concat());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("AS64500 Example Net, NL"), "{table}");
    // A file that is not a database: an error naming it, no panic.
    let out = run(&[&base[..], &["--asn-db", m, m]].concat());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("m.eml") && err.contains("MaxMind"), "{err}");
}
