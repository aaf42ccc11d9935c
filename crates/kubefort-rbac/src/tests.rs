//! The authorizer's semantics, one behaviour per test.

use crate::load::inventory_from_str;
use crate::model::{Model, Options, Scope};
use crate::request::{
    non_resource_url_matches, resource_matches, resource_name_matches, rule_allows, Request,
    UserInfo,
};
use crate::PolicyRule;

fn model(yaml: &str) -> Model {
    Model::build(
        inventory_from_str("t.yaml", yaml).unwrap(),
        &Options::default(),
    )
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
    PolicyRule {
        verbs: s(verbs),
        api_groups: s(groups),
        resources: s(resources),
        ..Default::default()
    }
}

fn user(name: &str) -> UserInfo {
    UserInfo::impersonated(name, &[])
}

fn can(m: &Model, who: &UserInfo, req: Request) -> bool {
    m.authorize(who, &req).allowed
}

#[test]
fn wildcards_in_verbs_groups_and_resources() {
    let r = rule(&["*"], &["*"], &["*"]);
    assert!(rule_allows(
        &r,
        &Request::resource("delete", "apps", "deployments")
    ));
    assert!(rule_allows(
        &r,
        &Request::resource("create", "", "pods").with_subresource("exec")
    ));
    let r = rule(&["get"], &[""], &["pods"]);
    assert!(rule_allows(&r, &Request::resource("get", "", "pods")));
    assert!(!rule_allows(&r, &Request::resource("list", "", "pods")));
    assert!(!rule_allows(&r, &Request::resource("get", "apps", "pods")));
    // `*` in a request is not a wildcard: only a `*` rule matches it.
    assert!(!rule_allows(&r, &Request::resource("*", "", "pods")));
    // A rule without apiGroups matches no resource request.
    assert!(!rule_allows(
        &rule(&["get"], &[], &["pods"]),
        &Request::resource("get", "", "pods")
    ));
}

#[test]
fn subresources_need_their_own_grant() {
    let pods = rule(&["*"], &[""], &["pods"]);
    assert!(!resource_matches(&pods, "pods", "exec"));
    assert!(resource_matches(
        &rule(&["*"], &[""], &["pods/exec"]),
        "pods",
        "exec"
    ));
    assert!(!resource_matches(
        &rule(&["*"], &[""], &["pods/exec"]),
        "pods",
        ""
    ));
    assert!(!resource_matches(
        &rule(&["*"], &[""], &["pods/exec"]),
        "pods",
        "log"
    ));
    // `*/sub` matches that subresource of every resource, and nothing else.
    let any_status = rule(&["*"], &["*"], &["*/status"]);
    assert!(resource_matches(&any_status, "nodes", "status"));
    assert!(resource_matches(&any_status, "pods", "status"));
    assert!(!resource_matches(&any_status, "pods", ""));
    assert!(!resource_matches(&any_status, "pods", "statusx"));
    // `*` alone covers subresources too.
    assert!(resource_matches(
        &rule(&["*"], &["*"], &["*"]),
        "pods",
        "exec"
    ));
    // `pods/*` is not a wildcard.
    assert!(!resource_matches(
        &rule(&["*"], &[""], &["pods/*"]),
        "pods",
        "exec"
    ));
}

#[test]
fn resource_names_restrict_and_need_a_name() {
    let mut r = rule(&["get", "list"], &[""], &["secrets"]);
    r.resource_names = vec!["app-config".into()];
    assert!(resource_name_matches(&r, "app-config"));
    assert!(!resource_name_matches(&r, "other"));
    // A request without a name (list, create) does not match a named rule.
    assert!(!rule_allows(&r, &Request::resource("list", "", "secrets")));
    assert!(rule_allows(
        &r,
        &Request::resource("get", "", "secrets").named("app-config")
    ));
    // An empty list allows any name, and requests without one.
    let any = rule(&["get"], &[""], &["secrets"]);
    assert!(rule_allows(
        &any,
        &Request::resource("get", "", "secrets").named("x")
    ));
    assert!(rule_allows(&any, &Request::resource("get", "", "secrets")));
}

