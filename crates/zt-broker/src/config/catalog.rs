//! The `[catalog]` section: a catalog file or inline `[[catalog.resource]]` entries, checked by
//! [`Catalog::from_resources`] with each failure placed at its resource, plus what `serve`
//! needs beyond the catalog's own rules (an explicit issuer, a Kubernetes API server).

use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

use toml::Spanned;

use super::raw::{CatalogFile, RawCatalog};
use super::source::{Dirs, Source, TOP};
use super::values::non_empty;
use crate::catalog::{Catalog, FileResource};
use crate::error::Result;
use zt_api::ResourceKind;

pub(super) fn catalog_section(
    src: &Source<'_>,
    dirs: &Dirs,
    raw: Spanned<RawCatalog>,
) -> Result<(Catalog, Option<PathBuf>)> {
    let span = raw.span();
    let raw = raw.into_inner();
    match (raw.file, raw.resources) {
        (Some(file), Some(_)) => Err(src.at(
            file.span(),
            "[catalog] has both file and [[catalog.resource]]: keep one",
        )),
        (None, None) => Err(src.at(
            span,
            "[catalog] needs file = \"catalog.toml\" or [[catalog.resource]] entries",
        )),
        (None, Some(resources)) => {
            let catalog = checked_catalog(src, resources, span.clone())?
                .with_bundles(raw.bundles)
                .map_err(|m| src.at(span, m))?;
            Ok((catalog, None))
        }
        (Some(file), None) => {
            let name = non_empty(src, &file, "[catalog] file")?;
            let shown = dirs.show(&name);
            let text = std::fs::read_to_string(dirs.resolve(&name)).map_err(|e| {
                src.at(
                    file.span(),
                    format!("cannot read the catalog {}: {e}", shown.display()),
                )
            })?;
            let csrc = Source {
                name: shown.display().to_string(),
                text: &text,
            };
            let parsed: CatalogFile = toml::from_str(&text).map_err(|e| csrc.toml(&e))?;
            let mut bundles = parsed.bundles;
            bundles.extend(raw.bundles);
            let catalog = checked_catalog(&csrc, parsed.resources, TOP)?
                .with_bundles(bundles)
                .map_err(|m| csrc.at(TOP, m))?;
            Ok((catalog, Some(shown)))
        }
    }
}

/// [`Catalog::from_resources`], with a failure placed at the resource it is about, plus what
/// `serve` needs beyond the catalog's own rules.
fn checked_catalog(
    src: &Source<'_>,
    resources: Vec<Spanned<FileResource>>,
    fallback: Range<usize>,
) -> Result<Catalog> {
    let spans: Vec<Range<usize>> = resources.iter().map(Spanned::span).collect();
    let plain: Vec<FileResource> = resources.into_iter().map(Spanned::into_inner).collect();
    let catalog = Catalog::from_resources(plain.clone()).map_err(|msg| {
        let at = locate_failure(&plain, &spans).unwrap_or(fallback.clone());
        src.at(at, msg)
    })?;
    // The catalog keeps the file's order, so spans[i] is resources()[i].
    for (res, span) in catalog.resources().iter().zip(&spans) {
        // No silent fall back to the development issuers: a production broker handing out
        // credentials that open nothing is a mistake the operator must choose, not inherit.
        if !res.settings.contains_key("issuer") {
            return Err(src.at(
                span.clone(),
                format!(
                    "catalog: {}: needs settings.issuer (kubernetes, postgres, aws-sts, ssh-ca \
                     for ssh; \"dev\" for the development issuers, whose credentials open \
                     nothing)",
                    res.name
                ),
            ));
        }
        if res.kind == ResourceKind::Ssh {
            crate::issuers::check_ssh(res)
                .map_err(|e| src.at(span.clone(), format!("catalog: {e}")))?;
            continue;
        }
        if res.kind != ResourceKind::Kubernetes {
            continue;
        }
        for role in &res.roles {
            let settings = res.settings_for(role);
            if settings.get("server").and_then(|v| v.as_str()).is_none() {
                return Err(src.at(
                    span.clone(),
                    format!(
                        "catalog: {}/{}: a kubernetes resource needs settings.server (the API \
                         server kubectl is sent to): `zt-broker serve` has no dev Kubernetes API",
                        res.name, role.name
                    ),
                ));
            }
        }
    }
    Ok(catalog)
}

/// Which resource a catalog error is about: the first that fails on its own, else (the only
/// rule across resources) the second use of a name.
fn locate_failure(plain: &[FileResource], spans: &[Range<usize>]) -> Option<Range<usize>> {
    for (r, span) in plain.iter().zip(spans) {
        if Catalog::from_resources(vec![r.clone()]).is_err() {
            return Some(span.clone());
        }
    }
    let mut seen = HashSet::new();
    plain
        .iter()
        .zip(spans)
        .find(|(r, _)| !seen.insert(r.name()))
        .map(|(_, span)| span.clone())
}

