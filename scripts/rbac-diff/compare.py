#!/usr/bin/env python3
"""Differential test: `kubefort rbac can` against the API server's RBAC
authorizer (the rbac-diff Go program) on a random inventory and random
requests. Usage: compare.py KUBEFORT RBAC_DIFF COUNT SEED"""
import concurrent.futures
import json
import os
import random
import subprocess
import sys
import tempfile

GROUP = "rbac.authorization.k8s.io"
NAMESPACES = ["a", "b", "c"]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "escalate", "bind", "impersonate", "*"]
API_GROUPS = ["", "apps", "rbac.authorization.k8s.io", "*"]
RESOURCES = ["pods", "pods/exec", "pods/log", "pods/*", "*/status", "*/exec", "*", "secrets", "deployments",
             "deployments/scale", "nodes", "nodes/proxy", "serviceaccounts/token", "roles"]
URLS = ["/healthz", "/api/*", "*", "/metrics", "/api", "/apis/*"]
USERS = ["alice", "bob", "carol", "system:serviceaccount:a:sa1", "system:serviceaccount:b:sa2",
         "system:serviceaccount:a:default", "system:anonymous"]
GROUPS = ["devs", "ops", "system:authenticated", "system:serviceaccounts", "system:serviceaccounts:a"]


def pick(r, xs, lo=1, hi=3):
    return sorted(set(r.choice(xs) for _ in range(r.randint(lo, hi))))


def rule(r, cluster):
    if cluster and r.random() < 0.2:
        return {"verbs": pick(r, ["get", "post", "*"]), "nonResourceURLs": pick(r, URLS)}
    out = {"verbs": pick(r, VERBS), "apiGroups": pick(r, API_GROUPS), "resources": pick(r, RESOURCES)}
    if r.random() < 0.25:
        out["resourceNames"] = pick(r, ["x", "y", "sa1"])
    return out


def labels(r):
    out = {}
    if r.random() < 0.5:
        out["team"] = r.choice(["x", "y"])
    if r.random() < 0.5:
        out["tier"] = r.choice(["a", "b", "c"])
    return out


def selector(r):
    if r.random() < 0.4:
        return {"matchLabels": {"team": r.choice(["x", "y"])}}
    op = r.choice(["In", "NotIn", "Exists", "DoesNotExist"])
    expr = {"key": r.choice(["team", "tier"]), "operator": op}
    if op in ("In", "NotIn"):
        expr["values"] = pick(r, ["x", "y", "a", "b"], 1, 2)
    sel = {"matchExpressions": [expr]}
    if r.random() < 0.3:
        sel["matchLabels"] = {"tier": r.choice(["a", "b"])}
    return sel


def subject(r, in_ns):
    k = r.random()
    if k < 0.35:
        return {"kind": "User", "apiGroup": GROUP, "name": r.choice(USERS)}
    if k < 0.65:
        return {"kind": "Group", "apiGroup": GROUP, "name": r.choice(GROUPS)}
    s = {"kind": "ServiceAccount", "name": r.choice(["sa1", "sa2", "default"])}
    if not in_ns or r.random() < 0.6:
        s["namespace"] = r.choice(NAMESPACES)
    return s


def inventory(r):
    roles, croles, rbs, crbs = [], [], [], []
    for i in range(8):
        croles.append({"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole",
                       "metadata": {"name": f"cr{i}", "labels": labels(r)},
                       "rules": [rule(r, True) for _ in range(r.randint(1, 3))]})
    # Aggregating ClusterRoles (which may aggregate each other), declared
    # without rules: the controller gives them theirs.
    for i in range(3):
        croles.append({"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole",
                       "metadata": {"name": f"agg{i}", "labels": labels(r)},
                       "aggregationRule": {"clusterRoleSelectors": [selector(r) for _ in range(r.randint(1, 2))]}})
    for ns in NAMESPACES:
        for i in range(4):
            roles.append({"apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": {"name": f"r{i}", "namespace": ns},
                          "rules": [rule(r, False) for _ in range(r.randint(1, 3))]})
        for i in range(6):
            kind = r.choice(["Role", "ClusterRole"])
            name = f"r{r.randint(0, 4)}" if kind == "Role" else r.choice([f"cr{r.randint(0, 9)}", f"agg{r.randint(0, 2)}"])
            rbs.append({"apiVersion": f"{GROUP}/v1", "kind": "RoleBinding",
                        "metadata": {"name": f"rb{i}", "namespace": ns},
                        "roleRef": {"apiGroup": GROUP, "kind": kind, "name": name},
                        "subjects": [subject(r, True) for _ in range(r.randint(1, 3))]})
    for i in range(6):
        crbs.append({"apiVersion": f"{GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": f"crb{i}"},
                     "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole",
                                 "name": r.choice([f"cr{r.randint(0, 9)}", f"agg{r.randint(0, 2)}"])},
                     "subjects": [subject(r, False) for _ in range(r.randint(1, 2))]})
    return roles, croles, rbs, crbs


