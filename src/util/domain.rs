//! Host names: normalisation and the registrable domain (Public Suffix List).

use std::borrow::Cow;
use std::net::IpAddr;

/// Lowercase, trailing dot stripped; `None` for an empty name, an address
/// literal (`[1.2.3.4]`) or `unknown`.
pub fn normalize(name: &str) -> Option<String> {
    normalized(name).map(Cow::into_owned)
}

/// [`normalize`], borrowing when the name is already in normal form (the
/// usual case: the checks compare names per hop, so this is a hot path).
pub fn normalized(name: &str) -> Option<Cow<'_, str>> {
    // Dots and blanks at the end together, so that normalising twice gives
    // the same name (`a .` is `a`, not `a `).
    let n = trim(name).trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if n.is_empty() || n.as_bytes()[0] == b'[' || n.eq_ignore_ascii_case("unknown") {
        return None;
    }
    let b = n.as_bytes();
    // An address starts with a hex digit or a colon: only then is it worth
    // asking whether the name is one (most host names start otherwise).
    if (b[0].is_ascii_hexdigit() || b[0] == b':') && ip_shaped(b) && n.parse::<IpAddr>().is_ok() {
        return None;
    }
    // Branch-free over the bytes so the loop vectorises.
    let upper = b
        .iter()
        .fold(false, |u, &c| u | (c.wrapping_sub(b'A') < 26));
    Some(if upper {
        Cow::Owned(n.to_ascii_lowercase())
    } else {
        Cow::Borrowed(n)
    })
}

/// `str::trim`, without its Unicode scan when both ends are plain ASCII
/// (nearly always): the same result either way.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let plain = |c: Option<&u8>| c.is_some_and(|c| (b'!'..0x80).contains(c));
    if plain(b.first()) && plain(b.last()) {
        s
    } else {
        s.trim()
    }
}

/// Only hex digits, dots and colons: what an address is made of.
fn ip_shaped(b: &[u8]) -> bool {
    b.iter().fold(true, |ok, &c| {
        ok & (c.is_ascii_hexdigit() | (c == b'.') | (c == b':'))
    })
}

/// The registrable domain ("eTLD+1") of a host name, by the Public Suffix
/// List; `None` for names with no registrable part (a bare TLD, `localhost`).
pub fn registrable(name: &str) -> Option<String> {
    registrable_str(name).map(Cow::into_owned)
}

/// [`registrable`], borrowing from `name` when it is already in normal form
/// (most names are; the copy was one allocation a call).
pub fn registrable_str(name: &str) -> Option<Cow<'_, str>> {
    match normalized(name)? {
        Cow::Borrowed(n) => registrable_part(n).map(Cow::Borrowed),
        Cow::Owned(n) => registrable_part(&n).map(|r| Cow::Owned(r.to_string())),
    }
}

/// The registrable domain of a name already [`normalized`], as a slice of it.
pub fn registrable_part(n: &str) -> Option<&str> {
    // psl treats unknown TLDs as public suffixes of one label ("*" rule),
    // so `mail.local` gives `mail.local`; keep that: it is what we compare.
    // The checks ask about the same few names of a message again and
    // again: remember the answer as the byte range of the name it is.
    let range = REGISTRABLE.with(|m| {
        m.borrow_mut().get_or(n, |n| {
            psl::domain_str(n).map(|r| {
                let start = r.as_ptr() as usize - n.as_ptr() as usize;
                (start, start + r.len())
            })
        })
    });
    range.and_then(|(a, b)| n.get(a..b))
}

/// Is the name's public suffix one the Public Suffix List knows (not the
/// `*` rule's guess for `.local`, `.internal`, `.lan`...)? Remembered, as
/// [`registrable_part`] is.
pub fn has_known_suffix(n: &str) -> bool {
    KNOWN_SUFFIX.with(|m| {
        m.borrow_mut().get_or(n, |n| {
            psl::suffix(n.as_bytes()).is_some_and(|s| s.is_known())
        })
    })
}

/// Slots of each memo: a few messages' worth of distinct host names.
const MEMO_SLOTS: usize = 512;

/// A direct-mapped memo of a pure function of a name: a fixed number of
/// slots, each holding the last name that hashed to it, so memory stays
/// bounded whatever the input.
struct Memo<V: Copy> {
    slots: Vec<(String, Option<V>)>,
}

impl<V: Copy> Memo<V> {
    const fn new() -> Self {
        Memo { slots: Vec::new() }
    }

    fn get_or(&mut self, key: &str, f: impl FnOnce(&str) -> V) -> V {
        if self.slots.is_empty() {
            self.slots.resize_with(MEMO_SLOTS, || (String::new(), None));
        }
        let slot = &mut self.slots[memo_hash(key.as_bytes()) % MEMO_SLOTS];
        if let Some(v) = slot.1.filter(|_| slot.0 == key) {
            return v;
        }
        let v = f(key);
        slot.0.clear();
        // A name longer than any host name is not worth keeping.
        if key.len() <= 255 {
            slot.0.push_str(key);
            slot.1 = Some(v);
        } else {
            slot.1 = None;
        }
        v
    }
}

