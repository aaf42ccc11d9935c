//! ValidatingAdmissionPolicy and its bindings (admissionregistration.k8s.io/v1),
//! evaluated as the API server's validating admission policy plugin does:
//! match constraints and the binding's match resources, parameters,
//! match conditions, variables, validations with `message`,
//! `messageExpression` and `reason`, `failurePolicy` and
//! `validationActions`.

use std::sync::Arc;

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Context, Program};
use kubefort_core::Severity;
use serde_json::Value as Json;

use crate::cel_lib;
use crate::convert::{cel_to_json, json_to_cel, to_val, Input};
use crate::kinds;
use crate::load::Doc;
use crate::selector::LabelSelector;
use crate::{intern, severity_annotation, Action, PolicyError, Resources, Violation};

/// A compiled CEL expression and where it was written.
pub struct Expr {
    pub text: String,
    pub program: Program,
}

/// Compile `text` (the field at `path` of `doc`), checking every function it
/// calls against the library.
pub fn compile(doc: &Doc<'_>, path: &str, text: &str) -> Result<Expr, PolicyError> {
    let src = cel_lib::rewrite_fixed_formats(text);
    let env = cel_lib::env();
    let program = env.compile(&src).map_err(|errs| {
        let first = errs.errors.first();
        let l = first.map_or(1, |e| e.pos.0.max(1) as u32);
        let msgs: Vec<String> = errs
            .errors
            .iter()
            .map(|e| format!("{}:{}: {}", e.pos.0, e.pos.1 + 1, e.msg))
            .collect();
        PolicyError {
            file: doc.file.clone(),
            line: Some(doc.scalar_line(path, l)),
            message: format!(
                "{path}: syntax error in CEL expression: {}",
                msgs.join("; ")
            ),
        }
    })?;
    check_functions(&program).map_err(|(name, why)| {
        // the line of the expression that names it
        let n = text
            .lines()
            .position(|l| l.contains(&format!("{name}(")))
            .map_or(1, |i| i as u32 + 1);
        PolicyError {
            file: doc.file.clone(),
            line: Some(doc.scalar_line(path, n)),
            message: format!("{path}: {why}"),
        }
    })?;
    Ok(Expr {
        text: text.to_string(),
        program,
    })
}

/// Every function the program calls must be one the environment has.
fn check_functions(program: &Program) -> Result<(), (String, String)> {
    let refs = program.references();
    for f in refs.functions() {
        if f.starts_with(['_', '@', '!']) || f.is_empty() {
            continue;
        }
        let known = cel_lib::KNOWN_FUNCTIONS
            .iter()
            .any(|(n, _)| *n == f || n.rsplit('.').next() == Some(f));
        if known {
            continue;
        }
        if let Some((_, why)) = cel_lib::UNSUPPORTED_FUNCTIONS.iter().find(|(n, _)| *n == f) {
            return Err((
                f.to_string(),
                format!("function `{f}` is not supported: {why}"),
            ));
        }
        return Err((
            f.to_string(),
            format!("undeclared reference to function `{f}` (not in the CEL standard library or the Kubernetes CEL libraries kubefort supports; see docs/policies.md)"),
        ));
    }
    for v in refs.variables() {
        if v == "authorizer" {
            return Err((
                v.to_string(),
                "`authorizer` is not supported: the authorizer library needs the API server's authorizer; kubefort evaluates policies offline".into(),
            ));
        }
    }
    Ok(())
}

/// One of `resourceRules` / `excludeResourceRules`.
#[derive(Clone, Debug, Default)]
pub struct NamedRule {
    api_groups: Vec<String>,
    api_versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    scope: String,
    resource_names: Vec<String>,
}

fn strings(v: Option<&Json>) -> Vec<String> {
    v.and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl NamedRule {
    fn parse(v: &Json) -> NamedRule {
        NamedRule {
            api_groups: strings(v.get("apiGroups")),
            api_versions: strings(v.get("apiVersions")),
            resources: strings(v.get("resources")),
            operations: strings(v.get("operations")),
            scope: v
                .get("scope")
                .and_then(Json::as_str)
                .unwrap_or("*")
                .to_string(),
            resource_names: strings(v.get("resourceNames")),
        }
    }

    fn matches(&self, req: &Request3<'_>) -> bool {
        let any = |list: &[String], x: &str| list.iter().any(|i| i == "*" || i == x);
        any(&self.operations, req.op)
            && any(&self.api_groups, req.group)
            && any(&self.api_versions, req.version)
            && self
                .resources
                .iter()
                .any(|r| r == "*" || r == "*/*" || *r == req.resource)
            && match self.scope.as_str() {
                "Cluster" => req.cluster_scoped,
                "Namespaced" => !req.cluster_scoped,
                _ => true,
            }
            && (self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == req.name))
    }
}

