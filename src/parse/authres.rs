//! Authentication-Results (RFC 8601) and Received-SPF (RFC 7208) header
//! values, read: the authserv-id and each method's result with its
//! properties. Whether a header is believed is the checks' business
//! (checks::auth_results).

/// At most this many results are kept per header.
const MAX_RESULTS: usize = 20;

/// Remove RFC 5322 comments (nested parentheses), keep quoted strings.
fn strip_comments(s: &str) -> String {
    // By bytes, copying each run outside comments whole: every character
    // that matters is ASCII, so a run never splits a UTF-8 sequence (one
    // push per character was 1.5% of a header-only trace).
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quoted, mut escaped) = (0u32, false, false);
    let mut run = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            b'\\' => escaped = true,
            b'"' if depth == 0 => quoted = !quoted,
            b'(' if !quoted => {
                if depth == 0 {
                    out.push_str(&s[run..i]);
                }
                depth = depth.saturating_add(1);
            }
            b')' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    run = i + 1;
                }
            }
            _ => {}
        }
    }
    if depth == 0 {
        out.push_str(&s[run..]);
    }
    out
}

/// One `method=result prop=value...` element: method, result, properties.
pub(crate) type ResInfo = (String, String, Vec<(String, String)>);

/// Parse an Authentication-Results value: the authserv-id and each
/// `method=result prop=value...` element.
pub(crate) fn parse_authentication_results(value: &str) -> (Option<String>, Vec<ResInfo>) {
    let clean = strip_comments(value);
    let mut parts = clean.split(';').peekable();
    // Exchange Online omits the authserv-id and starts with a result
    // (`spf=pass (sender IP is ...) smtp.mailfrom=...`): no id then.
    let id = match parts.peek() {
        Some(first) if !first.contains('=') => parts
            .next()
            .and_then(|p| p.split_whitespace().next())
            .map(|s| s.trim_end_matches('.').to_ascii_lowercase())
            .filter(|s| !s.is_empty()),
        _ => None,
    };
    let mut results = Vec::new();
    for part in parts.take(MAX_RESULTS) {
        let mut tokens = crate::util::text::words(part);
        let Some((method, result)) = tokens.next().and_then(|t| t.split_once('=')) else {
            continue;
        };
        let method = method.split('/').next().unwrap_or("").to_ascii_lowercase();
        let result = result.trim_matches('"').to_ascii_lowercase();
        let mut props = Vec::new();
        for t in tokens.take(20) {
            if let Some((k, v)) = t.split_once('=') {
                if k.contains('.') || k == "reason" {
                    props.push((k.to_ascii_lowercase(), v.trim_matches('"').to_string()));
                }
            }
        }
        results.push((method, result, props));
    }
    (id, results)
}

/// Parse a Received-SPF value: the result word and its `key=value` pairs.
pub(crate) fn parse_received_spf(value: &str) -> Option<(String, Vec<(String, String)>)> {
    let clean = strip_comments(value);
    let mut words = clean.split_whitespace();
    let result = words.next()?.to_ascii_lowercase();
    let known = [
        "pass",
        "fail",
        "softfail",
        "neutral",
        "none",
        "temperror",
        "permerror",
        "error",
        "unknown",
    ];
    if !known.contains(&result.as_str()) {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let props = rest
        .join(" ")
        .split(';')
        .filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .take(20)
        .collect();
    Some((result, props))
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn comments_go_quoted_strings_and_escapes_stay() {
        let cases = [
            (
                "spf=pass (sender ok) smtp.mailfrom=a.example",
                "spf=pass  smtp.mailfrom=a.example",
            ),
            ("a (one (two) one) b", "a  b"),
            (r#"x="(not a comment)" y"#, r#"x="(not a comment)" y"#),
            (r"a \(kept\) b", r"a \(kept\) b"),
            ("a (never closed", "a "),
            ("a ) b", "a ) b"),
            ("é (ü) ß", "é  ß"),
            (r"a (\) still inside) b", "a  b"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(strip_comments(input), want, "{input}");
        }
    }
}
