//! The route as inline SVG: one box per hop, oldest (the origin end) at
//! the top and the recipient's mailbox at the bottom, arrows with the delay
//! between them, the trusted region shaded with its owner named, the trust
//! boundary as a line, the first untrusted relay and the probable origin
//! marked, broken custody links drawn broken in the forged colour and the
//! findings as badges on their hop. Long runs of hops of one operator are
//! folded into one box (the page lists them in a `<details>`).
//!
//! The drawing is laid out for a width (wide: desktop, narrow: phones):
//! text is set in a monospace face whose advance is 0.6 em, so lines are
//! wrapped to fit their box without font metrics.

use super::esc::{clip, esc, wrap};
use crate::model::{Finding, Hop, HopKind, HopVerdict, LinkDnsStatus, LinkStatus, Report};
use crate::model::{Resolution, Severity};
use crate::util::clock::human_duration;
use std::fmt::Write as _;

/// A layout: the drawing's width in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geo {
    pub(super) width: f64,
}

pub(super) const WIDE: Geo = Geo { width: 760.0 };
pub(super) const NARROW: Geo = Geo { width: 350.0 };

/// Chains longer than this have their long runs folded.
pub(super) const FOLD_OVER: usize = 12;
/// A run is folded only when it keeps at least this many hops out of view.
const FOLD_MIN: usize = 3;

const FONT: f64 = 12.5;
const CHAR: f64 = FONT * 0.6;
const TITLE_FONT: f64 = 14.5;
const TITLE_CHAR: f64 = TITLE_FONT * 0.6;
const PILL_FONT: f64 = 10.0;
const PILL_CHAR: f64 = PILL_FONT * 0.6;
const LINE: f64 = 17.0;
const PAD: f64 = 12.0;
const LABEL_W: f64 = 44.0;
const INSET: f64 = 10.0;

/// Where a hop's sender stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Zone {
    /// Inside the trusted region: the sender is one of our servers.
    Trusted,
    /// Below the boundary, reached through consistent or unknown links: a claim.
    Claimed,
    /// At or below the first broken custody link.
    Suspect,
}

impl Zone {
    fn class(self) -> &'static str {
        match self {
            Zone::Trusted => "trusted",
            Zone::Claimed => "claimed",
            Zone::Suspect => "suspect",
        }
    }
}

/// What the route needs to know about a report, computed once.
pub(super) struct Facts<'a> {
    pub(super) r: &'a Report,
    /// The boundary, when someone is on the other side of it.
    pub(super) boundary: Option<usize>,
    pub(super) first_break: Option<usize>,
    pub(super) owner: Option<String>,
}

impl<'a> Facts<'a> {
    pub(super) fn new(r: &'a Report) -> Facts<'a> {
        let boundary = r.first_untrusted_relay.as_ref().and(r.trust_boundary);
        let first_break = r
            .custody
            .iter()
            .find(|l| l.status == LinkStatus::Broken)
            .map(|l| l.lower);
        Facts {
            r,
            boundary,
            first_break,
            owner: region_owner(r),
        }
    }

    /// The zone of hop `i`'s sender.
    pub(super) fn zone(&self, i: usize) -> Zone {
        let trusted = match self.boundary {
            Some(b) => i < b,
            None => self.r.hops.get(i).is_some_and(|h| h.trusted),
        };
        if trusted {
            Zone::Trusted
        } else if self.first_break.is_some_and(|b| i >= b) {
            Zone::Suspect
        } else {
            Zone::Claimed
        }
    }

    fn is_relay(&self, i: usize) -> bool {
        self.r
            .first_untrusted_relay
            .as_ref()
            .is_some_and(|x| x.hop == i)
    }

    fn is_origin(&self, i: usize) -> bool {
        self.r.probable_origin.as_ref().is_some_and(|x| x.hop == i)
    }

    fn findings(&self, i: usize) -> impl Iterator<Item = &'a Finding> {
        self.r.findings.iter().filter(move |f| f.hop == Some(i))
    }