#[test]
fn non_resource_urls_exact_star_and_prefix() {
    let mut r = PolicyRule {
        verbs: vec!["get".into()],
        non_resource_urls: vec!["/healthz".into(), "/api/*".into()],
        ..Default::default()
    };
    assert!(non_resource_url_matches(&r, "/healthz"));
    assert!(!non_resource_url_matches(&r, "/healthz/ready"));
    assert!(non_resource_url_matches(&r, "/api/v1"));
    assert!(non_resource_url_matches(&r, "/api/"));
    assert!(!non_resource_url_matches(&r, "/api"));
    assert!(!non_resource_url_matches(&r, "/apis/apps"));
    r.non_resource_urls = vec!["*".into()];
    assert!(non_resource_url_matches(&r, "/anything"));
    assert!(rule_allows(&r, &Request::non_resource("get", "/metrics")));
    assert!(!rule_allows(&r, &Request::non_resource("post", "/metrics")));
    // A non-resource rule does not match resource requests.
    assert!(!rule_allows(&r, &Request::resource("get", "", "pods")));
}

const ROLEBINDING_TO_CLUSTERROLE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: ci}
"#;

#[test]
fn rolebinding_to_clusterrole_grants_only_in_its_namespace() {
    let m = model(ROLEBINDING_TO_CLUSTERROLE);
    let alice = user("alice");
    assert!(can(
        &m,
        &alice,
        Request::resource("list", "", "pods").in_namespace("shop")
    ));
    assert!(!can(
        &m,
        &alice,
        Request::resource("list", "", "pods").in_namespace("web")
    ));
    assert!(!can(&m, &alice, Request::resource("list", "", "pods")));
    // Non-resource URLs are never granted through a RoleBinding, even
    // when a caller puts a namespace on the request.
    assert!(!can(&m, &alice, Request::non_resource("get", "/metrics")));
    assert!(!can(
        &m,
        &alice,
        Request::non_resource("get", "/metrics").in_namespace("shop")
    ));
}

#[test]
fn service_account_subject_defaults_to_the_binding_namespace() {
    let m = model(ROLEBINDING_TO_CLUSTERROLE);
    let ci = UserInfo::service_account("shop", "ci");
    assert!(can(
        &m,
        &ci,
        Request::resource("get", "", "pods").in_namespace("shop")
    ));
    assert!(!can(
        &m,
        &UserInfo::service_account("web", "ci"),
        Request::resource("get", "", "pods").in_namespace("shop")
    ));
    // The same user name, given as a User, is the same identity.
    let as_user = UserInfo::impersonated("system:serviceaccount:shop:ci", &["x".into()]);
    assert!(can(
        &m,
        &as_user,
        Request::resource("get", "", "pods").in_namespace("shop")
    ));
}

#[test]
fn service_account_implicit_groups() {
    let sa = UserInfo::service_account("shop", "ci");
    assert_eq!(
        sa.groups,
        [
            "system:serviceaccounts",
            "system:serviceaccounts:shop",
            "system:authenticated"
        ]
    );
    // Groups given to impersonation replace a service account's own.
    let g = UserInfo::impersonated("system:serviceaccount:shop:ci", &["devs".into()]);
    assert_eq!(g.groups, ["devs", "system:authenticated"]);
    let g = UserInfo::impersonated("bob", &["system:unauthenticated".into()]);
    assert_eq!(g.groups, ["system:unauthenticated"]);
    assert_eq!(user("system:anonymous").groups, ["system:unauthenticated"]);
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: all-sas, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: Group, name: "system:serviceaccounts:shop", apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ns-lister}
subjects:
- {kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ns-lister}
rules:
- {apiGroups: [""], resources: [namespaces], verbs: [list]}
"#,
    );
    let req = Request::resource("list", "", "configmaps").in_namespace("shop");
    assert!(can(&m, &sa, req.clone()));
    assert!(!can(
        &m,
        &UserInfo::service_account("web", "ci"),
        req.clone()
    ));
    assert!(!can(&m, &user("alice"), req));
    let ns = Request::resource("list", "", "namespaces");
    assert!(can(&m, &user("alice"), ns.clone()));
    assert!(can(&m, &sa, ns.clone()));
    assert!(!can(&m, &user("system:anonymous"), ns));
}

