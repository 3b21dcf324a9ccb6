//! README.md's examples are checked, not trusted:
//! - every fenced block that starts `$ spamtrace ...` is run (offline,
//!   no colour, the table's default width) and must print exactly what
//!   the block shows; `UPDATE_README=1` rewrites the blocks (then read
//!   the diff);
//! - every `spamtrace ...` line of "Using it" (also the man pages'
//!   EXAMPLES) names only flags the binary knows.

use std::process::Command;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

fn spamtrace() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spamtrace"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .env_remove("SPAMTRACE_REPORTER")
        .env("XDG_CONFIG_HOME", "/nonexistent");
    c
}

/// Run the `$ spamtrace ...` line of a block; its stdout.
fn run(line: &str) -> String {
    let args: Vec<&str> = line.split_whitespace().skip(2).collect();
    assert!(
        args.contains(&"--offline"),
        "a README example that is run must be offline: {line}"
    );
    let out = spamtrace().args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn readme_sample_output_is_what_the_tool_prints() {
    let text = std::fs::read_to_string(README).unwrap();
    let update = std::env::var_os("UPDATE_README").is_some();
    let mut out = String::new();
    let mut rest = text.as_str();
    let mut checked = 0;
    let mut differ = Vec::new();
    while let Some(start) = rest.find("```\n$ spamtrace ") {
        let body_start = start + 4;
        let end = body_start + rest[body_start..].find("\n```\n").expect("closed block") + 1;
        let block = &rest[body_start..end];
        let (cmd, shown) = block.split_once('\n').unwrap();
        let got = run(cmd);
        let got = got.trim_end_matches('\n').to_string() + "\n";
        if got != shown {
            differ.push(format!("{cmd}\n--- README\n{shown}--- the tool\n{got}"));
        }
        out.push_str(&rest[..body_start]);
        out.push_str(cmd);
        out.push('\n');
        out.push_str(&got);
        rest = &rest[end..];
        checked += 1;
    }
    out.push_str(rest);
    assert!(checked >= 1, "no `$ spamtrace` block found in README.md");
    if update {
        std::fs::write(README, out).unwrap();
        return;
    }
    assert!(
        differ.is_empty(),
        "README.md differs from the tool (UPDATE_README=1 rewrites it):\n{}",
        differ.join("\n")
    );
}

/// The `spamtrace ...` lines of "Using it": each one's arguments, up to a
/// pipe or a redirection.
fn usage_lines(text: &str) -> Vec<Vec<String>> {
    text.split("\n## Using it\n")
        .nth(1)
        .unwrap()
        .lines()
        .skip_while(|l| !l.starts_with("    "))
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(" # ")
                .next()
                .unwrap()
                .split_whitespace()
                .skip_while(|w| *w != "spamtrace")
                .skip(1)
                .take_while(|w| !["|", ">", "<"].contains(w))
                .map(String::from)
                .collect()
        })
        .collect()
}

#[test]
fn readme_usage_lines_use_real_flags() {
    let text = std::fs::read_to_string(README).unwrap();
    let lines = usage_lines(&text);
    assert!(lines.len() >= 10, "{lines:?}");
    for args in lines {
        // clap stops at an unknown flag before it reaches --help.
        let out = spamtrace().args(&args).arg("--help").output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "README: spamtrace {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
