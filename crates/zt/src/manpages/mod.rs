//! Man pages for `zt` and `zt-broker`: clap_mangen renders NAME to SUBCOMMANDS from the clap
//! definitions, and every page gains EXIT STATUS, FILES, EXAMPLES and SEE ALSO (the top page
//! ENVIRONMENT too) from plain tables — zt's in [`tables`], zt-broker's in its crate's `docs`
//! module — and from `man/examples.toml`, the one place examples live.
//!
//! Rendering refuses a page without examples or files, and a table row naming a page that does
//! not exist, with a message naming the file to edit: new subcommands cannot ship undocumented.

mod examples;
mod roff;
pub mod tables;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::env;
use crate::error::{Error, ErrorKind, Result};

pub use examples::{
    Example, Examples, FILE as EXAMPLES_FILE, commands as example_commands, parse as parse_examples,
};

/// `man/examples.toml`, built in so that `zt man` needs no checkout.
pub const EXAMPLES: &str = include_str!("../../../../man/examples.toml");

/// How to regenerate `man/` (the drift test says it too).
pub const REGENERATE: &str = "ZT_UPDATE_DOCS=1 cargo test --all-features --test it docs";

/// What a binary's pages say beyond its clap definition. Plain tables, so that zt-broker's
/// crate (which cannot depend on this one) can hold its own.
pub struct ManDocs<'a> {
    /// EXIT STATUS, on every page: (code, meaning).
    pub exit_codes: &'a [(u8, &'a str)],
    /// (page, paragraph) said under EXIT STATUS on that page, before the table.
    pub exit_notes: &'a [(&'a str, &'a str)],
    /// The top page's ENVIRONMENT: (variable, meaning).
    pub environment: &'a [(&'a str, &'a str)],
    /// Said at the top of FILES on every page.
    pub files_intro: &'a str,
    /// FILES: (path, what, the pages that list it); the top page lists every row.
    pub files: &'a [(&'a str, &'a str, &'a [&'a str])],
    /// A paragraph at the end of FILES on the pages named.
    pub files_outro: Option<(&'a str, &'a [&'a str])>,
    /// The source file of these tables, for messages.
    pub source: &'a str,
    /// The text of `man/examples.toml`.
    pub examples: &'a str,
}

/// zt's tables.
pub fn zt_docs() -> ManDocs<'static> {
    ManDocs {
        exit_codes: &ErrorKind::TABLE,
        exit_notes: tables::EXIT_NOTES,
        environment: env::DOCUMENTED,
        files_intro: tables::FILES_INTRO,
        files: tables::FILES,
        files_outro: Some((tables::SWEEP_NOTE, tables::SWEEPING)),
        source: tables::SOURCE,
        examples: EXAMPLES,
    }
}

/// `(file name, contents)` for `zt.1` and one page per visible subcommand.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    man_pages_for(Cli::command(), &zt_docs())
}

/// One page in the making: its name (`zt-request`), the command line it documents
/// (`zt request`), the command renamed to it, its parent.
struct Page {
    name: String,
    line: String,
    cmd: clap::Command,
    parent: Option<String>,
}

/// The page names of `cmd`: the top one, then one per visible subcommand, depth first.
pub fn page_names(cmd: clap::Command) -> Vec<String> {
    let mut cmd = cmd;
    cmd.build();
    pages(&cmd).into_iter().map(|p| p.name).collect()
}

fn pages(cmd: &clap::Command) -> Vec<Page> {
    let mut out = vec![Page {
        name: cmd.get_name().to_string(),
        line: cmd.get_name().to_string(),
        cmd: cmd.clone(),
        parent: None,
    }];
    add_subpages(cmd, cmd.get_name(), cmd.get_name(), &mut out);
    out
}

fn add_subpages(cmd: &clap::Command, prefix: &str, line: &str, out: &mut Vec<Page>) {
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("{prefix}-{}", sub.get_name());
        let line = format!("{line} {}", sub.get_name());
        out.push(Page {
            name: name.clone(),
            line: line.clone(),
            cmd: sub.clone().name(name.clone()),
            parent: Some(prefix.to_string()),
        });
        add_subpages(sub, &name, &line, out);
    }
}

