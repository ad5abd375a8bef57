//! PLACEHOLDER until the byte-preserving editor lands (same API). Not for release.
use serde::{Deserialize, Serialize};
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader, yaml::Hash};

pub struct KubeEntry<'a> {
    pub name: &'a str,
    pub server: &'a str,
    pub certificate_authority_data: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub exec_command: &'a str,
    pub exec_args: &'a [String],
    pub grant_id: &'a str,
    pub expires_at: &'a str,
}
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KubeUndo {
    pub previous_context: Option<Option<String>>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct EditError {
    pub line: Option<usize>,
    pub message: String,
}
impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
pub enum Wiped {
    Text(String),
    RemoveFile,
}
fn s(x: &str) -> Yaml {
    Yaml::String(x.into())
}
fn load(text: &str) -> Result<Hash, EditError> {
    if text.trim().is_empty() {
        return Ok(Hash::new());
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| EditError {
        line: Some(e.marker().line()),
        message: e.to_string(),
    })?;
    match docs.into_iter().next() {
        Some(Yaml::Hash(h)) => Ok(h),
        _ => Err(EditError {
            line: None,
            message: "not a mapping".into(),
        }),
    }
}
fn emit(h: Hash) -> String {
    let mut out = String::new();
    YamlEmitter::new(&mut out).dump(&Yaml::Hash(h)).ok();
    out.push('\n');
    out
}
fn strip(h: &mut Hash, name: &str) {
    for k in ["clusters", "contexts", "users"] {
        if let Some(Yaml::Array(a)) = h.get_mut(&s(k)) {
            a.retain(|i| i["name"].as_str() != Some(name));
        }
    }
}
pub fn apply(
    text: &str,
    e: &KubeEntry,
    use_context: bool,
) -> Result<(String, KubeUndo), EditError> {
    let mut h = load(text)?;
    strip(&mut h, e.name);
    let mut cluster = Hash::new();
    cluster.insert(s("server"), s(e.server));
    let mut exec = Hash::new();
    exec.insert(s("apiVersion"), s("client.authentication.k8s.io/v1"));
    exec.insert(s("command"), s(e.exec_command));
    exec.insert(
        s("args"),
        Yaml::Array(e.exec_args.iter().map(|a| s(a)).collect()),
    );
    exec.insert(s("interactiveMode"), s("Never"));
    let mut user = Hash::new();
    user.insert(s("exec"), Yaml::Hash(exec));
    let mut ctx = Hash::new();
    ctx.insert(s("cluster"), s(e.name));
    ctx.insert(s("user"), s(e.name));
    for (k, inner, v) in [
        ("clusters", "cluster", cluster),
        ("users", "user", user),
        ("contexts", "context", ctx),
    ] {
        let mut item = Hash::new();
        item.insert(s(inner), Yaml::Hash(v));
        item.insert(s("name"), s(e.name));
        match h.get_mut(&s(k)) {
            Some(Yaml::Array(a)) => a.push(Yaml::Hash(item)),
            _ => {
                h.insert(s(k), Yaml::Array(vec![Yaml::Hash(item)]));
            }
        }
    }
    let mut undo = KubeUndo::default();
    if use_context {
        undo.previous_context = Some(
            h.get(&s("current-context"))
                .and_then(|v| v.as_str())
                .map(String::from),
        );
        h.insert(s("current-context"), s(e.name));
    }
    Ok((emit(h), undo))
}
pub fn wipe(text: &str, name: &str, undo: &KubeUndo) -> Result<Wiped, EditError> {
    let mut h = load(text)?;
    strip(&mut h, name);
    if let Some(prev) = &undo.previous_context
        && h.get(&s("current-context")).and_then(|v| v.as_str()) == Some(name)
    {
        h.insert(s("current-context"), s(prev.as_deref().unwrap_or("")));
    }
    Ok(Wiped::Text(emit(h)))
}
pub fn validate(text: &str) -> Result<(), EditError> {
    load(text).map(|_| ())
}
