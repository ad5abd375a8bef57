//! What `zt-broker dev` says at start about its catalog: with the demo catalog, that nothing it
//! issues opens anything real, and the demo resources; with `--catalog` naming a real issuer,
//! that its credentials open real systems, and the resources of that catalog, not the demo's.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::common::Home;
use crate::common::world::{CatalogFile, demo_catalog_with};

/// The lines `zt-broker dev` prints on stderr up to its `stop:` line.
fn notes(extra: &[&str]) -> String {
    let home = Home::new();
    let mut child = home
        .cmd(crate::common::broker_bin())
        .args(["dev", "--port", "0"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut text = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line.trim_start().starts_with("stop:") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    text
}

#[test]
fn dev_broker_notes_name_the_catalog_it_serves_and_its_real_issuers() {
    let demo = notes(&[]);
    assert!(
        demo.contains("nothing it issues opens anything real"),
        "{demo}"
    );
    assert!(
        demo.contains("prod-k8s (kubernetes), prod-aws (aws), prod-db (postgres)"),
        "{demo}"
    );
    assert!(demo.contains("k8s API:"), "{demo}");

    // One resource of a real issuer (STS is not called before the first grant), and only it.
    let catalog = demo_catalog_with(
        r#"settings = { region = "us-east-1", account_id = "123456789012" }"#,
        r#"settings = { issuer = "aws-sts", region = "us-east-1", endpoint_url = "http://127.0.0.1:9" }"#,
    );
    let start = catalog
        .find("[[resource]]\nname = \"prod-aws\"")
        .expect("prod-aws");
    let end = catalog[start + 1..]
        .find("[[resource]]")
        .map_or(catalog.len(), |e| e + start + 1);
    let cat = CatalogFile::new(&format!(
        "{}\n[[resource]]\nname = \"team-k8s\"\nkind = \"kubernetes\"\ndefault_role = \"view\"\n\
         max_ttl = \"1h\"\nrequester_groups = [\"engineering\"]\n\n[[resource.role]]\nname = \"view\"\n\
         auto_approve_groups = [\"engineering\"]\n",
        &catalog[start..end]
    ));
    let real = notes(&["--catalog", cat.arg()]);
    assert!(!real.contains("opens anything real"), "{real}");
    assert!(
        real.contains("REAL issuers: the credentials of prod-aws (aws-sts)"),
        "{real}"
    );
    assert!(
        real.contains("catalog:  prod-aws (aws, aws-sts issuer), team-k8s (kubernetes)"),
        "{real}"
    );
    assert!(
        !real.contains("prod-db") && !real.contains("prod-k8s"),
        "{real}"
    );
    assert!(
        real.contains("k8s API:") && real.contains("(team-k8s;"),
        "{real}"
    );
}

/// The help is true of `--catalog` too: it does not promise that nothing is real.
#[test]
fn dev_broker_help_does_not_promise_nothing_real_for_any_catalog() {
    let home = Home::new();
    let out = home
        .cmd(crate::common::broker_bin())
        .args(["dev", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        !help.contains("Nothing it issues opens anything real")
            && help.contains("With the demo catalog nothing it issues opens anything real"),
        "{help}"
    );
}

/// `zt request` for a Kubernetes role suggests a command the role can run in the grant's
/// namespace, not `get namespaces` (cluster-wide, which a role bound in one namespace may not
/// list), and the suggestion runs.
#[test]
fn zt_request_suggests_a_kubectl_command_in_the_grants_namespace_and_it_works() {
    let Some(kubectl) = crate::common::kubectl() else {
        return;
    };
    let broker = crate::common::broker::Broker::start(&["--auto-login", "alice"]);
    let w = crate::common::world::World::new();
    w.login(&broker);
    let out = w.run(&["request", "prod-k8s", "--ttl", "10m"]);
    let out = out.ok();
    let hint = out
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("try: "))
        .unwrap_or_else(|| panic!("no hint: {}", out.stderr));
    assert_eq!(hint, "kubectl --context zt-prod-k8s get pods -n default");
    assert!(!out.stderr.contains("get namespaces"), "{}", out.stderr);
    let args: Vec<&str> = hint.split(' ').skip(1).collect();
    let ran = w.run_cmd(&kubectl, &args);
    assert_eq!(ran.code, 0, "{ran:#?}");
    assert!(
        ran.stderr
            .contains("No resources found in default namespace"),
        "{ran:#?}"
    );
}