/// Man pages for one of our binaries: `(file name, contents)`, the top page first.
pub fn man_pages_for(cmd: clap::Command, docs: &ManDocs) -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = cmd;
    cmd.build();
    let pages = pages(&cmd);
    let examples = examples::parse(docs.examples)?;
    check_tables(&pages, docs)?;
    let top = cmd.get_name();
    let mut out = Vec::new();
    for page in pages {
        let Some(ex) = examples.get(&page.name) else {
            return Err(Error::other(format!(
                "{}: no examples for the page {} (`{}`): add a [[{}]] table with `text` and \
                 `run` to {}, then run `{REGENERATE}`",
                examples::FILE,
                page.name,
                page.line,
                page.name,
                examples::FILE,
            )));
        };
        let extra = sections(&page, top, docs, ex)?;
        let mut buf = Vec::new();
        clap_mangen::Man::new(page.cmd.clone())
            .render(&mut buf)
            .map_err(|e| Error::io("cannot render a man page", e))?;
        let mut text = String::from_utf8(buf)
            .map_err(|e| Error::other(format!("a man page is not UTF-8: {e}")))?;
        // Ours go before VERSION (the last section clap_mangen writes), in man(7)'s order.
        match text.find("\n.SH VERSION\n") {
            Some(at) => text.insert_str(at + 1, &extra),
            None => text.push_str(&extra),
        }
        out.push((
            format!("{}.1", page.name),
            roff::ascii_only(&text).into_bytes(),
        ));
    }
    Ok(out)
}

/// Every page a table row names exists (a renamed command must take its rows along).
fn check_tables(pages: &[Page], docs: &ManDocs) -> Result<()> {
    let named = docs
        .files
        .iter()
        .flat_map(|(_, _, p)| p.iter())
        .chain(docs.exit_notes.iter().map(|(p, _)| p))
        .chain(docs.files_outro.iter().flat_map(|(_, p)| p.iter()));
    for name in named {
        if !pages.iter().any(|p| p.name == *name) {
            let all: Vec<&str> = pages.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::other(format!(
                "{}: names the page {name}, which does not exist (pages: {})",
                docs.source,
                all.join(", ")
            )));
        }
    }
    Ok(())
}