/// What the matchers need of a request.
struct Request3<'a> {
    op: &'a str,
    group: &'a str,
    version: &'a str,
    resource: String,
    name: &'a str,
    cluster_scoped: bool,
}

/// `matchConstraints` of a policy, `matchResources` of a binding.
#[derive(Clone, Debug, Default)]
pub struct MatchResources {
    rules: Vec<NamedRule>,
    exclude: Vec<NamedRule>,
    namespace_selector: LabelSelector,
    object_selector: LabelSelector,
}

impl MatchResources {
    fn parse(doc: &Doc<'_>, path: &str, v: &Json) -> Result<MatchResources, PolicyError> {
        let sel = |k: &str| {
            LabelSelector::parse(v.get(k).unwrap_or(&Json::Null))
                .map_err(|e| doc.err(&format!("{path}.{k}"), e))
        };
        Ok(MatchResources {
            rules: v
                .get("resourceRules")
                .and_then(Json::as_array)
                .map(|a| a.iter().map(NamedRule::parse).collect())
                .unwrap_or_default(),
            exclude: v
                .get("excludeResourceRules")
                .and_then(Json::as_array)
                .map(|a| a.iter().map(NamedRule::parse).collect())
                .unwrap_or_default(),
            namespace_selector: sel("namespaceSelector")?,
            object_selector: sel("objectSelector")?,
        })
    }

    fn matches(&self, input: &Input<'_>) -> bool {
        let req = input.req;
        let (group, version) = kinds::split_api_version(req.api_version());
        let kind = req.kind();
        let cluster_scoped = kinds::is_cluster_scoped(group, kind);
        let r = Request3 {
            op: req.operation.as_str(),
            group,
            version,
            resource: kinds::resource_of(kind),
            name: req.name(),
            cluster_scoped,
        };
        if self.exclude.iter().any(|x| x.matches(&r)) {
            return false;
        }
        if !self.rules.is_empty() && !self.rules.iter().any(|x| x.matches(&r)) {
            return false;
        }
        // namespaceSelector: the namespace's labels; a Namespace's own; other
        // cluster-scoped objects are never skipped by it.
        let is_namespace = kind == "Namespace" && group.is_empty();
        if !cluster_scoped || is_namespace {
            let labels = req.namespace_labels();
            if !self.namespace_selector.matches(labels.as_ref()) {
                return false;
            }
        }
        let obj_labels = req.labels().or_else(|| {
            req.old_object
                .as_deref()
                .and_then(|o| o.pointer("/metadata/labels"))
        });
        self.object_selector.matches(obj_labels)
            || req
                .old_object
                .as_deref()
                .and_then(|o| o.pointer("/metadata/labels"))
                .is_some_and(|l| self.object_selector.matches(Some(l)))
    }
}

pub struct Validation {
    expr: Expr,
    message: Option<String>,
    message_expression: Option<Expr>,
    reason: Option<String>,
    field_path: Option<String>,
}

/// A compiled ValidatingAdmissionPolicy.
pub struct Vap {
    pub name: String,
    pub file: Arc<str>,
    /// `(apiVersion, kind)` of the parameters.
    pub param_kind: Option<(String, String)>,
    match_constraints: MatchResources,
    match_conditions: Vec<(String, Expr)>,
    variables: Vec<(String, Expr)>,
    validations: Vec<Validation>,
    fail_closed: bool,
    pub severity: Option<Severity>,
    /// Extra variables Gatekeeper defines for its CEL templates.
    pub(crate) gatekeeper: bool,
}

