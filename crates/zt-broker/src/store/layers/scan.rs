//! Reading which store files a store file refers to: comments and literals stripped, `use`
//! trees expanded, paths in code resolved to the deepest module they name (the rules they are
//! held to, and the tests, are in [`super`]).

use std::collections::{BTreeMap, BTreeSet};

/// A module of the store, by its path below `crate::store` (`[]` is the store's `mod.rs`).
type Module = Vec<String>;

/// The module a file is: `a/b.rs` is `[a, b]`, `a/mod.rs` is `[a]`.
fn module_of(rel: &str) -> Module {
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    let last = parts.pop().unwrap_or_default();
    if last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_owned());
    }
    parts
}

/// The file of a module, as [`module_of`] reads it back.
fn file_of(m: &Module, files: &BTreeMap<Module, String>) -> String {
    files[m].clone()
}

/// The source without comments (`//` to the end of the line, `/* … */`) and with its string
/// and character literals emptied, so that doc links, prose and text name no file.
fn strip_comments(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && at(i + 1) == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && (at(i + 1) == '"' || at(i + 1) == '#')
            && !is_ident(at(i.wrapping_sub(1)))
        {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) != '"' {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() && !(chars[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#')) {
                j += 1;
            }
            out.push_str("\"\"");
            i = j + 1 + hashes;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A character literal ('x', '\n'), not a lifetime ('a).
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("' '");
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The source with each `pub(in path)` a plain `pub`: a visibility names where an item is seen,
/// not what it uses.
fn strip_visibility(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(at) = rest.find("pub(in ") {
        out.push_str(&rest[..at]);
        out.push_str("pub");
        let after = &rest[at..];
        rest = &after[after.find(')').map_or(after.len(), |e| e + 1)..];
    }
    out.push_str(rest);
    out
}

/// The `use` trees of the source (the text between `use` and `;`), and the source with them
/// blanked out.
fn split_uses(src: &str) -> (Vec<String>, String) {
    let mut uses = Vec::new();
    let mut rest = String::with_capacity(src.len());
    let mut i = 0;
    let bytes = src.as_bytes();
    while i < src.len() {
        let word_start = i == 0 || !is_ident(bytes[i - 1] as char);
        if word_start && src[i..].starts_with("use ") {
            let end = src[i..].find(';').map_or(src.len(), |e| i + e);
            uses.push(src[i + 4..end].to_owned());
            rest.push(' ');
            i = (end + 1).min(src.len());
        } else {
            let c = src[i..].chars().next().unwrap_or(' ');
            rest.push(c);
            i += c.len_utf8();
        }
    }
    (uses, rest)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expand a `use` tree into its paths: `super::{a, b::{c, d as e}}` is `super::a`,
/// `super::b::c` and `super::b::d` (the last named `e`). `self` in a group is the group's
/// own path. Each path comes with the name it binds, if any.
fn expand(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    expand_into(&[], tree.trim(), &mut out);
    out
}

fn expand_into(prefix: &[String], tree: &str, out: &mut Vec<(Vec<String>, Option<String>)>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let mut path = prefix.to_vec();
        path.extend(segments(head));
        let close = tree.rfind('}').unwrap_or(tree.len());
        for item in split_top(&tree[open + 1..close]) {
            expand_into(&path, &item, out);
        }
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((p, a)) => (p.trim(), Some(a.trim().to_owned())),
        None => (tree, None),
    };
    let mut full = prefix.to_vec();
    for s in segments(path) {
        if s != "self" {
            full.push(s);
        }
    }
    let name = alias.or_else(|| match path.rsplit("::").next() {
        Some("self") | None => full.last().cloned(),
        Some("*") => None,
        Some(last) => Some(last.to_owned()),
    });
    out.push((full, name));
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The items of a group, split at its top-level commas.
fn split_top(group: &str) -> Vec<String> {
    let (mut items, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    items.push(cur);
    items
}

/// The paths (`a::b::c`, two segments or more) in code outside `use`, with a segment before
/// them (`x::a::…`) or not.
fn code_paths(src: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = is_ident(chars[i])
            && (i == 0 || !(is_ident(chars[i - 1]) || (i >= 2 && chars[i - 1] == ':')));
        if !starts {
            i += 1;
            continue;
        }
        let mut segs = Vec::new();
        loop {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            segs.push(chars[start..i].iter().collect::<String>());
            if i + 2 < chars.len()
                && chars[i] == ':'
                && chars[i + 1] == ':'
                && is_ident(chars[i + 2])
            {
                i += 2;
            } else {
                break;
            }
        }
        if segs.len() > 1 {
            out.push(segs);
        }
    }
    out
}

/// Where a path from module `from` leads among `modules`, given the module names in scope
/// there (its children, and modules imported by name): the deepest module it names.
fn resolve(
    from: &Module,
    path: &[String],
    scope: &BTreeMap<String, Module>,
    modules: &BTreeSet<Module>,
) -> Option<Module> {
    let (mut at, mut rest) = match path.first().map(String::as_str) {
        Some("crate") if path.get(1).map(String::as_str) == Some("store") => {
            (Vec::new(), &path[2..])
        }
        Some("super") => {
            let mut at = from.clone();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                at.pop()?;
                rest = &rest[1..];
            }
            (at, rest)
        }
        Some("self") => (from.clone(), &path[1..]),
        Some(name) => (scope.get(name)?.clone(), &path[1..]),
        None => return None,
    };
    while let Some(next) = rest.first() {
        let mut deeper = at.clone();
        deeper.push(next.clone());
        if !modules.contains(&deeper) {
            break;
        }
        at = deeper;
        rest = &rest[1..];
    }
    Some(at)
}

/// Which files each file refers to, for sources given as `(path below src/store, text)`.
pub(super) fn references(sources: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let files: BTreeMap<Module, String> = sources
        .iter()
        .map(|(rel, _)| (module_of(rel), rel.clone()))
        .collect();
    let modules: BTreeSet<Module> = files.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (rel, text) in sources {
        let from = module_of(rel);
        let mut targets = BTreeSet::new();
        let text = strip_visibility(&strip_comments(text));
        scan(&from, &text, &modules, &mut targets);
        // Any module of the file's own (itself, an inline `mod tests`) is no other file.
        targets.retain(|to| !to.starts_with(&from) || files.get(to).is_none_or(|f| f != rel));
        graph.insert(
            rel.clone(),
            targets.iter().map(|m| file_of(m, &files)).collect(),
        );
    }
    graph
}

/// The modules that the code of module `from` refers to; an inline module (`mod tests { … }`)
/// is scanned as the module it is, its `super` being `from`.
fn scan(from: &Module, text: &str, modules: &BTreeSet<Module>, targets: &mut BTreeSet<Module>) {
    let (inline, text) = split_inline_modules(text);
    for (name, body) in inline {
        let mut inner = from.clone();
        inner.push(name);
        scan(&inner, &body, modules, targets);
    }
    // In scope: the children, then whatever the `use`s bind to a module.
    let mut scope: BTreeMap<String, Module> = modules
        .iter()
        .filter(|m| m.len() == from.len() + 1 && m.starts_with(from))
        .map(|m| (m[from.len()].clone(), m.clone()))
        .collect();
    let (uses, code) = split_uses(&text);
    for tree in &uses {
        for (path, name) in expand(tree) {
            let Some(to) = resolve(from, &path, &scope, modules) else {
                continue;
            };
            // A path that ends on a module binds its name to it.
            if let Some(name) = name
                && path.last() == to.last()
                && !to.is_empty()
            {
                scope.insert(name, to.clone());
            }
            targets.insert(to);
        }
    }
    for path in code_paths(&code) {
        if let Some(to) = resolve(from, &path, &scope, modules) {
            targets.insert(to);
        }
    }
}

/// The inline modules (`mod name { … }`) of the source, by name and body, and the source
/// without them.
fn split_inline_modules(src: &str) -> (Vec<(String, String)>, String) {
    let mut found = Vec::new();
    let mut rest = String::with_capacity(src.len());
    let mut i = 0;
    let bytes = src.as_bytes();
    while i < src.len() {
        let word_start = i == 0 || !is_ident(bytes[i - 1] as char);
        if word_start && src[i..].starts_with("mod ") {
            let after = &src[i + 4..];
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|&c| is_ident(c))
                .collect();
            let tail = after.trim_start()[name.len()..].trim_start();
            if !name.is_empty() && tail.starts_with('{') {
                let open = src.len() - tail.len();
                let mut depth = 0;
                let mut close = src.len();
                for (at, c) in src[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                close = open + at;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                found.push((name, src[open + 1..close].to_owned()));
                rest.push(' ');
                i = (close + 1).min(src.len());
                continue;
            }
        }
        let c = src[i..].chars().next().unwrap_or(' ');
        rest.push(c);
        i += c.len_utf8();
    }
    (found, rest)
}
