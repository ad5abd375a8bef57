//! User files that fight back, through the real `zt` against a real dev broker (issue 11,
//! items 1, 11 and 13): a few hundred bytes of nested YAML aliases under a memory limit,
//! kubectl's lock around an unparsable file, a dead zt's lock, symlinked and 0644 files, an
//! empty kubeconfig the user had, and a broker value zt must not write.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::broker::Broker;
use crate::common::procs::run_for;
use crate::common::world::{CatalogFile, World, demo_catalog_with, mode, write_private};

/// Nested aliases, each of ten copies of the one before: ~500 bytes that a naive YAML loader
/// expands to 10^9 nodes (issue 11 saw `zt request` grow to ~24 GB).
fn billion_laughs() -> String {
    let mut s = String::from("apiVersion: v1\nkind: Config\na0: &a0 [\"lol\"]\n");
    for i in 1..=9 {
        let prev = format!("*a{}", i - 1);
        s += &format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(","));
    }
    s + "clusters: []\n"
}

/// Address space for one `zt` run: ample for a normal request (checked below), a small
/// fraction of what expanding the aliases would take.
const MEMORY_LIMIT: u64 = 2 << 30;

fn under_memory_limit(mut cmd: std::process::Command) -> std::process::Command {
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            match libc::setrlimit(libc::RLIMIT_AS, &lim) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
    }
    cmd
}

fn logged_in(broker: &Broker) -> World {
    let w = World::new();
    w.login(broker);
    w
}

fn lock_of(file: &Path) -> std::path::PathBuf {
    let mut p = file.as_os_str().to_owned();
    p.push(".lock");
    p.into()
}

#[test]
fn billion_laughs_kubeconfig_is_refused_quickly_under_a_memory_limit() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = logged_in(&broker);
    let kubeconfig = w.home.kubeconfig();
    let laughs = billion_laughs();
    assert!(laughs.len() < 600, "{}", laughs.len());
    std::fs::write(&kubeconfig, &laughs).unwrap();

    let start = Instant::now();
    let cmd = under_memory_limit(w.zt(&["request", "prod-k8s", "--ttl", "5m"]));
    let out = run_for(cmd, Duration::from_secs(60));
    let took = start.elapsed();
    out.code(1);
    assert!(
        out.stderr.contains(&kubeconfig.display().to_string()) && out.stderr.contains("alias"),
        "names the file and why: {}",
        out.stderr
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(std::fs::read_to_string(&kubeconfig).unwrap(), laughs);
    assert!(!lock_of(&kubeconfig).exists(), "no lock left behind");

    // The limit itself is no obstacle: the same request succeeds under it once the file is
    // an ordinary kubeconfig.
    std::fs::remove_file(&kubeconfig).unwrap();
    let cmd = under_memory_limit(w.zt(&["request", "prod-k8s", "--ttl", "5m"]));
    run_for(cmd, Duration::from_secs(60)).ok();
    assert!(
        std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .contains("zt-prod-k8s")
    );
}

#[test]
fn an_unparsable_kubeconfig_is_refused_without_waiting_for_kubectls_lock() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = logged_in(&broker);
    let kubeconfig = w.home.kubeconfig();
    let broken = "apiVersion: v1\nclusters: [\n  - {name: a\n";
    std::fs::write(&kubeconfig, broken).unwrap();
    // kubectl holds its lock (an empty `<file>.lock`) for as long as this test runs.
    std::fs::write(lock_of(&kubeconfig), "").unwrap();
    let start = Instant::now();
    let out = w.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.code(1);
    assert!(out.stderr.contains("not valid YAML"), "{}", out.stderr);
    // zt parses before it takes the lock: the answer does not wait for kubectl's lock (zt
    // waits up to 10 s for a held lock before giving up).
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(std::fs::read_to_string(&kubeconfig).unwrap(), broken);
    assert!(
        lock_of(&kubeconfig).exists(),
        "kubectl's own lock is never removed"
    );
}

#[test]
fn a_dead_zts_lock_is_cleared_by_the_next_run() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = logged_in(&broker);
    let kubeconfig = w.home.kubeconfig();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    std::fs::write(lock_of(&kubeconfig), format!("zt {dead}\n")).unwrap();
    let out = w.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.ok();
    assert!(!lock_of(&kubeconfig).exists());
    assert!(
        std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .contains("zt-prod-k8s")
    );
}

/// A user file kept in a dotfiles directory, linked (relatively, as stow does) from where
/// the tools look for it.
fn dotfile(w: &World, link: &Path, text: &str, file_mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let rel_link = link
        .strip_prefix(w.path())
        .unwrap()
        .to_string_lossy()
        .to_string();
    let target = w
        .path()
        .join("dotfiles")
        .join(rel_link.replace('/', "_").trim_start_matches('.'));
    write_private(&target, text);
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(file_mode)).unwrap();
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(link);
    let depth = link.strip_prefix(w.path()).unwrap().components().count() - 1;
    let rel = Path::new(&"../".repeat(depth))
        .join("dotfiles")
        .join(target.file_name().unwrap());
    std::os::unix::fs::symlink(&rel, link).unwrap();
    target
}

