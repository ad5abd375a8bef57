//! `zt whoami`: the broker's view of the caller (`GET /v1/me`).

use crate::client::BrokerClient;
use crate::commands::Ctx;
use crate::error::Result;
use crate::output::field;

pub(super) async fn run(ctx: &Ctx) -> Result<()> {
    let (client, _) = BrokerClient::for_profile(&ctx.profile).await?;
    let me = client.me().await?;
    let p = &ctx.printer;
    if p.json {
        p.json(&me);
        return Ok(());
    }
    p.out(format!(
        "{}{}",
        field(&me.sub),
        me.email
            .as_ref()
            .map(|e| format!(" <{}>", field(e)))
            .unwrap_or_default()
    ));
    p.out(format!(
        "groups: {}",
        if me.groups.is_empty() {
            "-".into()
        } else {
            field(&me.groups.join(", "))
        }
    ));
    p.out(format!("issuer: {}", field(&me.issuer)));
    p.out(format!("broker: {}", client.base));
    Ok(())
}
