//! The life of a grant on the client, against real `zt-broker dev`s: a file zt will not edit
//! leaves no live grant behind; asking again reuses a grant that covers the ask; two roles and
//! two profiles of one resource get names of their own; what a restarted broker forgot is
//! cleaned up by `zt reap` / `zt revoke` and not claimed by `zt status`; a waiting request
//! gives up on a dead broker with exit 7 and can be resumed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::broker::Broker;
use crate::common::world::{kubeconfig_contexts, yaml};
use crate::common::{Home, Out, kubectl};

/// A `zt-broker dev` on a port of our choosing (so it can be restarted at the same URL),
/// optionally keeping its state in `data_dir`; killed on drop.
struct Dev {
    url: String,
    child: Child,
    _home: Home,
}

impl Dev {
    fn start(port: u16, data_dir: Option<&Path>, extra: &[&str]) -> Dev {
        let home = Home::new();
        let mut cmd = home.cmd(crate::common::broker_bin());
        cmd.args(["dev", "--port", &port.to_string()]).args(extra);
        if let Some(d) = data_dir {
            cmd.arg("--data-dir").arg(d);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let url = crate::common::broker::dev_url(&mut child);
        Dev {
            url,
            child,
            _home: home,
        }
    }

    fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .parse()
            .unwrap()
    }

    fn kill(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn login(home: &Home, url: &str, profile: &str) {
    home.run(&[
        "--profile",
        profile,
        "login",
        "--broker",
        url,
        "--insecure-storage",
        "--no-browser",
        "--force",
    ])
    .ok();
}

fn grant_of(out: &Out) -> String {
    out.json()["request"]["id"].as_str().unwrap().to_string()
}

/// The open requests and live grants `zt status --json` lists (id, state).
fn status(home: &Home, profile: &str) -> Vec<serde_json::Value> {
    home.run(&["--profile", profile, "status", "--json"])
        .ok()
        .json()
        .as_array()
        .cloned()
        .unwrap()
}

fn live_ids(home: &Home, profile: &str) -> Vec<String> {
    status(home, profile)
        .iter()
        .filter(|r| r["state"] == "active" || r["state"] == "approved")
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn contexts(home: &Home) -> Vec<String> {
    kubeconfig_contexts(&std::fs::read_to_string(home.kubeconfig()).unwrap_or_default())
        .unwrap_or_default()
}

/// The grant id a kubeconfig context's exec plugin asks for.
fn context_grant(home: &Home, context: &str) -> String {
    let doc = yaml(&std::fs::read_to_string(home.kubeconfig()).unwrap()).unwrap();
    let user = doc["users"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|u| u["name"].as_str() == Some(context))
        .unwrap_or_else(|| panic!("no user {context}"))
        .clone();
    user["user"]["exec"]["args"]
        .as_vec()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn kubectl_works(home: &Home, context: &str) {
    if let Some(k) = kubectl() {
        let out = Out::from(
            home.cmd(&k)
                .args(["--context", context, "get", "namespaces"])
                .output()
                .unwrap(),
        );
        out.ok();
        assert!(out.stdout.contains("default"), "{}", out.stdout);
    }
}

#[test]
fn a_file_zt_will_not_edit_leaves_no_live_grant() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker.url, "default");

    // Refused before asking: nothing minted, the file as it was.
    let broken = "apiVersion: v1\nclusters: [\n  - {name: a\n";
    std::fs::write(home.kubeconfig(), broken).unwrap();
    let out = home.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.code(1);
    assert!(
        out.stderr.contains("asked the broker for nothing"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(home.kubeconfig()).unwrap(), broken);
    assert!(status(&home, "default").is_empty(), "a grant was left live");

    // Refused after the grant (kubectl's lock is held the whole time): the grant is revoked
    // at the broker, and the message says so.
    std::fs::write(home.kubeconfig(), "").unwrap();
    let lock = home.path().join(".kube/config.lock");
    std::fs::create_dir(&lock).unwrap();
    let out = home.run(&["request", "prod-k8s", "--ttl", "5m"]);
    out.code(1);
    assert!(
        out.stderr.contains("was revoked at the broker"),
        "{}",
        out.stderr
    );
    assert!(
        live_ids(&home, "default").is_empty(),
        "a grant was left live"
    );
    assert!(
        zt::ledger::Ledger::read_from(&home.state().join("ledger.json"))
            .entries
            .is_empty()
    );
    std::fs::remove_dir(&lock).unwrap();
}

#[test]
fn asking_again_reuses_a_grant_that_covers_the_ask() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker.url, "default");

    let first = grant_of(&home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]));
    // Same role, less or as much time: the same grant, nothing minted.
    for ttl in ["10m", "2m"] {
        let out = home.run(&["request", "prod-k8s", "--ttl", ttl, "--json"]);
        assert_eq!(grant_of(&out), first);
        assert_eq!(out.json()["reused"], true);
        assert_eq!(out.json()["context"], "zt-prod-k8s");
    }
    let out = home.run(&["request", "prod-k8s", "--ttl", "10m"]);
    assert!(
        out.ok().stderr.contains("Already granted"),
        "{}",
        out.stderr
    );
    // The same first command as the first answer suggested, namespace included.
    assert!(
        out.stderr
            .contains("try: kubectl --context zt-prod-k8s get pods -n default"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout.trim(), "zt-prod-k8s");
    assert_eq!(live_ids(&home, "default"), [first.as_str()]);

    // More time than it has left: a new grant takes the name over, the older one is revoked.
    let second = grant_of(&home.run(&["request", "prod-k8s", "--ttl", "30m", "--json"]));
    assert_ne!(second, first);
    assert_eq!(live_ids(&home, "default"), [second.as_str()]);
    assert_eq!(context_grant(&home, "zt-prod-k8s"), second);
    kubectl_works(&home, "zt-prod-k8s");
}

