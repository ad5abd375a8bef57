//! `zt exec GRANT|RESOURCE -- CMD…`: run CMD with the credentials in its environment only (an
//! SSH grant's key in a private ssh-agent for CMD alone, `SSH_AUTH_SOCK`).
//! Signals sent to zt go on to CMD (a terminal's Ctrl-C reaches both already), and zt exits
//! with CMD's status.

use std::process::Stdio;

use tokio::signal::unix::{SignalKind, signal};

use crate::cli::ExecArgs;
use crate::commands::{Ctx, credential, request};
use crate::error::{Error, ErrorKind, Result};
use crate::output::field;
use crate::{ask, credenv, grants, reaper, ssh};
use zt_api::Credential;

pub(super) async fn run(args: ExecArgs, ctx: &Ctx) -> Result<()> {
    let grant = resolve(&args, ctx).await?;
    let broker = ask::target::Broker::new(&ctx.profile);
    let ssh = match ssh::obtain::known_ssh(&grant) {
        Some(known) => known,
        None => ssh::obtain::is_ssh(&grant, broker.get().await?).await?,
    };
    if ssh {
        return run_ssh(&grant, &args, &broker).await;
    }
    let cached = credential::live(&grant, ctx).await?;
    // Kubernetes tools need a kubeconfig file: a private one for this run (exec plugin, no
    // token), recorded in the ledger so even a crash leaves nothing behind for long.
    let kubeconfig = match &cached.credential {
        Credential::Kubernetes { .. } => {
            let tag = format!("exec-{}", std::process::id());
            Some(grants::standalone_kubeconfig(
                &grant,
                &cached,
                &ctx.profile,
                Some(&tag),
            )?)
        }
        _ => None,
    };
    let vars = credenv::vars(&cached.credential, kubeconfig.as_deref());
    let code = run_child(&args, vars).await;
    if let Some(k) = &kubeconfig {
        let _ = reaper::wipe_where(&ctx.printer, false, |e| {
            e.grant == grant && e.target.file() == Some(k.as_path())
        });
    }
    exit_with(code?)
}

/// An SSH grant: its key and certificate in a private ssh-agent that lives as long as the
/// command ([`ssh::private`]), handed to it as `SSH_AUTH_SOCK`.
async fn run_ssh(grant: &str, args: &ExecArgs, broker: &ask::target::Broker) -> Result<()> {
    let client = broker.get().await?;
    let (key, cert) = ssh::obtain::key_and_cert(grant, 30, client).await?;
    let agent = ssh::private::PrivateAgent::start()?;
    let left = cert
        .valid_before
        .saturating_sub(zt_api::Timestamp::now().0.max(0) as u64);
    ssh::agent::add(
        &agent.socket,
        &key,
        &cert,
        &format!("zt exec grant {grant}"),
        u32::try_from(left).unwrap_or(u32::MAX),
    )
    .map_err(|e| Error::other(format!("cannot give the private ssh-agent the key: {e}")))?;
    drop(key);
    let vars = vec![(
        "SSH_AUTH_SOCK".to_string(),
        agent.socket.display().to_string(),
    )];
    let code = run_child(args, vars).await;
    drop(agent);
    exit_with(code?)
}

/// Run the command with `vars` added to its environment, passing signals on; its exit code.
async fn run_child(args: &ExecArgs, vars: Vec<(String, String)>) -> Result<i32> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::usage("no command to run"))?;
    let mut child = tokio::process::Command::new(program)
        .args(rest)
        .envs(vars)
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::new(ErrorKind::Usage, format!("cannot run {program}: {e}")))?;
    let pid = child.id().map(|p| p as i32);
    let forward = |sig: i32| {
        if let Some(p) = pid {
            unsafe { libc::kill(p, sig) };
        }
    };
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| Error::io("cannot watch signals", e))?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::io("cannot watch signals", e))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| Error::io("cannot watch signals", e))?;
    let mut quit = signal(SignalKind::quit()).map_err(|e| Error::io("cannot watch signals", e))?;
    let status = loop {
        tokio::select! {
            s = child.wait() => break s.map_err(|e| Error::io(format!("waiting for {program}"), e))?,
            _ = term.recv() => forward(libc::SIGTERM),
            _ = hup.recv() => forward(libc::SIGHUP),
            _ = quit.recv() => forward(libc::SIGQUIT),
            // The terminal sends Ctrl-C to the whole process group; a SIGINT aimed at zt alone
            // (kill -INT) is passed on. Either way zt waits for the child.
            _ = int.recv() => forward(libc::SIGINT),
        }
    };
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

fn exit_with(code: i32) -> Result<()> {
    if code == 0 {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Child(code.clamp(1, 255) as u8), ""))
    }
}

/// A grant id as given, or a resource: its live grant ([`ask::target`]), else a new request.
async fn resolve(args: &ExecArgs, ctx: &Ctx) -> Result<String> {
    if args.opts.start_at.is_some() || args.opts.start_in.is_some() {
        return Err(Error::usage("zt exec runs its command now; it takes no start time")
            .with_hint("schedule the grant with `zt request RESOURCE --start-at TIME`, then `zt exec GRANT -- …` once it started"));
    }
    let wanted = ask::target::Wanted {
        target: &args.target,
        role: args.opts.role.as_deref(),
        pending_too: false,
        // A grant about to end is no use to a command that starts now.
        min_left_secs: 30,
        command: "exec",
    };
    let broker = ask::target::Broker::new(&ctx.profile);
    if let Some(grant) = ask::target::resolve(&wanted, &broker, ctx).await? {
        return Ok(grant);
    }
    let client = broker.get().await?;
    let obtained = match request::obtain(&args.target, &args.opts, false, client, ctx).await {
        // Not a resource: perhaps the id of a grant of yours that is over, which deserves
        // "it is over" (exit 6) rather than "no such resource" (exit 8).
        Err(e) if e.kind == ErrorKind::NotFound => {
            match client.get_request(&args.target, None).await {
                Ok(r) => {
                    return Err(Error::new(
                        ErrorKind::GrantEnded,
                        format!(
                            "grant {} ({}/{}) is {}",
                            field(&r.id),
                            field(&r.resource),
                            field(&r.role),
                            r.state
                        ),
                    )
                    .with_hint(format!(
                        "`zt exec {} -- …` asks for a new grant",
                        field(&r.resource)
                    )));
                }
                Err(_) => return Err(e),
            }
        }
        other => other?,
    };
    let (req, _) =
        obtained.ok_or_else(|| Error::new(ErrorKind::Pending, "the request is pending"))?;
    Ok(req.id)
}
