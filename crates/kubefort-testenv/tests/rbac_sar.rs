//! RBAC ground truth: a generated RBAC setup is created in a real API server,
//! and for thousands of generated (subject, verb, resource, namespace)
//! requests the API server's own SubjectAccessReview answer must be
//! kubefort's (`kubefort_rbac::Model::authorize` over the same manifests).
//!
//! The requests avoid what the API server's bootstrap bindings grant to
//! every authenticated user (discovery URLs, self-reviews), which manifests
//! do not declare; objects the API server refuses to store are left out of
//! kubefort's inventory too.

use k8s_openapi::api::authorization::v1::SubjectAccessReview;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kubefort_rbac::load::inventory_from_str;
use kubefort_rbac::model::{Model, Options};
use kubefort_rbac::request::{Request, UserInfo};
use kubefort_testenv::{Options as EnvOptions, TestEnv};

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn some(&mut self, v: &[&str], max: usize) -> Vec<String> {
        let n = 1 + (self.next() as usize % max);
        (0..n).map(|_| self.pick(v).to_string()).collect()
    }
}

const NAMESPACES: &[&str] = &["team-a", "team-b", "ops"];
const USERS: &[&str] = &["alice", "bob", "carol", "dave"];
const GROUPS: &[&str] = &["dev", "sre", "auditors"];
const VERBS: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete", "*",
];
const API_GROUPS: &[&str] = &["", "apps", "batch", "*"];
const RESOURCES: &[&str] = &[
    "pods",
    "pods/exec",
    "pods/log",
    "secrets",
    "configmaps",
    "deployments",
    "deployments/scale",
    "*/scale",
    "jobs",
    "*",
];
const NAMES: &[&str] = &["one", "two"];
const URLS: &[&str] = &["/metrics", "/logs/*", "/debug/pprof/*", "*"];

