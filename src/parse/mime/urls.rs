//! URLs of text and HTML parts: `href`, `src`, form `action`, `data-*`
//! attributes holding a URL, meta refresh, and bare URLs in text; HTML
//! entities decoded (mail-parser has undone the transfer encoding);
//! link-protection wrappers taken off with the wrapper kept (Microsoft Safe
//! Links, Google `/url?q=`, Proofpoint urldefense v1/v2/v3, Mimecast,
//! Barracuda linkprotect); the registrable domain (Public Suffix List); an
//! IDN host in Unicode too.
//!
//! Proofpoint's formats as documented by Proofpoint's own decoder script
//! (urldecoder.py, "v2: -XX is %XX, _ is /"; "v3: `*` marks a character
//! carried base64url-encoded after `__;`"); no code taken from it.

use crate::model::{BodyUrl, UrlWrapper};
use crate::util::domain;
use regex::Regex;
use std::sync::LazyLock;

/// The tags whose attributes carry links: `name` (ASCII letters, digits,
/// `_`) in lower case when it is one. A match on the name lowercased in
/// place: a search of the list, each compared without case, cost more than
/// the rest of the tag scan.
fn link_tag(name: &str) -> Option<&'static str> {
    let mut buf = [0u8; 6];
    let low = buf.get_mut(..name.len())?;
    for (l, c) in low.iter_mut().zip(name.bytes()) {
        *l = c.to_ascii_lowercase();
    }
    Some(match &*low {
        b"a" => "a",
        b"area" => "area",
        b"img" => "img",
        b"form" => "form",
        b"iframe" => "iframe",
        b"frame" => "frame",
        b"link" => "link",
        b"meta" => "meta",
        b"base" => "base",
        b"script" => "script",
        b"embed" => "embed",
        b"source" => "source",
        b"td" => "td",
        b"table" => "table",
        b"body" => "body",
        b"div" => "div",
        b"button" => "button",
        b"input" => "input",
        _ => return None,
    })
}
static BARE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"'`{}|\\^\[\]]+"#).unwrap());
static CLOSE_A: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)</a\s*>").unwrap());
static SHOWN_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63})(?:[/:?#]\S*)?$",
    )
    .unwrap()
});

