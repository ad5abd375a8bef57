//! PLACEHOLDER until the pgpass editor lands (same API). Not for release.
use super::kubeyaml::{EditError, Wiped};
use serde::{Deserialize, Serialize};

pub struct PgpassEntry<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    pub grant_id: &'a str,
    pub expires_at: &'a str,
}
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PgpassUndo {
    pub created: bool,
}
pub fn escape(f: &str) -> String {
    f.replace('\\', "\\\\").replace(':', "\\:")
}
pub fn apply(text: &str, e: &PgpassEntry) -> Result<(String, PgpassUndo), EditError> {
    let line = format!(
        "# zt: grant {}, expires {}\n{}:{}:{}:{}:{}\n",
        e.grant_id,
        e.expires_at,
        escape(e.host),
        e.port,
        escape(e.database),
        escape(e.user),
        escape(e.password)
    );
    Ok((
        format!("{line}{text}"),
        PgpassUndo {
            created: text.is_empty(),
        },
    ))
}
pub fn wipe(text: &str, grant: &str, undo: &PgpassUndo) -> Result<Wiped, EditError> {
    let m = format!("# zt: grant {grant},");
    let mut out = String::new();
    let mut skip = false;
    for l in text.split_inclusive('\n') {
        if skip {
            skip = false;
            continue;
        }
        if l.starts_with(&m) {
            skip = true;
            continue;
        }
        out.push_str(l);
    }
    if undo.created && out.is_empty() {
        return Ok(Wiped::RemoveFile);
    }
    Ok(Wiped::Text(out))
}