#[test]
fn two_roles_of_one_resource_get_names_of_their_own() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");

    let view = grant_of(&alice.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]));
    let out = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--ttl",
        "10m",
        "--no-wait",
        "--json",
    ]);
    let admin = out.ok().json()["id"].as_str().unwrap().to_string();
    // Asking again while it waits picks the same request up rather than filing another.
    let again = alice.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--ttl",
        "10m",
        "--no-wait",
        "--json",
    ]);
    assert_eq!(again.ok().json()["id"], admin.as_str());
    bob.run(&["approve", &admin]).ok();
    let out = alice.run(&[
        "request", "prod-k8s", "--role", "admin", "--ttl", "10m", "--json",
    ]);
    assert_eq!(grant_of(&out), admin);
    assert_eq!(out.json()["context"], "zt-prod-k8s-admin");

    let ctx = contexts(&alice);
    assert!(ctx.contains(&"zt-prod-k8s".into()) && ctx.contains(&"zt-prod-k8s-admin".into()));
    assert_eq!(context_grant(&alice, "zt-prod-k8s"), view);
    assert_eq!(context_grant(&alice, "zt-prod-k8s-admin"), admin);

    // Ending one leaves the other's entry, and it works.
    alice.run(&["revoke", &view]).ok();
    let ctx = contexts(&alice);
    assert!(!ctx.contains(&"zt-prod-k8s".into()), "{ctx:?}");
    assert!(ctx.contains(&"zt-prod-k8s-admin".into()), "{ctx:?}");
    alice.run(&["credential", "kube", &admin]).ok();
    kubectl_works(&alice, "zt-prod-k8s-admin");
}