/// Decode the HTML entities that matter for URLs and link text.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(|c: char| !c.is_ascii_alphanumeric() && c != '#');
        let (name, len) = match end {
            Some(e) => (&rest[1..1 + e], 1 + e),
            None => (&rest[1..], rest.len()),
        };
        let semi = rest[len..].starts_with(';');
        let ch = if let Some(num) = name.strip_prefix('#') {
            let v = if let Some(h) = num.strip_prefix(['x', 'X']) {
                u32::from_str_radix(h, 16).ok()
            } else {
                num.parse::<u32>().ok()
            };
            v.and_then(char::from_u32)
        } else {
            match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "sol" => Some('/'),
                "colon" => Some(':'),
                "period" => Some('.'),
                _ => None,
            }
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[len + usize::from(semi)..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Bare URLs of a text part; `true` when `max` was reached.
pub fn from_text(text: &str, part: &str, out: &mut Vec<BodyUrl>, max: usize) -> bool {
    for m in BARE.find_iter(text) {
        if push(out, m.as_str(), "text", part, None, max) {
            return true;
        }
    }
    false
}

/// The URLs of an HTML part; `true` when `max` was reached.
pub fn from_html(html: &str, part: &str, out: &mut Vec<BodyUrl>, max: usize) -> bool {
    for (tag, attrs, tag_end) in link_tags(html) {
        let mut meta_refresh = false;
        let mut content = None;
        for (name, value) in attributes(attrs) {
            // The value is decoded only for the attributes read.
            let lower = |n: &str| name.eq_ignore_ascii_case(n);
            let context = if lower("href") {
                "href"
            } else if lower("src") || lower("background") {
                "src"
            } else if lower("action") || lower("formaction") {
                "action"
            } else if lower("http-equiv") {
                if decode_entities(value.trim()).eq_ignore_ascii_case("refresh") {
                    meta_refresh = true;
                }
                continue;
            } else if lower("content") {
                content = Some(decode_entities(value.trim()));
                continue;
            } else if name.len() >= 5 && name.as_bytes()[..5].eq_ignore_ascii_case(b"data-") {
                "data_attr"
            } else {
                continue;
            };
            let value = decode_entities(value.trim());
            if context == "data_attr" && !looks_like_url(&value) {
                continue;
            }
            let text = (tag == "a" || tag == "area")
                .then(|| link_text(html, tag_end))
                .flatten();
            if push(out, &value, context, part, text, max) {
                return true;
            }
        }
        if tag == "meta" && meta_refresh {
            if let Some(c) = content {
                if let Some(i) = c.to_ascii_lowercase().find("url=") {
                    let u = c[i + 4..].trim_matches(['\'', '"', ' ']);
                    if push(out, u, "meta_refresh", part, None, max) {
                        return true;
                    }
                }
            }
        }
    }
    // Bare URLs in the visible text: the runs between tags, entities
    // decoded. No match spans a tag (it stands as a space, which ends a
    // match) and no entity reaches across one, so the runs that cannot hold
    // a match are left out and the others joined by spaces: the same
    // matches, without copying the whole part twice.
    let visible = visible_runs(html);
    for m in BARE.find_iter(&visible) {
        let u = trim_url(m.as_str());
        if out.iter().any(|x| x.part == part && same_url(x, u)) {
            continue;
        }
        if push(out, u, "text", part, None, max) {
            return true;
        }
    }
    false
}

/// The tags of [`link_tag`] in `html`, each as (its name in lower case,
/// the text between the name and `>`, the offset after `>`). A hand scan
/// (memchr for `<`): the regex with captures was a quarter of the time
/// spent on bodies.
fn link_tags(html: &str) -> impl Iterator<Item = (&'static str, &str, usize)> + '_ {
    let bytes = html.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(lt) = memchr::memchr(b'<', &bytes[at..]).map(|i| at + i) {
            at = lt + 1;
            let name_len = bytes[at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            let name_end = at + name_len;
            // A word boundary after the name (a non-ASCII letter continues it).
            if html[name_end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let Some(tag) = link_tag(&html[at..name_end]) else {
                continue;
            };
            // No `>` after this one: none after any later `<` either.
            let gt = memchr::memchr(b'>', &bytes[name_end..]).map(|i| name_end + i)?;
            at = gt + 1;
            return Some((tag, &html[name_end..gt], gt + 1));
        }
        None
    })
}

/// The `name=value` attributes of a tag's text (after its name, before
/// `>`), values without their quotes, as the regex
/// `([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`
/// finds them leftmost-first (`\s` is Unicode white space): a hand scan,
/// the regex was a third of the time spent on HTML. A name with no value
/// (`disabled`) or an unclosed quote is skipped.
fn attributes(attrs: &str) -> impl Iterator<Item = (&str, &str)> + '_ {
    let b = attrs.as_bytes();
    let mut at = 0;
    let name_char = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.');
    // Unicode white space from `i`: its end.
    let skip_ws = move |mut i: usize| {
        while let Some(c) = attrs[i..].chars().next().filter(|c| c.is_whitespace()) {
            i += c.len_utf8();
        }
        i
    };
    std::iter::from_fn(move || {
        while at < b.len() {
            let c = b[at];
            if !(c.is_ascii_alphabetic() || c == b'_' || c == b':') {
                at += 1;
                continue;
            }
            let start = at;
            let mut end = at + 1;
            while end < b.len() && name_char(b[end]) {
                end += 1;
            }
            // A start later in the same name has the same end and fails or
            // succeeds alike: after a failure, go on after the name.
            at = end;
            let eq = skip_ws(end);
            if b.get(eq) != Some(&b'=') {
                continue;
            }
            let v = skip_ws(eq + 1);
            let value = match b.get(v) {
                Some(q @ (b'"' | b'\'')) => match memchr::memchr(*q, &b[v + 1..]) {
                    Some(i) => {
                        at = v + 1 + i + 1;
                        &attrs[v + 1..v + 1 + i]
                    }
                    None => continue,
                },
                Some(_) => {
                    let mut e = v;
                    while let Some(ch) = attrs[e..]
                        .chars()
                        .next()
                        .filter(|ch| !ch.is_whitespace() && !matches!(ch, '"' | '\'' | '>'))
                    {
                        e += ch.len_utf8();
                    }
                    if e == v {
                        continue;
                    }
                    at = e;
                    &attrs[v..e]
                }
                None => continue,
            };
            return Some((&attrs[start..end], value));
        }
        None
    })
}

/// The runs of visible text that may hold a bare URL, entities decoded,
/// joined by spaces.
fn visible_runs(html: &str) -> String {
    let mut visible = String::new();
    for run in text_runs(html) {
        let decoded;
        let run = if run.contains('&') {
            decoded = decode_entities(run);
            decoded.as_str()
        } else {
            run
        };
        if may_hold_bare(run) {
            if !visible.is_empty() {
                visible.push(' ');
            }
            visible.push_str(run);
        }
    }
    visible
}

/// The text between the tags of `html`, run by run, as [`strip_tags`]
/// keeps it (an unclosed `<` and what follows it is the last run).
fn text_runs(html: &str) -> impl Iterator<Item = &str> + '_ {
    let bytes = html.as_bytes();
    let mut at = Some(0);
    std::iter::from_fn(move || {
        let from = at?;
        let tag = memchr::memchr(b'<', &bytes[from..])
            .map(|i| from + i)
            .and_then(|lt| memchr::memchr(b'>', &bytes[lt..]).map(|i| (lt, lt + i)));
        match tag {
            Some((lt, gt)) => {
                at = Some(gt + 1);
                Some(&html[from..lt])
            }
            None => {
                at = None;
                Some(&html[from..])
            }
        }
    })
}

