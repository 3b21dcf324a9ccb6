//! The abuse stage's DNS: `abuse::DnsLookup` over our evidence, and the
//! batch step that finds each message's abuse contacts.
//!
//! The abuse rules ask one question at a time (a sync trait, each question
//! may depend on the last answer). To ask a whole batch concurrently, the
//! step runs them in rounds: every message's rules run against the answers
//! known so far, each unknown question is noted and answered as "pending";
//! then all noted questions of the batch are asked at once through the
//! run's [`DnsClient`] (cache, evidence). When a pass notes nothing, its
//! contacts are final and equal to asking one question at a time. The
//! questions of that pass join the message's `dns.answers`, so
//! `--dns-replay` reproduces the contacts.

use super::client::DnsClient;
use crate::chain::trust::TrustConfig;
use crate::chain::Traced;
use crate::enrich::abuse::facts::AbuseConfig;
use crate::enrich::abuse::rdap::{Rdap, RdapConfig};
use crate::enrich::abuse::{self, DnsAnswer, DnsLookup, RecordType};
use crate::model::MessageDns;
use crate::model::{Answer, Question, RType};
use futures_util::future::join_all;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the abuse stage needs besides DNS.
#[derive(Debug, Clone, Default)]
pub struct AbuseOptions {
    /// The run's trust (the abuse rules never name a trusted sender).
    pub trust: TrustConfig,
    pub config: AbuseConfig,
    /// Ask the regional registries too (`--rdap`).
    pub rdap: Option<RdapConfig>,
}

fn rtype(t: RecordType) -> RType {
    match t {
        RecordType::A => RType::A,
        RecordType::Aaaa => RType::AAAA,
        RecordType::Mx => RType::MX,
        RecordType::Txt => RType::TXT,
        RecordType::Ptr => RType::PTR,
    }
}

/// A lookup over known answers that notes the questions it cannot answer.
struct Known<'a> {
    answers: &'a HashMap<Question, Arc<Answer>>,
    /// Every question asked, in order (answered or not).
    asked: RefCell<Vec<Question>>,
    missing: RefCell<Vec<Question>>,
}

impl<'a> Known<'a> {
    fn new(answers: &'a HashMap<Question, Arc<Answer>>) -> Known<'a> {
        Known {
            answers,
            asked: RefCell::new(Vec::new()),
            missing: RefCell::new(Vec::new()),
        }
    }
}

impl DnsLookup for Known<'_> {
    fn lookup(&self, name: &str, t: RecordType) -> DnsAnswer {
        let q = Question::new(name, rtype(t));
        if !self.asked.borrow().contains(&q) {
            self.asked.borrow_mut().push(q.clone());
        }
        match self.answers.get(&q) {
            Some(a) => a.to_dns_answer(),
            None => {
                if !self.missing.borrow().contains(&q) {
                    self.missing.borrow_mut().push(q);
                }
                DnsAnswer::Failed("pending".into())
            }
        }
    }
}

/// Find the abuse contacts of every message of the batch that has DNS facts,
/// asking the batch's questions concurrently, round by round. The contacts
/// go into the message's `abuse_contacts`, the answers used into
/// `dns.answers`. With `rdap`, the registry's answer joins the final pass;
/// what it could not answer is returned, for stderr.
pub(crate) async fn contacts_for_batch(
    client: &DnsClient,
    batch: &mut [Traced],
    opts: &AbuseOptions,
    rdap: Option<&Rdap>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut rdap_due: Vec<usize> = Vec::new();
    let mut known: HashMap<Question, Arc<Answer>> = HashMap::new();
    let mut pending: Vec<usize> = (0..batch.len())
        .filter(|&i| batch[i].dns.is_some())
        .collect();
    // Each round answers at least the first unknown question of every
    // pending message, and `abuse::gather` caps the questions per message,
    // so this ends; the bound is a second guard.
    for _ in 0..=crate::enrich::abuse::facts::MAX_QUESTIONS + 1 {
        if pending.is_empty() {
            break;
        }
        let mut wanted: Vec<Question> = Vec::new();
        let mut seen: HashSet<Question> = HashSet::new();
        let mut still = Vec::new();
        for &i in &pending {
            let t = &batch[i];
            let lookup = Known::new(&known);
            let contacts = abuse::find(t, &opts.trust, &lookup, &opts.config);
            let missing = lookup.missing.into_inner();
            if missing.is_empty() {
                // Final: every DNS answer is known. With RDAP the contacts
                // are found again below, the registries asked for the whole
                // batch at once.
                if rdap.is_some() {
                    rdap_due.push(i);
                }
                let asked = lookup.asked.into_inner();
                if let Some(d) = batch[i].dns.as_mut() {
                    record(d, &asked, &known);
                }
                batch[i].abuse_contacts = contacts;
            } else {
                for q in missing {
                    if seen.insert(q.clone()) {
                        wanted.push(q);
                    }
                }
                still.push(i);
            }
        }
        pending = still;
        let got = join_all(wanted.iter().map(|q| client.lookup(&q.name, q.rtype))).await;
        known.extend(wanted.into_iter().zip(got));
    }
    if let Some(r) = rdap {
        // `known` only grew since these messages were final: their DNS
        // facts are the same, now with the registries' answers.
        let known = &known;
        let found = join_all(rdap_due.iter().map(|&i| {
            let t = &batch[i];
            async move {
                let lookup = Known::new(known);
                abuse::find_with_rdap(t, &opts.trust, &lookup, &opts.config, r).await
            }
        }))
        .await;
        for (&i, (contacts, w)) in rdap_due.iter().zip(found) {
            batch[i].abuse_contacts = contacts;
            warnings.extend(w);
        }
    }
    warnings
}

