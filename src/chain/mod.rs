//! The trust boundary, the custody links below it, and the probable origin
//! (DESIGN.md, "What a hop is, and whom to believe").

mod traced;
pub mod trust;

pub use traced::{walk, TraceOptions, Traced};

use crate::model::{Confidence, CustodyLink, Hop, HopKind, LinkStatus, Origin, Relay, TrustStep};
use crate::util::domain;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::LazyLock;
use trust::{classify, IpClass, TrustConfig};

/// The chain stage's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    /// Index of the lowest trusted hop (the one whose sender is the first
    /// untrusted relay); `None` with no Received header at all.
    pub boundary: Option<usize>,
    pub first_untrusted_relay: Option<Relay>,
    pub probable_origin: Option<Origin>,
    pub custody: Vec<CustodyLink>,
    /// The lower hop of the first broken link.
    pub first_break: Option<usize>,
    /// Why each trusted hop's sender was trusted.
    pub trust_steps: Vec<TrustStep>,
    /// Trust was extended by inference (no `--trusted` given): see TRUST_INFERRED.
    pub inferred: bool,
}

/// Registrable domains run by one operator: its relays name themselves in
/// any of them (an M365 hop `by BN0PR04CA0012.outlook.office365.com` receives
/// from `*.prod.outlook.com`). Only widely seen families, kept short.
const OPERATOR_FAMILIES: &[&[&str]] = &[
    &[
        "outlook.com",
        "office365.com",
        "hotmail.com",
        "microsoft.com",
        "msn.com",
        "live.com",
        "exchangelabs.com",
    ],
    &["google.com", "gmail.com", "googlemail.com"],
    &["yahoo.com", "yahoodns.net", "yahoo.net", "yahoogroups.com"],
    &["amazonses.com", "amazonaws.com", "amazon.com"],
    // Pairs seen relaying ham between their own hosts in ../shared/corpus
    // (CHAIN_BREAK narrowed in docs/checks.md): one operator each.
    &["rzone.de", "webmailer.de", "strato.de"],
    &["telus.net", "telusplanet.net"],
    &["t-online.de", "t-online.com"],
    &["comcast.net", "icomcast.net"],
    &["sourceforge.net", "sourceforge.com"],
    &["messagingengine.com", "fastmail.fm", "fastmail.com"],
];

/// Address blocks an operator uses between its own relays, for the hops
/// whose receiver records no address of its own (M365's mailbox hops
/// `by NAME with HTTPS`). Microsoft's internal relays talk over
/// 2603:1000::/24 (ARIN) and 2a01:111::/32 (RIPE), both allocated to Microsoft.
/// Google's and Yahoo's blocks are from their allocation records: Google
/// publishes its mail ranges in `_netblocks.google.com` (SPF), Yahoo's are
/// ARIN allocations to Yahoo! Inc. (66.218.64.0/19 carried its 2002 groups
/// service, 98.136.0.0/14 and 67.195.0.0/16 its mail today).
const OPERATOR_INTERNAL_NETS: &[(&str, &str)] = &[
    ("outlook.com", "2603:1000::/24"),
    ("outlook.com", "2a01:111::/32"),
    ("google.com", "209.85.128.0/17"),
    ("google.com", "74.125.0.0/16"),
    ("google.com", "64.233.160.0/19"),
    ("google.com", "66.102.0.0/20"),
    ("google.com", "72.14.192.0/18"),
    ("google.com", "2607:f8b0::/32"),
    ("google.com", "2a00:1450::/32"),
    ("yahoo.com", "66.218.64.0/19"),
    ("yahoo.com", "98.136.0.0/14"),
    ("yahoo.com", "67.195.0.0/16"),
];

/// A lower header stamped later than the one above it by more than this
/// breaks custody: it claims to record a handover that happened before the
/// upper one. Beyond any zone mistake: offsets span UTC-12 to UTC+14, so a
/// wrong or mislabelled zone puts an honest stamp up to 26 hours off, plus
/// TIME_REVERSED's 15 minutes for clocks. On the corpus, ham has a lower
/// header dated after its upper one in 7.3% of messages at 15 minutes and
/// 0.15% beyond a day; spam 11% and 1.2%, phishing 5.7% and 1.0%.
/// Smaller reversals stay TIME_REVERSED's business.
pub const CUSTODY_CLOCK_TOLERANCE: i64 = 26 * 3600 + 15 * 60;

