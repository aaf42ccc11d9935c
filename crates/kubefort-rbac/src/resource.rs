//! Resource arguments as kubectl takes them: `pods`, `pods/exec`,
//! `deployments.apps`, `deployments.apps/scale`, short names (`po`,
//! `deploy`), and non-resource URLs (`/healthz`).
//!
//! kubectl resolves a resource through the API server's discovery; without
//! a server, the built-in resources of Kubernetes are known here (plural,
//! short names, group, and whether they are namespaced). Anything else is
//! taken as written, in the core group unless a group is given.

/// A built-in resource: plural, short names, API group, namespaced.
struct Known {
    plural: &'static str,
    short: &'static [&'static str],
    group: &'static str,
    namespaced: bool,
}

const fn k(
    plural: &'static str,
    short: &'static [&'static str],
    group: &'static str,
    namespaced: bool,
) -> Known {
    Known {
        plural,
        short,
        group,
        namespaced,
    }
}

static KNOWN: &[Known] = &[
    k("bindings", &[], "", true),
    k("componentstatuses", &["cs"], "", false),
    k("configmaps", &["cm"], "", true),
    k("endpoints", &["ep"], "", true),
    k("events", &["ev"], "", true),
    k("limitranges", &["limits"], "", true),
    k("namespaces", &["ns"], "", false),
    k("nodes", &["no"], "", false),
    k("persistentvolumeclaims", &["pvc"], "", true),
    k("persistentvolumes", &["pv"], "", false),
    k("pods", &["po"], "", true),
    k("podtemplates", &[], "", true),
    k("replicationcontrollers", &["rc"], "", true),
    k("resourcequotas", &["quota"], "", true),
    k("secrets", &[], "", true),
    k("serviceaccounts", &["sa"], "", true),
    k("services", &["svc"], "", true),
    k("users", &[], "", false),
    k("groups", &[], "", false),
    k(
        "mutatingwebhookconfigurations",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    k(
        "validatingwebhookconfigurations",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    k(
        "validatingadmissionpolicies",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    k(
        "validatingadmissionpolicybindings",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    k(
        "mutatingadmissionpolicies",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    k(
        "mutatingadmissionpolicybindings",
        &[],
        "admissionregistration.k8s.io",
        false,
    ),
    k(
        "customresourcedefinitions",
        &["crd", "crds"],
        "apiextensions.k8s.io",
        false,
    ),
    k("apiservices", &[], "apiregistration.k8s.io", false),
    k("controllerrevisions", &[], "apps", true),
    k("daemonsets", &["ds"], "apps", true),
    k("deployments", &["deploy"], "apps", true),
    k("replicasets", &["rs"], "apps", true),
    k("statefulsets", &["sts"], "apps", true),
    k("tokenreviews", &[], "authentication.k8s.io", false),
    k("selfsubjectreviews", &[], "authentication.k8s.io", false),
    k(
        "localsubjectaccessreviews",
        &[],
        "authorization.k8s.io",
        true,
    ),
    k(
        "selfsubjectaccessreviews",
        &[],
        "authorization.k8s.io",
        false,
    ),
    k(
        "selfsubjectrulesreviews",
        &[],
        "authorization.k8s.io",
        false,
    ),
    k("subjectaccessreviews", &[], "authorization.k8s.io", false),
    k("horizontalpodautoscalers", &["hpa"], "autoscaling", true),
    k("cronjobs", &["cj"], "batch", true),
    k("jobs", &[], "batch", true),
    k(
        "certificatesigningrequests",
        &["csr"],
        "certificates.k8s.io",
        false,
    ),
    k("signers", &[], "certificates.k8s.io", false),
    k("clustertrustbundles", &[], "certificates.k8s.io", false),
    k("leases", &[], "coordination.k8s.io", true),
    k("endpointslices", &[], "discovery.k8s.io", true),
    k("flowschemas", &[], "flowcontrol.apiserver.k8s.io", false),
    k(
        "prioritylevelconfigurations",
        &[],
        "flowcontrol.apiserver.k8s.io",
        false,
    ),
    k("ingressclasses", &[], "networking.k8s.io", false),
    k("ingresses", &["ing"], "networking.k8s.io", true),
    k("networkpolicies", &["netpol"], "networking.k8s.io", true),
    k("runtimeclasses", &[], "node.k8s.io", false),
    k("poddisruptionbudgets", &["pdb"], "policy", true),
    k(
        "clusterrolebindings",
        &[],
        "rbac.authorization.k8s.io",
        false,
    ),
    k("clusterroles", &[], "rbac.authorization.k8s.io", false),
    k("rolebindings", &[], "rbac.authorization.k8s.io", true),
    k("roles", &[], "rbac.authorization.k8s.io", true),
    k("resourceclaims", &[], "resource.k8s.io", true),
    k("resourceclaimtemplates", &[], "resource.k8s.io", true),
    k("deviceclasses", &[], "resource.k8s.io", false),
    k("resourceslices", &[], "resource.k8s.io", false),
    k("priorityclasses", &["pc"], "scheduling.k8s.io", false),
    k("csidrivers", &[], "storage.k8s.io", false),
    k("csinodes", &[], "storage.k8s.io", false),
    k("csistoragecapacities", &[], "storage.k8s.io", true),
    k("storageclasses", &["sc"], "storage.k8s.io", false),
    k("volumeattachments", &[], "storage.k8s.io", false),
    k("volumeattributesclasses", &["vac"], "storage.k8s.io", false),
];

/// A parsed resource argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Resource {
        group: String,
        resource: String,
        subresource: String,
        /// Whether the resource is known to be namespaced (`None`: not a
        /// built-in resource).
        namespaced: Option<bool>,
        /// How a short name or a missing group was filled in, to tell the user.
        note: Option<String>,
    },
    NonResource {
        path: String,
    },
}

/// Parse `RESOURCE[.GROUP][/SUBRESOURCE]` or a `/url`; `subresource` is
/// the `--subresource` option, which must not contradict the argument.
pub fn parse(arg: &str, subresource: Option<&str>) -> Result<Target, String> {
    if arg.starts_with('/') {
        if subresource.is_some() {
            return Err("--subresource does not apply to a non-resource URL".into());
        }
        return Ok(Target::NonResource { path: arg.into() });
    }
    if arg.is_empty() {
        return Err("empty resource".into());
    }
    let (main, sub) = match arg.split_once('/') {
        Some((m, s)) if !s.is_empty() && !s.contains('/') => (m, s.to_string()),
        Some(_) => {
            return Err(format!(
                "cannot read resource {arg:?}: use RESOURCE[.GROUP][/SUBRESOURCE]"
            ))
        }
        None => (arg, String::new()),
    };
    let sub = match (sub.is_empty(), subresource) {
        (_, None) => sub,
        (true, Some(s)) => s.to_string(),
        (false, Some(s)) if s == sub => sub,
        (false, Some(s)) => {
            return Err(format!(
                "resource {arg:?} names subresource {sub:?} but --subresource is {s:?}"
            ))
        }
    };
    let (name, group) = match main.split_once('.') {
        Some((n, g)) => (n.to_ascii_lowercase(), Some(g.to_string())),
        None => (main.to_ascii_lowercase(), None),
    };
    let known = KNOWN.iter().find(|k| {
        (k.plural == name || k.short.contains(&name.as_str()))
            && group.as_deref().is_none_or(|g| g == k.group)
    });
    let (resource, group, namespaced, note) = match (known, group) {
        (Some(k), g) => {
            let mut notes = Vec::new();
            if k.plural != name {
                notes.push(format!("{name:?} is short for {:?}", k.plural));
            }
            if g.is_none() && !k.group.is_empty() {
                notes.push(format!("{:?} is in API group {:?}", k.plural, k.group));
            }
            (
                k.plural.to_string(),
                k.group.to_string(),
                Some(k.namespaced),
                (!notes.is_empty()).then(|| notes.join("; ")),
            )
        }
        (None, Some(g)) => (name, g, None, None),
        (None, None) => (
            name.clone(),
            String::new(),
            None,
            (name != "*").then(|| {
                format!("{name:?} is not a built-in resource; taken as written in the core API group (give RESOURCE.GROUP for another group)")
            }),
        ),
    };
    Ok(Target::Resource {
        group,
        resource,
        subresource: sub,
        namespaced,
        note,
    })
}

/// Whether a built-in resource is namespaced (`None` when unknown).
pub fn is_namespaced(group: &str, resource: &str) -> Option<bool> {
    KNOWN
        .iter()
        .find(|k| k.plural == resource && k.group == group)
        .map(|k| k.namespaced)
}