fn quote_list(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn rule(rng: &mut Rng, cluster: bool) -> String {
    if cluster && rng.chance(15) {
        let verbs = rng.some(&["get", "post", "*"], 2);
        let urls = rng.some(URLS, 2);
        return format!(
            "- verbs: {}\n  nonResourceURLs: {}\n",
            quote_list(&verbs),
            quote_list(&urls)
        );
    }
    let verbs = rng.some(VERBS, 3);
    let groups = rng.some(API_GROUPS, 2);
    let resources = rng.some(RESOURCES, 3);
    let mut r = format!(
        "- verbs: {}\n  apiGroups: {}\n  resources: {}\n",
        quote_list(&verbs),
        quote_list(&groups),
        quote_list(&resources)
    );
    if rng.chance(20) {
        r.push_str(&format!(
            "  resourceNames: {}\n",
            quote_list(&rng.some(NAMES, 2))
        ));
    }
    r
}

fn subject(rng: &mut Rng, binding_ns: Option<&str>) -> String {
    match rng.next() % 10 {
        0..=3 => format!(
            "- kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: {}\n",
            rng.pick(USERS)
        ),
        4..=6 => format!(
            "- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: {}\n",
            rng.pick(GROUPS)
        ),
        7 => "- kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: system:serviceaccounts:team-a\n".to_string(),
        _ => {
            let ns = match binding_ns {
                Some(ns) if rng.chance(30) => format!("# namespace defaults to {ns}\n"),
                _ => format!("  namespace: {}\n", rng.pick(NAMESPACES)),
            };
            if ns.starts_with('#') {
                "- kind: ServiceAccount\n  name: builder\n".to_string()
            } else {
                format!("- kind: ServiceAccount\n  name: builder\n{ns}")
            }
        }
    }
}

/// The generated objects, one YAML document each.
fn setup(rng: &mut Rng) -> Vec<String> {
    let mut docs = Vec::new();
    for ns in NAMESPACES {
        docs.push(format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
        ));
    }
    for i in 0..6 {
        let rules: String = (0..1 + rng.next() % 3).map(|_| rule(rng, true)).collect();
        docs.push(format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: gen-cr-{i}\nrules:\n{rules}"));
    }
    for ns in NAMESPACES {
        for i in 0..3 {
            let rules: String = (0..1 + rng.next() % 3).map(|_| rule(rng, false)).collect();
            docs.push(format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: gen-role-{i}\n  namespace: {ns}\nrules:\n{rules}"));
        }
    }
    for i in 0..10 {
        let ns = rng.pick::<&str>(NAMESPACES);
        let (kind, name) = if rng.chance(50) {
            ("Role", format!("gen-role-{}", rng.next() % 4)) // gen-role-3 does not exist
        } else {
            ("ClusterRole", format!("gen-cr-{}", rng.next() % 6))
        };
        let subjects: String = (0..1 + rng.next() % 3)
            .map(|_| subject(rng, Some(ns)))
            .collect();
        docs.push(format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: gen-rb-{i}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: {kind}\n  name: {name}\nsubjects:\n{subjects}"));
    }
    for i in 0..4 {
        let subjects: String = (0..1 + rng.next() % 2)
            .map(|_| subject(rng, None))
            .collect();
        docs.push(format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: gen-crb-{i}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: gen-cr-{}\nsubjects:\n{subjects}", rng.next() % 6));
    }
    docs
}

fn api_resource(kind: &str) -> ApiResource {
    let (group, plural) = match kind {
        "Namespace" => ("", "namespaces"),
        "ClusterRole" => ("rbac.authorization.k8s.io", "clusterroles"),
        "Role" => ("rbac.authorization.k8s.io", "roles"),
        "RoleBinding" => ("rbac.authorization.k8s.io", "rolebindings"),
        _ => ("rbac.authorization.k8s.io", "clusterrolebindings"),
    };
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural)
}

fn request(rng: &mut Rng) -> (UserInfo, Request) {
    let user = match rng.next() % 6 {
        0 => {
            let ns = rng.pick::<&str>(NAMESPACES);
            UserInfo::service_account(ns, "builder")
        }
        1 => UserInfo::impersonated(rng.pick::<&str>(USERS), &[rng.pick(GROUPS).to_string()]),
        _ => UserInfo::impersonated(rng.pick::<&str>(USERS), &[]),
    };
    if rng.chance(10) {
        let path = *rng.pick(&["/metrics", "/logs/kube.log", "/debug/pprof/heap", "/custom"]);
        let verb = *rng.pick(&["get", "post"]);
        return (user, Request::non_resource(verb, path));
    }
    let (group, resource) = *rng.pick(&[
        ("", "pods"),
        ("", "secrets"),
        ("", "configmaps"),
        ("apps", "deployments"),
        ("batch", "jobs"),
        ("extensions", "deployments"),
    ]);
    let verb = *rng.pick(&[
        "get", "list", "create", "delete", "patch", "watch", "escalate",
    ]);
    let mut req = Request::resource(verb, group, resource);
    if rng.chance(80) {
        req = req.in_namespace(rng.pick::<&str>(NAMESPACES));
    }
    if rng.chance(30) {
        req = req.with_subresource(rng.pick::<&str>(&["exec", "log", "scale", "status"]));
    }
    if rng.chance(30) {
        req = req.named(rng.pick::<&str>(&["one", "two", "three"]));
    }
    (user, req)
}

#[tokio::test(flavor = "multi_thread")]
async fn subject_access_reviews_agree_with_kubefort() {
    let env = TestEnv::start(EnvOptions::default())
        .await
        .expect("test environment");
    let client = env.client().await.unwrap();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);

    // Create the setup; keep what the API server stored.
    let mut stored = Vec::new();
    let mut refused = 0;
    for doc in setup(&mut rng) {
        let kind = doc
            .lines()
            .find_map(|l| l.strip_prefix("kind: "))
            .unwrap()
            .to_string();
        let value: serde_json::Value = {
            let root = kubefort_core::yaml::load_str(&doc, &kubefort_core::yaml::Limits::default())
                .remove(0)
                .unwrap()
                .root;
            root.to_json()
        };
        let obj: DynamicObject = serde_json::from_value(value).unwrap();
        let ar = api_resource(&kind);
        let api: Api<DynamicObject> = match obj.metadata.namespace.as_deref() {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        };
        match api.create(&PostParams::default(), &obj).await {
            Ok(_) => stored.push(doc),
            Err(kube::Error::Api(s)) if s.code == 422 => refused += 1,
            Err(e) => panic!("creating {kind}: {e}\n{doc}"),
        }
    }
    let text = stored.join("---\n");
    let model = Model::build(
        inventory_from_str("generated.yaml", &text).unwrap(),
        &Options::default(),
    );

    // The same setup read from the cluster, as `kubefort rbac --cluster`
    // reads it: the API server's bootstrap roles and bindings included, so
    // requests that only those allow (discovery, self reviews) agree too.
    let live = live_model(&env).await;

    let reviews: Api<SubjectAccessReview> = Api::all(client.clone());
    let (mut allowed, mut compared, mut wrong) = (0, 0, Vec::new());
    let mut live_wrong = Vec::new();
    for i in 0..2200 {
        let (user, req) = if i < 2000 {
            request(&mut rng)
        } else {
            bootstrap_request(&mut rng)
        };
        let sar: SubjectAccessReview =
            serde_json::from_value(req.subject_access_review(&user)).unwrap();
        let answer = reviews
            .create(&PostParams::default(), &sar)
            .await
            .unwrap_or_else(|e| panic!("SubjectAccessReview: {e}"));
        let server = answer.status.map(|s| s.allowed).unwrap_or(false);
        let from_live = live.authorize(&user, &req).allowed;
        if server != from_live {
            live_wrong.push(format!(
                "{} {:?} {req:?}: API server {server}, kubefort (live) {from_live}",
                user.name, user.groups
            ));
        }
        if i >= 2000 {
            continue;
        }
        let ours = model.authorize(&user, &req).allowed;
        compared += 1;
        allowed += usize::from(server);
        if server != ours {
            wrong.push(format!(
                "{} {:?} {req:?}: API server {server}, kubefort {ours}",
                user.name, user.groups
            ));
        }
    }
    eprintln!(
        "{compared} SubjectAccessReviews ({allowed} allowed); {} objects stored, {refused} refused",
        stored.len()
    );
    assert!(
        allowed > 100,
        "the setup allows too little to test: {allowed}"
    );
    assert!(
        wrong.is_empty(),
        "{} of {compared} disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        live_wrong.is_empty(),
        "{} of 2200 disagree with the live inventory:\n{}",
        live_wrong.len(),
        live_wrong.join("\n")
    );
}

/// The RBAC model of everything the API server stores, read through
/// kubefort-cluster; no built-in role copies.
async fn live_model(env: &TestEnv) -> Model {
    let conn = kubefort_cluster::connect(&kubefort_cluster::ConnectOptions {
        kubeconfig: Some(env.kubeconfig.clone()),
        context: None,
    })
    .await
    .expect("connects");
    let engine = kubefort_core::Engine::new(Vec::new(), Default::default());
    let opts = kubefort_cluster::CollectOptions {
        kinds: ["ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    let convert =
        |path: std::sync::Arc<str>, v: serde_json::Value| engine.object_from_json(path, v);
    let collection = kubefort_cluster::collect(&conn, &opts, &convert, &|_, _| {}).await;
    assert!(
        collection.unreadable.is_empty(),
        "{:?}",
        collection.unreadable
    );
    let mut inv = kubefort_rbac::RbacInventory::default();
    for o in &collection.objects {
        kubefort_rbac::load::add_object(&mut inv, o, 0);
    }
    Model::build(
        inv,
        &Options {
            builtin_roles: false,
        },
    )
}

/// Requests that only the API server's bootstrap bindings allow or deny.
fn bootstrap_request(rng: &mut Rng) -> (UserInfo, Request) {
    let user = UserInfo::impersonated(rng.pick::<&str>(USERS), &[]);
    let req = match rng.next() % 6 {
        0 => Request::non_resource(
            "get",
            rng.pick::<&str>(&[
                "/api",
                "/apis",
                "/version",
                "/healthz",
                "/livez",
                "/readyz",
                "/openapi/v2",
            ]),
        ),
        1 => Request::non_resource(
            "get",
            rng.pick::<&str>(&["/metrics", "/logs", "/debug/pprof/"]),
        ),
        2 => Request::resource("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
        3 => Request::resource("create", "authorization.k8s.io", "selfsubjectrulesreviews"),
        4 => Request::resource("create", "authentication.k8s.io", "selfsubjectreviews"),
        _ => Request::resource("get", "", "namespaces").named("kube-system"),
    };
    (user, req)
}
