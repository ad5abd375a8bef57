//! `zt completions SHELL`: a completion script from the clap definition (also checked in under
//! `completions/`).

use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, CompletionsArgs, Shell};
use crate::error::Result;

pub(crate) fn run(args: CompletionsArgs) -> Result<()> {
    let mut out = std::io::stdout();
    clap_complete::generate(target(args.shell), &mut Cli::command(), "zt", &mut out);
    Ok(())
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
