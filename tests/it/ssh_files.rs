//! zt's ssh files under fire: many zt processes writing them at once, and zt killed at random
//! moments, with the user's `~/.ssh/config` a symlink into a dotfiles directory (CRLF,
//! comments, a Match block). The real `ssh -G` (Debian openssh-client) parses the result every
//! time. The broker is a real `zt-broker dev` with a catalog of SSH resources (nothing logs in
//! here: these tests are about the files).

use std::process::{Child, Stdio};
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::sshd::{login_user, sshd_bin};
use crate::common::world::{CatalogFile, Rng, World};
use crate::ssh::USER_SSH_CONFIG;

/// `n` SSH resources `ssh-NN`, granted at once to alice (engineering).
fn catalog(n: usize) -> String {
    let user = login_user();
    (0..n)
        .map(|i| {
            format!(
                "[[resource]]\nname = \"ssh-{i:02}\"\nkind = \"ssh\"\ndefault_role = \"login\"\n\
                 max_ttl = \"1h\"\nrequester_groups = [\"engineering\"]\n\
                 settings = {{ host = \"127.0.0.1\", port = {} }}\n\n\
                 [[resource.role]]\nname = \"login\"\nauto_approve_groups = [\"engineering\"]\n\
                 settings = {{ principals = [\"{user}\"] }}\n\n",
                2200 + i
            )
        })
        .collect()
}

/// A HOME whose `~/.ssh/config` is a link to `dotfiles/ssh_config` holding the user's config.
fn world(broker: &Broker) -> World {
    let mut w = World::new();
    w.set("ZT_REAPER", "0");
    let dot = w.path().join("dotfiles");
    std::fs::create_dir_all(&dot).unwrap();
    std::fs::create_dir_all(w.path().join(".ssh")).unwrap();
    std::fs::write(dot.join("ssh_config"), USER_SSH_CONFIG).unwrap();
    std::os::unix::fs::symlink("../dotfiles/ssh_config", w.path().join(".ssh/config")).unwrap();
    w.login(broker);
    w
}

fn include(w: &World) -> String {
    format!("Include {}\r\n", w.path().join(".ssh/zt/config").display())
}

/// The user's config is theirs, with or without zt's one line on top; still a link; and the
/// real ssh parses it (and zt's file through it) for `host`.
#[track_caller]
fn whole(w: &World, host: &str) -> bool {
    let link = w.path().join(".ssh/config");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    let text = std::fs::read_to_string(&link).unwrap();
    let with = text == format!("{}{USER_SSH_CONFIG}", include(w));
    assert!(with || text == USER_SSH_CONFIG, "torn ssh config:\n{text}");
    let zt = w.path().join(".ssh/zt/config");
    if let Ok(t) = std::fs::read_to_string(&zt) {
        zt::materialize::sshconfig::parse(&t).unwrap_or_else(|e| panic!("{e}:\n{t}"));
    }
    let out = w.run_cmd("ssh", &["-G", "-F", &link.display().to_string(), host]);
    assert_eq!(out.code, 0, "ssh -G: {out:#?}");
    with
}

