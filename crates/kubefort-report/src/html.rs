//! The HTML posture report: one self-contained file (inline CSS, SVG and
//! JavaScript; nothing is fetched) with scores, charts, a heatmap, the top
//! risks, graphs and every finding with its rule docs, source excerpt and
//! fix, filterable in the page. docs/html-report.md describes it.
//!
//! The writer does no I/O: the source text of the files the findings point
//! into and the graphs come in [`Extras`], filled by the caller.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use kubefort_core::{Finding, ObjectRef, Report, RuleMeta, Severity, SkipLevel};
use serde_json::json;

use crate::baseline::State;
use crate::{counts, run_fails, WriteOptions};

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Lines of source shown before and after a finding's line.
const CONTEXT_LINES: usize = 4;
/// Longest source line shown, in characters.
const MAX_LINE_CHARS: usize = 240;
/// Objects in the top risks.
const TOP_RISKS: usize = 10;

/// What the report shows besides the findings.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// The text of the files findings point into, by the file name of
    /// their location. Findings of other files show their path only.
    pub sources: HashMap<String, String>,
    /// Graphs of the analyses that ran (RBAC escalation, NetworkPolicy
    /// connectivity).
    pub graphs: Vec<Graph>,
    /// When the report was made, in seconds since the Unix epoch.
    pub generated: u64,
}

/// A directed graph drawn in the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Graph {
    /// `rbac` or `netpol`: also the element id.
    pub id: String,
    pub title: String,
    /// One paragraph: what the graph shows.
    pub description: String,
    /// `layered` (left to right, sources first) or `circle`.
    pub layout: String,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// Edges left out because there were too many to draw.
    pub omitted_edges: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphNode {
    pub label: String,
    /// Colours the node: `subject`, `capability`, `target`, `workload`, `external`.
    pub kind: String,
    /// Text shown on hover.
    pub detail: String,
    /// Text put in the findings' search box when the node is double-clicked.
    pub search: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub detail: String,
}

/// How much one finding of a severity puts its object at risk.
pub fn weight(s: Severity) -> f64 {
    match s {
        Severity::Critical => 1.0,
        Severity::High => 0.5,
        Severity::Medium => 0.2,
        Severity::Low => 0.1,
        Severity::Info => 0.0,
    }
}

/// A score from 0 to 100: 100 × (1 − the mean risk of the objects), where
/// an object's risk is the sum of its findings' weights, at most 1.
pub fn score(risks: &[f64]) -> u32 {
    if risks.is_empty() {
        return 100;
    }
    let mean = risks.iter().map(|r| r.min(1.0)).sum::<f64>() / risks.len() as f64;
    (100.0 * (1.0 - mean)).round().clamp(0.0, 100.0) as u32
}

/// The letter of a score: A from 90, B from 75, C from 60, D from 40, else F.
pub fn grade(score: u32) -> &'static str {
    match score {
        90.. => "A",
        75..=89 => "B",
        60..=74 => "C",
        40..=59 => "D",
        _ => "F",
    }
}

/// Name shown for objects without a namespace.
const NO_NAMESPACE: &str = "(cluster-scoped)";

fn namespace_of(o: &ObjectRef) -> &str {
    o.namespace.as_deref().unwrap_or(NO_NAMESPACE)
}

fn group_of(f: &Finding) -> &'static str {
    f.groups.first().copied().unwrap_or("other")
}

/// What widens the damage a compromised object can do, from its findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blast {
    /// Reachable from outside: the node's network, host ports, a Service
    /// exposed without ingress policy, or no NetworkPolicy at all.
    pub exposed: bool,
    /// Breaks out of the container: privileged, host namespaces, host
    /// paths, dangerous capabilities.
    pub privileged: bool,
    /// Grants or holds powerful RBAC permissions (cluster-admin, escalation
    /// paths, wildcards, Secrets, tokens, exec, the kubelet API).
    pub powerful_account: bool,
}

impl Blast {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Blast {
        let mut b = Blast::default();
        for f in findings {
            let path = f.path.as_str();
            match f.rule {
                "host-network"
                | "pss-host-ports"
                | "exposed-service-without-ingress-policy"
                | "workload-without-network-policy" => b.exposed = true,
                "pss-host-namespaces" if path.ends_with("hostNetwork") => b.exposed = true,
                "privileged-container"
                | "pss-privileged"
                | "host-pid"
                | "host-ipc"
                | "host-path-volume"
                | "pss-host-path-volumes"
                | "dangerous-capabilities"
                | "pss-capabilities-baseline"
                | "pss-host-process"
                | "pss-host-namespaces" => b.privileged = true,
                "rbac-cluster-admin-binding"
                | "rbac-escalation-path"
                | "rbac-escalation-verbs"
                | "rbac-binding-to-everyone"
                | "rbac-wildcard"
                | "rbac-secret-read"
                | "rbac-token-create"
                | "rbac-pod-exec"
                | "rbac-nodes-proxy"
                | "rbac-default-service-account" => b.powerful_account = true,
                _ => {}
            }
        }
        b
    }

