//! Text scanning shared by the parsers.

/// The words of `s` between runs of whitespace: what `str::split_whitespace`
/// gives, faster on ASCII text (nearly all header text), where the
/// per-character Unicode whitespace test showed in profiles. ASCII text
/// without a vertical tab (whitespace to Unicode, not to
/// `u8::is_ascii_whitespace`) splits the same either way.
pub fn words(s: &str) -> Words<'_> {
    if s.is_ascii() && !s.as_bytes().contains(&0x0b) {
        Words::Ascii(s.split_ascii_whitespace())
    } else {
        Words::Unicode(s.split_whitespace())
    }
}

/// The iterator of [`words`].
pub enum Words<'a> {
    Ascii(std::str::SplitAsciiWhitespace<'a>),
    Unicode(std::str::SplitWhitespace<'a>),
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            Words::Ascii(w) => w.next(),
            Words::Unicode(w) => w.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn words_split_as_split_whitespace_does() {
        for s in [
            "",
            " ",
            "a",
            " a  b\tc\r\nd\x0ce ",
            "a\x0bb c",
            "from mx.example.org (mx [192.0.2.1])\r\n\tby mail.example.net",
            "caf\u{e9} \u{a0}nbsp\u{a0}x \u{2003}em\u{3000}wide",
            "\u{85}next-line\u{2028}sep",
        ] {
            assert_eq!(
                words(s).collect::<Vec<_>>(),
                s.split_whitespace().collect::<Vec<_>>(),
                "{s:?}"
            );
        }
    }
}
