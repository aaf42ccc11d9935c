//! Who made a request: the control plane, a node, a controller, a workload's
//! service account, a person, or nobody. Rules stay quiet for the identities
//! that do a cluster's routine work, so what remains is worth reading.

use crate::event::UserInfo;

/// What kind of identity a user is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy
    /// and the controllers' service accounts in kube-system.
    ControlPlane,
    /// A kubelet (`system:node:NAME` in `system:nodes`).
    Node,
    /// Another service account in kube-system (add-ons: DNS, CNI, CSI).
    KubeSystemServiceAccount,
    /// A service account outside kube-system: a workload.
    ServiceAccount,
    /// `system:anonymous`, or a member of `system:unauthenticated`.
    Anonymous,
    /// Anything else: people, CI systems, external tools.
    User,
}

/// Control-plane users by name.
const CONTROL_PLANE_USERS: &[&str] = &[
    "system:apiserver",
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:kube-proxy",
    "system:volume-scheduler",
    "system:kube-aggregator",
    "system:cloud-controller-manager",
];

/// The service accounts kube-controller-manager's controllers run as
/// (`--use-service-account-credentials`), in kube-system.
const CONTROLLER_SERVICE_ACCOUNTS: &[&str] = &[
    "attachdetach-controller",
    "bootstrap-signer",
    "certificate-controller",
    "clusterrole-aggregation-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "deployment-controller",
    "disruption-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "endpointslicemirroring-controller",
    "ephemeral-volume-controller",
    "expand-controller",
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "job-controller",
    "legacy-service-account-token-cleaner",
    "namespace-controller",
    "node-controller",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "pv-protection-controller",
    "pvc-protection-controller",
    "replicaset-controller",
    "replication-controller",
    "resourcequota-controller",
    "root-ca-cert-publisher",
    "route-controller",
    "service-account-controller",
    "service-controller",
    "statefulset-controller",
    "token-cleaner",
    "ttl-after-finished-controller",
    "ttl-controller",
    "validatingadmissionpolicy-status-controller",
    "resource-claim-controller",
    "selinux-warning-controller",
    "service-cidrs-controller",
    "volumeattributesclass-protection-controller",
    "device-taint-eviction-controller",
];

/// The namespace and name of a service-account user.
pub fn service_account(username: &str) -> Option<(&str, &str)> {
    username
        .strip_prefix("system:serviceaccount:")?
        .split_once(':')
}

/// Classify a user.
pub fn classify(user: &UserInfo<'_>) -> Kind {
    let name: &str = &user.username;
    if name == "system:anonymous" || user.groups.iter().any(|g| g == "system:unauthenticated") {
        return Kind::Anonymous;
    }
    if CONTROL_PLANE_USERS.contains(&name) {
        return Kind::ControlPlane;
    }
    if name.starts_with("system:node:") && user.groups.iter().any(|g| g == "system:nodes") {
        return Kind::Node;
    }
    if let Some((ns, sa)) = service_account(name) {
        if ns == "kube-system" {
            return if CONTROLLER_SERVICE_ACCOUNTS.contains(&sa) {
                Kind::ControlPlane
            } else {
                Kind::KubeSystemServiceAccount
            };
        }
        return Kind::ServiceAccount;
    }
    Kind::User
}

/// A user or group pattern from the configuration: an exact name, or a
/// prefix ending in `*` (`system:serviceaccount:argocd:*`).
pub fn matches_pattern(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn user(name: &str, groups: &[&str]) -> UserInfo<'static> {
        UserInfo {
            username: Cow::Owned(name.to_string()),
            groups: groups.iter().map(|g| Cow::Owned(g.to_string())).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(
            classify(&user("system:apiserver", &["system:masters"])),
            Kind::ControlPlane
        );
        assert_eq!(
            classify(&user(
                "system:serviceaccount:kube-system:replicaset-controller",
                &[]
            )),
            Kind::ControlPlane
        );
        assert_eq!(
            classify(&user("system:serviceaccount:kube-system:coredns", &[])),
            Kind::KubeSystemServiceAccount
        );
        assert_eq!(
            classify(&user("system:serviceaccount:shop:cart", &[])),
            Kind::ServiceAccount
        );
        assert_eq!(
            classify(&user("system:node:n1", &["system:nodes"])),
            Kind::Node
        );
        // A certificate naming itself a node without the group is no kubelet.
        assert_eq!(classify(&user("system:node:n1", &[])), Kind::User);
        assert_eq!(
            classify(&user("system:anonymous", &["system:unauthenticated"])),
            Kind::Anonymous
        );
        assert_eq!(classify(&user("alice", &["dev"])), Kind::User);
        assert_eq!(
            service_account("system:serviceaccount:a:b"),
            Some(("a", "b"))
        );
        assert!(matches_pattern(
            "system:serviceaccount:argocd:*",
            "system:serviceaccount:argocd:x"
        ));
        assert!(!matches_pattern("alice", "alice2"));
    }
}
