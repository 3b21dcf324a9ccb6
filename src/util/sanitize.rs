//! A message is hostile input: its bytes never reach a terminal raw, and
//! never add a line to a header we write.
//!
//! One rule, [`is_unsafe`], says which characters never reach a terminal;
//! every writer to a terminal (the table, the complaint, stderr notices,
//! JSON and NDJSON, `complain --arf` on a terminal) goes through it.
//!
//! | characters                  | what they are                               |
//! |-----------------------------|---------------------------------------------|
//! | U+0000–U+001F (not `\n`)    | C0 controls: ESC starts CSI/OSC/DCS, BEL, CR, NUL |
//! | U+007F                      | DEL                                         |
//! | U+0080–U+009F               | C1 controls: U+009B is CSI, U+009D OSC, U+009C ST, U+0090 DCS |
//! | U+061C                      | Arabic letter mark (bidi)                   |
//! | U+200E, U+200F              | left-to-right / right-to-left mark (bidi)   |
//! | U+202A–U+202E               | bidi embeddings and overrides (LRE…RLO)     |
//! | U+2066–U+2069               | bidi isolates (LRI, RLI, FSI, PDI)          |
//! | U+2028, U+2029              | line and paragraph separators               |
//! | U+200B, U+2060, U+FEFF      | zero-width space, word joiner, BOM: hide text |
//!
//! In terminal text each is shown as `\u{..}` (tab becomes a space); in a
//! header we write it becomes a space; in JSON it is written as a `\uXXXX`
//! escape (the value is the same, the bytes on the terminal are safe).

/// Whether `c` must never reach a terminal raw (see the table above).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200b}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{2028}'
        | '\u{2029}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Text safe for a terminal: every character of [`is_unsafe`] shown as a
/// `\u{..}` escape; tabs become spaces.
pub fn for_terminal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_terminal(&mut out, s);
    out
}

fn push_terminal(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

/// Multi-line text safe for a terminal: each line through [`for_terminal`],
/// line breaks (LF, CRLF) kept as `\n`.
pub fn for_terminal_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, l) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        push_terminal(&mut out, l.strip_suffix('\r').unwrap_or(l));
    }
    out
}

/// Bytes safe for a terminal (`complain --arf` when stdout is one): the
/// bytes read as UTF-8 (invalid sequences shown as U+FFFD), then
/// [`for_terminal_lines`]. A file or a pipe gets the exact bytes instead.
pub fn bytes_for_terminal(b: &[u8]) -> String {
    for_terminal_lines(&String::from_utf8_lossy(b))
}

/// Whether `s` is safe for a terminal: no character of [`is_unsafe`]
/// except `\n`. What the tests and the fuzz targets assert.
pub fn is_terminal_safe(s: &str) -> bool {
    !s.chars().any(|c| c != '\n' && is_unsafe(c))
}

/// Text safe inside one header field we write: every character of
/// [`is_unsafe`], CR and LF included, replaced by a space, so no copied
/// value can start a new header or a MIME part.
pub fn for_header(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe(c) { ' ' } else { c })
        .collect()
}

/// A serde_json formatter that also escapes what serde_json leaves raw
/// (DEL, C1, the bidi and invisible characters of the table) as `\uXXXX`:
/// the JSON means the same and stays valid; a terminal showing it gets no
/// control sequence. Wraps the compact or the pretty formatter.
pub struct JsonEscaping<F>(pub F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for JsonEscaping<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // serde_json has escaped C0 already; the rest of the table is DEL or
        // non-ASCII, so an ASCII fragment without DEL (nearly all of them)
        // goes out whole. Both tests are word-at-a-time scans.
        let bytes = fragment.as_bytes();
        if bytes.is_ascii() && memchr::memchr(0x7f, bytes).is_none() {
            return w.write_all(bytes);
        }
        let first = bytes
            .iter()
            .position(|&b| !(0x20..0x7f).contains(&b))
            .unwrap_or(bytes.len());
        let mut start = 0;
        for (i, c) in fragment[first..].char_indices() {
            let i = first + i;
            if is_unsafe(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                // Every character of the table is in the BMP: one escape.
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
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

    #[test]
    fn every_row_of_the_table_is_escaped() {
        for c in [
            '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{9c}', '\u{9d}', '\u{61c}',
            '\u{200b}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{202e}',
            '\u{2060}', '\u{2066}', '\u{2069}', '\u{feff}',
        ] {
            let s = format!("a{c}b");
            assert!(!is_terminal_safe(&s), "{:x}", c as u32);
            assert!(is_terminal_safe(&for_terminal(&s)), "{:x}", c as u32);
            assert!(is_terminal_safe(&for_header(&s)), "{:x}", c as u32);
        }
        // Letters, accents, emoji joiners and CJK pass as they are.
        assert_eq!(
            for_terminal("françois 日本 👩\u{200d}💻"),
            "françois 日本 👩\u{200d}💻"
        );
    }

    #[test]
    fn json_escapes_c1_and_bidi_and_keeps_the_value() {
        let v = serde_json::json!({"s": "a\u{9b}31m\u{7f}\u{202e}\u{feff}é"});
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            JsonEscaping(serde_json::ser::CompactFormatter),
        );
        serde::Serialize::serialize(&v, &mut ser).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"s":"a\u009b31m\u007f\u202e\ufeffé"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
