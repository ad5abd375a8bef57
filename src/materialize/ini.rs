//! PLACEHOLDER until the byte-preserving INI editor lands (same API). Not for release.
use super::kubeyaml::{EditError, Wiped};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Aws,
    PgService,
}
pub struct IniSection<'a> {
    pub header: &'a str,
    pub entries: &'a [(String, String)],
    pub grant_id: &'a str,
    pub expires_at: &'a str,
}
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IniUndo {
    pub created: bool,
}
fn marker(h: &str) -> String {
    format!("[{h}]\n# zt: grant")
}
pub fn apply(text: &str, s: &IniSection, d: Dialect) -> Result<(String, IniUndo), EditError> {
    let base = match wipe(text, s.header, &IniUndo::default(), d)? {
        Wiped::Text(t) => t,
        Wiped::RemoveFile => String::new(),
    };
    let eq = if d == Dialect::Aws { " = " } else { "=" };
    let mut out = base.clone();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!(
        "[{}]\n# zt: grant {}, expires {}; written by zt, removed when the grant ends\n",
        s.header, s.grant_id, s.expires_at
    ));
    for (k, v) in s.entries {
        out.push_str(&format!("{k}{eq}{v}\n"));
    }
    Ok((
        out,
        IniUndo {
            created: text.is_empty(),
        },
    ))
}
pub fn wipe(text: &str, header: &str, undo: &IniUndo, _d: Dialect) -> Result<Wiped, EditError> {
    let Some(i) = text.find(&marker(header)) else {
        return Ok(Wiped::Text(text.to_string()));
    };
    let rest = &text[i + 1..];
    let end = rest
        .find("\n[")
        .map(|j| i + 1 + j + 1)
        .unwrap_or(text.len());
    let out = format!("{}{}", &text[..i], &text[end..]);
    if undo.created && out.trim().is_empty() {
        return Ok(Wiped::RemoveFile);
    }
    Ok(Wiped::Text(out))
}
pub fn validate(_t: &str, _d: Dialect) -> Result<(), EditError> {
    Ok(())
}
