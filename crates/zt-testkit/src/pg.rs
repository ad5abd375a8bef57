//! A throwaway PostgreSQL server for the issuer's tests: `initdb` in a temp dir, listening on
//! 127.0.0.1 at a free port with `scram-sha-256` for TCP (trust would ignore `VALID UNTIL`),
//! `fsync=off`. Runs as the `postgres` user when the tests run as root (initdb refuses root).
//! Binaries from `ZT_TEST_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`. None found:
//! the test skips with a message, or fails under `ZT_TEST_REQUIRE_PEERS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The superuser's password (`initdb --pwfile`); TCP logins need one under scram-sha-256.
pub const SUPERUSER_PASSWORD: &str = "zt-test-superuser";

pub struct TestPg {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

fn find_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("ZT_TEST_PG_BIN")
        && !dir.is_empty()
    {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// `program`, as the `postgres` user when we are root.
fn command(as_postgres: bool, program: &Path) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestPg {
    /// A running server, or `None` (after saying why) when PostgreSQL is not installed.
    pub fn start() -> Option<Self> {
        let Some(bin) = find_bin() else {
            assert!(
                std::env::var("ZT_TEST_REQUIRE_PEERS").as_deref() != Ok("1"),
                "no PostgreSQL (set ZT_TEST_PG_BIN or apt-get install postgresql) but ZT_TEST_REQUIRE_PEERS=1"
            );
            eprintln!(
                "skipping: no PostgreSQL binaries (set ZT_TEST_PG_BIN or apt-get install postgresql)"
            );
            return None;
        };
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).expect("pwfile");
        if as_postgres {
            run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir.path()),
                "chown",
            );
        }
        let mut initdb = command(as_postgres, &bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .args(["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()));
        run(&mut initdb, "initdb");
        // A free port: the kernel's pick, released just before the server binds it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let pg = Self {
            port,
            bin,
            data,
            as_postgres,
            _dir: dir,
        };
        pg.resume();
        Some(pg)
    }

    fn pg_ctl(&self) -> Command {
        let mut c = command(self.as_postgres, &self.bin.join("pg_ctl"));
        c.arg("-D").arg(&self.data);
        c
    }

    /// Start the server (again), on the same port and data.
    pub fn resume(&self) {
        let dir = self.data.parent().unwrap_or(Path::new("/"));
        run(
            self.pg_ctl()
                .arg("-l")
                .arg(self.log())
                .args(["-w", "-o"])
                .arg(format!(
                    "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
                     -c full_page_writes=off -c synchronous_commit=off",
                    self.port,
                    dir.display()
                ))
                .arg("start"),
            "pg_ctl start",
        );
    }

    /// Stop the server now (sessions are cut), to play an unreachable target.
    pub fn pause(&self) {
        run(
            self.pg_ctl().args(["-m", "immediate", "-w", "stop"]),
            "pg_ctl stop",
        );
    }

    /// `postgres://user:password@127.0.0.1:port/db` (the parts must be URL-safe).
    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn superuser_url(&self, db: &str) -> String {
        self.url("postgres", SUPERUSER_PASSWORD, db)
    }

    pub fn log(&self) -> PathBuf {
        self.data.parent().unwrap_or(Path::new("/")).join("log")
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let _ = self.pg_ctl().args(["-m", "immediate", "stop"]).output();
    }
}
