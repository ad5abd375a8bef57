//! Generated documentation: man pages (clap_mangen) and shell completions (clap_complete) from
//! the clap definitions, plus the exit-code and environment tables. `man/` and `completions/`
//! hold the output, checked in; a test regenerates them and fails on drift.

use clap::CommandFactory;

use crate::cli::{Cli, Shell};
use crate::env;
use crate::error::{Error, ErrorKind, Result};

/// `(file name, contents)` for `zt.1` and one page per visible subcommand.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    man_pages_for(Cli::command(), &zt_extra_sections())
}

/// Man pages for any of our binaries; `extra` (roff) is appended to the top page.
pub fn man_pages_for(cmd: clap::Command, extra: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = cmd;
    cmd.build();
    let mut pages = Vec::new();
    let mut top = render(cmd.clone())?;
    top.extend_from_slice(extra.as_bytes());
    pages.push((format!("{}.1", cmd.get_name()), top));
    add_subpages(&cmd, cmd.get_name().to_string(), &mut pages)?;
    Ok(pages)
}

fn add_subpages(
    cmd: &clap::Command,
    prefix: String,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> Result<()> {
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("{prefix}-{}", sub.get_name());
        let page = sub.clone().name(name.clone());
        pages.push((format!("{name}.1"), render(page.clone())?));
        add_subpages(sub, name, pages)?;
    }
    Ok(())
}

fn render(cmd: clap::Command) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| Error::io("cannot render a man page", e))?;
    Ok(buf)
}

fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('-', "\\-").replace('`', "")
}

fn zt_extra_sections() -> String {
    let mut s = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in ErrorKind::TABLE {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(meaning)));
    }
    s.push_str(".SH ENVIRONMENT\n");
    for (name, meaning) in env::DOCUMENTED {
        s.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            roff_escape(name),
            roff_escape(meaning)
        ));
    }
    s
}

/// `(file name, contents)` of every static completion script for `bin` (zt-broker's).
pub fn completions_for(mut cmd: clap::Command, bin: &str) -> Vec<(String, Vec<u8>)> {
    use clap::ValueEnum;
    Shell::value_variants()
        .iter()
        .map(|s| {
            let mut buf = Vec::new();
            let target = crate::commands::completion_target(*s);
            clap_complete::generate(target, &mut cmd, bin, &mut buf);
            (completion_file(*s, bin), buf)
        })
        .collect()
}

/// zt's own scripts: what `zt completions SHELL` prints (dynamic for bash, zsh and fish).
pub fn zt_completions() -> Vec<(String, Vec<u8>)> {
    use clap::ValueEnum;
    Shell::value_variants()
        .iter()
        .map(|s| (completion_file(*s, "zt"), crate::complete::script(*s)))
        .collect()
}

/// Where a shell's script lives in `completions/` (install.sh copies it from there).
fn completion_file(s: Shell, bin: &str) -> String {
    match s {
        Shell::Bash => format!("{bin}.bash"),
        Shell::Zsh => format!("_{bin}"),
        Shell::Fish => format!("{bin}.fish"),
        Shell::Powershell => format!("_{bin}.ps1"),
        Shell::Elvish => format!("{bin}.elv"),
    }
}
