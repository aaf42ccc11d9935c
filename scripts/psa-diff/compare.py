#!/usr/bin/env python3
"""Differential test of kubefort's Pod Security evaluation against the upstream
k8s.io/pod-security-admission policy package.

Generates random pods that exercise every control (and the odd values around
them: nulls, empty strings, unknown types, duplicates, Windows and
user-namespace pods), evaluates each at both levels and every policy version
with the upstream package (the Go program beside this file) and with
`kubefort pss`, and compares the failures, message for message.

Usage: compare.py KUBEFORT PSA_DIFF [COUNT] [SEED]
"""

import json
import random
import subprocess
import sys
import tempfile

MAYBE = object()  # marker: leave the field out


def pick(rng, *options):
    return rng.choice(options)


def maybe(rng, value, p=0.5):
    return value if rng.random() < p else MAYBE


def put(d, key, value):
    if value is not MAYBE:
        d[key] = value


SECCOMP_TYPES = ["RuntimeDefault", "Localhost", "Unconfined", "", "runtime/default"]
APPARMOR_TYPES = ["RuntimeDefault", "Localhost", "Unconfined", ""]
SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t",
                 "container_engine_t", "spc_t", "unconfined_t"]
CAPS = ["ALL", "NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN", "NET_RAW", "KILL",
        "AUDIT_WRITE", "SETUID", "all", "CAP_CHOWN", "SYS_CHROOT", "NET_ADMIN"]
SYSCTLS = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
           "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
           "net.ipv4.tcp_rmem", "net.ipv4.tcp_notsent_lowat",
           "net.ipv4.tcp_slow_start_after_idle", "kernel.msgmax", "vm.swappiness",
           "net.ipv4.tcp_syncookies", ""]
PROC_MOUNTS = ["Default", "Unmasked", ""]
NAMES = ["app", "sidecar", "init", "debug", "app", ""]
ANNOTATION_VALUES = ["runtime/default", "docker/default", "localhost/p", "unconfined",
                     "", "Unconfined", "localhost/", "weird\"quote"]
VOLUMES = [
    {"emptyDir": {}}, {"hostPath": {"path": "/"}}, {"nfs": {"server": "s", "path": "/"}},
    {"configMap": {"name": "c"}}, {"secret": {"secretName": "s"}},
    {"persistentVolumeClaim": {"claimName": "c"}}, {"projected": {"sources": []}},
    {"csi": {"driver": "d"}}, {"ephemeral": {}}, {"image": {"reference": "r"}},
    {"gitRepo": {"repository": "r"}}, {"iscsi": {"targetPortal": "t", "iqn": "i", "lun": 0}},
    {"downwardAPI": {}}, {"rbd": {"monitors": ["m"], "image": "i"}},
    {"flexVolume": {"driver": "d"}}, {"azureDisk": {"diskName": "d", "diskURI": "u"}},
    {"emptyDir": {}, "hostPath": {"path": "/"}},
]


def security_context_fields(rng, container):
    sc = {}
    put(sc, "runAsNonRoot", maybe(rng, pick(rng, True, False, None), 0.4))
    put(sc, "runAsUser", maybe(rng, pick(rng, 0, 1000, None), 0.3))
    if rng.random() < 0.4:
        put(sc, "seccompProfile", pick(rng, None, {}, {"type": pick(rng, *SECCOMP_TYPES)},
                                       {"type": "Localhost", "localhostProfile": "p.json"}))
    if rng.random() < 0.25:
        put(sc, "appArmorProfile", pick(rng, None, {}, {"type": pick(rng, *APPARMOR_TYPES)}))
    if rng.random() < 0.25:
        o = {}
        put(o, "type", maybe(rng, pick(rng, *SELINUX_TYPES)))
        put(o, "user", maybe(rng, pick(rng, "", "system_u"), 0.3))
        put(o, "role", maybe(rng, pick(rng, "", "sysadm_r"), 0.3))
        put(o, "level", maybe(rng, "s0:c1,c2", 0.3))
        sc["seLinuxOptions"] = pick(rng, o, None)
    if rng.random() < 0.15:
        sc["windowsOptions"] = pick(rng, {"hostProcess": pick(rng, True, False, None)}, None, {})
    if container:
        put(sc, "privileged", maybe(rng, pick(rng, True, False, None), 0.25))
        put(sc, "allowPrivilegeEscalation", maybe(rng, pick(rng, True, False, False, None), 0.6))
        if rng.random() < 0.6:
            caps = {}
            put(caps, "drop", maybe(rng, rng.sample(CAPS, rng.randint(0, 2)), 0.7))
            put(caps, "add", maybe(rng, rng.sample(CAPS, rng.randint(0, 2)), 0.4))
            sc["capabilities"] = pick(rng, caps, caps, None)
        put(sc, "procMount", maybe(rng, pick(rng, *PROC_MOUNTS), 0.2))
    else:
        if rng.random() < 0.25:
            sc["sysctls"] = [{"name": n, "value": "1"} for n in rng.sample(SYSCTLS, rng.randint(0, 2))]
    return sc


def handler(rng):
    kind = pick(rng, "httpGet", "tcpSocket", "exec")
    if kind == "exec":
        return {"exec": {"command": ["true"]}}
    h = {"port": 8080}
    put(h, "host", maybe(rng, pick(rng, "", "127.0.0.1", "169.254.169.254", "example.com"), 0.5))
    return {kind: h}


