//! Message-IDs as RFC 5322 has them (`<left@right>`): split, bounded, and
//! the domain a DNS stage should ask about. The checks judge them
//! (checks::message_id); this module only reads them.

use super::headers::Field;
use crate::util::domain;

/// Longest Message-ID we analyse; longer ones are reported truncated.
const MAX_ID_LEN: usize = 998;

/// A Message-ID split as RFC 5322 has it: `<left@right>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MsgId {
    pub left: String,
    /// Lowercased, without a trailing dot.
    pub right: String,
}

/// Why a Message-ID is not `<left@right>`, or its parts.
pub(crate) fn parse(raw: &str) -> Result<MsgId, &'static str> {
    let s = raw.trim();
    let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) else {
        return Err("not enclosed in angle brackets");
    };
    if inner.contains(['<', '>']) {
        return Err("more than one pair of angle brackets");
    }
    if inner.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains spaces or control characters");
    }
    let quoted_left = inner.starts_with('"');
    let at_count = if quoted_left {
        // A quoted left side may hold an `@`; count only after the quotes.
        inner
            .rfind('"')
            .map(|q| inner[q..].matches('@').count())
            .unwrap_or(0)
    } else {
        inner.matches('@').count()
    };
    match at_count {
        0 => return Err("no @ between the left and right sides"),
        1 => {}
        _ => return Err("several @ signs"),
    }
    let Some((left, right)) = inner.rsplit_once('@') else {
        return Err("no @ between the left and right sides");
    };
    if left.is_empty() || left == "\"\"" {
        return Err("the left side is empty");
    }
    if right.is_empty() {
        return Err("the right side is empty");
    }
    Ok(MsgId {
        left: left.to_string(),
        right: right.trim_end_matches('.').to_ascii_lowercase(),
    })
}

/// Is the right side an address literal (`[192.0.2.1]`)?
pub(crate) fn is_literal(right: &str) -> bool {
    right.starts_with('[') && right.ends_with(']')
}

/// The Message-ID fields' texts, bounded.
pub(crate) fn id_texts(fields: &[Field]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| f.is("message-id"))
        .map(|f| {
            let mut t = f.text();
            if t.len() > MAX_ID_LEN {
                let mut cut = MAX_ID_LEN;
                while !t.is_char_boundary(cut) {
                    cut -= 1;
                }
                t.truncate(cut);
            }
            t
        })
        .collect()
}

/// The Message-ID domain a DNS stage should look up (MSGID_DOMAIN_NXDOMAIN):
/// a dotted right side that is not an address literal.
pub(crate) fn domain_to_check(fields: &[Field]) -> Option<String> {
    let first = id_texts(fields).into_iter().next()?;
    let id = parse(&first).ok()?;
    (!is_literal(&id.right) && domain::is_fqdn(&id.right)).then_some(id.right)
}