/// Whether [`BARE`] can match in `s`: each match holds `://` or `www.`
/// (`w` has no other case under Unicode folding).
fn may_hold_bare(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr_iter(b':', b).any(|i| b[i + 1..].starts_with(b"//"))
        || memchr::memchr_iter(b'.', b).any(|i| i >= 3 && b[i - 3..i].eq_ignore_ascii_case(b"www"))
}

/// `html` with every `<...>` replaced by `with` (an unclosed `<` is kept).
fn strip_tags(html: &str, with: &str) -> String {
    let mut out = String::with_capacity(html.len());
    for (i, run) in text_runs(html).enumerate() {
        if i > 0 {
            out.push_str(with);
        }
        out.push_str(run);
    }
    out
}

fn same_url(x: &BodyUrl, u: &str) -> bool {
    x.url == u || x.wrapper.as_ref().is_some_and(|w| w.url == u) || x.text.as_deref() == Some(u)
}

fn looks_like_url(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("//")
}

/// The text of the link opened at `start`, when it shows a URL or domain.
fn link_text(html: &str, start: usize) -> Option<String> {
    let rest = &html[start..];
    // Only the first 2000 bytes are read: no search to the end of a long
    // part for every link.
    let window = (0..=rest.len().min(2006))
        .rev()
        .find(|i| rest.is_char_boundary(*i))?;
    let end = match CLOSE_A.find(&rest[..window]) {
        Some(m) => m.start().min(2000),
        None if window < rest.len() => 2000,
        None => return None,
    };
    let end = (0..=end).rev().find(|i| rest.is_char_boundary(*i))?;
    // A shown domain has a dot: none written and no entity, no domain.
    memchr::memchr2(b'.', b'&', &rest.as_bytes()[..end])?;
    let text = decode_entities(&strip_tags(&rest[..end], ""));
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    SHOWN_DOMAIN.is_match(&text).then_some(text)
}

/// The domain a link text shows, when it shows one.
pub fn shown_domain(text: &str) -> Option<String> {
    let c = SHOWN_DOMAIN.captures(text.trim())?;
    domain::normalize(&c[1])
}

fn trim_url(u: &str) -> &str {
    let mut u = u.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"', '>']);
    // A closing parenthesis that has no opening one in the URL is prose.
    while u.ends_with(')') && u.matches('(').count() < u.matches(')').count() {
        u = &u[..u.len() - 1];
    }
    u
}

