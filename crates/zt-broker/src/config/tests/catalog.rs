//! The catalog, inline or in its own file: errors placed at their resource, the file read
//! relative to the configuration.

use super::*;

#[test]
fn inline_catalog_errors_point_at_their_resource() {
    let t = with("default_role = \"ro\"", "default_role = \"rw\"");
    refused(
        &t,
        Some("[[catalog.resource]]"),
        "default_role \"rw\" is not one of its roles",
    );
    let dup = format!(
        "{BASE}\n[[catalog.resource]]\nname = \"db\"\nkind = \"aws\"\ndefault_role = \"r\"\n\
         max_ttl = \"1h\"\n[[catalog.resource.role]]\nname = \"r\"\n"
    );
    let second = dup.rfind("[[catalog.resource]]").unwrap();
    let line = dup[..second].matches('\n').count() + 1;
    let msg = parse(&dup).unwrap_err();
    assert!(msg.starts_with(&format!("{PATH}:{line}:")), "{msg}");
    assert!(msg.contains("invalid or repeated"), "{msg}");
    // Kubernetes needs its API server named: there is no dev Kubernetes API behind serve.
    let k8s = with("kind = \"postgres\"", "kind = \"kubernetes\"");
    refused(&k8s, Some("[[catalog.resource]]"), "needs settings.server");
    let k8s = with(
        "settings = { issuer = \"dev\" }",
        "settings = { issuer = \"dev\", server = \"https://k8s.example.com\" }",
    )
    .replace("kind = \"postgres\"", "kind = \"kubernetes\"");
    assert!(parse(&k8s).is_ok());
    let neither = BASE[..BASE.find("[[catalog.resource]]").unwrap()].to_string();
    refused(&neither, Some("[catalog]"), "needs file = ");
}

#[test]
fn a_catalog_file_is_read_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("broker.toml");
    let inline_start = BASE.find("[[catalog.resource]]").unwrap();
    let text = format!("{}file = \"cat/catalog.toml\"\n", &BASE[..inline_start]);
    std::fs::create_dir(dir.path().join("cat")).unwrap();
    let catalog = &BASE[inline_start..].replace("catalog.resource", "resource");
    std::fs::write(dir.path().join("cat/catalog.toml"), catalog).unwrap();
    std::fs::write(&cfg_path, &text).unwrap();
    let c = Config::load(&cfg_path).unwrap();
    assert_eq!(c.catalog.resources()[0].name, "db");
    assert_eq!(c.catalog_file, Some(dir.path().join("cat/catalog.toml")));
    assert!(
        c.summary().contains("1 resource(s), 1 role(s)"),
        "{}",
        c.summary()
    );

    // Its own mistakes name its own file and line.
    let broken = catalog.replace(
        "auto_approve_groups",
        "auto_approve = []\nauto_approve_groups",
    );
    std::fs::write(dir.path().join("cat/catalog.toml"), &broken).unwrap();
    let e = Config::load(&cfg_path).unwrap_err().message;
    let want = format!(
        "{}:{}:",
        dir.path().join("cat/catalog.toml").display(),
        line_of(&broken, "auto_approve =")
    );
    assert!(e.starts_with(&want) && e.contains("unknown field"), "{e}");

    // A missing file is reported at the `file` line of the config.
    std::fs::remove_file(dir.path().join("cat/catalog.toml")).unwrap();
    let e = Config::load(&cfg_path).unwrap_err().message;
    let want = format!("{}:{}:", cfg_path.display(), line_of(&text, "file = "));
    assert!(
        e.starts_with(&want) && e.contains("cannot read the catalog"),
        "{e}"
    );

    // Both a file and inline resources: which one was meant?
    let both = format!(
        "{}file = \"c.toml\"\n{}",
        &BASE[..inline_start],
        &BASE[inline_start..]
    );
    refused(&both, Some("file = "), "both file and [[catalog.resource]]");
}

/// `serve` hands the development issuers to no resource that did not ask for them (issue 12):
/// the error is placed at the resource and names it; `issuer = "dev"` is asked for.
#[test]
fn a_resource_must_name_its_issuer() {
    let none = with("settings = { issuer = \"dev\" }\n", "");
    refused(
        &none,
        Some("[[catalog.resource]]"),
        "catalog: db: needs settings.issuer",
    );
    let dev = parse(BASE).unwrap();
    assert_eq!(crate::serve::dev_issued(&dev), ["db"]);
    let real = with(
        "settings = { issuer = \"dev\" }",
        "settings = { issuer = \"postgres\", admin_url = \"postgres://zt@db.example.com/app\" }",
    );
    assert!(crate::serve::dev_issued(&parse(&real).unwrap()).is_empty());
}
