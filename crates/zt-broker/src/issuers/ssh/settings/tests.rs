//! The settings' defaults and refusals: whatever would become ssh syntax in a certificate, a
//! client's config or its known_hosts file is refused, naming the setting.

use super::*;

fn table(s: &str) -> toml::Table {
    toml::from_str(s).unwrap()
}

#[test]
fn settings_default_to_a_pty_and_no_forwarding() {
    let s = SshSettings::from_table(
        &table(
            r#"host = "db-1.prod.example.com"
principals = ["deploy", "ops"]"#,
        ),
        "prod-ssh/login",
    )
    .unwrap();
    assert_eq!((s.port, s.user.as_str()), (22, "deploy"));
    assert!(s.hosts.is_empty());
    assert_eq!(s.extensions(), ["permit-pty"]);
    assert!(s.critical_options().is_empty());
    let s = SshSettings::from_table(
        &table(
            r#"host = "10.0.0.5"
hosts = ["web-*.prod.example.com", "10.0.1.?", "!web-legacy.prod.example.com"]
port = 2222
principals = ["deploy", "ops"]
user = "ops"
permit_agent_forwarding = true
permit_port_forwarding = true
permit_x11_forwarding = true
force_command = "/usr/local/bin/deploy --safe"
source_address = "10.0.0.0/8,192.168.1.7"
known_hosts = ["@cert-authority *.prod.example.com,[10.0.0.5]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeSbSUKeW1Fhw52cTb3Dv+ePyCvFWPdj9vzpxRrTv/c hosts CA"]"#,
        ),
        "prod-ssh/admin",
    )
    .unwrap();
    assert_eq!((s.port, s.user.as_str()), (2222, "ops"));
    assert_eq!(
        s.extensions(),
        [
            "permit-agent-forwarding",
            "permit-port-forwarding",
            "permit-pty",
            "permit-X11-forwarding"
        ]
    );
    assert_eq!(
        s.critical_options(),
        [
            (
                "force-command".to_string(),
                "/usr/local/bin/deploy --safe".to_string()
            ),
            (
                "source-address".to_string(),
                "10.0.0.0/8,192.168.1.7".to_string()
            )
        ]
    );
    assert_eq!(s.known_hosts.len(), 1);
    assert_eq!(
        s.hosts,
        [
            "web-*.prod.example.com",
            "10.0.1.?",
            "!web-legacy.prod.example.com"
        ]
    );
}

#[test]
fn dangerous_hosts_principals_and_options_are_refused_naming_the_key() {
    let ok = r#"host = "h.example.com"
principals = ["deploy"]"#;
    let cases: &[(&str, &str, &str)] = &[
        (
            "host = \"h.example.com\"",
            "host = \"h example.com\"",
            "settings.host: \"h example.com\" holds whitespace",
        ),
        (
            "host = \"h.example.com\"",
            "host = \"h.example.com\\nProxyCommand x\"",
            "settings.host: \"h.example.com\\nProxyCommand x\" holds a newline",
        ),
        (
            "host = \"h.example.com\"",
            "host = \"%h.example.com\"",
            "settings.host: \"%h.example.com\" holds '%' (an ssh token)",
        ),
        (
            "host = \"h.example.com\"",
            "host = \"*.example.com\"",
            "settings.host: \"*.example.com\" holds '*'",
        ),
        (
            "host = \"h.example.com\"",
            "host = \"-oProxyCommand=x\"",
            "settings.host",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"de ploy\"]",
            "settings.principals: \"de ploy\" holds whitespace",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\\n\"]",
            "settings.principals: \"deploy\\n\" holds a newline",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"%u\"]",
            "settings.principals: \"%u\" holds '%' (an ssh token)",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"a,b\"]",
            "settings.principals: \"a,b\" holds ','",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"-root\"]",
            "starts with '-'",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = []",
            "settings.principals: missing",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nuser = \"root\"",
            "settings.user: \"root\" is not one of the principals",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nport = 0",
            "settings.port",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nforce_command = \"ls\\nrm -rf /\"",
            "settings.force_command: the command holds a newline",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nsource_address = \"10.0.0.0/8 ,x\"",
            "settings.source_address",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nsource_address = \"10.0.0.0/33\"",
            "settings.source_address",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nknown_hosts = [\"h%h ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeSbSUKeW1Fhw52cTb3Dv+ePyCvFWPdj9vzpxRrTv/c\"]",
            "settings.known_hosts: host pattern \"h%h\" holds '%'",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nknown_hosts = [\"h ssh-ed25519 AAAA\\nh2 ssh-ed25519 AAAA\"]",
            "settings.known_hosts: a line holds a newline",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nknown_hosts = [\"h ssh-ed25519 notakey\"]",
            "settings.known_hosts",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nhosts = [\"web-* db\"]",
            "settings.hosts: host pattern \"web-* db\" holds whitespace",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nhosts = [\"%h.prod\"]",
            "settings.hosts: host pattern \"%h.prod\" holds '%'",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nhosts = [\"web-1\\nHost *\"]",
            "settings.hosts: host pattern \"web-1\\nHost *\" holds a newline",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nhosts = [\"web,db\"]",
            "settings.hosts: host pattern \"web,db\" holds ','",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\nhosts = [\"!bastion\"]",
            "settings.hosts: only negated patterns",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\npermit_pty = \"yes\"",
            "settings.permit_pty: must be true or false",
        ),
        (
            "principals = [\"deploy\"]",
            "principals = [\"deploy\"]\npermit_everything = true",
            "settings.permit_everything: not an ssh setting",
        ),
    ];
    for (from, to, want) in cases {
        let text = ok.replace(from, to);
        assert_ne!(text, ok, "{to}");
        let e = SshSettings::from_table(&table(&text), "prod-ssh/login").unwrap_err();
        assert!(
            e.starts_with("prod-ssh/login: ") && e.contains(want),
            "{to}: {e}"
        );
    }
    let e = SshSettings::from_table(&table("principals = [\"deploy\"]"), "r/x").unwrap_err();
    assert!(e.contains("settings.host: missing"), "{e}");
}