/// The same party: the same registrable domain, or domains of one operator.
pub fn same_operator(a: &str, b: &str) -> bool {
    let (Some(na), Some(nb)) = (domain::normalized(a), domain::normalized(b)) else {
        return false;
    };
    if na == nb {
        return true;
    }
    let (Some(da), Some(db)) = (domain::registrable_part(&na), domain::registrable_part(&nb))
    else {
        return false;
    };
    da == db
        || OPERATOR_FAMILIES
            .iter()
            .any(|f| f.contains(&da) && f.contains(&db))
}

/// Is `ip` in an internal block of the operator that runs `name`?
fn in_operator_network(name: &str, ip: IpAddr) -> bool {
    static NETS: LazyLock<Vec<(&str, ipnet::IpNet)>> = LazyLock::new(|| {
        OPERATOR_INTERNAL_NETS
            .iter()
            .filter_map(|(dom, net)| Some((*dom, net.parse().ok()?)))
            .collect()
    });
    // The address first: it rules out nearly every hop without a PSL lookup.
    NETS.iter()
        .any(|(dom, net)| net.contains(&ip) && same_operator(name, dom))
}

/// The address the receiving host recorded for itself, when the header
/// gives one right after the `by` name: `by NAME (10.167.245.7)` (Exchange)
/// or `by NAME ([10.0.0.1])`. The parser does not keep it; custody and
/// trust inference compare it with the peer's address.
pub fn receiver_address(hop: &Hop) -> Option<IpAddr> {
    static BY: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b" by "));
    let raw = hop.raw.as_str();
    let at = BY.find(raw.as_bytes())? + 4;
    let rest = raw[at..].trim_start();
    // Skip the name, then expect `(ADDR)` or `([ADDR])`.
    let after_name = rest.split_once(char::is_whitespace)?.1.trim_start();
    let inner = after_name.strip_prefix('(')?;
    let inner = &inner[..inner.find(')')?];
    let inner = inner.trim().trim_start_matches('[').trim_end_matches(']');
    let inner = inner.strip_prefix("IPv6:").unwrap_or(inner);
    inner.parse().ok()
}

/// Do two addresses lie in one operator's network: the same /16 (IPv4) or
/// /32 (IPv6)? Coarse on purpose: only used together with a name match.
fn same_network(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..2] == b.octets()[..2],
        (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..2] == b.segments()[..2],
        _ => false,
    }
}

/// Why the sender of trusted hop `i` is trusted too, or `None`.
fn trusts_sender(hops: &[Hop], i: usize, trust: &TrustConfig, infer: bool) -> Option<String> {
    let hop = hops.get(i)?;
    let next_by = hops.get(i + 1).and_then(|h| h.by.as_deref());
    if hop.kind == HopKind::Local {
        return Some("local handover on a trusted host".into());
    }
    if hop.kind == HopKind::NoIp && hop.from.helo.is_none() && hop.from.rdns.is_none() {
        // `(qmail 123 invoked from network)`, `(from userid 0)`: no peer at all.
        return Some("no network peer recorded: a handover on a trusted host".into());
    }
    if let Some(ip) = hop.from.ip {
        match classify(ip) {
            IpClass::Loopback => return Some(format!("{ip} is loopback")),
            IpClass::Private => {
                return Some(format!("{ip} is a private address seen by a trusted host"))
            }
            _ => {}
        }
        if trust.trusts_ip(ip) {
            return Some(format!("{ip} is in a trusted network"));
        }
    }
    if let Some(rdns) = hop.from.rdns.as_deref() {
        if trust.trusts_name(rdns) {
            return Some(format!(
                "{rdns} (rDNS recorded by a trusted host) is a trusted host"
            ));
        }
    }
    // A trusted name claimed in HELO counts when the trusted receiver saw
    // the connection come from its own network (the operator's internal
    // blocks, or the receiver's own /16): a spammer can claim the name, not
    // the address. M365 records no rDNS, so this is how `--trusted
    // outlook.com` reaches through Microsoft's internal hops.
    if let (Some(helo), Some(ip), Some(by)) =
        (hop.from.helo.as_deref(), hop.from.ip, hop.by.as_deref())
    {
        let own_network = in_operator_network(by, ip)
            || receiver_address(hop).is_some_and(|own| same_network(ip, own));
        if trust.trusts_name(helo) && own_network {
            return Some(format!(
                "{helo} is a trusted host and {ip} is in the receiver's own network"
            ));
        }
    }
    if let (Some(helo), Some(by)) = (hop.from.helo.as_deref(), next_by) {
        if trust.trusts_name(helo) && trust.trusts_name(by) && domain::same_party(helo, by) {
            return Some(format!(
                "{helo} is a trusted host and wrote the next header"
            ));
        }
    }
    // SpamAssassin's MSA rule: a client that authenticated to a server we
    // configured as ours submitted as one of our users. Only with trust
    // configured: inferred trust would make any account at the recipient's
    // provider "ours".
    if hop.authenticated && !trust.is_empty() {
        let who = hop
            .from
            .ip
            .map(|ip| ip.to_string())
            .or_else(|| hop.from.helo.clone())
            .unwrap_or_else(|| "the client".into());
        return Some(format!(
            "{who} authenticated to a trusted server ({}): the user's own submission",
            hop.with.as_deref().unwrap_or("authenticated")
        ));
    }
    if infer && trust.is_empty() {
        return inferred(hops, i);
    }
    None
}

