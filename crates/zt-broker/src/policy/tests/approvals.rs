//! Decisions that need approvals: whose, and how many.

use super::*;

#[test]
fn two_approval_policies_offer_either_group() {
    let src = r#"
        @id("a") @outcome("approval") @approvers("sre-leads")
        permit (principal, action, resource is Resource);
        @id("b") @outcome("approval") @approvers("db-owners, sre-leads")
        permit (principal, action, resource is Resource);
    "#;
    let p = CedarPolicy::from_sources(&[("x.cedar", src)]).unwrap();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let v = run(&p, &catalog, ASK, None);
    assert_eq!(v.decision.outcome, Outcome::RequireApproval);
    assert_eq!(v.decision.policy_ids, ["a", "b"]);
    assert_eq!(v.decision.approver_groups, ["sre-leads", "db-owners"]);
    assert_eq!(v.decision.approvals_required, 1);
    assert_eq!(
        v.decision.reason,
        "prod-k8s/view needs one approval from sre-leads or db-owners (never the requester)"
    );
}

#[test]
fn the_largest_approval_count_among_the_matched_permits_stands() {
    let src = r#"
        @id("one") @outcome("approval") @approvers("sre-leads")
        permit (principal, action, resource is Resource);
        @id("three") @outcome("approval") @approvers("sre-leads") @approvals("3")
        permit (principal, action, resource is Resource) when { context.role == "admin" };
    "#;
    let p = CedarPolicy::from_sources(&[("x.cedar", src)]).unwrap();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let v = run(&p, &catalog, ASK, None);
    assert_eq!(v.decision.approvals_required, 1);
    let v = run(
        &p,
        &catalog,
        Ask {
            role: "admin",
            ..ASK
        },
        None,
    );
    assert_eq!(v.decision.policy_ids, ["one", "three"]);
    assert_eq!(v.decision.approvals_required, 3);
    assert_eq!(
        v.decision.reason,
        "prod-k8s/admin needs 3 approvals from sre-leads (never the requester)"
    );
}
