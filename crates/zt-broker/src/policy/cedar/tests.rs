//! Cedar's decisions beyond the examples: a forbid that fails to evaluate, the set sliced by
//! resource, and decisions that need approvals (whose, how many). The fixtures are the policy
//! module's (`policy/tests.rs`).

use crate::policy::tests::{
    ASK, Ask, MON_07, MON_10, SAT_10, catalog, examples_dir, input, principal, run,
};
use crate::policy::{Action, CedarPolicy, Verdict, load};
use zt_api::{ClientContext, Outcome};

/// `a` decided by a set of the one file `src`, in the examples' catalog.
fn decide(src: &str, a: Ask<'_>) -> Verdict {
    let p = CedarPolicy::from_sources(&[("x.cedar", src)]).unwrap();
    run(&p, &catalog(), a, None)
}

#[test]
fn a_forbid_that_fails_to_evaluate_denies() {
    // Overflow is a run-time error the validator cannot rule out; Cedar skips the policy,
    // which for a forbid would mean letting the request through.
    let src = r#"
        @id("grant") @outcome("grant") permit (principal, action, resource is Resource);
        @id("overflow") @reason("boom")
        forbid (principal, action == Action::"request", resource)
        when { context.ttl_secs * 9223372036854775807 > 0 };
    "#;
    let v = decide(src, ASK);
    assert_eq!(v.decision.outcome, Outcome::Deny);
    assert_eq!(v.decision.policy_ids, ["overflow"]);
}

#[test]
fn slicing_by_resource_decides_as_the_whole_set_does() {
    // Policies pinned to one resource by `==`, `in` and `is … in`, next to the examples.
    let pinned = r#"
        @id("staging-admin-at-once") @outcome("grant")
        permit (principal in Group::"engineering", action == Action::"request", resource == Resource::"staging-k8s")
        when { context.role == "admin" };
        @id("staging-no-weekends") @reason("not on weekends")
        forbid (principal, action, resource in Resource::"staging-k8s")
        when { context.weekday > 5 };
        @id("prod-view-short") @outcome("cap") @max_ttl("15m")
        permit (principal, action, resource is Resource in Resource::"prod-k8s")
        when { context.role == "view" };
        @id("elsewhere") @outcome("grant")
        permit (principal, action, resource == Resource::"nowhere");
    "#;
    let mut sources = load::read_dir(&examples_dir()).unwrap();
    sources.push(("pinned.cedar".into(), pinned.into()));
    let p = CedarPolicy::from_sources(&sources).unwrap();
    let catalog = catalog();
    let mut seen = std::collections::HashSet::new();
    for resource in ["prod-k8s", "staging-k8s"] {
        for role in ["view", "admin"] {
            for groups in [&["engineering"][..], &["oncall"], &["marketing"]] {
                for action in [Action::Request, Action::BreakGlass] {
                    for at in [MON_10, MON_07, SAT_10] {
                        let a = Ask {
                            groups,
                            action,
                            resource,
                            role,
                            reason: Some("r"),
                            ticket: None,
                            at,
                        };
                        let sliced = run(&p, &catalog, a, None);
                        let res = catalog.resource(resource).unwrap();
                        let who = principal("alice", groups);
                        let ctx = ClientContext::default();
                        let whole = p.decide_unsliced(&input(&who, res, &ctx, a));
                        assert_eq!(
                            sliced, whole,
                            "{resource}/{role} {groups:?} {action:?} {at}"
                        );
                        seen.extend(sliced.decision.policy_ids);
                    }
                }
            }
        }
    }
    // The pinned policies did take part.
    for id in [
        "staging-admin-at-once",
        "staging-no-weekends",
        "prod-view-short",
    ] {
        assert!(seen.contains(id), "{id} never matched: {seen:?}");
    }
}

/// Decisions that need approvals: whose, and how many.
mod approvals {
    use super::*;

    #[test]
    fn two_approval_policies_offer_either_group() {
        let src = r#"
        @id("a") @outcome("approval") @approvers("sre-leads")
        permit (principal, action, resource is Resource);
        @id("b") @outcome("approval") @approvers("db-owners, sre-leads")
        permit (principal, action, resource is Resource);
    "#;
        let v = decide(src, ASK);
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
        let v = decide(src, ASK);
        assert_eq!(v.decision.approvals_required, 1);
        let v = decide(
            src,
            Ask {
                role: "admin",
                ..ASK
            },
        );
        assert_eq!(v.decision.policy_ids, ["one", "three"]);
        assert_eq!(v.decision.approvals_required, 3);
        assert_eq!(
            v.decision.reason,
            "prod-k8s/admin needs 3 approvals from sre-leads (never the requester)"
        );
    }
}
