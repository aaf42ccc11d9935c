//! kubefort's core: the document model with source positions, the loader
//! that reads YAML and JSON exactly as `kubectl` does, findings, the rule
//! interface and the engine that runs rules over an inventory of objects.
//!
//! Dependencies point one way: rules, writers and front ends depend on this
//! crate; it depends on none of them. A rule never does I/O, a source never
//! knows rules, a writer never computes findings.

pub mod config;
pub mod engine;
pub mod finding;
pub mod namespaces;
pub mod object;
pub mod path;
pub mod rule;
pub mod schema;
pub mod settings;
pub mod source;
pub mod value;
pub mod yaml;

pub use config::Config;
pub use engine::{select_rules, DynamicCheck, Engine, Report, Visited};
pub use finding::{Finding, InputError, Location, ObjectRef, Severity, SkipLevel, Skipped};
pub use path::FieldPath;
pub use rule::{Check, Inventory, ObjectCtx, Rule, RuleMeta, ScanScope};
pub use settings::{RuleSettings, Validate};
pub use value::{Node, Pos, Value};
