//! Ask, don't fail — the terminal side: real bash and zsh under tmux run `zt request`,
//! `zt approve`, `zt deny` and `zt revoke RESOURCE` without the argument they lack, and a
//! person picks from the catalog (fuzzy: typing filters), the role, the inbox, their grants.
//! Esc and Ctrl-C cancel cleanly: exit 130 and the cursor shown again.

use std::process::Command;
use std::time::Duration;

use crate::common::Home;
use crate::common::broker::Broker;
use crate::common::tmux::{Shell, Tmux};

const WAIT: Duration = Duration::from_secs(20);

fn login_auto(broker: &Broker, home: &Home) {
    home.run(&[
        "login",
        "--broker",
        &broker.url,
        "--insecure-storage",
        "--no-browser",
    ])
    .ok();
}

/// Whether tmux shows the cursor (dialoguer hides it while a picker is up).
fn cursor_visible(home: &Home) -> bool {
    let out = Command::new("tmux")
        .arg("-S")
        .arg(home.path().join("tmux.sock"))
        .args(["display-message", "-p", "-t", "t", "#{cursor_flag}"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "1"
}

/// The last exit status, as the shell says it (not through `Tmux::run`: its `clear` would
/// reset `$?`).
fn last_status(t: &Tmux) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mark = format!(
        "status{}",
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    t.send_line(&format!("echo \"{mark}=$?\""));
    let screen = t.wait_for("the exit status", WAIT, |s| {
        s.lines().any(|l| l.starts_with(&format!("{mark}=")))
    });
    screen
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{mark}=")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn request_picker_filters_picks_and_grants(shell: Shell) {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    login_auto(&broker, &alice);
    let Some(t) = Tmux::start(&alice, shell) else {
        return;
    };
    t.send_line("zt request");
    let screen = t.wait_text("prod-db", WAIT);
    for what in [
        "Request access to",
        "prod-k8s",
        "kubernetes",
        "view* edit admin",
        "prod-aws",
    ] {
        assert!(
            screen.contains(what),
            "{shell:?}: {what} not shown:\n{screen}"
        );
    }
    assert!(!cursor_visible(&alice), "the picker hides the cursor");
    // Typing filters: "k8s" leaves only the Kubernetes cluster.
    t.send_text("k8s");
    let screen = t.wait_for("the list filtered to prod-k8s", WAIT, |s| {
        s.contains("› k8s") && !s.contains("prod-aws") && !s.contains("prod-db")
    });
    assert!(screen.contains("prod-k8s"), "{screen}");
    t.send_keys(&["Enter"]);
    // prod-k8s has three roles: a role picker, the default (view) preselected.
    let screen = t.wait_for("the role picker and its rows", WAIT, |s| {
        s.contains("Role on prod-k8s") && s.contains("needs an approval (sre-leads)")
    });
    assert!(screen.contains("granted at once"), "{screen}");
    assert!(screen.contains("needs an approval (sre-leads)"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains('❯') && l.contains("view")),
        "view preselected:\n{screen}"
    );
    t.send_keys(&["Enter"]);
    let screen = t.wait_text("✓ Granted prod-k8s/view", WAIT);
    assert!(
        screen.contains("· prod-k8s"),
        "the pick stays on screen:\n{screen}"
    );
    t.wait_for("the prompt", WAIT, |s| {
        s.trim_end().ends_with(shell.prompt().trim_end())
    });
    assert_eq!(last_status(&t), "0");
    assert!(cursor_visible(&alice));
    let status = alice.run(&["status", "--json"]);
    assert!(
        status.ok().stdout.contains("\"prod-k8s\""),
        "{}",
        status.stdout
    );

    // Esc in the picker: a clean cancel, nothing requested.
    t.send_line("zt request");
    t.wait_text("Request access to", WAIT);
    t.send_keys(&["Escape"]);
    t.wait_text("cancelled", WAIT);
    assert_eq!(last_status(&t), "130");
    assert!(cursor_visible(&alice), "Esc leaves the cursor shown");
}

#[test]
fn bash_request_picker_shows_the_catalog_filters_and_grants() {
    request_picker_filters_picks_and_grants(Shell::Bash);
}

#[test]
fn zsh_request_picker_shows_the_catalog_filters_and_grants() {
    request_picker_filters_picks_and_grants(Shell::Zsh);
}

#[test]
fn ctrl_c_in_a_picker_cancels_with_130_and_the_cursor_back() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    login_auto(&broker, &alice);
    let Some(t) = Tmux::start(&alice, Shell::Bash) else {
        return;
    };
    t.send_line("zt request prod-aws --role admin --no-wait");
    t.wait_for("the prompt", WAIT, |s| s.contains("waiting for approval"));
    // A picker, then Ctrl-C.
    t.send_line("zt request");
    t.wait_text("Request access to", WAIT);
    t.send_keys(&["C-c"]);
    t.wait_text("cancelled", WAIT);
    assert_eq!(last_status(&t), "130");
    assert!(cursor_visible(&alice), "Ctrl-C leaves the cursor shown");
}

#[test]
fn the_inbox_picker_approves_and_deny_asks_for_a_comment() {
    let broker = Broker::start(&[]);
    let (alice, bob) = (Home::new(), Home::new());
    broker.login_via_page(&alice, "alice");
    broker.login_via_page(&bob, "bob");
    let ask = |role: &str, reason: &str| {
        let out = alice.run(&[
            "request",
            "prod-k8s",
            "--role",
            role,
            "--ttl",
            "45m",
            "--reason",
            reason,
            "--no-wait",
            "--json",
        ]);
        out.ok().json()["id"].as_str().unwrap().to_string()
    };
    // A reason with a bidi override in it (Trojan Source): shown escaped, never obeyed.
    let admin = ask("admin", "INC-42 \u{202e}nimda");
    let Some(t) = Tmux::start(&bob, Shell::Bash) else {
        return;
    };
    t.send_line("zt approve");
    let screen = t.wait_for("the inbox picker and alice's row", WAIT, |s| {
        s.contains("Request to approve") && s.contains("alice@example.com")
    });
    let row = screen
        .lines()
        .find(|l| l.contains("alice@example.com"))
        .unwrap_or_else(|| panic!("no row for alice:\n{screen}"))
        .to_string();
    for what in [
        "prod-k8s/admin",
        "45m",
        "0/1 approvals",
        " ago",
        "INC-42 \\u{202e}nimda",
    ] {
        assert!(row.contains(what), "{what} not in the row: {row}");
    }
    t.send_keys(&["Enter"]);
    let screen = t.wait_text("✓ Approved", WAIT);
    assert!(screen.contains(&admin), "{screen}");
    let st = alice.run(&["status", "--json"]);
    let rows = st.ok().json();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == admin.as_str() && r["state"] == "approved"),
        "{}",
        st.stdout
    );

    // Deny: pick, then a comment.
    let edit = ask("edit", "deploy fix");
    t.send_line("zt deny");
    t.wait_text("Request to deny", WAIT);
    t.send_keys(&["Enter"]);
    t.wait_text("Comment for the requester", WAIT);
    t.send_line("use view");
    t.wait_text("✗ Denied", WAIT);
    let st = alice.run(&["status", "--json"]);
    let rows = st.ok().json();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == edit.as_str()
                && r["state"] == "denied"
                && r["decision_comment"] == "use view"),
        "{}",
        st.stdout
    );

    // alice holds two grants on prod-k8s now (admin, view): `zt revoke prod-k8s` asks which.
    alice
        .run(&["request", "prod-k8s", "--role", "admin", "--ttl", "45m"])
        .ok();
    let view = alice.run(&["request", "prod-k8s", "--ttl", "20m", "--json"]);
    let view = view.ok().json()["request"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    drop(t);
    let Some(t) = Tmux::start(&alice, Shell::Bash) else {
        return;
    };
    t.send_line("zt revoke prod-k8s");
    // The picker draws its question, then its rows: wait for both rows (view's comes last).
    let screen = t.wait_for("the picker's two rows", WAIT, |s| {
        s.contains("Several grants of yours match prod-k8s")
            && s.contains(&admin)
            && s.contains(&view)
    });
    assert!(screen.contains(" left"), "{screen}");
    // The longest-lasting (admin, 45m) comes first; Down picks view (20m).
    t.send_keys(&["Down"]);
    t.send_keys(&["Enter"]);
    t.wait_text(&format!("Grant {view} (prod-k8s/view) is revoked"), WAIT);
    let st = alice.run(&["status", "--json"]);
    let rows = st.ok().json();
    let state = |id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["state"].clone())
    };
    assert_eq!(state(&admin), Some("active".into()), "{}", st.stdout);
}

