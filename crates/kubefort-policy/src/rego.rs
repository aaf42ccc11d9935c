//! Rego through `regorus`: compiling modules with errors mapped to file
//! lines, a pool of prepared engines per policy, and conftest-style
//! packages (`deny`, `violation`, `warn` rules, also with a `_suffix`).

use std::sync::{Arc, Mutex};

use kubefort_core::Severity;
use regorus::Engine;

use crate::convert::Input;
use crate::{intern, Action, PolicyError, Violation};

/// A Rego module's source and where its first line sits in a file.
pub struct Module {
    pub file: Arc<str>,
    /// File line of the module's line 1.
    pub first_line: u32,
    pub text: String,
}

/// A new engine with kubefort's compatibility helpers.
pub fn new_engine(v0: bool) -> Engine {
    let mut e = Engine::new();
    e.set_strict_builtin_errors(false);
    e.add_extension("kubefort_fmt".into(), 2, Box::new(go_format_args))
        .expect("a new name");
    e.set_rego_v0(v0);
    let compat = if v0 {
        "package kubefort_compat\n\nfmt(f, a) = s {\n  p := kubefort_fmt(f, a)\n  s := sprintf(p[0], p[1])\n}\n"
    } else {
        "package kubefort_compat\n\nfmt(f, a) := s if {\n  p := kubefort_fmt(f, a)\n  s := sprintf(p[0], p[1])\n}\n"
    };
    e.add_policy("kubefort_compat.rego".into(), compat.into())
        .expect("the helper module parses");
    e
}