/// Add one URL (unwrapped, with its domain); `true` when `max` is reached.
fn push(
    out: &mut Vec<BodyUrl>,
    raw: &str,
    context: &str,
    part: &str,
    text: Option<String>,
    max: usize,
) -> bool {
    if out.len() >= max {
        return true;
    }
    let raw = trim_url(raw.trim());
    let starts = |p: &str| {
        raw.len() >= p.len() && raw.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    let raw = if starts("www.") {
        format!("http://{raw}")
    } else if raw.starts_with("//") {
        format!("http:{raw}")
    } else if starts("http://") || starts("https://") {
        raw.to_string()
    } else {
        return false; // mailto:, cid:, relative, javascript:
    };
    if out.iter().any(|x| {
        x.part == part
            && x.context == context
            && (x.url == raw || x.wrapper.as_ref().is_some_and(|w| w.url == raw))
            && x.text == text
    }) {
        return false;
    }
    // A plain host is read off without the url crate; otherwise one parse
    // of the URL for the wrapper test and, when it is not a wrapper, its
    // host.
    if let Some(host) = plain_host(&raw) {
        let domain = domain::registrable(&host);
        out.push(BodyUrl {
            url: raw,
            host: Some(host),
            host_unicode: None,
            domain,
            context: context.to_string(),
            part: part.to_string(),
            text,
            wrapper: None,
        });
        return false;
    }
    let parsed = url::Url::parse(&raw).ok();
    let (url, wrapper, host) = match parsed.as_ref().and_then(|u| unwrap_parsed(u, &raw)) {
        Some((service, inner)) => {
            let host = host_of(&inner);
            let wrapper = UrlWrapper {
                service: service.to_string(),
                url: raw,
            };
            (inner, Some(wrapper), host)
        }
        None => {
            let host = parsed.as_ref().and_then(host_in);
            (raw, None, host)
        }
    };
    let host_unicode = host
        .as_deref()
        .filter(|h| h.split('.').any(|l| l.starts_with("xn--")))
        .map(|h| idna::domain_to_unicode(h).0);
    let domain = host.as_deref().and_then(domain::registrable);
    out.push(BodyUrl {
        url,
        host,
        host_unicode,
        domain,
        context: context.to_string(),
        part: part.to_string(),
        text,
        wrapper,
    });
    false
}

/// The host of `raw` (`http://` or `https://` in any case, then the rest)
/// as [`host_in`] gives it from the url crate's parse, when it is plain and
/// no wrapper's: letters, digits and hyphens in non-empty labels, none
/// `xn--` (punycode is checked by the url crate), the last starting with a
/// letter (not an IPv4 address), no user, port, `%`, backslash, blank or
/// control character. Such a host passes the url crate's IDNA lowercased,
/// and nothing after it makes an `http(s)` URL fail to parse. `None`: ask
/// the url crate.
fn plain_host(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let start = if b.len() > 7 && b[..7].eq_ignore_ascii_case(b"http://") {
        7
    } else if b.len() > 8 && b[..8].eq_ignore_ascii_case(b"https://") {
        8
    } else {
        return None;
    };
    if b.iter().any(|&c| c <= b' ' || c == 0x7f || c == b'\\') {
        return None;
    }
    let end = b[start..]
        .iter()
        .position(|c| matches!(c, b'/' | b'?' | b'#'))
        .map_or(b.len(), |i| start + i);
    let host = &b[start..end];
    let mut labels = host.split(|&c| c == b'.');
    let mut last = None;
    for label in labels.by_ref() {
        if label.is_empty()
            || !label
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            || (label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"))
        {
            return None;
        }
        last = Some(label);
    }
    if !last?[0].is_ascii_alphabetic() {
        return None;
    }
    let host = raw[start..end].to_ascii_lowercase();
    // Hosts the wrapper test may claim take the url crate's parse.
    if WRAPPER_HOST_WORDS.iter().any(|w| host.contains(w)) {
        return None;
    }
    Some(host)
}

/// The host of a URL, lowercased, in punycode (the url crate's IDNA).
pub fn host_of(u: &str) -> Option<String> {
    host_in(&url::Url::parse(u).ok()?)
}

fn host_in(parsed: &url::Url) -> Option<String> {
    parsed
        .host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

fn query(u: &url::Url, key: &str) -> Option<String> {
    u.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A link-protection wrapper's service and the URL it wraps.
pub fn unwrap(raw: &str) -> Option<(&'static str, String)> {
    unwrap_parsed(&url::Url::parse(raw).ok()?, raw)
}

/// [`unwrap`] of `raw` parsed as `u`.
/// A word of every host [`unwrap_parsed`] unwraps: a host without one is
/// no wrapper's, and [`plain_host`] may read it without the url crate.
/// A wrapper added there needs its word here.
const WRAPPER_HOST_WORDS: [&str; 5] = ["google", "safelinks", "urldefense", "cudasvc", "mimecast"];

fn unwrap_parsed(u: &url::Url, raw: &str) -> Option<(&'static str, String)> {
    let host = u.host_str()?.to_ascii_lowercase();
    let path = u.path();
    let got = |s: &'static str, v: Option<String>| {
        v.filter(|v| looks_like_url(v) || v.to_ascii_lowercase().starts_with("www."))
            .map(|v| (s, v))
    };
    if host.ends_with(".safelinks.protection.outlook.com") {
        return got("safelinks", query(u, "url"));
    }
    if (host == "google.com" || host == "www.google.com" || host.starts_with("www.google."))
        && path == "/url"
    {
        return got("google", query(u, "q").or_else(|| query(u, "url")));
    }
    if host == "urldefense.proofpoint.com" {
        if path.starts_with("/v1/") {
            return got("urldefense", query(u, "u"));
        }
        if path.starts_with("/v2/") {
            let enc = query(u, "u")?;
            let pct = enc.replace('-', "%").replace('_', "/");
            return got("urldefense", Some(percent_decode(&pct)));
        }
    }
    if host == "urldefense.com" && path.starts_with("/v3/__") {
        return got("urldefense", proofpoint_v3(raw));
    }
    if host == "linkprotect.cudasvc.com" && path == "/url" {
        return got("barracuda", query(u, "a"));
    }
    if host.ends_with(".mimecast.com") && host.starts_with("protect") {
        // The `/s/` token is resolved on Mimecast's side; the target
        // domain rides along as `domain=` when it is there.
        let d = query(u, "domain")?;
        return got("mimecast", Some(format!("http://{d}/")));
    }
    None
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Proofpoint v3: `https://urldefense.com/v3/__URL__;SUBST!!...`, each `*`
/// in URL replaced by the next character of base64url-decoded SUBST.
fn proofpoint_v3(raw: &str) -> Option<String> {
    let start = raw.find("/v3/__")? + 6;
    let rest = &raw[start..];
    let end = rest.find("__;").or_else(|| rest.find("__!"))?;
    let url = &rest[..end];
    if !url.contains('*') {
        return Some(url.to_string());
    }
    let after = &rest[end + 3..];
    let subst = after.split('!').next().unwrap_or("");
    let decoded = base64url(subst)?;
    let mut chars = decoded.chars();
    let mut out = String::new();
    for c in url.chars() {
        if c == '*' {
            out.push(chars.next()?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn base64url(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Well-known brands phishing imitates: a label whose UTS #39 confusable
/// skeleton is one of theirs while the label itself differs (`раураl`,
/// Cyrillic, for `paypal`) is a homograph.
const BRANDS: &[&str] = &[
    "adobe",
    "amazon",
    "americanexpress",
    "apple",
    "appleid",
    "bankofamerica",
    "binance",
    "blockchain",
    "booking",
    "chase",
    "citibank",
    "coinbase",
    "docusign",
    "dropbox",
    "ebay",
    "facebook",
    "fedex",
    "github",
    "google",
    "gmail",
    "hsbc",
    "icloud",
    "instagram",
    "linkedin",
    "mastercard",
    "metamask",
    "microsoft",
    "netflix",
    "office",
    "office365",
    "onedrive",
    "outlook",
    "paypal",
    "santander",
    "sharepoint",
    "spotify",
    "steam",
    "steamcommunity",
    "telegram",
    "twitter",
    "visa",
    "wellsfargo",
    "whatsapp",
    "yahoo",
];

fn brand_skeletons() -> &'static [(String, &'static str)] {
    static SKELETONS: std::sync::OnceLock<Vec<(String, &'static str)>> = std::sync::OnceLock::new();
    SKELETONS.get_or_init(|| {
        BRANDS
            .iter()
            .map(|b| (unicode_security::skeleton(b).collect(), *b))
            .collect()
    })
}

/// Why an IDN host (in Unicode) is a homograph, with the `unicode-security`
/// crate (UTS #39), label by label:
/// - a label below the "highly restrictive" level: scripts mixed that no
///   language writes together (Latin with Cyrillic or Greek, ...), or
///   characters not allowed in identifiers;
/// - a label wholly in one non-Latin script whose confusable skeleton is
///   plain ASCII (`аррӏе`: Cyrillic letters that all look Latin), the top
///   label (`рус`, a real TLD) excepted;
/// - a label whose skeleton is a well-known brand's while it is not that
///   brand ([`BRANDS`]).
pub fn homograph(host_unicode: &str) -> Option<String> {
    use unicode_security::{MixedScript, RestrictionLevel, RestrictionLevelDetection};
    let labels: Vec<&str> = host_unicode.split('.').collect();
    for (i, label) in labels.iter().enumerate() {
        if label.is_ascii() {
            continue;
        }
        let skel: String = unicode_security::skeleton(label).collect();
        let mut why: Vec<String> = Vec::new();
        let level = label.detect_restriction_level();
        if level == RestrictionLevel::Unrestricted {
            why.push("characters not allowed in identifiers".to_string());
        } else if level > RestrictionLevel::HighlyRestrictive {
            why.push(format!("mixes {}", scripts(label)));
        } else if i + 1 < labels.len()
            && label.is_single_script()
            && label.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && skel.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            why.push(format!("{} letters that look Latin", scripts(label)));
        }
        if let Some((_, brand)) = brand_skeletons().iter().find(|(s, _)| *s == skel) {
            why.push(format!("looks like {brand} (confusable skeleton)"));
        }
        if !why.is_empty() {
            return Some(format!("{label}: {}", why.join(", ")));
        }
    }
    None
}

/// The scripts of a label's letters, named (`Latin and Cyrillic`).
fn scripts(label: &str) -> String {
    use unicode_script::{Script, UnicodeScript};
    let mut seen: Vec<Script> = Vec::new();
    for c in label.chars() {
        let s = c.script();
        if !matches!(s, Script::Common | Script::Inherited | Script::Unknown) && !seen.contains(&s)
        {
            seen.push(s);
        }
    }
    let names: Vec<&str> = seen.iter().map(|s| s.full_name()).collect();
    names.join(" and ")
}

/// A URL for people: `hxxp://`, dots of the host bracketed.
pub fn defang(url: &str) -> String {
    if !url.contains("://") {
        return url.replace('.', "[.]");
    }
    // Every scheme in it, not only the first (`http://http://x`, a wrapper
    // with its target in the path, `http://a.examplehttp://b.example`), and
    // every host after one, past any extra slashes (`http:///host/`).
    let mut out = String::with_capacity(url.len() + 16);
    let mut rest = url;
    // Whether `rest` starts where a host is expected.
    let mut at_host = false;
    while let Some(i) = rest.find("://") {
        let before = &rest[..i];
        let http = ["https", "http"].into_iter().find(|s| {
            before.len() >= s.len()
                && before.is_char_boundary(before.len() - s.len())
                && before[before.len() - s.len()..].eq_ignore_ascii_case(s)
        });
        let cut = before.len() - http.map_or(0, str::len);
        if at_host {
            out.push_str(&before[..cut].replace('.', "[.]"));
        } else {
            out.push_str(&before[..cut]);
        }
        if http.is_some() {
            out.push_str("hxxp");
            out.push_str(&before[cut + 4..]);
        }
        out.push_str("://");
        let after = &rest[i + 3..];
        let slashes = after.len() - after.trim_start_matches('/').len();
        out.push_str(&after[..slashes]);
        let host_and_on = &after[slashes..];
        let hend = host_and_on
            .find(['/', '?', '#'])
            .unwrap_or(host_and_on.len());
        // Another scheme where the host should be: the loop defangs it.
        if host_and_on.find("://").is_some_and(|k| k < hend) {
            rest = host_and_on;
            at_host = true;
            continue;
        }
        out.push_str(&host_and_on[..hend].replace('.', "[.]"));
        rest = &host_and_on[hend..];
        at_host = false;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defang_every_scheme_and_host() {
        assert_eq!(
            defang("https://evil.example/a?b=c.d"),
            "hxxps://evil[.]example/a?b=c.d"
        );
        assert_eq!(
            defang("http://http://x.example/"),
            "hxxp://hxxp://x[.]example/"
        );
        assert_eq!(defang("HTTP:///host.example/p"), "hxxp:///host[.]example/p");
        assert_eq!(
            defang("https://w.example/?u=https://evil.example/x"),
            "hxxps://w[.]example/?u=hxxps://evil[.]example/x"
        );
        assert_eq!(defang("ftp://files.example/"), "ftp://files[.]example/");
        assert_eq!(
            defang("http://www.a.examplehttp://www.a.example/s"),
            "hxxp://www[.]a[.]examplehxxp://www[.]a[.]example/s"
        );
        assert_eq!(defang("www.example.com"), "www[.]example[.]com");
    }

    #[test]
    fn wrappers() {
        let s = "https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example%2Flogin&data=05%7C01&reserved=0";
        assert_eq!(
            unwrap(s).unwrap(),
            ("safelinks", "https://evil.example/login".into())
        );
        let g = "https://www.google.com/url?q=http://evil.example/a&sa=D";
        assert_eq!(unwrap(g).unwrap().1, "http://evil.example/a");
        let v2 = "https://urldefense.proofpoint.com/v2/url?u=https-3A__evil.example_path-3Fa-3D1&d=DwMFaQ&c=x";
        assert_eq!(unwrap(v2).unwrap().1, "https://evil.example/path?a=1");
        let v3 = "https://urldefense.com/v3/__https://evil.example/a*b__;Iw!!ABC";
        assert_eq!(unwrap(v3).unwrap().1, "https://evil.example/a#b");
        let b = "https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fevil.example%2f&c=E,1";
        assert_eq!(unwrap(b).unwrap().1, "https://evil.example/");
        assert!(unwrap("https://example.com/?url=https://x.example").is_none());
    }

    #[test]
    fn html_links_and_text() {
        let html = r#"<p>Go to <a href="https://evil.example/x?a=1&amp;b=2">www.paypal.com</a>
            <img src='http://img.example/p.gif'><form action=https://post.example/s>
            <meta http-equiv="refresh" content="0; url=http://refresh.example/">
            see http://bare.example/path.</p>"#;
        let mut out = Vec::new();
        from_html(html, "1", &mut out, 100);
        let urls: Vec<(&str, &str)> = out
            .iter()
            .map(|u| (u.context.as_str(), u.url.as_str()))
            .collect();
        assert_eq!(
            urls,
            [
                ("href", "https://evil.example/x?a=1&b=2"),
                ("src", "http://img.example/p.gif"),
                ("action", "https://post.example/s"),
                ("meta_refresh", "http://refresh.example/"),
                ("text", "http://bare.example/path"),
            ]
        );
        assert_eq!(out[0].text.as_deref(), Some("www.paypal.com"));
        assert_eq!(out[0].domain.as_deref(), Some("evil.example"));
    }

    #[test]
    fn attributes_as_the_regex_finds_them() {
        // The regex the scan replaces, its match split as before.
        let re = Regex::new(
            r#"(?s)([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#,
        )
        .unwrap();
        let by_regex = |s: &str| -> Vec<(String, String)> {
            re.captures_iter(s)
                .map(|c| {
                    let v = c
                        .get(2)
                        .or(c.get(3))
                        .or(c.get(4))
                        .map_or("", |m| m.as_str());
                    (c[1].to_string(), v.to_string())
                })
                .collect()
        };
        for attrs in [
            r#" href="https://a.example/" class=x"#,
            " href = 'q' disabled src=http://b.example/?a=1&amp;b",
            r#" title="unclosed href=https://c.example/"#,
            " data-u=\u{a0}https://d.example/\u{2003}x=1",
            " a\u{3000}=\u{3000}v\u{85}w:=y -b=2 9c=3 .d=4 _e=\"\" f='",
            " héllo=1 ñ=2 x.y-z:w=\"a\nb\"",
            "=== =x x= ",
            "",
        ] {
            let ours: Vec<(String, String)> = attributes(attrs)
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            assert_eq!(ours, by_regex(attrs), "{attrs:?}");
        }
    }

    #[test]
    fn visible_runs_match_as_the_stripped_text() {
        let all = |s: &str| -> Vec<String> {
            BARE.find_iter(s).map(|m| m.as_str().to_string()).collect()
        };
        for html in [
            "<p>see http://a.example/x<b>y</b> and www.b.example.</p>",
            "http://c.example<br>/path &amp; https&#58;//d.example/&lt;q",
            "a&nbsp;www.e.example&#x2e;com <i>WWW.F.EXAMPLE</i>x",
            "<a href='x'>hxxp://no.example</a>httpſ://g.example/ &#104;ttp://h.example",
            "tail &amp unclosed <span http://i.example/ www.j.example",
            "&#119;ww.k.example <>< > http:/&sol;l.example ww<b>w.m.example",
            "éwww.n.example _http://o.example/ &Colon;// &colon;//p.example",
            "",
            "<",
            "no links at all. just prose: here.",
            "a > b www.q.example <i x='http://r.example'>s</i> <t www.u.example",
            "<<a>> http://v.example/<  www.w.example <b>",
            "&amp;www.x.example:// <p>http:</p>//y.example",
        ] {
            let before = all(&decode_entities(&strip_tags(html, " ")));
            assert_eq!(all(&visible_runs(html)), before, "{html:?}");
        }
    }

    #[test]
    fn plain_hosts_as_the_url_crate_reads_them() {
        for raw in [
            "http://Www.Example.COM/a?b#c",
            "https://a-b.c--d.example",
            "HTTP://-x-.example./",
            "http://9gag.com/x@y",
            "http://1.2.3.4/",
            "http://a.0x7f/",
            "http://a.b1/",
            "http://xn--mnchen-3ya.de/",
            "http://XN--zz.example/",
            "http://ab--cd.example/",
            "http://user@a.example/",
            "http://a.example:80/",
            "http://a.example:x/",
            "http://a..example/",
            "http://.a.example/",
            "http:///a.example/",
            "http://a.example\\b/",
            "http://a%41.example/",
            "http://a_b.example/",
            "http://a.example/p a\tb",
            "http://a.example/é?q=ü#ß",
            "http://a.example?x",
            "http://a.example#x",
            "http://www.google.com/url?q=http://x.example/",
            "https://nam1.safelinks.protection.outlook.com/?url=http://x.example/",
            "http://localhost",
            "http://",
            "https://",
        ] {
            let by_url = url::Url::parse(raw).ok().and_then(|u| {
                unwrap_parsed(&u, raw)
                    .is_none()
                    .then(|| host_in(&u))
                    .flatten()
            });
            if let Some(h) = plain_host(raw) {
                assert_eq!(Some(h), by_url, "{raw:?}");
            }
        }
        assert_eq!(
            plain_host("http://Www.Example.COM/a").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(plain_host("http://1.2.3.4/"), None);
        assert_eq!(plain_host("http://xn--mnchen-3ya.de/"), None);
    }

    #[test]
    fn homographs() {
        assert!(homograph("pаypal.com").is_some()); // Cyrillic а
        assert!(homograph("аррӏе.com").is_some()); // all Cyrillic lookalikes
        assert!(homograph("пример.рф").is_none());
        assert!(homograph("münchen.de").is_none());
        // The unicode-security checks (UTS #39).
        let why = homograph("раураl.com").unwrap(); // Cyrillic р, а, у + Latin l
        assert!(why.contains("looks like paypal"), "{why}");
        let why = homograph("раураӏ.com").unwrap(); // wholly Cyrillic
        assert!(why.contains("looks like paypal"), "{why}");
        let why = homograph("gοοgle.com").unwrap(); // Greek omicrons
        assert!(why.contains("looks like google"), "{why}");
        assert!(homograph("аррӏе-support.com").unwrap().contains("Cyrillic"));
        let why = homograph("sbеrbank.ru").unwrap();
        assert!(why.contains("mixes Latin and Cyrillic"), "{why}");
        // Single-script and highly restrictive labels are not flagged.
        assert!(homograph("bücher-shop.de").is_none());
        assert!(homograph("日本語ドメイン.jp").is_none());
        assert!(homograph("abc日本.jp").is_none()); // Latin + Han: highly restrictive
        assert!(homograph("ελληνικά.gr").is_none());
        assert!(homograph("магазин.рус").is_none());
        assert!(homograph("😀.example").unwrap().contains("not allowed"));
        assert_eq!(
            defang("https://evil.example/a.b"),
            "hxxps://evil[.]example/a.b"
        );
    }
}
