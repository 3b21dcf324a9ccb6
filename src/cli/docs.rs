//! `spamtrace completions SHELL` and `spamtrace man`: the manual pages,
//! one for the command (spamtrace(1)) and one per subcommand
//! (spamtrace-trace(1)...), from the clap definitions (clap_mangen) with
//! the sections clap does not know: EXAMPLES (the README's, read from it
//! at build time), EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO, which
//! names only the pages written here.

use super::args::Cli;
use clap::CommandFactory;
use roff::{bold, italic, roman, Inline, Roff};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

pub(crate) fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    // Into a buffer first: clap_complete panics on a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "spamtrace", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("spamtrace: cannot write the completions: {e}");
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}

/// The README, for its examples.
const README: &str = include_str!("../../README.md");

/// The example lines of the README's "Using it" section (the indented
/// block of `spamtrace ...` lines): `(command, comment)`.
pub(crate) fn readme_examples() -> Vec<(String, String)> {
    README
        .split("\n## Using it\n")
        .nth(1)
        .unwrap_or("")
        .lines()
        .skip_while(|l| !l.starts_with("    "))
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .filter_map(|l| l.strip_prefix("    "))
        .map(|l| match l.split_once(" # ") {
            Some((c, why)) => (c.trim().to_string(), why.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .filter(|(c, _)| !c.is_empty())
        .collect()
}

/// The pages: `(name, command)`, the command's first.
fn pages() -> Vec<(String, clap::Command)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = vec![("spamtrace".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.push((format!("spamtrace-{}", sub.get_name()), sub.clone()));
    }
    out
}

/// A section heading.
fn section(r: &mut Roff, name: &str) {
    r.control("SH", [name]);
}

/// An indented paragraph with a tag: `.TP`, the tag, the text.
fn item(r: &mut Roff, tag: Vec<Inline>, text: &str) {
    r.control("TP", []);
    r.text(tag);
    r.text([roman(text)]);
}

fn paragraph(r: &mut Roff, text: &str) {
    r.control("PP", []);
    r.text([roman(text)]);
}

/// The README's examples that use `sub` (all of them on the main page).
fn examples(r: &mut Roff, sub: Option<&str>) {
    let wanted: Vec<(String, String)> = readme_examples()
        .into_iter()
        .filter(|(c, _)| {
            sub.is_none_or(|s| {
                c.split_whitespace()
                    .skip_while(|w| *w != "spamtrace")
                    .nth(1)
                    == Some(s)
            })
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    section(r, "EXAMPLES");
    for (cmd, why) in wanted {
        r.control("TP", []);
        r.text([bold(cmd)]);
        let why = if why.is_empty() {
            String::new()
        } else {
            let mut w = why.clone();
            if let Some(first) = w.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            format!("{w}.")
        };
        r.text([roman(why)]);
    }
    if sub.is_none_or(|s| s == "complain") {
        paragraph(
            r,
            "sendmail -t takes the recipients from the report's To and Cc; -i keeps a line \
             holding a lone dot (possible in a message quoted with --include-body) from \
             ending the message early; -f sets the envelope sender, so that bounces come \
             back to you.",
        );
    }
}

fn exit_status(r: &mut Roff, sub: Option<&str>) {
    section(r, "EXIT STATUS");
    match sub {
        Some("capture") => {
            item(r, vec![bold("0")], "Stopped cleanly (SIGINT or SIGTERM).");
            item(
                r,
                vec![bold("1")],
                "The address could not be listened on, or the store could not be written.",
            );
        }
        Some("queue") => {
            item(
                r,
                vec![bold("0")],
                "Done: every due entry was attempted (some may wait for a retry, see queue list).",
            );
            item(
                r,
                vec![bold("1")],
                "The queue folder could not be read or written, another run holds it, or an \
                 entry named does not exist.",
            );
        }
        Some("completions" | "man") => {
            item(r, vec![bold("0")], "Written.");
            item(r, vec![bold("1")], "The output could not be written.");
        }
        Some("complain") => {
            item(r, vec![bold("0")], "The report was written.");
            item(r, vec![bold("1")], "The message could not be read.");
            item(
                r,
                vec![bold("2")],
                "A usage error; also when no recipient was found and no --to or --cc was \
                 given (nothing is written then, so that sendmail -t is not handed a \
                 message without recipients).",
            );
            return;
        }
        _ => {
            item(
                r,
                vec![bold("0")],
                "Every input was analysed. A finding, even a forged one, is not an error.",
            );
            item(
                r,
                vec![bold("1")],
                "Some input could not be read (it is named on standard error; the rest is \
                 still analysed), or the output could not be written.",
            );
        }
    }
    item(
        r,
        vec![bold("2")],
        "A usage error: an unknown flag, a bad value, a bad configuration file.",
    );
}

fn environment(r: &mut Roff, sub: Option<&str>) {
    if matches!(sub, Some("completions" | "man")) {
        return;
    }
    section(r, "ENVIRONMENT");
    item(
        r,
        vec![bold("NO_COLOR")],
        "When set and not empty, the table has no colour (unless --color always).",
    );
    item(
        r,
        vec![bold("XDG_CONFIG_HOME")],
        "Where the configuration file is looked for (see FILES); ~/.config when unset.",
    );
    if sub.is_none_or(|s| s == "trace") {
        item(
            r,
            vec![bold("COLUMNS")],
            "The width of the table when standard output is not a terminal (default 100).",
        );
    }
    if sub.is_none_or(|s| s == "complain") {
        item(
            r,
            vec![bold("SPAMTRACE_REPORTER")],
            "The reporter's address, as --reporter.",
        );
        item(
            r,
            vec![bold("SPAMTRACE_REDACT_KEY")],
            "The secret for --redact, as --redact-key.",
        );
    }
}

fn files(r: &mut Roff, sub: Option<&str>) {
    if matches!(sub, Some("completions" | "man")) {
        return;
    }
    section(r, "FILES");
    item(
        r,
        vec![italic("$XDG_CONFIG_HOME/spamtrace/config.toml")],
        "The configuration file (another with --config FILE), TOML with the keys trusted, \
         authserv_id, dns_server and dnsbl, each a list of strings, with the meaning of the \
         flags of the same name: --trusted, --authserv-id and --dnsbl add to the file's \
         lists, --dns-server replaces its list; we, a string; rdap_bootstrap and \
         rdap_dns_bootstrap, strings, used when --rdap-bootstrap and --rdap-dns-bootstrap \
         are not given. An unknown key is an error.",
    );
}

fn see_also(r: &mut Roff, this: &str, names: &[String]) {
    section(r, "SEE ALSO");
    // No hyphenation inside the page names.
    r.control("nh", []);
    let others: Vec<&String> = names.iter().filter(|n| *n != this).collect();
    let mut line: Vec<Inline> = Vec::new();
    for (i, n) in others.iter().enumerate() {
        line.push(bold(n.as_str()));
        line.push(roman(if i + 1 == others.len() {
            "(1)"
        } else {
            "(1), "
        }));
    }
    r.text(line);
    r.control("hy", []);
    paragraph(
        r,
        "The documentation in the source repository: docs/checks.md (every finding code), \
         docs/report-format.md (the JSON report), docs/complaints.md, docs/dns.md, \
         docs/capture.md.",
    );
}

/// One page, rendered.
fn render(name: &str, cmd: &clap::Command, names: &[String]) -> std::io::Result<Vec<u8>> {
    let sub = name.strip_prefix("spamtrace-");
    let man = clap_mangen::Man::new(cmd.clone())
        .title(name.to_ascii_uppercase())
        .source(format!("spamtrace {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands");
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    let mut r = Roff::new();
    if cmd.has_subcommands() && sub.is_none() {
        man.render_subcommands_section(&mut out)?;
    } else if cmd.has_subcommands() {
        // A subcommand's own subcommands (queue list, queue run...) have
        // no pages of their own: listed here, not as pages to see.
        section(&mut r, "COMMANDS");
        for c in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
            let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
            item(&mut r, vec![bold(c.get_name())], &about);
        }
    }
    examples(&mut r, sub);
    exit_status(&mut r, sub);
    environment(&mut r, sub);
    files(&mut r, sub);
    see_also(&mut r, name, names);
    r.to_writer(&mut out)?;
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// Every page: `(file name, roff)`.
pub(crate) fn all_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let pages = pages();
    let names: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    pages
        .iter()
        .map(|(n, c)| Ok((format!("{n}.1"), render(n, c, &names)?)))
        .collect()
}

/// `spamtrace man [PAGE] [--dir DIR]`: one page on stdout (spamtrace(1),
/// or the subcommand's), or every page into DIR.
pub(crate) fn man(page: Option<String>, dir: Option<&Path>) -> ExitCode {
    let pages = match all_pages() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("spamtrace: cannot render the man pages: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(dir) = dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("spamtrace: {}: cannot create: {e}", dir.display());
            return ExitCode::from(1);
        }
        for (file, text) in &pages {
            let path = dir.join(file);
            if let Err(e) = std::fs::write(&path, text) {
                eprintln!("spamtrace: {}: cannot write: {e}", path.display());
                return ExitCode::from(1);
            }
        }
        return ExitCode::SUCCESS;
    }
    let wanted = match &page {
        None => "spamtrace.1".to_string(),
        Some(p) => format!("spamtrace-{}.1", p.trim_start_matches("spamtrace-")),
    };
    let Some((_, text)) = pages.iter().find(|(f, _)| *f == wanted) else {
        let names: Vec<&str> = pages
            .iter()
            .filter_map(|(f, _)| f.strip_prefix("spamtrace-"))
            .filter_map(|f| f.strip_suffix(".1"))
            .collect();
        return super::usage_error(&format!(
            "no man page {:?}; there are: {}",
            page.unwrap_or_default(),
            names.join(", ")
        ));
    };
    match std::io::stdout().write_all(text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spamtrace: cannot write the man page: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_examples_are_found() {
        let ex = readme_examples();
        assert!(ex.len() >= 8, "{ex:?}");
        assert!(ex.iter().all(|(c, _)| c.contains("spamtrace")), "{ex:?}");
        assert!(
            ex.iter().any(|(c, _)| c.contains("sendmail -t -i")),
            "{ex:?}"
        );
    }

    #[test]
    fn one_page_per_subcommand_and_see_also_names_only_those() {
        let pages = all_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "spamtrace.1",
                "spamtrace-trace.1",
                "spamtrace-complain.1",
                "spamtrace-capture.1",
                "spamtrace-queue.1",
                "spamtrace-completions.1",
                "spamtrace-man.1"
            ]
        );
        for (name, text) in &pages {
            let text = String::from_utf8_lossy(text);
            for s in ["EXIT STATUS", "SEE ALSO", "SYNOPSIS"] {
                assert!(
                    text.contains(&format!(".SH \"{s}\"")) || text.contains(&format!(".SH {s}")),
                    "{name}: {s}"
                );
            }
            // Every page named NAME(1) is one of ours.
            let plain = text
                .replace("\\-", "-")
                .replace("\\fB", "")
                .replace("\\fR", "");
            for (i, _) in plain.match_indices("(1)") {
                let before = &plain[..i];
                let word = before
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .next()
                    .unwrap();
                assert!(
                    names.contains(&format!("{word}.1").as_str()),
                    "{name}: {word}(1)"
                );
            }
        }
    }
}