#[track_caller]
fn still_a_link(link: &Path, target: &Path) {
    let meta = std::fs::symlink_metadata(link).unwrap();
    assert!(
        meta.file_type().is_symlink(),
        "{} is no longer a link",
        link.display()
    );
    assert_eq!(
        std::fs::canonicalize(link).unwrap(),
        std::fs::canonicalize(target).unwrap()
    );
}

const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";
const AWS_CONFIG: &str = "[default]\nregion = eu-west-1\n";
const AWS_CREDENTIALS: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";
const PGPASS: &str = "db.example.com:5432:app:me:mine\n";
const PG_SERVICE: &str = "[mine]\nhost=db.example.com\n";

#[test]
fn symlinked_files_stay_links_and_keep_their_modes() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let mut w = World::new();
    let aws_config = w.path().join(".aws/config");
    let aws_creds = w.path().join(".aws/credentials");
    w.set("AWS_CONFIG_FILE", &aws_config)
        .set("AWS_SHARED_CREDENTIALS_FILE", &aws_creds);
    w.login(&broker);
    let links = [
        (w.home.kubeconfig(), KUBECONFIG, 0o644),
        (aws_config.clone(), AWS_CONFIG, 0o644),
        (aws_creds.clone(), AWS_CREDENTIALS, 0o644),
        (w.path().join(".pgpass"), PGPASS, 0o600),
        (w.path().join(".pg_service.conf"), PG_SERVICE, 0o644),
    ];
    let targets: Vec<_> = links
        .iter()
        .map(|(link, text, m)| dotfile(&w, link, text, *m))
        .collect();

    let k8s = w.request(&["prod-k8s", "--ttl", "10m"]);
    let aws = w.request(&["prod-aws", "--ttl", "10m", "--static"]);
    let db = w.request(&["prod-db", "--ttl", "10m"]);
    for ((link, text, _), target) in links.iter().zip(&targets) {
        still_a_link(link, target);
        let now = std::fs::read_to_string(target).unwrap();
        assert!(now.contains("zt"), "zt wrote {}: {now}", target.display());
        assert_ne!(now, *text);
    }
    // No secret in these: they keep their 0644.
    for i in [0, 1, 4] {
        assert_eq!(mode(&targets[i]), 0o644, "{}", targets[i].display());
    }
    // Secrets now: private, whatever they were.
    for i in [2, 3] {
        assert_eq!(mode(&targets[i]), 0o600, "{}", targets[i].display());
    }

    for g in [&k8s, &aws, &db] {
        w.run(&["revoke", g]).ok();
    }
    for ((link, text, _), target) in links.iter().zip(&targets) {
        still_a_link(link, target);
        assert_eq!(
            std::fs::read_to_string(target).unwrap(),
            *text,
            "{}",
            target.display()
        );
    }
    for i in [0, 1, 4] {
        assert_eq!(mode(&targets[i]), 0o644, "{}", targets[i].display());
    }
    let stray: Vec<_> = std::fs::read_dir(w.path().join("dotfiles"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "temp files left: {stray:?}");
}

#[test]
fn an_empty_kubeconfig_the_user_had_is_kept() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = logged_in(&broker);
    let kubeconfig = w.home.kubeconfig();
    std::fs::write(&kubeconfig, "").unwrap();
    let g = w.request(&["prod-k8s", "--ttl", "10m"]);
    assert!(
        std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .contains("zt-prod-k8s")
    );
    w.run(&["revoke", &g]).ok();
    assert_eq!(
        std::fs::read_to_string(&kubeconfig).expect("still there"),
        ""
    );
    // A file zt created itself goes again.
    std::fs::remove_file(&kubeconfig).unwrap();
    let g = w.request(&["prod-k8s", "--ttl", "10m"]);
    w.run(&["revoke", &g]).ok();
    assert!(!kubeconfig.exists());
}

#[test]
fn a_kubernetes_server_that_is_not_https_is_not_written() {
    let catalog = CatalogFile::new(&demo_catalog_with(
        r#"settings = { namespace = "default" }"#,
        r#"settings = { namespace = "default", server = "file:///etc/passwd" }"#,
    ));
    let broker = Broker::start(&["--auto-login", "alice", "--catalog", catalog.arg()]);
    let w = logged_in(&broker);
    let kubeconfig = w.home.kubeconfig();
    std::fs::write(&kubeconfig, KUBECONFIG).unwrap();
    let out = w.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.code(1);
    assert!(
        out.stderr.contains("file:///etc/passwd") && out.stderr.contains("will not write"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&kubeconfig).unwrap(), KUBECONFIG);
    assert!(!lock_of(&kubeconfig).exists());
}

