//! The text of zt's own entries: block style, every string double-quoted, so nothing in a
//! value (a `#`, a `: `, a leading `*`, a unicode line separator) can be read as structure.

use yaml_rust2::Yaml;
use yaml_rust2::yaml::Hash;

use super::KubeEntry;

/// The `extensions` entry that marks cluster, user and context objects as written by zt.
pub(super) const MARKER: &str = "zt.dev/grant";

/// The little value tree zt writes: emitted as text and, for verification, as a `Yaml` tree.
pub(super) enum V {
    Str(String),
    /// A plain scalar written as is (`null`, `false`).
    Lit(&'static str),
    Map(Vec<(&'static str, V)>),
    List(Vec<V>),
}

/// How the file lays out lists, so zt's entries look like their neighbours.
#[derive(Clone, Copy)]
pub(super) struct Style {
    /// `key:\n- a` (kubectl) rather than `key:\n  - a`.
    pub indentless: bool,
    /// Column of an entry's content relative to its `-` (2 for `- name`).
    pub item_off: usize,
    pub eol: &'static str,
}

fn s(v: &str) -> V {
    V::Str(v.to_string())
}

/// The cluster, context and user entries for `e`, keys in kubectl's (sorted) order so a later
/// `kubectl config` rewrite moves as little as possible.
pub(super) fn entries(e: &KubeEntry) -> [V; 3] {
    let ext = || {
        let ext = V::Map(vec![("expires", s(e.expires_at)), ("grant", s(e.grant_id))]);
        V::List(vec![V::Map(vec![("extension", ext), ("name", s(MARKER))])])
    };
    let mut cluster = Vec::new();
    if let Some(ca) = e.certificate_authority_data {
        cluster.push(("certificate-authority-data", s(ca)));
    }
    cluster.extend([("extensions", ext()), ("server", s(e.server))]);
    let mut context = vec![("cluster", s(e.name)), ("extensions", ext())];
    if let Some(ns) = e.namespace {
        context.push(("namespace", s(ns)));
    }
    context.push(("user", s(e.name)));
    let exec = V::Map(vec![
        ("apiVersion", s("client.authentication.k8s.io/v1")),
        ("args", V::List(e.exec_args.iter().map(|a| s(a)).collect())),
        ("command", s(e.exec_command)),
        ("env", V::Lit("null")),
        ("interactiveMode", s("Never")),
        ("provideClusterInfo", V::Lit("false")),
    ]);
    [
        V::Map(vec![("cluster", V::Map(cluster)), ("name", s(e.name))]),
        V::Map(vec![("context", V::Map(context)), ("name", s(e.name))]),
        V::Map(vec![
            ("name", s(e.name)),
            ("user", V::Map(vec![("exec", exec), ("extensions", ext())])),
        ]),
    ]
}

/// YAML double-quoted scalar. Printable ASCII and alphanumeric chars stay as they are;
/// everything else is escaped (`\U` rather than JSON's surrogate pairs, which YAML lacks).
pub(super) fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            c if c.is_alphanumeric() => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Append `item` (a map) as a list entry whose `-` sits at column `dash_col`.
pub(super) fn item(out: &mut String, item: &V, dash_col: usize, st: &Style) {
    let mut prefix = String::new();
    pad(&mut prefix, dash_col);
    prefix.push('-');
    pad(&mut prefix, st.item_off.max(2) - 1);
    match item {
        V::Map(entries) => map(
            out,
            entries,
            dash_col + st.item_off.max(2),
            Some(&prefix),
            st,
        ),
        other => {
            out.push_str(prefix.trim_end());
            value(out, other, dash_col, st);
        }
    }
}

fn map(out: &mut String, entries: &[(&str, V)], col: usize, first: Option<&str>, st: &Style) {
    for (n, (k, v)) in entries.iter().enumerate() {
        match (n, first) {
            (0, Some(p)) => out.push_str(p),
            _ => pad(out, col),
        }
        out.push_str(k);
        out.push(':');
        value(out, v, col, st);
    }
}

/// The value of a key at column `col`, starting right after its `:` (or an entry's `-`).
fn value(out: &mut String, v: &V, col: usize, st: &Style) {
    match v {
        V::Str(x) => {
            out.push(' ');
            out.push_str(&quote(x));
        }
        V::Lit(x) => {
            out.push(' ');
            out.push_str(x);
        }
        V::Map(e) if e.is_empty() => out.push_str(" {}"),
        V::List(e) if e.is_empty() => out.push_str(" []"),
        V::Map(e) => {
            out.push_str(st.eol);
            return map(out, e, col + 2, None, st);
        }
        V::List(items) => {
            out.push_str(st.eol);
            let dash = if st.indentless { col } else { col + 2 };
            let nested = Style { item_off: 2, ..*st };
            for it in items {
                item(out, it, dash, &nested);
            }
            return;
        }
    }
    out.push_str(st.eol);
}

pub(super) fn to_yaml(v: &V) -> Yaml {
    match v {
        V::Str(x) => Yaml::String(x.clone()),
        V::Lit(x) => Yaml::from_str(x),
        V::Map(e) => {
            let mut h = Hash::new();
            for (k, v) in e {
                h.insert(Yaml::String((*k).to_string()), to_yaml(v));
            }
            Yaml::Hash(h)
        }
        V::List(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
    }
}
