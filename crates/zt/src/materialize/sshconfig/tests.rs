use std::path::Path;

use super::*;

const ZT: &str = "/home/alice/.ssh/zt/config";

/// A user's config with what ssh configs hold: comments, a Match block, wildcards, CRLF.
const USER_CRLF: &str = "# my ssh config\r\nHost *\r\n    ServerAliveInterval 30\r\n\r\nMatch host *.corp exec \"test -f ~/.vpn\"\r\n    ProxyJump bastion\r\n\r\nHost bastion\r\n  HostName 10.0.0.1 # not a comment before 8.x\r\n";

fn block<'a>(alias: &'a str, grant: &'a str) -> HostBlock<'a> {
    HostBlock {
        alias,
        host_name: "127.0.0.1",
        port: 2222,
        user: "deploy",
        identity_file: Path::new("/run/user/1000/zt/ssh/g1"),
        certificate_file: Path::new("/run/user/1000/zt/ssh/g1-cert.pub"),
        known_hosts: None,
        patterns: &[],
        grant_id: grant,
        expires_at: "2026-12-07T05:00:00Z",
    }
}

#[test]
fn the_include_goes_at_the_top_once_and_comes_out_byte_exact() {
    let zt = Path::new(ZT);
    for user in [
        USER_CRLF,
        "",
        "Host a\n  User b",
        "\u{feff}# bom\nHost x\n",
        "\n\n",
        "Host a\n",
    ] {
        let with = add_include(user, zt).unwrap();
        let body = with.strip_prefix('\u{feff}').unwrap_or(&with);
        assert!(
            body.starts_with(&format!("Include {ZT}")),
            "{user:?} → {with:?}"
        );
        assert_eq!(with.matches("Include").count(), 1);
        // Once: a second add changes nothing.
        assert_eq!(add_include(&with, zt).unwrap(), with);
        match remove_include(&with, zt, false).unwrap() {
            Wiped::Text(t) => assert_eq!(t, user, "byte-identical after the removal"),
            Wiped::RemoveFile => panic!("a file the user had is never removed"),
        }
    }
    // CRLF files get a CRLF line.
    assert!(
        add_include(USER_CRLF, zt)
            .unwrap()
            .starts_with(&format!("Include {ZT}\r\n"))
    );
    // A file zt created is removed once its line goes; not one with more in it.
    let made = add_include("", zt).unwrap();
    assert_eq!(made, format!("Include {ZT}\n"));
    assert_eq!(remove_include(&made, zt, true).unwrap(), Wiped::RemoveFile);
    let more = format!("{made}Host mine\n");
    assert_eq!(
        remove_include(&more, zt, true).unwrap(),
        Wiped::Text("Host mine\n".into())
    );
}

#[test]
fn an_include_the_user_moved_or_spelled_differently_is_recognised() {
    let zt = Path::new(ZT);
    for spelled in [
        format!("include {ZT}"),
        format!("  INCLUDE = {ZT}  "),
        format!("Include\t{ZT}"),
    ] {
        let user = format!("Host a\n  User b\n{spelled}\n");
        assert_eq!(add_include(&user, zt).unwrap(), user, "already there");
        assert_eq!(
            remove_include(&user, zt, false).unwrap(),
            Wiped::Text("Host a\n  User b\n".into())
        );
    }
    // Another file's Include is the user's.
    let other = "Include /home/alice/.ssh/other\n";
    assert_eq!(
        remove_include(other, zt, false).unwrap(),
        Wiped::Text(other.into())
    );
    // The user's line moved last, without a final line break: the line before keeps its break.
    let user = format!("Host a\r\n  User b\r\nInclude {ZT}");
    assert_eq!(
        remove_include(&user, zt, false).unwrap(),
        Wiped::Text("Host a\r\n  User b\r\n".into())
    );
}

#[test]
fn paths_are_quoted_or_refused() {
    let p = |s: &str, t| path_arg(Path::new(s), t);
    assert_eq!(p("/a b/c", true).unwrap(), "\"/a b/c\"");
    assert_eq!(p("/a%b", true).unwrap(), "/a%%b");
    assert!(
        p("/a%b", false).is_err(),
        "Include reads no tokens: refused"
    );
    for bad in [
        "/a\"b", "/a\\b", "/a$b", "/a*b", "/a\nb", "relative", "/a#b",
    ] {
        assert!(p(bad, true).is_err(), "{bad:?}");
    }
}