impl Vap {
    /// Parse and compile a policy (`spec` of a ValidatingAdmissionPolicy).
    pub fn parse(doc: &Doc<'_>) -> Result<Vap, PolicyError> {
        let j = &doc.json;
        let name = j
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                doc.err(
                    "metadata",
                    "a ValidatingAdmissionPolicy needs metadata.name",
                )
            })?
            .to_string();
        let spec = j
            .get("spec")
            .ok_or_else(|| doc.err("", "a ValidatingAdmissionPolicy needs a spec"))?;
        let param_kind = match spec.get("paramKind") {
            Some(pk) if !pk.is_null() => Some((
                pk.get("apiVersion")
                    .and_then(Json::as_str)
                    .ok_or_else(|| doc.err("spec.paramKind", "paramKind needs apiVersion"))?
                    .to_string(),
                pk.get("kind")
                    .and_then(Json::as_str)
                    .ok_or_else(|| doc.err("spec.paramKind", "paramKind needs kind"))?
                    .to_string(),
            )),
            _ => None,
        };
        let match_constraints = MatchResources::parse(
            doc,
            "spec.matchConstraints",
            spec.get("matchConstraints").unwrap_or(&Json::Null),
        )?;
        if match_constraints.rules.is_empty() {
            return Err(doc.err(
                "spec.matchConstraints",
                "spec.matchConstraints.resourceRules: Required value (the API server refuses a policy without resource rules)",
            ));
        }
        let fail_closed = match spec.get("failurePolicy").and_then(Json::as_str) {
            None | Some("Fail") => true,
            Some("Ignore") => false,
            Some(other) => {
                return Err(doc.err(
                    "spec.failurePolicy",
                    format!("failurePolicy {other:?}: use Fail or Ignore"),
                ))
            }
        };
        let mut vap = Vap {
            name,
            file: doc.file.clone(),
            param_kind,
            match_constraints,
            match_conditions: Vec::new(),
            variables: Vec::new(),
            validations: Vec::new(),
            fail_closed,
            severity: severity_annotation(j).map_err(|e| doc.err("metadata.annotations", e))?,
            gatekeeper: false,
        };
        vap.parse_code(doc, "spec", spec)?;
        if vap.validations.is_empty() {
            return Err(doc.err(
                "spec",
                "spec.validations: Required value (a policy needs at least one validation)",
            ));
        }
        Ok(vap)
    }

    /// An empty policy for the `K8sNativeValidation` code of a Gatekeeper
    /// template (Gatekeeper supplies the match and the parameters).
    pub(crate) fn gatekeeper(name: &str, doc: &Doc<'_>, _src: &Json) -> Vap {
        Vap {
            name: name.to_string(),
            file: doc.file.clone(),
            param_kind: None,
            match_constraints: MatchResources::default(),
            match_conditions: Vec::new(),
            variables: Vec::new(),
            validations: Vec::new(),
            fail_closed: true,
            severity: None,
            gatekeeper: true,
        }
    }

    pub(crate) fn set_fail_open(&mut self) {
        self.fail_closed = false;
    }

    /// Read `matchConditions`, `variables` and `validations` under `base`.
    pub(crate) fn parse_code(
        &mut self,
        doc: &Doc<'_>,
        base: &str,
        spec: &Json,
    ) -> Result<(), PolicyError> {
        let list = |k: &str| {
            spec.get(k)
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
        };
        for (i, mc) in list("matchConditions").iter().enumerate() {
            let p = format!("{base}.matchConditions[{i}]");
            let name = mc
                .get("name")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let e = mc
                .get("expression")
                .and_then(Json::as_str)
                .ok_or_else(|| doc.err(&p, "a match condition needs an expression"))?;
            self.match_conditions
                .push((name, compile(doc, &format!("{p}.expression"), e)?));
        }
        for (i, v) in list("variables").iter().enumerate() {
            let p = format!("{base}.variables[{i}]");
            let name = v
                .get("name")
                .and_then(Json::as_str)
                .ok_or_else(|| doc.err(&p, "a variable needs a name"))?
                .to_string();
            let e = v
                .get("expression")
                .and_then(Json::as_str)
                .ok_or_else(|| doc.err(&p, "a variable needs an expression"))?;
            self.variables
                .push((name, compile(doc, &format!("{p}.expression"), e)?));
        }
        for (i, v) in list("validations").iter().enumerate() {
            let p = format!("{base}.validations[{i}]");
            let e = v
                .get("expression")
                .and_then(Json::as_str)
                .ok_or_else(|| doc.err(&p, "a validation needs an expression"))?;
            let message_expression = match v.get("messageExpression").and_then(Json::as_str) {
                Some(m) => Some(compile(doc, &format!("{p}.messageExpression"), m)?),
                None => None,
            };
            self.validations.push(Validation {
                expr: compile(doc, &format!("{p}.expression"), e)?,
                message: v.get("message").and_then(Json::as_str).map(str::to_string),
                message_expression,
                reason: v.get("reason").and_then(Json::as_str).map(str::to_string),
                field_path: v
                    .get("fieldPath")
                    .and_then(Json::as_str)
                    .map(str::to_string),
            });
        }
        Ok(())
    }

    /// Evaluate with `params` (a param object, or null); return the
    /// violations' `(message, reason, fieldPath)`, or `None` when a match
    /// condition excluded the request.
    pub(crate) fn run(
        &self,
        input: &mut Input<'_>,
        params: Option<&Json>,
        gatekeeper_params: Option<&Json>,
    ) -> Option<Vec<(String, Option<String>, Option<String>)>> {
        input.prepare_cel();
        let params_val: Box<dyn Val> = match params {
            Some(p) => to_val(json_to_cel(p)),
            None => Box::new(cel::common::types::CelNull),
        };
        let mut act = Activation {
            object: input.cel_object(),
            old_object: input.cel_old(),
            request: input.cel_request(),
            namespace_object: input.cel_namespace(),
            params: params_val.as_ref(),
            variables: Box::new(cel::common::types::CelNull),
            vars: Vec::new(),
        };
        let env = cel_lib::env();
        if self.gatekeeper {
            // What Gatekeeper adds to its CEL templates.
            let any = if input.req.object.is_some() {
                cel::Value::try_from(act.object).unwrap_or(cel::Value::Null)
            } else {
                cel::Value::try_from(act.old_object).unwrap_or(cel::Value::Null)
            };
            act.vars.push(("anyObject".into(), any));
            let p = gatekeeper_params.map_or(cel::Value::Null, json_to_cel);
            act.vars.push(("params".into(), p));
            act.rebuild();
        }
        // matchConditions: every one true; an error matters only when none is false
        let mut cond_error: Option<String> = None;
        for (name, e) in &self.match_conditions {
            match act.eval(&env, &e.program) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => return None,
                Ok(other) => {
                    cond_error.get_or_insert(format!(
                        "matchCondition '{name}' error: expression must evaluate to bool, got {}",
                        type_name(&other)
                    ));
                }
                Err(err) => {
                    cond_error.get_or_insert(format!("matchCondition '{name}' error: {err}"));
                }
            }
        }
        if let Some(msg) = cond_error {
            return Some(if self.fail_closed {
                vec![(msg, None, None)]
            } else {
                vec![]
            });
        }
        for (name, e) in &self.variables {
            match act.eval(&env, &e.program) {
                Ok(v) => act.vars.push((name.clone(), v)),
                // An erroring variable is an error wherever it is read:
                // leaving it out makes every read fail.
                Err(_) => {}
            }
            act.rebuild();
        }
        let mut out = Vec::new();
        for v in &self.validations {
            match act.eval(&env, &v.expr.program) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => {
                    let msg = self.message_for(v, &act, &env);
                    out.push((msg, v.reason.clone(), v.field_path.clone()));
                }
                Ok(other) => {
                    if self.fail_closed {
                        out.push((
                            format!(
                                "expression '{}' resulted in error: expected bool, got {}",
                                v.expr.text.trim(),
                                type_name(&other)
                            ),
                            v.reason.clone(),
                            v.field_path.clone(),
                        ));
                    }
                }
                Err(err) => {
                    if self.fail_closed {
                        out.push((
                            format!(
                                "expression '{}' resulted in error: {err}",
                                v.expr.text.trim()
                            ),
                            v.reason.clone(),
                            v.field_path.clone(),
                        ));
                    }
                }
            }
        }
        Some(out)
    }

    fn message_for(&self, v: &Validation, act: &Activation<'_>, env: &Arc<cel::Env>) -> String {
        if let Some(me) = &v.message_expression {
            if let Ok(cel::Value::String(s)) = act.eval(env, &me.program) {
                let s = s.trim();
                if !s.is_empty() && !s.contains('\n') && s.len() <= 5 * 1024 {
                    return s.to_string();
                }
            }
        }
        match &v.message {
            Some(m) => m.clone(),
            None => format!("failed expression: {}", v.expr.text.trim()),
        }
    }
}