/// Trust by inference, with no `--trusted` given: the peer is one of the
/// receiver's own relays when the receiver's records place it in its own
/// operator domain. Two kinds of record count:
/// - the rDNS the trusted receiver looked up is in the receiver's domain;
/// - the HELO is in the receiver's domain *and* the peer's address lies in
///   the receiver's own network (the receiver wrote both addresses).
///
/// A HELO alone never counts: anyone can claim any name. And inference never
/// trusts the oldest public relay of the chain: someone injected the
/// message, and when sender and recipient share a provider (Gmail to Gmail)
/// that provider's outbound server is the relay to name.
fn inferred(hops: &[Hop], i: usize) -> Option<String> {
    let hop = &hops[i];
    let ip = hop.from.ip?;
    let by = hop.by.as_deref()?;
    let older_public = hops[i + 1..]
        .iter()
        .any(|h| h.from.ip.is_some_and(|a| classify(a) == IpClass::Public));
    if !older_public {
        return None;
    }
    // fetchmail & co: `by localhost with IMAP` - the peer is the mailbox
    // server the recipient logged into, whatever its name.
    let proto = hop.with.as_deref().unwrap_or("").to_ascii_lowercase();
    if proto.starts_with("imap") || proto.starts_with("pop") {
        return Some(format!(
            "inferred: {ip} is the recipient's mailbox server, fetched with {}",
            hop.with.as_deref().unwrap_or("")
        ));
    }
    // LMTP (RFC 2033) is a delivery protocol inside a site, never spoken
    // across the Internet: its client is the site's own MTA.
    let helo_in_domain = hop
        .from
        .helo
        .as_deref()
        .is_some_and(|h| same_operator(h, by));
    if proto.starts_with("lmtp") && helo_in_domain {
        return Some(format!(
            "inferred: {ip} delivered over {} (a protocol used only inside a site) and named itself in the receiver's domain",
            hop.with.as_deref().unwrap_or("")
        ));
    }
    let by_dom = domain::registrable_str(by)?;
    if let Some(rdns) = hop.from.rdns.as_deref() {
        if same_operator(rdns, by) {
            return Some(format!(
                "inferred: rDNS {rdns} is in the receiver's domain {by_dom}"
            ));
        }
    }
    let helo = hop.from.helo.as_deref()?;
    if !same_operator(helo, by) {
        return None;
    }
    if let Some(own) = receiver_address(hop).filter(|own| same_network(ip, *own)) {
        return Some(format!(
            "inferred: HELO {helo} is in the receiver's domain {by_dom} and {ip} is in the receiver's own network ({own})"
        ));
    }
    if in_operator_network(by, ip) {
        return Some(format!(
            "inferred: HELO {helo} is in the receiver's domain {by_dom} and {ip} is in that operator's internal network"
        ));
    }
    None
}

