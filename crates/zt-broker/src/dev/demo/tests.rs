//! The demo as `zt-broker dev` shows it: the demo policies load and decide as documented, the
//! demo catalog parses with its policy data, and its group rules (as Cedar, see
//! `policy::catalog`) decide as its groups say, even with hostile group names.

/// [`super::DemoPolicy`]: the embedded demo policies.
mod policies {
    use crate::auth::Principal;
    use crate::policy::{Action, Policy, PolicyInput};
    use zt_api::{ClientContext, Decision, Outcome, Timestamp};

    use super::super::{DemoPolicy, catalog};

    fn principal(groups: &[&str]) -> Principal {
        Principal {
            auth: Default::default(),
            sub: "u1".into(),
            issuer: "http://idp".into(),
            email: Some("u@example.com".into()),
            name: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn decide(groups: &[&str], resource: &str, role: &str) -> Decision {
        let c = catalog().unwrap();
        let res = c.resource(resource).unwrap();
        let p = principal(groups);
        let ctx = ClientContext::default();
        DemoPolicy
            .decide(&PolicyInput {
                principal: &p,
                action: Action::Request,
                resource: res,
                role: res.role(role).unwrap(),
                ttl_secs: 60,
                reason: None,
                ticket: None,
                break_glass: false,
                context: &ctx,
                holds_grant: false,
                now: Timestamp::now(),
                oncall: &[],
                starts_in_secs: 0,
            })
            .decision
    }

    #[test]
    fn the_demo_policies_load() {
        let p = DemoPolicy::get().unwrap();
        assert!(p.len() >= 4);
    }

    #[test]
    fn the_demo_policies_leave_the_audit_log_to_the_admin_groups() {
        // The demo set has no read_audit policy: the admin fallback decides.
        assert_eq!(DemoPolicy.read_audit(&principal(&["engineering"])), None);
    }

    #[test]
    fn engineers_get_view_and_readonly_at_once() {
        for (res, role) in [
            ("prod-k8s", "view"),
            ("prod-aws", "readonly"),
            ("prod-db", "readonly"),
            ("prod-ssh", "login"),
        ] {
            let d = decide(&["engineering"], res, role);
            assert_eq!(d.outcome, Outcome::Grant, "{res}/{role}");
            assert_eq!(d.policy_ids, [format!("demo/auto-{role}")]);
        }
        let d = decide(&["engineering"], "prod-k8s", "view");
        assert_eq!(d.policy_ids, ["demo/auto-view"]);
        assert_eq!(d.reason, "members of engineering get prod-k8s/view at once");
    }

    #[test]
    fn other_roles_need_an_sre_lead() {
        for (res, role) in [
            ("prod-k8s", "edit"),
            ("prod-k8s", "admin"),
            ("prod-aws", "admin"),
            ("prod-db", "readwrite"),
            ("prod-ssh", "admin"),
        ] {
            let d = decide(&["engineering", "sre-leads"], res, role);
            assert_eq!(d.outcome, Outcome::RequireApproval, "{res}/{role}");
            assert_eq!(d.policy_ids, ["demo/approval-required"]);
            assert_eq!(d.approver_groups, ["sre-leads"]);
            assert_eq!(
                d.reason,
                format!("{res}/{role} needs one approval from sre-leads (never the requester)")
            );
        }
    }

    #[test]
    fn outsiders_are_denied() {
        for groups in [&["marketing"][..], &[], &["sre-leads"]] {
            let d = decide(groups, "prod-k8s", "view");
            assert_eq!(d.outcome, Outcome::Deny);
            assert_eq!(d.policy_ids, ["demo/not-eligible"]);
            assert!(d.reason.contains("engineering"), "{}", d.reason);
            assert!(d.reason.starts_with("u@example.com "), "{}", d.reason);
        }
    }

    #[test]
    fn break_glass_grants_nothing_extra_in_the_demo() {
        let c = catalog().unwrap();
        let res = c.resource("prod-k8s").unwrap();
        let ctx = ClientContext::default();
        for (groups, outcome) in [
            (&["engineering"][..], Outcome::RequireApproval),
            (&["oncall"], Outcome::Deny),
        ] {
            let p = principal(groups);
            let v = DemoPolicy.decide(&PolicyInput {
                principal: &p,
                action: Action::BreakGlass,
                resource: res,
                role: res.role("admin").unwrap(),
                ttl_secs: 60,
                reason: Some("INC-1"),
                ticket: None,
                break_glass: true,
                context: &ctx,
                holds_grant: false,
                now: Timestamp::now(),
                oncall: &[],
                starts_in_secs: 0,
            });
            assert_eq!(v.decision.outcome, outcome, "{groups:?}");
            // The demo caps nothing: the catalog's role maximum stands.
            assert_eq!((v.max_ttl.as_secs(), v.max_ttl_by), (3600, None));
        }
    }
}

/// [`super::DEMO_TOML`]: the demo catalog, and its rules as Cedar.
mod catalog {
    use crate::auth::Principal;
    use crate::catalog::{Catalog, human_ttl};
    use crate::policy::catalog::policy;
    use crate::policy::{Policy, PolicyInput};
    use zt_api::{ClientContext, Outcome, ResourceKind, Timestamp};

    use super::super::DEMO_TOML;

    fn who(groups: &[&str]) -> Principal {
        Principal {
            auth: Default::default(),
            sub: "u".into(),
            issuer: "i".into(),
            email: None,
            name: None,
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    #[test]
    fn the_demo_catalog_decides_as_its_groups_say() {
        let cat = super::super::catalog().unwrap();
        let p = policy(&cat).unwrap();
        let res = cat.resource("prod-k8s").unwrap();
        let ctx = ClientContext::default();
        let decide = |who: &Principal, role: &str| {
            let input = PolicyInput {
                principal: who,
                action: crate::policy::Action::Request,
                resource: res,
                role: res.role(role).unwrap(),
                ttl_secs: 600,
                reason: None,
                ticket: None,
                break_glass: false,
                context: &ctx,
                holds_grant: false,
                now: Timestamp::now(),
                oncall: &[],
                starts_in_secs: 0,
            };
            p.decide(&input).decision
        };
        let eng = who(&["engineering"]);
        let d = decide(&eng, "view");
        assert_eq!(
            (d.outcome, d.policy_ids.clone()),
            (
                Outcome::Grant,
                vec!["catalog/prod-k8s/auto-view".to_string()]
            )
        );
        let d = decide(&eng, "admin");
        assert_eq!(d.outcome, Outcome::RequireApproval);
        assert_eq!(d.approver_groups, vec!["sre-leads".to_string()]);
        let d = decide(&who(&["sales"]), "view");
        assert_eq!(
            (d.outcome, d.policy_ids),
            (
                Outcome::Deny,
                vec!["catalog/prod-k8s/not-eligible-view".to_string()]
            )
        );
    }

    #[test]
    fn hostile_group_names_stay_strings() {
        let toml = DEMO_TOML.replace("\"sre-leads\"", "\"a\\\" || true || \\\"b\"");
        let cat = Catalog::parse(&toml).unwrap();
        policy(&cat).unwrap();
    }

    #[test]
    fn dev_flags_set_the_ssh_port_and_user() {
        let c = super::super::catalog_with_ssh(2022, "deploy").unwrap();
        let res = c.resource("prod-ssh").unwrap();
        for role in &res.roles {
            let s = crate::issuers::ssh::settings::SshSettings::from_table(
                &res.settings_for(role),
                "prod-ssh",
            )
            .unwrap();
            assert_eq!((s.port, s.user.as_str()), (2022, "deploy"));
            assert_eq!(s.principals, ["deploy"]);
        }
        assert!(crate::issuers::check_ssh(res).is_ok());
        // A user name that would change the certificate's meaning is refused at wiring.
        let bad = super::super::catalog_with_ssh(22, "root root").unwrap();
        let e = crate::issuers::check_ssh(bad.resource("prod-ssh").unwrap()).unwrap_err();
        assert!(
            e.contains("settings.principals") && e.contains("whitespace"),
            "{e}"
        );
    }

    #[test]
    fn demo_catalog_parses_with_its_policy_data() {
        let c = super::super::catalog().unwrap();
        let names: Vec<_> = c.resources().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["prod-k8s", "prod-aws", "prod-db", "prod-ssh"]);
        let k8s = c.resource("prod-k8s").unwrap();
        assert_eq!(k8s.kind, ResourceKind::Kubernetes);
        assert_eq!(k8s.default_role, "view");
        assert_eq!(k8s.role_names(), ["view", "edit", "admin"]);
        assert_eq!(human_ttl(k8s.role("view").unwrap().max_ttl), "8h");
        assert_eq!(
            k8s.role("view").unwrap().auto_approve_groups,
            ["engineering"]
        );
        assert_eq!(k8s.role("admin").unwrap().approver_groups, ["sre-leads"]);
        let aws = c.resource("prod-aws").unwrap();
        let s = aws.settings_for(aws.role("admin").unwrap());
        assert_eq!(s["region"].as_str(), Some("us-east-1"));
        assert!(s["role_arn"].as_str().unwrap().ends_with("role/zt-admin"));
        let db = c.resource("prod-db").unwrap();
        assert_eq!(db.role_names(), ["readonly", "readwrite"]);
    }
}
