//! What the consumer and concurrency tests share: a logged-in sealed HOME with extra variables
//! (the AWS and libpq file locations), catalogs written by the test, and checks that a file
//! still parses the way its real readers parse it.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::broker::Broker;
use super::{Home, Out};

/// A sealed HOME plus the variables every process in it also sees.
pub(crate) struct World {
    pub home: Home,
    pub extra: Vec<(String, String)>,
}

impl World {
    pub(crate) fn new() -> World {
        World {
            home: Home::new(),
            extra: vec![],
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.home.path()
    }

    /// A World whose AWS CLI files are at non-default places (`aws-files/config`,
    /// `aws-files/credentials`), and that never looks for instance metadata.
    pub(crate) fn with_aws_files() -> World {
        let mut w = World::new();
        let dir = w.path().join("aws-files");
        w.set("AWS_CONFIG_FILE", dir.join("config"))
            .set("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .set("AWS_EC2_METADATA_DISABLED", "true");
        w
    }

    /// The AWS CLI's config file of a [`World::with_aws_files`].
    pub(crate) fn aws_config(&self) -> PathBuf {
        self.path().join("aws-files/config")
    }

    /// Grant `grant` as `zt status --json` lists it now; `Null` when it is not listed.
    pub(crate) fn status_of(&self, grant: &str) -> serde_json::Value {
        let all = self.run(&["status", "--json"]).ok().json();
        all.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == grant)
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn set(&mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.extra
            .push((k.into(), v.as_ref().to_string_lossy().into_owned()));
        self
    }

    pub(crate) fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = self.home.cmd(&program.as_ref().to_string_lossy());
        c.envs(self.extra.iter().map(|(k, v)| (k, v)));
        c
    }

    pub(crate) fn zt(&self, args: &[&str]) -> Command {
        let mut c = self.cmd(super::zt_bin());
        c.args(args);
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Out {
        Out::from(self.zt(args).output().unwrap())
    }

    pub(crate) fn run_cmd(&self, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Out {
        Out::from(self.cmd(program).args(args).output().unwrap())
    }

    /// `zt login` against a broker started with `--auto-login USER`.
    pub(crate) fn login(&self, broker: &Broker) {
        self.run(&[
            "login",
            "--broker",
            &broker.url,
            "--insecure-storage",
            "--no-browser",
        ])
        .ok();
    }

    /// `zt request … --json` that must succeed; the grant id.
    #[track_caller]
    pub(crate) fn request(&self, args: &[&str]) -> String {
        let mut a = vec!["request"];
        a.extend_from_slice(args);
        a.push("--json");
        let out = self.run(&a);
        out.ok().json()["request"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no request id: {out:#?}"))
            .to_string()
    }

    /// `zt env GRANT --json` as a map.
    #[track_caller]
    pub(crate) fn env_of(&self, grant: &str) -> serde_json::Map<String, serde_json::Value> {
        let out = self.run(&["env", grant, "--json"]);
        out.ok().json().as_object().cloned().unwrap()
    }
}

/// A catalog file for `zt-broker dev --catalog`, kept as long as the value lives.
pub(crate) struct CatalogFile {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl CatalogFile {
    pub(crate) fn new(toml: &str) -> CatalogFile {
        let dir = tempfile::Builder::new()
            .prefix("zt-catalog-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("catalog.toml");
        std::fs::write(&path, toml).unwrap();
        CatalogFile { _dir: dir, path }
    }

    pub(crate) fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// The demo catalog with `from` replaced by `to` (which must occur).
pub(crate) fn demo_catalog_with(from: &str, to: &str) -> String {
    let demo = zt_broker::dev::demo::DEMO_TOML;
    assert!(demo.contains(from), "the demo catalog has no {from:?}");
    demo.replace(from, to)
}

/// The sections of an AWS-style INI file, in order, checked the way botocore's parser reads
/// it: every line blank, a comment (`#`/`;`), `[section]`, `key = value`, or an indented
/// continuation of a key with an empty value (nested `s3 =` blocks). Err: the first bad line.
pub(crate) fn ini_sections(text: &str) -> Result<Vec<String>, String> {
    let mut sections = Vec::new();
    let mut nested_ok = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if nested_ok && t.contains('=') {
                continue;
            }
            return Err(format!("line {}: stray indented line {line:?}", i + 1));
        }
        if let Some(h) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            if h.trim().is_empty() {
                return Err(format!("line {}: empty section header", i + 1));
            }
            sections.push(h.trim().to_string());
            nested_ok = false;
            continue;
        }
        let Some((k, v)) = t.split_once('=') else {
            return Err(format!(
                "line {}: neither a section nor key = value: {line:?}",
                i + 1
            ));
        };
        if sections.is_empty() {
            return Err(format!("line {}: a key before any section", i + 1));
        }
        if k.trim().is_empty() {
            return Err(format!("line {}: empty key", i + 1));
        }
        nested_ok = v.trim().is_empty();
    }
    let mut seen = std::collections::HashSet::new();
    for s in &sections {
        if !seen.insert(s) {
            return Err(format!("section [{s}] appears twice"));
        }
    }
    Ok(sections)
}

pub(crate) fn yaml(text: &str) -> Result<yaml_rust2::Yaml, String> {
    let mut docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    if docs.len() != 1 {
        return Err(format!("{} YAML documents", docs.len()));
    }
    Ok(docs.remove(0))
}

/// A realistic kubeconfig of the user's own (comments, an EKS-style exec user), which zt must
/// leave byte for byte as it found it.
pub(crate) const USER_KUBECONFIG: &str = "\
# my clusters — zt must not touch these
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Zm9vCg==
    server: https://staging.example.com:6443
  name: staging
contexts:
- context:
    cluster: staging
    namespace: team-a   # my namespace
    user: me
  name: staging
current-context: staging
preferences: {}
users:
- name: me
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, staging]
      interactiveMode: IfAvailable
";

/// The `name`s of a kubeconfig list (`clusters`, `contexts`, `users`).
pub(crate) fn names(doc: &yaml_rust2::Yaml, key: &str) -> Vec<String> {
    doc[key]
        .as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|i| i["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A kubeconfig as kubectl needs it: one YAML mapping of kind Config whose every context
/// names a cluster and a user that exist. Returns the context names.
pub(crate) fn kubeconfig_contexts(text: &str) -> Result<Vec<String>, String> {
    let doc = yaml(text)?;
    if doc["kind"].as_str() != Some("Config") {
        return Err("kind is not Config".into());
    }
    let clusters = names(&doc, "clusters");
    let users = names(&doc, "users");
    let contexts = names(&doc, "contexts");
    for c in doc["contexts"].as_vec().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or("?");
        // kubectl-made contexts in these tests point at a cluster `x` nobody defines: allowed.
        let cl = c["context"]["cluster"].as_str().unwrap_or("");
        if name.starts_with("zt-") && !clusters.iter().any(|x| x == cl) {
            return Err(format!("context {name} names a missing cluster {cl:?}"));
        }
        let u = c["context"]["user"].as_str().unwrap_or("");
        if name.starts_with("zt-") && !users.iter().any(|x| x == u) {
            return Err(format!("context {name} names a missing user {u:?}"));
        }
    }
    Ok(contexts)
}

/// The mode bits of a file.
pub(crate) fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Write `text` with mode 0600 (as a user's credential file would be).
pub(crate) fn write_private(p: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(p, text).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A small seeded PRNG (xorshift64*), so a failing schedule can be replayed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