#[test]
fn blocks_are_put_replaced_and_removed_by_alias() {
    let mut f = parse("").unwrap();
    assert_eq!(f, ZtFile::default());
    f.created = true;
    f.put(&block("zt-prod-ssh", "g1")).unwrap();
    f.put(&block("zt-web", "g2")).unwrap();
    let from = Path::new("/home/alice/.ssh/config");
    let text = f.render(from);
    assert!(text.contains("Host zt-prod-ssh\n    HostName 127.0.0.1\n    Port 2222\n    User deploy\n    IdentityFile /run/user/1000/zt/ssh/g1\n    CertificateFile /run/user/1000/zt/ssh/g1-cert.pub\n    IdentitiesOnly yes\n"), "{text}");
    let back = parse(&text).unwrap();
    assert_eq!(back, f, "{text}");
    // A later grant for the same alias replaces the block in place.
    let mut again = back;
    again.put(&block("zt-prod-ssh", "g3")).unwrap();
    assert_eq!(again.blocks.len(), 2);
    assert_eq!(again.blocks[0].1, "g3");
    assert_eq!(again.remove(&["zt-prod-ssh", "zt-none"]), 1);
    assert_eq!(again.blocks[0].0, "zt-web");
    assert!(!again.render(from).contains("zt-prod-ssh"));
}

#[test]
fn known_hosts_pin_the_host_key() {
    let mut b = block("zt-a", "g1");
    b.known_hosts = Some(Path::new("/run/zt/ssh/g1.known_hosts"));
    let t = render(&b, "\n").unwrap();
    assert!(
        t.contains(
            "    UserKnownHostsFile /run/zt/ssh/g1.known_hosts\n    StrictHostKeyChecking yes\n"
        ),
        "{t}"
    );
}

#[test]
fn broker_values_that_would_become_ssh_syntax_are_refused() {
    for host in [
        "a b",
        "a\nHost *",
        "%h",
        "\"x\"",
        "",
        "-oProxyCommand=x",
        "a#b",
    ] {
        let mut b = block("zt-a", "g1");
        b.host_name = host;
        assert!(render(&b, "\n").is_err(), "host {host:?}");
    }
    for user in ["a b", "a\n", "%u", "x\"", "", "a\\b"] {
        let mut b = block("zt-a", "g1");
        b.user = user;
        assert!(render(&b, "\n").is_err(), "user {user:?}");
    }
    for ok in ["db-1.example.com", "::1", "10.0.0.1"] {
        let mut b = block("zt-a", "g1");
        b.host_name = ok;
        assert!(render(&b, "\n").is_ok(), "{ok}");
    }
}

/// A grant for more hosts than its alias: a second `Host` line under the same marker gives the
/// patterns the key and certificate (and nothing else); the block reads back under its alias
/// and goes as a whole.
#[test]
fn host_patterns_get_the_key_under_the_same_marker_and_go_with_it() {
    let patterns = [
        "web-*.prod.example.com".to_string(),
        "10.0.1.?".to_string(),
        "!web-legacy.prod.example.com".to_string(),
    ];
    let mut b = block("zt-prod-ssh", "g1");
    b.patterns = &patterns;
    let t = render(&b, "\n").unwrap();
    assert!(
        t.ends_with(
            "    IdentitiesOnly yes\n\
             Host web-*.prod.example.com 10.0.1.? !web-legacy.prod.example.com\n\
             \x20   IdentityFile /run/user/1000/zt/ssh/g1\n\
             \x20   CertificateFile /run/user/1000/zt/ssh/g1-cert.pub\n"
        ),
        "{t}"
    );
    let mut f = ZtFile::default();
    f.put(&b).unwrap();
    f.put(&block("zt-web", "g2")).unwrap();
    let from = Path::new("/home/alice/.ssh/config");
    let again = parse(&f.render(from)).unwrap();
    let aliases: Vec<&str> = again.blocks.iter().map(|b| b.0.as_str()).collect();
    assert_eq!(aliases, ["zt-prod-ssh", "zt-web"]);
    let mut again = again;
    assert_eq!(again.remove(&["zt-prod-ssh"]), 1);
    let left = again.render(from);
    assert!(
        !left.contains("web-*.prod") && left.contains("Host zt-web"),
        "{left}"
    );
    // A pattern from the broker that would be ssh syntax is refused.
    for bad in [
        "a b",
        "a\nHost *",
        "%h",
        "a,b",
        "\"x\"",
        "",
        "!",
        "-oProxyCommand=x",
    ] {
        let bad = [bad.to_string()];
        let mut b = block("zt-a", "g1");
        b.patterns = &bad;
        assert!(render(&b, "\n").is_err(), "pattern {bad:?}");
    }
}