fn type_name(v: &cel::Value) -> String {
    match cel_to_json(v) {
        Json::Null => "null_type".into(),
        Json::Bool(_) => "bool".into(),
        Json::Number(_) => "number".into(),
        Json::String(_) => "string".into(),
        Json::Array(_) => "list".into(),
        Json::Object(_) => "map".into(),
    }
}

/// The variables an expression sees.
struct Activation<'a> {
    object: &'a dyn Val,
    old_object: &'a dyn Val,
    request: &'a dyn Val,
    namespace_object: &'a dyn Val,
    params: &'a dyn Val,
    variables: Box<dyn Val>,
    vars: Vec<(String, cel::Value)>,
}

impl Activation<'_> {
    fn rebuild(&mut self) {
        let m: std::collections::HashMap<cel::objects::Key, cel::Value> = self
            .vars
            .iter()
            .map(|(k, v)| (cel::objects::Key::String(Arc::new(k.clone())), v.clone()))
            .collect();
        self.variables = to_val(cel::Value::Map(cel::objects::Map { map: Arc::new(m) }));
    }

    fn eval(&self, env: &Arc<cel::Env>, p: &Program) -> Result<cel::Value, cel::ExecutionError> {
        let mut ctx = Context::with_env(env.clone());
        ctx.set_variable_resolver(self);
        p.execute(&ctx)
    }
}

