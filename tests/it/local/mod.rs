//! What zt answers from local files alone: shell completion (the `ZT_COMPLETE` protocol, from
//! the ledger and the catalog cache, never the network) here; `zt prompt` and `zt status
//! --watch` without a terminal in `prompt`; real shells completing and a live countdown under
//! tmux in `terminal`.

mod prompt;
mod terminal;

use std::net::TcpListener;

use crate::common::broker::Broker;
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
    assert_eq!(got, ["prod-aws", "prod-db", "prod-k8s", "prod-ssh"]);
    // Every positional of a bundle (`zt request prod-k8s pr<Tab>`), and the catalog's bundles.
    let got = candidates(&complete(
        &home,
        "bash",
        &["zt", "request", "prod-k8s", "pr"],
    ));
    assert_eq!(got, ["prod-aws", "prod-db", "prod-k8s", "prod-ssh"]);
    let got = candidates(&complete(
        &home,
        "bash",
        &["zt", "request", "prod-k8s", "inc"],
    ));
    assert_eq!(got, ["incident-db-access"]);

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