/// A name that can identify a host: a dotted domain name, or a single
/// label such as `mailhost`; not `mail@localhost`, `userid`, `network`
/// (what some parsers take from `(from userid 0)` or `(qmail invoked from network)`).
fn host_name(n: &str) -> Option<Cow<'_, str>> {
    // Borrowed when already in normal form: most names are compared and
    // dropped, only a few are kept.
    let n = domain::normalized(n)?;
    let ok = n
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    let pseudo = matches!(
        &*n,
        "userid"
            | "network"
            | "localhost"
            | "localhost.localdomain"
            | "unknown"
            | "mail"
            | "no.name.available"
    );
    (ok && !pseudo && !address_like(&n)).then_some(n)
}

/// A greeting that names no host: an address (`[1.2.3.4]`, `1.2.3.4`) or
/// a hex word of eight digits or more (`4F2A11C0`, ratware's random HELO).
fn address_like(helo: &str) -> bool {
    let h = helo.trim().trim_start_matches('[').trim_end_matches(']');
    let h = h.strip_prefix("IPv6:").unwrap_or(h);
    // Only hex digits, dots and colons can make an address: names stop here.
    let address_bytes = h
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    (address_bytes && h.parse::<IpAddr>().is_ok())
        || (h.len() >= 8
            && h.bytes().all(|b| b.is_ascii_hexdigit())
            && h.bytes().any(|b| b.is_ascii_digit()))
}

/// An address only a private network uses: RFC 1918 and kin, and 6to4
/// addresses that embed one (`2002:a05:...` is 6to4 for 10.5.0.0/16: how
/// Google names its internal hosts in `by`).
fn internal_address(ip: IpAddr) -> bool {
    if classify(ip) == IpClass::Private {
        return true;
    }
    match ip {
        IpAddr::V6(v6) if v6.segments()[0] == 0x2002 => {
            let s = v6.segments();
            let v4 = std::net::Ipv4Addr::new(
                (s[1] >> 8) as u8,
                s[1] as u8,
                (s[2] >> 8) as u8,
                s[2] as u8,
            );
            classify(IpAddr::V4(v4)) == IpClass::Private
        }
        _ => false,
    }
}

/// A source no host connects from: unspecified, multicast, broadcast,
/// 0.0.0.0/8, 240.0.0.0/4 (documentation prefixes are not here: they are
/// what examples and fixtures use).
fn impossible_source(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_broadcast() {
                Some("the broadcast address")
            } else if v4.is_multicast() {
                Some("a multicast address")
            } else if o[0] == 0 {
                Some("in 0.0.0.0/8, \"this network\"")
            } else if o[0] >= 240 {
                Some("in 240.0.0.0/4, reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if v6.is_multicast() {
                Some("a multicast address")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else {
                None
            }
        }
    }
}

/// A name only a private network resolves (`.local`, `.internal`, `.lan`,
/// `.localdomain`, `.corp`, `.home`): it cannot be compared with public names.
fn internal_name(n: &str) -> bool {
    let tld = n.rsplit('.').next().unwrap_or(n);
    n.contains('.')
        && matches!(
            tld,
            "local" | "internal" | "lan" | "localdomain" | "corp" | "home" | "intranet" | "private"
        )
}

/// `private` is a private-network name of the organisation whose public
/// domain `public` is in: `evv.kamakiriad.local` and `kamakiriad.com`.
fn private_name_of(private: &str, public: &str) -> bool {
    if !internal_name(private) {
        return false;
    }
    let mut labels = private.rsplit('.');
    labels.next(); // the private TLD
    let (Some(org), Some(reg)) = (labels.next(), domain::registrable_part(public)) else {
        return false;
    };
    reg.split('.').next() == Some(org)
}

/// `a` and `b` are one host under two domains: the labels left of their
/// registrable domains are equal (`listman.redhat.com` and
/// `listman.spamassassin.taint.org`: a renamed or aliased relay, and how the
/// SpamAssassin public corpus rewrote half of its names).
fn same_host_label(a: &str, b: &str) -> bool {
    let host = |n: &str| -> Option<Vec<String>> {
        let reg = domain::registrable_part(n)?;
        let head = n.strip_suffix(reg)?.trim_end_matches('.');
        (!head.is_empty()).then(|| head.split('.').map(str::to_string).collect())
    };
    // One host part is the other's leading labels (`int-mx1.corp` and
    // `int-mx1.corp.spamassassin` under taint.org: a domain renamed into a
    // longer one), or both are equal and more than one generic label
    // (`mail.x.com` and `mail.y.net` are two hosts).
    match (host(a), host(b)) {
        (Some(x), Some(y)) => {
            let n = x.len().min(y.len());
            x[..n] == y[..n] && (x.len() != y.len() || n >= 2) && !domain::same_party(a, b)
        }
        _ => false,
    }
}

