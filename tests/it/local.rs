//! What zt answers from local files alone: shell completion (the `ZT_COMPLETE` protocol, from
//! the ledger and the catalog cache, never the network), `zt prompt` (the ledger, hostile or
//! not), and `zt status --watch` (refused without a terminal; a live countdown in one).

use std::net::TcpListener;
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::tmux::{Shell, Tmux};
use crate::common::{Home, Out};

fn login(home: &Home, broker: &Broker, profile: &str) {
    home.run(&[
        "--profile",
        profile,
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ])
    .ok();
}

/// One Tab press as the bash script makes it: the words on the line, the cursor on the last.
fn complete(home: &Home, shell: &str, words: &[&str]) -> Out {
    let out = home
        .zt(&["--"])
        .args(words)
        .env("ZT_COMPLETE", shell)
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .output()
        .unwrap();
    Out::from(out)
}

fn candidates(out: &Out) -> Vec<String> {
    out.ok();
    out.stdout
        .lines()
        .map(|l| l.split(['\t', ':']).next().unwrap_or("").to_string())
        .filter(|v| !v.starts_with('-'))
        .collect()
}

/// The profile's broker becomes a listener that never answers, and stays one: a completion
/// that tried the network would connect to it (and hang). The caller checks it saw nobody.
fn point_profiles_at(home: &Home, listener: &TcpListener) {
    let config = home.path().join(".config/zt/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let mut rewritten = String::new();
    for line in text.lines() {
        match line.starts_with("broker = ") {
            true => rewritten.push_str(&format!("broker = \"{addr}\"")),
            false => rewritten.push_str(line),
        }
        rewritten.push('\n');
    }
    std::fs::write(&config, rewritten).unwrap();
}

#[test]
fn completion_answers_from_the_ledger_and_the_cache_without_the_network() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    login(&home, &broker, "default");
    login(&home, &broker, "staging");

    // Nothing fetched yet: no resource is known, and nothing fails.
    assert!(candidates(&complete(&home, "bash", &["zt", "request", "pr"])).is_empty());

    // `zt catalog` and `zt request` leave the catalog cache behind (0600, no secret).
    home.run(&["catalog"]).ok();
    let cache = home.path().join(".cache/zt/catalog-default.json");
    let mode = std::fs::metadata(&cache).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    let granted = home.run(&["request", "prod-k8s", "--ttl", "10m", "--json"]);
    let grant = granted.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // From here on the broker is gone and its address answers nobody.
    drop(broker);
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    silent.set_nonblocking(true).unwrap();
    point_profiles_at(&home, &silent);

    let got = candidates(&complete(&home, "bash", &["zt", "request", "pr"]));
    assert_eq!(got, ["prod-aws", "prod-db", "prod-k8s"]);

    // Roles: the resource's on the line (from the cache); a grant id stands for its resource.
    let got = candidates(&complete(
        &home,
        "bash",
        &["zt", "request", "prod-k8s", "--role", ""],
    ));
    assert_eq!(got, ["admin", "edit", "view"]);
    let got = candidates(&complete(&home, "bash", &["zt", "exec", &grant, "-r", ""]));
    assert_eq!(got, ["admin", "edit", "view"]);
    let got = candidates(&complete(&home, "bash", &["zt", "request", "--role", "r"]));
    assert_eq!(got, ["readonly", "readwrite"], "every resource's roles");

    // Grant ids and the resources they are on.
    for sub in ["revoke", "extend", "env"] {
        let got = candidates(&complete(&home, "bash", &["zt", sub, ""]));
        assert_eq!(got, [grant.clone(), "prod-k8s".into()], "zt {sub}");
    }
    let got = candidates(&complete(&home, "bash", &["zt", "credential", "kube", ""]));
    assert_eq!(got, vec![grant.clone()]);

    // Profiles, from config.toml.
    let got = candidates(&complete(&home, "bash", &["zt", "--profile", ""]));
    assert_eq!(got, ["default", "staging"]);
    // The other profile has fetched no catalog: nothing to offer, no error.
    let got = candidates(&complete(
        &home,
        "bash",
        &["zt", "--profile", "staging", "request", "pr"],
    ));
    assert!(got.is_empty(), "{got:?}");

    // zsh and fish get descriptions (made inert) with the names.
    let zsh = complete(&home, "zsh", &["zt", "request", "prod-k"]);
    assert_eq!(
        zsh.ok().stdout.trim(),
        "prod-k8s:kubernetes: view* edit admin"
    );
    let fish = complete(&home, "fish", &["zt", "revoke", ""]);
    assert!(
        fish.ok()
            .stdout
            .contains(&format!("{grant}\tprod-k8s/view · ")),
        "{}",
        fish.stdout
    );

    // No Tab press reached the network.
    match silent.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("a completion connected to the broker: {other:?}"),
    }
    // The prompt agrees with what completion offered.
    let shown = home.run(&["prompt"]);
    assert!(
        shown.ok().stdout.starts_with("⎈ prod-k8s/view "),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_hostile_cache_or_ledger_offers_nothing_raw() {
    let home = Home::new();
    let cache = home.path().join(".cache/zt");
    std::fs::create_dir_all(&cache).unwrap();
    let now = zt_api::Timestamp::now().0;
    std::fs::write(
        cache.join("catalog-default.json"),
        format!(
            r#"{{"profile":"default","fetched_at":{now},"catalog":{{"resources":[
            {{"name":"prod\u001b[2J","kind":"aws","roles":[],"default_role":"x","max_ttl_secs":1}},
            {{"name":"prod-ok","kind":"aws","description":"","roles":[{{"name":"r\nm -rf","auto_approve":true}},{{"name":"read","auto_approve":true}}],"default_role":"read","max_ttl_secs":1}}]}}}}"#
        ),
    )
    .unwrap();
    let got = complete(&home, "fish", &["zt", "request", "pr"]);
    assert_eq!(got.ok().stdout, "prod-ok\taws: r\\nm -rf* read*\n");
    let got = candidates(&complete(
        &home,
        "bash",
        &["zt", "request", "prod-ok", "--role", ""],
    ));
    assert_eq!(got, ["read"]);

    // A cache too large to be one zt wrote is not read.
    std::fs::write(cache.join("catalog-default.json"), " ".repeat(2 << 20)).unwrap();
    assert!(candidates(&complete(&home, "bash", &["zt", "request", ""])).is_empty());
    // Garbage ledger: nothing, exit 0.
    std::fs::write(home.state().join("ledger.json"), "\u{0}garbage").unwrap();
    assert!(candidates(&complete(&home, "bash", &["zt", "revoke", ""])).is_empty());
}