#[test]
fn clusterrolebinding_service_account_without_namespace_matches_no_one() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bad}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: default}
"#,
    );
    assert!(!can(
        &m,
        &UserInfo::service_account("default", "default"),
        Request::resource("get", "", "pods")
    ));
    assert!(m.problems.iter().any(|p| p
        .message
        .contains("without a namespace, which a ClusterRoleBinding must name")));
}

#[test]
fn clusterrolebinding_grants_everywhere() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
- {kind: Group, name: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {nonResourceURLs: ["/metrics"], verbs: [get]}
"#,
    );
    let u = UserInfo::impersonated("carol", &["ops".into()]);
    assert!(can(
        &m,
        &u,
        Request::resource("get", "", "pods").in_namespace("a")
    ));
    assert!(can(&m, &u, Request::resource("get", "", "pods")));
    assert!(can(&m, &u, Request::non_resource("get", "/metrics")));
    assert!(!can(
        &m,
        &user("carol"),
        Request::resource("get", "", "pods")
    ));
}

#[test]
fn role_refs_resolve_in_the_binding_namespace_and_missing_roles_are_reported() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: a}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: r, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: r, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: to-a-role}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: User, name: alice}]
"#,
    );
    let alice = user("alice");
    assert!(can(
        &m,
        &alice,
        Request::resource("get", "", "pods").in_namespace("a")
    ));
    assert!(!can(
        &m,
        &alice,
        Request::resource("get", "", "pods").in_namespace("b")
    ));
    let d = m.authorize(
        &alice,
        &Request::resource("get", "", "pods").in_namespace("b"),
    );
    assert_eq!(
        d.unresolved.len(),
        1,
        "the missing Role; the invalid ClusterRoleBinding is rejected, so it binds no one"
    );
    assert!(m.problems.iter().any(|p| p
        .message
        .contains("RoleBinding b/r refers to Role \"reader\", which does not exist")));
    assert!(m
        .problems
        .iter()
        .any(|p| p.message.contains("can only refer to a ClusterRole")));
}

#[test]
fn superuser_group_bypasses_rbac() {
    let m = model("");
    let u = UserInfo::impersonated("root", &["system:masters".into()]);
    let d = m.authorize(&u, &Request::resource("delete", "", "nodes"));
    assert!(d.allowed && d.superuser && d.evidence.is_empty());
    let who = m.who_can(&Request::resource("delete", "", "nodes"));
    assert_eq!(who.len(), 1);
    assert!(who[0].superuser && who[0].name == "system:masters");
}

#[test]
fn builtin_roles_are_used_and_marked() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: Group, name: devs}]
"#,
    );
    let u = UserInfo::impersonated("dana", &["devs".into()]);
    let d = m.authorize(
        &u,
        &Request::resource("create", "apps", "deployments").in_namespace("shop"),
    );
    assert!(d.allowed);
    let e = d.evidence[0];
    assert!(m.roles[e.role].builtin);
    assert!(m.describe_role(e.role).contains("built-in definition"));
    // edit aggregates system:aggregate-to-edit, which declares the rule.
    assert_eq!(m.roles[e.rule.role].name, "system:aggregate-to-edit");
    // edit does not include RBAC writes or escalate.
    assert!(!can(
        &m,
        &u,
        Request::resource("create", "rbac.authorization.k8s.io", "rolebindings")
            .in_namespace("shop")
    ));
    // view does not read secrets; edit does.
    assert!(can(
        &m,
        &u,
        Request::resource("get", "", "secrets").in_namespace("shop")
    ));
}