#[test]
fn a_refusal_for_want_of_a_reason_asks_for_one_and_asks_again() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("reason.cedar"),
        r#"@id("eng-at-once") @outcome("grant")
           permit (principal in Group::"engineering", action == Action::"request", resource);
           @id("needs-reason") @reason("{resource} needs a reason (--reason)")
           forbid (principal, action == Action::"request", resource)
           when { context.reason == "" };"#,
    )
    .unwrap();
    let broker = Broker::start(&[
        "--auto-login",
        "alice",
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    let alice = Home::new();
    login_auto(&broker, &alice);
    // A script is refused (exit 3), no question asked.
    let out = alice.run(&["request", "prod-db"]);
    out.code(3);
    assert!(out.stderr.contains("needs a reason"), "{}", out.stderr);
    let Some(t) = Tmux::start(&alice, Shell::Bash) else {
        return;
    };
    t.send_line("zt request prod-db");
    t.wait_text("needs a reason (--reason) — reason", WAIT);
    t.send_line("INC-7 db migration");
    t.wait_text("✓ Granted prod-db/readonly", WAIT);
    let st = alice.run(&["status", "--json"]);
    let rows = st.ok().json();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["resource"] == "prod-db" && r["state"] == "active"),
        "{}",
        st.stdout
    );
}

