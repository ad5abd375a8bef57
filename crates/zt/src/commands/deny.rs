//! `zt deny [ID]`: deny someone else's pending request (no id: pick from the inbox; on a
//! terminal without --comment, zt asks for one).

use crate::cli::DecideArgs;
use crate::commands::Ctx;
use crate::error::Result;

pub(super) async fn run(args: DecideArgs, ctx: &Ctx) -> Result<()> {
    super::approve::decide("deny", args, ctx).await
}