#[test]
fn declared_role_replaces_the_builtin_one() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: v}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: eve}]
"#,
    );
    assert!(can(&m, &user("eve"), Request::resource("get", "", "pods")));
    assert!(!can(
        &m,
        &user("eve"),
        Request::resource("list", "", "pods")
    ));
    let no_builtins = Model::build(
        inventory_from_str("t.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: v}\nroleRef: {kind: ClusterRole, name: view}\nsubjects: [{kind: User, name: eve}]\n").unwrap(),
        &Options { builtin_roles: false },
    );
    assert!(!can(
        &no_builtins,
        &user("eve"),
        Request::resource("get", "", "pods")
    ));
}

const AGGREGATION: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {team: mon}
  - matchExpressions:
    - {key: tier, operator: In, values: [metrics, logs]}
    - {key: deprecated, operator: DoesNotExist}
rules:
- {apiGroups: [""], resources: [secrets], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b-metrics, labels: {tier: metrics}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a-mon, labels: {team: mon}}
rules: [{apiGroups: [""], resources: [services], verbs: [get]}, {apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: old-logs, labels: {tier: logs, deprecated: "yes"}}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: nested, labels: {tier: logs}}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {inner: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: inner, labels: {inner: "true"}}
rules: [{apiGroups: [""], resources: [events], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mon}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: User, name: mo}]
"#;

#[test]
fn aggregation_with_match_labels_and_expressions_transitively() {
    let m = model(AGGREGATION);
    let mo = user("mo");
    assert!(can(&m, &mo, Request::resource("get", "", "pods")));
    assert!(can(&m, &mo, Request::resource("get", "", "services")));
    // Nested aggregation converges: monitoring ⊇ nested ⊇ inner.
    assert!(can(&m, &mo, Request::resource("list", "", "events")));
    // DoesNotExist excludes old-logs.
    assert!(!can(&m, &mo, Request::resource("get", "", "nodes")));
    // Declared rules of an aggregating role are replaced.
    assert!(!can(&m, &mo, Request::resource("get", "", "secrets")));
    assert!(m
        .problems
        .iter()
        .any(|p| p.message.contains("replaces the rules")));
    // Duplicates are dropped, in selector order then role name order.
    let role = m.cluster_role("monitoring").unwrap();
    let names: Vec<&str> = m
        .rules_of(role)
        .iter()
        .map(|r| m.roles[r.role].name.as_str())
        .collect();
    assert_eq!(names, ["a-mon", "a-mon", "inner"]);
}

#[test]
fn aggregation_into_builtin_roles() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: admins, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: User, name: ann}]
"#,
    );
    // admin ⊇ edit ⊇ view ⊇ widgets-view.
    assert!(can(
        &m,
        &user("ann"),
        Request::resource("list", "example.com", "widgets").in_namespace("shop")
    ));
}

#[test]
fn roles_the_api_server_rejects_do_not_exist() {
    let bound = |role: &str| {
        format!("{role}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg}}\nsubjects: [{{kind: User, name: u}}]\n")
    };
    for (role, why) in [
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule:\n  clusterRoleSelectors:\n  - matchExpressions: [{key: a, operator: In, values: []}]\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}]",
            "aggregationRule.clusterRoleSelectors[0]",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule: {}",
            "at least one clusterRoleSelector",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [get]}, {resources: [pods], verbs: [list]}]",
            "rules[1]: a resource rule must name at least one API group",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: [get], nonResourceURLs: [/x]}]",
            "both resources and non-resource URLs",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: agg}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: []}]",
            "verbs must contain at least one value",
        ),
    ] {
        let m = model(&bound(role));
        assert!(!can(&m, &user("u"), Request::resource("get", "", "pods")), "{why}");
        assert!(m.problems.iter().any(|p| p.message.contains(why) && p.message.contains("rejects it")), "{why}: {:?}", m.problems);
        assert!(m.problems.iter().any(|p| p.message.contains("which does not exist")), "{why}");
    }
    let m = model("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules: [{nonResourceURLs: [/healthz], verbs: [get]}]\n");
    assert!(m.problems.iter().any(|p| p
        .message
        .contains("a Role's rules cannot apply to non-resource URLs")));
    assert!(m.role("a", "r").is_none());
}