    pub fn radius(self) -> u32 {
        u32::from(self.exposed) + u32::from(self.privileged) + u32::from(self.powerful_account)
    }
}

/// HTML text escaping (also safe inside attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a `<script type="application/json">` element: `<` is escaped so
/// no string can close the element.
fn script_json(v: &serde_json::Value) -> String {
    serde_json::to_string(v)
        .expect("JSON serializes")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A stable, HTML-id-safe name.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// `YYYY-MM-DD HH:MM UTC` of seconds since the epoch.
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Markdown of rule docs as HTML: headings, paragraphs, lists, fenced code,
/// inline code, bold, italics and links. Everything is escaped first.
pub fn markdown(md: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut list: Option<&str> = None;
    let mut code: Option<Vec<&str>> = None;
    let flush_para = |out: &mut String, para: &mut Vec<&str>| {
        if !para.is_empty() {
            let _ = write!(out, "<p>{}</p>", inline(&para.join(" ")));
            para.clear();
        }
    };
    let close_list = |out: &mut String, list: &mut Option<&str>| {
        if let Some(tag) = list.take() {
            let _ = write!(out, "</{tag}>");
        }
    };
    for line in md.lines() {
        if let Some(lines) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                let _ = write!(
                    out,
                    "<pre class=\"doc-code\"><code>{}</code></pre>",
                    escape(&lines.join("\n"))
                );
                code = None;
            } else {
                lines.push(line);
            }
            continue;
        }
        let t = line.trim();
        if t.starts_with("```") {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
            code = Some(Vec::new());
        } else if t.is_empty() {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
        } else if let Some(h) = t.strip_prefix('#') {
            flush_para(&mut out, &mut para);
            close_list(&mut out, &mut list);
            let level = 1 + h.chars().take_while(|c| *c == '#').count();
            let text = h.trim_start_matches('#').trim();
            // Rule docs use ## for their sections: shown one level down.
            let tag = (level + 2).min(6);
            let _ = write!(out, "<h{tag}>{}</h{tag}>", inline(text));
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            flush_para(&mut out, &mut para);
            if list != Some("ul") {
                close_list(&mut out, &mut list);
                out.push_str("<ul>");
                list = Some("ul");
            }
            let _ = write!(out, "<li>{}</li>", inline(item));
        } else if let Some(item) = numbered(t) {
            flush_para(&mut out, &mut para);
            if list != Some("ol") {
                close_list(&mut out, &mut list);
                out.push_str("<ol>");
                list = Some("ol");
            }
            let _ = write!(out, "<li>{}</li>", inline(item));
        } else if list.is_some() && line.starts_with("  ") {
            // A continuation of the list item: appended to it.
            if out.ends_with("</li>") {
                out.truncate(out.len() - "</li>".len());
                let _ = write!(out, " {}</li>", inline(t));
            }
        } else {
            close_list(&mut out, &mut list);
            para.push(t);
        }
    }
    if let Some(lines) = code {
        let _ = write!(
            out,
            "<pre class=\"doc-code\"><code>{}</code></pre>",
            escape(&lines.join("\n"))
        );
    }
    flush_para(&mut out, &mut para);
    close_list(&mut out, &mut list);
    out
}

fn numbered(t: &str) -> Option<&str> {
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    t[digits..].strip_prefix(". ")
}

/// Inline Markdown: `code`, **bold**, *italic*, [text](url).
fn inline(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let find = |from: usize, pat: &[char]| -> Option<usize> {
        (from..chars.len().saturating_sub(pat.len() - 1)).find(|&j| chars[j..].starts_with(pat))
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            if let Some(end) = find(i + 1, &['`']) {
                let _ = write!(out, "<code>{}</code>", escape(&text(i + 1, end)));
                i = end + 1;
                continue;
            }
        } else if c == '*' && chars.get(i + 1) == Some(&'*') {
            if let Some(end) = find(i + 2, &['*', '*']) {
                let _ = write!(out, "<strong>{}</strong>", inline(&text(i + 2, end)));
                i = end + 2;
                continue;
            }
        } else if c == '*' || c == '_' && (i == 0 || !chars[i - 1].is_alphanumeric()) {
            if let Some(end) = find(i + 1, &[c]) {
                if end > i + 1 && !chars[i + 1].is_whitespace() {
                    let _ = write!(out, "<em>{}</em>", inline(&text(i + 1, end)));
                    i = end + 1;
                    continue;
                }
            }
        } else if c == '[' {
            if let Some(close) = find(i + 1, &[']', '(']) {
                if let Some(end) = find(close + 2, &[')']) {
                    let url = text(close + 2, end);
                    if url.starts_with("https://") || url.starts_with("http://") {
                        let _ = write!(
                            out,
                            "<a href=\"{}\" rel=\"noreferrer\">{}</a>",
                            escape(&url),
                            inline(&text(i + 1, close))
                        );
                        i = end + 1;
                        continue;
                    }
                }
            }
        }
        out.push_str(&escape(&c.to_string()));
        i += 1;
    }
    out
}