fn write_ledger(home: &Home, entries: &[(&str, &str, &str, i64, &str)]) {
    let now = zt_api::Timestamp::now().0;
    let entries: Vec<String> = entries
        .iter()
        .map(|(grant, profile, resource, left, target)| {
            format!(
                r#"{{"grant":"{grant}","profile":"{profile}","resource":"{resource}","role":"admin","expires_at":{},"target":{target}}}"#,
                now + left
            )
        })
        .collect();
    std::fs::write(
        home.state().join("ledger.json"),
        format!(r#"{{"entries":[{}]}}"#, entries.join(",")),
    )
    .unwrap();
}

const KUBE: &str = r#"{"kind":"kubeconfig","file":"/nowhere","name":"zt-x","undo":{}}"#;
const AWS: &str =
    r#"{"kind":"ini","file":"/nowhere","header":"profile zt-x","dialect":"aws-config","undo":{}}"#;

#[test]
fn prompt_shows_live_grants_and_nothing_else() {
    let home = Home::new();
    // No ledger at all: no output, exit 0.
    let out = home.run(&["prompt"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "")
    );
    assert_eq!(
        home.run(&["prompt", "--json"]).ok().json()["grants"],
        serde_json::json!([])
    );

    write_ledger(&home, &[("g1", "default", "prod-k8s", 42 * 60 + 30, KUBE)]);
    assert_eq!(home.run(&["prompt"]).ok().stdout, "⎈ prod-k8s/admin 42m\n");

    write_ledger(
        &home,
        &[
            ("g1", "default", "prod-k8s", 42 * 60 + 30, KUBE),
            ("g2", "work", "prod-aws", 4 * 60 + 30, AWS),
            ("g3", "default", "old", -10, KUBE),
        ],
    );
    let out = home.run(&["prompt"]);
    assert_eq!(
        out.ok().stdout,
        "☁ prod-aws/admin ⚠4m · ⎈ prod-k8s/admin 42m\n"
    );
    // A profile named (flag or variable) narrows it.
    let out = home.run(&["--profile", "work", "prompt"]);
    assert_eq!(out.ok().stdout, "☁ prod-aws/admin ⚠4m\n");
    let out = Out::from(
        home.zt(&["prompt"])
            .env("ZT_PROFILE", "default")
            .output()
            .unwrap(),
    );
    assert_eq!(out.ok().stdout, "⎈ prod-k8s/admin 42m\n");
    let json = home.run(&["prompt", "--json"]).ok().json();
    assert_eq!(json["grants"][0]["grant"], "g2");
    assert_eq!(json["grants"][0]["kind"], "aws");
    assert_eq!(json["grants"][0]["ending_soon"], true);
    assert_eq!(json["grants"].as_array().unwrap().len(), 2);
    // The prompt sweeps nothing: the ended entry is still in the ledger.
    let ledger = zt::ledger::Ledger::read_from(&home.state().join("ledger.json"));
    assert_eq!(ledger.entries.len(), 3);
}

#[test]
fn prompt_escapes_a_hostile_ledger_and_ignores_a_broken_one() {
    let home = Home::new();
    write_ledger(
        &home,
        &[("g1", "default", "pr\\u001b]0;pwned\\u0007od\\r", 630, KUBE)],
    );
    let out = home.run(&["prompt"]);
    assert_eq!(
        out.ok().stdout,
        "⎈ pr\\u{1b}]0;pwned\\u{7}od\\r/admin 10m\n"
    );

    let ledger = home.state().join("ledger.json");
    for garbage in [
        "not json".to_string(),
        "{\"entries\": [{\"grant\": 1}]}".into(),
        "[".repeat(100_000),
        format!("{{\"entries\":[]}}{}", " ".repeat(2 << 20)),
    ] {
        std::fs::write(&ledger, &garbage).unwrap();
        let out = home.run(&["prompt"]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, "", "")
        );
    }
    // A ledger zt cannot open (a directory) is no different.
    std::fs::remove_file(&ledger).unwrap();
    std::fs::create_dir(&ledger).unwrap();
    assert_eq!(home.run(&["prompt"]).ok().stdout, "");
}

