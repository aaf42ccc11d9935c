//! Hostile and broken input: mutated real events, deep nesting, a huge line
//! without a newline, compressed and concatenated gzip members. Nothing
//! panics, every bad line is counted with its line number, and the good
//! lines around it are still judged.

use std::io::{BufRead, Cursor, Write};
use std::path::Path;

use kubefort_audit::read::{self, LineError};
use kubefort_audit::{AuditConfig, Detector};

fn sample() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/audit/audit.log"),
    )
    .unwrap()
}

fn judge(data: Vec<u8>, config: AuditConfig) -> (Detector, usize, Vec<LineError>) {
    let mut det = Detector::new(
        kubefort_audit::select_rules(Some(&["all".into()]), &[], &[]).unwrap(),
        config,
    );
    let mut alerts = 0;
    let mut errors = Vec::new();
    let reader: Box<dyn BufRead + Send> = Box::new(Cursor::new(data));
    read::process(
        &mut det,
        "t.log",
        None,
        reader,
        None,
        &mut |_| alerts += 1,
        &mut |e| errors.push(e),
    )
    .unwrap();
    (det, alerts, errors)
}

#[test]
fn mutated_real_events_never_panic() {
    let sample = sample();
    let lines: Vec<&str> = sample.lines().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut data = Vec::new();
    let mut empty = 0u64;
    for i in 0..3000 {
        let mut l = lines[i % lines.len()].as_bytes().to_vec();
        match next() % 4 {
            0 => l.truncate((next() as usize) % l.len().max(1)),
            1 => {
                for _ in 0..4 {
                    let p = (next() as usize) % l.len().max(1);
                    l[p] = (next() % 256) as u8;
                }
            }
            2 => {
                let p = (next() as usize) % l.len().max(1);
                l.splice(p..p, b"{\"x\":[".iter().copied());
            }
            _ => {}
        }
        l.retain(|b| *b != b'\n');
        if l.iter().all(u8::is_ascii_whitespace) {
            empty += 1;
        }
        data.extend_from_slice(&l);
        data.push(b'\n');
    }
    let (det, _, errors) = judge(data, AuditConfig::default());
    assert_eq!(
        det.stats.events + det.stats.invalid,
        3000 - empty,
        "{:?}",
        det.stats
    );
    assert_eq!(errors.len() as u64, det.stats.invalid);
    assert!(det.stats.invalid > 500, "{:?}", det.stats);
    assert!(errors.iter().all(|e| e.line >= 1 && e.line <= 3000));
}

#[test]
fn deep_nesting_is_bounded() {
    // In a request object (kept raw; parsed on demand up to serde_json's
    // recursion limit of 128): judged, nothing found, no crash.
    let deep_object = format!(
        "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"stage\":\"ResponseComplete\",\"verb\":\"create\",\"user\":{{\"username\":\"eve\"}},\"objectRef\":{{\"resource\":\"pods\",\"namespace\":\"a\",\"apiVersion\":\"v1\"}},\"responseStatus\":{{\"code\":201}},\"requestObject\":{{\"spec\":{}{}}}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    // Where a typed field is expected: an error naming the line.
    let deep_field = format!(
        "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"objectRef\":{}{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let good = sample().lines().next().unwrap().to_string();
    let (det, alerts, errors) = judge(
        format!("{deep_object}{deep_field}{good}\n").into_bytes(),
        AuditConfig::default(),
    );
    assert_eq!(alerts, 0);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 2);
    assert_eq!(det.stats.events, 2);
}

#[test]
fn a_huge_line_is_skipped_without_holding_it() {
    let config = AuditConfig {
        max_event_size: 1 << 20,
        ..AuditConfig::default()
    };
    let good = sample().lines().next().unwrap().to_string();
    let mut data = Vec::with_capacity(40 << 20);
    data.extend_from_slice(good.as_bytes());
    data.push(b'\n');
    data.extend(std::iter::repeat_n(b'x', 32 << 20));
    data.push(b'\n');
    data.extend_from_slice(good.as_bytes());
    let (det, _, errors) = judge(data, config);
    assert_eq!(det.stats.events, 2, "the lines around it are judged");
    assert_eq!(det.stats.oversized, 1);
    assert_eq!(errors[0].line, 2);
    assert!(
        errors[0].message.contains("33554432 bytes skipped"),
        "{}",
        errors[0].message
    );
}

#[test]
fn gzip_and_concatenated_members_are_read() {
    let sample = sample();
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("audit-1.log.gz");
    let mut bytes = Vec::new();
    for part in [&sample[..sample.len() / 2], &sample[sample.len() / 2..]] {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(part.as_bytes()).unwrap();
        bytes.extend(enc.finish().unwrap());
    }
    std::fs::write(&gz, bytes).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut read::open(&gz).unwrap(), &mut text).unwrap();
    assert_eq!(text, sample);
    // A corrupt compressed file is an error of the input, not a panic.
    let bad = dir.path().join("bad.log.gz");
    std::fs::write(&bad, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).unwrap();
    let mut det = Detector::new(
        kubefort_audit::select_rules(None, &[], &[]).unwrap(),
        AuditConfig::default(),
    );
    let r = read::process(
        &mut det,
        "bad.log.gz",
        None,
        read::open(&bad).unwrap(),
        None,
        &mut |_| {},
        &mut |_| {},
    );
    assert!(r.is_err_and(|e| e.message.starts_with("cannot read")));
}