#[test]
fn two_profiles_on_one_resource_never_collide() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker.url, "default");
    login(&home, &broker.url, "work");

    let mine = grant_of(&home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]));
    let out = home.run(&[
        "--profile",
        "work",
        "request",
        "prod-k8s",
        "--ttl",
        "10m",
        "--json",
    ]);
    let work = grant_of(&out);
    assert_ne!(
        work, mine,
        "a grant written for one profile is not another's"
    );
    assert_eq!(out.json()["context"], "zt-work-prod-k8s");
    assert_eq!(context_grant(&home, "zt-prod-k8s"), mine);
    assert_eq!(context_grant(&home, "zt-work-prod-k8s"), work);

    // Wiping one profile's grant leaves the other's working.
    home.run(&["revoke", &mine]).ok();
    let ctx = contexts(&home);
    assert!(!ctx.contains(&"zt-prod-k8s".into()), "{ctx:?}");
    assert!(ctx.contains(&"zt-work-prod-k8s".into()), "{ctx:?}");
    home.run(&["--profile", "work", "credential", "kube", &work])
        .ok();
    kubectl_works(&home, "zt-work-prod-k8s");
}

#[test]
fn what_a_restarted_broker_forgot_is_cleaned_up() {
    let first = Dev::start(0, None, &["--auto-login", "alice"]);
    let port = first.port();
    let home = Home::new();
    login(&home, &first.url, "default");
    let kube = grant_of(&home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]));
    let aws = grant_of(&home.run(&["request", "prod-aws", "--ttl", "10m", "--json"]));
    let aws_config = home.path().join(".aws/config");
    assert!(std::fs::read_to_string(&aws_config).unwrap().contains(&aws));

    // A zt killed mid-write of the ledger left its temp file (its pid is dead).
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    let pid = dead.id();
    dead.wait().unwrap();
    let temp = home.state().join(format!(".ledger.json.zt-{pid}-x1"));
    std::fs::write(&temp, "{}").unwrap();

    // The broker restarts with nothing: neither grant exists any more.
    first.kill();
    let _second = Dev::start(port, None, &["--auto-login", "alice"]);
    login(&home, &_second.url, "default");

    // Someone removed the AWS profile by hand: status does not claim it.
    std::fs::write(&aws_config, "").unwrap();
    let rows = status(&home, "default");
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).cloned();
    assert!(row(&aws).is_none(), "nothing of {aws} is on disk: {rows:?}");
    let k = row(&kube).unwrap_or_else(|| panic!("{rows:?}"));
    assert_eq!(k["state"], "gone");
    assert!(k["seconds_left"].is_null(), "{k}");

    // `zt revoke` of a grant the broker does not know still cleans up here.
    let out = home.run(&["revoke", &aws]);
    assert!(
        out.ok().stderr.contains("does not know grant"),
        "{}",
        out.stderr
    );
    // `zt reap` removes the forgotten grant's entries.
    let out = home.run(&["reap"]);
    assert!(
        out.ok().stdout.contains("no longer knows"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(!contexts(&home).contains(&"zt-prod-k8s".into()));
    assert!(
        zt::ledger::Ledger::read_from(&home.state().join("ledger.json"))
            .entries
            .is_empty()
    );
    assert!(
        !temp.exists(),
        "the dead zt's ledger temp file is still there"
    );
    assert!(status(&home, "default").is_empty());
    let out = home.run(&["revoke", &kube]);
    out.code(8);
}

#[test]
fn a_huge_ledger_is_refused_not_read() {
    let home = Home::new();
    let pad = "x".repeat(17 << 20);
    std::fs::write(
        home.state().join("ledger.json"),
        format!("{{\"entries\": [], \"pad\": \"{pad}\"}}"),
    )
    .unwrap();
    let out = home.run(&["reap"]);
    out.code(1);
    assert!(out.stderr.contains("larger than"), "{}", out.stderr);
}

#[test]
fn a_waiting_request_gives_up_on_a_dead_broker_and_resumes() {
    let data = tempfile::tempdir().unwrap();
    let first = Dev::start(0, Some(data.path()), &["--auto-login", "alice"]);
    let port = first.port();
    let home = Home::new();
    login(&home, &first.url, "default");

    let mut child = home
        .zt(&["request", "prod-k8s", "--role", "admin", "--ttl", "10m"])
        .env("ZT_BROKER_RETRY_SECS", "6")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("needs approval") {
        let mut line = String::new();
        assert!(err.read_line(&mut line).unwrap() > 0, "{seen}");
        seen.push_str(&line);
    }
    let id = seen
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("{seen}"))
        .to_string();
    let down = Instant::now();
    first.kill();
    let reader = std::thread::spawn(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        rest
    });
    // Bounded here too: today's zt would wait forever.
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if down.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("zt request still retrying a dead broker after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = down.elapsed();
    let rest = reader.join().unwrap();
    assert_eq!(status.code(), Some(7), "{seen}{rest}");
    assert!(
        took < Duration::from_secs(40),
        "gave up only after {took:?}"
    );
    assert!(rest.contains("broker unreachable, retrying"), "{rest}");
    assert!(rest.contains(&id) && rest.contains("resumes"), "{rest}");
    eprintln!("gave up {took:?} after the broker died (limit 6 s)");

    // The broker is back with its state: asking again picks the same request up.
    let _second = Dev::start(port, Some(data.path()), &["--auto-login", "alice"]);
    let out = home.run(&[
        "request",
        "prod-k8s",
        "--role",
        "admin",
        "--ttl",
        "10m",
        "--no-wait",
        "--json",
    ]);
    assert_eq!(out.ok().json()["id"], id.as_str());
}