#[test]
fn status_watch_needs_a_terminal_and_no_json() {
    let home = Home::new();
    write_ledger(&home, &[("g1", "default", "prod-k8s", 630, KUBE)]);
    let out = home.run(&["status", "--watch"]);
    out.code(2);
    assert!(out.stderr.contains("needs a terminal"), "{}", out.stderr);
    assert!(out.stderr.contains("zt status --json"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    for args in [
        &["--json", "status", "--watch"][..],
        &["status", "--watch", "--json"],
    ] {
        let out = home.run(args);
        out.code(2);
        assert!(out.stderr.contains("--json"), "{args:?}: {}", out.stderr);
        let err: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
        assert_eq!(err["error"]["kind"], "usage", "{args:?}");
    }
}

/// The catalog cache a `zt catalog` leaves behind, written by hand (no broker needed).
fn cached_catalog(home: &Home) {
    let cached = zt::cache::CachedCatalog {
        profile: "default".into(),
        fetched_at: zt_api::Timestamp::now().0,
        catalog: zt_api::Catalog {
            resources: ["prod-k8s", "prod-aws", "staging-db"]
                .iter()
                .map(|name| zt_api::CatalogEntry {
                    name: name.to_string(),
                    kind: zt_api::ResourceKind::Kubernetes,
                    description: String::new(),
                    roles: vec![zt_api::RoleInfo {
                        name: "view".into(),
                        auto_approve: true,
                        approver_groups: vec![],
                    }],
                    default_role: "view".into(),
                    max_ttl_secs: 3600,
                })
                .collect(),
        },
    };
    let dir = home.path().join(".cache/zt");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("catalog-default.json"),
        serde_json::to_vec(&cached).unwrap(),
    )
    .unwrap();
}

/// A cleared screen with a fresh prompt (after Ctrl-C abandoned a line: wait for its prompt
/// first, or `clear` is typed into a line still being redrawn).
fn cleared(t: &Tmux) {
    let prompt = t.shell.prompt().trim_end();
    t.wait_for("a fresh prompt", Duration::from_secs(10), |s| {
        s.trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.trim_end() == prompt)
    });
    t.send_line("clear");
    t.wait_for("a cleared screen", Duration::from_secs(10), |s| {
        s.trim_end() == prompt
    });
}

