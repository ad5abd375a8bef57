//! Reading the audit log: for principals allowed `read_audit` ([`acts::read_audit`]: a
//! policy's word, else the admin groups), a page of rows as the filter picks them, oldest
//! first, and the `seq` to continue after when there are more.

use super::DomainError;
use crate::auth::Principal;
use crate::policy::acts;
use crate::state::Broker;
use crate::store::{AuditFilter, AuditRow};

/// Up to `limit` rows matching `filter` if `p` may read the audit log, and the `seq` of the
/// last one when more follow.
pub async fn page(
    b: &Broker,
    p: &Principal,
    filter: &AuditFilter,
    limit: i64,
) -> Result<(Vec<AuditRow>, Option<i64>), DomainError> {
    acts::read_audit(&*b.policy, p, &b.admin_groups).map_err(DomainError::Forbidden)?;
    // One row more than asked says whether there is a next page.
    let mut rows = b.store.audit_query(filter, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok((rows, next))
}
