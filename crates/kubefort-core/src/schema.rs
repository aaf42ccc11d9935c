//! Type checks for the fields kubefort reads, as the API server's decoder
//! applies them: a string where a boolean belongs (`privileged: "true"`) or a
//! boolean where a string belongs (`value: yes` in an env var) makes the API
//! server reject the object, so kubefort reports it as an error instead of
//! guessing what was meant.

use crate::object::Object;
use crate::path::FieldPath;
use crate::value::{Node, Pos, Value};

/// The expected JSON type of a field.
#[derive(Debug)]
pub enum Ty {
    Bool,
    Int,
    Str,
    /// `int-or-string` (ports, `maxUnavailable`).
    IntOrStr,
    /// A resource quantity: a string or a number.
    Quantity,
    /// An object with known fields; unknown fields are not checked here.
    Obj(&'static [(&'static str, Ty)]),
    /// A mapping whose values all have one type (labels, limits).
    MapOf(&'static Ty),
    Seq(&'static Ty),
}

use Ty::*;

const SECCOMP: Ty = Obj(&[("type", Str), ("localhostProfile", Str)]);
const SELINUX: Ty = Obj(&[("type", Str), ("user", Str), ("role", Str), ("level", Str)]);
const WINDOWS: Ty = Obj(&[("hostProcess", Bool), ("runAsUserName", Str)]);
const HANDLER: Ty = Obj(&[
    ("exec", Obj(&[("command", Seq(&Str))])),
    (
        "httpGet",
        Obj(&[
            ("host", Str),
            ("path", Str),
            ("port", IntOrStr),
            ("scheme", Str),
        ]),
    ),
    ("tcpSocket", Obj(&[("host", Str), ("port", IntOrStr)])),
    ("grpc", Obj(&[("port", Int), ("service", Str)])),
    ("initialDelaySeconds", Int),
    ("periodSeconds", Int),
    ("timeoutSeconds", Int),
    ("failureThreshold", Int),
    ("successThreshold", Int),
]);
const CONTAINER_SC: Ty = Obj(&[
    ("privileged", Bool),
    ("allowPrivilegeEscalation", Bool),
    ("readOnlyRootFilesystem", Bool),
    ("runAsNonRoot", Bool),
    ("runAsUser", Int),
    ("runAsGroup", Int),
    ("procMount", Str),
    (
        "capabilities",
        Obj(&[("add", Seq(&Str)), ("drop", Seq(&Str))]),
    ),
    ("seccompProfile", SECCOMP),
    ("seLinuxOptions", SELINUX),
    ("windowsOptions", WINDOWS),
    ("appArmorProfile", SECCOMP),
]);
const CONTAINER: Ty = Obj(&[
    ("name", Str),
    ("image", Str),
    ("imagePullPolicy", Str),
    ("command", Seq(&Str)),
    ("args", Seq(&Str)),
    ("workingDir", Str),
    (
        "ports",
        Seq(&Obj(&[
            ("name", Str),
            ("containerPort", Int),
            ("hostPort", Int),
            ("hostIP", Str),
            ("protocol", Str),
        ])),
    ),
    ("env", Seq(&Obj(&[("name", Str), ("value", Str)]))),
    (
        "resources",
        Obj(&[("limits", MapOf(&Quantity)), ("requests", MapOf(&Quantity))]),
    ),
    (
        "volumeMounts",
        Seq(&Obj(&[
            ("name", Str),
            ("mountPath", Str),
            ("readOnly", Bool),
            ("subPath", Str),
        ])),
    ),
    ("livenessProbe", HANDLER),
    ("readinessProbe", HANDLER),
    ("startupProbe", HANDLER),
    (
        "lifecycle",
        Obj(&[("postStart", HANDLER), ("preStop", HANDLER)]),
    ),
    ("securityContext", CONTAINER_SC),
    ("stdin", Bool),
    ("tty", Bool),
]);
const POD_SPEC: Ty = Obj(&[
    ("containers", Seq(&CONTAINER)),
    ("initContainers", Seq(&CONTAINER)),
    ("ephemeralContainers", Seq(&CONTAINER)),
    ("hostNetwork", Bool),
    ("hostPID", Bool),
    ("hostIPC", Bool),
    ("hostUsers", Bool),
    ("shareProcessNamespace", Bool),
    ("automountServiceAccountToken", Bool),
    ("serviceAccountName", Str),
    ("serviceAccount", Str),
    ("nodeName", Str),
    ("priorityClassName", Str),
    ("os", Obj(&[("name", Str)])),
    (
        "securityContext",
        Obj(&[
            ("runAsNonRoot", Bool),
            ("runAsUser", Int),
            ("runAsGroup", Int),
            ("fsGroup", Int),
            ("supplementalGroups", Seq(&Int)),
            ("seccompProfile", SECCOMP),
            ("seLinuxOptions", SELINUX),
            ("windowsOptions", WINDOWS),
            ("appArmorProfile", SECCOMP),
            ("sysctls", Seq(&Obj(&[("name", Str), ("value", Str)]))),
        ]),
    ),
    (
        "volumes",
        Seq(&Obj(&[
            ("name", Str),
            ("hostPath", Obj(&[("path", Str), ("type", Str)])),
        ])),
    ),
]);
/// `metadata` of any object.
pub const METADATA: Ty = Obj(&[
    ("name", Str),
    ("generateName", Str),
    ("namespace", Str),
    ("labels", MapOf(&Str)),
    ("annotations", MapOf(&Str)),
]);

/// One type error: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub pos: Pos,
    pub message: String,
}

