//! `zt-broker`: parse the command line, run it on a tokio runtime, turn the error into an
//! exit code. Nothing else lives here.

// The command's own error and hint, for the person who ran it.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use zt_broker::cli::{AuditCommand, Cli, Command, SshCommand};
use zt_broker::error::Error;
use zt_broker::{dev, serve};

async fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Dev(args) => {
            let state_dir = zt_files::state_dir().map_err(|_| {
                Error::other(zt_files::NoHome::MESSAGE).with_hint(zt_files::NoHome::HINT)
            })?;
            let shutdown = serve::signals().await?;
            dev::main(args, &state_dir, shutdown).await
        }
        Command::Serve(args) => {
            let shutdown = serve::signals().await?;
            serve::main(&args.config, dev::issuers::for_serve, shutdown).await
        }
        Command::Check(args) => serve::check_main(&args.config),
        Command::Audit(AuditCommand::Verify(args)) => serve::audit::verify_main(&args).await,
        Command::Ssh(SshCommand::Ca(args)) => serve::ssh::ca_main(&args),
        Command::Ssh(SshCommand::Krl(args)) => serve::ssh::krl_main(&args).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    zt_broker::logs::init(cli.log_format);
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zt-broker: {e}");
            if let Some(hint) = &e.hint {
                eprintln!("  hint: {hint}");
            }
            ExitCode::from(e.code)
        }
    }
}
