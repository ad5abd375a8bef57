//! `zt catalog`: what the caller may request (`GET /v1/catalog`).

use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::{field, human_secs};

pub(super) async fn run(ctx: &Ctx) -> Result<()> {
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let cat = client.catalog().await?;
    let p = &ctx.printer;
    if p.json {
        p.json(&cat);
        return Ok(());
    }
    p.out(format!(
        "{:<16} {:<11} {:<34} {:>8}  {}",
        "RESOURCE", "KIND", "ROLES (* = granted at once)", "MAX TTL", "DESCRIPTION"
    ));
    for r in &cat.resources {
        let roles: Vec<String> = r
            .roles
            .iter()
            .map(|role| {
                let star = if role.auto_approve { "*" } else { "" };
                format!("{}{star}", field(&role.name))
            })
            .collect();
        p.out(format!(
            "{:<16} {:<11} {:<34} {:>8}  {}",
            field(&r.name),
            r.kind.to_string(),
            roles.join(" "),
            human_secs(r.max_ttl_secs as i64),
            field(&r.description)
        ));
    }
    // Named bundles (`zt request NAME` asks for all their items at once).
    if !cat.bundles.is_empty() {
        p.out("");
        p.out(format!("{:<24} {}", "BUNDLE", "ITEMS"));
        for b in &cat.bundles {
            let items: Vec<String> = b
                .items
                .iter()
                .map(|i| match &i.role {
                    Some(role) => format!("{}:{}", field(&i.resource), field(role)),
                    None => field(&i.resource),
                })
                .collect();
            p.out(format!("{:<24} {}", field(&b.name), items.join(" ")));
        }
    }
    Ok(())
}
