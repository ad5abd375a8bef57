//! Where `zt login` keeps tokens, against the real OS keyrings of a headless Linux box.
//!
//! Real peers: the Secret Service is gnome-keyring on a private D-Bus session bus (Debian
//! `dbus`, `gnome-keyring`; `tests/fixtures/keyring/secret_service.sh`); kernel keyutils is the
//! real kernel keyring in a fresh session keyring (Debian `keyutils`: `keyctl session -`). The
//! broker is a real `zt-broker dev --auto-login alice` (its built-in dev IdP; no external IdP
//! is needed here). Nothing is faked.
//!
//! keyutils keys are also linked into the user's persistent keyring (`_persistent.<uid>`, shared
//! by every session of the user on the machine), so each test uses its own profile name.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::common::broker::Broker;
use crate::common::keyring::{SecretService, Steps, keyring_peers};
use crate::common::oidc::files_containing;
use crate::common::procs::run_for;
use crate::common::{Home, Out};

const LIMIT: Duration = Duration::from_secs(60);

fn config(home: &Home) -> String {
    std::fs::read_to_string(home.path().join(".config/zt/config.toml")).unwrap_or_default()
}

/// A profile name no other test (or other checkout on this machine) uses.
fn unique_profile(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// No secret of any kind in any file under HOME: no JWT, no token field names.
#[track_caller]
fn no_secret_files(home: &Home, also: &[&str]) {
    for needle in ["eyJ", "access_token", "refresh_token"].iter().chain(also) {
        let found = files_containing(home.path(), needle);
        assert!(found.is_empty(), "{needle:?} is on disk: {found:?}");
    }
    assert!(
        !home.path().join(".config/zt/tokens").exists(),
        "no token file directory"
    );
}

/// Put the profile's token store back after `zt logout` cleared it, so a `zt whoami` looks in
/// the keyring again — and must find nothing there.
fn restore_store(home: &Home, store: &str) {
    let p = home.path().join(".config/zt/config.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains("token_store = \"\""), "{text}");
    std::fs::write(
        &p,
        text.replace("token_store = \"\"", &format!("token_store = \"{store}\"")),
    )
    .unwrap();
}

#[test]
fn secret_service_keeps_the_tokens_and_logout_removes_them() {
    if !keyring_peers() {
        return;
    }
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let ss = SecretService::start(&home);

    let out = run_for(
        ss.zt(&home, &["login", "--broker", &broker.url, "--no-browser"]),
        LIMIT,
    );
    out.ok();
    assert!(
        out.stderr.contains("(tokens in secret-service)") && !out.stderr.contains("warning"),
        "{}",
        out.stderr
    );
    assert!(
        config(&home).contains("token_store = \"secret-service\""),
        "{}",
        config(&home)
    );
    let me = run_for(ss.zt(&home, &["whoami", "--json"]), LIMIT);
    assert_eq!(me.ok().json()["sub"], "alice");
    no_secret_files(&home, &[]);

    // The keyring is a file in HOME, encrypted: a new session unlocking it finds the tokens.
    drop(ss);
    let ss = SecretService::start(&home);
    run_for(ss.zt(&home, &["whoami"]), LIMIT).ok();

    let out = run_for(ss.zt(&home, &["logout"]), LIMIT);
    out.ok();
    assert!(out.stderr.contains("Logged out"), "{}", out.stderr);
    let out = run_for(ss.zt(&home, &["whoami"]), LIMIT);
    out.code(4);
    // Not only forgotten in config.toml: gone from the keyring.
    restore_store(&home, "secret-service");
    let out = run_for(ss.zt(&home, &["whoami"]), LIMIT);
    out.code(4);
    assert!(out.stderr.contains("not logged in"), "{}", out.stderr);
    no_secret_files(&home, &[]);
}

