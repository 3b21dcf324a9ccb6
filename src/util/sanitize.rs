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
pub const fn is_unsafe(c: char) -> bool {
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

/// How [`push_json_str`] writes each byte of UTF-8 text, derived from
/// [`is_unsafe`] when compiling: `0` as it is; `b'u'` as `\u00XX`; `b'"'`,
/// `b'\\'`, `b'b'`, `b't'`, `b'n'`, `b'f'`, `b'r'` as that letter after a
/// backslash (serde_json's short escapes); [`JSON_LEAD`] for the first byte
/// of a non-ASCII character that may be in the table: that character is
/// looked at whole.
static JSON_BYTES: [u8; 256] = json_bytes();
const JSON_LEAD: u8 = 1;

const fn json_bytes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0u32;
    while c < 0x80 {
        t[c as usize] = match c as u8 {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            0x0c => b'f',
            b'\r' => b'r',
            b if is_unsafe(b as char) => b'u',
            _ => 0,
        };
        c += 1;
    }
    // Every non-ASCII row of the table is in the BMP (a test checks it):
    // two or three UTF-8 bytes, the lead byte flagged.
    while c < 0x1_0000 {
        if let Some(ch) = char::from_u32(c) {
            if is_unsafe(ch) {
                let lead = if c < 0x800 {
                    0xc0 | (c >> 6)
                } else {
                    0xe0 | (c >> 12)
                };
                t[lead as usize] = JSON_LEAD;
            }
        }
        c += 1;
    }
    t
}

/// Whether any byte of the 8 in `w` may need a look: below 0x20, `"`, `\`,
/// DEL or above (non-ASCII). Never false for such a byte; may be true
/// beside one (a borrow or a carry), which only costs a look.
#[inline(always)]
fn word_needs_look(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * b'"' as u64);
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (ONES * b'\\' as u64);
    let backslash = b.wrapping_sub(ONES) & !b;
    let high = w.wrapping_add(ONES) | w;
    (control | quote | backslash | high) & HIGH != 0
}

#[inline(always)]
fn word_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(w)
}

#[inline(always)]
fn half_at(b: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[i..i + 4]);
    u32::from_le_bytes(w)
}

/// Where the first byte of `b` that may need a look can be (every byte
/// before it needs nothing), or `b.len()` when none does: 8 bytes at a
/// time, the tail as the last 8 (or 4) bytes, overlapping.
#[inline(always)]
fn clean_prefix(b: &[u8]) -> usize {
    let n = b.len();
    if n >= 8 {
        let mut i = 0;
        while i + 8 <= n {
            if word_needs_look(word_at(b, i)) {
                return i;
            }
            i += 8;
        }
        if i < n && word_needs_look(word_at(b, n - 8)) {
            return n - 8;
        }
        n
    } else if n >= 4 {
        // Both (overlapping) 4-byte halves in one word: the lanes are
        // tested alike, so one test covers both.
        let w = half_at(b, 0) as u64 | (half_at(b, n - 4) as u64) << 32;
        if word_needs_look(w) {
            0
        } else {
            n
        }
    } else {
        b.iter()
            .position(|&c| JSON_BYTES[c as usize] != 0)
            .unwrap_or(n)
    }
}

/// Whether the `'static` text (a field or variant name) needs no escape.
/// Inlined where the text is a constant, the loop folds to `true`.
#[inline(always)]
pub fn json_plain(s: &'static str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if JSON_BYTES[b[i] as usize] != 0 {
            return false;
        }
        i += 1;
    }
    true
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as the inside of a JSON string (no quotes): `"` and `\`
/// escaped, and every character of [`is_unsafe`]: the C0 controls as
/// serde_json writes them (`\n`, `\t`, ..., `\u001b`), the rest as `\uXXXX`;
/// everything else as it is. The same bytes as serde_json with
/// [`JsonEscaping`] (the unit tests compare them for every character).
/// Text that needs nothing (nearly all) is checked 8 bytes at a time and
/// copied whole.
#[inline]
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    let clean = clean_prefix(s.as_bytes());
    if clean == s.len() {
        out.extend_from_slice(s.as_bytes());
    } else {
        push_json_escaped(out, s, clean);
    }
}

/// [`push_json_str`] for text where a byte at or after `from` may need an
/// escape (none before it does).
#[inline(never)]
fn push_json_escaped(out: &mut Vec<u8>, s: &str, from: usize) {
    let b = s.as_bytes();
    let n = b.len();
    let mut start = 0;
    let mut i = from;
    while i < n {
        while i + 8 <= n && !word_needs_look(word_at(b, i)) {
            i += 8;
        }
        // Byte by byte over (about) the word that needs a look, or the
        // tail. `i` may be inside a character here, never at a lead byte
        // of one: continuation bytes are class 0.
        let end = n.min(i + 8);
        while i < end {
            let class = JSON_BYTES[b[i] as usize];
            if class == 0 {
                i += 1;
                continue;
            }
            if class == JSON_LEAD {
                let c = s[i..].chars().next().unwrap_or(' ');
                let len = c.len_utf8();
                if is_unsafe(c) {
                    out.extend_from_slice(&b[start..i]);
                    let c = c as usize;
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        HEX[c >> 12 & 0xf],
                        HEX[c >> 8 & 0xf],
                        HEX[c >> 4 & 0xf],
                        HEX[c & 0xf],
                    ]);
                    start = i + len;
                }
                i += len;
                continue;
            }
            out.extend_from_slice(&b[start..i]);
            if class == b'u' {
                let c = b[i] as usize;
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[c >> 4], HEX[c & 0xf]]);
            } else {
                out.extend_from_slice(&[b'\\', class]);
            }
            i += 1;
            start = i;
        }
    }
    out.extend_from_slice(&b[start..]);
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

    /// serde_json with [`JsonEscaping`]: what [`push_json_str`] must equal.
    fn serde_json_str(s: &str) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            JsonEscaping(serde_json::ser::CompactFormatter),
        );
        serde::Serialize::serialize(s, &mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn ours(s: &str) -> String {
        let mut out = b"\"".to_vec();
        push_json_str(&mut out, s);
        out.push(b'"');
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_strings_equal_serde_json_for_every_character() {
        // Every row of the table is in the BMP (one `\uXXXX` escape, and
        // the lead bytes json_bytes() flags cover them all).
        assert!((0x1_0000..=0x10_ffff)
            .filter_map(char::from_u32)
            .all(|c| !is_unsafe(c)));
        let chars: Vec<char> = (0..=0x10_ffff).filter_map(char::from_u32).collect();
        for chunk in chars.chunks(97) {
            let s: String = chunk.iter().collect();
            assert_eq!(ours(&s), serde_json_str(&s), "{:x}", chunk[0] as u32);
        }
        for &c in &chars {
            let s = format!("ab{c}cdefghi{c}");
            assert_eq!(ours(&s), serde_json_str(&s), "{:x}", c as u32);
        }
    }

    proptest::proptest! {
        #[test]
        fn json_strings_equal_serde_json(s in "(.|[\\x00-\\x20\\x7f-\\u{a0}\"\\\\\\u{2028}-\\u{202f}\\u{fefe}-\\u{feff}\\u{2060}-\\u{2069}])*") {
            proptest::prop_assert_eq!(ours(&s), serde_json_str(&s));
        }
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
