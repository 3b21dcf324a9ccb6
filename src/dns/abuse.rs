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

use super::answer::{Answer, Outcome, Question, RType};
use super::client::DnsClient;
use super::facts::MessageDns;
use crate::abuse::facts::{AbuseConfig, MessageView};
use crate::abuse::{DnsAnswer, DnsLookup, RecordType};
use crate::pipeline::Traced;
use crate::trust::TrustConfig;
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

/// Our evidence record as the abuse stage reads it. A failure is never a
/// negative answer.
pub fn to_abuse_answer(a: &Answer) -> DnsAnswer {
    match a.outcome() {
        Outcome::Found(r) => DnsAnswer::Records(r.to_vec()),
        Outcome::NoData => DnsAnswer::NoRecords,
        Outcome::NxDomain => DnsAnswer::NxDomain,
        Outcome::Unknown => DnsAnswer::Failed(a.summary()),
    }
}

/// A lookup over known answers that notes the questions it cannot answer.
struct Known<'a> {
    answers: &'a HashMap<Question, Arc<Answer>>,
    /// Every question asked, in order (answered or not).
    asked: RefCell<Vec<Question>>,
    missing: RefCell<Vec<Question>>,
}

impl DnsLookup for Known<'_> {
    fn lookup(&self, name: &str, t: RecordType) -> DnsAnswer {
        let q = Question::new(name, rtype(t));
        if !self.asked.borrow().contains(&q) {
            self.asked.borrow_mut().push(q.clone());
        }
        match self.answers.get(&q) {
            Some(a) => to_abuse_answer(a),
            None => {
                if !self.missing.borrow().contains(&q) {
                    self.missing.borrow_mut().push(q);
                }
                DnsAnswer::Failed("pending".into())
            }
        }
    }
}

/// The answers a finished report recorded, as a lookup: a question not in
/// the recording fails (it is never asked). `complain --rdap` uses it to
/// recompute the contacts with RDAP from the same DNS evidence.
pub struct Recorded {
    answers: HashMap<Question, Answer>,
}

impl Recorded {
    pub fn of(dns: Option<&MessageDns>) -> Recorded {
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
            Some(a) => to_abuse_answer(a),
            None => DnsAnswer::Failed("not in the report's DNS answers".into()),
        }
    }
}

/// Find the abuse contacts of every message of the batch that has DNS facts,
/// asking the batch's questions concurrently, round by round. The contacts
/// go into `dns.abuse_contacts`, the answers used into `dns.answers`.
pub async fn contacts_for_batch(client: &DnsClient, batch: &mut [Traced], opts: &AbuseOptions) {
    let mut known: HashMap<Question, Arc<Answer>> = HashMap::new();
    let mut pending: Vec<usize> = (0..batch.len())
        .filter(|&i| batch[i].dns.is_some())
        .collect();
    // Each round answers at least the first unknown question of every
    // pending message, and `abuse::gather` caps the questions per message,
    // so this ends; the bound is a second guard.
    for _ in 0..=crate::abuse::facts::MAX_QUESTIONS + 1 {
        if pending.is_empty() {
            break;
        }
        let mut wanted: Vec<Question> = Vec::new();
        let mut seen: HashSet<Question> = HashSet::new();
        let mut still = Vec::new();
        for &i in &pending {
            let t = &batch[i];
            let lookup = Known {
                answers: &known,
                asked: RefCell::new(Vec::new()),
                missing: RefCell::new(Vec::new()),
            };
            let (contacts, _) = crate::abuse::find(
                &MessageView::of_traced(t),
                &opts.trust,
                &lookup,
                &opts.config,
                None,
            );
            let missing = lookup.missing.into_inner();
            if missing.is_empty() {
                let asked = lookup.asked.into_inner();
                if let Some(d) = batch[i].dns.as_mut() {
                    record(d, &asked, &known);
                    d.abuse_contacts = contacts;
                }
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
