//! One message parsed and its chain walked: everything before enrichment.
//! The enrich stage reads a [`Traced`] (the questions to ask) and adds its
//! evidence to it; the report stage turns it into the report.

use super::trust::TrustConfig;
use super::Chain;
use crate::input::RawMessage;
use crate::model::{AbuseContact, Hop, MessageDns, MessageSummary};
use crate::parse::{self, headers, message};

/// Settings for the analysis of every message of a run.
#[derive(Debug, Clone, Default)]
pub struct TraceOptions {
    pub trust: TrustConfig,
    /// Infer trust in the receiver's own domain when `trust` is empty.
    pub infer_trust: bool,
    /// The time of the analysis (Unix seconds); fixed by tests.
    pub now: i64,
    /// Walk the body (MIME parts, URLs, attachments) when it was kept
    /// (off with `--headers-only`).
    pub bodies: bool,
    /// Look up the contacts for the advertised sites (`--site-contacts`,
    /// `complain --sites`); offline the report says they were not.
    pub site_contacts: bool,
}

/// A message parsed and its chain walked, with what enrichment added.
#[derive(Debug, Clone)]
pub struct Traced {
    pub msg: RawMessage,
    pub hops: Vec<Hop>,
    pub chain: Chain,
    pub summary: MessageSummary,
    /// Received headers past [`parse::MAX_HOPS`], not parsed.
    pub skipped_hops: usize,
    /// DNS facts and evidence, filled by the DNS enricher (`None` offline).
    pub dns: Option<MessageDns>,
    /// Abuse contacts, filled by the enrich stage (empty offline).
    pub abuse_contacts: Vec<AbuseContact>,
    /// Who owns each public hop address, filled by the enrich stage (DNS
    /// or MaxMind-format databases; empty offline).
    pub asn: Vec<crate::model::HopAsn>,
    /// What the body holds (MIME parts, URLs, attachments), when
    /// [`TraceOptions::bodies`] and the body was kept: known before
    /// enrichment, so the enrich stage can look up the advertised sites.
    pub body: Option<crate::model::Body>,
    /// Contacts for the advertised sites, filled by the enrich stage when
    /// asked (`TraceOptions::site_contacts`).
    pub site_contacts: Option<crate::model::SiteContacts>,
    /// Where the header fields of `msg.header` are: split once, in [`walk`].
    spans: Vec<headers::FieldSpan>,
}

impl Traced {
    /// The message's header fields (split once, when it was parsed).
    pub fn fields(&self) -> Vec<headers::Field<'_>> {
        headers::fields_at(&self.msg.header, &self.spans)
    }
}

/// Parse the headers and walk the chain (pure, CPU only).
pub fn walk(msg: RawMessage, opts: &TraceOptions) -> Traced {
    let spans = headers::spans(&msg.header);
    let fields = headers::fields_at(&msg.header, &spans);
    let (mut hops, skipped_hops) = parse::hops(&fields);
    let envelope_from = msg.envelope.as_ref().map(|e| e.sender.as_str());
    let summary = message::summarize(&fields, envelope_from);
    let chain = super::analyze(&hops, &opts.trust, opts.infer_trust);
    if let Some(b) = chain.boundary {
        for h in hops.iter_mut().take(b + 1) {
            h.trusted = true;
        }
    }
    drop(fields);
    let body = opts
        .bodies
        .then(|| crate::input::unwrap::whole(&msg))
        .flatten()
        .map(|bytes| parse::mime::analyze(&bytes, &Default::default()));
    Traced {
        body,
        msg,
        hops,
        chain,
        summary,
        skipped_hops,
        dns: None,
        abuse_contacts: Vec::new(),
        site_contacts: None,
        asn: Vec::new(),
        spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::InputOptions;

    #[test]
    fn fields_are_the_split_made_once() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/1999-berkeley.mbox");
        let msg = crate::input::open(path, &InputOptions::default())
            .next()
            .unwrap()
            .unwrap();
        let direct: Vec<(String, Vec<u8>)> = headers::fields(&msg.header)
            .iter()
            .map(|f| (f.name.to_string(), f.value.to_vec()))
            .collect();
        let t = walk(msg, &TraceOptions::default());
        let kept: Vec<(String, Vec<u8>)> = t
            .fields()
            .iter()
            .map(|f| (f.name.to_string(), f.value.to_vec()))
            .collect();
        assert_eq!(kept, direct);
        assert_eq!(
            kept.iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("received"))
                .count(),
            t.hops.len()
        );
    }
}
