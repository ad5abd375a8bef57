//! The audit chain in the store, on both stores: rows link, an edit or a cut is detected, and
//! nothing is chained onto a cut log.

use zt_api::State;
use zt_broker::store::{Change, GENESIS};

use super::{Db, audit, outside, postgres, record, sqlite, sqlite_url};

on_both_stores!(
    the_audit_chain_links_rows_and_detects_edits,
    deleting_the_newest_audit_rows_is_detected_and_never_chained_onto,
);

async fn the_audit_chain_links_rows_and_detects_edits(s: &Db) {
    s.insert_request(
        &record("a", "k", State::Pending),
        audit("request.create").decision("require_approval", &["p".into()]),
    )
    .await
    .unwrap();
    s.transition(
        "a",
        State::Pending,
        State::Denied,
        Change::default(),
        audit("request.deny"),
    )
    .await
    .unwrap();
    s.append_audit(audit("note").detail("hello")).await.unwrap();
    let rows = s.audit_rows(0, 100).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].prev_sha256, GENESIS);
    for w in rows.windows(2) {
        assert_eq!(w[1].prev_sha256, w[0].sha256);
        assert_eq!(w[1].seq, w[0].seq + 1);
    }
    assert_eq!(rows[0].entry.policy_ids, ["p"]);
    assert_eq!(s.verify_audit_chain().await, Ok(3));

    sqlx::query("UPDATE audit SET detail = 'nothing happened' WHERE seq = 2")
        .execute(&mut outside(&s.url).await)
        .await
        .unwrap();
    assert_eq!(
        s.verify_audit_chain().await,
        Err("audit row 2 was altered".into())
    );
}

/// Run `sql` on the store's database as someone with access to it, outside the broker.
async fn tamper(s: &Db, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut outside(&s.url).await)
        .await
        .unwrap();
}

async fn deleting_the_newest_audit_rows_is_detected_and_never_chained_onto(s: &Db) {
    for i in 1..=4 {
        s.append_audit(audit("note").detail(format!("row {i}")))
            .await
            .unwrap();
    }
    assert_eq!(s.verify_audit_chain().await, Ok(4));
    // The newest rows go: what is left still links, but not up to the signed head.
    tamper(s, "DELETE FROM audit WHERE seq >= 3").await;
    assert_eq!(
        s.verify_audit_chain().await,
        Err(
            "audit rows 3..=4 were deleted: the signed head is row 4, the log ends at row 2".into()
        )
    );
    // Moving the head back needs the key: an edited head does not verify.
    tamper(
        s,
        "UPDATE audit_head SET seq = 2, sha256 = (SELECT sha256 FROM audit WHERE seq = 2)",
    )
    .await;
    let e = s.verify_audit_chain().await.unwrap_err();
    assert!(e.contains("not signed with this broker's key"), "{e}");
    // The next write does not quietly chain onto the cut log: a gap row says what happened,
    // and verify keeps failing on it. (On SQLite the writer remembers the real head, so its
    // row links to the deleted row 4 and shows the cut as well.)
    s.append_audit(audit("note").detail("after")).await.unwrap();
    let e = s.verify_audit_chain().await.unwrap_err();
    assert!(
        e.contains("does not follow row 2") || e.contains("records that the log was cut"),
        "{e}"
    );
    let rows = s.audit_rows(0, 100).await.unwrap();
    assert_eq!(rows.last().unwrap().entry.detail, "after");
}
