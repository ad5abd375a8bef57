//! The audit log: append-only rows (who, action, request, decision, policy ids, detail, when),
//! each carrying the SHA-256 of the previous row so that editing or deleting one breaks every
//! hash after it. Rows are appended inside the write transaction of the change they record.
//!
//! The chain alone cannot show that its newest rows were deleted: what is left still links.
//! So every append also moves the chain's head in `audit_head`, signed with the store's key
//! (outside the database, see [`super::keys`]). A writer that finds the head it chains onto
//! unsigned, signed by another key, or not the log's last row writes an `audit.gap` row
//! saying so before its own (the broker keeps working; `zt-broker audit verify` fails on it).
//!
//! The rows' types are in [`super::rows`]; appending is [`chain`], the signed head [`head`]
//! (shared SQL, below the backends); this file is the store's calls on the log.

pub(super) mod chain;
pub(super) mod head;

use super::error::Result;
use super::facade::Store;
use super::rows::{AuditEntry, AuditRow, ChainHead, GENESIS};
use chain::{GAP, append_in, from_row, row_hash};
use zt_api::Timestamp;

impl Store {
    /// Append a row that records no state change (an issuer failure, a credential handed out).
    pub async fn append_audit(&self, e: AuditEntry) -> Result<AuditRow> {
        let mut tx = self.write().await?;
        let row = append_in(&mut tx, &e, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Rows after `after_seq`, oldest first, at most `limit`.
    pub async fn audit_rows(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, request_id, decision, policy_ids, detail, prev_sha256, sha256 \
             FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Recompute the whole chain and check its end against the signed head. `Ok(n)`: all `n`
    /// rows link up and the last is the head signed with this store's key; `Err`: the first
    /// row that does not (edited, deleted or reordered), newest rows deleted, or a gap a
    /// writer recorded.
    pub async fn verify_audit_chain(&self) -> Result<usize, String> {
        // The head first: rows appended while the walk runs only extend the chain past it.
        let signed = head::read_signed(&mut *self.read().await.map_err(|e| e.to_string())?)
            .await
            .map_err(|e| e.to_string())?;
        let mut at_head: Option<ChainHead> = None;
        let mut gap: Option<String> = None;
        let mut prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        let mut count = 0;
        loop {
            let rows = self
                .audit_rows(expected_seq - 1, 1000)
                .await
                .map_err(|e| e.to_string())?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                if r.seq != expected_seq || r.prev_sha256 != prev {
                    return Err(format!(
                        "audit row {} does not follow row {}",
                        r.seq,
                        expected_seq - 1
                    ));
                }
                if row_hash(r.seq, r.at, &r.entry, &r.prev_sha256) != r.sha256 {
                    return Err(format!("audit row {} was altered", r.seq));
                }
                if r.entry.action == GAP && gap.is_none() {
                    gap = Some(format!(
                        "audit row {} records that the log was cut or rewound before it: {}",
                        r.seq, r.entry.detail
                    ));
                }
                if signed.as_ref().is_some_and(|(h, _)| h.seq == r.seq) {
                    at_head = Some(ChainHead {
                        seq: r.seq,
                        sha256: r.sha256.clone(),
                    });
                }
                prev = r.sha256;
                expected_seq += 1;
                count += 1;
            }
        }
        // Compared with the head: the row at the head's seq (rows past it came later), or
        // the last row when the log ends before it.
        let last = (expected_seq > 1).then(|| ChainHead {
            seq: expected_seq - 1,
            sha256: prev,
        });
        if let Some(problem) =
            head::head_problem(&self.key, signed.as_ref(), at_head.or(last).as_ref())
        {
            return Err(problem);
        }
        match gap {
            Some(g) => Err(g),
            None => Ok(count),
        }
    }
}
