//! A throwaway PostgreSQL cluster — the real server, from `ZT_TEST_PG_BIN` (Debian's
//! `/usr/lib/postgresql/*/bin`) — per test: initdb without fsync and start take under a
//! second here (up to ~3 s on a loaded machine), cheap enough that tests share nothing.
//! Dropping it stops it and deletes its directory; a detached watchdog does the same if the
//! test process dies without unwinding (SIGKILL, Ctrl-C).
//!
//! Host connections (127.0.0.1, a free port) need scram-sha-256 passwords, as on a real
//! server; the superuser `postgres` gets in through the unix socket with trust.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Out, peer};

pub(crate) struct Pg {
    pub port: u16,
    /// Holds `data/`, `sock/` and `log`; removed by the watchdog.
    pub root: PathBuf,
    pub bin: PathBuf,
    /// The postmaster's.
    pid: i32,
    watchdog: std::process::Child,
}

/// A new server; `None` (the test skips its PostgreSQL part) when `ZT_TEST_PG_BIN` is unset
/// and peers are not required.
pub(crate) fn pg() -> Option<Pg> {
    let bin = PathBuf::from(peer("ZT_TEST_PG_BIN")?);
    Some(Pg::start(&bin))
}

fn as_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// `initdb` and `pg_ctl` refuse to run as root: run them as `postgres` then.
fn pg_cmd(bin: &Path, tool: &str) -> Command {
    let exe = bin.join(tool);
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn check(what: &str, o: std::process::Output, log: &Path) {
    assert!(
        o.status.success(),
        "{what} failed: {}{}\nserver log:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

impl Pg {
    fn start(bin: &Path) -> Pg {
        let started = std::time::Instant::now();
        // Kept, not a TempDir: the watchdog removes it after this process is gone.
        let root = tempfile::Builder::new()
            .prefix("zt-pg-")
            .tempdir()
            .unwrap()
            .keep();
        let data = root.join("data");
        let sock = root.join("sock");
        let log = root.join("log");
        std::fs::create_dir(&sock).unwrap();
        if as_root() {
            let o = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&root)
                .output()
                .unwrap();
            check("chown", o, &log);
        }
        let o = pg_cmd(bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .output()
            .unwrap();
        check("initdb", o, &log);
        // A port taken between our probe and the server's bind: try another.
        let mut port = 0;
        for attempt in 0..5 {
            port = free_port();
            let o = pg_cmd(bin, "pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .args(["-w", "-t", "30", "-o"])
                .arg(format!(
                    "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off \
                     -c synchronous_commit=off -c full_page_writes=off",
                    sock.display()
                ))
                .arg("start")
                .stdout(Stdio::null())
                .output()
                .unwrap();
            if o.status.success() {
                break;
            }
            assert!(attempt < 4, "pg_ctl start failed 5 times");
        }
        let pid = std::fs::read_to_string(data.join("postmaster.pid"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .trim()
            .to_string();
        // The watchdog: once this test process is gone, an immediate shutdown and cleanup.
        // (Drop does it at once when the test ends normally or panics.)
        let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
kill -QUIT "$2" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$2" 2>/dev/null || break; sleep 0.2; done
kill -KILL "$2" 2>/dev/null
rm -rf "$3""#;
        let mut w = Command::new("sh");
        w.arg("-c")
            .arg(script)
            .arg("zt-pg-watchdog")
            .arg(std::process::id().to_string())
            .arg(&pid)
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        unsafe {
            w.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let watchdog = w.spawn().expect("start the PostgreSQL watchdog");
        eprintln!(
            "PostgreSQL up on 127.0.0.1:{port} in {:?} ({})",
            started.elapsed(),
            root.display()
        );
        Pg {
            port,
            root,
            bin: bin.to_path_buf(),
            pid: pid.parse().unwrap(),
            watchdog,
        }
    }

    pub(crate) fn psql(&self) -> PathBuf {
        self.bin.join("psql")
    }

    /// Run SQL as the superuser over the unix socket (trust); panics on an SQL error.
    #[track_caller]
    pub(crate) fn sql(&self, sql: &str) -> String {
        self.sql_in("postgres", sql)
    }

    /// [`Pg::sql`] in database `db`.
    #[track_caller]
    pub(crate) fn sql_in(&self, db: &str, sql: &str) -> String {
        let o = Out::from(
            Command::new(self.psql())
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .arg("-h")
                .arg(self.root.join("sock"))
                .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db])
                .args([
                    "-X",
                    "-w",
                    "-q",
                    "-A",
                    "-t",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    sql,
                ])
                .stdin(Stdio::null())
                .output()
                .unwrap(),
        );
        assert_eq!(o.code, 0, "superuser SQL failed: {sql}\n{o:#?}");
        o.stdout.trim_end().to_string()
    }

    /// `CREATE DATABASE name`.
    pub(crate) fn create_db(&self, name: &str) {
        self.sql(&format!("CREATE DATABASE {}", ident(name)));
    }

    /// `CREATE ROLE name LOGIN PASSWORD …` (what a real PostgreSQL issuer does; the dev one
    /// does not touch any database).
    pub(crate) fn create_login(&self, user: &str, password: &str, db: &str) {
        self.sql(&format!(
            "CREATE ROLE {} LOGIN PASSWORD {}; GRANT CONNECT ON DATABASE {} TO {}",
            ident(user),
            literal(password),
            ident(db),
            ident(user)
        ));
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // SIGQUIT: immediate shutdown (the data is thrown away anyway).
        unsafe { libc::kill(self.pid, libc::SIGQUIT) };
        let _ = super::eventually(std::time::Duration::from_secs(5), || unsafe {
            libc::kill(self.pid, 0) != 0
        });
        let _ = std::fs::remove_dir_all(&self.root);
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

pub(crate) fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
