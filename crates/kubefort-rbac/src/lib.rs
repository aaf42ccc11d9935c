//! Kubernetes RBAC, evaluated as the API server's authorizer evaluates it.
//!
//! An [`RbacInventory`] (Roles, ClusterRoles, RoleBindings,
//! ClusterRoleBindings, ServiceAccounts, token Secrets: from manifests
//! through [`load`], or from a live cluster) becomes a [`Model`]:
//! ClusterRole aggregation applied as the controller converges, bindings
//! resolved (built-in bootstrap ClusterRoles stand in for undeclared ones,
//! and say so), and every subject's grants indexed. The model answers
//! [`Model::authorize`] (may this user do this, and why), [`Model::who_can`]
//! and [`Model::rules_for`]; [`graph::EscalationGraph`] finds how an identity
//! can climb to cluster-admin.
//!
//! Every answer is about [`Request`]s and [`UserInfo`]s in the authorizer's
//! own terms, so it can be checked against the API server's
//! SubjectAccessReview ([`Request::subject_access_review`]).

pub mod builtin;
mod builtin_data;
pub mod compact;
pub mod graph;
pub mod input;
pub mod load;
pub mod model;
pub mod request;
pub mod resource;

pub use input::{Binding, BindingKind, Origin, PolicyRule, RbacInventory, Role, RoleKind, Subject};
pub use model::{AllowedSubject, Decision, Evidence, Model, Options, Principal, Scope};
pub use request::{Request, UserInfo};
#[cfg(test)]
mod tests;
