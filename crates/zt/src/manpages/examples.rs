//! `man/examples.toml`, the one place the examples of every man page live (zt's and
//! zt-broker's): one array of tables per page, each example a sentence, the command line(s)
//! and, optionally, what they print.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The file, for messages (relative to the repository).
pub const FILE: &str = "man/examples.toml";

/// The widest line a page shows as typed, `$ ` included: an 80-column terminal less man's
/// indent (7) and the example's (4).
pub(super) const MAX_LINE: usize = 68;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// What the example shows: a sentence (`code` in backticks is shown in bold).
    pub text: String,
    /// The command line(s), as typed: one per line, a trailing `\` continues one; a line
    /// starting with `#` is a comment.
    pub run: String,
    /// What they print (optional).
    #[serde(default)]
    pub output: Option<String>,
}

/// Page name (`zt-request`) → its examples, in the file's order.
pub type Examples = BTreeMap<String, Vec<Example>>;

pub fn parse(text: &str) -> Result<Examples> {
    let pages: Examples = toml::from_str(text).map_err(|e| Error::other(format!("{FILE}: {e}")))?;
    for (page, examples) in &pages {
        if examples.is_empty() {
            return Err(Error::other(format!("{FILE}: [[{page}]] has no example")));
        }
        for (i, ex) in examples.iter().enumerate() {
            let at = format!("{FILE}: [[{page}]] example {}", i + 1);
            if ex.text.trim().is_empty() || ex.run.trim().is_empty() {
                return Err(Error::other(format!(
                    "{at}: `text` and `run` must say something"
                )));
            }
            let run = shown(&ex.run);
            let mut lines = run
                .iter()
                .map(String::as_str)
                .chain(ex.output.iter().flat_map(|o| o.lines()));
            if let Some(long) = lines.find(|l| l.chars().count() > MAX_LINE) {
                return Err(Error::other(format!(
                    "{at}: shown as typed, a line is longer than {MAX_LINE} characters (break it \
                     with a trailing \\): {long}"
                )));
            }
        }
    }
    Ok(pages)
}

/// The commands of `run`: continuation lines (after a trailing `\`) joined, comments and
/// blank lines left out — what a shell would run.
pub fn commands(run: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in run.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head.trim_end());
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// `run` as the page shows it: `$ ` before each command, continuation lines indented,
/// comments as written.
pub(super) fn shown(run: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut continued = false;
    for line in run.lines() {
        let trimmed = line.trim();
        let shown = if continued {
            format!("    {trimmed}")
        } else if trimmed.starts_with('#') || trimmed.is_empty() {
            trimmed.to_string()
        } else {
            format!("$ {trimmed}")
        };
        continued = trimmed.ends_with('\\');
        out.push(shown);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_join_continuations_and_skip_comments() {
        let run = "# first\nzt login \\\n  --broker https://zt.example.com\n\nzt status";
        assert_eq!(
            commands(run),
            ["zt login --broker https://zt.example.com", "zt status"]
        );
        assert_eq!(
            shown(run),
            [
                "# first",
                "$ zt login \\",
                "    --broker https://zt.example.com",
                "",
                "$ zt status"
            ]
        );
    }

    #[test]
    fn parse_refuses_empty_unknown_and_wide() {
        assert!(parse("[[zt]]\ntext = \"a\"\nrun = \"zt status\"\n").is_ok());
        for bad in [
            "[[zt]]\ntext = \"\"\nrun = \"zt status\"\n",
            "[[zt]]\ntext = \"a\"\nrun = \"zt status\"\nextra = 1\n",
            "[[zt]]\ntext = \"a\"\n",
            "zt = []\n",
            &format!("[[zt]]\ntext = \"a\"\nrun = \"zt {}\"\n", "x".repeat(80)),
        ] {
            let e = parse(bad).unwrap_err();
            assert!(e.message.starts_with(FILE), "{}", e.message);
        }
    }
}
