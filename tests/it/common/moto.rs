//! moto's server (`ZT_TEST_MOTO`, PyPI `moto[server]`): a local AWS API — STS here — on a free
//! 127.0.0.1 port, killed on drop. moto checks no signatures, so any well-formed key works.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{eventually, peer};

pub(crate) struct Moto {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// `aws sts get-caller-identity` (JSON output) with `profile`, run in `w`, against this
    /// STS.
    pub(crate) fn caller_identity(
        &self,
        aws: &str,
        w: &super::world::World,
        profile: &str,
    ) -> super::Out {
        w.run_cmd(
            aws,
            &[
                "--profile",
                profile,
                "--endpoint-url",
                &self.url,
                "--output",
                "json",
                "sts",
                "get-caller-identity",
            ],
        )
    }

    /// `None` (the test skips its AWS CLI part) when `ZT_TEST_MOTO` is unset and peers are
    /// not required.
    pub(crate) fn start() -> Option<Moto> {
        let bin = peer("ZT_TEST_MOTO")?;
        let dir = tempfile::Builder::new()
            .prefix("zt-moto-")
            .tempdir()
            .unwrap();
        let log = dir.path().join("log");
        // A port taken between our probe and moto's bind makes it exit: try another.
        for attempt in 1..=3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let out = std::fs::File::create(&log).unwrap();
            let mut child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("HOME", dir.path())
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .expect("start moto_server");
            // Python imports take a second or two; then any HTTP answer means it is up.
            let up = eventually(Duration::from_secs(30), || {
                matches!(child.try_wait(), Ok(None)) && answers(port)
            });
            if let Some(took) = up {
                eprintln!("moto_server up on 127.0.0.1:{port} in {took:?}");
                return Some(Moto {
                    url: format!("http://127.0.0.1:{port}"),
                    child,
                    _dir: dir,
                });
            }
            let exited = child.try_wait().ok().flatten();
            let _ = child.kill();
            let _ = child.wait();
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                exited.is_some() && attempt < 3,
                "moto_server did not answer (exit: {exited:?}):\n{text}"
            );
            eprintln!("moto_server exited ({exited:?}); retrying on another port:\n{text}");
        }
        unreachable!()
    }
}

fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 8];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the AWS CLI does with profile `zt-prod-aws` in `w`: `aws sts get-caller-identity`
/// against `moto` when the AWS CLI and moto are installed (its `credential_process` runs zt);
/// otherwise the call the CLI would make, `zt credential aws GRANT`. Either must succeed.
pub(crate) fn aws_cli_or_helper(w: &super::world::World, grant: &str, moto: &Option<Moto>) {
    match (peer("ZT_TEST_AWS"), moto) {
        (Some(aws), Some(moto)) => {
            let out = moto.caller_identity(&aws, w, "zt-prod-aws");
            assert_eq!(out.code, 0, "aws sts get-caller-identity: {}", out.stderr);
            assert!(out.stdout.contains("\"Arn\""), "{}", out.stdout);
        }
        _ => {
            w.run(&["credential", "aws", grant]).ok();
        }
    }
}
