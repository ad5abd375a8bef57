//! The configuration file as written, for serde: every section and key `zt-broker serve`
//! takes, each value with its span so a check made later can point at it.

use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{FileBundle, FileResource};

// The file as written. Sections are optional here only so that a missing one gets its own
// message ("missing section [server]") instead of serde's "missing field `server`".

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) admin_groups: Option<Vec<Spanned<String>>>,
    pub(super) server: Option<Spanned<RawServer>>,
    pub(super) store: Option<Spanned<RawStore>>,
    pub(super) login: Option<Spanned<RawLogin>>,
    pub(super) trusted_issuer: Option<Vec<Spanned<RawIssuer>>>,
    pub(super) catalog: Option<Spanned<RawCatalog>>,
    pub(super) policy: Option<super::policy::RawPolicy>,
    pub(super) requests: Option<super::requests::RawRequests>,
    pub(super) webhook: Option<Vec<super::webhooks::RawWebhook>>,
    pub(super) review: Option<Spanned<super::review::RawReview>>,
    pub(super) ssh: Option<Spanned<super::ssh::RawSsh>>,
    pub(super) oncall: Option<super::oncall::RawSchedules>,
    pub(super) grants: Option<super::grants::RawGrants>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) listen: Spanned<String>,
    pub(super) public_url: Option<Spanned<String>>,
    pub(super) tls_cert: Option<Spanned<String>>,
    pub(super) tls_key: Option<Spanned<String>>,
    pub(super) allow_plain_http: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) url: Spanned<String>,
    pub(super) credential_key_file: Option<Spanned<String>>,
    pub(super) credential_key_env: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLogin {
    pub(super) issuer: Spanned<String>,
    pub(super) client_id: Spanned<String>,
    pub(super) scopes: Option<Vec<Spanned<String>>>,
    pub(super) audience: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIssuer {
    pub(super) issuer: Spanned<String>,
    pub(super) audience: Spanned<String>,
    pub(super) jwks_uri: Option<Spanned<String>>,
    pub(super) claims: Option<RawClaims>,
    pub(super) leeway_secs: Option<Spanned<u64>>,
    /// The ACR values the issuer puts in `acr`, weakest first (step-up authentication).
    pub(super) acr_values: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClaims {
    pub(super) sub: Option<Spanned<String>>,
    pub(super) email: Option<Spanned<String>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) groups: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalog {
    pub(super) file: Option<Spanned<String>>,
    #[serde(rename = "resource")]
    pub(super) resources: Option<Vec<Spanned<FileResource>>>,
    /// Named bundles (`[[catalog.bundle]]`), beside inline resources.
    #[serde(rename = "bundle", default)]
    pub(super) bundles: Vec<FileBundle>,
}

/// A catalog file, with each resource's place in it kept for messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CatalogFile {
    #[serde(rename = "resource", default)]
    pub(super) resources: Vec<Spanned<FileResource>>,
    #[serde(rename = "bundle", default)]
    pub(super) bundles: Vec<FileBundle>,
}

#[cfg(test)]
mod tests {
    //! `broker.example.toml`, the documented example: accepted as written, and documenting every
    //! key the file as written ([`RawConfig`](super::RawConfig) and the sections below it) takes.

    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use crate::auth::JwksSource;
    use crate::config::{Config, StoreUrl};

    #[test]
    fn the_documented_example_is_accepted() {
        let path =
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
        let c = Config::load(&path).unwrap();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(
            c.server.public_url.as_deref(),
            Some("https://zt.example.com")
        );
        assert_eq!(
            c.store,
            StoreUrl::Sqlite(PathBuf::from("/var/lib/zt/broker.db"))
        );
        assert_eq!(
            (c.login.issuer.as_str(), c.login.client_id.as_str()),
            ("https://id.example.com/realms/zt", "zt-cli")
        );
        assert_eq!(c.trusted_issuers.len(), 2);
        let people = &c.trusted_issuers[0];
        assert!(matches!(&people.jwks, JwksSource::Url(u) if u.ends_with("/certs")));
        assert_eq!(people.claims.groups, "realm_access.roles");
        assert_eq!(people.claims.name, "preferred_username");
        let ci = &c.trusted_issuers[1];
        assert!(matches!(ci.jwks, JwksSource::Discover));
        assert_eq!(ci.claims.groups, "repository");
        let names: Vec<_> = c
            .catalog
            .resources()
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["prod-k8s", "prod-db"]);
        assert_eq!(c.admin_groups, ["zt-admins"]);
    }

    // ---- The example documents every key ---------------------------------------------------
    // `broker.example.toml` documents every key the configuration accepts. The keys are not
    // listed here (a list kept by hand drifts): they come from the parser itself. Every section
    // is read with `deny_unknown_fields`, so a key it does not know is refused with the list of
    // those it does; the walk below plants an unknown key in each section (and, to find nested
    // sections, in each key it learns of) and collects those lists. The issuers' free-form
    // `settings` tables add the keys their parsers take.

    const PROBE: &str = "zz_not_a_key";

    fn example() -> String {
        let path =
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("broker.example.toml");
        std::fs::read_to_string(path).unwrap()
    }

    /// The value at `path` in `doc` (the first table of an array of tables), made an empty table
    /// when missing.
    fn at<'d>(doc: &'d mut toml::Table, path: &[String]) -> &'d mut toml::Table {
        let mut t = doc;
        for key in path {
            let v = t
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            t = match v {
                toml::Value::Array(a) => a
                    .first_mut()
                    .and_then(toml::Value::as_table_mut)
                    .unwrap_or_else(|| panic!("{key}: an array, not of tables")),
                toml::Value::Table(t) => t,
                other => panic!("{key}: {other:?} is not a table"),
            };
        }
        t
    }

    /// The keys the parser takes in the table `key` of the table at `path`, with the probe value
    /// there that shows it is a table (`None`: not a table the parser checks, e.g. a string or a
    /// free-form `settings`).
    fn fields(
        doc: &toml::Table,
        path: &[String],
        key: Option<&str>,
    ) -> Option<(Vec<String>, toml::Value)> {
        let probe = || {
            let mut t = toml::Table::new();
            t.insert(PROBE.into(), toml::Value::Integer(0));
            t
        };
        let variants = match key {
            None => vec![None],
            Some(_) => vec![
                Some(toml::Value::Table(probe())),
                Some(toml::Value::Array(vec![toml::Value::Table(probe())])),
            ],
        };
        for v in variants {
            let mut d = doc.clone();
            let t = at(&mut d, path);
            match (key, &v) {
                (Some(k), Some(v)) => {
                    t.insert(k.into(), v.clone());
                }
                _ => {
                    t.insert(PROBE.into(), toml::Value::Integer(0));
                }
            }
            let text = toml::to_string(&d).unwrap();
            let err = match Config::parse(&text, Path::new("/etc/zt/broker.toml")) {
                Ok(_) => continue,
                Err(e) => e.message,
            };
            let marker = format!("unknown field `{PROBE}`, expected ");
            if let Some(at) = err.find(&marker) {
                let rest = err[at + marker.len()..].lines().next().unwrap_or("");
                let keys = rest
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect();
                return Some((keys, v.unwrap_or(toml::Value::Boolean(false))));
            }
        }
        None
    }

    /// Every key path (`catalog.resource.role.name`) the parser takes below `path`.
    fn walk(doc: &toml::Table, path: Vec<String>, out: &mut BTreeSet<String>) {
        let Some((keys, _)) = fields(doc, &path, None) else {
            panic!("{}: not a checked table", path.join("."))
        };
        for k in keys {
            let mut child = path.clone();
            child.push(k.clone());
            out.insert(child.join("."));
            if let Some((_, probe)) = fields(doc, &path, Some(&k)) {
                // Deeper probes go through the value that showed it is a table.
                let mut d = doc.clone();
                if !at(&mut d, &path).contains_key(&k) {
                    at(&mut d, &path).insert(k.clone(), probe);
                }
                walk(&d, child, out);
            }
        }
    }

    /// Whether `word` appears in `text` as a whole word (in a setting or in a comment).
    fn documented(text: &str, word: &str) -> bool {
        text.match_indices(word).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + word.len()..].chars().next();
            let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !part(before) && !part(after)
        })
    }

    #[test]
    fn the_example_documents_every_key_the_parser_accepts() {
        let text = example();
        let doc: toml::Table = toml::from_str(&text).unwrap();
        let mut paths = BTreeSet::new();
        walk(&doc, Vec::new(), &mut paths);
        // The walk reached the nested sections (else it proves nothing).
        for p in [
            "store.url",
            "trusted_issuer.claims.groups",
            "catalog.resource.environment",
            "catalog.resource.sensitivity",
            "catalog.resource.role.requester_groups",
            "webhook.secret_env",
        ] {
            assert!(paths.contains(p), "{p} not found by the walk: {paths:?}");
        }
        #[cfg_attr(not(all(feature = "aws", feature = "postgres")), allow(unused_mut))]
        let mut missing: Vec<String> = paths
            .iter()
            .filter(|p| !documented(&text, p.rsplit('.').next().unwrap()))
            .cloned()
            .collect();
        // The issuers' settings: what their own parsers read (in a build that has them).
        #[cfg(all(feature = "aws", feature = "postgres"))]
        {
            use crate::issuers::{aws, postgres};
            let settings = aws::settings::SETTINGS
                .iter()
                .chain(&postgres::settings::RESOURCE_KEYS)
                .chain(&postgres::settings::GRANT_KEYS);
            missing.extend(
                settings
                    .filter(|k| !documented(&text, k))
                    .map(|k| format!("catalog.resource.settings.{k}")),
            );
        }
        assert_eq!(
            missing,
            Vec::<String>::new(),
            "accepted by the parser but not in broker.example.toml"
        );
    }

    #[test]
    fn the_walk_finds_a_key_the_example_lacks() {
        // The test above can fail: with a key taken out of the text, it is reported.
        let text = example().replace("leeway_secs", "leeway");
        let doc: toml::Table = toml::from_str(&example()).unwrap();
        let mut paths = BTreeSet::new();
        walk(&doc, Vec::new(), &mut paths);
        assert!(paths.contains("trusted_issuer.leeway_secs"));
        assert!(!documented(&text, "leeway_secs"));
    }
}