    /// A hop that must stay in view: the ends, the relay, the origin, the
    /// boundary's neighbour; at `level` 0 and 1 also either side of a
    /// broken link; at level 0 a hop with a forged finding.
    fn keep(&self, i: usize, level: u8) -> bool {
        let n = self.r.hops.len();
        i == 0
            || i + 1 == n
            || self.is_relay(i)
            || self.is_origin(i)
            || self.boundary.is_some_and(|b| i + 1 == b || i == b)
            || (level < 2
                && self
                    .r
                    .custody
                    .iter()
                    .any(|l| l.status == LinkStatus::Broken && (l.upper == i || l.lower == i)))
            || (level == 0 && self.findings(i).any(|f| f.severity == Severity::Forged))
    }
}

/// Who runs the trusted region, for its label: the registrable domain of
/// the trusted server that saw the first untrusted relay (else of the top
/// hop's receiver).
pub(super) fn region_owner(r: &Report) -> Option<String> {
    let by = |i: usize| r.hops.get(i).and_then(|h| h.by.as_deref());
    let name = r
        .first_untrusted_relay
        .as_ref()
        .and_then(|x| by(x.hop))
        .or_else(|| by(0))?;
    crate::util::domain::registrable(name).or_else(|| Some(name.to_ascii_lowercase()))
}

/// One element of the route, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Item {
    Hop(usize),
    /// Hops `newest..=oldest` folded into one box.
    Fold {
        newest: usize,
        oldest: usize,
    },
    Mailbox,
}

impl Item {
    /// The newest and the oldest hop in the item.
    fn span(self) -> Option<(usize, usize)> {
        match self {
            Item::Hop(i) => Some((i, i)),
            Item::Fold { newest, oldest } => Some((newest, oldest)),
            Item::Mailbox => None,
        }
    }
}

/// At most this many boxes: past it, folding goes further (a hostile
/// message may name a new host, or forge a finding, in each of hundreds
/// of headers): level 0 folds runs of one operator; level 1 runs in one
/// zone whoever runs them, forged findings too (their count stays on the
/// fold); level 2 also across broken links.
const MAX_ITEMS: usize = 40;

/// The route's elements, oldest first; `fold`: fold long runs.
pub(super) fn items(f: &Facts, fold: bool) -> Vec<Item> {
    let mut out = items_at(f, fold, 0);
    for level in 1..=2 {
        if out.len() <= MAX_ITEMS {
            break;
        }
        out = items_at(f, fold, level);
    }
    out
}

fn items_at(f: &Facts, fold: bool, level: u8) -> Vec<Item> {
    let n = f.r.hops.len();
    let mut out = Vec::new();
    let folding = fold && n > FOLD_OVER;
    let mut i = n;
    while i > 0 {
        i -= 1;
        if folding && !f.keep(i, level) {
            // The run of foldable hops from `i` towards hop 0, in one zone
            // and run by one operator.
            let zone = f.zone(i);
            let owner = operator(&f.r.hops[i]);
            let same = |k: usize| level > 0 || operator(&f.r.hops[k]) == owner;
            let mut j = i;
            while j > 0 && !f.keep(j - 1, level) && f.zone(j - 1) == zone && same(j - 1) {
                j -= 1;
            }
            if i - j + 1 >= FOLD_MIN {
                out.push(Item::Fold {
                    newest: j,
                    oldest: i,
                });
                i = j;
                continue;
            }
        }
        out.push(Item::Hop(i));
    }
    out.push(Item::Mailbox);
    out
}

/// The operator of a hop's receiver, for folding: its registrable domain.
fn operator(h: &Hop) -> Option<String> {
    h.by.as_deref().and_then(crate::util::domain::registrable)
}

/// The folds of a route (for the page's `<details>`).
pub(super) fn folds(items: &[Item]) -> Vec<(usize, usize)> {
    items
        .iter()
        .filter_map(|it| match *it {
            Item::Fold { newest, oldest } => Some((newest, oldest)),
            _ => None,
        })
        .collect()
}

/// A piece of text on one row of a box: a small label and its value.
struct Row {
    label: &'static str,
    value: String,
    class: &'static str,
}

