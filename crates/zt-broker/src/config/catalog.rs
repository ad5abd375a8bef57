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
        (None, Some(resources)) => Ok((checked_catalog(src, resources, span)?, None)),
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
            let catalog = checked_catalog(&csrc, parsed.resources, TOP)?;
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
                    "catalog: {}: needs settings.issuer (kubernetes, postgres or aws-sts; \
                     \"dev\" for the development issuers, whose credentials open nothing)",
                    res.name
                ),
            ));
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
