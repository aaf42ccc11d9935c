//! Fuzz the webhook's request path: AdmissionReview decoding, the decision
//! (the object scanned by every rule the webhook runs, UPDATE comparison
//! with the old object) and the response encoding. Nothing may panic, and
//! every decoded request gets a response for its own UID.
#![no_main]

use std::sync::OnceLock;

use kubefort_admission::{review, Policy, Validator};
use libfuzzer_sys::fuzz_target;

fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| Validator::new(Policy::default()).expect("the default policy builds"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = review::decode(data) else {
        return;
    };
    let outcome = validator().evaluate(&request, None);
    assert_eq!(outcome.response.uid, request.uid);
    if !outcome.response.allowed {
        assert!(outcome.response.status.is_some());
    }
    let encoded = review::encode(&outcome.response);
    let back: serde_json::Value = serde_json::from_slice(&encoded).expect("valid JSON");
    assert_eq!(back["response"]["uid"].as_str(), Some(request.uid.as_str()));
});
