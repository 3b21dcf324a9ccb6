//! Many messages: the index (sortable without JavaScript), one file with
//! every section ([`HtmlWriter`]) or a folder of pages ([`HtmlDir`]).

use super::*;

/// One row of an index: what the table shows and sorts by.
#[derive(Debug, Clone)]
struct IndexRow {
    href: String,
    subject: String,
    from: String,
    date: String,
    date_key: String,
    relay: String,
    origin: String,
    worst: Option<Severity>,
    worst_code: String,
    findings: usize,
}

fn index_row(r: &Report, href: String) -> IndexRow {
    let worst = r.worst();
    let worst_code = r
        .findings
        .iter()
        .filter(|f| Some(f.severity) == worst)
        .map(|f| f.code.as_str())
        .next()
        .unwrap_or("")
        .to_string();
    IndexRow {
        href,
        subject: r
            .message
            .subject
            .clone()
            .unwrap_or_else(|| "(no subject)".into()),
        from: r.message.from.clone().unwrap_or_default(),
        date: r
            .message
            .date_utc
            .clone()
            .or_else(|| r.message.date.clone())
            .unwrap_or_default(),
        date_key: r.message.date_utc.clone().unwrap_or_default(),
        relay: r
            .first_untrusted_relay
            .as_ref()
            .map(|x| ip_name(x.ip, &x.rdns, &x.helo))
            .unwrap_or_default(),
        origin: r
            .probable_origin
            .as_ref()
            .map(|o| {
                format!(
                    "{} ({})",
                    ip_name(o.ip, &o.rdns, &o.helo),
                    o.confidence.as_str()
                )
            })
            .unwrap_or_default(),
        worst,
        worst_code,
        findings: r.findings.len(),
    }
}

/// The sort keys of the index, as CSS custom properties.
const SORTS: &[(&str, &str)] = &[
    ("input", "input order"),
    ("worst", "worst finding"),
    ("date", "date"),
    ("relay", "first untrusted relay"),
    ("origin", "origin"),
    ("subject", "message"),
];

/// The rank of every row by each key (ties keep input order).
fn ranks(rows: &[IndexRow]) -> Vec<Vec<usize>> {
    let mut out = vec![vec![0; SORTS.len()]; rows.len()];
    for (k, (key, _)) in SORTS.iter().enumerate() {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&rows[a], &rows[b]);
            match *key {
                "worst" => (y.worst, y.findings).cmp(&(x.worst, x.findings)),
                "date" => x.date_key.cmp(&y.date_key),
                "relay" => x.relay.cmp(&y.relay),
                "origin" => x.origin.cmp(&y.origin),
                "subject" => x.subject.to_lowercase().cmp(&y.subject.to_lowercase()),
                _ => std::cmp::Ordering::Equal,
            }
        });
        for (rank, i) in order.into_iter().enumerate() {
            out[i][k] = rank;
        }
    }
    out
}

