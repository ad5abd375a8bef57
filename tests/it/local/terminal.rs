//! Real shells under tmux: Tab completes a resource and its roles in bash, zsh (sourced, and
//! autoloaded from the installed `_zt`) and fish; `zt status --watch` redraws in place and ends
//! with the grant.

use std::time::Duration;

use super::login;
use crate::common::Home;
use crate::common::broker::Broker;
use crate::common::tmux::{Shell, Tmux};

/// The catalog cache a `zt catalog` leaves behind, written by hand (no broker needed).
fn cached_catalog(home: &Home) {
    let cached = zt::cache::CachedCatalog {
        profile: "default".into(),
        fetched_at: zt_api::Timestamp::now().0,
        catalog: zt_api::Catalog {
            bundles: vec![],
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