/// EXIT STATUS, ENVIRONMENT (top page), FILES, EXAMPLES, SEE ALSO.
fn sections(page: &Page, top: &str, docs: &ManDocs, examples: &[Example]) -> Result<String> {
    let is_top = page.parent.is_none();
    // Left-aligned and unhyphenated: paths and flags must not break at a hyphen of their own.
    let mut s = String::from(".ad l\n.nh\n");
    roff::section(&mut s, "EXIT STATUS");
    for (_, note) in docs.exit_notes.iter().filter(|(p, _)| *p == page.name) {
        roff::paragraph(&mut s, note);
    }
    for (code, meaning) in docs.exit_codes {
        roff::tagged(&mut s, &code.to_string(), meaning);
    }
    if is_top && !docs.environment.is_empty() {
        roff::section(&mut s, "ENVIRONMENT");
        for (name, meaning) in docs.environment {
            roff::tagged(&mut s, name, meaning);
        }
    }
    let files: Vec<_> = docs
        .files
        .iter()
        .filter(|(_, _, pages)| is_top || pages.contains(&page.name.as_str()))
        .collect();
    let outro = docs
        .files_outro
        .filter(|(_, pages)| pages.contains(&page.name.as_str()));
    if files.is_empty() && outro.is_none() {
        return Err(Error::other(format!(
            "{}: no FILES for the page {}: add it to the pages of the files it reads or \
             writes, then run `{REGENERATE}`",
            docs.source, page.name
        )));
    }
    roff::section(&mut s, "FILES");
    roff::paragraph(&mut s, docs.files_intro);
    for (path, what, _) in files {
        roff::tagged(&mut s, path, what);
    }
    if let Some((note, _)) = outro {
        roff::paragraph(&mut s, note);
    }
    roff::section(&mut s, "EXAMPLES");
    for ex in examples {
        roff::paragraph(&mut s, ex.text.trim());
        let shown = examples::shown(ex.run.trim());
        let output: Vec<&str> = ex
            .output
            .as_deref()
            .map_or(vec![], |o| o.trim_end().lines().collect());
        let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
        roff::literal(&mut s, &shown, &output);
    }
    if let Some(parent) = &page.parent {
        roff::section(&mut s, "SEE ALSO");
        let mut refs = vec![format!("\\fB{}\\fR(1)", roff::escape(parent))];
        if parent != top {
            refs.push(format!("\\fB{}\\fR(1)", roff::escape(top)));
        }
        s.push_str(&refs.join(", "));
        s.push('\n');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> clap::Command {
        clap::Command::new("demo")
            .version("1.0")
            .propagate_version(true)
            .subcommand(clap::Command::new("run").about("Run it"))
            .subcommand(clap::Command::new("hidden").hide(true))
    }

    const EXAMPLES: &str = r#"
[[demo]]
text = "Everything."
run = "demo run"

[[demo-run]]
text = "Run it, with `--quiet`."
run = '''
demo run --name 'it''s' \
  --then ~/x
'''
output = "done — ok"
"#;

    fn docs<'a>(examples: &'a str, files: &'a [(&'a str, &'a str, &'a [&'a str])]) -> ManDocs<'a> {
        ManDocs {
            exit_codes: &[(0, "success"), (2, "usage")],
            exit_notes: &[("demo-run", "Also 3.")],
            environment: &[("DEMO_DIR", "where")],
            files_intro: "Intro.",
            files,
            files_outro: None,
            source: "demo/tables.rs",
            examples,
        }
    }

    const FILES: &[(&str, &str, &[&str])] = &[("~/.demo", "its file", &["demo-run"])];

    #[test]
    fn every_page_gets_its_sections_in_order() {
        let pages = man_pages_for(demo(), &docs(EXAMPLES, FILES)).unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["demo.1", "demo-run.1"], "hidden pages are left out");
        let run = String::from_utf8(pages[1].1.clone()).unwrap();
        assert!(run.is_ascii());
        let at = |s: &str| run.find(s).unwrap_or_else(|| panic!("no {s} in\n{run}"));
        assert!(at(".SH \"EXIT STATUS\"") < at(".SH \"FILES\""));
        assert!(at(".SH \"FILES\"") < at(".SH \"EXAMPLES\""));
        assert!(at(".SH \"EXAMPLES\"") < at(".SH \"SEE ALSO\""));
        assert!(at(".SH \"SEE ALSO\"") < at(".SH VERSION"));
        assert!(!run.contains("ENVIRONMENT"), "only the top page has it");
        assert!(run.contains(".PP\nAlso 3.\n.TP\n\\fB0\\fR\nsuccess\n"));
        assert!(run.contains(".TP\n\\fB\\(ti/.demo\\fR\nits file\n"));
        assert!(run.contains("Run it, with \\fB\\-\\-quiet\\fR."));
        assert!(run.contains(
            "\\fB$ demo run \\-\\-name \\*(Aqit\\*(Aq\\*(Aqs\\*(Aq \\e\\fR\n\\fB    \\-\\-then \\(ti/x\\fR\ndone \\[u2014] ok\n"
        ));
        let top = String::from_utf8(pages[0].1.clone()).unwrap();
        assert!(top.contains(".SH \"ENVIRONMENT\"\n.TP\n\\fBDEMO_DIR\\fR\n"));
        assert!(
            top.contains("\\fB\\(ti/.demo\\fR"),
            "the top page lists every file"
        );
    }

    #[test]
    fn a_page_without_examples_or_files_is_refused_by_name() {
        let only_top = "[[demo]]\ntext = \"a\"\nrun = \"demo run\"\n";
        let e = man_pages_for(demo(), &docs(only_top, FILES)).unwrap_err();
        assert!(
            e.message.contains("[[demo-run]]")
                && e.message.contains("`demo run`")
                && e.message.contains(examples::FILE),
            "{}",
            e.message
        );
        let e = man_pages_for(demo(), &docs(EXAMPLES, &[])).unwrap_err();
        assert!(
            e.message
                .starts_with("demo/tables.rs: no FILES for the page demo"),
            "{}",
            e.message
        );
        let gone: &[(&str, &str, &[&str])] = &[("~/.demo", "x", &["demo-run", "demo-gone"])];
        let e = man_pages_for(demo(), &docs(EXAMPLES, gone)).unwrap_err();
        assert!(e.message.contains("demo-gone"), "{}", e.message);
    }
}