impl VariableResolver for Activation<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let v: &dyn Val = match variable {
            "object" => self.object,
            "oldObject" => self.old_object,
            "request" => self.request,
            "namespaceObject" => self.namespace_object,
            "params" => self.params,
            "variables" => self.variables.as_ref(),
            _ => return None,
        };
        Some(CowVal::Borrowed(v))
    }
}

/// `paramRef` of a binding.
#[derive(Clone, Debug)]
pub struct ParamRef {
    name: Option<String>,
    namespace: Option<String>,
    selector: Option<LabelSelector>,
    deny_when_missing: bool,
}

/// A policy with one of its bindings: the unit that is evaluated.
pub struct Bound {
    pub rule: &'static str,
    pub policy: Arc<Vap>,
    pub binding: String,
    match_resources: Option<MatchResources>,
    param_ref: Option<ParamRef>,
    actions: Vec<Action>,
    severity: Severity,
}

/// A parsed binding, before its policy is known.
pub struct Binding {
    pub name: String,
    pub policy_name: String,
    pub file: Arc<str>,
    match_resources: Option<MatchResources>,
    param_ref: Option<ParamRef>,
    actions: Vec<Action>,
    severity: Option<Severity>,
}

impl Binding {
    pub fn parse(doc: &Doc<'_>) -> Result<Binding, PolicyError> {
        let j = &doc.json;
        let name = j
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .ok_or_else(|| doc.err("metadata", "a binding needs metadata.name"))?
            .to_string();
        let spec = j
            .get("spec")
            .ok_or_else(|| doc.err("", "a binding needs a spec"))?;
        let policy_name = spec
            .get("policyName")
            .and_then(Json::as_str)
            .ok_or_else(|| doc.err("spec", "spec.policyName: Required value"))?
            .to_string();
        let match_resources = match spec.get("matchResources") {
            Some(m) if !m.is_null() => Some(MatchResources::parse(doc, "spec.matchResources", m)?),
            _ => None,
        };
        let param_ref = match spec.get("paramRef") {
            Some(p) if !p.is_null() => {
                let selector = match p.get("selector") {
                    Some(s) if !s.is_null() => Some(
                        LabelSelector::parse(s)
                            .map_err(|e| doc.err("spec.paramRef.selector", e))?,
                    ),
                    _ => None,
                };
                let name = p.get("name").and_then(Json::as_str).map(str::to_string);
                if name.is_some() == selector.is_some() {
                    return Err(doc.err(
                        "spec.paramRef",
                        "spec.paramRef: exactly one of name or selector must be set",
                    ));
                }
                Some(ParamRef {
                    name,
                    namespace: p
                        .get("namespace")
                        .and_then(Json::as_str)
                        .map(str::to_string),
                    selector,
                    deny_when_missing: !matches!(
                        p.get("parameterNotFoundAction").and_then(Json::as_str),
                        Some("Allow")
                    ),
                })
            }
            _ => None,
        };
        let mut actions = Vec::new();
        for a in strings(spec.get("validationActions")) {
            actions.push(match a.as_str() {
                "Deny" => Action::Deny,
                "Warn" => Action::Warn,
                "Audit" => Action::Audit,
                other => {
                    return Err(doc.err(
                        "spec.validationActions",
                        format!("validationActions {other:?}: use Deny, Warn or Audit"),
                    ))
                }
            });
        }
        if actions.is_empty() {
            return Err(doc.err(
                "spec",
                "spec.validationActions: Required value (Deny, Warn and/or Audit)",
            ));
        }
        if actions.contains(&Action::Deny) && actions.contains(&Action::Warn) {
            return Err(doc.err(
                "spec.validationActions",
                "validationActions may not contain both Deny and Warn",
            ));
        }
        Ok(Binding {
            name,
            policy_name,
            file: doc.file.clone(),
            match_resources,
            param_ref,
            actions,
            severity: severity_annotation(j).map_err(|e| doc.err("metadata.annotations", e))?,
        })
    }