#[test]
fn tab_completes_a_resource_in_bash_zsh_and_fish() {
    let completions = concat!(env!("CARGO_MANIFEST_DIR"), "/../completions");
    // How each shell turns it on: the README's line, and (zsh) the file install.sh installs.
    let cases: [(Shell, String); 4] = [
        (Shell::Bash, "source <(zt completions bash)".into()),
        (
            Shell::Zsh,
            "autoload -U compinit && compinit -u && source <(zt completions zsh)".into(),
        ),
        (
            Shell::Zsh,
            format!("fpath=({completions} $fpath) && autoload -U compinit && compinit -u"),
        ),
        (Shell::Fish, "zt completions fish | source".into()),
    ];
    for (shell, setup) in cases {
        let home = Home::new();
        cached_catalog(&home);
        let Some(t) = Tmux::start(&home, shell) else {
            return;
        };
        t.run(&setup, Duration::from_secs(10));
        cleared(&t);
        t.send_text("zt request pr");
        t.send_keys(&["Tab"]);
        // Three names share `prod-`: the line grows to it.
        t.wait_text("zt request prod-", Duration::from_secs(10));
        t.send_text("k");
        t.send_keys(&["Tab"]);
        t.wait_text("zt request prod-k8s", Duration::from_secs(10));
        // Completing the role of that resource.
        t.send_keys(&["C-c"]);
        cleared(&t);
        t.send_text("zt request staging-db --role v");
        t.send_keys(&["Tab"]);
        let screen = t.wait_text("--role view", Duration::from_secs(10));
        assert!(!screen.contains("error"), "{shell:?} ({setup}): {screen}");
        t.send_keys(&["C-c"]);
    }
}

#[test]
fn status_watch_counts_down_until_the_grant_ends() {
    for shell in [Shell::Bash, Shell::Zsh] {
        let broker = Broker::start(&["--auto-login", "alice"]);
        let home = Home::new();
        login(&home, &broker, "default");
        let Some(t) = Tmux::start(&home, shell) else {
            return;
        };
        home.run(&["request", "prod-k8s", "--ttl", "7s"]).ok();
        t.send_line("zt status --watch");
        let first = t.wait_text("s left", Duration::from_secs(10));
        assert!(first.contains("prod-k8s/view"), "{first}");
        // It redraws: a later second shows a smaller number in the same place.
        let left = |s: &str| -> Option<u32> {
            let line = s
                .lines()
                .find(|l| l.contains("prod-k8s/view") && l.contains("s left"))?;
            let before = line.split("s left").next()?;
            before.rsplit(' ').next()?.parse().ok()
        };
        let start = left(&first).unwrap_or_else(|| panic!("{first}"));
        let later = t.wait_for("the countdown to move", Duration::from_secs(10), |s| {
            left(s).is_some_and(|n| n < start)
        });
        assert_eq!(
            later.matches("prod-k8s/view").count(),
            1,
            "redrawn in place, not appended: {later}"
        );
        // It ends by itself when the grant does, back at the prompt.
        let end = t.wait_text("Every watched grant has ended.", Duration::from_secs(20));
        assert!(end.contains("ended"), "{end}");
        t.wait_for("the prompt after the watch", Duration::from_secs(10), |s| {
            s.trim_end().ends_with(shell.prompt().trim_end())
        });
    }
}