/// A note without a peer or a receiver: `(qmail 123 invoked from network)`,
/// Yahoo's `(EGP: ...)`. The host above wrote it; custody reads through it.
fn is_note(hop: &Hop) -> bool {
    hop.kind == HopKind::Local
        && hop.by.is_none()
        && hop.from.ip.is_none()
        && hop.from.helo.is_none()
        && hop.from.rdns.is_none()
}

/// A handover inside one host: the receiver names itself `localhost` and
/// the sender is loopback or no network peer (a content filter, qmail-scanner,
/// a local sendmail). Custody reads through it to the host above.
fn localhost_handover(hop: &Hop) -> bool {
    let by_localhost = hop.by.as_deref().is_some_and(|b| {
        // No lowercase copy: this is asked of every hop.
        let b = b.trim_end_matches('.');
        b.eq_ignore_ascii_case("localhost") || b.eq_ignore_ascii_case("localhost.localdomain")
    });
    let no_peer = match hop.from.ip {
        Some(ip) => classify(ip) == IpClass::Loopback,
        None => true,
    };
    by_localhost && no_peer && hop.kind != HopKind::Unparsed
}

/// A webmail or HTTP submission (`with HTTP`, `with HTTPS`, `via HTTP`):
/// the sender is a browser, and nothing below it wrote a Received header.
/// Microsoft 365's mailbox hops (`from X.prod.outlook.com (ip) by Y with
/// HTTPS`) are relays of its own and are not this.
pub fn is_webmail_hop(hop: &Hop) -> bool {
    let proto = |s: Option<&str>| {
        let p = s
            .unwrap_or("")
            .split(' ')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        matches!(p.as_str(), "http" | "https" | "webmail")
    };
    // The protocol first: it rules out nearly every hop without a PSL lookup.
    (proto(hop.with.as_deref()) || proto(hop.via.as_deref()))
        && !hop
            .from
            .helo
            .as_deref()
            .is_some_and(|h| same_operator(h, "outlook.com"))
}

/// The names a hop's sender went by: rDNS, HELO (normalised, deduplicated).
fn sender_names(hop: &Hop) -> Vec<String> {
    let mut names = Vec::new();
    for n in [hop.from.rdns.as_deref(), hop.from.helo.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Some(n) = host_name(n) {
            if !names.iter().any(|m| *m == *n) {
                names.push(n.into_owned());
            }
        }
    }
    names
}

/// `a` is the unqualified form of `b` (`lugh` and `lugh.tuatha.org`).
fn short_for(a: &str, b: &str) -> bool {
    !a.contains('.') && b.split('.').next() == Some(a)
}