def container(rng, i):
    c = {"name": pick(rng, *NAMES) if rng.random() < 0.3 else f"c{i}", "image": "img"}
    if rng.random() < 0.85:
        c["securityContext"] = pick(rng, security_context_fields(rng, True), None) \
            if rng.random() < 0.1 else security_context_fields(rng, True)
    if rng.random() < 0.2:
        c["ports"] = [{"containerPort": 80, **({"hostPort": pick(rng, 0, 80, 8080)} if rng.random() < 0.7 else {})}
                      for _ in range(rng.randint(1, 2))]
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"]:
        if rng.random() < 0.15:
            c[probe] = handler(rng)
    if rng.random() < 0.15:
        c["lifecycle"] = {k: handler(rng) for k in rng.sample(["postStart", "preStop"], rng.randint(1, 2))}
    return c


GOOD_CONTAINER_SC = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def good_pod(rng, i):
    """A pod that meets restricted, with at most two random deviations."""
    spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "img", "securityContext": json.loads(json.dumps(GOOD_CONTAINER_SC))}],
    }
    if rng.random() < 0.3:
        spec["initContainers"] = [{"name": "init", "image": "img",
                                   "securityContext": json.loads(json.dumps(GOOD_CONTAINER_SC))}]
    noise = pod(rng, i)["spec"]
    for _ in range(rng.randint(0, 2)):
        what = rng.random()
        if what < 0.35:
            c = rng.choice(spec["containers"] + spec.get("initContainers", []))
            extra = container(rng, 9).get("securityContext") or {}
            if isinstance(extra, dict) and extra:
                k = rng.choice(list(extra))
                c["securityContext"][k] = extra[k]
        elif what < 0.55:
            extra = security_context_fields(rng, False)
            if extra:
                k = rng.choice(list(extra))
                spec["securityContext"][k] = extra[k]
        else:
            keys = [k for k in noise if k not in ("containers", "initContainers", "ephemeralContainers", "securityContext")]
            if keys:
                k = rng.choice(keys)
                spec[k] = noise[k]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"}, "spec": spec}


def pod(rng, i):
    spec = {}
    for k in ["hostNetwork", "hostPID", "hostIPC"]:
        put(spec, k, maybe(rng, pick(rng, True, False, None), 0.15))
    put(spec, "hostUsers", maybe(rng, pick(rng, True, False), 0.25))
    put(spec, "os", maybe(rng, pick(rng, {"name": "windows"}, {"name": "linux"}), 0.2))
    if rng.random() < 0.8:
        spec["securityContext"] = security_context_fields(rng, False) if rng.random() < 0.95 else None
    n = 0
    for field, lo, hi in [("containers", 1, 3), ("initContainers", 0, 2), ("ephemeralContainers", 0, 1)]:
        k = rng.randint(lo, hi)
        if k:
            spec[field] = []
            for _ in range(k):
                spec[field].append(container(rng, n))
                n += 1
    if rng.random() < 0.4:
        spec["volumes"] = [dict(name=f"v{j}", **rng.choice(VOLUMES)) for j in range(rng.randint(1, 3))]
    meta = {"name": f"p{i}"}
    if rng.random() < 0.3:
        ann = {}
        names = [c["name"] for f in ["initContainers", "containers", "ephemeralContainers"] for c in spec.get(f, [])]
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            if kind < 0.3:
                ann["seccomp.security.alpha.kubernetes.io/pod"] = pick(rng, *ANNOTATION_VALUES)
            elif kind < 0.6:
                ann["container.seccomp.security.alpha.kubernetes.io/" + pick(rng, *(names + ["other"]))] = pick(rng, *ANNOTATION_VALUES)
            else:
                ann["container.apparmor.security.beta.kubernetes.io/" + pick(rng, *(names + ["other"]))] = pick(rng, *ANNOTATION_VALUES)
        meta["annotations"] = ann
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def main():
    kubefort, psa_diff = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    rng = random.Random(seed)
    pods = [good_pod(rng, i) if i % 2 else pod(rng, i) for i in range(count)]

    go_in = "".join(json.dumps({"id": p["metadata"]["name"], "pod": p}) + "\n" for p in pods)
    go = subprocess.run([psa_diff], input=go_in, capture_output=True, text=True, check=True)
    expected = {}
    versions = set()
    for line in go.stdout.splitlines():
        r = json.loads(line)
        expected[(r["id"], r["level"], r["version"])] = r["failures"]
        versions.add(r["version"])

    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write("".join("---\n" + json.dumps(p) + "\n" for p in pods))
        path = f.name
    mismatches = 0
    compared = 0
    for version in sorted(versions):
        out = subprocess.run([kubefort, "pss", "--no-config", "-f", "json", "--pss-version", version, path],
                             capture_output=True, text=True)
        if out.returncode not in (0, 1):
            sys.exit(f"kubefort pss failed: {out.stderr}")
        report = json.loads(out.stdout)
        got = {}
        for a in report["pod_specs"]:
            for level in ["baseline", "restricted"]:
                got[(a["object"]["name"], level)] = [
                    f["reason"] + (f" ({f['detail']})" if f["detail"] else "") for f in a[level]]
        for p in pods:
            for level in ["baseline", "restricted"]:
                key = (p["metadata"]["name"], level, version)
                if key not in expected:
                    continue
                compared += 1
                mine = got.get((p["metadata"]["name"], level))
                if mine != expected[key]:
                    mismatches += 1
                    if mismatches <= 20:
                        print(f"MISMATCH {key}\n  pod: {json.dumps(p['spec'])[:600]}\n"
                              f"  meta: {json.dumps(p['metadata'])}\n"
                              f"  upstream: {expected[key]}\n  kubefort: {mine}")
    verdicts = sum(1 for k, v in expected.items() if v)
    print(f"{compared} pod x level x version evaluations compared ({len(pods)} pods, "
          f"{len(versions)} versions; {verdicts} failing upstream): {mismatches} mismatches")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
