//! A tolerant tokenizer for Received headers.
//!
//! mail-parser's own Received tokenizer drops what it does not know (unknown
//! `with` values, bracketed literals without a name, qmail comments), so we
//! split the unfolded text ourselves. Nothing here can fail: unbalanced
//! brackets run to the end of the text, and the token count is capped.

/// Hostile headers cannot make us hold more tokens than this.
pub(super) const MAX_TOKENS: usize = 512;

/// One lexical piece of a Received header, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    /// A run of characters up to whitespace or a delimiter.
    Word(&'a str),
    /// The inside of `( ... )`, nested comments included.
    Comment(&'a str),
    /// The inside of `[ ... ]`.
    Literal(&'a str),
    /// The inside of `< ... >`.
    Angle(&'a str),
    /// The inside of `" ... "`.
    Quoted(&'a str),
    /// A `;` outside comments: the date follows the last one.
    Semi,
}

/// A token and where it starts in the text (a byte offset).
#[derive(Debug, Clone, Copy)]
pub(super) struct Spanned<'a> {
    pub tok: Tok<'a>,
    pub start: usize,
    /// Whitespace came right before this token.
    pub spaced: bool,
}

/// Split `text` into tokens (at most [`MAX_TOKENS`]).
pub(super) fn tokenize(text: &str) -> Vec<Spanned<'_>> {
    let bytes = text.as_bytes();
    // A typical header has 15-40 tokens: skip the small reallocations.
    let mut out = Vec::with_capacity(48);
    let mut pos = 0;
    let mut spaced = true;
    while pos < bytes.len() && out.len() < MAX_TOKENS {
        let b = bytes[pos];
        if b.is_ascii_whitespace() || b == b',' {
            spaced = true;
            pos += 1;
            continue;
        }
        let start = pos;
        let tok = match b {
            b'(' => {
                let end = comment_end(bytes, pos);
                pos = (end + 1).min(bytes.len());
                Tok::Comment(&text[start + 1..end])
            }
            b'[' | b'<' | b'"' => {
                let close = match b {
                    b'[' => b']',
                    b'<' => b'>',
                    _ => b'"',
                };
                let end = memchr::memchr(close, &bytes[pos + 1..])
                    .map(|i| pos + 1 + i)
                    .unwrap_or(bytes.len());
                let inner = &text[start + 1..end];
                // `[` opening text with brackets or parentheses inside is no
                // literal (`evil\x1b[31m (x [1.2.3.4])`): skip the `[` alone.
                if b == b'[' && inner.bytes().any(|c| matches!(c, b'(' | b')' | b'[')) {
                    pos += 1;
                    spaced = true;
                    continue;
                }
                pos = (end + 1).min(bytes.len());
                match b {
                    b'[' => Tok::Literal(inner),
                    b'<' => Tok::Angle(inner),
                    _ => Tok::Quoted(inner),
                }
            }
            b';' => {
                pos += 1;
                Tok::Semi
            }
            b')' | b']' | b'>' => {
                // A stray closer: skip it.
                pos += 1;
                spaced = true;
                continue;
            }
            _ => {
                while pos < bytes.len() && !is_delim(bytes[pos]) {
                    pos += 1;
                }
                Tok::Word(&text[start..pos])
            }
        };
        out.push(Spanned { tok, start, spaced });
        spaced = false;
    }
    out
}

/// Whitespace and the bytes that open or close a token, as a table: the
/// word loop runs once per byte of every Received header.
fn is_delim(b: u8) -> bool {
    static DELIM: [bool; 256] = {
        let mut t = [false; 256];
        let delims = b" \t\n\x0c\r()[]<>;,\"";
        let mut i = 0;
        while i < delims.len() {
            t[delims[i] as usize] = true;
            i += 1;
        }
        t
    };
    DELIM[b as usize]
}

/// The index of the `)` closing the comment opened at `open`, or the text's
/// length when it is never closed. Iterative, so nesting depth costs nothing.
fn comment_end(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut at = open;
    // From parenthesis to parenthesis (memchr), not byte by byte.
    while let Some(i) = memchr::memchr2(b'(', b')', &bytes[at..]) {
        let i = at + i;
        if bytes[i] == b'(' {
            depth += 1;
        } else {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
        at = i + 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok<'_>> {
        tokenize(s).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn splits_kinds() {
        assert_eq!(
            toks("from a (b [1.2.3.4] (may be forged)) by c; d"),
            vec![
                Tok::Word("from"),
                Tok::Word("a"),
                Tok::Comment("b [1.2.3.4] (may be forged)"),
                Tok::Word("by"),
                Tok::Word("c"),
                Tok::Semi,
                Tok::Word("d"),
            ]
        );
        assert_eq!(
            toks("x(1.2.3.4)y"),
            vec![Tok::Word("x"), Tok::Comment("1.2.3.4"), Tok::Word("y")]
        );
    }

    #[test]
    fn unbalanced_runs_to_end() {
        assert_eq!(
            toks("from (a (b"),
            vec![Tok::Word("from"), Tok::Comment("a (b")]
        );
        assert_eq!(
            toks("from [1.2"),
            vec![Tok::Word("from"), Tok::Literal("1.2")]
        );
        assert_eq!(toks(")) ]x"), vec![Tok::Word("x")]);
    }

    #[test]
    fn delimiters() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'(' | b')' | b'[' | b']' | b'<' | b'>' | b';' | b',' | b'"'
                );
            assert_eq!(is_delim(b), expected, "byte {b}");
        }
    }

    #[test]
    fn token_count_is_capped() {
        let long = "a ".repeat(10_000);
        assert_eq!(tokenize(&long).len(), MAX_TOKENS);
    }
}
