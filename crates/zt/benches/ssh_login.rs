//! Benchmark: from `zt request prod-ssh` to a usable `ssh` login, against the real thing — a
//! `zt-broker dev` whose CA signs the certificate, the real OpenSSH sshd on a loopback port
//! trusting that CA, the real `ssh` through the Host block zt wrote. Per round: the request
//! (key made, certificate fetched and checked, files, Host block and Include written), the
//! first `ssh zt-prod-ssh true`, and the two together; then `ssh` again with the same key (the
//! floor: what any login costs) and a `zt revoke` (not timed). Prints median and p90; asserts
//! nothing.
//!
//! Needs root (sshd), OpenSSH (`ZT_TEST_SSHD`, default /usr/sbin/sshd) and a built zt-broker
//! beside zt (`ZT_BENCH_BROKER` names another):
//! `cargo build --release -p zt-broker && cargo bench -p zt --bench ssh_login`
//! (`ZT_BENCH_ROUNDS`, default 20).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn http_get(url: &str, path: &str) -> String {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut all = String::new();
    s.read_to_string(&mut all).unwrap();
    all.split_once("\r\n\r\n").unwrap().1.to_string()
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<38} median {:>7.1} ms   p90 {:>7.1} ms   min {:>7.1} ms",
        ms(v[v.len() / 2]),
        ms(v[(v.len() * 9 / 10).min(v.len() - 1)]),
        ms(v[0])
    );
}

fn main() {
    let zt = env!("CARGO_BIN_EXE_zt");
    let broker_bin = std::env::var("ZT_BENCH_BROKER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(zt).with_file_name("zt-broker"));
    let sshd = std::env::var("ZT_TEST_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
    if !broker_bin.is_file() || !Path::new(&sshd).is_file() {
        println!(
            "ssh_login: needs {} (cargo build --release -p zt-broker) and {sshd} (OpenSSH); skipped",
            broker_bin.display()
        );
        return;
    }
    let rounds: usize = std::env::var("ZT_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let envs = [
        ("HOME", h.display().to_string()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("ZT_CONFIG_DIR", h.join("config").display().to_string()),
        ("ZT_STATE_DIR", h.join("state").display().to_string()),
        ("ZT_RUNTIME_DIR", h.join("run").display().to_string()),
        ("ZT_REAPER", "0".into()),
    ];
    let cmd = |program: &str| {
        let mut c = Command::new(program);
        c.env_clear()
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null());
        c
    };

    // The broker, with prod-ssh pointing at the port the sshd will listen on.
    let port = free_port();
    let user = user();
    let data = h.join("broker");
    let mut b = cmd(broker_bin.to_str().unwrap());
    b.args([
        "dev",
        "--port",
        "0",
        "--auto-login",
        "alice",
        "--ssh-user",
        &user,
    ])
    .args(["--ssh-port", &port.to_string(), "--data-dir"])
    .arg(&data)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = b.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let broker = Kill(child);
    // Its first line on stdout ends with its URL.
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(url.starts_with("http://"), "zt-broker dev said {line:?}");
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));

    // The sshd, trusting the broker's CA.
    let d = h.join("sshd");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::create_dir_all("/run/sshd").unwrap();
    std::fs::write(d.join("ca.pub"), http_get(&url, "/v1/ssh/ca")).unwrap();
    let keygen = |args: &[&str]| {
        assert!(
            Command::new("ssh-keygen")
                .args(args)
                .status()
                .unwrap()
                .success()
        )
    };
    keygen(&[
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-f",
        d.join("host").to_str().unwrap(),
    ]);
    keygen(&[
        "-q",
        "-k",
        "-f",
        d.join("krl").to_str().unwrap(),
        "/dev/null",
    ]);
    std::fs::write(
        d.join("cfg"),
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\nTrustedUserCAKeys {d}/ca.pub\n\
             RevokedKeys {d}/krl\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nAuthorizedKeysFile none\nUsePAM no\nStrictModes no\n\
             PidFile {d}/pid\n",
            d = d.display()
        ),
    )
    .unwrap();
    let sshd = Kill(
        Command::new(&sshd)
            .args(["-D", "-f"])
            .arg(d.join("cfg"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "sshd did not listen"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let zt_run = |args: &[&str]| {
        let out = cmd(zt).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "zt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    zt_run(&[
        "login",
        "--broker",
        &url,
        "--insecure-storage",
        "--no-browser",
    ]);
    let config = h.join(".ssh/config").display().to_string();
    let ssh = || {
        cmd("ssh")
            .args([
                "-F",
                &config,
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
            ])
            .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
            .args(["zt-prod-ssh", "true"])
            .status()
            .unwrap()
            .success()
    };

    let (mut request, mut login, mut total, mut again) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let t0 = Instant::now();
        zt_run(&["request", "prod-ssh", "--ttl", "10m"]);
        let t1 = Instant::now();
        assert!(ssh(), "ssh zt-prod-ssh failed");
        let t2 = Instant::now();
        assert!(ssh());
        let t3 = Instant::now();
        zt_run(&["revoke", "prod-ssh"]);
        request.push(t1 - t0);
        login.push(t2 - t1);
        total.push(t2 - t0);
        again.push(t3 - t2);
    }
    println!("ssh_login: {rounds} rounds, zt-broker dev (SQLite) and OpenSSH sshd on 127.0.0.1");
    summary("zt request prod-ssh", request);
    summary("first ssh zt-prod-ssh true", login);
    summary("request → logged in (both)", total);
    summary("ssh zt-prod-ssh true again (floor)", again);
    drop(sshd);
    drop(broker);
}