/// Judge the link between `upper` and the hop below it: is the host that
/// wrote the lower header the one that handed the message to the upper?
pub fn judge_link(upper: &Hop, lower: &Hop) -> CustodyLink {
    let mut names = sender_names(upper);
    // Did the upper hop's sender run on the upper receiver itself: a local
    // handover, a loopback peer, or no peer named at all?
    let local = upper.kind == HopKind::Local
        || upper
            .from
            .ip
            .is_some_and(|ip| classify(ip) == IpClass::Loopback)
        || (upper.from.ip.is_none() && names.is_empty());
    if local {
        // The sender was the upper receiver itself.
        if let Some(by) = upper.by.as_deref().and_then(host_name) {
            if !names.iter().any(|m| *m == *by) {
                names.push(by.into_owned());
            }
        }
    }
    let mut link = CustodyLink {
        upper: upper.index,
        lower: lower.index,
        status: LinkStatus::Unknown,
        reason: String::new(),
        upper_names: names.clone(),
        lower_by: lower.by.clone(),
    };
    let mut set = |status, reason: String| {
        link.status = status;
        link.reason = reason;
    };
    if lower.kind == HopKind::Unparsed {
        set(
            LinkStatus::Unknown,
            "the lower header could not be parsed".into(),
        );
        return link;
    }
    // What breaks custody whatever names the upper hop recorded.
    if let Some(why) = hard_break(upper, lower) {
        set(LinkStatus::Broken, why);
        return link;
    }
    // The lower receiver recorded its own address: compare it with the
    // address the upper receiver saw.
    // (The sender's address first: without one, the header is not read.)
    if let Some((own, ip)) = upper
        .from
        .ip
        .and_then(|ip| Some((receiver_address(lower)?, ip)))
    {
        if own == ip {
            set(
                LinkStatus::Consistent,
                "the lower receiver's own address is the sender's address".into(),
            );
            return link;
        }
    }
    let Some(by) = lower.by.as_deref() else {
        set(
            LinkStatus::Unknown,
            "the lower header names no receiving host".into(),
        );
        return link;
    };
    let upper_claim = upper.from.helo.as_deref().and_then(literal);
    // `by` written as an address literal (Gmail's `by 2002:a05:...`).
    if let Some(by_ip) = literal(by) {
        if upper.from.ip == Some(by_ip) {
            set(
                LinkStatus::Consistent,
                "the receiving host's address is the sender's address".into(),
            );
        } else if internal_address(by_ip)
            && names
                .iter()
                .any(|n| upper.by.as_deref().is_some_and(|ub| same_operator(n, ub)))
        {
            // Gmail: `from mail-sor-f41.google.com ... by mx.google.com`
            // above `by 2002:a05:6a10:...` (6to4 of Google's 10/8 hosts).
            set(
                LinkStatus::Consistent,
                format!(
                    "an internal hop of one operator: the sender above handed over inside its operator, and {by_ip} is an internal address"
                ),
            );
        } else if upper_claim == Some(by_ip) {
            set(
                LinkStatus::Consistent,
                "the receiving host's address is the one the sender greeted with (behind NAT)"
                    .into(),
            );
        } else if let Some(ip) = upper.from.ip.filter(|ip| ip.is_ipv4() == by_ip.is_ipv4()) {
            // One address family: a host has both, so only the same family
            // can be compared; then the upper hop saw another address.
            set(
                LinkStatus::Broken,
                format!(
                    "the receiving host is named only by the address {by_ip}, which the upper hop never saw (it saw {ip})"
                ),
            );
        } else {
            set(
                LinkStatus::Unknown,
                format!(
                    "the receiving host is named only by the address {by_ip}; needs DNS to compare"
                ),
            );
        }
        return link;
    }
    // A handover on the host above: the lower sender is loopback and greets
    // with the name the upper hop recorded (qmail's `from localhost (HELO
    // name) (127.0.0.1) by 0`, a content filter's reinjection).
    let lower_loopback = lower
        .from
        .ip
        .is_some_and(|ip| classify(ip) == IpClass::Loopback);
    if lower_loopback
        && sender_names(lower)
            .iter()
            .any(|n| names.contains(n) || names.iter().any(|u| domain::same_party(u, n)))
    {
        set(
            LinkStatus::Consistent,
            "a loopback handover on the host above, greeting with its name".into(),
        );
        return link;
    }
    let Some(by_n) = host_name(by) else {
        set(
            LinkStatus::Unknown,
            "the receiving host has no usable name".into(),
        );
        return link;
    };
    if names.is_empty() {
        let greeting = upper.from.helo.as_deref().filter(|h| address_like(h));
        let handover = matches!(lower.kind, HopKind::Relay | HopKind::NoIp);
        let operator_internal = upper.by.as_deref().is_some_and(|ub| {
            same_operator(ub, &by_n)
                && upper.from.ip.is_some_and(|ip| {
                    classify(ip) != IpClass::Public || in_operator_network(ub, ip)
                })
        });
        if operator_internal {
            set(
                LinkStatus::Consistent,
                format!(
                    "an internal hop of one operator: {by_n} and the receiver above are its hosts, and the sender's address is in its network"
                ),
            );
        } else if let (Some(g), true, true) = (greeting, handover, public_name(&by_n)) {
            // A mail server greets with its own name; an address or a hex
            // word is a client's or a template's greeting.
            set(
                LinkStatus::Broken,
                format!(
                    "{by_n} claims to have received it, but the sender above greeted as {g}, not as a host name"
                ),
            );
        } else {
            set(
                LinkStatus::Unknown,
                "the sender is known only by its address; needs DNS to compare".into(),
            );
        }
    } else if names.iter().any(|n| *n == *by_n) {
        set(LinkStatus::Consistent, "same name".into());
    } else if names
        .iter()
        .any(|n| short_for(n, &by_n) || short_for(&by_n, n))
    {
        set(
            LinkStatus::Consistent,
            "same host, one name unqualified".into(),
        );
    } else if names.iter().any(|n| domain::same_party(n, &by_n)) {
        set(LinkStatus::Consistent, "same registrable domain".into());
    } else if names.iter().any(|n| same_operator(n, &by_n)) {
        set(LinkStatus::Consistent, "domains of one operator".into());
    } else if names.iter().any(|n| same_host_label(n, &by_n)) {
        set(
            LinkStatus::Consistent,
            "the same host name under another domain (a renamed or aliased relay)".into(),
        );
    } else if names.iter().any(|n| private_name_of(n, &by_n)) {
        set(
            LinkStatus::Consistent,
            "the sender's private-network name is in the receiver's organisation".into(),
        );
    } else if internal_name(&by_n) || names.iter().all(|n| internal_name(n)) {
        set(
            LinkStatus::Unknown,
            format!("{by_n} or the sender's name is a private-network name; cannot compare"),
        );
    } else if !by_n.contains('.') || names.iter().all(|n| !n.contains('.')) {
        // An unqualified name (`by mailhost`) cannot be compared.
        set(
            LinkStatus::Unknown,
            format!("{by_n} or the sender's name is not qualified; cannot compare"),
        );
    } else if local {
        // The upper sender was a program on the upper receiver: whoever wrote
        // the lower header, the names do not connect.
        set(
            LinkStatus::Broken,
            format!(
                "{by_n} received it, but the upper header shows a local handover on {}",
                names.join(" / ")
            ),
        );
    } else {
        set(
            LinkStatus::Broken,
            format!(
                "{by_n} received it, but the sender above was {}",
                names.join(" / ")
            ),
        );
    }
    link
}

