//! `zt-broker dev --detach`: start the same command without `--detach` in a new session,
//! output to `<state_dir>/dev-broker.log`, and return once it answers — or at once when a dev
//! broker is already running (idempotent).

// What `zt-broker dev` says to the person who ran it is its answer, not a log line.
#![allow(clippy::print_stderr)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::run::listening_line;
use super::statefile::{self, LOG};
use crate::cli::DevArgs;
use crate::error::{Error, Result};

const START_TIMEOUT: Duration = Duration::from_secs(10);

fn say_listening(url: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", listening_line(url));
    let _ = out.flush();
}

pub async fn run(args: &DevArgs, state_dir: &Path) -> Result<()> {
    if let Some(f) = statefile::running(state_dir).await {
        say_listening(&f.url);
        eprintln!(
            "zt-broker dev: already running (pid {}); stop it with `zt-broker dev stop`",
            f.pid
        );
        return Ok(());
    }
    use std::os::unix::fs::OpenOptionsExt;
    zt_files::ensure_private_dir(state_dir).map_err(|e| Error::other(e.to_string()))?;
    let log_path = state_dir.join(LOG);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .mode(0o600)
        .append(true)
        .open(&log_path)
        .map_err(|e| Error::io(format!("cannot open {}", log_path.display()), e))?;
    let log2 = log.try_clone().map_err(|e| Error::io("log file", e))?;
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find this program", e))?;

    let mut cmd = Command::new(exe);
    cmd.args([
        "dev",
        "--port",
        &args.port.to_string(),
        "--listen",
        &args.listen.to_string(),
        "--review-window",
        &format!("{}s", args.review_window.as_secs()),
        "--claim-window",
        &format!("{}s", args.claim_window.as_secs()),
        "--ssh-port",
        &args.ssh_port.to_string(),
    ]);
    if let Some(u) = &args.ssh_user {
        cmd.args(["--ssh-user", u]);
    }
    if let Some(d) = &args.data_dir {
        cmd.arg("--data-dir")
            .arg(std::path::absolute(d).map_err(|e| Error::io(d.display(), e))?);
    }
    if let Some(c) = &args.catalog {
        cmd.arg("--catalog")
            .arg(std::path::absolute(c).map_err(|e| Error::io(c.display(), e))?);
    }
    if let Some(p) = &args.policies {
        cmd.arg("--policies")
            .arg(std::path::absolute(p).map_err(|e| Error::io(p.display(), e))?);
    }
    if crate::logs::format() == crate::logs::LogFormat::Json {
        cmd.args(["--log-format", "json"]);
    }
    if let Some(u) = &args.auto_login {
        cmd.args(["--auto-login", u]);
    }
    if let Some(i) = &args.trust_issuer {
        cmd.args(["--trust-issuer", i, "--audience", &args.audience]);
    }
    super::oncall::forward(args, &mut cmd)?;
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe; it detaches the child from our terminal and
        // process group so the shell's Ctrl-C and hangup do not reach it.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io("cannot start the dev broker", e))?;
    let pid = child.id();

    let deadline = Instant::now() + START_TIMEOUT;
    let see_log = format!("see {}", log_path.display());
    // Bounded wait for another process to come up: checking every 50 ms is the simple way.
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(
                Error::other(format!("the dev broker exited at start ({status})"))
                    .with_hint(see_log),
            );
        }
        if let Some(f) = statefile::read(state_dir).filter(|f| f.pid == pid)
            && statefile::answers(&f.url).await
        {
            say_listening(&f.url);
            eprintln!(
                "zt-broker dev: running in the background (pid {pid}); log: {}",
                log_path.display()
            );
            eprintln!("zt-broker dev: stop it with `zt-broker dev stop`");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    Err(Error::other(format!(
        "the dev broker did not answer within {}s",
        START_TIMEOUT.as_secs()
    ))
    .with_hint(see_log))
}
