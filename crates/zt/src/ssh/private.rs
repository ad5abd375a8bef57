//! `zt exec` on an SSH grant: a private OpenSSH `ssh-agent` for the one command, holding the
//! grant's key and certificate (with a lifetime, like any agent zt feeds), its socket in a
//! 0700 directory of the runtime dir, handed to the command as `SSH_AUTH_SOCK`, and killed
//! when the command exits. On Linux the agent also dies with zt (`PR_SET_PDEATHSIG`), so a zt
//! killed mid-command leaves no agent holding a key; the next `zt exec` removes the
//! directories of agents whose zt is gone.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::{fsutil, paths};

pub struct PrivateAgent {
    child: Child,
    dir: PathBuf,
    pub socket: PathBuf,
}

/// How long a starting ssh-agent may take to listen.
const START: Duration = Duration::from_secs(5);

impl PrivateAgent {
    pub fn start() -> Result<PrivateAgent> {
        let base = super::ssh_runtime_dir()?;
        paths::ensure_private_dir(&base)?;
        remove_dead(&base);
        let dir = base.join(format!(
            "agent-{}-{}",
            std::process::id(),
            zt_files::ids::random_hex(4)
        ));
        paths::ensure_private_dir(&dir)?;
        let socket = dir.join("sock");
        let mut cmd = Command::new("ssh-agent");
        cmd.arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                    Ok(())
                });
            }
        }
        let child = cmd.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            Error::io("cannot start ssh-agent (OpenSSH) for the command", e).with_hint(
                "zt exec on an SSH grant runs a private ssh-agent: install OpenSSH's client",
            )
        })?;
        let agent = PrivateAgent { child, dir, socket };
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(&agent.socket).is_err() {
            if start.elapsed() > START {
                return Err(Error::other(
                    "the private ssh-agent did not start listening",
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(agent)
    }
}

impl Drop for PrivateAgent {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Remove `agent-<pid>-…` directories whose zt is gone (its agent died with it).
fn remove_dead(base: &Path) {
    let Ok(dir) = std::fs::read_dir(base) else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("agent-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() as i32 && !fsutil::alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