/// Breaks that need no name: a handover naming no receiver, a source no
/// host connects from, a lower header dated after the upper one.
fn hard_break(upper: &Hop, lower: &Hop) -> Option<String> {
    let handover = matches!(lower.kind, HopKind::Relay | HopKind::NoIp);
    if handover && lower.by.as_deref().is_none_or(|b| b.trim().is_empty()) {
        return Some(
            "the lower header records a handover from a sender but names no receiving host".into(),
        );
    }
    if let Some(ip) = lower.from.ip {
        if let Some(what) = impossible_source(ip) {
            return Some(format!(
                "the lower header's sender {ip} is {what}: no host connects from there"
            ));
        }
    }
    if let (Some(u), Some(l)) = (&upper.timestamp, &lower.timestamp) {
        let later = l.epoch - u.epoch;
        if later > CUSTODY_CLOCK_TOLERANCE {
            return Some(format!(
                "the lower header is dated {} after the one above ({} vs {}): it cannot record an earlier handover",
                crate::util::clock::human_duration(later),
                l.utc,
                u.utc
            ));
        }
    }
    None
}

/// What no mail server writes, whatever came before: a handover from a
/// network sender that names no receiving host (`from 216.231.36.64 by ;`),
/// or a sender address no host connects from (multicast, broadcast...).
/// A template's mark: CHAIN_BREAK is `forged` when its first break has it.
/// Notes (`via MS...` of the Andrew system) and loopback handovers without
/// `by` are not handovers from a network sender.
pub fn impossible_handover(lower: &Hop) -> Option<String> {
    let network_sender = matches!(lower.kind, HopKind::Relay | HopKind::NoIp)
        && lower.via.is_none()
        && !lower
            .from
            .ip
            .is_some_and(|ip| classify(ip) == IpClass::Loopback);
    if network_sender && lower.by.as_deref().is_none_or(|b| b.trim().is_empty()) {
        return Some(
            "the lower header records a handover from a sender but names no receiving host".into(),
        );
    }
    let ip = lower.from.ip?;
    impossible_source(ip).map(|what| {
        format!("the lower header's sender {ip} is {what}: no host connects from there")
    })
}

/// A name under a known public suffix: one that can exist in public DNS.
fn public_name(n: &str) -> bool {
    n.contains('.') && !internal_name(n) && psl::suffix(n.as_bytes()).is_some_and(|s| s.is_known())
}