fn spawn(w: &World, args: &[&str]) -> Child {
    w.zt(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn many_zts_at_once_lose_no_block_and_leave_the_users_config_as_it_was() {
    if sshd_bin().is_none() {
        return;
    }
    let cat = CatalogFile::new(&catalog(8));
    let broker = Broker::start(&["--auto-login", "alice", "--catalog", cat.arg()]);
    let w = world(&broker);
    let kids: Vec<Child> = (0..8)
        .map(|i| spawn(&w, &["request", &format!("ssh-{i:02}"), "--ttl", "10m"]))
        .collect();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(whole(&w, "zt-ssh-03"), "the Include line is there");
    let zt = std::fs::read_to_string(w.path().join(".ssh/zt/config")).unwrap();
    let f = zt::materialize::sshconfig::parse(&zt).unwrap();
    assert_eq!(f.blocks.len(), 8, "{zt}");
    // What the real ssh makes of one of them.
    let link = w.path().join(".ssh/config").display().to_string();
    let g = w.run_cmd("ssh", &["-G", "-F", &link, "zt-ssh-05"]);
    let g = g.stdout.to_lowercase();
    for want in [
        "hostname 127.0.0.1",
        "port 2205",
        "identitiesonly yes",
        "certificatefile ",
    ] {
        assert!(g.contains(want), "{want}: {g}");
    }
    assert!(g.contains(&format!("user {}", login_user())), "{g}");
    // Half revoked and half re-requested at once, then the rest revoked at once.
    let ids: Vec<String> = (0..8).map(|i| format!("ssh-{i:02}")).collect();
    let kids: Vec<Child> = ids
        .iter()
        .enumerate()
        .map(|(i, r)| match i % 2 {
            0 => spawn(&w, &["revoke", r]),
            _ => spawn(&w, &["request", r, "--ttl", "20m"]),
        })
        .collect();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(whole(&w, "zt-ssh-01"));
    let zt = std::fs::read_to_string(w.path().join(".ssh/zt/config")).unwrap();
    assert_eq!(
        zt::materialize::sshconfig::parse(&zt).unwrap().blocks.len(),
        4,
        "{zt}"
    );
    let kids: Vec<Child> = ids
        .iter()
        .skip(1)
        .step_by(2)
        .map(|r| spawn(&w, &["revoke", r]))
        .collect();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        !whole(&w, "zt-ssh-01"),
        "the Include line went with the last block"
    );
    assert_eq!(
        std::fs::read_to_string(w.path().join("dotfiles/ssh_config")).unwrap(),
        USER_SSH_CONFIG
    );
    assert!(!w.path().join(".ssh/zt").exists());
    let keys: Vec<_> = std::fs::read_dir(w.path().join("run/ssh"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(keys.is_empty(), "{keys:?}");
}

#[test]
fn zt_killed_at_random_moments_leaves_whole_ssh_files_and_logout_wipes_them() {
    if sshd_bin().is_none() {
        return;
    }
    let seed = std::env::var("ZT_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| zt_api::Timestamp::now().0 as u64);
    eprintln!("crash schedule seed: ZT_TEST_SEED={seed}");
    let mut rng = Rng::new(seed);
    let cat = CatalogFile::new(&catalog(12));
    let broker = Broker::start(&["--auto-login", "alice", "--catalog", cat.arg()]);
    let w = world(&broker);
    let mut live: Vec<String> = Vec::new();
    let (mut with, mut without) = (0, 0);
    for it in 0..18 {
        let res = format!("ssh-{:02}", it % 12);
        let args = match it % 3 == 2 && !live.is_empty() {
            true => vec!["revoke".to_string(), live.remove(0)],
            false => {
                live.push(res.clone());
                ["request", &res, "--ttl", "10m"].map(String::from).to_vec()
            }
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = spawn(&w, &args);
        let ms = rng.below(400);
        std::thread::sleep(Duration::from_millis(ms));
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let _ = child.wait();
        match whole(&w, &format!("zt-{res}")) {
            true => with += 1,
            false => without += 1,
        }
    }
    eprintln!("18 kills: {with} times zt's line was there, {without} times not");
    // Whatever the kills left, zt knew of it: logout wipes it all, byte for byte.
    let out = w.run(&["logout"]);
    out.ok();
    assert!(!whole(&w, "zt-ssh-00"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(w.path().join("dotfiles/ssh_config")).unwrap(),
        USER_SSH_CONFIG
    );
    assert!(!w.path().join(".ssh/zt/config").exists());
    let left: Vec<String> = std::fs::read_dir(w.path().join("run/ssh"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    // Not even the temp file of a key write that was killed: it holds a private key.
    assert!(left.is_empty(), "{left:?}");
}
