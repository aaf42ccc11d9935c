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

/// Compile modules into an engine; errors name the file and line.
pub fn engine(modules: &[Module], v0: bool) -> Result<Engine, PolicyError> {
    let mut e = Engine::new();
    e.set_rego_v0(v0);
    e.set_strict_builtin_errors(false);
    for (i, m) in modules.iter().enumerate() {
        let id = format!("module{i}.rego");
        if let Err(err) = e.add_policy(id, m.text.clone()) {
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
        let mut e = e.unwrap_or_else(|| self.base.lock().unwrap_or_else(|p| p.into_inner()).clone());
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
            let j: serde_json::Value =
                serde_json::from_str(&item.to_json_str().ok()?).ok()?;
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
        let mut e = Engine::new();
        e.set_strict_builtin_errors(false);
        let mut rules = Vec::new();
        let head = regex::Regex::new(r"^(deny|violation|warn)(_[A-Za-z0-9_]+)?\b").expect("valid");
        let pkg_re = regex::Regex::new(r"^package\s+([A-Za-z0-9_.]+)").expect("valid");
        let sev_re = regex::Regex::new(r"^#\s+severity:\s*([A-Za-z]+)").expect("valid");
        for (i, (m, v0)) in good.iter().enumerate() {
            e.set_rego_v0(*v0);
            if let Err(err) = e.add_policy(format!("module{i}.rego"), m.text.clone()) {
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
                    if !namespaces.iter().any(|n| *n == pkg) {
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