fn index(out: &mut String, rows: &[IndexRow], errors: &[String]) {
    let _ = write!(
        out,
        "<section class=\"index\" id=\"index\" aria-labelledby=\"index-h\"><h1 id=\"index-h\">{} messages</h1>\n<div class=\"sortbar\"><span class=\"sortlabel\">Sort by</span>",
        rows.len()
    );
    for (i, (key, label)) in SORTS.iter().enumerate() {
        let _ = write!(
            out,
            "<input type=\"radio\" name=\"sort\" id=\"sort-{key}\" class=\"sort-{key}\"{}><label for=\"sort-{key}\">{label}</label>",
            if i == 0 { " checked" } else { "" }
        );
    }
    out.push_str("<div class=\"tablewrap\"><table class=\"idx\"><thead><tr><th scope=\"col\">#</th><th scope=\"col\">message</th><th scope=\"col\">date</th><th scope=\"col\">first untrusted relay</th><th scope=\"col\">origin</th><th scope=\"col\">worst finding</th></tr></thead><tbody>");
    let ranks = ranks(rows);
    for (n, (row, rk)) in rows.iter().zip(&ranks).enumerate() {
        let vars: Vec<String> = SORTS
            .iter()
            .zip(rk)
            .map(|((k, _), r)| format!("--{k}:{r}"))
            .collect();
        let _ = write!(
            out,
            "<tr style=\"{}\"><td data-label=\"#\">{}</td><td data-label=\"message\"><a href=\"{}\">{}</a><span class=\"from\">{}</span></td><td data-label=\"date\">{}</td><td data-label=\"relay\">{}</td><td data-label=\"origin\">{}</td><td data-label=\"worst\"><span class=\"badge sev-{}\">{}</span> {}</td></tr>",
            vars.join(";"),
            n + 1,
            esc(&row.href),
            esc(&row.subject),
            esc(&row.from),
            esc(&row.date),
            esc_or(Some(&row.relay), "-"),
            esc_or(Some(&row.origin), "-"),
            row.worst.map(|s| s.as_str()).unwrap_or("none"),
            sev_word(row.worst),
            if row.worst_code.is_empty() {
                String::new()
            } else {
                format!("<code>{}</code>", wbr(&row.worst_code))
            }
        );
    }
    out.push_str("</tbody></table></div></div>");
    if !errors.is_empty() {
        out.push_str("<p class=\"note-h\">Not read</p><ul class=\"errors\">");
        for e in errors {
            let _ = write!(out, "<li>{}</li>", esc(e));
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}

/// Many reports in one file: an index, then each message's section. The
/// sections wait in `spool` (a temporary file, say) so memory holds only
/// the index rows; one report gives the plain one-message page.
pub struct HtmlWriter<S: Read + Write + Seek> {
    spool: S,
    rows: Vec<IndexRow>,
    first_title: String,
    errors: Vec<String>,
}

impl<S: Read + Write + Seek> HtmlWriter<S> {
    pub fn new(spool: S) -> Self {
        HtmlWriter {
            spool,
            rows: Vec::new(),
            first_title: String::new(),
            errors: Vec::new(),
        }
    }

    pub fn push(&mut self, r: &Report) -> io::Result<()> {
        let n = self.rows.len();
        if n == 0 {
            self.first_title = page_title(r);
        }
        let mut s = String::new();
        section(&mut s, r, n, None);
        self.spool.write_all(s.as_bytes())?;
        self.rows.push(index_row(r, format!("#m{n}")));
        Ok(())
    }

    /// A message that could not be read: listed under the index.
    pub fn error(&mut self, text: &str) {
        self.errors.push(text.to_string());
    }

    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        let mut top = String::new();
        if self.rows.len() == 1 && self.errors.is_empty() {
            head(&mut top, &self.first_title);
            top.push_str("<main>");
        } else {
            head(
                &mut top,
                &format!("spamtrace report: {} messages", self.rows.len()),
            );
            top.push_str("<main>");
            index(&mut top, &self.rows, &self.errors);
        }
        out.write_all(top.as_bytes())?;
        self.spool.flush()?;
        self.spool.seek(SeekFrom::Start(0))?;
        io::copy(&mut self.spool, out)?;
        let mut end = String::from("</main>");
        foot(&mut end);
        out.write_all(end.as_bytes())
    }
}

/// `--html-dir DIR`: one file per message (`0001.html`, ...) and an
/// `index.html` linking to them.
pub struct HtmlDir {
    dir: PathBuf,
    rows: Vec<IndexRow>,
    errors: Vec<String>,
}

impl HtmlDir {
    /// Create `dir` when missing.
    pub fn create(dir: &Path) -> io::Result<HtmlDir> {
        std::fs::create_dir_all(dir)?;
        Ok(HtmlDir {
            dir: dir.to_path_buf(),
            rows: Vec::new(),
            errors: Vec::new(),
        })
    }

    /// The file name of message `n` (0-based).
    pub fn file_name(n: usize) -> String {
        format!("{:04}.html", n + 1)
    }

    pub fn push(&mut self, r: &Report) -> io::Result<()> {
        let n = self.rows.len();
        let name = Self::file_name(n);
        let mut page = String::new();
        head(&mut page, &page_title(r));
        page.push_str("<main>");
        section(&mut page, r, n, Some("index.html"));
        page.push_str("</main>");
        foot(&mut page);
        std::fs::write(self.dir.join(&name), page)?;
        self.rows.push(index_row(r, name));
        Ok(())
    }

    pub fn error(&mut self, text: &str) {
        self.errors.push(text.to_string());
    }

    /// Write `index.html`; returns its path.
    pub fn finish(self) -> io::Result<PathBuf> {
        let mut page = String::new();
        head(
            &mut page,
            &format!("spamtrace report: {} messages", self.rows.len()),
        );
        page.push_str("<main>");
        index(&mut page, &self.rows, &self.errors);
        page.push_str("</main>");
        foot(&mut page);
        let path = self.dir.join("index.html");
        std::fs::write(&path, page)?;
        Ok(path)
    }
}
