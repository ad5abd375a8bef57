//! A real `zt-broker dev` on 127.0.0.1:0 for tests, with its own sealed state dir; killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use super::Home;

pub(crate) struct Broker {
    pub url: String,
    child: Child,
    _home: Home,
}

impl Broker {
    pub(crate) fn start(extra: &[&str]) -> Broker {
        Broker::start_with_env(extra, &[])
    }

    /// [`Broker::start`] with variables added to the broker's sealed environment (a real
    /// issuer's own credentials, an admin URL named by `admin_url_env`).
    pub(crate) fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Broker {
        Broker::start_with_umask(extra, env, None)
    }

    /// [`Broker::start_with_env`] with the broker's umask set (files it creates get modes
    /// from it unless it chooses its own).
    pub(crate) fn start_with_umask(
        extra: &[&str],
        env: &[(&str, &str)],
        umask: Option<u32>,
    ) -> Broker {
        Broker::spawn(extra, env, umask, Stdio::inherit())
    }

    /// [`Broker::start_with_env`] with the broker's stderr (its log) going to `log`.
    pub(crate) fn start_logging_to(
        extra: &[&str],
        env: &[(&str, &str)],
        log: std::fs::File,
    ) -> Broker {
        Broker::spawn(extra, env, None, Stdio::from(log))
    }

    fn spawn(extra: &[&str], env: &[(&str, &str)], umask: Option<u32>, err: Stdio) -> Broker {
        let home = Home::new();
        let mut cmd = home.cmd(crate::common::broker_bin());
        if let Some(mask) = umask {
            use std::os::unix::process::CommandExt;
            // SAFETY: umask(2) is async-signal-safe and touches nothing but the child.
            unsafe {
                cmd.pre_exec(move || {
                    libc::umask(mask as libc::mode_t);
                    Ok(())
                });
            }
        }
        cmd.envs(env.iter().copied())
            .args(["dev", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(err);
        let mut child = cmd.spawn().expect("start zt-broker dev");
        let url = dev_url(&mut child);
        Broker {
            url,
            child,
            _home: home,
        }
    }

    /// Log `user` in from `home` through the broker's HTML verification page (the path a
    /// person takes), reading the user code from zt's stderr.
    pub(crate) fn login_via_page(&self, home: &Home, user: &str) {
        self.sign_in_to(&self.url, home, user)
    }

    /// [`Broker::login_via_page`] to another broker (`zt-broker serve`) whose `[login]` names
    /// this one's OpenID provider: `zt login --broker BROKER`, approved on this one's page.
    pub(crate) fn sign_in_to(&self, broker: &str, home: &Home, user: &str) {
        let mut child = home
            .zt(&[
                "login",
                "--broker",
                broker,
                "--insecure-storage",
                "--no-browser",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut code = None;
        let mut seen = String::new();
        for _ in 0..20 {
            let mut line = String::new();
            if err.read_line(&mut line).unwrap() == 0 {
                break;
            }
            seen.push_str(&line);
            if let Some(c) = line.trim().strip_prefix("First copy your one-time code: ") {
                code = Some(c.to_string());
                break;
            }
        }
        let code = code.unwrap_or_else(|| panic!("no user code in zt login's output:\n{seen}"));
        let page = format!("{}/oidc/device", self.url);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let html = rt.block_on(async {
            let c = reqwest::Client::new();
            let form = c
                .get(format!("{page}?user_code={code}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                form.contains("<form"),
                "the verification page has no form: {form}"
            );
            c.post(&page)
                .form(&[
                    ("user_code", code.as_str()),
                    ("user", user),
                    ("action", "approve"),
                ])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "zt login failed after approving on the page: {html}\n{seen}{rest}"
        );
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}

/// The URL `zt-broker dev` prints last on its first stdout line (it takes the child's stdout).
pub(crate) fn dev_url(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| panic!("unexpected first line from zt-broker dev: {line:?}"))
        .to_string()
}
