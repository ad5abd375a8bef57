//! The `zt` binary: parse, run, and turn the outcome into the exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    zt::run(zt::cli::Cli::parse())
}