/// Ctrl-C while `zt request` waits for an approver asks (dialoguer's yes/no on stderr) whether
/// to withdraw: `n` leaves the request open, Enter takes the default and withdraws it.
#[test]
fn ctrl_c_while_waiting_asks_whether_to_withdraw() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let alice = Home::new();
    login_auto(&broker, &alice);
    let Some(t) = Tmux::start(&alice, Shell::Bash) else {
        return;
    };
    let open = |alice: &Home| -> Vec<String> {
        let st = alice.run(&["status", "--json"]).ok().json();
        st.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["state"] == "pending")
            .map(|r| r["resource"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    t.send_line("zt request prod-aws --role admin --reason INC-1");
    t.wait_text("Waiting for approval", WAIT);
    t.send_keys(&["C-c"]);
    t.wait_text("Withdraw request", WAIT);
    t.send_text("n");
    t.wait_text("stays open", WAIT);
    assert_eq!(last_status(&t), "130");
    assert_eq!(open(&alice), ["prod-aws"], "n keeps the request open");
    // The same request is picked up again; this time Enter withdraws it.
    t.send_line("zt request prod-aws --role admin --reason INC-1");
    t.wait_text("already open", WAIT);
    t.send_keys(&["C-c"]);
    t.wait_for("the question again", WAIT, |s| {
        s.matches("Withdraw request").count() >= 2
    });
    t.send_keys(&["Enter"]);
    t.wait_text("Withdrew request", WAIT);
    assert!(open(&alice).is_empty(), "Enter withdraws");
    assert!(cursor_visible(&alice), "the cursor is shown again");
}
