//! Manifests that do not do what they appear to.

pub mod duplicate_object;
