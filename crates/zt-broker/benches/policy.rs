//! How long one Cedar policy decision takes with 200 policies loaded: every `POST /v1/requests`
//! (and every role shown by `/v1/catalog`) pays this, so it has a budget (≤ 100 µs). The set is
//! the shipped examples (`policies/`) plus generated policies for 60 other resources, the way
//! a real deployment grows: per-team grants, approvals and forbids. Run with
//! `cargo bench -p zt-broker --bench policy` (add `--profile dev` for a quick,
//! unrepresentative run).

use std::path::Path;
use std::time::{Duration, Instant};

use zt_api::{ClientContext, Timestamp};
use zt_broker::auth::Principal;
use zt_broker::catalog::Catalog;
use zt_broker::policy::{Action, CedarPolicy, Policy, PolicyInput};

const POLICIES: usize = 200;
const ITERATIONS: usize = 20_000;
const WARMUP: usize = 1_000;
/// `cargo test --all-targets` runs this binary without `--bench`: just check that it works.
const SMOKE_ITERATIONS: usize = 300;
/// 2024-06-03 is a Monday; 10:00 UTC is business hours.
const MONDAY_10: i64 = 1_717_372_800 + 10 * 3600;

/// The generated resources: teams' services in prod and staging, one cluster each.
fn catalog(n: usize) -> String {
    let mut toml = String::new();
    for i in 0..n {
        let env = if i % 2 == 0 { "prod" } else { "staging" };
        let sens = ["low", "medium", "high"][i % 3];
        toml.push_str(&format!(
            "[[resource]]\nname = \"svc-{i}\"\nkind = \"kubernetes\"\ndefault_role = \"view\"\n\
             max_ttl = \"8h\"\nenvironment = \"{env}\"\nsensitivity = \"{sens}\"\n\
             [[resource.role]]\nname = \"view\"\n[[resource.role]]\nname = \"admin\"\nmax_ttl = \"1h\"\n\n"
        ));
    }
    toml
}

/// Policies for resource `svc-{i}` until the set has `total` policies in all.
fn generated(existing: usize, total: usize) -> String {
    let mut out = String::new();
    for k in 0..total.saturating_sub(existing) {
        let i = k / 3;
        out.push_str(&match k % 3 {
            0 => format!(
                "@id(\"svc-{i}-view\") @outcome(\"grant\")\n\
                 permit (principal in Group::\"team-{i}\", action == Action::\"request\", \
                 resource == Resource::\"svc-{i}\")\n\
                 when {{ context.role == \"view\" && context.weekday <= 5 }};\n\n"
            ),
            1 => format!(
                "@id(\"svc-{i}-admin\") @outcome(\"approval\") @approvers(\"team-{i}-leads\")\n\
                 @max_ttl(\"45m\")\n\
                 permit (principal in Group::\"team-{i}\", action == Action::\"request\", \
                 resource == Resource::\"svc-{i}\")\n\
                 when {{ context.role == \"admin\" }};\n\n"
            ),
            _ => format!(
                "@id(\"svc-{i}-no-stacking\") @reason(\"one grant at a time on {{resource}}\")\n\
                 forbid (principal, action == Action::\"request\", resource == Resource::\"svc-{i}\")\n\
                 when {{ context.holds_grant && resource.sensitivity == \"high\" }};\n\n"
            ),
        });
    }
    out
}

fn main() -> Result<(), String> {
    let iterations = if std::env::args().any(|a| a == "--bench") {
        ITERATIONS
    } else {
        SMOKE_ITERATIONS
    };
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("policies");
    let mut sources = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
        .collect();
    names.sort();
    for p in names {
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        sources.push((p.display().to_string(), text));
    }
    let examples = CedarPolicy::from_sources(&sources).map_err(|e| e.to_string())?;
    sources.push((
        "generated.cedar".into(),
        generated(examples.len(), POLICIES),
    ));
    let services = POLICIES / 3 + 1;
    let load_start = Instant::now();
    let policy = CedarPolicy::from_sources(&sources).map_err(|e| e.to_string())?;
    let load_time = load_start.elapsed();
    if policy.len() != POLICIES {
        return Err(format!("{} policies, not {POLICIES}", policy.len()));
    }
    let mut text = catalog(services);
    text.push_str(
        "[[resource]]\nname = \"prod-k8s\"\nkind = \"kubernetes\"\ndefault_role = \"view\"\n\
         max_ttl = \"8h\"\n[[resource.role]]\nname = \"view\"\n[[resource.role]]\nname = \"admin\"\n",
    );
    let catalog = Catalog::parse(&text)?;

    // A spread of requests: the examples' cases and each team on its own service.
    let ctx = ClientContext {
        client_version: "0.1.0".into(),
        hostname: "laptop".into(),
        platform: "linux-x86_64".into(),
    };
    let people: Vec<Principal> = (0..16)
        .map(|i| Principal {
            auth: Default::default(),
            sub: format!("user-{i}"),
            issuer: "https://idp.example.com".into(),
            email: Some(format!("user-{i}@example.com")),
            name: None,
            groups: match i % 4 {
                0 => vec!["engineering".into(), format!("team-{i}")],
                1 => vec!["engineering".into(), "oncall".into(), format!("team-{i}")],
                2 => vec![
                    format!("team-{i}"),
                    format!("team-{i}-leads"),
                    "sre-leads".into(),
                ],
                _ => vec!["marketing".into()],
            },
        })
        .collect();
    let resources: Vec<_> = catalog.resources().iter().collect();
    let decide = |policy: &CedarPolicy, n: usize| -> Vec<Duration> {
        let mut samples = Vec::with_capacity(n);
        for k in 0..n {
            let who = &people[k % people.len()];
            let res = resources[(k * 7) % resources.len()];
            let role = &res.roles[k % res.roles.len()];
            let input = PolicyInput {
                principal: who,
                action: if k % 11 == 0 {
                    Action::BreakGlass
                } else {
                    Action::Request
                },
                resource: res,
                role,
                ttl_secs: 1800,
                reason: (k % 3 != 0).then_some("INC-1"),
                ticket: (k % 2 == 0).then_some("OPS-2"),
                break_glass: k % 11 == 0,
                context: &ctx,
                holds_grant: k % 5 == 0,
                now: Timestamp(MONDAY_10 + (k as i64 % 48) * 1800),
                oncall: &[],
                starts_in_secs: 0,
            };
            let start = Instant::now();
            let verdict = policy.decide(&input);
            samples.push(start.elapsed());
            std::hint::black_box(verdict);
        }
        samples
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    // The examples alone first: the part of a decision that does not grow with the set.
    for (name, p) in [("examples only", &examples), ("full set", &policy)] {
        decide(p, WARMUP.min(iterations));
        let mut sorted = decide(p, iterations);
        sorted.sort_unstable();
        let pct = |q: f64| -> Duration {
            let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
            sorted[i.min(sorted.len() - 1)]
        };
        println!(
            "cedar decide, {name} ({} policies, {} resources): median {:.1} µs, p99 {:.1} µs over {}",
            p.len(),
            resources.len(),
            us(pct(0.5)),
            us(pct(0.99)),
            sorted.len(),
        );
    }
    println!(
        "load + validate {} policies: {:.1} ms",
        policy.len(),
        load_time.as_secs_f64() * 1e3
    );
    Ok(())
}