def query(r):
    user = r.choice(USERS)
    groups = pick(r, ["devs", "ops", "system:serviceaccounts:a"], 0, 2) if r.random() < 0.4 else []
    if r.random() < 0.15:
        return {"user": user, "asGroups": groups, "verb": r.choice(["get", "post", "*"]),
                "path": r.choice(["/healthz", "/api", "/api/v1", "/metrics", "/apis/apps", "/apis/"])}
    res = r.choice([("", "pods"), ("", "secrets"), ("", "nodes"), ("apps", "deployments"),
                    ("", "serviceaccounts"), (GROUP, "roles")])
    return {"user": user, "asGroups": groups, "verb": r.choice(VERBS[:-1]),
            "namespace": r.choice(["", "a", "b"]), "apiGroup": res[0], "resource": res[1],
            "subresource": r.choice(["", "", "exec", "log", "status", "scale", "token", "proxy"]),
            "name": r.choice(["", "", "x", "sa1"])}


def kubefort_can(kubefort, path, q):
    if "path" in q:
        args = [q["verb"], q["path"]]
    else:
        res = q["resource"] + (f".{q['apiGroup']}" if q["apiGroup"] else "")
        args = [q["verb"], res]
        if q["subresource"]:
            args += ["--subresource", q["subresource"]]
        if q["namespace"]:
            args += ["-n", q["namespace"]]
        if q["name"]:
            args += ["--name", q["name"]]
    for g in q["asGroups"]:
        args += ["--as-group", g]
    cmd = [kubefort, "rbac", "can", q["user"], *args, "--no-builtin-roles", "--no-config", "-f", "json", path]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise SystemExit(f"kubefort failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    j = json.loads(p.stdout)
    return j["allowed"], j["user"]["groups"], j["request"]


def main():
    kubefort, godiff, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    r = random.Random(seed)
    rounds = max(1, count // 250)
    per = count // rounds
    total = mismatches = allowed = 0
    for _ in range(rounds):
        roles, croles, rbs, crbs = inventory(r)
        queries = [query(r) for _ in range(per)]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rbac.json")
            with open(path, "w") as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": roles + croles + rbs + crbs}, f)
            with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
                ours = list(ex.map(lambda q: kubefort_can(kubefort, path, q), queries))
        go_queries = []
        for q, (_, groups, req) in zip(queries, ours):
            go_queries.append({"user": q["user"], "groups": groups, "verb": req["verb"],
                               "namespace": req.get("namespace", ""), "apiGroup": req.get("apiGroup", ""),
                               "resource": req.get("resource", ""), "subresource": req.get("subresource", ""),
                               "name": req.get("name", ""), "path": req.get("path", "")})
        p = subprocess.run([godiff], input=json.dumps({"roles": roles, "clusterRoles": croles, "roleBindings": rbs,
                                                       "clusterRoleBindings": crbs, "queries": go_queries}),
                           capture_output=True, text=True, check=True)
        theirs = [json.loads(line) for line in p.stdout.splitlines()]
        for q, gq, (mine, _, _), other in zip(queries, go_queries, ours, theirs):
            total += 1
            allowed += other
            if mine != other:
                mismatches += 1
                if mismatches <= 10:
                    print(f"MISMATCH kubefort={mine} authorizer={other}: {json.dumps(gq)}")
    print(f"{total} requests ({allowed} allowed by the authorizer), {mismatches} mismatches")
    print(f"{total - mismatches} passed, {mismatches} failed")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
