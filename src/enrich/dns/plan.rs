//! Which questions a message needs, in two rounds (round 2 follows the PTR
//! and DNSBL answers of round 1), capped per message. Pure: no I/O.

use super::names::{dnsbl_name, host_name, reverse_name};
use crate::chain::trust::{classify, IpClass};
use crate::chain::Traced;
use crate::model::{Answer, Outcome, Question, RType};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Questions per message at most, both rounds together. A normal message
/// needs about 20; 5,000 Received headers must not mean 15,000 queries.
pub const MAX_QUESTIONS: usize = 64;
/// Round 1 may use this many, so round 2 (FCrDNS) always has room.
pub const ROUND1_MAX: usize = 48;
/// PTR names per address that are forward-checked.
pub const MAX_PTR_NAMES: usize = 3;

/// The answers a message got, by question.
pub type AnswerMap = HashMap<Question, Arc<Answer>>;

/// A round's questions (deduplicated, in priority order) and how many were
/// left out by the cap.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    pub questions: Vec<Question>,
    pub skipped: usize,
    cap: usize,
}

impl Plan {
    fn with_cap(cap: usize) -> Plan {
        Plan {
            questions: Vec::new(),
            skipped: 0,
            cap,
        }
    }

    fn ask(&mut self, name: &str, rtype: RType) {
        let q = Question::new(name, rtype);
        if self.questions.contains(&q) {
            return;
        }
        if self.questions.len() >= self.cap {
            self.skipped += 1;
        } else {
            self.questions.push(q);
        }
    }
}

/// The connecting IP of a hop, when it is a public address worth asking about.
pub fn public_ip(t: &Traced, hop: usize) -> Option<IpAddr> {
    let ip = t.hops.get(hop)?.from.ip?;
    (classify(ip) == IpClass::Public).then_some(ip)
}

/// The hops whose IPs go to the DNSBLs: the first untrusted relay and the
/// probable origin (once each).
pub fn dnsbl_targets(t: &Traced) -> Vec<(usize, IpAddr)> {
    let mut out: Vec<(usize, IpAddr)> = Vec::new();
    let hops = [
        t.chain.first_untrusted_relay.as_ref().map(|r| r.hop),
        t.chain.probable_origin.as_ref().map(|o| o.hop),
    ];
    for hop in hops.into_iter().flatten() {
        if let Some(ip) = public_ip(t, hop) {
            if !out.iter().any(|(_, i)| *i == ip) {
                out.push((hop, ip));
            }
        }
    }
    out
}

/// Round 1: DNSBL, then per hop (top down): the PTR, the HELO name's
/// address, and the `by` name of the custody link below it.
pub fn round1(t: &Traced, zones: &[String]) -> Plan {
    let mut plan = Plan::with_cap(ROUND1_MAX);
    for (_, ip) in dnsbl_targets(t) {
        for zone in zones {
            if let Some(name) = dnsbl_name(ip, zone) {
                plan.ask(&name, RType::A);
            }
        }
    }
    for hop in &t.hops {
        let Some(ip) = public_ip(t, hop.index) else {
            continue;
        };
        plan.ask(&reverse_name(ip), RType::PTR);
        if let Some(helo) = hop.from.helo.as_deref().and_then(host_name) {
            plan.ask(&helo, RType::address_for(ip));
        }
        for link in t.chain.custody.iter().filter(|l| l.upper == hop.index) {
            if let Some(by) = link.lower_by.as_deref().and_then(host_name) {
                plan.ask(&by, RType::address_for(ip));
            }
        }
    }
    plan
}

/// The PTR names of a hop that get a forward check (valid names only).
pub fn ptr_names_to_check(answers: &AnswerMap, ip: IpAddr) -> Vec<String> {
    let q = Question::new(&reverse_name(ip), RType::PTR);
    match answers.get(&q).map(|a| a.outcome()) {
        Some(Outcome::Found(names)) => names
            .iter()
            .filter_map(|n| host_name(n))
            .take(MAX_PTR_NAMES)
            .collect(),
        _ => Vec::new(),
    }
}

/// Round 2: the addresses of each PTR name (FCrDNS) and the TXT reason of
/// each DNSBL listing, within what is left of the message's budget.
pub fn round2(t: &Traced, zones: &[String], answers: &AnswerMap, asked: usize) -> Plan {
    let mut plan = Plan::with_cap(MAX_QUESTIONS.saturating_sub(asked));
    for hop in &t.hops {
        let Some(ip) = public_ip(t, hop.index) else {
            continue;
        };
        for name in ptr_names_to_check(answers, ip) {
            plan.ask(&name, RType::address_for(ip));
        }
    }
    for (_, ip) in dnsbl_targets(t) {
        for zone in zones {
            let Some(name) = dnsbl_name(ip, zone) else {
                continue;
            };
            let listed = answers
                .get(&Question::new(&name, RType::A))
                .is_some_and(|a| super::dnsbl::interpret(a).is_listed());
            if listed {
                plan.ask(&name, RType::TXT);
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::TraceOptions;
    use crate::input::reader::MessageReader;
    use crate::input::InputOptions;

    fn sample() -> Traced {
        let text = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/1999-berkeley.mbox"
        ))
        .unwrap();
        let mut opts = TraceOptions::default();
        opts.trust.add("169.229.0.0/16").unwrap();
        let msg = MessageReader::new(&text[..], "t", InputOptions::default())
            .next()
            .unwrap()
            .unwrap();
        crate::chain::walk(msg, &opts)
    }

    #[test]
    fn round1_asks_ptr_helo_and_by_names_top_down() {
        let t = sample();
        let names: Vec<String> = round1(&t, &[])
            .questions
            .iter()
            .map(|q| q.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "PTR 56.60.229.169.in-addr.arpa",
                "A cs2.cs.berkeley.edu",
                "PTR 4.220.46.197.in-addr.arpa",
                "A mail.everfaster.com",
                "PTR 7.1.6.217.in-addr.arpa",
                "A gate.hypermoon.com",
                "A server.big-hello.com",
                "PTR 16.9.88.221.in-addr.arpa",
                "A fritz.hotdogcity.com",
            ]
        );
        let with_bl = round1(&t, &["zen.example-bl.org".to_string()]);
        assert_eq!(
            with_bl.questions[..2]
                .iter()
                .map(|q| q.name.as_str())
                .collect::<Vec<_>>(),
            [
                "4.220.46.197.zen.example-bl.org",
                "7.1.6.217.zen.example-bl.org"
            ]
        );
    }

    #[test]
    fn round2_follows_ptr_answers_within_the_budget() {
        let t = sample();
        let ptr = Answer {
            question: Question::new("7.1.6.217.in-addr.arpa", RType::PTR),
            rcode: crate::model::Rcode::NoError,
            answers: vec!["pool37.qs4w.longlink.net".into(), "bad name!".into()],
            ttl: Some(60),
            when: String::new(),
            server: String::new(),
            error: None,
        };
        let mut answers = AnswerMap::new();
        answers.insert(ptr.question.clone(), Arc::new(ptr));
        let plan = round2(&t, &[], &answers, 9);
        assert_eq!(
            plan.questions,
            [Question::new("pool37.qs4w.longlink.net", RType::A)]
        );
        let full = round2(&t, &[], &answers, MAX_QUESTIONS);
        assert!(full.questions.is_empty());
        assert_eq!(full.skipped, 1);
    }
}
