//! Escaping for HTML text and attribute values, and the text helpers the
//! page and the route share. Every string from the message goes through
//! [`esc`]: control characters and bidi overrides become visible `\u{..}`
//! escapes (util::sanitize), then `& < > " '` become character references,
//! so no value can open an element, close an attribute or reorder text.

use crate::util::sanitize::for_terminal;

/// Text safe in HTML text and in a double- or single-quoted attribute.
pub(super) fn esc(s: &str) -> String {
    let clean = for_terminal(s);
    let mut out = String::with_capacity(clean.len() + 8);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// [`esc`] of an optional value, or `fallback` (ours, not escaped).
pub(super) fn esc_or(s: Option<&str>, fallback: &str) -> String {
    match s {
        Some(v) if !v.is_empty() => esc(v),
        _ => fallback.to_string(),
    }
}

/// Split `text` into lines of at most `width` characters: at spaces first,
/// then a long word after `.`, `-`, `:`, `/` or `@`, and only as a last
/// resort inside a run of other characters. Nothing is dropped.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let wl = word.chars().count();
        let ll = line.chars().count();
        if ll > 0 && ll + 1 + wl <= width {
            line.push(' ');
            line.push_str(word);
            continue;
        }
        if ll > 0 {
            lines.push(std::mem::take(&mut line));
        }
        if wl <= width {
            line.push_str(word);
            continue;
        }
        // A long word: break after a separator where one is near the end.
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        while chars.len() - start > width {
            let end = start + width;
            let cut = (start + width / 2..end)
                .rev()
                .find(|&i| matches!(chars[i], '.' | '-' | ':' | '/' | '@' | '_' | ','))
                .map(|i| i + 1)
                .unwrap_or(end);
            lines.push(chars[start..cut].iter().collect());
            start = cut;
        }
        line = chars[start..].iter().collect();
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Cut `s` to `max` characters with an ellipsis (for one-line labels whose
/// full text is shown elsewhere on the page).
pub(super) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            esc("<script>\"x\"&'y'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(esc("a\u{202e}b\x1b"), "a\\u{202e}b\\u{1b}");
        assert_eq!(esc_or(None, "-"), "-");
    }

    #[test]
    fn wraps_without_losing_text() {
        let t = "pool37.qs4w.longlink.net.example.verylongname.org and more words";
        for w in [8, 12, 20, 40] {
            let lines = wrap(t, w);
            assert!(lines.iter().all(|l| l.chars().count() <= w), "{lines:?}");
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let want: String = t.chars().filter(|c| *c != ' ').collect();
            assert_eq!(joined, want);
        }
        assert_eq!(wrap("", 10), vec![String::new()]);
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