#[test]
fn a_locked_secret_service_is_reported_not_waited_on() {
    if !keyring_peers() {
        return;
    }
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    {
        let ss = SecretService::start(&home);
        run_for(
            ss.zt(&home, &["login", "--broker", &broker.url, "--no-browser"]),
            LIMIT,
        )
        .ok();
    }
    // After a "reboot": the daemon is back but the keyring is locked.
    let ss = SecretService::start_locked(&home);
    let started = std::time::Instant::now();
    let out = run_for(ss.zt(&home, &["whoami"]), LIMIT);
    out.code(4);
    assert!(
        out.stderr.contains("secret-service keyring")
            && out
                .stderr
                .contains("hint: unlock the secret-service keyring"),
        "names the keyring and what to do: {}",
        out.stderr
    );
    // A new login cannot store there either, and says how to go on.
    let out = run_for(
        ss.zt(
            &home,
            &["login", "--force", "--broker", &broker.url, "--no-browser"],
        ),
        LIMIT,
    );
    refused_without_a_keyring(&out);
    assert!(out.stderr.contains("secret-service:"), "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no waiting on a prompt: {:?}",
        started.elapsed()
    );
    drop(ss);
    // Unlocked again, the first login's tokens are still there.
    let ss = SecretService::start(&home);
    let me = run_for(ss.zt(&home, &["whoami", "--json"]), LIMIT);
    assert_eq!(me.ok().json()["sub"], "alice");
    run_for(ss.zt(&home, &["logout"]), LIMIT).ok();
}

#[test]
fn keyutils_keeps_the_tokens_in_the_session_keyring() {
    if !keyring_peers() {
        return;
    }
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let profile = unique_profile("kt-keyutils");
    let desc = format!("keyring:{profile}@zt");
    let zt = crate::common::zt_bin();
    let cfg = home.path().join(".config/zt/config.toml");
    let cfg = cfg.to_str().unwrap();
    // No D-Bus in this environment, so keyutils is the first keyring that works.
    let steps = Steps::new()
        .cmd(
            "login",
            &[
                zt,
                "login",
                "--broker",
                &broker.url,
                "--no-browser",
                "--json",
            ],
        )
        .cmd("config", &["cat", cfg])
        .cmd("whoami", &[zt, "whoami", "--json"])
        .sh(
            "key",
            &format!("keyctl print $(keyctl search @s user {desc})"),
        )
        .cmd("logout", &[zt, "logout"])
        .cmd("whoami_after", &[zt, "whoami"])
        .sh(
            "restore",
            &format!("sed -i 's/^token_store = \"\"$/token_store = \"keyutils\"/' {cfg}"),
        )
        .cmd("whoami_restored", &[zt, "whoami"])
        .cmd("search_after", &["keyctl", "search", "@s", "user", &desc])
        // Whatever happened above, leave nothing in the user's persistent keyring.
        .sh("cleanup", &format!("keyctl purge -s user {desc} || true"))
        .run(
            &home,
            &["keyctl", "session", "-"],
            &[("ZT_PROFILE", &profile)],
        );
    let s = |n: &str| &steps[n];

    s("login").ok();
    assert_eq!(s("login").json()["token_store"], "keyutils");
    assert!(
        s("config").stdout.contains("token_store = \"keyutils\""),
        "{}",
        s("config").stdout
    );
    assert_eq!(s("whoami").ok().json()["sub"], "alice");
    // The kernel key holds the tokens; no file under HOME does.
    let stored: serde_json::Value = serde_json::from_str(&s("key").ok().stdout)
        .unwrap_or_else(|e| panic!("the key is not zt's token JSON ({e}): {:#?}", s("key")));
    let access = stored["access_token"].as_str().unwrap();
    let refresh = stored["refresh_token"].as_str().unwrap();
    no_secret_files(&home, &[access, refresh]);

    s("logout").ok();
    s("whoami_after").code(4);
    s("restore").ok();
    let after: &Out = s("whoami_restored");
    after.code(4);
    assert!(after.stderr.contains("not logged in"), "{after:#?}");
    assert_ne!(
        s("search_after").code,
        0,
        "the key is gone after logout: {:#?}",
        s("search_after")
    );
}

