//! Benchmark: `zt credential kube GRANT` on its warm path (grant live, credential cached in the
//! runtime dir), one whole process per call as kubectl runs it, against `cat` of the same cache
//! file as the floor. Prints median and p90; asserts nothing (targets: issue 2 ≤ 5 ms, issue 4
//! ≤ 3 ms and within 2× of cat, issue 13 within 1.5× of cat).
//!
//! `scripts/bench.sh` (the static PIE users install, release profile) or `cargo bench -p zt
//! --bench helper` (the dynamically linked build cargo makes).

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
    // zt and cat alternate, call by call, so that the machine's load (other builds, other
    // benchmarks) weighs on both alike and the ratio is measured in one run.
    let zt_args = ["credential", "kube", grant];
    for _ in 0..20 {
        run(zt, &zt_args);
        run("cat", &[&cache]);
    }
    let (mut z, mut c) = (Vec::with_capacity(RUNS), Vec::with_capacity(RUNS));
    for _ in 0..RUNS {
        z.push(run(zt, &zt_args));
        c.push(run("cat", &[&cache]));
    }
    let report = |label: &str, t: &mut Vec<Duration>| -> f64 {
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (median, p90) = (ms(t[RUNS / 2]), ms(t[RUNS * 9 / 10]));
        println!("{label:<44} median {median:6.2} ms   p90 {p90:6.2} ms   ({RUNS} processes)");
        median
    };
    let z = report("zt credential kube (warm cache)", &mut z);
    let c = report("cat <cache file> (floor)", &mut c);
    println!("ratio zt/cat: {:.2}× (target ≤ 1.5×)", z / c);
}