#[test]
fn empty_selector_aggregates_every_clusterrole() {
    let m = model(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
aggregationRule: {clusterRoleSelectors: [{}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: everything}
subjects: [{kind: User, name: u}]
"#,
    );
    // It gathers cluster-admin's rules.
    assert!(can(
        &m,
        &user("u"),
        Request::resource("delete", "", "nodes")
    ));
}

#[test]
fn who_can_lists_subjects_with_bindings() {
    let m = model(ROLEBINDING_TO_CLUSTERROLE);
    let who = m.who_can(&Request::resource("get", "", "pods").in_namespace("shop"));
    let names: Vec<(String, String, Option<String>)> = who
        .iter()
        .map(|s| (s.kind.clone(), s.name.clone(), s.namespace.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("Group".into(), "system:masters".into(), None),
            ("ServiceAccount".into(), "ci".into(), Some("shop".into())),
            ("User".into(), "alice".into(), None),
        ]
    );
    assert_eq!(
        m.who_can(&Request::resource("get", "", "pods").in_namespace("web"))
            .len(),
        1
    );
}

#[test]
fn rules_for_groups_by_scope() {
    let m = model(ROLEBINDING_TO_CLUSTERROLE);
    let rules = m.rules_for(&user("alice"));
    assert_eq!(
        rules.keys().collect::<Vec<_>>(),
        [&Scope::Namespace("shop".into())]
    );
}

#[test]
fn compaction_merges_rules_differing_in_one_list() {
    use crate::compact::compact;
    let mut named = rule(&["get"], &[""], &["secrets"]);
    named.resource_names = vec!["a".into()];
    let rules = vec![
        (rule(&["get"], &[""], &["pods"]), vec![1]),
        (rule(&["list"], &[""], &["pods"]), vec![2]),
        (rule(&["get", "list"], &[""], &["services"]), vec![3]),
        (named.clone(), vec![4]),
        (rule(&["get"], &[""], &["secrets"]), vec![5]),
    ];
    let c = compact(rules);
    assert_eq!(c.len(), 2, "{c:#?}");
    assert_eq!(c[0].rule.resources, ["pods", "services"]);
    assert_eq!(c[0].rule.verbs, ["get", "list"]);
    assert_eq!(c[0].sources, [1, 2, 3]);
    // A named rule merged with an unnamed one allows any name.
    assert_eq!(c[1].rule.resources, ["secrets"]);
    assert!(c[1].rule.resource_names.is_empty());
}

#[test]
fn subject_access_review_shape() {
    let req = Request::resource("create", "", "pods")
        .in_namespace("shop")
        .with_subresource("exec")
        .named("web");
    let sar = req.subject_access_review(&UserInfo::service_account("shop", "ci"));
    assert_eq!(sar["spec"]["resourceAttributes"]["subresource"], "exec");
    assert_eq!(sar["spec"]["user"], "system:serviceaccount:shop:ci");
    let sar = Request::non_resource("get", "/healthz").subject_access_review(&user("a"));
    assert_eq!(sar["spec"]["nonResourceAttributes"]["path"], "/healthz");
}

#[test]
fn resource_arguments_like_kubectl() {
    use crate::resource::{parse, Target};
    let t = parse("deploy", None).unwrap();
    assert!(
        matches!(&t, Target::Resource { group, resource, .. } if group == "apps" && resource == "deployments")
    );
    let t = parse("deployments.apps/scale", None).unwrap();
    assert!(matches!(&t, Target::Resource { subresource, .. } if subresource == "scale"));
    let t = parse("pods", Some("exec")).unwrap();
    assert!(
        matches!(&t, Target::Resource { subresource, group, .. } if subresource == "exec" && group.is_empty())
    );
    assert!(parse("pods/log", Some("exec")).is_err());
    assert_eq!(
        parse("/healthz", None).unwrap(),
        Target::NonResource {
            path: "/healthz".into()
        }
    );
    let t = parse("widgets.example.com", None).unwrap();
    assert!(
        matches!(&t, Target::Resource { group, resource, note: None, .. } if group == "example.com" && resource == "widgets")
    );
}

mod escalation {
    use super::*;
    use crate::graph::{EscalationGraph, Node, Technique};

    const BASE: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: ops-bot, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-bot-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ops-bot, namespace: ops}]