#[test]
fn broker_values_that_would_add_lines_are_not_written() {
    let demo = zt_broker::dev::demo::DEMO_TOML;
    let (aws, pg) = (
        r#"settings = { region = "us-east-1", account_id = "123456789012" }"#,
        r#"settings = { host = "127.0.0.1", port = 5432, dbname = "app" }"#,
    );
    assert!(demo.contains(aws) && demo.contains(pg));
    let catalog = CatalogFile::new(
        &demo
            .replace(
                aws,
                r#"settings = { region = "us-east-1\n[default]\nregion = evil", account_id = "123456789012" }"#,
            )
            .replace(
                pg,
                r#"settings = { host = "127.0.0.1\n*:*:*:*:stolen", port = 5432, dbname = "app" }"#,
            ),
    );
    let broker = Broker::start(&["--auto-login", "alice", "--catalog", catalog.arg()]);
    let mut w = World::new();
    let aws_config = w.path().join(".aws/config");
    w.set("AWS_CONFIG_FILE", &aws_config);
    w.login(&broker);
    let pgpass = w.path().join(".pgpass");
    write_private(&aws_config, AWS_CONFIG);
    write_private(&pgpass, PGPASS);
    let service = w.path().join(".pg_service.conf");
    // prod-db: the service file is written first and refuses the host; pgpass is not reached.
    for (resource, file, text) in [
        ("prod-aws", &aws_config, AWS_CONFIG),
        ("prod-db", &service, ""),
    ] {
        let out = w.run(&["request", resource, "--ttl", "5m"]);
        out.code(1);
        assert!(
            out.stderr.contains("will not write")
                && out.stderr.contains(&file.display().to_string()),
            "{resource}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("\n[default]"),
            "shown escaped: {}",
            out.stderr
        );
        assert_eq!(
            std::fs::read_to_string(file).unwrap_or_default(),
            text,
            "{resource}"
        );
    }
    assert_eq!(std::fs::read_to_string(&pgpass).unwrap(), PGPASS);
}

/// The 32 MiB bound holds before anything is asked: the check that runs before the request
/// (and `zt status`'s look at the file) reads at most that much, so an oversized kubeconfig
/// is refused with no grant minted, not read whole and then refused after the grant.
#[test]
fn an_oversized_kubeconfig_is_refused_before_anything_is_minted() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let w = logged_in(&broker);
    let kubeconfig = w.home.kubeconfig();
    let mut text = String::from("apiVersion: v1\nkind: Config\nclusters: []\n# ");
    text.push_str(&"x".repeat(33 << 20));
    text.push('\n');
    std::fs::write(&kubeconfig, &text).unwrap();
    let out = w.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.code(1);
    assert!(
        out.stderr.contains("larger than 32 MiB")
            && out.stderr.contains("asked the broker for nothing"),
        "{}",
        out.stderr
    );
    let status = w.run(&["status", "--json"]).ok().json();
    assert_eq!(status, serde_json::json!([]), "nothing was requested");
    assert_eq!(
        std::fs::metadata(&kubeconfig).unwrap().len(),
        text.len() as u64
    );
}

/// A ledger is a file anyone with the user's rights can edit: times at the ends of i64 neither
/// crash nor hang the commands that read it (status, prompt, reap), in text or JSON.
#[test]
fn a_ledger_with_times_at_the_ends_of_i64_crashes_nothing() {
    let home = crate::common::Home::new();
    let ledger = serde_json::json!({ "entries": [
        { "grant": "far", "profile": "default", "resource": "prod-k8s", "role": "view",
          "expires_at": i64::MAX,
          "target": { "kind": "file", "file": home.path().join("far").display().to_string() } },
        { "grant": "early", "profile": "default", "resource": "prod-db", "role": "view",
          "expires_at": i64::MIN,
          "target": { "kind": "file", "file": home.path().join("early").display().to_string() } },
    ]});
    std::fs::write(home.state().join("ledger.json"), ledger.to_string()).unwrap();
    for args in [
        &["status"][..],
        &["--json", "status"],
        &["prompt"],
        &["reap", "--dry-run"],
        &["reap"],
    ] {
        let out = home.run(args);
        assert!(
            out.code == 0 && !out.stderr.contains("panicked"),
            "zt {args:?}: {out:#?}"
        );
    }
    // The far one is still listed, with the last time RFC 3339 can write.
    let out = home.run(&["--json", "status"]);
    assert!(out.stdout.contains("9999-12-31T23:59:59Z"), "{out:#?}");
}
