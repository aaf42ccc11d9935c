//! ValidatingAdmissionPolicy and its bindings (admissionregistration.k8s.io/v1),
//! evaluated as the API server's validating admission policy plugin does:
//! match constraints and the binding's match resources, parameters,
//! match conditions, variables, validations with `message`,
//! `messageExpression` and `reason`, `failurePolicy` and
//! `validationActions`.

use std::sync::Arc;

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::parser::Expression;
use cel::Context;
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
    pub program: Expression,
}

/// Compile `text` (the field at `path` of `doc`), checking every function it
/// calls against the library.
pub fn compile(doc: &Doc<'_>, path: &str, text: &str) -> Result<Expr, PolicyError> {
    if let Err(why) = within_limits(text) {
        return Err(PolicyError {
            file: doc.file.clone(),
            line: Some(doc.scalar_line(path, 1)),
            message: format!("{path}: {why}"),
        });
    }
    let src = cel_lib::rewrite_fixed_formats(text);
    let env = cel_lib::env();
    let mut program = env.parser().parse(&src).map_err(|errs| {
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
    presence_tests(&mut program);
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

/// Longest expression accepted (the API server's own limit on an
/// expression is far below: its request size).
const MAX_EXPRESSION_BYTES: usize = 256 * 1024;
/// Deepest nesting of brackets, as cel-go's parser limit (250) protects it.
const MAX_NESTING: usize = 250;

/// Refuse what would exhaust the parser before parsing: hostile sizes and
/// nesting.
fn within_limits(text: &str) -> Result<(), String> {
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(format!(
            "the expression is {} bytes long, more than the {} accepted",
            text.len(),
            MAX_EXPRESSION_BYTES
        ));
    }
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if max > MAX_NESTING {
        return Err(format!(
            "the expression nests {max} levels deep, more than the {MAX_NESTING} accepted"
        ));
    }
    Ok(())
}

/// `has(x.f)` as cel-go evaluates it for Kubernetes: false, not an error,
/// when `x` is not a map (null, a string, a number); the `cel` crate errs
/// there, so presence tests call [`cel_lib::HAS`] instead.
fn presence_tests(e: &mut Expression) {
    use cel::common::ast::{CallExpr, EntryExpr, Expr as E, LiteralValue};
    match &mut e.expr {
        E::Select(sel) if sel.test => {
            presence_tests(&mut sel.operand);
            let operand = std::mem::take(&mut *sel.operand);
            let field = std::mem::take(&mut sel.field);
            e.expr = E::Call(CallExpr {
                func_name: cel_lib::HAS.to_string(),
                target: None,
                args: vec![
                    operand,
                    Expression {
                        id: e.id,
                        expr: E::Literal(LiteralValue::String(field.into())),
                    },
                ],
            });
        }
        E::Select(sel) => presence_tests(&mut sel.operand),
        E::Call(c) => {
            if let Some(t) = &mut c.target {
                presence_tests(t);
            }
            c.args.iter_mut().for_each(presence_tests);
        }
        E::Comprehension(c) => {
            presence_tests(&mut c.iter_range);
            presence_tests(&mut c.accu_init);
            presence_tests(&mut c.loop_cond);
            presence_tests(&mut c.loop_step);
            presence_tests(&mut c.result);
        }
        E::List(l) => l.elements.iter_mut().for_each(presence_tests),
        E::Map(m) => {
            for en in &mut m.entries {
                if let EntryExpr::MapEntry(me) = &mut en.expr {
                    presence_tests(&mut me.key);
                    presence_tests(&mut me.value);
                }
            }
        }
        E::Struct(st) => {
            for en in &mut st.entries {
                if let EntryExpr::StructField(f) = &mut en.expr {
                    presence_tests(&mut f.value);
                }
            }
        }
        _ => {}
    }
}

/// Every function the program calls must be one the environment has.
fn check_functions(program: &Expression) -> Result<(), (String, String)> {
    let refs = program.references();
    for f in refs.functions() {
        if f.starts_with(['_', '!']) || f.contains('@') || f.is_empty() {
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
    ) -> Option<Vec<Outcome>> {
        input.prepare_cel();
        let params_val: Box<dyn Val> = match params {
            Some(p) => to_val(json_to_cel(p)),
            None => Box::new(cel::common::types::CelNull),
        };
        let input: &Input<'_> = input;
        let mut act = Activation {
            input,
            params: params_val.as_ref(),
            variables: VarMap::default(),
        };
        let env = cel_lib::env();
        if self.gatekeeper {
            // What Gatekeeper adds to its CEL templates.
            let any = input.req.any_object().map_or_else(
                || Box::new(cel::common::types::CelNull) as Box<dyn Val>,
                crate::convert::json_to_val,
            );
            act.variables.0.push(("anyObject".into(), any));
            let p = gatekeeper_params.map_or_else(
                || Box::new(cel::common::types::CelNull) as Box<dyn Val>,
                |p| to_val(json_to_cel(p)),
            );
            act.variables.0.push(("params".into(), p));
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
            // An erroring variable is an error wherever it is read: leaving
            // it out makes every read fail.
            if let Some(v) = act.eval_val(&env, &e.program) {
                act.variables.0.push((name.clone(), v));
            }
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

/// A failed validation: message, reason, field path.
pub(crate) type Outcome = (String, Option<String>, Option<String>);

/// The variables an expression sees.
struct Activation<'a> {
    input: &'a Input<'a>,
    params: &'a dyn Val,
    variables: VarMap,
}

/// `variables`: the policy's variables in order, read by name without
/// building a map.
#[derive(Debug, Default)]
struct VarMap(Vec<(String, Box<dyn Val>)>);

impl Val for VarMap {
    fn get_type(&self) -> &cel::common::types::Type {
        &cel::common::types::MAP_TYPE
    }

    fn cel_type() -> &'static cel::common::types::Type {
        &cel::common::types::MAP_TYPE
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn cel::common::traits::Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(VarMap(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.clone_as_boxed()))
                .collect(),
        ))
    }
}

impl cel::common::traits::Indexer for VarMap {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, cel::ExecutionError>
    where
        Self: 'v,
    {
        let key = idx
            .downcast_ref::<cel::common::types::CelString>()
            .map(|s| s.inner().to_string())
            .unwrap_or_default();
        self.0
            .iter()
            .find(|(n, _)| *n == key)
            .map(|(_, v)| CowVal::Borrowed(v.as_ref()))
            .ok_or_else(|| cel::ExecutionError::no_such_key(&key))
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, cel::ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

impl Activation<'_> {
    /// Evaluate to a value of its own (for variables).
    fn eval_val(&self, env: &Arc<cel::Env>, p: &Expression) -> Option<Box<dyn Val>> {
        let mut ctx = Context::with_env(env.clone());
        ctx.set_variable_resolver(self);
        let v = cel::Value::resolve_val(p, &ctx).ok()?;
        cel::Value::try_from(v.as_ref()).ok().map(to_val)
    }

    fn eval(&self, env: &Arc<cel::Env>, p: &Expression) -> Result<cel::Value, cel::ExecutionError> {
        let mut ctx = Context::with_env(env.clone());
        ctx.set_variable_resolver(self);
        ctx.resolve(p)
    }
}

impl VariableResolver for Activation<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let v: &dyn Val = match variable {
            "object" => self.input.cel_object(),
            "oldObject" => self.input.cel_old(),
            "request" => self.input.cel_request(),
            "namespaceObject" => self.input.cel_namespace(),
            "params" => self.params,
            "variables" => &self.variables,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, obj: Json) -> Result<cel::Value, cel::ExecutionError> {
        let lines: Vec<&str> = vec![];
        let node =
            kubefort_core::value::Node::new(kubefort_core::value::Value::Null, Default::default());
        let doc = Doc {
            file: "t.yaml".into(),
            node: &node,
            json: Json::Null,
            lines: &lines,
        };
        let e = compile(&doc, "spec", src)
            .map_err(|e| cel::ExecutionError::function_error("compile", e))?;
        let o = to_val(json_to_cel(&obj));
        let req = crate::Request::create(obj);
        let mut input = Input::new(&req);
        input.prepare_cel();
        let act = Activation {
            input: &input,
            params: o.as_ref(),
            variables: VarMap::default(),
        };
        act.eval(&cel_lib::env(), &e.program)
    }

    #[test]
    fn hostile_expressions_are_refused_before_parsing() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let e = eval(&deep, serde_json::json!({})).unwrap_err().to_string();
        assert!(e.contains("nests"), "{e}");
        let long = format!("'{}' == ''", "a".repeat(300 * 1024));
        let e = eval(&long, serde_json::json!({})).unwrap_err().to_string();
        assert!(e.contains("bytes long"), "{e}");
        // many operators, no nesting: parsed and evaluated
        let wide = vec!["1"; 50].join(" + ");
        assert_eq!(
            eval(&format!("{wide} == 50"), serde_json::json!({})).unwrap(),
            cel::Value::Bool(true)
        );
    }

    #[test]
    fn presence_tests_follow_cel_go() {
        let o = serde_json::json!({"a": {"b": 1}, "n": null, "s": "x"});
        for (src, want) in [
            ("has(object.a.b)", true),
            ("has(object.a.c)", false),
            ("has(object.n.c)", false),
            ("has(object.s.c)", false),
            ("[object.a].all(x, has(x.b))", true),
            ("has(object.a) && !has(object.z)", true),
        ] {
            assert_eq!(
                eval(src, o.clone()).unwrap(),
                cel::Value::Bool(want),
                "{src}"
            );
        }
        // a missing operand is still an error
        assert!(eval("has(object.z.b)", o).is_err());
    }

    #[test]
    fn every_listed_function_exists() {
        let o = serde_json::json!({});
        let calls = [
            "size('ab') == 2",
            "'ab'.contains('a')",
            "'ab'.startsWith('a')",
            "'ab'.endsWith('b')",
            "'ab'.matches('^a')",
            "int('1') == 1",
            "uint(1) == 1u",
            "double(1) == 1.0",
            "string(1) == '1'",
            "bytes('a') == b'a'",
            "bool('true')",
            "type(1) == int",
            "dyn(1) == 1",
            "duration('1s') == duration('1000ms')",
            "timestamp('2024-01-02T00:00:00Z').getFullYear() == 2024",
            "timestamp('2024-01-02T00:00:00Z').getMonth() == 0",
            "timestamp('2024-01-02T00:00:00Z').getDate() == 2",
            "timestamp('2024-01-02T00:00:00Z').getDayOfMonth() == 1",
            "timestamp('2024-01-02T00:00:00Z').getDayOfWeek() == 2",
            "timestamp('2024-01-02T00:00:00Z').getDayOfYear() == 1",
            "timestamp('2024-01-02T03:04:05Z').getHours() == 3",
            "timestamp('2024-01-02T03:04:05Z').getMinutes() == 4",
            "timestamp('2024-01-02T03:04:05Z').getSeconds() == 5",
            "timestamp('2024-01-02T03:04:05Z').getMilliseconds() == 0",
            "optional.of(1).hasValue()",
            "!optional.none().hasValue()",
            "optional.ofNonZeroValue(1).value() == 1",
            "optional.none().or(optional.of(2)).value() == 2",
            "optional.none().orValue(3) == 3",
            "'abc'.charAt(1) == 'b'",
            "'abc'.indexOf('c') == 2",
            "'abca'.lastIndexOf('a') == 3",
            "'Ab'.lowerAscii() == 'ab'",
            "'ab'.upperAscii() == 'AB'",
            "'aa'.replace('a', 'b') == 'bb'",
            "'a,b'.split(',') == ['a', 'b']",
            "'abc'.substring(1) == 'bc'",
            "' a '.trim() == 'a'",
            "['a', 'b'].join('-') == 'a-b'",
            "'%s'.format(['x']) == 'x'",
            "strings.quote('a') == '\"a\"'",
            "'ab'.reverse() == 'ba'",
            "[1, 2, 3].slice(1, 2) == [2]",
            "[[1], [2]].flatten() == [1, 2]",
            "[1, 1].distinct() == [1]",
            "[2, 1].sort() == [1, 2]",
            "lists.range(2) == [0, 1]",
            "[1, 2].isSorted()",
            "[1, 2].sum() == 3",
            "[1, 2].min() == 1",
            "[1, 2].max() == 2",
            "[1, 2].indexOf(2) == 1",
            "[1, 2, 1].lastIndexOf(1) == 2",
            "math.greatest(1, 2) == 2",
            "math.least(1, 2) == 1",
            "math.abs(-1) == 1",
            "math.ceil(1.2) == 2.0",
            "math.floor(1.8) == 1.0",
            "math.round(1.5) == 2.0",
            "math.trunc(1.5) == 1.0",
            "math.sign(-2) == -1",
            "math.sqrt(4) == 2.0",
            "!math.isInf(1.0)",
            "!math.isNaN(1.0)",
            "math.isFinite(1.0)",
            "math.bitAnd(3, 1) == 1",
            "math.bitOr(2, 1) == 3",
            "math.bitXor(3, 1) == 2",
            "math.bitNot(0) == -1",
            "base64.encode(b'a') == 'YQ=='",
            "base64.decode('YQ==') == b'a'",
            "'abc123'.find('[0-9]+') == '123'",
            "'a1b2'.findAll('[0-9]') == ['1', '2']",
            "'a1b2'.findAll('[0-9]', 1) == ['1']",
            "isURL('https://a.b/c')",
            "url('https://a.b:8/c?x=1').getScheme() == 'https'",
            "url('https://a.b:8/c').getHost() == 'a.b:8'",
            "url('https://a.b:8/c').getHostname() == 'a.b'",
            "url('https://a.b:8/c').getPort() == '8'",
            "url('https://a.b/c%20d').getEscapedPath() == '/c%20d'",
            "url('https://a.b/c?x=1&x=2').getQuery() == {'x': ['1', '2']}",
            "string(url('https://a.b/')) == 'https://a.b/'",
            "isIP('10.0.0.1')",
            "ip.isCanonical('10.0.0.1')",
            "ip('::1').family() == 6",
            "ip('0.0.0.0').isUnspecified()",
            "ip('127.0.0.1').isLoopback()",
            "ip('224.0.0.1').isLinkLocalMulticast()",
            "ip('169.254.1.1').isLinkLocalUnicast()",
            "ip('8.8.8.8').isGlobalUnicast()",
            "string(ip('10.0.0.1')) == '10.0.0.1'",
            "isCIDR('10.0.0.0/8')",
            "cidr('10.0.0.0/8').containsIP('10.1.1.1')",
            "cidr('10.0.0.0/8').containsIP(ip('10.1.1.1'))",
            "cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16')",
            "cidr('10.0.0.0/8').containsCIDR(cidr('10.1.0.0/16'))",
            "cidr('10.1.2.3/8').ip() == ip('10.1.2.3')",
            "cidr('10.1.2.3/8').masked() == cidr('10.0.0.0/8')",
            "cidr('10.0.0.0/8').prefixLength() == 8",
            "string(cidr('10.0.0.0/8')) == '10.0.0.0/8'",
            "isQuantity('1Gi')",
            "quantity('-1').sign() == -1",
            "quantity('2').isInteger()",
            "quantity('2k').asInteger() == 2000",
            "quantity('500m').asApproximateFloat() == 0.5",
            "quantity('1').add(quantity('1')) == quantity('2')",
            "quantity('1').add(1) == quantity('2')",
            "quantity('2').sub(quantity('1')) == quantity('1')",
            "quantity('2').sub(1) == quantity('1')",
            "quantity('1Ki').compareTo(quantity('1k')) == 1",
            "quantity('1Gi').isGreaterThan(quantity('1G'))",
            "quantity('1m').isLessThan(quantity('1'))",
            "format.named('dns1123Label').hasValue()",
            "!format.dns1123Label().validate('web-1').hasValue()",
            "format.dns1123Label().validate('Web_1').hasValue()",
            "!format.dns1123Subdomain().validate('a.b').hasValue()",
            "format.dns1035Label().validate('1a').hasValue()",
            "!format.qualifiedName().validate('example.com/a').hasValue()",
            "!format.dns1123LabelPrefix().validate('web-').hasValue()",
            "!format.dns1123SubdomainPrefix().validate('a.b-').hasValue()",
            "!format.dns1035LabelPrefix().validate('a-').hasValue()",
            "!format.labelValue().validate('').hasValue()",
            "!format.uri().validate('https://a').hasValue()",
            "!format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()",
            "!format.byte().validate('YQ==').hasValue()",
            "!format.date().validate('2024-01-02').hasValue()",
            "!format.datetime().validate('2024-01-02T00:00:00Z').hasValue()",
        ];
        let mut covered = std::collections::HashSet::new();
        for c in calls {
            assert_eq!(
                eval(c, o.clone()).unwrap_or_else(|e| panic!("{c}: {e}")),
                cel::Value::Bool(true),
                "{c}"
            );
            for (name, _) in cel_lib::KNOWN_FUNCTIONS {
                let short = name.rsplit('.').next().unwrap();
                if c.contains(&format!("{short}(")) {
                    covered.insert(*name);
                }
            }
        }
        for (name, _) in cel_lib::KNOWN_FUNCTIONS {
            assert!(covered.contains(name), "{name} is listed but not exercised");
        }
    }

    #[test]
    fn unknown_and_unsupported_functions_are_load_errors_with_lines() {
        let text = "spec:\n  validations:\n  - expression: |\n      object.a == 1 &&\n      object.b.frobnicate()\n";
        let lines: Vec<&str> = text.lines().collect();
        let node = kubefort_core::yaml::load_str(text, &Default::default())
            .remove(0)
            .unwrap()
            .root;
        let doc = Doc {
            file: "p.yaml".into(),
            node: &node,
            json: node.to_json(),
            lines: &lines,
        };
        let e = compile(
            &doc,
            "spec.validations[0].expression",
            "object.a == 1 &&\nobject.b.frobnicate()\n",
        )
        .err()
        .unwrap();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("frobnicate"), "{e}");
        let e = compile(
            &doc,
            "spec.validations[0].expression",
            "authorizer.group('').check('x').allowed()",
        )
        .err()
        .unwrap();
        assert!(e.message.contains("not supported"), "{e}");
        let e = compile(&doc, "spec.validations[0].expression", "object.a ==")
            .err()
            .unwrap();
        assert!(e.message.contains("syntax error"), "{e}");
        assert_eq!(e.line, Some(4));
    }
}
