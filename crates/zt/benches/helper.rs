//! Benchmark: `zt credential kube GRANT` on its warm path (grant live, credential cached in the
//! runtime dir), one whole process per call as kubectl runs it, against `cat` of the same cache
//! file as the floor. Prints median and p90; asserts nothing (targets: issue 2 ≤ 5 ms, issue 4
//! ≤ 3 ms and within 2× of cat).
//!
//! `cargo bench -p zt --bench helper` (release build).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zt::ledger::{Entry, Ledger, Target};
use zt_api::{Credential, Timestamp};

const RUNS: usize = 300;

fn main() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for d in [".config/zt", "state", "run/creds", ".kube"] {
        std::fs::create_dir_all(h.join(d)).unwrap();
    }
    let grant = "benchgrant01";
    let exp = Timestamp::now().0 + 3600;
    let cached = zt::credcache::Cached {
        profile: "default".into(),
        resource: "prod-k8s".into(),
        credential: Credential::Kubernetes {
            server: "https://k8s.example".into(),
            certificate_authority_data: None,
            namespace: None,
            token: "x".repeat(900),
            expires_at: Timestamp(exp),
        },
    };
    let cache_file = h.join(format!("run/creds/{grant}.json"));
    std::fs::write(&cache_file, serde_json::to_vec(&cached).unwrap()).unwrap();
    // A ledger with a few live entries, as a real user would have (the sweep reads it).
    let entries = (0..5)
        .map(|i| Entry {
            grant: format!("g{i}"),
            profile: "default".into(),
            resource: format!("r{i}"),
            role: "view".into(),
            expires_at: exp,
            target: Target::Kubeconfig {
                file: h.join(".kube/config"),
                name: format!("zt-r{i}"),
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

    let zt = env!("CARGO_BIN_EXE_zt");
    let envs = [
        ("HOME", h.display().to_string()),
        ("ZT_CONFIG_DIR", h.join(".config/zt").display().to_string()),
        ("ZT_STATE_DIR", h.join("state").display().to_string()),
        ("ZT_RUNTIME_DIR", h.join("run").display().to_string()),
    ];
    let run = |program: &str, args: &[&str]| -> Duration {
        let start = Instant::now();
        let out = Command::new(program)
            .args(args)
            .env_clear()
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
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
        took
    };
    let cache = cache_file.display().to_string();
    let measure = |label: &str, program: &str, args: &[&str]| -> f64 {
        for _ in 0..20 {
            run(program, args);
        }
        let mut t: Vec<Duration> = (0..RUNS).map(|_| run(program, args)).collect();
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (median, p90) = (ms(t[RUNS / 2]), ms(t[RUNS * 9 / 10]));
        println!("{label:<44} median {median:6.2} ms   p90 {p90:6.2} ms   ({RUNS} processes)");
        median
    };
    let z = measure(
        "zt credential kube (warm cache)",
        zt,
        &["credential", "kube", grant],
    );
    let c = measure("cat <cache file> (floor)", "cat", &[&cache]);
    println!("ratio zt/cat: {:.2}×", z / c);
}
