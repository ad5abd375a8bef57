//! What a grant makes at the cluster — names, labels, annotations and the objects' bodies —
//! worked out before any call, so minting and revoking build the same objects.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::naming::short_id;
use super::settings::{Scope, Settings};
use super::{GRANT_LABEL, Grant, MANAGED_BY, RBAC_GROUP, object_name};

/// What a grant makes at the cluster.
pub(super) struct Plan {
    pub(super) name: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) annotations: BTreeMap<String, String>,
    pub(super) settings: Settings,
}

impl Plan {
    pub(super) fn new(g: &Grant, settings: Settings) -> Self {
        let labels = BTreeMap::from([
            (MANAGED_BY.0.to_owned(), MANAGED_BY.1.to_owned()),
            (GRANT_LABEL.to_owned(), short_id(&g.id)),
        ]);
        // For whoever looks at the cluster: who, what and until when. Annotation values may be
        // any text; the requester's is kept short all the same.
        let annotations = BTreeMap::from([
            (
                "zt.dev/requester".to_owned(),
                g.requester.chars().take(253).collect(),
            ),
            ("zt.dev/resource".to_owned(), g.resource.clone()),
            ("zt.dev/role".to_owned(), g.role.clone()),
            ("zt.dev/expires-at".to_owned(), g.expires_at.to_rfc3339()),
        ]);
        Self {
            name: object_name(&g.requester, &g.id),
            labels,
            annotations,
            settings,
        }
    }

    pub(super) fn meta(&self, namespace: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: namespace.map(str::to_owned),
            labels: Some(self.labels.clone()),
            annotations: Some(self.annotations.clone()),
            ..ObjectMeta::default()
        }
    }

    pub(super) fn service_account(&self) -> ServiceAccount {
        ServiceAccount {
            metadata: self.meta(Some(&self.settings.service_account_namespace)),
            // It runs no pods: no token is ever mounted into one.
            automount_service_account_token: Some(false),
            ..ServiceAccount::default()
        }
    }

    pub(super) fn role_ref(&self) -> RoleRef {
        RoleRef {
            api_group: RBAC_GROUP.into(),
            kind: "ClusterRole".into(),
            name: self.settings.cluster_role.clone(),
        }
    }

    pub(super) fn subjects(&self) -> Vec<Subject> {
        vec![Subject {
            kind: "ServiceAccount".into(),
            name: self.name.clone(),
            namespace: Some(self.settings.service_account_namespace.clone()),
            api_group: None,
        }]
    }

    /// Whether an existing binding of this name binds what this grant would (it is this
    /// grant's, made by an earlier mint): same role, same single subject. The API defaults a
    /// ServiceAccount subject's `apiGroup` to "", so that field is not compared.
    pub(super) fn binds_the_same(
        &self,
        role_ref: &RoleRef,
        subjects: Option<&Vec<Subject>>,
    ) -> bool {
        let same_subjects = subjects.is_some_and(|have| {
            let want = self.subjects();
            have.len() == want.len()
                && have.iter().zip(&want).all(|(h, w)| {
                    (&h.kind, &h.name, &h.namespace) == (&w.kind, &w.name, &w.namespace)
                })
        });
        *role_ref == self.role_ref() && same_subjects
    }

    pub(super) fn is_ours(&self, meta: &ObjectMeta) -> bool {
        meta.labels.as_ref().is_some_and(|l| {
            self.labels
                .iter()
                .all(|(k, v)| l.get(k).is_some_and(|have| have == v))
        })
    }

    /// Where the binding is, for messages.
    pub(super) fn binding_what(&self) -> String {
        match self.settings.scope {
            Scope::Namespace => format!("RoleBinding {}/{}", self.settings.namespace, self.name),
            Scope::Cluster => format!("ClusterRoleBinding {}", self.name),
        }
    }

    pub(super) fn service_account_what(&self) -> String {
        format!(
            "ServiceAccount {}/{}",
            self.settings.service_account_namespace, self.name
        )
    }
}