/// The first and last line (1-based) of the excerpt around `line` in a
/// text of `len` lines; `None` when the line is not in it.
fn window(len: usize, line: u32) -> Option<(usize, usize)> {
    let at = line as usize;
    if at == 0 || at > len {
        return None;
    }
    Some((
        at.saturating_sub(CONTEXT_LINES).max(1),
        (at + CONTEXT_LINES).min(len),
    ))
}

/// A source line as shown: at most [`MAX_LINE_CHARS`] characters.
fn shown_line(l: &str) -> String {
    let mut out: String = l.chars().take(MAX_LINE_CHARS).collect();
    if out.len() < l.len() {
        out.push('…');
    }
    out
}

fn severity_rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// One object of the report with its findings.
struct ObjectRisk<'a> {
    object: &'a ObjectRef,
    file: &'a str,
    findings: Vec<usize>,
    risk: f64,
}

/// A bar of a chart: label, the filter a click applies, (severity, count) stack.
type Bar = (String, String, Vec<(Severity, usize)>);

/// A horizontal bar chart; each bar a stack of (severity, count).
fn bar_chart(title: &str, rows: &[Bar]) -> String {
    let max = rows
        .iter()
        .map(|(_, _, s)| s.iter().map(|(_, n)| n).sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let label_w = 150.0;
    let bar_w = 300.0;
    let row_h = 26.0;
    let height = row_h * rows.len().max(1) as f64 + 8.0;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {} {height}\" width=\"100%\">",
        escape(title),
        label_w + bar_w + 50.0
    );
    for (i, (label, filter, stack)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let total: usize = stack.iter().map(|(_, n)| n).sum();
        let _ = write!(
            svg,
            "<g class=\"bar\" data-filter=\"{}\" tabindex=\"0\"><title>{}: {total}</title>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\">{}</text>",
            escape(filter),
            escape(label),
            label_w - 8.0,
            y + 16.0,
            escape(label)
        );
        let mut x = label_w;
        for (sev, n) in stack {
            if *n == 0 {
                continue;
            }
            let w = bar_w * *n as f64 / max as f64;
            let _ = write!(
                svg,
                "<rect class=\"sev-{}\" x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" rx=\"2\"><title>{label}: {n} {}</title></rect>",
                sev.as_str(),
                y + 3.0,
                row_h - 8.0,
                sev.as_str(),
                label = escape(label),
            );
            x += w;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" class=\"count\">{total}</text></g>",
            x + 6.0,
            y + 16.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The score as a ring.
fn gauge(score: u32, label: &str) -> String {
    let r = 52.0;
    let c = 2.0 * std::f64::consts::PI * r;
    let filled = c * f64::from(score) / 100.0;
    let g = grade(score);
    format!(
        "<svg class=\"gauge grade-{g}\" viewBox=\"0 0 140 140\" width=\"140\" height=\"140\" role=\"img\" aria-label=\"{label} {score} of 100, grade {g}\">\
         <circle cx=\"70\" cy=\"70\" r=\"{r}\" class=\"gauge-bg\"/>\
         <circle cx=\"70\" cy=\"70\" r=\"{r}\" class=\"gauge-fg\" stroke-dasharray=\"{filled:.1} {c:.1}\" transform=\"rotate(-90 70 70)\"/>\
         <text x=\"70\" y=\"70\" class=\"gauge-score\">{score}</text>\
         <text x=\"70\" y=\"96\" class=\"gauge-grade\">grade {g}</text></svg>",
        label = escape(label)
    )
}

/// Write the report.
pub fn write(report: &Report, opts: &WriteOptions, extras: &Extras) -> String {
    let cmp = opts.baseline.as_deref();
    let findings = &report.findings;

    // Objects: every scanned one, and any a finding names.
    let mut objects: Vec<ObjectRisk<'_>> = Vec::new();
    let mut index: HashMap<(&str, &ObjectRef), usize> = HashMap::new();
    for o in &report.objects {
        index
            .entry((&o.location.file, &o.object))
            .or_insert_with(|| {
                objects.push(ObjectRisk {
                    object: &o.object,
                    file: &o.location.file,
                    findings: Vec::new(),
                    risk: 0.0,
                });
                objects.len() - 1
            });
    }
    for (i, f) in findings.iter().enumerate() {
        let at = *index
            .entry((&f.location.file, &f.object))
            .or_insert_with(|| {
                objects.push(ObjectRisk {
                    object: &f.object,
                    file: &f.location.file,
                    findings: Vec::new(),
                    risk: 0.0,
                });
                objects.len() - 1
            });
        objects[at].findings.push(i);
        objects[at].risk += weight(f.severity);
    }
    let object_of: HashMap<usize, usize> = objects
        .iter()
        .enumerate()
        .flat_map(|(o, r)| r.findings.iter().map(move |&f| (f, o)))
        .collect();

    // Namespaces and groups.
    let mut ns_risks: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for o in &objects {
        ns_risks
            .entry(namespace_of(o.object))
            .or_default()
            .push(o.risk);
    }
    let all_risks: Vec<f64> = objects.iter().map(|o| o.risk).collect();
    let overall = score(&all_risks);
    let mut groups: BTreeSet<&str> = report
        .rules
        .iter()
        .filter_map(|m| m.groups.first().copied())
        .collect();
    groups.extend(findings.iter().map(group_of));
    let mut heat: HashMap<(&str, &str), (usize, f64)> = HashMap::new();
    let mut ns_counts: HashMap<&str, [usize; 5]> = HashMap::new();
    for f in findings {
        let ns = namespace_of(&f.object);
        let e = heat.entry((ns, group_of(f))).or_default();
        e.0 += 1;
        e.1 += weight(f.severity);
        ns_counts.entry(ns).or_default()[severity_rank(f.severity)] += 1;
    }

    let mut h = String::with_capacity(64 * 1024 + findings.len() * 2048);
    let title = "kubefort posture report";
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"generator\" content=\"kubefort {}\">\
         <title>{title}</title><style>{CSS}</style></head><body>\n",
        escape(opts.tool_version)
    );

    // Header.
    let failed = run_fails(report, opts);
    let inputs = if report.stats.files == 0 && report.stats.objects > 0 {
        format!("{} objects from a cluster", report.stats.objects)
    } else {
        format!(
            "{} objects in {} files",
            report.stats.objects, report.stats.files
        )
    };
    let _ = write!(
        h,
        "<header><h1>{title}</h1><p class=\"meta\">{} · {inputs} · {} rules · kubefort {} · \
         <span class=\"{}\">{}</span></p></header>\n<main>\n",
        utc(extras.generated),
        report.rules.len(),
        escape(opts.tool_version),
        if failed { "status-fail" } else { "status-pass" },
        if failed {
            format!(
                "fails at --fail-on {}{}",
                opts.fail_on,
                if opts.fail_on_new && cmp.is_some() {
                    " (new findings only)"
                } else {
                    ""
                }
            )
        } else {
            format!("passes at --fail-on {}", opts.fail_on)
        }
    );

    // Overview: score, severities, baseline.
    h.push_str("<section id=\"overview\" class=\"cards\">");
    let _ = write!(
        h,
        "<div class=\"card score-card\"><h2>Posture score</h2>{}<p class=\"hint\">100 × (1 − mean object risk); <a href=\"#about-score\">how it is computed</a></p></div>",
        gauge(overall, "overall posture score")
    );
    h.push_str("<div class=\"card\"><h2>Findings by severity</h2>");
    let sev_rows: Vec<Bar> = counts(report)
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), format!("sev={s}"), vec![(*s, *n)]))
        .collect();
    h.push_str(&bar_chart("findings by severity", &sev_rows));
    let _ = write!(
        h,
        "<p class=\"hint\">{} findings in {} of {} objects; {} suppressed</p></div>",
        findings.len(),
        objects.iter().filter(|o| !o.findings.is_empty()).count(),
        objects.len(),
        report.suppressed.len()
    );
    h.push_str("<div class=\"card\"><h2>Findings by group</h2>");
    let group_rows: Vec<Bar> = groups
        .iter()
        .map(|g| {
            let stack = Severity::ALL
                .iter()
                .map(|s| {
                    (
                        *s,
                        findings
                            .iter()
                            .filter(|f| group_of(f) == *g && f.severity == *s)
                            .count(),
                    )
                })
                .collect();
            (g.to_string(), format!("group={g}"), stack)
        })
        .collect();
    h.push_str(&bar_chart("findings by group", &group_rows));
    h.push_str("</div>");
    if let Some(cmp) = cmp {
        let _ = write!(
            h,
            "<div class=\"card baseline-card\" id=\"baseline\"><h2>Since the baseline</h2>\
             <p class=\"baseline-name\">{}</p><ul class=\"kpis\">\
             <li class=\"kpi-new\" data-filter=\"base=new\" tabindex=\"0\"><b>{}</b> new</li>\
             <li class=\"kpi-fixed\"><a href=\"#fixed\"><b>{}</b> fixed</a></li>\
             <li class=\"kpi-unchanged\" data-filter=\"base=unchanged\" tabindex=\"0\"><b>{}</b> unchanged</li></ul></div>",
            escape(&cmp.name),
            cmp.new_count(),
            cmp.fixed.len(),
            cmp.unchanged_count()
        );
    }
    h.push_str("</section>\n");

    // Namespaces.
    h.push_str("<section id=\"namespaces\"><h2>Namespaces</h2><table class=\"ns-table\"><thead><tr><th>namespace</th><th>score</th><th class=\"num\">objects</th><th class=\"num\">critical</th><th class=\"num\">high</th><th class=\"num\">medium</th><th class=\"num\">low</th><th class=\"num\">info</th></tr></thead><tbody>");
    let mut ns_sorted: Vec<(&str, u32, usize)> = ns_risks
        .iter()
        .map(|(ns, r)| (*ns, score(r), r.len()))
        .collect();
    ns_sorted.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
    for (ns, sc, n) in &ns_sorted {
        let c = ns_counts.get(ns).copied().unwrap_or_default();
        let _ = write!(
            h,
            "<tr data-filter=\"ns={}\" tabindex=\"0\"><td>{}</td><td><span class=\"grade grade-{g}\">{g}</span> <meter min=\"0\" max=\"100\" low=\"60\" high=\"90\" optimum=\"100\" value=\"{sc}\"></meter> {sc}</td><td class=\"num\">{n}</td>",
            escape(ns),
            escape(ns),
            g = grade(*sc)
        );
        for v in c {
            let _ = write!(
                h,
                "<td class=\"num\">{}</td>",
                if v == 0 { String::new() } else { v.to_string() }
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></section>\n");

    // Heatmap.
    let max_heat = heat
        .values()
        .map(|(_, w)| *w)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    h.push_str("<section id=\"heatmap\"><h2>Namespace × group</h2><p class=\"hint\">Cells are coloured by the findings' weight; click one to filter the findings.</p><div class=\"scroll\"><table class=\"heatmap\"><thead><tr><th></th>");
    for g in &groups {
        let _ = write!(h, "<th>{}</th>", escape(g));
    }
    h.push_str("</tr></thead><tbody>");
    for ns in ns_risks.keys() {
        let _ = write!(h, "<tr><th>{}</th>", escape(ns));
        for g in &groups {
            match heat.get(&(*ns, *g)) {
                Some((n, w)) => {
                    let level = (w / max_heat * 100.0).round();
                    let _ = write!(
                        h,
                        "<td class=\"cell\" style=\"--heat:{level}%\" data-filter=\"ns={}&amp;group={}\" tabindex=\"0\" title=\"{}: {} — {n} findings\">{n}</td>",
                        escape(ns),
                        escape(g),
                        escape(ns),
                        escape(g)
                    );
                }
                None => h.push_str("<td class=\"cell empty\"></td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div></section>\n");

    // Top risks.
    let mut ranked: Vec<(&ObjectRisk<'_>, usize, Blast)> = objects
        .iter()
        .filter(|o| !o.findings.is_empty())
        .map(|o| {
            let crit = o
                .findings
                .iter()
                .filter(|&&i| findings[i].severity == Severity::Critical)
                .count();
            (o, crit, Blast::of(o.findings.iter().map(|&i| &findings[i])))
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.2.radius().cmp(&a.2.radius()))
            .then(b.0.risk.total_cmp(&a.0.risk))
            .then(a.0.object.cmp(b.0.object))
    });
    h.push_str("<section id=\"top-risks\"><h2>Top risks</h2><p class=\"hint\">Objects ranked by critical findings, then blast radius (exposed, privileged, powerful service account), then the weight of all their findings. Click one to see its findings.</p><ol class=\"risks\">");
    for (o, crit, blast) in ranked.iter().take(TOP_RISKS) {
        let worst = o
            .findings
            .iter()
            .map(|&i| findings[i].severity)
            .max()
            .unwrap_or(Severity::Info);
        let _ = write!(
            h,
            "<li class=\"risk\" data-filter=\"q={}\" tabindex=\"0\"><span class=\"sev sev-{}\">{}</span> <b>{}</b> <span class=\"file\">{}</span><span class=\"badges\">",
            escape(&o.object.to_string()),
            worst.as_str(),
            worst.as_str(),
            escape(&o.object.to_string()),
            escape(o.file)
        );
        for (on, name) in [
            (blast.exposed, "exposed"),
            (blast.privileged, "privileged"),
            (blast.powerful_account, "powerful account"),
        ] {
            if on {
                let _ = write!(h, "<span class=\"badge\">{name}</span>");
            }
        }
        let _ = write!(
            h,
            "</span><span class=\"risk-counts\">{crit} critical · {} findings</span></li>",
            o.findings.len()
        );
    }
    h.push_str("</ol></section>\n");

    // Graphs.
    for g in &extras.graphs {
        let data = json!({
            "id": g.id,
            "layout": g.layout,
            "nodes": g.nodes.iter().map(|n| json!({"label": n.label, "kind": n.kind, "detail": n.detail, "search": n.search})).collect::<Vec<_>>(),
            "edges": g.edges.iter().map(|e| json!({"from": e.from, "to": e.to, "label": e.label, "detail": e.detail})).collect::<Vec<_>>(),
        });
        let _ = writeln!(
            h,
            "<section class=\"graph-section\" id=\"graph-{id}\"><h2>{}</h2><p class=\"hint\">{} Hover a node to see its edges, click to keep them highlighted, double-click to search the findings for it, drag to move it, scroll to zoom.</p>{}\
             <div class=\"graph\" data-graph=\"graph-data-{id}\"></div><script type=\"application/json\" id=\"graph-data-{id}\">{}</script></section>",
            escape(&g.title),
            inline(&g.description),
            if g.omitted_edges > 0 {
                format!("<p class=\"warn\">{} more edges are not drawn.</p>", g.omitted_edges)
            } else {
                String::new()
            },
            script_json(&data),
            id = slug(&g.id),
        );
    }

    // Findings.
    let namespaces: BTreeSet<&str> = findings.iter().map(|f| namespace_of(&f.object)).collect();
    h.push_str("<section id=\"findings\"><h2>Findings</h2><form class=\"filters\" id=\"filters\" role=\"search\" onsubmit=\"return false\">");
    h.push_str("<label>severity <select name=\"sev\" id=\"f-sev\"><option value=\"\">all</option>");
    for s in Severity::ALL {
        let _ = write!(h, "<option value=\"{s}\">{s}</option>");
    }
    h.push_str("</select></label><label>group <select name=\"group\" id=\"f-group\"><option value=\"\">all</option>");
    for g in &groups {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", escape(g));
    }
    h.push_str("</select></label><label>namespace <select name=\"ns\" id=\"f-ns\"><option value=\"\">all</option>");
    for ns in &namespaces {
        let _ = write!(h, "<option value=\"{0}\">{0}</option>", escape(ns));
    }
    h.push_str("</select></label>");
    if cmp.is_some() {
        h.push_str("<label>baseline <select name=\"base\" id=\"f-base\"><option value=\"\">all</option><option value=\"new\">new</option><option value=\"unchanged\">unchanged</option></select></label>");
    }
    h.push_str("<label class=\"search\">search <input type=\"search\" name=\"q\" id=\"f-q\" placeholder=\"rule, object, message, file…\"></label><button type=\"button\" id=\"f-reset\">reset</button><span id=\"f-count\" aria-live=\"polite\"></span></form>");
    h.push_str("<table class=\"findings\" id=\"findings-table\"><thead><tr><th>severity</th><th>rule</th><th>object</th><th>where</th><th>message</th></tr></thead>");

    // The source lines findings show, once per file: the page builds a
    // finding's excerpt from them when it is opened.
    let mut lines_of: HashMap<&str, (usize, Vec<&str>)> = HashMap::new();
    let mut shown: Vec<BTreeMap<usize, String>> = Vec::new();
    let rule_meta: HashMap<&str, &RuleMeta> = report.rules.iter().map(|m| (m.name, *m)).collect();
    for (i, f) in findings.iter().enumerate() {
        let ns = namespace_of(&f.object);
        let group = group_of(f);
        let state = cmp.map(|c| c.state(i));
        let object = f.object.to_string();
        let at = if f.location.has_position() {
            format!("{}:{}", f.location.file, f.location.line)
        } else {
            f.location.file.to_string()
        };
        let _ = write!(
            h,
            "<tbody class=\"finding\" data-sev=\"{}\" data-group=\"{}\" data-ns=\"{}\" data-base=\"{}\">\
             <tr class=\"row\" tabindex=\"0\" aria-expanded=\"false\"><td><span class=\"sev sev-{0}\">{0}</span>{}</td><td class=\"rule\">{}</td><td>{}</td><td class=\"file\">{}</td><td>{}</td></tr>",
            f.severity.as_str(),
            escape(group),
            escape(ns),
            state.map_or("", State::as_str),
            if state == Some(State::New) {
                " <span class=\"badge new\">new</span>"
            } else {
                ""
            },
            escape(f.rule),
            escape(&object),
            escape(&at),
            escape(&f.message),
        );
        let _ = write!(
            h,
            "<tr class=\"detail\" hidden><td colspan=\"5\"><dl><dt>field</dt><dd><code>{}</code></dd><dt>object</dt><dd>{} <span class=\"muted\">({})</span></dd>",
            escape(&f.path),
            escape(&object),
            escape(&f.object.api_version)
        );
        if f.location.has_position() {
            let (src, lines) = lines_of.entry(&f.location.file).or_insert_with(|| {
                shown.push(BTreeMap::new());
                let lines = extras
                    .sources
                    .get(&*f.location.file)
                    .map(|t| t.lines().collect())
                    .unwrap_or_default();
                (shown.len() - 1, lines)
            });
            match window(lines.len(), f.location.line) {
                Some((first, last)) => {
                    for n in first..=last {
                        shown[*src]
                            .entry(n)
                            .or_insert_with(|| shown_line(lines[n - 1]));
                    }
                    let _ = write!(
                        h,
                        "<dt>source</dt><dd><span class=\"file\">{}</span><pre class=\"excerpt\" data-src=\"{src}\" data-line=\"{}\"></pre></dd>",
                        escape(&at),
                        f.location.line
                    );
                }
                None => {
                    let _ = write!(h, "<dt>source</dt><dd class=\"file\">{}</dd>", escape(&at));
                }
            }
        } else {
            let _ = write!(
                h,
                "<dt>API path</dt><dd class=\"file\">{}</dd>",
                escape(&f.location.file)
            );
        }
        let _ = write!(
            h,
            "<dt>fix</dt><dd class=\"fix\">{}</dd>",
            inline(f.remediation)
        );
        if let Some(m) = rule_meta.get(f.rule) {
            let _ = write!(
                h,
                "<dt>rule</dt><dd><b>{}</b>: {} <a href=\"#rule-{}\">docs</a><details class=\"docs\" data-rule=\"{}\"><summary>Rule documentation</summary></details></dd>",
                escape(m.name),
                inline(m.summary),
                slug(m.name),
                slug(m.name)
            );
        }
        if let Some(o) = object_of.get(&i) {
            let others = objects[*o].findings.len() - 1;
            if others > 0 {
                let _ = write!(
                    h,
                    "<dt>same object</dt><dd>{others} other finding{}</dd>",
                    if others == 1 { "" } else { "s" }
                );
            }
        }
        h.push_str("</dl></td></tr></tbody>");
    }
    h.push_str("</table>");
    let sources: Vec<serde_json::Value> = shown
        .iter()
        .map(|lines| {
            serde_json::Value::Object(
                lines
                    .iter()
                    .map(|(n, l)| (n.to_string(), json!(l)))
                    .collect(),
            )
        })
        .collect();
    let _ = write!(
        h,
        "<script type=\"application/json\" id=\"sources\">{}</script>",
        script_json(&json!(sources))
    );
    if findings.is_empty() {
        h.push_str("<p class=\"empty-note\">No findings.</p>");
    }
    h.push_str("</section>\n");

    // Fixed since the baseline.
    if let Some(cmp) = cmp {
        let _ = write!(
            h,
            "<section id=\"fixed\"><h2>Fixed since the baseline ({})</h2>",
            cmp.fixed.len()
        );
        if cmp.fixed.is_empty() {
            h.push_str("<p class=\"hint\">None.</p>");
        } else {
            h.push_str("<table class=\"fixed\"><thead><tr><th>severity</th><th>rule</th><th>object</th><th>field</th><th>was at</th></tr></thead><tbody>");
            for f in &cmp.fixed {
                let at = if f.location.line > 0 {
                    format!("{}:{}", f.location.file, f.location.line)
                } else {
                    f.location.file.clone()
                };
                let _ = write!(
                    h,
                    "<tr><td><span class=\"sev sev-{sev}\">{sev}</span></td><td class=\"rule\">{}</td><td>{}</td><td><code>{}</code></td><td class=\"file\">{}</td></tr>",
                    escape(&f.rule),
                    escape(&f.object.to_string()),
                    escape(&f.path),
                    escape(&at),
                    sev = f.severity.as_str(),
                );
            }
            h.push_str("</tbody></table>");
        }
        h.push_str("</section>\n");
    }

    // Inputs that could not be read, and skipped ones.
    let warnings: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.level == SkipLevel::Warning || opts.verbose)
        .collect();
    if !report.errors.is_empty() || !warnings.is_empty() {
        h.push_str("<section id=\"inputs\"><h2>Inputs not scanned</h2><ul class=\"problems\">");
        for e in &report.errors {
            let _ = write!(
                h,
                "<li class=\"error\">error: {}</li>",
                escape(&e.to_string())
            );
        }
        for s in warnings {
            let at = match s.line {
                Some(l) => format!("{}:{l}", s.file),
                None => s.file.to_string(),
            };
            let _ = write!(
                h,
                "<li>skipped: {}: {}</li>",
                escape(&at),
                escape(&s.reason)
            );
        }
        h.push_str("</ul></section>\n");
    }

    // Rules that found something, with their docs.
    let found_rules: BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    h.push_str("<section id=\"rules\"><h2>Rules</h2>");
    for m in report.rules.iter().filter(|m| found_rules.contains(m.name)) {
        let _ = write!(
            h,
            "<article class=\"rule-doc\" id=\"rule-{}\"><h3>{} <span class=\"sev sev-{sev}\">{sev}</span> <span class=\"muted\">{}</span></h3><p>{}</p><div class=\"doc-body\" id=\"doc-{}\">{}",
            slug(m.name),
            escape(m.name),
            escape(&m.groups.join(", ")),
            inline(m.summary),
            slug(m.name),
            markdown(m.docs),
            sev = m.severity.as_str(),
        );
        if !m.references.is_empty() {
            h.push_str("<h5>References</h5><ul>");
            for r in m.references {
                let _ = write!(
                    h,
                    "<li><a href=\"{0}\" rel=\"noreferrer\">{0}</a></li>",
                    escape(r)
                );
            }
            h.push_str("</ul>");
        }
        h.push_str("</div></article>");
    }
    let others = report.rules.len() - found_rules.len().min(report.rules.len());
    let _ = writeln!(
        h,
        "<p class=\"hint\">{others} more rules ran and found nothing; <code>kubefort rules</code> lists them all.</p></section>"
    );

    // The score, explained.
    h.push_str("<section id=\"about-score\"><h2>How the score is computed</h2><p>Each finding weighs by its severity: critical 1, high 0.5, medium 0.2, low 0.1, info 0. An object's risk is the sum of its findings' weights, at most 1, so one critical finding puts an object fully at risk. A score is 100 × (1 − the mean risk of the objects), over every scanned object of the namespace (or of the whole report for the overall score), rounded. Grades: A from 90, B from 75, C from 60, D from 40, F below. Suppressed findings do not count.</p></section>\n");

    let _ = writeln!(h, "</main><script>{JS}</script></body></html>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_grades() {
        assert_eq!(score(&[]), 100);
        assert_eq!(score(&[0.0, 0.0]), 100);
        assert_eq!(score(&[1.0, 0.0]), 50);
        assert_eq!(score(&[3.0, 0.0, 0.0, 0.0]), 75);
        assert_eq!(score(&[0.2, 0.2]), 80);
        assert_eq!(grade(100), "A");
        assert_eq!(grade(90), "A");
        assert_eq!(grade(89), "B");
        assert_eq!(grade(60), "C");
        assert_eq!(grade(40), "D");
        assert_eq!(grade(39), "F");
    }

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_764_072_000), "2025-11-25 12:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn markdown_is_escaped_and_structured() {
        let html = markdown(
            "## What it does\nFlags `a<b>` and **bold** text\nover lines.\n\n- one\n- [two](https://x.example/a?b=1&c=2)\n\n```yaml\nkey: <v>\n```\n",
        );
        assert_eq!(
            html,
            "<h4>What it does</h4><p>Flags <code>a&lt;b&gt;</code> and <strong>bold</strong> text over lines.</p>\
             <ul><li>one</li><li><a href=\"https://x.example/a?b=1&amp;c=2\" rel=\"noreferrer\">two</a></li></ul>\
             <pre class=\"doc-code\"><code>key: &lt;v&gt;</code></pre>"
        );
        // Only web links become links.
        assert!(!markdown("[x](javascript:alert(1))").contains("href"));
    }

    #[test]
    fn excerpt_windows_stay_in_the_file() {
        assert_eq!(window(20, 2), Some((1, 6)));
        assert_eq!(window(20, 10), Some((6, 14)));
        assert_eq!(window(20, 20), Some((16, 20)));
        assert_eq!(window(20, 0), None);
        assert_eq!(window(20, 21), None);
        assert_eq!(
            shown_line(&"é".repeat(300)).chars().count(),
            MAX_LINE_CHARS + 1
        );
        assert_eq!(shown_line("short"), "short");
    }

    /// A report whose every text field is hostile.
    fn hostile() -> (Report, Extras) {
        use kubefort_core::finding::ScannedObject;
        use kubefort_core::Location;
        use std::sync::Arc;
        const EVIL: &str = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>";
        let object = ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some(EVIL.into()),
            name: Some(EVIL.into()),
        };
        let location = Location {
            file: Arc::from("evil<script>.yaml"),
            line: 2,
            column: 1,
        };
        let f = Finding {
            rule: "latest-tag",
            severity: Severity::Critical,
            message: EVIL.into(),
            object: object.clone(),
            path: EVIL.into(),
            location: location.clone(),
            remediation: "fix `</script>` now",
            groups: &["images"],
            suppressed: None,
        };
        let report = Report {
            findings: vec![f],
            objects: vec![ScannedObject { object, location }],
            ..Report::default()
        };
        let mut extras = Extras::default();
        extras
            .sources
            .insert("evil<script>.yaml".into(), format!("a: 1\nimage: {EVIL}\n"));
        extras.graphs.push(Graph {
            id: "rbac\"><script>".into(),
            title: EVIL.into(),
            description: EVIL.into(),
            layout: "layered".into(),
            nodes: vec![GraphNode {
                label: EVIL.into(),
                kind: EVIL.into(),
                detail: EVIL.into(),
                search: EVIL.into(),
            }],
            edges: vec![],
            omitted_edges: 0,
        });
        (report, extras)
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let (report, extras) = hostile();
        let html = write(&report, &WriteOptions::default(), &extras);
        // The page's own script is the only one.
        assert_eq!(html.matches("<script>").count(), 1, "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("alert(1)</script>"));
        // The hostile text is still shown, escaped.
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The excerpt's source lines are data the page shows as text.
        assert!(html.contains("<pre class=\"excerpt\" data-src=\"0\" data-line=\"2\"></pre>"));
        assert!(
            html.contains(r#""2":"image: \"'\u003e\u003cscript\u003ealert(1)"#),
            "{html}"
        );
    }

    #[test]
    fn script_json_cannot_close_its_element() {
        let s = script_json(&json!({"x": "</script><script>alert(1)</script>"}));
        assert!(!s.contains("</script"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["x"], "</script><script>alert(1)</script>");
    }
}
