//! The Kubernetes issuer's settings, checked when the broker starts (no API server needed).
//! Against the FAKE API server and kubectl: the integration tests in
//! `tests/broker/issuers/kubernetes/`.

use super::*;
use crate::catalog::Catalog;

#[test]
fn settings_are_checked_when_the_broker_starts() {
    let resource = |settings: &str, role: &str| {
        let text = format!(
            "[[resource]]\nname = \"k\"\nkind = \"kubernetes\"\ndefault_role = \"v\"\n\
             max_ttl = \"1h\"\nsettings = {{ issuer = \"kubernetes\", {settings} }}\n\
             [[resource.role]]\nname = \"v\"\nsettings = {{ {role} }}\n"
        );
        Catalog::parse(&text).unwrap().resources()[0].clone()
    };
    let ok = resource("server = \"https://k\"", "cluster_role = \"view\"");
    assert!(KubernetesIssuer::for_resource(&ok).is_ok());
    for (settings, role, says) in [
        (
            "namespace = \"x\"",
            "cluster_role = \"view\"",
            "settings.server",
        ),
        (
            "server = \"http://k\"",
            "cluster_role = \"view\"",
            "https://",
        ),
        ("server = \"https://k\"", "", "settings.cluster_role"),
        (
            "server = \"https://k\"",
            "cluster_role = \"a/b\"",
            "not a ClusterRole name",
        ),
        (
            "server = \"https://k\"",
            "cluster_role = \"view\", scope = \"galaxy\"",
            "scope",
        ),
        (
            "server = \"https://k\", namespace = \"Team_A\"",
            "cluster_role = \"view\"",
            "DNS-1123",
        ),
        (
            "server = \"https://k\", namespace = 3",
            "cluster_role = \"view\"",
            "must be a string",
        ),
        (
            "server = \"https://k\", kubeconfig = 1",
            "cluster_role = \"view\"",
            "kubeconfig",
        ),
    ] {
        let e = KubernetesIssuer::for_resource(&resource(settings, role))
            .err()
            .unwrap_or_else(|| panic!("accepted {settings} / {role}"));
        assert!(e.contains(says), "{settings} / {role}: {e}");
        assert!(e.starts_with("catalog: k"), "{e}");
    }
    let mut aws = ok.clone();
    aws.kind = ResourceKind::Aws;
    assert!(
        KubernetesIssuer::for_resource(&aws)
            .err()
            .unwrap()
            .contains("kind aws")
    );

    // How `serve` and `dev` pick issuers.
    assert!(crate::serve::real_issuer(&ok).unwrap().is_some());
    let mut dev = ok.clone();
    dev.settings.remove("issuer");
    assert!(crate::serve::real_issuer(&dev).unwrap().is_none());
    let mut unknown = ok;
    unknown
        .settings
        .insert("issuer".into(), toml::Value::String("vault".into()));
    let e = crate::serve::real_issuer(&unknown).err().unwrap();
    assert!(e.message.contains("\"vault\""), "{}", e.message);
}