/// Plain process: no D-Bus and, usually, a kernel session keyring this process cannot use
/// (root without a login session gets EACCES). If keyutils does work here, that is what zt
/// must use — the test then checks that instead.
#[test]
fn without_a_keyring_login_needs_insecure_storage() {
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let profile = unique_profile("kt-plain");
    let login = |extra: &[&str]| {
        let mut c = home.zt(&["login", "--broker", &broker.url, "--no-browser"]);
        c.args(extra).env("ZT_PROFILE", &profile);
        run_for(c, LIMIT)
    };
    let out = login(&[]);
    if out.code == 0 {
        eprintln!("keyutils works in this plain process; checking that it was used");
        assert!(
            out.stderr.contains("(tokens in keyutils)"),
            "{}",
            out.stderr
        );
        no_secret_files(&home, &[]);
        let mut c = home.zt(&["logout"]);
        c.env("ZT_PROFILE", &profile);
        run_for(c, LIMIT).ok();
        return;
    }
    refused_without_a_keyring(&out);
    nothing_stored(&home, &profile);
    stored_in_a_file(&home, login(&["--insecure-storage"]), &profile);
}

/// The same, made certain: in a session keyring this process may not write to
/// (`keyctl setperm @s` without write), keyutils is denied for sure.
#[test]
fn denied_keyutils_and_no_bus_need_insecure_storage() {
    if !keyring_peers() {
        return;
    }
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let profile = unique_profile("kt-denied");
    let zt = crate::common::zt_bin();
    // view, read, search for possessor and user: no write, no link.
    let steps = Steps::new()
        .cmd("deny", &["keyctl", "setperm", "@s", "0x0b0b0000"])
        .cmd(
            "login",
            &[zt, "login", "--broker", &broker.url, "--no-browser"],
        )
        .sh(
            "tokens_dir",
            &format!(
                "test -e {tokens}",
                tokens = home.path().join(".config/zt/tokens").display()
            ),
        )
        .sh(
            "config",
            &format!(
                "cat {cfg} 2>/dev/null || true",
                cfg = home.path().join(".config/zt/config.toml").display()
            ),
        )
        .cmd(
            "login_file",
            &[
                zt,
                "login",
                "--broker",
                &broker.url,
                "--no-browser",
                "--insecure-storage",
            ],
        )
        .run(
            &home,
            &["keyctl", "session", "-"],
            &[("ZT_PROFILE", &profile)],
        );
    steps["deny"].ok();
    assert!(
        steps["login"].stderr.contains("keyutils:"),
        "the error says why keyutils was not used: {}",
        steps["login"].stderr
    );
    refused_without_a_keyring(&steps["login"]);
    assert_ne!(
        steps["tokens_dir"].code, 0,
        "no token directory after the refusal"
    );
    assert!(
        !steps["config"]
            .stdout
            .contains(&format!("[profiles.{profile}]")),
        "no profile after the refusal: {}",
        steps["config"].stdout
    );
    let s = &steps["login_file"];
    let with_file = Out {
        code: s.code,
        stdout: s.stdout.clone(),
        stderr: s.stderr.clone(),
    };
    stored_in_a_file(&home, with_file, &profile);
}

#[track_caller]
fn refused_without_a_keyring(without: &Out) {
    without.code(1);
    assert!(
        without.stderr.contains("no OS keyring") && without.stderr.contains("--insecure-storage"),
        "the error names the way out: {}",
        without.stderr
    );
}

/// Nothing stored: no token file, no profile, no secret anywhere under HOME.
#[track_caller]
fn nothing_stored(home: &Home, profile: &str) {
    assert!(!home.path().join(".config/zt/tokens").exists());
    assert!(
        !config(home).contains(&format!("[profiles.{profile}]")),
        "{}",
        config(home)
    );
    no_secret_files(home, &[]);
}

