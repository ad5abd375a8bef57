//! Generated documentation: man pages (rendered in [`crate::manpages`]) and shell completions
//! (clap_complete) from the clap definitions. `man/` and `completions/`
//! hold the output, checked in; a test regenerates them and fails on drift.

use clap::CommandFactory;

use crate::cli::{Cli, Shell};
use crate::error::Result;

/// `(file name, contents)` for `zt.1` and one page per visible subcommand; see
/// [`crate::manpages`], which renders them.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    crate::manpages::man_pages()
}

pub use crate::manpages::{ManDocs, man_pages_for};

/// `(file name, contents)` of every completion script for `bin`.
pub fn completions_for(mut cmd: clap::Command, bin: &str) -> Vec<(String, Vec<u8>)> {
    use clap::ValueEnum;
    Shell::value_variants()
        .iter()
        .map(|s| {
            let mut buf = Vec::new();
            let target = crate::commands::completion_target(*s);
            clap_complete::generate(target, &mut cmd, bin, &mut buf);
            let file = match s {
                Shell::Bash => format!("{bin}.bash"),
                Shell::Zsh => format!("_{bin}"),
                Shell::Fish => format!("{bin}.fish"),
                Shell::Powershell => format!("_{bin}.ps1"),
                Shell::Elvish => format!("{bin}.elv"),
            };
            (file, buf)
        })
        .collect()
}

pub fn zt_completions() -> Vec<(String, Vec<u8>)> {
    completions_for(Cli::command(), "zt")
}