fn row(label: &'static str, value: impl Into<String>, class: &'static str) -> Row {
    Row {
        label,
        value: value.into(),
        class,
    }
}

/// A pill or a badge: a rounded rectangle with text, maybe with a shape.
struct Tag {
    text: String,
    class: String,
    severity: Option<Severity>,
}

impl Tag {
    fn width(&self) -> f64 {
        let icon = if self.severity.is_some() { 14.0 } else { 0.0 };
        self.text.chars().count() as f64 * PILL_CHAR + 14.0 + icon
    }
}

/// The drawing of one route (or one fold's hops) at one width.
pub(super) struct Drawing {
    pub(super) svg: String,
}

/// Draw `items` of `f` at `geo`. `id` makes the SVG's title id unique.
pub(super) fn draw(f: &Facts, items: &[Item], geo: Geo, id: &str, caption: &str) -> Drawing {
    let w = geo.width;
    let region_x = 6.0;
    let region_w = w - 12.0;
    let box_x = region_x + INSET;
    let box_w = region_w - 2.0 * INSET;
    let value_chars = ((box_w - 2.0 * PAD - LABEL_W) / CHAR).floor() as usize;
    let title_chars = ((box_w - 2.0 * PAD) / TITLE_CHAR).floor() as usize;
    let mut body = String::new();
    let mut y = 8.0;
    let mut boundary_y: Option<f64> = None;
    // The region's label beside the boundary's, or below it when narrow.
    let owner = f.owner.as_deref().unwrap_or("your servers");
    let region_label = format!("TRUSTED REGION · {owner}");
    let label_room = ((w - box_x - 46.0 - 20.0) / PILL_CHAR) as usize;
    // The boundary's label ends near box_x + 46 + 14 chars (0.66 em with
    // its letter spacing); the region's is right-aligned at w - 16.
    let stacked = region_label.chars().count() as f64 * (PILL_CHAR + 0.4)
        > w - 16.0 - (box_x + 46.0 + 14.0 * (PILL_CHAR + 0.6)) - 14.0;
    let mut region_top: Option<f64> = None;
    // Everything trusted (no relay outside): the region from the top.
    if f.boundary.is_none() && f.r.hops.iter().all(|h| h.trusted) {
        region_top = Some(4.0);
        y = 26.0;
    }
    let mut bottom = y;
    for (k, item) in items.iter().enumerate() {
        // The box.
        let (rows, tags, head, title, class) = content(f, *item);
        let title_lines = wrap(&title, title_chars);
        let mut wrapped: Vec<(Option<&'static str>, String, &'static str)> = Vec::new();
        for r in &rows {
            for (n, l) in wrap(&r.value, value_chars).into_iter().enumerate() {
                wrapped.push(((n == 0).then_some(r.label), l, r.class));
            }
        }
        let tag_rows = flow(&tags, box_w - 2.0 * PAD);
        let head_h = 20.0;
        // The content first; the box's height is where it ended.
        let mut inner = String::new();
        // Head: the hop number, left; the role pills, right.
        let mut ty = y + PAD + 11.0;
        let _ = write!(
            inner,
            r#"<text class="hopno" x="{}" y="{ty}">{}</text>"#,
            box_x + PAD,
            esc(&head)
        );
        let head_tags: Vec<&Tag> = tags.iter().filter(|t| t.severity.is_none()).collect();
        let head_w: f64 = head_tags.iter().map(|t| t.width() + 6.0).sum();
        if head_w <= box_w - 2.0 * PAD - 64.0 {
            // Right-aligned beside the hop number.
            let mut px = box_x + box_w - PAD;
            for t in head_tags.iter().rev() {
                px -= t.width();
                pill(&mut inner, t, px, ty - 11.0);
                px -= 6.0;
            }
        } else {
            // Too wide beside it: one pill per row below it.
            for t in &head_tags {
                ty += 20.0;
                pill(&mut inner, t, box_x + PAD, ty - 11.0);
            }
        }
        ty += head_h - 2.0;
        for l in &title_lines {
            ty += TITLE_FONT - 2.0;
            let _ = write!(
                inner,
                r#"<text class="title" x="{}" y="{ty}">{}</text>"#,
                box_x + PAD,
                esc(l)
            );
            ty += 7.0;
        }
        ty += 2.0;
        for (label, value, class) in &wrapped {
            ty += LINE - 4.0;
            if let Some(label) = label {
                let _ = write!(
                    inner,
                    r#"<text class="lbl" x="{}" y="{ty}">{label}</text>"#,
                    box_x + PAD
                );
            }
            let _ = write!(
                inner,
                r#"<text class="val {class}" x="{}" y="{ty}">{}</text>"#,
                box_x + PAD + LABEL_W,
                esc(value)
            );
            ty += 4.0;
        }
        if !tag_rows.is_empty() {
            ty += 4.0;
        }
        for r in &tag_rows {
            let mut x = box_x + PAD;
            for t in r {
                pill(&mut inner, t, x, ty);
                x += t.width() + 6.0;
            }
            ty += 21.0;
        }
        let h = ty - y + PAD - if tag_rows.is_empty() { 2.0 } else { 5.0 };
        let _ = write!(
            body,
            r#"<g class="hop {class}"><rect class="box" x="{box_x}" y="{y}" width="{box_w}" height="{h}" rx="8"/>{inner}</g>"#
        );
        y += h;
        bottom = y;
        // The arrow to the next item, with the delay and the custody link.
        let Some(next) = items.get(k + 1) else { break };
        let arrow = arrow(f, *item, *next);
        let label_chars = ((box_w - 60.0) / CHAR).floor() as usize;
        let mut labels: Vec<(String, &'static str)> = Vec::new();
        if let Some(d) = &arrow.delay {
            labels.push((d.clone(), "delay"));
        }
        for l in wrap(&arrow.note, label_chars) {
            if !l.is_empty() {
                labels.push((l, arrow.class));
            }
        }
        let crosses = f
            .boundary
            .is_some_and(|b| item.span().is_some_and(|(newest, _)| newest == b));
        let labels_h = labels.len() as f64 * 15.0 + 6.0;
        let ax = box_x + 30.0;
        let y1 = y;
        let y2 = if crosses {
            let by = y1 + labels_h.max(14.0) + 8.0;
            boundary_y = Some(by);
            region_top = Some(by);
            by + if stacked { 42.0 } else { 28.0 }
        } else {
            y1 + (labels_h + 14.0).max(40.0)
        };
        if arrow.class == "broken" {
            let mid = y1 + (labels_h.max(30.0)) / 2.0 + 2.0;
            let _ = write!(
                body,
                r#"<g class="arrow broken"><line x1="{ax}" y1="{y1}" x2="{ax}" y2="{}"/><line x1="{ax}" y1="{}" x2="{ax}" y2="{}"/><path class="zig" d="M{} {} l5 -5 l6 10 l5 -5"/><path class="zig" d="M{} {} l5 -5 l6 10 l5 -5"/>"#,
                mid - 7.0,
                mid + 7.0,
                y2 - 7.0,
                ax - 8.0,
                mid - 7.0,
                ax - 8.0,
                mid + 7.0
            );
        } else {
            let _ = write!(
                body,
                r#"<g class="arrow {}"><line x1="{ax}" y1="{y1}" x2="{ax}" y2="{}"/>"#,
                arrow.class,
                y2 - 7.0
            );
        }
        let _ = write!(
            body,
            r#"<path class="head" d="M{} {} L{} {} L{ax} {y2} Z"/></g>"#,
            ax - 5.0,
            y2 - 8.0,
            ax + 5.0,
            y2 - 8.0
        );
        let mut ly = y1 + 6.0;
        for (l, class) in &labels {
            ly += 13.0;
            let _ = write!(
                body,
                r#"<text class="alabel {class}" x="{}" y="{ly}">{}</text>"#,
                ax + 16.0,
                esc(l)
            );
            ly += 2.0;
        }
        y = y2;
    }
    let height = bottom + 10.0;
    let mut svg = String::new();
    let title_id = format!("{id}-t");
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="route" viewBox="0 0 {w} {height}" width="{w}" height="{height}" role="img" aria-labelledby="{title_id}"><title id="{title_id}">{}</title>"#,
        esc(caption)
    );
    // The trusted region behind the boxes, with its owner named.
    if let Some(top) = region_top {
        let _ = write!(
            svg,
            r#"<rect class="region" x="{region_x}" y="{top}" width="{region_w}" height="{}" rx="10"/>"#,
            height - top - 4.0
        );
        let label = clip(&region_label, label_room);
        if stacked && boundary_y.is_some() {
            let _ = write!(
                svg,
                r#"<text class="region-label" x="{}" y="{}">{}</text>"#,
                box_x + 46.0,
                top + 30.0,
                esc(&label)
            );
        } else {
            let _ = write!(
                svg,
                r#"<text class="region-label" x="{}" y="{}" text-anchor="end">{}</text>"#,
                region_x + region_w - 10.0,
                top + 16.0,
                esc(&label)
            );
        }
    }
    if let Some(by) = boundary_y {
        let _ = write!(
            svg,
            r#"<line class="boundary" x1="2" y1="{by}" x2="{}" y2="{by}"/><text class="boundary-label" x="{}" y="{}">TRUST BOUNDARY</text>"#,
            w - 2.0,
            box_x + 46.0,
            by + 16.0
        );
    }
    svg.push_str(&body);
    svg.push_str("</svg>");
    Drawing { svg }
}