#[track_caller]
fn stored_in_a_file(home: &Home, with: Out, profile: &str) {
    with.ok();
    assert!(
        with.stderr.contains("warning: no OS keyring available")
            && with.stderr.contains("plain file"),
        "a warning names the file store: {}",
        with.stderr
    );
    let file = home
        .path()
        .join(format!(".config/zt/tokens/{profile}.json"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    let dir_mode = std::fs::metadata(file.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o077, 0, "the tokens directory is private");
    assert!(config(home).contains("token_store = \"file\""));
    let mut c = home.zt(&["whoami", "--json"]);
    c.env("ZT_PROFILE", profile);
    assert_eq!(run_for(c, LIMIT).ok().json()["sub"], "alice");
}

/// `zt login --force` that cannot store its new tokens must not have destroyed the old ones:
/// the previous login keeps working.
#[test]
fn a_relogin_that_cannot_store_keeps_the_previous_login() {
    if !keyring_peers() {
        return;
    }
    let broker = Broker::start(&["--auto-login", "alice"]);
    let home = Home::new();
    let profile = unique_profile("kt-relogin");
    let zt = crate::common::zt_bin();
    let login = |extra: &'static [&'static str]| {
        let mut v = vec![zt, "login", "--broker", &broker.url, "--no-browser"];
        v.extend_from_slice(extra);
        v
    };
    let steps = Steps::new()
        .cmd("deny", &["keyctl", "setperm", "@s", "0x0b0b0000"])
        .cmd("first", &login(&["--insecure-storage"]))
        .cmd("again", &login(&["--force"]))
        .cmd("whoami", &[zt, "whoami", "--json"])
        .run(
            &home,
            &["keyctl", "session", "-"],
            &[("ZT_PROFILE", &profile)],
        );
    steps["deny"].ok();
    steps["first"].ok();
    refused_without_a_keyring(&steps["again"]);
    assert_eq!(
        steps["whoami"].ok().json()["sub"],
        "alice",
        "the first login survives"
    );
    assert!(config(&home).contains("token_store = \"file\""));
}

/// Where tokens go is settled before the person is asked anything: with keyutils refusing
/// writes and no Secret Service, `zt login` against a broker where nobody confirms fails at
/// once (exit 1, no code printed) instead of after the device flow; and `zt doctor` finds out
/// with a real write that keyutils cannot keep tokens (✗), where a read alone passes.
#[test]
fn the_token_store_is_settled_before_the_browser() {
    if !keyring_peers() {
        return;
    }
    let broker = Broker::start(&[]);
    let home = Home::new();
    let profile = unique_profile("kt-first");
    let zt = crate::common::zt_bin();
    let steps = Steps::new()
        .cmd("deny", &["keyctl", "setperm", "@s", "0x0b0b0000"])
        .cmd(
            "login",
            &[
                "timeout",
                "20",
                zt,
                "login",
                "--broker",
                &broker.url,
                "--no-browser",
            ],
        )
        .cmd("doctor", &[zt, "doctor", "--json"])
        .run(
            &home,
            &["keyctl", "session", "-"],
            &[("ZT_PROFILE", &profile)],
        );
    steps["deny"].ok();
    let login = &steps["login"];
    refused_without_a_keyring(login);
    assert!(
        !login.stderr.contains("one-time code"),
        "refused before the device flow: {}",
        login.stderr
    );
    nothing_stored(&home, &profile);
    let checks: serde_json::Value = serde_json::from_str(&steps["doctor"].stdout)
        .unwrap_or_else(|e| panic!("doctor --json: {e}: {:#?}", steps["doctor"]));
    let keyutils = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "keyring keyutils")
        .unwrap_or_else(|| panic!("no keyutils line: {checks}"));
    assert_eq!(keyutils["ok"], false, "{keyutils}");
    assert!(
        keyutils["detail"]
            .as_str()
            .unwrap()
            .starts_with("not available"),
        "{keyutils}"
    );
}