    pub fn bind(self, policy: Arc<Vap>, default: Option<Severity>) -> Bound {
        let by_action = if self.actions.contains(&Action::Deny) {
            Severity::High
        } else if self.actions.contains(&Action::Warn) {
            Severity::Medium
        } else {
            Severity::Low
        };
        Bound {
            rule: intern(&policy.name),
            severity: self
                .severity
                .or(policy.severity)
                .or(default)
                .unwrap_or(by_action),
            policy,
            binding: self.name,
            match_resources: self.match_resources,
            param_ref: self.param_ref,
            actions: self.actions,
        }
    }
}

impl Bound {
    pub(crate) fn evaluate(
        &self,
        input: &mut Input<'_>,
        resources: &Resources,
        out: &mut Vec<Violation>,
    ) -> Result<(), PolicyError> {
        if !self.policy.match_constraints.matches(input) {
            return Ok(());
        }
        if let Some(m) = &self.match_resources {
            if !m.matches(input) {
                return Ok(());
            }
        }
        let mut push = |msg: String, reason: Option<String>, field_path: Option<String>| {
            out.push(Violation {
                rule: self.rule,
                severity: self.severity,
                actions: self.actions.clone(),
                message: msg,
                reason,
                field_path,
                source: self.policy.file.clone(),
                binding: Some(self.binding.clone()),
            })
        };
        match (&self.policy.param_kind, &self.param_ref) {
            (None, _) => {
                if let Some(v) = self.policy.run(input, None, None) {
                    for (m, r, f) in v {
                        push(m, r, f);
                    }
                }
            }
            (Some(_), None) => {
                if self.policy.fail_closed {
                    push(
                        format!(
                            "failed to configure binding: policy '{}' has paramKind but binding '{}' has no paramRef",
                            self.policy.name, self.binding
                        ),
                        None,
                        None,
                    );
                }
            }
            (Some((av, kind)), Some(pr)) => {
                let (group, _) = kinds::split_api_version(av);
                let cluster = kinds::is_cluster_scoped(group, kind);
                let ns = match &pr.namespace {
                    Some(n) => n.clone(),
                    None if cluster => String::new(),
                    None => input.req.namespace(),
                };
                let params: Vec<&Arc<Json>> = resources
                    .of_kind(av, kind)
                    .iter()
                    .filter(|p| {
                        let pns = p
                            .pointer("/metadata/namespace")
                            .and_then(Json::as_str)
                            .unwrap_or(if cluster { "" } else { "default" });
                        (cluster || pns == ns)
                            && match (&pr.name, &pr.selector) {
                                (Some(n), _) => {
                                    p.pointer("/metadata/name").and_then(Json::as_str)
                                        == Some(n.as_str())
                                }
                                (None, Some(s)) => s.matches(p.pointer("/metadata/labels")),
                                (None, None) => false,
                            }
                    })
                    .collect();
                if params.is_empty() {
                    if pr.deny_when_missing {
                        push(
                            "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction".into(),
                            None,
                            None,
                        );
                    }
                    return Ok(());
                }
                for p in params {
                    if let Some(v) = self.policy.run(input, Some(p), None) {
                        for (m, r, f) in v {
                            push(m, r, f);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
