//! Small grammar for sentences the tool prints: `a`/`an`, plurals.

/// `an` before a word that starts with a vowel letter, `a` otherwise
/// (`an aol address`, `a hotmail address`, `an icloud address`).
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// `1 link`, `3 links`, `0 links` (regular plurals only).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_and_plurals() {
        assert_eq!(article("aol"), "an");
        assert_eq!(article("Outlook"), "an");
        assert_eq!(article("hotmail"), "a");
        assert_eq!(article(""), "a");
        assert_eq!(count(1, "link"), "1 link");
        assert_eq!(count(0, "link"), "0 links");
        assert_eq!(count(3, "finding"), "3 findings");
    }
}
