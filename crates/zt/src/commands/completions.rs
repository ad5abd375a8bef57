//! `zt completions SHELL`: the script that turns completion on (also checked in under
//! `completions/`). For bash, zsh and fish it registers zt's dynamic completer
//! ([`crate::complete`]); PowerShell and elvish get clap's static script.

use std::io::Write;

use clap_complete::Shell as Target;

use crate::cli::{CompletionsArgs, Shell};
use crate::error::{Error, Result};

pub(crate) fn run(args: CompletionsArgs) -> Result<()> {
    std::io::stdout()
        .write_all(&crate::complete::script(args.shell))
        .map_err(|e| Error::io("cannot write the completion script", e))
}

pub fn target(s: Shell) -> Target {
    match s {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::Powershell => Target::PowerShell,
        Shell::Elvish => Target::Elvish,
    }
}
