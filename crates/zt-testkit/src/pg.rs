//! A throwaway PostgreSQL server — the real one — per test, for the broker's store and
//! PostgreSQL issuer tests and the end-to-end tests: `initdb` without fsync in a temp dir and
//! `pg_ctl start` take under a second here (up to ~3 s on a loaded machine), cheap enough that
//! tests share nothing. Binaries from `ZT_TEST_PG_BIN`, else the newest
//! `/usr/lib/postgresql/*/bin` (Debian's); none found: the test skips with a message, or fails
//! under `ZT_TEST_REQUIRE_PEERS=1`. Runs as the `postgres` user when the tests run as root
//! (initdb refuses root).
//!
//! Host connections (127.0.0.1, a free port) need scram-sha-256 passwords, as on a real server
//! (trust would ignore `VALID UNTIL`); the superuser `postgres` has [`SUPERUSER_PASSWORD`] over
//! TCP and gets in through the unix socket with trust ([`TestPg::sql`]). Dropping it stops the
//! server and deletes its directory; a detached watchdog does the same if the test process dies
//! without unwinding (SIGKILL, Ctrl-C).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The superuser's password (`initdb --pwfile`); TCP logins need one under scram-sha-256.
pub const SUPERUSER_PASSWORD: &str = "zt-test-superuser";

pub struct TestPg {
    pub port: u16,
    /// Holds `data/`, `sock/` and `log`; removed on drop, or by the watchdog.
    pub root: PathBuf,
    /// The PostgreSQL binaries (`psql`, `pg_ctl`, …).
    pub bin: PathBuf,
    as_postgres: bool,
    watchdog: std::process::Child,
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

fn run(cmd: &mut Command, what: &str, log: &Path) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The watchdog: once the test process (`$1`) is gone, an immediate shutdown and cleanup.
/// (Drop does it at once when the test ends normally or panics.)
const WATCHDOG: &str = r#"while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
if [ "$2" = 1 ]; then runuser -u postgres -- "$3/pg_ctl" -D "$4/data" -m immediate stop
else "$3/pg_ctl" -D "$4/data" -m immediate stop; fi
rm -rf "$4""#;

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
        Some(Self::start_with(bin))
    }

    fn start_with(bin: PathBuf) -> Self {
        let started = std::time::Instant::now();
        let as_postgres = unsafe { libc::geteuid() } == 0;
        // Kept, not a TempDir: the watchdog removes it after this process is gone.
        let root = tempfile::Builder::new()
            .prefix("zt-pg-")
            .tempdir()
            .expect("temp dir")
            .keep();
        let data = root.join("data");
        let log = root.join("log");
        let pwfile = root.join("pw");
        std::fs::create_dir(root.join("sock")).expect("socket dir");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).expect("pwfile");
        // Started before anything can fail, so that a failed start leaves nothing behind.
        let watchdog = Self::watchdog(&bin, &root, as_postgres);
        let mut pg = Self {
            port: 0,
            root,
            bin,
            as_postgres,
            watchdog,
        };
        if as_postgres {
            run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&pg.root),
                "chown",
                &log,
            );
        }
        run(
            command(as_postgres, &pg.bin.join("initdb"))
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
                .arg(format!("--pwfile={}", pwfile.display())),
            "initdb",
            &log,
        );
        // A port taken between our probe and the server's bind: try another.
        for attempt in 0..5 {
            pg.port = free_port();
            if pg.pg_start().status.success() {
                break;
            }
            assert!(
                attempt < 4,
                "pg_ctl start failed 5 times\nserver log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        eprintln!(
            "PostgreSQL up on 127.0.0.1:{} in {:?} ({})",
            pg.port,
            started.elapsed(),
            pg.root.display()
        );
        pg
    }

    fn watchdog(bin: &Path, root: &Path, as_postgres: bool) -> std::process::Child {
        let mut w = Command::new("sh");
        w.arg("-c")
            .arg(WATCHDOG)
            .arg("zt-pg-watchdog")
            .arg(std::process::id().to_string())
            .arg(if as_postgres { "1" } else { "0" })
            .arg(bin)
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: setsid is async-signal-safe; the watchdog outlives a killed process group.
        unsafe {
            w.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        w.spawn().expect("start the PostgreSQL watchdog")
    }

    fn pg_ctl(&self) -> Command {
        let mut c = command(self.as_postgres, &self.bin.join("pg_ctl"));
        c.arg("-D").arg(self.root.join("data"));
        c
    }

    fn pg_start(&self) -> std::process::Output {
        self.pg_ctl()
            .arg("-l")
            .arg(self.log())
            .args(["-w", "-t", "30", "-o"])
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off",
                self.port,
                self.root.join("sock").display()
            ))
            .arg("start")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .expect("run pg_ctl")
    }

    /// Start the server again, on the same port and data.
    pub fn resume(&self) {
        let out = self.pg_start();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }

    /// Stop the server now (sessions are cut), to play an unreachable target.
    pub fn pause(&self) {
        run(
            self.pg_ctl().args(["-m", "immediate", "-w", "stop"]),
            "pg_ctl stop",
            &self.log(),
        );
    }

    /// `postgres://user:password@127.0.0.1:port/db` (the parts must be URL-safe).
    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn superuser_url(&self, db: &str) -> String {
        self.url("postgres", SUPERUSER_PASSWORD, db)
    }

    /// The server's log.
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }

    pub fn psql(&self) -> PathBuf {
        self.bin.join("psql")
    }

    /// Run SQL as the superuser over the unix socket (trust); panics on an SQL error.
    #[track_caller]
    pub fn sql(&self, sql: &str) -> String {
        self.sql_in("postgres", sql)
    }

    /// [`TestPg::sql`] in database `db`.
    #[track_caller]
    pub fn sql_in(&self, db: &str, sql: &str) -> String {
        let o = Command::new(self.psql())
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
            .expect("run psql");
        assert!(
            o.status.success(),
            "superuser SQL failed: {sql}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).trim_end().to_string()
    }

    /// `CREATE DATABASE name`.
    pub fn create_db(&self, name: &str) {
        self.sql(&format!("CREATE DATABASE {}", ident(name)));
    }

    /// `CREATE ROLE name LOGIN PASSWORD …` (what a real PostgreSQL issuer does; the dev one
    /// does not touch any database).
    pub fn create_login(&self, user: &str, password: &str, db: &str) {
        self.sql(&format!(
            "CREATE ROLE {} LOGIN PASSWORD {}; GRANT CONNECT ON DATABASE {} TO {}",
            ident(user),
            literal(password),
            ident(db),
            ident(user)
        ));
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        // Immediate shutdown (the data is thrown away anyway).
        let _ = self
            .pg_ctl()
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// An SQL identifier, quoted.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// An SQL string literal, quoted.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