/// Check the object's metadata and pod specs.
pub fn validate(object: &Object) -> Vec<TypeError> {
    let mut errors = Vec::new();
    let root = FieldPath::root();
    if let Some(m) = object.root.get("metadata") {
        check(m, &METADATA, &root.key("metadata"), &mut errors);
    }
    for at in &object.pod_specs {
        if let Some(meta) = at.metadata.resolve(&object.root) {
            check(meta, &METADATA, &at.metadata, &mut errors);
        }
        if let Some(spec) = at.spec.resolve(&object.root) {
            check(spec, &POD_SPEC, &at.spec, &mut errors);
        }
    }
    errors
}

fn matches(ty: &Ty, v: &Value) -> bool {
    match (ty, v) {
        (_, Value::Null) => true,
        (Bool, Value::Bool(_)) => true,
        (Int, Value::Int(_)) => true,
        (Int, Value::Float(f)) => f.fract() == 0.0,
        (Str, Value::String(_)) => true,
        (IntOrStr, Value::Int(_) | Value::String(_)) => true,
        (IntOrStr, Value::Float(f)) => f.fract() == 0.0,
        (Quantity, Value::String(_) | Value::Int(_) | Value::Float(_)) => true,
        (Obj(_) | MapOf(_), Value::Map(_)) => true,
        (Seq(_), Value::Seq(_)) => true,
        _ => false,
    }
}

fn describe(ty: &Ty) -> &'static str {
    match ty {
        Bool => "boolean",
        Int => "integer",
        Str => "string",
        IntOrStr => "integer or string",
        Quantity => "quantity (string or number)",
        Obj(_) | MapOf(_) => "mapping",
        Seq(_) => "list",
    }
}

fn check(node: &Node, ty: &Ty, path: &FieldPath, errors: &mut Vec<TypeError>) {
    if !matches(ty, &node.value) {
        errors.push(TypeError {
            pos: node.pos,
            message: type_message(ty, node, path),
        });
        return;
    }
    match (ty, &node.value) {
        (Obj(fields), Value::Map(m)) => {
            for (name, fty) in *fields {
                if let Some(child) = m.get(name) {
                    check(child, fty, &path.key(name), errors);
                }
            }
        }
        (MapOf(vty), Value::Map(m)) => {
            for e in &m.entries {
                check(&e.value, vty, &path.key(&e.key), errors);
            }
        }
        (Seq(ity), Value::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(item, ity, &path.index(i), errors);
            }
        }
        _ => {}
    }
}

fn type_message(ty: &Ty, node: &Node, path: &FieldPath) -> String {
    let got = match &node.value {
        Value::String(s) => format!("string {:?}", truncate(s)),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Int(i) => format!("integer {i}"),
        Value::Float(f) => format!("number {f}"),
        other => other.type_name().to_string(),
    };
    let hint = match (ty, &node.value) {
        (Bool, Value::String(s)) if matches!(&**s, "true" | "false") => {
            format!("; write {s} without quotes")
        }
        (Str | IntOrStr, Value::Bool(_) | Value::Int(_) | Value::Float(_)) => {
            "; quote the value to make it a string (YAML reads yes/no/on/off as booleans and digits as numbers)".to_string()
        }
        (Int, Value::String(s)) if s.parse::<i64>().is_ok() => {
            format!("; write {s} without quotes")
        }
        _ => String::new(),
    };
    format!(
        "{path}: expected {}, got {got}{hint}; the API server rejects this object",
        describe(ty)
    )
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 40 {
        let t: String = s.chars().take(40).collect();
        format!("{t}…")
    } else {
        s.to_string()
    }
}
