//! Generated documentation: man pages (rendered in [`crate::manpages`]) and shell completions
//! (clap_complete) from the clap definitions. `man/` and `completions/`
//! hold the output, checked in; a test regenerates them and fails on drift.

use crate::cli::Shell;
use crate::error::Result;

/// `(file name, contents)` for `zt.1` and one page per visible subcommand; see
/// [`crate::manpages`], which renders them.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    crate::manpages::man_pages()
}

pub use crate::manpages::{ManDocs, man_pages_for};

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