/// An address literal: `1.2.3.4`, `[1.2.3.4]`, `[IPv6:2001:db8::1]`, `2002:a05::1`.
fn literal(s: &str) -> Option<IpAddr> {
    let inner = s.trim().trim_start_matches('[').trim_end_matches(']');
    let inner = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
        .unwrap_or(inner);
    // No address has other bytes: a host name stops here, unparsed.
    if !inner
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    inner.parse().ok()
}

/// Walk the hops (header order) and decide the boundary, custody and origin.
pub fn analyze(hops: &[Hop], trust: &TrustConfig, infer: bool) -> Chain {
    let mut chain = Chain::default();
    if hops.is_empty() {
        return chain;
    }
    // 1. Trust runs down from hop 0 while each sender is trusted.
    let mut b = 0;
    let mut all_trusted = false;
    while let Some(reason) = trusts_sender(hops, b, trust, infer) {
        chain.inferred |= reason.starts_with("inferred");
        chain.trust_steps.push(TrustStep { hop: b, reason });
        if b + 1 == hops.len() {
            all_trusted = true;
            break;
        }
        b += 1;
    }
    chain.boundary = Some(b);
    if all_trusted {
        // Internal mail: every sender is ours; nobody to complain to.
        return chain;
    }
    let hop = &hops[b];
    if matches!(hop.kind, HopKind::Relay | HopKind::NoIp) {
        chain.first_untrusted_relay = Some(Relay {
            hop: b,
            ip: hop.from.ip,
            rdns: hop.from.rdns.clone(),
            helo: hop.from.helo.clone(),
            received_by: hop.by.clone(),
            received_at: hop.timestamp.as_ref().map(|t| t.utc.clone()),
            received_at_original: hop
                .timestamp
                .as_ref()
                .map(|t| t.original.clone())
                .filter(|o| !o.is_empty()),
        });
    }
    // 2. Below the boundary, follow consistent custody links. Notes without
    // a peer or a receiver (qmail's `invoked from network`) are read
    // through: the link is judged from the last hop above that has a sender.
    // A webmail hop ends the walk: a browser wrote nothing below it.
    let mut origin_hop = chain.first_untrusted_relay.as_ref().map(|r| r.hop);
    let mut links = 0;
    let mut walking = !is_webmail_hop(hop);
    let mut effective_upper = b;
    for upper in b..hops.len().saturating_sub(1) {
        let lower = &hops[upper + 1];
        let transparent = is_note(lower) || localhost_handover(lower);
        let mut link = if localhost_handover(lower) && !is_note(lower) {
            CustodyLink {
                upper,
                lower: upper + 1,
                status: LinkStatus::Consistent,
                reason: "a handover on the host above: its receiver calls itself localhost and no network peer is recorded; read through".into(),
                upper_names: sender_names(&hops[effective_upper]),
                lower_by: lower.by.clone(),
            }
        } else if is_note(lower) {
            CustodyLink {
                upper,
                lower: upper + 1,
                status: LinkStatus::Consistent,
                reason:
                    "a note without a sender or receiver, written by the host above; read through"
                        .into(),
                upper_names: sender_names(&hops[upper]),
                lower_by: None,
            }
        } else {
            judge_link(&hops[effective_upper], lower)
        };
        link.upper = upper;
        if !transparent {
            effective_upper = upper + 1;
        }
        if walking {
            match link.status {
                LinkStatus::Consistent => {
                    // The origin is a sender we can name: skip local
                    // handovers and private hops (not reportable).
                    if lower
                        .from
                        .ip
                        .is_some_and(|ip| classify(ip) == IpClass::Public)
                    {
                        origin_hop = Some(upper + 1);
                        links += 1;
                    }
                    if is_webmail_hop(lower) {
                        walking = false;
                    }
                }
                LinkStatus::Broken => {
                    chain.first_break = Some(upper + 1);
                    walking = false;
                }
                LinkStatus::Unknown => walking = false,
            }
        }
        chain.custody.push(link);
    }
    if let Some(o) = origin_hop {
        let h = &hops[o];
        chain.probable_origin = Some(Origin {
            hop: o,
            ip: h.from.ip,
            rdns: h.from.rdns.clone(),
            helo: h.from.helo.clone(),
            confidence: match links {
                0 => Confidence::High,
                1 => Confidence::Medium,
                _ => Confidence::Low,
            },
            links,
        });
    }
    chain
}

#[cfg(test)]
mod tests;
