//! Shared by the HTML tests: the DOM of a page (html5ever, with its parse
//! errors), walks over it, and the hostile message.
#![allow(dead_code)]

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

pub const GOLDEN: &[(&str, &str)] = &[
    ("1999-berkeley.mbox", "1999-berkeley.html"),
    ("html/m365-phish.eml", "m365-phish.html"),
    ("07-gmail-recipient.eml", "07-gmail-recipient.html"),
];

pub fn testdata(name: &str) -> String {
    format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))
}

pub fn golden_path(name: &str) -> String {
    testdata(&format!("golden/{name}"))
}

/// A parsed page and the parse errors html5ever reported.
pub struct Page {
    pub dom: RcDom,
    pub errors: Vec<String>,
}

pub fn parse(html: &str) -> Page {
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts {
            exact_errors: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let dom = html5ever::parse_document(RcDom::default(), opts).one(html);
    let errors = dom.errors.borrow().iter().map(|e| e.to_string()).collect();
    Page { dom, errors }
}

/// Every element below `h`, depth first, with its name and attributes.
pub fn elements(h: &Handle, out: &mut Vec<Handle>) {
    for c in h.children.borrow().iter() {
        if let NodeData::Element { .. } = c.data {
            out.push(c.clone());
        }
        elements(c, out);
    }
}

pub fn all(page: &Page) -> Vec<Handle> {
    let mut v = Vec::new();
    elements(&page.dom.document, &mut v);
    v
}

pub fn name(h: &Handle) -> String {
    match &h.data {
        NodeData::Element { name, .. } => name.local.to_string(),
        _ => String::new(),
    }
}

pub fn attr(h: &Handle, key: &str) -> Option<String> {
    match &h.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == key)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

pub fn attrs(h: &Handle) -> Vec<(String, String)> {
    match &h.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .map(|a| (a.name.local.to_string(), a.value.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn classes(h: &Handle) -> Vec<String> {
    attr(h, "class")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The text content of a node.
pub fn text(h: &Handle) -> String {
    let mut s = String::new();
    fn walk(h: &Handle, s: &mut String) {
        if let NodeData::Text { contents } = &h.data {
            s.push_str(&contents.borrow());
        }
        for c in h.children.borrow().iter() {
            walk(c, s);
        }
    }
    walk(h, &mut s);
    s
}

pub fn by_name(page: &Page, n: &str) -> Vec<Handle> {
    all(page).into_iter().filter(|h| name(h) == n).collect()
}

/// The structural and safety checks every page must pass: no parse
/// error, the CSP meta, nothing that runs or loads, unique ids, internal
/// links that land, every SVG titled, severity never told by colour alone.
pub fn check_page(html: &str, what: &str) -> Page {
    let page = parse(html);
    assert!(
        page.errors.is_empty(),
        "{what}: HTML parse errors: {:?}",
        page.errors
    );
    let els = all(&page);
    let metas: Vec<_> = els
        .iter()
        .filter(|e| {
            name(e) == "meta" && attr(e, "http-equiv").as_deref() == Some("Content-Security-Policy")
        })
        .collect();
    assert_eq!(metas.len(), 1, "{what}: one CSP meta");
    assert_eq!(
        attr(metas[0], "content").as_deref(),
        Some("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
        "{what}: the CSP"
    );
    let mut ids = std::collections::HashSet::new();
    for e in &els {
        let n = name(e);
        assert!(
            !matches!(
                n.as_str(),
                "script"
                    | "img"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "link"
                    | "form"
                    | "base"
                    | "video"
                    | "audio"
                    | "image"
                    | "use"
                    | "foreignObject"
                    | "foreignobject"
            ),
            "{what}: a <{n}> element"
        );
        for (k, v) in attrs(e) {
            assert!(!k.starts_with("on"), "{what}: an event attribute {k}={v}");
            if k == "href" {
                assert!(
                    v.starts_with('#')
                        || (v.ends_with(".html") && !v.contains(':') && !v.contains('/')),
                    "{what}: a link out of the page: {v}"
                );
            }
            if k == "src" || k == "xlink:href" || k == "action" {
                panic!("{what}: {k}={v}");
            }
            if k == "style" {
                assert!(!v.contains("url("), "{what}: a style that loads: {v}");
            }
            if k == "id" {
                assert!(ids.insert(v.clone()), "{what}: duplicate id {v}");
            }
        }
    }
    for e in &els {
        if let Some(h) = attr(e, "href") {
            if let Some(id) = h.strip_prefix('#') {
                assert!(ids.contains(id), "{what}: link to a missing #{id}");
            }
        }
    }
    // Accessibility smoke: every SVG has a <title> as its first child.
    for svg in els.iter().filter(|e| name(e) == "svg") {
        let first = svg
            .children
            .borrow()
            .iter()
            .find(|c| matches!(c.data, NodeData::Element { .. }))
            .cloned();
        assert!(
            first
                .as_ref()
                .is_some_and(|t| name(t) == "title" && !text(t).trim().is_empty()),
            "{what}: an <svg> without a <title>"
        );
        if let Some(l) = attr(svg, "aria-labelledby") {
            assert!(ids.contains(&l), "{what}: aria-labelledby {l} missing");
        }
    }
    // Colour is never the only carrier of a severity: whatever is coloured
    // by a severity class says the severity in words.
    for e in &els {
        for c in classes(e) {
            let Some(sev) = c.strip_prefix("sev-") else {
                continue;
            };
            let word = match sev {
                "forged" => "FORGED",
                "warn" => "WARN",
                "info" => "INFO",
                "none" => "CLEAN",
                _ => panic!("{what}: unknown severity class {c}"),
            };
            let t = text(e);
            let has = t.to_uppercase().contains(word)
                || (sev == "warn" && t.contains("Warnings"))
                || (sev == "info" && t.contains("Information"));
            assert!(
                has,
                "{what}: <{} class={c}> says no severity: {t:?}",
                name(e)
            );
        }
    }
    page
}

/// A message whose Subject, From, HELO, Message-ID, To and Received
/// fields carry markup, event handlers, `javascript:` URLs, CSS escapes
/// and URLs to `http://127.0.0.1:{port}/...` (a listener the browser test
/// runs: a request to it means something loaded).
pub fn hostile(port: u16) -> String {
    let u = format!("http://127.0.0.1:{port}");
    format!(
        "Received: from relay.evil.test (relay.evil.test [203.0.113.9]) by inbox.example.org with ESMTP id A1 for <x@example.org>; Mon, 1 Dec 2025 10:00:02 +0000\r\n\
Received: from javascript:document.title='PWNED-helo' (\"><img/src={u}/rdns/onerror=document.title='PWNED-rdns'> [198.51.100.7]) by relay.evil.test with SMTP id B2; Mon, 1 Dec 2025 10:00:01 +0000\r\n\
Received: from <script>document.title='PWNED-raw'</script>\"><img src={u}/raw onerror=document.title='PWNED-raw2'> by a'><svg/onload=document.title='PWNED-by'>.test with SMTP; Mon, 1 Dec 2025 10:00:00 +0000\r\n\
From: \"\\\"><img src={u}/from onerror=document.title='PWNED-from'>\" <a@evil.test>\r\n\
Subject: <script>document.title='PWNED-subject'</script></style><style>body{{background:url({u}/css)}}</style> \\3c script\\3e javascript:document.title='x' {u}/url\r\n\
Message-ID: <\"><svg onload=document.title='PWNED-mid'>@evil.test>\r\n\
To: <javascript:document.title='PWNED-to'>\r\n\
Date: Mon, 1 Dec 2025 09:59:59 +0000\r\n\
\r\n\
<html><body><img src=\"{u}/body\"><a href=\"javascript:alert(1)\">x</a></body></html>\r\n"
    )
}

/// The text of a page's <title>.
pub fn title_of(html: &str) -> String {
    by_name(&parse(html), "title")
        .first()
        .map(text)
        .unwrap_or_default()
}