/// The slot hash of a memo key: FxHash's mix, eight bytes at a step (a
/// byte at a step, FNV-1a showed in profiles); no allocation and no
/// per-process seed needed, since a collision only costs a recomputation.
fn memo_hash(key: &[u8]) -> usize {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut h = key.len() as u64;
    let mut words = key.chunks_exact(8);
    for w in &mut words {
        h = mix(h, u64::from_le_bytes(w.try_into().unwrap_or_default()));
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = mix(h, u64::from_le_bytes(tail));
    (h >> 32) as usize
}

thread_local! {
    static REGISTRABLE: std::cell::RefCell<Memo<Option<(usize, usize)>>> =
        const { std::cell::RefCell::new(Memo::new()) };
    static KNOWN_SUFFIX: std::cell::RefCell<Memo<bool>> =
        const { std::cell::RefCell::new(Memo::new()) };
}

/// A dotted name with at least one letter in its last label: what a fully
/// qualified HELO name looks like.
pub fn is_fqdn(name: &str) -> bool {
    // Over the bytes: the checks ask this of every hop's names, and the
    // char searches of `rsplit_once` and `split` showed in profiles.
    let n = name.trim_end_matches('.').as_bytes();
    let Some(dot) = n.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let tld = &n[dot + 1..];
    // No empty label: no leading dot, no two dots together.
    !tld.is_empty()
        && tld.iter().any(u8::is_ascii_alphabetic)
        && n[0] != b'.'
        && !n.windows(2).any(|w| w == b"..")
}

/// Do two names denote the same party: the same name or the same
/// registrable domain?
pub fn same_party(a: &str, b: &str) -> bool {
    match (normalized(a), normalized(b)) {
        (Some(a), Some(b)) => {
            a == b
                || matches!((registrable_part(&a), registrable_part(&b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

/// Is `name` equal to `domain` or below it?
pub fn is_within(name: &str, domain: &str) -> bool {
    let (Some(n), Some(d)) = (normalized(name), normalized(domain)) else {
        return false;
    };
    n == d || (n.len() > d.len() && n.ends_with(&*d) && n.as_bytes()[n.len() - d.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable("cs2.CS.Berkeley.EDU.").as_deref(),
            Some("berkeley.edu")
        );
        assert_eq!(
            registrable("a.b.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(registrable("[1.2.3.4]"), None);
        assert_eq!(
            registrable_str("Mail.Example.ORG").as_deref(),
            Some("example.org")
        );
        assert_eq!(
            registrable_str(" mail.example.org. ").as_deref(),
            Some("example.org")
        );
        assert_eq!(
            normalize("\u{a0}host.example\u{a0}"),
            Some("host.example".into())
        );
        assert_eq!(normalize("unknown."), None);
        assert_eq!(normalize("Mail.Example .\t"), Some("mail.example".into()));
        for name in ["a .", "x. . ", " Host.Example. ", "unknown .", "1.2.3.4 ."] {
            let once = normalize(name);
            assert_eq!(once.as_deref().and_then(normalize), once, "{name:?}");
        }
        assert!(same_party("mail.everfaster.com", "everfaster.com."));
        assert!(!same_party("server.big-hello.com", "gate.hypermoon.com"));
        assert!(is_fqdn("mail.example.org"));
        assert!(!is_fqdn("KRYPTIK"));
        assert!(!is_fqdn("192.168.1.2"));
        // The byte scan says what the label split said.
        let by_labels = |name: &str| {
            let n = name.trim_end_matches('.');
            n.rsplit_once('.').is_some_and(|(_, tld)| {
                !tld.is_empty()
                    && tld.chars().any(|c| c.is_ascii_alphabetic())
                    && n.split('.').all(|l| !l.is_empty())
            })
        };
        for name in [
            "",
            ".",
            "..",
            "a.",
            ".a.com",
            "a..b.com",
            "a.b.com..",
            "x.c0m",
            "x.123",
            "h\u{e9}.example",
            "x.\u{e9}",
            "a.b",
            " a.b",
            "a.b ",
            "a. .b",
        ] {
            assert_eq!(is_fqdn(name), by_labels(name), "{name:?}");
        }
        assert!(is_within("a.Example.org.", "example.org"));
        assert!(is_within("example.org", "EXAMPLE.org"));
        assert!(!is_within("badexample.org", "example.org"));
        assert_eq!(normalize("[1.2.3.4]"), None);
        assert_eq!(normalize("2001:db8::1"), None);
        assert_eq!(normalize("cafe.example"), Some("cafe.example".into()));
        assert_eq!(normalize("beef"), Some("beef".into()));
    }
}