/// Add the answers the abuse rules used to the message's evidence (once).
fn record(d: &mut MessageDns, asked: &[Question], known: &HashMap<Question, Arc<Answer>>) {
    for q in asked {
        let Some(a) = known.get(q) else { continue };
        if a.is_evidence() && !d.answers.iter().any(|x| x.question == *q) {
            d.answers.push(a.as_ref().clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{self, TraceOptions};
    use crate::enrich::dns::replay::Recording;
    use crate::input::{self, InputOptions};
    use crate::model::Rcode;

    fn answer(name: &str, rtype: RType, records: &[&str]) -> Answer {
        Answer {
            question: Question::new(name, rtype),
            rcode: if records.is_empty() {
                Rcode::NxDomain
            } else {
                Rcode::NoError
            },
            answers: records.iter().map(|r| r.to_string()).collect(),
            ttl: Some(60),
            when: "2026-11-26T00:00:00Z".into(),
            server: "fixture".into(),
            error: None,
        }
    }

    /// The rounds give what one question at a time gives, over the same
    /// answers (a recording: no network), and record what they used.
    #[test]
    fn rounds_equal_one_question_at_a_time() {
        let answers = vec![
            answer(
                "4.220.46.197.in-addr.arpa",
                RType::PTR,
                &["mail.everfaster.com"],
            ),
            answer("mail.everfaster.com", RType::A, &["197.46.220.4"]),
            answer("everfaster.com", RType::MX, &["10 mx.everfaster.com."]),
            answer(
                "7.1.6.217.in-addr.arpa",
                RType::PTR,
                &["pool37.qs4w.longlink.net"],
            ),
            answer("pool37.qs4w.longlink.net", RType::A, &[]),
            answer("longlink.net", RType::MX, &["10 mail.longlink.net."]),
            answer(
                "4.220.46.197.abuse-contacts.abusix.zone",
                RType::TXT,
                &["abuse@transit-noc.net"],
            ),
        ];
        let json = serde_json::json!({"dns": {"answers": answers}});
        let recording = Recording::parse(&json.to_string()).unwrap();
        let client = DnsClient::replay(recording.clone());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/1999-berkeley.mbox");
        let msg = input::open(path, &InputOptions::default())
            .next()
            .unwrap()
            .unwrap();
        let mut opts = TraceOptions::default();
        opts.trust.add("169.229.0.0/16").unwrap();
        let abuse = AbuseOptions {
            trust: opts.trust.clone(),
            config: AbuseConfig::default(),
            rdap: None,
        };
        let mut batch = vec![chain::walk(msg, &opts), chain::walk(msg_copy(path), &opts)];
        for t in &mut batch {
            t.dns = Some(MessageDns::default());
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(contacts_for_batch(&client, &mut batch, &abuse, None));

        // One question at a time, straight from the recording.
        struct Sequential(Recording);
        impl DnsLookup for Sequential {
            fn lookup(&self, name: &str, t: RecordType) -> DnsAnswer {
                self.0
                    .answer(&Question::new(name, rtype(t)))
                    .to_dns_answer()
            }
        }
        let want = abuse::find(
            &batch[0],
            &abuse.trust,
            &Sequential(recording),
            &abuse.config,
        );
        let addrs: Vec<&str> = want.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "abuse@transit-noc.net",
                "abuse@everfaster.com",
                "postmaster@everfaster.com",
                "abuse@longlink.net"
            ]
        );
        for t in &batch {
            let d = t.dns.as_ref().unwrap();
            assert_eq!(t.abuse_contacts, want);
            // The evidence: what the contacts rest on, once each; an
            // unrecorded question is not evidence.
            let q = Question::new("everfaster.com", RType::MX);
            assert_eq!(d.answers.iter().filter(|a| a.question == q).count(), 1);
            assert!(d.answers.iter().all(|a| a.is_evidence()));
            let again = Recorded::of(Some(d));
            let from_report = abuse::find(t, &abuse.trust, &again, &abuse.config);
            assert_eq!(from_report, want);
        }
        // Offline (no DNS facts): left alone.
        let mut offline = vec![chain::walk(msg_copy(path), &opts)];
        rt.block_on(contacts_for_batch(&client, &mut offline, &abuse, None));
        assert!(offline[0].dns.is_none());
    }

    /// The answers a finished report recorded, as a lookup: a question not in
    /// the recording fails (it is never asked).
    struct Recorded {
        answers: HashMap<Question, Answer>,
    }

    impl Recorded {
        fn of(dns: Option<&MessageDns>) -> Recorded {
            let answers = dns
                .map(|d| {
                    d.answers
                        .iter()
                        .map(|a| (a.question.clone(), a.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Recorded { answers }
        }
    }

    impl DnsLookup for Recorded {
        fn lookup(&self, name: &str, t: RecordType) -> DnsAnswer {
            match self.answers.get(&Question::new(name, rtype(t))) {
                Some(a) => a.to_dns_answer(),
                None => DnsAnswer::Failed("not in the report's DNS answers".into()),
            }
        }
    }

    fn msg_copy(path: &str) -> crate::input::RawMessage {
        input::open(path, &InputOptions::default())
            .next()
            .unwrap()
            .unwrap()
    }
}
