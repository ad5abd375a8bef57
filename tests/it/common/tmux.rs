//! Real shells in a real terminal: bash, zsh or fish under tmux (its own server on a socket in
//! the test's Home), driven with `send-keys` and read back with `capture-pane`, so a test sees
//! what a person would see — pickers, completion, a QR code, a countdown.
//!
//! The shells start without any rc file and with a plain prompt (`$ `, `% `, `> `), with the
//! Home's sealed environment and the workspace's `zt`/`zt-broker` first on PATH. tmux, zsh and
//! fish come from `scripts/peers.sh shells` (the README's test command sets `ZT_TEST_TMUX=1`);
//! without them [`Tmux::start`] returns `None` and the test skips, unless
//! `ZT_TEST_REQUIRE_PEERS=1`, when it fails.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Home, peer, zt_bin};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    /// The prompt each shell shows, so tests can wait for "back at the prompt".
    pub(crate) fn prompt(self) -> &'static str {
        match self {
            Shell::Bash => "$ ",
            Shell::Zsh => "% ",
            Shell::Fish => "> ",
        }
    }

    fn argv(self) -> Vec<&'static str> {
        match self {
            Shell::Bash => vec!["bash", "--noprofile", "--norc", "-i"],
            Shell::Zsh => vec!["zsh", "-f", "-i"],
            Shell::Fish => vec!["fish", "--no-config", "-i"],
        }
    }
}

pub(crate) struct Tmux {
    socket: PathBuf,
    pub shell: Shell,
    envs: Vec<(String, String)>,
}

impl Tmux {
    /// `shell` in a 120×40 terminal in `home`; `None` when the tmux peer is missing.
    pub(crate) fn start(home: &Home, shell: Shell) -> Option<Tmux> {
        Tmux::start_sized(home, shell, 120, 40, &[])
    }

    /// `shell` in a `width`×`height` terminal, with `extra` added to the Home's environment.
    pub(crate) fn start_sized(
        home: &Home,
        shell: Shell,
        width: u16,
        height: u16,
        extra: &[(&str, &str)],
    ) -> Option<Tmux> {
        peer("ZT_TEST_TMUX")?;
        let bin_dir = std::path::Path::new(zt_bin())
            .parent()
            .expect("zt lives in a directory")
            .display()
            .to_string();
        let mut envs = home.envs();
        for (k, v) in envs.iter_mut() {
            if k == "PATH" {
                *v = format!("{bin_dir}:{v}");
            }
        }
        envs.push(("TERM".into(), "xterm-256color".into()));
        envs.push(("LANG".into(), "C.UTF-8".into()));
        envs.push(("LC_ALL".into(), "C.UTF-8".into()));
        // No history file, no shell-specific greeting.
        envs.push(("HISTFILE".into(), "/dev/null".into()));
        envs.push(("fish_greeting".into(), String::new()));
        for (k, v) in extra {
            envs.retain(|(name, _)| name != k);
            envs.push((k.to_string(), v.to_string()));
        }
        let t = Tmux {
            socket: home.path().join("tmux.sock"),
            shell,
            envs,
        };
        let size = (width.to_string(), height.to_string());
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &size.0,
            "-y",
            &size.1,
            "--",
        ];
        args.extend(shell.argv());
        t.tmux(&args);
        // A fixed prompt, and none of zsh's end-of-line marks or fish's right prompt.
        match shell {
            Shell::Bash => t.send_line("PS1='$ '; PS2='> '; unset PROMPT_COMMAND"),
            Shell::Zsh => t.send_line("PROMPT='%% '; RPROMPT=''; unsetopt PROMPT_SP"),
            Shell::Fish => t.send_line(
                "function fish_prompt; echo -n '> '; end; function fish_right_prompt; end",
            ),
        }
        t.send_line("clear");
        t.wait_for("the shell's prompt", Duration::from_secs(10), |s| {
            s.trim_end() == shell.prompt().trim_end()
        });
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_clear()
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs (scripts/peers.sh shells installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Key names as tmux knows them: `Enter`, `Tab`, `Down`, `Up`, `Escape`, `C-c`, `BSpace`.
    pub(crate) fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        self.tmux(&args);
    }

    /// `text` typed literally (no key-name lookup).
    pub(crate) fn send_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// `text` typed, then Enter.
    pub(crate) fn send_line(&self, text: &str) {
        self.send_text(text);
        self.send_keys(&["Enter"]);
    }

    /// What the terminal shows now: one string, rows separated by newlines, trailing blanks
    /// trimmed by tmux.
    pub(crate) fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    /// Resize the terminal (the shell and zt get SIGWINCH).
    pub(crate) fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            "t",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Poll the screen until `ready` holds; panics with `what` and the last screen after
    /// `limit`. Returns the screen that matched.
    #[track_caller]
    pub(crate) fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        mut ready: impl FnMut(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ready(&s) {
                return s;
            }
            if start.elapsed() > limit {
                panic!("waited {limit:?} for {what}; the terminal shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the screen contains `text`.
    #[track_caller]
    pub(crate) fn wait_text(&self, text: &str, limit: Duration) -> String {
        self.wait_for(&format!("{text:?}"), limit, |s| s.contains(text))
    }

    /// Type `line`, press Enter, and wait until the shell prints its prompt again below it;
    /// returns the screen.
    #[track_caller]
    pub(crate) fn run(&self, line: &str, limit: Duration) -> String {
        self.send_line("clear");
        self.wait_for("a cleared screen", limit, |s| {
            s.trim_end() == self.shell.prompt().trim_end()
        });
        self.send_line(line);
        let prompt = self.shell.prompt();
        self.wait_for(&format!("{line:?} to finish"), limit, |s| {
            let rows: Vec<&str> = s.trim_end().lines().collect();
            rows.len() > 1
                && rows
                    .last()
                    .is_some_and(|l| l.trim_end() == prompt.trim_end())
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn the_harness_drives_bash_zsh_and_fish() {
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let home = Home::new();
        let Some(t) = Tmux::start(&home, shell) else {
            return;
        };
        let screen = t.run("zt --version", Duration::from_secs(10));
        assert!(screen.contains("zt 0."), "{shell:?}: {screen}");
        // The sealed Home is the shell's HOME.
        let screen = t.run("echo \"home=$HOME\"", Duration::from_secs(10));
        assert!(
            screen.contains(&format!("home={}", home.path().display())),
            "{shell:?}: {screen}"
        );
    }
}