/// `sprintf` as Go's `fmt.Sprintf` (which OPA uses) treats a verb without
/// an argument: it prints `%!v(MISSING)` where regorus fails. Calls are
/// routed through `kubefort_compat.fmt`, which supplies those texts.
fn go_format_args(args: Vec<regorus::Value>) -> anyhow::Result<regorus::Value> {
    let f = args[0]
        .as_string()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let list: Vec<regorus::Value> = match &args[1] {
        regorus::Value::Array(a) => a.iter().cloned().collect(),
        other => vec![other.clone()],
    };
    // find the verbs
    let b = f.as_bytes();
    let mut verbs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.get(i + 1) == Some(&b'%') {
                i += 2;
                continue;
            }
            let mut j = i + 1;
            while j < b.len() && !b[j].is_ascii_alphabetic() {
                j += 1;
            }
            if j < b.len() {
                verbs.push((i, j));
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    if verbs.len() <= list.len() {
        return Ok(regorus::Value::from(vec![args[0].clone(), args[1].clone()]));
    }
    let mut out = String::new();
    let mut last = 0;
    let mut list = list;
    for (k, (start, end)) in verbs.iter().enumerate() {
        out.push_str(&f[last..*start]);
        if k < list.len() {
            out.push_str(&f[*start..=*end]);
        } else {
            out.push_str("%s");
        }
        last = end + 1;
    }
    out.push_str(&f[last..]);
    for (_, end) in verbs.iter().skip(list.len()) {
        let verb = b[*end] as char;
        list.push(regorus::Value::from(format!("%!{verb}(MISSING)")));
    }
    Ok(regorus::Value::from(vec![
        regorus::Value::from(out),
        regorus::Value::from(list),
    ]))
}

/// Route `sprintf` calls through the compatibility helper.
fn route_sprintf(text: &str) -> String {
    let re = regex::Regex::new(r"(^|[^A-Za-z0-9_.])sprintf\(").expect("valid");
    re.replace_all(text, "${1}data.kubefort_compat.fmt(")
        .into_owned()
}

/// Compile modules into an engine; errors name the file and line.
pub fn engine(modules: &[Module], v0: bool) -> Result<Engine, PolicyError> {
    let mut e = new_engine(v0);
    for (i, m) in modules.iter().enumerate() {
        let id = format!("module{i}.rego");
        let text = route_sprintf(&if v0 {
            normalize_v0(&m.text)
        } else {
            m.text.clone()
        });
        if let Err(err) = e.add_policy(id, text) {
            return Err(located(m, &err.to_string()));
        }
    }
    Ok(e)
}

/// A regorus error as a [`PolicyError`] at the file line it names.
pub fn located(m: &Module, err: &str) -> PolicyError {
    let re = regex::Regex::new(r"--> [^:\s]+:(\d+):(\d+)").expect("valid");
    let line = re
        .captures(err)
        .and_then(|c| c[1].parse::<u32>().ok())
        .map(|l| m.first_line + l.saturating_sub(1));
    let msg = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(err)
        .trim()
        .to_string();
    PolicyError {
        file: m.file.clone(),
        line: Some(line.unwrap_or(m.first_line)),
        message: format!("Rego: {msg}"),
    }
}

/// Prepared engines, cloned from one compiled engine on demand.
pub struct Pool {
    base: Mutex<Engine>,
    idle: Mutex<Vec<Engine>>,
}

impl Pool {
    pub fn new(base: Engine) -> Pool {
        Pool {
            base: Mutex::new(base),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Run `f` on an engine of the pool.
    pub fn with<T>(&self, f: impl FnOnce(&mut Engine) -> T) -> T {
        let e = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut e =
            e.unwrap_or_else(|| self.base.lock().unwrap_or_else(|p| p.into_inner()).clone());
        let r = f(&mut e);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(e);
        r
    }
}

/// Messages of a conftest or Gatekeeper result: strings, or objects with
/// `msg` (and optional `details`); `(message, details)`.
pub fn messages(v: &regorus::Value) -> Vec<(String, Option<serde_json::Value>)> {
    let items: Vec<regorus::Value> = match v {
        regorus::Value::Set(s) => s.iter().cloned().collect(),
        regorus::Value::Array(a) => a.iter().cloned().collect(),
        regorus::Value::Undefined | regorus::Value::Null => vec![],
        regorus::Value::Bool(false) => vec![],
        other => vec![other.clone()],
    };
    items
        .into_iter()
        .filter_map(|item| {
            let j: serde_json::Value = serde_json::from_str(&item.to_json_str().ok()?).ok()?;
            match j {
                serde_json::Value::String(s) => Some((s, None)),
                serde_json::Value::Object(o) => {
                    let msg = o
                        .get("msg")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                        .unwrap_or_else(|| serde_json::Value::Object(o.clone()).to_string());
                    Some((msg, o.get("details").cloned()))
                }
                serde_json::Value::Bool(true) => Some(("policy violated".into(), None)),
                other => Some((other.to_string(), None)),
            }
        })
        .collect()
}

/// One conftest rule.
struct ConftestRule {
    /// `data.<package>.<rule>`
    path: String,
    name: &'static str,
    action: Action,
    severity: Severity,
}

/// Conftest-style Rego: every `.rego` file of the policy paths in one
/// engine, the rules `deny*`, `violation*` and `warn*` of the queried
/// packages evaluated with the object as input.
pub struct Conftest {
    pool: Pool,
    rules: Vec<ConftestRule>,
    file: Arc<str>,
}

impl Conftest {
    /// `files`: path and text; `namespaces`: packages to query.
    pub fn load(
        files: &[(Arc<str>, String)],
        namespaces: &[String],
        default_severity: Option<Severity>,
    ) -> (Option<Conftest>, Vec<PolicyError>) {
        let mut errors = Vec::new();
        let mut good: Vec<(Module, bool)> = Vec::new();
        for (file, text) in files {
            let m = Module {
                file: file.clone(),
                first_line: 1,
                text: text.clone(),
            };
            // Rego v1 first (conftest's default), then v0.
            match engine(std::slice::from_ref(&m), false) {
                Ok(_) => good.push((m, false)),
                Err(e1) => match engine(std::slice::from_ref(&m), true) {
                    Ok(_) => good.push((m, true)),
                    Err(_) => errors.push(e1),
                },
            }
        }
        if good.is_empty() {
            return (None, errors);
        }
        let mut e = new_engine(false);
        let mut rules = Vec::new();
        let head = regex::Regex::new(r"^(deny|violation|warn)(_[A-Za-z0-9_]+)?\b").expect("valid");
        let pkg_re = regex::Regex::new(r"^package\s+([A-Za-z0-9_.]+)").expect("valid");
        let sev_re = regex::Regex::new(r"^#\s+severity:\s*([A-Za-z]+)").expect("valid");
        for (i, (m, v0)) in good.iter().enumerate() {
            e.set_rego_v0(*v0);
            let text = route_sprintf(&if *v0 {
                normalize_v0(&m.text)
            } else {
                m.text.clone()
            });
            if let Err(err) = e.add_policy(format!("module{i}.rego"), text) {
                errors.push(located(m, &err.to_string()));
                continue;
            }
            let mut pkg = String::new();
            let mut severity: Option<Severity> = None;
            for line in m.text.lines() {
                if let Some(c) = pkg_re.captures(line) {
                    pkg = c[1].to_string();
                }
                if let Some(c) = sev_re.captures(line) {
                    severity = c[1].parse().ok();
                }
                if let Some(c) = head.captures(line) {
                    if !namespaces.contains(&pkg) {
                        continue;
                    }
                    let rule = format!("{}{}", &c[1], c.get(2).map_or("", |m| m.as_str()));
                    let path = format!("data.{pkg}.{rule}");
                    if rules.iter().any(|r: &ConftestRule| r.path == path) {
                        severity = None;
                        continue;
                    }
                    let action = if &c[1] == "warn" {
                        Action::Warn
                    } else {
                        Action::Deny
                    };
                    rules.push(ConftestRule {
                        name: intern(&format!("{pkg}.{rule}")),
                        path,
                        action,
                        severity: severity.or(default_severity).unwrap_or(match action {
                            Action::Warn => Severity::Low,
                            _ => Severity::High,
                        }),
                    });
                    severity = None;
                }
            }
        }
        let file = good[0].0.file.clone();
        (
            Some(Conftest {
                pool: Pool::new(e),
                rules,
                file,
            }),
            errors,
        )
    }

    pub fn rule_names(&self) -> Vec<&'static str> {
        self.rules.iter().map(|r| r.name).collect()
    }

    pub(crate) fn evaluate(
        &self,
        input: &mut Input<'_>,
        out: &mut Vec<Violation>,
    ) -> Result<(), PolicyError> {
        if self.rules.is_empty() {
            return Ok(());
        }
        let obj = input.rego_object();
        self.pool.with(|e| {
            e.set_input(obj);
            for r in &self.rules {
                match e.eval_rule(r.path.clone()) {
                    Ok(v) => {
                        for (msg, _) in messages(&v) {
                            out.push(Violation {
                                rule: r.name,
                                severity: r.severity,
                                actions: vec![r.action],
                                message: msg,
                                reason: None,
                                field_path: None,
                                source: self.file.clone(),
                                binding: None,
                            });
                        }
                    }
                    Err(err) => {
                        return Err(PolicyError {
                            file: self.file.clone(),
                            line: None,
                            message: format!("{}: evaluation failed: {err}", r.path),
                        })
                    }
                }
            }
            Ok(())
        })
    }
}

/// Rewrites that make regorus read Rego v0 as OPA does, line for line (so
/// error lines stay right):
///
/// - a rule with several bodies, `p { a } { b }`, becomes `p { a } p { b }`
///   (regorus reads the second body as `else` and refuses it for set rules);
/// - a line ending a term followed by a line opening with `(` ends the
///   statement (`;`), as a newline does for OPA (regorus reads a call);
/// - `not f(…, a.b, …)`: OPA's compiler evaluates reference arguments
///   before the negation, so an undefined argument fails the body rather
///   than satisfying `not`; the references are bound first here too.
pub fn normalize_v0(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut head: Option<String> = None;
    let mut fresh = 0usize;
    let not_call =
        regex::Regex::new(r"^(\s*)not\s+([A-Za-z_][A-Za-z0-9_.]*)\((.*)\)\s*$").expect("valid");
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let mut l = line.to_string();
        if !line.starts_with([' ', '\t', '#', '}'])
            && trimmed.ends_with('{')
            && !trimmed.starts_with("package")
            && !trimmed.starts_with("import")
        {
            head = Some(trimmed.trim_end_matches('{').trim_end().to_string());
        }
        if trimmed == "} {" {
            if let Some(h) = &head {
                let indent = &line[..line.len() - line.trim_start().len()];
                l = format!("{indent}}} {h} {{");
            }
        } else if let Some(c) = not_call.captures(line) {
            let args = split_args(&c[3]);
            if let Some(args) = args {
                let mut binds = Vec::new();
                let mut new_args = Vec::new();
                for a in args {
                    let a = a.trim();
                    let is_ref = (a.contains('.') || a.contains('['))
                        && !a.starts_with(['"', '`', '[', '{'])
                        && !a.contains('(')
                        && a.chars()
                            .next()
                            .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_');
                    if is_ref {
                        fresh += 1;
                        let v = format!("__kf_arg{fresh}__");
                        binds.push(format!("{v} := {a}; "));
                        new_args.push(v);
                    } else {
                        new_args.push(a.to_string());
                    }
                }
                if !binds.is_empty() {
                    l = format!(
                        "{}{}not {}({})",
                        &c[1],
                        binds.concat(),
                        &c[2],
                        new_args.join(", ")
                    );
                }
            }
        }
        // a statement followed by a line opening with `(`
        if let Some(next) = lines[i + 1..].iter().find(|n| !n.trim().is_empty()) {
            let t = l.trim_end();
            if next.trim_start().starts_with('(')
                && line.starts_with([' ', '\t'])
                && !t.trim_start().starts_with('#')
                && !t.is_empty()
                && !t.ends_with([
                    '(', ',', '[', '{', '+', '-', '*', '/', '=', '|', '&', '<', '>', ':', ';',
                ])
                && !t.ends_with("not")
            {
                l = format!("{t};");
            }
        }
        out.push(l);
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Top-level comma-separated arguments, or `None` when unbalanced.
fn split_args(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let mut in_str = false;
    let mut prev = '\0';
    for ch in s.chars() {
        if in_str {
            cur.push(ch);
            if ch == '"' && prev != '\\' {
                in_str = false;
            }
        } else {
            match ch {
                '"' => {
                    in_str = true;
                    cur.push(ch);
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    cur.push(ch);
                }
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth < 0 {
                        return None;
                    }
                    cur.push(ch);
                }
                ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            }
        }
        prev = ch;
    }
    if depth != 0 || in_str {
        return None;
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, input: &str, rule: &str) -> regorus::Value {
        let mut e = Engine::new();
        e.set_rego_v0(true);
        e.add_policy("p.rego".into(), normalize_v0(src)).unwrap();
        e.set_input(regorus::Value::from_json_str(input).unwrap());
        e.eval_rule(rule.into()).unwrap()
    }

    #[test]
    fn a_verb_without_argument_prints_as_in_go() {
        let m = Module {
            file: "t.rego".into(),
            first_line: 1,
            text: "package p\n\nmsg := sprintf(\"%v and %v, %d\", [1])\n".into(),
        };
        let mut e = engine(&[m], true).unwrap();
        assert_eq!(
            e.eval_rule("data.p.msg".into()).unwrap(),
            regorus::Value::from("1 and %!v(MISSING), %!d(MISSING)")
        );
    }

    #[test]
    fn several_bodies_of_a_set_rule() {
        let src = "package p\n\nviolation[{\"msg\": msg}] {\n  input.a == 1\n  msg := \"a\"\n} {\n  input.b == 1\n  msg := \"b\"\n}\n";
        let v = eval(src, r#"{"a": 1, "b": 1}"#, "data.p.violation");
        assert_eq!(messages(&v).len(), 2);
        assert_eq!(normalize_v0(src).lines().count(), src.lines().count());
    }

    #[test]
    fn a_newline_ends_a_statement_before_a_parenthesis() {
        let src = "package p\n\nok {\n  input.x\n  (input.y - input.z) >= input.x\n}\n";
        assert_eq!(
            eval(src, r#"{"x": 1, "y": 5, "z": 1}"#, "data.p.ok"),
            regorus::Value::from(true)
        );
    }

    #[test]
    fn an_undefined_reference_argument_fails_the_negation_as_in_opa() {
        let src = "package p\n\nf(\"any\", _)\n\nviolation[m] {\n  p := input.p\n  not f(p.rule, p.ranges)\n  m := \"v\"\n}\n";
        // `p.ranges` is undefined: OPA binds it first, so the body fails
        let v = eval(src, r#"{"p": {"rule": "other"}}"#, "data.p.violation");
        assert!(messages(&v).is_empty(), "{v:?}");
        let v = eval(
            src,
            r#"{"p": {"rule": "other", "ranges": []}}"#,
            "data.p.violation",
        );
        assert_eq!(messages(&v).len(), 1);
    }
}
