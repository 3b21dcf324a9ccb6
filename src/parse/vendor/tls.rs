//! The TLS version and cipher a Received header records: Exchange
//! `(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)`,
//! sendmail and Gmail `version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384`,
//! Postfix `(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))`,
//! Exim `(TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256)` or `tls TLS_AES_256_GCM_SHA384`.

/// Every shape below names `tls`, `ssl` or `cipher` (any case): a header
/// without them records no TLS, and is not split into words.
static NAMES_TLS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?i-u)tls|ssl|cipher").expect("TLS words regex")
});

/// `(version, cipher)` as written, when the header records them.
pub fn tls(raw: &str) -> (Option<String>, Option<String>) {
    if !NAMES_TLS.is_match(raw) {
        return (None, None);
    }
    let clean = |s: &str| {
        let s: String = s
            .trim_matches(|c: char| c == ',' || c == ')' || c == '(' || c == ';')
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(80)
            .collect();
        (!s.is_empty()).then_some(s)
    };
    let words: Vec<&str> = crate::util::text::words(raw).take(200).collect();
    let (mut version, mut cipher) = (None, None);
    for (i, w) in words.iter().enumerate() {
        if let Some(v) = strip_ci(w, "version=").or_else(|| strip_ci(w, "(version=")) {
            if strip_ci(v, "tls").is_some() || strip_ci(v, "ssl").is_some() {
                version = version.or_else(|| clean(v));
            }
        } else if let Some(v) = strip_ci(w, "cipher=") {
            cipher = cipher.or_else(|| clean(v));
        } else if w.eq_ignore_ascii_case("(using") || w.eq_ignore_ascii_case("using") {
            if let Some(v) = words
                .get(i + 1)
                .filter(|v| strip_ci(v, "tls").is_some() || strip_ci(v, "ssl").is_some())
            {
                version = version.or_else(|| clean(v));
                if words
                    .get(i + 2)
                    .is_some_and(|w| w.eq_ignore_ascii_case("with"))
                    && words
                        .get(i + 3)
                        .is_some_and(|w| w.eq_ignore_ascii_case("cipher"))
                {
                    cipher = cipher.or_else(|| words.get(i + 4).and_then(|c| clean(c)));
                }
            }
        } else if w.eq_ignore_ascii_case("tls") && i > 0 && strip_ci(words[i - 1], "(tls").is_some()
        {
            cipher = cipher.or_else(|| words.get(i + 1).and_then(|c| clean(c)));
        } else if strip_ci(w, "(tls").is_some() || strip_ci(w, "(ssl").is_some() {
            // Exim: `(TLS1.2:CIPHER:256)` or `(TLS1.3)`.
            let inner = w.trim_start_matches('(').trim_end_matches([')', ',']);
            let mut parts = inner.split(':');
            if let Some(v) = parts.next() {
                version = version.or_else(|| clean(v));
            }
            if let Some(c) = parts.next() {
                cipher = cipher.or_else(|| clean(c));
            }
        }
    }
    (version, cipher)
}

/// `w` without the ASCII prefix `prefix` (any case), as written.
fn strip_ci<'a>(w: &'a str, prefix: &str) -> Option<&'a str> {
    let head = w.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &w[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::tls;

    #[test]
    fn tls_shapes() {
        let s = |a: &str, b: &str| (Some(a.to_string()), Some(b.to_string()));
        assert_eq!(
            tls("from a.example (10.0.0.1) by b.example (10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6838.28; Thu, 5 Oct 2023 16:19:53 +0000"),
            s("TLS1_2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
        );
        assert_eq!(
            tls("from mail.example (mail.example [192.0.2.1]) by mx.google.com with ESMTPS id x for <a@b>\r\n (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);"),
            s("TLS1_3", "TLS_AES_256_GCM_SHA384")
        );
        assert_eq!(
            tls("from a (a [192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) (No client certificate requested) by mx.example (Postfix)"),
            s("TLSv1.3", "TLS_AES_256_GCM_SHA384")
        );
        assert_eq!(
            tls("from [192.0.2.1] (helo=x) by y with esmtps (TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256) (Exim 4.92)"),
            s("TLS1.2", "ECDHE_RSA_AES_256_GCM_SHA384")
        );
        assert_eq!(
            tls("from x by y with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96)"),
            s("TLS1.3", "TLS_AES_256_GCM_SHA384")
        );
        assert_eq!(tls("from x by y with SMTP id 1"), (None, None));
    }
}
