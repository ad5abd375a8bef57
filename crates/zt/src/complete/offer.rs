//! The names a Tab press is offered, from what this machine knows for a profile: the catalog
//! cache and the ledger's live grants. Only valid names; descriptions made inert.

use std::collections::BTreeMap;

use clap_complete::engine::CompletionCandidate;
use zt_api::Timestamp;

use super::HELP_MAX;
use crate::cache::{self, CachedCatalog};
use crate::output::inert;
use crate::segment::{self, Live};

/// What this machine knows for one profile.
pub(super) struct Known {
    pub(super) catalog: Option<CachedCatalog>,
    pub(super) live: Vec<Live>,
    pub(super) now: Timestamp,
}

impl Known {
    pub(super) fn load(profile: &str) -> Known {
        Known {
            catalog: cache::load(profile),
            live: segment::live(Some(profile)),
            now: Timestamp::now(),
        }
    }

    fn cached_resources(&self) -> impl Iterator<Item = &zt_api::CatalogEntry> {
        self.catalog
            .iter()
            .flat_map(|c| c.catalog.resources.iter())
            .filter(|r| zt_api::valid_name(&r.name))
    }

    /// " (cached 3d ago)" on names from a stale cache.
    fn staleness(&self) -> String {
        match &self.catalog {
            Some(c) if c.is_stale(self.now) => {
                let age = c.age_secs(self.now);
                let age = match age / 86_400 {
                    0 => segment::left(age),
                    days => format!("{days}d"),
                };
                format!(" (cached {age} ago)")
            }
            _ => String::new(),
        }
    }
}

/// `(value, description)` pairs, deduplicated by value (the first description wins).
#[derive(Default)]
pub(super) struct Offer(BTreeMap<String, String>);

impl Offer {
    pub(super) fn add(&mut self, value: &str, help: String) {
        if zt_api::valid_name(value) {
            self.0.entry(value.to_string()).or_insert(help);
        }
    }

    pub(super) fn candidates(self) -> Vec<CompletionCandidate> {
        self.0
            .into_iter()
            .map(|(value, help)| {
                CompletionCandidate::new(value).help(Some(inert(&help, HELP_MAX).into()))
            })
            .collect()
    }
}

pub(super) fn catalog_resources(k: &Known, offer: &mut Offer) {
    let stale = k.staleness();
    for r in k.cached_resources() {
        let roles: Vec<String> = r
            .roles
            .iter()
            .map(|role| format!("{}{}", role.name, if role.auto_approve { "*" } else { "" }))
            .collect();
        offer.add(&r.name, format!("{}: {}{stale}", r.kind, roles.join(" ")));
    }
}

pub(super) fn live_grants(k: &Known, offer: &mut Offer, ids: bool, resources: bool) {
    for l in &k.live {
        let left = segment::left(l.seconds_left);
        if ids {
            offer.add(&l.grant, format!("{}/{} · {left} left", l.resource, l.role));
        }
        if resources {
            offer.add(&l.resource, format!("live grant {} · {left} left", l.grant));
        }
    }
}

pub(super) fn resource_offer(k: &Known) -> Offer {
    let mut offer = Offer::default();
    catalog_resources(k, &mut offer);
    // The catalog's named bundles (`zt request incident-db-access`).
    for b in k.catalog.iter().flat_map(|c| c.catalog.bundles.iter()) {
        let items: Vec<&str> = b.items.iter().map(|i| i.resource.as_str()).collect();
        offer.add(
            &b.name,
            format!("bundle: {}{}", items.join(" "), k.staleness()),
        );
    }
    live_grants(k, &mut offer, false, true);
    offer
}

pub(super) fn target_offer(k: &Known, with_catalog: bool) -> Offer {
    let mut offer = Offer::default();
    live_grants(k, &mut offer, true, true);
    if with_catalog {
        catalog_resources(k, &mut offer);
    }
    offer
}

pub(super) fn grant_offer(k: &Known) -> Offer {
    let mut offer = Offer::default();
    live_grants(k, &mut offer, true, false);
    offer
}

/// The roles of `target` (a resource, or a live grant's id) when the cache knows it, else
/// every role the cache names.
pub(super) fn role_offer(k: &Known, target: Option<&str>) -> Offer {
    let resource = target.map(|t| {
        k.live
            .iter()
            .find(|l| l.grant == t)
            .map_or(t, |l| l.resource.as_str())
    });
    let known = resource.is_some_and(|r| k.cached_resources().any(|c| c.name == r));
    let mut offer = Offer::default();
    for r in k.cached_resources() {
        if known && Some(r.name.as_str()) != resource {
            continue;
        }
        for role in &r.roles {
            let how = match role.auto_approve {
                true => "granted at once",
                false => "needs an approval",
            };
            let default = if role.name == r.default_role {
                ", default"
            } else {
                ""
            };
            let help = match known {
                true => format!("{how}{default}"),
                false => format!("{} ({how})", r.name),
            };
            offer.add(&role.name, help);
        }
    }
    for l in k
        .live
        .iter()
        .filter(|l| resource.is_none_or(|r| r == l.resource))
    {
        offer.add(&l.role, format!("live on {}", l.resource));
    }
    offer
}
