//! Random command lines for the property tests: a little shift of three teams, where `#N`
//! names the N-th call a desk knows.

use proptest::prelude::*;

const UNITS: &[&str] = &["STAR-1", "STAR-2", "STAR-3"];

pub fn line() -> impl Strategy<Value = String> {
    let unit = prop::sample::select(UNITS);
    let call = (0u32..6).prop_map(|n| format!("#{n}"));
    prop_oneof![
        (
            unit.clone(),
            prop::sample::select(&["clinician,medic", "peer,emt"][..])
        )
            .prop_map(|(u, c)| format!("unit add {u} {c}")),
        (
            "[a-z]{3,8}",
            prop::sample::select(&["welfare", "intox", "bh-crisis"][..]),
            1u8..5
        )
            .prop_map(|(w, t, p)| format!("call {w} St / {w} reported --type {t} --pri {p}")),
        (unit.clone(), call.clone(), any::<bool>())
            .prop_map(|(u, c, f)| format!("dp {u} {c}{}", if f { " --force" } else { "" })),
        (
            prop::sample::select(&["enr", "ons", "avl", "oos", "trn", "atf"][..]),
            unit.clone()
        )
            .prop_map(|(s, u)| format!("{s} {u}")),
        (call.clone(), "[a-z ]{1,20}").prop_map(|(c, t)| format!("note {c} {t}")),
        (
            call.clone(),
            prop::sample::select(&["resolved", "gone", "hospital"][..]),
            any::<bool>()
        )
            .prop_map(|(c, d, f)| format!("close {c} {d}{}", if f { " --force" } else { "" })),
        (call.clone(), 1u8..5)
            .prop_map(|(c, p)| format!("set {c} pri {p} --reason caller called again")),
        (call.clone(), call.clone()).prop_map(|(a, b)| format!("link {a} {b}")),
        call.clone().prop_map(|c| format!("backup {c} police")),
        call.prop_map(|c| format!("reopen {c}")),
    ]
}

/// A line with each `#N` replaced by the N-th of `calls` (wrapping); left as is with none.
pub fn refer(line: &str, calls: &[String]) -> String {
    line.split(' ')
        .map(
            |w| match w.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
                Some(n) if !calls.is_empty() => calls[n % calls.len()].clone(),
                _ => w.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join(" ")
}
