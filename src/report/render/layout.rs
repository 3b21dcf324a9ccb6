//! Line breaking for the table: text is cut only where a reader expects a
//! cut. Prose breaks at spaces; a word too long for its line (a host name,
//! an address, a Message-ID) breaks after a dot, a colon, an `@` or a `/`, so a
//! host name is split only at its dots and an IPv6 address only at its
//! colons; only a piece that alone is wider than the line (hostile input,
//! never a real name) is cut inside.
//!
//! Widths are terminal columns (`unicode-width`), of text that has already
//! been through the sanitiser.

use unicode_width::UnicodeWidthStr;

/// The terminal width of `s`.
pub(crate) fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// A piece wider than this does not make a column wider (it is cut
/// inside instead): a name's label is at most 63 octets, but a column
/// that wide would leave nothing for the others.
pub(crate) const MAX_PIECE: usize = 24;

/// The pieces of one word: cut after each `.`, `:`, `@` and `/`; an IPv4
/// address (bare, bracketed or with a trailing comma or parenthesis) is
/// one piece.
fn pieces(word: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let core = word.trim_matches(|c: char| !c.is_ascii_hexdigit() && c != '.' && c != ':');
    if core.parse::<std::net::Ipv4Addr>().is_ok() {
        out.push(word);
        return out;
    }
    let mut start = 0;
    for (i, c) in word.char_indices() {
        if matches!(c, '.' | ':' | '@' | '/') {
            let end = i + c.len_utf8();
            out.push(&word[start..end]);
            start = end;
        }
    }
    if start < word.len() {
        out.push(&word[start..]);
    }
    out
}

/// The narrowest column `text` fits in without a cut inside a piece
/// (pieces wider than [`MAX_PIECE`] count as that wide).
pub(crate) fn min_width(text: &str) -> usize {
    text.split(' ')
        .flat_map(pieces)
        .map(|p| width(p).min(MAX_PIECE))
        .max()
        .unwrap_or(0)
}

/// `text` on lines of at most `room` columns: words joined by a space while
/// they fit, a word wider than a line broken into its pieces, a piece wider
/// than a line cut at `room`.
pub(crate) fn wrap(text: &str, room: usize) -> Vec<String> {
    let room = room.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let w = width(word);
        let used = width(&line);
        if !line.is_empty() && used + 1 + w <= room {
            line.push(' ');
            line.push_str(word);
            continue;
        }
        if w <= room {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line.push_str(word);
            continue;
        }
        // Too wide for any line: its pieces, packed, after what the line
        // holds (when the first piece fits there).
        let mut first = true;
        for piece in pieces(word) {
            for part in cut(piece, room) {
                let used = width(&line);
                let sep = usize::from(first && !line.is_empty());
                if !line.is_empty() && used + sep + width(part) > room {
                    lines.push(std::mem::take(&mut line));
                } else if sep == 1 {
                    line.push(' ');
                }
                line.push_str(part);
                first = false;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A piece cut into parts of at most `room` columns (only when it is wider).
fn cut(piece: &str, room: usize) -> Vec<&str> {
    if width(piece) <= room {
        return vec![piece];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (i, c) in piece.char_indices() {
        let cw = UnicodeWidthStr::width(c.encode_utf8(&mut [0; 4]) as &str);
        if used + cw > room && i > start {
            out.push(&piece[start..i]);
            start = i;
            used = 0;
        }
        used += cw;
    }
    out.push(&piece[start..]);
    out
}

/// `lines`, each wrapped to `room`.
pub(crate) fn wrap_lines(lines: &[String], room: usize) -> Vec<String> {
    lines.iter().flat_map(|l| wrap(l, room)).collect()
}

/// A `label   value` block: the label padded to `label_width`, the value
/// wrapped to `width` with its continuation lines under its first.
pub(crate) fn labelled(label: &str, value: &str, label_width: usize, width: usize) -> String {
    let indent = label_width + 1;
    let room = width.saturating_sub(indent).max(20);
    let pad = label_width.saturating_sub(self::width(label));
    let mut out = format!("{label}{}", " ".repeat(pad));
    for (i, line) in wrap(value, room).iter().enumerate() {
        if i == 0 {
            out.push(' ');
        } else {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(line);
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fits(lines: &[String], room: usize) -> bool {
        lines.iter().all(|l| width(l) <= room)
    }

    #[test]
    fn host_names_break_only_after_a_dot() {
        let host = "mwh0epf000a6735.mail.protection.outlook.com";
        let lines = wrap(host, 22);
        assert_eq!(
            lines,
            vec!["mwh0epf000a6735.mail.", "protection.outlook.com"]
        );
        assert_eq!(
            wrap(host, 21),
            vec!["mwh0epf000a6735.mail.", "protection.outlook.", "com"]
        );
        assert!(lines.iter().take(lines.len() - 1).all(|l| l.ends_with('.')));
        assert_eq!(lines.concat(), host);
        let helo = "helo=mw2nam04ft023.eop-nam04.prod.protection.outlook.com";
        for room in 20..60 {
            let lines = wrap(helo, room);
            assert_eq!(lines.concat(), helo, "{room}");
            assert!(fits(&lines, room), "{room}: {lines:?}");
            for l in &lines[..lines.len() - 1] {
                assert!(l.ends_with('.'), "{room}: {lines:?}");
            }
        }
    }

    #[test]
    fn ipv6_breaks_only_after_a_colon() {
        let ip = "2603:10b6:303:dd:cafe::86";
        for room in 5..30 {
            let lines = wrap(ip, room);
            assert_eq!(lines.concat(), ip);
            assert!(fits(&lines, room));
            for l in &lines[..lines.len() - 1] {
                assert!(l.ends_with(':'), "{room}: {lines:?}");
            }
        }
    }

    #[test]
    fn prose_breaks_at_spaces() {
        let text = "with Microsoft SMTP Server (version=TLS1_2)";
        let lines = wrap(text, 16);
        assert_eq!(
            lines,
            vec!["with Microsoft", "SMTP Server", "(version=TLS1_2)"]
        );
        assert_eq!(min_width(text), 16);
        assert_eq!(min_width("mail-pl1-f176.google.com"), 14);
        assert_eq!(
            wrap("from 169.229.60.56 to", 14),
            vec!["from", "169.229.60.56", "to"]
        );
        assert_eq!(min_width("[169.229.60.56]"), 15);
    }

    #[test]
    fn a_piece_wider_than_the_line_is_cut() {
        let junk = "x".repeat(50);
        let lines = wrap(&junk, 20);
        assert_eq!(lines.concat(), junk);
        assert!(fits(&lines, 20));
        assert_eq!(min_width(&junk), MAX_PIECE);
    }

    #[test]
    fn labelled_aligns_continuations() {
        let s = labelled("Verdict", &"word ".repeat(30), 16, 60);
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].starts_with("Verdict          word"));
        assert!(lines[1..]
            .iter()
            .all(|l| l.starts_with(&" ".repeat(17)) && !l[17..].starts_with(' ')));
        assert!(lines.iter().all(|l| width(l) <= 60 && !l.ends_with(' ')));
    }
}
