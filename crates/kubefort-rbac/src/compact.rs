//! Compacting a list of rules for display: rules that differ in only one
//! list are merged, until no two can be.

use std::collections::BTreeSet;

use crate::input::PolicyRule;

/// A rule in set form, with the evidence of every rule merged into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compacted<E> {
    pub rule: PolicyRule,
    pub sources: Vec<E>,
}

fn sets(r: &PolicyRule) -> [BTreeSet<String>; 5] {
    let s = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    [
        s(&r.verbs),
        s(&r.api_groups),
        s(&r.resources),
        s(&r.resource_names),
        s(&r.non_resource_urls),
    ]
}

const NAMES: usize = 3;

fn from_sets(s: [BTreeSet<String>; 5]) -> PolicyRule {
    let v = |s: BTreeSet<String>| -> Vec<String> {
        if s.contains("*") {
            vec!["*".to_string()]
        } else {
            s.into_iter().collect()
        }
    };
    let [verbs, groups, resources, names, urls] = s;
    PolicyRule {
        verbs: v(verbs),
        api_groups: v(groups),
        resources: v(resources),
        // `*` is not a wildcard in resourceNames.
        resource_names: names.into_iter().collect(),
        non_resource_urls: v(urls),
    }
}

/// Merge rules that differ in exactly one list (or not at all). Merging
/// keeps the meaning: the union of the requests the rules allow. For
/// resourceNames an empty list means any name, so it absorbs the other.
pub fn compact<E: Clone + Ord>(rules: Vec<(PolicyRule, Vec<E>)>) -> Vec<Compacted<E>> {
    let mut items: Vec<([BTreeSet<String>; 5], BTreeSet<E>)> = rules
        .into_iter()
        .map(|(r, e)| (sets(&r), e.into_iter().collect()))
        .collect();
    loop {
        let mut merged = false;
        'outer: for i in 0..items.len() {
            for j in i + 1..items.len() {
                let diff: Vec<usize> = (0..5).filter(|&f| items[i].0[f] != items[j].0[f]).collect();
                let field = match diff.as_slice() {
                    [] => None,
                    [f] => Some(*f),
                    _ => continue,
                };
                let (b, eb) = items.remove(j);
                let (a, ea) = &mut items[i];
                if let Some(f) = field {
                    if f == NAMES && (a[f].is_empty() || b[f].is_empty()) {
                        a[f].clear();
                    } else {
                        a[f].extend(b[f].iter().cloned());
                    }
                }
                ea.extend(eb);
                merged = true;
                break 'outer;
            }
        }
        if !merged {
            break;
        }
    }
    let mut out: Vec<Compacted<E>> = items
        .into_iter()
        .map(|(s, e)| Compacted {
            rule: from_sets(s),
            sources: e.into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        (
            &a.rule.non_resource_urls,
            &a.rule.api_groups,
            &a.rule.resources,
            &a.rule.verbs,
        )
            .cmp(&(
                &b.rule.non_resource_urls,
                &b.rule.api_groups,
                &b.rule.resources,
                &b.rule.verbs,
            ))
    });
    out
}