#[cfg(test)]
mod tests {
    //! The catalog, inline or in its own file: errors placed at their resource, the file read
    //! relative to the configuration.

    use crate::config::Config;
    use crate::config::tests::{BASE, PATH, line_of, parse, refused, with};

    #[test]
    fn inline_catalog_errors_point_at_their_resource() {
        let t = with("default_role = \"ro\"", "default_role = \"rw\"");
        refused(
            &t,
            Some("[[catalog.resource]]"),
            "default_role \"rw\" is not one of its roles",
        );
        let dup = format!(
            "{BASE}\n[[catalog.resource]]\nname = \"db\"\nkind = \"aws\"\ndefault_role = \"r\"\n\
             max_ttl = \"1h\"\n[[catalog.resource.role]]\nname = \"r\"\n"
        );
        let second = dup.rfind("[[catalog.resource]]").unwrap();
        let line = dup[..second].matches('\n').count() + 1;
        let msg = parse(&dup).unwrap_err();
        assert!(msg.starts_with(&format!("{PATH}:{line}:")), "{msg}");
        assert!(msg.contains("invalid or repeated"), "{msg}");
        // Kubernetes needs its API server named: there is no dev Kubernetes API behind serve.
        let k8s = with("kind = \"postgres\"", "kind = \"kubernetes\"");
        refused(&k8s, Some("[[catalog.resource]]"), "needs settings.server");
        let k8s = with(
            "settings = { issuer = \"dev\" }",
            "settings = { issuer = \"dev\", server = \"https://k8s.example.com\" }",
        )
        .replace("kind = \"postgres\"", "kind = \"kubernetes\"");
        assert!(parse(&k8s).is_ok());
        let neither = BASE[..BASE.find("[[catalog.resource]]").unwrap()].to_string();
        refused(&neither, Some("[catalog]"), "needs file = ");
    }

    #[test]
    fn a_catalog_file_is_read_relative_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let cfg_path = dir.path().join("broker.toml");
        let inline_start = BASE.find("[[catalog.resource]]").unwrap();
        let text = format!("{}file = \"cat/catalog.toml\"\n", &BASE[..inline_start]);
        std::fs::create_dir(dir.path().join("cat")).unwrap();
        let catalog = &BASE[inline_start..].replace("catalog.resource", "resource");
        std::fs::write(dir.path().join("cat/catalog.toml"), catalog).unwrap();
        std::fs::write(&cfg_path, &text).unwrap();
        let c = Config::load(&cfg_path).unwrap();
        assert_eq!(c.catalog.resources()[0].name, "db");
        assert_eq!(c.catalog_file, Some(dir.path().join("cat/catalog.toml")));
        assert!(
            c.summary().contains("1 resource(s), 1 role(s)"),
            "{}",
            c.summary()
        );

        // Its own mistakes name its own file and line.
        let broken = catalog.replace(
            "auto_approve_groups",
            "auto_approve = []\nauto_approve_groups",
        );
        std::fs::write(dir.path().join("cat/catalog.toml"), &broken).unwrap();
        let e = Config::load(&cfg_path).unwrap_err().message;
        let want = format!(
            "{}:{}:",
            dir.path().join("cat/catalog.toml").display(),
            line_of(&broken, "auto_approve =")
        );
        assert!(e.starts_with(&want) && e.contains("unknown field"), "{e}");

        // A missing file is reported at the `file` line of the config.
        std::fs::remove_file(dir.path().join("cat/catalog.toml")).unwrap();
        let e = Config::load(&cfg_path).unwrap_err().message;
        let want = format!("{}:{}:", cfg_path.display(), line_of(&text, "file = "));
        assert!(
            e.starts_with(&want) && e.contains("cannot read the catalog"),
            "{e}"
        );

        // Both a file and inline resources: which one was meant?
        let both = format!(
            "{}file = \"c.toml\"\n{}",
            &BASE[..inline_start],
            &BASE[inline_start..]
        );
        refused(&both, Some("file = "), "both file and [[catalog.resource]]");
    }

    /// `serve` hands the development issuers to no resource that did not ask for them (issue 12):
    /// the error is placed at the resource and names it; `issuer = "dev"` is asked for.
    #[test]
    fn a_resource_must_name_its_issuer() {
        let none = with("settings = { issuer = \"dev\" }\n", "");
        refused(
            &none,
            Some("[[catalog.resource]]"),
            "catalog: db: needs settings.issuer",
        );
        let dev = parse(BASE).unwrap();
        assert_eq!(crate::serve::dev_issued(&dev), ["db"]);
        let real = with(
            "settings = { issuer = \"dev\" }",
            "settings = { issuer = \"postgres\", admin_url = \"postgres://zt@db.example.com/app\" }",
        );
        assert!(crate::serve::dev_issued(&parse(&real).unwrap()).is_empty());
    }
}
