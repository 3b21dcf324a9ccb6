//! A message is hostile input: its bytes never reach a terminal raw, and
//! never add a line to a header we write.

/// Text safe for a terminal: control characters (C0, DEL, C1, and the
/// Unicode bidi overrides) shown as `\u{..}` escapes; tabs become spaces.
pub fn for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Multi-line text safe for a terminal: each line through [`for_terminal`],
/// line breaks (LF, CRLF) kept.
pub fn for_terminal_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| for_terminal(l.strip_suffix('\r').unwrap_or(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Text safe inside one header field we write: every control character,
/// CR and LF included, replaced by a space, so no copied value can start a
/// new header or a MIME part.
pub fn for_header(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls() {
        assert_eq!(for_terminal("a\x1b[31mb\r\n"), "a\\u{1b}[31mb\\u{d}\\u{a}");
        assert_eq!(for_terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(for_header("Subject\r\nBcc: x"), "Subject  Bcc: x");
        assert_eq!(
            for_terminal_lines("a\r\nb\x1b]0;t\x07\n"),
            "a\nb\\u{1b}]0;t\\u{7}\n"
        );
    }
}
