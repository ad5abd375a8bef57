//! The audit chain's signed head (`audit_head`): read it, tell what is wrong with it against
//! the log's last row, and move it with each append — what lets `audit verify` see that the
//! newest rows were deleted, which the chain alone cannot; and sign the head a migration
//! recorded, as either backend opens its database.

use sqlx::{AnyConnection, AnyPool};

use crate::store::conn::WriteConn;
use crate::store::error::Result;
use crate::store::keys::StoreKey;
use crate::store::rows::{AuditRow, ChainHead, GENESIS, col};

/// The signed head: `(head, mac)`.
pub(in crate::store) async fn read_signed(
    conn: &mut AnyConnection,
) -> Result<Option<(ChainHead, String)>> {
    let row = sqlx::query("SELECT seq, sha256, mac FROM audit_head WHERE id = 1")
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok((
            ChainHead {
                seq: col(&r, "seq")?,
                sha256: col(&r, "sha256")?,
            },
            col(&r, "mac")?,
        ))
    })
    .transpose()
}

/// What is wrong with the signed head `signed` of a log whose last row is `last`, if anything.
pub(in crate::store) fn head_problem(
    key: &StoreKey,
    signed: Option<&(ChainHead, String)>,
    last: Option<&ChainHead>,
) -> Option<String> {
    let Some((head, mac)) = signed else {
        return Some("the signed head of the audit log is missing".into());
    };
    if !key.head_signed(head.seq, &head.sha256, mac) {
        return Some(format!(
            "the audit log's head (row {}) is not signed with this broker's key (key {}): \
             the key changed, or the head was edited",
            head.seq,
            key.id()
        ));
    }
    let (last_seq, last_sha) = last.map_or((0, GENESIS), |l| (l.seq, l.sha256.as_str()));
    if last_seq < head.seq {
        return Some(format!(
            "audit rows {}..={} were deleted: the signed head is row {}, the log ends at row \
             {last_seq}",
            last_seq + 1,
            head.seq,
            head.seq
        ));
    }
    if last_seq > head.seq {
        return Some(format!(
            "audit rows {}..={last_seq} were added without the broker's key: the signed head \
             is row {}",
            head.seq + 1,
            head.seq
        ));
    }
    (last_sha != head.sha256)
        .then(|| format!("audit row {last_seq} is not the row the head signed (it was replaced)",))
}

/// Move the signed head from `from` (`None`: there is none) to `to`. `false` when the head
/// was not at `from`.
pub(super) async fn move_head(
    tx: &mut impl WriteConn,
    from: Option<&ChainHead>,
    to: Option<&AuditRow>,
) -> Result<bool> {
    let Some(to) = to else { return Ok(true) };
    let mac = tx.key().sign_head(to.seq, &to.sha256);
    let done = match from {
        Some(from) => {
            sqlx::query(
                "UPDATE audit_head SET seq = $1, sha256 = $2, mac = $3 \
                 WHERE id = 1 AND seq = $4 AND sha256 = $5",
            )
            .bind(to.seq)
            .bind(&to.sha256)
            .bind(mac)
            .bind(from.seq)
            .bind(&from.sha256)
            .execute(&mut **tx)
            .await?
        }
        None => {
            sqlx::query("INSERT INTO audit_head (id, seq, sha256, mac) VALUES (1, $1, $2, $3)")
                .bind(to.seq)
                .bind(&to.sha256)
                .bind(mac)
                .execute(&mut **tx)
                .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Sign the head a migration recorded (unsigned) in the pool's database: only right after
/// the migration that made it, so that an unsigned head found later is a forgery.
pub(in crate::store) async fn sign_new_head(pool: &AnyPool, key: &StoreKey) -> Result<()> {
    let mut conn = pool.acquire().await?;
    if let Some((head, mac)) = read_signed(&mut conn).await?
        && mac.is_empty()
    {
        sqlx::query("UPDATE audit_head SET mac = $1 WHERE id = 1 AND seq = $2 AND mac = ''")
            .bind(key.sign_head(head.seq, &head.sha256))
            .bind(head.seq)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