"#;

    fn techniques(yaml: &str, who: &str) -> Option<Vec<Technique>> {
        let m = model(&format!("{BASE}---\n{yaml}"));
        let g = EscalationGraph::build(&m);
        g.path_for_user(&UserInfo::impersonated(who, &[]), &Node::ClusterAdmin)
            .map(|p| p.steps.iter().map(|s| s.2.technique).collect())
    }

    fn binding(role_rules: &str, subject: &str, ns: Option<&str>) -> String {
        let (kind, meta, rkind) = match ns {
            Some(ns) => (
                "RoleBinding",
                format!("{{name: b, namespace: {ns}}}"),
                "ClusterRole",
            ),
            None => ("ClusterRoleBinding", "{name: b}".to_string(), "ClusterRole"),
        };
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\nrules:\n{role_rules}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {meta}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {rkind}, name: r}}\nsubjects: [{subject}]\n"
        )
    }

    #[test]
    fn admin_is_one_step() {
        assert_eq!(
            techniques("", "system:serviceaccount:ops:ops-bot"),
            Some(vec![Technique::ClusterAdminRules])
        );
        assert_eq!(techniques("", "nobody"), None);
    }

    #[test]
    fn create_pods_in_a_namespace_yields_its_service_accounts() {
        let y = binding(
            "- {apiGroups: [\"\"], resources: [pods], verbs: [create]}",
            "{kind: User, name: dev}",
            Some("ops"),
        );
        assert_eq!(
            techniques(&y, "dev"),
            Some(vec![
                Technique::RunPods,
                Technique::Includes,
                Technique::ClusterAdminRules
            ])
        );
        // In another namespace it leads nowhere.
        let y = binding(
            "- {apiGroups: [\"\"], resources: [pods], verbs: [create]}",
            "{kind: User, name: dev}",
            Some("web"),
        );
        assert_eq!(techniques(&y, "dev"), None);
        // Workload controllers count too.
        let y = binding(
            "- {apiGroups: [apps], resources: [deployments], verbs: [create]}",
            "{kind: User, name: dev}",
            Some("ops"),
        );
        assert_eq!(techniques(&y, "dev").unwrap()[0], Technique::RunPods);
    }

    #[test]
    fn reading_a_token_secret() {
        let y = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ops-bot-token\n  namespace: ops\n  annotations: {{kubernetes.io/service-account.name: ops-bot}}\ntype: kubernetes.io/service-account-token\n---\n{}",
            binding("- {apiGroups: [\"\"], resources: [secrets], verbs: [get], resourceNames: [ops-bot-token]}", "{kind: User, name: dev}", Some("ops"))
        );
        assert_eq!(
            techniques(&y, "dev"),
            Some(vec![
                Technique::ReadTokenSecret,
                Technique::ClusterAdminRules
            ])
        );
    }

    #[test]
    fn create_token_and_impersonation() {
        let y = binding("- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create], resourceNames: [ops-bot]}", "{kind: User, name: dev}", Some("ops"));
        assert_eq!(techniques(&y, "dev").unwrap()[0], Technique::CreateToken);
        let y = binding(
            "- {apiGroups: [\"\"], resources: [users, groups], verbs: [impersonate]}",
            "{kind: User, name: dev}",
            None,
        );
        assert_eq!(techniques(&y, "dev"), Some(vec![Technique::Impersonate]));
        // Groups cannot be impersonated without some user.
        let y = binding(
            "- {apiGroups: [\"\"], resources: [groups], verbs: [impersonate]}",
            "{kind: User, name: dev}",
            None,
        );
        assert_eq!(techniques(&y, "dev"), None);
        let y = binding(
            "- {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [impersonate]}",
            "{kind: User, name: dev}",
            None,
        );
        assert_eq!(techniques(&y, "dev").unwrap()[0], Technique::Impersonate);
    }

    #[test]
    fn bind_and_escalate() {
        let y = binding("- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind]}", "{kind: User, name: dev}", None);
        assert_eq!(techniques(&y, "dev"), Some(vec![Technique::Bind]));
        // Writing bindings without `bind` is stopped by the API server's escalation check.
        let y = binding("- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create, update, patch]}", "{kind: User, name: dev}", None);
        assert_eq!(techniques(&y, "dev"), None);
        let y = binding("- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, update]}", "{kind: User, name: dev}", None);
        assert_eq!(techniques(&y, "dev"), Some(vec![Technique::Escalate]));
        // RoleBindings to cluster-admin in ops give ops' service accounts.
        let y = binding("- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}", "{kind: User, name: dev}", Some("ops"));
        assert_eq!(techniques(&y, "dev").unwrap()[0], Technique::Bind);
    }

    #[test]
    fn nodes_proxy_csr_and_webhooks() {
        let y = binding(
            "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}",
            "{kind: User, name: dev}",
            None,
        );
        assert_eq!(
            techniques(&y, "dev").unwrap()[..2],
            [Technique::NodesProxy, Technique::KubeletExec]
        );
        let y = binding("- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create]}\n- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client]}", "{kind: User, name: dev}", None);
        assert_eq!(techniques(&y, "dev"), Some(vec![Technique::ApproveCsr]));
        let y = binding("- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create]}", "{kind: User, name: dev}", None);
        assert_eq!(
            techniques(&y, "dev").unwrap()[0],
            Technique::MutatingWebhook
        );
    }

    #[test]
    fn groups_and_as_group() {
        let y = binding(
            "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}",
            "{kind: Group, name: devs}",
            Some("ops"),
        );
        assert_eq!(techniques(&y, "dev"), None);
        let m = model(&format!("{BASE}---\n{y}"));
        let g = EscalationGraph::build(&m);
        let p = g
            .path_for_user(
                &UserInfo::impersonated("dev", &["devs".into()]),
                &Node::ClusterAdmin,
            )
            .unwrap();
        assert_eq!(p.steps[0].2.technique, Technique::ExecIntoPods);
        let all = g.all_paths(&Node::ClusterAdmin);
        assert!(all
            .iter()
            .any(|p| p.from == Node::Group("devs".into()) && p.first_grant_is_own(&m)));
        assert!(all.iter().any(|p| p.is_direct()));
    }

    #[test]
    fn minting_a_token_secret_and_escalating_a_namespace_role() {
        let y = binding(
            "- {apiGroups: [\"\"], resources: [secrets], verbs: [create, get]}",
            "{kind: User, name: dev}",
            Some("ops"),
        );
        assert_eq!(
            techniques(&y, "dev").unwrap()[0],
            Technique::MintTokenSecret
        );
        // Named get only: the minted Secret cannot be read back.
        let y = binding("- {apiGroups: [\"\"], resources: [secrets], verbs: [create]}\n- {apiGroups: [\"\"], resources: [secrets], verbs: [get], resourceNames: [x]}", "{kind: User, name: dev}", Some("ops"));
        assert_eq!(techniques(&y, "dev"), None);
        // escalate + update on the Role its RoleBinding grants: full control of ops.
        let y = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: self, namespace: ops}\nrules:\n- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [escalate, patch], resourceNames: [self]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: self, namespace: ops}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: self}\nsubjects: [{kind: User, name: dev}]\n";
        assert_eq!(
            techniques(y, "dev"),
            Some(vec![
                Technique::Escalate,
                Technique::Includes,
                Technique::Includes,
                Technique::ClusterAdminRules
            ])
        );
    }

    #[test]
    fn named_bind_and_named_tokens() {
        // bind only on a named ClusterRole that grants pod creation in ops.
        let y = format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: runner}}\nrules: [{{apiGroups: [\"\"], resources: [pods], verbs: [create]}}]\n---\n{}",
            binding("- {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}\n- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [runner]}", "{kind: User, name: dev}", Some("ops"))
        );
        assert_eq!(
            techniques(&y, "dev"),
            Some(vec![
                Technique::Bind,
                Technique::RunPods,
                Technique::Includes,
                Technique::ClusterAdminRules
            ])
        );
        // A token for ops-bot by name, granted cluster-wide.
        let y = binding("- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create], resourceNames: [ops-bot]}", "{kind: User, name: dev}", None);
        assert_eq!(
            techniques(&y, "dev"),
            Some(vec![Technique::CreateToken, Technique::ClusterAdminRules])
        );
    }

    #[test]
    fn who_can_non_resource_urls_uses_cluster_bindings_only() {
        let m = model(ROLEBINDING_TO_CLUSTERROLE);
        let who = m.who_can(&Request::non_resource("get", "/metrics"));
        assert_eq!(
            who.len(),
            1,
            "only system:masters: the ClusterRole is bound by a RoleBinding"
        );
    }
}

#[test]
fn label_selector_operators() {
    use crate::input::{LabelSelector, Operator, Requirement};
    use std::collections::BTreeMap;
    let labels: BTreeMap<String, String> = [("tier".to_string(), "web".to_string())].into();
    let sel = |op, values: &[&str]| LabelSelector {
        match_labels: Vec::new(),
        match_expressions: vec![Requirement {
            key: "tier".into(),
            operator: Some(op),
            values: values.iter().map(|v| v.to_string()).collect(),
        }],
    };
    assert_eq!(sel(Operator::In, &["web", "db"]).matches(&labels), Ok(true));
    assert_eq!(sel(Operator::NotIn, &["web"]).matches(&labels), Ok(false));
    assert_eq!(sel(Operator::NotIn, &["db"]).matches(&labels), Ok(true));
    // NotIn matches roles without the label.
    assert_eq!(
        sel(Operator::NotIn, &["web"]).matches(&BTreeMap::new()),
        Ok(true)
    );
    assert_eq!(sel(Operator::Exists, &[]).matches(&labels), Ok(true));
    assert_eq!(sel(Operator::DoesNotExist, &[]).matches(&labels), Ok(false));
    assert!(sel(Operator::Exists, &["x"]).matches(&labels).is_err());
    assert!(sel(Operator::In, &[]).matches(&labels).is_err());
    assert_eq!(LabelSelector::default().matches(&BTreeMap::new()), Ok(true));
}

#[test]
fn compaction_allows_exactly_what_the_rules_allow() {
    use crate::compact::compact;
    struct Lcg(u64);
    impl Lcg {
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            xs[(self.0 >> 33) as usize % xs.len()]
        }
        fn some(&mut self, xs: &[&str], max: usize) -> Vec<String> {
            let n = 1 + (self.pick(&["0", "1", "2"]).parse::<usize>().unwrap() % max);
            (0..n).map(|_| self.pick(xs).to_string()).collect()
        }
    }
    let verbs = ["get", "list", "create", "*"];
    let groups = ["", "apps", "*"];
    let resources = ["pods", "pods/exec", "*/status", "deployments", "*"];
    let names = ["a", "b"];
    let mut r = Lcg(7);
    for _ in 0..300 {
        let rules: Vec<(PolicyRule, Vec<usize>)> = (0..5)
            .map(|i| {
                let mut p = PolicyRule {
                    verbs: r.some(&verbs, 2),
                    api_groups: r.some(&groups, 2),
                    resources: r.some(&resources, 2),
                    ..Default::default()
                };
                if r.pick(&["n", "y", "y"]) == "n" {
                    p.resource_names = r.some(&names, 2);
                }
                (p, vec![i])
            })
            .collect();
        let compacted = compact(rules.clone());
        for v in ["get", "list", "create", "delete"] {
            for g in ["", "apps", "batch"] {
                for (res, sub) in [
                    ("pods", ""),
                    ("pods", "exec"),
                    ("nodes", "status"),
                    ("deployments", ""),
                ] {
                    for n in ["", "a", "c"] {
                        let req = Request::resource(v, g, res).with_subresource(sub).named(n);
                        let before = rules.iter().any(|(p, _)| rule_allows(p, &req));
                        let after = compacted.iter().any(|c| rule_allows(&c.rule, &req));
                        assert_eq!(before, after, "{req}: {rules:#?} → {compacted:#?}");
                    }
                }
            }
        }
    }
}