#[test]
fn a_grant_revoked_elsewhere_is_reaped_on_demand() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let (laptop, other) = (Home::new(), Home::new());
    login(&laptop, &broker.url, "default");
    login(&other, &broker.url, "default");
    // No background reaper: `zt reap` alone must notice (as after a zt killed mid-revoke).
    let out = Out::from(
        laptop
            .zt(&["request", "prod-k8s", "--ttl", "10m", "--json"])
            .env("ZT_REAPER", "0")
            .output()
            .unwrap(),
    );
    let id = grant_of(out.ok());
    other.run(&["revoke", &id]).ok();

    let rows = status(&laptop, "default");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["state"], "revoked");
    assert!(rows[0]["seconds_left"].is_null());
    let out = laptop.run(&["reap", "--dry-run"]);
    assert!(out.ok().stdout.contains("would remove"), "{}", out.stdout);
    assert!(contexts(&laptop).contains(&"zt-prod-k8s".into()));
    let out = laptop.run(&["reap"]);
    assert!(out.ok().stdout.contains("ended early"), "{}", out.stdout);
    assert!(!contexts(&laptop).contains(&"zt-prod-k8s".into()));
    assert!(status(&laptop, "default").is_empty());
}

/// A grant used only through `zt exec` has no entry in a file, so no wipe takes its cached
/// password along: the next zt run after the grant's end removes it all the same.
#[test]
fn an_exec_grants_cached_password_goes_when_the_grant_ends() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker.url, "default");
    home.run(&["exec", "prod-db", "--ttl", "2s", "--", "true"])
        .ok();
    let creds = home.path().join("run/creds");
    let cached = |ext: &str| -> Vec<String> {
        std::fs::read_dir(&creds)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(ext))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(cached(".json").len(), 1, "exec caches its credential");
    std::thread::sleep(Duration::from_secs(3));
    home.run(&["status"]).ok();
    assert!(cached(".json").is_empty(), "{:?}", cached(""));
}

/// `zt exec` with the id of a grant that is over says so (exit 6), not "no such resource" (8).
#[test]
fn exec_with_an_ended_grants_id_says_it_is_over() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker.url, "default");
    let id = grant_of(&home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]));
    home.run(&["revoke", &id]).ok();
    let out = home.run(&["exec", &id, "--", "true"]);
    out.code(6);
    assert!(
        out.stderr
            .contains(&format!("grant {id} (prod-k8s/view) is revoked"))
            && out.stderr.contains("zt exec prod-k8s"),
        "{}",
        out.stderr
    );
    // A name that is neither stays "not found".
    home.run(&["exec", "no-such-thing", "--", "true"]).code(8);
}
