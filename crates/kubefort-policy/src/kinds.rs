//! What the API server knows from discovery and a file does not say: the
//! resource name of a kind and whether it is cluster-scoped, for the
//! built-in API groups. Custom resources follow the API's naming rule
//! (lower-case plural) and are taken as namespaced unless configured.

/// Cluster-scoped kinds of the built-in API groups.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "PriorityClass",
    "RuntimeClass",
    "CustomResourceDefinition",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "CertificateSigningRequest",
    "IngressClass",
    "PodSecurityPolicy",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "ComponentStatus",
    "TokenReview",
    "SelfSubjectReview",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "SubjectAccessReview",
    "ClusterTrustBundle",
    "DeviceClass",
    "IPAddress",
    "ServiceCIDR",
    "VolumeAttributesClass",
    "StorageVersion",
    "StorageVersionMigration",
    "ConstraintTemplate",
];

/// Whether objects of `kind` in API group `group` are cluster-scoped.
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    // Gatekeeper constraints are cluster-scoped custom resources.
    if group == "constraints.gatekeeper.sh" {
        return true;
    }
    CLUSTER_SCOPED.contains(&kind)
}

/// The resource name of `kind` (`Pod` → `pods`, `NetworkPolicy` →
/// `networkpolicies`, `Ingress` → `ingresses`), as the API's REST mapper
/// guesses it and as every built-in kind is named.
pub fn resource_of(kind: &str) -> String {
    match kind {
        "Endpoints" => return "endpoints".into(),
        "PodSecurityPolicy" => return "podsecuritypolicies".into(),
        _ => {}
    }
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s')
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
        || lower.ends_with('z')
    {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        if stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            format!("{lower}s")
        } else {
            format!("{stem}ies")
        }
    } else {
        format!("{lower}s")
    }
}

/// `(group, version)` of an `apiVersion`.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_named_like_the_api() {
        for (k, r) in [
            ("Pod", "pods"),
            ("Deployment", "deployments"),
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Endpoints", "endpoints"),
            ("StorageClass", "storageclasses"),
            ("Gateway", "gateways"),
            ("ConfigMap", "configmaps"),
            ("PodDisruptionBudget", "poddisruptionbudgets"),
        ] {
            assert_eq!(resource_of(k), r, "{k}");
        }
        assert!(is_cluster_scoped("", "Namespace"));
        assert!(!is_cluster_scoped("apps", "Deployment"));
        assert_eq!(split_api_version("apps/v1"), ("apps", "v1"));
        assert_eq!(split_api_version("v1"), ("", "v1"));
    }
}
