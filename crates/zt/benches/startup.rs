//! Benchmark: what a shell runs on every prompt and every Tab press, as whole processes —
//! `zt prompt` (a ledger with five live grants) and one completion (`ZT_COMPLETE=bash zt --
//! zt request pr`, with a cached catalog) — against `/usr/bin/true`, the floor of any process.
//! Prints median and p90 and the ratios; asserts nothing (target, issue 13: each at most 2×
//! true). The cases run interleaved, so a change in the machine's load hits all alike.
//!
//! `scripts/bench.sh` (the static PIE users install, release profile) or `cargo bench -p zt
//! --bench startup` (the dynamically linked build cargo makes).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zt::ledger::{Entry, Ledger, Target};
use zt_api::{Catalog, CatalogEntry, ResourceKind, RoleInfo, Timestamp};

const RUNS: usize = 300;

/// What is timed: a label, the program, its arguments, variables added to the sealed ones.
type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

fn main() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for d in [".config/zt", "state", "run", "cache", ".kube"] {
        std::fs::create_dir_all(h.join(d)).unwrap();
    }
    let exp = Timestamp::now().0 + 3600;
    // Five live grants, as a busy user would have.
    let entries = (0..5)
        .map(|i| Entry {
            grant: format!("g{i}"),
            profile: "default".into(),
            resource: format!("prod-r{i}"),
            role: "view".into(),
            expires_at: exp + i * 60,
            target: Target::Kubeconfig {
                file: h.join(".kube/config"),
                name: format!("zt-prod-r{i}"),
                undo: Default::default(),
            },
        })
        .collect();
    std::fs::write(
        h.join("state/ledger.json"),
        serde_json::to_vec(&Ledger {
            entries,
            ..Default::default()
        })
        .unwrap(),
    )
    .unwrap();
    // A catalog of twenty resources, as `zt catalog` caches it.
    let cached = zt::cache::CachedCatalog {
        profile: "default".into(),
        fetched_at: Timestamp::now().0,
        catalog: Catalog {
            bundles: vec![],
            resources: (0..20)
                .map(|i| CatalogEntry {
                    name: format!("prod-r{i}"),
                    kind: ResourceKind::Kubernetes,
                    description: "a resource".into(),
                    roles: ["view", "edit", "admin"]
                        .iter()
                        .map(|r| RoleInfo {
                            name: r.to_string(),
                            auto_approve: *r == "view",
                            approver_groups: vec!["sre".into()],
                        })
                        .collect(),
                    default_role: "view".into(),
                    max_ttl_secs: 3600,
                })
                .collect(),
        },
    };
    std::fs::write(
        h.join("cache/catalog-default.json"),
        serde_json::to_vec(&cached).unwrap(),
    )
    .unwrap();

    // ZT_BENCH_ZT: the build to time (scripts/bench.sh passes the static PIE users install);
    // by default the one `cargo bench` built.
    let zt_env = std::env::var("ZT_BENCH_ZT").ok();
    let zt = zt_env.as_deref().unwrap_or(env!("CARGO_BIN_EXE_zt"));
    println!("timing {zt}");
    let envs = [
        ("HOME", h.display().to_string()),
        ("ZT_CONFIG_DIR", h.join(".config/zt").display().to_string()),
        ("ZT_STATE_DIR", h.join("state").display().to_string()),
        ("ZT_RUNTIME_DIR", h.join("run").display().to_string()),
        ("ZT_CACHE_DIR", h.join("cache").display().to_string()),
    ];
    let run = |program: &str, args: &[&str], extra: &[(&str, &str)]| -> (Duration, Vec<u8>) {
        let start = Instant::now();
        let out = Command::new(program)
            .args(args)
            .env_clear()
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let took = start.elapsed();
        assert!(
            out.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (took, out.stdout)
    };
    // What is measured does the work: the segment names the grants, the completion the names.
    let shown = run(zt, &["prompt"], &[]).1;
    assert!(String::from_utf8_lossy(&shown).contains("prod-r0/view"));
    let tab = [
        ("ZT_COMPLETE", "bash"),
        ("_CLAP_IFS", "\n"),
        ("_CLAP_COMPLETE_INDEX", "2"),
    ];
    let completion = ["--", "zt", "request", "prod-r1"];
    let offered = run(zt, &completion, &tab).1;
    assert_eq!(String::from_utf8_lossy(&offered).lines().count(), 11);

    // Round-robin, one process of each case in turn: a machine whose load changes during the
    // run (other builds) slows every case alike, so the ratios stay meaningful.
    let cases: [Case; 4] = [
        ("/usr/bin/true (floor)", "/usr/bin/true", &[], &[]),
        ("zt prompt (5 live grants)", zt, &["prompt"], &[]),
        (
            "zt completion (zt request prod-r1<Tab>)",
            zt,
            &completion,
            &tab,
        ),
        (
            "zt --version (clap, for reference)",
            zt,
            &["--version"],
            &[],
        ),
    ];
    for (_, program, args, extra) in &cases {
        for _ in 0..20 {
            run(program, args, extra);
        }
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(RUNS); cases.len()];
    for _ in 0..RUNS {
        for (i, (_, program, args, extra)) in cases.iter().enumerate() {
            samples[i].push(run(program, args, extra).0);
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut medians = Vec::new();
    for ((label, ..), t) in cases.iter().zip(&mut samples) {
        t.sort();
        let (median, p90) = (ms(t[RUNS / 2]), ms(t[RUNS * 9 / 10]));
        println!("{label:<44} median {median:6.2} ms   p90 {p90:6.2} ms   ({RUNS} processes)");
        medians.push(median);
    }
    let floor = medians[0];
    println!("ratio zt prompt/true:     {:.2}×", medians[1] / floor);
    println!("ratio completion/true:    {:.2}×", medians[2] / floor);
    println!("ratio zt --version/true:  {:.2}×", medians[3] / floor);
}