/// Lay tags out left to right in rows of at most `room` pixels.
fn flow(tags: &[Tag], room: f64) -> Vec<Vec<&Tag>> {
    let mut rows: Vec<Vec<&Tag>> = Vec::new();
    let mut used = 0.0;
    for t in tags.iter().filter(|t| t.severity.is_some()) {
        let w = t.width();
        match rows.last_mut() {
            Some(r) if used + w <= room => {
                r.push(t);
                used += w + 6.0;
            }
            _ => {
                rows.push(vec![t]);
                used = w + 6.0;
            }
        }
    }
    rows
}

/// A pill (role) or badge (finding, with its severity's shape).
fn pill(out: &mut String, t: &Tag, x: f64, y: f64) {
    let w = t.width();
    let _ = write!(
        out,
        r#"<g class="tag {}"><rect x="{x}" y="{y}" width="{w}" height="16" rx="8"/>"#,
        t.class
    );
    let mut tx = x + 7.0;
    if let Some(s) = t.severity {
        let (cx, cy) = (x + 10.0, y + 8.0);
        // The shape says the severity without colour: octagon, triangle, circle.
        match s {
            Severity::Forged => {
                let _ = write!(
                    out,
                    r#"<path class="icon" d="M{} {} l3 -3 l3 3 l-3 3 z M{} {} h6 M{} {} v6"/>"#,
                    cx - 3.0,
                    cy,
                    cx - 3.0,
                    cy,
                    cx,
                    cy - 3.0
                );
            }
            Severity::Warn => {
                let _ = write!(
                    out,
                    r#"<path class="icon" d="M{} {} l4 7 h-8 z"/>"#,
                    cx,
                    cy - 4.0
                );
            }
            Severity::Info => {
                let _ = write!(out, r#"<circle class="icon" cx="{cx}" cy="{cy}" r="3.5"/>"#);
            }
        }
        tx += 14.0;
    }
    let _ = write!(
        out,
        r#"<text x="{tx}" y="{}">{}</text></g>"#,
        y + 11.5,
        esc(&t.text)
    );
}

/// The arrow between two items: its style, the delay, what custody says.
struct Arrow {
    class: &'static str,
    delay: Option<String>,
    note: String,
}

fn arrow(f: &Facts, upper_item: Item, lower_item: Item) -> Arrow {
    let r = f.r;
    let (Some((older_newest, _)), Some((_, newer_oldest))) = (upper_item.span(), lower_item.span())
    else {
        let to = r
            .hops
            .first()
            .and_then(|h| h.for_.clone().or_else(|| r.message.to.clone()));
        return Arrow {
            class: "trusted",
            delay: None,
            note: match to {
                Some(t) => format!("delivered to the mailbox of {t}"),
                None => "delivered to the recipient's mailbox".into(),
            },
        };
    };
    // The link between hop `newer_oldest` (upper) and `older_newest` (lower).
    let (upper, lower) = (newer_oldest, older_newest);
    let ts = |i: usize| {
        r.hops
            .get(i)
            .and_then(|h| h.timestamp.as_ref())
            .map(|t| t.epoch)
    };
    let delay = match (ts(upper), ts(lower)) {
        (Some(a), Some(b)) if a < b => {
            Some(format!("−{} (time runs backwards)", human_duration(b - a)))
        }
        (Some(a), Some(b)) => Some(format!("+{}", human_duration(a - b))),
        _ => None,
    };
    let link = r
        .custody
        .iter()
        .find(|l| l.upper == upper && l.lower == lower);
    let dns = r.dns.as_ref().and_then(|d| {
        d.links
            .iter()
            .find(|l| l.upper == upper && l.lower == lower)
    });
    let dns_note = dns.map(|d| match d.status {
        LinkDnsStatus::Confirmed => format!("; DNS: {} resolves to {}", d.by, d.ip),
        LinkDnsStatus::Refuted => format!("; DNS: {} does not resolve to {}", d.by, d.ip),
        LinkDnsStatus::Unresolved => format!("; DNS: {} has no address", d.by),
        LinkDnsStatus::Unknown => String::new(),
    });
    let (class, note) = match link {
        Some(l) => match l.status {
            LinkStatus::Broken => (
                "broken",
                format!(
                    "CUSTODY BROKEN: hop {} was received by {}, but the sender above was {}",
                    l.lower,
                    l.lower_by.as_deref().unwrap_or("an unnamed host"),
                    if l.upper_names.is_empty() {
                        "unnamed".to_string()
                    } else {
                        l.upper_names.join(" / ")
                    }
                ),
            ),
            LinkStatus::Consistent => ("consistent", format!("custody consistent: {}", l.reason)),
            LinkStatus::Unknown => ("unknown", format!("custody unknown: {}", l.reason)),
        },
        None if f.zone(upper) == Zone::Trusted => ("trusted", String::new()),
        None => ("unknown", String::new()),
    };
    Arrow {
        class,
        delay,
        note: format!("{note}{}", dns_note.unwrap_or_default())
            .trim_start_matches("; ")
            .to_string(),
    }
}

/// The text of one box: rows, tags, head, title and CSS class.
fn content(f: &Facts, item: Item) -> (Vec<Row>, Vec<Tag>, String, String, String) {
    let r = f.r;
    match item {
        Item::Mailbox => {
            let by = r.hops.first().and_then(|h| h.by.clone());
            let mut rows = vec![];
            if let Some(to) = r
                .hops
                .first()
                .and_then(|h| h.for_.clone())
                .or_else(|| r.message.to.clone())
            {
                rows.push(row("FOR", to, ""));
            }
            let tags = vec![Tag {
                text: "RECIPIENT".into(),
                class: "role-mailbox".into(),
                severity: None,
            }];
            (
                rows,
                tags,
                "MAILBOX".into(),
                by.unwrap_or_else(|| "the recipient's server".into()),
                "mailbox trusted".into(),
            )
        }
        Item::Fold { newest, oldest } => {
            let zone = f.zone(oldest);
            let n = oldest - newest + 1;
            let ops: std::collections::BTreeSet<Option<String>> =
                (newest..=oldest).map(|i| operator(&r.hops[i])).collect();
            let op = match ops.iter().next() {
                Some(Some(o)) if ops.len() == 1 => o.clone(),
                _ if ops.len() > 1 => format!("{} operators", ops.len()),
                _ => "one operator".into(),
            };
            let mut rows = vec![row(
                "HOPS",
                format!(
                    "{n} hops ({oldest} to {newest}) {} {op}, folded: listed under the route",
                    if ops.len() > 1 { "of" } else { "inside" }
                ),
                "",
            )];
            let ts = |i: usize| r.hops[i].timestamp.as_ref().map(|t| t.epoch);
            if let (Some(a), Some(b)) = (ts(newest), ts(oldest)) {
                rows.push(row("TIME", format!("{} inside", human_duration(a - b)), ""));
            }
            let mut tags = vec![zone_tag(zone)];
            let mut counts = [0usize; 3];
            for f in r
                .findings
                .iter()
                .filter(|x| x.hop.is_some_and(|h| (newest..=oldest).contains(&h)))
            {
                counts[f.severity as usize] += 1;
            }
            for (s, c) in [Severity::Forged, Severity::Warn, Severity::Info]
                .into_iter()
                .map(|s| (s, counts[s as usize]))
            {
                if c > 0 {
                    tags.push(Tag {
                        text: format!("{} × {c}", s.as_str().to_uppercase()),
                        class: format!("sev-{}", s.as_str()),
                        severity: Some(s),
                    });
                }
            }
            (
                rows,
                tags,
                format!("HOPS {oldest}–{newest}"),
                if ops.len() > 1 {
                    format!("{n} hops of {op}")
                } else {
                    format!("{n} internal hops of {op}")
                },
                format!("fold {}", zone.class()),
            )
        }
        Item::Hop(i) => hop_content(f, i),
    }
}

fn zone_tag(zone: Zone) -> Tag {
    let text = match zone {
        Zone::Trusted => "TRUSTED",
        Zone::Claimed => "CLAIMED",
        Zone::Suspect => "SUSPECT: BELOW BROKEN LINK",
    };
    Tag {
        text: text.into(),
        class: format!("zone-{}", zone.class()),
        severity: None,
    }
}

fn hop_content(f: &Facts, i: usize) -> (Vec<Row>, Vec<Tag>, String, String, String) {
    let r = f.r;
    let h = &r.hops[i];
    let zone = f.zone(i);
    let dns = r
        .dns
        .as_ref()
        .and_then(|d| d.hops.iter().find(|x| x.hop == i));
    let mut tags = Vec::new();
    if f.is_relay(i) {
        tags.push(Tag {
            text: "FIRST UNTRUSTED RELAY".into(),
            class: "role-relay".into(),
            severity: None,
        });
    }
    if let Some(o) = r.probable_origin.as_ref().filter(|o| o.hop == i) {
        tags.push(Tag {
            text: format!("PROBABLE ORIGIN · {}", o.confidence.as_str().to_uppercase()),
            class: "role-origin".into(),
            severity: None,
        });
    }
    if tags.is_empty() {
        tags.push(zone_tag(zone));
    }
    // The sender's name: the rDNS its receiver recorded, else its HELO,
    // else the name the hop below gave its receiver.
    let below_by = r.hops.get(i + 1).and_then(|x| x.by.clone());
    let title = match h.kind {
        HopKind::Unparsed => "unparsed Received header".to_string(),
        HopKind::Local if h.from.helo.is_none() && h.from.rdns.is_none() && h.from.ip.is_none() => {
            match below_by.as_deref().or(h.by.as_deref()) {
                Some(b) => format!("local submission on {b}"),
                None => "local submission".to_string(),
            }
        }
        _ => h
            .from
            .rdns
            .clone()
            .or_else(|| h.from.helo.clone().filter(|x| !x.starts_with('[')))
            .or_else(|| h.from.ip.map(|ip| ip.to_string()))
            .or_else(|| h.from.helo.clone())
            .or_else(|| below_by.clone())
            .unwrap_or_else(|| "(unnamed sender)".into()),
    };
    let mut rows = Vec::new();
    match h.kind {
        HopKind::Unparsed => rows.push(row(
            "WHY",
            h.unparsed_reason.clone().unwrap_or_default(),
            "bad",
        )),
        HopKind::Local => rows.push(row(
            "LOCAL",
            match &below_by {
                Some(b) if h.from.helo.is_none() => {
                    format!("handed over without a network peer, on {b}")
                }
                _ => "handed over without a network peer".into(),
            },
            "",
        )),
        HopKind::NoIp => rows.push(row("IP", "not recorded by the receiver", "muted")),
        HopKind::Relay => {}
    }
    if let Some(ip) = h.from.ip {
        let note = if h.trusted {
            "seen by a trusted server: a fact"
        } else {
            "as the header claims"
        };
        rows.push(row("IP", format!("{ip}  ({note})"), ""));
    }
    if let Some(helo) = &h.from.helo {
        let check = dns
            .and_then(|d| d.helo.as_ref())
            .map(|hd| match hd.resolution {
                Resolution::Found if hd.matches_ip == Some(true) => {
                    " resolves to this IP".to_string()
                }
                Resolution::Found => format!(" resolves to {} only", hd.addresses.join(", ")),
                Resolution::Nxdomain => " does not exist (NXDOMAIN)".to_string(),
                Resolution::NoData => " has no address".to_string(),
                Resolution::Unknown => " unknown".to_string(),
            });
        let bad = dns.and_then(|d| d.helo.as_ref()).is_some_and(|hd| {
            hd.matches_ip == Some(false) || hd.resolution == Resolution::Nxdomain
        });
        rows.push(row(
            "HELO",
            format!(
                "{helo}  (claimed{})",
                check.map(|c| format!(";{c}")).unwrap_or_default()
            ),
            if bad { "bad" } else { "" },
        ));
    }
    if let Some(rdns) = &h.from.rdns {
        rows.push(row(
            "rDNS",
            format!("{rdns}  (looked up by the receiver)"),
            "",
        ));
    }
    if let Some(ident) = &h.from.ident {
        rows.push(row("USER", ident.clone(), ""));
    }
    if let Some(d) = dns {
        let ptr = if d.ptr_names.is_empty() {
            match d.ptr {
                Resolution::Nxdomain | Resolution::NoData => "no PTR".to_string(),
                _ => "PTR unknown".to_string(),
            }
        } else {
            format!("PTR {}", d.ptr_names.join(", "))
        };
        let class = match d.verdict {
            HopVerdict::Confirmed => "good",
            HopVerdict::Mismatch | HopVerdict::NoRdns => "bad",
            HopVerdict::Unknown => "muted",
        };
        rows.push(row(
            "DNS",
            format!("{ptr}: {}", verdict_words(d.verdict)),
            class,
        ));
    }
    // Who holds the sender's address (AS, country), when it was looked up.
    if let Some(label) = r.asn.iter().find(|a| a.hop == i).and_then(|a| a.label()) {
        rows.push(row("AS", label, ""));
    }
    let mut by = h.by.clone().unwrap_or_else(|| "?".into());
    if let Some(w) = &h.with {
        by.push_str(&format!(" · {w}"));
    }
    if h.tls {
        by.push_str(" · TLS");
    }
    if h.authenticated {
        by.push_str(" · authenticated");
    }
    rows.push(row("BY", by, ""));
    if let Some(t) = &h.timestamp {
        rows.push(row("AT", t.utc.replace('T', " ").replace('Z', " UTC"), ""));
    }
    for x in f.findings(i) {
        tags.push(Tag {
            text: format!("{} {}", x.severity.as_str().to_uppercase(), x.code.as_str()),
            class: format!("sev-{}", x.severity.as_str()),
            severity: Some(x.severity),
        });
    }
    let mut class = zone.class().to_string();
    if f.is_relay(i) {
        class.push_str(" relay");
    }
    if f.is_origin(i) {
        class.push_str(" origin");
    }
    (rows, tags, format!("HOP {i}"), title, class)
}

pub(super) fn verdict_words(v: HopVerdict) -> &'static str {
    match v {
        HopVerdict::Confirmed => "forward-confirmed",
        HopVerdict::Mismatch => "does NOT resolve back (mismatch)",
        HopVerdict::NoRdns => "no reverse DNS",
        HopVerdict::Unknown => "unknown",
    }
}
