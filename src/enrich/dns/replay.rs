//! `--dns-replay`: the answers recorded in an earlier JSON report (one
//! object, an array of them, or NDJSON), served without any network.

use super::DnsSetupError;
use crate::model::{Answer, Question, Rcode};
use std::collections::HashMap;
use std::path::Path;

/// Text that is no JSON report (nor NDJSON of reports).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}not a JSON report: {error}", line.map(|n| format!("line {n}: ")).unwrap_or_default())]
pub struct NotAReport {
    /// The NDJSON line that failed, when the text was read line by line.
    pub line: Option<usize>,
    pub error: String,
}

/// The answers of one or more reports, by question.
#[derive(Debug, Default, Clone)]
pub struct Recording {
    answers: HashMap<Question, Answer>,
}

impl Recording {
    /// Read a report file written by `spamtrace trace --json` or `--format ndjson`.
    pub fn load(path: &Path) -> Result<Recording, DnsSetupError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| DnsSetupError::ReadRecording {
                path: path.to_path_buf(),
                source,
            })?;
        Recording::parse(&text).map_err(|reason| DnsSetupError::BadRecording {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parse report JSON: an object, an array, or one object per line.
    pub fn parse(text: &str) -> Result<Recording, NotAReport> {
        let mut rec = Recording::default();
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => rec.add_value(&v),
            Err(whole) => {
                for (n, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                        if n == 0 {
                            NotAReport {
                                line: None,
                                error: whole.to_string(),
                            }
                        } else {
                            NotAReport {
                                line: Some(n + 1),
                                error: e.to_string(),
                            }
                        }
                    })?;
                    rec.add_value(&v);
                }
            }
        }
        Ok(rec)
    }

    fn add_value(&mut self, v: &serde_json::Value) {
        match v {
            serde_json::Value::Array(items) => items.iter().for_each(|i| self.add_value(i)),
            serde_json::Value::Object(_) => {
                let Some(answers) = v.pointer("/dns/answers").and_then(|a| a.as_array()) else {
                    return;
                };
                for a in answers {
                    // An entry we cannot read is left out: its question is then unknown.
                    if let Ok(a) = serde_json::from_value::<Answer>(a.clone()) {
                        if a.is_evidence() {
                            self.answers.entry(a.question.clone()).or_insert(a);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub fn len(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The recorded answer, or an UNRECORDED one: never a lookup.
    pub fn answer(&self, q: &Question) -> Answer {
        self.answers.get(q).cloned().unwrap_or_else(|| Answer {
            question: q.clone(),
            rcode: Rcode::Unrecorded,
            answers: Vec::new(),
            ttl: None,
            when: String::new(),
            server: "replay".into(),
            error: Some("not in the recording".into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RType;

    const ONE: &str = r#"{"schema":"spamtrace/1","dns":{"answers":[
        {"name":"7.1.6.217.in-addr.arpa","type":"PTR","rcode":"NOERROR",
         "answers":["pool37.qs4w.longlink.net"],"ttl":3600,
         "when":"2026-11-26T05:00:00Z","server":"127.0.0.1:53"}]}}"#;

    #[test]
    fn reads_object_array_and_ndjson() {
        let q = Question::new("7.1.6.217.in-addr.arpa", RType::PTR);
        let flat = ONE.replace('\n', " ");
        for text in [
            ONE.to_string(),
            format!("[{ONE},{ONE}]"),
            format!("{flat}\n{flat}\n"),
        ] {
            let rec = Recording::parse(&text).unwrap();
            assert_eq!(rec.len(), 1);
            assert_eq!(rec.answer(&q).answers, vec!["pool37.qs4w.longlink.net"]);
        }
        let missing = Recording::parse(ONE)
            .unwrap()
            .answer(&Question::new("x.example.org", RType::A));
        assert_eq!(missing.rcode, Rcode::Unrecorded);
        assert!(Recording::parse("not json").is_err());
    }
}
