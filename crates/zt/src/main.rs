//! The `zt` binary: parse, run, and turn the outcome into the exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A credential helper's warm call, a Tab press or a prompt redraw: answered from local
    // files before anything else runs.
    if let Some(code) = zt::quick::answer() {
        return code;
    }
    match zt::cli::Cli::try_parse() {
        Ok(cli) => zt::run(cli),
        Err(e) => zt::refused_command_line(e),
    }
}
