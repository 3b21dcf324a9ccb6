//! Retry policy and reply classification: no I/O here.
//!
//! Postfix's defaults as the model: a message stays in the queue for
//! `maximal_queue_lifetime` (5 days); retries back off from
//! `minimal_backoff_time` (300 s) doubling to `maximal_backoff_time`
//! (4000 s).

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx after the data: the complaint was accepted.
    Sent(String),
    /// 4xx, a connection failure or a timeout: try again later.
    Retry(String),
    /// 5xx: never try again.
    Failed(String),
}

impl Outcome {
    /// From an SMTP reply code (and its text).
    pub fn from_code(code: u16, text: &str) -> Outcome {
        let reply = clean_reply(&format!("{code} {text}"));
        match code {
            200..=299 => Outcome::Sent(reply),
            500..=599 => Outcome::Failed(reply),
            _ => Outcome::Retry(reply),
        }
    }

    /// The reply or the reason, one line.
    pub fn reply(&self) -> &str {
        match self {
            Outcome::Sent(r) | Outcome::Retry(r) | Outcome::Failed(r) => r,
        }
    }
}

/// A reply as one printable ASCII line of at most 300 characters: a
/// server's text is hostile input too (it ends up in our files and on a
/// terminal).
pub fn clean_reply(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if out.len() > 300 {
        out.truncate(300);
    }
    out
}

/// When to try again, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Seconds before the first retry.
    pub min_backoff: u64,
    /// The longest wait between two attempts, in seconds.
    pub max_backoff: u64,
    /// Seconds after which an entry that still cannot be delivered fails.
    pub lifetime: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            min_backoff: 300,
            max_backoff: 4000,
            lifetime: 5 * 86_400,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt (1 = the first):
    /// min, 2 min, 4 min... up to max.
    pub fn backoff(&self, attempts: u32) -> u64 {
        let shift = attempts.saturating_sub(1).min(32);
        self.min_backoff
            .saturating_mul(1u64 << shift)
            .min(self.max_backoff.max(self.min_backoff))
    }

    /// After a retryable failure at `now` of an entry queued at `created`
    /// with `attempts` attempts so far: the next attempt's time, or `None`
    /// when the queue lifetime is over (the entry fails).
    pub fn next_try(&self, created: i64, now: i64, attempts: u32) -> Option<i64> {
        if now.saturating_sub(created) >= self.lifetime as i64 {
            return None;
        }
        Some(now.saturating_add(self.backoff(attempts) as i64))
    }
}

/// A duration: seconds (`30`, `1.5`) or with a unit (`500ms`, `90s`,
/// `10m`, `2h`, `5d`), to whole seconds rounded up (`ms` below one second
/// stays 0 only for `0`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = t.strip_suffix('d') {
        (n, 86_400.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is no duration (30, 1.5, 500ms, 10m, 2h, 5d)"))?;
    if !v.is_finite() || v < 0.0 || v * mult > 1e9 {
        return Err(format!("{s:?} is out of range"));
    }
    Ok(std::time::Duration::from_secs_f64(v * mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_classify_by_code() {
        assert!(matches!(Outcome::from_code(250, "ok"), Outcome::Sent(_)));
        assert!(matches!(
            Outcome::from_code(451, "later"),
            Outcome::Retry(_)
        ));
        assert_eq!(
            Outcome::from_code(550, "no\r\nsuch\x1b[31m user"),
            Outcome::Failed("550 no such [31m user".into())
        );
    }

    #[test]
    fn backoff_doubles_to_the_maximum_and_the_lifetime_ends_it() {
        let p = RetryPolicy::default();
        assert_eq!(
            (1..=6).map(|n| p.backoff(n)).collect::<Vec<_>>(),
            [300, 600, 1200, 2400, 4000, 4000]
        );
        assert_eq!(p.next_try(0, 100, 1), Some(400));
        assert_eq!(p.next_try(0, 5 * 86_400, 9), None);
        let zero = RetryPolicy {
            min_backoff: 0,
            max_backoff: 0,
            lifetime: 10,
        };
        assert_eq!(zero.next_try(0, 3, 40), Some(3));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5d").unwrap().as_secs(), 432_000);
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1").is_err());
    }
}
