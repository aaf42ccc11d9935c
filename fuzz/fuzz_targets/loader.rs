//! Fuzz the whole manifest pipeline: decoding, document splitting, YAML/JSON
//! loading with kubectl's rules, object extraction, type checks and every
//! built-in rule. Nothing may panic, hang or allocate without bound, and the
//! loader's fast reader must load exactly what saphyr-parser loads.
#![no_main]

use std::sync::OnceLock;

use kubefort_core::yaml::{load_str_by, Limits, Route};
use kubefort_core::{Config, Engine};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(kubefort_rules::all(), Config::default()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = kubefort_core::source::decode(data.to_vec()) else {
        return;
    };
    // Same documents, positions and errors by both readers (compared through
    // `Debug`, where NaN equals NaN).
    let limits = Limits::default();
    let fast = load_str_by(&text, &limits, Route::Auto);
    let slow = load_str_by(&text, &limits, Route::Saphyr);
    assert_eq!(format!("{fast:?}"), format!("{slow:?}"));

    let report = engine().scan_str("fuzz.yaml", &text);
    // Every finding and error points into the input.
    // YAML line breaks are LF, CRLF and a lone CR.
    let b = text.as_bytes();
    let lines = 1 + b
        .iter()
        .enumerate()
        .filter(|&(i, &c)| c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u32;
    for f in &report.findings {
        assert!(f.location.line >= 1 && f.location.line <= lines + 1);
    }
    for e in &report.errors {
        if let Some(l) = e.line {
            assert!(l >= 1 && l <= lines + 1, "{e:?}");
        }
    }
});
